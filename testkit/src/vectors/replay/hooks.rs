//! What the replay injects through the configuration's traits: scripted
//! randomness and clock, the trace's key pairs, a signer and verifiers for
//! RFC 8448's 1024-bit RSA keys, the extension shaper, and the secret log.

use super::messages::*;
use super::Side;
use super::Trace;
use cloaktls::config::KeyLog;
use cloaktls::crypto::kx::{self, KeyExchangeGroup};
use cloaktls::crypto::rand::RandomSource;
use cloaktls::crypto::sign::{KeyKind, SigningKey};
use cloaktls::danger::replay::{FixedKeyGroup, MessageShaper};
use cloaktls::error::Error;
use cloaktls::msgs::enums::{
    AlertDescription, ExtensionType, HandshakeType, NamedGroup, ProtocolVersion, SignatureScheme,
};
use cloaktls::msgs::extensions::Extension;
use cloaktls::msgs::handshake::HandshakePayload;
use cloaktls::verify::{ClientCertVerifier, ServerCertVerifier, TimeSource};
use pki_types::{CertificateDer, ServerName, UnixTime};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Injections and failures, shared by the hooks and the runner.
#[derive(Debug, Default)]
pub(super) struct Log {
    pub(super) injected: Vec<String>,
    pub(super) failures: Vec<String>,
    pub(super) checks: usize,
}

pub(super) type SharedLog = Arc<Mutex<Log>>;

pub(super) fn note(log: &SharedLog, line: String) {
    if let Ok(mut l) = log.lock() {
        if !l.injected.contains(&line) {
            l.injected.push(line);
        }
    }
}

pub(super) fn fail(log: &SharedLog, line: String) {
    if let Ok(mut l) = log.lock() {
        l.failures.push(line);
    }
}

pub(super) fn checked(log: &SharedLog) {
    if let Ok(mut l) = log.lock() {
        l.checks += 1;
    }
}

/// Verifies the peer as the trace's: its certificate by identity, its
/// signature against the trace's.
#[derive(Debug)]
pub(super) struct ReplayVerifier {
    pub(super) peer: Identity,
    pub(super) log: SharedLog,
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
        _version: ProtocolVersion,
    ) -> Result<(), Error> {
        self.signature(scheme, message, signature)
    }

    /// Every replay verifier trusts the same thing, the trace's server, so
    /// that the resumed trace resumes the session of the first one.
    fn scope(&self) -> [u8; 32] {
        *b"cloaktls RFC 8448 replay server."
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
        _version: ProtocolVersion,
    ) -> Result<(), Error> {
        self.signature(scheme, message, signature)
    }
}

/// "Signs" with the trace's signature, after checking that the content to
/// sign is the one computed from the trace's transcript.
#[derive(Debug)]
pub(super) struct ReplaySigner {
    pub(super) us: Identity,
    pub(super) schemes: [SignatureScheme; 1],
    pub(super) log: SharedLog,
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
pub(super) struct ScriptedRandom {
    pub(super) script: Mutex<VecDeque<(&'static str, Vec<u8>)>>,
    pub(super) log: SharedLog,
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
pub(super) struct ReplayClock(pub(super) AtomicU64);

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
pub(super) struct SecretLog(pub(super) Mutex<Vec<(String, Vec<u8>)>>);

impl KeyLog for SecretLog {
    fn log(&self, label: &str, _client_random: &[u8], secret: &[u8]) {
        if let Ok(mut l) = self.0.lock() {
            l.push((label.to_string(), secret.to_vec()));
        }
    }
}

/// The RFC 8446 §7.1 label that a key log label stands for.
pub(super) fn schedule_label(key_log_label: &str) -> Option<&'static str> {
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
pub(super) fn check_secrets(t: &Trace, logged: &SecretLog, what: &str) -> Result<usize, String> {
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
pub(super) fn reason(msg: HandshakeType, ext: ExtensionType) -> Option<&'static str> {
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

pub(super) fn extensions_mut(p: &mut HandshakePayload) -> Option<&mut Vec<Extension>> {
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
pub(super) struct ReplayShaper {
    /// The trace's messages from our side, in order.
    pub(super) wanted: Mutex<VecDeque<TraceMessage>>,
    pub(super) log: SharedLog,
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
pub(super) fn groups(
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
                out.push(Arc::new(g));
            }
        }
    }
    Ok(out)
}
