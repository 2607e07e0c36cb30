//! cloaktls: a TLS 1.2 and 1.3 implementation in pure Rust, written from scratch.
//!
//! The layers, bottom up (see `DESIGN.md`): `codec` reads and writes the
//! presentation language of RFC 8446 §3; `msgs` holds the typed wire
//! messages; `crypto` is the one place that names `ring`; `record` frames,
//! protects and reassembles records; `key_schedule` derives the secrets of
//! TLS 1.3 (RFC 8446 §7) and TLS 1.2 (RFC 5246 §5, §8); [`verify`] checks
//! certificates; [`session`] keeps what resumption needs; [`config`] holds
//! the settings; the handshake state machines sit on those; [`conn`] is the
//! sans-IO connection, and [`stream`] a blocking wrapper over it.
//!
//! The internal layers are public only with the `testkit` cargo feature,
//! for cloaktls's own test kit and fuzz targets.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

/// Declares an internal layer: public with the `testkit` feature (for the
/// test kit and the fuzz targets), private to the crate otherwise.
macro_rules! internal_mod {
    ($(#[$attr:meta])* $name:ident) => {
        #[cfg(feature = "testkit")]
        $(#[$attr])*
        pub mod $name;
        #[cfg(not(feature = "testkit"))]
        $(#[$attr])*
        pub(crate) mod $name;
    };
}

internal_mod!(
    /// The presentation language of RFC 8446 §3 (internal).
    codec
);
internal_mod!(
    /// Typed wire messages (internal; the registries are re-exported at
    /// the crate root).
    msgs
);
pub mod crypto;
internal_mod!(
    /// The record layer (internal).
    record
);
internal_mod!(
    /// The key schedules (internal).
    key_schedule
);
pub mod config;
pub mod conn;
pub mod danger;
pub mod error;
mod handshake;
pub mod pem;
pub mod session;
pub mod stream;
pub mod verify;

pub use config::{CertifiedKey, ClientConfig, ServerConfig};
pub use conn::{ClientConnection, Connection, Event, ServerConnection, TraceEvent};
pub use error::{CertificateError, CertificateErrorKind, DecodeError, Error};
pub use msgs::alert::Alert;
pub use msgs::enums::{
    AlertDescription, AlertLevel, CipherSuite, ContentType, HandshakeType, NamedGroup,
    ProtocolVersion, SignatureScheme,
};
pub use msgs::Role;
pub use stream::{ClientStream, ServerStream, TlsStream};
pub use verify::RootStore;
