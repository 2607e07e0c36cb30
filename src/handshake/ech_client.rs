//! The client's side of Encrypted Client Hello (RFC 9849 §6): sealing
//! ClientHelloInner into ClientHelloOuter (§6.1, §6.1.1), GREASE (§6.2.1),
//! reading the server's first message for acceptance (§6.1.4), and the
//! second ClientHelloOuter after an accepting HelloRetryRequest (§6.1.5).

use super::ech::{ech_extension_range, encode_inner, hello_message, hpke_info};
use super::transcript::Transcript;
use crate::config::ChosenEchConfig;
use crate::crypto::hash::constant_time_eq;
use crate::crypto::hpke::{setup_base_s, HpkeContext, HpkeKem, HpkePrivateKey};
use crate::crypto::rand::RandomSource;
use crate::crypto::Tls13Suite;
use crate::error::{EchProblem, Error};
use crate::key_schedule::tls13::ech_accept_confirmation;
use crate::msgs::ech::{EchClientHello, HpkeSymmetricCipherSuite};
use crate::msgs::enums::ExtensionType;
use crate::msgs::extensions::{Extension, OfferedPsks, PskIdentity};
use crate::msgs::handshake::{ClientHello, ServerHello};
use pki_types::ServerName;

/// An ECH offer in flight: the config, the HPKE context (a second
/// ClientHello is its second message), ClientHelloInner and its
/// transcript, kept beside the outer ones until the server answers.
pub(crate) struct EchOffer {
    pub(crate) chosen: ChosenEchConfig,
    pub(crate) ctx: HpkeContext,
    pub(crate) inner: ClientHello,
    pub(crate) inner_transcript: Transcript,
    /// ClientHelloOuter, once ClientHelloInner has taken its place (after
    /// an accepting HelloRetryRequest).
    pub(crate) outer: Option<ClientHello>,
}

/// The wire form of the chosen suite.
fn wire_suite(chosen: &ChosenEchConfig) -> HpkeSymmetricCipherSuite {
    HpkeSymmetricCipherSuite {
        kdf_id: chosen.suite.kdf.id(),
        aead_id: chosen.suite.aead.id(),
    }
}

/// Puts `ext` before pre_shared_key, which must stay last (RFC 8446
/// §4.2.11), or at the end.
pub(crate) fn insert_before_psk(exts: &mut Vec<Extension>, ext: Extension) {
    let at = match exts.last() {
        Some(e) if e.typ() == ExtensionType::PRE_SHARED_KEY => exts.len() - 1,
        _ => exts.len(),
    };
    exts.insert(at, ext);
}

/// The server name to authenticate a rejected ECH for (RFC 9849 §6.1.7).
pub(crate) fn public_server_name(chosen: &ChosenEchConfig) -> Result<ServerName<'static>, Error> {
    ServerName::try_from(chosen.public_name.clone())
        .map_err(|_| Error::Internal("an ECH public name that was checked is not a name"))
}

/// Sets up HPKE for `chosen` (RFC 9849 §6.1): `enc` and the context.
pub(crate) fn setup(
    chosen: &ChosenEchConfig,
    rng: &dyn RandomSource,
) -> Result<(Vec<u8>, HpkeContext), Error> {
    setup_base_s(
        chosen.suite,
        &chosen.contents.public_key,
        &hpke_info(&chosen.config),
        rng,
    )
}

/// Whether an inner extension may be compressed at all: never the name,
/// ECH itself or the PSK (RFC 9849 §5.1, §6.1).
fn compressible(typ: ExtensionType) -> bool {
    !matches!(
        typ,
        ExtensionType::SERVER_NAME
            | ExtensionType::ENCRYPTED_CLIENT_HELLO
            | ExtensionType::PRE_SHARED_KEY
    )
}

/// The longest run of consecutive ClientHelloInner extensions that
/// ClientHelloOuter carries identically and in the same order (RFC 9849
/// §5.1): what `ech_outer_extensions` replaces.
pub(crate) fn compressible_run(inner: &ClientHello, outer: &ClientHello) -> Vec<ExtensionType> {
    let mut best = Vec::new();
    for start in 0..inner.extensions.len() {
        let mut run = Vec::new();
        let mut cursor = 0;
        for e in inner.extensions.iter().skip(start) {
            let found = outer
                .extensions
                .get(cursor..)
                .and_then(|rest| rest.iter().position(|o| o == e));
            match found {
                Some(i) if compressible(e.typ()) => {
                    cursor += i + 1;
                    run.push(e.typ());
                }
                _ => break,
            }
        }
        if run.len() > best.len() {
            best = run;
        }
    }
    best
}

