//! What the connection reads: records opened, checked against the rules of
//! the record layer (RFC 8446 §5, RFC 5246 §6.2), and handed on as
//! handshake messages, alerts and application data.

use super::{Connection, Event, TraceEvent, RECEIVE_LIMIT};
use crate::codec::Codec;
use crate::error::Error;
use crate::handshake::table::{check_ccs, check_message, row_of, Ccs};
use crate::handshake::Context;
use crate::msgs::alert::Alert;
use crate::msgs::enums::{
    AlertDescription, AlertLevel, ContentType, HandshakeType, ProtocolVersion,
};
use crate::msgs::handshake::HandshakeMessage;
use crate::record::{RecordOpener, RecordRef, MAX_FRAGMENT_LEN};

/// The most ChangeCipherSpec records tolerated in one TLS 1.3 handshake:
/// RFC 9846 §5 says to drop them "at any time" during the handshake (a
/// client sends one after each ClientHello in some flows, as with 0-RTT
/// and a HelloRetryRequest), so the bound is the one on other records that
/// carry nothing: a flood, not a count, is refused.
const MAX_CCS: u32 = MAX_EMPTY_IN_A_ROW;
/// The most empty records in a row before the peer is considered to be
/// flooding.
const MAX_EMPTY_IN_A_ROW: u32 = 32;
/// The most warning alerts in a row (TLS 1.2 warnings, TLS 1.3
/// user_canceled) before the peer is considered to be flooding.
const MAX_WARNINGS_IN_A_ROW: u32 = 4;

impl Connection {
    /// Processes the records that are in; a failure is fatal.
    pub(super) fn process(&mut self) -> Result<(), Error> {
        match self.process_records() {
            Ok(()) => Ok(()),
            Err(e) => Err(self.fail(e)),
        }
    }

    fn tls13(&self) -> bool {
        self.info.version == Some(ProtocolVersion::TLSV1_3)
    }

    fn process_records(&mut self) -> Result<(), Error> {
        while !self.peer_closed && self.received_len() < RECEIVE_LIMIT {
            // Plaintext can stay where it is decrypted while nothing else
            // waits to be read.
            let can_hold = self.received_len() == 0;
            let step = {
                let Some(rec) = self.deframer.next_record()? else {
                    break;
                };
                if let Some(t) = &mut self.trace {
                    t.push(TraceEvent::RecordIn {
                        typ: rec.typ,
                        len: rec.payload.len(),
                    });
                }
                if self.is_client {
                    self.plaintext_version = ProtocolVersion::TLSV1_2;
                }
                check_record_version(&self.info, &rec)?;
                let keys = self.opener.is_some();
                if skip_rejected_early_data(&mut self.skip_early, &rec, keys, &self.joiner)? {
                    continue;
                }
                // A TLS 1.3 peer that fails before it has keys (it could
                // not use our ServerHello, say) sends its alert in
                // plaintext, as BoringSSL and OpenSSL do: read it as an
                // alert rather than call it a bad record.
                let plaintext_alert = rec.typ == ContentType::ALERT
                    && self.opener.is_some()
                    && !self.peer_protected
                    && self.info.version == Some(ProtocolVersion::TLSV1_3)
                    && rec.payload.len() == 2;
                match &mut self.opener {
                    _ if rec.typ == ContentType::CHANGE_CIPHER_SPEC || plaintext_alert => {
                        Step::Plain(rec.typ, rec.payload.to_vec())
                    }
                    Some(opener) => {
                        let fast = self.handshake_done && self.joiner.is_empty();
                        let into = (!can_hold).then_some(&mut self.received);
                        let mut opening = Opening {
                            skip_early: &mut self.skip_early,
                            peer_protected: &mut self.peer_protected,
                            info: &self.info,
                        };
                        opening.open(opener, rec, fast, into)?
                    }
                    None if rec.payload.len() > MAX_FRAGMENT_LEN => {
                        return Err(Error::RecordOverflow)
                    }
                    None => Step::Plain(rec.typ, rec.payload.to_vec()),
                }
            };
            match step {
                Step::Skipped => {}
                Step::Hold(range) => {
                    self.deframer.hold_last(range);
                    self.saw_application_data();
                }
                Step::Copied => self.saw_application_data(),
                Step::Plain(typ, data) => self.process_plaintext(typ, data)?,
            }
        }
        Ok(())
    }

    /// Application data arrived: the flood counters start again.
    pub(super) fn saw_application_data(&mut self) {
        self.empty_in_a_row = 0;
        self.warnings_in_a_row = 0;
        if let Some(s) = self.state.as_mut() {
            s.on_application_data();
        }
    }

