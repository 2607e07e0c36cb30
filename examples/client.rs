//! A blocking client: `cargo run --example client -- HOST PORT [CAFILE]`.
//! Connects, sends an HTTP GET, and prints the answer.

use cloaktls::stream::ClientStream;
use cloaktls::verify::RootStore;
use cloaktls::ClientConfig;
use std::io::{Read, Write};
use std::net::TcpStream;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let host = args.get(1).map(String::as_str).unwrap_or("localhost");
    let port = args.get(2).map(String::as_str).unwrap_or("443");
    let mut roots = RootStore::empty();
    if let Some(ca) = args.get(3) {
        let pem = std::fs::read(ca)?;
        roots.add_pem(&pem)?;
    } else {
        roots = RootStore::system()?;
    }
    let config = ClientConfig::builder(roots).build()?;
    let sock = TcpStream::connect(format!("{host}:{port}"))?;
    let mut tls = ClientStream::connect(config, host, sock)?;
    eprintln!(
        "connected: {:?} {:?} {:?}",
        tls.conn().protocol_version(),
        tls.conn().cipher_suite(),
        tls.conn().key_exchange_group()
    );
    write!(tls, "GET / HTTP/1.0\r\nHost: {host}\r\n\r\n")?;
    let mut body = Vec::new();
    // An error here matters: a server that hangs up without close_notify
    // may have had the answer cut short (truncation).
    tls.read_to_end(&mut body)?;
    println!("{}", String::from_utf8_lossy(&body));
    Ok(())
}
