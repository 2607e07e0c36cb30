//! Sessions for resumption: the client's cache of TLS 1.3 tickets and TLS
//! 1.2 sessions (one cache for both, keyed by server name, bounded), and
//! the server's side: ticket keys that rotate, and a bounded store of
//! session IDs (or of stateful TLS 1.3 tickets).

mod anti_replay;
mod ticketer;

pub use anti_replay::{AntiReplay, TICKET_AGE_WINDOW_MS};
pub use ticketer::{
    new_key_file, TicketKeys, DEFAULT_ANTI_REPLAY_CAPACITY, KEY_FILE_CHECK_INTERVAL,
    KEY_FILE_MAX_KEYS,
};

use crate::codec::DecodeError;
use crate::codec::{Codec, LengthPrefix, Reader, Writer};
use crate::crypto::Secret;
use crate::msgs::enums::{CertificateType, CipherSuite, NamedGroup, ProtocolVersion};
use pki_types::{CertificateDer, SubjectPublicKeyInfoDer};
use std::collections::{HashMap, VecDeque};
use std::fmt::Debug;
use std::sync::Mutex;

/// A TLS 1.3 ticket as the client keeps it (RFC 8446 §4.6.1).
#[derive(Debug, Clone)]
pub struct Tls13Ticket {
    /// The suite of the session that issued it (its hash must match).
    pub suite: CipherSuite,
    /// The opaque ticket.
    pub ticket: Vec<u8>,
    /// The PSK derived from resumption_master_secret and the nonce.
    pub psk: Secret,
    /// ticket_age_add.
    pub age_add: u32,
    /// The lifetime in seconds.
    pub lifetime: u32,
    /// When it was received, in milliseconds since 1970.
    pub received_ms: u64,
    /// max_early_data_size, 0 when early data is not allowed.
    pub max_early_data: u32,
    /// The ALPN protocol of the original session.
    pub alpn: Option<Vec<u8>>,
    /// The server's certificate chain in the original session.
    pub peer_certs: Vec<CertificateDer<'static>>,
    /// For a ticket from a QUIC connection, what QUIC remembers with it;
    /// `None` for a ticket from a TLS connection.
    pub quic: Option<QuicSession>,
    /// The server's raw public key in the original session, if it
    /// authenticated with one (RFC 7250); `peer_certs` is empty then.
    pub peer_raw_public_key: Option<SubjectPublicKeyInfoDer<'static>>,
    /// The identity of the external PSK that authenticated the original
    /// session instead of a certificate (for an imported PSK, its External
    /// Identity), if one did.
    pub external_psk: Option<Vec<u8>>,
}

/// What a QUIC client keeps with a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuicSession {
    /// The QUIC version of the connection: a ticket serves only that
    /// version (RFC 9369 §5).
    pub version: u32,
    /// The server's transport parameters, which 0-RTT runs under (RFC
    /// 9000 §7.4.1).
    pub transport_parameters: Vec<u8>,
}

/// A TLS 1.2 session as the client keeps it.
#[derive(Debug, Clone)]
pub struct Tls12Session {
    /// The suite.
    pub suite: CipherSuite,
    /// The session ID the server gave (may be empty with a ticket).
    pub session_id: Vec<u8>,
    /// The RFC 5077 ticket, if the server gave one.
    pub ticket: Option<Vec<u8>>,
    /// The master secret.
    pub master_secret: Secret,
    /// Whether it used the extended master secret.
    pub extended_master_secret: bool,
    /// When it was made, in seconds since 1970.
    pub created: u64,
    /// The server's certificate chain.
    pub peer_certs: Vec<CertificateDer<'static>>,
    /// The server's raw public key, if it authenticated with one (RFC
    /// 7250); `peer_certs` is empty then.
    pub peer_raw_public_key: Option<SubjectPublicKeyInfoDer<'static>>,
    /// The group of the full handshake's key exchange, reported again
    /// when the session is resumed.
    pub group: Option<NamedGroup>,
}

/// Whose sessions a client store keeps together: the server's name, and
/// the scope of the verifier that authenticated the server
/// ([`crate::verify::ServerCertVerifier::scope`]), so that a session made
/// under one trust is never resumed under another. Get one with
/// [`crate::ClientConfig::session_key`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionKey {
    server_name: String,
    scope: [u8; 32],
}

