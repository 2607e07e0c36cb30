//! Certificate types (RFC 7250): the client's offer, the server's choice of
//! its own certificate's type and of the client's, the client's check of
//! those choices, and raw public keys read from a Certificate. TLS 1.3 and
//! 1.2 share it: the answers go in EncryptedExtensions in TLS 1.3 (RFC 8446
//! §4.2) and in the ServerHello in TLS 1.2 (RFC 7250 §4.2).
//!
//! A side that has nothing but X.509 for a direction (a server without a
//! raw public key credential, or one that asks only for X.509 client
//! certificates) does not take part for that direction: it reads no list
//! and answers nothing, as a server without RFC 7250 would (§4.2, the
//! first outcome), so that it behaves exactly as before.

use super::common::list;
use super::Negotiated;
use crate::config::{ClientConfig, ServerConfig};
use crate::error::{Error, Negotiable};
use crate::msgs::enums::{AlertDescription, CertificateType, ExtensionType};
use crate::msgs::extensions::Extension;
use crate::msgs::handshake::ClientHello;
use crate::verify::{check_raw_public_key, SubjectPublicKeyInfoDer};

/// The types cloaktls implements.
const KNOWN: [CertificateType; 2] = [CertificateType::X509, CertificateType::RAW_PUBLIC_KEY];

// ---- The client ----

/// The extensions that offer our certificate types (RFC 7250 §4.1): each
/// list only when it holds more than the default X.509.
pub(crate) fn offer(config: &ClientConfig) -> Vec<Extension> {
    let mut out = Vec::new();
    if let Some(types) = config.offered_client_cert_types() {
        out.push(Extension::ClientCertificateTypes(types));
    }
    if let Some(types) = config.offered_server_cert_types() {
        out.push(Extension::ServerCertificateTypes(types.to_vec()));
    }
    out
}

/// A type chosen that we did not offer: unsupported_certificate, as RFC
/// 7250 §4.2 answers a certificate type in common lacking.
fn not_offered(whose: &str, chosen: CertificateType, offered: &[CertificateType]) -> Error {
    Error::NoCommon {
        what: Negotiable::CertificateType,
        ours: format!("{whose} certificates of type {}", list(offered)),
        theirs: format!("{chosen:?}, which we did not offer"),
    }
}

/// Reads the server's answers (a TLS 1.3 EncryptedExtensions, a TLS 1.2
/// ServerHello) and records the types of both Certificates: a type chosen
/// must be one we offered (RFC 7250 §4.2), and without
/// server_certificate_type the server's Certificate is X.509, which we must
/// accept. A resumed session sends no Certificate: its type stays the
/// session's.
pub(crate) fn read_answers(
    config: &ClientConfig,
    exts: &[Extension],
    resumed: bool,
    info: &mut Negotiated,
) -> Result<(), Error> {
    let mut server = None;
    let mut client = None;
    for e in exts {
        match e {
            Extension::ServerCertificateType(t) => server = Some(*t),
            Extension::ClientCertificateType(t) => client = Some(*t),
            _ => {}
        }
    }
    let ours = &config.server_cert_types;
    match server {
        Some(t) if !ours.contains(&t) => return Err(not_offered("server", t, ours)),
        Some(t) if !resumed => info.server_cert_type = t,
        None if !resumed && !ours.contains(&CertificateType::X509) => {
            return Err(Error::NoCommon {
                what: Negotiable::CertificateType,
                ours: format!("server certificates of type {}", list(ours)),
                theirs: "X509 (it did not answer server_certificate_type)".into(),
            })
        }
        _ => {}
    }
    if let Some(t) = client {
        let offered = config.client_cert_types();
        if !offered.contains(&t) {
            return Err(not_offered("client", t, &offered));
        }
        info.client_cert_type = t;
    }
    Ok(())
}

// ---- The server ----

