//! Negative cases, each checked on both sides: the error that the failing
//! side reports and the alert that the other side receives.

mod common;
use cloaktls::config::ClientAuth;
use cloaktls::conn::{Intake, Received};
use cloaktls::crypto::sign::{KeyKind, SigningKey};
use cloaktls::error::Negotiable;
use cloaktls::msgs::enums::{AlertDescription, ContentType, ProtocolVersion, SignatureScheme};
use cloaktls::record::{write_plaintext_record, Deframer};
use cloaktls::verify::{ClientCertVerifier, WebPkiClientVerifier};
use cloaktls::{
    CertificateErrorKind, CertifiedKey, ClientConfig, ClientConnection, Error, ServerConfig,
    ServerConnection,
};
use cloaktls::{CipherSuite, NamedGroup};
use common::*;
use std::sync::Arc;

const V13: &[ProtocolVersion] = &[ProtocolVersion::TLSV1_3];
const V12: &[ProtocolVersion] = &[ProtocolVersion::TLSV1_2];
const BOTH: [&[ProtocolVersion]; 2] = [V13, V12];

fn run(
    client_cfg: Arc<ClientConfig>,
    server_cfg: Arc<ServerConfig>,
) -> (Result<(), Error>, Result<(), Error>) {
    let mut c = ClientConnection::new(client_cfg, "localhost").unwrap();
    let mut s = ServerConnection::new(server_cfg).unwrap();
    handshake(&mut c, &mut s)
}

fn cert_kind(r: &Result<(), Error>) -> CertificateErrorKind {
    match r {
        Err(Error::InvalidCertificate(c)) => c.kind,
        other => panic!("expected a certificate error, got {other:?}"),
    }
}

fn alert_received(r: &Result<(), Error>) -> AlertDescription {
    match r {
        Err(Error::AlertReceived(a)) => *a,
        other => panic!("expected an alert from the peer, got {other:?}"),
    }
}

fn sent_alert(r: &Result<(), Error>) -> AlertDescription {
    r.as_ref().unwrap_err().alert().expect("an alert to send")
}

#[test]
fn expired_and_not_yet_valid_certificates() {
    let pki = Pki::new("CA");
    for (validity, kind, word) in [
        (
            ((2001, 1, 1), (2002, 1, 1)),
            CertificateErrorKind::Expired,
            "expired on 2002-01-01",
        ),
        (
            ((2080, 1, 1), (2090, 1, 1)),
            CertificateErrorKind::NotYetValid,
            "becomes valid on 2080-01-01",
        ),
    ] {
        let mut spec = Spec::server(KeyType::EcdsaP256, &["localhost"]);
        spec.validity = validity;
        let server = pki.issue(&spec);
        for v in BOTH {
            let s = ServerConfig::builder(server.certified_key())
                .versions(v)
                .build()
                .unwrap();
            let c = ClientConfig::builder(pki.roots())
                .versions(v)
                .build()
                .unwrap();
            let (cr, sr) = run(c, s);
            assert_eq!(cert_kind(&cr), kind);
            assert!(
                cr.as_ref().unwrap_err().to_string().contains(word),
                "{cr:?}"
            );
            assert_eq!(sent_alert(&cr), AlertDescription::CERTIFICATE_EXPIRED);
            assert_eq!(alert_received(&sr), AlertDescription::CERTIFICATE_EXPIRED);
        }
    }
}

#[test]
fn wrong_host_name_lists_the_names_the_certificate_has() {
    let pki = Pki::new("CA");
    let server = pki.issue(&Spec::server(
        KeyType::EcdsaP256,
        &["other.example", "www.other.example"],
    ));
    for v in BOTH {
        let s = ServerConfig::builder(server.certified_key())
            .versions(v)
            .build()
            .unwrap();
        let c = ClientConfig::builder(pki.roots())
            .versions(v)
            .build()
            .unwrap();
        let (cr, sr) = run(c, s);
        assert_eq!(cert_kind(&cr), CertificateErrorKind::NameMismatch);
        let text = cr.as_ref().unwrap_err().to_string();
        assert!(
            text.contains("localhost") && text.contains("other.example"),
            "{text}"
        );
        assert_eq!(alert_received(&sr), AlertDescription::BAD_CERTIFICATE);
    }
}

#[test]
fn ip_address_names_are_checked() {
    let pki = Pki::new("CA");
    let server = pki.issue(&Spec::server(KeyType::EcdsaP256, &["127.0.0.1"]));
    let s = ServerConfig::builder(server.certified_key())
        .build()
        .unwrap();
    let c = ClientConfig::builder(pki.roots()).build().unwrap();
    let mut conn = ClientConnection::new(c.clone(), "127.0.0.1").unwrap();
    let mut srv = ServerConnection::new(s.clone()).unwrap();
    let (cr, sr) = handshake(&mut conn, &mut srv);
    cr.unwrap();
    sr.unwrap();
    // No SNI is sent for an IP address.
    assert_eq!(srv.server_name(), None);
    let mut conn = ClientConnection::new(c, "127.0.0.2").unwrap();
    let mut srv = ServerConnection::new(s).unwrap();
    let (cr, _) = handshake(&mut conn, &mut srv);
    assert_eq!(cert_kind(&cr), CertificateErrorKind::NameMismatch);
}

