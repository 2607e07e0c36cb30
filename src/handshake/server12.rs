//! The TLS 1.2 server (RFC 5246 §7.3, RFC 8422, RFC 7627, RFC 5746, RFC
//! 5077, RFC 6066 §8), a step per message.

use super::cert_types;
use super::common::{check_finished, illegal, list, Exporter};
use super::server_common::{
    check_issuers, choose_alpn, choose_certificate, choose_suite, client_authorities,
    record_session_identity, sent_sct_list, session_client_certs, sni, stapled_ocsp,
};
use super::tls12::{keys, scheme_fits, signed_params, Connected12};
use super::transcript::Transcript;
use super::{Command, Context, State, StateId};
use crate::codec::Codec;
use crate::config::{CertifiedKey, ServerConfig};
use crate::crypto::sign::KeyKind;
use crate::crypto::suites::lookup;
use crate::crypto::{ActiveKeyExchange, Secret, SupportedSuite, Tls12Suite};
use crate::error::{Error, Negotiable};
use crate::key_schedule::tls12;
use crate::msgs::enums::{
    AlertDescription, CertificateType, CipherSuite, CompressionMethod, EcPointFormat,
    ExtensionType, NamedGroup, ProtocolVersion, SignatureScheme,
};
use crate::msgs::extensions::Extension;
use crate::msgs::handshake::{
    CertificateRequest12, ClientHello, DigitallySigned, EcdheParams, HandshakeMessage,
    HandshakePayload, NewSessionTicket12, ServerHello, ServerKeyExchange, DOWNGRADE_TLS12,
};
use crate::msgs::Role;
use crate::record::{RecordOpener, RecordSealer};
use crate::session::ServerSessionValue;
use pki_types::CertificateDer;
use std::sync::Arc;

/// RFC 5246 §7.4.4 ClientCertificateType: rsa_sign and ecdsa_sign.
const CERT_TYPES: [u8; 2] = [1, 64];

/// What a TLS 1.2 ClientHello says about the client's abilities.
struct Hello12 {
    /// It signals secure renegotiation (RFC 5746 §3.6).
    secure_reneg: bool,
    /// It offers the extended master secret (RFC 7627).
    ems: bool,
}

/// What the server chose for a full handshake.
struct Choices<'a> {
    suite: &'static Tls12Suite,
    cert: &'a CertifiedKey,
    scheme: SignatureScheme,
    group: NamedGroup,
    alpn: Option<Vec<u8>>,
    /// Whether the client asked with server_certificate_type (RFC 7250
    /// §4.2): the certificate's type is answered.
    answer_server_type: bool,
    /// The client certificate type to ask for, when client certificates
    /// are asked for, and whether to answer client_certificate_type.
    client_type: Option<(CertificateType, bool)>,
}

pub(super) fn handle_client_hello(
    config: Arc<ServerConfig>,
    cx: &mut Context<'_>,
    ch: &ClientHello,
    raw: &[u8],
) -> Result<Box<dyn State>, Error> {
    let hello = check_hello(&config, ch)?;
    let name = sni(ch)?;
    let sni_text = name.as_ref().map(|n| n.as_ref().to_string());
    if let Some((value, suite)) = find_session(&config, ch, hello.ems, sni_text.as_deref())? {
        return resume(config, cx, ch, raw, value, suite, hello.secure_reneg);
    }
    let c = choose(&config, ch, name.as_ref())?;
    let (suite, group, alpn) = (c.suite, c.group, c.alpn.clone());
    let mut hs = Hs {
        config: config.clone(),
        suite,
        transcript: Transcript::new(),
        client_random: ch.random,
        server_random: [0; 32],
        ems: hello.ems,
        kx: None,
        requested: Vec::new(),
        session_id: Vec::new(),
        send_ticket: false,
        sni: sni_text,
    };
    let verifier = c
        .client_type
        .map(|(t, _)| (t, config.requires_client_cert(t)));
    hs.transcript.start_hash(suite.hash, verifier.is_some());
    hs.transcript.add(raw);
    write_server_hello(&mut hs, cx, ch, &hello, &c)?;
    write_server_flight(&mut hs, cx, ch, &c, verifier)?;
    cx.info.suite = Some(SupportedSuite::Tls12(suite));
    cx.info.server_cert_type = c.cert.certificate_type();
    if let Some((t, _)) = verifier {
        cx.info.client_cert_type = t;
    }
    cx.info.group = Some(group);
    cx.info.alpn = alpn;
    cx.info.extended_master_secret = hello.ems;
    Ok(match verifier {
        Some((_, required)) => Box::new(ExpectCertificate { hs, required }),
        None => Box::new(ExpectClientKeyExchange {
            hs,
            client_cert: false,
        }),
    })
}

