//! Encrypted Client Hello (RFC 9849) between cloaktls clients and servers:
//! accepted, after a HelloRetryRequest, rejected with retry configs and
//! retried, rejected by servers without ECH or TLS 1.3, GREASE, resumption
//! and 0-RTT inside, and the RFC's alert for each malformed input.

mod common;

use cloaktls::config::{EchConfigList, EchKey, EchStatus};
use cloaktls::crypto::SystemRandom;
use cloaktls::danger::replay::{shape_client_messages, shape_server_messages, MessageShaper};
use cloaktls::msgs::ech::{decode_config_list, EchClientHello};
use cloaktls::msgs::enums::ExtensionType;
use cloaktls::msgs::extensions::Extension;
use cloaktls::msgs::handshake::HandshakePayload;
use cloaktls::{
    AlertDescription, ClientConfig, ClientConnection, EchProblem, Error, NamedGroup,
    ProtocolVersion, ServerConfig, ServerConnection,
};
use common::{handshake, send_and_receive, KeyType, Pki, Spec};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const ORIGIN: &str = "secret.example";
const PUBLIC: &str = "public.example";

fn key(id: u8) -> EchKey {
    EchKey::generate(PUBLIC, id, &SystemRandom::new()).unwrap()
}

fn list(k: &EchKey) -> EchConfigList {
    EchConfigList::from_bytes(&k.config_list()).unwrap()
}

/// A server with a certificate for the origin (the default) and one for
/// the public name.
fn server(
    pki: &Pki,
    f: impl FnOnce(cloaktls::config::ServerConfigBuilder) -> cloaktls::config::ServerConfigBuilder,
) -> Arc<ServerConfig> {
    let origin = pki.issue(&Spec::server(KeyType::EcdsaP256, &[ORIGIN]));
    let public = pki.issue(&Spec::server(KeyType::EcdsaP256, &[PUBLIC]));
    f(ServerConfig::builder(origin.certified_key()).add_certificate(public.certified_key()))
        .build()
        .unwrap()
}

fn client(
    pki: &Pki,
    f: impl FnOnce(cloaktls::config::ClientConfigBuilder) -> cloaktls::config::ClientConfigBuilder,
) -> Arc<ClientConfig> {
    f(ClientConfig::builder(pki.roots())).build().unwrap()
}

fn connect(
    c: &Arc<ClientConfig>,
    s: &Arc<ServerConfig>,
) -> (
    ClientConnection,
    ServerConnection,
    Result<(), Error>,
    Result<(), Error>,
) {
    let mut cc = ClientConnection::new(c.clone(), ORIGIN).unwrap();
    let mut sc = ServerConnection::new(s.clone()).unwrap();
    let (a, b) = handshake(&mut cc, &mut sc);
    (cc, sc, a, b)
}

#[test]
fn accepted_ech_hides_the_origin_and_works() {
    let pki = Pki::new("ech ca");
    let k = key(7);
    let s = server(&pki, |b| b.ech_key(k.clone()));
    let c = client(&pki, |b| b.ech(list(&k)).alpn_protocols(["h2"]));
    let (mut cc, mut sc, a, b) = connect(&c, &s);
    a.unwrap();
    b.unwrap();
    assert_eq!(cc.ech_status(), EchStatus::Accepted);
    assert_eq!(cc.ech_public_name(), Some(PUBLIC));
    assert_eq!(sc.ech_status(), EchStatus::Accepted);
    // The server saw the real name, through the inner hello.
    assert_eq!(sc.server_name(), Some(ORIGIN));
    assert_eq!(cc.protocol_version(), Some(ProtocolVersion::TLSV1_3));
    assert_eq!(send_and_receive(&mut cc, &mut sc, b"ping"), b"ping");
    assert_eq!(send_and_receive(&mut sc, &mut cc, b"pong"), b"pong");
}

