//! RFC 8448's handshakes replayed whole. Our client, then our server, is
//! driven through a trace: it gets the trace's randomness, key shares and
//! clock, is fed the peer's records from the trace, and every record it
//! sends is compared byte for byte with the trace's. Where cloaktls cannot
//! produce the trace's bytes (NSS offers groups and signature schemes that
//! cloaktls does not implement; RFC 8448's 1024-bit RSA keys are below
//! what `ring` and webpki accept; RSA-PSS signatures are randomised), the
//! trace's value is injected through the configuration's traits and
//! [`crate::danger::replay`], and the report says which message and why.

use super::{has_psk_without_binders, Trace};
use crate::config::{CertifiedKey, ClientConfig, KeyLog, ServerConfig};
use crate::conn::{ClientConnection, Connection, ServerConnection};
use crate::crypto::kx::{self, KeyExchangeGroup};
use crate::crypto::rand::RandomSource;
use crate::crypto::rand::SystemRandom;
use crate::crypto::sign::{KeyKind, SigningKey};
use crate::crypto::suites::{
    SupportedSuite, TLS13_AES_128_GCM_SHA256, TLS13_AES_256_GCM_SHA384,
    TLS13_CHACHA20_POLY1305_SHA256,
};
use crate::crypto::HashAlgorithm;
use crate::danger::replay::{
    shape_client_messages, shape_server_messages, FixedKeyGroup, MessageShaper,
};
use crate::error::Error;
use crate::handshake::tls13_signed_content;
use crate::msgs::enums::{
    AlertDescription, ExtensionType, HandshakeType, NamedGroup, ProtocolVersion, SignatureScheme,
};
use crate::msgs::extensions::Extension;
use crate::msgs::handshake::{HandshakeMessage, HandshakePayload, HELLO_RETRY_REQUEST_RANDOM};
use crate::session::{MemorySessionCache, ServerSessionCache, TicketKeys};
use crate::verify::{ClientCertVerifier, ServerCertVerifier, TimeSource};
use pki_types::{CertificateDer, ServerName, UnixTime};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The server name in every RFC 8448 trace.
const SERVER_NAME: &str = "server";
/// The replays' clock: an arbitrary instant (the traces print no time).
const START_MS: u64 = 1_700_000_000_000;

/// What one side's replay of one trace did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Replay {
    /// Byte comparisons that passed: every record sent, every record's
    /// plaintext received, every injected value's context.
    pub checks: usize,
    /// What was injected instead of computed, one line each: the message,
    /// the value, and why.
    pub injected: Vec<String>,
}

/// Injections and failures, shared by the hooks and the runner.
#[derive(Debug, Default)]
struct Log {
    injected: Vec<String>,
    failures: Vec<String>,
    checks: usize,
}

type SharedLog = Arc<Mutex<Log>>;

fn note(log: &SharedLog, line: String) {
    if let Ok(mut l) = log.lock() {
        if !l.injected.contains(&line) {
            l.injected.push(line);
        }
    }
}

fn fail(log: &SharedLog, line: String) {
    if let Ok(mut l) = log.lock() {
        l.failures.push(line);
    }
}

fn checked(log: &SharedLog) {
    if let Ok(mut l) = log.lock() {
        l.checks += 1;
    }
}

/// The side a replay drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Our client against the trace's server.
    Client,
    /// Our server against the trace's client.
    Server,
}

impl Side {
    fn tag(self) -> &'static str {
        match self {
            Side::Client => "{client}",
            Side::Server => "{server}",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Side::Client => "client",
            Side::Server => "server",
        }
    }
}

/// One handshake message of a trace: who sent it and its bytes.
#[derive(Debug, Clone)]
struct TraceMessage {
    from: Side,
    bytes: Vec<u8>,
}

impl TraceMessage {
    fn decode(&self) -> Result<HandshakeMessage, String> {
        HandshakeMessage::decode(&self.bytes, ProtocolVersion::TLSV1_3)
            .map_err(|e| format!("the trace's message does not decode: {e:?}"))
    }

    fn typ(&self) -> HandshakeType {
        HandshakeType(self.bytes.first().copied().unwrap_or(0))
    }
}

/// The trace's handshake messages in order. RFC 8448 §4 prints its
/// ClientHello without binders; the whole one is the record's payload.
fn messages(t: &Trace) -> Result<Vec<TraceMessage>, String> {
    let mut out = Vec::new();
    for (i, step) in t.steps.iter().enumerate() {
        if !(step.title.contains("construct a") && step.title.contains("handshake message")) {
            continue;
        }
        let from = if step.title.starts_with("{client}") {
            Side::Client
        } else {
            Side::Server
        };
        let (_, mut bytes) = step
            .values
            .first()
            .cloned()
            .ok_or_else(|| format!("`{}` has no value", step.title))?;
        if has_psk_without_binders(&bytes) {
            bytes = t.steps[i..]
                .iter()
                .find(|s| s.title.starts_with("{client} send handshake record"))
                .and_then(|s| s.get("payload"))
                .ok_or("no record for the ClientHello")?
                .to_vec();
        }
        out.push(TraceMessage { from, bytes });
    }
    Ok(out)
}

