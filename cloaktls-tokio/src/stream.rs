//! The async TLS stream over any `AsyncRead + AsyncWrite + Unpin`
//! transport, and the future that drives a handshake over it.

use cloaktls::conn::Received;
use cloaktls::Connection;
use std::future::Future;
use std::io;
use std::ops::DerefMut;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use tokio::io::{AsyncBufRead, AsyncRead, AsyncWrite, ReadBuf};

/// How many bytes one read from the transport asks for: a whole record
/// and its header.
const READ_CHUNK: usize = 16 * 1024 + 5 + 256;

/// A TLS stream: a cloaktls connection (`C` is a
/// [`cloaktls::ClientConnection`] or a [`cloaktls::ServerConnection`]) over
/// the transport `IO`.
///
/// - Writes are buffered by the connection (at most
///   [`cloaktls::conn::SEND_LIMIT`] bytes of records): `poll_write` takes
///   data as soon as it fits and writes what it can; `flush` writes the
///   rest. Every write first pushes out what earlier writes left.
/// - Reads return the peer's data; the peer's close_notify reads as end of
///   stream (`Ok(0)`), while the transport ending without it is an error
///   of kind `UnexpectedEof` that converts back to
///   [`cloaktls::Error::Truncated`]: a truncation attack and a clean end
///   are told apart.
/// - The two directions proceed independently: a stream split with
///   `tokio::io::split` works, and neither half waits for the other. What
///   reading produces for the peer (a KeyUpdate answer, a refusal of
///   renegotiation, a fatal alert) is written by the reader unless a write
///   is already waiting for the transport, in which case that write takes
///   it along (so the reader never takes over the writer's wake-up).
/// - `poll_shutdown` sends close_notify, flushes, and shuts the transport
///   down for writing.
#[derive(Debug)]
pub struct TlsStream<IO, C> {
    io: IO,
    /// Boxed: a connection is a couple of kilobytes, and a stream moves
    /// through futures (handshake, then the caller's) that would each
    /// hold a copy of its size.
    conn: Box<C>,
    /// Bytes read from `io` that the connection could not take yet (its
    /// receive buffer was full).
    unread: Vec<u8>,
    close_sent: bool,
    /// Client 0-RTT: writes go out as early data until the handshake ends.
    early: bool,
    /// The reader's waker while it waits: a write that drives a 0-RTT
    /// handshake reads the transport with its own waker, and wakes the
    /// reader if that brought anything.
    read_waker: Option<std::task::Waker>,
    /// A write, flush or shutdown returned Pending: the writer waits for
    /// the transport and will write what is pending when it wakes.
    write_parked: bool,
}

