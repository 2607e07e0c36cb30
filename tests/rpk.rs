//! Raw public keys (RFC 7250), in memory: the handshake matrix (TLS 1.3
//! and 1.2, the server's key, the client's key, every key type), falling
//! back to X.509, resumption, the negotiation's refusals with their errors
//! and alerts, keys that are not pinned, and bad input from a peer that
//! breaks the rules (rewritten hellos, certificates and extensions).

mod common;
use cloaktls::config::ClientAuth;
use cloaktls::msgs::enums::ExtensionType;
use cloaktls::msgs::extensions::Extension;
use cloaktls::msgs::handshake::{HandshakeMessage, HandshakePayload};
use cloaktls::verify::{PinnedRawPublicKeys, SubjectPublicKeyInfoDer};
use cloaktls::{
    AlertDescription, CertificateErrorKind, CertificateType, CipherSuite, ClientConfig,
    ClientConnection, Error, Negotiable, ProtocolVersion, ServerConfig, ServerConnection,
};
use common::*;
use std::sync::Arc;

const V13: ProtocolVersion = ProtocolVersion::TLSV1_3;
const V12: ProtocolVersion = ProtocolVersion::TLSV1_2;
const RPK: CertificateType = CertificateType::RAW_PUBLIC_KEY;
const X509: CertificateType = CertificateType::X509;

fn pins(keys: &[&Rpk]) -> Arc<PinnedRawPublicKeys> {
    Arc::new(
        PinnedRawPublicKeys::from_keys(
            keys.iter()
                .map(|k| SubjectPublicKeyInfoDer::from(k.spki.clone())),
        )
        .unwrap(),
    )
}

/// A TLS 1.2 suite for `kind`'s key.
fn suite12(kind: KeyType) -> CipherSuite {
    match kind {
        KeyType::Rsa2048 => CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        _ => CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    }
}

fn connect(
    server: Arc<ServerConfig>,
    client: Arc<ClientConfig>,
) -> (ClientConnection, ServerConnection) {
    connect_to(server, client, "localhost")
}

/// A client for `name` and a server.
fn connect_to(
    server: Arc<ServerConfig>,
    client: Arc<ClientConfig>,
    name: &str,
) -> (ClientConnection, ServerConnection) {
    (
        ClientConnection::new(client, name).unwrap(),
        ServerConnection::new(server).unwrap(),
    )
}

/// The alert a side received, from its error.
fn alert_received(r: &Result<(), Error>) -> Option<AlertDescription> {
    match r {
        Err(Error::AlertReceived(a)) => Some(*a),
        _ => None,
    }
}

#[test]
fn the_matrix_of_versions_and_keys_both_ways() {
    let mut runs = 0;
    for version in [V13, V12] {
        for server_kind in ALL_KEY_TYPES {
            let server_key = rpk(server_kind);
            // cloaktls's SubjectPublicKeyInfo is rcgen's, byte for byte.
            assert_eq!(
                server_key.key.raw_public_key.as_deref(),
                Some(&server_key.spki[..])
            );
            for client_kind in [None, Some(KeyType::EcdsaP256), Some(server_kind)] {
                let client_key = client_kind.map(rpk);
                let mut sb = ServerConfig::builder(server_key.key.clone()).versions(&[version]);
                let mut cb = ClientConfig::builder_raw_public_keys(pins(&[&server_key]))
                    .versions(&[version]);
                if version == V12 {
                    cb = cb.cipher_suites(&[suite12(server_kind)]);
                }
                if let Some(k) = &client_key {
                    sb = sb.client_raw_public_keys(pins(&[k]), true);
                    cb = cb.client_certificate(k.key.clone());
                }
                let (s, c) = (sb.build().unwrap(), cb.build().unwrap());
                for resumed in [false, true] {
                    let (mut client, mut server) = connect(s.clone(), c.clone());
                    let (cr, sr) = handshake(&mut client, &mut server);
                    let what = format!("{version:?} {server_kind:?} {client_kind:?} {resumed}");
                    cr.unwrap_or_else(|e| panic!("{what}: client {e}"));
                    sr.unwrap_or_else(|e| panic!("{what}: server {e}"));
                    assert_eq!(client.protocol_version(), Some(version), "{what}");
                    assert_eq!(client.is_resumed(), resumed, "{what}");
                    assert_eq!(client.peer_certificate_type(), RPK, "{what}");
                    assert!(client.peer_certificates().is_empty(), "{what}");
                    assert_eq!(
                        client.peer_raw_public_key().map(|k| k.to_vec()),
                        Some(server_key.spki.clone()),
                        "{what}"
                    );
                    match &client_key {
                        Some(k) => {
                            assert_eq!(server.peer_certificate_type(), RPK, "{what}");
                            assert_eq!(
                                server.peer_raw_public_key().map(|k| k.to_vec()),
                                Some(k.spki.clone()),
                                "{what}"
                            );
                            if !resumed {
                                assert!(client.own_certificate().is_some(), "{what}");
                            }
                        }
                        None => {
                            assert_eq!(server.peer_certificate_type(), X509, "{what}");
                            assert_eq!(server.peer_raw_public_key(), None, "{what}");
                        }
                    }
                    if !resumed {
                        assert_eq!(
                            server.own_certificate().map(|c| c.certificate_type()),
                            Some(RPK)
                        );
                        assert!(client.peer_signature_scheme().is_some(), "{what}");
                    }
                    assert_eq!(send_and_receive(&mut client, &mut server, b"ping"), b"ping");
                    assert_eq!(send_and_receive(&mut server, &mut client, b"pong"), b"pong");
                    // TLS 1.3 tickets come after the handshake.
                    let _ = read_all(&mut client);
                    runs += 1;
                }
            }
        }
    }
    assert_eq!(runs, 2 * 4 * 3 * 2);
}

