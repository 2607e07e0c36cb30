//! Features end to end in memory: KeyUpdate, close_notify, ALPN, SNI
//! certificate choice, record_size_limit, HelloRetryRequest with a cookie,
//! compatibility mode, early writes, and small reads.

mod common;
use cloaktls::conn::{Intake, Received, EARLY_QUEUE_LIMIT};
use cloaktls::{ClientConfig, ClientConnection, Event, ServerConfig, ServerConnection};
use cloaktls::{NamedGroup, ProtocolVersion};
use common::*;

const V13: &[ProtocolVersion] = &[ProtocolVersion::TLSV1_3];
const V12: &[ProtocolVersion] = &[ProtocolVersion::TLSV1_2];

#[test]
fn key_update_both_ways() {
    let pki = Pki::new("CA");
    let (mut c, mut s) = pair(&pki, |b| b, |b| b, "localhost");
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    while c.next_event().is_some() {}
    while s.next_event().is_some() {}
    // The client updates and asks the server to update too.
    c.key_update(true).unwrap();
    assert_eq!(
        send_and_receive(&mut c, &mut s, b"after update"),
        b"after update"
    );
    assert_eq!(s.next_event(), Some(Event::KeyUpdated));
    // The server answered with its own KeyUpdate.
    assert_eq!(
        send_and_receive(&mut s, &mut c, b"server after"),
        b"server after"
    );
    assert_eq!(c.next_event(), Some(Event::KeyUpdated));
    // And the server updates on its own.
    s.key_update(false).unwrap();
    assert_eq!(send_and_receive(&mut s, &mut c, b"again"), b"again");
    assert_eq!(send_and_receive(&mut c, &mut s, b"still"), b"still");
    // TLS 1.2 has no KeyUpdate.
    let (mut c, mut s) = pair(&pki, |b| b.versions(V12), |b| b, "localhost");
    let (cr, _) = handshake(&mut c, &mut s);
    cr.unwrap();
    assert!(c.key_update(false).is_err());
}

#[test]
fn close_notify_both_ways() {
    let pki = Pki::new("CA");
    for v in [V13, V12] {
        let (mut c, mut s) = pair(&pki, |b| b.versions(v), |b| b, "localhost");
        let (cr, sr) = handshake(&mut c, &mut s);
        cr.unwrap();
        sr.unwrap();
        c.send(b"last words").unwrap();
        c.send_close_notify().unwrap();
        assert!(c.send(b"more").is_err());
        let mut rng = Lcg(3);
        transfer(&mut c, &mut s, &mut rng, 100).unwrap();
        let mut buf = [0u8; 64];
        assert_eq!(s.recv(&mut buf).unwrap(), Received::Data(10));
        assert!(s.peer_has_closed());
        assert_eq!(s.recv(&mut buf).unwrap(), Received::Closed);
        // The server can still answer (TLS 1.3 half-close), then close.
        s.send(b"bye").unwrap();
        s.send_close_notify().unwrap();
        transfer(&mut s, &mut c, &mut rng, 100).unwrap();
        assert_eq!(c.recv(&mut buf).unwrap(), Received::Data(3));
        assert!(c.peer_has_closed());
    }
}

#[test]
fn alpn_is_chosen_by_the_server() {
    let pki = Pki::new("CA");
    for v in [V13, V12] {
        let (mut c, mut s) = pair(
            &pki,
            |b| b.versions(v).alpn_protocols(&["h2", "http/1.1"]),
            |b| b.alpn_protocols(&["http/1.1", "h2"]),
            "localhost",
        );
        let (cr, sr) = handshake(&mut c, &mut s);
        cr.unwrap();
        sr.unwrap();
        assert_eq!(c.alpn_protocol(), Some(&b"h2"[..]));
        assert_eq!(s.alpn_protocol(), Some(&b"h2"[..]));
        // A server without ALPN ignores the client's list.
        let (mut c, mut s) = pair(
            &pki,
            |b| b.versions(v),
            |b| b.alpn_protocols(&["h2"]),
            "localhost",
        );
        let (cr, _) = handshake(&mut c, &mut s);
        cr.unwrap();
        assert_eq!(c.alpn_protocol(), None);
    }
}

