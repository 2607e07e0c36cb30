//! The TLS 1.2 client (RFC 5246 §7.3, RFC 8422, RFC 7627, RFC 5746).

use super::client::{ClientShared, ExpectServerHello};
use super::client13::choose_client_cert;
use super::transcript::Transcript;
use super::{
    check_finished, check_response_extensions, tls12_keys, tls12_scheme_fits, tls12_signed_params,
    unexpected, Command, Context, Exporter, State,
};
use crate::crypto::{Secret, SupportedSuite, Tls12Suite};
use crate::error::Error;
use crate::key_schedule::tls12;
use crate::msgs::enums::{AlertDescription, EcPointFormat, ExtensionType, ProtocolVersion};
use crate::msgs::extensions::Extension;
use crate::msgs::handshake::{
    CertificateRequest12, DigitallySigned, HandshakeMessage, HandshakePayload, ServerHello,
};
use crate::record::{RecordOpener, RecordSealer};
use crate::session::Tls12Session;
use pki_types::CertificateDer;

fn illegal(reason: impl Into<String>) -> Error {
    Error::peer(AlertDescription::ILLEGAL_PARAMETER, reason)
}

/// What the TLS 1.2 client carries through the handshake.
struct Hs {
    shared: ClientShared,
    suite: &'static Tls12Suite,
    transcript: Transcript,
    server_random: [u8; 32],
    ems: bool,
    ticket_expected: bool,
    /// Whether the server acknowledged status_request: a CertificateStatus
    /// may follow its Certificate (RFC 6066 §8).
    status_expected: bool,
    /// The session ID the server gave, kept for resumption.
    session_id: Vec<u8>,
    /// A ticket the server sent (RFC 5077).
    new_ticket: Option<Vec<u8>>,
    /// A resumed session: our CCS and Finished follow the server's.
    resumed_sealer: Option<RecordSealer>,
}

