//! A shim for BoringSSL's TLS test runner (BoGo), written from the runner's
//! contract: connect to the runner's port, send the shim id, speak TLS,
//! echo what arrives with every byte XORed with 0xff, repeat for each
//! resumption; exit 0 on success, 1 with a `:CODE:` on failure, 89 for a
//! flag or feature cloaktls does not implement.

use cloaktls::config::{ClientAuth, ClientConfigBuilder};
use cloaktls::crypto::sign::{KeyKind, SigningKey};
use cloaktls::error::Negotiable;
use cloaktls::pem::certified_key_from_files;
use cloaktls::session::MemorySessionCache;
use cloaktls::stream::TlsStream;
use cloaktls::verify::{CertificateDer, ServerCertVerifier, ServerName, UnixTime};
use cloaktls::{AlertDescription, NamedGroup, ProtocolVersion, SignatureScheme};
use cloaktls::{ClientConfig, ClientConnection, Connection, Error, ServerConfig, ServerConnection};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::exit;
use std::sync::Arc;

/// The `-quic` mode (BoGo's mock QUIC transport).
#[path = "bogo_shim_quic/mod.rs"]
mod quic;

const UNIMPLEMENTED: i32 = 89;

#[derive(Default, Debug)]
struct Flags {
    port: u16,
    shim_id: u64,
    ipv6: bool,
    server: bool,
    resume_count: u32,
    cert_file: Option<String>,
    key_file: Option<String>,
    verify_peer: bool,
    require_any_client_cert: bool,
    verify_fail: bool,
    advertise_alpn: Vec<Vec<u8>>,
    select_alpn: Option<Vec<u8>>,
    expect_alpn: Option<Vec<u8>>,
    curves: Vec<u16>,
    expect_curve_id: Option<u16>,
    min_version: Option<u16>,
    max_version: Option<u16>,
    expect_version: Option<u16>,
    host_name: Option<String>,
    export_keying_material: usize,
    export_label: String,
    export_context: String,
    use_export_context: bool,
    expect_session_miss: bool,
    shim_writes_first: bool,
    shim_shuts_down: bool,
    check_close_notify: bool,
    read_size: usize,
    max_send_fragment: Option<usize>,
    trust_cert: Option<String>,
    signing_prefs: Vec<u16>,
    expect_hrr: Option<bool>,
    expect_ems: bool,
    expect_server_name: Option<String>,
    ocsp_response: Option<Vec<u8>>,
    enable_ocsp_stapling: bool,
    expect_ocsp_response: Option<Vec<u8>>,
    sct_list: Option<Vec<u8>>,
    enable_sct: bool,
    expect_sct_list: Option<Vec<u8>>,
    quic: bool,
    quic_params: Option<Vec<u8>>,
    expect_quic_params: Option<Vec<u8>>,
}

fn unimplemented(flag: &str) -> ! {
    eprintln!("cloaktls shim: unimplemented flag {flag}");
    // For tallying what the runner asks for: BOGO_SHIM_UNIMPLEMENTED names
    // a file that collects one flag per line.
    if let Some(path) = std::env::var_os("BOGO_SHIM_UNIMPLEMENTED") {
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            // One write, so that shims running in parallel do not
            // interleave their lines.
            let _ = f.write_all(format!("{flag}\n").as_bytes());
        }
    }
    exit(UNIMPLEMENTED)
}

/// Standard base64 (RFC 4648 §4), as the runner encodes binary flags.
fn base64(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in s.bytes().filter(|c| *c != b'=') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

/// The runner's ALPN list: length-prefixed names, as on the wire.
fn alpn_list(s: &str) -> Vec<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let n = usize::from(b[i]);
        if i + 1 + n > b.len() {
            break;
        }
        out.push(b[i + 1..i + 1 + n].to_vec());
        i += 1 + n;
    }
    out
}

