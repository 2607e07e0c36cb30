#![no_main]
//! A deterministic client fed fuzzed server flights.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    std::hint::black_box(cloaktls_testkit::fuzz::client(std::hint::black_box(data)));
});
