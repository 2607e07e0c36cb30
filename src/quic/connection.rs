//! The QUIC handshake driver: handshake messages in and out per encryption
//! level, with no records (RFC 9001 §4), the keys of each level as the
//! handshake reaches it (§4.1.4), and QUIC's own rules (§4.6.1, §8).
//!
//! The handshake state machines are TLS's; QUIC differs in what carries
//! their messages. This driver takes the bytes of CRYPTO frames, splits
//! them into messages, checks each against the state table, and runs the
//! commands a state returns: a message to send goes to the current write
//! level, a key change moves a level on. The traffic secrets come from the
//! state machine's `Secret` commands, which a QUIC handshake always asks
//! for; the record keys that the state machine also makes are not used.

use super::keys::{DirectionalKeys, Keys, Secrets};
use super::trace::{Direction, QuicTraceEvent, QUIC_TRACE_LIMIT};
use super::{Level, QuicClientConfig, QuicError, QuicServerConfig, Version};
use crate::config::Trace;
use crate::crypto::{Secret, SupportedSuite, Tls13Suite};
use crate::error::Error;
use crate::handshake::table::{check_message, row_of};
use crate::handshake::{
    start_client, start_server, Command, Context, Negotiated, QuicTransport, State, StateId,
};
use crate::msgs::enums::{AlertDescription, HandshakeType};
use crate::msgs::extensions::Extension;
use crate::msgs::handshake::{HandshakeMessage, HandshakePayload};
use crate::msgs::Role;
use crate::record::HandshakeJoiner;
use pki_types::{CertificateDer, ServerName};
use std::collections::VecDeque;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

/// New keys from the handshake, for the next encryption level (RFC 9001
/// §4.1.4). Handshake bytes that [`Connection::write_handshake`] returned
/// before a key change belong to the level before it; those after, to the
/// level it brings.
#[derive(Debug)]
pub enum KeyChange {
    /// The Handshake level's keys.
    Handshake {
        /// Both directions' keys.
        keys: Keys,
    },
    /// The 1-RTT level's keys, and the secrets that key updates move on
    /// (RFC 9001 §6).
    OneRtt {
        /// Both directions' keys of key phase 0.
        keys: Keys,
        /// The secrets, for [`Secrets::next_packet_keys`].
        next: Secrets,
    },
}

/// What the handshake has for the QUIC layer, in order
/// ([`Connection::next_output`]).
#[derive(Debug)]
pub enum Output {
    /// Handshake bytes to send in CRYPTO frames at `level`.
    Handshake {
        /// The encryption level.
        level: Level,
        /// The bytes.
        data: Vec<u8>,
    },
    /// Keys for the next level (boxed: keys are large).
    Keys(Box<KeyChange>),
}

/// The traffic secrets of the Handshake and 1-RTT levels, as the state
/// machine derives them.
#[derive(Default)]
struct TrafficSecrets {
    client_handshake: Option<Secret>,
    server_handshake: Option<Secret>,
    client_application: Option<Secret>,
    server_application: Option<Secret>,
    client_early: Option<Secret>,
}