fn parse(args: &[String]) -> Flags {
    let mut f = Flags {
        read_size: 512,
        ..Flags::default()
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().cloned().unwrap_or_else(|| unimplemented(a));
        let num = |v: String| -> u64 { v.parse().unwrap_or_else(|_| unimplemented(a)) };
        match a.as_str() {
            "-port" => f.port = num(value()) as u16,
            "-shim-id" => f.shim_id = num(value()),
            "-ipv6" => f.ipv6 = true,
            "-server" => f.server = true,
            "-resume-count" => f.resume_count = num(value()) as u32,
            "-cert-file" => f.cert_file = Some(value()),
            "-key-file" => f.key_file = Some(value()),
            "-verify-peer" => f.verify_peer = true,
            "-require-any-client-certificate" => f.require_any_client_cert = true,
            "-verify-fail" => f.verify_fail = true,
            "-advertise-alpn" => f.advertise_alpn = alpn_list(&value()),
            "-select-alpn" => f.select_alpn = Some(value().into_bytes()),
            "-expect-alpn" => f.expect_alpn = Some(value().into_bytes()),
            "-curves" => f.curves.push(num(value()) as u16),
            "-expect-curve-id" => f.expect_curve_id = Some(num(value()) as u16),
            "-min-version" => f.min_version = Some(num(value()) as u16),
            "-max-version" => f.max_version = Some(num(value()) as u16),
            "-expect-version" => f.expect_version = Some(num(value()) as u16),
            "-no-tls13" => f.max_version = Some(f.max_version.unwrap_or(0x0304).min(0x0303)),
            "-no-tls12" => f.min_version = Some(f.min_version.unwrap_or(0x0303).max(0x0304)),
            "-no-tls11" | "-no-tls1" | "-no-ssl3" => {}
            "-host-name" => f.host_name = Some(value()),
            "-export-keying-material" => f.export_keying_material = num(value()) as usize,
            "-export-label" => f.export_label = value(),
            "-export-context" => f.export_context = value(),
            "-use-export-context" => f.use_export_context = true,
            "-expect-session-miss" => f.expect_session_miss = true,
            "-shim-writes-first" => f.shim_writes_first = true,
            "-shim-shuts-down" => f.shim_shuts_down = true,
            "-check-close-notify" => f.check_close_notify = true,
            "-read-size" => f.read_size = (num(value()) as usize).max(1),
            "-max-send-fragment" => f.max_send_fragment = Some(num(value()) as usize),
            "-trust-cert" => f.trust_cert = Some(value()),
            "-signing-prefs" => f.signing_prefs.push(num(value()) as u16),
            "-expect-hrr" => f.expect_hrr = Some(true),
            "-expect-no-hrr" => f.expect_hrr = Some(false),
            "-expect-extended-master-secret" => f.expect_ems = true,
            "-expect-server-name" => f.expect_server_name = Some(value()),
            "-ocsp-response" => {
                f.ocsp_response = Some(base64(&value()).unwrap_or_else(|| unimplemented(a)))
            }
            "-enable-ocsp-stapling" => f.enable_ocsp_stapling = true,
            "-signed-cert-timestamps" => {
                f.sct_list = Some(base64(&value()).unwrap_or_else(|| unimplemented(a)))
            }
            "-enable-signed-cert-timestamps" => f.enable_sct = true,
            "-expect-signed-cert-timestamps" => {
                f.expect_sct_list = Some(base64(&value()).unwrap_or_else(|| unimplemented(a)))
            }
            "-expect-ocsp-response" => {
                f.expect_ocsp_response = Some(base64(&value()).unwrap_or_else(|| unimplemented(a)))
            }
            "-quic" => f.quic = true,
            "-quic-transport-params" => {
                f.quic_params = Some(base64(&value()).unwrap_or_else(|| unimplemented(a)))
            }
            "-expect-quic-transport-params" => {
                f.expect_quic_params = Some(base64(&value()).unwrap_or_else(|| unimplemented(a)))
            }
            // The draft codepoint (0xffa5) is not implemented.
            "-quic-use-legacy-codepoint" if value() == "0" => {}
            other => unimplemented(other),
        }
    }
    f
}

