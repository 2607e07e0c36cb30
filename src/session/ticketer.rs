//! Stateless tickets: session state sealed under an AEAD key that rotates
//! (RFC 5077 §4's recommended shape, our own layout).

use crate::crypto::aead::{AeadKey, NONCE_LEN, TAG_LEN};
use crate::crypto::{AeadAlgorithm, RandomSource};
use crate::error::Error;
use std::sync::{Arc, Mutex};

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
#[derive(Debug)]
pub struct TicketKeys {
    keys: Mutex<(Key, Option<Key>)>,
    rotate_after: u64,
    random: Arc<dyn RandomSource>,
}

impl TicketKeys {
    /// Fresh keys from `random`, rotated every `rotate_after` seconds.
    pub fn new(random: Arc<dyn RandomSource>, rotate_after: u64, now: u64) -> Result<Self, Error> {
        let key = Self::make_key(random.as_ref(), now)?;
        Ok(TicketKeys {
            keys: Mutex::new((key, None)),
            rotate_after: rotate_after.max(1),
            random,
        })
    }

    fn make_key(random: &dyn RandomSource, now: u64) -> Result<Key, Error> {
        let mut id = [0u8; KEY_ID_LEN];
        random.fill(&mut id)?;
        let mut bytes = [0u8; 32];
        random.fill(&mut bytes)?;
        Ok(Key {
            id,
            key: AeadKey::new(AeadAlgorithm::Chacha20Poly1305, &bytes)?,
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

    /// Opens a ticket sealed by the current or the previous key.
    pub fn open(&self, ticket: &[u8], now: u64) -> Option<Vec<u8>> {
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
        let mut buf = sealed.to_vec();
        let nonce: [u8; NONCE_LEN] = nonce.try_into().ok()?;
        let len = key.key.open(nonce, id, &mut buf).ok()?;
        buf.truncate(len);
        Some(buf)
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
        assert_eq!(k.open(&t, 1050).unwrap(), b"state");
        // One rotation later the previous key still opens it.
        let t2 = k.seal(b"newer", 1101).unwrap();
        assert_eq!(k.open(&t, 1101).unwrap(), b"state");
        assert_eq!(k.open(&t2, 1101).unwrap(), b"newer");
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
