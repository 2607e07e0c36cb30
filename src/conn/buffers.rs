//! The connection's buffers: received plaintext waiting for the caller,
//! and the bytes waiting to go to the network.

/// Received plaintext waiting for [`super::Connection::recv`]: a buffer
/// read from the front, compacted as it empties.
#[derive(Debug, Default)]
pub(super) struct PlainBuffer {
    buf: Vec<u8>,
    start: usize,
}

impl PlainBuffer {
    pub(super) fn len(&self) -> usize {
        self.buf.len() - self.start
    }

    pub(super) fn extend(&mut self, data: &[u8]) {
        if self.start > 0 && self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
        self.buf.extend_from_slice(data);
    }

    pub(super) fn chunk(&self) -> &[u8] {
        self.buf.get(self.start..).unwrap_or_default()
    }

    pub(super) fn read_into(&mut self, out: &mut [u8]) -> usize {
        let chunk = self.chunk();
        let n = out.len().min(chunk.len());
        out[..n].copy_from_slice(&chunk[..n]);
        self.consume(n);
        n
    }

    /// Marks `n` bytes as read; the buffer is compacted once its read part
    /// is large, so that it never holds more than the receive limit twice.
    pub(super) fn consume(&mut self, n: usize) {
        self.start += n.min(self.len());
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        } else if self.start >= super::RECEIVE_LIMIT {
            self.buf.drain(..self.start);
            self.start = 0;
        }
    }
}

/// Bytes for the network: appended at the back, taken from the front.
#[derive(Debug, Default)]
pub(super) struct OutBuffer {
    buf: Vec<u8>,
    start: usize,
}

impl OutBuffer {
    /// Where records are written.
    pub(super) fn vec(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }

    /// What waits to be written.
    pub(super) fn pending(&self) -> &[u8] {
        self.buf.get(self.start..).unwrap_or_default()
    }

    pub(super) fn len(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Marks `n` bytes as written; true once nothing waits.
    pub(super) fn consume(&mut self, n: usize) -> bool {
        self.start = (self.start + n).min(self.buf.len());
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
            return true;
        }
        false
    }

    /// Gives back the buffer's memory (it is empty).
    pub(super) fn release(&mut self) {
        self.buf = Vec::new();
        self.start = 0;
    }
}
