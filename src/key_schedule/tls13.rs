//! The TLS 1.3 key schedule (RFC 8446 §7.1). Each stage is a type, so that
//! a secret can only be derived from the stage it belongs to; every
//! intermediate secret is readable for test vectors.

use crate::crypto::aead::NONCE_LEN;
use crate::crypto::hash::{Output, Prk};
use crate::crypto::{AeadAlgorithm, HashAlgorithm, Secret};

#[cfg(any(test, feature = "testkit"))]
/// The encoded HkdfLabel (RFC 8446 §7.1): `uint16 length; opaque
/// label<7..255> = "tls13 " + Label; opaque context<0..255>`.
pub fn hkdf_label(len: usize, label: &[u8], context: &[u8]) -> Vec<u8> {
    // Our labels and contexts are short constants and hashes: the casts
    // below cannot truncate.
    let mut info = Vec::with_capacity(4 + 6 + label.len() + context.len());
    info.extend_from_slice(&(len as u16).to_be_bytes());
    info.push((6 + label.len()) as u8);
    info.extend_from_slice(b"tls13 ");
    info.extend_from_slice(label);
    info.push(context.len() as u8);
    info.extend_from_slice(context);
    info
}

/// HKDF-Expand-Label(Secret, Label, Context, Length) (RFC 8446 §7.1).
pub fn hkdf_expand_label(
    hash: HashAlgorithm,
    secret: &[u8],
    label: &[u8],
    context: &[u8],
    len: usize,
) -> Secret {
    expand_label(&hash.prk(secret), label, context, len)
}

/// HKDF-Expand-Label with a PRK set up once; the HkdfLabel of
/// `hkdf_label` is passed in parts (no allocation).
fn expand_label(prk: &Prk, label: &[u8], context: &[u8], len: usize) -> Secret {
    // Our labels and contexts are short constants and hashes: the casts
    // below cannot truncate.
    let length = (len as u16).to_be_bytes();
    prk.expand(
        &[
            &length,
            &[(6 + label.len()) as u8],
            b"tls13 ",
            label,
            &[context.len() as u8],
            context,
        ],
        len,
    )
}

/// Encrypted Client Hello's acceptance confirmation (RFC 9849 §7.2,
/// §7.2.1): HKDF-Expand-Label(HKDF-Extract(0, ClientHelloInner.random),
/// "ech accept confirmation" (or "hrr ech accept confirmation" for a
/// HelloRetryRequest), transcript hash, 8).
pub fn ech_accept_confirmation(
    hash: HashAlgorithm,
    inner_random: &[u8; 32],
    transcript_hash: &[u8],
    hello_retry_request: bool,
) -> [u8; 8] {
    let prk = hash.hkdf_extract(&[], inner_random);
    let label: &[u8] = if hello_retry_request {
        b"hrr ech accept confirmation"
    } else {
        b"ech accept confirmation"
    };
    let secret = hkdf_expand_label(hash, prk.as_bytes(), label, transcript_hash, 8);
    let mut out = [0u8; 8];
    let n = secret.len().min(8);
    out[..n].copy_from_slice(&secret.as_bytes()[..n]);
    out
}

/// Derive-Secret(Secret, Label, Messages), given the transcript hash of
/// Messages (RFC 8446 §7.1).
pub fn derive_secret(
    hash: HashAlgorithm,
    secret: &[u8],
    label: &[u8],
    transcript_hash: &[u8],
) -> Secret {
    hkdf_expand_label(hash, secret, label, transcript_hash, hash.output_len())
}

/// A stage's secret. Its PRK (an HMAC key schedule, some hundreds of
/// bytes) is set up when secrets are derived, once for those derived
/// together, and not kept.
#[derive(Debug, Clone)]
struct Stage {
    hash: HashAlgorithm,
    secret: Secret,
}

impl Stage {
    fn extract(hash: HashAlgorithm, salt: &[u8], ikm: Option<&[u8]>) -> Stage {
        let zeros = [0u8; 64];
        let ikm = ikm.unwrap_or(zeros.get(..hash.output_len()).unwrap_or_default());
        Stage {
            hash,
            secret: hash.hkdf_extract(salt, ikm),
        }
    }

    /// Derive-Secret(this stage, label, messages) for each label.
    fn derive_all<const N: usize>(
        &self,
        labels: [&[u8]; N],
        transcript_hash: &[u8],
    ) -> [Secret; N] {
        let prk = self.hash.prk(self.secret.as_bytes());
        labels.map(|label| expand_label(&prk, label, transcript_hash, self.hash.output_len()))
    }

    /// Derive-Secret(this stage, label, messages).
    fn derive(&self, label: &[u8], transcript_hash: &[u8]) -> Secret {
        let [secret] = self.derive_all([label], transcript_hash);
        secret
    }

    /// The next stage: HKDF-Extract(Derive-Secret(., "derived", ""), IKM).
    fn next(&self, ikm: Option<&[u8]>) -> Stage {
        let salt = self.derive(b"derived", &self.hash.empty_hash());
        Stage::extract(self.hash, salt.as_bytes(), ikm)
    }
}

