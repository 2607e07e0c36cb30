//! The TLS 1.2 server (RFC 5246 §7.3, RFC 8422, RFC 7627, RFC 5746).

use super::{Context, State};
use crate::config::ServerConfig;
use crate::error::Error;
use crate::msgs::handshake::ClientHello;
use std::sync::Arc;

pub(super) fn handle_client_hello(
    _config: Arc<ServerConfig>,
    _cx: &mut Context<'_>,
    _ch: &ClientHello,
    _raw: &[u8],
) -> Result<Box<dyn State>, Error> {
    Err(Error::InvalidState("TLS 1.2 is being written"))
}
