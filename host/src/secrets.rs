//! Provider API keys: set, presence, delete. No method returns a key to a
//! route; the agent runtime reads them in-process. Fails with
//! [`SecretsError`], whose messages never contain a key.

use std::sync::Arc;

use agent_provider::Provider;
use agent_secrets::{SecretBackend, SecretError, SecretStore};
use zeroize::Zeroizing;

use crate::blocking::{run_blocking, Blocked};

/// Why a secret-store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    /// The store refused the key or could not be used (its `Display`
    /// never contains a key).
    #[error(transparent)]
    Store(#[from] SecretError),
    #[error(transparent)]
    Blocked(#[from] Blocked),
}

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

    pub async fn presence(&self, provider: Provider) -> Result<Presence, SecretsError> {
        let store = self.store.clone();
        run_blocking(move || {
            let backend = store.has(provider)?;
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
    ) -> Result<Presence, SecretsError> {
        let store = self.store.clone();
        run_blocking(move || {
            let backend = store.set(provider, &key)?;
            tracing::info!(provider = provider.id(), store = ?backend, "provider key stored");
            Ok(Presence {
                provider,
                store: Some(backend),
            })
        })
        .await
    }

    pub async fn delete(&self, provider: Provider) -> Result<bool, SecretsError> {
        let store = self.store.clone();
        run_blocking(move || {
            let deleted = store.delete(provider)?;
            if deleted {
                tracing::info!(provider = provider.id(), "provider key deleted");
            }
            Ok(deleted)
        })
        .await
    }
}
