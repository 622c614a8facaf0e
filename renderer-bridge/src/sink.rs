//! Where an answer goes. In the app: one end of a socketpair whose other
//! end WebKit reads as the response body (a `gio::UnixInputStream`); in
//! tests, the same or an in-memory sink.

use std::future::Future;
use std::io::{self, Write};
use std::net::Shutdown;
use std::os::unix::net::UnixStream;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

/// Resolves once the sink's reader is known to be gone.
pub type ReaderGone = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// The receiving end of one bridged answer: a head, body chunks, an end.
///
/// Calls are synchronous and made from the bridge's async task, so an
/// implementation must not block for long (a [`SocketSink`] blocks only
/// while the socket buffer is full, which WebKit drains eagerly).
pub trait ResponseSink: Send {
    /// Status and headers; called once, before any body chunk, as soon as
    /// the host's head arrives (so the page's `fetch` resolves at once,
    /// even for an event stream).
    fn head(&mut self, status: u16, headers: Vec<(String, String)>) -> io::Result<()>;

    /// One body chunk: written whole, or an error. An error of kind
    /// [`io::ErrorKind::BrokenPipe`] means the reader went away (a page-side
    /// abort), and the bridge stops quietly.
    fn write_body(&mut self, chunk: &[u8]) -> io::Result<()>;

    /// The end of the body.
    fn finish(self) -> io::Result<()>;

    /// A future that resolves when the reader goes away, so an abort is
    /// noticed while the host is quiet (an idle event stream), not only at
    /// the next write. Called once per request, inside the Tokio runtime.
    /// The default never resolves.
    fn reader_gone(&self) -> ReaderGone {
        Box::pin(std::future::pending())
    }
}

/// Receives the status and headers of a [`SocketSink`]'s answer: the body
/// travels through the socket, the head does not (the WebKit glue builds
/// its `URISchemeResponse` from it).
pub type HeadCallback = Box<dyn FnOnce(u16, Vec<(String, String)>) -> io::Result<()> + Send>;

/// A sink over one end of a Unix stream socket.
pub struct SocketSink {
    stream: UnixStream,
    on_head: Option<HeadCallback>,
}

impl SocketSink {
    /// A write that cannot make progress for this long fails: the reader
    /// is alive but stuck, and the bridge gives up rather than hold the
    /// host's answer forever.
    pub const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

    /// Takes the bridge's end of the socketpair. Whatever mode the socket
    /// was in, the sink puts it in blocking mode with [`Self::WRITE_TIMEOUT`]
    /// so that a write is whole or an error, never a silent partial write.
    ///
    /// Relies on `SIGPIPE` being ignored (Rust's runtime does so before
    /// `main`), so a write to a closed peer is `EPIPE`, not a signal.
    pub fn new(
        stream: UnixStream,
        on_head: impl FnOnce(u16, Vec<(String, String)>) -> io::Result<()> + Send + 'static,
    ) -> io::Result<Self> {
        stream.set_nonblocking(false)?;
        stream.set_write_timeout(Some(Self::WRITE_TIMEOUT))?;
        Ok(Self {
            stream,
            on_head: Some(Box::new(on_head)),
        })
    }
}

/// Folds the ways a Unix socket reports a departed reader into one kind,
/// and a write timeout into another.
fn classify(error: io::Error) -> io::Error {
    use io::ErrorKind::*;
    match error.kind() {
        BrokenPipe | ConnectionReset | ConnectionAborted | NotConnected => {
            io::Error::new(BrokenPipe, "the response reader went away")
        }
        WouldBlock | TimedOut => io::Error::new(TimedOut, "the response reader stopped reading"),
        _ => error,
    }
}

impl ResponseSink for SocketSink {
    fn head(&mut self, status: u16, headers: Vec<(String, String)>) -> io::Result<()> {
        let on_head = self
            .on_head
            .take()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "head sent twice"))?;
        on_head(status, headers)
    }

    fn write_body(&mut self, chunk: &[u8]) -> io::Result<()> {
        self.stream.write_all(chunk).map_err(classify)
    }

    /// Shuts the write side down: the reader sees the end of the body even
    /// if some other copy of the descriptor stays open.
    fn finish(self) -> io::Result<()> {
        self.stream.shutdown(Shutdown::Write).map_err(classify)
    }

    /// Watches a duplicate of the socket for hang-up. The page never writes
    /// into the socket, so its only read-side event is the peer closing.
    fn reader_gone(&self) -> ReaderGone {
        match self.stream.try_clone().and_then(watch) {
            Ok(fd) => Box::pin(async move {
                loop {
                    match fd.readable().await {
                        Ok(guard) if guard.ready().is_read_closed() => return,
                        Ok(mut guard) => guard.clear_ready(),
                        // The runtime is shutting down: nothing to watch.
                        Err(_) => return std::future::pending().await,
                    }
                }
            }),
            Err(error) => {
                tracing::warn!(%error, "cannot watch the response socket; aborts show at the next write");
                Box::pin(std::future::pending())
            }
        }
    }
}

/// Registers `dup` with the runtime for read readiness.
fn watch(dup: UnixStream) -> io::Result<AsyncFd<UnixStream>> {
    // SAFETY: `dup` is an owned `UnixStream`: its descriptor is open and
    // unchanged for as long as the `AsyncFd` owns it, which is all
    // `register_with_interest` asks.
    let fd = unsafe { AsyncFd::register_with_interest(dup, Interest::READABLE) }?;
    Ok(fd)
}

/// What a [`MemorySink`] received.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Captured {
    pub status: Option<u16>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub finished: bool,
}

impl Captured {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Collects an answer in memory: for tests and for small answers the glue
/// wants whole (shell actions). Clones share the captured answer.
#[derive(Clone, Debug, Default)]
pub struct MemorySink {
    captured: Arc<Mutex<Captured>>,
}

impl MemorySink {
    pub fn new() -> Self {
        Self::default()
    }

    /// A copy of what arrived so far.
    pub fn captured(&self) -> Captured {
        self.lock().clone()
    }

    /// A panic elsewhere must not hide what was captured.
    fn lock(&self) -> MutexGuard<'_, Captured> {
        self.captured.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl ResponseSink for MemorySink {
    fn head(&mut self, status: u16, headers: Vec<(String, String)>) -> io::Result<()> {
        let mut captured = self.lock();
        captured.status = Some(status);
        captured.headers = headers;
        Ok(())
    }

    fn write_body(&mut self, chunk: &[u8]) -> io::Result<()> {
        self.lock().body.extend_from_slice(chunk);
        Ok(())
    }

    fn finish(self) -> io::Result<()> {
        self.lock().finished = true;
        Ok(())
    }
}
