//! Key exchange groups (RFC 8446 §4.2.7, RFC 8422, RFC 10024).

mod hybrid;
mod mlkem;

use super::rand::RandomSource;
use super::Secret;
use crate::error::{Error, KeyShareProblem};
use crate::msgs::enums::NamedGroup;
use ring::agreement;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};

pub use hybrid::{HybridGroup, SECP256R1_MLKEM768, SECP384R1_MLKEM1024, X25519_MLKEM768};
pub use mlkem::{KemGroup, MLKEM1024, MLKEM768};

/// A key exchange group that can start an exchange. The default groups use
/// `ring` and `libcrux-ml-kem`; a test supplies scripted ones to replay a
/// trace.
pub trait KeyExchangeGroup: Send + Sync + Debug {
    /// The group's name.
    fn name(&self) -> NamedGroup;

    /// Generates a key pair for one exchange. What randomness a group
    /// draws from `rng` is its own: the ML-KEM seeds come from it, while
    /// `ring` draws its (EC)DH keys from the operating system (a
    /// deterministic run fixes them with `danger::replay::FixedKeyGroup`).
    fn start(&self, rng: &dyn RandomSource) -> Result<Box<dyn ActiveKeyExchange>, Error>;

    /// The server's side of an exchange: given the client's share, our
    /// share and the shared secret. For Diffie-Hellman groups it is a key
    /// pair and an agreement; a KEM encapsulates to the client's key
    /// instead. A malformed client share is illegal_parameter (RFC 8446
    /// §4.2.8).
    fn accept(
        &self,
        client_share: &[u8],
        rng: &dyn RandomSource,
    ) -> Result<(Vec<u8>, Secret), Error> {
        let kx = self.start(rng)?;
        let public = kx.public_key().to_vec();
        Ok((public, kx.complete(client_share)?))
    }

    /// The client's key shares for this group: one, or for a hybrid group
    /// also one for its classical component that reuses the same (EC)DH
    /// key pair (RFC 9954 §3.2), so that a server without the hybrid can
    /// still answer at no extra cost. The first is this group's.
    fn start_client_shares(
        &self,
        rng: &dyn RandomSource,
    ) -> Result<Vec<Box<dyn ActiveKeyExchange>>, Error> {
        Ok(vec![self.start(rng)?])
    }

    /// Whether the group exists only in TLS 1.3 (the hybrid groups, RFC
    /// 10024 §3): never offered or accepted in TLS 1.2.
    fn tls13_only(&self) -> bool {
        false
    }

    /// Whether the group resists a quantum computer (the hybrids). A
    /// server picks such a group whenever the client supports one, even
    /// at the cost of a HelloRetryRequest.
    fn post_quantum(&self) -> bool {
        false
    }
}

impl KeyExchangeGroup for &'static dyn KeyExchangeGroup {
    fn name(&self) -> NamedGroup {
        (**self).name()
    }
    fn start(&self, rng: &dyn RandomSource) -> Result<Box<dyn ActiveKeyExchange>, Error> {
        (**self).start(rng)
    }
    fn accept(
        &self,
        client_share: &[u8],
        rng: &dyn RandomSource,
    ) -> Result<(Vec<u8>, Secret), Error> {
        (**self).accept(client_share, rng)
    }
    fn start_client_shares(
        &self,
        rng: &dyn RandomSource,
    ) -> Result<Vec<Box<dyn ActiveKeyExchange>>, Error> {
        (**self).start_client_shares(rng)
    }
    fn tls13_only(&self) -> bool {
        (**self).tls13_only()
    }
    fn post_quantum(&self) -> bool {
        (**self).post_quantum()
    }
}

/// One side of a key exchange in progress.
pub trait ActiveKeyExchange: Send + Sync {
    /// The group.
    fn group(&self) -> NamedGroup;
    /// Our public value as sent on the wire.
    fn public_key(&self) -> &[u8];
    /// Completes the exchange with the peer's public value. A malformed or
    /// degenerate peer value is illegal_parameter (RFC 8446 §4.2.8.2).
    fn complete(self: Box<Self>, peer_public: &[u8]) -> Result<Secret, Error>;
}

