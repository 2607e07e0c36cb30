//! cloaktls as quinn's TLS: quinn-proto's crypto traits implemented on
//! [`cloaktls::quic`], so that [quinn](https://docs.rs/quinn) runs QUIC
//! with cloaktls's handshake and keys in place of rustls.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! # let (server_cert, roots): (cloaktls::CertifiedKey, cloaktls::RootStore) = todo!();
//! // A server.
//! let tls = cloaktls::ServerConfig::builder(server_cert).alpn_protocols(["h3"]).build()?;
//! let crypto = cloaktls_quinn::QuicServerConfig::new(tls)?;
//! let server_config = cloaktls_quinn::server_config(Arc::new(crypto))?;
//! let socket = std::net::UdpSocket::bind("127.0.0.1:4433")?;
//! let server = quinn::Endpoint::new(
//!     cloaktls_quinn::endpoint_config()?,
//!     Some(server_config),
//!     socket,
//!     Arc::new(quinn::TokioRuntime),
//! )?;
//! // A client.
//! let tls = cloaktls::ClientConfig::builder(roots).alpn_protocols(["h3"]).build()?;
//! let crypto = cloaktls_quinn::QuicClientConfig::new(tls)?;
//! let mut client = quinn::Endpoint::new(
//!     cloaktls_quinn::endpoint_config()?,
//!     None,
//!     std::net::UdpSocket::bind("127.0.0.1:0")?,
//!     Arc::new(quinn::TokioRuntime),
//! )?;
//! client.set_default_client_config(quinn::ClientConfig::new(Arc::new(crypto)));
//! let conn = client.connect("127.0.0.1:4433".parse()?, "localhost")?.await?;
//! # let _ = (server, conn); Ok(()) }
//! ```
//!
//! What the application downcasts quinn's `Any` values to:
//! `Connection::handshake_data()` is a [`HandshakeData`], and
//! `Connection::peer_identity()` a `Vec<CertificateDer<'static>>` (the
//! peer's chain, end entity first).
//!
//! QUIC version 1 only: cloaktls implements version 2 (RFC 9369) too, but
//! quinn 0.11's packet layer knows only version 1's long header types, so
//! the configurations here refuse other versions (a server then answers
//! with Version Negotiation).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod keys;
mod session;
mod token;

use cloaktls::quic::{self, ClientConnection, ServerConnection, Version};
use cloaktls::{ClientConfig, Error, ServerConfig};
use quinn_proto::crypto::{self, Keys, UnsupportedVersion};
use quinn_proto::transport_parameters::TransportParameters;
use quinn_proto::{ConnectError, ConnectionId};
use session::Session;
use std::sync::Arc;

pub use token::{ResetKey, TokenKey};

/// What quinn's `handshake_data()` gives, once ready: the ALPN protocol,
/// and (server) the name the client asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandshakeData {
    /// The application protocol agreed with ALPN.
    pub protocol: Option<Vec<u8>>,
    /// Server: the SNI name of the client's ClientHello.
    pub server_name: Option<String>,
}

/// The one QUIC version quinn 0.11 can carry.
fn version(v: u32) -> Result<Version, UnsupportedVersion> {
    match Version::from_wire(v) {
        Some(Version::V1) => Ok(Version::V1),
        _ => Err(UnsupportedVersion),
    }
}

fn encode(params: &TransportParameters) -> Vec<u8> {
    let mut out = Vec::new();
    params.write(&mut out);
    out
}

/// A client's crypto configuration for quinn (`quinn::ClientConfig::new`).
#[derive(Debug, Clone)]
pub struct QuicClientConfig {
    inner: Arc<quic::QuicClientConfig>,
}

impl QuicClientConfig {
    /// From a cloaktls client configuration: TLS 1.3 only and no
    /// compatibility mode are made so (RFC 9001 §4.2, §8.4); ALPN must be
    /// set (§8.1); `early_data(true)` enables 0-RTT.
    pub fn new(tls: Arc<ClientConfig>) -> Result<Self, Error> {
        Ok(QuicClientConfig {
            inner: quic::QuicClientConfig::new(tls)?,
        })
    }
}

impl crypto::ClientConfig for QuicClientConfig {
    fn start_session(
        self: Arc<Self>,
        version: u32,
        server_name: &str,
        params: &TransportParameters,
    ) -> Result<Box<dyn crypto::Session>, ConnectError> {
        let v = version_of(version)?;
        if pki_types::ServerName::try_from(server_name).is_err() {
            return Err(ConnectError::InvalidServerName(server_name.to_string()));
        }
        let tls = ClientConnection::new(self.inner.clone(), v, server_name, encode(params))
            // The name was checked: what is left is a failure to start at
            // all (no randomness), for which quinn has no other word.
            .map_err(|e| ConnectError::InvalidServerName(format!("{server_name}: {e}")))?;
        Ok(Box::new(Session::client(tls, v)))
    }
}

fn version_of(v: u32) -> Result<Version, ConnectError> {
    version(v).map_err(ConnectError::from)
}

/// A server's crypto configuration for quinn (see [`server_config`]).
#[derive(Debug, Clone)]
pub struct QuicServerConfig {
    inner: Arc<quic::QuicServerConfig>,
}

impl QuicServerConfig {
    /// From a cloaktls server configuration: TLS 1.3 only (RFC 9001
    /// §4.2); ALPN must be set (§8.1); a `max_early_data` above zero
    /// enables 0-RTT, announced as 0xffffffff (§4.6.1).
    pub fn new(tls: Arc<ServerConfig>) -> Result<Self, Error> {
        Ok(QuicServerConfig {
            inner: quic::QuicServerConfig::new(tls)?,
        })
    }
}

impl crypto::ServerConfig for QuicServerConfig {
    fn initial_keys(&self, v: u32, dst_cid: &ConnectionId) -> Result<Keys, UnsupportedVersion> {
        let v = version(v)?;
        Ok(keys::keys(quic::Keys::initial(
            v,
            dst_cid,
            cloaktls::Role::Server,
        )))
    }

    fn retry_tag(&self, v: u32, orig_dst_cid: &ConnectionId, packet: &[u8]) -> [u8; 16] {
        // quinn asks only for versions that initial_keys took, and its
        // connection IDs are at most 20 bytes: neither error happens (and
        // a zero tag would only make the client drop the Retry).
        version(v)
            .ok()
            .and_then(|v| quic::retry_integrity_tag(v, orig_dst_cid, packet).ok())
            .unwrap_or([0; 16])
    }

    fn start_session(
        self: Arc<Self>,
        v: u32,
        params: &TransportParameters,
    ) -> Box<dyn crypto::Session> {
        // quinn starts sessions only for versions that initial_keys took.
        let v = version(v).unwrap_or(Version::V1);
        Box::new(Session::server(
            ServerConnection::new(self.inner.clone(), v, encode(params)),
            v,
        ))
    }
}

/// quinn's endpoint configuration with a random stateless reset key of
/// cloaktls's ([`ResetKey`]).
pub fn endpoint_config() -> Result<quinn_proto::EndpointConfig, Error> {
    Ok(quinn_proto::EndpointConfig::new(Arc::new(
        ResetKey::random()?,
    )))
}

/// quinn's server configuration for `crypto`, with a random address
/// validation token key of cloaktls's ([`TokenKey`]).
pub fn server_config(crypto: Arc<QuicServerConfig>) -> Result<quinn_proto::ServerConfig, Error> {
    Ok(quinn_proto::ServerConfig::new(
        crypto,
        Arc::new(TokenKey::random()?),
    ))
}
