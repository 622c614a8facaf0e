//! Where each file lives inside the user-data directory.

use std::fs::{self, DirBuilder, Metadata, Permissions};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
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
    /// Checks `root` is absolute, creates it (0700: it holds secrets and
    /// history) when missing, and makes it private whoever created it: the
    /// directory, every subdirectory and every file in it lose their group
    /// and other permission bits (a 0755 directory becomes 0700, a 0644 file
    /// 0600), each change logged as a warning, never silently. Symlinks
    /// inside are neither followed nor changed. A mode that cannot be
    /// tightened (a file owned by someone else) is an error: the host does
    /// not run on data others can read. The root is stored as given, not
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
        make_private(root)?;
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

/// Removes group and other bits from `root` (followed if a symlink: it is
/// the directory the user named) and then from everything under it (not
/// followed). The root goes first: once it is 0700 no other user can add,
/// rename or swap entries while the rest is walked, so changing modes by
/// path is race-free against them.
fn make_private(root: &Path) -> Result<()> {
    let meta = fs::metadata(root).map_err(|e| StorageError::io("stat", root, e))?;
    tighten(root, &meta)?;
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let entries = fs::read_dir(&dir).map_err(|e| StorageError::io("list", &dir, e))?;
        for entry in entries {
            let path = entry.map_err(|e| StorageError::io("list", &dir, e))?.path();
            let meta = match fs::symlink_metadata(&path) {
                Ok(meta) => meta,
                // Removed meanwhile (a temp file renamed away): nothing to do.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(StorageError::io("stat", &path, e)),
            };
            if meta.file_type().is_symlink() {
                continue;
            }
            tighten(&path, &meta)?;
            if meta.is_dir() {
                dirs.push(path);
            }
        }
    }
    Ok(())
}

/// Opens `path` for reading and writing, creating it empty with mode 0600
/// when missing (`O_CREAT` without `O_EXCL` or `O_TRUNC`: an existing file
/// is opened as it is).
pub(crate) fn open_private(path: &Path) -> Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
        .map_err(|e| StorageError::io("open", path, e))
}

/// Clears the group and other bits of `path` (whose metadata is `meta`;
/// not a symlink, or a symlink the caller means to follow) if any is set,
/// with a warning naming the old and new modes.
pub(crate) fn tighten(path: &Path, meta: &Metadata) -> Result<()> {
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o077 == 0 {
        return Ok(());
    }
    let private = mode & 0o700;
    fs::set_permissions(path, Permissions::from_mode(private))
        .map_err(|e| StorageError::io("chmod", path, e))?;
    tracing::warn!(
        path = %path.display(),
        was = format_args!("{mode:04o}"),
        now = format_args!("{private:04o}"),
        "user data was readable by other users: group/other permissions removed"
    );
    Ok(())
}
