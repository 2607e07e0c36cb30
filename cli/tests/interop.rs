//! Interop with real peers on loopback: OpenSSL, GnuTLS, Python's `ssl`,
//! curl and rustls, both ways, TLS 1.3 and TLS 1.2. Each test checks that
//! data crosses both ways and that the version, suite, group and ALPN are
//! the ones asked for. gnutls-serv listens on every interface, so the GnuTLS
//! tests run inside a network namespace that has only loopback.

use cloaktls::conn::Received;
use cloaktls::stream::{ClientStream, ServerStream};
use cloaktls::{CertifiedKey, ClientConfig, ServerConfig};
use cloaktls::{CipherSuite, NamedGroup, ProtocolVersion};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

mod common;
use common::*;

const CLOAK: &str = env!("CARGO_BIN_EXE_cloak");
const V13: ProtocolVersion = ProtocolVersion::TLSV1_3;
const V12: ProtocolVersion = ProtocolVersion::TLSV1_2;

/// What our server saw.
#[derive(Debug)]
struct Seen {
    version: Option<ProtocolVersion>,
    suite: Option<CipherSuite>,
    group: Option<NamedGroup>,
    alpn: Option<Vec<u8>>,
    got: Vec<u8>,
}

/// Our server in a thread: accepts one connection, reads one line,
/// answers `echo: LINE`, and closes.
fn our_server(cfg: std::sync::Arc<ServerConfig>) -> (u16, mpsc::Receiver<Result<Seen, String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let r = (|| -> Result<Seen, String> {
            let (sock, _) = listener.accept().map_err(|e| e.to_string())?;
            sock.set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            let mut tls = ServerStream::accept(cfg, sock).map_err(|e| e.to_string())?;
            let mut line = Vec::new();
            let mut b = [0u8; 1];
            while tls.read(&mut b).map_err(|e| e.to_string())? == 1 {
                if b[0] == b'\n' {
                    break;
                }
                line.push(b[0]);
            }
            let mut reply = b"echo: ".to_vec();
            reply.extend_from_slice(&line);
            reply.push(b'\n');
            tls.write_all(&reply).map_err(|e| e.to_string())?;
            tls.send_close_notify().map_err(|e| e.to_string())?;
            let c = tls.conn();
            Ok(Seen {
                version: c.protocol_version(),
                suite: c.cipher_suite(),
                group: c.key_exchange_group(),
                alpn: c.alpn_protocol().map(|a| a.to_vec()),
                got: line,
            })
        })();
        let _ = tx.send(r);
    });
    (port, rx)
}

fn server_cfg(
    key: &CertifiedKey,
    version: ProtocolVersion,
    suite: CipherSuite,
    group: NamedGroup,
) -> std::sync::Arc<ServerConfig> {
    ServerConfig::builder(key.clone())
        .versions(&[version])
        .cipher_suites(&[suite])
        .groups(&[group])
        .alpn_protocols(&["h2", "http/1.1"])
        .build()
        .unwrap()
}

fn client_cfg(
    pki: &Pki,
    version: ProtocolVersion,
    suite: CipherSuite,
    group: NamedGroup,
) -> std::sync::Arc<ClientConfig> {
    ClientConfig::builder(pki.roots.clone())
        .versions(&[version])
        .cipher_suites(&[suite])
        .groups(&[group])
        .alpn_protocols(&["h2"])
        .build()
        .unwrap()
}

// ---------------- our client against their servers ----------------

