//! External pre-shared keys for TLS 1.3 (RFC 9846 §2.2, §4.3.11): keys
//! provisioned out of band, each with its identity and the hash it is
//! bound to, used as they are ("ext binder") or imported (RFC 9258,
//! "imp binder"); the server's store of them; and the "verifier" of a
//! client that authenticates servers by PSK only.

use crate::codec::Codec;
use crate::crypto::suites::{lookup, SupportedSuite};
use crate::crypto::{HashAlgorithm, Secret};
use crate::error::{Error, PskProblem};
use crate::key_schedule::tls13::{imported_psk, PskKind};
use crate::msgs::enums::{CipherSuite, ProtocolVersion};
use crate::msgs::extensions::ImportedIdentity;
use crate::verify::ServerCertVerifier;
use pki_types::{CertificateDer, ServerName, UnixTime};
use std::collections::HashMap;
use std::fmt;

/// The shortest external PSK accepted, in bytes: 128 bits. RFC 9846 §2.2
/// warns that a low-entropy PSK (a password) falls to a dictionary attack
/// on the binder by anyone who sees one handshake.
pub const MIN_EXTERNAL_PSK_LEN: usize = 16;

/// The longest external PSK accepted, in bytes.
pub const MAX_EXTERNAL_PSK_LEN: usize = 1024;

/// What an external PSK was provisioned with for 0-RTT (RFC 9846
/// §4.3.10: the parameters of early data are those provisioned with the
/// key).
#[derive(Debug, Clone, PartialEq, Eq)]
struct EarlyData {
    max: u32,
    suite: CipherSuite,
    alpn: Option<Vec<u8>>,
}

/// An external PSK (RFC 9846 §2.2): an identity, a secret, and the hash it
/// is bound to (SHA-256 unless set: RFC 9846 §4.3.11 requires the hash to
/// be provisioned with the key, or SHA-256). A client offers it in
/// pre_shared_key; a server finds it in its [`ExternalPskStore`]. Used as
/// it is, its binder key is "ext binder"; imported
/// ([`ExternalPsk::imported`], RFC 9258), the key it stands for is derived
/// per target hash and offered under an ImportedIdentity.
///
/// The PSK authenticates both sides: whoever holds it can play either role
/// (RFC 9257 and RFC 9258 Appendix A on the Selfie attack: put the roles in
/// an importer context where that matters). The secret is wiped when
/// dropped and never printed by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct ExternalPsk {
    identity: Vec<u8>,
    secret: Secret,
    hash: HashAlgorithm,
    /// The importer context (RFC 9258 §5.1), when imported.
    import_context: Option<Vec<u8>>,
    early: Option<EarlyData>,
}

impl fmt::Debug for ExternalPsk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExternalPsk")
            .field("identity", &String::from_utf8_lossy(&self.identity))
            .field("secret", &self.secret)
            .field("hash", &self.hash)
            .field("imported", &self.import_context.is_some())
            .field("early_data", &self.early)
            .finish()
    }
}

/// One PSK as it goes on the wire and into the key schedule: the identity
/// sent, the key, the hash it works with, and its kind (for the binder's
/// label). For an external PSK used as it is, the identity and key are its
/// own; imported, they are the ImportedIdentity and ipskx of RFC 9258 §5.1.
#[derive(Debug, Clone)]
pub struct WirePsk {
    /// PskIdentity.identity.
    pub identity: Vec<u8>,
    /// The PSK that enters the key schedule.
    pub secret: Secret,
    /// The hash of the suites it may be used with.
    pub hash: HashAlgorithm,
    /// External or imported (the binder's label).
    pub(crate) kind: PskKind,
}

impl ExternalPsk {
    /// The PSK `secret` named `identity`, bound to SHA-256. The identity is
    /// 1 to 65535 bytes (RFC 9846 §4.3.11); the secret at least
    /// [`MIN_EXTERNAL_PSK_LEN`] bytes of a good random source (RFC 9846
    /// §2.2: never a password) and at most [`MAX_EXTERNAL_PSK_LEN`].
    pub fn new(identity: impl Into<Vec<u8>>, secret: &[u8]) -> Result<Self, Error> {
        let identity = identity.into();
        if identity.is_empty() || identity.len() > 0xffff {
            return Err(Error::Config(format!(
                "a PSK identity is 1 to 65535 bytes (RFC 9846 §4.3.11), not {}",
                identity.len()
            )));
        }
        if !(MIN_EXTERNAL_PSK_LEN..=MAX_EXTERNAL_PSK_LEN).contains(&secret.len()) {
            return Err(Error::Config(format!(
                "an external PSK must be {MIN_EXTERNAL_PSK_LEN} to {MAX_EXTERNAL_PSK_LEN} bytes \
                 of high entropy (RFC 9846 §2.2), not {}",
                secret.len()
            )));
        }
        Ok(ExternalPsk {
            identity,
            secret: Secret::from_slice(secret),
            hash: HashAlgorithm::Sha256,
            import_context: None,
            early: None,
        })
    }

