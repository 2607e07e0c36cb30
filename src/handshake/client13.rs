//! The TLS 1.3 client after ServerHello (RFC 8446 §4.1.4, §4.3, §4.4).

use super::client::{ClientShared, ExpectServerHello};
use super::traffic13::Traffic13;
use super::transcript::Transcript;
use super::{
    check_finished, check_response_extensions, log_secret, tls13_ccs, tls13_opener, tls13_sealer,
    tls13_signed_content, unexpected, verify_tls13_certificate_verify, Command, Context, Exporter,
    State,
};
use crate::config::CertifiedKey;
use crate::crypto::sign::allowed_in_tls13;
use crate::crypto::{Secret, Tls13Suite};
use crate::error::Error;
use crate::key_schedule::tls13::{
    finished_verify_data, resumption_psk, EarlySecret, HandshakeSecret,
};
use crate::msgs::enums::{AlertDescription, ExtensionType, ProtocolVersion, SignatureScheme};
use crate::msgs::extensions::{Extension, KeyShareEntry};
use crate::msgs::handshake::{
    Certificate13, CertificateEntry, CertificateRequest13, DigitallySigned, HandshakeMessage,
    HandshakePayload, ServerHello,
};
use crate::session::Tls13Ticket;
use crate::verify::{certinfo, wrap_name};
use pki_types::CertificateDer;

fn illegal(reason: impl Into<String>) -> Error {
    Error::peer(AlertDescription::ILLEGAL_PARAMETER, reason)
}

fn check_session_id(shared: &ClientShared, sh: &ServerHello) -> Result<(), Error> {
    // RFC 8446 §4.1.3: legacy_session_id_echo must match.
    if sh.legacy_session_id != shared.session_id {
        return Err(illegal("the server did not echo our legacy_session_id"));
    }
    Ok(())
}

