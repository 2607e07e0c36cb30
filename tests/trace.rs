//! The event trace: every record and handshake message in and out, every
//! secret under its SSLKEYLOGFILE label, every state change, in order.

mod common;
use cloaktls::config::KeyLog;
use cloaktls::msgs::enums::{ContentType, HandshakeType, ProtocolVersion};
use cloaktls::{ClientConfig, ClientConnection, ServerConfig, ServerConnection, TraceEvent};
use common::*;
use std::sync::{Arc, Mutex};

#[derive(Debug, Default)]
struct Log(Mutex<Vec<(String, Vec<u8>)>>);

impl KeyLog for Log {
    fn log(&self, label: &str, _: &[u8], secret: &[u8]) {
        self.0.lock().unwrap().push((label.into(), secret.to_vec()));
    }
}

#[test]
fn the_trace_tells_the_handshake_in_order() {
    let pki = Pki::new("CA");
    for v in [ProtocolVersion::TLSV1_3, ProtocolVersion::TLSV1_2] {
        let log = Arc::new(Log::default());
        let s = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
            .versions(&[v])
            .trace(true)
            .build()
            .unwrap();
        // Secrets go to the trace only through danger.
        let c = cloaktls::danger::trace_secrets_client(
            ClientConfig::builder(pki.roots())
                .trace(true)
                .key_log(log.clone()),
        )
        .build()
        .unwrap();
        let mut c = ClientConnection::new(c, "localhost").unwrap();
        let mut s = ServerConnection::new(s).unwrap();
        let (cr, sr) = handshake(&mut c, &mut s);
        cr.unwrap();
        sr.unwrap();
        let ct = c.take_trace();
        let st = s.take_trace();
        // The client's first event is its ClientHello; the server's first
        // is the record that brings it.
        assert!(matches!(
            &ct[0],
            TraceEvent::MessageOut {
                typ: HandshakeType::CLIENT_HELLO,
                ..
            }
        ));
        assert!(matches!(
            &st[0],
            TraceEvent::RecordIn {
                typ: ContentType::HANDSHAKE,
                ..
            }
        ));
        // What one side sent, the other received, message by message.
        let out: Vec<&Vec<u8>> = ct
            .iter()
            .filter_map(|e| match e {
                TraceEvent::MessageOut { bytes, .. } => Some(bytes),
                _ => None,
            })
            .collect();
        let inn: Vec<&Vec<u8>> = st
            .iter()
            .filter_map(|e| match e {
                TraceEvent::MessageIn { bytes, .. } => Some(bytes),
                _ => None,
            })
            .collect();
        assert_eq!(out, inn, "{v:?}");
        // Every secret the key log saw is in the trace, in the same order.
        let secrets: Vec<(String, Vec<u8>)> = ct
            .iter()
            .filter_map(|e| match e {
                TraceEvent::Secret { label, secret } => Some((label.to_string(), secret.clone())),
                _ => None,
            })
            .collect();
        assert_eq!(secrets, *log.0.lock().unwrap());
        assert!(!secrets.is_empty());
        // State changes are named.
        assert!(ct
            .iter()
            .any(|e| matches!(e, TraceEvent::State(n) if n.contains("Expect"))));
        assert!(ct.iter().any(|e| matches!(e, TraceEvent::ReadKeysChanged)));
        let ladder = cloaktls::conn::ladder(&ct, true);
        assert!(
            ladder.contains("client_hello") && ladder.contains("--->") && ladder.contains("<---"),
            "{ladder}"
        );
        // Drained.
        assert!(c.take_trace().is_empty());
    }
}

#[test]
fn an_ordinary_trace_holds_no_secrets() {
    // RFC 8446 §7: whoever holds a traffic secret reads the traffic; an
    // ordinary trace (`cloak client --trace`) must not hand them out.
    let pki = Pki::new("CA");
    for v in [ProtocolVersion::TLSV1_3, ProtocolVersion::TLSV1_2] {
        let log = Arc::new(Log::default());
        let s = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
            .versions(&[v])
            .trace(true)
            .build()
            .unwrap();
        let c = ClientConfig::builder(pki.roots())
            .trace(true)
            .key_log(log.clone())
            .build()
            .unwrap();
        let mut c = ClientConnection::new(c, "localhost").unwrap();
        let mut s = ServerConnection::new(s).unwrap();
        let (cr, sr) = handshake(&mut c, &mut s);
        cr.unwrap();
        sr.unwrap();
        let mut trace = c.take_trace();
        trace.extend(s.take_trace());
        assert!(!trace.is_empty());
        assert!(!trace.iter().any(|e| matches!(e, TraceEvent::Secret { .. })));
        let shown = format!("{trace:?}") + &cloaktls::conn::ladder(&trace, true);
        for (label, secret) in log.0.lock().unwrap().iter() {
            assert!(
                !shown.contains(&hex::encode(secret)),
                "{label} in the trace"
            );
        }
    }
}

#[test]
fn the_trace_is_off_by_default_and_bounded() {
    let pki = Pki::new("CA");
    let s_cfg = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
        .build()
        .unwrap();
    let off = ClientConfig::builder(pki.roots()).build().unwrap();
    let mut c = ClientConnection::new(off, "localhost").unwrap();
    let mut s = ServerConnection::new(s_cfg.clone()).unwrap();
    let (cr, _) = handshake(&mut c, &mut s);
    cr.unwrap();
    assert!(c.take_trace().is_empty());
    let on = ClientConfig::builder(pki.roots())
        .trace(true)
        .build()
        .unwrap();
    let mut c = ClientConnection::new(on, "localhost").unwrap();
    let mut s = ServerConnection::new(s_cfg).unwrap();
    let (cr, _) = handshake(&mut c, &mut s);
    cr.unwrap();
    for _ in 0..5000 {
        send_and_receive(&mut c, &mut s, b"x");
    }
    assert_eq!(c.take_trace().len(), cloaktls::conn::TRACE_LIMIT);
}

/// The ladder names the key exchange groups of the hellos (a default
/// client's two shares, the server's hybrid; the group a
/// HelloRetryRequest asks for).
#[test]
fn the_ladder_names_the_key_share_groups() {
    let pki = Pki::new("CA");
    let (mut c, mut s) = pair(&pki, |b| b.trace(true), |b| b.trace(true), "localhost");
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    let ladder = cloaktls::conn::ladder(&c.take_trace(), true);
    assert!(
        ladder.contains("key_share X25519MLKEM768, x25519"),
        "{ladder}"
    );
    assert!(ladder.contains("key_share X25519MLKEM768)"), "{ladder}");
    // A retry: the client leads with P-256, the server takes only P-384
    // (`pair` takes the server's options first).
    let (mut c, mut s) = pair(
        &pki,
        |b| b.groups(&[cloaktls::NamedGroup::SECP384R1]),
        |b| {
            b.trace(true).groups(&[
                cloaktls::NamedGroup::SECP256R1,
                cloaktls::NamedGroup::SECP384R1,
            ])
        },
        "localhost",
    );
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    let ladder = cloaktls::conn::ladder(&c.take_trace(), true);
    assert!(ladder.contains("key_share secp256r1)"), "{ladder}");
    assert!(ladder.contains("key_share secp384r1)"), "{ladder}");
}
