//! Record protection: TLS 1.3 (RFC 8446 §5.2, §5.3) and TLS 1.2 AEAD
//! (RFC 5246 §6.2.3.3, RFC 5288 §3, RFC 7905 §2).

use super::{HEADER_LEN, MAX_CIPHERTEXT_LEN, MAX_FRAGMENT_LEN};
use crate::crypto::aead::{AeadKey, NONCE_LEN, TAG_LEN};
use crate::crypto::AeadAlgorithm;
use crate::error::Error;
use crate::msgs::enums::{AlertDescription, ContentType, ProtocolVersion};
use std::ops::Range;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Tls13,
    /// TLS 1.2 with an explicit 8-byte nonce (AES-GCM, RFC 5288).
    Tls12Explicit,
    /// TLS 1.2 with an implicit XORed nonce (ChaCha20-Poly1305, RFC 7905).
    Tls12Implicit,
}

#[derive(Debug)]
struct State {
    mode: Mode,
    key: AeadKey,
    /// How many records the key may protect (RFC 8446 §5.5).
    limit: u64,
    /// The TLS 1.3 or RFC 7905 IV, or the GCM salt in the first 4 bytes.
    iv: [u8; NONCE_LEN],
    seq: u64,
}

impl State {
    fn new_tls13(aead: AeadAlgorithm, key: &[u8], iv: [u8; NONCE_LEN]) -> Result<Self, Error> {
        Ok(State {
            mode: Mode::Tls13,
            limit: aead.confidentiality_limit(),
            key: AeadKey::new(aead, key)?,
            iv,
            seq: 0,
        })
    }

    fn new_tls12(aead: AeadAlgorithm, key: &[u8], fixed_iv: &[u8]) -> Result<Self, Error> {
        if fixed_iv.len() != aead.tls12_fixed_iv_len() {
            return Err(Error::Crypto("TLS 1.2 IV of the wrong length"));
        }
        let mut iv = [0u8; NONCE_LEN];
        iv[..fixed_iv.len()].copy_from_slice(fixed_iv);
        let mode = if aead.tls12_explicit_nonce_len() > 0 {
            Mode::Tls12Explicit
        } else {
            Mode::Tls12Implicit
        };
        Ok(State {
            mode,
            limit: aead.confidentiality_limit(),
            key: AeadKey::new(aead, key)?,
            iv,
            seq: 0,
        })
    }

    /// The per-record nonce: the IV XORed with the padded sequence number
    /// (RFC 8446 §5.3, RFC 7905 §2), or salt || explicit nonce (RFC 5288).
    fn nonce(&self) -> [u8; NONCE_LEN] {
        let mut nonce = self.iv;
        let seq = self.seq.to_be_bytes();
        match self.mode {
            Mode::Tls13 | Mode::Tls12Implicit => {
                for (n, s) in nonce[4..].iter_mut().zip(seq) {
                    *n ^= s;
                }
            }
            Mode::Tls12Explicit => nonce[4..].copy_from_slice(&seq),
        }
        nonce
    }

    fn advance(&mut self) -> Result<(), Error> {
        // RFC 8446 §5.3: sequence numbers must not wrap.
        self.seq = self.seq.checked_add(1).ok_or(Error::EncryptLimit)?;
        Ok(())
    }

    /// The TLS 1.2 additional data (RFC 5246 §6.2.3.3).
    fn tls12_aad(&self, typ: ContentType, version: ProtocolVersion, len: usize) -> [u8; 13] {
        let mut aad = [0u8; 13];
        aad[..8].copy_from_slice(&self.seq.to_be_bytes());
        aad[8] = typ.0;
        aad[9..11].copy_from_slice(&version.0.to_be_bytes());
        aad[11..].copy_from_slice(&(len as u16).to_be_bytes());
        aad
    }
}

/// Protects outgoing records with one traffic key.
#[derive(Debug)]
pub struct RecordSealer {
    state: State,
}

impl RecordSealer {
    /// A TLS 1.3 sealer from a traffic key and IV.
    pub fn tls13(aead: AeadAlgorithm, key: &[u8], iv: [u8; NONCE_LEN]) -> Result<Self, Error> {
        Ok(RecordSealer {
            state: State::new_tls13(aead, key, iv)?,
        })
    }

    /// A TLS 1.2 sealer from the key block's write key and IV.
    pub fn tls12(aead: AeadAlgorithm, key: &[u8], fixed_iv: &[u8]) -> Result<Self, Error> {
        Ok(RecordSealer {
            state: State::new_tls12(aead, key, fixed_iv)?,
        })
    }

