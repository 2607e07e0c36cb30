//! The wire structures of Encrypted Client Hello (RFC 9849): the
//! ECHConfigList a server publishes (§4), the `encrypted_client_hello`
//! extension of a ClientHello (§5) and the `ech_outer_extensions` list of
//! an EncodedClientHelloInner (§5.1). Decoding is total and strict: every
//! length is checked, every list bounded by its length prefix.

use super::enums::ExtensionType;
use crate::codec::{DecodeError, LengthPrefix, Reader, Writer};

/// The ECHConfig version (and extension code point) of RFC 9849 (§4).
pub const ECH_VERSION: u16 = 0xfe0d;

/// A (KDF, AEAD) pair: HpkeSymmetricCipherSuite (RFC 9849 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HpkeSymmetricCipherSuite {
    /// The HPKE KDF identifier.
    pub kdf_id: u16,
    /// The HPKE AEAD identifier.
    pub aead_id: u16,
}

impl HpkeSymmetricCipherSuite {
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(HpkeSymmetricCipherSuite {
            kdf_id: r.u16()?,
            aead_id: r.u16()?,
        })
    }

    fn encode(&self, w: &mut Writer<'_>) {
        w.put_u16(self.kdf_id);
        w.put_u16(self.aead_id);
    }
}

/// One ECHConfigExtension (RFC 9849 §4.2): a type whose high bit marks it
/// mandatory, and opaque data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EchConfigExtension {
    /// The extension's type.
    pub typ: u16,
    /// `opaque data<0..2^16-1>`.
    pub data: Vec<u8>,
}

impl EchConfigExtension {
    /// Whether a client that does not know this extension must ignore the
    /// whole ECHConfig (RFC 9849 §4.2: the type's high bit is set).
    pub fn is_mandatory(&self) -> bool {
        self.typ & 0x8000 != 0
    }
}

/// ECHConfigContents (RFC 9849 §4), with its HpkeKeyConfig.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EchConfigContents {
    /// `uint8 config_id`.
    pub config_id: u8,
    /// The HPKE KEM identifier.
    pub kem_id: u16,
    /// `opaque HpkePublicKey<1..2^16-1>`.
    pub public_key: Vec<u8>,
    /// `HpkeSymmetricCipherSuite cipher_suites<4..2^16-4>`.
    pub cipher_suites: Vec<HpkeSymmetricCipherSuite>,
    /// The longest backend name, for padding (0 if unknown).
    pub maximum_name_length: u8,
    /// `opaque public_name<1..255>`: the client-facing server's name.
    pub public_name: Vec<u8>,
    /// `ECHConfigExtension extensions<0..2^16-1>`.
    pub extensions: Vec<EchConfigExtension>,
}

impl EchConfigContents {
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let config_id = r.u8()?;
        let kem_id = r.u16()?;
        let public_key = r.vec_bytes(LengthPrefix::U16, 1, 0xffff)?.to_vec();
        let mut suites = r.sub(LengthPrefix::U16, 4, 0xfffc)?;
        let mut cipher_suites = Vec::new();
        while !suites.at_end() {
            cipher_suites.push(HpkeSymmetricCipherSuite::read(&mut suites)?);
        }
        let maximum_name_length = r.u8()?;
        let public_name = r.vec_bytes(LengthPrefix::U8, 1, 0xff)?.to_vec();
        let mut list = r.sub(LengthPrefix::U16, 0, 0xffff)?;
        let mut extensions: Vec<EchConfigExtension> = Vec::new();
        while !list.at_end() {
            let typ = list.u16()?;
            let data = list.vec_bytes(LengthPrefix::U16, 0, 0xffff)?.to_vec();
            // RFC 9849 §4.2: no two extensions of one type.
            if extensions.iter().any(|e| e.typ == typ) {
                return Err(DecodeError::DuplicateExtension);
            }
            extensions.push(EchConfigExtension { typ, data });
        }
        Ok(EchConfigContents {
            config_id,
            kem_id,
            public_key,
            cipher_suites,
            maximum_name_length,
            public_name,
            extensions,
        })
    }

    fn encode(&self, w: &mut Writer<'_>) {
        w.put_u8(self.config_id);
        w.put_u16(self.kem_id);
        w.put_vec(LengthPrefix::U16, &self.public_key);
        w.prefixed(LengthPrefix::U16, |w| {
            for s in &self.cipher_suites {
                s.encode(w);
            }
        });
        w.put_u8(self.maximum_name_length);
        w.put_vec(LengthPrefix::U8, &self.public_name);
        w.prefixed(LengthPrefix::U16, |w| {
            for e in &self.extensions {
                w.put_u16(e.typ);
                w.put_vec(LengthPrefix::U16, &e.data);
            }
        });
    }
}

