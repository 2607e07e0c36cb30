//! The client's session store: cloaktls's own, watched through the
//! [`ClientSessionStore`] trait for what BoringSSL's shim asks about the
//! tickets a connection received (-expect-ticket-supports-early-data,
//! -expect-no-session).

use cloaktls::session::{
    ClientSessionStore, MemorySessionCache, SessionKey, Tls12Session, Tls13Ticket,
};
use std::sync::Mutex;

#[derive(Debug)]
pub struct Store {
    inner: MemorySessionCache,
    /// max_early_data_size of each TLS 1.3 ticket received since the last
    /// [`Store::take_received`].
    received: Mutex<Vec<u32>>,
    /// TLS 1.2 sessions stored since the last [`Store::take_received`]
    /// (-expect-ticket-renewal).
    received12: std::sync::atomic::AtomicUsize,
}

impl Store {
    pub fn new() -> Self {
        Store {
            inner: MemorySessionCache::new(4),
            received: Mutex::new(Vec::new()),
            received12: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// How many TLS 1.2 sessions were stored since the last
    /// [`Store::take_received`].
    pub fn received12(&self) -> usize {
        self.received12.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The tickets received since the last call.
    pub fn take_received(&self) -> Vec<u32> {
        self.received12
            .store(0, std::sync::atomic::Ordering::SeqCst);
        self.received
            .lock()
            .map(|mut r| std::mem::take(&mut *r))
            .unwrap_or_default()
    }
}

impl ClientSessionStore for Store {
    fn put_tls13(&self, key: &SessionKey, ticket: Tls13Ticket) {
        if let Ok(mut r) = self.received.lock() {
            r.push(ticket.max_early_data);
        }
        self.inner.put_tls13(key, ticket)
    }
    fn take_tls13(&self, key: &SessionKey) -> Option<Tls13Ticket> {
        self.inner.take_tls13(key)
    }
    fn put_tls12(&self, key: &SessionKey, session: Tls12Session) {
        self.received12
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.put_tls12(key, session)
    }
    fn get_tls12(&self, key: &SessionKey) -> Option<Tls12Session> {
        self.inner.get_tls12(key)
    }
    fn remove_tls12(&self, key: &SessionKey) {
        self.inner.remove_tls12(key)
    }
}
