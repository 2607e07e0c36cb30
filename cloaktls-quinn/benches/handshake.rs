//! A full QUIC handshake with quinn over UDP on loopback, in one process:
//! quinn with cloaktls on both sides against quinn with rustls on both
//! sides, like for like (ECDSA P-256, X25519, TLS_AES_128_GCM_SHA256, no
//! resumption, two tickets from each server). Each handshake runs to the
//! end on both sides (the server's connection established) before the
//! next starts; client and server share one thread, whose CPU time is
//! all the work of both sides: TLS, quinn and the UDP system calls. The
//! contenders take turns handshake by handshake, and each keeps its best
//! round. "vs rustls" is
//! rustls's time over ours (above 1: cloaktls is faster). The first row
//! validates the server's chain every time, as rustls does; the second
//! uses cloaktls's default verifier, which remembers verified chains.
//!
//! `cargo bench -p cloaktls-quinn`; BENCH_N sets the handshakes per round
//! (200), BENCH_ROUNDS the rounds (9).

use quinn::crypto::rustls::{QuicClientConfig as RustlsClient, QuicServerConfig as RustlsServer};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

struct Pki {
    ca: Vec<u8>,
    leaf: Vec<u8>,
    key: Vec<u8>,
}

fn pki() -> Pki {
    let ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::CommonName, "bench ca");
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = p.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let p = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    let leaf = p.signed_by(&key, &ca, &ca_key).unwrap();
    Pki {
        ca: ca.der().to_vec(),
        leaf: leaf.der().to_vec(),
        key: key.serialize_der(),
    }
}

/// cloaktls's configurations; `chain_cache`: the default verifier, which
/// remembers the chains it verified (so from the second handshake on, no
/// path validation), or one that validates every time, as rustls does.
fn cloaktls_configs(pki: &Pki, chain_cache: bool) -> (quinn::ClientConfig, quinn::ServerConfig) {
    use cloaktls::{CipherSuite, NamedGroup};
    let mut roots = cloaktls::RootStore::empty();
    roots.add(&pki.ca).unwrap();
    let mut verifier = cloaktls::verify::WebPkiServerVerifier::new(Arc::new(roots));
    if !chain_cache {
        verifier = verifier.with_cache_capacity(0);
    }
    let c = cloaktls::ClientConfig::builder_with_webpki(verifier)
        .alpn_protocols(["bench"])
        .groups(&[NamedGroup::X25519])
        .cipher_suites(&[CipherSuite::TLS13_AES_128_GCM_SHA256])
        // quinn's rustls compresses no certificate by default.
        .certificate_compression(&[])
        .session_store(None)
        .build()
        .unwrap();
    let ck = cloaktls::CertifiedKey::from_der(vec![pki.leaf.clone()], &pki.key).unwrap();
    let s = cloaktls::ServerConfig::builder(ck)
        .alpn_protocols(["bench"])
        .groups(&[NamedGroup::X25519])
        .cipher_suites(&[CipherSuite::TLS13_AES_128_GCM_SHA256])
        .build()
        .unwrap();
    let client =
        quinn::ClientConfig::new(Arc::new(cloaktls_quinn::QuicClientConfig::new(c).unwrap()));
    let server =
        cloaktls_quinn::server_config(Arc::new(cloaktls_quinn::QuicServerConfig::new(s).unwrap()))
            .unwrap();
    (client, server)
}

fn rustls_configs(pki: &Pki) -> (quinn::ClientConfig, quinn::ServerConfig) {
    use rustls::crypto::ring as provider;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let p = Arc::new(rustls::crypto::CryptoProvider {
        cipher_suites: vec![provider::cipher_suite::TLS13_AES_128_GCM_SHA256],
        kx_groups: vec![provider::kx_group::X25519],
        ..provider::default_provider()
    });
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from(pki.ca.clone())).unwrap();
    let mut c = rustls::ClientConfig::builder_with_provider(p.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    c.alpn_protocols = vec![b"bench".to_vec()];
    c.resumption = rustls::client::Resumption::disabled();
    let mut s = rustls::ServerConfig::builder_with_provider(p)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(pki.leaf.clone())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.key.clone())),
        )
        .unwrap();
    s.alpn_protocols = vec![b"bench".to_vec()];
    let client = quinn::ClientConfig::new(Arc::new(RustlsClient::try_from(c).unwrap()));
    let server = quinn::ServerConfig::with_crypto(Arc::new(RustlsServer::try_from(s).unwrap()));
    (client, server)
}

