//! External PSKs for TLS 1.3 (RFC 9846 §2.2, §4.3.9, §4.3.11; RFC 9258),
//! in memory: the matrix (groups, psk_ke, hashes, a PSK beside a
//! certificate, several identities, tickets beside external PSKs, imported
//! PSKs, 0-RTT), and the refusals, each with its typed error and alert.

mod common;
use cloaktls::config::{
    ClientConfigBuilder, ExternalPsk, ExternalPskStore, MemoryPskStore, MessageShaper,
    ServerConfigBuilder,
};
use cloaktls::crypto::HashAlgorithm;
use cloaktls::danger;
use cloaktls::msgs::enums::{ExtensionType, PskKeyExchangeMode};
use cloaktls::msgs::extensions::Extension;
use cloaktls::msgs::handshake::HandshakePayload;
use cloaktls::session::{ClientSessionStore, MemorySessionCache};
use cloaktls::verify::TimeSource;
use cloaktls::{
    AlertDescription, CipherSuite, ClientConfig, ClientConnection, Error, NamedGroup,
    ProtocolVersion, PskProblem, ServerConfig, ServerConnection,
};
use common::*;
use pki_types::UnixTime;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

const KEY_A: [u8; 32] = [0x11; 32];
const KEY_B: [u8; 32] = [0x22; 32];
const KEY_384: [u8; 48] = [0x33; 48];

fn psk(id: &str, key: &[u8]) -> ExternalPsk {
    ExternalPsk::new(id.as_bytes(), key).unwrap()
}

fn store(psks: impl IntoIterator<Item = ExternalPsk>) -> Arc<dyn ExternalPskStore> {
    Arc::new(MemoryPskStore::new(psks).unwrap())
}

fn psk_server(psks: Vec<ExternalPsk>) -> ServerConfigBuilder {
    ServerConfig::builder_psk_only(store(psks))
}

fn psk_client(first: ExternalPsk) -> ClientConfigBuilder {
    ClientConfig::builder_psk_only(first)
}

/// The connections after a handshake, or the client's and server's
/// results when either failed.
type Outcome = Result<(ClientConnection, ServerConnection), (Result<(), Error>, Result<(), Error>)>;

/// Handshakes, then a byte each way (so that tickets arrive). Returns
/// the connections, or the client's and server's errors.
fn run(c: ClientConfigBuilder, s: ServerConfigBuilder) -> Outcome {
    connect(&c.build().unwrap(), &s.build().unwrap())
}

fn connect(c: &Arc<ClientConfig>, s: &Arc<ServerConfig>) -> Outcome {
    let mut cc = ClientConnection::new(c.clone(), "localhost").unwrap();
    let mut sc = ServerConnection::new(s.clone()).unwrap();
    let (cr, sr) = handshake(&mut cc, &mut sc);
    if cr.is_err() || sr.is_err() {
        return Err((cr, sr));
    }
    assert_eq!(send_and_receive(&mut sc, &mut cc, b"s"), b"s");
    assert_eq!(send_and_receive(&mut cc, &mut sc, b"c"), b"c");
    Ok((cc, sc))
}

fn ok(r: Outcome) -> (ClientConnection, ServerConnection) {
    match r {
        Ok(pair) => pair,
        Err((c, s)) => panic!("client {c:?}, server {s:?}"),
    }
}

fn failed(r: Outcome) -> (Result<(), Error>, Result<(), Error>) {
    match r {
        Ok(_) => panic!("the handshake succeeded"),
        Err(e) => e,
    }
}

