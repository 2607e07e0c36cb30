//! RFC 8448's handshakes replayed whole. Our client, then our server, is
//! driven through a trace: it gets the trace's randomness, key shares and
//! clock, is fed the peer's records from the trace, and every record it
//! sends is compared byte for byte with the trace's. Where cloaktls cannot
//! produce the trace's bytes (NSS offers groups and signature schemes that
//! cloaktls does not implement; RFC 8448's 1024-bit RSA keys are below
//! what `ring` and webpki accept; RSA-PSS signatures are randomised), the
//! trace's value is injected through the configuration's traits and
//! [`cloaktls::danger::replay`], and the report says which message and why.

use super::{has_psk_without_binders, Trace};
use cloaktls::config::{CertifiedKey, ClientConfig, ServerConfig};
use cloaktls::conn::{ClientConnection, Connection, ServerConnection};
use cloaktls::crypto::rand::SystemRandom;
use cloaktls::danger::replay::{shape_client_messages, shape_server_messages};
use cloaktls::msgs::enums::{CipherSuite, ExtensionType, ProtocolVersion, SignatureScheme};
use cloaktls::msgs::extensions::Extension;
use cloaktls::msgs::handshake::{HandshakePayload, HELLO_RETRY_REQUEST_RANDOM};
use cloaktls::session::{MemorySessionCache, ServerSessionCache, TicketKeys};
use pki_types::CertificateDer;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

mod hooks;
mod messages;

use hooks::*;
use messages::*;

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

const SUITES: [CipherSuite; 3] = [
    CipherSuite::TLS13_AES_128_GCM_SHA256,
    CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
    CipherSuite::TLS13_AES_256_GCM_SHA384,
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
    let mut b = cloaktls::danger::client_with_verifier(Arc::new(verifier))
        .versions(&[ProtocolVersion::TLSV1_3])
        .cipher_suites(&SUITES)
        .time(sessions.clock.clone())
        .record_size_limit(0x4001)
        // NSS in RFC 8448 offers no certificate compression.
        .certificate_compression(&[])
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
    let b = cloaktls::danger::custom_groups_client(b, groups(t, Side::Client, false)?);
    let b = cloaktls::danger::custom_random_client(
        b,
        Arc::new(ScriptedRandom {
            script: Mutex::new(random_script(msgs, Side::Client)?),
            log: log.clone(),
        }),
    );
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
        .certificate_compression(&[])
        .cipher_suites(&SUITES)
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
        b = b.client_auth(cloaktls::config::ClientAuth::Required(Arc::new(
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
    // Only the trace's groups: NSS asked for P-256 by HelloRetryRequest
    // where cloaktls would take the client's X25519 share.
    let b = cloaktls::danger::custom_groups_server(b, groups(t, Side::Server, true)?);
    let b = cloaktls::danger::custom_random_server(
        b,
        Arc::new(ScriptedRandom {
            script: Mutex::new(random_script(msgs, Side::Server)?),
            log: log.clone(),
        }),
    );
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
                    conn.send_close_notify()
                        .map_err(|e| format!("{here}: closing: {e}"))?;
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
            let intake = conn.read_tls(record).map_err(|e| {
                let failures = log
                    .lock()
                    .map(|l| l.failures.join("; "))
                    .unwrap_or_default();
                format!("{here}: our {} refused it: {e} {failures}", side.name())
            })?;
            if intake != cloaktls::conn::Intake::All {
                return Err(format!(
                    "{here}: our {} did not take the record",
                    side.name()
                ));
            }
            take_output(conn, &mut out)?;
            if step.title.contains("application_data") {
                let want = step.get("payload").unwrap_or_default();
                let mut buf = vec![0u8; want.len() + 1];
                let got = match conn
                    .recv(&mut buf)
                    .map_err(|e| format!("{here}: reading: {e}"))?
                {
                    cloaktls::conn::Received::Data(n) => n,
                    _ => 0,
                };
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
