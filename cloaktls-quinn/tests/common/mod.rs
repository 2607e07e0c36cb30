//! What the quinn tests share: a throwaway PKI, quinn endpoints with
//! cloaktls or rustls as their TLS, and an echo server.
#![allow(dead_code)]

use quinn::crypto::rustls::{QuicClientConfig as RustlsClient, QuicServerConfig as RustlsServer};
use quinn::{ConnectionError, Endpoint, Incoming};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::net::SocketAddr;
use std::sync::Arc;

/// Which TLS a quinn endpoint runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    Cloak,
    Rustls,
}

/// A CA and a certificate for localhost issued by it.
pub struct Pki {
    pub ca: Vec<u8>,
    pub chain: Vec<Vec<u8>>,
    pub key: Vec<u8>,
}

impl Pki {
    pub fn new(name: &str) -> Pki {
        let ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name.push(DnType::CommonName, name);
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = p.self_signed(&ca_key).unwrap();
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut p = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        p.distinguished_name.push(DnType::CommonName, "localhost");
        let cert = p.signed_by(&key, &ca, &ca_key).unwrap();
        Pki {
            ca: ca.der().to_vec(),
            chain: vec![cert.der().to_vec()],
            key: key.serialize_der(),
        }
    }

    /// The CA and the server certificate as PEM files in `dir`, for peers
    /// in other languages.
    pub fn write_pem(&self, dir: &std::path::Path) -> (String, String, String) {
        let pem = |tag: &str, der: &[u8]| {
            let b64 = base64(der);
            let mut s = format!("-----BEGIN {tag}-----\n");
            for line in b64.as_bytes().chunks(64) {
                s.push_str(std::str::from_utf8(line).unwrap());
                s.push('\n');
            }
            s.push_str(&format!("-----END {tag}-----\n"));
            s
        };
        let ca = dir.join("ca.pem");
        let cert = dir.join("cert.pem");
        let key = dir.join("key.pem");
        std::fs::write(&ca, pem("CERTIFICATE", &self.ca)).unwrap();
        std::fs::write(&cert, pem("CERTIFICATE", &self.chain[0])).unwrap();
        std::fs::write(&key, pem("PRIVATE KEY", &self.key)).unwrap();
        let s = |p: std::path::PathBuf| p.to_string_lossy().into_owned();
        (s(ca), s(cert), s(key))
    }
}

fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in data.chunks(3) {
        let b = [c[0], *c.get(1).unwrap_or(&0), *c.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= c.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn rustls_provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A quinn client configuration with `tls` as its TLS, trusting `pki`'s CA.
pub fn client_config(tls: Tls, pki: &Pki, alpn: &str) -> quinn::ClientConfig {
    match tls {
        Tls::Cloak => {
            let mut roots = cloaktls::RootStore::empty();
            roots.add(&pki.ca).unwrap();
            let c = cloaktls::ClientConfig::builder(roots)
                .alpn_protocols([alpn])
                .early_data(true)
                .build()
                .unwrap();
            quinn::ClientConfig::new(Arc::new(cloaktls_quinn::QuicClientConfig::new(c).unwrap()))
        }
        Tls::Rustls => {
            let mut roots = rustls::RootCertStore::empty();
            roots.add(CertificateDer::from(pki.ca.clone())).unwrap();
            let mut c = rustls::ClientConfig::builder_with_provider(rustls_provider())
                .with_protocol_versions(&[&rustls::version::TLS13])
                .unwrap()
                .with_root_certificates(roots)
                .with_no_client_auth();
            c.alpn_protocols = vec![alpn.as_bytes().to_vec()];
            c.enable_early_data = true;
            quinn::ClientConfig::new(Arc::new(RustlsClient::try_from(c).unwrap()))
        }
    }
}

/// A quinn server configuration with `tls` as its TLS.
pub fn server_config(tls: Tls, pki: &Pki, alpn: &str) -> quinn::ServerConfig {
    match tls {
        Tls::Cloak => {
            let ck = cloaktls::CertifiedKey::from_der(pki.chain.clone(), &pki.key).unwrap();
            let c = cloaktls::ServerConfig::builder(ck)
                .alpn_protocols([alpn])
                .max_early_data(16384)
                .build()
                .unwrap();
            let crypto = cloaktls_quinn::QuicServerConfig::new(c).unwrap();
            cloaktls_quinn::server_config(Arc::new(crypto)).unwrap()
        }
        Tls::Rustls => {
            let chain = pki
                .chain
                .iter()
                .map(|c| CertificateDer::from(c.clone()))
                .collect();
            let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.key.clone()));
            let mut c = rustls::ServerConfig::builder_with_provider(rustls_provider())
                .with_protocol_versions(&[&rustls::version::TLS13])
                .unwrap()
                .with_no_client_auth()
                .with_single_cert(chain, key)
                .unwrap();
            c.alpn_protocols = vec![alpn.as_bytes().to_vec()];
            c.max_early_data_size = u32::MAX;
            quinn::ServerConfig::with_crypto(Arc::new(RustlsServer::try_from(c).unwrap()))
        }
    }
}

