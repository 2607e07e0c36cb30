//! Raw public keys (RFC 7250) through the command line and against GnuTLS:
//! `cloak server --rpk-key` (and `--pin-client-rpk`), `cloak client
//! --pin-rpk` (and `--rpk-key`), TLS 1.3 and 1.2, both ways; a key that is
//! not pinned; and gnutls-cli and gnutls-serv with raw public keys on both
//! sides (GnuTLS has had them since 3.6.6; OpenSSL only since 3.2, and this
//! machine's is 3.0). gnutls-serv listens on every interface, so it runs in
//! a network namespace that has only loopback.

use std::io::Write;
use std::process::{Command, Output, Stdio};

mod common;
use common::*;

const CLOAK: &str = env!("CARGO_BIN_EXE_cloak");

/// A key pair written as `name`.key (PKCS#8) and `name`.pub (PUBLIC KEY),
/// and the SHA-256 of its SubjectPublicKeyInfo in hex.
fn key_files(pki: &Pki, name: &str, alg: &'static rcgen::SignatureAlgorithm) -> String {
    let key = rcgen::KeyPair::generate_for(alg).unwrap();
    std::fs::write(
        pki.file(&format!("{name}.key")),
        pem("PRIVATE KEY", &key.serialize_der()),
    )
    .unwrap();
    std::fs::write(
        pki.file(&format!("{name}.pub")),
        pem("PUBLIC KEY", &key.public_key_der()),
    )
    .unwrap();
    cloaktls::crypto::HashAlgorithm::Sha256
        .hash(&key.public_key_der())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn path(pki: &Pki, file: &str) -> String {
    pki.file(file).to_str().unwrap().to_string()
}

/// `cloak server` on a port of its own with `args`.
fn server(args: &[String]) -> Server {
    Server::spawn(
        Command::new(CLOAK)
            .arg("server")
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped()),
        true,
        "listening on",
    )
}