/// The (EC)DH groups that `ring` provides.
#[derive(Debug, Clone, Copy)]
pub struct RingGroup {
    name: NamedGroup,
    alg: &'static agreement::Algorithm,
    public_len: usize,
}

/// X25519 (RFC 7748).
pub static X25519: RingGroup = RingGroup {
    name: NamedGroup::X25519,
    alg: &agreement::X25519,
    public_len: 32,
};
/// secp256r1 (NIST P-256), uncompressed points.
pub static SECP256R1: RingGroup = RingGroup {
    name: NamedGroup::SECP256R1,
    alg: &agreement::ECDH_P256,
    public_len: 65,
};
/// secp384r1 (NIST P-384), uncompressed points.
pub static SECP384R1: RingGroup = RingGroup {
    name: NamedGroup::SECP384R1,
    alg: &agreement::ECDH_P384,
    public_len: 97,
};

/// The default groups, in order of preference: the hybrid post-quantum
/// groups first (a server picks one whenever the client sent its share),
/// X25519MLKEM768 leading (RFC 10024 §7.1 marks it Recommended), then the
/// classical ones.
pub static DEFAULT_GROUPS: [&dyn KeyExchangeGroup; 6] = [
    &X25519_MLKEM768,
    &SECP256R1_MLKEM768,
    &SECP384R1_MLKEM1024,
    &X25519,
    &SECP256R1,
    &SECP384R1,
];

/// A built-in group, which can take its (EC)DH key from a given source
/// (the system's, or a fixed key for replaying a trace).
pub(crate) trait BuiltInGroup: KeyExchangeGroup {
    /// `start`, with the (EC)DH key from `ecdh_rng`.
    fn start_with(
        &self,
        ecdh_rng: &dyn ring::rand::SecureRandom,
        rng: &dyn RandomSource,
    ) -> Result<Box<dyn ActiveKeyExchange>, Error>;
    /// `accept`, with the (EC)DH key from `ecdh_rng`.
    fn accept_with(
        &self,
        ecdh_rng: &dyn ring::rand::SecureRandom,
        client_share: &[u8],
        rng: &dyn RandomSource,
    ) -> Result<(Vec<u8>, Secret), Error>;
    /// `start_client_shares`, with the (EC)DH key from `ecdh_rng`.
    fn client_shares_with(
        &self,
        ecdh_rng: &dyn ring::rand::SecureRandom,
        rng: &dyn RandomSource,
    ) -> Result<Vec<Box<dyn ActiveKeyExchange>>, Error>;
    /// The length of the (EC)DH private key that `ecdh_rng` must give.
    #[cfg(feature = "testkit")]
    fn ecdh_private_len(&self) -> usize;
}

/// The built-in group `name`.
#[cfg(feature = "testkit")]
pub(crate) fn built_in(name: NamedGroup) -> Option<&'static dyn BuiltInGroup> {
    Some(match name {
        NamedGroup::X25519 => &X25519,
        NamedGroup::SECP256R1 => &SECP256R1,
        NamedGroup::SECP384R1 => &SECP384R1,
        NamedGroup::X25519_MLKEM768 => &X25519_MLKEM768,
        NamedGroup::SECP256R1_MLKEM768 => &SECP256R1_MLKEM768,
        NamedGroup::SECP384R1_MLKEM1024 => &SECP384R1_MLKEM1024,
        _ => return None,
    })
}

impl KeyExchangeGroup for RingGroup {
    fn name(&self) -> NamedGroup {
        self.name
    }

    fn start(&self, _rng: &dyn RandomSource) -> Result<Box<dyn ActiveKeyExchange>, Error> {
        Ok(Box::new(self.generate(&ring::rand::SystemRandom::new())?))
    }
}

