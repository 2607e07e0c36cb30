//! Encrypted Client Hello (RFC 9849): what the client and the server share
//! (HPKE's info, EncodedClientHelloInner, ClientHelloOuterAAD, the
//! acceptance confirmations' inputs), and the server's side: trial
//! decryption of ClientHelloOuter (§7.1) and the second ClientHello after a
//! HelloRetryRequest (§7.1.1). The client's side is in `ech_client`.

use crate::codec::Reader;
use crate::config::ServerConfig;
use crate::crypto::hpke::{setup_base_r, HpkeAead, HpkeContext, HpkeKdf, HpkeSuite};
use crate::error::{EchProblem, Error};
use crate::msgs::ech::{
    decode_outer_extensions, encode_outer_extensions, EchClientHello, EchConfig,
    HpkeSymmetricCipherSuite,
};
use crate::msgs::enums::{is_grease_u16, ExtensionType, ProtocolVersion};
use crate::msgs::extensions::Extension;
use crate::msgs::handshake::{ClientHello, HandshakeMessage, HandshakePayload};
use std::collections::HashSet;
use std::ops::Range;

fn bad(problem: EchProblem) -> Error {
    Error::BadEch(problem)
}

/// HPKE's info: `"tls ech" || 0x00 || ECHConfig` (RFC 9849 §6.1, §7.1).
pub(crate) fn hpke_info(config: &EchConfig) -> Vec<u8> {
    [&b"tls ech\0"[..], &config.encoding].concat()
}

/// A ClientHello as a handshake message (header included), for the
/// transcript.
pub(crate) fn hello_message(hello: &ClientHello) -> Vec<u8> {
    HandshakeMessage::new(HandshakePayload::ClientHello(hello.clone())).encoding()
}

/// EncodedClientHelloInner (RFC 9849 §5.1): `inner` without its
/// legacy_session_id, the extensions in `compressed` (contiguous in
/// `inner`) replaced by one `ech_outer_extensions`, and the padding of
/// §6.1.3 for a maximum name length of `max_name_len`.
pub(crate) fn encode_inner(
    inner: &ClientHello,
    compressed: &[ExtensionType],
    max_name_len: u8,
) -> Vec<u8> {
    let mut copy = inner.clone();
    copy.legacy_session_id.clear();
    if let Some(first) = copy
        .extensions
        .iter()
        .position(|e| compressed.first() == Some(&e.typ()))
    {
        copy.extensions.retain(|e| !compressed.contains(&e.typ()));
        copy.extensions.insert(
            first,
            Extension::Unknown {
                typ: ExtensionType::ECH_OUTER_EXTENSIONS,
                data: encode_outer_extensions(compressed),
            },
        );
    }
    let mut out = copy.body_encoding();
    // §6.1.3: pad the server name to maximum_name_length (or add a whole
    // server_name's worth without one), then to a multiple of 32.
    let m = usize::from(max_name_len);
    let name_padding = match inner.extension(ExtensionType::SERVER_NAME) {
        Some(Extension::ServerName(names)) => {
            let d = names.first().map(|n| n.name.len()).unwrap_or(0);
            m.saturating_sub(d)
        }
        _ => m + 9,
    };
    let l = out.len() + name_padding;
    let n = 31 - ((l.saturating_sub(1)) % 32);
    out.resize(l + n, 0);
    out
}

/// Where the body of the `encrypted_client_hello` extension sits in a
/// hello's body: a ClientHello's (`client`) or a ServerHello's. `None` if
/// the body does not parse or has no such extension.
pub(crate) fn ech_extension_range(body: &[u8], client: bool) -> Option<Range<usize>> {
    let u8_at = |p: usize| body.get(p).copied().map(usize::from);
    let u16_at = |p: usize| Some((u8_at(p)? << 8) | u8_at(p + 1)?);
    // legacy_version and random, then legacy_session_id.
    let mut pos = 34;
    pos += 1 + u8_at(pos)?;
    if client {
        pos += 2 + u16_at(pos)?;
        pos += 1 + u8_at(pos)?;
    } else {
        pos += 3;
    }
    let end = pos + 2 + u16_at(pos)?;
    pos += 2;
    while pos + 4 <= end {
        let typ = u16_at(pos)?;
        let len = u16_at(pos + 2)?;
        let range = pos + 4..pos + 4 + len;
        if range.end > end.min(body.len()) {
            return None;
        }
        if typ == usize::from(ExtensionType::ENCRYPTED_CLIENT_HELLO.0) {
            return Some(range);
        }
        pos = range.end;
    }
    None
}