pub(super) fn handle_server_hello(
    st: ExpectServerHello,
    cx: &mut Context<'_>,
    sh: &ServerHello,
    suite: &'static Tls12Suite,
    raw: &[u8],
) -> Result<Box<dyn State>, Error> {
    let shared = st.shared;
    // An echo of our session ID means "resumed" (RFC 5246 §7.4.1.3, RFC
    // 5077 §3.4); without a session offered it is an error.
    let echoed = !shared.session_id.is_empty() && sh.legacy_session_id == shared.session_id;
    let resumed = match st.tls12_session {
        Some(s) if echoed => Some(s),
        Some(_) => {
            if let Some(store) = &shared.config.session_store {
                store.remove_tls12(&shared.cache_key);
            }
            None
        }
        None if echoed => return Err(illegal("the server resumed a session we did not offer")),
        None => None,
    };
    let allowed = [
        ExtensionType::RENEGOTIATION_INFO,
        ExtensionType::EXTENDED_MASTER_SECRET,
        ExtensionType::EC_POINT_FORMATS,
        ExtensionType::APPLICATION_LAYER_PROTOCOL_NEGOTIATION,
        ExtensionType::SERVER_NAME,
        ExtensionType::SESSION_TICKET,
        ExtensionType::STATUS_REQUEST,
        ExtensionType::SIGNED_CERTIFICATE_TIMESTAMP,
        ExtensionType::RECORD_SIZE_LIMIT,
    ];
    // Some TLS 1.2 servers echo supported_groups, which RFC 8422 does not
    // define for ServerHello; it is harmless and ignored.
    let exts: Vec<Extension> = sh
        .extensions
        .iter()
        .filter(|e| e.typ() != ExtensionType::SUPPORTED_GROUPS)
        .cloned()
        .collect();
    check_response_extensions(&exts, &shared.offered, "ServerHello")?;
    let mut ems = false;
    let mut ticket_expected = false;
    let mut status_expected = false;
    for e in &exts {
        if !allowed.contains(&e.typ()) {
            return Err(illegal(format!(
                "{:?} is not allowed in a TLS 1.2 ServerHello",
                e.typ()
            )));
        }
        match e {
            // RFC 5746 §3.4: empty on an initial handshake.
            Extension::RenegotiationInfo(v) if !v.is_empty() => {
                return Err(Error::peer(
                    AlertDescription::HANDSHAKE_FAILURE,
                    "non-empty renegotiation_info on an initial handshake",
                ))
            }
            Extension::ExtendedMasterSecret => ems = true,
            Extension::EcPointFormats(f) if !f.contains(&EcPointFormat::UNCOMPRESSED) => {
                return Err(illegal("the server does not accept uncompressed points"))
            }
            Extension::Alpn(p) => {
                let chosen = p.first().cloned().unwrap_or_default();
                if !shared.config.alpn.contains(&chosen) {
                    return Err(illegal(
                        "the server chose an ALPN protocol we did not offer",
                    ));
                }
                cx.info.alpn = Some(chosen);
            }
            Extension::SessionTicket(_) => ticket_expected = true,
            Extension::StatusRequestAck => status_expected = true,
            Extension::SignedCertificateTimestamps(l) => cx.info.sct_list = Some(l.clone()),
            Extension::RecordSizeLimit(l) => cx.info.peer_record_size_limit = Some(*l),
            _ => {}
        }
    }
    if !ems && shared.config.require_ems {
        return Err(Error::peer(
            AlertDescription::HANDSHAKE_FAILURE,
            "the server does not support the extended master secret (RFC 7627), which we require",
        ));
    }
    let mut transcript = st.transcript;
    let keep = !shared.config.client_certs.is_empty() && resumed.is_none();
    transcript.start_hash(suite.hash, keep);
    transcript.add(raw);
    cx.info.suite = Some(SupportedSuite::Tls12(suite));
    cx.info.extended_master_secret = ems;
    if let pki_types::ServerName::DnsName(n) = &shared.server_name {
        cx.info.sni = Some(n.as_ref().to_string());
    }
    let mut hs = Hs {
        shared,
        suite,
        transcript,
        server_random: sh.random,
        ems,
        ticket_expected,
        status_expected,
        session_id: sh.legacy_session_id.clone(),
        new_ticket: None,
        resumed_sealer: None,
    };
    let Some(session) = resumed else {
        return Ok(Box::new(ExpectCertificate { hs }));
    };
    // The abbreviated handshake (RFC 5246 §7.3).
    if session.suite != suite.suite {
        return Err(illegal("the server resumed with another suite"));
    }
    // RFC 7627 §5.3: the extended master secret must match the session's.
    if session.extended_master_secret != ems {
        return Err(Error::peer(
            AlertDescription::HANDSHAKE_FAILURE,
            "the resumed session's extended master secret does not match",
        ));
    }
    cx.info.resumed = true;
    cx.info.peer_certs = session.peer_certs.clone();
    // The session's group, as the full handshake reported it.
    cx.info.group = session.group;
    let ms = session.master_secret.clone();
    super::log_secret(
        cx,
        &hs.shared.config.key_log,
        "CLIENT_RANDOM",
        &hs.shared.client_random,
        &ms,
    );
    let (sealer, opener) = tls12_keys(
        suite,
        &ms,
        &hs.shared.client_random,
        &hs.server_random,
        true,
    )?;
    hs.resumed_sealer = Some(sealer);
    hs.new_ticket = session.ticket.clone();
    Ok(Box::new(ExpectTicketOrCcs {
        hs,
        ms,
        opener: Some(opener),
    }))
}

macro_rules! tls12_state {
    ($name:ident) => {
        fn version(&self) -> ProtocolVersion {
            ProtocolVersion::TLSV1_2
        }
        fn handle_ccs(self: Box<Self>, _cx: &mut Context<'_>) -> Result<Box<dyn State>, Error> {
            Err(Error::peer(
                AlertDescription::UNEXPECTED_MESSAGE,
                concat!("ChangeCipherSpec in state ", stringify!($name)),
            ))
        }
    };
}

