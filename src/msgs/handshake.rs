//! Handshake messages of TLS 1.3 (RFC 8446 §4) and TLS 1.2 (RFC 5246 §7.4,
//! RFC 8422 §5, RFC 5077 §3.3).

use super::enums::{
    CertificateCompressionAlgorithm, CertificateType, CipherSuite, CompressionMethod, EcCurveType,
    ExtensionType, HandshakeType, KeyUpdateRequest, NamedGroup, ProtocolVersion, SignatureScheme,
};
use super::extensions::{find, read_extensions, write_extensions, Extension, ExtensionContext};
use super::Role;
use crate::codec::{read_vec, write_vec, Codec, LengthPrefix, Reader, Writer};
use crate::codec::DecodeError;

/// The special ServerHello.random of a HelloRetryRequest (RFC 8446 §4.1.3).
pub const HELLO_RETRY_REQUEST_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// The last 8 bytes of a TLS 1.3 server's random when it negotiates TLS 1.2
/// (RFC 8446 §4.1.3).
pub const DOWNGRADE_TLS12: [u8; 8] = *b"DOWNGRD\x01";
/// The last 8 bytes of a TLS 1.3 or 1.2 server's random when it negotiates
/// TLS 1.1 or below (RFC 8446 §4.1.3).
pub const DOWNGRADE_TLS11: [u8; 8] = *b"DOWNGRD\x00";

/// The largest handshake message body cloaktls accepts: enough for a long
/// certificate chain, small enough to bound a connection's memory.
pub const MAX_HANDSHAKE_MESSAGE: usize = 0x1_0000 + 0x4000;

/// ClientHello (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientHello {
    /// legacy_version: 0x0303 in TLS 1.3.
    pub legacy_version: ProtocolVersion,
    /// 32 random bytes.
    pub random: [u8; 32],
    /// `opaque legacy_session_id<0..32>`.
    pub legacy_session_id: Vec<u8>,
    /// `CipherSuite cipher_suites<2..2^16-2>`.
    pub cipher_suites: Vec<CipherSuite>,
    /// `opaque legacy_compression_methods<1..2^8-1>`.
    pub compression_methods: Vec<CompressionMethod>,
    /// The extensions; empty when the hello carried none (allowed in TLS 1.2).
    pub extensions: Vec<Extension>,
}

impl ClientHello {
    /// Finds an extension by type.
    pub fn extension(&self, typ: ExtensionType) -> Option<&Extension> {
        find(&self.extensions, typ)
    }

    /// The ClientHello structure without the handshake header: what
    /// Encrypted Client Hello encrypts and authenticates (RFC 9849 §5.1,
    /// §5.2).
    pub fn body_encoding(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(512);
        self.encode_body(&mut Writer::new(&mut out));
        out
    }

    fn encode_body(&self, w: &mut Writer<'_>) {
        self.legacy_version.encode(w);
        w.put_bytes(&self.random);
        w.put_vec(LengthPrefix::U8, &self.legacy_session_id);
        write_vec(w, LengthPrefix::U16, &self.cipher_suites);
        write_vec(w, LengthPrefix::U8, &self.compression_methods);
        // An empty extension block is left out, as TLS 1.2 allows.
        if !self.extensions.is_empty() {
            write_extensions(w, &self.extensions);
        }
    }

    /// Reads a ClientHello structure (no handshake header), leaving what
    /// follows it in `r` (an EncodedClientHelloInner's padding, RFC 9849
    /// §5.1).
    pub fn read_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let legacy_version = ProtocolVersion::read(r)?;
        let random = r.array()?;
        let legacy_session_id = r.vec_bytes(LengthPrefix::U8, 0, 32)?.to_vec();
        let cipher_suites = read_vec(r, LengthPrefix::U16, 2, 0xfffe)?;
        let compression_methods = read_vec(r, LengthPrefix::U8, 1, 0xff)?;
        // RFC 5246 §7.4.1.2: a TLS 1.2 ClientHello may end here.
        let extensions = if r.at_end() {
            Vec::new()
        } else {
            read_extensions(r, ExtensionContext::ClientHello, 0)?
        };
        // RFC 8446 §4.2.11: pre_shared_key must be the last extension.
        if let Some(pos) = extensions
            .iter()
            .position(|e| e.typ() == ExtensionType::PRE_SHARED_KEY)
        {
            if pos + 1 != extensions.len() {
                return Err(DecodeError::IllegalValue(
                    "pre_shared_key is not the last extension",
                ));
            }
        }
        Ok(ClientHello {
            legacy_version,
            random,
            legacy_session_id,
            cipher_suites,
            compression_methods,
            extensions,
        })
    }
}