/// A HelloRetryRequest: answer with a second ClientHello (RFC 8446 §4.1.4).
pub(super) fn handle_hello_retry_request(
    mut st: ExpectServerHello,
    cx: &mut Context<'_>,
    hrr: &ServerHello,
    suite: &'static Tls13Suite,
    raw: &[u8],
) -> Result<Box<dyn State>, Error> {
    if st.retried_suite.is_some() {
        return Err(Error::peer(
            AlertDescription::UNEXPECTED_MESSAGE,
            "a second HelloRetryRequest",
        ));
    }
    check_session_id(&st.shared, hrr)?;
    let allowed = [
        ExtensionType::KEY_SHARE,
        ExtensionType::COOKIE,
        ExtensionType::SUPPORTED_VERSIONS,
    ];
    for e in &hrr.extensions {
        if !allowed.contains(&e.typ()) {
            check_response_extensions(
                std::slice::from_ref(e),
                &st.shared.offered,
                "HelloRetryRequest",
            )?;
            return Err(illegal(format!(
                "{:?} is not allowed in HelloRetryRequest",
                e.typ()
            )));
        }
    }
    let group = match hrr.extension(ExtensionType::KEY_SHARE) {
        Some(Extension::KeyShareHelloRetryRequest(g)) => Some(*g),
        _ => None,
    };
    let cookie = match hrr.extension(ExtensionType::COOKIE) {
        Some(Extension::Cookie(c)) => Some(c.clone()),
        _ => None,
    };
    // RFC 8446 §4.1.4: a HelloRetryRequest that changes nothing is illegal.
    if group.is_none() && cookie.is_none() {
        return Err(illegal("a HelloRetryRequest that asks for no change"));
    }
    let groups = st.shared.config.kx_groups();
    let new_share = match group {
        Some(g) => {
            if st.key_shares.iter().any(|k| k.group() == g) {
                return Err(illegal(format!(
                    "the HelloRetryRequest asks for {g:?}, for which we already sent a key share"
                )));
            }
            let kx = groups.iter().find(|k| k.name() == g).ok_or_else(|| {
                illegal(format!(
                    "the HelloRetryRequest asks for {g:?}, which we did not offer"
                ))
            })?;
            Some(kx.start()?)
        }
        None => None,
    };

    st.transcript.start_hash(suite.hash, false);
    st.transcript.rollup_for_hrr(suite.hash);
    st.transcript.add(raw);

    // The second ClientHello: the same, with the new key share, the cookie,
    // and no early_data (RFC 8446 §4.1.2).
    let mut hello = st.hello.clone();
    hello
        .extensions
        .retain(|e| e.typ() != ExtensionType::EARLY_DATA);
    if let Some(kx) = &new_share {
        for e in hello.extensions.iter_mut() {
            if let Extension::KeyShareClient(shares) = e {
                *shares = vec![KeyShareEntry {
                    group: kx.group(),
                    key_exchange: kx.public_key().to_vec(),
                }];
            }
        }
    }
    if let Some(c) = cookie {
        // After signature_algorithms (as RFC 8448 §5 has it), and always
        // before pre_shared_key.
        let at = hello
            .extensions
            .iter()
            .position(|e| {
                matches!(
                    e.typ(),
                    ExtensionType::PSK_KEY_EXCHANGE_MODES
                        | ExtensionType::RECORD_SIZE_LIMIT
                        | ExtensionType::PADDING
                        | ExtensionType::PRE_SHARED_KEY
                )
            })
            .unwrap_or(hello.extensions.len());
        hello.extensions.insert(at, Extension::Cookie(c));
        st.shared.offered.push(ExtensionType::COOKIE);
    } // A ticket whose hash differs from the suite's is dropped; otherwise its
      // binder now covers message_hash and the HelloRetryRequest too.
    if st
        .ticket
        .as_ref()
        .is_some_and(|t| super::client::ticket_hash(t) != suite.hash)
    {
        st.ticket = None;
        hello
            .extensions
            .retain(|e| e.typ() != ExtensionType::PRE_SHARED_KEY);
    }
    let mut hello = super::shaped_client_hello(&st.shared.config.shaper, hello)?;
    if let Some(t) = &st.ticket {
        super::client::fill_binder(&mut hello, t, &st.transcript);
    }
    // RFC 8446 §4.1.2: no early data after a HelloRetryRequest; the second
    // hello goes out unprotected.
    if st.early_offered {
        st.early_offered = false;
        cx.out.push(Command::ClearWriteKeys);
        cx.out.push(Command::EarlySend(None));
        cx.out.push(Command::EarlyDataResult(false));
    }
    st.shared.send_ccs_once(cx);
    let msg = HandshakeMessage::new(HandshakePayload::ClientHello(hello));
    st.transcript.add(cx.send(&msg));
    cx.info.hello_retry = true;
    if let Some(kx) = new_share {
        st.key_shares = vec![kx];
    }
    if let HandshakePayload::ClientHello(hello) = msg.payload {
        st.hello = hello;
    }
    st.retried_suite = Some(suite.suite);
    Ok(Box::new(st))
}

