//! Small typed JSON files, read whole and written atomically.

use std::io::ErrorKind;
use std::path::Path;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::atomic::{write_atomic, FileMode};
use crate::error::{Result, StorageError};

/// Reads `path`; a missing file is `T::default()`.
///
/// An unparsable file is [`StorageError::Corrupt`], never a silent reset:
/// overwriting it on the next save would lose the user's data. The error
/// gives the parse position only, never the offending text.
pub fn load_json<T: DeserializeOwned + Default>(path: &Path) -> Result<T> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(T::default()),
        Err(e) => return Err(StorageError::io("read", path, e)),
    };
    serde_json::from_slice(&bytes).map_err(|e| StorageError::json(path, &e))
}

/// Writes `value` as pretty JSON with a trailing newline, atomically.
pub fn save_json<T: Serialize>(path: &Path, value: &T, mode: FileMode) -> Result<()> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|_| StorageError::Encode {
        path: path.to_path_buf(),
    })?;
    bytes.push(b'\n');
    write_atomic(path, &bytes, mode)
}

/// Refuses a store whose `"version"` this build does not know: rewriting a
/// newer format with the old one would drop whatever the newer build added.
pub(crate) fn check_format_version(path: &Path, found: u32, supported: u32) -> Result<()> {
    if found != supported {
        return Err(StorageError::corrupt(
            path,
            format!("unsupported format version {found} (this build reads {supported})"),
        ));
    }
    Ok(())
}

/// JSON keeps paths as strings; refuse a non-UTF-8 path up front instead
/// of failing (or mangling it) at save time.
pub(crate) fn require_utf8(path: &Path) -> Result<()> {
    match path.to_str() {
        Some(_) => Ok(()),
        None => Err(StorageError::NonUtf8Path {
            path: path.to_path_buf(),
        }),
    }
}
