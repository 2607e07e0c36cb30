//! What a connection knows about what was negotiated, like Python's
//! SSLSocket: version, suite, group, ALPN, SNI, the peer's certificates
//! (or raw public key, RFC 7250), resumption, and keying-material
//! exporters (RFC 5705, RFC 8446 §7.5).

use super::Connection;
use crate::config::CertifiedKey;
use crate::error::Error;
use crate::msgs::enums::{
    CertificateType, CipherSuite, NamedGroup, ProtocolVersion, SignatureScheme,
};
use crate::msgs::Role;
use crate::verify::certinfo::{
    summarize, summarize_raw_public_key, CertificateSummary, RawPublicKeySummary,
};
use crate::verify::SubjectPublicKeyInfoDer;
use pki_types::CertificateDer;

impl Connection {
    /// Whether the handshake is still under way.
    pub fn is_handshaking(&self) -> bool {
        !self.handshake_done
    }

    /// The protocol version, once chosen.
    pub fn protocol_version(&self) -> Option<ProtocolVersion> {
        self.info.version
    }

    /// The cipher suite, once chosen.
    pub fn cipher_suite(&self) -> Option<CipherSuite> {
        self.info.suite.map(|s| s.suite())
    }

    /// The key exchange group, once chosen. A resumed TLS 1.2 session,
    /// which makes no key exchange, reports its full handshake's group; a
    /// TLS 1.3 psk_ke resumption reports none.
    pub fn key_exchange_group(&self) -> Option<NamedGroup> {
        self.info.group
    }

    /// The ALPN protocol, if one was agreed.
    pub fn alpn_protocol(&self) -> Option<&[u8]> {
        self.info.alpn.as_deref()
    }

    /// The server name (SNI): what the client asked for.
    pub fn server_name(&self) -> Option<&str> {
        self.info.sni.as_deref()
    }

    /// What a client sent as its server name when it was an IP address
    /// literal: RFC 6066 §3 does not allow one in server_name, so the
    /// server ignored it, as if no name had come (its certificate chosen
    /// without a name), rather than refuse the client. For a server's
    /// log.
    pub fn ignored_server_name(&self) -> Option<&str> {
        self.info.ignored_server_name.as_deref()
    }

    /// The peer's certificate chain, end entity first (empty if it sent
    /// none, or a raw public key: see
    /// [`Connection::peer_raw_public_key`]).
    pub fn peer_certificates(&self) -> &[CertificateDer<'static>] {
        &self.info.peer_certs
    }

