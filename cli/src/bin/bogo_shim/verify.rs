//! The shim's certificate verifier, one for both sides: the application's
//! verification callback of BoringSSL's shim, written against cloaktls's
//! verifier traits. It fails when told to (-verify-fail); when a failure
//! is not fatal (BoringSSL's SSL_VERIFY_NONE, no -verify-peer) it records
//! the failure and lets the handshake go on, so that -expect-verify-result
//! can look at it; with -verify-prefs it accepts only those schemes, in
//! that order; with -use-ocsp-callback -fail-ocsp-callback it refuses the
//! stapled OCSP response (bad_certificate_status_response, RFC 6066 §8).

use cloaktls::verify::{
    CertificateDer, ClientCertVerifier, RawPublicKeyVerifier, ServerCertVerifier, ServerName,
    SubjectPublicKeyInfoDer, UnixTime,
};
use cloaktls::{AlertDescription, CertificateError, CertificateErrorKind, Error, SignatureScheme};
use std::sync::{Arc, Mutex};

/// What the last verification concluded: `Some(true)` passed,
/// `Some(false)` failed without stopping the handshake.
pub type Outcome = Arc<Mutex<Option<bool>>>;

#[derive(Debug)]
pub struct ShimVerifier {
    /// Path validation to the -trust-cert roots, for a server's chain.
    pub server_chain: Option<cloaktls::danger::ChainOnlyVerifier>,
    /// Path validation to the -trust-cert roots, for a client's chain.
    pub client_chain: Option<cloaktls::verify::WebPkiClientVerifier>,
    /// -verify-fail.
    pub fail: bool,
    /// -verify-fail of the retry, which applies once 0-RTT went out and
    /// the server took a full handshake instead (BoringSSL's client starts
    /// its handshake again then, under the -on-retry flags).
    pub retry_fail: bool,
    /// Whether this connection sent 0-RTT.
    pub early_sent: Arc<std::sync::atomic::AtomicBool>,
    /// Whether a failure ends the handshake.
    pub fatal: bool,
    /// -verify-prefs, as schemes cloaktls has.
    pub prefs: Vec<SignatureScheme>,
    /// -use-ocsp-callback -fail-ocsp-callback.
    pub refuse_ocsp: bool,
    /// -expect-peer-rpk-sha256: the one raw public key trusted.
    pub rpk_sha256: Option<Vec<u8>>,
    /// -use-client-ca-list: the authorities named in a CertificateRequest
    /// instead of the roots'.
    pub ca_names: Option<Vec<Vec<u8>>>,
    pub outcome: Outcome,
}

impl ShimVerifier {
    /// The verdict, given what path validation said.
    fn conclude(&self, validated: Result<(), Error>) -> Result<(), Error> {
        let fail = match self.early_sent.load(std::sync::atomic::Ordering::SeqCst) {
            true => self.retry_fail,
            false => self.fail,
        };
        let r = if fail {
            Err(Error::InvalidCertificate(CertificateError {
                kind: CertificateErrorKind::Other,
                detail: "-verify-fail".into(),
            }))
        } else {
            validated
        };
        if let Ok(mut o) = self.outcome.lock() {
            *o = Some(r.is_ok());
        }
        match (r, self.fatal) {
            (Err(e), true) => Err(e),
            _ => Ok(()),
        }
    }

    fn schemes(&self, all: Vec<SignatureScheme>) -> Vec<SignatureScheme> {
        if self.prefs.is_empty() {
            all
        } else {
            self.prefs.clone()
        }
    }
}

impl ServerCertVerifier for ShimVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<(), Error> {
        if self.refuse_ocsp {
            return Err(Error::peer(
                AlertDescription::BAD_CERTIFICATE_STATUS_RESPONSE,
                "the OCSP callback refused the stapled response (-fail-ocsp-callback)",
            ));
        }
        let validated = match &self.server_chain {
            Some(v) => {
                v.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            }
            None => Ok(()),
        };
        self.conclude(validated)
    }

    fn supported_schemes(&self) -> Vec<SignatureScheme> {
        self.schemes(cloaktls::config::supported_signature_schemes())
    }

    /// One trust for the whole run, so that its sessions resume.
    fn scope(&self) -> [u8; 32] {
        [0x5b; 32]
    }
}

impl ClientCertVerifier for ShimVerifier {
    fn root_subjects(&self) -> Vec<Vec<u8>> {
        if let Some(names) = &self.ca_names {
            return names.clone();
        }
        self.client_chain
            .as_ref()
            .map(|v| v.root_subjects())
            .unwrap_or_default()
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<(), Error> {
        let validated = match &self.client_chain {
            Some(v) => v.verify_client_cert(end_entity, intermediates, now),
            None => Ok(()),
        };
        self.conclude(validated)
    }

    fn supported_schemes(&self) -> Vec<SignatureScheme> {
        self.schemes(cloaktls::config::supported_signature_schemes())
    }

    fn scope(&self) -> [u8; 32] {
        [0x5c; 32]
    }
}

/// Raw public keys (RFC 7250): BoringSSL's shim verifies them in its custom
/// callback, against -expect-peer-rpk-sha256 when given, and a failure
/// (-verify-fail, or another key) always ends the handshake.
impl RawPublicKeyVerifier for ShimVerifier {
    fn verify_raw_public_key(
        &self,
        key: &SubjectPublicKeyInfoDer<'_>,
        _server_name: Option<&ServerName<'_>>,
        _now: UnixTime,
    ) -> Result<(), Error> {
        let fail = match self.early_sent.load(std::sync::atomic::Ordering::SeqCst) {
            true => self.retry_fail,
            false => self.fail,
        };
        let pinned = self.rpk_sha256.as_ref().is_none_or(|want| {
            cloaktls::crypto::HashAlgorithm::Sha256.hash(key).as_ref() == want.as_slice()
        });
        let r = match (fail, pinned) {
            (false, true) => Ok(()),
            (true, _) => Err("-verify-fail"),
            (false, false) => Err("not the key of -expect-peer-rpk-sha256"),
        };
        if let Ok(mut o) = self.outcome.lock() {
            *o = Some(r.is_ok());
        }
        r.map_err(|why| {
            Error::InvalidCertificate(CertificateError {
                kind: CertificateErrorKind::UnknownRawPublicKey,
                detail: why.into(),
            })
        })
    }

    fn supported_schemes(&self) -> Vec<SignatureScheme> {
        self.schemes(cloaktls::config::supported_signature_schemes())
    }

    fn scope(&self) -> [u8; 32] {
        [0x5d; 32]
    }
}
