//! Key exchange groups (RFC 8446 §4.2.7, RFC 8422).

use super::Secret;
use crate::error::Error;
use crate::msgs::enums::{AlertDescription, NamedGroup};
use ring::agreement;
use std::fmt::Debug;

/// A key exchange group that can start an exchange. The default groups use
/// `ring`; a test supplies scripted ones to replay a trace.
pub trait KeyExchangeGroup: Send + Sync + Debug {
    /// The group's name.
    fn name(&self) -> NamedGroup;
    /// Generates a key pair for one exchange.
    fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, Error>;

    /// The server's side of an exchange: given the client's share, our
    /// share and the shared secret. For Diffie-Hellman groups it is a key
    /// pair and an agreement; a KEM encapsulates to the client's key
    /// instead. A malformed client share is illegal_parameter (RFC 8446
    /// §4.2.8).
    fn accept(&self, client_share: &[u8]) -> Result<(Vec<u8>, Secret), Error> {
        let kx = self.start()?;
        let public = kx.public_key().to_vec();
        Ok((public, kx.complete(client_share)?))
    }

    /// Whether the group exists only in TLS 1.3 (the hybrid groups, RFC
    /// 10024 §3): never offered or accepted in TLS 1.2.
    fn tls13_only(&self) -> bool {
        false
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

/// The groups that `ring` provides.
#[derive(Debug, Clone, Copy)]
pub struct RingGroup {
    name: NamedGroup,
    alg: &'static agreement::Algorithm,
}

/// X25519 (RFC 7748).
pub static X25519: RingGroup = RingGroup {
    name: NamedGroup::X25519,
    alg: &agreement::X25519,
};
/// secp256r1 (NIST P-256), uncompressed points.
pub static SECP256R1: RingGroup = RingGroup {
    name: NamedGroup::SECP256R1,
    alg: &agreement::ECDH_P256,
};
/// secp384r1 (NIST P-384), uncompressed points.
pub static SECP384R1: RingGroup = RingGroup {
    name: NamedGroup::SECP384R1,
    alg: &agreement::ECDH_P384,
};

/// The default groups, in order of preference.
pub static DEFAULT_GROUPS: [&dyn KeyExchangeGroup; 3] = [&X25519, &SECP256R1, &SECP384R1];

impl KeyExchangeGroup for RingGroup {
    fn name(&self) -> NamedGroup {
        self.name
    }

    fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, Error> {
        self.start_with(&ring::rand::SystemRandom::new())
    }
}

impl RingGroup {
    fn start_with(
        &self,
        rng: &dyn ring::rand::SecureRandom,
    ) -> Result<Box<dyn ActiveKeyExchange>, Error> {
        let private = agreement::EphemeralPrivateKey::generate(self.alg, rng)
            .map_err(|_| Error::Crypto("key generation"))?;
        let public = private
            .compute_public_key()
            .map_err(|_| Error::Crypto("public key"))?
            .as_ref()
            .to_vec();
        Ok(Box::new(RingExchange {
            group: self.name,
            alg: self.alg,
            private,
            public,
        }))
    }
}

struct RingExchange {
    group: NamedGroup,
    alg: &'static agreement::Algorithm,
    private: agreement::EphemeralPrivateKey,
    public: Vec<u8>,
}

impl ActiveKeyExchange for RingExchange {
    fn group(&self) -> NamedGroup {
        self.group
    }

    fn public_key(&self) -> &[u8] {
        &self.public
    }

    fn complete(self: Box<Self>, peer_public: &[u8]) -> Result<Secret, Error> {
        let peer = agreement::UnparsedPublicKey::new(self.alg, peer_public);
        // ring checks the point is on the curve and rejects an all-zero
        // X25519 result (RFC 8446 §7.4.2).
        agreement::agree_ephemeral(self.private, &peer, Secret::from_slice).map_err(|_| {
            Error::peer(
                AlertDescription::ILLEGAL_PARAMETER,
                format!("invalid {:?} public key from the peer", self.group),
            )
        })
    }
}

/// A group whose "ephemeral" private key is given: the same public value
/// and the same shared secrets on every exchange. Only for replaying a
/// recorded handshake; the public way in is `danger::replay::FixedKeyGroup`.
#[cfg(feature = "testkit")]
#[derive(Clone)]
pub(crate) struct FixedKeyGroup {
    group: RingGroup,
    private_key: Vec<u8>,
}

#[cfg(feature = "testkit")]
impl Debug for FixedKeyGroup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FixedKeyGroup")
            .field("name", &self.group.name)
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "testkit")]
impl FixedKeyGroup {
    /// The group `name` with `private_key`. Fails for a group `ring` does
    /// not provide or a key of the wrong length.
    pub(crate) fn new(name: NamedGroup, private_key: &[u8]) -> Result<Self, Error> {
        let group = *default_ring_group(name)
            .ok_or_else(|| Error::Config(format!("{name:?} is not implemented")))?;
        let len = match name {
            NamedGroup::SECP384R1 => 48,
            _ => 32,
        };
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
}

#[cfg(feature = "testkit")]
impl KeyExchangeGroup for FixedKeyGroup {
    fn name(&self) -> NamedGroup {
        self.group.name
    }

