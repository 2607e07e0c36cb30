//! Signing with our private key, and the map from TLS signature schemes to
//! the verification algorithms that `rustls-webpki` checks them with.

use crate::error::Error;
use crate::msgs::enums::{ProtocolVersion, SignatureScheme};
use pki_types::SignatureVerificationAlgorithm;
use ring::signature::{self, KeyPair};
use std::fmt::Debug;

/// The kind of a signing key, which decides the TLS 1.2 suites it can serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// ECDSA (P-256 or P-384).
    Ecdsa,
    /// Ed25519.
    Ed25519,
    /// RSA.
    Rsa,
}

/// A private key that signs handshakes. The default implementation uses
/// `ring` (its ECDSA nonces and PSS salts come from the system's randomness,
/// since `ring`'s random trait is sealed); a test vector runner supplies one
/// that returns recorded signatures.
pub trait SigningKey: Send + Sync + Debug {
    /// The key's kind.
    fn kind(&self) -> KeyKind;
    /// The schemes this key can sign with, in our order of preference.
    fn schemes(&self) -> &[SignatureScheme];
    /// Signs `message` with `scheme`.
    fn sign(&self, scheme: SignatureScheme, message: &[u8]) -> Result<Vec<u8>, Error>;

    /// The public key, as a certificate's subjectPublicKey holds it (the
    /// point, the Ed25519 key, or the DER RSAPublicKey), if the key can
    /// say; configurations use it to check that a certificate and its key
    /// belong together.
    fn public_key(&self) -> Option<&[u8]> {
        None
    }

    /// Our most preferred scheme that the peer offered and that `version`
    /// allows (TLS 1.3 has no PKCS#1 v1.5, RFC 8446 §4.2.3).
    fn choose_scheme(
        &self,
        offered: &[SignatureScheme],
        version: ProtocolVersion,
    ) -> Option<SignatureScheme> {
        let tls13 = version == ProtocolVersion::TLSV1_3;
        self.schemes()
            .iter()
            .copied()
            .filter(|s| !tls13 || allowed_in_tls13(*s))
            .find(|s| offered.contains(s))
    }
}

/// Whether TLS 1.3 allows `scheme` in CertificateVerify (RFC 8446 §4.2.3).
pub fn allowed_in_tls13(scheme: SignatureScheme) -> bool {
    !matches!(
        scheme,
        SignatureScheme::RSA_PKCS1_SHA256
            | SignatureScheme::RSA_PKCS1_SHA384
            | SignatureScheme::RSA_PKCS1_SHA512
            | SignatureScheme::RSA_PKCS1_SHA1
            | SignatureScheme::ECDSA_SHA1
    )
}

/// The schemes cloaktls verifies, in the order it offers them.
pub static SUPPORTED_SCHEMES: [SignatureScheme; 9] = [
    SignatureScheme::ECDSA_NISTP256_SHA256,
    SignatureScheme::ECDSA_NISTP384_SHA384,
    SignatureScheme::ED25519,
    SignatureScheme::RSA_PSS_RSAE_SHA256,
    SignatureScheme::RSA_PSS_RSAE_SHA384,
    SignatureScheme::RSA_PSS_RSAE_SHA512,
    SignatureScheme::RSA_PKCS1_SHA256,
    SignatureScheme::RSA_PKCS1_SHA384,
    SignatureScheme::RSA_PKCS1_SHA512,
];

/// Every algorithm webpki may meet on a certificate chain.
pub static WEBPKI_ALGORITHMS: &[&dyn SignatureVerificationAlgorithm] = &[
    webpki::ring::ECDSA_P256_SHA256,
    webpki::ring::ECDSA_P256_SHA384,
    webpki::ring::ECDSA_P384_SHA256,
    webpki::ring::ECDSA_P384_SHA384,
    webpki::ring::ED25519,
    webpki::ring::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
    webpki::ring::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
    webpki::ring::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
    webpki::ring::RSA_PKCS1_2048_8192_SHA256,
    webpki::ring::RSA_PKCS1_2048_8192_SHA384,
    webpki::ring::RSA_PKCS1_2048_8192_SHA512,
    webpki::ring::RSA_PKCS1_3072_8192_SHA384,
];

