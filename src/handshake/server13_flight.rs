//! The TLS 1.3 server's flight, a step per message: ServerHello,
//! EncryptedExtensions, CertificateRequest, Certificate, CertificateVerify
//! and Finished (RFC 8446 §4.1.3, §4.3, §4.4), with the secrets each step
//! needs (§7.1).

use super::cert_compression;
use super::cert_types;
use super::common::{list, Exporter};
use super::server13_finish::{
    ClientFlight, ExpectCertificate, ExpectEndOfEarlyData, ExpectFinished,
};
use super::server13_psk::{accept_psk, early_skip_budget, AcceptedPsk, PskChoice, PskSource};
use super::server_common::{
    check_issuers, choose_alpn, choose_certificate, record_session_identity, sent_sct_list, sni,
    stapled_ocsp,
};
use super::tls13::{opener, sealer};
use super::transcript::Transcript;
use super::{Command, Context, State};
use crate::config::{CertifiedKey, EarlyDataReason, EchStatus, ServerConfig};
use crate::crypto::hash::Output;
use crate::crypto::sign::allowed_in_tls13;
use crate::crypto::{Secret, SupportedSuite, Tls13Suite};
use crate::error::{Error, Negotiable};
use crate::key_schedule::tls13::{
    ech_accept_confirmation, finished_verify_data, EarlySecret, HandshakeSecret,
};
use crate::msgs::enums::{
    AlertDescription, CertificateType, CompressionMethod, ExtensionType, NamedGroup,
    ProtocolVersion, PskKeyExchangeMode, SignatureScheme,
};
use crate::msgs::extensions::{Extension, KeyShareEntry};
use crate::msgs::handshake::{
    tls13_signed_content, Certificate13, CertificateEntry, CertificateRequest13, ClientHello,
    DigitallySigned, HandshakeMessage, HandshakePayload, ServerHello,
};
use crate::msgs::Role;
use pki_types::DnsName;
use std::sync::Arc;

/// How the handshake's shared secret is made: (EC)DHE with a group
/// (psk_dhe_ke, or no PSK), or the PSK alone (psk_ke).
pub(crate) enum KeyExchange {
    Dhe(NamedGroup),
    PskOnly(Box<AcceptedPsk>),
}

/// What the server has decided about the handshake before it writes.
struct Decisions<'a> {
    group: Option<NamedGroup>,
    psk: Option<AcceptedPsk>,
    /// The certificate and scheme of a full handshake.
    cert: Option<(&'a CertifiedKey, SignatureScheme)>,
    alpn: Option<Vec<u8>>,
    name: Option<DnsName<'static>>,
    accept_early: bool,
    wants_early: bool,
    early_reason: EarlyDataReason,
    /// The type of our certificate, answered in server_certificate_type
    /// when the client asked (RFC 7250 §4.2): the credential's, or a
    /// resumed session's.
    server_type_answer: Option<CertificateType>,
    /// The client certificate type to ask for in a full handshake with
    /// client authentication, and whether to answer client_certificate_type.
    client_type: Option<(CertificateType, bool)>,
}