    /// The sequence number of the next record.
    #[cfg(any(test, feature = "testkit"))]
    pub fn sequence(&self) -> u64 {
        self.state.seq
    }

    /// How many more records this key may protect (RFC 8446 §5.5); the
    /// connection changes keys or closes before it runs out.
    pub fn remaining(&self) -> u64 {
        self.state.limit.saturating_sub(self.state.seq)
    }

    /// Sets the sequence number of the next record, for tests that reach
    /// a key's limit without sending millions of records.
    #[cfg(any(test, feature = "testkit"))]
    pub fn set_sequence(&mut self, seq: u64) {
        self.state.seq = seq;
    }

    /// The length of the protected record (header included) that holds
    /// `fragment_len` bytes with `padding` (TLS 1.3 only).
    pub fn record_len(&self, fragment_len: usize, padding: usize) -> usize {
        HEADER_LEN
            + TAG_LEN
            + match self.state.mode {
                Mode::Tls13 => fragment_len + 1 + padding.min(MAX_FRAGMENT_LEN - fragment_len),
                Mode::Tls12Explicit => 8 + fragment_len,
                Mode::Tls12Implicit => fragment_len,
            }
    }

    /// Checks what every record needs before anything is written: a
    /// fragment of at most 2^14 bytes, and a key within its limit (RFC 8446
    /// §5.3, §5.5), so that no nonce is ever used twice.
    fn check(&self, fragment: &[u8]) -> Result<(), Error> {
        if fragment.len() > MAX_FRAGMENT_LEN {
            return Err(Error::Internal("fragment larger than 2^14 bytes"));
        }
        if self.state.seq >= self.state.limit || self.state.seq == u64::MAX {
            return Err(Error::EncryptLimit);
        }
        Ok(())
    }

    /// Appends one protected record holding `fragment` (at most 2^14 bytes)
    /// of type `typ`; TLS 1.3 adds `padding` zero bytes (RFC 8446 §5.4).
    pub fn seal(
        &mut self,
        typ: ContentType,
        fragment: &[u8],
        padding: usize,
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        self.check(fragment)?;
        let start = out.len();
        let len = self.record_len(fragment.len(), padding);
        out.reserve(len);
        // Header and body (the explicit nonce's room too) now; sealed in
        // place below.
        out.extend_from_slice(&[0u8; HEADER_LEN]);
        if self.state.mode == Mode::Tls12Explicit {
            out.extend_from_slice(&[0u8; 8]);
        }
        out.extend_from_slice(fragment);
        if self.state.mode == Mode::Tls13 {
            out.push(typ.0);
            out.resize(start + len - TAG_LEN, 0);
        }
        let tag = self.seal_in_place(typ, fragment.len(), &mut out[start..])?;
        out.extend_from_slice(&tag);
        Ok(())
    }

    /// Where a record's plaintext starts: after the header, and after
    /// TLS 1.2 GCM's explicit nonce.
    pub fn plaintext_offset(&self) -> usize {
        HEADER_LEN + if self.state.mode == Mode::Tls12Explicit { 8 } else { 0 }
    }

    /// Writes one protected record holding `fragment` into the start of
    /// `out` and returns its length; `out` must have room for
    /// [`RecordSealer::record_len`] bytes. The fragment is copied once,
    /// straight to where it is encrypted.
    pub fn seal_into(
        &mut self,
        typ: ContentType,
        fragment: &[u8],
        out: &mut [u8],
    ) -> Result<usize, Error> {
        self.check(fragment)?;
        let at = self.plaintext_offset();
        out.get_mut(at..at + fragment.len())
            .ok_or(Error::InvalidState("no room for the record in the buffer"))?
            .copy_from_slice(fragment);
        self.seal_prepared(typ, fragment.len(), out)
    }

    /// Seals the record whose `len` bytes of plaintext the caller already
    /// wrote at [`RecordSealer::plaintext_offset`] in `out`: no copy at
    /// all. Returns the record's length.
    pub fn seal_prepared(
        &mut self,
        typ: ContentType,
        len: usize,
        out: &mut [u8],
    ) -> Result<usize, Error> {
        if len > MAX_FRAGMENT_LEN {
            return Err(Error::Internal("fragment larger than 2^14 bytes"));
        }
        let record_len = self.record_len(len, 0);
        let out = out
            .get_mut(..record_len)
            .ok_or(Error::InvalidState("no room for the record in the buffer"))?;
        if self.state.mode == Mode::Tls13 {
            out[self.plaintext_offset() + len] = typ.0;
        }
        let body_end = record_len - TAG_LEN;
        let tag = self.seal_in_place(typ, len, &mut out[..body_end])?;
        out[body_end..].copy_from_slice(&tag);
        Ok(record_len)
    }