struct ExpectCertificate {
    hs: Hs,
}

impl State for ExpectCertificate {
    fn handle(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage,
        raw: &[u8],
    ) -> Result<Box<dyn State>, Error> {
        let HandshakePayload::Certificate12(chain) = &msg.payload else {
            return Err(unexpected(&msg, "Certificate"));
        };
        let Some((ee, rest)) = chain.split_first() else {
            return Err(Error::peer(
                AlertDescription::DECODE_ERROR,
                "the server sent an empty Certificate message",
            ));
        };
        let end_entity = CertificateDer::from(ee.clone());
        let intermediates: Vec<CertificateDer<'static>> = rest
            .iter()
            .map(|c| CertificateDer::from(c.clone()))
            .collect();
        let config = &self.hs.shared.config;
        config.verifier.verify_server_cert(
            &end_entity,
            &intermediates,
            &self.hs.shared.server_name,
            &[],
            config.time.now(),
        )?;
        // RFC 8422 §5.3: an ECDSA key on a curve that we listed.
        if let Some(curve) = crate::verify::certinfo::ec_curve(&end_entity) {
            if !config.kx_groups().iter().any(|g| g.name() == curve) {
                return Err(Error::peer(
                    AlertDescription::ILLEGAL_PARAMETER,
                    format!("the server's ECDSA key is on {curve:?}, which we did not offer"),
                ));
            }
        }
        cx.info.peer_certs = std::iter::once(end_entity).chain(intermediates).collect();
        self.hs.transcript.add(raw);
        Ok(Box::new(ExpectServerKeyExchange { hs: self.hs }))
    }
    tls12_state!(ExpectCertificate);
}

struct ExpectServerKeyExchange {
    hs: Hs,
}

impl State for ExpectServerKeyExchange {
    fn handle(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage,
        raw: &[u8],
    ) -> Result<Box<dyn State>, Error> {
        // RFC 6066 §8: after an acknowledged status_request the server may
        // send one CertificateStatus first.
        if let HandshakePayload::CertificateStatus(ocsp) = &msg.payload {
            if !self.hs.status_expected {
                return Err(unexpected(&msg, "ServerKeyExchange"));
            }
            self.hs.status_expected = false;
            cx.info.ocsp_response = Some(ocsp.clone());
            self.hs.transcript.add(raw);
            return Ok(self);
        }
        let HandshakePayload::ServerKeyExchange(ske) = &msg.payload else {
            return Err(unexpected(&msg, "ServerKeyExchange"));
        };
        let hs = &mut self.hs;
        let groups = hs.shared.config.kx_groups();
        let group = groups
            .iter()
            .find(|g| g.name() == ske.params.group)
            .ok_or_else(|| {
                illegal(format!(
                    "the server chose {:?}, which we did not offer",
                    ske.params.group
                ))
            })?;
        let scheme = ske.signed.scheme;
        if !hs
            .shared
            .config
            .verifier
            .supported_schemes()
            .contains(&scheme)
            || !tls12_scheme_fits(scheme, hs.suite.sign)
        {
            return Err(illegal(format!(
                "the server signed its key exchange with {scheme:?}, which we did not offer for this suite"
            )));
        }
        let signed = tls12_signed_params(&hs.shared.client_random, &hs.server_random, &ske.params);
        let cert = cx
            .info
            .peer_certs
            .first()
            .ok_or(Error::InvalidState("no server certificate"))?;
        hs.shared.config.verifier.verify_handshake_signature(
            cert,
            scheme,
            &signed,
            &ske.signed.signature,
            false,
        )?;
        cx.info.peer_signature_scheme = Some(scheme);
        cx.info.group = Some(ske.params.group);
        let kx = group.start()?;
        let public = kx.public_key().to_vec();
        let pms = kx.complete(&ske.params.public)?;
        hs.transcript.add(raw);
        Ok(Box::new(ExpectServerHelloDone {
            hs: self.hs,
            public,
            pms,
            request: None,
        }))
    }
    tls12_state!(ExpectServerKeyExchange);
}

