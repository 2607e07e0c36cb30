//! The legal message orders of the four handshakes, written down once as
//! data: every state, the handshake messages it accepts, the form they are
//! decoded in, and what a ChangeCipherSpec means there. The connection
//! checks each incoming message against this table before it is parsed or
//! reaches a state, so a message out of order is unexpected_message
//! (RFC 8446 §6.2, RFC 5246 §7.2.2) whatever its body holds.
//!
//! Optional messages are rows of their own: a state that may receive one of
//! two messages (a CertificateRequest or the Certificate, say) lists both,
//! and moves to a state that accepts only what may still follow.

use crate::error::Error;
use crate::msgs::enums::{AlertDescription, HandshakeType as T, ProtocolVersion};
use crate::msgs::Role;

/// What a ChangeCipherSpec record means in a state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ccs {
    /// TLS 1.2: the state waits for it (RFC 5246 §7.1).
    Expected,
    /// TLS 1.3 before the peer's Finished: dropped, once (RFC 8446 §5).
    Tolerated,
    /// Anywhere else: unexpected_message.
    Refused,
}

/// A state of one of the four handshakes, named for what it waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum StateId {
    // The client.
    ClientExpectServerHello,
    ClientExpectServerHelloAfterRetry,
    ClientExpectEncryptedExtensions,
    ClientExpectCertificateOrCertificateRequest,
    ClientExpectCertificate,
    ClientExpectCertificateVerify,
    ClientExpectFinished,
    ClientConnected13,
    ClientExpectCertificate12,
    ClientExpectCertificateStatusOrServerKeyExchange12,
    ClientExpectServerKeyExchange12,
    ClientExpectCertificateRequestOrServerHelloDone12,
    ClientExpectServerHelloDone12,
    ClientExpectNewSessionTicket12,
    ClientExpectChangeCipherSpec12,
    ClientExpectFinished12,
    ClientConnected12,
    // The server.
    ServerExpectClientHello,
    ServerExpectSecondClientHello,
    ServerExpectEndOfEarlyData,
    ServerExpectCertificate,
    ServerExpectCertificateVerify,
    ServerExpectFinished,
    ServerConnected13,
    ServerExpectCertificate12,
    ServerExpectClientKeyExchange12,
    ServerExpectCertificateVerify12,
    ServerExpectChangeCipherSpec12,
    ServerExpectFinished12,
    ServerConnected12,
}

/// One row of the table.
#[derive(Debug)]
pub(crate) struct Row {
    /// The state.
    pub(crate) state: StateId,
    /// Its name, for the trace.
    pub(crate) name: &'static str,
    /// Whose state it is.
    pub(crate) role: Role,
    /// The version whose message forms are decoded (Certificate,
    /// CertificateRequest and NewSessionTicket differ).
    pub(crate) version: ProtocolVersion,
    /// The handshake messages it accepts.
    pub(crate) accepts: &'static [T],
    /// What a ChangeCipherSpec means here.
    pub(crate) ccs: Ccs,
}

/// A row: the state (named once, for the trace too), whose it is, the
/// version of its message forms, what it accepts, what a
/// ChangeCipherSpec means there.
macro_rules! row {
    ($state:ident, $role:expr, $version:expr, $accepts:expr, $ccs:expr) => {
        Row {
            state: StateId::$state,
            name: stringify!($state),
            role: $role,
            version: $version,
            accepts: $accepts,
            ccs: $ccs,
        }
    };
}

use Ccs::{Expected, Refused, Tolerated};
use Role::{Client as C, Server as S};
const V12: ProtocolVersion = ProtocolVersion::TLSV1_2;
const V13: ProtocolVersion = ProtocolVersion::TLSV1_3;