/// ClientHelloOuterAAD (RFC 9849 §5.2) from a ClientHelloOuter as received
/// (header included): its body with the ECH payload's `payload_len` bytes,
/// the last of the extension, set to zero.
fn outer_aad(raw: &[u8], payload_len: usize) -> Option<Vec<u8>> {
    let mut body = raw.get(4..)?.to_vec();
    let range = ech_extension_range(&body, true)?;
    let start = range.end.checked_sub(payload_len)?;
    body.get_mut(start..range.end)?.fill(0);
    Some(body)
}

/// The HPKE suite of an ECHClientHello's cipher_suite, if `config` lists it
/// and cloaktls implements it (RFC 9849 §7.1).
fn suite_for(
    config: &crate::config::EchKey,
    offered: HpkeSymmetricCipherSuite,
) -> Option<HpkeSuite> {
    if !config.contents.cipher_suites.contains(&offered) {
        return None;
    }
    Some(HpkeSuite {
        kem: config.private_key.kem(),
        kdf: HpkeKdf::from_id(offered.kdf_id)?,
        aead: HpkeAead::from_id(offered.aead_id)?,
    })
}

/// ClientHelloInner from a decrypted EncodedClientHelloInner and the
/// ClientHelloOuter it came in (RFC 9849 §5.1): the padding checked, the
/// outer's legacy_session_id copied, `ech_outer_extensions` expanded in
/// linear time (Appendix A), and the result checked as §7.1 says.
pub(crate) fn decode_inner(plaintext: &[u8], outer: &ClientHello) -> Result<ClientHello, Error> {
    let mut r = Reader::new(plaintext);
    let mut inner =
        ClientHello::read_body(&mut r).map_err(|e| bad(EchProblem::NotClientHello(e)))?;
    if r.rest().iter().any(|b| *b != 0) {
        return Err(bad(EchProblem::Padding));
    }
    if !inner.legacy_session_id.is_empty() {
        return Err(bad(EchProblem::NotClientHello(
            crate::codec::DecodeError::IllegalValue(
                "a legacy_session_id in EncodedClientHelloInner",
            ),
        )));
    }
    inner.legacy_session_id = outer.legacy_session_id.clone();
    if let Some(at) = inner
        .extensions
        .iter()
        .position(|e| e.typ() == ExtensionType::ECH_OUTER_EXTENSIONS)
    {
        let Extension::Unknown { data, .. } = inner.extensions.remove(at) else {
            return Err(bad(EchProblem::OuterExtensionsList));
        };
        let refs =
            decode_outer_extensions(&data).map_err(|_| bad(EchProblem::OuterExtensionsList))?;
        let mut copied = Vec::with_capacity(refs.len());
        let mut cursor = outer.extensions.iter();
        for typ in refs {
            if typ == ExtensionType::ENCRYPTED_CLIENT_HELLO {
                return Err(bad(EchProblem::OuterExtensionsReferenceEch));
            }
            let found = cursor
                .by_ref()
                .find(|e| e.typ() == typ)
                .ok_or(bad(EchProblem::OuterExtensionMissing(typ)))?;
            copied.push(found.clone());
        }
        inner.extensions.splice(at..at, copied);
    }
    check_inner(&inner)?;
    Ok(inner)
}

