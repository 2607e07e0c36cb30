#![no_main]
//! The deframer, the handshake joiner and the message decoder on a stream
//! delivered in fuzzed chunk sizes.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    std::hint::black_box(cloaktls_testkit::fuzz::deframer(std::hint::black_box(data)));
});
