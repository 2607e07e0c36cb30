use super::LengthPrefix;
use super::DecodeError;

/// A cursor over untrusted bytes. Every read is checked; none can panic.
#[derive(Debug)]
pub struct Reader<'a> {
    inner: untrusted::Reader<'a>,
}

impl<'a> Reader<'a> {
    /// A reader over `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader {
            inner: untrusted::Reader::new(untrusted::Input::from(bytes)),
        }
    }

    /// Whether every byte has been read.
    pub fn at_end(&self) -> bool {
        self.inner.at_end()
    }

    /// Succeeds only if every byte has been read.
    pub fn finish(&self) -> Result<(), DecodeError> {
        if self.at_end() {
            Ok(())
        } else {
            Err(DecodeError::TrailingBytes)
        }
    }

    /// The next `n` bytes.
    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        self.inner
            .read_bytes(n)
            .map(|i| i.as_slice_less_safe())
            .map_err(|_| DecodeError::Truncated)
    }

    /// The next `N` bytes as an array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.bytes(N)?);
        Ok(out)
    }

    /// Every byte not yet read.
    pub fn rest(&mut self) -> &'a [u8] {
        self.inner.read_bytes_to_end().as_slice_less_safe()
    }

    /// One byte.
    pub fn u8(&mut self) -> Result<u8, DecodeError> {
        self.inner.read_byte().map_err(|_| DecodeError::Truncated)
    }

    /// A big-endian u16.
    pub fn u16(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    /// A big-endian 24-bit integer.
    pub fn u24(&mut self) -> Result<u32, DecodeError> {
        let [a, b, c] = self.array()?;
        Ok(u32::from_be_bytes([0, a, b, c]))
    }

    /// A big-endian u32.
    pub fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    /// A big-endian u64.
    pub fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    /// Reads a length of `prefix` bytes.
    pub fn length(&mut self, prefix: LengthPrefix) -> Result<usize, DecodeError> {
        Ok(match prefix {
            LengthPrefix::U8 => usize::from(self.u8()?),
            LengthPrefix::U16 => usize::from(self.u16()?),
            LengthPrefix::U24 => self.u24()? as usize,
        })
    }

    /// Reads `opaque x<min..max>`: a length prefix, checked against the
    /// bounds, then that many bytes.
    pub fn vec_bytes(
        &mut self,
        prefix: LengthPrefix,
        min: usize,
        max: usize,
    ) -> Result<&'a [u8], DecodeError> {
        let len = self.length(prefix)?;
        if len < min || len > max {
            return Err(DecodeError::BadLength);
        }
        self.bytes(len)
    }

    /// Like [`Reader::vec_bytes`], returning a reader over the body.
    pub fn sub(
        &mut self,
        prefix: LengthPrefix,
        min: usize,
        max: usize,
    ) -> Result<Reader<'a>, DecodeError> {
        self.vec_bytes(prefix, min, max).map(Reader::new)
    }
}