/// The rules a TLS 1.2 ClientHello must meet before anything is chosen:
/// the null compression method, well-formed TLS 1.2 extensions, an empty
/// renegotiation_info (RFC 5746 §3.6), the extended master secret if we
/// require it (RFC 7627 §5.2), uncompressed points (RFC 8422 §5.1.2).
fn check_hello(config: &ServerConfig, ch: &ClientHello) -> Result<Hello12, Error> {
    if !ch.compression_methods.contains(&CompressionMethod::NULL) {
        return Err(illegal(
            "the ClientHello does not offer the null compression method",
        ));
    }
    if let Some((typ, e)) = Extension::malformed_tls12_only(&ch.extensions) {
        return Err(Error::Decode {
            context: match typ {
                ExtensionType::EC_POINT_FORMATS => "ec_point_formats",
                ExtensionType::EXTENDED_MASTER_SECRET => "extended_master_secret",
                _ => "renegotiation_info",
            },
            error: e,
        });
    }
    let reneg_ext = match ch.extension(ExtensionType::RENEGOTIATION_INFO) {
        Some(Extension::RenegotiationInfo(v)) if !v.is_empty() => {
            return Err(Error::peer(
                AlertDescription::HANDSHAKE_FAILURE,
                "non-empty renegotiation_info on an initial handshake",
            ))
        }
        Some(_) => true,
        None => false,
    };
    let secure_reneg = reneg_ext
        || ch
            .cipher_suites
            .contains(&CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
    let ems = ch
        .extension(ExtensionType::EXTENDED_MASTER_SECRET)
        .is_some();
    if !ems && config.require_ems {
        return Err(Error::peer(
            AlertDescription::HANDSHAKE_FAILURE,
            "the client does not support the extended master secret (RFC 7627), which this \
             server requires; a server may allow such clients with \
             danger::allow_no_extended_master_secret_server (cloak server --allow-no-ems)",
        ));
    }
    if let Some(Extension::EcPointFormats(f)) = ch.extension(ExtensionType::EC_POINT_FORMATS) {
        if !f.contains(&EcPointFormat::UNCOMPRESSED) {
            return Err(illegal("the client does not accept uncompressed points"));
        }
    }
    Ok(Hello12 { secure_reneg, ems })
}

/// The group, the suite, the certificate and its scheme, and ALPN: the
/// first suite of ours that the client offered and one of our
/// certificates can authenticate with a scheme the client accepts.
fn choose<'a>(
    config: &'a ServerConfig,
    ch: &ClientHello,
    name: Option<&pki_types::DnsName<'static>>,
) -> Result<Choices<'a>, Error> {
    // A client that lists no curves gets no ECDHE suite (as in BoringSSL;
    // RFC 8422 §4 leaves it open, and every TLS 1.2 client that can verify
    // our SHA-2 signatures lists its curves).
    let their_groups: &[NamedGroup] = match ch.extension(ExtensionType::SUPPORTED_GROUPS) {
        Some(Extension::SupportedGroups(g)) => g,
        _ => &[],
    };
    let ours = config.key_exchange.names(false);
    let group = *ours
        .iter()
        .find(|g| their_groups.contains(g))
        .ok_or_else(|| Error::NoCommon {
            what: Negotiable::KeyExchangeGroup,
            ours: list(&ours),
            theirs: list(their_groups),
        })?;
    // RFC 5246 §7.4.1.4.1: without signature_algorithms the default is
    // SHA-1, which we do not sign with.
    let schemes: Vec<SignatureScheme> = match ch.extension(ExtensionType::SIGNATURE_ALGORITHMS) {
        Some(Extension::SignatureAlgorithms(s)) => s
            .iter()
            .copied()
            .filter(|s| config.allows_scheme(*s))
            .collect(),
        _ => Vec::new(),
    };
    let schemes = schemes.as_slice();
    // RFC 7250 §4.2: only a credential of a type the client accepts.
    let (types, answer_server_type) = cert_types::server_types(config, ch);
    if !config
        .certs
        .iter()
        .any(|c| types.contains(&c.certificate_type()))
    {
        return Err(cert_types::no_credential_of_type(config, ch));
    }
    check_issuers(config, ch)?;
    let authorities = client_authorities(ch);
    let usable = |suite: &Tls12Suite, key: &CertifiedKey| {
        types.contains(&key.certificate_type())
            && key.fits_authorities(authorities)
            && usable_scheme(suite, key, schemes, their_groups).is_some()
    };
    let suite = choose_suite(config, ch, ProtocolVersion::TLSV1_2, |s| match s {
        SupportedSuite::Tls12(t) => config.certs.iter().any(|c| usable(t, c)),
        SupportedSuite::Tls13(_) => false,
    })
    .map_err(|e| no_suite_error(config, ch, e, schemes, their_groups))?;
    let SupportedSuite::Tls12(suite) = suite else {
        return Err(Error::Internal("a TLS 1.3 suite for TLS 1.2"));
    };
    let cert = choose_certificate(config, ch, name, &types, |c| usable(suite, c))
        .ok_or(Error::Internal("no certificate for the chosen suite"))?;
    let scheme = usable_scheme(suite, cert, schemes, their_groups)
        .ok_or(Error::Internal("no scheme for the chosen certificate"))?;
    let client_type = match config.asks_client_auth() {
        true => Some(cert_types::client_type(config, ch)?),
        false => None,
    };
    Ok(Choices {
        suite,
        cert,
        scheme,
        group,
        alpn: choose_alpn(config, ch)?,
        answer_server_type,
        client_type,
    })
}