/// The server's flight from ServerHello to Finished. `transcript` holds
/// what came before this ClientHello (`raw_ch`); `sent_ccs` whether the
/// compatibility-mode ChangeCipherSpec already went out (after a
/// HelloRetryRequest).
#[allow(clippy::too_many_arguments)]
pub(super) fn send_server_flight(
    config: Arc<ServerConfig>,
    cx: &mut Context<'_>,
    ch: &ClientHello,
    raw_ch: &[u8],
    suite: &'static Tls13Suite,
    key_exchange: KeyExchange,
    mut transcript: Transcript,
    sent_ccs: bool,
) -> Result<Box<dyn State>, Error> {
    // QUIC: the version and the early data context (RFC 9001 §4.6.1).
    let quic = cx.info.quic.as_ref().map(|q| (q.version, q.early_context));
    let d = decide(&config, ch, raw_ch, &transcript, suite, key_exchange, quic)?;
    cx.info.ticket_age_skew = d
        .psk
        .as_ref()
        .and_then(|p| p.age_skew_secs(config.time.now_ms()));
    transcript.add(raw_ch);
    let client_hello_hash = transcript.current_hash();
    let shared_secret = write_server_hello(&config, cx, ch, suite, &d, &mut transcript)?;
    // RFC 8446 D.4: a compatibility-mode client gets a ChangeCipherSpec.
    if !sent_ccs && !ch.legacy_session_id.is_empty() {
        cx.out.push(Command::SendCcs);
    }
    let psk_secret = d.psk.as_ref().map(|p| p.psk.as_bytes());
    let hs = EarlySecret::new(suite.hash, psk_secret)
        .into_handshake(shared_secret.as_ref().map(|s| s.as_bytes()));
    let (c_hs, s_hs) = hs.traffic_secrets(&transcript.current_hash());
    cx.secret(
        &config.key_log,
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
        &ch.random,
        &c_hs,
    );
    cx.secret(
        &config.key_log,
        "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        &ch.random,
        &s_hs,
    );
    cx.out.push(Command::write_keys(sealer(suite, &s_hs)?));
    read_keys_for_early_data(&config, cx, ch, suite, &d, &c_hs, &client_hello_hash)?;
    record_negotiated(cx, suite, &d);
    write_encrypted_extensions(&config, cx, ch, &d, &mut transcript)?;
    let verifier = client_verifier(&config, &d);
    let requested_schemes = match &verifier {
        Some(v) => write_certificate_request(&config, cx, v, &mut transcript)?,
        None => Vec::new(),
    };
    if let Some((cert, scheme)) = d.cert {
        cx.info.own_cert = Some(cert.clone());
        write_certificate_flight(&config, cx, ch, cert, scheme, &mut transcript)?;
    }
    let accept_early = d.accept_early;
    let fin = finished_verify_data(suite.hash, s_hs.as_bytes(), &transcript.current_hash());
    cx.send(&mut transcript, HandshakePayload::Finished(fin.to_vec()))?;
    // RFC 9846 §4.4.4: data before the client's Finished, if the
    // configuration allows it, and never to a client yet to authenticate.
    let half_rtt = config.half_rtt && verifier.is_none();
    let rest = application_secrets(config, cx, ch, suite, hs, transcript, c_hs)?;
    if half_rtt {
        cx.out.push(Command::HalfRttData);
    }
    let rest = ClientFlight {
        requested_schemes,
        ..rest
    };
    Ok(match verifier {
        Some(v) => Box::new(ExpectCertificate {
            rest,
            required: v.1,
        }),
        // QUIC has no EndOfEarlyData (RFC 9001 §8.3).
        None if accept_early && cx.info.quic.is_none() => Box::new(ExpectEndOfEarlyData { rest }),
        None => Box::new(ExpectFinished { rest }),
    })
}

/// Everything the server decides from the hello before it writes: the PSK,
/// the certificate, ALPN, and whether 0-RTT is taken.
fn decide<'a>(
    config: &'a ServerConfig,
    ch: &ClientHello,
    raw_ch: &[u8],
    transcript: &Transcript,
    suite: &'static Tls13Suite,
    key_exchange: KeyExchange,
    quic: Option<(u32, Option<[u8; 32]>)>,
) -> Result<Decisions<'a>, Error> {
    let quic_version = quic.map(|q| q.0);
    let name = sni(ch)?;
    let sni_text = name.as_ref().map(|n| n.as_ref().to_string());
    let (group, psk) = match key_exchange {
        KeyExchange::Dhe(group) => {
            match accept_psk(
                config,
                ch,
                raw_ch,
                transcript,
                suite,
                sni_text.as_deref(),
                quic_version,
            )? {
                PskChoice::Accepted(p) => (Some(group), Some(*p)),
                // RFC 9846 §4.3.11: no acceptable PSK, so a certificate if
                // we have one; a server with only PSKs says why not.
                PskChoice::Declined(problem) if config.certs.is_empty() => {
                    return Err(Error::Psk(problem))
                }
                PskChoice::Declined(_) => (Some(group), None),
            }
        }
        KeyExchange::PskOnly(psk) => (None, Some(*psk)),
    };
    let (server_types, answer) = cert_types::server_types(config, ch);
    let cert = match psk {
        Some(_) => None,
        None => Some(choose_cert_and_scheme(
            config,
            ch,
            name.as_ref(),
            &server_types,
        )?),
    };
    let server_type_answer = match (&cert, &psk) {
        (_, _) if !answer => None,
        (Some((c, _)), _) => Some(c.certificate_type()),
        // A resumed session answers its type; an external PSK sends no
        // Certificate.
        (None, Some(p)) => p.session().map(|v| v.server_cert_type),
        (None, None) => None,
    };
    let client_type = match cert.is_some() && config.asks_client_auth() {
        true => Some(cert_types::client_type(config, ch)?),
        false => None,
    };
    let alpn = choose_alpn(config, ch)?;
    let wants_early = ch.extension(ExtensionType::EARLY_DATA).is_some();
    let early_reason = early_data_verdict(
        config,
        wants_early,
        suite,
        &alpn,
        psk.as_ref(),
        quic.map(|q| q.1),
    );
    let accept_early = early_reason == EarlyDataReason::Accepted;
    Ok(Decisions {
        group,
        psk,
        cert,
        alpn,
        name,
        accept_early,
        wants_early,
        early_reason,
        server_type_answer,
        client_type,
    })
}

