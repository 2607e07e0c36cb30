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
    /// The peer's certificate was not accepted.
    InvalidCertificate(CertificateError),
    /// The two sides have nothing in common for `what` (version, cipher
    /// suite, group, signature scheme, application protocol).
    NoCommon {
        /// What could not be agreed.
        what: &'static str,
        /// What we offered or accept.
        ours: String,
        /// What the peer offered or chose.
        theirs: String,
    },
    /// The peer closed the connection before the handshake ended.
    HandshakeNotComplete,
    /// The operation needs a state the connection is not in (sending after
    /// close, a key update before the handshake ended, ...).
    InvalidState(&'static str),
    /// An I/O error from the transport (blocking stream only).
    Io(std::io::ErrorKind, String),
}

/// Why a peer certificate was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertificateErrorKind {
    /// The current time is past the certificate's notAfter.
    Expired,
    /// The current time is before the certificate's notBefore.
    NotYetValid,
    /// The certificate is not valid for the name that was asked for.
    NameMismatch,
    /// No path leads from the certificate to a trusted root.
    UnknownIssuer,
    /// The certificate's signature, or a chain signature, is bad.
    BadSignature,
    /// The certificate is revoked.
    Revoked,
    /// The certificate is not allowed for this use (server or client auth).
    WrongUsage,
    /// The certificate could not be parsed, or uses something unsupported.
    BadEncoding,
    /// The peer sent no certificate where one was required.
    Missing,
    /// Anything else.
    Other,
}

/// A refused certificate: the kind, and the details in plain words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateError {
    /// What went wrong.
    pub kind: CertificateErrorKind,
    /// The details: dates, names, the issuer.
    pub detail: String,
}

impl CertificateError {
    /// The alert that reports this to the peer (RFC 8446 §6.2).
    pub fn alert(&self) -> AlertDescription {
        match self.kind {
            CertificateErrorKind::Expired | CertificateErrorKind::NotYetValid => {
                AlertDescription::CERTIFICATE_EXPIRED
            }
            CertificateErrorKind::UnknownIssuer => AlertDescription::UNKNOWN_CA,
            CertificateErrorKind::Revoked => AlertDescription::CERTIFICATE_REVOKED,
            CertificateErrorKind::BadEncoding => AlertDescription::BAD_CERTIFICATE,
            CertificateErrorKind::WrongUsage => AlertDescription::UNSUPPORTED_CERTIFICATE,
            CertificateErrorKind::Missing => AlertDescription::CERTIFICATE_REQUIRED,
            CertificateErrorKind::BadSignature => AlertDescription::BAD_CERTIFICATE,
            CertificateErrorKind::NameMismatch | CertificateErrorKind::Other => {
                AlertDescription::BAD_CERTIFICATE
            }
        }
    }
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
            Error::EncryptLimit | Error::Crypto(_) | Error::Config(_) | Error::Io(..) => {
                Some(AlertDescription::INTERNAL_ERROR)
            }
            Error::InvalidCertificate(c) => Some(c.alert()),
            Error::NoCommon { what, .. } => Some(if *what == "protocol version" {
                AlertDescription::PROTOCOL_VERSION
            } else if *what == "application protocol" {
                AlertDescription::NO_APPLICATION_PROTOCOL
            } else {
                AlertDescription::HANDSHAKE_FAILURE
            }),
            Error::HandshakeNotComplete | Error::InvalidState(_) => None,
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
            Error::InvalidCertificate(c) => write!(f, "{c}"),
            Error::NoCommon { what, ours, theirs } => write!(
                f,
                "no {what} in common: we support {ours}; the peer offered {theirs}"
            ),
            Error::HandshakeNotComplete => {
                f.write_str("the peer closed the connection before the handshake ended")
            }
            Error::InvalidState(what) => write!(f, "not possible now: {what}"),
            Error::Io(_, what) => write!(f, "I/O error: {what}"),
        }
    }
}

impl std::error::Error for Error {}

impl fmt::Display for CertificateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            CertificateErrorKind::Expired => "the certificate has expired",
            CertificateErrorKind::NotYetValid => "the certificate is not valid yet",
            CertificateErrorKind::NameMismatch => "the certificate is for another name",
            CertificateErrorKind::UnknownIssuer => {
                "the certificate was issued by an authority we do not trust"
            }
            CertificateErrorKind::BadSignature => "a certificate signature is invalid",
            CertificateErrorKind::Revoked => "the certificate has been revoked",
            CertificateErrorKind::WrongUsage => "the certificate is not allowed for this use",
            CertificateErrorKind::BadEncoding => "the certificate could not be parsed",
            CertificateErrorKind::Missing => "the peer sent no certificate",
            CertificateErrorKind::Other => "the certificate was refused",
        };
        if self.detail.is_empty() {
            write!(f, "{what}")
        } else {
            write!(f, "{what}: {}", self.detail)
        }
    }
}

impl From<CertificateError> for Error {
    fn from(e: CertificateError) -> Self {
        Error::InvalidCertificate(e)
    }
}
