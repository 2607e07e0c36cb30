//! The TLS 1.3 server's reading of the ClientHello: suite, key exchange,
//! and a HelloRetryRequest when the client sent no usable key share (RFC
//! 8446 §4.1.2, §4.1.4, §4.2.8, §4.2.9). The server's flight is in
//! `server13_flight`, the PSK in `server13_psk`.

use super::common::{illegal, list};
use super::ech::{server_second_hello, EchRetry};
use super::server13_flight::{send_server_flight, KeyExchange};
use super::server13_psk::{
    accept_psk, early_skip_budget, external_psk_hash, offers_usable_psk, PskChoice,
};
use super::server_common::{choose_suite, sni};
use super::transcript::Transcript;
use super::{Command, Context, State, StateId};
use crate::config::{EarlyDataReason, ServerConfig};
use crate::crypto::{SupportedSuite, Tls13Suite};
use crate::error::{Error, Negotiable, PskProblem};
use crate::key_schedule::tls13::ech_accept_confirmation;
use crate::msgs::enums::{
    AlertDescription, CompressionMethod, ExtensionType, NamedGroup, ProtocolVersion,
    PskKeyExchangeMode,
};
use crate::msgs::extensions::{Extension, KeyShareEntry};
use crate::msgs::handshake::{
    ClientHello, HandshakeMessage, HandshakePayload, ServerHello, HELLO_RETRY_REQUEST_RANDOM,
};
use std::collections::HashSet;
use std::sync::Arc;

/// The most key shares a ClientHello may carry. RFC 8446 §4.2.8 sets no
/// number, but each costs the server work to check; real clients send one
/// to three (and GREASE).
const MAX_KEY_SHARES: usize = 16;

fn missing(what: &str) -> Error {
    Error::peer(
        AlertDescription::MISSING_EXTENSION,
        format!("the ClientHello has no {what}"),
    )
}

/// The extensions RFC 8446 §9.2 requires of a ClientHello without a PSK,
/// read and checked once.
pub(crate) struct Offer<'a> {
    pub(crate) groups: &'a [NamedGroup],
    pub(crate) shares: &'a [KeyShareEntry],
}

/// Reads the hello's groups, key shares and signature schemes. Each share
/// is for an offered group, and no group has two (RFC 8446 §4.2.8); the
/// checks cost time linear in the hello's length.
pub(crate) fn read_offer(ch: &ClientHello) -> Result<Offer<'_>, Error> {
    let groups = match ch.extension(ExtensionType::SUPPORTED_GROUPS) {
        Some(Extension::SupportedGroups(g)) => g.as_slice(),
        _ => return Err(missing("supported_groups")),
    };
    let shares = match ch.extension(ExtensionType::KEY_SHARE) {
        Some(Extension::KeyShareClient(s)) => s.as_slice(),
        _ => return Err(missing("key_share")),
    };
    // RFC 9846 §9.2: without pre_shared_key, signature_algorithms too (with
    // one, it is needed only if the server falls back to a certificate).
    if ch.extension(ExtensionType::SIGNATURE_ALGORITHMS).is_none()
        && ch.extension(ExtensionType::PRE_SHARED_KEY).is_none()
    {
        return Err(missing("signature_algorithms"));
    }
    if shares.len() > MAX_KEY_SHARES {
        return Err(illegal(format!(
            "{} key shares; cloaktls reads at most {MAX_KEY_SHARES}",
            shares.len()
        )));
    }
    let offered: HashSet<NamedGroup> = groups.iter().copied().collect();
    let mut seen = HashSet::with_capacity(shares.len());
    for s in shares {
        if !offered.contains(&s.group) {
            return Err(illegal(format!(
                "a key share for {:?}, which supported_groups lacks",
                s.group
            )));
        }
        if !seen.insert(s.group) {
            return Err(illegal(format!("two key shares for {:?}", s.group)));
        }
    }
    Ok(Offer { groups, shares })
}

/// The first ClientHello of a TLS 1.3 handshake.
pub(super) fn handle_client_hello(
    config: Arc<ServerConfig>,
    cx: &mut Context<'_>,
    ch: &ClientHello,
    raw: &[u8],
    ech: Option<EchRetry>,
) -> Result<Box<dyn State>, Error> {
    // RFC 8446 §4.1.2: exactly the null compression method.
    if ch.compression_methods != [CompressionMethod::NULL] {
        return Err(illegal(
            "TLS 1.3 requires exactly the null compression method",
        ));
    }
    // RFC 9846 §4.3.11: an external PSK the client offers steers the
    // suite to its hash, where we have one.
    let tls13 = ProtocolVersion::TLSV1_3;
    let chosen = match external_psk_hash(&config, ch) {
        Some(h) => choose_suite(
            &config,
            ch,
            tls13,
            |s| matches!(s, SupportedSuite::Tls13(t) if t.hash == h),
        )
        .or_else(|_| choose_suite(&config, ch, tls13, |_| true))?,
        None => choose_suite(&config, ch, tls13, |_| true)?,
    };
    let SupportedSuite::Tls13(suite) = chosen else {
        return Err(Error::Internal("a TLS 1.2 suite for TLS 1.3"));
    };
    let quic_version = cx.info.quic.as_ref().map(|q| q.version);
    if let Some(psk_only) = psk_ke(&config, ch, raw, suite, quic_version)? {
        let transcript = Transcript::with_hash(suite.hash);
        return send_server_flight(config, cx, ch, raw, suite, psk_only, transcript, false);
    }
    let offer = read_offer(ch)?;
    let (group, with_share) = choose_group(&config, &offer)?;
    let transcript = Transcript::with_hash(suite.hash);
    if with_share {
        let kx = KeyExchange::Dhe(group);
        return send_server_flight(config, cx, ch, raw, suite, kx, transcript, false);
    }
    send_hello_retry_request(config, cx, ch, raw, suite, group, transcript, ech)
}