/// The transcript hash (SHA-256, the suite of every trace) of `msgs`, with
/// a first ClientHello replaced by message_hash when a HelloRetryRequest
/// follows it (RFC 8446 §4.4.1).
fn transcript_hash(msgs: &[TraceMessage]) -> Vec<u8> {
    let h = HashAlgorithm::Sha256;
    let mut data = Vec::new();
    for (i, m) in msgs.iter().enumerate() {
        let next_is_hrr = msgs
            .get(i + 1)
            .is_some_and(|n| n.bytes.get(6..38) == Some(&HELLO_RETRY_REQUEST_RANDOM[..]));
        if i == 0 && next_is_hrr {
            data.extend_from_slice(&[0xfe, 0, 0, 32]);
            data.extend_from_slice(&h.hash(&m.bytes));
        } else {
            data.extend_from_slice(&m.bytes);
        }
    }
    h.hash(&data).to_vec()
}

/// A side's authentication in the trace: its certificate, and its
/// CertificateVerify with the content that it signs.
#[derive(Debug, Clone)]
struct Identity {
    side: Side,
    cert: Vec<u8>,
    scheme: SignatureScheme,
    signature: Vec<u8>,
    signed: Vec<u8>,
}

fn identity(msgs: &[TraceMessage], side: Side) -> Result<Option<Identity>, String> {
    let Some(at) = msgs
        .iter()
        .position(|m| m.from == side && m.typ() == HandshakeType::CERTIFICATE)
    else {
        return Ok(None);
    };
    let HandshakePayload::Certificate13(c) = msgs[at].decode()?.payload else {
        return Err("a Certificate that is not TLS 1.3's".into());
    };
    let cert = c
        .entries
        .first()
        .ok_or("an empty Certificate")?
        .cert_data
        .clone();
    let cv = msgs.get(at + 1).ok_or("no CertificateVerify")?.decode()?;
    let HandshakePayload::CertificateVerify(cv) = cv.payload else {
        return Err("no CertificateVerify after the Certificate".into());
    };
    let signed = tls13_signed_content(side == Side::Server, &transcript_hash(&msgs[..=at]));
    Ok(Some(Identity {
        side,
        cert,
        scheme: cv.scheme,
        signature: cv.signature,
        signed: signed.to_vec(),
    }))
}

const KEY_REASON: &str = "RFC 8448's 1024-bit RSA keys are below the 2048 bits that ring \
     and webpki accept";

impl Identity {
    /// Checks a signature the way a verifier would: the trace's signature,
    /// over the content computed from the trace's transcript.
    fn check(&self, log: &SharedLog, scheme: SignatureScheme, message: &[u8], sig: &[u8]) -> bool {
        let who = self.side.name();
        note(
            log,
            format!(
                "{who} CertificateVerify: checked as the trace's signature over the \
                 content computed from the trace's transcript, not verified ({KEY_REASON})"
            ),
        );
        if scheme != self.scheme || sig != self.signature {
            fail(
                log,
                format!("the {who}'s CertificateVerify is not the trace's"),
            );
            return false;
        }
        if message != self.signed {
            fail(
                log,
                format!(
                    "the {who}'s CertificateVerify covers {}, the trace's transcript gives {}",
                    hex::encode(message),
                    hex::encode(&self.signed)
                ),
            );
            return false;
        }
        checked(log);
        true
    }
}

/// Verifies the peer as the trace's: its certificate by identity, its
/// signature against the trace's.
#[derive(Debug)]
struct ReplayVerifier {
    peer: Identity,
    log: SharedLog,
}

impl ReplayVerifier {
    fn cert(&self, end_entity: &CertificateDer<'_>) -> Result<(), Error> {
        note(
            &self.log,
            format!(
                "{} Certificate: accepted because it is the trace's, not path-validated ({KEY_REASON})",
                self.peer.side.name()
            ),
        );
        if end_entity.as_ref() != self.peer.cert {
            fail(
                &self.log,
                "the peer's certificate is not the trace's".into(),
            );
            return Err(Error::peer(
                AlertDescription::BAD_CERTIFICATE,
                "not the trace's certificate",
            ));
        }
        checked(&self.log);
        Ok(())
    }

    fn signature(&self, scheme: SignatureScheme, message: &[u8], sig: &[u8]) -> Result<(), Error> {
        if self.peer.check(&self.log, scheme, message, sig) {
            Ok(())
        } else {
            Err(Error::peer(
                AlertDescription::DECRYPT_ERROR,
                "not the trace's CertificateVerify",
            ))
        }
    }
}

impl ServerCertVerifier for ReplayVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<(), Error> {
        self.cert(end_entity)
    }

    fn verify_handshake_signature(
        &self,
        _end_entity: &CertificateDer<'_>,
        scheme: SignatureScheme,
        message: &[u8],
        signature: &[u8],
        _tls13: bool,
    ) -> Result<(), Error> {
        self.signature(scheme, message, signature)
    }
}

