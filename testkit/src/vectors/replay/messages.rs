//! The trace's handshake messages and each side's authentication, read
//! from a trace for the replay.

use super::hooks::*;
use super::Side;
use super::{has_psk_without_binders, Trace};
use cloaktls::crypto::HashAlgorithm;
use cloaktls::msgs::enums::{ExtensionType, HandshakeType, ProtocolVersion, SignatureScheme};
use cloaktls::msgs::extensions::Extension;
use cloaktls::msgs::handshake::tls13_signed_content;
use cloaktls::msgs::handshake::{HandshakeMessage, HandshakePayload, HELLO_RETRY_REQUEST_RANDOM};
use cloaktls::msgs::Role;

/// One handshake message of a trace: who sent it and its bytes.
#[derive(Debug, Clone)]
pub(super) struct TraceMessage {
    pub(super) from: Side,
    pub(super) bytes: Vec<u8>,
}

impl TraceMessage {
    pub(super) fn decode(&self) -> Result<HandshakeMessage, String> {
        HandshakeMessage::decode(&self.bytes, ProtocolVersion::TLSV1_3)
            .map_err(|e| format!("the trace's message does not decode: {e:?}"))
    }

    pub(super) fn typ(&self) -> HandshakeType {
        HandshakeType(self.bytes.first().copied().unwrap_or(0))
    }
}

/// The trace's handshake messages in order. RFC 8448 §4 prints its
/// ClientHello without binders; the whole one is the record's payload.
pub(super) fn messages(t: &Trace) -> Result<Vec<TraceMessage>, String> {
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
pub(super) fn transcript_hash(msgs: &[TraceMessage]) -> Vec<u8> {
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
pub(super) struct Identity {
    pub(super) side: Side,
    pub(super) cert: Vec<u8>,
    pub(super) scheme: SignatureScheme,
    pub(super) signature: Vec<u8>,
    pub(super) signed: Vec<u8>,
}

pub(super) fn identity(msgs: &[TraceMessage], side: Side) -> Result<Option<Identity>, String> {
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
    let signed = tls13_signed_content(
        if side == Side::Server {
            Role::Server
        } else {
            Role::Client
        },
        &transcript_hash(&msgs[..=at]),
    );
    Ok(Some(Identity {
        side,
        cert,
        scheme: cv.scheme,
        signature: cv.signature,
        signed: signed.to_vec(),
    }))
}

pub(super) const KEY_REASON: &str =
    "RFC 8448's 1024-bit RSA keys are below the 2048 bits that ring \
     and webpki accept";

impl Identity {
    /// Checks a signature the way a verifier would: the trace's signature,
    /// over the content computed from the trace's transcript.
    pub(super) fn check(
        &self,
        log: &SharedLog,
        scheme: SignatureScheme,
        message: &[u8],
        sig: &[u8],
    ) -> bool {
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

/// The PSK identity that the trace's first ClientHello offers, if any.
pub(super) fn offered_ticket(msgs: &[TraceMessage]) -> Option<Vec<u8>> {
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
pub(super) fn issues(msgs: &[TraceMessage], ticket: &[u8]) -> bool {
    msgs.iter().any(|m| {
        matches!(m.decode().map(|d| d.payload),
            Ok(HandshakePayload::NewSessionTicket13(nst)) if nst.ticket == ticket)
    })
}
