//! Hello extensions (RFC 8446 §4.2 and the RFCs that define each one). The
//! meaning of an extension's body depends on the message that carries it, so
//! decoding takes an [`ExtensionContext`]; an extension that is not defined
//! for its context is kept as [`Extension::Unknown`] for the handshake layer
//! to judge.

use super::enums::{
    CertificateCompressionAlgorithm, CertificateStatusType, CertificateType, EcPointFormat,
    ExtensionType, NamedGroup, ProtocolVersion, PskKeyExchangeMode, ServerNameType,
    SignatureScheme,
};
use crate::codec::{read_vec, write_vec, Codec, LengthPrefix, Reader, Writer};
use crate::codec::DecodeError;

/// The message an extension appears in (RFC 8446 §4.2, the table's columns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtensionContext {
    /// ClientHello.
    ClientHello,
    /// ServerHello (TLS 1.2 or 1.3).
    ServerHello,
    /// HelloRetryRequest.
    HelloRetryRequest,
    /// EncryptedExtensions.
    EncryptedExtensions,
    /// A TLS 1.3 CertificateEntry.
    Certificate,
    /// A TLS 1.3 CertificateRequest.
    CertificateRequest,
    /// A TLS 1.3 NewSessionTicket.
    NewSessionTicket,
}

/// One entry of a key_share extension (RFC 8446 §4.2.8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyShareEntry {
    /// The group of the key.
    pub group: NamedGroup,
    /// The public value, `opaque key_exchange<1..2^16-1>`.
    pub key_exchange: Vec<u8>,
}

impl Codec for KeyShareEntry {
    fn encode(&self, w: &mut Writer<'_>) {
        self.group.encode(w);
        w.put_vec(LengthPrefix::U16, &self.key_exchange);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(KeyShareEntry {
            group: NamedGroup::read(r)?,
            key_exchange: r.vec_bytes(LengthPrefix::U16, 1, 0xffff)?.to_vec(),
        })
    }
}

/// A PskIdentity of the pre_shared_key extension (RFC 8446 §4.2.11).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PskIdentity {
    /// `opaque identity<1..2^16-1>`: a ticket, or an external PSK's label.
    pub identity: Vec<u8>,
    /// The ticket's age in milliseconds plus ticket_age_add, mod 2^32.
    pub obfuscated_ticket_age: u32,
}

impl Codec for PskIdentity {
    fn encode(&self, w: &mut Writer<'_>) {
        w.put_vec(LengthPrefix::U16, &self.identity);
        w.put_u32(self.obfuscated_ticket_age);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(PskIdentity {
            identity: r.vec_bytes(LengthPrefix::U16, 1, 0xffff)?.to_vec(),
            obfuscated_ticket_age: r.u32()?,
        })
    }
}

/// The client's pre_shared_key extension: OfferedPsks (RFC 8446 §4.2.11).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferedPsks {
    /// `PskIdentity identities<7..2^16-1>`.
    pub identities: Vec<PskIdentity>,
    /// `PskBinderEntry binders<33..2^16-1>`, each `opaque<32..255>`.
    pub binders: Vec<Vec<u8>>,
}

impl OfferedPsks {
    /// The encoded size of the binders list, length prefix included: the
    /// bytes that a truncated ClientHello leaves out (RFC 8446 §4.2.11.2).
    pub fn binders_len(&self) -> usize {
        2 + self.binders.iter().map(|b| 1 + b.len()).sum::<usize>()
    }
}

impl Codec for OfferedPsks {
    fn encode(&self, w: &mut Writer<'_>) {
        write_vec(w, LengthPrefix::U16, &self.identities);
        w.prefixed(LengthPrefix::U16, |w| {
            for b in &self.binders {
                w.put_vec(LengthPrefix::U8, b);
            }
        });
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let identities = read_vec(r, LengthPrefix::U16, 7, 0xffff)?;
        let mut sub = r.sub(LengthPrefix::U16, 33, 0xffff)?;
        let mut binders = Vec::new();
        while !sub.at_end() {
            binders.push(sub.vec_bytes(LengthPrefix::U8, 32, 255)?.to_vec());
        }
        // RFC 8446 §4.2.11: one binder per identity.
        if binders.len() != identities.len() {
            return Err(DecodeError::IllegalValue("pre_shared_key binder count"));
        }
        Ok(OfferedPsks {
            identities,
            binders,
        })
    }
}

/// An imported PSK's identity, as it goes in PskIdentity.identity (RFC
/// 9258 §5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedIdentity {
    /// `opaque external_identity<1...2^16-1>`: the external PSK's identity.
    pub external_identity: Vec<u8>,
    /// `opaque context<0..2^16-1>`.
    pub context: Vec<u8>,
    /// The protocol version the PSK is imported for (0x0304, TLS 1.3).
    pub target_protocol: ProtocolVersion,
    /// The KDF it is imported for (RFC 9258 §10: 1 HKDF_SHA256, 2
    /// HKDF_SHA384).
    pub target_kdf: u16,
}

impl ImportedIdentity {
    /// target_kdf HKDF_SHA256 (RFC 9258 §10).
    pub const HKDF_SHA256: u16 = 0x0001;
    /// target_kdf HKDF_SHA384 (RFC 9258 §10).
    pub const HKDF_SHA384: u16 = 0x0002;
}

impl Codec for ImportedIdentity {
    fn encode(&self, w: &mut Writer<'_>) {
        w.put_vec(LengthPrefix::U16, &self.external_identity);
        w.put_vec(LengthPrefix::U16, &self.context);
        self.target_protocol.encode(w);
        w.put_u16(self.target_kdf);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(ImportedIdentity {
            external_identity: r.vec_bytes(LengthPrefix::U16, 1, 0xffff)?.to_vec(),
            context: r.vec_bytes(LengthPrefix::U16, 0, 0xffff)?.to_vec(),
            target_protocol: ProtocolVersion::read(r)?,
            target_kdf: r.u16()?,
        })
    }
}