/// The webpki algorithms that check a handshake signature of `scheme` in
/// `version`. In TLS 1.3 an ECDSA scheme fixes the curve (RFC 8446
/// §4.2.3); in TLS 1.2 it names only the hash.
pub fn verification_algorithms(
    scheme: SignatureScheme,
    version: ProtocolVersion,
) -> &'static [&'static dyn SignatureVerificationAlgorithm] {
    let tls13 = version == ProtocolVersion::TLSV1_3;
    use webpki::ring as w;
    type Algs = [&'static dyn SignatureVerificationAlgorithm];
    static P256_SHA256: &Algs = &[w::ECDSA_P256_SHA256];
    static P384_SHA384: &Algs = &[w::ECDSA_P384_SHA384];
    static ANY_SHA256: &Algs = &[w::ECDSA_P256_SHA256, w::ECDSA_P384_SHA256];
    static ANY_SHA384: &Algs = &[w::ECDSA_P384_SHA384, w::ECDSA_P256_SHA384];
    static ED25519: &Algs = &[w::ED25519];
    static PSS256: &Algs = &[w::RSA_PSS_2048_8192_SHA256_LEGACY_KEY];
    static PSS384: &Algs = &[w::RSA_PSS_2048_8192_SHA384_LEGACY_KEY];
    static PSS512: &Algs = &[w::RSA_PSS_2048_8192_SHA512_LEGACY_KEY];
    static PKCS256: &Algs = &[w::RSA_PKCS1_2048_8192_SHA256];
    static PKCS384: &Algs = &[w::RSA_PKCS1_2048_8192_SHA384];
    static PKCS512: &Algs = &[w::RSA_PKCS1_2048_8192_SHA512];
    match scheme {
        SignatureScheme::ECDSA_NISTP256_SHA256 if tls13 => P256_SHA256,
        SignatureScheme::ECDSA_NISTP384_SHA384 if tls13 => P384_SHA384,
        SignatureScheme::ECDSA_NISTP256_SHA256 => ANY_SHA256,
        SignatureScheme::ECDSA_NISTP384_SHA384 => ANY_SHA384,
        SignatureScheme::ED25519 => ED25519,
        SignatureScheme::RSA_PSS_RSAE_SHA256 => PSS256,
        SignatureScheme::RSA_PSS_RSAE_SHA384 => PSS384,
        SignatureScheme::RSA_PSS_RSAE_SHA512 => PSS512,
        SignatureScheme::RSA_PKCS1_SHA256 if !tls13 => PKCS256,
        SignatureScheme::RSA_PKCS1_SHA384 if !tls13 => PKCS384,
        SignatureScheme::RSA_PKCS1_SHA512 if !tls13 => PKCS512,
        _ => &[],
    }
}

/// Object identifiers of public key algorithms and named curves, as the
/// contents of their DER OBJECT IDENTIFIER (no tag, no length).
pub mod oid {
    /// id-ecPublicKey, 1.2.840.10045.2.1 (RFC 5480 §2.1.1).
    pub const EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    /// secp256r1, 1.2.840.10045.3.1.7 (RFC 5480 §2.1.1.1).
    pub const SECP256R1: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
    /// secp384r1, 1.3.132.0.34 (RFC 5480 §2.1.1.1).
    pub const SECP384R1: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
    /// secp521r1, 1.3.132.0.35 (RFC 5480 §2.1.1.1).
    pub const SECP521R1: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x23];
    /// id-Ed25519, 1.3.101.112 (RFC 8410 §3).
    pub const ED25519: &[u8] = &[0x2b, 0x65, 0x70];
    /// id-Ed448, 1.3.101.113 (RFC 8410 §3).
    pub const ED448: &[u8] = &[0x2b, 0x65, 0x71];
    /// rsaEncryption, 1.2.840.113549.1.1.1 (RFC 3279 §2.3.1).
    pub const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
}

