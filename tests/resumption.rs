//! Resumption in memory: TLS 1.3 tickets (stateless and stateful), with
//! HelloRetryRequest, and the rejection paths: an expired ticket, a wrong
//! binder, another server name, a suite of another hash.

mod common;
use cloaktls::config::{ClientAuth, EarlyDataReason};
use cloaktls::conn::{Intake, Received};
use cloaktls::msgs::enums::{AlertDescription, ContentType, ProtocolVersion};
use cloaktls::record::{write_plaintext_record, Deframer};
use cloaktls::session::{ClientSessionStore, MemorySessionCache, ServerSessionCache};
use cloaktls::verify::TimeSource;
use cloaktls::{CipherSuite, NamedGroup};
use cloaktls::{ClientConfig, ClientConnection, Error, ServerConfig, ServerConnection};
use common::*;
use pki_types::UnixTime;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

const V13: &[ProtocolVersion] = &[ProtocolVersion::TLSV1_3];

/// A clock the test moves by hand.
#[derive(Debug)]
struct Clock(AtomicU64);

impl TimeSource for Clock {
    fn now(&self) -> UnixTime {
        UnixTime::since_unix_epoch(Duration::from_secs(self.0.load(Ordering::SeqCst)))
    }
}

/// When the tests' ticket keys are made.
const KEYS_MADE: u64 = 1_800_000_000;

fn clock() -> Arc<Clock> {
    Arc::new(Clock(AtomicU64::new(KEYS_MADE)))
}

/// A clock past the 0-RTT anti-replay register's first window (RFC 8446
/// §8.2: it refuses early data until then) for ticket keys made at
/// `KEYS_MADE`.
fn clock_past_startup() -> Arc<Clock> {
    Arc::new(Clock(AtomicU64::new(KEYS_MADE + 30)))
}

/// One connection: handshake, a byte each way, so that tickets arrive.
fn connect(
    c_cfg: &Arc<ClientConfig>,
    s_cfg: &Arc<ServerConfig>,
    name: &str,
) -> (ClientConnection, ServerConnection) {
    let mut c = ClientConnection::new(c_cfg.clone(), name).unwrap();
    let mut s = ServerConnection::new(s_cfg.clone()).unwrap();
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    assert_eq!(send_and_receive(&mut s, &mut c, b"x"), b"x");
    assert_eq!(send_and_receive(&mut c, &mut s, b"y"), b"y");
    (c, s)
}

#[test]
fn tls13_resumes_with_a_ticket() {
    let pki = Pki::new("CA");
    let clock = clock();
    for stateful in [false, true] {
        let s_cfg = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
            .versions(V13)
            .time(clock.clone())
            .stateful_tickets(stateful)
            .client_auth(ClientAuth::required(pki.roots()))
            .build()
            .unwrap();
        let store = Arc::new(MemorySessionCache::new(16));
        let c_cfg = ClientConfig::builder(pki.roots())
            .time(clock.clone())
            .session_store(Some(store.clone()))
            .client_certificate(pki.client(KeyType::Ed25519).certified_key())
            .build()
            .unwrap();
        let (c, _) = connect(&c_cfg, &s_cfg, "localhost");
        assert!(!c.is_resumed());
        let (c, s) = connect(&c_cfg, &s_cfg, "localhost");
        assert!(c.is_resumed() && s.is_resumed(), "stateful={stateful}");
        // What the first handshake authenticated carries over.
        assert_eq!(c.peer_certificates().len(), 1);
        assert_eq!(s.peer_certificates().len(), 1);
        // Each handshake brings two new tickets; each ticket is used once.
        let mut used = 0;
        while store
            .take_tls13(&c_cfg.session_key("localhost").unwrap())
            .is_some()
        {
            used += 1;
        }
        assert_eq!(
            used, 3,
            "two from the first handshake, less one used, plus two"
        );
        if stateful {
            // A stateful ticket cannot be replayed: the server consumed it.
            let (c, _) = connect(&c_cfg, &s_cfg, "localhost");
            assert!(!c.is_resumed());
        }
    }
}

#[test]
fn tls13_resumes_after_hello_retry() {
    let pki = Pki::new("CA");
    let s_cfg = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
        .groups(&[NamedGroup::SECP256R1])
        .build()
        .unwrap();
    let c_cfg = ClientConfig::builder(pki.roots())
        .groups(&[NamedGroup::X25519, NamedGroup::SECP256R1])
        .build()
        .unwrap();
    connect(&c_cfg, &s_cfg, "localhost");
    let (c, s) = connect(&c_cfg, &s_cfg, "localhost");
    assert!(c.had_hello_retry() && c.is_resumed() && s.is_resumed());
}

#[test]
fn expired_ticket_gives_a_full_handshake() {
    let pki = Pki::new("CA");
    let clock = clock();
    let s_cfg = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
        .time(clock.clone())
        .ticket_lifetime(60)
        .build()
        .unwrap();
    let c_cfg = ClientConfig::builder(pki.roots())
        .time(clock.clone())
        .build()
        .unwrap();
    connect(&c_cfg, &s_cfg, "localhost");
    clock.0.fetch_add(61, Ordering::SeqCst);
    let (c, s) = connect(&c_cfg, &s_cfg, "localhost");
    assert!(!c.is_resumed() && !s.is_resumed());
}

#[test]
fn expired_ticket_offered_anyway_is_refused_by_the_server() {
    // The client's clock is behind, so it still offers the ticket; the
    // server's clock says it expired.
    let pki = Pki::new("CA");
    let server_clock = clock();
    let s_cfg = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
        .time(server_clock.clone())
        .ticket_lifetime(60)
        .build()
        .unwrap();
    let c_cfg = ClientConfig::builder(pki.roots())
        .time(clock())
        .build()
        .unwrap();
    connect(&c_cfg, &s_cfg, "localhost");
    server_clock.0.fetch_add(120, Ordering::SeqCst);
    let (c, s) = connect(&c_cfg, &s_cfg, "localhost");
    assert!(!c.is_resumed() && !s.is_resumed());
}