#[test]
fn unknown_issuer() {
    let pki = Pki::new("CA");
    let other = Pki::new("Another CA");
    let server = pki.server(KeyType::EcdsaP256);
    for v in BOTH {
        let s = ServerConfig::builder(server.certified_key())
            .versions(v)
            .build()
            .unwrap();
        let c = ClientConfig::builder(other.roots())
            .versions(v)
            .build()
            .unwrap();
        let (cr, sr) = run(c, s);
        assert_eq!(cert_kind(&cr), CertificateErrorKind::UnknownIssuer);
        assert_eq!(alert_received(&sr), AlertDescription::UNKNOWN_CA);
    }
}

#[test]
fn self_signed_certificate_is_explained() {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let ck = CertifiedKey::from_der(vec![cert.der().to_vec()], &key.serialize_der()).unwrap();
    let s = ServerConfig::builder(ck).build().unwrap();
    let c = ClientConfig::builder(Pki::new("CA").roots())
        .build()
        .unwrap();
    let (cr, _) = run(c, s);
    assert_eq!(cert_kind(&cr), CertificateErrorKind::UnknownIssuer);
    assert!(cr.unwrap_err().to_string().contains("self-signed"));
}

/// A key that signs with the wrong key: its signatures never verify.
#[derive(Debug)]
struct BadSigner(Arc<dyn SigningKey>);

impl SigningKey for BadSigner {
    fn kind(&self) -> KeyKind {
        self.0.kind()
    }
    fn schemes(&self) -> &[SignatureScheme] {
        self.0.schemes()
    }
    fn sign(&self, scheme: SignatureScheme, message: &[u8]) -> Result<Vec<u8>, Error> {
        let mut sig = self.0.sign(scheme, message)?;
        let last = sig.len() - 1;
        sig[last] ^= 1;
        Ok(sig)
    }
}

#[test]
fn bad_certificate_verify_signature() {
    let pki = Pki::new("CA");
    for kind in [KeyType::EcdsaP256, KeyType::Ed25519, KeyType::Rsa2048] {
        let good = pki.server(kind).certified_key();
        let bad = CertifiedKey::new(good.chain.clone(), Arc::new(BadSigner(good.key.clone())));
        for v in BOTH {
            let s = ServerConfig::builder(bad.clone())
                .versions(v)
                .build()
                .unwrap();
            let c = ClientConfig::builder(pki.roots())
                .versions(v)
                .build()
                .unwrap();
            let (cr, sr) = run(c, s);
            assert_eq!(
                sent_alert(&cr),
                AlertDescription::DECRYPT_ERROR,
                "{kind:?} {v:?}: {cr:?}"
            );
            assert_eq!(alert_received(&sr), AlertDescription::DECRYPT_ERROR);
        }
        // And a client's bad signature, seen by the server.
        let client_good = pki.client(kind).certified_key();
        let client_bad = CertifiedKey::new(
            client_good.chain.clone(),
            Arc::new(BadSigner(client_good.key.clone())),
        );
        for v in BOTH {
            let s = ServerConfig::builder(good.clone())
                .versions(v)
                .client_auth(ClientAuth::required(pki.roots()))
                .build()
                .unwrap();
            let c = ClientConfig::builder(pki.roots())
                .versions(v)
                .client_certificate(client_bad.clone())
                .build()
                .unwrap();
            let (cr, sr) = run(c, s);
            assert_eq!(
                sent_alert(&sr),
                AlertDescription::DECRYPT_ERROR,
                "{kind:?} {v:?}: {sr:?}"
            );
            assert_eq!(alert_received(&cr), AlertDescription::DECRYPT_ERROR);
        }
    }
}

