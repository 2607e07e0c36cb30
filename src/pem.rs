//! Loading certificates, private keys and root stores from PEM, through
//! `rustls-pki-types`' PEM support.

use crate::codec::der_element as der;
use crate::config::CertifiedKey;
use crate::crypto::sign::{oid, RingSigningKey};
use crate::error::Error;
use crate::verify::RootStore;
use pki_types::pem::{PemObject, SectionKind};
use pki_types::{CertificateDer, PrivateKeyDer, SubjectPublicKeyInfoDer};
use std::path::Path;
use std::sync::Arc;

/// Where Debian's ca-certificates package puts the system's trusted roots,
/// and where other systems put theirs.
pub const SYSTEM_ROOT_BUNDLES: [&str; 4] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
    "/etc/ssl/ca-bundle.pem",
];

/// Every certificate in a PEM text, DER-decoded.
pub fn certificates_from_pem(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, Error> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::Config(format!("the PEM could not be read: {e}")))?;
    Ok(certs)
}

/// Every certificate in a PEM file.
pub fn certificates_from_file(
    path: impl AsRef<Path>,
) -> Result<Vec<CertificateDer<'static>>, Error> {
    let path = path.as_ref();
    let bytes =
        std::fs::read(path).map_err(|e| Error::Config(format!("{}: {e}", path.display())))?;
    let certs = certificates_from_pem(&bytes)
        .map_err(|e| Error::Config(format!("{}: {e}", path.display())))?;
    if certs.is_empty() {
        return Err(Error::Config(format!(
            "{}: no CERTIFICATE block found",
            path.display()
        )));
    }
    Ok(certs)
}

/// The first private key in a PEM text: PKCS#8, SEC 1 (EC) or PKCS#1 (RSA).
pub fn private_key_from_pem(pem: &[u8]) -> Result<RingSigningKey, Error> {
    let key = PrivateKeyDer::from_pem_slice(pem)
        .map_err(|e| Error::Config(format!("no private key could be read from the PEM: {e}")))?;
    signing_key(&key)
}

/// Loads a private key of any of the three forms as a signing key.
pub fn signing_key(key: &PrivateKeyDer<'_>) -> Result<RingSigningKey, Error> {
    match key {
        PrivateKeyDer::Pkcs8(k) => RingSigningKey::from_der(k.secret_pkcs8_der()),
        PrivateKeyDer::Pkcs1(k) => RingSigningKey::from_der(k.secret_pkcs1_der()),
        PrivateKeyDer::Sec1(k) => {
            // ring reads EC keys from PKCS#8 only: wrap the SEC 1 key in a
            // PrivateKeyInfo for each curve we know (RFC 5915, RFC 5208).
            for curve in [oid::SECP256R1, oid::SECP384R1] {
                if let Ok(k) = RingSigningKey::from_der(&wrap_sec1(k.secret_sec1_der(), curve)) {
                    return Ok(k);
                }
            }
            Err(Error::Config(
                "the EC private key is not on P-256 or P-384".into(),
            ))
        }
        _ => Err(Error::Config("unsupported private key format".into())),
    }
}

fn wrap_sec1(sec1: &[u8], curve_oid: &[u8]) -> Vec<u8> {
    let alg = der(
        0x30,
        &[der(0x06, oid::EC_PUBLIC_KEY), der(0x06, curve_oid)].concat(),
    );
    der(
        0x30,
        &[&[0x02, 0x01, 0x00][..], &alg, &der(0x04, sec1)].concat(),
    )
}

/// A private key from a PEM file.
pub fn private_key_from_file(path: impl AsRef<Path>) -> Result<RingSigningKey, Error> {
    let path = path.as_ref();
    let bytes =
        std::fs::read(path).map_err(|e| Error::Config(format!("{}: {e}", path.display())))?;
    private_key_from_pem(&bytes).map_err(|e| Error::Config(format!("{}: {e}", path.display())))
}

