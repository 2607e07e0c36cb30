//! The async streams over loopback TCP: data both ways, close_notify and
//! truncation told apart, alerts flushed on a failed handshake, the lazy
//! acceptor (by server name, and with plain HTTP handed back), 0-RTT
//! accepted and rejected, split halves under load, vectored writes and
//! buffered reads.

mod common;
use cloaktls::verify::TimeSource;
use cloaktls::{AlertDescription, ClientConfig, Error, ServerConfig};
use cloaktls_tokio::{LazyConfigAcceptor, TlsAcceptor, TlsConnector};
use common::*;
use std::io::IoSlice;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[tokio::test]
async fn echo_then_close_notify_reads_as_end_of_stream() {
    let pki = Pki::new();
    let (l, addr) = listener().await;
    let acceptor = TlsAcceptor::from(pki.server());
    let server = tokio::spawn(async move {
        let (tcp, _) = l.accept().await.unwrap();
        let mut tls = acceptor.accept(tcp).unwrap().await.unwrap();
        assert_eq!(tls.conn().alpn_protocol(), None);
        let mut buf = vec![0u8; 100];
        let n = tls.read(&mut buf).await.unwrap();
        tls.write_all(&buf[..n]).await.unwrap();
        tls.shutdown().await.unwrap();
        // After our close_notify the client's still arrives.
        let mut rest = Vec::new();
        tls.read_to_end(&mut rest).await.unwrap();
        rest
    });
    let tcp = TcpStream::connect(addr).await.unwrap();
    let mut tls = TlsConnector::from(pki.client())
        .connect("localhost", tcp)
        .unwrap()
        .await
        .unwrap();
    assert_eq!(
        tls.conn().key_exchange_group(),
        Some(cloaktls::NamedGroup::X25519_MLKEM768)
    );
    tls.write_all(b"ping").await.unwrap();
    tls.flush().await.unwrap();
    let mut got = Vec::new();
    tls.read_to_end(&mut got).await.unwrap();
    assert_eq!(got, b"ping");
    tls.write_all(b"last words").await.unwrap();
    tls.shutdown().await.unwrap();
    assert_eq!(server.await.unwrap(), b"last words");
}

#[tokio::test]
async fn a_transport_that_ends_without_close_notify_is_truncation() {
    let pki = Pki::new();
    let (l, addr) = listener().await;
    let acceptor = TlsAcceptor::from(pki.server());
    tokio::spawn(async move {
        let (tcp, _) = l.accept().await.unwrap();
        let mut tls = acceptor.accept(tcp).unwrap().await.unwrap();
        tls.write_all(b"half a mess").await.unwrap();
        tls.flush().await.unwrap();
        // Drop the TCP connection without close_notify.
        let (tcp, _) = tls.into_inner();
        drop(tcp);
    });
    let tcp = TcpStream::connect(addr).await.unwrap();
    let mut tls = TlsConnector::from(pki.client())
        .connect("localhost", tcp)
        .unwrap()
        .await
        .unwrap();
    let mut got = Vec::new();
    let err = tls.read_to_end(&mut got).await.unwrap_err();
    assert_eq!(got, b"half a mess", "the data before the end is still read");
    assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
    assert_eq!(Error::from(err), Error::Truncated);
}

#[tokio::test]
async fn a_failed_handshake_sends_its_alert_before_the_error() {
    let pki = Pki::new();
    let other = Pki::new();
    let (l, addr) = listener().await;
    let acceptor = TlsAcceptor::from(pki.server());
    let server = tokio::spawn(async move {
        let (tcp, _) = l.accept().await.unwrap();
        acceptor.accept(tcp).unwrap().await.map(|_| ())
    });
    let tcp = TcpStream::connect(addr).await.unwrap();
    // The client trusts another CA.
    let err = TlsConnector::from(other.client())
        .connect("localhost", tcp)
        .unwrap()
        .await
        .unwrap_err();
    assert!(matches!(Error::from(err), Error::InvalidCertificate(_)));
    // The other CA has the same name, so the signature is what fails.
    let server_err = Error::from(server.await.unwrap().unwrap_err());
    assert_eq!(
        server_err,
        Error::AlertReceived(AlertDescription::BAD_CERTIFICATE)
    );
}

