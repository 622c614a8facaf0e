//! Where each file lives inside the user-data directory.

use std::fs::DirBuilder;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use crate::error::{Result, StorageError};

/// The user-data directory named by the handshake. Holding one means the
/// directory exists; it does not mean it is locked (see
/// [`crate::UserDataLock`]).
#[derive(Clone, Debug)]
pub struct UserData {
    root: PathBuf,
}

impl UserData {
    /// Checks `root` is absolute and creates it (0700, it holds secrets and
    /// history) when missing. An existing directory's mode is left alone:
    /// the user may have chosen it. The root is stored as given, not
    /// canonicalized, so messages show the path the user passed.
    pub fn prepare(root: &Path) -> Result<UserData> {
        if !root.is_absolute() {
            return Err(StorageError::NotAbsolute {
                path: root.to_path_buf(),
            });
        }
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(root)
            .map_err(|e| StorageError::io("create directory", root, e))?;
        Ok(UserData {
            root: root.to_path_buf(),
        })
    }

    /// The directory itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `sessions.db`: documents index, later sessions and messages.
    pub fn database_path(&self) -> PathBuf {
        self.root.join("sessions.db")
    }

    /// `auth.json`: the keyring fallback for provider API keys.
    pub fn auth_path(&self) -> PathBuf {
        self.root.join("auth.json")
    }

    /// `workspaces.json`: the workspace registry.
    pub fn workspaces_path(&self) -> PathBuf {
        self.root.join("workspaces.json")
    }

    /// `recent.json`: recently opened documents.
    pub fn recent_path(&self) -> PathBuf {
        self.root.join("recent.json")
    }

    /// `host.lock`: held by the running host.
    pub fn lock_path(&self) -> PathBuf {
        self.root.join("host.lock")
    }
}
