//! Options that weaken security. Each is for a specific, understood need
//! (a test against a self-signed peer, a legacy peer without the extended
//! master secret); none belongs in a default.

use crate::config::{ClientConfigBuilder, ServerConfigBuilder};
use crate::error::Error;
use crate::verify::ServerCertVerifier;
use pki_types::{CertificateDer, ServerName, UnixTime};
use std::sync::Arc;

/// A server "verifier" that accepts any certificate chain for any name.
/// The server must still prove that it holds the certificate's key (its
/// handshake signature is checked), but anyone can make such a
/// certificate: this gives no protection against an active attacker.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoServerVerification;

impl ServerCertVerifier for NoServerVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<(), Error> {
        Ok(())
    }
}

/// A client-certificate "verifier" that accepts any certificate. The
/// client must still sign with the certificate's key. For test harnesses.
#[derive(Debug, Default, Clone, Copy)]
pub struct AnyClientCertificate;

impl crate::verify::ClientCertVerifier for AnyClientCertificate {
    fn root_subjects(&self) -> Vec<Vec<u8>> {
        Vec::new()
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<(), Error> {
        Ok(())
    }
}

/// A server verifier that checks the chain to trusted roots but not the
/// server's name: anyone with any certificate from those roots passes.
/// For test harnesses that speak to peers named nothing in particular.
#[derive(Debug, Clone)]
pub struct ChainOnlyVerifier {
    inner: crate::verify::WebPkiClientVerifier,
}

impl ChainOnlyVerifier {
    /// A verifier trusting `roots`.
    pub fn new(roots: crate::verify::RootStore) -> Self {
        ChainOnlyVerifier {
            inner: crate::verify::WebPkiClientVerifier::new(Arc::new(roots)),
        }
    }
}

impl ServerCertVerifier for ChainOnlyVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<(), Error> {
        // The chain check without a usage or name: the client-side checker
        // asks for client auth usage, so check the path alone here.
        crate::verify::ClientCertVerifier::verify_client_cert(
            &self.inner,
            end_entity,
            intermediates,
            now,
        )
        .or_else(|e| match e {
            Error::InvalidCertificate(ref c)
                if c.kind == crate::error::CertificateErrorKind::WrongUsage =>
            {
                Ok(())
            }
            other => Err(other),
        })
    }
}

/// A client configuration builder that accepts any server certificate.
pub fn client_without_verification() -> ClientConfigBuilder {
    crate::config::ClientConfig::builder_with_verifier(Arc::new(NoServerVerification))
}

/// Allows TLS 1.2 peers without the extended master secret (RFC 7627),
/// whose sessions are open to the triple handshake attack.
pub fn allow_no_extended_master_secret_client(b: ClientConfigBuilder) -> ClientConfigBuilder {
    b.require_ems(false)
}

/// Offers psk_ke resumption (RFC 8446 §4.2.9) beside psk_dhe_ke: a resumed
/// handshake with no (EC)DHE, so no forward secrecy for its traffic. It is
/// used only with a server that allows it too.
pub fn allow_psk_ke_client(b: ClientConfigBuilder) -> ClientConfigBuilder {
    b.psk_ke(true)
}

/// Resumes with psk_ke whenever a client offers it (saving the key
/// exchange, losing forward secrecy); other clients get psk_dhe_ke.
pub fn allow_psk_ke_server(b: ServerConfigBuilder) -> ServerConfigBuilder {
    b.psk_ke(true)
}

/// The server side of [`allow_no_extended_master_secret_client`].
pub fn allow_no_extended_master_secret_server(b: ServerConfigBuilder) -> ServerConfigBuilder {
    b.require_ems(false)
}

/// Replaying a handshake recorded from another implementation byte for
/// byte (RFC 8448's traces): hooks that make cloaktls send what that
/// implementation sent where cloaktls would choose differently. **Not for
/// production**: a shaped message can offer what cloaktls cannot do, and a
/// fixed key share is no key exchange at all.
pub mod replay {
    use crate::config::{ClientConfigBuilder, ServerConfigBuilder};
    use crate::msgs::handshake::HandshakePayload;
    use std::fmt::Debug;
    use std::sync::Arc;