/// The BoringSSL error code that best names `e`.
fn code(e: &Error) -> String {
    use AlertDescription as A;
    match e {
        Error::Decode { error, .. } => match error {
            cloaktls::DecodeError::DuplicateExtension => "DUPLICATE_EXTENSION".into(),
            cloaktls::DecodeError::IllegalValue(w) if w.contains("binder count") => {
                "PSK_IDENTITY_BINDER_COUNT_MISMATCH".into()
            }
            cloaktls::DecodeError::IllegalValue(w) if w.contains("not the last") => {
                "PRE_SHARED_KEY_MUST_BE_LAST".into()
            }
            cloaktls::DecodeError::IllegalValue(w) if w.contains("ChangeCipherSpec") => {
                "BAD_CHANGE_CIPHER_SPEC".into()
            }
            cloaktls::DecodeError::IllegalValue(w) if w.contains("alert level") => {
                "UNKNOWN_ALERT_TYPE".into()
            }
            _ if e.alert() == Some(A::ILLEGAL_PARAMETER) => "ILLEGAL_PARAMETER".into(),
            _ => "DECODE_ERROR".into(),
        },
        Error::BadKeyShare { .. } => "BAD_ECPOINT".into(),
        Error::BadRecordMac => "DECRYPTION_FAILED_OR_BAD_RECORD_MAC".into(),
        Error::RecordOverflow => "ENCRYPTED_LENGTH_TOO_LONG".into(),
        Error::NotTls(w) if w.contains("HTTP request") => "HTTP_REQUEST".into(),
        Error::NotTls(_) => "WRONG_VERSION_NUMBER".into(),
        Error::InvalidCertificate(c) => match c.kind {
            cloaktls::CertificateErrorKind::Missing => "PEER_DID_NOT_RETURN_A_CERTIFICATE".into(),
            cloaktls::CertificateErrorKind::BadEncoding => "CANNOT_PARSE_LEAF_CERT".into(),
            _ => "CERTIFICATE_VERIFY_FAILED".into(),
        },
        Error::HandshakeNotComplete => "UNEXPECTED_EOF".into(),
        Error::NoCommon { what, .. } => match *what {
            Negotiable::ProtocolVersion => "UNSUPPORTED_PROTOCOL".into(),
            Negotiable::CipherSuite => "NO_SHARED_CIPHER".into(),
            Negotiable::KeyExchangeGroup => "NO_SHARED_GROUP".into(),
            Negotiable::ApplicationProtocol => "NO_APPLICATION_PROTOCOL".into(),
            _ => "NO_COMMON_SIGNATURE_ALGORITHMS".into(),
        },
        Error::AlertReceived(a) => {
            let name = a.name().unwrap_or("unknown").to_ascii_uppercase();
            format!("TLSV1_ALERT_{name}")
        }
        Error::PeerMisbehaved { alert, reason } => match *alert {
            A::DECODE_ERROR => "DECODE_ERROR".into(),
            A::UNEXPECTED_MESSAGE => "UNEXPECTED_MESSAGE".into(),
            A::DECRYPT_ERROR if reason.contains("Finished") || reason.contains("binder") => {
                "DIGEST_CHECK_FAILED".into()
            }
            A::HANDSHAKE_FAILURE if reason.contains("no certificate") => {
                "PEER_DID_NOT_RETURN_A_CERTIFICATE".into()
            }
            A::DECRYPT_ERROR => "BAD_SIGNATURE".into(),
            A::PROTOCOL_VERSION => "WRONG_VERSION_NUMBER".into(),
            A::UNSUPPORTED_EXTENSION => "UNEXPECTED_EXTENSION".into(),
            A::MISSING_EXTENSION => "MISSING_EXTENSION".into(),
            A::NO_RENEGOTIATION => "NO_RENEGOTIATION".into(),
            A::INAPPROPRIATE_FALLBACK => "INAPPROPRIATE_FALLBACK".into(),
            A::HANDSHAKE_FAILURE => "HANDSHAKE_FAILURE".into(),
            A::ILLEGAL_PARAMETER if reason.contains("downgrade") => "TLS13_DOWNGRADE".into(),
            A::ILLEGAL_PARAMETER => "ILLEGAL_PARAMETER".into(),
            other => other.name().unwrap_or("ERROR").to_ascii_uppercase(),
        },
        Error::InvalidState(_) | Error::Config(_) | Error::Internal(_) => "INTERNAL_ERROR".into(),
        Error::Truncated => "UNEXPECTED_EOF".into(),
        Error::Io(..) => "SYSCALL".into(),
        _ => "ERROR".into(),
    }
}

/// After a fatal error the alert is already written: half-close and read
/// what the runner still sends, so that closing with unread bytes does not
/// reset the connection before the runner has read the alert.
fn linger(sock: &mut TcpStream) {
    let _ = sock.shutdown(std::net::Shutdown::Write);
    let _ = sock.set_read_timeout(Some(std::time::Duration::from_secs(1)));
    let mut buf = [0u8; 4096];
    let mut drained = 0usize;
    while drained < 1 << 20 {
        match sock.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => drained += n,
        }
    }
}

