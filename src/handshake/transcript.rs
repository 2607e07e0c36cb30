//! The handshake transcript (RFC 8446 §4.4.1): a running hash, started once
//! the suite's hash is known; before that, and for TLS 1.2 client
//! authentication, the messages themselves are kept.

use crate::crypto::hash::Output;
use crate::crypto::{HashAlgorithm, HashContext};
use crate::msgs::enums::HandshakeType;

#[derive(Debug, Clone)]
pub(crate) struct Transcript {
    hash: Option<HashContext>,
    buffer: Option<Vec<u8>>,
}

impl Transcript {
    /// A transcript that buffers until [`Transcript::start_hash`].
    pub(crate) fn new() -> Self {
        Transcript {
            hash: None,
            buffer: Some(Vec::new()),
        }
    }

    /// A transcript hashing with `alg` from the start.
    pub(crate) fn with_hash(alg: HashAlgorithm) -> Self {
        Transcript {
            hash: Some(alg.start()),
            buffer: None,
        }
    }

    /// Adds a whole handshake message (header included).
    pub(crate) fn add(&mut self, message: &[u8]) {
        if let Some(h) = &mut self.hash {
            h.update(message);
        }
        if let Some(b) = &mut self.buffer {
            b.extend_from_slice(message);
        }
    }

    /// Starts hashing with `alg` over what was buffered; keeps the buffer
    /// only if `keep_buffer` (TLS 1.2 CertificateVerify signs the messages).
    pub(crate) fn start_hash(&mut self, alg: HashAlgorithm, keep_buffer: bool) {
        let mut h = alg.start();
        if let Some(b) = &self.buffer {
            h.update(b);
        }
        self.hash = Some(h);
        if !keep_buffer {
            self.buffer = None;
        }
    }

    /// The hash so far. Before a hash is started it hashes the buffer with
    /// SHA-256 (never used that way by the state machines).
    pub(crate) fn current_hash(&self) -> Output {
        match (&self.hash, &self.buffer) {
            (Some(h), _) => h.current(),
            (None, Some(b)) => HashAlgorithm::Sha256.hash(b),
            (None, None) => HashAlgorithm::Sha256.hash(&[]),
        }
    }

    /// The hash of the transcript followed by `extra` (a truncated
    /// ClientHello, for a PSK binder); `alg` is used if no hash is running.
    pub(crate) fn hash_with(&self, alg: HashAlgorithm, extra: &[u8]) -> Output {
        match &self.hash {
            Some(h) => {
                let mut h = h.clone();
                h.update(extra);
                h.current()
            }
            None => {
                let mut h = alg.start();
                h.update(self.buffer());
                h.update(extra);
                h.current()
            }
        }
    }

    /// The hash of what was buffered, with `alg` (for a PSK binder over a
    /// partial ClientHello, or a hash-agnostic prefix).
    pub(crate) fn buffer(&self) -> &[u8] {
        self.buffer.as_deref().unwrap_or(&[])
    }

    /// Drops the buffer once nothing will sign the messages.
    pub(crate) fn drop_buffer(&mut self) {
        self.buffer = None;
    }

    /// Replaces ClientHello1 with message_hash(Hash(ClientHello1)) after a
    /// HelloRetryRequest (RFC 8446 §4.4.1). The transcript must hold only
    /// ClientHello1 at this point.
    pub(crate) fn rollup_for_hrr(&mut self, alg: HashAlgorithm) {
        let ch1_hash = match &self.hash {
            Some(h) => h.current(),
            None => alg.hash(self.buffer()),
        };
        let mut synthetic = vec![HandshakeType::MESSAGE_HASH.0, 0, 0, ch1_hash.len() as u8];
        synthetic.extend_from_slice(&ch1_hash);
        let mut h = alg.start();
        h.update(&synthetic);
        self.hash = Some(h);
        if self.buffer.is_some() {
            self.buffer = Some(synthetic);
        }
    }
}
