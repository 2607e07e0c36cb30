//! The blocking stream and PEM loading: keys in all three forms, roots from
//! a file and from a directory, truncation, timeouts.

mod common;
use cloaktls::pem::{certified_key_from_files, private_key_from_pem};
use cloaktls::stream::{ClientStream, ServerStream};
use cloaktls::verify::RootStore;
use cloaktls::{ClientConfig, ServerConfig};
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::time::Duration;

fn openssl(args: &[&str]) {
    let out = Command::new("openssl").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A self-signed certificate for localhost with a key in `form`, written
/// by OpenSSL: returns (cert path, key path).
fn identity(dir: &std::path::Path, form: &str) -> (String, String) {
    let key = dir.join(format!("{form}.key")).display().to_string();
    let cert = dir.join(format!("{form}.pem")).display().to_string();
    match form {
        "sec1" => openssl(&[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
            &key,
        ]),
        "pkcs1" => openssl(&["genrsa", "-traditional", "-out", &key, "2048"]),
        _ => openssl(&["genpkey", "-algorithm", "ed25519", "-out", &key]),
    }
    openssl(&[
        "req",
        "-x509",
        "-key",
        &key,
        "-out",
        &cert,
        "-days",
        "30",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=DNS:localhost",
        "-addext",
        "basicConstraints=critical,CA:FALSE",
    ]);
    (cert, key)
}

#[test]
fn keys_in_every_pem_form_and_roots_from_a_directory() {
    let dir = std::env::temp_dir().join(format!("cloak-stream-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let roots_dir = dir.join("roots");
    std::fs::create_dir_all(&roots_dir).unwrap();
    let forms = ["sec1", "pkcs1", "pkcs8"];
    for form in forms {
        let (cert, key) = identity(&dir, form);
        let pem = std::fs::read_to_string(&key).unwrap();
        let header = match form {
            "sec1" => "BEGIN EC PRIVATE KEY",
            "pkcs1" => "BEGIN RSA PRIVATE KEY",
            _ => "BEGIN PRIVATE KEY",
        };
        assert!(pem.contains(header), "{form}: {pem}");
        private_key_from_pem(pem.as_bytes()).unwrap_or_else(|e| panic!("{form}: {e}"));
        std::fs::copy(&cert, roots_dir.join(format!("{form}.crt"))).unwrap();
    }
    let roots = RootStore::from_path(&roots_dir).unwrap();
    assert_eq!(roots.len(), 3);
    for form in forms {
        let ck = certified_key_from_files(
            dir.join(format!("{form}.pem")),
            dir.join(format!("{form}.key")),
        )
        .unwrap();
        let s_cfg = ServerConfig::builder(ck).build().unwrap();
        let c_cfg = ClientConfig::builder(roots.clone()).build().unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (sock, _) = listener.accept().unwrap();
            let mut tls = ServerStream::accept(s_cfg, sock).unwrap();
            let mut buf = [0u8; 5];
            tls.read_exact(&mut buf).unwrap();
            tls.write_all(&buf).unwrap();
            tls.close().unwrap();
        });
        let mut tls =
            ClientStream::connect(c_cfg, "localhost", TcpStream::connect(addr).unwrap()).unwrap();
        tls.write_all(b"hello").unwrap();
        let mut back = Vec::new();
        tls.read_to_end(&mut back).unwrap();
        assert_eq!(back, b"hello", "{form}");
        drop(tls);
        server.join().unwrap();
    }
    // A file with no certificate is an error that names the file.
    std::fs::write(dir.join("empty.pem"), "nothing here").unwrap();
    let err = RootStore::from_path(dir.join("empty.pem")).unwrap_err();
    assert!(err.to_string().contains("empty.pem"));
}

fn pair() -> (
    std::thread::JoinHandle<()>,
    ClientStream<TcpStream>,
    std::sync::mpsc::Sender<bool>,
) {
    let pki = common::Pki::new("CA");
    let s_cfg = ServerConfig::builder(pki.server(common::KeyType::EcdsaP256).certified_key())
        .build()
        .unwrap();
    let c_cfg = ClientConfig::builder(pki.roots()).build().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<bool>();
    let server = std::thread::spawn(move || {
        let (sock, _) = listener.accept().unwrap();
        let mut tls = ServerStream::accept(s_cfg, sock).unwrap();
        tls.write_all(b"partial").unwrap();
        // true: hang up without close_notify; false: stay silent a while.
        if !rx.recv().unwrap() {
            std::thread::sleep(Duration::from_millis(500));
        }
        drop(tls);
    });
    let tls = ClientStream::connect(c_cfg, "localhost", TcpStream::connect(addr).unwrap()).unwrap();
    (server, tls, tx)
}

#[test]
fn end_of_stream_without_close_notify_is_truncation() {
    let (server, mut tls, tx) = pair();
    tx.send(true).unwrap();
    let mut buf = [0u8; 7];
    tls.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"partial");
    let err = tls.read(&mut buf).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
    assert!(err.to_string().contains("truncation"), "{err}");
    server.join().unwrap();
}

