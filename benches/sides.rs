//! Each side's cost of a handshake, separately, as rustls's published
//! reports give them: server and client handshakes per second for cloaktls,
//! rustls and the ring floor of that side's public-key work. Both clients
//! validate the whole chain every time (no chain cache, no resumption
//! unless the row resumes), so both do the same work.
//!
//! `cargo bench --bench sides` prints per-thread CPU time. With
//! `BENCH_ICOUNT=N` it instead runs N handshakes of the rows selected by
//! `BENCH_FILTER` for the contender `BENCH_ONLY` (ours, rustls or floor)
//! inside `measured`, each side's work inside `on_client` / `on_server`,
//! for `tools/icount.sh` to count instructions under callgrind: a count
//! that other load on the machine does not move.

mod common;
use cloaktls::verify::WebPkiServerVerifier;
use cloaktls::{CipherSuite, NamedGroup, ProtocolVersion};
use cloaktls::{ClientConfig, ClientConnection, ServerConnection};
use common::*;
use ring::rand::SystemRandom;
use ring::signature::{self, KeyPair};
use std::sync::Arc;

/// CPU time spent on each side, in nanoseconds.
#[derive(Default, Clone, Copy, Debug)]
struct Sides {
    client: u64,
    server: u64,
}

/// Client-side work, timed into `t` (and a function of its own, so that
/// callgrind can count its instructions).
#[inline(never)]
fn on_client<R>(t: &mut Sides, f: impl FnOnce() -> R) -> R {
    let start = cpu_ns();
    let r = f();
    t.client += cpu_ns() - start;
    r
}

/// Server-side work, as [`on_client`].
#[inline(never)]
fn on_server<R>(t: &mut Sides, f: impl FnOnce() -> R) -> R {
    let start = cpu_ns();
    let r = f();
    t.server += cpu_ns() - start;
    r
}

// ---------------- cloaktls ----------------

fn ours_client_no_cache(
    pki: &Pki,
    version: ProtocolVersion,
    suite: CipherSuite,
    resume: bool,
) -> Arc<ClientConfig> {
    let b = ClientConfig::builder_with_webpki(
        WebPkiServerVerifier::new(Arc::new(oc_roots(pki))).with_cache_capacity(0),
    )
    .versions(&[version])
    .cipher_suites(&[suite])
    .groups(&[NamedGroup::X25519, NamedGroup::SECP256R1])
    // rustls compresses no certificate by default: the same work.
    .certificate_compression(&[]);
    let b = if resume { b } else { b.session_store(None) };
    b.build().unwrap()
}

/// Moves everything `from` wants to write into `to`, each side's calls
/// timed to it.
fn ours_flight(
    t: &mut Sides,
    from_client: bool,
    c: &mut ClientConnection,
    s: &mut ServerConnection,
) {
    loop {
        let (wants, pending) = if from_client {
            (c.wants_write(), c.pending_tls().to_vec())
        } else {
            (s.wants_write(), s.pending_tls().to_vec())
        };
        if !wants {
            return;
        }
        if from_client {
            let n = on_server(t, || s.read_tls(&pending).unwrap().taken(pending.len()));
            on_client(t, || c.consume_tls(n));
        } else {
            let n = on_client(t, || c.read_tls(&pending).unwrap().taken(pending.len()));
            on_server(t, || s.consume_tls(n));
        }
    }
}

fn ours_sides(
    t: &mut Sides,
    cfg: &(Arc<ClientConfig>, Arc<cloaktls::ServerConfig>),
) -> (ClientConnection, ServerConnection) {
    let mut c = on_client(t, || {
        ClientConnection::new(cfg.0.clone(), "localhost").unwrap()
    });
    let mut s = on_server(t, || ServerConnection::new(cfg.1.clone()).unwrap());
    while c.is_handshaking() || s.is_handshaking() || c.wants_write() || s.wants_write() {
        ours_flight(t, true, &mut c, &mut s);
        ours_flight(t, false, &mut c, &mut s);
    }
    assert!(c.error().is_none() && s.error().is_none());
    (c, s)
}

// ---------------- rustls ----------------

