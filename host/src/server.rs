//! The accept loop: the app's tower service over hyper's HTTP/1.1
//! connections, for both of the host's listeners (the loopback port, and
//! `host.sock` in local_socket.rs, which only accepts and vets connections
//! its own way through [`Listener`]). Written out instead of `axum::serve`
//! for what that does not set:
//!
//! - A header read timeout. Without it a client that opens connections and
//!   trickles header bytes holds each one (and its task) forever; with it
//!   hyper closes such a connection after [`HEADER_READ_TIMEOUT`]. Streams
//!   are unaffected: the timeout covers only the reading of a request head.
//! - A cap on open connections ([`connection_cap`]), so that idle
//!   connections cannot use up the process's file descriptors and starve
//!   the accept loop. At the cap, the connection idle the longest (between
//!   requests, or not yet sent one) is asked to close to make room; a
//!   connection is busy from the moment its request reaches the service
//!   until its response body has been sent, so a long SSE stream is never
//!   chosen. With nothing idle to close, the new connection is refused
//!   (closed at once) and the accept loop goes on.

use std::collections::{BTreeSet, HashMap};
use std::convert::Infallible;
use std::future::Future;
use std::os::fd::{AsFd, AsRawFd};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::response::Response;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};
use tower::{Service, ServiceExt};

/// How long a client may take to send a whole request head.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The most connections served at once, whatever the descriptor limit.
pub const MAX_CONNECTIONS: usize = 4096;

/// File descriptors kept out of the connection budget: the database, the
/// lock, pipes, the provider's connections, the files handlers open.
pub const FD_RESERVE: u64 = 64;

/// The cap never goes below this, however low the descriptor limit.
const MIN_CONNECTIONS: usize = 16;

/// Connections asked to close that may still hold their descriptors. Past
/// the cap plus this many, the accept loop waits for them to go (at most
/// [`EVICTION_GRACE`]), then refuses new connections until they have.
const CLOSING_SLACK: usize = (FD_RESERVE / 2) as usize;

/// An evicted connection that was idle but has not closed after this long
/// (it had sent part of a request head) is dropped outright, unless a
/// request raced in and it is busy.
const EVICTION_GRACE: Duration = Duration::from_millis(100);

/// How long the accept loop waits after a failed accept (out of
/// descriptors and the like) before trying again.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

fn fd_limit() -> std::io::Result<libc::rlimit> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes into the struct it is given.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(limit)
}

/// Raises the process's soft limit on open files to its hard limit (a
/// default soft limit of 1024 is common and far below what the host may
/// need). A failure is logged and otherwise ignored.
pub fn raise_fd_limit() {
    let limit = match fd_limit() {
        Ok(limit) => limit,
        Err(error) => {
            tracing::warn!(%error, "cannot read the open-file limit");
            return;
        }
    };
    if limit.rlim_cur >= limit.rlim_max {
        tracing::debug!(
            limit = limit.rlim_cur,
            "open-file limit already at its hard limit"
        );
        return;
    }
    let raised = libc::rlimit {
        rlim_cur: limit.rlim_max,
        rlim_max: limit.rlim_max,
    };
    // SAFETY: setrlimit only reads the struct it is given.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } != 0 {
        let error = std::io::Error::last_os_error();
        tracing::warn!(%error, soft = limit.rlim_cur, hard = limit.rlim_max, "cannot raise the open-file limit");
        return;
    }
    tracing::debug!(
        limit = raised.rlim_cur,
        was = limit.rlim_cur,
        "raised the open-file limit to its hard limit"
    );
}

/// The most connections served at once: the soft descriptor limit less
/// [`FD_RESERVE`], at most [`MAX_CONNECTIONS`].
pub fn connection_cap() -> usize {
    let soft = match fd_limit() {
        Ok(limit) => limit.rlim_cur,
        Err(_) => 1024,
    };
    let budget = usize::try_from(soft.saturating_sub(FD_RESERVE)).unwrap_or(usize::MAX);
    budget.clamp(MIN_CONNECTIONS, MAX_CONNECTIONS)
}

/// Connections the kernel queues for the accept loop.
const ACCEPT_BACKLOG: i32 = 1024;

/// Raises the listen backlog from the 128 tokio and std bind with, so that
/// a burst of connects while the accept loop is briefly descheduled does
/// not overflow the queue: the kernel then drops SYNs and a client (the
/// health check too) waits a second for its retransmit. `listen` on a
/// listening socket only changes the backlog.
fn deepen_backlog(listener: &impl AsFd) {
    // SAFETY: the descriptor is the listener's own, open for this call.
    if unsafe { libc::listen(listener.as_fd().as_raw_fd(), ACCEPT_BACKLOG) } != 0 {
        let error = std::io::Error::last_os_error();
        tracing::debug!(%error, "cannot deepen the listen backlog");
    }
}