/// The scheme with which `key` can authenticate `suite` for a client that
/// offered `schemes` and `groups`: the key's kind fits the suite, an ECDSA
/// key is on a curve the client listed (RFC 8422 §5.3), and the scheme is
/// one the client offered.
fn usable_scheme(
    suite: &Tls12Suite,
    key: &CertifiedKey,
    schemes: &[SignatureScheme],
    groups: &[NamedGroup],
) -> Option<SignatureScheme> {
    if !(kind_fits(suite, key) && curve_listed(key, groups)) {
        return None;
    }
    key.key
        .schemes()
        .iter()
        .copied()
        .find(|s| schemes.contains(s) && scheme_fits(*s, suite.sign))
}

/// Whether the key's kind is the one the suite authenticates with.
fn kind_fits(suite: &Tls12Suite, key: &CertifiedKey) -> bool {
    match suite.sign {
        KeyKind::Rsa => key.key.kind() == KeyKind::Rsa,
        _ => key.key.kind() != KeyKind::Rsa,
    }
}

/// RFC 8422 §5.1: in TLS 1.2 an ECDSA certificate's curve must be one of
/// the client's supported_groups (a raw public key's too).
fn curve_listed(key: &CertifiedKey, groups: &[NamedGroup]) -> bool {
    match key.ec_curve() {
        Some(curve) => groups.contains(&curve),
        None => true,
    }
}

/// No suite fits: name the real cause. Without signature_algorithms it is
/// SHA-1 (RFC 5246 §7.4.1.4.1). When the client offered a suite of ours
/// but none of our certificates can serve it, it is the certificate's
/// curve (not among the client's groups, RFC 8422 §5.1) or the schemes
/// (none the key signs with; in TLS 1.2 an ECDSA scheme names only a hash,
/// RFC 8422 §5.10, but `ring` signs P-256 only with SHA-256 and P-384 only
/// with SHA-384).
fn no_suite_error(
    config: &ServerConfig,
    ch: &ClientHello,
    e: Error,
    schemes: &[SignatureScheme],
    groups: &[NamedGroup],
) -> Error {
    let ours = match e {
        Error::NoCommon { ours, .. } if schemes.is_empty() => {
            return Error::NoCommon {
                what: Negotiable::SignatureScheme,
                ours,
                theirs: "no signature_algorithms (which means SHA-1 in TLS 1.2)".into(),
            }
        }
        Error::NoCommon {
            what: Negotiable::CipherSuite,
            ours,
            ..
        } => ours,
        other => return other,
    };
    let offered: Vec<&Tls12Suite> = config
        .suites
        .iter()
        .filter_map(|s| match s {
            SupportedSuite::Tls12(t) if ch.cipher_suites.contains(&t.suite) => Some(*t),
            _ => None,
        })
        .collect();
    let fitting: Vec<&CertifiedKey> = config
        .certs
        .iter()
        .filter(|c| offered.iter().any(|s| kind_fits(s, c)))
        .collect();
    if fitting.is_empty() {
        return Error::NoCommon {
            what: Negotiable::CipherSuite,
            ours,
            theirs: list(&ch.cipher_suites),
        };
    }
    let on_listed_curve: Vec<&&CertifiedKey> =
        fitting.iter().filter(|c| curve_listed(c, groups)).collect();
    if on_listed_curve.is_empty() {
        let curves: Vec<NamedGroup> = fitting.iter().filter_map(|c| c.ec_curve()).collect();
        return Error::NoCommon {
            what: Negotiable::Certificate,
            ours: format!("ECDSA certificates on {}", list(&curves)),
            theirs: format!(
                "supported_groups {} (RFC 8422 §5.1: a TLS 1.2 server's ECDSA key must be on a \
                 curve the client lists)",
                list(groups)
            ),
        };
    }
    let signs_with: Vec<SignatureScheme> = on_listed_curve
        .iter()
        .flat_map(|c| c.key.schemes().iter().copied())
        .collect();
    let ecdsa = |s: &SignatureScheme| scheme_fits(*s, KeyKind::Ecdsa) && s.0 & 0xff == 3;
    let hash_note = if signs_with.iter().any(ecdsa) && schemes.iter().any(ecdsa) {
        " (in TLS 1.2 an ECDSA scheme names only its hash, RFC 8422 §5.10, but ring signs \
         P-256 only with SHA-256 and P-384 only with SHA-384)"
    } else {
        ""
    };
    Error::NoCommon {
        what: Negotiable::SignatureScheme,
        ours: format!("{}{hash_note}", list(&signs_with)),
        theirs: list(schemes),
    }
}

