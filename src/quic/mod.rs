//! TLS for QUIC (RFC 9001), versions 1 and 2 (RFC 9369): the handshake
//! without records, its bytes in and out per encryption level, the keys of
//! each level, packet and header protection in place on the caller's
//! buffers, key updates, and Retry integrity tags.
//!
//! # What QUIC changes
//!
//! The handshake is TLS 1.3's (RFC 9001 §4.2), run by the same state
//! machines as [`crate::conn`]'s, with QUIC's adjustments (§8): the
//! quic_transport_parameters extension carries each side's transport
//! parameters, opaque to TLS ([`ClientConnection::new`] takes ours,
//! [`Connection::transport_parameters`] gives the peer's); ALPN is
//! required; there is no EndOfEarlyData, no middlebox compatibility mode,
//! no ChangeCipherSpec and no KeyUpdate message (QUIC updates keys itself,
//! [`Secrets::next_packet_keys`]); 0-RTT is allowed only with
//! max_early_data_size 0xffffffff. A TLS alert is not sent: it becomes
//! the CRYPTO_ERROR code 0x0100 + alert that the caller closes the
//! connection with ([`QuicError::code`]).
//!
//! # The loop
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use cloaktls::quic::{ClientConnection, Keys, Level, Output, QuicClientConfig, Version};
//! use cloaktls::{ClientConfig, RootStore, Role};
//!
//! let tls = ClientConfig::builder(RootStore::empty()).alpn_protocols(["h3"]).build()?;
//! let config = QuicClientConfig::new(tls)?;
//! let dcid = [0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08];
//! // The Initial keys come from the client's first Destination Connection ID.
//! let initial = Keys::initial(Version::V1, &dcid, Role::Client);
//! let mut tls = ClientConnection::new(config, Version::V1, "example.com", b"params".to_vec())?;
//! while let Some(out) = tls.next_output() {
//!     match out {
//!         // Send `data` in CRYPTO frames, in packets of `level`.
//!         Output::Handshake { level, data } => assert_eq!(level, Level::Initial),
//!         // Install the next level's keys.
//!         Output::Keys(_) => unreachable!("no keys before the server answers"),
//!     }
//! }
//! // Then, for each CRYPTO frame's bytes from the server, in order:
//! // tls.read_handshake(level, &bytes)?, and take the outputs again.
//! # let _ = initial; Ok(()) }
//! ```

mod acceptor;
mod config;
mod connection;
mod error;
mod keys;
mod retry;
mod trace;

pub use crate::key_schedule::quic::Version;
pub use acceptor::{QuicAccepted, QuicAcceptor, QUIC_ACCEPTOR_LIMIT};
pub use config::{QuicClientConfig, QuicServerConfig};
pub use connection::{ClientConnection, Connection, KeyChange, Output, ServerConnection};
pub use error::{QuicError, TransportErrorCode};
pub use keys::{DirectionalKeys, HeaderProtectionKey, Keys, PacketKey, PacketKeyPair, Secrets};
pub use retry::{is_valid_retry, retry_integrity_tag};
pub use trace::{quic_ladder, Direction, QuicTraceEvent, QUIC_TRACE_LIMIT};

/// A QUIC encryption level (RFC 9001 §4.1.3), in the order a handshake
/// reaches them. CRYPTO frames travel at all but [`Level::ZeroRtt`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Initial packets: keys from the client's Destination Connection ID
    /// ([`Keys::initial`]).
    Initial,
    /// 0-RTT packets: the client's early data.
    ZeroRtt,
    /// Handshake packets.
    Handshake,
    /// 1-RTT (short header) packets.
    OneRtt,
}
