//! The client's configuration and its builder.

use super::psk::{ExternalPsk, PskOnly};
use super::{alpn_list, check_alpn, CertifiedKey, Choices, EchConfigList, KeyLog, Trace};
use crate::crypto::kx::KeyExchangeSet;
use crate::crypto::rand::{RandomSource, SystemRandom};
use crate::crypto::{HashAlgorithm, SupportedSuite};
use crate::error::Error;
use crate::msgs::enums::{
    CertificateType, CipherSuite, NamedGroup, ProtocolVersion, SignatureScheme,
};
use crate::session::{ClientSessionStore, MemorySessionCache, SessionKey};
use crate::verify::{
    PeerKey, RawPublicKeyVerifier, RootStore, ServerCertVerifier, SystemClock, TimeSource,
    WebPkiServerVerifier,
};
use std::sync::Arc;

/// What a server's CertificateRequest asks of the client's certificate
/// (RFC 8446 §4.3.2, RFC 5246 §7.4.4): what a [`ResolvesClientCert`]
/// decides from.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct CertificateRequestInfo<'a> {
    /// The protocol version of the handshake.
    pub version: ProtocolVersion,
    /// The signature schemes the server accepts, its preference first.
    pub signature_schemes: &'a [SignatureScheme],
    /// The DER distinguished names of the authorities the server named
    /// (certificate_authorities); empty if it named none.
    pub authorities: &'a [Vec<u8>],
    /// TLS 1.2's certificate_types (rsa_sign 1, ecdsa_sign 64); empty in
    /// TLS 1.3.
    pub certificate_types: &'a [u8],
    /// The certificate type the server asked for with
    /// client_certificate_type (RFC 7250 §4.2): X509 unless it chose
    /// RawPublicKey. A credential of another type is not sent.
    pub certificate_type: CertificateType,
}

/// Chooses the client's certificate when a server asks for one, from what
/// it asks: the application's callback, where the certificates are not
/// known in advance (a smart card, a store that depends on the server).
/// The one it returns is sent if its key can sign with a scheme the server
/// accepts (and, in TLS 1.2, is of a type it lists) and it is of the
/// certificate type negotiated (RFC 7250 §4.2; set the types to offer with
/// [`ClientConfigBuilder::client_certificate_types`]); otherwise, or when it
/// returns `None`, the client sends an empty Certificate (RFC 8446 §4.4.2,
/// RFC 5246 §7.4.6) and the server decides.
pub trait ResolvesClientCert: Send + Sync + std::fmt::Debug {
    /// The certificate to answer `request` with, if any.
    fn resolve(&self, request: &CertificateRequestInfo<'_>) -> Option<CertifiedKey>;
}

/// What a client is configured with. Build one with [`ClientConfig::builder`].
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub(crate) versions: Vec<ProtocolVersion>,
    pub(crate) suites: Vec<SupportedSuite>,
    pub(crate) key_exchange: KeyExchangeSet,
    pub(crate) schemes: Option<Vec<SignatureScheme>>,
    pub(crate) policy: Option<super::Policy>,
    /// The certificate compression algorithms we accept and use (RFC
    /// 8879), in preference order.
    pub(crate) cert_compression: Vec<crate::msgs::enums::CertificateCompressionAlgorithm>,
    pub(crate) compressed_certs: super::CompressionCache,
    pub(crate) verifier: Arc<dyn ServerCertVerifier>,
    /// The server certificate types we accept, our preference first (RFC
    /// 7250 §4.1): X.509 alone by default.
    pub(crate) server_cert_types: Vec<CertificateType>,
    /// The verifier of a server's raw public key (RFC 7250).
    pub(crate) server_rpk_verifier: Option<Arc<dyn RawPublicKeyVerifier>>,
    /// The client certificate types to offer, if set; otherwise those of
    /// the configured credentials.
    pub(crate) client_cert_types: Option<Vec<CertificateType>>,
    pub(crate) client_certs: Vec<CertifiedKey>,
    pub(crate) cert_resolver: Option<Arc<dyn ResolvesClientCert>>,
    pub(crate) reverify_on_resume: bool,
    pub(crate) alpn: Vec<Vec<u8>>,
    pub(crate) enable_sni: bool,
    pub(crate) random: Arc<dyn RandomSource>,
    pub(crate) time: Arc<dyn TimeSource>,
    pub(crate) key_log: Option<Arc<dyn KeyLog>>,
    pub(crate) require_ems: bool,
    pub(crate) record_size_limit: Option<u16>,
    pub(crate) max_fragment_len: usize,
    pub(crate) compatibility_mode: bool,
    pub(crate) signature_algorithms_cert: Vec<SignatureScheme>,
    pub(crate) certificate_authorities: Vec<Vec<u8>>,
    pub(crate) session_store: Option<Arc<dyn ClientSessionStore>>,
    pub(crate) early_data: bool,
    pub(crate) false_start: bool,
    pub(crate) grease: bool,
    pub(crate) permute_extensions: bool,
    /// The groups that get a key share in the first ClientHello (None:
    /// the first group's, and a classical one beside a post-quantum one).
    pub(crate) key_shares: Option<Vec<NamedGroup>>,
    /// The groups the server is said to support, its preference first
    /// (draft-ietf-tls-key-share-prediction).
    pub(crate) server_groups_hint: Option<Vec<NamedGroup>>,
    pub(crate) trace: Trace,
    pub(crate) psk_ke: bool,
    #[cfg(feature = "testkit")]
    pub(crate) shaper: Option<Arc<dyn super::MessageShaper>>,
    pub(crate) request_ocsp: bool,
    pub(crate) request_sct: bool,
    pub(crate) ech: Option<EchConfigList>,
    pub(crate) ech_grease: bool,
    /// The external PSKs offered, in order (RFC 9846 §4.3.11).
    pub(crate) external_psks: Vec<ExternalPsk>,
    /// Whether the server must authenticate with a PSK (no certificate is
    /// trusted).
    pub(crate) psk_only: bool,
}

