//! Client and server configuration, with secure defaults: TLS 1.3 and 1.2,
//! AEAD suites only, X25519/P-256/P-384, peer verification on, extended
//! master secret required.

use crate::crypto::kx::DEFAULT_GROUPS;
use crate::crypto::rand::{RandomSource, SystemRandom};
use crate::crypto::sign::{RingSigningKey, SigningKey};
use crate::crypto::suites::{SupportedSuite, ALL_SUITES};
use crate::crypto::KeyExchangeGroup;
use crate::danger::replay::MessageShaper;
use crate::error::Error;
use crate::msgs::enums::ProtocolVersion;
use crate::session::{
    ClientSessionStore, MemorySessionCache, ServerSessionCache, StrikeRegister, TicketKeys,
};
use crate::verify::{
    ClientCertVerifier, RootStore, ServerCertVerifier, SystemClock, TimeSource,
    WebPkiClientVerifier, WebPkiServerVerifier,
};
use pki_types::CertificateDer;
use std::fmt::Debug;
use std::io::Write;
use std::sync::{Arc, Mutex};

/// A certificate chain and the private key of its first certificate.
#[derive(Debug, Clone)]
pub struct CertifiedKey {
    /// The chain, end entity first, DER.
    pub chain: Vec<CertificateDer<'static>>,
    /// The end entity's private key.
    pub key: Arc<dyn SigningKey>,
    /// An OCSP response for the end entity (DER), stapled for clients that
    /// ask with status_request (RFC 6066 §8, RFC 8446 §4.4.2.1).
    pub ocsp_response: Option<Vec<u8>>,
    /// A SignedCertificateTimestampList for the end entity (RFC 6962
    /// §3.3), sent to clients that ask with signed_certificate_timestamp.
    pub sct_list: Option<Vec<u8>>,
}

impl CertifiedKey {
    /// A chain with its key.
    pub fn new(chain: Vec<CertificateDer<'static>>, key: Arc<dyn SigningKey>) -> Self {
        CertifiedKey {
            chain,
            key,
            ocsp_response: None,
            sct_list: None,
        }
    }

    /// A chain of DER certificates and a DER private key (PKCS#8, or PKCS#1
    /// for RSA).
    pub fn from_der(chain: Vec<Vec<u8>>, key_der: &[u8]) -> Result<Self, Error> {
        if chain.is_empty() {
            return Err(Error::Config("the certificate chain is empty".into()));
        }
        let key = RingSigningKey::from_der(key_der)?;
        Ok(CertifiedKey {
            chain: chain.into_iter().map(CertificateDer::from).collect(),
            key: Arc::new(key),
            ocsp_response: None,
            sct_list: None,
        })
    }

    /// Staples `response` (a DER OCSPResponse for the end entity, as an
    /// OCSP responder gave it) for clients that ask. An empty response is
    /// not stapled.
    pub fn with_ocsp_response(mut self, response: Vec<u8>) -> Self {
        self.ocsp_response = Some(response).filter(|r| !r.is_empty());
        self
    }

    /// Sends `list` (a SignedCertificateTimestampList as RFC 6962 §3.3
    /// encodes it, its two-byte length included) to clients that ask. A
    /// list that does not parse is an error.
    pub fn with_sct_list(mut self, list: Vec<u8>) -> Result<Self, Error> {
        use crate::msgs::enums::ExtensionType;
        use crate::msgs::extensions::{Extension, ExtensionContext};
        Extension::decode_body(
            ExtensionType::SIGNED_CERTIFICATE_TIMESTAMP,
            &list,
            ExtensionContext::Certificate,
        )
        .map_err(|e| Error::Config(format!("the SCT list does not parse: {e:?}")))?;
        self.sct_list = Some(list);
        Ok(self)
    }
}

/// Receives traffic secrets in the SSLKEYLOGFILE format's terms, so that a
/// capture can be decrypted (for debugging only).
pub trait KeyLog: Send + Sync + Debug {
    /// One secret: its label (`CLIENT_HANDSHAKE_TRAFFIC_SECRET`, ...), the
    /// ClientHello.random, and the secret.
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]);
}

/// Appends secrets to a file in the SSLKEYLOGFILE format.
#[derive(Debug)]
pub struct KeyLogFile {
    file: Mutex<std::fs::File>,
}

