//! Runs blocking work (SQLite, file I/O, the keyring) off the async workers,
//! within a time limit. Every collaborator that can stall stalls here, so
//! this is the handler time limit; what happens when it is hit is a domain
//! fact ([`Blocked`]) that each collaborator's error carries and the routes
//! map to 503 `timeout`.

use std::time::Duration;

/// How long a caller waits for blocking work (file I/O on a slow mount,
/// SQLite behind a lock, a keyring that does not answer) before giving up
/// with [`Blocked::TimedOut`]. Callers that cannot stall pay no timer.
pub const BLOCKING_TIMEOUT: Duration = Duration::from_secs(30);

/// Blocking work that did not come back with an answer.
#[derive(Debug, thiserror::Error)]
pub enum Blocked {
    /// It did not finish within [`BLOCKING_TIMEOUT`]; it may still finish
    /// later, unobserved.
    #[error("the request took too long and was cancelled")]
    TimedOut,
    /// It panicked (or the blocking pool is gone).
    #[error("blocking task failed: {0}")]
    Failed(#[source] tokio::task::JoinError),
}

/// Runs `f` on tokio's blocking pool within [`BLOCKING_TIMEOUT`]; a panic
/// inside becomes [`Blocked::Failed`], the time limit [`Blocked::TimedOut`],
/// both converted into the caller's error.
pub async fn run_blocking<T, E, F>(f: F) -> Result<T, E>
where
    F: FnOnce() -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<Blocked> + Send + 'static,
{
    match tokio::time::timeout(BLOCKING_TIMEOUT, tokio::task::spawn_blocking(f)).await {
        Ok(Ok(result)) => result,
        Ok(Err(e)) => {
            tracing::error!(error = %e, "blocking task failed");
            Err(Blocked::Failed(e).into())
        }
        Err(_) => {
            tracing::warn!("blocking work exceeded the handler time limit");
            Err(Blocked::TimedOut.into())
        }
    }
}
