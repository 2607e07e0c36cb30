//! The TLS 1.3 server (RFC 8446 §4.1.4, §4.2.8, §4.3, §4.4).

use super::server::{choose_alpn, choose_certificate, choose_suite, sni};
use super::traffic13::Traffic13;
use super::transcript::Transcript;
use super::{
    check_finished, list, log_secret, tls13_ccs, tls13_opener, tls13_sealer, tls13_signed_content,
    unexpected, verify_tls13_certificate_verify, Command, Context, Exporter, State,
};
use crate::codec::Codec;
use crate::config::{ClientAuth, ServerConfig};
use crate::crypto::sign::allowed_in_tls13;
use crate::crypto::suites::lookup;
use crate::crypto::{Secret, SupportedSuite, Tls13Suite};
use crate::error::{CertificateError, CertificateErrorKind, Error};
use crate::key_schedule::tls13::{
    finished_key, finished_verify_data, resumption_psk, EarlySecret, MasterSecret,
};
use crate::msgs::enums::{
    AlertDescription, CompressionMethod, ExtensionType, NamedGroup, ProtocolVersion,
    PskKeyExchangeMode, SignatureScheme,
};
use crate::msgs::extensions::{Extension, KeyShareEntry};
use crate::msgs::handshake::{
    Certificate13, CertificateEntry, CertificateRequest13, ClientHello, DigitallySigned,
    HandshakeMessage, HandshakePayload, NewSessionTicket13, ServerHello,
    HELLO_RETRY_REQUEST_RANDOM,
};
use crate::session::ServerSessionValue;
use pki_types::CertificateDer;
use std::sync::Arc;

fn illegal(reason: impl Into<String>) -> Error {
    Error::peer(AlertDescription::ILLEGAL_PARAMETER, reason)
}

fn missing(what: &str) -> Error {
    Error::peer(
        AlertDescription::MISSING_EXTENSION,
        format!("the ClientHello has no {what}"),
    )
}

/// The extensions RFC 8446 §9.2 requires of a ClientHello without a PSK.
struct Offer<'a> {
    groups: &'a [NamedGroup],
    shares: &'a [KeyShareEntry],
    schemes: &'a [SignatureScheme],
}

fn read_offer(ch: &ClientHello) -> Result<Offer<'_>, Error> {
    let groups = match ch.extension(ExtensionType::SUPPORTED_GROUPS) {
        Some(Extension::SupportedGroups(g)) => g.as_slice(),
        _ => return Err(missing("supported_groups")),
    };
    let shares = match ch.extension(ExtensionType::KEY_SHARE) {
        Some(Extension::KeyShareClient(s)) => s.as_slice(),
        _ => return Err(missing("key_share")),
    };
    let schemes = match ch.extension(ExtensionType::SIGNATURE_ALGORITHMS) {
        Some(Extension::SignatureAlgorithms(s)) => s.as_slice(),
        _ => return Err(missing("signature_algorithms")),
    };
    // RFC 8446 §4.2.8: each share's group is offered, and appears once.
    for (i, s) in shares.iter().enumerate() {
        if !groups.contains(&s.group) {
            return Err(illegal(format!(
                "a key share for {:?}, which supported_groups lacks",
                s.group
            )));
        }
        if shares[..i].iter().any(|o| o.group == s.group) {
            return Err(illegal(format!("two key shares for {:?}", s.group)));
        }
    }
    Ok(Offer {
        groups,
        shares,
        schemes,
    })
}