impl ClientCertVerifier for ReplayVerifier {
    fn root_subjects(&self) -> Vec<Vec<u8>> {
        Vec::new()
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<(), Error> {
        self.cert(end_entity)
    }

    fn verify_handshake_signature(
        &self,
        _end_entity: &CertificateDer<'_>,
        scheme: SignatureScheme,
        message: &[u8],
        signature: &[u8],
        _tls13: bool,
    ) -> Result<(), Error> {
        self.signature(scheme, message, signature)
    }
}

/// "Signs" with the trace's signature, after checking that the content to
/// sign is the one computed from the trace's transcript.
#[derive(Debug)]
struct ReplaySigner {
    us: Identity,
    schemes: [SignatureScheme; 1],
    log: SharedLog,
}

impl SigningKey for ReplaySigner {
    fn kind(&self) -> KeyKind {
        KeyKind::Rsa
    }

    fn schemes(&self) -> &[SignatureScheme] {
        &self.schemes
    }

    fn sign(&self, scheme: SignatureScheme, message: &[u8]) -> Result<Vec<u8>, Error> {
        note(
            &self.log,
            format!(
                "{} CertificateVerify: the trace's signature (RSA-PSS salts are random, and {KEY_REASON})",
                self.us.side.name()
            ),
        );
        if scheme != self.us.scheme {
            fail(
                &self.log,
                format!("we chose {scheme:?}, the trace {:?}", self.us.scheme),
            );
        } else if message != self.us.signed {
            fail(
                &self.log,
                format!(
                    "our CertificateVerify covers {}, the trace's transcript gives {}",
                    hex::encode(message),
                    hex::encode(&self.us.signed)
                ),
            );
        } else {
            checked(&self.log);
        }
        Ok(self.us.signature.clone())
    }
}

/// The trace's random values, handed out in order; any other request is a
/// failure of the replay.
#[derive(Debug)]
struct ScriptedRandom {
    script: Mutex<VecDeque<(&'static str, Vec<u8>)>>,
    log: SharedLog,
}

impl RandomSource for ScriptedRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), Error> {
        let next = self.script.lock().ok().and_then(|mut s| s.pop_front());
        match next {
            Some((_, v)) if v.len() == buf.len() => {
                buf.copy_from_slice(&v);
                Ok(())
            }
            Some((what, v)) => {
                fail(
                    &self.log,
                    format!(
                        "asked for {} random bytes where the trace has {} ({what})",
                        buf.len(),
                        v.len()
                    ),
                );
                Err(Error::Crypto("scripted randomness"))
            }
            None => {
                fail(
                    &self.log,
                    format!(
                        "asked for {} random bytes more than the trace has",
                        buf.len()
                    ),
                );
                Err(Error::Crypto("scripted randomness"))
            }
        }
    }
}

/// A clock the runner sets, in milliseconds.
#[derive(Debug)]
struct ReplayClock(AtomicU64);

impl TimeSource for ReplayClock {
    fn now(&self) -> UnixTime {
        UnixTime::since_unix_epoch(Duration::from_millis(self.0.load(Ordering::Relaxed)))
    }