struct ExpectServerHelloDone {
    hs: Hs,
    public: Vec<u8>,
    pms: Secret,
    request: Option<CertificateRequest12>,
}

impl State for ExpectServerHelloDone {
    fn handle(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage,
        raw: &[u8],
    ) -> Result<Box<dyn State>, Error> {
        match &msg.payload {
            HandshakePayload::CertificateRequest12(cr) if self.request.is_none() => {
                self.request = Some(cr.clone());
                self.hs.transcript.add(raw);
                return Ok(self);
            }
            HandshakePayload::ServerHelloDone => {}
            _ => return Err(unexpected(&msg, "ServerHelloDone")),
        }
        let mut hs = self.hs;
        hs.transcript.add(raw);
        let chosen = self.request.as_ref().and_then(|cr| {
            choose_client_cert(
                &hs.shared.config.client_certs,
                &cr.signature_algorithms,
                &cr.certificate_authorities,
                false,
            )
        });
        if self.request.is_some() {
            let chain = chosen
                .map(|(c, _)| c.chain.iter().map(|d| d.as_ref().to_vec()).collect())
                .unwrap_or_default();
            let raw = cx.send(&HandshakeMessage::new(HandshakePayload::Certificate12(
                chain,
            )));
            hs.transcript.add(raw);
        }
        let raw = cx.send(&HandshakeMessage::new(HandshakePayload::ClientKeyExchange(
            self.public,
        )));
        hs.transcript.add(raw);
        // RFC 7627 §4: the session hash runs through ClientKeyExchange.
        let ms = if hs.ems {
            tls12::extended_master_secret(
                hs.suite.hash,
                self.pms.as_bytes(),
                &hs.transcript.current_hash(),
            )
        } else {
            tls12::master_secret(
                hs.suite.hash,
                self.pms.as_bytes(),
                &hs.shared.client_random,
                &hs.server_random,
            )
        };
        if let Some((c, scheme)) = chosen {
            let signature = c.key.sign(scheme, hs.transcript.buffer())?;
            let raw = cx.send(&HandshakeMessage::new(HandshakePayload::CertificateVerify(
                DigitallySigned { scheme, signature },
            )));
            hs.transcript.add(raw);
        }
        hs.transcript.drop_buffer();
        super::log_secret(
            cx,
            &hs.shared.config.key_log,
            "CLIENT_RANDOM",
            &hs.shared.client_random,
            &ms,
        );
        let (sealer, opener) = tls12_keys(
            hs.suite,
            &ms,
            &hs.shared.client_random,
            &hs.server_random,
            true,
        )?;
        cx.out.push(Command::SendCcs);
        cx.out.push(Command::WriteKeys(sealer));
        let fin = tls12::finished_verify_data(
            hs.suite.hash,
            ms.as_bytes(),
            true,
            &hs.transcript.current_hash(),
        );
        let raw = cx.send(&HandshakeMessage::new(HandshakePayload::Finished(fin)));
        hs.transcript.add(raw);
        Ok(Box::new(ExpectTicketOrCcs {
            hs,
            ms,
            opener: Some(opener),
        }))
    }
    tls12_state!(ExpectServerHelloDone);
}

struct ExpectTicketOrCcs {
    hs: Hs,
    ms: Secret,
    opener: Option<RecordOpener>,
}

impl State for ExpectTicketOrCcs {
    fn handle(
        mut self: Box<Self>,
        _cx: &mut Context<'_>,
        msg: HandshakeMessage,
        raw: &[u8],
    ) -> Result<Box<dyn State>, Error> {
        match &msg.payload {
            HandshakePayload::NewSessionTicket12(t) if self.hs.ticket_expected => {
                self.hs.ticket_expected = false;
                if !t.ticket.is_empty() {
                    self.hs.new_ticket = Some(t.ticket.clone());
                }
                self.hs.transcript.add(raw);
                Ok(self)
            }
            _ => Err(unexpected(&msg, "ChangeCipherSpec")),
        }
    }

