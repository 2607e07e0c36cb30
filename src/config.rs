//! Client and server configuration, with secure defaults: TLS 1.3 and 1.2,
//! AEAD suites only, X25519/P-256/P-384, peer verification on, extended
//! master secret required.
//!
//! Each setting has one way in, on the builder; what is wrong is an error
//! from `build()`, never a silent change. What weakens security (no
//! verification, a custom verifier or randomness, TLS 1.2 without the
//! extended master secret, psk_ke, secrets in the trace) is not here but in
//! [`crate::danger`].

use crate::crypto::kx::KeyExchangeSet;
use crate::crypto::sign::{RingSigningKey, SigningKey, SUPPORTED_SCHEMES};
use crate::crypto::suites::{lookup, SupportedSuite, ALL_SUITES};
use crate::crypto::HashAlgorithm;
use crate::error::Error;
use crate::msgs::enums::{
    CertificateCompressionAlgorithm, CertificateType, CipherSuite, NamedGroup, ProtocolVersion,
    SignatureScheme,
};
use crate::record::MAX_FRAGMENT_LEN;
use crate::verify::{
    certinfo, ClientCertVerifier, RootStore, SubjectPublicKeyInfoDer, WebPkiClientVerifier,
};
use pki_types::CertificateDer;
use std::fmt::Debug;
use std::io::Write;
use std::sync::{Arc, Mutex};

/// Rewrites an outgoing handshake message before it is encoded, before
/// it enters the transcript and (for a ClientHello) before its PSK
/// binders are computed: the hook that lets the test kit replay a
/// handshake recorded from another implementation byte for byte (RFC
/// 8448's traces). Only with the `testkit` feature; see
/// [`crate::danger::replay`].
#[cfg(feature = "testkit")]
pub trait MessageShaper: Send + Sync + Debug {
    /// Rewrites `message` in place. Changing its type is an error.
    fn shape(&self, message: &mut crate::msgs::handshake::HandshakePayload);
}

/// A credential: a certificate chain and the private key of its first
/// certificate, or a raw public key (RFC 7250) and its private key.
#[derive(Debug, Clone)]
pub struct CertifiedKey {
    /// The chain, end entity first, DER; empty for a raw public key.
    pub chain: Vec<CertificateDer<'static>>,
    /// The end entity's private key.
    pub key: Arc<dyn SigningKey>,
    /// An OCSP response for the end entity (DER), stapled for clients that
    /// ask with status_request (RFC 6066 §8, RFC 8446 §4.4.2.1).
    pub ocsp_response: Option<Vec<u8>>,
    /// A SignedCertificateTimestampList for the end entity (RFC 6962
    /// §3.3), sent to clients that ask with signed_certificate_timestamp.
    pub sct_list: Option<Vec<u8>>,
    /// For a raw public key credential (RFC 7250 §3): the key's DER
    /// SubjectPublicKeyInfo, sent in place of a chain to a peer that
    /// negotiated the RawPublicKey certificate type; `None` for an X.509
    /// credential. See [`CertifiedKey::raw_public_key`].
    pub raw_public_key: Option<SubjectPublicKeyInfoDer<'static>>,
    /// Whether this credential goes only to a peer that named the issuer
    /// of a certificate of its chain in certificate_authorities (RFC 8446
    /// §4.2.4): for a chain from a CA that not every client trusts. See
    /// [`CertifiedKey::with_must_match_issuer`].
    pub must_match_issuer: bool,
}

impl CertifiedKey {
    /// A chain with its key. Whether they belong together is checked when
    /// a configuration is built.
    pub fn new(chain: Vec<CertificateDer<'static>>, key: Arc<dyn SigningKey>) -> Self {
        CertifiedKey {
            chain,
            key,
            ocsp_response: None,
            sct_list: None,
            raw_public_key: None,
            must_match_issuer: false,
        }
    }