/// ServerHello or HelloRetryRequest (RFC 8446 §4.1.3, §4.1.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerHello {
    /// legacy_version: 0x0303 in TLS 1.3.
    pub legacy_version: ProtocolVersion,
    /// 32 bytes; [`HELLO_RETRY_REQUEST_RANDOM`] for a HelloRetryRequest.
    pub random: [u8; 32],
    /// `opaque legacy_session_id_echo<0..32>`.
    pub legacy_session_id: Vec<u8>,
    /// The chosen suite.
    pub cipher_suite: CipherSuite,
    /// legacy_compression_method: must be 0.
    pub compression_method: CompressionMethod,
    /// The extensions.
    pub extensions: Vec<Extension>,
}

impl ServerHello {
    /// Whether this is a HelloRetryRequest.
    pub fn is_hello_retry_request(&self) -> bool {
        self.random == HELLO_RETRY_REQUEST_RANDOM
    }

    /// Finds an extension by type.
    pub fn extension(&self, typ: ExtensionType) -> Option<&Extension> {
        find(&self.extensions, typ)
    }

    fn encode_body(&self, w: &mut Writer<'_>) {
        self.legacy_version.encode(w);
        w.put_bytes(&self.random);
        w.put_vec(LengthPrefix::U8, &self.legacy_session_id);
        self.cipher_suite.encode(w);
        self.compression_method.encode(w);
        if !self.extensions.is_empty() {
            write_extensions(w, &self.extensions);
        }
    }

    fn read_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let legacy_version = ProtocolVersion::read(r)?;
        let random: [u8; 32] = r.array()?;
        let legacy_session_id = r.vec_bytes(LengthPrefix::U8, 0, 32)?.to_vec();
        let cipher_suite = CipherSuite::read(r)?;
        let compression_method = CompressionMethod::read(r)?;
        let ctx = if random == HELLO_RETRY_REQUEST_RANDOM {
            ExtensionContext::HelloRetryRequest
        } else {
            ExtensionContext::ServerHello
        };
        let extensions = if r.at_end() {
            Vec::new()
        } else {
            read_extensions(r, ctx, 0)?
        };
        Ok(ServerHello {
            legacy_version,
            random,
            legacy_session_id,
            cipher_suite,
            compression_method,
            extensions,
        })
    }
}

/// One CertificateEntry of a TLS 1.3 Certificate (RFC 8446 §4.4.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateEntry {
    /// `opaque cert_data<1..2^24-1>`: a DER X.509 certificate.
    pub cert_data: Vec<u8>,
    /// The entry's extensions (status_request, SCTs).
    pub extensions: Vec<Extension>,
}

/// A TLS 1.3 Certificate message (RFC 8446 §4.4.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate13 {
    /// `opaque certificate_request_context<0..2^8-1>`.
    pub context: Vec<u8>,
    /// `CertificateEntry certificate_list<0..2^24-1>`.
    pub entries: Vec<CertificateEntry>,
}

/// A TLS 1.3 CertificateRequest (RFC 8446 §4.3.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateRequest13 {
    /// `opaque certificate_request_context<0..2^8-1>`.
    pub context: Vec<u8>,
    /// `Extension extensions<2..2^16-1>`.
    pub extensions: Vec<Extension>,
}

/// A TLS 1.2 CertificateRequest (RFC 5246 §7.4.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateRequest12 {
    /// `ClientCertificateType certificate_types<1..2^8-1>`.
    pub certificate_types: Vec<u8>,
    /// `SignatureAndHashAlgorithm supported_signature_algorithms<2..2^16-2>`.
    pub signature_algorithms: Vec<SignatureScheme>,
    /// `DistinguishedName certificate_authorities<0..2^16-1>`.
    pub certificate_authorities: Vec<Vec<u8>>,
}

