//! The handshake state machines: client and server, TLS 1.3 and 1.2. A
//! state takes one handshake message (decoded, with its raw bytes for the
//! transcript) and returns the next state, emitting [`Command`]s that the
//! connection carries out in order: messages to send, key changes, the
//! end of the handshake. It never sees a record or a socket.

// First: its macro serves the modules after it.
#[macro_use]
mod traffic13;
mod client;
mod client12;
mod client13;
mod server;
mod server12;
mod server13;
mod transcript;

pub(crate) use client::start_client;
pub(crate) use server::start_server;

use crate::crypto::hash::constant_time_eq;
use crate::crypto::{HashAlgorithm, Secret, SupportedSuite, Tls12Suite, Tls13Suite};
use crate::danger::replay::MessageShaper;
use crate::error::Error;
use crate::key_schedule::{tls12, tls13};
use crate::msgs::enums::{
    AlertDescription, ExtensionType, HandshakeType, NamedGroup, ProtocolVersion, SignatureScheme,
};
use crate::msgs::extensions::Extension;
use crate::msgs::handshake::{ClientHello, DigitallySigned, HandshakeMessage, HandshakePayload};
use crate::record::{RecordOpener, RecordSealer};
use pki_types::CertificateDer;
use std::sync::Arc;

/// What the connection must do for the handshake, in order.
pub(crate) enum Command {
    /// Send an encoded handshake message under the current write keys.
    Send(Vec<u8>),
    /// Send a ChangeCipherSpec record (always unprotected in TLS 1.3).
    SendCcs,
    /// Protect what follows with these keys.
    WriteKeys(RecordSealer),
    /// Open what follows with these keys.
    ReadKeys(RecordOpener),
    /// The handshake is complete.
    Done,
    /// The peer's TLS 1.3 KeyUpdate was processed.
    KeyUpdated,
    /// Send a warning alert (no_renegotiation).
    SendWarning(AlertDescription),
    /// Send what follows unprotected (a second ClientHello after 0-RTT).
    ClearWriteKeys,
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
    /// A secret was derived (for the trace), under its SSLKEYLOGFILE label.
    Secret(&'static str, Secret),
}

/// How the exporter of RFC 5705 / RFC 8446 §7.5 is computed.
#[derive(Debug, Clone)]
pub(crate) enum Exporter {
    Tls13 {
        hash: HashAlgorithm,
        secret: Secret,
    },
    Tls12 {
        hash: HashAlgorithm,
        master_secret: Secret,
        client_random: [u8; 32],
        server_random: [u8; 32],
    },
}

impl Exporter {
    pub(crate) fn export(
        &self,
        label: &[u8],
        context: Option<&[u8]>,
        len: usize,
    ) -> Result<Vec<u8>, Error> {
        match self {
            Exporter::Tls13 { hash, secret } => {
                Ok(
                    tls13::export(*hash, secret.as_bytes(), label, context.unwrap_or(&[]), len)
                        .as_bytes()
                        .to_vec(),
                )
            }
            Exporter::Tls12 {
                hash,
                master_secret,
                client_random,
                server_random,
            } => {
                // RFC 5705 §4: labels that the PRF itself uses are reserved.
                let reserved: [&[u8]; 5] = [
                    b"client finished",
                    b"server finished",
                    b"master secret",
                    b"key expansion",
                    b"extended master secret",
                ];
                if reserved.contains(&label) {
                    return Err(Error::InvalidState("that exporter label is reserved"));
                }
                if context.is_some_and(|c| c.len() > 0xffff) {
                    return Err(Error::InvalidState(
                        "exporter context longer than 65535 bytes",
                    ));
                }
                Ok(tls12::export(
                    *hash,
                    master_secret.as_bytes(),
                    label,
                    client_random,
                    server_random,
                    context,
                    len,
                )
                .as_bytes()
                .to_vec())
            }
        }
    }
}

/// What the handshake has negotiated so far.
#[derive(Debug, Clone, Default)]
pub(crate) struct Negotiated {
    pub(crate) version: Option<ProtocolVersion>,
    pub(crate) suite: Option<SupportedSuite>,
    pub(crate) group: Option<NamedGroup>,
    pub(crate) alpn: Option<Vec<u8>>,
    pub(crate) sni: Option<String>,
    pub(crate) peer_certs: Vec<CertificateDer<'static>>,
    pub(crate) peer_signature_scheme: Option<SignatureScheme>,
    pub(crate) resumed: bool,
    pub(crate) hello_retry: bool,
    pub(crate) exporter: Option<Exporter>,
    pub(crate) peer_record_size_limit: Option<u16>,
    pub(crate) extended_master_secret: bool,
    /// Whether 0-RTT data was accepted, once known (None: not offered).
    pub(crate) early_data: Option<bool>,
    pub(crate) early_exporter: Option<Exporter>,
    /// The OCSP response the server stapled, if any.
    pub(crate) ocsp_response: Option<Vec<u8>>,
    /// The SignedCertificateTimestampList the server sent, if any.
    pub(crate) sct_list: Option<Vec<u8>>,
}

/// What a state gets besides the message.
pub(crate) struct Context<'a> {
    pub(crate) out: &'a mut Vec<Command>,
    pub(crate) info: &'a mut Negotiated,
    /// Whether the connection records a trace (secrets are then reported).
    pub(crate) tracing: bool,
}

