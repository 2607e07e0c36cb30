//! cloaktls beside rustls and beside `ring` alone, in memory, one thread.
//! `cargo bench` prints the table. Times are per-thread CPU time
//! (CLOCK_THREAD_CPUTIME_ID), so other load on the machine does not count;
//! the two libraries and the floor run alternately in one process, five
//! rounds, each keeping its best.
//!
//! Ratios: "vs rustls" is rustls's time over ours (above 1: we are
//! faster); "vs ring" is the ring floor's time over ours (the share of our
//! time that the primitives alone need; 1 would mean no protocol overhead).

use cloaktls::config::{EchConfigList, EchKey, EchStatus};
use cloaktls::verify::{WebPkiServerVerifier, DEFAULT_VERIFIED_CHAINS};
use cloaktls::{CertifiedKey, ClientConfig, ClientConnection, ServerConfig};
use cloaktls::{CipherSuite, NamedGroup, ProtocolVersion};
use ring::rand::SystemRandom;
use ring::signature::{self, KeyPair};
use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{BufRead, Write};
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};
use std::sync::Arc;

mod common;
use common::*;

// ---------------- allocation counting ----------------

struct Counting;
static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);
static ALLOCS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator, only counting.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let now = LIVE.fetch_add(l.size() as isize, Ordering::Relaxed) + l.size() as isize;
        PEAK.fetch_max(now, Ordering::Relaxed);
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's layout is passed on unchanged.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        // SAFETY: p came from System.alloc with this layout.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let now = LIVE.fetch_add(new as isize - l.size() as isize, Ordering::Relaxed)
            + new as isize
            - l.size() as isize;
        PEAK.fetch_max(now, Ordering::Relaxed);
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: as for alloc and dealloc.
        unsafe { System.realloc(p, l, new) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// rustls with aws-lc-rs (ring has no ML-KEM), X25519MLKEM768 first:
/// TLS 1.3, AES-128-GCM.
fn theirs_pq_configs(pki: &Pki) -> (Arc<rustls::ClientConfig>, Arc<rustls::ServerConfig>) {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let mut p = rustls::crypto::aws_lc_rs::default_provider();
    // What rustls's "prefer-post-quantum" feature does: the hybrid first.
    p.kx_groups
        .sort_by_key(|g| g.name() != rustls::NamedGroup::X25519MLKEM768);
    p.cipher_suites
        .retain(|s| s.suite() == rustls::CipherSuite::TLS13_AES_128_GCM_SHA256);
    let p = Arc::new(p);
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from(pki.ca_der.clone())).unwrap();
    let mut client = rustls::ClientConfig::builder_with_provider(p.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    client.resumption = rustls::client::Resumption::disabled();
    let server = rustls::ServerConfig::builder_with_provider(p)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(pki.ecdsa.0.clone())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.ecdsa.1.clone())),
        )
        .unwrap();
    (Arc::new(client), Arc::new(server))
}

// ---------------- ring floors ----------------

/// ML-KEM-768 for one handshake, with `libcrux-ml-kem` alone: the client's
/// key generation and decapsulation, the server's encapsulation (with its
/// encapsulation key check).
fn floor_mlkem768(rng: &SystemRandom) {
    use libcrux_ml_kem::mlkem768;
    use ring::rand::SecureRandom;
    let mut seed = [0u8; 64];
    rng.fill(&mut seed).unwrap();
    let pair = mlkem768::generate_key_pair(seed);
    let mut m = [0u8; 32];
    rng.fill(&mut m).unwrap();
    assert!(mlkem768::validate_public_key(pair.public_key()));
    let (ct, ss) = mlkem768::encapsulate(pair.public_key(), m);
    let ss2 = mlkem768::decapsulate(pair.private_key(), &ct);
    std::hint::black_box((ss, ss2));
}

