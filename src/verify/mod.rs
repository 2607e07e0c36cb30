//! Peer certificate verification through `rustls-webpki`: root stores, the
//! server and client verifiers, webpki's errors in plain words, and the
//! verification of raw public keys (RFC 7250).

mod cache;
mod rpk;
mod time;

pub use cache::DEFAULT_CAPACITY as DEFAULT_VERIFIED_CHAINS;
pub use pki_types::{CertificateDer, ServerName, UnixTime};
pub(crate) use rpk::{check_raw_public_key, RawPublicKeysOnly};
pub use rpk::{
    verify_raw_public_key_signature, PinnedRawPublicKeys, RawPublicKeyVerifier,
    SubjectPublicKeyInfoDer,
};
pub use time::{format_unix_time, SystemClock, TimeSource};

use cache::VerifiedChains;

use crate::crypto::sign::{verification_algorithms, SUPPORTED_SCHEMES, WEBPKI_ALGORITHMS};
use crate::crypto::HashAlgorithm;
use crate::error::{CertificateError, CertificateErrorKind, Error};
use crate::msgs::enums::{AlertDescription, ProtocolVersion, SignatureScheme};
use crate::msgs::Role;
use pki_types::TrustAnchor;
use std::fmt::Debug;
use std::sync::Arc;

/// A set of trusted root certificates.
#[derive(Debug, Clone, Default)]
pub struct RootStore {
    anchors: Vec<TrustAnchor<'static>>,
    subjects: Vec<Vec<u8>>,
}

impl RootStore {
    /// An empty store.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Adds a root certificate (DER).
    pub fn add(&mut self, der: &[u8]) -> Result<(), Error> {
        let cert = CertificateDer::from(der);
        let anchor = webpki::anchor_from_trusted_cert(&cert)
            .map_err(|e| Error::Config(format!("a root certificate could not be parsed: {e:?}")))?;
        self.subjects.push(wrap_name(anchor.subject.as_ref()));
        self.anchors.push(anchor.to_owned());
        Ok(())
    }

    /// Adds every certificate that parses, and returns (added, skipped).
    pub fn add_all<'a>(&mut self, ders: impl IntoIterator<Item = &'a [u8]>) -> (usize, usize) {
        let (mut ok, mut bad) = (0, 0);
        for der in ders {
            match self.add(der) {
                Ok(()) => ok += 1,
                Err(_) => bad += 1,
            }
        }
        (ok, bad)
    }

    /// Adds trust anchors as they are (webpki's form).
    pub fn add_anchors(&mut self, anchors: &[TrustAnchor<'_>]) {
        for a in anchors {
            self.subjects.push(wrap_name(a.subject.as_ref()));
            self.anchors.push(a.to_owned());
        }
    }

    /// Mozilla's root store, as the `webpki-roots` crate ships it.
    #[cfg(feature = "webpki-roots")]
    pub fn mozilla() -> Self {
        let mut store = RootStore::empty();
        store.add_anchors(webpki_roots::TLS_SERVER_ROOTS);
        store
    }

    /// The number of roots.
    pub fn len(&self) -> usize {
        self.anchors.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty()
    }

    /// The DER-encoded subject names of the roots, as sent in
    /// certificate_authorities (RFC 8446 §4.2.4).
    pub fn subjects(&self) -> &[Vec<u8>] {
        &self.subjects
    }

    fn anchors(&self) -> &[TrustAnchor<'static>] {
        &self.anchors
    }
}

/// webpki keeps a Name's contents without its SEQUENCE header; TLS sends
/// the whole DER Name.
pub(crate) fn wrap_name(contents: &[u8]) -> Vec<u8> {
    crate::codec::der_element(0x30, contents)
}

