//! What the TLS 1.2 client and server share: the key block (RFC 5246
//! §6.3), what a ServerKeyExchange signs (RFC 8422 §5.4), which schemes fit
//! a suite, and the connected state, which refuses renegotiation.

use super::{Context, State, StateId};
use crate::codec::Codec;
use crate::crypto::sign::KeyKind;
use crate::crypto::{Secret, Tls12Suite};
use crate::error::Error;
use crate::key_schedule::tls12;
use crate::msgs::enums::{AlertDescription, SignatureScheme};
use crate::msgs::handshake::{EcdheParams, HandshakeMessage};
use crate::msgs::Role;
use crate::record::{RecordOpener, RecordSealer};

/// Our keys from the key block: a sealer for what we send and an opener
/// for what the peer sends (RFC 5246 §6.3: client write key, server write
/// key, client IV, server IV).
pub(crate) fn keys(
    suite: &Tls12Suite,
    master_secret: &Secret,
    client_random: &[u8; 32],
    server_random: &[u8; 32],
    us: Role,
) -> Result<(RecordSealer, RecordOpener), Error> {
    let key_len = suite.aead.key_len();
    let iv_len = suite.aead.tls12_fixed_iv_len();
    let block = tls12::key_block(
        suite.hash,
        master_secret.as_bytes(),
        client_random,
        server_random,
        2 * key_len + 2 * iv_len,
    );
    let b = block.as_bytes();
    let (client_key, rest) = b.split_at(key_len.min(b.len()));
    let (server_key, rest) = rest.split_at(key_len.min(rest.len()));
    let (client_iv, server_iv) = rest.split_at(iv_len.min(rest.len()));
    let (ours, theirs) = match us {
        Role::Client => ((client_key, client_iv), (server_key, server_iv)),
        Role::Server => ((server_key, server_iv), (client_key, client_iv)),
    };
    Ok((
        RecordSealer::tls12(suite.aead, ours.0, ours.1)?,
        RecordOpener::tls12(suite.aead, theirs.0, theirs.1)?,
    ))
}

/// The bytes a ServerKeyExchange signs: client_random, server_random,
/// ServerECDHParams (RFC 8422 §5.4).
pub(crate) fn signed_params(
    client_random: &[u8; 32],
    server_random: &[u8; 32],
    params: &EcdheParams,
) -> Vec<u8> {
    let mut m = Vec::with_capacity(64 + 4 + params.public.len());
    m.extend_from_slice(client_random);
    m.extend_from_slice(server_random);
    params.encode(&mut crate::codec::Writer::new(&mut m));
    m
}

/// Whether a signature scheme fits a suite's authentication (RFC 8422
/// §5.1.1: ECDSA suites take ECDSA or EdDSA, RSA suites RSA).
pub(crate) fn scheme_fits(scheme: SignatureScheme, sign: KeyKind) -> bool {
    let rsa = matches!(
        scheme,
        SignatureScheme::RSA_PKCS1_SHA256
            | SignatureScheme::RSA_PKCS1_SHA384
            | SignatureScheme::RSA_PKCS1_SHA512
            | SignatureScheme::RSA_PSS_RSAE_SHA256
            | SignatureScheme::RSA_PSS_RSAE_SHA384
            | SignatureScheme::RSA_PSS_RSAE_SHA512
    );
    match sign {
        KeyKind::Rsa => rsa,
        KeyKind::Ecdsa | KeyKind::Ed25519 => !rsa,
    }
}

/// How many renegotiation attempts get a warning before the next one
/// ends the connection: a peer that keeps asking is flooding us.
const MAX_REFUSED_RENEGOTIATIONS: u32 = 4;

/// A connected TLS 1.2 session: renegotiation is refused.
pub(crate) struct Connected12 {
    pub(crate) us: Role,
    refused: u32,
}

impl Connected12 {
    pub(crate) fn new(us: Role) -> Self {
        Connected12 { us, refused: 0 }
    }
}

impl State for Connected12 {
    fn id(&self) -> StateId {
        match self.us {
            Role::Client => StateId::ClientConnected12,
            Role::Server => StateId::ServerConnected12,
        }
    }

    fn handle(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        _msg: HandshakeMessage,
        _raw: &[u8],
    ) -> Result<Box<dyn State>, Error> {
        self.refused += 1;
        if self.refused > MAX_REFUSED_RENEGOTIATIONS {
            return Err(Error::peer(
                AlertDescription::NO_RENEGOTIATION,
                "the peer keeps asking to renegotiate, which cloaktls refuses",
            ));
        }
        // A client's HelloRequest (RFC 5246 §7.4.1.1) or a server's
        // ClientHello (RFC 5746 §4.4): we do not renegotiate, and say so
        // with a warning, which leaves the peer to decide (RFC 5246
        // §7.2.2).
        cx.out.push(super::Command::SendWarning(
            AlertDescription::NO_RENEGOTIATION,
        ));
        Ok(self)
    }
}
