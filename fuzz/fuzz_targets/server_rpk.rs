#![no_main]
//! A deterministic server with raw public keys (RFC 7250), TLS 1.3 or 1.2,
//! fed fuzzed client flights: its seeds reach RawPublicKey
//! Certificates and the certificate type extensions.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    std::hint::black_box(cloaktls_testkit::fuzz::server_rpk(std::hint::black_box(data)));
});
