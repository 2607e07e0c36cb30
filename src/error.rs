//! Typed errors. Every error that peer bytes can cause carries the alert
//! that RFC 8446 §6.2 / RFC 5246 §7.2.2 name for it.

pub use crate::codec::DecodeError;
use crate::msgs::enums::{AlertDescription, ExtensionType, NamedGroup};
use std::fmt;
use std::io;
use std::sync::Arc;

/// What two peers failed to agree on (see [`Error::NoCommon`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Negotiable {
    /// The protocol version (protocol_version alert).
    ProtocolVersion,
    /// The cipher suite.
    CipherSuite,
    /// The key exchange group.
    KeyExchangeGroup,
    /// The signature scheme for the handshake signature.
    SignatureScheme,
    /// The application protocol (ALPN; no_application_protocol alert).
    ApplicationProtocol,
    /// The certificate (or credential) to authenticate with.
    Certificate,
    /// The certificate type (RFC 7250).
    CertificateType,
}

impl Negotiable {
    /// The alert that reports the failure to the peer (RFC 8446 §6.2,
    /// RFC 7301 §3.2).
    pub fn alert(self) -> AlertDescription {
        match self {
            Negotiable::ProtocolVersion => AlertDescription::PROTOCOL_VERSION,
            Negotiable::ApplicationProtocol => AlertDescription::NO_APPLICATION_PROTOCOL,
            Negotiable::CertificateType => AlertDescription::UNSUPPORTED_CERTIFICATE,
            _ => AlertDescription::HANDSHAKE_FAILURE,
        }
    }
}

impl fmt::Display for Negotiable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Negotiable::ProtocolVersion => "protocol version",
            Negotiable::CipherSuite => "cipher suite",
            Negotiable::KeyExchangeGroup => "key exchange group",
            Negotiable::SignatureScheme => "signature scheme",
            Negotiable::ApplicationProtocol => "application protocol",
            Negotiable::Certificate => "certificate",
            Negotiable::CertificateType => "certificate type",
        })
    }
}

/// An I/O error from the transport, shared so that [`Error`] stays
/// cloneable; [`std::error::Error::source`] gives the original.
#[derive(Debug, Clone)]
pub struct IoError(pub Arc<io::Error>);

impl IoError {
    /// The error's kind.
    pub fn kind(&self) -> io::ErrorKind {
        self.0.kind()
    }
}

impl PartialEq for IoError {
    fn eq(&self, other: &IoError) -> bool {
        self.0.kind() == other.0.kind() && self.0.to_string() == other.0.to_string()
    }
}

impl Eq for IoError {}

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
    /// The peer's key share for `group` is unusable (illegal_parameter,
    /// RFC 8446 §4.2.8; RFC 10024 §4.2 for the hybrid groups).
    BadKeyShare {
        /// The group whose share it is.
        group: NamedGroup,
        /// What is wrong with it.
        problem: KeyShareProblem,
    },
    /// The peer's Encrypted Client Hello input is unusable (RFC 9849); the
    /// problem names the alert.
    BadEch(EchProblem),
    /// A pre-shared key (external or resumption) could not be used, or
    /// the peer broke a rule of PSK negotiation (RFC 9846 §2.2, §4.3.9,
    /// §4.3.11); the problem names the alert.
    Psk(PskProblem),
    /// We offered Encrypted Client Hello and the server did not accept it
    /// (RFC 9849 §6.1.6): the handshake was completed with the server
    /// authenticated for `public_name` only, and then aborted with
    /// ech_required. Nothing was sent to the origin. `retry_configs`, when
    /// the server sent them, is the ECHConfigList to retry with on a new
    /// connection; without them, ECH was securely disabled by the server
    /// and the caller may retry without ECH.
    EchRejected {
        /// The public name the server was authenticated for.
        public_name: String,
        /// The server's retry_configs (an ECHConfigList, its length
        /// prefix included), if it sent any.
        retry_configs: Option<Vec<u8>>,
    },
    /// A record failed authentication (bad_record_mac).
    BadRecordMac,
    /// A record or message exceeded the protocol's limits (record_overflow).
    RecordOverflow,
    /// The bytes received are not TLS at all (an HTTP request, say).
    NotTls(String),
    /// The peer sent a fatal alert.
    AlertReceived(AlertDescription),
    /// We ended the connection with this fatal alert
    /// ([`crate::Connection::abort`]).
    Aborted(AlertDescription),
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
        what: Negotiable,
        /// What we offered or accept.
        ours: String,
        /// What the peer offered or chose.
        theirs: String,
    },
    /// The peer closed the connection before the handshake ended.
    HandshakeNotComplete,
    /// The transport ended without the peer's close_notify: what was
    /// received may have been cut short by an attacker (a truncation
    /// attack), so it cannot be trusted to be complete.
    Truncated,
    /// The caller asked for something the connection cannot do in its
    /// present state (sending after close, a key update before the
    /// handshake ended, an exporter before keys exist, ...).
    InvalidState(&'static str),
    /// An internal invariant of cloaktls did not hold: a bug, never caused
    /// by the peer or the caller. The connection is closed with
    /// internal_error.
    Internal(&'static str),
    /// An I/O error from the transport.
    Io(IoError),
}

/// What is wrong with a peer's key share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyShareProblem {
    /// The share is not the group's exact length.
    Length {
        /// The group's length for this share.
        expected: usize,
        /// The length received.
        actual: usize,
    },
    /// The ML-KEM encapsulation key fails the modulus check of FIPS 203
    /// §7.2 (a coefficient not below q).
    EncapsulationKey,
    /// The (EC)DH part is not a valid public value for the curve (RFC 8446
    /// §4.2.8.2), or it gives the all-zero X25519 secret (RFC 8446 §7.4.2).
    Classical,
}