/// The ServerHello: derive the handshake secrets (RFC 8446 §7.1).
pub(super) fn handle_server_hello(
    mut st: ExpectServerHello,
    cx: &mut Context<'_>,
    sh: &ServerHello,
    suite: &'static Tls13Suite,
    raw: &[u8],
) -> Result<Box<dyn State>, Error> {
    check_session_id(&st.shared, sh)?;
    if st.retried_suite.is_some_and(|s| s != suite.suite) {
        return Err(illegal(
            "the ServerHello's suite differs from the HelloRetryRequest's",
        ));
    }
    let allowed = [
        ExtensionType::KEY_SHARE,
        ExtensionType::SUPPORTED_VERSIONS,
        ExtensionType::PRE_SHARED_KEY,
    ];
    for e in &sh.extensions {
        check_response_extensions(std::slice::from_ref(e), &st.shared.offered, "ServerHello")?;
        if !allowed.contains(&e.typ()) {
            return Err(illegal(format!(
                "{:?} is not allowed in a TLS 1.3 ServerHello",
                e.typ()
            )));
        }
    }
    let psk = match sh.extension(ExtensionType::PRE_SHARED_KEY) {
        Some(Extension::PreSharedKeyServer(index)) => {
            let ticket = st
                .ticket
                .take()
                .filter(|_| *index == 0)
                .ok_or_else(|| illegal("the server selected a PSK we did not offer"))?;
            if super::client::ticket_hash(&ticket) != suite.hash {
                return Err(illegal("the server resumed with a suite of another hash"));
            }
            Some(ticket)
        }
        _ => None,
    };
    // Without a key share, the server chose psk_ke: allowed only if we
    // offered it (RFC 8446 §4.2.9).
    let share = match sh.extension(ExtensionType::KEY_SHARE) {
        Some(Extension::KeyShareServer(s)) => Some(s),
        _ if psk.is_some() && st.shared.config.psk_ke => None,
        _ => {
            return Err(Error::peer(
                AlertDescription::MISSING_EXTENSION,
                "the ServerHello has no key_share",
            ))
        }
    };
    let shared_secret = match share {
        Some(share) => {
            let pos = st
                .key_shares
                .iter()
                .position(|k| k.group() == share.group)
                .ok_or_else(|| {
                    illegal(format!(
                        "the server's key share is for {:?}, which we did not send",
                        share.group
                    ))
                })?;
            let kx = st.key_shares.swap_remove(pos);
            Some(kx.complete(&share.key_exchange)?)
        }
        None => None,
    };

    if st.retried_suite.is_none() {
        st.transcript.start_hash(suite.hash, false);
    }
    st.transcript.add(raw);
    let hello_hash = st.transcript.current_hash();
    let early = EarlySecret::new(suite.hash, psk.as_ref().map(|t| t.psk.as_bytes()));
    let hs = early.into_handshake(shared_secret.as_ref().map(|s| s.as_bytes()));
    let (c_hs, s_hs) = hs.traffic_secrets(&hello_hash);
    let log = &st.shared.config.key_log;
    log_secret(
        cx,
        log,
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
        &st.shared.client_random,
        &c_hs,
    );
    log_secret(
        cx,
        log,
        "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        &st.shared.client_random,
        &s_hs,
    );
    cx.out.push(Command::ReadKeys(tls13_opener(suite, &s_hs)?));
    // With 0-RTT under way, early keys stay until the server has answered.
    if !st.early_offered {
        // RFC 8446 D.4: in compatibility mode the ChangeCipherSpec goes
        // before anything protected, so also before a fatal alert that
        // interrupts the server's flight.
        st.shared.send_ccs_once(cx);
        cx.out.push(Command::WriteKeys(tls13_sealer(suite, &c_hs)?));
    }
    cx.info.suite = Some(crate::crypto::SupportedSuite::Tls13(suite));
    cx.info.group = share.map(|s| s.group);
    if let Some(t) = &psk {
        cx.info.resumed = true;
        cx.info.peer_certs = t.peer_certs.clone();
    }

    Ok(Box::new(ExpectEncryptedExtensions {
        hs: Handshake {
            shared: st.shared,
            suite,
            transcript: st.transcript,
            secret: hs,
            c_hs,
            s_hs,
            cert_request: None,
            resumed: psk.is_some(),
            early_offered: st.early_offered,
            early_accepted: false,
        },
    }))
}

/// What the client carries from ServerHello to Finished.
struct Handshake {
    shared: ClientShared,
    suite: &'static Tls13Suite,
    transcript: Transcript,
    secret: HandshakeSecret,
    c_hs: Secret,
    s_hs: Secret,
    cert_request: Option<CertificateRequest13>,
    resumed: bool,
    early_offered: bool,
    early_accepted: bool,
}

struct ExpectEncryptedExtensions {
    hs: Handshake,
}

impl State for ExpectEncryptedExtensions {
    fn handle(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage,
        raw: &[u8],
    ) -> Result<Box<dyn State>, Error> {
        let HandshakePayload::EncryptedExtensions(exts) = &msg.payload else {
            return Err(unexpected(&msg, "EncryptedExtensions"));
        };
        check_response_extensions(exts, &self.hs.shared.offered, "EncryptedExtensions")?;
        for e in exts {
            match e {
                Extension::Alpn(protocols) => {
                    let chosen = protocols.first().cloned().unwrap_or_default();
                    if !self.hs.shared.config.alpn.contains(&chosen) {
                        return Err(illegal(
                            "the server chose an ALPN protocol we did not offer",
                        ));
                    }
                    cx.info.alpn = Some(chosen);
                }
                Extension::RecordSizeLimit(limit) => cx.info.peer_record_size_limit = Some(*limit),
                Extension::ServerNameAck | Extension::SupportedGroups(_) => {}
                // RFC 8446 §4.2.10: only for early data offered with the
                // PSK that the server selected.
                Extension::EarlyData if self.hs.early_offered && self.hs.resumed => {
                    self.hs.early_accepted = true;
                }
                Extension::EarlyData => {
                    return Err(illegal("the server accepted early data we did not send"))
                }
                other => {
                    return Err(illegal(format!(
                        "{:?} is not allowed in EncryptedExtensions",
                        other.typ()
                    )))
                }
            }
        }
        if let pki_types::ServerName::DnsName(n) = &self.hs.shared.server_name {
            cx.info.sni = Some(n.as_ref().to_string());
        }
        self.hs.transcript.add(raw);
        if self.hs.early_offered {
            cx.out.push(Command::EarlySend(None));
            cx.out
                .push(Command::EarlyDataResult(self.hs.early_accepted));
            if !self.hs.early_accepted {
                cx.out.push(Command::WriteKeys(tls13_sealer(
                    self.hs.suite,
                    &self.hs.c_hs,
                )?));
            }
        }
        // A resumed handshake has no certificates (RFC 8446 §2.2).
        if self.hs.resumed {
            return Ok(Box::new(ExpectFinished { hs: self.hs }));
        }
        Ok(Box::new(ExpectCertificate { hs: self.hs }))
    }

