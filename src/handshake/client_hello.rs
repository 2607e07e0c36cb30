//! The client's first flight: the ClientHello (RFC 8446 §4.1.2, RFC 5246
//! §7.4.1.2), with a session to resume and 0-RTT data where the
//! configuration allows them.

use super::client::ExpectServerHello;
use super::client_common::{
    fill_binders, psk_extension, reverify_session, ClientShared, HelloSent, OfferedPsk, PskOrigin,
};
use super::ech_client::{self, EchOffer};
use super::transcript::Transcript;
use super::{tls13, Command, Context, Exporter, State};
use crate::config::{ChosenEchConfig, ClientConfig, EarlyDataReason, EchStatus};
use crate::crypto::suites::{lookup, SupportedSuite};
use crate::crypto::{ActiveKeyExchange, HashAlgorithm, Secret};
use crate::error::Error;
use crate::key_schedule::tls13::EarlySecret;
use crate::msgs::ech::EchClientHello;
use crate::msgs::enums::{
    CertificateStatusType, CipherSuite, CompressionMethod, EcPointFormat, ExtensionType,
    NamedGroup, ProtocolVersion, PskKeyExchangeMode, ServerNameType, SignatureScheme,
};
use crate::msgs::extensions::{
    CertificateStatusRequest, Extension, KeyShareEntry, ServerName as SniEntry,
};
use crate::msgs::handshake::{ClientHello, HandshakePayload};
use crate::session::{SessionKey, Tls12Session, Tls13Ticket};
use pki_types::ServerName;
use std::sync::Arc;

/// What the client offers, worked out before the hello is written.
struct Offer {
    tls13: bool,
    tls12: bool,
    suites: Vec<CipherSuite>,
    key_shares: Vec<Box<dyn ActiveKeyExchange>>,
    tls12_session: Option<Tls12Session>,
    /// The TLS 1.3 PSKs: a ticket first, then the external PSKs.
    psks: Vec<OfferedPsk>,
    /// 0-RTT: the first PSK allows it and the configuration asks for it.
    early: bool,
    /// Why there is no 0-RTT, when there is none.
    no_early: Option<EarlyDataReason>,
    session_id: Vec<u8>,
    /// The GREASE values of this hello (RFC 8701), if the configuration
    /// asks for them.
    grease: Option<Grease>,
}

/// One hello's GREASE values (RFC 8701 §2): reserved code points that a
/// server must ignore, so that servers which choke on values they do not
/// know are found out. A second ClientHello keeps them, but for the key
/// share, which the server's choice replaces (RFC 8446 §4.1.2).
#[derive(Debug, Clone, Copy)]
struct Grease {
    suite: u16,
    group: u16,
    version: u16,
    scheme: u16,
    /// An empty extension first, and one with a byte near the end: two
    /// different types (RFC 8446 §4.2: no type twice).
    extensions: [u16; 2],
}

impl Grease {
    /// Values drawn from `random`, each one of 0x0A0A, 0x1A1A, ... 0xFAFA.
    fn new(random: &dyn crate::crypto::RandomSource) -> Result<Self, Error> {
        let mut b = [0u8; 6];
        random.fill(&mut b)?;
        let value = |x: u8| {
            let n = u16::from(x & 0xf0);
            (n << 8) | 0x0a00 | n | 0x0a
        };
        let first = value(b[4]);
        let mut second = value(b[5]);
        if second == first {
            second ^= 0x1010;
        }
        Ok(Grease {
            suite: value(b[0]),
            group: value(b[1]),
            version: value(b[2]),
            scheme: value(b[3]),
            extensions: [first, second],
        })
    }
}