/// ClientHelloInner's own rules: no extension twice, pre_shared_key last,
/// an inner `encrypted_client_hello`, and no TLS 1.2 or below offered
/// (RFC 9849 §7.1, RFC 8446 §4.2, §4.2.11).
fn check_inner(inner: &ClientHello) -> Result<(), Error> {
    let mut seen = HashSet::with_capacity(inner.extensions.len());
    if !inner.extensions.iter().all(|e| seen.insert(e.typ())) {
        return Err(bad(EchProblem::OuterExtensionsList));
    }
    if let Some(pos) = inner
        .extensions
        .iter()
        .position(|e| e.typ() == ExtensionType::PRE_SHARED_KEY)
    {
        if pos + 1 != inner.extensions.len() {
            return Err(bad(EchProblem::NotClientHello(
                crate::codec::DecodeError::IllegalValue("pre_shared_key is not the last extension"),
            )));
        }
    }
    match inner.extension(ExtensionType::ENCRYPTED_CLIENT_HELLO) {
        Some(Extension::EncryptedClientHello(body))
            if EchClientHello::decode(body) == Ok(EchClientHello::Inner) => {}
        _ => return Err(bad(EchProblem::InnerWithoutExtension)),
    }
    match inner.extension(ExtensionType::SUPPORTED_VERSIONS) {
        Some(Extension::SupportedVersionsClient(v))
            if v.iter()
                .all(|v| is_grease_u16(v.0) || *v >= ProtocolVersion::TLSV1_3)
                && v.contains(&ProtocolVersion::TLSV1_3) => {}
        _ => return Err(bad(EchProblem::InnerOffersTls12)),
    }
    Ok(())
}

/// What a server's HelloRetryRequest must keep of an accepted ECH: the
/// HPKE context (its second message opens the second ClientHello), the
/// cipher suite and config_id the client must repeat (RFC 9849 §7.1.1).
pub(crate) struct EchRetry {
    /// `None` for a backend server that took an inner extension as it
    /// came (RFC 9849 §7.2): nothing to decrypt.
    ctx: Option<HpkeContext>,
    cipher_suite: HpkeSymmetricCipherSuite,
    config_id: u8,
}

/// An accepted ECH: ClientHelloInner (and its encoding as a handshake
/// message, for the transcript) and what a HelloRetryRequest keeps.
pub(crate) struct EchAccepted {
    pub(crate) inner: ClientHello,
    pub(crate) raw_inner: Vec<u8>,
    pub(crate) retry: EchRetry,
}

/// The server's reading of the first ClientHello's ECH (RFC 9849 §7,
/// §7.1): `None` when the client did not offer it or the server has no
/// keys; `Some(Err(()))`-like rejection is [`ServerEch::Rejected`].
pub(crate) enum ServerEch {
    /// No outer ECH extension, or no ECH keys here: plain RFC 8446.
    NotOffered,
    /// No key opened the payload (or it was GREASE): the handshake goes on
    /// with ClientHelloOuter, and the retry configs go in
    /// EncryptedExtensions.
    Rejected,
    /// ClientHelloInner drives the handshake.
    Accepted(Box<EchAccepted>),
}

