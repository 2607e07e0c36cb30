//! HPKE, Hybrid Public Key Encryption (RFC 9180), in base mode: what
//! Encrypted Client Hello (RFC 9849) needs. The KEM is DHKEM(X25519,
//! HKDF-SHA256); the KDFs are HKDF-SHA256 and HKDF-SHA384 and the AEADs
//! AES-128-GCM, AES-256-GCM and ChaCha20-Poly1305, all from `ring` through
//! [`HashAlgorithm`] and [`AeadKey`]. `ring` has no X25519 with a static
//! private key (the recipient's), so that one operation comes from
//! `x25519-dalek`, here and nowhere else.
//!
//! A context ([`HpkeContext`]) seals or opens several messages in order
//! (RFC 9180 §5.2): ECH's second ClientHello after a HelloRetryRequest is
//! the second message of the first one's context (RFC 9849 §6.1.5).

use super::aead::{AeadKey, NONCE_LEN, TAG_LEN};
use super::rand::RandomSource;
use super::{AeadAlgorithm, HashAlgorithm, Secret};
use crate::error::Error;
use x25519_dalek::{PublicKey, StaticSecret};

/// A KEM (RFC 9180 §7.1, Table 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HpkeKem {
    /// DHKEM(X25519, HKDF-SHA256), kem_id 0x0020.
    DhkemX25519HkdfSha256,
}

impl HpkeKem {
    /// The KEM's identifier.
    pub const fn id(self) -> u16 {
        match self {
            HpkeKem::DhkemX25519HkdfSha256 => 0x0020,
        }
    }

    /// The KEM of `id`, if cloaktls implements it.
    pub fn from_id(id: u16) -> Option<Self> {
        match id {
            0x0020 => Some(HpkeKem::DhkemX25519HkdfSha256),
            _ => None,
        }
    }

    /// Npk: the length of a public key (and Nenc, of an encapsulated key).
    pub const fn public_key_len(self) -> usize {
        32
    }

    /// Nsk: the length of a private key.
    pub const fn private_key_len(self) -> usize {
        32
    }

    /// The KDF inside the KEM (RFC 9180 §4.1).
    fn kdf(self) -> HashAlgorithm {
        HashAlgorithm::Sha256
    }

    /// `"KEM" || I2OSP(kem_id, 2)` (RFC 9180 §4.1).
    fn suite_id(self) -> [u8; 5] {
        let id = self.id().to_be_bytes();
        [b'K', b'E', b'M', id[0], id[1]]
    }
}

/// A KDF (RFC 9180 §7.2, Table 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HpkeKdf {
    /// HKDF-SHA256, kdf_id 0x0001.
    HkdfSha256,
    /// HKDF-SHA384, kdf_id 0x0002.
    HkdfSha384,
}

impl HpkeKdf {
    /// The KDF's identifier.
    pub const fn id(self) -> u16 {
        match self {
            HpkeKdf::HkdfSha256 => 0x0001,
            HpkeKdf::HkdfSha384 => 0x0002,
        }
    }

    /// The KDF of `id`, if cloaktls implements it.
    pub fn from_id(id: u16) -> Option<Self> {
        match id {
            0x0001 => Some(HpkeKdf::HkdfSha256),
            0x0002 => Some(HpkeKdf::HkdfSha384),
            _ => None,
        }
    }

    fn hash(self) -> HashAlgorithm {
        match self {
            HpkeKdf::HkdfSha256 => HashAlgorithm::Sha256,
            HpkeKdf::HkdfSha384 => HashAlgorithm::Sha384,
        }
    }
}

/// An AEAD (RFC 9180 §7.3, Table 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HpkeAead {
    /// AES-128-GCM, aead_id 0x0001.
    Aes128Gcm,
    /// AES-256-GCM, aead_id 0x0002.
    Aes256Gcm,
    /// ChaCha20-Poly1305, aead_id 0x0003.
    ChaCha20Poly1305,
}

impl HpkeAead {
    /// The AEAD's identifier.
    pub const fn id(self) -> u16 {
        match self {
            HpkeAead::Aes128Gcm => 0x0001,
            HpkeAead::Aes256Gcm => 0x0002,
            HpkeAead::ChaCha20Poly1305 => 0x0003,
        }
    }

    /// The AEAD of `id`, if cloaktls implements it.
    pub fn from_id(id: u16) -> Option<Self> {
        match id {
            0x0001 => Some(HpkeAead::Aes128Gcm),
            0x0002 => Some(HpkeAead::Aes256Gcm),
            0x0003 => Some(HpkeAead::ChaCha20Poly1305),
            _ => None,
        }
    }

