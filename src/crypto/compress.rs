//! Certificate compression algorithms (RFC 8879): zlib, brotli and zstd,
//! each behind a cargo feature (all on by default). Decompression is
//! bounded: by the length the peer states, by a cap on a chain's size, and
//! in the memory each decoder may ask for (a zstd window, a brotli ring
//! buffer), so that a small malicious input cannot make us allocate much.

use crate::msgs::enums::CertificateCompressionAlgorithm as Alg;
#[cfg(any(feature = "zlib", feature = "brotli", feature = "zstd"))]
use std::io::{Read, Write};

/// The algorithms compiled in, in our order of preference.
pub fn supported() -> Vec<Alg> {
    [
        (cfg!(feature = "zstd"), Alg::ZSTD),
        (cfg!(feature = "brotli"), Alg::BROTLI),
        (cfg!(feature = "zlib"), Alg::ZLIB),
    ]
    .into_iter()
    .filter_map(|(on, a)| on.then_some(a))
    .collect()
}

/// The most memory a decoder may use beyond its output.
#[cfg(any(feature = "brotli", feature = "zstd"))]
const DECODER_MEMORY: usize = 1 << 20;

/// Why a decompression failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecompressError {
    /// An algorithm this build does not have.
    Unsupported,
    /// The stated length is over the cap, or the output is longer or
    /// shorter than stated.
    Length,
    /// The input is not a valid stream, or asks for more memory than the
    /// decoders are given (1 MiB).
    Corrupt,
}

/// `data` compressed with `alg`, if this build has it.
pub fn compress(alg: Alg, data: &[u8]) -> Option<Vec<u8>> {
    match alg {
        #[cfg(feature = "zlib")]
        Alg::ZLIB => {
            let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
            e.write_all(data).ok()?;
            e.finish().ok()
        }
        #[cfg(feature = "brotli")]
        Alg::BROTLI => {
            let mut out = Vec::new();
            let params = brotli::enc::BrotliEncoderParams {
                quality: 11,
                // A window no larger than the chain needs: the peer's
                // decoder then needs no more memory than that.
                lgwin: 18,
                ..Default::default()
            };
            brotli::BrotliCompress(&mut &data[..], &mut out, &params).ok()?;
            Some(out)
        }
        #[cfg(feature = "zstd")]
        Alg::ZSTD => Some(ruzstd::encoding::compress_to_vec(
            data,
            ruzstd::encoding::CompressionLevel::Fastest,
        )),
        _ => {
            let _ = data;
            None
        }
    }
}

/// `data` decompressed with `alg` into exactly `expected` bytes, at most
/// `cap`.
pub fn decompress(
    alg: Alg,
    data: &[u8],
    expected: usize,
    cap: usize,
) -> Result<Vec<u8>, DecompressError> {
    if expected > cap {
        return Err(DecompressError::Length);
    }
    // Without any algorithm compiled in, the inputs go unused.
    let _ = (data, expected);
    match alg {
        #[cfg(feature = "zlib")]
        Alg::ZLIB => read_bounded(flate2::read::ZlibDecoder::new(data), expected),
        #[cfg(feature = "brotli")]
        Alg::BROTLI => brotli_bounded(data, expected),
        #[cfg(feature = "zstd")]
        Alg::ZSTD => {
            if zstd_window(data).is_none_or(|w| w > DECODER_MEMORY as u64) {
                return Err(DecompressError::Corrupt);
            }
            let decoder = ruzstd::decoding::StreamingDecoder::new(data)
                .map_err(|_| DecompressError::Corrupt)?;
            read_bounded(decoder, expected)
        }
        _ => Err(DecompressError::Unsupported),
    }
}

/// Reads `r` to its end, failing as soon as it gives more than `expected`
/// bytes, and if it gives fewer.
#[cfg(any(feature = "zlib", feature = "zstd"))]
fn read_bounded(r: impl Read, expected: usize) -> Result<Vec<u8>, DecompressError> {
    let mut out = Vec::with_capacity(expected);
    r.take(expected as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|_| DecompressError::Corrupt)?;
    if out.len() != expected {
        return Err(DecompressError::Length);
    }
    Ok(out)
}