    /// The peer's raw public key (RFC 7250), its DER
    /// SubjectPublicKeyInfo, when it authenticated with one (and the
    /// verifier trusted it); a resumed session reports the key of the
    /// handshake that made it.
    pub fn peer_raw_public_key(&self) -> Option<&SubjectPublicKeyInfoDer<'static>> {
        self.info.peer_raw_public_key.as_ref()
    }

    /// The certificate type of the peer's Certificate (RFC 7250 §4.2):
    /// RawPublicKey when it was negotiated (server_certificate_type for a
    /// client's peer, client_certificate_type for a server's), X509
    /// otherwise; a resumed session reports its full handshake's.
    pub fn peer_certificate_type(&self) -> CertificateType {
        let us = if self.is_client {
            Role::Client
        } else {
            Role::Server
        };
        self.info.peer_cert_type(us)
    }

    /// The peer's raw public key in readable form: its algorithm and
    /// SHA-256 fingerprint (see [`Connection::peer_raw_public_key`]).
    pub fn peer_raw_public_key_summary(&self) -> Option<RawPublicKeySummary> {
        self.info
            .peer_raw_public_key
            .as_ref()
            .and_then(|k| summarize_raw_public_key(k))
    }

    /// The identity of the external PSK (RFC 9846 §2.2) that authenticated
    /// the peer instead of a certificate, in this handshake or in the one
    /// whose session it resumes; for an imported PSK (RFC 9258), its
    /// External Identity. `None` when no external PSK was used.
    pub fn external_psk_identity(&self) -> Option<&[u8]> {
        self.info.external_psk.as_deref()
    }

    /// The scheme the peer signed this handshake with: its
    /// CertificateVerify, or a TLS 1.2 server's ServerKeyExchange. `None`
    /// when the peer did not sign (a resumption, a client that sent no
    /// certificate).
    pub fn peer_signature_scheme(&self) -> Option<SignatureScheme> {
        self.info.peer_signature_scheme
    }

    /// The certificate and key this side authenticated with in this
    /// handshake: the one a server chose among its certificates (by server
    /// name and the client's signature schemes), or the one a client sent.
    /// `None` when it sent none (a resumption, a client not asked for one
    /// or without a suitable one).
    pub fn own_certificate(&self) -> Option<&CertifiedKey> {
        self.info.own_cert.as_ref()
    }

    /// The OCSP response the server stapled (client, after asking with
    /// [`crate::config::ClientConfigBuilder::request_ocsp`]), as DER.
    pub fn peer_ocsp_response(&self) -> Option<&[u8]> {
        self.info.ocsp_response.as_deref()
    }

    /// The SignedCertificateTimestampList the server sent (client, after
    /// asking with [`crate::config::ClientConfigBuilder::request_sct`]), as
    /// on the wire.
    pub fn peer_sct_list(&self) -> Option<&[u8]> {
        self.info.sct_list.as_deref()
    }

    /// A readable summary of the peer's certificate (`None` for a raw
    /// public key: see [`Connection::peer_raw_public_key_summary`]).
    pub fn peer_certificate_summary(&self) -> Option<CertificateSummary> {
        self.info
            .peer_certs
            .first()
            .and_then(|c| summarize(c.as_ref()))
    }

    /// Whether the session was resumed.
    pub fn is_resumed(&self) -> bool {
        self.info.resumed
    }

    /// What became of Encrypted Client Hello (RFC 9849): offered as GREASE,
    /// accepted or rejected, or not at all. Available once the server's
    /// first message is read (client) or the ClientHello (server).
    pub fn ech_status(&self) -> crate::config::EchStatus {
        self.info.ech
    }

    /// The public name of the ECH config a client offered.
    pub fn ech_public_name(&self) -> Option<&str> {
        self.info.ech_public_name.as_deref()
    }

    /// Whether the server asked for another key share (HelloRetryRequest).
    pub fn had_hello_retry(&self) -> bool {
        self.info.hello_retry
    }

    /// Whether TLS 1.2's extended master secret is in use.
    pub fn extended_master_secret(&self) -> bool {
        self.info.extended_master_secret
    }

    /// The tls-unique channel binding (RFC 5929 §3.1): the first Finished
    /// message's verify_data of the handshake, once it has ended. TLS 1.2
    /// only (TLS 1.3 binds channels with an exporter, RFC 9266), and none
    /// after resuming a session without the extended master secret, which
    /// such a binding would not identify (RFC 7627 §5.4).
    pub fn tls_unique(&self) -> Option<&[u8]> {
        if !self.handshake_done || (self.info.resumed && !self.info.extended_master_secret) {
            return None;
        }
        self.info.tls_unique.as_deref()
    }

    /// A TLS 1.3 server that resumed with a ticket: how far ahead of its
    /// own the client's idea of the ticket's age was, in whole seconds
    /// (behind if negative; tickets keep their creation time in seconds),
    /// a measure of the clocks' drift between the two
    /// connections (RFC 8446 §8.3). 0-RTT is refused beyond
    /// [`crate::session::TICKET_AGE_WINDOW_MS`].
    pub fn ticket_age_skew(&self) -> Option<i64> {
        self.info.ticket_age_skew
    }

    /// Whether the connection is in False Start (RFC 7918): a TLS 1.2
    /// client with [`crate::config::ClientConfigBuilder::false_start`] on
    /// whose Finished is out, and which sends application data before the
    /// server's Finished arrives. False once the handshake has ended.
    pub fn is_false_start(&self) -> bool {
        self.false_start && !self.handshake_done && self.error.is_none()
    }

    /// Keying material (RFC 5705, RFC 8446 §7.5) of `out.len()` bytes:
    /// once the handshake has ended, or (a TLS 1.3 server sending 0.5-RTT
    /// data) once the server's Finished is out, which is all the exporter
    /// secret depends on (RFC 9846 §7.5).
    pub fn export_keying_material(
        &self,
        out: &mut [u8],
        label: &[u8],
        context: Option<&[u8]>,
    ) -> Result<(), Error> {
        if !self.handshake_done && !self.half_rtt {
            return Err(Error::InvalidState(
                "keying material before the handshake ended",
            ));
        }
        let exporter = self
            .info
            .exporter
            .as_ref()
            .ok_or(Error::InvalidState("no exporter"))?;
        let bytes = exporter.export(label, context, out.len())?;
        out.copy_from_slice(&bytes);
        Ok(())
    }

    /// Whether 0-RTT data was accepted: `None` if none was offered (or
    /// the answer has not come yet).
    pub fn early_data_accepted(&self) -> Option<bool> {
        self.info.early_data
    }

    /// Why 0-RTT data was accepted or not, once the handshake has decided
    /// (a client that offered 0-RTT learns it from the server's
    /// EncryptedExtensions; one that did not, at once).
    pub fn early_data_reason(&self) -> Option<crate::config::EarlyDataReason> {
        self.info.early_data_reason
    }

    /// Keying material from the early exporter (RFC 8446 §7.5), available
    /// once 0-RTT was offered (client) or accepted (server).
    pub fn export_early_keying_material(
        &self,
        out: &mut [u8],
        label: &[u8],
        context: Option<&[u8]>,
    ) -> Result<(), Error> {
        let exporter = self
            .info
            .early_exporter
            .as_ref()
            .ok_or(Error::InvalidState("no early exporter: 0-RTT was not used"))?;
        let bytes = exporter.export(label, context, out.len())?;
        out.copy_from_slice(&bytes);
        Ok(())
    }
}