impl<IO, C> TlsStream<IO, C>
where
    IO: AsyncRead + AsyncWrite + Unpin,
    C: DerefMut<Target = Connection> + Unpin,
{
    pub(crate) fn new(io: IO, conn: C) -> Self {
        TlsStream {
            io,
            conn: Box::new(conn),
            unread: Vec::new(),
            close_sent: false,
            early: false,
            read_waker: None,
            write_parked: false,
        }
    }

    /// A client stream whose writes go out as 0-RTT data until the
    /// handshake ends.
    pub(crate) fn new_early(io: IO, conn: C) -> Self {
        let mut s = Self::new(io, conn);
        // Rejected early data goes again, first, when the handshake ends:
        // the connection keeps it in order with what follows.
        s.conn.resend_rejected_early_data(true);
        s.early = true;
        s
    }

    /// The transport and the connection (what was negotiated, the peer's
    /// certificates, exporters).
    pub fn get_ref(&self) -> (&IO, &C) {
        (&self.io, &self.conn)
    }

    /// The transport and the connection, mutably.
    pub fn get_mut(&mut self) -> (&mut IO, &mut C) {
        (&mut self.io, &mut self.conn)
    }

    /// The connection.
    pub fn conn(&self) -> &C {
        &self.conn
    }

    /// The connection, mutably.
    pub fn conn_mut(&mut self) -> &mut C {
        &mut self.conn
    }

    /// The transport and the connection, taken apart. Nothing is flushed:
    /// records not yet written stay in the connection's `pending_tls`.
    pub fn into_inner(self) -> (IO, C) {
        (self.io, *self.conn)
    }

    /// Client 0-RTT: whether the server accepted the early data, once it
    /// has said (`None` before, or when none was sent). Rejected early
    /// data is sent again, as ordinary data, as soon as the handshake ends.
    pub fn early_data_accepted(&self) -> Option<bool> {
        self.conn.early_data_accepted()
    }

    /// Writes out the connection's records until none wait.
    pub(crate) fn poll_write_tls(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.conn.wants_write() {
            let n = ready!(Pin::new(&mut self.io).poll_write(cx, self.conn.pending_tls()))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.conn.consume_tls(n);
        }
        Poll::Ready(Ok(()))
    }

    /// Reads from the transport into the connection: the number of bytes
    /// read (0 at the transport's end, which the connection is told of). A
    /// TLS error comes back as an `io::Error` that converts back to the
    /// [`cloaktls::Error`]; its alert then waits in `pending_tls`.
    pub(crate) fn poll_read_tls(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        if !self.unread.is_empty() {
            let taken = self.conn.read_tls(&self.unread).map_err(io::Error::from)?;
            let taken = taken.taken(self.unread.len());
            if taken == 0 {
                // Only received data that nobody reads stops the
                // connection taking bytes; readers read it first, so this
                // is a handshake that cannot go on.
                return Poll::Ready(Err(io::Error::other(
                    "the TLS receive buffer filled before the handshake ended",
                )));
            }
            self.unread.drain(..taken);
            return Poll::Ready(Ok(taken));
        }
        let mut buf = [0u8; READ_CHUNK];
        let mut rb = ReadBuf::new(&mut buf);
        ready!(Pin::new(&mut self.io).poll_read(cx, &mut rb))?;
        let got = rb.filled();
        if got.is_empty() {
            self.conn.transport_eof();
            return Poll::Ready(Ok(0));
        }
        let taken = self.conn.read_tls(got).map_err(io::Error::from)?;
        let taken = taken.taken(got.len());
        self.unread.extend_from_slice(&got[taken..]);
        Poll::Ready(Ok(got.len()))
    }

    /// Drives the handshake to its end: writes our flights, reads the
    /// peer's. On an error the alert is written out first.
    pub(crate) fn poll_handshake(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            let wrote = self.poll_write_tls(cx)?;
            if let Some(e) = self.conn.error() {
                // The alert goes out before the error comes back.
                ready!(wrote);
                return Poll::Ready(Err(e.clone().into()));
            }
            if !self.conn.is_handshaking() {
                ready!(wrote);
                self.after_handshake();
                return Poll::Ready(Ok(()));
            }
            match ready!(self.poll_read_tls(cx)) {
                Ok(_) => {}
                // A TLS error: loop to write its alert.
                Err(_) if self.conn.error().is_some() => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }

    /// Once the handshake is over, writes are ordinary data.
    fn after_handshake(&mut self) {
        if !self.conn.is_handshaking() {
            self.early = false;
        }
    }

    fn handshaking_early(&self) -> bool {
        self.early && self.conn.is_handshaking()
    }

    /// A write drove the handshake: the reader may have something now.
    fn wake_reader(&mut self) {
        if let Some(w) = self.read_waker.take() {
            w.wake();
        }
    }

    /// The next received data, the end of the stream (an empty slice) or
    /// the error; reads the transport as needed.
    fn poll_received(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            // What reading produced for the peer goes out, unless the
            // writer is waiting for the transport and will take it along.
            // A failure to write shows on the next write.
            if self.conn.wants_write() && !self.write_parked && !self.conn.is_handshaking() {
                let _ = self.poll_write_tls(cx);
            }
            if !self.conn.peek_received().is_empty() {
                return Poll::Ready(Ok(()));
            }
            match self.conn.recv(&mut []) {
                Ok(Received::Closed) => return Poll::Ready(Ok(())),
                Err(e) => return Poll::Ready(Err(e.into())),
                Ok(_) => {}
            }
            if self.conn.is_handshaking() {
                // 0-RTT: the handshake is still going; reading drives it,
                // and so may a write, which then wakes us.
                match self.poll_handshake(cx) {
                    Poll::Pending => {
                        self.read_waker = Some(cx.waker().clone());
                        return Poll::Pending;
                    }
                    Poll::Ready(r) => r?,
                }
                continue;
            }
            ready!(self.poll_read_tls(cx))?;
        }
    }
}