/// psk_ke (RFC 8446 §4.2.9), when both sides allow it and the ticket is
/// good: no key exchange at all, so no HelloRetryRequest either.
fn psk_ke(
    config: &ServerConfig,
    ch: &ClientHello,
    raw: &[u8],
    suite: &'static Tls13Suite,
    quic_version: Option<u32>,
) -> Result<Option<KeyExchange>, Error> {
    let offers_psk_ke = matches!(
        ch.extension(ExtensionType::PSK_KEY_EXCHANGE_MODES),
        Some(Extension::PskKeyExchangeModes(m)) if m.contains(&PskKeyExchangeMode::PSK_KE)
    );
    if !(config.psk_ke && offers_psk_ke) {
        return Ok(None);
    }
    let transcript = Transcript::with_hash(suite.hash);
    let name = sni(ch)?.map(|n| n.as_ref().to_string());
    Ok(
        match accept_psk(
            config,
            ch,
            raw,
            &transcript,
            suite,
            name.as_deref(),
            quic_version,
        )? {
            PskChoice::Accepted(p) => Some(KeyExchange::PskOnly(p)),
            PskChoice::Declined(_) => None,
        },
    )
}

/// The group: a post-quantum one whenever the client supports one (ours
/// first, with a HelloRetryRequest if it sent no share for it: a share
/// sent for a classical group is the client's guess, not its preference,
/// draft-ietf-tls-key-share-prediction §4); otherwise ours first among
/// those the client sent a share for (no round trip), else among those it
/// supports (a HelloRetryRequest). Returns whether the client sent a share
/// for it.
fn choose_group(config: &ServerConfig, offer: &Offer<'_>) -> Result<(NamedGroup, bool), Error> {
    let ours = config.key_exchange.names(true);
    let offered: HashSet<&NamedGroup> = offer.groups.iter().collect();
    let has_share = |g: &NamedGroup| offer.shares.iter().any(|s| s.group == *g);
    let pq = |g: &&NamedGroup| offered.contains(*g) && config.key_exchange.is_post_quantum(**g);
    // A post-quantum share in hand first (no round trip), then our first
    // post-quantum group the client lists.
    if let Some(g) = ours.iter().filter(pq).find(|g| has_share(g)) {
        return Ok((*g, true));
    }
    if let Some(g) = ours.iter().find(pq) {
        return Ok((*g, false));
    }
    if let Some(g) = ours.iter().find(|g| has_share(g)) {
        return Ok((*g, true));
    }
    ours.iter()
        .find(|g| offered.contains(g))
        .map(|g| (*g, false))
        .ok_or_else(|| Error::NoCommon {
            what: Negotiable::KeyExchangeGroup,
            ours: list(&ours),
            theirs: list(offer.groups),
        })
}

/// A HelloRetryRequest for `group` (RFC 8446 §4.1.4): key_share, cookie,
/// supported_versions, as in RFC 8448 §5.
#[allow(clippy::too_many_arguments)]
fn send_hello_retry_request(
    config: Arc<ServerConfig>,
    cx: &mut Context<'_>,
    ch: &ClientHello,
    raw: &[u8],
    suite: &'static Tls13Suite,
    group: NamedGroup,
    mut transcript: Transcript,
    ech: Option<EchRetry>,
) -> Result<Box<dyn State>, Error> {
    transcript.add(raw);
    transcript.rollup_for_hrr(suite.hash);
    let mut exts = vec![Extension::KeyShareHelloRetryRequest(group)];
    if config.send_cookie {
        let mut c = vec![0u8; 32];
        config.random.fill(&mut c)?;
        exts.push(Extension::Cookie(c));
    }
    exts.push(Extension::SupportedVersionsServer(ProtocolVersion::TLSV1_3));
    if ech.is_some() {
        exts.push(Extension::EncryptedClientHello(vec![0; 8]));
    }
    let mut hrr = ServerHello {
        legacy_version: ProtocolVersion::TLSV1_2,
        random: HELLO_RETRY_REQUEST_RANDOM,
        legacy_session_id: ch.legacy_session_id.clone(),
        cipher_suite: suite.suite,
        compression_method: CompressionMethod::NULL,
        extensions: exts,
    };
    if ech.is_some() {
        confirm_ech_in_retry(&mut hrr, ch, suite, &transcript);
    }
    let sent = cx.send(&mut transcript, HandshakePayload::ServerHello(hrr))?;
    // The cookie the client must return: the one actually sent.
    let cookie = match &sent {
        HandshakePayload::ServerHello(h) => match h.extension(ExtensionType::COOKIE) {
            Some(Extension::Cookie(c)) => Some(c.clone()),
            _ => None,
        },
        _ => None,
    };
    // RFC 8446 D.4: a compatibility-mode client gets a ChangeCipherSpec.
    let sent_ccs = !ch.legacy_session_id.is_empty();
    if sent_ccs {
        cx.out.push(Command::SendCcs);
    }
    skip_first_early_data(&config, cx, ch);
    cx.info.hello_retry = true;
    Ok(Box::new(ExpectSecondClientHello {
        config,
        suite,
        group,
        cookie,
        transcript,
        first: ch.clone(),
        sent_ccs,
        ech,
    }))
}