impl ClientConfig {
    /// A builder whose server verifier trusts `roots` and checks the
    /// server's name (webpki; see [`WebPkiServerVerifier`]).
    pub fn builder(roots: RootStore) -> ClientConfigBuilder {
        ClientConfigBuilder::new(Arc::new(WebPkiServerVerifier::new(Arc::new(roots))))
    }

    /// A builder for a client that authenticates servers by external PSK
    /// only (RFC 9846 §2.2): it offers `psk` (and those added with
    /// [`ClientConfigBuilder::external_psk`]), trusts no certificate, and
    /// fails with [`crate::PskProblem::PskRequired`] if the server does not
    /// select one of them (or resume a session made with one). The PSK is
    /// then what authenticates the server, to whoever else holds it too.
    /// TLS 1.3 only (TLS 1.2's PSK cipher suites are not implemented);
    /// psk_dhe_ke only, unless `danger::allow_psk_ke_client` allows psk_ke.
    pub fn builder_psk_only(psk: ExternalPsk) -> ClientConfigBuilder {
        let mut b = ClientConfigBuilder::new(Arc::new(PskOnly { scope: [0; 32] }));
        b.config.psk_only = true;
        b.config.external_psks.push(psk);
        b.choices.versions = vec![ProtocolVersion::TLSV1_3];
        b
    }

    /// A builder with a webpki verifier configured by the caller (its
    /// verified-chain cache, say: see
    /// [`WebPkiServerVerifier::with_cache_capacity`]).
    pub fn builder_with_webpki(verifier: WebPkiServerVerifier) -> ClientConfigBuilder {
        ClientConfigBuilder::new(Arc::new(verifier))
    }

    /// A builder for a client that authenticates servers by their raw
    /// public keys alone (RFC 7250): it offers server_certificate_type
    /// RawPublicKey and no X.509, and `verifier` decides which keys are the
    /// server's (a [`crate::verify::PinnedRawPublicKeys`], say). Nothing in
    /// a raw public key names the server, so the verifier is all of its
    /// authentication (RFC 7250 §4.4).
    pub fn builder_raw_public_keys(verifier: Arc<dyn RawPublicKeyVerifier>) -> ClientConfigBuilder {
        ClientConfigBuilder::new(Arc::new(crate::verify::RawPublicKeysOnly))
            .server_raw_public_keys(verifier)
            .server_certificate_types(&[CertificateType::RAW_PUBLIC_KEY])
    }

