//! The TLS 1.3 client after its first ClientHello (RFC 8446 §4.1.3,
//! §4.1.4, §4.3, §4.4, §4.6.1), a step per message.

use super::cert_compression;
use super::cert_types;
use super::client_common::{
    choose_client_cert, chosen_suite, fill_binders, psk_extension, reverify_session,
    select_version, ClientShared, HelloSent, OfferedPsk, PskOrigin,
};
use super::common::{check_finished, check_response_extensions, illegal, Exporter};
use super::ech_client;
use super::tls13::{connected13_methods, opener, sealer, verify_certificate_verify, Traffic13};
use super::transcript::Transcript;
use super::{Command, Context, State, StateId};
use crate::config::CertificateRequestInfo;
use crate::config::{EarlyDataReason, EchStatus};
use crate::crypto::sign::allowed_in_tls13;
use crate::crypto::{ActiveKeyExchange, Secret, SupportedSuite, Tls13Suite};
use crate::error::{EchProblem, Error, PskProblem};
use crate::key_schedule::tls13::{
    finished_verify_data, resumption_psk, EarlySecret, HandshakeSecret,
};
use crate::msgs::ech::decode_config_list;
use crate::msgs::enums::{
    AlertDescription, CertificateType, ExtensionType, NamedGroup, ProtocolVersion,
};
use crate::msgs::extensions::{Extension, KeyShareEntry};
use crate::msgs::handshake::{
    tls13_signed_content, Certificate13, CertificateEntry, CertificateRequest13, DigitallySigned,
    HandshakeMessage, HandshakePayload, ServerHello,
};
use crate::msgs::Role;
use crate::session::{SessionKey, Tls13Ticket};
use crate::verify::SubjectPublicKeyInfoDer;
use pki_types::CertificateDer;

fn check_session_id(shared: &ClientShared, sh: &ServerHello) -> Result<(), Error> {
    // RFC 8446 §4.1.3: legacy_session_id_echo must match.
    if sh.legacy_session_id != shared.session_id {
        return Err(illegal("the server did not echo our legacy_session_id"));
    }
    Ok(())
}

// ---- HelloRetryRequest (RFC 8446 §4.1.4) ----

/// A HelloRetryRequest: answer with a second ClientHello.
pub(super) fn handle_hello_retry_request(
    mut st: HelloSent,
    cx: &mut Context<'_>,
    hrr: &ServerHello,
    suite: &'static Tls13Suite,
    raw: &[u8],
) -> Result<Box<dyn State>, Error> {
    check_session_id(&st.shared, hrr)?;
    let (group, cookie) = read_hello_retry_request(&st, hrr)?;
    let new_share = match group {
        Some(g) => Some(retry_key_share(&st, g)?),
        None => None,
    };
    // RFC 8446 §4.4.1: ClientHello1 becomes message_hash.
    st.transcript.start_hash(suite.hash, false);
    st.transcript.rollup_for_hrr(suite.hash);
    st.transcript.add(raw);
    let hello = second_client_hello(&mut st, suite, new_share.as_deref(), cookie);
    // RFC 8446 §4.1.2: no early data after a HelloRetryRequest; the second
    // hello goes out unprotected.
    if st.early_offered {
        st.early_offered = false;
        cx.info.early_data_reason = Some(EarlyDataReason::HelloRetryRequest);
        cx.out.push(Command::ClearWriteKeys);
        cx.out.push(Command::EarlySend(None));
        cx.out.push(Command::EarlyDataResult(false));
    }
    let HandshakePayload::ClientHello(mut hello) =
        cx.shape(HandshakePayload::ClientHello(hello))?
    else {
        return Err(Error::Internal("a ClientHello that is not one"));
    };
    fill_binders(&mut hello, &st.psks, &st.transcript);
    st.shared.send_ccs_once(cx);
    match st.ech.as_deref_mut() {
        // RFC 9849 §6.1.5: ClientHelloInner2 in the transcript, sealed in
        // a second ClientHelloOuter on the wire.
        Some(offer) => {
            let outer = ech_client::second_outer(offer, &hello)?;
            let inner_message = ech_client::inner_message(&hello);
            cx.trace_client_hello_inner(&inner_message, true);
            cx.send_other(
                &mut st.transcript,
                &inner_message,
                HandshakePayload::ClientHello(outer),
            )?;
            st.hello = hello;
        }
        None => {
            if let HandshakePayload::ClientHello(h) =
                cx.send_as_is(&mut st.transcript, HandshakePayload::ClientHello(hello))
            {
                st.hello = h;
            }
        }
    }
    cx.info.hello_retry = true;
    if let Some(kx) = new_share {
        st.key_shares = vec![kx];
    }
    Ok(Box::new(ExpectServerHelloAfterRetry {
        sent: st,
        suite: suite.suite,
    }))
}

