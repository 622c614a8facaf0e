//! `agent-secrets`: the store for provider API keys.
//!
//! Keys go to the OS keyring (Secret Service, through the `keyring` crate)
//! when one answers, else to `auth.json` in the user-data directory (0600).
//! The keyring is probed on first use, never at start-up; the keyring
//! service name is scoped per user-data directory. Keys travel in
//! `Zeroizing` buffers, and no error or log line contains one. Every call
//! blocks: async callers use `spawn_blocking`.
//!
//! ```no_run
//! use agent_provider::Provider;
//! use agent_secrets::SecretStore;
//! use agent_storage::AuthFile;
//! let store = SecretStore::new(AuthFile::new("/data/auth.json".into()), "/data");
//! let key = agent_provider::Zeroizing::new("sk-...".to_owned());
//! store.set(Provider::OpenRouter, &key).unwrap();
//! ```

mod store;

pub use store::{SecretBackend, SecretError, SecretStore, BACKEND_ENV, MAX_KEY_BYTES};