/// One entry of the server_name extension's list (RFC 6066 §3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerName {
    /// The name's type; only host_name is defined.
    pub name_type: ServerNameType,
    /// `opaque HostName<1..2^16-1>`.
    pub name: Vec<u8>,
}

impl Codec for ServerName {
    fn encode(&self, w: &mut Writer<'_>) {
        self.name_type.encode(w);
        w.put_vec(LengthPrefix::U16, &self.name);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(ServerName {
            name_type: ServerNameType::read(r)?,
            name: r.vec_bytes(LengthPrefix::U16, 1, 0xffff)?.to_vec(),
        })
    }
}

/// The status_request extension's CertificateStatusRequest (RFC 6066 §8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateStatusRequest {
    /// The status type; OCSP is the one defined.
    pub status_type: CertificateStatusType,
    /// The request's body (for OCSP, the responder_id_list and
    /// request_extensions), kept as bytes.
    pub request: Vec<u8>,
}

/// The extensions only TLS 1.2 reads in a hello.
const TLS12_ONLY: [ExtensionType; 3] = [
    ExtensionType::EC_POINT_FORMATS,
    ExtensionType::EXTENDED_MASTER_SECRET,
    ExtensionType::RENEGOTIATION_INFO,
];

/// A TLS extension, typed where cloaktls knows its context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Extension {
    /// server_name in a ClientHello (RFC 6066 §3).
    ServerName(Vec<ServerName>),
    /// The server's empty server_name acknowledgement.
    ServerNameAck,
    /// supported_groups (RFC 8446 §4.2.7).
    SupportedGroups(Vec<NamedGroup>),
    /// ec_point_formats (RFC 8422 §5.1.2).
    EcPointFormats(Vec<EcPointFormat>),
    /// signature_algorithms (RFC 8446 §4.2.3).
    SignatureAlgorithms(Vec<SignatureScheme>),
    /// signature_algorithms_cert (RFC 8446 §4.2.3).
    SignatureAlgorithmsCert(Vec<SignatureScheme>),
    /// application_layer_protocol_negotiation (RFC 7301).
    Alpn(Vec<Vec<u8>>),
    /// status_request in a ClientHello or CertificateRequest (RFC 6066 §8).
    StatusRequest(CertificateStatusRequest),
    /// The empty status_request of a TLS 1.2 ServerHello, or of a TLS 1.3
    /// CertificateRequest (RFC 8446 §4.4.2.1).
    StatusRequestAck,
    /// status_request in a TLS 1.3 CertificateEntry: the OCSP response.
    CertificateStatus(Vec<u8>),
    /// supported_versions in a ClientHello (RFC 8446 §4.2.1).
    SupportedVersionsClient(Vec<ProtocolVersion>),
    /// supported_versions in a ServerHello or HelloRetryRequest.
    SupportedVersionsServer(ProtocolVersion),
    /// key_share in a ClientHello: KeyShareClientHello.
    KeyShareClient(Vec<KeyShareEntry>),
    /// key_share in a ServerHello: KeyShareServerHello.
    KeyShareServer(KeyShareEntry),
    /// key_share in a HelloRetryRequest: the selected group.
    KeyShareHelloRetryRequest(NamedGroup),
    /// psk_key_exchange_modes (RFC 8446 §4.2.9).
    PskKeyExchangeModes(Vec<PskKeyExchangeMode>),
    /// client_certificate_type in a ClientHello: the certificate types the
    /// client can send, its preference first (RFC 7250 §3, §4.1).
    ClientCertificateTypes(Vec<CertificateType>),
    /// client_certificate_type in a TLS 1.2 ServerHello or TLS 1.3
    /// EncryptedExtensions: the type the client is to send (RFC 7250 §4.2).
    ClientCertificateType(CertificateType),
    /// server_certificate_type in a ClientHello: the certificate types the
    /// client can process, its preference first (RFC 7250 §3, §4.1).
    ServerCertificateTypes(Vec<CertificateType>),
    /// server_certificate_type in a TLS 1.2 ServerHello or TLS 1.3
    /// EncryptedExtensions: the type of the server's Certificate (RFC 7250
    /// §4.2).
    ServerCertificateType(CertificateType),
    /// compress_certificate in a ClientHello or CertificateRequest: the
    /// algorithms the sender can decompress (RFC 8879 §3).
    CompressCertificate(Vec<CertificateCompressionAlgorithm>),
    /// pre_shared_key in a ClientHello (RFC 8446 §4.2.11).
    PreSharedKeyClient(OfferedPsks),
    /// pre_shared_key in a ServerHello: the selected identity.
    PreSharedKeyServer(u16),
    /// A pre_shared_key in a ClientHello that does not decode: kept, since
    /// a TLS 1.2 server ignores it, while a TLS 1.3 server refuses it with
    /// the error it carries.
    BadPreSharedKey(DecodeError, Vec<u8>),
    /// early_data in a ClientHello or EncryptedExtensions (empty).
    EarlyData,
    /// early_data in a NewSessionTicket: max_early_data_size.
    EarlyDataMax(u32),
    /// cookie (RFC 8446 §4.2.2).
    Cookie(Vec<u8>),
    /// extended_master_secret (RFC 7627).
    ExtendedMasterSecret,
    /// renegotiation_info (RFC 5746).
    RenegotiationInfo(Vec<u8>),
    /// session_ticket (RFC 5077), its opaque body.
    SessionTicket(Vec<u8>),
    /// record_size_limit (RFC 8449).
    RecordSizeLimit(u16),
    /// certificate_authorities (RFC 8446 §4.2.4): DER distinguished names.
    CertificateAuthorities(Vec<Vec<u8>>),
    /// signed_certificate_timestamp in a ClientHello: the (empty) request
    /// for SCTs (RFC 6962 §3.3.1).
    SignedCertificateTimestampRequest,
    /// signed_certificate_timestamp in a TLS 1.2 ServerHello or a TLS 1.3
    /// CertificateEntry: the SignedCertificateTimestampList, as on the
    /// wire (its length prefix included).
    SignedCertificateTimestamps(Vec<u8>),
    /// padding (RFC 7685), its bytes kept so that it round-trips.
    Padding(Vec<u8>),
    /// encrypted_client_hello (RFC 9849 §5) in a ClientHello,
    /// HelloRetryRequest or EncryptedExtensions, its body kept as it came:
    /// only a server or client that does ECH reads it (an ECHClientHello,
    /// an 8-byte confirmation, retry_configs), and each judges it with
    /// the alert RFC 9849 names (see `msgs::ech`).
    EncryptedClientHello(Vec<u8>),
    /// quic_transport_parameters in a ClientHello or EncryptedExtensions
    /// (RFC 9001 §8.2): QUIC's transport parameters, opaque to TLS.
    QuicTransportParameters(Vec<u8>),
    /// An extension we do not interpret in this context.
    Unknown {
        /// The extension's type.
        typ: ExtensionType,
        /// Its body.
        data: Vec<u8>,
    },
}

