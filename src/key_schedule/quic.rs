//! QUIC's use of the TLS 1.3 key schedule (RFC 9001 §5, RFC 9369 §3.3):
//! the Initial secrets from the client's Destination Connection ID, the
//! packet protection key, IV and header protection key of a traffic
//! secret, the next generation of a secret for a key update (§6), and the
//! fixed Retry integrity key (§5.8). Every HKDF-Expand-Label here has an
//! empty context (§5.1).

use super::tls13::hkdf_expand_label;
use crate::crypto::aead::NONCE_LEN;
use crate::crypto::{AeadAlgorithm, HashAlgorithm, Secret};

/// A QUIC version whose key derivation cloaktls knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// QUIC version 1 (RFC 9000, RFC 9001): 0x00000001.
    V1,
    /// QUIC version 2 (RFC 9369): 0x6b3343cf.
    V2,
}

/// The labels one version uses with HKDF-Expand-Label.
struct Labels {
    key: &'static [u8],
    iv: &'static [u8],
    hp: &'static [u8],
    ku: &'static [u8],
}

impl Version {
    /// The version's number on the wire (RFC 9000 §15, RFC 9369 §3.1).
    pub fn wire(self) -> u32 {
        match self {
            Version::V1 => 0x0000_0001,
            Version::V2 => 0x6b33_43cf,
        }
    }

    /// The version with this number, if it is one cloaktls knows.
    pub fn from_wire(v: u32) -> Option<Version> {
        match v {
            0x0000_0001 => Some(Version::V1),
            0x6b33_43cf => Some(Version::V2),
            _ => None,
        }
    }

    /// The salt of the Initial secrets (RFC 9001 §5.2, RFC 9369 §3.3.1).
    fn initial_salt(self) -> &'static [u8; 20] {
        match self {
            Version::V1 => &[
                0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8,
                0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a,
            ],
            Version::V2 => &[
                0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26,
                0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9,
            ],
        }
    }

    /// RFC 9001 §5.1 and §6.1; RFC 9369 §3.3.2 renames them all.
    fn labels(self) -> Labels {
        match self {
            Version::V1 => Labels {
                key: b"quic key",
                iv: b"quic iv",
                hp: b"quic hp",
                ku: b"quic ku",
            },
            Version::V2 => Labels {
                key: b"quicv2 key",
                iv: b"quicv2 iv",
                hp: b"quicv2 hp",
                ku: b"quicv2 ku",
            },
        }
    }

    /// The secret that the Retry integrity key and nonce are expanded from
    /// (RFC 9001 §5.8; RFC 9369 §3.3.3: the SHA-256 of "QUICv2 retry
    /// secret").
    fn retry_secret(self) -> &'static [u8; 32] {
        match self {
            Version::V1 => &[
                0xd9, 0xc9, 0x94, 0x3e, 0x61, 0x01, 0xfd, 0x20, 0x00, 0x21, 0x50, 0x6b, 0xcc, 0x02,
                0x81, 0x4c, 0x73, 0x03, 0x0f, 0x25, 0xc7, 0x9d, 0x71, 0xce, 0x87, 0x6e, 0xca, 0x87,
                0x6e, 0x6f, 0xca, 0x8e,
            ],
            Version::V2 => &[
                0xc4, 0xdd, 0x24, 0x84, 0xd6, 0x81, 0xae, 0xfa, 0x4f, 0xf4, 0xd6, 0x9c, 0x2c, 0x20,
                0x29, 0x99, 0x84, 0xa7, 0x65, 0xa5, 0xd3, 0xc3, 0x19, 0x82, 0xf3, 0x8f, 0xc7, 0x41,
                0x62, 0x15, 0x5e, 0x9f,
            ],
        }
    }
}