fn theirs_sides(
    t: &mut Sides,
    cfg: &(Arc<rustls::ClientConfig>, Arc<rustls::ServerConfig>),
) -> (rustls::ClientConnection, rustls::ServerConnection) {
    let mut c = on_client(t, || {
        rustls::ClientConnection::new(cfg.0.clone(), "localhost".try_into().unwrap()).unwrap()
    });
    let mut s = on_server(t, || rustls::ServerConnection::new(cfg.1.clone()).unwrap());
    let mut buf = Vec::new();
    while c.is_handshaking() || s.is_handshaking() || c.wants_write() || s.wants_write() {
        buf.clear();
        on_client(t, || {
            while c.wants_write() {
                c.write_tls(&mut buf).unwrap();
            }
        });
        on_server(t, || {
            let mut slice = &buf[..];
            while !slice.is_empty() {
                s.read_tls(&mut slice).unwrap();
                s.process_new_packets().unwrap();
            }
        });
        buf.clear();
        on_server(t, || {
            while s.wants_write() {
                s.write_tls(&mut buf).unwrap();
            }
        });
        on_client(t, || {
            let mut slice = &buf[..];
            while !slice.is_empty() {
                c.read_tls(&mut slice).unwrap();
                c.process_new_packets().unwrap();
            }
        });
    }
    (c, s)
}

// ---------------- floors: each side's public-key work with ring ----------------

/// One side's X25519: a key pair and the agreement.
fn kx_one_side(rng: &SystemRandom, peer: &[u8]) {
    use ring::agreement::{agree_ephemeral, EphemeralPrivateKey, UnparsedPublicKey, X25519};
    let key = EphemeralPrivateKey::generate(&X25519, rng).unwrap();
    std::hint::black_box(key.compute_public_key().unwrap());
    agree_ephemeral(key, &UnparsedPublicKey::new(&X25519, peer), |s| {
        std::hint::black_box(s.len())
    })
    .unwrap();
}

/// What a row's floor does on each side.
#[derive(Clone, Copy, PartialEq)]
enum Floor {
    /// Key exchange, a signature (server) or two verifications (client).
    Full { rsa: bool },
    /// TLS 1.3 resumption: the key exchange only.
    Resumed13,
    /// TLS 1.2 resumption: the PRF's HMACs only.
    Resumed12,
}

struct FloorKeys {
    rng: SystemRandom,
    peer: Vec<u8>,
    ecdsa: signature::EcdsaKeyPair,
    ecdsa_pub: Vec<u8>,
    ecdsa_sig: Vec<u8>,
    rsa: signature::RsaKeyPair,
    rsa_pub: Vec<u8>,
    rsa_sig: Vec<u8>,
    hmac: ring::hmac::Key,
}

const MSG: [u8; 130] = [7u8; 130];

