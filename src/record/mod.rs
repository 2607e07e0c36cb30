//! The record layer (RFC 8446 §5, RFC 5246 §6.2): deframing, protection,
//! fragmentation, and handshake message reassembly. It never looks inside
//! a handshake message beyond its four-byte header.

mod deframer;
mod fragment;
mod joiner;
mod protect;

pub use deframer::{Deframer, RecordRef};
pub use fragment::{fragments, write_plaintext_record};
pub use joiner::HandshakeJoiner;
pub use protect::{RecordOpener, RecordSealer};

/// A record header's length: type, version, length.
pub const HEADER_LEN: usize = 5;
/// The most plaintext a record may carry (RFC 8446 §5.1).
pub const MAX_FRAGMENT_LEN: usize = 1 << 14;
/// The most ciphertext a record may carry (RFC 8446 §5.2).
pub const MAX_CIPHERTEXT_LEN: usize = MAX_FRAGMENT_LEN + 256;
