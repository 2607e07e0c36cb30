//! The hybrid post-quantum groups of RFC 10024: ML-KEM (FIPS 203) and an
//! (EC)DH group together, each share and the shared secret a plain
//! concatenation of the two parts (RFC 9954 §3.2, §3.3).

use super::{ActiveKeyExchange, BuiltInGroup, KeyExchangeGroup, RingExchange, RingGroup};
use super::{SECP256R1, SECP384R1, X25519};
use crate::crypto::mlkem::{DecapsulationKey, KemError, MlKem};
use crate::crypto::rand::RandomSource;
use crate::crypto::Secret;
use crate::error::{Error, KeyShareProblem};
use crate::msgs::enums::NamedGroup;

/// Which part comes first in each share and in the shared secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    /// ML-KEM, then (EC)DH: X25519MLKEM768 (RFC 10024 §4.1, "for
    /// historical reasons").
    KemFirst,
    /// (EC)DH, then ML-KEM: the NIST-curve hybrids (RFC 10024 §4.1).
    EcdhFirst,
}

/// A hybrid group: ML-KEM with an (EC)DH group. TLS 1.3 only.
#[derive(Debug, Clone, Copy)]
pub struct HybridGroup {
    name: NamedGroup,
    kem: MlKem,
    ecdh: &'static RingGroup,
    order: Order,
}

/// X25519MLKEM768 (0x11EC, RFC 10024 §3): client share 1216 bytes, server
/// share 1120, secret 64.
pub static X25519_MLKEM768: HybridGroup = HybridGroup {
    name: NamedGroup::X25519_MLKEM768,
    kem: MlKem::MlKem768,
    ecdh: &X25519,
    order: Order::KemFirst,
};

/// SecP256r1MLKEM768 (0x11EB, RFC 10024 §3): client share 1249 bytes,
/// server share 1153, secret 64.
pub static SECP256R1_MLKEM768: HybridGroup = HybridGroup {
    name: NamedGroup::SECP256R1_MLKEM768,
    kem: MlKem::MlKem768,
    ecdh: &SECP256R1,
    order: Order::EcdhFirst,
};

/// SecP384r1MLKEM1024 (0x11ED, RFC 10024 §3): both shares 1665 bytes,
/// secret 80.
pub static SECP384R1_MLKEM1024: HybridGroup = HybridGroup {
    name: NamedGroup::SECP384R1_MLKEM1024,
    kem: MlKem::MlKem1024,
    ecdh: &SECP384R1,
    order: Order::EcdhFirst,
};

impl HybridGroup {
    /// The classical group inside this one.
    pub fn classical(&self) -> NamedGroup {
        self.ecdh.name
    }

    /// The ML-KEM part and the (EC)DH part in this group's order.
    fn join(&self, kem: &[u8], ecdh: &[u8]) -> Vec<u8> {
        match self.order {
            Order::KemFirst => [kem, ecdh].concat(),
            Order::EcdhFirst => [ecdh, kem].concat(),
        }
    }

    /// Splits a peer share into its ML-KEM and (EC)DH parts, after checking
    /// its exact length (RFC 10024 §4.2).
    fn split<'a>(&self, share: &'a [u8], kem_len: usize) -> Result<(&'a [u8], &'a [u8]), Error> {
        let ecdh_len = self.ecdh.public_len;
        let expected = kem_len + ecdh_len;
        if share.len() != expected {
            return Err(self.bad(KeyShareProblem::Length {
                expected,
                actual: share.len(),
            }));
        }
        let at = match self.order {
            Order::KemFirst => kem_len,
            Order::EcdhFirst => ecdh_len,
        };
        let (first, second) = share.split_at(at);
        Ok(match self.order {
            Order::KemFirst => (first, second),
            Order::EcdhFirst => (second, first),
        })
    }

    fn bad(&self, problem: KeyShareProblem) -> Error {
        Error::BadKeyShare {
            group: self.name,
            problem,
        }
    }

    fn generate(
        &self,
        ecdh_rng: &dyn ring::rand::SecureRandom,
        rng: &dyn RandomSource,
    ) -> Result<HybridExchange, Error> {
        let ecdh = self.ecdh.generate(ecdh_rng)?;
        let (ek, dk) = self.kem.generate(rng)?;
        Ok(HybridExchange {
            group: *self,
            public: self.join(&ek, ecdh.public()),
            dk,
            ecdh,
        })
    }
}