    /// Binds the PSK to `hash` (SHA-256 by default): it is then used only
    /// with the cipher suites of that hash (RFC 9846 §4.3.11). For an
    /// imported PSK it is the hash of the importer's HKDF (RFC 9258 §5.1).
    pub fn with_hash(mut self, hash: HashAlgorithm) -> Self {
        self.hash = hash;
        self
    }

    /// Imports the PSK (RFC 9258) with `context` instead of using it
    /// directly: for each hash of the TLS 1.3 suites offered, a PSK is
    /// derived under an ImportedIdentity (the identity, `context`, TLS 1.3,
    /// the target KDF) and offered with the "imp binder" label, so the key
    /// is never used with two KDFs. Both sides must import it, with the
    /// same context; an imported PSK is never used directly (RFC 9258 §4).
    pub fn imported(mut self, context: &[u8]) -> Result<Self, Error> {
        // The encoded ImportedIdentity must fit PskIdentity.identity (RFC
        // 9258 §5.1): two length prefixes and four bytes more.
        if self.identity.len() + context.len() + 8 > 0xffff {
            return Err(Error::Config(
                "the ImportedIdentity would not fit a PSK identity (RFC 9258 §5.1)".into(),
            ));
        }
        if self.early.is_some() {
            return Err(Error::Config(
                "0-RTT is provisioned for external PSKs used directly, not imported ones".into(),
            ));
        }
        self.import_context = Some(context.to_vec());
        Ok(self)
    }

    /// Provisions the PSK for 0-RTT (RFC 9846 §4.3.10): up to
    /// `max_early_data` bytes, under `suite` (a TLS 1.3 suite of the PSK's
    /// hash) and the ALPN protocol `alpn` (or none), as the client and the
    /// server agreed out of band. Early data is sent only with the first PSK
    /// a client offers, and only when the client's configuration asks for
    /// it ([`crate::config::ClientConfigBuilder::early_data`]) and the
    /// server's takes it
    /// ([`crate::config::ServerConfigBuilder::max_early_data`]).
    ///
    /// An external PSK has no ticket age, so a server cannot bound how old
    /// a replayed ClientHello is (RFC 9846 §8.3): its anti-replay register
    /// refuses a copy only while it remembers the original (twice the
    /// ticket-age window). Early data must be safe to replay (RFC 9846 §8,
    /// §E.5).
    pub fn with_early_data(
        mut self,
        max_early_data: u32,
        suite: CipherSuite,
        alpn: Option<&[u8]>,
    ) -> Result<Self, Error> {
        match lookup(suite) {
            Some(SupportedSuite::Tls13(s)) if s.hash == self.hash => {}
            _ => {
                return Err(Error::Config(format!(
                    "0-RTT with an external PSK needs a TLS 1.3 suite of its hash ({:?}), not {suite:?}",
                    self.hash
                )))
            }
        }
        if self.import_context.is_some() {
            return Err(Error::Config(
                "0-RTT is provisioned for external PSKs used directly, not imported ones".into(),
            ));
        }
        if alpn.is_some_and(|a| a.is_empty() || a.len() > 255) {
            return Err(Error::Config(
                "an ALPN protocol name must be 1 to 255 bytes".into(),
            ));
        }
        self.early = Some(EarlyData {
            max: max_early_data,
            suite,
            alpn: alpn.map(<[u8]>::to_vec),
        })
        .filter(|e| e.max > 0);
        Ok(self)
    }

    /// The identity (for an imported PSK, its External Identity).
    pub fn identity(&self) -> &[u8] {
        &self.identity
    }

    /// The hash the PSK is bound to.
    pub fn hash(&self) -> HashAlgorithm {
        self.hash
    }

    /// The importer context, if the PSK is imported (RFC 9258).
    pub fn import_context(&self) -> Option<&[u8]> {
        self.import_context.as_deref()
    }

    /// The most 0-RTT data provisioned with the PSK (0: none).
    pub fn max_early_data(&self) -> u32 {
        self.early.as_ref().map_or(0, |e| e.max)
    }

    /// The suite and ALPN protocol 0-RTT was provisioned with.
    pub(crate) fn early_params(&self) -> Option<(CipherSuite, Option<&[u8]>)> {
        self.early.as_ref().map(|e| (e.suite, e.alpn.as_deref()))
    }

