//! Application data without a copy through the connection's buffers, for
//! callers that own their network buffers: records sealed straight into
//! the caller's buffer, and opened where they lie in it.
//!
//! Both work on an established connection only, and take the place of
//! `send`/`pending_tls` and `read_tls`/`recv` for as long as they are used:
//! mixing is allowed only when the connection's own buffers are empty
//! (nothing in `pending_tls`, nothing received and unread), which the
//! calls check.

use super::inbound::{check_record_version, Opening, Step};
use super::{Connection, TraceEvent};
use crate::error::Error;
use crate::msgs::enums::{ContentType, ProtocolVersion};
use crate::record::{Deframer, RecordRef, HEADER_LEN};

/// What [`Connection::write_tls_into`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sealed {
    /// How many bytes of the data were taken.
    pub taken: usize,
    /// How many bytes of records were written to the start of the buffer.
    pub written: usize,
}

/// What [`Connection::read_tls_in_place`] found at the start of the
/// buffer.
#[derive(Debug, PartialEq, Eq)]
pub enum InPlace<'a> {
    /// A record of application data, `used` bytes long; its plaintext,
    /// decrypted where it lay.
    Data {
        /// The record's length: the caller's next record starts here.
        used: usize,
        /// The plaintext.
        plaintext: &'a [u8],
    },
    /// A record of another kind (a KeyUpdate, a NewSessionTicket, an
    /// alert, close_notify), `used` bytes long, processed as `read_tls`
    /// would: check [`Connection::pending_tls`] and
    /// [`Connection::next_event`].
    Processed {
        /// The record's length.
        used: usize,
    },
    /// No whole record yet: read more into the buffer after these bytes.
    Incomplete,
}

