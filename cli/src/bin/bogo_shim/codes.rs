//! BoringSSL's names for cloaktls's errors: the shim prints one between
//! colons, and the runner (with the config's ErrorMap) compares it with
//! the code the test expects.

use cloaktls::error::Negotiable;
use cloaktls::{AlertDescription, Error, PskProblem};

/// The BoringSSL error code that best names `e`.
pub fn code(e: &Error) -> String {
    use AlertDescription as A;
    match e {
        Error::Decode { error, .. } => match error {
            cloaktls::DecodeError::DuplicateExtension => "DUPLICATE_EXTENSION".into(),
            cloaktls::DecodeError::IllegalValue(w) if w.contains("binder count") => {
                "PSK_IDENTITY_BINDER_COUNT_MISMATCH".into()
            }
            cloaktls::DecodeError::IllegalValue(w) if w.contains("not the last") => {
                "PRE_SHARED_KEY_MUST_BE_LAST".into()
            }
            cloaktls::DecodeError::IllegalValue(w) if w.contains("alert level") => {
                "UNKNOWN_ALERT_TYPE".into()
            }
            // RFC 7250 §4.1: a certificate type list of X.509 alone, which
            // BoringSSL reads as malformed, with the same alert.
            cloaktls::DecodeError::IllegalValue(w) if w.contains("RFC 7250") => {
                "DECODE_ERROR".into()
            }
            _ if e.alert() == Some(A::ILLEGAL_PARAMETER) => "ILLEGAL_PARAMETER".into(),
            _ => "DECODE_ERROR".into(),
        },
        Error::BadKeyShare { .. } => "BAD_ECPOINT".into(),
        Error::BadRecordMac => "DECRYPTION_FAILED_OR_BAD_RECORD_MAC".into(),
        Error::RecordOverflow => "ENCRYPTED_LENGTH_TOO_LONG".into(),
        Error::NotTls(w) if w.contains("CONNECT") => "HTTPS_PROXY_REQUEST".into(),
        Error::NotTls(w) if w.contains("HTTP request") => "HTTP_REQUEST".into(),
        Error::NotTls(_) => "WRONG_VERSION_NUMBER".into(),
        Error::InvalidCertificate(c) => match c.kind {
            cloaktls::CertificateErrorKind::Missing => "PEER_DID_NOT_RETURN_A_CERTIFICATE".into(),
            cloaktls::CertificateErrorKind::BadEncoding => "CANNOT_PARSE_LEAF_CERT".into(),
            _ => "CERTIFICATE_VERIFY_FAILED".into(),
        },
        Error::HandshakeNotComplete => "UNEXPECTED_EOF".into(),
        Error::NoCommon { what, .. } => match *what {
            Negotiable::ProtocolVersion => "UNSUPPORTED_PROTOCOL".into(),
            Negotiable::CipherSuite => "NO_SHARED_CIPHER".into(),
            Negotiable::KeyExchangeGroup => "NO_SHARED_GROUP".into(),
            Negotiable::ApplicationProtocol => "NO_APPLICATION_PROTOCOL".into(),
            Negotiable::Certificate => "NO_SUITABLE_CERTIFICATE".into(),
            Negotiable::CertificateType => "UNSUPPORTED_CERTIFICATE".into(),
            _ => "NO_COMMON_SIGNATURE_ALGORITHMS".into(),
        },
        Error::AlertReceived(a) => alert_received_code(*a),
        Error::PeerMisbehaved { alert, reason } => match *alert {
            A::DECODE_ERROR => "DECODE_ERROR".into(),
            A::UNEXPECTED_MESSAGE => "UNEXPECTED_MESSAGE".into(),
            A::DECRYPT_ERROR if reason.contains("Finished") || reason.contains("binder") => {
                "DIGEST_CHECK_FAILED".into()
            }
            A::HANDSHAKE_FAILURE if reason.contains("no certificate") => {
                "PEER_DID_NOT_RETURN_A_CERTIFICATE".into()
            }
            A::DECRYPT_ERROR => "BAD_SIGNATURE".into(),
            A::PROTOCOL_VERSION => "WRONG_VERSION_NUMBER".into(),
            A::UNSUPPORTED_EXTENSION => "UNEXPECTED_EXTENSION".into(),
            A::MISSING_EXTENSION => "MISSING_EXTENSION".into(),
            A::NO_RENEGOTIATION => "NO_RENEGOTIATION".into(),
            A::INAPPROPRIATE_FALLBACK => "INAPPROPRIATE_FALLBACK".into(),
            A::HANDSHAKE_FAILURE => "HANDSHAKE_FAILURE".into(),
            A::ILLEGAL_PARAMETER if reason.contains("downgrade") => "TLS13_DOWNGRADE".into(),
            A::ILLEGAL_PARAMETER => "ILLEGAL_PARAMETER".into(),
            other => other.name().unwrap_or("ERROR").to_ascii_uppercase(),
        },
        Error::InvalidState(w) if w.contains("before the handshake ended") => {
            "HANDSHAKE_NOT_COMPLETE".into()
        }
        Error::InvalidState(w) if w.contains("during shutdown") => {
            "APPLICATION_DATA_ON_SHUTDOWN".into()
        }
        Error::EchRejected { .. } => "ECH_REJECTED".into(),
        Error::BadEch(p) => super::ech::code(p).into(),
        Error::Psk(p) => psk_code(*p).into(),
        Error::InvalidState(_) | Error::Config(_) | Error::Internal(_) => "INTERNAL_ERROR".into(),
        Error::Truncated => "UNEXPECTED_EOF".into(),
        Error::Io(..) => "SYSCALL".into(),
        _ => "ERROR".into(),
    }
}

/// BoringSSL's name for a PSK problem.
fn psk_code(p: PskProblem) -> &'static str {
    match p {
        PskProblem::BadBinder => "DIGEST_CHECK_FAILED",
        PskProblem::NoSupportedMode => "NO_SUPPORTED_PSK_MODE",
        PskProblem::ModesMissing | PskProblem::PskRequired => "MISSING_EXTENSION",
        PskProblem::KeyShareRequired => "MISSING_KEY_SHARE",
        PskProblem::HashMismatch | PskProblem::EarlyDataNotFirstPsk => "ILLEGAL_PARAMETER",
        PskProblem::NoPskOffered => "NO_SHARED_CIPHER",
        _ => "PSK_IDENTITY_NOT_FOUND",
    }
}

/// BoringSSL's name for a fatal alert received: the alerts SSL 3.0 had
/// (but decryption_failed and record_overflow) are SSLV3_ALERT_*, the rest
/// TLSV1_ALERT_*, with OpenSSL's spelling of user_cancelled.
fn alert_received_code(a: AlertDescription) -> String {
    let name = match a {
        AlertDescription::USER_CANCELED => "USER_CANCELLED".to_string(),
        _ => a.name().unwrap_or("unknown").to_ascii_uppercase(),
    };
    let ssl3 = a.0 <= 47
        && a != AlertDescription::DECRYPTION_FAILED
        && a != AlertDescription::RECORD_OVERFLOW;
    if ssl3 {
        format!("SSLV3_ALERT_{name}")
    } else {
        format!("TLSV1_ALERT_{name}")
    }
}
