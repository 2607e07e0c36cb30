/// The size of a vector's length prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LengthPrefix {
    /// One byte: vectors up to 255 bytes.
    U8,
    /// Two bytes: vectors up to 65535 bytes.
    U16,
    /// Three bytes: vectors up to 2^24-1 bytes.
    U24,
}

impl LengthPrefix {
    /// The number of bytes the prefix takes.
    pub fn size(self) -> usize {
        match self {
            LengthPrefix::U8 => 1,
            LengthPrefix::U16 => 2,
            LengthPrefix::U24 => 3,
        }
    }
}

/// Appends encodings to a buffer.
#[derive(Debug)]
pub struct Writer<'a> {
    buf: &'a mut Vec<u8>,
}

impl<'a> Writer<'a> {
    /// A writer that appends to `buf`.
    pub fn new(buf: &'a mut Vec<u8>) -> Self {
        Writer { buf }
    }

    /// One byte.
    pub fn put_u8(&mut self, v: u8) {
        self.buf.push(v);
    }

    /// A big-endian u16.
    pub fn put_u16(&mut self, v: u16) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    /// A big-endian 24-bit integer (the top byte of `v` is dropped).
    pub fn put_u24(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_be_bytes()[1..]);
    }

    /// A big-endian u32.
    pub fn put_u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    /// A big-endian u64.
    pub fn put_u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    /// Raw bytes.
    pub fn put_bytes(&mut self, v: &[u8]) {
        self.buf.extend_from_slice(v);
    }

    /// `opaque x<..>`: a length prefix then the bytes.
    pub fn put_vec(&mut self, prefix: LengthPrefix, v: &[u8]) {
        self.prefixed(prefix, |w| w.put_bytes(v));
    }

    /// Writes what `body` writes, preceded by its length in `prefix` bytes.
    /// Our own encoders never exceed a prefix's range; if one did, the
    /// length saturates rather than wrapping.
    pub fn prefixed(&mut self, prefix: LengthPrefix, body: impl FnOnce(&mut Writer<'_>)) {
        let at = self.buf.len();
        let size = prefix.size();
        self.buf.extend_from_slice(&[0u8; 3][..size]);
        body(&mut Writer::new(self.buf));
        let len = self.buf.len() - at - size;
        let max = (1usize << (8 * size)) - 1;
        let bytes = (len.min(max) as u32).to_be_bytes();
        if let Some(dst) = self.buf.get_mut(at..at + size) {
            dst.copy_from_slice(&bytes[4 - size..]);
        }
    }
}
