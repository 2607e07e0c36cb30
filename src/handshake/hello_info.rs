//! What a ClientHello offers, in a form a caller can read before choosing
//! the server's configuration.

use super::server_common::{asks_for_ocsp, sni};
use crate::error::Error;
use crate::msgs::enums::SignatureScheme;
use crate::msgs::enums::{AlertDescription, HandshakeType};
use crate::msgs::enums::{CipherSuite, ExtensionType, NamedGroup, ProtocolVersion};
use crate::msgs::extensions::Extension;
use crate::msgs::handshake::{ClientHello, HandshakeMessage, HandshakePayload};

/// What a ClientHello offers, for choosing a configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientHelloInfo {
    /// The host name from server_name (RFC 6066 §3), if it sent one.
    pub server_name: Option<String>,
    /// The application protocols it offers (RFC 7301), in its order.
    pub alpn_protocols: Vec<Vec<u8>>,
    /// The signature schemes it accepts (RFC 8446 §4.2.3).
    pub signature_schemes: Vec<SignatureScheme>,
    /// The key exchange groups it supports (RFC 8446 §4.2.7).
    pub groups: Vec<NamedGroup>,
    /// Its cipher suites, GREASE and signalling values included.
    pub cipher_suites: Vec<CipherSuite>,
    /// The versions it offers (supported_versions, or legacy_version).
    pub versions: Vec<ProtocolVersion>,
    /// Whether it asks for a stapled OCSP response (status_request of
    /// type OCSP, RFC 6066 §8), which a credential's response then
    /// answers: a server may fetch one only for the clients that want it.
    pub status_request: bool,
}

impl ClientHelloInfo {
    /// The offer of a whole handshake message, which must be a
    /// ClientHello: anything else where one is due is unexpected_message;
    /// a malformed one, decode_error.
    pub(crate) fn from_message(message: &[u8]) -> Result<Self, Error> {
        let typ = HandshakeType(message.first().copied().unwrap_or_default());
        if typ != HandshakeType::CLIENT_HELLO {
            return Err(Error::peer(
                AlertDescription::UNEXPECTED_MESSAGE,
                format!("a {typ:?} where the ClientHello was due"),
            ));
        }
        let msg = HandshakeMessage::decode(message, ProtocolVersion::TLSV1_2)
            .map_err(|e| Error::decode("ClientHello", e))?;
        let HandshakePayload::ClientHello(ch) = &msg.payload else {
            return Err(Error::Internal("a ClientHello decoded as another message"));
        };
        Self::from_hello(ch)
    }

    /// The offer of `ch`. Fails as the handshake would on a malformed
    /// server_name (RFC 6066 §3).
    pub(crate) fn from_hello(ch: &ClientHello) -> Result<Self, Error> {
        let list = |typ| ch.extension(typ);
        Ok(ClientHelloInfo {
            server_name: sni(ch)?.map(|n| n.as_ref().to_string()),
            alpn_protocols: match list(ExtensionType::APPLICATION_LAYER_PROTOCOL_NEGOTIATION) {
                Some(Extension::Alpn(p)) => p.clone(),
                _ => Vec::new(),
            },
            signature_schemes: match list(ExtensionType::SIGNATURE_ALGORITHMS) {
                Some(Extension::SignatureAlgorithms(s)) => s.clone(),
                _ => Vec::new(),
            },
            groups: match list(ExtensionType::SUPPORTED_GROUPS) {
                Some(Extension::SupportedGroups(g)) => g.clone(),
                _ => Vec::new(),
            },
            cipher_suites: ch.cipher_suites.clone(),
            versions: match list(ExtensionType::SUPPORTED_VERSIONS) {
                Some(Extension::SupportedVersionsClient(v)) => v.clone(),
                _ => vec![ch.legacy_version],
            },
            status_request: asks_for_ocsp(ch),
        })
    }
}
