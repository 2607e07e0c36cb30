//! Test support for cloaktls, kept out of the shipped library: the RFC 8448
//! test-vector runner ([`vectors`]), a deterministic configuration for
//! scripted tests and fuzzing ([`deterministic`]), and the entry points that
//! the fuzz targets and the corpus-replay test share ([`fuzz`]).
//!
//! It reaches cloaktls's internal layers through the library's `testkit`
//! cargo feature, which a default build of cloaktls does not have. **Nothing
//! here is for production**: the deterministic configuration has no
//! security at all.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod deterministic;
pub mod fuzz;
pub mod vectors;