#[test]
fn the_summary_names_the_algorithm_and_the_fingerprint() {
    for (kind, name) in [
        (KeyType::EcdsaP256, "ECDSA P-256"),
        (KeyType::EcdsaP384, "ECDSA P-384"),
        (KeyType::Ed25519, "Ed25519"),
        (KeyType::Rsa2048, "RSA 2048-bit"),
    ] {
        let key = rpk(kind);
        let s = ServerConfig::builder(key.key.clone()).build().unwrap();
        let c = ClientConfig::builder_raw_public_keys(pins(&[&key]))
            .build()
            .unwrap();
        let (mut client, mut server) = connect(s, c);
        let (cr, sr) = handshake(&mut client, &mut server);
        cr.unwrap();
        sr.unwrap();
        let summary = client.peer_raw_public_key_summary().unwrap();
        let sha = cloaktls::crypto::HashAlgorithm::Sha256.hash(&key.spki);
        assert_eq!(summary.fingerprint(), hex::encode(&sha[..]));
        assert_eq!(
            summary.to_string(),
            format!("raw public key: {name}, SHA-256 {}", hex::encode(&sha[..]))
        );
        assert!(client.peer_certificate_summary().is_none());
    }
}

#[test]
fn x509_is_the_fallback_when_both_are_offered() {
    let pki = Pki::new("rpk fallback CA");
    let cert = pki.server(KeyType::EcdsaP256).certified_key();
    let key = rpk(KeyType::EcdsaP256);
    for version in [V13, V12] {
        // The client accepts both, a raw public key first.
        let client = ClientConfig::builder(pki.roots())
            .server_raw_public_keys(pins(&[&key]))
            .versions(&[version])
            .build()
            .unwrap();
        // A server with X.509 alone: it ignores server_certificate_type
        // (RFC 7250 §4.2, the first outcome) and sends its chain.
        let x509_only = ServerConfig::builder(cert.clone()).build().unwrap();
        let (mut c, mut s) = connect(x509_only, client.clone());
        let (cr, sr) = handshake(&mut c, &mut s);
        cr.unwrap();
        sr.unwrap();
        assert_eq!(c.peer_certificate_type(), X509);
        assert_eq!(c.peer_certificates().len(), 1);
        assert_eq!(c.peer_raw_public_key(), None);
        // A server with both: the first credential of a type the client
        // accepts is sent, its type said in server_certificate_type; a
        // certificate for the name the client asked for comes before one
        // for another name, and a raw public key fits any name.
        for (first, name, want) in [
            (&cert, "localhost", X509),
            (&key.key, "rpk.example", RPK),
            (&key.key, "localhost", RPK),
        ] {
            let other = if first.certificate_type() == X509 {
                &key.key
            } else {
                &cert
            };
            let both = ServerConfig::builder((*first).clone())
                .add_certificate(other.clone())
                .build()
                .unwrap();
            let (mut c, mut s) = connect_to(both, client.clone(), name);
            let (cr, sr) = handshake(&mut c, &mut s);
            cr.unwrap();
            sr.unwrap();
            assert_eq!(c.peer_certificate_type(), want, "{version:?} {name}");
            assert_eq!(
                s.own_certificate().map(|k| k.certificate_type()),
                Some(want)
            );
        }
        // A client that prefers X.509 and a server with a raw public key
        // first: the server goes by its own order of credentials.
        let prefers_x509 = ClientConfig::builder(pki.roots())
            .server_raw_public_keys(pins(&[&key]))
            .server_certificate_types(&[X509, RPK])
            .versions(&[version])
            .build()
            .unwrap();
        let rpk_first = ServerConfig::builder(key.key.clone())
            .add_certificate(cert.clone())
            .build()
            .unwrap();
        let (mut c, mut s) = connect_to(rpk_first, prefers_x509, "rpk.example");
        let (cr, sr) = handshake(&mut c, &mut s);
        cr.unwrap();
        sr.unwrap();
        assert_eq!(c.peer_certificate_type(), RPK);
        // An X.509 client that never heard of RFC 7250 is served the
        // chain by a server that has both.
        let plain = ClientConfig::builder(pki.roots())
            .versions(&[version])
            .build()
            .unwrap();
        let rpk_first = ServerConfig::builder(key.key.clone())
            .add_certificate(cert.clone())
            .build()
            .unwrap();
        let (mut c, mut s) = connect(rpk_first, plain);
        let (cr, sr) = handshake(&mut c, &mut s);
        cr.unwrap();
        sr.unwrap();
        assert_eq!(c.peer_certificate_type(), X509);
    }
}