    fn now_ms(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// The secrets a connection logs, under their SSLKEYLOGFILE labels.
#[derive(Debug, Default)]
struct SecretLog(Mutex<Vec<(String, Vec<u8>)>>);

impl KeyLog for SecretLog {
    fn log(&self, label: &str, _client_random: &[u8], secret: &[u8]) {
        if let Ok(mut l) = self.0.lock() {
            l.push((label.to_string(), secret.to_vec()));
        }
    }
}

/// The RFC 8446 §7.1 label that a key log label stands for.
fn schedule_label(key_log_label: &str) -> Option<&'static str> {
    Some(match key_log_label {
        "CLIENT_EARLY_TRAFFIC_SECRET" => "tls13 c e traffic",
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET" => "tls13 c hs traffic",
        "SERVER_HANDSHAKE_TRAFFIC_SECRET" => "tls13 s hs traffic",
        "CLIENT_TRAFFIC_SECRET_0" => "tls13 c ap traffic",
        "SERVER_TRAFFIC_SECRET_0" => "tls13 s ap traffic",
        "EXPORTER_SECRET" => "tls13 exp master",
        _ => return None,
    })
}

/// Checks every secret the connection logged against the trace's value of
/// the same derivation; returns how many were compared.
fn check_secrets(t: &Trace, logged: &SecretLog, what: &str) -> Result<usize, String> {
    let logged = logged.0.lock().map_err(|_| "key log poisoned")?;
    let mut checks = 0;
    for (label, secret) in logged.iter() {
        let Some(derivation) = schedule_label(label) else {
            continue;
        };
        let title = format!("derive secret \"{derivation}\"");
        let want = t
            .steps
            .iter()
            .filter(|s| s.title.contains(&title))
            .find_map(|s| s.get("expanded"))
            .ok_or_else(|| format!("{what}: the trace has no {derivation}"))?;
        if want != secret.as_slice() {
            return Err(format!(
                "{what}: {label} is {}, the trace's {derivation} is {}",
                hex::encode(secret),
                hex::encode(want)
            ));
        }
        checks += 1;
    }
    // A full handshake logs the two handshake, the two application and
    // the exporter secrets.
    if checks < 5 {
        return Err(format!("{what}: only {checks} secrets were logged"));
    }
    Ok(checks)
}

/// Why an extension of a message may be the trace's rather than ours.
fn reason(msg: HandshakeType, ext: ExtensionType) -> Option<&'static str> {
    Some(match (msg, ext) {
        (HandshakeType::CLIENT_HELLO, ExtensionType::SUPPORTED_GROUPS) => {
            "NSS offers groups that cloaktls does not implement (secp521r1, FFDHE)"
        }
        (HandshakeType::CLIENT_HELLO, ExtensionType::SIGNATURE_ALGORITHMS) => {
            "NSS offers schemes that cloaktls does not implement (SHA-1, DSA, P-521)"
        }
        (HandshakeType::CLIENT_HELLO, ExtensionType::RENEGOTIATION_INFO)
        | (HandshakeType::CLIENT_HELLO, ExtensionType::SESSION_TICKET) => {
            "NSS sends this TLS 1.2 extension in a TLS 1.3-only hello; cloaktls only when it offers TLS 1.2"
        }
        (HandshakeType::CLIENT_HELLO, ExtensionType::PADDING) => {
            "cloaktls does not pad its ClientHello (RFC 7685)"
        }
        (HandshakeType::SERVER_HELLO, ExtensionType::COOKIE) => {
            "the cookie is NSS's own encoding of its state"
        }
        (HandshakeType::ENCRYPTED_EXTENSIONS, ExtensionType::SUPPORTED_GROUPS) => {
            "cloaktls's server does not list its groups, and NSS's include groups cloaktls does not implement"
        }
        (HandshakeType::ENCRYPTED_EXTENSIONS, ExtensionType::SERVER_NAME) => {
            "NSS acknowledges server_name when resuming; cloaktls does not (RFC 6066 §3)"
        }
        (HandshakeType::CERTIFICATE_REQUEST, ExtensionType::SIGNATURE_ALGORITHMS) => {
            "NSS asks for schemes that cloaktls does not implement (SHA-1, DSA, P-521)"
        }
        _ => return None,
    })
}

fn extensions_mut(p: &mut HandshakePayload) -> Option<&mut Vec<Extension>> {
    match p {
        HandshakePayload::ClientHello(h) => Some(&mut h.extensions),
        HandshakePayload::ServerHello(h) => Some(&mut h.extensions),
        HandshakePayload::EncryptedExtensions(e) => Some(e),
        HandshakePayload::CertificateRequest13(r) => Some(&mut r.extensions),
        HandshakePayload::NewSessionTicket13(t) => Some(&mut t.extensions),
        _ => None,
    }
}

/// Gives each outgoing message the trace's extensions where [`reason`]
/// allows it (and the trace's ticket), keeping ours everywhere else, in the
/// trace's order; what still differs shows in the record comparison.
#[derive(Debug)]
struct ReplayShaper {
    /// The trace's messages from our side, in order.
    wanted: Mutex<VecDeque<TraceMessage>>,
    log: SharedLog,
}

impl MessageShaper for ReplayShaper {
    fn shape(&self, message: &mut HandshakePayload) {
        let typ = message.typ();
        let wanted = self.wanted.lock().ok().and_then(|mut w| {
            let at = w.iter().position(|m| m.typ() == typ)?;
            w.remove(at)
        });
        let Some(Ok(want)) = wanted.map(|w| w.decode()) else {
            return;
        };
        let mut want = want.payload;
        let name = format!("{:?}", typ);
        if let (
            HandshakePayload::NewSessionTicket13(ours),
            HandshakePayload::NewSessionTicket13(theirs),
        ) = (&mut *message, &want)
        {
            if ours.ticket != theirs.ticket {
                ours.ticket.clone_from(&theirs.ticket);
                note(
                    &self.log,
                    "NewSessionTicket: the ticket is the trace's (NSS's sealed session state); \
                     cloaktls's server files the session under it (stateful tickets)"
                        .into(),
                );
            }
        }
        let (Some(ours), Some(theirs)) = (extensions_mut(message), extensions_mut(&mut want))
        else {
            return;
        };
        let mut shaped = Vec::new();
        for t in theirs.iter() {
            let mine = ours.iter().find(|o| o.typ() == t.typ());
            match (mine, reason(typ, t.typ())) {
                (Some(m), _) if m == t => shaped.push(m.clone()),
                (_, Some(why)) => {
                    note(
                        &self.log,
                        format!("{name}: {:?} is the trace's: {why}", t.typ()),
                    );
                    shaped.push(t.clone());
                }
                (Some(m), None) => shaped.push(m.clone()),
                (None, None) => {}
            }
        }
        // Ours that the trace lacks stay, to show in the comparison.
        for o in ours.iter() {
            if !theirs.iter().any(|t| t.typ() == o.typ()) {
                shaped.push(o.clone());
            }
        }
        let order = |v: &[Extension], other: &[Extension]| -> Vec<ExtensionType> {
            v.iter()
                .map(|e| e.typ())
                .filter(|t| other.iter().any(|o| o.typ() == *t))
                .collect()
        };
        if order(ours, theirs) != order(theirs, ours) {
            note(
                &self.log,
                format!("{name}: extensions put in the trace's order"),
            );
        }
        *ours = shaped;
    }
}