/// A client and a server endpoint on loopback; the server reports each
/// established connection.
struct Pair {
    client: quinn::Endpoint,
    config: quinn::ClientConfig,
    addr: SocketAddr,
    done: tokio::sync::mpsc::UnboundedReceiver<()>,
}

fn pair(configs: (quinn::ClientConfig, quinn::ServerConfig)) -> Pair {
    let (config, server_config) = configs;
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let server = quinn::Endpoint::new(
        quinn::EndpointConfig::default(),
        Some(server_config),
        sock,
        Arc::new(quinn::TokioRuntime),
    )
    .unwrap();
    let addr = server.local_addr().unwrap();
    let (tx, done) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(incoming) = server.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let conn = incoming.await.unwrap();
                let _ = tx.send(());
                // Keep it until the client closes.
                let _ = conn.closed().await;
            });
        }
    });
    let client = quinn::Endpoint::new(
        quinn::EndpointConfig::default(),
        None,
        std::net::UdpSocket::bind("127.0.0.1:0").unwrap(),
        Arc::new(quinn::TokioRuntime),
    )
    .unwrap();
    Pair {
        client,
        config,
        addr,
        done,
    }
}

/// This thread's CPU time: with client and server on one thread, all the
/// work of both, and none of what other processes on the machine do.
fn cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec for clock_gettime to fill.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "CLOCK_THREAD_CPUTIME_ID is not available");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// One handshake, to the end on both sides; its CPU time.
async fn one(p: &mut Pair) -> Duration {
    let start = cpu();
    let conn = p
        .client
        .connect_with(p.config.clone(), p.addr, "localhost")
        .unwrap()
        .await
        .unwrap();
    p.done.recv().await.unwrap();
    conn.close(0u32.into(), b"");
    cpu() - start
}

/// `n` handshakes of each contender, taken in turn (so that load from
/// elsewhere falls on all of them alike); the CPU time per handshake of
/// each.
async fn round(pairs: &mut [Pair], n: u32) -> Vec<Duration> {
    let mut total = vec![Duration::ZERO; pairs.len()];
    for _ in 0..n {
        for (t, p) in total.iter_mut().zip(pairs.iter_mut()) {
            *t += one(p).await;
        }
    }
    total.into_iter().map(|t| t / n).collect()
}

fn main() {
    let n: u32 = std::env::var("BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let pki = pki();
        let mut pairs = [
            pair(cloaktls_configs(&pki, false)),
            pair(cloaktls_configs(&pki, true)),
            pair(rustls_configs(&pki)),
        ];
        round(&mut pairs, 10).await; // warm up
        let rounds: u32 = std::env::var("BENCH_ROUNDS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(9);
        let mut best = [Duration::MAX; 3];
        for _ in 0..rounds {
            for (b, t) in best.iter_mut().zip(round(&mut pairs, n).await) {
                *b = (*b).min(t);
            }
        }
        let us = |d: Duration| d.as_secs_f64() * 1e6;
        println!(
            "{:<62} {:>12} {:>12} {:>9}",
            "QUIC, quinn 0.11 over loopback, one thread's CPU time",
            "cloaktls",
            "rustls",
            "vs rustls"
        );
        for (name, ours) in [
            ("full handshake, ECDSA P-256, X25519, AES-128-GCM", best[0]),
            ("  the same, with cloaktls's verified-chain cache", best[1]),
        ] {
            println!(
                "{name:<62} {:>9.0} µs {:>9.0} µs {:>9.2}",
                us(ours),
                us(best[2]),
                us(best[2]) / us(ours)
            );
        }
    });
}