impl KeyLogFile {
    /// Opens (appending to) `path`.
    pub fn open(path: impl AsRef<std::path::Path>) -> Result<Self, Error> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path.as_ref())
            .map_err(|e| Error::Config(format!("key log file {}: {e}", path.as_ref().display())))?;
        Ok(KeyLogFile {
            file: Mutex::new(file),
        })
    }

    /// Opens the file named by the SSLKEYLOGFILE environment variable, if set.
    pub fn from_env() -> Option<Self> {
        let path = std::env::var_os("SSLKEYLOGFILE")?;
        Self::open(path).ok()
    }
}

impl KeyLog for KeyLogFile {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        if let Ok(mut f) = self.file.lock() {
            let _ = writeln!(
                f,
                "{label} {} {}",
                hex::encode(client_random),
                hex::encode(secret)
            );
        }
    }
}

/// Whether and how a server asks for client certificates.
#[derive(Debug, Clone)]
pub enum ClientAuth {
    /// No CertificateRequest.
    None,
    /// A CertificateRequest; a client without a certificate is let in.
    Optional(Arc<dyn ClientCertVerifier>),
    /// A CertificateRequest; a client without a certificate is refused
    /// (certificate_required).
    Required(Arc<dyn ClientCertVerifier>),
}

/// What a client is configured with. Build one with [`ClientConfig::builder`].
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub(crate) versions: Vec<ProtocolVersion>,
    pub(crate) suites: Vec<SupportedSuite>,
    pub(crate) groups: Vec<&'static dyn KeyExchangeGroup>,
    pub(crate) custom_groups: Vec<Arc<dyn KeyExchangeGroup>>,
    pub(crate) verifier: Arc<dyn ServerCertVerifier>,
    pub(crate) client_certs: Vec<CertifiedKey>,
    pub(crate) alpn: Vec<Vec<u8>>,
    pub(crate) enable_sni: bool,
    pub(crate) random: Arc<dyn RandomSource>,
    pub(crate) time: Arc<dyn TimeSource>,
    pub(crate) key_log: Option<Arc<dyn KeyLog>>,
    pub(crate) require_ems: bool,
    pub(crate) record_size_limit: Option<u16>,
    pub(crate) max_fragment_len: usize,
    pub(crate) compatibility_mode: bool,
    pub(crate) signature_algorithms_cert: Vec<crate::msgs::enums::SignatureScheme>,
    pub(crate) session_store: Option<Arc<dyn ClientSessionStore>>,
    pub(crate) early_data: bool,
    pub(crate) trace: bool,
    pub(crate) psk_ke: bool,
    pub(crate) shaper: Option<Arc<dyn MessageShaper>>,
    pub(crate) request_ocsp: bool,
    pub(crate) request_sct: bool,
}

/// Builds a [`ClientConfig`].
#[derive(Debug, Clone)]
pub struct ClientConfigBuilder {
    config: ClientConfig,
}

impl ClientConfig {
    /// A builder whose server verifier trusts `roots`.
    pub fn builder(roots: RootStore) -> ClientConfigBuilder {
        Self::builder_with_verifier(Arc::new(WebPkiServerVerifier::new(Arc::new(roots))))
    }

    /// A builder with a custom server verifier.
    pub fn builder_with_verifier(verifier: Arc<dyn ServerCertVerifier>) -> ClientConfigBuilder {
        ClientConfigBuilder {
            config: ClientConfig {
                versions: vec![ProtocolVersion::TLSV1_3, ProtocolVersion::TLSV1_2],
                suites: ALL_SUITES.to_vec(),
                groups: DEFAULT_GROUPS.to_vec(),
                custom_groups: Vec::new(),
                verifier,
                client_certs: Vec::new(),
                alpn: Vec::new(),
                enable_sni: true,
                random: Arc::new(SystemRandom::new()),
                time: Arc::new(SystemClock),
                key_log: None,
                require_ems: true,
                record_size_limit: None,
                max_fragment_len: crate::record::MAX_FRAGMENT_LEN,
                compatibility_mode: true,
                signature_algorithms_cert: Vec::new(),
                session_store: Some(Arc::new(MemorySessionCache::new(256))),
                early_data: false,
                trace: false,
                psk_ke: false,
                shaper: None,
                request_ocsp: false,
                request_sct: false,
            },
        }
    }

