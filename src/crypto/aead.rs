//! AEAD algorithms and keys (RFC 5116) through `ring`.

use crate::error::Error;
use ring::aead;

/// An AEAD algorithm of a suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AeadAlgorithm {
    /// AES-128-GCM.
    Aes128Gcm,
    /// AES-256-GCM.
    Aes256Gcm,
    /// ChaCha20-Poly1305.
    Chacha20Poly1305,
}

/// Every AEAD cloaktls uses has a 16-byte tag.
pub const TAG_LEN: usize = 16;
/// Every AEAD cloaktls uses has a 12-byte nonce.
pub const NONCE_LEN: usize = 12;

impl AeadAlgorithm {
    fn ring_alg(self) -> &'static aead::Algorithm {
        match self {
            AeadAlgorithm::Aes128Gcm => &aead::AES_128_GCM,
            AeadAlgorithm::Aes256Gcm => &aead::AES_256_GCM,
            AeadAlgorithm::Chacha20Poly1305 => &aead::CHACHA20_POLY1305,
        }
    }

    /// How many records one key may protect (RFC 8446 §5.5): about
    /// 2^24.5 full-size records for AES-GCM; for ChaCha20-Poly1305 the
    /// sequence number runs out first.
    pub fn confidentiality_limit(self) -> u64 {
        match self {
            AeadAlgorithm::Aes128Gcm | AeadAlgorithm::Aes256Gcm => 23_726_566,
            AeadAlgorithm::Chacha20Poly1305 => u64::MAX,
        }
    }

    /// The key length in bytes.
    pub fn key_len(self) -> usize {
        self.ring_alg().key_len()
    }

    /// The length of the implicit IV that a TLS 1.2 key block provides: the
    /// 4-byte salt of GCM (RFC 5288 §3) or the 12-byte IV of
    /// ChaCha20-Poly1305 (RFC 7905 §2).
    pub fn tls12_fixed_iv_len(self) -> usize {
        match self {
            AeadAlgorithm::Aes128Gcm | AeadAlgorithm::Aes256Gcm => 4,
            AeadAlgorithm::Chacha20Poly1305 => NONCE_LEN,
        }
    }

    /// The explicit nonce carried in each TLS 1.2 record: 8 bytes for GCM,
    /// none for ChaCha20-Poly1305.
    pub fn tls12_explicit_nonce_len(self) -> usize {
        match self {
            AeadAlgorithm::Aes128Gcm | AeadAlgorithm::Aes256Gcm => 8,
            AeadAlgorithm::Chacha20Poly1305 => 0,
        }
    }
}

/// An AEAD key ready to seal and open.
pub struct AeadKey {
    key: aead::LessSafeKey,
}

impl AeadKey {
    /// A key of `alg` from `key` bytes.
    pub fn new(alg: AeadAlgorithm, key: &[u8]) -> Result<Self, Error> {
        let unbound = aead::UnboundKey::new(alg.ring_alg(), key)
            .map_err(|_| Error::Crypto("AEAD key of the wrong length"))?;
        Ok(AeadKey {
            key: aead::LessSafeKey::new(unbound),
        })
    }

    /// Encrypts `in_out` in place and returns the tag.
    pub fn seal(
        &self,
        nonce: [u8; NONCE_LEN],
        aad: &[u8],
        in_out: &mut [u8],
    ) -> Result<[u8; TAG_LEN], Error> {
        let tag = self
            .key
            .seal_in_place_separate_tag(
                aead::Nonce::assume_unique_for_key(nonce),
                aead::Aad::from(aad),
                in_out,
            )
            .map_err(|_| Error::Crypto("AEAD seal"))?;
        let mut out = [0u8; TAG_LEN];
        out.copy_from_slice(tag.as_ref());
        Ok(out)
    }

    /// Decrypts `in_out` (ciphertext then tag) in place and returns the
    /// plaintext's length; any failure is `BadRecordMac`.
    pub fn open(
        &self,
        nonce: [u8; NONCE_LEN],
        aad: &[u8],
        in_out: &mut [u8],
    ) -> Result<usize, Error> {
        self.key
            .open_in_place(
                aead::Nonce::assume_unique_for_key(nonce),
                aead::Aad::from(aad),
                in_out,
            )
            .map(|p| p.len())
            .map_err(|_| Error::BadRecordMac)
    }
}

impl std::fmt::Debug for AeadKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AeadKey({:?})", self.key.algorithm())
    }
}
