//! The server's configuration and its builder.

use super::psk::ExternalPskStore;
use super::{alpn_list, check_alpn, CertifiedKey, Choices, ClientAuth, EchKey, KeyLog, Trace};
use crate::crypto::kx::KeyExchangeSet;
use crate::crypto::rand::{RandomSource, SystemRandom};
use crate::crypto::SupportedSuite;
use crate::error::Error;
use crate::msgs::enums::{
    CertificateType, CipherSuite, NamedGroup, ProtocolVersion, SignatureScheme,
};
use crate::session::{AntiReplay, ServerSessionCache, TicketKeys};
use crate::verify::{ClientCertVerifier, PeerKey, RawPublicKeyVerifier, SystemClock, TimeSource};
use std::sync::Arc;

/// What a server is configured with. Build one with [`ServerConfig::builder`].
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub(crate) versions: Vec<ProtocolVersion>,
    pub(crate) suites: Vec<SupportedSuite>,
    /// Whether a client that prefers ChaCha20-Poly1305 gets it (the
    /// default suites only: an order the caller chose is kept).
    pub(crate) follow_chacha_preference: bool,
    pub(crate) key_exchange: KeyExchangeSet,
    pub(crate) schemes: Option<Vec<SignatureScheme>>,
    pub(crate) policy: Option<super::Policy>,
    /// The certificate compression algorithms we accept and use (RFC
    /// 8879), in preference order.
    pub(crate) cert_compression: Vec<crate::msgs::enums::CertificateCompressionAlgorithm>,
    pub(crate) compressed_certs: super::CompressionCache,
    pub(crate) certs: Vec<CertifiedKey>,
    pub(crate) client_auth: ClientAuth,
    /// The verifier of clients' raw public keys (RFC 7250), and whether a
    /// client that negotiates them must send one.
    pub(crate) client_rpk: Option<(Arc<dyn RawPublicKeyVerifier>, bool)>,
    /// The client certificate types we accept, our preference first (RFC
    /// 7250 §4.2); resolved by `build`.
    pub(crate) client_cert_types: Vec<CertificateType>,
    pub(crate) alpn: Vec<Vec<u8>>,
    pub(crate) random: Arc<dyn RandomSource>,
    pub(crate) time: Arc<dyn TimeSource>,
    pub(crate) key_log: Option<Arc<dyn KeyLog>>,
    pub(crate) require_ems: bool,
    pub(crate) max_fragment_len: usize,
    pub(crate) record_size_limit: Option<u16>,
    pub(crate) send_cookie: bool,
    pub(crate) tickets: usize,
    pub(crate) ticket_lifetime: u32,
    pub(crate) ticket_keys: Option<Arc<TicketKeys>>,
    pub(crate) stateful_tickets: bool,
    pub(crate) session_cache: Option<Arc<ServerSessionCache>>,
    pub(crate) max_early_data: u32,
    /// Whether application data may go out before the client's Finished.
    pub(crate) half_rtt: bool,
    pub(crate) trace: Trace,
    pub(crate) psk_ke: bool,
    #[cfg(feature = "testkit")]
    pub(crate) shaper: Option<Arc<dyn super::MessageShaper>>,
    /// The Encrypted Client Hello keys (RFC 9849 §7.1).
    pub(crate) ech_keys: Vec<EchKey>,
    /// Where external PSKs are found (RFC 9846 §2.2).
    pub(crate) psk_store: Option<Arc<dyn ExternalPskStore>>,
    /// The digest of the client-authentication policy (see
    /// [`ClientAuth`]), computed once.
    client_auth_scope: [u8; 32],
}

impl ServerConfig {
    /// A builder serving `cert` (the default certificate; more can be added
    /// for SNI).
    pub fn builder(cert: CertifiedKey) -> ServerConfigBuilder {
        ServerConfigBuilder::new(vec![cert])
    }