fn read_list<T: Codec>(
    body: &[u8],
    prefix: LengthPrefix,
    min: usize,
    max: usize,
) -> Result<Vec<T>, DecodeError> {
    let mut r = Reader::new(body);
    let v = read_vec(&mut r, prefix, min, max)?;
    r.finish()?;
    Ok(v)
}

fn expect_empty(body: &[u8]) -> Result<(), DecodeError> {
    if body.is_empty() {
        Ok(())
    } else {
        Err(DecodeError::TrailingBytes)
    }
}

impl Extension {
    /// The extension's type.
    pub fn typ(&self) -> ExtensionType {
        use Extension::*;
        match self {
            ServerName(_) | ServerNameAck => ExtensionType::SERVER_NAME,
            SupportedGroups(_) => ExtensionType::SUPPORTED_GROUPS,
            EcPointFormats(_) => ExtensionType::EC_POINT_FORMATS,
            SignatureAlgorithms(_) => ExtensionType::SIGNATURE_ALGORITHMS,
            SignatureAlgorithmsCert(_) => ExtensionType::SIGNATURE_ALGORITHMS_CERT,
            Alpn(_) => ExtensionType::APPLICATION_LAYER_PROTOCOL_NEGOTIATION,
            StatusRequest(_) | StatusRequestAck | CertificateStatus(_) => {
                ExtensionType::STATUS_REQUEST
            }
            SupportedVersionsClient(_) | SupportedVersionsServer(_) => {
                ExtensionType::SUPPORTED_VERSIONS
            }
            KeyShareClient(_) | KeyShareServer(_) | KeyShareHelloRetryRequest(_) => {
                ExtensionType::KEY_SHARE
            }
            PskKeyExchangeModes(_) => ExtensionType::PSK_KEY_EXCHANGE_MODES,
            CompressCertificate(_) => ExtensionType::COMPRESS_CERTIFICATE,
            ClientCertificateTypes(_) | ClientCertificateType(_) => {
                ExtensionType::CLIENT_CERTIFICATE_TYPE
            }
            ServerCertificateTypes(_) | ServerCertificateType(_) => {
                ExtensionType::SERVER_CERTIFICATE_TYPE
            }
            PreSharedKeyClient(_) | PreSharedKeyServer(_) | BadPreSharedKey(..) => {
                ExtensionType::PRE_SHARED_KEY
            }
            EarlyData | EarlyDataMax(_) => ExtensionType::EARLY_DATA,
            Cookie(_) => ExtensionType::COOKIE,
            ExtendedMasterSecret => ExtensionType::EXTENDED_MASTER_SECRET,
            RenegotiationInfo(_) => ExtensionType::RENEGOTIATION_INFO,
            SessionTicket(_) => ExtensionType::SESSION_TICKET,
            RecordSizeLimit(_) => ExtensionType::RECORD_SIZE_LIMIT,
            CertificateAuthorities(_) => ExtensionType::CERTIFICATE_AUTHORITIES,
            Padding(_) => ExtensionType::PADDING,
            EncryptedClientHello(_) => ExtensionType::ENCRYPTED_CLIENT_HELLO,
            QuicTransportParameters(_) => ExtensionType::QUIC_TRANSPORT_PARAMETERS,
            SignedCertificateTimestampRequest | SignedCertificateTimestamps(_) => {
                ExtensionType::SIGNED_CERTIFICATE_TIMESTAMP
            }
            Unknown { typ, .. } => *typ,
        }
    }