fn fail(e: &Error) -> ! {
    eprintln!("cloaktls: {e}");
    eprintln!(":{}:", code(e));
    exit(1)
}

fn versions(f: &Flags) -> Vec<ProtocolVersion> {
    let min = f.min_version.unwrap_or(0x0303);
    let max = f.max_version.unwrap_or(0x0304);
    if min > 0x0304 || max < 0x0303 {
        // TLS 1.1 and below, or DTLS: not implemented.
        unimplemented("-min-version/-max-version outside TLS 1.2-1.3");
    }
    [ProtocolVersion::TLSV1_3, ProtocolVersion::TLSV1_2]
        .into_iter()
        .filter(|v| v.0 >= min && v.0 <= max)
        .collect()
}

fn groups(f: &Flags) -> Vec<NamedGroup> {
    if f.curves.is_empty() {
        return cloaktls::config::supported_groups();
    }
    let ours = cloaktls::config::supported_groups();
    f.curves
        .iter()
        .map(|c| NamedGroup(*c))
        .inspect(|g| {
            if !ours.contains(g) {
                unimplemented("-curves with a group cloaktls lacks")
            }
        })
        .collect()
}

fn roots(path: &str) -> cloaktls::verify::RootStore {
    cloaktls::verify::RootStore::from_path(path).unwrap_or_else(|e| fail(&e))
}

/// Our certificate and key, its schemes limited by -signing-prefs.
fn identity(f: &Flags, cert: &str, key: &str) -> cloaktls::CertifiedKey {
    let mut ck = certified_key_from_files(cert, key).unwrap_or_else(|e| fail(&e));
    if let Some(r) = &f.ocsp_response {
        ck = ck.with_ocsp_response(r.clone());
    }
    if let Some(l) = &f.sct_list {
        ck = ck.with_sct_list(l.clone()).unwrap_or_else(|e| {
            eprintln!("cloaktls: {e}");
            eprintln!(":INVALID_SCT_LIST:");
            exit(1)
        });
    }
    if f.signing_prefs.is_empty() {
        return ck;
    }
    let schemes: Vec<SignatureScheme> = f
        .signing_prefs
        .iter()
        .map(|s| SignatureScheme(*s))
        .filter(|s| ck.key.schemes().contains(s))
        .collect();
    cloaktls::CertifiedKey {
        key: Arc::new(Preferring {
            inner: ck.key.clone(),
            schemes,
        }),
        ..ck
    }
}

/// A key that signs only with the schemes it is given, in their order.
#[derive(Debug)]
struct Preferring {
    inner: Arc<dyn SigningKey>,
    schemes: Vec<SignatureScheme>,
}

impl SigningKey for Preferring {
    fn kind(&self) -> KeyKind {
        self.inner.kind()
    }
    fn schemes(&self) -> &[SignatureScheme] {
        &self.schemes
    }
    fn sign(&self, scheme: SignatureScheme, message: &[u8]) -> Result<Vec<u8>, Error> {
        self.inner.sign(scheme, message)
    }
}

/// A client verifier that fails, for -verify-fail on a server.
#[derive(Debug)]
struct RefuseClient;

impl cloaktls::verify::ClientCertVerifier for RefuseClient {
    fn root_subjects(&self) -> Vec<Vec<u8>> {
        Vec::new()
    }
    fn verify_client_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: UnixTime,
    ) -> Result<(), Error> {
        Err(Error::InvalidCertificate(cloaktls::CertificateError {
            kind: cloaktls::CertificateErrorKind::Other,
            detail: "-verify-fail".into(),
        }))
    }
}

/// A verifier that fails, for -verify-fail.
#[derive(Debug)]
struct Refuse;

impl ServerCertVerifier for Refuse {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<(), Error> {
        Err(Error::InvalidCertificate(cloaktls::CertificateError {
            kind: cloaktls::CertificateErrorKind::Other,
            detail: "-verify-fail".into(),
        }))
    }
}

