//! The TLS 1.2 server (RFC 5246 §7.3, RFC 8422, RFC 7627, RFC 5746).

use super::client12::Connected12;
use super::server::{choose_alpn, choose_certificate, choose_suite, sni};
use super::transcript::Transcript;
use super::{
    check_finished, list, log_secret, tls12_keys, tls12_scheme_fits, tls12_signed_params,
    unexpected, Command, Context, Exporter, State,
};
use crate::codec::Codec;
use crate::config::{ClientAuth, ServerConfig};
use crate::crypto::sign::KeyKind;
use crate::crypto::suites::lookup;
use crate::crypto::{ActiveKeyExchange, Secret, SupportedSuite, Tls12Suite};
use crate::error::Error;
use crate::key_schedule::tls12;
use crate::msgs::enums::{
    AlertDescription, CipherSuite, CompressionMethod, EcPointFormat, ExtensionType,
    ProtocolVersion, SignatureScheme,
};
use crate::msgs::extensions::Extension;
use crate::msgs::handshake::NewSessionTicket12;
use crate::msgs::handshake::{
    CertificateRequest12, ClientHello, DigitallySigned, EcdheParams, HandshakeMessage,
    HandshakePayload, ServerHello, ServerKeyExchange, DOWNGRADE_TLS12,
};
use crate::record::RecordOpener;
use crate::session::ServerSessionValue;
use crate::verify::certinfo::ec_curve;
use pki_types::CertificateDer;
use std::sync::Arc;

fn illegal(reason: impl Into<String>) -> Error {
    Error::peer(AlertDescription::ILLEGAL_PARAMETER, reason)
}

/// RFC 5246 §7.4.4 ClientCertificateType: rsa_sign and ecdsa_sign.
const CERT_TYPES: [u8; 2] = [1, 64];