    /// The key exchange groups, in preference order.
    pub(crate) fn kx_groups(&self) -> Vec<&dyn KeyExchangeGroup> {
        if self.custom_groups.is_empty() {
            self.groups.to_vec()
        } else {
            self.custom_groups.iter().map(|g| g.as_ref()).collect()
        }
    }
}

fn check_versions(versions: &[ProtocolVersion]) -> Result<(), Error> {
    if versions.is_empty() {
        return Err(Error::Config("no protocol version enabled".into()));
    }
    for v in versions {
        if *v != ProtocolVersion::TLSV1_3 && *v != ProtocolVersion::TLSV1_2 {
            return Err(Error::Config(format!(
                "{v:?} is not supported: cloaktls speaks TLS 1.2 and 1.3"
            )));
        }
    }
    Ok(())
}

/// Keeps only the versions that have a suite, and fails if none is left.
fn suites_for(suites: &[SupportedSuite], versions: &mut Vec<ProtocolVersion>) -> Result<(), Error> {
    versions.retain(|v| {
        suites.iter().any(|s| match s {
            SupportedSuite::Tls13(_) => *v == ProtocolVersion::TLSV1_3,
            SupportedSuite::Tls12(_) => *v == ProtocolVersion::TLSV1_2,
        })
    });
    if versions.is_empty() {
        Err(Error::Config(
            "no cipher suite for the enabled versions".into(),
        ))
    } else {
        Ok(())
    }
}

impl ClientConfigBuilder {
    /// The versions to offer (TLS 1.3 and 1.2 by default).
    pub fn versions(mut self, versions: &[ProtocolVersion]) -> Self {
        self.config.versions = versions.to_vec();
        self
    }

    /// The cipher suites to offer, in preference order.
    pub fn cipher_suites(mut self, suites: &[SupportedSuite]) -> Self {
        self.config.suites = suites.to_vec();
        self
    }