/// One ECHConfig of a list (RFC 9849 §4): its version, its contents when
/// the version is ours, and its encoding as it came (HPKE's `info` covers
/// the exact bytes, §6.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EchConfig {
    /// `uint16 version`.
    pub version: u16,
    /// The contents, for version 0xfe0d; `None` for a version we skip.
    pub contents: Option<EchConfigContents>,
    /// The whole ECHConfig: version, length and contents.
    pub encoding: Vec<u8>,
}

impl EchConfig {
    /// An ECHConfig of version 0xfe0d holding `contents`.
    pub fn new(contents: EchConfigContents) -> Self {
        let mut encoding = Vec::new();
        let mut w = Writer::new(&mut encoding);
        w.put_u16(ECH_VERSION);
        w.prefixed(LengthPrefix::U16, |w| contents.encode(w));
        EchConfig {
            version: ECH_VERSION,
            contents: Some(contents),
            encoding,
        }
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let version = r.u16()?;
        let body = r.vec_bytes(LengthPrefix::U16, 0, 0xffff)?;
        // The bytes as they came: the prefix was read, so it fits a u16.
        let mut encoding = Vec::with_capacity(4 + body.len());
        encoding.extend_from_slice(&version.to_be_bytes());
        encoding.extend_from_slice(&(body.len() as u16).to_be_bytes());
        encoding.extend_from_slice(body);
        // RFC 9849 §4: a version we do not know is skipped by its length.
        let contents = if version == ECH_VERSION {
            let mut c = Reader::new(body);
            let contents = EchConfigContents::read(&mut c)?;
            c.finish()?;
            Some(contents)
        } else {
            None
        };
        Ok(EchConfig {
            version,
            contents,
            encoding,
        })
    }
}

/// Decodes an ECHConfigList (`ECHConfig ECHConfigList<4..2^16-1>`, RFC
/// 9849 §4), length prefix included, with nothing after it.
pub fn decode_config_list(bytes: &[u8]) -> Result<Vec<EchConfig>, DecodeError> {
    let mut r = Reader::new(bytes);
    let mut list = r.sub(LengthPrefix::U16, 4, 0xffff)?;
    r.finish()?;
    let mut out = Vec::new();
    while !list.at_end() {
        out.push(EchConfig::read(&mut list)?);
    }
    Ok(out)
}

/// Encodes an ECHConfigList from its configs' encodings.
pub fn encode_config_list<'a>(configs: impl IntoIterator<Item = &'a EchConfig>) -> Vec<u8> {
    let mut out = Vec::new();
    Writer::new(&mut out).prefixed(LengthPrefix::U16, |w| {
        for c in configs {
            w.put_bytes(&c.encoding);
        }
    });
    out
}

/// The body of an `encrypted_client_hello` extension in a ClientHello:
/// ECHClientHello (RFC 9849 §5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EchClientHello {
    /// The outer variant, in ClientHelloOuter.
    Outer {
        /// The HPKE (KDF, AEAD) the payload is sealed with.
        cipher_suite: HpkeSymmetricCipherSuite,
        /// The chosen ECHConfig's config_id.
        config_id: u8,
        /// `opaque enc<0..2^16-1>`: HPKE's encapsulated key (empty after a
        /// HelloRetryRequest).
        enc: Vec<u8>,
        /// `opaque payload<1..2^16-1>`: the sealed EncodedClientHelloInner.
        payload: Vec<u8>,
    },
    /// The inner variant (empty), in ClientHelloInner.
    Inner,
}

impl EchClientHello {
    /// Decodes an extension body. An unknown ECHClientHelloType is an
    /// illegal value (illegal_parameter, RFC 9849 §7).
    pub fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let v = match r.u8()? {
            0 => EchClientHello::Outer {
                cipher_suite: HpkeSymmetricCipherSuite::read(&mut r)?,
                config_id: r.u8()?,
                enc: r.vec_bytes(LengthPrefix::U16, 0, 0xffff)?.to_vec(),
                payload: r.vec_bytes(LengthPrefix::U16, 1, 0xffff)?.to_vec(),
            },
            1 => EchClientHello::Inner,
            _ => return Err(DecodeError::IllegalValue("ECHClientHelloType")),
        };
        r.finish()?;
        Ok(v)
    }

    /// The extension body.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut w = Writer::new(&mut out);
        match self {
            EchClientHello::Outer {
                cipher_suite,
                config_id,
                enc,
                payload,
            } => {
                w.put_u8(0);
                cipher_suite.encode(&mut w);
                w.put_u8(*config_id);
                w.put_vec(LengthPrefix::U16, enc);
                w.put_vec(LengthPrefix::U16, payload);
            }
            EchClientHello::Inner => w.put_u8(1),
        }
        out
    }
}

/// Decodes `ExtensionType OuterExtensions<2..254>` (RFC 9849 §5.1).
pub fn decode_outer_extensions(body: &[u8]) -> Result<Vec<ExtensionType>, DecodeError> {
    let mut r = Reader::new(body);
    let mut list = r.sub(LengthPrefix::U8, 2, 254)?;
    r.finish()?;
    let mut out = Vec::new();
    while !list.at_end() {
        out.push(ExtensionType(list.u16()?));
    }
    Ok(out)
}