impl Connection {
    /// Seals as much of `data` as fits into `out` as application data
    /// records, each plaintext byte copied once, straight to where it is
    /// encrypted. Returns how much data was taken and how many bytes were
    /// written; write `out[..written]` to the network. Taking less than
    /// was offered means `out` is full, or (when [`Connection::wants_write`]
    /// says so) that the key reached its limit and a KeyUpdate waits in
    /// `pending_tls`, to be written first.
    pub fn write_tls_into(&mut self, data: &[u8], out: &mut [u8]) -> Result<Sealed, Error> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        if !self.handshake_done || self.sent_close || self.close_requested {
            return Err(Error::InvalidState(
                "write_tls_into needs an established connection that is open for sending",
            ));
        }
        if self.wants_write() {
            return Err(Error::InvalidState(
                "write pending_tls before sealing into a buffer of your own",
            ));
        }
        let max = self.max_fragment_len();
        let mut done = Sealed {
            taken: 0,
            written: 0,
        };
        if let Some(s) = self.state.as_mut() {
            s.on_application_data_sent();
        }
        while done.taken < data.len() {
            let r = self.renew_key_if_due();
            self.check(r)?;
            if self.wants_write() {
                // A KeyUpdate went out first: it must reach the peer
                // before what follows.
                break;
            }
            let Some(sealer) = self.sealer.as_mut() else {
                return Err(Error::Internal("an established connection without keys"));
            };
            let n = (data.len() - done.taken).min(max);
            if sealer.record_len(n, 0) > out.len() - done.written {
                break;
            }
            let fragment = &data[done.taken..done.taken + n];
            let r = sealer.seal_into(
                ContentType::APPLICATION_DATA,
                fragment,
                &mut out[done.written..],
            );
            let len = self.check(r)?;
            self.record(TraceEvent::RecordOut {
                typ: ContentType::APPLICATION_DATA,
                len: n,
            });
            done.taken += n;
            done.written += len;
        }
        Ok(done)
    }

    /// Where the plaintext of an application data record starts in a
    /// record buffer, for [`Connection::seal_in_place`]: `None` until the
    /// handshake is over.
    pub fn record_plaintext_offset(&self) -> Option<usize> {
        match (&self.sealer, self.handshake_done) {
            (Some(s), true) => Some(s.plaintext_offset()),
            _ => None,
        }
    }

    /// How long the record holding `len` bytes of application data is
    /// (at most the largest fragment the peer takes, see
    /// [`Connection::max_record_plaintext`]).
    pub fn record_len_for(&self, len: usize) -> Option<usize> {
        self.sealer.as_ref().map(|s| s.record_len(len, 0))
    }

    /// The most application data one record may carry to this peer (its
    /// max_fragment_length or record_size_limit, else 2^14).
    pub fn max_record_plaintext(&self) -> usize {
        self.max_fragment_len()
    }

    /// Seals, with no copy at all, the application data record whose `len`
    /// bytes of plaintext the caller wrote at
    /// [`Connection::record_plaintext_offset`] in `record`; returns the
    /// record's length (write `record[..n]` to the network). The rules of
    /// [`Connection::write_tls_into`] apply; a key at its limit is
    /// `InvalidState` here (send one ordinary record: it moves to the next
    /// key).
    pub fn seal_in_place(&mut self, record: &mut [u8], len: usize) -> Result<usize, Error> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        if !self.handshake_done || self.sent_close || self.close_requested || self.wants_write() {
            return Err(Error::InvalidState(
                "seal_in_place needs an established connection, open for sending, with nothing in pending_tls",
            ));
        }
        if len > self.max_fragment_len() {
            return Err(Error::InvalidState(
                "more than one record's worth of plaintext",
            ));
        }
        let Some(sealer) = self.sealer.as_mut() else {
            return Err(Error::Internal("an established connection without keys"));
        };
        if sealer.remaining() <= super::outbound::KEY_LIMIT_RESERVE {
            return Err(Error::InvalidState(
                "the key is at its limit: send one record with send() to move to the next",
            ));
        }
        let r = sealer.seal_prepared(ContentType::APPLICATION_DATA, len, record);
        let n = self.check(r)?;
        self.record(TraceEvent::RecordOut {
            typ: ContentType::APPLICATION_DATA,
            len,
        });
        if let Some(s) = self.state.as_mut() {
            s.on_application_data_sent();
        }
        Ok(n)
    }

    /// Opens the record at the start of `buf` where it lies, without
    /// copying it: application data comes back as a slice of `buf`; any
    /// other record is processed as `read_tls` would process it. Bytes
    /// after the first record are left alone: call again on the rest.
    pub fn read_tls_in_place<'a>(&mut self, buf: &'a mut [u8]) -> Result<InPlace<'a>, Error> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        if !self.handshake_done || self.deframer.buffered() > 0 || self.received_len() > 0 {
            return Err(Error::InvalidState(
                "read_tls_in_place needs an established connection whose own buffers are empty",
            ));
        }
        if self.peer_closed {
            return Ok(InPlace::Processed { used: buf.len() });
        }
        let r = Deframer::check_header(&buf[..buf.len().min(HEADER_LEN)], false);
        self.check(r)?;
        let Some(header) = buf.get(..HEADER_LEN) else {
            return Ok(InPlace::Incomplete);
        };
        let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
        let used = HEADER_LEN + len;
        if buf.len() < used {
            return Ok(InPlace::Incomplete);
        }
        let typ = ContentType(header[0]);
        let version = ProtocolVersion(u16::from_be_bytes([header[1], header[2]]));
        let (_, rest) = buf.split_at_mut(HEADER_LEN);
        let payload = &mut rest[..len];
        match self.open_in_place(typ, version, payload) {
            Ok(Some(range)) => {
                self.saw_application_data();
                Ok(InPlace::Data {
                    used,
                    plaintext: &buf[HEADER_LEN + range.start..HEADER_LEN + range.end],
                })
            }
            Ok(None) => Ok(InPlace::Processed { used }),
            Err(e) => Err(self.fail(e)),
        }
    }

    /// Opens one record whose payload is `payload`: the plaintext's range
    /// for application data, or `None` for a record processed here.
    fn open_in_place(
        &mut self,
        typ: ContentType,
        version: ProtocolVersion,
        payload: &mut [u8],
    ) -> Result<Option<std::ops::Range<usize>>, Error> {
        self.record(TraceEvent::RecordIn {
            typ,
            len: payload.len(),
        });
        let rec = RecordRef {
            typ,
            version,
            payload,
        };
        check_record_version(&self.info, &rec)?;
        let Some(opener) = self.opener.as_mut() else {
            return Err(Error::Internal("an established connection without keys"));
        };
        // RFC 8446 §5: after the handshake, a ChangeCipherSpec is never
        // acceptable; the ordinary path says so.
        let step = if rec.typ == ContentType::CHANGE_CIPHER_SPEC {
            Step::Plain(rec.typ, rec.payload.to_vec())
        } else {
            let mut opening = Opening {
                skip_early: &mut self.skip_early,
                peer_protected: &mut self.peer_protected,
                info: &self.info,
            };
            opening.open(opener, rec, self.joiner.is_empty(), None)?
        };
        match step {
            Step::Hold(range) => Ok(Some(range)),
            Step::Plain(typ, data) => {
                self.process_plaintext(typ, data)?;
                Ok(None)
            }
            Step::Skipped | Step::Copied => Ok(None),
        }
    }
}
