//! The TLS 1.3 key schedule (RFC 8446 §7.1). Each stage is a type, so that
//! a secret can only be derived from the stage it belongs to; every
//! intermediate secret is readable for test vectors.

use crate::crypto::aead::NONCE_LEN;
use crate::crypto::hash::Output;
use crate::crypto::{AeadAlgorithm, HashAlgorithm, Secret};

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
    // The HkdfLabel of `hkdf_label`, passed in parts (no allocation).
    let length = (len as u16).to_be_bytes();
    hash.hkdf_expand(
        secret,
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

fn derived(hash: HashAlgorithm, secret: &[u8]) -> Secret {
    derive_secret(hash, secret, b"derived", &hash.hash(&[]))
}

/// The Early Secret stage.
#[derive(Debug, Clone)]
pub struct EarlySecret {
    hash: HashAlgorithm,
    secret: Secret,
}

impl EarlySecret {
    /// HKDF-Extract(0, PSK), with a zero PSK when there is none.
    pub fn new(hash: HashAlgorithm, psk: Option<&[u8]>) -> Self {
        let zeros = vec![0u8; hash.output_len()];
        let secret = hash.hkdf_extract(&[], psk.unwrap_or(&zeros));
        EarlySecret { hash, secret }
    }

    /// The Early Secret itself.
    pub fn secret(&self) -> &Secret {
        &self.secret
    }

    /// binder_key: "res binder" for a resumption PSK, "ext binder" for an
    /// external one.
    pub fn binder_key(&self, resumption: bool) -> Secret {
        let label: &[u8] = if resumption {
            b"res binder"
        } else {
            b"ext binder"
        };
        derive_secret(
            self.hash,
            self.secret.as_bytes(),
            label,
            &self.hash.hash(&[]),
        )
    }

    /// client_early_traffic_secret over the ClientHello's hash.
    pub fn client_early_traffic_secret(&self, client_hello_hash: &[u8]) -> Secret {
        derive_secret(
            self.hash,
            self.secret.as_bytes(),
            b"c e traffic",
            client_hello_hash,
        )
    }

    /// early_exporter_master_secret over the ClientHello's hash.
    pub fn early_exporter_master_secret(&self, client_hello_hash: &[u8]) -> Secret {
        derive_secret(
            self.hash,
            self.secret.as_bytes(),
            b"e exp master",
            client_hello_hash,
        )
    }

    /// The Handshake Secret from the (EC)DHE shared secret (zeros for
    /// psk_ke).
    pub fn into_handshake(self, shared_secret: Option<&[u8]>) -> HandshakeSecret {
        let zeros = vec![0u8; self.hash.output_len()];
        let salt = derived(self.hash, self.secret.as_bytes());
        let secret = self
            .hash
            .hkdf_extract(salt.as_bytes(), shared_secret.unwrap_or(&zeros));
        HandshakeSecret {
            hash: self.hash,
            secret,
        }
    }
}

/// The Handshake Secret stage.
#[derive(Debug, Clone)]
pub struct HandshakeSecret {
    hash: HashAlgorithm,
    secret: Secret,
}

impl HandshakeSecret {
    /// The Handshake Secret itself.
    pub fn secret(&self) -> &Secret {
        &self.secret
    }

    /// client_handshake_traffic_secret over ClientHello..ServerHello.
    pub fn client_handshake_traffic_secret(&self, hello_hash: &[u8]) -> Secret {
        derive_secret(
            self.hash,
            self.secret.as_bytes(),
            b"c hs traffic",
            hello_hash,
        )
    }

    /// server_handshake_traffic_secret over ClientHello..ServerHello.
    pub fn server_handshake_traffic_secret(&self, hello_hash: &[u8]) -> Secret {
        derive_secret(
            self.hash,
            self.secret.as_bytes(),
            b"s hs traffic",
            hello_hash,
        )
    }

    /// The Master Secret.
    pub fn into_master(self) -> MasterSecret {
        let zeros = vec![0u8; self.hash.output_len()];
        let salt = derived(self.hash, self.secret.as_bytes());
        MasterSecret {
            hash: self.hash,
            secret: self.hash.hkdf_extract(salt.as_bytes(), &zeros),
        }
    }
}

/// The Master Secret stage.
#[derive(Debug, Clone)]
pub struct MasterSecret {
    hash: HashAlgorithm,
    secret: Secret,
}

impl MasterSecret {
    /// The Master Secret itself.
    pub fn secret(&self) -> &Secret {
        &self.secret
    }

    /// client_application_traffic_secret_0 over ClientHello..server Finished.
    pub fn client_application_traffic_secret(&self, handshake_hash: &[u8]) -> Secret {
        derive_secret(
            self.hash,
            self.secret.as_bytes(),
            b"c ap traffic",
            handshake_hash,
        )
    }

    /// server_application_traffic_secret_0 over ClientHello..server Finished.
    pub fn server_application_traffic_secret(&self, handshake_hash: &[u8]) -> Secret {
        derive_secret(
            self.hash,
            self.secret.as_bytes(),
            b"s ap traffic",
            handshake_hash,
        )
    }

    /// exporter_master_secret over ClientHello..server Finished.
    pub fn exporter_master_secret(&self, handshake_hash: &[u8]) -> Secret {
        derive_secret(
            self.hash,
            self.secret.as_bytes(),
            b"exp master",
            handshake_hash,
        )
    }

    /// resumption_master_secret over ClientHello..client Finished.
    pub fn resumption_master_secret(&self, full_hash: &[u8]) -> Secret {
        derive_secret(self.hash, self.secret.as_bytes(), b"res master", full_hash)
    }
}

/// The traffic key and IV of a traffic secret (RFC 8446 §7.3).
pub fn traffic_key_iv(
    hash: HashAlgorithm,
    aead: AeadAlgorithm,
    traffic_secret: &[u8],
) -> (Secret, [u8; NONCE_LEN]) {
    let key = hkdf_expand_label(hash, traffic_secret, b"key", &[], aead.key_len());
    let iv_secret = hkdf_expand_label(hash, traffic_secret, b"iv", &[], NONCE_LEN);
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

/// TLS-Exporter(label, context_value, key_length) (RFC 8446 §7.5).
pub fn export(
    hash: HashAlgorithm,
    exporter_master_secret: &[u8],
    label: &[u8],
    context: &[u8],
    len: usize,
) -> Secret {
    let secret = derive_secret(hash, exporter_master_secret, label, &hash.hash(&[]));
    hkdf_expand_label(
        hash,
        secret.as_bytes(),
        b"exporter",
        &hash.hash(context),
        len,
    )
}