#[test]
fn accepted_ech_after_hello_retry_request() {
    let pki = Pki::new("ech ca");
    let k = key(1);
    // The client's shares are X25519MLKEM768 and X25519: P-256 needs a retry.
    let s = server(&pki, |b| {
        b.ech_key(k.clone())
            .groups(&[NamedGroup::SECP256R1])
            .send_cookie(true)
    });
    let c = client(&pki, |b| b.ech(list(&k)));
    let (mut cc, mut sc, a, b) = connect(&c, &s);
    a.unwrap();
    b.unwrap();
    assert!(cc.had_hello_retry());
    assert_eq!(cc.ech_status(), EchStatus::Accepted);
    assert_eq!(sc.ech_status(), EchStatus::Accepted);
    assert_eq!(sc.server_name(), Some(ORIGIN));
    assert_eq!(send_and_receive(&mut cc, &mut sc, b"x"), b"x");
}

#[test]
fn rejected_ech_gives_retry_configs_and_the_retry_is_accepted() {
    let pki = Pki::new("ech ca");
    let old = key(1);
    let new = key(2);
    let s = server(&pki, |b| b.ech_key(new.clone()));
    let c = client(&pki, |b| b.ech(list(&old)));
    let (cc, sc, a, b) = connect(&c, &s);
    let Err(Error::EchRejected {
        public_name,
        retry_configs: Some(retry),
    }) = a
    else {
        panic!("{a:?}");
    };
    assert_eq!(public_name, PUBLIC);
    assert_eq!(retry, new.config_list());
    assert_eq!(cc.ech_status(), EchStatus::Rejected);
    assert_eq!(sc.ech_status(), EchStatus::Rejected);
    assert_eq!(b, Err(Error::AlertReceived(AlertDescription::ECH_REQUIRED)));
    // The public name was what the server saw.
    assert_eq!(sc.server_name(), Some(PUBLIC));
    // A new connection with the retry configs.
    let c2 = client(&pki, |b| b.ech(EchConfigList::from_bytes(&retry).unwrap()));
    let (cc, _, a, b) = connect(&c2, &s);
    a.unwrap();
    b.unwrap();
    assert_eq!(cc.ech_status(), EchStatus::Accepted);
}

#[test]
fn rejected_ech_after_hello_retry_request() {
    let pki = Pki::new("ech ca");
    let s = server(&pki, |b| b.ech_key(key(2)).groups(&[NamedGroup::SECP384R1]));
    let c = client(&pki, |b| b.ech(list(&key(1))));
    let (cc, _, a, _) = connect(&c, &s);
    assert!(cc.had_hello_retry());
    assert!(matches!(
        a,
        Err(Error::EchRejected {
            retry_configs: Some(_),
            ..
        })
    ));
}

#[test]
fn servers_without_ech_or_tls13_reject_it_securely() {
    let pki = Pki::new("ech ca");
    let k = key(1);
    let c = client(&pki, |b| b.ech(list(&k)));
    for s in [
        server(&pki, |b| b),
        server(&pki, |b| {
            b.ech_key(k.clone()).versions(&[ProtocolVersion::TLSV1_2])
        }),
    ] {
        let (_, sc, a, b) = connect(&c, &s);
        assert_eq!(
            a,
            Err(Error::EchRejected {
                public_name: PUBLIC.into(),
                retry_configs: None
            })
        );
        assert_eq!(a.unwrap_err().alert(), Some(AlertDescription::ECH_REQUIRED));
        assert_eq!(b, Err(Error::AlertReceived(AlertDescription::ECH_REQUIRED)));
        assert_eq!(sc.server_name(), Some(PUBLIC));
    }
}

