//! Policy presets: configurations restricted, in one call, to what a
//! standard allows. A handshake the policy cannot satisfy fails with an
//! error that names the policy.

use crate::msgs::enums::{CipherSuite, NamedGroup, ProtocolVersion, SignatureScheme};

/// A named set of allowed versions, cipher suites, groups and signature
/// schemes. Apply one with `ClientConfigBuilder::policy` or
/// `ServerConfigBuilder::policy`; later calls to `versions`,
/// `cipher_suites`, `groups` or `signature_schemes` may narrow it further,
/// never widen it (`build` refuses what the policy does not allow).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Policy {
    /// FIPS 140-3 approved algorithms, as NIST SP 800-52 Rev. 2 applies
    /// them to TLS: TLS 1.2 and 1.3; AES-GCM only; the NIST curves P-256
    /// and P-384 and the hybrids built on them with ML-KEM (FIPS 203);
    /// ECDSA on P-256/P-384 with SHA-256/384 and RSA (PSS, and PKCS#1 v1.5
    /// in TLS 1.2) with SHA-256/384/512. No X25519, ChaCha20 or Ed25519.
    Fips140_3,
    /// CNSA 1.0 (NSA's Commercial National Security Algorithm suite):
    /// AES-256-GCM with SHA-384, ECDH on P-384, ECDSA on P-384 with
    /// SHA-384 and RSA with SHA-384, TLS 1.2 and 1.3; with CNSA 2.0's
    /// ML-KEM-1024 (alone, or with P-384 as SecP384r1MLKEM1024) preferred
    /// whenever the peer offers it, as the transition to CNSA 2.0 asks.
    /// CNSA 1.0 wants RSA moduli of 3072 bits and more: cloaktls does not
    /// check key sizes, so issue and trust certificates accordingly.
    Cnsa1,
    /// CNSA 2.0: TLS 1.3 only, AES-256-GCM with SHA-384, and ML-KEM-1024
    /// key establishment (MLKEM1024 alone first, then SecP384r1MLKEM1024,
    /// RFC 10024). CNSA 2.0 signs with ML-DSA-87, which cloaktls does not
    /// have: certificates are CNSA 1.0's for the transition (ECDSA P-384 or
    /// RSA-PSS with SHA-384).
    Cnsa2,
    /// WPA3-Enterprise 192-bit mode (the Wi-Fi Alliance's WPA3
    /// specification, for EAP-TLS): TLS 1.2 and 1.3, AES-256-GCM, ECDH on
    /// P-384, ECDSA on P-384 with SHA-384 and RSA (PSS, and PKCS#1 v1.5 in
    /// TLS 1.2) with SHA-384 or SHA-512.
    Wpa3Enterprise192,
}