#[test]
fn client_certificates_of_both_types() {
    let pki = Pki::new("rpk client CA");
    let server_cert = pki.server(KeyType::EcdsaP256).certified_key();
    let client_cert = pki.client(KeyType::EcdsaP256).certified_key();
    let client_key = rpk(KeyType::Ed25519);
    for version in [V13, V12] {
        // The server prefers raw public keys and accepts both.
        let server = ServerConfig::builder(server_cert.clone())
            .client_auth(ClientAuth::required(pki.roots()))
            .client_raw_public_keys(pins(&[&client_key]), true)
            .versions(&[version])
            .build()
            .unwrap();
        for (creds, want) in [
            (vec![client_key.key.clone(), client_cert.clone()], RPK),
            (vec![client_cert.clone(), client_key.key.clone()], RPK),
            (vec![client_cert.clone()], X509),
        ] {
            let mut b = ClientConfig::builder(pki.roots()).versions(&[version]);
            for c in &creds {
                b = b.client_certificate(c.clone());
            }
            let (mut c, mut s) = connect(server.clone(), b.build().unwrap());
            let (cr, sr) = handshake(&mut c, &mut s);
            cr.unwrap();
            sr.unwrap();
            assert_eq!(s.peer_certificate_type(), want, "{version:?}");
            assert_eq!(
                c.own_certificate().map(|k| k.certificate_type()),
                Some(want)
            );
            // The client's raw public key is not its certificate chain.
            assert_eq!(s.peer_certificates().is_empty(), want == RPK);
        }
        // The server's preference decides between the client's types.
        let prefers_x509 = ServerConfig::builder(server_cert.clone())
            .client_auth(ClientAuth::required(pki.roots()))
            .client_raw_public_keys(pins(&[&client_key]), true)
            .client_certificate_types(&[X509, RPK])
            .versions(&[version])
            .build()
            .unwrap();
        let both = ClientConfig::builder(pki.roots())
            .client_certificate(client_key.key.clone())
            .client_certificate(client_cert.clone())
            .versions(&[version])
            .build()
            .unwrap();
        let (mut c, mut s) = connect(prefers_x509, both);
        let (cr, sr) = handshake(&mut c, &mut s);
        cr.unwrap();
        sr.unwrap();
        assert_eq!(s.peer_certificate_type(), X509);
    }
}

#[test]
fn a_key_that_is_not_pinned_is_refused_with_its_fingerprint() {
    let key = rpk(KeyType::EcdsaP256);
    let other = rpk(KeyType::EcdsaP256);
    let sha = hex::encode(&cloaktls::crypto::HashAlgorithm::Sha256.hash(&key.spki)[..]);
    for version in [V13, V12] {
        // The server's key.
        let s = ServerConfig::builder(key.key.clone())
            .versions(&[version])
            .build()
            .unwrap();
        let c = ClientConfig::builder_raw_public_keys(pins(&[&other]))
            .build()
            .unwrap();
        let (mut client, mut server) = connect(s, c);
        let (cr, sr) = handshake(&mut client, &mut server);
        let e = cr.unwrap_err();
        match &e {
            Error::InvalidCertificate(c) => {
                assert_eq!(c.kind, CertificateErrorKind::UnknownRawPublicKey)
            }
            other => panic!("{other:?}"),
        }
        let text = e.to_string();
        assert!(
            text.contains("ECDSA P-256") && text.contains(&sha),
            "{text}"
        );
        assert_eq!(e.alert(), Some(AlertDescription::BAD_CERTIFICATE));
        assert_eq!(alert_received(&sr), Some(AlertDescription::BAD_CERTIFICATE));
        // A client's key.
        let s = ServerConfig::builder(other.key.clone())
            .client_raw_public_keys(pins(&[&other]), true)
            .versions(&[version])
            .build()
            .unwrap();
        let c = ClientConfig::builder_raw_public_keys(pins(&[&other]))
            .client_certificate(key.key.clone())
            .build()
            .unwrap();
        let (mut client, mut server) = connect(s, c);
        let (cr, sr) = handshake(&mut client, &mut server);
        let e = sr.unwrap_err();
        assert!(e.to_string().contains(&sha), "{e}");
        assert_eq!(e.alert(), Some(AlertDescription::BAD_CERTIFICATE));
        // A TLS 1.3 client learns it on its first read.
        if version == V12 {
            assert_eq!(alert_received(&cr), Some(AlertDescription::BAD_CERTIFICATE));
        }
    }
}

