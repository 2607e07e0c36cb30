//! ML-KEM (FIPS 203) through `libcrux-ml-kem`, for the hybrid groups of
//! RFC 10024. The randomness comes from our [`RandomSource`], so a
//! deterministic connection stays deterministic.

use super::rand::RandomSource;
use super::secret::Secret;
use crate::error::{Error, KeyShareProblem};
use libcrux_ml_kem::{mlkem1024, mlkem768};

/// An ML-KEM parameter set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MlKem {
    /// ML-KEM-768 (security category 3).
    MlKem768,
    /// ML-KEM-1024 (security category 5).
    MlKem1024,
}

/// FIPS 203 §7.1: d ‖ z, 32 bytes each.
const KEY_GENERATION_SEED: usize = 64;
/// FIPS 203 §7.2: m.
const ENCAPSULATION_SEED: usize = 32;

/// A decapsulation key, held in memory that is wiped when it is dropped.
/// `libcrux-ml-kem`'s own key types do not wipe themselves, so ours holds
/// the bytes, and the copies that calls into the crate make are wiped
/// here where they are ours to reach (best effort: the crate's internal
/// copies, such as its by-value seeds, are beyond reach).
pub(crate) struct DecapsulationKey {
    kem: MlKem,
    bytes: Secret,
}

impl MlKem {
    /// The encapsulation key's length (FIPS 203 Table 3).
    pub(crate) fn encapsulation_key_len(self) -> usize {
        match self {
            MlKem::MlKem768 => 1184,
            MlKem::MlKem1024 => 1568,
        }
    }

    /// The ciphertext's length (FIPS 203 Table 3).
    pub(crate) fn ciphertext_len(self) -> usize {
        match self {
            MlKem::MlKem768 => 1088,
            MlKem::MlKem1024 => 1568,
        }
    }

    /// ML-KEM.KeyGen: the encapsulation key to send and the decapsulation
    /// key to keep.
    pub(crate) fn generate(
        self,
        rng: &dyn RandomSource,
    ) -> Result<(Vec<u8>, DecapsulationKey), Error> {
        let mut seed = Secret::zeroed(KEY_GENERATION_SEED);
        rng.fill(seed.as_mut_bytes())?;
        let mut d_z = [0u8; KEY_GENERATION_SEED];
        d_z.copy_from_slice(seed.as_bytes());
        let (ek, dk) = match self {
            MlKem::MlKem768 => {
                let (sk, pk) = mlkem768::generate_key_pair(d_z).into_parts();
                let mut sk: [u8; 2400] = sk.into();
                let dk = Secret::from_slice(&sk);
                wipe(&mut sk);
                (pk.as_slice().to_vec(), dk)
            }
            MlKem::MlKem1024 => {
                let (sk, pk) = mlkem1024::generate_key_pair(d_z).into_parts();
                let mut sk: [u8; 3168] = sk.into();
                let dk = Secret::from_slice(&sk);
                wipe(&mut sk);
                (pk.as_slice().to_vec(), dk)
            }
        };
        wipe(&mut d_z);
        Ok((
            ek,
            DecapsulationKey {
                kem: self,
                bytes: dk,
            },
        ))
    }

    /// ML-KEM.Encaps to the peer's encapsulation key `ek`, after the input
    /// checks of FIPS 203 §7.2 (the exact length, and the modulus check):
    /// the ciphertext to send and the shared secret.
    pub(crate) fn encapsulate(
        self,
        ek: &[u8],
        rng: &dyn RandomSource,
    ) -> Result<(Vec<u8>, Secret), KemError> {
        let mut m = [0u8; ENCAPSULATION_SEED];
        rng.fill(&mut m).map_err(KemError::Ours)?;
        let out = match self {
            MlKem::MlKem768 => {
                let key = mlkem768::MlKem768PublicKey::try_from(ek).map_err(|_| self.bad_ek(ek))?;
                if !mlkem768::validate_public_key(&key) {
                    return Err(KemError::Peer(KeyShareProblem::EncapsulationKey));
                }
                let (ct, mut ss) = mlkem768::encapsulate(&key, m);
                let secret = Secret::from_slice(&ss);
                wipe(&mut ss);
                (ct.as_ref().to_vec(), secret)
            }
            MlKem::MlKem1024 => {
                let key =
                    mlkem1024::MlKem1024PublicKey::try_from(ek).map_err(|_| self.bad_ek(ek))?;
                if !mlkem1024::validate_public_key(&key) {
                    return Err(KemError::Peer(KeyShareProblem::EncapsulationKey));
                }
                let (ct, mut ss) = mlkem1024::encapsulate(&key, m);
                let secret = Secret::from_slice(&ss);
                wipe(&mut ss);
                (ct.as_ref().to_vec(), secret)
            }
        };
        wipe(&mut m);
        Ok(out)
    }

