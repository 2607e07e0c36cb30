#![no_main]
//! A deterministic server (with an ECH key, so that its seeds reach trial
//! decryption and ClientHelloInner, and a store of external PSKs, so that
//! they reach PSK selection and binders) fed fuzzed client flights.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    std::hint::black_box(cloaktls_testkit::fuzz::server(std::hint::black_box(data)));
});
