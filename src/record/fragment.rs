use super::{HEADER_LEN, MAX_FRAGMENT_LEN};
use crate::msgs::enums::{ContentType, ProtocolVersion};

/// Splits `data` into fragments of at most `max` bytes (clamped to
/// 1..=2^14). Empty data gives no fragment.
pub fn fragments(data: &[u8], max: usize) -> std::slice::Chunks<'_, u8> {
    data.chunks(max.clamp(1, MAX_FRAGMENT_LEN))
}

/// Appends an unprotected record holding `fragment` (at most 2^14 bytes).
pub fn write_plaintext_record(
    typ: ContentType,
    version: ProtocolVersion,
    fragment: &[u8],
    out: &mut Vec<u8>,
) {
    out.reserve(HEADER_LEN + fragment.len());
    out.push(typ.0);
    out.extend_from_slice(&version.0.to_be_bytes());
    out.extend_from_slice(&(fragment.len().min(MAX_FRAGMENT_LEN) as u16).to_be_bytes());
    out.extend_from_slice(&fragment[..fragment.len().min(MAX_FRAGMENT_LEN)]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_respect_the_limit() {
        let data = vec![1u8; 40000];
        let sizes: Vec<usize> = fragments(&data, 1 << 20).map(|f| f.len()).collect();
        assert_eq!(sizes, vec![16384, 16384, 7232]);
        let sizes: Vec<usize> = fragments(&data[..10], 4).map(|f| f.len()).collect();
        assert_eq!(sizes, vec![4, 4, 2]);
        assert_eq!(fragments(&[], 100).count(), 0);
        let mut out = Vec::new();
        write_plaintext_record(
            ContentType::HANDSHAKE,
            ProtocolVersion::TLSV1_2,
            b"ab",
            &mut out,
        );
        assert_eq!(out, [22, 3, 3, 0, 2, b'a', b'b']);
    }
}