/// The trace's key pairs for `side`, as fixed-key groups, then the other
/// default groups (so that a hello offers what NSS's did where cloaktls
/// can).
fn groups(
    t: &Trace,
    side: Side,
    only_fixed: bool,
) -> Result<Vec<Arc<dyn KeyExchangeGroup>>, String> {
    let mut out: Vec<Arc<dyn KeyExchangeGroup>> = Vec::new();
    for s in t.steps(&format!("{} create an ephemeral", side.tag())) {
        let name = if s.title.contains("x25519") {
            NamedGroup::X25519
        } else if s.title.contains("P-256") {
            NamedGroup::SECP256R1
        } else {
            return Err(format!("`{}`: unknown group", s.title));
        };
        let key = s
            .get("private key")
            .ok_or("a key pair without its private key")?;
        let g = FixedKeyGroup::new(name, key).map_err(|e| e.to_string())?;
        out.push(Arc::new(g));
    }
    if !only_fixed {
        for g in kx::DEFAULT_GROUPS {
            if !out.iter().any(|o| o.name() == g.name()) {
                if let Some(d) = kx::default_group(g.name()) {
                    out.push(Arc::new(DefaultGroup(d)));
                }
            }
        }
    }
    Ok(out)
}

/// A default group behind an `Arc`.
#[derive(Debug)]
struct DefaultGroup(&'static dyn KeyExchangeGroup);

impl KeyExchangeGroup for DefaultGroup {
    fn name(&self) -> NamedGroup {
        self.0.name()
    }

    fn start(&self) -> Result<Box<dyn crate::crypto::kx::ActiveKeyExchange>, Error> {
        self.0.start()
    }
}

const SUITES: [SupportedSuite; 3] = [
    SupportedSuite::Tls13(&TLS13_AES_128_GCM_SHA256),
    SupportedSuite::Tls13(&TLS13_CHACHA20_POLY1305_SHA256),
    SupportedSuite::Tls13(&TLS13_AES_256_GCM_SHA384),
];

/// State kept from one trace's replay to the next (RFC 8448 §4 resumes
/// §3's session).
#[derive(Debug)]
pub struct Sessions {
    client: Arc<MemorySessionCache>,
    server: Arc<ServerSessionCache>,
    clock: Arc<ReplayClock>,
    /// The ticket_age_add of the last ticket replayed.
    age_add: Mutex<Option<u32>>,
}

impl Default for Sessions {
    fn default() -> Self {
        Sessions {
            client: Arc::new(MemorySessionCache::new(4)),
            server: Arc::new(ServerSessionCache::new(16)),
            clock: Arc::new(ReplayClock(AtomicU64::new(START_MS))),
            age_add: Mutex::new(None),
        }
    }
}

fn random_script(
    msgs: &[TraceMessage],
    side: Side,
) -> Result<VecDeque<(&'static str, Vec<u8>)>, String> {
    let mut script = VecDeque::new();
    match side {
        Side::Client => {
            let ch = msgs
                .iter()
                .find(|m| m.from == Side::Client)
                .ok_or("no ClientHello")?;
            let HandshakePayload::ClientHello(ch) = ch.decode()?.payload else {
                return Err("the first message is not a ClientHello".into());
            };
            script.push_back(("ClientHello.random", ch.random.to_vec()));
            if !ch.legacy_session_id.is_empty() {
                script.push_back(("legacy_session_id", ch.legacy_session_id.clone()));
            }
        }
        Side::Server => {
            for m in msgs.iter().filter(|m| m.from == Side::Server) {
                match m.decode()?.payload {
                    HandshakePayload::ServerHello(sh)
                        if sh.random != HELLO_RETRY_REQUEST_RANDOM =>
                    {
                        script.push_back(("ServerHello.random", sh.random.to_vec()));
                    }
                    HandshakePayload::NewSessionTicket13(nst) => {
                        script.push_back(("ticket_age_add", nst.age_add.to_be_bytes().to_vec()));
                        // The stateful ticket's ID, replaced by the trace's.
                        script.push_back(("ticket ID", vec![0; 32]));
                    }
                    _ => {}
                }
            }
        }
    }
    Ok(script)
}

fn client_config(
    t: &Trace,
    msgs: &[TraceMessage],
    sessions: &Sessions,
    log: &SharedLog,
    secrets: &Arc<SecretLog>,
) -> Result<Arc<ClientConfig>, String> {
    let server = identity(msgs, Side::Server)?;
    let verifier = ReplayVerifier {
        peer: server.unwrap_or(Identity {
            side: Side::Server,
            cert: Vec::new(),
            scheme: SignatureScheme::RSA_PSS_RSAE_SHA256,
            signature: Vec::new(),
            signed: Vec::new(),
        }),
        log: log.clone(),
    };
    let first_ch = msgs.first().ok_or("no messages")?.decode()?;
    let compat = matches!(&first_ch.payload, HandshakePayload::ClientHello(c) if !c.legacy_session_id.is_empty());
    let early = matches!(&first_ch.payload, HandshakePayload::ClientHello(c)
        if c.extension(ExtensionType::EARLY_DATA).is_some());
    let mut b = ClientConfig::builder_with_verifier(Arc::new(verifier))
        .versions(&[ProtocolVersion::TLSV1_3])
        .cipher_suites(&SUITES)
        .custom_groups(groups(t, Side::Client, false)?)
        .random(Arc::new(ScriptedRandom {
            script: Mutex::new(random_script(msgs, Side::Client)?),
            log: log.clone(),
        }))
        .time(sessions.clock.clone())
        .record_size_limit(0x4001)
        .compatibility_mode(compat)
        .early_data(early)
        .session_store(Some(sessions.client.clone()))
        .key_log(secrets.clone());
    if let Some(me) = identity(msgs, Side::Client)? {
        b = b.client_certificate(CertifiedKey::new(
            vec![CertificateDer::from(me.cert.clone())],
            Arc::new(ReplaySigner {
                schemes: [me.scheme],
                us: me,
                log: log.clone(),
            }),
        ));
    }
    let shaper = ReplayShaper {
        wanted: Mutex::new(
            msgs.iter()
                .filter(|m| m.from == Side::Client)
                .cloned()
                .collect(),
        ),
        log: log.clone(),
    };
    shape_client_messages(b, Arc::new(shaper))
        .build()
        .map_err(|e| e.to_string())
}

fn server_config(
    t: &Trace,
    msgs: &[TraceMessage],
    sessions: &Sessions,
    log: &SharedLog,
    secrets: &Arc<SecretLog>,
) -> Result<Arc<ServerConfig>, String> {
    // A resumed trace has no certificate; the server still needs one.
    let me = identity(msgs, Side::Server)?.unwrap_or(Identity {
        side: Side::Server,
        cert: vec![0x30, 0],
        scheme: SignatureScheme::RSA_PSS_RSAE_SHA256,
        signature: Vec::new(),
        signed: Vec::new(),
    });
    let cert = CertifiedKey::new(
        vec![CertificateDer::from(me.cert.clone())],
        Arc::new(ReplaySigner {
            schemes: [me.scheme],
            us: me,
            log: log.clone(),
        }),
    );
    let mut tickets = 0;
    let mut lifetime = 7200;
    let mut max_early = 0;
    for m in msgs.iter().filter(|m| m.from == Side::Server) {
        if let HandshakePayload::NewSessionTicket13(nst) = m.decode()?.payload {
            tickets += 1;
            lifetime = nst.lifetime;
            for e in &nst.extensions {
                if let Extension::EarlyDataMax(n) = e {
                    max_early = *n;
                }
            }
        }
    }
    // 0-RTT is accepted when the trace's server accepted it.
    if msgs.iter().any(|m| {
        m.from == Side::Server
            && matches!(m.decode().map(|d| d.payload), Ok(HandshakePayload::EncryptedExtensions(e))
                if e.iter().any(|x| x.typ() == ExtensionType::EARLY_DATA))
    }) {
        max_early = max_early.max(1024);
    }
    if msgs
        .iter()
        .any(|m| m.bytes.get(6..38) == Some(&HELLO_RETRY_REQUEST_RANDOM[..]))
    {
        note(
            log,
            "server groups: only the trace's P-256, so that our server asks for it by \
             HelloRetryRequest as NSS's did (cloaktls prefers a group the client sent a share for)"
                .into(),
        );
    }
    let mut b = ServerConfig::builder(cert)
        .versions(&[ProtocolVersion::TLSV1_3])
        .cipher_suites(&SUITES)
        // Only the trace's groups: NSS asked for P-256 by HelloRetryRequest
        // where cloaktls would take the client's X25519 share.
        .custom_groups(groups(t, Side::Server, true)?)
        .random(Arc::new(ScriptedRandom {
            script: Mutex::new(random_script(msgs, Side::Server)?),
            log: log.clone(),
        }))
        .time(sessions.clock.clone())
        .tickets(tickets)
        .ticket_lifetime(lifetime)
        .stateful_tickets(true)
        // Keys for sealed tickets are made at build time; the stateful
        // tickets used here do not need them, so they do not take the
        // trace's randomness.
        .ticket_keys(Arc::new(
            TicketKeys::new(Arc::new(SystemRandom::new()), 3600, START_MS / 1000)
                .map_err(|e| e.to_string())?,
        ))
        .session_cache(Some(sessions.server.clone()))
        .max_early_data(max_early)
        .key_log(secrets.clone());
    if let Some(client) = identity(msgs, Side::Client)? {
        b = b.client_auth(crate::config::ClientAuth::Required(Arc::new(
            ReplayVerifier {
                peer: client,
                log: log.clone(),
            },
        )));
    }
    let shaper = ReplayShaper {
        wanted: Mutex::new(
            msgs.iter()
                .filter(|m| m.from == Side::Server)
                .cloned()
                .collect(),
        ),
        log: log.clone(),
    };
    shape_server_messages(b, Arc::new(shaper))
        .build()
        .map_err(|e| e.to_string())
}

/// Splits `bytes` into whole records.
fn split_records(bytes: &[u8], out: &mut VecDeque<Vec<u8>>) -> Result<(), String> {
    let mut rest = bytes;
    while !rest.is_empty() {
        let len = match rest.get(3..5) {
            Some(l) => usize::from(u16::from_be_bytes([l[0], l[1]])),
            None => return Err("a partial record header in our output".into()),
        };
        let (rec, tail) = rest
            .split_at_checked(5 + len)
            .ok_or("a partial record in our output")?;
        out.push_back(rec.to_vec());
        rest = tail;
    }
    Ok(())
}

fn take_output(conn: &mut Connection, out: &mut VecDeque<Vec<u8>>) -> Result<(), String> {
    let bytes = conn.pending_tls().to_vec();
    conn.consume_tls(bytes.len());
    split_records(&bytes, out)
}

/// Drives `conn` (our `side`) through the trace's records.
fn drive(
    conn: &mut Connection,
    t: &Trace,
    side: Side,
    log: &SharedLog,
    what: &str,
) -> Result<usize, String> {
    let mut checks = 0;
    let mut out = VecDeque::new();
    take_output(conn, &mut out)?;
    let mut n = 0;
    for step in t
        .steps
        .iter()
        .filter(|s| s.title.contains(" send ") && s.title.contains(" record"))
    {
        let Some(record) = step.get("complete record") else {
            continue;
        };
        n += 1;
        let here = format!("{what}: record #{n} `{}`", step.title);
        if step.title.starts_with(side.tag()) {
            if out.is_empty() {
                let payload = step.get("payload").unwrap_or_default();
                if step.title.contains("application_data") {
                    let sent = if conn.is_handshaking() {
                        conn.send_early_data(payload)
                    } else {
                        conn.send(payload)
                    };
                    sent.map_err(|e| format!("{here}: sending: {e}"))?;
                } else if step.title.contains("alert") {
                    conn.close();
                }
                take_output(conn, &mut out)?;
            }
            let ours = out
                .pop_front()
                .ok_or_else(|| format!("{here}: we sent nothing"))?;
            if ours != record {
                let failures = log
                    .lock()
                    .map(|l| l.failures.join("; "))
                    .unwrap_or_default();
                let at = ours
                    .iter()
                    .zip(record)
                    .position(|(a, b)| a != b)
                    .unwrap_or(ours.len().min(record.len()));
                return Err(format!(
                    "{here}: our record differs from byte {at} ({} bytes, the trace's {}){}\n  ours:  {}\n  trace: {}",
                    ours.len(),
                    record.len(),
                    if failures.is_empty() { String::new() } else { format!("; {failures}") },
                    hex::encode(&ours),
                    hex::encode(record)
                ));
            }
            checks += 1;
        } else {
            conn.read_tls(record).map_err(|e| {
                let failures = log
                    .lock()
                    .map(|l| l.failures.join("; "))
                    .unwrap_or_default();
                format!("{here}: our {} refused it: {e} {failures}", side.name())
            })?;
            take_output(conn, &mut out)?;
            if step.title.contains("application_data") {
                let want = step.get("payload").unwrap_or_default();
                let mut buf = vec![0u8; want.len() + 1];
                let got = conn
                    .recv(&mut buf)
                    .map_err(|e| format!("{here}: reading: {e}"))?;
                if buf.get(..got) != Some(want) {
                    return Err(format!(
                        "{here}: we read {} (0-RTT accepted: {:?})",
                        hex::encode(&buf[..got]),
                        conn.early_data_accepted()
                    ));
                }
                checks += 1;
            }
        }
    }
    if let Some(extra) = out.pop_front() {
        return Err(format!(
            "{what}: we sent a record the trace does not have: {}",
            hex::encode(extra)
        ));
    }
    if conn.is_handshaking() || !conn.peer_has_closed() {
        return Err(format!("{what}: the handshake did not complete and close"));
    }
    Ok(checks)
}

/// Sets the clock: the trace prints no times, so a resumption happens as
/// long after the ticket as its obfuscated_ticket_age says.
fn set_clock(msgs: &[TraceMessage], sessions: &Sessions, log: &SharedLog) -> Result<(), String> {
    let mut now = START_MS;
    let ch = msgs.first().ok_or("no messages")?.decode()?;
    if let HandshakePayload::ClientHello(ch) = &ch.payload {
        if let Some(Extension::PreSharedKeyClient(offer)) =
            ch.extension(ExtensionType::PRE_SHARED_KEY)
        {
            let age_add = sessions
                .age_add
                .lock()
                .ok()
                .and_then(|a| *a)
                .ok_or("a resumption without a ticket replayed before it")?;
            let obfuscated = offer
                .identities
                .first()
                .ok_or("no PSK identity")?
                .obfuscated_ticket_age;
            let age = obfuscated.wrapping_sub(age_add);
            now += u64::from(age);
            note(
                log,
                format!(
                    "clock: {age} ms after the ticket arrived, the age that the trace's \
                     obfuscated_ticket_age implies (the trace prints no times)"
                ),
            );
        }
    }
    for m in msgs {
        if let Ok(HandshakePayload::NewSessionTicket13(nst)) = m.decode().map(|d| d.payload) {
            if let Ok(mut a) = sessions.age_add.lock() {
                *a = Some(nst.age_add);
            }
        }
    }
    sessions.clock.0.store(now, Ordering::Relaxed);
    Ok(())
}

/// Replays trace `t` with our `side`. `sessions` carries resumption state
/// from one trace to the next: replay RFC 8448 §3 before §4 with the same
/// `sessions`.
pub fn replay(t: &Trace, side: Side, sessions: &Sessions) -> Result<Replay, String> {
    let log: SharedLog = Arc::new(Mutex::new(Log::default()));
    let msgs = messages(t)?;
    let what = format!("our {}", side.name());
    set_clock(&msgs, sessions, &log)?;
    let secrets = Arc::new(SecretLog::default());
    let checks = match side {
        Side::Client => {
            let config = client_config(t, &msgs, sessions, &log, &secrets)?;
            let mut c =
                ClientConnection::new(config, SERVER_NAME).map_err(|e| format!("{what}: {e}"))?;
            drive(&mut c, t, side, &log, &what)?
        }
        Side::Server => {
            let config = server_config(t, &msgs, sessions, &log, &secrets)?;
            let mut s = ServerConnection::new(config).map_err(|e| format!("{what}: {e}"))?;

            drive(&mut s, t, side, &log, &what)?
        }
    };
    let checks = checks + check_secrets(t, &secrets, &what)?;
    let log = log.lock().map_err(|_| "log poisoned")?;
    if !log.failures.is_empty() {
        return Err(format!("{what}: {}", log.failures.join("; ")));
    }
    Ok(Replay {
        checks: checks + log.checks,
        injected: log.injected.clone(),
    })
}

/// The PSK identity that the trace's first ClientHello offers, if any.
fn offered_ticket(msgs: &[TraceMessage]) -> Option<Vec<u8>> {
    let ch = msgs.first()?.decode().ok()?;
    let HandshakePayload::ClientHello(ch) = ch.payload else {
        return None;
    };
    match ch.extension(ExtensionType::PRE_SHARED_KEY) {
        Some(Extension::PreSharedKeyClient(offer)) => {
            offer.identities.first().map(|i| i.identity.clone())
        }
        _ => None,
    }
}

/// Whether the trace's server issues `ticket`.
fn issues(msgs: &[TraceMessage], ticket: &[u8]) -> bool {
    msgs.iter().any(|m| {
        matches!(m.decode().map(|d| d.payload),
            Ok(HandshakePayload::NewSessionTicket13(nst)) if nst.ticket == ticket)
    })
}

/// One replay's outcome.
#[derive(Debug)]
pub struct ReplayResult {
    /// The trace's file name.
    pub trace: String,
    /// Which of our sides was driven.
    pub side: Side,
    /// What it did, or the first difference.
    pub result: Result<Replay, String>,
}

/// Replays every trace with our client and with our server. A trace that
/// resumes a session (RFC 8448 §4) runs after the trace that issued its
/// ticket (§3), with the same session state.
pub fn replay_all(traces: &[(String, Trace)]) -> Vec<ReplayResult> {
    let mut out = Vec::new();
    for (name, t) in traces {
        for side in [Side::Client, Side::Server] {
            let result = (|| {
                let sessions = Sessions::default();
                if let Some(ticket) = offered_ticket(&messages(t)?) {
                    let (source, st) = traces
                        .iter()
                        .find(|(_, s)| messages(s).is_ok_and(|m| issues(&m, &ticket)))
                        .ok_or("no trace issues the ticket that this one resumes")?;
                    replay(st, side, &sessions)
                        .map_err(|e| format!("replaying {source} for its ticket: {e}"))?;
                }
                replay(t, side, &sessions)
            })();
            out.push(ReplayResult {
                trace: name.clone(),
                side,
                result,
            });
        }
    }
    out
}
