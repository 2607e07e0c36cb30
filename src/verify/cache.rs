//! Verifications a verifier remembers: a client that connects to the same
//! server again is sent the same chain, and validating it again (a path
//! search and a signature check per certificate) would give the same
//! answer until a certificate expires.
//!
//! An entry is the SHA-256 of exactly what was verified (the name asked
//! for, the end-entity certificate and every intermediate, each with its
//! length) and the times between which every one of those certificates is
//! valid. The roots are fixed for the verifier that owns the cache, so a
//! hit means webpki would decide the same way; outside the times, or on
//! any difference in the bytes, the chain is verified in full. Failures
//! are never remembered. The handshake signature (CertificateVerify) is
//! always checked: it covers this handshake's transcript.

use super::certinfo;
use crate::crypto::HashAlgorithm;
use pki_types::{CertificateDer, UnixTime};
use std::collections::HashMap;
use std::sync::Mutex;

/// How many chains a verifier remembers by default.
pub const DEFAULT_CAPACITY: usize = 128;

/// The digest that names one verification.
type Key = [u8; 32];

/// Chains verified before, with the times they stay valid.
pub(crate) struct VerifiedChains {
    entries: Mutex<HashMap<Key, (u64, u64)>>,
    capacity: usize,
}

impl std::fmt::Debug for VerifiedChains {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let held = self.entries.lock().map_or(0, |e| e.len());
        f.debug_struct("VerifiedChains")
            .field("held", &held)
            .field("capacity", &self.capacity)
            .finish()
    }
}

impl VerifiedChains {
    /// A cache of up to `capacity` chains; 0 remembers nothing.
    pub(crate) fn new(capacity: usize) -> Self {
        VerifiedChains {
            entries: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    /// The key for `name` (empty for a client certificate), the end entity
    /// and the intermediates, or `None` when nothing is remembered.
    fn key(
        &self,
        name: &[u8],
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
    ) -> Option<Key> {
        if self.capacity == 0 {
            return None;
        }
        let mut h = HashAlgorithm::Sha256.start();
        let parts = std::iter::once(name)
            .chain(std::iter::once(end_entity.as_ref()))
            .chain(intermediates.iter().map(|c| c.as_ref()));
        for part in parts {
            h.update(&(part.len() as u64).to_be_bytes());
            h.update(part);
        }
        h.current().as_ref().try_into().ok()
    }

    /// Runs `validate` unless the chain (under `name`) verified before and
    /// all its certificates are valid `now`; remembers it when `validate`
    /// succeeds.
    pub(crate) fn check_or_remember<E>(
        &self,
        name: &[u8],
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
        validate: impl FnOnce() -> Result<(), E>,
    ) -> Result<(), E> {
        let key = self.key(name, end_entity, intermediates);
        if key.is_some_and(|k| self.contains(&k, now)) {
            return Ok(());
        }
        validate()?;
        if let Some(key) = key {
            let chain = std::iter::once(end_entity.as_ref())
                .chain(intermediates.iter().map(|c| c.as_ref()));
            self.insert(key, chain, now);
        }
        Ok(())
    }

    /// Whether `key` was verified and all its certificates are valid `now`.
    fn contains(&self, key: &Key, now: UnixTime) -> bool {
        let now = now.as_secs();
        self.entries.lock().is_ok_and(|e| {
            e.get(key)
                .is_some_and(|(not_before, not_after)| *not_before <= now && now <= *not_after)
        })
    }

    /// Remembers that `key` verified, for as long as every one of `certs`
    /// is valid; a certificate whose validity cannot be read is not
    /// remembered.
    fn insert<'a>(&self, key: Key, certs: impl IntoIterator<Item = &'a [u8]>, now: UnixTime) {
        let mut window = (0u64, u64::MAX);
        for cert in certs {
            let Some((not_before, not_after)) = certinfo::validity(cert) else {
                return;
            };
            window = (window.0.max(not_before), window.1.min(not_after));
        }
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() >= self.capacity {
            // Forget what has expired; if that frees nothing, start afresh.
            let now = now.as_secs();
            entries.retain(|_, (_, not_after)| now <= *not_after);
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        entries.insert(key, window);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert() -> Vec<u8> {
        // The server certificate of vectors/captures/tls12-openssl.txt.
        include_bytes!("../../vectors/certs/openssl-ecdsa-p256.der").to_vec()
    }

    #[test]
    fn remembers_exactly_what_verified_while_it_is_valid() {
        let der = cert();
        let (not_before, not_after) = certinfo::validity(&der).unwrap();
        let at = |s| UnixTime::since_unix_epoch(std::time::Duration::from_secs(s));
        let ee = CertificateDer::from(der.as_slice());
        let cache = VerifiedChains::new(2);
        let key = cache.key(b"localhost", &ee, &[]).unwrap();
        assert!(!cache.contains(&key, at(not_before)));
        cache.insert(key, [der.as_slice()], at(not_before));
        assert!(cache.contains(&key, at(not_before)));
        assert!(cache.contains(&key, at(not_after)));
        assert!(!cache.contains(&key, at(not_before - 1)));
        assert!(!cache.contains(&key, at(not_after + 1)));
        // Another name, an added intermediate, a changed byte: other keys.
        assert_ne!(cache.key(b"localhosu", &ee, &[]), Some(key));
        assert_ne!(
            cache.key(b"localhost", &ee, std::slice::from_ref(&ee)),
            Some(key)
        );
        let mut changed = der.clone();
        *changed.last_mut().unwrap() ^= 1;
        assert_ne!(
            cache.key(b"localhost", &CertificateDer::from(changed), &[]),
            Some(key)
        );
        // The name and the certificate do not run into each other.
        assert_ne!(
            cache.key(b"", &CertificateDer::from(&b"localhostX"[..]), &[]),
            cache.key(b"localhost", &CertificateDer::from(&b"X"[..]), &[])
        );
    }

    #[test]
    fn bounded_and_off_at_zero() {
        let der = cert();
        let now = UnixTime::since_unix_epoch(std::time::Duration::from_secs(
            certinfo::validity(&der).unwrap().0,
        ));
        let cache = VerifiedChains::new(2);
        for name in [&b"a"[..], b"b", b"c", b"d", b"e"] {
            let key = cache
                .key(name, &CertificateDer::from(der.as_slice()), &[])
                .unwrap();
            cache.insert(key, [der.as_slice()], now);
            assert!(cache.contains(&key, now));
            assert!(cache.entries.lock().unwrap().len() <= 2);
        }
        // Unreadable validity: not remembered.
        let key = cache
            .key(b"x", &CertificateDer::from(der.as_slice()), &[])
            .unwrap();
        cache.insert(key, [&b"not a certificate"[..]], now);
        assert!(!cache.contains(&key, now));
        let off = VerifiedChains::new(0);
        assert_eq!(
            off.key(b"a", &CertificateDer::from(der.as_slice()), &[]),
            None
        );
    }
}
