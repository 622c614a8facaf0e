//! Runs blocking work (SQLite, file I/O, the keyring) off the async workers.

use std::time::Duration;

use agent_security::ApiError;
use axum::http::StatusCode;

/// How long a handler waits for blocking work (file I/O on a slow mount,
/// SQLite behind a lock, a keyring that does not answer) before it answers
/// 503 `timeout`. Every handler that can stall stalls here, so this is the
/// handler time limit; handlers that cannot stall pay no timer.
pub const BLOCKING_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs `f` on tokio's blocking pool within [`BLOCKING_TIMEOUT`]; a panic
/// inside becomes a plain 500.
pub async fn run_blocking<T, F>(f: F) -> Result<T, ApiError>
where
    F: FnOnce() -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    match tokio::time::timeout(BLOCKING_TIMEOUT, tokio::task::spawn_blocking(f)).await {
        Ok(Ok(result)) => result,
        Ok(Err(e)) => {
            tracing::error!(error = %e, "blocking task failed");
            Err(ApiError::internal())
        }
        Err(_) => {
            tracing::warn!("blocking work exceeded the handler time limit");
            Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "timeout",
                "the request took too long and was cancelled",
            ))
        }
    }
}

/// Logs a storage failure and hides its details from the client. A full
/// disk is not a bug: it is 507 `storage_full`, and the same request
/// succeeds once space returns (nothing was half-written).
pub fn storage_failure(e: agent_storage::StorageError) -> ApiError {
    if e.is_storage_full() {
        tracing::error!(error = %e, "storage full");
        return ApiError::new(
            StatusCode::INSUFFICIENT_STORAGE,
            "storage_full",
            "the disk holding the host's data is full; free some space and try again",
        );
    }
    tracing::error!(error = %e, "storage operation failed");
    ApiError::internal()
}
