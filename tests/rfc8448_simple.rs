//! RFC 8448 §3 (the simple 1-RTT handshake), byte for byte: the whole key
//! schedule, both Finished values, and record protection both ways.

use cloaktls::crypto::{AeadAlgorithm, HashAlgorithm};
use cloaktls::key_schedule::tls13::{
    derive_secret, finished_verify_data, hkdf_label, resumption_psk, traffic_key_iv, EarlySecret,
};
use cloaktls::msgs::enums::{ContentType, ProtocolVersion};
use cloaktls::msgs::handshake::{HandshakeMessage, HandshakePayload};
use cloaktls::record::{Deframer, HandshakeJoiner, RecordOpener, RecordSealer};
use cloaktls::testvectors::Trace;

const H: HashAlgorithm = HashAlgorithm::Sha256;
const AEAD: AeadAlgorithm = AeadAlgorithm::Aes128Gcm;

fn trace() -> Trace {
    Trace::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/vectors/rfc8448/simple-1rtt.txt"
    ))
    .unwrap()
}

fn v<'a>(t: &'a Trace, title: &str, label: &str) -> &'a [u8] {
    t.get(title, label).unwrap()
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// Checks one "derive secret" step: its hash, its HkdfLabel and its output.
fn check_derive(t: &Trace, title: &str, prk: &[u8], label: &[u8], transcript: &[u8]) -> Vec<u8> {
    assert_eq!(v(t, title, "PRK"), prk, "{title}: PRK");
    assert_eq!(v(t, title, "hash"), transcript, "{title}: hash");
    assert_eq!(
        v(t, title, "info"),
        hkdf_label(32, label, transcript),
        "{title}: info"
    );
    let out = derive_secret(H, prk, label, transcript);
    assert_eq!(v(t, title, "expanded"), out.as_bytes(), "{title}: expanded");
    out.as_bytes().to_vec()
}

fn check_keys(t: &Trace, title: &str, secret: &[u8]) -> (Vec<u8>, [u8; 12]) {
    assert_eq!(v(t, title, "PRK"), secret, "{title}: PRK");
    assert_eq!(v(t, title, "key info"), hkdf_label(16, b"key", &[]));
    assert_eq!(v(t, title, "iv info"), hkdf_label(12, b"iv", &[]));
    let (key, iv) = traffic_key_iv(H, AEAD, secret);
    assert_eq!(v(t, title, "key expanded"), key.as_bytes(), "{title}: key");
    assert_eq!(v(t, title, "iv expanded"), iv, "{title}: iv");
    (key.as_bytes().to_vec(), iv)
}

struct Secrets {
    client_hs: (Vec<u8>, [u8; 12]),
    server_hs: (Vec<u8>, [u8; 12]),
    client_ap: (Vec<u8>, [u8; 12]),
    server_ap: (Vec<u8>, [u8; 12]),
}