/// DigitallySigned: a CertificateVerify, or the signature of a TLS 1.2
/// ServerKeyExchange (RFC 8446 §4.4.3, RFC 5246 §4.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigitallySigned {
    /// The scheme used.
    pub scheme: SignatureScheme,
    /// `opaque signature<0..2^16-1>`.
    pub signature: Vec<u8>,
}

impl Codec for DigitallySigned {
    fn encode(&self, w: &mut Writer<'_>) {
        self.scheme.encode(w);
        w.put_vec(LengthPrefix::U16, &self.signature);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(DigitallySigned {
            scheme: SignatureScheme::read(r)?,
            signature: r.vec_bytes(LengthPrefix::U16, 0, 0xffff)?.to_vec(),
        })
    }
}

/// ServerECDHParams (RFC 8422 §5.4): the named-curve form, the only one
/// allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcdheParams {
    /// The group.
    pub group: NamedGroup,
    /// `opaque point<1..2^8-1>`.
    pub public: Vec<u8>,
}

impl Codec for EcdheParams {
    fn encode(&self, w: &mut Writer<'_>) {
        EcCurveType::NAMED_CURVE.encode(w);
        self.group.encode(w);
        w.put_vec(LengthPrefix::U8, &self.public);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        if EcCurveType::read(r)? != EcCurveType::NAMED_CURVE {
            return Err(DecodeError::IllegalValue("ECCurveType must be named_curve"));
        }
        Ok(EcdheParams {
            group: NamedGroup::read(r)?,
            public: r.vec_bytes(LengthPrefix::U8, 1, 0xff)?.to_vec(),
        })
    }
}

/// A TLS 1.2 ServerKeyExchange for ECDHE (RFC 8422 §5.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerKeyExchange {
    /// The server's ephemeral key.
    pub params: EcdheParams,
    /// The signature over client_random, server_random and params.
    pub signed: DigitallySigned,
}

/// A TLS 1.3 NewSessionTicket (RFC 8446 §4.6.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSessionTicket13 {
    /// Lifetime in seconds, at most 604800.
    pub lifetime: u32,
    /// Added to the ticket's age to obscure it.
    pub age_add: u32,
    /// `opaque ticket_nonce<0..255>`.
    pub nonce: Vec<u8>,
    /// `opaque ticket<1..2^16-1>`.
    pub ticket: Vec<u8>,
    /// `Extension extensions<0..2^16-2>`.
    pub extensions: Vec<Extension>,
}

/// A TLS 1.2 NewSessionTicket (RFC 5077 §3.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSessionTicket12 {
    /// The lifetime hint in seconds.
    pub lifetime_hint: u32,
    /// `opaque ticket<0..2^16-1>`.
    pub ticket: Vec<u8>,
}

/// CompressedCertificate (RFC 8879 §4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompressedCertificate {
    /// The compression algorithm.
    pub algorithm: CertificateCompressionAlgorithm,
    /// `uint24 uncompressed_length`: the Certificate body's length.
    pub uncompressed_length: u32,
    /// `opaque compressed_certificate_message<1..2^24-1>`.
    pub compressed: Vec<u8>,
}

