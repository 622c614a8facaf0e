//! Provider API keys: the OS keyring when a Secret Service answers, else
//! `auth.json` (0600, managed by `agent_storage::AuthFile`).
//!
//! The keyring is probed lazily on first use, never at start-up (host
//! start-up must stay fast, and a D-Bus round trip is not). Keys are handled
//! in [`Zeroizing`] buffers, and no error message or log line ever contains
//! one. Every call blocks; async callers go through `spawn_blocking`.

use std::fmt;
use std::sync::OnceLock;

use agent_provider::Provider;
use agent_storage::{AuthFile, StorageError};
use serde::Serialize;
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

/// Environment variable forcing a backend: `file` (tests, headless servers)
/// or `keyring` (no fallback to the file).
pub const BACKEND_ENV: &str = "AGENT_HOST_SECRET_BACKEND";

/// Longest key accepted, in bytes.
pub const MAX_KEY_BYTES: usize = 4096;

/// Keyring user name of the availability probe (never a provider id).
const PROBE_USER: &str = "agent-host-probe";

/// Where a key is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SecretBackend {
    /// The OS keyring (Secret Service).
    Keyring,
    /// `auth.json`, mode 0600.
    File,
}

/// Why a secret operation failed. Never contains a key.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// `auth.json` could not be read or written.
    #[error("secret file: {0}")]
    Storage(#[from] StorageError),
    /// The keyring failed; the message is ours and contains no secret.
    #[error("keyring: {0}")]
    Keyring(String),
    /// An empty key was offered.
    #[error("the key is empty")]
    EmptyKey,
    /// The key exceeds [`MAX_KEY_BYTES`].
    #[error("the key is longer than 4096 bytes")]
    TooLong,
}

/// Provider keys for one user-data directory.
pub struct SecretStore {
    service: String,
    auth: AuthFile,
    forced: Option<SecretBackend>,
    keyring: OnceLock<bool>,
}

impl fmt::Debug for SecretStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretStore")
            .field("service", &self.service)
            .field("auth", &self.auth.path())
            .field("forced", &self.forced)
            .field("keyring", &self.keyring.get())
            .finish()
    }
}

/// Keyring service name for a scope: `agent-host:` + 16 hex chars of
/// SHA-256(scope), so two user-data dirs never share keys.
pub fn service_name(scope: &str) -> String {
    let digest = Sha256::digest(scope.as_bytes());
    let mut service = String::from("agent-host:");
    for byte in &digest[..8] {
        service.push(hex_digit(byte >> 4));
        service.push(hex_digit(byte & 0x0f));
    }
    service
}

fn hex_digit(nibble: u8) -> char {
    char::from(b"0123456789abcdef"[usize::from(nibble & 0x0f)])
}

/// Backend forced by [`BACKEND_ENV`], if any.
fn backend_from_env() -> Option<SecretBackend> {
    match std::env::var(BACKEND_ENV).ok()?.as_str() {
        "file" => Some(SecretBackend::File),
        "keyring" => Some(SecretBackend::Keyring),
        "" | "auto" => None,
        _ => {
            tracing::warn!("{BACKEND_ENV} has an unknown value; probing the keyring");
            None
        }
    }
}

/// A description of a keyring failure that cannot contain `secret`.
///
/// Platform messages are kept for diagnosis (D-Bus errors say what is
/// wrong), truncated, and dropped entirely if they ever contain the secret.
fn describe(err: keyring::Error, secret: Option<&str>) -> SecretError {
    let detail = match err {
        keyring::Error::PlatformFailure(inner) => {
            format!("platform failure: {}", truncate(&inner.to_string()))
        }
        keyring::Error::NoStorageAccess(inner) => {
            format!("storage not accessible: {}", truncate(&inner.to_string()))
        }
        keyring::Error::NoEntry => "no entry".to_owned(),
        keyring::Error::BadEncoding(mut bytes) => {
            bytes.zeroize();
            "stored secret is not UTF-8".to_owned()
        }
        keyring::Error::TooLong(..) | keyring::Error::Invalid(..) => {
            "keyring refused the entry attributes".to_owned()
        }
        keyring::Error::Ambiguous(_) => "several keyring entries match".to_owned(),
        _ => "unknown keyring error".to_owned(),
    };
    let leaks = secret.is_some_and(|s| !s.is_empty() && detail.contains(s));
    SecretError::Keyring(if leaks {
        "keyring failure (details withheld)".to_owned()
    } else {
        detail
    })
}

/// At most 200 characters of a keyring message.
fn truncate(s: &str) -> String {
    match s.char_indices().nth(200) {
        Some((end, _)) => format!("{}…", &s[..end]),
        None => s.to_owned(),
    }
}

