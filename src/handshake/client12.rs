//! The TLS 1.2 client after ServerHello (RFC 5246 §7.3, RFC 8422, RFC
//! 7627, RFC 5746, RFC 5077, RFC 6066 §8), a step per message.

use super::client_common::{choose_client_cert, reverify_session, ClientShared, HelloSent};
use super::common::{check_finished, check_response_extensions, illegal, Exporter};
use super::tls12::{keys, scheme_fits, signed_params, Connected12};
use super::transcript::Transcript;
use super::{Command, Context, State, StateId};
use crate::config::{CertificateRequestInfo, CertifiedKey};
use crate::crypto::sign::KeyKind;
use crate::crypto::{Secret, SupportedSuite, Tls12Suite};
use crate::error::Error;
use crate::key_schedule::tls12;
use crate::msgs::enums::{
    AlertDescription, CertificateType, EcPointFormat, ExtensionType, ProtocolVersion,
};
use crate::msgs::extensions::Extension;
use crate::msgs::handshake::{
    CertificateRequest12, DigitallySigned, HandshakeMessage, HandshakePayload, ServerHello,
    ServerKeyExchange,
};
use crate::msgs::Role;
use crate::record::{RecordOpener, RecordSealer};
use crate::session::Tls12Session;
use pki_types::CertificateDer;

/// What the TLS 1.2 client carries through the handshake.
struct Hs {
    shared: ClientShared,
    suite: &'static Tls12Suite,
    transcript: Transcript,
    server_random: [u8; 32],
    ems: bool,
    /// The session ID the server gave, kept for resumption.
    session_id: Vec<u8>,
    /// A ticket the server sent (RFC 5077).
    new_ticket: Option<Vec<u8>>,
}

/// What the server acknowledged in its ServerHello: the messages that will
/// follow, and what was negotiated.
struct Acknowledged {
    ems: bool,
    /// An empty session_ticket: a NewSessionTicket will come (RFC 5077 §3.2).
    ticket: bool,
    /// An empty status_request: a CertificateStatus may come (RFC 6066 §8).
    status: bool,
}

pub(super) fn handle_server_hello(
    st: HelloSent,
    cx: &mut Context<'_>,
    sh: &ServerHello,
    suite: &'static Tls12Suite,
    raw: &[u8],
) -> Result<Box<dyn State>, Error> {
    let resumed = resumed_session(&st, sh)?;
    let ack = read_server_hello_extensions(&st.shared, cx, sh, resumed.is_some())?;
    if !ack.ems && st.shared.config.require_ems {
        return Err(Error::peer(
            AlertDescription::HANDSHAKE_FAILURE,
            "the server does not support the extended master secret (RFC 7627), which we require",
        ));
    }
    let mut transcript = st.transcript;
    // TLS 1.2 client authentication signs the messages themselves.
    let keep = st.shared.config.has_client_certs() && resumed.is_none();
    transcript.start_hash(suite.hash, keep);
    transcript.add(raw);
    cx.info.suite = Some(SupportedSuite::Tls12(suite));
    cx.info.extended_master_secret = ack.ems;
    cx.info.sni = st.shared.sni_text();
    let hs = Hs {
        shared: st.shared,
        suite,
        transcript,
        server_random: sh.random,
        ems: ack.ems,
        session_id: sh.legacy_session_id.clone(),
        new_ticket: None,
    };
    match resumed {
        Some(session) => resume(hs, cx, session, ack.ticket),
        None => Ok(Box::new(ExpectCertificate {
            hs,
            status: ack.status,
            ticket: ack.ticket,
        })),
    }
}

/// The session the server resumed: an echo of our session ID means
/// "resumed" (RFC 5246 §7.4.1.3, RFC 5077 §3.4); without a session
/// offered it is an error. A session the server did not resume is
/// forgotten.
fn resumed_session(st: &HelloSent, sh: &ServerHello) -> Result<Option<Tls12Session>, Error> {
    let shared = &st.shared;
    let echoed = !shared.session_id.is_empty() && sh.legacy_session_id == shared.session_id;
    match &st.tls12_session {
        Some(s) if echoed => Ok(Some(s.clone())),
        Some(_) => {
            if let Some(store) = &shared.config.session_store {
                store.remove_tls12(&shared.cache_key);
            }
            Ok(None)
        }
        None if echoed => Err(illegal("the server resumed a session we did not offer")),
        None => Ok(None),
    }
}

