//! The client's first flight and the ServerHello that decides the version
//! (RFC 8446 §4.1.2, §4.1.3, §4.1.4; RFC 5246 §7.4.1).

use super::transcript::Transcript;
use super::{client13, list, unexpected, Command, Context, State};
use crate::config::ClientConfig;
use crate::crypto::suites::{lookup, SupportedSuite};
use crate::crypto::ActiveKeyExchange;
use crate::crypto::HashAlgorithm;
use crate::error::Error;
use crate::key_schedule::tls13::{finished_verify_data, EarlySecret};
use crate::msgs::enums::{
    AlertDescription, CertificateStatusType, CipherSuite, CompressionMethod, EcPointFormat,
    ExtensionType, ProtocolVersion, PskKeyExchangeMode, ServerNameType,
};
use crate::msgs::extensions::{
    CertificateStatusRequest, Extension, KeyShareEntry, OfferedPsks, PskIdentity,
    ServerName as SniEntry,
};
use crate::msgs::handshake::{
    ClientHello, HandshakeMessage, HandshakePayload, ServerHello, DOWNGRADE_TLS11, DOWNGRADE_TLS12,
};
use crate::session::{Tls12Session, Tls13Ticket};
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
    /// The server's name as the session cache knows it.
    pub(crate) cache_key: String,
}

/// The session cache's key for a server name.
pub(crate) fn session_key(name: &ServerName<'_>) -> String {
    match name {
        ServerName::DnsName(d) => d.as_ref().to_ascii_lowercase(),
        ServerName::IpAddress(ip) => format!("{:?}", std::net::IpAddr::from(*ip)),
        _ => String::new(),
    }
}

/// Keys for 0-RTT data after the first ClientHello (RFC 8446 §2.3, §7.1),
/// and the compatibility-mode ChangeCipherSpec that goes before it (D.4).
fn start_early_data(
    shared: &mut ClientShared,
    cx: &mut Context<'_>,
    ticket: &Tls13Ticket,
    hello_hash: &[u8],
) -> Result<(), Error> {
    let Some(SupportedSuite::Tls13(suite)) = lookup(ticket.suite) else {
        return Err(Error::InvalidState("a ticket of an unknown suite"));
    };
    let early = EarlySecret::new(suite.hash, Some(ticket.psk.as_bytes()));
    let secret = early.client_early_traffic_secret(hello_hash);
    super::log_secret(
        cx,
        &shared.config.key_log,
        "CLIENT_EARLY_TRAFFIC_SECRET",
        &shared.client_random,
        &secret,
    );
    cx.info.early_exporter = Some(super::Exporter::Tls13 {
        hash: suite.hash,
        secret: early.early_exporter_master_secret(hello_hash),
    });
    shared.send_ccs_once(cx);
    cx.out
        .push(Command::WriteKeys(super::tls13_sealer(suite, &secret)?));
    cx.out
        .push(Command::EarlySend(Some(ticket.max_early_data as usize)));
    Ok(())
}

/// The hash of the suite that issued a ticket.
pub(crate) fn ticket_hash(t: &Tls13Ticket) -> HashAlgorithm {
    match lookup(t.suite) {
        Some(SupportedSuite::Tls13(s)) => s.hash,
        _ => HashAlgorithm::Sha256,
    }
}

/// Computes the PSK binder of the hello's last extension over `prefix`
/// (empty, or message_hash and HelloRetryRequest) and the hello truncated
/// before its binders (RFC 8446 §4.2.11.2).
pub(crate) fn fill_binder(hello: &mut ClientHello, ticket: &Tls13Ticket, prefix: &Transcript) {
    let hash = ticket_hash(ticket);
    let Some(Extension::PreSharedKeyClient(offer)) = hello.extensions.last() else {
        return;
    };
    let binders_len = offer.binders_len();
    let enc = HandshakeMessage::new(HandshakePayload::ClientHello(hello.clone())).encoding();
    let truncated = &enc[..enc.len().saturating_sub(binders_len)];
    let binder_key = EarlySecret::new(hash, Some(ticket.psk.as_bytes())).binder_key(true);
    let binder = finished_verify_data(
        hash,
        binder_key.as_bytes(),
        &prefix.hash_with(hash, truncated),
    );
    if let Some(Extension::PreSharedKeyClient(offer)) = hello.extensions.last_mut() {
        offer.binders = vec![binder.to_vec()];
    }
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
}