#[test]
fn sni_chooses_the_certificate() {
    let pki = Pki::new("CA");
    let a = pki.issue(&Spec::server(KeyType::EcdsaP256, &["a.example"]));
    let b = pki.issue(&Spec::server(KeyType::Ed25519, &["b.example"]));
    for v in [V13, V12] {
        let s_cfg = ServerConfig::builder(a.certified_key())
            .versions(v)
            .add_certificate(b.certified_key())
            .build()
            .unwrap();
        let c_cfg = ClientConfig::builder(pki.roots()).build().unwrap();
        for (name, want) in [("a.example", &a), ("b.example", &b)] {
            let mut c = ClientConnection::new(c_cfg.clone(), name).unwrap();
            let mut s = ServerConnection::new(s_cfg.clone()).unwrap();
            let (cr, sr) = handshake(&mut c, &mut s);
            cr.unwrap();
            sr.unwrap();
            assert_eq!(s.server_name(), Some(name));
            assert_eq!(c.peer_certificates()[0].as_ref(), &want.chain[0][..]);
        }
    }
}

#[test]
fn record_size_limit_is_honoured() {
    let pki = Pki::new("CA");
    for v in [V13, V12] {
        let (mut c, mut s) = pair(
            &pki,
            |b| b.versions(v),
            |b| b.record_size_limit(256),
            "localhost",
        );
        let (cr, sr) = handshake(&mut c, &mut s);
        cr.unwrap();
        sr.unwrap();
        s.send(&[7u8; 5000]).unwrap();
        // Every record the server sends now carries at most 256 bytes of
        // plaintext (255 plus the content type in TLS 1.3).
        let wire = s.pending_tls().to_vec();
        let mut off = 0;
        let mut records = 0;
        while off < wire.len() {
            let len = u16::from_be_bytes([wire[off + 3], wire[off + 4]]) as usize;
            assert!(len <= 256 + 16 + 8, "record of {len}");
            off += 5 + len;
            records += 1;
        }
        assert!(records >= 20);
        let mut rng = Lcg(1);
        transfer(&mut s, &mut c, &mut rng, 1 << 20).unwrap();
        let mut buf = vec![0u8; 6000];
        assert_eq!(c.recv(&mut buf).unwrap(), Received::Data(5000));
    }
}

#[test]
fn hello_retry_with_cookie_and_compatibility_mode() {
    let pki = Pki::new("CA");
    let (mut c, mut s) = pair(
        &pki,
        |b| {
            b.versions(V13)
                .groups(&[NamedGroup::SECP256R1])
                .send_cookie(true)
        },
        |b| b.groups(&[NamedGroup::X25519, NamedGroup::SECP256R1]),
        "localhost",
    );
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    assert!(c.had_hello_retry() && s.had_hello_retry());
    assert_eq!(c.key_exchange_group(), Some(NamedGroup::SECP256R1));
    // Without compatibility mode no ChangeCipherSpec crosses.
    let (c, mut s) = pair(
        &pki,
        |b| b.versions(V13),
        |b| b.compatibility_mode(false),
        "localhost",
    );
    assert_eq!(s.read_tls(c.pending_tls()).unwrap(), Intake::All);
    assert!(!s.pending_tls().windows(6).any(|w| w == [20, 3, 3, 0, 1, 1]));
    // With it, the server sends one after its ServerHello.
    let (c, mut s) = pair(&pki, |b| b.versions(V13), |b| b, "localhost");
    assert_eq!(s.read_tls(c.pending_tls()).unwrap(), Intake::All);
    assert!(s.pending_tls().windows(6).any(|w| w == [20, 3, 3, 0, 1, 1]));
}

#[test]
fn early_writes_are_queued_and_small_reads_lose_nothing() {
    let pki = Pki::new("CA");
    for v in [V13, V12] {
        let (mut c, mut s) = pair(&pki, |b| b.versions(v), |b| b, "localhost");
        let big: Vec<u8> = (0..200_000u32).map(|i| (i * 7) as u8).collect();
        // Before the handshake ends, a bounded amount is queued.
        let mut sent = c.send(&big).unwrap();
        assert_eq!(sent, EARLY_QUEUE_LIMIT);
        assert_eq!(c.send(&big[sent..]).unwrap(), 0, "the queue is full");
        let (cr, sr) = handshake(&mut c, &mut s);
        cr.unwrap();
        sr.unwrap();
        let mut rng = Lcg(9);
        let mut got = Vec::new();
        let mut buf = [0u8; 7];
        for _ in 0..1_000_000 {
            sent += c.send(&big[sent..]).unwrap();
            transfer(&mut c, &mut s, &mut rng, 3000).unwrap();
            if let Received::Data(n) = s.recv(&mut buf).unwrap() {
                got.extend_from_slice(&buf[..n]);
            }
            if got.len() == big.len() {
                break;
            }
        }
        assert_eq!(got, big);
    }
}