/// Both sides agree that `id` authenticated them, without certificates.
fn assert_psk(c: &ClientConnection, s: &ServerConnection, id: &[u8]) {
    assert_eq!(c.external_psk_identity(), Some(id));
    assert_eq!(s.external_psk_identity(), Some(id));
    assert!(c.peer_certificates().is_empty());
    assert!(c.own_certificate().is_none() && s.own_certificate().is_none());
    assert!(!c.is_resumed() && !s.is_resumed());
    assert_eq!(c.protocol_version(), Some(ProtocolVersion::TLSV1_3));
    // Both sides have the same keys.
    let (mut a, mut b) = ([0u8; 32], [0u8; 32]);
    c.export_keying_material(&mut a, b"EXPORTER-psk", None)
        .unwrap();
    s.export_keying_material(&mut b, b"EXPORTER-psk", None)
        .unwrap();
    assert_eq!(a, b);
}

// ---- the matrix ----

#[test]
fn psk_dhe_ke_with_every_group() {
    let groups = [
        None,
        Some(NamedGroup::X25519_MLKEM768),
        Some(NamedGroup::SECP256R1_MLKEM768),
        Some(NamedGroup::SECP384R1_MLKEM1024),
        Some(NamedGroup::X25519),
        Some(NamedGroup::SECP256R1),
        Some(NamedGroup::SECP384R1),
    ];
    for g in groups {
        let mut c = psk_client(psk("client1", &KEY_A));
        let mut s = psk_server(vec![psk("client1", &KEY_A)]);
        if let Some(g) = g {
            c = c.groups(&[g]);
            s = s.groups(&[g]);
        }
        let (cc, sc) = ok(run(c, s));
        assert_psk(&cc, &sc, b"client1");
        // psk_dhe_ke: a key exchange, the hybrid by default.
        let want = g.unwrap_or(NamedGroup::X25519_MLKEM768);
        assert_eq!(cc.key_exchange_group(), Some(want), "{g:?}");
        assert_eq!(sc.key_exchange_group(), Some(want), "{g:?}");
    }
}

#[test]
fn psk_ke_only_when_both_sides_allow_it() {
    let client = || danger::allow_psk_ke_client(psk_client(psk("id", &KEY_A)));
    let server = || danger::allow_psk_ke_server(psk_server(vec![psk("id", &KEY_A)]));
    // Both allow it: no key exchange at all.
    let (cc, sc) = ok(run(client(), server()));
    assert_psk(&cc, &sc, b"id");
    assert_eq!(cc.key_exchange_group(), None);
    assert_eq!(sc.key_exchange_group(), None);
    // One side only: psk_dhe_ke.
    for (c, s) in [
        (client(), psk_server(vec![psk("id", &KEY_A)])),
        (psk_client(psk("id", &KEY_A)), server()),
    ] {
        let (cc, sc) = ok(run(c, s));
        assert_psk(&cc, &sc, b"id");
        assert!(cc.key_exchange_group().is_some());
    }
}

#[test]
fn sha384_and_sha256_psks_steer_the_suite() {
    // The server prefers AES-128 (SHA-256); a SHA-384 PSK makes it pick
    // the SHA-384 suite (RFC 9846 §4.3.11).
    let p384 = || psk("big", &KEY_384).with_hash(HashAlgorithm::Sha384);
    let (cc, sc) = ok(run(psk_client(p384()), psk_server(vec![p384()])));
    assert_psk(&cc, &sc, b"big");
    assert_eq!(
        cc.cipher_suite(),
        Some(CipherSuite::TLS13_AES_256_GCM_SHA384)
    );
    for suite in [
        CipherSuite::TLS13_AES_128_GCM_SHA256,
        CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
    ] {
        let (cc, sc) = ok(run(
            psk_client(psk("small", &KEY_A)).cipher_suites(&[suite]),
            psk_server(vec![psk("small", &KEY_A)]),
        ));
        assert_psk(&cc, &sc, b"small");
        assert_eq!(cc.cipher_suite(), Some(suite));
    }
    // A SHA-384 PSK and only SHA-256 suites is a configuration error.
    assert!(psk_client(p384())
        .cipher_suites(&[CipherSuite::TLS13_AES_128_GCM_SHA256])
        .build()
        .is_err());
}