#[test]
fn tampered_record_is_bad_record_mac_on_both_sides() {
    let pki = Pki::new("CA");
    for v in BOTH {
        let s_cfg = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
            .versions(v)
            .build()
            .unwrap();
        let c_cfg = ClientConfig::builder(pki.roots())
            .versions(v)
            .build()
            .unwrap();
        let mut c = ClientConnection::new(c_cfg, "localhost").unwrap();
        let mut s = ServerConnection::new(s_cfg).unwrap();
        let (cr, sr) = handshake(&mut c, &mut s);
        cr.unwrap();
        sr.unwrap();
        // Data that was accepted before the bad record is not lost.
        c.send(b"first").unwrap();
        let first = c.pending_tls().to_vec();
        c.consume_tls(first.len());
        assert_eq!(s.read_tls(&first).unwrap(), Intake::All);
        c.send(b"second").unwrap();
        let mut wire = c.pending_tls().to_vec();
        c.consume_tls(wire.len());
        let last = wire.len() - 1;
        wire[last] ^= 0x80;
        assert_eq!(s.read_tls(&wire), Err(Error::BadRecordMac));
        let mut buf = [0u8; 16];
        assert_eq!(s.recv(&mut buf).unwrap(), Received::Data(5));
        assert_eq!(&buf[..5], b"first");
        assert_eq!(s.recv(&mut buf), Err(Error::BadRecordMac));
        // The alert reaches the client.
        let alert = s.pending_tls().to_vec();
        assert_eq!(
            c.read_tls(&alert),
            Err(Error::AlertReceived(AlertDescription::BAD_RECORD_MAC))
        );
        // Nothing more is accepted.
        assert!(s.read_tls(&first).is_err());
    }
}

#[test]
fn wrong_finished_tls13() {
    wrong_finished_tls13_with(false);
    wrong_finished_tls13_with(true);
}

fn wrong_finished_tls13_with(compatibility_mode: bool) {
    // A man in the middle who knows the handshake keys (from the key log)
    // changes the server's Finished.
    let pki = Pki::new("CA");
    let log = Arc::new(Secrets::default());
    let s_cfg = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
        .versions(V13)
        .cipher_suites(&[CipherSuite::TLS13_AES_128_GCM_SHA256])
        .key_log(log.clone())
        .build()
        .unwrap();
    let c_cfg = ClientConfig::builder(pki.roots())
        .versions(V13)
        .compatibility_mode(compatibility_mode)
        .build()
        .unwrap();
    let mut c = ClientConnection::new(c_cfg, "localhost").unwrap();
    let mut s = ServerConnection::new(s_cfg).unwrap();
    let hello = c.pending_tls().to_vec();
    c.consume_tls(hello.len());
    assert_eq!(s.read_tls(&hello).unwrap(), Intake::All);
    let flight = s.pending_tls().to_vec();
    s.consume_tls(flight.len());
    // ServerHello, then one protected record with EE..Finished.
    let out = reseal_tls13_flight(
        &flight,
        &log.get("SERVER_HANDSHAKE_TRAFFIC_SECRET"),
        |plain| {
            let last = plain.len() - 1;
            plain[last] ^= 1; // the last byte of Finished.verify_data
        },
    );
    let err = c.read_tls(&out).unwrap_err();
    assert_eq!(
        err.alert(),
        Some(AlertDescription::DECRYPT_ERROR),
        "{err:?}"
    );
    assert!(err.to_string().contains("Finished"));
    let alert = c.pending_tls().to_vec();
    // RFC 8446 D.4: in compatibility mode the ChangeCipherSpec still goes
    // before the first protected record, here the alert.
    let ccs: &[u8] = &[20, 3, 3, 0, 1, 1];
    assert_eq!(alert.starts_with(ccs), compatibility_mode, "{alert:?}");
    let protected = if compatibility_mode {
        &alert[ccs.len()..]
    } else {
        &alert[..]
    };
    assert_eq!(protected[0], 23, "the alert is protected: {alert:?}");
    assert_eq!(
        s.read_tls(&alert),
        Err(Error::AlertReceived(AlertDescription::DECRYPT_ERROR))
    );
}

#[test]
fn wrong_finished_tls12() {
    // Without the extended master secret, a changed ClientHello leaves the
    // keys alone and shows only in the Finished messages.
    let pki = Pki::new("CA");
    let s_cfg = cloaktls::danger::allow_no_extended_master_secret_server(
        ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key()).versions(V12),
    )
    .build()
    .unwrap();
    let c_cfg = cloaktls::danger::allow_no_extended_master_secret_client(
        ClientConfig::builder(pki.roots())
            .versions(V12)
            .alpn_protocols(&["aaaa"]),
    )
    .build()
    .unwrap();
    let mut c = ClientConnection::new(c_cfg, "localhost").unwrap();
    let mut s = ServerConnection::new(s_cfg).unwrap();
    let mut hello = c.pending_tls().to_vec();
    c.consume_tls(hello.len());
    // Drop extended_master_secret from what the server sees by renaming
    // it to an unknown type, and change the ALPN name the server ignores.
    let pos = hello
        .windows(4)
        .position(|w| w == [0x00, 0x17, 0x00, 0x00])
        .unwrap();
    hello[pos + 1] = 0x99;
    let pos = hello.windows(4).position(|w| w == b"aaaa").unwrap();
    hello[pos] = b'b';
    assert_eq!(s.read_tls(&hello).unwrap(), Intake::All);
    let (cr, sr) = handshake(&mut c, &mut s);
    assert_eq!(sent_alert(&sr), AlertDescription::DECRYPT_ERROR, "{sr:?}");
    assert!(sr.unwrap_err().to_string().contains("Finished"));
    assert_eq!(alert_received(&cr), AlertDescription::DECRYPT_ERROR);
}

