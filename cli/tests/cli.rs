//! The `cloak` command line end to end: the demo, the vectors, `cloak
//! client` against OpenSSL, OpenSSL/Python against `cloak server --www`,
//! and each failure mode's message in plain words.

mod common;
use common::*;
use std::io::Write;
use std::net::TcpListener;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const CLOAK: &str = env!("CARGO_BIN_EXE_cloak");

fn run_client(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(CLOAK)
        .arg("client")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.as_mut().unwrap().write_all(stdin).unwrap();
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn demo_succeeds() {
    let out = Command::new(CLOAK).arg("demo").output().unwrap();
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("protocol: TLS 1.3") && stdout.contains("protocol: TLS 1.2"),
        "{stdout}"
    );
    assert!(stdout.contains("handshake in"), "{stdout}");
    assert!(
        stdout.contains("server replied: the server got"),
        "{stdout}"
    );
    assert!(stdout.contains("demo complete"), "{stdout}");
}

#[test]
fn quic_demo_draws_each_level() {
    for version in ["1", "2"] {
        let out = Command::new(CLOAK)
            .args(["quic-demo", "--resume", "--quic-version", version])
            .output()
            .unwrap();
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{stdout}{stderr}");
        for line in [
            "[Initial] client_hello",
            "[Initial] server_hello",
            "[Handshake] encrypted_extensions",
            "[Handshake] finished",
            "[OneRtt] new_session_ticket",
            "write keys: ZeroRtt",
            "opened with the other side's keys of its level",
            "0-RTT:         accepted",
        ] {
            assert!(stdout.contains(line), "no {line:?} in:\n{stdout}");
        }
    }
    assert!(String::from_utf8_lossy(
        &Command::new(CLOAK)
            .args(["quic-demo", "--quic-version", "2"])
            .output()
            .unwrap()
            .stdout
    )
    .contains("QUIC version:  0x6b3343cf"));
}

#[test]
fn vectors_pass() {
    let out = Command::new(CLOAK).arg("vectors").output().unwrap();
    let (stdout, _) = text(&out);
    assert!(out.status.success());
    // Five traces' checks, and each trace replayed through both sides.
    assert!(stdout.contains("\n15 passed, 0 failed"), "{stdout}");
    for side in ["client", "server"] {
        assert!(
            stdout.contains(&format!("resumed-0rtt.txt: our {side} replayed")),
            "{stdout}"
        );
    }
    assert!(
        stdout.contains("injected: client_hello: padding"),
        "{stdout}"
    );
}

/// `cloak ARGS`: (success, stdout, stderr).
fn cloak(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(CLOAK).args(args).output().unwrap();
    let (stdout, stderr) = text(&out);
    (out.status.success(), stdout, stderr)
}

#[test]
fn help_and_version() {
    let (ok, out, _) = cloak(&["--help"]);
    assert!(ok);
    for sub in ["demo", "client", "server", "vectors"] {
        assert!(out.contains(sub), "{sub} missing from:\n{out}");
    }
    let (ok, out, _) = cloak(&["--version"]);
    assert!(ok && out.starts_with("cloak "), "{out}");
    // Each subcommand has its own help, naming its own options.
    let (ok, out, _) = cloak(&["client", "--help"]);
    assert!(
        ok && out.contains("HOST:PORT") && out.contains("--suites") && out.contains("--insecure")
    );
    assert!(
        !out.contains("--allow-no-ems"),
        "a server option in the client's help"
    );
    let (ok, out, _) = cloak(&["server", "--help"]);
    assert!(
        ok && out.contains("--cert")
            && out.contains("--allow-no-ems")
            && out.contains("--max-connections")
    );
    assert!(
        !out.contains("--insecure"),
        "a client option in the server's help"
    );
    let (ok, out, _) = cloak(&["demo", "--help"]);
    assert!(ok && out.contains("demo"), "{out}");
    let (ok, out, _) = cloak(&["vectors", "--help"]);
    assert!(ok && out.contains("DIR"), "{out}");
}