/// HTTP/1.1 with the head read timeout.
fn http1() -> hyper::server::conn::http1::Builder {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    http
}

/// A listening socket the accept loop serves: what differs between the
/// loopback port and `host.sock` is how a connection is accepted and
/// vetted, nothing else.
pub trait Listener: AsFd {
    /// A connection.
    type Io: AsyncRead + AsyncWrite + Unpin + Send + 'static;

    /// The next connection, or `Ok(None)` for one the listener refused
    /// (and logged) before a byte was read.
    fn accept(&self) -> impl Future<Output = std::io::Result<Option<Self::Io>>> + Send;
}

impl Listener for TcpListener {
    type Io = TcpStream;

    async fn accept(&self) -> std::io::Result<Option<TcpStream>> {
        let (tcp, _) = TcpListener::accept(self).await?;
        // Small request/response exchanges: never wait on Nagle.
        let _ = tcp.set_nodelay(true);
        Ok(Some(tcp))
    }
}

/// Serves `service` on `listener`, at most `cap` connections at once (see
/// the module's notes), until `shutdown` completes; then stops accepting,
/// drops the listener, and waits for the open connections to finish
/// (in-flight requests complete; idle keep-alive connections close at
/// once).
pub async fn serve<L, S>(listener: L, cap: usize, service: S, shutdown: impl Future<Output = ()>)
where
    L: Listener,
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    let http = http1();
    deepen_backlog(&listener);
    let connections = Arc::new(Connections::new(cap));
    tracing::debug!(cap = connections.cap, "connection cap");
    // Every connection task holds a receiver: `send` asks them all to close
    // gracefully, `closed` resolves once the last one has ended.
    let (stop_connections, _) = watch::channel(());
    let mut shutdown = std::pin::pin!(shutdown);
    let mut warned = false;
    loop {
        let io = tokio::select! {
            accepted = async {
                connections.wait_for_room().await;
                listener.accept().await
            } => match accepted {
                Ok(Some(io)) => io,
                Ok(None) => continue,
                Err(error) => {
                    // Out of descriptors and the like: free one if we can,
                    // back off, keep serving.
                    tracing::warn!(%error, "accept failed");
                    if matches!(error.raw_os_error(), Some(libc::EMFILE | libc::ENFILE)) {
                        connections.evict_idlest();
                    }
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some((handle, close)) = connections.admit() else {
            // At the cap with nothing idle to close: refuse the newest.
            if !std::mem::replace(&mut warned, true) {
                tracing::warn!(
                    cap = connections.cap,
                    "connection cap reached with no idle connection to close; refusing connections"
                );
            }
            tracing::debug!("connection refused: at the cap");
            drop(io);
            continue;
        };
        let service = service
            .clone()
            .map_request(|request: Request<Incoming>| request.map(Body::new));
        let for_requests = handle.clone();
        let service = hyper::service::service_fn(move |request: Request<Incoming>| {
            let busy = Busy::start(for_requests.clone());
            let response = service.clone().oneshot(request);
            async move {
                let response = response.await?;
                Ok::<_, Infallible>(response.map(|inner| TrackedBody { inner, _busy: busy }))
            }
        });
        let connection = http.serve_connection(TokioIo::new(io), service);
        let mut stop = stop_connections.subscribe();
        // Leaves the table when the task ends, however it ends.
        let handle = Registered(handle);
        tokio::spawn(async move {
            let mut connection = std::pin::pin!(connection);
            let ended = tokio::select! {
                ended = connection.as_mut() => ended,
                evicted = async {
                    tokio::select! {
                        () = close.notified() => true,
                        _ = stop.changed() => false,
                    }
                } => {
                    connection.as_mut().graceful_shutdown();
                    if evicted {
                        close_evicted(connection, &handle.0).await
                    } else {
                        connection.await
                    }
                }
            };
            if let Err(error) = ended {
                tracing::debug!(%error, "connection ended with an error");
            }
        });
    }
    drop(listener);
    stop_connections.send_replace(());
    stop_connections.closed().await;
}

/// Drives an evicted connection to its graceful end, dropping it outright
/// once it has been idle past [`EVICTION_GRACE`] (a part-sent request head
/// keeps hyper from closing it by itself).
async fn close_evicted<F>(mut connection: Pin<&mut F>, handle: &Handle) -> hyper::Result<()>
where
    F: Future<Output = hyper::Result<()>>,
{
    loop {
        match tokio::time::timeout(EVICTION_GRACE, connection.as_mut()).await {
            Ok(ended) => return ended,
            Err(_) if !handle.is_busy() => return Ok(()),
            Err(_) => {}
        }
    }
}

/// The open connections: how many, which are busy, and which has been idle
/// the longest.
struct Connections {
    cap: usize,
    table: Mutex<Table>,
    /// Signalled when a connection asked to close has gone.
    freed: Notify,
}

#[derive(Default)]
struct Table {
    entries: HashMap<u64, Entry>,
    /// The idle connections that may be closed, by when they became idle
    /// (a sequence number): the first is the idlest.
    idle: BTreeSet<(u64, u64)>,
    /// Entries asked to close that have not gone yet; they no longer count
    /// towards the cap.
    closing: usize,
    next_id: u64,
    next_seq: u64,
}

struct Entry {
    close: Arc<Notify>,
    /// Requests whose responses have not been sent completely.
    in_flight: usize,
    /// Its key in [`Table::idle`], while it is there.
    idle_since: Option<u64>,
    closing: bool,
}

impl Table {
    /// Puts `id` at the end of the idle order if it is idle.
    fn mark_idle(&mut self, id: u64) {
        let seq = self.next_seq;
        self.next_seq += 1;
        if let Some(entry) = self.entries.get_mut(&id) {
            if entry.in_flight == 0 && !entry.closing && entry.idle_since.is_none() {
                entry.idle_since = Some(seq);
                self.idle.insert((seq, id));
            }
        }
    }

    /// Asks the idlest connection to close; its id, or `None` if none is
    /// idle.
    fn evict_idlest(&mut self) -> Option<u64> {
        let (_, id) = self.idle.pop_first()?;
        let entry = self.entries.get_mut(&id)?;
        entry.idle_since = None;
        entry.closing = true;
        self.closing += 1;
        // A permit: the task sees it even if it is not waiting yet.
        entry.close.notify_one();
        Some(id)
    }
}

impl Connections {
    fn new(cap: usize) -> Connections {
        Connections {
            cap,
            table: Mutex::new(Table::default()),
            freed: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Table> {
        self.table
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Registers a new connection, first making room at the cap by closing
    /// the idlest one; `None` when there is no room to make.
    fn admit(self: &Arc<Self>) -> Option<(Handle, Arc<Notify>)> {
        let mut table = self.lock();
        // Closed connections give their descriptors back a moment later;
        // never run ahead of them by more than the slack.
        if table.entries.len() >= self.cap + CLOSING_SLACK {
            return None;
        }
        if table.entries.len() - table.closing >= self.cap {
            let evicted = table.evict_idlest()?;
            tracing::debug!(
                connection = evicted,
                "closing the idlest connection: at the cap"
            );
        }
        let id = table.next_id;
        table.next_id += 1;
        let close = Arc::new(Notify::new());
        table.entries.insert(
            id,
            Entry {
                close: close.clone(),
                in_flight: 0,
                idle_since: None,
                closing: false,
            },
        );
        table.mark_idle(id);
        let handle = Handle {
            connections: self.clone(),
            id,
        };
        Some((handle, close))
    }

    fn evict_idlest(&self) {
        if let Some(evicted) = self.lock().evict_idlest() {
            tracing::debug!(
                connection = evicted,
                "closing the idlest connection: out of descriptors"
            );
        }
    }

    /// Waits, at most [`EVICTION_GRACE`], while the connections asked to
    /// close still hold more than the slack allows.
    async fn wait_for_room(&self) {
        let deadline = tokio::time::Instant::now() + EVICTION_GRACE;
        loop {
            if self.lock().entries.len() < self.cap + CLOSING_SLACK {
                return;
            }
            if tokio::time::timeout_at(deadline, self.freed.notified())
                .await
                .is_err()
            {
                return;
            }
        }
    }
}

/// One connection's place in [`Connections`].
#[derive(Clone)]
struct Handle {
    connections: Arc<Connections>,
    id: u64,
}

impl Handle {
    fn is_busy(&self) -> bool {
        let table = self.connections.lock();
        table.entries.get(&self.id).is_some_and(|e| e.in_flight > 0)
    }
}

/// Removes its connection from [`Connections`] when the task ends.
struct Registered(Handle);

impl Drop for Registered {
    fn drop(&mut self) {
        let Handle { connections, id } = &self.0;
        let mut table = connections.lock();
        let Some(entry) = table.entries.remove(id) else {
            return;
        };
        if let Some(seq) = entry.idle_since {
            table.idle.remove(&(seq, *id));
        }
        if entry.closing {
            table.closing -= 1;
            drop(table);
            connections.freed.notify_one();
        }
    }
}

/// Marks its connection busy from the request's arrival until the response
/// body has been sent (or dropped).
struct Busy(Handle);

impl Busy {
    fn start(handle: Handle) -> Busy {
        {
            let mut guard = handle.connections.lock();
            let table = &mut *guard;
            if let Some(entry) = table.entries.get_mut(&handle.id) {
                entry.in_flight += 1;
                if let Some(seq) = entry.idle_since.take() {
                    table.idle.remove(&(seq, handle.id));
                }
            }
        }
        Busy(handle)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        let Handle { connections, id } = &self.0;
        let mut table = connections.lock();
        if let Some(entry) = table.entries.get_mut(id) {
            entry.in_flight -= 1;
        }
        table.mark_idle(*id);
    }
}

/// The response body, holding its connection busy until it is done.
struct TrackedBody {
    inner: Body,
    _busy: Busy,
}

impl hyper::body::Body for TrackedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admit(connections: &Arc<Connections>) -> Registered {
        Registered(connections.admit().expect("admitted").0)
    }

    fn closing(connections: &Connections) -> Vec<u64> {
        let table = connections.lock();
        let mut ids: Vec<u64> = table
            .entries
            .iter()
            .filter(|(_, e)| e.closing)
            .map(|(id, _)| *id)
            .collect();
        ids.sort_unstable();
        ids
    }

    #[test]
    fn at_the_cap_the_connection_idle_the_longest_is_closed() {
        let connections = Arc::new(Connections::new(3));
        let a = admit(&connections);
        let b = admit(&connections);
        let c = admit(&connections);
        // `a` served a request just now: `b` has been idle the longest.
        drop(Busy::start(a.0.clone()));
        let d = admit(&connections);
        assert_eq!(closing(&connections), [b.0.id]);
        // Then `c`, then `a`; never the newest while an older one is idle.
        let e = admit(&connections);
        assert_eq!(closing(&connections), [b.0.id, c.0.id]);
        drop(b);
        drop(c);
        let _f = admit(&connections);
        assert_eq!(closing(&connections), [a.0.id]);
        drop((a, d, e));
    }

    #[test]
    fn busy_connections_are_never_closed_and_with_none_idle_the_newest_is_refused() {
        let connections = Arc::new(Connections::new(2));
        let a = admit(&connections);
        let b = admit(&connections);
        let busy_a = Busy::start(a.0.clone());
        let busy_b = Busy::start(b.0.clone());
        assert!(a.0.is_busy() && b.0.is_busy());
        assert!(connections.admit().is_none(), "nothing idle: refused");
        assert!(closing(&connections).is_empty());
        // The response of `b` is done: `b` is idle and makes room.
        drop(busy_b);
        let _c = admit(&connections);
        assert_eq!(closing(&connections), [b.0.id]);
        drop(busy_a);
    }

    #[test]
    fn connections_asked_to_close_may_not_run_ahead_by_more_than_the_slack() {
        let connections = Arc::new(Connections::new(MIN_CONNECTIONS));
        let mut open: Vec<Registered> = (0..MIN_CONNECTIONS + CLOSING_SLACK)
            .map(|_| admit(&connections))
            .collect();
        assert_eq!(closing(&connections).len(), CLOSING_SLACK);
        // Those asked to close still hold their descriptors: no more room,
        // and no more closing either.
        assert!(connections.admit().is_none());
        assert_eq!(closing(&connections).len(), CLOSING_SLACK);
        // One goes; one more fits (and asks the next idlest to close).
        let gone = open.remove(0);
        assert!(connections.lock().entries[&gone.0.id].closing);
        drop(gone);
        open.push(admit(&connections));
        assert_eq!(closing(&connections).len(), CLOSING_SLACK);
        drop(open);
        let table = connections.lock();
        assert!(table.entries.is_empty() && table.idle.is_empty());
        assert_eq!(table.closing, 0);
    }

    #[test]
    fn the_cap_follows_the_descriptor_limit_within_bounds() {
        let cap = connection_cap();
        assert!((MIN_CONNECTIONS..=MAX_CONNECTIONS).contains(&cap));
        let soft = fd_limit().unwrap().rlim_cur;
        assert!(cap as u64 <= soft.saturating_sub(FD_RESERVE).max(MIN_CONNECTIONS as u64));
    }
}
