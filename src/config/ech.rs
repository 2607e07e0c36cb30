//! Encrypted Client Hello settings (RFC 9849): the ECHConfigList a client
//! offers ECH with, and the keys a server decrypts with.

use crate::crypto::hpke::{HpkeAead, HpkeKdf, HpkeKem, HpkePrivateKey, HpkeSuite};
use crate::crypto::rand::RandomSource;
use crate::crypto::Secret;
use crate::error::Error;
use crate::msgs::ech::{
    decode_config_list, encode_config_list, EchConfig, EchConfigContents, HpkeSymmetricCipherSuite,
    ECH_VERSION,
};

/// What became of Encrypted Client Hello (RFC 9849) on a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum EchStatus {
    /// No ECH: the client offered none, or the server has no ECH keys.
    #[default]
    NotOffered,
    /// The client sent GREASE ECH (RFC 9849 §6.2): no config, no ECH.
    Grease,
    /// The ClientHelloInner was used: the real server name stayed
    /// encrypted.
    Accepted,
    /// The server could not use the offer: the handshake ran on
    /// ClientHelloOuter, for the public name (a client fails with
    /// [`Error::EchRejected`]; a server sent its retry configs).
    Rejected,
}

/// An ECHConfigList (RFC 9849 §4), as a server publishes it in the `ech`
/// parameter of a DNS HTTPS record, for a client to offer ECH with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EchConfigList {
    bytes: Vec<u8>,
    configs: Vec<EchConfig>,
}

/// The config a client offers ECH with, and the HPKE suite it chose.
#[derive(Debug, Clone)]
pub(crate) struct ChosenEchConfig {
    pub(crate) config: EchConfig,
    pub(crate) contents: EchConfigContents,
    pub(crate) suite: HpkeSuite,
    pub(crate) public_name: String,
}

impl EchConfigList {
    /// Parses an ECHConfigList (its two-byte length included). A list that
    /// does not decode is an error; one whose configs cloaktls cannot use
    /// is not (a client then sends GREASE ECH if configured to, RFC 9849
    /// §6.1), see [`EchConfigList::is_usable`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let configs = decode_config_list(bytes)
            .map_err(|e| Error::Config(format!("the ECHConfigList does not decode: {e}")))?;
        Ok(EchConfigList {
            bytes: bytes.to_vec(),
            configs,
        })
    }

    /// The list as on the wire.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The public names of the configs cloaktls can use, in the list's
    /// order.
    pub fn public_names(&self) -> Vec<String> {
        self.configs
            .iter()
            .filter_map(usable)
            .map(|c| c.public_name)
            .collect()
    }

    /// Whether some config of the list is one cloaktls can offer ECH with.
    pub fn is_usable(&self) -> bool {
        self.choose().is_some()
    }

    /// The first config a client can use (RFC 9849 §6.1), and the first of
    /// its cipher suites that cloaktls implements.
    pub(crate) fn choose(&self) -> Option<ChosenEchConfig> {
        self.configs.iter().find_map(usable)
    }
}

/// A config and suite the client can use: version 0xfe0d, a KEM and a
/// (KDF, AEAD) we implement, no unknown mandatory extension (§4.2), and a
/// public name that is a host name and no IPv4 literal (§6.1.7).
fn usable(config: &EchConfig) -> Option<ChosenEchConfig> {
    let contents = config.contents.as_ref()?;
    if config.version != ECH_VERSION {
        return None;
    }
    let kem = HpkeKem::from_id(contents.kem_id)?;
    if contents.public_key.len() != kem.public_key_len()
        || contents.extensions.iter().any(|e| e.is_mandatory())
    {
        return None;
    }
    let (kdf, aead) = contents
        .cipher_suites
        .iter()
        .find_map(|s| Some((HpkeKdf::from_id(s.kdf_id)?, HpkeAead::from_id(s.aead_id)?)))?;
    let public_name = std::str::from_utf8(&contents.public_name).ok()?;
    if !valid_public_name(public_name) {
        return None;
    }
    Some(ChosenEchConfig {
        config: config.clone(),
        contents: contents.clone(),
        suite: HpkeSuite { kem, kdf, aead },
        public_name: public_name.to_string(),
    })
}

