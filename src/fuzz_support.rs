//! Entry points shared by the fuzz targets in `fuzz/` and by the test that
//! replays their corpus, so that both run exactly the same code.

use crate::codec::{Codec, Reader};
use crate::msgs::alert::Alert;
use crate::msgs::enums::{ExtensionType, ProtocolVersion};
use crate::msgs::extensions::{Extension, ExtensionContext};
use crate::msgs::handshake::HandshakeMessage;
use crate::record::{Deframer, HandshakeJoiner};

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

/// Decodes `data` as a handshake message, an extension, an alert or a
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
            match HandshakeMessage::decode(body, version) {
                Ok(m) => HandshakeMessage::decode(&m.encoding(), version).as_ref() == Ok(&m),
                Err(_) => true,
            }
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
                    e.encode(&mut crate::codec::Writer::new(&mut out));
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
            crate::verify::certinfo::summarize(body),
            crate::verify::certinfo::validity(body),
        ) {
            (Some(s), Some((not_before, not_after))) => {
                crate::verify::format_unix_time(not_before) == s.not_before
                    && crate::verify::format_unix_time(not_after) == s.not_after
            }
            _ => true,
        },
    }
}

/// Feeds `data` (after a first byte that sets the chunk size) to `conn` as
/// the peer's bytes, throwing away what it writes, and reads whatever
/// plaintext arrives. Returns the bytes it wrote.
fn drive(conn: &mut crate::conn::Connection, data: &[u8]) -> usize {
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
                Ok(0) => {
                    // Full of plaintext: read some, then go on.
                    if conn.recv(&mut sink).unwrap_or(0) == 0 {
                        return written;
                    }
                }
                Ok(n) => piece = &piece[n..],
                Err(_) => return written + conn.pending_tls().len(),
            }
        }
        while conn.recv(&mut sink).unwrap_or(0) > 0 {}
        let n = conn.pending_tls().len();
        written += n;
        conn.consume_tls(n);
    }
    if !conn.is_handshaking() {
        let _ = conn.send(b"fuzz");
        let _ = conn.key_update(true);
        conn.close();
        written += conn.pending_tls().len();
    }
    written
}

/// A deterministic client (see [`crate::danger::fuzzing`]) fed `data` as
/// the server's bytes.
pub fn client(data: &[u8]) -> usize {
    let Ok(config) = crate::danger::fuzzing::client_config() else {
        return 0;
    };
    match crate::conn::ClientConnection::new(config, "localhost") {
        Ok(mut c) => drive(&mut c, data),
        Err(_) => 0,
    }
}

/// A deterministic server (see [`crate::danger::fuzzing`]) fed `data` as
/// the client's bytes.
pub fn server(data: &[u8]) -> usize {
    let Ok(config) = crate::danger::fuzzing::server_config() else {
        return 0;
    };
    match crate::conn::ServerConnection::new(config) {
        Ok(mut s) => drive(&mut s, data),
        Err(_) => 0,
    }
}