/// A TLS 1.2 server random, marked as RFC 8446 §4.1.3 requires of a
/// server that could have done TLS 1.3.
fn server_random(config: &ServerConfig) -> Result<[u8; 32], Error> {
    let mut random = [0u8; 32];
    config.random.fill(&mut random)?;
    if config.versions.contains(&ProtocolVersion::TLSV1_3) {
        random[24..].copy_from_slice(&DOWNGRADE_TLS12);
    }
    Ok(random)
}

/// ServerHello, with the answers to what the client offered.
fn write_server_hello(
    hs: &mut Hs,
    cx: &mut Context<'_>,
    ch: &ClientHello,
    hello: &Hello12,
    c: &Choices<'_>,
) -> Result<(), Error> {
    let config = hs.config.clone();
    hs.server_random = server_random(&config)?;
    hs.send_ticket = ch.extension(ExtensionType::SESSION_TICKET).is_some()
        && config.ticket_keys.is_some()
        && config.tickets > 0;
    let mut exts = Vec::new();
    if hello.secure_reneg {
        exts.push(Extension::RenegotiationInfo(Vec::new()));
    }
    if hello.ems {
        exts.push(Extension::ExtendedMasterSecret);
    }
    if ch.extension(ExtensionType::EC_POINT_FORMATS).is_some() {
        exts.push(Extension::EcPointFormats(vec![EcPointFormat::UNCOMPRESSED]));
    }
    if let Some(p) = &c.alpn {
        exts.push(Extension::Alpn(vec![p.clone()]));
    }
    if hs.sni.is_some() {
        exts.push(Extension::ServerNameAck);
    }
    if hs.send_ticket {
        // RFC 5077 §3.2: an empty SessionTicket promises a NewSessionTicket.
        exts.push(Extension::SessionTicket(Vec::new()));
    }
    if let Some(Extension::RecordSizeLimit(l)) = ch.extension(ExtensionType::RECORD_SIZE_LIMIT) {
        cx.info.peer_record_size_limit = Some(*l);
        let ours = config
            .record_size_limit
            .unwrap_or(crate::record::MAX_FRAGMENT_LEN as u16);
        cx.info.own_record_size_limit = Some(ours);
        exts.push(Extension::RecordSizeLimit(ours));
    }
    // RFC 6066 §8: an empty status_request promises a CertificateStatus.
    if stapled_ocsp(ch, c.cert).is_some() {
        exts.push(Extension::StatusRequestAck);
    }
    if let Some(l) = sent_sct_list(ch, c.cert) {
        exts.push(Extension::SignedCertificateTimestamps(l.to_vec()));
    }
    // RFC 7250 §4.2: the types chosen, where the client asked (the
    // client's only as a CertificateRequest follows).
    if c.answer_server_type {
        exts.push(Extension::ServerCertificateType(c.cert.certificate_type()));
    }
    if let Some((t, true)) = c.client_type {
        exts.push(Extension::ClientCertificateType(t));
    }
    // A session sealed in a ticket is not also kept by ID: one copy of
    // its state, held by the client (RFC 5077 §3.4 lets a ServerHello that
    // promises a ticket carry an empty session ID).
    if config.session_cache.is_some() && !hs.send_ticket {
        hs.session_id = vec![0u8; 32];
        config.random.fill(&mut hs.session_id)?;
    }
    let sh = ServerHello {
        legacy_version: ProtocolVersion::TLSV1_2,
        random: hs.server_random,
        legacy_session_id: hs.session_id.clone(),
        cipher_suite: c.suite.suite,
        compression_method: CompressionMethod::NULL,
        extensions: exts,
    };
    cx.send(&mut hs.transcript, HandshakePayload::ServerHello(sh))?;
    Ok(())
}