/// A certificate of a type the client accepts (RFC 7250 §4.2) that can
/// sign with a scheme the client offered, and that scheme.
fn choose_cert_and_scheme<'a>(
    config: &'a ServerConfig,
    ch: &ClientHello,
    name: Option<&DnsName<'static>>,
    types: &[CertificateType],
) -> Result<(&'a CertifiedKey, SignatureScheme), Error> {
    if !config
        .certs
        .iter()
        .any(|c| types.contains(&c.certificate_type()))
    {
        return Err(cert_types::no_credential_of_type(config, ch));
    }
    check_issuers(config, ch)?;
    // RFC 9846 §9.2: a hello with pre_shared_key may leave
    // signature_algorithms out, but then it cannot be served a certificate.
    let offered = match ch.extension(ExtensionType::SIGNATURE_ALGORITHMS) {
        Some(Extension::SignatureAlgorithms(s)) => s.as_slice(),
        _ => {
            return Err(Error::peer(
                AlertDescription::MISSING_EXTENSION,
                "the ClientHello has no signature_algorithms, and no PSK of it was accepted",
            ))
        }
    };
    // What the client offered and the configuration allows.
    let schemes: Vec<SignatureScheme> = offered
        .iter()
        .copied()
        .filter(|s| config.allows_scheme(*s))
        .collect();
    let schemes = schemes.as_slice();
    let tls13 = ProtocolVersion::TLSV1_3;
    let cert = choose_certificate(config, ch, name, types, |c| {
        c.key.choose_scheme(schemes, tls13).is_some()
    })
    .ok_or_else(|| Error::NoCommon {
        what: Negotiable::SignatureScheme,
        ours: list(
            &config
                .certs
                .iter()
                .flat_map(|c| c.key.schemes().to_vec())
                .collect::<Vec<_>>(),
        ),
        theirs: list(offered),
    })?;
    let scheme = cert
        .key
        .choose_scheme(schemes, tls13)
        .ok_or(Error::Internal("no scheme for the chosen certificate"))?;
    Ok((cert, scheme))
}

