//! What ends a QUIC handshake, as the QUIC error code the caller closes
//! the connection with (RFC 9000 §20.1, RFC 9001 §4.8).

use crate::error::Error;
use crate::msgs::enums::AlertDescription;
use std::fmt;

/// A QUIC transport error code (RFC 9000 §20.1), as a CONNECTION_CLOSE
/// frame carries it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TransportErrorCode(pub u64);

impl TransportErrorCode {
    /// INTERNAL_ERROR: the endpoint failed on its own.
    pub const INTERNAL_ERROR: Self = Self(0x01);
    /// TRANSPORT_PARAMETER_ERROR.
    pub const TRANSPORT_PARAMETER_ERROR: Self = Self(0x08);
    /// PROTOCOL_VIOLATION: the peer broke a rule not covered by a more
    /// specific code.
    pub const PROTOCOL_VIOLATION: Self = Self(0x0a);
    /// CRYPTO_BUFFER_EXCEEDED.
    pub const CRYPTO_BUFFER_EXCEEDED: Self = Self(0x0d);
    /// KEY_UPDATE_ERROR (RFC 9001 §6.7).
    pub const KEY_UPDATE_ERROR: Self = Self(0x0e);
    /// AEAD_LIMIT_REACHED (RFC 9001 §6.6).
    pub const AEAD_LIMIT_REACHED: Self = Self(0x0f);

    /// CRYPTO_ERROR for a TLS alert: 0x0100 plus the alert's code (RFC
    /// 9001 §4.8).
    pub fn crypto(alert: AlertDescription) -> Self {
        Self(0x0100 + u64::from(alert.0))
    }

    /// The TLS alert of a CRYPTO_ERROR code (0x0100..=0x01ff), if it is
    /// one.
    pub fn alert(self) -> Option<AlertDescription> {
        match self.0 {
            0x0100..=0x01ff => Some(AlertDescription((self.0 - 0x0100) as u8)),
            _ => None,
        }
    }
}

impl fmt::Debug for TransportErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::INTERNAL_ERROR => f.write_str("INTERNAL_ERROR"),
            Self::TRANSPORT_PARAMETER_ERROR => f.write_str("TRANSPORT_PARAMETER_ERROR"),
            Self::PROTOCOL_VIOLATION => f.write_str("PROTOCOL_VIOLATION"),
            Self::CRYPTO_BUFFER_EXCEEDED => f.write_str("CRYPTO_BUFFER_EXCEEDED"),
            Self::KEY_UPDATE_ERROR => f.write_str("KEY_UPDATE_ERROR"),
            Self::AEAD_LIMIT_REACHED => f.write_str("AEAD_LIMIT_REACHED"),
            code => match code.alert() {
                Some(alert) => write!(f, "CRYPTO_ERROR({:#06x}, {alert:?})", code.0),
                None => write!(f, "{:#x}", code.0),
            },
        }
    }
}

/// Why a QUIC handshake failed. Either way the caller closes the
/// connection with [`QuicError::code`] in a CONNECTION_CLOSE frame: QUIC
/// carries no TLS alert records (RFC 9001 §4.8).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum QuicError {
    /// TLS failed; the alert it calls for becomes CRYPTO_ERROR 0x0100 +
    /// alert (an error without an alert, our own failure, becomes
    /// INTERNAL_ERROR).
    Tls(Error),
    /// The peer broke one of QUIC's own rules about the handshake
    /// (PROTOCOL_VIOLATION): handshake data at the wrong encryption level
    /// (RFC 9001 §4.1.3), a ticket's max_early_data_size other than
    /// 0xffffffff (§4.6.1), a non-empty legacy_session_id (§8.4).
    ProtocolViolation(String),
    /// The caller asked for something that is not possible now; the
    /// connection is not affected.
    InvalidState(&'static str),
}

impl QuicError {
    /// The QUIC error code to close the connection with.
    pub fn code(&self) -> TransportErrorCode {
        match self {
            QuicError::Tls(e) => match e.alert() {
                Some(alert) => TransportErrorCode::crypto(alert),
                None => TransportErrorCode::INTERNAL_ERROR,
            },
            QuicError::ProtocolViolation(_) => TransportErrorCode::PROTOCOL_VIOLATION,
            QuicError::InvalidState(_) => TransportErrorCode::INTERNAL_ERROR,
        }
    }

    /// The TLS alert the error stands for, if it is a TLS failure with one.
    pub fn alert(&self) -> Option<AlertDescription> {
        match self {
            QuicError::Tls(e) => e.alert(),
            _ => None,
        }
    }
}

impl fmt::Display for QuicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QuicError::Tls(e) => write!(f, "{e} (QUIC {:?})", self.code()),
            QuicError::ProtocolViolation(what) => write!(f, "PROTOCOL_VIOLATION: {what}"),
            QuicError::InvalidState(what) => write!(f, "not possible now: {what}"),
        }
    }
}

impl std::error::Error for QuicError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            QuicError::Tls(e) => Some(e),
            _ => None,
        }
    }
}

impl From<Error> for QuicError {
    fn from(e: Error) -> Self {
        QuicError::Tls(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alerts_become_crypto_errors() {
        let e = QuicError::Tls(Error::peer(AlertDescription::NO_APPLICATION_PROTOCOL, "x"));
        assert_eq!(e.code(), TransportErrorCode(0x178));
        assert_eq!(
            e.code().alert(),
            Some(AlertDescription::NO_APPLICATION_PROTOCOL)
        );
        assert_eq!(
            format!("{:?}", TransportErrorCode(0x12a)),
            "CRYPTO_ERROR(0x012a, bad_certificate)"
        );
        assert_eq!(QuicError::ProtocolViolation("x".into()).code().0, 0x0a);
        assert_eq!(TransportErrorCode(0x0a).alert(), None);
    }
}
