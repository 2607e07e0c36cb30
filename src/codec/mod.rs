//! The presentation language of RFC 8446 §3: integers and length-prefixed
//! vectors, read from untrusted bytes and written to a buffer.

mod reader;
mod writer;

pub use reader::Reader;
pub use writer::{LengthPrefix, Writer};

use std::fmt;

/// Why a wire structure failed to decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// The input ended inside a structure.
    Truncated,
    /// Bytes were left over after a structure that must fill its container.
    TrailingBytes,
    /// A vector's length was outside the bounds of its definition, or not a
    /// multiple of its element size.
    BadLength,
    /// The same extension appeared twice in one message (RFC 8446 §4.2).
    DuplicateExtension,
    /// A field held a value that its definition forbids.
    IllegalValue(&'static str),
    /// A message or structure exceeded a size cap that this implementation
    /// enforces to keep memory bounded.
    TooLarge,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Truncated => f.write_str("message truncated"),
            DecodeError::TrailingBytes => f.write_str("unexpected trailing bytes"),
            DecodeError::BadLength => f.write_str("length field out of range"),
            DecodeError::DuplicateExtension => f.write_str("duplicated extension"),
            DecodeError::IllegalValue(what) => write!(f, "illegal value: {what}"),
            DecodeError::TooLarge => f.write_str("structure larger than allowed"),
        }
    }
}

impl std::error::Error for DecodeError {}



/// A wire type that can be read from a [`Reader`] and written to a [`Writer`].
pub trait Codec: Sized {
    /// Appends the encoding of `self`.
    fn encode(&self, w: &mut Writer<'_>);

    /// Reads one value, leaving the reader after it.
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError>;

    /// The encoding of `self` as a new buffer.
    fn get_encoding(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut Writer::new(&mut out));
        out
    }

    /// Decodes a value that must fill `bytes` exactly.
    fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let v = Self::read(&mut r)?;
        r.finish()?;
        Ok(v)
    }
}

macro_rules! int_codec {
    ($t:ty, $read:ident, $put:ident) => {
        impl Codec for $t {
            fn encode(&self, w: &mut Writer<'_>) {
                w.$put(*self);
            }
            fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
                r.$read()
            }
        }
    };
}
int_codec!(u8, u8, put_u8);
int_codec!(u16, u16, put_u16);
int_codec!(u32, u32, put_u32);

/// Reads a vector `T items<min..max>` whose length prefix has `prefix`
/// bytes; `min` and `max` count bytes, as in RFC 8446 §3.4.
pub fn read_vec<T: Codec>(
    r: &mut Reader<'_>,
    prefix: LengthPrefix,
    min: usize,
    max: usize,
) -> Result<Vec<T>, DecodeError> {
    let body = r.vec_bytes(prefix, min, max)?;
    // Sized for items as large as T (the registries' two bytes): one
    // allocation for the usual list, bounded for the unusual one.
    let mut out = Vec::with_capacity((body.len() / std::mem::size_of::<T>().max(1)).min(256));
    let mut sub = Reader::new(body);
    while !sub.at_end() {
        out.push(T::read(&mut sub)?);
    }
    Ok(out)
}

/// Writes a vector of `items` behind a length prefix of `prefix` bytes.
pub fn write_vec<T: Codec>(w: &mut Writer<'_>, prefix: LengthPrefix, items: &[T]) {
    w.prefixed(prefix, |w| {
        for item in items {
            item.encode(w);
        }
    });
}

