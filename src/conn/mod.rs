//! The sans-IO connection: the caller owns the socket, the clock and the
//! event loop, and moves bytes in and out.
//!
//! # The contract
//!
//! - Bytes from the network go in with [`Connection::read_tls`]. It takes
//!   what it can and says so: [`Intake::All`], or [`Intake::Blocked`] with
//!   how many bytes it took when received plaintext fills its buffer (read
//!   some with [`Connection::recv`], then offer the rest again).
//! - Bytes for the network are [`Connection::pending_tls`]; after writing
//!   `n` of them, call [`Connection::consume_tls`]. Check for them after
//!   *every* call: `read_tls` (handshake answers, and after an error the
//!   fatal alert for the peer), `recv` (a KeyUpdate answer, records held
//!   back), `send`, `send_close_notify`, `key_update`.
//! - When the transport reaches end of file, call
//!   [`Connection::transport_eof`]: without the peer's close_notify, what
//!   was received may be cut short, and `recv` says so with
//!   [`Error::Truncated`] once the data before it has been read.
//! - Application data goes out with [`Connection::send`], which takes at
//!   most what fits in bounded buffers and returns how much it took;
//!   before the handshake ends it is queued (up to [`EARLY_QUEUE_LIMIT`]
//!   bytes) and sent as soon as it completes.
//! - Application data comes in with [`Connection::recv`]
//!   ([`Received::Data`], [`Received::Nothing`] yet, or [`Received::Closed`]
//!   by the peer's close_notify), or without a copy with
//!   [`Connection::peek_received`] and [`Connection::consume_received`].
//! - [`Connection::next_event`] reports what happened: the handshake's
//!   end, the peer's close_notify, key updates, 0-RTT's fate.
//! - [`Connection::send_close_notify`] ends our sending side, after any
//!   data queued before it.
//!
//! An error is fatal: the alert it calls for waits in `pending_tls`, every
//! later call returns the same error, and data received before it is still
//! returned first.

use crate::config::{ClientConfig, ServerConfig, Trace};
use crate::error::Error;
use crate::handshake::{start_client, start_server, Negotiated, State};
use crate::msgs::enums::{AlertDescription, ProtocolVersion};
use crate::record::{Deframer, HandshakeJoiner, RecordOpener, RecordSealer};
use buffers::{OutBuffer, PlainBuffer};
use pki_types::ServerName;
use std::collections::VecDeque;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use trace::Tracer;

mod acceptor;
mod buffers;
mod in_place;
mod inbound;
mod info;
mod outbound;
mod trace;

pub use acceptor::{Accepted, Acceptor, ClientHelloInfo, ACCEPTOR_LIMIT};
pub use in_place::{InPlace, Sealed};
pub use trace::{ladder, TraceEvent, TRACE_BYTES_LIMIT, TRACE_LIMIT};

/// How much received plaintext a connection holds before it stops reading
/// records, until the caller takes some with [`Connection::recv`].
pub const RECEIVE_LIMIT: usize = 64 * 1024;
/// How much application data [`Connection::send`] queues before the
/// handshake ends; more is refused (`send` returns how much it took).
pub const EARLY_QUEUE_LIMIT: usize = 64 * 1024;
// The largest early data a server accepts fits beside a whole record.
const _: () = assert!(
    crate::config::MAX_EARLY_DATA as usize + crate::record::MAX_FRAGMENT_LEN <= RECEIVE_LIMIT
);

/// How many bytes may wait in [`Connection::pending_tls`] before
/// [`Connection::send`] takes no more plaintext: write them out first.
pub const SEND_LIMIT: usize = 64 * 1024;

/// What [`Connection::read_tls`] did with the bytes it was offered.
#[must_use = "bytes that were not taken must be offered again"]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intake {
    /// It took every byte.
    All,
    /// It took `taken` bytes (perhaps none) and can take no more until the
    /// caller reads received plaintext ([`Connection::recv`]); offer the
    /// rest again after that.
    Blocked {
        /// How many of the offered bytes it took.
        taken: usize,
    },
}

impl Intake {
    /// How many of `offered` bytes were taken.
    pub fn taken(self, offered: usize) -> usize {
        match self {
            Intake::All => offered,
            Intake::Blocked { taken } => taken,
        }
    }
}

