//! A full QUIC handshake with quinn over UDP on loopback, in one process:
//! quinn with cloaktls on both sides against quinn with rustls on both
//! sides, like for like (ECDSA P-256, X25519, TLS_AES_128_GCM_SHA256, no
//! resumption, two tickets from each server). Each handshake runs to the
//! end on both sides (the server's connection established) before the
//! next starts; client and server share one thread. Rounds alternate
//! between the two, and each keeps its best round.
//!
//! `cargo bench -p cloaktls-quinn`; BENCH_N sets handshakes per round.

use quinn::crypto::rustls::{QuicClientConfig as RustlsClient, QuicServerConfig as RustlsServer};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

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

fn cloaktls_configs(pki: &Pki) -> (quinn::ClientConfig, quinn::ServerConfig) {
    use cloaktls::{CipherSuite, NamedGroup};
    let mut roots = cloaktls::RootStore::empty();
    roots.add(&pki.ca).unwrap();
    let c = cloaktls::ClientConfig::builder(roots)
        .alpn_protocols(["bench"])
        .groups(&[NamedGroup::X25519])
        .cipher_suites(&[CipherSuite::TLS13_AES_128_GCM_SHA256])
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

/// `n` handshakes one after another; the time per handshake.
async fn round(p: &mut Pair, n: u32) -> Duration {
    let start = Instant::now();
    for _ in 0..n {
        let conn = p
            .client
            .connect_with(p.config.clone(), p.addr, "localhost")
            .unwrap()
            .await
            .unwrap();
        p.done.recv().await.unwrap();
        conn.close(0u32.into(), b"");
    }
    start.elapsed() / n
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
        let mut ours = pair(cloaktls_configs(&pki));
        let mut theirs = pair(rustls_configs(&pki));
        // Warm up both.
        round(&mut ours, 10).await;
        round(&mut theirs, 10).await;
        let (mut best_ours, mut best_theirs) = (Duration::MAX, Duration::MAX);
        for _ in 0..5 {
            best_ours = best_ours.min(round(&mut ours, n).await);
            best_theirs = best_theirs.min(round(&mut theirs, n).await);
        }
        let us = |d: Duration| d.as_secs_f64() * 1e6;
        println!(
            "{:<58} {:>12} {:>12} {:>7}",
            "QUIC (quinn, loopback, one thread)", "cloaktls", "rustls", "ratio"
        );
        println!(
            "{:<58} {:>9.0} µs {:>9.0} µs {:>7.2}",
            "full handshake, ECDSA P-256, X25519, AES-128-GCM",
            us(best_ours),
            us(best_theirs),
            us(best_ours) / us(best_theirs)
        );
        println!(
            "{:<58} {:>8.0}/s {:>10.0}/s",
            "  handshakes per second",
            1e6 / us(best_ours),
            1e6 / us(best_theirs)
        );
    });
}
