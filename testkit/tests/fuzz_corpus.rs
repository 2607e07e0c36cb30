//! Replays every file of the fuzz corpus (`fuzz/corpus/<target>/`) through
//! the same entry points as the fuzz targets, so a regression shows here.

use std::path::Path;

fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect();
    out.sort();
    out
}

#[test]
fn deframer_corpus() {
    let files = corpus("deframer");
    assert!(files.len() >= 5, "the deframer corpus is nearly empty");
    let mut records = 0;
    for (_, data) in &files {
        records += cloaktls_testkit::fuzz::deframer(data);
    }
    assert!(records > 0, "no corpus file held a whole record");
}

#[test]
fn client_and_server_corpora() {
    for (target, f) in [
        (
            "client",
            cloaktls_testkit::fuzz::client as fn(&[u8]) -> usize,
        ),
        ("server", cloaktls_testkit::fuzz::server),
        ("client_rpk", cloaktls_testkit::fuzz::client_rpk),
        ("server_rpk", cloaktls_testkit::fuzz::server_rpk),
    ] {
        let files = corpus(target);
        assert!(files.len() >= 3, "the {target} corpus is nearly empty");
        // The recorded flights take the deterministic peer through the
        // handshake, whatever the chunk size: it then writes data, a key
        // update and close_notify too.
        let most = files.iter().map(|(_, d)| f(d)).max().unwrap_or(0);
        assert!(
            most > 100,
            "{target}: no corpus file got far ({most} bytes written)"
        );
    }
}

/// Seeds for the message target that reach decompression: a TLS 1.3
/// Certificate, compressed with each algorithm, as a CompressedCertificate
/// (RFC 8879 §4). CLOAK_WRITE_SEEDS=1 writes them into the corpus.
#[test]
fn compressed_certificate_seeds() {
    use cloaktls::crypto::compress;
    // A Certificate body: empty context, one entry (a few bytes of
    // "certificate", no extensions), repeated so that it compresses.
    let cert = vec![0x30u8; 600];
    let mut entry = Vec::new();
    entry.extend_from_slice(&(cert.len() as u32).to_be_bytes()[1..]);
    entry.extend_from_slice(&cert);
    entry.extend_from_slice(&[0, 0]);
    let mut body = vec![0u8];
    body.extend_from_slice(&(entry.len() as u32).to_be_bytes()[1..]);
    body.extend_from_slice(&entry);
    let algs = compress::supported();
    assert!(!algs.is_empty());
    for alg in algs {
        let data = compress::compress(alg, &body).unwrap();
        let mut inner = Vec::new();
        inner.extend_from_slice(&alg.0.to_be_bytes());
        inner.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
        inner.extend_from_slice(&(data.len() as u32).to_be_bytes()[1..]);
        inner.extend_from_slice(&data);
        // Selector 0: a TLS 1.3 handshake message.
        let mut seed = vec![0u8, 25];
        seed.extend_from_slice(&(inner.len() as u32).to_be_bytes()[1..]);
        seed.extend_from_slice(&inner);
        // The seed is the message the target decompresses.
        let m = cloaktls::msgs::handshake::HandshakeMessage::decode(
            &seed[1..],
            cloaktls::ProtocolVersion::TLSV1_3,
        )
        .unwrap();
        assert!(matches!(
            m.payload,
            cloaktls::msgs::handshake::HandshakePayload::CompressedCertificate(_)
        ));
        assert_eq!(
            compress::decompress(alg, &data, body.len(), 1 << 18).unwrap(),
            body
        );
        assert!(cloaktls_testkit::fuzz::message(&seed), "{alg:?}");
        if std::env::var_os("CLOAK_WRITE_SEEDS").is_some() {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/message");
            std::fs::write(
                dir.join(format!("seed-compressed-certificate-{}", alg.0)),
                &seed,
            )
            .unwrap();
        }
    }
}

#[test]
fn message_corpus() {
    let files = corpus("message");
    assert!(files.len() >= 5, "the message corpus is nearly empty");
    for (name, data) in &files {
        assert!(
            cloaktls_testkit::fuzz::message(data),
            "{name} breaks the round trip"
        );
    }
}

#[test]
fn ech_corpus() {
    let files = corpus("ech");
    assert!(files.len() >= 3, "the ech corpus is nearly empty");
    for (name, data) in &files {
        assert!(
            cloaktls_testkit::fuzz::ech(data),
            "{name} breaks the round trip"
        );
    }
}

#[test]
fn quic_corpora() {
    // CLOAK_WRITE_SEEDS=1 writes the seeds (a recorded handshake of
    // each version, whole and in pieces) into the corpora first.
    if std::env::var_os("CLOAK_WRITE_SEEDS").is_some() {
        for (target, name, bytes) in cloaktls_testkit::fuzz::quic_seeds() {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../fuzz/corpus")
                .join(target);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(format!("seed-{name}")), bytes).unwrap();
        }
    }
    assert_eq!(cloaktls_testkit::fuzz::quic_seeds().len(), 8);
    for (target, f) in [
        (
            "quic_client",
            cloaktls_testkit::fuzz::quic_client as fn(&[u8]) -> usize,
        ),
        ("quic_server", cloaktls_testkit::fuzz::quic_server),
    ] {
        let files = corpus(target);
        assert!(files.len() >= 4, "the {target} corpus is nearly empty");
        // The seeds take the deterministic peer through the handshake: the
        // server then sends its flight and tickets, the client its
        // Finished after its ClientHello (what it writes with no input).
        let first = f(&[0]);
        let most = files.iter().map(|(_, d)| f(d)).max().unwrap_or(0);
        assert!(
            most >= first + 36,
            "{target}: no corpus file got far ({most} bytes written, {first} with no input)"
        );
    }
}