/// The first ClientHello of a TLS 1.3 handshake.
pub(super) fn handle_client_hello(
    config: Arc<ServerConfig>,
    cx: &mut Context<'_>,
    ch: &ClientHello,
    raw: &[u8],
) -> Result<Box<dyn State>, Error> {
    // RFC 8446 §4.1.2: exactly the null compression method.
    if ch.compression_methods != [CompressionMethod::NULL] {
        return Err(illegal(
            "TLS 1.3 requires exactly the null compression method",
        ));
    }
    let SupportedSuite::Tls13(suite) =
        choose_suite(&config, ch, ProtocolVersion::TLSV1_3, |_| true)?
    else {
        return Err(Error::InvalidState("a TLS 1.2 suite for TLS 1.3"));
    };
    // psk_ke (RFC 8446 §4.2.9), when both sides allow it and the ticket is
    // good: no key exchange at all, so no HelloRetryRequest either.
    let offers_psk_ke = matches!(
        ch.extension(ExtensionType::PSK_KEY_EXCHANGE_MODES),
        Some(Extension::PskKeyExchangeModes(m)) if m.contains(&PskKeyExchangeMode::PSK_KE)
    );
    if config.psk_ke && offers_psk_ke {
        let transcript = Transcript::with_hash(suite.hash);
        let name = sni(ch)?.map(|n| n.as_ref().to_string());
        if let Some(psk) = accept_psk(&config, ch, raw, &transcript, suite, name.as_deref())? {
            return send_server_flight(
                config,
                cx,
                ch,
                raw,
                suite,
                KeyExchange::PskOnly(Box::new(psk)),
                transcript,
                false,
            );
        }
    }
    let offer = read_offer(ch)?;
    let ours = config.kx_groups();
    // A group the client sent a share for avoids a round trip; otherwise
    // our first group that it supports, through HelloRetryRequest.
    let with_share = ours
        .iter()
        .find(|g| offer.shares.iter().any(|s| s.group == g.name()))
        .map(|g| g.name());
    let any = ours
        .iter()
        .find(|g| offer.groups.contains(&g.name()))
        .map(|g| g.name());
    let group = with_share.or(any).ok_or_else(|| Error::NoCommon {
        what: "key exchange group",
        ours: list(&ours.iter().map(|g| g.name()).collect::<Vec<_>>()),
        theirs: list(offer.groups),
    })?;

    let mut transcript = Transcript::with_hash(suite.hash);
    if with_share.is_some() {
        return send_server_flight(
            config,
            cx,
            ch,
            raw,
            suite,
            KeyExchange::Dhe(group),
            transcript,
            false,
        );
    }
    transcript.add(raw);

    // HelloRetryRequest (RFC 8446 §4.1.4).
    transcript.rollup_for_hrr(suite.hash);
    // key_share, cookie, supported_versions, as in RFC 8448 §5.
    let mut exts = vec![Extension::KeyShareHelloRetryRequest(group)];
    if config.send_cookie {
        let mut c = vec![0u8; 32];
        config.random.fill(&mut c)?;
        exts.push(Extension::Cookie(c));
    }
    exts.push(Extension::SupportedVersionsServer(ProtocolVersion::TLSV1_3));
    let hrr = ServerHello {
        legacy_version: ProtocolVersion::TLSV1_2,
        random: HELLO_RETRY_REQUEST_RANDOM,
        legacy_session_id: ch.legacy_session_id.clone(),
        cipher_suite: suite.suite,
        compression_method: CompressionMethod::NULL,
        extensions: exts,
    };
    let hrr = super::shaped(&config.shaper, HandshakePayload::ServerHello(hrr))?;
    // The cookie the client must return: the one actually sent.
    let cookie = match &hrr.payload {
        HandshakePayload::ServerHello(h) => match h.extension(ExtensionType::COOKIE) {
            Some(Extension::Cookie(c)) => Some(c.clone()),
            _ => None,
        },
        _ => None,
    };
    let raw_hrr = cx.send(&hrr);
    transcript.add(raw_hrr);
    let sent_ccs = !ch.legacy_session_id.is_empty();
    if sent_ccs {
        cx.out.push(Command::SendCcs);
    }
    // 0-RTT sent with the first hello is skipped (RFC 8446 §4.2.10).
    if ch.extension(ExtensionType::EARLY_DATA).is_some() {
        cx.out
            .push(Command::SkipEarlyData(early_skip_budget(&config)));
        cx.info.early_data = Some(false);
    }
    cx.info.hello_retry = true;
    Ok(Box::new(ExpectSecondClientHello {
        config,
        suite,
        group,
        cookie,
        transcript,
        first: ch.clone(),
        sent_ccs,
    }))
}

/// The extensions a client must repeat unchanged, in the same order, after
/// a HelloRetryRequest (RFC 8446 §4.1.2): all but the key share, the
/// cookie, early_data (removed), padding and the PSK (whose ages and
/// binders are recomputed).
fn unchanged_by_retry(ch: &ClientHello) -> impl Iterator<Item = &Extension> {
    ch.extensions.iter().filter(|e| {
        !matches!(
            e.typ(),
            ExtensionType::KEY_SHARE
                | ExtensionType::COOKIE
                | ExtensionType::EARLY_DATA
                | ExtensionType::PADDING
                | ExtensionType::PRE_SHARED_KEY
        )
    })
}

struct ExpectSecondClientHello {
    config: Arc<ServerConfig>,
    suite: &'static Tls13Suite,
    group: NamedGroup,
    cookie: Option<Vec<u8>>,
    transcript: Transcript,
    first: ClientHello,
    sent_ccs: bool,
}

