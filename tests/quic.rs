//! The QUIC handshake (RFC 9001) between a cloaktls client and server in
//! memory: handshake bytes moved level by level, the keys each side gets
//! checked against the other's, transport parameters both ways, ALPN,
//! resumption with 0-RTT, HelloRetryRequest, key updates, and the errors
//! QUIC defines (CRYPTO_ERROR codes, PROTOCOL_VIOLATION).

mod common;

use cloaktls::config::{ClientConfigBuilder, ServerConfigBuilder};
use cloaktls::quic::{
    ClientConnection, Connection, KeyChange, Keys, Level, Output, PacketKey, QuicClientConfig,
    QuicError, QuicServerConfig, QuicTraceEvent, Secrets, ServerConnection, TransportErrorCode,
    Version,
};
use cloaktls::{AlertDescription, ClientConfig, NamedGroup, Role, ServerConfig};
use common::*;
use std::sync::Arc;

/// What one side collected: the keys of each level and the 1-RTT secrets.
#[derive(Default)]
struct Collected {
    handshake: Option<Keys>,
    one_rtt: Option<Keys>,
    next: Option<Secrets>,
    /// The levels of the handshake bytes it sent, in order.
    sent_levels: Vec<Level>,
}

/// Moves everything `from` has to say into `to`; false if it had nothing.
fn pump(
    from: &mut Connection,
    into: &mut Collected,
    to: &mut Connection,
) -> Result<bool, QuicError> {
    let mut any = false;
    while let Some(out) = from.next_output() {
        any = true;
        match out {
            Output::Handshake { level, data } => {
                into.sent_levels.push(level);
                to.read_handshake(level, &data)?;
            }
            Output::Keys(k) => match *k {
                KeyChange::Handshake { keys } => into.handshake = Some(keys),
                KeyChange::OneRtt { keys, next } => {
                    into.one_rtt = Some(keys);
                    into.next = Some(next);
                }
            },
        }
    }
    Ok(any)
}

/// Runs the handshake to the end (or the first error).
fn run(c: &mut Connection, s: &mut Connection) -> Result<(Collected, Collected), QuicError> {
    let (mut cc, mut sc) = (Collected::default(), Collected::default());
    loop {
        let a = pump(c, &mut cc, s)?;
        let b = pump(s, &mut sc, c)?;
        if !a && !b {
            return Ok((cc, sc));
        }
    }
}

fn tls_server(
    pki: &Pki,
    f: impl FnOnce(ServerConfigBuilder) -> ServerConfigBuilder,
) -> Arc<ServerConfig> {
    f(
        ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
            .alpn_protocols(["h3"]),
    )
    .build()
    .unwrap()
}

fn tls_client(
    pki: &Pki,
    f: impl FnOnce(ClientConfigBuilder) -> ClientConfigBuilder,
) -> Arc<ClientConfig> {
    f(ClientConfig::builder(pki.roots()).alpn_protocols(["h3"]))
        .build()
        .unwrap()
}

fn connections(
    client: Arc<ClientConfig>,
    server: Arc<ServerConfig>,
    v: Version,
) -> (ClientConnection, ServerConnection) {
    let c = ClientConnection::new(
        QuicClientConfig::new(client).unwrap(),
        v,
        "localhost",
        b"client params".to_vec(),
    )
    .unwrap();
    let s = ServerConnection::new(
        QuicServerConfig::new(server).unwrap(),
        v,
        b"server params".to_vec(),
    );
    (c, s)
}

/// A packet sealed with `a` opens with `b`.
fn same_packet_key(a: &PacketKey, b: &PacketKey) {
    let header = [0x40u8, 1, 2, 3];
    let mut packet = [header.as_slice(), b"some frames", &[0; 16]].concat();
    a.encrypt_in_place(7, &mut packet, header.len()).unwrap();
    let n = b.decrypt_in_place(7, &mut packet, header.len()).unwrap();
    assert_eq!(&packet[4..4 + n], b"some frames");
}

fn same_keys(a: &Keys, b: &Keys) {
    same_packet_key(&a.local.packet, &b.remote.packet);
    same_packet_key(&b.local.packet, &a.remote.packet);
    let sample = [9u8; 16];
    assert_eq!(
        a.local.header.mask(&sample).unwrap(),
        b.remote.header.mask(&sample).unwrap()
    );
}

