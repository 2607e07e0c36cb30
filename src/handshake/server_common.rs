//! The choices a server makes from a ClientHello, whatever the version:
//! version, suite, certificate, ALPN and SNI (RFC 8446 §4.1.2, §4.2; RFC
//! 5246 §7.4.1.2; RFC 6066 §3; RFC 7301).

use super::common::list;
use super::Negotiated;
use crate::config::{CertifiedKey, ServerConfig};
use crate::crypto::SupportedSuite;
use crate::error::{Error, Negotiable};
use crate::msgs::enums::{
    is_grease_u16, AlertDescription, CertificateStatusType, CertificateType, CipherSuite,
    ExtensionType, ProtocolVersion, ServerNameType,
};
use crate::msgs::extensions::Extension;
use crate::msgs::handshake::ClientHello;
use crate::session::ServerSessionValue;
use crate::verify::SubjectPublicKeyInfoDer;
use pki_types::{CertificateDer, DnsName, ServerName};

/// The version both sides support, the server's order first (RFC 8446
/// §4.2.1), or the legacy_version rules of RFC 5246 Appendix E.
pub(crate) fn select_version(
    config: &ServerConfig,
    ch: &ClientHello,
) -> Result<ProtocolVersion, Error> {
    // RFC 8446 §D.5: a legacy_version of SSL 3.0 or below is refused even
    // when supported_versions offers more.
    if ch.legacy_version <= ProtocolVersion::SSLV3 {
        return Err(Error::peer(
            AlertDescription::PROTOCOL_VERSION,
            format!(
                "the ClientHello's legacy_version is {:?} (SSL 3.0 or older)",
                ch.legacy_version
            ),
        ));
    }
    let theirs: Vec<ProtocolVersion> = match ch.extension(ExtensionType::SUPPORTED_VERSIONS) {
        Some(Extension::SupportedVersionsClient(v)) => {
            v.iter().copied().filter(|v| !is_grease_u16(v.0)).collect()
        }
        _ => {
            // Without supported_versions the client offers up to
            // legacy_version, and TLS 1.3 cannot be chosen.
            if ch.legacy_version >= ProtocolVersion::TLSV1_2 {
                vec![ProtocolVersion::TLSV1_2]
            } else {
                vec![ch.legacy_version]
            }
        }
    };
    let chosen = config
        .versions
        .iter()
        .copied()
        .find(|v| theirs.contains(v))
        .ok_or_else(|| Error::NoCommon {
            what: Negotiable::ProtocolVersion,
            ours: list(&config.versions),
            theirs: list(&theirs),
        })?;
    // RFC 7507: a fallback retry below our best version is an attack.
    let best = config.versions.iter().copied().max().unwrap_or(chosen);
    if ch.cipher_suites.contains(&CipherSuite::TLS_FALLBACK_SCSV) && chosen < best {
        return Err(Error::peer(
            AlertDescription::INAPPROPRIATE_FALLBACK,
            "the client signalled a fallback (TLS_FALLBACK_SCSV) but we support a higher version",
        ));
    }
    Ok(chosen)
}

/// The host name from server_name, checked (RFC 6066 §3); an IP address
/// literal in its place counts as no name.
pub(crate) fn sni(ch: &ClientHello) -> Result<Option<DnsName<'static>>, Error> {
    Ok(match host_name(ch)? {
        Some(HostName::Dns(name)) => Some(name),
        Some(HostName::IpLiteral(_)) | None => None,
    })
}