#[test]
fn a_server_with_a_certificate_and_psks() {
    let pki = Pki::new("CA");
    let s = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
        .external_psks(store([psk("iot-7", &KEY_A)]))
        .build()
        .unwrap();
    // A client with the PSK (and roots) is served by PSK: no certificate.
    let c = ClientConfig::builder(pki.roots())
        .external_psk(psk("iot-7", &KEY_A))
        .build()
        .unwrap();
    let (cc, sc) = ok(connect(&c, &s));
    assert_psk(&cc, &sc, b"iot-7");
    // A client without it gets the certificate.
    let c = ClientConfig::builder(pki.roots()).build().unwrap();
    let (cc, sc) = ok(connect(&c, &s));
    assert!(!cc.peer_certificates().is_empty());
    assert_eq!(sc.external_psk_identity(), None);
    // A client with an unknown PSK falls back to the certificate too.
    let c = ClientConfig::builder(pki.roots())
        .external_psk(psk("stranger", &KEY_B))
        .build()
        .unwrap();
    let (cc, sc) = ok(connect(&c, &s));
    assert!(!cc.peer_certificates().is_empty());
    assert_eq!(cc.external_psk_identity(), None);
    assert_eq!(sc.external_psk_identity(), None);
}

#[test]
fn the_first_identity_the_server_knows_is_selected() {
    let (cc, sc) = ok(run(
        psk_client(psk("first", &KEY_A)).external_psk(psk("second", &KEY_B)),
        psk_server(vec![psk("second", &KEY_B), psk("third", &KEY_A)]),
    ));
    assert_psk(&cc, &sc, b"second");
    // Both known: the client's order.
    let (cc, sc) = ok(run(
        psk_client(psk("first", &KEY_A)).external_psk(psk("second", &KEY_B)),
        psk_server(vec![psk("second", &KEY_B), psk("first", &KEY_A)]),
    ));
    assert_psk(&cc, &sc, b"first");
}

#[test]
fn imported_psks_rfc9258() {
    let imported = |ctx: &[u8]| psk("epsk", &KEY_A).imported(ctx).unwrap();
    // Imported for each suite hash; the server's suite order picks SHA-256.
    let (cc, sc) = ok(run(
        psk_client(imported(b"roles")),
        psk_server(vec![imported(b"roles")]),
    ));
    assert_psk(&cc, &sc, b"epsk");
    // With only SHA-384 suites on the server, the SHA-384 import is used.
    let (cc, sc) = ok(run(
        psk_client(imported(b"roles")),
        psk_server(vec![imported(b"roles")])
            .cipher_suites(&[CipherSuite::TLS13_AES_256_GCM_SHA384]),
    ));
    assert_psk(&cc, &sc, b"epsk");
    assert_eq!(
        cc.cipher_suite(),
        Some(CipherSuite::TLS13_AES_256_GCM_SHA384)
    );
    // Another context, or one side importing and the other not, is
    // another PSK (RFC 9258 §5.2).
    for (c, s) in [
        (imported(b"roles"), imported(b"other")),
        (imported(b"roles"), psk("epsk", &KEY_A)),
        (psk("epsk", &KEY_A), imported(b"roles")),
    ] {
        let (cr, sr) = failed(run(psk_client(c), psk_server(vec![s])));
        assert_eq!(sr, Err(Error::Psk(PskProblem::UnknownIdentity)));
        assert_eq!(
            cr,
            Err(Error::AlertReceived(AlertDescription::UNKNOWN_PSK_IDENTITY))
        );
    }
}

