//! RFC 8448's handshakes replayed whole through our client and our server
//! (`cloaktls_testkit::vectors::replay`, which `cloak vectors` runs too): every
//! record each side sends must equal the trace's, and what had to be
//! injected is exactly what cloaktls cannot produce.

use cloaktls_testkit::vectors::replay::{replay, replay_all, Replay, Sessions, Side};
use cloaktls_testkit::vectors::Trace;

const NAMES: [&str; 5] = [
    "simple-1rtt",
    "resumed-0rtt",
    "hello-retry-request",
    "client-auth",
    "compatibility-mode",
];

fn text(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/../vectors/rfc8448/{name}.txt",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn trace(name: &str) -> Trace {
    Trace::parse(&text(name)).unwrap()
}

fn all() -> Vec<(String, Trace)> {
    NAMES.iter().map(|n| (n.to_string(), trace(n))).collect()
}

/// How many records the trace has `side` send.
fn records_sent(t: &Trace, side: Side) -> usize {
    let tag = match side {
        Side::Client => "{client} send",
        Side::Server => "{server} send",
    };
    t.steps(tag)
        .filter(|s| s.get("complete record").is_some())
        .count()
}

fn ok(name: &str, side: Side, sessions: &Sessions) -> Replay {
    replay(&trace(name), side, sessions).unwrap_or_else(|e| panic!("{name} {side:?}: {e}"))
}

#[test]
fn every_trace_replays_on_both_sides() {
    let traces = all();
    let results = replay_all(&traces);
    assert_eq!(results.len(), 10);
    for r in &results {
        let done = r
            .result
            .as_ref()
            .unwrap_or_else(|e| panic!("{} {:?}: {e}", r.trace, r.side));
        let t = &traces.iter().find(|(n, _)| *n == r.trace).unwrap().1;
        // Every record we sent was compared, plus what we read.
        assert!(
            done.checks > records_sent(t, r.side),
            "{} {:?}: {} checks",
            r.trace,
            r.side,
            done.checks
        );
        // Nothing cloaktls computes is ever injected.
        for line in &done.injected {
            for computed in [
                "key_share",
                "pre_shared_key",
                "supported_versions",
                "early_data",
                "psk_key_exchange_modes",
                "record_size_limit",
            ] {
                assert!(!line.contains(&format!("{computed} is")), "{line}");
            }
        }
    }
}

#[test]
fn simple_client_injects_only_what_cloaktls_cannot_send() {
    let r = ok("simple-1rtt", Side::Client, &Sessions::default());
    let mut got: Vec<&str> = r
        .injected
        .iter()
        .map(|l| l.split(':').next().unwrap())
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            "client_hello",
            "client_hello",
            "client_hello",
            "client_hello",
            "server Certificate",
            "server CertificateVerify"
        ]
    );
    for ext in [
        "renegotiation_info",
        "supported_groups",
        "session_ticket",
        "signature_algorithms",
    ] {
        assert!(r.injected.iter().any(|l| l.contains(ext)), "{ext}");
    }
    // The client's records: ClientHello, Finished, data, close_notify.
    assert_eq!(records_sent(&trace("simple-1rtt"), Side::Client), 4);
}

#[test]
fn hello_retry_server_says_why_it_asks_for_p256() {
    let r = ok("hello-retry-request", Side::Server, &Sessions::default());
    assert!(r
        .injected
        .iter()
        .any(|l| l.contains("only the trace's P-256")));
    assert!(r.injected.iter().any(|l| l.contains("cookie")));
}

#[test]
fn resumption_needs_the_ticket_from_the_first_trace() {
    for side in [Side::Client, Side::Server] {
        let err = replay(&trace("resumed-0rtt"), side, &Sessions::default()).unwrap_err();
        assert!(err.contains("without a ticket"), "{err}");
        let s = Sessions::default();
        ok("simple-1rtt", side, &s);
        let r = ok("resumed-0rtt", side, &s);
        assert!(r.injected.iter().any(|l| l.starts_with("clock: 6 ms")));
    }
}

/// `name`'s trace with the value `label` of the `nth` step titled `title`
/// changed in its byte at `offset` (that value only).
fn tampered(name: &str, title: &str, nth: usize, label: &str, offset: usize) -> Trace {
    let mut t = trace(name);
    let step = t
        .steps
        .iter_mut()
        .filter(|s| s.title.starts_with(title))
        .nth(nth)
        .unwrap();
    let value = step.values.iter_mut().find(|(l, _)| l == label).unwrap();
    value.1[offset] ^= 1;
    t
}

#[test]
fn a_changed_server_record_is_refused_by_our_client() {
    // The server's encrypted flight, one ciphertext byte flipped.
    let t = tampered(
        "simple-1rtt",
        "{server} send handshake record",
        1,
        "complete record",
        40,
    );
    let err = replay(&t, Side::Client, &Sessions::default()).unwrap_err();
    assert!(
        err.contains("record #3") && err.contains("refused"),
        "{err}"
    );
}

#[test]
fn a_changed_client_key_shows_in_the_client_hello() {
    let t = tampered(
        "simple-1rtt",
        "{client} create an ephemeral x25519 key pair",
        0,
        "private key",
        5,
    );
    let err = replay(&t, Side::Client, &Sessions::default()).unwrap_err();
    assert!(
        err.contains("record #1") && err.contains("differs"),
        "{err}"
    );
}

#[test]
fn a_changed_server_random_shows_in_the_server_hello() {
    // The ServerHello as the trace prints it: our server's randomness comes
    // from it, while the record to match keeps the original.
    let t = tampered(
        "simple-1rtt",
        "{server} construct a ServerHello",
        0,
        "ServerHello",
        10,
    );
    let err = replay(&t, Side::Server, &Sessions::default()).unwrap_err();
    assert!(
        err.contains("record #2") && err.contains("differs"),
        "{err}"
    );
}

#[test]
fn a_changed_signature_in_the_trace_is_caught_by_the_injected_verifier() {
    let t = tampered(
        "simple-1rtt",
        "{server} construct a CertificateVerify",
        0,
        "CertificateVerify",
        20,
    );
    let err = replay(&t, Side::Client, &Sessions::default()).unwrap_err();
    assert!(
        err.contains("CertificateVerify is not the trace's"),
        "{err}"
    );
}

#[test]
fn every_logged_secret_is_checked_against_the_trace() {
    // The records still match: only the printed secret differs, and the
    // comparison of what the connection logged catches it.
    for side in [Side::Client, Side::Server] {
        let t = tampered(
            "client-auth",
            "{server} derive secret \"tls13 s ap traffic\"",
            0,
            "expanded",
            3,
        );
        let err = replay(&t, side, &Sessions::default()).unwrap_err();
        assert!(err.contains("SERVER_TRAFFIC_SECRET_0 is"), "{err}");
    }
    let r = ok("hello-retry-request", Side::Client, &Sessions::default());
    // Records sent and read, plus five secrets, plus the injected checks.
    assert!(r.checks >= records_sent(&trace("hello-retry-request"), Side::Client) + 5);
}