#[test]
fn full_handshake_v1_and_v2() {
    let pki = Pki::new("quic ca");
    for v in [Version::V1, Version::V2] {
        let (mut c, mut s) = connections(tls_client(&pki, |b| b), tls_server(&pki, |b| b), v);
        assert_eq!(c.write_level(), Level::Initial);
        let (cc, sc) = run(&mut c, &mut s).unwrap();
        assert!(!c.is_handshaking() && !s.is_handshaking());
        // ClientHello at Initial; Finished at Handshake.
        assert_eq!(cc.sent_levels, [Level::Initial, Level::Handshake]);
        // ServerHello at Initial; EE..Finished at Handshake; the tickets
        // at 1-RTT.
        assert_eq!(
            sc.sent_levels,
            [Level::Initial, Level::Handshake, Level::OneRtt]
        );
        assert_eq!(c.transport_parameters(), Some(&b"server params"[..]));
        assert_eq!(s.transport_parameters(), Some(&b"client params"[..]));
        assert_eq!(c.alpn_protocol(), Some(&b"h3"[..]));
        assert_eq!(s.server_name(), Some("localhost"));
        assert_eq!(c.peer_certificates().len(), 1);
        assert_eq!(c.read_level(), Level::OneRtt);
        assert_eq!(s.read_level(), Level::OneRtt);
        same_keys(
            cc.handshake.as_ref().unwrap(),
            sc.handshake.as_ref().unwrap(),
        );
        same_keys(cc.one_rtt.as_ref().unwrap(), sc.one_rtt.as_ref().unwrap());
        // Key updates, both directions, several generations (RFC 9001 §6).
        let (mut cn, mut sn) = (cc.next.unwrap(), sc.next.unwrap());
        for _ in 0..3 {
            let (ck, sk) = (cn.next_packet_keys(), sn.next_packet_keys());
            same_packet_key(&ck.local, &sk.remote);
            same_packet_key(&sk.local, &ck.remote);
        }
        // Exporters agree.
        let (mut a, mut b) = ([0u8; 32], [0u8; 32]);
        c.export_keying_material(&mut a, b"EXPERIMENTAL quic", b"ctx")
            .unwrap();
        s.export_keying_material(&mut b, b"EXPERIMENTAL quic", b"ctx")
            .unwrap();
        assert_eq!(a, b);
        assert_eq!(c.version(), v);
    }
}

#[test]
fn the_client_hello_has_no_compatibility_mode_and_offers_tls13_only() {
    let pki = Pki::new("quic ca");
    // Even a TLS configuration that allows TLS 1.2 and compatibility mode.
    let client = tls_client(&pki, |b| b.compatibility_mode(true));
    let (mut c, _) = connections(client, tls_server(&pki, |b| b), Version::V1);
    let Some(Output::Handshake { level, data }) = c.next_output() else {
        panic!("no ClientHello");
    };
    assert_eq!(level, Level::Initial);
    // legacy_session_id (after type, length, version and random) is empty.
    assert_eq!(data[4 + 2 + 32], 0);
    // supported_versions lists 0x0304 alone; quic_transport_parameters
    // (0x0039) carries our parameters.
    let hex = hex::encode(&data);
    assert!(hex.contains("002b0003020304"), "{hex}");
    assert!(hex.contains(&format!("0039000d{}", hex::encode(b"client params"))));
}

#[test]
fn configurations_without_tls13_are_refused() {
    let pki = Pki::new("quic ca");
    let c = tls_client(&pki, |b| b.versions(&[cloaktls::ProtocolVersion::TLSV1_2]));
    assert!(QuicClientConfig::new(c).is_err());
    let s = tls_server(&pki, |b| b.versions(&[cloaktls::ProtocolVersion::TLSV1_2]));
    assert!(QuicServerConfig::new(s).is_err());
    // TLS 1.3 allowed, but only TLS 1.2 suites.
    let c = tls_client(&pki, |b| {
        b.cipher_suites(&[cloaktls::CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256])
    });
    assert!(QuicClientConfig::new(c).is_err());
}

fn expect_code(r: Result<(Collected, Collected), QuicError>, code: u64) -> QuicError {
    match r {
        Err(e) => {
            assert_eq!(e.code(), TransportErrorCode(code), "{e}");
            e
        }
        Ok(_) => panic!("the handshake succeeded"),
    }
}