impl<IO, C> AsyncRead for TlsStream<IO, C>
where
    IO: AsyncRead + AsyncWrite + Unpin,
    C: DerefMut<Target = Connection> + Unpin,
{
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_received(cx))?;
        let data = this.conn.peek_received();
        let n = data.len().min(buf.remaining());
        buf.put_slice(&data[..n]);
        this.conn.consume_received(n);
        Poll::Ready(Ok(()))
    }
}

impl<IO, C> AsyncBufRead for TlsStream<IO, C>
where
    IO: AsyncRead + AsyncWrite + Unpin,
    C: DerefMut<Target = Connection> + Unpin,
{
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        ready!(this.poll_received(cx))?;
        Poll::Ready(Ok(this.conn.peek_received()))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        self.get_mut().conn.consume_received(amt);
    }
}

impl<IO, C> TlsStream<IO, C>
where
    IO: AsyncRead + AsyncWrite + Unpin,
    C: DerefMut<Target = Connection> + Unpin,
{
    /// Takes as much of `buf` as the connection will: as 0-RTT data while
    /// that lasts, then as ordinary data (queued until the handshake ends).
    fn take(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.handshaking_early() {
            let n = self.conn.send_early_data(buf).map_err(io::Error::from)?;
            if n > 0 {
                return Ok(n);
            }
        }
        self.conn.send(buf).map_err(io::Error::from)
    }

    fn poll_write_some(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        loop {
            // What earlier writes left goes first, as far as it can.
            let flushed = self.poll_write_tls(cx)?;
            let n = self.take(buf)?;
            if n > 0 {
                // Records for this data go out now if the transport takes
                // them; the rest waits for the next write or flush.
                let _ = self.poll_write_tls(cx)?;
                return Poll::Ready(Ok(n));
            }
            // Full: the records must leave, or (before the handshake ends)
            // the handshake must move on.
            ready!(flushed);
            if self.conn.is_handshaking() {
                let r = self.poll_handshake(cx);
                self.wake_reader();
                ready!(r)?;
                self.after_handshake();
            } else if !self.conn.wants_write() {
                return Poll::Ready(Err(io::Error::other(
                    "the TLS connection takes no more data",
                )));
            }
        }
    }
}

impl<IO, C> AsyncWrite for TlsStream<IO, C>
where
    IO: AsyncRead + AsyncWrite + Unpin,
    C: DerefMut<Target = Connection> + Unpin,
{
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let r = this.poll_write_some(cx, buf);
        this.write_parked = r.is_pending();
        r
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let r = this.poll_write_vectored_inner(cx, bufs);
        this.write_parked = r.is_pending();
        r
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let r = this.poll_flush_inner(cx);
        this.write_parked = r.is_pending();
        r
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let r = this.poll_shutdown_inner(cx);
        this.write_parked = r.is_pending();
        r
    }
}

impl<IO, C> TlsStream<IO, C>
where
    IO: AsyncRead + AsyncWrite + Unpin,
    C: DerefMut<Target = Connection> + Unpin,
{
    fn poll_write_vectored_inner(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self;
        let mut total = 0;
        for b in bufs.iter().filter(|b| !b.is_empty()) {
            if total == 0 {
                // The first slice may wait for room; the others are taken
                // only while there is room.
                let n = ready!(this.poll_write_some(cx, b))?;
                total += n;
                if n < b.len() {
                    break;
                }
                continue;
            }
            let n = this.take(b)?;
            total += n;
            if n < b.len() {
                break;
            }
        }
        if total > 0 {
            let _ = this.poll_write_tls(cx)?;
        }
        Poll::Ready(Ok(total))
    }

    fn poll_flush_inner(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self;
        // 0-RTT: data queued behind the handshake leaves once it ends, so
        // a flush drives it there.
        if this.conn.is_handshaking() {
            let r = this.poll_handshake(cx);
            this.wake_reader();
            ready!(r)?;
        }
        this.after_handshake();
        ready!(this.poll_write_tls(cx))?;
        Pin::new(&mut this.io).poll_flush(cx)
    }

    fn poll_shutdown_inner(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self;
        if !this.close_sent {
            // A failed connection sends its alert instead (it waits in
            // pending_tls already).
            let _ = this.conn.send_close_notify();
            this.close_sent = true;
        }
        if this.conn.is_handshaking() && this.conn.error().is_none() {
            ready!(this.poll_handshake(cx))?;
        }
        ready!(this.poll_write_tls(cx))?;
        match ready!(Pin::new(&mut this.io).poll_shutdown(cx)) {
            // The peer is gone already: nothing is left to shut.
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Poll::Ready(Ok(())),
            r => Poll::Ready(r),
        }
    }
}

