//! External PSKs for the shim: BoringSSL's `-new-psk-credential`, which it
//! always imports (RFC 9258) for SHA-256 and SHA-384, as cloaktls's
//! imported [`ExternalPsk`]s. A client with PSK credentials and without
//! `-verify-peer` accepts no certificate (cloaktls's PSK-only client);
//! with it, either. A server offers its PSKs from a store, beside its
//! certificates if it has any.

use super::flags::Flags;
use super::{fail, unimplemented};
use cloaktls::config::{ExternalPsk, MemoryPskStore};
use cloaktls::crypto::HashAlgorithm;
use cloaktls::Connection;
use std::sync::Arc;

/// The PSK credentials, numbered as the runner numbers every credential.
pub fn credentials(f: &Flags) -> Vec<(i64, ExternalPsk)> {
    f.credentials
        .iter()
        .enumerate()
        .filter_map(|(i, c)| Some((i as i64, c.psk.as_ref()?)))
        .map(|(i, p)| {
            let hash = if p.sha384 {
                HashAlgorithm::Sha384
            } else {
                HashAlgorithm::Sha256
            };
            let psk = ExternalPsk::new(p.identity.clone(), &p.key)
                .and_then(|k| k.with_hash(hash).imported(&p.context))
                .unwrap_or_else(|e| {
                    eprintln!("cloaktls: {e}");
                    unimplemented("-new-psk-credential that cloaktls refuses")
                });
            (i, psk)
        })
        .collect()
}

/// The store a server finds its PSKs in, if it has any.
pub fn store(psks: &[(i64, ExternalPsk)]) -> Option<Arc<MemoryPskStore>> {
    if psks.is_empty() {
        return None;
    }
    let store = MemoryPskStore::new(psks.iter().map(|(_, p)| p.clone()));
    Some(Arc::new(store.unwrap_or_else(|e| fail(&e))))
}

/// The number of the PSK credential that authenticated the peer, if one
/// did.
pub fn selected(conn: &Connection, psks: &[(i64, ExternalPsk)]) -> Option<i64> {
    let id = conn.external_psk_identity()?;
    psks.iter()
        .find(|(_, p)| p.identity() == id)
        .map(|(n, _)| *n)
}
