//! Round trips of every handshake message on real bytes (RFC 8448's
//! traces, and TLS 1.2 messages captured from `openssl s_client -msg`),
//! and the bad inputs each must refuse.

use cloaktls::codec::DecodeError;
use cloaktls::msgs::enums::{HandshakeType, ProtocolVersion};
use cloaktls::msgs::handshake::{HandshakeMessage, HandshakePayload};
use cloaktls_testkit::vectors::Trace;

fn trace(name: &str) -> Trace {
    let path = format!(
        "{}/../vectors/rfc8448/{name}.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    Trace::load(path).unwrap()
}

fn tls12_captures() -> Trace {
    let path = format!(
        "{}/../vectors/captures/tls12-openssl.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    Trace::load(path).unwrap()
}

/// Every handshake message printed in RFC 8448, with the version that
/// decodes it.
fn all_messages() -> Vec<(String, Vec<u8>, ProtocolVersion)> {
    let names = [
        "ClientHello",
        "ServerHello",
        "HelloRetryRequest",
        "EncryptedExtensions",
        "Certificate",
        "CertificateRequest",
        "CertificateVerify",
        "Finished",
        "NewSessionTicket",
        "EndOfEarlyData",
    ];
    let mut out = Vec::new();
    for file in [
        "simple-1rtt",
        "resumed-0rtt",
        "hello-retry-request",
        "client-auth",
        "compatibility-mode",
    ] {
        for step in trace(file).steps {
            for (label, bytes) in step.values {
                // RFC 8448 §4 prints the ClientHello without its binders
                // (a prefix); the whole one is its record's payload.
                let partial = file == "resumed-0rtt" && label == "ClientHello";
                if names.contains(&label.as_str()) && !partial {
                    out.push((format!("{file}: {label}"), bytes, ProtocolVersion::TLSV1_3));
                }
            }
        }
    }
    let resumed = trace("resumed-0rtt");
    let hello = resumed
        .get("{client} send handshake record", "payload")
        .unwrap();
    out.push((
        "resumed-0rtt: ClientHello".into(),
        hello.to_vec(),
        ProtocolVersion::TLSV1_3,
    ));
    for step in tls12_captures().steps {
        for (label, bytes) in step.values {
            out.push((format!("tls12: {label}"), bytes, ProtocolVersion::TLSV1_2));
        }
    }
    out
}

#[test]
fn every_message_round_trips() {
    let all = all_messages();
    assert!(all.len() > 40, "only {} messages found", all.len());
    let mut types = std::collections::BTreeSet::new();
    for (name, bytes, version) in &all {
        let msg =
            HandshakeMessage::decode(bytes, *version).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            !matches!(msg.payload, HandshakePayload::Unknown(_)),
            "{name}"
        );
        assert_eq!(&msg.encoding(), bytes, "{name} does not round-trip");
        // Rebuilding from the payload alone gives the same type.
        assert_eq!(
            HandshakeMessage::new(msg.payload.clone()).typ,
            msg.typ,
            "{name}"
        );
        types.insert(msg.typ.0);
    }
    // Both TLS versions' message types were covered.
    for t in [1u8, 2, 4, 5, 8, 11, 12, 13, 14, 15, 16, 20] {
        assert!(types.contains(&t), "no sample of {:?}", HandshakeType(t));
    }
}

#[test]
fn truncated_messages_are_refused() {
    for (name, bytes, version) in all_messages() {
        // Every strict prefix fails: as a whole message (the length field
        // disagrees), and as a body whose length was trimmed to fit.
        for cut in 0..bytes.len() {
            assert!(
                HandshakeMessage::decode(&bytes[..cut], version).is_err(),
                "{name} cut at {cut}"
            );
        }
        let typ = HandshakeType(bytes[0]);
        let body = &bytes[4..];
        for cut in 0..body.len() {
            let r = HandshakeMessage::decode_body(typ, &body[..cut], version);
            // A few bodies end in a field that is legally empty or opaque to
            // the end (Finished, an optional extension block): those may
            // decode, but then they must re-encode to what was given.
            if let Ok(m) = r {
                let enc = m.encoding();
                assert_eq!(
                    &enc[4..],
                    &body[..cut],
                    "{name} cut at {cut} decoded to something else"
                );
            }
        }
    }
}

#[test]
fn trailing_bytes_and_bad_lengths_are_refused() {
    for (name, bytes, version) in all_messages() {
        let typ = HandshakeType(bytes[0]);
        if typ == HandshakeType::FINISHED {
            continue; // verify_data is opaque to the end of the message
        }
        // A byte after the body.
        let mut body = bytes[4..].to_vec();
        body.push(0);
        assert!(
            HandshakeMessage::decode_body(typ, &body, version).is_err(),
            "{name} with a trailing byte"
        );
        // The whole message with a length one too long or too short.
        let len = bytes.len() - 4;
        for bad in [len + 1, len.wrapping_sub(1)] {
            let mut m = bytes.clone();
            m[1..4].copy_from_slice(&(bad as u32).to_be_bytes()[1..]);
            assert!(
                HandshakeMessage::decode(&m, version).is_err(),
                "{name} len {bad}"
            );
        }
    }
}

#[test]
fn duplicated_extension_is_refused_in_every_message_that_has_extensions() {
    for (name, bytes, version) in all_messages() {
        let msg = HandshakeMessage::decode(&bytes, version).unwrap();
        let mut dup = msg.clone();
        let exts = match &mut dup.payload {
            HandshakePayload::ClientHello(ch) => &mut ch.extensions,
            HandshakePayload::ServerHello(sh) => &mut sh.extensions,
            HandshakePayload::EncryptedExtensions(e) => e,
            HandshakePayload::CertificateRequest13(cr) => &mut cr.extensions,
            HandshakePayload::NewSessionTicket13(t) => &mut t.extensions,
            _ => continue,
        };
        let Some(first) = exts.first().cloned() else {
            continue;
        };
        exts.insert(0, first);
        let err = HandshakeMessage::decode(&dup.encoding(), version).unwrap_err();
        assert!(
            err == DecodeError::DuplicateExtension || matches!(err, DecodeError::IllegalValue(_)),
            "{name}: {err:?}"
        );
    }
}

#[test]
fn psk_must_be_the_last_client_hello_extension() {
    let t = trace("resumed-0rtt");
    let bytes = t.get("{client} send handshake record", "payload").unwrap();
    let msg = HandshakeMessage::decode(bytes, ProtocolVersion::TLSV1_3).unwrap();
    let HandshakePayload::ClientHello(mut ch) = msg.payload else {
        panic!("not a ClientHello")
    };
    let psk = ch.extensions.pop().unwrap();
    ch.extensions.insert(0, psk);
    let bad = HandshakeMessage::new(HandshakePayload::ClientHello(ch)).encoding();
    assert_eq!(
        HandshakeMessage::decode(&bad, ProtocolVersion::TLSV1_3),
        Err(DecodeError::IllegalValue(
            "pre_shared_key is not the last extension"
        ))
    );
}

#[test]
fn bad_fixed_values_are_refused() {
    let v = ProtocolVersion::TLSV1_3;
    // KeyUpdate with request_update = 2.
    assert!(matches!(
        HandshakeMessage::decode(&[24, 0, 0, 1, 2], v),
        Err(DecodeError::IllegalValue(_))
    ));
    assert!(HandshakeMessage::decode(&[24, 0, 0, 1, 1], v).is_ok());
    // ServerKeyExchange with explicit curve parameters.
    assert!(matches!(
        HandshakeMessage::decode(&[12, 0, 0, 3, 1, 0, 23], ProtocolVersion::TLSV1_2),
        Err(DecodeError::IllegalValue(_))
    ));
    // An oversized length field is refused before anything is allocated.
    assert!(HandshakeMessage::decode(&[11, 0xff, 0xff, 0xff], v).is_err());
    // An unknown message type is kept, not refused.
    let m = HandshakeMessage::decode(&[99, 0, 0, 2, 7, 7], v).unwrap();
    assert_eq!(m.payload, HandshakePayload::Unknown(vec![7, 7]));
    assert_eq!(m.encoding()[4..], [7, 7]);
}

#[test]
fn alerts() {
    use cloaktls::codec::Codec;
    use cloaktls::msgs::alert::Alert;
    use cloaktls::msgs::enums::AlertDescription;
    let a = Alert::decode(&[2, 40]).unwrap();
    assert_eq!(a, Alert::fatal(AlertDescription::HANDSHAKE_FAILURE));
    assert_eq!(a.get_encoding(), vec![2, 40]);
    assert!(Alert::decode(&[3, 40]).is_err());
    assert!(Alert::decode(&[2]).is_err());
    assert!(Alert::decode(&[2, 40, 0]).is_err());
}
