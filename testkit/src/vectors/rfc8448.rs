//! Checks of RFC 8448's traces against cloaktls's key schedule and record
//! layer, shared by `cargo test` and `cloak vectors`. Each check compares
//! bytes and says which value differs.

use super::Trace;
use cloaktls::crypto::{AeadAlgorithm, HashAlgorithm};
use cloaktls::key_schedule::tls13::{
    derive_secret, finished_verify_data, hkdf_label, resumption_psk, traffic_key_iv, EarlySecret,
};
use cloaktls::msgs::enums::{ContentType, ProtocolVersion};
use cloaktls::msgs::handshake::{HandshakeMessage, HandshakePayload};
use cloaktls::record::{Deframer, HandshakeJoiner, RecordOpener, RecordSealer};

const H: HashAlgorithm = HashAlgorithm::Sha256;
const AEAD: AeadAlgorithm = AeadAlgorithm::Aes128Gcm;

/// Counts the byte comparisons made, and fails on the first difference.
#[derive(Debug, Default)]
pub struct Checker {
    /// How many comparisons passed.
    pub checks: usize,
}

impl Checker {
    /// Compares `got` with `want`, naming `what` if they differ.
    pub fn eq(&mut self, what: &str, want: &[u8], got: &[u8]) -> Result<(), String> {
        if want != got {
            return Err(format!(
                "{what}: expected {}, got {}",
                hex::encode(want),
                hex::encode(got)
            ));
        }
        self.checks += 1;
        Ok(())
    }
}

type Keys = (Vec<u8>, [u8; 12]);

fn check_derive(
    c: &mut Checker,
    t: &Trace,
    title: &str,
    prk: &[u8],
    label: &[u8],
    transcript: &[u8],
) -> Result<Vec<u8>, String> {
    c.eq(&format!("{title}: PRK"), t.get(title, "PRK")?, prk)?;
    c.eq(&format!("{title}: hash"), t.get(title, "hash")?, transcript)?;
    c.eq(
        &format!("{title}: info"),
        t.get(title, "info")?,
        &hkdf_label(32, label, transcript),
    )?;
    let out = derive_secret(H, prk, label, transcript);
    c.eq(
        &format!("{title}: expanded"),
        t.get(title, "expanded")?,
        out.as_bytes(),
    )?;
    Ok(out.as_bytes().to_vec())
}

fn check_keys(c: &mut Checker, t: &Trace, title: &str, secret: &[u8]) -> Result<Keys, String> {
    c.eq(&format!("{title}: PRK"), t.get(title, "PRK")?, secret)?;
    c.eq(
        &format!("{title}: key info"),
        t.get(title, "key info")?,
        &hkdf_label(16, b"key", &[]),
    )?;
    c.eq(
        &format!("{title}: iv info"),
        t.get(title, "iv info")?,
        &hkdf_label(12, b"iv", &[]),
    )?;
    let (key, iv) = traffic_key_iv(H, AEAD, secret);
    c.eq(
        &format!("{title}: key"),
        t.get(title, "key expanded")?,
        key.as_bytes(),
    )?;
    c.eq(&format!("{title}: iv"), t.get(title, "iv expanded")?, &iv)?;
    Ok((key.as_bytes().to_vec(), iv))
}

/// The traffic keys of a simple 1-RTT trace.
pub struct TrafficKeys {
    /// Client handshake write key and IV.
    pub client_hs: Keys,
    /// Server handshake write key and IV.
    pub server_hs: Keys,
    /// Client application write key and IV.
    pub client_ap: Keys,
    /// Server application write key and IV.
    pub server_ap: Keys,
}

impl std::fmt::Debug for TrafficKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TrafficKeys(..)")
    }
}