impl State for ExpectSecondClientHello {
    fn handle(
        self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage,
        raw: &[u8],
    ) -> Result<Box<dyn State>, Error> {
        let HandshakePayload::ClientHello(ch) = &msg.payload else {
            return Err(unexpected(&msg, "the second ClientHello"));
        };
        // RFC 8446 §4.1.2: the same hello, but for the key share, the
        // cookie, early_data and padding.
        if ch.legacy_version != self.first.legacy_version
            || ch.random != self.first.random
            || ch.legacy_session_id != self.first.legacy_session_id
            || ch.cipher_suites != self.first.cipher_suites
            || ch.compression_methods != [CompressionMethod::NULL]
        {
            return Err(illegal("the second ClientHello differs from the first"));
        }
        if !unchanged_by_retry(ch).eq(unchanged_by_retry(&self.first)) {
            return Err(illegal(
                "the second ClientHello's extensions differ from the first's \
                 (other than key_share, cookie, early_data, padding and pre_shared_key)",
            ));
        }
        if !matches!(
            ch.extension(ExtensionType::SUPPORTED_VERSIONS),
            Some(Extension::SupportedVersionsClient(v)) if v.contains(&ProtocolVersion::TLSV1_3)
        ) {
            return Err(illegal("the second ClientHello does not offer TLS 1.3"));
        }
        if ch.extension(ExtensionType::EARLY_DATA).is_some() {
            return Err(illegal("early_data in the second ClientHello"));
        }
        let offer = read_offer(ch)?;
        if offer.shares.len() != 1 || offer.shares[0].group != self.group {
            return Err(illegal(format!(
                "the second ClientHello must hold one key share, for {:?}",
                self.group
            )));
        }
        if let Some(c) = &self.cookie {
            match ch.extension(ExtensionType::COOKIE) {
                Some(Extension::Cookie(got)) if got == c => {}
                _ => return Err(illegal("the second ClientHello does not return our cookie")),
            }
        }
        send_server_flight(
            self.config,
            cx,
            ch,
            raw,
            self.suite,
            KeyExchange::Dhe(self.group),
            self.transcript,
            self.sent_ccs,
        )
    }

    fn handle_ccs(self: Box<Self>, _cx: &mut Context<'_>) -> Result<Box<dyn State>, Error> {
        tls13_ccs(self)
    }

    fn version(&self) -> ProtocolVersion {
        ProtocolVersion::TLSV1_3
    }
}

/// How the handshake's shared secret is made: (EC)DHE with a group
/// (psk_dhe_ke, or no PSK), or the PSK alone (psk_ke).
enum KeyExchange {
    Dhe(NamedGroup),
    PskOnly(Box<AcceptedPsk>),
}

/// A resumption PSK accepted from the client's pre_shared_key.
struct AcceptedPsk {
    index: u16,
    psk: Secret,
    value: ServerSessionValue,
    binder: Vec<u8>,
    obfuscated_age: u32,
}

impl AcceptedPsk {
    /// Whether the client's idea of the ticket's age is within ten seconds
    /// of ours (RFC 8446 §8.3): 0-RTT outside that window may be a replay.
    fn fresh(&self, now_ms: u64) -> bool {
        let client_ms = u64::from(self.obfuscated_age.wrapping_sub(self.value.age_add));
        let server_ms = now_ms.saturating_sub(self.value.created.saturating_mul(1000));
        client_ms.abs_diff(server_ms) <= 11_000
    }
}

