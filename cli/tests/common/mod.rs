//! Helpers shared by the command-line tests: a throwaway PKI written to
//! files, child processes that are stopped when dropped, ports.
#![allow(dead_code)]

use cloaktls::verify::RootStore;
use cloaktls::CertifiedKey;
use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// Files of a throwaway PKI in a fresh directory.
pub struct Pki {
    pub dir: PathBuf,
    pub roots: RootStore,
    pub ecdsa: CertifiedKey,
    pub rsa: CertifiedKey,
    pub client: CertifiedKey,
    ca: rcgen::Certificate,
    ca_key: rcgen::KeyPair,
}

impl Pki {
    pub fn ca(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

pub fn pem(tag: &str, der: &[u8]) -> String {
    const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for chunk in der.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                s.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    let body: Vec<String> = s
        .as_bytes()
        .chunks(64)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    format!(
        "-----BEGIN {tag}-----\n{}\n-----END {tag}-----\n",
        body.join("\n")
    )
}

pub fn make_pki(name: &str) -> Pki {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    };
    let dir = std::env::temp_dir().join(format!("cloak-interop-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name
        .push(DnType::CommonName, format!("cloak interop CA {name}"));
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = p.self_signed(&ca_key).unwrap();
    std::fs::write(dir.join("ca.pem"), pem("CERTIFICATE", ca.der())).unwrap();
    let issue = |key: KeyPair, names: Vec<String>, client: bool, file: &str| -> CertifiedKey {
        let mut p = CertificateParams::new(names).unwrap();
        p.distinguished_name.push(
            DnType::CommonName,
            if client { "client" } else { "localhost" },
        );
        p.extended_key_usages = vec![if client {
            ExtendedKeyUsagePurpose::ClientAuth
        } else {
            ExtendedKeyUsagePurpose::ServerAuth
        }];
        let cert = p.signed_by(&key, &ca, &ca_key).unwrap();
        std::fs::write(
            dir.join(format!("{file}.pem")),
            pem("CERTIFICATE", cert.der()),
        )
        .unwrap();
        std::fs::write(
            dir.join(format!("{file}.key")),
            pem("PRIVATE KEY", &key.serialize_der()),
        )
        .unwrap();
        CertifiedKey::from_der(vec![cert.der().to_vec()], &key.serialize_der()).unwrap()
    };
    let names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
    let ecdsa = issue(
        KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap(),
        names.clone(),
        false,
        "ecdsa",
    );
    let rsa_key = KeyPair::from_pem_and_sign_algo(
        include_str!("../../../vectors/keys/rsa2048.pem"),
        &rcgen::PKCS_RSA_SHA256,
    )
    .unwrap();
    let rsa = issue(rsa_key, names, false, "rsa");
    let client = issue(
        KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap(),
        vec!["client.example".to_string()],
        true,
        "client",
    );
    let mut roots = RootStore::empty();
    roots.add(ca.der()).unwrap();
    Pki {
        dir,
        roots,
        ecdsa,
        rsa,
        client,
        ca,
        ca_key,
    }
}

impl Pki {
    /// Issues a server certificate for `names`, valid between the two
    /// (year, month, day) dates, written to `file`.pem and `file`.key.
    pub fn issue(&self, file: &str, names: &[&str], from: (i32, u8, u8), to: (i32, u8, u8)) {
        use rcgen::{CertificateParams, DnType, KeyPair};
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut p = CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .unwrap();
        p.distinguished_name.push(DnType::CommonName, names[0]);
        p.not_before = rcgen::date_time_ymd(from.0, from.1, from.2);
        p.not_after = rcgen::date_time_ymd(to.0, to.1, to.2);
        let cert = p.signed_by(&key, &self.ca, &self.ca_key).unwrap();
        std::fs::write(
            self.dir.join(format!("{file}.pem")),
            pem("CERTIFICATE", cert.der()),
        )
        .unwrap();
        std::fs::write(
            self.dir.join(format!("{file}.key")),
            pem("PRIVATE KEY", &key.serialize_der()),
        )
        .unwrap();
    }

    /// A self-signed certificate for localhost, written to `file`.pem/.key.
    pub fn self_signed(&self, file: &str) {
        use rcgen::{CertificateParams, KeyPair};
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let cert = CertificateParams::new(vec!["localhost".to_string()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        std::fs::write(
            self.dir.join(format!("{file}.pem")),
            pem("CERTIFICATE", cert.der()),
        )
        .unwrap();
        std::fs::write(
            self.dir.join(format!("{file}.key")),
            pem("PRIVATE KEY", &key.serialize_der()),
        )
        .unwrap();
    }
}

/// Kills a child process when dropped.
pub struct Reaper(pub Child);

impl Drop for Reaper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A port nothing listened on a moment ago, for tests that need a port
/// where nobody answers. Servers never use this: they bind port 0
/// themselves and say which port they got (`Server`), so no other process
/// can take their port between a probe and the bind.
pub fn unused_port() -> u16 {
    let probe = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    probe.local_addr().unwrap().port()
}

/// A server child process that was told to listen on 127.0.0.1 port 0, with
/// the port it reports and every line it prints on the stream it reports
/// on. Killed when dropped.
pub struct Server {
    pub child: Reaper,
    pub port: u16,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Server {
    /// Spawns `cmd` and reads `out` (its stdout or stderr, piped) until a
    /// line containing `word` followed by `host:port`; panics with what it
    /// printed if it exits or says nothing within ten seconds.
    pub fn spawn(cmd: &mut Command, from_stderr: bool, word: &str) -> Server {
        let mut child = cmd.spawn().unwrap();
        let (tx, lines) = mpsc::channel();
        let out: Box<dyn Read + Send> = if from_stderr {
            Box::new(child.stderr.take().expect("stderr must be piped"))
        } else {
            Box::new(child.stdout.take().expect("stdout must be piped"))
        };
        // Keep draining so the child never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut server = Server {
            child: Reaper(child),
            port: 0,
            lines,
            seen: Vec::new(),
        };
        let line = server
            .wait_for(word)
            .unwrap_or_else(|| panic!("the server never said {word:?}:\n{}", server.output()));
        let after = &line[line.find(word).unwrap_or(0) + word.len()..];
        server.port = after
            .split_whitespace()
            .find_map(|t| t.rsplit_once(':')?.1.parse().ok())
            .unwrap_or_else(|| panic!("no host:port after {word:?} in {line:?}"));
        server
    }

    /// Waits (up to ten seconds) for a line containing `needle`, counting
    /// the lines already seen, and returns it.
    pub fn wait_for(&mut self, needle: &str) -> Option<String> {
        if let Some(l) = self.seen.iter().find(|l| l.contains(needle)) {
            return Some(l.clone());
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line);
                    if self.seen.last().is_some_and(|l| l.contains(needle)) {
                        return self.seen.last().cloned();
                    }
                }
                Err(RecvTimeoutError::Timeout) => return None,
                Err(RecvTimeoutError::Disconnected) => return None,
            }
        }
        None
    }

    /// Everything the server printed so far.
    pub fn output(&mut self) -> String {
        self.seen.extend(self.lines.try_iter());
        self.seen.join("\n")
    }
}

/// `cloak server` with the given options and its stderr read by the test.
pub fn cloak_server(pki: &Pki, cert: &str, extra: &[&str]) -> Server {
    Server::spawn(
        Command::new(env!("CARGO_BIN_EXE_cloak"))
            .arg("server")
            .arg("--cert")
            .arg(pki.file(&format!("{cert}.pem")))
            .arg("--key")
            .arg(pki.file(&format!("{cert}.key")))
            .args(["--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped()),
        true,
        "listening on",
    )
}

/// `openssl s_server` with `key`'s certificate and key from `pki` and the
/// given options, on a port of its own; its stdin stays open (it stops at
/// the end of its stdin).
pub fn openssl_server(pki: &Pki, key: &str, args: &[&str]) -> Server {
    Server::spawn(
        Command::new("openssl")
            .args(["s_server", "-accept", "127.0.0.1:0"])
            .arg("-cert")
            .arg(pki.file(&format!("{key}.pem")))
            .arg("-key")
            .arg(pki.file(&format!("{key}.key")))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null()),
        false,
        "ACCEPT",
    )
}

pub fn have(tool: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Runs `script` in a new network namespace that has only loopback (for
/// peers such as gnutls-serv that listen on every interface).
pub fn in_netns(script: &str) -> std::process::Output {
    Command::new("unshare")
        .args(["-n", "sh", "-c"])
        .arg(format!("ip link set lo up && {script}"))
        .output()
        .unwrap()
}

/// A bash loop that waits until something listens on 127.0.0.1:$PORT.
pub const WAIT_PORT: &str = "for i in $(seq 1 100); do (echo > /dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.05; done";
