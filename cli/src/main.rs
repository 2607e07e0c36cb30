//! `cloak`: the cloaktls command line. `cloak demo` runs a local server and
//! client on loopback; `cloak client` and `cloak server` are small
//! counterparts of `openssl s_client` and `openssl s_server`; `cloak
//! vectors` replays the test vectors.

use cloaktls::config::{ClientConfigBuilder, KeyLogFile};
use cloaktls::msgs::enums::{AlertDescription, ProtocolVersion};
use cloaktls::pem::certified_key_from_files;
use cloaktls::stream::{ClientStream, ServerStream, TlsStream};
use cloaktls::verify::RootStore;
use cloaktls::{
    CertificateErrorKind, CertifiedKey, ClientConfig, ClientConnection, Connection, Error,
    ServerConfig,
};
use std::collections::HashMap;
use std::io::{self, BufRead, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

const HELP: &str = "\
cloak: TLS 1.3 and 1.2 from the cloaktls library

USAGE:
    cloak demo
        Make a throwaway CA and server certificate, serve on 127.0.0.1, connect
        with TLS 1.3 and then TLS 1.2, and print what was negotiated.

    cloak client HOST:PORT [options]
        Connect, print the handshake and the server's certificates to stderr,
        then copy stdin to the server and the server to stdout.
        --servername NAME   the name to verify and send as SNI (default: HOST)
        --cafile FILE       trust the CA certificates in FILE (PEM), or in
                            every .pem/.crt file of a directory, instead of
                            the system's trust store
        --cert FILE --key FILE
                            a client certificate chain and its private key (PEM)
        --alpn a,b          application protocols to offer
        --tls12 | --tls13   only this version
        --insecure          do not verify the server's certificate (unsafe)
        --status            ask for the server's stapled OCSP response and
                            its certificate timestamps (SCTs)
        --keylog FILE       append secrets to FILE in SSLKEYLOGFILE format
        --trace             print every message, record, secret and state
                            change as a ladder diagram (to stderr)

    cloak server --cert FILE --key FILE [options]
        Serve many clients at once until stopped.
        --listen ADDR       where to listen (default 127.0.0.1:8443)
        --cafile FILE --verify-client
                            require client certificates issued by FILE's CAs
        --alpn a,b          application protocols to accept, preferred first
        --tls12 | --tls13   only this version
        --www               answer HTTP GET with a page describing the connection
        --echo              echo what each client sends (the default)
        --max-early-data BYTES
                            accept TLS 1.3 0-RTT data up to BYTES (off by default;
                            early data can be replayed by an attacker)
        --ocsp FILE         staple FILE (a DER OCSP response for the
                            certificate) for clients that ask for it
        --allow-no-ems      accept TLS 1.2 clients without the extended master
                            secret (insecure: open to the triple handshake
                            attack; for testing legacy clients)
        --keylog FILE       append secrets to FILE in SSLKEYLOGFILE format
        --trace             print each connection's ladder diagram (to stderr)

    cloak vectors [DIR]
        Replay the test vectors under DIR (default: the project's vectors/).

Exit status: 0 on success (a clean close), 1 on any failure.";

struct Opts {
    values: HashMap<String, String>,
    flags: Vec<String>,
    positional: Vec<String>,
}

const WITH_VALUE: [&str; 9] = [
    "--max-early-data",
    "--ocsp",
    "--servername",
    "--cafile",
    "--cert",
    "--key",
    "--alpn",
    "--keylog",
    "--listen",
];
const FLAGS: [&str; 9] = [
    "--status",
    "--allow-no-ems",
    "--tls12",
    "--tls13",
    "--insecure",
    "--verify-client",
    "--www",
    "--echo",
    "--trace",
];

fn parse(args: &[String]) -> Result<Opts, String> {
    let mut o = Opts {
        values: HashMap::new(),
        flags: Vec::new(),
        positional: Vec::new(),
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if WITH_VALUE.contains(&a.as_str()) {
            let v = it.next().ok_or_else(|| format!("{a} needs a value"))?;
            o.values.insert(a.clone(), v.clone());
        } else if FLAGS.contains(&a.as_str()) {
            o.flags.push(a.clone());
        } else if a.starts_with("--") {
            return Err(format!("unknown option {a} (see cloak --help)"));
        } else {
            o.positional.push(a.clone());
        }
    }
    Ok(o)
}

impl Opts {
    fn get(&self, k: &str) -> Option<&str> {
        self.values.get(k).map(String::as_str)
    }
    fn has(&self, k: &str) -> bool {
        self.flags.iter().any(|f| f == k)
    }
    fn versions(&self) -> Result<Vec<ProtocolVersion>, String> {
        match (self.has("--tls12"), self.has("--tls13")) {
            (true, true) => Err("choose one of --tls12 and --tls13, or neither for both".into()),
            (true, false) => Ok(vec![ProtocolVersion::TLSV1_2]),
            (false, true) => Ok(vec![ProtocolVersion::TLSV1_3]),
            (false, false) => Ok(vec![ProtocolVersion::TLSV1_3, ProtocolVersion::TLSV1_2]),
        }
    }
    fn alpn(&self) -> Vec<Vec<u8>> {
        self.get("--alpn")
            .map(|s| {
                s.split(',')
                    .filter(|p| !p.is_empty())
                    .map(|p| p.as_bytes().to_vec())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// What to do about an error, where there is something to do.
fn hint(e: &Error) -> Option<&'static str> {
    match e {
        Error::InvalidCertificate(c) => match c.kind {
            CertificateErrorKind::UnknownIssuer => Some(
                "pass the CA that issued the server's certificate with --cafile, or use --insecure to skip verification (unsafe)",
            ),
            CertificateErrorKind::NameMismatch => {
                Some("connect with a name the certificate is valid for, or set --servername")
            }
            CertificateErrorKind::Expired => {
                Some("the certificate must be renewed; if it looks current, check this machine's clock")
            }
            CertificateErrorKind::NotYetValid => Some("check this machine's clock"),
            CertificateErrorKind::Missing => Some("pass a client certificate with --cert and --key"),
            _ => None,
        },
        Error::NoCommon { what: "protocol version", .. } => {
            Some("the peer speaks another TLS version; try without --tls12/--tls13")
        }
        Error::NoCommon { .. } => Some("the two sides share no option for this; see what each offers above"),
        Error::AlertReceived(a) => Some(match *a {
            AlertDescription::PROTOCOL_VERSION => {
                "the peer accepts none of the TLS versions we offered (see --tls12 and --tls13)"
            }
            AlertDescription::HANDSHAKE_FAILURE => {
                "the peer found nothing in common with our offer: cipher suites, groups or signature schemes"
            }
            AlertDescription::CERTIFICATE_REQUIRED => {
                "the server requires a client certificate: pass --cert and --key"
            }
            AlertDescription::UNKNOWN_CA | AlertDescription::BAD_CERTIFICATE => {
                "the peer refused the certificate we sent"
            }
            AlertDescription::NO_APPLICATION_PROTOCOL => {
                "the peer supports none of the --alpn protocols"
            }
            _ => "the peer refused the connection; its log may say why",
        }),
        Error::HandshakeNotComplete => Some(
            "the peer hung up during the handshake: it may not speak TLS on this port, or it refused our offer",
        ),
        Error::NotTls(_) => Some("check the port: it may serve plain HTTP, not HTTPS"),
        Error::Io(kind, _) if *kind == io::ErrorKind::ConnectionRefused => {
            Some("nothing is listening at that address and port")
        }
        _ => None,
    }
}

fn report(e: &Error) {
    eprintln!("error: {e}");
    if let Some(h) = hint(e) {
        eprintln!("hint: {h}");
    }
}

fn version_name(v: Option<ProtocolVersion>) -> String {
    match v {
        Some(ProtocolVersion::TLSV1_3) => "TLS 1.3".into(),
        Some(ProtocolVersion::TLSV1_2) => "TLS 1.2".into(),
        Some(v) => format!("{v:?}"),
        None => "none".into(),
    }
}

fn summary(conn: &Connection) -> String {
    let mut s = format!(
        "protocol: {}\ncipher suite: {}\nkey exchange: {}\n",
        version_name(conn.protocol_version()),
        conn.cipher_suite()
            .map(|c| format!("{c:?}"))
            .unwrap_or_default(),
        conn.key_exchange_group()
            .map(|g| format!("{g:?}"))
            .unwrap_or_default(),
    );
    s += &format!(
        "ALPN: {}\n",
        conn.alpn_protocol()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .unwrap_or_else(|| "none".into())
    );
    s += &format!("SNI: {}\n", conn.server_name().unwrap_or("none"));
    s += &format!(
        "hello retry: {}\n",
        if conn.had_hello_retry() { "yes" } else { "no" }
    );
    s += &format!(
        "resumed: {}\n",
        if conn.is_resumed() { "yes" } else { "no" }
    );
    if let Some(accepted) = conn.early_data_accepted() {
        s += &format!(
            "0-RTT: {}\n",
            if accepted { "accepted" } else { "rejected" }
        );
    }
    if conn.protocol_version() == Some(ProtocolVersion::TLSV1_2) {
        s += &format!(
            "extended master secret: {}\n",
            if conn.extended_master_secret() {
                "yes"
            } else {
                "no"
            }
        );
    }
    if let Some(r) = conn.peer_ocsp_response() {
        s += &format!("stapled OCSP response: {} bytes (not checked)\n", r.len());
    }
    if let Some(l) = conn.peer_sct_list() {
        s += &format!("certificate timestamps: {} bytes (not checked)\n", l.len());
    }
    for (i, cert) in conn.peer_certificates().iter().enumerate() {
        match cloaktls::verify::certinfo::summarize(cert.as_ref()) {
            Some(sum) => {
                s += &format!("certificate {i}:\n");
                for line in sum.to_string().lines() {
                    s += &format!("  {line}\n");
                }
            }
            None => {
                s += &format!(
                    "certificate {i}: {} bytes (unreadable)\n",
                    cert.as_ref().len()
                )
            }
        }
    }
    s
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rest = args.get(1..).unwrap_or(&[]);
    let result = match args.first().map(String::as_str) {
        Some("demo") => demo(),
        Some("client") => client(rest),
        Some("server") => server(rest),
        Some("vectors") => vectors(rest),
        None | Some("help") | Some("--help") | Some("-h") => {
            println!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Some(other) => Err(format!("unknown command {other:?}; try cloak --help")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            if !msg.is_empty() {
                eprintln!("error: {msg}");
            }
            ExitCode::FAILURE
        }
    }
}

// ---- demo ----

fn demo_pki() -> Result<(RootStore, CertifiedKey), String> {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    let e = |e: rcgen::Error| e.to_string();
    let ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(e)?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(e)?;
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "cloak demo CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).map_err(e)?;
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(e)?;
    let mut params = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
        .map_err(e)?;
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    let cert = params.signed_by(&key, &ca, &ca_key).map_err(e)?;
    let mut roots = RootStore::empty();
    roots.add(ca.der()).map_err(|e| e.to_string())?;
    let ck = CertifiedKey::from_der(vec![cert.der().to_vec()], &key.serialize_der())
        .map_err(|e| e.to_string())?;
    Ok((roots, ck))
}

fn demo() -> Result<(), String> {
    let (roots, cert) = demo_pki()?;
    let server_cfg = ServerConfig::builder(cert)
        .alpn_protocols(&["cloak-demo"])
        .build()
        .map_err(|e| e.to_string())?;
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    println!("cloak demo: a throwaway CA and a certificate for localhost, made in memory");
    println!("server listening on {addr}");
    let versions = [ProtocolVersion::TLSV1_3, ProtocolVersion::TLSV1_2];
    let server = std::thread::spawn(move || -> Result<(), String> {
        for _ in 0..versions.len() {
            let (sock, _) = listener.accept().map_err(|e| e.to_string())?;
            let mut tls =
                ServerStream::accept(server_cfg.clone(), sock).map_err(|e| e.to_string())?;
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
    });
    for v in versions {
        let cfg = ClientConfig::builder(roots.clone())
            .versions(&[v])
            .alpn_protocols(&["cloak-demo"])
            .build()
            .map_err(|e| e.to_string())?;
        let sock = TcpStream::connect(addr).map_err(|e| e.to_string())?;
        let start = Instant::now();
        let mut tls = ClientStream::connect(cfg, "localhost", sock).map_err(|e| {
            report(&e);
            String::new()
        })?;
        let took = start.elapsed();
        let msg = format!("hello over {}\n", version_name(Some(v)));
        tls.write_all(msg.as_bytes()).map_err(|e| e.to_string())?;
        let mut reply = String::new();
        tls.read_to_string(&mut reply).map_err(|e| e.to_string())?;
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
        .map_err(|_| "the demo server panicked".to_string())??;
    println!("\ndemo complete: TLS 1.3 and TLS 1.2 both negotiated and carried data both ways");
    Ok(())
}

// ---- client ----

fn client_config(o: &Opts, name: &str) -> Result<Arc<ClientConfig>, String> {
    let _ = name;
    let mut b: ClientConfigBuilder = if o.has("--insecure") {
        eprintln!("warning: --insecure: the server's certificate is not verified");
        cloaktls::danger::client_without_verification()
    } else {
        let roots = match o.get("--cafile") {
            Some(f) => RootStore::from_path(f).map_err(|e| e.to_string())?,
            None => RootStore::system().map_err(|e| e.to_string())?,
        };
        ClientConfig::builder(roots)
    };
    b = b
        .versions(&o.versions()?)
        .request_ocsp(o.has("--status"))
        .request_sct(o.has("--status"));
    let alpn = o.alpn();
    let refs: Vec<&[u8]> = alpn.iter().map(|p| p.as_slice()).collect();
    b = b.alpn_protocols(&refs);
    match (o.get("--cert"), o.get("--key")) {
        (Some(c), Some(k)) => {
            b = b.client_certificate(certified_key_from_files(c, k).map_err(|e| e.to_string())?)
        }
        (None, None) => {}
        _ => return Err("--cert and --key go together".into()),
    }
    if let Some(f) = o.get("--keylog") {
        b = b.key_log(Arc::new(KeyLogFile::open(f).map_err(|e| e.to_string())?));
    } else if let Some(k) = KeyLogFile::from_env() {
        b = b.key_log(Arc::new(k));
    }
    b.trace(o.has("--trace")).build().map_err(|e| e.to_string())
}

fn client(args: &[String]) -> Result<(), String> {
    let o = parse(args)?;
    let target = o.positional.first().ok_or("cloak client needs HOST:PORT")?;
    let (host, port) = target
        .rsplit_once(':')
        .ok_or_else(|| format!("{target:?} is not HOST:PORT"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let name = o.get("--servername").unwrap_or(host).to_string();
    let cfg = client_config(&o, &name)?;
    let sock = TcpStream::connect((
        host,
        port.parse::<u16>()
            .map_err(|_| format!("bad port {port:?}"))?,
    ))
    .map_err(|e| {
        let err = Error::Io(e.kind(), format!("connecting to {target}: {e}"));
        report(&err);
        String::new()
    })?;
    let conn = ClientConnection::new(cfg, &name).map_err(|e| e.to_string())?;
    let mut tls = TlsStream::new(conn, sock);
    let handshake = tls.complete_handshake();
    let trace = tls.conn_mut().take_trace();
    if !trace.is_empty() {
        eprint!("{}", cloaktls::conn::ladder(&trace, true));
    }
    if let Err(e) = handshake {
        report(&e);
        return Err(String::new());
    }
    eprint!("{}", summary(tls.conn()));
    eprintln!("---");
    pump(tls)
}

/// Copies stdin to the peer and the peer to stdout until either closes.
fn pump<C: std::ops::DerefMut<Target = Connection>>(
    mut tls: TlsStream<C, TcpStream>,
) -> Result<(), String> {
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    std::thread::spawn(move || {
        let stdin = io::stdin();
        let mut lock = stdin.lock();
        loop {
            let buf = match lock.fill_buf() {
                Ok([]) | Err(_) => break,
                Ok(b) => b.to_vec(),
            };
            lock.consume(buf.len());
            if tx.send(buf).is_err() {
                break;
            }
        }
    });
    tls.get_mut()
        .set_read_timeout(Some(Duration::from_millis(20)))
        .map_err(|e| e.to_string())?;
    let mut stdin_open = true;
    let mut buf = vec![0u8; 16384];
    let mut out = io::stdout();
    loop {
        while stdin_open {
            match rx.try_recv() {
                Ok(data) => tls.write_all(&data).map_err(|e| e.to_string())?,
                Err(mpsc::TryRecvError::Empty) => break,
                Err(mpsc::TryRecvError::Disconnected) => {
                    stdin_open = false;
                    tls.send_close_notify().map_err(|e| e.to_string())?;
                }
            }
        }
        match tls.read(&mut buf) {
            Ok(0) => {
                eprintln!("the peer closed the connection (close_notify)");
                return Ok(());
            }
            Ok(n) => {
                out.write_all(&buf[..n]).map_err(|e| e.to_string())?;
                out.flush().map_err(|e| e.to_string())?;
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(e) => {
                return Err(e.to_string());
            }
        }
    }
}

// ---- server ----

fn server(args: &[String]) -> Result<(), String> {
    let o = parse(args)?;
    let (cert, key) = match (o.get("--cert"), o.get("--key")) {
        (Some(c), Some(k)) => (c, k),
        _ => return Err("cloak server needs --cert FILE and --key FILE".into()),
    };
    let mut ck = certified_key_from_files(cert, key).map_err(|e| e.to_string())?;
    if let Some(f) = o.get("--ocsp") {
        let response = std::fs::read(f).map_err(|e| format!("{f}: {e}"))?;
        ck = ck.with_ocsp_response(response);
    }
    let mut b = ServerConfig::builder(ck).versions(&o.versions()?);
    if o.has("--allow-no-ems") {
        b = cloaktls::danger::allow_no_extended_master_secret_server(b);
    }
    let alpn = o.alpn();
    let refs: Vec<&[u8]> = alpn.iter().map(|p| p.as_slice()).collect();
    b = b.alpn_protocols(&refs);
    if o.has("--verify-client") {
        let ca = o.get("--cafile").ok_or("--verify-client needs --cafile")?;
        b = b.client_auth(ClientAuth::required(RootStore::from_path(ca).map_err(|e| e.to_string())?);
    }
    if let Some(f) = o.get("--keylog") {
        b = b.key_log(Arc::new(KeyLogFile::open(f).map_err(|e| e.to_string())?));
    }
    if let Some(n) = o.get("--max-early-data") {
        let n: u32 = n
            .parse()
            .map_err(|_| format!("--max-early-data takes a number of bytes, not {n:?}"))?;
        b = b.max_early_data(n);
    }
    let cfg = b
        .trace(o.has("--trace"))
        .build()
        .map_err(|e| e.to_string())?;
    let listen = o.get("--listen").unwrap_or("127.0.0.1:8443");
    let listener =
        TcpListener::bind(listen).map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let www = o.has("--www");
    eprintln!(
        "listening on {} ({})",
        listener.local_addr().map_err(|e| e.to_string())?,
        if www { "www" } else { "echo" }
    );
    for sock in listener.incoming() {
        let Ok(sock) = sock else { continue };
        let cfg = cfg.clone();
        std::thread::spawn(move || {
            let peer = sock.peer_addr().map(|a| a.to_string()).unwrap_or_default();
            let _ = sock.set_read_timeout(Some(Duration::from_secs(30)));
            let conn = match cloaktls::ServerConnection::new(cfg) {
                Ok(c) => c,
                Err(e) => return eprintln!("client {peer}: {e}"),
            };
            let mut tls = TlsStream::new(conn, sock);
            let handshake = tls.complete_handshake();
            let trace = tls.conn_mut().take_trace();
            if !trace.is_empty() {
                eprint!("client {peer}:\n{}", cloaktls::conn::ladder(&trace, false));
            }
            if let Err(e) = handshake {
                eprintln!("client {peer}: handshake failed: {e}");
                return;
            }
            eprintln!(
                "client {peer}: {} {:?}{}{}",
                version_name(tls.conn().protocol_version()),
                tls.conn().cipher_suite(),
                if tls.conn().is_resumed() {
                    ", resumed"
                } else {
                    ""
                },
                match tls.conn().early_data_accepted() {
                    Some(true) => ", 0-RTT accepted",
                    Some(false) => ", 0-RTT rejected",
                    None => "",
                }
            );
            let r = if www {
                serve_www(&mut tls)
            } else {
                serve_echo(&mut tls)
            };
            if let Err(e) = r {
                eprintln!("client {peer}: {e}");
            }
        });
    }
    Ok(())
}

fn serve_echo<C: std::ops::DerefMut<Target = Connection>>(
    tls: &mut TlsStream<C, TcpStream>,
) -> io::Result<()> {
    let mut buf = vec![0u8; 16384];
    loop {
        let n = tls.read(&mut buf)?;
        if n == 0 {
            let _ = tls.send_close_notify();
            return Ok(());
        }
        tls.write_all(&buf[..n])?;
    }
}

fn serve_www<C: std::ops::DerefMut<Target = Connection>>(
    tls: &mut TlsStream<C, TcpStream>,
) -> io::Result<()> {
    let mut req = Vec::new();
    let mut buf = [0u8; 4096];
    while !req.windows(4).any(|w| w == b"\r\n\r\n") && req.len() < 65536 {
        let n = tls.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        req.extend_from_slice(&buf[..n]);
    }
    let first = String::from_utf8_lossy(&req)
        .lines()
        .next()
        .unwrap_or("")
        .to_string();
    let conn = tls.conn();
    let client_cert = conn
        .peer_certificate_summary()
        .map(|s| s.to_string())
        .unwrap_or_else(|| "none".into());
    let body = format!(
        "<html><head><title>cloak server</title></head><body><h1>cloak server</h1>\n<pre>\nrequest: {}\n{}client certificate: {}\n</pre></body></html>\n",
        html_escape(&first),
        html_escape(&summary(conn)),
        html_escape(&client_cert)
    );
    let resp = format!(
        "HTTP/1.0 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    tls.write_all(resp.as_bytes())?;
    tls.send_close_notify().map_err(cloaktls::stream::to_io_error)
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

// ---- vectors ----

fn vectors(args: &[String]) -> Result<(), String> {
    let default = concat!(env!("CARGO_MANIFEST_DIR"), "/../vectors");
    let dir = args.first().cloned().unwrap_or_else(|| {
        if std::path::Path::new("vectors").is_dir() {
            "vectors".into()
        } else {
            default.into()
        }
    });
    let report = cloaktls::testvectors::run_dir(&dir)?;
    for (name, r) in &report.results {
        match r {
            Ok(n) => println!("ok    {name}: key schedule and messages ({n} comparisons)"),
            Err(e) => println!("FAIL  {name}: {e}"),
        }
    }
    for r in &report.replays {
        let who = format!("{}: our {:?} replayed", r.trace, r.side).to_lowercase();
        match &r.result {
            Ok(done) => {
                println!("ok    {who} ({} comparisons)", done.checks);
                for i in &done.injected {
                    println!("        injected: {i}");
                }
            }
            Err(e) => println!("FAIL  {who}: {e}"),
        }
    }
    println!("{} passed, {} failed", report.passed(), report.failed());
    if report.failed() > 0 {
        Err(String::new())
    } else {
        Ok(())
    }
}