    fn encode_body(&self, w: &mut Writer<'_>) {
        use Extension::*;
        match self {
            ServerName(names) => write_vec(w, LengthPrefix::U16, names),
            ServerNameAck
            | StatusRequestAck
            | EarlyData
            | ExtendedMasterSecret
            | SignedCertificateTimestampRequest => {}
            SignedCertificateTimestamps(list) => w.put_bytes(list),
            SupportedGroups(g) => write_vec(w, LengthPrefix::U16, g),
            EcPointFormats(f) => write_vec(w, LengthPrefix::U8, f),
            SignatureAlgorithms(s) | SignatureAlgorithmsCert(s) => {
                write_vec(w, LengthPrefix::U16, s)
            }
            Alpn(protocols) => w.prefixed(LengthPrefix::U16, |w| {
                for p in protocols {
                    w.put_vec(LengthPrefix::U8, p);
                }
            }),
            StatusRequest(req) => {
                req.status_type.encode(w);
                w.put_bytes(&req.request);
            }
            CertificateStatus(ocsp) => {
                CertificateStatusType::OCSP.encode(w);
                w.put_vec(LengthPrefix::U24, ocsp);
            }
            SupportedVersionsClient(v) => write_vec(w, LengthPrefix::U8, v),
            SupportedVersionsServer(v) => v.encode(w),
            KeyShareClient(shares) => write_vec(w, LengthPrefix::U16, shares),
            KeyShareServer(share) => share.encode(w),
            KeyShareHelloRetryRequest(group) => group.encode(w),
            PskKeyExchangeModes(m) => write_vec(w, LengthPrefix::U8, m),
            CompressCertificate(a) => write_vec(w, LengthPrefix::U8, a),
            ClientCertificateTypes(t) | ServerCertificateTypes(t) => {
                write_vec(w, LengthPrefix::U8, t)
            }
            ClientCertificateType(t) | ServerCertificateType(t) => t.encode(w),
            PreSharedKeyClient(offer) => offer.encode(w),
            PreSharedKeyServer(i) => w.put_u16(*i),
            EarlyDataMax(n) => w.put_u32(*n),
            Cookie(c) => w.put_vec(LengthPrefix::U16, c),
            RenegotiationInfo(r) => w.put_vec(LengthPrefix::U8, r),
            SessionTicket(t)
            | Padding(t)
            | EncryptedClientHello(t)
            | QuicTransportParameters(t)
            | Unknown { data: t, .. }
            | BadPreSharedKey(_, t) => w.put_bytes(t),
            RecordSizeLimit(n) => w.put_u16(*n),
            CertificateAuthorities(names) => w.prefixed(LengthPrefix::U16, |w| {
                for n in names {
                    w.put_vec(LengthPrefix::U16, n);
                }
            }),
        }
    }