#[test]
fn our_client_against_openssl_s_server() {
    let pki = make_pki("c-openssl");
    let cases: [(ProtocolVersion, CipherSuite, NamedGroup, &str); 4] = [
        (
            V13,
            CipherSuite::TLS13_AES_256_GCM_SHA384,
            NamedGroup::SECP384R1,
            "ecdsa",
        ),
        (
            V13,
            CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
            NamedGroup::X25519,
            "rsa",
        ),
        (
            V12,
            CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
            NamedGroup::SECP256R1,
            "ecdsa",
        ),
        (
            V12,
            CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            NamedGroup::X25519,
            "rsa",
        ),
    ];
    for (version, suite, group, key) in cases {
        let vflag = if version == V13 { "-tls1_3" } else { "-tls1_2" };
        let server = openssl_server(&pki, key, &[vflag, "-naccept", "1", "-rev", "-alpn", "h2"]);
        let port = server.port;
        let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut tls =
            ClientStream::connect(client_cfg(&pki, version, suite, group), "localhost", sock)
                .unwrap_or_else(|e| panic!("{version:?} {:?}: {e}", suite));
        let c = tls.conn();
        assert_eq!(c.protocol_version(), Some(version));
        assert_eq!(c.cipher_suite(), Some(suite));
        assert_eq!(c.key_exchange_group(), Some(group));
        assert_eq!(c.alpn_protocol(), Some(&b"h2"[..]));
        // s_server -rev answers each line reversed.
        tls.write_all(b"cloaktls\n").unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 256];
        while !got.windows(8).any(|w| w == b"sltkaolc") {
            let n = tls.read(&mut buf).unwrap();
            assert!(n > 0, "the server closed early");
            got.extend_from_slice(&buf[..n]);
        }
    }
}

#[test]
fn our_client_against_python_ssl_server() {
    let pki = make_pki("c-python");
    for version in [V13, V12] {
        let script = format!(
            r#"
import socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain("{cert}", "{key}")
ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.{v}
ctx.set_alpn_protocols(["h2"])
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0)); s.listen(1)
print("ready on 127.0.0.1:%d" % s.getsockname()[1], flush=True)
c, _ = s.accept()
t = ctx.wrap_socket(c, server_side=True)
data = t.recv(100)
t.sendall(b"python got " + data + b" " + t.version().encode() + b" " + t.cipher()[0].encode())
t.unwrap()
"#,
            cert = pki.file("ecdsa.pem").display(),
            key = pki.file("ecdsa.key").display(),
            v = if version == V13 { "TLSv1_3" } else { "TLSv1_2" },
        );
        let server = Server::spawn(
            Command::new("python3")
                .arg("-c")
                .arg(script)
                .stdout(Stdio::piped()),
            false,
            "ready on",
        );
        let port = server.port;
        let suite = if version == V13 {
            CipherSuite::TLS13_AES_256_GCM_SHA384
        } else {
            CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
        };
        let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        // In TLS 1.2 the client's supported_groups also names the curves
        // it accepts for the server's ECDSA key (RFC 8422 §5.1): P-256 here.
        let mut tls = ClientStream::connect(
            client_cfg(&pki, version, suite, NamedGroup::SECP256R1),
            "localhost",
            sock,
        )
        .unwrap_or_else(|e| panic!("{version:?}: {e}"));
        assert_eq!(tls.conn().protocol_version(), Some(version));
        assert_eq!(tls.conn().key_exchange_group(), Some(NamedGroup::SECP256R1));
        assert_eq!(tls.conn().alpn_protocol(), Some(&b"h2"[..]));
        tls.write_all(b"ping").unwrap();
        let mut reply = String::new();
        tls.read_to_string(&mut reply).unwrap();
        assert!(reply.starts_with("python got ping TLSv1."), "{reply}");
    }
}

#[test]
fn our_client_against_gnutls_serv() {
    assert!(
        have("gnutls-serv"),
        "gnutls-serv is missing: .ci/run installs gnutls-bin"
    );
    let pki = make_pki("c-gnutls");
    for (flag, want) in [("--tls13", "TLS 1.3"), ("--tls12", "TLS 1.2")] {
        let script = format!(
            "PORT=4433; gnutls-serv --echo -a -p $PORT --alpn h2 --x509certfile {cert} --x509keyfile {key} >/dev/null 2>&1 & SRV=$!; \
             bash -c '{wait}'; \
             printf 'hello gnutls\\n' | timeout 20 {cloak} client 127.0.0.1:$PORT --servername localhost --cafile {ca} --alpn h2 {flag}; \
             status=$?; kill $SRV; exit $status",
            cert = pki.file("ecdsa.pem").display(),
            key = pki.file("ecdsa.key").display(),
            ca = pki.ca().display(),
            wait = WAIT_PORT.replace("$PORT", "4433"),
            cloak = CLOAK,
        );
        let out = in_netns(&script);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stdout.contains("hello gnutls"),
            "{flag}: stdout {stdout:?} stderr {stderr}"
        );
        assert!(stderr.contains(&format!("protocol: {want}")), "{stderr}");
        assert!(stderr.contains("ALPN: h2"), "{stderr}");
    }
}

