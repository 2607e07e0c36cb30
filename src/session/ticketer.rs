//! Stateless tickets: session state sealed under an AEAD key that rotates
//! (RFC 5077 §4's recommended shape, our own layout), the keys made here or
//! shared by a fleet through a key file.

use super::anti_replay::{AntiReplay, TICKET_AGE_WINDOW_MS};
use crate::crypto::aead::{AeadKey, NONCE_LEN, TAG_LEN};
use crate::crypto::{AeadAlgorithm, HashAlgorithm, RandomSource, Secret};
use crate::error::Error;
use std::path::{Path, PathBuf};
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

/// Where the keys come from.
#[derive(Debug)]
enum Source {
    /// Made at random here, a new one every `rotate_after` seconds.
    Random { rotate_after: u64 },
    /// Read from a file that the operator rotates by replacing it.
    File {
        path: PathBuf,
        /// What the file looked like when last read, and when it was last
        /// looked at (seconds).
        seen: Option<FileStamp>,
        checked: u64,
        /// Why the last replacement of the file could not be used.
        failed: Option<String>,
    },
}

/// Enough of a file's metadata to notice that it was replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FileStamp {
    modified: Option<std::time::SystemTime>,
    len: u64,
    #[cfg(unix)]
    inode: u64,
}

impl FileStamp {
    fn of(path: &Path) -> Option<FileStamp> {
        let m = std::fs::metadata(path).ok()?;
        Some(FileStamp {
            modified: m.modified().ok(),
            len: m.len(),
            #[cfg(unix)]
            inode: std::os::unix::fs::MetadataExt::ino(&m),
        })
    }
}

/// How often a key file is looked at for a replacement, in seconds.
pub const KEY_FILE_CHECK_INTERVAL: u64 = 1;

/// The most keys a key file may hold.
pub const KEY_FILE_MAX_KEYS: usize = 16;

#[derive(Debug)]
struct State {
    /// The first seals; every one opens.
    keys: Vec<Key>,
    source: Source,
}

/// The keys that seal tickets (RFC 5077 §4's recommended shape, our own
/// layout: key id, nonce, ChaCha20-Poly1305 ciphertext and tag).
///
/// They come either from randomness here, where a new key replaces the
/// current one every `rotate_after` seconds and the previous one still
/// opens (so a ticket stays valid for up to twice that), or from a key
/// file that several servers share, so that each resumes the sessions the
/// others issued ([`TicketKeys::from_file`]).
///
/// The 0-RTT anti-replay register lives here too ([`AntiReplay`]): every
/// configuration that shares these keys accepts the same tickets, so they
/// must share the record of which hellos' early data was taken.
#[derive(Debug)]
pub struct TicketKeys {
    state: Mutex<State>,
    random: Arc<dyn RandomSource>,
    anti_replay: AntiReplay,
}

impl TicketKeys {
    /// Fresh keys from `random`, rotated every `rotate_after` seconds.
    pub fn new(random: Arc<dyn RandomSource>, rotate_after: u64, now: u64) -> Result<Self, Error> {
        let key = Self::make_key(random.as_ref(), now)?;
        Ok(TicketKeys {
            state: Mutex::new(State {
                keys: vec![key],
                source: Source::Random {
                    rotate_after: rotate_after.max(1),
                },
            }),
            random,
            anti_replay: AntiReplay::new(
                DEFAULT_ANTI_REPLAY_CAPACITY,
                TICKET_AGE_WINDOW_MS,
                now.saturating_mul(1000),
            ),
        })
    }