    pub(super) fn process_plaintext(
        &mut self,
        typ: ContentType,
        data: Vec<u8>,
    ) -> Result<(), Error> {
        // RFC 8446 §5.1: handshake messages may not be interleaved with
        // other record types.
        if typ != ContentType::HANDSHAKE && !self.joiner.is_empty() {
            return Err(Error::peer(
                AlertDescription::UNEXPECTED_MESSAGE,
                format!("a {typ:?} record inside a fragmented handshake message"),
            ));
        }
        self.count_empty_records(typ, data.is_empty())?;
        match typ {
            ContentType::CHANGE_CIPHER_SPEC => self.handle_ccs(&data),
            ContentType::HANDSHAKE => self.handle_handshake_record(&data),
            // RFC 8446 §5.4 (and RFC 5246 §6.2.1): no zero-length alert
            // records, padding or not.
            ContentType::ALERT if data.is_empty() => Err(Error::peer(
                AlertDescription::UNEXPECTED_MESSAGE,
                "an empty alert record",
            )),
            ContentType::ALERT => self.handle_alert(&data),
            ContentType::APPLICATION_DATA => self.handle_application_data(&data),
            other => Err(Error::peer(
                AlertDescription::UNEXPECTED_MESSAGE,
                format!("a record of type {other:?}"),
            )),
        }
    }

    /// Empty records and warnings in a row are bounded: a peer that sends
    /// nothing else is flooding us.
    fn count_empty_records(&mut self, typ: ContentType, empty: bool) -> Result<(), Error> {
        if empty {
            self.empty_in_a_row += 1;
            if self.empty_in_a_row > MAX_EMPTY_IN_A_ROW {
                return Err(Error::peer(
                    AlertDescription::UNEXPECTED_MESSAGE,
                    "too many empty records",
                ));
            }
        } else if typ != ContentType::ALERT {
            self.empty_in_a_row = 0;
            self.warnings_in_a_row = 0;
        }
        Ok(())
    }

    fn handle_ccs(&mut self, data: &[u8]) -> Result<(), Error> {
        let tls13 = self.tls13();
        // RFC 8446 §5: in TLS 1.3 any other value is unexpected_message;
        // so is it in TLS 1.2, as implementations and tlsfuzzer agree.
        if data != [1] {
            return Err(Error::peer(
                AlertDescription::UNEXPECTED_MESSAGE,
                "a ChangeCipherSpec other than the single byte 1",
            ));
        }
        self.record(TraceEvent::ChangeCipherSpecIn);
        let state = self
            .state
            .take()
            .ok_or(Error::Internal("a record after the handshake failed"))?;
        let ccs = check_ccs(state.id());
        let ccs = match ccs {
            Ok(c) => c,
            Err(e) => {
                self.state = Some(state);
                return Err(e);
            }
        };
        if ccs == Ccs::Tolerated {
            self.ccs_seen += 1;
            self.state = Some(state);
            if tls13 && self.ccs_seen > MAX_CCS {
                return Err(Error::peer(
                    AlertDescription::UNEXPECTED_MESSAGE,
                    "too many ChangeCipherSpec records",
                ));
            }
            return Ok(());
        }
        let (mut out, mut messages) = self.take_commands();
        let mut cx = Context {
            out: &mut out,
            messages: &mut messages,
            info: &mut self.info,
            trace_secrets: self.trace_secrets,
            tracing: self.trace.is_some(),
            #[cfg(feature = "testkit")]
            shaper: self.shaper.as_deref(),
        };
        self.state = Some(state.handle_ccs(&mut cx)?);
        self.apply(out, messages)
    }

    fn handle_handshake_record(&mut self, data: &[u8]) -> Result<(), Error> {
        // RFC 8446 §5.1: no zero-length handshake fragments.
        if data.is_empty() {
            return Err(Error::peer(
                AlertDescription::UNEXPECTED_MESSAGE,
                "an empty handshake record",
            ));
        }
        self.joiner.push(data)?;
        // One buffer serves every message of the handshake.
        let mut raw = std::mem::take(&mut self.message);
        while self.joiner.next_message_into(&mut raw)? {
            self.handle_message(&raw)?;
        }
        if !self.handshake_done {
            self.message = raw;
        }
        Ok(())
    }