/// The DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) of `key`'s public
/// key, as a certificate for it would hold it and as RFC 7250 §3 sends a
/// raw public key: id-ecPublicKey with the named curve (RFC 5480 §2), the
/// uncompressed point; id-Ed25519 without parameters (RFC 8410 §3);
/// rsaEncryption with NULL parameters (RFC 3279 §2.3.1), the DER
/// RSAPublicKey. `None` for a key that does not say its public key
/// ([`SigningKey::public_key`]), or an ECDSA point of no curve we know.
pub fn subject_public_key_info(key: &dyn SigningKey) -> Option<Vec<u8>> {
    use crate::codec::der_element as der;
    let public = key.public_key()?;
    let oid_element = |o: &[u8]| der(0x06, o);
    let algorithm = match key.kind() {
        // The uncompressed point's length gives the curve: 1 + 2 * 32 for
        // P-256, 1 + 2 * 48 for P-384 (SEC 1 §2.3.3).
        KeyKind::Ecdsa => {
            let curve = match public.len() {
                65 => oid::SECP256R1,
                97 => oid::SECP384R1,
                _ => return None,
            };
            [oid_element(oid::EC_PUBLIC_KEY), oid_element(curve)].concat()
        }
        KeyKind::Ed25519 => oid_element(oid::ED25519),
        KeyKind::Rsa => [oid_element(oid::RSA_ENCRYPTION), vec![0x05, 0x00]].concat(),
    };
    // The BIT STRING's first byte counts the unused bits: none.
    let bits = der(0x03, &[&[0u8][..], public].concat());
    Some(der(0x30, &[der(0x30, &algorithm), bits].concat()))
}

enum RingKey {
    Ecdsa(signature::EcdsaKeyPair, SignatureScheme),
    Ed25519(signature::Ed25519KeyPair),
    Rsa(signature::RsaKeyPair),
}

/// A private key held by `ring`.
pub struct RingSigningKey {
    key: RingKey,
    schemes: Vec<SignatureScheme>,
}

impl Debug for RingSigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RingSigningKey({:?})", self.kind())
    }
}

impl RingSigningKey {
    /// Loads a private key: PKCS#8 (ECDSA P-256/P-384, Ed25519, RSA) or
    /// PKCS#1 (RSA) DER.
    pub fn from_der(der: &[u8]) -> Result<Self, Error> {
        let rng = ring::rand::SystemRandom::new();
        let key = if let Ok(k) = signature::EcdsaKeyPair::from_pkcs8(
            &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
            der,
            &rng,
        ) {
            RingKey::Ecdsa(k, SignatureScheme::ECDSA_NISTP256_SHA256)
        } else if let Ok(k) = signature::EcdsaKeyPair::from_pkcs8(
            &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
            der,
            &rng,
        ) {
            RingKey::Ecdsa(k, SignatureScheme::ECDSA_NISTP384_SHA384)
        } else if let Ok(k) = signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(der) {
            RingKey::Ed25519(k)
        } else if let Ok(k) = signature::RsaKeyPair::from_pkcs8(der) {
            RingKey::Rsa(k)
        } else if let Ok(k) = signature::RsaKeyPair::from_der(der) {
            RingKey::Rsa(k)
        } else {
            return Err(Error::Config(
                "the private key is not a PKCS#8 ECDSA P-256/P-384, Ed25519 or RSA key, nor a PKCS#1 RSA key"
                    .into(),
            ));
        };
        let schemes = match &key {
            RingKey::Ecdsa(_, s) => vec![*s],
            RingKey::Ed25519(_) => vec![SignatureScheme::ED25519],
            RingKey::Rsa(_) => vec![
                SignatureScheme::RSA_PSS_RSAE_SHA256,
                SignatureScheme::RSA_PSS_RSAE_SHA384,
                SignatureScheme::RSA_PSS_RSAE_SHA512,
                SignatureScheme::RSA_PKCS1_SHA256,
                SignatureScheme::RSA_PKCS1_SHA384,
                SignatureScheme::RSA_PKCS1_SHA512,
            ],
        };
        Ok(RingSigningKey { key, schemes })
    }

    /// The DER of the public key (for ECDSA, the uncompressed point).
    pub fn public_key(&self) -> &[u8] {
        match &self.key {
            RingKey::Ecdsa(k, _) => k.public_key().as_ref(),
            RingKey::Ed25519(k) => k.public_key().as_ref(),
            RingKey::Rsa(k) => k.public().as_ref(),
        }
    }
}

impl SigningKey for RingSigningKey {
    fn kind(&self) -> KeyKind {
        match self.key {
            RingKey::Ecdsa(..) => KeyKind::Ecdsa,
            RingKey::Ed25519(_) => KeyKind::Ed25519,
            RingKey::Rsa(_) => KeyKind::Rsa,
        }
    }

    fn schemes(&self) -> &[SignatureScheme] {
        &self.schemes
    }

    fn public_key(&self) -> Option<&[u8]> {
        Some(RingSigningKey::public_key(self))
    }

