//! The BoGo shim's contract, tested without the runner: this test plays
//! the runner's part (accepts the shim's connection, checks the shim id,
//! speaks TLS with cloaktls, sends a message and expects it back XORed
//! with 0xff), for the shim as client and as server, with a resumption.

mod common;
use cloaktls::stream::TlsStream;
use cloaktls::{ClientConfig, ClientConnection, ServerConfig, ServerConnection};
use common::*;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};

const SHIM: &str = env!("CARGO_BIN_EXE_bogo_shim");

fn read_id(sock: &mut std::net::TcpStream) -> u64 {
    let mut id = [0u8; 8];
    sock.read_exact(&mut id).unwrap();
    u64::from_le_bytes(id)
}

fn echo_check<C: std::ops::DerefMut<Target = cloaktls::Connection>>(
    tls: &mut TlsStream<C, std::net::TcpStream>,
) {
    let msg: Vec<u8> = (0..32u8).collect();
    tls.write_all(&msg).unwrap();
    let mut back = [0u8; 32];
    tls.read_exact(&mut back).unwrap();
    for (a, b) in msg.iter().zip(back) {
        assert_eq!(*a ^ 0xff, b);
    }
    tls.send_close_notify().unwrap();
}

#[test]
fn handshaker_question_and_unknown_flags() {
    let out = Command::new(SHIM)
        .arg("-is-handshaker-supported")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "No");
    let out = Command::new(SHIM)
        .args(["-port", "1", "-shim-id", "1", "-advertise-npn", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(89));
}

#[test]
fn shim_as_client_with_resumption() {
    let pki = make_pki("bogo-client");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut shim = Reaper(
        Command::new(SHIM)
            .args([
                "-port",
                &port.to_string(),
                "-shim-id",
                "42",
                "-resume-count",
                "1",
            ])
            .args([
                "-advertise-alpn",
                "\u{2}h2",
                "-expect-alpn",
                "h2",
                "-expect-version",
                "772",
            ])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let cfg = ServerConfig::builder(pki.ecdsa.clone())
        .alpn_protocols(&["h2"])
        .build()
        .unwrap();
    for round in 0..2 {
        let (mut sock, _) = listener.accept().unwrap();
        assert_eq!(read_id(&mut sock), 42);
        let mut tls = TlsStream::new(ServerConnection::new(cfg.clone()).unwrap(), sock);
        tls.complete_handshake().unwrap();
        assert_eq!(tls.conn().is_resumed(), round == 1);
        echo_check(&mut tls);
    }
    let status = shim.0.wait().unwrap();
    assert!(status.success());
}

#[test]
fn shim_as_server_reports_errors_in_boringssl_terms() {
    let pki = make_pki("bogo-server");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let shim_cmd = |extra: &[&str]| {
        Command::new(SHIM)
            .args(["-port", &port.to_string(), "-shim-id", "7", "-server"])
            .arg("-cert-file")
            .arg(pki.file("ecdsa.pem"))
            .arg("-key-file")
            .arg(pki.file("ecdsa.key"))
            .args(extra)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    // A good exchange, TLS 1.2.
    let mut shim = Reaper(shim_cmd(&["-expect-version", "771", "-shim-writes-first"]));
    let (mut sock, _) = listener.accept().unwrap();
    assert_eq!(read_id(&mut sock), 7);
    let cfg = ClientConfig::builder(pki.roots.clone())
        .versions(&[cloaktls::msgs::enums::ProtocolVersion::TLSV1_2])
        .build()
        .unwrap();
    let mut tls = TlsStream::new(ClientConnection::new(cfg, "localhost").unwrap(), sock);
    tls.complete_handshake().unwrap();
    let mut hello = [0u8; 5];
    tls.read_exact(&mut hello).unwrap();
    assert_eq!(&hello, b"hello");
    echo_check(&mut tls);
    assert!(shim.0.wait().unwrap().success());
    // A peer that is not TLS: exit 1 and a code between colons.
    let mut shim = Reaper(shim_cmd(&[]));
    let (mut sock, _) = listener.accept().unwrap();
    read_id(&mut sock);
    sock.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    let out = std::mem::replace(&mut shim.0, Command::new("true").spawn().unwrap())
        .wait_with_output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(":HTTP_REQUEST:"), "{stderr}");
}

/// The words that name a feature cloaktls lacks, by design or not yet.
const LACKING: [&str; 5] = [
    "not implemented",
    "does not implement",
    "by design",
    "BoringSSL-specific",
    "does not bridge",
];

/// Whether a reason names an RFC section or a feature cloaktls lacks.
fn justified(reason: &str) -> bool {
    reason.contains("RFC ") || LACKING.iter().any(|w| reason.contains(w))
}

#[test]
fn every_disabled_test_and_error_mapping_has_its_reason() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../bogo/config.json");
    let text = std::fs::read_to_string(path).unwrap();
    let config: serde_json::Value = serde_json::from_str(&text).unwrap();
    let disabled = config["DisabledTests"].as_object().unwrap();
    assert!(!disabled.is_empty());
    for (pattern, reason) in disabled {
        let reason = reason.as_str().unwrap_or_default();
        assert!(
            justified(reason),
            "DisabledTests {pattern:?}: the reason must name an RFC section or a lacking feature: {reason:?}"
        );
    }
    // Every error mapping has a reason, and every reason a mapping.
    let map = config["ErrorMap"].as_object().unwrap();
    let reasons = config["ErrorMapReasons"].as_object().unwrap();
    for (code, ours) in map {
        assert!(
            ours.as_array().is_some_and(|a| !a.is_empty()),
            "ErrorMap {code:?} maps to nothing"
        );
        let reason = reasons
            .get(code)
            .and_then(|r| r.as_str())
            .unwrap_or_else(|| panic!("ErrorMap {code:?} has no ErrorMapReasons entry"));
        // An error mapping is honest only where both send the same alert:
        // its reason names the RFC section that calls for it.
        assert!(
            reason.contains("RFC "),
            "ErrorMapReasons {code:?}: the reason must name an RFC section: {reason:?}"
        );
    }
    for code in reasons.keys() {
        assert!(map.contains_key(code), "a reason for no mapping: {code:?}");
    }
    // A runner setting changed from BoringSSL's has its reason too.
    if config.get("HalfRTTTickets").is_some() {
        let reason = config["HalfRTTTicketsReason"].as_str().unwrap_or_default();
        assert!(justified(reason), "HalfRTTTickets: {reason:?}");
    }
}

