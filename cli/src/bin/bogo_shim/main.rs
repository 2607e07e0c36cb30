//! A shim for BoringSSL's TLS test runner (BoGo), written from the runner's
//! contract: connect to the runner's port, send the shim id, speak TLS,
//! echo what arrives with every byte XORed with 0xff, repeat for each
//! resumption; exit 0 on success, 1 with a `:CODE:` on failure, 89 for a
//! flag or feature cloaktls does not implement.

mod codes;
mod early;
mod ech;
mod flags;
mod keylog;
mod psk;
/// The `-quic` mode (BoGo's mock QUIC transport).
mod quic;
mod store;
mod verify;

use cloaktls::config::{ClientAuth, ClientConfigBuilder, EarlyDataReason};
use cloaktls::crypto::sign::{KeyKind, SigningKey};
use cloaktls::pem::certified_key_from_files;
use cloaktls::session::{ServerSessionCache, TicketKeys};
use cloaktls::stream::TlsStream;
use cloaktls::{
    AlertDescription, CertificateType, CertifiedKey, CipherSuite, NamedGroup, ProtocolVersion,
    SignatureScheme, TraceEvent,
};
use cloaktls::{ClientConfig, ClientConnection, Connection, Error, ServerConfig};
use flags::{Credential, Flags};
use std::io::{BufRead, Read, Write};
use std::net::TcpStream;
use std::ops::DerefMut;
use std::process::exit;
use std::sync::Arc;
use verify::{Outcome, ShimVerifier};

/// Whether the connection sent 0-RTT (for the verifier: see
/// [`ShimVerifier::retry_fail`]).
type EarlySent = Arc<std::sync::atomic::AtomicBool>;

const UNIMPLEMENTED: i32 = 89;

/// Exits 89: cloaktls does not implement `what`.
fn unimplemented(what: &str) -> ! {
    eprintln!("cloaktls shim: unimplemented flag {what}");
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
            let _ = f.write_all(format!("{what}\n").as_bytes());
        }
    }
    exit(UNIMPLEMENTED)
}

fn fail(e: &Error) -> ! {
    eprintln!("cloaktls: {e}");
    eprintln!(":{}:", codes::code(e));
    exit(1)
}

/// What lives across the connections of one run: the client's session
/// store, the server's ticket keys and session cache (so that a
/// configuration built for each connection still resumes), and what the
/// last full handshake established (BoringSSL reports a resumed session's
/// peer signature algorithm and verify result from when it was made).
struct Run {
    store: Arc<store::Store>,
    ticket_keys: Arc<TicketKeys>,
    session_cache: Arc<ServerSessionCache>,
    peer_scheme: Option<SignatureScheme>,
    verified: Option<bool>,
    /// What the last CertificateRequest asked with.
    request: SeenRequest,
    /// The clock of both sides' configurations.
    clock: Arc<Clock>,
}

/// A clock that stands still at the time the shim started, and moves on
/// only by -resumption-delay after each connection, as BoringSSL's shim's
/// test clock: ticket ages are what the runner expects, however long the
/// connections take.
#[derive(Debug)]
struct Clock {
    start_ms: u64,
    offset: std::sync::atomic::AtomicU64,
}

impl Default for Clock {
    fn default() -> Self {
        use cloaktls::verify::TimeSource;
        Clock {
            start_ms: cloaktls::verify::SystemClock.now_ms(),
            offset: std::sync::atomic::AtomicU64::new(0),
        }
    }
}

impl Clock {
    fn advance(&self, secs: u64) {
        self.offset
            .fetch_add(secs, std::sync::atomic::Ordering::SeqCst);
    }
}

impl cloaktls::verify::TimeSource for Clock {
    fn now(&self) -> cloaktls::verify::UnixTime {
        let secs = self.now_ms() / 1000;
        cloaktls::verify::UnixTime::since_unix_epoch(std::time::Duration::from_secs(secs))
    }
    fn now_ms(&self) -> u64 {
        let offset = self.offset.load(std::sync::atomic::Ordering::SeqCst);
        self.start_ms.saturating_add(offset.saturating_mul(1000))
    }
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
        .filter(|v| f.policy.is_none_or(|p| p.versions().contains(v)))
        .collect()
}