/// RFC 9846 §4.3.10, §8: 0-RTT only when offered and configured, with the
/// first PSK, the same suite and ALPN as the ticket's session (or those
/// the external PSK was provisioned with), a fresh ticket age, and a
/// binder the anti-replay register has not seen (checked last: it records
/// the binder); in QUIC, a ticket issued under the same early data
/// context. Single-use tickets are their own protection; an external
/// PSK, which has no age, is refused while the register is younger than
/// its window (it cannot know what it accepted before). Returns
/// [`EarlyDataReason::Accepted`] or the first reason against.
fn early_data_verdict(
    config: &ServerConfig,
    wants_early: bool,
    suite: &Tls13Suite,
    alpn: &Option<Vec<u8>>,
    psk: Option<&AcceptedPsk>,
    quic_context: Option<Option<[u8; 32]>>,
) -> EarlyDataReason {
    use EarlyDataReason as R;
    if config.max_early_data == 0 {
        return R::Disabled;
    }
    if !wants_early {
        return R::NotOffered;
    }
    let Some(p) = psk.filter(|p| p.index == 0) else {
        return R::SessionNotResumed;
    };
    let now_ms = config.time.now_ms();
    let register = |issued_ms: u64| {
        config
            .anti_replay()
            .is_some_and(|r| r.first_use(&p.binder, issued_ms, now_ms))
    };
    // What the PSK allows: its size limit, suite and ALPN, and whether the
    // register clears it (a ticket: fresh, then the register unless the
    // ticket is single-use; an external PSK: the register, from time 0).
    let (max, early_suite, early_alpn) = match &p.source {
        PskSource::Ticket { value, .. } => (
            value.max_early_data,
            Some(value.suite),
            value.alpn.as_deref(),
        ),
        PskSource::External(e) => match e.early_params() {
            Some((s, a)) => (e.max_early_data(), Some(s), a),
            None => (0, None, None),
        },
    };
    if max == 0 {
        return R::UnsupportedForSession;
    }
    if early_suite != Some(suite.suite) {
        return R::CipherSuiteMismatch;
    }
    if early_alpn != alpn.as_deref() {
        return R::AlpnMismatch;
    }
    let cleared = match &p.source {
        PskSource::Ticket { value, .. } => {
            if !p.fresh(now_ms) {
                return R::TicketAgeSkew;
            }
            // RFC 9001 §4.6.1: what 0-RTT depends on is what it was.
            if quic_context.is_some_and(|ours| ours != value.quic_early_data_context) {
                return R::QuicParameterMismatch;
            }
            config.stateful_tickets || register(value.created.saturating_mul(1000))
        }
        PskSource::External(_) => register(0),
    };
    if cleared {
        R::Accepted
    } else {
        R::Replayed
    }
}

/// The most 0-RTT data taken with `psk`: ours, and no more than an external
/// PSK was provisioned with.
fn early_data_limit(config: &ServerConfig, psk: &AcceptedPsk) -> u32 {
    match &psk.source {
        PskSource::External(e) => config.max_early_data.min(e.max_early_data()),
        PskSource::Ticket { .. } => config.max_early_data,
    }
}

/// ServerHello: pre_shared_key, key_share, supported_versions, in the order
/// of RFC 8448's traces. Returns the (EC)DHE shared secret.
fn write_server_hello(
    config: &ServerConfig,
    cx: &mut Context<'_>,
    ch: &ClientHello,
    suite: &Tls13Suite,
    d: &Decisions<'_>,
    transcript: &mut Transcript,
) -> Result<Option<Secret>, Error> {
    let mut exts = Vec::new();
    if let Some(p) = &d.psk {
        exts.push(Extension::PreSharedKeyServer(p.index));
    }
    let mut shared_secret = None;
    if let Some(group) = d.group {
        let client_share = client_key_share(ch, group)?;
        let kx = config
            .key_exchange
            .find(group, ProtocolVersion::TLSV1_3)
            .ok_or(Error::Internal("the chosen group vanished"))?;
        let (public, secret) = kx.accept(client_share, config.random.as_ref())?;
        exts.push(Extension::KeyShareServer(KeyShareEntry {
            group,
            key_exchange: public,
        }));
        shared_secret = Some(secret);
    }
    exts.push(Extension::SupportedVersionsServer(ProtocolVersion::TLSV1_3));
    let mut random = [0u8; 32];
    config.random.fill(&mut random)?;
    let accept_ech = cx.info.ech == EchStatus::Accepted;
    if accept_ech {
        random[24..].fill(0);
    }
    let mut sh = ServerHello {
        legacy_version: ProtocolVersion::TLSV1_2,
        random,
        legacy_session_id: ch.legacy_session_id.clone(),
        cipher_suite: suite.suite,
        compression_method: CompressionMethod::NULL,
        extensions: exts,
    };
    // RFC 9849 §7.2: the last 8 bytes of the random confirm ECH, over
    // ClientHelloInner and this message with those bytes zeroed.
    if accept_ech {
        let zeroed = HandshakeMessage::new(HandshakePayload::ServerHello(sh.clone())).encoding();
        let confirmation = ech_accept_confirmation(
            suite.hash,
            &ch.random,
            &transcript.hash_with(suite.hash, &zeroed),
            false,
        );
        sh.random[24..].copy_from_slice(&confirmation);
    }
    cx.send(transcript, HandshakePayload::ServerHello(sh))?;
    Ok(shared_secret)
}

