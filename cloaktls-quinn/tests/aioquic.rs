//! quinn with cloaktls against aioquic (a QUIC and TLS 1.3 stack written
//! in Python), over UDP on loopback, as client and as server: the
//! handshake, ALPN, 1 MiB echoed each way, a resumed connection with 0-RTT
//! data, and connections closed by a TLS alert, seen on the other side as
//! the right CRYPTO_ERROR; and QUIC version 2 (RFC 9369), which quinn 0.11
//! cannot carry, by a minimal QUIC client written here on
//! `cloaktls::quic` alone. aioquic comes from PyPI into a virtual
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

/// A minimal QUIC client written here on `cloaktls::quic` alone, only what
/// a handshake needs (RFC 9000 §17, §19): long and short header packets,
/// CRYPTO, ACK, PADDING and HANDSHAKE_DONE frames. It runs QUIC version 2
/// (RFC 9369), which quinn 0.11 cannot carry, against aioquic, and version
/// 1 as a control.
mod mini {
    use cloaktls::quic::{ClientConnection, KeyChange, Keys, Level, Output, Version};
    use std::collections::{BTreeMap, HashMap};
    use std::net::UdpSocket;

    pub fn put_varint(out: &mut Vec<u8>, v: u64) {
        match v {
            0..=63 => out.push(v as u8),
            64..=16383 => out.extend_from_slice(&(0x4000 | v as u16).to_be_bytes()),
            16384..=0x3fff_ffff => out.extend_from_slice(&(0x8000_0000 | v as u32).to_be_bytes()),
            _ => out.extend_from_slice(&(0xc000_0000_0000_0000 | v).to_be_bytes()),
        }
    }

    pub fn varint(b: &[u8], at: &mut usize) -> u64 {
        let first = b[*at];
        let len = 1 << (first >> 6);
        let mut v = u64::from(first & 0x3f);
        for i in 1..len {
            v = (v << 8) | u64::from(b[*at + i]);
        }
        *at += len;
        v
    }

    /// The long header packet type of `level` in `version` (RFC 9000
    /// §17.2, RFC 9369 §3.2).
    fn long_type(version: Version, level: Level) -> u8 {
        match (version, level) {
            (Version::V1, Level::Initial) => 0,
            (Version::V1, Level::Handshake) => 2,
            (Version::V2, Level::Initial) => 1,
            (Version::V2, Level::Handshake) => 3,
            _ => panic!("no long header for {level:?}"),
        }
    }

    fn level_of(version: Version, typ: u8) -> Level {
        match (version, typ) {
            (Version::V1, 0) | (Version::V2, 1) => Level::Initial,
            (Version::V1, 2) | (Version::V2, 3) => Level::Handshake,
            _ => panic!("an unexpected long header packet type {typ}"),
        }
    }

    pub struct Client {
        pub sock: UdpSocket,
        pub version: Version,
        dcid: Vec<u8>,
        scid: Vec<u8>,
        pub tls: ClientConnection,
        keys: HashMap<Level, Keys>,
        next_pn: HashMap<Level, u64>,
        /// Received CRYPTO data: the next offset, and what came early.
        crypto_in: HashMap<Level, (u64, BTreeMap<u64, Vec<u8>>)>,
        crypto_out: HashMap<Level, u64>,
        /// Whether the server's first packet has set its connection ID.
        server_cid: bool,
        pub handshake_done: bool,
        pub one_rtt_packets: usize,
    }

    impl Client {
        pub fn new(
            sock: UdpSocket,
            version: Version,
            tls: ClientConnection,
            dcid: Vec<u8>,
            scid: Vec<u8>,
        ) -> Client {
            let mut keys = HashMap::new();
            keys.insert(
                Level::Initial,
                Keys::initial(version, &dcid, cloaktls::Role::Client),
            );
            Client {
                sock,
                version,
                dcid,
                scid,
                tls,
                keys,
                next_pn: HashMap::new(),
                crypto_in: HashMap::new(),
                crypto_out: HashMap::new(),
                server_cid: false,
                handshake_done: false,
                one_rtt_packets: 0,
            }
        }

        /// Sends what the handshake has to say, a packet per level, and
        /// installs the keys it hands out.
        pub fn flush(&mut self) {
            let mut frames: Vec<(Level, Vec<u8>)> = Vec::new();
            while let Some(out) = self.tls.next_output() {
                match out {
                    Output::Handshake { level, data } => {
                        let offset = self.crypto_out.entry(level).or_insert(0);
                        let mut f = vec![0x06];
                        put_varint(&mut f, *offset);
                        put_varint(&mut f, data.len() as u64);
                        f.extend_from_slice(&data);
                        *offset += data.len() as u64;
                        frames.push((level, f));
                    }
                    Output::Keys(k) => match *k {
                        KeyChange::Handshake { keys } => {
                            self.keys.insert(Level::Handshake, keys);
                        }
                        KeyChange::OneRtt { keys, .. } => {
                            self.keys.insert(Level::OneRtt, keys);
                        }
                    },
                }
            }
            for (level, f) in frames {
                let packet = self.long_packet(level, f);
                self.sock.send(&packet).unwrap();
            }
        }