#[test]
fn another_server_name_or_hash_gives_a_full_handshake() {
    let pki = Pki::new("CA");
    let cert = pki.issue(&Spec::server(
        KeyType::EcdsaP256,
        &["a.example", "b.example"],
    ));
    let s_cfg = ServerConfig::builder(cert.certified_key()).build().unwrap();
    let store: Arc<dyn ClientSessionStore> = Arc::new(MemorySessionCache::new(16));
    let c_cfg = ClientConfig::builder(pki.roots())
        .session_store(Some(store.clone()))
        .build()
        .unwrap();
    connect(&c_cfg, &s_cfg, "a.example");
    // Move a's ticket under b's name, as a confused cache might.
    let t = store
        .take_tls13(&c_cfg.session_key("a.example").unwrap())
        .unwrap();
    store.put_tls13(&c_cfg.session_key("b.example").unwrap(), t);
    let (c, s) = connect(&c_cfg, &s_cfg, "b.example");
    assert!(!c.is_resumed() && !s.is_resumed());
    // A SHA-256 ticket is not used for a SHA-384 suite.
    let s256 = ServerConfig::builder(cert.certified_key())
        .cipher_suites(&[CipherSuite::TLS13_AES_128_GCM_SHA256])
        .build()
        .unwrap();
    let s384 = ServerConfig::builder(cert.certified_key())
        .cipher_suites(&[CipherSuite::TLS13_AES_256_GCM_SHA384])
        .build()
        .unwrap();
    let c_cfg = ClientConfig::builder(pki.roots()).build().unwrap();
    connect(&c_cfg, &s256, "a.example");
    let (c, _) = connect(&c_cfg, &s384, "a.example");
    assert!(!c.is_resumed());
}

#[test]
fn wrong_binder_is_decrypt_error() {
    let pki = Pki::new("CA");
    let s_cfg = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
        .build()
        .unwrap();
    let c_cfg = ClientConfig::builder(pki.roots()).build().unwrap();
    connect(&c_cfg, &s_cfg, "localhost");
    let c = ClientConnection::new(c_cfg, "localhost").unwrap();
    let mut hello = c.pending_tls().to_vec();
    // The binder is the last 32 bytes of the ClientHello.
    let last = hello.len() - 1;
    hello[last] ^= 1;
    let mut s = ServerConnection::new(s_cfg).unwrap();
    let err = s.read_tls(&hello).unwrap_err();
    assert_eq!(
        err.alert(),
        Some(AlertDescription::DECRYPT_ERROR),
        "{err:?}"
    );
    assert_eq!(err, Error::Psk(cloaktls::PskProblem::BadBinder));
}

#[test]
fn no_tickets_when_the_server_sends_none() {
    let pki = Pki::new("CA");
    let s_cfg = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
        .tickets(0)
        .build()
        .unwrap();
    let store = Arc::new(MemorySessionCache::new(4));
    let c_cfg = ClientConfig::builder(pki.roots())
        .session_store(Some(store.clone()))
        .build()
        .unwrap();
    connect(&c_cfg, &s_cfg, "localhost");
    assert!(store
        .take_tls13(&c_cfg.session_key("localhost").unwrap())
        .is_none());
}

const V12: &[ProtocolVersion] = &[ProtocolVersion::TLSV1_2];

#[test]
fn tls12_resumes_by_session_id_and_by_ticket() {
    let pki = Pki::new("CA");
    for (tickets, cache) in [(0usize, true), (2, false), (2, true)] {
        let mut b = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
            .versions(V12)
            .tickets(tickets)
            .client_auth(ClientAuth::optional(pki.roots()));
        if !cache {
            b = b.session_cache(None);
        }
        let s_cfg = b.build().unwrap();
        let c_cfg = ClientConfig::builder(pki.roots())
            .client_certificate(pki.client(KeyType::EcdsaP256).certified_key())
            .build()
            .unwrap();
        let label = format!("tickets={tickets} cache={cache}");
        let (c, _) = connect(&c_cfg, &s_cfg, "localhost");
        assert!(!c.is_resumed(), "{label}");
        let group = c.key_exchange_group();
        assert!(group.is_some());
        for _ in 0..3 {
            let (mut c, mut s) = connect(&c_cfg, &s_cfg, "localhost");
            assert!(c.is_resumed() && s.is_resumed(), "{label}");
            // The session's group is reported again on both sides.
            assert_eq!(c.key_exchange_group(), group, "{label}");
            assert_eq!(s.key_exchange_group(), group, "{label}");
            assert_eq!(c.protocol_version(), Some(ProtocolVersion::TLSV1_2));
            assert!(c.extended_master_secret());
            assert_eq!(s.peer_certificates().len(), 1, "{label}");
            assert_eq!(c.peer_certificates().len(), 1, "{label}");
            let (mut a, mut b2) = ([0u8; 16], [0u8; 16]);
            c.export_keying_material(&mut a, b"EXPORTER-x", None)
                .unwrap();
            s.export_keying_material(&mut b2, b"EXPORTER-x", None)
                .unwrap();
            assert_eq!(a, b2);
            assert_eq!(send_and_receive(&mut c, &mut s, b"again"), b"again");
        }
    }
}

#[test]
fn a_tls12_session_sealed_in_a_ticket_is_not_also_kept_by_id() {
    let pki = Pki::new("CA");
    for tickets in [0usize, 2] {
        let cache = Arc::new(ServerSessionCache::new(8));
        let s_cfg = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
            .versions(V12)
            .tickets(tickets)
            .session_cache(Some(cache.clone()))
            .build()
            .unwrap();
        let c_cfg = ClientConfig::builder(pki.roots()).build().unwrap();
        let (c, _) = connect(&c_cfg, &s_cfg, "localhost");
        assert!(!c.is_resumed());
        // With a ticket the client holds the only copy; without, the
        // server keeps the session under the ID it sent.
        assert_eq!(cache.len(), usize::from(tickets == 0), "tickets={tickets}");
        let (c, s) = connect(&c_cfg, &s_cfg, "localhost");
        assert!(c.is_resumed() && s.is_resumed(), "tickets={tickets}");
    }
}