/// The group and the cookie a HelloRetryRequest asks for; it carries only
/// key_share, cookie and supported_versions, and must change something
/// (RFC 8446 §4.1.4).
fn read_hello_retry_request(
    st: &HelloSent,
    hrr: &ServerHello,
) -> Result<(Option<NamedGroup>, Option<Vec<u8>>), Error> {
    let allowed = [
        ExtensionType::KEY_SHARE,
        ExtensionType::COOKIE,
        ExtensionType::SUPPORTED_VERSIONS,
        ExtensionType::ENCRYPTED_CLIENT_HELLO,
    ];
    for e in &hrr.extensions {
        // RFC 9849 §6.1.4, §6.2.1: an ECH confirmation (or, to a GREASE or
        // rejected offer, its look-alike) is 8 bytes; a client that did not
        // offer ECH refuses it as unsolicited.
        if let Extension::EncryptedClientHello(c) = e {
            check_response_extensions(
                std::slice::from_ref(e),
                &st.shared.offered,
                "HelloRetryRequest",
            )?;
            if c.len() != 8 {
                return Err(Error::BadEch(EchProblem::ConfirmationLength(c.len())));
            }
        }
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
    if group.is_none() && cookie.is_none() {
        return Err(illegal("a HelloRetryRequest that asks for no change"));
    }
    Ok((group, cookie))
}

/// A key share for the group a HelloRetryRequest asks for: one we offered
/// in supported_groups but sent no share for (RFC 8446 §4.1.4).
fn retry_key_share(st: &HelloSent, g: NamedGroup) -> Result<Box<dyn ActiveKeyExchange>, Error> {
    if st.key_shares.iter().any(|k| k.group() == g) {
        return Err(illegal(format!(
            "the HelloRetryRequest asks for {g:?}, for which we already sent a key share"
        )));
    }
    let group = st
        .shared
        .config
        .key_exchange
        .find(g, ProtocolVersion::TLSV1_3)
        .ok_or_else(|| {
            illegal(format!(
                "the HelloRetryRequest asks for {g:?}, which we did not offer"
            ))
        })?;
    group.start(st.shared.config.random.as_ref())
}

/// The second ClientHello: the first with the new key share, the cookie,
/// and no early_data (RFC 8446 §4.1.2). The PSKs whose hash differs from
/// the suite's are dropped (RFC 9846 §4.2.2 allows it: they could not be
/// selected).
fn second_client_hello(
    st: &mut HelloSent,
    suite: &Tls13Suite,
    new_share: Option<&dyn ActiveKeyExchange>,
    cookie: Option<Vec<u8>>,
) -> crate::msgs::handshake::ClientHello {
    let mut hello = st.hello.clone();
    hello
        .extensions
        .retain(|e| e.typ() != ExtensionType::EARLY_DATA);
    if let Some(kx) = new_share {
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
    }
    if st.psks.iter().any(|p| p.wire.hash != suite.hash) {
        st.psks.retain(|p| p.wire.hash == suite.hash);
        hello
            .extensions
            .retain(|e| e.typ() != ExtensionType::PRE_SHARED_KEY);
        if !st.psks.is_empty() {
            // Still last (RFC 9846 §4.3.11).
            hello.extensions.push(psk_extension(&st.psks));
        }
    }
    hello
}

/// After a HelloRetryRequest: the ServerHello, TLS 1.3 with the suite the
/// retry named (RFC 8446 §4.1.4).
struct ExpectServerHelloAfterRetry {
    sent: HelloSent,
    suite: crate::msgs::enums::CipherSuite,
}

impl State for ExpectServerHelloAfterRetry {
    fn id(&self) -> StateId {
        StateId::ClientExpectServerHelloAfterRetry
    }

    fn handle(
        self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage,
        raw: &[u8],
    ) -> Result<Box<dyn State>, Error> {
        let HandshakePayload::ServerHello(sh) = &msg.payload else {
            return Err(Error::Internal("the table let through another message"));
        };
        if sh.is_hello_retry_request() {
            return Err(Error::peer(
                AlertDescription::UNEXPECTED_MESSAGE,
                "a second HelloRetryRequest",
            ));
        }
        let version = select_version(&self.sent.shared.config, sh)?;
        if version != ProtocolVersion::TLSV1_3 {
            return Err(illegal("a TLS 1.2 ServerHello after a HelloRetryRequest"));
        }
        match chosen_suite(&self.sent.hello, sh, version)? {
            SupportedSuite::Tls13(suite) if suite.suite == self.suite => {
                // RFC 9849 §6.1.5: an ECH that the HelloRetryRequest
                // accepted must be confirmed again.
                if self.sent.ech.is_some() {
                    // The transcript and the hello are the inner ones now.
                    if !ech_client::server_hello_confirms(
                        &self.sent.transcript,
                        &self.sent.hello.random,
                        raw,
                        suite,
                    ) {
                        return Err(Error::BadEch(EchProblem::NotConfirmedAfterRetry));
                    }
                }
                let mut sent = self.sent;
                sent.ech = None;
                handle_server_hello(sent, cx, sh, suite, raw)
            }
            _ => Err(illegal(
                "the ServerHello's suite differs from the HelloRetryRequest's",
            )),
        }
    }
}

// ---- ServerHello (RFC 8446 §4.1.3, §7.1) ----

/// The ServerHello: derive the handshake secrets.
pub(super) fn handle_server_hello(
    mut st: HelloSent,
    cx: &mut Context<'_>,
    sh: &ServerHello,
    suite: &'static Tls13Suite,
    raw: &[u8],
) -> Result<Box<dyn State>, Error> {
    check_session_id(&st.shared, sh)?;
    check_server_hello_extensions(&st, sh)?;
    // RFC 9849 §6.1.2: the outer hello's PSK is GREASE.
    if st.shared.ech == EchStatus::Rejected && sh.extension(ExtensionType::PRE_SHARED_KEY).is_some()
    {
        return Err(Error::BadEch(EchProblem::PskWhileRejected));
    }
    let (psk, psk_first) = match accepted_psk(&mut st, sh, suite)? {
        Some((p, first)) => (Some(p), first),
        None => (None, false),
    };
    let shared_secret = key_agreement(&mut st, sh, psk.is_some())?;
    if !cx.info.hello_retry {
        st.transcript.start_hash(suite.hash, false);
    }
    st.transcript.add(raw);
    let hs = EarlySecret::new(suite.hash, psk.as_ref().map(|p| p.wire.secret.as_bytes()))
        .into_handshake(shared_secret.as_ref().map(|(_, s)| s.as_bytes()));
    let (c_hs, s_hs) = hs.traffic_secrets(&st.transcript.current_hash());
    let log = &st.shared.config.key_log;
    let cr = &st.shared.client_random;
    cx.secret(log, "CLIENT_HANDSHAKE_TRAFFIC_SECRET", cr, &c_hs);
    cx.secret(log, "SERVER_HANDSHAKE_TRAFFIC_SECRET", cr, &s_hs);
    cx.out.push(Command::read_keys(opener(suite, &s_hs)?));
    // With 0-RTT under way, early keys stay until the server has answered.
    if !st.early_offered {
        // RFC 8446 D.4: in compatibility mode the ChangeCipherSpec goes
        // before anything protected, so also before a fatal alert that
        // interrupts the server's flight.
        st.shared.send_ccs_once(cx);
        cx.out.push(Command::write_keys(sealer(suite, &c_hs)?));
    }
    cx.info.suite = Some(SupportedSuite::Tls13(suite));
    cx.info.group = shared_secret.map(|(g, _)| g);
    match psk.as_ref().map(|p| &p.origin) {
        Some(PskOrigin::Ticket(t)) => {
            cx.info.resumed = true;
            cx.info.peer_certs.clone_from(&t.peer_certs);
            record_session_key(cx, t.peer_raw_public_key.as_ref());
            cx.info.external_psk.clone_from(&t.external_psk);
        }
        Some(PskOrigin::External(i)) => {
            cx.info.external_psk = st
                .shared
                .config
                .external_psks
                .get(*i)
                .map(|p| p.identity().to_vec());
        }
        None => {}
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
            early_offered: st.early_offered,
            early_accepted: false,
            psk,
            psk_first,
            ech_retry_configs: None,
        },
    }))
}