/// Certificate, CertificateStatus, ServerKeyExchange, CertificateRequest,
/// ServerHelloDone (RFC 5246 §7.3, RFC 6066 §8, RFC 8422 §5.4).
fn write_server_flight(
    hs: &mut Hs,
    cx: &mut Context<'_>,
    ch: &ClientHello,
    c: &Choices<'_>,
    verifier: Option<(CertificateType, bool)>,
) -> Result<(), Error> {
    // RFC 7250 §3: a raw public key in place of the chain.
    let certificate = match &c.cert.raw_public_key {
        Some(k) => HandshakePayload::CertificateRawPublicKey12(k.as_ref().to_vec()),
        None => HandshakePayload::Certificate12(
            c.cert.chain.iter().map(|d| d.as_ref().to_vec()).collect(),
        ),
    };
    cx.send(&mut hs.transcript, certificate)?;
    cx.info.own_cert = Some(c.cert.clone());
    if let Some(ocsp) = stapled_ocsp(ch, c.cert) {
        let status = HandshakePayload::CertificateStatus(ocsp.to_vec());
        cx.send(&mut hs.transcript, status)?;
    }
    let kx = hs
        .config
        .key_exchange
        .find(c.group, ProtocolVersion::TLSV1_2)
        .ok_or(Error::Internal("the chosen group vanished"))?
        .start(hs.config.random.as_ref())?;
    let params = EcdheParams {
        group: c.group,
        public: kx.public_key().to_vec(),
    };
    hs.kx = Some(kx);
    let signed = signed_params(&ch.random, &hs.server_random, &params);
    let signature = c.cert.key.sign(c.scheme, &signed)?;
    let ske = ServerKeyExchange {
        params,
        signed: DigitallySigned {
            scheme: c.scheme,
            signature,
        },
    };
    cx.send(&mut hs.transcript, HandshakePayload::ServerKeyExchange(ske))?;
    if let Some((t, _)) = verifier {
        let config = &hs.config;
        hs.requested = config
            .client_schemes(t)?
            .into_iter()
            .filter(|s| config.allows_scheme(*s))
            .collect();
        // Authorities name the issuers of X.509 certificates only.
        let certificate_authorities = match t {
            CertificateType::X509 => config.client_verifier()?.root_subjects(),
            _ => Vec::new(),
        };
        let cr = CertificateRequest12 {
            certificate_types: CERT_TYPES.to_vec(),
            signature_algorithms: hs.requested.clone(),
            certificate_authorities,
        };
        cx.send(
            &mut hs.transcript,
            HandshakePayload::CertificateRequest12(cr),
        )?;
    }
    cx.send(&mut hs.transcript, HandshakePayload::ServerHelloDone)?;
    Ok(())
}

/// What the TLS 1.2 server carries through the handshake.
struct Hs {
    config: Arc<ServerConfig>,
    suite: &'static Tls12Suite,
    transcript: Transcript,
    client_random: [u8; 32],
    server_random: [u8; 32],
    ems: bool,
    kx: Option<Box<dyn ActiveKeyExchange>>,
    requested: Vec<SignatureScheme>,
    session_id: Vec<u8>,
    send_ticket: bool,
    sni: Option<String>,
}

// ---- The client's flight: Certificate, ClientKeyExchange, CertificateVerify ----

struct ExpectCertificate {
    hs: Hs,
    required: bool,
}

impl State for ExpectCertificate {
    fn id(&self) -> StateId {
        StateId::ServerExpectCertificate12
    }

    fn handle(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage,
        raw: &[u8],
    ) -> Result<Box<dyn State>, Error> {
        self.hs.transcript.add(raw);
        let config = self.hs.config.clone();
        // RFC 7250 §3: a raw public key, or none (empty), once negotiated.
        let chain = match &msg.payload {
            HandshakePayload::Certificate12(chain) => chain.as_slice(),
            HandshakePayload::CertificateRawPublicKey12(key) if !key.is_empty() => {
                let key = super::cert_types::raw_public_key(key)?;
                config.client_rpk_verifier()?.verify_raw_public_key(
                    &key,
                    None,
                    config.time.now(),
                )?;
                cx.info.peer_raw_public_key = Some(key);
                return Ok(Box::new(ExpectClientKeyExchange {
                    hs: self.hs,
                    client_cert: true,
                }));
            }
            HandshakePayload::CertificateRawPublicKey12(_) => &[],
            _ => return Err(Error::Internal("the table let through another message")),
        };
        let Some((ee, rest)) = chain.split_first() else {
            if self.required {
                // RFC 5246 §7.4.6: handshake_failure for a missing
                // certificate that is required.
                return Err(Error::peer(
                    AlertDescription::HANDSHAKE_FAILURE,
                    "the client sent no certificate, and this server requires one",
                ));
            }
            return Ok(Box::new(ExpectClientKeyExchange {
                hs: self.hs,
                client_cert: false,
            }));
        };
        let end_entity = CertificateDer::from(ee.clone());
        let intermediates: Vec<CertificateDer<'static>> = rest
            .iter()
            .map(|c| CertificateDer::from(c.clone()))
            .collect();
        let v = config.client_verifier()?;
        v.verify_client_cert(&end_entity, &intermediates, config.time.now())?;
        cx.info.peer_certs = std::iter::once(end_entity).chain(intermediates).collect();
        Ok(Box::new(ExpectClientKeyExchange {
            hs: self.hs,
            client_cert: true,
        }))
    }
}

