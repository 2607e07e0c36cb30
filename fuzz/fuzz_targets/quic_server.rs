#![no_main]
//! A deterministic QUIC server fed fuzzed CRYPTO data, level by level.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    std::hint::black_box(cloaktls_testkit::fuzz::quic_server(std::hint::black_box(data)));
});
