//! The ServerHello that decides the version (RFC 8446 §4.1.3, §4.2.1,
//! §D.5; RFC 5246 §7.4.1.3): the client's first state, which hands over to
//! the TLS 1.3 or the TLS 1.2 client.

use super::client_common::{chosen_suite, select_version, HelloSent};
use super::transcript::Transcript;
use super::{client12, client13, ech_client, Context, State, StateId};
use crate::config::{EarlyDataReason, EchStatus};
use crate::crypto::suites::SupportedSuite;
use crate::crypto::Tls13Suite;
use crate::error::Error;
use crate::msgs::enums::AlertDescription;
use crate::msgs::handshake::{HandshakeMessage, HandshakePayload, ServerHello};

/// The first ClientHello is out; the ServerHello (or a HelloRetryRequest)
/// decides the version.
pub(crate) struct ExpectServerHello(pub(crate) HelloSent);

impl State for ExpectServerHello {
    fn id(&self) -> StateId {
        StateId::ClientExpectServerHello
    }

    fn handle(
        self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage,
        raw: &[u8],
    ) -> Result<Box<dyn State>, Error> {
        let HandshakePayload::ServerHello(sh) = &msg.payload else {
            return Err(Error::Internal("the table let through another message"));
        };
        let mut st = self.0;
        let version = select_version(&st.shared.config, sh)?;
        let suite = chosen_suite(&st.hello, sh, version)?;
        cx.info.version = Some(version);
        // RFC 9849 §6.1.4: this message says whether ECH was accepted.
        let tls13 = match suite {
            SupportedSuite::Tls13(s) => Some(s),
            SupportedSuite::Tls12(_) => None,
        };
        resolve_ech(&mut st, cx, sh, raw, tls13)?;
        match suite {
            SupportedSuite::Tls13(suite) if sh.is_hello_retry_request() => {
                client13::handle_hello_retry_request(st, cx, sh, suite, raw)
            }
            SupportedSuite::Tls13(suite) => client13::handle_server_hello(st, cx, sh, suite, raw),
            SupportedSuite::Tls12(suite) => {
                // RFC 9846 §E.3 (RFC 8446 §D.3): a client that sent 0-RTT
                // data and meets a TLS 1.2 server must fail the connection;
                // it may retry without 0-RTT.
                if st.early_offered {
                    cx.info.early_data_reason = Some(EarlyDataReason::ProtocolVersion);
                    return Err(Error::peer(
                        AlertDescription::PROTOCOL_VERSION,
                        "we sent 0-RTT data and the server chose TLS 1.2; retry without early data (RFC 9846 §E.3)",
                    ));
                }
                client12::handle_server_hello(st, cx, sh, suite, raw)
            }
        }
    }
}

/// Reads ECH's fate from the server's first message and sets the client
/// up for it: accepted, ClientHelloInner and its transcript take the
/// outer's place (§6.1.5); rejected, the handshake goes on with
/// ClientHelloOuter, authenticated for the public name and without the
/// inner's PSK (§6.1.6). TLS 1.2 (`suite` is `None`) is a rejection.
fn resolve_ech(
    st: &mut HelloSent,
    cx: &mut Context<'_>,
    sh: &ServerHello,
    raw: &[u8],
    suite: Option<&Tls13Suite>,
) -> Result<(), Error> {
    let Some(mut offer) = st.ech.take() else {
        return Ok(());
    };
    let is_accepted = match suite {
        Some(s) => ech_client::accepted(&offer, sh, raw, s)?,
        None => false,
    };
    cx.info.ech_public_name = Some(offer.chosen.public_name.clone());
    if !is_accepted {
        st.shared.server_name = ech_client::public_server_name(&offer.chosen)?;
        st.shared.ech = EchStatus::Rejected;
        cx.info.ech = EchStatus::Rejected;
        st.psks.clear();
        return Ok(());
    }
    st.shared.ech = EchStatus::Accepted;
    cx.info.ech = EchStatus::Accepted;
    // Answers are now checked against ClientHelloInner's offer.
    st.shared.offered = super::client_common::offered_types(&offer.inner);
    let inner = std::mem::replace(&mut offer.inner, st.hello.clone());
    let outer = std::mem::replace(&mut st.hello, inner);
    st.transcript = std::mem::replace(&mut offer.inner_transcript, Transcript::new());
    if sh.is_hello_retry_request() {
        // The second ClientHelloOuter seals with the same context.
        offer.outer = Some(outer);
        st.ech = Some(offer);
    }
    Ok(())
}