#[test]
fn alpn_is_required() {
    let pki = Pki::new("quic ca");
    // No common protocol: the server refuses with 0x178.
    let client = tls_client(&pki, |b| b.alpn_protocols(["h2"]));
    let (mut c, mut s) = connections(client, tls_server(&pki, |b| b), Version::V1);
    expect_code(run(&mut c, &mut s), 0x178);
    assert_eq!(s.alert(), Some(AlertDescription::NO_APPLICATION_PROTOCOL));
    // The client offers none: the same (RFC 9001 §8.1).
    let client = tls_client(&pki, |b| b.alpn_protocols(Vec::<&str>::new()));
    let (mut c, mut s) = connections(client, tls_server(&pki, |b| b), Version::V1);
    expect_code(run(&mut c, &mut s), 0x178);
    // The server has none: it agrees on nothing either.
    let server = tls_server(&pki, |b| b.alpn_protocols(Vec::<&str>::new()));
    let (mut c, mut s) = connections(tls_client(&pki, |b| b), server, Version::V1);
    expect_code(run(&mut c, &mut s), 0x178);
    assert!(s.error().is_some());
}

#[test]
fn an_untrusted_certificate_is_a_crypto_error() {
    let pki = Pki::new("quic ca");
    let other = Pki::new("another ca");
    let client = tls_client(&other, |b| b);
    let (mut c, mut s) = connections(client, tls_server(&pki, |b| b), Version::V1);
    let e = expect_code(run(&mut c, &mut s), 0x100 + 48);
    assert_eq!(e.alert(), Some(AlertDescription::UNKNOWN_CA));
    assert!(c.error().is_some());
    // Once failed, always failed.
    assert!(c.read_handshake(Level::Handshake, &[20, 0, 0, 0]).is_err());
}

#[test]
fn resumption_with_0rtt() {
    let pki = Pki::new("quic ca");
    let client = tls_client(&pki, |b| b.early_data(true));
    let server = tls_server(&pki, |b| b.max_early_data(16384));
    for v in [Version::V1, Version::V2] {
        // A ticket serves only its own QUIC version (RFC 9369 §5): the
        // first connection of each version is a full handshake.
        let (mut c, mut s) = connections(client.clone(), server.clone(), v);
        assert!(c.zero_rtt_keys().is_none());
        run(&mut c, &mut s).unwrap();
        assert!(!c.is_resumed());

        let (mut c, mut s) = connections(client.clone(), server.clone(), v);
        // 0-RTT keys as soon as the ClientHello is out, with the server's
        // remembered transport parameters (RFC 9000 §7.4.1).
        let early = c.zero_rtt_keys().expect("client 0-RTT keys");
        assert_eq!(c.transport_parameters(), Some(&b"server params"[..]));
        let (cc, _sc) = {
            // The ClientHello first: then the server has its 0-RTT keys.
            let mut cc = Collected::default();
            pump(&mut c, &mut cc, &mut s).unwrap();
            let server_early = s.zero_rtt_keys().expect("server 0-RTT keys");
            same_packet_key(&early.packet, &server_early.packet);
            assert_eq!(s.early_data_accepted(), Some(true));
            let (cc2, sc) = run(&mut c, &mut s).unwrap();
            (
                Collected {
                    sent_levels: [cc.sent_levels, cc2.sent_levels].concat(),
                    ..cc2
                },
                sc,
            )
        };
        // No EndOfEarlyData: the client's Finished is its only Handshake
        // message (RFC 9001 §8.3).
        assert_eq!(cc.sent_levels, [Level::Initial, Level::Handshake]);
        assert!(c.is_resumed() && s.is_resumed());
        assert_eq!(c.early_data_accepted(), Some(true));
        assert!(!s.is_handshaking());
    }
}

#[test]
fn early_data_refused_by_the_server() {
    let pki = Pki::new("quic ca");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let keys = Arc::new(
        cloaktls::session::TicketKeys::new(
            Arc::new(cloaktls::crypto::SystemRandom::new()),
            86_400,
            now,
        )
        .unwrap(),
    );
    let client = tls_client(&pki, |b| b.early_data(true));
    let server = tls_server(&pki, |b| b.max_early_data(16384).ticket_keys(keys.clone()));
    let (mut c, mut s) = connections(client.clone(), server, Version::V1);
    run(&mut c, &mut s).unwrap();
    // A server without early data (the same ticket keys) resumes but
    // refuses 0-RTT.
    let server = tls_server(&pki, |b| b.ticket_keys(keys.clone()));
    let (mut c, mut s) = connections(client, server, Version::V1);
    assert!(c.zero_rtt_keys().is_some());
    run(&mut c, &mut s).unwrap();
    assert!(c.is_resumed());
    assert_eq!(c.early_data_accepted(), Some(false));
    assert!(s.zero_rtt_keys().is_none());
}

