//! 0-RTT through the tokio streams under stress: early data the server
//! rejects arrives once, first and in order (also when the client shuts
//! down at once, and behind a full queue); the most early data a server
//! takes completes its handshake; more is refused when the configuration
//! is built.

mod common;
use cloaktls::verify::TimeSource;
use cloaktls::{ClientConfig, ServerConfig};
use cloaktls_tokio::{TlsAcceptor, TlsConnector};
use common::*;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[derive(Debug)]
struct Clock(AtomicU64);

impl TimeSource for Clock {
    fn now(&self) -> pki_types::UnixTime {
        pki_types::UnixTime::since_unix_epoch(Duration::from_secs(self.0.load(Ordering::SeqCst)))
    }
}

fn clock() -> Arc<Clock> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    Arc::new(Clock(AtomicU64::new(now)))
}

/// A server that reads each connection to its end and returns what came.
fn sink_server(
    config: Arc<ServerConfig>,
    l: tokio::net::TcpListener,
) -> tokio::task::JoinHandle<Vec<u8>> {
    tokio::spawn(async move {
        let (tcp, _) = l.accept().await.unwrap();
        let mut tls = TlsAcceptor::from(config)
            .accept(tcp)
            .unwrap()
            .await
            .unwrap();
        let mut got = Vec::new();
        tls.read_to_end(&mut got).await.unwrap();
        let _ = tls.shutdown().await;
        got
    })
}

/// A connector holding a ticket that allows `max` bytes of 0-RTT.
async fn connector_with_ticket(pki: &Pki, clock: &Arc<Clock>, max: u32) -> TlsConnector {
    let server = ServerConfig::builder(pki.leaf(&["localhost"]))
        .max_early_data(max)
        .time(clock.clone())
        .build()
        .unwrap();
    let client = ClientConfig::builder(pki.roots.clone())
        .early_data(true)
        .time(clock.clone())
        .build()
        .unwrap();
    let connector = TlsConnector::from(client).early_data(true);
    let (l, addr) = listener().await;
    let srv = sink_server(server, l);
    let tcp = TcpStream::connect(addr).await.unwrap();
    let mut tls = connector.connect("localhost", tcp).unwrap().await.unwrap();
    // Reading until the server's close_notify brings the tickets.
    tls.write_all(b"x").await.unwrap();
    tls.shutdown().await.unwrap();
    let mut rest = Vec::new();
    tls.read_to_end(&mut rest).await.unwrap();
    assert_eq!(srv.await.unwrap(), b"x");
    connector
}

/// Sends `early` then `after` to a server that rejects the ticket, and
/// returns what the server read.
async fn rejected(early: &[u8], after: &[u8]) -> Vec<u8> {
    let pki = Pki::new();
    let clock = clock();
    let connector = connector_with_ticket(&pki, &clock, 16).await;
    // Other ticket keys: the ticket is refused, so is the early data.
    let other = ServerConfig::builder(pki.leaf(&["localhost"]))
        .time(clock.clone())
        .build()
        .unwrap();
    let (l, addr) = listener().await;
    let srv = sink_server(other, l);
    let tcp = TcpStream::connect(addr).await.unwrap();
    let mut tls = connector.connect("localhost", tcp).unwrap().await.unwrap();
    assert_eq!(tls.conn().early_data_room(), Some(16));
    tls.write_all(early).await.unwrap();
    tls.write_all(after).await.unwrap();
    tls.shutdown().await.unwrap();
    let mut rest = Vec::new();
    tls.read_to_end(&mut rest).await.unwrap();
    assert_eq!(tls.early_data_accepted(), Some(false));
    srv.await.unwrap()
}

#[tokio::test]
async fn rejected_early_data_arrives_once_first_and_in_order() {
    assert_eq!(
        rejected(b"0123456789abcdef", b"XYZ\n").await,
        b"0123456789abcdefXYZ\n"
    );
}

#[tokio::test]
async fn rejected_early_data_survives_an_immediate_shutdown() {
    assert_eq!(
        rejected(b"0123456789abcdef", b"").await,
        b"0123456789abcdef"
    );
}

#[tokio::test]
async fn rejected_early_data_goes_first_behind_a_full_queue() {
    let after = vec![b'q'; 70_000];
    let got = rejected(b"0123456789abcdef", &after).await;
    assert_eq!(got.len(), 16 + after.len());
    assert_eq!(&got[..16], b"0123456789abcdef");
}

#[tokio::test]
async fn the_most_early_data_a_server_takes_completes_the_handshake() {
    let pki = Pki::new();
    let clock = clock();
    let max = cloaktls::config::MAX_EARLY_DATA;
    let connector = connector_with_ticket(&pki, &clock, max).await;
    // 0-RTT is refused for a while after ticket keys are made.
    clock.0.fetch_add(60, Ordering::SeqCst);
    // Same server keys: reuse the first server's configuration through a
    // fresh ticket from this one.
    let server = ServerConfig::builder(pki.leaf(&["localhost"]))
        .max_early_data(max)
        .time(clock.clone())
        .build()
        .unwrap();
    let (l, addr) = listener().await;
    let server2 = server.clone();
    let srv = tokio::spawn(async move {
        let mut seen = Vec::new();
        for _ in 0..2 {
            let (tcp, _) = l.accept().await.unwrap();
            let handshake = TlsAcceptor::from(server2.clone()).accept(tcp).unwrap();
            let mut tls = tokio::time::timeout(Duration::from_secs(10), handshake)
                .await
                .expect("the handshake neither finished nor failed")
                .unwrap();
            let mut got = Vec::new();
            tls.read_to_end(&mut got).await.unwrap();
            let _ = tls.shutdown().await;
            seen.push((got.len(), tls.conn().early_data_accepted()));
        }
        seen
    });
    // A ticket from this server, then every byte of early data it allows.
    for round in 0..2 {
        let tcp = TcpStream::connect(addr).await.unwrap();
        let mut tls = connector.connect("localhost", tcp).unwrap().await.unwrap();
        let data = vec![b'e'; if round == 0 { 1 } else { max as usize }];
        tls.write_all(&data).await.unwrap();
        tls.shutdown().await.unwrap();
        let mut rest = Vec::new();
        tls.read_to_end(&mut rest).await.unwrap();
    }
    let seen = srv.await.unwrap();
    assert_eq!(seen[1], (max as usize, Some(true)));
}

#[test]
fn more_early_data_than_a_connection_can_hold_is_refused() {
    let pki = Pki::new();
    let err = ServerConfig::builder(pki.leaf(&["localhost"]))
        .max_early_data(cloaktls::config::MAX_EARLY_DATA + 1)
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("max_early_data"), "{err}");
}
