//! The sans-IO connection (DESIGN.md): the caller hands bytes in with
//! [`Connection::read_tls`], takes bytes out with [`Connection::pending_tls`]
//! and [`Connection::consume_tls`], and sends and receives application data
//! with [`Connection::send`] and [`Connection::recv`]. No socket, clock or
//! thread is touched.

use crate::codec::Codec;
use crate::config::{ClientConfig, ServerConfig};
use crate::error::{DecodeError, Error};
use crate::handshake::{
    role_sends, start_client, start_server, Command, Context, Negotiated, State,
};
use crate::msgs::alert::Alert;
use crate::msgs::enums::{
    AlertDescription, AlertLevel, CipherSuite, ContentType, HandshakeType, NamedGroup,
    ProtocolVersion,
};
use crate::msgs::handshake::HandshakeMessage;
use crate::record::{
    fragments, write_plaintext_record, Deframer, HandshakeJoiner, RecordOpener, RecordSealer,
    MAX_FRAGMENT_LEN,
};
use crate::verify::certinfo::{summarize, CertificateSummary};
use pki_types::{CertificateDer, ServerName};
use std::collections::VecDeque;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

mod trace;
pub use trace::{ladder, TraceEvent};

/// The most trace events a connection keeps; older ones are dropped.
pub const TRACE_LIMIT: usize = 4096;

/// How much received plaintext a connection holds before it stops reading
/// records, until the caller takes some with [`Connection::recv`].
const RECEIVE_LIMIT: usize = 64 * 1024;
/// The most ChangeCipherSpec records tolerated in one handshake.
const MAX_CCS: u32 = 1;
/// The most empty records in a row before the peer is considered to be
/// flooding.
const MAX_EMPTY_IN_A_ROW: u32 = 32;
/// The most warning alerts in a row (TLS 1.2 warnings, TLS 1.3
/// user_canceled) before the peer is considered to be flooding.
const MAX_WARNINGS_IN_A_ROW: u32 = 4;

/// Received plaintext waiting for [`Connection::recv`]: a buffer read
/// from the front, compacted as it empties.
#[derive(Debug, Default)]
struct PlainBuffer {
    buf: Vec<u8>,
    start: usize,
}

impl PlainBuffer {
    fn len(&self) -> usize {
        self.buf.len() - self.start
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn extend(&mut self, data: &[u8]) {
        if self.start > 0 && self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
        self.buf.extend_from_slice(data);
    }

    fn chunk(&self) -> &[u8] {
        self.buf.get(self.start..).unwrap_or_default()
    }

    fn read_into(&mut self, out: &mut [u8]) -> usize {
        let chunk = self.chunk();
        let n = out.len().min(chunk.len());
        out[..n].copy_from_slice(&chunk[..n]);
        self.consume(n);
        n
    }

    fn consume(&mut self, n: usize) {
        self.start += n.min(self.len());
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        } else if self.start >= RECEIVE_LIMIT {
            self.buf.drain(..self.start);
            self.start = 0;
        }
    }
}

/// Something that happened on a connection, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The handshake completed.
    HandshakeComplete,
    /// The peer sent close_notify: no more data will come.
    PeerClosed,
    /// The peer updated its traffic keys (TLS 1.3 KeyUpdate).
    KeyUpdated,
    /// Client: the server accepted the 0-RTT data.
    EarlyDataAccepted,
    /// Client: the server rejected the 0-RTT data; send it again now if
    /// it is still wanted.
    EarlyDataRejected,
}

/// The part of a client or server connection that does not depend on the
/// side. [`ClientConnection`] and [`ServerConnection`] dereference to it.
pub struct Connection {
    state: Option<Box<dyn State>>,
    info: Negotiated,
    deframer: Deframer,
    joiner: HandshakeJoiner,
    sealer: Option<RecordSealer>,
    opener: Option<RecordOpener>,
    plaintext_version: ProtocolVersion,
    out: Vec<u8>,
    out_start: usize,
    received: PlainBuffer,
    /// The handshake message being handled (reused; dropped after the
    /// handshake).
    message: Vec<u8>,
    queued: Vec<u8>,
    events: VecDeque<Event>,
    error: Option<Error>,
    handshake_done: bool,
    peer_closed: bool,
    sent_close: bool,
    max_fragment: usize,
    ccs_seen: u32,
    /// Whether a protected record from the peer has been opened.
    peer_protected: bool,
    /// Whether the buffers that the handshake's flights grew have been
    /// freed (once, when both are empty after the handshake).
    handshake_buffers_freed: bool,
    empty_in_a_row: u32,
    warnings_in_a_row: u32,
    is_client: bool,
    /// Client: how much more 0-RTT data may be sent.
    early_send: Option<usize>,
    /// Server: how much more 0-RTT data may arrive.
    early_receive: Option<usize>,
    /// Server: how many bytes of rejected 0-RTT records may still be skipped.
    skip_early: Option<usize>,
    /// The event trace, when enabled.
    trace: Option<VecDeque<TraceEvent>>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("client", &self.is_client)
            .field("version", &self.info.version)
            .field("suite", &self.cipher_suite())
            .field("handshake_done", &self.handshake_done)
            .field("error", &self.error)
            .finish()
    }
}

