//! The handshake state machines: client and server, TLS 1.3 and 1.2.
//!
//! Each handshake is a sequence of states named for what they wait for.
//! Which messages each state accepts is written down once, as data, in
//! [`table`]; the connection checks every incoming message against that
//! table before the state sees it. A state takes one message (decoded, with
//! its raw bytes for the transcript) and returns the next state, emitting
//! [`Command`]s that the connection carries out in order: messages to send,
//! key changes, the end of the handshake. A message is sent and added to
//! the transcript in one call ([`Context::send`]). No state sees a record
//! or a socket.
//!
//! The modules, in the order a handshake runs:
//! - `client_hello` builds and sends the ClientHello; `client` reads the
//!   ServerHello that picks the version; `client13` and `client12` run the
//!   rest; `client_common` holds what both client versions share.
//! - `server` reads the ClientHello and picks the version; `server13`
//!   (with `server13_psk`, `server13_flight` and `server13_finish`) and
//!   `server12` answer it;
//!   `server_common` holds the choices both versions make.
//! - `tls13` and `tls12` hold what a version's client and server share (the
//!   TLS 1.3 traffic secrets and KeyUpdate; the TLS 1.2 key block and the
//!   connected state); `common` what every handshake uses.

mod cert_compression;
mod cert_types;
mod client;
mod client12;
mod client13;
mod client_common;
mod client_hello;
mod common;
mod context;
mod ech;
mod ech_client;
mod hello_info;
mod server;
mod server12;
mod server13;
mod server13_finish;
mod server13_flight;
mod server13_psk;
mod server_common;
pub(crate) mod table;
mod tls12;
mod tls13;
mod transcript;

pub(crate) use client_hello::start_client;
pub(crate) use common::Exporter;
pub(crate) use context::Context;
#[cfg(feature = "testkit")]
pub(crate) use ech::{decode_inner as decode_ech_inner, encode_inner as encode_ech_inner};
pub use hello_info::ClientHelloInfo;
pub(crate) use server::{quic_no_application_protocol, start_server};
pub(crate) use table::StateId;

use crate::crypto::{Secret, SupportedSuite};
use crate::error::Error;
use crate::msgs::enums::{
    AlertDescription, CertificateType, NamedGroup, ProtocolVersion, SignatureScheme,
};
use crate::msgs::handshake::HandshakeMessage;
use crate::record::{RecordOpener, RecordSealer};
use crate::verify::{PeerKey, SubjectPublicKeyInfoDer};
use pki_types::CertificateDer;

/// What the connection must do for the handshake, in order.
pub(crate) enum Command {
    /// Send the next this-many bytes of the context's message buffer (an
    /// encoded handshake message) under the current write keys.
    Send(usize),
    /// Send a ChangeCipherSpec record (always unprotected in TLS 1.3).
    SendCcs,
    /// Protect what follows with these keys (boxed: a key schedule is
    /// hundreds of bytes, which every command would otherwise carry).
    WriteKeys(Box<RecordSealer>),
    /// Open what follows with these keys.
    ReadKeys(Box<RecordOpener>),
    /// The handshake is complete.
    Done,
    /// The peer's TLS 1.3 KeyUpdate was processed.
    KeyUpdated,
    /// Send a warning alert (no_renegotiation).
    SendWarning(AlertDescription),
    /// Send what follows unprotected (a second ClientHello after 0-RTT).
    ClearWriteKeys,
    /// Server: application data may go out before the handshake ends
    /// (0.5-RTT, under the application keys just installed).
    HalfRttData,
    /// Client, TLS 1.2: our Finished is out and False Start applies (RFC
    /// 7918): application data may go out before the server's Finished.
    FalseStart,
    /// Client: early data may be sent, up to this many bytes; `None` ends it.
    EarlySend(Option<usize>),
    /// Client: the server accepted (true) or rejected (false) early data.
    EarlyDataResult(bool),
    /// Server: accept up to this many bytes of early data before the
    /// handshake ends; `None` ends it (EndOfEarlyData came).
    EarlyReceive(Option<usize>),
    /// Server: early data was rejected; records that fail to decrypt are
    /// skipped, up to this many bytes (RFC 8446 §4.2.10).
    SkipEarlyData(usize),
    /// A secret was derived, under its SSLKEYLOGFILE label (for a trace
    /// whose configuration asked for secrets through `danger`).
    Secret(&'static str, Secret),
    /// ClientHelloInner, sent inside ClientHelloOuter (`sent`) or opened
    /// from it, for the trace.
    ClientHelloInner { message: Vec<u8>, sent: bool },
    /// Fail the connection with this error, after the commands before it
    /// (a client whose ECH was rejected finishes its flight, then aborts
    /// with ech_required, RFC 9849 §6.1.6).
    Fail(Error),
}

impl Command {
    /// Protect what follows with `sealer`.
    pub(crate) fn write_keys(sealer: RecordSealer) -> Command {
        Command::WriteKeys(Box::new(sealer))
    }