    fn algorithm(self) -> AeadAlgorithm {
        match self {
            HpkeAead::Aes128Gcm => AeadAlgorithm::Aes128Gcm,
            HpkeAead::Aes256Gcm => AeadAlgorithm::Aes256Gcm,
            HpkeAead::ChaCha20Poly1305 => AeadAlgorithm::Chacha20Poly1305,
        }
    }

    /// Nt: the tag that sealing adds (16 bytes for all three).
    pub const fn tag_len(self) -> usize {
        TAG_LEN
    }
}

/// The (KEM, KDF, AEAD) triple of an HPKE setup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HpkeSuite {
    /// The KEM.
    pub kem: HpkeKem,
    /// The KDF of the key schedule.
    pub kdf: HpkeKdf,
    /// The AEAD.
    pub aead: HpkeAead,
}

impl HpkeSuite {
    /// `"HPKE" || I2OSP(kem_id, 2) || I2OSP(kdf_id, 2) || I2OSP(aead_id, 2)`
    /// (RFC 9180 §5.1).
    fn suite_id(&self) -> [u8; 10] {
        let k = self.kem.id().to_be_bytes();
        let f = self.kdf.id().to_be_bytes();
        let a = self.aead.id().to_be_bytes();
        [b'H', b'P', b'K', b'E', k[0], k[1], f[0], f[1], a[0], a[1]]
    }
}

/// The symmetric suites cloaktls implements, in its order of preference.
pub const SYMMETRIC_SUITES: [(HpkeKdf, HpkeAead); 6] = [
    (HpkeKdf::HkdfSha256, HpkeAead::Aes128Gcm),
    (HpkeKdf::HkdfSha256, HpkeAead::ChaCha20Poly1305),
    (HpkeKdf::HkdfSha256, HpkeAead::Aes256Gcm),
    (HpkeKdf::HkdfSha384, HpkeAead::Aes128Gcm),
    (HpkeKdf::HkdfSha384, HpkeAead::ChaCha20Poly1305),
    (HpkeKdf::HkdfSha384, HpkeAead::Aes256Gcm),
];

/// `"HPKE-v1"`, the version label of every labeled derivation (RFC 9180 §4).
const VERSION_LABEL: &[u8] = b"HPKE-v1";

/// LabeledExtract(salt, label, ikm) (RFC 9180 §4).
fn labeled_extract(
    hash: HashAlgorithm,
    suite_id: &[u8],
    salt: &[u8],
    label: &[u8],
    ikm: &[u8],
) -> Secret {
    hash.hkdf_extract_parts(salt, &[VERSION_LABEL, suite_id, label, ikm])
}

/// LabeledExpand(prk, label, info, L) (RFC 9180 §4). `len` is at most
/// 255 hash lengths (the callers check the one that a peer could choose).
fn labeled_expand(
    hash: HashAlgorithm,
    suite_id: &[u8],
    prk: &[u8],
    label: &[u8],
    info: &[u8],
    len: usize,
) -> Secret {
    let l = u16::try_from(len).unwrap_or(u16::MAX).to_be_bytes();
    hash.hkdf_expand(prk, &[&l, VERSION_LABEL, suite_id, label, info], len)
}

/// A KEM private key with its public key. `Debug` shows the public key
/// only; the private key is zeroed when dropped.
#[derive(Clone)]
pub struct HpkePrivateKey {
    kem: HpkeKem,
    secret: StaticSecret,
    public: [u8; 32],
}

impl std::fmt::Debug for HpkePrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HpkePrivateKey")
            .field("kem", &self.kem)
            .field("public", &hex::encode(self.public))
            .finish_non_exhaustive()
    }
}

impl HpkePrivateKey {
    /// A private key from its serialization (RFC 9180 §7.1.2: for X25519,
    /// the 32 bytes as they are; clamping happens in the multiplication).
    pub fn from_bytes(kem: HpkeKem, bytes: &[u8]) -> Result<Self, Error> {
        let raw: [u8; 32] = bytes
            .try_into()
            .map_err(|_| Error::Config("an X25519 private key is 32 bytes".into()))?;
        let secret = StaticSecret::from(raw);
        let public = PublicKey::from(&secret).to_bytes();
        Ok(HpkePrivateKey {
            kem,
            secret,
            public,
        })
    }