    /// A builder for a server that authenticates with external PSKs only
    /// (RFC 9846 §2.2), found in `store`: no certificate. A client must
    /// offer one of them; one that offers none, or none it may use, is
    /// refused with a [`crate::PskProblem`] and its alert. TLS 1.3 only
    /// (TLS 1.2's PSK cipher suites are not implemented); psk_dhe_ke
    /// only, unless `danger::allow_psk_ke_server` allows psk_ke.
    pub fn builder_psk_only(store: Arc<dyn ExternalPskStore>) -> ServerConfigBuilder {
        let mut b = ServerConfigBuilder::new(Vec::new());
        b.config.psk_store = Some(store);
        b.choices.versions = vec![ProtocolVersion::TLSV1_3];
        b
    }

    /// The verifier of client certificates, for a state that only exists
    /// when client authentication is on.
    pub(crate) fn client_verifier(&self) -> Result<&Arc<dyn ClientCertVerifier>, Error> {
        match &self.client_auth {
            ClientAuth::Optional(v) | ClientAuth::Required(v) => Ok(v),
            ClientAuth::None => Err(Error::Internal("client certificate without a verifier")),
        }
    }

    /// Whether the server asks for client certificates of any type.
    pub(crate) fn asks_client_auth(&self) -> bool {
        !matches!(self.client_auth, ClientAuth::None) || self.client_rpk.is_some()
    }

    /// Whether a client that negotiated certificates of type `t` must send
    /// one (certificate_required, RFC 8446 §4.4.2.4; handshake_failure,
    /// RFC 5246 §7.4.6).
    pub(crate) fn requires_client_cert(&self, t: CertificateType) -> bool {
        match t {
            CertificateType::RAW_PUBLIC_KEY => self.client_rpk.as_ref().is_some_and(|(_, r)| *r),
            _ => matches!(self.client_auth, ClientAuth::Required(_)),
        }
    }

    /// The verifier of clients' raw public keys, for a state that only
    /// exists once RawPublicKey is negotiated.
    pub(crate) fn client_rpk_verifier(&self) -> Result<&Arc<dyn RawPublicKeyVerifier>, Error> {
        self.client_rpk
            .as_ref()
            .map(|(v, _)| v)
            .ok_or(Error::Internal(
                "a client raw public key without a verifier",
            ))
    }

    /// The schemes a client may sign with: those of the verifier of the
    /// client certificate type negotiated.
    pub(crate) fn client_schemes(&self, t: CertificateType) -> Result<Vec<SignatureScheme>, Error> {
        Ok(match t {
            CertificateType::RAW_PUBLIC_KEY => self.client_rpk_verifier()?.supported_schemes(),
            _ => self.client_verifier()?.supported_schemes(),
        })
    }

    /// Checks the client's handshake signature (its CertificateVerify) with
    /// the key it authenticated with, through the verifier of its type.
    pub(crate) fn verify_client_signature(
        &self,
        key: PeerKey<'_>,
        scheme: SignatureScheme,
        message: &[u8],
        signature: &[u8],
        version: ProtocolVersion,
    ) -> Result<(), Error> {
        match key {
            PeerKey::Certificate(c) => self
                .client_verifier()?
                .verify_handshake_signature(c, scheme, message, signature, version),
            PeerKey::Raw(k) => self
                .client_rpk_verifier()?
                .verify_handshake_signature(k, scheme, message, signature, version),
        }
    }

    /// The client-authentication policy's digest: sessions are bound to it.
    pub(crate) fn client_auth_scope(&self) -> [u8; 32] {
        self.client_auth_scope
    }

    /// The 0-RTT anti-replay register: the ticket keys' (shared by every
    /// configuration that shares them).
    pub(crate) fn anti_replay(&self) -> Option<&AntiReplay> {
        self.ticket_keys.as_deref().map(TicketKeys::anti_replay)
    }

    /// The retry_configs for a client whose ECH this server could not
    /// decrypt (RFC 9849 §7.1): the configs of the keys marked for retry,
    /// as an ECHConfigList; `None` without any.
    pub(crate) fn ech_retry_configs(&self) -> Option<Vec<u8>> {
        let retry: Vec<_> = self
            .ech_keys
            .iter()
            .filter(|k| k.retry)
            .map(|k| &k.config)
            .collect();
        (!retry.is_empty()).then(|| crate::msgs::ech::encode_config_list(retry))
    }