/// Runs the shim with `args` (a port and id are added) and plays the
/// runner's part once per connection with `peer`, which gets the socket
/// and the round; returns the shim's exit code and stderr.
fn with_shim(
    args: &[&str],
    rounds: usize,
    mut peer: impl FnMut(std::net::TcpStream, usize),
) -> (Option<i32>, String) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let mut shim = Reaper(
        Command::new(SHIM)
            .args(["-port", &port, "-shim-id", "3"])
            .args(args)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    for round in 0..rounds {
        let (mut sock, _) = listener.accept().unwrap();
        assert_eq!(read_id(&mut sock), 3);
        peer(sock, round);
    }
    let out = std::mem::replace(&mut shim.0, Command::new("true").spawn().unwrap())
        .wait_with_output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A cloaktls server answering the shim as client: the handshake (its
/// result returned), then the echo check if it succeeded.
fn serve(
    cfg: &std::sync::Arc<ServerConfig>,
    sock: std::net::TcpStream,
) -> Result<bool, cloaktls::Error> {
    let mut tls = TlsStream::new(ServerConnection::new(cfg.clone()).unwrap(), sock);
    tls.complete_handshake()?;
    let resumed = tls.conn().is_resumed();
    echo_check(&mut tls);
    Ok(resumed)
}

/// A cloaktls server for a shim that is to fail: the handshake, our
/// close_notify, then whatever the shim says until it goes.
fn serve_failing(cfg: &std::sync::Arc<ServerConfig>, sock: std::net::TcpStream) {
    let mut tls = TlsStream::new(ServerConnection::new(cfg.clone()).unwrap(), sock);
    if tls.complete_handshake().is_ok() {
        let _ = tls.send_close_notify();
        let mut rest = Vec::new();
        let _ = tls.read_to_end(&mut rest);
    }
}

#[test]
fn async_io_peer_signature_verify_prefs_and_verify_result() {
    // -async drives the connection one byte at a time; the resumed
    // connection reports the session's signature scheme and verification.
    let pki = make_pki("bogo-async");
    let cfg = ServerConfig::builder(pki.ecdsa.clone()).build().unwrap();
    let (code, err) = with_shim(
        &[
            "-async",
            "-resume-count",
            "1",
            "-verify-prefs",
            "1027",
            "-expect-peer-signature-algorithm",
            "1027",
            "-expect-verify-result",
        ],
        2,
        |sock, round| assert_eq!(serve(&cfg, sock).unwrap(), round == 1),
    );
    assert_eq!(code, Some(0), "{err}");
    // A scheme the peer did not use is a failure.
    let (code, err) = with_shim(
        &["-expect-peer-signature-algorithm", "2052"],
        1,
        |sock, _| serve_failing(&cfg, sock),
    );
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("peer signature algorithm"), "{err}");
}

#[test]
fn verify_fail_is_fatal_only_with_verify_peer() {
    let pki = make_pki("bogo-verify");
    let cfg = ServerConfig::builder(pki.ecdsa.clone()).build().unwrap();
    // Soft: the failure is recorded, and -expect-verify-result sees it.
    let (code, err) = with_shim(&["-verify-fail", "-expect-verify-result"], 1, |sock, _| {
        serve(&cfg, sock).unwrap();
    });
    assert_eq!(code, Some(0), "{err}");
    // Fatal: certificate_unknown (RFC 8446 §6.2) for the peer.
    let (code, err) = with_shim(&["-verify-fail", "-verify-peer"], 1, |sock, _| {
        let e = serve(&cfg, sock).unwrap_err();
        assert_eq!(
            e,
            cloaktls::Error::AlertReceived(cloaktls::AlertDescription::CERTIFICATE_UNKNOWN)
        );
    });
    assert_eq!(code, Some(1));
    assert!(err.contains(":CERTIFICATE_VERIFY_FAILED:"), "{err}");
}

#[test]
fn credentials_and_the_selected_one() {
    // Two credentials; a client that accepts only RSA-PSS gets the
    // second, and -expect-selected-credential checks which was used; the
    // -on-initial prefix keeps the check off the resumption.
    let pki = make_pki("bogo-creds");
    let ecdsa = (pki.file("ecdsa.pem"), pki.file("ecdsa.key"));
    let rsa = (pki.file("rsa.pem"), pki.file("rsa.key"));
    let args = [
        "-server",
        "-resume-count",
        "1",
        "-new-x509-credential",
        "-cert-file",
        ecdsa.0.to_str().unwrap(),
        "-key-file",
        ecdsa.1.to_str().unwrap(),
        "-new-x509-credential",
        "-cert-file",
        rsa.0.to_str().unwrap(),
        "-key-file",
        rsa.1.to_str().unwrap(),
        "-on-initial-expect-selected-credential",
        "1",
    ];
    let store = std::sync::Arc::new(cloaktls::session::MemorySessionCache::new(4));
    let cfg = ClientConfig::builder(pki.roots.clone())
        .signature_schemes(&[cloaktls::SignatureScheme::RSA_PSS_RSAE_SHA256])
        .session_store(Some(store))
        .build()
        .unwrap();
    let (code, err) = with_shim(&args, 2, |sock, round| {
        let mut tls = TlsStream::new(
            ClientConnection::new(cfg.clone(), "localhost").unwrap(),
            sock,
        );
        tls.complete_handshake().unwrap();
        assert_eq!(tls.conn().is_resumed(), round == 1);
        echo_check(&mut tls);
    });
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn implicit_handshake_and_the_message_log() {
    let pki = make_pki("bogo-implicit");
    let cfg = ServerConfig::builder(pki.ecdsa.clone())
        .versions(&[cloaktls::msgs::enums::ProtocolVersion::TLSV1_2])
        .tickets(0)
        .build()
        .unwrap();
    // The first write drives the handshake.
    let (code, err) = with_shim(
        &["-implicit-handshake", "-shim-writes-first"],
        1,
        |sock, _| {
            let mut tls = TlsStream::new(ServerConnection::new(cfg.clone()).unwrap(), sock);
            let mut hello = [0u8; 5];
            tls.read_exact(&mut hello).unwrap();
            assert_eq!(&hello, b"hello");
            echo_check(&mut tls);
        },
    );
    assert_eq!(code, Some(0), "{err}");
    // The message callback's log, as BoringSSL's shim writes it, up to the
    // peer's close_notify.
    let log = "write hs 1\nread hs 2\nread hs 11\nread hs 12\nread hs 14\nwrite hs 16\n\
               write ccs\nwrite hs 20\nread ccs\nread hs 20\nread alert 1 0\n";
    let (code, err) = with_shim(&["-expect-msg-callback", log], 1, |sock, _| {
        serve(&cfg, sock).unwrap();
    });
    assert_eq!(code, Some(0), "{err}");
    let (code, err) = with_shim(&["-expect-msg-callback", "read hs 2\n"], 1, |sock, _| {
        serve_failing(&cfg, sock)
    });
    assert_eq!(code, Some(1));
    assert!(err.contains("message callback log"), "{err}");
}

#[test]
fn the_client_certificate_from_a_callback() {
    let pki = make_pki("bogo-certcb");
    let cfg = ServerConfig::builder(pki.ecdsa.clone())
        .client_auth(cloaktls::config::ClientAuth::required(pki.roots.clone()))
        .build()
        .unwrap();
    let (cert, key) = (pki.file("client.pem"), pki.file("client.key"));
    let args = [
        "-use-old-client-cert-callback",
        "-cert-file",
        cert.to_str().unwrap(),
        "-key-file",
        key.to_str().unwrap(),
    ];
    let (code, err) = with_shim(&args, 1, |sock, _| {
        let mut tls = TlsStream::new(ServerConnection::new(cfg.clone()).unwrap(), sock);
        tls.complete_handshake().unwrap();
        assert_eq!(tls.conn().peer_certificates().len(), 1);
        echo_check(&mut tls);
    });
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn reverify_on_resume_with_the_resumptions_flags() {
    // -on-resume-verify-fail alone does not touch a resumption (nothing is
    // verified); with -reverify-on-resume the session's chain is verified
    // again, and fails.
    let pki = make_pki("bogo-reverify");
    let cfg = ServerConfig::builder(pki.ecdsa.clone()).build().unwrap();
    let base = [
        "-verify-peer",
        "-resume-count",
        "1",
        "-on-resume-verify-fail",
    ];
    let (code, err) = with_shim(&base, 2, |sock, round| {
        assert_eq!(serve(&cfg, sock).unwrap(), round == 1);
    });
    assert_eq!(code, Some(0), "{err}");
    let mut args = base.to_vec();
    args.push("-reverify-on-resume");
    let (code, err) = with_shim(&args, 2, |sock, round| match round {
        0 => assert!(!serve(&cfg, sock).unwrap()),
        _ => serve_failing(&cfg, sock),
    });
    assert_eq!(code, Some(1));
    assert!(err.contains(":CERTIFICATE_VERIFY_FAILED:"), "{err}");
}

#[test]
fn client_hello_callbacks_choose_or_turn_away() {
    // The shim as server reads the ClientHello first (cloaktls's
    // Acceptor): it checks the ALPN offered, or turns the client away
    // with the alert BoringSSL's callbacks send.
    let pki = make_pki("bogo-early");
    let key = (pki.file("ecdsa.pem"), pki.file("ecdsa.key"));
    let cfg = ClientConfig::builder(pki.roots.clone())
        .alpn_protocols(["foo", "bar"])
        .build()
        .unwrap();
    let base = [
        "-server",
        "-cert-file",
        key.0.to_str().unwrap(),
        "-key-file",
        key.1.to_str().unwrap(),
    ];
    let client = |sock| {
        let mut tls = TlsStream::new(
            ClientConnection::new(cfg.clone(), "localhost").unwrap(),
            sock,
        );
        tls.complete_handshake().map(|_| echo_check(&mut tls))
    };
    let args = [
        &base[..],
        &[
            "-use-early-callback",
            "-expect-advertised-alpn",
            "\x03foo\x03bar",
        ],
    ]
    .concat();
    let (code, err) = with_shim(&args, 1, |sock, _| client(sock).unwrap());
    assert_eq!(code, Some(0), "{err}");
    for (flags, alert) in [
        (
            &["-fail-early-callback"][..],
            cloaktls::AlertDescription::HANDSHAKE_FAILURE,
        ),
        (
            &["-install-ddos-callback", "-fail-ddos-callback"][..],
            cloaktls::AlertDescription::INTERNAL_ERROR,
        ),
    ] {
        let args = [&base[..], flags].concat();
        let (code, err) = with_shim(&args, 1, |sock, _| {
            assert_eq!(
                client(sock).unwrap_err(),
                cloaktls::Error::AlertReceived(alert)
            );
        });
        assert_eq!(code, Some(1));
        assert!(err.contains(":CONNECTION_REJECTED:"), "{err}");
    }
    // Another ALPN list than the one expected fails the shim.
    let args = [&base[..], &["-expect-advertised-alpn", "\x03baz"]].concat();
    let (code, err) = with_shim(&args, 1, |sock, _| {
        let _ = client(sock);
    });
    assert_eq!(code, Some(1));
    assert!(err.contains("offered ALPN"), "{err}");
}

#[test]
fn send_alert_aborts_after_the_handshake() {
    let pki = make_pki("bogo-alert");
    let cfg = ServerConfig::builder(pki.ecdsa.clone()).build().unwrap();
    let (code, err) = with_shim(&["-send-alert"], 1, |sock, _| {
        let mut tls = TlsStream::new(ServerConnection::new(cfg.clone()).unwrap(), sock);
        // The alert can come with the client's Finished (TLS 1.3).
        let mut buf = [0u8; 8];
        let e = match tls.complete_handshake() {
            Err(e) => e,
            Ok(()) => cloaktls::Error::from(tls.read(&mut buf).unwrap_err()),
        };
        assert_eq!(
            e,
            cloaktls::Error::AlertReceived(cloaktls::AlertDescription::DECOMPRESSION_FAILURE)
        );
    });
    assert_eq!(code, Some(0), "{err}");
}

/// Keeps the secrets a configuration logs, by label.
#[derive(Debug, Default)]
struct Logged(std::sync::Mutex<Vec<(String, Vec<u8>)>>);

impl cloaktls::config::KeyLog for Logged {
    fn log(&self, label: &str, _client_random: &[u8], secret: &[u8]) {
        self.0
            .lock()
            .unwrap()
            .push((label.to_string(), secret.to_vec()));
    }
}

#[test]
fn tls_unique_and_traffic_secrets_come_first() {
    let pki = make_pki("bogo-unique");
    // -tls-unique (TLS 1.2): the shim's 12 bytes are the server's too.
    let cfg = ServerConfig::builder(pki.ecdsa.clone())
        .versions(&[cloaktls::ProtocolVersion::TLSV1_2])
        .build()
        .unwrap();
    let (code, err) = with_shim(&["-tls-unique"], 1, |sock, _| {
        let mut tls = TlsStream::new(ServerConnection::new(cfg.clone()).unwrap(), sock);
        tls.complete_handshake().unwrap();
        let mut unique = [0u8; 12];
        tls.read_exact(&mut unique).unwrap();
        assert_eq!(Some(&unique[..]), tls.conn().tls_unique());
        echo_check(&mut tls);
    });
    assert_eq!(code, Some(0), "{err}");
    // -export-traffic-secrets (TLS 1.3): the length, then the client's
    // read (the server's write) and write traffic secrets.
    let log = std::sync::Arc::new(Logged::default());
    let cfg = ServerConfig::builder(pki.ecdsa.clone())
        .key_log(log.clone())
        .build()
        .unwrap();
    let (code, err) = with_shim(&["-export-traffic-secrets"], 1, |sock, _| {
        let mut tls = TlsStream::new(ServerConnection::new(cfg.clone()).unwrap(), sock);
        tls.complete_handshake().unwrap();
        let secret = |label: &str| {
            let logged = log.0.lock().unwrap();
            logged
                .iter()
                .rev()
                .find(|(l, _)| l == label)
                .unwrap()
                .1
                .clone()
        };
        let mut len = [0u8; 2];
        tls.read_exact(&mut len).unwrap();
        let mut both = vec![0u8; 2 * usize::from(u16::from_le_bytes(len))];
        tls.read_exact(&mut both).unwrap();
        let half = both.len() / 2;
        assert_eq!(both[..half], secret("SERVER_TRAFFIC_SECRET_0")[..]);
        assert_eq!(both[half..], secret("CLIENT_TRAFFIC_SECRET_0")[..]);
        echo_check(&mut tls);
    });
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn key_shares_grease_and_the_groups_hint_shape_the_client_hello() {
    // The shim as client; the server reads its ClientHello with an
    // Acceptor before answering.
    let pki = make_pki("bogo-shares");
    let cfg = ServerConfig::builder(pki.ecdsa.clone()).build().unwrap();
    let hello_of = |sock: &mut std::net::TcpStream| {
        let mut acceptor = cloaktls::conn::Acceptor::new();
        let mut buf = [0u8; 4096];
        loop {
            if let Some(a) = acceptor.accept() {
                return a;
            }
            let n = sock.read(&mut buf).unwrap();
            acceptor.read_tls(&buf[..n]).unwrap();
        }
    };
    let serve_after = |mut sock: std::net::TcpStream,
                       check: &dyn Fn(&cloaktls::conn::ClientHelloInfo)| {
        let accepted = hello_of(&mut sock);
        check(accepted.client_hello());
        let conn = accepted.into_connection(cfg.clone()).unwrap();
        let mut tls = TlsStream::new(conn, sock);
        // A shim that fails says why in its exit code and stderr.
        if tls.complete_handshake().is_ok() {
            let _ = tls.write_all(b"ping");
            let mut back = [0u8; 4];
            let _ = tls.read_exact(&mut back);
        }
    };
    // -enable-grease: a reserved value among the groups and the suites.
    let (code, err) = with_shim(&["-enable-grease"], 1, |sock, _| {
        serve_after(sock, &|h| {
            assert!(h
                .groups
                .iter()
                .any(|g| cloaktls::msgs::enums::is_grease_u16(g.0)));
            assert!(h
                .cipher_suites
                .iter()
                .any(|s| cloaktls::msgs::enums::is_grease_u16(s.0)));
        })
    });
    assert_eq!(code, Some(0), "{err}");
    // -key-shares and -server-supported-groups-hint: which group gets the
    // share decides the group, and whether a retry is needed.
    for args in [
        // A share for P-256 (23), which our server takes: no retry.
        &[
            "-curves",
            "29",
            "-curves",
            "23",
            "-key-shares",
            "23",
            "-expect-curve-id",
            "23",
            "-expect-no-hrr",
        ][..],
        // No share at all: the server asks for X25519 (29).
        &[
            "-curves",
            "29",
            "-curves",
            "23",
            "-no-key-shares",
            "-expect-curve-id",
            "29",
            "-expect-hrr",
        ][..],
        // P-256 first, but the hint names X25519: its share goes.
        &[
            "-curves",
            "23",
            "-curves",
            "29",
            "-server-supported-groups-hint",
            "29",
            "-expect-curve-id",
            "29",
            "-expect-no-hrr",
        ][..],
    ] {
        let (code, err) = with_shim(args, 1, |sock, _| serve_after(sock, &|_| {}));
        assert_eq!(code, Some(0), "{args:?}: {err}");
    }
}
