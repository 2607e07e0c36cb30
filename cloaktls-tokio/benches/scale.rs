//! cloaktls-tokio beside tokio-rustls (rustls 0.23 on ring), over loopback
//! TCP on one tokio runtime (two worker threads): handshakes per second
//! with 64 concurrent clients, echo throughput over 64 connections, and
//! the server's resident memory per idle connection with 10,000 of them
//! open. Each library's client talks to its own server; TLS 1.3, ECDSA
//! P-256, X25519, AES-128-GCM, no resumption and no chain cache on either
//! side, so both do the same work.
//!
//! `cargo bench -p cloaktls-tokio --bench scale`; `BENCH_MS` sets the time
//! per measurement (default 3000), `BENCH_IDLE` the idle connections
//! (default 10000).

use cloaktls::verify::{RootStore, WebPkiServerVerifier};
use cloaktls::{CertifiedKey, CipherSuite, ClientConfig, NamedGroup, ServerConfig};
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const CONCURRENCY: usize = 64;
const CHUNK: usize = 16 * 1024;

/// The PKI, from fixed files written by the parent for the child.
struct Pki {
    ca: Vec<u8>,
    leaf: Vec<u8>,
    key: Vec<u8>,
}

fn make_pki() -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = p.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .signed_by(&key, &ca, &ca_key)
        .unwrap();
    Pki {
        ca: ca.der().to_vec(),
        leaf: leaf.der().to_vec(),
        key: key.serialize_der(),
    }
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Lib {
    Ours,
    Theirs,
    /// TCP alone: the harness's own cost per connection.
    Plain,
}

// ---------------- configurations ----------------

fn ours_server(pki: &Pki) -> Arc<ServerConfig> {
    ServerConfig::builder(CertifiedKey::from_der(vec![pki.leaf.clone()], &pki.key).unwrap())
        .cipher_suites(&[CipherSuite::TLS13_AES_128_GCM_SHA256])
        .groups(&[NamedGroup::X25519])
        .versions(&[cloaktls::ProtocolVersion::TLSV1_3])
        .tickets(0)
        .build()
        .unwrap()
}

fn ours_client(pki: &Pki) -> Arc<ClientConfig> {
    let mut roots = RootStore::empty();
    roots.add(&pki.ca).unwrap();
    ClientConfig::builder_with_webpki(
        WebPkiServerVerifier::new(Arc::new(roots)).with_cache_capacity(0),
    )
    .cipher_suites(&[CipherSuite::TLS13_AES_128_GCM_SHA256])
    .groups(&[NamedGroup::X25519])
    // tokio-rustls compresses no certificate by default: the same work.
    .certificate_compression(&[])
    .versions(&[cloaktls::ProtocolVersion::TLSV1_3])
    .session_store(None)
    .build()
    .unwrap()
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    let mut p = rustls::crypto::ring::default_provider();
    p.kx_groups = vec![rustls::crypto::ring::kx_group::X25519];
    p.cipher_suites
        .retain(|s| s.suite() == rustls::CipherSuite::TLS13_AES_128_GCM_SHA256);
    Arc::new(p)
}

fn theirs_server(pki: &Pki) -> Arc<rustls::ServerConfig> {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let mut c = rustls::ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(pki.leaf.clone())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.key.clone())),
        )
        .unwrap();
    c.send_tls13_tickets = 0;
    Arc::new(c)
}

fn theirs_client(pki: &Pki) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from(pki.ca.clone()))
        .unwrap();
    let mut c = rustls::ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    c.resumption = rustls::client::Resumption::disabled();
    Arc::new(c)
}

// ---------------- servers ----------------

/// What a server does with each connection.
#[derive(Clone, Copy, PartialEq)]
enum Work {
    /// Write one byte, then close.
    Greet,
    /// Echo until the client closes.
    Echo,
    /// Hold the connection open, idle, until the client closes.
    Idle,
}

async fn serve<S>(mut tls: S, work: Work)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    match work {
        Work::Greet => {
            let _ = tls.write_all(b"x").await;
            let _ = tls.shutdown().await;
        }
        Work::Echo => {
            let mut buf = vec![0u8; CHUNK];
            while let Ok(n) = tls.read(&mut buf).await {
                if n == 0 || tls.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
        }
        Work::Idle => {
            let mut b = [0u8; 1];
            let _ = tls.read(&mut b).await;
        }
    }
}

/// A server of `lib` on a fresh port. Each library's accept loop is its
/// own function, so a connection's task holds only its own library's
/// state (one generic task would be as large as the largest of them).
async fn server(lib: Lib, pki: &Pki, work: Work) -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    match lib {
        Lib::Ours => {
            tokio::spawn(serve_ours(
                l,
                cloaktls_tokio::TlsAcceptor::from(ours_server(pki)),
                work,
            ));
        }
        Lib::Theirs => {
            tokio::spawn(serve_theirs(
                l,
                tokio_rustls::TlsAcceptor::from(theirs_server(pki)),
                work,
            ));
        }
        Lib::Plain => {
            tokio::spawn(serve_plain(l, work));
        }
    }
    addr
}