/// Looks for a usable ticket among the client's PSK identities: one we
/// issued, alive, for a suite of the chosen suite's hash, for the same
/// server name. Its binder must verify (RFC 8446 §4.2.11).
fn accept_psk(
    config: &ServerConfig,
    ch: &ClientHello,
    raw: &[u8],
    transcript: &Transcript,
    suite: &'static Tls13Suite,
    sni: Option<&str>,
) -> Result<Option<AcceptedPsk>, Error> {
    let offer = match ch.extension(ExtensionType::PRE_SHARED_KEY) {
        Some(Extension::PreSharedKeyClient(offer)) => offer,
        Some(Extension::BadPreSharedKey(e, _)) => return Err(Error::decode("pre_shared_key", *e)),
        _ => return Ok(None),
    };
    // RFC 8446 §4.2.9: a PSK without psk_key_exchange_modes is refused.
    let modes = match ch.extension(ExtensionType::PSK_KEY_EXCHANGE_MODES) {
        Some(Extension::PskKeyExchangeModes(m)) => m,
        _ => {
            return Err(Error::peer(
                AlertDescription::MISSING_EXTENSION,
                "pre_shared_key without psk_key_exchange_modes",
            ))
        }
    };
    let usable_mode = modes.contains(&PskKeyExchangeMode::PSK_DHE_KE)
        || (config.psk_ke && modes.contains(&PskKeyExchangeMode::PSK_KE));
    if !usable_mode {
        return Ok(None);
    }
    let now = config.time.now().as_secs();
    for (i, id) in offer.identities.iter().enumerate() {
        let plain = if config.stateful_tickets {
            config
                .session_cache
                .as_ref()
                .and_then(|c| c.take(&id.identity))
        } else {
            config
                .ticket_keys
                .as_ref()
                .and_then(|k| k.open(&id.identity, now))
        };
        let Some(value) = plain.and_then(|p| ServerSessionValue::decode(&p).ok()) else {
            continue;
        };
        let same_hash =
            matches!(lookup(value.suite), Some(SupportedSuite::Tls13(s)) if s.hash == suite.hash);
        let alive = now <= value.created.saturating_add(u64::from(value.lifetime));
        // RFC 8446 §4.6.1, §4.2.11: the same server name.
        if value.version != ProtocolVersion::TLSV1_3
            || !same_hash
            || !alive
            || value.sni.as_deref() != sni
        {
            continue;
        }
        let binder = offer
            .binders
            .get(i)
            .ok_or(Error::InvalidState("binder count"))?;
        let truncated = &raw[..raw.len().saturating_sub(offer.binders_len())];
        let binder_key = EarlySecret::new(suite.hash, Some(&value.secret)).binder_key(true);
        let key = finished_key(suite.hash, binder_key.as_bytes());
        if !suite.hash.hmac_verify(
            key.as_bytes(),
            &transcript.hash_with(suite.hash, truncated),
            binder,
        ) {
            return Err(Error::peer(
                AlertDescription::DECRYPT_ERROR,
                "the client's PSK binder is wrong",
            ));
        }
        return Ok(Some(AcceptedPsk {
            index: i as u16,
            psk: Secret::new(value.secret.clone()),
            value,
            binder: binder.clone(),
            obfuscated_age: id.obfuscated_ticket_age,
        }));
    }
    Ok(None)
}