#[test]
fn bad_usage_gets_a_clear_error() {
    let (ok, _, err) = cloak(&["frobnicate"]);
    assert!(
        !ok && err.contains("unrecognized subcommand 'frobnicate'"),
        "{err}"
    );
    // An unknown flag, and one that belongs to another subcommand.
    let (ok, _, err) = cloak(&["client", "localhost:1", "--bogus"]);
    assert!(
        !ok && err.contains("unexpected argument '--bogus'"),
        "{err}"
    );
    let (ok, _, err) = cloak(&["client", "localhost:1", "--allow-no-ems"]);
    assert!(
        !ok && err.contains("unexpected argument '--allow-no-ems'"),
        "{err}"
    );
    let (ok, _, err) = cloak(&["demo", "--insecure"]);
    assert!(
        !ok && err.contains("unexpected argument '--insecure'"),
        "{err}"
    );
    // What a subcommand needs, and flags given twice.
    let (ok, _, err) = cloak(&["server"]);
    assert!(
        !ok && err.contains("--cert") && err.contains("required"),
        "{err}"
    );
    let (ok, _, err) = cloak(&[
        "client",
        "x:1",
        "--alpn=h2",
        "--servername=a",
        "--servername=b",
    ]);
    assert!(
        !ok && err.contains("cannot be used multiple times"),
        "{err}"
    );
    // Options that go together, and those that do not.
    let (ok, _, err) = cloak(&["server", "--cert", "c", "--key", "k", "--verify-client"]);
    assert!(!ok && err.contains("--cafile"), "{err}");
    let (ok, _, err) = cloak(&["client", "x:1", "--tls12", "--tls13"]);
    assert!(!ok && err.contains("cannot be used with"), "{err}");
    // A wrong name lists the valid ones.
    let (ok, _, err) = cloak(&["client", "x:1", "--suites", "TLS_RSA_WITH_RC4_128_SHA"]);
    assert!(!ok && err.contains("TLS_AES_128_GCM_SHA256"), "{err}");
    let (ok, _, err) = cloak(&["server", "--cert", "c", "--key", "k", "--groups=x448"]);
    assert!(
        !ok && err.contains("x25519") && err.contains("secp384r1"),
        "{err}"
    );
    let (ok, _, err) = cloak(&["client", "x:1", "--sigalgs", "rsa_pkcs1_sha1"]);
    assert!(!ok && err.contains("ecdsa_secp256r1_sha256"), "{err}");
    let (ok, _, err) = cloak(&["client", "x:1", "--min-version", "1.1"]);
    assert!(!ok && err.contains("1.2 or 1.3"), "{err}");
}

#[test]
fn cloak_client_against_openssl_s_server_www() {
    let pki = make_pki("cli-ossl");
    for v in ["-tls1_3", "-tls1_2"] {
        let srv = openssl_server(&pki, "ecdsa", &["-www", v]);
        let port = srv.port;
        let out = run_client(
            &[
                &format!("127.0.0.1:{port}"),
                "--servername",
                "localhost",
                "--cafile",
                pki.ca().to_str().unwrap(),
            ],
            b"GET / HTTP/1.0\r\n\r\n",
        );
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{stderr}");
        assert!(stdout.contains("HTTP/1.0 200 ok"), "{stdout}");
        let want = if v == "-tls1_3" {
            "protocol: TLS 1.3"
        } else {
            "protocol: TLS 1.2"
        };
        assert!(stderr.contains(want), "{stderr}");
        assert!(
            stderr.contains("certificate 0:")
                && stderr.contains("issuer: commonName=cloak interop CA"),
            "{stderr}"
        );
    }
}

