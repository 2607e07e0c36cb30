//! `cloak server`: serve TLS clients until stopped, concurrently on tokio
//! (cloaktls-tokio), with a cap on concurrent connections, a deadline for
//! the handshake and timeouts for idle connections.

use crate::options::{apply_tls, version_name, Psk, Tls};
use crate::summary::summary;
use crate::Failure;
use cloaktls::config::{ClientAuth, MemoryPskStore};
use cloaktls::pem::certified_key_from_files;
use cloaktls::session::TicketKeys;
use cloaktls::verify::{PinnedRawPublicKeys, RootStore};
use cloaktls::{CertifiedKey, Connection, ServerConfig};
use cloaktls_tokio::LazyConfigAcceptor;
use std::io;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

/// What the server does with each client.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Echo what the client sends.
    Echo,
    /// Answer an HTTP request with a page describing the connection.
    Www,
}

/// `cloak server --cert FILE --key FILE [options]`, or `--rpk-key FILE`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The certificate chain (PEM), end entity first; repeat it (each with
    /// its --key, in the same order) to hold several credentials: the
    /// handshake sends the first that fits the client (its signature
    /// algorithms, server name, authorities and version), the first when
    /// none fits better. Without it the server serves --rpk-key, or
    /// authenticates with --psk alone.
    #[arg(
        long,
        value_name = "FILE",
        requires = "key",
        required_unless_present_any = ["rpk_key", "psk"]
    )]
    cert: Vec<String>,
    /// The private key (PEM) of the --cert given in the same position.
    #[arg(long, value_name = "FILE", requires = "cert")]
    key: Vec<String>,
    /// Serve a raw public key (RFC 7250) to clients that accept one: the
    /// private key (PEM); the public key is derived, and its fingerprint
    /// printed for clients to pin. With --cert, clients that accept only
    /// X.509 get the certificate.
    #[arg(long, value_name = "FILE")]
    rpk_key: Option<String>,
    /// Ask clients for a raw public key (RFC 7250), accepted if it is one of
    /// those in FILE (PEM: PUBLIC KEY blocks, private keys or
    /// certificates); repeat for more files. With --verify-client one is
    /// required.
    #[arg(long, value_name = "FILE")]
    pin_client_rpk: Vec<String>,
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
    /// Require a client certificate (needs --cafile or --pin-client-rpk).
    #[arg(long)]
    verify_client: bool,
    /// Accept TLS 1.3 0-RTT data up to BYTES per connection (off by
    /// default; early data can be replayed by an attacker).
    #[arg(long, value_name = "BYTES")]
    max_early_data: Option<u32>,
    /// Staple FILE (a DER OCSP response for the first --cert) for clients
    /// that ask.
    #[arg(long, value_name = "FILE")]
    ocsp: Option<String>,
    /// Accept TLS 1.2 clients without the extended master secret
    /// (insecure: open to the triple handshake attack; for testing legacy
    /// clients and scanners).
    #[arg(long)]
    allow_no_ems: bool,
    /// Seal and open session tickets with the keys in FILE, shared with
    /// other servers so that each resumes the sessions the others issued
    /// (`cloak ticket-keys new FILE` makes one; replacing the file rotates
    /// the keys without a restart). 0-RTT is then refused: each server's
    /// anti-replay register is its own.
    #[arg(long, value_name = "FILE")]
    ticket_keys: Option<String>,
    /// Accept Encrypted Client Hello with the key in FILE, a PEM ECH file
    /// (`cloak ech-keygen` makes one); repeat for more keys. Clients whose
    /// ECH cannot be decrypted get these configs to retry with.
    #[arg(long, value_name = "FILE")]
    ech: Vec<String>,
    /// How long a client has to finish the handshake, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    handshake_timeout: u64,
    /// How long a connection may stay idle, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    idle_timeout: u64,
    /// The most connections served at once; more are refused.
    #[arg(long, value_name = "N", default_value_t = 1024)]
    max_connections: usize,
    /// The longest a connection may last, in seconds, however busy.
    #[arg(long, value_name = "SECS", default_value_t = 3600)]
    max_lifetime: u64,
    #[command(flatten)]
    psk: Psk,
    #[command(flatten)]
    tls: Tls,
}