fn client_config(f: &Flags, store: Arc<MemorySessionCache>) -> Arc<ClientConfig> {
    let mut b: ClientConfigBuilder = if f.verify_fail {
        cloaktls::danger::client_with_verifier(Arc::new(Refuse))
    } else if let (true, Some(root)) = (f.verify_peer, &f.trust_cert) {
        cloaktls::danger::client_with_verifier(Arc::new(cloaktls::danger::ChainOnlyVerifier::new(
            roots(root),
        )))
    } else {
        cloaktls::danger::client_without_verification()
    };
    b = b
        .versions(&versions(f))
        .groups(&groups(f))
        .session_store(Some(store))
        .request_ocsp(f.enable_ocsp_stapling)
        .request_sct(f.enable_sct);
    b = b.alpn_protocols(&f.advertise_alpn).trace(tracing());
    if f.quic {
        b = b.key_log(quic::key_log());
    }
    if let Some(n) = f.max_send_fragment {
        b = b.max_fragment_len(n);
    }
    if let (Some(c), Some(k)) = (&f.cert_file, &f.key_file) {
        b = b.client_certificate(identity(f, c, k));
    }
    b.build().unwrap_or_else(|e| fail(&e))
}

fn server_config(f: &Flags) -> Arc<ServerConfig> {
    let (Some(c), Some(k)) = (&f.cert_file, &f.key_file) else {
        unimplemented("-server without -cert-file/-key-file");
    };
    let mut b = ServerConfig::builder(identity(f, c, k))
        .versions(&versions(f))
        .groups(&groups(f));
    if let Some(p) = &f.select_alpn {
        b = b.alpn_protocols([p]);
    }
    b = b.trace(tracing());
    if f.quic {
        b = b.key_log(quic::key_log());
    }
    let verifier: Arc<dyn cloaktls::verify::ClientCertVerifier> =
        match (&f.trust_cert, f.verify_fail) {
            (_, true) => Arc::new(RefuseClient),
            (Some(root), false) if f.verify_peer => Arc::new(
                cloaktls::verify::WebPkiClientVerifier::new(Arc::new(roots(root))),
            ),
            _ => Arc::new(cloaktls::danger::AnyClientCertificate),
        };
    if f.require_any_client_cert {
        b = b.client_auth(ClientAuth::Required(verifier));
    } else if f.verify_peer {
        b = b.client_auth(ClientAuth::Optional(verifier));
    }
    if let Some(n) = f.max_send_fragment {
        b = b.max_fragment_len(n);
    }
    b.build().unwrap_or_else(|e| fail(&e))
}

/// CLOAK_SHIM_TRACE prints a connection's ladder diagram when it fails, to
/// see where cloaktls and the runner part ways.
fn tracing() -> bool {
    std::env::var_os("CLOAK_SHIM_TRACE").is_some()
}

fn check(f: &Flags, conn: &Connection, resumption: bool) -> Result<(), String> {
    if let Some(v) = f.expect_version {
        if conn.protocol_version().map(|p| p.0) != Some(v) {
            return Err(format!(
                "version {:?}, expected {v:04x}",
                conn.protocol_version()
            ));
        }
    }
    if let Some(a) = &f.expect_alpn {
        if conn.alpn_protocol() != Some(a.as_slice()) {
            return Err("ALPN mismatch".into());
        }
    }
    // A resumed session has no Certificate, so no new response.
    if let (Some(want), false) = (&f.expect_ocsp_response, conn.is_resumed()) {
        if conn.peer_ocsp_response() != Some(want.as_slice()) {
            return Err("OCSP response mismatch".into());
        }
    }
    if let (Some(want), false) = (&f.expect_sct_list, conn.is_resumed()) {
        if conn.peer_sct_list() != Some(want.as_slice()) {
            return Err("SCT list mismatch".into());
        }
    }
    if let Some(hrr) = f.expect_hrr {
        if conn.had_hello_retry() != hrr {
            return Err(format!(
                "HelloRetryRequest: {}, expected {hrr}",
                conn.had_hello_retry()
            ));
        }
    }
    // TLS 1.3 always binds the session to its transcript, as EMS does.
    if f.expect_ems
        && !conn.extended_master_secret()
        && conn.protocol_version() != Some(ProtocolVersion::TLSV1_3)
    {
        return Err("no extended master secret".into());
    }
    if let Some(n) = &f.expect_server_name {
        if conn.server_name() != Some(n.as_str()) {
            return Err(format!(
                "server name {:?}, expected {n}",
                conn.server_name()
            ));
        }
    }
    if let Some(g) = f.expect_curve_id {
        if conn.key_exchange_group().map(|x| x.0) != Some(g) {
            return Err(format!(
                "group {:?}, expected {g}",
                conn.key_exchange_group()
            ));
        }
    }
    if resumption && !f.expect_session_miss && !conn.is_resumed() {
        return Err("session unexpectedly was not reused".into());
    }
    if resumption && f.expect_session_miss && conn.is_resumed() {
        return Err("session unexpectedly was reused".into());
    }
    Ok(())
}

