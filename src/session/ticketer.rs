//! Stateless tickets: session state sealed under an AEAD key that rotates
//! (RFC 5077 §4's recommended shape, our own layout).

use super::anti_replay::{AntiReplay, TICKET_AGE_WINDOW_MS};
use crate::crypto::aead::{AeadKey, NONCE_LEN, TAG_LEN};
use crate::crypto::{AeadAlgorithm, RandomSource, Secret};
use crate::error::Error;
use std::sync::{Arc, Mutex};

/// The default size of the 0-RTT anti-replay register: how many hellos
/// with accepted early data one key set remembers for the window.
pub const DEFAULT_ANTI_REPLAY_CAPACITY: usize = 65_536;

const KEY_ID_LEN: usize = 4;

#[derive(Debug)]
struct Key {
    id: [u8; KEY_ID_LEN],
    key: AeadKey,
    created: u64,
}

/// The keys that seal tickets: the current one seals, the current and the
/// previous one open. A new key replaces the current one every
/// `rotate_after` seconds, so a ticket stays valid for up to twice that.
///
/// The 0-RTT anti-replay register lives here too ([`AntiReplay`]): every
/// configuration that shares these keys accepts the same tickets, so they
/// must share the record of which hellos' early data was taken.
#[derive(Debug)]
pub struct TicketKeys {
    keys: Mutex<(Key, Option<Key>)>,
    rotate_after: u64,
    random: Arc<dyn RandomSource>,
    anti_replay: AntiReplay,
}

impl TicketKeys {
    /// Fresh keys from `random`, rotated every `rotate_after` seconds.
    pub fn new(random: Arc<dyn RandomSource>, rotate_after: u64, now: u64) -> Result<Self, Error> {
        let key = Self::make_key(random.as_ref(), now)?;
        Ok(TicketKeys {
            keys: Mutex::new((key, None)),
            rotate_after: rotate_after.max(1),
            random,
            anti_replay: AntiReplay::new(
                DEFAULT_ANTI_REPLAY_CAPACITY,
                TICKET_AGE_WINDOW_MS,
                now.saturating_mul(1000),
            ),
        })
    }

    /// The same keys with an anti-replay register of `capacity` hellos
    /// (65,536 by default). When it is full, 0-RTT is refused until
    /// entries expire.
    pub fn with_anti_replay_capacity(mut self, capacity: usize) -> Self {
        self.anti_replay = AntiReplay::new(
            capacity,
            TICKET_AGE_WINDOW_MS,
            self.anti_replay.started_ms(),
        );
        self
    }

    /// The 0-RTT anti-replay register of these keys.
    pub fn anti_replay(&self) -> &AntiReplay {
        &self.anti_replay
    }

    fn make_key(random: &dyn RandomSource, now: u64) -> Result<Key, Error> {
        let mut id = [0u8; KEY_ID_LEN];
        random.fill(&mut id)?;
        let mut bytes = Secret::zeroed(32);
        random.fill(bytes.as_mut_bytes())?;
        Ok(Key {
            id,
            key: AeadKey::new(AeadAlgorithm::Chacha20Poly1305, bytes.as_bytes())?,
            created: now,
        })
    }

    fn rotate_if_due(&self, keys: &mut (Key, Option<Key>), now: u64) -> Result<(), Error> {
        if now.saturating_sub(keys.0.created) >= self.rotate_after {
            let fresh = Self::make_key(self.random.as_ref(), now)?;
            let old = std::mem::replace(&mut keys.0, fresh);
            keys.1 = Some(old);
        }
        Ok(())
    }

    /// Seals `plaintext` into a ticket: key id, nonce, ciphertext, tag.
    pub fn seal(&self, plaintext: &[u8], now: u64) -> Result<Vec<u8>, Error> {
        let mut keys = self
            .keys
            .lock()
            .map_err(|_| Error::Crypto("ticket keys poisoned"))?;
        self.rotate_if_due(&mut keys, now)?;
        let mut nonce = [0u8; NONCE_LEN];
        self.random.fill(&mut nonce)?;
        let mut out = Vec::with_capacity(KEY_ID_LEN + NONCE_LEN + plaintext.len() + TAG_LEN);
        out.extend_from_slice(&keys.0.id);
        out.extend_from_slice(&nonce);
        let start = out.len();
        out.extend_from_slice(plaintext);
        let aad = keys.0.id;
        let tag = keys.0.key.seal(nonce, &aad, &mut out[start..])?;
        out.extend_from_slice(&tag);
        Ok(out)
    }

    /// Opens a ticket sealed by the current or the previous key; the
    /// plaintext is secret.
    pub fn open(&self, ticket: &[u8], now: u64) -> Option<Secret> {
        let mut keys = self.keys.lock().ok()?;
        self.rotate_if_due(&mut keys, now).ok()?;
        if ticket.len() < KEY_ID_LEN + NONCE_LEN + TAG_LEN {
            return None;
        }
        let (id, rest) = ticket.split_at(KEY_ID_LEN);
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        let key = if keys.0.id == id {
            &keys.0
        } else {
            keys.1.as_ref().filter(|k| k.id == id)?
        };
        let buf = sealed.to_vec();
        let nonce: [u8; NONCE_LEN] = nonce.try_into().ok()?;
        let mut buf = Secret::new(buf);
        let len = key.key.open(nonce, id, buf.as_mut_bytes()).ok()?;
        Some(Secret::from_slice(buf.as_bytes().get(..len)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::SystemRandom;

    #[test]
    fn seal_open_and_rotate() {
        let k = TicketKeys::new(Arc::new(SystemRandom::new()), 100, 1000).unwrap();
        let t = k.seal(b"state", 1000).unwrap();
        assert_eq!(k.open(&t, 1050).unwrap().as_bytes(), b"state");
        // One rotation later the previous key still opens it.
        let t2 = k.seal(b"newer", 1101).unwrap();
        assert_eq!(k.open(&t, 1101).unwrap().as_bytes(), b"state");
        assert_eq!(k.open(&t2, 1101).unwrap().as_bytes(), b"newer");
        // Two rotations later it is gone.
        assert!(k.open(&t, 1300).is_none());
        // Tampering is refused.
        let mut bad = t2.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert!(k.open(&bad, 1101).is_none());
        assert!(k.open(&[1, 2, 3], 1101).is_none());
    }
}