/// The extensions of a TLS 1.2 ServerHello: only answers to what we
/// offered, each checked.
fn read_server_hello_extensions(
    shared: &ClientShared,
    cx: &mut Context<'_>,
    sh: &ServerHello,
    resumed: bool,
) -> Result<Acknowledged, Error> {
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
        ExtensionType::CLIENT_CERTIFICATE_TYPE,
        ExtensionType::SERVER_CERTIFICATE_TYPE,
    ];
    // Some TLS 1.2 servers echo supported_groups, which RFC 8422 does not
    // define for ServerHello; it is harmless and ignored.
    let exts: Vec<&Extension> = sh
        .extensions
        .iter()
        .filter(|e| e.typ() != ExtensionType::SUPPORTED_GROUPS)
        .collect();
    let mut ack = Acknowledged {
        ems: false,
        ticket: false,
        status: false,
    };
    for e in exts {
        check_response_extensions(std::slice::from_ref(e), &shared.offered, "ServerHello")?;
        if !allowed.contains(&e.typ()) {
            return Err(illegal(format!(
                "{:?} is not allowed in a TLS 1.2 ServerHello",
                e.typ()
            )));
        }
        read_server_hello_extension(shared, cx, e, &mut ack)?;
    }
    // RFC 7250 §4.2: the certificate types, in the ServerHello.
    super::cert_types::read_answers(&shared.config, &sh.extensions, resumed, cx.info)?;
    Ok(ack)
}

fn read_server_hello_extension(
    shared: &ClientShared,
    cx: &mut Context<'_>,
    e: &Extension,
    ack: &mut Acknowledged,
) -> Result<(), Error> {
    match e {
        // RFC 5746 §3.4: empty on an initial handshake.
        Extension::RenegotiationInfo(v) if !v.is_empty() => {
            return Err(Error::peer(
                AlertDescription::HANDSHAKE_FAILURE,
                "non-empty renegotiation_info on an initial handshake",
            ))
        }
        Extension::ExtendedMasterSecret => ack.ems = true,
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
        Extension::SessionTicket(_) => ack.ticket = true,
        Extension::StatusRequestAck => ack.status = true,
        Extension::SignedCertificateTimestamps(l) => cx.info.sct_list = Some(l.clone()),
        Extension::RecordSizeLimit(l) => {
            cx.info.peer_record_size_limit = Some(*l);
            cx.info.own_record_size_limit = shared.config.record_size_limit;
        }
        _ => {}
    }
    Ok(())
}

/// The abbreviated handshake (RFC 5246 §7.3): the session's keys at once;
/// the server's ChangeCipherSpec and Finished come first.
fn resume(
    mut hs: Hs,
    cx: &mut Context<'_>,
    session: Tls12Session,
    ticket: bool,
) -> Result<Box<dyn State>, Error> {
    if session.suite != hs.suite.suite {
        return Err(illegal("the server resumed with another suite"));
    }
    reverify_session(
        &hs.shared,
        &session.peer_certs,
        session.peer_raw_public_key.as_ref(),
    )?;
    // RFC 7627 §5.3: the extended master secret must match the session's.
    if session.extended_master_secret != hs.ems {
        return Err(Error::peer(
            AlertDescription::HANDSHAKE_FAILURE,
            "the resumed session's extended master secret does not match",
        ));
    }
    cx.info.resumed = true;
    cx.info.peer_certs.clone_from(&session.peer_certs);
    cx.info
        .peer_raw_public_key
        .clone_from(&session.peer_raw_public_key);
    if session.peer_raw_public_key.is_some() {
        cx.info.server_cert_type = CertificateType::RAW_PUBLIC_KEY;
    }
    // The session's group, as the full handshake reported it.
    cx.info.group = session.group;
    let ms = session.master_secret.clone();
    let cr = hs.shared.client_random;
    cx.secret(&hs.shared.config.key_log, "CLIENT_RANDOM", &cr, &ms);
    let (sealer, opener) = keys(hs.suite, &ms, &cr, &hs.server_random, Role::Client)?;
    hs.new_ticket = session.ticket;
    let keys = Keys12 {
        ms,
        opener,
        resumed_sealer: Some(sealer),
    };
    Ok(if ticket {
        Box::new(ExpectNewSessionTicket { hs, keys })
    } else {
        Box::new(ExpectChangeCipherSpec { hs, keys })
    })
}