/// The server certificate types a client accepts, its preference first,
/// and whether it asked with server_certificate_type (then the type of the
/// certificate we choose is answered, RFC 7250 §4.2). Without the
/// extension, or when we have no raw public key to serve, X.509 alone.
pub(crate) fn server_types(
    config: &ServerConfig,
    ch: &ClientHello,
) -> (Vec<CertificateType>, bool) {
    let ours = config
        .certs
        .iter()
        .any(|c| c.certificate_type() == CertificateType::RAW_PUBLIC_KEY);
    match ch.extension(ExtensionType::SERVER_CERTIFICATE_TYPE) {
        Some(Extension::ServerCertificateTypes(theirs)) if ours => {
            // Values we do not know are ignored.
            let known = theirs
                .iter()
                .copied()
                .filter(|t| KNOWN.contains(t))
                .collect();
            (known, true)
        }
        _ => (vec![CertificateType::X509], false),
    }
}

/// No credential of ours is of a type the client accepts (RFC 7250 §4.2,
/// the second outcome): unsupported_certificate.
pub(crate) fn no_credential_of_type(config: &ServerConfig, ch: &ClientHello) -> Error {
    let mut have: Vec<CertificateType> = Vec::new();
    for t in config.certs.iter().map(|c| c.certificate_type()) {
        if !have.contains(&t) {
            have.push(t);
        }
    }
    Error::NoCommon {
        what: Negotiable::CertificateType,
        ours: format!("credentials of type {}", list(&have)),
        theirs: match ch.extension(ExtensionType::SERVER_CERTIFICATE_TYPE) {
            Some(Extension::ServerCertificateTypes(t)) => {
                format!("server_certificate_type {}", list(t))
            }
            _ => "X509 (it sent no server_certificate_type)".into(),
        },
    }
}

/// The client certificate type to ask for, our preference first among the
/// client's (RFC 7250 §4.2), and whether to answer client_certificate_type
/// (the client sent it). A client without the extension can send X.509
/// alone; a server that accepts X.509 alone reads no list. Nothing in
/// common is unsupported_certificate.
pub(crate) fn client_type(
    config: &ServerConfig,
    ch: &ClientHello,
) -> Result<(CertificateType, bool), Error> {
    let ours = &config.client_cert_types;
    if ours.iter().all(|t| *t == CertificateType::X509) {
        return Ok((CertificateType::X509, false));
    }
    let (theirs, sent) = match ch.extension(ExtensionType::CLIENT_CERTIFICATE_TYPE) {
        Some(Extension::ClientCertificateTypes(t)) => (t.clone(), true),
        _ => (vec![CertificateType::X509], false),
    };
    match ours.iter().find(|t| theirs.contains(t)) {
        Some(t) => Ok((*t, sent)),
        None => Err(Error::NoCommon {
            what: Negotiable::CertificateType,
            ours: format!("client certificates of type {}", list(ours)),
            theirs: match sent {
                true => format!("client_certificate_type {}", list(&theirs)),
                false => "X509 (it sent no client_certificate_type)".into(),
            },
        }),
    }
}

// ---- Both ----

/// A raw public key from a Certificate (RFC 7250 §3): a DER
/// SubjectPublicKeyInfo, or decode_error.
pub(crate) fn raw_public_key(bytes: &[u8]) -> Result<SubjectPublicKeyInfoDer<'static>, Error> {
    check_raw_public_key(bytes)?;
    Ok(SubjectPublicKeyInfoDer::from(bytes.to_vec()))
}

/// RFC 8446 §4.4.2: with RawPublicKey negotiated, the certificate_list
/// holds one CertificateEntry at most; more does not decode in the
/// negotiated form.
pub(crate) fn one_raw_public_key(entries: usize) -> Error {
    Error::peer(
        AlertDescription::DECODE_ERROR,
        format!("{entries} CertificateEntries where RawPublicKey allows one (RFC 8446 §4.4.2)"),
    )
}