/// A certificate chain and its key from two PEM files.
pub fn certified_key_from_files(
    chain: impl AsRef<Path>,
    key: impl AsRef<Path>,
) -> Result<CertifiedKey, Error> {
    Ok(CertifiedKey::new(
        certificates_from_file(chain)?,
        Arc::new(private_key_from_file(key)?),
    ))
}

/// A raw public key credential (RFC 7250) from a PEM private key file
/// alone: the key, and its SubjectPublicKeyInfo derived from it (see
/// [`CertifiedKey::raw_public_key`]). No certificate is needed.
pub fn raw_public_key_from_file(key: impl AsRef<Path>) -> Result<CertifiedKey, Error> {
    let path = key.as_ref();
    CertifiedKey::raw_public_key(Arc::new(private_key_from_file(path)?))
        .map_err(|e| Error::Config(format!("{}: {e}", path.display())))
}

/// The raw public keys (DER SubjectPublicKeyInfo, RFC 7250 §3) in a PEM
/// text, to pin with [`crate::verify::PinnedRawPublicKeys`]: each `PUBLIC
/// KEY` block (what `openssl pkey -pubout` writes), the public key of each
/// private key, and the key of each certificate. Other blocks are
/// skipped; a text with no key is an error.
pub fn raw_public_keys_from_pem(
    pem: &[u8],
) -> Result<Vec<SubjectPublicKeyInfoDer<'static>>, Error> {
    let mut out = Vec::new();
    for section in <(SectionKind, Vec<u8>)>::pem_slice_iter(pem) {
        let (kind, der) =
            section.map_err(|e| Error::Config(format!("the PEM could not be read: {e}")))?;
        let spki = match kind {
            SectionKind::PublicKey => der,
            SectionKind::Certificate => crate::verify::certinfo::subject_public_key_info(&der)
                .ok_or_else(|| Error::Config("a certificate could not be read".into()))?,
            _ => match PrivateKeyDer::from_pem(kind, der) {
                Some(key) => {
                    let key = signing_key(&key)?;
                    crate::crypto::sign::subject_public_key_info(&key).ok_or_else(|| {
                        Error::Config("a private key's public key could not be derived".into())
                    })?
                }
                None => continue,
            },
        };
        out.push(SubjectPublicKeyInfoDer::from(spki));
    }
    if out.is_empty() {
        return Err(Error::Config(
            "no PUBLIC KEY, PRIVATE KEY or CERTIFICATE block found".into(),
        ));
    }
    Ok(out)
}

/// The raw public keys in a PEM file (see [`raw_public_keys_from_pem`]).
pub fn raw_public_keys_from_file(
    path: impl AsRef<Path>,
) -> Result<Vec<SubjectPublicKeyInfoDer<'static>>, Error> {
    let path = path.as_ref();
    let bytes =
        std::fs::read(path).map_err(|e| Error::Config(format!("{}: {e}", path.display())))?;
    raw_public_keys_from_pem(&bytes).map_err(|e| Error::Config(format!("{}: {e}", path.display())))
}

impl crate::verify::PinnedRawPublicKeys {
    /// A set of the raw public keys in a PEM file (see
    /// [`raw_public_keys_from_pem`]).
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self, Error> {
        Self::from_keys(raw_public_keys_from_file(path)?)
    }
}

impl RootStore {
    /// Adds every certificate of a PEM text; returns how many were added.
    pub fn add_pem(&mut self, pem: &[u8]) -> Result<usize, Error> {
        let certs = certificates_from_pem(pem)?;
        let (ok, _) = self.add_all(certs.iter().map(|c| c.as_ref()));
        Ok(ok)
    }