// ---- Certificate, CertificateStatus, ServerKeyExchange ----

struct ExpectCertificate {
    hs: Hs,
    status: bool,
    ticket: bool,
}

impl State for ExpectCertificate {
    fn id(&self) -> StateId {
        StateId::ClientExpectCertificate12
    }

    fn handle(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage,
        raw: &[u8],
    ) -> Result<Box<dyn State>, Error> {
        store_server_certificate(cx, &msg.payload)?;
        // RFC 6066 §8: after an acknowledged status_request the stapled
        // response (CertificateStatus) comes next, and the verifier sees
        // it; otherwise the chain is verified now.
        if !self.status {
            verify_server_chain(&self.hs, cx)?;
        }
        self.hs.transcript.add(raw);
        let next = ExpectServerKeyExchange {
            hs: self.hs,
            ticket: self.ticket,
        };
        Ok(if self.status {
            Box::new(ExpectCertificateStatusOrServerKeyExchange(next))
        } else {
            Box::new(next)
        })
    }
}

/// The server's chain, or its raw public key (RFC 7250 §3), which may not
/// be empty (RFC 5246 §7.4.2).
fn store_server_certificate(cx: &mut Context<'_>, payload: &HandshakePayload) -> Result<(), Error> {
    let empty = || {
        Error::peer(
            AlertDescription::DECODE_ERROR,
            "the server sent an empty Certificate message",
        )
    };
    match payload {
        HandshakePayload::Certificate12(chain) if chain.is_empty() => Err(empty()),
        HandshakePayload::Certificate12(chain) => {
            cx.info.peer_certs = chain
                .iter()
                .map(|c| CertificateDer::from(c.clone()))
                .collect();
            Ok(())
        }
        HandshakePayload::CertificateRawPublicKey12(key) if key.is_empty() => Err(empty()),
        HandshakePayload::CertificateRawPublicKey12(key) => {
            cx.info.peer_raw_public_key = Some(super::cert_types::raw_public_key(key)?);
            Ok(())
        }
        _ => Err(Error::Internal("the table let through another message")),
    }
}

/// The server's chain (with its stapled OCSP response, if any) verified
/// for its name, or its raw public key by the raw public key verifier;
/// and an ECDSA key on a curve we listed (RFC 8422 §5.3).
fn verify_server_chain(hs: &Hs, cx: &mut Context<'_>) -> Result<(), Error> {
    let config = &hs.shared.config;
    let curve = match (
        &cx.info.peer_raw_public_key,
        cx.info.peer_certs.split_first(),
    ) {
        (Some(key), _) => {
            config.server_rpk_verifier()?.verify_raw_public_key(
                key,
                Some(&hs.shared.server_name),
                config.time.now(),
            )?;
            match crate::verify::certinfo::key_algorithm(key) {
                Some(crate::verify::certinfo::KeyAlgorithm::Ecdsa(curve)) => curve,
                _ => None,
            }
        }
        (None, Some((end_entity, intermediates))) => {
            config.verifier.verify_server_cert(
                end_entity,
                intermediates,
                &hs.shared.server_name,
                cx.info.ocsp_response.as_deref().unwrap_or_default(),
                config.time.now(),
            )?;
            crate::verify::certinfo::ec_curve(end_entity)
        }
        (None, None) => return Err(Error::Internal("a chain to verify that was not stored")),
    };
    if let Some(curve) = curve {
        if config
            .key_exchange
            .find(curve, ProtocolVersion::TLSV1_2)
            .is_none()
        {
            return Err(illegal(format!(
                "the server's ECDSA key is on {curve:?}, which we did not offer"
            )));
        }
    }
    Ok(())
}

