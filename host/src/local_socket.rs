//! The host's Unix socket: how a CLI of the same user attaches.
//!
//! A host started with `publish_connection` listens on `host.sock` in its
//! user-data directory (0700) besides its loopback port. The socket is
//! 0600, and every connection's peer is asked of the kernel (`SO_PEERCRED`):
//! another user's process is closed before a byte is read. So no
//! credential has to be written to disk for a CLI to find and use the
//! host, and a stale file naming a port that another program now holds
//! cannot exist: a socket left by a dead host refuses connections, and the
//! next host (which holds the directory's lock) removes it.
//!
//! The same routes are served as on the port, without the browser
//! perimeter (see `http::local_app`).

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use axum::extract::Request;
use axum::response::Response;
use tokio::net::{UnixListener, UnixStream};
use tower::Service;

/// Connections served at once. The peers are this user's own CLIs; past
/// the cap the accept loop treats them as it treats the port's (the
/// connection idle the longest is closed to make room, else the newest
/// is refused).
const MAX_CONNECTIONS: usize = 64;

/// The socket's path for a user-data directory.
pub fn path(user_data: &Path) -> PathBuf {
    agent_client::paths::socket(user_data)
}

/// A bound socket, removed again when dropped.
pub struct LocalSocket {
    listener: UnixListener,
    path: PathBuf,
}

impl LocalSocket {
    /// Binds `host.sock` in `user_data`, replacing a stale one (the caller
    /// holds the directory's lock, so any socket there is a dead host's),
    /// and makes it 0600.
    pub fn bind(user_data: &Path) -> io::Result<LocalSocket> {
        let path = path(user_data);
        remove(&path);
        let listener = std::os::unix::net::UnixListener::bind(&path)?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        listener.set_nonblocking(true)?;
        Ok(LocalSocket {
            listener: UnixListener::from_std(listener)?,
            path,
        })
    }

    /// Serves `service` with the port's accept loop (`server::serve`) until
    /// `shutdown` completes; then stops accepting, removes the socket file
    /// and waits for the open connections.
    pub async fn serve<S>(self, service: S, shutdown: impl Future<Output = ()>)
    where
        S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
        S::Future: Send + 'static,
    {
        crate::server::serve(self, MAX_CONNECTIONS, service, shutdown).await;
    }
}

impl AsFd for LocalSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.listener.as_fd()
    }
}

impl crate::server::Listener for LocalSocket {
    type Io = UnixStream;

    /// Closes a connection from another user before a byte is read.
    async fn accept(&self) -> io::Result<Option<UnixStream>> {
        let (stream, _) = self.listener.accept().await?;
        if agent_client::check_peer_uid(&stream).is_err() {
            tracing::warn!("refused a local socket connection from another user");
            return Ok(None);
        }
        Ok(Some(stream))
    }
}

impl Drop for LocalSocket {
    fn drop(&mut self) {
        remove(&self.path);
    }
}

/// Removes a socket file if it is there.
pub fn remove(path: &Path) {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => tracing::warn!(error = %e, "could not remove the local socket"),
    }
}