/// What a peer authenticated with: its end-entity certificate, or its raw
/// public key (RFC 7250).
#[derive(Debug, Clone, Copy)]
pub(crate) enum PeerKey<'a> {
    /// The end entity of an X.509 chain.
    Certificate(&'a CertificateDer<'static>),
    /// A raw public key.
    Raw(&'a SubjectPublicKeyInfoDer<'static>),
}

/// Checks a server's certificate chain. The default is
/// [`WebPkiServerVerifier`]; the opt-out is in [`crate::danger`].
pub trait ServerCertVerifier: Send + Sync + Debug {
    /// Verifies `end_entity` (with `intermediates`) for `server_name` at
    /// `now`. `ocsp_response` is the OCSP response the server stapled
    /// (empty if none): the verifier runs once it is known, after the TLS
    /// 1.2 CertificateStatus. A verifier that refuses the response returns
    /// [`Error::PeerMisbehaved`] with bad_certificate_status_response (RFC
    /// 6066 §8).
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<(), Error>;

    /// The schemes accepted in handshake signatures, in preference order.
    fn supported_schemes(&self) -> Vec<SignatureScheme> {
        SUPPORTED_SCHEMES.to_vec()
    }
    /// Checks a handshake signature made with `end_entity`'s key in
    /// `version` (a TLS 1.3 CertificateVerify, or a TLS 1.2
    /// ServerKeyExchange or CertificateVerify). The default is
    /// [`verify_signature`].
    fn verify_handshake_signature(
        &self,
        end_entity: &CertificateDer<'_>,
        scheme: SignatureScheme,
        message: &[u8],
        signature: &[u8],
        version: ProtocolVersion,
    ) -> Result<(), Error> {
        verify_signature(end_entity, scheme, message, signature, version)
    }

    /// What this verifier trusts, as a digest: sessions are resumed only
    /// under a verifier of the same scope, so that a session made under one
    /// trust (say, `danger`'s, which checks nothing) is never resumed under
    /// another. The default is this verifier object alone; the webpki
    /// verifiers give a digest of their roots.
    fn scope(&self) -> [u8; 32] {
        object_scope(
            std::any::type_name::<Self>(),
            (self as *const Self).cast::<()>() as usize,
        )
    }
}

/// Checks a client's certificate chain on a server.
pub trait ClientCertVerifier: Send + Sync + Debug {
    /// The DER subject names of acceptable roots, sent to the client in
    /// certificate_authorities.
    fn root_subjects(&self) -> Vec<Vec<u8>>;

    /// Verifies `end_entity` (with `intermediates`) at `now`.
    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<(), Error>;

    /// The schemes accepted in handshake signatures, in preference order.
    fn supported_schemes(&self) -> Vec<SignatureScheme> {
        SUPPORTED_SCHEMES.to_vec()
    }
    /// Checks a handshake signature made with `end_entity`'s key in
    /// `version` (a TLS 1.3 CertificateVerify, or a TLS 1.2
    /// ServerKeyExchange or CertificateVerify). The default is
    /// [`verify_signature`].
    fn verify_handshake_signature(
        &self,
        end_entity: &CertificateDer<'_>,
        scheme: SignatureScheme,
        message: &[u8],
        signature: &[u8],
        version: ProtocolVersion,
    ) -> Result<(), Error> {
        verify_signature(end_entity, scheme, message, signature, version)
    }

    /// What this verifier trusts, as a digest: sessions are resumed only
    /// under a verifier of the same scope, so that a session made under one
    /// trust (say, `danger`'s, which checks nothing) is never resumed under
    /// another. The default is this verifier object alone; the webpki
    /// verifiers give a digest of their roots.
    fn scope(&self) -> [u8; 32] {
        object_scope(
            std::any::type_name::<Self>(),
            (self as *const Self).cast::<()>() as usize,
        )
    }
}

