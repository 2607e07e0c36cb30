//! A deterministic configuration for fuzzing harnesses and scripted
//! tests. **Not for production: it has no security at all.** Its
//! randomness is a counter, its clock stands still, its key exchange
//! private keys are fixed and public, and the client accepts any
//! certificate. Two connections made with it produce
//! the same bytes every time, so a recorded flight stays valid and a
//! fuzzer can reach the messages after the first.
use cloaktls::config::{
    CertifiedKey, ClientConfig, ClientConfigBuilder, EchConfigList, EchKey, ExternalPsk,
    MemoryPskStore, ServerConfig, ServerConfigBuilder,
};
use cloaktls::crypto::kx::KeyExchangeGroup;
use cloaktls::crypto::sign::RingSigningKey;
use cloaktls::crypto::RandomSource;
use cloaktls::danger::replay::FixedKeyGroup;
use cloaktls::error::Error;
use cloaktls::msgs::enums::{NamedGroup, ProtocolVersion};
use cloaktls::quic::{QuicClientConfig, QuicServerConfig};
use cloaktls::verify::TimeSource;
use pki_types::{CertificateDer, UnixTime};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Randomness that counts: each byte is the next value of a counter
/// mixed with a seed.
#[derive(Debug, Default)]
pub struct CountingRandom {
    next: AtomicU64,
    seed: u8,
}

impl CountingRandom {
    /// A counter starting at zero, mixed with `seed`.
    pub fn new(seed: u8) -> Self {
        CountingRandom {
            next: AtomicU64::new(0),
            seed,
        }
    }
}

impl RandomSource for CountingRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), Error> {
        for b in buf.iter_mut() {
            *b = (self.next.fetch_add(1, Ordering::Relaxed) as u8) ^ self.seed;
        }
        Ok(())
    }
}

/// A clock that always says the same time.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub u64);

impl TimeSource for FixedClock {
    fn now(&self) -> UnixTime {
        UnixTime::since_unix_epoch(Duration::from_secs(self.0))
    }
}

/// The Ed25519 key of the fixed seed `first`, `first + 1`, ...: its
/// signatures are deterministic.
fn ed25519_key(first: u8) -> Result<RingSigningKey, Error> {
    // PKCS#8 v1 wrapping of the seed (RFC 8410).
    let mut pkcs8 = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    pkcs8.extend((0..32u8).map(|i| first.wrapping_add(i)));
    RingSigningKey::from_der(&pkcs8)
}

/// An Ed25519 key from a fixed seed (its signatures are deterministic)
/// and a self-signed certificate for it, made once per process.
fn identity() -> Result<CertifiedKey, Error> {
    let key = ed25519_key(1)?;
    // A self-signed certificate for that key (made once with OpenSSL;
    // the client accepts any certificate, but checks the signature
    // made with its key).
    let cert =
        CertificateDer::from(include_bytes!("../../vectors/fuzzing/identity-ed25519.der").to_vec());
    Ok(CertifiedKey::new(vec![cert], Arc::new(key)))
}

/// Fixed-key groups: X25519MLKEM768 first (its ML-KEM seeds come from
/// the counting randomness), so a handshake takes the hybrid path with its
/// X25519 share beside it, then X25519 and P-256 for HelloRetryRequest
/// and TLS 1.2. `key` fills the (EC)DH private keys.
fn groups(key: u8) -> Result<Vec<Arc<dyn KeyExchangeGroup>>, Error> {
    let mut out: Vec<Arc<dyn KeyExchangeGroup>> = Vec::new();
    for name in [
        NamedGroup::X25519_MLKEM768,
        NamedGroup::X25519,
        NamedGroup::SECP256R1,
    ] {
        out.push(Arc::new(FixedKeyGroup::new(name, &[key; 32])?));
    }
    Ok(out)
}

/// A deterministic client configuration (see the module's warning).
pub fn client_config() -> Result<Arc<ClientConfig>, Error> {
    client_builder()?.build()
}

fn client_builder() -> Result<ClientConfigBuilder, Error> {
    let b = cloaktls::danger::client_without_verification()
        .time(Arc::new(FixedClock(1_800_000_000)))
        .session_store(None);
    let b = cloaktls::danger::custom_groups_client(b, groups(0x1c)?);
    Ok(cloaktls::danger::custom_random_client(
        b,
        Arc::new(CountingRandom::new(0xc1)),
    ))
}

/// The server's Encrypted Client Hello key: from counting randomness, for
/// the public name `public.example`, config_id 0x2a.
pub fn ech_key() -> Result<EchKey, Error> {
    EchKey::generate("public.example", 0x2a, &CountingRandom::new(0xec))
}