/// `cloak client` to `port` with `args`, sending `input`.
fn client(port: u16, args: &[String], input: &[u8]) -> Output {
    let mut child = Command::new(CLOAK)
        .arg("client")
        .arg(format!("127.0.0.1:{port}"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn cloak_client_and_server_pin_each_others_raw_public_keys() {
    let pki = make_pki("cli-rpk");
    let server_fp = key_files(&pki, "srv", &rcgen::PKCS_ECDSA_P256_SHA256);
    let client_fp = key_files(&pki, "cli", &rcgen::PKCS_ED25519);
    key_files(&pki, "other", &rcgen::PKCS_ECDSA_P256_SHA256);
    let mut srv = server(&[
        "--rpk-key".into(),
        path(&pki, "srv.key"),
        "--pin-client-rpk".into(),
        path(&pki, "cli.pub"),
        "--verify-client".into(),
        "--www".into(),
    ]);
    // The server says which key it serves, for clients to pin.
    let said = srv.wait_for("serving a raw public key").unwrap();
    assert!(
        said.contains("ECDSA P-256") && said.contains(&server_fp),
        "{said}"
    );
    for (flag, version) in [("--tls13", "TLS 1.3"), ("--tls12", "TLS 1.2")] {
        // The pin may be the PUBLIC KEY or the private key itself.
        for pin in ["srv.pub", "srv.key"] {
            let out = client(
                srv.port,
                &[
                    flag.into(),
                    "--pin-rpk".into(),
                    path(&pki, pin),
                    "--rpk-key".into(),
                    path(&pki, "cli.key"),
                ],
                b"GET / HTTP/1.0\r\n\r\n",
            );
            let stderr = String::from_utf8_lossy(&out.stderr);
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success(), "{flag} {pin}: {stderr}");
            assert!(stderr.contains(&format!("protocol: {version}")), "{stderr}");
            assert!(
                stderr.contains(&format!("raw public key: ECDSA P-256, SHA-256 {server_fp}")),
                "{stderr}"
            );
            // The server's page describes our key.
            assert!(
                stdout.contains(&format!(
                    "client certificate: raw public key: Ed25519, SHA-256 {client_fp}"
                )),
                "{stdout}"
            );
        }
    }
    // A key that is not pinned: refused, its fingerprint in the error.
    let out = client(
        srv.port,
        &[
            "--pin-rpk".into(),
            path(&pki, "other.pub"),
            "--rpk-key".into(),
            path(&pki, "cli.key"),
        ],
        b"GET / HTTP/1.0\r\n\r\n",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("raw public key is not trusted"), "{stderr}");
    assert!(stderr.contains(&server_fp), "{stderr}");
    assert!(
        stderr.contains("hint: if that key is the peer's, pin it"),
        "{stderr}"
    );
    // A client without its key: the server requires one.
    let out = client(
        srv.port,
        &["--tls12".into(), "--pin-rpk".into(), path(&pki, "srv.pub")],
        b"GET / HTTP/1.0\r\n\r\n",
    );
    assert!(!out.status.success());
}

#[test]
fn a_server_with_a_certificate_and_a_raw_public_key_serves_both_kinds_of_client() {
    let pki = make_pki("cli-rpk-both");
    let server_fp = key_files(&pki, "srv", &rcgen::PKCS_ECDSA_P384_SHA384);
    let srv = server(&[
        "--cert".into(),
        path(&pki, "ecdsa.pem"),
        "--key".into(),
        path(&pki, "ecdsa.key"),
        "--rpk-key".into(),
        path(&pki, "srv.key"),
        "--echo".into(),
    ]);
    let x509 = client(
        srv.port,
        &[
            "--servername".into(),
            "localhost".into(),
            "--cafile".into(),
            path(&pki, "ca.pem"),
        ],
        b"ping\n",
    );
    let stderr = String::from_utf8_lossy(&x509.stderr);
    assert!(x509.status.success(), "{stderr}");
    assert!(stderr.contains("certificate 0:"), "{stderr}");
    let rpk = client(
        srv.port,
        &["--pin-rpk".into(), path(&pki, "srv.pub")],
        b"ping\n",
    );
    let stderr = String::from_utf8_lossy(&rpk.stderr);
    assert!(rpk.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("raw public key: ECDSA P-384, SHA-256 {server_fp}")),
        "{stderr}"
    );
    assert_eq!(String::from_utf8_lossy(&rpk.stdout), "ping\n");
}

#[test]
fn gnutls_cli_against_cloak_server_with_raw_public_keys() {
    assert!(
        have("gnutls-cli"),
        "gnutls-cli is missing: .ci/run installs gnutls-bin"
    );
    let pki = make_pki("s-gnutls-rpk");
    key_files(&pki, "srv", &rcgen::PKCS_ECDSA_P256_SHA256);
    let client_fp = key_files(&pki, "cli", &rcgen::PKCS_ECDSA_P256_SHA256);
    for (version, want) in [("TLS1.3", "TLS 1.3"), ("TLS1.2", "TLS 1.2")] {
        let prio = format!(
            "NORMAL:-VERS-ALL:+VERS-{version}:-CTYPE-ALL:+CTYPE-SRV-RAWPK:+CTYPE-CLI-RAWPK"
        );
        let script = format!(
            "PORT=4433; {cloak} server --rpk-key {srv} --pin-client-rpk {clipub} --verify-client --listen 127.0.0.1:$PORT --www >/dev/null 2>&1 & SRV=$!; \
             bash -c '{wait}'; \
             (printf 'GET / HTTP/1.0\\r\\n\\r\\n'; sleep 1) | timeout 20 gnutls-cli --priority '{prio}' --no-ca-verification --rawpkkeyfile {clikey} --rawpkfile {clipub} -p $PORT 127.0.0.1; \
             status=$?; kill $SRV; exit $status",
            cloak = CLOAK,
            srv = path(&pki, "srv.key"),
            clikey = path(&pki, "cli.key"),
            clipub = path(&pki, "cli.pub"),
            wait = WAIT_PORT.replace("$PORT", "4433"),
        );
        let out = in_netns(&script);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stdout.contains(&format!("({version}-Raw Public Key)"))
                || stdout.contains(&format!("({version}-X.509-Raw Public Key)")),
            "{version}: {stdout} {stderr}"
        );
        assert!(stdout.contains(&format!("protocol: {want}")), "{stdout}");
        // Our page: GnuTLS's key, as cloak saw it.
        assert!(
            stdout.contains(&format!(
                "client certificate: raw public key: ECDSA P-256, SHA-256 {client_fp}"
            )),
            "{stdout}"
        );
    }
}

#[test]
fn cloak_client_against_gnutls_serv_with_raw_public_keys() {
    assert!(
        have("gnutls-serv"),
        "gnutls-serv is missing: .ci/run installs gnutls-bin"
    );
    let pki = make_pki("c-gnutls-rpk");
    let server_fp = key_files(&pki, "srv", &rcgen::PKCS_ECDSA_P256_SHA256);
    key_files(&pki, "cli", &rcgen::PKCS_ED25519);
    for (flag, want) in [("--tls13", "TLS 1.3"), ("--tls12", "TLS 1.2")] {
        let script = format!(
            "PORT=4433; gnutls-serv --echo -p $PORT --priority 'NORMAL:+CTYPE-SRV-RAWPK:+CTYPE-CLI-RAWPK' --rawpkkeyfile {srvkey} --rawpkfile {srvpub} --require-client-cert >/dev/null 2>&1 & SRV=$!; \
             bash -c '{wait}'; \
             printf 'hello gnutls\\n' | timeout 20 {cloak} client 127.0.0.1:$PORT --pin-rpk {srvpub} --rpk-key {clikey} {flag}; \
             status=$?; kill $SRV; exit $status",
            srvkey = path(&pki, "srv.key"),
            srvpub = path(&pki, "srv.pub"),
            clikey = path(&pki, "cli.key"),
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
        assert!(
            stderr.contains(&format!("raw public key: ECDSA P-256, SHA-256 {server_fp}")),
            "{stderr}"
        );
    }
}
