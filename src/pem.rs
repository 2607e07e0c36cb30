//! Loading certificates, private keys and root stores from PEM, through
//! `rustls-pki-types`' PEM support.

use crate::config::CertifiedKey;
use crate::crypto::sign::RingSigningKey;
use crate::error::Error;
use crate::verify::RootStore;
use pki_types::pem::PemObject;
use pki_types::{CertificateDer, PrivateKeyDer};
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
            const P256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
            const P384: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22];
            for curve in [P256, P384] {
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

fn der(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = body.len();
    if len < 0x80 {
        out.push(len as u8);
    } else if len < 0x100 {
        out.extend_from_slice(&[0x81, len as u8]);
    } else {
        out.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]);
    }
    out.extend_from_slice(body);
    out
}

fn wrap_sec1(sec1: &[u8], curve_oid: &[u8]) -> Vec<u8> {
    const EC_PUBLIC_KEY: &[u8] = &[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    let alg = der(0x30, &[EC_PUBLIC_KEY, curve_oid].concat());
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