    /// Keys read from the key file at `path`, which servers behind one
    /// load balancer share so that each resumes the others' sessions (as
    /// nginx's `ssl_session_ticket_key` does). The file holds one key per
    /// line, 64 hexadecimal digits (32 random bytes; `cloak ticket-keys new`
    /// makes one); `#` starts a comment. The first key seals new tickets,
    /// and every key opens them: to rotate, write a file with a new key
    /// first and the previous ones after it, and move it into place. The
    /// file is looked at again at most every [`KEY_FILE_CHECK_INTERVAL`]
    /// seconds and reread when it was replaced; a file that cannot be read
    /// or parsed then leaves the keys as they were.
    ///
    /// Each server keeps its own 0-RTT anti-replay register, so early data
    /// accepted by one could be replayed to another (RFC 8446 §8): keys
    /// from a file refuse 0-RTT unless the caller gives them a register
    /// with [`TicketKeys::with_anti_replay_capacity`], knowingly.
    pub fn from_file(
        path: impl AsRef<Path>,
        random: Arc<dyn RandomSource>,
        now: u64,
    ) -> Result<Self, Error> {
        let path = path.as_ref().to_path_buf();
        let seen = FileStamp::of(&path);
        let keys = read_key_file(&path, now)?;
        Ok(TicketKeys {
            state: Mutex::new(State {
                keys,
                source: Source::File {
                    path,
                    seen,
                    checked: now,
                    failed: None,
                },
            }),
            random,
            anti_replay: AntiReplay::new(0, TICKET_AGE_WINDOW_MS, now.saturating_mul(1000)),
        })
    }

    /// The same keys with an anti-replay register of `capacity` hellos
    /// (65,536 by default for random keys, 0 for keys from a file). When
    /// it is full, 0-RTT is refused until entries expire.
    pub fn with_anti_replay_capacity(mut self, capacity: usize) -> Self {
        self.anti_replay = AntiReplay::new(
            capacity,
            TICKET_AGE_WINDOW_MS,
            self.anti_replay.started_ms(),
        );
        self
    }