/// Trial decryption of the first ClientHello (RFC 9849 §7.1): the keys
/// whose config_id matches, each of which lists the offered suite, in
/// order. A payload that opens but is malformed inside is fatal; one that
/// opens with no key is a rejection.
pub(crate) fn server_accept(
    config: &ServerConfig,
    ch: &ClientHello,
    raw: &[u8],
) -> Result<ServerEch, Error> {
    let Some(Extension::EncryptedClientHello(body)) =
        ch.extension(ExtensionType::ENCRYPTED_CLIENT_HELLO)
    else {
        return Ok(ServerEch::NotOffered);
    };
    if !config.versions.contains(&ProtocolVersion::TLSV1_3) {
        return Ok(ServerEch::NotOffered);
    }
    let ech = EchClientHello::decode(body).map_err(|e| bad(EchProblem::ClientHelloExtension(e)))?;
    let (cipher_suite, config_id, enc, payload) = match ech {
        // §7: a client-facing (or shared-mode) server never takes the
        // inner variant from the network; a server without keys is a
        // backend (§7.2), and confirms it.
        EchClientHello::Inner if config.ech_keys.is_empty() => {
            return Ok(ServerEch::Accepted(Box::new(EchAccepted {
                inner: ch.clone(),
                raw_inner: raw.to_vec(),
                retry: EchRetry {
                    ctx: None,
                    cipher_suite: HpkeSymmetricCipherSuite {
                        kdf_id: 0,
                        aead_id: 0,
                    },
                    config_id: 0,
                },
            })))
        }
        EchClientHello::Inner => return Err(bad(EchProblem::InnerFromNetwork)),
        _ if config.ech_keys.is_empty() => return Ok(ServerEch::NotOffered),
        EchClientHello::Outer {
            cipher_suite,
            config_id,
            enc,
            payload,
        } => (cipher_suite, config_id, enc, payload),
    };
    // §5.1: ech_outer_extensions lives only inside EncodedClientHelloInner.
    if ch.extension(ExtensionType::ECH_OUTER_EXTENSIONS).is_some() {
        return Err(bad(EchProblem::OuterExtensionsList));
    }
    let Some(aad) = outer_aad(raw, payload.len()) else {
        return Err(Error::Internal(
            "a ClientHello that parsed twice differently",
        ));
    };
    for key in config
        .ech_keys
        .iter()
        .filter(|k| k.config_id() == config_id)
    {
        let Some(suite) = suite_for(key, cipher_suite) else {
            continue;
        };
        let info = hpke_info(&key.config);
        let Ok(mut ctx) = setup_base_r(suite, &enc, &key.private_key, &info) else {
            continue;
        };
        let Ok(plaintext) = ctx.open(&aad, &payload) else {
            continue;
        };
        let inner = decode_inner(&plaintext, ch)?;
        let raw_inner = hello_message(&inner);
        return Ok(ServerEch::Accepted(Box::new(EchAccepted {
            inner,
            raw_inner,
            retry: EchRetry {
                ctx: Some(ctx),
                cipher_suite,
                config_id,
            },
        })));
    }
    Ok(ServerEch::Rejected)
}

