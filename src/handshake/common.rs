//! What every handshake uses: the exporter, Finished checks, the check of
//! a peer's extensions against what we offered, and lists in errors.

use crate::crypto::hash::constant_time_eq;
use crate::crypto::{HashAlgorithm, Secret};
use crate::error::Error;
use crate::key_schedule::{tls12, tls13};
use crate::msgs::enums::{AlertDescription, ExtensionType};
use crate::msgs::extensions::Extension;

/// The longest exporter label: HkdfLabel's label is `opaque
/// label<7..255>`, of which "tls13 " takes 6 (RFC 8446 §7.1).
const MAX_EXPORTER_LABEL: usize = 255 - 6;

/// How the exporter of RFC 5705 / RFC 8446 §7.5 is computed.
#[derive(Clone)]
pub(crate) enum Exporter {
    Tls13 {
        hash: HashAlgorithm,
        secret: Secret,
    },
    Tls12 {
        hash: HashAlgorithm,
        master_secret: Secret,
        client_random: [u8; 32],
        server_random: [u8; 32],
    },
}

impl std::fmt::Debug for Exporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Exporter::Tls13 { hash, .. } => write!(f, "Exporter::Tls13({hash:?})"),
            Exporter::Tls12 { hash, .. } => write!(f, "Exporter::Tls12({hash:?})"),
        }
    }
}

impl Exporter {
    /// `len` bytes of keying material for `label` and `context`. The
    /// lengths that the two RFCs bound are checked: a TLS 1.3 output of at
    /// most 255 hash lengths (HKDF-Expand, RFC 5869 §2.3) and a label that
    /// fits HkdfLabel; a TLS 1.2 context of at most 2^16-1 bytes (RFC 5705
    /// §4) and a label other than the PRF's own.
    pub(crate) fn export(
        &self,
        label: &[u8],
        context: Option<&[u8]>,
        len: usize,
    ) -> Result<Vec<u8>, Error> {
        match self {
            Exporter::Tls13 { hash, secret } => {
                if len > 255 * hash.output_len() {
                    return Err(Error::InvalidState(
                        "exporter output longer than 255 hash lengths (RFC 5869 §2.3)",
                    ));
                }
                if label.len() > MAX_EXPORTER_LABEL {
                    return Err(Error::InvalidState("exporter label longer than 249 bytes"));
                }
                let out =
                    tls13::export(*hash, secret.as_bytes(), label, context.unwrap_or(&[]), len);
                Ok(out.as_bytes().to_vec())
            }
            Exporter::Tls12 {
                hash,
                master_secret,
                client_random,
                server_random,
            } => {
                // RFC 5705 §4: labels that the PRF itself uses are reserved.
                let reserved: [&[u8]; 5] = [
                    b"client finished",
                    b"server finished",
                    b"master secret",
                    b"key expansion",
                    b"extended master secret",
                ];
                if reserved.contains(&label) {
                    return Err(Error::InvalidState("that exporter label is reserved"));
                }
                if context.is_some_and(|c| c.len() > 0xffff) {
                    return Err(Error::InvalidState(
                        "exporter context longer than 65535 bytes",
                    ));
                }
                let out = tls12::export(
                    *hash,
                    master_secret.as_bytes(),
                    label,
                    client_random,
                    server_random,
                    context,
                    len,
                );
                Ok(out.as_bytes().to_vec())
            }
        }
    }
}

/// Checks a peer's Finished against the value we computed: a length other
/// than the suite's makes the message undecodable (decode_error), a wrong
/// value is decrypt_error (RFC 8446 §4.4.4, RFC 5246 §7.4.9).
pub(crate) fn check_finished(expected: &[u8], got: &[u8], peer: &str) -> Result<(), Error> {
    if got.len() != expected.len() {
        return Err(Error::peer(
            AlertDescription::DECODE_ERROR,
            format!(
                "the {peer}'s Finished is {} bytes; the suite's hash makes it {}",
                got.len(),
                expected.len()
            ),
        ));
    }
    if !constant_time_eq(expected, got) {
        return Err(Error::peer(
            AlertDescription::DECRYPT_ERROR,
            format!("the {peer}'s Finished is wrong"),
        ));
    }
    Ok(())
}