/// The client's key share for `group` (checked by `read_offer`).
fn client_key_share(ch: &ClientHello, group: NamedGroup) -> Result<&[u8], Error> {
    match ch.extension(ExtensionType::KEY_SHARE) {
        Some(Extension::KeyShareClient(shares)) => shares
            .iter()
            .find(|s| s.group == group)
            .map(|s| s.key_exchange.as_slice())
            .ok_or(Error::Internal("no key share for the chosen group")),
        _ => Err(Error::Internal("no key_share")),
    }
}

/// What the server reads next: accepted 0-RTT under the early keys
/// (RFC 8446 §7.1), else the client's handshake keys, skipping rejected
/// early data (§4.2.10).
fn read_keys_for_early_data(
    config: &ServerConfig,
    cx: &mut Context<'_>,
    ch: &ClientHello,
    suite: &Tls13Suite,
    d: &Decisions<'_>,
    c_hs: &Secret,
    client_hello_hash: &Output,
) -> Result<(), Error> {
    if let (true, Some(p)) = (d.accept_early, &d.psk) {
        let early = EarlySecret::new(suite.hash, Some(p.psk.as_bytes()));
        let secret = early.client_early_traffic_secret(client_hello_hash);
        cx.secret(
            &config.key_log,
            "CLIENT_EARLY_TRAFFIC_SECRET",
            &ch.random,
            &secret,
        );
        cx.info.early_exporter = Some(Exporter::Tls13 {
            hash: suite.hash,
            secret: early.early_exporter_master_secret(client_hello_hash),
        });
        cx.out.push(Command::read_keys(opener(suite, &secret)?));
        cx.out.push(Command::EarlyReceive(Some(
            early_data_limit(config, p) as usize
        )));
        cx.info.early_data = Some(true);
        return Ok(());
    }
    cx.out.push(Command::read_keys(opener(suite, c_hs)?));
    if d.wants_early {
        cx.out
            .push(Command::SkipEarlyData(early_skip_budget(config)));
        cx.info.early_data = Some(false);
    }
    Ok(())
}

fn record_negotiated(cx: &mut Context<'_>, suite: &'static Tls13Suite, d: &Decisions<'_>) {
    cx.info.suite = Some(SupportedSuite::Tls13(suite));
    cx.info.group = d.group;
    cx.info.alpn.clone_from(&d.alpn);
    // After a HelloRetryRequest that ended 0-RTT, that is the reason.
    if cx.info.early_data_reason.is_none() {
        cx.info.early_data_reason = Some(d.early_reason);
    }
    match d.psk.as_ref().map(|p| &p.source) {
        Some(PskSource::Ticket { value, .. }) => {
            cx.info.resumed = true;
            record_session_identity(cx.info, value);
            cx.info.external_psk.clone_from(&value.external_psk);
        }
        Some(PskSource::External(e)) => cx.info.external_psk = Some(e.identity().to_vec()),
        None => {}
    }
    if let Some((c, _)) = d.cert {
        cx.info.server_cert_type = c.certificate_type();
    }
    if let Some((t, _)) = d.client_type {
        cx.info.client_cert_type = t;
    }
}

