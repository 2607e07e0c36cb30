//! Policy presets (FIPS 140-3, CNSA 1.0, CNSA 2.0): what they negotiate,
//! what they refuse at build time, and handshakes they cannot satisfy
//! failing with an error that names them.

mod common;
use cloaktls::config::Policy;
use cloaktls::{CipherSuite, ClientConfig, Error, NamedGroup, ProtocolVersion, ServerConfig};
use common::*;

#[test]
fn fips_negotiates_only_approved_algorithms() {
    let pki = Pki::new("CA");
    let (mut c, mut s) = pair(&pki, |b| b, |b| b.policy(Policy::Fips140_3), "localhost");
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    // The NIST hybrid, not X25519MLKEM768; AES-GCM, not ChaCha20.
    assert_eq!(c.key_exchange_group(), Some(NamedGroup::SECP256R1_MLKEM768));
    assert!(matches!(
        c.cipher_suite(),
        Some(CipherSuite::TLS13_AES_256_GCM_SHA384 | CipherSuite::TLS13_AES_128_GCM_SHA256)
    ));
    // TLS 1.2 under FIPS: ECDHE on a NIST curve.
    let (mut c, mut s) = pair(
        &pki,
        |b| b.policy(Policy::Fips140_3),
        |b| b.versions(&[ProtocolVersion::TLSV1_2]),
        "localhost",
    );
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    assert_eq!(s.key_exchange_group(), Some(NamedGroup::SECP256R1));
}

#[test]
fn cnsa2_is_tls13_aes256_and_mlkem1024_over_p384() {
    let pki = Pki::with_key("CA", KeyType::EcdsaP384);
    let server = ServerConfig::builder(pki.server(KeyType::EcdsaP384).certified_key())
        .policy(Policy::Cnsa2)
        .build()
        .unwrap();
    let client = ClientConfig::builder(pki.roots())
        .policy(Policy::Cnsa2)
        .build()
        .unwrap();
    let mut c = cloaktls::ClientConnection::new(client, "localhost").unwrap();
    let mut s = cloaktls::ServerConnection::new(server.clone()).unwrap();
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    assert_eq!(c.protocol_version(), Some(ProtocolVersion::TLSV1_3));
    assert_eq!(
        c.cipher_suite(),
        Some(CipherSuite::TLS13_AES_256_GCM_SHA384)
    );
    // ML-KEM-1024 alone first, as CNSA 2.0 names it; the hybrid with
    // P-384 for a client that offers only that.
    assert_eq!(c.key_exchange_group(), Some(NamedGroup::MLKEM1024));
    let hybrid_only = ClientConfig::builder(pki.roots())
        .groups(&[NamedGroup::SECP384R1_MLKEM1024])
        .build()
        .unwrap();
    let mut c = cloaktls::ClientConnection::new(hybrid_only, "localhost").unwrap();
    let mut s = cloaktls::ServerConnection::new(server.clone()).unwrap();
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    assert_eq!(
        c.key_exchange_group(),
        Some(NamedGroup::SECP384R1_MLKEM1024)
    );
    // A default client reaches a CNSA 2.0 server too (after a
    // HelloRetryRequest for the group).
    let server = ServerConfig::builder(pki.server(KeyType::EcdsaP384).certified_key())
        .policy(Policy::Cnsa2)
        .build()
        .unwrap();
    let mut c = cloaktls::ClientConnection::new(
        ClientConfig::builder(pki.roots()).build().unwrap(),
        "localhost",
    )
    .unwrap();
    let mut s = cloaktls::ServerConnection::new(server).unwrap();
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    assert!(c.had_hello_retry());
}

#[test]
fn a_handshake_the_policy_cannot_satisfy_names_it() {
    let pki = Pki::with_key("CA", KeyType::EcdsaP384);
    let server = ServerConfig::builder(pki.server(KeyType::EcdsaP384).certified_key())
        .policy(Policy::Cnsa2)
        .build()
        .unwrap();
    let client = ClientConfig::builder(pki.roots())
        .groups(&[NamedGroup::X25519, NamedGroup::SECP256R1])
        .build()
        .unwrap();
    let mut c = cloaktls::ClientConnection::new(client, "localhost").unwrap();
    let mut s = cloaktls::ServerConnection::new(server).unwrap();
    let (_, sr) = handshake(&mut c, &mut s);
    let err = sr.unwrap_err();
    assert!(matches!(err, Error::NoCommon { .. }), "{err}");
    assert!(err.to_string().contains("policy CNSA 2.0"), "{err}");
}