/// Orders ClientHelloInner's extensions so that those ClientHelloOuter
/// carries identically come together (and so compress, §5.1), keeping
/// their order and pre_shared_key last.
pub(crate) fn group_compressible(inner: &mut ClientHello, outer: &ClientHello) {
    let (shared, own): (Vec<Extension>, Vec<Extension>) = std::mem::take(&mut inner.extensions)
        .into_iter()
        .partition(|e| compressible(e.typ()) && outer.extensions.contains(e));
    let (psk, mut rest): (Vec<Extension>, Vec<Extension>) = own
        .into_iter()
        .partition(|e| e.typ() == ExtensionType::PRE_SHARED_KEY);
    rest.extend(shared);
    rest.extend(psk);
    inner.extensions = rest;
}

/// ClientHelloOuter: `outer` (complete but for its ECH extension) with the
/// outer `encrypted_client_hello` holding `inner` sealed under `ctx`
/// (RFC 9849 §6.1.1). The longest run of extensions the two share is
/// compressed (§5.1).
pub(crate) fn seal_outer(
    chosen: &ChosenEchConfig,
    ctx: &mut HpkeContext,
    enc: Vec<u8>,
    inner: &ClientHello,
    mut outer: ClientHello,
) -> Result<ClientHello, Error> {
    let compressed = compressible_run(inner, &outer);
    let encoded = encode_inner(inner, &compressed, chosen.contents.maximum_name_length);
    let placeholder = EchClientHello::Outer {
        cipher_suite: wire_suite(chosen),
        config_id: chosen.contents.config_id,
        enc: enc.clone(),
        payload: vec![0; encoded.len() + chosen.suite.aead.tag_len()],
    };
    outer
        .extensions
        .retain(|e| e.typ() != ExtensionType::ENCRYPTED_CLIENT_HELLO);
    insert_before_psk(
        &mut outer.extensions,
        Extension::EncryptedClientHello(placeholder.encode()),
    );
    // §5.2: the AAD is ClientHelloOuter with the payload zeroed.
    let aad = outer.body_encoding();
    let payload = ctx.seal(&aad, &encoded)?;
    let sealed = EchClientHello::Outer {
        cipher_suite: wire_suite(chosen),
        config_id: chosen.contents.config_id,
        enc,
        payload,
    };
    for e in outer.extensions.iter_mut() {
        if let Extension::EncryptedClientHello(body) = e {
            *body = sealed.encode();
        }
    }
    Ok(outer)
}

/// A GREASE pre_shared_key for ClientHelloOuter (RFC 9849 §6.1.2): random
/// identities, ages and binders of the inner one's lengths.
pub(crate) fn grease_psk(inner: &OfferedPsks, rng: &dyn RandomSource) -> Result<Extension, Error> {
    let mut identities = Vec::with_capacity(inner.identities.len());
    for id in &inner.identities {
        let mut identity = vec![0u8; id.identity.len()];
        rng.fill(&mut identity)?;
        let mut age = [0u8; 4];
        rng.fill(&mut age)?;
        identities.push(PskIdentity {
            identity,
            obfuscated_ticket_age: u32::from_be_bytes(age),
        });
    }
    let mut binders = Vec::with_capacity(inner.binders.len());
    for b in &inner.binders {
        let mut binder = vec![0u8; b.len()];
        rng.fill(&mut binder)?;
        binders.push(binder);
    }
    Ok(Extension::PreSharedKeyClient(OfferedPsks {
        identities,
        binders,
    }))
}

/// A GREASE `encrypted_client_hello` (RFC 9849 §6.2.1): a random
/// config_id, HKDF-SHA256 with AES-128-GCM, a real X25519 public key as
/// `enc`, and a random payload as long as a padded ClientHelloInner like
/// `hello` would seal to.
pub(crate) fn grease_extension(
    hello: &ClientHello,
    rng: &dyn RandomSource,
) -> Result<Extension, Error> {
    let mut id = [0u8; 1];
    rng.fill(&mut id)?;
    let enc = HpkePrivateKey::generate(HpkeKem::DhkemX25519HkdfSha256, rng)?
        .public_key()
        .to_vec();
    // What the inner would be: this hello, its key_share compressed.
    let share = hello
        .extension(ExtensionType::KEY_SHARE)
        .map(|e| match e {
            Extension::KeyShareClient(s) => s.iter().map(|k| k.key_exchange.len() + 4).sum(),
            _ => 0,
        })
        .unwrap_or(0);
    let inner_len = hello.body_encoding().len().saturating_sub(share) + 16;
    let padded = inner_len.div_ceil(32) * 32;
    let mut payload = vec![0u8; padded + 16];
    rng.fill(&mut payload)?;
    Ok(Extension::EncryptedClientHello(
        EchClientHello::Outer {
            cipher_suite: HpkeSymmetricCipherSuite {
                kdf_id: 1,
                aead_id: 1,
            },
            config_id: id[0],
            enc,
            payload,
        }
        .encode(),
    ))
}