    /// The server_certificate_type list to offer (RFC 7250 §4.1): none
    /// when X.509 alone is accepted.
    pub(crate) fn offered_server_cert_types(&self) -> Option<&[CertificateType]> {
        Some(self.server_cert_types.as_slice()).filter(|t| *t != [CertificateType::X509])
    }

    /// The client certificate types we can send, our preference first: as
    /// configured, or those of our credentials in their order (RFC 7250
    /// §4.1: only types we hold; a resolver's are X.509 unless set).
    pub(crate) fn client_cert_types(&self) -> Vec<CertificateType> {
        if let Some(t) = &self.client_cert_types {
            return t.clone();
        }
        if self.cert_resolver.is_some() {
            return vec![CertificateType::X509];
        }
        let mut out: Vec<CertificateType> = Vec::new();
        for t in self.client_certs.iter().map(CertifiedKey::certificate_type) {
            if !out.contains(&t) {
                out.push(t);
            }
        }
        out
    }

    /// The client_certificate_type list to offer (RFC 7250 §4.1): none
    /// when the only type is the default X.509, or there is none.
    pub(crate) fn offered_client_cert_types(&self) -> Option<Vec<CertificateType>> {
        Some(self.client_cert_types())
            .filter(|t| !t.is_empty() && t.iter().any(|t| *t != CertificateType::X509))
    }

    /// The verifier of the server's raw public key, for a state that only
    /// exists once RawPublicKey is negotiated.
    pub(crate) fn server_rpk_verifier(&self) -> Result<&Arc<dyn RawPublicKeyVerifier>, Error> {
        self.server_rpk_verifier
            .as_ref()
            .ok_or(Error::Internal("a raw public key without a verifier"))
    }

    /// Checks the server's handshake signature with the key it
    /// authenticated with: a certificate's, through the X.509 verifier, or
    /// a raw public key, through its verifier.
    pub(crate) fn verify_server_signature(
        &self,
        key: PeerKey<'_>,
        scheme: SignatureScheme,
        message: &[u8],
        signature: &[u8],
        version: ProtocolVersion,
    ) -> Result<(), Error> {
        match key {
            PeerKey::Certificate(c) => self
                .verifier
                .verify_handshake_signature(c, scheme, message, signature, version),
            PeerKey::Raw(k) => self
                .server_rpk_verifier()?
                .verify_handshake_signature(k, scheme, message, signature, version),
        }
    }

    /// Whether this client may answer a CertificateRequest with a
    /// certificate (it keeps the TLS 1.2 transcript for the signature).
    pub(crate) fn has_client_certs(&self) -> bool {
        self.cert_resolver.is_some() || !self.client_certs.is_empty()
    }

    /// The certificates to choose from for `request`: the resolver's
    /// answer, or the configured ones.
    pub(crate) fn client_cert_candidates(
        &self,
        request: &CertificateRequestInfo<'_>,
    ) -> Vec<CertifiedKey> {
        match &self.cert_resolver {
            Some(r) => r.resolve(request).into_iter().collect(),
            None => self.client_certs.clone(),
        }
    }

    /// Where the session store keeps this configuration's sessions with
    /// `server_name` (a DNS name or an IP address): the name, and the scope
    /// of the configuration's verifier.
    pub fn session_key(&self, server_name: &str) -> Result<SessionKey, Error> {
        let name =
            pki_types::ServerName::try_from(server_name.trim_end_matches('.')).map_err(|_| {
                Error::Config(format!(
                    "{server_name:?} is not a valid DNS name or IP address"
                ))
            })?;
        Ok(self.session_key_for(&name))
    }