/// Builds and sends the ClientHello; returns the state awaiting ServerHello.
pub(crate) fn start_client(
    config: Arc<ClientConfig>,
    server_name: ServerName<'static>,
    cx: &mut Context<'_>,
) -> Result<Box<dyn State>, Error> {
    let mut client_random = [0u8; 32];
    config.random.fill(&mut client_random)?;
    let offers13 = config.versions.contains(&ProtocolVersion::TLSV1_3);
    let offers12 = config.versions.contains(&ProtocolVersion::TLSV1_2);
    let cache_key = session_key(&server_name);
    // A TLS 1.2 session to resume, by session ID or by ticket.
    let tls12_session = if offers12 {
        config
            .session_store
            .as_ref()
            .and_then(|s| s.get_tls12(&cache_key))
            .filter(|s| config.suites.iter().any(|c| c.suite() == s.suite))
    } else {
        None
    };
    // RFC 8446 D.4: a non-empty legacy_session_id in compatibility mode;
    // RFC 5077 §3.4: a fresh one with a ticket, to learn if it was taken.
    let session_id = match &tls12_session {
        Some(s) if !s.session_id.is_empty() => s.session_id.clone(),
        _ if (offers13 && config.compatibility_mode) || tls12_session.is_some() => {
            let mut id = vec![0u8; 32];
            config.random.fill(&mut id)?;
            id
        }
        _ => Vec::new(),
    };

    let mut suites: Vec<CipherSuite> = config
        .suites
        .iter()
        .filter(|s| match s {
            SupportedSuite::Tls13(_) => offers13,
            SupportedSuite::Tls12(_) => offers12,
        })
        .map(|s| s.suite())
        .collect();
    if suites.is_empty() {
        return Err(Error::Config(
            "no cipher suite for the enabled versions".into(),
        ));
    }
    if offers12 && !offers13 {
        // RFC 5746 §3.3: the SCSV, since a TLS 1.2-only hello may meet
        // servers that ignore extensions.
        suites.push(CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
    }

    let groups = config.kx_groups();
    let first = groups
        .first()
        .ok_or_else(|| Error::Config("no key exchange group".into()))?;
    // TLS 1.2 makes its key pair when the server has chosen the group.
    let key_share = if offers13 { Some(first.start()?) } else { None };

    // The order of RFC 8448's traces (NSS's), so that they replay without
    // reordering; pre_shared_key comes last (RFC 8446 §4.2.11).
    let mut exts = Vec::new();
    if config.enable_sni {
        if let ServerName::DnsName(name) = &server_name {
            let host = name.as_ref().trim_end_matches('.').as_bytes().to_vec();
            exts.push(Extension::ServerName(vec![SniEntry {
                name_type: ServerNameType::HOST_NAME,
                name: host,
            }]));
        }
    }
    if offers12 {
        exts.push(Extension::ExtendedMasterSecret);
        exts.push(Extension::RenegotiationInfo(Vec::new()));
    }
    exts.push(Extension::SupportedGroups(
        groups.iter().map(|g| g.name()).collect(),
    ));
    if offers12 {
        exts.push(Extension::EcPointFormats(vec![EcPointFormat::UNCOMPRESSED]));
        let ticket = tls12_session.as_ref().and_then(|s| s.ticket.clone());
        exts.push(Extension::SessionTicket(ticket.unwrap_or_default()));
    }
    if !config.alpn.is_empty() {
        exts.push(Extension::Alpn(config.alpn.clone()));
    }
    if config.request_sct {
        exts.push(Extension::SignedCertificateTimestampRequest);
    }
    if config.request_ocsp {
        // OCSP, no responder IDs, no request extensions (RFC 6066 §8).
        exts.push(Extension::StatusRequest(CertificateStatusRequest {
            status_type: CertificateStatusType::OCSP,
            request: vec![0, 0, 0, 0],
        }));
    }
    if let Some(key_share) = &key_share {
        exts.push(Extension::KeyShareClient(vec![KeyShareEntry {
            group: key_share.group(),
            key_exchange: key_share.public_key().to_vec(),
        }]));
    }

    let now_ms = config.time.now_ms();
    let ticket = if offers13 {
        config
            .session_store
            .as_ref()
            .and_then(|s| s.take_tls13(&cache_key))
            .filter(|t| {
                now_ms <= t.received_ms.saturating_add(u64::from(t.lifetime) * 1000)
                    && suites.contains(&t.suite)
            })
    } else {
        None
    };
    // 0-RTT needs a ticket that allows it, for a suite we offer.
    let early = ticket
        .as_ref()
        .filter(|t| config.early_data && t.max_early_data > 0);
    if early.is_some() {
        exts.push(Extension::EarlyData);
    }
    if key_share.is_some() {
        let mut versions = vec![ProtocolVersion::TLSV1_3];
        if offers12 {
            versions.push(ProtocolVersion::TLSV1_2);
        }
        exts.push(Extension::SupportedVersionsClient(versions));
    }
    exts.push(Extension::SignatureAlgorithms(
        config.verifier.supported_schemes(),
    ));
    if !config.signature_algorithms_cert.is_empty() {
        exts.push(Extension::SignatureAlgorithmsCert(
            config.signature_algorithms_cert.clone(),
        ));
    }
    if key_share.is_some() {
        let mut modes = vec![PskKeyExchangeMode::PSK_DHE_KE];
        if config.psk_ke {
            modes.push(PskKeyExchangeMode::PSK_KE);
        }
        exts.push(Extension::PskKeyExchangeModes(modes));
    }
    if let Some(limit) = config.record_size_limit {
        exts.push(Extension::RecordSizeLimit(limit));
    }
    if let Some(t) = &ticket {
        let age = now_ms.saturating_sub(t.received_ms) as u32;
        exts.push(Extension::PreSharedKeyClient(OfferedPsks {
            identities: vec![PskIdentity {
                identity: t.ticket.clone(),
                obfuscated_ticket_age: age.wrapping_add(t.age_add),
            }],
            binders: vec![vec![0u8; ticket_hash(t).output_len()]],
        }));
    }

    let mut hello = ClientHello {
        legacy_version: ProtocolVersion::TLSV1_2,
        random: client_random,
        legacy_session_id: session_id.clone(),
        cipher_suites: suites,
        compression_methods: vec![CompressionMethod::NULL],
        extensions: exts,
    };
    hello = super::shaped_client_hello(&config.shaper, hello)?;
    let mut transcript = Transcript::new();
    if let Some(t) = &ticket {
        fill_binder(&mut hello, t, &transcript);
    }
    let offered = hello.extensions.iter().map(|e| e.typ()).collect();
    let msg = HandshakeMessage::new(HandshakePayload::ClientHello(hello));
    let raw = cx.send(&msg);
    transcript.add(raw);
    // The hash that 0-RTT keys are derived from (RFC 8446 §7.1).
    let early_hash = early.map(|t| ticket_hash(t).hash(raw));
    let HandshakePayload::ClientHello(hello) = msg.payload else {
        return Err(Error::InvalidState("a ClientHello that is not one"));
    };
    let mut shared = ClientShared {
        config,
        server_name,
        client_random,
        session_id,
        offered,
        sent_ccs: false,
        cache_key,
    };
    let early_offered = match (early, early_hash) {
        (Some(t), Some(hash)) => {
            start_early_data(&mut shared, cx, t, &hash)?;
            true
        }
        _ => false,
    };
    Ok(Box::new(ExpectServerHello {
        shared,
        early_offered,
        ticket,
        tls12_session,
        hello,
        transcript,
        key_shares: key_share.into_iter().collect(),
        retried_suite: None,
    }))
}

pub(crate) struct ExpectServerHello {
    pub(crate) shared: ClientShared,
    pub(crate) hello: ClientHello,
    pub(crate) transcript: Transcript,
    pub(crate) key_shares: Vec<Box<dyn ActiveKeyExchange>>,
    /// The TLS 1.3 ticket offered, if any.
    pub(crate) ticket: Option<Tls13Ticket>,
    /// The TLS 1.2 session offered, if any.
    pub(crate) tls12_session: Option<Tls12Session>,
    /// Whether 0-RTT data was offered.
    pub(crate) early_offered: bool,
    /// The suite a HelloRetryRequest chose, once one has come.
    pub(crate) retried_suite: Option<CipherSuite>,
}

impl ExpectServerHello {
    fn select_version(&self, sh: &ServerHello) -> Result<ProtocolVersion, Error> {
        let ours = &self.shared.config.versions;
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
        match sh.extension(ExtensionType::SUPPORTED_VERSIONS) {
            Some(Extension::SupportedVersionsServer(v)) => {
                // RFC 8446 §4.2.1: only TLS 1.3 is chosen this way, and only
                // if we offered it.
                if *v != ProtocolVersion::TLSV1_3 || !ours.contains(v) {
                    return Err(Error::peer(
                        AlertDescription::ILLEGAL_PARAMETER,
                        format!("the server selected {v:?}, which we did not offer"),
                    ));
                }
                if sh.legacy_version != ProtocolVersion::TLSV1_2 {
                    return Err(Error::peer(
                        AlertDescription::ILLEGAL_PARAMETER,
                        "a TLS 1.3 ServerHello must carry legacy_version 0x0303",
                    ));
                }
                Ok(*v)
            }
            _ => {
                let v = sh.legacy_version;
                if v == ProtocolVersion::TLSV1_2 && ours.contains(&v) {
                    // RFC 8446 §4.1.3: a TLS 1.3 server that negotiates
                    // TLS 1.2 marks its random; seeing the mark while we
                    // offered 1.3 means an attacker removed it.
                    let tail = &sh.random[24..];
                    if ours.contains(&ProtocolVersion::TLSV1_3)
                        && (tail == DOWNGRADE_TLS12 || tail == DOWNGRADE_TLS11)
                    {
                        return Err(Error::peer(
                            AlertDescription::ILLEGAL_PARAMETER,
                            "downgrade detected: the server supports TLS 1.3 but a TLS 1.2 ServerHello arrived",
                        ));
                    }
                    Ok(v)
                } else {
                    Err(Error::NoCommon {
                        what: "protocol version",
                        ours: list(ours),
                        theirs: format!("{v:?}"),
                    })
                }
            }
        }
    }
}

impl State for ExpectServerHello {
    fn handle(
        self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage,
        raw: &[u8],
    ) -> Result<Box<dyn State>, Error> {
        let HandshakePayload::ServerHello(sh) = &msg.payload else {
            return Err(unexpected(&msg, "ServerHello"));
        };
        let version = self.select_version(sh)?;
        if sh.compression_method != CompressionMethod::NULL {
            return Err(Error::peer(
                AlertDescription::ILLEGAL_PARAMETER,
                "the server chose a compression method",
            ));
        }
        let suite = lookup(sh.cipher_suite)
            .filter(|s| self.hello.cipher_suites.contains(&s.suite()))
            .ok_or_else(|| {
                Error::peer(
                    AlertDescription::ILLEGAL_PARAMETER,
                    format!(
                        "the server chose {:?}, which we did not offer",
                        sh.cipher_suite
                    ),
                )
            })?;
        cx.info.version = Some(version);
        match (version, suite) {
            (ProtocolVersion::TLSV1_3, SupportedSuite::Tls13(suite)) => {
                if sh.is_hello_retry_request() {
                    client13::handle_hello_retry_request(*self, cx, sh, suite, raw)
                } else {
                    client13::handle_server_hello(*self, cx, sh, suite, raw)
                }
            }
            (ProtocolVersion::TLSV1_2, SupportedSuite::Tls12(suite))
                if !sh.is_hello_retry_request() && self.retried_suite.is_none() =>
            {
                super::client12::handle_server_hello(*self, cx, sh, suite, raw)
            }
            _ => Err(Error::peer(
                AlertDescription::ILLEGAL_PARAMETER,
                format!(
                    "the server chose {:?} with {version:?}, which do not go together",
                    sh.cipher_suite
                ),
            )),
        }
    }

    fn handle_ccs(self: Box<Self>, _cx: &mut Context<'_>) -> Result<Box<dyn State>, Error> {
        // RFC 8446 §5: tolerated once our ClientHello is out.
        Ok(self)
    }

    fn version(&self) -> ProtocolVersion {
        ProtocolVersion::TLSV1_3
    }
}