    fn handle_ccs(self: Box<Self>, _cx: &mut Context<'_>) -> Result<Box<dyn State>, Error> {
        tls13_ccs(self)
    }

    fn version(&self) -> ProtocolVersion {
        ProtocolVersion::TLSV1_3
    }
}

struct ExpectCertificate {
    hs: Handshake,
}

impl State for ExpectCertificate {
    fn handle(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage,
        raw: &[u8],
    ) -> Result<Box<dyn State>, Error> {
        match &msg.payload {
            HandshakePayload::CertificateRequest13(cr) if self.hs.cert_request.is_none() => {
                // RFC 8446 §4.3.2: empty context during the handshake, and
                // signature_algorithms present.
                if !cr.context.is_empty() {
                    return Err(illegal("a CertificateRequest with a non-empty context"));
                }
                if !cr
                    .extensions
                    .iter()
                    .any(|e| matches!(e, Extension::SignatureAlgorithms(_)))
                {
                    return Err(Error::peer(
                        AlertDescription::MISSING_EXTENSION,
                        "a CertificateRequest without signature_algorithms",
                    ));
                }
                self.hs.cert_request = Some(cr.clone());
                self.hs.transcript.add(raw);
                Ok(self)
            }
            HandshakePayload::Certificate13(cert) => {
                if !cert.context.is_empty() {
                    return Err(illegal("the server's Certificate has a non-empty context"));
                }
                let Some((ee, rest)) = cert.entries.split_first() else {
                    // RFC 8446 §4.4.2.4: an empty server Certificate.
                    return Err(Error::peer(
                        AlertDescription::DECODE_ERROR,
                        "the server sent an empty Certificate message",
                    ));
                };
                for entry in &cert.entries {
                    for e in &entry.extensions {
                        if !self.hs.shared.offered.contains(&e.typ()) {
                            return Err(Error::peer(
                                AlertDescription::UNSUPPORTED_EXTENSION,
                                format!(
                                    "{:?} in a CertificateEntry, which we did not ask for",
                                    e.typ()
                                ),
                            ));
                        }
                    }
                }
                let ocsp = ee
                    .extensions
                    .iter()
                    .find_map(|e| match e {
                        Extension::CertificateStatus(o) => Some(o.as_slice()),
                        _ => None,
                    })
                    .unwrap_or(&[]);
                let end_entity = CertificateDer::from(ee.cert_data.clone());
                let intermediates: Vec<CertificateDer<'static>> = rest
                    .iter()
                    .map(|e| CertificateDer::from(e.cert_data.clone()))
                    .collect();
                let config = &self.hs.shared.config;
                config.verifier.verify_server_cert(
                    &end_entity,
                    &intermediates,
                    &self.hs.shared.server_name,
                    ocsp,
                    config.time.now(),
                )?;
                cx.info.peer_certs = std::iter::once(end_entity).chain(intermediates).collect();
                cx.info.ocsp_response = Some(ocsp.to_vec()).filter(|o| !o.is_empty());
                cx.info.sct_list = ee.extensions.iter().find_map(|e| match e {
                    Extension::SignedCertificateTimestamps(l) => Some(l.clone()),
                    _ => None,
                });
                self.hs.transcript.add(raw);
                Ok(Box::new(ExpectCertificateVerify { hs: self.hs }))
            }
            _ => Err(unexpected(&msg, "Certificate or CertificateRequest")),
        }
    }