#[test]
fn any_key_is_trusted_only_through_danger() {
    let key = rpk(KeyType::EcdsaP384);
    let s = ServerConfig::builder(key.key.clone()).build().unwrap();
    let c =
        ClientConfig::builder_raw_public_keys(Arc::new(cloaktls::danger::AcceptAnyRawPublicKey))
            .build()
            .unwrap();
    let (mut client, mut server) = connect(s, c);
    let (cr, sr) = handshake(&mut client, &mut server);
    cr.unwrap();
    sr.unwrap();
    assert_eq!(
        client.peer_raw_public_key().map(|k| k.to_vec()),
        Some(key.spki)
    );
}

#[test]
fn nothing_in_common_is_unsupported_certificate() {
    let pki = Pki::new("rpk mismatch CA");
    let cert = pki.server(KeyType::EcdsaP256).certified_key();
    let key = rpk(KeyType::EcdsaP256);
    for version in [V13, V12] {
        // A raw public key alone, and a client that knows only X.509: the
        // server has no credential of a type the client accepts.
        let s = ServerConfig::builder(key.key.clone())
            .versions(&[version])
            .build()
            .unwrap();
        let c = ClientConfig::builder(pki.roots()).build().unwrap();
        let (mut client, mut server) = connect(s, c);
        let (cr, sr) = handshake(&mut client, &mut server);
        let e = sr.unwrap_err();
        assert!(
            matches!(
                e,
                Error::NoCommon {
                    what: Negotiable::CertificateType,
                    ..
                }
            ),
            "{e:?}"
        );
        assert_eq!(e.alert(), Some(AlertDescription::UNSUPPORTED_CERTIFICATE));
        assert_eq!(
            alert_received(&cr),
            Some(AlertDescription::UNSUPPORTED_CERTIFICATE)
        );
        // A client of raw public keys alone and a server of X.509 alone,
        // which ignores the extension: the client refuses the chain.
        let s = ServerConfig::builder(cert.clone())
            .versions(&[version])
            .build()
            .unwrap();
        let c = ClientConfig::builder_raw_public_keys(pins(&[&key]))
            .build()
            .unwrap();
        let (mut client, mut server) = connect(s, c);
        let (cr, sr) = handshake(&mut client, &mut server);
        let e = cr.unwrap_err();
        assert!(
            e.to_string()
                .contains("did not answer server_certificate_type"),
            "{e}"
        );
        assert_eq!(e.alert(), Some(AlertDescription::UNSUPPORTED_CERTIFICATE));
        assert_eq!(
            alert_received(&sr),
            Some(AlertDescription::UNSUPPORTED_CERTIFICATE)
        );
        // A server that accepts client raw public keys alone, and a
        // client with an X.509 certificate.
        let s = ServerConfig::builder(cert.clone())
            .client_raw_public_keys(pins(&[&key]), false)
            .versions(&[version])
            .build()
            .unwrap();
        let c = ClientConfig::builder(pki.roots())
            .client_certificate(pki.client(KeyType::EcdsaP256).certified_key())
            .build()
            .unwrap();
        let (mut client, mut server) = connect(s, c);
        let (cr, sr) = handshake(&mut client, &mut server);
        assert!(
            matches!(
                sr,
                Err(Error::NoCommon {
                    what: Negotiable::CertificateType,
                    ..
                })
            ),
            "{sr:?}"
        );
        assert_eq!(
            alert_received(&cr),
            Some(AlertDescription::UNSUPPORTED_CERTIFICATE)
        );
    }
}

#[test]
fn a_missing_client_key_follows_the_policy() {
    let server_key = rpk(KeyType::EcdsaP256);
    let client_key = rpk(KeyType::EcdsaP256);
    for version in [V13, V12] {
        for required in [false, true] {
            let s = ServerConfig::builder(server_key.key.clone())
                .client_raw_public_keys(pins(&[&client_key]), required)
                .versions(&[version])
                .build()
                .unwrap();
            // It offers RawPublicKey but has no key to send: an empty
            // Certificate (RFC 8446 §4.4.2, RFC 5246 §7.4.6).
            let c = ClientConfig::builder_raw_public_keys(pins(&[&server_key]))
                .client_certificate_types(&[RPK])
                .build()
                .unwrap();
            let (mut client, mut server) = connect(s, c);
            let (cr, sr) = handshake(&mut client, &mut server);
            if !required {
                cr.unwrap();
                sr.unwrap();
                assert_eq!(server.peer_raw_public_key(), None);
                continue;
            }
            let e = sr.unwrap_err();
            let want = match version {
                V13 => AlertDescription::CERTIFICATE_REQUIRED,
                _ => AlertDescription::HANDSHAKE_FAILURE,
            };
            assert_eq!(e.alert(), Some(want), "{version:?} {e}");
            if version == V12 {
                assert_eq!(alert_received(&cr), Some(want));
            }
        }
    }
}