/// After an acknowledged status_request the server may send one
/// CertificateStatus before its ServerKeyExchange (RFC 6066 §8).
struct ExpectCertificateStatusOrServerKeyExchange(ExpectServerKeyExchange);

impl State for ExpectCertificateStatusOrServerKeyExchange {
    fn id(&self) -> StateId {
        StateId::ClientExpectCertificateStatusOrServerKeyExchange12
    }

    fn handle(
        self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage,
        raw: &[u8],
    ) -> Result<Box<dyn State>, Error> {
        let mut next = self.0;
        let HandshakePayload::CertificateStatus(ocsp) = &msg.payload else {
            // No response stapled after all: the chain is verified alone.
            verify_server_chain(&next.hs, cx)?;
            return Box::new(next).handle(cx, msg, raw);
        };
        cx.info.ocsp_response = Some(ocsp.clone());
        verify_server_chain(&next.hs, cx)?;
        next.hs.transcript.add(raw);
        Ok(Box::new(next))
    }
}

struct ExpectServerKeyExchange {
    hs: Hs,
    ticket: bool,
}

impl State for ExpectServerKeyExchange {
    fn id(&self) -> StateId {
        StateId::ClientExpectServerKeyExchange12
    }

    fn handle(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage,
        raw: &[u8],
    ) -> Result<Box<dyn State>, Error> {
        let HandshakePayload::ServerKeyExchange(ske) = &msg.payload else {
            return Err(Error::Internal("the table let through another message"));
        };
        verify_server_key_exchange(&self.hs, cx, ske)?;
        let group = self
            .hs
            .shared
            .config
            .key_exchange
            .find(ske.params.group, ProtocolVersion::TLSV1_2)
            .ok_or_else(|| {
                illegal(format!(
                    "the server chose {:?}, which we did not offer",
                    ske.params.group
                ))
            })?;
        cx.info.group = Some(ske.params.group);
        let kx = group.start(self.hs.shared.config.random.as_ref())?;
        let public = kx.public_key().to_vec();
        let pms = kx.complete(&ske.params.public)?;
        self.hs.transcript.add(raw);
        Ok(Box::new(ExpectCertificateRequestOrServerHelloDone(
            ExpectServerHelloDone {
                hs: self.hs,
                public,
                pms,
                request: None,
                ticket: self.ticket,
            },
        )))
    }
}

/// The ServerKeyExchange's signature: a scheme we offered that fits the
/// suite, over the randoms and the parameters (RFC 8422 §5.4).
fn verify_server_key_exchange(
    hs: &Hs,
    cx: &mut Context<'_>,
    ske: &ServerKeyExchange,
) -> Result<(), Error> {
    let scheme = ske.signed.scheme;
    let config = &hs.shared.config;
    if !config.signature_schemes().contains(&scheme) || !scheme_fits(scheme, hs.suite.sign) {
        return Err(illegal(format!(
            "the server signed its key exchange with {scheme:?}, which we did not offer for this suite"
        )));
    }
    let signed = signed_params(&hs.shared.client_random, &hs.server_random, &ske.params);
    config.verify_server_signature(
        cx.info.peer_key()?,
        scheme,
        &signed,
        &ske.signed.signature,
        ProtocolVersion::TLSV1_2,
    )?;
    cx.info.peer_signature_scheme = Some(scheme);
    Ok(())
}

// ---- CertificateRequest, ServerHelloDone, and the client's flight ----

struct ExpectCertificateRequestOrServerHelloDone(ExpectServerHelloDone);

