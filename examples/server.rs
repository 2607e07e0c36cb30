//! A blocking echo server: `cargo run --example server -- CHAIN.pem KEY.pem [127.0.0.1:8443]`.
//! One thread per client; each line is echoed back.

use cloaktls::pem::certified_key_from_files;
use cloaktls::stream::ServerStream;
use cloaktls::ServerConfig;
use std::io::{Read, Write};
use std::net::TcpListener;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(chain), Some(key)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: server CHAIN.pem KEY.pem [ADDR]");
        std::process::exit(2);
    };
    let addr = args.get(3).map(String::as_str).unwrap_or("127.0.0.1:8443");
    let config = ServerConfig::builder(certified_key_from_files(chain, key)?).build()?;
    let listener = TcpListener::bind(addr)?;
    eprintln!("listening on {}", listener.local_addr()?);
    for sock in listener.incoming() {
        let sock = sock?;
        let config = config.clone();
        std::thread::spawn(move || {
            let mut tls = match ServerStream::accept(config, sock) {
                Ok(t) => t,
                Err(e) => return eprintln!("handshake failed: {e}"),
            };
            let mut buf = [0u8; 4096];
            loop {
                match tls.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        if tls.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    Err(e) => {
                        eprintln!("{e}");
                        break;
                    }
                }
            }
            let _ = tls.send_close_notify();
        });
    }
    Ok(())
}