/// EncryptedExtensions (RFC 8446 §4.3.1): record_size_limit, the
/// server_name acknowledgement of a full handshake (RFC 6066 §3), ALPN,
/// early_data.
fn write_encrypted_extensions(
    config: &ServerConfig,
    cx: &mut Context<'_>,
    ch: &ClientHello,
    d: &Decisions<'_>,
    transcript: &mut Transcript,
) -> Result<(), Error> {
    let mut ee = Vec::new();
    if let Some(Extension::RecordSizeLimit(limit)) = ch.extension(ExtensionType::RECORD_SIZE_LIMIT)
    {
        cx.info.peer_record_size_limit = Some(*limit);
        // RFC 8449 §4: TLS 1.3's limit counts the content type byte.
        let ours = config
            .record_size_limit
            .unwrap_or((crate::record::MAX_FRAGMENT_LEN + 1) as u16);
        cx.info.own_record_size_limit = Some(ours);
        ee.push(Extension::RecordSizeLimit(ours));
    }
    // Not on resumption (RFC 6066 §3); an external PSK is none.
    let resumed = d.psk.as_ref().is_some_and(|p| p.session().is_some());
    if d.name.is_some() && !resumed {
        ee.push(Extension::ServerNameAck);
    }
    if let Some(p) = &d.alpn {
        ee.push(Extension::Alpn(vec![p.clone()]));
    }
    if d.accept_early {
        ee.push(Extension::EarlyData);
    }
    // RFC 7250 §4.2: the types chosen, where the client asked (the
    // client's only when a certificate is requested).
    if let Some(t) = d.server_type_answer {
        ee.push(Extension::ServerCertificateType(t));
    }
    if let Some((t, true)) = d.client_type {
        ee.push(Extension::ClientCertificateType(t));
    }
    // RFC 9849 §7.1: a client whose ECH we could not use gets our
    // configs to retry with.
    if cx.info.ech == EchStatus::Rejected {
        if let Some(list) = config.ech_retry_configs() {
            ee.push(Extension::EncryptedClientHello(list));
        }
    }
    // RFC 9001 §8.2: our transport parameters.
    if let Some(q) = &cx.info.quic {
        ee.push(Extension::QuicTransportParameters(q.local.clone()));
    }
    cx.send(transcript, HandshakePayload::EncryptedExtensions(ee))?;
    Ok(())
}

/// The client certificate type a full handshake asks for, and whether a
/// certificate of it is required.
fn client_verifier(config: &ServerConfig, d: &Decisions<'_>) -> Option<(CertificateType, bool)> {
    d.client_type
        .map(|(t, _)| (t, config.requires_client_cert(t)))
}

/// CertificateRequest (RFC 8446 §4.3.2): the schemes the verifier of the
/// client certificate type accepts and, for X.509, its roots' names.
/// Returns the schemes actually requested.
fn write_certificate_request(
    config: &ServerConfig,
    cx: &mut Context<'_>,
    v: &(CertificateType, bool),
    transcript: &mut Transcript,
) -> Result<Vec<SignatureScheme>, Error> {
    // RFC 8446 §4.2.3: the list also names the signatures the client's
    // certificates may carry, so RSA PKCS#1 may appear (the
    // CertificateVerify itself is held to TLS 1.3's schemes); TLS 1.3's
    // schemes go first. It may not be empty (<2..2^16-2>).
    let (mut schemes, legacy): (Vec<SignatureScheme>, Vec<SignatureScheme>) = config
        .client_schemes(v.0)?
        .into_iter()
        .filter(|s| config.allows_scheme(*s))
        .partition(|s| allowed_in_tls13(*s));
    schemes.extend(legacy);
    if schemes.is_empty() {
        return Err(Error::Config(
            "no signature scheme to ask a client certificate with".into(),
        ));
    }
    let mut exts = vec![Extension::SignatureAlgorithms(schemes.clone())];
    // RFC 8879 §3: the client may compress its certificate.
    if !config.cert_compression.is_empty() {
        exts.push(Extension::CompressCertificate(
            config.cert_compression.clone(),
        ));
    }
    // Authorities name the issuers of X.509 certificates only.
    let subjects = match v.0 {
        CertificateType::X509 => config.client_verifier()?.root_subjects(),
        _ => Vec::new(),
    };
    if !subjects.is_empty() {
        exts.push(Extension::CertificateAuthorities(subjects));
    }
    let cr = CertificateRequest13 {
        context: Vec::new(),
        extensions: exts,
    };
    let sent = cx.send(transcript, HandshakePayload::CertificateRequest13(cr))?;
    // The schemes the client may sign with: those actually requested.
    if let HandshakePayload::CertificateRequest13(cr) = sent {
        if let Some(Extension::SignatureAlgorithms(s)) = cr
            .extensions
            .into_iter()
            .find(|e| e.typ() == ExtensionType::SIGNATURE_ALGORITHMS)
        {
            return Ok(s);
        }
    }
    Ok(schemes)
}

