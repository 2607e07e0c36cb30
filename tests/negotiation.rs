//! Version negotiation in every combination, downgrade protection (RFC
//! 8446 §4.1.3), TLS_FALLBACK_SCSV (RFC 7507), and old versions refused
//! with protocol_version.

mod common;
use cloaktls::conn::Intake;
use cloaktls::error::Negotiable;
use cloaktls::msgs::enums::{AlertDescription, ProtocolVersion};
use cloaktls::{ClientConfig, ClientConnection, Error, ServerConfig, ServerConnection};
use common::*;

const V13: &[ProtocolVersion] = &[ProtocolVersion::TLSV1_3];
const V12: &[ProtocolVersion] = &[ProtocolVersion::TLSV1_2];
const BOTH: &[ProtocolVersion] = &[ProtocolVersion::TLSV1_3, ProtocolVersion::TLSV1_2];

fn configs(
    pki: &Pki,
    client: &[ProtocolVersion],
    server: &[ProtocolVersion],
) -> (ClientConnection, ServerConnection) {
    let s = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
        .versions(server)
        .build()
        .unwrap();
    let c = ClientConfig::builder(pki.roots())
        .versions(client)
        .build()
        .unwrap();
    (
        ClientConnection::new(c, "localhost").unwrap(),
        ServerConnection::new(s).unwrap(),
    )
}

#[test]
fn every_combination() {
    let pki = Pki::new("CA");
    let cases: [(
        &[ProtocolVersion],
        &[ProtocolVersion],
        Option<ProtocolVersion>,
    ); 9] = [
        (BOTH, BOTH, Some(ProtocolVersion::TLSV1_3)),
        (BOTH, V13, Some(ProtocolVersion::TLSV1_3)),
        (BOTH, V12, Some(ProtocolVersion::TLSV1_2)),
        (V13, BOTH, Some(ProtocolVersion::TLSV1_3)),
        (V12, BOTH, Some(ProtocolVersion::TLSV1_2)),
        (V13, V13, Some(ProtocolVersion::TLSV1_3)),
        (V12, V12, Some(ProtocolVersion::TLSV1_2)),
        (V13, V12, None),
        (V12, V13, None),
    ];
    for (client, server, want) in cases {
        let (mut c, mut s) = configs(&pki, client, server);
        let (cr, sr) = handshake(&mut c, &mut s);
        match want {
            Some(v) => {
                cr.unwrap();
                sr.unwrap();
                assert_eq!(c.protocol_version(), Some(v));
                assert_eq!(s.protocol_version(), Some(v));
            }
            None => {
                let err = sr.unwrap_err();
                assert!(
                    matches!(
                        err,
                        Error::NoCommon {
                            what: Negotiable::ProtocolVersion,
                            ..
                        }
                    ),
                    "{err:?}"
                );
                assert_eq!(err.alert(), Some(AlertDescription::PROTOCOL_VERSION));
                assert_eq!(
                    cr,
                    Err(Error::AlertReceived(AlertDescription::PROTOCOL_VERSION))
                );
            }
        }
    }
}

/// Replaces the first occurrence of `from` in `bytes` by `to` (same length).
fn patch(bytes: &mut [u8], from: &[u8], to: &[u8]) {
    let at = bytes
        .windows(from.len())
        .position(|w| w == from)
        .expect("pattern");
    bytes[at..at + to.len()].copy_from_slice(to);
}

#[test]
fn a_stripped_supported_versions_is_detected_as_a_downgrade() {
    // An attacker removes supported_versions from the ClientHello (here, by
    // renaming it), so a server that can do TLS 1.3 answers with TLS 1.2.
    let pki = Pki::new("CA");
    let (mut c, mut s) = configs(&pki, BOTH, BOTH);
    let mut hello = c.pending_tls().to_vec();
    c.consume_tls(hello.len());
    // supported_versions: type 0x002b, length 5, list of 4: 0304 0303.
    patch(
        &mut hello,
        &[0x00, 0x2b, 0x00, 0x05, 0x04, 0x03, 0x04],
        &[0xfe, 0x2b],
    );
    assert_eq!(s.read_tls(&hello).unwrap(), Intake::All);
    assert_eq!(s.protocol_version(), Some(ProtocolVersion::TLSV1_2));
    let flight = s.pending_tls().to_vec();
    // The server marked its random (bytes 24..32 of it).
    assert!(flight.windows(8).any(|w| w == b"DOWNGRD\x01"));
    let err = c.read_tls(&flight).unwrap_err();
    assert_eq!(err.alert(), Some(AlertDescription::ILLEGAL_PARAMETER));
    assert!(err.to_string().contains("downgrade"), "{err}");
    // A TLS 1.2-only client does not look for the mark.
    let (mut c, mut s) = configs(&pki, V12, BOTH);
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
}