impl BuiltInGroup for RingGroup {
    fn start_with(
        &self,
        ecdh_rng: &dyn ring::rand::SecureRandom,
        _rng: &dyn RandomSource,
    ) -> Result<Box<dyn ActiveKeyExchange>, Error> {
        Ok(Box::new(self.generate(ecdh_rng)?))
    }

    fn accept_with(
        &self,
        ecdh_rng: &dyn ring::rand::SecureRandom,
        client_share: &[u8],
        _rng: &dyn RandomSource,
    ) -> Result<(Vec<u8>, Secret), Error> {
        let kx = self.generate(ecdh_rng)?;
        let public = kx.public.clone();
        Ok((public, Box::new(kx).complete(client_share)?))
    }

    fn client_shares_with(
        &self,
        ecdh_rng: &dyn ring::rand::SecureRandom,
        rng: &dyn RandomSource,
    ) -> Result<Vec<Box<dyn ActiveKeyExchange>>, Error> {
        Ok(vec![self.start_with(ecdh_rng, rng)?])
    }

    #[cfg(feature = "testkit")]
    fn ecdh_private_len(&self) -> usize {
        match self.name {
            NamedGroup::SECP384R1 => 48,
            _ => 32,
        }
    }
}

impl RingGroup {
    /// A key pair drawn from `rng`.
    pub(crate) fn generate(
        &self,
        rng: &dyn ring::rand::SecureRandom,
    ) -> Result<RingExchange, Error> {
        let private = agreement::EphemeralPrivateKey::generate(self.alg, rng)
            .map_err(|_| Error::Crypto("key generation"))?;
        let public = private
            .compute_public_key()
            .map_err(|_| Error::Crypto("public key"))?
            .as_ref()
            .to_vec();
        Ok(RingExchange {
            group: self.name,
            alg: self.alg,
            private: Arc::new(Mutex::new(Some(private))),
            public,
        })
    }
}

/// An (EC)DH exchange. The private key may be shared by two key shares of
/// one ClientHello (RFC 9954 §3.2): the exchange that completes takes it.
pub(crate) struct RingExchange {
    group: NamedGroup,
    alg: &'static agreement::Algorithm,
    private: Arc<Mutex<Option<agreement::EphemeralPrivateKey>>>,
    public: Vec<u8>,
}

impl RingExchange {
    /// The same key pair, as the share of `group`.
    pub(crate) fn share_as(&self, group: NamedGroup) -> RingExchange {
        RingExchange {
            group,
            alg: self.alg,
            private: Arc::clone(&self.private),
            public: self.public.clone(),
        }
    }

    /// Our public value.
    pub(crate) fn public(&self) -> &[u8] {
        &self.public
    }

    /// The shared secret with `peer_public`. ring checks the point is on
    /// the curve and rejects an all-zero X25519 result (RFC 8446 §7.4.2).
    pub(crate) fn agree(self, peer_public: &[u8]) -> Result<Secret, KeyShareProblem> {
        if peer_public.len() != self.public.len() {
            return Err(KeyShareProblem::Length {
                expected: self.public.len(),
                actual: peer_public.len(),
            });
        }
        let private = self
            .private
            .lock()
            .ok()
            .and_then(|mut k| k.take())
            .ok_or(KeyShareProblem::Classical)?;
        let peer = agreement::UnparsedPublicKey::new(self.alg, peer_public);
        agreement::agree_ephemeral(private, &peer, Secret::from_slice)
            .map_err(|_| KeyShareProblem::Classical)
    }
}

impl ActiveKeyExchange for RingExchange {
    fn group(&self) -> NamedGroup {
        self.group
    }

    fn public_key(&self) -> &[u8] {
        &self.public
    }

    fn complete(self: Box<Self>, peer_public: &[u8]) -> Result<Secret, Error> {
        let group = self.group;
        self.agree(peer_public)
            .map_err(|problem| Error::BadKeyShare { group, problem })
    }
}

