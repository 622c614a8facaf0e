//! The crate's one error type.
//!
//! Messages name paths, modes and positions but never file *contents*:
//! `auth.json` holds API keys, and an error string ends up in logs.

use std::path::PathBuf;

/// Everything that can go wrong while reading or writing user data.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// A filesystem call failed; `op` says which one (e.g. "rename").
    #[error("{op} {}: {source}", path.display())]
    Io {
        /// The failing operation, for the message only.
        op: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },

    /// The user-data directory must be absolute so that nothing depends on
    /// the host's working directory.
    #[error("user-data path must be absolute: {}", path.display())]
    NotAbsolute { path: PathBuf },

    /// Another host holds `host.lock` in this user-data directory.
    #[error("another host is already using {}", path.display())]
    Locked { path: PathBuf },

    /// The database was stamped by a newer build; it is left untouched.
    #[error(
        "sessions.db has schema version {found}, newer than this build supports ({supported}); \
         refusing to open it"
    )]
    SchemaTooNew { found: u32, supported: u32 },

    /// A secrets file is readable by group or others.
    #[error(
        "{} has mode {:03o}, readable by group or others; refusing to read it (run `chmod 600 {}`)",
        path.display(),
        mode & 0o7777,
        path.display()
    )]
    InsecurePermissions { path: PathBuf, mode: u32 },

    /// A file exists but cannot be understood. `reason` is built from fixed
    /// text and positions only, never from the file's bytes.
    #[error("{} is corrupt: {reason}", path.display())]
    Corrupt { path: PathBuf, reason: String },

    /// A path that cannot be stored as UTF-8 text (JSON and the `documents`
    /// table keep paths as text).
    #[error("path is not valid UTF-8: {}", path.display())]
    NonUtf8Path { path: PathBuf },

    /// A value could not be encoded as JSON for `path`.
    #[error("cannot encode {} as JSON", path.display())]
    Encode { path: PathBuf },

    /// SQLite failed.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

fn is_full(e: &std::io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::ENOSPC) | Some(libc::EDQUOT))
}

/// `Result` with [`StorageError`] as the default error.
pub type Result<T, E = StorageError> = std::result::Result<T, E>;

impl StorageError {
    /// Shorthand for [`StorageError::Io`].
    pub fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        StorageError::Io {
            op,
            path: path.into(),
            source,
        }
    }

    /// True when a write failed for want of space: the file system is full
    /// (`ENOSPC`, SQLite's `SQLITE_FULL`) or the user's quota is used up.
    /// Nothing is wrong with the data; the same write succeeds once space
    /// returns.
    pub fn is_storage_full(&self) -> bool {
        match self {
            StorageError::Io { source, .. } => is_full(source),
            StorageError::Sqlite(e) => e.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull),
            _ => false,
        }
    }

    /// Shorthand for [`StorageError::Corrupt`].
    pub fn corrupt(path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        StorageError::Corrupt {
            path: path.into(),
            reason: reason.into(),
        }
    }

    /// A [`StorageError::Corrupt`] for a JSON parse failure that reports the
    /// error class and position only. serde's own messages can quote the
    /// input (`invalid type: string "sk-..."`), so they are never used.
    pub(crate) fn json(path: impl Into<PathBuf>, e: &serde_json::Error) -> Self {
        use serde_json::error::Category;
        let what = match e.classify() {
            Category::Io => "read error",
            Category::Syntax => "invalid JSON",
            Category::Eof => "truncated JSON",
            Category::Data => "unexpected JSON structure",
        };
        Self::corrupt(
            path,
            format!("{what} at line {} column {}", e.line(), e.column()),
        )
    }
}