/// A handshake in progress; resolves to the stream once it is over.
#[derive(Debug)]
#[must_use = "a handshake does nothing unless awaited"]
pub struct Handshake<IO, C> {
    stream: Option<TlsStream<IO, C>>,
}

impl<IO, C> Handshake<IO, C> {
    pub(crate) fn new(stream: TlsStream<IO, C>) -> Self {
        Handshake {
            stream: Some(stream),
        }
    }

    /// A handshake that is already over (client 0-RTT: the stream is
    /// usable at once).
    pub(crate) fn ready(stream: TlsStream<IO, C>) -> Self {
        Self::new(stream)
    }

    /// The transport, while the handshake goes on.
    pub fn get_ref(&self) -> Option<&IO> {
        self.stream.as_ref().map(|s| &s.io)
    }

    /// This handshake as a future that, when it fails, gives back the
    /// stream with the error: the connection (its trace, what was
    /// negotiated before the failure) and the transport.
    pub fn into_fallible(self) -> FallibleHandshake<IO, C> {
        FallibleHandshake { inner: self }
    }
}

impl<IO, C> Handshake<IO, C>
where
    IO: AsyncRead + AsyncWrite + Unpin,
    C: DerefMut<Target = Connection> + Unpin,
{
    fn poll_fallible(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<TlsStream<IO, C>, MaybeFailure<IO, C>>> {
        let Some(stream) = self.stream.as_mut() else {
            let e = io::Error::other("the handshake was polled after it ended");
            return Poll::Ready(Err((e, None)));
        };
        let r = if stream.early {
            Ok(())
        } else {
            match ready!(stream.poll_handshake(cx)) {
                Ok(()) => ready!(Pin::new(&mut stream.io).poll_flush(cx)),
                Err(e) => Err(e),
            }
        };
        match (r, self.stream.take()) {
            (Ok(()), Some(s)) => Poll::Ready(Ok(s)),
            (Err(e), s) => Poll::Ready(Err((e, s))),
            (Ok(()), None) => Poll::Ready(Err((io::Error::other("no stream"), None))),
        }
    }
}

/// A handshake that gives back the stream when it fails (see
/// [`Handshake::into_fallible`]).
#[derive(Debug)]
#[must_use = "a handshake does nothing unless awaited"]
pub struct FallibleHandshake<IO, C> {
    inner: Handshake<IO, C>,
}

/// A failed handshake's error and, unless the future was polled after its
/// end, its stream.
type MaybeFailure<IO, C> = (io::Error, Option<TlsStream<IO, C>>);

/// A failed handshake: the error, and the stream it failed on.
pub type HandshakeFailure<IO, C> = (io::Error, TlsStream<IO, C>);

impl<IO, C> Future for FallibleHandshake<IO, C>
where
    IO: AsyncRead + AsyncWrite + Unpin,
    C: DerefMut<Target = Connection> + Unpin,
{
    type Output = Result<TlsStream<IO, C>, HandshakeFailure<IO, C>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match ready!(self.get_mut().inner.poll_fallible(cx)) {
            Ok(s) => Poll::Ready(Ok(s)),
            Err((e, Some(s))) => Poll::Ready(Err((e, s))),
            // Polled after the end: a contract breach; never resolves.
            Err((_, None)) => Poll::Pending,
        }
    }
}

impl<IO, C> Future for Handshake<IO, C>
where
    IO: AsyncRead + AsyncWrite + Unpin,
    C: DerefMut<Target = Connection> + Unpin,
{
    type Output = io::Result<TlsStream<IO, C>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.get_mut().poll_fallible(cx).map_err(|(e, _)| e)
    }
}
