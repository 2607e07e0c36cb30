//! Rules that a conformance suite (tlsfuzzer) found us bending, each with
//! the alert the RFC asks for: an SSL 3.0 legacy_version, a second
//! ClientHello that reorders its extensions, an empty alert record, a
//! Finished of the wrong length, a TLS 1.3 ChangeCipherSpec other than
//! the byte 1, a message type the peer's role never sends, and a
//! malformed TLS 1.2-only extension in a hello that settles on TLS 1.3.

mod common;
use cloaktls::conn::Intake;
use cloaktls::msgs::enums::{AlertDescription, ContentType, ProtocolVersion};
use cloaktls::msgs::handshake::{HandshakeMessage, HandshakePayload};
use cloaktls::record::{write_plaintext_record, Deframer};
use cloaktls::{CipherSuite, NamedGroup};
use cloaktls::{Connection, Error};
use common::*;
use std::sync::Arc;

const V13: &[ProtocolVersion] = &[ProtocolVersion::TLSV1_3];

/// Where legacy_version sits in a flight that starts with a hello: after
/// the record header (5 bytes) and the handshake header (4).
const HELLO_VERSION_AT: usize = 9;

/// `r`'s error and the alert it sends.
fn alert_of<T: std::fmt::Debug>(r: Result<T, Error>) -> (AlertDescription, String) {
    let e = r.unwrap_err();
    (e.alert().expect("an alert to send"), e.to_string())
}

/// The records of `flight` with each handshake record's payload passed
/// through `f` (a plaintext flight: hellos).
fn map_handshake_records(flight: &[u8], mut f: impl FnMut(&[u8]) -> Vec<u8>) -> Vec<u8> {
    let mut d = Deframer::new();
    d.read(flight);
    let mut out = Vec::new();
    while let Some(r) = d.next_record().unwrap() {
        let payload = if r.typ == ContentType::HANDSHAKE {
            f(r.payload)
        } else {
            r.payload.to_vec()
        };
        write_plaintext_record(r.typ, r.version, &payload, &mut out);
    }
    out
}

#[test]
fn ssl3_legacy_version_is_protocol_version_both_ways() {
    // RFC 8446 §D.5, even with supported_versions offering TLS 1.3.
    let pki = Pki::new("CA");
    for bad in [[3u8, 0], [0, 0], [2, 0], [1, 3]] {
        let (mut c, mut s) = pair(&pki, |b| b, |b| b, "localhost");
        let mut hello = c.pending_tls().to_vec();
        c.consume_tls(hello.len());
        hello[HELLO_VERSION_AT..HELLO_VERSION_AT + 2].copy_from_slice(&bad);
        let (alert, text) = alert_of(s.read_tls(&hello));
        assert_eq!(alert, AlertDescription::PROTOCOL_VERSION, "{bad:?}: {text}");
        assert!(text.contains("SSL 3.0 or older"), "{text}");
    }
    // The client refuses such a ServerHello the same way.
    let (mut c, mut s) = pair(&pki, |b| b, |b| b, "localhost");
    assert_eq!(s.read_tls(c.pending_tls()).unwrap(), Intake::All);
    let n = c.pending_tls().len();
    c.consume_tls(n);
    let mut flight = s.pending_tls().to_vec();
    flight[HELLO_VERSION_AT..HELLO_VERSION_AT + 2].copy_from_slice(&[3, 0]);
    let (alert, text) = alert_of(c.read_tls(&flight));
    assert_eq!(alert, AlertDescription::PROTOCOL_VERSION, "{text}");
}

#[test]
fn second_client_hello_must_repeat_the_first() {
    // RFC 8446 §4.1.2: after a HelloRetryRequest, the same hello but for
    // the key share, cookie, early_data, padding and PSK. A server that
    // wants P-256 makes our client (X25519 first) retry.
    let pki = Pki::new("CA");
    let retry = |reorder: bool| -> Result<(), Error> {
        let (mut c, mut s) = pair(
            &pki,
            |b| b.versions(V13).groups(&[NamedGroup::SECP256R1]),
            |b| b.groups(&[NamedGroup::X25519, NamedGroup::SECP256R1]),
            "localhost",
        );
        assert_eq!(s.read_tls(c.pending_tls()).unwrap(), Intake::All);
        let n = c.pending_tls().len();
        c.consume_tls(n);
        assert_eq!(c.read_tls(s.pending_tls()).unwrap(), Intake::All);
        let n = s.pending_tls().len();
        s.consume_tls(n);
        let second = c.pending_tls().to_vec();
        c.consume_tls(second.len());
        let second = map_handshake_records(&second, |payload| {
            let mut msg = HandshakeMessage::decode(payload, ProtocolVersion::TLSV1_3).unwrap();
            let HandshakePayload::ClientHello(ch) = &mut msg.payload else {
                panic!("not a ClientHello");
            };
            if reorder {
                ch.extensions.swap(0, 1);
            }
            msg.encoding()
        });
        s.read_tls(&second).map(|_| ())
    };
    // Decoded and encoded again unchanged, it is accepted.
    retry(false).unwrap();
    let (alert, text) = alert_of(retry(true));
    assert_eq!(alert, AlertDescription::ILLEGAL_PARAMETER, "{text}");
    assert!(text.contains("extensions differ from the first"), "{text}");
}