        fn pn(&mut self, level: Level) -> u64 {
            let space = if level == Level::ZeroRtt {
                Level::OneRtt
            } else {
                level
            };
            let n = self.next_pn.entry(space).or_insert(0);
            *n += 1;
            *n - 1
        }

        fn long_packet(&mut self, level: Level, mut frames: Vec<u8>) -> Vec<u8> {
            let pn = self.pn(level);
            let typ = long_type(self.version, level);
            let mut h = vec![0xc0 | (typ << 4) | 3];
            h.extend_from_slice(&self.version.wire().to_be_bytes());
            h.push(self.dcid.len() as u8);
            h.extend_from_slice(&self.dcid);
            h.push(self.scid.len() as u8);
            h.extend_from_slice(&self.scid);
            if level == Level::Initial {
                h.push(0); // no token
                           // RFC 9000 §14.1: a client's Initial datagram is at least
                           // 1200 bytes.
                let room = 1200usize.saturating_sub(h.len() + 2 + 4 + frames.len() + 16);
                frames.resize(frames.len() + room, 0);
            }
            h.extend_from_slice(&(0x4000 | (4 + frames.len() + 16) as u16).to_be_bytes());
            h.extend_from_slice(&(pn as u32).to_be_bytes());
            self.seal(level, h, frames)
        }

        fn seal(&mut self, level: Level, header: Vec<u8>, frames: Vec<u8>) -> Vec<u8> {
            let keys = &self.keys[&level];
            let hlen = header.len();
            let mut packet = [header, frames, vec![0; 16]].concat();
            let pn = u64::from(u32::from_be_bytes(
                packet[hlen - 4..hlen].try_into().unwrap(),
            ));
            keys.local
                .packet
                .encrypt_in_place(pn, &mut packet, hlen)
                .unwrap();
            keys.local
                .header
                .encrypt_in_place(&mut packet, hlen - 4)
                .unwrap();
            packet
        }

        /// A 1-RTT packet carrying `frames`.
        pub fn send_one_rtt(&mut self, frames: Vec<u8>) {
            let pn = self.pn(Level::OneRtt);
            let mut h = vec![0x40 | 3];
            h.extend_from_slice(&self.dcid);
            h.extend_from_slice(&(pn as u32).to_be_bytes());
            let packet = self.seal(Level::OneRtt, h, frames);
            self.sock.send(&packet).unwrap();
        }

        /// Reads one datagram and handles its packets.
        pub fn recv(&mut self) {
            let mut buf = vec![0u8; 65536];
            let n = self.sock.recv(&mut buf).unwrap();
            buf.truncate(n);
            let mut at = 0;
            while at < buf.len() {
                at = if buf[at] & 0x80 != 0 {
                    self.long(&mut buf, at)
                } else if buf[at] & 0x40 != 0 {
                    self.short(&mut buf[at..]);
                    buf.len()
                } else {
                    // Not a packet (the fixed bit is clear): padding.
                    buf.len()
                };
                self.flush();
            }
        }

        fn long(&mut self, d: &mut [u8], start: usize) -> usize {
            let first = d[start];
            let version = u32::from_be_bytes(d[start + 1..start + 5].try_into().unwrap());
            assert_eq!(version, self.version.wire(), "a packet of another version");
            let mut at = start + 5;
            let dlen = usize::from(d[at]);
            at += 1 + dlen;
            let slen = usize::from(d[at]);
            let scid = d[at + 1..at + 1 + slen].to_vec();
            at += 1 + slen;
            let level = level_of(self.version, (first >> 4) & 3);
            if level == Level::Initial {
                let token = varint(d, &mut at) as usize;
                at += token;
                if !self.server_cid {
                    // RFC 9000 §7.2: from now on, the server's ID.
                    self.dcid = scid;
                    self.server_cid = true;
                }
            }
            let len = varint(d, &mut at) as usize;
            let end = at + len;
            let Some(keys) = self.keys.get(&level) else {
                return end;
            };
            let packet = &mut d[start..end];
            let pn_offset = at - start;
            let pn_len = keys
                .remote
                .header
                .decrypt_in_place(packet, pn_offset)
                .unwrap();
            let mut pn = 0u64;
            for b in &packet[pn_offset..pn_offset + pn_len] {
                pn = (pn << 8) | u64::from(*b);
            }
            let hlen = pn_offset + pn_len;
            let n = keys
                .remote
                .packet
                .decrypt_in_place(pn, packet, hlen)
                .unwrap();
            let frames = packet[hlen..hlen + n].to_vec();
            self.frames(level, &frames);
            end
        }