/// RFC 9849 §6.1.7: dot-separated LDH labels of 1 to 63 octets, no dot at
/// either end, and a last label that is neither all digits nor "0x"
/// followed by hex digits (an IPv4 literal).
pub(crate) fn valid_public_name(name: &str) -> bool {
    let labels: Vec<&str> = name.split('.').collect();
    let ldh = labels.iter().all(|l| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    });
    let Some(last) = labels.last() else {
        return false;
    };
    let numeric = last.bytes().all(|b| b.is_ascii_digit());
    let hex = (last.starts_with("0x") || last.starts_with("0X"))
        && last.bytes().skip(2).all(|b| b.is_ascii_hexdigit());
    ldh && !numeric && !hex
}

/// An ECH key of a server: the ECHConfig it publishes and the HPKE private
/// key that decrypts what clients seal to it. Whether it goes in the
/// retry_configs that a client whose ECH failed gets (RFC 9849 §7.1) is
/// [`EchKey::retry`] (yes by default).
#[derive(Debug, Clone)]
pub struct EchKey {
    pub(crate) config: EchConfig,
    pub(crate) contents: EchConfigContents,
    pub(crate) private_key: HpkePrivateKey,
    pub(crate) retry: bool,
}

impl EchKey {
    /// A new key pair and its ECHConfig for `public_name`, with
    /// `config_id`, the X25519 KEM and the suites HKDF-SHA256 with
    /// AES-128-GCM (the mandatory one, RFC 9849 §9), ChaCha20-Poly1305 and
    /// AES-256-GCM.
    pub fn generate(
        public_name: &str,
        config_id: u8,
        rng: &dyn RandomSource,
    ) -> Result<Self, Error> {
        if !valid_public_name(public_name) {
            return Err(Error::Config(format!(
                "{public_name:?} is not a host name a client would accept as an ECH \
                 public name (RFC 9849 §6.1.7)"
            )));
        }
        let kem = HpkeKem::DhkemX25519HkdfSha256;
        let private_key = HpkePrivateKey::generate(kem, rng)?;
        let contents = EchConfigContents {
            config_id,
            kem_id: kem.id(),
            public_key: private_key.public_key().to_vec(),
            cipher_suites: [
                HpkeAead::Aes128Gcm,
                HpkeAead::ChaCha20Poly1305,
                HpkeAead::Aes256Gcm,
            ]
            .iter()
            .map(|a| HpkeSymmetricCipherSuite {
                kdf_id: HpkeKdf::HkdfSha256.id(),
                aead_id: a.id(),
            })
            .collect(),
            maximum_name_length: 0,
            public_name: public_name.as_bytes().to_vec(),
            extensions: Vec::new(),
        };
        Ok(EchKey {
            config: EchConfig::new(contents.clone()),
            contents,
            private_key,
            retry: true,
        })
    }

    /// A key from one ECHConfig (its encoding: version, length, contents)
    /// and the serialized HPKE private key that belongs to it. The key must
    /// be the config's (its public key is checked).
    pub fn new(config: &[u8], private_key: &[u8]) -> Result<Self, Error> {
        let mut list = Vec::with_capacity(config.len() + 2);
        let len = u16::try_from(config.len())
            .map_err(|_| Error::Config("an ECHConfig longer than 65535 bytes".into()))?;
        list.extend_from_slice(&len.to_be_bytes());
        list.extend_from_slice(config);
        let configs = decode_config_list(&list)
            .map_err(|e| Error::Config(format!("the ECHConfig does not decode: {e}")))?;
        let [config] = configs.as_slice() else {
            return Err(Error::Config("expected exactly one ECHConfig".into()));
        };
        Self::matching(config, private_key)
            .ok_or_else(|| Error::Config("the private key is not the ECHConfig's".into()))?
    }

    /// The key for the first config of `list` that `private_key` belongs to
    /// (a PEM ECH file, draft-farrell-tls-pemesni: one key and a list that
    /// holds its config).
    pub fn from_list(list: &EchConfigList, private_key: &[u8]) -> Result<Self, Error> {
        list.configs
            .iter()
            .find_map(|c| Self::matching(c, private_key))
            .ok_or_else(|| {
                Error::Config("no ECHConfig in the list belongs to the private key".into())
            })?
    }

    /// The key if `private_key` is `config`'s (an X25519 config of version
    /// 0xfe0d whose public key it makes).
    fn matching(config: &EchConfig, private_key: &[u8]) -> Option<Result<Self, Error>> {
        let contents = config.contents.as_ref()?;
        let kem = HpkeKem::from_id(contents.kem_id)?;
        let key = match HpkePrivateKey::from_bytes(kem, private_key) {
            Ok(k) => k,
            Err(e) => return Some(Err(e)),
        };
        (key.public_key() == contents.public_key.as_slice()).then(|| {
            Ok(EchKey {
                config: config.clone(),
                contents: contents.clone(),
                private_key: key,
                retry: true,
            })
        })
    }