    /// Keys from a file: why the file's last replacement could not be
    /// read (the keys before it stay in use), until one can. A server
    /// should log it: rotation has stopped while it lasts.
    pub fn key_file_error(&self) -> Option<String> {
        match &self.state.lock().ok()?.source {
            Source::File { failed, .. } => failed.clone(),
            Source::Random { .. } => None,
        }
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

    /// Random keys: a new one when the current one is due, the previous
    /// one kept to open. File keys: the file again, if it was replaced.
    fn refresh(&self, state: &mut State, now: u64) -> Result<(), Error> {
        match &mut state.source {
            Source::Random { rotate_after } => {
                let due = state
                    .keys
                    .first()
                    .is_none_or(|k| now.saturating_sub(k.created) >= *rotate_after);
                if due {
                    let fresh = Self::make_key(self.random.as_ref(), now)?;
                    state.keys.insert(0, fresh);
                    state.keys.truncate(2);
                }
                // The previous key opens for one period after it stopped
                // sealing, no longer.
                let limit = rotate_after.saturating_mul(2);
                if state
                    .keys
                    .get(1)
                    .is_some_and(|k| now.saturating_sub(k.created) >= limit)
                {
                    state.keys.truncate(1);
                }
            }
            Source::File {
                path,
                seen,
                checked,
                failed,
            } => {
                if now.saturating_sub(*checked) < KEY_FILE_CHECK_INTERVAL {
                    return Ok(());
                }
                *checked = now;
                let stamp = FileStamp::of(path);
                if stamp.is_some() && stamp != *seen {
                    // A file replaced by one we cannot use leaves the keys
                    // as they were; it is looked at again next time.
                    match read_key_file(path, now) {
                        Ok(keys) => {
                            state.keys = keys;
                            *seen = stamp;
                            *failed = None;
                        }
                        Err(e) => *failed = Some(e.to_string()),
                    }
                }
            }
        }
        Ok(())
    }

    /// Seals `plaintext` into a ticket: key id, nonce, ciphertext, tag.
    pub fn seal(&self, plaintext: &[u8], now: u64) -> Result<Vec<u8>, Error> {
        let mut state = self
            .state
            .lock()
            .map_err(|_| Error::Crypto("ticket keys poisoned"))?;
        self.refresh(&mut state, now)?;
        let key = state.keys.first().ok_or(Error::Internal("no ticket key"))?;
        let mut nonce = [0u8; NONCE_LEN];
        self.random.fill(&mut nonce)?;
        let mut out = Vec::with_capacity(KEY_ID_LEN + NONCE_LEN + plaintext.len() + TAG_LEN);
        out.extend_from_slice(&key.id);
        out.extend_from_slice(&nonce);
        let start = out.len();
        out.extend_from_slice(plaintext);
        let aad = key.id;
        let tag = key.key.seal(nonce, &aad, &mut out[start..])?;
        out.extend_from_slice(&tag);
        Ok(out)
    }

    /// Opens a ticket sealed by one of the keys; the plaintext is secret.
    pub fn open(&self, ticket: &[u8], now: u64) -> Option<Secret> {
        let mut state = self.state.lock().ok()?;
        self.refresh(&mut state, now).ok()?;
        if ticket.len() < KEY_ID_LEN + NONCE_LEN + TAG_LEN {
            return None;
        }
        let (id, rest) = ticket.split_at(KEY_ID_LEN);
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        let key = state.keys.iter().find(|k| k.id == id)?;
        let nonce: [u8; NONCE_LEN] = nonce.try_into().ok()?;
        let mut buf = Secret::new(sealed.to_vec());
        let len = key.key.open(nonce, id, buf.as_mut_bytes()).ok()?;
        Some(Secret::from_slice(buf.as_bytes().get(..len)?))
    }
}

/// A key file's keys: each line's 32 bytes give a key id and a key by
/// HKDF (RFC 5869), the same on every server that reads the file.
fn read_key_file(path: &Path, now: u64) -> Result<Vec<Key>, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::Config(format!(
            "cannot read the ticket key file {}: {e}",
            path.display()
        ))
    })?;
    let mut keys = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        let bad = || {
            Error::Config(format!(
                "{} line {}: a ticket key is 64 hexadecimal digits (32 bytes)",
                path.display(),
                n + 1
            ))
        };
        let bytes = Secret::new(hex::decode(line).map_err(|_| bad())?);
        if bytes.len() != 32 {
            return Err(bad());
        }
        let prk = HashAlgorithm::Sha256.hkdf_extract(b"cloaktls ticket key file", bytes.as_bytes());
        let id = HashAlgorithm::Sha256.hkdf_expand(prk.as_bytes(), &[b"key id"], KEY_ID_LEN);
        let key = HashAlgorithm::Sha256.hkdf_expand(prk.as_bytes(), &[b"key"], 32);
        let mut key_id = [0u8; KEY_ID_LEN];
        key_id.copy_from_slice(id.as_bytes());
        keys.push(Key {
            id: key_id,
            key: AeadKey::new(AeadAlgorithm::Chacha20Poly1305, key.as_bytes())?,
            created: now,
        });
        if keys.len() > KEY_FILE_MAX_KEYS {
            return Err(Error::Config(format!(
                "{}: more than {KEY_FILE_MAX_KEYS} ticket keys",
                path.display()
            )));
        }
    }
    if keys.is_empty() {
        return Err(Error::Config(format!(
            "{}: no ticket key in the file",
            path.display()
        )));
    }
    Ok(keys)
}

/// A new key file's text: one fresh key.
pub fn new_key_file(random: &dyn RandomSource) -> Result<String, Error> {
    let mut key = Secret::zeroed(32);
    random.fill(key.as_mut_bytes())?;
    Ok(format!(
        "# cloaktls session ticket keys: the first seals, every one opens.\n{}\n",
        hex::encode(key.as_bytes())
    ))
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
        // A key that stopped sealing long ago opens nothing either.
        assert!(k.open(&t2, 1302).is_none());
        // Tampering is refused.
        let mut bad = t2.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert!(k.open(&bad, 1101).is_none());
        assert!(k.open(&[1, 2, 3], 1101).is_none());
    }
}

#[cfg(test)]
mod key_file_tests {
    use super::*;
    use crate::crypto::SystemRandom;

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("cloaktls-keys-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("ticket.keys")
    }

    fn keys(path: &Path, now: u64) -> TicketKeys {
        TicketKeys::from_file(path, Arc::new(SystemRandom::new()), now).unwrap()
    }