impl State for ExpectCertificateRequestOrServerHelloDone {
    fn id(&self) -> StateId {
        StateId::ClientExpectCertificateRequestOrServerHelloDone12
    }

    fn handle(
        self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage,
        raw: &[u8],
    ) -> Result<Box<dyn State>, Error> {
        let mut next = self.0;
        let HandshakePayload::CertificateRequest12(cr) = msg.payload else {
            return Box::new(next).handle(cx, msg, raw);
        };
        next.request = Some(cr);
        next.hs.transcript.add(raw);
        Ok(Box::new(next))
    }
}

struct ExpectServerHelloDone {
    hs: Hs,
    public: Vec<u8>,
    pms: Secret,
    request: Option<CertificateRequest12>,
    ticket: bool,
}

impl State for ExpectServerHelloDone {
    fn id(&self) -> StateId {
        StateId::ClientExpectServerHelloDone12
    }

    fn handle(
        self: Box<Self>,
        cx: &mut Context<'_>,
        _msg: HandshakeMessage,
        raw: &[u8],
    ) -> Result<Box<dyn State>, Error> {
        let mut hs = self.hs;
        hs.transcript.add(raw);
        let config = hs.shared.config.clone();
        let certificate_type = cx.info.client_cert_type;
        let listed = listed_certificates(
            &config,
            self.request.as_ref(),
            hs.shared.ech,
            certificate_type,
        );
        let chosen = self.request.as_ref().and_then(|cr| {
            choose_client_cert(
                &listed,
                &cr.signature_algorithms,
                &cr.certificate_authorities,
                ProtocolVersion::TLSV1_2,
                certificate_type,
            )
        });
        if self.request.is_some() {
            cx.send(
                &mut hs.transcript,
                certificate_message(certificate_type, chosen),
            )?;
        }
        cx.send(
            &mut hs.transcript,
            HandshakePayload::ClientKeyExchange(self.public),
        )?;
        let ms = master_secret(&hs, &self.pms);
        if let Some((c, scheme)) = chosen {
            cx.info.own_cert = Some(c.clone());
            // RFC 5246 §7.4.8: the signature covers every message so far.
            let signature = c.key.sign(scheme, hs.transcript.buffer())?;
            let cv = DigitallySigned { scheme, signature };
            cx.send(&mut hs.transcript, HandshakePayload::CertificateVerify(cv))?;
        }
        hs.transcript.drop_buffer();
        let cr = hs.shared.client_random;
        cx.secret(&config.key_log, "CLIENT_RANDOM", &cr, &ms);
        let (sealer, opener) = keys(hs.suite, &ms, &cr, &hs.server_random, Role::Client)?;
        cx.out.push(Command::SendCcs);
        cx.out.push(Command::write_keys(sealer));
        let fin = tls12::finished_verify_data(
            hs.suite.hash,
            ms.as_bytes(),
            Role::Client,
            &hs.transcript.current_hash(),
        );
        cx.info.tls_unique = Some(fin.clone());
        cx.send(&mut hs.transcript, HandshakePayload::Finished(fin))?;
        // RFC 7918 §3: the server authenticated by its certificate, an
        // ECDHE exchange and an AEAD suite (all there is here); ALPN
        // negotiated, as ClientConfigBuilder::false_start says. Never
        // after a rejected ECH, whose handshake ends in ech_required
        // with nothing sent (RFC 9849 §6.1.6).
        let ech_rejected = hs.shared.ech == crate::config::EchStatus::Rejected;
        if config.false_start && cx.info.alpn.is_some() && !ech_rejected {
            cx.out.push(Command::FalseStart);
        }
        let keys = Keys12 {
            ms,
            opener,
            resumed_sealer: None,
        };
        Ok(if self.ticket {
            Box::new(ExpectNewSessionTicket { hs, keys })
        } else {
            Box::new(ExpectChangeCipherSpec { hs, keys })
        })
    }
}