/// A deterministic client that offers ECH to [`server_config`]'s key, so
/// that recorded flights take the server through ECH (RFC 9849).
pub fn ech_client_config() -> Result<Arc<ClientConfig>, Error> {
    let list = EchConfigList::from_bytes(&ech_key()?.config_list())?;
    client_builder()?.ech(list).build()
}

/// The external PSKs of the deterministic configuration (RFC 9846 §2.2):
/// one used directly, `fuzz-psk`, and one imported (RFC 9258),
/// `fuzz-imported`, both under fixed keys (public: no security).
pub fn external_psks() -> Result<[ExternalPsk; 2], Error> {
    Ok([
        ExternalPsk::new("fuzz-psk", &[0x42; 32])?,
        ExternalPsk::new("fuzz-imported", &[0x43; 32])?.imported(b"fuzz")?,
    ])
}

/// A deterministic client that offers [`external_psks`] (beside accepting
/// any certificate), so that recorded flights take the server through
/// external PSK selection and binder checks.
pub fn psk_client_config() -> Result<Arc<ClientConfig>, Error> {
    let [direct, imported] = external_psks()?;
    client_builder()?
        .external_psk(direct)
        .external_psk(imported)
        .build()
}

/// A deterministic server configuration (see the module's warning), with
/// an ECH key ([`ech_key`]) and a store of [`external_psks`] beside its
/// certificate.
pub fn server_config() -> Result<Arc<ServerConfig>, Error> {
    server_builder()?
        .ech_key(ech_key()?)
        .external_psks(Arc::new(MemoryPskStore::new(external_psks()?)?))
        .build()
}

fn server_builder() -> Result<ServerConfigBuilder, Error> {
    let b = ServerConfig::builder(identity()?).time(Arc::new(FixedClock(1_800_000_000)));
    let b = cloaktls::danger::custom_groups_server(b, groups(0x5e)?);
    Ok(cloaktls::danger::custom_random_server(
        b,
        Arc::new(CountingRandom::new(0x5e)),
    ))
}

/// The ALPN protocol of the deterministic QUIC configurations (QUIC
/// requires one, RFC 9001 §8.1).
pub const QUIC_ALPN: &str = "fuzz";

/// A deterministic QUIC client configuration: the client's, with ALPN.
pub fn quic_client_config() -> Result<Arc<QuicClientConfig>, Error> {
    QuicClientConfig::new(client_builder()?.alpn_protocols([QUIC_ALPN]).build()?)
}

/// A deterministic QUIC server configuration: the server's, with ALPN
/// and 0-RTT allowed.
pub fn quic_server_config() -> Result<Arc<QuicServerConfig>, Error> {
    QuicServerConfig::new(
        server_builder()?
            .alpn_protocols([QUIC_ALPN])
            .max_early_data(16384)
            .build()?,
    )
}

/// A deterministic server with raw public keys (RFC 7250), for the fuzz
/// targets that reach RawPublicKey Certificates: it serves its identity's
/// key as a raw public key (and the X.509 identity to clients that want
/// it), and asks clients for a raw public key, trusting any (see the
/// module's warning). `versions` as the builder takes them.
pub fn rpk_server_config(versions: &[ProtocolVersion]) -> Result<Arc<ServerConfig>, Error> {
    let b = ServerConfig::builder(CertifiedKey::raw_public_key(Arc::new(ed25519_key(1)?))?)
        .add_certificate(identity()?)
        .client_raw_public_keys(Arc::new(cloaktls::danger::AcceptAnyRawPublicKey), false)
        .versions(versions)
        .time(Arc::new(FixedClock(1_800_000_000)));
    let b = cloaktls::danger::custom_groups_server(b, groups(0x5e)?);
    cloaktls::danger::custom_random_server(b, Arc::new(CountingRandom::new(0x5e))).build()
}

/// A deterministic client of raw public keys alone (RFC 7250), trusting
/// any server key and sending a fixed Ed25519 key of its own when asked.
pub fn rpk_client_config(versions: &[ProtocolVersion]) -> Result<Arc<ClientConfig>, Error> {
    let b =
        ClientConfig::builder_raw_public_keys(Arc::new(cloaktls::danger::AcceptAnyRawPublicKey))
            .client_certificate(CertifiedKey::raw_public_key(Arc::new(ed25519_key(0x41)?))?)
            .versions(versions)
            .time(Arc::new(FixedClock(1_800_000_000)))
            .session_store(None);
    let b = cloaktls::danger::custom_groups_client(b, groups(0x1c)?);
    cloaktls::danger::custom_random_client(b, Arc::new(CountingRandom::new(0xc1))).build()
}
