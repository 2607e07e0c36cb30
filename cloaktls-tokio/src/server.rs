//! The server side: [`TlsAcceptor`], and [`LazyConfigAcceptor`], which reads
//! the ClientHello before a configuration is chosen.

use crate::stream::{Handshake, TlsStream as Stream};
use cloaktls::conn::{Acceptor, ClientHelloInfo};
use cloaktls::{ServerConfig, ServerConnection};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A server TLS stream.
pub type TlsStream<IO> = Stream<IO, ServerConnection>;

/// A server handshake in progress (a future of the stream).
pub type Accept<IO> = Handshake<IO, ServerConnection>;

/// Accepts connections with one configuration.
#[derive(Debug, Clone)]
pub struct TlsAcceptor {
    config: Arc<ServerConfig>,
}

impl From<Arc<ServerConfig>> for TlsAcceptor {
    fn from(config: Arc<ServerConfig>) -> Self {
        TlsAcceptor { config }
    }
}

impl TlsAcceptor {
    /// The configuration.
    pub fn config(&self) -> &Arc<ServerConfig> {
        &self.config
    }

    /// Runs the server's handshake over `io`; the future resolves to the
    /// stream when it is over. A failed handshake writes its alert to the
    /// peer before the error is returned. There is no deadline: wrap the
    /// future in `tokio::time::timeout`.
    pub fn accept<IO>(&self, io: IO) -> io::Result<Accept<IO>>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        let conn = ServerConnection::new(self.config.clone())?;
        Ok(Handshake::new(Stream::new(io, conn)))
    }
}

/// Reads a ClientHello, then lets the caller choose the configuration (and
/// so the certificate, the ALPN protocols, client authentication) from
/// what it offers. Resolves to a [`StartHandshake`].
///
/// ```no_run
/// # async fn demo(tcp: tokio::net::TcpStream,
/// #   by_name: impl Fn(Option<&str>) -> std::sync::Arc<cloaktls::ServerConfig>) -> std::io::Result<()> {
/// use cloaktls_tokio::LazyConfigAcceptor;
/// match LazyConfigAcceptor::new(tcp).await {
///     Ok(start) => {
///         let config = by_name(start.client_hello().server_name.as_deref());
///         let tls = start.into_stream(config)?.await?;
///     }
///     Err(e) if e.is_not_tls() => {
///         // Plain HTTP on the TLS port: answer in clear on e.io.
///     }
///     Err(e) => return Err(e.error),
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use = "an acceptor does nothing unless awaited"]
pub struct LazyConfigAcceptor<IO> {
    io: Option<IO>,
    acceptor: Acceptor,
}

/// Why a [`LazyConfigAcceptor`] gave up, with the transport handed back.
#[derive(Debug)]
pub struct AcceptError<IO> {
    /// What went wrong; converts back to a [`cloaktls::Error`] where it is
    /// one ([`cloaktls::Error::NotTls`] for a peer that does not speak TLS).
    pub error: io::Error,
    /// The transport.
    pub io: IO,
    /// What the peer sent (the start of an HTTP request, say).
    pub received: Vec<u8>,
}

impl<IO> AcceptError<IO> {
    /// Whether the peer does not speak TLS at all (plain HTTP on the TLS
    /// port, say): the caller may answer it in clear on `io`.
    pub fn is_not_tls(&self) -> bool {
        matches!(
            self.error
                .get_ref()
                .and_then(|e| e.downcast_ref::<cloaktls::Error>()),
            Some(cloaktls::Error::NotTls(_))
        )
    }
}

impl<IO> LazyConfigAcceptor<IO>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    /// Waits for a ClientHello on `io`.
    pub fn new(io: IO) -> Self {
        LazyConfigAcceptor {
            io: Some(io),
            acceptor: Acceptor::new(),
        }
    }

    fn give_up(&mut self, error: io::Error) -> Poll<Result<StartHandshake<IO>, AcceptError<IO>>> {
        match self.io.take() {
            Some(io) => Poll::Ready(Err(AcceptError {
                error,
                io,
                received: self.acceptor.received().to_vec(),
            })),
            None => Poll::Pending,
        }
    }
}

impl<IO> Future for LazyConfigAcceptor<IO>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    type Output = Result<StartHandshake<IO>, AcceptError<IO>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        loop {
            // Polled after it ended: there is nothing left to do.
            let Some(io) = this.io.as_mut() else {
                return Poll::Pending;
            };
            if let Some(accepted) = this.acceptor.accept() {
                let io = this
                    .io
                    .take()
                    .ok_or_else(|| io::Error::other("no transport"));
                return match io {
                    Ok(io) => Poll::Ready(Ok(StartHandshake { accepted, io })),
                    Err(error) => this.give_up(error),
                };
            }
            let mut buf = [0u8; 4096];
            let mut rb = ReadBuf::new(&mut buf);
            if let Err(e) = ready!(Pin::new(&mut *io).poll_read(cx, &mut rb)) {
                return this.give_up(e);
            }
            if rb.filled().is_empty() {
                let e = io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the peer closed the connection before its ClientHello ended",
                );
                return this.give_up(e);
            }
            if let Err(e) = this.acceptor.read_tls(rb.filled()) {
                // The alert (a few bytes, if the error calls for one) goes
                // out if the transport takes it now; then the error.
                if !this.acceptor.pending_tls().is_empty() {
                    if let Poll::Ready(Ok(n)) =
                        Pin::new(&mut *io).poll_write(cx, this.acceptor.pending_tls())
                    {
                        this.acceptor.consume_tls(n);
                    }
                }
                return this.give_up(e.into());
            }
        }
    }
}

/// A ClientHello that arrived, waiting for the configuration to answer it
/// with.
#[derive(Debug)]
pub struct StartHandshake<IO> {
    accepted: cloaktls::conn::Accepted,
    io: IO,
}

impl<IO> StartHandshake<IO>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    /// What the client offers: server name, ALPN protocols, signature
    /// schemes, groups, suites, versions.
    pub fn client_hello(&self) -> &ClientHelloInfo {
        self.accepted.client_hello()
    }

    /// Goes on with `config`: the future resolves to the stream when the
    /// handshake is over.
    pub fn into_stream(self, config: Arc<ServerConfig>) -> io::Result<Accept<IO>> {
        let conn = self.accepted.into_connection(config)?;
        Ok(Handshake::new(Stream::new(self.io, conn)))
    }
}
