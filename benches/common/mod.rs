//! What the benchmarks share: per-thread CPU timing, the PKI, each
//! library's configurations and in-memory handshakes, and the table.
#![allow(dead_code)]

use cloaktls::verify::RootStore;
use cloaktls::{
    CertifiedKey, ClientConfig, ClientConnection, Connection, ServerConfig, ServerConnection,
};
use cloaktls::{CipherSuite, NamedGroup, ProtocolVersion};
use std::sync::Arc;

// ---------------- timing ----------------

/// This thread's CPU time in nanoseconds, from the per-thread CPU clock
/// (exact to the nanosecond; /proc's schedstat only moves at scheduler
/// ticks, which quantised the figures).
pub fn cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec for clock_gettime to fill.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "CLOCK_THREAD_CPUTIME_ID is not available");
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Nanoseconds per call of `f`, over enough calls to fill `budget_ms`.
pub fn time(budget_ms: u64, mut f: impl FnMut()) -> f64 {
    f(); // warm up
    let mut n = 1u64;
    loop {
        let start = cpu_ns();
        for _ in 0..n {
            f();
        }
        let took = cpu_ns() - start;
        if took >= budget_ms * 1_000_000 || n >= 1 << 24 {
            return took as f64 / n as f64;
        }
        n *= 2;
    }
}

/// Times cloaktls, rustls and the ring floor in turn, five rounds of
/// `budget_ms / 5` each, and keeps each one's best round: load that comes
/// and goes on a shared machine then hits all three alike, or none.
pub fn race<'a>(
    budget_ms: u64,
    ours: &'a mut dyn FnMut(),
    theirs: &'a mut dyn FnMut(),
    floor: &'a mut dyn FnMut(),
) -> (f64, f64, f64) {
    const ROUNDS: u64 = 5;
    let slice = (budget_ms / ROUNDS).max(1);
    let mut best = [f64::INFINITY; 3];
    let mut contenders = [ours, theirs, floor];
    // BENCH_ONLY=ours|rustls|floor runs one contender alone (for a
    // profiler); the others' figures are then infinite.
    let only = std::env::var("BENCH_ONLY").ok();
    let names = ["ours", "rustls", "floor"];
    for _ in 0..ROUNDS {
        for ((b, f), name) in best.iter_mut().zip(contenders.iter_mut()).zip(names) {
            if only.as_deref().is_none_or(|o| o == name) {
                *b = b.min(time(slice, &mut **f));
            }
        }
    }
    (best[0], best[1], best[2])
}

// ---------------- the PKI ----------------

pub struct Pki {
    pub ca_der: Vec<u8>,
    pub ecdsa: (Vec<u8>, Vec<u8>),
    pub rsa: (Vec<u8>, Vec<u8>),
}

pub fn pki() -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = p.self_signed(&ca_key).unwrap();
    let issue = |key: KeyPair| {
        let cert = CertificateParams::new(vec!["localhost".to_string()])
            .unwrap()
            .signed_by(&key, &ca, &ca_key)
            .unwrap();
        (cert.der().to_vec(), key.serialize_der())
    };
    let ecdsa = issue(KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap());
    let rsa = issue(
        KeyPair::from_pem_and_sign_algo(
            include_str!("../../vectors/keys/rsa2048.pem"),
            &rcgen::PKCS_RSA_SHA256,
        )
        .unwrap(),
    );
    Pki {
        ca_der: ca.der().to_vec(),
        ecdsa,
        rsa,
    }
}

// ---------------- cloaktls ----------------

pub fn ours_configs(
    pki: &Pki,
    leaf: &(Vec<u8>, Vec<u8>),
    version: ProtocolVersion,
    suite: CipherSuite,
) -> (Arc<ClientConfig>, Arc<ServerConfig>) {
    let mut roots = RootStore::empty();
    roots.add(&pki.ca_der).unwrap();
    let server =
        ServerConfig::builder(CertifiedKey::from_der(vec![leaf.0.clone()], &leaf.1).unwrap())
            .versions(&[version])
            .cipher_suites(&[suite])
            .groups(&[NamedGroup::X25519])
            .tickets(1)
            .build()
            .unwrap();
    // The client lists P-256 after X25519: in TLS 1.2 that is what lets the
    // server use its P-256 ECDSA key (RFC 8422 §5.3); X25519 is agreed.
    // rustls compresses no certificate by default; ours does (RFC 8879):
    // off here, so that both do the same work.
    let client = ClientConfig::builder(roots)
        .versions(&[version])
        .cipher_suites(&[suite])
        .groups(&[NamedGroup::X25519, NamedGroup::SECP256R1])
        .certificate_compression(&[])
        .build()
        .unwrap();
    (client, server)
}

pub fn ours_pump(a: &mut Connection, b: &mut Connection) {
    while a.wants_write() {
        let n = b
            .read_tls(a.pending_tls())
            .unwrap()
            .taken(a.pending_tls().len());
        a.consume_tls(n);
    }
}