impl Connection {
    fn new(is_client: bool, max_fragment: usize) -> Self {
        Connection {
            state: None,
            info: Negotiated::default(),
            deframer: Deframer::new(),
            joiner: HandshakeJoiner::default(),
            sealer: None,
            opener: None,
            plaintext_version: if is_client {
                ProtocolVersion::TLSV1_0
            } else {
                ProtocolVersion::TLSV1_2
            },
            out: Vec::new(),
            out_start: 0,
            received: PlainBuffer::default(),
            message: Vec::new(),
            queued: Vec::new(),
            events: VecDeque::new(),
            error: None,
            handshake_done: false,
            peer_closed: false,
            sent_close: false,
            max_fragment,
            ccs_seen: 0,
            peer_protected: false,
            handshake_buffers_freed: false,
            empty_in_a_row: 0,
            warnings_in_a_row: 0,
            is_client,
            early_send: None,
            early_receive: None,
            skip_early: None,
            trace: None,
        }
    }

    // ---- bytes in and out ----

    /// Hands over bytes received from the network; returns how many were
    /// taken (the rest must be offered again once the caller has taken
    /// data out with [`Connection::recv`]). Records are processed at once.
    pub fn read_tls(&mut self, data: &[u8]) -> Result<usize, Error> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        let n = self.deframer.read(data);
        self.process()?;
        self.free_handshake_buffers();
        Ok(n)
    }

    /// Once the handshake is over and its flights are gone, gives back the
    /// memory they needed (certificate chains): an idle connection then
    /// holds only its keys and state.
    fn free_handshake_buffers(&mut self) {
        if self.handshake_buffers_freed || !self.handshake_done || self.out_start < self.out.len() {
            return;
        }
        if !self.deframer.release_if_empty() {
            return;
        }
        self.out = Vec::new();
        self.out_start = 0;
        self.handshake_buffers_freed = true;
    }

    /// The bytes that should be written to the network now.
    pub fn pending_tls(&self) -> &[u8] {
        &self.out[self.out_start..]
    }

    /// Marks `n` bytes of [`Connection::pending_tls`] as written.
    pub fn consume_tls(&mut self, n: usize) {
        self.out_start = (self.out_start + n).min(self.out.len());
        if self.out_start == self.out.len() {
            self.out.clear();
            self.out_start = 0;
            self.free_handshake_buffers();
        }
    }

    /// Whether there are bytes to write.
    pub fn wants_write(&self) -> bool {
        self.out_start < self.out.len()
    }

    /// Whether the connection can take more bytes from the network.
    pub fn wants_read(&self) -> bool {
        self.error.is_none() && !self.peer_closed && self.received_len() < RECEIVE_LIMIT
    }

    // ---- application data ----

    /// Queues application data. Before the handshake ends it is held and
    /// sent as soon as the handshake completes.
    pub fn send(&mut self, data: &[u8]) -> Result<usize, Error> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        if self.sent_close {
            return Err(Error::InvalidState("the connection was closed for sending"));
        }
        if !self.handshake_done {
            self.queued.extend_from_slice(data);
            return Ok(data.len());
        }
        self.send_application_data(data)?;
        Ok(data.len())
    }

    fn send_application_data(&mut self, data: &[u8]) -> Result<(), Error> {
        if let Some(s) = self.state.as_mut() {
            s.on_application_data_sent();
        }
        let max = self.max_fragment_len();
        for frag in fragments(data, max) {
            self.write_record(ContentType::APPLICATION_DATA, frag)?;
        }
        Ok(())
    }

    /// Sends 0-RTT early data (client, TLS 1.3, resuming with a ticket that
    /// allows it and [`crate::config::ClientConfigBuilder::early_data`] on).
    /// Returns how many bytes were taken: at most what the ticket allows,
    /// and 0 once early data can no longer be sent. Whether the server
    /// accepted it arrives as [`Event::EarlyDataAccepted`] or
    /// [`Event::EarlyDataRejected`]; rejected data is not delivered.
    pub fn send_early_data(&mut self, data: &[u8]) -> Result<usize, Error> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        let Some(budget) = self.early_send else {
            return Ok(0);
        };
        let n = data.len().min(budget);
        self.early_send = Some(budget - n);
        self.send_application_data(&data[..n])?;
        Ok(n)
    }

    /// Whether 0-RTT data was accepted: `None` if none was offered (or
    /// the answer has not come yet).
    pub fn early_data_accepted(&self) -> Option<bool> {
        self.info.early_data
    }

    /// Keying material from the early exporter (RFC 8446 §7.5), available
    /// once 0-RTT was offered (client) or accepted (server).
    pub fn export_early_keying_material(
        &self,
        out: &mut [u8],
        label: &[u8],
        context: Option<&[u8]>,
    ) -> Result<(), Error> {
        let exporter = self
            .info
            .early_exporter
            .as_ref()
            .ok_or(Error::InvalidState("no early exporter: 0-RTT was not used"))?;
        let bytes = exporter.export(label, context, out.len())?;
        out.copy_from_slice(&bytes);
        Ok(())
    }

    /// Copies received application data into `buf`; returns how many bytes
    /// (0 when none is buffered: see [`Connection::peer_has_closed`]). Data
    /// received before an error is returned first, then the error.
    pub fn recv(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        if self.received_len() == 0 {
            if let Some(e) = &self.error {
                return Err(e.clone());
            }
            return Ok(0);
        }
        let mut n = self.deframer.take_held(buf);
        n += self.received.read_into(&mut buf[n..]);
        // Records held back while the buffer was full can go on now.
        if self.error.is_none() {
            let _ = self.process();
        }
        Ok(n)
    }

    /// Received plaintext that can be read now without a copy: the next
    /// bytes of the stream, in place in the connection's buffers (possibly
    /// fewer than [`Connection::received_len`]; read more after
    /// [`Connection::consume_received`]). Empty when nothing waits. The
    /// zero-copy counterpart of [`Connection::recv`], like
    /// `std::io::BufRead::fill_buf`.
    pub fn peek_received(&self) -> &[u8] {
        match self.deframer.held() {
            [] => self.received.chunk(),
            held => held,
        }
    }

    /// Marks the first `n` bytes of [`Connection::peek_received`] as read
    /// (at most as many as it returned).
    pub fn consume_received(&mut self, n: usize) {
        let held = self.deframer.held_len();
        if held > 0 {
            self.deframer.consume_held(n);
        } else {
            self.received.consume(n);
        }
        // Records held back while the buffer was full can go on now.
        if self.error.is_none() {
            let _ = self.process();
        }
    }

    /// How many received bytes wait in [`Connection::recv`].
    pub fn received_len(&self) -> usize {
        self.deframer.held_len() + self.received.len()
    }

    /// The next event, if any.
    pub fn next_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Queues close_notify; nothing more can be sent afterwards.
    pub fn close(&mut self) {
        if !self.sent_close && self.error.is_none() {
            self.sent_close = true;
            let _ = self.send_alert(Alert::warning(AlertDescription::CLOSE_NOTIFY));
        }
    }

    /// Whether the peer sent close_notify.
    pub fn peer_has_closed(&self) -> bool {
        self.peer_closed
    }

    /// Updates our sending keys (TLS 1.3 KeyUpdate), asking the peer to do
    /// the same if `request_peer`.
    pub fn key_update(&mut self, request_peer: bool) -> Result<(), Error> {
        let mut out = Vec::new();
        let Some(state) = self.state.as_mut() else {
            return Err(Error::InvalidState("the connection has failed"));
        };
        let mut cx = Context {
            out: &mut out,
            info: &mut self.info,
            tracing: self.trace.is_some(),
        };
        state.send_key_update(&mut cx, request_peer)?;
        self.apply(out)
    }

    // ---- what was negotiated ----

    /// Whether the handshake is still under way.
    pub fn is_handshaking(&self) -> bool {
        !self.handshake_done
    }

    /// The protocol version, once chosen.
    pub fn protocol_version(&self) -> Option<ProtocolVersion> {
        self.info.version
    }

    /// The cipher suite, once chosen.
    pub fn cipher_suite(&self) -> Option<CipherSuite> {
        self.info.suite.map(|s| s.suite())
    }

    /// The key exchange group, once chosen. A resumed TLS 1.2 session,
    /// which makes no key exchange, reports its full handshake's group; a
    /// TLS 1.3 psk_ke resumption reports none.
    pub fn key_exchange_group(&self) -> Option<NamedGroup> {
        self.info.group
    }

    /// The ALPN protocol, if one was agreed.
    pub fn alpn_protocol(&self) -> Option<&[u8]> {
        self.info.alpn.as_deref()
    }

    /// The server name (SNI): what the client asked for.
    pub fn server_name(&self) -> Option<&str> {
        self.info.sni.as_deref()
    }

    /// The peer's certificate chain, end entity first (empty if it sent
    /// none).
    pub fn peer_certificates(&self) -> &[CertificateDer<'static>] {
        &self.info.peer_certs
    }

    /// The OCSP response the server stapled (client, after asking with
    /// [`crate::config::ClientConfigBuilder::request_ocsp`]), as DER.
    pub fn peer_ocsp_response(&self) -> Option<&[u8]> {
        self.info.ocsp_response.as_deref()
    }

    /// The SignedCertificateTimestampList the server sent (client, after
    /// asking with [`crate::config::ClientConfigBuilder::request_sct`]), as
    /// on the wire.
    pub fn peer_sct_list(&self) -> Option<&[u8]> {
        self.info.sct_list.as_deref()
    }

    /// A readable summary of the peer's certificate.
    pub fn peer_certificate_summary(&self) -> Option<CertificateSummary> {
        self.info
            .peer_certs
            .first()
            .and_then(|c| summarize(c.as_ref()))
    }

    /// Whether the session was resumed.
    pub fn is_resumed(&self) -> bool {
        self.info.resumed
    }

    /// Whether the server asked for another key share (HelloRetryRequest).
    pub fn had_hello_retry(&self) -> bool {
        self.info.hello_retry
    }

    /// Whether TLS 1.2's extended master secret is in use.
    pub fn extended_master_secret(&self) -> bool {
        self.info.extended_master_secret
    }

    /// Keying material (RFC 5705, RFC 8446 §7.5) of `out.len()` bytes.
    pub fn export_keying_material(
        &self,
        out: &mut [u8],
        label: &[u8],
        context: Option<&[u8]>,
    ) -> Result<(), Error> {
        if !self.handshake_done {
            return Err(Error::InvalidState(
                "keying material before the handshake ended",
            ));
        }
        let exporter = self
            .info
            .exporter
            .as_ref()
            .ok_or(Error::InvalidState("no exporter"))?;
        let bytes = exporter.export(label, context, out.len())?;
        out.copy_from_slice(&bytes);
        Ok(())
    }

    /// The error that ended the connection, if one did.
    pub fn error(&self) -> Option<&Error> {
        self.error.as_ref()
    }

    /// Starts recording a trace of what crosses the wire and what is
    /// derived (a connection made with a config's `trace(true)` records
    /// from its first byte). At most [`TRACE_LIMIT`] events are kept.
    pub fn enable_trace(&mut self) {
        if self.trace.is_none() {
            self.trace = Some(VecDeque::new());
        }
    }

    /// The events recorded since the last call.
    pub fn take_trace(&mut self) -> Vec<TraceEvent> {
        self.trace
            .as_mut()
            .map(|t| t.drain(..).collect())
            .unwrap_or_default()
    }

    fn record(&mut self, e: TraceEvent) {
        if let Some(t) = &mut self.trace {
            if t.len() >= TRACE_LIMIT {
                t.pop_front();
            }
            t.push_back(e);
        }
    }

    // ---- inside ----

    fn max_fragment_len(&self) -> usize {
        let mut max = self.max_fragment.min(MAX_FRAGMENT_LEN);
        if let Some(limit) = self.info.peer_record_size_limit {
            // RFC 8449 §4: in TLS 1.3 the limit counts the content type.
            let tls13 = self.info.version == Some(ProtocolVersion::TLSV1_3);
            let limit = usize::from(limit) - usize::from(tls13);
            max = max.min(limit.max(1));
        }
        max
    }

    fn write_record(&mut self, typ: ContentType, fragment: &[u8]) -> Result<(), Error> {
        if self.trace.is_some() {
            self.record(TraceEvent::RecordOut {
                typ,
                len: fragment.len(),
            });
        }
        match &mut self.sealer {
            Some(s) => s.seal(typ, fragment, 0, &mut self.out),
            None => {
                write_plaintext_record(typ, self.plaintext_version, fragment, &mut self.out);
                Ok(())
            }
        }
    }

    fn send_alert(&mut self, alert: Alert) -> Result<(), Error> {
        self.record(TraceEvent::AlertOut(alert));
        self.write_record(ContentType::ALERT, &alert.get_encoding())
    }

    /// Records a fatal error: the alert goes out once, and nothing more is
    /// accepted.
    fn fail(&mut self, e: Error) -> Error {
        if self.error.is_none() {
            if let Some(alert) = e.alert() {
                let _ = self.send_alert(Alert::fatal(alert));
            }
            self.error = Some(e.clone());
            self.state = None;
        }
        e
    }

    fn start(
        &mut self,
        f: impl FnOnce(&mut Context<'_>) -> Result<Box<dyn State>, Error>,
    ) -> Result<(), Error> {
        let mut out = Vec::new();
        let mut cx = Context {
            out: &mut out,
            info: &mut self.info,
            tracing: self.trace.is_some(),
        };
        let state = f(&mut cx)?;
        self.state = Some(state);
        self.apply(out)
    }

    /// Writes consecutive handshake messages as few records as fit.
    fn flush_handshake(&mut self, pending: &mut Vec<u8>) -> Result<(), Error> {
        let max = self.max_fragment_len();
        for frag in fragments(pending, max) {
            self.write_record(ContentType::HANDSHAKE, frag)?;
        }
        pending.clear();
        Ok(())
    }

    fn apply(&mut self, commands: Vec<Command>) -> Result<(), Error> {
        let sending = commands
            .iter()
            .map(|c| match c {
                Command::Send(bytes) => bytes.len(),
                _ => 0,
            })
            .sum();
        let mut pending = Vec::with_capacity(sending);
        for c in commands {
            if let Command::Send(bytes) = c {
                if self.trace.is_some() {
                    let typ = HandshakeType(bytes.first().copied().unwrap_or(0));
                    self.record(TraceEvent::MessageOut {
                        typ,
                        bytes: bytes.clone(),
                    });
                }
                pending.extend_from_slice(&bytes);
                continue;
            }
            self.flush_handshake(&mut pending)?;
            match c {
                Command::Send(_) => {}
                Command::SendCcs => {
                    self.record(TraceEvent::ChangeCipherSpecOut);
                    self.record(TraceEvent::RecordOut {
                        typ: ContentType::CHANGE_CIPHER_SPEC,
                        len: 1,
                    });
                    write_plaintext_record(
                        ContentType::CHANGE_CIPHER_SPEC,
                        ProtocolVersion::TLSV1_2,
                        &[1],
                        &mut self.out,
                    );
                }
                Command::WriteKeys(s) => {
                    self.record(TraceEvent::WriteKeysChanged);
                    self.sealer = Some(s);
                }
                Command::ReadKeys(o) => {
                    self.joiner.check_key_change_boundary()?;
                    self.record(TraceEvent::ReadKeysChanged);
                    self.opener = Some(o);
                }
                Command::Done => {
                    self.handshake_done = true;
                    self.events.push_back(Event::HandshakeComplete);
                    let queued = std::mem::take(&mut self.queued);
                    if !queued.is_empty() {
                        self.send_application_data(&queued)?;
                    }
                }
                Command::KeyUpdated => self.events.push_back(Event::KeyUpdated),
                Command::SendWarning(d) => self.send_alert(Alert::warning(d))?,
                Command::ClearWriteKeys => self.sealer = None,
                Command::EarlySend(budget) => self.early_send = budget,
                Command::EarlyDataResult(accepted) => {
                    self.info.early_data = Some(accepted);
                    self.events.push_back(if accepted {
                        Event::EarlyDataAccepted
                    } else {
                        Event::EarlyDataRejected
                    });
                }
                Command::EarlyReceive(budget) => self.early_receive = budget,
                Command::SkipEarlyData(budget) => self.skip_early = Some(budget),
                Command::Secret(label, secret) => self.record(TraceEvent::Secret {
                    label,
                    secret: secret.as_bytes().to_vec(),
                }),
            }
        }
        self.flush_handshake(&mut pending)
    }

    fn process(&mut self) -> Result<(), Error> {
        match self.process_records() {
            Ok(()) => Ok(()),
            Err(e) => Err(self.fail(e)),
        }
    }

    fn process_records(&mut self) -> Result<(), Error> {
        while !self.peer_closed && self.deframer.held_len() + self.received.len() < RECEIVE_LIMIT {
            // Plaintext can stay where it is decrypted while nothing else
            // waits to be read.
            let can_hold = self.received.is_empty() && self.deframer.held_len() == 0;
            let Some(rec) = self.deframer.next_record()? else {
                break;
            };
            if let Some(t) = &mut self.trace {
                if t.len() >= TRACE_LIMIT {
                    t.pop_front();
                }
                t.push_back(TraceEvent::RecordIn {
                    typ: rec.typ,
                    len: rec.payload.len(),
                });
            }
            if self.is_client {
                self.plaintext_version = ProtocolVersion::TLSV1_2;
            }
            // Once TLS 1.2 is agreed, every record carries its version
            // (RFC 5246 §6.2.1); TLS 1.3 ignores the field (RFC 8446 §5.1).
            if self.info.version == Some(ProtocolVersion::TLSV1_2)
                && self.info.suite.is_some()
                && rec.version != ProtocolVersion::TLSV1_2
            {
                return Err(Error::peer(
                    AlertDescription::PROTOCOL_VERSION,
                    format!(
                        "a record of version {:?} in a TLS 1.2 connection",
                        rec.version
                    ),
                ));
            }
            // RFC 8446 §4.2.10: rejected 0-RTT records are skipped, up to
            // a budget: those that fail to decrypt, or any application data
            // while a second ClientHello is awaited.
            if let Some(budget) = self.skip_early {
                let len = rec.payload.len();
                let skippable = rec.typ == ContentType::APPLICATION_DATA && len <= budget;
                if skippable && self.opener.is_none() {
                    self.skip_early = Some(budget - len);
                    continue;
                }
            }
            // A TLS 1.3 peer that fails before it has keys (it could not
            // use our ServerHello, say) sends its alert in plaintext, as
            // BoringSSL and OpenSSL do: read it as an alert rather than
            // call it a bad record.
            let plaintext_alert = rec.typ == ContentType::ALERT
                && self.opener.is_some()
                && !self.peer_protected
                && self.info.version == Some(ProtocolVersion::TLSV1_3)
                && rec.payload.len() == 2;
            let (typ, data) = if rec.typ == ContentType::CHANGE_CIPHER_SPEC || plaintext_alert {
                (rec.typ, rec.payload.to_vec())
            } else if let Some(opener) = &mut self.opener {
                let len = rec.payload.len();
                let opened = match opener.open(rec.typ, rec.version, rec.payload) {
                    Ok(o) => {
                        // A record that opens ends the skipping.
                        self.skip_early = None;
                        self.peer_protected = true;
                        o
                    }
                    Err(Error::BadRecordMac) if self.skip_early.is_some_and(|b| len <= b) => {
                        self.skip_early = self.skip_early.map(|b| b - len);
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                // The common case, application data on an established
                // connection, goes straight to the receive buffer.
                if opened.typ == ContentType::APPLICATION_DATA
                    && self.handshake_done
                    && self.joiner.is_empty()
                    && !opened.range.is_empty()
                {
                    self.empty_in_a_row = 0;
                    self.warnings_in_a_row = 0;
                    if can_hold {
                        self.deframer.hold_last(opened.range);
                    } else {
                        self.received.extend(&rec.payload[opened.range]);
                    }
                    if let Some(s) = self.state.as_mut() {
                        s.on_application_data();
                    }
                    continue;
                }
                (opened.typ, rec.payload[opened.range].to_vec())
            } else {
                if rec.payload.len() > MAX_FRAGMENT_LEN {
                    return Err(Error::RecordOverflow);
                }
                (rec.typ, rec.payload.to_vec())
            };
            self.process_plaintext(typ, data)?;
        }
        Ok(())
    }

    fn process_plaintext(&mut self, typ: ContentType, data: Vec<u8>) -> Result<(), Error> {
        // RFC 8446 §5.1: handshake messages may not be interleaved with
        // other record types.
        if typ != ContentType::HANDSHAKE && !self.joiner.is_empty() {
            return Err(Error::peer(
                AlertDescription::UNEXPECTED_MESSAGE,
                format!("a {typ:?} record inside a fragmented handshake message"),
            ));
        }
        if data.is_empty() {
            self.empty_in_a_row += 1;
            if self.empty_in_a_row > MAX_EMPTY_IN_A_ROW {
                return Err(Error::peer(
                    AlertDescription::UNEXPECTED_MESSAGE,
                    "too many empty records",
                ));
            }
        } else if typ != ContentType::ALERT {
            self.empty_in_a_row = 0;
            self.warnings_in_a_row = 0;
        }
        match typ {
            ContentType::CHANGE_CIPHER_SPEC => {
                let tls13 = self.info.version == Some(ProtocolVersion::TLSV1_3);
                // RFC 8446 §5: in TLS 1.3 any other value is unexpected_message.
                if data != [1] && tls13 {
                    return Err(Error::peer(
                        AlertDescription::UNEXPECTED_MESSAGE,
                        "a ChangeCipherSpec other than the single byte 1",
                    ));
                }
                if data != [1] {
                    return Err(Error::decode(
                        "ChangeCipherSpec",
                        DecodeError::IllegalValue("ChangeCipherSpec must be the byte 1"),
                    ));
                }
                self.record(TraceEvent::ChangeCipherSpecIn);
                self.ccs_seen += 1;
                if tls13 && self.ccs_seen > MAX_CCS {
                    return Err(Error::peer(
                        AlertDescription::UNEXPECTED_MESSAGE,
                        "more than one ChangeCipherSpec",
                    ));
                }
                let state = self.state.take().ok_or(Error::InvalidState("no state"))?;
                let mut out = Vec::new();
                let mut cx = Context {
                    out: &mut out,
                    info: &mut self.info,
                    tracing: self.trace.is_some(),
                };
                self.state = Some(state.handle_ccs(&mut cx)?);
                self.apply(out)
            }
            ContentType::HANDSHAKE => {
                // RFC 8446 §5.1: no zero-length handshake fragments.
                if data.is_empty() {
                    return Err(Error::peer(
                        AlertDescription::UNEXPECTED_MESSAGE,
                        "an empty handshake record",
                    ));
                }
                self.joiner.push(&data)?;
                // One buffer serves every message of the handshake.
                let mut raw = std::mem::take(&mut self.message);
                while self.joiner.next_message_into(&mut raw)? {
                    self.handle_message(&raw)?;
                }
                if !self.handshake_done {
                    self.message = raw;
                }
                Ok(())
            }
            // RFC 8446 §5.4 (and RFC 5246 §6.2.1): no zero-length alert
            // records, padding or not.
            ContentType::ALERT if data.is_empty() => Err(Error::peer(
                AlertDescription::UNEXPECTED_MESSAGE,
                "an empty alert record",
            )),
            ContentType::ALERT => self.handle_alert(&data),
            ContentType::APPLICATION_DATA => {
                if let (false, Some(budget)) = (self.handshake_done, self.early_receive) {
                    // RFC 8446 §4.2.10: more than max_early_data_size is
                    // unexpected_message.
                    if data.len() > budget {
                        return Err(Error::peer(
                            AlertDescription::UNEXPECTED_MESSAGE,
                            "more early data than max_early_data_size",
                        ));
                    }
                    self.early_receive = Some(budget - data.len());
                } else if !self.handshake_done {
                    return Err(Error::peer(
                        AlertDescription::UNEXPECTED_MESSAGE,
                        "application data before the handshake ended",
                    ));
                }
                if let Some(s) = self.state.as_mut() {
                    s.on_application_data();
                }
                self.received.extend(&data);
                Ok(())
            }
            other => Err(Error::peer(
                AlertDescription::UNEXPECTED_MESSAGE,
                format!("a record of type {other:?}"),
            )),
        }
    }

    fn handle_message(&mut self, raw: &[u8]) -> Result<(), Error> {
        let typ = HandshakeType(raw.first().copied().unwrap_or(0));
        if self.trace.is_some() {
            self.record(TraceEvent::MessageIn {
                typ,
                bytes: raw.to_vec(),
            });
        }
        if !role_sends(typ, !self.is_client) {
            return Err(Error::peer(
                AlertDescription::UNEXPECTED_MESSAGE,
                format!(
                    "received {typ:?}, which a {} never sends",
                    if self.is_client { "server" } else { "client" }
                ),
            ));
        }
        let state = self.state.take().ok_or(Error::InvalidState("no state"))?;
        let msg = HandshakeMessage::decode(raw, state.version())
            .map_err(|e| Error::decode("a handshake message", e))?;
        let mut out = Vec::with_capacity(8);
        let mut cx = Context {
            out: &mut out,
            info: &mut self.info,
            tracing: self.trace.is_some(),
        };
        let next = state.handle(&mut cx, msg, raw)?;
        let name = next.name();
        self.state = Some(next);
        // A message we answer ends the peer's flight: the peer cannot have
        // sent more before reading our answer (RFC 8446 §2, RFC 5246 §7.3).
        let answered = out.iter().any(|c| matches!(c, Command::Send(_)));
        if answered && !self.joiner.is_empty() {
            return Err(Error::peer(
                AlertDescription::UNEXPECTED_MESSAGE,
                "handshake data after the end of the peer's flight",
            ));
        }
        self.apply(out)?;
        self.record(TraceEvent::State(name));
        Ok(())
    }

    fn handle_alert(&mut self, data: &[u8]) -> Result<(), Error> {
        let alert = Alert::decode(data).map_err(|e| Error::decode("an alert", e))?;
        self.record(TraceEvent::AlertIn(alert));
        if alert.description == AlertDescription::CLOSE_NOTIFY {
            self.peer_closed = true;
            self.events.push_back(Event::PeerClosed);
            if !self.handshake_done {
                return Err(Error::HandshakeNotComplete);
            }
            return Ok(());
        }
        let tls13 = self.info.version == Some(ProtocolVersion::TLSV1_3);
        // RFC 8446 §6: in TLS 1.3 every alert but close_notify and
        // user_canceled is fatal, whatever its level. In TLS 1.2 warnings
        // are survivable.
        let warning = if tls13 {
            alert.description == AlertDescription::USER_CANCELED
        } else {
            alert.level == AlertLevel::WARNING
        };
        if warning {
            self.warnings_in_a_row += 1;
            if self.warnings_in_a_row > MAX_WARNINGS_IN_A_ROW {
                return Err(Error::peer(
                    AlertDescription::UNEXPECTED_MESSAGE,
                    "too many warning alerts",
                ));
            }
            return Ok(());
        }
        Err(Error::AlertReceived(alert.description))
    }
}

/// A client connection.
#[derive(Debug)]
pub struct ClientConnection {
    conn: Connection,
}

impl ClientConnection {
    /// Starts a handshake with `server_name` (a DNS name, checked against
    /// the certificate and sent as SNI, or an IP address). The ClientHello
    /// is ready in [`Connection::pending_tls`] at once.
    pub fn new(config: Arc<ClientConfig>, server_name: &str) -> Result<Self, Error> {
        let name = ServerName::try_from(server_name.trim_end_matches('.'))
            .map_err(|_| {
                Error::Config(format!(
                    "{server_name:?} is not a valid DNS name or IP address"
                ))
            })?
            .to_owned();
        let mut conn = Connection::new(true, config.max_fragment_len);
        if config.trace {
            conn.enable_trace();
        }
        conn.start(|cx| start_client(config, name, cx))?;
        Ok(ClientConnection { conn })
    }
}

/// A server connection.
#[derive(Debug)]
pub struct ServerConnection {
    conn: Connection,
}

impl ServerConnection {
    /// A connection waiting for a ClientHello.
    pub fn new(config: Arc<ServerConfig>) -> Result<Self, Error> {
        let mut conn = Connection::new(false, config.max_fragment_len);
        if config.trace {
            conn.enable_trace();
        }
        conn.start(|_| Ok(start_server(config)))?;
        Ok(ServerConnection { conn })
    }
}

macro_rules! deref {
    ($t:ty) => {
        impl Deref for $t {
            type Target = Connection;
            fn deref(&self) -> &Connection {
                &self.conn
            }
        }
        impl DerefMut for $t {
            fn deref_mut(&mut self) -> &mut Connection {
                &mut self.conn
            }
        }
    };
}
deref!(ClientConnection);
deref!(ServerConnection);