    fn handle_application_data(&mut self, data: &[u8]) -> Result<(), Error> {
        if let (false, Some(budget)) = (self.handshake_done, self.early_receive) {
            // RFC 8446 §4.2.10: more than max_early_data_size is
            // unexpected_message.
            if data.len() > budget {
                return Err(Error::peer(
                    AlertDescription::UNEXPECTED_MESSAGE,
                    "more early data than max_early_data_size",
                ));
            }
            self.early_receive = Some(budget - data.len());
        } else if !self.handshake_done {
            return Err(Error::peer(
                AlertDescription::UNEXPECTED_MESSAGE,
                "application data before the handshake ended",
            ));
        }
        if let Some(s) = self.state.as_mut() {
            s.on_application_data();
        }
        self.received.extend(data);
        Ok(())
    }

    /// One whole handshake message: checked against the state table before
    /// it is parsed, then handed to the state.
    fn handle_message(&mut self, raw: &[u8]) -> Result<(), Error> {
        let typ = HandshakeType(raw.first().copied().unwrap_or(0));
        if self.trace.is_some() {
            self.record(TraceEvent::MessageIn {
                typ,
                bytes: raw.to_vec(),
            });
        }
        let state = self
            .state
            .take()
            .ok_or(Error::Internal("a message after the handshake failed"))?;
        let row = check_message(state.id(), typ)?;
        // RFC 7250 §3: a TLS 1.2 Certificate's form is the type negotiated
        // for its sender.
        let cert_type = self.info.peer_cert_type(row.role);
        let msg = HandshakeMessage::decode_for(raw, row.version, cert_type)
            .map_err(|e| Error::decode("a handshake message", e))?;
        let (mut out, mut messages) = self.take_commands();
        let mut cx = Context {
            out: &mut out,
            messages: &mut messages,
            info: &mut self.info,
            trace_secrets: self.trace_secrets,
            tracing: self.trace.is_some(),
            #[cfg(feature = "testkit")]
            shaper: self.shaper.as_deref(),
        };
        let next = state.handle(&mut cx, msg, raw)?;
        let id = next.id();
        self.state = Some(next);
        // A message we answer ends the peer's flight: the peer cannot have
        // sent more before reading our answer (RFC 8446 §2, RFC 5246 §7.3).
        let answered = out
            .iter()
            .any(|c| matches!(c, crate::handshake::Command::Send(_)));
        if answered && !self.joiner.is_empty() {
            return Err(Error::peer(
                AlertDescription::UNEXPECTED_MESSAGE,
                "handshake data after the end of the peer's flight",
            ));
        }
        self.apply(out, messages)?;
        self.record(TraceEvent::State(row_of(id).name));
        Ok(())
    }

    fn handle_alert(&mut self, data: &[u8]) -> Result<(), Error> {
        let alert = Alert::decode(data).map_err(|e| Error::decode("an alert", e))?;
        self.record(TraceEvent::AlertIn(alert));
        if alert.description == AlertDescription::CLOSE_NOTIFY {
            self.peer_closed = true;
            self.events.push_back(Event::PeerClosed);
            if !self.handshake_done {
                return Err(Error::HandshakeNotComplete);
            }
            return Ok(());
        }
        // RFC 8446 §6: in TLS 1.3 every alert but close_notify and
        // user_canceled is fatal, whatever its level. In TLS 1.2 warnings
        // are survivable.
        let warning = if self.tls13() {
            alert.description == AlertDescription::USER_CANCELED
        } else {
            alert.level == AlertLevel::WARNING
        };
        if warning {
            self.warnings_in_a_row += 1;
            if self.warnings_in_a_row > MAX_WARNINGS_IN_A_ROW {
                return Err(Error::peer(
                    AlertDescription::UNEXPECTED_MESSAGE,
                    "too many warning alerts",
                ));
            }
            return Ok(());
        }
        Err(Error::AlertReceived(alert.description))
    }
}

/// What became of one record.
pub(super) enum Step {
    /// A rejected 0-RTT record, dropped.
    Skipped,
    /// Application data, decrypted and left in place.
    Hold(std::ops::Range<usize>),
    /// Application data, copied to the receive buffer.
    Copied,
    /// Plaintext for the record rules and the handshake.
    Plain(ContentType, Vec<u8>),
}

/// The connection's fields that opening a record touches, borrowed apart
/// from the deframer that holds the record.
pub(super) struct Opening<'a> {
    pub(super) skip_early: &'a mut Option<usize>,
    pub(super) peer_protected: &'a mut bool,
    pub(super) info: &'a crate::handshake::Negotiated,
}