#[test]
fn fallback_scsv_is_refused_by_a_newer_server() {
    let pki = Pki::new("CA");
    let (mut c, mut s) = configs(&pki, V12, BOTH);
    let mut hello = c.pending_tls().to_vec();
    c.consume_tls(hello.len());
    // A TLS 1.2-only hello carries TLS_EMPTY_RENEGOTIATION_INFO_SCSV; make
    // it TLS_FALLBACK_SCSV, as a client retrying after a failure would.
    patch(&mut hello, &[0x00, 0xff, 0x01, 0x00], &[0x56, 0x00]);
    let err = s.read_tls(&hello).unwrap_err();
    assert_eq!(err.alert(), Some(AlertDescription::INAPPROPRIATE_FALLBACK));
    // A server whose best is TLS 1.2 accepts the same hello.
    let (mut c2, _) = configs(&pki, V12, V12);
    let mut hello = c2.pending_tls().to_vec();
    c2.consume_tls(hello.len());
    patch(&mut hello, &[0x00, 0xff, 0x01, 0x00], &[0x56, 0x00]);
    let mut s2 = ServerConnection::new(
        ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
            .versions(V12)
            .build()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(s2.read_tls(&hello).unwrap(), Intake::All);
    assert_eq!(s2.protocol_version(), Some(ProtocolVersion::TLSV1_2));
}

#[test]
fn old_versions_are_refused_with_protocol_version() {
    let pki = Pki::new("CA");
    for old in [0x0300u16, 0x0301, 0x0302] {
        // A server offered only an old version.
        let (mut c, mut s) = configs(&pki, V12, BOTH);
        let mut hello = c.pending_tls().to_vec();
        c.consume_tls(hello.len());
        // legacy_version sits after the record header (5) and the
        // handshake header (4).
        hello[9..11].copy_from_slice(&old.to_be_bytes());
        let err = s.read_tls(&hello).unwrap_err();
        assert_eq!(
            err.alert(),
            Some(AlertDescription::PROTOCOL_VERSION),
            "{old:04x}: {err:?}"
        );
        assert_eq!(s.pending_tls(), &[21, 3, 3, 0, 2, 2, 70]);
        // A client answered with an old version.
        let (mut c, mut s) = configs(&pki, BOTH, V12);
        let hello = c.pending_tls().to_vec();
        c.consume_tls(hello.len());
        assert_eq!(s.read_tls(&hello).unwrap(), Intake::All);
        let mut flight = s.pending_tls().to_vec();
        flight[9..11].copy_from_slice(&old.to_be_bytes());
        let err = c.read_tls(&flight).unwrap_err();
        assert_eq!(
            err.alert(),
            Some(AlertDescription::PROTOCOL_VERSION),
            "{old:04x}: {err:?}"
        );
    }
}

#[test]
fn a_server_choosing_a_version_we_did_not_offer() {
    // A TLS 1.2-only client gets a TLS 1.3 ServerHello.
    let pki = Pki::new("CA");
    let (mut c12, _) = configs(&pki, V12, BOTH);
    let n = c12.pending_tls().len();
    c12.consume_tls(n);
    let (c13, mut s13) = configs(&pki, BOTH, BOTH);
    assert_eq!(s13.read_tls(c13.pending_tls()).unwrap(), Intake::All);
    let err = c12.read_tls(s13.pending_tls()).unwrap_err();
    assert_eq!(
        err.alert(),
        Some(AlertDescription::ILLEGAL_PARAMETER),
        "{err:?}"
    );
}

#[test]
fn chosen_key_shares_save_or_force_a_hello_retry() {
    use cloaktls::NamedGroup;
    let pki = Pki::new("CA");
    let p256 = NamedGroup::SECP256R1;
    // (key shares, the server's groups, HelloRetryRequest expected)
    for (shares, server, hrr) in [
        (vec![], vec![NamedGroup::X25519], true),
        (vec![NamedGroup::X25519, p256], vec![p256], false),
        (vec![NamedGroup::X25519], vec![p256], true),
    ] {
        let (mut c, mut s) = pair(
            &pki,
            |b| b.groups(&server),
            |b| b.groups(&[NamedGroup::X25519, p256]).key_shares(&shares),
            "localhost",
        );
        let (rc, rs) = handshake(&mut c, &mut s);
        rc.unwrap();
        rs.unwrap();
        assert_eq!(c.had_hello_retry(), hrr, "{shares:?} {server:?}");
        assert_eq!(c.key_exchange_group(), Some(server[0]));
    }
    // A share for a group not offered is refused when the config is built.
    let err = cloaktls::ClientConfig::builder(pki.roots())
        .groups(&[NamedGroup::X25519])
        .key_shares(&[p256])
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("RFC 8446 §4.2.8"), "{err}");
}