#[test]
fn tls12_ticket_acknowledged_but_not_sent_is_unexpected_message() {
    // RFC 5077 §3.3: the server's NewSessionTicket record is removed from
    // its last flight; the client must stop at the ChangeCipherSpec.
    let pki = Pki::new("CA");
    let s_cfg = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
        .versions(V12)
        .tickets(1)
        .build()
        .unwrap();
    let c_cfg = ClientConfig::builder(pki.roots()).build().unwrap();
    let mut c = ClientConnection::new(c_cfg, "localhost").unwrap();
    let mut s = ServerConnection::new(s_cfg).unwrap();
    // ClientHello; ServerHello..ServerHelloDone; ClientKeyExchange..Finished.
    let out = c.pending_tls().to_vec();
    c.consume_tls(out.len());
    assert_eq!(s.read_tls(&out).unwrap(), Intake::All);
    let out = s.pending_tls().to_vec();
    s.consume_tls(out.len());
    assert_eq!(c.read_tls(&out).unwrap(), Intake::All);
    let out = c.pending_tls().to_vec();
    c.consume_tls(out.len());
    assert_eq!(s.read_tls(&out).unwrap(), Intake::All);
    assert!(!s.is_handshaking());
    let flight = s.pending_tls().to_vec();
    let mut d = Deframer::new();
    d.read(&flight);
    let (mut kept, mut dropped) = (Vec::new(), 0);
    let mut before_ccs = true;
    while let Some(r) = d.next_record().unwrap() {
        if r.typ == ContentType::CHANGE_CIPHER_SPEC {
            before_ccs = false;
        }
        if before_ccs && r.typ == ContentType::HANDSHAKE {
            assert_eq!(r.payload[0], 4, "a NewSessionTicket");
            dropped += 1;
            continue;
        }
        write_plaintext_record(r.typ, r.version, r.payload, &mut kept);
    }
    assert_eq!(dropped, 1);
    let err = c.read_tls(&kept).unwrap_err();
    assert_eq!(
        err.alert(),
        Some(AlertDescription::UNEXPECTED_MESSAGE),
        "{err}"
    );
    assert!(err.to_string().contains("new_session_ticket"), "{err}");
}

#[test]
fn tls12_session_of_another_server_is_not_resumed() {
    let pki = Pki::new("CA");
    let s1 = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
        .versions(V12)
        .build()
        .unwrap();
    let s2 = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
        .versions(V12)
        .build()
        .unwrap();
    let c_cfg = ClientConfig::builder(pki.roots()).build().unwrap();
    connect(&c_cfg, &s1, "localhost");
    // s2 has other ticket keys and another session cache.
    let (c, s) = connect(&c_cfg, &s2, "localhost");
    assert!(!c.is_resumed() && !s.is_resumed());
    // And the next connection to s2 resumes with what s2 gave.
    let (c, _) = connect(&c_cfg, &s2, "localhost");
    assert!(c.is_resumed());
}

#[test]
fn one_cache_serves_both_versions() {
    let pki = Pki::new("CA");
    let store = Arc::new(MemorySessionCache::new(8));
    let c_cfg = ClientConfig::builder(pki.roots())
        .session_store(Some(store.clone()))
        .build()
        .unwrap();
    let s12 = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
        .versions(V12)
        .build()
        .unwrap();
    let s13 = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
        .versions(V13)
        .build()
        .unwrap();
    connect(&c_cfg, &s12, "localhost");
    connect(&c_cfg, &s13, "localhost");
    assert!(store
        .get_tls12(&c_cfg.session_key("localhost").unwrap())
        .is_some());
    assert!(store
        .take_tls13(&c_cfg.session_key("localhost").unwrap())
        .is_some());
    assert_eq!(store.len(), 1);
}

/// A 0-RTT attempt: a resumed connection that sends `early` before its
/// handshake. Returns both connections after the handshake.
fn zero_rtt(
    c_cfg: &Arc<ClientConfig>,
    s_cfg: &Arc<ServerConfig>,
    early: &[u8],
) -> (ClientConnection, ServerConnection, usize) {
    let mut c = ClientConnection::new(c_cfg.clone(), "localhost").unwrap();
    let sent = c.send_early_data(early).unwrap();
    let mut s = ServerConnection::new(s_cfg.clone()).unwrap();
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    (c, s, sent)
}

fn early_configs(pki: &Pki, max: u32) -> (Arc<ClientConfig>, Arc<ServerConfig>) {
    let clock = clock();
    let s = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
        .max_early_data(max)
        .alpn_protocols(&["h2"])
        .time(clock.clone())
        .build()
        .unwrap();
    let c = ClientConfig::builder(pki.roots())
        .early_data(true)
        .alpn_protocols(&["h2"])
        .time(clock.clone())
        .build()
        .unwrap();
    // The ticket keys were made now: 0-RTT is refused for a window.
    clock.0.fetch_add(30, Ordering::SeqCst);
    (c, s)
}

#[test]
fn zero_rtt_is_accepted_and_delivered() {
    let pki = Pki::new("CA");
    let (c_cfg, s_cfg) = early_configs(&pki, 1000);
    let (c, s) = connect(&c_cfg, &s_cfg, "localhost");
    assert_eq!(c.early_data_reason(), Some(EarlyDataReason::NotOffered));
    assert_eq!(s.early_data_reason(), Some(EarlyDataReason::NotOffered));
    let (mut c, mut s, sent) = zero_rtt(&c_cfg, &s_cfg, b"early bird");
    assert_eq!(sent, 10);
    assert_eq!(c.early_data_accepted(), Some(true));
    assert_eq!(s.early_data_accepted(), Some(true));
    assert_eq!(c.early_data_reason(), Some(EarlyDataReason::Accepted));
    assert_eq!(s.early_data_reason(), Some(EarlyDataReason::Accepted));
    let events: Vec<_> = std::iter::from_fn(|| c.next_event()).collect();
    assert!(
        events.contains(&cloaktls::Event::EarlyDataAccepted),
        "{events:?}"
    );
    let mut buf = [0u8; 64];
    assert_eq!(s.recv(&mut buf).unwrap(), Received::Data(10));
    assert_eq!(&buf[..10], b"early bird");
    // The early exporters agree; the session goes on as usual.
    let (mut a, mut b) = ([0u8; 32], [0u8; 32]);
    c.export_early_keying_material(&mut a, b"EXPORTER-early", Some(b"c"))
        .unwrap();
    s.export_early_keying_material(&mut b, b"EXPORTER-early", Some(b"c"))
        .unwrap();
    assert_eq!(a, b);
    assert_eq!(send_and_receive(&mut c, &mut s, b"after"), b"after");
    assert_eq!(send_and_receive(&mut s, &mut c, b"back"), b"back");
}

