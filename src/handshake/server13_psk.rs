//! The TLS 1.3 server's choice of a PSK from the client's pre_shared_key
//! (RFC 9846 §4.3.11): a ticket it issued, or an external PSK of its store;
//! and whether 0-RTT data may be taken (§4.3.10, §8).

use super::transcript::Transcript;
use crate::codec::Codec;
use crate::config::{ExternalPsk, ServerConfig, WirePsk};
use crate::crypto::hash::constant_time_eq;
use crate::crypto::suites::lookup;
use crate::crypto::{HashAlgorithm, Secret, SupportedSuite, Tls13Suite};
use crate::error::{Error, PskProblem};
use crate::key_schedule::tls13::{psk_binder, PskKind};
use crate::msgs::enums::{CertificateType, ExtensionType, ProtocolVersion, PskKeyExchangeMode};
use crate::msgs::extensions::{Extension, OfferedPsks, PskIdentity};
use crate::msgs::handshake::ClientHello;
use crate::session::{ServerSessionValue, TICKET_AGE_WINDOW_MS};

/// The most PSK identities the server looks at: each costs a ticket
/// decryption, and a client gains nothing from offering more (RFC 8446
/// §4.2.11 lets the server pick any).
const MAX_IDENTITIES_TRIED: usize = 8;

/// Where an accepted PSK comes from.
pub(crate) enum PskSource {
    /// A ticket we issued: the session it holds, and the client's
    /// obfuscated_ticket_age.
    Ticket {
        value: Box<ServerSessionValue>,
        obfuscated_age: u32,
    },
    /// An external PSK of the store.
    External(ExternalPsk),
}

/// A PSK accepted from the client's pre_shared_key.
pub(crate) struct AcceptedPsk {
    pub(crate) index: u16,
    pub(crate) psk: Secret,
    pub(crate) source: PskSource,
    pub(crate) binder: Vec<u8>,
}

impl AcceptedPsk {
    /// Whether the client's idea of the ticket's age is within the window
    /// of ours (RFC 8446 §8.3): 0-RTT outside it may be a replay. An
    /// external PSK has no age.
    pub(crate) fn fresh(&self, now_ms: u64) -> bool {
        self.age_skew_ms(now_ms)
            .is_some_and(|skew| skew.unsigned_abs() <= TICKET_AGE_WINDOW_MS)
    }

    /// How far the client's idea of the ticket's age is ahead of ours, in
    /// milliseconds (behind if negative); `None` for an external PSK.
    pub(crate) fn age_skew_ms(&self, now_ms: u64) -> Option<i64> {
        let (client_ms, created) = self.ages()?;
        let server_ms = now_ms.saturating_sub(created.saturating_mul(1000));
        Some(client_ms.saturating_sub(i64::try_from(server_ms).unwrap_or(i64::MAX)))
    }

    /// The same in whole seconds, as the ticket's creation time is kept:
    /// the client's age, truncated, less the seconds since the ticket was
    /// made.
    pub(crate) fn age_skew_secs(&self, now_ms: u64) -> Option<i64> {
        let (client_ms, created) = self.ages()?;
        let server_s = (now_ms / 1000).saturating_sub(created);
        Some((client_ms / 1000).saturating_sub(i64::try_from(server_s).unwrap_or(i64::MAX)))
    }

    /// The client's idea of the ticket's age (ms) and when it was made
    /// (seconds since 1970).
    fn ages(&self) -> Option<(i64, u64)> {
        let PskSource::Ticket {
            value,
            obfuscated_age,
        } = &self.source
        else {
            return None;
        };
        let client_ms = i64::from(obfuscated_age.wrapping_sub(value.age_add));
        Some((client_ms, value.created))
    }

    /// The ticket's session, if the PSK is a ticket.
    pub(crate) fn session(&self) -> Option<&ServerSessionValue> {
        match &self.source {
            PskSource::Ticket { value, .. } => Some(value),
            PskSource::External(_) => None,
        }
    }
}

/// What became of the client's PSK offer: one accepted, or the reason
/// none was, as the error a server with nothing to fall back to (no
/// certificate) fails with.
pub(crate) enum PskChoice {
    Accepted(Box<AcceptedPsk>),
    Declined(PskProblem),
}

/// What one PSK identity stands for here.
enum Candidate {
    /// Nothing we know.
    Unknown,
    /// A PSK of ours that does not fit this handshake (another hash, a
    /// dead ticket, another server name or client-auth policy).
    Unusable,
    /// A PSK we would use: where it comes from, and its key, hash and kind.
    Usable(Box<(PskSource, WirePsk)>),
}