/// The body of a handshake message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandshakePayload {
    /// HelloRequest (TLS 1.2 renegotiation request).
    HelloRequest,
    /// ClientHello.
    ClientHello(ClientHello),
    /// ServerHello or HelloRetryRequest.
    ServerHello(ServerHello),
    /// EncryptedExtensions.
    EncryptedExtensions(Vec<Extension>),
    /// TLS 1.2 Certificate: a chain of DER certificates.
    Certificate12(Vec<Vec<u8>>),
    /// TLS 1.2 Certificate once RawPublicKey is negotiated (RFC 7250 §3):
    /// `opaque ASN.1_subjectPublicKeyInfo<1..2^24-1>`, the DER
    /// SubjectPublicKeyInfo; empty when a client has none to send (as an
    /// empty chain says it in X.509, RFC 5246 §7.4.6).
    CertificateRawPublicKey12(Vec<u8>),
    /// TLS 1.3 Certificate.
    Certificate13(Certificate13),
    /// TLS 1.2 CertificateRequest.
    CertificateRequest12(CertificateRequest12),
    /// TLS 1.3 CertificateRequest.
    CertificateRequest13(CertificateRequest13),
    /// CertificateVerify.
    CertificateVerify(DigitallySigned),
    /// TLS 1.2 ServerKeyExchange (ECDHE).
    ServerKeyExchange(ServerKeyExchange),
    /// TLS 1.2 ServerHelloDone.
    ServerHelloDone,
    /// TLS 1.2 ClientKeyExchange (ECDHE): the client's public point.
    ClientKeyExchange(Vec<u8>),
    /// Finished: verify_data.
    Finished(Vec<u8>),
    /// TLS 1.2 NewSessionTicket.
    NewSessionTicket12(NewSessionTicket12),
    /// TLS 1.3 NewSessionTicket.
    NewSessionTicket13(NewSessionTicket13),
    /// KeyUpdate.
    KeyUpdate(KeyUpdateRequest),
    /// EndOfEarlyData.
    EndOfEarlyData,
    /// TLS 1.2 CertificateStatus (RFC 6066 §8): an OCSP response.
    CertificateStatus(Vec<u8>),
    /// CompressedCertificate (RFC 8879 §4): a TLS 1.3 Certificate body,
    /// compressed.
    CompressedCertificate(CompressedCertificate),
    /// The synthetic message_hash of a transcript after HelloRetryRequest.
    MessageHash(Vec<u8>),
    /// A message type we do not decode; its body is kept.
    Unknown(Vec<u8>),
}

/// A handshake message: type, 24-bit length, body (RFC 8446 §4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandshakeMessage {
    /// The message's type.
    pub typ: HandshakeType,
    /// Its decoded body.
    pub payload: HandshakePayload,
}

impl HandshakeMessage {
    /// A message whose type follows from its payload.
    pub fn new(payload: HandshakePayload) -> Self {
        HandshakeMessage {
            typ: payload.typ(),
            payload,
        }
    }
}

impl HandshakePayload {
    /// The handshake type that carries this payload.
    pub fn typ(&self) -> HandshakeType {
        match self {
            HandshakePayload::HelloRequest => HandshakeType::HELLO_REQUEST,
            HandshakePayload::ClientHello(_) => HandshakeType::CLIENT_HELLO,
            HandshakePayload::ServerHello(_) => HandshakeType::SERVER_HELLO,
            HandshakePayload::EncryptedExtensions(_) => HandshakeType::ENCRYPTED_EXTENSIONS,
            HandshakePayload::Certificate12(_)
            | HandshakePayload::CertificateRawPublicKey12(_)
            | HandshakePayload::Certificate13(_) => HandshakeType::CERTIFICATE,
            HandshakePayload::CertificateRequest12(_)
            | HandshakePayload::CertificateRequest13(_) => HandshakeType::CERTIFICATE_REQUEST,
            HandshakePayload::CertificateVerify(_) => HandshakeType::CERTIFICATE_VERIFY,
            HandshakePayload::ServerKeyExchange(_) => HandshakeType::SERVER_KEY_EXCHANGE,
            HandshakePayload::ServerHelloDone => HandshakeType::SERVER_HELLO_DONE,
            HandshakePayload::ClientKeyExchange(_) => HandshakeType::CLIENT_KEY_EXCHANGE,
            HandshakePayload::Finished(_) => HandshakeType::FINISHED,
            HandshakePayload::NewSessionTicket12(_) | HandshakePayload::NewSessionTicket13(_) => {
                HandshakeType::NEW_SESSION_TICKET
            }
            HandshakePayload::KeyUpdate(_) => HandshakeType::KEY_UPDATE,
            HandshakePayload::EndOfEarlyData => HandshakeType::END_OF_EARLY_DATA,
            HandshakePayload::CertificateStatus(_) => HandshakeType::CERTIFICATE_STATUS,
            HandshakePayload::CompressedCertificate(_) => HandshakeType::COMPRESSED_CERTIFICATE,
            HandshakePayload::MessageHash(_) => HandshakeType::MESSAGE_HASH,
            // Unknown messages are only ever decoded; this type is a placeholder.
            HandshakePayload::Unknown(_) => HandshakeType(255),
        }
    }
}

