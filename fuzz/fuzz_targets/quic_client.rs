#![no_main]
//! A deterministic QUIC client fed fuzzed CRYPTO data, level by level.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    std::hint::black_box(cloaktls_testkit::fuzz::quic_client(std::hint::black_box(data)));
});
