//! External PSKs (TLS 1.3) through the command line, and interop with
//! OpenSSL (`s_server -psk -nocert`, `s_client -psk`) and GnuTLS
//! (`gnutls-serv --pskpasswd`, `gnutls-cli --pskusername --pskkey`), both
//! ways. Servers listen on 127.0.0.1 only: ours and OpenSSL's bind port 0
//! and say which port they got; gnutls-serv listens on every interface, so
//! the GnuTLS tests run in a network namespace that has only loopback. A
//! missing peer fails the test (.ci/run installs them).

use std::io::Write;
use std::process::{Command, Stdio};

mod common;
use common::*;

const CLOAK: &str = env!("CARGO_BIN_EXE_cloak");
/// 32 bytes, as `openssl rand -hex 32` makes them.
const KEY: &str = "5f0e4a9f1c2b3d4e5f60718293a4b5c6d7e8f90112233445566778899aabbccd";
const OTHER_KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const ID: &str = "client1";
/// GnuTLS's TLS 1.3 with its PSK key exchanges.
const GNUTLS_PSK: &str = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+ECDHE-PSK:+DHE-PSK:+PSK";

/// `cloak server` with a PSK and no certificate (plus `extra`), on a port
/// of its own.
fn cloak_psk_server(extra: &[&str]) -> Server {
    Server::spawn(
        Command::new(CLOAK)
            .args(["server", "--psk-identity", ID, "--psk", KEY])
            .args(["--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped()),
        true,
        "listening on",
    )
}

/// `openssl s_server -nocert` with a PSK (answering each line reversed).
fn openssl_psk_server(extra: &[&str]) -> Server {
    Server::spawn(
        Command::new("openssl")
            .args(["s_server", "-accept", "127.0.0.1:0", "-nocert", "-tls1_3"])
            .args(["-psk", KEY, "-psk_identity", ID, "-naccept", "1", "-rev"])
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null()),
        false,
        "ACCEPT",
    )
}

/// `cloak client` to `port` with `args`, sending `line`; its stdout and
/// stderr, and whether it succeeded.
fn cloak_client(port: u16, args: &[&str], line: &str) -> (String, String, bool) {
    let mut child = Command::new(CLOAK)
        .arg("client")
        .arg(format!("127.0.0.1:{port}"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(line.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.success(),
    )
}

/// `openssl s_client -psk` to `port`, sending `line` and, a second later,
/// the end of its input (then it closes); stdout and stderr.
fn openssl_client(port: u16, key: &str, extra: &[&str], line: &str) -> (String, String) {
    let mut child = Command::new("timeout")
        .args(["20", "openssl", "s_client", "-tls1_3", "-brief"])
        .args(["-psk", key, "-psk_identity", ID])
        .arg("-connect")
        .arg(format!("127.0.0.1:{port}"))
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(line.as_bytes()).unwrap();
    std::thread::sleep(std::time::Duration::from_secs(1));
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

// ---- the command line, cloak to cloak ----

#[test]
fn cloak_client_and_server_with_a_psk() {
    let mut server = cloak_psk_server(&[]);
    let (stdout, stderr, ok) =
        cloak_client(server.port, &["--psk-identity", ID, "--psk", KEY], "ping\n");
    assert!(ok, "{stderr}");
    assert_eq!(stdout, "ping\n");
    assert!(
        stderr.contains("external PSK: client1 (psk_dhe_ke)"),
        "{stderr}"
    );
    assert!(stderr.contains("protocol: TLS 1.3"), "{stderr}");
    let line = server
        .wait_for("external PSK")
        .unwrap_or_else(|| server.output());
    assert!(line.contains("external PSK client1"), "{line}");
}

#[test]
fn cloak_psk_ke_when_both_allow_it() {
    let server = cloak_psk_server(&["--allow-psk-ke"]);
    let args = ["--psk-identity", ID, "--psk", KEY, "--allow-psk-ke"];
    let (stdout, stderr, ok) = cloak_client(server.port, &args, "x\n");
    assert!(ok, "{stderr}");
    assert_eq!(stdout, "x\n");
    assert!(stderr.contains("psk_ke, no forward secrecy"), "{stderr}");
    assert!(stderr.contains("key exchange: none"), "{stderr}");
    assert!(stderr.contains("resumed: no"), "{stderr}");
}

#[test]
fn cloak_client_with_a_wrong_key_or_identity() {
    let server = cloak_psk_server(&[]);
    let (_, stderr, ok) = cloak_client(
        server.port,
        &["--psk-identity", ID, "--psk", OTHER_KEY],
        "x\n",
    );
    assert!(!ok);
    assert!(stderr.contains("decrypt_error"), "{stderr}");
    assert!(stderr.contains("--psk"), "{stderr}");
    let (_, stderr, ok) = cloak_client(
        server.port,
        &["--psk-identity", "nobody", "--psk", KEY],
        "x\n",
    );
    assert!(!ok);
    assert!(stderr.contains("unknown_psk_identity"), "{stderr}");
}

#[test]
fn bad_psk_options_are_refused() {
    let run = |args: &[&str]| {
        let out = Command::new(CLOAK).args(args).output().unwrap();
        assert!(!out.status.success(), "{args:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    // --psk without --psk-identity, and the other way.
    let e = run(&["client", "127.0.0.1:1", "--psk", KEY]);
    assert!(e.contains("--psk-identity"), "{e}");
    let e = run(&["server", "--psk-identity", ID]);
    assert!(e.contains("--psk"), "{e}");
    // Not hexadecimal; too short.
    let e = run(&[
        "client",
        "127.0.0.1:1",
        "--psk-identity",
        ID,
        "--psk",
        "xyz",
    ]);
    assert!(e.contains("not hexadecimal"), "{e}");
    let e = run(&[
        "client",
        "127.0.0.1:1",
        "--psk-identity",
        ID,
        "--psk",
        "0011",
    ]);
    assert!(e.contains("16"), "{e}");
    // A server needs --cert or --psk.
    let e = run(&["server"]);
    assert!(e.contains("--cert") || e.contains("--psk"), "{e}");
}

// ---- OpenSSL ----

#[test]
fn our_client_against_openssl_s_server_psk() {
    assert!(have("openssl"), "openssl is missing: .ci/run installs it");
    let server = openssl_psk_server(&[]);
    let (stdout, stderr, ok) = cloak_client(
        server.port,
        &["--psk-identity", ID, "--psk", KEY],
        "cloaktls\n",
    );
    assert!(ok, "{stderr}");
    // s_server -rev answers each line reversed.
    assert!(stdout.contains("sltkaolc"), "{stdout} {stderr}");
    assert!(
        stderr.contains("external PSK: client1 (psk_dhe_ke)"),
        "{stderr}"
    );
    // OpenSSL's -psk is bound to SHA-256 (TLS_AES_128_GCM_SHA256).
    assert!(stderr.contains("TLS_AES_128_GCM_SHA256"), "{stderr}");
}

#[test]
fn openssl_s_client_psk_against_our_server() {
    assert!(have("openssl"), "openssl is missing: .ci/run installs it");
    let mut server = cloak_psk_server(&[]);
    let (stdout, stderr) = openssl_client(server.port, KEY, &[], "hello from openssl\n");
    assert!(stdout.contains("hello from openssl"), "{stdout} {stderr}");
    assert!(stderr.contains("Protocol version: TLSv1.3"), "{stderr}");
    assert!(stderr.contains("No peer certificate"), "{stderr}");
    let line = server
        .wait_for("external PSK")
        .unwrap_or_else(|| server.output());
    assert!(line.contains("external PSK client1"), "{line}");
    // psk_ke: s_client offers it with -allow_no_dhe_kex.
    let mut server = cloak_psk_server(&["--allow-psk-ke"]);
    // (A line starting with k would ask s_client for a KeyUpdate.)
    let (stdout, stderr) =
        openssl_client(server.port, KEY, &["-allow_no_dhe_kex"], "hello psk_ke\n");
    assert!(stdout.contains("hello psk_ke"), "{stdout} {stderr}");
    let line = server
        .wait_for("external PSK")
        .unwrap_or_else(|| server.output());
    assert!(line.contains("key exchange none"), "{line}");
    // A wrong key: our server refuses the binder.
    let mut server = cloak_psk_server(&[]);
    let (_, stderr) = openssl_client(server.port, OTHER_KEY, &[], "x\n");
    assert!(stderr.contains("decrypt error"), "{stderr}");
    let out = server.wait_for("binder").unwrap_or_else(|| server.output());
    assert!(out.contains("binder"), "{out}");
}

// ---- GnuTLS ----

/// Runs `script` in a new network namespace that has only loopback.
fn in_netns(script: &str) -> std::process::Output {
    Command::new("unshare")
        .args(["-n", "sh", "-c"])
        .arg(format!("ip link set lo up && {script}"))
        .output()
        .unwrap()
}

const WAIT_PORT: &str = "for i in $(seq 1 100); do (echo > /dev/tcp/127.0.0.1/4433) 2>/dev/null && break; sleep 0.05; done";

#[test]
fn our_client_against_gnutls_serv_psk() {
    assert!(
        have("gnutls-serv"),
        "gnutls-serv is missing: .ci/run installs gnutls-bin"
    );
    let dir = std::env::temp_dir().join(format!("cloak-psk-gnutls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let passwd = dir.join("psk.passwd");
    std::fs::write(&passwd, format!("{ID}:{KEY}\n")).unwrap();
    let script = format!(
        "gnutls-serv --echo -p 4433 --pskpasswd {passwd} --priority {GNUTLS_PSK} >/dev/null 2>&1 & SRV=$!; \
         bash -c '{WAIT_PORT}'; \
         (printf 'hello gnutls\\n'; sleep 1) | timeout 20 {CLOAK} client 127.0.0.1:4433 --psk-identity {ID} --psk {KEY}; \
         status=$?; kill $SRV; exit $status",
        passwd = passwd.display(),
    );
    let out = in_netns(&script);
    let _ = std::fs::remove_dir_all(&dir);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.contains("hello gnutls"), "{stdout} {stderr}");
    assert!(
        stderr.contains("external PSK: client1 (psk_dhe_ke)"),
        "{stderr}"
    );
}

#[test]
fn gnutls_cli_psk_against_our_server() {
    assert!(
        have("gnutls-cli"),
        "gnutls-cli is missing: .ci/run installs gnutls-bin"
    );
    let script = format!(
        "{CLOAK} server --psk-identity {ID} --psk {KEY} --listen 127.0.0.1:4433 --echo >/dev/null 2>&1 & SRV=$!; \
         bash -c '{WAIT_PORT}'; \
         (printf 'hello cloak\\n'; sleep 1) | timeout 20 gnutls-cli --priority {GNUTLS_PSK} --pskusername {ID} --pskkey {KEY} -p 4433 localhost; \
         status=$?; kill $SRV; exit $status",
    );
    let out = in_netns(&script);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.contains("hello cloak"), "{stdout} {stderr}");
    assert!(stdout.contains("PSK authentication"), "{stdout}");
    assert!(stdout.contains("TLS1.3"), "{stdout}");
}