    fn handle_ccs(mut self: Box<Self>, cx: &mut Context<'_>) -> Result<Box<dyn State>, Error> {
        // RFC 5077 §3.3: a server that acknowledged session_ticket must send
        // NewSessionTicket before its ChangeCipherSpec.
        if self.hs.ticket_expected {
            return Err(Error::peer(
                AlertDescription::UNEXPECTED_MESSAGE,
                "the server acknowledged session_ticket but sent no NewSessionTicket",
            ));
        }
        let opener = self
            .opener
            .take()
            .ok_or(Error::InvalidState("keys already used"))?;
        cx.out.push(Command::ReadKeys(opener));
        Ok(Box::new(ExpectFinished {
            hs: self.hs,
            ms: self.ms,
        }))
    }

    fn version(&self) -> ProtocolVersion {
        ProtocolVersion::TLSV1_2
    }
}

struct ExpectFinished {
    hs: Hs,
    ms: Secret,
}

impl State for ExpectFinished {
    fn handle(
        self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage,
        raw: &[u8],
    ) -> Result<Box<dyn State>, Error> {
        let HandshakePayload::Finished(verify_data) = &msg.payload else {
            return Err(unexpected(&msg, "Finished"));
        };
        let mut hs = self.hs;
        let expected = tls12::finished_verify_data(
            hs.suite.hash,
            self.ms.as_bytes(),
            false,
            &hs.transcript.current_hash(),
        );
        check_finished(&expected, verify_data, "server")?;
        if let Some(sealer) = hs.resumed_sealer.take() {
            hs.transcript.add(raw);
            cx.out.push(Command::SendCcs);
            cx.out.push(Command::WriteKeys(sealer));
            let fin = tls12::finished_verify_data(
                hs.suite.hash,
                self.ms.as_bytes(),
                true,
                &hs.transcript.current_hash(),
            );
            cx.send(&HandshakeMessage::new(HandshakePayload::Finished(fin)));
        }
        if let Some(store) = &hs.shared.config.session_store {
            if !hs.session_id.is_empty() || hs.new_ticket.is_some() {
                store.put_tls12(
                    &hs.shared.cache_key,
                    Tls12Session {
                        suite: hs.suite.suite,
                        session_id: hs.session_id.clone(),
                        ticket: hs.new_ticket.clone(),
                        master_secret: self.ms.clone(),
                        extended_master_secret: hs.ems,
                        created: hs.shared.config.time.now().as_secs(),
                        peer_certs: cx.info.peer_certs.clone(),
                        group: cx.info.group,
                    },
                );
            }
        }
        cx.info.exporter = Some(Exporter::Tls12 {
            hash: hs.suite.hash,
            master_secret: self.ms,
            client_random: hs.shared.client_random,
            server_random: hs.server_random,
        });
        cx.out.push(Command::Done);
        Ok(Box::new(Connected12 { client: true }))
    }
    tls12_state!(ExpectFinished);
}

/// A connected TLS 1.2 session on either side: renegotiation is refused.
pub(crate) struct Connected12 {
    pub(crate) client: bool,
}

impl State for Connected12 {
    fn handle(
        self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage,
        _raw: &[u8],
    ) -> Result<Box<dyn State>, Error> {
        match (&msg.payload, self.client) {
            // RFC 5246 §7.4.1.1: a client may decline a HelloRequest with
            // a no_renegotiation warning.
            (HandshakePayload::HelloRequest, true) => {
                cx.out
                    .push(Command::SendWarning(AlertDescription::NO_RENEGOTIATION));
                Ok(self)
            }
            // RFC 5746 §4.4: we do not renegotiate.
            (HandshakePayload::ClientHello(_), false) => Err(Error::peer(
                AlertDescription::NO_RENEGOTIATION,
                "the client asked to renegotiate, which cloaktls refuses",
            )),
            _ => Err(unexpected(&msg, "no handshake message")),
        }
    }

    tls12_state!(Connected12);
}