/// `flight` with `extra` appended to the payload of its last handshake
/// record, its length fixed.
fn append_to_last_handshake_record(flight: &[u8], extra: &[u8]) -> Vec<u8> {
    let mut d = Deframer::new();
    d.read(flight);
    let mut records = Vec::new();
    while let Some(r) = d.next_record().unwrap() {
        records.push((r.typ, r.version, r.payload.to_vec()));
    }
    let last = records
        .iter()
        .rposition(|r| r.0 == ContentType::HANDSHAKE)
        .unwrap();
    records[last].2.extend_from_slice(extra);
    let mut out = Vec::new();
    for (typ, version, payload) in records {
        write_plaintext_record(typ, version, &payload, &mut out);
    }
    out
}

#[test]
fn handshake_data_after_the_end_of_a_flight() {
    // RFC 8446 §2, RFC 5246 §7.3: a peer that must wait for our answer
    // cannot have sent more; the start of a message is refused, not kept.
    let pki = Pki::new("CA");
    let s_cfg = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
        .build()
        .unwrap();
    let partial = [16u8, 0, 0, 40, 1, 2];
    for versions in BOTH {
        let c_cfg = ClientConfig::builder(pki.roots())
            .versions(versions)
            .build()
            .unwrap();
        // A ClientHello followed by the start of a ClientKeyExchange.
        let mut c = ClientConnection::new(c_cfg.clone(), "localhost").unwrap();
        let mut s = ServerConnection::new(s_cfg.clone()).unwrap();
        let hello = append_to_last_handshake_record(c.pending_tls(), &partial);
        let err = s.read_tls(&hello).unwrap_err();
        assert_eq!(
            err.alert(),
            Some(AlertDescription::UNEXPECTED_MESSAGE),
            "{err}"
        );
        assert!(
            err.to_string().contains("end of the peer's flight"),
            "{err}"
        );
        // The same hello without the extra bytes is fine.
        let mut s = ServerConnection::new(s_cfg.clone()).unwrap();
        let hello = c.pending_tls().to_vec();
        c.consume_tls(hello.len());
        assert_eq!(s.read_tls(&hello).unwrap(), Intake::All);
        if versions == V12 {
            // ServerHello..ServerHelloDone followed by more.
            let flight = append_to_last_handshake_record(s.pending_tls(), &partial);
            let err = c.read_tls(&flight).unwrap_err();
            assert_eq!(
                err.alert(),
                Some(AlertDescription::UNEXPECTED_MESSAGE),
                "{err}"
            );
        }
    }
}

#[test]
fn messages_out_of_order() {
    let pki = Pki::new("CA");
    let s_cfg = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
        .build()
        .unwrap();
    // A server that gets a Finished first.
    let mut s = ServerConnection::new(s_cfg.clone()).unwrap();
    let err = s
        .read_tls(&[22, 3, 3, 0, 8, 20, 0, 0, 4, 1, 2, 3, 4])
        .unwrap_err();
    assert_eq!(err.alert(), Some(AlertDescription::UNEXPECTED_MESSAGE));
    assert_eq!(s.pending_tls(), &[21, 3, 3, 0, 2, 2, 10]);
    // A client that gets ServerHelloDone instead of ServerHello.
    let c_cfg = ClientConfig::builder(pki.roots()).build().unwrap();
    let mut c = ClientConnection::new(c_cfg.clone(), "localhost").unwrap();
    let n = c.pending_tls().len();
    c.consume_tls(n);
    let err = c.read_tls(&[22, 3, 3, 0, 4, 14, 0, 0, 0]).unwrap_err();
    assert_eq!(err.alert(), Some(AlertDescription::UNEXPECTED_MESSAGE));
    // Application data before the handshake.
    let mut s = ServerConnection::new(s_cfg).unwrap();
    let err = s.read_tls(&[23, 3, 3, 0, 1, 0]).unwrap_err();
    assert_eq!(err.alert(), Some(AlertDescription::UNEXPECTED_MESSAGE));
    // A ClientHello sent to a client.
    let mut c = ClientConnection::new(c_cfg.clone(), "localhost").unwrap();
    let c2 = ClientConnection::new(c_cfg, "localhost").unwrap();
    let hello = c2.pending_tls().to_vec();
    let err = c.read_tls(&hello).unwrap_err();
    assert_eq!(err.alert(), Some(AlertDescription::UNEXPECTED_MESSAGE));
}

