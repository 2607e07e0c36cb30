//! Secret bytes that zero themselves.

use std::fmt;

/// Secrets up to this size (every TLS 1.3 secret, a TLS 1.2 master
/// secret, an (EC)DH shared secret) live inline, with no heap allocation;
/// longer ones (a TLS 1.2 key block) go to the heap.
const INLINE: usize = 64;

#[derive(Clone)]
enum Repr {
    Inline { buf: [u8; INLINE], len: u8 },
    Heap(Vec<u8>),
}

/// Secret bytes: zeroed when dropped, never printed by `Debug`.
#[derive(Clone)]
pub struct Secret(Repr);

impl Secret {
    /// Takes ownership of `bytes` (which are zeroed if they are copied
    /// inline).
    pub fn new(mut bytes: Vec<u8>) -> Self {
        if bytes.len() <= INLINE {
            let s = Secret::from_slice(&bytes);
            wipe(&mut bytes);
            s
        } else {
            Secret(Repr::Heap(bytes))
        }
    }

    /// A copy of `bytes`.
    pub fn from_slice(bytes: &[u8]) -> Self {
        let mut s = Secret::zeroed(bytes.len());
        s.as_mut_bytes().copy_from_slice(bytes);
        s
    }

    /// `len` zero bytes, to be filled in place.
    pub(crate) fn zeroed(len: usize) -> Self {
        match u8::try_from(len) {
            Ok(l) if len <= INLINE => Secret(Repr::Inline {
                buf: [0; INLINE],
                len: l,
            }),
            _ => Secret(Repr::Heap(vec![0; len])),
        }
    }

    /// The secret's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline { buf, len } => buf.get(..usize::from(*len)).unwrap_or_default(),
            Repr::Heap(v) => v,
        }
    }

    pub(crate) fn as_mut_bytes(&mut self) -> &mut [u8] {
        match &mut self.0 {
            Repr::Inline { buf, len } => buf.get_mut(..usize::from(*len)).unwrap_or_default(),
            Repr::Heap(v) => v,
        }
    }

    /// The number of bytes.
    pub fn len(&self) -> usize {
        self.as_bytes().len()
    }

    /// Whether the secret is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Secret) -> bool {
        super::hash::constant_time_eq(self.as_bytes(), other.as_bytes())
    }
}

impl Eq for Secret {}

fn wipe(bytes: &mut [u8]) {
    for b in bytes.iter_mut() {
        *b = 0;
    }
    // Keep the stores above from being optimised away.
    std::hint::black_box(bytes);
}

impl Drop for Secret {
    fn drop(&mut self) {
        match &mut self.0 {
            Repr::Inline { buf, .. } => wipe(buf),
            Repr::Heap(v) => wipe(v),
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({} bytes)", self.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_and_heap_secrets_hold_their_bytes() {
        for len in [0, 1, 32, 48, INLINE, INLINE + 1, 300] {
            let bytes: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let a = Secret::new(bytes.clone());
            let b = Secret::from_slice(&bytes);
            assert_eq!(a.as_bytes(), &bytes[..]);
            assert_eq!(a, b);
            assert_eq!(a.len(), len);
            assert_eq!(a.clone().as_bytes(), &bytes[..]);
        }
        assert_ne!(Secret::from_slice(&[1]), Secret::from_slice(&[2]));
        assert_eq!(
            format!("{:?}", Secret::from_slice(&[9; 5])),
            "Secret(5 bytes)"
        );
    }
}