#[test]
fn a_policy_cannot_be_widened_and_must_fit_the_certificate() {
    let pki = Pki::new("CA");
    let err = ClientConfig::builder(pki.roots())
        .policy(Policy::Fips140_3)
        .groups(&[NamedGroup::X25519])
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("policy FIPS 140-3"), "{err}");
    let err = ClientConfig::builder(pki.roots())
        .policy(Policy::Cnsa2)
        .versions(&[ProtocolVersion::TLSV1_2, ProtocolVersion::TLSV1_3])
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("CNSA 2.0"), "{err}");
    // Narrowing is fine.
    ClientConfig::builder(pki.roots())
        .policy(Policy::Fips140_3)
        .groups(&[NamedGroup::SECP384R1])
        .build()
        .unwrap();
    // A P-256 certificate cannot serve CNSA 2.0 (ECDSA P-384 only).
    let err = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
        .policy(Policy::Cnsa2)
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("policy CNSA 2.0"), "{err}");
    // Nor an Ed25519 one FIPS 140-3.
    let err = ServerConfig::builder(pki.server(KeyType::Ed25519).certified_key())
        .policy(Policy::Fips140_3)
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("FIPS 140-3"), "{err}");
}

/// CNSA 1.0 prefers ML-KEM-1024 whenever the client lists it, even at the
/// cost of a HelloRetryRequest (the client sent P-384 and P-256 shares).
#[test]
fn cnsa1_prefers_mlkem1024_when_the_client_has_it() {
    let pki = Pki::with_key("CA", KeyType::EcdsaP384);
    let server = ServerConfig::builder(pki.server(KeyType::EcdsaP384).certified_key())
        .policy(Policy::Cnsa1)
        .build()
        .unwrap();
    let client = ClientConfig::builder(pki.roots())
        .groups(&[NamedGroup::SECP384R1, NamedGroup::MLKEM1024])
        .build()
        .unwrap();
    let mut c = cloaktls::ClientConnection::new(client, "localhost").unwrap();
    let mut s = cloaktls::ServerConnection::new(server.clone()).unwrap();
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    assert!(c.had_hello_retry());
    assert_eq!(s.key_exchange_group(), Some(NamedGroup::MLKEM1024));
    // A TLS 1.2 client gets P-384 and AES-256.
    let client = ClientConfig::builder(pki.roots())
        .versions(&[ProtocolVersion::TLSV1_2])
        .build()
        .unwrap();
    let mut c = cloaktls::ClientConnection::new(client, "localhost").unwrap();
    let mut s = cloaktls::ServerConnection::new(server).unwrap();
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    assert_eq!(s.key_exchange_group(), Some(NamedGroup::SECP384R1));
    assert_eq!(
        s.cipher_suite(),
        Some(CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384)
    );
}

/// WPA3-Enterprise 192-bit: P-384 and AES-256 both versions; a client
/// with only P-256 or AES-128 is refused with the policy named.
#[test]
fn wpa3_enterprise_192_is_p384_and_aes256() {
    let pki = Pki::with_key("CA", KeyType::EcdsaP384);
    let server = ServerConfig::builder(pki.server(KeyType::EcdsaP384).certified_key())
        .policy(Policy::Wpa3Enterprise192)
        .build()
        .unwrap();
    for v in [ProtocolVersion::TLSV1_3, ProtocolVersion::TLSV1_2] {
        let client = ClientConfig::builder(pki.roots())
            .versions(&[v])
            .build()
            .unwrap();
        let mut c = cloaktls::ClientConnection::new(client, "localhost").unwrap();
        let mut s = cloaktls::ServerConnection::new(server.clone()).unwrap();
        let (cr, sr) = handshake(&mut c, &mut s);
        cr.unwrap();
        sr.unwrap();
        assert_eq!(s.key_exchange_group(), Some(NamedGroup::SECP384R1), "{v:?}");
    }
    let client = ClientConfig::builder(pki.roots())
        .cipher_suites(&[CipherSuite::TLS13_AES_128_GCM_SHA256])
        .build()
        .unwrap();
    let mut c = cloaktls::ClientConnection::new(client, "localhost").unwrap();
    let mut s = cloaktls::ServerConnection::new(server).unwrap();
    let (_, sr) = handshake(&mut c, &mut s);
    let err = sr.unwrap_err();
    assert!(
        err.to_string().contains("policy WPA3-Enterprise 192-bit"),
        "{err}"
    );
}