pub fn ours_handshake(
    c: &Arc<ClientConfig>,
    s: &Arc<ServerConfig>,
) -> (ClientConnection, ServerConnection) {
    let mut client = ClientConnection::new(c.clone(), "localhost").unwrap();
    let mut server = ServerConnection::new(s.clone()).unwrap();
    while client.is_handshaking()
        || server.is_handshaking()
        || client.wants_write()
        || server.wants_write()
    {
        ours_pump(&mut client, &mut server);
        ours_pump(&mut server, &mut client);
    }
    assert!(
        client.error().is_none() && server.error().is_none(),
        "cloaktls handshake failed: {:?} {:?}",
        client.error(),
        server.error()
    );
    (client, server)
}

// ---------------- rustls ----------------

pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    let mut p = rustls::crypto::ring::default_provider();
    p.kx_groups = vec![rustls::crypto::ring::kx_group::X25519];
    Arc::new(p)
}

pub fn theirs_configs(
    pki: &Pki,
    leaf: &(Vec<u8>, Vec<u8>),
    version: ProtocolVersion,
    suite: CipherSuite,
) -> (Arc<rustls::ClientConfig>, Arc<rustls::ServerConfig>) {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let mut p = (*provider()).clone();
    p.cipher_suites.retain(|s| u16::from(s.suite()) == suite.0);
    let p = Arc::new(p);
    let versions: &[&rustls::SupportedProtocolVersion] = if version == ProtocolVersion::TLSV1_3 {
        &[&rustls::version::TLS13]
    } else {
        &[&rustls::version::TLS12]
    };
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from(pki.ca_der.clone())).unwrap();
    let client = rustls::ClientConfig::builder_with_provider(p.clone())
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let mut server = rustls::ServerConfig::builder_with_provider(p)
        .with_protocol_versions(versions)
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(leaf.0.clone())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf.1.clone())),
        )
        .unwrap();
    server.ticketer = rustls::crypto::ring::Ticketer::new().unwrap();
    server.send_tls13_tickets = 1;
    (Arc::new(client), Arc::new(server))
}

pub fn theirs_pump<A, B, DA: rustls::SideData, DB: rustls::SideData>(
    a: &mut A,
    b: &mut B,
    buf: &mut Vec<u8>,
) where
    A: std::ops::DerefMut<Target = rustls::ConnectionCommon<DA>>,
    B: std::ops::DerefMut<Target = rustls::ConnectionCommon<DB>>,
{
    buf.clear();
    while a.wants_write() {
        a.write_tls(buf).unwrap();
    }
    let mut slice = &buf[..];
    while !slice.is_empty() {
        b.read_tls(&mut slice).unwrap();
        b.process_new_packets().unwrap();
    }
}

pub fn theirs_handshake(
    c: &Arc<rustls::ClientConfig>,
    s: &Arc<rustls::ServerConfig>,
) -> (rustls::ClientConnection, rustls::ServerConnection) {
    let mut client =
        rustls::ClientConnection::new(c.clone(), "localhost".try_into().unwrap()).unwrap();
    let mut server = rustls::ServerConnection::new(s.clone()).unwrap();
    let mut buf = Vec::new();
    while client.is_handshaking()
        || server.is_handshaking()
        || client.wants_write()
        || server.wants_write()
    {
        theirs_pump(&mut client, &mut server, &mut buf);
        theirs_pump(&mut server, &mut client, &mut buf);
    }
    (client, server)
}

// ---------------- the table ----------------

pub struct Row {
    pub name: String,
    pub ours: f64,
    pub theirs: f64,
    pub floor: Option<f64>,
    pub unit: &'static str,
}

pub fn print(rows: &[Row]) {
    let w = rows.iter().map(|r| r.name.len()).max().unwrap_or(0).max(9);
    println!(
        "| {:<w$} | {:>12} | {:>12} | {:>12} | {:>9} | {:>8} |",
        "benchmark", "cloaktls", "rustls", "ring floor", "vs rustls", "vs ring"
    );
    println!(
        "|{:-<w2$}|{:->14}|{:->14}|{:->14}|{:->11}|{:->10}|",
        "",
        "",
        "",
        "",
        "",
        "",
        w2 = w + 2
    );
    for r in rows {
        let fmt = |v: f64| match r.unit {
            "us" => format!("{:.1} us", v / 1000.0),
            "MB/s" => format!("{:.0} MB/s", 16384.0 / v * 1000.0),
            "MB/s 1K" => format!("{:.0} MB/s", 1024.0 / v * 1000.0),
            _ => format!("{v:.0} {}", r.unit),
        };
        let (vs_rustls, vs_ring) = match r.unit {
            "us" | "MB/s" | "MB/s 1K" => (
                format!("{:.2}", r.theirs / r.ours),
                r.floor
                    .map(|f| format!("{:.2}", f / r.ours))
                    .unwrap_or_else(|| "-".into()),
            ),
            // Memory: lower is better; ours over theirs.
            _ => (format!("{:.2}", r.ours / r.theirs.max(1.0)), "-".into()),
        };
        println!(
            "| {:<w$} | {:>12} | {:>12} | {:>12} | {:>9} | {:>8} |",
            r.name,
            fmt(r.ours),
            fmt(r.theirs),
            r.floor.map(fmt).unwrap_or_else(|| "-".into()),
            vs_rustls,
            vs_ring
        );
    }
}

pub fn oc_roots(pki: &Pki) -> RootStore {
    let mut roots = RootStore::empty();
    roots.add(&pki.ca_der).unwrap();
    roots
}
