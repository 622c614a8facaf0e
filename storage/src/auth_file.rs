//! `auth.json`: the keyring fallback for provider API keys.
//!
//! Format `{"version":1,"keys":{"<provider>":"<key>"}}`, mode 0600. Reading
//! is refused while group or other permission bits are set, checked with
//! `fstat` on the opened handle so the file cannot be swapped between the
//! check and the read. The file is parsed into `serde_json::Value` and
//! walked by hand, and every error is fixed text plus a position, so no
//! error message can ever contain a key.

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::{ErrorKind, Read};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde::Serialize;
use serde_json::Value;

use crate::atomic::FileMode;
use crate::error::{Result, StorageError};
use crate::json_store::save_json;

const FORMAT_VERSION: u64 = 1;
/// A handful of keys is a few hundred bytes; anything near this is not ours.
const MAX_AUTH_BYTES: u64 = 1 << 20;

/// Handle on `auth.json`. Cheap: the file is read on every call, so an
/// external edit (or `chmod`) is honoured at once.
#[derive(Debug)]
pub struct AuthFile {
    path: PathBuf,
    /// Serializes read-modify-write between the host's threads; two
    /// concurrent `set`s would otherwise lose one key.
    lock: Mutex<()>,
}

/// Serialized shape.
#[derive(Serialize)]
struct AuthDoc<'a> {
    version: u64,
    keys: &'a BTreeMap<String, String>,
}

impl AuthFile {
    /// A handle on `path`; nothing is touched until the first call.
    pub fn new(path: PathBuf) -> AuthFile {
        AuthFile {
            path,
            lock: Mutex::new(()),
        }
    }

    /// Where the file lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The key stored under `name`.
    pub fn get(&self, name: &str) -> Result<Option<String>> {
        let _guard = self.guard();
        Ok(self.read_keys()?.remove(name))
    }

    /// Whether a key is stored under `name`.
    pub fn contains(&self, name: &str) -> Result<bool> {
        let _guard = self.guard();
        Ok(self.read_keys()?.contains_key(name))
    }

    /// Stores `secret` under `name`, creating the file (0600) if needed.
    pub fn set(&self, name: &str, secret: &str) -> Result<()> {
        let _guard = self.guard();
        let mut keys = self.read_keys()?;
        keys.insert(name.to_owned(), secret.to_owned());
        self.write_keys(&keys)
    }

    /// Removes `name`; `false` (and no write) if it was not stored.
    pub fn remove(&self, name: &str) -> Result<bool> {
        let _guard = self.guard();
        let mut keys = self.read_keys()?;
        if keys.remove(name).is_none() {
            return Ok(false);
        }
        self.write_keys(&keys)?;
        Ok(true)
    }

    /// The mutex guards no data and every write is atomic, so a panic in
    /// another thread leaves nothing inconsistent: ignore poisoning.
    fn guard(&self) -> MutexGuard<'_, ()> {
        self.lock.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Reads all keys; a missing file has none.
    fn read_keys(&self) -> Result<BTreeMap<String, String>> {
        let path = &self.path;
        // O_NOFOLLOW: a symlink planted at auth.json is not followed.
        let file = match OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(path)
        {
            Ok(file) => file,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(BTreeMap::new()),
            Err(e) => return Err(StorageError::io("open", path, e)),
        };
        let meta = file
            .metadata()
            .map_err(|e| StorageError::io("stat", path, e))?;
        if !meta.is_file() {
            return Err(StorageError::corrupt(path, "not a regular file"));
        }
        let mode = meta.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(StorageError::InsecurePermissions {
                path: path.clone(),
                mode,
            });
        }
        if meta.len() > MAX_AUTH_BYTES {
            return Err(StorageError::corrupt(path, "larger than 1 MiB"));
        }
        let mut bytes = Vec::new();
        file.take(MAX_AUTH_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| StorageError::io("read", path, e))?;
        parse_keys(path, &bytes)
    }

    fn write_keys(&self, keys: &BTreeMap<String, String>) -> Result<()> {
        let doc = AuthDoc {
            version: FORMAT_VERSION,
            keys,
        };
        save_json(&self.path, &doc, FileMode::Private)
    }
}

/// Walks the parsed document by hand; reasons are fixed strings.
fn parse_keys(path: &Path, bytes: &[u8]) -> Result<BTreeMap<String, String>> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| StorageError::json(path, &e))?;
    let Value::Object(mut top) = value else {
        return Err(StorageError::corrupt(path, "top level is not an object"));
    };
    match top.get("version").and_then(Value::as_u64) {
        Some(FORMAT_VERSION) => {}
        // A number is safe to show; anything else might be a pasted key.
        Some(other) => {
            return Err(StorageError::corrupt(
                path,
                format!("unsupported format version {other} (this build reads {FORMAT_VERSION})"),
            ))
        }
        None => {
            return Err(StorageError::corrupt(
                path,
                "\"version\" is missing or not a number",
            ))
        }
    }
    let entries = match top.remove("keys") {
        None => return Ok(BTreeMap::new()),
        Some(Value::Object(map)) => map,
        Some(_) => return Err(StorageError::corrupt(path, "\"keys\" is not an object")),
    };
    let mut keys = BTreeMap::new();
    for (name, value) in entries {
        let Value::String(secret) = value else {
            return Err(StorageError::corrupt(
                path,
                "a value under \"keys\" is not a string",
            ));
        };
        keys.insert(name, secret);
    }
    Ok(keys)
}
