//! A connected TLS 1.3 session's traffic secrets, and KeyUpdate in both
//! directions (RFC 8446 §4.6.3, §7.2).

use super::{tls13_opener, tls13_sealer, Command, Context};
use crate::crypto::{Secret, Tls13Suite};
use crate::error::Error;
use crate::key_schedule::tls13::next_traffic_secret;
use crate::msgs::enums::{AlertDescription, KeyUpdateRequest};
use crate::msgs::handshake::{HandshakeMessage, HandshakePayload};

/// The [`super::State`] methods that every connected TLS 1.3 state shares:
/// it has a `traffic: Traffic13` field.
macro_rules! connected13_methods {
    () => {
        fn handle_ccs(self: Box<Self>, _cx: &mut Context<'_>) -> Result<Box<dyn State>, Error> {
            Err(Error::peer(
                AlertDescription::UNEXPECTED_MESSAGE,
                "ChangeCipherSpec after the handshake",
            ))
        }

        fn version(&self) -> ProtocolVersion {
            ProtocolVersion::TLSV1_3
        }

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

/// The most KeyUpdates a peer may send in a row without any application
/// data in between; a peer that sends more is flooding us.
const MAX_KEY_UPDATES_IN_A_ROW: u32 = 32;

pub(crate) struct Traffic13 {
    pub(crate) suite: &'static Tls13Suite,
    pub(crate) write_secret: Secret,
    pub(crate) read_secret: Secret,
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

    /// Moves our sending side to the next secret, announcing it.
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
        cx.send(&HandshakeMessage::new(HandshakePayload::KeyUpdate(request)));
        self.write_secret = next_traffic_secret(self.suite.hash, self.write_secret.as_bytes());
        cx.out.push(Command::write_keys(tls13_sealer(
            self.suite,
            &self.write_secret,
        )?));
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
        cx.out.push(Command::read_keys(tls13_opener(
            self.suite,
            &self.read_secret,
        )?));
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
