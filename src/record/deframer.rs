use super::{HEADER_LEN, MAX_CIPHERTEXT_LEN};
use crate::error::Error;
use crate::msgs::enums::{AlertDescription, ContentType, ProtocolVersion};

/// How many bytes the deframer holds at most: two whole records.
const CAPACITY: usize = 2 * (HEADER_LEN + MAX_CIPHERTEXT_LEN);

/// Splits a byte stream, delivered in chunks of any size, into records.
/// It holds at most two whole records; the caller offers the rest again.
#[derive(Debug, Default)]
pub struct Deframer {
    buf: Vec<u8>,
    start: usize,
    records: u64,
    /// Where the last record's body began.
    last_body: usize,
    /// Decrypted bytes kept in place for the reader (see [`Deframer::hold_last`]).
    held: std::ops::Range<usize>,
}

/// A record borrowed from the deframer's buffer, so that it can be
/// decrypted in place.
#[derive(Debug)]
pub struct RecordRef<'a> {
    /// The record's content type.
    pub typ: ContentType,
    /// The record's legacy_record_version.
    pub version: ProtocolVersion,
    /// The record's body.
    pub payload: &'a mut [u8],
}

/// Requests that announce an HTTP client speaking to a TLS port.
const HTTP_METHODS: [&[u8]; 9] = [
    b"GET ", b"POST", b"HEAD", b"PUT ", b"DELE", b"OPTI", b"CONN", b"PATC", b"PRI ",
];

impl Deframer {
    /// An empty deframer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes as many bytes of `data` as fit and returns how many it took.
    pub fn read(&mut self, data: &[u8]) -> usize {
        // Bytes before the first still needed are dropped: those of records
        // already returned, less any held plaintext.
        let cut = if self.held.is_empty() {
            self.start
        } else {
            self.start.min(self.held.start)
        };
        if cut > 0 {
            self.buf.drain(..cut);
            self.start -= cut;
            if !self.held.is_empty() {
                self.held = self.held.start - cut..self.held.end - cut;
            }
        }
        let take = data.len().min(CAPACITY - self.buf.len());
        self.buf.extend_from_slice(&data[..take]);
        take
    }

    /// Frees the buffer if it holds nothing (after the handshake's large
    /// flights, so that an idle connection keeps no memory for them);
    /// returns whether it did.
    pub fn release_if_empty(&mut self) -> bool {
        if self.buffered() != 0 || !self.held.is_empty() {
            return false;
        }
        self.buf = Vec::new();
        self.start = 0;
        self.last_body = 0;
        true
    }

    /// The number of bytes buffered and not yet returned as records.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Keeps `range` of the last record's (decrypted) body in place, to be
    /// read with [`Deframer::take_held`], so that plaintext need not be
    /// copied out of the buffer. Only one range is held at a time; a new
    /// one replaces an empty one only.
    pub fn hold_last(&mut self, range: std::ops::Range<usize>) -> bool {
        let end = self.last_body + range.end;
        if !self.held.is_empty() || range.start > range.end || end > self.start {
            return false;
        }
        self.held = self.last_body + range.start..end;
        true
    }

    /// How many held bytes wait.
    pub fn held_len(&self) -> usize {
        self.held.len()
    }

    /// The held bytes, in place.
    pub fn held(&self) -> &[u8] {
        self.buf.get(self.held.clone()).unwrap_or_default()
    }

    /// Marks the first `n` held bytes as read.
    pub fn consume_held(&mut self, n: usize) {
        self.held.start += n.min(self.held.len());
    }

    /// Copies held bytes into `out`; returns how many.
    pub fn take_held(&mut self, out: &mut [u8]) -> usize {
        let held = self.held();
        let n = out.len().min(held.len());
        out[..n].copy_from_slice(&held[..n]);
        self.consume_held(n);
        n
    }

    /// A printable preview of bytes that are not TLS.
    fn preview(bytes: &[u8]) -> String {
        bytes
            .iter()
            .take(16)
            .map(|b| match b {
                0x20..=0x7e => (*b as char).to_string(),
                _ => format!("\\x{b:02x}"),
            })
            .collect()
    }