    fn bad_ek(self, ek: &[u8]) -> KemError {
        KemError::Peer(KeyShareProblem::Length {
            expected: self.encapsulation_key_len(),
            actual: ek.len(),
        })
    }
}

/// Zeroes `bytes`, in a way the optimiser keeps.
fn wipe(bytes: &mut [u8]) {
    bytes.fill(0);
    std::hint::black_box(bytes);
}

/// Why an encapsulation failed: the peer's key, or our randomness.
#[derive(Debug)]
pub(crate) enum KemError {
    /// The peer's encapsulation key is unusable.
    Peer(KeyShareProblem),
    /// Our side failed.
    Ours(Error),
}

impl DecapsulationKey {
    /// ML-KEM.Decaps of the peer's ciphertext `ct`, whose length is checked
    /// (RFC 10024 §4.2). A wrong ciphertext of the right length yields an
    /// unrelated secret (implicit rejection, FIPS 203 §6.3), so the
    /// handshake fails later at Finished.
    pub(crate) fn decapsulate(&self, ct: &[u8]) -> Result<Secret, KeyShareProblem> {
        let bad = || KeyShareProblem::Length {
            expected: self.kem.ciphertext_len(),
            actual: ct.len(),
        };
        let mut ss = match self.kem {
            MlKem::MlKem768 => {
                let ct = mlkem768::MlKem768Ciphertext::try_from(ct).map_err(|_| bad())?;
                let dk = mlkem768::MlKem768PrivateKey::try_from(self.bytes.as_bytes())
                    .map_err(|_| bad())?;
                let ss = mlkem768::decapsulate(&dk, &ct);
                let mut dk: [u8; 2400] = dk.into();
                wipe(&mut dk);
                ss
            }
            MlKem::MlKem1024 => {
                let ct = mlkem1024::MlKem1024Ciphertext::try_from(ct).map_err(|_| bad())?;
                let dk = mlkem1024::MlKem1024PrivateKey::try_from(self.bytes.as_bytes())
                    .map_err(|_| bad())?;
                let ss = mlkem1024::decapsulate(&dk, &ct);
                let mut dk: [u8; 3168] = dk.into();
                wipe(&mut dk);
                ss
            }
        };
        let secret = Secret::from_slice(&ss);
        wipe(&mut ss);
        Ok(secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::rand::SystemRandom;

    #[test]
    fn encapsulation_and_decapsulation_agree() {
        let rng = SystemRandom::new();
        for kem in [MlKem::MlKem768, MlKem::MlKem1024] {
            let (ek, dk) = kem.generate(&rng).unwrap();
            assert_eq!(ek.len(), kem.encapsulation_key_len());
            let (ct, ss) = kem.encapsulate(&ek, &rng).unwrap();
            assert_eq!(ct.len(), kem.ciphertext_len());
            assert_eq!(dk.decapsulate(&ct).unwrap(), ss);
            // Implicit rejection: a changed ciphertext gives another secret.
            let mut bad = ct.clone();
            bad[0] ^= 1;
            assert_ne!(dk.decapsulate(&bad).unwrap(), ss);
            assert!(matches!(
                dk.decapsulate(&ct[1..]),
                Err(KeyShareProblem::Length { .. })
            ));
        }
    }

    #[test]
    fn encapsulation_keys_are_checked() {
        let rng = SystemRandom::new();
        for kem in [MlKem::MlKem768, MlKem::MlKem1024] {
            let (ek, _) = kem.generate(&rng).unwrap();
            // FIPS 203 §7.2 modulus check: a 12-bit coefficient of 0xfff
            // (≥ q = 3329) in the first position.
            let mut bad = ek.clone();
            bad[0] = 0xff;
            bad[1] |= 0x0f;
            assert!(matches!(
                kem.encapsulate(&bad, &rng),
                Err(KemError::Peer(KeyShareProblem::EncapsulationKey))
            ));
            assert!(matches!(
                kem.encapsulate(&ek[..ek.len() - 1], &rng),
                Err(KemError::Peer(KeyShareProblem::Length { .. }))
            ));
        }
    }
}
