//! The hybrid post-quantum groups (RFC 10024) in whole handshakes: the
//! default two-share ClientHello, server preference, HelloRetryRequest both
//! ways, a ClientHello spread over several records, bad shares on either
//! side, and resumption, 0-RTT, client authentication and ALPN over each
//! hybrid.

mod common;
use cloaktls::config::ClientAuth;
use cloaktls::msgs::enums::{AlertDescription, ContentType, HandshakeType};
use cloaktls::msgs::extensions::Extension;
use cloaktls::msgs::handshake::{HandshakeMessage, HandshakePayload};
use cloaktls::session::MemorySessionCache;
use cloaktls::verify::TimeSource;
use cloaktls::{ClientConfig, ClientConnection, Error, KeyShareProblem, NamedGroup};
use cloaktls::{ProtocolVersion, ServerConfig, ServerConnection};
use common::*;
use pki_types::UnixTime;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

const HYBRIDS: [NamedGroup; 3] = [
    NamedGroup::X25519_MLKEM768,
    NamedGroup::SECP256R1_MLKEM768,
    NamedGroup::SECP384R1_MLKEM1024,
];

/// The (group, key_exchange length) of each share in a ClientHello record.
fn client_shares(record: &[u8]) -> Vec<(NamedGroup, Vec<u8>)> {
    assert_eq!(record[0], 22);
    let msg = HandshakeMessage::decode(&record[5..], ProtocolVersion::TLSV1_3).unwrap();
    let HandshakePayload::ClientHello(ch) = msg.payload else {
        panic!("not a ClientHello")
    };
    ch.extensions
        .iter()
        .find_map(|e| match e {
            Extension::KeyShareClient(shares) => Some(
                shares
                    .iter()
                    .map(|s| (s.group, s.key_exchange.clone()))
                    .collect(),
            ),
            _ => None,
        })
        .unwrap()
}

#[test]
fn defaults_negotiate_x25519mlkem768_with_two_shares_on_one_x25519_key() {
    let pki = Pki::new("CA");
    let (mut c, mut s) = pair(&pki, |b| b, |b| b, "localhost");
    let shares = client_shares(c.pending_tls());
    let groups: Vec<_> = shares.iter().map(|s| s.0).collect();
    assert_eq!(groups, [NamedGroup::X25519_MLKEM768, NamedGroup::X25519]);
    assert_eq!(shares[0].1.len(), 1216);
    // RFC 9954 §3.2: the X25519 key is reused; it is the hybrid's tail.
    assert_eq!(&shares[0].1[1184..], &shares[1].1[..]);
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    assert_eq!(c.key_exchange_group(), Some(NamedGroup::X25519_MLKEM768));
    assert_eq!(s.key_exchange_group(), Some(NamedGroup::X25519_MLKEM768));
    assert!(!c.had_hello_retry());
}

#[test]
fn the_server_prefers_a_hybrid_the_client_sent() {
    let pki = Pki::new("CA");
    for hybrid in HYBRIDS {
        let classical = match hybrid {
            NamedGroup::X25519_MLKEM768 => NamedGroup::X25519,
            NamedGroup::SECP256R1_MLKEM768 => NamedGroup::SECP256R1,
            _ => NamedGroup::SECP384R1,
        };
        let (mut c, mut s) = pair(&pki, |b| b, |b| b.groups(&[hybrid, classical]), "localhost");
        let groups: Vec<_> = client_shares(c.pending_tls()).iter().map(|s| s.0).collect();
        assert_eq!(groups, [hybrid, classical]);
        let (cr, sr) = handshake(&mut c, &mut s);
        cr.unwrap();
        sr.unwrap();
        assert_eq!(s.key_exchange_group(), Some(hybrid));
        assert_eq!(c.key_exchange_group(), Some(hybrid));
        // A server without hybrids takes the classical share on the same
        // key, with no HelloRetryRequest.
        let (mut c, mut s) = pair(
            &pki,
            |b| b.groups(&[classical]),
            |b| b.groups(&[hybrid, classical]),
            "localhost",
        );
        let (cr, sr) = handshake(&mut c, &mut s);
        cr.unwrap();
        sr.unwrap();
        assert_eq!(c.key_exchange_group(), Some(classical));
        assert!(!c.had_hello_retry());
    }
}