/// ServerHello, EncryptedExtensions, and for a full handshake
/// [CertificateRequest], Certificate and CertificateVerify; Finished.
/// `transcript` holds what came before this ClientHello (`raw`).
#[allow(clippy::too_many_arguments)]
fn send_server_flight(
    config: Arc<ServerConfig>,
    cx: &mut Context<'_>,
    ch: &ClientHello,
    raw_ch: &[u8],
    suite: &'static Tls13Suite,
    key_exchange: KeyExchange,
    mut transcript: Transcript,
    sent_ccs: bool,
) -> Result<Box<dyn State>, Error> {
    let name = sni(ch)?;
    let sni_text = name.as_ref().map(|n| n.as_ref().to_string());
    let (group, share, schemes, psk) = match key_exchange {
        KeyExchange::Dhe(group) => {
            let offer = read_offer(ch)?;
            let share = offer
                .shares
                .iter()
                .find(|s| s.group == group)
                .ok_or_else(|| illegal("no key share for the chosen group"))?;
            let psk = accept_psk(&config, ch, raw_ch, &transcript, suite, sni_text.as_deref())?;
            (Some(group), Some(share), offer.schemes, psk)
        }
        KeyExchange::PskOnly(psk) => (None, None, &[][..], Some(*psk)),
    };
    transcript.add(raw_ch);
    let client_hello_hash = transcript.current_hash();
    let cert = match psk {
        Some(_) => None,
        None => {
            let cert = choose_certificate(&config, ch, name.as_ref(), |c| {
                c.key.choose_scheme(schemes, true).is_some()
            })
            .ok_or_else(|| Error::NoCommon {
                what: "signature scheme",
                ours: list(
                    &config
                        .certs
                        .iter()
                        .flat_map(|c| c.key.schemes().to_vec())
                        .collect::<Vec<_>>(),
                ),
                theirs: list(schemes),
            })?;
            let scheme = cert
                .key
                .choose_scheme(schemes, true)
                .ok_or(Error::InvalidState("no scheme for the chosen certificate"))?;
            Some((cert, scheme))
        }
    };
    let alpn = choose_alpn(&config, ch)?;
    // RFC 8446 §4.2.10: 0-RTT only with the first PSK, the same suite and
    // ALPN as the ticket's session, a fresh ticket age, and a binder never
    // seen before (checked last: it records the binder).
    let wants_early = ch.extension(ExtensionType::EARLY_DATA).is_some();
    let now_ms = config.time.now_ms();
    let accept_early = wants_early
        && config.max_early_data > 0
        && psk.as_ref().is_some_and(|p| {
            p.index == 0
                && p.value.max_early_data > 0
                && p.value.suite == suite.suite
                && p.value.alpn == alpn
                && p.fresh(now_ms)
                && config.strike_register.first_use(&p.binder)
        });

    // pre_shared_key, key_share, supported_versions: the order of RFC 8448's
    // traces, so that they replay without reordering.
    let mut sh_exts = Vec::new();
    if let Some(p) = &psk {
        sh_exts.push(Extension::PreSharedKeyServer(p.index));
    }
    let shared_secret = match (group, share) {
        (Some(group), Some(share)) => {
            let kx = config
                .kx_groups()
                .into_iter()
                .find(|g| g.name() == group)
                .ok_or(Error::InvalidState("chosen group vanished"))?
                .start()?;
            sh_exts.push(Extension::KeyShareServer(KeyShareEntry {
                group,
                key_exchange: kx.public_key().to_vec(),
            }));
            Some(kx.complete(&share.key_exchange)?)
        }
        _ => None,
    };

    sh_exts.push(Extension::SupportedVersionsServer(ProtocolVersion::TLSV1_3));
    let mut random = [0u8; 32];
    config.random.fill(&mut random)?;
    let sh = ServerHello {
        legacy_version: ProtocolVersion::TLSV1_2,
        random,
        legacy_session_id: ch.legacy_session_id.clone(),
        cipher_suite: suite.suite,
        compression_method: CompressionMethod::NULL,
        extensions: sh_exts,
    };
    let raw = cx.send(&super::shaped(
        &config.shaper,
        HandshakePayload::ServerHello(sh),
    )?);
    transcript.add(raw);
    // RFC 8446 D.4: a compatibility-mode client gets a ChangeCipherSpec.
    if !sent_ccs && !ch.legacy_session_id.is_empty() {
        cx.out.push(Command::SendCcs);
    }

    let hello_hash = transcript.current_hash();
    let early = EarlySecret::new(suite.hash, psk.as_ref().map(|p| p.psk.as_bytes()));
    let hs = early.into_handshake(shared_secret.as_ref().map(|s| s.as_bytes()));
    let (c_hs, s_hs) = hs.traffic_secrets(&hello_hash);
    let log = &config.key_log;
    log_secret(
        cx,
        log,
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
        &ch.random,
        &c_hs,
    );
    log_secret(
        cx,
        log,
        "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        &ch.random,
        &s_hs,
    );
    cx.out.push(Command::WriteKeys(tls13_sealer(suite, &s_hs)?));
    if let (true, Some(p)) = (accept_early, &psk) {
        let early = EarlySecret::new(suite.hash, Some(p.psk.as_bytes()));
        let secret = early.client_early_traffic_secret(&client_hello_hash);
        log_secret(cx, log, "CLIENT_EARLY_TRAFFIC_SECRET", &ch.random, &secret);
        cx.info.early_exporter = Some(Exporter::Tls13 {
            hash: suite.hash,
            secret: early.early_exporter_master_secret(&client_hello_hash),
        });
        cx.out
            .push(Command::ReadKeys(tls13_opener(suite, &secret)?));
        cx.out
            .push(Command::EarlyReceive(Some(config.max_early_data as usize)));
        cx.info.early_data = Some(true);
    } else {
        cx.out.push(Command::ReadKeys(tls13_opener(suite, &c_hs)?));
        if wants_early {
            cx.out
                .push(Command::SkipEarlyData(early_skip_budget(&config)));
            cx.info.early_data = Some(false);
        }
    }
    cx.info.suite = Some(SupportedSuite::Tls13(suite));
    cx.info.group = group;
    cx.info.alpn = alpn.clone();
    if let Some(p) = &psk {
        cx.info.resumed = true;
        cx.info.peer_certs = p
            .value
            .client_certs
            .iter()
            .map(|c| CertificateDer::from(c.clone()))
            .collect();
    }

    let mut ee = Vec::new();
    if let Some(Extension::RecordSizeLimit(limit)) = ch.extension(ExtensionType::RECORD_SIZE_LIMIT)
    {
        cx.info.peer_record_size_limit = Some(*limit);
        // RFC 8449 §4: TLS 1.3's limit counts the content type byte.
        ee.push(Extension::RecordSizeLimit(
            (crate::record::MAX_FRAGMENT_LEN + 1) as u16,
        ));
    }
    // A resumed session does not acknowledge server_name (RFC 6066 §3).
    if name.is_some() && psk.is_none() {
        ee.push(Extension::ServerNameAck);
    }
    if let Some(p) = alpn {
        ee.push(Extension::Alpn(vec![p]));
    }
    if accept_early {
        ee.push(Extension::EarlyData);
    }
    let raw = cx.send(&super::shaped(
        &config.shaper,
        HandshakePayload::EncryptedExtensions(ee),
    )?);
    transcript.add(raw);

    let verifier = match (&config.client_auth, &cert) {
        (_, None) | (ClientAuth::None, _) => None,
        (ClientAuth::Optional(v), _) => Some((v.clone(), false)),
        (ClientAuth::Required(v), _) => Some((v.clone(), true)),
    };
    let mut requested_schemes = Vec::new();
    if let Some((v, _)) = &verifier {
        requested_schemes = v
            .supported_schemes()
            .into_iter()
            .filter(|s| allowed_in_tls13(*s))
            .collect();
        let mut exts = vec![Extension::SignatureAlgorithms(requested_schemes.clone())];
        let subjects = v.root_subjects();
        if !subjects.is_empty() {
            exts.push(Extension::CertificateAuthorities(subjects));
        }
        let cr = super::shaped(
            &config.shaper,
            HandshakePayload::CertificateRequest13(CertificateRequest13 {
                context: Vec::new(),
                extensions: exts,
            }),
        )?;
        // The schemes the client may sign with: those actually requested.
        if let HandshakePayload::CertificateRequest13(cr) = &cr.payload {
            if let Some(Extension::SignatureAlgorithms(s)) = cr
                .extensions
                .iter()
                .find(|e| e.typ() == ExtensionType::SIGNATURE_ALGORITHMS)
            {
                requested_schemes.clone_from(s);
            }
        }
        let raw = cx.send(&cr);
        transcript.add(raw);
    }

    if let Some((cert, scheme)) = cert {
        // RFC 8446 §4.4.2.1: the OCSP response goes with the end entity.
        // So do its SCTs (RFC 8446 §4.4.2).
        let mut leaf_exts = Vec::new();
        if let Some(o) = super::server::stapled_ocsp(ch, cert) {
            leaf_exts.push(Extension::CertificateStatus(o.to_vec()));
        }
        if let Some(l) = super::server::sent_sct_list(ch, cert) {
            leaf_exts.push(Extension::SignedCertificateTimestamps(l.to_vec()));
        }
        let entries = cert
            .chain
            .iter()
            .enumerate()
            .map(|(i, c)| CertificateEntry {
                cert_data: c.as_ref().to_vec(),
                extensions: if i == 0 {
                    std::mem::take(&mut leaf_exts)
                } else {
                    Vec::new()
                },
            })
            .collect();
        let raw = cx.send(&HandshakeMessage::new(HandshakePayload::Certificate13(
            Certificate13 {
                context: Vec::new(),
                entries,
            },
        )));
        transcript.add(raw);
        let content = tls13_signed_content(true, &transcript.current_hash());
        let signature = cert.key.sign(scheme, &content)?;
        let raw = cx.send(&HandshakeMessage::new(HandshakePayload::CertificateVerify(
            DigitallySigned { scheme, signature },
        )));
        transcript.add(raw);
    }
    let fin = finished_verify_data(suite.hash, s_hs.as_bytes(), &transcript.current_hash());
    let raw = cx.send(&HandshakeMessage::new(HandshakePayload::Finished(
        fin.to_vec(),
    )));
    transcript.add(raw);

    let master = hs.into_master();
    let handshake_hash = transcript.current_hash();
    let (c_ap, s_ap, exporter) = master.application_secrets(&handshake_hash);
    log_secret(cx, log, "CLIENT_TRAFFIC_SECRET_0", &ch.random, &c_ap);
    log_secret(cx, log, "SERVER_TRAFFIC_SECRET_0", &ch.random, &s_ap);
    log_secret(cx, log, "EXPORTER_SECRET", &ch.random, &exporter);
    cx.out.push(Command::WriteKeys(tls13_sealer(suite, &s_ap)?));
    cx.info.exporter = Some(Exporter::Tls13 {
        hash: suite.hash,
        secret: exporter,
    });

    let rest = ClientFlight {
        suite,
        transcript,
        master,
        c_hs,
        c_ap,
        s_ap,
        config,
        requested_schemes,
        wants_tickets: matches!(
            ch.extension(ExtensionType::PSK_KEY_EXCHANGE_MODES),
            Some(Extension::PskKeyExchangeModes(m)) if m.contains(&PskKeyExchangeMode::PSK_DHE_KE)
        ),
    };
    Ok(match verifier {
        Some((_, required)) => Box::new(ExpectCertificate { rest, required }),
        None if accept_early => Box::new(ExpectEndOfEarlyData { rest }),
        None => Box::new(ExpectFinished { rest }),
    })
}

