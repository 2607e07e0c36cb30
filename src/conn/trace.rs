//! The event trace: what crossed the wire and what was derived, in order,
//! so that a harness or a person can see where two implementations part
//! ways.

use crate::msgs::alert::Alert;
use crate::msgs::enums::{ContentType, HandshakeType};
use std::collections::VecDeque;
use std::fmt::Write;

/// The most events a trace keeps; older ones are dropped.
pub const TRACE_LIMIT: usize = 4096;
/// The most bytes of messages and secrets a trace keeps; older events are
/// dropped to stay under it.
pub const TRACE_BYTES_LIMIT: usize = 256 * 1024;

/// One event of a connection's trace.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TraceEvent {
    /// A record arrived: its outer content type and length.
    RecordIn {
        /// The content type in the record header.
        typ: ContentType,
        /// The record body's length.
        len: usize,
    },
    /// A record went out.
    RecordOut {
        /// The content type in the record header.
        typ: ContentType,
        /// The record body's length.
        len: usize,
    },
    /// A whole handshake message arrived.
    MessageIn {
        /// Its type.
        typ: HandshakeType,
        /// Its encoding, header included.
        bytes: Vec<u8>,
    },
    /// A whole handshake message went out.
    MessageOut {
        /// Its type.
        typ: HandshakeType,
        /// Its encoding, header included.
        bytes: Vec<u8>,
    },
    /// ClientHelloInner, opened from a ClientHelloOuter's
    /// encrypted_client_hello (RFC 9849 §7.1): a server's side.
    ClientHelloInnerIn {
        /// Its encoding as a handshake message, as the transcript holds it.
        bytes: Vec<u8>,
    },
    /// ClientHelloInner, sealed into the ClientHelloOuter that follows
    /// (RFC 9849 §6.1): a client's side.
    ClientHelloInnerOut {
        /// Its encoding as a handshake message, as the transcript holds it.
        bytes: Vec<u8>,
    },
    /// An alert arrived.
    AlertIn(Alert),
    /// An alert went out.
    AlertOut(Alert),
    /// A ChangeCipherSpec arrived.
    ChangeCipherSpecIn,
    /// A ChangeCipherSpec went out.
    ChangeCipherSpecOut,
    /// A secret was derived, under its SSLKEYLOGFILE label (only in a
    /// trace that `danger::trace_secrets_*` asked for).
    Secret {
        /// The label (`CLIENT_HANDSHAKE_TRAFFIC_SECRET`, ...).
        label: &'static str,
        /// The secret.
        secret: Vec<u8>,
    },
    /// New keys protect what we read from now on.
    ReadKeysChanged,
    /// New keys protect what we write from now on.
    WriteKeysChanged,
    /// The handshake state machine moved to this state.
    State(&'static str),
}

impl TraceEvent {
    /// The bytes the event holds (a message's, a secret's).
    fn size(&self) -> usize {
        match self {
            TraceEvent::MessageIn { bytes, .. }
            | TraceEvent::MessageOut { bytes, .. }
            | TraceEvent::ClientHelloInnerIn { bytes }
            | TraceEvent::ClientHelloInnerOut { bytes } => bytes.len(),
            TraceEvent::Secret { secret, .. } => secret.len(),
            _ => 0,
        }
    }
}

/// A connection's trace: the newest events, bounded in number and bytes.
#[derive(Debug, Default)]
pub(super) struct Tracer {
    events: VecDeque<TraceEvent>,
    bytes: usize,
}

impl Tracer {
    pub(super) fn push(&mut self, e: TraceEvent) {
        self.bytes += e.size();
        self.events.push_back(e);
        while self.events.len() > TRACE_LIMIT || self.bytes > TRACE_BYTES_LIMIT {
            match self.events.pop_front() {
                Some(old) => self.bytes -= old.size(),
                None => break,
            }
        }
    }

    pub(super) fn take(&mut self) -> Vec<TraceEvent> {
        self.bytes = 0;
        self.events.drain(..).collect()
    }
}