    /// The imported PSK for the target KDF of `target` (RFC 9258 §5.1):
    /// the ImportedIdentity and ipskx; `None` if the PSK is not imported.
    pub fn import_for(&self, target: HashAlgorithm) -> Option<WirePsk> {
        let context = self.import_context.as_ref()?;
        let identity = ImportedIdentity {
            external_identity: self.identity.clone(),
            context: context.clone(),
            target_protocol: ProtocolVersion::TLSV1_3,
            target_kdf: target_kdf(target),
        }
        .get_encoding();
        let secret = imported_psk(self.hash, self.secret.as_bytes(), &identity, target);
        Some(WirePsk {
            identity,
            secret,
            hash: target,
            kind: PskKind::Imported,
        })
    }

    /// What a client offers for this PSK when it offers suites of
    /// `hashes`: the PSK itself if its hash is among them, or (imported)
    /// one imported PSK per hash.
    pub(crate) fn offers(&self, hashes: &[HashAlgorithm]) -> Vec<WirePsk> {
        if self.import_context.is_some() {
            return hashes.iter().filter_map(|h| self.import_for(*h)).collect();
        }
        if !hashes.contains(&self.hash) {
            return Vec::new();
        }
        vec![WirePsk {
            identity: self.identity.clone(),
            secret: self.secret.clone(),
            hash: self.hash,
            kind: PskKind::External,
        }]
    }

    /// The PSK a client's identity stands for, from `store`: an external
    /// PSK used directly under its own identity, or an imported one whose
    /// ImportedIdentity names a PSK of the store imported with the same
    /// context, for TLS 1.3 and a KDF we know (RFC 9258 §5.1).
    pub(crate) fn resolve(
        store: &dyn ExternalPskStore,
        identity: &[u8],
    ) -> Option<(ExternalPsk, WirePsk)> {
        if let Some(p) = store.find(identity) {
            if p.import_context.is_none() {
                let wire = WirePsk {
                    identity: identity.to_vec(),
                    secret: p.secret.clone(),
                    hash: p.hash,
                    kind: PskKind::External,
                };
                return Some((p, wire));
            }
        }
        let imported = ImportedIdentity::decode(identity).ok()?;
        if imported.target_protocol != ProtocolVersion::TLSV1_3 {
            return None;
        }
        let target = match imported.target_kdf {
            ImportedIdentity::HKDF_SHA256 => HashAlgorithm::Sha256,
            ImportedIdentity::HKDF_SHA384 => HashAlgorithm::Sha384,
            _ => return None,
        };
        let p = store.find(&imported.external_identity)?;
        if p.import_context.as_deref() != Some(imported.context.as_slice()) {
            return None;
        }
        let wire = p.import_for(target)?;
        // The encoding is canonical: what we derive for must be what came.
        (wire.identity == identity).then_some((p, wire))
    }

    /// A digest of the PSKs, for the scope of a PSK-only client's
    /// sessions: a session made under one set is never resumed under
    /// another (or under the same identities with other keys).
    pub(crate) fn scope(psks: &[ExternalPsk]) -> [u8; 32] {
        let mut data = b"cloaktls external PSKs".to_vec();
        for p in psks {
            for part in [p.identity.as_slice(), p.secret.as_bytes()] {
                data.extend_from_slice(&(part.len() as u32).to_be_bytes());
                data.extend_from_slice(part);
            }
            data.push(u8::from(p.hash == HashAlgorithm::Sha384));
            if let Some(c) = &p.import_context {
                data.extend_from_slice(c);
            }
        }
        // The bytes hold the keys: wiped when dropped.
        let data = Secret::new(data);
        let digest = HashAlgorithm::Sha256.hash(data.as_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(&digest);
        out
    }
}

/// The ImportedIdentity.target_kdf of a hash (RFC 9258 §10).
fn target_kdf(hash: HashAlgorithm) -> u16 {
    match hash {
        HashAlgorithm::Sha256 => ImportedIdentity::HKDF_SHA256,
        HashAlgorithm::Sha384 => ImportedIdentity::HKDF_SHA384,
    }
}

/// Where a server finds external PSKs by identity (for an imported PSK,
/// by its External Identity). A database, a file watched for changes, a
/// hardware store: anything that answers; [`MemoryPskStore`] holds a fixed
/// set.
pub trait ExternalPskStore: Send + Sync + fmt::Debug {
    /// The PSK whose identity is `identity`, if there is one.
    fn find(&self, identity: &[u8]) -> Option<ExternalPsk>;
}

/// A fixed set of external PSKs in memory, by identity. Its `Debug` shows
/// only how many it holds.
pub struct MemoryPskStore {
    psks: HashMap<Vec<u8>, ExternalPsk>,
}

impl fmt::Debug for MemoryPskStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryPskStore")
            .field("psks", &self.psks.len())
            .finish()
    }
}

