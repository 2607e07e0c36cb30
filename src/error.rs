//! Typed errors. Every error that peer bytes can cause carries the alert
//! that RFC 8446 §6.2 / RFC 5246 §7.2.2 name for it.

use crate::msgs::enums::AlertDescription;
use std::fmt;

/// Why a wire structure failed to decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// The input ended inside a structure.
    Truncated,
    /// Bytes were left over after a structure that must fill its container.
    TrailingBytes,
    /// A vector's length was outside the bounds of its definition, or not a
    /// multiple of its element size.
    BadLength,
    /// The same extension appeared twice in one message (RFC 8446 §4.2).
    DuplicateExtension,
    /// A field held a value that its definition forbids.
    IllegalValue(&'static str),
    /// A message or structure exceeded a size cap that this implementation
    /// enforces to keep memory bounded.
    TooLarge,
}

impl DecodeError {
    /// The alert that a peer gets for this error.
    pub fn alert(&self) -> AlertDescription {
        match self {
            // RFC 8446 §6.2: decode_error for a message that cannot be
            // parsed; illegal_parameter for a well-formed but bad field.
            DecodeError::DuplicateExtension | DecodeError::IllegalValue(_) => {
                AlertDescription::ILLEGAL_PARAMETER
            }
            _ => AlertDescription::DECODE_ERROR,
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Truncated => f.write_str("message truncated"),
            DecodeError::TrailingBytes => f.write_str("unexpected trailing bytes"),
            DecodeError::BadLength => f.write_str("length field out of range"),
            DecodeError::DuplicateExtension => f.write_str("duplicated extension"),
            DecodeError::IllegalValue(what) => write!(f, "illegal value: {what}"),
            DecodeError::TooLarge => f.write_str("structure larger than allowed"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// An error from cloaktls.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// Peer bytes failed to decode; `context` names what was being read.
    Decode {
        /// What was being decoded.
        context: &'static str,
        /// Why it failed.
        error: DecodeError,
    },
    /// The peer broke a rule of the protocol; `alert` is sent to it.
    PeerMisbehaved {
        /// The alert that the rule calls for.
        alert: AlertDescription,
        /// What the peer did, in plain words.
        reason: String,
    },
    /// A record failed authentication (bad_record_mac).
    BadRecordMac,
    /// A record or message exceeded the protocol's limits (record_overflow).
    RecordOverflow,
    /// The bytes received are not TLS at all (an HTTP request, say).
    NotTls(String),
    /// The peer sent a fatal alert.
    AlertReceived(AlertDescription),
    /// A key or sequence number would be used past its limit.
    EncryptLimit,
    /// A cryptographic operation failed on our side.
    Crypto(&'static str),
    /// The configuration is unusable.
    Config(String),
}

impl Error {
    /// A protocol violation by the peer, answered with `alert`.
    pub fn peer(alert: AlertDescription, reason: impl Into<String>) -> Self {
        Error::PeerMisbehaved {
            alert,
            reason: reason.into(),
        }
    }

    /// A decode failure while reading `context`.
    pub fn decode(context: &'static str, error: DecodeError) -> Self {
        Error::Decode { context, error }
    }

    /// The alert that this error sends to the peer, if it sends one.
    pub fn alert(&self) -> Option<AlertDescription> {
        match self {
            Error::Decode { error, .. } => Some(error.alert()),
            Error::PeerMisbehaved { alert, .. } => Some(*alert),
            Error::BadRecordMac => Some(AlertDescription::BAD_RECORD_MAC),
            Error::RecordOverflow => Some(AlertDescription::RECORD_OVERFLOW),
            Error::NotTls(_) => Some(AlertDescription::DECODE_ERROR),
            Error::AlertReceived(_) => None,
            Error::EncryptLimit | Error::Crypto(_) | Error::Config(_) => {
                Some(AlertDescription::INTERNAL_ERROR)
            }
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Decode { context, error } => write!(f, "could not decode {context}: {error}"),
            Error::PeerMisbehaved { alert, reason } => {
                write!(f, "the peer broke the protocol ({alert:?}): {reason}")
            }
            Error::BadRecordMac => f.write_str("a record failed authentication (bad_record_mac)"),
            Error::RecordOverflow => f.write_str("a record was longer than TLS allows"),
            Error::NotTls(what) => write!(f, "the peer does not speak TLS: {what}"),
            Error::AlertReceived(alert) => write!(f, "the peer sent the fatal alert {alert:?}"),
            Error::EncryptLimit => f.write_str("a key reached its usage limit"),
            Error::Crypto(what) => write!(f, "cryptographic failure: {what}"),
            Error::Config(what) => write!(f, "bad configuration: {what}"),
        }
    }
}

impl std::error::Error for Error {}