#[test]
fn openssl_and_python_against_cloak_server_www() {
    let pki = make_pki("cli-www");
    for (flag, ossl, py) in [
        ("--tls13", "TLSv1.3", "TLSv1.3"),
        ("--tls12", "TLSv1.2", "TLSv1.2"),
    ] {
        let srv = cloak_server(&pki, "ecdsa", &["--www", flag]);
        let port = srv.port;
        let mut child = Command::new("openssl")
            .args([
                "s_client",
                "-connect",
                &format!("127.0.0.1:{port}"),
                "-servername",
                "localhost",
                "-quiet",
            ])
            .arg("-CAfile")
            .arg(pki.ca())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        child
            .stdin
            .as_mut()
            .unwrap()
            .write_all(b"GET /ossl HTTP/1.0\r\n\r\n")
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let page = String::from_utf8_lossy(&out.stdout);
        assert!(page.contains("request: GET /ossl HTTP/1.0"), "{page}");
        assert!(
            page.contains(&format!("protocol: TLS 1.{}", &ossl[6..])),
            "{page}"
        );
        let script = format!(
            r#"
import ssl, urllib.request
ctx = ssl.create_default_context(cafile="{ca}")
with urllib.request.urlopen("https://localhost:{port}/py", context=ctx) as r:
    print(r.read().decode())
"#,
            ca = pki.ca().display()
        );
        let out = Command::new("python3")
            .arg("-c")
            .arg(script)
            .output()
            .unwrap();
        let (page, err) = text(&out);
        assert!(page.contains("request: GET /py HTTP/1.1"), "{page}{err}");
        assert!(
            page.contains(&format!("protocol: TLS 1.{}", &py[6..])),
            "{page}"
        );
    }
}

#[test]
fn expired_and_not_yet_valid_say_when() {
    let pki = make_pki("cli-dates");
    pki.issue("old", &["localhost"], (2001, 1, 1), (2002, 1, 1));
    pki.issue("future", &["localhost"], (2080, 1, 1), (2090, 1, 1));
    for (cert, words) in [
        (
            "old",
            [
                "has expired",
                "expired on 2002-01-01 00:00:00 UTC",
                "the time now is",
            ],
        ),
        (
            "future",
            [
                "not valid yet",
                "becomes valid on 2080-01-01 00:00:00 UTC",
                "clock",
            ],
        ),
    ] {
        let srv = cloak_server(&pki, cert, &[]);
        let port = srv.port;
        let out = run_client(
            &[
                &format!("127.0.0.1:{port}"),
                "--servername",
                "localhost",
                "--cafile",
                pki.ca().to_str().unwrap(),
            ],
            b"",
        );
        let (_, stderr) = text(&out);
        assert!(!out.status.success());
        for w in words {
            assert!(stderr.contains(w), "{cert}: {w:?} not in {stderr}");
        }
    }
}

#[test]
fn name_mismatch_lists_the_names() {
    let pki = make_pki("cli-name");
    let srv = cloak_server(&pki, "ecdsa", &[]);
    let port = srv.port;
    let out = run_client(
        &[
            &format!("127.0.0.1:{port}"),
            "--servername",
            "wrong.example",
            "--cafile",
            pki.ca().to_str().unwrap(),
        ],
        b"",
    );
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(
        stderr.contains(
            "we asked for wrong.example, but the certificate is valid for localhost, 127.0.0.1"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: connect with a name the certificate is valid for"),
        "{stderr}"
    );
}

#[test]
fn unknown_issuer_and_self_signed() {
    let pki = make_pki("cli-issuer");
    let other = make_pki("cli-issuer-other");
    pki.self_signed("selfsigned");
    let srv = cloak_server(&pki, "ecdsa", &[]);
    let port = srv.port;
    let out = run_client(
        &[
            &format!("127.0.0.1:{port}"),
            "--servername",
            "localhost",
            "--cafile",
            other.ca().to_str().unwrap(),
        ],
        b"",
    );
    let (_, stderr) = text(&out);
    assert!(
        stderr.contains("issued by an authority we do not trust"),
        "{stderr}"
    );
    assert!(stderr.contains("hint: pass the CA"), "{stderr}");
    let mut srv = cloak_server(&pki, "selfsigned", &[]);
    let port = srv.port;
    let out = run_client(
        &[
            &format!("127.0.0.1:{port}"),
            "--servername",
            "localhost",
            "--cafile",
            pki.ca().to_str().unwrap(),
        ],
        b"",
    );
    let (_, stderr) = text(&out);
    assert!(stderr.contains("self-signed"), "{stderr}");
    // The server hears why: the client's alert, by name.
    assert!(
        srv.wait_for("the peer sent the fatal alert unknown_ca")
            .is_some(),
        "{}",
        srv.output()
    );
}

#[test]
fn no_common_version_names_both_sides() {
    let pki = make_pki("cli-version");
    let mut srv = cloak_server(&pki, "ecdsa", &["--tls12"]);
    let port = srv.port;
    let out = run_client(
        &[
            &format!("127.0.0.1:{port}"),
            "--servername",
            "localhost",
            "--cafile",
            pki.ca().to_str().unwrap(),
            "--tls13",
        ],
        b"",
    );
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(
        stderr.contains("the peer sent the fatal alert protocol_version"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: the peer accepts none of the TLS versions we offered"),
        "{stderr}"
    );
    assert!(
        srv.wait_for("no protocol version in common: we support TLSv1.2; the peer offered TLSv1.3")
            .is_some(),
        "{}",
        srv.output()
    );
}

#[test]
fn peer_closing_early_and_not_tls() {
    // A server that reads the ClientHello and hangs up (reading first
    // makes its close a clean FIN rather than a reset).
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        if let Some(Ok(mut s)) = listener.incoming().next() {
            let mut hello = [0u8; 5];
            let _ = std::io::Read::read_exact(&mut s, &mut hello);
            let len = u16::from_be_bytes([hello[3], hello[4]]) as usize;
            let mut body = vec![0u8; len];
            let _ = std::io::Read::read_exact(&mut s, &mut body);
        }
    });
    let out = run_client(&[&format!("127.0.0.1:{port}"), "--insecure"], b"");
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(
        stderr.contains("closed the connection before the handshake ended"),
        "{stderr}"
    );
    // A plain HTTP server on the port.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        if let Some(Ok(mut s)) = listener.incoming().next() {
            let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
            std::thread::sleep(Duration::from_millis(200));
        }
    });
    let out = run_client(&[&format!("127.0.0.1:{port}"), "--insecure"], b"");
    let (_, stderr) = text(&out);
    assert!(
        stderr.contains("does not speak TLS: it answered in plain HTTP"),
        "{stderr}"
    );
    assert!(stderr.contains("hint: check the port"), "{stderr}");
    // Nothing listening.
    let port = unused_port();
    let out = run_client(&[&format!("127.0.0.1:{port}"), "--insecure"], b"");
    let (_, stderr) = text(&out);
    assert!(stderr.contains("nothing is listening"), "{stderr}");
}