/// Builds and sends the ClientHello; returns the state awaiting ServerHello.
/// With an ECH config (RFC 9849 §6.1) the hello built is ClientHelloInner,
/// sealed into a ClientHelloOuter for the config's public name; without
/// one, GREASE ECH (§6.2.1) may go in it.
pub(crate) fn start_client(
    config: Arc<ClientConfig>,
    server_name: ServerName<'static>,
    cx: &mut Context<'_>,
) -> Result<Box<dyn State>, Error> {
    let mut client_random = [0u8; 32];
    config.random.fill(&mut client_random)?;
    let cache_key = config.session_key_for(&server_name);
    let tls13 = config.versions.contains(&ProtocolVersion::TLSV1_3);
    let ech = config
        .ech
        .as_ref()
        .filter(|_| tls13)
        .and_then(|list| list.choose());
    let quic_version = cx.info.quic.as_ref().map(|q| q.version);
    let offer = make_offer(&config, &cache_key, ech.is_some(), quic_version)?;
    let (hello, ech_status) = build_hello(
        &config,
        &server_name,
        cx,
        &offer,
        ech.is_some(),
        client_random,
    )?;
    cx.info.ech = ech_status;
    let mut shared = ClientShared {
        config,
        server_name,
        client_random,
        session_id: offer.session_id.clone(),
        offered: Vec::new(),
        sent_ccs: false,
        cache_key,
        ech: ech_status,
    };
    let mut transcript = Transcript::new();
    let (hello, ech_offer) = match ech {
        None => {
            let h = send_client_hello(cx, &mut shared, &mut transcript, hello, &offer.psks)?;
            (h, None)
        }
        Some(chosen) => {
            let (outer, ech_offer) =
                send_ech_hellos(cx, &mut shared, &mut transcript, hello, &offer, chosen)?;
            (outer, Some(ech_offer))
        }
    };
    let early_transcript = match &ech_offer {
        Some(e) => &e.inner_transcript,
        None => &transcript,
    };
    let early_offered = offer_early_data(&mut shared, cx, &offer, early_transcript)?;
    Ok(Box::new(ExpectServerHello(HelloSent {
        shared,
        hello,
        transcript,
        key_shares: offer.key_shares,
        psks: offer.psks,
        tls12_session: offer.tls12_session,
        early_offered,
        ech: ech_offer,
    })))
}

/// The ClientHello (ClientHelloInner when `ech`, §5: with the inner
/// variant of the extension), and what becomes of ECH: GREASE goes in a
/// hello without a config when the configuration asks for it (§6.2).
fn build_hello(
    config: &ClientConfig,
    server_name: &ServerName<'static>,
    cx: &mut Context<'_>,
    offer: &Offer,
    ech: bool,
    client_random: [u8; 32],
) -> Result<(ClientHello, EchStatus), Error> {
    let mut exts = extensions(config, server_name, offer);
    insert_quic_transport_parameters(cx, &mut exts);
    let tls13 = config.versions.contains(&ProtocolVersion::TLSV1_3);
    let ech_status = match (ech, config.ech_grease && tls13) {
        (true, _) => {
            // §5: ClientHelloInner carries the inner variant.
            let inner = Extension::EncryptedClientHello(EchClientHello::Inner.encode());
            ech_client::insert_before_psk(&mut exts, inner);
            EchStatus::NotOffered
        }
        (false, true) => EchStatus::Grease,
        (false, false) => EchStatus::NotOffered,
    };
    let mut hello = ClientHello {
        legacy_version: ProtocolVersion::TLSV1_2,
        random: client_random,
        legacy_session_id: offer.session_id.clone(),
        cipher_suites: greased(offer.grease.map(|g| CipherSuite(g.suite)), &offer.suites),
        compression_methods: vec![CompressionMethod::NULL],
        extensions: exts,
    };
    if ech_status == EchStatus::Grease {
        let grease = ech_client::grease_extension(&hello, config.random.as_ref())?;
        ech_client::insert_before_psk(&mut hello.extensions, grease);
    }
    if config.permute_extensions {
        permute(&mut hello.extensions, config.random.as_ref())?;
    }
    Ok((hello, ech_status))
}