impl SessionKey {
    /// The key for `server_name` (lower-cased) under a verifier of
    /// `scope`.
    pub fn new(server_name: &str, scope: [u8; 32]) -> Self {
        SessionKey {
            server_name: server_name.to_ascii_lowercase(),
            scope,
        }
    }

    /// The server's name.
    pub fn server_name(&self) -> &str {
        &self.server_name
    }
}

/// Where a client keeps sessions, by server and verifier.
pub trait ClientSessionStore: Send + Sync + Debug {
    /// Keeps a TLS 1.3 ticket.
    fn put_tls13(&self, key: &SessionKey, ticket: Tls13Ticket);
    /// Takes a TLS 1.3 ticket out (tickets are used once).
    fn take_tls13(&self, key: &SessionKey) -> Option<Tls13Ticket>;
    /// Keeps a TLS 1.2 session, replacing any other.
    fn put_tls12(&self, key: &SessionKey, session: Tls12Session);
    /// The TLS 1.2 session, if any.
    fn get_tls12(&self, key: &SessionKey) -> Option<Tls12Session>;
    /// Forgets the TLS 1.2 session.
    fn remove_tls12(&self, key: &SessionKey);
}

#[derive(Debug, Default)]
struct Entry {
    tls13: VecDeque<Tls13Ticket>,
    tls12: Option<Tls12Session>,
}

/// Sessions by key, and the keys in the order they were last used.
type Sessions = (HashMap<SessionKey, Entry>, VecDeque<SessionKey>);

/// The default client store: in memory, at most `servers` keys, at most
/// [`MemorySessionCache::TICKETS_PER_SERVER`] TLS 1.3 tickets each; the
/// key used least recently goes first.
#[derive(Debug)]
pub struct MemorySessionCache {
    inner: Mutex<Sessions>,
    servers: usize,
}

impl MemorySessionCache {
    /// Tickets kept per server.
    pub const TICKETS_PER_SERVER: usize = 8;

    /// A cache for at most `servers` names.
    pub fn new(servers: usize) -> Self {
        MemorySessionCache {
            inner: Mutex::new((HashMap::new(), VecDeque::new())),
            servers: servers.max(1),
        }
    }

    fn with<R>(
        &self,
        key: &SessionKey,
        insert: bool,
        f: impl FnOnce(&mut Entry) -> R,
    ) -> Option<R> {
        let mut g = self.inner.lock().ok()?;
        let (map, order) = &mut *g;
        if !map.contains_key(key) {
            if !insert {
                return None;
            }
            if map.len() >= self.servers {
                if let Some(old) = order.pop_front() {
                    map.remove(&old);
                }
            }
            map.insert(key.clone(), Entry::default());
        }
        order.retain(|s| s != key);
        order.push_back(key.clone());
        map.get_mut(key).map(f)
    }