/// A group whose "ephemeral" (EC)DH private key is given: the same public
/// value and the same (EC)DH secrets on every exchange (a hybrid group's
/// ML-KEM part still draws from the connection's randomness). Only for
/// replaying a recorded handshake; the public way in is
/// `danger::replay::FixedKeyGroup`.
#[cfg(feature = "testkit")]
#[derive(Clone)]
pub(crate) struct FixedKeyGroup {
    group: &'static dyn BuiltInGroup,
    private_key: Vec<u8>,
}

#[cfg(feature = "testkit")]
impl Debug for FixedKeyGroup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FixedKeyGroup")
            .field("name", &self.group.name())
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "testkit")]
impl FixedKeyGroup {
    /// The group `name` with `private_key` (for a hybrid, its (EC)DH
    /// part's). Fails for a group cloaktls does not implement or a key of
    /// the wrong length.
    pub(crate) fn new(name: NamedGroup, private_key: &[u8]) -> Result<Self, Error> {
        let group =
            built_in(name).ok_or_else(|| Error::Config(format!("{name:?} is not implemented")))?;
        let len = group.ecdh_private_len();
        if private_key.len() != len {
            return Err(Error::Config(format!(
                "a {name:?} private key is {len} bytes, not {}",
                private_key.len()
            )));
        }
        Ok(FixedKeyGroup {
            group,
            private_key: private_key.to_vec(),
        })
    }

    // ring draws a private key from a random source and has no other way
    // in; its fixed-output source (kept for known-answer tests) hands it
    // our key. The length was checked in `new`, so the source is asked for
    // exactly these bytes.
    #[allow(deprecated)]
    fn ecdh_rng(&self) -> ring::test::rand::FixedSliceRandom<'_> {
        ring::test::rand::FixedSliceRandom {
            bytes: &self.private_key,
        }
    }
}

#[cfg(feature = "testkit")]
impl KeyExchangeGroup for FixedKeyGroup {
    fn name(&self) -> NamedGroup {
        self.group.name()
    }

    fn start(&self, rng: &dyn RandomSource) -> Result<Box<dyn ActiveKeyExchange>, Error> {
        self.group.start_with(&self.ecdh_rng(), rng)
    }

    fn accept(
        &self,
        client_share: &[u8],
        rng: &dyn RandomSource,
    ) -> Result<(Vec<u8>, Secret), Error> {
        self.group.accept_with(&self.ecdh_rng(), client_share, rng)
    }

    fn start_client_shares(
        &self,
        rng: &dyn RandomSource,
    ) -> Result<Vec<Box<dyn ActiveKeyExchange>>, Error> {
        self.group.client_shares_with(&self.ecdh_rng(), rng)
    }

    fn tls13_only(&self) -> bool {
        self.group.tls13_only()
    }

    fn post_quantum(&self) -> bool {
        self.group.post_quantum()
    }
}

/// Finds a group cloaktls implements by name.
pub fn default_group(name: NamedGroup) -> Option<&'static dyn KeyExchangeGroup> {
    DEFAULT_GROUPS
        .iter()
        .chain(OPTIONAL_GROUPS.iter())
        .copied()
        .find(|g| g.name() == name)
}

/// The groups cloaktls implements that are not offered unless asked for:
/// ML-KEM alone, for policies that want no classical part.
pub static OPTIONAL_GROUPS: [&dyn KeyExchangeGroup; 2] = [&MLKEM768, &MLKEM1024];

/// The names of the groups a configuration uses unless told otherwise, in
/// order.
pub fn default_group_names() -> Vec<NamedGroup> {
    DEFAULT_GROUPS.iter().map(|g| g.name()).collect()
}

/// The names of the groups cloaktls implements: the default ones in their
/// order, then the ones offered only when asked for.
pub fn supported_group_names() -> Vec<NamedGroup> {
    DEFAULT_GROUPS
        .iter()
        .chain(OPTIONAL_GROUPS.iter())
        .map(|g| g.name())
        .collect()
}

/// The key exchange groups a configuration uses, in preference order, and
/// the key shares a client sends.
#[derive(Clone)]
pub struct KeyExchangeSet {
    groups: Vec<Arc<dyn KeyExchangeGroup>>,
}