    /// Open what follows with `opener`.
    pub(crate) fn read_keys(opener: RecordOpener) -> Command {
        Command::ReadKeys(Box::new(opener))
    }
}

/// QUIC (RFC 9001 §8.2): the transport parameters that a handshake run for
/// QUIC carries in quic_transport_parameters, opaque to TLS. A handshake
/// whose [`Negotiated::quic`] is set runs QUIC's rules (RFC 9001 §8): the
/// extension both ways, no EndOfEarlyData.
#[derive(Debug, Clone, Default)]
pub(crate) struct QuicTransport {
    /// The QUIC version: tickets serve only the version that issued them
    /// (RFC 9369 §5).
    pub(crate) version: u32,
    /// Ours, sent in the ClientHello or the EncryptedExtensions.
    pub(crate) local: Vec<u8>,
    /// The peer's, once received; a client offering 0-RTT holds the ones
    /// remembered with the ticket until the server's arrive (RFC 9000
    /// §7.4.1).
    pub(crate) peer: Option<Vec<u8>>,
    /// A client offering 0-RTT: the ticket's suite, whose AEAD protects
    /// the early data.
    pub(crate) early_suite: Option<&'static crate::crypto::Tls13Suite>,
    /// A server: the digest of the early data context its tickets carry,
    /// and which 0-RTT must find in the ticket (RFC 9001 §4.6.1).
    pub(crate) early_context: Option<[u8; 32]>,
}

/// What the handshake has negotiated so far.
#[derive(Debug, Clone, Default)]
pub(crate) struct Negotiated {
    pub(crate) version: Option<ProtocolVersion>,
    pub(crate) suite: Option<SupportedSuite>,
    pub(crate) group: Option<NamedGroup>,
    pub(crate) alpn: Option<Vec<u8>>,
    pub(crate) sni: Option<String>,
    /// An IP address literal the client sent as its server name, ignored
    /// (RFC 6066 §3).
    pub(crate) ignored_server_name: Option<String>,
    pub(crate) peer_certs: Vec<CertificateDer<'static>>,
    /// The peer's raw public key, when it authenticated with one (RFC
    /// 7250); `peer_certs` is empty then.
    pub(crate) peer_raw_public_key: Option<SubjectPublicKeyInfoDer<'static>>,
    /// The type of the server's Certificate (RFC 7250 §4.2): X.509 unless
    /// server_certificate_type chose another.
    pub(crate) server_cert_type: CertificateType,
    /// The type of the client's Certificate, likewise.
    pub(crate) client_cert_type: CertificateType,
    pub(crate) peer_signature_scheme: Option<SignatureScheme>,
    /// The certificate and key we authenticated with, if we did.
    pub(crate) own_cert: Option<crate::config::CertifiedKey>,
    pub(crate) resumed: bool,
    /// The identity of the external PSK that authenticated the peer, in
    /// this handshake or the one whose session it resumed.
    pub(crate) external_psk: Option<Vec<u8>>,
    pub(crate) hello_retry: bool,
    pub(crate) exporter: Option<Exporter>,
    /// TLS 1.2: the handshake's first Finished verify_data (tls-unique,
    /// RFC 5929 §3.1).
    pub(crate) tls_unique: Option<Vec<u8>>,
    /// A TLS 1.3 server resuming with a ticket: the client's idea of the
    /// ticket's age minus ours, in seconds.
    pub(crate) ticket_age_skew: Option<i64>,
    pub(crate) peer_record_size_limit: Option<u16>,
    /// The record_size_limit we announced and the peer acknowledged
    /// (RFC 8449 §4): the largest plaintext the peer may send us.
    pub(crate) own_record_size_limit: Option<u16>,
    pub(crate) extended_master_secret: bool,
    /// Whether 0-RTT data was accepted, once known (None: not offered).
    pub(crate) early_data: Option<bool>,
    /// Why 0-RTT was accepted or not, once known.
    pub(crate) early_data_reason: Option<crate::config::EarlyDataReason>,
    pub(crate) early_exporter: Option<Exporter>,
    /// The OCSP response the server stapled, if any.
    pub(crate) ocsp_response: Option<Vec<u8>>,
    /// The SignedCertificateTimestampList the server sent, if any.
    pub(crate) sct_list: Option<Vec<u8>>,
    /// What became of Encrypted Client Hello.
    pub(crate) ech: crate::config::EchStatus,
    /// The public name of the ECH config offered (client).
    pub(crate) ech_public_name: Option<String>,
    /// Set when the handshake runs for QUIC (RFC 9001).
    pub(crate) quic: Option<QuicTransport>,
}

impl Negotiated {
    /// The certificate type of what the peer of `us` sends: its TLS 1.2
    /// Certificate is decoded in that form (RFC 7250 §3).
    pub(crate) fn peer_cert_type(&self, us: crate::msgs::Role) -> CertificateType {
        match us {
            crate::msgs::Role::Client => self.server_cert_type,
            crate::msgs::Role::Server => self.client_cert_type,
        }
    }