    /// Roots from a PEM file, or from every `.pem`/`.crt` file of a
    /// directory.
    pub fn from_path(path: impl AsRef<Path>) -> Result<RootStore, Error> {
        let path = path.as_ref();
        let mut store = RootStore::empty();
        if path.is_dir() {
            let entries = std::fs::read_dir(path)
                .map_err(|e| Error::Config(format!("{}: {e}", path.display())))?;
            for entry in entries.flatten() {
                let p = entry.path();
                let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
                if p.is_file() && (ext == "pem" || ext == "crt") {
                    if let Ok(bytes) = std::fs::read(&p) {
                        let _ = store.add_pem(&bytes);
                    }
                }
            }
        } else {
            let bytes = std::fs::read(path)
                .map_err(|e| Error::Config(format!("{}: {e}", path.display())))?;
            store.add_pem(&bytes)?;
        }
        if store.is_empty() {
            return Err(Error::Config(format!(
                "{}: no usable root certificate found",
                path.display()
            )));
        }
        Ok(store)
    }

    /// The operating system's trusted roots (the bundle that Debian's
    /// ca-certificates installs, or `SSL_CERT_FILE` if set).
    pub fn system() -> Result<RootStore, Error> {
        if let Some(f) = std::env::var_os("SSL_CERT_FILE") {
            return RootStore::from_path(f);
        }
        for p in SYSTEM_ROOT_BUNDLES {
            if Path::new(p).is_file() {
                return RootStore::from_path(p);
            }
        }
        Err(Error::Config(
            "no system trust store found (install ca-certificates, or pass a CA file)".into(),
        ))
    }
}

/// The DER prefix of a PKCS#8 PrivateKeyInfo holding an X25519 key (RFC
/// 8410 §7: version 0, id-X25519 (1.3.101.110), the 32-byte key as an
/// OCTET STRING in an OCTET STRING).
const X25519_PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20,
];

/// The base64 alphabet of RFC 4648 §4.
const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 (RFC 4648 §4), padded.
pub fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(B64[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Standard base64 (RFC 4648 §4); whitespace is skipped, padding
/// optional. `None` for any other character or a dangling bit group.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    let mut padding = false;
    for c in text.bytes().filter(|c| !c.is_ascii_whitespace()) {
        if c == b'=' {
            padding = true;
            continue;
        }
        if padding {
            return None;
        }
        let v = B64.iter().position(|x| *x == c)? as u32;
        acc = ((acc << 6) | v) & 0xff_ffff;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    (bits < 6).then_some(out)
}

/// The bodies of the PEM blocks labeled `label` in `text`, in order.
fn pem_blocks(text: &str, label: &str) -> Result<Vec<Vec<u8>>, Error> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(&begin) {
        let body_start = start + begin.len();
        let body_len = rest[body_start..]
            .find(&end)
            .ok_or_else(|| Error::Config(format!("a {label} block without its END line")))?;
        let body = &rest[body_start..body_start + body_len];
        out.push(
            base64_decode(body)
                .ok_or_else(|| Error::Config(format!("the {label} block is not base64")))?,
        );
        rest = &rest[body_start + body_len + end.len()..];
    }
    Ok(out)
}

/// Reads a PEM ECH file (draft-farrell-tls-pemesni, RFC 9934): an optional
/// PKCS#8 `PRIVATE KEY` (X25519, RFC 8410) and one `ECHCONFIG` block
/// holding the base64 ECHConfigList. Returns the list and the raw private
/// key, if there is one.
pub fn ech_file_from_pem(
    text: &str,
) -> Result<(crate::config::EchConfigList, Option<crate::crypto::Secret>), Error> {
    let lists = pem_blocks(text, "ECHCONFIG")?;
    let [list] = lists.as_slice() else {
        return Err(Error::Config(format!(
            "a PEM ECH file holds one ECHCONFIG block, not {}",
            lists.len()
        )));
    };
    let list = crate::config::EchConfigList::from_bytes(list)?;
    let keys = pem_blocks(text, "PRIVATE KEY")?;
    let key = match keys.as_slice() {
        [] => None,
        [der] => Some(crate::crypto::Secret::from_slice(
            der.strip_prefix(&X25519_PKCS8_PREFIX[..])
                .filter(|k| k.len() == 32)
                .ok_or_else(|| {
                    Error::Config("the ECH private key is not a PKCS#8 X25519 key".into())
                })?,
        )),
        _ => return Err(Error::Config("more than one private key".into())),
    };
    Ok((list, key))
}

/// The ECH key of a PEM ECH file (see [`ech_file_from_pem`]): it must have
/// a private key, and the list a config of that key.
pub fn ech_key_from_pem(text: &str) -> Result<crate::config::EchKey, Error> {
    let (list, key) = ech_file_from_pem(text)?;
    let key = key.ok_or_else(|| Error::Config("the PEM ECH file has no private key".into()))?;
    crate::config::EchKey::from_list(&list, key.as_bytes())
}

/// Reads a PEM ECH file for a server (see [`ech_key_from_pem`]).
pub fn ech_key_from_file(path: impl AsRef<Path>) -> Result<crate::config::EchKey, Error> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::Config(format!("{}: {e}", path.display())))?;
    ech_key_from_pem(&text).map_err(|e| Error::Config(format!("{}: {e}", path.display())))
}