/// The side-independent part of a QUIC handshake. [`ClientConnection`]
/// and [`ServerConnection`] dereference to it.
///
/// The loop: feed the bytes of the peer's CRYPTO frames with
/// [`Connection::read_handshake`] (in order, at the level of the packets
/// that carried them, which must be [`Connection::read_level`]); then take
/// what the handshake has to say with [`Connection::write_handshake`] (or
/// [`Connection::next_output`]) until it has nothing more. An error is
/// fatal: close the connection with [`QuicError::code`].
pub struct Connection {
    state: Option<Box<dyn State>>,
    info: Negotiated,
    side: Role,
    version: Version,
    joiner: HandshakeJoiner,
    message: Vec<u8>,
    read_level: Level,
    write_level: Level,
    /// The highest level whose keys have been handed out.
    keys_level: Level,
    pending: VecDeque<Output>,
    secrets: TrafficSecrets,
    /// Client: whether 0-RTT was given up (a HelloRetryRequest).
    zero_rtt_cleared: bool,
    /// Client: whether the server accepted 0-RTT, once known.
    early_result: Option<bool>,
    handshake_done: bool,
    /// The failure at hand follows a flight that must still go out (a
    /// rejected ECH's, RFC 9849 §6.1.6): the output is kept.
    flight_before_failure: bool,
    error: Option<QuicError>,
    trace: Option<VecDeque<QuicTraceEvent>>,
    trace_secrets: bool,
    #[cfg(feature = "testkit")]
    shaper: Option<Arc<dyn crate::config::MessageShaper>>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("quic::Connection")
            .field("side", &self.side)
            .field("version", &self.version)
            .field("read_level", &self.read_level)
            .field("write_level", &self.write_level)
            .field("handshake_done", &self.handshake_done)
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl Connection {
    fn new(side: Role, version: Version, transport_parameters: Vec<u8>, trace: Trace) -> Self {
        let info = Negotiated {
            quic: Some(QuicTransport {
                version: version.wire(),
                local: transport_parameters,
                peer: None,
                early_suite: None,
                early_context: None,
            }),
            ..Negotiated::default()
        };
        Connection {
            state: None,
            info,
            side,
            version,
            joiner: HandshakeJoiner::default(),
            message: Vec::new(),
            read_level: Level::Initial,
            write_level: Level::Initial,
            keys_level: Level::Initial,
            pending: VecDeque::new(),
            secrets: TrafficSecrets::default(),
            zero_rtt_cleared: false,
            early_result: None,
            handshake_done: false,
            flight_before_failure: false,
            error: None,
            trace: (trace != Trace::Off).then(VecDeque::new),
            trace_secrets: trace == Trace::WithSecrets,
            #[cfg(feature = "testkit")]
            shaper: None,
        }
    }

    // ---- bytes in and out ----

    /// Hands over the next bytes of the peer's CRYPTO stream at `level`
    /// (RFC 9001 §4.1.3): in order, without gaps, at the level the
    /// handshake reads now ([`Connection::read_level`]; bytes at another
    /// level are a PROTOCOL_VIOLATION). Then take what the handshake has
    /// to send with [`Connection::write_handshake`].
    pub fn read_handshake(&mut self, level: Level, data: &[u8]) -> Result<(), QuicError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        let r = if level != self.read_level {
            Err(QuicError::ProtocolViolation(format!(
                "handshake data at the {level:?} level while the handshake reads at the {:?} level \
                 (RFC 9001 §4.1.3)",
                self.read_level
            )))
        } else {
            self.read(data)
        };
        r.map_err(|e| self.fail(e))
    }

    fn read(&mut self, data: &[u8]) -> Result<(), QuicError> {
        self.joiner.push(data)?;
        let mut raw = std::mem::take(&mut self.message);
        while self.joiner.next_message_into(&mut raw)? {
            self.handle_message(&raw)?;
        }
        self.message = raw;
        Ok(())
    }

    /// Appends the handshake's next bytes to `buf`, up to the next key
    /// change, and returns that key change if there is one. Bytes
    /// appended belong to the level before the key change (the write level
    /// before the call); call again until it appends nothing and returns
    /// `None`. This is the shape quinn's `crypto::Session` has.
    pub fn write_handshake(&mut self, buf: &mut Vec<u8>) -> Option<KeyChange> {
        loop {
            match self.pending.pop_front()? {
                Output::Handshake { data, .. } => buf.extend_from_slice(&data),
                Output::Keys(k) => return Some(*k),
            }
        }
    }

    /// The handshake's next output, with the level of its bytes spelled
    /// out: an alternative to [`Connection::write_handshake`].
    pub fn next_output(&mut self) -> Option<Output> {
        self.pending.pop_front()
    }

    /// The encryption level whose CRYPTO data the handshake reads now.
    pub fn read_level(&self) -> Level {
        self.read_level
    }

    /// The encryption level that the handshake's next bytes go out at.
    pub fn write_level(&self) -> Level {
        self.write_level
    }

