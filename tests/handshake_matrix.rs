//! The in-memory handshake matrix: every suite × group × server key type,
//! with and without HelloRetryRequest, with and without client
//! certificates, for TLS 1.3 and TLS 1.2; bytes delivered in random-sized
//! chunks; data checked both ways.

mod common;
use cloaktls::config::ClientAuth;
use cloaktls::crypto::sign::KeyKind;
use cloaktls::crypto::suites::{SupportedSuite, ALL_SUITES};
use cloaktls::{ClientConfig, ClientConnection, ServerConfig, ServerConnection};
use cloaktls::{NamedGroup, ProtocolVersion};
use common::*;

const GROUPS: [NamedGroup; 6] = [
    NamedGroup::X25519,
    NamedGroup::SECP256R1,
    NamedGroup::SECP384R1,
    NamedGroup::X25519_MLKEM768,
    NamedGroup::SECP256R1_MLKEM768,
    NamedGroup::SECP384R1_MLKEM1024,
];

fn is_hybrid(g: NamedGroup) -> bool {
    matches!(
        g,
        NamedGroup::X25519_MLKEM768
            | NamedGroup::SECP256R1_MLKEM768
            | NamedGroup::SECP384R1_MLKEM1024
    )
}

/// The client's first group when the server is to answer `group` with a
/// HelloRetryRequest: always a classical group other than `group` (the
/// retry from a hybrid is `tests/hybrid.rs`'s).
fn first_for_retry(group: NamedGroup) -> NamedGroup {
    // A classical group: a client that leads with a post-quantum one
    // sends a classical share beside it, which would spare the retry.
    match group {
        NamedGroup::X25519 => NamedGroup::SECP256R1,
        NamedGroup::SECP256R1 | NamedGroup::SECP384R1 => NamedGroup::X25519,
        NamedGroup::X25519_MLKEM768 => NamedGroup::SECP384R1,
        _ => NamedGroup::X25519,
    }
}

fn suite_fits(suite: &SupportedSuite, key: KeyType) -> bool {
    match suite {
        SupportedSuite::Tls13(_) => true,
        SupportedSuite::Tls12(s) => match s.sign {
            KeyKind::Rsa => key == KeyType::Rsa2048,
            _ => key != KeyType::Rsa2048,
        },
    }
}

#[test]
fn matrix() {
    let pki = Pki::new("matrix CA");
    let servers: Vec<(KeyType, Issued)> =
        ALL_KEY_TYPES.iter().map(|k| (*k, pki.server(*k))).collect();
    let client_cert = pki.client(KeyType::EcdsaP256);
    let mut rng = Lcg(42);
    let mut runs = 0;
    for suite in ALL_SUITES {
        let version = match suite {
            SupportedSuite::Tls13(_) => ProtocolVersion::TLSV1_3,
            SupportedSuite::Tls12(_) => ProtocolVersion::TLSV1_2,
        };
        for group in GROUPS {
            // RFC 10024 §3: the hybrids are TLS 1.3 only.
            if is_hybrid(group) && version == ProtocolVersion::TLSV1_2 {
                continue;
            }
            for (key_type, issued) in &servers {
                if !suite_fits(&suite, *key_type) {
                    continue;
                }
                for hrr in [false, true] {
                    if hrr && version == ProtocolVersion::TLSV1_2 {
                        continue;
                    }
                    for mtls in [false, true] {
                        let mut sb = ServerConfig::builder(issued.certified_key())
                            .cipher_suites(&[suite.suite()])
                            .groups(&[group]);
                        if mtls {
                            sb = sb.client_auth(ClientAuth::required(pki.roots()));
                        }
                        let server_cfg = sb.build().unwrap();
                        // For a HelloRetryRequest, the client's first share
                        // is for a group the server does not take.
                        let client_groups: Vec<NamedGroup> = if hrr {
                            vec![first_for_retry(group), group]
                        } else {
                            vec![group]
                        };
                        // RFC 8422 §5.3: in TLS 1.2 the client lists the
                        // curve of the server's ECDSA key too (after the
                        // group under test, which the server alone has).
                        let mut client_groups = client_groups;
                        let key_curve: Option<NamedGroup> = match key_type {
                            KeyType::EcdsaP256 => Some(NamedGroup::SECP256R1),
                            KeyType::EcdsaP384 => Some(NamedGroup::SECP384R1),
                            _ => None,
                        };
                        if let Some(curve) = key_curve {
                            if version == ProtocolVersion::TLSV1_2
                                && !client_groups.contains(&curve)
                            {
                                client_groups.push(curve);
                            }
                        }
                        let mut cb = ClientConfig::builder(pki.roots()).groups(&client_groups);
                        if mtls {
                            cb = cb.client_certificate(client_cert.certified_key());
                        }
                        let client_cfg = cb.build().unwrap();
                        let mut c = ClientConnection::new(client_cfg, "localhost").unwrap();
                        let mut s = ServerConnection::new(server_cfg).unwrap();
                        let chunk = 1 + (rng.next() as usize % 2000);
                        let label = format!(
                            "{:?} {:?} {key_type:?} hrr={hrr} mtls={mtls} chunk={chunk}",
                            suite.suite(),
                            group
                        );
                        let (cr, sr) = handshake_chunked(&mut c, &mut s, &mut rng, chunk);
                        sr.unwrap_or_else(|e| panic!("{label}: server: {e}"));
                        cr.unwrap_or_else(|e| panic!("{label}: client: {e}"));
                        assert_eq!(c.protocol_version(), Some(version), "{label}");
                        assert_eq!(s.protocol_version(), Some(version), "{label}");
                        assert_eq!(c.cipher_suite(), Some(suite.suite()), "{label}");
                        assert_eq!(c.key_exchange_group(), Some(group), "{label}");
                        assert_eq!(s.key_exchange_group(), Some(group), "{label}");
                        assert_eq!(c.had_hello_retry(), hrr, "{label}");
                        assert_eq!(s.peer_certificates().len(), usize::from(mtls), "{label}");
                        assert_eq!(c.peer_certificates().len(), 1, "{label}");
                        if version == ProtocolVersion::TLSV1_2 {
                            assert!(
                                c.extended_master_secret() && s.extended_master_secret(),
                                "{label}"
                            );
                        }
                        let data: Vec<u8> = (0..20_000u32).map(|i| i as u8).collect();
                        assert_eq!(send_and_receive(&mut c, &mut s, &data), data, "{label}");
                        assert_eq!(
                            send_and_receive(&mut s, &mut c, b"pong"),
                            b"pong",
                            "{label}"
                        );
                        let (mut a, mut b) = ([0u8; 32], [0u8; 32]);
                        c.export_keying_material(&mut a, b"EXPORTER-test", Some(b"ctx"))
                            .unwrap();
                        s.export_keying_material(&mut b, b"EXPORTER-test", Some(b"ctx"))
                            .unwrap();
                        assert_eq!(a, b, "{label}");
                        runs += 1;
                    }
                }
            }
        }
    }
    assert!(runs >= 100, "only {runs} combinations ran");
}
