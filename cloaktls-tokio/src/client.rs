//! The client side: [`TlsConnector`].

use crate::stream::{Handshake, TlsStream as Stream};
use cloaktls::{ClientConfig, ClientConnection};
use std::io;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};

/// A client TLS stream.
pub type TlsStream<IO> = Stream<IO, ClientConnection>;

/// A client handshake in progress (a future of the stream).
pub type Connect<IO> = Handshake<IO, ClientConnection>;

/// Makes client connections with one configuration.
///
/// ```no_run
/// # async fn demo(config: std::sync::Arc<cloaktls::ClientConfig>) -> std::io::Result<()> {
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
/// let tcp = tokio::net::TcpStream::connect("example.com:443").await?;
/// let mut tls = cloaktls_tokio::TlsConnector::from(config)
///     .connect("example.com", tcp)?
///     .await?;
/// tls.write_all(b"GET / HTTP/1.0\r\nHost: example.com\r\n\r\n").await?;
/// tls.flush().await?;
/// let mut page = Vec::new();
/// tls.read_to_end(&mut page).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct TlsConnector {
    config: Arc<ClientConfig>,
    early_data: bool,
}

impl From<Arc<ClientConfig>> for TlsConnector {
    fn from(config: Arc<ClientConfig>) -> Self {
        TlsConnector {
            config,
            early_data: false,
        }
    }
}

impl TlsConnector {
    /// 0-RTT: when the session being resumed allows early data (and the
    /// configuration has `early_data(true)`), `connect` resolves at once and
    /// what is written goes out as early data until the handshake ends;
    /// [`Stream::early_data_accepted`] says whether the server took it, and
    /// rejected data is sent again as ordinary data. Early data can be
    /// replayed by an attacker (RFC 8446 §8): send only what is safe to
    /// repeat.
    pub fn early_data(mut self, on: bool) -> Self {
        self.early_data = on;
        self
    }

    /// The configuration.
    pub fn config(&self) -> &Arc<ClientConfig> {
        &self.config
    }

    /// Starts a handshake with `server_name` (a DNS name or an IP address)
    /// over `io`; the returned future resolves to the stream when the
    /// handshake is over. Fails at once only for a bad name.
    pub fn connect<IO>(&self, server_name: &str, io: IO) -> io::Result<Connect<IO>>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        let conn = ClientConnection::new(self.config.clone(), server_name)?;
        Ok(self.start(io, conn))
    }

    /// Like [`TlsConnector::connect`], with a connection the caller made
    /// (to change it before the handshake).
    pub fn connect_with<IO>(&self, io: IO, conn: ClientConnection) -> Connect<IO>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        self.start(io, conn)
    }

    fn start<IO>(&self, io: IO, conn: ClientConnection) -> Connect<IO>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        if self.early_data && conn.early_data_room().is_some_and(|n| n > 0) {
            Handshake::ready(Stream::new_early(io, conn))
        } else {
            Handshake::new(Stream::new(io, conn))
        }
    }
}