#[test]
fn sessions_keep_the_key_and_its_type() {
    let key = rpk(KeyType::EcdsaP256);
    let client_key = rpk(KeyType::Ed25519);
    for version in [V13, V12] {
        let s = ServerConfig::builder(key.key.clone())
            .client_raw_public_keys(pins(&[&client_key]), true)
            .versions(&[version])
            .build()
            .unwrap();
        let store: Arc<dyn cloaktls::session::ClientSessionStore> =
            Arc::new(cloaktls::session::MemorySessionCache::new(8));
        let c = ClientConfig::builder_raw_public_keys(pins(&[&key]))
            .client_certificate(client_key.key.clone())
            .session_store(Some(store.clone()))
            .reverify_on_resume(true)
            .versions(&[version])
            .build()
            .unwrap();
        for round in 0..3 {
            let (mut client, mut server) = connect(s.clone(), c.clone());
            let (cr, sr) = handshake(&mut client, &mut server);
            cr.unwrap();
            sr.unwrap();
            let _ = read_all(&mut client);
            assert_eq!(client.is_resumed(), round > 0, "{version:?}");
            assert_eq!(client.peer_certificate_type(), RPK);
            assert_eq!(
                client.peer_raw_public_key().map(|k| k.to_vec()),
                Some(key.spki.clone())
            );
            assert_eq!(server.peer_certificate_type(), RPK);
            assert_eq!(
                server.peer_raw_public_key().map(|k| k.to_vec()),
                Some(client_key.spki.clone())
            );
        }
        // A client that accepts X.509 alone does not resume the session
        // (another trust: its sessions are kept apart), and is refused
        // by a server of raw public keys alone.
        let pki = Pki::new("rpk session CA");
        let plain = ClientConfig::builder(pki.roots())
            .session_store(Some(store.clone()))
            .versions(&[version])
            .build()
            .unwrap();
        let (mut client, mut server) = connect(s.clone(), plain);
        let (_, sr) = handshake(&mut client, &mut server);
        assert!(sr.is_err());
        assert!(!client.is_resumed());
    }
}

#[test]
fn a_hello_retry_keeps_the_offer() {
    let key = rpk(KeyType::EcdsaP256);
    let s = ServerConfig::builder(key.key.clone())
        .groups(&[cloaktls::NamedGroup::SECP384R1])
        .build()
        .unwrap();
    let c = ClientConfig::builder_raw_public_keys(pins(&[&key]))
        .groups(&[
            cloaktls::NamedGroup::X25519,
            cloaktls::NamedGroup::SECP384R1,
        ])
        .build()
        .unwrap();
    let (mut client, mut server) = connect(s, c);
    let (cr, sr) = handshake(&mut client, &mut server);
    cr.unwrap();
    sr.unwrap();
    assert!(client.had_hello_retry());
    assert_eq!(client.peer_certificate_type(), RPK);
}

#[test]
fn configurations_that_cannot_work_are_refused() {
    let key = rpk(KeyType::EcdsaP256);
    let pki = Pki::new("rpk config CA");
    let no_verifier = ClientConfig::builder(pki.roots())
        .server_certificate_types(&[RPK])
        .build();
    assert!(no_verifier.unwrap_err().to_string().contains("verifier"));
    let openpgp = ClientConfig::builder(pki.roots())
        .server_certificate_types(&[CertificateType::OPEN_PGP])
        .build();
    assert!(openpgp.unwrap_err().to_string().contains("OpenPGP"));
    let twice = ClientConfig::builder_raw_public_keys(pins(&[&key]))
        .server_certificate_types(&[RPK, RPK])
        .build();
    assert!(twice.is_err());
    assert!(ClientConfig::builder(pki.roots())
        .client_certificate_types(&[])
        .build()
        .is_err());
    // A server that would take X.509 client certificates without a way
    // to verify them, or raw public keys without a verifier.
    let x509_without_auth = ServerConfig::builder(key.key.clone())
        .client_raw_public_keys(pins(&[&key]), true)
        .client_certificate_types(&[RPK, X509])
        .build();
    assert!(x509_without_auth.is_err());
    let rpk_without_verifier = ServerConfig::builder(key.key.clone())
        .client_auth(ClientAuth::required(pki.roots()))
        .client_certificate_types(&[RPK])
        .build();
    assert!(rpk_without_verifier.is_err());
    // A raw public key has no OCSP response, no chain, and is its key's.
    let stapled = key.key.clone().with_ocsp_response(vec![1, 2, 3]);
    assert!(ServerConfig::builder(stapled).build().is_err());
    let other = rpk(KeyType::EcdsaP256);
    let mismatched = cloaktls::CertifiedKey::with_raw_public_key(
        SubjectPublicKeyInfoDer::from(other.spki.clone()),
        key.key.key.clone(),
    );
    assert!(mismatched
        .unwrap_err()
        .to_string()
        .contains("does not belong"));
    let garbage = cloaktls::CertifiedKey::with_raw_public_key(
        SubjectPublicKeyInfoDer::from(vec![0x30, 0x03, 0x02, 0x01, 0x00]),
        key.key.key.clone(),
    );
    assert!(garbage.is_err());
    // Keys to pin must parse too.
    assert!(
        PinnedRawPublicKeys::from_keys([SubjectPublicKeyInfoDer::from(vec![1, 2, 3])]).is_err()
    );
}

