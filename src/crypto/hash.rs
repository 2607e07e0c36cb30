//! Hashes, HMAC and HKDF (RFC 5869) through `ring`.

use super::Secret;
use ring::{digest, hmac};

/// A hash function used by a suite's PRF or HKDF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashAlgorithm {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
}

impl HashAlgorithm {
    fn digest_alg(self) -> &'static digest::Algorithm {
        match self {
            HashAlgorithm::Sha256 => &digest::SHA256,
            HashAlgorithm::Sha384 => &digest::SHA384,
        }
    }

    fn hmac_alg(self) -> hmac::Algorithm {
        match self {
            HashAlgorithm::Sha256 => hmac::HMAC_SHA256,
            HashAlgorithm::Sha384 => hmac::HMAC_SHA384,
        }
    }

    /// The output length in bytes.
    pub fn output_len(self) -> usize {
        self.digest_alg().output_len()
    }

    /// The hash of `data`.
    pub fn hash(self, data: &[u8]) -> Output {
        Output::new(digest::digest(self.digest_alg(), data).as_ref())
    }

    /// A running hash context.
    pub fn start(self) -> HashContext {
        HashContext {
            alg: self,
            ctx: digest::Context::new(self.digest_alg()),
        }
    }

    /// HMAC(key, data) over the concatenation of `data`'s parts.
    pub fn hmac(self, key: &[u8], data: &[&[u8]]) -> Output {
        let key = hmac::Key::new(self.hmac_alg(), key);
        let mut ctx = hmac::Context::with_key(&key);
        for d in data {
            ctx.update(d);
        }
        Output::new(ctx.sign().as_ref())
    }

    /// An HMAC key to sign many messages with (the TLS 1.2 PRF).
    pub fn hmac_key(self, key: &[u8]) -> HmacKey {
        HmacKey(hmac::Key::new(self.hmac_alg(), key))
    }

    /// Whether `tag` is HMAC(key, data), compared in constant time.
    pub fn hmac_verify(self, key: &[u8], data: &[u8], tag: &[u8]) -> bool {
        let key = hmac::Key::new(self.hmac_alg(), key);
        hmac::verify(&key, data, tag).is_ok()
    }

    /// HKDF-Extract(salt, IKM) (RFC 5869 §2.2); an empty salt means a
    /// string of zeros of the hash's length.
    pub fn hkdf_extract(self, salt: &[u8], ikm: &[u8]) -> Secret {
        self.hkdf_extract_parts(salt, &[ikm])
    }

    /// HKDF-Extract(salt, IKM) over the concatenation of `ikm`'s parts
    /// (HPKE's LabeledExtract, RFC 9180 §4, prefixes the IKM with labels).
    pub fn hkdf_extract_parts(self, salt: &[u8], ikm: &[&[u8]]) -> Secret {
        let zeros = [0u8; 64];
        let salt = if salt.is_empty() {
            &zeros[..self.output_len()]
        } else {
            salt
        };
        let key = hmac::Key::new(self.hmac_alg(), salt);
        let mut ctx = hmac::Context::with_key(&key);
        for part in ikm {
            ctx.update(part);
        }
        // Straight into a Secret: no copy of the PRK is left behind.
        Secret::from_slice(ctx.sign().as_ref())
    }

    /// HKDF-Expand(PRK, info, L) (RFC 5869 §2.3). `len` is at most 255
    /// times the hash length; every caller asks for far less.
    pub fn hkdf_expand(self, prk: &[u8], info: &[&[u8]], len: usize) -> Secret {
        self.prk(prk).expand(info, len)
    }

    /// A PRK set up once for several HKDF-Expand calls (its HMAC key
    /// schedule is computed here, not per call).
    pub fn prk(self, prk: &[u8]) -> Prk {
        Prk {
            alg: self,
            key: hmac::Key::new(self.hmac_alg(), prk),
        }
    }

    /// The hash of the empty string, a constant of the key schedule.
    pub fn empty_hash(self) -> Output {
        match self {
            HashAlgorithm::Sha256 => Output::new(&EMPTY_SHA256),
            HashAlgorithm::Sha384 => Output::new(&EMPTY_SHA384),
        }
    }
}

/// SHA-256("") (FIPS 180-4).
const EMPTY_SHA256: [u8; 32] = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

/// SHA-384("") (FIPS 180-4).
const EMPTY_SHA384: [u8; 48] = [
    0x38, 0xb0, 0x60, 0xa7, 0x51, 0xac, 0x96, 0x38, 0x4c, 0xd9, 0x32, 0x7e, 0xb1, 0xb1, 0xe3, 0x6a,
    0x21, 0xfd, 0xb7, 0x11, 0x14, 0xbe, 0x07, 0x43, 0x4c, 0x0c, 0xc7, 0xbf, 0x63, 0xf6, 0xe1, 0xda,
    0x27, 0x4e, 0xde, 0xbf, 0xe7, 0x6f, 0x65, 0xfb, 0xd5, 0x1a, 0xd2, 0xf1, 0x48, 0x98, 0xb9, 0x5b,
];