#[test]
fn hello_retry_request_stays_at_the_initial_level() {
    let pki = Pki::new("quic ca");
    // The client sends a share for X25519 only; the server takes P-256.
    let client = tls_client(&pki, |b| {
        b.groups(&[NamedGroup::X25519, NamedGroup::SECP256R1])
    });
    let server = tls_server(&pki, |b| b.groups(&[NamedGroup::SECP256R1]));
    let (mut c, mut s) = connections(client, server, Version::V1);
    let (cc, _) = run(&mut c, &mut s).unwrap();
    assert!(c.had_hello_retry());
    assert_eq!(
        cc.sent_levels,
        [Level::Initial, Level::Initial, Level::Handshake]
    );
}

#[test]
fn a_key_update_message_is_refused() {
    let pki = Pki::new("quic ca");
    let (mut c, mut s) = connections(
        tls_client(&pki, |b| b),
        tls_server(&pki, |b| b),
        Version::V1,
    );
    run(&mut c, &mut s).unwrap();
    // RFC 9001 §6: a TLS KeyUpdate is 0x010a.
    let e = c
        .read_handshake(Level::OneRtt, &[24, 0, 0, 1, 0])
        .unwrap_err();
    assert_eq!(e.code(), TransportErrorCode(0x10a));
}

#[test]
fn data_at_the_wrong_level_is_a_protocol_violation() {
    let pki = Pki::new("quic ca");
    let (mut c, mut s) = connections(
        tls_client(&pki, |b| b),
        tls_server(&pki, |b| b),
        Version::V1,
    );
    let Some(Output::Handshake { data, .. }) = c.next_output() else {
        panic!()
    };
    let e = s.read_handshake(Level::Handshake, &data).unwrap_err();
    assert_eq!(e.code(), TransportErrorCode::PROTOCOL_VIOLATION);
    // Handshake data split across a level change: the ServerHello with
    // the first byte of EncryptedExtensions glued on, at Initial.
    let (mut c, mut s) = connections(
        tls_client(&pki, |b| b),
        tls_server(&pki, |b| b),
        Version::V1,
    );
    let Some(Output::Handshake { data, .. }) = c.next_output() else {
        panic!()
    };
    s.read_handshake(Level::Initial, &data).unwrap();
    let Some(Output::Handshake { mut data, .. }) = s.next_output() else {
        panic!()
    };
    data.push(8);
    let e = c.read_handshake(Level::Initial, &data).unwrap_err();
    assert_eq!(e.code(), TransportErrorCode::PROTOCOL_VIOLATION, "{e}");
}

#[test]
fn a_client_hello_without_transport_parameters_is_missing_extension() {
    // A TCP client's ClientHello, given to a QUIC server.
    let pki = Pki::new("quic ca");
    let client = tls_client(&pki, |b| {
        b.versions(&[cloaktls::ProtocolVersion::TLSV1_3])
            .compatibility_mode(false)
    });
    let tcp = cloaktls::ClientConnection::new(client, "localhost").unwrap();
    let record = tcp.pending_tls().to_vec();
    let (_, mut s) = connections(
        tls_client(&pki, |b| b),
        tls_server(&pki, |b| b),
        Version::V1,
    );
    let e = s.read_handshake(Level::Initial, &record[5..]).unwrap_err();
    assert_eq!(e.code(), TransportErrorCode(0x16d), "{e}");
}

#[test]
fn the_trace_shows_each_level() {
    let pki = Pki::new("quic ca");
    let (mut c, mut s) = connections(
        tls_client(&pki, |b| b.trace(true)),
        tls_server(&pki, |b| b),
        Version::V1,
    );
    run(&mut c, &mut s).unwrap();
    let trace = c.take_trace();
    assert!(trace.contains(&QuicTraceEvent::Complete));
    let ladder = cloaktls::quic::quic_ladder(&trace, true);
    assert!(ladder.contains("[Initial] client_hello"), "{ladder}");
    assert!(ladder.contains("[Handshake] finished"), "{ladder}");
    assert!(ladder.contains("[OneRtt] new_session_ticket"), "{ladder}");
    assert!(ladder.contains("write keys: Handshake"), "{ladder}");
}