/// A TLS 1.3 ServerHello carries key_share, supported_versions and
/// pre_shared_key only (RFC 8446 §4.1.3, §4.2).
fn check_server_hello_extensions(st: &HelloSent, sh: &ServerHello) -> Result<(), Error> {
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
    Ok(())
}

/// The PSK the server selected, if it did, and whether it is the first
/// offered: one of ours, of the suite's hash (RFC 9846 §4.3.11). A client
/// that takes no certificate requires one.
fn accepted_psk(
    st: &mut HelloSent,
    sh: &ServerHello,
    suite: &Tls13Suite,
) -> Result<Option<(OfferedPsk, bool)>, Error> {
    let Some(Extension::PreSharedKeyServer(index)) = sh.extension(ExtensionType::PRE_SHARED_KEY)
    else {
        if st.shared.config.psk_only {
            return Err(Error::Psk(PskProblem::PskRequired));
        }
        return Ok(None);
    };
    let offered = st.psks.len();
    let i = usize::from(*index);
    if i >= offered {
        return Err(Error::Psk(PskProblem::SelectedIdentityOutOfRange {
            selected: *index,
            offered,
        }));
    }
    let psk = st.psks.swap_remove(i);
    if psk.wire.hash != suite.hash {
        return Err(Error::Psk(PskProblem::HashMismatch));
    }
    Ok(Some((psk, i == 0)))
}

