//! Certificate compression (RFC 8879) in whole handshakes: each algorithm
//! both ways, the choice when both sides offer several, off when either
//! side is, and every bad CompressedCertificate refused with the RFC's
//! alert.

mod common;
use cloaktls::config::{supported_certificate_compression, ClientAuth};
use cloaktls::msgs::enums::{
    AlertDescription, CertificateCompressionAlgorithm as Alg, HandshakeType,
};
use cloaktls::msgs::handshake::HandshakePayload;
use cloaktls::{Connection, Error, TraceEvent};
use common::*;
use std::sync::Arc;

/// The types of the handshake messages `c` received.
fn received(c: &mut Connection) -> Vec<HandshakeType> {
    c.take_trace()
        .into_iter()
        .filter_map(|e| match e {
            TraceEvent::MessageIn { typ, .. } => Some(typ),
            _ => None,
        })
        .collect()
}

#[test]
fn every_algorithm_compresses_the_server_and_client_certificates() {
    let pki = Pki::new("CA");
    assert_eq!(supported_certificate_compression().len(), 3);
    for alg in supported_certificate_compression() {
        let client_cert = pki.client(KeyType::EcdsaP256);
        let (mut c, mut s) = pair(
            &pki,
            |b| {
                b.certificate_compression(&[alg])
                    .client_auth(ClientAuth::required(pki.roots()))
                    .trace(true)
            },
            |b| {
                b.client_certificate(client_cert.certified_key())
                    .trace(true)
            },
            "localhost",
        );
        let (cr, sr) = handshake(&mut c, &mut s);
        cr.unwrap();
        sr.unwrap();
        assert!(
            received(&mut c).contains(&HandshakeType::COMPRESSED_CERTIFICATE),
            "{alg:?}: the server's certificate"
        );
        assert!(
            received(&mut s).contains(&HandshakeType::COMPRESSED_CERTIFICATE),
            "{alg:?}: the client's certificate"
        );
        assert_eq!(s.peer_certificates().len(), 1);
        assert_eq!(send_and_receive(&mut c, &mut s, b"ok"), b"ok");
    }
}

#[test]
fn off_on_either_side_means_a_plain_certificate() {
    let pki = Pki::new("CA");
    for (server, client) in [(&[][..], None), (&[Alg::ZLIB][..], Some(&[][..]))] {
        let (mut c, mut s) = pair(
            &pki,
            |b| b.certificate_compression(server),
            |b| {
                let b = b.trace(true);
                match client {
                    Some(a) => b.certificate_compression(a),
                    None => b,
                }
            },
            "localhost",
        );
        let (cr, sr) = handshake(&mut c, &mut s);
        cr.unwrap();
        sr.unwrap();
        let got = received(&mut c);
        assert!(got.contains(&HandshakeType::CERTIFICATE), "{got:?}");
        assert!(!got.contains(&HandshakeType::COMPRESSED_CERTIFICATE));
    }
}

/// Rewrites the server's CompressedCertificate.
#[derive(Debug)]
struct Spoil(fn(&mut cloaktls::msgs::handshake::CompressedCertificate));

impl cloaktls::danger::replay::MessageShaper for Spoil {
    fn shape(&self, message: &mut HandshakePayload) {
        if let HandshakePayload::CompressedCertificate(c) = message {
            (self.0)(c)
        }
    }
}

fn spoiled(f: fn(&mut cloaktls::msgs::handshake::CompressedCertificate), client: &[Alg]) -> Error {
    let pki = Pki::new("CA");
    let (mut c, mut s) = pair(
        &pki,
        |b| {
            cloaktls::danger::replay::shape_server_messages(
                b.certificate_compression(&[Alg::ZLIB, Alg::BROTLI, Alg::ZSTD]),
                Arc::new(Spoil(f)),
            )
        },
        |b| b.certificate_compression(client),
        "localhost",
    );
    let (cr, _) = handshake(&mut c, &mut s);
    cr.unwrap_err()
}

#[test]
fn bad_compressed_certificates_are_refused() {
    let all = [Alg::ZLIB, Alg::BROTLI, Alg::ZSTD];
    // An algorithm the client did not offer: illegal_parameter.
    let e = spoiled(|c| c.algorithm = Alg::BROTLI, &[Alg::ZLIB]);
    assert_eq!(e.alert(), Some(AlertDescription::ILLEGAL_PARAMETER), "{e}");
    // A stated length that is wrong either way: bad_certificate.
    for f in [
        (|c: &mut cloaktls::msgs::handshake::CompressedCertificate| c.uncompressed_length += 1)
            as fn(&mut _),
        |c| c.uncompressed_length -= 1,
        // Over any chain's size: refused before decompressing.
        |c| c.uncompressed_length = 0xff_ffff,
        // Not a stream of the algorithm at all.
        |c| c.compressed = vec![0xde, 0xad, 0xbe, 0xef],
    ] {
        let e = spoiled(f, &all);
        assert_eq!(e.alert(), Some(AlertDescription::BAD_CERTIFICATE), "{e}");
    }
    // A stream that decompresses to something that is not a Certificate:
    // decode_error, as an uncompressed one would be.
    let e = spoiled(
        |c| {
            let junk = [7u8; 40];
            c.compressed = cloaktls_compress(c.algorithm, &junk);
            c.uncompressed_length = junk.len() as u32;
        },
        &all,
    );
    assert_eq!(e.alert(), Some(AlertDescription::DECODE_ERROR), "{e}");
}

/// A well-formed stream of `alg` (the library's own compressor, reached
/// through a round trip of a configuration would be heavier).
fn cloaktls_compress(alg: Alg, data: &[u8]) -> Vec<u8> {
    cloaktls::crypto::compress::compress(alg, data).unwrap()
}

#[test]
fn an_algorithm_this_build_lacks_is_refused_when_building() {
    let pki = Pki::new("CA");
    let err = cloaktls::ClientConfig::builder(pki.roots())
        .certificate_compression(&[Alg(0x4242)])
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("compression"), "{err}");
}