/// What [`Connection::recv`] found.
#[must_use = "received data must be used, and Closed ends the stream"]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    /// This many bytes were copied into the buffer.
    Data(usize),
    /// Nothing has arrived yet: read more from the network.
    Nothing,
    /// The peer sent close_notify and every byte before it has been read:
    /// the end of the stream.
    Closed,
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
    sealer: Option<Box<RecordSealer>>,
    opener: Option<Box<RecordOpener>>,
    plaintext_version: ProtocolVersion,
    out: OutBuffer,
    received: PlainBuffer,
    /// The handshake message being handled (reused; dropped after the
    /// handshake).
    message: Vec<u8>,
    /// Client 0-RTT: a copy of the early data sent, to send again first if
    /// the server rejects it (see `resend_rejected_early_data`).
    early_copy: Option<Vec<u8>>,
    /// The name of the configuration's policy preset, for errors.
    policy: Option<&'static str>,
    /// The handshake's command list and outgoing message bytes, kept from
    /// one message to the next (and given back with the handshake's other
    /// buffers).
    scratch_commands: Vec<crate::handshake::Command>,
    scratch_messages: Vec<u8>,
    /// Application data sent before the handshake ended.
    queued: Vec<u8>,
    events: VecDeque<Event>,
    error: Option<Error>,
    handshake_done: bool,
    /// Server: application data goes out before the handshake ends
    /// (0.5-RTT, `send_half_rtt_data`).
    half_rtt: bool,
    /// Client, TLS 1.2: in False Start (RFC 7918), application data goes
    /// out before the server's Finished.
    false_start: bool,
    peer_closed: bool,
    /// Our close_notify is out.
    sent_close: bool,
    /// The caller asked to close before the handshake ended: close_notify
    /// goes after the handshake and the queued data.
    close_requested: bool,
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
    trace: Option<Tracer>,
    /// Whether derived secrets go to the trace (`danger`).
    trace_secrets: bool,
    /// The test kit's message shaper.
    #[cfg(feature = "testkit")]
    shaper: Option<Arc<dyn crate::config::MessageShaper>>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("client", &self.is_client)
            .field("version", &self.info.version)
            .field("suite", &self.cipher_suite())
            .field("handshake_done", &self.handshake_done)
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl Connection {
    fn new(is_client: bool, max_fragment: usize, trace: Trace) -> Self {
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
            out: OutBuffer::default(),
            received: PlainBuffer::default(),
            message: Vec::new(),
            early_copy: None,
            policy: None,
            scratch_commands: Vec::new(),
            scratch_messages: Vec::new(),
            queued: Vec::new(),
            events: VecDeque::new(),
            error: None,
            handshake_done: false,
            half_rtt: false,
            false_start: false,
            peer_closed: false,
            sent_close: false,
            close_requested: false,
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
            trace: (trace != Trace::Off).then(Tracer::default),
            trace_secrets: trace == Trace::WithSecrets,
            #[cfg(feature = "testkit")]
            shaper: None,
        }
    }

    // ---- bytes in and out ----

    /// Hands over bytes received from the network and processes the
    /// records they complete. Says how many it took: all, or (when
    /// received plaintext fills the buffer) some, to be offered again after
    /// [`Connection::recv`]. Bytes after the peer's close_notify are taken
    /// and ignored (RFC 8446 §6.1).
    ///
    /// On an error the alert for the peer waits in
    /// [`Connection::pending_tls`]: write it out before closing the
    /// transport.
    pub fn read_tls(&mut self, data: &[u8]) -> Result<Intake, Error> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        if self.peer_closed {
            return Ok(Intake::All);
        }
        // The deframer holds two records at most: take what fits, process
        // it, and go on while that makes room.
        let mut taken = 0;
        loop {
            let n = self.deframer.read(&data[taken..]);
            taken += n;
            self.process()?;
            if taken == data.len() || self.peer_closed {
                self.free_handshake_buffers();
                return Ok(Intake::All);
            }
            if n == 0 {
                return Ok(Intake::Blocked { taken });
            }
        }
    }

    /// Tells the connection that the transport reached end of file. If the
    /// peer had not sent close_notify, the connection fails: during the
    /// handshake with [`Error::HandshakeNotComplete`], after it with
    /// [`Error::Truncated`] (returned by `recv` once the data received
    /// before it has been read): an attacker can end a TCP connection, but
    /// not forge close_notify.
    pub fn transport_eof(&mut self) {
        if self.peer_closed || self.error.is_some() {
            return;
        }
        self.error = Some(if self.handshake_done {
            Error::Truncated
        } else {
            Error::HandshakeNotComplete
        });
        self.state = None;
    }

    /// The bytes that should be written to the network now.
    pub fn pending_tls(&self) -> &[u8] {
        self.out.pending()
    }

    /// Marks `n` bytes of [`Connection::pending_tls`] as written.
    pub fn consume_tls(&mut self, n: usize) {
        if self.out.consume(n) {
            self.free_handshake_buffers();
        }
    }

    /// Whether there are bytes to write.
    pub fn wants_write(&self) -> bool {
        self.out.len() > 0
    }

    /// Whether the connection can take more bytes from the network.
    pub fn wants_read(&self) -> bool {
        self.error.is_none() && !self.peer_closed && self.received_len() < RECEIVE_LIMIT
    }

    /// Once the handshake is over and its flights are gone, gives back the
    /// memory they needed (certificate chains): an idle connection then
    /// holds only its keys and state.
    fn free_handshake_buffers(&mut self) {
        if self.handshake_buffers_freed || !self.handshake_done || self.out.len() > 0 {
            return;
        }
        if !self.deframer.release_if_empty() {
            return;
        }
        self.out.release();
        self.scratch_commands = Vec::new();
        self.scratch_messages = Vec::new();
        self.handshake_buffers_freed = true;
    }

    // ---- application data ----

    /// Sends application data; returns how many bytes it took, which may
    /// be fewer than offered (none at all when the buffers are full): the
    /// caller offers the rest again after writing out
    /// [`Connection::pending_tls`]. Before the handshake ends, data is
    /// queued (at most [`EARLY_QUEUE_LIMIT`] bytes) and sent as soon as it
    /// completes (a server configured with
    /// [`crate::config::ServerConfigBuilder::send_half_rtt_data`] sends it
    /// as soon as its flight is out, a TLS 1.2 client in False Start as
    /// soon as its Finished is out); after it, at most [`SEND_LIMIT`]
    /// bytes wait to be written.
    pub fn send(&mut self, data: &[u8]) -> Result<usize, Error> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        if self.sent_close || self.close_requested {
            return Err(Error::InvalidState("the connection was closed for sending"));
        }
        if !self.handshake_done && !self.half_rtt && !self.false_start {
            let n = data.len().min(EARLY_QUEUE_LIMIT - self.queued.len());
            self.queued.extend_from_slice(&data[..n]);
            return Ok(n);
        }
        let n = data.len().min(SEND_LIMIT.saturating_sub(self.out.len()));
        let r = self.send_application_data(&data[..n]);
        self.check(r)?;
        Ok(n)
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
        let n = data
            .len()
            .min(budget)
            .min(SEND_LIMIT.saturating_sub(self.out.len()));
        self.early_send = Some(budget - n);
        if let Some(copy) = &mut self.early_copy {
            copy.extend_from_slice(&data[..n]);
        }
        let r = self.send_application_data(&data[..n]);
        self.check(r)?;
        Ok(n)
    }

    /// Client 0-RTT: whether early data the server rejects is sent again,
    /// as ordinary data, as soon as the handshake ends, before anything
    /// [`Connection::send`] queued behind the handshake and before a
    /// close_notify asked for meanwhile (off by default: the caller learns
    /// of the rejection from [`Event::EarlyDataRejected`] and decides).
    /// The connection then keeps a copy of what it sends early.
    pub fn resend_rejected_early_data(&mut self, on: bool) {
        self.early_copy = on.then(Vec::new);
    }

    /// How much more 0-RTT data [`Connection::send_early_data`] would take
    /// now: `None` when early data cannot be sent (no ticket that allows
    /// it, early data off, or the handshake has gone past it).
    pub fn early_data_room(&self) -> Option<usize> {
        self.early_send
    }

    /// Copies received application data into `buf`. Data received before
    /// an error comes first, then the error. Reading can free records that
    /// were held back, and their processing can produce bytes to write (a
    /// KeyUpdate answer): check [`Connection::pending_tls`] afterwards.
    pub fn recv(&mut self, buf: &mut [u8]) -> Result<Received, Error> {
        if self.received_len() == 0 {
            if let Some(e) = &self.error {
                return Err(e.clone());
            }
            if self.peer_closed {
                return Ok(Received::Closed);
            }
            return Ok(Received::Nothing);
        }
        let mut n = self.deframer.take_held(buf);
        n += self.received.read_into(&mut buf[n..]);
        self.resume_after_read();
        Ok(Received::Data(n))
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
        self.resume_after_read();
    }

    /// Records held back while the receive buffer was full go on now.
    fn resume_after_read(&mut self) {
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

    /// Ends our sending side with close_notify (RFC 8446 §6.1): nothing
    /// more can be sent, while the peer's data can still be read. Before
    /// the handshake ends, close_notify waits until the handshake and the
    /// data queued before it are out. Closing twice is not an error; a
    /// failed connection returns its error.
    pub fn send_close_notify(&mut self) -> Result<(), Error> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        if self.sent_close || self.close_requested {
            return Ok(());
        }
        if !self.handshake_done {
            self.close_requested = true;
            return Ok(());
        }
        let r = self.write_close_notify();
        self.check(r)
    }

    /// Ends the connection at once with the fatal `alert` (RFC 8446
    /// §6.2): for an application that refuses its peer, during the
    /// handshake or after it (`access_denied` for a client whose
    /// certificate its authorisation rejects, say). The alert waits in
    /// [`Connection::pending_tls`], protected as a record would be now;
    /// nothing more is sent or accepted, and every later call returns the
    /// error given back, [`Error::Aborted`]. On a connection that had
    /// already failed, nothing is sent and its first error is returned.
    /// `alert` is meant to be an error alert: to end the connection
    /// cleanly, [`Connection::send_close_notify`] is the call.
    pub fn abort(&mut self, alert: AlertDescription) -> Error {
        let e = self.fail(Error::Aborted(alert));
        self.error.clone().unwrap_or(e)
    }

    /// Whether the peer sent close_notify.
    pub fn peer_has_closed(&self) -> bool {
        self.peer_closed
    }

    /// Updates our sending keys (TLS 1.3 KeyUpdate), asking the peer to do
    /// the same if `request_peer`.
    pub fn key_update(&mut self, request_peer: bool) -> Result<(), Error> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        let r = self.send_key_update(request_peer);
        self.check(r)
    }

    /// The error that ended the connection, if one did.
    pub fn error(&self) -> Option<&Error> {
        self.error.as_ref()
    }

    /// The events recorded since the last call, if the configuration
    /// asked for a trace (`trace(true)`); at most [`TRACE_LIMIT`] events
    /// and [`TRACE_BYTES_LIMIT`] bytes of messages are kept.
    pub fn take_trace(&mut self) -> Vec<TraceEvent> {
        self.trace.as_mut().map(Tracer::take).unwrap_or_default()
    }

    /// Sets the sequence number of the next record we protect, so that a
    /// test reaches a key's limit (RFC 8446 §5.5) without sending millions
    /// of records. Test kit only.
    #[cfg(feature = "testkit")]
    pub fn set_write_sequence(&mut self, seq: u64) {
        if let Some(s) = &mut self.sealer {
            s.set_sequence(seq);
        }
    }

    /// Sets the sequence number of the next record we open, to match a
    /// peer moved with [`Connection::set_write_sequence`]. Test kit only.
    #[cfg(feature = "testkit")]
    pub fn set_read_sequence(&mut self, seq: u64) {
        if let Some(o) = &mut self.opener {
            o.set_sequence(seq);
        }
    }

    fn record(&mut self, e: TraceEvent) {
        if let Some(t) = &mut self.trace {
            t.push(e);
        }
    }

    /// An error from one of our own operations: a fatal one fails the
    /// connection (its alert goes out), one about the caller's request does
    /// not.
    fn check<T>(&mut self, r: Result<T, Error>) -> Result<T, Error> {
        match r {
            Ok(v) => Ok(v),
            Err(e @ Error::InvalidState(_)) => Err(e),
            Err(e) => Err(self.fail(e)),
        }
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
        let mut conn = Connection::new(true, config.max_fragment_len, config.trace);
        conn.policy = config.policy.map(crate::config::Policy::name);
        #[cfg(feature = "testkit")]
        {
            conn.shaper = config.shaper.clone();
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
        let mut conn = Connection::new(false, config.max_fragment_len, config.trace);
        conn.policy = config.policy.map(crate::config::Policy::name);
        #[cfg(feature = "testkit")]
        {
            conn.shaper = config.shaper.clone();
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
