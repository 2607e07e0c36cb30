//! cloaktls: a TLS 1.2 and 1.3 implementation in pure Rust, written from
//! scratch: secure by default (TLS 1.3 and 1.2, AEAD suites only, the peer
//! verified, the extended master secret required), sans-IO at its core,
//! with a blocking stream on top.
//!
//! # A client, in one call
//!
//! ```no_run
//! use cloaktls::{ClientConfig, ClientStream, RootStore};
//! use std::io::{Read, Write};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let config = ClientConfig::builder(RootStore::system()?).build()?;
//! let sock = std::net::TcpStream::connect("example.com:443")?;
//! // The server is verified, its name included; a failure says why.
//! let mut tls = ClientStream::connect(config, "example.com", sock)?;
//! tls.write_all(b"GET / HTTP/1.0\r\nHost: example.com\r\n\r\n")?;
//! let mut page = Vec::new();
//! // An error here matters: a peer that hangs up without close_notify
//! // may have had the answer cut short (cloaktls::Error::Truncated).
//! tls.read_to_end(&mut page)?;
//! println!("{:?} {:?}", tls.conn().protocol_version(), tls.conn().cipher_suite());
//! # Ok(()) }
//! ```
//!
//! # A server
//!
//! ```no_run
//! use cloaktls::{ServerConfig, ServerStream};
//! use cloaktls::pem::certified_key_from_files;
//! use std::io::{Read, Write};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // The key must belong to the certificate: build() checks.
//! let cert = certified_key_from_files("chain.pem", "key.pem")?;
//! let config = ServerConfig::builder(cert).alpn_protocols(["h2", "http/1.1"]).build()?;
//! let listener = std::net::TcpListener::bind("127.0.0.1:8443")?;
//! for sock in listener.incoming() {
//!     let mut tls = ServerStream::accept(config.clone(), sock?)?;
//!     let mut buf = [0u8; 1024];
//!     let n = tls.read(&mut buf)?;
//!     tls.write_all(&buf[..n])?;
//!     tls.close()?; // close_notify both ways
//! }
//! # Ok(()) }
//! ```
//!
//! # Mutual TLS
//!
//! ```no_run
//! use cloaktls::config::ClientAuth;
//! use cloaktls::pem::certified_key_from_files;
//! use cloaktls::{ClientConfig, RootStore, ServerConfig};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let server = ServerConfig::builder(certified_key_from_files("server.pem", "server.key")?)
//!     .client_auth(ClientAuth::required(RootStore::from_path("clients-ca.pem")?))
//!     .build()?;
//! let client = ClientConfig::builder(RootStore::from_path("server-ca.pem")?)
//!     .client_certificate(certified_key_from_files("client.pem", "client.key")?)
//!     .build()?;
//! # let _ = (server, client); Ok(()) }
//! ```
//!
//! A TLS 1.3 server refuses a missing or unacceptable client certificate
//! after the handshake (RFC 8446 §4.4.2.4): the client sees it on its first
//! read, as [`Error::AlertReceived`] naming the fix.
//!
//! # The sans-IO loop
//!
//! A [`Connection`] never touches a socket, a clock or a thread: the caller
//! moves bytes (see [`conn`] for the whole contract).
//!
//! ```no_run
//! use cloaktls::conn::{Intake, Received};
//! use cloaktls::{ClientConfig, ClientConnection, RootStore};
//! use std::io::{Read, Write};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let config = ClientConfig::builder(RootStore::system()?).build()?;
//! # let mut sock = std::net::TcpStream::connect("example.com:443")?;
//! let mut conn = ClientConnection::new(config, "example.com")?;
//! conn.send(b"ping")?; // queued until the handshake ends
//! let mut net = [0u8; 16 * 1024];
//! let mut app = [0u8; 4096];
//! loop {
//!     // 1. Whatever the connection has to say goes out (after an error,
//!     //    that is the alert for the peer).
//!     while conn.wants_write() {
//!         let n = sock.write(conn.pending_tls())?;
//!         conn.consume_tls(n);
//!     }
//!     // 2. Application data that has arrived.
//!     match conn.recv(&mut app)? {
//!         Received::Data(n) => println!("{:?}", &app[..n]),
//!         Received::Closed => break, // close_notify: a clean end
//!         Received::Nothing => {
//!             // 3. More from the network.
//!             let n = sock.read(&mut net)?;
//!             if n == 0 {
//!                 conn.transport_eof(); // recv now reports truncation
//!                 continue;
//!             }
//!             let mut offered = &net[..n];
//!             while !offered.is_empty() {
//!                 match conn.read_tls(offered)? {
//!                     Intake::All => offered = &[],
//!                     // Full of plaintext: read some (recv), then offer the rest.
//!                     Intake::Blocked { taken } => {
//!                         offered = &offered[taken..];
//!                         while let Received::Data(k) = conn.recv(&mut app)? {
//!                             println!("{:?}", &app[..k]);
//!                         }
//!                     }
//!                 }
//!             }
//!         }
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! # The layers
//!
//! Bottom up (see `DESIGN.md`, and `tests/layers.rs`, which enforces the
//! order): `codec` reads and writes the presentation language of RFC 8446
//! §3; `msgs` holds the typed wire messages; `error`; `crypto` is the one
//! place that names `ring`; `record` frames, protects and reassembles
//! records; `key_schedule` derives the secrets of TLS 1.3 (RFC 8446 §7)
//! and TLS 1.2 (RFC 5246 §5, §8); [`verify`] checks certificates;
//! [`session`] keeps what resumption needs; [`config`] holds the settings
//! and [`pem`] reads files for them; the handshake state machines sit on
//! those; [`quic`] runs them for QUIC (RFC 9001), without records;
//! [`conn`] is the sans-IO connection, [`stream`] a blocking
//! wrapper over it, and [`danger`] holds the opt-outs. The internal layers
//! are public only with the `testkit` cargo feature, for cloaktls's own
//! test kit and fuzz targets.
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
pub mod quic;
pub mod session;
pub mod stream;
pub mod verify;

pub use config::{CertifiedKey, ClientConfig, ExternalPsk, ServerConfig};
pub use conn::{ClientConnection, Connection, Event, ServerConnection, TraceEvent};
pub use error::{
    CertificateError, CertificateErrorKind, DecodeError, EchProblem, Error, KeyShareProblem,
    Negotiable, PskProblem,
};
pub use msgs::alert::Alert;
pub use msgs::enums::{
    AlertDescription, AlertLevel, CertificateType, CipherSuite, ContentType, HandshakeType,
    NamedGroup, ProtocolVersion, SignatureScheme,
};
pub use msgs::Role;
pub use stream::{ClientStream, ServerStream, TlsStream};
pub use verify::RootStore;