/// The (EC)DHE shared secret with the server's key share, and its group.
/// Without a share the server chose psk_ke: allowed only if we offered it
/// (RFC 8446 §4.2.9).
fn key_agreement(
    st: &mut HelloSent,
    sh: &ServerHello,
    resumed: bool,
) -> Result<Option<(NamedGroup, Secret)>, Error> {
    let share = match sh.extension(ExtensionType::KEY_SHARE) {
        Some(Extension::KeyShareServer(s)) => s,
        _ if resumed && st.shared.config.psk_ke => return Ok(None),
        // RFC 9846 §4.3.11: psk_ke where we offered only psk_dhe_ke.
        _ if resumed => return Err(Error::Psk(PskProblem::KeyShareRequired)),
        _ => {
            return Err(Error::peer(
                AlertDescription::MISSING_EXTENSION,
                "the ServerHello has no key_share",
            ))
        }
    };
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
    Ok(Some((share.group, kx.complete(&share.key_exchange)?)))
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
    early_offered: bool,
    early_accepted: bool,
    /// The PSK the server selected, if it did.
    psk: Option<OfferedPsk>,
    /// Whether it is the first one offered (the one 0-RTT went with).
    psk_first: bool,
    /// The server's retry_configs, after a rejected ECH (RFC 9849 §6.1.6).
    ech_retry_configs: Option<Vec<u8>>,
}

// ---- EncryptedExtensions (RFC 8446 §4.3.1) ----

struct ExpectEncryptedExtensions {
    hs: Handshake,
}

impl State for ExpectEncryptedExtensions {
    fn id(&self) -> StateId {
        StateId::ClientExpectEncryptedExtensions
    }

    fn handle(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage,
        raw: &[u8],
    ) -> Result<Box<dyn State>, Error> {
        let HandshakePayload::EncryptedExtensions(exts) = &msg.payload else {
            return Err(Error::Internal("the table let through another message"));
        };
        read_encrypted_extensions(&mut self.hs, cx, exts)?;
        cx.info.sni = self.hs.shared.sni_text();
        self.hs.transcript.add(raw);
        if self.hs.early_offered {
            check_early_data_acceptance(&self.hs, cx)?;
            cx.info.early_data_reason = Some(match (self.hs.early_accepted, &self.hs.psk) {
                (true, _) => EarlyDataReason::Accepted,
                (false, None) => EarlyDataReason::SessionNotResumed,
                (false, Some(_)) => EarlyDataReason::PeerDeclined,
            });
            cx.out.push(Command::EarlySend(None));
            cx.out
                .push(Command::EarlyDataResult(self.hs.early_accepted));
            if !self.hs.early_accepted {
                cx.out
                    .push(Command::write_keys(sealer(self.hs.suite, &self.hs.c_hs)?));
            }
        }
        // A resumed handshake has no certificates (RFC 8446 §2.2); the
        // session's may be checked again (before 0-RTT, if it was sent).
        if let Some(p) = &self.hs.psk {
            let ticket = p.as_ticket().filter(|t| t.external_psk.is_none());
            if let (Some(t), false) = (ticket, self.hs.early_offered) {
                reverify_session(
                    &self.hs.shared,
                    &t.peer_certs,
                    t.peer_raw_public_key.as_ref(),
                )?;
            }
            return Ok(Box::new(ExpectFinished { hs: self.hs }));
        }
        Ok(Box::new(ExpectCertificateOrCertificateRequest {
            hs: self.hs,
        }))
    }
}

