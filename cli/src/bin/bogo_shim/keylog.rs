//! The traffic secrets of the connection under way, by SSLKEYLOGFILE
//! label, from a key log set on the configurations: what the mock QUIC
//! transport frames records with, and what -export-traffic-secrets writes.

use cloaktls::config::KeyLog;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

#[derive(Debug, Default)]
struct Secrets(Mutex<HashMap<String, Vec<u8>>>);

impl KeyLog for Secrets {
    fn log(&self, label: &str, _client_random: &[u8], secret: &[u8]) {
        if let Ok(mut m) = self.0.lock() {
            m.insert(label.to_string(), secret.to_vec());
        }
    }
}

fn secrets() -> &'static Arc<Secrets> {
    static S: OnceLock<Arc<Secrets>> = OnceLock::new();
    S.get_or_init(Arc::default)
}

/// Forgets the last connection's secrets, before a new connection (whose
/// client may derive its 0-RTT secret as it starts).
pub fn forget() {
    if let Ok(mut m) = secrets().0.lock() {
        m.clear();
    }
}

/// The key log to set on the configurations.
pub fn key_log() -> Arc<dyn KeyLog> {
    secrets().clone()
}

/// The secret last logged under `label`; empty if none was.
pub fn logged(label: &str) -> Vec<u8> {
    secrets()
        .0
        .lock()
        .ok()
        .and_then(|m| m.get(label).cloned())
        .unwrap_or_default()
}