#[test]
fn the_socket_timeout_is_respected() {
    let (server, mut tls, tx) = pair();
    tx.send(false).unwrap();
    let mut buf = [0u8; 7];
    tls.read_exact(&mut buf).unwrap();
    tls.get_mut()
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let err = tls.read(&mut buf).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        "{err:?}"
    );
    server.join().unwrap();
}

#[test]
fn lines_read_in_place_with_bufread() {
    use std::io::BufRead;
    let pki = common::Pki::new("CA");
    let s_cfg = ServerConfig::builder(pki.server(common::KeyType::EcdsaP256).certified_key())
        .build()
        .unwrap();
    let c_cfg = ClientConfig::builder(pki.roots()).build().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let (sock, _) = listener.accept().unwrap();
        let mut tls = ServerStream::accept(s_cfg, sock).unwrap();
        // Lines split across writes (and so across records).
        for part in [&b"first li"[..], b"ne\nsecond line\nthi", b"rd line\n"] {
            tls.write_all(part).unwrap();
        }
        tls.send_close_notify().unwrap();
        // Wait for the client's close_notify before dropping the socket.
        let mut rest = Vec::new();
        let _ = tls.read_to_end(&mut rest);
    });
    let mut tls =
        ClientStream::connect(c_cfg, "localhost", TcpStream::connect(addr).unwrap()).unwrap();
    let lines: Vec<String> = (&mut tls).lines().map(|l| l.unwrap()).collect();
    assert_eq!(lines, ["first line", "second line", "third line"]);
    // After the peer's close_notify, fill_buf is empty: the clean end.
    assert!(tls.fill_buf().unwrap().is_empty());
    tls.send_close_notify().unwrap();
    server.join().unwrap();
}

/// A server that, once the handshake is done, does what `peer` says, and a
/// client stream connected to it.
fn with_peer(
    peer: impl FnOnce(&mut ServerStream<TcpStream>) + Send + 'static,
) -> (std::thread::JoinHandle<()>, ClientStream<TcpStream>) {
    let pki = common::Pki::new("CA");
    let s_cfg = ServerConfig::builder(pki.server(common::KeyType::EcdsaP256).certified_key())
        .build()
        .unwrap();
    let c_cfg = ClientConfig::builder(pki.roots()).build().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let (sock, _) = listener.accept().unwrap();
        let mut tls = ServerStream::accept(s_cfg, sock).unwrap();
        peer(&mut tls);
    });
    let tls = ClientStream::connect(c_cfg, "localhost", TcpStream::connect(addr).unwrap()).unwrap();
    (server, tls)
}

/// Reads until the peer's close_notify (or an error).
fn wait_for_close(tls: &mut ServerStream<TcpStream>) {
    let mut rest = Vec::new();
    let _ = tls.read_to_end(&mut rest);
}

#[test]
fn shutdown_confirms_the_peers_close_notify() {
    let (server, mut tls) = with_peer(|tls| {
        wait_for_close(tls);
        tls.send_close_notify().unwrap();
    });
    tls.shutdown().unwrap();
    server.join().unwrap();
}

