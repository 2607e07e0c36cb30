//! The default verifiers remember chains that verified: a hit must give
//! exactly the answer a full validation would, so each test verifies a
//! chain once and then changes one thing (the name, the clock, the chain,
//! the signature) that must still be refused. Clients here keep no
//! sessions, so that every connection is a full handshake.

mod common;
use cloaktls::verify::{TimeSource, UnixTime, WebPkiServerVerifier};
use cloaktls::{CertificateErrorKind, ClientConfig, ClientConnection, Error, ServerConnection};
use common::*;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// A clock the test moves.
#[derive(Debug)]
struct Clock(AtomicU64);

impl TimeSource for Clock {
    fn now(&self) -> UnixTime {
        UnixTime::since_unix_epoch(std::time::Duration::from_secs(
            self.0.load(Ordering::Relaxed),
        ))
    }
}

fn connect(
    c: &Arc<ClientConfig>,
    s: &Arc<cloaktls::ServerConfig>,
    name: &str,
) -> Result<(), Error> {
    let mut client = ClientConnection::new(c.clone(), name).unwrap();
    let mut server = ServerConnection::new(s.clone()).unwrap();
    handshake(&mut client, &mut server).0
}

fn kind(r: Result<(), Error>) -> CertificateErrorKind {
    match r {
        Err(Error::InvalidCertificate(e)) => e.kind,
        other => panic!("expected a certificate error, got {other:?}"),
    }
}

/// Seconds since 1970 of midnight, 1 January of `year`.
fn jan1(year: i64) -> u64 {
    let days = (1970..year)
        .map(|y| if y % 4 == 0 { 366 } else { 365 })
        .sum::<i64>();
    (days * 86_400) as u64
}

#[test]
fn a_remembered_chain_is_still_checked_for_name_and_time() {
    let pki = Pki::new("CA");
    let mut spec = Spec::server(KeyType::EcdsaP256, &["localhost"]);
    spec.validity = ((2020, 1, 1), (2040, 1, 1));
    let server = pki.issue(&spec);
    let s = cloaktls::ServerConfig::builder(server.certified_key())
        .build()
        .unwrap();
    let clock = Arc::new(Clock(AtomicU64::new(jan1(2030))));
    let c = ClientConfig::builder(pki.roots())
        .time(clock.clone())
        .session_store(None)
        .build()
        .unwrap();
    connect(&c, &s, "localhost").unwrap();
    connect(&c, &s, "localhost").unwrap();
    // The same chain for another name.
    assert_eq!(
        kind(connect(&c, &s, "other.example")),
        CertificateErrorKind::NameMismatch
    );
    // Past notAfter, and before notBefore.
    clock.0.store(jan1(2041), Ordering::Relaxed);
    assert_eq!(
        kind(connect(&c, &s, "localhost")),
        CertificateErrorKind::Expired
    );
    clock.0.store(jan1(2019), Ordering::Relaxed);
    assert_eq!(
        kind(connect(&c, &s, "localhost")),
        CertificateErrorKind::NotYetValid
    );
    clock.0.store(jan1(2030), Ordering::Relaxed);
    connect(&c, &s, "localhost").unwrap();
}

#[test]
fn another_chain_or_another_key_is_validated_in_full() {
    let pki = Pki::new("CA");
    let other = Pki::new("Other CA");
    let leaf = pki.server(KeyType::EcdsaP256).certified_key();
    let good = cloaktls::ServerConfig::builder(leaf.clone())
        .build()
        .unwrap();
    // The same name, issued by a CA the client does not trust.
    let untrusted =
        cloaktls::ServerConfig::builder(other.server(KeyType::EcdsaP256).certified_key())
            .build()
            .unwrap();
    let c = ClientConfig::builder(pki.roots())
        .session_store(None)
        .build()
        .unwrap();
    connect(&c, &good, "localhost").unwrap();
    assert_eq!(
        kind(connect(&c, &untrusted, "localhost")),
        CertificateErrorKind::UnknownIssuer
    );
    // The trusted certificate with another server's key: the chain is
    // remembered, but the handshake signature is checked every time.
    let mut mismatched = leaf;
    let impostor = other.server(KeyType::EcdsaP256).certified_key();
    mismatched.key = impostor.key.clone();
    // Our own configuration refuses such a pair outright.
    let refused = cloaktls::ServerConfig::builder(mismatched.clone()).build();
    assert!(
        matches!(&refused, Err(cloaktls::Error::Config(m)) if m.contains("does not belong")),
        "{refused:?}"
    );
    // A server that does not say what its key is (an HSM, say) gets past
    // that check; the client still catches it.
    mismatched.key = Arc::new(Opaque(impostor.key.clone()));
    let s = cloaktls::ServerConfig::builder(mismatched).build().unwrap();
    let r = connect(&c, &s, "localhost");
    assert!(r.is_err(), "a signature by another key was accepted");
    connect(&c, &good, "localhost").unwrap();
}

#[test]
fn capacity_zero_validates_every_time() {
    let pki = Pki::new("CA");
    let s = cloaktls::ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
        .build()
        .unwrap();
    let verifier = WebPkiServerVerifier::new(Arc::new(pki.roots())).with_cache_capacity(0);
    let c = ClientConfig::builder_with_webpki(verifier)
        .session_store(None)
        .build()
        .unwrap();
    for _ in 0..3 {
        connect(&c, &s, "localhost").unwrap();
    }
    assert_eq!(
        kind(connect(&c, &s, "other.example")),
        CertificateErrorKind::NameMismatch
    );
}

/// A signing key that does not tell its public key.
#[derive(Debug)]
struct Opaque(Arc<dyn cloaktls::crypto::sign::SigningKey>);

impl cloaktls::crypto::sign::SigningKey for Opaque {
    fn kind(&self) -> cloaktls::crypto::sign::KeyKind {
        self.0.kind()
    }
    fn schemes(&self) -> &[cloaktls::SignatureScheme] {
        self.0.schemes()
    }
    fn sign(
        &self,
        scheme: cloaktls::SignatureScheme,
        message: &[u8],
    ) -> Result<Vec<u8>, cloaktls::Error> {
        self.0.sign(scheme, message)
    }
}
