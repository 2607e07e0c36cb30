//! Options that weaken security. Each is for a specific, understood need
//! (a test against a self-signed peer, a legacy peer without the extended
//! master secret, a deterministic test); none belongs in a default. What
//! is here and not on the ordinary builders: turning off or replacing
//! certificate verification (or trusting any raw public key), custom
//! randomness and key exchange groups,
//! TLS 1.2 without the extended master secret, psk_ke resumption, and
//! secrets in the trace. Everything that does not weaken security (the
//! clock, versions, suites, groups by name, ALPN, tickets, ...) is on the
//! builders.

use crate::config::{ClientConfigBuilder, ServerConfigBuilder};
use crate::crypto::kx::{KeyExchangeGroup, KeyExchangeSet};
use crate::crypto::RandomSource;
use crate::error::Error;
use crate::verify::{RawPublicKeyVerifier, ServerCertVerifier, SubjectPublicKeyInfoDer};
use pki_types::{CertificateDer, ServerName, UnixTime};
use std::sync::Arc;

/// A server "verifier" that accepts any certificate chain for any name.
/// The server must still prove that it holds the certificate's key (its
/// handshake signature is checked), but anyone can make such a
/// certificate: this gives no protection against an active attacker.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoServerVerification;

impl ServerCertVerifier for NoServerVerification {
    /// Every unverified configuration shares one scope, apart from every
    /// verifying one: a session made without verification is resumed only
    /// without verification.
    fn scope(&self) -> [u8; 32] {
        *b"cloaktls danger: no verification"
    }

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

/// A raw public key "verifier" (RFC 7250) that trusts any key. The peer
/// must still sign with the key it sent, but anyone can make a key: this
/// authenticates no one, and gives no protection against an active
/// attacker. For test harnesses, and to learn a peer's key (its
/// fingerprint is in [`crate::Connection::peer_raw_public_key_summary`])
/// before pinning it with [`crate::verify::PinnedRawPublicKeys`].
#[derive(Debug, Default, Clone, Copy)]
pub struct AcceptAnyRawPublicKey;

impl RawPublicKeyVerifier for AcceptAnyRawPublicKey {
    /// Every configuration that trusts any key shares one scope, apart
    /// from every verifying one.
    fn scope(&self) -> [u8; 32] {
        *b"cloaktls danger: any raw pub key"
    }