    /// Checks a record header (or its first bytes): a known content type,
    /// a TLS version, a length within the limit; `first` says whether
    /// these are the peer's first bytes (where anything else is not TLS).
    pub(crate) fn check_header(header: &[u8], first: bool) -> Result<(), Error> {
        let typ = ContentType(header[0]);
        // A proxy's client asks to CONNECT: it took us for an HTTP proxy.
        if header.len() >= 4 && header[..4] == *b"CONN" {
            return Err(Error::NotTls(
                "it sent an HTTP CONNECT request, as to an HTTP proxy; is this a proxy's port?"
                    .into(),
            ));
        }
        if header.len() >= 4 && HTTP_METHODS.iter().any(|m| header[..4] == **m) {
            return Err(Error::NotTls(
                "it sent an HTTP request; is this an HTTP port rather than HTTPS?".into(),
            ));
        }
        if header.len() >= 4 && &header[..4] == b"HTTP" {
            return Err(Error::NotTls(
                "it answered in plain HTTP; is this an HTTP port rather than HTTPS?".into(),
            ));
        }
        match typ {
            ContentType::CHANGE_CIPHER_SPEC
            | ContentType::ALERT
            | ContentType::HANDSHAKE
            | ContentType::APPLICATION_DATA => {}
            // The very first bytes are not a record at all.
            _ if first => {
                return Err(Error::NotTls(format!(
                    "its first bytes are not a TLS record: \"{}\"",
                    Self::preview(header)
                )))
            }
            // RFC 8446 §5: an unexpected record type is unexpected_message.
            _ => {
                return Err(Error::peer(
                    AlertDescription::UNEXPECTED_MESSAGE,
                    format!("record of unknown content type {}", header[0]),
                ))
            }
        }
        if header.len() >= 3 && header[1] != 3 {
            return Err(Error::peer(
                AlertDescription::PROTOCOL_VERSION,
                format!(
                    "record version {:02x}{:02x} is not TLS",
                    header[1], header[2]
                ),
            ));
        }
        if header.len() >= 5 {
            let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
            if len > MAX_CIPHERTEXT_LEN {
                return Err(Error::RecordOverflow);
            }
        }
        Ok(())
    }