#[tokio::test]
async fn the_lazy_acceptor_chooses_by_server_name() {
    let pki = Pki::new();
    let a = ServerConfig::builder(pki.leaf(&["a.example"]))
        .build()
        .unwrap();
    let b = ServerConfig::builder(pki.leaf(&["b.example"]))
        .alpn_protocols(&["h2"])
        .build()
        .unwrap();
    let (l, addr) = listener().await;
    let server = tokio::spawn(async move {
        let mut seen = Vec::new();
        for _ in 0..2 {
            let (tcp, _) = l.accept().await.unwrap();
            let start = LazyConfigAcceptor::new(tcp).await.unwrap();
            let hello = start.client_hello().clone();
            let config = match hello.server_name.as_deref() {
                Some("b.example") => b.clone(),
                _ => a.clone(),
            };
            let mut tls = start.into_stream(config).unwrap().await.unwrap();
            tls.write_all(b"hi").await.unwrap();
            tls.shutdown().await.unwrap();
            seen.push(hello);
        }
        seen
    });
    for name in ["a.example", "b.example"] {
        let tcp = TcpStream::connect(addr).await.unwrap();
        let client = ClientConfig::builder(pki.roots.clone())
            .alpn_protocols(&["h2", "http/1.1"])
            .build()
            .unwrap();
        // Each name verifies against its own certificate.
        let mut tls = TlsConnector::from(client)
            .connect(name, tcp)
            .unwrap()
            .await
            .unwrap();
        let mut got = Vec::new();
        tls.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"hi");
        let alpn = tls.conn().alpn_protocol().map(|p| p.to_vec());
        assert_eq!(alpn, (name == "b.example").then(|| b"h2".to_vec()));
    }
    let seen = server.await.unwrap();
    assert_eq!(seen[0].server_name.as_deref(), Some("a.example"));
    assert_eq!(
        seen[1].alpn_protocols,
        [b"h2".to_vec(), b"http/1.1".to_vec()]
    );
    assert!(seen[1]
        .groups
        .contains(&cloaktls::NamedGroup::X25519_MLKEM768));
    assert!(!seen[1].signature_schemes.is_empty());
}

#[tokio::test]
async fn plain_http_on_the_tls_port_gets_the_socket_back() {
    let (l, addr) = listener().await;
    let server = tokio::spawn(async move {
        let (tcp, _) = l.accept().await.unwrap();
        let err = LazyConfigAcceptor::new(tcp).await.unwrap_err();
        assert!(err.is_not_tls(), "{}", err.error);
        let mut io = err.io;
        io.write_all(b"HTTP/1.1 301 Moved Permanently\r\nLocation: https://localhost/\r\n\r\n")
            .await
            .unwrap();
        io.shutdown().await.unwrap();
        err.received
    });
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    tcp.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 301"), "{answer}");
    assert!(server.await.unwrap().starts_with(b"GET / HTTP/1.1"));
}

#[derive(Debug)]
struct Clock(AtomicU64);

impl TimeSource for Clock {
    fn now(&self) -> pki_types::UnixTime {
        pki_types::UnixTime::since_unix_epoch(Duration::from_secs(self.0.load(Ordering::SeqCst)))
    }
}

/// A server that answers one request per connection with what it read,
/// and reports whether early data was accepted.
fn early_server(
    config: Arc<ServerConfig>,
    l: tokio::net::TcpListener,
) -> tokio::task::JoinHandle<Vec<(Vec<u8>, Option<bool>)>> {
    tokio::spawn(async move {
        let acceptor = TlsAcceptor::from(config);
        let mut seen = Vec::new();
        for _ in 0..3 {
            let (tcp, _) = l.accept().await.unwrap();
            let mut tls = acceptor.accept(tcp).unwrap().await.unwrap();
            let mut line = Vec::new();
            tls.read_until(b'\n', &mut line).await.unwrap();
            tls.write_all(&line).await.unwrap();
            tls.shutdown().await.unwrap();
            seen.push((line, tls.conn().early_data_accepted()));
        }
        seen
    })
}

#[tokio::test]
async fn zero_rtt_accepted_and_rejected() {
    let pki = Pki::new();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let clock = Arc::new(Clock(AtomicU64::new(now)));
    let server = ServerConfig::builder(pki.leaf(&["localhost"]))
        .max_early_data(1024)
        .time(clock.clone())
        .build()
        .unwrap();
    let client = ClientConfig::builder(pki.roots.clone())
        .early_data(true)
        .time(clock.clone())
        .build()
        .unwrap();
    // New ticket keys refuse 0-RTT for a while (anti-replay); move past it.
    clock.0.fetch_add(60, Ordering::SeqCst);
    let (l, addr) = listener().await;
    let srv = early_server(server, l);
    let connector = TlsConnector::from(client).early_data(true);
    let mut accepted = Vec::new();
    for i in 0..3 {
        let tcp = TcpStream::connect(addr).await.unwrap();
        let mut tls = connector.connect("localhost", tcp).unwrap().await.unwrap();
        let msg = format!("request {i}\n");
        tls.write_all(msg.as_bytes()).await.unwrap();
        tls.flush().await.unwrap();
        let mut got = Vec::new();
        tls.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, msg.as_bytes());
        accepted.push(tls.early_data_accepted());
    }
    // The first connection has no ticket yet; the next ones send early.
    assert_eq!(accepted, [None, Some(true), Some(true)]);
    let seen = srv.await.unwrap();
    assert_eq!(seen[1], (b"request 1\n".to_vec(), Some(true)));

    // A server without 0-RTT: the early data is sent again after the
    // handshake and arrives once.
    let no_early = ServerConfig::builder(pki.leaf(&["localhost"]))
        .time(clock.clone())
        .build()
        .unwrap();
    let (l, addr) = listener().await;
    let srv = early_server(no_early, l);
    let mut accepted = Vec::new();
    for i in 0..3 {
        let tcp = TcpStream::connect(addr).await.unwrap();
        let mut tls = connector.connect("localhost", tcp).unwrap().await.unwrap();
        let msg = format!("again {i}\n");
        tls.write_all(msg.as_bytes()).await.unwrap();
        tls.flush().await.unwrap();
        let mut got = Vec::new();
        tls.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, msg.as_bytes());
        accepted.push(tls.early_data_accepted());
    }
    // The ticket from the other server is not accepted here: a full
    // handshake, early data rejected and sent again.
    assert_eq!(accepted[0], Some(false));
    let seen = srv.await.unwrap();
    assert_eq!(seen[0], (b"again 0\n".to_vec(), Some(false)));
}