impl FloorKeys {
    fn new(pki: &Pki) -> Self {
        use ring::agreement::{EphemeralPrivateKey, X25519};
        let rng = SystemRandom::new();
        let peer = EphemeralPrivateKey::generate(&X25519, &rng)
            .unwrap()
            .compute_public_key()
            .unwrap()
            .as_ref()
            .to_vec();
        let ecdsa = signature::EcdsaKeyPair::from_pkcs8(
            &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
            &pki.ecdsa.1,
            &rng,
        )
        .unwrap();
        let ecdsa_sig = ecdsa.sign(&rng, &MSG).unwrap().as_ref().to_vec();
        let rsa = signature::RsaKeyPair::from_pkcs8(&pki.rsa.1).unwrap();
        let mut rsa_sig = vec![0u8; rsa.public().modulus_len()];
        rsa.sign(&signature::RSA_PSS_SHA256, &rng, &MSG, &mut rsa_sig)
            .unwrap();
        FloorKeys {
            peer,
            ecdsa_pub: ecdsa.public_key().as_ref().to_vec(),
            rsa_pub: rsa.public().as_ref().to_vec(),
            ecdsa,
            ecdsa_sig,
            rsa,
            rsa_sig,
            hmac: ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &[1u8; 48]),
            rng,
        }
    }

    fn hmacs(&self) {
        // Key block (2 blocks) and two Finished, each P_hash: 2 HMACs per block.
        for _ in 0..8 {
            std::hint::black_box(ring::hmac::sign(&self.hmac, &[3u8; 64]));
        }
    }

    fn server(&self, f: Floor) {
        match f {
            Floor::Full { rsa } => {
                kx_one_side(&self.rng, &self.peer);
                if rsa {
                    let mut sig = vec![0u8; self.rsa.public().modulus_len()];
                    self.rsa
                        .sign(&signature::RSA_PSS_SHA256, &self.rng, &MSG, &mut sig)
                        .unwrap();
                } else {
                    std::hint::black_box(self.ecdsa.sign(&self.rng, &MSG).unwrap());
                }
            }
            Floor::Resumed13 => kx_one_side(&self.rng, &self.peer),
            Floor::Resumed12 => self.hmacs(),
        }
    }

    fn client(&self, f: Floor) {
        let ecdsa = |sig: &[u8]| {
            signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_ASN1, &self.ecdsa_pub)
                .verify(&MSG, sig)
                .unwrap()
        };
        match f {
            Floor::Full { rsa } => {
                kx_one_side(&self.rng, &self.peer);
                // The CA's (ECDSA) signature on the leaf, then the
                // handshake signature.
                ecdsa(&self.ecdsa_sig);
                if rsa {
                    signature::UnparsedPublicKey::new(
                        &signature::RSA_PSS_2048_8192_SHA256,
                        &self.rsa_pub,
                    )
                    .verify(&MSG, &self.rsa_sig)
                    .unwrap();
                } else {
                    ecdsa(&self.ecdsa_sig);
                }
            }
            Floor::Resumed13 => kx_one_side(&self.rng, &self.peer),
            Floor::Resumed12 => self.hmacs(),
        }
    }
}

// ---------------- rows ----------------

struct RowSpec {
    name: &'static str,
    version: ProtocolVersion,
    suite: CipherSuite,
    rsa: bool,
    resumed: bool,
}

const ROWS: [RowSpec; 5] = [
    RowSpec {
        name: "full TLS 1.3, ECDSA P-256",
        version: ProtocolVersion::TLSV1_3,
        suite: CipherSuite::TLS13_AES_128_GCM_SHA256,
        rsa: false,
        resumed: false,
    },
    RowSpec {
        name: "full TLS 1.3, RSA-2048",
        version: ProtocolVersion::TLSV1_3,
        suite: CipherSuite::TLS13_AES_128_GCM_SHA256,
        rsa: true,
        resumed: false,
    },
    RowSpec {
        name: "full TLS 1.2, ECDSA P-256",
        version: ProtocolVersion::TLSV1_2,
        suite: CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        rsa: false,
        resumed: false,
    },
    RowSpec {
        name: "resumed TLS 1.3 (ticket)",
        version: ProtocolVersion::TLSV1_3,
        suite: CipherSuite::TLS13_AES_128_GCM_SHA256,
        rsa: false,
        resumed: true,
    },
    RowSpec {
        name: "resumed TLS 1.2 (ticket)",
        version: ProtocolVersion::TLSV1_2,
        suite: CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        rsa: false,
        resumed: true,
    },
];

impl RowSpec {
    fn floor(&self) -> Floor {
        match (self.resumed, self.version) {
            (false, _) => Floor::Full { rsa: self.rsa },
            (true, ProtocolVersion::TLSV1_3) => Floor::Resumed13,
            (true, _) => Floor::Resumed12,
        }
    }
}

/// One contender's handshake for a row, its sides timed.
type Run<'a> = Box<dyn FnMut(&mut Sides) + 'a>;