/// The credentials of --cert/--key and --rpk-key, the certificate first.
fn credentials(a: &Args) -> Result<Vec<CertifiedKey>, Failure> {
    let mut out = Vec::new();
    if a.cert.len() != a.key.len() {
        return Err(Failure::Message(format!(
            "{} --cert and {} --key: give each certificate its key, in the same order",
            a.cert.len(),
            a.key.len()
        )));
    }
    for (i, (cert, key)) in a.cert.iter().zip(&a.key).enumerate() {
        let mut ck = certified_key_from_files(cert, key)?;
        // The stapled response is the first certificate's.
        if let (0, Some(f)) = (i, &a.ocsp) {
            let response = std::fs::read(f).map_err(|e| Failure::Message(format!("{f}: {e}")))?;
            ck = ck.with_ocsp_response(response);
        }
        out.push(ck);
    }
    if let Some(key) = &a.rpk_key {
        let ck = cloaktls::pem::raw_public_key_from_file(key)?;
        if let Some(s) = ck
            .raw_public_key
            .as_ref()
            .and_then(|k| cloaktls::verify::certinfo::summarize_raw_public_key(k))
        {
            eprintln!("serving a {s}");
        }
        out.push(ck);
    }
    Ok(out)
}

fn config(a: &Args) -> Result<(Arc<ServerConfig>, Option<Arc<TicketKeys>>), Failure> {
    // Options that need each other, before any file is read.
    if a.verify_client && a.cafile.is_none() && a.pin_client_rpk.is_empty() {
        return Err(Failure::Message(
            "--verify-client needs --cafile or --pin-client-rpk".into(),
        ));
    }
    let psks = a
        .psk
        .external_psk()?
        .map(|p| MemoryPskStore::new([p]).map(Arc::new))
        .transpose()?;
    let mut creds = credentials(a)?.into_iter();
    let psk_only = a.cert.is_empty() && a.rpk_key.is_none();
    let b = match (creds.next(), &psks) {
        (Some(first), _) => {
            let mut b = ServerConfig::builder(first);
            for ck in creds {
                b = b.add_certificate(ck);
            }
            match &psks {
                Some(store) => b.external_psks(store.clone()),
                None => b,
            }
        }
        (None, Some(store)) => ServerConfig::builder_psk_only(store.clone()),
        (None, None) => {
            return Err(Failure::Message(
                "give --cert and --key, --rpk-key, or --psk".into(),
            ))
        }
    };
    let mut b = apply_tls!(b, &a.tls);
    // PSKs alone: TLS 1.3 only, unless the versions were asked.
    if psk_only && !a.tls.versions_given() {
        b = b.versions(&[cloaktls::ProtocolVersion::TLSV1_3]);
    }
    if a.psk.allow_psk_ke {
        b = cloaktls::danger::allow_psk_ke_server(b);
    }
    if !a.pin_client_rpk.is_empty() {
        let mut keys = Vec::new();
        for f in &a.pin_client_rpk {
            keys.extend(cloaktls::pem::raw_public_keys_from_file(f)?);
        }
        let pins = PinnedRawPublicKeys::from_keys(keys)?;
        b = b.client_raw_public_keys(Arc::new(pins), a.verify_client);
    }
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
    for file in &a.ech {
        let key = cloaktls::pem::ech_key_from_file(file)?;
        eprintln!(
            "ECH: config_id {} for public name {}",
            key.config_id(),
            key.public_name()
        );
        b = b.ech_key(key);
    }
    if let Some(file) = &a.ticket_keys {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let random = Arc::new(cloaktls::crypto::SystemRandom::new());
        let keys = Arc::new(TicketKeys::from_file(file, random, now)?);
        b = b.ticket_keys(keys.clone());
        return Ok((b.build()?, Some(keys)));
    }
    Ok((b.build()?, None))
}

/// Limits each connection is served under.
#[derive(Clone, Copy)]
struct Limits {
    handshake: Duration,
    idle: Duration,
    lifetime: Duration,
}