    /// The key the peer authenticated with, for its handshake signature.
    pub(crate) fn peer_key(&self) -> Result<PeerKey<'_>, Error> {
        match (&self.peer_raw_public_key, self.peer_certs.first()) {
            (Some(k), _) => Ok(PeerKey::Raw(k)),
            (None, Some(c)) => Ok(PeerKey::Certificate(c)),
            (None, None) => Err(Error::Internal("a handshake signature without a peer key")),
        }
    }
}

/// One state of a handshake: a row of [`table`].
pub(crate) trait State: Send + Sync {
    /// The row of the table that says what this state accepts.
    fn id(&self) -> StateId;

    /// Handles one handshake message of a type that the table allows in
    /// this state; `raw` is its encoding as received.
    fn handle(
        self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage,
        raw: &[u8],
    ) -> Result<Box<dyn State>, Error>;

    /// Handles the ChangeCipherSpec that the table says this state expects
    /// (TLS 1.2 only; the connection deals with every other one).
    fn handle_ccs(self: Box<Self>, _cx: &mut Context<'_>) -> Result<Box<dyn State>, Error> {
        Err(Error::Internal(
            "a ChangeCipherSpec in a state that takes none",
        ))
    }

    /// Application data arrived (resets flood counters).
    fn on_application_data(&mut self) {}

    /// We sent application data.
    fn on_application_data_sent(&mut self) {}

    /// Sends a TLS 1.3 KeyUpdate (only once connected).
    fn send_key_update(&mut self, _cx: &mut Context<'_>, _request_peer: bool) -> Result<(), Error> {
        Err(Error::InvalidState(
            "a key update needs a connected TLS 1.3 session",
        ))
    }
}
