//! Options that weaken security. Each is for a specific, understood need
//! (a test against a self-signed peer, a legacy peer without the extended
//! master secret); none belongs in a default.

use crate::config::{ClientConfigBuilder, ServerConfigBuilder};
use crate::error::Error;
use crate::verify::ServerCertVerifier;
use pki_types::{CertificateDer, ServerName, UnixTime};
use std::sync::Arc;

/// A server "verifier" that accepts any certificate chain for any name.
/// The server must still prove that it holds the certificate's key (its
/// handshake signature is checked), but anyone can make such a
/// certificate: this gives no protection against an active attacker.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoServerVerification;

impl ServerCertVerifier for NoServerVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<(), Error> {
        Ok(())
    }
}

/// A client configuration builder that accepts any server certificate.
pub fn client_without_verification() -> ClientConfigBuilder {
    crate::config::ClientConfig::builder_with_verifier(Arc::new(NoServerVerification))
}

/// Allows TLS 1.2 peers without the extended master secret (RFC 7627),
/// whose sessions are open to the triple handshake attack.
pub fn allow_no_extended_master_secret_client(b: ClientConfigBuilder) -> ClientConfigBuilder {
    b.require_ems(false)
}

/// The server side of [`allow_no_extended_master_secret_client`].
pub fn allow_no_extended_master_secret_server(b: ServerConfigBuilder) -> ServerConfigBuilder {
    b.require_ems(false)
}
