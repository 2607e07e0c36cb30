//! `cloak client`: connect, show the handshake, then copy stdin to the
//! server and the server to stdout.

use crate::options::{apply_tls, report, Psk, Tls};
use crate::summary::summary;
use crate::Failure;
use cloaktls::config::EchConfigList;
use cloaktls::pem::certified_key_from_files;
use cloaktls::stream::TlsStream;
use cloaktls::verify::{PinnedRawPublicKeys, RootStore};
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
    /// Accept the server's raw public key (RFC 7250) if it is one of those
    /// in FILE (PEM: PUBLIC KEY blocks, private keys or certificates,
    /// whose public keys are pinned); repeat for more files. Without
    /// --cafile only raw public keys are accepted.
    #[arg(long, value_name = "FILE")]
    pin_rpk: Vec<String>,
    /// A raw public key (RFC 7250) to authenticate with, for servers that
    /// ask for one: the private key (PEM); the public key is derived.
    #[arg(long, value_name = "FILE")]
    rpk_key: Option<String>,
    /// Do not verify the server's certificate (unsafe).
    #[arg(long, conflicts_with_all = ["cafile", "pin_rpk"])]
    insecure: bool,
    /// Ask for the server's stapled OCSP response and its certificate
    /// timestamps (SCTs).
    #[arg(long)]
    status: bool,
    /// Offer Encrypted Client Hello with this ECHConfigList: a PEM ECH file
    /// (`cloak ech-keygen` writes one), or the list in base64 (as in a DNS
    /// HTTPS record's ech=).
    #[arg(long, value_name = "FILE|BASE64")]
    ech: Option<String>,
    /// When the server rejects ECH and sends retry configs, connect again
    /// once with them.
    #[arg(long, requires = "ech")]
    ech_retry: bool,
    /// Send GREASE ECH when no --ech is given.
    #[arg(long, conflicts_with = "ech")]
    ech_grease: bool,
    #[command(flatten)]
    psk: Psk,
    #[command(flatten)]
    tls: Tls,
}

/// The ECHConfigList of --ech: a PEM ECH file, else base64.
fn ech_list(value: &str) -> Result<EchConfigList, Failure> {
    if std::path::Path::new(value).exists() {
        let text = std::fs::read_to_string(value)
            .map_err(|e| Failure::Message(format!("{value}: {e}")))?;
        let (list, _) = cloaktls::pem::ech_file_from_pem(&text)?;
        return Ok(list);
    }
    let bytes = cloaktls::pem::base64_decode(value).ok_or_else(|| {
        Failure::Message(format!(
            "--ech {value:?} is neither a file nor an ECHConfigList in base64"
        ))
    })?;
    Ok(EchConfigList::from_bytes(&bytes)?)
}

/// The raw public keys pinned with --pin-rpk, if any.
fn pinned(a: &Args) -> Result<Option<Arc<PinnedRawPublicKeys>>, Failure> {
    if a.pin_rpk.is_empty() {
        return Ok(None);
    }
    let mut keys = Vec::new();
    for f in &a.pin_rpk {
        keys.extend(cloaktls::pem::raw_public_keys_from_file(f)?);
    }
    Ok(Some(Arc::new(PinnedRawPublicKeys::from_keys(keys)?)))
}

fn config(a: &Args, ech: Option<&EchConfigList>) -> Result<Arc<ClientConfig>, Failure> {
    let pins = pinned(a)?;
    let psk = a.psk.external_psk()?;
    // With --psk and neither --cafile nor --pin-rpk (nor --insecure), the
    // server must authenticate with the PSK: nothing else is trusted.
    let psk_only = psk.is_some() && a.cafile.is_none() && pins.is_none() && !a.insecure;
    let mut b = match (&pins, &a.cafile, &psk) {
        (_, _, Some(p)) if psk_only => ClientConfig::builder_psk_only(p.clone()),
        _ if a.insecure => {
            eprintln!("warning: --insecure: the server's certificate is not verified");
            cloaktls::danger::client_without_verification()
        }
        // Raw public keys alone (RFC 7250 §4.1).
        (Some(p), None, _) => ClientConfig::builder_raw_public_keys(p.clone()),
        (_, cafile, _) => {
            let roots = match cafile {
                Some(f) => RootStore::from_path(f)?,
                None => RootStore::system()?,
            };
            let b = ClientConfig::builder(roots);
            match &pins {
                Some(p) => b.server_raw_public_keys(p.clone()),
                None => b,
            }
        }
    };
    b = apply_tls!(b, &a.tls)
        .request_ocsp(a.status)
        .request_sct(a.status);
    if psk_only && !a.tls.versions_given() {
        b = b.versions(&[cloaktls::ProtocolVersion::TLSV1_3]);
    }
    if let (Some(p), false) = (psk, psk_only) {
        b = b.external_psk(p);
    }
    if a.psk.allow_psk_ke {
        b = cloaktls::danger::allow_psk_ke_client(b);
    }
    if let (Some(c), Some(k)) = (&a.cert, &a.key) {
        b = b.client_certificate(certified_key_from_files(c, k)?);
    }
    if let Some(k) = &a.rpk_key {
        b = b.client_certificate(cloaktls::pem::raw_public_key_from_file(k)?);
    }
    if a.tls.trace_secrets {
        b = cloaktls::danger::trace_secrets_client(b);
    }
    if let Some(list) = ech {
        b = b.ech(list.clone());
    }
    b = b.ech_grease(a.ech_grease);
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
    let mut ech = a.ech.as_deref().map(ech_list).transpose()?;
    if let Some(list) = &ech {
        eprintln!(
            "ECH: offering, public name {}",
            list.public_names()
                .first()
                .map(String::as_str)
                .unwrap_or("?")
        );
    }
    // RFC 9849 §6.1.6: one retry with the server's retry configs, no more.
    let mut retries = usize::from(a.ech_retry);
    loop {
        let cfg = config(&a, ech.as_ref())?;
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
        match handshake {
            Ok(()) => {
                eprint!("{}", summary(tls.conn()));
                eprintln!("---");
                return pump(tls);
            }
            Err(Error::EchRejected {
                public_name,
                retry_configs: Some(retry),
            }) => {
                eprintln!(
                    "ECH: rejected by {public_name}; its retry configs: {}",
                    cloaktls::pem::base64_encode(&retry)
                );
                if retries == 0 {
                    eprintln!("hint: connect again with --ech set to them (or --ech-retry)");
                    return Err(Failure::Reported);
                }
                retries -= 1;
                ech = Some(EchConfigList::from_bytes(&retry)?);
                eprintln!("ECH: retrying with them");
            }
            Err(e) => {
                report(&e);
                return Err(Failure::Reported);
            }
        }
    }
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
