//! quinn with cloaktls, over UDP on loopback, against quinn with rustls
//! (both directions) and against itself: the handshake, ALPN, one
//! bidirectional stream carrying 1 MiB each way, a Retry, a resumed
//! connection with 0-RTT data, a key update, and connections closed by a
//! TLS alert, seen on the other side as the right CRYPTO_ERROR.

mod common;

use common::*;
use quinn::{ConnectionError, TransportErrorCode};
use std::time::Duration;

const MIB: usize = 1 << 20;

/// The pairs (client, server) where cloaktls is on at least one side.
const PAIRS: [(Tls, Tls); 3] = [
    (Tls::Cloak, Tls::Rustls),
    (Tls::Rustls, Tls::Cloak),
    (Tls::Cloak, Tls::Cloak),
];

async fn within<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(30), f)
        .await
        .expect("timed out")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handshake_alpn_and_a_mebibyte_each_way() {
    let pki = Pki::new("quinn test ca");
    for (c, s) in PAIRS {
        let (addr, mut reports, _server) = echo_server(s, &pki, "echo", 1, false);
        let client = endpoint(c, None);
        let conn = within(async {
            client
                .connect_with(client_config(c, &pki, "echo"), addr, "localhost")
                .unwrap()
                .await
                .unwrap()
        })
        .await;
        assert_eq!(
            alpn_of(&conn).as_deref(),
            Some(&b"echo"[..]),
            "{c:?} -> {s:?}"
        );
        // The server's chain, as each TLS gives it.
        assert!(conn.peer_identity().is_some(), "{c:?} -> {s:?}");
        let data = pattern(MIB);
        let back = within(echo(&conn, &data)).await;
        assert!(back == data, "{c:?} -> {s:?}: the echo differs");
        // A key update from the client, then more data (RFC 9001 §6).
        conn.force_key_update();
        let back = within(echo(&conn, b"after the key update")).await;
        assert_eq!(back, b"after the key update");
        // Both sides derive the same exporter values.
        let mut ours = [0u8; 32];
        conn.export_keying_material(&mut ours, b"EXPERIMENTAL test", b"ctx")
            .unwrap();
        conn.close(0u32.into(), b"done");
        let served = within(reports.recv()).await.unwrap();
        assert_eq!(served.alpn.as_deref(), Some(&b"echo"[..]));
        assert_eq!(served.bytes, MIB + 20, "{c:?} -> {s:?}");
        assert!(served.error.is_none(), "{c:?} -> {s:?}: {:?}", served.error);
        client.wait_idle().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry() {
    let pki = Pki::new("quinn test ca");
    for (c, s) in PAIRS {
        let (addr, mut reports, _server) = echo_server(s, &pki, "echo", 1, true);
        let client = endpoint(c, None);
        let conn = within(async {
            client
                .connect_with(client_config(c, &pki, "echo"), addr, "localhost")
                .unwrap()
                .await
                .unwrap()
        })
        .await;
        assert_eq!(
            within(echo(&conn, b"after a retry")).await,
            b"after a retry"
        );
        conn.close(0u32.into(), b"done");
        let served = within(reports.recv()).await.unwrap();
        assert!(served.error.is_none(), "{c:?} -> {s:?}: {:?}", served.error);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resumption_with_0rtt() {
    let pki = Pki::new("quinn test ca");
    for (c, s) in PAIRS {
        let (addr, mut reports, _server) = echo_server(s, &pki, "echo", 2, false);
        let client = endpoint(c, None);
        let config = client_config(c, &pki, "echo");
        // A full handshake, which leaves tickets.
        let conn = within(async {
            client
                .connect_with(config.clone(), addr, "localhost")
                .unwrap()
                .await
                .unwrap()
        })
        .await;
        assert_eq!(within(echo(&conn, b"first")).await, b"first");
        // Let the tickets arrive before closing.
        tokio::time::sleep(Duration::from_millis(100)).await;
        conn.close(0u32.into(), b"done");
        within(reports.recv()).await.unwrap();

        // Resumed, with the request in 0-RTT.
        let connecting = client.connect_with(config, addr, "localhost").unwrap();
        let (conn, accepted) = match connecting.into_0rtt() {
            Ok(x) => x,
            Err(_) => panic!("{c:?} -> {s:?}: no 0-RTT keys on resumption"),
        };
        let data = pattern(8000);
        let (mut send, mut recv) = conn.open_bi().await.unwrap();
        send.write_all(&data).await.unwrap();
        send.finish().unwrap();
        assert!(within(accepted).await, "{c:?} -> {s:?}: 0-RTT refused");
        let back = within(recv.read_to_end(MIB)).await.unwrap();
        assert!(back == data, "{c:?} -> {s:?}: the 0-RTT echo differs");
        conn.close(0u32.into(), b"done");
        let served = within(reports.recv()).await.unwrap();
        assert!(served.error.is_none(), "{c:?} -> {s:?}: {:?}", served.error);
    }
}

/// The code of a connection error: ours if we closed, the peer's if it did.
fn code(e: &ConnectionError) -> Option<TransportErrorCode> {
    match e {
        ConnectionError::TransportError(t) => Some(t.code),
        ConnectionError::ConnectionClosed(c) => Some(c.error_code),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_become_crypto_errors_on_both_sides() {
    let pki = Pki::new("quinn test ca");
    let stranger = Pki::new("another ca");
    for (c, s) in PAIRS {
        // No common ALPN protocol: the server closes with 0x178
        // (no_application_protocol, RFC 9001 §8.1).
        let (addr, mut reports, _server) = echo_server(s, &pki, "echo", 1, false);
        let client = endpoint(c, None);
        let e = within(async {
            client
                .connect_with(client_config(c, &pki, "h3"), addr, "localhost")
                .unwrap()
                .await
                .unwrap_err()
        })
        .await;
        let no_alpn = TransportErrorCode::crypto(120);
        assert_eq!(code(&e), Some(no_alpn), "{c:?} -> {s:?}: client saw {e:?}");
        assert!(matches!(e, ConnectionError::ConnectionClosed(_)), "{e:?}");
        let served = within(reports.recv()).await.unwrap();
        let e = served.error.unwrap();
        assert_eq!(code(&e), Some(no_alpn), "{c:?} -> {s:?}: server saw {e:?}");

        // A certificate from a CA the client does not trust: the client
        // closes with 0x130 (unknown_ca).
        let (addr, mut reports, _server) = echo_server(s, &stranger, "echo", 1, false);
        let e = within(async {
            client
                .connect_with(client_config(c, &pki, "echo"), addr, "localhost")
                .unwrap()
                .await
                .unwrap_err()
        })
        .await;
        let unknown_ca = TransportErrorCode::crypto(48);
        assert_eq!(
            code(&e),
            Some(unknown_ca),
            "{c:?} -> {s:?}: client saw {e:?}"
        );
        let served = within(reports.recv()).await.unwrap();
        let e = served.error.unwrap();
        assert_eq!(
            code(&e),
            Some(unknown_ca),
            "{c:?} -> {s:?}: server saw {e:?}"
        );
        assert!(matches!(e, ConnectionError::ConnectionClosed(_)), "{e:?}");
    }
}