    /// Whether the configuration allows signing with, or accepting, `scheme`.
    pub(crate) fn allows_scheme(&self, scheme: SignatureScheme) -> bool {
        self.schemes
            .as_ref()
            .is_none_or(|only| only.contains(&scheme))
    }
}

/// The most 0-RTT data a server accepts per connection: it waits in the
/// connection's receive buffer (`conn::RECEIVE_LIMIT`, 64 KiB) until the
/// handshake ends, with a record's room left for the client's Finished.
pub const MAX_EARLY_DATA: u32 = 48 * 1024;

/// Builds a [`ServerConfig`].
#[derive(Debug, Clone)]
pub struct ServerConfigBuilder {
    config: ServerConfig,
    choices: Choices,
}

impl ServerConfigBuilder {
    fn new(certs: Vec<CertifiedKey>) -> Self {
        let choices = Choices::default();
        ServerConfigBuilder {
            config: ServerConfig {
                versions: choices.versions.clone(),
                suites: Vec::new(),
                follow_chacha_preference: false,
                key_exchange: KeyExchangeSet::defaults(),
                schemes: None,
                policy: None,
                cert_compression: crate::crypto::compress::supported(),
                compressed_certs: super::CompressionCache::default(),
                certs,
                client_auth: ClientAuth::None,
                client_rpk: None,
                client_cert_types: Vec::new(),
                alpn: Vec::new(),
                random: Arc::new(SystemRandom::new()),
                time: Arc::new(SystemClock),
                key_log: None,
                require_ems: true,
                max_fragment_len: choices.max_fragment_len,
                record_size_limit: None,
                send_cookie: false,
                tickets: 2,
                ticket_lifetime: 86_400,
                ticket_keys: None,
                stateful_tickets: false,
                session_cache: Some(Arc::new(ServerSessionCache::new(1024))),
                max_early_data: 0,
                half_rtt: false,
                trace: Trace::Off,
                psk_ke: false,
                #[cfg(feature = "testkit")]
                shaper: None,
                ech_keys: Vec::new(),
                psk_store: None,
                client_auth_scope: [0; 32],
            },
            choices,
        }
    }

    /// The versions to accept (TLS 1.3 and 1.2 by default).
    pub fn versions(mut self, versions: &[ProtocolVersion]) -> Self {
        self.choices.versions = versions.to_vec();
        self
    }

    /// The cipher suites to accept, in preference order, by their registry
    /// names. One cloaktls does not implement is an error from `build()`.
    /// Without this call (and without a policy), the default order
    /// (AES-GCM first) gives way to a client that names ChaCha20-Poly1305
    /// first among the suites we share: such a client most likely lacks
    /// AES hardware, where ChaCha20 is several times faster; with it, the
    /// order given is followed as it is.
    pub fn cipher_suites(mut self, suites: &[CipherSuite]) -> Self {
        self.choices.suites = Some(suites.to_vec());
        self
    }

    /// The key exchange groups to accept, in preference order.
    pub fn groups(mut self, groups: &[NamedGroup]) -> Self {
        self.choices.groups = Some(groups.to_vec());
        self
    }

    /// The signature schemes to sign with, and to accept from clients
    /// (all that the keys and the verifier support by default).
    pub fn signature_schemes(mut self, schemes: &[SignatureScheme]) -> Self {
        self.choices.schemes = Some(schemes.to_vec());
        self
    }

    /// Another certificate, chosen when the client's server_name matches it
    /// or when it fits the client's signature schemes better. A raw public
    /// key credential ([`CertifiedKey::raw_public_key`], RFC 7250) serves
    /// clients that accept RawPublicKey in server_certificate_type: the
    /// first credential that fits the client is sent, its certificate type
    /// included (RFC 7250 §4.2).
    pub fn add_certificate(mut self, cert: CertifiedKey) -> Self {
        self.config.certs.push(cert);
        self
    }