/// How much rejected 0-RTT a server skips, counted in record bytes: its
/// own limit, or one full record's plaintext when it takes no early data.
fn early_skip_budget(config: &ServerConfig) -> usize {
    (config.max_early_data as usize).max(crate::record::MAX_FRAGMENT_LEN)
}

/// Accepted 0-RTT data until EndOfEarlyData (RFC 8446 §4.5).
struct ExpectEndOfEarlyData {
    rest: ClientFlight,
}

impl State for ExpectEndOfEarlyData {
    fn handle(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage,
        raw: &[u8],
    ) -> Result<Box<dyn State>, Error> {
        let HandshakePayload::EndOfEarlyData = &msg.payload else {
            return Err(unexpected(&msg, "EndOfEarlyData"));
        };
        self.rest.transcript.add(raw);
        cx.out.push(Command::EarlyReceive(None));
        cx.out.push(Command::ReadKeys(tls13_opener(
            self.rest.suite,
            &self.rest.c_hs,
        )?));
        Ok(Box::new(ExpectFinished { rest: self.rest }))
    }

    fn handle_ccs(self: Box<Self>, _cx: &mut Context<'_>) -> Result<Box<dyn State>, Error> {
        tls13_ccs(self)
    }

    fn version(&self) -> ProtocolVersion {
        ProtocolVersion::TLSV1_3
    }
}

