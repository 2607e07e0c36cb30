//! What the TLS 1.3 and TLS 1.2 clients share: the client's own state,
//! what the first flight left for the ServerHello, PSK binders, and the
//! choice of a client certificate.

use super::common::{illegal, list};
use super::transcript::Transcript;
use super::{Command, Context};
use crate::config::WirePsk;
use crate::config::{CertifiedKey, ClientConfig};
use crate::crypto::suites::{lookup, SupportedSuite};
use crate::crypto::{ActiveKeyExchange, HashAlgorithm};
use crate::error::{Error, Negotiable};
use crate::key_schedule::tls13::{psk_binder, PskKind};
use crate::msgs::enums::{
    AlertDescription, CertificateType, CompressionMethod, ExtensionType, ProtocolVersion,
    SignatureScheme,
};
use crate::msgs::extensions::{Extension, OfferedPsks, PskIdentity};
use crate::msgs::handshake::{
    ClientHello, HandshakeMessage, HandshakePayload, ServerHello, DOWNGRADE_TLS11, DOWNGRADE_TLS12,
};
use crate::session::{SessionKey, Tls12Session, Tls13Ticket};

use pki_types::ServerName;
use std::sync::Arc;

/// What every client state carries.
pub(crate) struct ClientShared {
    pub(crate) config: Arc<ClientConfig>,
    pub(crate) server_name: ServerName<'static>,
    pub(crate) client_random: [u8; 32],
    pub(crate) session_id: Vec<u8>,
    /// The extension types our ClientHello carried.
    pub(crate) offered: Vec<ExtensionType>,
    pub(crate) sent_ccs: bool,
    /// Where the session store keeps this server's sessions.
    pub(crate) cache_key: SessionKey,
    /// What became of Encrypted Client Hello, once the server's first
    /// message has said (RFC 9849 §6.1.4).
    pub(crate) ech: crate::config::EchStatus,
}

impl ClientShared {
    pub(crate) fn offers(&self, v: ProtocolVersion) -> bool {
        self.config.versions.contains(&v)
    }

    /// Sends the compatibility-mode ChangeCipherSpec once (RFC 8446 D.4).
    pub(crate) fn send_ccs_once(&mut self, cx: &mut Context<'_>) {
        if self.config.compatibility_mode && !self.sent_ccs && self.offers(ProtocolVersion::TLSV1_3)
        {
            cx.out.push(Command::SendCcs);
            self.sent_ccs = true;
        }
    }

    /// The server's name as DNS text, for what was negotiated.
    pub(crate) fn sni_text(&self) -> Option<String> {
        match &self.server_name {
            ServerName::DnsName(n) => Some(n.as_ref().to_string()),
            _ => None,
        }
    }
}

/// What the first flight leaves for the ServerHello.
pub(crate) struct HelloSent {
    pub(crate) shared: ClientShared,
    pub(crate) hello: ClientHello,
    pub(crate) transcript: Transcript,
    pub(crate) key_shares: Vec<Box<dyn ActiveKeyExchange>>,
    /// The TLS 1.3 PSKs offered, in the order of pre_shared_key: a
    /// ticket first if there is one, then the external PSKs.
    pub(crate) psks: Vec<OfferedPsk>,
    /// The TLS 1.2 session offered, if any.
    pub(crate) tls12_session: Option<Tls12Session>,
    /// Whether 0-RTT data was offered (and is still on).
    pub(crate) early_offered: bool,
    /// An Encrypted Client Hello offer awaiting the server's answer (or,
    /// accepted by a HelloRetryRequest, its second ClientHello).
    pub(crate) ech: Option<Box<super::ech_client::EchOffer>>,
}

/// Where an offered PSK comes from.
pub(crate) enum PskOrigin {
    /// A ticket from an earlier session.
    Ticket(Box<Tls13Ticket>),
    /// The configuration's external PSK at this index.
    External(usize),
}

/// One PSK of the client's pre_shared_key (RFC 9846 §4.3.11).
pub(crate) struct OfferedPsk {
    pub(crate) origin: PskOrigin,
    /// Its identity, key, hash and kind as sent.
    pub(crate) wire: WirePsk,
    /// obfuscated_ticket_age: 0 for an external PSK (RFC 9846 §4.3.11).
    pub(crate) obfuscated_age: u32,
}