#[test]
fn a_rejected_offer_authenticates_the_public_name() {
    let pki = Pki::new("ech ca");
    // No certificate for the public name: the origin's is refused.
    let origin = pki.issue(&Spec::server(KeyType::EcdsaP256, &[ORIGIN]));
    let s = ServerConfig::builder(origin.certified_key())
        .build()
        .unwrap();
    let c = client(&pki, |b| b.ech(list(&key(1))));
    let (_, _, a, _) = connect(&c, &s);
    match a {
        Err(Error::InvalidCertificate(e)) => {
            assert_eq!(e.kind, cloaktls::CertificateErrorKind::NameMismatch)
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn grease_ech_passes_through_servers_with_and_without_ech() {
    let pki = Pki::new("ech ca");
    let c = client(&pki, |b| b.ech_grease(true));
    for (s, server_status) in [
        (server(&pki, |b| b), EchStatus::NotOffered),
        (server(&pki, |b| b.ech_key(key(3))), EchStatus::Rejected),
        (
            server(&pki, |b| b.ech_key(key(3)).groups(&[NamedGroup::SECP256R1])),
            EchStatus::Rejected,
        ),
    ] {
        let (cc, sc, a, b) = connect(&c, &s);
        a.unwrap();
        b.unwrap();
        assert_eq!(cc.ech_status(), EchStatus::Grease);
        assert_eq!(sc.ech_status(), server_status);
        assert_eq!(sc.server_name(), Some(ORIGIN));
    }
    // Never with TLS 1.2 alone.
    let c12 = client(&pki, |b| {
        b.ech_grease(true).versions(&[ProtocolVersion::TLSV1_2])
    });
    let (cc, _, a, _) = connect(&c12, &server(&pki, |b| b));
    a.unwrap();
    assert_eq!(cc.ech_status(), EchStatus::NotOffered);
}

#[test]
fn resumption_and_early_data_inside_ech() {
    let pki = Pki::new("ech ca");
    let k = key(4);
    let s = server(&pki, |b| b.ech_key(k.clone()).max_early_data(1024));
    let c = client(&pki, |b| b.ech(list(&k)).early_data(true));
    let (mut cc, mut sc, a, b) = connect(&c, &s);
    a.unwrap();
    b.unwrap();
    // Tickets arrive after the handshake.
    assert_eq!(send_and_receive(&mut sc, &mut cc, b"t"), b"t");
    let mut cc = ClientConnection::new(c.clone(), ORIGIN).unwrap();
    let mut sc = ServerConnection::new(s.clone()).unwrap();
    cc.send_early_data(b"early").unwrap();
    let (a, b) = handshake(&mut cc, &mut sc);
    a.unwrap();
    b.unwrap();
    assert!(cc.is_resumed());
    assert_eq!(cc.ech_status(), EchStatus::Accepted);
    assert_eq!(sc.ech_status(), EchStatus::Accepted);
    assert_eq!(common::read_all(&mut sc), b"early");
}

#[test]
fn a_list_without_a_usable_config_is_refused_at_build() {
    let pki = Pki::new("ech ca");
    let mut bytes = key(1).config_list();
    // The KEM id (after list length 2, version 2, length 2, config_id 1).
    bytes[7..9].copy_from_slice(&[0x00, 0x10]);
    let l = EchConfigList::from_bytes(&bytes).unwrap();
    assert!(!l.is_usable());
    assert!(matches!(
        ClientConfig::builder(pki.roots()).ech(l).build(),
        Err(Error::Config(_))
    ));
    assert!(EchConfigList::from_bytes(&[0, 1, 2]).is_err());
    let ok = list(&key(1));
    assert!(ClientConfig::builder(pki.roots())
        .ech(ok)
        .versions(&[ProtocolVersion::TLSV1_2])
        .build()
        .is_err());
}

/// Rewrites the encrypted_client_hello extension of the n-th ClientHello
/// (or of the server's HelloRetryRequest / EncryptedExtensions).
#[derive(Debug)]
struct EchRewrite {
    /// Which ClientHello (0 = first, 1 = second); any for server messages.
    nth: usize,
    seen: AtomicUsize,
    f: fn(&mut Vec<Extension>),
}

impl MessageShaper for EchRewrite {
    fn shape(&self, message: &mut HandshakePayload) {
        match message {
            HandshakePayload::ClientHello(ch)
                if self.seen.fetch_add(1, Ordering::SeqCst) == self.nth =>
            {
                (self.f)(&mut ch.extensions)
            }
            HandshakePayload::ServerHello(sh) => (self.f)(&mut sh.extensions),
            HandshakePayload::EncryptedExtensions(ee) => (self.f)(ee),
            _ => {}
        }
    }
}

fn rewrite(nth: usize, f: fn(&mut Vec<Extension>)) -> Arc<EchRewrite> {
    Arc::new(EchRewrite {
        nth,
        seen: AtomicUsize::new(0),
        f,
    })
}

fn set_ech(exts: &mut [Extension], body: Vec<u8>) {
    for e in exts.iter_mut() {
        if let Extension::EncryptedClientHello(b) = e {
            *b = body.clone();
        }
    }
}

fn outer_fields(exts: &[Extension]) -> Option<EchClientHello> {
    exts.iter().find_map(|e| match e {
        Extension::EncryptedClientHello(b) => EchClientHello::decode(b).ok(),
        _ => None,
    })
}

/// The server's error for a client whose hellos `f` rewrites.
fn server_error_for(nth: usize, retry: bool, f: fn(&mut Vec<Extension>)) -> (Error, Error) {
    let pki = Pki::new("ech ca");
    let k = key(5);
    let s = server(&pki, |b| {
        let b = b.ech_key(k.clone());
        if retry {
            b.groups(&[NamedGroup::SECP256R1])
        } else {
            b
        }
    });
    let c = client(&pki, |b| {
        shape_client_messages(b.ech(list(&k)), rewrite(nth, f))
    });
    let (_, _, a, b) = connect(&c, &s);
    (b.unwrap_err(), a.unwrap_err())
}

/// Which ClientHello to rewrite, whether the server makes a
/// HelloRetryRequest, the rewrite, and the alert the server must send.
type Case = (usize, bool, fn(&mut Vec<Extension>), AlertDescription);

#[test]
fn malformed_client_ech_gets_the_rfc_alerts() {
    use AlertDescription as A;
    let cases: [Case; 7] = [
        // §7: an unknown ECHClientHelloType.
        (0, false, |e| set_ech(e, vec![2]), A::ILLEGAL_PARAMETER),
        // §7: the inner variant from the network.
        (0, false, |e| set_ech(e, vec![1]), A::ILLEGAL_PARAMETER),
        // A body that does not decode.
        (0, false, |e| set_ech(e, vec![0, 0, 1]), A::DECODE_ERROR),
        // §5.1: ech_outer_extensions in ClientHelloOuter.
        (
            0,
            false,
            |e| {
                e.insert(
                    0,
                    Extension::Unknown {
                        typ: ExtensionType::ECH_OUTER_EXTENSIONS,
                        data: vec![2, 0, 51],
                    },
                )
            },
            A::ILLEGAL_PARAMETER,
        ),
        // §7.1.1: the second ClientHello drops ECH after it was accepted
        // (the shaper sees ClientHelloInner2 as the second hello, and
        // ClientHelloOuter2 as the third).
        (
            2,
            true,
            |e| e.retain(|x| x.typ() != ExtensionType::ENCRYPTED_CLIENT_HELLO),
            A::MISSING_EXTENSION,
        ),
        // §7.1.1: ... or changes its config_id, or sends an enc.
        (
            2,
            true,
            |e| {
                if let Some(EchClientHello::Outer {
                    cipher_suite,
                    config_id,
                    enc,
                    payload,
                }) = outer_fields(e)
                {
                    let changed = EchClientHello::Outer {
                        cipher_suite,
                        config_id: config_id ^ 1,
                        enc,
                        payload,
                    };
                    set_ech(e, changed.encode());
                }
            },
            A::ILLEGAL_PARAMETER,
        ),
        // §7.1.1: ... or its payload does not decrypt.
        (
            2,
            true,
            |e| {
                if let Some(EchClientHello::Outer {
                    cipher_suite,
                    config_id,
                    enc,
                    mut payload,
                }) = outer_fields(e)
                {
                    payload[0] ^= 1;
                    let changed = EchClientHello::Outer {
                        cipher_suite,
                        config_id,
                        enc,
                        payload,
                    };
                    set_ech(e, changed.encode());
                }
            },
            A::DECRYPT_ERROR,
        ),
    ];
    for (i, (nth, retry, f, alert)) in cases.into_iter().enumerate() {
        let (server_err, client_err) = server_error_for(nth, retry, f);
        assert!(
            matches!(server_err, Error::BadEch(_)),
            "case {i}: {server_err:?}"
        );
        assert_eq!(server_err.alert(), Some(alert), "case {i}: {server_err}");
        assert_eq!(client_err, Error::AlertReceived(alert), "case {i}");
    }
}

/// Which ECH key a server has, for a client that offers `key(6)`.
#[derive(Clone, Copy)]
enum ServerKey {
    Same,
    Other,
}

/// The client's error when the server's messages are rewritten by `f`.
fn client_error_for(
    ech: bool,
    retry: bool,
    server_key: Option<ServerKey>,
    f: fn(&mut Vec<Extension>),
) -> Error {
    let pki = Pki::new("ech ca");
    let k = key(6);
    let s = server(&pki, |b| {
        let mut b = shape_server_messages(b, rewrite(0, f));
        match server_key {
            Some(ServerKey::Same) => b = b.ech_key(k.clone()),
            Some(ServerKey::Other) => b = b.ech_key(key(6)),
            None => {}
        }
        if retry {
            b = b.groups(&[NamedGroup::SECP256R1]);
        }
        b
    });
    let c = client(&pki, |b| {
        if ech {
            b.ech(list(&k))
        } else {
            b.ech_grease(true)
        }
    });
    connect(&c, &s).2.unwrap_err()
}

#[test]
fn malformed_server_ech_gets_the_rfc_alerts() {
    // §6.1.4: a HelloRetryRequest confirmation of the wrong length.
    let e = client_error_for(true, true, Some(ServerKey::Same), |e| {
        if e.iter()
            .any(|x| matches!(x, Extension::KeyShareHelloRetryRequest(_)))
        {
            e.retain(|x| x.typ() != ExtensionType::ENCRYPTED_CLIENT_HELLO);
            e.push(Extension::EncryptedClientHello(vec![0; 7]));
        }
    });
    assert_eq!(e, Error::BadEch(EchProblem::ConfirmationLength(7)));
    assert_eq!(e.alert(), Some(AlertDescription::DECODE_ERROR));
    // §6.2.1: the same to a GREASE client.
    let e = client_error_for(false, true, None, |e| {
        if e.iter()
            .any(|x| matches!(x, Extension::KeyShareHelloRetryRequest(_)))
        {
            e.push(Extension::EncryptedClientHello(vec![0; 9]));
        }
    });
    assert_eq!(e.alert(), Some(AlertDescription::DECODE_ERROR));
    // §6.1.5: the HelloRetryRequest accepted, the ServerHello does not
    // confirm (its key share is replaced by another valid P-256 point, the
    // generator: the transcript then differs).
    let e = client_error_for(true, true, Some(ServerKey::Same), |e| {
        for x in e.iter_mut() {
            if let Extension::KeyShareServer(k) = x {
                k.key_exchange = hex::decode(
                    "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296\
                     4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5",
                )
                .unwrap();
            }
        }
    });
    assert_eq!(e, Error::BadEch(EchProblem::NotConfirmedAfterRetry));
    // §6.1.6: retry_configs that do not decode.
    let e = client_error_for(true, false, Some(ServerKey::Other), |e| {
        set_ech(e, vec![0, 2, 1])
    });
    assert!(
        matches!(e, Error::BadEch(EchProblem::ConfigList(_))),
        "{e:?}"
    );
    assert_eq!(e.alert(), Some(AlertDescription::DECODE_ERROR));
    // §5: retry_configs after an accepted ECH.
    let e = client_error_for(true, false, Some(ServerKey::Same), |e| {
        if e.iter()
            .any(|x| matches!(x, Extension::Alpn(_) | Extension::ServerNameAck))
            || e.is_empty()
        {
            e.push(Extension::EncryptedClientHello(key(1).config_list()));
        }
    });
    assert_eq!(e, Error::BadEch(EchProblem::RetryConfigsWhileAccepted));
    assert_eq!(e.alert(), Some(AlertDescription::UNSUPPORTED_EXTENSION));
    // A client that offered nothing refuses ECH in a HelloRetryRequest.
    let pki = Pki::new("ech ca");
    let s = server(&pki, |b| {
        shape_server_messages(
            b.groups(&[NamedGroup::SECP256R1]),
            rewrite(0, |e| {
                if e.iter()
                    .any(|x| matches!(x, Extension::KeyShareHelloRetryRequest(_)))
                {
                    e.push(Extension::EncryptedClientHello(vec![0; 8]));
                }
            }),
        )
    });
    let c = client(&pki, |b| b);
    let e = connect(&c, &s).2.unwrap_err();
    assert_eq!(e.alert(), Some(AlertDescription::UNSUPPORTED_EXTENSION));
}

#[test]
fn retry_configs_parse_as_the_published_list() {
    let k = key(8);
    let parsed = decode_config_list(&k.config_list()).unwrap();
    assert_eq!(parsed.len(), 1);
    assert_eq!(parsed[0].encoding, k.config());
}

#[test]
fn a_rejected_client_never_sends_its_certificate() {
    let pki = Pki::new("ech ca");
    let client_cert = pki.client(KeyType::EcdsaP256).certified_key();
    let s = server(&pki, |b| {
        b.ech_key(key(2))
            .client_auth(cloaktls::config::ClientAuth::optional(pki.roots()))
    });
    let c = client(&pki, |b| {
        b.ech(list(&key(1))).client_certificate(client_cert)
    });
    let (_, sc, a, b) = connect(&c, &s);
    assert!(matches!(a, Err(Error::EchRejected { .. })), "{a:?}");
    // The server saw an empty Certificate and the client's Finished, then
    // ech_required.
    assert_eq!(b, Err(Error::AlertReceived(AlertDescription::ECH_REQUIRED)));
    assert!(sc.peer_certificates().is_empty());
    assert!(!sc.is_handshaking());
}

/// The trace shows ClientHelloInner on both sides, before the
/// ClientHelloOuter that carries it (client) and after the one it came out
/// of (server), once per ClientHello, the same bytes each side.
#[test]
fn the_trace_shows_client_hello_inner_both_sides() {
    use cloaktls::conn::TraceEvent;
    use cloaktls::msgs::enums::HandshakeType;
    let pki = Pki::new("ech ca");
    let k = key(3);
    let s = server(&pki, |b| {
        b.ech_key(k.clone())
            .groups(&[NamedGroup::SECP256R1])
            .trace(true)
    });
    let c = client(&pki, |b| b.ech(list(&k)).trace(true));
    let (mut cc, mut sc, a, b) = connect(&c, &s);
    a.unwrap();
    b.unwrap();
    assert!(cc.had_hello_retry());
    let (ct, st) = (cc.take_trace(), sc.take_trace());
    let hellos = |t: &[TraceEvent]| -> Vec<(&'static str, Vec<u8>)> {
        t.iter()
            .filter_map(|e| match e {
                TraceEvent::ClientHelloInnerOut { bytes } => Some(("inner out", bytes.clone())),
                TraceEvent::ClientHelloInnerIn { bytes } => Some(("inner in", bytes.clone())),
                TraceEvent::MessageOut { typ, .. } if *typ == HandshakeType::CLIENT_HELLO => {
                    Some(("outer out", Vec::new()))
                }
                TraceEvent::MessageIn { typ, .. } if *typ == HandshakeType::CLIENT_HELLO => {
                    Some(("outer in", Vec::new()))
                }
                _ => None,
            })
            .collect()
    };
    let (ch, sh) = (hellos(&ct), hellos(&st));
    let order = |h: &[(&'static str, Vec<u8>)]| h.iter().map(|(n, _)| *n).collect::<Vec<_>>();
    assert_eq!(
        order(&ch),
        ["inner out", "outer out", "inner out", "outer out"]
    );
    assert_eq!(order(&sh), ["outer in", "inner in", "outer in", "inner in"]);
    // What the client sealed is what the server opened (as the transcript
    // holds it: the client's own encoding, compression undone).
    assert_eq!(ch[0].1, sh[1].1);
    assert_eq!(ch[2].1, sh[3].1);
    assert_eq!(ch[0].1.first(), Some(&1));
    // No trace, no copies.
    let c = client(&pki, |b| b.ech(list(&k)));
    let s = server(&pki, |b| b.ech_key(k.clone()));
    let (mut cc, mut sc, a, b) = connect(&c, &s);
    a.unwrap();
    b.unwrap();
    assert!(cc.take_trace().is_empty() && sc.take_trace().is_empty());
}
