//! The security review's findings (issue 14), each reproduced as its
//! reviewer did and shown fixed: 0-RTT replay across configurations and
//! past a full register, a "chain only" verifier that must check the
//! chain, secrets in Debug, unbounded key-share work, resumption across
//! client-authentication policies, single-use tickets burned too early,
//! keys used past their limit, protocol deviations, and the key log's
//! permissions.

mod common;
use cloaktls::config::{ClientAuth, KeyLog};
use cloaktls::conn::{Intake, Received};
use cloaktls::msgs::enums::ExtensionType;
use cloaktls::msgs::extensions::{Extension, KeyShareEntry};
use cloaktls::msgs::handshake::HandshakePayload;
use cloaktls::session::{MemorySessionCache, TicketKeys};
use cloaktls::verify::TimeSource;
use cloaktls::{
    AlertDescription, CertificateErrorKind, ClientConfig, ClientConnection, Error, Event,
    NamedGroup, ProtocolVersion, ServerConfig, ServerConnection,
};
use common::*;
use pki_types::UnixTime;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const V13: &[ProtocolVersion] = &[ProtocolVersion::TLSV1_3];
const V12: &[ProtocolVersion] = &[ProtocolVersion::TLSV1_2];

/// A clock the test moves by hand, in milliseconds.
#[derive(Debug)]
struct Clock(AtomicU64);