#[test]
fn our_client_against_rustls_server() {
    let pki = make_pki("c-rustls");
    for version in [V13, V12] {
        let (cert, key) = rustls_identity(&pki, "ecdsa");
        let versions: &[&rustls::SupportedProtocolVersion] = if version == V13 {
            &[&rustls::version::TLS13]
        } else {
            &[&rustls::version::TLS12]
        };
        let mut sc = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_protocol_versions(versions)
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(cert, key)
        .unwrap();
        sc.alpn_protocols = vec![b"h2".to_vec()];
        let mut server = rustls::ServerConnection::new(std::sync::Arc::new(sc)).unwrap();
        let suite = if version == V13 {
            CipherSuite::TLS13_CHACHA20_POLY1305_SHA256
        } else {
            CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
        };
        let mut client = cloaktls::ClientConnection::new(
            client_cfg(&pki, version, suite, NamedGroup::SECP256R1),
            "localhost",
        )
        .unwrap();
        pump_with_rustls(&mut client, &mut server);
        assert!(!client.is_handshaking() && !server.is_handshaking());
        assert_eq!(client.protocol_version(), Some(version));
        assert_eq!(client.cipher_suite(), Some(suite));
        assert_eq!(client.key_exchange_group(), Some(NamedGroup::SECP256R1));
        assert_eq!(server.alpn_protocol(), Some(&b"h2"[..]));
        assert_eq!(
            u16::from(server.negotiated_cipher_suite().unwrap().suite()),
            suite.0
        );
        // Data both ways.
        client.send(b"to rustls").unwrap();
        pump_with_rustls(&mut client, &mut server);
        let mut buf = [0u8; 64];
        let n = server.reader().read(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"to rustls");
        server.writer().write_all(b"from rustls").unwrap();
        pump_with_rustls(&mut client, &mut server);
        assert_eq!(client.recv(&mut buf).unwrap(), Received::Data(11));
        assert_eq!(&buf[..11], b"from rustls");
        // Exporters agree with rustls's (RFC 5705, RFC 8446 §7.5).
        for context in [None, Some(&b"ctx"[..])] {
            let mut ours = [0u8; 48];
            client
                .export_keying_material(&mut ours, b"EXPORTER-interop", context)
                .unwrap();
            let theirs = server
                .export_keying_material([0u8; 48], b"EXPORTER-interop", context)
                .unwrap();
            assert_eq!(ours, theirs, "{version:?} {context:?}");
        }
    }
}

fn rustls_identity(
    pki: &Pki,
    key: &str,
) -> (
    Vec<rustls::pki_types::CertificateDer<'static>>,
    rustls::pki_types::PrivateKeyDer<'static>,
) {
    use rustls::pki_types::pem::PemObject;
    let certs = rustls::pki_types::CertificateDer::pem_file_iter(pki.file(&format!("{key}.pem")))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let k =
        rustls::pki_types::PrivateKeyDer::from_pem_file(pki.file(&format!("{key}.key"))).unwrap();
    (certs, k)
}

/// Moves bytes between our connection and a rustls one until both are quiet.
fn pump_with_rustls<
    S: std::ops::DerefMut<Target = rustls::ConnectionCommon<D>>,
    D: rustls::SideData,
>(
    ours: &mut cloaktls::Connection,
    theirs: &mut S,
) {
    for _ in 0..20 {
        let mut moved = false;
        while ours.wants_write() {
            let data = ours.pending_tls().to_vec();
            let mut slice = &data[..];
            let n = theirs.read_tls(&mut slice).unwrap();
            ours.consume_tls(n);
            theirs.process_new_packets().unwrap();
            moved |= n > 0;
        }
        let mut out = Vec::new();
        while theirs.wants_write() {
            theirs.write_tls(&mut out).unwrap();
        }
        if !out.is_empty() {
            let mut off = 0;
            while off < out.len() {
                off += ours.read_tls(&out[off..]).unwrap().taken(out.len() - off);
            }
            moved = true;
        }
        if !moved {
            break;
        }
    }
}