/// The default server verifier: a path to one of `roots`, valid now, for
/// server authentication, and for the server's name.
///
/// It remembers the last [`DEFAULT_VERIFIED_CHAINS`] chains that verified
/// (by a digest of the name and every certificate's bytes, for as long as
/// every certificate is valid), so that connecting to the same server
/// again skips the path validation; the handshake signature is checked
/// every time. [`WebPkiServerVerifier::with_cache_capacity`] changes or
/// turns off (0) this.
#[derive(Debug, Clone)]
pub struct WebPkiServerVerifier(WebPki);

impl WebPkiServerVerifier {
    /// A verifier trusting `roots`.
    pub fn new(roots: Arc<RootStore>) -> Self {
        WebPkiServerVerifier(WebPki::new(roots, cache::DEFAULT_CAPACITY))
    }

    /// The same verifier remembering up to `chains` verified chains (0:
    /// every chain is validated in full, every time).
    pub fn with_cache_capacity(self, chains: usize) -> Self {
        WebPkiServerVerifier(WebPki::new(self.0.roots, chains))
    }
}

impl ServerCertVerifier for WebPkiServerVerifier {
    fn scope(&self) -> [u8; 32] {
        self.0.scope()
    }

    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<(), Error> {
        self.0.validate(
            end_entity,
            intermediates,
            now,
            Role::Server,
            Some(server_name),
        )
    }
}

/// The default client verifier: a path to one of `roots`, valid now, for
/// client authentication. Like [`WebPkiServerVerifier`] it remembers the
/// chains that verified.
#[derive(Debug, Clone)]
pub struct WebPkiClientVerifier(WebPki);

impl WebPkiClientVerifier {
    /// A verifier trusting `roots`.
    pub fn new(roots: Arc<RootStore>) -> Self {
        WebPkiClientVerifier(WebPki::new(roots, cache::DEFAULT_CAPACITY))
    }

    /// The same verifier remembering up to `chains` verified chains (0:
    /// none).
    pub fn with_cache_capacity(self, chains: usize) -> Self {
        WebPkiClientVerifier(WebPki::new(self.0.roots, chains))
    }
}

impl ClientCertVerifier for WebPkiClientVerifier {
    fn scope(&self) -> [u8; 32] {
        self.0.scope()
    }

    fn root_subjects(&self) -> Vec<Vec<u8>> {
        self.0.roots.subjects().to_vec()
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<(), Error> {
        self.0
            .validate(end_entity, intermediates, now, Role::Client, None)
    }
}

/// What both default verifiers are: roots, and the chains that verified
/// against them.
#[derive(Debug, Clone)]
pub(crate) struct WebPki {
    roots: Arc<RootStore>,
    verified: Arc<VerifiedChains>,
    /// A digest of the roots: what this verifier trusts.
    scope: [u8; 32],
}

impl WebPki {
    /// What this verifier trusts, as a digest of its roots.
    pub(crate) fn scope(&self) -> [u8; 32] {
        self.scope
    }

    pub(crate) fn new(roots: Arc<RootStore>, chains: usize) -> Self {
        let mut h = HashAlgorithm::Sha256.start();
        h.update(b"cloaktls webpki roots");
        for a in roots.anchors() {
            for part in [
                a.subject.as_ref(),
                a.subject_public_key_info.as_ref(),
                a.name_constraints.as_ref().map_or(&[][..], |n| n.as_ref()),
            ] {
                h.update(&(part.len() as u64).to_be_bytes());
                h.update(part);
            }
        }
        let mut scope = [0u8; 32];
        scope.copy_from_slice(&h.current());
        WebPki {
            roots,
            verified: Arc::new(VerifiedChains::new(chains)),
            scope,
        }
    }

