#![no_main]
//! Encrypted Client Hello's wire structures (RFC 9849): ECHConfigList,
//! the ClientHello extension, and ClientHelloInner decoded against its
//! ClientHelloOuter; each must round-trip.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    assert!(cloaktls_testkit::fuzz::ech(std::hint::black_box(data)));
});
