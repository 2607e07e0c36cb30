//! The endpoint's own keys that quinn asks the crypto layer for: the HMAC
//! key of stateless reset tokens (RFC 9000 §10.3) and the key that seals
//! Retry and NEW_TOKEN tokens (§8.1), on cloaktls's primitives.

use cloaktls::crypto::aead::{AeadKey, NONCE_LEN};
use cloaktls::crypto::hash::{constant_time_eq, HmacKey};
use cloaktls::crypto::{AeadAlgorithm, HashAlgorithm, RandomSource, Secret, SystemRandom};
use cloaktls::Error;
use quinn_proto::crypto::{self, CryptoError};

/// HMAC-SHA256 for stateless reset tokens ([`crypto::HmacKey`]).
pub struct ResetKey(HmacKey);

impl std::fmt::Debug for ResetKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ResetKey(..)")
    }
}

impl ResetKey {
    /// A key of the given bytes (every endpoint of a cluster that answers
    /// for the same connections needs the same one).
    pub fn new(key: &[u8]) -> Self {
        ResetKey(HashAlgorithm::Sha256.hmac_key(key))
    }

    /// A key of 64 random bytes.
    pub fn random() -> Result<Self, Error> {
        random_with(Self::new)
    }
}

/// `f` of 64 random bytes, which are wiped afterwards.
fn random_with<T>(f: impl FnOnce(&[u8]) -> T) -> Result<T, Error> {
    let mut bytes = [0u8; 64];
    SystemRandom::new().fill(&mut bytes)?;
    let out = f(&bytes);
    bytes.fill(0);
    std::hint::black_box(&mut bytes);
    Ok(out)
}

impl crypto::HmacKey for ResetKey {
    fn sign(&self, data: &[u8], signature_out: &mut [u8]) {
        let tag = self.0.sign(&[data]);
        for (o, t) in signature_out.iter_mut().zip(tag.iter()) {
            *o = *t;
        }
    }

    fn signature_len(&self) -> usize {
        HashAlgorithm::Sha256.output_len()
    }

    fn verify(&self, data: &[u8], signature: &[u8]) -> Result<(), CryptoError> {
        let tag = self.0.sign(&[data]);
        if constant_time_eq(&tag, signature) {
            Ok(())
        } else {
            Err(CryptoError)
        }
    }
}

/// The master key of address validation tokens
/// ([`crypto::HandshakeTokenKey`]): each token is sealed under its own
/// AES-256-GCM key, HKDF-Expand(master, the token's random bytes).
pub struct TokenKey(Secret);

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKey(..)")
    }
}

impl TokenKey {
    /// A key from `master` (HKDF-Extract with SHA-256, RFC 5869 §2.2).
    pub fn new(master: &[u8]) -> Self {
        TokenKey(HashAlgorithm::Sha256.hkdf_extract(&[], master))
    }

    /// A key from 64 random bytes.
    pub fn random() -> Result<Self, Error> {
        random_with(Self::new)
    }
}

impl crypto::HandshakeTokenKey for TokenKey {
    fn aead_from_hkdf(&self, random_bytes: &[u8]) -> Box<dyn crypto::AeadKey> {
        let alg = AeadAlgorithm::Aes256Gcm;
        let key =
            HashAlgorithm::Sha256.hkdf_expand(self.0.as_bytes(), &[random_bytes], alg.key_len());
        Box::new(TokenAead(AeadKey::new(alg, key.as_bytes())))
    }
}

/// One token's key: used once, so its nonce is all zeros.
struct TokenAead(Result<AeadKey, Error>);

impl crypto::AeadKey for TokenAead {
    fn seal(&self, data: &mut Vec<u8>, additional_data: &[u8]) -> Result<(), CryptoError> {
        let key = self.0.as_ref().map_err(|_| CryptoError)?;
        let tag = key
            .seal([0; NONCE_LEN], additional_data, data)
            .map_err(|_| CryptoError)?;
        data.extend_from_slice(&tag);
        Ok(())
    }

    fn open<'a>(
        &self,
        data: &'a mut [u8],
        additional_data: &[u8],
    ) -> Result<&'a mut [u8], CryptoError> {
        let key = self.0.as_ref().map_err(|_| CryptoError)?;
        let n = key
            .open([0; NONCE_LEN], additional_data, data)
            .map_err(|_| CryptoError)?;
        data.get_mut(..n).ok_or(CryptoError)
    }
}