impl OfferedPsk {
    /// A ticket's PSK, its age taken at `now_ms`.
    pub(crate) fn ticket(t: Tls13Ticket, now_ms: u64) -> Self {
        let age = now_ms.saturating_sub(t.received_ms) as u32;
        OfferedPsk {
            wire: WirePsk {
                identity: t.ticket.clone(),
                secret: t.psk.clone(),
                hash: ticket_hash(&t),
                kind: PskKind::Resumption,
            },
            obfuscated_age: age.wrapping_add(t.age_add),
            origin: PskOrigin::Ticket(Box::new(t)),
        }
    }

    /// The ticket, if this PSK is one.
    pub(crate) fn as_ticket(&self) -> Option<&Tls13Ticket> {
        match &self.origin {
            PskOrigin::Ticket(t) => Some(t),
            PskOrigin::External(_) => None,
        }
    }
}

/// The hash of the suite that issued a ticket.
pub(crate) fn ticket_hash(t: &Tls13Ticket) -> HashAlgorithm {
    match lookup(t.suite) {
        Some(SupportedSuite::Tls13(s)) => s.hash,
        _ => HashAlgorithm::Sha256,
    }
}

/// The pre_shared_key extension for `psks`, with binders of the right
/// lengths (zeros until [`fill_binders`] computes them).
pub(crate) fn psk_extension(psks: &[OfferedPsk]) -> Extension {
    Extension::PreSharedKeyClient(OfferedPsks {
        identities: psks
            .iter()
            .map(|p| PskIdentity {
                identity: p.wire.identity.clone(),
                obfuscated_ticket_age: p.obfuscated_age,
            })
            .collect(),
        binders: psks
            .iter()
            .map(|p| vec![0u8; p.wire.hash.output_len()])
            .collect(),
    })
}

/// Computes the PSK binders of the hello's last extension, one per PSK
/// with its own hash and label, over `prefix` (empty, or message_hash and
/// HelloRetryRequest) and the hello truncated before its binders (RFC 9846
/// §4.3.11.2).
pub(crate) fn fill_binders(hello: &mut ClientHello, psks: &[OfferedPsk], prefix: &Transcript) {
    // Without PSKs of ours the extension, if any, is GREASE (RFC 9849
    // §6.1.2): its random binders stay.
    if psks.is_empty() {
        return;
    }
    let Some(Extension::PreSharedKeyClient(offer)) = hello.extensions.last() else {
        return;
    };
    let binders_len = offer.binders_len();
    let enc = HandshakeMessage::new(HandshakePayload::ClientHello(hello.clone())).encoding();
    let truncated = &enc[..enc.len().saturating_sub(binders_len)];
    let binders = psks
        .iter()
        .map(|p| {
            let hash = p.wire.hash;
            let transcript_hash = prefix.hash_with(hash, truncated);
            psk_binder(
                hash,
                p.wire.secret.as_bytes(),
                p.wire.kind,
                &transcript_hash,
            )
            .to_vec()
        })
        .collect();
    if let Some(Extension::PreSharedKeyClient(offer)) = hello.extensions.last_mut() {
        offer.binders = binders;
    }
}

/// Picks our certificate for a CertificateRequest: one of the certificate
/// type negotiated (RFC 7250 §4.2) whose key can sign with an offered
/// scheme in `version`, preferring one whose chain was issued by an
/// authority the server named. The names guide the choice, they do not
/// forbid one (RFC 8446 §4.2.4: the server decides), except for a
/// credential that must match them
/// ([`CertifiedKey::with_must_match_issuer`]).
pub(crate) fn choose_client_cert<'a>(
    certs: &'a [CertifiedKey],
    schemes: &[SignatureScheme],
    authorities: &[Vec<u8>],
    version: ProtocolVersion,
    certificate_type: CertificateType,
) -> Option<(&'a CertifiedKey, SignatureScheme)> {
    let usable = || {
        certs
            .iter()
            .filter(|c| c.certificate_type() == certificate_type)
            .filter(|c| c.fits_authorities(Some(authorities)))
            .filter_map(|c| c.key.choose_scheme(schemes, version).map(|s| (c, s)))
    };
    let named = usable().find(|(c, _)| c.issuer_named_in(authorities));
    named.or_else(|| usable().next())
}