fn key_schedule(t: &Trace) -> Secrets {
    let ch = v(t, "{client} construct a ClientHello", "ClientHello");
    let sh = v(t, "{server} construct a ServerHello", "ServerHello");
    let ee = v(
        t,
        "{server} construct an EncryptedExtensions",
        "EncryptedExtensions",
    );
    let cert = v(t, "{server} construct a Certificate", "Certificate");
    let cv = v(
        t,
        "{server} construct a CertificateVerify",
        "CertificateVerify",
    );
    let sfin = v(t, "{server} construct a Finished", "Finished");
    let cfin = v(t, "{client} construct a Finished", "Finished");

    // Early Secret: HKDF-Extract(0, 0).
    let early = EarlySecret::new(H, None);
    assert_eq!(
        v(t, "{server} extract secret \"early\"", "secret"),
        early.secret().as_bytes()
    );
    check_derive(
        t,
        "{server} derive secret for handshake \"tls13 derived\"",
        early.secret().as_bytes(),
        b"derived",
        &H.hash(&[]),
    );

    // Handshake Secret from the X25519 shared secret.
    let shared = v(t, "{server} extract secret \"handshake\"", "IKM");
    let hs = early.into_handshake(Some(shared));
    assert_eq!(
        v(t, "{server} extract secret \"handshake\"", "secret"),
        hs.secret().as_bytes()
    );
    let hello_hash = H.hash(&cat(&[ch, sh]));
    let c_hs = check_derive(
        t,
        "{server} derive secret \"tls13 c hs traffic\"",
        hs.secret().as_bytes(),
        b"c hs traffic",
        &hello_hash,
    );
    assert_eq!(
        c_hs,
        hs.client_handshake_traffic_secret(&hello_hash).as_bytes()
    );
    let s_hs = check_derive(
        t,
        "{server} derive secret \"tls13 s hs traffic\"",
        hs.secret().as_bytes(),
        b"s hs traffic",
        &hello_hash,
    );
    assert_eq!(
        s_hs,
        hs.server_handshake_traffic_secret(&hello_hash).as_bytes()
    );
    check_derive(
        t,
        "{server} derive secret for master \"tls13 derived\"",
        hs.secret().as_bytes(),
        b"derived",
        &H.hash(&[]),
    );

    // Master Secret.
    let master = hs.into_master();
    assert_eq!(
        v(t, "{server} extract secret \"master\"", "secret"),
        master.secret().as_bytes()
    );

    let server_hs = check_keys(
        t,
        "{server} derive write traffic keys for handshake data",
        &s_hs,
    );
    let client_hs = check_keys(
        t,
        "{server} derive read traffic keys for handshake data",
        &c_hs,
    );

    // Server Finished over ClientHello..CertificateVerify.
    let title = "{server} calculate finished";
    let fin_hash = H.hash(&cat(&[ch, sh, ee, cert, cv]));
    assert_eq!(v(t, title, "PRK"), s_hs);
    assert_eq!(v(t, title, "info"), hkdf_label(32, b"finished", &[]));
    let sfin_data = finished_verify_data(H, &s_hs, &fin_hash);
    assert_eq!(v(t, title, "finished"), sfin_data);
    let sfin_msg = HandshakeMessage::new(HandshakePayload::Finished(sfin_data)).encoding();
    assert_eq!(sfin_msg, sfin);

    // Application secrets over ClientHello..server Finished.
    let hs_hash = H.hash(&cat(&[ch, sh, ee, cert, cv, sfin]));
    let c_ap = check_derive(
        t,
        "{server} derive secret \"tls13 c ap traffic\"",
        master.secret().as_bytes(),
        b"c ap traffic",
        &hs_hash,
    );
    assert_eq!(
        c_ap,
        master
            .client_application_traffic_secret(&hs_hash)
            .as_bytes()
    );
    let s_ap = check_derive(
        t,
        "{server} derive secret \"tls13 s ap traffic\"",
        master.secret().as_bytes(),
        b"s ap traffic",
        &hs_hash,
    );
    assert_eq!(
        s_ap,
        master
            .server_application_traffic_secret(&hs_hash)
            .as_bytes()
    );
    let exp = check_derive(
        t,
        "{server} derive secret \"tls13 exp master\"",
        master.secret().as_bytes(),
        b"exp master",
        &hs_hash,
    );
    assert_eq!(exp, master.exporter_master_secret(&hs_hash).as_bytes());
    let server_ap = check_keys(
        t,
        "{server} derive write traffic keys for application data",
        &s_ap,
    );

    // Client Finished over ClientHello..server Finished.
    let title = "{client} calculate finished \"tls13 finished\"";
    let cfin_data = finished_verify_data(H, &c_hs, &hs_hash);
    assert_eq!(t.nth(title, 1, "PRK").unwrap(), c_hs);
    assert_eq!(t.nth(title, 1, "finished").unwrap(), cfin_data);
    assert_eq!(
        HandshakeMessage::new(HandshakePayload::Finished(cfin_data)).encoding(),
        cfin
    );
    let client_ap = check_keys(
        t,
        "{client} derive write traffic keys for application data",
        &c_ap,
    );

    // Resumption master secret over ClientHello..client Finished, and the
    // ticket's PSK from its nonce.
    let full_hash = H.hash(&cat(&[ch, sh, ee, cert, cv, sfin, cfin]));
    let rms = check_derive(
        t,
        "{client} derive secret \"tls13 res master\"",
        master.secret().as_bytes(),
        b"res master",
        &full_hash,
    );
    assert_eq!(rms, master.resumption_master_secret(&full_hash).as_bytes());
    let nst = v(
        t,
        "{server} construct a NewSessionTicket",
        "NewSessionTicket",
    );
    let HandshakePayload::NewSessionTicket13(ticket) =
        HandshakeMessage::decode(nst, ProtocolVersion::TLSV1_3)
            .unwrap()
            .payload
    else {
        panic!("not a NewSessionTicket")
    };
    let title = "{server} generate resumption secret";
    assert_eq!(v(t, title, "hash"), ticket.nonce);
    assert_eq!(
        v(t, title, "info"),
        hkdf_label(32, b"resumption", &ticket.nonce)
    );
    assert_eq!(
        v(t, title, "expanded"),
        resumption_psk(H, &rms, &ticket.nonce).as_bytes()
    );

    Secrets {
        client_hs,
        server_hs,
        client_ap,
        server_ap,
    }
}