impl fmt::Display for KeyShareProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyShareProblem::Length { expected, actual } => {
                write!(f, "it is {actual} bytes where the group's is {expected}")
            }
            KeyShareProblem::EncapsulationKey => {
                f.write_str("its ML-KEM encapsulation key fails the FIPS 203 §7.2 modulus check")
            }
            KeyShareProblem::Classical => f.write_str(
                "its (EC)DH part is not a valid public value (or gives the all-zero secret)",
            ),
        }
    }
}

/// What is wrong with a peer's Encrypted Client Hello input (RFC 9849),
/// each with the alert the RFC names for it ([`EchProblem::alert`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EchProblem {
    /// retry_configs (or a GREASE answer) that is not a valid
    /// ECHConfigList: decode_error (§6.1.6, §6.2.1).
    ConfigList(DecodeError),
    /// An `encrypted_client_hello` extension in a ClientHello that does not
    /// decode: decode_error, or illegal_parameter for an unknown
    /// ECHClientHelloType (§7).
    ClientHelloExtension(DecodeError),
    /// An inner `encrypted_client_hello` in a ClientHello from the network
    /// (§7: a client-facing or shared-mode server refuses it):
    /// illegal_parameter.
    InnerFromNetwork,
    /// A decrypted EncodedClientHelloInner that is not a ClientHello:
    /// decode_error.
    NotClientHello(DecodeError),
    /// EncodedClientHelloInner padding that is not all zeros:
    /// illegal_parameter (§5.1).
    Padding,
    /// An `ech_outer_extensions` list that does not decode, or appears
    /// where it must not (twice, or in ClientHelloOuter): illegal_parameter
    /// (§5.1).
    OuterExtensionsList,
    /// `ech_outer_extensions` references this extension, which
    /// ClientHelloOuter lacks, or references it twice or out of order:
    /// illegal_parameter (§5.1, Appendix A).
    OuterExtensionMissing(ExtensionType),
    /// `ech_outer_extensions` references `encrypted_client_hello`:
    /// illegal_parameter (§5.1).
    OuterExtensionsReferenceEch,
    /// ClientHelloInner without an inner `encrypted_client_hello`:
    /// illegal_parameter (§7.1).
    InnerWithoutExtension,
    /// ClientHelloInner offers TLS 1.2 or below: illegal_parameter (§7.1).
    InnerOffersTls12,
    /// The second ClientHelloOuter, after ECH was accepted in a
    /// HelloRetryRequest, has no `encrypted_client_hello`:
    /// missing_extension (§7.1.1).
    MissingAfterRetry,
    /// The second ClientHelloOuter changed the cipher suite or config_id,
    /// or carries an `enc`: illegal_parameter (§7.1.1).
    ChangedAfterRetry,
    /// The second ClientHelloOuter's payload does not decrypt:
    /// decrypt_error (§7.1.1).
    DecryptAfterRetry,
    /// A HelloRetryRequest's `encrypted_client_hello` is not 8 bytes:
    /// decode_error (§6.1.4).
    ConfirmationLength(usize),
    /// The HelloRetryRequest accepted ECH but the ServerHello does not
    /// confirm it: illegal_parameter (§6.1.5).
    NotConfirmedAfterRetry,
    /// ECH was rejected and the server selected our (GREASE)
    /// pre_shared_key: illegal_parameter (§6.1.2).
    PskWhileRejected,
    /// retry_configs in EncryptedExtensions although ECH was accepted:
    /// unsupported_extension (§5).
    RetryConfigsWhileAccepted,
}

