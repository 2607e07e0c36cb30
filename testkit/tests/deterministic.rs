//! The deterministic configuration of `danger::fuzzing`: the same handshake
//! gives the same bytes on every run, so recorded flights replay; the fuzz
//! targets' seeds are such recordings.

use cloaktls::{ClientConnection, Connection, ServerConnection};
use cloaktls_testkit::deterministic::{client_config, server_config};

/// Runs one deterministic handshake plus a little data; returns what the
/// client wrote and what the server wrote.
fn run() -> (Vec<u8>, Vec<u8>) {
    let mut c = ClientConnection::new(client_config().unwrap(), "localhost").unwrap();
    let mut s = ServerConnection::new(server_config().unwrap()).unwrap();
    let (mut from_client, mut from_server) = (Vec::new(), Vec::new());
    let step = |a: &mut Connection, b: &mut Connection, log: &mut Vec<u8>| {
        let out = a.pending_tls().to_vec();
        a.consume_tls(out.len());
        log.extend_from_slice(&out);
        assert_eq!(b.read_tls(&out).unwrap(), cloaktls::conn::Intake::All);
    };
    for _ in 0..4 {
        step(&mut c, &mut s, &mut from_client);
        step(&mut s, &mut c, &mut from_server);
    }
    assert!(!c.is_handshaking() && !s.is_handshaking());
    c.send(b"deterministic").unwrap();
    step(&mut c, &mut s, &mut from_client);
    (from_client, from_server)
}

#[test]
fn the_same_handshake_gives_the_same_bytes() {
    let a = run();
    let b = run();
    assert_eq!(a, b);
    assert!(a.0.len() > 100 && a.1.len() > 300);
}

#[test]
fn recorded_flights_replay_to_the_end() {
    let (from_client, from_server) = run();
    // The client, fed the server's recorded bytes, completes.
    let mut c = ClientConnection::new(client_config().unwrap(), "localhost").unwrap();
    assert_eq!(
        c.read_tls(&from_server).unwrap(),
        cloaktls::conn::Intake::All
    );
    assert!(!c.is_handshaking());
    // The server, fed the client's, completes and reads the data.
    let mut s = ServerConnection::new(server_config().unwrap()).unwrap();
    assert_eq!(
        s.read_tls(&from_client).unwrap(),
        cloaktls::conn::Intake::All
    );
    assert!(!s.is_handshaking());
    let mut buf = [0u8; 32];
    let n = match s.recv(&mut buf).unwrap() {
        cloaktls::conn::Received::Data(n) => n,
        other => panic!("{other:?}"),
    };
    assert_eq!(&buf[..n], b"deterministic");
    if std::env::var_os("CLOAK_WRITE_SEEDS").is_some() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz/corpus");
        for (target, bytes) in [("client", &from_server), ("server", &from_client)] {
            std::fs::create_dir_all(format!("{dir}/{target}")).unwrap();
            for chunk in [0xffu8, 7, 1] {
                let mut seed = vec![chunk];
                seed.extend_from_slice(bytes);
                std::fs::write(format!("{dir}/{target}/seed-chunk-{chunk}"), seed).unwrap();
            }
        }
    }
}