    fn handle_ccs(self: Box<Self>, _cx: &mut Context<'_>) -> Result<Box<dyn State>, Error> {
        tls13_ccs(self)
    }

    fn version(&self) -> ProtocolVersion {
        ProtocolVersion::TLSV1_3
    }
}

struct ExpectCertificateVerify {
    hs: Handshake,
}

impl State for ExpectCertificateVerify {
    fn handle(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage,
        raw: &[u8],
    ) -> Result<Box<dyn State>, Error> {
        let HandshakePayload::CertificateVerify(cv) = &msg.payload else {
            return Err(unexpected(&msg, "CertificateVerify"));
        };
        let offered = self.hs.shared.config.verifier.supported_schemes();
        if !offered.contains(&cv.scheme) || !allowed_in_tls13(cv.scheme) {
            return Err(illegal(format!(
                "the server signed with {:?}, which we did not offer",
                cv.scheme
            )));
        }
        let verifier = &self.hs.shared.config.verifier;
        verify_tls13_certificate_verify(
            cx,
            cv,
            true,
            &self.hs.transcript.current_hash(),
            &|cert, scheme, message, signature| {
                verifier.verify_handshake_signature(cert, scheme, message, signature, true)
            },
        )?;
        self.hs.transcript.add(raw);
        Ok(Box::new(ExpectFinished { hs: self.hs }))
    }

    fn handle_ccs(self: Box<Self>, _cx: &mut Context<'_>) -> Result<Box<dyn State>, Error> {
        tls13_ccs(self)
    }

    fn version(&self) -> ProtocolVersion {
        ProtocolVersion::TLSV1_3
    }
}

/// Picks our certificate for a CertificateRequest: one whose key can sign
/// with an offered scheme, preferring one whose chain was issued by an
/// authority the server named. The names guide the choice, they do not
/// forbid one (RFC 8446 §4.2.4): the server decides.
pub(crate) fn choose_client_cert<'a>(
    certs: &'a [CertifiedKey],
    schemes: &[SignatureScheme],
    authorities: &[Vec<u8>],
    tls13: bool,
) -> Option<(&'a CertifiedKey, SignatureScheme)> {
    let usable = || {
        certs
            .iter()
            .filter_map(|c| c.key.choose_scheme(schemes, tls13).map(|s| (c, s)))
    };
    let named = usable().find(|(c, _)| {
        c.chain.iter().any(|cert| {
            certinfo::issuer_and_subject(cert.as_ref())
                .is_some_and(|(issuer, _)| authorities.contains(&wrap_name(issuer)))
        })
    });
    named.or_else(|| usable().next())
}

struct ExpectFinished {
    hs: Handshake,
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
        let hash = hs.suite.hash;
        let expected =
            finished_verify_data(hash, hs.s_hs.as_bytes(), &hs.transcript.current_hash());
        check_finished(&expected, verify_data, "server")?;
        hs.transcript.add(raw);

        let master = hs.secret.into_master();
        let handshake_hash = hs.transcript.current_hash();
        let (c_ap, s_ap, exporter) = master.application_secrets(&handshake_hash);
        let cr = &hs.shared.client_random;
        let log = &hs.shared.config.key_log;
        log_secret(cx, log, "CLIENT_TRAFFIC_SECRET_0", cr, &c_ap);
        log_secret(cx, log, "SERVER_TRAFFIC_SECRET_0", cr, &s_ap);
        log_secret(cx, log, "EXPORTER_SECRET", cr, &exporter);
        cx.out
            .push(Command::ReadKeys(tls13_opener(hs.suite, &s_ap)?));