/// RFC 8448 §3's key schedule, byte for byte: every secret, HkdfLabel,
/// traffic key and IV, both Finished values, and the ticket's PSK.
pub fn simple_key_schedule(c: &mut Checker, t: &Trace) -> Result<TrafficKeys, String> {
    let ch = t.get("{client} construct a ClientHello", "ClientHello")?;
    let sh = t.get("{server} construct a ServerHello", "ServerHello")?;
    let ee = t.get(
        "{server} construct an EncryptedExtensions",
        "EncryptedExtensions",
    )?;
    let cert = t.get("{server} construct a Certificate", "Certificate")?;
    let cv = t.get(
        "{server} construct a CertificateVerify",
        "CertificateVerify",
    )?;
    let sfin = t.get("{server} construct a Finished", "Finished")?;
    let cfin = t.get("{client} construct a Finished", "Finished")?;
    let cat = |parts: &[&[u8]]| parts.concat();

    let early = EarlySecret::new(H, None);
    c.eq(
        "early secret",
        t.get("{server} extract secret \"early\"", "secret")?,
        early.secret().as_bytes(),
    )?;
    check_derive(
        c,
        t,
        "{server} derive secret for handshake \"tls13 derived\"",
        early.secret().as_bytes(),
        b"derived",
        &H.hash(&[]),
    )?;
    let shared = t.get("{server} extract secret \"handshake\"", "IKM")?;
    let hs = early.into_handshake(Some(shared));
    c.eq(
        "handshake secret",
        t.get("{server} extract secret \"handshake\"", "secret")?,
        hs.secret().as_bytes(),
    )?;
    let hello_hash = H.hash(&cat(&[ch, sh]));
    let c_hs = check_derive(
        c,
        t,
        "{server} derive secret \"tls13 c hs traffic\"",
        hs.secret().as_bytes(),
        b"c hs traffic",
        &hello_hash,
    )?;
    c.eq(
        "c hs traffic (schedule)",
        &c_hs,
        hs.client_handshake_traffic_secret(&hello_hash).as_bytes(),
    )?;
    let s_hs = check_derive(
        c,
        t,
        "{server} derive secret \"tls13 s hs traffic\"",
        hs.secret().as_bytes(),
        b"s hs traffic",
        &hello_hash,
    )?;
    c.eq(
        "s hs traffic (schedule)",
        &s_hs,
        hs.server_handshake_traffic_secret(&hello_hash).as_bytes(),
    )?;
    check_derive(
        c,
        t,
        "{server} derive secret for master \"tls13 derived\"",
        hs.secret().as_bytes(),
        b"derived",
        &H.hash(&[]),
    )?;
    let master = hs.into_master();
    c.eq(
        "master secret",
        t.get("{server} extract secret \"master\"", "secret")?,
        master.secret().as_bytes(),
    )?;
    let server_hs = check_keys(
        c,
        t,
        "{server} derive write traffic keys for handshake data",
        &s_hs,
    )?;
    let client_hs = check_keys(
        c,
        t,
        "{server} derive read traffic keys for handshake data",
        &c_hs,
    )?;

    let title = "{server} calculate finished";
    let sfin_data = finished_verify_data(H, &s_hs, &H.hash(&cat(&[ch, sh, ee, cert, cv])));
    c.eq(
        "server finished key info",
        t.get(title, "info")?,
        &hkdf_label(32, b"finished", &[]),
    )?;
    c.eq(
        "server Finished.verify_data",
        t.get(title, "finished")?,
        &sfin_data,
    )?;
    c.eq(
        "server Finished message",
        sfin,
        &HandshakeMessage::new(HandshakePayload::Finished(sfin_data.to_vec())).encoding(),
    )?;

    let hs_hash = H.hash(&cat(&[ch, sh, ee, cert, cv, sfin]));
    let ms = master.secret().as_bytes();
    let c_ap = check_derive(
        c,
        t,
        "{server} derive secret \"tls13 c ap traffic\"",
        ms,
        b"c ap traffic",
        &hs_hash,
    )?;
    c.eq(
        "c ap traffic (schedule)",
        &c_ap,
        master
            .client_application_traffic_secret(&hs_hash)
            .as_bytes(),
    )?;
    let s_ap = check_derive(
        c,
        t,
        "{server} derive secret \"tls13 s ap traffic\"",
        ms,
        b"s ap traffic",
        &hs_hash,
    )?;
    c.eq(
        "s ap traffic (schedule)",
        &s_ap,
        master
            .server_application_traffic_secret(&hs_hash)
            .as_bytes(),
    )?;
    let exp = check_derive(
        c,
        t,
        "{server} derive secret \"tls13 exp master\"",
        ms,
        b"exp master",
        &hs_hash,
    )?;
    c.eq(
        "exp master (schedule)",
        &exp,
        master.exporter_master_secret(&hs_hash).as_bytes(),
    )?;
    let server_ap = check_keys(
        c,
        t,
        "{server} derive write traffic keys for application data",
        &s_ap,
    )?;

    let title = "{client} calculate finished \"tls13 finished\"";
    let cfin_data = finished_verify_data(H, &c_hs, &hs_hash);
    c.eq(
        "client Finished.verify_data",
        t.nth(title, 1, "finished")?,
        &cfin_data,
    )?;
    c.eq(
        "client Finished message",
        cfin,
        &HandshakeMessage::new(HandshakePayload::Finished(cfin_data.to_vec())).encoding(),
    )?;
    let client_ap = check_keys(
        c,
        t,
        "{client} derive write traffic keys for application data",
        &c_ap,
    )?;

    let full_hash = H.hash(&cat(&[ch, sh, ee, cert, cv, sfin, cfin]));
    let rms = check_derive(
        c,
        t,
        "{client} derive secret \"tls13 res master\"",
        ms,
        b"res master",
        &full_hash,
    )?;
    c.eq(
        "res master (schedule)",
        &rms,
        master.resumption_master_secret(&full_hash).as_bytes(),
    )?;
    let nst = t.get("{server} construct a NewSessionTicket", "NewSessionTicket")?;
    let HandshakePayload::NewSessionTicket13(ticket) =
        HandshakeMessage::decode(nst, ProtocolVersion::TLSV1_3)
            .map_err(|e| format!("NewSessionTicket: {e}"))?
            .payload
    else {
        return Err("the NewSessionTicket did not decode as one".into());
    };
    let title = "{server} generate resumption secret";
    c.eq("ticket nonce", t.get(title, "hash")?, &ticket.nonce)?;
    c.eq(
        "resumption info",
        t.get(title, "info")?,
        &hkdf_label(32, b"resumption", &ticket.nonce),
    )?;
    c.eq(
        "ticket PSK",
        t.get(title, "expanded")?,
        resumption_psk(H, &rms, &ticket.nonce).as_bytes(),
    )?;
    Ok(TrafficKeys {
        client_hs,
        server_hs,
        client_ap,
        server_ap,
    })
}