    /// The number of server names held.
    pub fn len(&self) -> usize {
        self.inner.lock().map(|g| g.0.len()).unwrap_or(0)
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl ClientSessionStore for MemorySessionCache {
    fn put_tls13(&self, key: &SessionKey, ticket: Tls13Ticket) {
        self.with(key, true, |e| {
            if e.tls13.len() >= Self::TICKETS_PER_SERVER {
                e.tls13.pop_front();
            }
            e.tls13.push_back(ticket);
        });
    }

    fn take_tls13(&self, key: &SessionKey) -> Option<Tls13Ticket> {
        // The newest ticket first.
        self.with(key, false, |e| e.tls13.pop_back()).flatten()
    }

    fn put_tls12(&self, key: &SessionKey, session: Tls12Session) {
        self.with(key, true, |e| e.tls12 = Some(session));
    }

    fn get_tls12(&self, key: &SessionKey) -> Option<Tls12Session> {
        self.with(key, false, |e| e.tls12.clone()).flatten()
    }

    fn remove_tls12(&self, key: &SessionKey) {
        self.with(key, false, |e| e.tls12 = None);
    }
}

/// What a server keeps of a session, inside a ticket or in its store.
/// Its `Debug` leaves the secret out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSessionValue {
    /// TLS 1.2 or 1.3.
    pub version: ProtocolVersion,
    /// The suite.
    pub suite: CipherSuite,
    /// The TLS 1.3 PSK, or the TLS 1.2 master secret.
    pub secret: Secret,
    /// When the session (or ticket) was made, in seconds since 1970.
    pub created: u64,
    /// TLS 1.3 ticket_age_add.
    pub age_add: u32,
    /// The lifetime in seconds.
    pub lifetime: u32,
    /// TLS 1.2: whether the extended master secret was used.
    pub extended_master_secret: bool,
    /// The SNI of the original handshake.
    pub sni: Option<String>,
    /// The ALPN protocol of the original handshake.
    pub alpn: Option<Vec<u8>>,
    /// max_early_data_size granted with the ticket.
    pub max_early_data: u32,
    /// The client's certificate chain, if it sent one; its raw public key
    /// alone if `client_cert_type` is RawPublicKey.
    pub client_certs: Vec<Vec<u8>>,
    /// The type of the server's certificate in the session (RFC 7250
    /// §4.2): resumed only for a client that accepts it.
    pub server_cert_type: CertificateType,
    /// The type of the client's certificate in the session.
    pub client_cert_type: CertificateType,
    /// TLS 1.2: the group of the full handshake's key exchange.
    pub group: Option<NamedGroup>,
    /// The client-authentication policy the session was made under (a
    /// digest of whether a certificate was asked for or required and of
    /// the verifier's roots): a session is resumed only under the same
    /// policy.
    pub client_auth: [u8; 32],
    /// The QUIC version of the connection that issued a ticket, `None` for
    /// TLS: a ticket resumes only in the same version (RFC 9369 §5).
    pub quic_version: Option<u32>,
    /// The identity of the external PSK that authenticated the client in
    /// the original handshake (its External Identity, if imported).
    pub external_psk: Option<Vec<u8>>,
    /// The digest of the QUIC early data context the ticket was issued
    /// under: 0-RTT needs the same (RFC 9001 §4.6.1).
    pub quic_early_data_context: Option<[u8; 32]>,
}

impl Codec for ServerSessionValue {
    fn encode(&self, w: &mut Writer<'_>) {
        self.version.encode(w);
        self.suite.encode(w);
        w.put_vec(LengthPrefix::U8, self.secret.as_bytes());
        w.put_u64(self.created);
        w.put_u32(self.age_add);
        w.put_u32(self.lifetime);
        w.put_u8(u8::from(self.extended_master_secret));
        w.put_vec(
            LengthPrefix::U8,
            self.sni.as_deref().unwrap_or("").as_bytes(),
        );
        w.put_vec(LengthPrefix::U8, self.alpn.as_deref().unwrap_or(&[]));
        w.put_u32(self.max_early_data);
        w.prefixed(LengthPrefix::U24, |w| {
            for c in &self.client_certs {
                w.put_vec(LengthPrefix::U24, c);
            }
        });
        // 0: none (TLS 1.3 records it per connection).
        w.put_u16(self.group.map_or(0, |g| g.0));
        w.put_bytes(&self.client_auth);
        // Kept since certificate types (RFC 7250), QUIC and external PSKs
        // were: a value that ends before them is an X.509, TLS session.
        self.server_cert_type.encode(w);
        self.client_cert_type.encode(w);
        match self.quic_version {
            Some(v) => {
                w.put_u8(1);
                w.put_u32(v);
            }
            None => w.put_u8(0),
        }
        // Empty: none (an identity is at least one byte).
        w.put_vec(
            LengthPrefix::U16,
            self.external_psk.as_deref().unwrap_or_default(),
        );
        // Kept since QUIC early data contexts were: a value that ends
        // before it has none.
        if let Some(c) = &self.quic_early_data_context {
            w.put_u8(1);
            w.put_bytes(c);
        }
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let version = ProtocolVersion::read(r)?;
        let suite = CipherSuite::read(r)?;
        let secret = Secret::from_slice(r.vec_bytes(LengthPrefix::U8, 1, 255)?);
        let created = r.u64()?;
        let age_add = r.u32()?;
        let lifetime = r.u32()?;
        let extended_master_secret = r.u8()? == 1;
        let sni = r.vec_bytes(LengthPrefix::U8, 0, 255)?;
        let sni = if sni.is_empty() {
            None
        } else {
            Some(String::from_utf8(sni.to_vec()).map_err(|_| DecodeError::IllegalValue("sni"))?)
        };
        let alpn = r.vec_bytes(LengthPrefix::U8, 0, 255)?;
        let alpn = (!alpn.is_empty()).then(|| alpn.to_vec());
        let max_early_data = r.u32()?;
        let mut list = r.sub(LengthPrefix::U24, 0, 0xff_ffff)?;
        let mut client_certs = Vec::new();
        while !list.at_end() {
            client_certs.push(list.vec_bytes(LengthPrefix::U24, 1, 0xff_ffff)?.to_vec());
        }
        let group = Some(NamedGroup(r.u16()?)).filter(|g| g.0 != 0);
        let client_auth = r.array()?;
        let mut quic_early_data_context = None;
        let (server_cert_type, client_cert_type, quic_version, external_psk) = if r.at_end() {
            (CertificateType::X509, CertificateType::X509, None, None)
        } else {
            let server = CertificateType::read(r)?;
            let client = CertificateType::read(r)?;
            let quic = match r.u8()? {
                0 => None,
                1 => Some(r.u32()?),
                _ => return Err(DecodeError::IllegalValue("quic_version")),
            };
            let psk = r.vec_bytes(LengthPrefix::U16, 0, 0xffff)?;
            quic_early_data_context = match r.at_end() {
                true => None,
                // 0 stands for none too, for a later field after it.
                false => match r.u8()? {
                    0 => None,
                    1 => Some(r.array()?),
                    _ => return Err(DecodeError::IllegalValue("quic_early_data_context")),
                },
            };
            (
                server,
                client,
                quic,
                (!psk.is_empty()).then(|| psk.to_vec()),
            )
        };
        Ok(ServerSessionValue {
            version,
            suite,
            secret,
            created,
            age_add,
            lifetime,
            extended_master_secret,
            sni,
            alpn,
            max_early_data,
            client_certs,
            group,
            client_auth,
            quic_version,
            server_cert_type,
            client_cert_type,
            external_psk,
            quic_early_data_context,
        })
    }
}

/// Sessions by ID, and the IDs in the order they arrived.
type IdMap = (HashMap<Vec<u8>, Secret>, VecDeque<Vec<u8>>);

/// A server's bounded store: session IDs for TLS 1.2, and the optional
/// stateful TLS 1.3 tickets. When full, the oldest entry goes. Its
/// `Debug` shows only how many sessions it holds.
pub struct ServerSessionCache {
    inner: Mutex<IdMap>,
    capacity: usize,
}

impl Debug for ServerSessionCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerSessionCache")
            .field("sessions", &self.len())
            .field("capacity", &self.capacity)
            .finish()
    }
}