    fn sign(&self, scheme: SignatureScheme, message: &[u8]) -> Result<Vec<u8>, Error> {
        if !self.schemes.contains(&scheme) {
            return Err(Error::Crypto("signature scheme does not fit the key"));
        }
        let sys = ring::rand::SystemRandom::new();
        match &self.key {
            RingKey::Ecdsa(k, _) => k
                .sign(&sys, message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| Error::Crypto("ECDSA signing")),
            RingKey::Ed25519(k) => Ok(k.sign(message).as_ref().to_vec()),
            RingKey::Rsa(k) => {
                let padding: &'static dyn signature::RsaEncoding = match scheme {
                    SignatureScheme::RSA_PSS_RSAE_SHA256 => &signature::RSA_PSS_SHA256,
                    SignatureScheme::RSA_PSS_RSAE_SHA384 => &signature::RSA_PSS_SHA384,
                    SignatureScheme::RSA_PSS_RSAE_SHA512 => &signature::RSA_PSS_SHA512,
                    SignatureScheme::RSA_PKCS1_SHA256 => &signature::RSA_PKCS1_SHA256,
                    SignatureScheme::RSA_PKCS1_SHA384 => &signature::RSA_PKCS1_SHA384,
                    _ => &signature::RSA_PKCS1_SHA512,
                };
                let mut sig = vec![0u8; k.public().modulus_len()];
                k.sign(padding, &sys, message, &mut sig)
                    .map_err(|_| Error::Crypto("RSA signing"))?;
                Ok(sig)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// openssl pkey -in vectors/keys/rsa2048.pem -pubout -outform DER |
    /// sha256sum
    const RSA2048_SPKI_SHA256: &str =
        "06fb977e348445ff99f566935cb22b4a54f620aef8e4ad5bc70598bff79cbba9";

    fn pkcs8(alg: &'static signature::EcdsaSigningAlgorithm) -> Vec<u8> {
        let rng = ring::rand::SystemRandom::new();
        signature::EcdsaKeyPair::generate_pkcs8(alg, &rng)
            .unwrap()
            .as_ref()
            .to_vec()
    }

    #[test]
    fn subject_public_key_infos_are_those_a_certificate_would_hold() {
        // RFC 5480 §2: id-ecPublicKey, the named curve, the point.
        let p256 =
            RingSigningKey::from_der(&pkcs8(&signature::ECDSA_P256_SHA256_ASN1_SIGNING)).unwrap();
        let spki = subject_public_key_info(&p256).unwrap();
        let prefix = hex::decode("3059301306072a8648ce3d020106082a8648ce3d030107034200").unwrap();
        assert_eq!(&spki[..prefix.len()], &prefix[..]);
        assert_eq!(&spki[prefix.len()..], p256.public_key());
        let p384 =
            RingSigningKey::from_der(&pkcs8(&signature::ECDSA_P384_SHA384_ASN1_SIGNING)).unwrap();
        let spki = subject_public_key_info(&p384).unwrap();
        assert!(spki
            .starts_with(&hex::decode("3076301006072a8648ce3d020106052b81040022036200").unwrap()));
        // RFC 8410 §4: id-Ed25519, no parameters.
        let rng = ring::rand::SystemRandom::new();
        let ed = signature::Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
        let ed = RingSigningKey::from_der(ed.as_ref()).unwrap();
        let spki = subject_public_key_info(&ed).unwrap();
        assert_eq!(spki.len(), 44);
        assert!(spki.starts_with(&hex::decode("302a300506032b6570032100").unwrap()));
        // RFC 3279 §2.3.1: rsaEncryption, NULL; byte for byte OpenSSL's.
        let pem = include_bytes!("../../vectors/keys/rsa2048.pem");
        let rsa = crate::pem::private_key_from_pem(pem).unwrap();
        let spki = subject_public_key_info(&rsa).unwrap();
        assert_eq!(
            hex::encode(crate::crypto::HashAlgorithm::Sha256.hash(&spki)),
            RSA2048_SPKI_SHA256
        );
    }

    /// A key that does not say its public key has no SubjectPublicKeyInfo.
    #[derive(Debug)]
    struct Opaque;

    impl SigningKey for Opaque {
        fn kind(&self) -> KeyKind {
            KeyKind::Ecdsa
        }
        fn schemes(&self) -> &[SignatureScheme] {
            &[]
        }
        fn sign(&self, _: SignatureScheme, _: &[u8]) -> Result<Vec<u8>, Error> {
            Err(Error::Crypto("opaque"))
        }
    }

    #[test]
    fn a_key_that_says_nothing_has_no_subject_public_key_info() {
        assert_eq!(subject_public_key_info(&Opaque), None);
    }
}