    // ---- 0-RTT ----

    /// The 0-RTT keys (RFC 9001 §4.6, §5.6): a client's for the early data
    /// it may send once its ClientHello is out (resuming with a ticket that
    /// allows it, early data on in the configuration; gone after a
    /// HelloRetryRequest); a server's to open the client's 0-RTT packets,
    /// once it has accepted them. `None` otherwise.
    pub fn zero_rtt_keys(&self) -> Option<DirectionalKeys> {
        let suite = self.zero_rtt_suite()?;
        let secret = self.secrets.client_early.as_ref()?;
        Some(DirectionalKeys::new(self.version, suite, secret.as_bytes()))
    }

    /// The cipher suite of the 0-RTT keys, when there are any: on a
    /// client, the ticket's, which the ServerHello has not confirmed yet.
    pub fn zero_rtt_cipher_suite(&self) -> Option<crate::CipherSuite> {
        self.zero_rtt_suite().map(|s| s.suite)
    }

    fn zero_rtt_suite(&self) -> Option<&'static Tls13Suite> {
        if self.zero_rtt_cleared {
            return None;
        }
        self.secrets.client_early.as_ref()?;
        match self.side {
            Role::Client => self.info.quic.as_ref()?.early_suite,
            Role::Server => match self.info.suite? {
                SupportedSuite::Tls13(s) => Some(s),
                SupportedSuite::Tls12(_) => None,
            },
        }
    }

    /// Whether 0-RTT was accepted: a client knows once the server's
    /// EncryptedExtensions arrived (`None` before, and when it offered
    /// none); a server once it has read the ClientHello (`None` when none
    /// was offered).
    pub fn early_data_accepted(&self) -> Option<bool> {
        match self.side {
            Role::Client => self.early_result,
            Role::Server => self.info.early_data,
        }
    }

    /// Why 0-RTT was accepted or not, once known.
    pub fn early_data_reason(&self) -> Option<crate::config::EarlyDataReason> {
        self.info.early_data_reason
    }

    // ---- what was negotiated ----

    /// The peer's transport parameters (RFC 9001 §8.2), as it sent them.
    /// A client resuming with 0-RTT has the ones remembered with the
    /// ticket until the server's arrive (RFC 9000 §7.4.1). They are
    /// authenticated only once the handshake completes.
    pub fn transport_parameters(&self) -> Option<&[u8]> {
        self.info.quic.as_ref()?.peer.as_deref()
    }

    /// Whether the handshake is still under way: until we have both sent
    /// our Finished and verified the peer's (RFC 9001 §4.1.1).
    pub fn is_handshaking(&self) -> bool {
        !self.handshake_done
    }

    /// The QUIC version whose keys the connection derives.
    pub fn version(&self) -> Version {
        self.version
    }

    /// Which side this is.
    pub fn side(&self) -> Role {
        self.side
    }

    /// The cipher suite, once chosen.
    pub fn cipher_suite(&self) -> Option<crate::CipherSuite> {
        self.info.suite.map(|s| s.suite())
    }

    /// The TLS 1.3 suite, once chosen (its AEAD and hash).
    pub fn suite(&self) -> Option<&'static Tls13Suite> {
        match self.info.suite? {
            SupportedSuite::Tls13(s) => Some(s),
            SupportedSuite::Tls12(_) => None,
        }
    }

    /// The key exchange group, once chosen.
    pub fn key_exchange_group(&self) -> Option<crate::NamedGroup> {
        self.info.group
    }

    /// The ALPN protocol, once agreed (QUIC requires one, RFC 9001 §8.1).
    pub fn alpn_protocol(&self) -> Option<&[u8]> {
        self.info.alpn.as_deref()
    }

    /// The server name (SNI) the client asked for.
    pub fn server_name(&self) -> Option<&str> {
        self.info.sni.as_deref()
    }

    /// The peer's certificate chain, end entity first (empty if none).
    pub fn peer_certificates(&self) -> &[CertificateDer<'static>] {
        &self.info.peer_certs
    }

    /// What became of Encrypted Client Hello (RFC 9849): offered or not,
    /// accepted or rejected.
    pub fn ech_status(&self) -> crate::config::EchStatus {
        self.info.ech
    }

    /// Whether the session was resumed.
    pub fn is_resumed(&self) -> bool {
        self.info.resumed
    }

    /// Whether the server asked for another key share (HelloRetryRequest).
    pub fn had_hello_retry(&self) -> bool {
        self.info.hello_retry
    }

    /// Fills `out` with keying material exported for `label` and `context`
    /// (RFC 8446 §7.5), once the handshake has the exporter secret.
    pub fn export_keying_material(
        &self,
        out: &mut [u8],
        label: &[u8],
        context: &[u8],
    ) -> Result<(), Error> {
        let exporter = self.info.exporter.as_ref().ok_or(Error::InvalidState(
            "keying material before the handshake ended (its exporter secret)",
        ))?;
        let material = exporter.export(label, Some(context), out.len())?;
        out.copy_from_slice(&material);
        Ok(())
    }

    /// The error that ended the handshake, if one did.
    pub fn error(&self) -> Option<&QuicError> {
        self.error.as_ref()
    }

    /// Ends the handshake or connection at once with the fatal `alert`:
    /// the caller closes the connection with the code of the error given
    /// back, CRYPTO_ERROR 0x0100 + alert (RFC 9001 §4.8), as for any TLS
    /// failure. Nothing more is accepted; on a connection that had already
    /// failed, its first error is returned. `alert` is meant to be an error
    /// alert (QUIC closes cleanly with its own CONNECTION_CLOSE code 0).
    pub fn abort(&mut self, alert: AlertDescription) -> QuicError {
        let e = self.fail(QuicError::Tls(Error::Aborted(alert)));
        self.error.clone().unwrap_or(e)
    }

    /// The TLS alert that the failure calls for, if it is one: QUIC sends
    /// it as CRYPTO_ERROR 0x0100 + alert (RFC 9001 §4.8).
    pub fn alert(&self) -> Option<AlertDescription> {
        self.error.as_ref().and_then(QuicError::alert)
    }

    /// The trace recorded since the last call, if the TLS configuration
    /// asked for one (`trace(true)`): at most [`QUIC_TRACE_LIMIT`] events.
    pub fn take_trace(&mut self) -> Vec<QuicTraceEvent> {
        self.trace
            .as_mut()
            .map(|t| t.drain(..).collect())
            .unwrap_or_default()
    }

    fn record(&mut self, e: QuicTraceEvent) {
        if let Some(t) = &mut self.trace {
            if t.len() >= QUIC_TRACE_LIMIT {
                t.pop_front();
            }
            t.push_back(e);
        }
    }

    /// Whether the handshake has taken bytes or moved past its start (a
    /// server's ClientHello read).
    fn handshake_started(&self) -> bool {
        let waiting = self
            .state
            .as_ref()
            .is_some_and(|s| s.id() == StateId::ServerExpectClientHello);
        !waiting || !self.joiner.is_empty()
    }

    /// Records a fatal error: nothing more is accepted, and nothing that
    /// was waiting goes out, but for a flight that precedes the failure.
    fn fail(&mut self, e: QuicError) -> QuicError {
        if self.error.is_none() {
            self.record(QuicTraceEvent::Failed {
                code: e.code().0,
                reason: e.to_string(),
            });
            self.error = Some(e.clone());
            self.state = None;
            if !std::mem::take(&mut self.flight_before_failure) {
                self.pending.clear();
            }
        }
        e
    }

    // ---- the state machine ----

    fn start(
        &mut self,
        f: impl FnOnce(&mut Context<'_>) -> Result<Box<dyn State>, Error>,
    ) -> Result<(), QuicError> {
        let (mut out, mut messages) = (Vec::new(), Vec::new());
        let mut cx = Context {
            out: &mut out,
            messages: &mut messages,
            info: &mut self.info,
            trace_secrets: true,
            // QUIC keeps its own trace (per level).
            tracing: false,
            #[cfg(feature = "testkit")]
            shaper: self.shaper.as_deref(),
        };
        let state = f(&mut cx);
        let r = state.map_err(QuicError::from).and_then(|s| {
            self.state = Some(s);
            self.apply(out, &messages)
        });
        r.map_err(|e| self.fail(e))
    }

    /// One whole handshake message: QUIC's rules, the state table, then
    /// the state.
    fn handle_message(&mut self, raw: &[u8]) -> Result<(), QuicError> {
        let typ = HandshakeType(raw.first().copied().unwrap_or(0));
        self.record(QuicTraceEvent::MessageIn {
            level: self.read_level,
            typ,
            len: raw.len(),
        });
        // RFC 9001 §6: a KeyUpdate is an error of type 0x010a, as if it
        // were unexpected_message; QUIC updates keys itself.
        if typ == HandshakeType::KEY_UPDATE {
            return Err(Error::peer(
                AlertDescription::UNEXPECTED_MESSAGE,
                "a TLS KeyUpdate, which QUIC forbids (RFC 9001 §6)",
            )
            .into());
        }
        let state = self
            .state
            .take()
            .ok_or(Error::Internal("a message after the handshake failed"))?;
        let row = check_message(state.id(), typ)?;
        let msg = HandshakeMessage::decode(raw, row.version)
            .map_err(|e| Error::decode("a handshake message", e))?;
        self.check_quic_rules(&msg.payload)?;
        let level_before = self.read_level;
        let (mut out, mut messages) = (Vec::new(), Vec::new());
        let mut cx = Context {
            out: &mut out,
            messages: &mut messages,
            info: &mut self.info,
            trace_secrets: true,
            // QUIC keeps its own trace (per level).
            tracing: false,
            #[cfg(feature = "testkit")]
            shaper: self.shaper.as_deref(),
        };
        let next = state.handle(&mut cx, msg, raw)?;
        let id = next.id();
        self.state = Some(next);
        let answered = out.iter().any(|c| matches!(c, Command::Send(_)));
        self.apply(out, &messages)?;
        self.record(QuicTraceEvent::State(row_of(id).name));
        // A message we answer ends the peer's flight (RFC 8446 §2).
        if answered && !self.joiner.is_empty() {
            return Err(Error::peer(
                AlertDescription::UNEXPECTED_MESSAGE,
                "handshake data after the end of the peer's flight",
            )
            .into());
        }
        // RFC 9001 §4.1.3: data of a level that TLS has not consumed when
        // it moves to the next is a PROTOCOL_VIOLATION.
        if self.read_level != level_before && !self.joiner.is_empty() {
            return Err(QuicError::ProtocolViolation(format!(
                "handshake data left at the {level_before:?} level when the keys changed"
            )));
        }
        self.check_alpn(typ, id)
    }

    /// What QUIC requires of a message before TLS reads it.
    fn check_quic_rules(&mut self, msg: &HandshakePayload) -> Result<(), QuicError> {
        match msg {
            // RFC 9001 §8.4: no middlebox compatibility mode (an outer
            // hello's session id is its inner hello's too). ALPN and the
            // transport parameters are the TLS server's to check, on the
            // hello it goes on with (ECH).
            HandshakePayload::ClientHello(ch) if !ch.legacy_session_id.is_empty() => {
                return Err(QuicError::ProtocolViolation(
                    "a ClientHello with a legacy_session_id (RFC 9001 §8.4)".into(),
                ));
            }
            HandshakePayload::NewSessionTicket13(t) => {
                // RFC 9001 §4.6.1: 0-RTT is allowed with 0xffffffff only.
                for e in &t.extensions {
                    if let Extension::EarlyDataMax(n) = e {
                        if *n != u32::MAX {
                            return Err(QuicError::ProtocolViolation(format!(
                                "a NewSessionTicket with max_early_data_size {n:#x}; \
                                 QUIC allows only 0xffffffff (RFC 9001 §4.6.1)"
                            )));
                        }
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// RFC 9001 §8.1: an endpoint that agrees on no application protocol
    /// closes with no_application_protocol (0x0178): a server once its
    /// flight is decided, a client once it has read EncryptedExtensions.
    fn check_alpn(&self, typ: HandshakeType, now: StateId) -> Result<(), QuicError> {
        let decided = match self.side {
            Role::Server => {
                typ == HandshakeType::CLIENT_HELLO && now != StateId::ServerExpectSecondClientHello
            }
            Role::Client => typ == HandshakeType::ENCRYPTED_EXTENSIONS,
        };
        if decided && self.info.alpn.is_none() {
            return Err(crate::handshake::quic_no_application_protocol().into());
        }
        Ok(())
    }

    /// Carries out a state's commands in order.
    fn apply(&mut self, commands: Vec<Command>, messages: &[u8]) -> Result<(), QuicError> {
        let mut at = 0;
        for c in commands {
            match c {
                Command::Send(len) => {
                    let end = at + len;
                    let bytes = messages
                        .get(at..end)
                        .ok_or(Error::Internal("a Send beyond the message buffer"))?;
                    at = end;
                    self.send(bytes);
                }
                Command::WriteKeys(_) => self.write_keys_changed()?,
                Command::ReadKeys(_) => self.read_keys_changed()?,
                Command::Done => {
                    self.handshake_done = true;
                    self.record(QuicTraceEvent::Complete);
                }
                Command::ClearWriteKeys => self.zero_rtt_cleared = true,
                Command::EarlyDataResult(accepted) => self.early_result = Some(accepted),
                // QUIC carries 0-RTT in its own packets and bounds it with
                // flow control; rejected 0-RTT packets it drops itself.
                Command::EarlySend(_) | Command::EarlyReceive(_) | Command::SkipEarlyData(_) => {}
                // 1-RTT data may go once the 1-RTT keys are out; QUIC
                // decides that itself (RFC 9001 §4.1.4, §5.7).
                Command::HalfRttData | Command::FalseStart | Command::ClientHelloInner { .. } => {}
                // A rejected ECH: the flight is out, then the connection
                // fails (RFC 9849 §6.1.6).
                Command::Fail(e) => {
                    self.flight_before_failure = true;
                    return Err(e.into());
                }
                Command::Secret(label, secret) => self.secret(label, secret),
                Command::SendCcs | Command::SendWarning(_) | Command::KeyUpdated => {
                    return Err(Error::Internal(
                        "a ChangeCipherSpec, warning or KeyUpdate in a QUIC handshake",
                    )
                    .into())
                }
            }
        }
        Ok(())
    }

    /// A handshake message to send, at the current write level; messages
    /// of one level travel together.
    fn send(&mut self, bytes: &[u8]) {
        let level = self.write_level;
        self.record(QuicTraceEvent::MessageOut {
            level,
            typ: HandshakeType(bytes.first().copied().unwrap_or(0)),
            len: bytes.len(),
        });
        if let Some(Output::Handshake { level: l, data }) = self.pending.back_mut() {
            if *l == level {
                data.extend_from_slice(bytes);
                return;
            }
        }
        self.pending.push_back(Output::Handshake {
            level,
            data: bytes.to_vec(),
        });
    }

    fn secret(&mut self, label: &'static str, secret: Secret) {
        if self.trace_secrets {
            self.record(QuicTraceEvent::Secret {
                label,
                secret: secret.as_bytes().to_vec(),
            });
        }
        let slot = match label {
            "CLIENT_EARLY_TRAFFIC_SECRET" => &mut self.secrets.client_early,
            "CLIENT_HANDSHAKE_TRAFFIC_SECRET" => &mut self.secrets.client_handshake,
            "SERVER_HANDSHAKE_TRAFFIC_SECRET" => &mut self.secrets.server_handshake,
            "CLIENT_TRAFFIC_SECRET_0" => &mut self.secrets.client_application,
            "SERVER_TRAFFIC_SECRET_0" => &mut self.secrets.server_application,
            _ => return,
        };
        *slot = Some(secret);
    }

    /// Our handshake secret, once derived.
    fn own_handshake_secret(&self) -> Option<&Secret> {
        match self.side {
            Role::Client => self.secrets.client_handshake.as_ref(),
            Role::Server => self.secrets.server_handshake.as_ref(),
        }
    }

    /// The state machine protects what it writes with new keys: the next
    /// level, or (a client's first flight) the 0-RTT keys, which carry no
    /// CRYPTO data (RFC 9001 §4.1.3).
    fn write_keys_changed(&mut self) -> Result<(), QuicError> {
        match self.write_level {
            Level::Initial if self.own_handshake_secret().is_none() => {
                self.record(QuicTraceEvent::Keys {
                    level: Level::ZeroRtt,
                    direction: Direction::Write,
                });
            }
            Level::Initial => {
                self.write_level = Level::Handshake;
                self.record(QuicTraceEvent::Keys {
                    level: Level::Handshake,
                    direction: Direction::Write,
                });
                self.hand_out_handshake_keys()?;
            }
            Level::Handshake => {
                self.write_level = Level::OneRtt;
                self.record(QuicTraceEvent::Keys {
                    level: Level::OneRtt,
                    direction: Direction::Write,
                });
                self.hand_out_one_rtt_keys()?;
            }
            _ => return Err(Error::Internal("new write keys after the 1-RTT level").into()),
        }
        Ok(())
    }

    /// The state machine opens what it reads with new keys: the next
    /// level. A server's 0-RTT read keys mark its move to the Handshake
    /// level as well: QUIC's 0-RTT carries no CRYPTO data, and the
    /// client's next handshake bytes come at the Handshake level.
    fn read_keys_changed(&mut self) -> Result<(), QuicError> {
        let next = match self.read_level {
            Level::Initial => Level::Handshake,
            Level::Handshake => Level::OneRtt,
            _ => return Err(Error::Internal("new read keys after the 1-RTT level").into()),
        };
        self.read_level = next;
        self.record(QuicTraceEvent::Keys {
            level: next,
            direction: Direction::Read,
        });
        if next == Level::Handshake {
            self.hand_out_handshake_keys()?;
        }
        Ok(())
    }

    fn negotiated_suite(&self) -> Result<&'static Tls13Suite, QuicError> {
        self.suite()
            .ok_or_else(|| Error::Internal("keys before a TLS 1.3 suite was chosen").into())
    }

    /// The packet-protection secrets of a level from its two traffic
    /// secrets, under the negotiated suite; `missing` if either is not
    /// derived yet (a bug).
    fn level_secrets(
        &self,
        client: &Option<Secret>,
        server: &Option<Secret>,
        missing: &'static str,
    ) -> Result<Secrets, QuicError> {
        let suite = self.negotiated_suite()?;
        let (Some(c), Some(s)) = (client, server) else {
            return Err(Error::Internal(missing).into());
        };
        Ok(Secrets::new(
            self.version,
            suite,
            self.side,
            c.clone(),
            s.clone(),
        ))
    }

    /// The Handshake keys, once: when the first direction moves to them.
    fn hand_out_handshake_keys(&mut self) -> Result<(), QuicError> {
        if self.keys_level >= Level::Handshake {
            return Ok(());
        }
        let secrets = self.level_secrets(
            &self.secrets.client_handshake,
            &self.secrets.server_handshake,
            "handshake keys before their secrets",
        )?;
        self.keys_level = Level::Handshake;
        self.pending
            .push_back(Output::Keys(Box::new(KeyChange::Handshake {
                keys: secrets.keys(),
            })));
        Ok(())
    }

    /// The 1-RTT keys, when we write with them: after our Finished, whose
    /// bytes belong to the Handshake level.
    fn hand_out_one_rtt_keys(&mut self) -> Result<(), QuicError> {
        let next = self.level_secrets(
            &self.secrets.client_application,
            &self.secrets.server_application,
            "1-RTT keys before their secrets",
        )?;
        self.keys_level = Level::OneRtt;
        self.pending
            .push_back(Output::Keys(Box::new(KeyChange::OneRtt {
                keys: next.keys(),
                next,
            })));
        Ok(())
    }
}

/// A QUIC client's handshake.
#[derive(Debug)]
pub struct ClientConnection {
    inner: Connection,
}

impl ClientConnection {
    /// Starts a handshake with `server_name` (a DNS name, checked against
    /// the certificate and sent as SNI, or an IP address) for QUIC
    /// `version`, carrying our `transport_parameters` (RFC 9000 §18, as
    /// the QUIC layer encodes them). The ClientHello is ready at once, at
    /// the Initial level; so are the 0-RTT keys when the session store has
    /// a ticket that allows early data and the configuration asks for it.
    pub fn new(
        config: Arc<QuicClientConfig>,
        version: Version,
        server_name: &str,
        transport_parameters: Vec<u8>,
    ) -> Result<Self, QuicError> {
        let name = ServerName::try_from(server_name.trim_end_matches('.'))
            .map_err(|_| {
                Error::Config(format!(
                    "{server_name:?} is not a valid DNS name or IP address"
                ))
            })?
            .to_owned();
        let tls = config.tls.clone();
        let mut inner = Connection::new(Role::Client, version, transport_parameters, tls.trace);
        #[cfg(feature = "testkit")]
        {
            inner.shaper = tls.shaper.clone();
        }
        inner.start(|cx| start_client(tls, name, cx))?;
        Ok(ClientConnection { inner })
    }
}

/// A QUIC server's handshake.
#[derive(Debug)]
pub struct ServerConnection {
    inner: Connection,
}

impl ServerConnection {
    /// A handshake waiting for the client's Initial CRYPTO data, for QUIC
    /// `version`, carrying our `transport_parameters`.
    pub fn new(
        config: Arc<QuicServerConfig>,
        version: Version,
        transport_parameters: Vec<u8>,
    ) -> Self {
        let tls = config.tls.clone();
        let mut inner = Connection::new(Role::Server, version, transport_parameters, tls.trace);
        #[cfg(feature = "testkit")]
        {
            inner.shaper = tls.shaper.clone();
        }
        // The server's first state sends nothing: it waits.
        inner.state = Some(start_server(tls));
        ServerConnection { inner }
    }

    /// What 0-RTT depends on beyond TLS (RFC 9001 §4.6.1): the transport
    /// parameters the server remembers for it and the application's
    /// settings (HTTP/3's SETTINGS, say), in any encoding the caller
    /// keeps stable. Tickets this connection issues carry its digest; a
    /// client's 0-RTT is accepted only under a ticket that carries the
    /// same one, and refused otherwise (EarlyDataReason::QuicParameterMismatch).
    /// Without one, tickets carry none and 0-RTT needs a ticket without
    /// one. It must be set before the ClientHello is read: afterwards the
    /// decision is made, and the call is refused (InvalidState).
    pub fn set_early_data_context(&mut self, context: &[u8]) -> Result<(), QuicError> {
        if self.inner.handshake_started() {
            return Err(QuicError::InvalidState(
                "the early data context after the ClientHello was read",
            ));
        }
        let mut h = crate::crypto::HashAlgorithm::Sha256.start();
        h.update(b"cloaktls QUIC early data context");
        h.update(context);
        let mut digest = [0u8; 32];
        digest.copy_from_slice(&h.current());
        if let Some(q) = self.inner.info.quic.as_mut() {
            q.early_context = Some(digest);
        }
        Ok(())
    }
}

macro_rules! deref {
    ($t:ty) => {
        impl From<$t> for Connection {
            fn from(c: $t) -> Connection {
                c.inner
            }
        }
        impl Deref for $t {
            type Target = Connection;
            fn deref(&self) -> &Connection {
                &self.inner
            }
        }
        impl DerefMut for $t {
            fn deref_mut(&mut self) -> &mut Connection {
                &mut self.inner
            }
        }
    };
}
deref!(ClientConnection);
deref!(ServerConnection);