// ---------------- their clients against our server ----------------

#[test]
fn openssl_s_client_against_our_server() {
    let pki = make_pki("s-openssl");
    let cases: [(ProtocolVersion, CipherSuite, NamedGroup, &str, &str); 3] = [
        (
            V13,
            CipherSuite::TLS13_AES_256_GCM_SHA384,
            NamedGroup::SECP384R1,
            "TLS_AES_256_GCM_SHA384",
            "secp384r1",
        ),
        (
            V13,
            CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
            NamedGroup::X25519,
            "TLS_CHACHA20_POLY1305_SHA256",
            "X25519",
        ),
        (
            V12,
            CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            NamedGroup::SECP256R1,
            "ECDHE-ECDSA-AES256-GCM-SHA384",
            "prime256v1",
        ),
    ];
    for (version, suite, group, ossl_suite, ossl_group) in cases {
        let (port, seen) = our_server(server_cfg(&pki.ecdsa, version, suite, group));
        let mut child = Command::new("openssl")
            .args([
                "s_client",
                "-connect",
                &format!("127.0.0.1:{port}"),
                "-servername",
                "localhost",
                "-brief",
                "-ign_eof",
                "-alpn",
                "h2",
            ])
            .arg("-CAfile")
            .arg(pki.ca())
            .arg(if version == V13 { "-tls1_3" } else { "-tls1_2" })
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .as_mut()
            .unwrap()
            .write_all(b"hello from openssl\n")
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let seen = seen.recv_timeout(Duration::from_secs(20)).unwrap().unwrap();
        assert_eq!(seen.got, b"hello from openssl");
        assert!(
            stdout.contains("echo: hello from openssl"),
            "{stdout} {stderr}"
        );
        assert!(
            stderr.contains(&format!(
                "Protocol version: TLSv1.{}",
                if version == V13 { 3 } else { 2 }
            )),
            "{stderr}"
        );
        assert!(stderr.contains(ossl_suite), "{stderr}");
        assert!(stderr.contains(ossl_group), "{stderr}");
        assert!(stderr.contains("Verification: OK"), "{stderr}");
        assert_eq!(seen.version, Some(version));
        assert_eq!(seen.suite, Some(suite));
        assert_eq!(seen.group, Some(group));
        assert_eq!(seen.alpn.as_deref(), Some(&b"h2"[..]));
    }
}

#[test]
fn python_default_context_client_against_our_server() {
    let pki = make_pki("s-python");
    for version in [V13, V12] {
        let suite = if version == V13 {
            CipherSuite::TLS13_AES_256_GCM_SHA384
        } else {
            CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
        };
        let (port, seen) = our_server(server_cfg(&pki.ecdsa, version, suite, NamedGroup::X25519));
        let script = format!(
            r#"
import socket, ssl
ctx = ssl.create_default_context(cafile="{ca}")
ctx.set_alpn_protocols(["h2"])
with socket.create_connection(("127.0.0.1", {port})) as s:
    with ctx.wrap_socket(s, server_hostname="localhost") as t:
        t.sendall(b"hello from python\n")
        data = b""
        while True:
            d = t.recv(100)
            if not d: break
            data += d
        print(t.version(), t.cipher()[0], t.selected_alpn_protocol(), data.decode().strip())
"#,
            ca = pki.ca().display()
        );
        let out = Command::new("python3")
            .arg("-c")
            .arg(script)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let seen = seen.recv_timeout(Duration::from_secs(20)).unwrap().unwrap();
        let v = if version == V13 { "TLSv1.3" } else { "TLSv1.2" };
        assert!(stdout.starts_with(v), "{stdout} {stderr}");
        assert!(
            stdout.contains("h2 echo: hello from python"),
            "{stdout} {stderr}"
        );
        assert_eq!(seen.version, Some(version));
        assert_eq!(seen.suite, Some(suite));
        assert_eq!(seen.alpn.as_deref(), Some(&b"h2"[..]));
    }
}

