//! Bounded memory: no peer can make one connection hold more than a fixed
//! number of bytes, and each such peer gets the right alert. A counting
//! allocator measures the live heap; the tests run one at a time.

mod common;
use cloaktls::conn::Intake;
use cloaktls::crypto::AeadAlgorithm;
use cloaktls::crypto::HashAlgorithm;
use cloaktls::key_schedule::tls13::traffic_key_iv;
use cloaktls::msgs::enums::{AlertDescription, ContentType, ProtocolVersion};
use cloaktls::record::RecordSealer;
use cloaktls::CipherSuite;
use cloaktls::{ClientConfig, ClientConnection, Error, ServerConfig, ServerConnection};
use common::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::sync::{Arc, Mutex};

struct Counting;
static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to the system allocator, only counting.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let now = LIVE.fetch_add(l.size() as isize, Ordering::SeqCst) + l.size() as isize;
        PEAK.fetch_max(now, Ordering::SeqCst);
        // SAFETY: the layout is passed on unchanged.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::SeqCst);
        // SAFETY: p came from System.alloc with this layout.
        unsafe { System.dealloc(p, l) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The most heap one connection may hold under attack: two records in the
/// deframer, one whole handshake message, 64 KiB of unread plaintext and
/// some bookkeeping.
const BOUND: isize = 300 * 1024;

/// Runs `f` and returns the peak heap growth during it.
fn peak_during(f: impl FnOnce()) -> isize {
    let base = LIVE.load(Ordering::SeqCst);
    PEAK.store(base, Ordering::SeqCst);
    f();
    PEAK.load(Ordering::SeqCst) - base
}

fn server() -> ServerConnection {
    let pki = Pki::new("CA");
    let cfg = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
        .build()
        .unwrap();
    ServerConnection::new(cfg).unwrap()
}

fn record(typ: u8, body: &[u8]) -> Vec<u8> {
    let mut r = vec![typ, 3, 3];
    r.extend_from_slice(&(body.len() as u16).to_be_bytes());
    r.extend_from_slice(body);
    r
}

/// Feeds `chunks` to `conn` until it fails; returns the error.
fn feed(conn: &mut cloaktls::Connection, chunks: impl Iterator<Item = Vec<u8>>) -> Option<Error> {
    for c in chunks {
        let mut off = 0;
        while off < c.len() {
            match conn.read_tls(&c[off..]) {
                Ok(Intake::All) => off = c.len(),
                Ok(Intake::Blocked { taken: 0 }) => return None,
                Ok(Intake::Blocked { taken }) => off += taken,
                Err(e) => return Some(e),
            }
        }
        let n = conn.pending_tls().len();
        conn.consume_tls(n);
    }
    None
}

#[test]
fn oversized_handshake_message_is_refused_from_its_header() {
    let _g = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut s = server();
    let mut err = None;
    let peak = peak_during(|| {
        // A ClientHello that claims 16 MiB.
        err = feed(
            &mut s,
            std::iter::once(record(22, &[1, 0xff, 0xff, 0xff, 3, 3])),
        );
    });
    assert_eq!(err.unwrap().alert(), Some(AlertDescription::DECODE_ERROR));
    assert_eq!(s.pending_tls(), &[21, 3, 3, 0, 2, 2, 50]);
    assert!(peak < BOUND, "{peak}");
}

#[test]
fn endless_fragments_are_bounded() {
    let _g = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut s = server();
    let mut err = None;
    let peak = peak_during(|| {
        // The largest message allowed, one byte per record: it fills up to
        // its cap and then fails to decode.
        let header = vec![1u8, 0x01, 0x40, 0x00];
        let chunks = header
            .into_iter()
            .chain(std::iter::repeat_n(0u8, 0x14000))
            .map(|b| record(22, &[b]));
        err = feed(&mut s, chunks);
    });
    assert_eq!(err.unwrap().alert(), Some(AlertDescription::DECODE_ERROR));
    assert!(peak < BOUND, "{peak}");
    // One byte more than the cap is refused at once.
    let mut s = server();
    let err = feed(&mut s, std::iter::once(record(22, &[1, 0x01, 0x40, 0x01]))).unwrap();
    assert_eq!(err.alert(), Some(AlertDescription::DECODE_ERROR));
}

#[test]
fn huge_certificate_chain_is_refused() {
    let _g = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let pki = Pki::new("CA");
    // A real TLS 1.2 ServerHello from our server, then a Certificate that
    // claims 10 MiB.
    let s_cfg = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
        .versions(&[ProtocolVersion::TLSV1_2])
        .build()
        .unwrap();
    let c2 = ClientConnection::new(
        ClientConfig::builder(pki.roots())
            .versions(&[ProtocolVersion::TLSV1_2])
            .build()
            .unwrap(),
        "localhost",
    )
    .unwrap();
    let mut s = ServerConnection::new(s_cfg).unwrap();
    assert_eq!(s.read_tls(c2.pending_tls()).unwrap(), Intake::All);
    let flight = s.pending_tls().to_vec();
    // The ServerHello is the first message of the first record.
    let body = &flight[5..];
    let sh_len = 4 + u32::from_be_bytes([0, body[1], body[2], body[3]]) as usize;
    let server_hello = record(22, &body[..sh_len]);
    let mut c = ClientConnection::new(
        ClientConfig::builder(pki.roots())
            .versions(&[ProtocolVersion::TLSV1_2])
            .build()
            .unwrap(),
        "localhost",
    )
    .unwrap();
    let hello = c.pending_tls().to_vec();
    c.consume_tls(hello.len());
    let mut err = None;
    let peak = peak_during(|| {
        // A Certificate that claims 10 MiB, then the start of its chain.
        let bogus = record(22, &[11, 0xa0, 0x00, 0x00, 0x9f, 0xff, 0xfc]);
        err = feed(&mut c, [server_hello, bogus].into_iter());
    });
    let err = err.expect("refused");
    assert_eq!(err.alert(), Some(AlertDescription::DECODE_ERROR), "{err:?}");
    assert!(err.to_string().contains("certificate"), "{err}");
    assert!(peak < BOUND, "{peak}");
}

#[test]
fn warning_alert_flood_is_cut_off() {
    let _g = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut s = server();
    let mut err = None;
    let peak = peak_during(|| {
        err = feed(
            &mut s,
            std::iter::repeat_with(|| record(21, &[1, 90])).take(10_000),
        );
    });
    assert_eq!(
        err.unwrap().alert(),
        Some(AlertDescription::UNEXPECTED_MESSAGE)
    );
    assert!(peak < BOUND, "{peak}");
}

#[test]
fn change_cipher_spec_flood_is_cut_off() {
    let _g = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let pki = Pki::new("CA");
    let s_cfg = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
        .build()
        .unwrap();
    let c_cfg = ClientConfig::builder(pki.roots()).build().unwrap();
    let c = ClientConnection::new(c_cfg, "localhost").unwrap();
    let mut s = ServerConnection::new(s_cfg).unwrap();
    assert_eq!(s.read_tls(c.pending_tls()).unwrap(), Intake::All);
    let mut err = None;
    let peak = peak_during(|| {
        err = feed(
            &mut s,
            std::iter::repeat_with(|| record(20, &[1])).take(1000),
        );
    });
    assert_eq!(
        err.unwrap().alert(),
        Some(AlertDescription::UNEXPECTED_MESSAGE)
    );
    assert!(peak < BOUND, "{peak}");
}

/// A connected pair, and a sealer for the client's application records.
fn connected() -> (ClientConnection, ServerConnection, RecordSealer) {
    let pki = Pki::new("CA");
    let log = Arc::new(Secrets::default());
    let s_cfg = ServerConfig::builder(pki.server(KeyType::EcdsaP256).certified_key())
        .cipher_suites(&[CipherSuite::TLS13_AES_128_GCM_SHA256])
        .tickets(0)
        .build()
        .unwrap();
    let c_cfg = ClientConfig::builder(pki.roots())
        .key_log(log.clone())
        .build()
        .unwrap();
    let mut c = ClientConnection::new(c_cfg, "localhost").unwrap();
    let mut s = ServerConnection::new(s_cfg).unwrap();
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    let secret = log.get("CLIENT_TRAFFIC_SECRET_0");
    let (key, iv) = traffic_key_iv(HashAlgorithm::Sha256, AeadAlgorithm::Aes128Gcm, &secret);
    let sealer = RecordSealer::tls13(AeadAlgorithm::Aes128Gcm, key.as_bytes(), iv).unwrap();
    (c, s, sealer)
}

#[test]
fn empty_record_flood_is_cut_off() {
    let _g = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let (_c, mut s, mut sealer) = connected();
    let mut err = None;
    let peak = peak_during(|| {
        err = feed(
            &mut s,
            std::iter::repeat_with(|| {
                let mut out = Vec::new();
                sealer
                    .seal(ContentType::APPLICATION_DATA, &[], 0, &mut out)
                    .unwrap();
                out
            })
            .take(1000),
        );
    });
    assert_eq!(
        err.unwrap().alert(),
        Some(AlertDescription::UNEXPECTED_MESSAGE)
    );
    assert!(peak < BOUND, "{peak}");
}

#[test]
fn key_update_flood_is_cut_off() {
    let _g = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let (mut c, mut s, _) = connected();
    let mut err = None;
    let peak = peak_during(|| {
        for _ in 0..1000 {
            c.key_update(true).unwrap();
            let out = c.pending_tls().to_vec();
            c.consume_tls(out.len());
            if let Err(e) = s.read_tls(&out) {
                err = Some(e);
                break;
            }
            let n = s.pending_tls().len();
            s.consume_tls(n);
        }
    });
    assert_eq!(
        err.unwrap().alert(),
        Some(AlertDescription::UNEXPECTED_MESSAGE)
    );
    assert!(peak < BOUND, "{peak}");
}

#[test]
fn unread_application_data_is_not_buffered_without_bound() {
    let _g = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let (_c, mut s, mut sealer) = connected();
    let mut taken_total = 0;
    let peak = peak_during(|| {
        // The server's reader never reads: read_tls stops taking bytes.
        for _ in 0..1000 {
            let mut record = Vec::new();
            sealer
                .seal(ContentType::APPLICATION_DATA, &[7u8; 16384], 0, &mut record)
                .unwrap();
            let n = s.read_tls(&record).unwrap().taken(record.len());
            taken_total += n;
            if n < record.len() {
                break;
            }
        }
    });
    assert!(taken_total < 200_000, "took {taken_total} bytes");
    assert!(peak < BOUND, "{peak}");
}