/// The extensions in a random order, pre_shared_key staying last (RFC
/// 8446 §4.2.11), so that servers cannot come to depend on one order.
fn permute(exts: &mut [Extension], random: &dyn crate::crypto::RandomSource) -> Result<(), Error> {
    let psk_last = exts
        .last()
        .is_some_and(|e| e.typ() == ExtensionType::PRE_SHARED_KEY);
    let n = exts.len() - usize::from(psk_last);
    let mut draws = vec![0u8; 2 * n];
    random.fill(&mut draws)?;
    // Fisher-Yates, with 16-bit draws (the bias is negligible for a few
    // dozen extensions, and no secret depends on it).
    for i in (1..n).rev() {
        let draw = draws
            .get(2 * i..2 * i + 2)
            .map_or(0, |d| usize::from(u16::from_be_bytes([d[0], d[1]])));
        exts.swap(i, draw % (i + 1));
    }
    Ok(())
}

/// 0-RTT with the first PSK offered, if the offer allows it (the
/// session's chain checked again first, if asked): whether it went out.
/// Without it, the reason is recorded.
fn offer_early_data(
    shared: &mut ClientShared,
    cx: &mut Context<'_>,
    offer: &Offer,
    early_transcript: &Transcript,
) -> Result<bool, Error> {
    Ok(match offer.psks.first().filter(|_| offer.early) {
        Some(p) => {
            // 0-RTT goes out before the server answers: the session's
            // chain is checked again first, if asked.
            if let Some(t) = p.as_ticket().filter(|t| t.external_psk.is_none()) {
                reverify_session(shared, &t.peer_certs, t.peer_raw_public_key.as_ref())?;
            }
            start_early_data(shared, cx, p, early_transcript)?;
            true
        }
        None => {
            cx.info.early_data_reason = offer.no_early;
            false
        }
    })
}

/// ECH's first flight (RFC 9849 §6.1): `inner` (ClientHelloInner, its PSK
/// binder computed over itself) goes into the inner transcript; a
/// ClientHelloOuter for the public name, with TLS 1.2 offered if the
/// configuration allows it, a GREASE pre_shared_key in place of the real
/// one (§6.1.2), a fresh random and the inner's session ID, carries it
/// sealed and is what is sent.
fn send_ech_hellos(
    cx: &mut Context<'_>,
    shared: &mut ClientShared,
    transcript: &mut Transcript,
    mut inner: ClientHello,
    offer: &Offer,
    chosen: ChosenEchConfig,
) -> Result<(ClientHello, Box<EchOffer>), Error> {
    let config = shared.config.clone();
    let tls12 = config.versions.contains(&ProtocolVersion::TLSV1_2);
    let outer_offer = OuterOffer {
        tls12,
        early: offer.early,
    };
    let public_name = ech_client::public_server_name(&chosen)?;
    let mut exts = outer_extensions(&config, &public_name, offer, &outer_offer);
    // A rejected ECH goes on with the outer hello: it carries them too.
    insert_quic_transport_parameters(cx, &mut exts);
    if let Some(Extension::PreSharedKeyClient(psk)) = inner.extension(ExtensionType::PRE_SHARED_KEY)
    {
        exts.push(ech_client::grease_psk(psk, config.random.as_ref())?);
    }
    if config.permute_extensions {
        permute(&mut exts, config.random.as_ref())?;
    }
    let mut random = [0u8; 32];
    config.random.fill(&mut random)?;
    let outer = ClientHello {
        legacy_version: ProtocolVersion::TLSV1_2,
        random,
        legacy_session_id: inner.legacy_session_id.clone(),
        cipher_suites: greased(
            offer.grease.map(|g| CipherSuite(g.suite)),
            &offered_suites(&config, true, tls12)?,
        ),
        compression_methods: vec![CompressionMethod::NULL],
        extensions: exts,
    };
    // The binder covers ClientHelloInner as the transcript will hold it:
    // with the shared extensions grouped, so that they compress.
    ech_client::group_compressible(&mut inner, &outer);
    let mut inner_transcript = Transcript::new();
    fill_binders(&mut inner, &offer.psks, &inner_transcript);
    let inner_message = ech_client::inner_message(&inner);
    inner_transcript.add(&inner_message);
    cx.trace_client_hello_inner(&inner_message, true);
    let (enc, mut ctx) = ech_client::setup(&chosen, config.random.as_ref())?;
    let outer = ech_client::seal_outer(&chosen, &mut ctx, enc, &inner, outer)?;
    shared.client_random = outer.random;
    let sent = send_client_hello(cx, shared, transcript, outer, &[])?;
    cx.info.ech_public_name = Some(chosen.public_name.clone());
    Ok((
        sent,
        Box::new(EchOffer {
            chosen,
            ctx,
            inner,
            inner_transcript,
            outer: None,
        }),
    ))
}

