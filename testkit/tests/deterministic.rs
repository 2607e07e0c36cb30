//! The deterministic configuration of `danger::fuzzing`: the same handshake
//! gives the same bytes on every run, so recorded flights replay; the fuzz
//! targets' seeds are such recordings.

use cloaktls::{ClientConnection, Connection, ServerConnection};
use cloaktls_testkit::deterministic::{
    client_config, ech_client_config, psk_client_config, server_config,
};
use std::sync::Arc;

/// Runs one deterministic handshake plus a little data; returns what the
/// client wrote and what the server wrote.
fn run() -> (Vec<u8>, Vec<u8>) {
    run_with(client_config().unwrap())
}

fn run_with(config: Arc<cloaktls::ClientConfig>) -> (Vec<u8>, Vec<u8>) {
    run_pair(config, server_config().unwrap())
}

fn run_pair(
    config: Arc<cloaktls::ClientConfig>,
    server: Arc<cloaktls::ServerConfig>,
) -> (Vec<u8>, Vec<u8>) {
    let mut c = ClientConnection::new(config, "localhost").unwrap();
    let mut s = ServerConnection::new(server).unwrap();
    let (mut from_client, mut from_server) = (Vec::new(), Vec::new());
    let step = |a: &mut Connection, b: &mut Connection, log: &mut Vec<u8>| {
        let out = a.pending_tls().to_vec();
        a.consume_tls(out.len());
        log.extend_from_slice(&out);
        assert_eq!(b.read_tls(&out).unwrap(), cloaktls::conn::Intake::All);
    };
    for _ in 0..4 {
        step(&mut c, &mut s, &mut from_client);
        step(&mut s, &mut c, &mut from_server);
    }
    assert!(!c.is_handshaking() && !s.is_handshaking());
    c.send(b"deterministic").unwrap();
    step(&mut c, &mut s, &mut from_client);
    (from_client, from_server)
}

#[test]
fn the_same_handshake_gives_the_same_bytes() {
    let a = run();
    let b = run();
    assert_eq!(a, b);
    assert!(a.0.len() > 100 && a.1.len() > 300);
}

#[test]
fn recorded_flights_replay_to_the_end() {
    let (from_client, from_server) = run();
    // The client, fed the server's recorded bytes, completes.
    let mut c = ClientConnection::new(client_config().unwrap(), "localhost").unwrap();
    assert_eq!(
        c.read_tls(&from_server).unwrap(),
        cloaktls::conn::Intake::All
    );
    assert!(!c.is_handshaking());
    // The server, fed the client's, completes and reads the data.
    let mut s = ServerConnection::new(server_config().unwrap()).unwrap();
    assert_eq!(
        s.read_tls(&from_client).unwrap(),
        cloaktls::conn::Intake::All
    );
    assert!(!s.is_handshaking());
    let mut buf = [0u8; 32];
    let n = match s.recv(&mut buf).unwrap() {
        cloaktls::conn::Received::Data(n) => n,
        other => panic!("{other:?}"),
    };
    assert_eq!(&buf[..n], b"deterministic");
    if std::env::var_os("CLOAK_WRITE_SEEDS").is_some() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz/corpus");
        for (target, bytes) in [("client", &from_server), ("server", &from_client)] {
            std::fs::create_dir_all(format!("{dir}/{target}")).unwrap();
            for chunk in [0xffu8, 7, 1] {
                let mut seed = vec![chunk];
                seed.extend_from_slice(bytes);
                std::fs::write(format!("{dir}/{target}/seed-chunk-{chunk}"), seed).unwrap();
            }
        }
    }
}

