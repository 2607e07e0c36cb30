//! An HTTPS GET with hyper 1.x over cloaktls: HTTP/2 if the server picks
//! it by ALPN, else HTTP/1.1.
//!
//! ```sh
//! cargo run -p cloaktls-tokio --example hyper_client -- https://localhost:8443/ ca.pem
//! ```
//! Without a CA file the compiled-in Mozilla roots are used if cloaktls was
//! built with `webpki-roots`; otherwise a CA file is needed.

use bytes::Bytes;
use cloaktls::verify::RootStore;
use cloaktls::ClientConfig;
use cloaktls_tokio::TlsConnector;
use http_body_util::{BodyExt, Empty};
use hyper::Request;
use hyper_util::rt::{TokioExecutor, TokioIo};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let url: hyper::Uri = args
        .first()
        .map_or("https://localhost:8443/", |u| u)
        .parse()?;
    let host = url.host().ok_or("the URL has no host")?.to_string();
    let port = url.port_u16().unwrap_or(443);
    let roots = match args.get(1) {
        Some(ca) => RootStore::from_path(ca)?,
        None => return Err("usage: hyper_client URL CA.pem".into()),
    };
    let config = ClientConfig::builder(roots)
        .alpn_protocols(&["h2", "http/1.1"])
        .build()?;
    let tcp = tokio::net::TcpStream::connect((host.as_str(), port)).await?;
    let tls = TlsConnector::from(config).connect(&host, tcp)?.await?;
    let h2 = tls.conn().alpn_protocol() == Some(b"h2");
    let request = Request::get(url.clone())
        .header(hyper::header::HOST, host.as_str())
        .body(Empty::<Bytes>::new())?;
    let response = if h2 {
        let (mut sender, conn) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tls)).await?;
        tokio::spawn(conn);
        sender.send_request(request).await?
    } else {
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls)).await?;
        tokio::spawn(conn);
        sender.send_request(request).await?
    };
    eprintln!("{:?} {}", response.version(), response.status());
    let body = response.into_body().collect().await?.to_bytes();
    print!("{}", String::from_utf8_lossy(&body));
    Ok(())
}
