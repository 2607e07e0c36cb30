//! What a state gets besides the message: where its commands go, what has
//! been negotiated, and the one way to send a handshake message.

use super::transcript::Transcript;
use super::{Command, Negotiated};
use crate::codec::Writer;
use crate::config::KeyLog;
use crate::crypto::Secret;
use crate::error::Error;
use crate::msgs::handshake::{HandshakeMessage, HandshakePayload};
use std::sync::Arc;

/// What a state gets besides the message.
pub(crate) struct Context<'a> {
    /// The commands for the connection, in order.
    pub(crate) out: &'a mut Vec<Command>,
    /// The encoded messages that the `Send` commands send, in order.
    pub(crate) messages: &'a mut Vec<u8>,
    /// What has been negotiated so far.
    pub(crate) info: &'a mut Negotiated,
    /// Whether derived secrets go to the trace (a `danger` option).
    pub(crate) trace_secrets: bool,
    /// Whether the connection keeps a trace (for what only a trace shows,
    /// such as ClientHelloInner).
    pub(crate) tracing: bool,
    /// The test kit's message shaper (`danger::replay`).
    #[cfg(feature = "testkit")]
    pub(crate) shaper: Option<&'a dyn crate::config::MessageShaper>,
}

impl Context<'_> {
    /// Sends a handshake message and adds it to `transcript`: one call, so
    /// that no message of the handshake goes out unhashed. Returns the
    /// message as it was sent (the test kit's shaper may have changed it).
    pub(crate) fn send(
        &mut self,
        transcript: &mut Transcript,
        payload: HandshakePayload,
    ) -> Result<HandshakePayload, Error> {
        let payload = self.shape(payload)?;
        Ok(self.send_as_is(transcript, payload))
    }

    /// Like [`Context::send`], for a message already passed through
    /// [`Context::shape`]: a ClientHello, whose PSK binders must be computed
    /// over the hello as it will be sent.
    pub(crate) fn send_as_is(
        &mut self,
        transcript: &mut Transcript,
        payload: HandshakePayload,
    ) -> HandshakePayload {
        let msg = HandshakeMessage::new(payload);
        let start = self.messages.len();
        msg.encode(&mut Writer::new(self.messages));
        let bytes = self.messages.get(start..).unwrap_or_default();
        transcript.add(bytes);
        self.out.push(Command::Send(bytes.len()));
        msg.payload
    }

    /// Sends `sent` while `hashed` (a whole handshake message) goes into
    /// `transcript` in its place: Encrypted Client Hello's second
    /// ClientHelloOuter, whose transcript holds ClientHelloInner (RFC 9849
    /// §6.1.5).
    pub(crate) fn send_other(
        &mut self,
        transcript: &mut Transcript,
        hashed: &[u8],
        sent: HandshakePayload,
    ) -> Result<(), Error> {
        let sent = self.shape(sent)?;
        transcript.add(hashed);
        let start = self.messages.len();
        HandshakeMessage::new(sent).encode(&mut Writer::new(self.messages));
        self.out.push(Command::Send(self.messages.len() - start));
        Ok(())
    }

    /// Sends a message that follows the handshake (NewSessionTicket,
    /// KeyUpdate), which no transcript covers (RFC 8446 §4.6).
    /// Returns the message as it was sent.
    pub(crate) fn send_post_handshake(
        &mut self,
        payload: HandshakePayload,
    ) -> Result<HandshakePayload, Error> {
        let msg = HandshakeMessage::new(self.shape(payload)?);
        let start = self.messages.len();
        msg.encode(&mut Writer::new(self.messages));
        self.out.push(Command::Send(self.messages.len() - start));
        Ok(msg.payload)
    }

    /// `payload` after the test kit's shaper, if any (a default build has
    /// none). A shaper that changes the message's type is refused.
    #[cfg(feature = "testkit")]
    pub(crate) fn shape(&self, mut payload: HandshakePayload) -> Result<HandshakePayload, Error> {
        if let Some(shaper) = self.shaper {
            let typ = payload.typ();
            shaper.shape(&mut payload);
            if payload.typ() != typ {
                return Err(Error::Internal("a message shaper changed a message's type"));
            }
        }
        Ok(payload)
    }

    /// `payload` as it is: a default build has no shaper.
    #[cfg(not(feature = "testkit"))]
    #[inline(always)]
    pub(crate) fn shape(&self, payload: HandshakePayload) -> Result<HandshakePayload, Error> {
        Ok(payload)
    }

    /// A secret was derived: logs it if a key log is configured, and puts
    /// it in the trace if the configuration asked for secrets there.
    pub(crate) fn secret(
        &mut self,
        key_log: &Option<Arc<dyn KeyLog>>,
        label: &'static str,
        client_random: &[u8; 32],
        secret: &Secret,
    ) {
        if let Some(k) = key_log {
            k.log(label, client_random, secret.as_bytes());
        }
        if self.trace_secrets {
            self.out.push(Command::Secret(label, secret.clone()));
        }
    }

    /// Puts ClientHelloInner (a handshake message that never crosses the
    /// wire as such) in the trace, if there is one: `sent` by a client,
    /// else opened by a server.
    pub(crate) fn trace_client_hello_inner(&mut self, message: &[u8], sent: bool) {
        if self.tracing {
            self.out.push(Command::ClientHelloInner {
                message: message.to_vec(),
                sent,
            });
        }
    }
}