#[test]
fn http_to_the_tls_port_is_named_and_one_bad_client_stops_nobody() {
    let pki = make_pki("cli-http");
    let mut srv = cloak_server(&pki, "ecdsa", &["--www"]);
    let port = srv.port;
    let out = Command::new("curl")
        .args([
            "-sS",
            "--max-time",
            "5",
            &format!("http://127.0.0.1:{port}/"),
        ])
        .output()
        .unwrap();
    // Told in plain HTTP that the port speaks HTTPS.
    let answer = String::from_utf8_lossy(&out.stdout);
    assert!(answer.contains("This port speaks HTTPS"), "{answer}");
    assert!(
        srv.wait_for("it sent an HTTP request").is_some(),
        "{}",
        srv.output()
    );
    // The server still serves the next client.
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "5", "--cacert"])
        .arg(pki.ca())
        .args([
            "--resolve",
            &format!("localhost:{port}:127.0.0.1"),
            &format!("https://localhost:{port}/"),
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("cloak server"));
}

#[test]
fn keylog_file_is_written() {
    let pki = make_pki("cli-keylog");
    let srv = cloak_server(&pki, "ecdsa", &["--tls13"]);
    let port = srv.port;
    let keylog = pki.file("keys.log");
    let out = run_client(
        &[
            &format!("127.0.0.1:{port}"),
            "--servername",
            "localhost",
            "--cafile",
            pki.ca().to_str().unwrap(),
            "--keylog",
            keylog.to_str().unwrap(),
        ],
        b"",
    );
    assert!(out.status.success(), "{}", text(&out).1);
    let log = std::fs::read_to_string(&keylog).unwrap();
    for label in [
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
        "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        "CLIENT_TRAFFIC_SECRET_0",
        "SERVER_TRAFFIC_SECRET_0",
    ] {
        let line = log
            .lines()
            .find(|l| l.starts_with(label))
            .unwrap_or_else(|| panic!("{label} missing: {log}"));
        // LABEL <64 hex client random> <hex secret>
        let parts: Vec<&str> = line.split(' ').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[1].len(), 64);
        assert_eq!(parts[2].len(), 64);
    }
}

