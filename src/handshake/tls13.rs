//! What the TLS 1.3 client and server share: record keys from traffic
//! secrets (RFC 8446 §7.3), the CertificateVerify check (§4.4.3), and a
//! connected session's traffic secrets with KeyUpdate both ways (§4.6.3,
//! §7.2).

use super::{Command, Context};
use crate::crypto::{Secret, Tls13Suite};
use crate::error::Error;
use crate::key_schedule::tls13::{next_traffic_secret, traffic_key_iv};
use crate::msgs::enums::{AlertDescription, KeyUpdateRequest, SignatureScheme};
use crate::msgs::handshake::{tls13_signed_content, DigitallySigned, HandshakePayload};
use crate::msgs::Role;
use crate::record::{RecordOpener, RecordSealer};
use crate::verify::PeerKey;

/// Keys that protect what we send under `secret`.
pub(crate) fn sealer(suite: &Tls13Suite, secret: &Secret) -> Result<RecordSealer, Error> {
    let (key, iv) = traffic_key_iv(suite.hash, suite.aead, secret.as_bytes());
    RecordSealer::tls13(suite.aead, key.as_bytes(), iv)
}

/// Keys that open what the peer sends under `secret`.
pub(crate) fn opener(suite: &Tls13Suite, secret: &Secret) -> Result<RecordOpener, Error> {
    let (key, iv) = traffic_key_iv(suite.hash, suite.aead, secret.as_bytes());
    RecordOpener::tls13(suite.aead, key.as_bytes(), iv)
}

/// Checks one handshake signature: the peer's key (certificate or raw
/// public key), scheme, signed content, signature (a verifier's
/// `verify_handshake_signature`).
pub(crate) type SignatureCheck<'a> =
    dyn Fn(PeerKey<'_>, SignatureScheme, &[u8], &[u8]) -> Result<(), Error> + 'a;

/// Checks the peer's CertificateVerify over the transcript hash with
/// `verify` (RFC 8446 §4.4.3) and records the scheme; `signer` is the
/// peer's role. The caller has checked that the scheme was offered.
pub(crate) fn verify_certificate_verify(
    cx: &mut Context<'_>,
    cv: &DigitallySigned,
    signer: Role,
    transcript_hash: &[u8],
    verify: &SignatureCheck<'_>,
) -> Result<(), Error> {
    let content = tls13_signed_content(signer, transcript_hash);
    verify(cx.info.peer_key()?, cv.scheme, &content, &cv.signature)?;
    cx.info.peer_signature_scheme = Some(cv.scheme);
    Ok(())
}

/// The most KeyUpdates a peer may send in a row without any application
/// data in between; a peer that sends more is flooding us.
const MAX_KEY_UPDATES_IN_A_ROW: u32 = 32;

/// A connected session's traffic secrets.
pub(crate) struct Traffic13 {
    pub(crate) suite: &'static Tls13Suite,
    write_secret: Secret,
    read_secret: Secret,
    updates_in_a_row: u32,
    /// Our answer to a requested update is out, and no data has followed:
    /// more requests need no more answers (RFC 8446 §4.6.3).
    answered: bool,
}

impl Traffic13 {
    pub(crate) fn new(
        suite: &'static Tls13Suite,
        write_secret: Secret,
        read_secret: Secret,
    ) -> Self {
        Traffic13 {
            suite,
            write_secret,
            read_secret,
            updates_in_a_row: 0,
            answered: false,
        }
    }

    /// Moves our sending side to the next secret, announcing it (RFC 8446
    /// §4.6.3).
    pub(crate) fn send_update(
        &mut self,
        cx: &mut Context<'_>,
        request_peer: bool,
    ) -> Result<(), Error> {
        let request = if request_peer {
            KeyUpdateRequest::UPDATE_REQUESTED
        } else {
            KeyUpdateRequest::UPDATE_NOT_REQUESTED
        };
        cx.send_post_handshake(HandshakePayload::KeyUpdate(request))?;
        self.write_secret = next_traffic_secret(self.suite.hash, self.write_secret.as_bytes());
        cx.out
            .push(Command::write_keys(sealer(self.suite, &self.write_secret)?));
        Ok(())
    }

    /// The peer's KeyUpdate: move our receiving side on, and answer if it
    /// asks.
    pub(crate) fn received_update(
        &mut self,
        cx: &mut Context<'_>,
        request: KeyUpdateRequest,
    ) -> Result<(), Error> {
        self.updates_in_a_row += 1;
        if self.updates_in_a_row > MAX_KEY_UPDATES_IN_A_ROW {
            return Err(Error::peer(
                AlertDescription::UNEXPECTED_MESSAGE,
                "too many KeyUpdate messages without application data",
            ));
        }
        self.read_secret = next_traffic_secret(self.suite.hash, self.read_secret.as_bytes());
        cx.out
            .push(Command::read_keys(opener(self.suite, &self.read_secret)?));
        cx.out.push(Command::KeyUpdated);
        if request == KeyUpdateRequest::UPDATE_REQUESTED && !self.answered {
            self.send_update(cx, false)?;
            self.answered = true;
        }
        Ok(())
    }

    /// We sent application data: a later request gets a new answer.
    pub(crate) fn sent_application_data(&mut self) {
        self.answered = false;
    }

    /// Application data arrived: the KeyUpdate run is over.
    pub(crate) fn saw_application_data(&mut self) {
        self.updates_in_a_row = 0;
    }
}

/// The [`super::State`] methods that every connected TLS 1.3 state shares:
/// it has a `traffic: Traffic13` field.
macro_rules! connected13_methods {
    () => {
        fn send_key_update(
            &mut self,
            cx: &mut Context<'_>,
            request_peer: bool,
        ) -> Result<(), Error> {
            self.traffic.send_update(cx, request_peer)
        }

        fn on_application_data(&mut self) {
            self.traffic.saw_application_data();
        }

        fn on_application_data_sent(&mut self) {
            self.traffic.sent_application_data();
        }
    };
}
pub(crate) use connected13_methods;