impl MemoryPskStore {
    /// A store of `psks`; two with the same identity are an error.
    pub fn new(psks: impl IntoIterator<Item = ExternalPsk>) -> Result<Self, Error> {
        let mut map = HashMap::new();
        for p in psks {
            if map.contains_key(&p.identity) {
                return Err(Error::Config(format!(
                    "two external PSKs with the identity {:?}",
                    String::from_utf8_lossy(&p.identity)
                )));
            }
            map.insert(p.identity.clone(), p);
        }
        Ok(MemoryPskStore { psks: map })
    }

    /// The number of PSKs held.
    pub fn len(&self) -> usize {
        self.psks.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.psks.is_empty()
    }
}

impl ExternalPskStore for MemoryPskStore {
    fn find(&self, identity: &[u8]) -> Option<ExternalPsk> {
        self.psks.get(identity).cloned()
    }
}

/// The verifier of a client that authenticates servers by external PSK
/// only: it trusts no certificate. The handshake fails before it would be
/// asked (a ServerHello without pre_shared_key is
/// [`PskProblem::PskRequired`]); it answers the same if it is.
#[derive(Debug)]
pub(crate) struct PskOnly {
    pub(crate) scope: [u8; 32],
}

impl ServerCertVerifier for PskOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<(), Error> {
        Err(Error::Psk(PskProblem::PskRequired))
    }

    fn scope(&self) -> [u8; 32] {
        self.scope
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn psk(id: &str) -> ExternalPsk {
        ExternalPsk::new(id.as_bytes(), &[7; 32]).unwrap()
    }

    #[test]
    fn lengths_are_checked_and_debug_hides_the_secret() {
        assert!(ExternalPsk::new(Vec::new(), &[1; 32]).is_err());
        assert!(ExternalPsk::new("id", &[1; 15]).is_err());
        assert!(ExternalPsk::new("id", &[1; 1025]).is_err());
        let p = ExternalPsk::new("client1", &[0xab; 32]).unwrap();
        let shown = format!("{p:?}");
        assert!(
            shown.contains("client1") && !shown.contains("171"),
            "{shown}"
        );
        assert!(ExternalPsk::new("id", &[1; 32])
            .unwrap()
            .with_early_data(100, CipherSuite::TLS13_AES_256_GCM_SHA384, None)
            .is_err());
    }

    #[test]
    fn a_store_finds_direct_and_imported_psks() {
        let direct = psk("direct");
        let imported = psk("imp")
            .with_hash(HashAlgorithm::Sha384)
            .imported(b"ctx")
            .unwrap();
        let store = MemoryPskStore::new([direct.clone(), imported.clone()]).unwrap();
        assert!(MemoryPskStore::new([psk("a"), psk("a")]).is_err());
        let (p, w) = ExternalPsk::resolve(&store, b"direct").unwrap();
        assert_eq!((p, w.kind), (direct, PskKind::External));
        // An imported PSK is never used under its own identity.
        assert!(ExternalPsk::resolve(&store, b"imp").is_none());
        let offers = imported.offers(&[HashAlgorithm::Sha256, HashAlgorithm::Sha384]);
        assert_eq!(offers.len(), 2);
        for o in &offers {
            let (_, w) = ExternalPsk::resolve(&store, &o.identity).unwrap();
            assert_eq!((w.hash, w.kind), (o.hash, PskKind::Imported));
            assert_eq!(w.secret, o.secret);
            assert_eq!(w.secret.len(), o.hash.output_len());
        }
        // Another context, protocol or KDF is another identity.
        let other = psk("imp").imported(b"other").unwrap();
        let id = &other.offers(&[HashAlgorithm::Sha256])[0].identity;
        assert!(ExternalPsk::resolve(&store, id).is_none());
        let mut wrong = ImportedIdentity::decode(&offers[0].identity).unwrap();
        wrong.target_kdf = 3;
        assert!(ExternalPsk::resolve(&store, &wrong.get_encoding()).is_none());
        wrong.target_kdf = 1;
        wrong.target_protocol = ProtocolVersion::TLSV1_2;
        assert!(ExternalPsk::resolve(&store, &wrong.get_encoding()).is_none());
        // A direct PSK of another hash is not offered with SHA-256 suites.
        assert!(psk("x")
            .with_hash(HashAlgorithm::Sha384)
            .offers(&[HashAlgorithm::Sha256])
            .is_empty());
    }
}