#[test]
fn shutdown_without_the_peers_close_notify_is_truncation() {
    let (server, mut tls) = with_peer(wait_for_close);
    assert_eq!(tls.shutdown().unwrap_err(), cloaktls::Error::Truncated);
    server.join().unwrap();
}

#[test]
fn shutdown_refuses_data_that_would_be_lost() {
    let (server, mut tls) = with_peer(|tls| {
        wait_for_close(tls);
        let _ = tls.write_all(b"too late");
        let _ = tls.send_close_notify();
    });
    let err = tls.shutdown().unwrap_err();
    assert!(matches!(err, cloaktls::Error::InvalidState(_)), "{err:?}");
    server.join().unwrap();
}

#[test]
fn the_first_read_drives_the_handshake() {
    // A stream made with `new` and read at once: the read sends the
    // ClientHello before it waits (it used to wait first, for ever).
    let (server, _) = {
        let pki = common::Pki::new("CA");
        let s_cfg = ServerConfig::builder(pki.server(common::KeyType::EcdsaP256).certified_key())
            .build()
            .unwrap();
        let c_cfg = ClientConfig::builder(pki.roots()).build().unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (sock, _) = listener.accept().unwrap();
            let mut tls = ServerStream::accept(s_cfg, sock).unwrap();
            tls.write_all(b"first").unwrap();
            tls.send_close_notify().unwrap();
            wait_for_close(&mut tls);
        });
        let sock = TcpStream::connect(addr).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let conn = cloaktls::ClientConnection::new(c_cfg, "localhost").unwrap();
        let mut tls = cloaktls::TlsStream::new(conn, sock);
        let mut buf = [0u8; 5];
        tls.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"first");
        tls.send_close_notify().unwrap();
        (server, ())
    };
    server.join().unwrap();
}

/// A server stream answers 0-RTT at 0.5-RTT: `accept_early_data` stops
/// where the early data can be read, the answer goes out, and reading on
/// drives the handshake to its end; a connection without 0-RTT completes
/// its handshake there and says so.
#[test]
fn a_server_stream_answers_zero_rtt_before_the_handshake_ends() {
    use cloaktls::session::MemorySessionCache;
    use cloaktls::stream::TlsStream;
    use cloaktls::{ClientConnection, ServerConnection};
    use std::sync::Arc;
    let pki = common::Pki::new("CA");
    let s_cfg = ServerConfig::builder(pki.server(common::KeyType::EcdsaP256).certified_key())
        .max_early_data(1024)
        .send_half_rtt_data(true)
        // Single-use tickets: 0-RTT needs no anti-replay window.
        .stateful_tickets(true)
        .build()
        .unwrap();
    let store = Arc::new(MemorySessionCache::new(4));
    let c_cfg = ClientConfig::builder(pki.roots())
        .early_data(true)
        .session_store(Some(store.clone()))
        .build()
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let mut accepted = Vec::new();
        for _ in 0..2 {
            let (sock, _) = listener.accept().unwrap();
            let mut tls = TlsStream::new(ServerConnection::new(s_cfg.clone()).unwrap(), sock);
            let early = tls.accept_early_data().unwrap();
            accepted.push(early);
            let mut req = [0u8; 3];
            tls.read_exact(&mut req).unwrap();
            assert_eq!(&req, b"GET");
            tls.write_all(b"200").unwrap();
            wait_for_close(&mut tls);
        }
        accepted
    });
    for first in [true, false] {
        let conn = ClientConnection::new(c_cfg.clone(), "localhost").unwrap();
        let mut tls = TlsStream::new(conn, TcpStream::connect(addr).unwrap());
        let early = tls.conn_mut().send_early_data(b"GET").unwrap();
        assert_eq!(early, if first { 0 } else { 3 });
        if early == 0 {
            tls.write_all(b"GET").unwrap();
        }
        let mut resp = [0u8; 3];
        tls.read_exact(&mut resp).unwrap();
        assert_eq!(&resp, b"200");
        assert_eq!(tls.conn().early_data_accepted(), (!first).then_some(true));
        tls.close().unwrap();
    }
    assert_eq!(server.join().unwrap(), [false, true]);
}
