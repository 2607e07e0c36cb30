//! The cipher suites cloaktls implements: AEAD only.

use super::sign::KeyKind;
use super::{AeadAlgorithm, HashAlgorithm};
use crate::msgs::enums::CipherSuite;

/// A TLS 1.3 suite (RFC 8446 §B.4).
#[derive(Debug, PartialEq, Eq)]
pub struct Tls13Suite {
    /// The suite's code point.
    pub suite: CipherSuite,
    /// The HKDF hash.
    pub hash: HashAlgorithm,
    /// The record AEAD.
    pub aead: AeadAlgorithm,
}

/// A TLS 1.2 ECDHE suite (RFC 5289, RFC 7905).
#[derive(Debug, PartialEq, Eq)]
pub struct Tls12Suite {
    /// The suite's code point.
    pub suite: CipherSuite,
    /// The PRF hash.
    pub hash: HashAlgorithm,
    /// The record AEAD.
    pub aead: AeadAlgorithm,
    /// The kind of server key that signs the ServerKeyExchange.
    pub sign: KeyKind,
}

/// TLS_AES_128_GCM_SHA256.
pub static TLS13_AES_128_GCM_SHA256: Tls13Suite = Tls13Suite {
    suite: CipherSuite::TLS13_AES_128_GCM_SHA256,
    hash: HashAlgorithm::Sha256,
    aead: AeadAlgorithm::Aes128Gcm,
};
/// TLS_AES_256_GCM_SHA384.
pub static TLS13_AES_256_GCM_SHA384: Tls13Suite = Tls13Suite {
    suite: CipherSuite::TLS13_AES_256_GCM_SHA384,
    hash: HashAlgorithm::Sha384,
    aead: AeadAlgorithm::Aes256Gcm,
};
/// TLS_CHACHA20_POLY1305_SHA256.
pub static TLS13_CHACHA20_POLY1305_SHA256: Tls13Suite = Tls13Suite {
    suite: CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
    hash: HashAlgorithm::Sha256,
    aead: AeadAlgorithm::Chacha20Poly1305,
};

macro_rules! tls12 {
    ($name:ident, $hash:ident, $aead:ident, $sign:ident) => {
        #[doc = concat!("`", stringify!($name), "`.")]
        pub static $name: Tls12Suite = Tls12Suite {
            suite: CipherSuite::$name,
            hash: HashAlgorithm::$hash,
            aead: AeadAlgorithm::$aead,
            sign: KeyKind::$sign,
        };
    };
}
tls12!(
    TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    Sha256,
    Aes128Gcm,
    Ecdsa
);
tls12!(
    TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    Sha384,
    Aes256Gcm,
    Ecdsa
);
tls12!(
    TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    Sha256,
    Chacha20Poly1305,
    Ecdsa
);
tls12!(
    TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    Sha256,
    Aes128Gcm,
    Rsa
);
tls12!(
    TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    Sha384,
    Aes256Gcm,
    Rsa
);
tls12!(
    TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    Sha256,
    Chacha20Poly1305,
    Rsa
);

/// A suite of either version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SupportedSuite {
    /// A TLS 1.3 suite.
    Tls13(&'static Tls13Suite),
    /// A TLS 1.2 suite.
    Tls12(&'static Tls12Suite),
}

impl SupportedSuite {
    /// The code point.
    pub fn suite(&self) -> CipherSuite {
        match self {
            SupportedSuite::Tls13(s) => s.suite,
            SupportedSuite::Tls12(s) => s.suite,
        }
    }

    /// The record AEAD.
    pub fn aead(&self) -> AeadAlgorithm {
        match self {
            SupportedSuite::Tls13(s) => s.aead,
            SupportedSuite::Tls12(s) => s.aead,
        }
    }
}

/// Every suite, in the default order of preference.
pub static ALL_SUITES: [SupportedSuite; 9] = [
    SupportedSuite::Tls13(&TLS13_AES_128_GCM_SHA256),
    SupportedSuite::Tls13(&TLS13_AES_256_GCM_SHA384),
    SupportedSuite::Tls13(&TLS13_CHACHA20_POLY1305_SHA256),
    SupportedSuite::Tls12(&TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256),
    SupportedSuite::Tls12(&TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384),
    SupportedSuite::Tls12(&TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256),
    SupportedSuite::Tls12(&TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256),
    SupportedSuite::Tls12(&TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384),
    SupportedSuite::Tls12(&TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256),
];

/// Finds a suite we implement by its code point.
pub fn lookup(suite: CipherSuite) -> Option<SupportedSuite> {
    ALL_SUITES.iter().copied().find(|s| s.suite() == suite)
}