/// What EncryptedExtensions may carry to a client: what we offered and
/// what belongs there (RFC 8446 §4.2's table).
fn read_encrypted_extensions(
    hs: &mut Handshake,
    cx: &mut Context<'_>,
    exts: &[Extension],
) -> Result<(), Error> {
    check_response_extensions(exts, &hs.shared.offered, "EncryptedExtensions")?;
    let mut got_transport_parameters = false;
    for e in exts {
        match e {
            Extension::Alpn(protocols) => {
                let chosen = protocols.first().cloned().unwrap_or_default();
                if !hs.shared.config.alpn.contains(&chosen) {
                    return Err(illegal(
                        "the server chose an ALPN protocol we did not offer",
                    ));
                }
                cx.info.alpn = Some(chosen);
            }
            Extension::RecordSizeLimit(limit) => {
                cx.info.peer_record_size_limit = Some(*limit);
                // RFC 8449 §4: the server answered ours, so it keeps to it.
                cx.info.own_record_size_limit = hs.shared.config.record_size_limit;
            }
            Extension::ServerNameAck | Extension::SupportedGroups(_) => {}
            // RFC 9001 §8.2: the server's transport parameters (offered
            // only by a QUIC handshake, which check_response_extensions
            // has made sure of).
            Extension::QuicTransportParameters(p) => {
                if let Some(q) = cx.info.quic.as_mut() {
                    q.peer = Some(p.clone());
                }
                got_transport_parameters = true;
            }
            // RFC 7250 §4.2, read below.
            Extension::ServerCertificateType(_) | Extension::ClientCertificateType(_) => {}
            Extension::EarlyData => read_early_data_answer(hs)?,
            Extension::EncryptedClientHello(list) => read_retry_configs(hs, list)?,
            other => {
                return Err(illegal(format!(
                    "{:?} is not allowed in EncryptedExtensions",
                    other.typ()
                )))
            }
        }
    }
    // RFC 9001 §8.2: a QUIC endpoint without the peer's transport
    // parameters ends the handshake with missing_extension.
    if cx.info.quic.is_some() && !got_transport_parameters {
        return Err(Error::peer(
            AlertDescription::MISSING_EXTENSION,
            "the server sent no quic_transport_parameters",
        ));
    }
    cert_types::read_answers(&hs.shared.config, exts, hs.psk.is_some(), cx.info)
}

/// EncryptedExtensions' early_data (RFC 8446 §4.2.10): only for early
/// data offered with the PSK that the server selected, which must be the
/// first; an answer to an extension we did not send (no early_data in
/// this ClientHello, as after a retry) is unsupported_extension (§4.2).
fn read_early_data_answer(hs: &mut Handshake) -> Result<(), Error> {
    if !hs.early_offered {
        return Err(Error::peer(
            AlertDescription::UNSUPPORTED_EXTENSION,
            "the server accepted early data we did not offer",
        ));
    }
    if hs.psk.is_none() {
        return Err(illegal(
            "the server accepted early data without resuming our session",
        ));
    }
    if !hs.psk_first {
        return Err(Error::Psk(PskProblem::EarlyDataNotFirstPsk));
    }
    hs.early_accepted = true;
    Ok(())
}

/// EncryptedExtensions' retry_configs (RFC 9849 §5, §6.1.6, §6.2.1): only
/// for a rejected (or GREASE) offer, and well-formed; kept only when ours
/// was rejected.
fn read_retry_configs(hs: &mut Handshake, list: &[u8]) -> Result<(), Error> {
    if hs.shared.ech == EchStatus::Accepted {
        return Err(Error::BadEch(EchProblem::RetryConfigsWhileAccepted));
    }
    let configs = decode_config_list(list).map_err(|e| Error::BadEch(EchProblem::ConfigList(e)))?;
    let usable = configs.iter().any(|c| c.contents.is_some());
    if hs.shared.ech == EchStatus::Rejected && usable {
        hs.ech_retry_configs = Some(list.to_vec());
    }
    Ok(())
}

