//! The ServerHello that decides the version (RFC 8446 §4.1.3, §4.2.1,
//! §D.5; RFC 5246 §7.4.1.3): the client's first state, which hands over to
//! the TLS 1.3 or the TLS 1.2 client.

use super::client_common::{chosen_suite, select_version, HelloSent};
use super::{client12, client13, Context, State, StateId};
use crate::crypto::suites::SupportedSuite;
use crate::error::Error;
use crate::msgs::enums::AlertDescription;
use crate::msgs::handshake::{HandshakeMessage, HandshakePayload};

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
        let version = select_version(&self.0.shared.config, sh)?;
        let suite = chosen_suite(&self.0.hello, sh, version)?;
        cx.info.version = Some(version);
        match suite {
            SupportedSuite::Tls13(suite) if sh.is_hello_retry_request() => {
                client13::handle_hello_retry_request(self.0, cx, sh, suite, raw)
            }
            SupportedSuite::Tls13(suite) => {
                client13::handle_server_hello(self.0, cx, sh, suite, raw)
            }
            SupportedSuite::Tls12(suite) => {
                // RFC 9846 §E.3 (RFC 8446 §D.3): a client that sent 0-RTT
                // data and meets a TLS 1.2 server must fail the connection;
                // it may retry without 0-RTT.
                if self.0.early_offered {
                    return Err(Error::peer(
                        AlertDescription::PROTOCOL_VERSION,
                        "we sent 0-RTT data and the server chose TLS 1.2; retry without early data (RFC 9846 §E.3)",
                    ));
                }
                client12::handle_server_hello(self.0, cx, sh, suite, raw)
            }
        }
    }
}