    fn verify_raw_public_key(
        &self,
        _key: &SubjectPublicKeyInfoDer<'_>,
        _server_name: Option<&ServerName<'_>>,
        _now: UnixTime,
    ) -> Result<(), Error> {
        Ok(())
    }
}

/// A server verifier that checks the chain to trusted roots, its
/// validity dates and its extended key usage (serverAuth), but not the
/// server's name: anyone holding any server certificate from those roots
/// passes. For test harnesses that speak to peers named nothing in
/// particular.
#[derive(Debug, Clone)]
pub struct ChainOnlyVerifier {
    inner: crate::verify::WebPki,
}

impl ChainOnlyVerifier {
    /// A verifier trusting `roots`.
    pub fn new(roots: crate::verify::RootStore) -> Self {
        ChainOnlyVerifier {
            inner: crate::verify::WebPki::new(Arc::new(roots), 0),
        }
    }
}

impl ServerCertVerifier for ChainOnlyVerifier {
    /// The roots' scope, changed so that it differs from a name-checking
    /// verifier's with the same roots.
    fn scope(&self) -> [u8; 32] {
        let mut s = self.inner.scope();
        s[0] ^= 0xc0;
        s
    }

    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<(), Error> {
        // The whole path validation, for server authentication, with the
        // name check left out.
        self.inner.validate(
            end_entity,
            intermediates,
            now,
            crate::msgs::Role::Server,
            None,
        )
    }
}

/// A client configuration builder that accepts any server certificate.
pub fn client_without_verification() -> ClientConfigBuilder {
    ClientConfigBuilder::new(Arc::new(NoServerVerification))
}

/// A client configuration builder whose server certificates are checked by
/// `verifier` alone. This is how certificate pinning or a private PKI is
/// done, and also how every check can be lost: the verifier decides
/// everything the default one (webpki, with the server's name) would.
pub fn client_with_verifier(verifier: Arc<dyn ServerCertVerifier>) -> ClientConfigBuilder {
    ClientConfigBuilder::new(verifier)
}

/// Randomness of the caller's own for hello randoms, session IDs, ticket
/// ages and padding (the system's, through `ring`, by default). A weak
/// source makes every connection weak; for deterministic tests only. (Key
/// generation and signing keep the system's randomness.)
pub fn custom_random_client(
    b: ClientConfigBuilder,
    random: Arc<dyn RandomSource>,
) -> ClientConfigBuilder {
    b.random(random)
}

/// The server side of [`custom_random_client`] (it also makes the random
/// ticket keys, if none are given).
pub fn custom_random_server(
    b: ServerConfigBuilder,
    random: Arc<dyn RandomSource>,
) -> ServerConfigBuilder {
    b.random(random)
}

/// Key exchange groups of the caller's own, instead of the built-in ones
/// (scripted groups for tests, which may give no secrecy at all).
pub fn custom_groups_client(
    b: ClientConfigBuilder,
    groups: Vec<Arc<dyn KeyExchangeGroup>>,
) -> ClientConfigBuilder {
    b.custom_groups(KeyExchangeSet::custom(groups))
}

/// The server side of [`custom_groups_client`].
pub fn custom_groups_server(
    b: ServerConfigBuilder,
    groups: Vec<Arc<dyn KeyExchangeGroup>>,
) -> ServerConfigBuilder {
    b.custom_groups(KeyExchangeSet::custom(groups))
}

/// Records every derived secret (under its SSLKEYLOGFILE label) in each
/// connection's trace, which the trace's ladder then prints: anyone who
/// sees the trace can decrypt the connection. For debugging only.
pub fn trace_secrets_client(b: ClientConfigBuilder) -> ClientConfigBuilder {
    b.trace_secrets()
}

/// The server side of [`trace_secrets_client`].
pub fn trace_secrets_server(b: ServerConfigBuilder) -> ServerConfigBuilder {
    b.trace_secrets()
}

/// Allows TLS 1.2 peers without the extended master secret (RFC 7627),
/// whose sessions are open to the triple handshake attack.
pub fn allow_no_extended_master_secret_client(b: ClientConfigBuilder) -> ClientConfigBuilder {
    b.require_ems(false)
}

/// The server side of [`allow_no_extended_master_secret_client`].
pub fn allow_no_extended_master_secret_server(b: ServerConfigBuilder) -> ServerConfigBuilder {
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

/// Replaying a handshake recorded from another implementation byte for
/// byte (RFC 8448's traces): hooks that make cloaktls send what that
/// implementation sent where cloaktls would choose differently. **Not for
/// production**: a shaped message can offer what cloaktls cannot do, and a
/// fixed key share is no key exchange at all.
#[cfg(feature = "testkit")]
pub mod replay {
    use crate::config::{ClientConfigBuilder, ServerConfigBuilder};
    use std::sync::Arc;

    use crate::crypto::kx::{self, ActiveKeyExchange, KeyExchangeGroup};
    use crate::crypto::{RandomSource, Secret};
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

        fn start(&self, rng: &dyn RandomSource) -> Result<Box<dyn ActiveKeyExchange>, Error> {
            self.0.start(rng)
        }

        fn accept(
            &self,
            client_share: &[u8],
            rng: &dyn RandomSource,
        ) -> Result<(Vec<u8>, Secret), Error> {
            self.0.accept(client_share, rng)
        }

        fn start_client_shares(
            &self,
            rng: &dyn RandomSource,
        ) -> Result<Vec<Box<dyn ActiveKeyExchange>>, Error> {
            self.0.start_client_shares(rng)
        }

        fn tls13_only(&self) -> bool {
            self.0.tls13_only()
        }

        fn post_quantum(&self) -> bool {
            self.0.post_quantum()
        }
    }

    pub use crate::config::MessageShaper;

    /// ClientHelloInner from a decrypted EncodedClientHelloInner and the
    /// ClientHelloOuter it came in (RFC 9849 §5.1): the server's decoding,
    /// for the ECH fuzz target.
    pub fn decode_ech_inner(
        plaintext: &[u8],
        outer: &crate::msgs::handshake::ClientHello,
    ) -> Result<crate::msgs::handshake::ClientHello, Error> {
        crate::handshake::decode_ech_inner(plaintext, outer)
    }

    /// EncodedClientHelloInner of `inner` (RFC 9849 §5.1), the extensions
    /// in `compressed` (contiguous in `inner`) referenced from the outer
    /// hello, padded for `max_name_len`: the client's encoding.
    pub fn encode_ech_inner(
        inner: &crate::msgs::handshake::ClientHello,
        compressed: &[crate::msgs::enums::ExtensionType],
        max_name_len: u8,
    ) -> Vec<u8> {
        crate::handshake::encode_ech_inner(inner, compressed, max_name_len)
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
