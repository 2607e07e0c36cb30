//! `cloak client`: connect, show the handshake, then copy stdin to the
//! server and the server to stdout.

use crate::options::{apply_tls, report, Tls};
use crate::summary::summary;
use crate::Failure;
use cloaktls::pem::certified_key_from_files;
use cloaktls::stream::TlsStream;
use cloaktls::verify::RootStore;
use cloaktls::{ClientConfig, ClientConnection, Connection, Error};
use std::io::{self, BufRead, Read, Write};
use std::net::TcpStream;
use std::sync::{mpsc, Arc};
use std::time::Duration;

/// `cloak client HOST:PORT [options]`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Where to connect.
    #[arg(value_name = "HOST:PORT")]
    target: String,
    /// The name to verify and send as SNI (default: HOST).
    #[arg(long, value_name = "NAME")]
    servername: Option<String>,
    /// Trust the CA certificates in FILE (PEM), or in every .pem/.crt file
    /// of a directory, instead of the system's trust store.
    #[arg(long, value_name = "FILE")]
    cafile: Option<String>,
    /// A client certificate chain (PEM), for servers that ask.
    #[arg(long, value_name = "FILE", requires = "key")]
    cert: Option<String>,
    /// The client certificate's private key (PEM).
    #[arg(long, value_name = "FILE", requires = "cert")]
    key: Option<String>,
    /// Do not verify the server's certificate (unsafe).
    #[arg(long, conflicts_with = "cafile")]
    insecure: bool,
    /// Ask for the server's stapled OCSP response and its certificate
    /// timestamps (SCTs).
    #[arg(long)]
    status: bool,
    #[command(flatten)]
    tls: Tls,
}

fn config(a: &Args) -> Result<Arc<ClientConfig>, Failure> {
    let mut b = if a.insecure {
        eprintln!("warning: --insecure: the server's certificate is not verified");
        cloaktls::danger::client_without_verification()
    } else {
        let roots = match &a.cafile {
            Some(f) => RootStore::from_path(f)?,
            None => RootStore::system()?,
        };
        ClientConfig::builder(roots)
    };
    b = apply_tls!(b, &a.tls)
        .request_ocsp(a.status)
        .request_sct(a.status);
    if let (Some(c), Some(k)) = (&a.cert, &a.key) {
        b = b.client_certificate(certified_key_from_files(c, k)?);
    }
    if a.tls.trace_secrets {
        b = cloaktls::danger::trace_secrets_client(b);
    }
    Ok(b.build()?)
}

/// Runs `cloak client`.
pub fn run(a: Args) -> Result<(), Failure> {
    let (host, port) = a
        .target
        .rsplit_once(':')
        .ok_or_else(|| Failure::Message(format!("{:?} is not HOST:PORT", a.target)))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port: u16 = port
        .parse()
        .map_err(|_| Failure::Message(format!("bad port {port:?}")))?;
    let name = a.servername.clone().unwrap_or_else(|| host.to_string());
    let cfg = config(&a)?;
    let sock = TcpStream::connect((host, port)).map_err(|e| {
        report(&Error::from(io::Error::new(
            e.kind(),
            format!("connecting to {}: {e}", a.target),
        )));
        Failure::Reported
    })?;
    let conn = ClientConnection::new(cfg, &name)?;
    let mut tls = TlsStream::new(conn, sock);
    let handshake = tls.complete_handshake();
    let trace = tls.conn_mut().take_trace();
    if !trace.is_empty() {
        eprint!("{}", cloaktls::conn::ladder(&trace, true));
    }
    if let Err(e) = handshake {
        report(&e);
        return Err(Failure::Reported);
    }
    eprint!("{}", summary(tls.conn()));
    eprintln!("---");
    pump(tls)
}

/// Copies stdin to the peer and the peer to stdout until either closes.
fn pump<C: std::ops::DerefMut<Target = Connection>>(
    mut tls: TlsStream<C, TcpStream>,
) -> Result<(), Failure> {
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
        .set_read_timeout(Some(Duration::from_millis(20)))?;
    let mut stdin_open = true;
    let mut buf = vec![0u8; 16384];
    let mut out = io::stdout();
    loop {
        while stdin_open {
            match rx.try_recv() {
                Ok(data) => tls.write_all(&data)?,
                Err(mpsc::TryRecvError::Empty) => break,
                Err(mpsc::TryRecvError::Disconnected) => {
                    stdin_open = false;
                    tls.send_close_notify()?;
                }
            }
        }
        match tls.read(&mut buf) {
            Ok(0) => {
                eprintln!("the peer closed the connection (close_notify)");
                return Ok(());
            }
            Ok(n) => {
                out.write_all(&buf[..n])?;
                out.flush()?;
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(e) => {
                report(&Error::from(e));
                return Err(Failure::Reported);
            }
        }
    }
}
