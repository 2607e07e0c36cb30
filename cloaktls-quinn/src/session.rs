//! quinn-proto's `crypto::Session` on a cloaktls QUIC handshake.

use crate::keys::{keys, packet_keys, HeaderKey, PacketKey};
use crate::HandshakeData;
use cloaktls::quic::{
    self, ClientConnection, Connection, KeyChange, QuicError, Secrets, ServerConnection, Version,
};
use cloaktls::Role;
use quinn_proto::crypto::{self, ExportKeyingMaterialError, KeyPair, Keys};
use quinn_proto::transport_parameters::TransportParameters;
use quinn_proto::{ConnectionId, Side, TransportError, TransportErrorCode};
use std::any::Any;

/// The handshake of one side.
enum Tls {
    Client(ClientConnection),
    Server(ServerConnection),
}

impl Tls {
    fn conn(&self) -> &Connection {
        match self {
            Tls::Client(c) => c,
            Tls::Server(s) => s,
        }
    }

    fn conn_mut(&mut self) -> &mut Connection {
        match self {
            Tls::Client(c) => c,
            Tls::Server(s) => s,
        }
    }
}

/// A cloaktls QUIC handshake, as quinn drives it.
pub(crate) struct Session {
    tls: Tls,
    version: Version,
    /// Whether `read_handshake` has said that handshake data is ready.
    got_handshake_data: bool,
    /// The 1-RTT secrets, for key updates.
    next: Option<Secrets>,
}

impl Session {
    pub(crate) fn client(tls: ClientConnection, version: Version) -> Self {
        Session {
            tls: Tls::Client(tls),
            version,
            got_handshake_data: false,
            next: None,
        }
    }

    pub(crate) fn server(tls: ServerConnection, version: Version) -> Self {
        Session {
            tls: Tls::Server(tls),
            version,
            got_handshake_data: false,
            next: None,
        }
    }

    fn side(&self) -> Side {
        match self.tls {
            Tls::Client(_) => Side::Client,
            Tls::Server(_) => Side::Server,
        }
    }
}

/// QUIC's side as cloaktls names it.
pub(crate) fn role(side: Side) -> Role {
    match side {
        Side::Client => Role::Client,
        Side::Server => Role::Server,
    }
}

/// A failed handshake as the transport error quinn closes the connection
/// with: CRYPTO_ERROR 0x0100 + the TLS alert (RFC 9001 §4.8), or the QUIC
/// error cloaktls names.
pub(crate) fn transport_error(e: &QuicError) -> TransportError {
    let code = e.code();
    let code = match code.alert() {
        Some(alert) => TransportErrorCode::crypto(alert.0),
        None if code == quic::TransportErrorCode::PROTOCOL_VIOLATION => {
            TransportErrorCode::PROTOCOL_VIOLATION
        }
        None => TransportErrorCode::INTERNAL_ERROR,
    };
    TransportError {
        code,
        frame: None,
        reason: e.to_string(),
    }
}

impl crypto::Session for Session {
    fn initial_keys(&self, dst_cid: &ConnectionId, side: Side) -> Keys {
        keys(quic::Keys::initial(self.version, dst_cid, role(side)))
    }

    fn handshake_data(&self) -> Option<Box<dyn Any>> {
        if !self.got_handshake_data {
            return None;
        }
        let c = self.tls.conn();
        Some(Box::new(HandshakeData {
            protocol: c.alpn_protocol().map(<[u8]>::to_vec),
            server_name: match self.tls {
                Tls::Server(_) => c.server_name().map(str::to_string),
                Tls::Client(_) => None,
            },
        }))
    }

    fn peer_identity(&self) -> Option<Box<dyn Any>> {
        let certs = self.tls.conn().peer_certificates();
        if certs.is_empty() {
            return None;
        }
        Some(Box::new(certs.to_vec()))
    }

    fn early_crypto(&self) -> Option<(Box<dyn crypto::HeaderKey>, Box<dyn crypto::PacketKey>)> {
        let k = self.tls.conn().zero_rtt_keys()?;
        Some((Box::new(HeaderKey(k.header)), Box::new(PacketKey(k.packet))))
    }

    fn early_data_accepted(&self) -> Option<bool> {
        match &self.tls {
            Tls::Client(c) => c.early_data_accepted(),
            Tls::Server(_) => None,
        }
    }

    fn is_handshaking(&self) -> bool {
        self.tls.conn().is_handshaking()
    }

    fn read_handshake(&mut self, buf: &[u8]) -> Result<bool, TransportError> {
        // quinn delivers only the CRYPTO data of the space it expects,
        // which is the level the handshake reads.
        let server = self.side() == Side::Server;
        let conn = self.tls.conn_mut();
        let level = conn.read_level();
        conn.read_handshake(level, buf)
            .map_err(|e| transport_error(&e))?;
        // Handshake data is ready once ALPN is known (or, for a server,
        // the name), or the handshake is over: signalled once.
        let ready = conn.alpn_protocol().is_some()
            || (server && conn.server_name().is_some())
            || !conn.is_handshaking();
        if ready && !self.got_handshake_data {
            self.got_handshake_data = true;
            return Ok(true);
        }
        Ok(false)
    }

    fn transport_parameters(&self) -> Result<Option<TransportParameters>, TransportError> {
        let Some(mut bytes) = self.tls.conn().transport_parameters() else {
            return Ok(None);
        };
        // `side` is ours: it tells which parameters the peer may send.
        Ok(Some(TransportParameters::read(self.side(), &mut bytes)?))
    }

    fn write_handshake(&mut self, buf: &mut Vec<u8>) -> Option<Keys> {
        match self.tls.conn_mut().write_handshake(buf)? {
            KeyChange::Handshake { keys: k } => Some(keys(k)),
            KeyChange::OneRtt { keys: k, next } => {
                self.next = Some(next);
                Some(keys(k))
            }
        }
    }

    fn next_1rtt_keys(&mut self) -> Option<KeyPair<Box<dyn crypto::PacketKey>>> {
        let next = self.next.as_mut()?;
        Some(packet_keys(next.next_packet_keys()))
    }

    fn is_valid_retry(&self, orig_dst_cid: &ConnectionId, header: &[u8], payload: &[u8]) -> bool {
        let packet = [header, payload].concat();
        quic::is_valid_retry(self.version, orig_dst_cid, &packet)
    }

    fn export_keying_material(
        &self,
        output: &mut [u8],
        label: &[u8],
        context: &[u8],
    ) -> Result<(), ExportKeyingMaterialError> {
        self.tls
            .conn()
            .export_keying_material(output, label, context)
            .map_err(|_| ExportKeyingMaterialError)
    }
}