#[test]
fn empty_alert_record_is_unexpected_message() {
    // RFC 8446 §5.4: no zero-length alert (or handshake) content.
    let pki = Pki::new("CA");
    for versions in [V13, &[ProtocolVersion::TLSV1_2][..]] {
        let (c, mut s) = pair(&pki, |b| b.versions(versions), |b| b, "localhost");
        assert_eq!(s.read_tls(c.pending_tls()).unwrap(), Intake::All);
        let mut empty = Vec::new();
        write_plaintext_record(
            ContentType::ALERT,
            ProtocolVersion::TLSV1_2,
            &[],
            &mut empty,
        );
        let (alert, text) = alert_of(s.read_tls(&empty));
        assert_eq!(alert, AlertDescription::UNEXPECTED_MESSAGE, "{text}");
    }
}

#[test]
fn tls13_change_cipher_spec_other_than_one_is_unexpected_message() {
    // RFC 8446 §5: "any other change_cipher_spec value".
    let pki = Pki::new("CA");
    for payload in [&[1u8, 1][..], &[2], &[]] {
        let (c, mut s) = pair(&pki, |b| b.versions(V13), |b| b, "localhost");
        assert_eq!(s.read_tls(c.pending_tls()).unwrap(), Intake::All);
        let mut ccs = Vec::new();
        write_plaintext_record(
            ContentType::CHANGE_CIPHER_SPEC,
            ProtocolVersion::TLSV1_2,
            payload,
            &mut ccs,
        );
        let (alert, text) = alert_of(s.read_tls(&ccs));
        assert_eq!(
            alert,
            AlertDescription::UNEXPECTED_MESSAGE,
            "{payload:?}: {text}"
        );
    }
}

/// RFC 9846 §5: a TLS 1.3 ChangeCipherSpec is dropped "at any time"
/// during the handshake, more than once too (a client may send one after
/// each ClientHello); only a flood of them, past the bound on records that
/// carry nothing, is refused.
#[test]
fn tls13_change_cipher_specs_are_dropped_up_to_a_flood() {
    let pki = Pki::new("CA");
    // The client sends one of its own before its Finished: 31 and it make 32.
    for (count, ok) in [(2, true), (31, true), (33, false)] {
        let (mut c, mut s) = pair(&pki, |b| b.versions(V13), |b| b, "localhost");
        assert_eq!(s.read_tls(c.pending_tls()).unwrap(), Intake::All);
        let n = c.pending_tls().len();
        c.consume_tls(n);
        let mut ccs = Vec::new();
        for _ in 0..count {
            write_plaintext_record(
                ContentType::CHANGE_CIPHER_SPEC,
                ProtocolVersion::TLSV1_2,
                &[1],
                &mut ccs,
            );
        }
        let r = s.read_tls(&ccs);
        if ok {
            assert_eq!(r.unwrap(), Intake::All, "{count}");
            let (cr, sr) = handshake(&mut c, &mut s);
            cr.unwrap();
            sr.unwrap();
        } else {
            let (alert, text) = alert_of(r);
            assert_eq!(alert, AlertDescription::UNEXPECTED_MESSAGE, "{text}");
        }
    }
}

/// Our client reading the server's first flight with its Finished's
/// verify_data lengthened by `extra` bytes (the message's length fixed).
fn client_reads_finished_lengthened_by(extra: usize) -> Result<(), Error> {
    let pki = Pki::new("CA");
    let log = Arc::new(Secrets::default());
    let (mut c, mut s) = pair(
        &pki,
        |b| {
            b.versions(V13)
                .cipher_suites(&[CipherSuite::TLS13_AES_128_GCM_SHA256])
                .key_log(log.clone())
        },
        |b| b.compatibility_mode(false),
        "localhost",
    );
    assert_eq!(s.read_tls(c.pending_tls()).unwrap(), Intake::All);
    let n = c.pending_tls().len();
    c.consume_tls(n);
    let flight = s.pending_tls().to_vec();
    let out = reseal_tls13_flight(
        &flight,
        &log.get("SERVER_HANDSHAKE_TRAFFIC_SECRET"),
        |plain| {
            // The flight ends with Finished: type 20, a 3-byte length, 32 bytes.
            let at = plain.len() - 36;
            assert_eq!(plain[at..at + 4], [20, 0, 0, 32]);
            plain[at + 3] += extra as u8;
            plain.extend(std::iter::repeat_n(0u8, extra));
        },
    );
    c.read_tls(&out).map(|_| ())
}

