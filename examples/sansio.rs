//! The sans-IO connection driven by hand, the way an event loop or a
//! custom network stack drives it: `cargo run --example sansio`. The
//! connection never touches the socket; this file moves the bytes and
//! follows the whole contract: write out `pending_tls` after every call
//! (the fatal alert too, when a call fails), offer again what `read_tls`
//! did not take, tell the connection when the transport reaches end of
//! file, and end with close_notify.
//!
//! Each side runs in its own thread with a blocking socket to keep the
//! example short; with non-blocking sockets the same calls go where
//! readiness says.

use cloaktls::conn::{Intake, Received};
use cloaktls::verify::RootStore;
use cloaktls::{
    CertifiedKey, ClientConfig, ClientConnection, Connection, Error, ServerConfig, ServerConnection,
};
use rcgen::{CertificateParams, KeyPair};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

/// A connection and its transport.
struct Session<'a> {
    conn: &'a mut Connection,
    sock: TcpStream,
    /// Bytes read from the socket that the connection has not taken yet.
    unfed: Vec<u8>,
}

impl Session<'_> {
    /// Writes out everything the connection wants written.
    fn flush(&mut self) -> std::io::Result<()> {
        while self.conn.wants_write() {
            let n = self.sock.write(self.conn.pending_tls())?;
            self.conn.consume_tls(n);
        }
        Ok(())
    }

    /// Reads from the socket once and hands the bytes over. On a TLS
    /// error the alert for the peer is flushed before the error returns.
    fn read_once(&mut self) -> Result<(), Error> {
        if self.unfed.is_empty() {
            let mut buf = [0u8; 16 * 1024];
            let n = self.sock.read(&mut buf)?;
            if n == 0 {
                // The transport ended: without close_notify, that is a
                // truncation (or a handshake cut short), and recv says so.
                self.conn.transport_eof();
                return Ok(());
            }
            self.unfed.extend_from_slice(&buf[..n]);
        }
        let result = self.conn.read_tls(&self.unfed);
        self.flush()?;
        match result? {
            Intake::All => self.unfed.clear(),
            // Received plaintext fills the connection's buffer: the caller
            // reads (recv) before offering the rest again.
            Intake::Blocked { taken } => {
                self.unfed.drain(..taken);
            }
        }
        Ok(())
    }

    /// Drives the handshake to its end.
    fn handshake(&mut self) -> Result<(), Error> {
        self.flush()?;
        while self.conn.is_handshaking() {
            self.read_once()?;
            if let Some(e) = self.conn.error() {
                return Err(e.clone());
            }
        }
        Ok(())
    }

    /// Reads application data until `want` bytes arrived or the stream
    /// ends; returns what arrived.
    fn receive(&mut self, want: usize) -> Result<Vec<u8>, Error> {
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        while got.len() < want {
            match self.conn.recv(&mut buf)? {
                Received::Data(n) => got.extend_from_slice(&buf[..n]),
                Received::Closed => break,
                Received::Nothing => self.read_once()?,
            }
            // Reading can produce bytes to write (a KeyUpdate answer).
            self.flush()?;
        }
        Ok(got)
    }

    /// Sends all of `data`: `send` takes what fits, the rest goes after a
    /// flush.
    fn send_all(&mut self, mut data: &[u8]) -> Result<(), Error> {
        while !data.is_empty() {
            let n = self.conn.send(data)?;
            data = &data[n..];
            self.flush()?;
        }
        Ok(())
    }

    /// close_notify, then the peer's.
    fn close(&mut self) -> Result<(), Error> {
        self.conn.send_close_notify()?;
        self.flush()?;
        loop {
            match self.conn.recv(&mut [0u8; 512])? {
                Received::Closed => return Ok(()),
                Received::Data(_) => {}
                Received::Nothing => self.read_once()?,
            }
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A self-signed certificate for localhost, trusted directly.
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
    let cert = CertificateParams::new(vec!["localhost".to_string()])?.self_signed(&key)?;
    let mut roots = RootStore::empty();
    roots.add(cert.der())?;
    let server_config = ServerConfig::builder(CertifiedKey::from_der(
        vec![cert.der().to_vec()],
        &key.serialize_der(),
    )?)
    .build()?;
    let client_config = ClientConfig::builder(roots).build()?;

    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let server = std::thread::spawn(move || -> Result<(), Error> {
        let (sock, _) = listener.accept()?;
        let mut conn = ServerConnection::new(server_config)?;
        let mut s = Session {
            conn: &mut conn,
            sock,
            unfed: Vec::new(),
        };
        s.handshake()?;
        let ping = s.receive(4)?;
        println!("server: got {:?}", String::from_utf8_lossy(&ping));
        s.send_all(b"pong")?;
        s.close()
    });

    let mut conn = ClientConnection::new(client_config, "localhost")?;
    let mut c = Session {
        conn: &mut conn,
        sock: TcpStream::connect(addr)?,
        unfed: Vec::new(),
    };
    // Sent before the handshake ends: queued, and sent as soon as it does.
    c.send_all(b"ping")?;
    c.handshake()?;
    println!(
        "client: {:?} {:?} {:?}",
        c.conn.protocol_version(),
        c.conn.cipher_suite(),
        c.conn.key_exchange_group()
    );
    while let Some(event) = c.conn.next_event() {
        println!("client event: {event:?}");
    }
    let pong = c.receive(4)?;
    println!("client: got {:?}", String::from_utf8_lossy(&pong));
    c.close()?;
    server.join().map_err(|_| "the server thread panicked")??;
    Ok(())
}