#[test]
fn keys_load_from_pem() {
    let key = rpk(KeyType::EcdsaP384);
    let dir = std::env::temp_dir().join(format!("cloak-rpk-pem-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let private = dir.join("key.pem");
    std::fs::write(&private, &key.private_pem).unwrap();
    // A credential from the private key alone.
    let ck = cloaktls::pem::raw_public_key_from_file(&private).unwrap();
    assert_eq!(ck.raw_public_key.as_deref(), Some(&key.spki[..]));
    assert_eq!(ck.certificate_type(), RPK);
    // Pins from a PUBLIC KEY block, from the private key, from a
    // certificate: all the same key.
    let pki = Pki::new("rpk pem CA");
    let issued = pki.server(KeyType::EcdsaP256);
    let cert_pem = pem_block("CERTIFICATE", &issued.chain[0]);
    for text in [&key.public_pem, &key.private_pem] {
        let keys = cloaktls::pem::raw_public_keys_from_pem(text.as_bytes()).unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].as_ref(), &key.spki[..]);
    }
    let from_cert = cloaktls::pem::raw_public_keys_from_pem(cert_pem.as_bytes()).unwrap();
    let cert_key = issued.certified_key();
    let derived = cloaktls::crypto::sign::subject_public_key_info(cert_key.key.as_ref()).unwrap();
    assert_eq!(from_cert[0].as_ref(), &derived[..]);
    let both = format!("{}{}", key.public_pem, cert_pem);
    assert_eq!(
        cloaktls::pem::raw_public_keys_from_pem(both.as_bytes())
            .unwrap()
            .len(),
        2
    );
    let pinned_file = dir.join("pins.pem");
    std::fs::write(&pinned_file, both).unwrap();
    assert_eq!(
        PinnedRawPublicKeys::from_path(&pinned_file).unwrap().len(),
        2
    );
    assert!(cloaktls::pem::raw_public_keys_from_pem(b"nothing here").is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

fn pem_block(label: &str, der: &[u8]) -> String {
    let b64 = cloaktls::pem::base64_encode(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

// ---- A peer that breaks the rules: rewritten flights ----

/// The handshake messages of plaintext records.
fn messages(flight: &[u8]) -> Vec<Vec<u8>> {
    let mut d = cloaktls::record::Deframer::new();
    d.read(flight);
    let mut body = Vec::new();
    while let Some(r) = d.next_record().unwrap() {
        assert_eq!(r.typ, cloaktls::ContentType::HANDSHAKE);
        body.extend_from_slice(r.payload);
    }
    let mut out = Vec::new();
    let mut rest = &body[..];
    while rest.len() >= 4 {
        let len = u32::from_be_bytes([0, rest[1], rest[2], rest[3]]) as usize;
        out.push(rest[..4 + len].to_vec());
        rest = &rest[4 + len..];
    }
    out
}

/// Plaintext handshake records holding `messages`.
fn records(messages: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for m in messages {
        cloaktls::record::write_plaintext_record(
            cloaktls::ContentType::HANDSHAKE,
            V12,
            m,
            &mut out,
        );
    }
    out
}

/// Rewrites a flight's messages as `edit` says, decoded in `version` with
/// the sender's certificate type `cert_type`.
fn rewrite(
    flight: &[u8],
    version: ProtocolVersion,
    cert_type: CertificateType,
    mut edit: impl FnMut(&mut HandshakePayload),
) -> Vec<u8> {
    let msgs: Vec<Vec<u8>> = messages(flight)
        .into_iter()
        .map(|m| {
            let mut msg = HandshakeMessage::decode_for(&m, version, cert_type).unwrap();
            edit(&mut msg.payload);
            HandshakeMessage::new(msg.payload).encoding()
        })
        .collect();
    records(&msgs)
}

/// Sets (or adds) extension `ext` in a hello's extensions.
fn set_extension(exts: &mut Vec<Extension>, ext: Extension) {
    let typ = ext.typ();
    match exts.iter_mut().find(|e| e.typ() == typ) {
        Some(e) => *e = ext,
        None => exts.insert(0, ext),
    }
}

/// The server's answer to `client_hello`, after it was rewritten: the
/// server's error.
fn server_refuses(server: Arc<ServerConfig>, hello: &[u8]) -> Error {
    let mut s = ServerConnection::new(server).unwrap();
    match s.read_tls(hello) {
        Err(e) => e,
        Ok(_) => s.error().cloned().unwrap_or(Error::HandshakeNotComplete),
    }
}

fn client_hello(client: Arc<ClientConfig>) -> (ClientConnection, Vec<u8>) {
    let c = ClientConnection::new(client, "localhost").unwrap();
    let hello = c.pending_tls().to_vec();
    (c, hello)
}

#[test]
fn bad_client_hellos_are_refused_with_their_alerts() {
    let key = rpk(KeyType::EcdsaP256);
    let server = ServerConfig::builder(key.key.clone())
        .client_raw_public_keys(pins(&[&key]), false)
        .build()
        .unwrap();
    let client = ClientConfig::builder_raw_public_keys(pins(&[&key]))
        .client_certificate(key.key.clone())
        .build()
        .unwrap();
    let cases: [(ExtensionType, Vec<u8>, AlertDescription, &str); 6] = [
        // RFC 7250 §3: the client's list holds one type at least.
        (
            ExtensionType::SERVER_CERTIFICATE_TYPE,
            vec![0],
            AlertDescription::DECODE_ERROR,
            "length",
        ),
        (
            ExtensionType::CLIENT_CERTIFICATE_TYPE,
            vec![],
            AlertDescription::DECODE_ERROR,
            "truncated",
        ),
        (
            ExtensionType::CLIENT_CERTIFICATE_TYPE,
            vec![3, 2],
            AlertDescription::DECODE_ERROR,
            "truncated",
        ),
        // RFC 7250 §4.1: X.509 alone is said by omitting the list.
        (
            ExtensionType::SERVER_CERTIFICATE_TYPE,
            vec![1, 0],
            AlertDescription::ILLEGAL_PARAMETER,
            "RFC 7250 §4.1",
        ),
        // Types the server does not know, alone: none in common.
        (
            ExtensionType::SERVER_CERTIFICATE_TYPE,
            vec![1, 5],
            AlertDescription::UNSUPPORTED_CERTIFICATE,
            "certificate type",
        ),
        (
            ExtensionType::CLIENT_CERTIFICATE_TYPE,
            vec![2, 1, 9],
            AlertDescription::UNSUPPORTED_CERTIFICATE,
            "certificate type",
        ),
    ];
    for (typ, body, alert, text) in cases {
        let (_, hello) = client_hello(client.clone());
        let bad = rewrite(&hello, V12, X509, |p| {
            if let HandshakePayload::ClientHello(ch) = p {
                set_extension(
                    &mut ch.extensions,
                    Extension::Unknown {
                        typ,
                        data: body.clone(),
                    },
                );
            }
        });
        let e = server_refuses(server.clone(), &bad);
        assert_eq!(e.alert(), Some(alert), "{typ:?} {body:?}: {e}");
        assert!(e.to_string().contains(text), "{e}");
    }
}

/// Runs a handshake whose server flights pass through `edit` (plaintext
/// TLS 1.2 flights, decoded with the server's certificate type `sent`),
/// and returns the client's error.
fn client_refuses_tls12(
    server: Arc<ServerConfig>,
    client: Arc<ClientConfig>,
    sent: CertificateType,
    edit: impl FnMut(&mut HandshakePayload),
) -> Error {
    let (mut c, hello) = client_hello(client);
    c.consume_tls(hello.len());
    let mut s = ServerConnection::new(server).unwrap();
    let _ = s.read_tls(&hello).unwrap();
    let flight = s.pending_tls().to_vec();
    let bad = rewrite(&flight, V12, sent, edit);
    match c.read_tls(&bad) {
        Err(e) => e,
        Ok(_) => c.error().cloned().unwrap_or(Error::HandshakeNotComplete),
    }
}

#[test]
fn bad_server_answers_are_refused_in_tls12() {
    let key = rpk(KeyType::EcdsaP256);
    let server = ServerConfig::builder(key.key.clone())
        .versions(&[V12])
        .build()
        .unwrap();
    let client = ClientConfig::builder_raw_public_keys(pins(&[&key]))
        .build()
        .unwrap();
    let answer = |t: CertificateType| {
        move |p: &mut HandshakePayload| {
            if let HandshakePayload::ServerHello(sh) = p {
                set_extension(&mut sh.extensions, Extension::ServerCertificateType(t));
            }
        }
    };
    // A type we did not offer: X.509, or one nobody knows.
    for t in [X509, CertificateType(5)] {
        let e = client_refuses_tls12(server.clone(), client.clone(), RPK, answer(t));
        assert!(
            matches!(
                e,
                Error::NoCommon {
                    what: Negotiable::CertificateType,
                    ..
                }
            ),
            "{e:?}"
        );
        assert_eq!(e.alert(), Some(AlertDescription::UNSUPPORTED_CERTIFICATE));
    }
    // client_certificate_type, which we did not offer.
    let e = client_refuses_tls12(server.clone(), client.clone(), RPK, |p| {
        if let HandshakePayload::ServerHello(sh) = p {
            set_extension(&mut sh.extensions, Extension::ClientCertificateType(RPK));
        }
    });
    assert_eq!(
        e.alert(),
        Some(AlertDescription::UNSUPPORTED_EXTENSION),
        "{e}"
    );
    // A SubjectPublicKeyInfo that is not one, and one the server does not
    // hold the key of (its signature cannot verify).
    let mut bad_keys: Vec<Vec<u8>> = vec![
        vec![0x31, 0x00],
        key.spki[..key.spki.len() - 1].to_vec(),
        [&key.spki[..], &[0]].concat(),
        vec![0x30, 0x03, 0x30, 0x01, 0x00],
    ];
    // An X.509 certificate where the key should be.
    let pki = Pki::new("rpk bad key CA");
    bad_keys.push(pki.server(KeyType::EcdsaP256).chain[0].clone());
    for bad in bad_keys {
        let e = client_refuses_tls12(server.clone(), client.clone(), RPK, |p| {
            if let HandshakePayload::CertificateRawPublicKey12(k) = p {
                *k = bad.clone();
            }
        });
        assert_eq!(e.alert(), Some(AlertDescription::DECODE_ERROR), "{e}");
        assert!(e.to_string().contains("SubjectPublicKeyInfo"), "{e}");
    }
    // An empty key from a server.
    let e = client_refuses_tls12(server.clone(), client.clone(), RPK, |p| {
        if let HandshakePayload::CertificateRawPublicKey12(k) = p {
            k.clear();
        }
    });
    assert_eq!(e.alert(), Some(AlertDescription::DECODE_ERROR), "{e}");
    // Another pinned key in the Certificate: its signature does not fit.
    let other = rpk(KeyType::EcdsaP256);
    let both = ClientConfig::builder_raw_public_keys(pins(&[&key, &other]))
        .build()
        .unwrap();
    let e = client_refuses_tls12(server.clone(), both, RPK, |p| {
        if let HandshakePayload::CertificateRawPublicKey12(k) = p {
            k.clone_from(&other.spki);
        }
    });
    assert_eq!(e.alert(), Some(AlertDescription::DECRYPT_ERROR), "{e}");
}

#[test]
fn bad_certificates_are_refused_in_tls13() {
    use cloaktls::msgs::handshake::{Certificate13, CertificateEntry};
    let key = rpk(KeyType::EcdsaP256);
    let secrets = Arc::new(Secrets::default());
    let server = ServerConfig::builder(key.key.clone())
        .key_log(secrets.clone())
        .build()
        .unwrap();
    // Uncompressed, so that the Certificate shows (RFC 8879 would send a
    // CompressedCertificate).
    let client = ClientConfig::builder_raw_public_keys(pins(&[&key]))
        .cipher_suites(&[CipherSuite::TLS13_AES_128_GCM_SHA256])
        .certificate_compression(&[])
        .build()
        .unwrap();
    /// What a man in the middle does to the Certificate, given the key.
    type Edit = fn(&mut Certificate13, &[u8]);
    let cases: [(&str, Edit, AlertDescription); 4] = [
        (
            "two entries",
            |c, k| {
                c.entries.push(CertificateEntry {
                    cert_data: k.to_vec(),
                    extensions: Vec::new(),
                })
            },
            AlertDescription::DECODE_ERROR,
        ),
        (
            "not a SubjectPublicKeyInfo",
            |c, _| c.entries[0].cert_data = vec![0x30, 0x01, 0x00],
            AlertDescription::DECODE_ERROR,
        ),
        (
            "no entry",
            |c, _| c.entries.clear(),
            AlertDescription::DECODE_ERROR,
        ),
        (
            "an entry extension we did not ask for",
            |c, _| {
                c.entries[0].extensions.push(Extension::Unknown {
                    typ: ExtensionType(0x1234),
                    data: Vec::new(),
                })
            },
            AlertDescription::UNSUPPORTED_EXTENSION,
        ),
    ];
    for (what, edit, alert) in cases {
        let (mut c, hello) = client_hello(client.clone());
        c.consume_tls(hello.len());
        let mut s = ServerConnection::new(server.clone()).unwrap();
        let _ = s.read_tls(&hello).unwrap();
        let flight = s.pending_tls().to_vec();
        let secret = secrets.get_last("SERVER_HANDSHAKE_TRAFFIC_SECRET");
        let bad = reseal_tls13_flight(&flight, &secret, |plain| {
            // The record's handshake messages, with the Certificate edited.
            let mut out = Vec::new();
            let mut rest = &plain[..];
            while rest.len() >= 4 {
                let len = u32::from_be_bytes([0, rest[1], rest[2], rest[3]]) as usize;
                let m = &rest[..4 + len];
                rest = &rest[4 + len..];
                let mut msg = HandshakeMessage::decode(m, V13).unwrap();
                if let HandshakePayload::Certificate13(c) = &mut msg.payload {
                    edit(c, &key.spki);
                }
                out.extend(HandshakeMessage::new(msg.payload).encoding());
            }
            *plain = out;
        });
        let e = match c.read_tls(&bad) {
            Err(e) => e,
            Ok(_) => c.error().cloned().unwrap_or(Error::HandshakeNotComplete),
        };
        assert_eq!(e.alert(), Some(alert), "{what}: {e}");
    }
}