#[test]
fn rustls_client_against_our_server() {
    let pki = make_pki("s-rustls");
    for version in [V13, V12] {
        let suite = if version == V13 {
            CipherSuite::TLS13_CHACHA20_POLY1305_SHA256
        } else {
            CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
        };
        let key = if version == V13 { &pki.ecdsa } else { &pki.rsa };
        let mut server =
            cloaktls::ServerConnection::new(server_cfg(key, version, suite, NamedGroup::SECP384R1))
                .unwrap();
        let mut roots = rustls::RootCertStore::empty();
        use rustls::pki_types::pem::PemObject;
        roots
            .add(rustls::pki_types::CertificateDer::from_pem_file(pki.ca()).unwrap())
            .unwrap();
        let versions: &[&rustls::SupportedProtocolVersion] = if version == V13 {
            &[&rustls::version::TLS13]
        } else {
            &[&rustls::version::TLS12]
        };
        let mut cc = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
        cc.alpn_protocols = vec![b"http/1.1".to_vec()];
        let mut client =
            rustls::ClientConnection::new(std::sync::Arc::new(cc), "localhost".try_into().unwrap())
                .unwrap();
        pump_with_rustls(&mut server, &mut client);
        assert!(!server.is_handshaking() && !client.is_handshaking());
        assert_eq!(server.protocol_version(), Some(version));
        assert_eq!(server.cipher_suite(), Some(suite));
        assert_eq!(server.key_exchange_group(), Some(NamedGroup::SECP384R1));
        assert_eq!(client.alpn_protocol(), Some(&b"http/1.1"[..]));
        client.writer().write_all(b"hi cloak").unwrap();
        pump_with_rustls(&mut server, &mut client);
        let mut buf = [0u8; 64];
        assert_eq!(server.recv(&mut buf).unwrap(), Received::Data(8));
        assert_eq!(&buf[..8], b"hi cloak");
        server.send(b"hi rustls").unwrap();
        pump_with_rustls(&mut server, &mut client);
        let n = client.reader().read(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"hi rustls");
    }
}

#[test]
fn curl_against_cloak_server_www() {
    let pki = make_pki("s-curl");
    for (flag, want) in [("--tls13", "TLS 1.3"), ("--tls12", "TLS 1.2")] {
        let server = cloak_server(&pki, "ecdsa", &["--www", "--alpn", "http/1.1", flag]);
        let port = server.port;
        let out = Command::new("curl")
            .args(["-sS", "--http1.1", "--max-time", "20"])
            .arg("--cacert")
            .arg(pki.ca())
            .args(["--resolve", &format!("localhost:{port}:127.0.0.1")])
            .arg(format!("https://localhost:{port}/hello"))
            .output()
            .unwrap();
        let body = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{body} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(body.contains("request: GET /hello HTTP/1.1"), "{body}");
        assert!(body.contains(&format!("protocol: {want}")), "{body}");
        assert!(body.contains("ALPN: http/1.1"), "{body}");
        assert!(body.contains("SNI: localhost"), "{body}");
    }
}

#[test]
fn gnutls_cli_against_cloak_server() {
    assert!(
        have("gnutls-cli"),
        "gnutls-cli is missing: .ci/run installs gnutls-bin"
    );
    let pki = make_pki("s-gnutls");
    for (prio, want) in [
        ("NORMAL:-VERS-ALL:+VERS-TLS1.3", "TLS1.3"),
        ("NORMAL:-VERS-ALL:+VERS-TLS1.2", "TLS1.2"),
    ] {
        let script = format!(
            "PORT=4433; {cloak} server --cert {cert} --key {key} --listen 127.0.0.1:$PORT --echo >/dev/null 2>&1 & SRV=$!; \
             bash -c '{wait}'; \
             (printf 'hello cloak\\n'; sleep 1) | timeout 20 gnutls-cli --x509cafile {ca} --priority {prio} --alpn h2 -p $PORT localhost; \
             status=$?; kill $SRV; exit $status",
            cloak = CLOAK,
            cert = pki.file("ecdsa.pem").display(),
            key = pki.file("ecdsa.key").display(),
            ca = pki.ca().display(),
            wait = WAIT_PORT.replace("$PORT", "4433"),
        );
        let out = in_netns(&script);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stdout.contains("hello cloak"), "{prio}: {stdout} {stderr}");
        assert!(stdout.contains(&format!("({want}-X.509)")), "{stdout}");
    }
}

