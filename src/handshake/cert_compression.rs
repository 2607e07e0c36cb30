//! Certificate compression (RFC 8879) in the TLS 1.3 handshake: what a
//! Certificate goes out as, and what a received one comes in as.

use crate::codec::Writer;
use crate::config::CompressionCache;
use crate::crypto::compress::{decompress, DecompressError};
use crate::error::Error;
use crate::msgs::enums::{
    AlertDescription, CertificateCompressionAlgorithm as Alg, HandshakeType, ProtocolVersion,
};
use crate::msgs::extensions::Extension;
use crate::msgs::handshake::{
    Certificate13, CompressedCertificate, HandshakeMessage, HandshakePayload, MAX_HANDSHAKE_MESSAGE,
};

/// The algorithms a ClientHello's or CertificateRequest's
/// compress_certificate lists (none without it).
pub(crate) fn offered(extensions: &[Extension]) -> &[Alg] {
    extensions
        .iter()
        .find_map(|e| match e {
            Extension::CompressCertificate(a) => Some(a.as_slice()),
            _ => None,
        })
        .unwrap_or_default()
}

/// What `certificate` goes out as: a CompressedCertificate with the first
/// of `ours` that the peer offered, compressed once per configuration
/// (`cache`), or the Certificate itself.
pub(crate) fn outgoing(
    certificate: Certificate13,
    ours: &[Alg],
    theirs: &[Alg],
    cache: &CompressionCache,
) -> HandshakePayload {
    let payload = HandshakePayload::Certificate13(certificate);
    let Some(alg) = ours.iter().copied().find(|a| theirs.contains(a)) else {
        return payload;
    };
    // RFC 8879 §4: the body of the Certificate message is compressed.
    let mut body = Vec::new();
    HandshakeMessage::new(payload.clone()).encode(&mut Writer::new(&mut body));
    let body = body.get(4..).unwrap_or_default();
    match (cache.get(alg, body), u32::try_from(body.len())) {
        (Some(compressed), Ok(len)) => {
            HandshakePayload::CompressedCertificate(CompressedCertificate {
                algorithm: alg,
                uncompressed_length: len,
                compressed: compressed.to_vec(),
            })
        }
        _ => payload,
    }
}

/// The Certificate in `payload`: as it came, or decompressed when it came
/// compressed with an algorithm we offered (`offered`).
pub(crate) fn incoming(payload: HandshakePayload, offered: &[Alg]) -> Result<Certificate13, Error> {
    let cc = match payload {
        HandshakePayload::Certificate13(c) => return Ok(c),
        HandshakePayload::CompressedCertificate(cc) => cc,
        _ => return Err(Error::Internal("the table let through another message")),
    };
    // RFC 8879 §4: one of the algorithms the peer's extension listed.
    if !offered.contains(&cc.algorithm) {
        return Err(Error::peer(
            AlertDescription::ILLEGAL_PARAMETER,
            format!(
                "a certificate compressed with {:?}, which we did not offer",
                cc.algorithm
            ),
        ));
    }
    let len = usize::try_from(cc.uncompressed_length).unwrap_or(usize::MAX);
    // RFC 8879 §4: what does not decompress, or not to the stated
    // length, is bad_certificate.
    let body =
        decompress(cc.algorithm, &cc.compressed, len, MAX_HANDSHAKE_MESSAGE).map_err(|e| {
            Error::peer(
                AlertDescription::BAD_CERTIFICATE,
                format!(
                    "a {:?}-compressed certificate of {len} bytes {}",
                    cc.algorithm,
                    match e {
                        DecompressError::Length =>
                            "is too long, or not that long once decompressed",
                        DecompressError::Corrupt => "does not decompress",
                        DecompressError::Unsupported => "uses an algorithm this build lacks",
                    }
                ),
            )
        })?;
    let msg =
        HandshakeMessage::decode_body(HandshakeType::CERTIFICATE, &body, ProtocolVersion::TLSV1_3)
            .map_err(|e| Error::decode("a decompressed Certificate", e))?;
    match msg.payload {
        HandshakePayload::Certificate13(c) => Ok(c),
        _ => Err(Error::Internal("a Certificate decoded as another message")),
    }
}