    pub(crate) fn session_key_for(&self, name: &pki_types::ServerName<'_>) -> SessionKey {
        let host = match name {
            pki_types::ServerName::DnsName(d) => d.as_ref().to_string(),
            pki_types::ServerName::IpAddress(ip) => {
                format!("{:?}", std::net::IpAddr::from(*ip))
            }
            _ => String::new(),
        };
        SessionKey::new(&host, self.trust_scope())
    }

    /// What this client trusts, as a digest: the X.509 verifier's scope,
    /// and with raw public keys the types accepted and their verifier's
    /// (a session made under one trust is never resumed under another).
    fn trust_scope(&self) -> [u8; 32] {
        let x509 = self.verifier.scope();
        let Some(rpk) = &self.server_rpk_verifier else {
            return x509;
        };
        let mut h = HashAlgorithm::Sha256.start();
        h.update(b"cloaktls server certificate types");
        h.update(&x509);
        h.update(&rpk.scope());
        for t in &self.server_cert_types {
            h.update(&[t.0]);
        }
        let mut out = [0u8; 32];
        out.copy_from_slice(&h.current());
        out
    }

    /// The signature schemes we accept in the server's handshake
    /// signature, in preference order: those of the verifiers of the
    /// certificate types we accept (the X.509 verifier's first, unless it
    /// is raw public keys alone), restricted to those configured.
    pub(crate) fn signature_schemes(&self) -> Vec<SignatureScheme> {
        let mut all = Vec::new();
        for t in &self.server_cert_types {
            let theirs = match (*t, &self.server_rpk_verifier) {
                (CertificateType::RAW_PUBLIC_KEY, Some(v)) => v.supported_schemes(),
                (CertificateType::RAW_PUBLIC_KEY, None) => Vec::new(),
                _ => self.verifier.supported_schemes(),
            };
            for s in theirs {
                if !all.contains(&s) {
                    all.push(s);
                }
            }
        }
        match &self.schemes {
            Some(only) => all.into_iter().filter(|s| only.contains(s)).collect(),
            None => all,
        }
    }
}

/// Builds a [`ClientConfig`].
#[derive(Debug, Clone)]
pub struct ClientConfigBuilder {
    config: ClientConfig,
    choices: Choices,
}

impl ClientConfigBuilder {
    pub(crate) fn new(verifier: Arc<dyn ServerCertVerifier>) -> Self {
        let choices = Choices::default();
        ClientConfigBuilder {
            config: ClientConfig {
                versions: choices.versions.clone(),
                suites: Vec::new(),
                key_exchange: KeyExchangeSet::defaults(),
                schemes: None,
                policy: None,
                cert_compression: crate::crypto::compress::supported(),
                compressed_certs: super::CompressionCache::default(),
                verifier,
                server_cert_types: vec![CertificateType::X509],
                server_rpk_verifier: None,
                client_cert_types: None,
                client_certs: Vec::new(),
                cert_resolver: None,
                reverify_on_resume: false,
                alpn: Vec::new(),
                enable_sni: true,
                random: Arc::new(SystemRandom::new()),
                time: Arc::new(SystemClock),
                key_log: None,
                require_ems: true,
                record_size_limit: None,
                max_fragment_len: choices.max_fragment_len,
                compatibility_mode: true,
                signature_algorithms_cert: Vec::new(),
                certificate_authorities: Vec::new(),
                session_store: Some(Arc::new(MemorySessionCache::new(256))),
                early_data: false,
                false_start: false,
                grease: false,
                permute_extensions: false,
                key_shares: None,
                server_groups_hint: None,
                trace: Trace::Off,
                psk_ke: false,
                #[cfg(feature = "testkit")]
                shaper: None,
                request_ocsp: false,
                request_sct: false,
                ech: None,
                ech_grease: false,
                external_psks: Vec::new(),
                psk_only: false,
            },
            choices,
        }
    }

    /// The versions to offer (TLS 1.3 and 1.2 by default).
    pub fn versions(mut self, versions: &[ProtocolVersion]) -> Self {
        self.choices.versions = versions.to_vec();
        self
    }