/// The window a zstd frame asks for (RFC 8878 §3.1.1.1.2), from its
/// header: the decoder allocates it up front, so it is checked first.
#[cfg(feature = "zstd")]
fn zstd_window(frame: &[u8]) -> Option<u64> {
    // Magic number, then the Frame_Header_Descriptor.
    let rest = frame.strip_prefix(&[0x28, 0xb5, 0x2f, 0xfd])?;
    let descriptor = *rest.first()?;
    let single_segment = descriptor & 0x20 != 0;
    let dict_id_len = [0usize, 1, 2, 4][usize::from(descriptor & 3)];
    let fcs_len = match (descriptor >> 6, single_segment) {
        (0, true) => 1,
        (0, false) => 0,
        (1, _) => 2,
        (2, _) => 4,
        _ => 8,
    };
    if !single_segment {
        // Window_Descriptor: Exponent (5 bits) and Mantissa (3 bits).
        let w = *rest.get(1)?;
        let log = 10 + u64::from(w >> 3);
        let base = 1u64.checked_shl(log as u32)?;
        return Some(base + (base / 8) * u64::from(w & 7));
    }
    // A single segment: the window is the content size.
    let at = 1 + dict_id_len;
    let bytes = rest.get(at..at + fcs_len)?;
    let mut size = 0u64;
    for (i, b) in bytes.iter().enumerate() {
        size |= u64::from(*b) << (8 * i);
    }
    if fcs_len == 2 {
        size += 256;
    }
    Some(size)
}

/// Brotli with a memory budget: its ring buffer (up to 16 MiB for the
/// largest window) is refused beyond [`DECODER_MEMORY`], and the output is
/// bounded by `expected`.
#[cfg(feature = "brotli")]
fn brotli_bounded(data: &[u8], expected: usize) -> Result<Vec<u8>, DecompressError> {
    use std::cell::Cell;
    use std::rc::Rc;
    let budget = Rc::new(Cell::new(DECODER_MEMORY));
    let mut out = Bounded {
        buf: Vec::with_capacity(expected),
        limit: expected,
        over: false,
    };
    let (mut input_buf, mut output_buf) = (vec![0u8; 4096], vec![0u8; 4096]);
    brotli::BrotliDecompressCustomAlloc(
        &mut &data[..],
        &mut out,
        &mut input_buf,
        &mut output_buf,
        Budget::<u8>::new(budget.clone()),
        Budget::<u32>::new(budget.clone()),
        Budget::<brotli::HuffmanCode>::new(budget),
    )
    .map_err(|_| match out.over {
        true => DecompressError::Length,
        false => DecompressError::Corrupt,
    })?;
    if out.buf.len() != expected {
        return Err(DecompressError::Length);
    }
    Ok(out.buf)
}

/// A writer that refuses to grow past `limit`.
#[cfg(feature = "brotli")]
struct Bounded {
    buf: Vec<u8>,
    limit: usize,
    over: bool,
}

#[cfg(feature = "brotli")]
impl Write for Bounded {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.buf.len() + data.len() > self.limit {
            self.over = true;
            return Err(std::io::Error::other("longer than stated"));
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// An allocator for the brotli decoder that hands out memory from a
/// shared budget and an empty block (which the decoder reports as an
/// error) past it.
#[cfg(feature = "brotli")]
struct Budget<T: Clone + Default> {
    heap: brotli::HeapAlloc<T>,
    left: std::rc::Rc<std::cell::Cell<usize>>,
}

#[cfg(feature = "brotli")]
impl<T: Clone + Default> Budget<T> {
    fn new(left: std::rc::Rc<std::cell::Cell<usize>>) -> Self {
        Budget {
            heap: brotli::HeapAlloc::default(),
            left,
        }
    }
}

#[cfg(feature = "brotli")]
impl<T: Clone + Default> brotli::Allocator<T> for Budget<T> {
    type AllocatedMemory = <brotli::HeapAlloc<T> as brotli::Allocator<T>>::AllocatedMemory;

