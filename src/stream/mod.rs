//! A blocking TLS stream over any `Read + Write` (a `TcpStream`, a Unix
//! socket): the one-call wrapper, like Python's `ssl.wrap_socket`.
//!
//! Its errors are `std::io::Error`s that carry a [`crate::Error`]: get it
//! back with `cloaktls::Error::from(io_error)`. A transport that ends
//! without the peer's close_notify reads as an error of kind
//! `UnexpectedEof` carrying [`crate::Error::Truncated`], never as a clean
//! end of stream.

use crate::config::{ClientConfig, ServerConfig};
use crate::conn::{ClientConnection, Connection, Received, ServerConnection};
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
    /// Bytes read from the transport; those in `unfed` wait for room in
    /// the connection.
    buf: Vec<u8>,
    unfed: std::ops::Range<usize>,
    eof: bool,
}

/// A client stream.
pub type ClientStream<S> = TlsStream<ClientConnection, S>;
/// A server stream.
pub type ServerStream<S> = TlsStream<ServerConnection, S>;

impl<S: Read + Write> TlsStream<ClientConnection, S> {
    /// Connects as a client to `server_name` over `sock` and completes the
    /// handshake; the server is verified as `config` says. A TLS 1.3 server
    /// that refuses our client certificate says so after the handshake:
    /// that error shows on the first read.
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

impl<C: DerefMut<Target = Connection>, S: Read + Write> TlsStream<C, S> {
    /// Wraps a connection that has not started its I/O.
    pub fn new(conn: C, sock: S) -> Self {
        TlsStream {
            conn,
            sock,
            buf: vec![0u8; 16 * 1024 + 512],
            unfed: 0..0,
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

    /// The connection and the transport, taken apart.
    pub fn into_parts(self) -> (C, S) {
        (self.conn, self.sock)
    }

    fn write_pending(&mut self) -> Result<(), Error> {
        while self.conn.wants_write() {
            let n = self.sock.write(self.conn.pending_tls())?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "the transport took no bytes",
                )
                .into());
            }
            self.conn.consume_tls(n);
        }
        Ok(self.sock.flush()?)
    }

    /// Hands the connection bytes from the transport, reading once if
    /// none are left over from before, and writes what it has to say (an
    /// answer, or the alert of an error). Bytes the connection cannot take
    /// yet (its receive buffer is full) wait for the next call. Returns
    /// false at the transport's end of stream.
    fn read_some(&mut self) -> Result<bool, Error> {
        if self.unfed.is_empty() {
            // What we have to say goes out before we wait for an answer: a
            // client's first read sends its ClientHello.
            self.write_pending()?;
            let n = self.sock.read(&mut self.buf)?;
            if n == 0 {
                self.eof = true;
                self.conn.transport_eof();
                return Ok(false);
            }
            self.unfed = 0..n;
        }
        let r = self.conn.read_tls(&self.buf[self.unfed.clone()]);
        // Whatever happened, the peer gets what we have to say.
        let w = self.write_pending();
        let taken = r?.taken(self.unfed.len());
        w?;
        self.unfed.start += taken;
        Ok(true)
    }

    /// Drives the handshake to its end, or (a TLS 1.2 client with False
    /// Start on) until application data may be sent: reading then brings
    /// the server's Finished, which ends it ([`Connection::is_false_start`]).
    pub fn complete_handshake(&mut self) -> Result<(), Error> {
        self.write_pending()?;
        while self.conn.is_handshaking() && !self.conn.is_false_start() {
            if !self.read_some()? {
                return Err(self
                    .conn
                    .error()
                    .cloned()
                    .unwrap_or(Error::HandshakeNotComplete));
            }
            self.write_pending()?;
        }
        Ok(())
    }

    /// Server: drives the handshake until the client's 0-RTT data can be
    /// read, so that the answer to it need not wait for the client's
    /// Finished. Returns true once 0-RTT was accepted and the server's
    /// flight is out: reading then gives the early data, then what
    /// follows it (driving the handshake to its end on the way), and
    /// writing sends 0.5-RTT data if the configuration allows it
    /// ([`crate::config::ServerConfigBuilder::send_half_rtt_data`]), else
    /// queues it until the handshake ends. Returns false when the
    /// handshake completed without 0-RTT.
    pub fn accept_early_data(&mut self) -> Result<bool, Error> {
        self.write_pending()?;
        loop {
            if !self.conn.is_handshaking() {
                return Ok(false);
            }
            if self.conn.early_data_accepted() == Some(true) {
                return Ok(true);
            }
            if !self.read_some()? {
                return Err(self
                    .conn
                    .error()
                    .cloned()
                    .unwrap_or(Error::HandshakeNotComplete));
            }
            self.write_pending()?;
        }
    }

