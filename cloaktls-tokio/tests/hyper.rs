//! HTTPS through hyper 1.x over cloaktls-tokio: a hyper server (HTTP/2 or
//! HTTP/1.1 by ALPN) reached by hyper clients on both protocols, by
//! `curl --http2` and `curl --http1.1`, and by `openssl s_client`; and a
//! hyper client reaching `openssl s_server -www`.

mod common;
use bytes::Bytes;
use cloaktls::ClientConfig;
use cloaktls_tokio::{TlsAcceptor, TlsConnector};
use common::*;
use http_body_util::{BodyExt, Empty, Full};
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::convert::Infallible;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

async fn hello(req: Request<hyper::body::Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let body = format!("hello over {:?} at {}\n", req.version(), req.uri().path());
    Ok(Response::new(Full::new(Bytes::from(body))))
}

/// A hyper server over the acceptor, as in examples/hyper_server.rs.
async fn https_server(pki: &Pki) -> u16 {
    let (l, addr) = listener().await;
    let acceptor = TlsAcceptor::from(pki.server());
    tokio::spawn(async move {
        loop {
            let (tcp, _) = l.accept().await.unwrap();
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).unwrap().await else {
                    return;
                };
                let mut builder =
                    hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                builder = match tls.conn().alpn_protocol() {
                    Some(b"h2") => builder.http2_only(),
                    Some(b"http/1.1") => builder.http1_only(),
                    _ => builder,
                };
                let _ = builder
                    .serve_connection(TokioIo::new(tls), hyper::service::service_fn(hello))
                    .await;
            });
        }
    });
    addr.port()
}

/// A GET over a hyper client on the connector, HTTP/2 if ALPN picked it.
async fn hyper_get(
    config: std::sync::Arc<ClientConfig>,
    port: u16,
    path: &str,
) -> (String, String) {
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let tls = TlsConnector::from(config)
        .connect("localhost", tcp)
        .unwrap()
        .await
        .unwrap();
    let h2 = tls.conn().alpn_protocol() == Some(b"h2");
    let req = Request::get(format!("https://localhost:{port}{path}"))
        .header(hyper::header::HOST, "localhost")
        .body(Empty::<Bytes>::new())
        .unwrap();
    let resp = if h2 {
        let (mut sender, conn) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tls))
                .await
                .unwrap();
        tokio::spawn(conn);
        sender.send_request(req).await.unwrap()
    } else {
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .unwrap();
        tokio::spawn(conn);
        sender.send_request(req).await.unwrap()
    };
    let version = format!("{:?}", resp.version());
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (version, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hyper_client_to_hyper_server_on_both_protocols() {
    let pki = Pki::new();
    let port = https_server(&pki).await;
    for (alpn, want) in [
        (&["h2", "http/1.1"][..], "HTTP/2.0"),
        (&["http/1.1"][..], "HTTP/1.1"),
    ] {
        let config = ClientConfig::builder(pki.roots.clone())
            .alpn_protocols(alpn)
            .build()
            .unwrap();
        let (version, body) = hyper_get(config, port, "/x").await;
        assert_eq!(version, want);
        assert_eq!(body, format!("hello over {want} at /x\n"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_on_both_protocols_and_openssl_s_client() {
    let pki = Pki::new();
    let ca = pki.ca_file("curl");
    let port = https_server(&pki).await;
    for (flag, want) in [("--http2", "HTTP/2.0"), ("--http1.1", "HTTP/1.1")] {
        let out = tokio::process::Command::new("curl")
            .args(["-sS", "--max-time", "20", flag, "--cacert"])
            .arg(&ca)
            .arg(format!("https://localhost:{port}/curl"))
            .output()
            .await
            .expect("curl is installed (.ci/run installs it)");
        let body = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "curl {flag}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(body, format!("hello over {want} at /curl\n"));
    }
    // openssl s_client speaks HTTP/1.1 itself.
    let ca2 = ca.clone();
    let out = tokio::task::spawn_blocking(move || {
        let mut child = Command::new("openssl")
            .args([
                "s_client",
                "-quiet",
                "-alpn",
                "http/1.1",
                "-servername",
                "localhost",
            ])
            .arg("-connect")
            .arg(format!("127.0.0.1:{port}"))
            .arg("-CAfile")
            .arg(&ca2)
            .arg("-verify_return_error")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl is installed");
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(b"GET /openssl HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut lines = Vec::new();
        for line in BufReader::new(child.stdout.take().unwrap()).lines() {
            let Ok(line) = line else { break };
            let done = line.starts_with("hello over");
            lines.push(line);
            if done {
                break;
            }
        }
        drop(stdin);
        let _ = child.kill();
        let _ = child.wait();
        lines
    })
    .await
    .unwrap();
    assert_eq!(
        out.first().map(|s| s.trim_end()),
        Some("HTTP/1.1 200 OK"),
        "{out:?}"
    );
    assert_eq!(
        out.last().map(|s| s.as_str()),
        Some("hello over HTTP/1.1 at /openssl")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hyper_client_to_openssl_s_server_www() {
    let pki = Pki::new();
    let ca = pki.ca_file("s-server");
    let dir = ca.parent().unwrap().to_path_buf();
    let (cert, key) = pki.leaf_files(&dir, &["localhost"]);
    let mut child = Command::new("openssl")
        .args([
            "s_server",
            "-www",
            "-accept",
            "127.0.0.1:0",
            "-naccept",
            "1",
        ])
        .arg("-cert")
        .arg(&cert)
        .arg("-key")
        .arg(&key)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl is installed");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut port = None;
    for _ in 0..20 {
        let mut line = String::new();
        if stdout.read_line(&mut line).unwrap() == 0 {
            break;
        }
        // "ACCEPT 127.0.0.1:PORT"
        if let Some(p) = line
            .strip_prefix("ACCEPT ")
            .and_then(|a| a.trim().rsplit(':').next())
        {
            port = p.parse::<u16>().ok();
            break;
        }
    }
    let port = port.expect("s_server said where it listens");
    let config = ClientConfig::builder(pki.roots.clone())
        .alpn_protocols(&["h2", "http/1.1"])
        .build()
        .unwrap();
    let (version, body) = hyper_get(config, port, "/").await;
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(version, "HTTP/1.0");
    // s_server -www describes the session in an HTML page.
    assert!(
        body.contains("TLSv1.3") || body.contains("Protocol"),
        "{body}"
    );
}