#[test]
fn a_server_groups_hint_predicts_the_key_share() {
    use cloaktls::NamedGroup;
    let pki = Pki::new("CA");
    let (x, p256) = (NamedGroup::X25519, NamedGroup::SECP256R1);
    // (the hint, the server's groups, HelloRetryRequest expected)
    for (hint, server, hrr) in [
        // The first of our groups the hint names gets the share.
        (vec![p256, x], vec![x], false),
        // A group we do not know is ignored.
        (vec![NamedGroup(0x1234), p256], vec![p256], false),
        // A hint with none of ours: the default share (X25519).
        (vec![NamedGroup(0x1234)], vec![p256], true),
        // A hint that was wrong costs a retry, nothing more.
        (vec![p256], vec![x], true),
    ] {
        let (mut c, mut s) = pair(
            &pki,
            |b| b.groups(&server),
            |b| b.groups(&[x, p256]).server_groups_hint(&hint),
            "localhost",
        );
        let (rc, rs) = handshake(&mut c, &mut s);
        rc.unwrap();
        rs.unwrap();
        assert_eq!(c.had_hello_retry(), hrr, "{hint:?} {server:?}");
        assert_eq!(c.key_exchange_group(), Some(server[0]));
    }
}

#[test]
fn a_client_that_prefers_chacha20_gets_it_from_the_default_order() {
    use cloaktls::CipherSuite as S;
    let pki = Pki::new("CA");
    let chacha_first = [
        S::TLS13_CHACHA20_POLY1305_SHA256,
        S::TLS13_AES_128_GCM_SHA256,
        S::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        S::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    ];
    let aes_first = [
        S::TLS13_AES_128_GCM_SHA256,
        S::TLS13_CHACHA20_POLY1305_SHA256,
        S::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        S::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    ];
    for v in [ProtocolVersion::TLSV1_3, ProtocolVersion::TLSV1_2] {
        let tls13 = v == ProtocolVersion::TLSV1_3;
        let (chacha, aes) = match tls13 {
            true => (
                S::TLS13_CHACHA20_POLY1305_SHA256,
                S::TLS13_AES_128_GCM_SHA256,
            ),
            false => (
                S::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
                S::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            ),
        };
        // (the client's order, the server's own order if any, expected)
        for (client, server, want) in [
            (&chacha_first[..], None, chacha),
            (&aes_first[..], None, aes),
            // An order the server chose is followed as it is.
            (&chacha_first[..], Some(&aes_first[..]), aes),
        ] {
            let (mut c, mut s) = pair(
                &pki,
                |b| {
                    let b = b.versions(&[v]);
                    match server {
                        Some(order) => b.cipher_suites(order),
                        None => b,
                    }
                },
                |b| b.cipher_suites(client),
                "localhost",
            );
            let (rc, rs) = handshake(&mut c, &mut s);
            rc.unwrap();
            rs.unwrap();
            assert_eq!(c.cipher_suite(), Some(want), "{v:?} {client:?} {server:?}");
        }
    }
}