/// An endpoint on 127.0.0.1 (a server if `server` is given).
pub fn endpoint(tls: Tls, server: Option<quinn::ServerConfig>) -> Endpoint {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let config = match tls {
        Tls::Cloak => cloaktls_quinn::endpoint_config().unwrap(),
        Tls::Rustls => quinn::EndpointConfig::default(),
    };
    Endpoint::new(config, server, socket, Arc::new(quinn::TokioRuntime)).unwrap()
}

/// What the echo server saw of one connection.
#[derive(Debug)]
pub struct Served {
    pub alpn: Option<Vec<u8>>,
    pub error: Option<ConnectionError>,
    pub bytes: usize,
}

/// The ALPN protocol quinn reports, whichever TLS made it.
pub fn alpn_of(conn: &quinn::Connection) -> Option<Vec<u8>> {
    let data = conn.handshake_data()?;
    let data = match data.downcast::<cloaktls_quinn::HandshakeData>() {
        Ok(d) => return d.protocol,
        Err(d) => d,
    };
    data.downcast::<quinn::crypto::rustls::HandshakeData>()
        .ok()
        .and_then(|d| d.protocol)
}

/// Serves one connection: every bidirectional stream is echoed, all of it,
/// until the client closes.
pub async fn serve_one(incoming: Incoming, retry: bool) -> Option<Served> {
    if retry && !incoming.remote_address_validated() {
        incoming.retry().unwrap();
        return None;
    }
    let connecting = match incoming.accept() {
        Ok(c) => c,
        Err(e) => {
            return Some(Served {
                alpn: None,
                error: Some(e),
                bytes: 0,
            })
        }
    };
    // 0.5-RTT: take 0-RTT streams before the handshake ends.
    let conn = match connecting.into_0rtt() {
        Ok((conn, _)) => conn,
        Err(connecting) => match connecting.await {
            Ok(c) => c,
            Err(e) => {
                return Some(Served {
                    alpn: None,
                    error: Some(e),
                    bytes: 0,
                })
            }
        },
    };
    let mut bytes = 0;
    let error = loop {
        match conn.accept_bi().await {
            Ok((mut send, mut recv)) => {
                let data = recv.read_to_end(4 << 20).await.unwrap();
                bytes += data.len();
                send.write_all(&data).await.unwrap();
                send.finish().unwrap();
            }
            Err(e) => break e,
        }
    };
    let error = match error {
        ConnectionError::ApplicationClosed(_) => None,
        e => Some(e),
    };
    Some(Served {
        alpn: alpn_of(&conn),
        error,
        bytes,
    })
}

/// A server for `n` connections (Retry packets do not count); its reports
/// arrive on the receiver.
pub fn echo_server(
    tls: Tls,
    pki: &Pki,
    alpn: &str,
    n: usize,
    retry: bool,
) -> (
    SocketAddr,
    tokio::sync::mpsc::UnboundedReceiver<Served>,
    Endpoint,
) {
    let ep = endpoint(tls, Some(server_config(tls, pki, alpn)));
    let addr = ep.local_addr().unwrap();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let server = ep.clone();
    tokio::spawn(async move {
        let mut served = 0;
        while served < n {
            let Some(incoming) = server.accept().await else {
                break;
            };
            let tx = tx.clone();
            if retry && !incoming.remote_address_validated() {
                serve_one(incoming, true).await;
                continue;
            }
            served += 1;
            tokio::spawn(async move {
                if let Some(s) = serve_one(incoming, false).await {
                    let _ = tx.send(s);
                }
            });
        }
    });
    (addr, rx, ep)
}

/// `len` bytes of a pattern that shows misplaced or lost bytes.
pub fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 + i / 251) as u8).collect()
}

/// Sends `data` on a new stream, finishes it, and reads the echo.
pub async fn echo(conn: &quinn::Connection, data: &[u8]) -> Vec<u8> {
    let (mut send, mut recv) = conn.open_bi().await.unwrap();
    send.write_all(data).await.unwrap();
    send.finish().unwrap();
    recv.read_to_end(4 << 20).await.unwrap()
}
