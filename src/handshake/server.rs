//! The server's first state: the ClientHello that decides the version
//! (RFC 8446 §4.1.2, §4.2.1; RFC 5246 §7.4.1.2), handed over to the TLS 1.3
//! or the TLS 1.2 server.

use super::ech::{server_accept, ServerEch};
use super::server_common::{host_name, select_version, HostName};
use super::{server12, server13, Context, State, StateId};
use crate::config::ServerConfig;
use crate::config::{EarlyDataReason, EchStatus};
use crate::error::Error;
use crate::msgs::enums::ProtocolVersion;
use crate::msgs::handshake::{HandshakeMessage, HandshakePayload};
use std::sync::Arc;

/// The state before the first ClientHello.
pub(crate) fn start_server(config: Arc<ServerConfig>) -> Box<dyn State> {
    Box::new(ExpectClientHello { config })
}

struct ExpectClientHello {
    config: Arc<ServerConfig>,
}

impl State for ExpectClientHello {
    fn id(&self) -> StateId {
        StateId::ServerExpectClientHello
    }

    fn handle(
        self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage,
        raw: &[u8],
    ) -> Result<Box<dyn State>, Error> {
        let HandshakePayload::ClientHello(ch) = &msg.payload else {
            return Err(Error::Internal("the table let through another message"));
        };
        // RFC 9001 §8.2: quic_transport_parameters outside QUIC is
        // unsupported_extension.
        if cx.info.quic.is_none()
            && ch
                .extension(crate::msgs::enums::ExtensionType::QUIC_TRANSPORT_PARAMETERS)
                .is_some()
        {
            return Err(crate::error::Error::peer(
                crate::msgs::enums::AlertDescription::UNSUPPORTED_EXTENSION,
                "quic_transport_parameters in a ClientHello over TLS, not QUIC (RFC 9001 §8.2)",
            ));
        }
        // RFC 9849 §7.1: ECH is decided before anything else; an accepted
        // one hands over ClientHelloInner.
        let accepted = match server_accept(&self.config, ch, raw)? {
            ServerEch::NotOffered => None,
            ServerEch::Rejected => {
                cx.info.ech = EchStatus::Rejected;
                None
            }
            ServerEch::Accepted(a) => {
                cx.info.ech = EchStatus::Accepted;
                cx.trace_client_hello_inner(&a.raw_inner, false);
                Some(a)
            }
        };
        let (ch, raw) = match &accepted {
            Some(a) => (&a.inner, a.raw_inner.as_slice()),
            None => (ch, raw),
        };
        if cx.info.quic.is_some() {
            quic_hello_rules(&self.config, cx, ch)?;
        }
        let version = select_version(&self.config, ch)?;
        cx.info.version = Some(version);
        match host_name(ch)? {
            Some(HostName::Dns(name)) => cx.info.sni = Some(name.as_ref().to_string()),
            Some(HostName::IpLiteral(ip)) => cx.info.ignored_server_name = Some(ip),
            None => {}
        }
        if version == ProtocolVersion::TLSV1_3 {
            let ch = ch.clone();
            let raw = raw.to_vec();
            let retry = accepted.map(|a| a.retry);
            server13::handle_client_hello(self.config, cx, &ch, &raw, retry)
        } else {
            cx.info.early_data_reason = Some(match self.config.max_early_data {
                0 => EarlyDataReason::Disabled,
                _ => EarlyDataReason::ProtocolVersion,
            });
            server12::handle_client_hello(self.config, cx, ch, raw)
        }
    }
}

/// What QUIC requires of the ClientHello the server goes on with
/// (ClientHelloInner after an accepted ECH, whose outer hello may carry
/// neither): an offer of application protocols, and the client's
/// transport parameters, kept for the QUIC layer. The second ClientHello
/// after a HelloRetryRequest must repeat both (RFC 8446 §4.1.2).
fn quic_hello_rules(
    config: &ServerConfig,
    cx: &mut Context<'_>,
    ch: &crate::msgs::handshake::ClientHello,
) -> Result<(), Error> {
    use crate::msgs::enums::{AlertDescription, ExtensionType};
    use crate::msgs::extensions::Extension;
    // RFC 9001 §8.1: without ALPN on either side no protocol can be
    // agreed; refused before answering (a client that offers protocols we
    // lack is refused by the ALPN choice).
    let offered = ch
        .extension(ExtensionType::APPLICATION_LAYER_PROTOCOL_NEGOTIATION)
        .is_some();
    if !offered || config.alpn.is_empty() {
        return Err(quic_no_application_protocol());
    }
    // RFC 9001 §8.2: quic_transport_parameters is required.
    let Some(Extension::QuicTransportParameters(params)) =
        ch.extension(ExtensionType::QUIC_TRANSPORT_PARAMETERS)
    else {
        return Err(Error::peer(
            AlertDescription::MISSING_EXTENSION,
            "the ClientHello has no quic_transport_parameters (RFC 9001 §8.2)",
        ));
    };
    if let Some(q) = cx.info.quic.as_mut() {
        q.peer = Some(params.clone());
    }
    Ok(())
}

/// RFC 9001 §8.1: QUIC requires an application protocol.
pub(crate) fn quic_no_application_protocol() -> Error {
    Error::peer(
        crate::msgs::enums::AlertDescription::NO_APPLICATION_PROTOCOL,
        "no application protocol was agreed, and QUIC requires one (RFC 9001 §8.1)",
    )
}
