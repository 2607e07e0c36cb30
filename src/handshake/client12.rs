//! The TLS 1.2 client (RFC 5246 §7.3, RFC 8422, RFC 7627, RFC 5746).

use super::client::ExpectServerHello;
use super::{Context, State};
use crate::crypto::Tls12Suite;
use crate::error::Error;
use crate::msgs::handshake::ServerHello;

pub(super) fn handle_server_hello(
    _st: ExpectServerHello,
    _cx: &mut Context<'_>,
    _sh: &ServerHello,
    _suite: &'static Tls12Suite,
    _raw: &[u8],
) -> Result<Box<dyn State>, Error> {
    Err(Error::InvalidState("TLS 1.2 is being written"))
}