/// An HKDF pseudorandom key, ready to expand (RFC 5869 §2.3).
#[derive(Clone)]
pub struct Prk {
    alg: HashAlgorithm,
    key: hmac::Key,
}

impl std::fmt::Debug for Prk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Prk({:?})", self.alg)
    }
}

impl Prk {
    /// HKDF-Expand(PRK, info, L) over the concatenation of `info`'s parts.
    pub fn expand(&self, info: &[&[u8]], len: usize) -> Secret {
        let key = &self.key;
        let mut out = Secret::zeroed(len);
        let mut t = [0u8; 64];
        let mut t_len = 0;
        for (i, chunk) in out
            .as_mut_bytes()
            .chunks_mut(self.alg.output_len())
            .enumerate()
        {
            let mut ctx = hmac::Context::with_key(key);
            ctx.update(t.get(..t_len).unwrap_or_default());
            for part in info {
                ctx.update(part);
            }
            // T(i) for i = 1, 2, ...: `len` is far below 255 blocks.
            ctx.update(&[(i + 1) as u8]);
            let tag = ctx.sign();
            let tag = tag.as_ref();
            t_len = tag.len().min(t.len());
            t[..t_len].copy_from_slice(&tag[..t_len]);
            let n = chunk.len().min(t_len);
            chunk[..n].copy_from_slice(&t[..n]);
        }
        // T(n) is key material too.
        t.fill(0);
        std::hint::black_box(&mut t);
        out
    }
}

/// A hash or HMAC value, held inline (no heap allocation).
#[derive(Clone, Copy)]
pub struct Output {
    buf: [u8; 64],
    len: usize,
}

impl Output {
    /// A copy of `bytes` (at most 64 of them: SHA-512's length).
    fn new(bytes: &[u8]) -> Self {
        let mut buf = [0u8; 64];
        let len = bytes.len().min(buf.len());
        buf[..len].copy_from_slice(&bytes[..len]);
        Output { buf, len }
    }
}

impl Output {
    /// Zeroes the value (an HMAC output used as key material).
    pub fn wipe(&mut self) {
        self.buf.fill(0);
        std::hint::black_box(&mut self.buf);
    }
}

impl std::ops::Deref for Output {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }
}

impl AsRef<[u8]> for Output {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl PartialEq for Output {
    fn eq(&self, other: &Output) -> bool {
        **self == **other
    }
}

impl Eq for Output {}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for b in self.iter() {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// An HMAC key, set up once.
pub struct HmacKey(hmac::Key);

impl HmacKey {
    /// HMAC over the concatenation of `data`'s parts.
    pub fn sign(&self, data: &[&[u8]]) -> Output {
        let mut ctx = hmac::Context::with_key(&self.0);
        for d in data {
            ctx.update(d);
        }
        Output::new(ctx.sign().as_ref())
    }
}

impl std::fmt::Debug for HmacKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HmacKey(..)")
    }
}

/// A running hash, cloneable so that a transcript hash can be read at any
/// point without ending it.
#[derive(Clone)]
pub struct HashContext {
    alg: HashAlgorithm,
    ctx: digest::Context,
}

impl HashContext {
    /// The algorithm.
    pub fn algorithm(&self) -> HashAlgorithm {
        self.alg
    }

    /// Adds `data`.
    pub fn update(&mut self, data: &[u8]) {
        self.ctx.update(data);
    }

    /// The hash of everything added so far; the context goes on.
    pub fn current(&self) -> Output {
        Output::new(self.ctx.clone().finish().as_ref())
    }
}

impl std::fmt::Debug for HashContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HashContext({:?})", self.alg)
    }
}

/// Constant-time equality of two byte strings (for Finished values).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_hashes_are_the_hashes_of_nothing() {
        for h in [HashAlgorithm::Sha256, HashAlgorithm::Sha384] {
            assert_eq!(h.empty_hash(), h.hash(&[]));
        }
    }

    #[test]
    fn hkdf_rfc5869_case1() {
        let h = HashAlgorithm::Sha256;
        let ikm = [0x0b; 22];
        let salt = hex::decode("000102030405060708090a0b0c").unwrap();
        let info = hex::decode("f0f1f2f3f4f5f6f7f8f9").unwrap();
        let prk = h.hkdf_extract(&salt, &ikm);
        assert_eq!(
            hex::encode(prk.as_bytes()),
            "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5"
        );
        let okm = h.hkdf_expand(prk.as_bytes(), &[&info], 42);
        assert_eq!(
            hex::encode(okm.as_bytes()),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
        );
    }

    #[test]
    fn transcript_context_reads_without_ending() {
        let mut c = HashAlgorithm::Sha256.start();
        c.update(b"ab");
        let mid = c.current();
        c.update(b"c");
        assert_eq!(mid, HashAlgorithm::Sha256.hash(b"ab"));
        assert_eq!(c.current(), HashAlgorithm::Sha256.hash(b"abc"));
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