struct ExpectClientKeyExchange {
    hs: Hs,
    client_cert: bool,
}

impl State for ExpectClientKeyExchange {
    fn id(&self) -> StateId {
        StateId::ServerExpectClientKeyExchange12
    }

    fn handle(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage,
        raw: &[u8],
    ) -> Result<Box<dyn State>, Error> {
        let HandshakePayload::ClientKeyExchange(public) = &msg.payload else {
            return Err(Error::Internal("the table let through another message"));
        };
        let hs = &mut self.hs;
        let kx = hs
            .kx
            .take()
            .ok_or(Error::Internal("the key exchange was used"))?;
        let pms = kx.complete(public)?;
        hs.transcript.add(raw);
        // RFC 7627 §4: the session hash runs through ClientKeyExchange.
        let ms = if hs.ems {
            let session_hash = hs.transcript.current_hash();
            tls12::extended_master_secret(hs.suite.hash, pms.as_bytes(), &session_hash)
        } else {
            tls12::master_secret(
                hs.suite.hash,
                pms.as_bytes(),
                &hs.client_random,
                &hs.server_random,
            )
        };
        let (cr, sr) = (hs.client_random, hs.server_random);
        cx.secret(&hs.config.key_log, "CLIENT_RANDOM", &cr, &ms);
        let (sealer, opener) = keys(hs.suite, &ms, &cr, &sr, Role::Server)?;
        let mut next = ExpectChangeCipherSpec {
            hs: self.hs,
            ms,
            sealer: Some(sealer),
            opener,
        };
        if self.client_cert {
            return Ok(Box::new(ExpectCertificateVerify { next }));
        }
        next.hs.transcript.drop_buffer();
        Ok(Box::new(next))
    }
}

struct ExpectCertificateVerify {
    next: ExpectChangeCipherSpec,
}

impl State for ExpectCertificateVerify {
    fn id(&self) -> StateId {
        StateId::ServerExpectCertificateVerify12
    }

    fn handle(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage,
        raw: &[u8],
    ) -> Result<Box<dyn State>, Error> {
        let HandshakePayload::CertificateVerify(cv) = &msg.payload else {
            return Err(Error::Internal("the table let through another message"));
        };
        let hs = &mut self.next.hs;
        if !hs.requested.contains(&cv.scheme) {
            return Err(illegal(format!(
                "the client signed with {:?}, which we did not ask for",
                cv.scheme
            )));
        }
        // RFC 5246 §7.4.8: the signature covers every message so far.
        hs.config.verify_client_signature(
            cx.info.peer_key()?,
            cv.scheme,
            hs.transcript.buffer(),
            &cv.signature,
            ProtocolVersion::TLSV1_2,
        )?;
        cx.info.peer_signature_scheme = Some(cv.scheme);
        hs.transcript.add(raw);
        hs.transcript.drop_buffer();
        Ok(Box::new(self.next))
    }
}

// ---- ChangeCipherSpec and Finished, both ways ----

struct ExpectChangeCipherSpec {
    hs: Hs,
    ms: Secret,
    /// Our keys, for after the client's Finished; `None` when resuming,
    /// where ours went first.
    sealer: Option<RecordSealer>,
    opener: RecordOpener,
}

impl State for ExpectChangeCipherSpec {
    fn id(&self) -> StateId {
        StateId::ServerExpectChangeCipherSpec12
    }

    fn handle(
        self: Box<Self>,
        _cx: &mut Context<'_>,
        _msg: HandshakeMessage,
        _raw: &[u8],
    ) -> Result<Box<dyn State>, Error> {
        Err(Error::Internal("the table let through a message"))
    }

    fn handle_ccs(self: Box<Self>, cx: &mut Context<'_>) -> Result<Box<dyn State>, Error> {
        cx.out.push(Command::read_keys(self.opener));
        Ok(Box::new(ExpectFinished {
            hs: self.hs,
            ms: self.ms,
            sealer: self.sealer,
        }))
    }
}

