//! The sans-IO connection driven by hand over non-blocking sockets, the way
//! an event loop would: `cargo run --example sansio_nonblocking`. The loop
//! moves bytes between each socket and its connection when either side is
//! ready, and never blocks in the library.

use cloaktls::verify::RootStore;
use cloaktls::{
    CertifiedKey, ClientConfig, ClientConnection, Connection, ServerConfig, ServerConnection,
};
use rcgen::{CertificateParams, KeyPair};
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// One turn of the loop for one connection: write what it wants written,
/// read what the socket has. Returns false once the socket is closed.
fn pump(conn: &mut Connection, sock: &mut TcpStream) -> Result<bool, Box<dyn std::error::Error>> {
    while conn.wants_write() {
        match sock.write(conn.pending_tls()) {
            Ok(n) => conn.consume_tls(n),
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) => return Err(e.into()),
        }
    }
    let mut buf = [0u8; 8192];
    match sock.read(&mut buf) {
        Ok(0) => Ok(false),
        Ok(n) => {
            let mut off = 0;
            while off < n {
                off += conn.read_tls(&buf[off..n])?;
            }
            Ok(true)
        }
        Err(e) if e.kind() == ErrorKind::WouldBlock => Ok(true),
        Err(e) => Err(e.into()),
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
    let mut client_sock = TcpStream::connect(listener.local_addr()?)?;
    let (mut server_sock, _) = listener.accept()?;
    client_sock.set_nonblocking(true)?;
    server_sock.set_nonblocking(true)?;

    let mut client = ClientConnection::new(client_config, "localhost")?;
    let mut server = ServerConnection::new(server_config)?;
    // Written before the handshake: queued, and sent as soon as it ends.
    client.send(b"ping from the event loop")?;

    let start = Instant::now();
    let mut got = Vec::new();
    while start.elapsed() < Duration::from_secs(10) {
        pump(&mut client, &mut client_sock)?;
        pump(&mut server, &mut server_sock)?;
        while let Some(event) = client.next_event() {
            println!("client event: {event:?}");
        }
        let mut buf = [0u8; 256];
        let n = server.recv(&mut buf)?;
        got.extend_from_slice(&buf[..n]);
        if got.len() >= 24 {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    println!(
        "server received {:?} over {:?} with {:?}",
        String::from_utf8_lossy(&got),
        server.protocol_version(),
        server.cipher_suite()
    );
    Ok(())
}