/// RFC 9849 §7.2.1: an accepted ECH is confirmed in the
/// HelloRetryRequest's extension, over message_hash(ClientHelloInner1)
/// and this message with the extension's 8 bytes zeroed.
fn confirm_ech_in_retry(
    hrr: &mut ServerHello,
    ch: &ClientHello,
    suite: &Tls13Suite,
    transcript: &Transcript,
) {
    let zeroed = HandshakeMessage::new(HandshakePayload::ServerHello(hrr.clone())).encoding();
    let confirmation = ech_accept_confirmation(
        suite.hash,
        &ch.random,
        &transcript.hash_with(suite.hash, &zeroed),
        true,
    );
    for e in hrr.extensions.iter_mut() {
        if let Extension::EncryptedClientHello(c) = e {
            *c = confirmation.to_vec();
        }
    }
}

/// 0-RTT sent with the first hello is skipped after a HelloRetryRequest
/// (RFC 8446 §4.2.10), which is the reason unless the configuration takes
/// no 0-RTT at all.
fn skip_first_early_data(config: &ServerConfig, cx: &mut Context<'_>, ch: &ClientHello) {
    if ch.extension(ExtensionType::EARLY_DATA).is_none() {
        return;
    }
    cx.out
        .push(Command::SkipEarlyData(early_skip_budget(config)));
    cx.info.early_data = Some(false);
    cx.info.early_data_reason = Some(match config.max_early_data {
        0 => EarlyDataReason::Disabled,
        _ => EarlyDataReason::HelloRetryRequest,
    });
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
    /// An ECH accepted with the first ClientHello (RFC 9849 §7.1.1).
    ech: Option<EchRetry>,
}

impl State for ExpectSecondClientHello {
    fn id(&self) -> StateId {
        StateId::ServerExpectSecondClientHello
    }

    fn handle(
        self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage,
        raw: &[u8],
    ) -> Result<Box<dyn State>, Error> {
        let HandshakePayload::ClientHello(outer) = &msg.payload else {
            return Err(Error::Internal("the table let through another message"));
        };
        let mut this = self;
        // RFC 9849 §7.1.1: after an accepted ECH, the second
        // ClientHelloInner comes out of the second ClientHelloOuter.
        let inner = match this.ech.as_mut() {
            Some(retry) => Some(server_second_hello(retry, outer, raw)?),
            None => None,
        };
        if let Some((_, r)) = &inner {
            cx.trace_client_hello_inner(r, false);
        }
        let (ch, raw) = match &inner {
            Some((h, r)) => (h, r.as_slice()),
            None => (outer, raw),
        };
        this.check_second_hello(ch, cx.info.quic.as_ref().map(|q| q.version))?;
        send_server_flight(
            this.config,
            cx,
            ch,
            raw,
            this.suite,
            KeyExchange::Dhe(this.group),
            this.transcript,
            this.sent_ccs,
        )
    }
}

impl ExpectSecondClientHello {
    /// RFC 8446 §4.1.2: the same hello, but for the key share (one, for
    /// the group we asked for), the cookie (ours, returned), early_data
    /// (gone) and padding.
    fn check_second_hello(&self, ch: &ClientHello, quic_version: Option<u32>) -> Result<(), Error> {
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
        if !matches!(offer.shares, [only] if only.group == self.group) {
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
        // RFC 8446 §4.1.2: the client may drop only the PSKs that do not
        // fit the HelloRetryRequest's suite; one we would use must stay
        // (missing_extension without the extension, as for any extension
        // the negotiation requires, RFC 8446 §6.2; illegal_parameter for a
        // list that changed otherwise).
        let name = sni(&self.first)?.map(|n| n.as_ref().to_string());
        let name = name.as_deref();
        if offers_usable_psk(&self.config, &self.first, self.suite, name, quic_version)?
            && !offers_usable_psk(&self.config, ch, self.suite, name, quic_version)?
        {
            if ch.extension(ExtensionType::PRE_SHARED_KEY).is_none() {
                return Err(Error::peer(
                    AlertDescription::MISSING_EXTENSION,
                    "the second ClientHello drops pre_shared_key, whose PSK fits the \
                     HelloRetryRequest's suite",
                ));
            }
            return Err(Error::Psk(PskProblem::DroppedAfterRetry));
        }
        Ok(())
    }
}
