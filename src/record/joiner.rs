use crate::error::Error;
use crate::msgs::enums::{AlertDescription, HandshakeType};
use crate::msgs::handshake::MAX_HANDSHAKE_MESSAGE;

/// The largest body a message of type `typ` can have, for the types whose
/// size the protocol fixes: Finished holds one hash output (SHA-512's 64
/// bytes at most), KeyUpdate one byte (RFC 8446 §4.6.3), and
/// HelloRequest, ServerHelloDone and EndOfEarlyData nothing.
fn protocol_max(typ: HandshakeType) -> Option<usize> {
    match typ {
        HandshakeType::FINISHED => Some(64),
        HandshakeType::KEY_UPDATE => Some(1),
        HandshakeType::HELLO_REQUEST
        | HandshakeType::SERVER_HELLO_DONE
        | HandshakeType::END_OF_EARLY_DATA => Some(0),
        _ => None,
    }
}

/// Reassembles handshake messages from record payloads: a message may span
/// several records, and a record may hold several messages (RFC 8446 §5.1).
#[derive(Debug)]
pub struct HandshakeJoiner {
    buf: Vec<u8>,
    start: usize,
    max_message: usize,
}

impl Default for HandshakeJoiner {
    fn default() -> Self {
        Self::new(MAX_HANDSHAKE_MESSAGE)
    }
}

impl HandshakeJoiner {
    /// A joiner refusing messages whose body exceeds `max_message` bytes.
    pub fn new(max_message: usize) -> Self {
        HandshakeJoiner {
            buf: Vec::new(),
            start: 0,
            max_message,
        }
    }

    /// Whether no partial message is held.
    pub fn is_empty(&self) -> bool {
        self.start == self.buf.len()
    }

    /// Fails if a message is incomplete: called when keys change, since a
    /// handshake message must not straddle a key change (RFC 8446 §5.1).
    pub fn check_key_change_boundary(&self) -> Result<(), Error> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(Error::peer(
                AlertDescription::UNEXPECTED_MESSAGE,
                "a handshake message straddles a key change",
            ))
        }
    }

    /// Adds one record's payload.
    pub fn push(&mut self, payload: &[u8]) -> Result<(), Error> {
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(payload);
        // Refuse an over-long message as soon as its header shows it.
        if let [typ, a, b, c, ..] = self.buf[..] {
            self.check_length(
                HandshakeType(typ),
                u32::from_be_bytes([0, a, b, c]) as usize,
            )?;
        }
        Ok(())
    }

    /// Refuses a message longer than its type can be, or than we hold in
    /// memory: either way it is not read, decode_error (as tlsfuzzer and
    /// most implementations expect).
    fn check_length(&self, typ: HandshakeType, len: usize) -> Result<(), Error> {
        if let Some(max) = protocol_max(typ).filter(|max| len > *max) {
            return Err(Error::peer(
                AlertDescription::DECODE_ERROR,
                format!("a {typ:?} message of {len} bytes; the protocol allows at most {max}"),
            ));
        }
        if len > self.max_message {
            return Err(Error::peer(
                AlertDescription::DECODE_ERROR,
                format!(
                    "a {typ:?} message of {len} bytes is larger than the {} allowed",
                    self.max_message
                ),
            ));
        }
        Ok(())
    }

    /// The next whole message (header included), if one is complete.
    #[cfg(any(test, feature = "testkit"))]
    pub fn next_message(&mut self) -> Result<Option<Vec<u8>>, Error> {
        let mut msg = Vec::new();
        Ok(self.next_message_into(&mut msg)?.then_some(msg))
    }

    /// Like [`HandshakeJoiner::next_message`], into `msg` (replacing its
    /// contents, reusing its allocation); false if no message is complete.
    pub fn next_message_into(&mut self, msg: &mut Vec<u8>) -> Result<bool, Error> {
        let avail = &self.buf[self.start..];
        let [typ, a, b, c, ..] = avail[..] else {
            return Ok(false);
        };
        let len = u32::from_be_bytes([0, a, b, c]) as usize;
        self.check_length(HandshakeType(typ), len)?;
        if avail.len() < 4 + len {
            return Ok(false);
        }
        msg.clear();
        msg.extend_from_slice(&avail[..4 + len]);
        self.start += 4 + len;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_across_records_and_splits_within_one() {
        let mut j = HandshakeJoiner::default();
        let a = [20u8, 0, 0, 3, 1, 2, 3];
        let b = [14u8, 0, 0, 0];
        let mut stream = a.to_vec();
        stream.extend_from_slice(&b);
        // Every split point.
        for cut in 0..=stream.len() {
            j.push(&stream[..cut]).unwrap();
            let mut got = Vec::new();
            while let Some(m) = j.next_message().unwrap() {
                got.push(m);
            }
            j.push(&stream[cut..]).unwrap();
            while let Some(m) = j.next_message().unwrap() {
                got.push(m);
            }
            assert_eq!(got, vec![a.to_vec(), b.to_vec()]);
            assert!(j.is_empty());
        }
    }

    #[test]
    fn straddling_a_key_change_is_refused() {
        let mut j = HandshakeJoiner::default();
        j.push(&[20, 0, 0, 3, 1]).unwrap();
        assert_eq!(j.next_message().unwrap(), None);
        let err = j.check_key_change_boundary().unwrap_err();
        assert_eq!(err.alert(), Some(AlertDescription::UNEXPECTED_MESSAGE));
    }

    #[test]
    fn oversized_message_is_refused_from_its_header() {
        let mut j = HandshakeJoiner::new(1000);
        let err = j.push(&[11, 0, 0x10, 0]).unwrap_err();
        assert_eq!(err.alert(), Some(AlertDescription::DECODE_ERROR));
    }

    #[test]
    fn fixed_size_messages_longer_than_the_protocol_allows_are_decode_error() {
        // A Finished of 131 KB (tlsfuzzer sends one), a two-byte KeyUpdate,
        // a ServerHelloDone with a body: refused from the header.
        for header in [[20u8, 2, 0, 0x20], [24, 0, 0, 2], [14, 0, 0, 1]] {
            let mut j = HandshakeJoiner::default();
            let err = j.push(&header).unwrap_err();
            assert_eq!(err.alert(), Some(AlertDescription::DECODE_ERROR), "{err}");
        }
        // At the limit they pass to the parser.
        let mut j = HandshakeJoiner::default();
        j.push(&[20, 0, 0, 64]).unwrap();
        j.push(&[0; 64]).unwrap();
        assert!(j.next_message().unwrap().is_some());
    }
}
