//! What the connection writes: records, alerts, and the handshake's
//! commands carried out in order.

use super::{Connection, Event, TraceEvent};
use crate::codec::Codec;
use crate::error::Error;
use crate::handshake::{Command, Context, State};
use crate::msgs::alert::Alert;
use crate::msgs::enums::{AlertDescription, ContentType, HandshakeType, ProtocolVersion};
use crate::record::{fragments, write_plaintext_record, MAX_FRAGMENT_LEN};

/// Records kept in reserve under a key: a KeyUpdate or a close_notify
/// must still fit when the key reaches its limit.
pub(super) const KEY_LIMIT_RESERVE: u64 = 2;

impl Connection {
    /// The largest plaintext fragment we send: our setting, within the
    /// peer's record_size_limit (RFC 8449 §4: in TLS 1.3 the limit counts
    /// the content type).
    pub(super) fn max_fragment_len(&self) -> usize {
        let mut max = self.max_fragment.min(MAX_FRAGMENT_LEN);
        if let Some(limit) = self.info.peer_record_size_limit {
            let tls13 = self.info.version == Some(ProtocolVersion::TLSV1_3);
            let limit = usize::from(limit) - usize::from(tls13);
            max = max.min(limit.max(1));
        }
        max
    }

    pub(super) fn send_application_data(&mut self, data: &[u8]) -> Result<(), Error> {
        if let Some(s) = self.state.as_mut() {
            s.on_application_data_sent();
        }
        let max = self.max_fragment_len();
        for frag in fragments(data, max) {
            self.renew_key_if_due()?;
            self.write_record(ContentType::APPLICATION_DATA, frag)?;
        }
        Ok(())
    }

    /// Before a key reaches its limit (RFC 8446 §5.5): TLS 1.3 moves to the
    /// next key with a KeyUpdate; TLS 1.2, which cannot, closes the
    /// connection.
    pub(super) fn renew_key_if_due(&mut self) -> Result<(), Error> {
        let due = self
            .sealer
            .as_ref()
            .is_some_and(|s| s.remaining() <= KEY_LIMIT_RESERVE);
        if !due || !self.handshake_done {
            return Ok(());
        }
        if self.info.version == Some(ProtocolVersion::TLSV1_3) {
            return self.send_key_update(false);
        }
        self.write_close_notify()?;
        Err(Error::EncryptLimit)
    }

    pub(super) fn send_key_update(&mut self, request_peer: bool) -> Result<(), Error> {
        let (mut out, mut messages) = self.take_commands();
        let trace_secrets = self.trace_secrets;
        let tracing = self.trace.is_some();
        let Some(state) = self.state.as_mut() else {
            return Err(Error::InvalidState("the connection has failed"));
        };
        let mut cx = Context {
            out: &mut out,
            messages: &mut messages,
            info: &mut self.info,
            trace_secrets,
            tracing,
            #[cfg(feature = "testkit")]
            shaper: self.shaper.as_deref(),
        };
        state.send_key_update(&mut cx, request_peer)?;
        self.apply(out, messages)
    }

    pub(super) fn write_record(&mut self, typ: ContentType, fragment: &[u8]) -> Result<(), Error> {
        if self.trace.is_some() {
            self.record(TraceEvent::RecordOut {
                typ,
                len: fragment.len(),
            });
        }
        match &mut self.sealer {
            Some(s) => s.seal(typ, fragment, 0, self.out.vec()),
            None => {
                write_plaintext_record(typ, self.plaintext_version, fragment, self.out.vec());
                Ok(())
            }
        }
    }

    pub(super) fn send_alert(&mut self, alert: Alert) -> Result<(), Error> {
        self.record(TraceEvent::AlertOut(alert));
        self.write_record(ContentType::ALERT, &alert.get_encoding())
    }

    pub(super) fn write_close_notify(&mut self) -> Result<(), Error> {
        self.sent_close = true;
        self.send_alert(Alert::warning(AlertDescription::CLOSE_NOTIFY))
    }

    /// Records a fatal error: the alert goes out once, and nothing more is
    /// accepted.
    pub(super) fn fail(&mut self, e: Error) -> Error {
        // A policy preset's limits are named where they are the cause.
        let e = match (e, self.policy) {
            (Error::NoCommon { what, ours, theirs }, Some(policy)) => Error::NoCommon {
                what,
                ours: format!("{ours} (all that policy {policy} allows)"),
                theirs,
            },
            (e, _) => e,
        };
        if self.error.is_none() {
            if let Some(alert) = e.alert() {
                let _ = self.send_alert(Alert::fatal(alert));
            }
            self.error = Some(e.clone());
            self.state = None;
        }
        e
    }