#[test]
fn no_common_group_suite_or_alpn() {
    let pki = Pki::new("CA");
    let cert = pki.server(KeyType::EcdsaP256).certified_key();
    for v in BOTH {
        // Groups.
        let s = ServerConfig::builder(cert.clone())
            .versions(v)
            .groups(&[NamedGroup::SECP384R1])
            .build()
            .unwrap();
        let c = ClientConfig::builder(pki.roots())
            .versions(v)
            .groups(&[NamedGroup::X25519, NamedGroup::SECP256R1])
            .build()
            .unwrap();
        let (cr, sr) = run(c, s);
        assert!(
            matches!(
                &sr,
                Err(Error::NoCommon {
                    what: Negotiable::KeyExchangeGroup,
                    ..
                })
            ),
            "{sr:?}"
        );
        assert!(sr.unwrap_err().to_string().contains("secp384r1"));
        assert_eq!(alert_received(&cr), AlertDescription::HANDSHAKE_FAILURE);
        // ALPN.
        let s = ServerConfig::builder(cert.clone())
            .versions(v)
            .alpn_protocols(&["h2"])
            .build()
            .unwrap();
        let c = ClientConfig::builder(pki.roots())
            .versions(v)
            .alpn_protocols(&["http/1.1"])
            .build()
            .unwrap();
        let (cr, sr) = run(c, s);
        assert_eq!(sent_alert(&sr), AlertDescription::NO_APPLICATION_PROTOCOL);
        assert_eq!(
            alert_received(&cr),
            AlertDescription::NO_APPLICATION_PROTOCOL
        );
    }
    // Suites.
    let s = ServerConfig::builder(cert.clone())
        .cipher_suites(&[CipherSuite::TLS13_CHACHA20_POLY1305_SHA256])
        .build()
        .unwrap();
    let c = ClientConfig::builder(pki.roots())
        .cipher_suites(&[CipherSuite::TLS13_AES_128_GCM_SHA256])
        .build()
        .unwrap();
    let (cr, sr) = run(c, s);
    assert!(
        matches!(
            &sr,
            Err(Error::NoCommon {
                what: Negotiable::CipherSuite,
                ..
            })
        ),
        "{sr:?}"
    );
    assert_eq!(alert_received(&cr), AlertDescription::HANDSHAKE_FAILURE);
    let s = ServerConfig::builder(cert.clone())
        .cipher_suites(&[CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256])
        .build()
        .unwrap();
    let c = ClientConfig::builder(pki.roots())
        .cipher_suites(&[CipherSuite::TLS13_AES_128_GCM_SHA256])
        .build()
        .unwrap();
    let (cr, sr) = run(c, s);
    assert!(
        matches!(
            &sr,
            Err(Error::NoCommon {
                what: Negotiable::ProtocolVersion,
                ..
            })
        ),
        "{sr:?}"
    );
    assert_eq!(alert_received(&cr), AlertDescription::PROTOCOL_VERSION);
}

#[test]
fn client_certificate_missing_when_required() {
    let pki = Pki::new("CA");
    let cert = pki.server(KeyType::EcdsaP256).certified_key();
    for (v, alert) in [
        (V13, AlertDescription::CERTIFICATE_REQUIRED),
        (V12, AlertDescription::HANDSHAKE_FAILURE),
    ] {
        let s = ServerConfig::builder(cert.clone())
            .versions(v)
            .client_auth(ClientAuth::required(pki.roots()))
            .build()
            .unwrap();
        let c = ClientConfig::builder(pki.roots())
            .versions(v)
            .build()
            .unwrap();
        let (cr, sr) = run(c, s);
        assert_eq!(sent_alert(&sr), alert, "{v:?}: {sr:?}");
        assert_eq!(alert_received(&cr), alert);
        // Optional mode lets the client in.
        let s = ServerConfig::builder(cert.clone())
            .versions(v)
            .client_auth(ClientAuth::optional(pki.roots()))
            .build()
            .unwrap();
        let c = ClientConfig::builder(pki.roots())
            .versions(v)
            .build()
            .unwrap();
        let (cr, sr) = run(c, s);
        cr.unwrap();
        sr.unwrap();
        // A client whose only certificate is from a CA the server did not
        // name still sends it (the names are a hint), and is refused.
        let other = Pki::new("other");
        let s = ServerConfig::builder(cert.clone())
            .versions(v)
            .client_auth(ClientAuth::required(pki.roots()))
            .build()
            .unwrap();
        let c = ClientConfig::builder(pki.roots())
            .versions(v)
            .client_certificate(other.client(KeyType::EcdsaP256).certified_key())
            .build()
            .unwrap();
        let (_, sr) = run(c, s);
        assert_eq!(sent_alert(&sr), AlertDescription::UNKNOWN_CA, "{sr:?}");
        // A server that names no CA gets the certificate, and refuses it.
        let verifier = Arc::new(NoHints(WebPkiClientVerifier::new(Arc::new(pki.roots()))));
        let s = ServerConfig::builder(cert.clone())
            .versions(v)
            .client_auth(ClientAuth::Required(verifier))
            .build()
            .unwrap();
        let c = ClientConfig::builder(pki.roots())
            .versions(v)
            .client_certificate(other.client(KeyType::EcdsaP256).certified_key())
            .build()
            .unwrap();
        let (cr, sr) = run(c, s);
        assert!(cr.is_err());
        assert_eq!(sent_alert(&sr), AlertDescription::UNKNOWN_CA, "{sr:?}");
    }
}