#[test]
fn a_listed_hybrid_is_worth_a_retry() {
    // The client lists X25519MLKEM768 but sends only an X25519 share: the
    // share is a guess, the list is what the client can do, so the server
    // asks for the hybrid (draft-ietf-tls-key-share-prediction §4; Go does
    // the same).
    let pki = Pki::new("CA");
    let (mut c, mut s) = pair(
        &pki,
        |b| b,
        |b| b.groups(&[NamedGroup::X25519, NamedGroup::X25519_MLKEM768]),
        "localhost",
    );
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    assert_eq!(s.key_exchange_group(), Some(NamedGroup::X25519_MLKEM768));
    assert!(s.had_hello_retry() && c.had_hello_retry());
    // A server configured without hybrids takes the share in hand.
    let (mut c, mut s) = pair(
        &pki,
        |b| b.groups(&[NamedGroup::SECP256R1, NamedGroup::X25519]),
        |b| b.groups(&[NamedGroup::X25519, NamedGroup::X25519_MLKEM768]),
        "localhost",
    );
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    assert_eq!(s.key_exchange_group(), Some(NamedGroup::X25519));
    assert!(!s.had_hello_retry());
}

#[test]
fn hello_retry_to_and_from_each_hybrid() {
    let pki = Pki::new("CA");
    for hybrid in HYBRIDS {
        // To: the client leads with P-384 (X25519 for the P-384 hybrid),
        // the server takes only the hybrid.
        let first = if hybrid == NamedGroup::SECP384R1_MLKEM1024 {
            NamedGroup::X25519
        } else {
            NamedGroup::SECP384R1
        };
        let (mut c, mut s) = pair(
            &pki,
            |b| b.groups(&[hybrid]),
            |b| b.groups(&[first, hybrid]),
            "localhost",
        );
        let (cr, sr) = handshake(&mut c, &mut s);
        cr.unwrap();
        sr.unwrap();
        assert!(c.had_hello_retry(), "{hybrid:?}");
        assert_eq!(c.key_exchange_group(), Some(hybrid));
        assert_eq!(s.key_exchange_group(), Some(hybrid));
        assert_eq!(send_and_receive(&mut c, &mut s, b"to"), b"to");
        // From: the client leads with the hybrid (and sends its classical
        // component's share beside it), the server takes only a group the
        // client listed without a share.
        let component = match hybrid {
            NamedGroup::X25519_MLKEM768 => NamedGroup::X25519,
            NamedGroup::SECP256R1_MLKEM768 => NamedGroup::SECP256R1,
            _ => NamedGroup::SECP384R1,
        };
        let (mut c, mut s) = pair(
            &pki,
            |b| b.groups(&[first]),
            |b| b.groups(&[hybrid, component, first]),
            "localhost",
        );
        let (cr, sr) = handshake(&mut c, &mut s);
        cr.unwrap();
        sr.unwrap();
        assert!(c.had_hello_retry(), "{hybrid:?}");
        assert_eq!(c.key_exchange_group(), Some(first));
        assert_eq!(send_and_receive(&mut s, &mut c, b"from"), b"from");
    }
}

/// Cuts a single-record flight into records of at most `size` bytes of
/// plaintext (RFC 8446 §5.1: handshake messages may span records).
fn split_records(flight: &[u8], size: usize) -> Vec<u8> {
    assert_eq!(flight[0], ContentType::HANDSHAKE.0);
    let len = usize::from(u16::from_be_bytes([flight[3], flight[4]]));
    assert_eq!(flight.len(), 5 + len, "one record");
    let mut out = Vec::new();
    for piece in flight[5..].chunks(size) {
        out.extend_from_slice(&flight[..3]);
        out.extend_from_slice(&(piece.len() as u16).to_be_bytes());
        out.extend_from_slice(piece);
    }
    out
}

#[test]
fn a_hybrid_client_hello_over_several_records() {
    let pki = Pki::new("CA");
    for (hybrid, size) in [
        (NamedGroup::X25519_MLKEM768, 1000),
        (NamedGroup::SECP384R1_MLKEM1024, 700),
        (NamedGroup::SECP256R1_MLKEM768, 1),
    ] {
        let (mut c, mut s) = pair(&pki, |b| b, |b| b.groups(&[hybrid]), "localhost");
        let hello = c.pending_tls().to_vec();
        c.consume_tls(hello.len());
        assert!(hello.len() > 1200, "{}", hello.len());
        let records = split_records(&hello, size);
        // Fed in one go and in odd pieces.
        for chunk in records.chunks(333) {
            assert_eq!(chunk.len(), s.read_tls(chunk).unwrap().taken(chunk.len()));
        }
        let (cr, sr) = handshake(&mut c, &mut s);
        cr.unwrap();
        sr.unwrap();
        assert_eq!(s.key_exchange_group(), Some(hybrid));
    }
}

/// Replaces the key_exchange of the first key share in a ClientHello, or
/// of the ServerHello's.
#[derive(Debug)]
struct SpoilShare(fn(&mut Vec<u8>));