    /// The cipher suites to offer, in preference order, by their registry
    /// names (`CipherSuite::TLS13_AES_128_GCM_SHA256`, ...). One cloaktls
    /// does not implement is an error from `build()` that lists those it
    /// does.
    pub fn cipher_suites(mut self, suites: &[CipherSuite]) -> Self {
        self.choices.suites = Some(suites.to_vec());
        self
    }

    /// The key exchange groups to offer, in preference order; the first
    /// gets a key share. One cloaktls does not implement is an error from
    /// `build()`.
    pub fn groups(mut self, groups: &[NamedGroup]) -> Self {
        self.choices.groups = Some(groups.to_vec());
        self
    }

    /// The groups that get a key share in the first ClientHello, instead
    /// of the first group's (with a classical share beside a post-quantum
    /// one): each must be one of [`ClientConfigBuilder::groups`], and
    /// they go in that order (RFC 8446 §4.2.8). More shares save a
    /// HelloRetryRequest with a server that prefers another group, at the
    /// cost of their bytes and key generation; none at all asks the server
    /// to choose with a HelloRetryRequest.
    pub fn key_shares(mut self, groups: &[NamedGroup]) -> Self {
        self.config.key_shares = Some(groups.to_vec());
        self
    }

    /// What the server is said to support (from a DNS HTTPS record's
    /// tls-supported-groups, draft-ietf-tls-key-share-prediction), its
    /// preference first: the first ClientHello carries one key share, for
    /// the first of our groups the hint names, in place of
    /// [`ClientConfigBuilder::key_shares`]; groups we do not know are
    /// ignored, and when the hint names none of ours the key shares are
    /// chosen as without it. A wrong hint costs a HelloRetryRequest,
    /// nothing more.
    pub fn server_groups_hint(mut self, groups: &[NamedGroup]) -> Self {
        self.config.server_groups_hint = Some(groups.to_vec());
        self
    }

    /// The signature schemes to accept in the server's handshake
    /// signature (all that the verifier supports by default).
    pub fn signature_schemes(mut self, schemes: &[SignatureScheme]) -> Self {
        self.choices.schemes = Some(schemes.to_vec());
        self
    }

