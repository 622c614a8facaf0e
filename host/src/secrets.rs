//! Provider API keys: set, presence, delete. No method returns a key to a
//! route; the agent runtime reads them in-process.

use std::sync::Arc;

use agent_provider::Provider;
use agent_secrets::{SecretBackend, SecretError, SecretStore};
use agent_security::ApiError;
use axum::http::StatusCode;
use zeroize::Zeroizing;

use crate::blocking::run_blocking;

pub struct Secrets {
    store: Arc<SecretStore>,
}

/// Where a provider's key is, if anywhere.
pub struct Presence {
    pub provider: Provider,
    pub store: Option<SecretBackend>,
}

impl Secrets {
    pub fn new(store: SecretStore) -> Self {
        Self {
            store: Arc::new(store),
        }
    }

    /// The store itself, for in-process readers (the provider registry).
    pub fn store(&self) -> Arc<SecretStore> {
        self.store.clone()
    }

    pub async fn presence(&self, provider: Provider) -> Result<Presence, ApiError> {
        let store = self.store.clone();
        run_blocking(move || {
            let backend = store.has(provider).map_err(secret_failure)?;
            Ok(Presence {
                provider,
                store: backend,
            })
        })
        .await
    }

    pub async fn set(
        &self,
        provider: Provider,
        key: Zeroizing<String>,
    ) -> Result<Presence, ApiError> {
        let store = self.store.clone();
        run_blocking(move || {
            let backend = store.set(provider, &key).map_err(secret_failure)?;
            tracing::info!(provider = provider.id(), store = ?backend, "provider key stored");
            Ok(Presence {
                provider,
                store: Some(backend),
            })
        })
        .await
    }

    pub async fn delete(&self, provider: Provider) -> Result<bool, ApiError> {
        let store = self.store.clone();
        run_blocking(move || {
            let deleted = store.delete(provider).map_err(secret_failure)?;
            if deleted {
                tracing::info!(provider = provider.id(), "provider key deleted");
            }
            Ok(deleted)
        })
        .await
    }
}

fn secret_failure(e: SecretError) -> ApiError {
    match e {
        SecretError::EmptyKey => ApiError::bad_request("invalid_key", "the key must not be empty"),
        SecretError::TooLong => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_key",
            "the key is too long",
        ),
        SecretError::Storage(e @ agent_storage::StorageError::InsecurePermissions { .. }) => {
            // The message names the file and the chmod that fixes it.
            tracing::error!(error = %e, "auth.json refused");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "insecure_permissions",
                e.to_string(),
            )
        }
        other => {
            // SecretError's Display never contains a key.
            tracing::error!(error = %other, "secret store failed");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "secret_store_unavailable",
                "the secret store could not be used",
            )
        }
    }
}