    pub(super) fn start(
        &mut self,
        f: impl FnOnce(&mut Context<'_>) -> Result<Box<dyn State>, Error>,
    ) -> Result<(), Error> {
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
        let state = f(&mut cx)?;
        self.state = Some(state);
        self.apply(out, messages)
    }

    /// Writes consecutive handshake messages as few records as fit.
    fn flush_handshake(&mut self, pending: &[u8]) -> Result<(), Error> {
        let max = self.max_fragment_len();
        for frag in fragments(pending, max) {
            self.write_record(ContentType::HANDSHAKE, frag)?;
        }
        Ok(())
    }

    /// Carries out the handshake's commands in order; consecutive messages
    /// share records.
    pub(super) fn apply(
        &mut self,
        mut commands: Vec<Command>,
        mut messages: Vec<u8>,
    ) -> Result<(), Error> {
        let r = self.apply_all(&mut commands, &messages);
        // The buffers live on for the next message (until the handshake's
        // buffers are given back): no allocation per message.
        if !self.handshake_buffers_freed {
            commands.clear();
            messages.clear();
            self.scratch_commands = commands;
            self.scratch_messages = messages;
        }
        r
    }

    fn apply_all(&mut self, commands: &mut Vec<Command>, messages: &[u8]) -> Result<(), Error> {
        // Messages [flushed..at] wait to be written as records.
        let (mut flushed, mut at) = (0, 0);
        for c in commands.drain(..) {
            if let Command::Send(len) = c {
                let end = at + len;
                let bytes = messages
                    .get(at..end)
                    .ok_or(Error::Internal("a Send beyond the message buffer"))?;
                if self.trace.is_some() {
                    let typ = HandshakeType(bytes.first().copied().unwrap_or(0));
                    self.record(TraceEvent::MessageOut {
                        typ,
                        bytes: bytes.to_vec(),
                    });
                }
                at = end;
                continue;
            }
            self.flush_handshake(messages.get(flushed..at).unwrap_or_default())?;
            flushed = at;
            self.apply_one(c)?;
        }
        self.flush_handshake(messages.get(flushed..at).unwrap_or_default())
    }

    /// An empty command list and message buffer for a Context, their
    /// allocations kept from the last message.
    pub(super) fn take_commands(&mut self) -> (Vec<Command>, Vec<u8>) {
        let mut c = std::mem::take(&mut self.scratch_commands);
        let mut m = std::mem::take(&mut self.scratch_messages);
        c.clear();
        m.clear();
        (c, m)
    }

    fn apply_one(&mut self, c: Command) -> Result<(), Error> {
        match c {
            Command::Send(_) => {}
            Command::SendCcs => {
                self.record(TraceEvent::ChangeCipherSpecOut);
                self.record(TraceEvent::RecordOut {
                    typ: ContentType::CHANGE_CIPHER_SPEC,
                    len: 1,
                });
                write_plaintext_record(
                    ContentType::CHANGE_CIPHER_SPEC,
                    ProtocolVersion::TLSV1_2,
                    &[1],
                    self.out.vec(),
                );
            }
            Command::WriteKeys(s) => {
                self.record(TraceEvent::WriteKeysChanged);
                self.sealer = Some(s);
            }
            Command::ReadKeys(o) => {
                self.joiner.check_key_change_boundary()?;
                self.record(TraceEvent::ReadKeysChanged);
                self.opener = Some(o);
            }
            Command::Done => self.handshake_complete()?,
            Command::KeyUpdated => self.events.push_back(Event::KeyUpdated),
            Command::SendWarning(d) => self.send_alert(Alert::warning(d))?,
            Command::ClearWriteKeys => self.sealer = None,
            // The ticket's max_early_data is the server's to choose (up to
            // 4 GiB): a client sends no more than it would queue.
            Command::EarlySend(budget) => {
                self.early_send = budget.map(|b| b.min(super::EARLY_QUEUE_LIMIT))
            }
            Command::EarlyDataResult(accepted) => {
                // Rejected early data goes first once the handshake ends.
                if let (false, Some(copy)) = (accepted, self.early_copy.take()) {
                    let queued = std::mem::replace(&mut self.queued, copy);
                    self.queued.extend_from_slice(&queued);
                }
                self.early_copy = None;
                self.info.early_data = Some(accepted);
                self.events.push_back(if accepted {
                    Event::EarlyDataAccepted
                } else {
                    Event::EarlyDataRejected
                });
            }
            Command::EarlyReceive(budget) => self.early_receive = budget,
            Command::HalfRttData => {
                self.half_rtt = true;
                self.send_queued()?;
            }
            Command::FalseStart => {
                self.false_start = true;
                self.send_queued()?;
            }
            Command::SkipEarlyData(budget) => self.skip_early = Some(budget),
            Command::Secret(label, secret) => self.record(TraceEvent::Secret {
                label,
                secret: secret.as_bytes().to_vec(),
            }),
            Command::ClientHelloInner { message, sent } => self.record(match sent {
                true => TraceEvent::ClientHelloInnerOut { bytes: message },
                false => TraceEvent::ClientHelloInnerIn { bytes: message },
            }),
            Command::Fail(e) => return Err(e),
        }
        Ok(())
    }

    /// What `send` queued while data could not go out yet, sent now.
    fn send_queued(&mut self) -> Result<(), Error> {
        let queued = std::mem::take(&mut self.queued);
        if queued.is_empty() {
            return Ok(());
        }
        self.send_application_data(&queued)
    }

    /// The handshake is over: the data queued before it goes out, then the
    /// close_notify asked for before it.
    fn handshake_complete(&mut self) -> Result<(), Error> {
        self.handshake_done = true;
        self.events.push_back(Event::HandshakeComplete);
        self.send_queued()?;
        if self.close_requested {
            self.close_requested = false;
            self.write_close_notify()?;
        }
        Ok(())
    }
}