#[test]
fn initial_keys_of_both_sides_agree() {
    for v in [Version::V1, Version::V2] {
        let c = Keys::initial(v, b"dcid", Role::Client);
        let s = Keys::initial(v, b"dcid", Role::Server);
        same_keys(&c, &s);
    }
}

/// Encrypted Client Hello over QUIC (RFC 9849 with RFC 9001): accepted,
/// the server reads ClientHelloInner's name and transport parameters;
/// rejected, the client authenticates the public name, still sends its
/// Finished (§6.1.6) and then fails with ech_required (0x179).
#[test]
fn encrypted_client_hello_over_quic() {
    use cloaktls::config::{EchConfigList, EchKey, EchStatus};
    let pki = Pki::new("quic ca");
    let origin = pki.issue(&Spec::server(KeyType::EcdsaP256, &["secret.example"]));
    let public = pki.issue(&Spec::server(KeyType::EcdsaP256, &["public.example"]));
    let rng = cloaktls::crypto::rand::SystemRandom::new();
    let k = EchKey::generate("public.example", 7, &rng).unwrap();
    let other = EchKey::generate("public.example", 8, &rng).unwrap();
    let server = ServerConfig::builder(origin.certified_key())
        .add_certificate(public.certified_key())
        .alpn_protocols(["h3"])
        .ech_key(k.clone())
        .build()
        .unwrap();
    let new = |list: &EchKey| {
        let client = tls_client(&pki, |b| {
            b.ech(EchConfigList::from_bytes(&list.config_list()).unwrap())
        });
        let c = ClientConnection::new(
            QuicClientConfig::new(client).unwrap(),
            Version::V1,
            "secret.example",
            b"client params".to_vec(),
        )
        .unwrap();
        let s = ServerConnection::new(
            QuicServerConfig::new(server.clone()).unwrap(),
            Version::V1,
            b"server params".to_vec(),
        );
        (c, s)
    };
    let (mut c, mut s) = new(&k);
    run(&mut c, &mut s).unwrap();
    assert_eq!(c.ech_status(), EchStatus::Accepted);
    assert_eq!(s.ech_status(), EchStatus::Accepted);
    assert_eq!(s.server_name(), Some("secret.example"));
    assert_eq!(s.transport_parameters(), Some(&b"client params"[..]));
    assert_eq!(c.transport_parameters(), Some(&b"server params"[..]));

    // Rejected: a config the server has no key for.
    let (mut c, mut s) = new(&other);
    let (mut cc, mut sc) = (Collected::default(), Collected::default());
    pump(&mut c, &mut cc, &mut s).unwrap();
    pump(&mut s, &mut sc, &mut c).unwrap_err();
    let e = c.error().unwrap();
    assert_eq!(e.code(), TransportErrorCode(0x179), "{e}");
    assert_eq!(c.ech_status(), EchStatus::Rejected);
    // The client's Finished is still there to send, at the Handshake
    // level, and the server takes it.
    let mut finished = Vec::new();
    while let Some(out) = c.next_output() {
        if let Output::Handshake { level, data } = out {
            assert_eq!(level, Level::Handshake);
            finished.push(data);
        }
    }
    assert_eq!(finished.len(), 1);
    assert_eq!(finished[0].first(), Some(&20));
    s.read_handshake(Level::Handshake, &finished[0]).unwrap();
    assert_eq!(s.ech_status(), EchStatus::Rejected);
    assert!(!s.is_handshaking());
}

#[test]
fn abort_closes_with_the_alert_as_a_crypto_error() {
    let pki = Pki::new("quic ca");
    let (mut c, mut s) = connections(
        tls_client(&pki, |b| b),
        tls_server(&pki, |b| b),
        Version::V1,
    );
    run(&mut c, &mut s).unwrap();
    let e = s.abort(AlertDescription::ACCESS_DENIED);
    assert_eq!(e.code().0, 0x0100 + 49);
    assert_eq!(s.alert(), Some(AlertDescription::ACCESS_DENIED));
    assert_eq!(s.error(), Some(&e));
    // Nothing more is taken, and the first error stays.
    assert!(s.read_handshake(Level::OneRtt, &[4, 0, 0, 0]).is_err());
    assert_eq!(s.abort(AlertDescription::INTERNAL_ERROR), e);
}

