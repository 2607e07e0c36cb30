//! 0-RTT anti-replay (RFC 8446 §8): a register of the ClientHellos whose
//! early data was taken, that fails closed.

use crate::crypto::HashAlgorithm;
use std::collections::{HashSet, VecDeque};
use std::fmt::Debug;
use std::sync::Mutex;

/// How far a client's idea of a ticket's age may be from ours before its
/// 0-RTT data is refused (RFC 8446 §8.3): ten seconds of clock skew and
/// network delay, and a second of rounding.
pub const TICKET_AGE_WINDOW_MS: u64 = 11_000;

/// How long an entry must stay: a ClientHello's early data is taken only
/// while its ticket age is within the window of ours (RFC 8446 §8.3), so a
/// recording of it can be taken again during at most twice the window.
fn keep_ms(window_ms: u64) -> u64 {
    window_ms.saturating_mul(2)
}

/// Registered hellos: the digest of each one's PSK binder, and when each
/// entry may go, in the order they came.
#[derive(Default)]
struct Entries {
    seen: HashSet<[u8; 32]>,
    order: VecDeque<([u8; 32], u64)>,
}

/// The register of ClientHellos (by their PSK binder, unique to a hello)
/// whose 0-RTT data was accepted (RFC 8446 §8.2). It fails closed: a hello
/// seen within the window is refused, and a full register refuses every
/// new one rather than forget one it holds. It cannot know what was
/// accepted before it started (a restart, keys loaded again from a file),
/// so until a whole window has passed since then it refuses the hellos
/// whose ticket is older than itself (RFC 9846 §8.2: reject 0-RTT while
/// the recording window overlaps the startup); a ticket issued after it
/// started can only have been used since, where the register saw it.
/// Entries expire once the ticket-age window makes their hello
/// unacceptable anyway.
///
/// One register serves every configuration that shares the same
/// [`crate::session::TicketKeys`]: a ticket is accepted wherever its keys
/// are, so its replays must be caught there too.
pub struct AntiReplay {
    entries: Mutex<Entries>,
    capacity: usize,
    window_ms: u64,
    started_ms: u64,
}

impl Debug for AntiReplay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AntiReplay")
            .field("capacity", &self.capacity)
            .field("window_ms", &self.window_ms)
            .finish_non_exhaustive()
    }
}

impl AntiReplay {
    /// A register of at most `capacity` hellos, for a ticket-age window of
    /// `window_ms`, started at `now_ms`.
    pub fn new(capacity: usize, window_ms: u64, now_ms: u64) -> Self {
        AntiReplay {
            entries: Mutex::new(Entries::default()),
            capacity,
            window_ms,
            started_ms: now_ms,
        }
    }

    /// How many hellos the register holds at most: 0 means 0-RTT is always
    /// refused.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Whether early data may be accepted, at `now_ms`, from the hello
    /// whose PSK binder is `binder` and whose ticket was issued at
    /// `ticket_issued_ms`; if so, the hello is registered.
    pub fn first_use(&self, binder: &[u8], ticket_issued_ms: u64, now_ms: u64) -> bool {
        // RFC 9846 §8.2: what was accepted before the register started is
        // unknown until every such hello has aged out.
        let starting = now_ms < self.started_ms.saturating_add(keep_ms(self.window_ms));
        if starting && ticket_issued_ms < self.started_ms {
            return false;
        }
        let Ok(mut e) = self.entries.lock() else {
            return false;
        };
        while let Some((digest, expires)) = e.order.front().copied() {
            if expires > now_ms {
                break;
            }
            e.order.pop_front();
            e.seen.remove(&digest);
        }
        let mut digest = [0u8; 32];
        digest.copy_from_slice(&HashAlgorithm::Sha256.hash(binder));
        if e.seen.contains(&digest) || e.seen.len() >= self.capacity {
            return false;
        }
        e.seen.insert(digest);
        e.order
            .push_back((digest, now_ms.saturating_add(keep_ms(self.window_ms))));
        true
    }

    /// When the register started, in milliseconds since 1970.
    pub fn started_ms(&self) -> u64 {
        self.started_ms
    }

    /// How many hellos the register holds.
    pub fn len(&self) -> usize {
        self.entries.lock().map(|e| e.seen.len()).unwrap_or(0)
    }

    /// Whether the register holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: u64 = 11_000;

    #[test]
    fn tickets_older_than_the_register_are_refused_for_a_window() {
        let start = 1_000_000;
        let r = AntiReplay::new(10, W, start);
        // A ticket from before the start: refused until the window is past.
        assert!(!r.first_use(b"a", start - 1, start));
        assert!(!r.first_use(b"a", start - 1, start + 2 * W - 1));
        assert!(r.first_use(b"a", start - 1, start + 2 * W));
        // A ticket from after the start: the register saw all its uses.
        assert!(r.first_use(b"b", start, start + 5));
        assert!(!r.first_use(b"b", start, start + 6));
    }

    #[test]
    fn replays_are_refused_until_the_window_is_past() {
        let r = AntiReplay::new(10, W, 0);
        let t = 2 * W;
        assert!(r.first_use(b"hello", 0, t));
        assert!(!r.first_use(b"hello", 0, t));
        assert!(!r.first_use(b"hello", 0, t + 2 * W - 1));
        // Past twice the window the entry goes: the ticket-age check
        // refuses that hello by then.
        assert!(r.first_use(b"hello", 0, t + 2 * W));
        assert_eq!(r.len(), 1);
    }

    #[test]
    fn a_full_register_refuses_instead_of_forgetting() {
        let r = AntiReplay::new(3, W, 0);
        let t = 2 * W;
        for b in [&b"a"[..], b"b", b"c"] {
            assert!(r.first_use(b, 0, t));
        }
        // Full: a new hello is refused, and the old ones stay refused.
        assert!(!r.first_use(b"d", 0, t + 1));
        assert!(!r.first_use(b"a", 0, t + 1));
        // Once they expire there is room again.
        assert!(r.first_use(b"d", 0, t + 2 * W));
        assert_eq!(r.len(), 1);
    }
}