/// Whether the server's first message accepted ECH (RFC 9849 §6.1.4). A
/// ServerHello's random ends with the confirmation over ClientHelloInner
/// and the ServerHello with those 8 bytes zeroed; a HelloRetryRequest's
/// `encrypted_client_hello` (8 bytes, or decode_error) holds it over
/// message_hash(ClientHelloInner) and the HelloRetryRequest with the
/// extension zeroed.
pub(crate) fn accepted(
    offer: &EchOffer,
    sh: &ServerHello,
    raw: &[u8],
    suite: &Tls13Suite,
) -> Result<bool, Error> {
    let hash = suite.hash;
    if sh.is_hello_retry_request() {
        let Some(Extension::EncryptedClientHello(confirmation)) =
            sh.extension(ExtensionType::ENCRYPTED_CLIENT_HELLO)
        else {
            return Ok(false);
        };
        if confirmation.len() != 8 {
            return Err(Error::BadEch(EchProblem::ConfirmationLength(
                confirmation.len(),
            )));
        }
        let mut zeroed = raw.to_vec();
        let range = raw
            .get(4..)
            .and_then(|body| ech_extension_range(body, false))
            .ok_or(Error::Internal(
                "a HelloRetryRequest that parsed twice differently",
            ))?;
        if let Some(bytes) = zeroed.get_mut(4 + range.start..4 + range.end) {
            bytes.fill(0);
        }
        let mut t = offer.inner_transcript.clone();
        t.start_hash(hash, false);
        t.rollup_for_hrr(hash);
        let expected =
            ech_accept_confirmation(hash, &offer.inner.random, &t.hash_with(hash, &zeroed), true);
        return Ok(constant_time_eq(&expected, confirmation));
    }
    Ok(server_hello_confirms(
        &offer.inner_transcript,
        &offer.inner.random,
        raw,
        suite,
    ))
}

/// Whether a ServerHello's random ends with the acceptance confirmation
/// over `inner_transcript` (RFC 9849 §7.2).
pub(crate) fn server_hello_confirms(
    inner_transcript: &Transcript,
    inner_random: &[u8; 32],
    raw: &[u8],
    suite: &Tls13Suite,
) -> bool {
    // Header (4), legacy_version (2), then the random: its last 8 bytes.
    let tail = 4 + 2 + 24..4 + 2 + 32;
    let mut zeroed = raw.to_vec();
    let Some(got) = raw.get(tail.clone()) else {
        return false;
    };
    if let Some(bytes) = zeroed.get_mut(tail) {
        bytes.fill(0);
    }
    let hash = suite.hash;
    let expected = ech_accept_confirmation(
        hash,
        inner_random,
        &inner_transcript.hash_with(hash, &zeroed),
        false,
    );
    constant_time_eq(&expected, got)
}

/// The second ClientHelloOuter after an accepting HelloRetryRequest (RFC
/// 9849 §6.1.5): the first one with the second inner hello's key share
/// and cookie and without early_data, its ECH sealed with the first
/// context (the second message) and an empty enc.
pub(crate) fn second_outer(
    offer: &mut EchOffer,
    inner2: &ClientHello,
) -> Result<ClientHello, Error> {
    let Some(mut outer) = offer.outer.clone() else {
        return Err(Error::Internal(
            "an accepted ECH retry without its outer hello",
        ));
    };
    outer.extensions.retain(|e| {
        !matches!(
            e.typ(),
            ExtensionType::EARLY_DATA | ExtensionType::ENCRYPTED_CLIENT_HELLO
        )
    });
    for e in outer.extensions.iter_mut() {
        if e.typ() == ExtensionType::KEY_SHARE {
            if let Some(new) = inner2.extension(ExtensionType::KEY_SHARE) {
                *e = new.clone();
            }
        }
    }
    if let Some(cookie) = inner2.extension(ExtensionType::COOKIE) {
        insert_before_psk(&mut outer.extensions, cookie.clone());
    }
    seal_outer(&offer.chosen, &mut offer.ctx, Vec::new(), inner2, outer)
}

/// The hello as a handshake message: for the inner transcript.
pub(crate) fn inner_message(hello: &ClientHello) -> Vec<u8> {
    hello_message(hello)
}
