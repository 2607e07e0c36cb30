//! cloaktls on tokio: [`TlsConnector`] and [`TlsAcceptor`] over any
//! `AsyncRead + AsyncWrite + Unpin` transport, [`LazyConfigAcceptor`] to
//! choose the server's configuration after reading the ClientHello, and
//! TLS streams that implement `AsyncRead`, `AsyncBufRead` and `AsyncWrite`
//! (vectored writes included).
//!
//! The shape follows tokio-rustls, so code ports by renaming; where it
//! differs, it is on purpose:
//! - the peer's close_notify reads as end of stream, while a transport
//!   that ends without it is an `UnexpectedEof` error that converts back
//!   to [`cloaktls::Error::Truncated`] (a truncation attack is not a clean
//!   end);
//! - a failed handshake writes its alert to the peer before the error is
//!   returned;
//! - reading never writes once the handshake is over, so the read and
//!   write halves of a split stream do not wait for each other;
//! - [`LazyConfigAcceptor`] hands back the transport and the bytes read
//!   when the peer does not speak TLS, so a port can answer plain HTTP;
//! - 0-RTT needs no cargo feature: [`TlsConnector::early_data`].
//!
//! ```no_run
//! # async fn demo(server: std::sync::Arc<cloaktls::ServerConfig>) -> std::io::Result<()> {
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8443").await?;
//! let acceptor = cloaktls_tokio::TlsAcceptor::from(server);
//! loop {
//!     let (tcp, _) = listener.accept().await?;
//!     let acceptor = acceptor.clone();
//!     tokio::spawn(async move {
//!         let mut tls = acceptor.accept(tcp)?.await?;
//!         let mut buf = [0u8; 1024];
//!         let n = tls.read(&mut buf).await?;
//!         tls.write_all(&buf[..n]).await?;
//!         tls.shutdown().await // close_notify
//!     });
//! }
//! # }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod client;
pub mod server;
mod stream;

pub use client::{Connect, TlsConnector};
/// The cloaktls version this crate is built on.
pub use cloaktls;
pub use server::{Accept, AcceptError, LazyConfigAcceptor, StartHandshake, TlsAcceptor};
pub use stream::{FallibleHandshake, Handshake, HandshakeFailure, TlsStream};