/// Writes `key` as a PEM ECH file (draft-farrell-tls-pemesni): its private
/// key as PKCS#8 and its config as a one-config ECHConfigList.
pub fn ech_key_to_pem(key: &crate::config::EchKey) -> String {
    let mut der = X25519_PKCS8_PREFIX.to_vec();
    der.extend_from_slice(key.private_key().as_bytes());
    let out = armor("PRIVATE KEY", &der) + &armor("ECHCONFIG", &key.config_list());
    der.fill(0);
    out
}

/// A PEM block, base64 in lines of 64.
fn armor(label: &str, bytes: &[u8]) -> String {
    let b64 = base64_encode(bytes);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod ech_tests {
    use super::*;

    /// The example of draft-farrell-tls-pemesni (RFC 9934 Figure 1).
    const EXAMPLE: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VuBCIEICjd4yGRdsoP9gU7YT7My8DHx1Tjme8GYDXrOMCi8v1V
-----END PRIVATE KEY-----
-----BEGIN ECHCONFIG-----
AD7+DQA65wAgACA8wVN2BtscOl3vQheUzHeIkVmKIiydUhDCliA4iyQRCwAEAAEA
AQALZXhhbXBsZS5jb20AAA==
-----END ECHCONFIG-----
";

    #[test]
    fn the_pemesni_example_loads() {
        let key = ech_key_from_pem(EXAMPLE).unwrap();
        assert_eq!(key.config_id(), 0xe7);
        assert_eq!(key.public_name(), "example.com");
        assert_eq!(
            hex::encode(key.private_key().as_bytes()),
            "28dde3219176ca0ff6053b613ecccbc0c7c754e399ef066035eb38c0a2f2fd55"
        );
        // Written back, it reads the same.
        let again = ech_key_from_pem(&ech_key_to_pem(&key)).unwrap();
        assert_eq!(again.config(), key.config());
        // The list alone is what a client uses.
        let (list, none) =
            ech_file_from_pem(&EXAMPLE[EXAMPLE.find("-----BEGIN ECH").unwrap()..]).unwrap();
        assert!(none.is_none());
        assert_eq!(list.public_names(), ["example.com"]);
    }

    #[test]
    fn bad_files_are_refused() {
        for bad in [
            "",
            "-----BEGIN ECHCONFIG-----\n!!\n-----END ECHCONFIG-----\n",
            "-----BEGIN ECHCONFIG-----\nAD7+\n",
            &EXAMPLE.replace("MC4CAQAw", "MC4CAQEw"),
            &EXAMPLE.replace("AD7+DQA6", "AD7+DQA7"),
        ] {
            assert!(ech_key_from_pem(bad).is_err(), "{bad}");
        }
        assert_eq!(base64_decode("AQID").unwrap(), [1, 2, 3]);
        assert_eq!(base64_encode(&[1, 2]), "AQI=");
        assert!(base64_decode("A").is_none());
    }
}