    /// Seals `record` in place: a record without its tag, whose header,
    /// explicit nonce (TLS 1.2 GCM) and content type (TLS 1.3) are filled
    /// in here around the plaintext already there. Returns the tag.
    fn seal_in_place(
        &mut self,
        typ: ContentType,
        fragment_len: usize,
        record: &mut [u8],
    ) -> Result<[u8; TAG_LEN], Error> {
        // RFC 8446 §5.3, §5.5: never past the key's limit.
        if self.state.seq >= self.state.limit || self.state.seq == u64::MAX {
            return Err(Error::EncryptLimit);
        }
        let nonce = self.state.nonce();
        let len = (record.len() - HEADER_LEN + TAG_LEN) as u16;
        let (header, body) = record.split_at_mut(HEADER_LEN);
        header[1..3].copy_from_slice(&ProtocolVersion::TLSV1_2.0.to_be_bytes());
        header[3..5].copy_from_slice(&len.to_be_bytes());
        let tag = match self.state.mode {
            Mode::Tls13 => {
                // The outer header says application_data, TLS 1.2.
                header[0] = ContentType::APPLICATION_DATA.0;
                self.state.key.seal(nonce, header, body)?
            }
            Mode::Tls12Explicit | Mode::Tls12Implicit => {
                header[0] = typ.0;
                let aad = self
                    .state
                    .tls12_aad(typ, ProtocolVersion::TLSV1_2, fragment_len);
                let body = if self.state.mode == Mode::Tls12Explicit {
                    let (explicit, rest) = body.split_at_mut(8);
                    explicit.copy_from_slice(&nonce[4..]);
                    rest
                } else {
                    body
                };
                self.state.key.seal(nonce, &aad, body)?
            }
        };
        self.state.advance()?;
        Ok(tag)
    }
}

/// What opening a record gives: the true content type, and where in the
/// record's payload the plaintext lies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    /// The content type (TLS 1.3's inner type).
    pub typ: ContentType,
    /// The plaintext's range within the payload that was opened.
    pub range: Range<usize>,
}

/// Removes the protection of incoming records with one traffic key.
#[derive(Debug)]
pub struct RecordOpener {
    state: State,
}

impl RecordOpener {
    /// A TLS 1.3 opener from a traffic key and IV.
    pub fn tls13(aead: AeadAlgorithm, key: &[u8], iv: [u8; NONCE_LEN]) -> Result<Self, Error> {
        Ok(RecordOpener {
            state: State::new_tls13(aead, key, iv)?,
        })
    }

    /// A TLS 1.2 opener from the key block's write key and IV of the peer.
    pub fn tls12(aead: AeadAlgorithm, key: &[u8], fixed_iv: &[u8]) -> Result<Self, Error> {
        Ok(RecordOpener {
            state: State::new_tls12(aead, key, fixed_iv)?,
        })
    }

    /// The sequence number of the next record.
    #[cfg(any(test, feature = "testkit"))]
    pub fn sequence(&self) -> u64 {
        self.state.seq
    }

    /// Sets the sequence number of the next record, for tests.
    #[cfg(any(test, feature = "testkit"))]
    pub fn set_sequence(&mut self, seq: u64) {
        self.state.seq = seq;
    }