impl Context<'_> {
    /// Queues `msg` to be sent; returns its encoding, for the transcript.
    pub(crate) fn send(&mut self, msg: &HandshakeMessage) -> &[u8] {
        self.out.push(Command::Send(msg.encoding()));
        match self.out.last() {
            Some(Command::Send(bytes)) => bytes,
            _ => &[],
        }
    }
}

/// One state of a handshake.
pub(crate) trait State: Send + Sync {
    /// Handles one handshake message; `raw` is its encoding as received.
    fn handle(
        self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage,
        raw: &[u8],
    ) -> Result<Box<dyn State>, Error>;

    /// Handles a ChangeCipherSpec. TLS 1.3 states drop it during the
    /// handshake (RFC 8446 §5); TLS 1.2 states expect it before Finished.
    fn handle_ccs(self: Box<Self>, _cx: &mut Context<'_>) -> Result<Box<dyn State>, Error>;

    /// The version whose message forms to decode with.
    fn version(&self) -> ProtocolVersion;

    /// The state's name, for the trace.
    fn name(&self) -> &'static str {
        let full = std::any::type_name::<Self>();
        full.rsplit("::").next().unwrap_or(full)
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

/// Whether a client (`from_client`) or a server ever sends a handshake
/// message of type `typ` (RFC 8446 §4, RFC 5246 §7.4). A message no peer
/// in that role sends is unexpected_message before it is parsed, whatever
/// its body holds.
pub(crate) fn role_sends(typ: HandshakeType, from_client: bool) -> bool {
    use HandshakeType as T;
    match typ {
        T::CERTIFICATE | T::CERTIFICATE_VERIFY | T::FINISHED | T::KEY_UPDATE => true,
        T::CLIENT_HELLO | T::END_OF_EARLY_DATA | T::CLIENT_KEY_EXCHANGE => from_client,
        T::HELLO_REQUEST
        | T::SERVER_HELLO
        | T::NEW_SESSION_TICKET
        | T::ENCRYPTED_EXTENSIONS
        | T::SERVER_KEY_EXCHANGE
        | T::CERTIFICATE_REQUEST
        | T::SERVER_HELLO_DONE
        | T::CERTIFICATE_STATUS => !from_client,
        _ => false,
    }
}

/// The error for a message that the current state does not expect.
pub(crate) fn unexpected(msg: &HandshakeMessage, expecting: &str) -> Error {
    Error::peer(
        AlertDescription::UNEXPECTED_MESSAGE,
        format!("received {:?} while expecting {expecting}", msg.typ),
    )
}

/// The CCS-tolerating behaviour of TLS 1.3 handshake states.
pub(crate) fn tls13_ccs<S: State + 'static>(state: Box<S>) -> Result<Box<dyn State>, Error> {
    Ok(state)
}

/// The TLS 1.2 key block split into (client write, server write) keys
/// (RFC 5246 §6.3).
pub(crate) fn tls12_keys(
    suite: &Tls12Suite,
    master_secret: &Secret,
    client_random: &[u8; 32],
    server_random: &[u8; 32],
    client: bool,
) -> Result<(RecordSealer, RecordOpener), Error> {
    let key_len = suite.aead.key_len();
    let iv_len = suite.aead.tls12_fixed_iv_len();
    let block = tls12::key_block(
        suite.hash,
        master_secret.as_bytes(),
        client_random,
        server_random,
        2 * key_len + 2 * iv_len,
    );
    let b = block.as_bytes();
    let (client_key, rest) = b.split_at(key_len);
    let (server_key, rest) = rest.split_at(key_len);
    let (client_iv, server_iv) = rest.split_at(iv_len);
    if client {
        Ok((
            RecordSealer::tls12(suite.aead, client_key, client_iv)?,
            RecordOpener::tls12(suite.aead, server_key, server_iv)?,
        ))
    } else {
        Ok((
            RecordSealer::tls12(suite.aead, server_key, server_iv)?,
            RecordOpener::tls12(suite.aead, client_key, client_iv)?,
        ))
    }
}

/// The bytes a TLS 1.2 ServerKeyExchange signs: client_random,
/// server_random, ServerECDHParams (RFC 8422 §5.4).
pub(crate) fn tls12_signed_params(
    client_random: &[u8; 32],
    server_random: &[u8; 32],
    params: &crate::msgs::handshake::EcdheParams,
) -> Vec<u8> {
    use crate::codec::Codec;
    let mut m = Vec::with_capacity(64 + 4 + params.public.len());
    m.extend_from_slice(client_random);
    m.extend_from_slice(server_random);
    m.extend_from_slice(&params.get_encoding());
    m
}

/// Whether a TLS 1.2 signature scheme fits a suite's authentication
/// (RFC 8422 §5.1.1: ECDSA suites take ECDSA or EdDSA).
pub(crate) fn tls12_scheme_fits(
    scheme: SignatureScheme,
    sign: crate::crypto::sign::KeyKind,
) -> bool {
    use crate::crypto::sign::KeyKind;
    let rsa = matches!(
        scheme,
        SignatureScheme::RSA_PKCS1_SHA256
            | SignatureScheme::RSA_PKCS1_SHA384
            | SignatureScheme::RSA_PKCS1_SHA512
            | SignatureScheme::RSA_PSS_RSAE_SHA256
            | SignatureScheme::RSA_PSS_RSAE_SHA384
            | SignatureScheme::RSA_PSS_RSAE_SHA512
    );
    match sign {
        KeyKind::Rsa => rsa,
        KeyKind::Ecdsa | KeyKind::Ed25519 => !rsa,
    }
}

/// Keys for one direction of TLS 1.3 traffic.
pub(crate) fn tls13_sealer(suite: &Tls13Suite, secret: &Secret) -> Result<RecordSealer, Error> {
    let (key, iv) = tls13::traffic_key_iv(suite.hash, suite.aead, secret.as_bytes());
    RecordSealer::tls13(suite.aead, key.as_bytes(), iv)
}

/// Checks a peer's Finished against the value we computed: a length other
/// than the suite's makes the message undecodable (decode_error), a wrong
/// value is decrypt_error (RFC 8446 §4.4.4, RFC 5246 §7.4.9).
pub(crate) fn check_finished(expected: &[u8], got: &[u8], peer: &str) -> Result<(), Error> {
    if got.len() != expected.len() {
        return Err(Error::peer(
            AlertDescription::DECODE_ERROR,
            format!(
                "the {peer}'s Finished is {} bytes; the suite's hash makes it {}",
                got.len(),
                expected.len()
            ),
        ));
    }
    if !constant_time_eq(expected, got) {
        return Err(Error::peer(
            AlertDescription::DECRYPT_ERROR,
            format!("the {peer}'s Finished is wrong"),
        ));
    }
    Ok(())
}

/// Keys for the other direction of TLS 1.3 traffic.
pub(crate) fn tls13_opener(suite: &Tls13Suite, secret: &Secret) -> Result<RecordOpener, Error> {
    let (key, iv) = tls13::traffic_key_iv(suite.hash, suite.aead, secret.as_bytes());
    RecordOpener::tls13(suite.aead, key.as_bytes(), iv)
}

/// Checks a peer's extensions against what we offered: one we never
/// offered is unsupported_extension (RFC 8446 §4.2); one we know but that
/// does not belong in this message is illegal_parameter.
pub(crate) fn check_response_extensions(
    exts: &[Extension],
    offered: &[ExtensionType],
    message: &str,
) -> Result<(), Error> {
    for e in exts {
        let typ = e.typ();
        if !offered.contains(&typ) {
            return Err(Error::peer(
                AlertDescription::UNSUPPORTED_EXTENSION,
                format!("the peer sent {typ:?} in {message}, which we did not offer"),
            ));
        }
        if let Extension::Unknown { .. } = e {
            return Err(Error::peer(
                AlertDescription::ILLEGAL_PARAMETER,
                format!("the peer sent {typ:?}, which is not allowed in {message}"),
            ));
        }
    }
    Ok(())
}

/// Checks one handshake signature: certificate, scheme, signed content,
/// signature (a verifier's `verify_handshake_signature`).
pub(crate) type SignatureCheck<'a> =
    dyn Fn(&CertificateDer<'_>, SignatureScheme, &[u8], &[u8]) -> Result<(), Error> + 'a;

/// Checks the peer's TLS 1.3 CertificateVerify over the transcript hash
/// with `verify` (RFC 8446 §4.4.3) and records the scheme; `from_server`
/// names who signed. The scheme was checked by the caller.
pub(crate) fn verify_tls13_certificate_verify(
    cx: &mut Context<'_>,
    cv: &DigitallySigned,
    from_server: bool,
    transcript_hash: &[u8],
    verify: &SignatureCheck<'_>,
) -> Result<(), Error> {
    let content = tls13_signed_content(from_server, transcript_hash);
    let cert = cx
        .info
        .peer_certs
        .first()
        .ok_or(Error::InvalidState("no peer certificate"))?;
    verify(cert, cv.scheme, &content, &cv.signature)?;
    cx.info.peer_signature_scheme = Some(cv.scheme);
    Ok(())
}

/// The context string and transcript hash that a TLS 1.3 CertificateVerify
/// signs (RFC 8446 §4.4.3), built without a heap allocation.
pub(crate) fn tls13_signed_content(server: bool, transcript_hash: &[u8]) -> SignedContent {
    let context: &[u8] = if server {
        b"TLS 1.3, server CertificateVerify"
    } else {
        b"TLS 1.3, client CertificateVerify"
    };
    let mut buf = [0x20u8; 64 + 34 + 64];
    let mut len = 64;
    for part in [context, &[0u8], transcript_hash] {
        let n = part.len().min(buf.len() - len);
        buf[len..len + n].copy_from_slice(&part[..n]);
        len += n;
    }
    SignedContent { buf, len }
}

/// What a TLS 1.3 CertificateVerify signs: 64 spaces, the context string,
/// a zero byte and the transcript hash.
pub(crate) struct SignedContent {
    buf: [u8; 64 + 34 + 64],
    len: usize,
}

impl std::ops::Deref for SignedContent {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }
}

/// Logs a secret if a key log is configured.
pub(crate) fn log_secret(
    cx: &mut Context<'_>,
    key_log: &Option<std::sync::Arc<dyn crate::config::KeyLog>>,
    label: &'static str,
    client_random: &[u8; 32],
    secret: &Secret,
) {
    if let Some(k) = key_log {
        k.log(label, client_random, secret.as_bytes());
    }
    if cx.tracing {
        cx.out.push(Command::Secret(label, secret.clone()));
    }
}

/// The most names [`list`] writes out; a peer can offer thousands.
const LIST_MAX: usize = 12;

/// Names in a list, for error messages: the first few, then how many more.
pub(crate) fn list<T: std::fmt::Debug>(items: &[T]) -> String {
    if items.is_empty() {
        return "nothing".into();
    }
    let mut out = items
        .iter()
        .take(LIST_MAX)
        .map(|i| format!("{i:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > LIST_MAX {
        out.push_str(&format!(" and {} more", items.len() - LIST_MAX));
    }
    out
}

/// `payload` after the configuration's shaper (`danger::replay`), if any.
/// A shaper that changes the message's type is refused.
pub(crate) fn shaped(
    shaper: &Option<Arc<dyn MessageShaper>>,
    payload: HandshakePayload,
) -> Result<HandshakeMessage, Error> {
    let mut msg = HandshakeMessage::new(payload);
    if let Some(shaper) = shaper {
        shaper.shape(&mut msg.payload);
        if msg.payload.typ() != msg.typ {
            return Err(Error::InvalidState(
                "a message shaper changed a message's type",
            ));
        }
    }
    Ok(msg)
}

/// A ClientHello after the configuration's shaper, if any.
pub(crate) fn shaped_client_hello(
    shaper: &Option<Arc<dyn MessageShaper>>,
    hello: ClientHello,
) -> Result<ClientHello, Error> {
    match shaped(shaper, HandshakePayload::ClientHello(hello))?.payload {
        HandshakePayload::ClientHello(h) => Ok(h),
        _ => Err(Error::InvalidState(
            "a message shaper changed a message's type",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_names_a_few_then_counts_the_rest() {
        assert_eq!(list::<u8>(&[]), "nothing");
        assert_eq!(list(&[1, 2]), "1, 2");
        let many: Vec<u16> = (0..500).collect();
        let text = list(&many);
        assert!(text.starts_with("0, 1, 2"), "{text}");
        assert!(text.ends_with("11 and 488 more"), "{text}");
    }
}
