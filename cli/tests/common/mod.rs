//! Helpers shared by the command-line tests: a throwaway PKI written to
//! files, child processes that are stopped when dropped, ports.
#![allow(dead_code)]

use cloaktls::verify::RootStore;
use cloaktls::CertifiedKey;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command};
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

/// A port nothing listens on, never handed out twice by this process.
/// Asking the kernel for port 0 could give two parallel tests the same
/// port, or one that an outgoing connection takes before the server binds
/// it; these come from below the kernel's ephemeral range (32768 and up),
/// from a place that depends on the process, counting up.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let start = (std::process::id() % 1000) * 20;
    loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = 10_000 + ((start + n) % 20_000) as u16;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

pub fn wait_for_port(port: u16) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(30));
    }
    panic!("nothing listened on port {port}");
}

/// Waits until a child prints a line containing `word` (a server that
/// accepts one connection must not be probed).
pub fn wait_for_line(out: std::process::ChildStdout, word: &str) {
    use std::io::BufRead;
    let mut r = std::io::BufReader::new(out);
    let mut line = String::new();
    loop {
        line.clear();
        if r.read_line(&mut line).unwrap_or(0) == 0 {
            panic!("the server exited before printing {word:?}");
        }
        if line.contains(word) {
            // Keep draining so the child never blocks on a full pipe.
            std::thread::spawn(move || std::io::copy(&mut r, &mut std::io::sink()));
            return;
        }
    }
}

pub fn have(tool: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}
