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
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::UnixListener;
use tokio::sync::Semaphore;
use tower::{Service, ServiceExt};

/// Connections served at once; more wait in the kernel's backlog. The
/// peers are this user's own CLIs.
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

    /// Serves `service` until `shutdown` completes, then stops accepting
    /// and waits for open connections (as the loopback server does).
    pub async fn serve<S>(self, service: S, shutdown: impl Future<Output = ()>)
    where
        S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
        S::Future: Send + 'static,
    {
        let http = crate::server::http1();
        let connections = GracefulShutdown::new();
        let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            let Ok(slot) = slots.clone().acquire_owned().await else {
                break;
            };
            let stream = tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(error) => {
                        tracing::warn!(%error, "accept on the local socket failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            if agent_client::check_peer_uid(&stream).is_err() {
                tracing::warn!("refused a local socket connection from another user");
                continue;
            }
            let service = service
                .clone()
                .map_request(|request: Request<Incoming>| request.map(Body::new));
            let connection =
                http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
            let connection = connections.watch(connection);
            tokio::spawn(async move {
                if let Err(error) = connection.await {
                    tracing::debug!(%error, "local connection ended with an error");
                }
                drop(slot);
            });
        }
        connections.shutdown().await;
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
