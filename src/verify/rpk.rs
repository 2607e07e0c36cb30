//! Raw public keys (RFC 7250): a peer that authenticates with a bare
//! SubjectPublicKeyInfo in place of a certificate chain. Nothing in the key
//! says whose it is, so trust in it comes from elsewhere, "an out-of-band
//! method" (RFC 7250 §4.3, §4.4): a [`RawPublicKeyVerifier`], by default
//! [`PinnedRawPublicKeys`], a set of keys known in advance.
//!
//! The handshake signature is checked against the key as against a
//! certificate's ([`verify_raw_public_key_signature`], the same table of
//! schemes as [`super::verify_signature`]).

use super::{check_handshake_signature, object_scope, ServerName, UnixTime};
use crate::crypto::sign::SUPPORTED_SCHEMES;
use crate::crypto::HashAlgorithm;
use crate::error::{CertificateError, CertificateErrorKind, Error};
use crate::msgs::enums::{AlertDescription, ProtocolVersion, SignatureScheme};
pub use pki_types::SubjectPublicKeyInfoDer;
use std::fmt::Debug;

/// Decides whether a peer's raw public key (RFC 7250) is trusted, and
/// checks the handshake signature made with it. Set one for the server's
/// key with [`crate::config::ClientConfigBuilder::server_raw_public_keys`]
/// and for clients' keys with
/// [`crate::config::ServerConfigBuilder::client_raw_public_keys`]; the
/// default is [`PinnedRawPublicKeys`], and the opt-out
/// (`danger::AcceptAnyRawPublicKey`) is in [`crate::danger`].
pub trait RawPublicKeyVerifier: Send + Sync + Debug {
    /// Verifies `key`, the peer's DER SubjectPublicKeyInfo (RFC 7250 §3),
    /// at `now`. `key` is well formed (checked before it gets here);
    /// `server_name` is the name the client asked for when `key` is the
    /// server's, `None` when it is a client's (a pin may be per server,
    /// which also guards against misbinding, RFC 9846 Appendix F.9). A
    /// refusal is [`Error::InvalidCertificate`], with
    /// [`CertificateErrorKind::UnknownRawPublicKey`] for a key the
    /// verifier does not know.
    fn verify_raw_public_key(
        &self,
        key: &SubjectPublicKeyInfoDer<'_>,
        server_name: Option<&ServerName<'_>>,
        now: UnixTime,
    ) -> Result<(), Error>;

    /// The schemes accepted in handshake signatures, in preference order.
    fn supported_schemes(&self) -> Vec<SignatureScheme> {
        SUPPORTED_SCHEMES.to_vec()
    }

    /// Checks a handshake signature made with `key` in `version` (a TLS 1.3
    /// CertificateVerify, RFC 8446 §4.4.3, or a TLS 1.2 ServerKeyExchange
    /// or CertificateVerify). The default is
    /// [`verify_raw_public_key_signature`].
    fn verify_handshake_signature(
        &self,
        key: &SubjectPublicKeyInfoDer<'_>,
        scheme: SignatureScheme,
        message: &[u8],
        signature: &[u8],
        version: ProtocolVersion,
    ) -> Result<(), Error> {
        verify_raw_public_key_signature(key, scheme, message, signature, version)
    }

    /// What this verifier trusts, as a digest: sessions are resumed only
    /// under a verifier of the same scope (see
    /// [`super::ServerCertVerifier::scope`]). The default is this verifier
    /// object alone; [`PinnedRawPublicKeys`] gives a digest of its keys.
    fn scope(&self) -> [u8; 32] {
        object_scope(
            std::any::type_name::<Self>(),
            (self as *const Self).cast::<()>() as usize,
        )
    }
}

/// The default [`RawPublicKeyVerifier`]: a set of pinned keys, each a DER
/// SubjectPublicKeyInfo. A peer's key is trusted when it is one of them,
/// byte for byte; any other is refused with its algorithm and SHA-256
/// fingerprint in the error, so that it can be pinned if it should be.
#[derive(Debug, Clone)]
pub struct PinnedRawPublicKeys {
    keys: Vec<SubjectPublicKeyInfoDer<'static>>,
    scope: [u8; 32],
}

impl Default for PinnedRawPublicKeys {
    fn default() -> Self {
        PinnedRawPublicKeys::new()
    }
}

impl PinnedRawPublicKeys {
    /// An empty set: it trusts no key until one is added.
    pub fn new() -> Self {
        let mut set = PinnedRawPublicKeys {
            keys: Vec::new(),
            scope: [0; 32],
        };
        set.rescope();
        set
    }

    /// A set of `keys`; an error names the first that is not a
    /// SubjectPublicKeyInfo cloaktls can read.
    pub fn from_keys(
        keys: impl IntoIterator<Item = SubjectPublicKeyInfoDer<'static>>,
    ) -> Result<Self, Error> {
        let mut set = PinnedRawPublicKeys::new();
        for k in keys {
            set.add(k)?;
        }
        Ok(set)
    }

