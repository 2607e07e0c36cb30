//! Entry points shared by the fuzz targets in `fuzz/` and by the test that
//! replays their corpus, so that both run exactly the same code.

use cloaktls::codec::{Codec, Reader};
use cloaktls::conn::{Connection, Intake, Received};
use cloaktls::msgs::alert::Alert;
use cloaktls::msgs::enums::{CertificateType, ExtensionType, ProtocolVersion};
use cloaktls::msgs::extensions::{Extension, ExtensionContext};
use cloaktls::msgs::handshake::HandshakeMessage;
use cloaktls::record::{Deframer, HandshakeJoiner};

const CONTEXTS: [ExtensionContext; 7] = [
    ExtensionContext::ClientHello,
    ExtensionContext::ServerHello,
    ExtensionContext::HelloRetryRequest,
    ExtensionContext::EncryptedExtensions,
    ExtensionContext::Certificate,
    ExtensionContext::CertificateRequest,
    ExtensionContext::NewSessionTicket,
];

/// Feeds `data` to a deframer in chunks whose sizes come from the data's
/// first byte, then every handshake record through a joiner and every
/// message through the decoder. Returns the number of records seen.
pub fn deframer(data: &[u8]) -> usize {
    let Some((&first, stream)) = data.split_first() else {
        return 0;
    };
    let chunk = usize::from(first).max(1);
    let mut d = Deframer::new();
    let mut j = HandshakeJoiner::default();
    let mut records = 0;
    let mut offset = 0;
    while offset < stream.len() {
        let end = (offset + chunk).min(stream.len());
        let taken = d.read(&stream[offset..end]);
        loop {
            match d.next_record() {
                Ok(Some(r)) => {
                    records += 1;
                    if r.typ.0 == 22 && j.push(r.payload).is_err() {
                        return records;
                    }
                }
                Ok(None) => break,
                Err(_) => return records,
            }
            while let Ok(Some(m)) = j.next_message() {
                let _ = HandshakeMessage::decode(&m, ProtocolVersion::TLSV1_3);
                let _ = HandshakeMessage::decode(&m, ProtocolVersion::TLSV1_2);
            }
        }
        if taken == 0 {
            // Cannot happen while records are bounded below the deframer's
            // capacity, but never loop forever.
            return records;
        }
        offset += taken;
    }
    records
}

/// Decodes `data` as a handshake message (a TLS 1.2 Certificate in both
/// its X.509 and its raw public key form), an extension, an alert or a
/// certificate's dates, chosen by its first byte, and checks that what decodes re-encodes to
/// something that decodes to the same value. Returns `false` if that
/// property fails (a bug), `true` otherwise.
pub fn message(data: &[u8]) -> bool {
    let Some((&selector, body)) = data.split_first() else {
        return true;
    };
    match selector % 5 {
        0 | 1 => {
            let version = if selector % 5 == 0 {
                ProtocolVersion::TLSV1_3
            } else {
                ProtocolVersion::TLSV1_2
            };
            // A TLS 1.2 Certificate has a form for each certificate type
            // (RFC 7250 §3); each decoding must round-trip.
            let types: &[CertificateType] = match version {
                ProtocolVersion::TLSV1_2 => &[CertificateType::X509, CertificateType::RAW_PUBLIC_KEY],
                _ => &[CertificateType::X509],
            };
            types.iter().all(|t| match HandshakeMessage::decode_for(body, version, *t) {
                Ok(m) => {
                    HandshakeMessage::decode_for(&m.encoding(), version, *t).as_ref() == Ok(&m)
                }
                Err(_) => true,
            })
        }
        2 => {
            let ctx = CONTEXTS[usize::from(selector / 5) % CONTEXTS.len()];
            let mut r = Reader::new(body);
            let Ok(typ) = ExtensionType::read(&mut r) else {
                return true;
            };
            match Extension::decode_body(typ, r.rest(), ctx) {
                Ok(e) => {
                    let mut out = Vec::new();
                    e.encode(&mut cloaktls::codec::Writer::new(&mut out));
                    let mut r = Reader::new(&out);
                    Extension::read(&mut r, ctx).as_ref() == Ok(&e)
                }
                Err(_) => true,
            }
        }
        3 => match Alert::decode(body) {
            Ok(a) => Alert::decode(&a.get_encoding()) == Ok(a),
            Err(_) => true,
        },
        // A certificate's summary and validity, read by our own DER walk:
        // where both read, they must agree on the dates.
        _ => match (
            cloaktls::verify::certinfo::summarize(body),
            cloaktls::verify::certinfo::validity(body),
        ) {
            (Some(s), Some((not_before, not_after))) => {
                cloaktls::verify::format_unix_time(not_before) == s.not_before
                    && cloaktls::verify::format_unix_time(not_after) == s.not_after
            }
            _ => true,
        },
    }
}

