//! The TLS 1.3 server after its flight: the client's early data end, its
//! Certificate, CertificateVerify and Finished (RFC 8446 §4.5, §4.4), the
//! tickets that follow (§4.6.1), and the connected state.

use super::cert_compression;
use super::common::{check_finished, illegal};
use super::server_common::session_client_certs;
use super::tls13::{connected13_methods, opener, verify_certificate_verify, Traffic13};
use super::transcript::Transcript;
use super::{Command, Context, State, StateId};
use crate::codec::Codec;
use crate::config::ServerConfig;
use crate::crypto::{Secret, Tls13Suite};
use crate::error::{CertificateError, CertificateErrorKind, Error};
use crate::key_schedule::tls13::{finished_verify_data, resumption_psk, MasterSecret};
use crate::msgs::enums::{AlertDescription, CertificateType, ProtocolVersion, SignatureScheme};
use crate::msgs::extensions::Extension;
use crate::msgs::handshake::{HandshakeMessage, HandshakePayload, NewSessionTicket13};
use crate::msgs::Role;
use crate::session::ServerSessionValue;
use pki_types::CertificateDer;
use std::sync::Arc;

/// What the server carries while it reads the client's second flight.
pub(crate) struct ClientFlight {
    pub(crate) suite: &'static Tls13Suite,
    pub(crate) transcript: Transcript,
    pub(crate) master: MasterSecret,
    pub(crate) c_hs: Secret,
    pub(crate) c_ap: Secret,
    pub(crate) s_ap: Secret,
    pub(crate) config: Arc<ServerConfig>,
    /// The schemes the CertificateRequest named.
    pub(crate) requested_schemes: Vec<SignatureScheme>,
    /// Whether the client can use a ticket: it offered psk_dhe_ke, the
    /// mode we resume with (RFC 8446 §4.2.9).
    pub(crate) wants_tickets: bool,
}

/// Accepted 0-RTT data until EndOfEarlyData (RFC 8446 §4.5).
pub(crate) struct ExpectEndOfEarlyData {
    pub(crate) rest: ClientFlight,
}

impl State for ExpectEndOfEarlyData {
    fn id(&self) -> StateId {
        StateId::ServerExpectEndOfEarlyData
    }

    fn handle(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        _msg: HandshakeMessage,
        raw: &[u8],
    ) -> Result<Box<dyn State>, Error> {
        self.rest.transcript.add(raw);
        cx.out.push(Command::EarlyReceive(None));
        cx.out.push(Command::read_keys(opener(
            self.rest.suite,
            &self.rest.c_hs,
        )?));
        Ok(Box::new(ExpectFinished { rest: self.rest }))
    }
}

pub(crate) struct ExpectCertificate {
    pub(crate) rest: ClientFlight,
    pub(crate) required: bool,
}

impl State for ExpectCertificate {
    fn id(&self) -> StateId {
        StateId::ServerExpectCertificate
    }

    fn handle(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage,
        raw: &[u8],
    ) -> Result<Box<dyn State>, Error> {
        let cert = &cert_compression::incoming(msg.payload, &self.rest.config.cert_compression)?;
        if !cert.context.is_empty() {
            return Err(illegal("the client's Certificate has a non-empty context"));
        }
        if cert.entries.iter().any(|e| !e.extensions.is_empty()) {
            return Err(Error::peer(
                AlertDescription::UNSUPPORTED_EXTENSION,
                "extensions in the client's CertificateEntry that we did not ask for",
            ));
        }
        self.rest.transcript.add(raw);
        let Some((ee, rest)) = cert.entries.split_first() else {
            // RFC 8446 §4.4.2.4: certificate_required if one is needed.
            if self.required {
                return Err(Error::InvalidCertificate(CertificateError {
                    kind: CertificateErrorKind::Missing,
                    detail: "this server requires a client certificate".into(),
                }));
            }
            return Ok(Box::new(ExpectFinished { rest: self.rest }));
        };
        let config = &self.rest.config;
        if cx.info.client_cert_type == CertificateType::RAW_PUBLIC_KEY {
            if !rest.is_empty() {
                return Err(super::cert_types::one_raw_public_key(cert.entries.len()));
            }
            let key = super::cert_types::raw_public_key(&ee.cert_data)?;
            config
                .client_rpk_verifier()?
                .verify_raw_public_key(&key, None, config.time.now())?;
            cx.info.peer_raw_public_key = Some(key);
        } else {
            let end_entity = CertificateDer::from(ee.cert_data.clone());
            let intermediates: Vec<CertificateDer<'static>> = rest
                .iter()
                .map(|e| CertificateDer::from(e.cert_data.clone()))
                .collect();
            let v = config.client_verifier()?;
            v.verify_client_cert(&end_entity, &intermediates, config.time.now())?;
            cx.info.peer_certs = std::iter::once(end_entity).chain(intermediates).collect();
        }
        Ok(Box::new(ExpectCertificateVerify { rest: self.rest }))
    }
}

struct ExpectCertificateVerify {
    rest: ClientFlight,
}

impl State for ExpectCertificateVerify {
    fn id(&self) -> StateId {
        StateId::ServerExpectCertificateVerify
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
        if !self.rest.requested_schemes.contains(&cv.scheme) {
            return Err(illegal(format!(
                "the client signed with {:?}, which we did not ask for",
                cv.scheme
            )));
        }
        let config = &self.rest.config;
        verify_certificate_verify(
            cx,
            cv,
            Role::Client,
            &self.rest.transcript.current_hash(),
            &|key, scheme, message, signature| {
                config.verify_client_signature(
                    key,
                    scheme,
                    message,
                    signature,
                    ProtocolVersion::TLSV1_3,
                )
            },
        )?;
        self.rest.transcript.add(raw);
        Ok(Box::new(ExpectFinished { rest: self.rest }))
    }
}