#[test]
fn finished_of_the_wrong_length_is_decode_error() {
    let (alert, text) = alert_of(client_reads_finished_lengthened_by(2));
    assert_eq!(alert, AlertDescription::DECODE_ERROR, "{text}");
    // Of the right length but wrong, it is decrypt_error: checked in
    // tests/negative.rs; unchanged, it is accepted.
    client_reads_finished_lengthened_by(0).unwrap();
}

#[test]
fn handshakes_still_complete() {
    // The checks above leave ordinary handshakes, with and without a
    // HelloRetryRequest, alone.
    let pki = Pki::new("CA");
    for hrr in [false, true] {
        let (mut c, mut s) = pair(
            &pki,
            |b| {
                if hrr {
                    b.groups(&[NamedGroup::SECP256R1])
                } else {
                    b
                }
            },
            |b| b,
            "localhost",
        );
        let (cr, sr) = handshake(&mut c, &mut s);
        cr.unwrap();
        sr.unwrap();
        let c: &Connection = &c;
        assert_eq!(c.had_hello_retry(), hrr);
    }
}

#[test]
fn messages_the_peers_role_never_sends_are_unexpected_message() {
    // tlsfuzzer changes the ClientHello's type to 4 (NewSessionTicket) and
    // 22 (CertificateStatus): refused as unexpected, not parsed as such.
    let pki = Pki::new("CA");
    for typ in [4u8, 22, 2, 99] {
        let (c, mut s) = pair(&pki, |b| b, |b| b, "localhost");
        let mut hello = c.pending_tls().to_vec();
        hello[5] = typ;
        let (alert, text) = alert_of(s.read_tls(&hello));
        assert_eq!(alert, AlertDescription::UNEXPECTED_MESSAGE, "{typ}: {text}");
    }
    // A ClientHello sent to a client.
    let (mut c, _) = pair(&pki, |b| b, |b| b, "localhost");
    let hello = c.pending_tls().to_vec();
    let n = hello.len();
    c.consume_tls(n);
    let (alert, text) = alert_of(c.read_tls(&hello));
    assert_eq!(alert, AlertDescription::UNEXPECTED_MESSAGE, "{text}");
    assert!(text.contains("which a server never sends"), "{text}");
}

/// Replaces the ClientHello's ec_point_formats with an empty, malformed
/// one (tlsfuzzer counts it among the extensions TLS 1.3 does not assign).
#[derive(Debug)]
struct EmptyPointFormats;

impl cloaktls::danger::replay::MessageShaper for EmptyPointFormats {
    fn shape(&self, message: &mut HandshakePayload) {
        use cloaktls::msgs::enums::ExtensionType;
        use cloaktls::msgs::extensions::Extension;
        if let HandshakePayload::ClientHello(ch) = message {
            for e in ch.extensions.iter_mut() {
                if e.typ() == ExtensionType::EC_POINT_FORMATS {
                    *e = Extension::Unknown {
                        typ: ExtensionType::EC_POINT_FORMATS,
                        data: Vec::new(),
                    };
                }
            }
        }
    }
}

#[test]
fn a_malformed_tls12_only_extension_matters_only_in_tls12() {
    let pki = Pki::new("CA");
    let shaped =
        |b| cloaktls::danger::replay::shape_client_messages(b, Arc::new(EmptyPointFormats));
    // TLS 1.3 never reads ec_point_formats.
    let (mut c, mut s) = pair(&pki, |b| b, shaped, "localhost");
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    assert_eq!(s.protocol_version(), Some(ProtocolVersion::TLSV1_3));
    // A TLS 1.2 server does, and cannot.
    let (c, mut s) = pair(
        &pki,
        |b| b.versions(&[ProtocolVersion::TLSV1_2]),
        shaped,
        "localhost",
    );
    let (alert, text) = alert_of(s.read_tls(c.pending_tls()));
    assert_eq!(alert, AlertDescription::DECODE_ERROR, "{text}");
    assert!(text.contains("ec_point_formats"), "{text}");
}