impl Debug for KeyExchangeSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.groups.iter().map(|g| g.name()))
            .finish()
    }
}

impl KeyExchangeSet {
    /// The groups cloaktls implements, in the default order.
    pub fn defaults() -> Self {
        Self::from_static(&DEFAULT_GROUPS)
    }

    /// Built-in groups.
    pub fn from_static(groups: &[&'static dyn KeyExchangeGroup]) -> Self {
        KeyExchangeSet {
            groups: groups
                .iter()
                .map(|g| Arc::new(*g) as Arc<dyn KeyExchangeGroup>)
                .collect(),
        }
    }

    /// The built-in groups named, in that order; an error names any that
    /// cloaktls does not implement.
    pub fn by_name(names: &[NamedGroup]) -> Result<Self, Error> {
        let mut groups = Vec::with_capacity(names.len());
        for n in names {
            let g = default_group(*n).ok_or_else(|| {
                Error::Config(format!(
                    "{n:?} is not a key exchange group cloaktls implements; the groups are {}",
                    supported_group_names()
                        .iter()
                        .map(|g| format!("{g:?}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?;
            groups.push(g);
        }
        Ok(Self::from_static(&groups))
    }

    /// Groups of the caller's own (scripted ones, for tests).
    pub fn custom(groups: Vec<Arc<dyn KeyExchangeGroup>>) -> Self {
        KeyExchangeSet { groups }
    }

    /// Whether there is no group at all.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// The groups' names in preference order: all of them for TLS 1.3,
    /// those that TLS 1.2 can use otherwise.
    pub fn names(&self, tls13: bool) -> Vec<NamedGroup> {
        self.groups
            .iter()
            .filter(|g| tls13 || !g.tls13_only())
            .map(|g| g.name())
            .collect()
    }

    /// Whether `name` is one of ours and post-quantum.
    pub fn is_post_quantum(&self, name: NamedGroup) -> bool {
        self.groups
            .iter()
            .any(|g| g.name() == name && g.post_quantum())
    }

    /// The group `name`, if it is one of ours usable in `version`.
    pub fn find(
        &self,
        name: NamedGroup,
        version: crate::msgs::enums::ProtocolVersion,
    ) -> Option<&dyn KeyExchangeGroup> {
        let tls13 = version == crate::msgs::enums::ProtocolVersion::TLSV1_3;
        self.groups
            .iter()
            .find(|g| g.name() == name && (tls13 || !g.tls13_only()))
            .map(|g| g.as_ref())
    }

    /// The key shares of a TLS 1.3 ClientHello: one for the first group
    /// and, when that is a hybrid whose classical component is also in the
    /// set, one for that component on the same (EC)DH key (RFC 9954 §3.2);
    /// when the first group is post-quantum and no classical share came
    /// with it (ML-KEM alone, or a hybrid whose component is not in the
    /// set), one for the first classical group in the set too, so that a
    /// server without it answers without a HelloRetryRequest.
    pub fn start_client_shares(
        &self,
        rng: &dyn RandomSource,
    ) -> Result<Vec<Box<dyn ActiveKeyExchange>>, Error> {
        let first = self
            .groups
            .first()
            .ok_or_else(|| Error::Config("no key exchange group".into()))?;
        let mut shares = first.start_client_shares(rng)?;
        let components = shares.split_off(1.min(shares.len()));
        shares.extend(components.into_iter().filter(|share| {
            self.find(share.group(), crate::msgs::enums::ProtocolVersion::TLSV1_3)
                .is_some()
        }));
        if first.post_quantum() && shares.len() == 1 {
            if let Some(classical) = self.groups.iter().find(|g| !g.post_quantum()) {
                shares.push(classical.start(rng)?);
            }
        }
        Ok(shares)
    }

    /// Whether key shares for `groups` may go with this set: each a TLS
    /// 1.3 group of the set, named once (RFC 8446 §4.2.8).
    pub fn check_key_share_groups(&self, groups: &[NamedGroup]) -> Result<(), Error> {
        let tls13 = crate::msgs::enums::ProtocolVersion::TLSV1_3;
        for (i, name) in groups.iter().enumerate() {
            if self.find(*name, tls13).is_none() || groups[..i].contains(name) {
                return Err(Error::Config(format!(
                    "a key share for {name:?}: each must be one of the groups offered, once \
                     (RFC 8446 §4.2.8)"
                )));
            }
        }
        Ok(())
    }

    /// The key shares of a TLS 1.3 ClientHello for exactly `groups`, in
    /// the set's order (RFC 8446 §4.2.8: "in the same order" as
    /// supported_groups); none for an empty list, which asks the server
    /// for a HelloRetryRequest. A hybrid's classical component, when it is
    /// named too, shares the hybrid's (EC)DH key (RFC 9954 §3.2). An error
    /// names a group that is not in the set or is named twice.
    pub fn start_client_shares_for(
        &self,
        groups: &[NamedGroup],
        rng: &dyn RandomSource,
    ) -> Result<Vec<Box<dyn ActiveKeyExchange>>, Error> {
        self.check_key_share_groups(groups)?;
        let mut shares: Vec<Box<dyn ActiveKeyExchange>> = Vec::new();
        let mut components: Vec<Box<dyn ActiveKeyExchange>> = Vec::new();
        for g in self.groups.iter().filter(|g| groups.contains(&g.name())) {
            if let Some(i) = components.iter().position(|c| c.group() == g.name()) {
                shares.push(components.swap_remove(i));
                continue;
            }
            let mut made = g.start_client_shares(rng)?.into_iter();
            if let Some(first) = made.next() {
                shares.push(first);
            }
            components.extend(made.filter(|c| groups.contains(&c.group())));
        }
        Ok(shares)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::rand::SystemRandom;
    use crate::msgs::enums::AlertDescription;

    #[test]
    fn each_group_agrees_with_itself() {
        let rng = SystemRandom::new();
        for g in DEFAULT_GROUPS {
            let a = g.start(&rng).unwrap();
            let (server_share, server_secret) = g.accept(a.public_key(), &rng).unwrap();
            assert_eq!(a.complete(&server_share).unwrap(), server_secret, "{g:?}");
        }
    }

    #[test]
    fn shares_and_secrets_have_the_rfc_lengths() {
        // RFC 10024 §4.1-4.3.
        let rng = SystemRandom::new();
        for (g, client, server, secret) in [
            (&X25519_MLKEM768, 1216, 1120, 64),
            (&SECP256R1_MLKEM768, 1249, 1153, 64),
            (&SECP384R1_MLKEM1024, 1665, 1665, 80),
        ] {
            let a = g.start(&rng).unwrap();
            assert_eq!(a.public_key().len(), client);
            let (share, s) = g.accept(a.public_key(), &rng).unwrap();
            assert_eq!((share.len(), s.len()), (server, secret));
            assert!(g.tls13_only());
        }
    }

    #[test]
    fn chosen_key_shares_follow_the_set_order_and_reuse_the_hybrid_key() {
        let rng = SystemRandom::new();
        let set = KeyExchangeSet::defaults();
        let groups = |names: &[NamedGroup]| -> Vec<NamedGroup> {
            let shares = set.start_client_shares_for(names, &rng).unwrap();
            shares.iter().map(|s| s.group()).collect()
        };
        // In the set's order, whatever the order asked.
        let p256 = NamedGroup::SECP256R1;
        let x = NamedGroup::X25519;
        let hybrid = NamedGroup::X25519_MLKEM768;
        assert_eq!(groups(&[p256, x]), [x, p256]);
        assert_eq!(groups(&[hybrid]), [hybrid]);
        assert!(groups(&[]).is_empty());
        let shares = set.start_client_shares_for(&[x, hybrid], &rng).unwrap();
        assert_eq!(shares[0].group(), hybrid);
        assert_eq!(&shares[0].public_key()[1184..], shares[1].public_key());
        // A group not offered, or one named twice, is refused.
        assert!(set.start_client_shares_for(&[x, x], &rng).is_err());
        let only_x = KeyExchangeSet::by_name(&[x]).unwrap();
        assert!(only_x.start_client_shares_for(&[p256], &rng).is_err());
    }

    #[test]
    fn a_hybrid_client_share_comes_with_its_classical_one_on_the_same_key() {
        let rng = SystemRandom::new();
        let set = KeyExchangeSet::defaults();
        let shares = set.start_client_shares(&rng).unwrap();
        let groups: Vec<_> = shares.iter().map(|s| s.group()).collect();
        assert_eq!(groups, [NamedGroup::X25519_MLKEM768, NamedGroup::X25519]);
        // X25519MLKEM768 puts the X25519 part last.
        assert_eq!(&shares[0].public_key()[1184..], shares[1].public_key());
        // Either can complete (the server picks one).
        for pick in [0, 1] {
            let shares = set.start_client_shares(&rng).unwrap();
            let g = built_in_for_test(shares[pick].group());
            let share = shares.into_iter().nth(pick).unwrap();
            let (server_share, secret) = g.accept(share.public_key(), &rng).unwrap();
            assert_eq!(share.complete(&server_share).unwrap(), secret);
        }
        // Without x25519 in the set, the hybrid share goes alone.
        let only = KeyExchangeSet::by_name(&[NamedGroup::X25519_MLKEM768]).unwrap();
        assert_eq!(only.start_client_shares(&rng).unwrap().len(), 1);
        // A classical first group sends one share.
        let classical =
            KeyExchangeSet::by_name(&[NamedGroup::X25519, NamedGroup::X25519_MLKEM768]).unwrap();
        assert_eq!(classical.start_client_shares(&rng).unwrap().len(), 1);
        // ML-KEM alone first: a share for the first classical group too
        // (its own key), whatever lies between.
        let set = KeyExchangeSet::by_name(&[
            NamedGroup::MLKEM1024,
            NamedGroup::X25519_MLKEM768,
            NamedGroup::SECP384R1,
            NamedGroup::X25519,
        ])
        .unwrap();
        let groups: Vec<_> = set
            .start_client_shares(&rng)
            .unwrap()
            .iter()
            .map(|s| s.group())
            .collect();
        assert_eq!(groups, [NamedGroup::MLKEM1024, NamedGroup::SECP384R1]);
        let alone = KeyExchangeSet::by_name(&[NamedGroup::MLKEM768]).unwrap();
        assert_eq!(alone.start_client_shares(&rng).unwrap().len(), 1);
    }

    fn built_in_for_test(name: NamedGroup) -> &'static dyn KeyExchangeGroup {
        default_group(name).unwrap()
    }

    #[test]
    fn hybrids_are_not_for_tls12() {
        let set = KeyExchangeSet::defaults();
        assert_eq!(
            set.names(false),
            [
                NamedGroup::X25519,
                NamedGroup::SECP256R1,
                NamedGroup::SECP384R1
            ]
        );
        assert!(set
            .find(
                NamedGroup::X25519_MLKEM768,
                crate::msgs::enums::ProtocolVersion::TLSV1_2
            )
            .is_none());
        assert_eq!(set.names(true).len(), 6);
    }

    #[test]
    fn bad_peer_keys_are_illegal_parameter() {
        let rng = SystemRandom::new();
        for g in DEFAULT_GROUPS {
            for bad in [&[][..], &[4u8; 3][..], &[0u8; 32][..], &[0xffu8; 65][..]] {
                let err = g.start(&rng).unwrap().complete(bad).unwrap_err();
                assert_eq!(
                    err.alert(),
                    Some(AlertDescription::ILLEGAL_PARAMETER),
                    "{g:?}"
                );
                let err = g.accept(bad, &rng).unwrap_err();
                assert_eq!(
                    err.alert(),
                    Some(AlertDescription::ILLEGAL_PARAMETER),
                    "{g:?}"
                );
            }
        }
    }

    #[test]
    fn hybrid_share_problems_name_the_group_and_the_fault() {
        let rng = SystemRandom::new();
        let g = &X25519_MLKEM768;
        let client = g.start(&rng).unwrap();
        let good = client.public_key().to_vec();
        // One byte short.
        let err = g.accept(&good[1..], &rng).unwrap_err();
        assert_eq!(
            err,
            Error::BadKeyShare {
                group: NamedGroup::X25519_MLKEM768,
                problem: KeyShareProblem::Length {
                    expected: 1216,
                    actual: 1215
                }
            }
        );
        assert!(err.to_string().contains("X25519MLKEM768"), "{err}");
        // A coefficient ≥ q in the encapsulation key (FIPS 203 §7.2).
        let mut bad = good.clone();
        bad[0] = 0xff;
        bad[1] |= 0x0f;
        assert!(matches!(
            g.accept(&bad, &rng),
            Err(Error::BadKeyShare {
                problem: KeyShareProblem::EncapsulationKey,
                ..
            })
        ));
        // An all-zero X25519 part gives the all-zero secret (RFC 8446 §7.4.2).
        let mut zero = good.clone();
        zero[1184..].fill(0);
        assert!(matches!(
            g.accept(&zero, &rng),
            Err(Error::BadKeyShare {
                problem: KeyShareProblem::Classical,
                ..
            })
        ));
        // The NIST hybrids check their point, which comes first.
        let p = &SECP256R1_MLKEM768;
        let mut off_curve = p.start(&rng).unwrap().public_key().to_vec();
        off_curve[64] ^= 1;
        assert!(matches!(
            p.accept(&off_curve, &rng),
            Err(Error::BadKeyShare {
                problem: KeyShareProblem::Classical,
                ..
            })
        ));
        // The client checks the server share's length.
        let (server_share, _) = g.accept(&good, &rng).unwrap();
        assert!(matches!(
            client.complete(&server_share[..1119]),
            Err(Error::BadKeyShare {
                problem: KeyShareProblem::Length {
                    expected: 1120,
                    actual: 1119
                },
                ..
            })
        ));
    }

    /// Hands out the bytes it was given, in order.
    #[cfg(feature = "testkit")]
    #[derive(Debug)]
    struct Script(Mutex<Vec<u8>>);

    #[cfg(feature = "testkit")]
    impl RandomSource for Script {
        fn fill(&self, buf: &mut [u8]) -> Result<(), Error> {
            let mut bytes = self.0.lock().unwrap();
            let rest = bytes.split_off(buf.len());
            buf.copy_from_slice(&bytes);
            *bytes = rest;
            Ok(())
        }
    }

    /// vectors/hybrid-kat.txt: every share and secret byte for byte.
    #[cfg(feature = "testkit")]
    #[test]
    fn hybrid_known_answers() {
        let text = include_str!("../../vectors/hybrid-kat.txt");
        let value = |block: &str, key: &str| -> Vec<u8> {
            let line = block
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{key} = ")))
                .unwrap_or_else(|| panic!("no {key}"));
            hex::decode(line).unwrap()
        };
        let seed = value(text, "mlkem_seed_dz");
        let m = value(text, "mlkem_encaps_m");
        let mut groups = 0;
        for block in text.split("group = ").skip(1) {
            let name = NamedGroup::from_name(block.lines().next().unwrap()).unwrap();
            let client = FixedKeyGroup::new(name, &value(block, "client_private")).unwrap();
            let server = FixedKeyGroup::new(name, &value(block, "server_private")).unwrap();
            let kx = client.start(&Script(Mutex::new(seed.clone()))).unwrap();
            assert_eq!(kx.public_key(), value(block, "client_share"), "{name:?}");
            let (share, secret) = server
                .accept(kx.public_key(), &Script(Mutex::new(m.clone())))
                .unwrap();
            assert_eq!(share, value(block, "server_share"), "{name:?}");
            assert_eq!(secret.as_bytes(), value(block, "shared_secret"), "{name:?}");
            assert_eq!(kx.complete(&share).unwrap(), secret);
            groups += 1;
        }
        assert_eq!(groups, 3);
    }
}