impl SecretStore {
    /// A store for `auth` scoped by `scope` (the user-data dir); honours
    /// [`BACKEND_ENV`].
    pub fn new(auth: AuthFile, scope: &str) -> Self {
        Self::with_backend(auth, scope, backend_from_env())
    }

    /// Like [`SecretStore::new`], but with an explicit choice instead of the
    /// environment: `Some(backend)` forces it, `None` probes the keyring.
    pub fn with_backend(auth: AuthFile, scope: &str, backend: Option<SecretBackend>) -> Self {
        Self {
            service: service_name(scope),
            auth,
            forced: backend,
            keyring: OnceLock::new(),
        }
    }

    /// The keyring service name this store uses.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// Where new keys go. The keyring probe runs once, on first call.
    pub fn backend(&self) -> SecretBackend {
        if let Some(forced) = self.forced {
            return forced;
        }
        let available = *self.keyring.get_or_init(|| self.probe_keyring());
        if available {
            SecretBackend::Keyring
        } else {
            SecretBackend::File
        }
    }

    /// The keyring answers iff a lookup succeeds or reports "no entry".
    fn probe_keyring(&self) -> bool {
        let Ok(entry) = keyring::Entry::new(&self.service, PROBE_USER) else {
            return false;
        };
        let available = match entry.get_password() {
            Ok(value) => {
                drop(Zeroizing::new(value));
                true
            }
            Err(keyring::Error::NoEntry) => true,
            Err(_) => false,
        };
        tracing::debug!(available, "keyring probe");
        available
    }

    fn entry(&self, provider: Provider) -> Result<keyring::Entry, SecretError> {
        keyring::Entry::new(&self.service, provider.id()).map_err(|e| describe(e, None))
    }

    /// Stores `key` (verbatim, nothing trimmed) and returns where it went.
    /// With the keyring, any older `auth.json` copy is removed afterwards.
    pub fn set(
        &self,
        provider: Provider,
        key: &Zeroizing<String>,
    ) -> Result<SecretBackend, SecretError> {
        if key.is_empty() {
            return Err(SecretError::EmptyKey);
        }
        if key.len() > MAX_KEY_BYTES {
            return Err(SecretError::TooLong);
        }
        match self.backend() {
            SecretBackend::Keyring => {
                self.entry(provider)?
                    .set_password(key)
                    .map_err(|e| describe(e, Some(key)))?;
                self.auth.remove(provider.id())?;
                Ok(SecretBackend::Keyring)
            }
            SecretBackend::File => {
                self.auth.set(provider.id(), key)?;
                Ok(SecretBackend::File)
            }
        }
    }

    /// Where the key of `provider` is stored, if anywhere: the keyring (when
    /// in use) is checked first, then `auth.json`.
    pub fn has(&self, provider: Provider) -> Result<Option<SecretBackend>, SecretError> {
        if self.keyring_get(provider)?.is_some() {
            return Ok(Some(SecretBackend::Keyring));
        }
        if self.auth.contains(provider.id())? {
            return Ok(Some(SecretBackend::File));
        }
        Ok(None)
    }

    /// The key of `provider`, for the agent runtime only: no route returns it.
    pub fn get(&self, provider: Provider) -> Result<Option<Zeroizing<String>>, SecretError> {
        if let Some(key) = self.keyring_get(provider)? {
            return Ok(Some(key));
        }
        Ok(self.auth.get(provider.id())?.map(Zeroizing::new))
    }

    /// Removes the key of `provider` from both stores; true if one existed.
    /// The file copy is removed even when the keyring fails.
    pub fn delete(&self, provider: Provider) -> Result<bool, SecretError> {
        let from_keyring = self.keyring_delete(provider);
        let from_file = self.auth.remove(provider.id())?;
        Ok(from_keyring? || from_file)
    }