#[test]
fn cloak_client_against_cloak_server_with_client_certificate() {
    let pki = make_pki("cli-mtls");
    let server = cloak_server(
        &pki,
        "ecdsa",
        &[
            "--www",
            "--verify-client",
            "--cafile",
            pki.ca().to_str().unwrap(),
        ],
    );
    let port = server.port;
    let mut child = Command::new(CLOAK)
        .arg("client")
        .arg(format!("127.0.0.1:{port}"))
        .args(["--servername", "localhost", "--cafile"])
        .arg(pki.ca())
        .arg("--cert")
        .arg(pki.file("client.pem"))
        .arg("--key")
        .arg(pki.file("client.key"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .as_mut()
        .unwrap()
        .write_all(b"GET / HTTP/1.0\r\n\r\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("client certificate: subject: commonName=client"),
        "{stdout}"
    );
}

#[test]
fn our_client_certificate_accepted_by_openssl_s_server() {
    let pki = make_pki("c-openssl-mtls");
    for version in [V13, V12] {
        let server = openssl_server(
            &pki,
            "ecdsa",
            &[
                if version == V13 { "-tls1_3" } else { "-tls1_2" },
                "-naccept",
                "1",
                "-rev",
                "-Verify",
                "1",
                "-CAfile",
                pki.ca().to_str().unwrap(),
            ],
        );
        let port = server.port;
        let cfg = ClientConfig::builder(pki.roots.clone())
            .versions(&[version])
            .client_certificate(pki.client.clone())
            .build()
            .unwrap();
        let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut tls = ClientStream::connect(cfg, "localhost", sock)
            .unwrap_or_else(|e| panic!("{version:?}: {e}"));
        tls.write_all(b"mtls\n").unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 64];
        while !got.windows(4).any(|w| w == b"sltm") {
            let n = tls
                .read(&mut buf)
                .unwrap_or_else(|e| panic!("{version:?}: {e}"));
            assert!(n > 0, "{version:?}: the server closed early");
            got.extend_from_slice(&buf[..n]);
        }
    }
}

#[test]
fn openssl_s_client_resumes_with_cloak_server() {
    let pki = make_pki("s-openssl-resume");
    let server = cloak_server(&pki, "ecdsa", &["--echo"]);
    let port = server.port;
    let sess = pki.file("session.pem");
    for (version, extra) in [("-tls1_3", ""), ("-tls1_2", ""), ("-tls1_2", "-no_ticket")] {
        let _ = std::fs::remove_file(&sess);
        let mut lines = Vec::new();
        for io in ["-sess_out", "-sess_in"] {
            let mut cmd = Command::new("openssl");
            cmd.args([
                "s_client",
                "-connect",
                &format!("127.0.0.1:{port}"),
                "-servername",
                "localhost",
                version,
            ])
            .arg("-CAfile")
            .arg(pki.ca())
            .arg(io)
            .arg(&sess)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
            if !extra.is_empty() {
                cmd.arg(extra);
            }
            let mut child = cmd.spawn().unwrap();
            // Keep stdin open long enough for a TLS 1.3 ticket to arrive.
            child.stdin.as_mut().unwrap().write_all(b"ping\n").unwrap();
            std::thread::sleep(Duration::from_millis(300));
            drop(child.stdin.take());
            let out = child.wait_with_output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            let line = text
                .lines()
                .find(|l| l.starts_with("New,") || l.starts_with("Reused,"))
                .unwrap_or("")
                .to_string();
            lines.push(line);
        }
        assert!(lines[0].starts_with("New,"), "{version} {extra}: {lines:?}");
        assert!(
            lines[1].starts_with("Reused,"),
            "{version} {extra}: {lines:?}"
        );
    }
    // -reconnect: five more connections with the first one's session.
    let out = Command::new("openssl")
        .args([
            "s_client",
            "-connect",
            &format!("127.0.0.1:{port}"),
            "-servername",
            "localhost",
            "-reconnect",
            "-tls1_2",
        ])
        .arg("-CAfile")
        .arg(pki.ca())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text.lines().filter(|l| l.starts_with("Reused,")).count(),
        5,
        "{text}"
    );
}