/// Encodes an OuterExtensions list.
pub fn encode_outer_extensions(types: &[ExtensionType]) -> Vec<u8> {
    let mut out = Vec::new();
    Writer::new(&mut out).prefixed(LengthPrefix::U8, |w| {
        for t in types {
            w.put_u16(t.0);
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 9934 Figure 1's ECHConfigList.
    const EXAMPLE: &str = "003efe0d003ae700200020\
        3cc1537606db1c3a5def421794cc778891598a222c9d5210c29620388b24110b\
        00040001000100\
        0b6578616d706c652e636f6d0000";

    #[test]
    fn the_rfc_9934_example_decodes_and_round_trips() {
        let bytes = hex::decode(EXAMPLE).unwrap();
        let list = decode_config_list(&bytes).unwrap();
        assert_eq!(list.len(), 1);
        let c = list[0].contents.as_ref().unwrap();
        assert_eq!((c.config_id, c.kem_id), (0xe7, 0x0020));
        assert_eq!(c.public_name, b"example.com");
        assert_eq!(
            c.cipher_suites,
            [HpkeSymmetricCipherSuite {
                kdf_id: 1,
                aead_id: 1
            }]
        );
        assert_eq!(list[0].encoding, bytes[2..]);
        assert_eq!(EchConfig::new(c.clone()).encoding, bytes[2..]);
        assert_eq!(encode_config_list(&list), bytes);
    }

    #[test]
    fn unknown_versions_are_kept_by_length() {
        let mut bytes = hex::decode(EXAMPLE).unwrap();
        // Another version first, of 3 opaque bytes.
        let other = [0xfe, 0x0c, 0x00, 0x03, 1, 2, 3];
        bytes.splice(2..2, other);
        let len = (bytes.len() - 2) as u16;
        bytes[..2].copy_from_slice(&len.to_be_bytes());
        let list = decode_config_list(&bytes).unwrap();
        assert_eq!(list.len(), 2);
        assert!(list[0].contents.is_none());
        assert_eq!(list[0].encoding, other);
        assert!(list[1].contents.is_some());
    }

    #[test]
    fn malformed_lists_are_decode_errors() {
        let good = hex::decode(EXAMPLE).unwrap();
        let mut cases: Vec<Vec<u8>> = vec![
            vec![],
            vec![0, 0],
            good[..good.len() - 1].to_vec(),
            [&good[..], &[0]].concat(),
        ];
        // A cipher_suites length that is not a multiple of 4.
        let mut odd = good.clone();
        odd[42..44].copy_from_slice(&[0, 3]);
        cases.push(odd);
        // An empty public_name.
        let mut c = EchConfig::new(decode_config_list(&good).unwrap()[0].contents.clone().unwrap());
        if let Some(contents) = &mut c.contents {
            contents.public_name.clear();
            cases.push(encode_config_list([&EchConfig::new(contents.clone())]));
            // Two extensions of one type.
            contents.public_name = b"a".to_vec();
            let e = EchConfigExtension {
                typ: 7,
                data: vec![],
            };
            contents.extensions = vec![e.clone(), e];
            cases.push(encode_config_list([&EchConfig::new(contents.clone())]));
        }
        for bytes in cases {
            assert!(decode_config_list(&bytes).is_err(), "{}", hex::encode(&bytes));
        }
    }

    #[test]
    fn client_hello_extension_round_trips_and_checks_its_type() {
        let outer = EchClientHello::Outer {
            cipher_suite: HpkeSymmetricCipherSuite {
                kdf_id: 1,
                aead_id: 3,
            },
            config_id: 9,
            enc: vec![7; 32],
            payload: vec![1; 20],
        };
        assert_eq!(EchClientHello::decode(&outer.encode()).unwrap(), outer);
        assert_eq!(EchClientHello::decode(&[1]).unwrap(), EchClientHello::Inner);
        assert_eq!(
            EchClientHello::decode(&[2]),
            Err(DecodeError::IllegalValue("ECHClientHelloType"))
        );
        assert!(EchClientHello::decode(&[1, 0]).is_err());
        assert!(EchClientHello::decode(&[]).is_err());
        // An empty payload is not allowed.
        let mut empty = outer.encode();
        empty.truncate(empty.len() - 22);
        empty.extend_from_slice(&[0, 0]);
        assert!(EchClientHello::decode(&empty).is_err());
        let types = [ExtensionType::KEY_SHARE, ExtensionType::SUPPORTED_GROUPS];
        assert_eq!(
            decode_outer_extensions(&encode_outer_extensions(&types)).unwrap(),
            types
        );
        assert!(decode_outer_extensions(&[0]).is_err());
        assert!(decode_outer_extensions(&[3, 0, 1, 2]).is_err());
    }
}
