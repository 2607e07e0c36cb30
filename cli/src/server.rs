//! `cloak server`: serve TLS clients until stopped, each connection in its
//! own thread, with a cap on concurrent connections, a deadline for the
//! handshake and timeouts for idle connections.

use crate::options::{apply_tls, version_name, Tls};
use crate::summary::summary;
use crate::Failure;
use cloaktls::config::ClientAuth;
use cloaktls::conn::Intake;
use cloaktls::pem::certified_key_from_files;
use cloaktls::stream::TlsStream;
use cloaktls::verify::RootStore;
use cloaktls::{Connection, Error, ServerConfig, ServerConnection};
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What the server does with each client.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Echo what the client sends.
    Echo,
    /// Answer an HTTP request with a page describing the connection.
    Www,
}

/// `cloak server --cert FILE --key FILE [options]`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The certificate chain (PEM), end entity first.
    #[arg(long, value_name = "FILE")]
    cert: String,
    /// The certificate's private key (PEM).
    #[arg(long, value_name = "FILE")]
    key: String,
    /// Where to listen (port 0 picks a free port; the address is printed).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8443")]
    listen: String,
    /// Answer HTTP requests with a page describing the connection
    /// (the same as --mode www).
    #[arg(long, conflicts_with_all = ["echo", "mode"])]
    www: bool,
    /// Echo what each client sends (the default; the same as --mode echo).
    #[arg(long, conflicts_with = "mode")]
    echo: bool,
    /// What to do with each client.
    #[arg(long, value_enum)]
    mode: Option<Mode>,
    /// Ask clients for a certificate issued by the CAs in FILE (PEM); with
    /// --verify-client it is required, without it optional.
    #[arg(long, value_name = "FILE")]
    cafile: Option<String>,
    /// Require a client certificate (needs --cafile).
    #[arg(long, requires = "cafile")]
    verify_client: bool,
    /// Accept TLS 1.3 0-RTT data up to BYTES per connection (off by
    /// default; early data can be replayed by an attacker).
    #[arg(long, value_name = "BYTES")]
    max_early_data: Option<u32>,
    /// Staple FILE (a DER OCSP response for the certificate) for clients
    /// that ask.
    #[arg(long, value_name = "FILE")]
    ocsp: Option<String>,
    /// Accept TLS 1.2 clients without the extended master secret
    /// (insecure: open to the triple handshake attack; for testing legacy
    /// clients and scanners).
    #[arg(long)]
    allow_no_ems: bool,
    /// How long a client has to finish the handshake, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    handshake_timeout: u64,
    /// How long a connection may stay idle, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    idle_timeout: u64,
    /// The most connections served at once; more are refused.
    #[arg(long, value_name = "N", default_value_t = 1024)]
    max_connections: usize,
    #[command(flatten)]
    tls: Tls,
}

fn config(a: &Args) -> Result<Arc<ServerConfig>, Failure> {
    let mut ck = certified_key_from_files(&a.cert, &a.key)?;
    if let Some(f) = &a.ocsp {
        let response = std::fs::read(f).map_err(|e| Failure::Message(format!("{f}: {e}")))?;
        ck = ck.with_ocsp_response(response);
    }
    let mut b = apply_tls!(ServerConfig::builder(ck), &a.tls);
    if a.allow_no_ems {
        b = cloaktls::danger::allow_no_extended_master_secret_server(b);
    }
    if let Some(ca) = &a.cafile {
        let roots = RootStore::from_path(ca)?;
        b = b.client_auth(if a.verify_client {
            ClientAuth::required(roots)
        } else {
            ClientAuth::optional(roots)
        });
    }
    if let Some(n) = a.max_early_data {
        b = b.max_early_data(n);
    }
    if a.tls.trace_secrets {
        b = cloaktls::danger::trace_secrets_server(b);
    }
    Ok(b.build()?)
}

/// Limits each connection is served under.
#[derive(Clone, Copy)]
struct Limits {
    handshake: Duration,
    idle: Duration,
}

/// Runs `cloak server`.
pub fn run(a: Args) -> Result<(), Failure> {
    let cfg = config(&a)?;
    let mode = match (a.www, a.mode) {
        (true, _) => Mode::Www,
        (_, Some(m)) => m,
        _ => Mode::Echo,
    };
    let limits = Limits {
        handshake: Duration::from_secs(a.handshake_timeout.max(1)),
        idle: Duration::from_secs(a.idle_timeout.max(1)),
    };
    let listener = TcpListener::bind(&a.listen)
        .map_err(|e| Failure::Message(format!("cannot listen on {}: {e}", a.listen)))?;
    eprintln!(
        "listening on {} ({})",
        listener.local_addr()?,
        if mode == Mode::Www { "www" } else { "echo" }
    );
    let active = Arc::new(AtomicUsize::new(0));
    for sock in listener.incoming() {
        let Ok(sock) = sock else { continue };
        let peer = sock.peer_addr().map(|a| a.to_string()).unwrap_or_default();
        if active.fetch_add(1, Ordering::SeqCst) >= a.max_connections {
            active.fetch_sub(1, Ordering::SeqCst);
            eprintln!(
                "client {peer}: refused: {} connections already",
                a.max_connections
            );
            continue;
        }
        let (cfg, active) = (cfg.clone(), active.clone());
        std::thread::spawn(move || {
            if let Err(e) = serve_one(cfg, sock, &peer, mode, limits) {
                eprintln!("client {peer}: {e}");
            }
            active.fetch_sub(1, Ordering::SeqCst);
        });
    }
    Ok(())
}

