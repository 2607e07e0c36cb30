//! Reading a ClientHello before the server configuration is chosen: the
//! caller sees the server name, the ALPN offers, the signature schemes and
//! the groups, then picks a [`ServerConfig`] (and so the certificate) and
//! the handshake goes on with the bytes already read.

use super::ServerConnection;
use crate::config::ServerConfig;
use crate::error::Error;
pub use crate::handshake::ClientHelloInfo;
use crate::msgs::enums::{AlertDescription, ContentType};
use crate::record::{Deframer, HandshakeJoiner};
use std::sync::Arc;

/// The most bytes an [`Acceptor`] holds: a ClientHello of the largest
/// size (`MAX_HANDSHAKE_MESSAGE`) with its record headers, and what came
/// after it in the same reads.
pub const ACCEPTOR_LIMIT: usize = 96 * 1024;

/// Reads bytes until a whole ClientHello has arrived. Like a connection it
/// is sans-IO: the caller moves the bytes.
///
/// ```no_run
/// # fn pick(info: &cloaktls::conn::ClientHelloInfo) -> std::sync::Arc<cloaktls::ServerConfig> { unimplemented!() }
/// # fn demo(socket_bytes: &[u8]) -> Result<(), cloaktls::Error> {
/// let mut acceptor = cloaktls::conn::Acceptor::new();
/// acceptor.read_tls(socket_bytes)?;
/// if let Some(accepted) = acceptor.accept() {
///     let config = pick(accepted.client_hello());
///     let server = accepted.into_connection(config)?;
///     // ... drive `server` as usual.
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Acceptor {
    received: Vec<u8>,
    deframer: Deframer,
    joiner: HandshakeJoiner,
    hello: Option<ClientHelloInfo>,
    alert: Vec<u8>,
    error: Option<Error>,
}

impl Default for Acceptor {
    fn default() -> Self {
        Self::new()
    }
}

impl Acceptor {
    /// An acceptor waiting for a ClientHello.
    pub fn new() -> Self {
        Acceptor {
            received: Vec::new(),
            deframer: Deframer::new(),
            joiner: HandshakeJoiner::default(),
            hello: None,
            alert: Vec::new(),
            error: None,
        }
    }

    /// Takes bytes from the network. Bytes after the ClientHello are kept
    /// for the connection ([`Accepted::into_connection`] replays them). On
    /// an error, a fatal alert for the peer waits in
    /// [`Acceptor::pending_tls`], except when the bytes are not TLS at all
    /// ([`Error::NotTls`]: an HTTP request, say), which the caller may
    /// answer itself with [`Acceptor::received`] in hand. At most
    /// [`ACCEPTOR_LIMIT`] bytes are held.
    pub fn read_tls(&mut self, data: &[u8]) -> Result<(), Error> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        let mut taken = 0;
        while self.hello.is_none() && taken < data.len() {
            let n = self.deframer.read(&data[taken..]);
            self.received.extend_from_slice(&data[taken..taken + n]);
            taken += n;
            if let Err(e) = self.process() {
                return Err(self.fail(e));
            }
            if n == 0 {
                break;
            }
        }
        self.received.extend_from_slice(&data[taken..]);
        if self.received.len() > ACCEPTOR_LIMIT {
            let e = Error::peer(
                AlertDescription::UNEXPECTED_MESSAGE,
                format!("no complete ClientHello in the first {ACCEPTOR_LIMIT} bytes"),
            );
            return Err(self.fail(e));
        }
        Ok(())
    }

    /// The records that have arrived, up to the end of the ClientHello.
    fn process(&mut self) -> Result<(), Error> {
        while let Some(record) = self.deframer.next_record()? {
            // RFC 8446 §5.1: the first flight is handshake records.
            if record.typ != ContentType::HANDSHAKE {
                return Err(Error::peer(
                    AlertDescription::UNEXPECTED_MESSAGE,
                    format!("a {:?} record before the ClientHello", record.typ),
                ));
            }
            self.joiner.push(record.payload)?;
            let mut message = Vec::new();
            if self.joiner.next_message_into(&mut message)? {
                self.hello = Some(ClientHelloInfo::from_message(&message)?);
                return Ok(());
            }
        }
        Ok(())
    }

    fn fail(&mut self, e: Error) -> Error {
        // Not TLS: an alert would be noise to a plain HTTP client.
        if let (Some(alert), false) = (e.alert(), matches!(e, Error::NotTls(_))) {
            self.alert = fatal_alert_record(alert);
        }
        self.error = Some(e.clone());
        e
    }

    /// The ClientHello, once it has arrived: the caller chooses a
    /// configuration and goes on with [`Accepted::into_connection`].
    pub fn accept(&mut self) -> Option<Accepted> {
        let info = self.hello.take()?;
        Some(Accepted {
            info,
            received: std::mem::take(&mut self.received),
        })
    }

    /// Bytes to write to the peer: the fatal alert after an error.
    pub fn pending_tls(&self) -> &[u8] {
        &self.alert
    }

    /// Marks `n` bytes of [`Acceptor::pending_tls`] as written.
    pub fn consume_tls(&mut self, n: usize) {
        self.alert.drain(..n.min(self.alert.len()));
    }

    /// Every byte taken so far: after [`Error::NotTls`], what the peer sent
    /// instead (the start of an HTTP request, for a port that redirects
    /// plain HTTP).
    pub fn received(&self) -> &[u8] {
        &self.received
    }
}