/// Runs `cloak server`: a tokio runtime with a worker per core serves every
/// connection as a task of its own.
pub fn run(a: Args) -> Result<(), Failure> {
    let (cfg, keys) = config(&a)?;
    let mode = match (a.www, a.mode) {
        (true, _) => Mode::Www,
        (_, Some(m)) => m,
        _ => Mode::Echo,
    };
    let limits = Limits {
        handshake: Duration::from_secs(a.handshake_timeout.max(1)),
        idle: Duration::from_secs(a.idle_timeout.max(1)),
        lifetime: Duration::from_secs(a.max_lifetime.max(1)),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Message(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async move {
        if let Some(keys) = keys {
            tokio::spawn(watch_key_file(keys));
        }
        serve(a, cfg, mode, limits).await
    })
}

/// Says when the ticket key file was replaced by one that cannot be read:
/// rotation has stopped until it is fixed.
async fn watch_key_file(keys: Arc<TicketKeys>) {
    let mut said = None;
    loop {
        tokio::time::sleep(Duration::from_secs(5)).await;
        // Opening nothing makes the keys look at their file.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let _ = keys.open(&[], now);
        let error = keys.key_file_error();
        if error != said {
            match &error {
                Some(e) => eprintln!("ticket keys: {e}; still using the previous keys"),
                None => eprintln!("ticket keys: the key file is read again"),
            }
            said = error;
        }
    }
}

async fn serve(a: Args, cfg: Arc<ServerConfig>, mode: Mode, limits: Limits) -> Result<(), Failure> {
    let listener = TcpListener::bind(&a.listen)
        .await
        .map_err(|e| Failure::Message(format!("cannot listen on {}: {e}", a.listen)))?;
    eprintln!(
        "listening on {} ({})",
        listener.local_addr()?,
        if mode == Mode::Www { "www" } else { "echo" }
    );
    let slots = Arc::new(Semaphore::new(a.max_connections));
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                // Out of file descriptors, say: the pending connection
                // stays queued, so pause rather than spin on it.
                eprintln!("accept: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            eprintln!(
                "client {peer}: refused: {} connections already",
                a.max_connections
            );
            continue;
        };
        let cfg = cfg.clone();
        tokio::spawn(async move {
            if let Err(e) = serve_one(cfg, tcp, &peer.to_string(), mode, limits).await {
                eprintln!("client {peer}: {e}");
            }
            drop(slot);
        });
    }
}

/// One client: the handshake within its deadline, then the mode's work.
async fn serve_one(
    cfg: Arc<ServerConfig>,
    tcp: TcpStream,
    peer: &str,
    mode: Mode,
    limits: Limits,
) -> Result<(), String> {
    let _ = tcp.set_nodelay(true);
    let tls = match tokio::time::timeout(limits.handshake, handshake(cfg, tcp, peer, mode)).await {
        Err(_) => return Err("handshake failed: the handshake took too long".into()),
        Ok(r) => r?,
    };
    eprintln!("client {peer}: {}", one_line(tls.conn()));
    let work = async {
        match mode {
            // The request head has the handshake's deadline.
            Mode::Www => serve_www(tls, limits.idle, limits.handshake).await,
            Mode::Echo => serve_echo(tls, limits.idle).await,
        }
    };
    match tokio::time::timeout(limits.lifetime, work).await {
        Ok(r) => r.map_err(|e| e.to_string()),
        Err(_) => Err(format!(
            "closed after its lifetime of {} s",
            limits.lifetime.as_secs()
        )),
    }
}

/// The ClientHello, then the handshake. A client that speaks plain HTTP
/// to a www server is told, in plain HTTP, to use HTTPS.
async fn handshake(
    cfg: Arc<ServerConfig>,
    tcp: TcpStream,
    peer: &str,
    mode: Mode,
) -> Result<ServerTls, String> {
    let start = match LazyConfigAcceptor::new(tcp).await {
        Ok(start) => start,
        Err(e) => {
            if mode == Mode::Www && e.is_not_tls() && e.received.starts_with(b"GET") {
                answer_plain_http(e.io).await;
            }
            return Err(format!("handshake failed: {}", e.error));
        }
    };
    let handshake = start.into_stream(cfg).map_err(|e| e.to_string())?;
    match handshake.into_fallible().await {
        Ok(mut tls) => {
            print_trace(peer, tls.conn_mut());
            Ok(tls)
        }
        Err((e, mut failed)) => {
            print_trace(peer, failed.conn_mut());
            Err(format!("handshake failed: {e}"))
        }
    }
}