/// A DER element (X.690 §8.1): `tag`, the definite length of `body` in
/// its shortest form, then `body` (of at most 2^24-1 bytes: keys, names
/// and small structures, never a whole chain).
pub fn der_element(tag: u8, body: &[u8]) -> Vec<u8> {
    let len = body.len();
    let mut out = Vec::with_capacity(len + 5);
    out.push(tag);
    match len {
        0..=0x7f => out.push(len as u8),
        0x80..=0xff => out.extend_from_slice(&[0x81, len as u8]),
        0x100..=0xffff => out.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]),
        _ => out.extend_from_slice(&[0x83, (len >> 16) as u8, (len >> 8) as u8, len as u8]),
    }
    out.extend_from_slice(body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_lengths_take_their_shortest_form() {
        assert_eq!(der_element(0x04, &[]), [0x04, 0]);
        assert_eq!(der_element(0x30, &[1; 0x7f])[..2], [0x30, 0x7f]);
        assert_eq!(der_element(0x30, &[1; 0x80])[..3], [0x30, 0x81, 0x80]);
        assert_eq!(der_element(0x03, &[1; 0x100])[..4], [0x03, 0x82, 1, 0]);
        assert_eq!(
            der_element(0x03, &[1; 0x10000])[..5],
            [0x03, 0x83, 1, 0, 0]
        );
    }

    #[test]
    fn integers_round_trip() {
        let mut buf = Vec::new();
        let mut w = Writer::new(&mut buf);
        w.put_u8(0xab);
        w.put_u16(0x1234);
        w.put_u24(0x0a0b0c);
        w.put_u32(0xdeadbeef);
        assert_eq!(buf, hex::decode("ab12340a0b0cdeadbeef").unwrap());
        let mut r = Reader::new(&buf);
        assert_eq!(r.u8().unwrap(), 0xab);
        assert_eq!(r.u16().unwrap(), 0x1234);
        assert_eq!(r.u24().unwrap(), 0x0a0b0c);
        assert_eq!(r.u32().unwrap(), 0xdeadbeef);
        assert!(r.finish().is_ok());
        assert_eq!(r.u8(), Err(DecodeError::Truncated));
    }

    #[test]
    fn vectors_enforce_bounds() {
        // u16<2..6> with a two-element body
        let ok = hex::decode("000400010002").unwrap();
        let v: Vec<u16> = read_vec(&mut Reader::new(&ok), LengthPrefix::U16, 2, 6).unwrap();
        assert_eq!(v, vec![1, 2]);
        let mut out = Vec::new();
        write_vec(&mut Writer::new(&mut out), LengthPrefix::U16, &v);
        assert_eq!(out, ok);

        let too_short = hex::decode("0000").unwrap();
        assert_eq!(
            read_vec::<u16>(&mut Reader::new(&too_short), LengthPrefix::U16, 2, 6),
            Err(DecodeError::BadLength)
        );
        let too_long = hex::decode("000800010002000300040005").unwrap();
        assert_eq!(
            read_vec::<u16>(&mut Reader::new(&too_long), LengthPrefix::U16, 2, 6),
            Err(DecodeError::BadLength)
        );
        let odd = hex::decode("0003000100").unwrap();
        assert_eq!(
            read_vec::<u16>(&mut Reader::new(&odd), LengthPrefix::U16, 2, 6),
            Err(DecodeError::Truncated)
        );
        let overrun = hex::decode("00060001").unwrap();
        assert_eq!(
            read_vec::<u16>(&mut Reader::new(&overrun), LengthPrefix::U16, 0, 100),
            Err(DecodeError::Truncated)
        );
    }

    #[test]
    fn trailing_bytes_are_rejected() {
        assert_eq!(u16::decode(&[0, 1, 2]), Err(DecodeError::TrailingBytes));
        assert_eq!(u16::decode(&[0]), Err(DecodeError::Truncated));
        assert_eq!(u16::decode(&[0, 7]), Ok(7));
    }

    #[test]
    fn nested_prefixes_backfill() {
        let mut out = Vec::new();
        let mut w = Writer::new(&mut out);
        w.prefixed(LengthPrefix::U24, |w| {
            w.prefixed(LengthPrefix::U8, |w| w.put_bytes(b"abc"));
            w.prefixed(LengthPrefix::U16, |_| {});
        });
        assert_eq!(
            out,
            hex::decode("00000603616263 0000".replace(' ', "")).unwrap()
        );
    }
}