/// The client's key shares alone: ML-KEM-768 key generation (with `pq`)
/// and one X25519 key pair.
fn floor_client_shares(rng: &SystemRandom, pq: bool) {
    use ring::agreement::{EphemeralPrivateKey, X25519};
    use ring::rand::SecureRandom;
    if pq {
        let mut seed = [0u8; 64];
        rng.fill(&mut seed).unwrap();
        std::hint::black_box(libcrux_ml_kem::mlkem768::generate_key_pair(seed));
    }
    let key = EphemeralPrivateKey::generate(&X25519, rng).unwrap();
    std::hint::black_box(key.compute_public_key().unwrap());
}

/// The public-key operations of a full handshake: two X25519 key pairs and
/// agreements, the server's signature, and the client's two verifications
/// (the chain's CA signature and the handshake signature).
/// X25519 for one handshake: the client's and the server's key pairs
/// (two scalar multiplications) and each side's agreement (two more).
fn floor_key_exchange(rng: &SystemRandom) {
    use ring::agreement::{agree_ephemeral, EphemeralPrivateKey, UnparsedPublicKey, X25519};
    let client = EphemeralPrivateKey::generate(&X25519, rng).unwrap();
    let client_pub = client.compute_public_key().unwrap();
    let server = EphemeralPrivateKey::generate(&X25519, rng).unwrap();
    let server_pub = server.compute_public_key().unwrap();
    for (key, peer) in [(client, server_pub), (server, client_pub)] {
        agree_ephemeral(key, &UnparsedPublicKey::new(&X25519, peer.as_ref()), |s| {
            std::hint::black_box(s.len())
        })
        .unwrap();
    }
}

fn floor_handshake(pki: &Pki, rsa: bool, pq: bool) -> impl FnMut() + '_ {
    let rng = SystemRandom::new();
    let ecdsa = signature::EcdsaKeyPair::from_pkcs8(
        &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
        &pki.ecdsa.1,
        &rng,
    )
    .unwrap();
    let rsa_key = signature::RsaKeyPair::from_pkcs8(&pki.rsa.1).unwrap();
    let msg = [7u8; 130];
    let ecdsa_sig = ecdsa.sign(&rng, &msg).unwrap();
    let mut rsa_sig = vec![0u8; rsa_key.public().modulus_len()];
    rsa_key
        .sign(&signature::RSA_PSS_SHA256, &rng, &msg, &mut rsa_sig)
        .unwrap();
    let ecdsa_pub = ecdsa.public_key().as_ref().to_vec();
    let rsa_pub = rsa_key.public().as_ref().to_vec();
    move || {
        floor_key_exchange(&rng);
        if pq {
            floor_mlkem768(&rng);
        }
        // The CA (ECDSA) signature on the leaf.
        signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_ASN1, &ecdsa_pub)
            .verify(&msg, ecdsa_sig.as_ref())
            .unwrap();
        if rsa {
            let mut sig = vec![0u8; rsa_key.public().modulus_len()];
            rsa_key
                .sign(&signature::RSA_PSS_SHA256, &rng, &msg, &mut sig)
                .unwrap();
            signature::UnparsedPublicKey::new(&signature::RSA_PSS_2048_8192_SHA256, &rsa_pub)
                .verify(&msg, &rsa_sig)
                .unwrap();
        } else {
            let sig = ecdsa.sign(&rng, &msg).unwrap();
            std::hint::black_box(sig.as_ref());
            signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_ASN1, &ecdsa_pub)
                .verify(&msg, ecdsa_sig.as_ref())
                .unwrap();
        }
    }
}

/// A resumed TLS 1.3 handshake (psk_dhe_ke) needs the two key pairs and
/// agreements only; a resumed TLS 1.2 one needs no public-key operation,
/// so its floor is the HMACs of its PRF (key block and two Finished).
fn floor_resumed(tls13: bool) -> impl FnMut() {
    let rng = SystemRandom::new();
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &[1u8; 48]);
    move || {
        if tls13 {
            floor_key_exchange(&rng);
        } else {
            // Key block (2 blocks) and two Finished, each P_hash: 2 HMACs per block.
            for _ in 0..8 {
                std::hint::black_box(ring::hmac::sign(&key, &[3u8; 64]));
            }
        }
    }
}