impl EchProblem {
    /// The alert RFC 9849 names for this problem.
    pub fn alert(self) -> AlertDescription {
        match self {
            EchProblem::ConfigList(_)
            | EchProblem::NotClientHello(_)
            | EchProblem::ConfirmationLength(_) => AlertDescription::DECODE_ERROR,
            EchProblem::ClientHelloExtension(e) => decode_alert(&e),
            EchProblem::MissingAfterRetry => AlertDescription::MISSING_EXTENSION,
            EchProblem::DecryptAfterRetry => AlertDescription::DECRYPT_ERROR,
            EchProblem::RetryConfigsWhileAccepted => AlertDescription::UNSUPPORTED_EXTENSION,
            EchProblem::InnerFromNetwork
            | EchProblem::Padding
            | EchProblem::OuterExtensionsList
            | EchProblem::OuterExtensionMissing(_)
            | EchProblem::OuterExtensionsReferenceEch
            | EchProblem::InnerWithoutExtension
            | EchProblem::InnerOffersTls12
            | EchProblem::ChangedAfterRetry
            | EchProblem::NotConfirmedAfterRetry
            | EchProblem::PskWhileRejected => AlertDescription::ILLEGAL_PARAMETER,
        }
    }
}

impl fmt::Display for EchProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EchProblem::ConfigList(e) => write!(f, "an ECHConfigList that does not decode ({e})"),
            EchProblem::ClientHelloExtension(e) => {
                write!(
                    f,
                    "an encrypted_client_hello extension that does not decode ({e})"
                )
            }
            EchProblem::InnerFromNetwork => {
                f.write_str("an inner encrypted_client_hello in a ClientHello from the network")
            }
            EchProblem::NotClientHello(e) => {
                write!(
                    f,
                    "the decrypted ClientHelloInner is not a ClientHello ({e})"
                )
            }
            EchProblem::Padding => f.write_str("the ClientHelloInner's padding is not all zeros"),
            EchProblem::OuterExtensionsList => {
                f.write_str("an ech_outer_extensions list that is malformed or misplaced")
            }
            EchProblem::OuterExtensionMissing(t) => write!(
                f,
                "ech_outer_extensions references {t:?}, which ClientHelloOuter lacks \
                 (or which is referenced twice or out of order)"
            ),
            EchProblem::OuterExtensionsReferenceEch => {
                f.write_str("ech_outer_extensions references encrypted_client_hello")
            }
            EchProblem::InnerWithoutExtension => {
                f.write_str("the ClientHelloInner has no inner encrypted_client_hello")
            }
            EchProblem::InnerOffersTls12 => f.write_str("the ClientHelloInner offers TLS 1.2"),
            EchProblem::MissingAfterRetry => f.write_str(
                "the second ClientHello has no encrypted_client_hello after ECH was accepted",
            ),
            EchProblem::ChangedAfterRetry => f.write_str(
                "the second ClientHello's encrypted_client_hello changed its suite or \
                 config_id, or carries an enc",
            ),
            EchProblem::DecryptAfterRetry => {
                f.write_str("the second ClientHello's ECH payload does not decrypt")
            }
            EchProblem::ConfirmationLength(n) => write!(
                f,
                "the HelloRetryRequest's encrypted_client_hello is {n} bytes, not 8"
            ),
            EchProblem::NotConfirmedAfterRetry => f.write_str(
                "the HelloRetryRequest accepted ECH but the ServerHello does not confirm it",
            ),
            EchProblem::PskWhileRejected => {
                f.write_str("the server rejected ECH but selected a pre_shared_key")
            }
            EchProblem::RetryConfigsWhileAccepted => {
                f.write_str("the server sent retry_configs although it accepted ECH")
            }
        }
    }
}

