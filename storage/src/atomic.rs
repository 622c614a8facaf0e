//! Crash-safe file replacement.
//!
//! Every file the host writes goes through [`write_atomic`]: after a crash
//! at any instant the target holds either the complete old contents or the
//! complete new contents, never a mix or a truncation. A crash between
//! creating the temp file and the rename may leave a `.{name}.tmp.*` file
//! behind; nothing ever reads those.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions, Permissions};
use std::io::{ErrorKind, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::error::{Result, StorageError};

/// Permission bits for the file [`write_atomic`] produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileMode {
    /// 0600: secrets and the host's private state.
    Private,
    /// Keep the existing file's permission bits (a user's document stays
    /// 0640 or 0755); a new file gets 0644 minus the umask.
    Preserve,
}

/// Mode for a new file under [`FileMode::Preserve`]; the umask applies.
const NEW_FILE_MODE: u32 = 0o644;
/// Keeps `.{name}.tmp.{pid}.{16 hex}` under the usual 255-byte name limit.
const MAX_NAME_PREFIX: usize = 200;
/// Attempts at a fresh temp name before giving up (collisions need the same
/// pid and 64 random bits, so one attempt is nearly always enough).
const TEMP_ATTEMPTS: usize = 8;

/// Replaces `path` with `contents` atomically.
///
/// The temp file lives in the same directory (so the rename cannot cross
/// filesystems), is created with `O_EXCL` and its final mode (so it is never
/// briefly world-readable), is fsynced before the rename, and the directory
/// is fsynced after it (so the rename itself survives a power cut). On any
/// failure the temp file is removed and the old target is untouched. The
/// one exception: if only the final directory fsync fails, the new
/// contents are already in place but the error is still returned, because
/// their durability is not guaranteed.
///
/// A symlink at `path` is replaced by a regular file; callers that want to
/// write through links pass canonical paths.
pub fn write_atomic(path: &Path, contents: &[u8], mode: FileMode) -> Result<()> {
    let file_name = path.file_name().ok_or_else(|| {
        StorageError::io(
            "write",
            path,
            std::io::Error::new(ErrorKind::InvalidInput, "path has no file name"),
        )
    })?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };

    // `Some(bits)`: force exactly these bits with fchmod (umask must not
    // narrow a preserved mode). `None`: a new file, umask applies.
    let exact_bits = match mode {
        FileMode::Private => Some(0o600),
        FileMode::Preserve => match fs::metadata(path) {
            Ok(meta) => Some(meta.permissions().mode() & 0o777),
            Err(e) if e.kind() == ErrorKind::NotFound => None,
            Err(e) => return Err(StorageError::io("stat", path, e)),
        },
    };
    let create_bits = exact_bits.unwrap_or(NEW_FILE_MODE);

    let (mut file, temp) = create_temp(dir, file_name.as_bytes(), create_bits)?;
    let mut guard = TempGuard {
        path: temp,
        armed: true,
    };
    let temp_path = guard.path.as_path();

    if let Some(bits) = exact_bits {
        file.set_permissions(Permissions::from_mode(bits))
            .map_err(|e| StorageError::io("chmod", temp_path, e))?;
    }
    file.write_all(contents)
        .map_err(|e| StorageError::io("write", temp_path, e))?;
    file.sync_all()
        .map_err(|e| StorageError::io("fsync", temp_path, e))?;
    drop(file);

    fs::rename(temp_path, path).map_err(|e| StorageError::io("rename", path, e))?;
    guard.armed = false;

    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StorageError::io("fsync directory", dir, e))
}

/// Creates a fresh temp file next to the target.
fn create_temp(dir: &Path, file_name: &[u8], bits: u32) -> Result<(File, PathBuf)> {
    let prefix = &file_name[..file_name.len().min(MAX_NAME_PREFIX)];
    let pid = std::process::id();
    let mut last_err = None;
    for _ in 0..TEMP_ATTEMPTS {
        let mut name = Vec::with_capacity(prefix.len() + 40);
        name.push(b'.');
        name.extend_from_slice(prefix);
        name.extend_from_slice(format!(".tmp.{pid}.{:016x}", rand::random::<u64>()).as_bytes());
        let temp = dir.join(OsString::from_vec(name));
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(bits)
            .open(&temp)
        {
            Ok(file) => return Ok((file, temp)),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => last_err = Some((temp, e)),
            Err(e) => return Err(StorageError::io("create", temp, e)),
        }
    }
    let (temp, e) = last_err.unwrap_or_else(|| {
        (
            dir.to_path_buf(),
            std::io::Error::from(ErrorKind::AlreadyExists),
        )
    });
    Err(StorageError::io("create", temp, e))
}

/// Removes the temp file on every early return; disarmed after the rename
/// (the name then belongs to the target).
struct TempGuard {
    path: PathBuf,
    armed: bool,
}

impl Drop for TempGuard {
    fn drop(&mut self) {
        if self.armed {
            if let Err(e) = fs::remove_file(&self.path) {
                tracing::warn!(path = %self.path.display(), error = %e, "could not remove temp file");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_name_is_capped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let long = "x".repeat(250);
        let target = dir.path().join(&long);
        write_atomic(&target, b"ok", FileMode::Private).expect("long name");
        assert_eq!(fs::read(&target).expect("read"), b"ok");
    }

    #[test]
    fn rejects_path_without_file_name() {
        let err = write_atomic(Path::new("/"), b"x", FileMode::Private).expect_err("no name");
        assert!(matches!(err, StorageError::Io { .. }), "{err}");
    }
}