#[test]
fn zero_rtt_needs_the_early_data_context_of_the_ticket() {
    use cloaktls::config::EarlyDataReason;
    let pki = Pki::new("quic ca");
    let client = tls_client(&pki, |b| b.early_data(true));
    let server = tls_server(&pki, |b| b.max_early_data(16384));
    let connect = |context: Option<&[u8]>| {
        let (mut c, mut s) = connections(client.clone(), server.clone(), Version::V1);
        if let Some(ctx) = context {
            s.set_early_data_context(ctx).unwrap();
        }
        run(&mut c, &mut s).unwrap();
        (c, s)
    };
    // Each connection's ticket is issued under its own context; 0-RTT
    // needs the context the ticket was issued under.
    let (c, _) = connect(Some(b"settings A"));
    assert!(!c.is_resumed());
    // (this connection's context, 0-RTT's reason)
    for (context, reason) in [
        (Some(&b"settings A"[..]), EarlyDataReason::Accepted),
        (
            Some(&b"settings B"[..]),
            EarlyDataReason::QuicParameterMismatch,
        ),
        (None, EarlyDataReason::QuicParameterMismatch),
        (None, EarlyDataReason::Accepted),
        (
            Some(&b"settings A"[..]),
            EarlyDataReason::QuicParameterMismatch,
        ),
    ] {
        let (c, s) = connect(context);
        // The session resumes either way; only 0-RTT depends on it.
        assert!(c.is_resumed() && s.is_resumed(), "{context:?}");
        assert_eq!(s.early_data_reason(), Some(reason), "{context:?}");
        assert_eq!(
            c.early_data_accepted(),
            Some(reason == EarlyDataReason::Accepted),
            "{context:?}"
        );
    }
    // Too late once the ClientHello is in.
    let mut late = ServerConnection::new(
        QuicServerConfig::new(server.clone()).unwrap(),
        Version::V1,
        Vec::new(),
    );
    let (mut c2, _) = connections(client.clone(), server.clone(), Version::V1);
    let Some(Output::Handshake { data, .. }) = c2.next_output() else {
        panic!("a ClientHello first");
    };
    late.read_handshake(Level::Initial, &data).unwrap();
    assert!(late.set_early_data_context(b"late").is_err());
}

#[test]
fn an_acceptor_reads_the_client_hello_before_the_configuration() {
    use cloaktls::quic::QuicAcceptor;
    let pki = Pki::new("quic ca");
    let server = QuicServerConfig::new(tls_server(&pki, |b| b)).unwrap();
    for refuse in [false, true] {
        let (mut c, _) = connections(
            tls_client(&pki, |b| b),
            tls_server(&pki, |b| b),
            Version::V1,
        );
        let mut acceptor = QuicAcceptor::new();
        // The client's Initial CRYPTO data, in two pieces.
        let Some(Output::Handshake { level, data }) = c.next_output() else {
            panic!("a ClientHello first");
        };
        assert_eq!(level, Level::Initial);
        acceptor.read_handshake(&data[..40]).unwrap();
        assert!(acceptor.accept().is_none());
        acceptor.read_handshake(&data[40..]).unwrap();
        let accepted = acceptor.accept().expect("the whole ClientHello");
        assert_eq!(
            accepted.client_hello().server_name.as_deref(),
            Some("localhost")
        );
        assert_eq!(accepted.client_hello().alpn_protocols, [b"h3".to_vec()]);
        if refuse {
            let e = accepted.refuse(AlertDescription::HANDSHAKE_FAILURE);
            assert_eq!(
                e.code(),
                TransportErrorCode::crypto(AlertDescription::HANDSHAKE_FAILURE)
            );
            continue;
        }
        let mut s: Connection = accepted
            .into_connection_with(
                server.clone(),
                Version::V1,
                b"server params".to_vec(),
                |s| s.set_early_data_context(b"h3 settings").unwrap(),
            )
            .unwrap()
            .into();
        run(&mut c, &mut s).unwrap();
        assert!(!c.is_handshaking() && !s.is_handshaking());
        assert_eq!(c.transport_parameters(), Some(&b"server params"[..]));
    }
}
