//! TLS 1.3 in memory: the handshake matrix and the negative cases.

mod common;
use cloaktls::crypto::kx::{SECP256R1, SECP384R1, X25519};
use cloaktls::crypto::suites::{
    SupportedSuite, TLS13_AES_128_GCM_SHA256, TLS13_AES_256_GCM_SHA384,
    TLS13_CHACHA20_POLY1305_SHA256,
};
use cloaktls::crypto::KeyExchangeGroup;
use cloaktls::msgs::enums::{NamedGroup, ProtocolVersion};
use cloaktls::{ClientConfig, ClientConnection, ServerConfig, ServerConnection};
use common::*;

const V13: &[ProtocolVersion] = &[ProtocolVersion::TLSV1_3];

#[test]
fn one_handshake_and_data_both_ways() {
    let pki = Pki::new("test CA");
    let server_cfg = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
        .versions(V13)
        .build()
        .unwrap();
    let client_cfg = ClientConfig::builder(pki.roots())
        .versions(V13)
        .build()
        .unwrap();
    let mut c = ClientConnection::new(client_cfg, "localhost").unwrap();
    let mut s = ServerConnection::new(server_cfg).unwrap();
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    assert_eq!(c.protocol_version(), Some(ProtocolVersion::TLSV1_3));
    assert_eq!(c.key_exchange_group(), Some(NamedGroup::X25519));
    assert_eq!(s.cipher_suite(), c.cipher_suite());
    assert_eq!(
        send_and_receive(&mut c, &mut s, b"hello server"),
        b"hello server"
    );
    assert_eq!(
        send_and_receive(&mut s, &mut c, b"hello client"),
        b"hello client"
    );
}