fn check_record(
    c: &mut Checker,
    what: &str,
    sealer: &mut RecordSealer,
    opener: &mut RecordOpener,
    typ: ContentType,
    payload: &[u8],
    complete: &[u8],
) -> Result<(), String> {
    let mut d = Deframer::new();
    d.read(complete);
    let r = d
        .next_record()
        .map_err(|e| format!("{what}: {e}"))?
        .ok_or_else(|| format!("{what}: not a whole record"))?;
    let opened = opener
        .open(r.typ, r.version, r.payload)
        .map_err(|e| format!("{what}: {e}"))?;
    c.eq(&format!("{what}: content type"), &[typ.0], &[opened.typ.0])?;
    c.eq(
        &format!("{what}: decrypted"),
        payload,
        &r.payload[opened.range],
    )?;
    let mut out = Vec::new();
    sealer
        .seal(typ, payload, 0, &mut out)
        .map_err(|e| format!("{what}: {e}"))?;
    c.eq(&format!("{what}: encrypted"), complete, &out)
}

fn pair(keys: &Keys) -> Result<(RecordSealer, RecordOpener), String> {
    Ok((
        RecordSealer::tls13(AEAD, &keys.0, keys.1).map_err(|e| e.to_string())?,
        RecordOpener::tls13(AEAD, &keys.0, keys.1).map_err(|e| e.to_string())?,
    ))
}