/// The version the ServerHello chose, checked against what we offered
/// and against the downgrade sentinels (RFC 8446 §4.1.3, §4.2.1, §D.5).
pub(crate) fn select_version(
    config: &ClientConfig,
    sh: &ServerHello,
) -> Result<ProtocolVersion, Error> {
    let ours = &config.versions;
    // RFC 8446 §D.5: SSL 3.0 or below in legacy_version is refused.
    if sh.legacy_version <= ProtocolVersion::SSLV3 {
        return Err(Error::peer(
            AlertDescription::PROTOCOL_VERSION,
            format!(
                "the ServerHello's legacy_version is {:?} (SSL 3.0 or older)",
                sh.legacy_version
            ),
        ));
    }
    if let Some(Extension::SupportedVersionsServer(v)) =
        sh.extension(ExtensionType::SUPPORTED_VERSIONS)
    {
        // RFC 8446 §4.2.1: only TLS 1.3 is chosen this way, and only if we
        // offered it.
        if *v != ProtocolVersion::TLSV1_3 || !ours.contains(v) {
            return Err(illegal(format!(
                "the server selected {v:?}, which we did not offer"
            )));
        }
        if sh.legacy_version != ProtocolVersion::TLSV1_2 {
            return Err(illegal(
                "a TLS 1.3 ServerHello must carry legacy_version 0x0303",
            ));
        }
        return Ok(*v);
    }
    let v = sh.legacy_version;
    if v != ProtocolVersion::TLSV1_2 || !ours.contains(&v) {
        return Err(Error::NoCommon {
            what: Negotiable::ProtocolVersion,
            ours: list(ours),
            theirs: format!("{v:?}"),
        });
    }
    // RFC 8446 §4.1.3: a TLS 1.3 server that negotiates TLS 1.2 marks its
    // random; seeing the mark while we offered 1.3 means an attacker
    // removed our offer.
    let tail = &sh.random[24..];
    if ours.contains(&ProtocolVersion::TLSV1_3)
        && (tail == DOWNGRADE_TLS12 || tail == DOWNGRADE_TLS11)
    {
        return Err(illegal(
            "downgrade detected: the server supports TLS 1.3 but a TLS 1.2 ServerHello arrived",
        ));
    }
    Ok(v)
}

/// The suite the ServerHello chose: one we offered, of the chosen version,
/// with no compression (RFC 8446 §4.1.3).
pub(crate) fn chosen_suite(
    hello: &ClientHello,
    sh: &ServerHello,
    version: ProtocolVersion,
) -> Result<SupportedSuite, Error> {
    if sh.compression_method != CompressionMethod::NULL {
        return Err(illegal("the server chose a compression method"));
    }
    let suite = lookup(sh.cipher_suite)
        .filter(|s| hello.cipher_suites.contains(&s.suite()))
        .ok_or_else(|| {
            illegal(format!(
                "the server chose {:?}, which we did not offer",
                sh.cipher_suite
            ))
        })?;
    let fits = match suite {
        SupportedSuite::Tls13(_) => version == ProtocolVersion::TLSV1_3,
        SupportedSuite::Tls12(_) => {
            version == ProtocolVersion::TLSV1_2 && !sh.is_hello_retry_request()
        }
    };
    if !fits {
        return Err(illegal(format!(
            "the server chose {:?} with {version:?}, which do not go together",
            sh.cipher_suite
        )));
    }
    Ok(suite)
}

/// A resumed session's chain, or raw public key, verified again when the
/// configuration asks for it
/// ([`crate::config::ClientConfigBuilder::reverify_on_resume`]).
pub(crate) fn reverify_session(
    shared: &ClientShared,
    chain: &[pki_types::CertificateDer<'static>],
    raw_public_key: Option<&crate::verify::SubjectPublicKeyInfoDer<'static>>,
) -> Result<(), Error> {
    let config = &shared.config;
    if !config.reverify_on_resume {
        return Ok(());
    }
    if let Some(key) = raw_public_key {
        return config.server_rpk_verifier()?.verify_raw_public_key(
            key,
            Some(&shared.server_name),
            config.time.now(),
        );
    }
    let Some((end_entity, intermediates)) = chain.split_first() else {
        return Err(Error::Internal("a session without the server's chain"));
    };
    config.verifier.verify_server_cert(
        end_entity,
        intermediates,
        &shared.server_name,
        &[],
        config.time.now(),
    )
}

/// The extension types a hello offers, whose answers a server may send:
/// not our GREASE ones, which a server must never answer (RFC 8701 §3.1).
pub(crate) fn offered_types(hello: &crate::msgs::handshake::ClientHello) -> Vec<ExtensionType> {
    hello
        .extensions
        .iter()
        .map(|e| e.typ())
        .filter(|t| !crate::msgs::enums::is_grease_u16(t.0))
        .collect()
}