    /// A raw public key credential (RFC 7250): `key` and its
    /// SubjectPublicKeyInfo, derived from the key (no certificate, no
    /// chain). It is sent to peers that negotiate the RawPublicKey
    /// certificate type (RFC 7250 §4.2), and it fits no other. An error if
    /// the key cannot say its public key (see
    /// [`SigningKey::public_key`]): give the SubjectPublicKeyInfo with
    /// [`CertifiedKey::with_raw_public_key`] then.
    pub fn raw_public_key(key: Arc<dyn SigningKey>) -> Result<Self, Error> {
        let spki = crate::crypto::sign::subject_public_key_info(key.as_ref()).ok_or_else(|| {
            Error::Config(
                "the key does not say its public key, so its SubjectPublicKeyInfo cannot be \
                 derived; give it with CertifiedKey::with_raw_public_key"
                    .into(),
            )
        })?;
        Self::with_raw_public_key(SubjectPublicKeyInfoDer::from(spki), key)
    }

    /// A raw public key credential (RFC 7250) of `key` and its DER
    /// SubjectPublicKeyInfo `spki`; an error if `spki` does not parse or,
    /// where the key can say, is not the key's.
    pub fn with_raw_public_key(
        spki: SubjectPublicKeyInfoDer<'static>,
        key: Arc<dyn SigningKey>,
    ) -> Result<Self, Error> {
        let ck = CertifiedKey {
            raw_public_key: Some(spki),
            ..CertifiedKey::new(Vec::new(), key)
        };
        ck.check()?;
        Ok(ck)
    }

    /// Offers this credential only to a peer whose certificate_authorities
    /// (RFC 8446 §4.2.4: a ClientHello's, or a CertificateRequest's) names
    /// the issuer of one of its chain's certificates; without that the
    /// next credential is tried. Credentials whose issuer the peer names
    /// are preferred in any case.
    pub fn with_must_match_issuer(mut self) -> Self {
        self.must_match_issuer = true;
        self
    }

    /// Whether `authorities` (DER distinguished names, as
    /// certificate_authorities carries them) names the issuer of a
    /// certificate of the chain. A raw public key has no issuer.
    pub fn issuer_named_in(&self, authorities: &[Vec<u8>]) -> bool {
        self.chain.iter().any(|cert| {
            crate::verify::certinfo::issuer_and_subject(cert.as_ref())
                .is_some_and(|(issuer, _)| authorities.contains(&crate::verify::wrap_name(issuer)))
        })
    }

    /// Whether this credential may go to a peer that sent `authorities`
    /// (`None`: it sent no certificate_authorities).
    pub(crate) fn fits_authorities(&self, authorities: Option<&[Vec<u8>]>) -> bool {
        !self.must_match_issuer || authorities.is_some_and(|a| self.issuer_named_in(a))
    }

    /// The certificate type this credential is sent as (RFC 7250 §3):
    /// RawPublicKey for a raw public key, X509 otherwise.
    pub fn certificate_type(&self) -> CertificateType {
        match self.raw_public_key {
            Some(_) => CertificateType::RAW_PUBLIC_KEY,
            None => CertificateType::X509,
        }
    }

    /// The named curve of the credential's ECDSA key (RFC 5480 §2.1.1),
    /// from its end-entity certificate or its raw public key.
    pub(crate) fn ec_curve(&self) -> Option<NamedGroup> {
        match (&self.raw_public_key, self.chain.first()) {
            (Some(spki), _) => match certinfo::key_algorithm(spki)? {
                certinfo::KeyAlgorithm::Ecdsa(curve) => curve,
                _ => None,
            },
            (None, Some(ee)) => certinfo::ec_curve(ee.as_ref()),
            (None, None) => None,
        }
    }

    /// A chain of DER certificates and a DER private key (PKCS#8, or PKCS#1
    /// for RSA); an error if the chain is empty or the key is not the end
    /// entity's.
    pub fn from_der(chain: Vec<Vec<u8>>, key_der: &[u8]) -> Result<Self, Error> {
        let key = RingSigningKey::from_der(key_der)?;
        let ck = CertifiedKey::new(
            chain.into_iter().map(CertificateDer::from).collect(),
            Arc::new(key),
        );
        ck.check()?;
        Ok(ck)
    }