/// Raw public keys (RFC 7250) both ways, TLS 1.3 and 1.2: deterministic,
/// and the recorded flights take the RPK targets' client and server
/// (which offer and take both versions) through the certificate type
/// extensions and RawPublicKey Certificates: the seeds of `client_rpk`
/// (a server's flights) and `server_rpk` (a client's).
#[test]
fn recorded_raw_public_key_flights_replay_to_the_end() {
    use cloaktls::{CertificateType, ProtocolVersion};
    use cloaktls_testkit::deterministic::{rpk_client_config, rpk_server_config};
    use cloaktls_testkit::fuzz::{client_rpk, server_rpk};
    let both = [ProtocolVersion::TLSV1_3, ProtocolVersion::TLSV1_2];
    let v12 = [ProtocolVersion::TLSV1_2];
    // TLS 1.2 is chosen by the other side having nothing newer.
    for (name, client_versions, server_versions) in [
        ("tls13", &both[..], &both[..]),
        ("tls12", &v12[..], &both[..]),
        ("tls12", &both[..], &v12[..]),
    ] {
        let record = || {
            run_pair(
                rpk_client_config(client_versions).unwrap(),
                rpk_server_config(server_versions).unwrap(),
            )
        };
        let (from_client, from_server) = record();
        assert_eq!(record(), (from_client.clone(), from_server.clone()));
        let mut seeds = Vec::new();
        // The target's client is the one that recorded: the server's
        // flights take it to the end, through the server's raw public key.
        if client_versions == both {
            let mut c =
                ClientConnection::new(rpk_client_config(&both).unwrap(), "localhost").unwrap();
            assert_eq!(
                c.read_tls(&from_server).unwrap(),
                cloaktls::conn::Intake::All
            );
            assert!(!c.is_handshaking(), "{name}");
            assert_eq!(c.peer_certificate_type(), CertificateType::RAW_PUBLIC_KEY);
            assert!(client_rpk(&[&[0xff][..], &from_server].concat()) > 100);
            seeds.push(("client_rpk", &from_server));
        }
        // Likewise the target's server, through the client's key.
        if server_versions == both {
            let mut s = ServerConnection::new(rpk_server_config(&both).unwrap()).unwrap();
            assert_eq!(
                s.read_tls(&from_client).unwrap(),
                cloaktls::conn::Intake::All
            );
            assert!(!s.is_handshaking(), "{name}");
            assert_eq!(s.peer_certificate_type(), CertificateType::RAW_PUBLIC_KEY);
            assert!(s.peer_raw_public_key().is_some());
            assert!(server_rpk(&[&[0xff][..], &from_client].concat()) > 100);
            seeds.push(("server_rpk", &from_client));
        }
        if std::env::var_os("CLOAK_WRITE_SEEDS").is_some() {
            let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz/corpus");
            for (target, bytes) in seeds {
                std::fs::create_dir_all(format!("{dir}/{target}")).unwrap();
                for chunk in [0xffu8, 7, 1] {
                    let mut seed = vec![chunk];
                    seed.extend_from_slice(bytes);
                    std::fs::write(format!("{dir}/{target}/seed-{name}-chunk-{chunk}"), seed)
                        .unwrap();
                }
            }
        }
    }
}

/// The same with an external PSK (RFC 9846 §2.2): deterministic, selected
/// without a certificate, and the client's recorded flight takes the server
/// through the PSK store and the binder (the server target's PSK seeds).
#[test]
fn recorded_psk_flights_replay_to_the_end() {
    let (from_client, _) = run_with(psk_client_config().unwrap());
    assert_eq!(run_with(psk_client_config().unwrap()).0, from_client);
    let mut s = ServerConnection::new(server_config().unwrap()).unwrap();
    assert_eq!(
        s.read_tls(&from_client).unwrap(),
        cloaktls::conn::Intake::All
    );
    assert!(!s.is_handshaking());
    assert_eq!(s.external_psk_identity(), Some(&b"fuzz-psk"[..]));
    assert!(s.own_certificate().is_none());
    if std::env::var_os("CLOAK_WRITE_SEEDS").is_some() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz/corpus");
        for chunk in [0xffu8, 7] {
            let mut seed = vec![chunk];
            seed.extend_from_slice(&from_client);
            std::fs::write(format!("{dir}/server/seed-psk-chunk-{chunk}"), seed).unwrap();
        }
    }
}