fn contenders<'a>(pki: &'a Pki, row: &RowSpec, keys: &'a FloorKeys) -> [Run<'a>; 3] {
    let leaf = if row.rsa { &pki.rsa } else { &pki.ecdsa };
    let (_, os) = ours_configs(pki, leaf, row.version, row.suite);
    let oc = ours_client_no_cache(pki, row.version, row.suite, row.resumed);
    let ours = (oc, os);
    let (tc, ts) = theirs_configs(pki, leaf, row.version, row.suite);
    let mut tc = (*tc).clone();
    if !row.resumed {
        tc.resumption = rustls::client::Resumption::disabled();
    }
    let theirs = (Arc::new(tc), ts);
    let resumed = row.resumed;
    if resumed {
        // The first handshake leaves a ticket for the ones measured.
        let (mut c, mut s) = ours_sides(&mut Sides::default(), &ours);
        ours_flight(&mut Sides::default(), false, &mut c, &mut s);
        let (c2, _) = ours_sides(&mut Sides::default(), &ours);
        assert!(c2.is_resumed(), "{}: cloaktls did not resume", row.name);
        theirs_sides(&mut Sides::default(), &theirs);
        let (c2, _) = theirs_sides(&mut Sides::default(), &theirs);
        assert!(
            matches!(c2.handshake_kind(), Some(rustls::HandshakeKind::Resumed)),
            "{}: rustls did not resume",
            row.name
        );
    }
    let floor = row.floor();
    [
        Box::new(move |t: &mut Sides| {
            let (mut c, mut s) = ours_sides(t, &ours);
            if resumed {
                // The next ticket arrives after the handshake.
                ours_flight(t, false, &mut c, &mut s);
            }
            std::hint::black_box((c, s));
        }),
        Box::new(move |t: &mut Sides| {
            std::hint::black_box(theirs_sides(t, &theirs));
        }),
        Box::new(move |t: &mut Sides| {
            on_client(t, || keys.client(floor));
            on_server(t, || keys.server(floor));
        }),
    ]
}

/// Per-side nanoseconds per handshake of `run`, over `budget_ms`.
fn time_sides(budget_ms: u64, run: &mut Run<'_>) -> Sides {
    let mut t = Sides::default();
    run(&mut t);
    let mut n = 0u64;
    let mut t = Sides::default();
    let start = cpu_ns();
    while n == 0 || cpu_ns() - start < budget_ms * 1_000_000 {
        run(&mut t);
        n += 1;
    }
    Sides {
        client: t.client / n,
        server: t.server / n,
    }
}

/// Runs `n` handshakes for callgrind (see the module's docs).
#[inline(never)]
fn measured(run: &mut Run<'_>, n: u64) {
    let mut t = Sides::default();
    for _ in 0..n {
        run(&mut t);
    }
}

fn main() {
    let ms: u64 = std::env::var("BENCH_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400);
    let filter = std::env::var("BENCH_FILTER").ok();
    let icount: Option<u64> = std::env::var("BENCH_ICOUNT")
        .ok()
        .and_then(|v| v.parse().ok());
    let only = std::env::var("BENCH_ONLY").ok();
    let pki = pki();
    let keys = FloorKeys::new(&pki);
    let names = ["ours", "rustls", "floor"];
    if icount.is_none() {
        println!("each side's CPU time per handshake, in handshakes per second; best of 5 rounds of {} ms", ms / 5);
        println!("| row | side | cloaktls | rustls | ring floor | vs rustls | vs floor |");
        println!("|---|---|---:|---:|---:|---:|---:|");
    }
    for row in &ROWS {
        if filter.as_deref().is_some_and(|f| !row.name.contains(f)) {
            continue;
        }
        let mut runs = contenders(&pki, row, &keys);
        if let Some(n) = icount {
            for (run, name) in runs.iter_mut().zip(names) {
                if only.as_deref().is_none_or(|o| o == name) {
                    run(&mut Sides::default());
                    measured(run, n);
                }
            }
            continue;
        }
        let mut best = [[u64::MAX; 2]; 3];
        for _ in 0..5 {
            for (b, run) in best.iter_mut().zip(runs.iter_mut()) {
                let t = time_sides((ms / 5).max(1), run);
                b[0] = b[0].min(t.client);
                b[1] = b[1].min(t.server);
            }
        }
        for (side, i) in [("server", 1), ("client", 0)] {
            let per_s = |ns: u64| 1e9 / ns as f64;
            let (o, t, f) = (per_s(best[0][i]), per_s(best[1][i]), per_s(best[2][i]));
            println!(
                "| {} | {side} | {o:.0}/s | {t:.0}/s | {f:.0}/s | {:.2} | {:.2} |",
                row.name,
                o / t,
                o / f
            );
        }
    }
}