fn groups(f: &Flags) -> Vec<NamedGroup> {
    if f.curves.is_empty() {
        return match f.policy {
            Some(p) => p.groups().to_vec(),
            None => cloaktls::config::default_groups(),
        };
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
        .filter(|g| f.policy.is_none_or(|p| p.groups().contains(g)))
        .collect()
}

fn roots(path: &str) -> cloaktls::verify::RootStore {
    cloaktls::verify::RootStore::from_path(path).unwrap_or_else(|e| fail(&e))
}

/// A credential's certificate and key (or a raw public key's key), its
/// schemes limited by -signing-prefs.
fn identity(cred: &Credential) -> CertifiedKey {
    let loaded = match (cred.raw_public_key, &cred.cert_file, &cred.key_file) {
        (true, None, Some(key)) => cloaktls::pem::raw_public_key_from_file(key),
        (false, Some(cert), Some(key)) => certified_key_from_files(cert, key),
        _ => unimplemented("a credential without -cert-file and -key-file"),
    };
    // The runner's keys are well formed: one that cloaktls cannot load
    // (ML-DSA, RSA under 2048 bits) is a feature it lacks.
    let mut ck = loaded.unwrap_or_else(|e| {
        eprintln!("cloaktls: {e}");
        unimplemented("-cert-file/-key-file with a key cloaktls cannot load")
    });
    if let Some(r) = &cred.ocsp_response {
        ck = ck.with_ocsp_response(r.clone());
    }
    if let Some(l) = &cred.sct_list {
        ck = ck.with_sct_list(l.clone()).unwrap_or_else(|e| {
            eprintln!("cloaktls: {e}");
            eprintln!(":INVALID_SCT_LIST:");
            exit(1)
        });
    }
    if cred.signing_prefs.is_empty() {
        return ck;
    }
    let schemes: Vec<SignatureScheme> = cred
        .signing_prefs
        .iter()
        .map(|s| SignatureScheme(*s))
        .filter(|s| ck.key.schemes().contains(s))
        .collect();
    CertifiedKey {
        key: Arc::new(Preferring {
            inner: ck.key.clone(),
            schemes,
        }),
        ..ck
    }
}

/// Every credential the flags configure, with its number (-1 for the
/// default one).
fn identities(f: &Flags) -> Vec<(i64, CertifiedKey)> {
    f.all_credentials()
        .into_iter()
        .filter(|(_, c)| c.psk.is_none())
        .map(|(n, c)| {
            let ck = identity(c);
            match c.must_match_issuer {
                true => (n, ck.with_must_match_issuer()),
                false => (n, ck),
            }
        })
        .collect()
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

/// -verify-prefs as schemes cloaktls has; one it lacks is not implemented.
fn verify_prefs(f: &Flags) -> Vec<SignatureScheme> {
    let ours = cloaktls::config::supported_signature_schemes();
    f.verify_prefs
        .iter()
        .map(|s| SignatureScheme(*s))
        .inspect(|s| {
            if !ours.contains(s) {
                unimplemented("-verify-prefs with a scheme cloaktls lacks")
            }
        })
        .collect()
}

/// The verifier for this handshake. BoringSSL's shim verifies through a
/// callback whether or not the peer must be verified; only -verify-peer
/// (or -require-any-client-certificate) makes a failure fatal.
fn verifier(
    f: &Flags,
    retry: &Flags,
    outcome: &Outcome,
    early_sent: &EarlySent,
) -> Arc<ShimVerifier> {
    let trusted = f.trust_cert.as_deref().filter(|_| f.verify_peer);
    Arc::new(ShimVerifier {
        server_chain: trusted.map(|r| cloaktls::danger::ChainOnlyVerifier::new(roots(r))),
        client_chain: trusted
            .map(|r| cloaktls::verify::WebPkiClientVerifier::new(Arc::new(roots(r)))),
        fail: f.verify_fail,
        retry_fail: retry.verify_fail,
        early_sent: early_sent.clone(),
        fatal: f.verify_peer || f.require_any_client_cert,
        prefs: verify_prefs(f),
        refuse_ocsp: f.use_ocsp_callback && f.fail_ocsp_callback,
        rpk_sha256: f.expect_peer_rpk_sha256.clone(),
        ca_names: f.client_ca_list.clone(),
        outcome: outcome.clone(),
    })
}

/// The certificate types of -accepted-peer-cert-types or
/// -available-client-cert-types; one cloaktls lacks is not implemented.
fn cert_types(list: &[u8]) -> Vec<CertificateType> {
    list.iter()
        .map(|t| CertificateType(*t))
        .inspect(|t| {
            if *t != CertificateType::X509 && *t != CertificateType::RAW_PUBLIC_KEY {
                unimplemented("a certificate type other than X.509 and RawPublicKey")
            }
        })
        .collect()
}

fn client_config(
    f: &Flags,
    retry: &Flags,
    run: &Run,
    creds: &[(i64, CertifiedKey)],
    outcome: &Outcome,
    early_sent: &EarlySent,
) -> Arc<ClientConfig> {
    let psks = psk::credentials(f);
    let mut offered = versions(f);
    let v = verifier(f, retry, outcome, early_sent);
    let mut b: ClientConfigBuilder = match psks.split_first() {
        // PSKs and no -verify-peer: the server must use a PSK (TLS 1.3).
        Some(((_, first), rest)) if !f.verify_peer => {
            offered.retain(|v| *v == ProtocolVersion::TLSV1_3);
            let mut b = ClientConfig::builder_psk_only(first.clone());
            for (_, p) in rest {
                b = b.external_psk(p.clone());
            }
            b
        }
        _ => {
            let mut b = cloaktls::danger::client_with_verifier(v.clone());
            for (_, p) in &psks {
                b = b.external_psk(p.clone());
            }
            b
        }
    };
    if let Some(p) = f.policy {
        b = b.policy(p);
    }
    // RFC 7250: the server certificate types accepted, and the client's.
    let accepted = cert_types(&f.accepted_peer_cert_types);
    if !accepted.is_empty() {
        b = b
            .server_raw_public_keys(v.clone())
            .server_certificate_types(&accepted);
    }
    let available = cert_types(&f.available_client_cert_types);
    if !available.is_empty() {
        b = b.client_certificate_types(&available);
    }
    b = b
        .versions(&offered)
        .groups(&groups(f))
        .session_store(Some(run.store.clone()))
        .request_ocsp(f.enable_ocsp_stapling)
        .request_sct(f.enable_sct)
        .early_data(f.enable_early_data)
        .time(run.clock.clone())
        .false_start(f.false_start)
        .grease(f.enable_grease)
        .permute_extensions(f.permute_extensions)
        .reverify_on_resume(f.reverify_on_resume)
        .alpn_protocols(&f.advertise_alpn)
        .trace(tracing(f));
    if f.quic || f.export_traffic_secrets {
        b = b.key_log(keylog::key_log());
    }
    if let Some(n) = f.max_send_fragment {
        b = b.max_fragment_len(n);
    }
    if let Some(shares) = &f.key_shares {
        let shares: Vec<NamedGroup> = shares.iter().map(|g| NamedGroup(*g)).collect();
        b = b.key_shares(&shares);
    }
    if let Some(hint) = &f.server_groups_hint {
        let hint: Vec<NamedGroup> = hint.iter().map(|g| NamedGroup(*g)).collect();
        b = b.server_groups_hint(&hint);
    }
    b = ech::client(f, &offered, b);
    // A look at the CertificateRequest needs the callback too.
    let look = f.expect_client_ca_list.is_some()
        || !f.expect_peer_verify_prefs.is_empty()
        || f.expect_certificate_types.is_some();
    if f.use_old_client_cert_callback || look {
        let first = creds.first().map(|(_, ck)| ck.clone());
        b = b.client_certificate_resolver(Arc::new(CertCallback(first, run.request.clone())));
    } else {
        for (_, ck) in creds {
            b = b.client_certificate(ck.clone());
        }
    }
    b.build().unwrap_or_else(|e| config_failed(f, &e))
}

/// BoringSSL's client_cert_cb in its shim: the configured certificate,
/// given when the server asks; what the server asked with is kept for
/// -expect-client-ca-list and -expect-peer-verify-pref.
#[derive(Debug)]
struct CertCallback(Option<CertifiedKey>, SeenRequest);

/// The signature schemes and authorities of the last CertificateRequest.
type SeenRequest = Arc<std::sync::Mutex<Option<Request>>>;

/// What a CertificateRequest asked with: signature schemes, authorities,
/// TLS 1.2's certificate_types.
type Request = (Vec<u16>, Vec<Vec<u8>>, Vec<u8>);

impl cloaktls::config::ResolvesClientCert for CertCallback {
    fn resolve(&self, req: &cloaktls::config::CertificateRequestInfo<'_>) -> Option<CertifiedKey> {
        if let Ok(mut seen) = self.1.lock() {
            let schemes = req.signature_schemes.iter().map(|s| s.0).collect();
            *seen = Some((
                schemes,
                req.authorities.to_vec(),
                req.certificate_types.to_vec(),
            ));
        }
        self.0.clone()
    }
}

fn server_config(
    f: &Flags,
    run: &Run,
    creds: &[(i64, CertifiedKey)],
    outcome: &Outcome,
) -> Arc<ServerConfig> {
    let psks = psk::store(&psk::credentials(f));
    let (mut b, rest) = match (creds.split_first(), psks) {
        (Some(((_, first), rest)), psks) => {
            let b = ServerConfig::builder(first.clone()).versions(&versions(f));
            match psks {
                Some(store) => (b.external_psks(store), rest),
                None => (b, rest),
            }
        }
        (None, Some(store)) => {
            let mut v = versions(f);
            v.retain(|v| *v == ProtocolVersion::TLSV1_3);
            (ServerConfig::builder_psk_only(store).versions(&v), &[][..])
        }
        (None, None) => unimplemented("-server without a certificate"),
    };
    if let Some(p) = f.policy {
        b = b.policy(p);
    }
    if f.prefer_aes256 {
        b = b.cipher_suites(&[
            CipherSuite::TLS13_AES_256_GCM_SHA384,
            CipherSuite::TLS13_AES_128_GCM_SHA256,
            CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
        ]);
    }
    b = b
        .groups(&groups(f))
        .session_cache(Some(run.session_cache.clone()))
        .time(run.clock.clone())
        .trace(tracing(f));
    // SSL_OP_NO_TICKET: none issued, and keys of its own, which open none
    // of the run's tickets.
    b = match f.no_ticket {
        true => b.tickets(0),
        false => b.ticket_keys(run.ticket_keys.clone()),
    };
    if f.skip_ticket {
        b = b.tickets(0);
    }
    if f.quic || f.export_traffic_secrets {
        b = b.key_log(keylog::key_log());
    }
    for (_, ck) in rest {
        b = b.add_certificate(ck.clone());
    }
    if let Some(p) = &f.select_alpn {
        b = b.alpn_protocols([p]);
    }
    if f.enable_early_data {
        // BoringSSL's server limit (kMaxEarlyDataAccepted); its server
        // answers 0-RTT at 0.5-RTT.
        b = b.max_early_data(14336).send_half_rtt_data(true);
    }
    let v = verifier(f, f, outcome, &EarlySent::default());
    let asks = f.require_any_client_cert || f.verify_peer;
    if f.require_any_client_cert {
        b = b.client_auth(ClientAuth::Required(v.clone()));
    } else if f.verify_peer {
        b = b.client_auth(ClientAuth::Optional(v.clone()));
    }
    // RFC 7250: the client certificate types accepted.
    let accepted = cert_types(&f.accepted_peer_cert_types);
    if asks && !accepted.is_empty() {
        if accepted.contains(&CertificateType::RAW_PUBLIC_KEY) {
            b = b.client_raw_public_keys(v, f.require_any_client_cert);
        }
        b = b.client_certificate_types(&accepted);
    }
    if let Some(n) = f.max_send_fragment {
        b = b.max_fragment_len(n);
    }
    let b = ech::server(f, b).unwrap_or_else(|e| fail(&e));
    b.build().unwrap_or_else(|e| config_failed(f, &e))
}

/// The server configuration with the credentials' OCSP responses, or
/// (`staple` false: the OCSP callback declined) without them.
fn staple_or_not(
    f: &Flags,
    run: &Run,
    creds: &[(i64, CertifiedKey)],
    outcome: &Outcome,
    staple: bool,
) -> Arc<ServerConfig> {
    match staple {
        true => server_config(f, run, creds, outcome),
        false => {
            let f = f.without_ocsp();
            server_config(&f, run, &identities(&f), outcome)
        }
    }
}

/// A configuration the library refuses: with every version disabled that
/// is BoringSSL's NO_SUPPORTED_VERSIONS_ENABLED.
fn config_failed(f: &Flags, e: &Error) -> ! {
    if versions(f).is_empty() {
        eprintln!("cloaktls: {e}");
        eprintln!(":NO_SUPPORTED_VERSIONS_ENABLED:");
        exit(1)
    }
    fail(e)
}

/// CLOAK_SHIM_TRACE prints a connection's ladder diagram when it fails, to
/// see where cloaktls and the runner part ways; -expect-msg-callback reads
/// the trace too.
fn tracing(f: &Flags) -> bool {
    std::env::var_os("CLOAK_SHIM_TRACE").is_some() || f.expect_msg_callback.is_some()
}

/// A transport whose reads and writes move one byte at a time, for
/// -async: the sans-IO connection is fed and drained in the smallest
/// pieces, as an event loop with a busy socket would.
struct Trickle(TcpStream);

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(1);
        self.0.read(&mut buf[..n])
    }
}

