//! The TLS 1.3 server's choice of a resumption PSK from the client's
//! pre_shared_key (RFC 8446 §4.2.11), and whether its 0-RTT data may be
//! taken (§4.2.10, §8).

use super::transcript::Transcript;
use crate::codec::Codec;
use crate::config::ServerConfig;
use crate::crypto::suites::lookup;
use crate::crypto::{Secret, SupportedSuite, Tls13Suite};
use crate::error::Error;
use crate::key_schedule::tls13::{finished_key, EarlySecret, PskKind};
use crate::msgs::enums::{
    AlertDescription, CertificateType, ExtensionType, ProtocolVersion, PskKeyExchangeMode,
};
use crate::msgs::extensions::{Extension, OfferedPsks, PskIdentity};
use crate::msgs::handshake::ClientHello;
use crate::session::{ServerSessionValue, TICKET_AGE_WINDOW_MS};

/// The most PSK identities the server looks at: each costs a ticket
/// decryption, and a client gains nothing from offering more (RFC 8446
/// §4.2.11 lets the server pick any).
const MAX_IDENTITIES_TRIED: usize = 8;

/// A resumption PSK accepted from the client's pre_shared_key.
pub(crate) struct AcceptedPsk {
    pub(crate) index: u16,
    pub(crate) psk: Secret,
    pub(crate) value: ServerSessionValue,
    pub(crate) binder: Vec<u8>,
    pub(crate) obfuscated_age: u32,
}

impl AcceptedPsk {
    /// Whether the client's idea of the ticket's age is within the window
    /// of ours (RFC 8446 §8.3): 0-RTT outside it may be a replay.
    pub(crate) fn fresh(&self, now_ms: u64) -> bool {
        let client_ms = u64::from(self.obfuscated_age.wrapping_sub(self.value.age_add));
        let server_ms = now_ms.saturating_sub(self.value.created.saturating_mul(1000));
        client_ms.abs_diff(server_ms) <= TICKET_AGE_WINDOW_MS
    }
}

/// Looks for a usable ticket among the client's PSK identities: one we
/// issued, alive, for a suite of the chosen suite's hash, for the same
/// server name and the same client-authentication policy, and from the
/// same QUIC version (`None`: from TLS) as this handshake (RFC 9369 §5). Its binder must
/// verify (RFC 8446 §4.2.11); a single-use ticket is spent only then.
pub(crate) fn accept_psk(
    config: &ServerConfig,
    ch: &ClientHello,
    raw: &[u8],
    transcript: &Transcript,
    suite: &'static Tls13Suite,
    sni: Option<&str>,
    quic_version: Option<u32>,
) -> Result<Option<AcceptedPsk>, Error> {
    let Some(offer) = offered_psks(config, ch)? else {
        return Ok(None);
    };
    let now = config.time.now().as_secs();
    let (server_types, _) = super::cert_types::server_types(config, ch);
    let candidates = offer
        .identities
        .iter()
        .enumerate()
        .take(MAX_IDENTITIES_TRIED);
    for (i, id) in candidates {
        let Some(value) = open_ticket(config, id, now) else {
            continue;
        };
        if !usable(config, &value, suite, sni, now, &server_types)
            || value.quic_version != quic_version
        {
            continue;
        }
        let binder = offer
            .binders
            .get(i)
            .ok_or(Error::Internal("a PSK identity without a binder"))?;
        check_binder(offer, raw, transcript, suite, &value, binder)?;
        // RFC 8446 §8.1: a single-use ticket is spent once it has passed
        // every check, so that a spoiled copy of the hello cannot burn it.
        if config.stateful_tickets && !spend_ticket(config, id) {
            continue;
        }
        return Ok(Some(AcceptedPsk {
            index: i as u16,
            psk: value.secret.clone(),
            value,
            binder: binder.clone(),
            obfuscated_age: id.obfuscated_ticket_age,
        }));
    }
    Ok(None)
}

/// Whether the hello offers a ticket we would resume with `suite` (ours,
/// alive, of the suite's hash, for this server name and client-auth
/// policy), its binder aside.
pub(crate) fn offers_resumable_psk(
    config: &ServerConfig,
    ch: &ClientHello,
    suite: &'static Tls13Suite,
    sni: Option<&str>,
) -> bool {
    let Ok(Some(offer)) = offered_psks(config, ch) else {
        return false;
    };
    let now = config.time.now().as_secs();
    let (server_types, _) = super::cert_types::server_types(config, ch);
    offer
        .identities
        .iter()
        .take(MAX_IDENTITIES_TRIED)
        .filter_map(|id| open_ticket(config, id, now))
        .any(|value| usable(config, &value, suite, sni, now, &server_types))
}

/// The client's PSK offer, if it makes one the server may use: with
/// psk_key_exchange_modes (RFC 8446 §4.2.9), in a mode we take.
fn offered_psks<'a>(
    config: &ServerConfig,
    ch: &'a ClientHello,
) -> Result<Option<&'a OfferedPsks>, Error> {
    let offer = match ch.extension(ExtensionType::PRE_SHARED_KEY) {
        Some(Extension::PreSharedKeyClient(offer)) => offer,
        Some(Extension::BadPreSharedKey(e, _)) => return Err(Error::decode("pre_shared_key", *e)),
        _ => return Ok(None),
    };
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
    Ok(usable_mode.then_some(offer))
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
/// same hash, the same server name (RFC 8446 §4.2.11, §4.6.1) and the same
/// client-authentication policy as when it was made.
fn usable(
    config: &ServerConfig,
    value: &ServerSessionValue,
    suite: &Tls13Suite,
    sni: Option<&str>,
    now: u64,
    server_types: &[CertificateType],
) -> bool {
    let same_hash =
        matches!(lookup(value.suite), Some(SupportedSuite::Tls13(s)) if s.hash == suite.hash);
    let alive = now <= value.created.saturating_add(u64::from(value.lifetime));
    value.version == ProtocolVersion::TLSV1_3
        && same_hash
        && alive
        && value.sni.as_deref() == sni
        && value.client_auth == config.client_auth_scope()
        // RFC 7250 §4.1: a session whose server authenticated with a type
        // the client no longer accepts is not resumed.
        && server_types.contains(&value.server_cert_type)
}

/// The binder over the hello truncated before the binders (RFC 8446
/// §4.2.11.2): a wrong one is decrypt_error.
fn check_binder(
    offer: &OfferedPsks,
    raw: &[u8],
    transcript: &Transcript,
    suite: &Tls13Suite,
    value: &ServerSessionValue,
    binder: &[u8],
) -> Result<(), Error> {
    let truncated = &raw[..raw.len().saturating_sub(offer.binders_len())];
    let binder_key =
        EarlySecret::new(suite.hash, Some(value.secret.as_bytes())).binder_key(PskKind::Resumption);
    let key = finished_key(suite.hash, binder_key.as_bytes());
    if suite.hash.hmac_verify(
        key.as_bytes(),
        &transcript.hash_with(suite.hash, truncated),
        binder,
    ) {
        Ok(())
    } else {
        Err(Error::peer(
            AlertDescription::DECRYPT_ERROR,
            "the client's PSK binder is wrong",
        ))
    }
}

/// How much rejected 0-RTT a server skips, counted in record bytes: its
/// own limit, or one full record's plaintext when it takes no early data.
pub(crate) fn early_skip_budget(config: &ServerConfig) -> usize {
    (config.max_early_data as usize).max(crate::record::MAX_FRAGMENT_LEN)
}