    /// Whether the config goes in retry_configs (RFC 9849 §7.1); a server
    /// keeping an old key for clients with stale DNS answers leaves it
    /// out.
    pub fn retry(mut self, on: bool) -> Self {
        self.retry = on;
        self
    }

    /// The config_id.
    pub fn config_id(&self) -> u8 {
        self.contents.config_id
    }

    /// The public name.
    pub fn public_name(&self) -> String {
        String::from_utf8_lossy(&self.contents.public_name).into_owned()
    }

    /// The ECHConfig's encoding.
    pub fn config(&self) -> &[u8] {
        &self.config.encoding
    }

    /// An ECHConfigList holding this config alone: what to publish (in
    /// base64, the `ech=` parameter of a DNS HTTPS record, RFC 9848).
    pub fn config_list(&self) -> Vec<u8> {
        encode_config_list([&self.config])
    }

    /// The serialized HPKE private key (32 bytes for X25519).
    pub fn private_key(&self) -> Secret {
        self.private_key.to_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::rand::SystemRandom;

    #[test]
    fn public_names_are_host_names() {
        for good in ["example.com", "a", "public.example", "x-1.y2.z"] {
            assert!(valid_public_name(good), "{good}");
        }
        for bad in [
            "",
            ".example.com",
            "example.com.",
            "a..b",
            "192.168.0.1",
            "1.0x12",
            "a.0X",
            "under_score.com",
            "-a.com",
            &"a".repeat(64),
        ] {
            assert!(!valid_public_name(bad), "{bad}");
        }
    }

    #[test]
    fn a_generated_key_round_trips_through_its_config() {
        let rng = SystemRandom::new();
        let key = EchKey::generate("public.example", 7, &rng).unwrap();
        let list = EchConfigList::from_bytes(&key.config_list()).unwrap();
        assert_eq!(list.public_names(), ["public.example"]);
        let chosen = list.choose().unwrap();
        assert_eq!(chosen.suite.aead, HpkeAead::Aes128Gcm);
        let again = EchKey::from_list(&list, key.private_key().as_bytes()).unwrap();
        assert_eq!(again.config(), key.config());
        let single = EchKey::new(key.config(), key.private_key().as_bytes()).unwrap();
        assert_eq!(single.config_id(), 7);
        let other = EchKey::generate("public.example", 7, &rng).unwrap();
        assert!(EchKey::new(key.config(), other.private_key().as_bytes()).is_err());
        assert!(EchKey::generate("10.0.0.1", 1, &rng).is_err());
    }

    #[test]
    fn configs_a_client_cannot_use_are_skipped() {
        let rng = SystemRandom::new();
        let key = EchKey::generate("public.example", 7, &rng).unwrap();
        let base = key.contents.clone();
        let mut unusable = Vec::new();
        let mut c = base.clone();
        c.kem_id = 0x0010;
        unusable.push(c);
        let mut c = base.clone();
        c.cipher_suites = vec![HpkeSymmetricCipherSuite {
            kdf_id: 3,
            aead_id: 1,
        }];
        unusable.push(c);
        let mut c = base.clone();
        c.extensions = vec![crate::msgs::ech::EchConfigExtension {
            typ: 0xfafa,
            data: vec![],
        }];
        unusable.push(c);
        let mut c = base.clone();
        c.public_name = b"127.0.0.1".to_vec();
        unusable.push(c);
        let configs: Vec<EchConfig> = unusable.into_iter().map(EchConfig::new).collect();
        let list = EchConfigList::from_bytes(&encode_config_list(&configs)).unwrap();
        assert!(!list.is_usable());
        // With a usable one last, that one is chosen; a GREASE (non
        // mandatory) extension does not matter.
        let mut good = base.clone();
        good.config_id = 9;
        good.extensions = vec![crate::msgs::ech::EchConfigExtension {
            typ: 0x1a1a,
            data: vec![1],
        }];
        let all: Vec<EchConfig> = configs.into_iter().chain([EchConfig::new(good)]).collect();
        let list = EchConfigList::from_bytes(&encode_config_list(&all)).unwrap();
        assert_eq!(list.choose().unwrap().contents.config_id, 9);
    }
}