#[test]
fn trace_prints_a_ladder() {
    let pki = make_pki("cli-trace");
    let mut srv = cloak_server(&pki, "ecdsa", &["--trace"]);
    let port = srv.port;
    let out = run_client(
        &[
            &format!("127.0.0.1:{port}"),
            "--servername",
            "localhost",
            "--cafile",
            pki.ca().to_str().unwrap(),
            "--trace",
        ],
        b"",
    );
    let (_, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    for want in [
        "client_hello",
        "server_hello",
        "--->",
        "<---",
        "state: ClientConnected13",
    ] {
        assert!(stderr.contains(want), "{want:?} missing from:\n{stderr}");
    }
    // Secrets only when asked for, by name.
    assert!(!stderr.contains("TRAFFIC_SECRET"), "{stderr}");
    let out = run_client(
        &[
            &format!("127.0.0.1:{port}"),
            "--servername",
            "localhost",
            "--cafile",
            pki.ca().to_str().unwrap(),
            "--trace",
            "--trace-secrets",
        ],
        b"",
    );
    let (_, stderr) = text(&out);
    assert!(stderr.contains("CLIENT_TRAFFIC_SECRET_0"), "{stderr}");
    assert!(
        srv.wait_for("server                                            client")
            .is_some(),
        "{}",
        srv.output()
    );
}

#[test]
fn client_status_shows_the_stapled_ocsp_response() {
    let pki = make_pki("cli-ocsp");
    let ocsp = pki.file("ocsp.der");
    // A DER OCSPResponse whose status is "unauthorized" (RFC 6960 §4.2.1).
    std::fs::write(&ocsp, [0x30, 0x03, 0x0a, 0x01, 0x06]).unwrap();
    let srv = cloak_server(&pki, "ecdsa", &["--ocsp", ocsp.to_str().unwrap()]);
    let port = srv.port;
    for (flags, shown) in [(&["--status"][..], true), (&[][..], false)] {
        let mut args = vec![
            format!("127.0.0.1:{port}"),
            "--servername".into(),
            "localhost".into(),
            "--cafile".into(),
            pki.ca().to_str().unwrap().to_string(),
        ];
        args.extend(flags.iter().map(|f| f.to_string()));
        let refs: Vec<&str> = args.iter().map(|a| a.as_str()).collect();
        let out = run_client(&refs, b"");
        let (_, stderr) = text(&out);
        assert!(out.status.success(), "{stderr}");
        assert_eq!(
            stderr.contains("stapled OCSP response: 5 bytes (not checked)"),
            shown,
            "{stderr}"
        );
    }
}

/// Takes extended_master_secret out of a ClientHello: a legacy TLS 1.2
/// client.
#[derive(Debug)]
struct NoEms;

impl cloaktls::danger::replay::MessageShaper for NoEms {
    fn shape(&self, message: &mut cloaktls::msgs::handshake::HandshakePayload) {
        if let cloaktls::msgs::handshake::HandshakePayload::ClientHello(ch) = message {
            ch.extensions.retain(|e| {
                !matches!(
                    e,
                    cloaktls::msgs::extensions::Extension::ExtendedMasterSecret
                )
            });
        }
    }
}

#[test]
fn server_allow_no_ems_takes_legacy_tls12_clients() {
    let pki = make_pki("cli-no-ems");
    let legacy = cloaktls::danger::allow_no_extended_master_secret_client(
        cloaktls::danger::replay::shape_client_messages(
            cloaktls::ClientConfig::builder(pki.roots.clone()),
            std::sync::Arc::new(NoEms),
        ),
    )
    .build()
    .unwrap();
    let connect = |port: u16| {
        let sock = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        cloaktls::stream::ClientStream::connect(legacy.clone(), "localhost", sock)
    };
    // By default the server refuses a client without the extension.
    let mut srv = cloak_server(&pki, "ecdsa", &["--tls12"]);
    assert!(connect(srv.port).is_err());
    assert!(
        srv.wait_for("does not support the extended master secret")
            .is_some(),
        "{}",
        srv.output()
    );
    // --allow-no-ems takes it, without the extension.
    let srv = cloak_server(&pki, "ecdsa", &["--tls12", "--allow-no-ems"]);
    let tls = connect(srv.port).unwrap();
    assert!(!tls.conn().extended_master_secret());
    assert!(text(
        &Command::new(CLOAK)
            .args(["server", "--help"])
            .output()
            .unwrap()
    )
    .0
    .contains("--allow-no-ems"));
}

/// Reads from `sock` until it is closed; how long that took.
fn time_until_closed(
    sock: &mut std::net::TcpStream,
    limit: std::time::Duration,
) -> std::time::Duration {
    use std::io::Read;
    let start = std::time::Instant::now();
    sock.set_read_timeout(Some(std::time::Duration::from_millis(100)))
        .unwrap();
    let mut buf = [0u8; 512];
    while start.elapsed() < limit {
        match sock.read(&mut buf) {
            Ok(0) => return start.elapsed(),
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return start.elapsed(),
        }
    }
    limit
}

#[test]
fn server_ends_a_handshake_that_trickles_past_its_deadline() {
    use std::io::Write;
    let pki = make_pki("cli-deadline");
    let mut srv = cloak_server(&pki, "ecdsa", &["--handshake-timeout", "1"]);
    let mut sock = std::net::TcpStream::connect(("127.0.0.1", srv.port)).unwrap();
    // A record header, then one byte at a time: each read is quick, the
    // whole is not.
    sock.write_all(&[22, 3, 1, 0, 200]).unwrap();
    let trickle = {
        let mut s = sock.try_clone().unwrap();
        std::thread::spawn(move || {
            for _ in 0..40 {
                std::thread::sleep(std::time::Duration::from_millis(200));
                if s.write_all(&[1]).is_err() {
                    break;
                }
            }
        })
    };
    let took = time_until_closed(&mut sock, std::time::Duration::from_secs(8));
    assert!(
        took < std::time::Duration::from_secs(5),
        "held open for {took:?}"
    );
    trickle.join().unwrap();
    assert!(srv.wait_for("took too long").is_some(), "{}", srv.output());
}

#[test]
fn server_ends_a_handshake_from_a_silent_client_at_its_deadline() {
    let pki = make_pki("cli-silent");
    let mut srv = cloak_server(&pki, "ecdsa", &["--handshake-timeout", "1"]);
    let mut sock = std::net::TcpStream::connect(("127.0.0.1", srv.port)).unwrap();
    let took = time_until_closed(&mut sock, std::time::Duration::from_secs(8));
    assert!(
        took < std::time::Duration::from_secs(5),
        "held open for {took:?}"
    );
    // The read that waited out the deadline is reported as the deadline.
    assert!(srv.wait_for("took too long").is_some(), "{}", srv.output());
}

#[test]
fn server_refuses_connections_over_its_cap() {
    let pki = make_pki("cli-cap");
    let mut srv = cloak_server(
        &pki,
        "ecdsa",
        &["--max-connections", "1", "--handshake-timeout", "30"],
    );
    // One connection that sends nothing holds the only place.
    let _first = std::net::TcpStream::connect(("127.0.0.1", srv.port)).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let mut second = std::net::TcpStream::connect(("127.0.0.1", srv.port)).unwrap();
    let took = time_until_closed(&mut second, std::time::Duration::from_secs(5));
    assert!(took < std::time::Duration::from_secs(3), "{took:?}");
    assert!(
        srv.wait_for("refused: 1 connections").is_some(),
        "{}",
        srv.output()
    );
}

/// `openssl s_client` once against `port`, reading the session from
/// `sess_in` (if given) and saving it to `sess_out`; whether it resumed.
fn s_client_session(
    pki: &Pki,
    port: u16,
    sess_in: Option<&std::path::Path>,
    sess_out: &std::path::Path,
) -> bool {
    let mut cmd = Command::new("openssl");
    cmd.args(["s_client", "-connect", &format!("127.0.0.1:{port}")])
        .args(["-servername", "localhost", "-CAfile"])
        .arg(pki.ca())
        .arg("-sess_out")
        .arg(sess_out);
    if let Some(s) = sess_in {
        cmd.arg("-sess_in").arg(s);
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // A line, and time for the server's tickets to arrive, before closing.
    child.stdin.as_mut().unwrap().write_all(b"hi\n").unwrap();
    std::thread::sleep(Duration::from_millis(400));
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Verify return code: 0"), "{text}");
    text.contains("Reused, TLS")
}

#[test]
fn servers_sharing_a_ticket_key_file_resume_each_others_sessions() {
    let pki = make_pki("cli-fleet");
    let keys = pki.file("fleet.keys");
    let other = pki.file("other.keys");
    for f in [&keys, &other] {
        let out = Command::new(CLOAK)
            .args(["ticket-keys", "new"])
            .arg(f)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out).1);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&keys).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the key file is for its owner only");
    }
    let keys_arg = keys.to_str().unwrap();
    let mut a = cloak_server(&pki, "ecdsa", &["--ticket-keys", keys_arg]);
    let mut b = cloak_server(&pki, "ecdsa", &["--ticket-keys", keys_arg]);
    let c = cloak_server(&pki, "ecdsa", &["--ticket-keys", other.to_str().unwrap()]);
    let (s1, s2) = (pki.file("s1.pem"), pki.file("s2.pem"));
    assert!(!s_client_session(&pki, a.port, None, &s1));
    // The second server resumes the session the first issued.
    assert!(s_client_session(&pki, b.port, Some(&s1), &s2));
    assert!(b.wait_for(", resumed").is_some(), "{}", b.output());
    // A server with another key file makes a full handshake.
    assert!(!s_client_session(
        &pki,
        c.port,
        Some(&s1),
        &pki.file("s3.pem")
    ));
    // Rotation by replacing the file, without a restart: sessions from
    // before still resume (the old key opens), new ones are sealed under
    // the new key and resume on both servers.
    let out = Command::new(CLOAK)
        .args(["ticket-keys", "rotate"])
        .arg(&keys)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out).1);
    assert_eq!(
        std::fs::read_to_string(&keys)
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with('#'))
            .count(),
        2
    );
    std::thread::sleep(Duration::from_millis(1100));
    assert!(s_client_session(
        &pki,
        a.port,
        Some(&s2),
        &pki.file("s4.pem")
    ));
    let (s5, s6) = (pki.file("s5.pem"), pki.file("s6.pem"));
    assert!(!s_client_session(&pki, b.port, None, &s5));
    assert!(s_client_session(&pki, a.port, Some(&s5), &s6));
    assert!(a.wait_for(", resumed").is_some(), "{}", a.output());
}