#[test]
fn the_importer_derivation_against_an_independent_hkdf() {
    // RFC 9258 §5.1 with ring's HKDF directly: ImportedIdentity, then
    // epskx = HKDF-Extract(0, epsk), ipskx = HKDF-Expand-Label(epskx,
    // "derived psk", Hash(ImportedIdentity), L). RFC 9258 has no test
    // vectors; BoGo's PSK family checks interop with BoringSSL's runner.
    use ring::{digest, hkdf};
    struct Len(usize);
    impl hkdf::KeyType for Len {
        fn len(&self) -> usize {
            self.0
        }
    }
    let epsk_hash = HashAlgorithm::Sha384;
    let p = psk("node-a", &KEY_A)
        .with_hash(epsk_hash)
        .imported(b"ctx")
        .unwrap();
    for (target, kdf, len) in [
        (HashAlgorithm::Sha256, 1u16, 32usize),
        (HashAlgorithm::Sha384, 2, 48),
    ] {
        let got = p.import_for(target).unwrap();
        let mut identity = Vec::new();
        identity.extend_from_slice(&6u16.to_be_bytes());
        identity.extend_from_slice(b"node-a");
        identity.extend_from_slice(&3u16.to_be_bytes());
        identity.extend_from_slice(b"ctx");
        identity.extend_from_slice(&0x0304u16.to_be_bytes());
        identity.extend_from_slice(&kdf.to_be_bytes());
        assert_eq!(got.identity, identity);
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA384, &[0u8; 48]).extract(&KEY_A);
        let context = digest::digest(&digest::SHA384, &identity);
        let label = b"tls13 derived psk";
        let info: [&[u8]; 5] = [
            &(len as u16).to_be_bytes(),
            &[label.len() as u8],
            label,
            &[context.as_ref().len() as u8],
            context.as_ref(),
        ];
        let mut want = vec![0u8; len];
        prk.expand(&info, Len(len))
            .unwrap()
            .fill(&mut want)
            .unwrap();
        assert_eq!(got.secret.as_bytes(), &want[..]);
        assert_eq!(got.hash, target);
    }
}

/// A clock the test moves by hand.
#[derive(Debug)]
struct Clock(AtomicU64);

impl TimeSource for Clock {
    fn now(&self) -> UnixTime {
        UnixTime::since_unix_epoch(Duration::from_secs(self.0.load(Ordering::SeqCst)))
    }
}

#[test]
fn tickets_and_external_psks_in_one_hello() {
    let sessions = Arc::new(MemorySessionCache::new(4));
    let c = psk_client(psk("id", &KEY_A))
        .session_store(Some(sessions.clone()))
        .build()
        .unwrap();
    let s = psk_server(vec![psk("id", &KEY_A)]).build().unwrap();
    let (cc, sc) = ok(connect(&c, &s));
    assert_psk(&cc, &sc, b"id");
    // The ticket goes first, the external PSK after: the server resumes,
    // and both still know which PSK authenticated the session.
    let (cc, sc) = ok(connect(&c, &s));
    assert!(cc.is_resumed() && sc.is_resumed());
    assert_eq!(cc.external_psk_identity(), Some(&b"id"[..]));
    assert_eq!(sc.external_psk_identity(), Some(&b"id"[..]));
    // A server that knows no ticket of ours (fresh keys) takes the PSK.
    let other = psk_server(vec![psk("id", &KEY_A)]).build().unwrap();
    let (cc, sc) = ok(connect(&c, &other));
    assert_psk(&cc, &sc, b"id");
    assert!(sessions
        .take_tls13(&c.session_key("localhost").unwrap())
        .is_some());
}