/// Looks for a usable PSK among the client's identities, in the client's
/// order: a ticket we issued (alive, for a suite of the chosen suite's
/// hash, for the same server name and the same client-authentication
/// policy, from the same QUIC version, `None` for TLS: RFC 9369 §5) or an
/// external PSK of the store bound to the suite's hash. Only
/// the first usable one's binder is checked (RFC 9846 §4.3.11): a wrong
/// one ends the handshake with decrypt_error; a single-use ticket is spent
/// only once it verifies.
pub(crate) fn accept_psk(
    config: &ServerConfig,
    ch: &ClientHello,
    raw: &[u8],
    transcript: &Transcript,
    suite: &'static Tls13Suite,
    sni: Option<&str>,
    quic_version: Option<u32>,
) -> Result<PskChoice, Error> {
    let offer = match offered_psks(config, ch)? {
        Ok(offer) => offer,
        Err(problem) => return Ok(PskChoice::Declined(problem)),
    };
    let now = config.time.now().as_secs();
    let scope = TicketScope::new(config, ch, sni, quic_version);
    let mut known = false;
    let candidates = offer
        .identities
        .iter()
        .enumerate()
        .take(MAX_IDENTITIES_TRIED);
    for (i, id) in candidates {
        let (source, wire) = match candidate(config, id, suite, &scope, now) {
            Candidate::Unknown => continue,
            Candidate::Unusable => {
                known = true;
                continue;
            }
            Candidate::Usable(found) => *found,
        };
        let binder = offer
            .binders
            .get(i)
            .ok_or(Error::Internal("a PSK identity without a binder"))?;
        check_binder(offer, raw, transcript, &wire, binder)?;
        // RFC 8446 §8.1: a single-use ticket is spent once it has passed
        // every check, so that a spoiled copy of the hello cannot burn it.
        let is_ticket = matches!(source, PskSource::Ticket { .. });
        if is_ticket && config.stateful_tickets && !spend_ticket(config, id) {
            continue;
        }
        return Ok(PskChoice::Accepted(Box::new(AcceptedPsk {
            index: i as u16,
            psk: wire.secret,
            source,
            binder: binder.clone(),
        })));
    }
    Ok(PskChoice::Declined(if known {
        PskProblem::NoCompatiblePsk
    } else {
        PskProblem::UnknownIdentity
    }))
}

/// What `id` stands for: an external PSK of the store, else a ticket.
fn candidate(
    config: &ServerConfig,
    id: &PskIdentity,
    suite: &Tls13Suite,
    scope: &TicketScope<'_>,
    now: u64,
) -> Candidate {
    if let Some((psk, wire)) = config
        .psk_store
        .as_deref()
        .and_then(|store| ExternalPsk::resolve(store, &id.identity))
    {
        // RFC 9846 §4.3.11: a PSK is used only with its own hash; the
        // client's obfuscated_ticket_age is ignored.
        return if wire.hash == suite.hash {
            Candidate::Usable(Box::new((PskSource::External(psk), wire)))
        } else {
            Candidate::Unusable
        };
    }
    let Some(value) = open_ticket(config, id, now) else {
        return Candidate::Unknown;
    };
    if !usable(config, &value, suite, scope, now) {
        return Candidate::Unusable;
    }
    let wire = WirePsk {
        identity: id.identity.clone(),
        secret: value.secret.clone(),
        hash: suite.hash,
        kind: PskKind::Resumption,
    };
    let source = PskSource::Ticket {
        value: Box::new(value),
        obfuscated_age: id.obfuscated_ticket_age,
    };
    Candidate::Usable(Box::new((source, wire)))
}

/// Whether the hello offers a PSK we would use with `suite` (a ticket of
/// ours or an external PSK, as `accept_psk` decides), its binder aside; an
/// offer that does not decode is its error.
pub(crate) fn offers_usable_psk(
    config: &ServerConfig,
    ch: &ClientHello,
    suite: &'static Tls13Suite,
    sni: Option<&str>,
    quic_version: Option<u32>,
) -> Result<bool, Error> {
    let Ok(offer) = offered_psks(config, ch)? else {
        return Ok(false);
    };
    let now = config.time.now().as_secs();
    let scope = TicketScope::new(config, ch, sni, quic_version);
    Ok(offer
        .identities
        .iter()
        .take(MAX_IDENTITIES_TRIED)
        .any(|id| {
            matches!(
                candidate(config, id, suite, &scope, now),
                Candidate::Usable(..)
            )
        }))
}

/// The hash of the first external PSK of the store the client offers, in a
/// mode we take: the hash a server should favour in choosing the suite
/// (RFC 9846 §4.3.11).
pub(crate) fn external_psk_hash(config: &ServerConfig, ch: &ClientHello) -> Option<HashAlgorithm> {
    let store = config.psk_store.as_deref()?;
    let Ok(Ok(offer)) = offered_psks(config, ch) else {
        return None;
    };
    offer
        .identities
        .iter()
        .take(MAX_IDENTITIES_TRIED)
        .find_map(|id| ExternalPsk::resolve(store, &id.identity))
        .map(|(_, wire)| wire.hash)
}