    /// The built-in key exchange groups to offer, in preference order; the
    /// first gets a key share.
    pub fn groups(mut self, groups: &[&'static dyn KeyExchangeGroup]) -> Self {
        self.config.groups = groups.to_vec();
        self
    }

    /// Key exchange groups of the caller's own (scripted ones, for tests).
    pub fn custom_groups(mut self, groups: Vec<Arc<dyn KeyExchangeGroup>>) -> Self {
        self.config.custom_groups = groups;
        self
    }

    /// ALPN protocols to offer, in preference order.
    pub fn alpn_protocols(mut self, protocols: &[&[u8]]) -> Self {
        self.config.alpn = protocols.iter().map(|p| p.to_vec()).collect();
        self
    }

    /// A client certificate chain and key for servers that ask.
    pub fn client_certificate(mut self, cert: CertifiedKey) -> Self {
        self.config.client_certs.push(cert);
        self
    }

    /// Whether to send server_name (on by default; never sent for IP
    /// addresses).
    pub fn sni(mut self, enable: bool) -> Self {
        self.config.enable_sni = enable;
        self
    }

    /// The randomness used for hello randoms and session IDs.
    pub fn random(mut self, random: Arc<dyn RandomSource>) -> Self {
        self.config.random = random;
        self
    }

    /// The clock used for certificate validity.
    pub fn time(mut self, time: Arc<dyn TimeSource>) -> Self {
        self.config.time = time;
        self
    }

    /// Where to log secrets (SSLKEYLOGFILE format); off by default.
    pub fn key_log(mut self, key_log: Arc<dyn KeyLog>) -> Self {
        self.config.key_log = Some(key_log);
        self
    }

    /// Sends record_size_limit (RFC 8449) with this value.
    pub fn record_size_limit(mut self, limit: u16) -> Self {
        self.config.record_size_limit = Some(limit);
        self
    }

    /// The largest plaintext fragment to send (at most 2^14).
    pub fn max_fragment_len(mut self, len: usize) -> Self {
        self.config.max_fragment_len = len.clamp(1, crate::record::MAX_FRAGMENT_LEN);
        self
    }

    /// Whether to use TLS 1.3 middlebox compatibility mode (RFC 8446 D.4):
    /// on by default.
    pub fn compatibility_mode(mut self, on: bool) -> Self {
        self.config.compatibility_mode = on;
        self
    }

    /// Sends signature_algorithms_cert (RFC 8446 §4.2.3): the schemes
    /// accepted on certificates, when they differ from those accepted in
    /// handshake signatures.
    pub fn signature_algorithms_cert(
        mut self,
        schemes: &[crate::msgs::enums::SignatureScheme],
    ) -> Self {
        self.config.signature_algorithms_cert = schemes.to_vec();
        self
    }

    /// Where sessions are kept for resumption (an in-memory cache of 256
    /// server names by default; share one store between configs to share
    /// sessions). `None` turns resumption off.
    pub fn session_store(mut self, store: Option<Arc<dyn ClientSessionStore>>) -> Self {
        self.config.session_store = store;
        self
    }

    /// Records an event trace on each connection from its first byte (see
    /// [`crate::Connection::take_trace`]).
    pub fn trace(mut self, on: bool) -> Self {
        self.config.trace = on;
        self
    }

    /// Offers 0-RTT early data when a ticket allows it (off by default:
    /// early data can be replayed, RFC 8446 §8). Send it with
    /// [`crate::Connection::send_early_data`].
    pub fn early_data(mut self, on: bool) -> Self {
        self.config.early_data = on;
        self
    }

    pub(crate) fn require_ems(mut self, on: bool) -> Self {
        self.config.require_ems = on;
        self
    }

    pub(crate) fn psk_ke(mut self, on: bool) -> Self {
        self.config.psk_ke = on;
        self
    }

    pub(crate) fn shaper(mut self, shaper: Arc<dyn MessageShaper>) -> Self {
        self.config.shaper = Some(shaper);
        self
    }

    /// Asks the server for a stapled OCSP response (status_request, RFC
    /// 6066 §8), available afterwards from
    /// [`crate::Connection::peer_ocsp_response`]. Off by default; the
    /// response is handed to the verifier, which does not check it.
    pub fn request_ocsp(mut self, on: bool) -> Self {
        self.config.request_ocsp = on;
        self
    }

    /// Asks the server for signed certificate timestamps (RFC 6962
    /// §3.3.1), available afterwards from
    /// [`crate::Connection::peer_sct_list`]. Off by default; cloaktls does
    /// not check them.
    pub fn request_sct(mut self, on: bool) -> Self {
        self.config.request_sct = on;
        self
    }

    /// Finishes the configuration.
    pub fn build(mut self) -> Result<Arc<ClientConfig>, Error> {
        check_versions(&self.config.versions)?;
        suites_for(&self.config.suites, &mut self.config.versions)?;
        if self.config.kx_groups().is_empty() {
            return Err(Error::Config("no key exchange group".into()));
        }
        for p in &self.config.alpn {
            if p.is_empty() || p.len() > 255 {
                return Err(Error::Config(
                    "an ALPN protocol name must be 1 to 255 bytes".into(),
                ));
            }
        }
        if let Some(l) = self.config.record_size_limit {
            if l < 64 {
                return Err(Error::Config(
                    "record_size_limit must be at least 64".into(),
                ));
            }
        }
        Ok(Arc::new(self.config))
    }
}

/// What a server is configured with. Build one with [`ServerConfig::builder`].
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub(crate) versions: Vec<ProtocolVersion>,
    pub(crate) suites: Vec<SupportedSuite>,
    pub(crate) groups: Vec<&'static dyn KeyExchangeGroup>,
    pub(crate) custom_groups: Vec<Arc<dyn KeyExchangeGroup>>,
    pub(crate) certs: Vec<CertifiedKey>,
    pub(crate) client_auth: ClientAuth,
    pub(crate) alpn: Vec<Vec<u8>>,
    pub(crate) random: Arc<dyn RandomSource>,
    pub(crate) time: Arc<dyn TimeSource>,
    pub(crate) key_log: Option<Arc<dyn KeyLog>>,
    pub(crate) require_ems: bool,
    pub(crate) max_fragment_len: usize,
    pub(crate) send_cookie: bool,
    pub(crate) tickets: usize,
    pub(crate) ticket_lifetime: u32,
    pub(crate) ticket_keys: Option<Arc<TicketKeys>>,
    pub(crate) stateful_tickets: bool,
    pub(crate) session_cache: Option<Arc<ServerSessionCache>>,
    pub(crate) max_early_data: u32,
    pub(crate) strike_register: Arc<StrikeRegister>,
    pub(crate) trace: bool,
    pub(crate) psk_ke: bool,
    pub(crate) shaper: Option<Arc<dyn MessageShaper>>,
}