#[test]
fn signature_algorithms_cert_chooses_the_chain() {
    use cloaktls::msgs::enums::SignatureScheme;
    use cloaktls::verify::RootStore;
    // Two certificates for the same name: one signed with ECDSA, one with
    // Ed25519. A client that accepts only Ed25519 signatures on
    // certificates gets the second, though the first is the default.
    let ecdsa_ca = Pki::new("ECDSA CA");
    let ed_ca = Pki::with_key("Ed25519 CA", KeyType::Ed25519);
    let a = ecdsa_ca.server(KeyType::EcdsaP256);
    let b = ed_ca.server(KeyType::EcdsaP256);
    let mut roots = RootStore::empty();
    roots.add(&ecdsa_ca.ca_der).unwrap();
    roots.add(&ed_ca.ca_der).unwrap();
    for v in [V13, V12] {
        let s = ServerConfig::builder(a.certified_key())
            .versions(v)
            .add_certificate(b.certified_key())
            .build()
            .unwrap();
        for (cert_schemes, want) in [(vec![SignatureScheme::ED25519], &b), (vec![], &a)] {
            let c = ClientConfig::builder(roots.clone())
                .signature_algorithms_cert(&cert_schemes)
                .build()
                .unwrap();
            let mut c = ClientConnection::new(c, "localhost").unwrap();
            let mut srv = ServerConnection::new(s.clone()).unwrap();
            let (cr, sr) = handshake(&mut c, &mut srv);
            cr.unwrap();
            sr.unwrap();
            assert_eq!(c.peer_certificates()[0].as_ref(), &want.chain[0][..]);
        }
    }
}

#[test]
fn many_requested_key_updates_get_one_answer_until_data_is_sent() {
    let pki = Pki::new("CA");
    let (mut c, mut s) = pair(&pki, |b| b.versions(V13).tickets(0), |b| b, "localhost");
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    for _ in 0..3 {
        c.key_update(true).unwrap();
    }
    let out = c.pending_tls().to_vec();
    c.consume_tls(out.len());
    assert_eq!(s.read_tls(&out).unwrap(), Intake::All);
    // One record: the single answer (RFC 8446 §4.6.3).
    let answer = s.pending_tls().to_vec();
    assert_eq!(
        5 + u16::from_be_bytes([answer[3], answer[4]]) as usize,
        answer.len()
    );
    s.consume_tls(answer.len());
    assert_eq!(c.read_tls(&answer).unwrap(), Intake::All);
    // After data is sent, a new request gets a new answer.
    assert_eq!(send_and_receive(&mut s, &mut c, b"data"), b"data");
    c.key_update(true).unwrap();
    let out = c.pending_tls().to_vec();
    c.consume_tls(out.len());
    assert_eq!(s.read_tls(&out).unwrap(), Intake::All);
    assert!(s.wants_write());
    let answer = s.pending_tls().to_vec();
    s.consume_tls(answer.len());
    assert_eq!(c.read_tls(&answer).unwrap(), Intake::All);
    assert_eq!(
        send_and_receive(&mut c, &mut s, b"still fine"),
        b"still fine"
    );
}

#[test]
fn received_data_can_be_read_in_place() {
    let pki = Pki::new("CA");
    for versions in [V13, V12] {
        let (mut c, mut s) = pair(&pki, |b| b.versions(versions), |b| b, "localhost");
        let (cr, sr) = handshake(&mut c, &mut s);
        cr.unwrap();
        sr.unwrap();
        // Three records before any read: the first stays where it was
        // decrypted, the others wait in the receive buffer.
        let mut sent = Vec::new();
        for i in 0..3u8 {
            let chunk = vec![i; 5000 + usize::from(i)];
            c.send(&chunk).unwrap();
            sent.extend_from_slice(&chunk);
        }
        let bytes = c.pending_tls().to_vec();
        c.consume_tls(bytes.len());
        assert_eq!(s.read_tls(&bytes).unwrap(), Intake::All);
        assert_eq!(s.received_len(), sent.len());
        let mut got = Vec::new();
        loop {
            let chunk = s.peek_received();
            if chunk.is_empty() {
                break;
            }
            // Take part of what is offered, to check partial consumption.
            let n = chunk.len().min(3001);
            got.extend_from_slice(&chunk[..n]);
            s.consume_received(n);
        }
        assert_eq!(got, sent);
        assert_eq!(s.received_len(), 0);
        // Consuming more than was offered takes only what there is.
        s.consume_received(10);
        assert_eq!(send_and_receive(&mut c, &mut s, b"after"), b"after");
    }
}

