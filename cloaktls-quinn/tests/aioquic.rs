//! quinn with cloaktls against aioquic (a QUIC and TLS 1.3 stack written
//! in Python), over UDP on loopback, as client and as server: the
//! handshake, ALPN, 1 MiB echoed each way, a resumed connection with 0-RTT
//! data, and connections closed by a TLS alert, seen on the other side as
//! the right CRYPTO_ERROR. aioquic comes from PyPI into a virtual
//! environment under target/ (`interop/aioquic/setup.sh`, run once per CI
//! run by `.ci/run`, which sets `CLOAK_AIOQUIC_PYTHON`).

mod common;

use common::*;
use quinn::{ConnectionError, TransportErrorCode};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::OnceLock;
use std::time::Duration;

const MIB: usize = 1 << 20;
const PEER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../interop/aioquic/peer.py");

/// The virtual environment's python, aioquic installed.
fn python() -> &'static PathBuf {
    static PY: OnceLock<PathBuf> = OnceLock::new();
    PY.get_or_init(|| {
        if let Some(p) = std::env::var_os("CLOAK_AIOQUIC_PYTHON") {
            return PathBuf::from(p);
        }
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../interop/aioquic/setup.sh");
        let out = Command::new("bash")
            .arg(script)
            .stderr(Stdio::null())
            .output()
            .expect("bash runs interop/aioquic/setup.sh");
        assert!(
            out.status.success(),
            "interop/aioquic/setup.sh failed: it needs python3 with venv, and network access \
             to install aioquic from PyPI"
        );
        PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
    })
}

/// A running aioquic process, killed when dropped; its JSON lines arrive
/// on `lines`.
struct Peer {
    child: Child,
    lines: mpsc::Receiver<serde_line::Line>,
}

/// A few fields of the peer's JSON lines, read without a JSON library.
mod serde_line {
    #[derive(Debug, Clone)]
    pub struct Line(pub String);

    impl Line {
        /// The value of `"key": value` (a number, a bool, null or a string).
        pub fn get(&self, key: &str) -> Option<String> {
            let at = self.0.find(&format!("\"{key}\": "))? + key.len() + 4;
            let rest = &self.0[at..];
            if let Some(s) = rest.strip_prefix('"') {
                return Some(s[..s.find('"')?].to_string());
            }
            let end = rest.find([',', '}']).unwrap_or(rest.len());
            Some(rest[..end].trim().to_string())
        }

        pub fn num(&self, key: &str) -> Option<u64> {
            self.get(key)?.parse().ok()
        }
    }
}
use serde_line::Line;

impl Peer {
    fn start(args: &[&str]) -> Peer {
        let mut child = Command::new(python())
            .arg(PEER)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python runs");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(Line(line)).is_err() {
                    break;
                }
            }
        });
        Peer { child, lines }
    }

    fn next(&self) -> Line {
        self.lines
            .recv_timeout(Duration::from_secs(60))
            .expect("a line from the aioquic peer")
    }

    /// The next line whose "event" is `event`.
    fn event(&self, event: &str) -> Line {
        loop {
            let l = self.next();
            if l.get("event").as_deref() == Some(event) {
                return l;
            }
        }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the aioquic client once and returns its report.
async fn aioquic_client(args: Vec<String>) -> Line {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut full = vec!["client"];
        full.extend(args);
        let peer = Peer::start(&full);
        peer.next()
    })
    .await
    .unwrap()
}