/// RFC 8446 §4.2.10: accepted 0-RTT must be under the PSK's suite and
/// ALPN protocol (a ticket's session's, or an external PSK's provisioned
/// ones), else the server has broken the rules (illegal_parameter).
fn check_early_data_acceptance(hs: &Handshake, cx: &Context<'_>) -> Result<(), Error> {
    let (true, Some(p)) = (hs.early_accepted, &hs.psk) else {
        return Ok(());
    };
    let config = &hs.shared.config;
    let (suite, alpn) = match &p.origin {
        PskOrigin::Ticket(t) => (t.suite, t.alpn.clone()),
        PskOrigin::External(i) => match config.external_psks.get(*i).and_then(|e| e.early_params())
        {
            Some((s, a)) => (s, a.map(<[u8]>::to_vec)),
            None => return Err(Error::Internal("0-RTT with a PSK not provisioned for it")),
        },
    };
    if suite != hs.suite.suite {
        return Err(illegal(
            "the server accepted 0-RTT data under another cipher suite than the ticket's",
        ));
    }
    if alpn != cx.info.alpn {
        return Err(illegal(
            "the server accepted 0-RTT data under another ALPN protocol than the ticket's",
        ));
    }
    Ok(())
}

// ---- CertificateRequest, Certificate, CertificateVerify (§4.3.2, §4.4) ----

struct ExpectCertificateOrCertificateRequest {
    hs: Handshake,
}

impl State for ExpectCertificateOrCertificateRequest {
    fn id(&self) -> StateId {
        StateId::ClientExpectCertificateOrCertificateRequest
    }

    fn handle(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage,
        raw: &[u8],
    ) -> Result<Box<dyn State>, Error> {
        let HandshakePayload::CertificateRequest13(cr) = msg.payload else {
            return Box::new(ExpectCertificate { hs: self.hs }).handle(cx, msg, raw);
        };
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
        self.hs.cert_request = Some(cr);
        self.hs.transcript.add(raw);
        Ok(Box::new(ExpectCertificate { hs: self.hs }))
    }
}

struct ExpectCertificate {
    hs: Handshake,
}

impl State for ExpectCertificate {
    fn id(&self) -> StateId {
        StateId::ClientExpectCertificate
    }

    fn handle(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage,
        raw: &[u8],
    ) -> Result<Box<dyn State>, Error> {
        let cert =
            cert_compression::incoming(msg.payload, &self.hs.shared.config.cert_compression)?;
        verify_server_certificate(&self.hs, cx, &cert)?;
        self.hs.transcript.add(raw);
        Ok(Box::new(ExpectCertificateVerify { hs: self.hs }))
    }
}