#[test]
fn ocsp_responses_are_stapled_for_clients_that_ask() {
    let pki = Pki::new("CA");
    // A DER OCSPResponse whose status is "unauthorized" (RFC 6960 §4.2.1).
    let ocsp = vec![0x30, 0x03, 0x0a, 0x01, 0x06];
    for versions in [V13, V12] {
        let server = |b: cloaktls::config::ServerConfigBuilder| b.versions(versions);
        let s_cfg = server(ServerConfig::builder(
            pki.server(KeyType::EcdsaP256)
                .certified_key()
                .with_ocsp_response(ocsp.clone()),
        ))
        .build()
        .unwrap();
        for ask in [true, false] {
            let c_cfg = ClientConfig::builder(pki.roots())
                .request_ocsp(ask)
                .build()
                .unwrap();
            let mut c = ClientConnection::new(c_cfg, "localhost").unwrap();
            let mut s = ServerConnection::new(s_cfg.clone()).unwrap();
            let (cr, sr) = handshake(&mut c, &mut s);
            cr.unwrap();
            sr.unwrap();
            assert_eq!(c.protocol_version(), Some(versions[0]));
            let want = ask.then_some(&ocsp[..]);
            assert_eq!(c.peer_ocsp_response(), want, "{versions:?} ask={ask}");
        }
        // Without a response there is nothing to staple, even when asked.
        let (mut c, mut s) = pair(
            &pki,
            |b| b.versions(versions),
            |b| b.request_ocsp(true),
            "localhost",
        );
        let (cr, sr) = handshake(&mut c, &mut s);
        cr.unwrap();
        sr.unwrap();
        assert_eq!(c.peer_ocsp_response(), None);
    }
}

#[test]
fn sct_lists_are_sent_to_clients_that_ask() {
    let pki = Pki::new("CA");
    // One SerializedSCT of three bytes (RFC 6962 §3.3).
    let list = vec![0x00, 0x05, 0x00, 0x03, 1, 2, 3];
    let key = pki
        .server(KeyType::EcdsaP256)
        .certified_key()
        .with_sct_list(list.clone())
        .unwrap();
    for versions in [V13, V12] {
        let s_cfg = ServerConfig::builder(key.clone())
            .versions(versions)
            .build()
            .unwrap();
        for ask in [true, false] {
            let c_cfg = ClientConfig::builder(pki.roots())
                .request_sct(ask)
                .request_ocsp(ask)
                .build()
                .unwrap();
            let mut c = ClientConnection::new(c_cfg, "localhost").unwrap();
            let mut s = ServerConnection::new(s_cfg.clone()).unwrap();
            let (cr, sr) = handshake(&mut c, &mut s);
            cr.unwrap();
            sr.unwrap();
            assert_eq!(c.peer_sct_list(), ask.then_some(&list[..]), "{versions:?}");
            assert_eq!(c.peer_ocsp_response(), None);
        }
    }
    // Lists that do not parse are refused when configured.
    let key = pki.server(KeyType::EcdsaP256).certified_key();
    for bad in [&[][..], &[0, 0], &[0, 2, 0, 0], &[0, 5, 0, 3, 1, 2]] {
        assert!(key.clone().with_sct_list(bad.to_vec()).is_err(), "{bad:?}");
    }
}

#[test]
fn each_side_knows_its_certificate_and_the_peers_signature_scheme() {
    use cloaktls::config::ClientAuth;
    use cloaktls::SignatureScheme;
    let pki = Pki::new("CA");
    let ecdsa = pki.server(KeyType::EcdsaP256).certified_key();
    let rsa = pki.server(KeyType::Rsa2048).certified_key();
    let client_cert = pki.client(KeyType::EcdsaP384).certified_key();
    for v in [V13, V12] {
        let s_cfg = ServerConfig::builder(ecdsa.clone())
            .add_certificate(rsa.clone())
            .versions(v)
            .client_auth(ClientAuth::required(pki.roots()))
            .build()
            .unwrap();
        // A client that accepts only RSA-PSS gets the RSA certificate.
        let c_cfg = ClientConfig::builder(pki.roots())
            .versions(v)
            .signature_schemes(&[SignatureScheme::RSA_PSS_RSAE_SHA256])
            .client_certificate(client_cert.clone())
            .build()
            .unwrap();
        let mut c = ClientConnection::new(c_cfg, "localhost").unwrap();
        let mut s = ServerConnection::new(s_cfg).unwrap();
        let (cr, sr) = handshake(&mut c, &mut s);
        cr.unwrap();
        sr.unwrap();
        let chosen = s.own_certificate().expect("the server's certificate");
        assert!(std::sync::Arc::ptr_eq(&chosen.key, &rsa.key), "{v:?}");
        let sent = c.own_certificate().expect("the client's certificate");
        assert!(std::sync::Arc::ptr_eq(&sent.key, &client_cert.key));
        assert_eq!(
            c.peer_signature_scheme(),
            Some(SignatureScheme::RSA_PSS_RSAE_SHA256)
        );
        assert_eq!(
            s.peer_signature_scheme(),
            Some(SignatureScheme::ECDSA_NISTP384_SHA384)
        );
    }
}

