//! Randomness behind a trait.

use crate::error::Error;
use std::fmt::Debug;

/// A source of random bytes. The default is the operating system's; a test
/// or a fuzzer supplies a scripted one for deterministic connections.
pub trait RandomSource: Send + Sync + Debug {
    /// Fills `buf` with random bytes.
    fn fill(&self, buf: &mut [u8]) -> Result<(), Error>;
}

/// The operating system's randomness, through `ring`.
#[derive(Debug)]
pub struct SystemRandom(ring::rand::SystemRandom);

impl SystemRandom {
    /// A new handle.
    pub fn new() -> Self {
        SystemRandom(ring::rand::SystemRandom::new())
    }
}

impl RandomSource for SystemRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), Error> {
        ring::rand::SecureRandom::fill(&self.0, buf).map_err(|_| Error::Crypto("randomness"))
    }
}

impl Default for SystemRandom {
    fn default() -> Self {
        Self::new()
    }
}
