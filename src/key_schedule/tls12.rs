//! The TLS 1.2 PRF and what is derived with it.

use crate::crypto::{HashAlgorithm, Secret};
use crate::msgs::Role;

/// The length of a TLS 1.2 master secret.
pub const MASTER_SECRET_LEN: usize = 48;
/// The length of TLS 1.2 Finished.verify_data.
pub const VERIFY_DATA_LEN: usize = 12;

/// PRF(secret, label, seed) = `P_<hash>(secret, label + seed)` (RFC 5246 §5).
pub fn prf(hash: HashAlgorithm, secret: &[u8], label: &[u8], seed: &[u8], len: usize) -> Secret {
    let mut out = Vec::with_capacity(len);
    let key = hash.hmac_key(secret);
    // A(1) = HMAC(secret, label + seed)
    let mut a = key.sign(&[label, seed]);
    while out.len() < len {
        let mut block = key.sign(&[&a, label, seed]);
        let take = (len - out.len()).min(block.len());
        out.extend_from_slice(&block[..take]);
        block.wipe();
        a = key.sign(&[&a]);
    }
    a.wipe();
    Secret::new(out)
}

/// The master secret (RFC 5246 §8.1).
pub fn master_secret(
    hash: HashAlgorithm,
    pre_master_secret: &[u8],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
) -> Secret {
    let seed = [&client_random[..], &server_random[..]].concat();
    prf(
        hash,
        pre_master_secret,
        b"master secret",
        &seed,
        MASTER_SECRET_LEN,
    )
}

/// The extended master secret over the session hash (RFC 7627 §4).
pub fn extended_master_secret(
    hash: HashAlgorithm,
    pre_master_secret: &[u8],
    session_hash: &[u8],
) -> Secret {
    prf(
        hash,
        pre_master_secret,
        b"extended master secret",
        session_hash,
        MASTER_SECRET_LEN,
    )
}

/// The key block (RFC 5246 §6.3): note the server random comes first.
pub fn key_block(
    hash: HashAlgorithm,
    master_secret: &[u8],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
    len: usize,
) -> Secret {
    let seed = [&server_random[..], &client_random[..]].concat();
    prf(hash, master_secret, b"key expansion", &seed, len)
}

/// Finished.verify_data (RFC 5246 §7.4.9).
pub fn finished_verify_data(
    hash: HashAlgorithm,
    master_secret: &[u8],
    sender: Role,
    handshake_hash: &[u8],
) -> Vec<u8> {
    let label: &[u8] = match sender {
        Role::Client => b"client finished",
        Role::Server => b"server finished",
    };
    prf(hash, master_secret, label, handshake_hash, VERIFY_DATA_LEN)
        .as_bytes()
        .to_vec()
}

/// A keying-material exporter (RFC 5705 §4).
pub fn export(
    hash: HashAlgorithm,
    master_secret: &[u8],
    label: &[u8],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
    context: Option<&[u8]>,
    len: usize,
) -> Secret {
    let mut seed = [&client_random[..], &server_random[..]].concat();
    if let Some(ctx) = context {
        // Contexts longer than 2^16-1 bytes are refused by the connection
        // before this point; the cast cannot truncate.
        seed.extend_from_slice(&(ctx.len() as u16).to_be_bytes());
        seed.extend_from_slice(ctx);
    }
    prf(hash, master_secret, label, &seed, len)
}

#[cfg(test)]
mod tests {
    use super::*;

    // The widely published P_SHA256 test vector for the TLS 1.2 PRF
    // (posted to the IETF TLS list by Joseph Birr-Pixton).
    #[test]
    fn prf_sha256_vector() {
        let secret = hex::decode("9bbe436ba940f017b17652849a71db35").unwrap();
        let seed = hex::decode("a0ba9f936cda311827a6f796ffd5198c").unwrap();
        let out = prf(HashAlgorithm::Sha256, &secret, b"test label", &seed, 100);
        assert_eq!(
            hex::encode(out.as_bytes()),
            "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66"
        );
    }

    #[test]
    fn prf_sha384_vector() {
        let secret = hex::decode("b80b733d6ceefcdc71566ea48e5567df").unwrap();
        let seed = hex::decode("cd665cf6a8447dd6ff8b27555edb7465").unwrap();
        let out = prf(HashAlgorithm::Sha384, &secret, b"test label", &seed, 148);
        assert_eq!(
            hex::encode(out.as_bytes()),
            "7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cde9ca0faa60be9fe34f82b1233c9146a0e534cb400fed2700884f9dc236f80edd8bfa961144c9e8d792eca722a7b32fc3d416d473ebc2c5fd4abfdad05d9184259b5bf8cd4d90fa0d31e2dec479e4f1a26066f2eea9a69236a3e52655c9e9aee691c8f3a26854308d5eaa3be85e0990703d73e56f"
        );
    }

    #[test]
    fn extended_master_secret_differs_and_binds_the_session_hash() {
        let h = HashAlgorithm::Sha256;
        let pms = [7u8; 32];
        let (cr, sr) = ([1u8; 32], [2u8; 32]);
        let ms = master_secret(h, &pms, &cr, &sr);
        let ems1 = extended_master_secret(h, &pms, &h.hash(b"transcript one"));
        let ems2 = extended_master_secret(h, &pms, &h.hash(b"transcript two"));
        assert_eq!(ms.len(), 48);
        assert_ne!(ms, ems1);
        assert_ne!(ems1, ems2);
        // The definition, spelled out.
        let seed = h.hash(b"transcript one");
        assert_eq!(ems1, prf(h, &pms, b"extended master secret", &seed, 48));
        let mut cat = cr.to_vec();
        cat.extend_from_slice(&sr);
        assert_eq!(ms, prf(h, &pms, b"master secret", &cat, 48));
    }
}