        fn short(&mut self, packet: &mut [u8]) {
            let Some(keys) = self.keys.get(&Level::OneRtt) else {
                return;
            };
            let pn_offset = 1 + self.scid.len();
            let pn_len = keys
                .remote
                .header
                .decrypt_in_place(packet, pn_offset)
                .unwrap();
            let mut pn = 0u64;
            for b in &packet[pn_offset..pn_offset + pn_len] {
                pn = (pn << 8) | u64::from(*b);
            }
            let hlen = pn_offset + pn_len;
            let n = keys
                .remote
                .packet
                .decrypt_in_place(pn, packet, hlen)
                .unwrap();
            self.one_rtt_packets += 1;
            let frames = packet[hlen..hlen + n].to_vec();
            self.frames(Level::OneRtt, &frames);
        }

        fn frames(&mut self, level: Level, f: &[u8]) {
            let mut at = 0;
            while at < f.len() {
                let typ = varint(f, &mut at);
                match typ {
                    0x00 | 0x01 => {}
                    0x02 | 0x03 => {
                        varint(f, &mut at);
                        varint(f, &mut at);
                        let ranges = varint(f, &mut at);
                        varint(f, &mut at);
                        for _ in 0..ranges * 2 {
                            varint(f, &mut at);
                        }
                        if typ == 0x03 {
                            for _ in 0..3 {
                                varint(f, &mut at);
                            }
                        }
                    }
                    0x06 => {
                        let offset = varint(f, &mut at);
                        let len = varint(f, &mut at) as usize;
                        let data = f[at..at + len].to_vec();
                        at += len;
                        self.crypto(level, offset, data);
                    }
                    0x07 => {
                        let len = varint(f, &mut at) as usize;
                        at += len;
                    }
                    0x18 => {
                        varint(f, &mut at);
                        varint(f, &mut at);
                        let len = usize::from(f[at]);
                        at += 1 + len + 16;
                    }
                    0x1c | 0x1d => {
                        let code = varint(f, &mut at);
                        panic!("the server closed the connection: {code:#x}");
                    }
                    0x1e => self.handshake_done = true,
                    // Anything else is not needed for a handshake.
                    _ => return,
                }
            }
        }

        /// CRYPTO data to the handshake, in order.
        fn crypto(&mut self, level: Level, offset: u64, data: Vec<u8>) {
            self.crypto_in
                .entry(level)
                .or_default()
                .1
                .insert(offset, data);
            self.crypto_more(level)
        }

        fn crypto_more(&mut self, level: Level) {
            let Some((next, early)) = self.crypto_in.get_mut(&level) else {
                return;
            };
            let Some((&o, _)) = early.first_key_value() else {
                return;
            };
            if o > *next {
                return;
            }
            let d = early.remove(&o).unwrap();
            let skip = (*next - o) as usize;
            if skip < d.len() {
                *next += (d.len() - skip) as u64;
                self.tls.read_handshake(level, &d[skip..]).unwrap();
            }
            self.crypto_more(level)
        }
    }
}

#[test]
fn quic_v2_and_v1_handshakes_against_aioquic_with_a_minimal_client() {
    use cloaktls::quic::{ClientConnection, QuicClientConfig, Version};
    let dir = tempdir("v2");
    let pki = Pki::new("aioquic v2 ca");
    let (_, cert, key) = pki.write_pem(&dir);
    for version in [Version::V2, Version::V1] {
        let server = Peer::start(&["server", "--cert", &cert, "--key", &key, "--conns", "1"]);
        let port = server.event("listening").num("port").unwrap() as u16;
        let mut roots = cloaktls::RootStore::empty();
        roots.add(&pki.ca).unwrap();
        // X25519 alone keeps the ClientHello in one Initial packet.
        let tls = cloaktls::ClientConfig::builder(roots)
            .alpn_protocols(["echo"])
            .groups(&[cloaktls::NamedGroup::X25519])
            .build()
            .unwrap();
        let scid = vec![0x5c; 8];
        // Transport parameters (RFC 9000 §18.2): initial_source_connection_id.
        let mut params = vec![0x0f, 8];
        params.extend_from_slice(&scid);
        let conn = ClientConnection::new(
            QuicClientConfig::new(tls).unwrap(),
            version,
            "localhost",
            params,
        )
        .unwrap();
        let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        sock.connect(("127.0.0.1", port)).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut c = mini::Client::new(sock, version, conn, vec![0xdc; 8], scid);
        c.flush();
        while c.tls.is_handshaking() || !c.handshake_done {
            c.recv();
        }
        assert_eq!(c.tls.alpn_protocol(), Some(&b"echo"[..]));
        assert!(c.one_rtt_packets > 0);
        let h = server.event("handshake");
        assert_eq!(h.get("alpn").as_deref(), Some("echo"), "{version:?}");
        assert_eq!(h.num("version"), Some(u64::from(version.wire())));
        // CONNECTION_CLOSE (0x1c), no error, in a 1-RTT packet: aioquic
        // reads it with our 1-RTT keys.
        c.send_one_rtt(vec![0x1c, 0, 0, 0]);
        let closed = server.event("closed");
        assert_eq!(closed.num("error_code"), Some(0), "{closed:?}");
    }
}