/// Checks a peer's extensions against what we offered: one we never
/// offered is unsupported_extension (RFC 8446 §4.2); one we know but that
/// does not belong in this message is illegal_parameter.
pub(crate) fn check_response_extensions(
    exts: &[Extension],
    offered: &[ExtensionType],
    message: &str,
) -> Result<(), Error> {
    for e in exts {
        let typ = e.typ();
        if !offered.contains(&typ) {
            return Err(Error::peer(
                AlertDescription::UNSUPPORTED_EXTENSION,
                format!("the peer sent {typ:?} in {message}, which we did not offer"),
            ));
        }
        // RFC 9849 §5: encrypted_client_hello answers only in a
        // HelloRetryRequest or EncryptedExtensions; anywhere else it was
        // not solicited.
        if let (Extension::Unknown { .. }, ExtensionType::ENCRYPTED_CLIENT_HELLO) = (e, typ) {
            return Err(Error::peer(
                AlertDescription::UNSUPPORTED_EXTENSION,
                format!("the peer sent encrypted_client_hello in {message}"),
            ));
        }
        if let Extension::Unknown { .. } = e {
            return Err(Error::peer(
                AlertDescription::ILLEGAL_PARAMETER,
                format!("the peer sent {typ:?}, which is not allowed in {message}"),
            ));
        }
    }
    Ok(())
}

/// A protocol violation answered with illegal_parameter.
pub(crate) fn illegal(reason: impl Into<String>) -> Error {
    Error::peer(AlertDescription::ILLEGAL_PARAMETER, reason)
}

/// The most names [`list`] writes out; a peer can offer thousands.
const LIST_MAX: usize = 12;

/// Names in a list, for error messages: the first few, then how many more.
pub(crate) fn list<T: std::fmt::Debug>(items: &[T]) -> String {
    if items.is_empty() {
        return "nothing".into();
    }
    let mut out = items
        .iter()
        .take(LIST_MAX)
        .map(|i| format!("{i:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > LIST_MAX {
        out.push_str(&format!(" and {} more", items.len() - LIST_MAX));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_names_a_few_then_counts_the_rest() {
        assert_eq!(list::<u8>(&[]), "nothing");
        assert_eq!(list(&[1, 2]), "1, 2");
        let many: Vec<u16> = (0..500).collect();
        let text = list(&many);
        assert!(text.starts_with("0, 1, 2"), "{text}");
        assert!(text.ends_with("11 and 488 more"), "{text}");
    }

    #[test]
    fn exporter_lengths_are_bounded() {
        let e = Exporter::Tls13 {
            hash: HashAlgorithm::Sha256,
            secret: Secret::from_slice(&[7; 32]),
        };
        assert!(e.export(b"EXPERIMENTAL x", None, 32).is_ok());
        assert!(e.export(b"EXPERIMENTAL x", None, 255 * 32).is_ok());
        assert!(matches!(
            e.export(b"EXPERIMENTAL x", None, 255 * 32 + 1),
            Err(Error::InvalidState(_))
        ));
        assert!(matches!(
            e.export(&[b'a'; 250], None, 32),
            Err(Error::InvalidState(_))
        ));
        let e12 = Exporter::Tls12 {
            hash: HashAlgorithm::Sha256,
            master_secret: Secret::from_slice(&[7; 48]),
            client_random: [1; 32],
            server_random: [2; 32],
        };
        assert!(matches!(
            e12.export(b"x", Some(&vec![0; 0x10000]), 16),
            Err(Error::InvalidState(_))
        ));
        assert!(matches!(
            e12.export(b"master secret", None, 16),
            Err(Error::InvalidState(_))
        ));
    }
}
