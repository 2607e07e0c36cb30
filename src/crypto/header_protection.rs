//! QUIC header protection (RFC 9001 §5.4) through `ring`: the 5-byte mask
//! that AES-ECB (§5.4.3) or ChaCha20 (§5.4.4) makes from a sample of the
//! packet's ciphertext.

use super::AeadAlgorithm;
use crate::error::Error;
use ring::aead::quic;

/// The length of a header protection sample: 16 bytes for the AES and the
/// ChaCha20 functions alike (RFC 9001 §5.4.2).
pub const SAMPLE_LEN: usize = 16;

/// The length of a mask: one byte for the first byte of the header, four
/// for the packet number (RFC 9001 §5.4.1).
pub const MASK_LEN: usize = 5;

/// A header protection key: "quic hp" of a traffic secret, for the
/// suite's AEAD's cipher (AES-128, AES-256 or ChaCha20).
pub struct HeaderProtectionKey {
    key: quic::HeaderProtectionKey,
}

impl HeaderProtectionKey {
    /// A key for the header protection function that goes with `aead`
    /// (RFC 9001 §5.4.3, §5.4.4), from `key`'s bytes.
    pub fn new(aead: AeadAlgorithm, key: &[u8]) -> Result<Self, Error> {
        let alg = match aead {
            AeadAlgorithm::Aes128Gcm => &quic::AES_128,
            AeadAlgorithm::Aes256Gcm => &quic::AES_256,
            AeadAlgorithm::Chacha20Poly1305 => &quic::CHACHA20,
        };
        let key = quic::HeaderProtectionKey::new(alg, key)
            .map_err(|_| Error::Crypto("header protection key of the wrong length"))?;
        Ok(HeaderProtectionKey { key })
    }

    /// The mask for `sample` (exactly [`SAMPLE_LEN`] bytes).
    pub fn mask(&self, sample: &[u8]) -> Result<[u8; MASK_LEN], Error> {
        if sample.len() != SAMPLE_LEN {
            return Err(Error::Crypto(
                "a header protection sample of the wrong length",
            ));
        }
        self.key
            .new_mask(sample)
            .map_err(|_| Error::Crypto("header protection mask"))
    }
}

impl std::fmt::Debug for HeaderProtectionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HeaderProtectionKey({:?})", self.key.algorithm())
    }
}