/// Every state, in the order of [`StateId`].
#[rustfmt::skip]
static TABLE: [Row; 30] = [
    // The TLS 1.3 client (RFC 8446 §2, §4.1.3, §4.1.4, §4.3, §4.4, §4.6).
    // A HelloRetryRequest is a ServerHello; the ServerHello also decides
    // between TLS 1.3 and 1.2, and its form is the same in both.
    row!(ClientExpectServerHello, C, V13, &[T::SERVER_HELLO], Tolerated),
    row!(ClientExpectServerHelloAfterRetry, C, V13, &[T::SERVER_HELLO], Tolerated),
    row!(ClientExpectEncryptedExtensions, C, V13, &[T::ENCRYPTED_EXTENSIONS], Tolerated),
    row!(ClientExpectCertificateOrCertificateRequest, C, V13,
        &[T::CERTIFICATE_REQUEST, T::CERTIFICATE, T::COMPRESSED_CERTIFICATE], Tolerated),
    row!(ClientExpectCertificate, C, V13, &[T::CERTIFICATE, T::COMPRESSED_CERTIFICATE], Tolerated),
    row!(ClientExpectCertificateVerify, C, V13, &[T::CERTIFICATE_VERIFY], Tolerated),
    row!(ClientExpectFinished, C, V13, &[T::FINISHED], Tolerated),
    row!(ClientConnected13, C, V13, &[T::NEW_SESSION_TICKET, T::KEY_UPDATE], Refused),
    // The TLS 1.2 client after ServerHello (RFC 5246 §7.3, RFC 6066 §8,
    // RFC 5077 §3). A resumed session goes from ServerHello to the
    // NewSessionTicket or ChangeCipherSpec rows.
    row!(ClientExpectCertificate12, C, V12, &[T::CERTIFICATE], Refused),
    row!(ClientExpectCertificateStatusOrServerKeyExchange12, C, V12,
        &[T::CERTIFICATE_STATUS, T::SERVER_KEY_EXCHANGE], Refused),
    row!(ClientExpectServerKeyExchange12, C, V12, &[T::SERVER_KEY_EXCHANGE], Refused),
    row!(ClientExpectCertificateRequestOrServerHelloDone12, C, V12,
        &[T::CERTIFICATE_REQUEST, T::SERVER_HELLO_DONE], Refused),
    row!(ClientExpectServerHelloDone12, C, V12, &[T::SERVER_HELLO_DONE], Refused),
    row!(ClientExpectNewSessionTicket12, C, V12, &[T::NEW_SESSION_TICKET], Refused),
    row!(ClientExpectChangeCipherSpec12, C, V12, &[], Expected),
    row!(ClientExpectFinished12, C, V12, &[T::FINISHED], Refused),
    // RFC 5246 §7.4.1.1: a HelloRequest, answered with no_renegotiation.
    row!(ClientConnected12, C, V12, &[T::HELLO_REQUEST], Refused),
    // The TLS 1.3 server (RFC 8446 §2, §4.1.2, §4.5, §4.4). The first
    // ClientHello decides the version; its form is the same in both.
    row!(ServerExpectClientHello, S, V12, &[T::CLIENT_HELLO], Refused),
    row!(ServerExpectSecondClientHello, S, V13, &[T::CLIENT_HELLO], Tolerated),
    row!(ServerExpectEndOfEarlyData, S, V13, &[T::END_OF_EARLY_DATA], Tolerated),
    row!(ServerExpectCertificate, S, V13, &[T::CERTIFICATE, T::COMPRESSED_CERTIFICATE], Tolerated),
    row!(ServerExpectCertificateVerify, S, V13, &[T::CERTIFICATE_VERIFY], Tolerated),
    row!(ServerExpectFinished, S, V13, &[T::FINISHED], Tolerated),
    row!(ServerConnected13, S, V13, &[T::KEY_UPDATE], Refused),
    // The TLS 1.2 server after its flight (RFC 5246 §7.3). A resumed
    // session goes straight to the ChangeCipherSpec row.
    row!(ServerExpectCertificate12, S, V12, &[T::CERTIFICATE], Refused),
    row!(ServerExpectClientKeyExchange12, S, V12, &[T::CLIENT_KEY_EXCHANGE], Refused),
    row!(ServerExpectCertificateVerify12, S, V12, &[T::CERTIFICATE_VERIFY], Refused),
    row!(ServerExpectChangeCipherSpec12, S, V12, &[], Expected),
    row!(ServerExpectFinished12, S, V12, &[T::FINISHED], Refused),
    // RFC 5746 §4.4: a ClientHello asking to renegotiate, refused.
    row!(ServerConnected12, S, V12, &[T::CLIENT_HELLO], Refused),
];