fn exchange<C: std::ops::DerefMut<Target = Connection>>(
    f: &Flags,
    tls: &mut TlsStream<C, TcpStream>,
) -> Result<(), Error> {
    if f.export_keying_material > 0 {
        let mut out = vec![0u8; f.export_keying_material];
        let context = f.use_export_context.then_some(f.export_context.as_bytes());
        tls.conn()
            .export_keying_material(&mut out, f.export_label.as_bytes(), context)?;
        tls.write_all(&out).map_err(Error::from)?;
    }
    if f.shim_writes_first {
        tls.write_all(b"hello").map_err(Error::from)?;
    }
    if f.shim_shuts_down {
        return tls.send_close_notify();
    }
    let mut buf = vec![0u8; f.read_size];
    loop {
        match tls.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                for b in &mut buf[..n] {
                    *b ^= 0xff;
                }
                tls.write_all(&buf[..n]).map_err(Error::from)?;
            }
            // A TLS error travels inside the io::Error.
            Err(e) => match Error::from(e) {
                Error::Truncated if !f.check_close_notify => break,
                err => return Err(err),
            },
        }
    }
    tls.send_close_notify()
}

fn hex_string(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-is-handshaker-supported") {
        println!("No");
        exit(0);
    }
    let f = parse(&args);
    if f.quic_params.is_some() && !f.quic {
        // Transport parameters have no place in a TLS configuration.
        eprintln!("cloaktls shim: -quic-transport-params without -quic");
        eprintln!(":QUIC_TRANSPORT_PARAMETERS_MISCONFIGURED:");
        exit(1);
    }
    let store = Arc::new(MemorySessionCache::new(4));
    let server_cfg = f.server.then(|| server_config(&f));
    for i in 0..=f.resume_count {
        let addr = if f.ipv6 {
            format!("[::1]:{}", f.port)
        } else {
            format!("127.0.0.1:{}", f.port)
        };
        let mut sock = TcpStream::connect(&addr).unwrap_or_else(|e| fail(&Error::from(e)));
        let _ = sock.set_nodelay(true);
        sock.write_all(&f.shim_id.to_le_bytes())
            .unwrap_or_else(|e| fail(&Error::from(e)));
        let tracing = tracing();
        if f.quic {
            match &server_cfg {
                Some(cfg) => quic::server(&f, cfg.clone(), sock, i > 0),
                None => {
                    let name = f.host_name.clone().unwrap_or_else(|| "127.0.0.1".into());
                    quic::client(&f, client_config(&f, store.clone()), &name, sock, i > 0)
                }
            }
            continue;
        }
        let result = if let Some(cfg) = &server_cfg {
            let conn = ServerConnection::new(cfg.clone()).unwrap_or_else(|e| fail(&e));
            let mut tls = TlsStream::new(conn, sock);
            let r = tls
                .complete_handshake()
                .and_then(|_| check(&f, tls.conn(), i > 0).map_err(Error::Config))
                .and_then(|_| exchange(&f, &mut tls));
            if r.is_err() {
                linger(tls.get_mut());
            }
            if r.is_err() && tracing {
                let trace = tls.conn_mut().take_trace();
                eprint!("{}", cloaktls::conn::ladder(&trace, false));
                for e in &trace {
                    if let cloaktls::TraceEvent::MessageIn { bytes, .. } = e {
                        eprintln!("in: {}", hex_string(bytes));
                    }
                }
            }
            r
        } else {
            let name = f.host_name.clone().unwrap_or_else(|| "127.0.0.1".into());
            let conn = ClientConnection::new(client_config(&f, store.clone()), &name)
                .unwrap_or_else(|e| fail(&e));
            let mut tls = TlsStream::new(conn, sock);
            let r = tls
                .complete_handshake()
                .and_then(|_| check(&f, tls.conn(), i > 0).map_err(Error::Config))
                .and_then(|_| exchange(&f, &mut tls));
            if r.is_err() {
                linger(tls.get_mut());
            }
            if r.is_err() && tracing {
                eprint!(
                    "{}",
                    cloaktls::conn::ladder(&tls.conn_mut().take_trace(), true)
                );
            }
            r
        };
        if let Err(e) = result {
            fail(&e);
        }
    }
}