/// A ClientHello that has arrived, waiting for its configuration.
#[derive(Debug)]
pub struct Accepted {
    info: ClientHelloInfo,
    received: Vec<u8>,
}

impl Accepted {
    /// What the client offers.
    pub fn client_hello(&self) -> &ClientHelloInfo {
        &self.info
    }

    /// Turns the client away without a handshake: the bytes to write, a
    /// fatal `alert` in a plaintext record (RFC 8446 §6; before any keys,
    /// as every alert that answers a ClientHello is). `handshake_failure`
    /// says the server will not serve what was asked; `internal_error`
    /// that it cannot now (load shedding, say); `unrecognized_name` that
    /// no configuration has the name (RFC 6066 §3).
    pub fn refuse(self, alert: AlertDescription) -> Vec<u8> {
        fatal_alert_record(alert)
    }

    /// The server connection with `config`, the ClientHello already read.
    /// An error in the hello (or anything after it that arrived with it)
    /// is the connection's: [`crate::Connection::error`] says so and its
    /// alert waits in `pending_tls`, as after any `read_tls`. Fails only if
    /// the connection cannot start.
    pub fn into_connection(self, config: Arc<ServerConfig>) -> Result<ServerConnection, Error> {
        let mut conn = ServerConnection::new(config)?;
        // The hello and what came with it: at most ACCEPTOR_LIMIT bytes,
        // which the connection takes whole unless its receive buffer
        // fills with early data first, which a hello cannot send that
        // much of.
        let _ = conn.read_tls(&self.received);
        Ok(conn)
    }
}

/// A fatal alert in a plaintext record (RFC 8446 §6, §5.1).
fn fatal_alert_record(alert: AlertDescription) -> Vec<u8> {
    vec![ContentType::ALERT.0, 3, 3, 0, 2, 2, alert.0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_is_not_tls_and_keeps_its_bytes_without_an_alert() {
        let mut a = Acceptor::new();
        let req = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
        assert!(matches!(a.read_tls(req), Err(Error::NotTls(_))));
        assert!(matches!(a.read_tls(b"more"), Err(Error::NotTls(_))));
        assert!(a.pending_tls().is_empty());
        assert!(req.starts_with(a.received()));
        assert!(!a.received().is_empty());
        assert!(a.accept().is_none());
    }

    #[test]
    fn a_record_of_another_type_first_is_unexpected_message() {
        let mut a = Acceptor::new();
        let err = a.read_tls(&[23, 3, 3, 0, 1, 0]).unwrap_err();
        assert_eq!(err.alert(), Some(AlertDescription::UNEXPECTED_MESSAGE));
        assert_eq!(a.pending_tls(), [21, 3, 3, 0, 2, 2, 10]);
        // Every later call gives the same error.
        assert_eq!(a.read_tls(&[22]).unwrap_err(), err);
    }

    #[test]
    fn a_server_hello_first_is_unexpected_message() {
        let mut a = Acceptor::new();
        // ServerHello (2) with an empty body, in a handshake record.
        let err = a.read_tls(&[22, 3, 3, 0, 4, 2, 0, 0, 0]).unwrap_err();
        assert_eq!(err.alert(), Some(AlertDescription::UNEXPECTED_MESSAGE));
    }
}