    /// DeriveKeyPair(ikm) (RFC 9180 §7.1.3).
    pub fn derive(kem: HpkeKem, ikm: &[u8]) -> Self {
        let hash = kem.kdf();
        let sid = kem.suite_id();
        let dkp_prk = labeled_extract(hash, &sid, b"", b"dkp_prk", ikm);
        let sk = labeled_expand(
            hash,
            &sid,
            dkp_prk.as_bytes(),
            b"sk",
            b"",
            kem.private_key_len(),
        );
        let mut raw = [0u8; 32];
        raw.copy_from_slice(sk.as_bytes());
        let secret = StaticSecret::from(raw);
        raw.fill(0);
        std::hint::black_box(&mut raw);
        let public = PublicKey::from(&secret).to_bytes();
        HpkePrivateKey {
            kem,
            secret,
            public,
        }
    }

    /// GenerateKeyPair(): DeriveKeyPair of Nsk random bytes (RFC 9180
    /// §7.1.3), so that a scripted random source gives known keys.
    pub fn generate(kem: HpkeKem, rng: &dyn RandomSource) -> Result<Self, Error> {
        let mut ikm = [0u8; 32];
        rng.fill(&mut ikm)?;
        let key = Self::derive(kem, &ikm);
        ikm.fill(0);
        std::hint::black_box(&mut ikm);
        Ok(key)
    }

    /// The KEM.
    pub fn kem(&self) -> HpkeKem {
        self.kem
    }

    /// SerializePublicKey(pk(sk)) (RFC 9180 §7.1.1).
    pub fn public_key(&self) -> &[u8] {
        &self.public
    }

    /// SerializePrivateKey(sk) (RFC 9180 §7.1.2), unclamped, as RFC 9180's
    /// test vectors list it.
    pub fn to_bytes(&self) -> Secret {
        Secret::from_slice(self.secret.as_bytes())
    }

    /// DH(sk, pk), refusing the all-zero output (RFC 9180 §7.1.4, RFC 7748
    /// §6.1).
    fn dh(&self, peer_public: &[u8]) -> Result<Secret, Error> {
        let peer: [u8; 32] = peer_public
            .try_into()
            .map_err(|_| Error::Crypto("HPKE: a public key of the wrong length"))?;
        let shared = self.secret.diffie_hellman(&PublicKey::from(peer));
        if !shared.was_contributory() {
            return Err(Error::Crypto("HPKE: the X25519 shared secret is zero"));
        }
        Ok(Secret::from_slice(shared.as_bytes()))
    }
}

/// ExtractAndExpand(dh, kem_context) (RFC 9180 §4.1), with
/// kem_context = enc || pkR.
fn extract_and_expand(kem: HpkeKem, dh: &Secret, enc: &[u8], pk_r: &[u8]) -> Secret {
    let hash = kem.kdf();
    let sid = kem.suite_id();
    let eae_prk = labeled_extract(hash, &sid, b"", b"eae_prk", dh.as_bytes());
    let kem_context = [enc, pk_r].concat();
    labeled_expand(
        hash,
        &sid,
        eae_prk.as_bytes(),
        b"shared_secret",
        &kem_context,
        32,
    )
}

/// Encap(pkR) (RFC 9180 §4.1): the shared secret and `enc`.
fn encap(kem: HpkeKem, pk_r: &[u8], rng: &dyn RandomSource) -> Result<(Secret, Vec<u8>), Error> {
    if pk_r.len() != kem.public_key_len() {
        return Err(Error::Crypto("HPKE: a public key of the wrong length"));
    }
    let ephemeral = HpkePrivateKey::generate(kem, rng)?;
    let dh = ephemeral.dh(pk_r)?;
    let enc = ephemeral.public_key().to_vec();
    Ok((extract_and_expand(kem, &dh, &enc, pk_r), enc))
}

/// Decap(enc, skR) (RFC 9180 §4.1).
fn decap(enc: &[u8], sk_r: &HpkePrivateKey) -> Result<Secret, Error> {
    let dh = sk_r.dh(enc)?;
    Ok(extract_and_expand(sk_r.kem, &dh, enc, sk_r.public_key()))
}

/// An HPKE context of base mode (RFC 9180 §5.1, §5.2): the AEAD key, the
/// base nonce, the sequence number and the exporter secret.
pub struct HpkeContext {
    suite: HpkeSuite,
    key: AeadKey,
    base_nonce: [u8; NONCE_LEN],
    seq: u64,
    exporter_secret: Secret,
}

impl std::fmt::Debug for HpkeContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HpkeContext")
            .field("suite", &self.suite)
            .field("seq", &self.seq)
            .finish_non_exhaustive()
    }
}

