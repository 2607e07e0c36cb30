//! A blocking TLS stream over any `Read + Write` (a `TcpStream`, a Unix
//! socket): the one-call wrapper, like Python's `ssl.wrap_socket`.

use crate::config::{ClientConfig, ServerConfig};
use crate::conn::{ClientConnection, Connection, ServerConnection};
use crate::error::Error;
use std::io::{self, BufRead, Read, Write};
use std::ops::DerefMut;
use std::sync::Arc;

/// A TLS connection driven over a blocking transport `S`. `C` is a
/// [`ClientConnection`] or a [`ServerConnection`].
#[derive(Debug)]
pub struct TlsStream<C, S> {
    conn: C,
    sock: S,
    buf: Vec<u8>,
    eof: bool,
}

/// A client stream.
pub type ClientStream<S> = TlsStream<ClientConnection, S>;
/// A server stream.
pub type ServerStream<S> = TlsStream<ServerConnection, S>;

impl<S: Read + Write> TlsStream<ClientConnection, S> {
    /// Connects as a client to `server_name` over `sock` and completes the
    /// handshake; the server is verified as `config` says.
    pub fn connect(config: Arc<ClientConfig>, server_name: &str, sock: S) -> Result<Self, Error> {
        let conn = ClientConnection::new(config, server_name)?;
        let mut s = TlsStream::new(conn, sock);
        s.complete_handshake()?;
        Ok(s)
    }
}

impl<S: Read + Write> TlsStream<ServerConnection, S> {
    /// Accepts a client over `sock` and completes the handshake.
    pub fn accept(config: Arc<ServerConfig>, sock: S) -> Result<Self, Error> {
        let conn = ServerConnection::new(config)?;
        let mut s = TlsStream::new(conn, sock);
        s.complete_handshake()?;
        Ok(s)
    }
}

fn io_error(e: io::Error) -> Error {
    Error::Io(e.kind(), e.to_string())
}

/// Our error as an `io::Error` that keeps it as its source.
pub fn to_io_error(e: Error) -> io::Error {
    let kind = match &e {
        Error::Io(kind, _) => *kind,
        Error::HandshakeNotComplete => io::ErrorKind::UnexpectedEof,
        _ => io::ErrorKind::InvalidData,
    };
    io::Error::new(kind, e)
}

impl<C: DerefMut<Target = Connection>, S: Read + Write> TlsStream<C, S> {
    /// Wraps a connection that has not started its I/O.
    pub fn new(conn: C, sock: S) -> Self {
        TlsStream {
            conn,
            sock,
            buf: vec![0u8; 16 * 1024 + 512],
            eof: false,
        }
    }

    /// The connection, for what was negotiated.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The connection, mutably (key updates, exporters).
    pub fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// The transport.
    pub fn get_ref(&self) -> &S {
        &self.sock
    }

    /// The transport, mutably (to set timeouts).
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.sock
    }

    fn write_pending(&mut self) -> Result<(), Error> {
        while self.conn.wants_write() {
            let n = self.sock.write(self.conn.pending_tls()).map_err(io_error)?;
            if n == 0 {
                return Err(Error::Io(
                    io::ErrorKind::WriteZero,
                    "the transport took no bytes".into(),
                ));
            }
            self.conn.consume_tls(n);
        }
        self.sock.flush().map_err(io_error)
    }

    /// Reads once from the transport into the connection. Returns false at
    /// the transport's end of stream.
    fn read_some(&mut self) -> Result<bool, Error> {
        let n = self.sock.read(&mut self.buf).map_err(io_error)?;
        if n == 0 {
            self.eof = true;
            return Ok(false);
        }
        let mut off = 0;
        while off < n {
            let r = self.conn.read_tls(&self.buf[off..n]);
            // Whatever happened, the peer gets what we have to say.
            let w = self.write_pending();
            let taken = r?;
            w?;
            if taken == 0 {
                return Err(Error::InvalidState("the connection took no bytes"));
            }
            off += taken;
        }
        Ok(true)
    }

    /// Drives the handshake to its end.
    pub fn complete_handshake(&mut self) -> Result<(), Error> {
        self.write_pending()?;
        while self.conn.is_handshaking() {
            if !self.read_some()? {
                return Err(Error::HandshakeNotComplete);
            }
            self.write_pending()?;
        }
        Ok(())
    }

    /// Sends close_notify and flushes it.
    pub fn shutdown(&mut self) -> Result<(), Error> {
        self.conn.close();
        self.write_pending()
    }

    /// Sends close_notify, then reads until the peer's close_notify or the
    /// end of the transport.
    pub fn close(mut self) -> Result<(), Error> {
        self.shutdown()?;
        let mut sink = [0u8; 1024];
        while !self.conn.peer_has_closed() && !self.eof {
            if self.conn.recv(&mut sink)? == 0 && !self.read_some()? {
                break;
            }
        }
        Ok(())
    }
}

impl<C: DerefMut<Target = Connection>, S: Read + Write> TlsStream<C, S> {
    /// Reads from the transport until received data waits (true) or the
    /// peer has closed with close_notify (false). A transport that ends
    /// without close_notify is an error: the data may have been cut short
    /// by an attacker.
    fn wait_for_data(&mut self) -> io::Result<bool> {
        loop {
            if self.conn.received_len() > 0 {
                // Answers to what came with the data (a KeyUpdate) go out.
                self.write_pending().map_err(to_io_error)?;
                return Ok(true);
            }
            if let Some(e) = self.conn.error() {
                return Err(to_io_error(e.clone()));
            }
            if self.conn.peer_has_closed() {
                return Ok(false);
            }
            if !self.read_some().map_err(to_io_error)? {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the peer closed the connection without close_notify (truncation)",
                ));
            }
        }
    }
}

impl<C: DerefMut<Target = Connection>, S: Read + Write> Read for TlsStream<C, S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() || !self.wait_for_data()? {
            return Ok(0);
        }
        self.conn.recv(buf).map_err(to_io_error)
    }
}

/// Reads without a copy: `fill_buf` gives the plaintext where it was
/// decrypted.
impl<C: DerefMut<Target = Connection>, S: Read + Write> BufRead for TlsStream<C, S> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if !self.wait_for_data()? {
            return Ok(&[]);
        }
        Ok(self.conn.peek_received())
    }

    fn consume(&mut self, amt: usize) {
        self.conn.consume_received(amt);
    }
}

impl<C: DerefMut<Target = Connection>, S: Read + Write> Write for TlsStream<C, S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.conn.send(buf).map_err(to_io_error)?;
        self.write_pending().map_err(to_io_error)?;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.write_pending().map_err(to_io_error)
    }
}