/// `cloak server` holds several credentials (--cert/--key repeated, in
/// pairs): a client that accepts only RSA-PSS gets the RSA one, a client
/// that accepts only ECDSA the ECDSA one; unpaired options are an error.
#[test]
fn server_with_two_credentials_serves_each_client_the_one_it_accepts() {
    let pki = make_pki("cli-two-creds");
    let srv = Server::spawn(
        std::process::Command::new(env!("CARGO_BIN_EXE_cloak"))
            .arg("server")
            .args(["--cert", pki.file("ecdsa.pem").to_str().unwrap()])
            .args(["--key", pki.file("ecdsa.key").to_str().unwrap()])
            .args(["--cert", pki.file("rsa.pem").to_str().unwrap()])
            .args(["--key", pki.file("rsa.key").to_str().unwrap()])
            .args(["--listen", "127.0.0.1:0"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped()),
        true,
        "listening on",
    );
    for sigalg in ["rsa_pss_rsae_sha256", "ecdsa_secp256r1_sha256"] {
        for version in ["--tls13", "--tls12"] {
            let out = run_client(
                &[
                    &format!("127.0.0.1:{}", srv.port),
                    "--cafile",
                    pki.ca().to_str().unwrap(),
                    "--sigalgs",
                    sigalg,
                    version,
                ],
                b"two\n",
            );
            let (stdout, stderr) = text(&out);
            assert!(out.status.success(), "{sigalg} {version}: {stderr}");
            assert!(stdout.contains("two"), "{stdout}");
        }
    }
    let (ok, _, err) = cloak(&[
        "server", "--cert", "a.pem", "--key", "a.key", "--cert", "b.pem",
    ]);
    assert!(
        !ok && err.contains("give each certificate its key"),
        "{err}"
    );
}