/// Our credentials a CertificateRequest may get (RFC 5246 §7.4.4: of a
/// type the server lists; RFC 9849 §6.1.7: none after a rejected ECH).
fn listed_certificates(
    config: &crate::config::ClientConfig,
    request: Option<&CertificateRequest12>,
    ech: crate::config::EchStatus,
    certificate_type: CertificateType,
) -> Vec<CertifiedKey> {
    match (request, ech) {
        (_, crate::config::EchStatus::Rejected) | (None, _) => Vec::new(),
        (Some(cr), _) => config
            .client_cert_candidates(&CertificateRequestInfo {
                version: ProtocolVersion::TLSV1_2,
                signature_schemes: &cr.signature_algorithms,
                authorities: &cr.certificate_authorities,
                certificate_types: &cr.certificate_types,
                certificate_type,
            })
            .into_iter()
            .filter(|c| type_listed(c.key.kind(), &cr.certificate_types))
            .collect(),
    }
}

/// Our Certificate: the chosen credential's chain, or its raw public key
/// once negotiated (RFC 7250 §3); empty if none fits (RFC 5246 §7.4.6).
fn certificate_message(
    certificate_type: CertificateType,
    chosen: Option<(&CertifiedKey, crate::msgs::enums::SignatureScheme)>,
) -> HandshakePayload {
    match certificate_type {
        CertificateType::RAW_PUBLIC_KEY => HandshakePayload::CertificateRawPublicKey12(
            chosen
                .and_then(|(c, _)| c.raw_public_key.as_ref())
                .map(|k| k.as_ref().to_vec())
                .unwrap_or_default(),
        ),
        _ => HandshakePayload::Certificate12(
            chosen
                .map(|(c, _)| c.chain.iter().map(|d| d.as_ref().to_vec()).collect())
                .unwrap_or_default(),
        ),
    }
}

/// The master secret: extended over the session hash, which runs through
/// ClientKeyExchange (RFC 7627 §4), or over the randoms (RFC 5246 §8.1).
fn master_secret(hs: &Hs, pms: &Secret) -> Secret {
    if hs.ems {
        tls12::extended_master_secret(hs.suite.hash, pms.as_bytes(), &hs.transcript.current_hash())
    } else {
        tls12::master_secret(
            hs.suite.hash,
            pms.as_bytes(),
            &hs.shared.client_random,
            &hs.server_random,
        )
    }
}

// ---- NewSessionTicket, ChangeCipherSpec, Finished ----

/// The session's keys between the key exchange and Finished.
struct Keys12 {
    ms: Secret,
    opener: RecordOpener,
    /// A resumed session: our ChangeCipherSpec and Finished follow the
    /// server's, under these keys.
    resumed_sealer: Option<RecordSealer>,
}

/// RFC 5077 §3.3: a server that acknowledged session_ticket sends
/// NewSessionTicket before its ChangeCipherSpec.
struct ExpectNewSessionTicket {
    hs: Hs,
    keys: Keys12,
}

impl State for ExpectNewSessionTicket {
    fn id(&self) -> StateId {
        StateId::ClientExpectNewSessionTicket12
    }

    fn handle(
        mut self: Box<Self>,
        _cx: &mut Context<'_>,
        msg: HandshakeMessage,
        raw: &[u8],
    ) -> Result<Box<dyn State>, Error> {
        if let HandshakePayload::NewSessionTicket12(t) = &msg.payload {
            if !t.ticket.is_empty() {
                self.hs.new_ticket = Some(t.ticket.clone());
            }
        }
        self.hs.transcript.add(raw);
        Ok(Box::new(ExpectChangeCipherSpec {
            hs: self.hs,
            keys: self.keys,
        }))
    }
}

struct ExpectChangeCipherSpec {
    hs: Hs,
    keys: Keys12,
}

impl State for ExpectChangeCipherSpec {
    fn id(&self) -> StateId {
        StateId::ClientExpectChangeCipherSpec12
    }

    fn handle(
        self: Box<Self>,
        _cx: &mut Context<'_>,
        _msg: HandshakeMessage,
        _raw: &[u8],
    ) -> Result<Box<dyn State>, Error> {
        Err(Error::Internal("the table let through a message"))
    }