    /// Checks that the chain is not empty and, where the key can say, that
    /// the key is the end entity's (as Python's `load_cert_chain` does):
    /// a mismatch would otherwise show only at the peer, as a signature
    /// that does not verify.
    pub fn check(&self) -> Result<(), Error> {
        if let Some(spki) = &self.raw_public_key {
            return self.check_raw_public_key(spki);
        }
        let Some(ee) = self.chain.first() else {
            return Err(Error::Config("the certificate chain is empty".into()));
        };
        let Some(key) = self.key.public_key() else {
            return Ok(());
        };
        let in_cert = certinfo::public_key_bits(ee.as_ref())
            .ok_or_else(|| Error::Config("the end-entity certificate could not be read".into()))?;
        if in_cert != key {
            let subject = certinfo::summarize(ee.as_ref())
                .and_then(|s| s.common_name().map(|cn| format!(" (CN={cn})")))
                .unwrap_or_default();
            return Err(Error::Config(format!(
                "the private key does not belong to the certificate{subject}: \
                 the certificate holds another public key; check that the key file \
                 is the one made with this certificate"
            )));
        }
        Ok(())
    }

    /// [`CertifiedKey::check`] for a raw public key: no chain beside it, no
    /// OCSP response or SCTs (they are about a certificate), a
    /// SubjectPublicKeyInfo that parses, and, where the key can say, the
    /// key's.
    fn check_raw_public_key(&self, spki: &SubjectPublicKeyInfoDer<'_>) -> Result<(), Error> {
        if !self.chain.is_empty() {
            return Err(Error::Config(
                "a raw public key credential has no certificate chain".into(),
            ));
        }
        if self.ocsp_response.is_some() || self.sct_list.is_some() {
            return Err(Error::Config(
                "OCSP responses and SCTs are about a certificate; a raw public key has none".into(),
            ));
        }
        crate::verify::check_raw_public_key(spki)
            .map_err(|e| Error::Config(format!("the raw public key does not parse: {e}")))?;
        let Some(key) = self.key.public_key() else {
            return Ok(());
        };
        if certinfo::raw_public_key_bits(spki) != Some(key) {
            return Err(Error::Config(
                "the private key does not belong to the raw public key (its \
                 SubjectPublicKeyInfo holds another key)"
                    .into(),
            ));
        }
        Ok(())
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
    /// Opens (appending to) `path`. A new file is made readable and
    /// writable by its owner only (mode 0600 on Unix): it holds every
    /// session's keys.
    pub fn open(path: impl AsRef<std::path::Path>) -> Result<Self, Error> {
        let mut options = std::fs::OpenOptions::new();
        options.create(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options
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

impl ClientAuth {
    /// Client certificates required, verified against `roots`.
    pub fn required(roots: RootStore) -> Self {
        ClientAuth::Required(Arc::new(WebPkiClientVerifier::new(Arc::new(roots))))
    }

    /// Client certificates asked for and verified against `roots` when a
    /// client sends one; a client without one is let in.
    pub fn optional(roots: RootStore) -> Self {
        ClientAuth::Optional(Arc::new(WebPkiClientVerifier::new(Arc::new(roots))))
    }

    /// A digest of the policy: none, optional or required, and the
    /// verifier's scope. Sessions are resumed only under the same policy.
    pub(crate) fn scope(&self) -> [u8; 32] {
        let (mode, scope) = match self {
            ClientAuth::None => (0u8, [0u8; 32]),
            ClientAuth::Optional(v) => (1, v.scope()),
            ClientAuth::Required(v) => (2, v.scope()),
        };
        let mut out = [0u8; 32];
        out.copy_from_slice(&HashAlgorithm::Sha256.hash(&[&[mode][..], &scope].concat()));
        out
    }
}

/// How much of a connection's life its trace records (see
/// [`crate::Connection::take_trace`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Trace {
    Off,
    On,
    /// With every derived secret, through `danger::trace_secrets`.
    WithSecrets,
}

/// Certificate bodies compressed once (RFC 8879), shared by a
/// configuration's connections: keyed by the algorithm and a SHA-256 of
/// the uncompressed body, at most [`CompressionCache::CAPACITY`] of them.
#[derive(Debug, Clone, Default)]
pub(crate) struct CompressionCache(Arc<std::sync::Mutex<Vec<Compressed>>>);

/// One compressed body: its algorithm, the SHA-256 of what it compresses,
/// and the compressed bytes.
type Compressed = (CertificateCompressionAlgorithm, [u8; 32], Arc<Vec<u8>>);

impl CompressionCache {
    /// A configuration's chains, each with or without a stapled OCSP
    /// response and SCTs, in each algorithm: a handful.
    pub(crate) const CAPACITY: usize = 32;

    /// `body` compressed with `alg`, from the cache or made now.
    pub(crate) fn get(
        &self,
        alg: CertificateCompressionAlgorithm,
        body: &[u8],
    ) -> Option<Arc<Vec<u8>>> {
        let digest = crate::crypto::HashAlgorithm::Sha256.hash(body);
        let mut key = [0u8; 32];
        key.copy_from_slice(&digest);
        if let Ok(entries) = self.0.lock() {
            if let Some((_, _, c)) = entries.iter().find(|(a, d, _)| *a == alg && *d == key) {
                return Some(c.clone());
            }
        }
        let compressed = Arc::new(crate::crypto::compress::compress(alg, body)?);
        if let Ok(mut entries) = self.0.lock() {
            if entries.len() >= Self::CAPACITY {
                entries.remove(0);
            }
            entries.push((alg, key, compressed.clone()));
        }
        Some(compressed)
    }
}

/// The certificate compression algorithms this build has (RFC 8879), in
/// our order of preference: each is a cargo feature, all on by default.
pub fn supported_certificate_compression() -> Vec<CertificateCompressionAlgorithm> {
    crate::crypto::compress::supported()
}

/// The versions, suites, groups and schemes a configuration allows, as
/// asked for; checked and resolved in `build()`.
#[derive(Debug, Clone)]
struct Choices {
    versions: Vec<ProtocolVersion>,
    suites: Option<Vec<CipherSuite>>,
    groups: Option<Vec<NamedGroup>>,
    custom_groups: Option<KeyExchangeSet>,
    schemes: Option<Vec<SignatureScheme>>,
    max_fragment_len: usize,
    record_size_limit: Option<u16>,
    policy: Option<Policy>,
}

impl Default for Choices {
    fn default() -> Self {
        Choices {
            versions: vec![ProtocolVersion::TLSV1_3, ProtocolVersion::TLSV1_2],
            suites: None,
            groups: None,
            custom_groups: None,
            schemes: None,
            max_fragment_len: MAX_FRAGMENT_LEN,
            record_size_limit: None,
            policy: None,
        }
    }
}

/// What `Choices` resolve to.
struct Resolved {
    policy: Option<Policy>,
    versions: Vec<ProtocolVersion>,
    suites: Vec<SupportedSuite>,
    key_exchange: KeyExchangeSet,
    schemes: Option<Vec<SignatureScheme>>,
}

pub(crate) fn names<T: Debug>(items: impl IntoIterator<Item = T>) -> String {
    items
        .into_iter()
        .map(|i| format!("{i:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Choices {
    /// Everything `policy` allows, and nothing else from now on.
    pub(crate) fn apply_policy(&mut self, policy: Policy) {
        self.versions = policy.versions().to_vec();
        self.suites = Some(policy.cipher_suites().to_vec());
        self.groups = Some(policy.groups().to_vec());
        self.custom_groups = None;
        self.schemes = Some(policy.signature_schemes().to_vec());
        self.policy = Some(policy);
    }

    /// Whether what was asked for stays within the policy, if there is one.
    fn check_policy(&self) -> Result<(), Error> {
        let Some(p) = self.policy else {
            return Ok(());
        };
        fn within<T: PartialEq + Debug>(
            what: &str,
            asked: &[T],
            allowed: &[T],
            p: Policy,
        ) -> Result<(), Error> {
            match asked.iter().find(|a| !allowed.contains(a)) {
                Some(a) => Err(Error::Config(format!(
                    "the {what} {a:?} is not allowed by policy {p}, which allows {}",
                    names(allowed)
                ))),
                None => Ok(()),
            }
        }
        within("version", &self.versions, p.versions(), p)?;
        within(
            "cipher suite",
            self.suites.as_deref().unwrap_or_default(),
            p.cipher_suites(),
            p,
        )?;
        within(
            "group",
            self.groups.as_deref().unwrap_or_default(),
            p.groups(),
            p,
        )?;
        within(
            "signature scheme",
            self.schemes.as_deref().unwrap_or_default(),
            p.signature_schemes(),
            p,
        )?;
        if let Some(custom) = &self.custom_groups {
            within("group", &custom.names(true), p.groups(), p)?;
        }
        Ok(())
    }

    fn resolve(&self) -> Result<Resolved, Error> {
        self.check_policy()?;
        if self.versions.is_empty() {
            return Err(Error::Config("no protocol version enabled".into()));
        }
        for v in &self.versions {
            if *v != ProtocolVersion::TLSV1_3 && *v != ProtocolVersion::TLSV1_2 {
                return Err(Error::Config(format!(
                    "{v:?} is not supported: cloaktls speaks TLS 1.2 and 1.3"
                )));
            }
        }
        let suites = self.resolve_suites()?;
        // Keep only the versions that have a suite.
        let versions: Vec<ProtocolVersion> = self
            .versions
            .iter()
            .copied()
            .filter(|v| {
                suites.iter().any(|s| match s {
                    SupportedSuite::Tls13(_) => *v == ProtocolVersion::TLSV1_3,
                    SupportedSuite::Tls12(_) => *v == ProtocolVersion::TLSV1_2,
                })
            })
            .collect();
        if versions.is_empty() {
            return Err(Error::Config(format!(
                "none of the cipher suites ({}) is for the enabled versions ({})",
                names(suites.iter().map(|s| s.suite())),
                names(&self.versions)
            )));
        }
        let key_exchange = match (&self.custom_groups, &self.groups) {
            (Some(custom), _) => custom.clone(),
            (None, Some(g)) => KeyExchangeSet::by_name(g)?,
            (None, None) => KeyExchangeSet::defaults(),
        };
        if key_exchange.is_empty() {
            return Err(Error::Config("no key exchange group".into()));
        }
        self.check_lengths()?;
        Ok(Resolved {
            policy: self.policy,
            versions,
            suites,
            key_exchange,
            schemes: self.resolve_schemes()?,
        })
    }

    fn resolve_suites(&self) -> Result<Vec<SupportedSuite>, Error> {
        let Some(asked) = &self.suites else {
            return Ok(ALL_SUITES.to_vec());
        };
        let mut out = Vec::with_capacity(asked.len());
        for s in asked {
            out.push(lookup(*s).ok_or_else(|| {
                Error::Config(format!(
                    "{s:?} is not a cipher suite cloaktls implements; the suites are {}",
                    names(ALL_SUITES.iter().map(|s| s.suite()))
                ))
            })?);
        }
        if out.is_empty() {
            return Err(Error::Config("no cipher suite enabled".into()));
        }
        Ok(out)
    }

    fn resolve_schemes(&self) -> Result<Option<Vec<SignatureScheme>>, Error> {
        let Some(asked) = &self.schemes else {
            return Ok(None);
        };
        for s in asked {
            if !SUPPORTED_SCHEMES.contains(s) {
                return Err(Error::Config(format!(
                    "{s:?} is not a signature scheme cloaktls implements; the schemes are {}",
                    names(SUPPORTED_SCHEMES)
                )));
            }
        }
        if asked.is_empty() {
            return Err(Error::Config("no signature scheme enabled".into()));
        }
        Ok(Some(asked.clone()))
    }

    fn check_lengths(&self) -> Result<(), Error> {
        if !(1..=MAX_FRAGMENT_LEN).contains(&self.max_fragment_len) {
            return Err(Error::Config(format!(
                "max_fragment_len must be 1 to {MAX_FRAGMENT_LEN} bytes, not {}",
                self.max_fragment_len
            )));
        }
        if let Some(l) = self.record_size_limit {
            // RFC 8449 §4: at least 64; at most 2^14 (+1 in TLS 1.3).
            if !(64..=MAX_FRAGMENT_LEN as u16 + 1).contains(&l) {
                return Err(Error::Config(format!(
                    "record_size_limit must be 64 to {}, not {l}",
                    MAX_FRAGMENT_LEN + 1
                )));
            }
        }
        Ok(())
    }
}

/// The ALPN names, checked: each 1 to 255 bytes (RFC 7301 §3.1).
fn alpn_list<I>(protocols: I) -> Vec<Vec<u8>>
where
    I: IntoIterator,
    I::Item: AsRef<[u8]>,
{
    protocols.into_iter().map(|p| p.as_ref().to_vec()).collect()
}

fn check_alpn(alpn: &[Vec<u8>]) -> Result<(), Error> {
    if alpn.iter().any(|p| p.is_empty() || p.len() > 255) {
        return Err(Error::Config(
            "an ALPN protocol name must be 1 to 255 bytes".into(),
        ));
    }
    Ok(())
}

/// The cipher suites cloaktls implements, in its default order.
pub fn supported_cipher_suites() -> Vec<CipherSuite> {
    ALL_SUITES.iter().map(|s| s.suite()).collect()
}

/// The key exchange groups cloaktls implements, in its default order.
pub fn supported_groups() -> Vec<NamedGroup> {
    crate::crypto::kx::supported_group_names()
}

/// The key exchange groups a configuration uses unless told otherwise, in
/// its order of preference (the hybrid post-quantum groups first).
pub fn default_groups() -> Vec<NamedGroup> {
    crate::crypto::kx::default_group_names()
}

/// The signature schemes cloaktls implements, in its default order.
pub fn supported_signature_schemes() -> Vec<SignatureScheme> {
    SUPPORTED_SCHEMES.to_vec()
}

mod client;
mod early_data;
mod ech;
mod policy;
mod psk;
mod server;

pub use client::{CertificateRequestInfo, ClientConfig, ClientConfigBuilder, ResolvesClientCert};
pub use early_data::EarlyDataReason;
pub(crate) use ech::ChosenEchConfig;
pub use ech::{EchConfigList, EchKey, EchStatus};
pub use policy::Policy;
pub use psk::{
    ExternalPsk, ExternalPskStore, MemoryPskStore, WirePsk, MAX_EXTERNAL_PSK_LEN,
    MIN_EXTERNAL_PSK_LEN,
};
pub use server::{ServerConfig, ServerConfigBuilder, MAX_EARLY_DATA};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_choices_are_errors_that_list_the_valid_ones() {
        let c = Choices {
            suites: Some(vec![CipherSuite(0x1234)]),
            ..Choices::default()
        };
        let e = c.resolve().err().unwrap().to_string();
        assert!(e.contains("TLS_AES_128_GCM_SHA256"), "{e}");
        let c = Choices {
            groups: Some(vec![NamedGroup::X448]),
            ..Choices::default()
        };
        let e = c.resolve().err().unwrap().to_string();
        assert!(e.contains("x25519"), "{e}");
        let c = Choices {
            max_fragment_len: 0,
            ..Choices::default()
        };
        assert!(c.resolve().is_err());
        let c = Choices {
            record_size_limit: Some(63),
            ..Choices::default()
        };
        assert!(c.resolve().is_err());
        let c = Choices {
            versions: vec![ProtocolVersion::TLSV1_2],
            suites: Some(vec![CipherSuite::TLS13_AES_128_GCM_SHA256]),
            ..Choices::default()
        };
        let e = c.resolve().err().unwrap().to_string();
        assert!(e.contains("enabled versions"), "{e}");
    }
}
