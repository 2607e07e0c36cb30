//! Typed wire messages: registries, extensions, handshake messages, alerts,
//! and Encrypted Client Hello's structures.

pub mod alert;
pub mod ech;
pub mod enums;
pub mod extensions;
pub mod handshake;

/// Which end of a connection: the client, which sends the first
/// ClientHello, or the server (RFC 8446 §1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The side that sends the ClientHello.
    Client,
    /// The side that answers it.
    Server,
}

impl Role {
    /// The other side.
    pub fn peer(self) -> Role {
        match self {
            Role::Client => Role::Server,
            Role::Server => Role::Client,
        }
    }
}

