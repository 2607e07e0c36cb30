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
                ProtocolVersion::TLSV1_2 => {
                    &[CertificateType::X509, CertificateType::RAW_PUBLIC_KEY]
                }
                _ => &[CertificateType::X509],
            };
            types
                .iter()
                .all(|t| match HandshakeMessage::decode_for(body, version, *t) {
                    Ok(m) => {
                        HandshakeMessage::decode_for(&m.encoding(), version, *t).as_ref() == Ok(&m)
                            && decompresses_exactly(&m.payload)
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

/// A CompressedCertificate (RFC 8879 §4) is decompressed as a handshake
/// would, bounded by its stated length and the chain cap: what comes out
/// is exactly the stated length (false otherwise: a bug), and it is read
/// as a TLS 1.3 Certificate body. True for any other message.
fn decompresses_exactly(payload: &cloaktls::msgs::handshake::HandshakePayload) -> bool {
    let cloaktls::msgs::handshake::HandshakePayload::CompressedCertificate(cc) = payload else {
        return true;
    };
    let expected = cc.uncompressed_length as usize;
    match cloaktls::crypto::compress::decompress(cc.algorithm, &cc.compressed, expected, 1 << 18) {
        Ok(body) => {
            let mut message = vec![11u8];
            message.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
            message.extend_from_slice(&body);
            std::hint::black_box(
                HandshakeMessage::decode(&message, ProtocolVersion::TLSV1_3).is_ok(),
            );
            body.len() == expected
        }
        Err(_) => true,
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

// ---- QUIC (RFC 9001) ----

use cloaktls::quic::{self, KeyChange, Level};

/// One frame of CRYPTO data: its level (`None`: the level read now).
type Frame<'a> = (Option<Level>, &'a [u8]);

/// The QUIC entry points' input: a flags byte (bit 0: QUIC version 2),
/// then frames of `level (1 byte) || length (2 bytes, big-endian) ||
/// bytes`, each handed to the handshake as CRYPTO data. Levels 0 to 3 are
/// Initial, 0-RTT, Handshake and 1-RTT; any other value stands for the
/// level the handshake reads at that moment. A frame cut short ends the
/// input.
fn quic_frames(data: &[u8]) -> (quic::Version, Vec<Frame<'_>>) {
    let Some((&flags, mut rest)) = data.split_first() else {
        return (quic::Version::V1, Vec::new());
    };
    let version = if flags & 1 == 1 {
        quic::Version::V2
    } else {
        quic::Version::V1
    };
    let mut frames = Vec::new();
    while let [level, a, b, tail @ ..] = rest {
        let len = usize::from(u16::from_be_bytes([*a, *b])).min(tail.len());
        let level = match level {
            0 => Some(Level::Initial),
            1 => Some(Level::ZeroRtt),
            2 => Some(Level::Handshake),
            3 => Some(Level::OneRtt),
            _ => None,
        };
        frames.push((level, &tail[..len]));
        rest = &tail[len..];
    }
    (version, frames)
}

/// Encodes frames in the input format of [`quic_client`] and
/// [`quic_server`].
pub fn quic_input(version: quic::Version, frames: &[(Level, Vec<u8>)]) -> Vec<u8> {
    let mut out = vec![u8::from(version == quic::Version::V2)];
    for (level, bytes) in frames {
        for chunk in bytes.chunks(0xffff) {
            out.push(match level {
                Level::Initial => 0,
                Level::ZeroRtt => 1,
                Level::Handshake => 2,
                Level::OneRtt => 3,
            });
            out.extend_from_slice(&(chunk.len() as u16).to_be_bytes());
            out.extend_from_slice(chunk);
        }
    }
    out
}

/// Uses a level's keys once each way: a small packet sealed and
/// header-protected with ours, and one opened with the peer's (which fails:
/// the point is to run the code).
fn exercise(keys: &quic::Keys) {
    let mut packet = [0x41u8; 64];
    let _ = keys.local.packet.encrypt_in_place(1, &mut packet, 5);
    let _ = keys.local.header.encrypt_in_place(&mut packet, 1);
    let _ = keys.remote.header.decrypt_in_place(&mut packet, 1);
    let _ = keys.remote.packet.decrypt_in_place(1, &mut packet, 5);
}

/// Takes everything the handshake has to send; returns how many bytes.
fn drain(conn: &mut quic::Connection) -> usize {
    let mut buf = Vec::new();
    while let Some(change) = conn.write_handshake(&mut buf) {
        match change {
            KeyChange::Handshake { keys } => exercise(&keys),
            KeyChange::OneRtt { keys, mut next } => {
                exercise(&keys);
                let pair = next.next_packet_keys();
                let mut packet = [0x42u8; 40];
                let _ = pair.local.encrypt_in_place(2, &mut packet, 4);
            }
        }
    }
    buf.len()
}

fn drive_quic(conn: &mut quic::Connection, frames: &[Frame<'_>]) -> usize {
    let mut written = drain(conn);
    for (level, bytes) in frames {
        let level = level.unwrap_or(conn.read_level());
        let failed = conn.read_handshake(level, bytes).is_err();
        written += drain(conn);
        if failed {
            // Once failed, always failed: and the code is a QUIC one.
            std::hint::black_box(conn.error().map(|e| e.code()));
            break;
        }
    }
    std::hint::black_box((
        conn.transport_parameters().map(<[u8]>::len),
        conn.zero_rtt_keys().is_some(),
        conn.early_data_accepted(),
        conn.alpn_protocol().map(<[u8]>::len),
    ));
    let mut exported = [0u8; 16];
    let _ = conn.export_keying_material(&mut exported, b"EXPERIMENTAL fuzz", b"");
    written
}

/// A deterministic QUIC client (see [`crate::deterministic`]) fed `data`
/// (see the format above [`quic_input`]) as the server's CRYPTO data.
pub fn quic_client(data: &[u8]) -> usize {
    let (version, frames) = quic_frames(data);
    let Ok(config) = crate::deterministic::quic_client_config() else {
        return 0;
    };
    match quic::ClientConnection::new(config, version, "localhost", b"client tp".to_vec()) {
        Ok(mut c) => drive_quic(&mut c, &frames),
        Err(_) => 0,
    }
}

/// A deterministic QUIC server (see [`crate::deterministic`]) fed `data`
/// as the client's CRYPTO data.
pub fn quic_server(data: &[u8]) -> usize {
    let (version, frames) = quic_frames(data);
    let Ok(config) = crate::deterministic::quic_server_config() else {
        return 0;
    };
    let mut s = quic::ServerConnection::new(config, version, b"server tp".to_vec());
    drive_quic(&mut s, &frames)
}

/// Seeds for the QUIC targets: a deterministic client and server run a
/// handshake in memory, and what each sent, level by level, is what the
/// other's target reads; for each version, whole and in small pieces.
/// Returns `(target, file name, bytes)`.
pub fn quic_seeds() -> Vec<(&'static str, String, Vec<u8>)> {
    let mut out = Vec::new();
    for version in [quic::Version::V1, quic::Version::V2] {
        let Some((client_sent, server_sent)) = quic_handshake(version) else {
            continue;
        };
        let v = if version == quic::Version::V2 { 2 } else { 1 };
        for (target, sent) in [("quic_server", &client_sent), ("quic_client", &server_sent)] {
            out.push((target, format!("handshake-v{v}"), quic_input(version, sent)));
            let pieces: Vec<(Level, Vec<u8>)> = sent
                .iter()
                .flat_map(|(l, b)| b.chunks(7).map(move |c| (*l, c.to_vec())))
                .collect();
            out.push((target, format!("pieces-v{v}"), quic_input(version, &pieces)));
        }
    }
    out
}

/// What a deterministic client and server send each other in a QUIC
/// handshake, level by level.
type Flights = Vec<(Level, Vec<u8>)>;

fn quic_handshake(version: quic::Version) -> Option<(Flights, Flights)> {
    let mut c = quic::ClientConnection::new(
        crate::deterministic::quic_client_config().ok()?,
        version,
        "localhost",
        b"client tp".to_vec(),
    )
    .ok()?;
    let mut s = quic::ServerConnection::new(
        crate::deterministic::quic_server_config().ok()?,
        version,
        b"server tp".to_vec(),
    );
    let (mut from_client, mut from_server) = (Vec::new(), Vec::new());
    for _ in 0..8 {
        while let Some(out) = c.next_output() {
            if let quic::Output::Handshake { level, data } = out {
                s.read_handshake(level, &data).ok()?;
                from_client.push((level, data));
            }
        }
        while let Some(out) = s.next_output() {
            if let quic::Output::Handshake { level, data } = out {
                c.read_handshake(level, &data).ok()?;
                from_server.push((level, data));
            }
        }
    }
    (!c.is_handshaking() && !s.is_handshaking()).then_some((from_client, from_server))
}