impl Policy {
    /// The policy's name, as errors give it.
    pub fn name(self) -> &'static str {
        match self {
            Policy::Fips140_3 => "FIPS 140-3",
            Policy::Cnsa1 => "CNSA 1.0",
            Policy::Cnsa2 => "CNSA 2.0",
            Policy::Wpa3Enterprise192 => "WPA3-Enterprise 192-bit",
        }
    }

    /// The versions allowed.
    pub fn versions(self) -> &'static [ProtocolVersion] {
        match self {
            Policy::Fips140_3 | Policy::Cnsa1 | Policy::Wpa3Enterprise192 => {
                &[ProtocolVersion::TLSV1_3, ProtocolVersion::TLSV1_2]
            }
            Policy::Cnsa2 => &[ProtocolVersion::TLSV1_3],
        }
    }

    /// The cipher suites allowed, in preference order.
    pub fn cipher_suites(self) -> &'static [CipherSuite] {
        match self {
            Policy::Fips140_3 => &[
                CipherSuite::TLS13_AES_256_GCM_SHA384,
                CipherSuite::TLS13_AES_128_GCM_SHA256,
                CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
                CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
                CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            ],
            Policy::Cnsa1 | Policy::Wpa3Enterprise192 => &[
                CipherSuite::TLS13_AES_256_GCM_SHA384,
                CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
                CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            ],
            Policy::Cnsa2 => &[CipherSuite::TLS13_AES_256_GCM_SHA384],
        }
    }

    /// The key exchange groups allowed, in preference order.
    pub fn groups(self) -> &'static [NamedGroup] {
        match self {
            Policy::Fips140_3 => &[
                NamedGroup::SECP256R1_MLKEM768,
                NamedGroup::SECP384R1_MLKEM1024,
                NamedGroup::SECP256R1,
                NamedGroup::SECP384R1,
            ],
            Policy::Cnsa1 => &[
                NamedGroup::SECP384R1_MLKEM1024,
                NamedGroup::MLKEM1024,
                NamedGroup::SECP384R1,
            ],
            Policy::Cnsa2 => &[NamedGroup::MLKEM1024, NamedGroup::SECP384R1_MLKEM1024],
            Policy::Wpa3Enterprise192 => &[NamedGroup::SECP384R1],
        }
    }

    /// The signature schemes allowed, in preference order.
    pub fn signature_schemes(self) -> &'static [SignatureScheme] {
        match self {
            Policy::Fips140_3 => &[
                SignatureScheme::ECDSA_NISTP256_SHA256,
                SignatureScheme::ECDSA_NISTP384_SHA384,
                SignatureScheme::RSA_PSS_RSAE_SHA256,
                SignatureScheme::RSA_PSS_RSAE_SHA384,
                SignatureScheme::RSA_PSS_RSAE_SHA512,
                SignatureScheme::RSA_PKCS1_SHA256,
                SignatureScheme::RSA_PKCS1_SHA384,
                SignatureScheme::RSA_PKCS1_SHA512,
            ],
            Policy::Cnsa1 => &[
                SignatureScheme::ECDSA_NISTP384_SHA384,
                SignatureScheme::RSA_PSS_RSAE_SHA384,
                SignatureScheme::RSA_PKCS1_SHA384,
            ],
            Policy::Cnsa2 => &[
                SignatureScheme::ECDSA_NISTP384_SHA384,
                SignatureScheme::RSA_PSS_RSAE_SHA384,
            ],
            Policy::Wpa3Enterprise192 => &[
                SignatureScheme::ECDSA_NISTP384_SHA384,
                SignatureScheme::RSA_PSS_RSAE_SHA384,
                SignatureScheme::RSA_PSS_RSAE_SHA512,
                SignatureScheme::RSA_PKCS1_SHA384,
                SignatureScheme::RSA_PKCS1_SHA512,
            ],
        }
    }

    /// Every policy cloaktls has.
    pub fn all() -> [Policy; 4] {
        [
            Policy::Fips140_3,
            Policy::Cnsa1,
            Policy::Cnsa2,
            Policy::Wpa3Enterprise192,
        ]
    }

    /// The policy whose name is `name` (compared without regard to case,
    /// spaces, dots and dashes: `fips-140-3`, `cnsa2`).
    pub fn from_name(name: &str) -> Option<Policy> {
        let squash = |s: &str| {
            s.chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .map(|c| c.to_ascii_lowercase())
                .collect::<String>()
        };
        let want = squash(name);
        Policy::all().into_iter().find(|p| {
            let n = squash(p.name());
            // "CNSA 2.0" is also "cnsa2"; "WPA3-Enterprise 192-bit" is
            // also "wpa3-192".
            n == want
                || n.strip_suffix('0') == Some(want.as_str())
                || (*p == Policy::Wpa3Enterprise192 && want == "wpa3192")
        })
    }
}

impl std::fmt::Display for Policy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_found_loosely() {
        assert_eq!(Policy::from_name("fips-140-3"), Some(Policy::Fips140_3));
        assert_eq!(Policy::from_name("FIPS 140-3"), Some(Policy::Fips140_3));
        assert_eq!(Policy::from_name("cnsa2"), Some(Policy::Cnsa2));
        assert_eq!(Policy::from_name("CNSA 2.0"), Some(Policy::Cnsa2));
        assert_eq!(Policy::from_name("cnsa-1.0"), Some(Policy::Cnsa1));
        assert_eq!(Policy::from_name("nist"), None);
        assert_eq!(
            Policy::from_name("wpa3-192"),
            Some(Policy::Wpa3Enterprise192)
        );
        assert_eq!(
            Policy::from_name("WPA3-Enterprise 192-bit"),
            Some(Policy::Wpa3Enterprise192)
        );
    }

    #[test]
    fn every_policy_is_implemented_by_cloaktls() {
        for p in Policy::all() {
            for s in p.cipher_suites() {
                assert!(
                    crate::config::supported_cipher_suites().contains(s),
                    "{p}: {s:?}"
                );
            }
            for g in p.groups() {
                assert!(crate::config::supported_groups().contains(g), "{p}: {g:?}");
            }
        }
    }
}