/// Sends the configured number of NewSessionTickets (RFC 8446 §4.6.1).
fn send_tickets(
    cx: &mut Context<'_>,
    r: &ClientFlight,
    resumption_master_secret: &Secret,
) -> Result<(), Error> {
    let config = &r.config;
    if !r.wants_tickets {
        return Ok(());
    }
    let now = config.time.now().as_secs();
    for i in 0..config.tickets.min(255) {
        // A two-byte counter, unique per connection (RFC 8446 §4.6.1), the
        // form RFC 8448's traces use.
        let nonce = (i as u16).to_be_bytes().to_vec();
        let psk = resumption_psk(r.suite.hash, resumption_master_secret.as_bytes(), &nonce);
        let mut age_add = [0u8; 4];
        config.random.fill(&mut age_add)?;
        let age_add = u32::from_be_bytes(age_add);
        let mut value = ServerSessionValue {
            version: ProtocolVersion::TLSV1_3,
            suite: r.suite.suite,
            secret: psk.as_bytes().to_vec(),
            created: now,
            age_add,
            lifetime: config.ticket_lifetime,
            extended_master_secret: false,
            sni: cx.info.sni.clone(),
            alpn: cx.info.alpn.clone(),
            max_early_data: config.max_early_data,
            client_certs: cx
                .info
                .peer_certs
                .iter()
                .map(|c| c.as_ref().to_vec())
                .collect(),
            group: None,
        };
        let stateful = config
            .session_cache
            .as_ref()
            .filter(|_| config.stateful_tickets);
        let ticket = match (stateful, &config.ticket_keys) {
            (Some(_), _) => {
                let mut id = vec![0u8; 32];
                config.random.fill(&mut id)?;
                id
            }
            (None, Some(keys)) => keys.seal(&value.get_encoding(), now)?,
            (None, None) => return Ok(()),
        };
        let msg = super::shaped(
            &config.shaper,
            HandshakePayload::NewSessionTicket13(NewSessionTicket13 {
                lifetime: config.ticket_lifetime,
                age_add,
                nonce,
                ticket,
                extensions: if config.max_early_data > 0 {
                    vec![Extension::EarlyDataMax(config.max_early_data)]
                } else {
                    Vec::new()
                },
            }),
        )?;
        if let (Some(cache), HandshakePayload::NewSessionTicket13(t)) = (stateful, &msg.payload) {
            // Filed under what the client was actually sent.
            value.age_add = t.age_add;
            value.secret =
                resumption_psk(r.suite.hash, resumption_master_secret.as_bytes(), &t.nonce)
                    .as_bytes()
                    .to_vec();
            cache.put(t.ticket.clone(), value.get_encoding());
        }
        cx.send(&msg);
    }
    Ok(())
}

/// What the server carries while it reads the client's second flight.
struct ClientFlight {
    suite: &'static Tls13Suite,
    transcript: Transcript,
    master: MasterSecret,
    c_hs: Secret,
    c_ap: Secret,
    s_ap: Secret,
    config: Arc<ServerConfig>,
    requested_schemes: Vec<SignatureScheme>,
    /// Whether the client can use a ticket: it offered psk_dhe_ke, the
    /// only mode we resume with (RFC 8446 §4.2.9).
    wants_tickets: bool,
}