pub(crate) struct ExpectFinished {
    pub(crate) rest: ClientFlight,
}

impl State for ExpectFinished {
    fn id(&self) -> StateId {
        StateId::ServerExpectFinished
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
        let mut r = self.rest;
        let expected = finished_verify_data(
            r.suite.hash,
            r.c_hs.as_bytes(),
            &r.transcript.current_hash(),
        );
        check_finished(&expected, verify_data, "client")?;
        r.transcript.add(raw);
        cx.out.push(Command::read_keys(opener(r.suite, &r.c_ap)?));
        let resumption = r
            .master
            .resumption_master_secret(&r.transcript.current_hash());
        cx.out.push(Command::Done);
        send_tickets(cx, &r, &resumption)?;
        Ok(Box::new(Connected {
            traffic: Traffic13::new(r.suite, r.s_ap, r.c_ap),
        }))
    }
}

/// Sends the configured number of NewSessionTickets (RFC 8446 §4.6.1).
fn send_tickets(
    cx: &mut Context<'_>,
    r: &ClientFlight,
    resumption_master_secret: &Secret,
) -> Result<(), Error> {
    if !r.wants_tickets {
        return Ok(());
    }
    for i in 0..r.config.tickets.min(255) {
        // A two-byte counter, unique per connection (RFC 8446 §4.6.1), the
        // form RFC 8448's traces use.
        let nonce = (i as u16).to_be_bytes().to_vec();
        if !send_ticket(cx, r, resumption_master_secret, nonce)? {
            break;
        }
    }
    Ok(())
}

/// One NewSessionTicket: the session sealed under the ticket keys, or
/// filed in the session cache under a random identity (stateful tickets).
/// Returns false if the configuration can issue none.
fn send_ticket(
    cx: &mut Context<'_>,
    r: &ClientFlight,
    resumption_master_secret: &Secret,
    nonce: Vec<u8>,
) -> Result<bool, Error> {
    let config = &r.config;
    let now = config.time.now().as_secs();
    let mut age_add = [0u8; 4];
    config.random.fill(&mut age_add)?;
    let age_add = u32::from_be_bytes(age_add);
    let mut value = ServerSessionValue {
        version: ProtocolVersion::TLSV1_3,
        suite: r.suite.suite,
        secret: resumption_psk(r.suite.hash, resumption_master_secret.as_bytes(), &nonce),
        created: now,
        age_add,
        lifetime: config.ticket_lifetime,
        extended_master_secret: false,
        sni: cx.info.sni.clone(),
        alpn: cx.info.alpn.clone(),
        max_early_data: config.max_early_data,
        client_certs: session_client_certs(cx.info),
        group: None,
        client_auth: config.client_auth_scope(),
        quic_version: cx.info.quic.as_ref().map(|q| q.version),
        server_cert_type: cx.info.server_cert_type,
        client_cert_type: cx.info.client_cert_type,
        external_psk: cx.info.external_psk.clone(),
        quic_early_data_context: cx.info.quic.as_ref().and_then(|q| q.early_context),
    };
    let stateful = config
        .session_cache
        .as_ref()
        .filter(|_| config.stateful_tickets);
    let ticket = match (stateful, &config.ticket_keys) {
        (Some(_), _) => {
            let mut id = vec![0u8; 32];
            config.random.fill(&mut id)?;
            id
        }
        (None, Some(keys)) => keys.seal(&value.get_encoding(), now)?,
        (None, None) => return Ok(false),
    };
    // Early data is offered only where it can be taken: single-use
    // stateful tickets, or keys whose anti-replay register can hold a
    // hello (keys shared through a file have none by default).
    let early_possible =
        stateful.is_some() || config.anti_replay().is_some_and(|a| a.capacity() > 0);
    let nst = NewSessionTicket13 {
        lifetime: config.ticket_lifetime,
        age_add,
        nonce,
        ticket,
        extensions: if config.max_early_data > 0 && early_possible {
            vec![Extension::EarlyDataMax(config.max_early_data)]
        } else {
            Vec::new()
        },
    };
    let sent = cx.send_post_handshake(HandshakePayload::NewSessionTicket13(nst))?;
    if let (Some(cache), HandshakePayload::NewSessionTicket13(nst)) = (stateful, sent) {
        // Filed under what the client was actually sent.
        value.age_add = nst.age_add;
        value.secret = resumption_psk(
            r.suite.hash,
            resumption_master_secret.as_bytes(),
            &nst.nonce,
        );
        cache.put(nst.ticket, value.get_encoding());
    }
    Ok(true)
}

/// A connected TLS 1.3 server: key updates.
struct Connected {
    traffic: Traffic13,
}

impl State for Connected {
    fn id(&self) -> StateId {
        StateId::ServerConnected13
    }

    fn handle(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage,
        _raw: &[u8],
    ) -> Result<Box<dyn State>, Error> {
        let HandshakePayload::KeyUpdate(req) = &msg.payload else {
            return Err(Error::Internal("the table let through another message"));
        };
        self.traffic.received_update(cx, *req)?;
        Ok(self)
    }

    connected13_methods!();
}