/// Every protected record of RFC 8448 §3, opened and sealed both ways.
pub fn simple_records(c: &mut Checker, t: &Trace, k: &TrafficKeys) -> Result<(), String> {
    let (mut shs_s, mut shs_o) = pair(&k.server_hs)?;
    let (mut chs_s, mut chs_o) = pair(&k.client_hs)?;
    let (mut sap_s, mut sap_o) = pair(&k.server_ap)?;
    let (mut cap_s, mut cap_o) = pair(&k.client_ap)?;
    let rec = |title: &str, nth: usize| -> Result<(Vec<u8>, Vec<u8>), String> {
        Ok((
            t.nth(title, nth, "payload")?.to_vec(),
            t.nth(title, nth, "complete record")?.to_vec(),
        ))
    };
    let hs = ContentType::HANDSHAKE;
    let ad = ContentType::APPLICATION_DATA;
    let (p, r) = rec("{server} send handshake record", 1)?;
    check_record(
        c,
        "server handshake flight",
        &mut shs_s,
        &mut shs_o,
        hs,
        &p,
        &r,
    )?;
    let mut j = HandshakeJoiner::default();
    j.push(&p).map_err(|e| e.to_string())?;
    let mut n = 0;
    while let Some(m) = j.next_message().map_err(|e| e.to_string())? {
        HandshakeMessage::decode(&m, ProtocolVersion::TLSV1_3).map_err(|e| e.to_string())?;
        n += 1;
    }
    c.eq("messages in the server flight", &[4], &[n])?;
    let (p, r) = rec("{client} send handshake record", 1)?;
    check_record(
        c,
        "client Finished record",
        &mut chs_s,
        &mut chs_o,
        hs,
        &p,
        &r,
    )?;
    let (p, r) = rec("{server} send handshake record", 2)?;
    check_record(
        c,
        "NewSessionTicket record",
        &mut sap_s,
        &mut sap_o,
        hs,
        &p,
        &r,
    )?;
    let (p, r) = rec("{client} send application_data record", 0)?;
    check_record(
        c,
        "client application data",
        &mut cap_s,
        &mut cap_o,
        ad,
        &p,
        &r,
    )?;
    let (p, r) = rec("{server} send application_data record", 0)?;
    check_record(
        c,
        "server application data",
        &mut sap_s,
        &mut sap_o,
        ad,
        &p,
        &r,
    )?;
    let (p, r) = rec("{client} send alert record", 0)?;
    check_record(
        c,
        "client alert",
        &mut cap_s,
        &mut cap_o,
        ContentType::ALERT,
        &p,
        &r,
    )?;
    let (p, r) = rec("{server} send alert record", 0)?;
    check_record(
        c,
        "server alert",
        &mut sap_s,
        &mut sap_o,
        ContentType::ALERT,
        &p,
        &r,
    )
}

/// Every handshake message of a trace decodes and re-encodes to its bytes.
pub fn messages_round_trip(c: &mut Checker, t: &Trace) -> Result<(), String> {
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
    for step in &t.steps {
        for (label, bytes) in &step.values {
            // A ClientHello printed before its binders is only a prefix.
            if !names.contains(&label.as_str()) || step.steps_before_binder() {
                continue;
            }
            let m = HandshakeMessage::decode(bytes, ProtocolVersion::TLSV1_3)
                .map_err(|e| format!("{}: {label}: {e}", step.title))?;
            c.eq(
                &format!("{}: {label} round trip", step.title),
                bytes,
                &m.encoding(),
            )?;
        }
    }
    Ok(())
}

/// Runs the checks that apply to a trace file by its name; returns how
/// many comparisons passed.
pub fn run(name: &str, t: &Trace) -> Result<usize, String> {
    let mut c = Checker::default();
    messages_round_trip(&mut c, t)?;
    if name.starts_with("simple-1rtt") {
        let keys = simple_key_schedule(&mut c, t)?;
        simple_records(&mut c, t, &keys)?;
    }
    Ok(c.checks)
}