impl Opening<'_> {
    /// Opens a protected record. Application data on an established
    /// connection (`fast`) goes straight to `into`, or stays in place when
    /// there is no `into`.
    pub(super) fn open(
        &mut self,
        opener: &mut RecordOpener,
        rec: RecordRef<'_>,
        fast: bool,
        into: Option<&mut super::buffers::PlainBuffer>,
    ) -> Result<Step, Error> {
        let len = rec.payload.len();
        let opened = match opener.open(rec.typ, rec.version, rec.payload) {
            Ok(o) => o,
            // RFC 8446 §4.2.10: rejected 0-RTT records fail to open and
            // are skipped, up to a budget.
            Err(Error::BadRecordMac) if self.skip_early.is_some_and(|b| len <= b) => {
                *self.skip_early = self.skip_early.map(|b| b - len);
                return Ok(Step::Skipped);
            }
            Err(Error::BadRecordMac) if self.skip_early.is_some() => return Err(too_much_early()),
            Err(e) => return Err(e),
        };
        // A record that opens ends the skipping.
        *self.skip_early = None;
        *self.peer_protected = true;
        let tls13 = self.info.version == Some(ProtocolVersion::TLSV1_3);
        check_own_record_size_limit(self.info, tls13, opened.range.len())?;
        // RFC 8446 §5: a ChangeCipherSpec is never protected.
        if opened.typ == ContentType::CHANGE_CIPHER_SPEC && tls13 {
            return Err(Error::peer(
                AlertDescription::UNEXPECTED_MESSAGE,
                "a protected ChangeCipherSpec",
            ));
        }
        if opened.typ != ContentType::APPLICATION_DATA || !fast || opened.range.is_empty() {
            return Ok(Step::Plain(opened.typ, rec.payload[opened.range].to_vec()));
        }
        Ok(match into {
            Some(buf) => {
                buf.extend(&rec.payload[opened.range]);
                Step::Copied
            }
            None => Step::Hold(opened.range),
        })
    }
}

/// RFC 8449 §4: once the peer has our record_size_limit, its protected
/// records carry at most that much plaintext (in TLS 1.3 the limit counts
/// the content type byte).
fn check_own_record_size_limit(
    info: &crate::handshake::Negotiated,
    tls13: bool,
    plaintext: usize,
) -> Result<(), Error> {
    let Some(limit) = info.own_record_size_limit else {
        return Ok(());
    };
    let max = usize::from(limit) - usize::from(tls13);
    if plaintext > max {
        return Err(Error::peer(
            AlertDescription::RECORD_OVERFLOW,
            format!(
                "a record of {plaintext} bytes, over the record_size_limit of {limit} we announced"
            ),
        ));
    }
    Ok(())
}

/// Once TLS 1.2 is agreed, every record carries its version (RFC 5246
/// §6.2.1); TLS 1.3 ignores the field (RFC 8446 §5.1).
pub(super) fn check_record_version(
    info: &crate::handshake::Negotiated,
    rec: &RecordRef<'_>,
) -> Result<(), Error> {
    if info.version == Some(ProtocolVersion::TLSV1_2)
        && info.suite.is_some()
        && rec.version != ProtocolVersion::TLSV1_2
    {
        return Err(Error::peer(
            AlertDescription::PROTOCOL_VERSION,
            format!(
                "a record of version {:?} in a TLS 1.2 connection",
                rec.version
            ),
        ));
    }
    Ok(())
}

/// RFC 8446 §4.2.10: while a server skips rejected 0-RTT, application
/// data records that arrive before it has keys for them (a second
/// ClientHello is awaited) are dropped, up to the budget; past it they are
/// more 0-RTT than max_early_data_size (unexpected_message). A record in
/// the middle of a handshake message is never skipped: handshake messages
/// are not interleaved with other records (RFC 8446 §5.1).
fn skip_rejected_early_data(
    skip: &mut Option<usize>,
    rec: &RecordRef<'_>,
    keys: bool,
    joiner: &crate::record::HandshakeJoiner,
) -> Result<bool, Error> {
    let Some(budget) = *skip else {
        return Ok(false);
    };
    if rec.typ != ContentType::APPLICATION_DATA || keys || !joiner.is_empty() {
        return Ok(false);
    }
    let len = rec.payload.len();
    if len > budget {
        return Err(too_much_early());
    }
    *skip = Some(budget - len);
    Ok(true)
}

/// RFC 8446 §4.2.10: "A server receiving more than max_early_data_size
/// bytes of 0-RTT data SHOULD terminate the connection with an
/// unexpected_message alert."
fn too_much_early() -> Error {
    Error::peer(
        AlertDescription::UNEXPECTED_MESSAGE,
        "more rejected 0-RTT data than the server skips (max_early_data_size)",
    )
}