/// What went wrong with a pre-shared key (RFC 9846 §4.3.9, §4.3.11),
/// each with the alert the RFC names for it ([`PskProblem::alert`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PskProblem {
    /// Server: the client offered PSK identities, none of them known here
    /// (no ticket of ours, no external PSK in the store), and there is no
    /// certificate to fall back to: unknown_psk_identity (RFC 9846 §6.2).
    UnknownIdentity,
    /// Server: the client offered PSKs this server knows, none of them
    /// usable with the negotiated cipher suite (a PSK is bound to one hash,
    /// RFC 9846 §4.3.11), and there is no certificate to fall back to:
    /// handshake_failure.
    NoCompatiblePsk,
    /// Server: the client's psk_key_exchange_modes lists no mode this
    /// server allows (psk_dhe_ke, and psk_ke only where allowed, RFC 9846
    /// §4.3.9), and there is no certificate to fall back to:
    /// handshake_failure.
    NoSupportedMode,
    /// Server: a server with only PSKs (no certificate) got a ClientHello
    /// that offers none: handshake_failure.
    NoPskOffered,
    /// Server: pre_shared_key without psk_key_exchange_modes (RFC 9846
    /// §4.3.9: the server must abort): missing_extension.
    ModesMissing,
    /// Server: the binder of the chosen PSK does not verify (RFC 9846
    /// §4.3.11): decrypt_error.
    BadBinder,
    /// Server: after a HelloRetryRequest the client dropped a PSK that
    /// fits the cipher suite, which RFC 9846 §4.2.2 does not allow:
    /// illegal_parameter.
    DroppedAfterRetry,
    /// Client: the server's selected_identity is not an index into the
    /// identities offered (RFC 9846 §4.3.11): illegal_parameter.
    SelectedIdentityOutOfRange {
        /// The index the server sent.
        selected: u16,
        /// How many identities the ClientHello offered.
        offered: usize,
    },
    /// Client: the server chose a cipher suite whose hash is not the
    /// selected PSK's (RFC 9846 §4.3.11): illegal_parameter.
    HashMismatch,
    /// Client: the server chose psk_ke (no key_share) although we offered
    /// only psk_dhe_ke (RFC 9846 §4.3.11): illegal_parameter.
    KeyShareRequired,
    /// Client: the server accepted early data but did not select the first
    /// PSK (RFC 9846 §4.3.11): illegal_parameter.
    EarlyDataNotFirstPsk,
    /// Client: this client authenticates servers by external PSK only
    /// (no certificate is trusted) and the server selected no PSK:
    /// missing_extension (the ServerHello lacks pre_shared_key).
    PskRequired,
}

impl PskProblem {
    /// The alert RFC 9846 names for this problem.
    pub fn alert(self) -> AlertDescription {
        match self {
            PskProblem::UnknownIdentity => AlertDescription::UNKNOWN_PSK_IDENTITY,
            PskProblem::NoCompatiblePsk
            | PskProblem::NoSupportedMode
            | PskProblem::NoPskOffered => AlertDescription::HANDSHAKE_FAILURE,
            PskProblem::ModesMissing | PskProblem::PskRequired => {
                AlertDescription::MISSING_EXTENSION
            }
            PskProblem::BadBinder => AlertDescription::DECRYPT_ERROR,
            PskProblem::DroppedAfterRetry
            | PskProblem::SelectedIdentityOutOfRange { .. }
            | PskProblem::HashMismatch
            | PskProblem::KeyShareRequired
            | PskProblem::EarlyDataNotFirstPsk => AlertDescription::ILLEGAL_PARAMETER,
        }
    }
}