#[test]
fn zero_rtt_with_an_external_psk() {
    let clock = Arc::new(Clock(AtomicU64::new(1_800_000_000)));
    let early = || {
        psk("early", &KEY_A)
            .with_early_data(1000, CipherSuite::TLS13_AES_128_GCM_SHA256, Some(b"h2"))
            .unwrap()
    };
    let s = psk_server(vec![early()])
        .max_early_data(4000)
        .alpn_protocols(["h2"])
        .time(clock.clone())
        .build()
        .unwrap();
    let c = psk_client(early())
        .early_data(true)
        .alpn_protocols(["h2"])
        .session_store(None)
        .time(clock.clone())
        .build()
        .unwrap();
    // The anti-replay register refuses 0-RTT for its first window.
    clock.0.fetch_add(30, Ordering::SeqCst);
    let attempt = || {
        let mut cc = ClientConnection::new(c.clone(), "localhost").unwrap();
        assert_eq!(cc.send_early_data(&[5u8; 3000]).unwrap(), 1000);
        let hello = cc.pending_tls().to_vec();
        let mut sc = ServerConnection::new(s.clone()).unwrap();
        let (cr, sr) = handshake(&mut cc, &mut sc);
        cr.unwrap();
        sr.unwrap();
        (cc, sc, hello)
    };
    let (mut cc, mut sc, hello) = attempt();
    assert_eq!(cc.early_data_accepted(), Some(true));
    assert_eq!(sc.early_data_accepted(), Some(true));
    assert_eq!(read_all(&mut sc), vec![5u8; 1000]);
    assert_psk(&cc, &sc, b"early");
    assert_eq!(send_and_receive(&mut cc, &mut sc, b"1-rtt"), b"1-rtt");
    // The same hello again: a replay, its early data refused.
    let mut replay = ServerConnection::new(s.clone()).unwrap();
    let _ = replay.read_tls(&hello);
    assert_eq!(replay.early_data_accepted(), Some(false));
    // A PSK not provisioned for 0-RTT sends none.
    let c = psk_client(psk("early", &KEY_A))
        .early_data(true)
        .alpn_protocols(["h2"])
        .build()
        .unwrap();
    let mut cc = ClientConnection::new(c, "localhost").unwrap();
    assert!(cc.send_early_data(b"x").is_err() || cc.early_data_accepted().is_none());
}

// ---- refusals ----

#[test]
fn a_wrong_key_is_decrypt_error_from_the_binder() {
    let (cr, sr) = failed(run(
        psk_client(psk("id", &KEY_A)),
        psk_server(vec![psk("id", &KEY_B)]),
    ));
    assert_eq!(sr, Err(Error::Psk(PskProblem::BadBinder)));
    assert_eq!(
        sr.unwrap_err().alert(),
        Some(AlertDescription::DECRYPT_ERROR)
    );
    assert_eq!(
        cr,
        Err(Error::AlertReceived(AlertDescription::DECRYPT_ERROR))
    );
    // A server with a certificate does not fall back: the binder is checked
    // for the PSK it chose, and a wrong one ends the handshake.
    let pki = Pki::new("CA");
    let s = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
        .external_psks(store([psk("id", &KEY_B)]))
        .build()
        .unwrap();
    let c = ClientConfig::builder(pki.roots())
        .external_psk(psk("id", &KEY_A))
        .build()
        .unwrap();
    let (_, sr) = failed(connect(&c, &s));
    assert_eq!(sr, Err(Error::Psk(PskProblem::BadBinder)));
}

#[test]
fn a_binder_of_another_length_is_decrypt_error() {
    // The client's PSK is provisioned with SHA-384 (a 48-byte binder), the
    // server's with SHA-256 (32 bytes).
    let (_, sr) = failed(run(
        psk_client(psk("id", &KEY_384).with_hash(HashAlgorithm::Sha384)),
        psk_server(vec![psk("id", &KEY_384)]),
    ));
    assert_eq!(sr, Err(Error::Psk(PskProblem::BadBinder)));
}