/// KeySchedule(mode_base, shared_secret, info, "", "") (RFC 9180 §5.1).
fn key_schedule(
    suite: HpkeSuite,
    shared_secret: &Secret,
    info: &[u8],
) -> Result<HpkeContext, Error> {
    let hash = suite.kdf.hash();
    let sid = suite.suite_id();
    let psk_id_hash = labeled_extract(hash, &sid, b"", b"psk_id_hash", b"");
    let info_hash = labeled_extract(hash, &sid, b"", b"info_hash", info);
    // mode_base = 0x00 (RFC 9180 §5, Table 1).
    let mut context = Vec::with_capacity(1 + 2 * hash.output_len());
    context.push(0x00);
    context.extend_from_slice(psk_id_hash.as_bytes());
    context.extend_from_slice(info_hash.as_bytes());
    // The KEM's shared secret is the salt, the (empty) PSK the IKM.
    let secret = labeled_extract(hash, &sid, shared_secret.as_bytes(), b"secret", b"");
    let alg = suite.aead.algorithm();
    let key = labeled_expand(
        hash,
        &sid,
        secret.as_bytes(),
        b"key",
        &context,
        alg.key_len(),
    );
    let nonce = labeled_expand(
        hash,
        &sid,
        secret.as_bytes(),
        b"base_nonce",
        &context,
        NONCE_LEN,
    );
    let exporter_secret = labeled_expand(
        hash,
        &sid,
        secret.as_bytes(),
        b"exp",
        &context,
        hash.output_len(),
    );
    let mut base_nonce = [0u8; NONCE_LEN];
    base_nonce.copy_from_slice(nonce.as_bytes());
    Ok(HpkeContext {
        suite,
        key: AeadKey::new(alg, key.as_bytes())?,
        base_nonce,
        seq: 0,
        exporter_secret,
    })
}

/// SetupBaseS(pkR, info) (RFC 9180 §5.1.1): `enc` for the recipient and a
/// context to seal with. The ephemeral key comes from `rng`.
pub fn setup_base_s(
    suite: HpkeSuite,
    pk_r: &[u8],
    info: &[u8],
    rng: &dyn RandomSource,
) -> Result<(Vec<u8>, HpkeContext), Error> {
    let (shared_secret, enc) = encap(suite.kem, pk_r, rng)?;
    Ok((enc, key_schedule(suite, &shared_secret, info)?))
}

/// SetupBaseR(enc, skR, info) (RFC 9180 §5.1.1): a context to open with.
/// A bad `enc` (wrong length, or one that gives the all-zero secret) is an
/// error, as is a key of another KEM than `suite`'s.
pub fn setup_base_r(
    suite: HpkeSuite,
    enc: &[u8],
    sk_r: &HpkePrivateKey,
    info: &[u8],
) -> Result<HpkeContext, Error> {
    if sk_r.kem != suite.kem {
        return Err(Error::Crypto("HPKE: a key of another KEM"));
    }
    let shared_secret = decap(enc, sk_r)?;
    key_schedule(suite, &shared_secret, info)
}

impl HpkeContext {
    /// The suite.
    pub fn suite(&self) -> HpkeSuite {
        self.suite
    }

    /// ComputeNonce(seq) (RFC 9180 §5.2): the base nonce XOR the sequence
    /// number, right-aligned.
    fn nonce(&self) -> [u8; NONCE_LEN] {
        let mut nonce = self.base_nonce;
        for (n, s) in nonce[NONCE_LEN - 8..]
            .iter_mut()
            .zip(self.seq.to_be_bytes())
        {
            *n ^= s;
        }
        nonce
    }

    /// IncrementSeq (RFC 9180 §5.2): a u64 counter, which fails long before
    /// the 96-bit nonce would wrap.
    fn increment(&mut self) -> Result<(), Error> {
        self.seq = self
            .seq
            .checked_add(1)
            .ok_or(Error::Crypto("HPKE: message limit reached"))?;
        Ok(())
    }

