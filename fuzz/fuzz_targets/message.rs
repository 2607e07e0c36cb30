#![no_main]
//! Handshake messages (both versions), extensions in every context, and
//! alerts: decoding is total, and what decodes round-trips.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    assert!(cloaktls_testkit::fuzz::message(std::hint::black_box(data)));
});
