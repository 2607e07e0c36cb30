//! The Retry Integrity Tag (RFC 9001 §5.8, RFC 9369 §3.3.3):
//! AEAD_AES_128_GCM under a fixed key and nonce, over the Retry
//! pseudo-packet, with an empty plaintext.

use super::Version;
use crate::crypto::aead::{AeadKey, TAG_LEN};
use crate::crypto::hash::constant_time_eq;
use crate::crypto::AeadAlgorithm;
use crate::error::Error;
use crate::key_schedule::quic::retry_key_nonce;

/// The longest connection ID (RFC 9000 §17.2).
const MAX_CID_LEN: usize = 20;

/// The Retry Integrity Tag of a Retry packet: `retry` is the packet as it
/// goes on the wire without its tag, `original_dcid` the Destination
/// Connection ID of the Initial packet it answers. The pseudo-packet is
/// `len(ODCID) || ODCID || retry`.
pub fn retry_integrity_tag(
    version: Version,
    original_dcid: &[u8],
    retry: &[u8],
) -> Result<[u8; TAG_LEN], Error> {
    if original_dcid.len() > MAX_CID_LEN {
        return Err(Error::InvalidState(
            "a connection ID longer than 20 bytes (RFC 9000 §17.2)",
        ));
    }
    let mut pseudo = Vec::with_capacity(1 + original_dcid.len() + retry.len());
    // At most 20, checked above.
    pseudo.push(original_dcid.len() as u8);
    pseudo.extend_from_slice(original_dcid);
    pseudo.extend_from_slice(retry);
    let (key, nonce) = retry_key_nonce(version);
    let key = AeadKey::new(AeadAlgorithm::Aes128Gcm, key.as_bytes())?;
    key.seal(nonce, &pseudo, &mut [])
}

/// Whether `packet` (a whole Retry packet, its 16-byte tag last) carries
/// the right integrity tag for `original_dcid`; the tags are compared in
/// constant time. A client discards a Retry whose tag is wrong (RFC 9000
/// §17.2.5.2).
pub fn is_valid_retry(version: Version, original_dcid: &[u8], packet: &[u8]) -> bool {
    let Some(split) = packet.len().checked_sub(TAG_LEN) else {
        return false;
    };
    let (retry, tag) = packet.split_at(split);
    match retry_integrity_tag(version, original_dcid, retry) {
        Ok(expected) => constant_time_eq(&expected, tag),
        Err(_) => false,
    }
}