#[test]
fn an_unknown_identity_without_a_certificate_is_unknown_psk_identity() {
    let (cr, sr) = failed(run(
        psk_client(psk("who", &KEY_A)),
        psk_server(vec![psk("id", &KEY_A)]),
    ));
    assert_eq!(sr, Err(Error::Psk(PskProblem::UnknownIdentity)));
    assert_eq!(
        cr,
        Err(Error::AlertReceived(AlertDescription::UNKNOWN_PSK_IDENTITY))
    );
    // Known, but for another hash than any suite the client offers.
    let (_, sr) = failed(run(
        psk_client(psk("id", &KEY_A)).cipher_suites(&[CipherSuite::TLS13_AES_128_GCM_SHA256]),
        psk_server(vec![psk("id", &KEY_A).with_hash(HashAlgorithm::Sha384)]),
    ));
    assert_eq!(sr, Err(Error::Psk(PskProblem::NoCompatiblePsk)));
    assert_eq!(
        Error::Psk(PskProblem::NoCompatiblePsk).alert(),
        Some(AlertDescription::HANDSHAKE_FAILURE)
    );
}

#[test]
fn a_psk_only_server_refuses_a_client_without_psks() {
    let pki = Pki::new("CA");
    let c = ClientConfig::builder(pki.roots()).build().unwrap();
    let s = psk_server(vec![psk("id", &KEY_A)]).build().unwrap();
    let (cr, sr) = failed(connect(&c, &s));
    assert_eq!(sr, Err(Error::Psk(PskProblem::NoPskOffered)));
    assert_eq!(
        cr,
        Err(Error::AlertReceived(AlertDescription::HANDSHAKE_FAILURE))
    );
    // TLS 1.2 alone: protocol_version (a PSK-only server is TLS 1.3 only).
    let c = ClientConfig::builder(pki.roots())
        .versions(&[ProtocolVersion::TLSV1_2])
        .build()
        .unwrap();
    let (_, sr) = failed(connect(&c, &s));
    assert_eq!(
        sr.unwrap_err().alert(),
        Some(AlertDescription::PROTOCOL_VERSION)
    );
}

#[test]
fn a_psk_only_client_refuses_a_certificate() {
    let pki = Pki::new("CA");
    let s = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
        .build()
        .unwrap();
    // Without signature_algorithms (RFC 9846 §9.2 lets a hello with a PSK
    // leave it out) the server cannot use its certificate.
    let c = psk_client(psk("id", &KEY_A)).build().unwrap();
    let (cr, sr) = failed(connect(&c, &s));
    assert_eq!(
        sr.unwrap_err().alert(),
        Some(AlertDescription::MISSING_EXTENSION)
    );
    assert!(cr.is_err());
    // With it, the server sends a certificate, which the client refuses.
    let c = danger::replay::shape_client_messages(
        psk_client(psk("id", &KEY_A)),
        Arc::new(Shaper(add_signature_algorithms)),
    )
    .build()
    .unwrap();
    let (cr, _) = failed(connect(&c, &s));
    assert_eq!(cr, Err(Error::Psk(PskProblem::PskRequired)));
    assert_eq!(
        Error::Psk(PskProblem::PskRequired).alert(),
        Some(AlertDescription::MISSING_EXTENSION)
    );
    // A PSK-only client is TLS 1.3 only.
    assert!(psk_client(psk("id", &KEY_A))
        .versions(&[ProtocolVersion::TLSV1_3, ProtocolVersion::TLSV1_2])
        .build()
        .is_err());
}

/// Rewrites a message before it is sent (and before a ClientHello's
/// binders are computed).
#[derive(Debug)]
struct Shaper(fn(&mut HandshakePayload));

impl MessageShaper for Shaper {
    fn shape(&self, message: &mut HandshakePayload) {
        (self.0)(message)
    }
}

fn psk_ke_only(m: &mut HandshakePayload) {
    if let HandshakePayload::ClientHello(ch) = m {
        for e in ch.extensions.iter_mut() {
            if let Extension::PskKeyExchangeModes(modes) = e {
                *modes = vec![PskKeyExchangeMode::PSK_KE];
            }
        }
    }
}