/// The client's PSK offer, if it makes one the server may use: with
/// psk_key_exchange_modes (RFC 9846 §4.3.9), in a mode we take; else why
/// not.
fn offered_psks<'a>(
    config: &ServerConfig,
    ch: &'a ClientHello,
) -> Result<Result<&'a OfferedPsks, PskProblem>, Error> {
    let offer = match ch.extension(ExtensionType::PRE_SHARED_KEY) {
        Some(Extension::PreSharedKeyClient(offer)) => offer,
        Some(Extension::BadPreSharedKey(e, _)) => return Err(Error::decode("pre_shared_key", *e)),
        _ => return Ok(Err(PskProblem::NoPskOffered)),
    };
    let modes = match ch.extension(ExtensionType::PSK_KEY_EXCHANGE_MODES) {
        Some(Extension::PskKeyExchangeModes(m)) => m,
        _ => return Err(Error::Psk(PskProblem::ModesMissing)),
    };
    let usable_mode = modes.contains(&PskKeyExchangeMode::PSK_DHE_KE)
        || (config.psk_ke && modes.contains(&PskKeyExchangeMode::PSK_KE));
    Ok(if usable_mode {
        Ok(offer)
    } else {
        Err(PskProblem::NoSupportedMode)
    })
}

/// What a ticket holds, if it is one of ours: sealed under our ticket keys,
/// or (stateful tickets) in the session cache, looked up without spending.
fn open_ticket(config: &ServerConfig, id: &PskIdentity, now: u64) -> Option<ServerSessionValue> {
    let plain = if config.stateful_tickets {
        config.session_cache.as_ref()?.get(&id.identity)
    } else {
        config.ticket_keys.as_ref()?.open(&id.identity, now)
    };
    ServerSessionValue::decode(plain?.as_bytes()).ok()
}

/// Takes a single-use ticket out of the cache; false if another connection
/// spent it first.
fn spend_ticket(config: &ServerConfig, id: &PskIdentity) -> bool {
    config
        .session_cache
        .as_ref()
        .is_some_and(|c| c.take(&id.identity).is_some())
}

/// Whether a session may be resumed here: TLS 1.3, alive, a suite of the
/// same hash, the same server name (RFC 8446 §4.2.11, §4.6.1), the same
/// client-authentication policy as when it was made, and in `scope`.
fn usable(
    config: &ServerConfig,
    value: &ServerSessionValue,
    suite: &Tls13Suite,
    scope: &TicketScope<'_>,
    now: u64,
) -> bool {
    let same_hash =
        matches!(lookup(value.suite), Some(SupportedSuite::Tls13(s)) if s.hash == suite.hash);
    let alive = now <= value.created.saturating_add(u64::from(value.lifetime));
    value.version == ProtocolVersion::TLSV1_3
        && same_hash
        && alive
        && value.sni.as_deref() == scope.sni
        && value.client_auth == config.client_auth_scope()
        // RFC 7250 §4.1: a session whose server authenticated with a type
        // the client no longer accepts is not resumed.
        && scope.server_types.contains(&value.server_cert_type)
        // RFC 9369 §5: a ticket serves the QUIC version (or TLS) it came
        // from.
        && value.quic_version == scope.quic_version
}

/// What a ticket must match besides its suite and age: the handshake's
/// server name, the server certificate types the client accepts, and its
/// QUIC version (`None`: TLS).
struct TicketScope<'a> {
    sni: Option<&'a str>,
    server_types: Vec<CertificateType>,
    quic_version: Option<u32>,
}

impl<'a> TicketScope<'a> {
    fn new(
        config: &ServerConfig,
        ch: &ClientHello,
        sni: Option<&'a str>,
        quic_version: Option<u32>,
    ) -> Self {
        let (server_types, _) = super::cert_types::server_types(config, ch);
        TicketScope {
            sni,
            server_types,
            quic_version,
        }
    }
}

/// The binder over the hello truncated before the binders (RFC 9846
/// §4.3.11.2), compared in constant time: a wrong one is decrypt_error.
fn check_binder(
    offer: &OfferedPsks,
    raw: &[u8],
    transcript: &Transcript,
    psk: &WirePsk,
    binder: &[u8],
) -> Result<(), Error> {
    let truncated = raw
        .get(..raw.len().saturating_sub(offer.binders_len()))
        .unwrap_or_default();
    let hash = psk.hash;
    let expected = psk_binder(
        hash,
        psk.secret.as_bytes(),
        psk.kind,
        &transcript.hash_with(hash, truncated),
    );
    if constant_time_eq(&expected, binder) {
        Ok(())
    } else {
        Err(Error::Psk(PskProblem::BadBinder))
    }
}

/// How much rejected 0-RTT a server skips, counted in record bytes: its
/// own limit, or one full record's plaintext when it takes no early data.
pub(crate) fn early_skip_budget(config: &ServerConfig) -> usize {
    (config.max_early_data as usize).max(crate::record::MAX_FRAGMENT_LEN)
}