/// A client verifier that names no CAs in its CertificateRequest.
#[derive(Debug)]
struct NoHints(WebPkiClientVerifier);

impl ClientCertVerifier for NoHints {
    fn root_subjects(&self) -> Vec<Vec<u8>> {
        Vec::new()
    }
    fn verify_client_cert(
        &self,
        end_entity: &pki_types::CertificateDer<'_>,
        intermediates: &[pki_types::CertificateDer<'_>],
        now: pki_types::UnixTime,
    ) -> Result<(), Error> {
        self.0.verify_client_cert(end_entity, intermediates, now)
    }
}

#[test]
fn garbage_and_http_are_not_tls() {
    let pki = Pki::new("CA");
    let s_cfg = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
        .build()
        .unwrap();
    let mut s = ServerConnection::new(s_cfg).unwrap();
    let err = s
        .read_tls(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap_err();
    assert!(matches!(err, Error::NotTls(_)));
    assert!(err.to_string().contains("HTTP"));
}

#[test]
fn a_key_not_for_signatures_cannot_sign_the_handshake() {
    // keyUsage without digitalSignature (RFC 5280 §4.2.1.3).
    let pki = Pki::new("CA");
    let mut spec = Spec::server(KeyType::EcdsaP256, &["localhost"]);
    spec.key_usages = vec![rcgen::KeyUsagePurpose::KeyAgreement];
    let bad = pki.issue(&spec);
    let mut spec = Spec::server(KeyType::EcdsaP256, &["localhost"]);
    spec.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
    let good = pki.issue(&spec);
    for v in BOTH {
        let s = ServerConfig::builder(bad.certified_key())
            .versions(v)
            .build()
            .unwrap();
        let c = ClientConfig::builder(pki.roots())
            .versions(v)
            .build()
            .unwrap();
        let (cr, _) = run(c, s);
        assert_eq!(cert_kind(&cr), CertificateErrorKind::WrongUsage, "{v:?}");
        let s = ServerConfig::builder(good.certified_key())
            .versions(v)
            .build()
            .unwrap();
        let c = ClientConfig::builder(pki.roots())
            .versions(v)
            .build()
            .unwrap();
        let (cr, sr) = run(c, s);
        cr.unwrap();
        sr.unwrap();
    }
}

#[cfg(feature = "webpki-roots")]
#[test]
fn mozilla_roots_load() {
    let roots = cloaktls::verify::RootStore::mozilla();
    assert!(roots.len() > 100);
}

/// RFC 8422 §5.3: in TLS 1.2 the client's supported_groups also names the
/// curves that the server's ECDSA key may be on.
#[test]
fn tls12_ecdsa_keys_must_be_on_a_listed_curve() {
    let pki = Pki::new("CA");
    let p256 = pki.server(KeyType::EcdsaP256);
    // Server: a P-256 key is unusable for a client that lists only P-384,
    // so the RSA certificate serves it, or, without one, nothing does.
    let c = ClientConfig::builder(pki.roots())
        .versions(V12)
        .groups(&[NamedGroup::SECP384R1])
        .build()
        .unwrap();
    let only_p256 = ServerConfig::builder(p256.certified_key())
        .versions(V12)
        .build()
        .unwrap();
    let (cr, sr) = run(c.clone(), only_p256);
    assert_eq!(
        sent_alert(&sr),
        AlertDescription::HANDSHAKE_FAILURE,
        "{sr:?}"
    );
    // The error names the real cause, not "no cipher suite in common".
    match &sr {
        Err(Error::NoCommon { what, ours, theirs }) => {
            assert_eq!(*what, Negotiable::Certificate);
            assert!(ours.contains("secp256r1"), "{ours}");
            assert!(theirs.contains("secp384r1"), "{theirs}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(alert_received(&cr), AlertDescription::HANDSHAKE_FAILURE);
    let with_rsa = ServerConfig::builder(p256.certified_key())
        .add_certificate(pki.server(KeyType::Rsa2048).certified_key())
        .versions(V12)
        .build()
        .unwrap();
    let mut cc = ClientConnection::new(c, "localhost").unwrap();
    let mut sc = ServerConnection::new(with_rsa).unwrap();
    let (cr, sr) = handshake(&mut cc, &mut sc);
    cr.unwrap();
    sr.unwrap();
    assert!(cc
        .cipher_suite()
        .is_some_and(|s| format!("{s:?}").contains("RSA")));

    // Client: a server that is told P-256 is listed (the hello changed on
    // the way) and answers with a P-256 key is refused.
    let c = ClientConfig::builder(pki.roots())
        .versions(V12)
        .groups(&[NamedGroup::X25519, NamedGroup::SECP384R1])
        .build()
        .unwrap();
    let s = ServerConfig::builder(p256.certified_key())
        .versions(V12)
        .build()
        .unwrap();
    let mut cc = ClientConnection::new(c, "localhost").unwrap();
    let mut sc = ServerConnection::new(s).unwrap();
    let mut hello = cc.pending_tls().to_vec();
    cc.consume_tls(hello.len());
    let groups = [0x00, 0x0a, 0x00, 0x06, 0x00, 0x04, 0x00, 0x1d, 0x00, 0x18];
    let at = hello
        .windows(groups.len())
        .position(|w| w == groups)
        .expect("supported_groups in the hello");
    hello[at + 9] = 0x17;
    assert_eq!(sc.read_tls(&hello).unwrap(), Intake::All);
    let flight = sc.pending_tls().to_vec();
    let err = cc.read_tls(&flight).unwrap_err();
    assert_eq!(
        err.alert(),
        Some(AlertDescription::ILLEGAL_PARAMETER),
        "{err:?}"
    );
    assert!(err.to_string().contains("secp256r1"), "{err}");
}

/// A TLS 1.3 client that cannot use the ServerHello has no keys yet: its
/// alert comes in plaintext and is reported as the alert it is. Once the
/// peer has sent protected records, a plaintext alert is refused.
#[test]
fn tls13_plaintext_alert_before_the_peer_has_keys() {
    let pki = Pki::new("CA");
    let s_cfg = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
        .versions(V13)
        .build()
        .unwrap();
    let c_cfg = ClientConfig::builder(pki.roots())
        .versions(V13)
        .compatibility_mode(false)
        .build()
        .unwrap();
    let mut alert = Vec::new();
    write_plaintext_record(
        ContentType::ALERT,
        ProtocolVersion::TLSV1_2,
        &[2, AlertDescription::HANDSHAKE_FAILURE.0],
        &mut alert,
    );

    let c = ClientConnection::new(c_cfg.clone(), "localhost").unwrap();
    let mut s = ServerConnection::new(s_cfg.clone()).unwrap();
    let hello = c.pending_tls().to_vec();
    assert_eq!(s.read_tls(&hello).unwrap(), Intake::All);
    assert!(s.wants_write());
    let err = s.read_tls(&alert).unwrap_err();
    assert_eq!(
        err,
        Error::AlertReceived(AlertDescription::HANDSHAKE_FAILURE),
        "{err:?}"
    );

    // After the handshake, the same bytes are not an alert.
    let mut c = ClientConnection::new(c_cfg, "localhost").unwrap();
    let mut s = ServerConnection::new(s_cfg).unwrap();
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    let err = s.read_tls(&alert).unwrap_err();
    assert_eq!(
        err.alert(),
        Some(AlertDescription::UNEXPECTED_MESSAGE),
        "{err:?}"
    );
}

/// A verifier of the application's that refuses every certificate.
#[derive(Debug)]
struct RefuseAll;

impl cloaktls::verify::ServerCertVerifier for RefuseAll {
    fn verify_server_cert(
        &self,
        _: &cloaktls::verify::CertificateDer<'_>,
        _: &[cloaktls::verify::CertificateDer<'_>],
        _: &cloaktls::verify::ServerName<'_>,
        _: &[u8],
        _: cloaktls::verify::UnixTime,
    ) -> Result<(), Error> {
        Err(Error::InvalidCertificate(cloaktls::CertificateError {
            kind: CertificateErrorKind::Other,
            detail: "the application says no".into(),
        }))
    }
}

#[test]
fn an_application_verifier_refusal_is_certificate_unknown() {
    // RFC 8446 §6.2: certificate_unknown is "some other (unspecified)
    // issue ... rendering it unacceptable".
    let pki = Pki::new("CA");
    let server = pki.server(KeyType::EcdsaP256);
    for v in BOTH {
        let s = ServerConfig::builder(server.certified_key())
            .versions(v)
            .build()
            .unwrap();
        let c = cloaktls::danger::client_with_verifier(Arc::new(RefuseAll))
            .versions(v)
            .build()
            .unwrap();
        let (cr, sr) = run(c, s);
        assert_eq!(cert_kind(&cr), CertificateErrorKind::Other);
        assert_eq!(sent_alert(&cr), AlertDescription::CERTIFICATE_UNKNOWN);
        assert_eq!(alert_received(&sr), AlertDescription::CERTIFICATE_UNKNOWN);
    }
}

/// A server whose TLS 1.2 CertificateRequest lists only ecdsa_sign.
#[derive(Debug)]
struct EcdsaSignOnly;

impl cloaktls::danger::replay::MessageShaper for EcdsaSignOnly {
    fn shape(&self, message: &mut cloaktls::msgs::handshake::HandshakePayload) {
        if let cloaktls::msgs::handshake::HandshakePayload::CertificateRequest12(cr) = message {
            cr.certificate_types = vec![64];
        }
    }
}

#[test]
fn a_tls12_client_sends_only_a_certificate_of_a_listed_type() {
    // RFC 5246 §7.4.4: certificate_types lists "the types of certificate
    // types that the client may offer"; with none that fits, an empty
    // Certificate (§7.4.6).
    let pki = Pki::new("CA");
    for (kind, sent) in [(KeyType::Rsa2048, false), (KeyType::EcdsaP256, true)] {
        let s = cloaktls::danger::replay::shape_server_messages(
            ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
                .versions(V12)
                .client_auth(ClientAuth::optional(pki.roots())),
            Arc::new(EcdsaSignOnly),
        )
        .build()
        .unwrap();
        let c = ClientConfig::builder(pki.roots())
            .versions(V12)
            .client_certificate(pki.client(kind).certified_key())
            .build()
            .unwrap();
        let mut cc = ClientConnection::new(c, "localhost").unwrap();
        let mut sc = ServerConnection::new(s).unwrap();
        let (cr, sr) = handshake(&mut cc, &mut sc);
        cr.unwrap();
        sr.unwrap();
        assert_eq!(sc.peer_certificates().is_empty(), !sent, "{kind:?}");
    }
}

/// RFC 8422 §5.10: in TLS 1.2 an ECDSA scheme names a hash, not a curve.
/// `ring` signs P-256 only with SHA-256, so a client that offers only
/// ecdsa_secp384r1_sha384 to a P-256 server is refused, and the error says
/// why (the schemes and ring's limit), not "no cipher suite in common".
#[test]
fn tls12_ecdsa_with_an_unsignable_hash_names_the_cause() {
    let pki = Pki::new("CA");
    let s = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
        .versions(V12)
        .build()
        .unwrap();
    let c = ClientConfig::builder(pki.roots())
        .versions(V12)
        .signature_schemes(&[SignatureScheme::ECDSA_NISTP384_SHA384])
        .build()
        .unwrap();
    let (cr, sr) = run(c, s);
    assert_eq!(alert_received(&cr), AlertDescription::HANDSHAKE_FAILURE);
    match &sr {
        Err(Error::NoCommon { what, ours, theirs }) => {
            assert_eq!(*what, Negotiable::SignatureScheme);
            assert!(
                ours.contains("ring signs P-256 only with SHA-256"),
                "{ours}"
            );
            assert!(theirs.contains("ecdsa_secp384r1_sha384"), "{theirs}");
        }
        other => panic!("{other:?}"),
    }
}

/// A client verifier that accepts only RSA PKCS#1 SHA-256 signatures.
#[derive(Debug)]
struct Pkcs1Only(WebPkiClientVerifier);

impl ClientCertVerifier for Pkcs1Only {
    fn root_subjects(&self) -> Vec<Vec<u8>> {
        self.0.root_subjects()
    }
    fn verify_client_cert(
        &self,
        end_entity: &cloaktls::verify::CertificateDer<'_>,
        intermediates: &[cloaktls::verify::CertificateDer<'_>],
        now: cloaktls::verify::UnixTime,
    ) -> Result<(), Error> {
        self.0.verify_client_cert(end_entity, intermediates, now)
    }
    fn supported_schemes(&self) -> Vec<SignatureScheme> {
        vec![SignatureScheme::RSA_PKCS1_SHA256]
    }
}

#[test]
fn a_tls13_certificate_request_may_name_only_pkcs1() {
    // RFC 8446 §4.2.3: RSA PKCS#1 may appear in signature_algorithms (for
    // certificates) though no TLS 1.3 CertificateVerify may use it. A
    // server whose verifier takes only it still sends a well-formed
    // CertificateRequest (it sent an empty list, which no client can
    // decode); the client, with no scheme it may sign with, answers with
    // an empty Certificate (RFC 8446 §4.4.2).
    let pki = Pki::new("CA");
    let verifier = Pkcs1Only(WebPkiClientVerifier::new(Arc::new(pki.roots())));
    let s = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
        .versions(V13)
        .client_auth(ClientAuth::Optional(Arc::new(verifier)))
        .build()
        .unwrap();
    let c = ClientConfig::builder(pki.roots())
        .versions(V13)
        .client_certificate(pki.client(KeyType::Rsa2048).certified_key())
        .build()
        .unwrap();
    let mut cc = ClientConnection::new(c, "localhost").unwrap();
    let mut sc = ServerConnection::new(s).unwrap();
    let (cr, sr) = handshake(&mut cc, &mut sc);
    cr.unwrap();
    sr.unwrap();
    assert!(sc.peer_certificates().is_empty());
}