/// What ClientHelloOuter offers beyond ClientHelloInner's choices.
struct OuterOffer {
    tls12: bool,
    early: bool,
}

/// ClientHelloOuter's extensions (RFC 9849 §6.1): the inner's, for the
/// public name, with TLS 1.2 if allowed and no PSK (a GREASE one is added
/// after), and early_data if the inner has it (rule 7).
fn outer_extensions(
    config: &ClientConfig,
    public_name: &ServerName<'_>,
    inner: &Offer,
    outer: &OuterOffer,
) -> Vec<Extension> {
    let view = Offer {
        tls13: true,
        tls12: outer.tls12,
        suites: Vec::new(),
        key_shares: Vec::new(),
        tls12_session: None,
        psks: Vec::new(),
        early: outer.early,
        no_early: None,
        session_id: Vec::new(),
        grease: inner.grease,
    };
    let mut exts = extensions(config, public_name, &view);
    // The same key shares as the inner's (so that key_share compresses).
    for e in exts.iter_mut() {
        if let Extension::KeyShareClient(shares) = e {
            *shares = key_share_entries(inner);
        }
    }
    if outer.early && !exts.iter().any(|e| e.typ() == ExtensionType::EARLY_DATA) {
        ech_client::insert_before_psk(&mut exts, Extension::EarlyData);
    }
    exts
}

/// The key_share entries of an offer: a GREASE one of a byte first, if
/// the offer has GREASE (RFC 8701 §3.1).
fn key_share_entries(offer: &Offer) -> Vec<KeyShareEntry> {
    let grease = offer.grease.map(|g| KeyShareEntry {
        group: NamedGroup(g.group),
        key_exchange: vec![0],
    });
    grease
        .into_iter()
        .chain(offer.key_shares.iter().map(|k| KeyShareEntry {
            group: k.group(),
            key_exchange: k.public_key().to_vec(),
        }))
        .collect()
}

/// `list` with the GREASE value first, if there is one.
fn greased<T: Clone>(grease: Option<T>, list: &[T]) -> Vec<T> {
    grease.into_iter().chain(list.iter().cloned()).collect()
}

/// A QUIC handshake's quic_transport_parameters (RFC 9001 §8.2), before
/// pre_shared_key, which stays last (RFC 8446 §4.2.11).
fn insert_quic_transport_parameters(cx: &Context<'_>, exts: &mut Vec<Extension>) {
    if let Some(q) = &cx.info.quic {
        let at = exts
            .iter()
            .position(|e| matches!(e, Extension::PreSharedKeyClient(_)))
            .unwrap_or(exts.len());
        exts.insert(at, Extension::QuicTransportParameters(q.local.clone()));
    }
}