struct ExpectFinished {
    hs: Hs,
    ms: Secret,
    sealer: Option<RecordSealer>,
}

impl State for ExpectFinished {
    fn id(&self) -> StateId {
        StateId::ServerExpectFinished12
    }

    fn handle(
        self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage,
        raw: &[u8],
    ) -> Result<Box<dyn State>, Error> {
        let HandshakePayload::Finished(verify_data) = &msg.payload else {
            return Err(Error::Internal("the table let through another message"));
        };
        let mut hs = self.hs;
        let hash = hs.suite.hash;
        let expected = tls12::finished_verify_data(
            hash,
            self.ms.as_bytes(),
            Role::Client,
            &hs.transcript.current_hash(),
        );
        check_finished(&expected, verify_data, "client")?;
        hs.transcript.add(raw);
        if let Some(sealer) = self.sealer {
            // A full handshake: the client's Finished came first.
            cx.info.tls_unique = Some(verify_data.clone());
            finish_full_handshake(&mut hs, cx, &self.ms, sealer)?;
        }
        cx.info.exporter = Some(Exporter::Tls12 {
            hash,
            master_secret: self.ms,
            client_random: hs.client_random,
            server_random: hs.server_random,
        });
        cx.out.push(Command::Done);
        Ok(Box::new(Connected12::new(Role::Server)))
    }
}

/// A full handshake's end: the session filed (ticket and session ID), our
/// ChangeCipherSpec and Finished (RFC 5246 §7.3, RFC 5077 §3.3).
fn finish_full_handshake(
    hs: &mut Hs,
    cx: &mut Context<'_>,
    ms: &Secret,
    sealer: RecordSealer,
) -> Result<(), Error> {
    let config = hs.config.clone();
    let now = config.time.now().as_secs();
    let value = session_value(hs, cx, ms);
    if hs.send_ticket {
        if let Some(keys) = &config.ticket_keys {
            let ticket = keys.seal(&value.get_encoding(), now)?;
            let nst = NewSessionTicket12 {
                lifetime_hint: config.ticket_lifetime,
                ticket,
            };
            cx.send(
                &mut hs.transcript,
                HandshakePayload::NewSessionTicket12(nst),
            )?;
        }
    }
    if let Some(cache) = &config.session_cache {
        if !hs.session_id.is_empty() {
            cache.put(hs.session_id.clone(), value.get_encoding());
        }
    }
    cx.out.push(Command::SendCcs);
    cx.out.push(Command::write_keys(sealer));
    let fin = tls12::finished_verify_data(
        hs.suite.hash,
        ms.as_bytes(),
        Role::Server,
        &hs.transcript.current_hash(),
    );
    cx.send(&mut hs.transcript, HandshakePayload::Finished(fin))?;
    Ok(())
}

/// What a session ID or a ticket keeps of this session.
fn session_value(hs: &Hs, cx: &Context<'_>, ms: &Secret) -> ServerSessionValue {
    ServerSessionValue {
        quic_version: None,
        version: ProtocolVersion::TLSV1_2,
        suite: hs.suite.suite,
        secret: ms.clone(),
        created: hs.config.time.now().as_secs(),
        age_add: 0,
        lifetime: hs.config.ticket_lifetime,
        extended_master_secret: hs.ems,
        sni: hs.sni.clone(),
        alpn: cx.info.alpn.clone(),
        max_early_data: 0,
        client_certs: session_client_certs(cx.info),
        group: cx.info.group,
        client_auth: hs.config.client_auth_scope(),
        server_cert_type: cx.info.server_cert_type,
        client_cert_type: cx.info.client_cert_type,
        external_psk: None,
        quic_early_data_context: None,
    }
}

// ---- Resumption (RFC 5246 §7.3, RFC 5077) ----

