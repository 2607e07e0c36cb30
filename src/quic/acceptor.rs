//! Reading a QUIC client's ClientHello before the server's configuration
//! is chosen: the counterpart of [`crate::conn::Acceptor`] for CRYPTO data
//! at the Initial level, which carries no records (RFC 9001 §4.1.3).

use super::{QuicError, QuicServerConfig, ServerConnection, Version};
use crate::error::Error;
use crate::handshake::ClientHelloInfo;
use crate::msgs::enums::AlertDescription;
use crate::record::HandshakeJoiner;
use std::sync::Arc;

/// The most CRYPTO bytes a [`QuicAcceptor`] holds: a ClientHello of the
/// largest size (`MAX_HANDSHAKE_MESSAGE`) with its header, and what came
/// after it before [`QuicAcceptor::accept`].
pub const QUIC_ACCEPTOR_LIMIT: usize = crate::msgs::handshake::MAX_HANDSHAKE_MESSAGE + 4 + 1024;

/// Reads the client's Initial CRYPTO data until a whole ClientHello has
/// arrived; then [`QuicAcceptor::accept`] shows it, and the caller picks
/// the configuration (certificate, ALPN, early data context) for the
/// connection, or turns the client away.
///
/// ```no_run
/// # fn pick(info: &cloaktls::conn::ClientHelloInfo) -> std::sync::Arc<cloaktls::quic::QuicServerConfig> { unimplemented!() }
/// # fn demo(initial_crypto: &[u8]) -> Result<(), cloaktls::quic::QuicError> {
/// use cloaktls::quic::{QuicAcceptor, Version};
/// let mut acceptor = QuicAcceptor::new();
/// acceptor.read_handshake(initial_crypto)?;
/// if let Some(accepted) = acceptor.accept() {
///     let config = pick(accepted.client_hello());
///     let server = accepted.into_connection(config, Version::V1, b"params".to_vec())?;
///     // ... drive `server` as usual.
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Default)]
pub struct QuicAcceptor {
    received: Vec<u8>,
    joiner: HandshakeJoiner,
    hello: Option<ClientHelloInfo>,
    error: Option<QuicError>,
}

impl QuicAcceptor {
    /// An acceptor waiting for the ClientHello.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes the next bytes of the client's CRYPTO stream at the Initial
    /// level, in order. A first message other than a ClientHello, or a
    /// malformed one, fails with the error to close the connection with
    /// (CRYPTO_ERROR with its alert); every later call returns it again.
    pub fn read_handshake(&mut self, data: &[u8]) -> Result<(), QuicError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        if self.received.len().saturating_add(data.len()) > QUIC_ACCEPTOR_LIMIT {
            let e = QuicError::Tls(Error::peer(
                AlertDescription::UNEXPECTED_MESSAGE,
                format!("no whole ClientHello in the first {QUIC_ACCEPTOR_LIMIT} bytes"),
            ));
            self.error = Some(e.clone());
            return Err(e);
        }
        self.received.extend_from_slice(data);
        if self.hello.is_some() {
            return Ok(());
        }
        let r = self.process(data);
        r.map_err(|e| {
            let e = QuicError::Tls(e);
            self.error = Some(e.clone());
            e
        })
    }

    fn process(&mut self, data: &[u8]) -> Result<(), Error> {
        self.joiner.push(data)?;
        let mut message = Vec::new();
        if self.joiner.next_message_into(&mut message)? {
            self.hello = Some(ClientHelloInfo::from_message(&message)?);
        }
        Ok(())
    }

    /// The ClientHello, once it has arrived.
    pub fn accept(&mut self) -> Option<QuicAccepted> {
        let info = self.hello.take()?;
        Some(QuicAccepted {
            info,
            received: std::mem::take(&mut self.received),
        })
    }
}

/// A QUIC ClientHello that has arrived, waiting for its configuration.
#[derive(Debug)]
pub struct QuicAccepted {
    info: ClientHelloInfo,
    received: Vec<u8>,
}

impl QuicAccepted {
    /// What the client offers.
    pub fn client_hello(&self) -> &ClientHelloInfo {
        &self.info
    }

    /// The server connection with `config` for QUIC `version` and our
    /// `transport_parameters`, the ClientHello already read: its flight
    /// waits in [`super::Connection::next_output`]. An error in the hello
    /// (one the acceptor could not see: an unusable key share, say) is
    /// returned instead, the code to close the connection with.
    pub fn into_connection(
        self,
        config: Arc<QuicServerConfig>,
        version: Version,
        transport_parameters: Vec<u8>,
    ) -> Result<ServerConnection, QuicError> {
        self.into_connection_with(config, version, transport_parameters, |_| {})
    }

    /// [`QuicAccepted::into_connection`], with `setup` applied to the
    /// connection before it reads the ClientHello (to set its early data
    /// context, say).
    pub fn into_connection_with(
        self,
        config: Arc<QuicServerConfig>,
        version: Version,
        transport_parameters: Vec<u8>,
        setup: impl FnOnce(&mut ServerConnection),
    ) -> Result<ServerConnection, QuicError> {
        let mut conn = ServerConnection::new(config, version, transport_parameters);
        setup(&mut conn);
        conn.read_handshake(super::Level::Initial, &self.received)?;
        Ok(conn)
    }

    /// Turns the client away: the error to close the connection with,
    /// CRYPTO_ERROR 0x0100 + `alert` (RFC 9001 §4.8).
    pub fn refuse(self, alert: AlertDescription) -> QuicError {
        QuicError::Tls(Error::Aborted(alert))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_first_message_other_than_a_client_hello_is_unexpected_message() {
        let mut a = QuicAcceptor::new();
        // A ServerHello (2) with an empty body.
        let e = a.read_handshake(&[2, 0, 0, 0]).unwrap_err();
        assert_eq!(e.alert(), Some(AlertDescription::UNEXPECTED_MESSAGE));
        // Every later call gives the same error.
        assert_eq!(a.read_handshake(&[1]).unwrap_err(), e);
        assert!(a.accept().is_none());
    }

    #[test]
    fn more_than_a_hello_can_hold_is_refused() {
        let mut a = QuicAcceptor::new();
        // A ClientHello header promising 0xffffff bytes: the joiner
        // refuses it, or the limit does.
        let chunk = vec![0u8; 4096];
        let mut r = a.read_handshake(&[1, 0xff, 0xff, 0xff]);
        while r.is_ok() {
            r = a.read_handshake(&chunk);
        }
        assert!(r.unwrap_err().alert().is_some());
    }

    #[test]
    fn a_hello_in_pieces_waits_for_its_end() {
        let mut a = QuicAcceptor::new();
        // A ClientHello header promising 100 bytes, and only 10 of them.
        a.read_handshake(&[1, 0, 0, 100]).unwrap();
        a.read_handshake(&[0; 10]).unwrap();
        assert!(a.accept().is_none());
    }
}