impl HandshakeMessage {
    /// The message's encoding: type, length, body.
    pub fn encoding(&self) -> Vec<u8> {
        // Sized up front, so that encoding seldom reallocates: chains are
        // measured, the rest estimated from what we send.
        let capacity = match &self.payload {
            HandshakePayload::Certificate13(c) => {
                c.entries
                    .iter()
                    .map(|e| e.cert_data.len() + 16)
                    .sum::<usize>()
                    + 16
            }
            HandshakePayload::Certificate12(c) => c.iter().map(|e| e.len() + 3).sum::<usize>() + 16,
            HandshakePayload::CertificateRawPublicKey12(k) => k.len() + 16,
            HandshakePayload::ClientHello(_) => 512,
            HandshakePayload::CertificateVerify(_) | HandshakePayload::ServerKeyExchange(_) => 320,
            _ => 128,
        };
        let mut out = Vec::with_capacity(capacity);
        self.encode(&mut Writer::new(&mut out));
        out
    }

    /// Appends the message's encoding.
    pub fn encode(&self, w: &mut Writer<'_>) {
        self.typ.encode(w);
        w.prefixed(LengthPrefix::U24, |w| self.encode_body(w));
    }

    fn encode_body(&self, w: &mut Writer<'_>) {
        use HandshakePayload as P;
        match &self.payload {
            P::HelloRequest | P::ServerHelloDone | P::EndOfEarlyData => {}
            P::ClientHello(ch) => ch.encode_body(w),
            P::ServerHello(sh) => sh.encode_body(w),
            P::EncryptedExtensions(exts) => write_extensions(w, exts),
            P::Certificate12(chain) => w.prefixed(LengthPrefix::U24, |w| {
                for c in chain {
                    w.put_vec(LengthPrefix::U24, c);
                }
            }),
            P::CertificateRawPublicKey12(spki) => w.put_vec(LengthPrefix::U24, spki),
            P::Certificate13(c) => {
                w.put_vec(LengthPrefix::U8, &c.context);
                w.prefixed(LengthPrefix::U24, |w| {
                    for e in &c.entries {
                        w.put_vec(LengthPrefix::U24, &e.cert_data);
                        write_extensions(w, &e.extensions);
                    }
                });
            }
            P::CertificateRequest12(cr) => {
                w.put_vec(LengthPrefix::U8, &cr.certificate_types);
                write_vec(w, LengthPrefix::U16, &cr.signature_algorithms);
                w.prefixed(LengthPrefix::U16, |w| {
                    for n in &cr.certificate_authorities {
                        w.put_vec(LengthPrefix::U16, n);
                    }
                });
            }
            P::CertificateRequest13(cr) => {
                w.put_vec(LengthPrefix::U8, &cr.context);
                write_extensions(w, &cr.extensions);
            }
            P::CertificateVerify(ds) => ds.encode(w),
            P::ServerKeyExchange(ske) => {
                ske.params.encode(w);
                ske.signed.encode(w);
            }
            P::ClientKeyExchange(point) => w.put_vec(LengthPrefix::U8, point),
            P::Finished(v) | P::MessageHash(v) | P::Unknown(v) => w.put_bytes(v),
            P::NewSessionTicket12(t) => {
                w.put_u32(t.lifetime_hint);
                w.put_vec(LengthPrefix::U16, &t.ticket);
            }
            P::NewSessionTicket13(t) => {
                w.put_u32(t.lifetime);
                w.put_u32(t.age_add);
                w.put_vec(LengthPrefix::U8, &t.nonce);
                w.put_vec(LengthPrefix::U16, &t.ticket);
                write_extensions(w, &t.extensions);
            }
            P::KeyUpdate(k) => k.encode(w),
            P::CompressedCertificate(c) => {
                c.algorithm.encode(w);
                w.put_u24(c.uncompressed_length);
                w.put_vec(LengthPrefix::U24, &c.compressed);
            }
            P::CertificateStatus(ocsp) => {
                w.put_u8(1);
                w.put_vec(LengthPrefix::U24, ocsp);
            }
        }
    }

