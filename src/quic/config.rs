//! The TLS configurations of QUIC endpoints: a TLS configuration with what
//! RFC 9001 requires of it made so once, when it is wrapped.

use crate::config::{ClientConfig, ServerConfig};
use crate::crypto::SupportedSuite;
use crate::error::Error;
use crate::msgs::enums::ProtocolVersion;
use std::sync::Arc;

/// A configuration left without a TLS 1.3 suite cannot run QUIC.
fn some_suite(suites: &[SupportedSuite]) -> Result<(), Error> {
    if suites.is_empty() {
        return Err(Error::Config(
            "QUIC needs a TLS 1.3 cipher suite, and the configuration has none".into(),
        ));
    }
    Ok(())
}

/// RFC 9001 §4.2: TLS 1.3 and nothing older.
fn tls13_only(versions: &[ProtocolVersion]) -> Result<Vec<ProtocolVersion>, Error> {
    if versions.contains(&ProtocolVersion::TLSV1_3) {
        Ok(vec![ProtocolVersion::TLSV1_3])
    } else {
        Err(Error::Config(
            "QUIC needs TLS 1.3 (RFC 9001 §4.2), which the configuration does not allow".into(),
        ))
    }
}

/// A client configuration for QUIC: the TLS configuration it wraps, with
/// TLS 1.3 only (RFC 9001 §4.2), its TLS 1.3 suites, and no middlebox
/// compatibility mode (§8.4). Everything else (roots, ALPN, which QUIC
/// requires (§8.1), client certificates, the session store, early data) is
/// the TLS configuration's.
#[derive(Debug)]
pub struct QuicClientConfig {
    pub(crate) tls: Arc<ClientConfig>,
}

impl QuicClientConfig {
    /// Wraps `tls`; an error if it does not allow TLS 1.3 or has no TLS
    /// 1.3 suite.
    pub fn new(tls: Arc<ClientConfig>) -> Result<Arc<Self>, Error> {
        let mut c = (*tls).clone();
        c.versions = tls13_only(&c.versions)?;
        c.suites.retain(|s| matches!(s, SupportedSuite::Tls13(_)));
        some_suite(&c.suites)?;
        c.compatibility_mode = false;
        // Records do not exist in QUIC.
        c.record_size_limit = None;
        Ok(Arc::new(QuicClientConfig { tls: Arc::new(c) }))
    }

    /// The TLS configuration as QUIC uses it.
    pub fn tls(&self) -> &Arc<ClientConfig> {
        &self.tls
    }
}

/// A server configuration for QUIC: the TLS configuration it wraps, with
/// TLS 1.3 only (RFC 9001 §4.2), its TLS 1.3 suites, and early data either
/// off or, when the TLS configuration allows any, announced with
/// max_early_data_size 0xffffffff as QUIC requires (§4.6.1): QUIC itself
/// bounds 0-RTT data with flow control.
#[derive(Debug)]
pub struct QuicServerConfig {
    pub(crate) tls: Arc<ServerConfig>,
}

impl QuicServerConfig {
    /// Wraps `tls`; an error if it does not allow TLS 1.3 or has no TLS
    /// 1.3 suite.
    pub fn new(tls: Arc<ServerConfig>) -> Result<Arc<Self>, Error> {
        let mut c = (*tls).clone();
        c.versions = tls13_only(&c.versions)?;
        c.suites.retain(|s| matches!(s, SupportedSuite::Tls13(_)));
        some_suite(&c.suites)?;
        if c.max_early_data > 0 {
            c.max_early_data = u32::MAX;
        }
        c.record_size_limit = None;
        Ok(Arc::new(QuicServerConfig { tls: Arc::new(c) }))
    }

    /// The TLS configuration as QUIC uses it.
    pub fn tls(&self) -> &Arc<ServerConfig> {
        &self.tls
    }
}
