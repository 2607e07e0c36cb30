//! HTTPS with hyper 1.x over cloaktls: HTTP/2 or HTTP/1.1 as ALPN chose.
//!
//! ```sh
//! cargo run -p cloaktls-tokio --example hyper_server -- 127.0.0.1:8443 cert.pem key.pem
//! curl --http2 --cacert ca.pem https://localhost:8443/
//! ```
//! Without a certificate it makes a throwaway one for localhost and prints
//! its CA to stdout.

use bytes::Bytes;
use cloaktls::{CertifiedKey, ServerConfig};
use cloaktls_tokio::TlsAcceptor;
use http_body_util::Full;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::convert::Infallible;

async fn hello(req: Request<hyper::body::Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let body = format!("hello over {:?} at {}\n", req.version(), req.uri().path());
    Ok(Response::new(Full::new(Bytes::from(body))))
}

fn identity(args: &[String]) -> Result<CertifiedKey, Box<dyn std::error::Error>> {
    if let [_, cert, key, ..] = args {
        return Ok(cloaktls::pem::certified_key_from_files(cert, key)?);
    }
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])?.self_signed(&key)?;
    println!("{}", cert.pem());
    Ok(CertifiedKey::from_der(
        vec![cert.der().to_vec()],
        &key.serialize_der(),
    )?)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let addr = args.first().map_or("127.0.0.1:8443", |a| a.as_str());
    let config = ServerConfig::builder(identity(&args)?)
        .alpn_protocols(&["h2", "http/1.1"])
        .build()?;
    let acceptor = TlsAcceptor::from(config);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    eprintln!("listening on {}", listener.local_addr()?);
    loop {
        let (tcp, peer) = listener.accept().await?;
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let handshake = acceptor
                .accept(tcp)
                .map(|h| tokio::time::timeout(std::time::Duration::from_secs(10), h));
            let tls = match handshake {
                Ok(h) => match h.await {
                    Ok(Ok(tls)) => tls,
                    Ok(Err(e)) => return eprintln!("{peer}: {e}"),
                    Err(_) => return eprintln!("{peer}: handshake timed out"),
                },
                Err(e) => return eprintln!("{peer}: {e}"),
            };
            let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            builder = match tls.conn().alpn_protocol() {
                Some(b"h2") => builder.http2_only(),
                Some(b"http/1.1") => builder.http1_only(),
                _ => builder,
            };
            let service = hyper::service::service_fn(hello);
            if let Err(e) = builder.serve_connection(TokioIo::new(tls), service).await {
                eprintln!("{peer}: {e}");
            }
        });
    }
}