/// The versions, suites, key shares and sessions to offer (`quic`: the
/// QUIC version of a QUIC handshake). With ECH the offer is
/// ClientHelloInner's: TLS 1.3 only, no TLS 1.2 session (RFC 9849 §6.1
/// rules 1 and 2).
fn make_offer(
    config: &ClientConfig,
    cache_key: &SessionKey,
    ech: bool,
    quic: Option<u32>,
) -> Result<Offer, Error> {
    let tls13 = config.versions.contains(&ProtocolVersion::TLSV1_3);
    let tls12 = config.versions.contains(&ProtocolVersion::TLSV1_2) && !ech;
    let tls12_session = if tls12 {
        resumable_tls12_session(config, cache_key)
    } else {
        None
    };
    let suites = offered_suites(config, tls13, tls12)?;
    // TLS 1.2 makes its key pair when the server has chosen the group.
    // The prediction from the server's hint, if the hint names a group of
    // ours (draft-ietf-tls-key-share-prediction), goes before an explicit
    // choice of key shares.
    let predicted = config.server_groups_hint.as_ref().and_then(|hint| {
        config
            .key_exchange
            .names(true)
            .into_iter()
            .find(|g| hint.contains(g))
            .map(|g| vec![g])
    });
    let key_shares = match (tls13, predicted.as_ref().or(config.key_shares.as_ref())) {
        (true, Some(groups)) => config
            .key_exchange
            .start_client_shares_for(groups, config.random.as_ref())?,
        (true, None) => config
            .key_exchange
            .start_client_shares(config.random.as_ref())?,
        (false, _) => Vec::new(),
    };
    let psks = if tls13 {
        offered_psks(config, cache_key, &suites, quic)
    } else {
        Vec::new()
    };
    let no_early = early_refusal(config, tls13, psks.first(), &suites);
    let early = !psks.is_empty() && no_early.is_none();
    let session_id = legacy_session_id(config, tls13, tls12_session.as_ref())?;
    Ok(Offer {
        tls13,
        tls12,
        suites,
        key_shares,
        tls12_session,
        psks,
        early,
        no_early,
        session_id,
        grease: config
            .grease
            .then(|| Grease::new(config.random.as_ref()))
            .transpose()?,
    })
}

/// The PSKs to offer (RFC 9846 §4.3.11): a live ticket first (of the same
/// QUIC version, `None` for TLS), then each external PSK for the hashes
/// of the TLS 1.3 suites offered.
fn offered_psks(
    config: &ClientConfig,
    cache_key: &SessionKey,
    suites: &[CipherSuite],
    quic: Option<u32>,
) -> Vec<OfferedPsk> {
    let mut psks: Vec<OfferedPsk> = offered_ticket(config, cache_key, suites, quic)
        .map(|t| OfferedPsk::ticket(t, config.time.now_ms()))
        .into_iter()
        .collect();
    let mut hashes: Vec<HashAlgorithm> = Vec::new();
    for s in suites {
        if let Some(SupportedSuite::Tls13(t)) = lookup(*s) {
            if !hashes.contains(&t.hash) {
                hashes.push(t.hash);
            }
        }
    }
    for (i, p) in config.external_psks.iter().enumerate() {
        for wire in p.offers(&hashes) {
            psks.push(OfferedPsk {
                origin: PskOrigin::External(i),
                wire,
                // RFC 9846 §4.3.11: 0 for an external PSK.
                obfuscated_age: 0,
            });
        }
    }
    psks
}

/// A TLS 1.2 session to resume, by session ID or by ticket, for a suite we
/// still offer.
fn resumable_tls12_session(config: &ClientConfig, cache_key: &SessionKey) -> Option<Tls12Session> {
    config
        .session_store
        .as_ref()
        .and_then(|s| s.get_tls12(cache_key))
        .filter(|s| config.suites.iter().any(|c| c.suite() == s.suite))
}

/// Why a client sends no 0-RTT data with `psk`, the first PSK offered, if
/// it sends none: the configuration, the versions, the PSK (a ticket that
/// allows none, an external PSK not provisioned for it, RFC 9846 §4.3.10),
/// or a suite or application protocol no longer offered (the 0-RTT data
/// would be read under the session's, §4.2.10).
fn early_refusal(
    config: &ClientConfig,
    tls13: bool,
    psk: Option<&OfferedPsk>,
    suites: &[CipherSuite],
) -> Option<EarlyDataReason> {
    use EarlyDataReason as R;
    if !config.early_data {
        return Some(R::Disabled);
    }
    if !tls13 {
        return Some(R::ProtocolVersion);
    }
    let (max, suite, alpn) = match psk.map(|p| &p.origin) {
        None => return Some(R::NotOffered),
        // The ticket's suite is one we offer (offered_ticket).
        Some(PskOrigin::Ticket(t)) => (t.max_early_data, Some(t.suite), t.alpn.as_deref()),
        Some(PskOrigin::External(i)) => {
            // Not provisioned for 0-RTT: (0, None, None).
            config
                .external_psks
                .get(*i)
                .and_then(|p| {
                    p.early_params()
                        .map(|(s, a)| (p.max_early_data(), Some(s), a))
                })
                .unwrap_or_default()
        }
    };
    if max == 0 {
        return Some(R::UnsupportedForSession);
    }
    if !suite.is_some_and(|s| suites.contains(&s)) {
        return Some(R::CipherSuiteMismatch);
    }
    match alpn {
        Some(a) if !config.alpn.iter().any(|o| o == a) => Some(R::AlpnMismatch),
        _ => None,
    }
}