/// Certificate and CertificateVerify (RFC 8446 §4.4.2, §4.4.3). The OCSP
/// response and the SCTs go with the end entity (§4.4.2.1).
fn write_certificate_flight(
    config: &ServerConfig,
    cx: &mut Context<'_>,
    ch: &ClientHello,
    cert: &CertifiedKey,
    scheme: SignatureScheme,
    transcript: &mut Transcript,
) -> Result<(), Error> {
    let mut leaf_exts = Vec::new();
    if let Some(o) = stapled_ocsp(ch, cert) {
        leaf_exts.push(Extension::CertificateStatus(o.to_vec()));
    }
    if let Some(l) = sent_sct_list(ch, cert) {
        leaf_exts.push(Extension::SignedCertificateTimestamps(l.to_vec()));
    }
    // RFC 8446 §4.4.2: a raw public key is the one entry (RFC 7250 §3).
    let data: Vec<&[u8]> = match &cert.raw_public_key {
        Some(k) => vec![k.as_ref()],
        None => cert.chain.iter().map(|c| c.as_ref()).collect(),
    };
    let entries = data
        .into_iter()
        .enumerate()
        .map(|(i, c)| CertificateEntry {
            cert_data: c.to_vec(),
            extensions: if i == 0 {
                std::mem::take(&mut leaf_exts)
            } else {
                Vec::new()
            },
        })
        .collect();
    let certificate = Certificate13 {
        context: Vec::new(),
        entries,
    };
    let payload = cert_compression::outgoing(
        certificate,
        &config.cert_compression,
        cert_compression::offered(&ch.extensions),
        &config.compressed_certs,
    );
    cx.send(transcript, payload)?;
    let content = tls13_signed_content(Role::Server, &transcript.current_hash());
    let signature = cert.key.sign(scheme, &content)?;
    let cv = DigitallySigned { scheme, signature };
    cx.send(transcript, HandshakePayload::CertificateVerify(cv))?;
    Ok(())
}

/// The application traffic secrets and the exporter, over the transcript
/// through the server's Finished (RFC 8446 §7.1); our application keys go
/// on at once (0.5-RTT data, §2).
fn application_secrets(
    config: Arc<ServerConfig>,
    cx: &mut Context<'_>,
    ch: &ClientHello,
    suite: &'static Tls13Suite,
    hs: HandshakeSecret,
    transcript: Transcript,
    c_hs: Secret,
) -> Result<ClientFlight, Error> {
    let master = hs.into_master();
    let (c_ap, s_ap, exporter) = master.application_secrets(&transcript.current_hash());
    cx.secret(
        &config.key_log,
        "CLIENT_TRAFFIC_SECRET_0",
        &ch.random,
        &c_ap,
    );
    cx.secret(
        &config.key_log,
        "SERVER_TRAFFIC_SECRET_0",
        &ch.random,
        &s_ap,
    );
    cx.secret(&config.key_log, "EXPORTER_SECRET", &ch.random, &exporter);
    cx.out.push(Command::write_keys(sealer(suite, &s_ap)?));
    cx.info.exporter = Some(Exporter::Tls13 {
        hash: suite.hash,
        secret: exporter,
    });
    Ok(ClientFlight {
        suite,
        transcript,
        master,
        c_hs,
        c_ap,
        s_ap,
        config,
        requested_schemes: Vec::new(),
        // RFC 8446 §4.2.9: tickets only for a client that can use them;
        // we resume with psk_dhe_ke (and psk_ke only if it is offered too).
        wants_tickets: matches!(
            ch.extension(ExtensionType::PSK_KEY_EXCHANGE_MODES),
            Some(Extension::PskKeyExchangeModes(m)) if m.contains(&PskKeyExchangeMode::PSK_DHE_KE)
        ),
    })
}