impl cloaktls::danger::replay::MessageShaper for SpoilShare {
    fn shape(&self, message: &mut HandshakePayload) {
        let exts = match message {
            HandshakePayload::ClientHello(ch) => &mut ch.extensions,
            HandshakePayload::ServerHello(sh) => &mut sh.extensions,
            _ => return,
        };
        for e in exts.iter_mut() {
            match e {
                Extension::KeyShareClient(shares) => (self.0)(&mut shares[0].key_exchange),
                Extension::KeyShareServer(share) => (self.0)(&mut share.key_exchange),
                _ => {}
            }
        }
    }
}

fn spoiled_client(
    group: NamedGroup,
    spoil: fn(&mut Vec<u8>),
) -> (Result<(), Error>, Result<(), Error>) {
    let pki = Pki::new("CA");
    let (mut c, mut s) = pair(
        &pki,
        |b| b,
        |b| {
            cloaktls::danger::replay::shape_client_messages(
                b.groups(&[group]),
                Arc::new(SpoilShare(spoil)),
            )
        },
        "localhost",
    );
    handshake(&mut c, &mut s)
}

#[test]
fn a_bad_client_share_is_illegal_parameter_naming_group_and_fault() {
    // FIPS 203 §7.2: a coefficient ≥ q in the encapsulation key.
    let (cr, sr) = spoiled_client(NamedGroup::X25519_MLKEM768, |k| {
        k[0] = 0xff;
        k[1] |= 0x0f;
    });
    assert_eq!(
        sr.unwrap_err(),
        Error::BadKeyShare {
            group: NamedGroup::X25519_MLKEM768,
            problem: KeyShareProblem::EncapsulationKey
        }
    );
    assert_eq!(
        cr.unwrap_err(),
        Error::AlertReceived(AlertDescription::ILLEGAL_PARAMETER)
    );
    // One byte too many (RFC 10024 §4.2: exact lengths).
    let (_, sr) = spoiled_client(NamedGroup::SECP384R1_MLKEM1024, |k| k.push(0));
    let err = sr.unwrap_err();
    assert_eq!(
        err,
        Error::BadKeyShare {
            group: NamedGroup::SECP384R1_MLKEM1024,
            problem: KeyShareProblem::Length {
                expected: 1665,
                actual: 1666
            }
        }
    );
    assert!(err.to_string().contains("SecP384r1MLKEM1024"), "{err}");
    // A P-256 point that is not on the curve, in the NIST hybrid's head.
    let (_, sr) = spoiled_client(NamedGroup::SECP256R1_MLKEM768, |k| k[64] ^= 1);
    assert!(matches!(
        sr.unwrap_err(),
        Error::BadKeyShare {
            problem: KeyShareProblem::Classical,
            ..
        }
    ));
}

fn spoiled_server(
    group: NamedGroup,
    spoil: fn(&mut Vec<u8>),
) -> (Result<(), Error>, Result<(), Error>) {
    let pki = Pki::new("CA");
    let (mut c, mut s) = pair(
        &pki,
        |b| {
            cloaktls::danger::replay::shape_server_messages(
                b.groups(&[group]),
                Arc::new(SpoilShare(spoil)),
            )
        },
        |b| b,
        "localhost",
    );
    handshake(&mut c, &mut s)
}

#[test]
fn a_bad_server_share_is_refused_by_the_client() {
    // RFC 10024 §4.2: the ciphertext's length is checked.
    let (cr, sr) = spoiled_server(NamedGroup::X25519_MLKEM768, |k| {
        k.pop();
    });
    assert_eq!(
        cr.unwrap_err(),
        Error::BadKeyShare {
            group: NamedGroup::X25519_MLKEM768,
            problem: KeyShareProblem::Length {
                expected: 1120,
                actual: 1119
            }
        }
    );
    assert_eq!(
        sr.unwrap_err(),
        Error::AlertReceived(AlertDescription::ILLEGAL_PARAMETER)
    );
    // A changed ciphertext decapsulates to another secret (implicit
    // rejection, FIPS 203 §6.3): the handshake fails on the server's first
    // encrypted record.
    let (cr, _) = spoiled_server(NamedGroup::X25519_MLKEM768, |k| k[0] ^= 1);
    assert_eq!(cr.unwrap_err(), Error::BadRecordMac);
    // An all-zero X25519 part (RFC 8446 §7.4.2).
    let (cr, _) = spoiled_server(NamedGroup::X25519_MLKEM768, |k| k[1088..].fill(0));
    assert!(matches!(
        cr.unwrap_err(),
        Error::BadKeyShare {
            problem: KeyShareProblem::Classical,
            ..
        }
    ));
}

#[derive(Debug)]
struct Clock(AtomicU64);

impl TimeSource for Clock {
    fn now(&self) -> UnixTime {
        UnixTime::since_unix_epoch(Duration::from_secs(self.0.load(Ordering::SeqCst)))
    }
}