/// The Initial secrets: `initial_secret = HKDF-Extract(initial_salt,
/// client_dst_connection_id)`, then "client in" and "server in", with
/// SHA-256 whatever the suite (RFC 9001 §5.2). Returns (client, server).
pub fn initial_secrets(version: Version, client_dcid: &[u8]) -> (Secret, Secret) {
    let hash = HashAlgorithm::Sha256;
    let initial = initial_secret(version, client_dcid);
    let len = hash.output_len();
    (
        hkdf_expand_label(hash, initial.as_bytes(), b"client in", &[], len),
        hkdf_expand_label(hash, initial.as_bytes(), b"server in", &[], len),
    )
}

/// `initial_secret` itself, for the test vectors.
pub fn initial_secret(version: Version, client_dcid: &[u8]) -> Secret {
    HashAlgorithm::Sha256.hkdf_extract(version.initial_salt(), client_dcid)
}

/// What packet protection needs from one traffic secret (RFC 9001 §5.1):
/// the AEAD key ("quic key"), the IV ("quic iv", the nonce's length) and
/// the header protection key ("quic hp", the cipher's key length, which
/// for every suite is the AEAD's).
pub struct PacketSecrets {
    /// The AEAD key.
    pub key: Secret,
    /// The IV that the packet number is XORed into.
    pub iv: [u8; NONCE_LEN],
    /// The header protection key.
    pub hp: Secret,
}

/// The packet protection key, IV and header protection key of `secret`.
pub fn packet_secrets(
    version: Version,
    hash: HashAlgorithm,
    aead: AeadAlgorithm,
    secret: &[u8],
) -> PacketSecrets {
    let (key, iv) = packet_key_iv(version, hash, aead, secret);
    let hp = hkdf_expand_label(hash, secret, version.labels().hp, &[], aead.key_len());
    PacketSecrets { key, iv, hp }
}

/// The packet protection key and IV alone: after a key update, the header
/// protection key stays (RFC 9001 §6).
pub fn packet_key_iv(
    version: Version,
    hash: HashAlgorithm,
    aead: AeadAlgorithm,
    secret: &[u8],
) -> (Secret, [u8; NONCE_LEN]) {
    let labels = version.labels();
    let key = hkdf_expand_label(hash, secret, labels.key, &[], aead.key_len());
    let iv_bytes = hkdf_expand_label(hash, secret, labels.iv, &[], NONCE_LEN);
    let mut iv = [0u8; NONCE_LEN];
    iv.copy_from_slice(iv_bytes.as_bytes());
    (key, iv)
}

/// The next generation of a 1-RTT secret: `secret_<n+1> =
/// HKDF-Expand-Label(secret_<n>, "quic ku", "", Hash.length)` (RFC 9001
/// §6.1).
pub fn next_secret(version: Version, hash: HashAlgorithm, secret: &[u8]) -> Secret {
    hkdf_expand_label(hash, secret, version.labels().ku, &[], hash.output_len())
}

/// The AEAD_AES_128_GCM key and nonce of the Retry Integrity Tag, expanded
/// from the version's fixed secret with "quic key" and "quic iv" (RFC 9001
/// §5.8, RFC 9369 §3.3.3).
pub fn retry_key_nonce(version: Version) -> (Secret, [u8; NONCE_LEN]) {
    packet_key_iv(
        version,
        HashAlgorithm::Sha256,
        AeadAlgorithm::Aes128Gcm,
        version.retry_secret(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_retry_keys_are_the_rfcs_constants() {
        // RFC 9001 §5.8 and RFC 9369 §3.3.3 print them.
        let (k, n) = retry_key_nonce(Version::V1);
        assert_eq!(hex::encode(k.as_bytes()), "be0c690b9f66575a1d766b54e368c84e");
        assert_eq!(hex::encode(n), "461599d35d632bf2239825bb");
        let (k, n) = retry_key_nonce(Version::V2);
        assert_eq!(hex::encode(k.as_bytes()), "8fb4b01b56ac48e260fbcbcead7ccc92");
        assert_eq!(hex::encode(n), "d86969bc2d7c6d9990efb04a");
    }

    #[test]
    fn versions_round_trip_their_numbers() {
        for v in [Version::V1, Version::V2] {
            assert_eq!(Version::from_wire(v.wire()), Some(v));
        }
        assert_eq!(Version::from_wire(0xff00_001d), None);
    }
}
