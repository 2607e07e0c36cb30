//! A throwaway PKI and configurations for the tokio tests.
#![allow(dead_code)]

use cloaktls::verify::RootStore;
use cloaktls::{CertifiedKey, ClientConfig, ServerConfig};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use std::sync::Arc;

pub struct Pki {
    pub roots: RootStore,
    ca: rcgen::Certificate,
    ca_key: KeyPair,
}

impl Pki {
    pub fn new() -> Pki {
        let ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name
            .push(DnType::CommonName, "cloaktls-tokio test CA");
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = p.self_signed(&ca_key).unwrap();
        let mut roots = RootStore::empty();
        roots.add(ca.der()).unwrap();
        Pki { roots, ca, ca_key }
    }

    /// The CA certificate in PEM, written to a fresh file.
    pub fn ca_file(&self, name: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("cloaktls-tokio-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ca.pem");
        std::fs::write(&path, self.ca.pem()).unwrap();
        path
    }

    /// A server certificate and key for `names`, in PEM files in `dir`.
    pub fn leaf_files(
        &self,
        dir: &std::path::Path,
        names: &[&str],
    ) -> (std::path::PathBuf, std::path::PathBuf) {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut p = CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .unwrap();
        p.distinguished_name.push(DnType::CommonName, names[0]);
        let cert = p.signed_by(&key, &self.ca, &self.ca_key).unwrap();
        let (c, k) = (dir.join("leaf.pem"), dir.join("leaf.key"));
        std::fs::write(&c, cert.pem()).unwrap();
        std::fs::write(&k, key.serialize_pem()).unwrap();
        (c, k)
    }

    /// A server certificate for `names`.
    pub fn leaf(&self, names: &[&str]) -> CertifiedKey {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut p = CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .unwrap();
        p.distinguished_name.push(DnType::CommonName, names[0]);
        let cert = p.signed_by(&key, &self.ca, &self.ca_key).unwrap();
        CertifiedKey::from_der(vec![cert.der().to_vec()], &key.serialize_der()).unwrap()
    }

    pub fn server(&self) -> Arc<ServerConfig> {
        ServerConfig::builder(self.leaf(&["localhost"]))
            .alpn_protocols(&["h2", "http/1.1"])
            .build()
            .unwrap()
    }

    pub fn client(&self) -> Arc<ClientConfig> {
        ClientConfig::builder(self.roots.clone()).build().unwrap()
    }
}

/// A loopback listener and its address.
pub async fn listener() -> (tokio::net::TcpListener, std::net::SocketAddr) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let a = l.local_addr().unwrap();
    (l, a)
}