async fn serve_ours(l: TcpListener, acceptor: cloaktls_tokio::TlsAcceptor, work: Work) {
    loop {
        let Ok((tcp, _)) = l.accept().await else {
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            if let Ok(handshake) = acceptor.accept(tcp) {
                if let Ok(tls) = handshake.await {
                    serve(tls, work).await;
                }
            }
        });
    }
}

async fn serve_theirs(l: TcpListener, acceptor: tokio_rustls::TlsAcceptor, work: Work) {
    loop {
        let Ok((tcp, _)) = l.accept().await else {
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            if let Ok(tls) = acceptor.accept(tcp).await {
                serve(tls, work).await;
            }
        });
    }
}

async fn serve_plain(l: TcpListener, work: Work) {
    loop {
        let Ok((tcp, _)) = l.accept().await else {
            continue;
        };
        tokio::spawn(serve(tcp, work));
    }
}

// ---------------- clients ----------------

/// Handshakes with each client library.
#[derive(Clone)]
struct Clients {
    ours: cloaktls_tokio::TlsConnector,
    theirs: tokio_rustls::TlsConnector,
}

impl Clients {
    fn new(pki: &Pki) -> Self {
        Clients {
            ours: cloaktls_tokio::TlsConnector::from(ours_client(pki)),
            theirs: tokio_rustls::TlsConnector::from(theirs_client(pki)),
        }
    }
}

/// Runs `f` on a connection of `lib` to `addr`, after its handshake.
async fn with_connection<F, Fut>(lib: Lib, clients: &Clients, addr: SocketAddr, f: F)
where
    F: FnOnce(Box<dyn Stream>) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let tcp = TcpStream::connect(addr).await.unwrap();
    let _ = tcp.set_nodelay(true);
    match lib {
        Lib::Ours => {
            let tls = clients
                .ours
                .connect("localhost", tcp)
                .unwrap()
                .await
                .unwrap();
            f(Box::new(tls)).await
        }
        Lib::Theirs => {
            let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
            let tls = clients.theirs.connect(name, tcp).await.unwrap();
            f(Box::new(tls)).await
        }
        Lib::Plain => f(Box::new(tcp)).await,
    }
}

/// An async TLS stream of either library.
trait Stream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> Stream for T {}