    /// ALPN protocols to offer, in preference order (`["h2", "http/1.1"]`).
    pub fn alpn_protocols<I>(mut self, protocols: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<[u8]>,
    {
        self.config.alpn = alpn_list(protocols);
        self
    }

    /// A client certificate chain and key for servers that ask; call it
    /// again to offer several (the first that fits the server's request is
    /// sent). A raw public key credential ([`CertifiedKey::raw_public_key`])
    /// is offered too, in client_certificate_type (RFC 7250 §4.1), and
    /// sent to servers that choose RawPublicKey.
    pub fn client_certificate(mut self, cert: CertifiedKey) -> Self {
        self.config.client_certs.push(cert);
        self
    }

    /// The client certificate types to offer in client_certificate_type,
    /// our preference first (RFC 7250 §4.1): by default those of the
    /// credentials given with [`ClientConfigBuilder::client_certificate`],
    /// in their order (X.509 alone, the default, is not announced). Set
    /// them when a [`ClientConfigBuilder::client_certificate_resolver`]
    /// has raw public keys to give.
    pub fn client_certificate_types(mut self, types: &[CertificateType]) -> Self {
        self.config.client_cert_types = Some(types.to_vec());
        self
    }

    /// Accepts a raw public key (RFC 7250) from the server too, verified by
    /// `verifier` (a [`crate::verify::PinnedRawPublicKeys`], say): the
    /// client offers server_certificate_type RawPublicKey before X.509
    /// (change the order with
    /// [`ClientConfigBuilder::server_certificate_types`]). For raw public
    /// keys alone, start from [`ClientConfig::builder_raw_public_keys`].
    pub fn server_raw_public_keys(mut self, verifier: Arc<dyn RawPublicKeyVerifier>) -> Self {
        self.config.server_rpk_verifier = Some(verifier);
        if self.config.server_cert_types == [CertificateType::X509] {
            self.config.server_cert_types =
                vec![CertificateType::RAW_PUBLIC_KEY, CertificateType::X509];
        }
        self
    }

    /// The server certificate types to accept, our preference first (RFC
    /// 7250 §4.1): X.509 alone by default, when server_certificate_type is
    /// not sent. RawPublicKey needs
    /// [`ClientConfigBuilder::server_raw_public_keys`]; a server that
    /// picks a type not listed, or sends X.509 when it is not, is refused
    /// with unsupported_certificate.
    pub fn server_certificate_types(mut self, types: &[CertificateType]) -> Self {
        self.config.server_cert_types = types.to_vec();
        self
    }

    /// Chooses the client certificate when a server asks for one, instead
    /// of the fixed ones of [`ClientConfigBuilder::client_certificate`].
    pub fn client_certificate_resolver(mut self, resolver: Arc<dyn ResolvesClientCert>) -> Self {
        self.config.cert_resolver = Some(resolver);
        self
    }

    /// Verifies a resumed session's certificate chain again (off by
    /// default): the chain of the full handshake that made the session,
    /// for the same server name, at the time now, as if it had just
    /// arrived, so that a certificate that has expired or lost its trust
    /// since ends the resumption with the verifier's error. When 0-RTT is
    /// to be sent the check comes first, before anything is sent
    /// ([`crate::ClientConnection::new`] fails).
    pub fn reverify_on_resume(mut self, on: bool) -> Self {
        self.config.reverify_on_resume = on;
        self
    }

    /// Whether to send server_name (on by default; never sent for IP
    /// addresses, RFC 6066 §3).
    pub fn sni(mut self, enable: bool) -> Self {
        self.config.enable_sni = enable;
        self
    }

    /// The clock used for certificate validity and ticket ages.
    pub fn time(mut self, time: Arc<dyn TimeSource>) -> Self {
        self.config.time = time;
        self
    }

    /// Where to log secrets (SSLKEYLOGFILE format); off by default.
    pub fn key_log(mut self, key_log: Arc<dyn KeyLog>) -> Self {
        self.config.key_log = Some(key_log);
        self
    }

    /// Announces record_size_limit (RFC 8449) with this value (64 to
    /// 16385): the server must then send records no larger.
    pub fn record_size_limit(mut self, limit: u16) -> Self {
        self.choices.record_size_limit = Some(limit);
        self
    }

    /// The largest plaintext fragment to send (1 to 16384 bytes).
    pub fn max_fragment_len(mut self, len: usize) -> Self {
        self.choices.max_fragment_len = len;
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
    pub fn signature_algorithms_cert(mut self, schemes: &[SignatureScheme]) -> Self {
        self.config.signature_algorithms_cert = schemes.to_vec();
        self
    }

    /// Sends certificate_authorities (RFC 8446 §4.2.4): the DER
    /// distinguished names of the authorities whose certificates we
    /// accept, for a server with several chains to choose from (one per
    /// CA, say). None by default: a public root store is too large to
    /// list. A server keeps to these names only for a credential marked
    /// [`crate::CertifiedKey::with_must_match_issuer`]; otherwise they guide
    /// its choice.
    pub fn certificate_authorities(mut self, names: Vec<Vec<u8>>) -> Self {
        self.config.certificate_authorities = names;
        self
    }

    /// Where sessions are kept for resumption (an in-memory cache of 256
    /// server names by default; share one store between configs to share
    /// sessions: they are kept apart by the verifier's roots). `None`
    /// turns resumption off. TLS 1.3 tickets arrive after the handshake,
    /// so a connection must read a little after it (the blocking stream's
    /// `close` does) for a later one to resume.
    pub fn session_store(mut self, store: Option<Arc<dyn ClientSessionStore>>) -> Self {
        self.config.session_store = store;
        self
    }

    /// Records an event trace on each connection from its first byte (see
    /// [`crate::Connection::take_trace`]): records, messages, state
    /// changes. Secrets are left out unless `danger::trace_secrets` asks
    /// for them.
    pub fn trace(mut self, on: bool) -> Self {
        self.config.trace = if on { Trace::On } else { Trace::Off };
        self
    }

    /// Offers 0-RTT early data when a ticket allows it (off by default:
    /// early data can be replayed, RFC 8446 §8). Send it with
    /// [`crate::Connection::send_early_data`].
    pub fn early_data(mut self, on: bool) -> Self {
        self.config.early_data = on;
        self
    }

    /// TLS 1.2 False Start (RFC 7918): after a full handshake's Finished,
    /// application data goes out at once instead of a round trip later,
    /// once the server's Finished has come. Off by default. It applies
    /// only where RFC 7918 §3 and §4 allow: an ECDHE key exchange, an
    /// AEAD suite (all that cloaktls negotiates) and a server
    /// authenticated by its certificate; and, as browsers do, only when
    /// ALPN was negotiated, the sign of a server that expects it. The
    /// data is protected by keys an active attacker may have chosen the
    /// weakest parameters for among those we offer (RFC 7918 §5): our
    /// groups and suites are all strong. TLS 1.3 needs none of it (its
    /// client sends after one round trip already).
    pub fn false_start(mut self, on: bool) -> Self {
        self.config.false_start = on;
        self
    }

    /// GREASE (RFC 8701): each ClientHello carries reserved values a
    /// server must ignore, in its cipher suites, supported_groups (with a
    /// one-byte key share), supported_versions, signature_algorithms and
    /// two extensions, drawn anew for each connection; a second
    /// ClientHello keeps them but for the key share, which the server's
    /// choice replaces (RFC 8446 §4.1.2). It keeps servers from growing
    /// intolerant of values they do not know, as browsers do; a server
    /// that chooses or answers one of them is refused. Off by default.
    pub fn grease(mut self, on: bool) -> Self {
        self.config.grease = on;
        self
    }

    /// Sends the ClientHello's extensions in a random order, drawn anew for
    /// each connection (pre_shared_key stays last, RFC 8446 §4.2.11), as
    /// browsers do so that servers cannot come to depend on one order.
    /// Off by default (the order is then RFC 8448's).
    pub fn permute_extensions(mut self, on: bool) -> Self {
        self.config.permute_extensions = on;
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

    /// Offers Encrypted Client Hello (RFC 9849) with this ECHConfigList
    /// (from the server's DNS HTTPS record): the server name, ALPN and the
    /// rest of the real ClientHello are encrypted to the server's key, and
    /// only the config's public name shows. If the server does not accept
    /// it, the handshake fails with [`Error::EchRejected`], which carries
    /// the server's retry configs. ECH needs TLS 1.3; a list with no config
    /// cloaktls can use is an error from `build()` (a client with no usable
    /// config should send GREASE ECH instead, see
    /// [`ClientConfigBuilder::ech_grease`]).
    pub fn ech(mut self, configs: EchConfigList) -> Self {
        self.config.ech = Some(configs);
        self
    }

    /// Offers an external PSK (RFC 9846 §2.2, §4.3.11) in every TLS 1.3
    /// ClientHello, after a resumption ticket if there is one and after
    /// the PSKs added before; call it again for more. The server may
    /// select it instead of authenticating with a certificate (which this
    /// configuration then need not verify), or ignore it. Its 0-RTT, if
    /// provisioned, is used only when it is the first PSK offered (no
    /// ticket) and [`ClientConfigBuilder::early_data`] is on.
    pub fn external_psk(mut self, psk: ExternalPsk) -> Self {
        self.config.external_psks.push(psk);
        self
    }

    /// Sends a GREASE `encrypted_client_hello` extension (RFC 9849 §6.2)
    /// when no ECH config is set, so that connections with and without ECH
    /// look alike. Off by default; never sent when only TLS 1.2 is offered.
    pub fn ech_grease(mut self, on: bool) -> Self {
        self.config.ech_grease = on;
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
    pub fn build(self) -> Result<Arc<ClientConfig>, Error> {
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
        config.key_exchange = r.key_exchange;
        config.schemes = r.schemes;
        if let Some(groups) = &config.key_shares {
            // The same check as the hello's, at build time.
            config.key_exchange.check_key_share_groups(groups)?;
        }
        config.max_fragment_len = self.choices.max_fragment_len;
        config.record_size_limit = self.choices.record_size_limit;
        check_alpn(&config.alpn)?;
        for c in &config.client_certs {
            c.check()?;
        }
        check_certificate_types(
            "server",
            &config.server_cert_types,
            config.server_rpk_verifier.is_some(),
        )?;
        if let Some(t) = &config.client_cert_types {
            check_certificate_types("client", t, true)?;
        }
        if let Some(list) = &config.ech {
            if !list.is_usable() {
                return Err(Error::Config(
                    "the ECHConfigList has no config cloaktls can use (version 0xfe0d, \
                     the X25519 KEM, an HPKE suite it implements, a valid public name)"
                        .into(),
                ));
            }
            if !config.versions.contains(&ProtocolVersion::TLSV1_3) {
                return Err(Error::Config("Encrypted Client Hello needs TLS 1.3".into()));
            }
        }
        check_external_psks(&config)?;
        if config.psk_only {
            config.verifier = Arc::new(PskOnly {
                scope: ExternalPsk::scope(&config.external_psks),
            });
        }
        if config.signature_schemes().is_empty() {
            return Err(Error::Config(
                "none of the signature schemes is one the verifier accepts".into(),
            ));
        }
        Ok(Arc::new(config))
    }
}

/// Checks a list of certificate types to offer or accept: not empty, no
/// type twice, X.509 and RawPublicKey only (RFC 7250; OpenPGP is not
/// implemented, and RFC 8446 §4.4.2 forbids it in TLS 1.3), and
/// RawPublicKey only with a verifier for it (`rpk_ready`).
pub(super) fn check_certificate_types(
    whose: &str,
    types: &[CertificateType],
    rpk_ready: bool,
) -> Result<(), Error> {
    if types.is_empty() {
        return Err(Error::Config(format!("no {whose} certificate type")));
    }
    for (i, t) in types.iter().enumerate() {
        if types[..i].contains(t) {
            return Err(Error::Config(format!(
                "the {whose} certificate type {t:?} is listed twice"
            )));
        }
        match *t {
            CertificateType::X509 => {}
            CertificateType::RAW_PUBLIC_KEY if rpk_ready => {}
            CertificateType::RAW_PUBLIC_KEY => {
                return Err(Error::Config(format!(
                    "{whose} raw public keys need a verifier (a RawPublicKeyVerifier, such as \
                     PinnedRawPublicKeys)"
                )))
            }
            other => {
                return Err(Error::Config(format!(
                    "the certificate type {other:?} is not implemented; cloaktls has X509 and \
                     RawPublicKey"
                )))
            }
        }
    }
    Ok(())
}

/// External PSKs need TLS 1.3 (and a PSK-only client nothing else), and a
/// PSK used directly a TLS 1.3 suite of its hash (RFC 9846 §4.3.11).
fn check_external_psks(config: &ClientConfig) -> Result<(), Error> {
    if config.external_psks.is_empty() {
        return Ok(());
    }
    if !config.versions.contains(&ProtocolVersion::TLSV1_3) {
        return Err(Error::Config("external PSKs need TLS 1.3".into()));
    }
    if config.psk_only && config.versions.contains(&ProtocolVersion::TLSV1_2) {
        return Err(Error::Config(
            "a client that authenticates servers by PSK only speaks TLS 1.3 \
             (TLS 1.2's PSK cipher suites are not implemented)"
                .into(),
        ));
    }
    for p in &config.external_psks {
        let fits = config
            .suites
            .iter()
            .any(|s| matches!(s, SupportedSuite::Tls13(t) if t.hash == p.hash()));
        if p.import_context().is_none() && !fits {
            return Err(Error::Config(format!(
                "the external PSK {:?} is bound to {:?}, and no TLS 1.3 suite of that hash is enabled",
                String::from_utf8_lossy(p.identity()),
                p.hash()
            )));
        }
    }
    Ok(())
}