/// What a ClientHello's server_name holds.
pub(crate) enum HostName {
    /// A DNS name.
    Dns(DnsName<'static>),
    /// An IP address literal, which RFC 6066 §3 forbids a client to send
    /// ("Literal IPv4 and IPv6 addresses are not permitted in
    /// HostName") but names no alert for: a server ignores it, as if no
    /// name had come (OpenSSL accepts it; scanners such as sslyze send
    /// the address they scan).
    IpLiteral(String),
}

/// The host_name entry of server_name, if any (RFC 6066 §3).
pub(crate) fn host_name(ch: &ClientHello) -> Result<Option<HostName>, Error> {
    let Some(Extension::ServerName(names)) = ch.extension(ExtensionType::SERVER_NAME) else {
        return Ok(None);
    };
    let mut host = None;
    for n in names {
        if n.name_type != ServerNameType::HOST_NAME {
            continue;
        }
        // RFC 6066 §3: at most one name of each type.
        if host.is_some() {
            return Err(Error::peer(
                AlertDescription::ILLEGAL_PARAMETER,
                "two host names in server_name",
            ));
        }
        let text = std::str::from_utf8(&n.name)
            .ok()
            .map(|s| s.trim_end_matches('.'));
        if let Some(ip) = text.filter(|t| t.parse::<std::net::IpAddr>().is_ok()) {
            host = Some(HostName::IpLiteral(ip.to_string()));
            continue;
        }
        let name = text
            .and_then(|t| DnsName::try_from(t).ok())
            .map(|d| d.to_owned())
            .ok_or_else(|| {
                Error::peer(
                    AlertDescription::ILLEGAL_PARAMETER,
                    "server_name holds something that is not a DNS name",
                )
            })?;
        host = Some(HostName::Dns(name));
    }
    Ok(host)
}

/// Whether every signature on `cert`'s chain (its root aside) is one the
/// client accepts: signature_algorithms_cert, or signature_algorithms if
/// that is absent (RFC 8446 §4.2.3). A scheme we cannot read counts as
/// accepted.
fn chain_signatures_accepted(cert: &CertifiedKey, ch: &ClientHello) -> bool {
    let accepted = match ch.extension(ExtensionType::SIGNATURE_ALGORITHMS_CERT) {
        Some(Extension::SignatureAlgorithmsCert(s)) => s,
        _ => match ch.extension(ExtensionType::SIGNATURE_ALGORITHMS) {
            Some(Extension::SignatureAlgorithms(s)) => s,
            _ => return true,
        },
    };
    cert.chain.iter().all(|c| {
        crate::verify::certinfo::signature_scheme(c.as_ref()).is_none_or(|s| accepted.contains(&s))
    })
}

/// The authorities a client named in certificate_authorities (RFC 8446
/// §4.2.4), if it sent the extension.
pub(crate) fn client_authorities(ch: &ClientHello) -> Option<&[Vec<u8>]> {
    match ch.extension(ExtensionType::CERTIFICATE_AUTHORITIES) {
        Some(Extension::CertificateAuthorities(a)) => Some(a.as_slice()),
        _ => None,
    }
}

/// Fails when every credential must be issued by an authority the client
/// names and none is ([`CertifiedKey::with_must_match_issuer`]): the
/// error says so, with handshake_failure.
pub(crate) fn check_issuers(config: &ServerConfig, ch: &ClientHello) -> Result<(), Error> {
    let authorities = client_authorities(ch);
    if config.certs.is_empty() || config.certs.iter().any(|c| c.fits_authorities(authorities)) {
        return Ok(());
    }
    Err(Error::NoCommon {
        what: Negotiable::Certificate,
        ours: "credentials that must be issued by an authority the client names".into(),
        theirs: match authorities {
            Some(a) => format!(
                "certificate_authorities naming {} {}, none an issuer of ours",
                a.len(),
                if a.len() == 1 {
                    "authority"
                } else {
                    "authorities"
                }
            ),
            None => "no certificate_authorities".into(),
        },
    })
}

/// The certificate for `sni`: among those of a type the client accepts
/// (RFC 7250 §4.2) that are `usable` (and, if they must, issued by an
/// authority the client named), the first whose names match, else the
/// first; among those, one whose chain's signatures the client accepts,
/// then one from an authority the client named. A raw public key names nothing, and a client that accepts one
/// authenticates the server without names (RFC 7250 §4.4): it fits any
/// name.
pub(crate) fn choose_certificate<'a>(
    config: &'a ServerConfig,
    ch: &ClientHello,
    sni: Option<&DnsName<'static>>,
    types: &[CertificateType],
    usable: impl Fn(&CertifiedKey) -> bool,
) -> Option<&'a CertifiedKey> {
    // RFC 8446 §4.2.4: the authorities the client trusts guide the
    // choice (and decide for a credential that must match them).
    let authorities = client_authorities(ch);
    let mut usable_certs: Vec<&CertifiedKey> = config
        .certs
        .iter()
        .filter(|c| types.contains(&c.certificate_type()) && usable(c))
        .filter(|c| c.fits_authorities(authorities))
        .collect();
    // A stable sort keeps the configured order among equals: chains whose
    // signatures the client accepts first, and among those, chains from
    // an authority it named.
    usable_certs.sort_by_key(|c| {
        (
            !chain_signatures_accepted(c, ch),
            !authorities.is_some_and(|a| c.issuer_named_in(a)),
        )
    });
    if let Some(name) = sni {
        let name = ServerName::DnsName(name.clone());
        for c in &usable_certs {
            if c.raw_public_key.is_some() {
                return Some(c);
            }
            let Some(ee) = c.chain.first() else { continue };
            let ee: &CertificateDer<'_> = ee;
            if webpki::EndEntityCert::try_from(ee)
                .ok()
                .is_some_and(|cert| cert.verify_is_valid_for_subject_name(&name).is_ok())
            {
                return Some(c);
            }
        }
    }
    usable_certs.first().copied()
}

/// What a session keeps of the client's certificate: its chain, or its
/// raw public key alone (RFC 7250).
pub(crate) fn session_client_certs(info: &Negotiated) -> Vec<Vec<u8>> {
    match &info.peer_raw_public_key {
        Some(k) => vec![k.as_ref().to_vec()],
        None => info
            .peer_certs
            .iter()
            .map(|c| c.as_ref().to_vec())
            .collect(),
    }
}