    /// Sends close_notify and flushes it (the blocking counterpart of
    /// [`Connection::send_close_notify`]): our sending side is closed, the
    /// peer's data can still be read.
    pub fn send_close_notify(&mut self) -> Result<(), Error> {
        self.conn.send_close_notify()?;
        self.write_pending()
    }

    /// Closes both ways: sends close_notify, then reads until the peer's
    /// close_notify or the end of the transport. What arrives meanwhile (a
    /// TLS 1.3 server's tickets, which a later connection can resume with)
    /// is processed; application data is discarded.
    pub fn close(mut self) -> Result<(), Error> {
        self.send_close_notify()?;
        let mut sink = [0u8; 1024];
        while !self.conn.peer_has_closed() && !self.eof {
            match self.conn.recv(&mut sink)? {
                Received::Data(_) => {}
                Received::Closed => break,
                Received::Nothing => {
                    if !self.read_some()? {
                        break;
                    }
                }
            }
        }
        Ok(())
    }

    /// Closes both ways and confirms it (a bidirectional shutdown, RFC
    /// 8446 §6.1): sends close_notify, then reads until the peer's
    /// close_notify. Unlike [`TlsStream::close`], what would be lost is an
    /// error: application data that arrives meanwhile (read everything
    /// before shutting down) is [`Error::InvalidState`], a transport that
    /// ends first is [`Error::Truncated`], and a fatal alert from the peer
    /// is [`Error::AlertReceived`]. Handshake messages that arrive (TLS
    /// 1.3 tickets, a KeyUpdate) are processed as usual.
    pub fn shutdown(&mut self) -> Result<(), Error> {
        self.send_close_notify()?;
        loop {
            if self.conn.received_len() > 0 {
                return Err(Error::InvalidState(
                    "application data arrived after our close_notify, during shutdown",
                ));
            }
            if let Some(e) = self.conn.error() {
                return Err(e.clone());
            }
            if self.conn.peer_has_closed() {
                return Ok(());
            }
            if !self.read_some()? {
                return Err(self.conn.error().cloned().unwrap_or(Error::Truncated));
            }
        }
    }
}

impl<C: DerefMut<Target = Connection>, S: Read + Write> TlsStream<C, S> {
    /// Reads from the transport until received data waits (true) or the
    /// peer has closed with close_notify (false). A transport that ends
    /// without close_notify is [`Error::Truncated`]: the data may have been
    /// cut short by an attacker.
    fn wait_for_data(&mut self) -> Result<bool, Error> {
        loop {
            if self.conn.received_len() > 0 {
                // Answers to what came with the data (a KeyUpdate) go out.
                self.write_pending()?;
                return Ok(true);
            }
            if let Some(e) = self.conn.error() {
                return Err(e.clone());
            }
            if self.conn.peer_has_closed() {
                return Ok(false);
            }
            if !self.read_some()? && self.conn.error().is_none() {
                return Err(Error::Truncated);
            }
        }
    }
}

impl<C: DerefMut<Target = Connection>, S: Read + Write> Read for TlsStream<C, S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() || !self.wait_for_data()? {
            return Ok(0);
        }
        match self.conn.recv(buf)? {
            Received::Data(n) => Ok(n),
            Received::Nothing | Received::Closed => Ok(0),
        }
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
    /// Sends what the connection takes (at most its send limit) and writes
    /// it to the transport; returns how much it took.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut n = self.conn.send(buf)?;
        if n == 0 && !buf.is_empty() && self.conn.is_handshaking() {
            // The queue for data before the handshake's end is full: end
            // the handshake, then send.
            self.complete_handshake()?;
            n = self.conn.send(buf)?;
        }
        self.write_pending()?;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(self.write_pending()?)
    }
}