/// One client: the handshake within its deadline, then the mode's work.
fn serve_one(
    cfg: Arc<ServerConfig>,
    mut sock: TcpStream,
    peer: &str,
    mode: Mode,
    limits: Limits,
) -> Result<(), String> {
    let mut conn = ServerConnection::new(cfg).map_err(|e| e.to_string())?;
    let handshake = handshake_by(&mut conn, &mut sock, Instant::now() + limits.handshake);
    let trace = conn.take_trace();
    if !trace.is_empty() {
        eprint!("client {peer}:\n{}", cloaktls::conn::ladder(&trace, false));
    }
    if let Err(e) = handshake {
        return Err(format!("handshake failed: {e}"));
    }
    eprintln!("client {peer}: {}", one_line(&conn));
    let _ = sock.set_read_timeout(Some(limits.idle));
    let _ = sock.set_write_timeout(Some(limits.idle));
    let mut tls = TlsStream::new(conn, sock);
    let r = match mode {
        Mode::Www => serve_www(&mut tls),
        Mode::Echo => serve_echo(&mut tls),
    };
    r.map_err(|e| e.to_string())
}

/// What was negotiated, on one line for the log.
fn one_line(c: &Connection) -> String {
    let name = |d: Option<String>| d.unwrap_or_else(|| "none".into());
    format!(
        "{}, {}, key exchange {}{}{}{}{}",
        version_name(c.protocol_version()),
        name(c.cipher_suite().map(|s| format!("{s:?}"))),
        name(c.key_exchange_group().map(|g| format!("{g:?}"))),
        if c.had_hello_retry() {
            " after a hello retry"
        } else {
            ""
        },
        if c.is_resumed() { ", resumed" } else { "" },
        match c.early_data_accepted() {
            Some(true) => ", 0-RTT accepted",
            Some(false) => ", 0-RTT rejected",
            None => "",
        },
        // RFC 6066 §3: no IP literals in server_name; the library ignored it.
        match c.ignored_server_name() {
            Some(ip) => format!(
                ", its server_name {ip} ignored (an IP address, which RFC 6066 §3 does not allow)"
            ),
            None => String::new(),
        }
    )
}

/// Drives the handshake over `sock` until `deadline`: every read waits at
/// most until then, so a client that trickles bytes cannot hold the
/// connection open. Whatever happens, the client gets what we have to say
/// (a fatal alert included).
fn handshake_by(
    conn: &mut Connection,
    sock: &mut TcpStream,
    deadline: Instant,
) -> Result<(), Error> {
    let mut buf = [0u8; 16 * 1024];
    loop {
        flush(conn, sock, deadline)?;
        if !conn.is_handshaking() {
            return Ok(());
        }
        let too_long = || io::Error::new(io::ErrorKind::TimedOut, "the handshake took too long");
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(too_long().into());
        }
        sock.set_read_timeout(Some(left))?;
        // A read that waits out the deadline ends with WouldBlock on Unix
        // and TimedOut on Windows.
        let n = match sock.read(&mut buf) {
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Err(too_long().into())
            }
            r => r?,
        };
        if n == 0 {
            conn.transport_eof();
            return Err(conn.error().cloned().unwrap_or(Error::HandshakeNotComplete));
        }
        let r = conn.read_tls(&buf[..n]);
        flush(conn, sock, deadline)?;
        if let Intake::Blocked { .. } = r? {
            return Err(Error::InvalidState(
                "more early data than the server can hold",
            ));
        }
    }
}

fn flush(conn: &mut Connection, sock: &mut TcpStream, deadline: Instant) -> Result<(), Error> {
    while conn.wants_write() {
        let left = deadline.saturating_duration_since(Instant::now());
        sock.set_write_timeout(Some(left.max(Duration::from_millis(1))))?;
        let n = sock.write(conn.pending_tls())?;
        conn.consume_tls(n);
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
            tls.send_close_notify()?;
            return Ok(());
        }
        tls.write_all(&buf[..n])?;
    }
}

/// Whether `req` holds a whole HTTP request head: it ends in a blank line,
/// CRLF or bare LF (as `openssl s_server -www` accepts).
fn request_complete(req: &[u8]) -> bool {
    req.windows(4).any(|w| w == b"\r\n\r\n") || req.windows(2).any(|w| w == b"\n\n")
}

fn serve_www<C: std::ops::DerefMut<Target = Connection>>(
    tls: &mut TlsStream<C, TcpStream>,
) -> io::Result<()> {
    let mut req = Vec::new();
    let mut buf = [0u8; 4096];
    while !request_complete(&req) && req.len() < 65536 {
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
    Ok(tls.send_close_notify()?)
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::request_complete;

    #[test]
    fn requests_end_in_a_blank_line_either_way() {
        assert!(request_complete(b"GET / HTTP/1.0\r\n\r\n"));
        assert!(request_complete(b"GET / HTTP/1.0\n\n"));
        assert!(!request_complete(b"GET / HTTP/1.0\r\n"));
    }
}