/// The server's Certificate: a chain (RFC 8446 §4.4.2.4: never empty), or
/// one raw public key (§4.4.2, RFC 7250), entry extensions we asked for,
/// verified for the server's name.
fn verify_server_certificate(
    hs: &Handshake,
    cx: &mut Context<'_>,
    cert: &Certificate13,
) -> Result<(), Error> {
    if !cert.context.is_empty() {
        return Err(illegal("the server's Certificate has a non-empty context"));
    }
    let Some((ee, rest)) = cert.entries.split_first() else {
        return Err(Error::peer(
            AlertDescription::DECODE_ERROR,
            "the server sent an empty Certificate message",
        ));
    };
    let raw = cx.info.server_cert_type == CertificateType::RAW_PUBLIC_KEY;
    if raw && !rest.is_empty() {
        return Err(cert_types::one_raw_public_key(cert.entries.len()));
    }
    for e in cert.entries.iter().flat_map(|entry| &entry.extensions) {
        if !hs.shared.offered.contains(&e.typ()) {
            return Err(Error::peer(
                AlertDescription::UNSUPPORTED_EXTENSION,
                format!(
                    "{:?} in a CertificateEntry, which we did not ask for",
                    e.typ()
                ),
            ));
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
    let config = &hs.shared.config;
    if raw {
        let key = cert_types::raw_public_key(&ee.cert_data)?;
        config.server_rpk_verifier()?.verify_raw_public_key(
            &key,
            Some(&hs.shared.server_name),
            config.time.now(),
        )?;
        cx.info.peer_raw_public_key = Some(key);
    } else {
        let end_entity = CertificateDer::from(ee.cert_data.clone());
        let intermediates: Vec<CertificateDer<'static>> = rest
            .iter()
            .map(|e| CertificateDer::from(e.cert_data.clone()))
            .collect();
        config.verifier.verify_server_cert(
            &end_entity,
            &intermediates,
            &hs.shared.server_name,
            ocsp,
            config.time.now(),
        )?;
        cx.info.peer_certs = std::iter::once(end_entity).chain(intermediates).collect();
    }
    cx.info.ocsp_response = Some(ocsp.to_vec()).filter(|o| !o.is_empty());
    cx.info.sct_list = ee.extensions.iter().find_map(|e| match e {
        Extension::SignedCertificateTimestamps(l) => Some(l.clone()),
        _ => None,
    });
    Ok(())
}

/// A resumed session's server key (RFC 7250): its type, and the key.
fn record_session_key(cx: &mut Context<'_>, key: Option<&SubjectPublicKeyInfoDer<'static>>) {
    cx.info.peer_raw_public_key = key.cloned();
    if key.is_some() {
        cx.info.server_cert_type = CertificateType::RAW_PUBLIC_KEY;
    }
}

struct ExpectCertificateVerify {
    hs: Handshake,
}

impl State for ExpectCertificateVerify {
    fn id(&self) -> StateId {
        StateId::ClientExpectCertificateVerify
    }

    fn handle(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage,
        raw: &[u8],
    ) -> Result<Box<dyn State>, Error> {
        let HandshakePayload::CertificateVerify(cv) = &msg.payload else {
            return Err(Error::Internal("the table let through another message"));
        };
        let config = &self.hs.shared.config;
        if !config.signature_schemes().contains(&cv.scheme) || !allowed_in_tls13(cv.scheme) {
            return Err(illegal(format!(
                "the server signed with {:?}, which we did not offer",
                cv.scheme
            )));
        }
        verify_certificate_verify(
            cx,
            cv,
            Role::Server,
            &self.hs.transcript.current_hash(),
            &|key, scheme, message, signature| {
                config.verify_server_signature(
                    key,
                    scheme,
                    message,
                    signature,
                    ProtocolVersion::TLSV1_3,
                )
            },
        )?;
        self.hs.transcript.add(raw);
        Ok(Box::new(ExpectFinished { hs: self.hs }))
    }
}

// ---- Finished and the client's second flight (RFC 8446 §4.4.4, §4.5) ----

struct ExpectFinished {
    hs: Handshake,
}

impl State for ExpectFinished {
    fn id(&self) -> StateId {
        StateId::ClientExpectFinished
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
        let expected =
            finished_verify_data(hash, hs.s_hs.as_bytes(), &hs.transcript.current_hash());
        check_finished(&expected, verify_data, "server")?;
        hs.transcript.add(raw);
        let master = hs.secret.clone().into_master();
        let (c_ap, s_ap, exporter) = master.application_secrets(&hs.transcript.current_hash());
        let log = &hs.shared.config.key_log;
        let cr = &hs.shared.client_random;
        cx.secret(log, "CLIENT_TRAFFIC_SECRET_0", cr, &c_ap);
        cx.secret(log, "SERVER_TRAFFIC_SECRET_0", cr, &s_ap);
        cx.secret(log, "EXPORTER_SECRET", cr, &exporter);
        cx.out.push(Command::read_keys(opener(hs.suite, &s_ap)?));
        hs.shared.send_ccs_once(cx);
        // RFC 8446 §4.5: accepted early data ends with EndOfEarlyData, under
        // the early keys; then the handshake keys take over. QUIC has no
        // EndOfEarlyData (RFC 9001 §8.3).
        if hs.early_accepted {
            if cx.info.quic.is_none() {
                cx.send(&mut hs.transcript, HandshakePayload::EndOfEarlyData)?;
            }
            cx.out
                .push(Command::write_keys(sealer(hs.suite, &hs.c_hs)?));
        }
        if let Some(req) = hs.cert_request.take() {
            send_client_certificate(&mut hs, cx, &req)?;
        }
        let fin = finished_verify_data(hash, hs.c_hs.as_bytes(), &hs.transcript.current_hash());
        cx.send(&mut hs.transcript, HandshakePayload::Finished(fin.to_vec()))?;
        cx.out.push(Command::write_keys(sealer(hs.suite, &c_ap)?));
        // RFC 9849 §6.1.6: a rejected ECH completes the handshake with the
        // public name (our Certificate, if asked for, was empty), then
        // aborts with ech_required (under the application keys the server
        // now reads with) before any data.
        if hs.shared.ech == EchStatus::Rejected {
            cx.out.push(Command::Fail(Error::EchRejected {
                public_name: hs.shared.sni_text().unwrap_or_default(),
                retry_configs: hs.ech_retry_configs.take(),
            }));
        }
        cx.info.exporter = Some(Exporter::Tls13 {
            hash,
            secret: exporter,
        });
        cx.out.push(Command::Done);
        Ok(Box::new(Connected {
            traffic: Traffic13::new(hs.suite, c_ap, s_ap),
            resumption_master_secret: master
                .resumption_master_secret(&hs.transcript.current_hash()),
            config: hs.shared.config.clone(),
            cache_key: hs.shared.cache_key.clone(),
        }))
    }
}

/// The answer to a CertificateRequest: our Certificate (empty if no
/// certificate of ours fits, RFC 8446 §4.4.2) and its CertificateVerify.
fn send_client_certificate(
    hs: &mut Handshake,
    cx: &mut Context<'_>,
    req: &CertificateRequest13,
) -> Result<(), Error> {
    let schemes = req
        .extensions
        .iter()
        .find_map(|e| match e {
            Extension::SignatureAlgorithms(s) => Some(s.as_slice()),
            _ => None,
        })
        .unwrap_or_default();
    let authorities = req
        .extensions
        .iter()
        .find_map(|e| match e {
            Extension::CertificateAuthorities(a) => Some(a.as_slice()),
            _ => None,
        })
        .unwrap_or_default();
    let certificate_type = cx.info.client_cert_type;
    // RFC 9849 §6.1.7: after a rejected ECH, an empty Certificate.
    let candidates = match hs.shared.ech {
        EchStatus::Rejected => Vec::new(),
        _ => hs
            .shared
            .config
            .client_cert_candidates(&CertificateRequestInfo {
                version: ProtocolVersion::TLSV1_3,
                signature_schemes: schemes,
                authorities,
                certificate_types: &[],
                certificate_type,
            }),
    };
    let chosen = choose_client_cert(
        &candidates,
        schemes,
        authorities,
        ProtocolVersion::TLSV1_3,
        certificate_type,
    );
    let entries = chosen
        .map(|(c, _)| {
            // RFC 8446 §4.4.2: a raw public key is the one entry.
            let data = match &c.raw_public_key {
                Some(k) => vec![k.as_ref()],
                None => c.chain.iter().map(|d| d.as_ref()).collect(),
            };
            data.into_iter()
                .map(|d| CertificateEntry {
                    cert_data: d.to_vec(),
                    extensions: Vec::new(),
                })
                .collect()
        })
        .unwrap_or_default();
    let certificate = Certificate13 {
        context: req.context.clone(),
        entries,
    };
    let payload = cert_compression::outgoing(
        certificate,
        &hs.shared.config.cert_compression,
        cert_compression::offered(&req.extensions),
        &hs.shared.config.compressed_certs,
    );
    cx.send(&mut hs.transcript, payload)?;
    if let Some((c, scheme)) = chosen {
        cx.info.own_cert = Some(c.clone());
        let content = tls13_signed_content(Role::Client, &hs.transcript.current_hash());
        let signature = c.key.sign(scheme, &content)?;
        let cv = DigitallySigned { scheme, signature };
        cx.send(&mut hs.transcript, HandshakePayload::CertificateVerify(cv))?;
    }
    Ok(())
}

// ---- Connected: tickets and key updates (RFC 8446 §4.6) ----

/// A connected TLS 1.3 client.
struct Connected {
    traffic: Traffic13,
    resumption_master_secret: Secret,
    config: std::sync::Arc<crate::config::ClientConfig>,
    cache_key: SessionKey,
}

impl State for Connected {
    fn id(&self) -> StateId {
        StateId::ClientConnected13
    }

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
                self.keep_ticket(cx, t);
                Ok(self)
            }
            HandshakePayload::KeyUpdate(req) => {
                self.traffic.received_update(cx, *req)?;
                Ok(self)
            }
            _ => Err(Error::Internal("the table let through another message")),
        }
    }

    connected13_methods!();
}

impl Connected {
    /// Files a NewSessionTicket in the session store, with the PSK it
    /// stands for (RFC 8446 §4.6.1).
    fn keep_ticket(&self, cx: &Context<'_>, t: &crate::msgs::handshake::NewSessionTicket13) {
        let Some(store) = &self.config.session_store else {
            return;
        };
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
                quic: cx.info.quic.as_ref().map(|q| crate::session::QuicSession {
                    version: q.version,
                    transport_parameters: q.peer.clone().unwrap_or_default(),
                }),
                peer_raw_public_key: cx.info.peer_raw_public_key.clone(),
                external_psk: cx.info.external_psk.clone(),
            },
        );
    }
}