    /// Decodes one whole message (header included) from `bytes`, which must
    /// hold exactly one message. `version` selects the TLS 1.2 or 1.3 form
    /// of Certificate, CertificateRequest and NewSessionTicket; a TLS 1.2
    /// Certificate is read as an X.509 chain.
    pub fn decode(bytes: &[u8], version: ProtocolVersion) -> Result<Self, DecodeError> {
        Self::decode_for(bytes, version, CertificateType::X509)
    }

    /// Like [`HandshakeMessage::decode`], with a TLS 1.2 Certificate read
    /// in the form of `certificate_type`, the type negotiated for its
    /// sender (RFC 7250 §3); a TLS 1.3 CertificateEntry has one form for
    /// both (RFC 8446 §4.4.2).
    pub fn decode_for(
        bytes: &[u8],
        version: ProtocolVersion,
        certificate_type: CertificateType,
    ) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let typ = HandshakeType::read(&mut r)?;
        let body = r.vec_bytes(LengthPrefix::U24, 0, MAX_HANDSHAKE_MESSAGE)?;
        r.finish()?;
        Self::decode_body_for(typ, body, version, certificate_type)
    }

    /// Decodes a message body of type `typ` (a TLS 1.2 Certificate as an
    /// X.509 chain).
    pub fn decode_body(
        typ: HandshakeType,
        body: &[u8],
        version: ProtocolVersion,
    ) -> Result<Self, DecodeError> {
        Self::decode_body_for(typ, body, version, CertificateType::X509)
    }

    /// Decodes a message body of type `typ`, a TLS 1.2 Certificate in the
    /// form of `certificate_type` (see [`HandshakeMessage::decode_for`]).
    pub fn decode_body_for(
        typ: HandshakeType,
        body: &[u8],
        version: ProtocolVersion,
        certificate_type: CertificateType,
    ) -> Result<Self, DecodeError> {
        use HandshakePayload as P;
        let tls13 = version == ProtocolVersion::TLSV1_3;
        let r = &mut Reader::new(body);
        let payload = match typ {
            HandshakeType::HELLO_REQUEST => P::HelloRequest,
            HandshakeType::CLIENT_HELLO => P::ClientHello(ClientHello::read_body(r)?),
            HandshakeType::SERVER_HELLO => P::ServerHello(ServerHello::read_body(r)?),
            HandshakeType::ENCRYPTED_EXTENSIONS => P::EncryptedExtensions(read_extensions(
                r,
                ExtensionContext::EncryptedExtensions,
                0,
            )?),
            HandshakeType::CERTIFICATE if tls13 => {
                let context = r.vec_bytes(LengthPrefix::U8, 0, 0xff)?.to_vec();
                let mut list = r.sub(LengthPrefix::U24, 0, 0xff_ffff)?;
                let mut entries = Vec::new();
                while !list.at_end() {
                    let cert_data = list.vec_bytes(LengthPrefix::U24, 1, 0xff_ffff)?.to_vec();
                    let extensions = read_extensions(&mut list, ExtensionContext::Certificate, 0)?;
                    entries.push(CertificateEntry {
                        cert_data,
                        extensions,
                    });
                }
                P::Certificate13(Certificate13 { context, entries })
            }
            // RFC 7250 §3; an empty key is a client's "none" (see the
            // variant).
            HandshakeType::CERTIFICATE if certificate_type == CertificateType::RAW_PUBLIC_KEY => {
                P::CertificateRawPublicKey12(r.vec_bytes(LengthPrefix::U24, 0, 0xff_ffff)?.to_vec())
            }
            HandshakeType::CERTIFICATE => {
                let mut list = r.sub(LengthPrefix::U24, 0, 0xff_ffff)?;
                let mut chain = Vec::new();
                while !list.at_end() {
                    chain.push(list.vec_bytes(LengthPrefix::U24, 1, 0xff_ffff)?.to_vec());
                }
                P::Certificate12(chain)
            }
            HandshakeType::CERTIFICATE_REQUEST if tls13 => {
                P::CertificateRequest13(CertificateRequest13 {
                    context: r.vec_bytes(LengthPrefix::U8, 0, 0xff)?.to_vec(),
                    extensions: read_extensions(r, ExtensionContext::CertificateRequest, 2)?,
                })
            }
            HandshakeType::CERTIFICATE_REQUEST => {
                let certificate_types = r.vec_bytes(LengthPrefix::U8, 1, 0xff)?.to_vec();
                let signature_algorithms = read_vec(r, LengthPrefix::U16, 2, 0xfffe)?;
                let mut list = r.sub(LengthPrefix::U16, 0, 0xffff)?;
                let mut certificate_authorities = Vec::new();
                while !list.at_end() {
                    certificate_authorities
                        .push(list.vec_bytes(LengthPrefix::U16, 1, 0xffff)?.to_vec());
                }
                P::CertificateRequest12(CertificateRequest12 {
                    certificate_types,
                    signature_algorithms,
                    certificate_authorities,
                })
            }
            HandshakeType::CERTIFICATE_VERIFY => P::CertificateVerify(DigitallySigned::read(r)?),
            HandshakeType::SERVER_KEY_EXCHANGE => P::ServerKeyExchange(ServerKeyExchange {
                params: EcdheParams::read(r)?,
                signed: DigitallySigned::read(r)?,
            }),
            HandshakeType::SERVER_HELLO_DONE => P::ServerHelloDone,
            HandshakeType::CLIENT_KEY_EXCHANGE => {
                P::ClientKeyExchange(r.vec_bytes(LengthPrefix::U8, 1, 0xff)?.to_vec())
            }
            HandshakeType::FINISHED => P::Finished(r.rest().to_vec()),
            HandshakeType::NEW_SESSION_TICKET if tls13 => {
                P::NewSessionTicket13(NewSessionTicket13 {
                    lifetime: r.u32()?,
                    age_add: r.u32()?,
                    nonce: r.vec_bytes(LengthPrefix::U8, 0, 0xff)?.to_vec(),
                    ticket: r.vec_bytes(LengthPrefix::U16, 1, 0xffff)?.to_vec(),
                    extensions: read_extensions(r, ExtensionContext::NewSessionTicket, 0)?,
                })
            }
            HandshakeType::NEW_SESSION_TICKET => P::NewSessionTicket12(NewSessionTicket12 {
                lifetime_hint: r.u32()?,
                ticket: r.vec_bytes(LengthPrefix::U16, 0, 0xffff)?.to_vec(),
            }),
            HandshakeType::KEY_UPDATE => {
                let k = KeyUpdateRequest::read(r)?;
                // RFC 8446 §4.6.3: any other value is illegal_parameter.
                if k != KeyUpdateRequest::UPDATE_NOT_REQUESTED
                    && k != KeyUpdateRequest::UPDATE_REQUESTED
                {
                    return Err(DecodeError::IllegalValue("KeyUpdateRequest"));
                }
                P::KeyUpdate(k)
            }
            HandshakeType::END_OF_EARLY_DATA => P::EndOfEarlyData,
            HandshakeType::CERTIFICATE_STATUS => {
                if r.u8()? != 1 {
                    return Err(DecodeError::IllegalValue("certificate status type"));
                }
                P::CertificateStatus(r.vec_bytes(LengthPrefix::U24, 1, 0xff_ffff)?.to_vec())
            }
            HandshakeType::COMPRESSED_CERTIFICATE => {
                P::CompressedCertificate(CompressedCertificate {
                    algorithm: CertificateCompressionAlgorithm::read(r)?,
                    uncompressed_length: r.u24()?,
                    compressed: r.vec_bytes(LengthPrefix::U24, 1, 0xff_ffff)?.to_vec(),
                })
            }
            HandshakeType::MESSAGE_HASH => P::MessageHash(r.rest().to_vec()),
            _ => P::Unknown(r.rest().to_vec()),
        };
        r.finish()?;
        Ok(HandshakeMessage { typ, payload })
    }
}