/// The row of `state`.
pub(crate) fn row_of(state: StateId) -> &'static Row {
    // The table is in the order of StateId, which a test checks; a row
    // out of place would still be found, by the search.
    match TABLE.get(state as usize) {
        Some(r) if r.state == state => r,
        _ => TABLE.iter().find(|r| r.state == state).unwrap_or(&TABLE[0]),
    }
}

/// Checks a handshake message of type `typ` against the table before it
/// is parsed: a type the state does not accept is unexpected_message.
pub(crate) fn check_message(state: StateId, typ: T) -> Result<&'static Row, Error> {
    let row = row_of(state);
    if row.accepts.contains(&typ) {
        return Ok(row);
    }
    // A type that no state of ours accepts is one the peer's role never
    // sends (a ClientHello sent to a client, say).
    let peer = row.role.peer();
    let ever = TABLE
        .iter()
        .any(|r| r.role == row.role && r.accepts.contains(&typ));
    let reason = if ever {
        format!("received {typ:?} while expecting {}", expected(row))
    } else {
        format!(
            "received {typ:?}, which a {} never sends",
            match peer {
                Role::Client => "client",
                Role::Server => "server",
            }
        )
    };
    Err(Error::peer(AlertDescription::UNEXPECTED_MESSAGE, reason))
}

/// What a row waits for, in words.
fn expected(row: &Row) -> String {
    let mut names: Vec<String> = row.accepts.iter().map(|t| format!("{t:?}")).collect();
    if row.ccs == Ccs::Expected {
        names.push("change_cipher_spec".into());
    }
    names.join(" or ")
}

/// What a ChangeCipherSpec does in `state`: an error where it is refused.
pub(crate) fn check_ccs(state: StateId) -> Result<Ccs, Error> {
    let row = row_of(state);
    match row.ccs {
        Ccs::Refused => Err(Error::peer(
            AlertDescription::UNEXPECTED_MESSAGE,
            format!(
                "received change_cipher_spec while expecting {}",
                expected(row)
            ),
        )),
        ccs => Ok(ccs),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_in_state_order_and_each_accepts_something() {
        for (i, r) in TABLE.iter().enumerate() {
            assert_eq!(r.state as usize, i, "{:?}", r.state);
            assert!(
                !r.accepts.is_empty() || r.ccs == Ccs::Expected,
                "{:?}",
                r.state
            );
            // TLS 1.3 has no ChangeCipherSpec that means anything.
            assert!(r.version == V12 || r.ccs != Ccs::Expected, "{:?}", r.state);
        }
    }

    #[test]
    fn out_of_order_messages_are_unexpected_message() {
        let e =
            check_message(StateId::ClientExpectEncryptedExtensions, T::CERTIFICATE).unwrap_err();
        assert_eq!(e.alert(), Some(AlertDescription::UNEXPECTED_MESSAGE));
        assert!(
            e.to_string()
                .contains("while expecting encrypted_extensions"),
            "{e}"
        );
        let e = check_message(StateId::ClientExpectServerHello, T::CLIENT_HELLO).unwrap_err();
        assert!(e.to_string().contains("which a server never sends"), "{e}");
        let e = check_message(StateId::ServerExpectClientHello, T::NEW_SESSION_TICKET).unwrap_err();
        assert!(e.to_string().contains("which a client never sends"), "{e}");
        assert!(check_message(StateId::ClientExpectFinished, T::FINISHED).is_ok());
        assert!(check_ccs(StateId::ClientConnected13).is_err());
        assert_eq!(
            check_ccs(StateId::ServerExpectChangeCipherSpec12).ok(),
            Some(Ccs::Expected)
        );
    }
}