        hs.shared.send_ccs_once(cx);
        // RFC 8446 §4.5: accepted early data ends with EndOfEarlyData, under
        // the early keys; then the handshake keys take over.
        if hs.early_accepted {
            let raw = cx.send(&HandshakeMessage::new(HandshakePayload::EndOfEarlyData));
            hs.transcript.add(raw);
            cx.out
                .push(Command::WriteKeys(tls13_sealer(hs.suite, &hs.c_hs)?));
        }
        if let Some(req) = &hs.cert_request {
            let schemes: Vec<SignatureScheme> = req
                .extensions
                .iter()
                .find_map(|e| match e {
                    Extension::SignatureAlgorithms(s) => Some(s.clone()),
                    _ => None,
                })
                .unwrap_or_default();
            let authorities: Vec<Vec<u8>> = req
                .extensions
                .iter()
                .find_map(|e| match e {
                    Extension::CertificateAuthorities(a) => Some(a.clone()),
                    _ => None,
                })
                .unwrap_or_default();
            let chosen =
                choose_client_cert(&hs.shared.config.client_certs, &schemes, &authorities, true);
            let entries = chosen
                .map(|(c, _)| {
                    c.chain
                        .iter()
                        .map(|der| CertificateEntry {
                            cert_data: der.as_ref().to_vec(),
                            extensions: Vec::new(),
                        })
                        .collect()
                })
                .unwrap_or_default();
            let raw = cx.send(&HandshakeMessage::new(HandshakePayload::Certificate13(
                Certificate13 {
                    context: req.context.clone(),
                    entries,
                },
            )));
            hs.transcript.add(raw);
            if let Some((c, scheme)) = chosen {
                let content = tls13_signed_content(false, &hs.transcript.current_hash());
                let signature = c.key.sign(scheme, &content)?;
                let raw = cx.send(&HandshakeMessage::new(HandshakePayload::CertificateVerify(
                    DigitallySigned { scheme, signature },
                )));
                hs.transcript.add(raw);
            }
        }
        let fin = finished_verify_data(hash, hs.c_hs.as_bytes(), &hs.transcript.current_hash());
        let raw = cx.send(&HandshakeMessage::new(HandshakePayload::Finished(
            fin.to_vec(),
        )));
        hs.transcript.add(raw);
        cx.out
            .push(Command::WriteKeys(tls13_sealer(hs.suite, &c_ap)?));
        let resumption = master.resumption_master_secret(&hs.transcript.current_hash());
        cx.info.exporter = Some(Exporter::Tls13 {
            hash,
            secret: exporter,
        });
        cx.out.push(Command::Done);
        Ok(Box::new(Connected {
            traffic: Traffic13::new(hs.suite, c_ap, s_ap),
            resumption_master_secret: resumption,
            config: hs.shared.config.clone(),
            cache_key: hs.shared.cache_key.clone(),
        }))
    }

    fn handle_ccs(self: Box<Self>, _cx: &mut Context<'_>) -> Result<Box<dyn State>, Error> {
        tls13_ccs(self)
    }

    fn version(&self) -> ProtocolVersion {
        ProtocolVersion::TLSV1_3
    }
}

/// A connected TLS 1.3 client: tickets and key updates.
struct Connected {
    traffic: Traffic13,
    resumption_master_secret: Secret,
    config: std::sync::Arc<crate::config::ClientConfig>,
    cache_key: String,
}

impl State for Connected {
    fn handle(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage,
        _raw: &[u8],
    ) -> Result<Box<dyn State>, Error> {
        match &msg.payload {
            HandshakePayload::NewSessionTicket13(t) => {
                // RFC 8446 §4.6.1: a lifetime over seven days is illegal.
                if t.lifetime > 604_800 {
                    return Err(illegal("a ticket lifetime over seven days"));
                }
                if let Some(store) = &self.config.session_store {
                    let suite = self.traffic.suite;
                    let psk = resumption_psk(
                        suite.hash,
                        self.resumption_master_secret.as_bytes(),
                        &t.nonce,
                    );
                    let max_early_data = t
                        .extensions
                        .iter()
                        .find_map(|e| match e {
                            Extension::EarlyDataMax(n) => Some(*n),
                            _ => None,
                        })
                        .unwrap_or(0);
                    store.put_tls13(
                        &self.cache_key,
                        Tls13Ticket {
                            suite: suite.suite,
                            ticket: t.ticket.clone(),
                            psk,
                            age_add: t.age_add,
                            lifetime: t.lifetime,
                            received_ms: self.config.time.now_ms(),
                            max_early_data,
                            alpn: cx.info.alpn.clone(),
                            peer_certs: cx.info.peer_certs.clone(),
                        },
                    );
                }
                Ok(self)
            }
            HandshakePayload::KeyUpdate(req) => {
                self.traffic.received_update(cx, *req)?;
                Ok(self)
            }
            _ => Err(unexpected(&msg, "NewSessionTicket or KeyUpdate")),
        }
    }

    connected13_methods!();
}
