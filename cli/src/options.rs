//! The options `cloak client` and `cloak server` share: versions, suites,
//! groups, signature schemes, ALPN, key logs and traces, named as the IANA
//! registries name them; and the words for errors.

use clap::Args;
use cloaktls::config::{
    supported_cipher_suites, supported_groups, supported_signature_schemes, ExternalPsk, KeyLogFile,
};
use cloaktls::crypto::{HashAlgorithm, Secret};
use cloaktls::{AlertDescription, CertificateErrorKind, Error, ProtocolVersion};
use std::io;
use std::sync::Arc;

/// The TLS settings both sides take.
#[derive(Args, Debug, Clone, Default)]
pub struct Tls {
    /// Only TLS 1.2.
    #[arg(long, conflicts_with_all = ["tls13", "min_version", "max_version"])]
    pub tls12: bool,
    /// Only TLS 1.3.
    #[arg(long, conflicts_with_all = ["min_version", "max_version"])]
    pub tls13: bool,
    /// The oldest version to use: 1.2 or 1.3.
    #[arg(long, value_name = "VERSION", value_parser = parse_version)]
    pub min_version: Option<ProtocolVersion>,
    /// The newest version to use: 1.2 or 1.3.
    #[arg(long, value_name = "VERSION", value_parser = parse_version)]
    pub max_version: Option<ProtocolVersion>,
    /// Restrict everything to a policy preset: fips-140-3, cnsa-1.0,
    /// cnsa-2.0 or wpa3-192 (the other options may narrow it further).
    #[arg(long, value_name = "NAME", value_parser = parse_policy)]
    pub policy: Option<cloaktls::config::Policy>,
    /// Cipher suites, in preference order, comma-separated
    /// (TLS_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,...).
    #[arg(long, value_name = "NAMES", value_parser = parse_suites)]
    pub suites: Option<SuiteList>,
    /// Key exchange groups, in preference order, comma-separated
    /// (x25519,secp256r1,secp384r1).
    #[arg(long, value_name = "NAMES", value_parser = parse_groups)]
    pub groups: Option<GroupList>,
    /// Signature schemes, comma-separated (ecdsa_secp256r1_sha256,
    /// rsa_pss_rsae_sha256, ed25519, ...).
    #[arg(long, value_name = "NAMES", value_parser = parse_sigalgs)]
    pub sigalgs: Option<SchemeList>,
    /// Application protocols (ALPN), in preference order, comma-separated.
    #[arg(long, value_name = "a,b", value_delimiter = ',')]
    pub alpn: Vec<String>,
    /// Append secrets to FILE in the SSLKEYLOGFILE format (created 0600).
    #[arg(long, value_name = "FILE")]
    pub keylog: Option<String>,
    /// Print every message, record and state change as a ladder diagram
    /// (to stderr).
    #[arg(long)]
    pub trace: bool,
    /// With --trace, also print every traffic secret (insecure: anyone who
    /// sees the output can decrypt the connection).
    #[arg(long, requires = "trace")]
    pub trace_secrets: bool,
}

/// An external PSK (TLS 1.3, RFC 9846 §2.2), on either side.
#[derive(Args, Debug, Clone, Default)]
pub struct Psk {
    /// Authenticate with an external pre-shared key (TLS 1.3) named ID;
    /// needs --psk.
    #[arg(long, value_name = "ID", requires = "psk")]
    pub psk_identity: Option<String>,
    /// The external PSK in hexadecimal: at least 16 bytes from a good
    /// random source (`openssl rand -hex 32`), never a password; needs
    /// --psk-identity.
    #[arg(long, value_name = "HEX", requires = "psk_identity")]
    pub psk: Option<String>,
    /// The hash the PSK is bound to: sha256 (the default, as OpenSSL's
    /// -psk and GnuTLS's) or sha384.
    #[arg(long, value_name = "HASH", requires = "psk", value_parser = ["sha256", "sha384"])]
    pub psk_hash: Option<String>,
    /// Import the PSK (RFC 9258) with this context instead of using it
    /// directly; the peer must import it with the same context.
    #[arg(long, value_name = "CONTEXT", requires = "psk")]
    pub psk_import: Option<String>,
    /// Also allow psk_ke, the PSK alone with no (EC)DHE (insecure: no
    /// forward secrecy); used only when the peer allows it too.
    #[arg(long, requires = "psk")]
    pub allow_psk_ke: bool,
}

impl Psk {
    /// The PSK asked for, if any.
    pub fn external_psk(&self) -> Result<Option<ExternalPsk>, String> {
        let (Some(id), Some(hex_key)) = (&self.psk_identity, &self.psk) else {
            return Ok(None);
        };
        // Wiped when dropped.
        let key = Secret::new(
            hex::decode(hex_key.trim())
                .map_err(|_| "--psk is not hexadecimal (an even number of 0-9a-f digits)")?,
        );
        let mut p = ExternalPsk::new(id.as_bytes(), key.as_bytes()).map_err(|e| e.to_string())?;
        if self.psk_hash.as_deref() == Some("sha384") {
            p = p.with_hash(HashAlgorithm::Sha384);
        }
        if let Some(context) = &self.psk_import {
            p = p.imported(context.as_bytes()).map_err(|e| e.to_string())?;
        }
        Ok(Some(p))
    }
}