struct ExpectCertificate {
    rest: ClientFlight,
    required: bool,
}

impl State for ExpectCertificate {
    fn handle(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage,
        raw: &[u8],
    ) -> Result<Box<dyn State>, Error> {
        let HandshakePayload::Certificate13(cert) = &msg.payload else {
            return Err(unexpected(&msg, "the client's Certificate"));
        };
        if !cert.context.is_empty() {
            return Err(illegal("the client's Certificate has a non-empty context"));
        }
        if cert.entries.iter().any(|e| !e.extensions.is_empty()) {
            return Err(Error::peer(
                AlertDescription::UNSUPPORTED_EXTENSION,
                "extensions in the client's CertificateEntry that we did not ask for",
            ));
        }
        self.rest.transcript.add(raw);
        let Some((ee, rest)) = cert.entries.split_first() else {
            if self.required {
                return Err(Error::InvalidCertificate(CertificateError {
                    kind: CertificateErrorKind::Missing,
                    detail: "this server requires a client certificate".into(),
                }));
            }
            return Ok(Box::new(ExpectFinished { rest: self.rest }));
        };
        let end_entity = CertificateDer::from(ee.cert_data.clone());
        let intermediates: Vec<CertificateDer<'static>> = rest
            .iter()
            .map(|e| CertificateDer::from(e.cert_data.clone()))
            .collect();
        let v = self.rest.config.client_verifier()?;
        v.verify_client_cert(&end_entity, &intermediates, self.rest.config.time.now())?;
        cx.info.peer_certs = std::iter::once(end_entity).chain(intermediates).collect();
        Ok(Box::new(ExpectCertificateVerify { rest: self.rest }))
    }

    fn handle_ccs(self: Box<Self>, _cx: &mut Context<'_>) -> Result<Box<dyn State>, Error> {
        tls13_ccs(self)
    }

    fn version(&self) -> ProtocolVersion {
        ProtocolVersion::TLSV1_3
    }
}

struct ExpectCertificateVerify {
    rest: ClientFlight,
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
        if !self.rest.requested_schemes.contains(&cv.scheme) {
            return Err(illegal(format!(
                "the client signed with {:?}, which we did not ask for",
                cv.scheme
            )));
        }
        let v = self.rest.config.client_verifier()?;
        verify_tls13_certificate_verify(
            cx,
            cv,
            false,
            &self.rest.transcript.current_hash(),
            &|cert, scheme, message, signature| {
                v.verify_handshake_signature(cert, scheme, message, signature, true)
            },
        )?;
        self.rest.transcript.add(raw);
        Ok(Box::new(ExpectFinished { rest: self.rest }))
    }

    fn handle_ccs(self: Box<Self>, _cx: &mut Context<'_>) -> Result<Box<dyn State>, Error> {
        tls13_ccs(self)
    }

    fn version(&self) -> ProtocolVersion {
        ProtocolVersion::TLSV1_3
    }
}

struct ExpectFinished {
    rest: ClientFlight,
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
        let mut r = self.rest;
        let expected = finished_verify_data(
            r.suite.hash,
            r.c_hs.as_bytes(),
            &r.transcript.current_hash(),
        );
        check_finished(&expected, verify_data, "client")?;
        r.transcript.add(raw);
        cx.out
            .push(Command::ReadKeys(tls13_opener(r.suite, &r.c_ap)?));
        let resumption = r
            .master
            .resumption_master_secret(&r.transcript.current_hash());
        cx.out.push(Command::Done);
        send_tickets(cx, &r, &resumption)?;
        Ok(Box::new(Connected {
            traffic: Traffic13::new(r.suite, r.s_ap, r.c_ap),
        }))
    }

    fn handle_ccs(self: Box<Self>, _cx: &mut Context<'_>) -> Result<Box<dyn State>, Error> {
        tls13_ccs(self)
    }

    fn version(&self) -> ProtocolVersion {
        ProtocolVersion::TLSV1_3
    }
}

struct Connected {
    traffic: Traffic13,
}

impl State for Connected {
    fn handle(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage,
        _raw: &[u8],
    ) -> Result<Box<dyn State>, Error> {
        match &msg.payload {
            HandshakePayload::KeyUpdate(req) => {
                self.traffic.received_update(cx, *req)?;
                Ok(self)
            }
            _ => Err(unexpected(&msg, "KeyUpdate")),
        }
    }

    connected13_methods!();
}
