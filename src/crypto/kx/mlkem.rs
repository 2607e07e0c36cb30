//! ML-KEM alone as a TLS 1.3 key exchange group (draft-ietf-tls-mlkem):
//! the client's share is an ML-KEM encapsulation key, the server's a
//! ciphertext, the shared secret ML-KEM's. No classical part: for
//! policies that ask for post-quantum key establishment only (CNSA 2.0's
//! ML-KEM-1024). Not in the default groups, which stay hybrid.

use super::{ActiveKeyExchange, KeyExchangeGroup};
use crate::crypto::mlkem::{DecapsulationKey, KemError, MlKem};
use crate::crypto::rand::RandomSource;
use crate::crypto::Secret;
use crate::error::{Error, KeyShareProblem};
use crate::msgs::enums::NamedGroup;

/// A group that is ML-KEM and nothing else. TLS 1.3 only.
#[derive(Debug, Clone, Copy)]
pub struct KemGroup {
    name: NamedGroup,
    kem: MlKem,
}

/// MLKEM768 (0x0201): client share 1184 bytes, server share 1088, secret
/// 32.
pub static MLKEM768: KemGroup = KemGroup {
    name: NamedGroup::MLKEM768,
    kem: MlKem::MlKem768,
};

/// MLKEM1024 (0x0202): both shares 1568 bytes, secret 32.
pub static MLKEM1024: KemGroup = KemGroup {
    name: NamedGroup::MLKEM1024,
    kem: MlKem::MlKem1024,
};

impl KemGroup {
    fn bad(&self, problem: KeyShareProblem) -> Error {
        Error::BadKeyShare {
            group: self.name,
            problem,
        }
    }
}

impl KeyExchangeGroup for KemGroup {
    fn name(&self) -> NamedGroup {
        self.name
    }

    fn start(&self, rng: &dyn RandomSource) -> Result<Box<dyn ActiveKeyExchange>, Error> {
        let (ek, dk) = self.kem.generate(rng)?;
        Ok(Box::new(KemExchange {
            group: *self,
            public: ek,
            dk,
        }))
    }

    /// The encapsulation key is checked (FIPS 203 §7.2: its exact length
    /// and the modulus check); a bad one is illegal_parameter.
    fn accept(
        &self,
        client_share: &[u8],
        rng: &dyn RandomSource,
    ) -> Result<(Vec<u8>, Secret), Error> {
        self.kem
            .encapsulate(client_share, rng)
            .map_err(|e| match e {
                KemError::Peer(problem) => self.bad(problem),
                KemError::Ours(e) => e,
            })
    }

    fn tls13_only(&self) -> bool {
        true
    }

    fn post_quantum(&self) -> bool {
        true
    }
}

/// A client's ML-KEM exchange: the decapsulation key.
struct KemExchange {
    group: KemGroup,
    public: Vec<u8>,
    dk: DecapsulationKey,
}

impl ActiveKeyExchange for KemExchange {
    fn group(&self) -> NamedGroup {
        self.group.name
    }

    fn public_key(&self) -> &[u8] {
        &self.public
    }

    /// The ciphertext's length is checked (illegal_parameter);
    /// decapsulation itself cannot fail (FIPS 203 implicit rejection).
    fn complete(self: Box<Self>, server_share: &[u8]) -> Result<Secret, Error> {
        self.dk
            .decapsulate(server_share)
            .map_err(|p| self.group.bad(p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::SystemRandom;

    #[test]
    fn both_sides_agree_and_bad_shares_are_refused() {
        let rng = SystemRandom::new();
        for (g, ek_len, ct_len) in [(&MLKEM768, 1184, 1088), (&MLKEM1024, 1568, 1568)] {
            let client = g.start(&rng).unwrap();
            assert_eq!(client.public_key().len(), ek_len);
            let (ct, server_secret) = g.accept(client.public_key(), &rng).unwrap();
            assert_eq!(ct.len(), ct_len);
            let client_secret = client.complete(&ct).unwrap();
            assert_eq!(client_secret.as_bytes(), server_secret.as_bytes());
            assert_eq!(client_secret.as_bytes().len(), 32);
            // A share one byte short, either way, is a typed error.
            let client = g.start(&rng).unwrap();
            let short = &client.public_key()[1..];
            assert!(matches!(
                g.accept(short, &rng),
                Err(Error::BadKeyShare { group, .. }) if group == g.name
            ));
            assert!(matches!(
                client.complete(&ct[1..]),
                Err(Error::BadKeyShare { .. })
            ));
            // An encapsulation key whose coefficients are out of range
            // fails the modulus check.
            let bad_ek = vec![0xff; ek_len];
            assert!(matches!(
                g.accept(&bad_ek, &rng),
                Err(Error::BadKeyShare {
                    problem: KeyShareProblem::EncapsulationKey,
                    ..
                })
            ));
        }
    }
}
