//! Runs blocking work (SQLite, file I/O, the keyring) off the async workers.

use agent_security::ApiError;

/// Runs `f` on tokio's blocking pool; a panic inside becomes a plain 500.
pub async fn run_blocking<T, F>(f: F) -> Result<T, ApiError>
where
    F: FnOnce() -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result,
        Err(e) => {
            tracing::error!(error = %e, "blocking task failed");
            Err(ApiError::internal())
        }
    }
}

/// Logs a storage failure and hides its details from the client.
pub fn storage_failure(e: agent_storage::StorageError) -> ApiError {
    tracing::error!(error = %e, "storage operation failed");
    ApiError::internal()
}