    #[allow(deprecated)]
    fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, Error> {
        // ring draws a private key from a random source and has no other
        // way in; its fixed-output source (kept for known-answer tests)
        // hands it our key. The length was checked in `new`, so the source
        // is asked for exactly these bytes.
        let rng = ring::test::rand::FixedSliceRandom {
            bytes: &self.private_key,
        };
        self.group.start_with(&rng)
    }
}

#[cfg(feature = "testkit")]
fn default_ring_group(name: NamedGroup) -> Option<&'static RingGroup> {
    [&X25519, &SECP256R1, &SECP384R1]
        .into_iter()
        .find(|g| g.name == name)
}

/// Finds a group cloaktls implements by name.
pub fn default_group(name: NamedGroup) -> Option<&'static dyn KeyExchangeGroup> {
    DEFAULT_GROUPS.iter().copied().find(|g| g.name() == name)
}

/// The names of the groups cloaktls implements, in the default order.
pub fn supported_group_names() -> Vec<NamedGroup> {
    DEFAULT_GROUPS.iter().map(|g| g.name()).collect()
}

/// The key exchange groups a configuration uses, in preference order, and
/// the key shares a client sends.
#[derive(Clone)]
pub struct KeyExchangeSet {
    groups: Vec<std::sync::Arc<dyn KeyExchangeGroup>>,
}

impl Debug for KeyExchangeSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.groups.iter().map(|g| g.name()))
            .finish()
    }
}

/// A static group as a shared one.
#[derive(Debug)]
struct Static(&'static dyn KeyExchangeGroup);

impl KeyExchangeGroup for Static {
    fn name(&self) -> NamedGroup {
        self.0.name()
    }
    fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, Error> {
        self.0.start()
    }
    fn accept(&self, client_share: &[u8]) -> Result<(Vec<u8>, Secret), Error> {
        self.0.accept(client_share)
    }
    fn tls13_only(&self) -> bool {
        self.0.tls13_only()
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
                .map(|g| std::sync::Arc::new(Static(*g)) as std::sync::Arc<dyn KeyExchangeGroup>)
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
    pub fn custom(groups: Vec<std::sync::Arc<dyn KeyExchangeGroup>>) -> Self {
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

    /// The key shares of a TLS 1.3 ClientHello: one for the first group.
    pub fn start_client_shares(&self) -> Result<Vec<Box<dyn ActiveKeyExchange>>, Error> {
        let first = self
            .groups
            .first()
            .ok_or_else(|| Error::Config("no key exchange group".into()))?;
        Ok(vec![first.start()?])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_group_agrees_with_itself() {
        for g in DEFAULT_GROUPS {
            let a = g.start().unwrap();
            let b = g.start().unwrap();
            let (pa, pb) = (a.public_key().to_vec(), b.public_key().to_vec());
            assert_eq!(a.complete(&pb).unwrap(), b.complete(&pa).unwrap());
        }
    }

    #[test]
    fn bad_peer_keys_are_illegal_parameter() {
        for g in DEFAULT_GROUPS {
            for bad in [&[][..], &[4u8; 3][..], &[0u8; 32][..], &[0xffu8; 65][..]] {
                let err = g.start().unwrap().complete(bad).unwrap_err();
                assert_eq!(
                    err.alert(),
                    Some(AlertDescription::ILLEGAL_PARAMETER),
                    "{g:?}"
                );
            }
        }
    }
}