/// A live TLS 1.3 ticket for a suite we offer (taken out: tickets are used
/// once, RFC 8446 §C.4), from a connection of the same QUIC version for a
/// QUIC one (RFC 9369 §5) and from a TLS one for TLS.
fn offered_ticket(
    config: &ClientConfig,
    cache_key: &SessionKey,
    suites: &[CipherSuite],
    quic: Option<u32>,
) -> Option<Tls13Ticket> {
    let now_ms = config.time.now_ms();
    config
        .session_store
        .as_ref()
        .and_then(|s| s.take_tls13(cache_key))
        .filter(|t| {
            now_ms <= t.received_ms.saturating_add(u64::from(t.lifetime) * 1000)
                && suites.contains(&t.suite)
                && t.quic.as_ref().map(|q| q.version) == quic
        })
}

/// RFC 8446 D.4: a non-empty legacy_session_id in compatibility mode; RFC
/// 5077 §3.4: the session's ID, or a fresh one with a ticket (to learn
/// whether the server took it).
fn legacy_session_id(
    config: &ClientConfig,
    tls13: bool,
    tls12_session: Option<&Tls12Session>,
) -> Result<Vec<u8>, Error> {
    match tls12_session {
        Some(s) if !s.session_id.is_empty() => Ok(s.session_id.clone()),
        _ if (tls13 && config.compatibility_mode) || tls12_session.is_some() => {
            let mut id = vec![0u8; 32];
            config.random.fill(&mut id)?;
            Ok(id)
        }
        _ => Ok(Vec::new()),
    }
}