/// A verifier that accepts every chain and keeps the OCSP response it was
/// shown.
#[derive(Debug, Default)]
struct SeesOcsp(std::sync::Mutex<Option<Vec<u8>>>);

impl cloaktls::verify::ServerCertVerifier for SeesOcsp {
    fn verify_server_cert(
        &self,
        _: &cloaktls::verify::CertificateDer<'_>,
        _: &[cloaktls::verify::CertificateDer<'_>],
        _: &cloaktls::verify::ServerName<'_>,
        ocsp_response: &[u8],
        _: cloaktls::verify::UnixTime,
    ) -> Result<(), cloaktls::Error> {
        *self.0.lock().unwrap() = Some(ocsp_response.to_vec());
        Ok(())
    }
}

#[test]
fn the_verifier_sees_the_stapled_ocsp_response_in_both_versions() {
    // In TLS 1.2 the response comes in CertificateStatus, after the
    // Certificate (RFC 6066 §8): the verifier waits for it.
    let pki = Pki::new("CA");
    let ocsp = vec![0x30, 0x03, 0x0a, 0x01, 0x06];
    for versions in [V13, V12] {
        for staple in [true, false] {
            let mut key = pki.server(KeyType::EcdsaP256).certified_key();
            if staple {
                key = key.with_ocsp_response(ocsp.clone());
            }
            let s_cfg = ServerConfig::builder(key)
                .versions(versions)
                .build()
                .unwrap();
            let seen = std::sync::Arc::new(SeesOcsp::default());
            let c_cfg = cloaktls::danger::client_with_verifier(seen.clone())
                .request_ocsp(true)
                .build()
                .unwrap();
            let mut c = ClientConnection::new(c_cfg, "localhost").unwrap();
            let mut s = ServerConnection::new(s_cfg).unwrap();
            let (cr, sr) = handshake(&mut c, &mut s);
            cr.unwrap();
            sr.unwrap();
            let want = if staple { ocsp.clone() } else { Vec::new() };
            assert_eq!(
                seen.0.lock().unwrap().as_deref(),
                Some(&want[..]),
                "{versions:?} staple={staple}"
            );
        }
    }
}

/// Puts an IP address literal in the ClientHello's server_name.
#[derive(Debug)]
struct IpAsServerName;

impl cloaktls::danger::replay::MessageShaper for IpAsServerName {
    fn shape(&self, message: &mut cloaktls::msgs::handshake::HandshakePayload) {
        use cloaktls::msgs::enums::{ExtensionType, ServerNameType};
        use cloaktls::msgs::extensions::{Extension, ServerName};
        let cloaktls::msgs::handshake::HandshakePayload::ClientHello(ch) = message else {
            return;
        };
        ch.extensions
            .retain(|e| e.typ() != ExtensionType::SERVER_NAME);
        ch.extensions.insert(
            0,
            Extension::ServerName(vec![ServerName {
                name_type: ServerNameType::HOST_NAME,
                name: b"192.0.2.7".to_vec(),
            }]),
        );
    }
}

#[test]
fn an_ip_address_as_server_name_is_ignored() {
    // RFC 6066 §3 forbids a client to send an IP literal in server_name
    // but names no alert: the server goes on as if no name had come (as
    // OpenSSL does; sslyze sends the address it scans), and says so.
    let pki = Pki::new("CA");
    let a = pki.issue(&Spec::server(KeyType::EcdsaP256, &["a.example"]));
    let b = pki.issue(&Spec::server(KeyType::EcdsaP256, &["b.example"]));
    for v in [V13, V12] {
        let s_cfg = ServerConfig::builder(a.certified_key())
            .add_certificate(b.certified_key())
            .versions(v)
            .build()
            .unwrap();
        let c_cfg = cloaktls::danger::replay::shape_client_messages(
            cloaktls::danger::client_without_verification().versions(v),
            std::sync::Arc::new(IpAsServerName),
        )
        .build()
        .unwrap();
        let mut c = ClientConnection::new(c_cfg, "b.example").unwrap();
        let mut s = ServerConnection::new(s_cfg).unwrap();
        let (cr, sr) = handshake(&mut c, &mut s);
        cr.unwrap();
        sr.unwrap();
        assert_eq!(s.server_name(), None);
        assert_eq!(s.ignored_server_name(), Some("192.0.2.7"));
        // The default certificate, as without a name.
        assert_eq!(c.peer_certificates()[0].as_ref(), &a.chain[0][..]);
    }
}

/// A client certificate callback: answers with `cert` (if any) and keeps
/// what the server asked.
#[derive(Debug)]
struct Resolver {
    cert: Option<cloaktls::CertifiedKey>,
    seen: std::sync::Mutex<Vec<(ProtocolVersion, usize, Vec<u8>)>>,
}

impl cloaktls::config::ResolvesClientCert for Resolver {
    fn resolve(
        &self,
        request: &cloaktls::config::CertificateRequestInfo<'_>,
    ) -> Option<cloaktls::CertifiedKey> {
        self.seen.lock().unwrap().push((
            request.version,
            request.signature_schemes.len(),
            request.certificate_types.to_vec(),
        ));
        self.cert.clone()
    }
}

#[test]
fn a_callback_chooses_the_client_certificate() {
    use cloaktls::config::ClientAuth;
    let pki = Pki::new("CA");
    let client_cert = pki.client(KeyType::EcdsaP256).certified_key();
    for v in [V13, V12] {
        let s_cfg = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
            .versions(v)
            .client_auth(ClientAuth::required(pki.roots()))
            .build()
            .unwrap();
        for answer in [Some(client_cert.clone()), None] {
            let resolver = std::sync::Arc::new(Resolver {
                cert: answer.clone(),
                seen: Default::default(),
            });
            let c_cfg = ClientConfig::builder(pki.roots())
                .versions(v)
                .client_certificate_resolver(resolver.clone())
                .build()
                .unwrap();
            let mut c = ClientConnection::new(c_cfg, "localhost").unwrap();
            let mut s = ServerConnection::new(s_cfg.clone()).unwrap();
            let (_, sr) = handshake(&mut c, &mut s);
            let seen = resolver.seen.lock().unwrap().clone();
            assert_eq!(seen.len(), 1, "{v:?}");
            assert_eq!(seen[0].0, v[0]);
            assert!(seen[0].1 > 0);
            let types: &[u8] = if v == V12 { &[1, 64] } else { &[] };
            assert_eq!(seen[0].2, types);
            match answer {
                Some(cert) => {
                    sr.unwrap();
                    assert_eq!(s.peer_certificates()[0], cert.chain[0]);
                }
                // Without one the server, which requires one, refuses.
                None => assert!(sr.is_err()),
            }
        }
    }
}

/// The DER Name of `pki`'s CA, as certificate_authorities carries it.
fn ca_name(pki: &Pki) -> Vec<u8> {
    let (_, subject) = cloaktls::verify::certinfo::issuer_and_subject(&pki.ca_der).unwrap();
    // A SEQUENCE around the Name's contents (short or two-byte length).
    let mut name = vec![0x30];
    match subject.len() {
        n if n < 0x80 => name.push(n as u8),
        n if n < 0x100 => name.extend([0x81, n as u8]),
        n => name.extend([0x82, (n >> 8) as u8, n as u8]),
    }
    name.extend_from_slice(subject);
    name
}

/// RFC 8446 §4.2.4: a server with a chain from each of two CAs sends the
/// one from the authority the client names (in both versions); a
/// credential marked must-match-issuer goes only to a client that names
/// its issuer, else the next credential, else handshake_failure with an
/// error that says why.
#[test]
fn certificate_authorities_choose_the_chain() {
    let (pa, pb) = (Pki::new("CA A"), Pki::new("CA B"));
    let a = pa.server(KeyType::EcdsaP256).certified_key();
    let b = pb.server(KeyType::EcdsaP256).certified_key();
    let connect = |server: &std::sync::Arc<ServerConfig>, roots: &Pki, names: Vec<Vec<u8>>| {
        let c = ClientConfig::builder(roots.roots())
            .certificate_authorities(names)
            .build()
            .unwrap();
        let mut c = ClientConnection::new(c, "localhost").unwrap();
        let mut s = ServerConnection::new(server.clone()).unwrap();
        let (cr, sr) = handshake(&mut c, &mut s);
        (c, cr, sr)
    };
    for v in [V13, V12] {
        // Guided: B's chain for a client that trusts and names B.
        let s = ServerConfig::builder(a.clone())
            .add_certificate(b.clone())
            .versions(v)
            .build()
            .unwrap();
        let (c, cr, sr) = connect(&s, &pb, vec![ca_name(&pb)]);
        cr.unwrap();
        sr.unwrap();
        assert_eq!(c.peer_certificates()[0].as_ref(), &b.chain[0][..]);
        // Without names, the first chain, which that client cannot verify.
        let (_, cr, _) = connect(&s, &pb, Vec::new());
        assert!(cr.is_err());
        // Must match: A's chain only for a client naming A; the others
        // get B's.
        let s = ServerConfig::builder(a.clone().with_must_match_issuer())
            .add_certificate(b.clone())
            .versions(v)
            .build()
            .unwrap();
        let (c, cr, _) = connect(&s, &pa, vec![ca_name(&pa)]);
        cr.unwrap();
        assert_eq!(c.peer_certificates()[0].as_ref(), &a.chain[0][..]);
        let (c, cr, _) = connect(&s, &pb, Vec::new());
        cr.unwrap();
        assert_eq!(c.peer_certificates()[0].as_ref(), &b.chain[0][..]);
        // Nothing that may go: the error names the cause.
        let s = ServerConfig::builder(a.clone().with_must_match_issuer())
            .versions(v)
            .build()
            .unwrap();
        let (_, cr, sr) = connect(&s, &pa, vec![ca_name(&pb)]);
        let e = sr.unwrap_err();
        assert!(
            matches!(
                e,
                cloaktls::Error::NoCommon {
                    what: cloaktls::Negotiable::Certificate,
                    ..
                }
            ),
            "{e}"
        );
        assert!(e.to_string().contains("certificate_authorities"), "{e}");
        assert!(
            matches!(cr, Err(cloaktls::Error::AlertReceived(d)) if d == cloaktls::AlertDescription::HANDSHAKE_FAILURE)
        );
    }
}

/// A client credential marked must-match-issuer is not sent to a server
/// whose CertificateRequest names other authorities: the client sends an
/// empty Certificate (RFC 8446 §4.4.2) and a server that requires one
/// refuses.
#[test]
fn a_client_credential_that_must_match_is_kept_back() {
    let (pa, pb) = (Pki::new("CA A"), Pki::new("CA B"));
    let server_cert = pa.server(KeyType::EcdsaP256).certified_key();
    let client_a = pa.client(KeyType::EcdsaP256).certified_key();
    let client_b = pb.client(KeyType::EcdsaP256).certified_key();
    for v in [V13, V12] {
        // The server asks for certificates from A.
        let s = ServerConfig::builder(server_cert.clone())
            .client_auth(cloaktls::config::ClientAuth::required(pa.roots()))
            .versions(v)
            .build()
            .unwrap();
        for (creds, ok) in [
            (
                vec![client_b.clone().with_must_match_issuer(), client_a.clone()],
                true,
            ),
            (vec![client_b.clone().with_must_match_issuer()], false),
        ] {
            let mut b = ClientConfig::builder(pa.roots());
            for ck in creds {
                b = b.client_certificate(ck);
            }
            let mut c = ClientConnection::new(b.build().unwrap(), "localhost").unwrap();
            let mut srv = ServerConnection::new(s.clone()).unwrap();
            let (cr, sr) = handshake(&mut c, &mut srv);
            if ok {
                cr.unwrap();
                sr.unwrap();
                assert_eq!(srv.peer_certificates()[0].as_ref(), &client_a.chain[0][..]);
            } else {
                assert!(sr.is_err(), "{v:?}");
                assert!(srv.peer_certificates().is_empty());
            }
        }
    }
}

/// Moves everything `from` has to write into `to`.
fn deliver(from: &mut cloaktls::Connection, to: &mut cloaktls::Connection) {
    let out = from.pending_tls().to_vec();
    from.consume_tls(out.len());
    assert_eq!(to.read_tls(&out).unwrap(), Intake::All);
}

#[test]
fn false_start_sends_data_with_the_client_finished() {
    let pki = Pki::new("CA");
    let v12 = [cloaktls::ProtocolVersion::TLSV1_2];
    // (ALPN on both sides, TLS version, whether False Start applies)
    for (alpn, versions, applies) in [
        (true, &v12[..], true),
        (false, &v12[..], false),
        (true, &[cloaktls::ProtocolVersion::TLSV1_3][..], false),
    ] {
        let protocols: Vec<&str> = if alpn { vec!["h2"] } else { Vec::new() };
        let (mut c, mut s) = pair(
            &pki,
            |b| b.versions(versions).alpn_protocols(protocols.clone()),
            |b| b.false_start(true).alpn_protocols(protocols.clone()),
            "localhost",
        );
        let label = format!("alpn={alpn} {versions:?}");
        deliver(&mut c, &mut s); // ClientHello
        deliver(&mut s, &mut c); // the server's flight
        if versions == v12 {
            // The client's Finished is out; the server's is not in.
            assert!(c.is_handshaking(), "{label}");
            assert_eq!(c.is_false_start(), applies, "{label}");
            assert_eq!(c.send(b"early words").unwrap(), 11);
            let flight = c.pending_tls().len();
            deliver(&mut c, &mut s);
            // The server has the data with the client's Finished, or
            // nothing until the client has the server's Finished.
            assert!(!s.is_handshaking(), "{label}");
            assert_eq!(read_all(&mut s) == b"early words", applies, "{label}");
            assert!(flight > 0);
            deliver(&mut s, &mut c);
            assert!(!c.is_handshaking() && !c.is_false_start(), "{label}");
            if !applies {
                deliver(&mut c, &mut s);
                assert_eq!(read_all(&mut s), b"early words", "{label}");
            }
        } else {
            assert!(!c.is_false_start(), "{label}");
        }
    }
}

#[test]
fn grease_values_go_out_and_the_handshake_succeeds() {
    use cloaktls::msgs::enums::is_grease_u16;
    let pki = Pki::new("CA");
    // (versions, the server's groups: P-256 alone forces a HelloRetryRequest)
    for (versions, groups) in [
        (V13, vec![NamedGroup::X25519_MLKEM768]),
        (V13, vec![NamedGroup::SECP256R1]),
        (V12, vec![NamedGroup::X25519]),
    ] {
        let (mut c, mut s) = pair(
            &pki,
            |b| b.versions(versions).groups(&groups),
            |b| b.grease(true),
            "localhost",
        );
        // RFC 8701 §3.1: one reserved value in each list, and in two
        // extensions.
        let hello = c.pending_tls().to_vec();
        let mut acceptor = cloaktls::conn::Acceptor::new();
        acceptor.read_tls(&hello).unwrap();
        let info = acceptor.accept().unwrap().client_hello().clone();
        assert!(info.cipher_suites.iter().any(|v| is_grease_u16(v.0)));
        assert!(info.groups.iter().any(|v| is_grease_u16(v.0)));
        assert!(info.versions.iter().any(|v| is_grease_u16(v.0)));
        assert!(info.signature_schemes.iter().any(|v| is_grease_u16(v.0)));
        let (rc, rs) = handshake(&mut c, &mut s);
        rc.unwrap();
        rs.unwrap();
        assert_eq!(c.protocol_version(), Some(versions[0]));
        assert_eq!(c.key_exchange_group(), Some(groups[0]));
        assert_eq!(send_and_receive(&mut c, &mut s, b"ping"), b"ping");
    }
}

#[test]
fn permuted_extensions_vary_keep_the_psk_last_and_still_connect() {
    let pki = Pki::new("CA");
    let s_cfg = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
        .build()
        .unwrap();
    let c_cfg = ClientConfig::builder(pki.roots())
        .permute_extensions(true)
        .grease(true)
        .build()
        .unwrap();
    let mut orders = std::collections::HashSet::new();
    for round in 0..6 {
        let mut c = ClientConnection::new(c_cfg.clone(), "localhost").unwrap();
        let mut s = ServerConnection::new(s_cfg.clone()).unwrap();
        let hello = c.pending_tls().to_vec();
        // The extension types in order: record (5) and message (4)
        // headers, version, random, session ID, suites, compression.
        let body = &hello[9..];
        let mut at = 2 + 32;
        at += 1 + usize::from(body[at]);
        at += 2 + usize::from(u16::from_be_bytes([body[at], body[at + 1]]));
        at += 1 + usize::from(body[at]);
        at += 2;
        let mut types = Vec::new();
        while at + 4 <= body.len() {
            types.push(u16::from_be_bytes([body[at], body[at + 1]]));
            at += 4 + usize::from(u16::from_be_bytes([body[at + 2], body[at + 3]]));
        }
        if round > 0 {
            // Resuming: pre_shared_key (41) stays last.
            assert_eq!(types.last(), Some(&41), "{types:?}");
            orders.insert(types);
        }
        let (rc, rs) = handshake(&mut c, &mut s);
        rc.unwrap();
        rs.unwrap();
        assert_eq!(c.is_resumed(), round > 0);
        read_all(&mut c);
    }
    assert!(orders.len() > 1, "the same order five times");
}