#[test]
fn zero_rtt_is_capped_by_the_ticket() {
    let pki = Pki::new("CA");
    let (c_cfg, s_cfg) = early_configs(&pki, 100);
    connect(&c_cfg, &s_cfg, "localhost");
    let (_, mut s, sent) = zero_rtt(&c_cfg, &s_cfg, &[7u8; 500]);
    assert_eq!(sent, 100);
    let mut buf = [0u8; 600];
    assert_eq!(s.recv(&mut buf).unwrap(), Received::Data(100));
}

/// Ticket keys shared by servers that should accept each other's tickets.
fn shared_keys() -> Arc<cloaktls::session::TicketKeys> {
    Arc::new(
        cloaktls::session::TicketKeys::new(
            Arc::new(cloaktls::crypto::SystemRandom::new()),
            3600,
            KEYS_MADE,
        )
        .unwrap(),
    )
}

fn server_with(
    pki: &Pki,
    keys: &Arc<cloaktls::session::TicketKeys>,
    max_early: u32,
    alpn: &[&str],
) -> Arc<ServerConfig> {
    ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
        .ticket_keys(keys.clone())
        .max_early_data(max_early)
        .alpn_protocols(alpn)
        .time(clock_past_startup())
        .build()
        .unwrap()
}

fn client_with(pki: &Pki, store: &Arc<MemorySessionCache>, alpn: &[&str]) -> Arc<ClientConfig> {
    ClientConfig::builder(pki.roots())
        .early_data(true)
        .alpn_protocols(alpn)
        .session_store(Some(store.clone()))
        .time(clock_past_startup())
        .build()
        .unwrap()
}

#[test]
fn zero_rtt_rejected_by_a_server_without_it_is_skipped() {
    let pki = Pki::new("CA");
    let keys = shared_keys();
    let store = Arc::new(MemorySessionCache::new(4));
    let c_cfg = client_with(&pki, &store, &["h2"]);
    connect(
        &c_cfg,
        &server_with(&pki, &keys, 1000, &["h2"]),
        "localhost",
    );
    // A server with the same ticket keys and no early data.
    let (mut c, mut s, sent) = zero_rtt(
        &c_cfg,
        &server_with(&pki, &keys, 0, &["h2"]),
        b"to be skipped",
    );
    assert_eq!(sent, 13);
    assert!(c.is_resumed());
    assert_eq!(c.early_data_accepted(), Some(false));
    assert_eq!(c.early_data_reason(), Some(EarlyDataReason::PeerDeclined));
    assert_eq!(s.early_data_reason(), Some(EarlyDataReason::Disabled));
    assert!(std::iter::from_fn(|| c.next_event()).any(|e| e == cloaktls::Event::EarlyDataRejected));
    let mut buf = [0u8; 64];
    assert_eq!(
        s.recv(&mut buf).unwrap(),
        Received::Nothing,
        "rejected early data is never delivered"
    );
    // The client sends it again after the handshake.
    assert_eq!(
        send_and_receive(&mut c, &mut s, b"to be skipped"),
        b"to be skipped"
    );
}

#[test]
fn zero_rtt_replay_and_changed_alpn_are_rejected() {
    let pki = Pki::new("CA");
    let keys = shared_keys();
    let store = Arc::new(MemorySessionCache::new(4));
    let s_cfg = server_with(&pki, &keys, 1000, &["h2"]);
    let c_cfg = client_with(&pki, &store, &["h2"]);
    connect(&c_cfg, &s_cfg, "localhost");
    // Record the client's first flight and play it to the server twice.
    let mut c = ClientConnection::new(c_cfg.clone(), "localhost").unwrap();
    c.send_early_data(b"pay once").unwrap();
    let flight = c.pending_tls().to_vec();
    let mut s1 = ServerConnection::new(s_cfg.clone()).unwrap();
    assert_eq!(s1.read_tls(&flight).unwrap(), Intake::All);
    assert_eq!(s1.early_data_accepted(), Some(true));
    let mut buf = [0u8; 16];
    assert_eq!(s1.recv(&mut buf).unwrap(), Received::Data(8));
    let mut s2 = ServerConnection::new(s_cfg.clone()).unwrap();
    assert_eq!(s2.read_tls(&flight).unwrap(), Intake::All);
    assert_eq!(
        s2.early_data_accepted(),
        Some(false),
        "a replayed ClientHello gets no 0-RTT"
    );
    assert_eq!(s2.early_data_reason(), Some(EarlyDataReason::Replayed));
    assert_eq!(s2.recv(&mut buf).unwrap(), Received::Nothing);
    // A ticket from an h2 session, used where http/1.1 will be chosen.
    let c_both = client_with(&pki, &store, &["http/1.1", "h2"]);
    let s_http = server_with(&pki, &keys, 1000, &["http/1.1"]);
    let (c, s, _) = zero_rtt(&c_both, &s_http, b"wrong protocol");
    assert!(c.is_resumed());
    assert_eq!(c.alpn_protocol(), Some(&b"http/1.1"[..]));
    assert_eq!(s.early_data_accepted(), Some(false));
    assert_eq!(s.early_data_reason(), Some(EarlyDataReason::AlpnMismatch));
    assert_eq!(c.early_data_reason(), Some(EarlyDataReason::PeerDeclined));
}