#[test]
fn our_client_resumes_with_openssl_s_server() {
    let pki = make_pki("c-openssl-resume");
    for version in [V13, V12] {
        let server = openssl_server(
            &pki,
            "ecdsa",
            &[
                if version == V13 { "-tls1_3" } else { "-tls1_2" },
                "-naccept",
                "2",
                "-rev",
            ],
        );
        let port = server.port;
        let cfg = ClientConfig::builder(pki.roots.clone())
            .versions(&[version])
            .build()
            .unwrap();
        let mut resumed = Vec::new();
        for _ in 0..2 {
            let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
            sock.set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            let mut tls = ClientStream::connect(cfg.clone(), "localhost", sock).unwrap();
            // A line each way, so that the TLS 1.3 tickets arrive first.
            tls.write_all(b"abc\n").unwrap();
            let mut got = Vec::new();
            let mut buf = [0u8; 64];
            while !got.windows(3).any(|w| w == b"cba") {
                let n = tls.read(&mut buf).unwrap();
                assert!(n > 0);
                got.extend_from_slice(&buf[..n]);
            }
            resumed.push(tls.conn().is_resumed());
            let _ = tls.send_close_notify();
        }
        assert_eq!(resumed, [false, true], "{version:?}");
    }
}

#[test]
fn openssl_s_client_renegotiation_is_refused() {
    let pki = make_pki("s-openssl-reneg");
    let server = cloak_server(&pki, "ecdsa", &["--echo"]);
    let port = server.port;
    // A line "R" makes s_client renegotiate (TLS 1.2).
    let mut child = Command::new("openssl")
        .args([
            "s_client",
            "-connect",
            &format!("127.0.0.1:{port}"),
            "-servername",
            "localhost",
            "-tls1_2",
        ])
        .arg("-CAfile")
        .arg(pki.ca())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    child.stdin.as_mut().unwrap().write_all(b"R\n").unwrap();
    std::thread::sleep(Duration::from_millis(500));
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("RENEGOTIATING"), "{text}");
    assert!(text.contains("no renegotiation"), "{text}");
}

#[test]
fn openssl_zero_rtt_against_cloak_server() {
    let pki = make_pki("s-openssl-0rtt");
    let server = cloak_server(&pki, "ecdsa", &["--echo", "--max-early-data", "16384"]);
    let port = server.port;
    let sess = pki.file("session.pem");
    let early = pki.file("early.txt");
    std::fs::write(&early, b"zero rtt payload\n").unwrap();
    let mut outputs = Vec::new();
    for args in [vec!["-sess_out"], vec!["-sess_in", "-early_data"]] {
        let mut cmd = Command::new("openssl");
        cmd.args([
            "s_client",
            "-connect",
            &format!("127.0.0.1:{port}"),
            "-servername",
            "localhost",
        ])
        .arg("-CAfile")
        .arg(pki.ca())
        .arg(args[0])
        .arg(&sess);
        if args.len() > 1 {
            cmd.arg(args[1]).arg(&early);
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(400));
        drop(child.stdin.take());
        outputs
            .push(String::from_utf8_lossy(&child.wait_with_output().unwrap().stdout).into_owned());
    }
    assert!(
        outputs[0].contains("Max Early Data: 16384"),
        "{}",
        outputs[0]
    );
    assert!(outputs[1].contains("Reused, TLSv1.3"), "{}", outputs[1]);
    assert!(
        outputs[1].contains("Early data was accepted"),
        "{}",
        outputs[1]
    );
    // The echo server sent the early data back.
    assert!(outputs[1].contains("zero rtt payload"), "{}", outputs[1]);
}

