//! `cloak demo`: a throwaway CA and certificate, a server on loopback, and
//! a client that connects with TLS 1.3 and then TLS 1.2.

use crate::options::{report, version_name};
use crate::summary::summary;
use crate::Failure;
use cloaktls::stream::{ClientStream, ServerStream};
use cloaktls::verify::RootStore;
use cloaktls::{CertifiedKey, ClientConfig, ProtocolVersion, ServerConfig};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Instant;

/// A CA and a certificate for localhost issued by it, made in memory.
pub(crate) fn demo_pki() -> Result<(RootStore, CertifiedKey), Failure> {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    let ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "cloak demo CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key)?;
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
    let names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
    let mut params = CertificateParams::new(names)?;
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    let cert = params.signed_by(&key, &ca, &ca_key)?;
    let mut roots = RootStore::empty();
    roots.add(ca.der())?;
    let ck = CertifiedKey::from_der(vec![cert.der().to_vec()], &key.serialize_der())?;
    Ok((roots, ck))
}

/// The server side: one connection per version, each echoing a line.
fn serve(
    listener: TcpListener,
    config: std::sync::Arc<ServerConfig>,
    n: usize,
) -> Result<(), String> {
    for _ in 0..n {
        let (sock, _) = listener.accept().map_err(|e| e.to_string())?;
        let mut tls = ServerStream::accept(config.clone(), sock).map_err(|e| e.to_string())?;
        let mut line = Vec::new();
        let mut byte = [0u8; 1];
        while tls.read(&mut byte).map_err(|e| e.to_string())? == 1 && byte[0] != b'\n' {
            line.push(byte[0]);
        }
        let reply = format!(
            "the server got {} bytes: {}\n",
            line.len(),
            String::from_utf8_lossy(&line)
        );
        tls.write_all(reply.as_bytes()).map_err(|e| e.to_string())?;
        tls.close().map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Runs the demo.
pub fn run() -> Result<(), Failure> {
    let (roots, cert) = demo_pki()?;
    let server_cfg = ServerConfig::builder(cert)
        .alpn_protocols(["cloak-demo"])
        .build()?;
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    println!("cloak demo: a throwaway CA and a certificate for localhost, made in memory");
    println!("server listening on {addr}");
    let versions = [ProtocolVersion::TLSV1_3, ProtocolVersion::TLSV1_2];
    let server = std::thread::spawn(move || serve(listener, server_cfg, versions.len()));
    for v in versions {
        let cfg = ClientConfig::builder(roots.clone())
            .versions(&[v])
            .alpn_protocols(["cloak-demo"])
            .build()?;
        let sock = TcpStream::connect(addr)?;
        let start = Instant::now();
        let mut tls = ClientStream::connect(cfg, "localhost", sock).map_err(|e| {
            report(&e);
            Failure::Reported
        })?;
        let took = start.elapsed();
        let msg = format!("hello over {}\n", version_name(Some(v)));
        tls.write_all(msg.as_bytes())?;
        let mut reply = String::new();
        tls.read_to_string(&mut reply)?;
        println!(
            "\n== {} handshake in {:.2} ms ==",
            version_name(Some(v)),
            took.as_secs_f64() * 1000.0
        );
        print!("{}", summary(tls.conn()));
        println!("client sent: {}", msg.trim_end());
        println!("server replied: {}", reply.trim_end());
    }
    server
        .join()
        .map_err(|_| Failure::Message("the demo server panicked".into()))??;
    println!("\ndemo complete: TLS 1.3 and TLS 1.2 both negotiated and carried data both ways");
    Ok(())
}