/// The key exchange groups a hello names in key_share (RFC 8446 §4.2.8:
/// a ClientHello's shares, a ServerHello's share, a HelloRetryRequest's
/// group), for the ladder: `", key_share X25519MLKEM768"`; empty for
/// other messages.
fn key_shares(typ: HandshakeType, bytes: &[u8]) -> String {
    use crate::msgs::enums::{ExtensionType, ProtocolVersion};
    use crate::msgs::extensions::Extension;
    use crate::msgs::handshake::{HandshakeMessage, HandshakePayload};
    if typ != HandshakeType::CLIENT_HELLO && typ != HandshakeType::SERVER_HELLO {
        return String::new();
    }
    let Ok(m) = HandshakeMessage::decode(bytes, ProtocolVersion::TLSV1_3) else {
        return String::new();
    };
    let share = match &m.payload {
        HandshakePayload::ClientHello(ch) => ch.extension(ExtensionType::KEY_SHARE),
        HandshakePayload::ServerHello(sh) => sh.extension(ExtensionType::KEY_SHARE),
        _ => None,
    };
    let groups: Vec<String> = match share {
        Some(Extension::KeyShareClient(shares)) => {
            shares.iter().map(|e| format!("{:?}", e.group)).collect()
        }
        Some(Extension::KeyShareServer(e)) => vec![format!("{:?}", e.group)],
        Some(Extension::KeyShareHelloRetryRequest(g)) => vec![format!("{g:?}")],
        _ => return String::new(),
    };
    format!(", key_share {}", groups.join(", "))
}

/// Draws `events` as a ladder diagram between the client and the server,
/// from the side `we_are_client` says.
pub fn ladder(events: &[TraceEvent], we_are_client: bool) -> String {
    let (us, them) = if we_are_client {
        ("client", "server")
    } else {
        ("server", "client")
    };
    let mut s = String::new();
    let _ = writeln!(s, "{us:<28}{them:>28}");
    let out = |label: String| format!("  {label:<44}--->");
    let inn = |label: String| format!("  {:<44}<---", label);
    for e in events {
        let line = match e {
            TraceEvent::MessageOut { typ, bytes } => out(format!(
                "{typ:?} ({} bytes{})",
                bytes.len(),
                key_shares(*typ, bytes)
            )),
            TraceEvent::MessageIn { typ, bytes } => inn(format!(
                "{typ:?} ({} bytes{})",
                bytes.len(),
                key_shares(*typ, bytes)
            )),
            TraceEvent::ClientHelloInnerOut { bytes } => {
                out(format!("  (ClientHelloInner, {} bytes)", bytes.len()))
            }
            TraceEvent::ClientHelloInnerIn { bytes } => {
                inn(format!("  (ClientHelloInner, {} bytes)", bytes.len()))
            }
            TraceEvent::RecordOut { typ, len } => out(format!("  [record {typ:?}, {len} bytes]")),
            TraceEvent::RecordIn { typ, len } => inn(format!("  [record {typ:?}, {len} bytes]")),
            TraceEvent::AlertOut(a) => out(format!("alert {:?} {:?}", a.level, a.description)),
            TraceEvent::AlertIn(a) => inn(format!("alert {:?} {:?}", a.level, a.description)),
            TraceEvent::ChangeCipherSpecOut => out("ChangeCipherSpec".into()),
            TraceEvent::ChangeCipherSpecIn => inn("ChangeCipherSpec".into()),
            TraceEvent::Secret { label, secret } => {
                format!("  | {label} {}", hex::encode(secret))
            }
            TraceEvent::ReadKeysChanged => "  | read keys changed".into(),
            TraceEvent::WriteKeysChanged => "  | write keys changed".into(),
            TraceEvent::State(name) => format!("  | state: {name}"),
        };
        s.push_str(&line);
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trace_is_bounded_in_events_and_bytes() {
        let mut t = Tracer::default();
        for _ in 0..10 {
            t.push(TraceEvent::MessageOut {
                typ: HandshakeType::CERTIFICATE,
                bytes: vec![0; 80_000],
            });
        }
        let kept = t.take();
        let bytes: usize = kept.iter().map(|e| e.size()).sum();
        assert!(
            bytes <= TRACE_BYTES_LIMIT && kept.len() == 3,
            "{}",
            kept.len()
        );
        for _ in 0..TRACE_LIMIT + 10 {
            t.push(TraceEvent::ReadKeysChanged);
        }
        assert_eq!(t.take().len(), TRACE_LIMIT);
    }
}