impl TimeSource for Clock {
    fn now(&self) -> UnixTime {
        UnixTime::since_unix_epoch(Duration::from_millis(self.0.load(Ordering::SeqCst)))
    }
    fn now_ms(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

const START_MS: u64 = 1_800_000_000_000;

fn clock() -> Arc<Clock> {
    Arc::new(Clock(AtomicU64::new(START_MS)))
}

fn keys(capacity: usize) -> Arc<TicketKeys> {
    Arc::new(
        TicketKeys::new(
            Arc::new(cloaktls::crypto::SystemRandom::new()),
            3600,
            START_MS / 1000,
        )
        .unwrap()
        .with_anti_replay_capacity(capacity),
    )
}

/// A handshake, a byte each way so that tickets arrive.
fn connect(c: &Arc<ClientConfig>, s: &Arc<ServerConfig>) -> (ClientConnection, ServerConnection) {
    let mut c = ClientConnection::new(c.clone(), "localhost").unwrap();
    let mut s = ServerConnection::new(s.clone()).unwrap();
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    assert_eq!(send_and_receive(&mut s, &mut c, b"x"), b"x");
    assert_eq!(send_and_receive(&mut c, &mut s, b"y"), b"y");
    (c, s)
}

/// A server with early data, sharing `keys`, on `clock`.
fn early_server(pki: &Pki, keys: &Arc<TicketKeys>, clock: &Arc<Clock>) -> Arc<ServerConfig> {
    ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
        .ticket_keys(keys.clone())
        .max_early_data(1000)
        .time(clock.clone())
        .build()
        .unwrap()
}

fn early_client(pki: &Pki, clock: &Arc<Clock>) -> Arc<ClientConfig> {
    ClientConfig::builder(pki.roots())
        .early_data(true)
        .session_store(Some(Arc::new(MemorySessionCache::new(8))))
        .time(clock.clone())
        .build()
        .unwrap()
}

/// The client's first flight with 0-RTT data, recorded.
fn early_flight(c: &Arc<ClientConfig>, data: &[u8]) -> Vec<u8> {
    let mut conn = ClientConnection::new(c.clone(), "localhost").unwrap();
    assert_eq!(conn.send_early_data(data).unwrap(), data.len());
    conn.pending_tls().to_vec()
}

/// Feeds a recorded flight to a fresh server; whether its early data was
/// accepted and delivered.
fn replay_to(s: &Arc<ServerConfig>, flight: &[u8]) -> bool {
    let mut conn = ServerConnection::new(s.clone()).unwrap();
    assert_eq!(conn.read_tls(flight).unwrap(), Intake::All);
    let mut buf = [0u8; 64];
    let delivered = matches!(conn.recv(&mut buf).unwrap(), Received::Data(_));
    assert_eq!(conn.early_data_accepted() == Some(true), delivered);
    delivered
}

// ---- 1. 0-RTT anti-replay (RFC 8446 §8) ----

#[test]
fn a_replay_is_refused_by_every_config_that_shares_the_ticket_keys() {
    let pki = Pki::new("CA");
    let (keys, clock) = (keys(1024), clock());
    let a = early_server(&pki, &keys, &clock);
    // As after a configuration reload: another config, the same keys.
    let b = early_server(&pki, &keys, &clock);
    let c = early_client(&pki, &clock);
    connect(&c, &a);
    let flight = early_flight(&c, b"pay once");
    assert!(replay_to(&a, &flight));
    assert!(!replay_to(&b, &flight), "the reloaded config took a replay");
    assert!(!replay_to(&a, &flight));
}

#[test]
fn a_full_register_refuses_early_data_instead_of_forgetting() {
    let pki = Pki::new("CA");
    let (keys, clock) = (keys(2), clock());
    let s = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
        .ticket_keys(keys.clone())
        .max_early_data(1000)
        .tickets(3)
        .time(clock.clone())
        .build()
        .unwrap();
    let c = early_client(&pki, &clock);
    // Three tickets from one connection: three hellos, one too many.
    connect(&c, &s);
    let flights: Vec<Vec<u8>> = (0..3u8).map(|i| early_flight(&c, &[i; 4])).collect();
    assert!(replay_to(&s, &flights[0]));
    assert!(replay_to(&s, &flights[1]));
    // Full: the attacker's filler cannot push the first hello out.
    assert!(!replay_to(&s, &flights[2]), "a full register took 0-RTT");
    assert!(!replay_to(&s, &flights[0]), "a recorded hello replayed");
    // Once the window is past, entries expire and 0-RTT works again.
    clock.0.fetch_add(23_000, Ordering::SeqCst);
    connect(&c, &s);
    assert!(replay_to(&s, &early_flight(&c, b"later")));
}

// ---- 2. danger::ChainOnlyVerifier checks the chain ----

#[test]
fn the_chain_only_verifier_refuses_an_unknown_issuer() {
    let pki = Pki::new("CA");
    let other = Pki::new("Unknown CA");
    let verify = |issuer: &Pki, name: &str| {
        let s = ServerConfig::builder(issuer.server(KeyType::EcdsaP256).certified_key())
            .build()
            .unwrap();
        let verifier = cloaktls::danger::ChainOnlyVerifier::new(pki.roots());
        let c = cloaktls::danger::client_with_verifier(Arc::new(verifier))
            .build()
            .unwrap();
        let mut c = ClientConnection::new(c, name).unwrap();
        let mut s = ServerConnection::new(s).unwrap();
        handshake(&mut c, &mut s).0
    };
    // Any name passes, with a chain to the roots...
    verify(&pki, "another.example").unwrap();
    // ...but not a serverAuth certificate from a CA we do not trust.
    match verify(&other, "localhost") {
        Err(Error::InvalidCertificate(c)) => {
            assert_eq!(c.kind, CertificateErrorKind::UnknownIssuer)
        }
        other => panic!("{other:?}"),
    }
}

// ---- 3. Debug prints no secrets ----

/// The first bytes of `secret` as Debug prints a byte vector, and as hex.
fn fingerprints(secret: &[u8]) -> [String; 2] {
    let head = &secret[..8.min(secret.len())];
    let decimal = head
        .iter()
        .map(|b| b.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    [decimal, hex::encode(head)]
}

/// A key log whose own Debug shows nothing it holds.
#[derive(Default)]
struct Log(Mutex<Vec<Vec<u8>>>);

impl std::fmt::Debug for Log {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Log")
    }
}

impl KeyLog for Log {
    fn log(&self, _: &str, _: &[u8], secret: &[u8]) {
        self.0.lock().unwrap().push(secret.to_vec());
    }
}

#[test]
fn debug_output_holds_no_secret() {
    let pki = Pki::new("CA");
    for versions in [V13, V12] {
        let log = Arc::new(Log::default());
        // Stateful tickets and session IDs: the server caches secrets.
        let s = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
            .versions(versions)
            .stateful_tickets(true)
            .key_log(log.clone())
            .build()
            .unwrap();
        let c = ClientConfig::builder(pki.roots())
            .versions(versions)
            .key_log(log.clone())
            .build()
            .unwrap();
        let (cc, sc) = connect(&c, &s);
        let (cc2, sc2) = connect(&c, &s);
        assert!(cc2.is_resumed(), "{versions:?}");
        let shown = format!("{s:?}{c:?}{cc:?}{sc:?}{cc2:?}{sc2:?}");
        let secrets = log.0.lock().unwrap();
        assert!(secrets.len() >= 2);
        for secret in secrets.iter() {
            for f in fingerprints(secret) {
                assert!(
                    !shown.contains(&f),
                    "{versions:?}: a secret in Debug output"
                );
            }
        }
    }
}

// ---- 4. Key-share validation is bounded ----

/// Adds `n` more key shares (and their groups) to a ClientHello.
#[derive(Debug)]
struct ManyShares(usize);

impl cloaktls::danger::replay::MessageShaper for ManyShares {
    fn shape(&self, message: &mut HandshakePayload) {
        let HandshakePayload::ClientHello(ch) = message else {
            return;
        };
        let extra: Vec<NamedGroup> = (0..self.0 as u16).map(|i| NamedGroup(0x3000 + i)).collect();
        for e in ch.extensions.iter_mut() {
            match e {
                Extension::SupportedGroups(g) => g.extend(&extra),
                Extension::KeyShareClient(shares) => {
                    shares.extend(extra.iter().map(|g| KeyShareEntry {
                        group: *g,
                        key_exchange: vec![1],
                    }))
                }
                _ => {}
            }
        }
    }
}

#[test]
fn a_hello_with_thousands_of_key_shares_is_refused_from_the_count() {
    let pki = Pki::new("CA");
    for extra in [14, 9_000] {
        let shaped =
            |b| cloaktls::danger::replay::shape_client_messages(b, Arc::new(ManyShares(extra)));
        let (c, mut s) = pair(&pki, |b| b, shaped, "localhost");
        let r = s.read_tls(c.pending_tls());
        if extra == 14 {
            // 15 shares (ours and 14 more) are read, and ours is taken.
            assert!(r.is_ok(), "{r:?}");
        } else {
            // The check is a count: its cost does not grow with the
            // shares' number (RFC 8446 §4.2.8 sets no bound; we do).
            let e = r.unwrap_err();
            assert_eq!(e.alert(), Some(AlertDescription::ILLEGAL_PARAMETER));
            assert!(e.to_string().contains("at most 16"), "{e}");
        }
    }
}

/// Puts `.0` unknown cipher suites before the client's own.
#[derive(Debug)]
struct ManySuites(usize);

impl cloaktls::danger::replay::MessageShaper for ManySuites {
    fn shape(&self, message: &mut HandshakePayload) {
        if let HandshakePayload::ClientHello(ch) = message {
            let mut suites: Vec<cloaktls::CipherSuite> = (0..self.0 as u16)
                .map(|i| cloaktls::CipherSuite(0x5000 + i))
                .collect();
            suites.extend(ch.cipher_suites.iter().copied());
            ch.cipher_suites = suites;
        }
    }
}

#[test]
fn a_hello_with_thirty_thousand_cipher_suites_is_answered() {
    // The suite choice reads the client's list a bounded number of times
    // (once per suite of ours), whatever its length: 30,000 unknown suites
    // before the real ones cost a linear pass, not a square one.
    let pki = Pki::new("CA");
    for versions in [V13, V12] {
        let shaped =
            |b| cloaktls::danger::replay::shape_client_messages(b, Arc::new(ManySuites(30_000)));
        let (mut c, mut s) = pair(&pki, |b| b.versions(versions), shaped, "localhost");
        let (rc, rs) = handshake(&mut c, &mut s);
        rc.unwrap();
        rs.unwrap();
        assert_eq!(c.protocol_version(), Some(versions[0]));
    }
}

/// Answers every GREASE extension type (RFC 8701) in the server's
/// Certificate entries.
#[derive(Debug)]
struct AnswersGrease;

impl cloaktls::danger::replay::MessageShaper for AnswersGrease {
    fn shape(&self, message: &mut HandshakePayload) {
        if let HandshakePayload::Certificate13(c) = message {
            if let Some(first) = c.entries.first_mut() {
                first
                    .extensions
                    .extend((0..16u16).map(|i| Extension::Unknown {
                        typ: ExtensionType((i << 12) | 0x0a0a | (i << 4)),
                        data: Vec::new(),
                    }));
            }
        }
    }
}

#[test]
fn a_server_that_answers_our_grease_is_refused() {
    // RFC 8701 §3.1: the client fails a connection whose server answers a
    // GREASE extension (here in a Certificate entry, where only what we
    // asked for may come).
    let pki = Pki::new("CA");
    let shaped = |b| cloaktls::danger::replay::shape_server_messages(b, Arc::new(AnswersGrease));
    let (mut c, mut s) = pair(
        &pki,
        shaped,
        |b: cloaktls::config::ClientConfigBuilder| b.grease(true).certificate_compression(&[]),
        "localhost",
    );
    let (rc, _) = handshake(&mut c, &mut s);
    let e = rc.unwrap_err();
    assert_eq!(
        e.alert(),
        Some(AlertDescription::UNSUPPORTED_EXTENSION),
        "{e}"
    );
}

// ---- 5. Resumption keeps the client-certificate policy ----

#[test]
fn a_session_is_not_resumed_under_another_client_auth_policy() {
    let pki = Pki::new("CA");
    for versions in [V13, V12] {
        let keys = keys(16);
        let cache = Some(Arc::new(cloaktls::session::ServerSessionCache::new(64)));
        let public = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
            .versions(versions)
            .ticket_keys(keys.clone())
            .session_cache(cache.clone())
            .build()
            .unwrap();
        let strict = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
            .versions(versions)
            .ticket_keys(keys.clone())
            .session_cache(cache)
            .client_auth(ClientAuth::required(pki.roots()))
            .build()
            .unwrap();
        let c = ClientConfig::builder(pki.roots())
            .versions(versions)
            .build()
            .unwrap();
        connect(&c, &public);
        // The public server's session does not get past the strict one.
        let mut cc = ClientConnection::new(c.clone(), "localhost").unwrap();
        let mut sc = ServerConnection::new(strict).unwrap();
        let (cr, sr) = handshake(&mut cc, &mut sc);
        let _ = transfer(&mut cc, &mut sc, &mut Lcg(1), 1 << 20);
        assert!(!sc.is_resumed(), "{versions:?}: resumed across policies");
        assert!(
            cr.is_err() || sr.is_err() || sc.error().is_some(),
            "{versions:?}"
        );
    }
}

// ---- 6. A single-use ticket is spent only by a hello that passes ----

#[test]
fn a_spoiled_copy_of_the_hello_does_not_burn_the_ticket() {
    let pki = Pki::new("CA");
    let s = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
        .stateful_tickets(true)
        .build()
        .unwrap();
    let c = ClientConfig::builder(pki.roots()).build().unwrap();
    connect(&c, &s);
    let mut cc = ClientConnection::new(c.clone(), "localhost").unwrap();
    let hello = cc.pending_tls().to_vec();
    // The binder is the hello's last bytes.
    let mut spoiled = hello.clone();
    let last = spoiled.len() - 1;
    spoiled[last] ^= 1;
    let mut attacker = ServerConnection::new(s.clone()).unwrap();
    let e = attacker.read_tls(&spoiled).unwrap_err();
    assert_eq!(e.alert(), Some(AlertDescription::DECRYPT_ERROR), "{e}");
    // The real hello still resumes.
    let mut sc = ServerConnection::new(s.clone()).unwrap();
    let (cr, sr) = handshake(&mut cc, &mut sc);
    cr.unwrap();
    sr.unwrap();
    assert!(sc.is_resumed());
}

// ---- 8. A key is never used past its limit (RFC 8446 §5.5) ----

/// AES-GCM's confidentiality limit in records.
const AES_GCM_LIMIT: u64 = 23_726_566;

#[test]
fn tls13_updates_its_key_before_the_limit() {
    let pki = Pki::new("CA");
    let (mut c, mut s) = pair(&pki, |b| b.versions(V13), |b| b, "localhost");
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    while s.next_event().is_some() {}
    c.set_write_sequence(AES_GCM_LIMIT - 3);
    s.set_read_sequence(AES_GCM_LIMIT - 3);
    for i in 0..5u8 {
        assert_eq!(send_and_receive(&mut c, &mut s, &[i; 100]), [i; 100]);
    }
    assert!(
        std::iter::from_fn(|| s.next_event()).any(|e| e == Event::KeyUpdated),
        "no KeyUpdate before the limit"
    );
}

#[test]
fn tls12_closes_before_the_limit_and_the_failure_is_final() {
    let pki = Pki::new("CA");
    let (mut c, mut s) = pair(&pki, |b| b.versions(V12), |b| b, "localhost");
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    c.set_write_sequence(AES_GCM_LIMIT - 3);
    s.set_read_sequence(AES_GCM_LIMIT - 3);
    assert_eq!(send_and_receive(&mut c, &mut s, b"ok"), b"ok");
    assert_eq!(c.send(b"too many").unwrap_err(), Error::EncryptLimit);
    // Fatal: a retry cannot reuse a nonce.
    assert_eq!(c.send(b"again").unwrap_err(), Error::EncryptLimit);
    transfer(&mut c, &mut s, &mut Lcg(1), 1 << 20).unwrap();
    assert_eq!(s.recv(&mut [0u8; 16]).unwrap(), Received::Closed);
}

// ---- 10. Protocol deviations ----

#[test]
fn a_protected_change_cipher_spec_is_unexpected_message() {
    let pki = Pki::new("CA");
    let log = Arc::new(Secrets::default());
    let (mut c, mut s) = pair(
        &pki,
        |b| b.versions(V13),
        |b| b.key_log(log.clone()),
        "localhost",
    );
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    // The client's first application record, sealed as a ChangeCipherSpec.
    let secret = log.get("CLIENT_TRAFFIC_SECRET_0");
    let record = seal_tls13(&secret, 0, cloaktls::ContentType::CHANGE_CIPHER_SPEC, &[1]);
    let e = s.read_tls(&record).unwrap_err();
    assert_eq!(e.alert(), Some(AlertDescription::UNEXPECTED_MESSAGE), "{e}");
    assert!(e.to_string().contains("protected ChangeCipherSpec"), "{e}");
}

#[test]
fn a_client_enforces_its_own_record_size_limit() {
    let pki = Pki::new("CA");
    let log = Arc::new(Secrets::default());
    let (mut c, mut s) = pair(
        &pki,
        |b| b.versions(V13),
        |b| b.record_size_limit(256).key_log(log.clone()),
        "localhost",
    );
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    // Our server keeps to the limit...
    let big = vec![9u8; 2000];
    assert_eq!(send_and_receive(&mut s, &mut c, &big), big);
    // ...and a record over it (RFC 8449 §4) is record_overflow. The server
    // has sent one application record (seq 0) and two tickets before it:
    // count what it sent so far from a fresh connection instead.
    let (mut c, mut s) = pair(
        &pki,
        |b| b.versions(V13).tickets(0),
        |b| b.record_size_limit(256).key_log(log.clone()),
        "localhost",
    );
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    let secret = log.get_last("SERVER_TRAFFIC_SECRET_0");
    let record = seal_tls13(
        &secret,
        0,
        cloaktls::ContentType::APPLICATION_DATA,
        &[7; 300],
    );
    let e = c.read_tls(&record).unwrap_err();
    assert_eq!(e.alert(), Some(AlertDescription::RECORD_OVERFLOW), "{e}");
}

#[test]
fn zero_rtt_then_a_tls12_server_hello_aborts() {
    // RFC 9846 §E.3: the client sent early data that a TLS 1.2 server
    // cannot have read.
    let pki = Pki::new("CA");
    let clock = clock();
    let s13 = early_server(&pki, &keys(16), &clock);
    let c = early_client(&pki, &clock);
    connect(&c, &s13);
    let s12 = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
        .versions(V12)
        .build()
        .unwrap();
    let mut cc = ClientConnection::new(c, "localhost").unwrap();
    assert_eq!(cc.send_early_data(b"early").unwrap(), 5);
    let mut sc = ServerConnection::new(s12).unwrap();
    let (cr, _) = handshake(&mut cc, &mut sc);
    let e = cr.unwrap_err();
    assert_eq!(e.alert(), Some(AlertDescription::PROTOCOL_VERSION), "{e}");
    assert!(e.to_string().contains("0-RTT"), "{e}");
}

/// Adds early_data to EncryptedExtensions: a server that claims to take
/// 0-RTT it has no business taking.
#[derive(Debug)]
struct ClaimEarlyData;

impl cloaktls::danger::replay::MessageShaper for ClaimEarlyData {
    fn shape(&self, message: &mut HandshakePayload) {
        if let HandshakePayload::EncryptedExtensions(ee) = message {
            if !ee.iter().any(|e| e.typ() == ExtensionType::EARLY_DATA) {
                ee.push(Extension::EarlyData);
            }
        }
    }
}

#[test]
fn accepted_zero_rtt_under_another_alpn_is_refused_by_the_client() {
    let pki = Pki::new("CA");
    let clock = clock();
    let keys = keys(16);
    let h2 = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
        .ticket_keys(keys.clone())
        .max_early_data(1000)
        .alpn_protocols(["h2"])
        .time(clock.clone())
        .build()
        .unwrap();
    let c = ClientConfig::builder(pki.roots())
        .early_data(true)
        .alpn_protocols(["http/1.1", "h2"])
        .time(clock.clone())
        .build()
        .unwrap();
    connect(&c, &h2);
    let http = cloaktls::danger::replay::shape_server_messages(
        ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
            .ticket_keys(keys)
            .max_early_data(1000)
            .alpn_protocols(["http/1.1"])
            .time(clock.clone()),
        Arc::new(ClaimEarlyData),
    )
    .build()
    .unwrap();
    let mut cc = ClientConnection::new(c, "localhost").unwrap();
    assert!(cc.send_early_data(b"early").unwrap() > 0);
    let mut sc = ServerConnection::new(http).unwrap();
    let (cr, _) = handshake(&mut cc, &mut sc);
    let e = cr.unwrap_err();
    assert_eq!(e.alert(), Some(AlertDescription::ILLEGAL_PARAMETER), "{e}");
    assert!(e.to_string().contains("ALPN"), "{e}");
}

#[test]
fn a_session_made_without_verification_is_not_resumed_with_it() {
    let pki = Pki::new("CA");
    let s = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
        .build()
        .unwrap();
    let store = Arc::new(MemorySessionCache::new(8));
    let unverified = cloaktls::danger::client_without_verification()
        .session_store(Some(store.clone()))
        .build()
        .unwrap();
    let verified = ClientConfig::builder(pki.roots())
        .session_store(Some(store.clone()))
        .build()
        .unwrap();
    connect(&unverified, &s);
    let (c, _) = connect(&unverified, &s);
    assert!(
        c.is_resumed(),
        "an unverified config resumes its own sessions"
    );
    let (c, _) = connect(&verified, &s);
    assert!(
        !c.is_resumed(),
        "a verifying config took an unverified session"
    );
    // Not the other way round either.
    let (c, _) = connect(&verified, &s);
    assert!(c.is_resumed());
}

// ---- 11. The key log is private ----

#[cfg(unix)]
#[test]
fn the_key_log_file_is_made_for_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("cloak-keylog-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("keys.log");
    let _ = std::fs::remove_file(&path);
    let log = cloaktls::config::KeyLogFile::open(&path).unwrap();
    log.log("CLIENT_RANDOM", &[1; 32], &[2; 48]);
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn early_data_accepted_without_being_offered_is_unsupported_extension() {
    // RFC 8446 §4.2: an extension in answer to one the client did not send
    // is unsupported_extension.
    let pki = Pki::new("CA");
    let s = cloaktls::danger::replay::shape_server_messages(
        ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key()),
        Arc::new(ClaimEarlyData),
    )
    .build()
    .unwrap();
    let c = ClientConfig::builder(pki.roots()).build().unwrap();
    let mut cc = ClientConnection::new(c, "localhost").unwrap();
    let mut sc = ServerConnection::new(s).unwrap();
    let (cr, sr) = handshake(&mut cc, &mut sc);
    let e = cr.unwrap_err();
    assert_eq!(
        e.alert(),
        Some(AlertDescription::UNSUPPORTED_EXTENSION),
        "{e}"
    );
    assert_eq!(
        sr.unwrap_err(),
        Error::AlertReceived(AlertDescription::UNSUPPORTED_EXTENSION)
    );
}

/// Finding 3, the rest of the types that hold secrets: QUIC configs and
/// connections after a handshake (their traffic secrets), the blocking
/// stream around a TLS connection, and ticket keys read from a file: no
/// secret in their Debug output.
#[test]
fn debug_output_of_quic_streams_and_ticket_keys_holds_no_secret() {
    use cloaktls::quic::{self, Output, QuicClientConfig, QuicServerConfig, Version};
    let pki = Pki::new("CA");
    let log = Arc::new(Log::default());
    let s = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
        .alpn_protocols(["h3"])
        .key_log(log.clone())
        .build()
        .unwrap();
    let c = ClientConfig::builder(pki.roots())
        .alpn_protocols(["h3"])
        .key_log(log.clone())
        .build()
        .unwrap();
    let (qc, qs) = (
        QuicClientConfig::new(c.clone()).unwrap(),
        QuicServerConfig::new(s.clone()).unwrap(),
    );
    let mut client =
        quic::ClientConnection::new(qc.clone(), Version::V1, "localhost", b"tp".to_vec()).unwrap();
    let mut server = quic::ServerConnection::new(qs.clone(), Version::V1, b"tp".to_vec());
    for _ in 0..8 {
        while let Some(out) = client.next_output() {
            if let Output::Handshake { level, data } = out {
                server.read_handshake(level, &data).unwrap();
            }
        }
        while let Some(out) = server.next_output() {
            if let Output::Handshake { level, data } = out {
                client.read_handshake(level, &data).unwrap();
            }
        }
    }
    assert!(!client.is_handshaking() && !server.is_handshaking());
    // The blocking stream around a finished TLS handshake.
    let (cc, sc) = connect(&c, &s);
    let stream = cloaktls::stream::TlsStream::new(cc, std::io::Cursor::new(Vec::<u8>::new()));
    // Ticket keys from a file whose key is known.
    let key = [0xa7u8; 32];
    let path = std::env::temp_dir().join(format!("cloak-debug-keys-{}", std::process::id()));
    std::fs::write(&path, format!("{}\n", hex::encode(key))).unwrap();
    let keys = TicketKeys::from_file(
        &path,
        Arc::new(cloaktls::crypto::rand::SystemRandom::new()),
        1_800_000_000,
    )
    .unwrap();
    let _ = std::fs::remove_file(&path);
    let shown = format!("{qc:?}{qs:?}{client:?}{server:?}{stream:?}{sc:?}{keys:?}");
    let secrets = log.0.lock().unwrap();
    // QUIC's four traffic secrets and the TLS connection's.
    assert!(secrets.len() >= 8, "{}", secrets.len());
    for secret in secrets.iter().map(Vec::as_slice).chain([&key[..]]) {
        for f in fingerprints(secret) {
            assert!(!shown.contains(&f), "a secret in Debug output");
        }
    }
}

/// Finding 10d, the suite: a server that resumes at another suite of the
/// same hash (which RFC 8446 §4.2.11 allows) and claims the client's 0-RTT
/// anyway is refused: 0-RTT is accepted only under the ticket's suite
/// (§4.2.10).
#[test]
fn accepted_zero_rtt_under_another_suite_is_refused_by_the_client() {
    use cloaktls::CipherSuite;
    let pki = Pki::new("CA");
    let clock = clock();
    let keys = keys(16);
    let aes = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
        .ticket_keys(keys.clone())
        .max_early_data(1000)
        .cipher_suites(&[CipherSuite::TLS13_AES_128_GCM_SHA256])
        .time(clock.clone())
        .build()
        .unwrap();
    let c = ClientConfig::builder(pki.roots())
        .early_data(true)
        .time(clock.clone())
        .build()
        .unwrap();
    connect(&c, &aes);
    let chacha = cloaktls::danger::replay::shape_server_messages(
        ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
            .ticket_keys(keys)
            .max_early_data(1000)
            .cipher_suites(&[CipherSuite::TLS13_CHACHA20_POLY1305_SHA256])
            .time(clock.clone()),
        Arc::new(ClaimEarlyData),
    )
    .build()
    .unwrap();
    let mut cc = ClientConnection::new(c, "localhost").unwrap();
    assert!(cc.send_early_data(b"early").unwrap() > 0);
    let mut sc = ServerConnection::new(chacha).unwrap();
    let (cr, _) = handshake(&mut cc, &mut sc);
    assert!(sc.is_resumed(), "the server resumed at the other suite");
    let e = cr.unwrap_err();
    assert_eq!(e.alert(), Some(AlertDescription::ILLEGAL_PARAMETER), "{e}");
    assert!(e.to_string().contains("suite"), "{e}");
}