#[test]
fn zero_rtt_with_hello_retry_is_rejected_and_skipped() {
    let pki = Pki::new("CA");
    let s_cfg = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
        .max_early_data(1000)
        .groups(&[NamedGroup::SECP256R1])
        .build()
        .unwrap();
    let c_cfg = ClientConfig::builder(pki.roots())
        .early_data(true)
        .groups(&[NamedGroup::X25519, NamedGroup::SECP256R1])
        .build()
        .unwrap();
    connect(&c_cfg, &s_cfg, "localhost");
    let (mut c, mut s, sent) = zero_rtt(&c_cfg, &s_cfg, b"too soon");
    assert_eq!(sent, 8);
    assert!(c.had_hello_retry() && c.is_resumed());
    assert_eq!(c.early_data_accepted(), Some(false));
    assert_eq!(
        c.early_data_reason(),
        Some(EarlyDataReason::HelloRetryRequest)
    );
    assert_eq!(
        s.early_data_reason(),
        Some(EarlyDataReason::HelloRetryRequest)
    );
    let mut buf = [0u8; 16];
    assert_eq!(s.recv(&mut buf).unwrap(), Received::Nothing);
    assert_eq!(send_and_receive(&mut c, &mut s, b"now"), b"now");
}

#[test]
fn too_much_early_data_is_unexpected_message() {
    // A ticket that allows 1000 bytes, used with a server that now takes
    // only 20: the client sends 100, and the server refuses the excess.
    let pki = Pki::new("CA");
    let keys = shared_keys();
    let store = Arc::new(MemorySessionCache::new(4));
    let c_cfg = client_with(&pki, &store, &["h2"]);
    connect(
        &c_cfg,
        &server_with(&pki, &keys, 1000, &["h2"]),
        "localhost",
    );
    let mut c = ClientConnection::new(c_cfg, "localhost").unwrap();
    assert_eq!(c.send_early_data(&[1u8; 100]).unwrap(), 100);
    let mut s = ServerConnection::new(server_with(&pki, &keys, 20, &["h2"])).unwrap();
    let err = s.read_tls(c.pending_tls()).unwrap_err();
    assert_eq!(
        err.alert(),
        Some(AlertDescription::UNEXPECTED_MESSAGE),
        "{err:?}"
    );
    assert!(err.to_string().contains("max_early_data_size"));
}

#[test]
fn rejected_zero_rtt_past_the_skip_budget_is_unexpected_message() {
    // RFC 8446 §4.2.10: a server that rejects 0-RTT skips it up to its
    // budget; past that it is "more than max_early_data_size" of 0-RTT,
    // unexpected_message (not bad_record_mac).
    let pki = Pki::new("CA");
    let keys = shared_keys();
    let store = Arc::new(MemorySessionCache::new(4));
    let c_cfg = client_with(&pki, &store, &["h2"]);
    connect(
        &c_cfg,
        &server_with(&pki, &keys, cloaktls::config::MAX_EARLY_DATA, &["h2"]),
        "localhost",
    );
    let mut c = ClientConnection::new(c_cfg, "localhost").unwrap();
    let mut sent = 0;
    while sent < 40_000 {
        sent += c.send_early_data(&[1u8; 4096]).unwrap();
    }
    let mut s = ServerConnection::new(server_with(&pki, &keys, 0, &["h2"])).unwrap();
    let err = s.read_tls(c.pending_tls()).unwrap_err();
    assert_eq!(
        err.alert(),
        Some(AlertDescription::UNEXPECTED_MESSAGE),
        "{err:?}"
    );
    assert!(err.to_string().contains("max_early_data_size"), "{err}");
}

#[test]
fn zero_rtt_inside_a_fragmented_second_client_hello_is_refused() {
    // After a HelloRetryRequest the server skips 0-RTT records until the
    // second ClientHello, but never in the middle of it: handshake
    // messages are not interleaved with other records (RFC 8446 §5.1).
    let pki = Pki::new("CA");
    let s_cfg = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
        .max_early_data(1000)
        .groups(&[NamedGroup::SECP256R1])
        .build()
        .unwrap();
    let c_cfg = ClientConfig::builder(pki.roots())
        .early_data(true)
        .groups(&[NamedGroup::X25519, NamedGroup::SECP256R1])
        .build()
        .unwrap();
    connect(&c_cfg, &s_cfg, "localhost");
    let mut c = ClientConnection::new(c_cfg, "localhost").unwrap();
    c.send_early_data(b"too soon").unwrap();
    let mut s = ServerConnection::new(s_cfg).unwrap();
    let out = c.pending_tls().to_vec();
    c.consume_tls(out.len());
    assert_eq!(s.read_tls(&out).unwrap(), Intake::All);
    let hrr = s.pending_tls().to_vec();
    s.consume_tls(hrr.len());
    assert_eq!(c.read_tls(&hrr).unwrap(), Intake::All);
    // The second ClientHello in two records, a 0-RTT record between.
    let mut d = Deframer::new();
    d.read(c.pending_tls());
    let mut spliced = Vec::new();
    while let Some(r) = d.next_record().unwrap() {
        if r.typ != ContentType::HANDSHAKE {
            write_plaintext_record(r.typ, r.version, r.payload, &mut spliced);
            continue;
        }
        let (a, b) = r.payload.split_at(16);
        write_plaintext_record(r.typ, r.version, a, &mut spliced);
        write_plaintext_record(
            ContentType::APPLICATION_DATA,
            r.version,
            &[9u8; 40],
            &mut spliced,
        );
        write_plaintext_record(r.typ, r.version, b, &mut spliced);
    }
    let err = s.read_tls(&spliced).unwrap_err();
    assert_eq!(
        err.alert(),
        Some(AlertDescription::UNEXPECTED_MESSAGE),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("fragmented handshake message"),
        "{err}"
    );
}

#[test]
fn psk_ke_only_when_both_sides_allow_it() {
    let pki = Pki::new("CA");
    let cert = pki.server(KeyType::EcdsaP256).certified_key();
    let keys = shared_keys();
    let server = |psk_ke: bool| {
        let mut b = ServerConfig::builder(cert.clone())
            .ticket_keys(keys.clone())
            .time(clock());
        if psk_ke {
            b = cloaktls::danger::allow_psk_ke_server(b);
        }
        b.build().unwrap()
    };
    let client = |psk_ke: bool| {
        let mut b = ClientConfig::builder(pki.roots()).time(clock());
        if psk_ke {
            b = cloaktls::danger::allow_psk_ke_client(b);
        }
        b.build().unwrap()
    };
    for (c_ke, s_ke, want_group) in [
        (true, true, false),
        (true, false, true),
        (false, true, true),
    ] {
        let c = client(c_ke);
        let s = server(s_ke);
        connect(&c, &s, "localhost");
        let (mut c2, mut s2) = connect(&c, &s, "localhost");
        assert!(c2.is_resumed() && s2.is_resumed(), "{c_ke} {s_ke}");
        // psk_ke has no key exchange, hence no group.
        assert_eq!(
            c2.key_exchange_group().is_some(),
            want_group,
            "{c_ke} {s_ke}"
        );
        assert_eq!(
            s2.key_exchange_group().is_some(),
            want_group,
            "{c_ke} {s_ke}"
        );
        assert_eq!(send_and_receive(&mut c2, &mut s2, b"psk"), b"psk");
    }
}