#[test]
fn resumption_zero_rtt_client_auth_and_alpn_over_each_hybrid() {
    let pki = Pki::new("CA");
    let client_cert = pki.client(KeyType::EcdsaP256);
    for hybrid in HYBRIDS {
        let clock = Arc::new(Clock(AtomicU64::new(1_800_000_000)));
        let s_cfg = ServerConfig::builder(pki.server(KeyType::Ed25519).certified_key())
            .groups(&[hybrid])
            .alpn_protocols(&["h2", "http/1.1"])
            .client_auth(ClientAuth::required(pki.roots()))
            .max_early_data(1000)
            .time(clock.clone())
            .build()
            .unwrap();
        let c_cfg = ClientConfig::builder(pki.roots())
            .groups(&[hybrid])
            .alpn_protocols(&["h2"])
            .client_certificate(client_cert.certified_key())
            .early_data(true)
            .session_store(Some(Arc::new(MemorySessionCache::new(4))))
            .time(clock.clone())
            .build()
            .unwrap();
        // 0-RTT waits out the anti-replay window of new ticket keys.
        clock.0.fetch_add(30, Ordering::SeqCst);
        let mut c = ClientConnection::new(c_cfg.clone(), "localhost").unwrap();
        let mut s = ServerConnection::new(s_cfg.clone()).unwrap();
        let (cr, sr) = handshake(&mut c, &mut s);
        cr.unwrap();
        sr.unwrap();
        assert_eq!(s.alpn_protocol(), Some(&b"h2"[..]));
        assert_eq!(s.peer_certificates().len(), 1);
        assert_eq!(send_and_receive(&mut s, &mut c, b"ticket"), b"ticket");
        // Resumed with 0-RTT, (EC)DHE again over the hybrid (psk_dhe_ke).
        let mut c = ClientConnection::new(c_cfg, "localhost").unwrap();
        assert_eq!(c.send_early_data(b"early").unwrap(), 5);
        let mut s = ServerConnection::new(s_cfg).unwrap();
        let (cr, sr) = handshake(&mut c, &mut s);
        cr.unwrap();
        sr.unwrap();
        assert!(c.is_resumed() && s.is_resumed(), "{hybrid:?}");
        assert_eq!(c.early_data_accepted(), Some(true), "{hybrid:?}");
        assert_eq!(s.key_exchange_group(), Some(hybrid));
        assert_eq!(c.key_exchange_group(), Some(hybrid));
        assert_eq!(read_all(&mut s), b"early");
        assert_eq!(c.alpn_protocol(), Some(&b"h2"[..]));
    }
}

#[test]
fn tls12_never_offers_or_takes_a_hybrid() {
    let pki = Pki::new("CA");
    // A TLS 1.2-only client lists no hybrid; a TLS 1.2 handshake between
    // default configurations takes a classical group.
    let (mut c, mut s) = pair(
        &pki,
        |b| b,
        |b| b.versions(&[ProtocolVersion::TLSV1_2]),
        "localhost",
    );
    let hello = c.pending_tls().to_vec();
    let msg = HandshakeMessage::decode(&hello[5..], ProtocolVersion::TLSV1_2).unwrap();
    assert_eq!(msg.typ, HandshakeType::CLIENT_HELLO);
    let HandshakePayload::ClientHello(ch) = msg.payload else {
        unreachable!()
    };
    let groups = ch
        .extensions
        .iter()
        .find_map(|e| match e {
            Extension::SupportedGroups(g) => Some(g.clone()),
            _ => None,
        })
        .unwrap();
    assert!(!groups.iter().any(|g| HYBRIDS.contains(g)), "{groups:?}");
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    assert_eq!(s.key_exchange_group(), Some(NamedGroup::X25519));
    // A TLS 1.2 server configured with hybrids alone has no group for it.
    let (mut c, mut s) = pair(
        &pki,
        |b| b.groups(&[NamedGroup::X25519_MLKEM768]),
        |b| b.versions(&[ProtocolVersion::TLSV1_2]),
        "localhost",
    );
    let (_, sr) = handshake(&mut c, &mut s);
    assert!(matches!(sr.unwrap_err(), Error::NoCommon { .. }));
}

#[test]
fn a_post_quantum_share_in_hand_is_taken_before_a_retry_for_another() {
    // The client's share is SecP384r1MLKEM1024, it also lists
    // X25519MLKEM768 (the server's first): one post-quantum exchange is as
    // good as another, so no round trip.
    let pki = Pki::new("CA");
    let (mut c, mut s) = pair(
        &pki,
        |b| b,
        |b| b.groups(&[NamedGroup::SECP384R1_MLKEM1024, NamedGroup::X25519_MLKEM768]),
        "localhost",
    );
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    assert_eq!(
        s.key_exchange_group(),
        Some(NamedGroup::SECP384R1_MLKEM1024)
    );
    assert!(!s.had_hello_retry());
}