/// A parsed list of suites (a newtype, so that clap keeps it whole).
#[derive(Debug, Clone)]
pub struct SuiteList(pub Vec<cloaktls::CipherSuite>);
/// A parsed list of groups.
#[derive(Debug, Clone)]
pub struct GroupList(pub Vec<cloaktls::NamedGroup>);
/// A parsed list of signature schemes.
#[derive(Debug, Clone)]
pub struct SchemeList(pub Vec<cloaktls::SignatureScheme>);

fn parse_version(s: &str) -> Result<ProtocolVersion, String> {
    match s
        .trim()
        .to_ascii_lowercase()
        .trim_start_matches("tls")
        .trim_start_matches(['v', ' '])
    {
        "1.2" | "12" => Ok(ProtocolVersion::TLSV1_2),
        "1.3" | "13" => Ok(ProtocolVersion::TLSV1_3),
        _ => Err(format!(
            "{s:?} is not a version cloaktls speaks; use 1.2 or 1.3"
        )),
    }
}

/// Each comma-separated name looked up with `from_name`, checked against
/// what cloaktls implements; a wrong one lists the valid names.
fn parse_names<T: Copy + PartialEq + std::fmt::Debug>(
    s: &str,
    what: &str,
    from_name: impl Fn(&str) -> Option<T>,
    supported: Vec<T>,
) -> Result<Vec<T>, String> {
    let valid = || {
        supported
            .iter()
            .map(|t| format!("{t:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out = Vec::new();
    for name in s.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        match from_name(name).filter(|t| supported.contains(t)) {
            Some(t) => out.push(t),
            None => {
                return Err(format!(
                    "{name:?} is not a {what} cloaktls implements; the valid names are: {}",
                    valid()
                ))
            }
        }
    }
    if out.is_empty() {
        return Err(format!("no {what} given; the valid names are: {}", valid()));
    }
    Ok(out)
}

fn parse_suites(s: &str) -> Result<SuiteList, String> {
    parse_names(
        s,
        "cipher suite",
        cloaktls::CipherSuite::from_name,
        supported_cipher_suites(),
    )
    .map(SuiteList)
}

fn parse_policy(s: &str) -> Result<cloaktls::config::Policy, String> {
    cloaktls::config::Policy::from_name(s).ok_or_else(|| {
        format!(
            "{s:?} is not a policy; the policies are {}",
            cloaktls::config::Policy::all()
                .iter()
                .map(|p| p.name())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

fn parse_groups(s: &str) -> Result<GroupList, String> {
    parse_names(
        s,
        "key exchange group",
        cloaktls::NamedGroup::from_name,
        supported_groups(),
    )
    .map(GroupList)
}

fn parse_sigalgs(s: &str) -> Result<SchemeList, String> {
    parse_names(
        s,
        "signature scheme",
        cloaktls::SignatureScheme::from_name,
        supported_signature_schemes(),
    )
    .map(SchemeList)
}

impl Tls {
    /// The versions asked for.
    pub fn versions(&self) -> Result<Vec<ProtocolVersion>, String> {
        let (min, max) = match (self.tls12, self.tls13) {
            (true, _) => (ProtocolVersion::TLSV1_2, ProtocolVersion::TLSV1_2),
            (_, true) => (ProtocolVersion::TLSV1_3, ProtocolVersion::TLSV1_3),
            _ => (
                self.min_version.unwrap_or(ProtocolVersion::TLSV1_2),
                self.max_version.unwrap_or(ProtocolVersion::TLSV1_3),
            ),
        };
        if min > max {
            return Err("--min-version is newer than --max-version".into());
        }
        Ok([ProtocolVersion::TLSV1_3, ProtocolVersion::TLSV1_2]
            .into_iter()
            .filter(|v| *v >= min && *v <= max)
            .collect())
    }

    /// Whether a version option was given.
    pub fn versions_given(&self) -> bool {
        self.tls12 || self.tls13 || self.min_version.is_some() || self.max_version.is_some()
    }

    /// The key log to use: --keylog, else SSLKEYLOGFILE if set.
    pub fn key_log(&self) -> Result<Option<Arc<KeyLogFile>>, Error> {
        match &self.keylog {
            Some(f) => Ok(Some(Arc::new(KeyLogFile::open(f)?))),
            None => Ok(KeyLogFile::from_env().map(Arc::new)),
        }
    }
}

/// The builder settings both configuration builders have, applied in one
/// place.
macro_rules! apply_tls {
    ($builder:expr, $tls:expr) => {{
        let tls: &$crate::options::Tls = $tls;
        let mut b = $builder;
        if let Some(p) = tls.policy {
            b = b.policy(p);
        }
        if tls.policy.is_none() || tls.versions_given() {
            b = b.versions(&tls.versions()?);
        }
        let mut b = b.alpn_protocols(&tls.alpn);
        if let Some(s) = &tls.suites {
            b = b.cipher_suites(&s.0);
        }
        if let Some(g) = &tls.groups {
            b = b.groups(&g.0);
        }
        if let Some(s) = &tls.sigalgs {
            b = b.signature_schemes(&s.0);
        }
        if let Some(k) = tls.key_log()? {
            b = b.key_log(k);
        }
        b.trace(tls.trace)
    }};
}
pub(crate) use apply_tls;

/// "TLS 1.3" for the summaries.
pub fn version_name(v: Option<ProtocolVersion>) -> String {
    match v {
        Some(ProtocolVersion::TLSV1_3) => "TLS 1.3".into(),
        Some(ProtocolVersion::TLSV1_2) => "TLS 1.2".into(),
        Some(v) => format!("{v:?}"),
        None => "none".into(),
    }
}

/// What to do about an error, where there is something to do.
pub fn hint(e: &Error) -> Option<&'static str> {
    match e {
        Error::InvalidCertificate(c) => match c.kind {
            CertificateErrorKind::UnknownIssuer => Some(
                "pass the CA that issued the server's certificate with --cafile, or use --insecure to skip verification (unsafe)",
            ),
            CertificateErrorKind::NameMismatch => {
                Some("connect with a name the certificate is valid for, or set --servername")
            }
            CertificateErrorKind::Expired => {
                Some("the certificate must be renewed; if it looks current, check this machine's clock")
            }
            CertificateErrorKind::NotYetValid => Some("check this machine's clock"),
            CertificateErrorKind::Missing => Some("pass a client certificate with --cert and --key"),
            CertificateErrorKind::UnknownRawPublicKey => Some(
                "if that key is the peer's, pin it: --pin-rpk FILE (client) or --pin-client-rpk FILE (server), FILE holding its PUBLIC KEY",
            ),
            _ => None,
        },
        Error::NoCommon { what, .. } => Some(match what {
            cloaktls::error::Negotiable::ProtocolVersion => {
                "the peer speaks another TLS version; see --min-version and --max-version"
            }
            cloaktls::error::Negotiable::CertificateType => {
                "one side takes only raw public keys (RFC 7250) and the other only X.509: see --pin-rpk, --rpk-key and --cafile"
            }
            _ => "the two sides share no option for this; see what each offers above",
        }),
        Error::AlertReceived(a) => Some(match *a {
            AlertDescription::PROTOCOL_VERSION => {
                "the peer accepts none of the TLS versions we offered (see --min-version and --max-version)"
            }
            AlertDescription::HANDSHAKE_FAILURE => {
                "the peer found nothing in common with our offer: see --suites, --groups and --sigalgs"
            }
            AlertDescription::CERTIFICATE_REQUIRED => {
                "the server requires a client certificate: pass --cert and --key"
            }
            AlertDescription::UNKNOWN_CA | AlertDescription::BAD_CERTIFICATE => {
                "the peer refused the certificate we sent"
            }
            AlertDescription::NO_APPLICATION_PROTOCOL => {
                "the peer supports none of the --alpn protocols"
            }
            AlertDescription::UNKNOWN_PSK_IDENTITY => {
                "the peer knows no PSK by this --psk-identity"
            }
            AlertDescription::DECRYPT_ERROR => {
                "the peer could not verify us: with a PSK, check that both sides have the same --psk and --psk-hash"
            }
            _ => "the peer refused the connection; its log may say why",
        }),
        Error::HandshakeNotComplete => Some(
            "the peer hung up during the handshake: it may not speak TLS on this port, or it refused our offer",
        ),
        Error::NotTls(_) => Some("check the port: it may serve plain HTTP, not HTTPS"),
        Error::Psk(cloaktls::PskProblem::PskRequired) => Some(
            "the server would not use the PSK: check --psk-identity, or pass --cafile to accept a certificate too",
        ),
        Error::Psk(cloaktls::PskProblem::BadBinder) => {
            Some("the client's PSK differs from ours: check --psk and --psk-hash on both sides")
        }
        Error::EchRejected {
            retry_configs: None,
            ..
        } => Some(
            "the server does not do ECH (any more): connect without --ech, knowing that the name is then visible",
        ),
        Error::Io(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
            Some("nothing is listening at that address and port")
        }
        _ => None,
    }
}

/// Prints an error and its hint.
pub fn report(e: &Error) {
    eprintln!("error: {e}");
    if let Some(h) = hint(e) {
        eprintln!("hint: {h}");
    }
}