#[test]
fn our_zero_rtt_against_openssl_s_server() {
    let pki = make_pki("c-openssl-0rtt");
    // s_server prints the early data it reads.
    let mut server = openssl_server(&pki, "ecdsa", &["-naccept", "2", "-early_data", "-tls1_3"]);
    let port = server.port;
    let cfg = ClientConfig::builder(pki.roots.clone())
        .early_data(true)
        .build()
        .unwrap();
    // First: a full handshake that brings a ticket allowing early data.
    {
        let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        let mut tls = ClientStream::connect(cfg.clone(), "localhost", sock).unwrap();
        let mut buf = [0u8; 16];
        let _ = tls.read(&mut buf); // let the tickets arrive
        let _ = tls.send_close_notify();
    }
    // Second: resume and send 0-RTT data; s_server prints early data.
    let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let conn = cloaktls::ClientConnection::new(cfg, "localhost").unwrap();
    let mut tls = cloaktls::stream::TlsStream::new(conn, sock);
    assert_eq!(
        tls.conn_mut().send_early_data(b"early hello\n").unwrap(),
        12
    );
    tls.complete_handshake().unwrap();
    assert!(tls.conn().is_resumed());
    assert_eq!(tls.conn().early_data_accepted(), Some(true));
    assert!(
        server.wait_for("early hello").is_some(),
        "s_server did not print the early data:\n{}",
        server.output()
    );
}

/// `openssl s_client -status` gets the OCSP response `cloak server
/// --ocsp` staples, in TLS 1.3 (in the Certificate) and TLS 1.2 (in a
/// CertificateStatus message).
#[test]
fn openssl_s_client_gets_the_stapled_ocsp_response() {
    let pki = make_pki("s-openssl-ocsp");
    // A DER OCSPResponse whose status is "unauthorized" (RFC 6960 §4.2.1).
    let ocsp = pki.file("ocsp.der");
    std::fs::write(&ocsp, [0x30, 0x03, 0x0a, 0x01, 0x06]).unwrap();
    let server = cloak_server(&pki, "ecdsa", &["--echo", "--ocsp", ocsp.to_str().unwrap()]);
    let port = server.port;
    for version in ["-tls1_3", "-tls1_2"] {
        for status in [true, false] {
            let mut cmd = Command::new("openssl");
            cmd.args([
                "s_client",
                "-connect",
                &format!("127.0.0.1:{port}"),
                "-servername",
                "localhost",
                version,
            ])
            .arg("-CAfile")
            .arg(pki.ca())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
            if status {
                cmd.arg("-status");
            }
            let mut child = cmd.spawn().unwrap();
            child.stdin.as_mut().unwrap().write_all(b"ping\n").unwrap();
            std::thread::sleep(Duration::from_millis(200));
            drop(child.stdin.take());
            let out = child.wait_with_output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            assert!(
                text.contains("Verify return code: 0 (ok)"),
                "{version}: {text}"
            );
            if status {
                assert!(
                    text.contains("OCSP Response Status: unauthorized (0x6)"),
                    "{version}: {text}"
                );
            } else {
                assert!(!text.contains("OCSP Response Status"), "{version}: {text}");
            }
        }
    }
}

/// Our client asks `openssl s_server -status_file` for its OCSP response
/// and gets it, in TLS 1.3 and TLS 1.2.
#[test]
fn our_client_gets_openssl_s_servers_stapled_ocsp_response() {
    let pki = make_pki("c-openssl-ocsp");
    let response = [0x30u8, 0x03, 0x0a, 0x01, 0x06];
    let ocsp = pki.file("ocsp.der");
    std::fs::write(&ocsp, response).unwrap();
    for version in [V13, V12] {
        let server = openssl_server(
            &pki,
            "ecdsa",
            &[
                if version == V13 { "-tls1_3" } else { "-tls1_2" },
                "-naccept",
                "1",
                "-rev",
                "-status_file",
                ocsp.to_str().unwrap(),
            ],
        );
        let port = server.port;
        let cfg = ClientConfig::builder(pki.roots.clone())
            .versions(&[version])
            .request_ocsp(true)
            .build()
            .unwrap();
        let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut tls = ClientStream::connect(cfg, "localhost", sock).unwrap();
        assert_eq!(tls.conn().protocol_version(), Some(version));
        assert_eq!(
            tls.conn().peer_ocsp_response(),
            Some(&response[..]),
            "{version:?}"
        );
        tls.write_all(b"ocsp\n").unwrap();
        let mut buf = [0u8; 16];
        let n = tls.read(&mut buf).unwrap();
        assert!(n > 0);
    }
}
