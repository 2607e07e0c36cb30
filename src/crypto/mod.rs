//! The only module that names the primitive crates (`ring`,
//! `libcrux-ml-kem`, `x25519-dalek` for HPKE's static X25519, and the
//! compression crates): hashes, HMAC and HKDF, AEADs, key exchange groups
//! (with ML-KEM for the hybrids), HPKE (RFC 9180), signing and verifying,
//! randomness, certificate compression, QUIC header protection, and the
//! suite table.

pub mod aead;
pub mod compress;
pub mod hash;
pub mod header_protection;
pub mod hpke;
pub mod kx;
mod mlkem;
pub mod rand;
pub mod secret;
pub mod sign;
pub mod suites;

pub use aead::AeadAlgorithm;
pub use hash::{HashAlgorithm, HashContext};
pub use kx::{ActiveKeyExchange, KeyExchangeGroup};
pub use rand::{RandomSource, SystemRandom};
pub use secret::Secret;
pub use suites::{SupportedSuite, Tls12Suite, Tls13Suite};