fn code(e: &ConnectionError) -> Option<u64> {
    match e {
        ConnectionError::TransportError(t) => Some(u64::from(t.code)),
        ConnectionError::ConnectionClosed(c) => Some(u64::from(c.error_code)),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloaktls_client_against_aioquic_server() {
    let dir = tempdir("client");
    let pki = Pki::new("aioquic test ca");
    let stranger = Pki::new("another ca");
    let (_, cert, key) = pki.write_pem(&dir);
    let server = tokio::task::spawn_blocking(move || {
        Peer::start(&["server", "--cert", &cert, "--key", &key, "--conns", "4"])
    })
    .await
    .unwrap();
    let port = server.event("listening").num("port").unwrap() as u16;
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let client = endpoint(Tls::Cloak, None);
    let config = client_config(Tls::Cloak, &pki, "echo");

    // The handshake, ALPN, and 1 MiB each way.
    let conn = client
        .connect_with(config.clone(), addr, "localhost")
        .unwrap()
        .await
        .unwrap();
    assert_eq!(alpn_of(&conn).as_deref(), Some(&b"echo"[..]));
    let data = pattern(MIB);
    let back = echo(&conn, &data).await;
    let first_diff = back.iter().zip(&data).position(|(a, b)| a != b);
    assert!(
        back == data,
        "the echo differs: {} bytes back, first difference at {first_diff:?}",
        back.len()
    );
    tokio::time::sleep(Duration::from_millis(300)).await; // the ticket
    conn.close(0u32.into(), b"done");
    let h = server.event("handshake");
    assert_eq!(h.get("alpn").as_deref(), Some("echo"));

    // Resumed, with the data in 0-RTT.
    let Ok((conn, accepted)) = client
        .connect_with(config.clone(), addr, "localhost")
        .unwrap()
        .into_0rtt()
    else {
        panic!("no 0-RTT keys on resumption");
    };
    let data = pattern(10_000);
    let (mut send, mut recv) = conn.open_bi().await.unwrap();
    send.write_all(&data).await.unwrap();
    send.finish().unwrap();
    assert!(accepted.await, "aioquic refused our 0-RTT");
    assert!(recv.read_to_end(MIB).await.unwrap() == data);
    conn.close(0u32.into(), b"done");
    let h = server.event("handshake");
    assert_eq!(h.get("resumed").as_deref(), Some("true"));
    assert_eq!(h.get("early_data").as_deref(), Some("true"));

    // No common ALPN protocol: aioquic closes with 0x178.
    let e = client
        .connect_with(client_config(Tls::Cloak, &pki, "h3"), addr, "localhost")
        .unwrap()
        .await
        .unwrap_err();
    assert!(matches!(e, ConnectionError::ConnectionClosed(_)), "{e:?}");
    assert_eq!(code(&e), Some(0x178), "{e:?}");

    // aioquic's certificate from a CA we do not trust: we close with
    // 0x130 (unknown_ca), and aioquic sees it.
    let e = client
        .connect_with(
            client_config(Tls::Cloak, &stranger, "echo"),
            addr,
            "localhost",
        )
        .unwrap()
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ConnectionError::TransportError(t) if t.code == TransportErrorCode::crypto(48)),
        "{e:?}"
    );
    let mut codes = Vec::new();
    for _ in 0..4 {
        codes.push(server.event("closed").num("error_code").unwrap());
    }
    codes.sort();
    assert_eq!(codes, [0, 0, 0x130, 0x178], "what aioquic saw");
    client.wait_idle().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aioquic_client_against_cloaktls_server() {
    let dir = tempdir("server");
    let pki = Pki::new("aioquic test ca");
    let stranger = Pki::new("another ca");
    let (ca, _, _) = pki.write_pem(&dir);
    let other_dir = dir.join("other");
    std::fs::create_dir_all(&other_dir).unwrap();
    let (other_ca, _, _) = stranger.write_pem(&other_dir);
    let (addr, mut reports, _server) = echo_server(Tls::Cloak, &pki, "echo", 4, false);
    let port = addr.port().to_string();
    let ticket = dir.join("ticket.bin").to_string_lossy().into_owned();
    let args = |extra: &[&str]| -> Vec<String> {
        ["--port", &port, "--cafile", &ca, "--ticket", &ticket]
            .iter()
            .chain(extra)
            .map(|s| s.to_string())
            .collect()
    };

    // The handshake, ALPN, and 1 MiB each way.
    let r = aioquic_client(args(&[])).await;
    assert_eq!(r.get("echo_ok").as_deref(), Some("true"), "{r:?}");
    assert_eq!(r.num("received"), Some(MIB as u64));
    assert_eq!(r.get("alpn").as_deref(), Some("echo"));
    let served = reports.recv().await.unwrap();
    assert_eq!(served.bytes, MIB);
    assert_eq!(served.alpn.as_deref(), Some(&b"echo"[..]));

    // Resumed with the data in 0-RTT, under the ticket saved above.
    let r = aioquic_client(args(&["--zero-rtt", "--size", "10000"])).await;
    assert_eq!(r.get("echo_ok").as_deref(), Some("true"), "{r:?}");
    assert_eq!(r.get("resumed").as_deref(), Some("true"), "{r:?}");
    assert_eq!(r.get("early_data").as_deref(), Some("true"), "{r:?}");
    reports.recv().await.unwrap();

    // No common ALPN protocol: we close with 0x178, aioquic sees it.
    let r = aioquic_client(args(&["--alpn", "h3"])).await;
    assert_eq!(r.num("error_code"), Some(0x178), "{r:?}");
    let served = reports.recv().await.unwrap();
    let e = served.error.unwrap();
    assert!(matches!(e, ConnectionError::TransportError(_)), "{e:?}");
    assert_eq!(code(&e), Some(0x178));

    // A client that does not trust our certificate closes with a
    // CRYPTO_ERROR (aioquic says bad_certificate, 0x12a), and we see it.
    // (A new ticket file: resumption would skip the certificate.)
    let fresh = dir.join("no-ticket.bin").to_string_lossy().into_owned();
    let mut a = args(&[]);
    a[3] = other_ca;
    a[5] = fresh;
    let r = aioquic_client(a).await;
    let theirs = r.num("error_code").expect("aioquic closed with an error");
    assert_eq!(theirs, 0x12a, "{r:?}");
    let served = reports.recv().await.unwrap();
    let e = served.error.unwrap();
    assert!(matches!(e, ConnectionError::ConnectionClosed(_)), "{e:?}");
    assert_eq!(code(&e), Some(theirs));
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cloaktls-aioquic-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
