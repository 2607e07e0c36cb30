//! RFC 8448 §3 (the simple 1-RTT handshake), byte for byte: the whole key
//! schedule, both Finished values, and record protection both ways; and
//! every trace's messages round-trip. The checks live in
//! `cloaktls_testkit::vectors::rfc8448`, which `cloak vectors` runs too.

use cloaktls::record::Deframer;
use cloaktls_testkit::vectors::rfc8448::{simple_key_schedule, simple_records, Checker};
use cloaktls_testkit::vectors::{run_dir, Trace};

fn trace() -> Trace {
    Trace::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../vectors/rfc8448/simple-1rtt.txt"
    ))
    .unwrap()
}

#[test]
fn key_schedule_matches_byte_for_byte() {
    let mut c = Checker::default();
    simple_key_schedule(&mut c, &trace()).unwrap();
    assert!(c.checks >= 60, "only {} comparisons", c.checks);
}

#[test]
fn every_protected_record_opens_and_seals_byte_for_byte() {
    let t = trace();
    let mut c = Checker::default();
    let keys = simple_key_schedule(&mut c, &t).unwrap();
    let before = c.checks;
    simple_records(&mut c, &t, &keys).unwrap();
    assert!(c.checks - before >= 21);
}

#[test]
fn a_changed_byte_is_caught() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../vectors/rfc8448/simple-1rtt.txt"
    ))
    .unwrap();
    // Flip one hex digit of the server's handshake traffic secret.
    let needle = "expanded = b67b7d69";
    assert!(text.contains(needle));
    let bad = Trace::parse(&text.replace(needle, "expanded = b67b7d68")).unwrap();
    let err = simple_key_schedule(&mut Checker::default(), &bad).unwrap_err();
    assert!(err.contains("s hs traffic"), "{err}");
}

#[test]
fn all_traces_run() {
    let report = run_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../vectors")).unwrap();
    assert_eq!(report.results.len(), 5);
    for (name, r) in &report.results {
        assert!(r.is_ok(), "{name}: {r:?}");
    }
    // Each trace replayed with our client and with our server.
    assert_eq!(report.replays.len(), 10);
    assert_eq!(report.failed(), 0);
}

#[test]
fn plaintext_records_deframe_to_the_trace_messages() {
    let t = trace();
    for (title, msg) in [
        (
            "{client} send handshake record",
            "{client} construct a ClientHello",
        ),
        (
            "{server} send handshake record",
            "{server} construct a ServerHello",
        ),
    ] {
        let complete = t.get(title, "complete record").unwrap();
        let mut d = Deframer::new();
        let mut got = None;
        for b in complete {
            d.read(std::slice::from_ref(b));
            if let Some(r) = d.next_record().unwrap() {
                got = Some(r.payload.to_vec());
            }
        }
        let step = t.steps(msg).next().unwrap();
        assert_eq!(got.unwrap(), step.values[0].1);
    }
}