/// Feeds `data` (after a first byte that sets the chunk size) to `conn` as
/// the peer's bytes, throwing away what it writes, and reads whatever
/// plaintext arrives. Returns the bytes it wrote.
fn drive(conn: &mut Connection, data: &[u8]) -> usize {
    let Some((&first, stream)) = data.split_first() else {
        return 0;
    };
    let chunk = usize::from(first).max(1);
    let mut written = conn.pending_tls().len();
    conn.consume_tls(written);
    let mut sink = [0u8; 4096];
    for piece in stream.chunks(chunk) {
        let mut piece = piece;
        while !piece.is_empty() {
            match conn.read_tls(piece) {
                Ok(Intake::All) => piece = &[],
                Ok(Intake::Blocked { taken }) => {
                    piece = &piece[taken..];
                    // Full of plaintext: read some, then go on.
                    if !matches!(conn.recv(&mut sink), Ok(Received::Data(n)) if n > 0) {
                        return written;
                    }
                }
                Err(_) => return written + conn.pending_tls().len(),
            }
        }
        while matches!(conn.recv(&mut sink), Ok(Received::Data(n)) if n > 0) {}
        let n = conn.pending_tls().len();
        written += n;
        conn.consume_tls(n);
    }
    if !conn.is_handshaking() {
        let _ = conn.send(b"fuzz");
        let _ = conn.key_update(true);
        let _ = conn.send_close_notify();
        written += conn.pending_tls().len();
    }
    conn.transport_eof();
    std::hint::black_box(conn.recv(&mut sink).is_err());
    written
}

/// A deterministic client (see [`crate::deterministic`]) fed `data` as
/// the server's bytes.
pub fn client(data: &[u8]) -> usize {
    let Ok(config) = crate::deterministic::client_config() else {
        return 0;
    };
    match cloaktls::conn::ClientConnection::new(config, "localhost") {
        Ok(mut c) => drive(&mut c, data),
        Err(_) => 0,
    }
}

/// A deterministic server (see [`crate::deterministic`]) fed `data` as
/// the client's bytes.
pub fn server(data: &[u8]) -> usize {
    let Ok(config) = crate::deterministic::server_config() else {
        return 0;
    };
    match cloaktls::conn::ServerConnection::new(config) {
        Ok(mut s) => drive(&mut s, data),
        Err(_) => 0,
    }
}

/// A deterministic client of raw public keys (RFC 7250; see
/// [`crate::deterministic::rpk_client_config`]), TLS 1.3 or 1.2, fed
/// `data` as the server's bytes.
pub fn client_rpk(data: &[u8]) -> usize {
    let versions = [ProtocolVersion::TLSV1_3, ProtocolVersion::TLSV1_2];
    let Ok(config) = crate::deterministic::rpk_client_config(&versions) else {
        return 0;
    };
    match cloaktls::conn::ClientConnection::new(config, "localhost") {
        Ok(mut c) => drive(&mut c, data),
        Err(_) => 0,
    }
}

/// A deterministic server with raw public keys (RFC 7250; see
/// [`crate::deterministic::rpk_server_config`]), TLS 1.3 or 1.2, fed
/// `data` as the client's bytes.
pub fn server_rpk(data: &[u8]) -> usize {
    let versions = [ProtocolVersion::TLSV1_3, ProtocolVersion::TLSV1_2];
    let Ok(config) = crate::deterministic::rpk_server_config(&versions) else {
        return 0;
    };
    match cloaktls::conn::ServerConnection::new(config) {
        Ok(mut s) => drive(&mut s, data),
        Err(_) => 0,
    }
}

/// Encrypted Client Hello's wire structures (RFC 9849), chosen by the first
/// byte: an ECHConfigList (decoded, re-encoded to the same bytes, and
/// looked over as a client would), an ECHClientHello (the same), or a
/// ClientHelloOuter body (after a two-byte length) and an
/// EncodedClientHelloInner, decoded as a server does and, if that works,
/// re-encoded to decode the same. Returns `false` if a round trip breaks
/// (a bug), `true` otherwise.
pub fn ech(data: &[u8]) -> bool {
    use cloaktls::msgs::ech::{decode_config_list, encode_config_list, EchClientHello};
    let Some((&selector, body)) = data.split_first() else {
        return true;
    };
    match selector % 3 {
        0 => {
            if let Ok(list) = cloaktls::config::EchConfigList::from_bytes(body) {
                std::hint::black_box((list.public_names(), list.is_usable()));
            }
            match decode_config_list(body) {
                Ok(list) => encode_config_list(&list) == body,
                Err(_) => true,
            }
        }
        1 => match EchClientHello::decode(body) {
            Ok(e) => e.encode() == body,
            Err(_) => true,
        },
        _ => {
            let Some((len, rest)) = body.split_first_chunk::<2>() else {
                return true;
            };
            let len = usize::from(u16::from_be_bytes(*len)).min(rest.len());
            let (outer, plaintext) = rest.split_at(len);
            let mut r = Reader::new(outer);
            let Ok(outer) = cloaktls::msgs::handshake::ClientHello::read_body(&mut r) else {
                return true;
            };
            match cloaktls::danger::replay::decode_ech_inner(plaintext, &outer) {
                Ok(inner) => {
                    let again = cloaktls::danger::replay::encode_ech_inner(&inner, &[], 0);
                    cloaktls::danger::replay::decode_ech_inner(&again, &outer).as_ref()
                        == Ok(&inner)
                }
                Err(_) => true,
            }
        }
    }
}