    /// Decrypts a record's payload in place. `typ` and `version` are the
    /// record header's.
    pub fn open(
        &mut self,
        typ: ContentType,
        version: ProtocolVersion,
        payload: &mut [u8],
    ) -> Result<Opened, Error> {
        if payload.len() > MAX_CIPHERTEXT_LEN {
            return Err(Error::RecordOverflow);
        }
        let nonce = self.state.nonce();
        let opened = match self.state.mode {
            Mode::Tls13 => {
                // RFC 8446 §5.2: protected records are application_data.
                if typ != ContentType::APPLICATION_DATA {
                    return Err(Error::peer(
                        AlertDescription::UNEXPECTED_MESSAGE,
                        format!("protected record of outer type {typ:?}"),
                    ));
                }
                if payload.len() < TAG_LEN {
                    return Err(Error::BadRecordMac);
                }
                let mut header = [0u8; HEADER_LEN];
                header[0] = typ.0;
                header[1..3].copy_from_slice(&version.0.to_be_bytes());
                header[3..].copy_from_slice(&(payload.len() as u16).to_be_bytes());
                let len = self.state.key.open(nonce, &header, payload)?;
                // RFC 8446 §5.4: the content type is the last non-zero byte.
                let inner = &payload[..len];
                let Some(pos) = inner.iter().rposition(|b| *b != 0) else {
                    return Err(Error::peer(
                        AlertDescription::UNEXPECTED_MESSAGE,
                        "protected record with no content type (all zeros)",
                    ));
                };
                // RFC 8446 §5.2: TLSInnerPlaintext longer than 2^14 + 1.
                if len > MAX_FRAGMENT_LEN + 1 {
                    return Err(Error::RecordOverflow);
                }
                Opened {
                    typ: ContentType(inner[pos]),
                    range: 0..pos,
                }
            }
            Mode::Tls12Explicit | Mode::Tls12Implicit => {
                let explicit = if self.state.mode == Mode::Tls12Explicit {
                    8
                } else {
                    0
                };
                if payload.len() < explicit + TAG_LEN {
                    return Err(Error::BadRecordMac);
                }
                let mut nonce = nonce;
                nonce[4..4 + explicit].copy_from_slice(&payload[..explicit]);
                let plain_len = payload.len() - explicit - TAG_LEN;
                if plain_len > MAX_FRAGMENT_LEN {
                    return Err(Error::RecordOverflow);
                }
                let aad = self.state.tls12_aad(typ, version, plain_len);
                let len = self.state.key.open(nonce, &aad, &mut payload[explicit..])?;
                Opened {
                    typ,
                    range: explicit..explicit + len,
                }
            }
        };
        self.state.advance()?;
        Ok(opened)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Deframer;

    fn pairs() -> Vec<(RecordSealer, RecordOpener)> {
        let mut out = Vec::new();
        for aead in [
            AeadAlgorithm::Aes128Gcm,
            AeadAlgorithm::Aes256Gcm,
            AeadAlgorithm::Chacha20Poly1305,
        ] {
            let key = vec![0x42; aead.key_len()];
            let iv = [7u8; NONCE_LEN];
            out.push((
                RecordSealer::tls13(aead, &key, iv).unwrap(),
                RecordOpener::tls13(aead, &key, iv).unwrap(),
            ));
            let fixed = &iv[..aead.tls12_fixed_iv_len()];
            out.push((
                RecordSealer::tls12(aead, &key, fixed).unwrap(),
                RecordOpener::tls12(aead, &key, fixed).unwrap(),
            ));
        }
        out
    }

    fn open_one(
        opener: &mut RecordOpener,
        wire: &mut [u8],
    ) -> Result<(ContentType, Vec<u8>), Error> {
        let mut d = Deframer::new();
        d.read(wire);
        let r = d.next_record()?.expect("a whole record");
        let opened = opener.open(r.typ, r.version, r.payload)?;
        Ok((opened.typ, r.payload[opened.range].to_vec()))
    }

    #[test]
    fn seal_then_open_every_mode() {
        for (mut s, mut o) in pairs() {
            for (i, len) in [0usize, 1, 100, MAX_FRAGMENT_LEN].into_iter().enumerate() {
                let data = vec![i as u8 + 1; len];
                let mut wire = Vec::new();
                s.seal(ContentType::HANDSHAKE, &data, 3, &mut wire).unwrap();
                assert!(wire.len() - HEADER_LEN <= MAX_CIPHERTEXT_LEN);
                assert_eq!(
                    open_one(&mut o, &mut wire).unwrap(),
                    (ContentType::HANDSHAKE, data)
                );
            }
            assert_eq!(s.sequence(), 4);
            assert_eq!(o.sequence(), 4);
        }
    }

    #[test]
    fn tampering_is_bad_record_mac() {
        for (mut s, mut o) in pairs() {
            let mut wire = Vec::new();
            s.seal(ContentType::APPLICATION_DATA, b"secret", 0, &mut wire)
                .unwrap();
            let last = wire.len() - 1;
            wire[last] ^= 1;
            assert_eq!(
                open_one(&mut o, &mut wire).unwrap_err(),
                Error::BadRecordMac
            );
        }
    }

    #[test]
    fn replayed_or_reordered_records_fail() {
        for (mut s, mut o) in pairs() {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            s.seal(ContentType::APPLICATION_DATA, b"one", 0, &mut a)
                .unwrap();
            s.seal(ContentType::APPLICATION_DATA, b"two", 0, &mut b)
                .unwrap();
            assert_eq!(open_one(&mut o, &mut b).unwrap_err(), Error::BadRecordMac);
        }
    }

    #[test]
    fn short_records_are_bad_record_mac() {
        for (_, mut o) in pairs() {
            let mut wire = vec![23, 3, 3, 0, 5, 1, 2, 3, 4, 5];
            assert_eq!(
                open_one(&mut o, &mut wire).unwrap_err(),
                Error::BadRecordMac
            );
        }
    }

    #[test]
    fn tls13_all_zero_inner_plaintext_is_unexpected_message() {
        let key = [1u8; 16];
        let iv = [2u8; NONCE_LEN];
        let s = State::new_tls13(AeadAlgorithm::Aes128Gcm, &key, iv).unwrap();
        let mut o = RecordOpener::tls13(AeadAlgorithm::Aes128Gcm, &key, iv).unwrap();
        let mut body = vec![0u8; 10];
        let header = [23, 3, 3, 0, 26];
        let tag = s.key.seal(s.nonce(), &header, &mut body).unwrap();
        body.extend_from_slice(&tag);
        let err = o
            .open(
                ContentType::APPLICATION_DATA,
                ProtocolVersion::TLSV1_2,
                &mut body,
            )
            .unwrap_err();
        assert_eq!(err.alert(), Some(AlertDescription::UNEXPECTED_MESSAGE));
    }

    #[test]
    fn tls13_overlong_inner_plaintext_is_record_overflow() {
        let key = [1u8; 16];
        let iv = [2u8; NONCE_LEN];
        let s = State::new_tls13(AeadAlgorithm::Aes128Gcm, &key, iv).unwrap();
        let mut o = RecordOpener::tls13(AeadAlgorithm::Aes128Gcm, &key, iv).unwrap();
        // 2^14 + 2 bytes of inner plaintext: one too many.
        let mut body = vec![0u8; MAX_FRAGMENT_LEN + 2];
        body[0] = 23;
        let len = (body.len() + TAG_LEN) as u16;
        let mut header = vec![23, 3, 3];
        header.extend_from_slice(&len.to_be_bytes());
        let tag = s.key.seal(s.nonce(), &header, &mut body).unwrap();
        body.extend_from_slice(&tag);
        let err = o
            .open(
                ContentType::APPLICATION_DATA,
                ProtocolVersion::TLSV1_2,
                &mut body,
            )
            .unwrap_err();
        assert_eq!(err, Error::RecordOverflow);
    }

    #[test]
    fn tls13_padding_is_removed() {
        let (mut s, mut o) = pairs().remove(0);
        let mut wire = Vec::new();
        s.seal(ContentType::ALERT, &[1, 0], 500, &mut wire).unwrap();
        assert_eq!(wire.len(), HEADER_LEN + 2 + 1 + 500 + TAG_LEN);
        assert_eq!(
            open_one(&mut o, &mut wire).unwrap(),
            (ContentType::ALERT, vec![1, 0])
        );
    }

    #[test]
    fn tls12_gcm_explicit_nonce_is_the_sequence_number() {
        let aead = AeadAlgorithm::Aes128Gcm;
        let mut s = RecordSealer::tls12(aead, &[0; 16], &[1, 2, 3, 4]).unwrap();
        for seq in 0u64..3 {
            let mut wire = Vec::new();
            s.seal(ContentType::APPLICATION_DATA, b"x", 0, &mut wire)
                .unwrap();
            assert_eq!(&wire[5..13], &seq.to_be_bytes());
            assert_eq!(wire.len(), HEADER_LEN + 8 + 1 + TAG_LEN);
        }
    }

    #[test]
    fn a_key_at_its_limit_writes_nothing() {
        for (mut sealer, _) in pairs() {
            sealer.set_sequence(sealer.state.limit);
            let mut out = Vec::new();
            assert_eq!(
                sealer.seal(ContentType::APPLICATION_DATA, b"x", 0, &mut out),
                Err(Error::EncryptLimit)
            );
            assert!(out.is_empty(), "a record went out past the limit");
            sealer.set_sequence(u64::MAX);
            assert_eq!(
                sealer.seal(ContentType::APPLICATION_DATA, b"x", 0, &mut out),
                Err(Error::EncryptLimit)
            );
            assert!(out.is_empty());
        }
    }
}