/// The context string and transcript hash that a TLS 1.3 CertificateVerify
/// signs (RFC 8446 §4.4.3), built without a heap allocation; `signer` is the
/// side that signs.
pub fn tls13_signed_content(signer: Role, transcript_hash: &[u8]) -> SignedContent {
    let context: &[u8] = if signer == Role::Server {
        b"TLS 1.3, server CertificateVerify"
    } else {
        b"TLS 1.3, client CertificateVerify"
    };
    let mut buf = [0x20u8; 64 + 34 + 64];
    let mut len = 64;
    for part in [context, &[0u8], transcript_hash] {
        let n = part.len().min(buf.len() - len);
        buf[len..len + n].copy_from_slice(&part[..n]);
        len += n;
    }
    SignedContent { buf, len }
}

/// What a TLS 1.3 CertificateVerify signs: 64 spaces, the context string,
/// a zero byte and the transcript hash.
pub struct SignedContent {
    buf: [u8; 64 + 34 + 64],
    len: usize,
}

impl std::ops::Deref for SignedContent {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A P-256 SubjectPublicKeyInfo's first bytes stand in for a key: the
    /// codec carries it as bytes, the handshake reads it.
    const SPKI: &[u8] = &[0x30, 0x13, 0x30, 0x0d, 0x06, 0x07, 0x2a, 0x86, 0x48];