/// Where a PSK comes from, which decides its binder key (RFC 9846 §7.1,
/// RFC 9258 §5.2): the labels keep one kind from standing in for another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PskKind {
    /// A ticket from an earlier session (NewSessionTicket): "res binder".
    Resumption,
    /// An external PSK used as it is: "ext binder".
    External,
    /// A PSK imported from an external one (RFC 9258): "imp binder".
    Imported,
}

/// The Early Secret stage.
#[derive(Debug, Clone)]
pub struct EarlySecret(Stage);

impl EarlySecret {
    /// HKDF-Extract(0, PSK), with a zero PSK when there is none.
    pub fn new(hash: HashAlgorithm, psk: Option<&[u8]>) -> Self {
        EarlySecret(Stage::extract(hash, &[], psk))
    }

    /// The Early Secret itself.
    #[cfg(any(test, feature = "testkit"))]
    pub fn secret(&self) -> &Secret {
        &self.0.secret
    }

    /// binder_key: "res binder" for a resumption PSK, "ext binder" for an
    /// external one (RFC 9846 §7.1), "imp binder" for an imported one
    /// (RFC 9258 §5.2).
    pub fn binder_key(&self, kind: PskKind) -> Secret {
        let label: &[u8] = match kind {
            PskKind::Resumption => b"res binder",
            PskKind::External => b"ext binder",
            PskKind::Imported => b"imp binder",
        };
        self.0.derive(label, &self.0.hash.empty_hash())
    }

    /// client_early_traffic_secret over the ClientHello's hash.
    pub fn client_early_traffic_secret(&self, client_hello_hash: &[u8]) -> Secret {
        self.0.derive(b"c e traffic", client_hello_hash)
    }

    /// early_exporter_master_secret over the ClientHello's hash.
    pub fn early_exporter_master_secret(&self, client_hello_hash: &[u8]) -> Secret {
        self.0.derive(b"e exp master", client_hello_hash)
    }

    /// The Handshake Secret from the (EC)DHE shared secret (zeros for
    /// psk_ke).
    pub fn into_handshake(self, shared_secret: Option<&[u8]>) -> HandshakeSecret {
        HandshakeSecret(self.0.next(shared_secret))
    }
}

/// The Handshake Secret stage.
#[derive(Debug, Clone)]
pub struct HandshakeSecret(Stage);

impl HandshakeSecret {
    /// The Handshake Secret itself.
    #[cfg(any(test, feature = "testkit"))]
    pub fn secret(&self) -> &Secret {
        &self.0.secret
    }

    /// client_handshake_traffic_secret over ClientHello..ServerHello.
    #[cfg(any(test, feature = "testkit"))]
    pub fn client_handshake_traffic_secret(&self, hello_hash: &[u8]) -> Secret {
        self.0.derive(b"c hs traffic", hello_hash)
    }

    /// server_handshake_traffic_secret over ClientHello..ServerHello.
    #[cfg(any(test, feature = "testkit"))]
    pub fn server_handshake_traffic_secret(&self, hello_hash: &[u8]) -> Secret {
        self.0.derive(b"s hs traffic", hello_hash)
    }

    /// client_ and server_handshake_traffic_secret together (one HMAC
    /// key schedule for both).
    pub fn traffic_secrets(&self, hello_hash: &[u8]) -> (Secret, Secret) {
        let [c, s] = self
            .0
            .derive_all([b"c hs traffic", b"s hs traffic"], hello_hash);
        (c, s)
    }

    /// The Master Secret.
    pub fn into_master(self) -> MasterSecret {
        MasterSecret(self.0.next(None))
    }
}

/// The Master Secret stage.
#[derive(Debug, Clone)]
pub struct MasterSecret(Stage);

impl MasterSecret {
    /// The Master Secret itself.
    #[cfg(any(test, feature = "testkit"))]
    pub fn secret(&self) -> &Secret {
        &self.0.secret
    }

    /// client_application_traffic_secret_0 over ClientHello..server Finished.
    #[cfg(any(test, feature = "testkit"))]
    pub fn client_application_traffic_secret(&self, handshake_hash: &[u8]) -> Secret {
        self.0.derive(b"c ap traffic", handshake_hash)
    }

    /// server_application_traffic_secret_0 over ClientHello..server Finished.
    #[cfg(any(test, feature = "testkit"))]
    pub fn server_application_traffic_secret(&self, handshake_hash: &[u8]) -> Secret {
        self.0.derive(b"s ap traffic", handshake_hash)
    }

    /// exporter_master_secret over ClientHello..server Finished.
    #[cfg(any(test, feature = "testkit"))]
    pub fn exporter_master_secret(&self, handshake_hash: &[u8]) -> Secret {
        self.0.derive(b"exp master", handshake_hash)
    }