    /// Pins `key` (a DER SubjectPublicKeyInfo: a `PUBLIC KEY` PEM block's
    /// contents, `openssl pkey -pubout -outform DER`). A key that does not
    /// parse is an error; one already pinned is kept once.
    pub fn add(&mut self, key: SubjectPublicKeyInfoDer<'static>) -> Result<(), Error> {
        check_raw_public_key(&key).map_err(|e| {
            Error::Config(format!("a key to pin is not a SubjectPublicKeyInfo: {e}"))
        })?;
        if !self.keys.contains(&key) {
            self.keys.push(key);
            self.rescope();
        }
        Ok(())
    }

    /// The pinned keys, in the order they were added.
    pub fn keys(&self) -> &[SubjectPublicKeyInfoDer<'static>] {
        &self.keys
    }

    /// The number of pinned keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no key is pinned.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The digest of the keys, in order: what this set trusts.
    fn rescope(&mut self) {
        let mut h = HashAlgorithm::Sha256.start();
        h.update(b"cloaktls pinned raw public keys");
        for k in &self.keys {
            h.update(&(k.len() as u64).to_be_bytes());
            h.update(k);
        }
        self.scope.copy_from_slice(&h.current());
    }
}

impl RawPublicKeyVerifier for PinnedRawPublicKeys {
    fn verify_raw_public_key(
        &self,
        key: &SubjectPublicKeyInfoDer<'_>,
        _server_name: Option<&ServerName<'_>>,
        _now: UnixTime,
    ) -> Result<(), Error> {
        if self.keys.iter().any(|k| k.as_ref() == key.as_ref()) {
            return Ok(());
        }
        Err(Error::InvalidCertificate(CertificateError {
            kind: CertificateErrorKind::UnknownRawPublicKey,
            detail: format!(
                "{} is not among the {} pinned key{}; pin it if it is the peer's",
                describe(key),
                self.keys.len(),
                if self.keys.len() == 1 { "" } else { "s" }
            ),
        }))
    }

    fn scope(&self) -> [u8; 32] {
        self.scope
    }
}

/// The X.509 verifier of a client that takes raw public keys alone
/// ([`crate::ClientConfig::builder_raw_public_keys`]): it never offers
/// X.509, so a certificate chain reaches this only from a server that
/// broke the negotiation, and it is refused.
#[derive(Debug)]
pub(crate) struct RawPublicKeysOnly;

impl super::ServerCertVerifier for RawPublicKeysOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &super::CertificateDer<'_>,
        _intermediates: &[super::CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<(), Error> {
        Err(Error::InvalidCertificate(CertificateError {
            kind: CertificateErrorKind::Other,
            detail: "this client accepts raw public keys only".into(),
        }))
    }

    fn scope(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(&HashAlgorithm::Sha256.hash(b"cloaktls raw public keys only"));
        out
    }
}

/// A key in words: its algorithm and SHA-256 fingerprint.
pub(crate) fn describe(key: &[u8]) -> String {
    match super::certinfo::summarize_raw_public_key(key) {
        Some(s) => format!("the {} key with SHA-256 {}", s.algorithm, s.fingerprint()),
        None => "a key that cannot be read".into(),
    }
}

/// Checks that `spki` is a DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) as
/// RFC 7250 §3 requires of a raw public key: an AlgorithmIdentifier and a
/// BIT STRING without unused bits, nothing after. Anything else in a
/// Certificate of this type does not decode: decode_error (RFC 8446 §6).
pub(crate) fn check_raw_public_key(spki: &[u8]) -> Result<(), Error> {
    entity(&SubjectPublicKeyInfoDer::from(spki)).map(|_| ())
}

/// webpki's reading of a raw public key (see [`check_raw_public_key`]).
fn entity<'a>(
    key: &'a SubjectPublicKeyInfoDer<'a>,
) -> Result<webpki::RawPublicKeyEntity<'a>, Error> {
    webpki::RawPublicKeyEntity::try_from(key).map_err(|e| {
        Error::peer(
            AlertDescription::DECODE_ERROR,
            format!("the raw public key is not a DER SubjectPublicKeyInfo (RFC 7250 §3): {e:?}"),
        )
    })
}

