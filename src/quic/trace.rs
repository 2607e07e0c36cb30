//! A QUIC handshake's trace: the handshake messages at each encryption
//! level and the keys that each level change installs, drawn as a ladder.

use super::Level;
use crate::msgs::enums::HandshakeType;
use std::fmt::Write;

/// The most events a QUIC trace keeps; older ones are dropped.
pub const QUIC_TRACE_LIMIT: usize = 1024;

/// Which way keys protect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// What we read.
    Read,
    /// What we write.
    Write,
}

/// One event of a QUIC handshake's trace.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum QuicTraceEvent {
    /// A handshake message arrived in CRYPTO frames at `level`.
    MessageIn {
        /// The encryption level.
        level: Level,
        /// The message's type.
        typ: HandshakeType,
        /// Its length, header included.
        len: usize,
    },
    /// A handshake message went out at `level`.
    MessageOut {
        /// The encryption level.
        level: Level,
        /// The message's type.
        typ: HandshakeType,
        /// Its length, header included.
        len: usize,
    },
    /// Keys for `level` are in use in one direction.
    Keys {
        /// The level.
        level: Level,
        /// The direction.
        direction: Direction,
    },
    /// A secret was derived, under its SSLKEYLOGFILE label (only for a
    /// configuration that asked for secrets in its trace, through
    /// `danger`).
    Secret {
        /// The label.
        label: &'static str,
        /// The secret.
        secret: Vec<u8>,
    },
    /// The handshake state machine moved to this state.
    State(&'static str),
    /// The handshake completed.
    Complete,
    /// The handshake failed: the QUIC error code it closes with, and why.
    Failed {
        /// The CONNECTION_CLOSE error code.
        code: u64,
        /// What happened.
        reason: String,
    },
}

/// Draws `events` as a ladder between the client and the server, from the
/// side `we_are_client` says, each message tagged with its encryption
/// level.
pub fn quic_ladder(events: &[QuicTraceEvent], we_are_client: bool) -> String {
    let (us, them) = if we_are_client {
        ("client", "server")
    } else {
        ("server", "client")
    };
    let mut s = String::new();
    let _ = writeln!(s, "{us:<30}{them:>30}");
    for e in events {
        let line = match e {
            QuicTraceEvent::MessageOut { level, typ, len } => {
                format!("  {:<48}--->", format!("[{level:?}] {typ:?} ({len} bytes)"))
            }
            QuicTraceEvent::MessageIn { level, typ, len } => {
                format!("  {:<48}<---", format!("[{level:?}] {typ:?} ({len} bytes)"))
            }
            QuicTraceEvent::Keys { level, direction } => {
                let d = match direction {
                    Direction::Read => "read",
                    Direction::Write => "write",
                };
                format!("  | {d} keys: {level:?}")
            }
            QuicTraceEvent::Secret { label, secret } => {
                format!("  | {label} {}", hex::encode(secret))
            }
            QuicTraceEvent::State(name) => format!("  | state: {name}"),
            QuicTraceEvent::Complete => "  | handshake complete".into(),
            QuicTraceEvent::Failed { code, reason } => {
                format!("  | failed, CONNECTION_CLOSE {code:#x}: {reason}")
            }
        };
        s.push_str(&line);
        s.push('\n');
    }
    s
}