#[test]
fn psk_ke_alone_is_refused_where_not_allowed() {
    let client = || {
        danger::replay::shape_client_messages(
            danger::allow_psk_ke_client(psk_client(psk("id", &KEY_A))),
            Arc::new(Shaper(psk_ke_only)),
        )
    };
    // PSK only: no mode in common.
    let (cr, sr) = failed(run(client(), psk_server(vec![psk("id", &KEY_A)])));
    assert_eq!(sr, Err(Error::Psk(PskProblem::NoSupportedMode)));
    assert_eq!(
        cr,
        Err(Error::AlertReceived(AlertDescription::HANDSHAKE_FAILURE))
    );
    // Allowed on the server: psk_ke.
    let (cc, _) = ok(run(
        client(),
        danger::allow_psk_ke_server(psk_server(vec![psk("id", &KEY_A)])),
    ));
    assert_eq!(cc.key_exchange_group(), None);
}

fn add_signature_algorithms(m: &mut HandshakePayload) {
    if let HandshakePayload::ClientHello(ch) = m {
        let at = ch.extensions.len() - 1;
        let schemes = cloaktls::config::supported_signature_schemes();
        ch.extensions
            .insert(at, Extension::SignatureAlgorithms(schemes));
    }
}

fn select_identity_9(m: &mut HandshakePayload) {
    if let HandshakePayload::ServerHello(sh) = m {
        for e in sh.extensions.iter_mut() {
            if let Extension::PreSharedKeyServer(i) = e {
                *i = 9;
            }
        }
    }
}

fn drop_key_share(m: &mut HandshakePayload) {
    if let HandshakePayload::ServerHello(sh) = m {
        sh.extensions
            .retain(|e| e.typ() != ExtensionType::KEY_SHARE);
    }
}

#[test]
fn the_client_checks_the_servers_selection() {
    // selected_identity out of range: illegal_parameter.
    let s = danger::replay::shape_server_messages(
        psk_server(vec![psk("id", &KEY_A)]),
        Arc::new(Shaper(select_identity_9)),
    );
    let (cr, _) = failed(run(psk_client(psk("id", &KEY_A)), s));
    let e = cr.unwrap_err();
    assert_eq!(
        e,
        Error::Psk(PskProblem::SelectedIdentityOutOfRange {
            selected: 9,
            offered: 1
        })
    );
    assert_eq!(e.alert(), Some(AlertDescription::ILLEGAL_PARAMETER));
    // psk_ke where we offered only psk_dhe_ke: illegal_parameter.
    let s = danger::replay::shape_server_messages(
        psk_server(vec![psk("id", &KEY_A)]),
        Arc::new(Shaper(drop_key_share)),
    );
    let (cr, _) = failed(run(psk_client(psk("id", &KEY_A)), s));
    assert_eq!(cr, Err(Error::Psk(PskProblem::KeyShareRequired)));
}

#[test]
fn after_a_hello_retry_request_the_binders_are_recomputed() {
    // The client's first share is X25519; the server wants P-256.
    let (cc, sc) = ok(run(
        psk_client(psk("id", &KEY_A))
            .groups(&[NamedGroup::X25519, NamedGroup::SECP256R1])
            .external_psk(psk("big", &KEY_384).with_hash(HashAlgorithm::Sha384)),
        psk_server(vec![psk("big", &KEY_384).with_hash(HashAlgorithm::Sha384)])
            .groups(&[NamedGroup::SECP256R1]),
    ));
    assert_psk(&cc, &sc, b"big");
    assert_eq!(cc.key_exchange_group(), Some(NamedGroup::SECP256R1));
}

#[test]
fn secrets_stay_out_of_debug() {
    let p = psk("visible-id", &[0x5a; 32]);
    let c = psk_client(p.clone()).build().unwrap();
    let s = psk_server(vec![p.clone()]).build().unwrap();
    for shown in [format!("{p:?}"), format!("{c:?}"), format!("{s:?}")] {
        assert!(!shown.contains("90, 90"), "{shown}");
        assert!(!shown.to_lowercase().contains("5a5a"), "{shown}");
    }
    assert!(format!("{p:?}").contains("visible-id"));
}