#[tokio::test]
async fn split_halves_move_data_both_ways_at_once() {
    const SIZE: usize = 4 << 20;
    let pki = Pki::new();
    let (l, addr) = listener().await;
    let acceptor = TlsAcceptor::from(pki.server());
    let data: Arc<Vec<u8>> = Arc::new((0..SIZE).map(|i| (i * 7 % 251) as u8).collect());
    let d = data.clone();
    // The server echoes through split halves.
    let server = tokio::spawn(async move {
        let (tcp, _) = l.accept().await.unwrap();
        let tls = acceptor.accept(tcp).unwrap().await.unwrap();
        let (mut r, mut w) = tokio::io::split(tls);
        tokio::io::copy(&mut r, &mut w).await.unwrap();
        w.shutdown().await.unwrap();
    });
    let tcp = TcpStream::connect(addr).await.unwrap();
    let tls = TlsConnector::from(pki.client())
        .connect("localhost", tcp)
        .unwrap()
        .await
        .unwrap();
    let (mut r, mut w) = tokio::io::split(tls);
    // Writing everything before reading anything would fill both
    // directions' buffers: the halves must run at once.
    let writer = tokio::spawn(async move {
        for chunk in d.chunks(10_000) {
            w.write_all(chunk).await.unwrap();
        }
        w.shutdown().await.unwrap();
    });
    let mut got = Vec::with_capacity(SIZE);
    tokio::time::timeout(Duration::from_secs(60), r.read_to_end(&mut got))
        .await
        .expect("the halves stalled")
        .unwrap();
    writer.await.unwrap();
    server.await.unwrap();
    assert!(got == *data, "the echo differs");
}

#[tokio::test]
async fn vectored_writes_and_buffered_reads() {
    let pki = Pki::new();
    let (l, addr) = listener().await;
    let acceptor = TlsAcceptor::from(pki.server());
    let server = tokio::spawn(async move {
        let (tcp, _) = l.accept().await.unwrap();
        let tls = acceptor.accept(tcp).unwrap().await.unwrap();
        let mut lines = tls.lines();
        let mut got = Vec::new();
        while let Some(line) = lines.next_line().await.unwrap() {
            got.push(line);
        }
        got
    });
    let tcp = TcpStream::connect(addr).await.unwrap();
    let mut tls = TlsConnector::from(pki.client())
        .connect("localhost", tcp)
        .unwrap()
        .await
        .unwrap();
    assert!(tokio::io::AsyncWrite::is_write_vectored(&tls));
    let parts = [
        IoSlice::new(b"one\n"),
        IoSlice::new(b""),
        IoSlice::new(b"two\nthr"),
        IoSlice::new(b"ee\n"),
    ];
    let n = tls.write_vectored(&parts).await.unwrap();
    assert_eq!(n, 14, "small slices are taken whole");
    tls.shutdown().await.unwrap();
    assert_eq!(server.await.unwrap(), ["one", "two", "three"]);
}

#[tokio::test]
async fn what_reading_produces_goes_out_while_only_reading() {
    let pki = Pki::new();
    let (l, addr) = listener().await;
    let acceptor = TlsAcceptor::from(pki.server());
    let server = tokio::spawn(async move {
        let (tcp, _) = l.accept().await.unwrap();
        let mut tls = acceptor.accept(tcp).unwrap().await.unwrap();
        // The server only reads; the peer asks it for a KeyUpdate.
        let mut got = Vec::new();
        tls.read_to_end(&mut got).await.unwrap();
        (got, tls)
    });
    let tcp = TcpStream::connect(addr).await.unwrap();
    let mut tls = TlsConnector::from(pki.client())
        .connect("localhost", tcp)
        .unwrap()
        .await
        .unwrap();
    tls.write_all(b"before").await.unwrap();
    tls.conn_mut().key_update(true).unwrap();
    tls.write_all(b" after").await.unwrap();
    tls.flush().await.unwrap();
    // The server's answering KeyUpdate arrives without it writing data.
    let mut buf = [0u8; 16];
    let waited = tokio::time::timeout(Duration::from_millis(1500), tls.read(&mut buf)).await;
    assert!(waited.is_err(), "no data was expected");
    let events: Vec<_> = std::iter::from_fn(|| tls.conn_mut().next_event()).collect();
    assert!(events.contains(&cloaktls::Event::KeyUpdated), "{events:?}");
    tls.shutdown().await.unwrap();
    let (got, _) = server.await.unwrap();
    assert_eq!(got, b"before after");
}
