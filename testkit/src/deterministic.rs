//! A deterministic configuration for fuzzing harnesses and scripted
//! tests. **Not for production: it has no security at all.** Its
//! randomness is a counter, its clock stands still, its "key exchange"
//! derives the shared secret from the two public values alone, and the
//! client accepts any certificate. Two connections made with it produce
//! the same bytes every time, so a recorded flight stays valid and a
//! fuzzer can reach the messages after the first.
use cloaktls::config::{CertifiedKey, ClientConfig, ServerConfig};
use cloaktls::crypto::kx::{ActiveKeyExchange, KeyExchangeGroup};
use cloaktls::crypto::sign::RingSigningKey;
use cloaktls::crypto::{HashAlgorithm, RandomSource, Secret};
use cloaktls::error::Error;
use cloaktls::msgs::enums::NamedGroup;
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

/// A "group" whose public value is fixed and whose shared secret is the
/// hash of the two public values in sorted order: both sides agree on
/// it whatever they were sent. No secrecy whatsoever.
#[derive(Debug, Clone, Copy)]
pub struct ScriptedGroup {
    /// The group it pretends to be.
    pub name: NamedGroup,
    /// The byte its public value is filled with.
    pub fill: u8,
}

struct ScriptedExchange {
    name: NamedGroup,
    public: Vec<u8>,
}

impl KeyExchangeGroup for ScriptedGroup {
    fn name(&self) -> NamedGroup {
        self.name
    }
    fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, Error> {
        let len = match self.name {
            NamedGroup::SECP256R1 => 65,
            NamedGroup::SECP384R1 => 97,
            _ => 32,
        };
        Ok(Box::new(ScriptedExchange {
            name: self.name,
            public: vec![self.fill; len],
        }))
    }
}

impl ActiveKeyExchange for ScriptedExchange {
    fn group(&self) -> NamedGroup {
        self.name
    }
    fn public_key(&self) -> &[u8] {
        &self.public
    }
    fn complete(self: Box<Self>, peer: &[u8]) -> Result<Secret, Error> {
        let (a, b) = if self.public.as_slice() <= peer {
            (self.public.as_slice(), peer)
        } else {
            (peer, self.public.as_slice())
        };
        Ok(Secret::from_slice(
            &HashAlgorithm::Sha256.hash(&[a, b].concat()),
        ))
    }
}

/// An Ed25519 key from a fixed seed (its signatures are deterministic)
/// and a self-signed certificate for it, made once per process.
fn identity() -> Result<CertifiedKey, Error> {
    // PKCS#8 v1 wrapping of the fixed seed 0x01..0x20 (RFC 8410).
    let mut pkcs8 = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    pkcs8.extend(1u8..=32);
    let key = RingSigningKey::from_der(&pkcs8)?;
    // A self-signed certificate for that key (made once with OpenSSL;
    // the client accepts any certificate, but checks the signature
    // made with its key).
    let cert =
        CertificateDer::from(include_bytes!("../../vectors/fuzzing/identity-ed25519.der").to_vec());
    Ok(CertifiedKey::new(vec![cert], Arc::new(key)))
}

fn groups() -> Vec<Arc<dyn KeyExchangeGroup>> {
    vec![
        Arc::new(ScriptedGroup {
            name: NamedGroup::X25519,
            fill: 0x25,
        }),
        Arc::new(ScriptedGroup {
            name: NamedGroup::SECP256R1,
            fill: 0x04,
        }),
    ]
}

/// A deterministic client configuration (see the module's warning).
pub fn client_config() -> Result<Arc<ClientConfig>, Error> {
    let b = cloaktls::danger::client_without_verification()
        .time(Arc::new(FixedClock(1_800_000_000)))
        .session_store(None);
    let b = cloaktls::danger::custom_groups_client(b, groups());
    cloaktls::danger::custom_random_client(b, Arc::new(CountingRandom::new(0xc1))).build()
}

/// A deterministic server configuration (see the module's warning).
pub fn server_config() -> Result<Arc<ServerConfig>, Error> {
    let b = ServerConfig::builder(identity()?).time(Arc::new(FixedClock(1_800_000_000)));
    let b = cloaktls::danger::custom_groups_server(b, groups());
    cloaktls::danger::custom_random_server(b, Arc::new(CountingRandom::new(0x5e))).build()
}