/// Full handshakes per second: `CONCURRENCY` clients, each connecting,
/// completing the handshake and reading the server's byte, over and over.
async fn handshakes_per_second(lib: Lib, pki: &Pki, clients: &Clients, ms: u64) -> f64 {
    let addr = server(lib, pki, Work::Greet).await;
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_millis(ms);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENCY {
        let (clients, done) = (clients.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                with_connection(lib, &clients, addr, |mut tls| async move {
                    let mut b = [0u8; 1];
                    tls.read_exact(&mut b).await.unwrap();
                })
                .await;
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

/// Echo throughput in MB/s over `CONCURRENCY` connections, each writing a
/// 16 KiB chunk and reading it back, over and over.
async fn echo_mb_per_second(lib: Lib, pki: &Pki, clients: &Clients, ms: u64) -> f64 {
    let addr = server(lib, pki, Work::Echo).await;
    let bytes = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    let start = Instant::now();
    let deadline = start + Duration::from_millis(ms);
    for _ in 0..CONCURRENCY {
        let (clients, bytes) = (clients.clone(), bytes.clone());
        tasks.push(tokio::spawn(async move {
            with_connection(lib, &clients, addr, |mut tls| async move {
                let out = vec![0x5au8; CHUNK];
                let mut back = vec![0u8; CHUNK];
                while Instant::now() < deadline {
                    tls.write_all(&out).await.unwrap();
                    tls.flush().await.unwrap();
                    tls.read_exact(&mut back).await.unwrap();
                    bytes.fetch_add(CHUNK as u64, Ordering::Relaxed);
                }
                let _ = tls.shutdown().await;
            })
            .await;
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    bytes.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64() / 1e6
}

// ---------------- memory at scale ----------------

/// The resident memory of process `pid`, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Raises this process's open-file limit to its hard limit.
fn raise_fd_limit() {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit fill and read a valid rlimit.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

/// The child: a server of `lib` holding idle connections, on one worker
/// thread. Prints its address, then its RSS each time a line arrives.
fn child_server(lib: Lib, dir: &str) {
    raise_fd_limit();
    let pki = Pki {
        ca: Vec::new(),
        leaf: std::fs::read(format!("{dir}/leaf.der")).unwrap(),
        key: std::fs::read(format!("{dir}/key.der")).unwrap(),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let addr = rt.block_on(server(lib, &pki, Work::Idle));
    println!("{addr}");
    let stdin = std::io::stdin();
    for _ in stdin.lock().lines() {
        println!("{}", rss_kib(std::process::id()));
    }
}

/// Server RSS per idle connection (KiB) with `n` connections open.
fn idle_memory(
    lib: Lib,
    pki: &Pki,
    clients: &Clients,
    rt: &tokio::runtime::Runtime,
    n: usize,
) -> f64 {
    let dir = std::env::temp_dir().join(format!("cloak-scale-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("leaf.der"), &pki.leaf).unwrap();
    std::fs::write(dir.join("key.der"), &pki.key).unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env("CLOAK_BENCH_ROLE", format!("{lib:?}"))
        .env("CLOAK_BENCH_DIR", &dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut stdin = child.stdin.take().unwrap();
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let addr: SocketAddr = line.trim().parse().unwrap();
    let mut measure = || -> u64 {
        writeln!(stdin, "rss").unwrap();
        let mut l = String::new();
        out.read_line(&mut l).unwrap();
        l.trim().parse().unwrap()
    };
    // One connection first, so that what the server sets up once is not
    // counted against each.
    let held = rt.block_on(open_idle(lib, clients, addr, 1));
    let before = measure();
    let more = rt.block_on(open_idle(lib, clients, addr, n));
    // Let the server finish every handshake.
    std::thread::sleep(Duration::from_millis(500));
    let after = measure();
    drop((held, more));
    let _ = child.kill();
    let _ = child.wait();
    (after.saturating_sub(before)) as f64 / n as f64
}

/// Opens `n` connections to `addr` (32 handshakes at a time) and keeps
/// them.
async fn open_idle(
    lib: Lib,
    clients: &Clients,
    addr: SocketAddr,
    n: usize,
) -> Vec<Box<dyn Stream>> {
    let mut held: Vec<Box<dyn Stream>> = Vec::with_capacity(n);
    let mut left = n;
    while left > 0 {
        let batch = left.min(32);
        let mut tasks = Vec::new();
        for _ in 0..batch {
            let clients = clients.clone();
            tasks.push(tokio::spawn(async move {
                let tcp = TcpStream::connect(addr).await.unwrap();
                let s: Box<dyn Stream> = match lib {
                    Lib::Ours => Box::new(
                        clients
                            .ours
                            .connect("localhost", tcp)
                            .unwrap()
                            .await
                            .unwrap(),
                    ),
                    Lib::Theirs => {
                        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
                        Box::new(clients.theirs.connect(name, tcp).await.unwrap())
                    }
                    Lib::Plain => Box::new(tcp),
                };
                s
            }));
        }
        for t in tasks {
            held.push(t.await.unwrap());
        }
        left -= batch;
    }
    held
}

fn main() {
    if let (Ok(role), Ok(dir)) = (
        std::env::var("CLOAK_BENCH_ROLE"),
        std::env::var("CLOAK_BENCH_DIR"),
    ) {
        let lib = match role.as_str() {
            "Ours" => Lib::Ours,
            "Theirs" => Lib::Theirs,
            _ => Lib::Plain,
        };
        return child_server(lib, &dir);
    }
    raise_fd_limit();
    let ms: u64 = std::env::var("BENCH_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000);
    let idle: usize = std::env::var("BENCH_IDLE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let pki = make_pki();
    let clients = Clients::new(&pki);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    println!("cloaktls-tokio vs tokio-rustls 0.26 (rustls 0.23, ring), loopback TCP, {ms} ms per measurement, best of 3 alternating rounds");
    println!("| benchmark | cloaktls-tokio | tokio-rustls | ratio |");
    println!("|---|---:|---:|---:|");
    let best = |f: &mut dyn FnMut(Lib) -> f64| -> (f64, f64) {
        let (mut o, mut t) = (0f64, 0f64);
        for _ in 0..3 {
            o = o.max(f(Lib::Ours));
            t = t.max(f(Lib::Theirs));
        }
        (o, t)
    };
    let (o, t) = best(&mut |lib| rt.block_on(handshakes_per_second(lib, &pki, &clients, ms / 3)));
    println!(
        "| full handshakes/s, TLS 1.3 ECDSA P-256 X25519, {CONCURRENCY} concurrent clients | {o:.0} | {t:.0} | {:.2} |",
        o / t
    );
    let (o, t) = best(&mut |lib| rt.block_on(echo_mb_per_second(lib, &pki, &clients, ms / 3)));
    println!(
        "| echo MB/s, {CONCURRENCY} connections, 16 KiB writes | {o:.0} | {t:.0} | {:.2} |",
        o / t
    );
    let o = idle_memory(Lib::Ours, &pki, &clients, &rt, idle);
    let t = idle_memory(Lib::Theirs, &pki, &clients, &rt, idle);
    let p = idle_memory(Lib::Plain, &pki, &clients, &rt, idle);
    println!(
        "| server RSS per idle connection, {idle} connections (KiB, lower is better) | {o:.1} | {t:.1} | {:.2} |",
        o / t
    );
    println!(
        "| the same less the harness's TCP-only {p:.1} KiB (TLS's own share) | {:.1} | {:.1} | {:.2} |",
        o - p,
        t - p,
        (o - p) / (t - p)
    );
}