impl Write for Trickle {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = buf.len().min(1);
        self.0.write(&buf[..n])
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// The transport: the socket, or its one-byte-at-a-time form.
enum Transport {
    Plain(TcpStream),
    Async(Trickle),
}

impl Transport {
    fn socket(&mut self) -> &mut TcpStream {
        match self {
            Transport::Plain(s) => s,
            Transport::Async(t) => &mut t.0,
        }
    }
}

impl Read for Transport {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Transport::Plain(s) => s.read(buf),
            Transport::Async(t) => t.read(buf),
        }
    }
}

impl Write for Transport {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Transport::Plain(s) => s.write(buf),
            Transport::Async(t) => t.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Transport::Plain(s) => s.flush(),
            Transport::Async(t) => t.flush(),
        }
    }
}

/// What the handshake must have established, as the flags expect.
fn check(
    f: &Flags,
    conn: &Connection,
    resumption: bool,
    run: &mut Run,
    creds: &[(i64, CertifiedKey)],
    outcome: &Outcome,
) -> Result<(), String> {
    ech::check(f, conn)?;
    check_early_data_reason(f, conn.early_data_reason())?;
    if let Some(v) = f.expect_version {
        if conn.protocol_version().map(|p| p.0) != Some(v) {
            return Err(format!(
                "version {:?}, expected {v:04x}",
                conn.protocol_version()
            ));
        }
    }
    // An empty protocol expected is none negotiated.
    if let Some(a) = &f.expect_alpn {
        if conn.alpn_protocol().unwrap_or_default() != a.as_slice() {
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
    if let (Some(want), true) = (f.expect_ticket_age_skew, resumption) {
        if conn.ticket_age_skew() != Some(want) {
            return Err(format!(
                "ticket age skew {:?}, expected {want}",
                conn.ticket_age_skew()
            ));
        }
    }
    let want_cipher = match aes_hardware() {
        true => f.expect_cipher_aes,
        false => f.expect_cipher_no_aes,
    };
    if let Some(want) = f.expect_cipher.or(want_cipher) {
        let got = conn.cipher_suite().map(|s| s.0);
        if got != Some(want) {
            return Err(format!("cipher suite {got:04x?}, expected {want:04x}"));
        }
    }
    if f.expect_secure_renegotiation {
        // TLS 1.3 has no renegotiation to secure (RFC 8446 §4.2).
        if conn.protocol_version() != Some(ProtocolVersion::TLSV1_3) {
            unimplemented("-expect-secure-renegotiation before TLS 1.3");
        }
    }
    let tls12 = conn.protocol_version() == Some(ProtocolVersion::TLSV1_2);
    if f.expect_ticket_renewal && resumption && tls12 && run.store.received12() == 0 {
        return Err("the resumption brought no new ticket".into());
    }
    let asked = f.expect_client_ca_list.is_some()
        || !f.expect_peer_verify_prefs.is_empty()
        || f.expect_certificate_types.is_some();
    if !f.server && asked {
        let seen = run.request.lock().ok().and_then(|s| s.clone());
        let Some((schemes, names, types)) = seen else {
            return Err("no CertificateRequest came".into());
        };
        if f.expect_certificate_types
            .as_ref()
            .is_some_and(|t| t != &types)
        {
            return Err(format!("the server asked for certificate types {types:?}"));
        }
        if let Some(want) = &f.expect_client_ca_list {
            if &names != want {
                return Err("the server named other authorities".into());
            }
        }
        if !f.expect_peer_verify_prefs.is_empty() && schemes != f.expect_peer_verify_prefs {
            return Err(format!(
                "the server accepts {schemes:04x?}, expected {:04x?}",
                f.expect_peer_verify_prefs
            ));
        }
    }
    // The cache was empty before the first handshake.
    if let (Some(want), false) = (f.expect_session_id, resumption) {
        if run.session_cache.is_empty() == want {
            return Err(format!("session kept by ID: {}, expected {want}", !want));
        }
    }
    if resumption && !f.expect_session_miss && !conn.is_resumed() {
        return Err("session unexpectedly was not reused".into());
    }
    if resumption && f.expect_session_miss && conn.is_resumed() {
        return Err("session unexpectedly was reused".into());
    }
    // A resumed session was authenticated when it was made: its peer
    // signature and verification are that handshake's.
    if !conn.is_resumed() {
        run.peer_scheme = conn.peer_signature_scheme();
        // Without a certificate to verify, as OpenSSL and BoringSSL, the
        // result is a pass.
        run.verified = Some(outcome.lock().ok().and_then(|o| *o).unwrap_or(true));
    }
    if let Some(want) = f.expect_peer_signature_algorithm {
        let got = run.peer_scheme.map(|s| s.0);
        if got != Some(want) {
            return Err(format!(
                "peer signature algorithm {got:04x?}, expected {want:04x}"
            ));
        }
    }
    if f.expect_verify_result {
        let want = !f.verify_fail;
        if run.verified != Some(want) {
            return Err(format!(
                "certificate verification result {:?}, expected {want}",
                run.verified
            ));
        }
    }
    if let Some(want) = f.expect_peer_certificate_type {
        let got = conn.peer_certificate_type();
        if got.0 != want {
            return Err(format!("peer certificate type {got:?}, expected {want}"));
        }
    }
    if let Some(want) = &f.expect_peer_rpk_sha256 {
        let got = conn
            .peer_raw_public_key()
            .map(|k| cloaktls::crypto::HashAlgorithm::Sha256.hash(k).to_vec());
        if got.as_ref() != Some(want) {
            return Err("the peer's raw public key is not the one expected".into());
        }
    }
    if let (Some(path), false) = (&f.expect_peer_cert_file, conn.is_resumed()) {
        let want = cloaktls::pem::certificates_from_file(path).map_err(|e| e.to_string())?;
        if conn.peer_certificates() != want.as_slice() {
            return Err(format!("the peer's chain is not the one in {path}"));
        }
    }
    if f.expect_no_peer_cert && !conn.peer_certificates().is_empty() {
        return Err("the peer sent a certificate".into());
    }
    if let Some(want) = f.expect_selected_credential {
        let used = conn
            .own_certificate()
            .and_then(|own| {
                creds
                    .iter()
                    .find(|(_, ck)| Arc::ptr_eq(&ck.key, &own.key))
                    .map(|(n, _)| *n)
            })
            .or_else(|| psk::selected(conn, &psk::credentials(f)));
        if used.unwrap_or(-1) != want {
            return Err(format!("credential {used:?} was used, wanted {want}"));
        }
    }
    Ok(())
}

/// BoringSSL's name for why 0-RTT was accepted or not
/// (SSL_early_data_reason_string).
fn early_data_reason(r: EarlyDataReason) -> &'static str {
    use EarlyDataReason as R;
    match r {
        R::Accepted => "accept",
        R::Disabled => "disabled",
        R::ProtocolVersion => "protocol_version",
        R::NotOffered => "no_session_offered",
        R::UnsupportedForSession => "unsupported_for_session",
        R::SessionNotResumed => "session_not_resumed",
        R::HelloRetryRequest => "hello_retry_request",
        R::AlpnMismatch => "alpn_mismatch",
        R::TicketAgeSkew => "ticket_age_skew",
        R::QuicParameterMismatch => "quic_parameter_mismatch",
        R::PeerDeclined => "peer_declined",
        // No BoringSSL counterpart: a mismatched suite is a session it
        // would not resume; a replay is one it has no register for.
        R::CipherSuiteMismatch => "session_not_resumed",
        R::Replayed => "replayed",
        _ => "unknown",
    }
}

/// The data exchange: exported keying material, the shim's first words
/// (but the first `said` bytes, which went as accepted 0-RTT), the echo.
fn exchange<C: DerefMut<Target = Connection>>(
    f: &Flags,
    tls: &mut TlsStream<C, Transport>,
    said: usize,
) -> Result<(), Error> {
    if f.export_traffic_secrets {
        // BoringSSL's shim: the length (in the machine's order), then the
        // read and the write traffic secrets.
        let (read, write) = match f.server {
            true => ("CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0"),
            false => ("SERVER_TRAFFIC_SECRET_0", "CLIENT_TRAFFIC_SECRET_0"),
        };
        let (read, write) = (keylog::logged(read), keylog::logged(write));
        let len = u16::try_from(read.len()).unwrap_or_default();
        tls.write_all(&len.to_le_bytes()).map_err(Error::from)?;
        tls.write_all(&read).map_err(Error::from)?;
        tls.write_all(&write).map_err(Error::from)?;
    }
    if f.tls_unique {
        let unique = tls
            .conn()
            .tls_unique()
            .ok_or_else(|| Error::Config("failed to get tls-unique".into()))?
            .to_vec();
        tls.write_all(&unique).map_err(Error::from)?;
    }
    if f.send_alert {
        // A cloaktls client's hello is out from the start: the alert
        // comes once the handshake that hello began has ended, also
        // under -implicit-handshake.
        tls.complete_handshake()?;
        tls.conn_mut()
            .abort(AlertDescription::DECOMPRESSION_FAILURE);
        return tls.flush().map_err(Error::from);
    }
    if f.export_keying_material > 0 {
        let mut out = vec![0u8; f.export_keying_material];
        let context = f.use_export_context.then_some(f.export_context.as_bytes());
        tls.conn()
            .export_keying_material(&mut out, f.export_label.as_bytes(), context)?;
        tls.write_all(&out).map_err(Error::from)?;
    }
    let mut said = said;
    if f.read_with_unfinished_write && said == 0 {
        // The record waits in the connection with one byte out; the next
        // reads finish it before anything else goes.
        let (word, _) = f.initial_write();
        said = tls.conn_mut().send(word)?;
        one_byte_through(tls)?;
    }
    if f.shim_writes_first {
        let (word, repeat) = f.initial_write();
        let words = word.repeat(repeat);
        tls.write_all(words.get(said..).unwrap_or_default())
            .map_err(Error::from)?;
    }
    if f.shim_shuts_down {
        // -check-close-notify: a confirmed, bidirectional shutdown.
        return match f.check_close_notify {
            true => tls.shutdown(),
            false => tls.send_close_notify(),
        };
    }
    let mut buf = vec![0u8; f.read_size];
    loop {
        match read(f, tls, &mut buf) {
            Ok(0) => break,
            Ok(n) => {
                if f.key_update {
                    tls.conn_mut().key_update(false)?;
                }
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
    Ok(())
}

/// Our close_notify, after the exchange. The peer may hang up as soon as
/// it has sent its own: our answer then meets a closed socket, which loses
/// nothing.
fn close<C: DerefMut<Target = Connection>>(tls: &mut TlsStream<C, Transport>) -> Result<(), Error> {
    match tls.send_close_notify() {
        Err(Error::Io(_)) if tls.conn().peer_has_closed() => Ok(()),
        // The peer hung up without close_notify, which the exchange took
        // as the end (unless -check-close-notify): nobody is left to tell.
        Err(Error::Truncated) => Ok(()),
        r => r,
    }
}

/// Writes one byte of what the connection has to send, and leaves the
/// rest pending: a write the transport did not take whole (-async with
/// -read-with-unfinished-write).
fn one_byte_through<C: DerefMut<Target = Connection>>(
    tls: &mut TlsStream<C, Transport>,
) -> Result<(), Error> {
    if !tls.conn().wants_write() {
        return Ok(());
    }
    let first = tls.conn().pending_tls()[..1].to_vec();
    tls.get_mut().socket().write_all(&first)?;
    tls.conn_mut().consume_tls(1);
    Ok(())
}

/// The first words as 0-RTT, one record per write as BoringSSL's shim
/// makes them, as far as the ticket allows; returns how many bytes went.
fn early_words<C: DerefMut<Target = Connection>>(
    f: &Flags,
    tls: &mut TlsStream<C, Transport>,
) -> Result<usize, Error> {
    let (word, repeat) = f.initial_write();
    let mut said = 0;
    for _ in 0..repeat {
        let n = tls.conn_mut().send_early_data(word)?;
        said += n;
        tls.flush().map_err(Error::from)?;
        if n < word.len() {
            break;
        }
    }
    Ok(said)
}

/// One read: with -peek-then-read, a peek, a second peek that must see
/// the same bytes, then the read that takes them (BufRead over the
/// connection's received data).
fn read<C: DerefMut<Target = Connection>>(
    f: &Flags,
    tls: &mut TlsStream<C, Transport>,
    buf: &mut [u8],
) -> std::io::Result<usize> {
    if !f.peek_then_read {
        return tls.read(buf);
    }
    let n = {
        let peeked = tls.fill_buf()?;
        let n = peeked.len().min(buf.len());
        buf[..n].copy_from_slice(&peeked[..n]);
        n
    };
    if tls.fill_buf()?.get(..n) != Some(&buf[..n]) {
        return Err(std::io::Error::other("the second peek saw other bytes"));
    }
    tls.consume(n);
    Ok(n)
}

/// The trace as BoringSSL's message callback writes it: one line per
/// handshake message (ClientHelloInner too), ChangeCipherSpec and alert,
/// each way; a TLS 1.3 ChangeCipherSpec that arrives is dropped unseen
/// there (RFC 9846 §5), so it is left out here.
fn message_log(trace: &[TraceEvent], tls13: bool) -> String {
    let mut out = String::new();
    for e in trace {
        let line = match e {
            TraceEvent::MessageIn { typ, .. } => format!("read hs {}", typ.0),
            TraceEvent::MessageOut { typ, .. } => format!("write hs {}", typ.0),
            TraceEvent::ClientHelloInnerIn { .. } => "read clienthelloinner".into(),
            TraceEvent::ClientHelloInnerOut { .. } => "write clienthelloinner".into(),
            TraceEvent::ChangeCipherSpecIn if tls13 => continue,
            TraceEvent::ChangeCipherSpecIn => "read ccs".into(),
            TraceEvent::ChangeCipherSpecOut => "write ccs".into(),
            TraceEvent::AlertIn(a) => format!("read alert {} {}", a.level.0, a.description.0),
            TraceEvent::AlertOut(a) => format!("write alert {} {}", a.level.0, a.description.0),
            _ => continue,
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
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

fn hex_string(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether this CPU has AES instructions (BoringSSL's
/// EVP_has_aes_hardware), which decides what -expect-cipher-aes expects.
fn aes_hardware() -> bool {
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    {
        std::arch::is_x86_feature_detected!("aes")
            && std::arch::is_x86_feature_detected!("pclmulqdq")
    }
    #[cfg(target_arch = "aarch64")]
    {
        std::arch::is_aarch64_feature_detected!("aes")
    }
    #[cfg(not(any(target_arch = "x86", target_arch = "x86_64", target_arch = "aarch64")))]
    {
        false
    }
}

/// -expect-early-data-reason against the reason the connection gives.
fn check_early_data_reason(f: &Flags, reason: Option<EarlyDataReason>) -> Result<(), String> {
    if let Some(want) = &f.expect_early_data_reason {
        let got = reason.map(early_data_reason);
        if got != Some(want.as_str()) {
            return Err(format!("0-RTT reason {got:?}, expected {want}"));
        }
    }
    Ok(())
}

/// What the flags expect of 0-RTT, given whether it was accepted. As
/// BoringSSL's, a rejection expected is one where 0-RTT was not accepted,
/// and on a resumption, offered.
fn check_early_data(f: &Flags, accepted: Option<bool>, resumption: bool) -> Result<(), String> {
    if f.expect_accept_early_data && accepted != Some(true) {
        return Err(format!("0-RTT: {accepted:?}, expected it accepted"));
    }
    let rejected = match resumption {
        true => accepted == Some(false),
        false => accepted != Some(true),
    };
    if f.expect_reject_early_data && !rejected {
        return Err(format!("0-RTT: {accepted:?}, expected it rejected"));
    }
    if f.expect_no_offer_early_data && accepted.is_some() {
        return Err("0-RTT was offered, expected not".into());
    }
    Ok(())
}

/// What the flags expect of the tickets a TLS 1.3 client received (as
/// BoringSSL's shim, only of a session that was to come).
fn check_tickets(f: &Flags, received: &[u32]) -> Result<(), String> {
    if f.expect_no_session {
        return match received.is_empty() {
            true => Ok(()),
            false => Err(format!("{} tickets arrived, expected none", received.len())),
        };
    }
    if f.expect_ticket_supports_early_data && !received.iter().any(|max| *max > 0) {
        return Err("no ticket allows 0-RTT".into());
    }
    Ok(())
}

/// One connection, client or server: the handshake (unless the first read
/// or write is to drive it), the checks, the exchange. A client whose
/// 0-RTT was rejected goes on under the -on-retry flags, and says again
/// at 1-RTT what it said at 0-RTT, as BoringSSL's shim does.
#[allow(clippy::too_many_arguments)]
fn run_connection<C: DerefMut<Target = Connection>>(
    f: &Flags,
    retry: &Flags,
    run: &mut Run,
    conn: C,
    transport: Transport,
    resumption: bool,
    creds: &[(i64, CertifiedKey)],
    outcome: &Outcome,
    early_sent: &EarlySent,
) -> Result<(), Error> {
    let mut tls = TlsStream::new(conn, transport);
    run.store.take_received();
    let mut f = f;
    // What went as 0-RTT: as much of the first words as the ticket allows.
    let mut said = 0;
    let mut r = Ok(());
    let unfinished_early = f.read_with_unfinished_write && f.enable_early_data && resumption;
    if !f.server && unfinished_early && tls.conn().early_data_room().is_some() {
        let (word, _) = f.initial_write();
        r = tls.conn_mut().send_early_data(word).map(|n| said = n);
        r = r.and_then(|_| one_byte_through(&mut tls));
        early_sent.store(said > 0, std::sync::atomic::Ordering::SeqCst);
    } else if !f.server && f.enable_early_data && resumption && f.shim_writes_first {
        r = early_words(f, &mut tls).map(|n| said = n);
        early_sent.store(said > 0, std::sync::atomic::Ordering::SeqCst);
        // BoringSSL's shim exports right after its 0-RTT write, before the
        // handshake ends: cloaktls has no keying material yet.
        if said > 0 && f.export_keying_material > 0 {
            let mut out = vec![0u8; f.export_keying_material];
            r = r.and_then(|_| {
                tls.conn()
                    .export_keying_material(&mut out, f.export_label.as_bytes(), None)
            });
        }
    }
    // BoringSSL's shim checks the handshake's properties only when it
    // drives the handshake itself.
    if !f.implicit_handshake {
        // BoringSSL's server stops its handshake where 0-RTT data can be
        // read, and answers it at 0.5-RTT.
        let drive = |tls: &mut TlsStream<C, Transport>| match f.server && f.enable_early_data {
            true => tls.accept_early_data().map(|_| ()),
            false => tls.complete_handshake(),
        };
        r = r.and_then(|_| drive(&mut tls)).and_then(|_| {
            check_early_data(f, tls.conn().early_data_accepted(), resumption).map_err(Error::Config)
        });
        if !f.server && tls.conn().early_data_accepted() == Some(false) {
            f = retry;
            said = 0;
        }
        r = r.and_then(|_| {
            check(f, tls.conn(), resumption, run, creds, outcome).map_err(Error::Config)
        });
        // Driving the handshake again reads and writes nothing.
        if f.no_op_extra_handshake {
            let before = tls.conn().wants_write();
            r = r.and_then(|_| drive(&mut tls));
            if r.is_ok() && (before || tls.conn().wants_write()) {
                r = Err(Error::Config("the extra handshake was not a no-op".into()));
            }
        }
    }
    let r = r.and_then(|_| exchange(f, &mut tls, said));
    // After an implicit handshake, too, a rejection means the retry's flags.
    if !f.server && tls.conn().early_data_accepted() == Some(false) {
        f = retry;
    }
    // A rejected ECH is checked under the flags of the attempt it ended.
    if let Err(e) = &r {
        if let Err(why) = ech::check_rejection(f, e) {
            eprintln!("cloaktls: {why}");
            exit(1);
        }
    }
    let tls13 = tls.conn().protocol_version() == Some(ProtocolVersion::TLSV1_3);
    let r = r.and_then(|_| match f.server || !tls13 {
        true => Ok(()),
        false => check_tickets(f, &run.store.take_received()).map_err(Error::Config),
    });
    // The message log as it stands before our close_notify, where
    // BoringSSL's shim compares it.
    let mut trace = if tracing(f) {
        tls.conn_mut().take_trace()
    } else {
        Vec::new()
    };
    let log = message_log(&trace, tls13);
    // After -send-alert's abort there is nothing left to close.
    let r = r.and_then(|_| match f.shim_shuts_down || f.send_alert {
        true => Ok(()),
        false => close(&mut tls),
    });
    if r.is_err() && tracing(f) {
        trace.extend(tls.conn_mut().take_trace());
    }
    // An aborted connection's alert must reach the peer before the
    // socket goes.
    if r.is_err() || f.send_alert {
        linger(tls.get_mut().socket());
        if std::env::var_os("CLOAK_SHIM_TRACE").is_some() {
            eprint!("{}", cloaktls::conn::ladder(&trace, !f.server));
            for e in &trace {
                if let TraceEvent::MessageIn { bytes, .. } = e {
                    eprintln!("in: {}", hex_string(bytes));
                }
            }
        }
    }
    r?;
    if let Some(want) = &f.expect_msg_callback {
        if &log != want {
            return Err(Error::Config(format!(
                "message callback log:\n{log}expected:\n{want}"
            )));
        }
    }
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-is-handshaker-supported") {
        println!("No");
        exit(0);
    }
    let [initial, resume, retry] = flags::parse(&args);
    if initial.quic_params.is_some() && !initial.quic {
        // Transport parameters have no place in a TLS configuration.
        eprintln!("cloaktls shim: -quic-transport-params without -quic");
        eprintln!(":QUIC_TRANSPORT_PARAMETERS_MISCONFIGURED:");
        exit(1);
    }
    let random: Arc<dyn cloaktls::crypto::RandomSource> =
        Arc::new(cloaktls::crypto::SystemRandom::new());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let mut run = Run {
        store: Arc::new(store::Store::new()),
        ticket_keys: Arc::new(TicketKeys::new(random, 86_400, now).unwrap_or_else(|e| fail(&e))),
        session_cache: Arc::new(ServerSessionCache::new(16)),
        peer_scheme: None,
        verified: None,
        request: SeenRequest::default(),
        clock: Arc::default(),
    };
    for i in 0..=initial.resume_count {
        let f = if i == 0 { &initial } else { &resume };
        if f.no_ticket && !f.server {
            // A client that never offers a ticket: no such switch.
            unimplemented("-no-ticket on a client");
        }
        if f.fail_cert_callback && !f.server {
            // A client certificate resolver cannot fail the handshake.
            unimplemented("-fail-cert-callback on a client");
        }
        let addr = if f.ipv6 {
            format!("[::1]:{}", f.port)
        } else {
            format!("127.0.0.1:{}", f.port)
        };
        let mut sock = TcpStream::connect(&addr).unwrap_or_else(|e| fail(&Error::from(e)));
        let _ = sock.set_nodelay(true);
        sock.write_all(&f.shim_id.to_le_bytes())
            .unwrap_or_else(|e| fail(&Error::from(e)));
        let creds = identities(f);
        let outcome = Outcome::default();
        let early_sent = EarlySent::default();
        if f.quic {
            match f.server {
                true => quic::server(
                    f,
                    |staple| staple_or_not(f, &run, &creds, &outcome, staple),
                    sock,
                    i > 0,
                ),
                false => {
                    let name = f.host_name.clone().unwrap_or_else(|| "127.0.0.1".into());
                    let cfg = client_config(f, &retry, &run, &creds, &outcome, &early_sent);
                    quic::client(f, &retry, cfg, &name, sock, i > 0, &early_sent)
                }
            }
            run.clock.advance(f.resumption_delay);
            continue;
        }
        let mut transport = match f.async_io {
            true => Transport::Async(Trickle(sock)),
            false => Transport::Plain(sock),
        };
        let result = if f.server {
            let cfg = |staple| staple_or_not(f, &run, &creds, &outcome, staple);
            let conn = early::accept(f, cfg, &mut transport).unwrap_or_else(|e| fail(&e));
            run_connection(
                f,
                &retry,
                &mut run,
                conn,
                transport,
                i > 0,
                &creds,
                &outcome,
                &early_sent,
            )
        } else {
            let cfg = client_config(f, &retry, &run, &creds, &outcome, &early_sent);
            let name = f.host_name.clone().unwrap_or_else(|| "127.0.0.1".into());
            let conn = ClientConnection::new(cfg, &name).unwrap_or_else(|e| fail(&e));
            run_connection(
                f,
                &retry,
                &mut run,
                conn,
                transport,
                i > 0,
                &creds,
                &outcome,
                &early_sent,
            )
        };
        if let Err(e) = result {
            fail(&e);
        }
        run.clock.advance(f.resumption_delay);
    }
}