impl fmt::Display for PskProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PskProblem::UnknownIdentity => f.write_str(
                "the client offered no PSK identity known here, and there is no certificate \
                 to fall back to",
            ),
            PskProblem::NoCompatiblePsk => f.write_str(
                "none of the client's PSKs is bound to the hash of the negotiated cipher \
                 suite, and there is no certificate to fall back to",
            ),
            PskProblem::NoSupportedMode => f.write_str(
                "the client's psk_key_exchange_modes lists no mode allowed here (psk_ke \
                 must be allowed on both sides), and there is no certificate to fall back to",
            ),
            PskProblem::NoPskOffered => f.write_str(
                "this server authenticates with external PSKs only, and the client offered none",
            ),
            PskProblem::ModesMissing => {
                f.write_str("pre_shared_key without psk_key_exchange_modes")
            }
            PskProblem::BadBinder => f.write_str("the client's PSK binder is wrong"),
            PskProblem::DroppedAfterRetry => f.write_str(
                "the second ClientHello dropped a PSK that fits the HelloRetryRequest's suite",
            ),
            PskProblem::SelectedIdentityOutOfRange { selected, offered } => write!(
                f,
                "the server selected PSK identity {selected}, but we offered {offered}"
            ),
            PskProblem::HashMismatch => {
                f.write_str("the server chose a cipher suite whose hash is not the selected PSK's")
            }
            PskProblem::KeyShareRequired => f.write_str(
                "the server chose psk_ke (no key_share), but we offered only psk_dhe_ke",
            ),
            PskProblem::EarlyDataNotFirstPsk => {
                f.write_str("the server accepted early data without selecting the first PSK")
            }
            PskProblem::PskRequired => f.write_str(
                "this client authenticates servers by external PSK only, and the server \
                 selected none (it would have authenticated with a certificate)",
            ),
        }
    }
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
    /// The peer's raw public key (RFC 7250) is not one the verifier trusts:
    /// not among the pinned keys, say. The detail names the key's
    /// algorithm and SHA-256 fingerprint.
    UnknownRawPublicKey,
    /// Anything else (an application's verifier refused it, say):
    /// certificate_unknown.
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
            // An unknown raw public key is the peer claiming an identity
            // we do not hold for it, as a certificate for another name is:
            // bad_certificate (RFC 8446 §6.2; RFC 7250 names none).
            CertificateErrorKind::BadSignature
            | CertificateErrorKind::NameMismatch
            | CertificateErrorKind::UnknownRawPublicKey => AlertDescription::BAD_CERTIFICATE,
            // RFC 8446 §6.2: "some other (unspecified) issue arose in
            // processing the certificate, rendering it unacceptable" (a
            // verifier of the application's refused it, say).
            CertificateErrorKind::Other => AlertDescription::CERTIFICATE_UNKNOWN,
        }
    }
}

/// The alert that a peer gets for a message that failed to decode.
pub(crate) fn decode_alert(e: &DecodeError) -> AlertDescription {
    match e {
        // RFC 8446 §6.2: decode_error for a message that cannot be
        // parsed; illegal_parameter for a well-formed but bad field.
        DecodeError::DuplicateExtension | DecodeError::IllegalValue(_) => {
            AlertDescription::ILLEGAL_PARAMETER
        }
        _ => AlertDescription::DECODE_ERROR,
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
            Error::Decode { error, .. } => Some(decode_alert(error)),
            Error::PeerMisbehaved { alert, .. } => Some(*alert),
            Error::BadKeyShare { .. } => Some(AlertDescription::ILLEGAL_PARAMETER),
            Error::BadEch(p) => Some(p.alert()),
            Error::Psk(p) => Some(p.alert()),
            Error::EchRejected { .. } => Some(AlertDescription::ECH_REQUIRED),
            Error::BadRecordMac => Some(AlertDescription::BAD_RECORD_MAC),
            Error::RecordOverflow => Some(AlertDescription::RECORD_OVERFLOW),
            Error::NotTls(_) => Some(AlertDescription::DECODE_ERROR),
            Error::AlertReceived(_) => None,
            Error::Aborted(alert) => Some(*alert),
            Error::EncryptLimit
            | Error::Crypto(_)
            | Error::Config(_)
            | Error::Io(_)
            | Error::Internal(_) => Some(AlertDescription::INTERNAL_ERROR),
            Error::InvalidCertificate(c) => Some(c.alert()),
            Error::NoCommon { what, .. } => Some(what.alert()),
            Error::HandshakeNotComplete | Error::Truncated | Error::InvalidState(_) => None,
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
            Error::BadKeyShare { group, problem } => {
                write!(f, "the peer's {group:?} key share is unusable: {problem}")
            }
            Error::BadEch(p) => write!(f, "Encrypted Client Hello: {p}"),
            Error::Psk(p) => write!(f, "pre-shared key: {p}"),
            Error::EchRejected {
                public_name,
                retry_configs,
            } => {
                write!(
                    f,
                    "the server did not accept Encrypted Client Hello (it authenticated as \
                     its public name {public_name}); "
                )?;
                match retry_configs {
                    Some(_) => f.write_str("it sent retry configs: retry with them"),
                    None => f.write_str("it sent no retry configs: ECH is disabled there"),
                }
            }
            Error::BadRecordMac => f.write_str("a record failed authentication (bad_record_mac)"),
            Error::RecordOverflow => f.write_str("a record was longer than TLS allows"),
            Error::NotTls(what) => write!(f, "the peer does not speak TLS: {what}"),
            Error::AlertReceived(alert) => {
                write!(f, "the peer sent the fatal alert {alert:?}")?;
                match alert_hint(*alert) {
                    Some(hint) => write!(f, " ({hint})"),
                    None => Ok(()),
                }
            }
            Error::Aborted(alert) => write!(f, "we ended the connection with the alert {alert:?}"),
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
            Error::Truncated => f.write_str(
                "the peer closed the connection without close_notify: \
                 the data may have been cut short (truncation)",
            ),
            Error::InvalidState(what) => write!(f, "not possible now: {what}"),
            Error::Internal(what) => write!(f, "internal error in cloaktls (a bug): {what}"),
            Error::Io(e) => write!(f, "I/O error: {}", e.0),
        }
    }
}