    /// client_ and server_application_traffic_secret_0 and
    /// exporter_master_secret together (one HMAC key schedule for all).
    pub fn application_secrets(&self, handshake_hash: &[u8]) -> (Secret, Secret, Secret) {
        let [c, s, e] = self.0.derive_all(
            [b"c ap traffic", b"s ap traffic", b"exp master"],
            handshake_hash,
        );
        (c, s, e)
    }

    /// resumption_master_secret over ClientHello..client Finished.
    pub fn resumption_master_secret(&self, full_hash: &[u8]) -> Secret {
        self.0.derive(b"res master", full_hash)
    }
}

/// The traffic key and IV of a traffic secret (RFC 8446 §7.3).
pub fn traffic_key_iv(
    hash: HashAlgorithm,
    aead: AeadAlgorithm,
    traffic_secret: &[u8],
) -> (Secret, [u8; NONCE_LEN]) {
    let prk = hash.prk(traffic_secret);
    let key = expand_label(&prk, b"key", &[], aead.key_len());
    let iv_secret = expand_label(&prk, b"iv", &[], NONCE_LEN);
    let mut iv = [0u8; NONCE_LEN];
    iv.copy_from_slice(iv_secret.as_bytes());
    (key, iv)
}

/// finished_key = HKDF-Expand-Label(BaseKey, "finished", "", Hash.length).
pub fn finished_key(hash: HashAlgorithm, base_key: &[u8]) -> Secret {
    hkdf_expand_label(hash, base_key, b"finished", &[], hash.output_len())
}

/// verify_data = HMAC(finished_key, transcript hash) (RFC 8446 §4.4.4).
pub fn finished_verify_data(
    hash: HashAlgorithm,
    base_key: &[u8],
    transcript_hash: &[u8],
) -> Output {
    let key = finished_key(hash, base_key);
    hash.hmac(key.as_bytes(), &[transcript_hash])
}

/// application_traffic_secret_N+1 (RFC 8446 §7.2).
pub fn next_traffic_secret(hash: HashAlgorithm, secret: &[u8]) -> Secret {
    hkdf_expand_label(hash, secret, b"traffic upd", &[], hash.output_len())
}

/// The PSK of a ticket (RFC 8446 §4.6.1).
pub fn resumption_psk(
    hash: HashAlgorithm,
    resumption_master_secret: &[u8],
    nonce: &[u8],
) -> Secret {
    hkdf_expand_label(
        hash,
        resumption_master_secret,
        b"resumption",
        nonce,
        hash.output_len(),
    )
}

/// The PSK binder (RFC 9846 §4.3.11.2): an HMAC, as a Finished is made,
/// under the binder_key of `psk` (of `kind`) over `transcript_hash`, the
/// hash of the messages before the hello and of the hello truncated before
/// its binders.
pub fn psk_binder(hash: HashAlgorithm, psk: &[u8], kind: PskKind, transcript_hash: &[u8]) -> Output {
    let binder_key = EarlySecret::new(hash, Some(psk)).binder_key(kind);
    finished_verify_data(hash, binder_key.as_bytes(), transcript_hash)
}

/// An imported PSK, ipskx (RFC 9258 §5.1): with the external PSK's hash
/// `epsk_hash`, epskx = HKDF-Extract(0, epsk), then
/// HKDF-Expand-Label(epskx, "derived psk", Hash(ImportedIdentity), L),
/// where L is the output length of the target KDF's hash.
pub fn imported_psk(
    epsk_hash: HashAlgorithm,
    epsk: &[u8],
    imported_identity: &[u8],
    target: HashAlgorithm,
) -> Secret {
    let epskx = epsk_hash.hkdf_extract(&[], epsk);
    hkdf_expand_label(
        epsk_hash,
        epskx.as_bytes(),
        b"derived psk",
        &epsk_hash.hash(imported_identity),
        target.output_len(),
    )
}

/// TLS-Exporter(label, context_value, key_length) (RFC 8446 §7.5).
pub fn export(
    hash: HashAlgorithm,
    exporter_master_secret: &[u8],
    label: &[u8],
    context: &[u8],
    len: usize,
) -> Secret {
    let secret = derive_secret(hash, exporter_master_secret, label, &hash.empty_hash());
    hkdf_expand_label(
        hash,
        secret.as_bytes(),
        b"exporter",
        &hash.hash(context),
        len,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_derived_together_equal_those_derived_alone() {
        for hash in [HashAlgorithm::Sha256, HashAlgorithm::Sha384] {
            let h = hash.hash(b"transcript");
            let hs = EarlySecret::new(hash, None).into_handshake(Some(&[7u8; 32]));
            let (c, s) = hs.traffic_secrets(&h);
            assert_eq!(c, hs.client_handshake_traffic_secret(&h));
            assert_eq!(s, hs.server_handshake_traffic_secret(&h));
            let m = hs.into_master();
            let (c, s, e) = m.application_secrets(&h);
            assert_eq!(c, m.client_application_traffic_secret(&h));
            assert_eq!(s, m.server_application_traffic_secret(&h));
            assert_eq!(e, m.exporter_master_secret(&h));
            assert_eq!(c.len(), hash.output_len());
        }
    }
}