impl ServerSessionCache {
    /// A store of at most `capacity` sessions.
    pub fn new(capacity: usize) -> Self {
        ServerSessionCache {
            inner: Mutex::new((HashMap::new(), VecDeque::new())),
            capacity: capacity.max(1),
        }
    }

    /// Stores `value` (an encoded session, secret) under `id`.
    pub fn put(&self, id: Vec<u8>, value: Vec<u8>) {
        let value = Secret::new(value);
        if let Ok(mut g) = self.inner.lock() {
            let (map, order) = &mut *g;
            if !map.contains_key(&id) {
                while map.len() >= self.capacity {
                    match order.pop_front() {
                        Some(old) => {
                            map.remove(&old);
                        }
                        None => break,
                    }
                }
                order.push_back(id.clone());
            }
            map.insert(id, value);
        }
    }

    /// The value under `id`.
    pub fn get(&self, id: &[u8]) -> Option<Secret> {
        self.inner.lock().ok()?.0.get(id).cloned()
    }

    /// Removes and returns the value under `id` (single use).
    pub fn take(&self, id: &[u8]) -> Option<Secret> {
        let mut g = self.inner.lock().ok()?;
        let (map, order) = &mut *g;
        let v = map.remove(id)?;
        order.retain(|k| k != id);
        Some(v)
    }