    /// Seal(aad, pt) (RFC 9180 §5.2): the ciphertext with its tag.
    pub fn seal(&mut self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, Error> {
        let mut out = Vec::with_capacity(plaintext.len() + TAG_LEN);
        out.extend_from_slice(plaintext);
        let tag = self.key.seal(self.nonce(), aad, &mut out)?;
        out.extend_from_slice(&tag);
        self.increment()?;
        Ok(out)
    }

    /// Open(aad, ct) (RFC 9180 §5.2): the plaintext, or an error (OpenError)
    /// that leaves the sequence number where it was.
    pub fn open(&mut self, aad: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>, Error> {
        let mut buf = ciphertext.to_vec();
        let n = self
            .key
            .open(self.nonce(), aad, &mut buf)
            .map_err(|_| Error::Crypto("HPKE: the ciphertext does not open"))?;
        buf.truncate(n);
        self.increment()?;
        Ok(buf)
    }

    /// Export(exporter_context, L) (RFC 9180 §5.3); `len` is at most 255
    /// hash lengths.
    pub fn export(&self, exporter_context: &[u8], len: usize) -> Result<Secret, Error> {
        let hash = self.suite.kdf.hash();
        if len > 255 * hash.output_len() {
            return Err(Error::Crypto(
                "HPKE: an export longer than 255 hash lengths",
            ));
        }
        Ok(labeled_expand(
            hash,
            &self.suite.suite_id(),
            self.exporter_secret.as_bytes(),
            b"sec",
            exporter_context,
            len,
        ))
    }
}

/// SealBase(pkR, info, aad, pt) (RFC 9180 §6.1): `enc` and the ciphertext.
pub fn seal_base(
    suite: HpkeSuite,
    pk_r: &[u8],
    info: &[u8],
    aad: &[u8],
    plaintext: &[u8],
    rng: &dyn RandomSource,
) -> Result<(Vec<u8>, Vec<u8>), Error> {
    let (enc, mut ctx) = setup_base_s(suite, pk_r, info, rng)?;
    Ok((enc, ctx.seal(aad, plaintext)?))
}

/// OpenBase(enc, skR, info, aad, ct) (RFC 9180 §6.1).
pub fn open_base(
    suite: HpkeSuite,
    enc: &[u8],
    sk_r: &HpkePrivateKey,
    info: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
) -> Result<Vec<u8>, Error> {
    setup_base_r(suite, enc, sk_r, info)?.open(aad, ciphertext)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::rand::SystemRandom;

    #[test]
    fn every_suite_seals_and_opens_in_order() {
        let rng = SystemRandom::new();
        let kem = HpkeKem::DhkemX25519HkdfSha256;
        let sk = HpkePrivateKey::generate(kem, &rng).unwrap();
        for (kdf, aead) in SYMMETRIC_SUITES {
            let suite = HpkeSuite { kem, kdf, aead };
            let (enc, mut s) = setup_base_s(suite, sk.public_key(), b"info", &rng).unwrap();
            let mut r = setup_base_r(suite, &enc, &sk, b"info").unwrap();
            for i in 0..3u8 {
                let ct = s.seal(&[i], b"hello").unwrap();
                assert_eq!(ct.len(), 5 + aead.tag_len());
                // A wrong AAD fails and does not use up the nonce.
                assert!(r.open(&[i, 0], &ct).is_err());
                assert_eq!(r.open(&[i], &ct).unwrap(), b"hello");
            }
            assert_eq!(
                s.export(b"x", 40).unwrap(),
                r.export(b"x", 40).unwrap(),
                "{suite:?}"
            );
            // Another info gives another key.
            let mut other = setup_base_r(suite, &enc, &sk, b"other").unwrap();
            assert!(other.open(&[0], &s.seal(&[0], b"x").unwrap()).is_err());
        }
    }

    #[test]
    fn bad_encapsulated_keys_are_refused() {
        let rng = SystemRandom::new();
        let kem = HpkeKem::DhkemX25519HkdfSha256;
        let suite = HpkeSuite {
            kem,
            kdf: HpkeKdf::HkdfSha256,
            aead: HpkeAead::Aes128Gcm,
        };
        let sk = HpkePrivateKey::generate(kem, &rng).unwrap();
        // Wrong lengths, and the small-order points that give zero (RFC
        // 7748 §6.1).
        let mut one = [0u8; 32];
        one[0] = 1;
        for enc in [&[][..], &[9u8; 31][..], &[0u8; 32][..], &one[..]] {
            assert!(setup_base_r(suite, enc, &sk, b"").is_err());
        }
        assert!(setup_base_s(suite, &[0u8; 32], b"", &rng).is_err());
        assert!(setup_base_s(suite, &[1u8; 33], b"", &rng).is_err());
        assert!(HpkePrivateKey::from_bytes(kem, &[1u8; 31]).is_err());
        let copy = HpkePrivateKey::from_bytes(kem, sk.to_bytes().as_bytes()).unwrap();
        assert_eq!(copy.public_key(), sk.public_key());
        assert!(!format!("{sk:?}").contains(&hex::encode(sk.to_bytes().as_bytes())));
        assert!(HpkeKem::from_id(0x0010).is_none());
        assert!(HpkeKdf::from_id(3).is_none() && HpkeAead::from_id(0xffff).is_none());
    }
}