    #[test]
    fn servers_sharing_a_file_open_each_others_tickets() {
        let path = temp("share");
        std::fs::write(&path, new_key_file(&SystemRandom::new()).unwrap()).unwrap();
        let (a, b) = (keys(&path, 1000), keys(&path, 1000));
        let t = a.seal(b"session", 1000).unwrap();
        assert_eq!(b.open(&t, 1001).unwrap().as_bytes(), b"session");
        // Another file's keys do not.
        let other = temp("other");
        std::fs::write(&other, new_key_file(&SystemRandom::new()).unwrap()).unwrap();
        assert!(keys(&other, 1000).open(&t, 1000).is_none());
    }

    #[test]
    fn a_replaced_file_is_picked_up_and_old_keys_still_open() {
        let path = temp("rotate");
        let first = "1111111111111111111111111111111111111111111111111111111111111111";
        std::fs::write(&path, format!("{first}\n")).unwrap();
        let k = keys(&path, 1000);
        let old = k.seal(b"old", 1000).unwrap();
        // Rotation: a new key first, the previous one after it, moved into
        // place.
        let second = "2222222222222222222222222222222222222222222222222222222222222222";
        let tmp = path.with_extension("new");
        std::fs::write(&tmp, format!("# rotated\n{second}\n{first} # previous\n")).unwrap();
        std::fs::rename(&tmp, &path).unwrap();
        // Within the check interval, nothing changes yet.
        let same = k.seal(b"x", 1000).unwrap();
        assert_eq!(same[..KEY_ID_LEN], old[..KEY_ID_LEN]);
        let new = k.seal(b"new", 1000 + KEY_FILE_CHECK_INTERVAL).unwrap();
        assert_ne!(new[..KEY_ID_LEN], old[..KEY_ID_LEN]);
        assert_eq!(k.open(&old, 1002).unwrap().as_bytes(), b"old");
        // A server that only has the new file opens both too.
        let fresh = keys(&path, 1002);
        assert_eq!(fresh.open(&old, 1002).unwrap().as_bytes(), b"old");
        assert_eq!(fresh.open(&new, 1002).unwrap().as_bytes(), b"new");
        // A broken replacement leaves the keys as they were, and says so.
        assert_eq!(k.key_file_error(), None);
        std::fs::write(&path, "not a key\n").unwrap();
        assert_eq!(k.open(&new, 1010).unwrap().as_bytes(), b"new");
        assert!(k.key_file_error().unwrap().contains("line 1"));
    }

    #[test]
    fn bad_key_files_are_refused_with_the_line() {
        let path = temp("bad");
        for (text, want) in [
            ("", "no ticket key"),
            ("# only a comment\n", "no ticket key"),
            ("abcd\n", "line 1"),
            (
                "zz11111111111111111111111111111111111111111111111111111111111111\n",
                "line 1",
            ),
        ] {
            std::fs::write(&path, text).unwrap();
            let e = TicketKeys::from_file(&path, Arc::new(SystemRandom::new()), 0).unwrap_err();
            assert!(e.to_string().contains(want), "{text:?}: {e}");
        }
        let many: String = (0..=KEY_FILE_MAX_KEYS)
            .map(|_| format!("{}\n", "ab".repeat(32)))
            .collect();
        std::fs::write(&path, many).unwrap();
        assert!(TicketKeys::from_file(&path, Arc::new(SystemRandom::new()), 0).is_err());
        assert!(TicketKeys::from_file(
            temp("missing").with_extension("none"),
            Arc::new(SystemRandom::new()),
            0
        )
        .is_err());
    }

    #[test]
    fn file_keys_refuse_zero_rtt_unless_given_a_register() {
        let path = temp("0rtt");
        std::fs::write(&path, new_key_file(&SystemRandom::new()).unwrap()).unwrap();
        let k = keys(&path, 1000);
        assert!(!k.anti_replay().first_use(&[1; 32], 0, 100_000));
        let k = keys(&path, 1000).with_anti_replay_capacity(10);
        assert!(k
            .anti_replay()
            .first_use(&[1; 32], 1_000_000, 1_000_000 + 100_000));
    }
}