    #[test]
    fn a_tls12_raw_public_key_certificate_has_its_own_form() {
        // RFC 7250 §3: one u24-prefixed SubjectPublicKeyInfo.
        let msg = HandshakeMessage::new(HandshakePayload::CertificateRawPublicKey12(
            SPKI.to_vec(),
        ));
        let enc = msg.encoding();
        assert_eq!(&enc[..7], &[11, 0, 0, 12, 0, 0, 9]);
        let v12 = ProtocolVersion::TLSV1_2;
        let rpk = CertificateType::RAW_PUBLIC_KEY;
        assert_eq!(HandshakeMessage::decode_for(&enc, v12, rpk), Ok(msg));
        // Read as an X.509 chain the key is not a certificate list.
        assert!(HandshakeMessage::decode(&enc, v12).is_err());
        // An X.509 chain read as a raw public key keeps its inner prefix:
        // the handshake finds that it is no SubjectPublicKeyInfo.
        let chain = HandshakeMessage::new(HandshakePayload::Certificate12(vec![SPKI.to_vec()]));
        assert_eq!(
            HandshakeMessage::decode_for(&chain.encoding(), v12, rpk).map(|m| m.payload),
            Ok(HandshakePayload::CertificateRawPublicKey12(
                [&[0, 0, 9][..], SPKI].concat()
            ))
        );
        // The empty key of a client without one.
        let empty = HandshakeMessage::new(HandshakePayload::CertificateRawPublicKey12(Vec::new()));
        assert_eq!(empty.encoding(), [11, 0, 0, 3, 0, 0, 0]);
        assert_eq!(
            HandshakeMessage::decode_for(&empty.encoding(), v12, rpk),
            Ok(empty)
        );
        // Lengths that do not add up.
        for bad in [
            &[11, 0, 0, 3, 0, 0, 1][..],
            &[11, 0, 0, 4, 0, 0, 1, 0x30, 0][..],
            &[11, 0, 0, 2, 0, 0][..],
        ] {
            assert!(HandshakeMessage::decode_for(bad, v12, rpk).is_err(), "{bad:?}");
        }
        // TLS 1.3 has one CertificateEntry form for both types.
        let c13 = HandshakeMessage::new(HandshakePayload::Certificate13(Certificate13 {
            context: Vec::new(),
            entries: vec![CertificateEntry {
                cert_data: SPKI.to_vec(),
                extensions: Vec::new(),
            }],
        }));
        let v13 = ProtocolVersion::TLSV1_3;
        assert_eq!(
            HandshakeMessage::decode_for(&c13.encoding(), v13, rpk).as_ref(),
            Ok(&c13)
        );
        assert_eq!(HandshakeMessage::decode(&c13.encoding(), v13), Ok(c13));
    }
}