    /// webpki's validation: a path from `end_entity` through
    /// `intermediates` to one of the roots, valid at `now`, with an
    /// extended key usage for `role`'s authentication, and for `name` if
    /// given; skipped for a chain remembered as valid.
    pub(crate) fn validate(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
        role: Role,
        name: Option<&ServerName<'_>>,
    ) -> Result<(), Error> {
        let usage = match role {
            Role::Server => webpki::KeyUsage::server_auth(),
            Role::Client => webpki::KeyUsage::client_auth(),
        };
        let key_name = name.map(|n| n.to_str());
        let key_name = key_name.as_deref().unwrap_or("").as_bytes();
        self.verified
            .check_or_remember(key_name, end_entity, intermediates, now, || {
                let cert = webpki::EndEntityCert::try_from(end_entity)
                    .map_err(|e| cert_error(e, end_entity, Some(role)))?;
                cert.verify_for_usage(
                    WEBPKI_ALGORITHMS,
                    self.roots.anchors(),
                    intermediates,
                    now,
                    usage,
                    None,
                    None,
                )
                .map_err(|e| cert_error(e, end_entity, Some(role)))?;
                if let Some(name) = name {
                    cert.verify_is_valid_for_subject_name(name)
                        .map_err(|e| cert_error(e, end_entity, Some(role)))?;
                }
                Ok(())
            })
    }
}

/// Checks a handshake signature made with `cert`'s key (TLS 1.3
/// CertificateVerify, or TLS 1.2 ServerKeyExchange and CertificateVerify).
/// A bad signature is decrypt_error (RFC 8446 §4.4.3).
pub fn verify_signature(
    cert: &CertificateDer<'_>,
    scheme: SignatureScheme,
    message: &[u8],
    signature: &[u8],
    version: ProtocolVersion,
) -> Result<(), Error> {
    let ee = webpki::EndEntityCert::try_from(cert).map_err(|e| cert_error(e, cert, None))?;
    // RFC 5280 §4.2.1.3: a key for signatures has digitalSignature.
    if !certinfo::allows_digital_signature(cert.as_ref()) {
        return Err(Error::InvalidCertificate(CertificateError {
            kind: CertificateErrorKind::WrongUsage,
            detail: "its keyUsage does not allow digital signatures".into(),
        }));
    }
    check_handshake_signature(scheme, version, |alg| {
        ee.verify_signature(alg, message, signature)
    })
}

/// Checks a handshake signature of `scheme` in `version` with `verify`,
/// which tries one webpki algorithm against the peer's key (a
/// certificate's, or a raw public key's): the scheme must be one `version`
/// allows (illegal_parameter), one of its algorithms must fit the key
/// (illegal_parameter), and the signature must verify (decrypt_error, RFC
/// 8446 §4.4.3).
pub(crate) fn check_handshake_signature(
    scheme: SignatureScheme,
    version: ProtocolVersion,
    verify: impl Fn(&dyn pki_types::SignatureVerificationAlgorithm) -> Result<(), webpki::Error>,
) -> Result<(), Error> {
    let algs = verification_algorithms(scheme, version);
    if algs.is_empty() {
        return Err(Error::peer(
            AlertDescription::ILLEGAL_PARAMETER,
            format!("the peer signed with {scheme:?}, which is not allowed here"),
        ));
    }
    // The key fits if any candidate algorithm got as far as checking the
    // signature itself.
    let mut key_fits = false;
    for alg in algs {
        match verify(*alg) {
            Ok(()) => return Ok(()),
            Err(webpki::Error::UnsupportedSignatureAlgorithmForPublicKeyContext(_)) => {}
            Err(_) => key_fits = true,
        }
    }
    Err(match key_fits {
        false => Error::peer(
            AlertDescription::ILLEGAL_PARAMETER,
            format!("the peer signed with {scheme:?}, which does not fit its key"),
        ),
        true => Error::peer(
            AlertDescription::DECRYPT_ERROR,
            format!("the peer's {scheme:?} handshake signature is invalid"),
        ),
    })
}

/// A verifier's scope made of its type and its address: the same object,
/// the same scope.
fn object_scope(type_name: &str, address: usize) -> [u8; 32] {
    let mut h = HashAlgorithm::Sha256.start();
    h.update(type_name.as_bytes());
    h.update(&(address as u64).to_be_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(&h.current());
    out
}

/// Turns a webpki error into a [`CertificateError`] in plain words;
/// `role` is the side whose certificate it is, if known.
pub(crate) fn cert_error(
    e: webpki::Error,
    end_entity: &CertificateDer<'_>,
    role: Option<Role>,
) -> Error {
    use webpki::Error as W;
    use CertificateErrorKind as K;
    let (kind, detail) = match &e {
        W::CertExpired { time, not_after } => (
            K::Expired,
            format!(
                "it expired on {}, and the time now is {}",
                format_unix_time(not_after.as_secs()),
                format_unix_time(time.as_secs())
            ),
        ),
        W::CertNotValidYet { time, not_before } => (
            K::NotYetValid,
            format!(
                "it becomes valid on {}, and the time now is {} (is the clock right?)",
                format_unix_time(not_before.as_secs()),
                format_unix_time(time.as_secs())
            ),
        ),
        W::CertNotValidForName(ctx) => {
            let names = certinfo::summarize(end_entity.as_ref())
                .map(|s| s.names())
                .unwrap_or_else(|| ctx.presented.clone());
            (
                K::NameMismatch,
                format!(
                    "we asked for {}, but the certificate is valid for {}",
                    server_name_text(&ctx.expected),
                    if names.is_empty() {
                        "no names at all".to_string()
                    } else {
                        names.join(", ")
                    }
                ),
            )
        }
        W::UnknownIssuer => {
            if is_self_signed(end_entity) {
                (
                    K::UnknownIssuer,
                    "it is self-signed and not in the trusted roots; add it (or its CA) to the roots, or pass a CA file".to_string(),
                )
            } else {
                (
                    K::UnknownIssuer,
                    "no chain leads to a trusted root; the peer may be missing an intermediate certificate, or its CA must be added to the roots".to_string(),
                )
            }
        }
        W::CertRevoked => (K::Revoked, String::new()),
        W::InvalidSignatureForPublicKey => {
            (K::BadSignature, "a chain signature does not verify".into())
        }
        W::RequiredEkuNotFoundContext(_) => (
            K::WrongUsage,
            match role {
                Some(Role::Server) => "its extended key usage does not allow TLS server \
                    authentication (it needs serverAuth, 1.3.6.1.5.5.7.3.1)"
                    .into(),
                Some(Role::Client) => "its extended key usage does not allow TLS client \
                    authentication (it needs clientAuth, 1.3.6.1.5.5.7.3.2)"
                    .into(),
                None => "its extended key usage does not allow this role".into(),
            },
        ),
        W::CaUsedAsEndEntity => (
            K::WrongUsage,
            "it is a CA certificate (basicConstraints CA:TRUE), used as the peer's own \
             certificate; issue a leaf certificate from that CA (CA:FALSE) and send that, \
             as `openssl req -x509` alone makes a CA"
                .into(),
        ),
        W::BadDer | W::BadDerTime | W::TrailingData(_) | W::UnsupportedCertVersion => {
            (K::BadEncoding, format!("{e:?}"))
        }
        _ => (K::Other, format!("{e:?}")),
    };
    Error::InvalidCertificate(CertificateError { kind, detail })
}

fn server_name_text(name: &ServerName<'_>) -> String {
    match name {
        ServerName::DnsName(d) => d.as_ref().to_string(),
        ServerName::IpAddress(ip) => format!("{:?}", std::net::IpAddr::from(*ip)),
        _ => "an unsupported name".into(),
    }
}

/// Whether a certificate's issuer equals its subject (a rough DER test).
fn is_self_signed(cert: &CertificateDer<'_>) -> bool {
    crate::verify::certinfo::issuer_and_subject(cert.as_ref())
        .map(|(i, s)| i == s)
        .unwrap_or(false)
}

pub mod certinfo;