/// The second ClientHelloOuter after a HelloRetryRequest that accepted
/// ECH (RFC 9849 §7.1.1): the same suite and config_id, an empty enc, and
/// a payload that the first context's second Open takes. Returns the
/// second ClientHelloInner and its encoding.
pub(crate) fn server_second_hello(
    retry: &mut EchRetry,
    ch: &ClientHello,
    raw: &[u8],
) -> Result<(ClientHello, Vec<u8>), Error> {
    let Some(Extension::EncryptedClientHello(body)) =
        ch.extension(ExtensionType::ENCRYPTED_CLIENT_HELLO)
    else {
        return Err(bad(EchProblem::MissingAfterRetry));
    };
    let ech = EchClientHello::decode(body).map_err(|e| bad(EchProblem::ClientHelloExtension(e)))?;
    let Some(ctx) = retry.ctx.as_mut() else {
        // A backend server: the second hello carries the inner variant too.
        return match ech {
            EchClientHello::Inner => Ok((ch.clone(), raw.to_vec())),
            _ => Err(bad(EchProblem::ChangedAfterRetry)),
        };
    };
    let EchClientHello::Outer {
        cipher_suite,
        config_id,
        enc,
        payload,
    } = ech
    else {
        return Err(bad(EchProblem::InnerFromNetwork));
    };
    if cipher_suite != retry.cipher_suite || config_id != retry.config_id || !enc.is_empty() {
        return Err(bad(EchProblem::ChangedAfterRetry));
    }
    if ch.extension(ExtensionType::ECH_OUTER_EXTENSIONS).is_some() {
        return Err(bad(EchProblem::OuterExtensionsList));
    }
    let aad = outer_aad(raw, payload.len()).ok_or(Error::Internal(
        "a ClientHello that parsed twice differently",
    ))?;
    let plaintext = ctx
        .open(&aad, &payload)
        .map_err(|_| bad(EchProblem::DecryptAfterRetry))?;
    let inner = decode_inner(&plaintext, ch)?;
    let raw_inner = hello_message(&inner);
    Ok((inner, raw_inner))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msgs::enums::{CipherSuite, CompressionMethod, NamedGroup, ServerNameType};
    use crate::msgs::extensions::{KeyShareEntry, ServerName};

    fn hello(exts: Vec<Extension>) -> ClientHello {
        ClientHello {
            legacy_version: ProtocolVersion::TLSV1_2,
            random: [7; 32],
            legacy_session_id: vec![5; 32],
            cipher_suites: vec![CipherSuite::TLS13_AES_128_GCM_SHA256],
            compression_methods: vec![CompressionMethod::NULL],
            extensions: exts,
        }
    }

    fn inner_exts() -> Vec<Extension> {
        vec![
            Extension::ServerName(vec![ServerName {
                name_type: ServerNameType::HOST_NAME,
                name: b"secret.example".to_vec(),
            }]),
            Extension::SupportedGroups(vec![NamedGroup::X25519]),
            Extension::KeyShareClient(vec![KeyShareEntry {
                group: NamedGroup::X25519,
                key_exchange: vec![9; 32],
            }]),
            Extension::SupportedVersionsClient(vec![ProtocolVersion::TLSV1_3]),
            Extension::EncryptedClientHello(vec![1]),
        ]
    }

    fn outer() -> ClientHello {
        let mut exts = inner_exts();
        exts[0] = Extension::ServerName(vec![ServerName {
            name_type: ServerNameType::HOST_NAME,
            name: b"public.example".to_vec(),
        }]);
        exts.pop();
        hello(exts)
    }

    #[test]
    fn inner_hellos_round_trip_through_their_encoding() {
        let inner = hello(inner_exts());
        let outer = outer();
        for compressed in [
            &[][..],
            &[ExtensionType::KEY_SHARE][..],
            &[ExtensionType::SUPPORTED_GROUPS, ExtensionType::KEY_SHARE][..],
        ] {
            for max in [0u8, 20, 255] {
                let enc = encode_inner(&inner, compressed, max);
                assert_eq!(enc.len() % 32, 0);
                assert_eq!(decode_inner(&enc, &outer).unwrap(), inner, "{compressed:?}");
            }
        }
    }

    #[test]
    fn malformed_inner_hellos_get_the_rfc_alerts() {
        use crate::msgs::enums::AlertDescription as A;
        let inner = hello(inner_exts());
        let outer = outer();
        let alert = |bytes: &[u8]| decode_inner(bytes, &outer).unwrap_err();
        // Non-zero padding (a long maximum name length makes sure there is
        // some).
        let mut enc = encode_inner(&inner, &[], 40);
        *enc.last_mut().unwrap() = 1;
        assert_eq!(alert(&enc), Error::BadEch(EchProblem::Padding));
        assert_eq!(alert(&enc).alert(), Some(A::ILLEGAL_PARAMETER));
        // Not a ClientHello at all.
        assert!(matches!(
            alert(&[1, 2, 3]),
            Error::BadEch(EchProblem::NotClientHello(_))
        ));
        assert_eq!(alert(&[1, 2, 3]).alert(), Some(A::DECODE_ERROR));
        // A reference to an extension the outer lacks; twice; out of order;
        // to encrypted_client_hello.
        let with_refs = |refs: &[ExtensionType]| {
            let mut h = inner.clone();
            h.legacy_session_id.clear();
            h.extensions.retain(|e| !refs.contains(&e.typ()));
            h.extensions.insert(
                1,
                Extension::Unknown {
                    typ: ExtensionType::ECH_OUTER_EXTENSIONS,
                    data: encode_outer_extensions(refs),
                },
            );
            h.body_encoding()
        };
        assert_eq!(
            alert(&with_refs(&[
                ExtensionType::APPLICATION_LAYER_PROTOCOL_NEGOTIATION
            ])),
            Error::BadEch(EchProblem::OuterExtensionMissing(
                ExtensionType::APPLICATION_LAYER_PROTOCOL_NEGOTIATION
            ))
        );
        let twice = with_refs(&[ExtensionType::KEY_SHARE, ExtensionType::KEY_SHARE]);
        assert!(matches!(
            alert(&twice),
            Error::BadEch(EchProblem::OuterExtensionMissing(_))
        ));
        let reversed = with_refs(&[ExtensionType::KEY_SHARE, ExtensionType::SUPPORTED_GROUPS]);
        assert!(matches!(
            alert(&reversed),
            Error::BadEch(EchProblem::OuterExtensionMissing(_))
        ));
        let ech = with_refs(&[ExtensionType::ENCRYPTED_CLIENT_HELLO]);
        assert_eq!(
            alert(&ech),
            Error::BadEch(EchProblem::OuterExtensionsReferenceEch)
        );
    }

    #[test]
    fn bad_outer_extension_lists_and_inner_rules_get_the_rfc_alerts() {
        let inner = hello(inner_exts());
        let outer = outer();
        let alert = |bytes: &[u8]| decode_inner(bytes, &outer).unwrap_err();
        // A reference to an extension the inner also has: twice in the end.
        let mut dup = inner.clone();
        dup.legacy_session_id.clear();
        dup.extensions.insert(
            0,
            Extension::Unknown {
                typ: ExtensionType::ECH_OUTER_EXTENSIONS,
                data: encode_outer_extensions(&[ExtensionType::KEY_SHARE]),
            },
        );
        assert_eq!(
            alert(&dup.body_encoding()),
            Error::BadEch(EchProblem::OuterExtensionsList)
        );
        // A malformed list.
        let mut bad_list = inner.clone();
        bad_list.legacy_session_id.clear();
        bad_list.extensions.insert(
            0,
            Extension::Unknown {
                typ: ExtensionType::ECH_OUTER_EXTENSIONS,
                data: vec![1, 0],
            },
        );
        assert_eq!(
            alert(&bad_list.body_encoding()),
            Error::BadEch(EchProblem::OuterExtensionsList)
        );
        // No inner extension; TLS 1.2 offered.
        let mut no_ext = inner.clone();
        no_ext.extensions.pop();
        assert_eq!(
            alert(&encode_inner(&no_ext, &[], 0)),
            Error::BadEch(EchProblem::InnerWithoutExtension)
        );
        let mut tls12 = inner.clone();
        tls12.extensions[3] = Extension::SupportedVersionsClient(vec![
            ProtocolVersion::TLSV1_3,
            ProtocolVersion::TLSV1_2,
        ]);
        assert_eq!(
            alert(&encode_inner(&tls12, &[], 0)),
            Error::BadEch(EchProblem::InnerOffersTls12)
        );
        // A session ID inside.
        let mut sid = inner.body_encoding();
        sid.resize(sid.len() + 3, 0);
        assert!(matches!(
            alert(&sid),
            Error::BadEch(EchProblem::NotClientHello(_))
        ));
    }

    #[test]
    fn the_ech_extension_is_found_in_raw_hellos() {
        let mut h = outer();
        h.extensions.push(Extension::EncryptedClientHello(vec![
            0, 0, 1, 0, 1, 4, 0, 0, 0, 2, 8, 8,
        ]));
        let raw = hello_message(&h);
        let range = ech_extension_range(&raw[4..], true).unwrap();
        assert_eq!(&raw[4..][range], &[0, 0, 1, 0, 1, 4, 0, 0, 0, 2, 8, 8]);
        let aad = outer_aad(&raw, 2).unwrap();
        assert_eq!(&aad[aad.len() - 2..], &[0, 0]);
        assert_eq!(aad.len(), raw.len() - 4);
        assert!(ech_extension_range(&raw[4..raw.len() - 1], true).is_none());
        assert!(ech_extension_range(&hello_message(&outer())[4..], true).is_none());
    }
}
