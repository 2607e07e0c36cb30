//! The Alert message (RFC 8446 §6, RFC 5246 §7.2).

use super::enums::{AlertDescription, AlertLevel};
use crate::codec::{Codec, Reader, Writer};
use crate::codec::DecodeError;

/// An alert: level and description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alert {
    /// warning or fatal; in TLS 1.3 ignored except for close_notify and
    /// user_canceled (RFC 8446 §6).
    pub level: AlertLevel,
    /// What happened.
    pub description: AlertDescription,
}

impl Alert {
    /// A fatal alert.
    pub fn fatal(description: AlertDescription) -> Self {
        Alert {
            level: AlertLevel::FATAL,
            description,
        }
    }

    /// A warning alert (close_notify, user_canceled, no_renegotiation).
    pub fn warning(description: AlertDescription) -> Self {
        Alert {
            level: AlertLevel::WARNING,
            description,
        }
    }
}

impl Codec for Alert {
    fn encode(&self, w: &mut Writer<'_>) {
        self.level.encode(w);
        self.description.encode(w);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let level = AlertLevel::read(r)?;
        if level != AlertLevel::WARNING && level != AlertLevel::FATAL {
            return Err(DecodeError::IllegalValue("alert level"));
        }
        Ok(Alert {
            level,
            description: AlertDescription::read(r)?,
        })
    }
}
