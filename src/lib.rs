//! cloaktls: a TLS 1.2 and 1.3 implementation in pure Rust, written from scratch.
//!
//! The layers, bottom up (see `DESIGN.md`): [`codec`] reads and writes the
//! presentation language of RFC 8446 §3; [`msgs`] holds the typed wire
//! messages; [`crypto`] is the one place that names `ring`; [`key_schedule`]
//! derives the secrets of TLS 1.3 (RFC 8446 §7) and TLS 1.2 (RFC 5246 §5,
//! §8); [`record`] frames, protects and reassembles records.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod codec;
pub mod config;
pub mod conn;
pub mod crypto;
pub mod danger;
pub mod error;
pub mod fuzz_support;
mod handshake;
pub mod key_schedule;
pub mod msgs;
pub mod pem;
pub mod record;
pub mod session;
pub mod stream;
pub mod testvectors;
pub mod verify;

pub use config::{CertifiedKey, ClientConfig, ServerConfig};
pub use conn::{ClientConnection, Connection, Event, ServerConnection, TraceEvent};
pub use error::{CertificateError, CertificateErrorKind, DecodeError, Error};