    /// Decodes one extension's body of type `typ` found in `ctx`.
    pub fn decode_body(
        typ: ExtensionType,
        body: &[u8],
        ctx: ExtensionContext,
    ) -> Result<Extension, DecodeError> {
        use ExtensionContext as C;
        let unknown = || Extension::Unknown {
            typ,
            data: body.to_vec(),
        };
        let ext = match (typ, ctx) {
            (ExtensionType::SERVER_NAME, C::ClientHello) => {
                Extension::ServerName(read_list(body, LengthPrefix::U16, 1, 0xffff)?)
            }
            (ExtensionType::SERVER_NAME, C::ServerHello | C::EncryptedExtensions) => {
                expect_empty(body)?;
                Extension::ServerNameAck
            }
            (ExtensionType::SUPPORTED_GROUPS, C::ClientHello | C::EncryptedExtensions) => {
                Extension::SupportedGroups(read_list(body, LengthPrefix::U16, 2, 0xffff)?)
            }
            (
                ExtensionType::EC_POINT_FORMATS
                | ExtensionType::EXTENDED_MASTER_SECRET
                | ExtensionType::RENEGOTIATION_INFO,
                C::ClientHello | C::ServerHello,
            ) => match (Self::decode_tls12_only(typ, body), ctx) {
                (Ok(ext), _) => ext,
                // Only TLS 1.2 reads these, and a ClientHello is parsed before
                // the version is chosen: kept as they came, and refused if
                // TLS 1.2 is (`malformed_tls12_only`), ignored in TLS 1.3.
                (Err(_), C::ClientHello) => unknown(),
                (Err(e), _) => return Err(e),
            },
            (ExtensionType::SIGNATURE_ALGORITHMS, C::ClientHello | C::CertificateRequest) => {
                Extension::SignatureAlgorithms(read_list(body, LengthPrefix::U16, 2, 0xfffe)?)
            }
            (ExtensionType::SIGNATURE_ALGORITHMS_CERT, C::ClientHello | C::CertificateRequest) => {
                Extension::SignatureAlgorithmsCert(read_list(body, LengthPrefix::U16, 2, 0xfffe)?)
            }
            (
                ExtensionType::APPLICATION_LAYER_PROTOCOL_NEGOTIATION,
                C::ClientHello | C::ServerHello | C::EncryptedExtensions,
            ) => {
                let mut r = Reader::new(body);
                let mut list = r.sub(LengthPrefix::U16, 2, 0xffff)?;
                r.finish()?;
                let mut protocols = Vec::new();
                while !list.at_end() {
                    protocols.push(list.vec_bytes(LengthPrefix::U8, 1, 0xff)?.to_vec());
                }
                // RFC 7301 §3.1: the server's list holds exactly one name.
                if ctx != C::ClientHello && protocols.len() != 1 {
                    return Err(DecodeError::IllegalValue(
                        "server ALPN list must hold one name",
                    ));
                }
                Extension::Alpn(protocols)
            }
            // RFC 8446 §4.4.2.1: a server asks for the client's OCSP
            // response with an empty status_request in CertificateRequest.
            (ExtensionType::STATUS_REQUEST, C::CertificateRequest) if body.is_empty() => {
                Extension::StatusRequestAck
            }
            (ExtensionType::STATUS_REQUEST, C::ClientHello | C::CertificateRequest) => {
                let mut r = Reader::new(body);
                Extension::StatusRequest(CertificateStatusRequest {
                    status_type: CertificateStatusType::read(&mut r)?,
                    request: r.rest().to_vec(),
                })
            }
            (ExtensionType::STATUS_REQUEST, C::ServerHello) => {
                expect_empty(body)?;
                Extension::StatusRequestAck
            }
            (ExtensionType::SIGNED_CERTIFICATE_TIMESTAMP, C::ClientHello) => {
                expect_empty(body)?;
                Extension::SignedCertificateTimestampRequest
            }
            (ExtensionType::SIGNED_CERTIFICATE_TIMESTAMP, C::ServerHello | C::Certificate) => {
                // RFC 6962 §3.3: SerializedSCT sct_list <1..2^16-1>, each
                // SerializedSCT <1..2^16-1>.
                let mut r = Reader::new(body);
                let mut list = r.sub(LengthPrefix::U16, 1, 0xffff)?;
                r.finish()?;
                while !list.at_end() {
                    list.vec_bytes(LengthPrefix::U16, 1, 0xffff)?;
                }
                Extension::SignedCertificateTimestamps(body.to_vec())
            }
            (ExtensionType::STATUS_REQUEST, C::Certificate) => {
                let mut r = Reader::new(body);
                if CertificateStatusType::read(&mut r)? != CertificateStatusType::OCSP {
                    return Err(DecodeError::IllegalValue("certificate status type"));
                }
                let ocsp = r.vec_bytes(LengthPrefix::U24, 1, 0xff_ffff)?.to_vec();
                r.finish()?;
                Extension::CertificateStatus(ocsp)
            }
            (ExtensionType::SUPPORTED_VERSIONS, C::ClientHello) => {
                Extension::SupportedVersionsClient(read_list(body, LengthPrefix::U8, 2, 254)?)
            }
            (ExtensionType::SUPPORTED_VERSIONS, C::ServerHello | C::HelloRetryRequest) => {
                Extension::SupportedVersionsServer(ProtocolVersion::decode(body)?)
            }
            (ExtensionType::KEY_SHARE, C::ClientHello) => {
                Extension::KeyShareClient(read_list(body, LengthPrefix::U16, 0, 0xffff)?)
            }
            (ExtensionType::KEY_SHARE, C::ServerHello) => {
                Extension::KeyShareServer(KeyShareEntry::decode(body)?)
            }
            (ExtensionType::KEY_SHARE, C::HelloRetryRequest) => {
                Extension::KeyShareHelloRetryRequest(NamedGroup::decode(body)?)
            }
            // RFC 8879 §3: `CertificateCompressionAlgorithm algorithms<2..2^8-2>`.
            (ExtensionType::COMPRESS_CERTIFICATE, C::ClientHello | C::CertificateRequest) => {
                Extension::CompressCertificate(read_list(body, LengthPrefix::U8, 2, 254)?)
            }
            (
                ExtensionType::CLIENT_CERTIFICATE_TYPE | ExtensionType::SERVER_CERTIFICATE_TYPE,
                C::ClientHello,
            ) => {
                let types = certificate_type_list(body)?;
                match typ {
                    ExtensionType::CLIENT_CERTIFICATE_TYPE => {
                        Extension::ClientCertificateTypes(types)
                    }
                    _ => Extension::ServerCertificateTypes(types),
                }
            }
            // RFC 7250 §3: the server's answer is a single CertificateType;
            // RFC 8446 §4.2 puts it in EncryptedExtensions in TLS 1.3.
            (
                ExtensionType::CLIENT_CERTIFICATE_TYPE | ExtensionType::SERVER_CERTIFICATE_TYPE,
                C::ServerHello | C::EncryptedExtensions,
            ) => {
                let t = CertificateType::decode(body)?;
                match typ {
                    ExtensionType::CLIENT_CERTIFICATE_TYPE => Extension::ClientCertificateType(t),
                    _ => Extension::ServerCertificateType(t),
                }
            }
            (ExtensionType::PSK_KEY_EXCHANGE_MODES, C::ClientHello) => {
                Extension::PskKeyExchangeModes(read_list(body, LengthPrefix::U8, 1, 0xff)?)
            }
            (ExtensionType::PRE_SHARED_KEY, C::ClientHello) => match OfferedPsks::decode(body) {
                Ok(o) => Extension::PreSharedKeyClient(o),
                Err(e) => Extension::BadPreSharedKey(e, body.to_vec()),
            },
            (ExtensionType::PRE_SHARED_KEY, C::ServerHello) => {
                Extension::PreSharedKeyServer(u16::decode(body)?)
            }
            (ExtensionType::EARLY_DATA, C::ClientHello | C::EncryptedExtensions) => {
                expect_empty(body)?;
                Extension::EarlyData
            }
            (ExtensionType::EARLY_DATA, C::NewSessionTicket) => {
                Extension::EarlyDataMax(u32::decode(body)?)
            }
            (ExtensionType::COOKIE, C::ClientHello | C::HelloRetryRequest) => {
                let mut r = Reader::new(body);
                let c = r.vec_bytes(LengthPrefix::U16, 1, 0xffff)?.to_vec();
                r.finish()?;
                Extension::Cookie(c)
            }
            (ExtensionType::SESSION_TICKET, C::ClientHello | C::ServerHello) => {
                Extension::SessionTicket(body.to_vec())
            }
            (
                ExtensionType::RECORD_SIZE_LIMIT,
                C::ClientHello | C::ServerHello | C::EncryptedExtensions,
            ) => {
                let n = u16::decode(body)?;
                // RFC 8449 §4: a value below 64 is illegal_parameter.
                if n < 64 {
                    return Err(DecodeError::IllegalValue("record_size_limit below 64"));
                }
                Extension::RecordSizeLimit(n)
            }
            (ExtensionType::CERTIFICATE_AUTHORITIES, C::ClientHello | C::CertificateRequest) => {
                let mut r = Reader::new(body);
                let mut list = r.sub(LengthPrefix::U16, 3, 0xffff)?;
                r.finish()?;
                let mut names = Vec::new();
                while !list.at_end() {
                    names.push(list.vec_bytes(LengthPrefix::U16, 1, 0xffff)?.to_vec());
                }
                Extension::CertificateAuthorities(names)
            }
            (ExtensionType::PADDING, C::ClientHello) => Extension::Padding(body.to_vec()),
            (
                ExtensionType::ENCRYPTED_CLIENT_HELLO,
                C::ClientHello | C::HelloRetryRequest | C::EncryptedExtensions,
            ) => Extension::EncryptedClientHello(body.to_vec()),
            (
                ExtensionType::QUIC_TRANSPORT_PARAMETERS,
                C::ClientHello | C::EncryptedExtensions,
            ) => Extension::QuicTransportParameters(body.to_vec()),
            _ => unknown(),
        };
        Ok(ext)
    }