    use crate::crypto::kx::{self, ActiveKeyExchange, KeyExchangeGroup};
    use crate::error::Error;
    use crate::msgs::enums::NamedGroup;

    /// A key exchange group whose "ephemeral" private key is given: the
    /// same public value and the same shared secrets on every exchange, the
    /// agreement itself computed by `ring`. For replaying a recorded
    /// handshake (RFC 8448's traces print their private keys); no security
    /// at all. X25519 and P-256/P-384 keys are the scalars as the traces
    /// print them (32, 32 and 48 bytes).
    #[derive(Debug, Clone)]
    pub struct FixedKeyGroup(kx::FixedKeyGroup);

    impl FixedKeyGroup {
        /// The group `name` with `private_key`. Fails for a group that
        /// cloaktls does not implement or a key of the wrong length.
        pub fn new(name: NamedGroup, private_key: &[u8]) -> Result<Self, Error> {
            kx::FixedKeyGroup::new(name, private_key).map(FixedKeyGroup)
        }
    }

    impl KeyExchangeGroup for FixedKeyGroup {
        fn name(&self) -> NamedGroup {
            self.0.name()
        }

        fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, Error> {
            self.0.start()
        }
    }

    /// Rewrites an outgoing handshake message before it is encoded, before
    /// it enters the transcript and (for a ClientHello) before its PSK
    /// binders are computed. It is called for ClientHello (both of them
    /// after a HelloRetryRequest), ServerHello and HelloRetryRequest,
    /// EncryptedExtensions, CertificateRequest and NewSessionTicket. What
    /// the connection remembers of the message (a HelloRetryRequest's
    /// cookie, a ClientHello's extensions) is read back from the shaped
    /// one; changing a message's type is an error.
    pub trait MessageShaper: Send + Sync + Debug {
        /// Rewrites `message` in place.
        fn shape(&self, message: &mut HandshakePayload);
    }

    /// A client whose messages pass through `shaper`.
    pub fn shape_client_messages(
        b: ClientConfigBuilder,
        shaper: Arc<dyn MessageShaper>,
    ) -> ClientConfigBuilder {
        b.shaper(shaper)
    }

    /// A server whose messages pass through `shaper`.
    pub fn shape_server_messages(
        b: ServerConfigBuilder,
        shaper: Arc<dyn MessageShaper>,
    ) -> ServerConfigBuilder {
        b.shaper(shaper)
    }
}

/// A deterministic configuration for fuzzing harnesses and scripted
/// tests. **Not for production: it has no security at all.** Its
/// randomness is a counter, its clock stands still, its "key exchange"
/// derives the shared secret from the two public values alone, and the
/// client accepts any certificate. Two connections made with it produce
/// the same bytes every time, so a recorded flight stays valid and a
/// fuzzer can reach the messages after the first.
pub mod fuzzing {
    use crate::config::{CertifiedKey, ClientConfig, ServerConfig};
    use crate::crypto::kx::{ActiveKeyExchange, KeyExchangeGroup};
    use crate::crypto::sign::RingSigningKey;
    use crate::crypto::{HashAlgorithm, RandomSource, Secret};
    use crate::error::Error;
    use crate::msgs::enums::NamedGroup;
    use crate::verify::TimeSource;
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
            0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22,
            0x04, 0x20,
        ];
        pkcs8.extend(1u8..=32);
        let key = RingSigningKey::from_der(&pkcs8)?;
        // A self-signed certificate for that key (made once with OpenSSL;
        // the client accepts any certificate, but checks the signature
        // made with its key).
        let cert = CertificateDer::from(
            include_bytes!("../vectors/fuzzing/identity-ed25519.der").to_vec(),
        );
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
        super::client_without_verification()
            .random(Arc::new(CountingRandom::new(0xc1)))
            .time(Arc::new(FixedClock(1_800_000_000)))
            .custom_groups(groups())
            .session_store(None)
            .build()
    }

    /// A deterministic server configuration (see the module's warning).
    pub fn server_config() -> Result<Arc<ServerConfig>, Error> {
        let random: Arc<dyn RandomSource> = Arc::new(CountingRandom::new(0x5e));
        ServerConfig::builder(identity()?)
            .random(random)
            .time(Arc::new(FixedClock(1_800_000_000)))
            .custom_groups(groups())
            .build()
    }
}