/// Seal then open 16 KiB with ring alone.
fn floor_bulk(alg: &'static ring::aead::Algorithm) -> impl FnMut() {
    floor_bulk_sized(alg, 16384)
}

/// Seal then open `size` bytes with ring alone.
fn floor_bulk_sized(alg: &'static ring::aead::Algorithm, size: usize) -> impl FnMut() {
    let key = ring::aead::LessSafeKey::new(
        ring::aead::UnboundKey::new(alg, &vec![9u8; alg.key_len()]).unwrap(),
    );
    let mut buf = vec![5u8; size];
    let mut seq = 0u64;
    move || {
        seq += 1;
        let mut nonce = [0u8; 12];
        nonce[4..].copy_from_slice(&seq.to_be_bytes());
        let tag = key
            .seal_in_place_separate_tag(
                ring::aead::Nonce::assume_unique_for_key(nonce),
                ring::aead::Aad::from([0u8; 13]),
                &mut buf,
            )
            .unwrap();
        buf.extend_from_slice(tag.as_ref());
        key.open_in_place(
            ring::aead::Nonce::assume_unique_for_key(nonce),
            ring::aead::Aad::from([0u8; 13]),
            &mut buf,
        )
        .unwrap();
        buf.truncate(size);
    }
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` would pass nothing
    // useful, so a quick run is possible with BENCH_MS.
    let ms: u64 = std::env::var("BENCH_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400);
    // BENCH_FILTER=substring runs only the rows whose names contain it.
    let filter = std::env::var("BENCH_FILTER").ok();
    let wanted = |name: &str| filter.as_deref().is_none_or(|f| name.contains(f));
    let pki = pki();
    let mut rows = Vec::new();
    let tls13_ecdsa = CipherSuite::TLS13_AES_128_GCM_SHA256;
    let tls12_ecdsa = CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;
    let tls12_rsa = CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256;

    for (name, leaf, version, suite, rsa, cache) in [
        (
            "full handshake TLS 1.3, ECDSA P-256, X25519",
            &pki.ecdsa,
            ProtocolVersion::TLSV1_3,
            tls13_ecdsa,
            false,
            true,
        ),
        (
            "full handshake TLS 1.3, RSA-2048, X25519",
            &pki.rsa,
            ProtocolVersion::TLSV1_3,
            tls13_ecdsa,
            true,
            true,
        ),
        (
            "full handshake TLS 1.2, ECDSA P-256, X25519",
            &pki.ecdsa,
            ProtocolVersion::TLSV1_2,
            tls12_ecdsa,
            false,
            true,
        ),
        (
            "full handshake TLS 1.2, RSA-2048, X25519",
            &pki.rsa,
            ProtocolVersion::TLSV1_2,
            tls12_rsa,
            true,
            true,
        ),
        (
            "full handshake TLS 1.3, ECDSA P-256, X25519, no chain cache",
            &pki.ecdsa,
            ProtocolVersion::TLSV1_3,
            tls13_ecdsa,
            false,
            false,
        ),
        (
            "full handshake TLS 1.2, ECDSA P-256, X25519, no chain cache",
            &pki.ecdsa,
            ProtocolVersion::TLSV1_2,
            tls12_ecdsa,
            false,
            false,
        ),
    ] {
        if !wanted(name) {
            continue;
        }
        let (_, os) = ours_configs(&pki, leaf, version, suite);
        let (tc, ts) = theirs_configs(&pki, leaf, version, suite);
        // Nothing may resume: both clients keep no sessions. Our default
        // verifier remembers chains that verified; the "no chain cache" rows
        // validate every chain, as rustls does.
        let verifier = WebPkiServerVerifier::new(Arc::new(oc_roots(&pki)))
            .with_cache_capacity(if cache { DEFAULT_VERIFIED_CHAINS } else { 0 });
        let oc = ClientConfig::builder_with_webpki(verifier)
            .versions(&[version])
            .cipher_suites(&[suite])
            .groups(&[NamedGroup::X25519, NamedGroup::SECP256R1])
            .certificate_compression(&[])
            .session_store(None)
            .build()
            .unwrap();
        let mut tc_noresume = (*tc).clone();
        tc_noresume.resumption = rustls::client::Resumption::disabled();
        let tc = Arc::new(tc_noresume);
        let (ours, theirs, floor) = race(
            ms,
            &mut || {
                std::hint::black_box(ours_handshake(&oc, &os));
            },
            &mut || {
                std::hint::black_box(theirs_handshake(&tc, &ts));
            },
            &mut floor_handshake(&pki, rsa, false),
        );
        rows.push(Row {
            name: name.into(),
            ours,
            theirs,
            floor: Some(floor),
            unit: "us",
        });
    }

    // The hybrid post-quantum handshake: X25519MLKEM768 (with the X25519
    // share beside it, as both libraries send by default) against rustls
    // on aws-lc-rs; the floor adds ML-KEM-768 to the X25519 handshake's.
    // With our default verifier's chain cache, and without it (like for
    // like: rustls validates every chain).
    for (name, cache) in [
        ("full handshake TLS 1.3, ECDSA P-256, X25519MLKEM768", true),
        (
            "full handshake TLS 1.3, ECDSA P-256, X25519MLKEM768, no chain cache",
            false,
        ),
    ] {
        if !wanted(name) {
            continue;
        }
        let os = ServerConfig::builder(
            CertifiedKey::from_der(vec![pki.ecdsa.0.clone()], &pki.ecdsa.1).unwrap(),
        )
        .cipher_suites(&[tls13_ecdsa])
        .build()
        .unwrap();
        let oc = ClientConfig::builder_with_webpki(
            WebPkiServerVerifier::new(Arc::new(oc_roots(&pki))).with_cache_capacity(if cache {
                DEFAULT_VERIFIED_CHAINS
            } else {
                0
            }),
        )
        .cipher_suites(&[tls13_ecdsa])
        .certificate_compression(&[])
        .session_store(None)
        .build()
        .unwrap();
        let (tc, ts) = theirs_pq_configs(&pki);
        let (c, _) = ours_handshake(&oc, &os);
        assert_eq!(c.key_exchange_group(), Some(NamedGroup::X25519_MLKEM768));
        let (tcn, _) = theirs_handshake(&tc, &ts);
        assert_eq!(
            tcn.negotiated_key_exchange_group().map(|g| g.name()),
            Some(rustls::NamedGroup::X25519MLKEM768)
        );
        let (ours, theirs, floor) = race(
            ms,
            &mut || {
                std::hint::black_box(ours_handshake(&oc, &os));
            },
            &mut || {
                std::hint::black_box(theirs_handshake(&tc, &ts));
            },
            &mut floor_handshake(&pki, false, true),
        );
        rows.push(Row {
            name: name.into(),
            ours,
            theirs,
            floor: Some(floor),
            unit: "us",
        });
    }

    // What the default two-share ClientHello costs over an X25519-only
    // one: making the client connection (key shares and the encoded
    // hello), each library with its post-quantum default and with X25519.
    for (name, pq) in [
        ("ClientHello, X25519MLKEM768 + X25519 shares", true),
        ("ClientHello, X25519 share only", false),
    ] {
        if !wanted(name) {
            continue;
        }
        let mut b = ClientConfig::builder(oc_roots(&pki)).session_store(None);
        if !pq {
            b = b.groups(&[NamedGroup::X25519]);
        }
        let oc = b.build().unwrap();
        let (tc, _) = if pq {
            theirs_pq_configs(&pki)
        } else {
            theirs_configs(&pki, &pki.ecdsa, ProtocolVersion::TLSV1_3, tls13_ecdsa)
        };
        let rng = SystemRandom::new();
        let (ours, theirs, floor) = race(
            ms,
            &mut || {
                let c = ClientConnection::new(oc.clone(), "localhost").unwrap();
                std::hint::black_box(c.pending_tls().len());
            },
            &mut || {
                let mut c =
                    rustls::ClientConnection::new(tc.clone(), "localhost".try_into().unwrap())
                        .unwrap();
                let mut out = Vec::new();
                c.write_tls(&mut out).unwrap();
                std::hint::black_box(out.len());
            },
            &mut || floor_client_shares(&rng, pq),
        );
        rows.push(Row {
            name: name.into(),
            ours,
            theirs,
            floor: Some(floor),
            unit: "us",
        });
    }

    for (name, version, suite) in [
        (
            "resumed handshake TLS 1.3 (ticket, X25519)",
            ProtocolVersion::TLSV1_3,
            tls13_ecdsa,
        ),
        (
            "resumed handshake TLS 1.2 (ticket)",
            ProtocolVersion::TLSV1_2,
            tls12_ecdsa,
        ),
    ] {
        if !wanted(name) {
            continue;
        }
        let (oc, os) = ours_configs(&pki, &pki.ecdsa, version, suite);
        let (tc, ts) = theirs_configs(&pki, &pki.ecdsa, version, suite);
        let (ours, theirs, floor) = race(
            ms,
            &mut || {
                let (mut c, mut s) = ours_handshake(&oc, &os);
                // The ticket arrives with the server's first flight after
                // the handshake; deliver it so that the next one resumes.
                ours_pump(&mut s, &mut c);
                std::hint::black_box((c, s));
            },
            &mut || {
                std::hint::black_box(theirs_handshake(&tc, &ts));
            },
            &mut floor_resumed(version == ProtocolVersion::TLSV1_3),
        );
        let (c, _) = ours_handshake(&oc, &os);
        let (tcn, _) = theirs_handshake(&tc, &ts);
        assert!(c.is_resumed(), "{name}: cloaktls did not resume");
        assert!(
            matches!(tcn.handshake_kind(), Some(rustls::HandshakeKind::Resumed)),
            "{name}: rustls did not resume"
        );
        rows.push(Row {
            name: name.into(),
            ours,
            theirs,
            floor: Some(floor),
            unit: "us",
        });
    }

    for (name, version, suite, alg) in [
        (
            "bulk 16 KiB TLS 1.3 AES-128-GCM",
            ProtocolVersion::TLSV1_3,
            CipherSuite::TLS13_AES_128_GCM_SHA256,
            &ring::aead::AES_128_GCM,
        ),
        (
            "bulk 16 KiB TLS 1.3 AES-256-GCM",
            ProtocolVersion::TLSV1_3,
            CipherSuite::TLS13_AES_256_GCM_SHA384,
            &ring::aead::AES_256_GCM,
        ),
        (
            "bulk 16 KiB TLS 1.3 ChaCha20-Poly1305",
            ProtocolVersion::TLSV1_3,
            CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
            &ring::aead::CHACHA20_POLY1305,
        ),
        (
            "bulk 16 KiB TLS 1.2 AES-128-GCM",
            ProtocolVersion::TLSV1_2,
            tls12_ecdsa,
            &ring::aead::AES_128_GCM,
        ),
        (
            "bulk 16 KiB TLS 1.2 AES-256-GCM",
            ProtocolVersion::TLSV1_2,
            CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            &ring::aead::AES_256_GCM,
        ),
        (
            "bulk 16 KiB TLS 1.2 ChaCha20-Poly1305",
            ProtocolVersion::TLSV1_2,
            CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
            &ring::aead::CHACHA20_POLY1305,
        ),
    ] {
        if !wanted(name) {
            continue;
        }
        let (oc, os) = ours_configs(&pki, &pki.ecdsa, version, suite);
        let (tc, ts) = theirs_configs(&pki, &pki.ecdsa, version, suite);
        let (mut c, mut s) = ours_handshake(&oc, &os);
        let (mut tcn, mut tsn) = theirs_handshake(&tc, &ts);
        let data = vec![0x5au8; 16384];

        let mut ours_fn = || {
            assert_eq!(c.send(&data).unwrap(), data.len());
            ours_pump(&mut c, &mut s);
            // Each library's zero-copy read: the plaintext where it was
            // decrypted (cloaktls) or buffered (rustls's BufRead).
            let mut got = 0;
            while got < data.len() {
                let chunk = s.peek_received();
                let n = chunk.len();
                assert!(n > 0);
                std::hint::black_box(chunk);
                s.consume_received(n);
                got += n;
            }
        };
        let mut buf = Vec::new();
        let mut theirs_fn = || {
            tcn.writer().write_all(&data).unwrap();
            theirs_pump(&mut tcn, &mut tsn, &mut buf);
            let mut got = 0;
            while got < data.len() {
                let mut reader = tsn.reader();
                let chunk = reader.fill_buf().unwrap();
                let n = chunk.len();
                assert!(n > 0);
                std::hint::black_box(chunk);
                reader.consume(n);
                got += n;
            }
        };
        let (ours, theirs, floor) = race(ms, &mut ours_fn, &mut theirs_fn, &mut floor_bulk(alg));
        rows.push(Row {
            name: name.into(),
            ours,
            theirs,
            floor: Some(floor),
            unit: "MB/s",
        });

        // The same through the caller's buffers: the application's data
        // written where its record is sealed (`seal_in_place`, no copy)
        // and opened where it lies (`read_tls_in_place`), both directions
        // in turn; as the floor does, each round seals again the plaintext
        // the last one opened.
        let in_place = format!("{name}, in place, both directions");
        if wanted(&in_place) {
            let (mut c, mut s) = ours_handshake(&oc, &os);
            let mut wire = vec![0u8; 17 * 1024];
            let mut flip = false;
            let mut ours_fn = || {
                flip = !flip;
                let (from, to): (&mut cloaktls::Connection, &mut cloaktls::Connection) = if flip {
                    (&mut c, &mut s)
                } else {
                    (&mut s, &mut c)
                };
                let sealed = from.write_tls_into(&data, &mut wire).unwrap();
                assert_eq!(sealed.taken, data.len());
                match to.read_tls_in_place(&mut wire[..sealed.written]).unwrap() {
                    cloaktls::conn::InPlace::Data { plaintext, .. } => {
                        assert_eq!(plaintext.len(), data.len());
                        std::hint::black_box(plaintext);
                    }
                    other => panic!("{other:?}"),
                }
            };
            let (ours, _, floor) = race(ms, &mut ours_fn, &mut theirs_fn, &mut floor_bulk(alg));
            rows.push(Row {
                name: in_place,
                ours,
                theirs,
                floor: Some(floor),
                unit: "MB/s",
            });
        }
    }

    // Small records, as interactive protocols write them: 1 KiB a write.
    let name = "small records: 1 KiB writes TLS 1.3 AES-128-GCM";
    if wanted(name) {
        let (oc, os) = ours_configs(&pki, &pki.ecdsa, ProtocolVersion::TLSV1_3, tls13_ecdsa);
        let (tc, ts) = theirs_configs(&pki, &pki.ecdsa, ProtocolVersion::TLSV1_3, tls13_ecdsa);
        let (mut c, mut s) = ours_handshake(&oc, &os);
        let (mut tcn, mut tsn) = theirs_handshake(&tc, &ts);
        let data = vec![0x5au8; 1024];
        let mut ours_fn = || {
            assert_eq!(c.send(&data).unwrap(), data.len());
            ours_pump(&mut c, &mut s);
            let chunk = s.peek_received();
            let n = chunk.len();
            assert_eq!(n, data.len());
            std::hint::black_box(chunk);
            s.consume_received(n);
        };
        let mut buf = Vec::new();
        let mut theirs_fn = || {
            tcn.writer().write_all(&data).unwrap();
            theirs_pump(&mut tcn, &mut tsn, &mut buf);
            let mut reader = tsn.reader();
            let chunk = reader.fill_buf().unwrap();
            let n = chunk.len();
            assert_eq!(n, data.len());
            std::hint::black_box(chunk);
            reader.consume(n);
        };
        let (ours, theirs, floor) = race(
            ms,
            &mut ours_fn,
            &mut theirs_fn,
            &mut floor_bulk_sized(&ring::aead::AES_128_GCM, 1024),
        );
        rows.push(Row {
            name: name.into(),
            ours,
            theirs,
            floor: Some(floor),
            unit: "MB/s 1K",
        });
    }

    // Memory: heap per idle connection after a handshake, the peak during
    // one, and allocations per handshake (client and server together).
    // Encrypted Client Hello (RFC 9849) against the same handshake without
    // it, both cloaktls (rustls has no ECH server, and on ring no HPKE):
    // the "rustls" column holds the plain handshake, so "vs rustls" is
    // plain / ECH. ECH adds an HPKE setup on each side (an X25519 key pair
    // and agreement for the client, an agreement for the server), the
    // sealing and opening of ClientHelloInner, and the acceptance
    // confirmation.
    let name = "ECH handshake TLS 1.3, X25519MLKEM768 (\"rustls\" = cloaktls without ECH)";
    if wanted(name) {
        let key =
            EchKey::generate("public.example", 7, &cloaktls::crypto::SystemRandom::new()).unwrap();
        let cert = CertifiedKey::from_der(vec![pki.ecdsa.0.clone()], &pki.ecdsa.1).unwrap();
        let os_plain = ServerConfig::builder(cert.clone())
            .cipher_suites(&[tls13_ecdsa])
            .build()
            .unwrap();
        let os_ech = ServerConfig::builder(cert)
            .cipher_suites(&[tls13_ecdsa])
            .ech_key(key.clone())
            .build()
            .unwrap();
        let client = || {
            ClientConfig::builder_with_webpki(
                WebPkiServerVerifier::new(Arc::new(oc_roots(&pki)))
                    .with_cache_capacity(DEFAULT_VERIFIED_CHAINS),
            )
            .cipher_suites(&[tls13_ecdsa])
            .session_store(None)
        };
        let oc_plain = client().build().unwrap();
        let oc_ech = client()
            .ech(EchConfigList::from_bytes(&key.config_list()).unwrap())
            .build()
            .unwrap();
        let (c, _) = ours_handshake(&oc_ech, &os_ech);
        assert_eq!(c.ech_status(), EchStatus::Accepted);
        let (ours, theirs, _) = race(
            ms,
            &mut || {
                std::hint::black_box(ours_handshake(&oc_ech, &os_ech));
            },
            &mut || {
                std::hint::black_box(ours_handshake(&oc_plain, &os_plain));
            },
            &mut || {},
        );
        rows.push(Row {
            name: name.into(),
            ours,
            theirs,
            floor: None,
            unit: "us",
        });
    }

    let memory_rows = [
        "heap per idle connection",
        "peak heap during a handshake",
        "allocations per handshake",
    ];
    if memory_rows.iter().any(|n| wanted(n)) {
        let (_, os) = ours_configs(&pki, &pki.ecdsa, ProtocolVersion::TLSV1_3, tls13_ecdsa);
        let (tc, ts) = theirs_configs(&pki, &pki.ecdsa, ProtocolVersion::TLSV1_3, tls13_ecdsa);
        let measure = |f: &mut dyn FnMut() -> Box<dyn std::any::Any>| -> (f64, f64, f64) {
            let before = LIVE.load(Ordering::SeqCst);
            PEAK.store(before, Ordering::SeqCst);
            let allocs = ALLOCS.load(Ordering::SeqCst);
            let kept = f();
            let peak = PEAK.load(Ordering::SeqCst) - before;
            let live = LIVE.load(Ordering::SeqCst) - before;
            let n = ALLOCS.load(Ordering::SeqCst) - allocs;
            drop(kept);
            (live as f64 / 2.0, peak as f64, n as f64)
        };
        // X25519 only and no certificate compression, like the rustls side.
        let oc_plain = ClientConfig::builder(oc_roots(&pki))
            .groups(&[NamedGroup::X25519])
            .certificate_compression(&[])
            .session_store(None)
            .build()
            .unwrap();
        let mut tc2 = (*tc).clone();
        tc2.resumption = rustls::client::Resumption::disabled();
        let tc2 = Arc::new(tc2);
        // One handshake first, so that what a configuration sets up once
        // (our verifier's chain cache, either side's lazily built state)
        // is not counted against a connection.
        drop(ours_handshake(&oc_plain, &os));
        drop(theirs_handshake(&tc2, &ts));
        let (ol, op, on) = measure(&mut || Box::new(ours_handshake(&oc_plain, &os)));
        let (tl, tp, tn) = measure(&mut || Box::new(theirs_handshake(&tc2, &ts)));
        rows.push(Row {
            name: "heap per idle connection (TLS 1.3, bytes)".into(),
            ours: ol,
            theirs: tl,
            floor: None,
            unit: "B",
        });
        rows.push(Row {
            name: "peak heap during a handshake (both sides)".into(),
            ours: op,
            theirs: tp,
            floor: None,
            unit: "B",
        });
        rows.push(Row {
            name: "allocations per handshake (both sides)".into(),
            ours: on,
            theirs: tn,
            floor: None,
            unit: "allocs",
        });
    }

    println!(
        "cloaktls vs rustls 0.23 (ring; aws-lc-rs for X25519MLKEM768) vs ring 0.17 \
         (+ libcrux-ml-kem), per-thread CPU time, {ms} ms per measurement"
    );
    print(&rows);
    if wanted("certificate compression") {
        certificate_compression(&pki, ms);
    }
}

/// A full TLS 1.3 handshake with the server's chain compressed (RFC 8879)
/// against one without: cloaktls against itself, the time per handshake
/// and the server's first flight in bytes. The chain is the CA and the
/// leaf (ECDSA P-256).
fn certificate_compression(pki: &Pki, ms: u64) {
    use cloaktls::msgs::enums::CertificateCompressionAlgorithm as Alg;
    let chain = || {
        CertifiedKey::from_der(vec![pki.ecdsa.0.clone(), pki.ca_der.clone()], &pki.ecdsa.1).unwrap()
    };
    let flight = |algs: &[Alg]| {
        let s = ServerConfig::builder(chain())
            .cipher_suites(&[CipherSuite::TLS13_AES_128_GCM_SHA256])
            .groups(&[NamedGroup::X25519])
            .certificate_compression(algs)
            .tickets(0)
            .build()
            .unwrap();
        let c = ClientConfig::builder_with_webpki(
            WebPkiServerVerifier::new(Arc::new(oc_roots(pki))).with_cache_capacity(0),
        )
        .groups(&[NamedGroup::X25519])
        .session_store(None)
        .build()
        .unwrap();
        (c, s)
    };
    println!();
    println!("certificate compression (RFC 8879), TLS 1.3, a two-certificate ECDSA chain, cloaktls against itself:");
    println!("| compression | handshake | vs none | server's first flight |");
    println!("|---|---:|---:|---:|");
    let mut base = 0.0;
    for (name, algs) in [
        ("none", &[][..]),
        ("zlib", &[Alg::ZLIB][..]),
        ("brotli", &[Alg::BROTLI][..]),
        ("zstd", &[Alg::ZSTD][..]),
    ] {
        let (c, s) = flight(algs);
        // The server's first flight: everything it writes to the
        // client's hello.
        let mut client = ClientConnection::new(c.clone(), "localhost").unwrap();
        let mut server = cloaktls::ServerConnection::new(s.clone()).unwrap();
        ours_pump(&mut client, &mut server);
        let bytes = server.pending_tls().len();
        let t = time(ms, || {
            std::hint::black_box(ours_handshake(&c, &s));
        });
        if base == 0.0 {
            base = t;
        }
        println!(
            "| {name} | {:.1} us | {:.2} | {bytes} B |",
            t / 1000.0,
            base / t
        );
    }
}
