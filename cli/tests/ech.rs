//! Encrypted Client Hello through the command line: `cloak ech-keygen`,
//! `cloak server --ech` and `cloak client --ech` (a PEM ECH file or the
//! base64 list), accepted, and rejected with retry configs, retried or
//! not.

use std::io::Write;
use std::process::{Command, Output, Stdio};

mod common;
use common::*;

const CLOAK: &str = env!("CARGO_BIN_EXE_cloak");

fn keygen(pki: &Pki, file: &str) -> String {
    let out = Command::new(CLOAK)
        .args(["ech-keygen", "--public-name", "public.example", "--out"])
        .arg(pki.file(file))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn client(pki: &Pki, port: u16, args: &[&str]) -> Output {
    let mut child = Command::new(CLOAK)
        .arg("client")
        .arg(format!("127.0.0.1:{port}"))
        .args(["--servername", "localhost", "--cafile"])
        .arg(pki.ca())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"ping\n").unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn keygen_server_and_client() {
    let pki = make_pki("cli-ech");
    // One certificate for the origin (localhost) and the public name.
    pki.issue(
        "both",
        &["localhost", "public.example"],
        (2020, 1, 1),
        (2090, 1, 1),
    );
    let b64 = keygen(&pki, "k1.ech");
    let file = std::fs::read_to_string(pki.file("k1.ech")).unwrap();
    assert!(file.contains("-----BEGIN PRIVATE KEY-----"));
    assert!(file.contains("-----BEGIN ECHCONFIG-----"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(pki.file("k1.ech"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let list = cloaktls::pem::base64_decode(&b64).unwrap();
    let parsed = cloaktls::config::EchConfigList::from_bytes(&list).unwrap();
    assert_eq!(parsed.public_names(), ["public.example"]);
    let mut srv = cloak_server(
        &pki,
        "both",
        &[
            "--mode",
            "echo",
            "--ech",
            pki.file("k1.ech").to_str().unwrap(),
        ],
    );
    // With the file, and with the base64 list: accepted.
    for ech in [
        pki.file("k1.ech").to_str().unwrap().to_string(),
        b64.clone(),
    ] {
        let out = client(&pki, srv.port, &["--ech", &ech]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        assert!(
            stderr.contains("ECH: accepted (public name public.example)"),
            "{stderr}"
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("ping"));
        assert!(srv.wait_for("ECH accepted").is_some(), "{}", srv.output());
    }
    // An old config: rejected, with the retry configs printed...
    let old = keygen(&pki, "k0.ech");
    let out = client(&pki, srv.port, &["--ech", &old]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains(&format!(
            "ECH: rejected by public.example; its retry configs: {b64}"
        )),
        "{stderr}"
    );
    // ... and with --ech-retry, used.
    let out = client(&pki, srv.port, &["--ech", &old, "--ech-retry"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("ECH: retrying with them"), "{stderr}");
    assert!(stderr.contains("ECH: accepted"), "{stderr}");
    // GREASE.
    let out = client(&pki, srv.port, &["--ech-grease"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("ECH: GREASE"), "{stderr}");
    // A bad --ech value says what it expected.
    let out = client(&pki, srv.port, &["--ech", "not base64!"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("neither a file nor"));
}