    /// The keyring copy, when the keyring is the backend in use.
    fn keyring_get(&self, provider: Provider) -> Result<Option<Zeroizing<String>>, SecretError> {
        if self.backend() != SecretBackend::Keyring {
            return Ok(None);
        }
        match self.entry(provider)?.get_password() {
            Ok(key) => Ok(Some(Zeroizing::new(key))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(err) => Err(describe(err, None)),
        }
    }

    fn keyring_delete(&self, provider: Provider) -> Result<bool, SecretError> {
        if self.backend() != SecretBackend::Keyring {
            return Ok(false);
        }
        match self.entry(provider)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(err) => Err(describe(err, None)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(dir: &tempfile::TempDir) -> SecretStore {
        SecretStore::with_backend(
            AuthFile::new(dir.path().join("auth.json")),
            dir.path().to_str().expect("utf-8"),
            Some(SecretBackend::File),
        )
    }

    fn key(s: &str) -> Zeroizing<String> {
        Zeroizing::new(s.to_owned())
    }

    #[test]
    fn backend_serialises_lowercase() {
        assert_eq!(
            serde_json::to_string(&SecretBackend::Keyring).expect("json"),
            "\"keyring\""
        );
        assert_eq!(
            serde_json::to_string(&SecretBackend::File).expect("json"),
            "\"file\""
        );
    }

    #[test]
    fn service_name_is_scoped() {
        let a = service_name("/home/u/.local/share/agent-host");
        let b = service_name("/home/u/.local/share/agent-host-dev");
        assert_ne!(a, b);
        assert!(a.starts_with("agent-host:"));
        assert_eq!(a.len(), "agent-host:".len() + 16);
        assert!(a["agent-host:".len()..]
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        // SHA-256("") = e3b0c44298fc1c14...
        assert_eq!(service_name(""), "agent-host:e3b0c44298fc1c14");
    }

    #[test]
    fn file_backend_round_trip() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = store(&dir);
        assert_eq!(s.backend(), SecretBackend::File);
        assert_eq!(s.has(Provider::OpenRouter).expect("has"), None);
        assert!(s.get(Provider::OpenRouter).expect("get").is_none());

        let set = s
            .set(Provider::OpenRouter, &key(" sk-or-v1-abc "))
            .expect("set");
        assert_eq!(set, SecretBackend::File);
        assert_eq!(
            s.has(Provider::OpenRouter).expect("has"),
            Some(SecretBackend::File)
        );
        assert_eq!(s.has(Provider::Custom).expect("has"), None);
        let got = s.get(Provider::OpenRouter).expect("get").expect("present");
        assert_eq!(got.as_str(), " sk-or-v1-abc ", "nothing trimmed");

        s.set(Provider::OpenRouter, &key("sk-2"))
            .expect("overwrite");
        assert_eq!(
            s.get(Provider::OpenRouter)
                .expect("get")
                .expect("present")
                .as_str(),
            "sk-2"
        );

        assert!(s.delete(Provider::OpenRouter).expect("delete"));
        assert!(!s.delete(Provider::OpenRouter).expect("delete again"));
        assert_eq!(s.has(Provider::OpenRouter).expect("has"), None);
    }

    #[test]
    fn providers_are_independent() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = store(&dir);
        s.set(Provider::AiGateway, &key("gw")).expect("set");
        s.set(Provider::Custom, &key("cu")).expect("set");
        assert!(s.delete(Provider::AiGateway).expect("delete"));
        assert_eq!(
            s.get(Provider::Custom)
                .expect("get")
                .expect("present")
                .as_str(),
            "cu"
        );
    }

    #[test]
    fn file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let s = store(&dir);
        s.set(Provider::Custom, &key("k")).expect("set");
        let mode = std::fs::metadata(dir.path().join("auth.json"))
            .expect("auth.json exists")
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "mode {mode:o}");
    }

    #[test]
    fn group_readable_file_is_refused_without_leaking() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let s = store(&dir);
        s.set(Provider::Custom, &key("sk-leak-me")).expect("set");
        let path = dir.path().join("auth.json");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let err = s.get(Provider::Custom).expect_err("insecure file");
        assert!(matches!(err, SecretError::Storage(_)), "{err:?}");
        assert!(!err.to_string().contains("sk-leak-me"));
        assert!(!format!("{err:?}").contains("sk-leak-me"));
    }

    #[test]
    fn refuses_empty_and_oversized_keys() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = store(&dir);
        assert!(matches!(
            s.set(Provider::Custom, &key("")),
            Err(SecretError::EmptyKey)
        ));
        assert!(s
            .set(Provider::Custom, &key(&"k".repeat(MAX_KEY_BYTES)))
            .is_ok());
        let err = s
            .set(Provider::Custom, &key(&"k".repeat(MAX_KEY_BYTES + 1)))
            .expect_err("too long");
        assert!(matches!(err, SecretError::TooLong));
        assert!(!err.to_string().contains("kkkk"));
    }

    #[test]
    fn keyring_errors_never_contain_the_secret() {
        let secret = "sk-super-secret";
        let err = describe(
            keyring::Error::PlatformFailure(format!("failed to store {secret}").into()),
            Some(secret),
        );
        assert!(!err.to_string().contains(secret));
        let err = describe(
            keyring::Error::BadEncoding(secret.as_bytes().to_vec()),
            None,
        );
        assert!(!err.to_string().contains(secret));
        let err = describe(
            keyring::Error::NoStorageAccess("locked".into()),
            Some(secret),
        );
        assert_eq!(err.to_string(), "keyring: storage not accessible: locked");
    }
}