/// A resumed session's client certificate (chain or raw public key) and
/// the certificate types it was made with.
pub(crate) fn record_session_identity(info: &mut Negotiated, value: &ServerSessionValue) {
    info.server_cert_type = value.server_cert_type;
    info.client_cert_type = value.client_cert_type;
    if value.client_cert_type == CertificateType::RAW_PUBLIC_KEY {
        info.peer_raw_public_key = value
            .client_certs
            .first()
            .map(|k| SubjectPublicKeyInfoDer::from(k.clone()));
        info.peer_certs = Vec::new();
    } else {
        info.peer_certs = value
            .client_certs
            .iter()
            .map(|c| CertificateDer::from(c.clone()))
            .collect();
    }
}

/// The OCSP response to staple: the certificate has one and the client
/// asked for OCSP with status_request (RFC 6066 §8).
pub(crate) fn stapled_ocsp<'a>(ch: &ClientHello, cert: &'a CertifiedKey) -> Option<&'a [u8]> {
    cert.ocsp_response.as_deref().filter(|_| asks_for_ocsp(ch))
}

/// Whether the client asked for OCSP with status_request (RFC 6066 §8).
pub(crate) fn asks_for_ocsp(ch: &ClientHello) -> bool {
    matches!(
        ch.extension(ExtensionType::STATUS_REQUEST),
        Some(Extension::StatusRequest(r)) if r.status_type == CertificateStatusType::OCSP
    )
}

/// The SCT list to send: the certificate has one and the client asked
/// with signed_certificate_timestamp (RFC 6962 §3.3.1).
pub(crate) fn sent_sct_list<'a>(ch: &ClientHello, cert: &'a CertifiedKey) -> Option<&'a [u8]> {
    let asked = ch
        .extension(ExtensionType::SIGNED_CERTIFICATE_TIMESTAMP)
        .is_some();
    cert.sct_list.as_deref().filter(|_| asked)
}

/// The ALPN protocol: our first preference that the client offered. None
/// if either side has no list; no overlap is no_application_protocol.
pub(crate) fn choose_alpn(
    config: &ServerConfig,
    ch: &ClientHello,
) -> Result<Option<Vec<u8>>, Error> {
    let Some(Extension::Alpn(theirs)) =
        ch.extension(ExtensionType::APPLICATION_LAYER_PROTOCOL_NEGOTIATION)
    else {
        return Ok(None);
    };
    if config.alpn.is_empty() {
        return Ok(None);
    }
    config
        .alpn
        .iter()
        .find(|p| theirs.contains(p))
        .cloned()
        .map(Some)
        .ok_or_else(|| Error::NoCommon {
            what: Negotiable::ApplicationProtocol,
            ours: config
                .alpn
                .iter()
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .collect::<Vec<_>>()
                .join(", "),
            theirs: theirs
                .iter()
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// Our first suite of `version` that the client offered and `fits` allows;
/// with the default order, ChaCha20-Poly1305 for a client that names it
/// first among those (see `ServerConfigBuilder::cipher_suites`).
pub(crate) fn choose_suite(
    config: &ServerConfig,
    ch: &ClientHello,
    version: ProtocolVersion,
    fits: impl Fn(&SupportedSuite) -> bool,
) -> Result<SupportedSuite, Error> {
    // Ours that the client offered, in our order, as a bitmask over our
    // list (no allocation per handshake): each suite checked once, the
    // client's list (up to 32767 entries) searched once per suite.
    let mut usable = 0u64;
    for (i, s) in config.suites.iter().enumerate().take(64) {
        let right_version = match s {
            SupportedSuite::Tls13(_) => version == ProtocolVersion::TLSV1_3,
            SupportedSuite::Tls12(_) => version == ProtocolVersion::TLSV1_2,
        };
        if right_version && ch.cipher_suites.contains(&s.suite()) && fits(s) {
            usable |= 1 << i;
        }
    }
    let ours = || {
        config
            .suites
            .iter()
            .enumerate()
            .filter(move |(i, _)| *i < 64 && usable & (1 << i) != 0)
            .map(|(_, s)| s)
    };
    let chacha = |s: &&SupportedSuite| s.aead() == crate::crypto::AeadAlgorithm::Chacha20Poly1305;
    // The client's favourite among them, when it is ChaCha20-Poly1305.
    let theirs = || {
        ch.cipher_suites
            .iter()
            .find_map(|c| ours().find(|s| s.suite() == *c))
            .filter(chacha)
    };
    let chosen = match config.follow_chacha_preference {
        true => theirs().or_else(|| ours().next()),
        false => ours().next(),
    };
    chosen.copied().ok_or_else(|| Error::NoCommon {
        what: Negotiable::CipherSuite,
        ours: list(&config.suites.iter().map(|s| s.suite()).collect::<Vec<_>>()),
        theirs: list(&ch.cipher_suites),
    })
}