/// Builds a [`ServerConfig`].
#[derive(Debug, Clone)]
pub struct ServerConfigBuilder {
    config: ServerConfig,
}

impl ServerConfig {
    /// A builder serving `cert` (the default certificate; more can be added
    /// for SNI).
    pub fn builder(cert: CertifiedKey) -> ServerConfigBuilder {
        ServerConfigBuilder {
            config: ServerConfig {
                versions: vec![ProtocolVersion::TLSV1_3, ProtocolVersion::TLSV1_2],
                suites: ALL_SUITES.to_vec(),
                groups: DEFAULT_GROUPS.to_vec(),
                custom_groups: Vec::new(),
                certs: vec![cert],
                client_auth: ClientAuth::None,
                alpn: Vec::new(),
                random: Arc::new(SystemRandom::new()),
                time: Arc::new(SystemClock),
                key_log: None,
                require_ems: true,
                max_fragment_len: crate::record::MAX_FRAGMENT_LEN,
                send_cookie: false,
                tickets: 2,
                ticket_lifetime: 86_400,
                ticket_keys: None,
                stateful_tickets: false,
                session_cache: Some(Arc::new(ServerSessionCache::new(1024))),
                max_early_data: 0,
                strike_register: Arc::new(StrikeRegister::new(65_536)),
                trace: false,
                psk_ke: false,
                shaper: None,
            },
        }
    }

    pub(crate) fn kx_groups(&self) -> Vec<&dyn KeyExchangeGroup> {
        if self.custom_groups.is_empty() {
            self.groups.to_vec()
        } else {
            self.custom_groups.iter().map(|g| g.as_ref()).collect()
        }
    }

    /// The verifier of client certificates, for a state that only exists
    /// when client authentication is on.
    pub(crate) fn client_verifier(&self) -> Result<&Arc<dyn ClientCertVerifier>, Error> {
        match &self.client_auth {
            ClientAuth::Optional(v) | ClientAuth::Required(v) => Ok(v),
            ClientAuth::None => Err(Error::InvalidState("client certificate without a verifier")),
        }
    }
}

impl ServerConfigBuilder {
    /// The versions to accept (TLS 1.3 and 1.2 by default).
    pub fn versions(mut self, versions: &[ProtocolVersion]) -> Self {
        self.config.versions = versions.to_vec();
        self
    }

    /// The cipher suites to accept, in preference order.
    pub fn cipher_suites(mut self, suites: &[SupportedSuite]) -> Self {
        self.config.suites = suites.to_vec();
        self
    }