#[test]
fn key_schedule_matches_byte_for_byte() {
    key_schedule(&trace());
}

/// Opens `complete` with `opener` and checks it gives `payload` of `typ`;
/// seals `payload` with `sealer` and checks it gives `complete`.
fn check_record(
    sealer: &mut RecordSealer,
    opener: &mut RecordOpener,
    typ: ContentType,
    payload: &[u8],
    complete: &[u8],
) {
    let mut d = Deframer::new();
    assert_eq!(d.read(complete), complete.len());
    let r = d.next_record().unwrap().unwrap();
    let opened = opener.open(r.typ, r.version, r.payload).unwrap();
    assert_eq!(opened.typ, typ);
    assert_eq!(&r.payload[opened.range], payload);
    let mut out = Vec::new();
    sealer.seal(typ, payload, 0, &mut out).unwrap();
    assert_eq!(out, complete);
}

fn pair(keys: &(Vec<u8>, [u8; 12])) -> (RecordSealer, RecordOpener) {
    (
        RecordSealer::tls13(AEAD, &keys.0, keys.1).unwrap(),
        RecordOpener::tls13(AEAD, &keys.0, keys.1).unwrap(),
    )
}

#[test]
fn every_protected_record_opens_and_seals_byte_for_byte() {
    let t = trace();
    let s = key_schedule(&t);
    let (mut server_hs_seal, mut server_hs_open) = pair(&s.server_hs);
    let (mut client_hs_seal, mut client_hs_open) = pair(&s.client_hs);
    let (mut server_ap_seal, mut server_ap_open) = pair(&s.server_ap);
    let (mut client_ap_seal, mut client_ap_open) = pair(&s.client_ap);
    let rec = |title: &str, nth: usize| {
        (
            t.nth(title, nth, "payload").unwrap().to_vec(),
            t.nth(title, nth, "complete record").unwrap().to_vec(),
        )
    };

    // The server's encrypted flight: EncryptedExtensions..Finished.
    let (p, c) = rec("{server} send handshake record", 1);
    check_record(
        &mut server_hs_seal,
        &mut server_hs_open,
        ContentType::HANDSHAKE,
        &p,
        &c,
    );
    // It holds four messages, which the joiner splits.
    let mut j = HandshakeJoiner::default();
    j.push(&p).unwrap();
    let mut n = 0;
    while let Some(m) = j.next_message().unwrap() {
        HandshakeMessage::decode(&m, ProtocolVersion::TLSV1_3).unwrap();
        n += 1;
    }
    assert_eq!(n, 4);

    let (p, c) = rec("{client} send handshake record", 1);
    check_record(
        &mut client_hs_seal,
        &mut client_hs_open,
        ContentType::HANDSHAKE,
        &p,
        &c,
    );
    let (p, c) = rec("{server} send handshake record", 2);
    check_record(
        &mut server_ap_seal,
        &mut server_ap_open,
        ContentType::HANDSHAKE,
        &p,
        &c,
    );
    let (p, c) = rec("{client} send application_data record", 0);
    check_record(
        &mut client_ap_seal,
        &mut client_ap_open,
        ContentType::APPLICATION_DATA,
        &p,
        &c,
    );
    let (p, c) = rec("{server} send application_data record", 0);
    check_record(
        &mut server_ap_seal,
        &mut server_ap_open,
        ContentType::APPLICATION_DATA,
        &p,
        &c,
    );
    let (p, c) = rec("{client} send alert record", 0);
    check_record(
        &mut client_ap_seal,
        &mut client_ap_open,
        ContentType::ALERT,
        &p,
        &c,
    );
    let (p, c) = rec("{server} send alert record", 0);
    check_record(
        &mut server_ap_seal,
        &mut server_ap_open,
        ContentType::ALERT,
        &p,
        &c,
    );
}

#[test]
fn plaintext_records_deframe_to_the_trace_messages() {
    let t = trace();
    for (title, msg) in [
        (
            "{client} send handshake record",
            "{client} construct a ClientHello",
        ),
        (
            "{server} send handshake record",
            "{server} construct a ServerHello",
        ),
    ] {
        let complete = t.get(title, "complete record").unwrap();
        let mut d = Deframer::new();
        // One byte at a time.
        let mut got = None;
        for b in complete {
            d.read(std::slice::from_ref(b));
            if let Some(r) = d.next_record().unwrap() {
                assert_eq!(r.typ, ContentType::HANDSHAKE);
                got = Some(r.payload.to_vec());
            }
        }
        let payload = got.unwrap();
        let step = t.steps(msg).next().unwrap();
        assert_eq!(payload, step.values[0].1);
    }
}