#[test]
fn a_server_that_sends_no_tickets_still_accepts_earlier_ones() {
    let pki = Pki::new("CA");
    let keys = shared_keys();
    let store = Arc::new(MemorySessionCache::new(4));
    let c_cfg = client_with(&pki, &store, &[]);
    let issuing = server_with(&pki, &keys, 0, &[]);
    connect(&c_cfg, &issuing, "localhost");
    let silent = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
        .ticket_keys(keys.clone())
        .tickets(0)
        .time(clock())
        .build()
        .unwrap();
    let (c, s) = connect(&c_cfg, &silent, "localhost");
    assert!(c.is_resumed() && s.is_resumed());
    // One ticket was used and none came back.
    let mut left = 0;
    while store
        .take_tls13(&c_cfg.session_key("localhost").unwrap())
        .is_some()
    {
        left += 1;
    }
    assert_eq!(left, 1, "the first server sent two tickets, one was used");
}

/// Servers that share a ticket key file resume each other's sessions; a
/// server with another key file makes a full handshake.
#[test]
fn a_fleet_sharing_a_key_file_resumes_each_others_sessions() {
    let pki = Pki::new("CA");
    let dir = std::env::temp_dir().join(format!("cloaktls-fleet-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let rng = cloaktls::crypto::SystemRandom::new();
    let (shared, other) = (dir.join("fleet.keys"), dir.join("other.keys"));
    std::fs::write(&shared, cloaktls::session::new_key_file(&rng).unwrap()).unwrap();
    std::fs::write(&other, cloaktls::session::new_key_file(&rng).unwrap()).unwrap();
    let clock = clock_past_startup();
    let server = |file: &std::path::Path| {
        let keys = cloaktls::session::TicketKeys::from_file(
            file,
            Arc::new(cloaktls::crypto::SystemRandom::new()),
            clock.now().as_secs(),
        )
        .unwrap();
        ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
            .ticket_keys(Arc::new(keys))
            .time(clock.clone())
            .build()
            .unwrap()
    };
    let (a, b, c) = (server(&shared), server(&shared), server(&other));
    for version in [ProtocolVersion::TLSV1_3, ProtocolVersion::TLSV1_2] {
        let store = Arc::new(MemorySessionCache::new(4));
        let client = ClientConfig::builder(pki.roots())
            .versions(&[version])
            .session_store(Some(store.clone()))
            .time(clock.clone())
            .build()
            .unwrap();
        let (c1, _) = connect(&client, &a, "localhost");
        assert!(!c1.is_resumed());
        let (c2, s2) = connect(&client, &b, "localhost");
        assert!(c2.is_resumed() && s2.is_resumed(), "{version:?}");
        // A server with other keys cannot open the ticket.
        let (c3, _) = connect(&client, &c, "localhost");
        assert!(!c3.is_resumed(), "{version:?}");
    }
}

/// Drops pre_shared_key from the second ClientHello.
#[derive(Debug, Default)]
struct DropPskOnRetry(std::sync::atomic::AtomicUsize);

impl cloaktls::danger::replay::MessageShaper for DropPskOnRetry {
    fn shape(&self, message: &mut cloaktls::msgs::handshake::HandshakePayload) {
        use cloaktls::msgs::enums::ExtensionType;
        let cloaktls::msgs::handshake::HandshakePayload::ClientHello(ch) = message else {
            return;
        };
        if self.0.fetch_add(1, Ordering::SeqCst) == 1 {
            ch.extensions
                .retain(|e| e.typ() != ExtensionType::PRE_SHARED_KEY);
        }
    }
}

#[test]
fn a_second_client_hello_may_not_drop_a_usable_psk() {
    // RFC 8446 §4.1.2: after a HelloRetryRequest the client may remove
    // only the PSKs that do not fit the server's suite.
    let pki = Pki::new("CA");
    let s_cfg = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
        .groups(&[NamedGroup::SECP256R1])
        .build()
        .unwrap();
    let store: Arc<MemorySessionCache> = Arc::new(MemorySessionCache::new(4));
    let builder = || {
        ClientConfig::builder(pki.roots())
            .groups(&[NamedGroup::X25519, NamedGroup::SECP256R1])
            .session_store(Some(store.clone()))
    };
    connect(&builder().build().unwrap(), &s_cfg, "localhost");
    let shaped = cloaktls::danger::replay::shape_client_messages(
        builder(),
        Arc::new(DropPskOnRetry::default()),
    )
    .build()
    .unwrap();
    let mut c = ClientConnection::new(shaped, "localhost").unwrap();
    let mut s = ServerConnection::new(s_cfg).unwrap();
    let (_, sr) = handshake(&mut c, &mut s);
    let err = sr.unwrap_err();
    assert_eq!(
        err.alert(),
        Some(AlertDescription::MISSING_EXTENSION),
        "{err:?}"
    );
    assert!(err.to_string().contains("pre_shared_key"), "{err}");
}

/// A verifier of the application's whose verdict the test changes.
#[derive(Debug, Default)]
struct Toggle(std::sync::atomic::AtomicBool);

impl cloaktls::verify::ServerCertVerifier for Toggle {
    fn verify_server_cert(
        &self,
        _: &cloaktls::verify::CertificateDer<'_>,
        _: &[cloaktls::verify::CertificateDer<'_>],
        _: &cloaktls::verify::ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<(), Error> {
        match self.0.load(Ordering::SeqCst) {
            false => Ok(()),
            true => Err(Error::InvalidCertificate(cloaktls::CertificateError {
                kind: cloaktls::CertificateErrorKind::Other,
                detail: "trust withdrawn".into(),
            })),
        }
    }
}

#[test]
fn a_resumed_session_is_verified_again_when_asked() {
    let pki = Pki::new("CA");
    for (v, early) in [
        (V13, false),
        (V13, true),
        (&[ProtocolVersion::TLSV1_2][..], false),
    ] {
        let s_cfg = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
            .versions(v)
            .max_early_data(if early { 1000 } else { 0 })
            .time(clock_past_startup())
            .build()
            .unwrap();
        let verifier = Arc::new(Toggle::default());
        let store: Arc<MemorySessionCache> = Arc::new(MemorySessionCache::new(4));
        let client = |reverify: bool| {
            cloaktls::danger::client_with_verifier(verifier.clone())
                .versions(v)
                .early_data(early)
                .session_store(Some(store.clone()))
                .reverify_on_resume(reverify)
                .time(clock_past_startup())
                .build()
                .unwrap()
        };
        connect(&client(true), &s_cfg, "localhost");
        connect(&client(true), &s_cfg, "localhost");
        // The trust is withdrawn: a resumption that checks again fails.
        verifier.0.store(true, Ordering::SeqCst);
        let result = ClientConnection::new(client(true), "localhost").and_then(|mut c| {
            if early {
                c.send_early_data(b"early")?;
            }
            let mut s = ServerConnection::new(s_cfg.clone()).unwrap();
            handshake(&mut c, &mut s).0
        });
        let err = result.unwrap_err();
        assert!(
            matches!(&err, Error::InvalidCertificate(c) if c.detail == "trust withdrawn"),
            "{v:?} early={early}: {err:?}"
        );
        // One that does not check again resumes.
        let (c, _) = connect(&client(false), &s_cfg, "localhost");
        assert!(c.is_resumed(), "{v:?}");
    }
}

/// A client sends no 0-RTT when its configuration is off, when the ticket
/// does not allow it, or when the session's application protocol is no
/// longer offered, and says which; a server says why it refused.
#[test]
fn each_side_says_why_zero_rtt_was_not_used() {
    let pki = Pki::new("CA");
    let keys = shared_keys();
    let store = Arc::new(MemorySessionCache::new(4));
    let s_cfg = server_with(&pki, &keys, 1000, &["h2", "http/1.1"]);
    connect(&client_with(&pki, &store, &["h2"]), &s_cfg, "localhost");
    // The session was h2; this client offers only http/1.1.
    let c_http = client_with(&pki, &store, &["http/1.1"]);
    let mut c = ClientConnection::new(c_http, "localhost").unwrap();
    assert_eq!(c.send_early_data(b"no").unwrap(), 0);
    assert_eq!(c.early_data_reason(), Some(EarlyDataReason::AlpnMismatch));
    // Early data off in the client.
    let off = ClientConfig::builder(pki.roots())
        .alpn_protocols(&["h2"])
        .session_store(Some(store.clone()))
        .time(clock_past_startup())
        .build()
        .unwrap();
    let (c, s) = connect(&off, &s_cfg, "localhost");
    assert_eq!(c.early_data_reason(), Some(EarlyDataReason::Disabled));
    assert_eq!(s.early_data_reason(), Some(EarlyDataReason::NotOffered));
    // A ticket from a server without 0-RTT.
    let store = Arc::new(MemorySessionCache::new(4));
    let c_cfg = client_with(&pki, &store, &["h2"]);
    connect(&c_cfg, &server_with(&pki, &keys, 0, &["h2"]), "localhost");
    let c = ClientConnection::new(c_cfg, "localhost").unwrap();
    assert_eq!(
        c.early_data_reason(),
        Some(EarlyDataReason::UnsupportedForSession)
    );
    // TLS 1.2 only.
    let c12 = ClientConfig::builder(pki.roots())
        .early_data(true)
        .versions(&[ProtocolVersion::TLSV1_2])
        .build()
        .unwrap();
    let (c, s) = connect(&c12, &s_cfg, "localhost");
    assert_eq!(
        c.early_data_reason(),
        Some(EarlyDataReason::ProtocolVersion)
    );
    assert_eq!(
        s.early_data_reason(),
        Some(EarlyDataReason::ProtocolVersion)
    );
}

/// A ticket age that the server's clock cannot square with the ticket's
/// (the client's clock ran 20 s behind) is refused as skew (RFC 9846
/// §8.3), and the data skipped.
#[test]
fn a_skewed_ticket_age_refuses_zero_rtt() {
    let pki = Pki::new("CA");
    let keys = shared_keys();
    let store = Arc::new(MemorySessionCache::new(4));
    let s_clock = Arc::new(Clock(AtomicU64::new(KEYS_MADE + 30)));
    let s_cfg = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
        .ticket_keys(keys.clone())
        .max_early_data(1000)
        .time(s_clock.clone())
        .build()
        .unwrap();
    let c_cfg = ClientConfig::builder(pki.roots())
        .early_data(true)
        .session_store(Some(store.clone()))
        .time(clock_past_startup())
        .build()
        .unwrap();
    connect(&c_cfg, &s_cfg, "localhost");
    s_clock.0.fetch_add(20, Ordering::SeqCst);
    let (c, mut s, sent) = zero_rtt(&c_cfg, &s_cfg, b"stale");
    assert_eq!(sent, 5);
    assert!(c.is_resumed());
    assert_eq!(s.early_data_reason(), Some(EarlyDataReason::TicketAgeSkew));
    let mut buf = [0u8; 8];
    assert_eq!(s.recv(&mut buf).unwrap(), Received::Nothing);
}

/// 0.5-RTT (RFC 9846 §4.4.4): a server configured for it answers 0-RTT
/// data before the client's Finished, exporters included; one that is
/// not waits for the Finished.
#[test]
fn half_rtt_data_answers_zero_rtt_before_the_client_finished() {
    let pki = Pki::new("CA");
    let keys = shared_keys();
    let store = Arc::new(MemorySessionCache::new(4));
    let c_cfg = client_with(&pki, &store, &[]);
    for half in [true, false] {
        let s_cfg = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
            .ticket_keys(keys.clone())
            .max_early_data(1000)
            .send_half_rtt_data(half)
            .time(clock_past_startup())
            .build()
            .unwrap();
        connect(&c_cfg, &s_cfg, "localhost");
        let mut c = ClientConnection::new(c_cfg.clone(), "localhost").unwrap();
        assert_eq!(c.send_early_data(b"GET").unwrap(), 3);
        let mut s = ServerConnection::new(s_cfg).unwrap();
        // The client's first flight: the server reads the 0-RTT data at
        // once and answers.
        let flight = c.pending_tls().to_vec();
        c.consume_tls(flight.len());
        assert_eq!(s.read_tls(&flight).unwrap(), Intake::All);
        assert!(s.is_handshaking());
        let mut buf = [0u8; 8];
        assert_eq!(s.recv(&mut buf).unwrap(), Received::Data(3));
        assert_eq!(s.send(b"200").unwrap(), 3);
        let mut ekm = [0u8; 16];
        assert_eq!(
            s.export_keying_material(&mut ekm, b"EXPORTER-x", None)
                .is_ok(),
            half
        );
        // The server's flight, and its answer right behind it if allowed.
        let flight = s.pending_tls().to_vec();
        s.consume_tls(flight.len());
        assert_eq!(c.read_tls(&flight).unwrap(), Intake::All);
        assert!(!c.is_handshaking());
        let got = match c.recv(&mut buf).unwrap() {
            Received::Data(n) => buf[..n].to_vec(),
            _ => Vec::new(),
        };
        assert_eq!(got == b"200", half);
        if half {
            let mut theirs = [0u8; 16];
            c.export_keying_material(&mut theirs, b"EXPORTER-x", None)
                .unwrap();
            assert_eq!(ekm, theirs);
        }
        // The rest of the handshake; an answer that waited goes after it.
        let (cr, sr) = handshake(&mut c, &mut s);
        cr.unwrap();
        sr.unwrap();
        if !half {
            assert_eq!(read_all(&mut c), b"200");
        }
        assert_eq!(send_and_receive(&mut c, &mut s, b"more"), b"more");
    }
}

/// A server that speaks first gets its greeting out with its flight
/// (0.5-RTT), unless it asked for a client certificate: then the greeting
/// waits for the client's Finished (RFC 9846 §4.4.4).
#[test]
fn half_rtt_data_never_goes_to_a_client_yet_to_authenticate() {
    let pki = Pki::new("CA");
    for auth in [false, true] {
        let mut b = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
            .send_half_rtt_data(true);
        if auth {
            let verifier = cloaktls::verify::WebPkiClientVerifier::new(Arc::new(pki.roots()));
            b = b.client_auth(ClientAuth::Optional(Arc::new(verifier)));
        }
        let s_cfg = b.build().unwrap();
        let c_cfg = ClientConfig::builder(pki.roots()).build().unwrap();
        let mut c = ClientConnection::new(c_cfg, "localhost").unwrap();
        let mut s = ServerConnection::new(s_cfg).unwrap();
        assert_eq!(s.send(b"220 ready").unwrap(), 9);
        let hello = c.pending_tls().to_vec();
        c.consume_tls(hello.len());
        assert_eq!(s.read_tls(&hello).unwrap(), Intake::All);
        let flight = s.pending_tls().to_vec();
        s.consume_tls(flight.len());
        assert_eq!(c.read_tls(&flight).unwrap(), Intake::All);
        assert!(!c.is_handshaking() && s.is_handshaking());
        let mut buf = [0u8; 16];
        let early = match c.recv(&mut buf).unwrap() {
            Received::Data(n) => buf[..n].to_vec(),
            _ => Vec::new(),
        };
        assert_eq!(early == b"220 ready", !auth, "auth {auth}");
        let (cr, sr) = handshake(&mut c, &mut s);
        cr.unwrap();
        sr.unwrap();
        if auth {
            assert_eq!(read_all(&mut c), b"220 ready");
        }
    }
}

#[test]
fn tls_unique_is_the_first_finished_of_each_handshake() {
    let pki = Pki::new("CA");
    let s_cfg = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
        .versions(V12)
        .build()
        .unwrap();
    let c_cfg = ClientConfig::builder(pki.roots()).build().unwrap();
    let mut seen = Vec::new();
    for round in 0..3 {
        let (c, s) = connect(&c_cfg, &s_cfg, "localhost");
        assert_eq!(c.is_resumed(), round > 0);
        let unique = c.tls_unique().expect("TLS 1.2 has tls-unique").to_vec();
        // RFC 5929 §3.1: both sides agree, 12 bytes of verify_data, and
        // each handshake (full or abbreviated) has its own.
        assert_eq!(s.tls_unique(), Some(&unique[..]));
        assert_eq!(unique.len(), 12);
        assert!(!seen.contains(&unique));
        seen.push(unique);
    }
    // TLS 1.3 has none (RFC 9266 binds with an exporter instead).
    let s13 = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
        .build()
        .unwrap();
    let (c, s) = connect(&c_cfg, &s13, "localhost");
    assert_eq!((c.tls_unique(), s.tls_unique()), (None, None));
}

#[test]
fn a_resuming_server_reports_the_ticket_age_skew() {
    let pki = Pki::new("CA");
    let (server_clock, client_clock) = (clock(), clock());
    let s_cfg = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
        .time(server_clock.clone())
        .build()
        .unwrap();
    let c_cfg = ClientConfig::builder(pki.roots())
        .time(client_clock.clone())
        .build()
        .unwrap();
    let (_, s) = connect(&c_cfg, &s_cfg, "localhost");
    assert_eq!(s.ticket_age_skew(), None, "a full handshake has no ticket");
    // 20 seconds pass for the server, 5 for the client: the client's
    // idea of the ticket's age is 15 seconds behind.
    server_clock.0.fetch_add(20, Ordering::SeqCst);
    client_clock.0.fetch_add(5, Ordering::SeqCst);
    let (c, s) = connect(&c_cfg, &s_cfg, "localhost");
    assert!(s.is_resumed());
    assert_eq!(s.ticket_age_skew(), Some(-15));
    assert_eq!(
        c.ticket_age_skew(),
        None,
        "the client has nothing to compare"
    );
}
