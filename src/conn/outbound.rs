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
const KEY_LIMIT_RESERVE: u64 = 2;

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
    fn renew_key_if_due(&mut self) -> Result<(), Error> {
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
        let mut out = Vec::new();
        let trace_secrets = self.trace_secrets;
        let Some(state) = self.state.as_mut() else {
            return Err(Error::InvalidState("the connection has failed"));
        };
        let mut cx = Context {
            out: &mut out,
            info: &mut self.info,
            trace_secrets,
            #[cfg(feature = "testkit")]
            shaper: self.shaper.as_deref(),
        };
        state.send_key_update(&mut cx, request_peer)?;
        self.apply(out)
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
        let mut out = Vec::new();
        let mut cx = Context {
            out: &mut out,
            info: &mut self.info,
            trace_secrets: self.trace_secrets,
            #[cfg(feature = "testkit")]
            shaper: self.shaper.as_deref(),
        };
        let state = f(&mut cx)?;
        self.state = Some(state);
        self.apply(out)
    }

    /// Writes consecutive handshake messages as few records as fit.
    fn flush_handshake(&mut self, pending: &mut Vec<u8>) -> Result<(), Error> {
        let max = self.max_fragment_len();
        for frag in fragments(pending, max) {
            self.write_record(ContentType::HANDSHAKE, frag)?;
        }
        pending.clear();
        Ok(())
    }

    /// Carries out the handshake's commands in order; consecutive messages
    /// share records.
    pub(super) fn apply(&mut self, commands: Vec<Command>) -> Result<(), Error> {
        let sending = commands
            .iter()
            .map(|c| match c {
                Command::Send(bytes) => bytes.len(),
                _ => 0,
            })
            .sum();
        let mut pending = Vec::with_capacity(sending);
        for c in commands {
            if let Command::Send(bytes) = c {
                if self.trace.is_some() {
                    let typ = HandshakeType(bytes.first().copied().unwrap_or(0));
                    self.record(TraceEvent::MessageOut {
                        typ,
                        bytes: bytes.clone(),
                    });
                }
                pending.extend_from_slice(&bytes);
                continue;
            }
            self.flush_handshake(&mut pending)?;
            self.apply_one(c)?;
        }
        self.flush_handshake(&mut pending)
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
            Command::EarlySend(budget) => self.early_send = budget,
            Command::EarlyDataResult(accepted) => {
                self.info.early_data = Some(accepted);
                self.events.push_back(if accepted {
                    Event::EarlyDataAccepted
                } else {
                    Event::EarlyDataRejected
                });
            }
            Command::EarlyReceive(budget) => self.early_receive = budget,
            Command::SkipEarlyData(budget) => self.skip_early = Some(budget),
            Command::Secret(label, secret) => self.record(TraceEvent::Secret {
                label,
                secret: secret.as_bytes().to_vec(),
            }),
            Command::Fail(e) => return Err(e),
        }
        Ok(())
    }

    /// The handshake is over: the data queued before it goes out, then the
    /// close_notify asked for before it.
    fn handshake_complete(&mut self) -> Result<(), Error> {
        self.handshake_done = true;
        self.events.push_back(Event::HandshakeComplete);
        let queued = std::mem::take(&mut self.queued);
        if !queued.is_empty() {
            self.send_application_data(&queued)?;
        }
        if self.close_requested {
            self.close_requested = false;
            self.write_close_notify()?;
        }
        Ok(())
    }
}