    /// Asks clients for a raw public key (RFC 7250) too, verified by
    /// `verifier` (a [`crate::verify::PinnedRawPublicKeys`], say): a
    /// client that offers RawPublicKey in client_certificate_type is asked
    /// for one (RFC 7250 §4.2), before X.509 unless
    /// [`ServerConfigBuilder::client_certificate_types`] says otherwise.
    /// With `required`, a client that negotiated raw public keys and sends
    /// none is refused (certificate_required); X.509 clients keep the
    /// policy of [`ServerConfigBuilder::client_auth`]. Once the server
    /// accepts a type other than X.509, a client with no type in common is
    /// refused with unsupported_certificate (RFC 7250 §4.2).
    pub fn client_raw_public_keys(
        mut self,
        verifier: Arc<dyn RawPublicKeyVerifier>,
        required: bool,
    ) -> Self {
        self.config.client_rpk = Some((verifier, required));
        self
    }

    /// The client certificate types to accept, our preference first (RFC
    /// 7250 §4.2). By default RawPublicKey if
    /// [`ServerConfigBuilder::client_raw_public_keys`] is set, then X.509
    /// if [`ServerConfigBuilder::client_auth`] is.
    pub fn client_certificate_types(mut self, types: &[CertificateType]) -> Self {
        self.config.client_cert_types = types.to_vec();
        self
    }

    /// Whether and how to ask for client certificates
    /// ([`ClientAuth::required`], [`ClientAuth::optional`], or a verifier
    /// of the caller's own). None by default.
    pub fn client_auth(mut self, mode: ClientAuth) -> Self {
        self.config.client_auth = mode;
        self
    }