    /// The TLS 1.2-only extensions of a hello: ec_point_formats (RFC 8422
    /// §5.1.2), extended_master_secret (RFC 7627 §5.1), renegotiation_info
    /// (RFC 5746 §3.2).
    fn decode_tls12_only(typ: ExtensionType, body: &[u8]) -> Result<Extension, DecodeError> {
        Ok(match typ {
            ExtensionType::EC_POINT_FORMATS => {
                Extension::EcPointFormats(read_list(body, LengthPrefix::U8, 1, 0xff)?)
            }
            ExtensionType::EXTENDED_MASTER_SECRET => {
                expect_empty(body)?;
                Extension::ExtendedMasterSecret
            }
            _ => {
                let mut r = Reader::new(body);
                let v = r.vec_bytes(LengthPrefix::U8, 0, 0xff)?.to_vec();
                r.finish()?;
                Extension::RenegotiationInfo(v)
            }
        })
    }

    /// The decode error of the first TLS 1.2-only extension in a
    /// ClientHello's `exts` that did not parse (kept as unknown), for a
    /// server that has chosen TLS 1.2.
    pub fn malformed_tls12_only(exts: &[Extension]) -> Option<(ExtensionType, DecodeError)> {
        exts.iter().find_map(|e| match e {
            Extension::Unknown { typ, data } if TLS12_ONLY.contains(typ) => {
                Self::decode_tls12_only(*typ, data)
                    .err()
                    .map(|err| (*typ, err))
            }
            _ => None,
        })
    }

    /// Reads one extension (type, then a u16-prefixed body) in `ctx`.
    pub fn read(r: &mut Reader<'_>, ctx: ExtensionContext) -> Result<Extension, DecodeError> {
        let typ = ExtensionType::read(r)?;
        let body = r.vec_bytes(LengthPrefix::U16, 0, 0xffff)?;
        Extension::decode_body(typ, body, ctx)
    }

    /// Appends the extension: type, length, body.
    pub fn encode(&self, w: &mut Writer<'_>) {
        self.typ().encode(w);
        w.prefixed(LengthPrefix::U16, |w| self.encode_body(w));
    }
}

/// A ClientHello's `CertificateType client_certificate_types<1..2^8-1>` or
/// `server_certificate_types<1..2^8-1>` (RFC 7250 §3). RFC 7250 §4.1: a
/// client whose only type is the default X.509 omits the extension, so a
/// list of X.509 alone is illegal_parameter; unknown values are kept.
fn certificate_type_list(body: &[u8]) -> Result<Vec<CertificateType>, DecodeError> {
    let types: Vec<CertificateType> = read_list(body, LengthPrefix::U8, 1, 0xff)?;
    if types.iter().all(|t| *t == CertificateType::X509) {
        return Err(DecodeError::IllegalValue(
            "a certificate type list of X509 alone, which RFC 7250 §4.1 says to omit",
        ));
    }
    Ok(types)
}

/// Reads `Extension extensions<min..2^16-1>` in `ctx`, rejecting a type that
/// appears twice (RFC 8446 §4.2).
pub fn read_extensions(
    r: &mut Reader<'_>,
    ctx: ExtensionContext,
    min: usize,
) -> Result<Vec<Extension>, DecodeError> {
    let body = r.vec_bytes(LengthPrefix::U16, min, 0xffff)?;
    // One bit per extension type: no allocation, and constant time per
    // extension however many a peer sends.
    let mut seen = [0u64; 1024];
    // An extension takes four bytes at least; most hellos have under 24.
    let mut out = Vec::with_capacity((body.len() / 4).min(24));
    let mut list = Reader::new(body);
    while !list.at_end() {
        let ext = Extension::read(&mut list, ctx)?;
        let t = usize::from(ext.typ().0);
        let (word, bit) = (t / 64, 1u64 << (t % 64));
        let slot = seen.get_mut(word).ok_or(DecodeError::DuplicateExtension)?;
        if *slot & bit != 0 {
            return Err(DecodeError::DuplicateExtension);
        }
        *slot |= bit;
        out.push(ext);
    }
    Ok(out)
}

/// Writes a u16-prefixed extension list.
pub fn write_extensions(w: &mut Writer<'_>, exts: &[Extension]) {
    w.prefixed(LengthPrefix::U16, |w| {
        for e in exts {
            e.encode(w);
        }
    });
}

