//! Mutual TLS, self-contained: `cargo run --example mtls`. A CA, a server
//! certificate and a client certificate are made in memory; the server
//! requires a client certificate issued by the CA, and each side prints
//! the other's certificate.

use cloaktls::config::ClientAuth;
use cloaktls::stream::{ClientStream, ServerStream};
use cloaktls::verify::RootStore;
use cloaktls::{CertifiedKey, ClientConfig, ServerConfig};
use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

fn issue(
    name: &str,
    usage: ExtendedKeyUsagePurpose,
    ca: &rcgen::Certificate,
    ca_key: &KeyPair,
) -> Result<CertifiedKey, Box<dyn std::error::Error>> {
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
    let mut params = CertificateParams::new(vec![name.to_string()])?;
    params.distinguished_name.push(DnType::CommonName, name);
    params.extended_key_usages = vec![usage];
    let cert = params.signed_by(&key, ca, ca_key)?;
    Ok(CertifiedKey::from_der(
        vec![cert.der().to_vec()],
        &key.serialize_der(),
    )?)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "example mTLS CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key)?;
    let mut roots = RootStore::empty();
    roots.add(ca.der())?;

    let server_cert = issue(
        "localhost",
        ExtendedKeyUsagePurpose::ServerAuth,
        &ca,
        &ca_key,
    )?;
    let client_cert = issue("alice", ExtendedKeyUsagePurpose::ClientAuth, &ca, &ca_key)?;
    let server_config = ServerConfig::builder(server_cert)
        .client_auth(ClientAuth::required(roots.clone()))
        .build()?;
    let client_config = ClientConfig::builder(roots)
        .client_certificate(client_cert)
        .build()?;

    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let server = std::thread::spawn(move || -> Result<(), String> {
        let (sock, _) = listener.accept().map_err(|e| e.to_string())?;
        let mut tls = ServerStream::accept(server_config, sock).map_err(|e| e.to_string())?;
        let who = tls
            .conn()
            .peer_certificate_summary()
            .and_then(|s| s.common_name().map(str::to_string));
        println!("server: the client is {}", who.unwrap_or_default());
        let mut buf = [0u8; 64];
        let n = tls.read(&mut buf).map_err(|e| e.to_string())?;
        tls.write_all(&buf[..n]).map_err(|e| e.to_string())?;
        tls.close().map_err(|e| e.to_string())
    });

    let mut tls = ClientStream::connect(client_config, "localhost", TcpStream::connect(addr)?)?;
    if let Some(s) = tls.conn().peer_certificate_summary() {
        println!("client: the server's certificate:\n{s}");
    }
    tls.write_all(b"hello over mutual TLS")?;
    let mut reply = String::new();
    tls.read_to_string(&mut reply)?;
    println!("client: echoed back: {reply}");
    tls.close()?;
    server.join().map_err(|_| "server thread panicked")??;
    Ok(())
}