/// The suites of the versions we offer, and the renegotiation SCSV for a
/// TLS 1.2-only hello (RFC 5746 §3.3: it may meet servers that ignore
/// extensions).
fn offered_suites(
    config: &ClientConfig,
    tls13: bool,
    tls12: bool,
) -> Result<Vec<CipherSuite>, Error> {
    let mut suites: Vec<CipherSuite> = config
        .suites
        .iter()
        .filter(|s| match s {
            SupportedSuite::Tls13(_) => tls13,
            SupportedSuite::Tls12(_) => tls12,
        })
        .map(|s| s.suite())
        .collect();
    if suites.is_empty() {
        return Err(Error::Config(
            "no cipher suite for the enabled versions".into(),
        ));
    }
    if tls12 && !tls13 {
        suites.push(CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
    }
    Ok(suites)
}

/// The hello's extensions, in the order of RFC 8448's traces (NSS's), so
/// that they replay without reordering; pre_shared_key comes last (RFC
/// 8446 §4.2.11).
fn extensions(
    config: &ClientConfig,
    server_name: &ServerName<'_>,
    offer: &Offer,
) -> Vec<Extension> {
    let mut exts = Vec::new();
    // RFC 8701 §3.1: GREASE extensions, an empty one first.
    if let Some(g) = offer.grease {
        exts.push(Extension::Unknown {
            typ: ExtensionType(g.extensions[0]),
            data: Vec::new(),
        });
    }
    if let (true, ServerName::DnsName(name)) = (config.enable_sni, server_name) {
        // RFC 6066 §3: the name without a trailing dot; never an address.
        let host = name.as_ref().trim_end_matches('.').as_bytes().to_vec();
        exts.push(Extension::ServerName(vec![SniEntry {
            name_type: ServerNameType::HOST_NAME,
            name: host,
        }]));
    }
    if offer.tls12 {
        exts.push(Extension::ExtendedMasterSecret);
        exts.push(Extension::RenegotiationInfo(Vec::new()));
    }
    exts.push(Extension::SupportedGroups(greased(
        offer.grease.map(|g| NamedGroup(g.group)),
        &config.key_exchange.names(offer.tls13),
    )));
    if offer.tls12 {
        exts.push(Extension::EcPointFormats(vec![EcPointFormat::UNCOMPRESSED]));
        let ticket = offer.tls12_session.as_ref().and_then(|s| s.ticket.clone());
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
    if offer.tls13 {
        exts.push(Extension::KeyShareClient(key_share_entries(offer)));
    }
    tls13_extensions(config, offer, &mut exts);
    exts
}

/// The extensions that only a TLS 1.3 offer has, and the rest of the list.
fn tls13_extensions(config: &ClientConfig, offer: &Offer, exts: &mut Vec<Extension>) {
    if offer.early {
        exts.push(Extension::EarlyData);
    }
    if offer.tls13 {
        let mut versions = vec![ProtocolVersion::TLSV1_3];
        if offer.tls12 {
            versions.push(ProtocolVersion::TLSV1_2);
        }
        exts.push(Extension::SupportedVersionsClient(greased(
            offer.grease.map(|g| ProtocolVersion(g.version)),
            &versions,
        )));
    }
    // RFC 9846 §9.2: a hello with pre_shared_key may leave
    // signature_algorithms out; a client that takes no certificate does.
    if !config.psk_only {
        exts.push(Extension::SignatureAlgorithms(greased(
            offer.grease.map(|g| SignatureScheme(g.scheme)),
            &config.signature_schemes(),
        )));
    }
    if !config.signature_algorithms_cert.is_empty() {
        exts.push(Extension::SignatureAlgorithmsCert(
            config.signature_algorithms_cert.clone(),
        ));
    }
    if !config.certificate_authorities.is_empty() {
        exts.push(Extension::CertificateAuthorities(
            config.certificate_authorities.clone(),
        ));
    }
    if offer.tls13 {
        let mut modes = vec![PskKeyExchangeMode::PSK_DHE_KE];
        if config.psk_ke {
            modes.push(PskKeyExchangeMode::PSK_KE);
        }
        exts.push(Extension::PskKeyExchangeModes(modes));
        // RFC 8879 §3: the server may compress its certificate.
        if !config.cert_compression.is_empty() {
            exts.push(Extension::CompressCertificate(
                config.cert_compression.clone(),
            ));
        }
    }
    // RFC 7250 §4.1: the certificate types we can send and accept.
    exts.extend(super::cert_types::offer(config));
    if let Some(limit) = config.record_size_limit {
        exts.push(Extension::RecordSizeLimit(limit));
    }
    // RFC 8701 §3.1: a second GREASE extension, of one byte.
    if let Some(g) = offer.grease {
        exts.push(Extension::Unknown {
            typ: ExtensionType(g.extensions[1]),
            data: vec![0],
        });
    }
    if !offer.psks.is_empty() {
        // The binders are computed over the hello as it is sent.
        exts.push(psk_extension(&offer.psks));
    }
}

/// Shapes (test kit only), fills the PSK binder, and sends the hello;
/// returns it as sent.
fn send_client_hello(
    cx: &mut Context<'_>,
    shared: &mut ClientShared,
    transcript: &mut Transcript,
    hello: ClientHello,
    psks: &[OfferedPsk],
) -> Result<ClientHello, Error> {
    let HandshakePayload::ClientHello(mut hello) =
        cx.shape(HandshakePayload::ClientHello(hello))?
    else {
        return Err(Error::Internal("a ClientHello that is not one"));
    };
    fill_binders(&mut hello, psks, transcript);
    shared.offered = super::client_common::offered_types(&hello);
    match cx.send_as_is(transcript, HandshakePayload::ClientHello(hello)) {
        HandshakePayload::ClientHello(h) => Ok(h),
        _ => Err(Error::Internal("a ClientHello that is not one")),
    }
}

/// Keys for 0-RTT data after the first ClientHello (RFC 8446 §2.3, §7.1),
/// under the first PSK, and the compatibility-mode ChangeCipherSpec that
/// goes before it (D.4).
fn start_early_data(
    shared: &mut ClientShared,
    cx: &mut Context<'_>,
    psk: &OfferedPsk,
    transcript: &Transcript,
) -> Result<(), Error> {
    let (suite, max) = early_parameters(&shared.config, psk)?;
    let Some(SupportedSuite::Tls13(suite)) = lookup(suite) else {
        return Err(Error::Internal("0-RTT under an unknown suite"));
    };
    // The transcript holds only the ClientHello, unhashed so far.
    let hello_hash = suite.hash.hash(transcript.buffer());
    let early = EarlySecret::new(suite.hash, Some(psk.wire.secret.as_bytes()));
    let secret: Secret = early.client_early_traffic_secret(&hello_hash);
    cx.secret(
        &shared.config.key_log,
        "CLIENT_EARLY_TRAFFIC_SECRET",
        &shared.client_random,
        &secret,
    );
    cx.info.early_exporter = Some(Exporter::Tls13 {
        hash: suite.hash,
        secret: early.early_exporter_master_secret(&hello_hash),
    });
    // RFC 9000 §7.4.1: 0-RTT runs under the server's remembered
    // transport parameters until its own arrive.
    if let Some(q) = cx.info.quic.as_mut() {
        q.peer = psk
            .as_ticket()
            .and_then(|t| t.quic.as_ref())
            .map(|t| t.transport_parameters.clone());
        q.early_suite = Some(suite);
    }
    shared.send_ccs_once(cx);
    cx.out
        .push(Command::write_keys(tls13::sealer(suite, &secret)?));
    cx.out.push(Command::EarlySend(Some(max as usize)));
    Ok(())
}

/// The suite and the most 0-RTT data of a PSK: a ticket's, or what an
/// external PSK was provisioned with (RFC 9846 §4.3.10).
pub(crate) fn early_parameters(
    config: &ClientConfig,
    psk: &OfferedPsk,
) -> Result<(CipherSuite, u32), Error> {
    match &psk.origin {
        PskOrigin::Ticket(t) => Ok((t.suite, t.max_early_data)),
        PskOrigin::External(i) => config
            .external_psks
            .get(*i)
            .and_then(|p| p.early_params().map(|(s, _)| (s, p.max_early_data())))
            .ok_or(Error::Internal("0-RTT with a PSK not provisioned for it")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_grease_extensions_are_not_offered_answers() {
        // RFC 8701 §3.1: a server never answers GREASE, so an answer of
        // that type is one we did not offer.
        let grease = |t: u16, data: Vec<u8>| Extension::Unknown {
            typ: ExtensionType(t),
            data,
        };
        let hello = ClientHello {
            legacy_version: ProtocolVersion::TLSV1_2,
            random: [0; 32],
            legacy_session_id: Vec::new(),
            cipher_suites: vec![CipherSuite::TLS13_AES_128_GCM_SHA256],
            compression_methods: vec![CompressionMethod::NULL],
            extensions: vec![
                grease(0x3a3a, Vec::new()),
                Extension::ExtendedMasterSecret,
                grease(0xdada, vec![0]),
            ],
        };
        assert_eq!(
            crate::handshake::client_common::offered_types(&hello),
            [ExtensionType::EXTENDED_MASTER_SECRET]
        );
    }

    #[test]
    fn permuting_keeps_the_psk_last_and_every_extension() {
        let rng = crate::crypto::SystemRandom::new();
        let mut exts = vec![
            Extension::ExtendedMasterSecret,
            Extension::EarlyData,
            Extension::ServerNameAck,
            Extension::PreSharedKeyServer(0),
        ];
        let before: Vec<_> = exts.iter().map(|e| e.typ()).collect();
        permute(&mut exts, &rng).unwrap();
        let mut after: Vec<_> = exts.iter().map(|e| e.typ()).collect();
        assert_eq!(after.last(), Some(&ExtensionType::PRE_SHARED_KEY));
        after.sort_by_key(|t| t.0);
        let mut sorted = before.clone();
        sorted.sort_by_key(|t| t.0);
        assert_eq!(after, sorted);
    }
}