    fn handle_ccs(self: Box<Self>, cx: &mut Context<'_>) -> Result<Box<dyn State>, Error> {
        let Keys12 {
            ms,
            opener,
            resumed_sealer,
        } = self.keys;
        cx.out.push(Command::read_keys(opener));
        Ok(Box::new(ExpectFinished {
            hs: self.hs,
            ms,
            resumed_sealer,
        }))
    }
}

struct ExpectFinished {
    hs: Hs,
    ms: Secret,
    resumed_sealer: Option<RecordSealer>,
}

impl State for ExpectFinished {
    fn id(&self) -> StateId {
        StateId::ClientExpectFinished12
    }

    fn handle(
        self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage,
        raw: &[u8],
    ) -> Result<Box<dyn State>, Error> {
        let HandshakePayload::Finished(verify_data) = &msg.payload else {
            return Err(Error::Internal("the table let through another message"));
        };
        let mut hs = self.hs;
        let hash = hs.suite.hash;
        let expected = tls12::finished_verify_data(
            hash,
            self.ms.as_bytes(),
            Role::Server,
            &hs.transcript.current_hash(),
        );
        check_finished(&expected, verify_data, "server")?;
        // RFC 9849 §6.1.6: an ECH offer met a TLS 1.2 server, which
        // rejected it: the public name authenticated, no retry configs.
        if hs.shared.ech == crate::config::EchStatus::Rejected {
            return Err(Error::EchRejected {
                public_name: hs.shared.sni_text().unwrap_or_default(),
                retry_configs: None,
            });
        }
        if let Some(sealer) = self.resumed_sealer {
            // An abbreviated handshake: the server's Finished came first.
            cx.info.tls_unique = Some(verify_data.clone());
            hs.transcript.add(raw);
            cx.out.push(Command::SendCcs);
            cx.out.push(Command::write_keys(sealer));
            let fin = tls12::finished_verify_data(
                hash,
                self.ms.as_bytes(),
                Role::Client,
                &hs.transcript.current_hash(),
            );
            cx.send(&mut hs.transcript, HandshakePayload::Finished(fin))?;
        }
        keep_session(&hs, cx, &self.ms);
        cx.info.exporter = Some(Exporter::Tls12 {
            hash,
            master_secret: self.ms,
            client_random: hs.shared.client_random,
            server_random: hs.server_random,
        });
        cx.out.push(Command::Done);
        Ok(Box::new(Connected12::new(Role::Client)))
    }
}

/// Files the session under its ID or ticket for resumption.
fn keep_session(hs: &Hs, cx: &Context<'_>, ms: &Secret) {
    let Some(store) = &hs.shared.config.session_store else {
        return;
    };
    if hs.session_id.is_empty() && hs.new_ticket.is_none() {
        return;
    }
    store.put_tls12(
        &hs.shared.cache_key,
        Tls12Session {
            suite: hs.suite.suite,
            session_id: hs.session_id.clone(),
            ticket: hs.new_ticket.clone(),
            master_secret: ms.clone(),
            extended_master_secret: hs.ems,
            created: hs.shared.config.time.now().as_secs(),
            peer_certs: cx.info.peer_certs.clone(),
            peer_raw_public_key: cx.info.peer_raw_public_key.clone(),
            group: cx.info.group,
        },
    );
}

/// Whether a key of `kind` has its ClientCertificateType among `types`:
/// rsa_sign (1) for RSA, ecdsa_sign (64) for ECDSA and, by RFC 8422 §5.5,
/// for EdDSA (RFC 5246 §7.4.4).
fn type_listed(kind: KeyKind, types: &[u8]) -> bool {
    const RSA_SIGN: u8 = 1;
    const ECDSA_SIGN: u8 = 64;
    match kind {
        KeyKind::Rsa => types.contains(&RSA_SIGN),
        KeyKind::Ecdsa | KeyKind::Ed25519 => types.contains(&ECDSA_SIGN),
    }
}