/// A session the client asks to resume, by ticket (RFC 5077) or by
/// session ID, if it is ours, alive, and fits this hello and this
/// configuration's client-authentication policy.
fn find_session(
    config: &ServerConfig,
    ch: &ClientHello,
    ems: bool,
    sni: Option<&str>,
) -> Result<Option<(ServerSessionValue, &'static Tls12Suite)>, Error> {
    let now = config.time.now().as_secs();
    let ticket = match ch.extension(ExtensionType::SESSION_TICKET) {
        Some(Extension::SessionTicket(t)) if !t.is_empty() => Some(t.as_slice()),
        _ => None,
    };
    let plain = match (ticket, &config.ticket_keys, &config.session_cache) {
        (Some(t), Some(keys), _) => keys.open(t, now),
        (None, _, Some(cache)) if !ch.legacy_session_id.is_empty() => {
            cache.get(&ch.legacy_session_id)
        }
        _ => None,
    };
    let Some(value) = plain.and_then(|p| ServerSessionValue::decode(p.as_bytes()).ok()) else {
        return Ok(None);
    };
    let suite = match lookup(value.suite) {
        Some(SupportedSuite::Tls12(s))
            if ch.cipher_suites.contains(&s.suite)
                && config.suites.iter().any(|c| c.suite() == s.suite) =>
        {
            s
        }
        _ => return Ok(None),
    };
    // RFC 7250 §4.1: nor one whose server authenticated with a type the
    // client no longer accepts.
    let (server_types, _) = cert_types::server_types(config, ch);
    if value.version != ProtocolVersion::TLSV1_2
        || now > value.created.saturating_add(u64::from(value.lifetime))
        || value.sni.as_deref() != sni
        || value.client_auth != config.client_auth_scope()
        || !server_types.contains(&value.server_cert_type)
    {
        return Ok(None);
    }
    // RFC 7627 §5.3: a session made with the extended master secret must
    // not be resumed without it; one made without it is not resumed.
    if value.extended_master_secret && !ems {
        return Err(Error::peer(
            AlertDescription::HANDSHAKE_FAILURE,
            "resumption of an extended-master-secret session without the extension",
        ));
    }
    if !value.extended_master_secret {
        return Ok(None);
    }
    Ok(Some((value, suite)))
}

/// The abbreviated handshake: ServerHello, ChangeCipherSpec, Finished.
fn resume(
    config: Arc<ServerConfig>,
    cx: &mut Context<'_>,
    ch: &ClientHello,
    raw: &[u8],
    value: ServerSessionValue,
    suite: &'static Tls12Suite,
    secure_reneg: bool,
) -> Result<Box<dyn State>, Error> {
    let alpn = choose_alpn(&config, ch)?;
    let server_random = server_random(&config)?;
    let mut exts = Vec::new();
    if secure_reneg {
        exts.push(Extension::RenegotiationInfo(Vec::new()));
    }
    exts.push(Extension::ExtendedMasterSecret);
    if let Some(p) = &alpn {
        exts.push(Extension::Alpn(vec![p.clone()]));
    }
    // RFC 7250 §4.2: the session's certificate type, where the client asks.
    if cert_types::server_types(&config, ch).1 {
        exts.push(Extension::ServerCertificateType(value.server_cert_type));
    }
    // RFC 5077 §3.4: the client's session ID is echoed to say "resumed".
    let sh = ServerHello {
        legacy_version: ProtocolVersion::TLSV1_2,
        random: server_random,
        legacy_session_id: ch.legacy_session_id.clone(),
        cipher_suite: suite.suite,
        compression_method: CompressionMethod::NULL,
        extensions: exts,
    };
    let mut transcript = Transcript::with_hash(suite.hash);
    transcript.add(raw);
    cx.send(&mut transcript, HandshakePayload::ServerHello(sh))?;
    let ms = value.secret.clone();
    cx.secret(&config.key_log, "CLIENT_RANDOM", &ch.random, &ms);
    let (sealer, opener) = keys(suite, &ms, &ch.random, &server_random, Role::Server)?;
    cx.out.push(Command::SendCcs);
    cx.out.push(Command::write_keys(sealer));
    let fin = tls12::finished_verify_data(
        suite.hash,
        ms.as_bytes(),
        Role::Server,
        &transcript.current_hash(),
    );
    cx.info.tls_unique = Some(fin.clone());
    cx.send(&mut transcript, HandshakePayload::Finished(fin))?;
    record_resumed(cx, suite, alpn, &value);
    let hs = Hs {
        config,
        suite,
        transcript,
        client_random: ch.random,
        server_random,
        ems: true,
        kx: None,
        requested: Vec::new(),
        session_id: ch.legacy_session_id.clone(),
        send_ticket: false,
        sni: value.sni.clone(),
    };
    Ok(Box::new(ExpectChangeCipherSpec {
        hs,
        ms,
        sealer: None,
        opener,
    }))
}

fn record_resumed(
    cx: &mut Context<'_>,
    suite: &'static Tls12Suite,
    alpn: Option<Vec<u8>>,
    value: &ServerSessionValue,
) {
    cx.info.suite = Some(SupportedSuite::Tls12(suite));
    cx.info.alpn = alpn;
    cx.info.extended_master_secret = true;
    cx.info.resumed = true;
    // The session's group, as the full handshake reported it.
    cx.info.group = value.group;
    record_session_identity(cx.info, value);
}