impl KeyExchangeGroup for HybridGroup {
    fn name(&self) -> NamedGroup {
        self.name
    }

    fn start(&self, rng: &dyn RandomSource) -> Result<Box<dyn ActiveKeyExchange>, Error> {
        self.start_with(&ring::rand::SystemRandom::new(), rng)
    }

    fn accept(
        &self,
        client_share: &[u8],
        rng: &dyn RandomSource,
    ) -> Result<(Vec<u8>, Secret), Error> {
        self.accept_with(&ring::rand::SystemRandom::new(), client_share, rng)
    }

    fn start_client_shares(
        &self,
        rng: &dyn RandomSource,
    ) -> Result<Vec<Box<dyn ActiveKeyExchange>>, Error> {
        self.client_shares_with(&ring::rand::SystemRandom::new(), rng)
    }

    fn tls13_only(&self) -> bool {
        true
    }

    fn post_quantum(&self) -> bool {
        true
    }
}

impl BuiltInGroup for HybridGroup {
    fn start_with(
        &self,
        ecdh_rng: &dyn ring::rand::SecureRandom,
        rng: &dyn RandomSource,
    ) -> Result<Box<dyn ActiveKeyExchange>, Error> {
        Ok(Box::new(self.generate(ecdh_rng, rng)?))
    }

    /// RFC 10024 §4.2: the encapsulation key is checked (FIPS 203 §7.2),
    /// and so is the (EC)DH share (RFC 8446 §4.2.8.2); either failing is
    /// illegal_parameter.
    fn accept_with(
        &self,
        ecdh_rng: &dyn ring::rand::SecureRandom,
        client_share: &[u8],
        rng: &dyn RandomSource,
    ) -> Result<(Vec<u8>, Secret), Error> {
        let (ek, their_ecdh) = self.split(client_share, self.kem.encapsulation_key_len())?;
        let (ct, kem_secret) = self.kem.encapsulate(ek, rng).map_err(|e| match e {
            KemError::Peer(problem) => self.bad(problem),
            KemError::Ours(e) => e,
        })?;
        let ecdh = self.ecdh.generate(ecdh_rng)?;
        let share = self.join(&ct, ecdh.public());
        let ecdh_secret = ecdh.agree(their_ecdh).map_err(|p| self.bad(p))?;
        let secret = self.join(kem_secret.as_bytes(), ecdh_secret.as_bytes());
        Ok((share, Secret::new(secret)))
    }

    fn client_shares_with(
        &self,
        ecdh_rng: &dyn ring::rand::SecureRandom,
        rng: &dyn RandomSource,
    ) -> Result<Vec<Box<dyn ActiveKeyExchange>>, Error> {
        let hybrid = self.generate(ecdh_rng, rng)?;
        let classical = hybrid.ecdh.share_as(self.ecdh.name);
        Ok(vec![Box::new(hybrid), Box::new(classical)])
    }

    #[cfg(feature = "testkit")]
    fn ecdh_private_len(&self) -> usize {
        self.ecdh.ecdh_private_len()
    }
}

/// A client's hybrid exchange: the decapsulation key and the (EC)DH key.
struct HybridExchange {
    group: HybridGroup,
    public: Vec<u8>,
    dk: DecapsulationKey,
    ecdh: RingExchange,
}

impl ActiveKeyExchange for HybridExchange {
    fn group(&self) -> NamedGroup {
        self.group.name
    }

    fn public_key(&self) -> &[u8] {
        &self.public
    }

    /// RFC 10024 §4.2: the ciphertext's length is checked (illegal_parameter);
    /// decapsulation itself cannot fail (FIPS 203 implicit rejection).
    fn complete(self: Box<Self>, server_share: &[u8]) -> Result<Secret, Error> {
        let g = &self.group;
        let (ct, their_ecdh) = g.split(server_share, g.kem.ciphertext_len())?;
        let kem_secret = self.dk.decapsulate(ct).map_err(|p| g.bad(p))?;
        let ecdh_secret = self.ecdh.agree(their_ecdh).map_err(|p| g.bad(p))?;
        Ok(Secret::new(
            g.join(kem_secret.as_bytes(), ecdh_secret.as_bytes()),
        ))
    }
}