/// Checks a handshake signature made with the raw public key `key` (TLS 1.3
/// CertificateVerify, TLS 1.2 ServerKeyExchange and CertificateVerify):
/// with the schemes that `version` allows and that fit the key's algorithm,
/// as for a certificate's key (see [`super::verify_signature`]). A scheme
/// that does not fit the key is illegal_parameter, a bad signature
/// decrypt_error (RFC 8446 §4.4.3).
pub fn verify_raw_public_key_signature(
    key: &SubjectPublicKeyInfoDer<'_>,
    scheme: SignatureScheme,
    message: &[u8],
    signature: &[u8],
    version: ProtocolVersion,
) -> Result<(), Error> {
    let entity = entity(key)?;
    check_handshake_signature(scheme, version, |alg| {
        entity.verify_signature(alg, message, signature)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::sign::{subject_public_key_info, RingSigningKey, SigningKey};
    use ring::signature::{EcdsaKeyPair, Ed25519KeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};

    fn p256() -> (RingSigningKey, SubjectPublicKeyInfoDer<'static>) {
        let rng = ring::rand::SystemRandom::new();
        let der = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let key = RingSigningKey::from_der(der.as_ref()).unwrap();
        let spki = subject_public_key_info(&key).unwrap();
        (key, SubjectPublicKeyInfoDer::from(spki))
    }

    #[test]
    fn pinned_keys_match_byte_for_byte() {
        let (_, a) = p256();
        let (_, b) = p256();
        let now = UnixTime::since_unix_epoch(std::time::Duration::from_secs(1));
        let mut set = PinnedRawPublicKeys::new();
        let empty_scope = set.scope();
        assert!(set.verify_raw_public_key(&a, None, now).is_err());
        set.add(a.clone()).unwrap();
        set.add(a.clone()).unwrap();
        assert_eq!(set.len(), 1);
        assert_ne!(set.scope(), empty_scope);
        assert!(set.verify_raw_public_key(&a, None, now).is_ok());
        let e = set.verify_raw_public_key(&b, None, now).unwrap_err();
        let sha = hex::encode(HashAlgorithm::Sha256.hash(&b));
        let text = e.to_string();
        assert!(
            text.contains("ECDSA P-256") && text.contains(&sha),
            "{text}"
        );
        assert!(text.contains("1 pinned key;"), "{text}");
        assert_eq!(e.alert(), Some(AlertDescription::BAD_CERTIFICATE));
        // The same keys in the same order: the same scope.
        let again = PinnedRawPublicKeys::from_keys([a.clone()]).unwrap();
        assert_eq!(again.scope(), set.scope());
        assert!(set
            .add(SubjectPublicKeyInfoDer::from(vec![0x30, 0]))
            .is_err());
    }

    #[test]
    fn only_a_der_subject_public_key_info_is_a_raw_public_key() {
        let (_, good) = p256();
        assert!(check_raw_public_key(&good).is_ok());
        let mut trailing = good.to_vec();
        trailing.push(0);
        let mut unused_bits = good.to_vec();
        // The BIT STRING's unused-bits count (RFC 7250 §3: none).
        unused_bits[25] = 1;
        for bad in [
            &[][..],
            &[0x30, 0x00][..],
            &trailing[..],
            &good[..good.len() - 1],
            &unused_bits[..],
        ] {
            let e = check_raw_public_key(bad).unwrap_err();
            assert_eq!(e.alert(), Some(AlertDescription::DECODE_ERROR), "{bad:?}");
        }
    }

    #[test]
    fn signatures_are_checked_with_the_schemes_the_key_allows() {
        let (key, spki) = p256();
        let v13 = ProtocolVersion::TLSV1_3;
        let msg = b"TLS 1.3, server CertificateVerify";
        let sig = key
            .sign(SignatureScheme::ECDSA_NISTP256_SHA256, msg)
            .unwrap();
        let check =
            |scheme, m: &[u8], s: &[u8], v| verify_raw_public_key_signature(&spki, scheme, m, s, v);
        assert!(check(SignatureScheme::ECDSA_NISTP256_SHA256, msg, &sig, v13).is_ok());
        // A bad signature: decrypt_error.
        let e = check(SignatureScheme::ECDSA_NISTP256_SHA256, b"other", &sig, v13).unwrap_err();
        assert_eq!(e.alert(), Some(AlertDescription::DECRYPT_ERROR));
        // A scheme that does not fit the key (TLS 1.3 ties ECDSA to its
        // curve, RFC 8446 §4.2.3), or that TLS 1.3 forbids.
        for scheme in [
            SignatureScheme::ECDSA_NISTP384_SHA384,
            SignatureScheme::ED25519,
            SignatureScheme::RSA_PSS_RSAE_SHA256,
            SignatureScheme::RSA_PKCS1_SHA256,
        ] {
            let e = check(scheme, msg, &sig, v13).unwrap_err();
            assert_eq!(
                e.alert(),
                Some(AlertDescription::ILLEGAL_PARAMETER),
                "{scheme:?}"
            );
        }
        // Ed25519 keys verify Ed25519 signatures.
        let rng = ring::rand::SystemRandom::new();
        let ed = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
        let ed = RingSigningKey::from_der(ed.as_ref()).unwrap();
        let ed_spki = SubjectPublicKeyInfoDer::from(subject_public_key_info(&ed).unwrap());
        let sig = ed.sign(SignatureScheme::ED25519, msg).unwrap();
        assert!(verify_raw_public_key_signature(
            &ed_spki,
            SignatureScheme::ED25519,
            msg,
            &sig,
            ProtocolVersion::TLSV1_2
        )
        .is_ok());
    }
}