/// Finds the first extension of `typ` in `exts`.
pub fn find(exts: &[Extension], typ: ExtensionType) -> Option<&Extension> {
    exts.iter().find(|e| e.typ() == typ)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_tls12_only_extensions_wait_for_the_version() {
        use ExtensionContext as C;
        use ExtensionType as T;
        for (typ, body) in [
            (T::EC_POINT_FORMATS, &b""[..]),
            (T::EXTENDED_MASTER_SECRET, &b"\x00"[..]),
            (T::RENEGOTIATION_INFO, &b"\x05\x01"[..]),
        ] {
            // In a ClientHello: kept as they came, reported on request.
            let ext = Extension::decode_body(typ, body, C::ClientHello).unwrap();
            assert_eq!(
                ext,
                Extension::Unknown {
                    typ,
                    data: body.to_vec()
                }
            );
            let (which, _) = Extension::malformed_tls12_only(&[ext]).unwrap();
            assert_eq!(which, typ);
            // In a ServerHello (TLS 1.2 only): an error at once.
            assert!(Extension::decode_body(typ, body, C::ServerHello).is_err());
        }
        // Well-formed ones parse, and an unknown type is not reported.
        let ok = Extension::decode_body(T::EXTENDED_MASTER_SECRET, b"", C::ClientHello).unwrap();
        assert_eq!(ok, Extension::ExtendedMasterSecret);
        let other = Extension::decode_body(ExtensionType(0x1234), b"\x00", C::ClientHello).unwrap();
        assert_eq!(Extension::malformed_tls12_only(&[ok, other]), None);
    }

    fn round_trip(hex_body: &str, typ: ExtensionType, ctx: ExtensionContext) -> Extension {
        let body = hex::decode(hex_body).unwrap();
        let ext = Extension::decode_body(typ, &body, ctx).unwrap();
        let mut out = Vec::new();
        ext.encode(&mut Writer::new(&mut out));
        assert_eq!(&out[4..], &body[..], "{ext:?}");
        assert_eq!(u16::from_be_bytes([out[0], out[1]]), typ.0);
        ext
    }

    #[test]
    fn every_typed_extension_round_trips() {
        use ExtensionContext as C;
        use ExtensionType as T;
        let cases: &[(&str, T, C)] = &[
            ("0009000006736572766572", T::SERVER_NAME, C::ClientHello),
            ("", T::SERVER_NAME, C::EncryptedExtensions),
            ("0004001d0017", T::SUPPORTED_GROUPS, C::ClientHello),
            ("0100", T::EC_POINT_FORMATS, C::ClientHello),
            ("000404030804", T::SIGNATURE_ALGORITHMS, C::ClientHello),
            (
                "00020403",
                T::SIGNATURE_ALGORITHMS_CERT,
                C::CertificateRequest,
            ),
            (
                "000c02683208687474702f312e31",
                T::APPLICATION_LAYER_PROTOCOL_NEGOTIATION,
                C::ClientHello,
            ),
            (
                "0003026832",
                T::APPLICATION_LAYER_PROTOCOL_NEGOTIATION,
                C::EncryptedExtensions,
            ),
            ("0100000000", T::STATUS_REQUEST, C::ClientHello),
            ("", T::STATUS_REQUEST, C::ServerHello),
            ("", T::STATUS_REQUEST, C::CertificateRequest),
            ("01000003aabbcc", T::STATUS_REQUEST, C::Certificate),
            ("0403040303", T::SUPPORTED_VERSIONS, C::ClientHello),
            ("0304", T::SUPPORTED_VERSIONS, C::ServerHello),
            ("0006001d00020102", T::KEY_SHARE, C::ClientHello),
            ("0000", T::KEY_SHARE, C::ClientHello),
            ("001d00020102", T::KEY_SHARE, C::ServerHello),
            ("0017", T::KEY_SHARE, C::HelloRetryRequest),
            ("0101", T::PSK_KEY_EXCHANGE_MODES, C::ClientHello),
            ("0000", T::PRE_SHARED_KEY, C::ServerHello),
            ("", T::EARLY_DATA, C::ClientHello),
            ("00004000", T::EARLY_DATA, C::NewSessionTicket),
            ("0003010203", T::COOKIE, C::HelloRetryRequest),
            ("", T::EXTENDED_MASTER_SECRET, C::ClientHello),
            ("00", T::RENEGOTIATION_INFO, C::ClientHello),
            (
                "0c000102030405060708090a0b",
                T::RENEGOTIATION_INFO,
                C::ServerHello,
            ),
            ("", T::SESSION_TICKET, C::ClientHello),
            ("4001", T::RECORD_SIZE_LIMIT, C::EncryptedExtensions),
            (
                "0005000330010a",
                T::CERTIFICATE_AUTHORITIES,
                C::CertificateRequest,
            ),
            ("00000000", T::PADDING, C::ClientHello),
            ("020200", T::CLIENT_CERTIFICATE_TYPE, C::ClientHello),
            ("0102", T::SERVER_CERTIFICATE_TYPE, C::ClientHello),
            ("020205", T::SERVER_CERTIFICATE_TYPE, C::ClientHello),
            ("02", T::SERVER_CERTIFICATE_TYPE, C::EncryptedExtensions),
            ("00", T::SERVER_CERTIFICATE_TYPE, C::ServerHello),
            ("02", T::CLIENT_CERTIFICATE_TYPE, C::ServerHello),
            ("00", T::CLIENT_CERTIFICATE_TYPE, C::EncryptedExtensions),
            ("beef", ExtensionType(0x1a1a), C::ClientHello),
        ];
        for (body, typ, ctx) in cases {
            round_trip(body, *typ, *ctx);
        }
        let mut psk = String::from("000a");
        psk += "0004aabbccdd01020304";
        psk += "0021";
        psk += &format!("20{}", "11".repeat(32));
        let ext = round_trip(&psk, T::PRE_SHARED_KEY, C::ClientHello);
        match ext {
            Extension::PreSharedKeyClient(o) => assert_eq!(o.binders_len(), 2 + 33),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_bodies_are_rejected() {
        use ExtensionContext as C;
        use ExtensionType as T;
        let bad: &[(&str, T, C, DecodeError)] = &[
            (
                "0009000006736572766572ff",
                T::SERVER_NAME,
                C::ClientHello,
                DecodeError::TrailingBytes,
            ),
            (
                "00",
                T::SERVER_NAME,
                C::ServerHello,
                DecodeError::TrailingBytes,
            ),
            (
                "0000",
                T::SUPPORTED_GROUPS,
                C::ClientHello,
                DecodeError::BadLength,
            ),
            (
                "0003001d00",
                T::SUPPORTED_GROUPS,
                C::ClientHello,
                DecodeError::Truncated,
            ),
            (
                "0005026832",
                T::APPLICATION_LAYER_PROTOCOL_NEGOTIATION,
                C::ClientHello,
                DecodeError::Truncated,
            ),
            (
                "000100",
                T::APPLICATION_LAYER_PROTOCOL_NEGOTIATION,
                C::ClientHello,
                DecodeError::BadLength,
            ),
            (
                "0006026832026831",
                T::APPLICATION_LAYER_PROTOCOL_NEGOTIATION,
                C::ServerHello,
                DecodeError::IllegalValue("server ALPN list must hold one name"),
            ),
            (
                "00",
                T::SUPPORTED_VERSIONS,
                C::ClientHello,
                DecodeError::BadLength,
            ),
            (
                "030400",
                T::SUPPORTED_VERSIONS,
                C::ServerHello,
                DecodeError::TrailingBytes,
            ),
            (
                "001d0000",
                T::KEY_SHARE,
                C::ServerHello,
                DecodeError::BadLength,
            ),
            (
                "00",
                T::PSK_KEY_EXCHANGE_MODES,
                C::ClientHello,
                DecodeError::BadLength,
            ),
            (
                "0000",
                T::COOKIE,
                C::HelloRetryRequest,
                DecodeError::BadLength,
            ),
            (
                "00",
                T::EXTENDED_MASTER_SECRET,
                C::ServerHello,
                DecodeError::TrailingBytes,
            ),
            (
                "003f",
                T::RECORD_SIZE_LIMIT,
                C::EncryptedExtensions,
                DecodeError::IllegalValue("record_size_limit below 64"),
            ),
            (
                "02",
                T::STATUS_REQUEST,
                C::Certificate,
                DecodeError::IllegalValue("certificate status type"),
            ),
            // RFC 7250 §3: a client's list holds one type at least.
            (
                "00",
                T::SERVER_CERTIFICATE_TYPE,
                C::ClientHello,
                DecodeError::BadLength,
            ),
            (
                "",
                T::CLIENT_CERTIFICATE_TYPE,
                C::ClientHello,
                DecodeError::Truncated,
            ),
            (
                "0302",
                T::CLIENT_CERTIFICATE_TYPE,
                C::ClientHello,
                DecodeError::Truncated,
            ),
            (
                "010200",
                T::CLIENT_CERTIFICATE_TYPE,
                C::ClientHello,
                DecodeError::TrailingBytes,
            ),
            // RFC 7250 §4.1: X.509 alone is said by leaving the list out.
            (
                "0100",
                T::SERVER_CERTIFICATE_TYPE,
                C::ClientHello,
                DecodeError::IllegalValue(
                    "a certificate type list of X509 alone, which RFC 7250 §4.1 says to omit",
                ),
            ),
            // The server's answer is one type, nothing more.
            (
                "",
                T::SERVER_CERTIFICATE_TYPE,
                C::EncryptedExtensions,
                DecodeError::Truncated,
            ),
            (
                "0202",
                T::CLIENT_CERTIFICATE_TYPE,
                C::ServerHello,
                DecodeError::TrailingBytes,
            ),
        ];
        for (body, typ, ctx, err) in bad {
            let body = hex::decode(body).unwrap();
            assert_eq!(
                Extension::decode_body(*typ, &body, *ctx),
                Err(*err),
                "{typ:?} {ctx:?}"
            );
        }
    }

    #[test]
    fn certificate_type_extensions_take_their_form_from_the_message() {
        use CertificateType as CT;
        use ExtensionContext as C;
        use ExtensionType as T;
        // A client's list, its preference first, unknown values kept.
        assert_eq!(
            round_trip("03020005", T::SERVER_CERTIFICATE_TYPE, C::ClientHello),
            Extension::ServerCertificateTypes(vec![CT::RAW_PUBLIC_KEY, CT::X509, CT(5)])
        );
        assert_eq!(
            round_trip("0102", T::CLIENT_CERTIFICATE_TYPE, C::ClientHello),
            Extension::ClientCertificateTypes(vec![CT::RAW_PUBLIC_KEY])
        );
        // The server's one choice.
        assert_eq!(
            round_trip("02", T::CLIENT_CERTIFICATE_TYPE, C::EncryptedExtensions),
            Extension::ClientCertificateType(CT::RAW_PUBLIC_KEY)
        );
        assert_eq!(
            round_trip("00", T::SERVER_CERTIFICATE_TYPE, C::ServerHello),
            Extension::ServerCertificateType(CT::X509)
        );
        // Where RFC 8446 §4.2 does not put them, they stay raw for the
        // handshake to refuse.
        assert!(matches!(
            Extension::decode_body(T::SERVER_CERTIFICATE_TYPE, b"\x02", C::CertificateRequest),
            Ok(Extension::Unknown { .. })
        ));
        // Unknown values alone are a list (the server finds nothing in it).
        assert_eq!(
            round_trip("0109", T::CLIENT_CERTIFICATE_TYPE, C::ClientHello),
            Extension::ClientCertificateTypes(vec![CT(9)])
        );
        assert_eq!(format!("{:?}", CT::RAW_PUBLIC_KEY), "RawPublicKey");
        assert_eq!(CertificateType::default(), CT::X509);
    }

    #[test]
    fn duplicate_extension_is_a_decode_error() {
        let list = hex::decode("000800170000 00170000".replace(' ', "")).unwrap();
        let mut r = Reader::new(&list);
        assert_eq!(
            read_extensions(&mut r, ExtensionContext::ClientHello, 0),
            Err(DecodeError::DuplicateExtension)
        );
        // Two unknown extensions of the same type are duplicates too.
        let list = hex::decode("00081a1a00001a1a0000").unwrap();
        assert_eq!(
            read_extensions(&mut Reader::new(&list), ExtensionContext::ClientHello, 0),
            Err(DecodeError::DuplicateExtension)
        );
    }

    #[test]
    fn extension_out_of_context_is_kept_raw() {
        let body = hex::decode("0006001d00020102").unwrap();
        let ext = Extension::decode_body(
            ExtensionType::KEY_SHARE,
            &body,
            ExtensionContext::EncryptedExtensions,
        )
        .unwrap();
        assert!(matches!(ext, Extension::Unknown { .. }));
    }

    #[test]
    fn psk_binder_count_must_match() {
        let mut body = String::from("0014");
        body += "0004aabbccdd01020304";
        body += "0004aabbccdd01020304";
        body += "0021";
        body += &format!("20{}", "11".repeat(32));
        let body = hex::decode(body).unwrap();
        assert!(matches!(
            Extension::decode_body(
                ExtensionType::PRE_SHARED_KEY,
                &body,
                ExtensionContext::ClientHello
            ),
            Ok(Extension::BadPreSharedKey(DecodeError::IllegalValue(_), _))
        ));
    }
}