    /// The next complete record, or `None` until more bytes arrive. A bad
    /// header is reported as soon as its bytes are in, before its body.
    pub fn next_record(&mut self) -> Result<Option<RecordRef<'_>>, Error> {
        let avail = &self.buf[self.start..];
        if avail.is_empty() {
            return Ok(None);
        }
        Self::check_header(&avail[..avail.len().min(16)], self.records == 0)?;
        if avail.len() < HEADER_LEN {
            return Ok(None);
        }
        let len = usize::from(u16::from_be_bytes([avail[3], avail[4]]));
        if avail.len() < HEADER_LEN + len {
            return Ok(None);
        }
        let typ = ContentType(avail[0]);
        let version = ProtocolVersion(u16::from_be_bytes([avail[1], avail[2]]));
        let body_start = self.start + HEADER_LEN;
        self.start = body_start + len;
        self.records += 1;
        self.last_body = body_start;
        Ok(Some(RecordRef {
            typ,
            version,
            payload: &mut self.buf[body_start..body_start + len],
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(typ: u8, body: &[u8]) -> Vec<u8> {
        let mut r = vec![typ, 3, 3];
        r.extend_from_slice(&(body.len() as u16).to_be_bytes());
        r.extend_from_slice(body);
        r
    }

    #[test]
    fn one_byte_at_a_time() {
        let mut stream = record(22, b"hello");
        stream.extend(record(23, &[9; 300]));
        stream.extend(record(21, &[1, 0]));
        let mut d = Deframer::new();
        let mut got = Vec::new();
        for b in &stream {
            assert_eq!(d.read(&[*b]), 1);
            while let Some(r) = d.next_record().unwrap() {
                got.push((r.typ, r.payload.to_vec()));
            }
        }
        assert_eq!(
            got,
            vec![
                (ContentType::HANDSHAKE, b"hello".to_vec()),
                (ContentType::APPLICATION_DATA, vec![9; 300]),
                (ContentType::ALERT, vec![1, 0]),
            ]
        );
        assert_eq!(d.buffered(), 0);
    }

    #[test]
    fn held_plaintext_survives_compaction() {
        let mut d = Deframer::new();
        let mut stream = record(23, b"first record");
        stream.extend(record(23, b"second"));
        d.read(&stream[..20]);
        let r = d.next_record().unwrap().unwrap();
        assert_eq!(r.payload, b"first record");
        assert!(d.hold_last(6..12));
        assert!(!d.hold_last(0..1), "one range at a time");
        // More bytes arrive: compaction must keep the held bytes.
        d.read(&stream[20..]);
        let mut out = [0u8; 3];
        assert_eq!(d.take_held(&mut out), 3);
        assert_eq!(&out, b"rec");
        assert_eq!(d.next_record().unwrap().unwrap().payload, b"second");
        d.read(&[]);
        let mut out = [0u8; 10];
        assert_eq!(d.take_held(&mut out), 3);
        assert_eq!(&out[..3], b"ord");
        assert_eq!(d.held_len(), 0);
        // A range beyond the record is refused.
        assert!(!d.hold_last(0..100));
    }

    #[test]
    fn many_records_in_one_chunk_and_backpressure() {
        let one = record(23, &[7; MAX_CIPHERTEXT_LEN]);
        let stream: Vec<u8> = one.iter().copied().cycle().take(one.len() * 5).collect();
        let mut d = Deframer::new();
        let mut offset = 0;
        let mut count = 0;
        while offset < stream.len() {
            let n = d.read(&stream[offset..]);
            assert!(n > 0);
            assert!(d.buffered() <= CAPACITY);
            offset += n;
            while let Some(r) = d.next_record().unwrap() {
                assert_eq!(r.payload.len(), MAX_CIPHERTEXT_LEN);
                count += 1;
            }
        }
        assert_eq!(count, 5);
    }

    #[test]
    fn bad_headers_are_refused_with_their_alerts() {
        let cases: &[(&[u8], Option<AlertDescription>)] = &[
            (&[24, 3, 3, 0, 1, 0], Some(AlertDescription::DECODE_ERROR)),
            (&[0, 3, 3, 0, 1, 0], Some(AlertDescription::DECODE_ERROR)),
            (
                &[22, 2, 0, 0, 1, 0],
                Some(AlertDescription::PROTOCOL_VERSION),
            ),
            (
                &[23, 3, 3, 0x41, 0x01],
                Some(AlertDescription::RECORD_OVERFLOW),
            ),
            (b"GET / HTTP/1.1\r\n", Some(AlertDescription::DECODE_ERROR)),
        ];
        for (bytes, alert) in cases {
            let mut d = Deframer::new();
            d.read(bytes);
            let err = d.next_record().unwrap_err();
            assert_eq!(err.alert(), *alert, "{bytes:?}");
        }
        // The largest legal record is accepted.
        let mut d = Deframer::new();
        d.read(&record(23, &[0; MAX_CIPHERTEXT_LEN]));
        assert!(d.next_record().unwrap().is_some());
        // A bad type after the first record is unexpected_message.
        let mut d = Deframer::new();
        d.read(&record(22, b"x"));
        d.read(&[24, 3, 3, 0, 1, 0]);
        assert!(d.next_record().unwrap().is_some());
        assert_eq!(
            d.next_record().unwrap_err().alert(),
            Some(AlertDescription::UNEXPECTED_MESSAGE)
        );
        // An SMTP banner is not TLS.
        let mut d = Deframer::new();
        d.read(b"220 mail.example.com ESMTP\r\n");
        assert!(matches!(d.next_record(), Err(Error::NotTls(t)) if t.contains("220 mail")));
        // An HTTP request is reported as such.
        let mut d = Deframer::new();
        d.read(b"POST /x HTTP/1.1\r\n");
        assert!(matches!(d.next_record(), Err(Error::NotTls(t)) if t.contains("HTTP request")));
        // A CONNECT request is a proxy's, and said so.
        let mut d = Deframer::new();
        d.read(b"CONNECT www.example.com:443 HTTP/1.0\n");
        assert!(matches!(d.next_record(), Err(Error::NotTls(t)) if t.contains("CONNECT")));
    }
}