    /// The number of sessions held.
    pub fn len(&self) -> usize {
        self.inner.lock().map(|g| g.0.len()).unwrap_or(0)
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket(n: u8) -> Tls13Ticket {
        Tls13Ticket {
            suite: CipherSuite::TLS13_AES_128_GCM_SHA256,
            ticket: vec![n],
            psk: Secret::new(vec![n; 32]),
            age_add: 0,
            lifetime: 100,
            received_ms: 0,
            max_early_data: 0,
            alpn: None,
            peer_certs: Vec::new(),
            quic: None,
            peer_raw_public_key: None,
            external_psk: None,
        }
    }

    fn key(name: &str) -> SessionKey {
        SessionKey::new(name, [0; 32])
    }

    #[test]
    fn client_cache_is_bounded() {
        let c = MemorySessionCache::new(2);
        for i in 0..20u8 {
            c.put_tls13(&key("a"), ticket(i));
        }
        c.put_tls13(&key("b"), ticket(1));
        c.put_tls13(&key("c"), ticket(2));
        assert_eq!(c.len(), 2);
        assert!(c.take_tls13(&key("a")).is_none());
        assert_eq!(c.take_tls13(&key("c")).unwrap().ticket, vec![2]);
        assert!(c.take_tls13(&key("c")).is_none());
        let c = MemorySessionCache::new(4);
        for i in 0..20u8 {
            c.put_tls13(&key("a"), ticket(i));
        }
        let mut n = 0;
        while c.take_tls13(&key("a")).is_some() {
            n += 1;
        }
        assert_eq!(n, MemorySessionCache::TICKETS_PER_SERVER);
    }

    #[test]
    fn server_cache_is_bounded_and_single_use_on_take() {
        let s = ServerSessionCache::new(3);
        for i in 0..10u8 {
            s.put(vec![i], vec![i]);
        }
        assert_eq!(s.len(), 3);
        assert!(s.get(&[0]).is_none());
        assert_eq!(s.take(&[9]).unwrap().as_bytes(), &[9]);
        assert_eq!(s.take(&[9]), None);
    }

    #[test]
    fn session_value_round_trips() {
        let v = ServerSessionValue {
            version: ProtocolVersion::TLSV1_3,
            suite: CipherSuite::TLS13_AES_256_GCM_SHA384,
            secret: Secret::from_slice(&[7; 48]),
            created: 1_700_000_000,
            age_add: 0xdeadbeef,
            lifetime: 7200,
            extended_master_secret: false,
            sni: Some("example.com".into()),
            alpn: Some(b"h2".to_vec()),
            max_early_data: 16384,
            client_certs: vec![vec![1, 2, 3]],
            group: Some(NamedGroup::X25519),
            client_auth: [9; 32],
            server_cert_type: CertificateType::RAW_PUBLIC_KEY,
            client_cert_type: CertificateType::RAW_PUBLIC_KEY,
            quic_version: None,
            external_psk: None,
            quic_early_data_context: None,
        };
        assert_eq!(ServerSessionValue::decode(&v.get_encoding()), Ok(v.clone()));
        let more = ServerSessionValue {
            quic_version: Some(0x6b33_43cf),
            external_psk: Some(b"client7".to_vec()),
            quic_early_data_context: Some([5; 32]),
            ..v.clone()
        };
        let enc = more.get_encoding();
        assert_eq!(ServerSessionValue::decode(&enc), Ok(more.clone()));
        // A value sealed before early data contexts were kept has none; a
        // marker other than 1 is refused.
        let before = ServerSessionValue::decode(&enc[..enc.len() - 33]).unwrap();
        assert_eq!(before.quic_early_data_context, None);
        let mut odd = enc.clone();
        let at = odd.len() - 33;
        odd[at] = 2;
        assert!(ServerSessionValue::decode(&odd).is_err());
        // A session sealed before the certificate types, QUIC and external
        // PSKs were kept reads as an X.509, TLS session without a PSK.
        let enc = v.get_encoding();
        let old = ServerSessionValue::decode(&enc[..enc.len() - 5]).unwrap();
        assert_eq!(old.server_cert_type, CertificateType::X509);
        assert_eq!(old.client_cert_type, CertificateType::X509);
        assert_eq!((old.quic_version, old.external_psk), (None, None));
        assert!(ServerSessionValue::decode(&enc[..enc.len() - 1]).is_err());
        let mut bad = enc.clone();
        let at = bad.len() - 3;
        bad[at] = 2;
        assert!(ServerSessionValue::decode(&bad).is_err());
        // Debug never shows the secret.
        let shown = format!("{v:?}");
        assert!(!shown.contains("7, 7, 7"), "{shown}");
        assert!(ServerSessionValue::decode(&[3, 4]).is_err());
    }
}