    /// The key exchange groups to accept, in preference order.
    pub fn groups(mut self, groups: &[&'static dyn KeyExchangeGroup]) -> Self {
        self.config.groups = groups.to_vec();
        self
    }

    /// Key exchange groups of the caller's own (scripted ones, for tests).
    pub fn custom_groups(mut self, groups: Vec<Arc<dyn KeyExchangeGroup>>) -> Self {
        self.config.custom_groups = groups;
        self
    }

    /// Another certificate, chosen when the client's server_name matches it.
    pub fn add_certificate(mut self, cert: CertifiedKey) -> Self {
        self.config.certs.push(cert);
        self
    }

    /// Asks for client certificates; a client without one is refused.
    pub fn require_client_auth(mut self, roots: RootStore) -> Self {
        self.config.client_auth =
            ClientAuth::Required(Arc::new(WebPkiClientVerifier::new(Arc::new(roots))));
        self
    }

    /// Asks for client certificates; a client without one is let in.
    pub fn optional_client_auth(mut self, roots: RootStore) -> Self {
        self.config.client_auth =
            ClientAuth::Optional(Arc::new(WebPkiClientVerifier::new(Arc::new(roots))));
        self
    }

    /// Client authentication with a custom verifier.
    pub fn client_auth(mut self, mode: ClientAuth) -> Self {
        self.config.client_auth = mode;
        self
    }

    /// ALPN protocols the server accepts, in its preference order.
    pub fn alpn_protocols(mut self, protocols: &[&[u8]]) -> Self {
        self.config.alpn = protocols.iter().map(|p| p.to_vec()).collect();
        self
    }

    /// The randomness used for hello randoms.
    pub fn random(mut self, random: Arc<dyn RandomSource>) -> Self {
        self.config.random = random;
        self
    }

    /// The clock used for client certificate validity.
    pub fn time(mut self, time: Arc<dyn TimeSource>) -> Self {
        self.config.time = time;
        self
    }

    /// Where to log secrets (SSLKEYLOGFILE format); off by default.
    pub fn key_log(mut self, key_log: Arc<dyn KeyLog>) -> Self {
        self.config.key_log = Some(key_log);
        self
    }

    /// The largest plaintext fragment to send (at most 2^14).
    pub fn max_fragment_len(mut self, len: usize) -> Self {
        self.config.max_fragment_len = len.clamp(1, crate::record::MAX_FRAGMENT_LEN);
        self
    }

    /// Sends a cookie in HelloRetryRequest and requires it back (RFC 8446
    /// §4.2.2).
    pub fn send_cookie(mut self, on: bool) -> Self {
        self.config.send_cookie = on;
        self
    }

    /// How many TLS 1.3 tickets to send after each handshake (2 by
    /// default; 0 sends none, while tickets issued before with the same
    /// keys or cache are still accepted).
    pub fn tickets(mut self, n: usize) -> Self {
        self.config.tickets = n;
        self
    }

    /// Ticket lifetime in seconds (a day by default, at most seven days;
    /// RFC 8446 §4.6.1). Ticket keys rotate every lifetime.
    pub fn ticket_lifetime(mut self, secs: u32) -> Self {
        self.config.ticket_lifetime = secs.clamp(1, 604_800);
        self
    }

    /// The keys that seal stateless tickets (made at random when built, if
    /// not given; share them between servers that should accept each
    /// other's tickets).
    pub fn ticket_keys(mut self, keys: Arc<TicketKeys>) -> Self {
        self.config.ticket_keys = Some(keys);
        self
    }

    /// TLS 1.3 tickets kept in the server's session store and used once,
    /// instead of stateless sealed tickets.
    pub fn stateful_tickets(mut self, on: bool) -> Self {
        self.config.stateful_tickets = on;
        self
    }

    /// Records an event trace on each connection from its first byte (see
    /// [`crate::Connection::take_trace`]).
    pub fn trace(mut self, on: bool) -> Self {
        self.config.trace = on;
        self
    }

    /// Accepts 0-RTT early data up to `bytes` per connection (0, the
    /// default, turns it off). Replays are refused by single-use stateful
    /// tickets or, for stateless ones, a bounded strike register of
    /// binders, within a ten-second ticket-age window.
    pub fn max_early_data(mut self, bytes: u32) -> Self {
        self.config.max_early_data = bytes;
        self
    }

    /// The bounded store of TLS 1.2 session IDs and stateful tickets (1024
    /// sessions by default); `None` turns session IDs off.
    pub fn session_cache(mut self, cache: Option<Arc<ServerSessionCache>>) -> Self {
        self.config.session_cache = cache;
        self
    }

    pub(crate) fn require_ems(mut self, on: bool) -> Self {
        self.config.require_ems = on;
        self
    }

    pub(crate) fn psk_ke(mut self, on: bool) -> Self {
        self.config.psk_ke = on;
        self
    }

    pub(crate) fn shaper(mut self, shaper: Arc<dyn MessageShaper>) -> Self {
        self.config.shaper = Some(shaper);
        self
    }

    /// Finishes the configuration.
    pub fn build(mut self) -> Result<Arc<ServerConfig>, Error> {
        check_versions(&self.config.versions)?;
        suites_for(&self.config.suites, &mut self.config.versions)?;
        if self.config.kx_groups().is_empty() {
            return Err(Error::Config("no key exchange group".into()));
        }
        if self.config.ticket_keys.is_none() {
            let now = self.config.time.now().as_secs();
            self.config.ticket_keys = Some(Arc::new(TicketKeys::new(
                self.config.random.clone(),
                u64::from(self.config.ticket_lifetime),
                now,
            )?));
        }
        if self.config.stateful_tickets && self.config.session_cache.is_none() {
            return Err(Error::Config(
                "stateful tickets need a session cache".into(),
            ));
        }
        Ok(Arc::new(self.config))
    }
}