/// The same with Encrypted Client Hello: deterministic, accepted, and the
/// client's recorded flight takes the server through decryption (the
/// server target's ECH seeds).
#[test]
fn recorded_ech_flights_replay_to_the_end() {
    let (from_client, _) = run_with(ech_client_config().unwrap());
    assert_eq!(run_with(ech_client_config().unwrap()).0, from_client);
    let mut s = ServerConnection::new(server_config().unwrap()).unwrap();
    assert_eq!(
        s.read_tls(&from_client).unwrap(),
        cloaktls::conn::Intake::All
    );
    assert!(!s.is_handshaking());
    assert_eq!(s.ech_status(), cloaktls::config::EchStatus::Accepted);
    assert_eq!(s.server_name(), Some("localhost"));
    let seeds = ech_seeds(&from_client);
    // The ECH target's seeds decode and round-trip.
    for (_, seed) in &seeds {
        assert!(cloaktls_testkit::fuzz::ech(seed));
    }
    if std::env::var_os("CLOAK_WRITE_SEEDS").is_some() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz/corpus");
        for chunk in [0xffu8, 7] {
            let mut seed = vec![chunk];
            seed.extend_from_slice(&from_client);
            std::fs::write(format!("{dir}/server/seed-ech-chunk-{chunk}"), seed).unwrap();
        }
        std::fs::create_dir_all(format!("{dir}/ech")).unwrap();
        for (name, seed) in seeds {
            std::fs::write(format!("{dir}/ech/{name}"), seed).unwrap();
        }
    }
}

/// Seeds for the ECH target, from the recorded ClientHelloOuter: the
/// server's ECHConfigList, the outer's encrypted_client_hello, and that
/// outer with a ClientHelloInner made from it (key_share compressed).
fn ech_seeds(from_client: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    use cloaktls::msgs::ech::EchClientHello;
    use cloaktls::msgs::enums::{ExtensionType, ProtocolVersion};
    use cloaktls::msgs::extensions::Extension;
    use cloaktls::msgs::handshake::{HandshakeMessage, HandshakePayload};
    let list = cloaktls_testkit::deterministic::ech_key()
        .unwrap()
        .config_list();
    // The first record holds the whole ClientHelloOuter.
    let len = usize::from(u16::from_be_bytes([from_client[3], from_client[4]]));
    let message = &from_client[5..5 + len];
    let HandshakePayload::ClientHello(outer) =
        HandshakeMessage::decode(message, ProtocolVersion::TLSV1_3)
            .unwrap()
            .payload
    else {
        panic!("not a ClientHello");
    };
    let ech = outer
        .extensions
        .iter()
        .find_map(|e| match e {
            Extension::EncryptedClientHello(b) => Some(b.clone()),
            _ => None,
        })
        .unwrap();
    let mut inner = outer.clone();
    inner.extensions.retain(|e| {
        !matches!(
            e.typ(),
            ExtensionType::ENCRYPTED_CLIENT_HELLO | ExtensionType::SUPPORTED_VERSIONS
        )
    });
    inner
        .extensions
        .push(Extension::SupportedVersionsClient(vec![
            ProtocolVersion::TLSV1_3,
        ]));
    inner.extensions.push(Extension::EncryptedClientHello(
        EchClientHello::Inner.encode(),
    ));
    let encoded =
        cloaktls::danger::replay::encode_ech_inner(&inner, &[ExtensionType::KEY_SHARE], 40);
    assert_eq!(
        cloaktls::danger::replay::decode_ech_inner(&encoded, &outer).unwrap(),
        inner
    );
    let body = outer.body_encoding();
    let mut pair = vec![2];
    pair.extend_from_slice(&(body.len() as u16).to_be_bytes());
    pair.extend_from_slice(&body);
    pair.extend_from_slice(&encoded);
    vec![
        ("seed-config-list", [&[0u8][..], &list].concat()),
        ("seed-client-hello-extension", [&[1u8][..], &ech].concat()),
        ("seed-inner-outer", pair),
    ]
}