    fn alloc_cell(&mut self, len: usize) -> Self::AllocatedMemory {
        let bytes = len.saturating_mul(std::mem::size_of::<T>());
        if bytes > self.left.get() {
            return Self::AllocatedMemory::default();
        }
        self.left.set(self.left.get() - bytes);
        self.heap.alloc_cell(len)
    }

    fn free_cell(&mut self, data: Self::AllocatedMemory) {
        use brotli::SliceWrapper;
        let bytes = data.slice().len().saturating_mul(std::mem::size_of::<T>());
        self.left.set(self.left.get().saturating_add(bytes));
        self.heap.free_cell(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain() -> Vec<u8> {
        // Something certificate-like: repetitive DER with some noise.
        (0..6000u32)
            .map(|i| {
                if i % 7 == 0 {
                    (i * 31 % 251) as u8
                } else {
                    0x30
                }
            })
            .collect()
    }

    #[test]
    fn every_algorithm_round_trips_and_shrinks() {
        let data = chain();
        for alg in supported() {
            let c = compress(alg, &data).unwrap();
            assert!(c.len() < data.len() / 2, "{alg:?}: {}", c.len());
            assert_eq!(decompress(alg, &c, data.len(), 1 << 20).unwrap(), data);
            // The wrong length, either way, is refused.
            assert_eq!(
                decompress(alg, &c, data.len() - 1, 1 << 20),
                Err(DecompressError::Length),
                "{alg:?}"
            );
            assert_eq!(
                decompress(alg, &c, data.len() + 1, 1 << 20),
                Err(DecompressError::Length),
                "{alg:?}"
            );
            // So is a stated length over the cap, before any work.
            assert_eq!(
                decompress(alg, &c, data.len(), data.len() - 1),
                Err(DecompressError::Length)
            );
            // And garbage.
            assert!(decompress(alg, &[1, 2, 3, 4, 5], 10, 100).is_err());
        }
    }

    #[test]
    fn a_bomb_is_refused_without_expanding_it() {
        // 2 MiB of zeros compresses to a few kilobytes.
        let zeros = vec![0u8; 2 << 20];
        for alg in supported() {
            let bomb = compress(alg, &zeros).unwrap();
            assert!(bomb.len() < 100_000, "{alg:?}: {}", bomb.len());
            // Stated honestly, it is over the cap.
            assert_eq!(
                decompress(alg, &bomb, zeros.len(), 1 << 16),
                Err(DecompressError::Length)
            );
            // Stated small, the output stops at the stated length.
            assert!(decompress(alg, &bomb, 1000, 1 << 16).is_err(), "{alg:?}");
        }
    }

    #[cfg(feature = "zstd")]
    #[test]
    fn a_zstd_window_beyond_the_budget_is_refused_before_decoding() {
        // Magic, descriptor (no single segment), window 2^(10+20) = 1 GiB.
        let frame = [0x28, 0xb5, 0x2f, 0xfd, 0x00, 20 << 3, 0, 0, 0];
        assert_eq!(zstd_window(&frame), Some(1 << 30));
        assert_eq!(
            decompress(Alg::ZSTD, &frame, 10, 100),
            Err(DecompressError::Corrupt)
        );
    }

    #[cfg(feature = "brotli")]
    #[test]
    fn a_brotli_window_beyond_the_budget_is_refused() {
        // A 16 MiB window (WBITS 24) over a stream of zeros whose single
        // meta-block says it is 4 MiB long.
        let zeros = vec![0u8; 4 << 20];
        let mut big = Vec::new();
        let params = brotli::enc::BrotliEncoderParams {
            lgwin: 24,
            quality: 1,
            ..Default::default()
        };
        brotli::BrotliCompress(&mut &zeros[..], &mut big, &params).unwrap();
        assert!(decompress(Alg::BROTLI, &big, 60_000, 1 << 16).is_err());
    }
}