/// What a fatal alert from the peer most likely means for our side, where
/// there is something to say.
fn alert_hint(alert: AlertDescription) -> Option<&'static str> {
    Some(match alert {
        // RFC 8446 §4.4.2.4: a TLS 1.3 server that wants a certificate we
        // did not send says so after our Finished, so it shows on the
        // first read.
        AlertDescription::CERTIFICATE_REQUIRED => {
            "the server requires a client certificate: set one with \
             ClientConfigBuilder::client_certificate"
        }
        AlertDescription::BAD_CERTIFICATE
        | AlertDescription::UNKNOWN_CA
        | AlertDescription::CERTIFICATE_EXPIRED
        | AlertDescription::UNSUPPORTED_CERTIFICATE
        | AlertDescription::CERTIFICATE_UNKNOWN => {
            "the peer refused the certificate we sent; check it (and, for a client, \
             the certificate set with ClientConfigBuilder::client_certificate)"
        }
        AlertDescription::PROTOCOL_VERSION => {
            "the peer accepts none of the TLS versions we offered"
        }
        AlertDescription::HANDSHAKE_FAILURE => {
            "the peer found nothing in common with our offer: versions, cipher suites, \
             groups or signature schemes"
        }
        AlertDescription::NO_APPLICATION_PROTOCOL => {
            "the peer supports none of the ALPN protocols we offered"
        }
        _ => return None,
    })
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e.0.as_ref()),
            Error::InvalidCertificate(c) => Some(c),
            Error::Decode { error, .. } => Some(error),
            _ => None,
        }
    }
}

impl From<io::Error> for Error {
    /// Wraps a transport error; an `io::Error` that carries a cloaktls
    /// [`Error`] (as the blocking stream's errors do) gives that error
    /// back, so that `?` works in both directions without losing it.
    fn from(e: io::Error) -> Self {
        if e.get_ref().is_some_and(|inner| inner.is::<Error>()) {
            if let Some(inner) = e.into_inner() {
                if let Ok(ours) = inner.downcast::<Error>() {
                    return *ours;
                }
            }
            return Error::Internal("an io::Error that lost its inner error");
        }
        Error::Io(IoError(Arc::new(e)))
    }
}

impl From<Error> for io::Error {
    /// An `io::Error` of a fitting kind that keeps the cloaktls error as its
    /// inner error (recover it with `cloaktls::Error::from(io_error)`). A
    /// transport error keeps its kind; truncation and a handshake cut short
    /// are `UnexpectedEof`; a misused connection is `InvalidInput`;
    /// everything else is `InvalidData`.
    fn from(e: Error) -> Self {
        let kind = match &e {
            Error::Io(inner) => inner.kind(),
            Error::HandshakeNotComplete | Error::Truncated => io::ErrorKind::UnexpectedEof,
            Error::InvalidState(_) | Error::Config(_) => io::ErrorKind::InvalidInput,
            _ => io::ErrorKind::InvalidData,
        };
        io::Error::new(kind, e)
    }
}

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
            CertificateErrorKind::UnknownRawPublicKey => "the peer's raw public key is not trusted",
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

impl std::error::Error for CertificateError {}