pub(super) fn handle_client_hello(
    config: Arc<ServerConfig>,
    cx: &mut Context<'_>,
    ch: &ClientHello,
    raw: &[u8],
) -> Result<Box<dyn State>, Error> {
    if !ch.compression_methods.contains(&CompressionMethod::NULL) {
        return Err(illegal(
            "the ClientHello does not offer the null compression method",
        ));
    }
    if let Some((typ, e)) = Extension::malformed_tls12_only(&ch.extensions) {
        return Err(Error::Decode {
            context: match typ {
                ExtensionType::EC_POINT_FORMATS => "ec_point_formats",
                ExtensionType::EXTENDED_MASTER_SECRET => "extended_master_secret",
                _ => "renegotiation_info",
            },
            error: e,
        });
    }
    // RFC 5746 §3.6: the client signals secure renegotiation.
    let reneg_ext = match ch.extension(ExtensionType::RENEGOTIATION_INFO) {
        Some(Extension::RenegotiationInfo(v)) if !v.is_empty() => {
            return Err(Error::peer(
                AlertDescription::HANDSHAKE_FAILURE,
                "non-empty renegotiation_info on an initial handshake",
            ))
        }
        Some(_) => true,
        None => false,
    };
    let secure_reneg = reneg_ext
        || ch
            .cipher_suites
            .contains(&CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
    let ems = ch
        .extension(ExtensionType::EXTENDED_MASTER_SECRET)
        .is_some();
    if !ems && config.require_ems {
        return Err(Error::peer(
            AlertDescription::HANDSHAKE_FAILURE,
            "the client does not support the extended master secret (RFC 7627), which we require",
        ));
    }
    if let Some(Extension::EcPointFormats(f)) = ch.extension(ExtensionType::EC_POINT_FORMATS) {
        if !f.contains(&EcPointFormat::UNCOMPRESSED) {
            return Err(illegal("the client does not accept uncompressed points"));
        }
    }
    let name = sni(ch)?;
    let sni_text = name.as_ref().map(|n| n.as_ref().to_string());
    if let Some((value, suite)) = find_session(&config, ch, ems, sni_text.as_deref())? {
        return resume(config, cx, ch, raw, value, suite, secure_reneg);
    }
    let client_takes_tickets = ch.extension(ExtensionType::SESSION_TICKET).is_some()
        && config.ticket_keys.is_some()
        && config.tickets > 0;
    let their_groups = match ch.extension(ExtensionType::SUPPORTED_GROUPS) {
        Some(Extension::SupportedGroups(g)) => g.clone(),
        // A client that lists no curves gets no ECDHE suite (as in
        // BoringSSL; RFC 8422 §4 leaves it open, and every TLS 1.2 client
        // that can verify our SHA-2 signatures lists its curves).
        _ => Vec::new(),
    };
    let ours = config.kx_groups();
    let group = ours
        .iter()
        .find(|g| their_groups.contains(&g.name()))
        .ok_or_else(|| Error::NoCommon {
            what: "key exchange group",
            ours: list(&ours.iter().map(|g| g.name()).collect::<Vec<_>>()),
            theirs: list(&their_groups),
        })?;
    let schemes: Vec<SignatureScheme> = match ch.extension(ExtensionType::SIGNATURE_ALGORITHMS) {
        Some(Extension::SignatureAlgorithms(s)) => s.clone(),
        // RFC 5246 §7.4.1.4.1: the default is SHA-1, which we do not sign with.
        _ => Vec::new(),
    };
    // A suite whose authentication one of our certificates can provide
    // with a scheme the client accepts.
    let usable = |suite: &Tls12Suite, key: &crate::config::CertifiedKey| {
        let kind_ok = match suite.sign {
            KeyKind::Rsa => key.key.kind() == KeyKind::Rsa,
            _ => key.key.kind() != KeyKind::Rsa,
        };
        // RFC 8422 §5.3: an ECDSA key on a curve the client listed.
        let curve_ok = match key.chain.first().and_then(|c| ec_curve(c)) {
            Some(curve) => their_groups.contains(&curve),
            None => true,
        };
        kind_ok
            && curve_ok
            && key
                .key
                .schemes()
                .iter()
                .any(|s| schemes.contains(s) && tls12_scheme_fits(*s, suite.sign))
    };
    let suite = choose_suite(&config, ch, ProtocolVersion::TLSV1_2, |s| match s {
        SupportedSuite::Tls12(t) => config.certs.iter().any(|c| usable(t, c)),
        SupportedSuite::Tls13(_) => false,
    })
    .map_err(|e| match e {
        Error::NoCommon { ours, theirs, .. } if !schemes.is_empty() => Error::NoCommon {
            what: "cipher suite",
            ours,
            theirs,
        },
        Error::NoCommon { ours, .. } => Error::NoCommon {
            what: "signature scheme",
            ours,
            theirs: "no signature_algorithms".into(),
        },
        other => other,
    })?;
    let SupportedSuite::Tls12(suite) = suite else {
        return Err(Error::InvalidState("a TLS 1.3 suite for TLS 1.2"));
    };
    let cert = choose_certificate(&config, ch, name.as_ref(), |c| usable(suite, c))
        .ok_or(Error::InvalidState("no certificate for the chosen suite"))?;
    let scheme = cert
        .key
        .schemes()
        .iter()
        .copied()
        .find(|s| schemes.contains(s) && tls12_scheme_fits(*s, suite.sign))
        .ok_or(Error::InvalidState("no scheme for the chosen certificate"))?;
    let alpn = choose_alpn(&config, ch)?;

    let mut server_random = [0u8; 32];
    config.random.fill(&mut server_random)?;
    // RFC 8446 §4.1.3: a server that could do TLS 1.3 marks its random.
    if config.versions.contains(&ProtocolVersion::TLSV1_3) {
        server_random[24..].copy_from_slice(&DOWNGRADE_TLS12);
    }
    let mut exts = Vec::new();
    if secure_reneg {
        exts.push(Extension::RenegotiationInfo(Vec::new()));
    }
    if ems {
        exts.push(Extension::ExtendedMasterSecret);
    }
    if ch.extension(ExtensionType::EC_POINT_FORMATS).is_some() {
        exts.push(Extension::EcPointFormats(vec![EcPointFormat::UNCOMPRESSED]));
    }
    if let Some(p) = &alpn {
        exts.push(Extension::Alpn(vec![p.clone()]));
    }
    if name.is_some() {
        exts.push(Extension::ServerNameAck);
    }
    if client_takes_tickets {
        // RFC 5077 §3.2: an empty SessionTicket promises a NewSessionTicket.
        exts.push(Extension::SessionTicket(Vec::new()));
    }
    if let Some(Extension::RecordSizeLimit(l)) = ch.extension(ExtensionType::RECORD_SIZE_LIMIT) {
        cx.info.peer_record_size_limit = Some(*l);
        exts.push(Extension::RecordSizeLimit(
            crate::record::MAX_FRAGMENT_LEN as u16,
        ));
    }
    // RFC 6066 §8: an empty status_request promises a CertificateStatus.
    let ocsp = super::server::stapled_ocsp(ch, cert);
    if ocsp.is_some() {
        exts.push(Extension::StatusRequestAck);
    }
    if let Some(l) = super::server::sent_sct_list(ch, cert) {
        exts.push(Extension::SignedCertificateTimestamps(l.to_vec()));
    }
    let mut session_id = Vec::new();
    if config.session_cache.is_some() {
        session_id = vec![0u8; 32];
        config.random.fill(&mut session_id)?;
    }
    let sh = ServerHello {
        legacy_version: ProtocolVersion::TLSV1_2,
        random: server_random,
        legacy_session_id: session_id.clone(),
        cipher_suite: suite.suite,
        compression_method: CompressionMethod::NULL,
        extensions: exts,
    };
    let verifier = match &config.client_auth {
        ClientAuth::None => None,
        ClientAuth::Optional(v) => Some((v.clone(), false)),
        ClientAuth::Required(v) => Some((v.clone(), true)),
    };
    let mut transcript = Transcript::new();
    transcript.start_hash(suite.hash, verifier.is_some());
    transcript.add(raw);
    let raw = cx.send(&HandshakeMessage::new(HandshakePayload::ServerHello(sh)));
    transcript.add(raw);
    let chain = cert.chain.iter().map(|c| c.as_ref().to_vec()).collect();
    let raw = cx.send(&HandshakeMessage::new(HandshakePayload::Certificate12(
        chain,
    )));
    transcript.add(raw);
    if let Some(ocsp) = ocsp {
        let raw = cx.send(&HandshakeMessage::new(HandshakePayload::CertificateStatus(
            ocsp.to_vec(),
        )));
        transcript.add(raw);
    }

    let kx = group.start()?;
    let params = EcdheParams {
        group: group.name(),
        public: kx.public_key().to_vec(),
    };
    let signed = tls12_signed_params(&ch.random, &server_random, &params);
    let signature = cert.key.sign(scheme, &signed)?;
    let raw = cx.send(&HandshakeMessage::new(HandshakePayload::ServerKeyExchange(
        ServerKeyExchange {
            params,
            signed: DigitallySigned { scheme, signature },
        },
    )));
    transcript.add(raw);
    let mut requested = Vec::new();
    if let Some((v, _)) = &verifier {
        requested = v.supported_schemes();
        let raw = cx.send(&HandshakeMessage::new(
            HandshakePayload::CertificateRequest12(CertificateRequest12 {
                certificate_types: CERT_TYPES.to_vec(),
                signature_algorithms: requested.clone(),
                certificate_authorities: v.root_subjects(),
            }),
        ));
        transcript.add(raw);
    }
    let raw = cx.send(&HandshakeMessage::new(HandshakePayload::ServerHelloDone));
    transcript.add(raw);

    cx.info.suite = Some(SupportedSuite::Tls12(suite));
    cx.info.group = Some(group.name());
    cx.info.alpn = alpn;
    cx.info.extended_master_secret = ems;
    let hs = Hs {
        config,
        suite,
        transcript,
        client_random: ch.random,
        server_random,
        ems,
        kx: Some(kx),
        requested,
        session_id,
        send_ticket: client_takes_tickets,
        sni: sni_text,
    };
    Ok(match verifier {
        Some((_, required)) => Box::new(ExpectCertificate { hs, required }),
        None => Box::new(ExpectClientKeyExchange {
            hs,
            client_cert: false,
        }),
    })
}

struct Hs {
    config: Arc<ServerConfig>,
    suite: &'static Tls12Suite,
    transcript: Transcript,
    client_random: [u8; 32],
    server_random: [u8; 32],
    ems: bool,
    kx: Option<Box<dyn ActiveKeyExchange>>,
    requested: Vec<SignatureScheme>,
    session_id: Vec<u8>,
    send_ticket: bool,
    sni: Option<String>,
}

macro_rules! tls12_state {
    () => {
        fn version(&self) -> ProtocolVersion {
            ProtocolVersion::TLSV1_2
        }
        fn handle_ccs(self: Box<Self>, _cx: &mut Context<'_>) -> Result<Box<dyn State>, Error> {
            Err(Error::peer(
                AlertDescription::UNEXPECTED_MESSAGE,
                "ChangeCipherSpec before the client's key exchange",
            ))
        }
    };
}

struct ExpectCertificate {
    hs: Hs,
    required: bool,
}

impl State for ExpectCertificate {
    fn handle(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage,
        raw: &[u8],
    ) -> Result<Box<dyn State>, Error> {
        let HandshakePayload::Certificate12(chain) = &msg.payload else {
            return Err(unexpected(&msg, "the client's Certificate"));
        };
        self.hs.transcript.add(raw);
        let Some((ee, rest)) = chain.split_first() else {
            if self.required {
                // RFC 5246 §7.4.6: handshake_failure for a missing
                // certificate that is required.
                return Err(Error::peer(
                    AlertDescription::HANDSHAKE_FAILURE,
                    "the client sent no certificate, and this server requires one",
                ));
            }
            return Ok(Box::new(ExpectClientKeyExchange {
                hs: self.hs,
                client_cert: false,
            }));
        };
        let end_entity = CertificateDer::from(ee.clone());
        let intermediates: Vec<CertificateDer<'static>> = rest
            .iter()
            .map(|c| CertificateDer::from(c.clone()))
            .collect();
        let v = self.hs.config.client_verifier()?;
        v.verify_client_cert(&end_entity, &intermediates, self.hs.config.time.now())?;
        cx.info.peer_certs = std::iter::once(end_entity).chain(intermediates).collect();
        Ok(Box::new(ExpectClientKeyExchange {
            hs: self.hs,
            client_cert: true,
        }))
    }
    tls12_state!();
}

struct ExpectClientKeyExchange {
    hs: Hs,
    client_cert: bool,
}

impl State for ExpectClientKeyExchange {
    fn handle(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage,
        raw: &[u8],
    ) -> Result<Box<dyn State>, Error> {
        let HandshakePayload::ClientKeyExchange(public) = &msg.payload else {
            return Err(unexpected(&msg, "ClientKeyExchange"));
        };
        let hs = &mut self.hs;
        let kx = hs
            .kx
            .take()
            .ok_or(Error::InvalidState("key exchange used"))?;
        let pms = kx.complete(public)?;
        hs.transcript.add(raw);
        let ms = if hs.ems {
            tls12::extended_master_secret(
                hs.suite.hash,
                pms.as_bytes(),
                &hs.transcript.current_hash(),
            )
        } else {
            tls12::master_secret(
                hs.suite.hash,
                pms.as_bytes(),
                &hs.client_random,
                &hs.server_random,
            )
        };
        log_secret(
            cx,
            &hs.config.key_log,
            "CLIENT_RANDOM",
            &hs.client_random,
            &ms,
        );
        let (sealer, opener) =
            tls12_keys(hs.suite, &ms, &hs.client_random, &hs.server_random, false)?;
        let next = ExpectCcs {
            hs: self.hs,
            ms,
            sealer: Some(sealer),
            opener: Some(opener),
            abbreviated: false,
        };
        if self.client_cert {
            Ok(Box::new(ExpectCertificateVerify { next }))
        } else {
            let mut next = next;
            next.hs.transcript.drop_buffer();
            Ok(Box::new(next))
        }
    }
    tls12_state!();
}

struct ExpectCertificateVerify {
    next: ExpectCcs,
}

impl State for ExpectCertificateVerify {
    fn handle(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage,
        raw: &[u8],
    ) -> Result<Box<dyn State>, Error> {
        let HandshakePayload::CertificateVerify(cv) = &msg.payload else {
            return Err(unexpected(&msg, "the client's CertificateVerify"));
        };
        let hs = &mut self.next.hs;
        if !hs.requested.contains(&cv.scheme) {
            return Err(illegal(format!(
                "the client signed with {:?}, which we did not ask for",
                cv.scheme
            )));
        }
        let cert = cx
            .info
            .peer_certs
            .first()
            .ok_or(Error::InvalidState("no client certificate"))?;
        let v = hs.config.client_verifier()?;
        v.verify_handshake_signature(
            cert,
            cv.scheme,
            hs.transcript.buffer(),
            &cv.signature,
            false,
        )?;
        cx.info.peer_signature_scheme = Some(cv.scheme);
        hs.transcript.add(raw);
        hs.transcript.drop_buffer();
        Ok(Box::new(self.next))
    }
    tls12_state!();
}

struct ExpectCcs {
    hs: Hs,
    ms: Secret,
    sealer: Option<crate::record::RecordSealer>,
    opener: Option<RecordOpener>,
    /// A resumed session: our Finished is already out.
    abbreviated: bool,
}

impl State for ExpectCcs {
    fn handle(
        self: Box<Self>,
        _cx: &mut Context<'_>,
        msg: HandshakeMessage,
        _raw: &[u8],
    ) -> Result<Box<dyn State>, Error> {
        Err(unexpected(&msg, "ChangeCipherSpec"))
    }

    fn handle_ccs(mut self: Box<Self>, cx: &mut Context<'_>) -> Result<Box<dyn State>, Error> {
        let opener = self
            .opener
            .take()
            .ok_or(Error::InvalidState("keys already used"))?;
        cx.out.push(Command::ReadKeys(opener));
        Ok(Box::new(ExpectFinished { rest: *self }))
    }

    fn version(&self) -> ProtocolVersion {
        ProtocolVersion::TLSV1_2
    }
}

struct ExpectFinished {
    rest: ExpectCcs,
}

impl ExpectFinished {
    /// What a session ID or a ticket keeps of this session.
    fn session_value(&self, cx: &Context<'_>) -> ServerSessionValue {
        let hs = &self.rest.hs;
        ServerSessionValue {
            version: ProtocolVersion::TLSV1_2,
            suite: hs.suite.suite,
            secret: self.rest.ms.as_bytes().to_vec(),
            created: hs.config.time.now().as_secs(),
            age_add: 0,
            lifetime: hs.config.ticket_lifetime,
            extended_master_secret: hs.ems,
            sni: hs.sni.clone(),
            alpn: cx.info.alpn.clone(),
            max_early_data: 0,
            client_certs: cx
                .info
                .peer_certs
                .iter()
                .map(|c| c.as_ref().to_vec())
                .collect(),
            group: cx.info.group,
        }
    }
}

impl State for ExpectFinished {
    fn handle(
        self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage,
        raw: &[u8],
    ) -> Result<Box<dyn State>, Error> {
        let HandshakePayload::Finished(verify_data) = &msg.payload else {
            return Err(unexpected(&msg, "the client's Finished"));
        };
        let hash = self.rest.hs.suite.hash;
        let expected = tls12::finished_verify_data(
            hash,
            self.rest.ms.as_bytes(),
            true,
            &self.rest.hs.transcript.current_hash(),
        );
        check_finished(&expected, verify_data, "client")?;
        let value = self.session_value(cx);
        let mut r = self.rest;
        r.hs.transcript.add(raw);
        if !r.abbreviated {
            let config = r.hs.config.clone();
            let now = config.time.now().as_secs();
            if r.hs.send_ticket {
                if let Some(keys) = &config.ticket_keys {
                    let ticket = keys.seal(&value.get_encoding(), now)?;
                    let raw = cx.send(&HandshakeMessage::new(
                        HandshakePayload::NewSessionTicket12(NewSessionTicket12 {
                            lifetime_hint: config.ticket_lifetime,
                            ticket,
                        }),
                    ));
                    r.hs.transcript.add(raw);
                }
            }
            if let Some(cache) = &config.session_cache {
                if !r.hs.session_id.is_empty() {
                    cache.put(r.hs.session_id.clone(), value.get_encoding());
                }
            }
            cx.out.push(Command::SendCcs);
            let sealer = r
                .sealer
                .take()
                .ok_or(Error::InvalidState("keys already used"))?;
            cx.out.push(Command::WriteKeys(sealer));
            let fin = tls12::finished_verify_data(
                hash,
                r.ms.as_bytes(),
                false,
                &r.hs.transcript.current_hash(),
            );
            cx.send(&HandshakeMessage::new(HandshakePayload::Finished(fin)));
        }
        cx.info.exporter = Some(Exporter::Tls12 {
            hash,
            master_secret: r.ms,
            client_random: r.hs.client_random,
            server_random: r.hs.server_random,
        });
        cx.out.push(Command::Done);
        Ok(Box::new(Connected12 { client: false }))
    }

    fn handle_ccs(self: Box<Self>, _cx: &mut Context<'_>) -> Result<Box<dyn State>, Error> {
        Err(Error::peer(
            AlertDescription::UNEXPECTED_MESSAGE,
            "a second ChangeCipherSpec",
        ))
    }

    fn version(&self) -> ProtocolVersion {
        ProtocolVersion::TLSV1_2
    }
}

/// A session the client asks to resume, by ticket (RFC 5077) or by
/// session ID, if it is ours, alive, and fits this hello.
fn find_session(
    config: &ServerConfig,
    ch: &ClientHello,
    ems: bool,
    sni: Option<&str>,
) -> Result<Option<(ServerSessionValue, &'static Tls12Suite)>, Error> {
    let now = config.time.now().as_secs();
    let ticket = match ch.extension(ExtensionType::SESSION_TICKET) {
        Some(Extension::SessionTicket(t)) if !t.is_empty() => Some(t.as_slice()),
        _ => None,
    };
    let plain = match (ticket, &config.ticket_keys, &config.session_cache) {
        (Some(t), Some(keys), _) => keys.open(t, now),
        (None, _, Some(cache)) if !ch.legacy_session_id.is_empty() => {
            cache.get(&ch.legacy_session_id)
        }
        _ => None,
    };
    let Some(value) = plain.and_then(|p| ServerSessionValue::decode(&p).ok()) else {
        return Ok(None);
    };
    let suite = match lookup(value.suite) {
        Some(SupportedSuite::Tls12(s))
            if ch.cipher_suites.contains(&s.suite)
                && config.suites.iter().any(|c| c.suite() == s.suite) =>
        {
            s
        }
        _ => return Ok(None),
    };
    if value.version != ProtocolVersion::TLSV1_2
        || now > value.created.saturating_add(u64::from(value.lifetime))
        || value.sni.as_deref() != sni
    {
        return Ok(None);
    }
    // RFC 7627 §5.3: a session made with the extended master secret must
    // not be resumed without it; one made without it is not resumed.
    if value.extended_master_secret && !ems {
        return Err(Error::peer(
            AlertDescription::HANDSHAKE_FAILURE,
            "resumption of an extended-master-secret session without the extension",
        ));
    }
    if !value.extended_master_secret {
        return Ok(None);
    }
    Ok(Some((value, suite)))
}

/// The abbreviated handshake: ServerHello, ChangeCipherSpec, Finished
/// (RFC 5246 §7.3).
fn resume(
    config: Arc<ServerConfig>,
    cx: &mut Context<'_>,
    ch: &ClientHello,
    raw: &[u8],
    value: ServerSessionValue,
    suite: &'static Tls12Suite,
    secure_reneg: bool,
) -> Result<Box<dyn State>, Error> {
    let alpn = choose_alpn(&config, ch)?;
    let mut server_random = [0u8; 32];
    config.random.fill(&mut server_random)?;
    if config.versions.contains(&ProtocolVersion::TLSV1_3) {
        server_random[24..].copy_from_slice(&DOWNGRADE_TLS12);
    }
    let mut exts = Vec::new();
    if secure_reneg {
        exts.push(Extension::RenegotiationInfo(Vec::new()));
    }
    exts.push(Extension::ExtendedMasterSecret);
    if let Some(p) = &alpn {
        exts.push(Extension::Alpn(vec![p.clone()]));
    }
    // RFC 5077 §3.4: the client's session ID is echoed to say "resumed".
    let sh = ServerHello {
        legacy_version: ProtocolVersion::TLSV1_2,
        random: server_random,
        legacy_session_id: ch.legacy_session_id.clone(),
        cipher_suite: suite.suite,
        compression_method: CompressionMethod::NULL,
        extensions: exts,
    };
    let mut transcript = Transcript::with_hash(suite.hash);
    transcript.add(raw);
    let raw_sh = cx.send(&HandshakeMessage::new(HandshakePayload::ServerHello(sh)));
    transcript.add(raw_sh);
    let ms = Secret::new(value.secret.clone());
    log_secret(cx, &config.key_log, "CLIENT_RANDOM", &ch.random, &ms);
    let (sealer, opener) = tls12_keys(suite, &ms, &ch.random, &server_random, false)?;
    cx.out.push(Command::SendCcs);
    cx.out.push(Command::WriteKeys(sealer));
    let fin =
        tls12::finished_verify_data(suite.hash, ms.as_bytes(), false, &transcript.current_hash());
    let raw_fin = cx.send(&HandshakeMessage::new(HandshakePayload::Finished(fin)));
    transcript.add(raw_fin);
    cx.info.suite = Some(SupportedSuite::Tls12(suite));
    cx.info.alpn = alpn;
    cx.info.extended_master_secret = true;
    cx.info.resumed = true;
    // The session's group, as the full handshake reported it.
    cx.info.group = value.group;
    cx.info.peer_certs = value
        .client_certs
        .iter()
        .map(|c| CertificateDer::from(c.clone()))
        .collect();
    let hs = Hs {
        config,
        suite,
        transcript,
        client_random: ch.random,
        server_random,
        ems: true,
        kx: None,
        requested: Vec::new(),
        session_id: ch.legacy_session_id.clone(),
        send_ticket: false,
        sni: value.sni.clone(),
    };
    Ok(Box::new(ExpectCcs {
        hs,
        ms,
        sealer: None,
        opener: Some(opener),
        abbreviated: true,
    }))
}