type ServerTls = cloaktls_tokio::server::TlsStream<TcpStream>;

fn print_trace(peer: &str, conn: &mut Connection) {
    let trace = conn.take_trace();
    if !trace.is_empty() {
        eprint!("client {peer}:\n{}", cloaktls::conn::ladder(&trace, false));
    }
}

/// Tells a plain-HTTP client, in plain HTTP, that this port speaks HTTPS.
async fn answer_plain_http(mut tcp: TcpStream) {
    let body = "This port speaks HTTPS: use https:// in the URL.\n";
    let resp = format!(
        "HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = tcp.write_all(resp.as_bytes()).await;
    let _ = tcp.shutdown().await;
}

/// What was negotiated, on one line for the log.
fn one_line(c: &Connection) -> String {
    let name = |d: Option<String>| d.unwrap_or_else(|| "none".into());
    format!(
        "{}, {}, key exchange {}{}{}{}{}{}{}",
        version_name(c.protocol_version()),
        name(c.cipher_suite().map(|s| format!("{s:?}"))),
        name(c.key_exchange_group().map(|g| format!("{g:?}"))),
        if c.had_hello_retry() {
            " after a hello retry"
        } else {
            ""
        },
        if c.is_resumed() { ", resumed" } else { "" },
        match c.external_psk_identity() {
            Some(id) => format!(", external PSK {}", String::from_utf8_lossy(id)),
            None => String::new(),
        },
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
        },
        match c.ech_status() {
            cloaktls::config::EchStatus::Accepted => ", ECH accepted",
            cloaktls::config::EchStatus::Rejected => ", ECH rejected (retry configs sent)",
            _ => "",
        }
    )
}

/// A read that gives up after `idle`.
async fn read_idle(tls: &mut ServerTls, buf: &mut [u8], idle: Duration) -> io::Result<usize> {
    match tokio::time::timeout(idle, tls.read(buf)).await {
        Ok(r) => r,
        Err(_) => Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!("idle for {} s", idle.as_secs()),
        )),
    }
}

async fn serve_echo(mut tls: ServerTls, idle: Duration) -> io::Result<()> {
    let mut buf = vec![0u8; 16384];
    loop {
        let n = read_idle(&mut tls, &mut buf, idle).await?;
        if n == 0 {
            return tokio::time::timeout(idle, tls.shutdown())
                .await
                .map_err(|_| {
                    io::Error::new(io::ErrorKind::TimedOut, "the client stopped reading")
                })?;
        }
        tokio::time::timeout(idle, async {
            tls.write_all(&buf[..n]).await?;
            tls.flush().await
        })
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "the client stopped reading"))??;
    }
}

/// Whether `req` holds a whole HTTP request head: it ends in a blank line,
/// CRLF or bare LF (as `openssl s_server -www` accepts).
fn request_complete(req: &[u8]) -> bool {
    req.windows(4).any(|w| w == b"\r\n\r\n") || req.windows(2).any(|w| w == b"\n\n")
}

async fn serve_www(mut tls: ServerTls, idle: Duration, head: Duration) -> io::Result<()> {
    let mut req = Vec::new();
    let mut buf = [0u8; 4096];
    let read_head = async {
        while !request_complete(&req) && req.len() < 65536 {
            let n = read_idle(&mut tls, &mut buf, idle).await?;
            if n == 0 {
                return Ok(false);
            }
            req.extend_from_slice(&buf[..n]);
        }
        Ok::<_, io::Error>(true)
    };
    let complete = tokio::time::timeout(head, read_head)
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "the request head took too long"))??;
    if !complete {
        return Ok(());
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
        .or_else(|| conn.peer_raw_public_key_summary().map(|s| s.to_string()))
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
    tokio::time::timeout(idle, async {
        tls.write_all(resp.as_bytes()).await?;
        tls.shutdown().await
    })
    .await
    .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "the client stopped reading"))?
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