    /// ALPN protocols the server accepts, in its preference order.
    pub fn alpn_protocols<I>(mut self, protocols: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<[u8]>,
    {
        self.config.alpn = alpn_list(protocols);
        self
    }

    /// The clock used for client certificate validity and ticket ages.
    pub fn time(mut self, time: Arc<dyn TimeSource>) -> Self {
        self.config.time = time;
        self
    }

    /// Where to log secrets (SSLKEYLOGFILE format); off by default.
    pub fn key_log(mut self, key_log: Arc<dyn KeyLog>) -> Self {
        self.config.key_log = Some(key_log);
        self
    }

    /// The largest plaintext fragment to send (1 to 16384 bytes).
    pub fn max_fragment_len(mut self, len: usize) -> Self {
        self.choices.max_fragment_len = len;
        self
    }

    /// The record_size_limit announced to clients that send theirs (RFC
    /// 8449; 64 to 16385, the protocol's maximum by default).
    pub fn record_size_limit(mut self, limit: u16) -> Self {
        self.choices.record_size_limit = Some(limit);
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
        self.config.ticket_lifetime = secs;
        self
    }

    /// The keys that seal stateless tickets (made at random when built, if
    /// not given; share them between servers that should accept each
    /// other's tickets; they carry the 0-RTT anti-replay register too).
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
    /// [`crate::Connection::take_trace`]); secrets are left out unless
    /// `danger::trace_secrets_server` asks for them.
    pub fn trace(mut self, on: bool) -> Self {
        self.config.trace = if on { Trace::On } else { Trace::Off };
        self
    }

    /// Accepts 0-RTT early data up to `bytes` per connection (0, the
    /// default, turns it off). Replays are refused by single-use stateful
    /// tickets or, for stateless ones, by the anti-replay register of the
    /// ticket keys (RFC 8446 §8), within an eleven-second ticket-age
    /// window; for one such window after the keys are made, and whenever
    /// the register is full, 0-RTT is refused. At most
    /// [`MAX_EARLY_DATA`] bytes: early data waits in the connection's
    /// receive buffer until the handshake ends, and must leave room there
    /// for the rest of the client's flight.
    pub fn max_early_data(mut self, bytes: u32) -> Self {
        self.config.max_early_data = bytes;
        self
    }

    /// Lets a TLS 1.3 server send application data right after its first
    /// flight, before the client's Finished arrives (0.5-RTT data, RFC 9846
    /// §2.3, §4.4.4): the answer to a client's 0-RTT request a round trip
    /// sooner, or a server-speaks-first greeting. Off by default: until
    /// the client's Finished the server has no proof that the client is
    /// live (a replayed ClientHello gets the data too, though sealed under
    /// keys the replayer cannot read). Never when the server asks for a
    /// client certificate: the data would go to a client not yet
    /// authenticated. Without it, data sent before the handshake's end
    /// waits for it.
    pub fn send_half_rtt_data(mut self, on: bool) -> Self {
        self.config.half_rtt = on;
        self
    }

    /// The bounded store of TLS 1.2 session IDs and stateful tickets (1024
    /// sessions by default); `None` turns session IDs off.
    pub fn session_cache(mut self, cache: Option<Arc<ServerSessionCache>>) -> Self {
        self.config.session_cache = cache;
        self
    }

    // The options that weaken security, reached through `danger`.

    pub(crate) fn random(mut self, random: Arc<dyn RandomSource>) -> Self {
        self.config.random = random;
        self
    }

    pub(crate) fn custom_groups(mut self, groups: KeyExchangeSet) -> Self {
        self.choices.custom_groups = Some(groups);
        self
    }

    /// Accepts the external PSKs of `store` (RFC 9846 §2.2, §4.3.11) from
    /// TLS 1.3 clients that offer them: the first identity the client
    /// lists that the store knows, bound to the negotiated suite's hash,
    /// in a mode both allow, is selected once its binder verifies (a wrong
    /// binder ends the handshake with decrypt_error); no certificate is
    /// sent then. A client offering none it may use gets the certificate.
    /// Cipher suite selection favours the hash of the first external PSK
    /// the client offers that the store knows (RFC 9846 §4.3.11).
    pub fn external_psks(mut self, store: Arc<dyn ExternalPskStore>) -> Self {
        self.config.psk_store = Some(store);
        self
    }

    /// Accepts Encrypted Client Hello (RFC 9849) sealed to `key`; call it
    /// again for more keys (a new one and those still in DNS caches). A
    /// client whose ECH this server cannot decrypt is served with the
    /// public name's certificate and gets the retry keys' configs
    /// (retry_configs). ECH needs TLS 1.3 on.
    pub fn ech_key(mut self, key: EchKey) -> Self {
        self.config.ech_keys.push(key);
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

    pub(crate) fn trace_secrets(mut self) -> Self {
        self.config.trace = Trace::WithSecrets;
        self
    }

    #[cfg(feature = "testkit")]
    pub(crate) fn shaper(mut self, shaper: Arc<dyn super::MessageShaper>) -> Self {
        self.config.shaper = Some(shaper);
        self
    }

    /// The certificate compression algorithms (RFC 8879) to accept from
    /// the peer and to compress our own certificate with, in preference
    /// order (all this build has, by default; empty turns compression
    /// off). `build` refuses one this build lacks.
    pub fn certificate_compression(
        mut self,
        algorithms: &[crate::msgs::enums::CertificateCompressionAlgorithm],
    ) -> Self {
        self.config.cert_compression = algorithms.to_vec();
        self
    }

    /// Restricts the configuration to what `policy` allows (versions,
    /// cipher suites, groups, signature schemes), in one call; later calls
    /// may narrow it, and `build` refuses anything that widens it. A
    /// handshake that the policy cannot satisfy fails with an error that
    /// names it.
    pub fn policy(mut self, policy: super::Policy) -> Self {
        self.choices.apply_policy(policy);
        self
    }

    /// Finishes the configuration; an error says which setting is wrong.
    pub fn build(self) -> Result<Arc<ServerConfig>, Error> {
        let mut config = self.config;
        let r = self.choices.resolve()?;
        config.policy = r.policy;
        let have = crate::crypto::compress::supported();
        if let Some(a) = config.cert_compression.iter().find(|a| !have.contains(a)) {
            return Err(Error::Config(format!(
                "{a:?} is not a certificate compression algorithm this build has; it has {}",
                super::names(&have)
            )));
        }
        config.versions = r.versions;
        config.suites = r.suites;
        config.follow_chacha_preference = self.choices.suites.is_none() && config.policy.is_none();
        config.key_exchange = r.key_exchange;
        config.max_fragment_len = self.choices.max_fragment_len;
        config.record_size_limit = self.choices.record_size_limit;
        check_alpn(&config.alpn)?;
        if config.max_early_data > MAX_EARLY_DATA {
            return Err(Error::Config(format!(
                "max_early_data is at most {MAX_EARLY_DATA} bytes, not {}",
                config.max_early_data
            )));
        }
        if !(1..=604_800).contains(&config.ticket_lifetime) {
            return Err(Error::Config(format!(
                "a ticket lifetime must be 1 second to 7 days (RFC 8446 §4.6.1), not {} seconds",
                config.ticket_lifetime
            )));
        }
        for c in &config.certs {
            c.check()?;
        }
        if config.certs.is_empty() {
            if config.psk_store.is_none() {
                return Err(Error::Config(
                    "a server needs a certificate or external PSKs".into(),
                ));
            }
            if config.versions.contains(&ProtocolVersion::TLSV1_2) {
                return Err(Error::Config(
                    "a server without a certificate speaks TLS 1.3 only \
                     (TLS 1.2's PSK cipher suites are not implemented)"
                        .into(),
                ));
            }
        }
        if let Some(only) = r.schemes.as_ref().filter(|_| !config.certs.is_empty()) {
            if !config
                .certs
                .iter()
                .any(|c| c.key.schemes().iter().any(|s| only.contains(s)))
            {
                return Err(Error::Config(match r.policy {
                    Some(p) => format!(
                        "policy {p} allows signatures by {}, which none of the certificates' keys can make",
                        super::names(p.signature_schemes())
                    ),
                    None => "none of the signature schemes fits a certificate's key".into(),
                }));
            }
        }
        config.schemes = r.schemes;
        let now = config.time.now().as_secs();
        if config.ticket_keys.is_none() {
            config.ticket_keys = Some(Arc::new(TicketKeys::new(
                config.random.clone(),
                u64::from(config.ticket_lifetime),
                now,
            )?));
        }
        if config.stateful_tickets && config.session_cache.is_none() {
            return Err(Error::Config(
                "stateful tickets need a session cache".into(),
            ));
        }
        resolve_client_cert_types(&mut config)?;
        config.client_auth_scope = client_auth_scope(&config);
        Ok(Arc::new(config))
    }
}

/// The client certificate types a server accepts: as configured (each with
/// its verifier), or RawPublicKey if a verifier is set, then X.509 if
/// client authentication is on.
fn resolve_client_cert_types(config: &mut ServerConfig) -> Result<(), Error> {
    let x509 = !matches!(config.client_auth, ClientAuth::None);
    let rpk = config.client_rpk.is_some();
    if config.client_cert_types.is_empty() {
        if rpk {
            config
                .client_cert_types
                .push(CertificateType::RAW_PUBLIC_KEY);
        }
        if x509 {
            config.client_cert_types.push(CertificateType::X509);
        }
        return Ok(());
    }
    super::client::check_certificate_types("client", &config.client_cert_types, rpk)?;
    if config.client_cert_types.contains(&CertificateType::X509) && !x509 {
        return Err(Error::Config(
            "X.509 client certificates need ServerConfigBuilder::client_auth".into(),
        ));
    }
    Ok(())
}

/// The client-authentication policy as a digest: the X.509 policy's, and
/// with raw public keys the accepted types, their verifier and whether one
/// is required. Sessions are resumed only under the same policy.
fn client_auth_scope(config: &ServerConfig) -> [u8; 32] {
    let x509 = config.client_auth.scope();
    let Some((v, required)) = &config.client_rpk else {
        return x509;
    };
    let mut h = crate::crypto::HashAlgorithm::Sha256.start();
    h.update(b"cloaktls client certificate types");
    h.update(&x509);
    h.update(&v.scope());
    h.update(&[u8::from(*required)]);
    for t in &config.client_cert_types {
        h.update(&[t.0]);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(&h.current());
    out
}
