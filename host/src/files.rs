//! Reading and writing the user's text files (documents and workspace files)
//! with the limits and version checks both collaborators share, and the one
//! error type ([`FileError`]) those operations fail with, so that documents
//! and workspaces describe a file failure the same way and the routes map
//! it to HTTP in one place.

use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use agent_containment::ContainmentError;
use agent_storage::{write_atomic, FileMode, StorageError};

use crate::clock::mtime_token;

/// Largest text file the API reads or writes: an editor buffer, not a dataset.
pub const MAX_TEXT_BYTES: u64 = 10 * 1024 * 1024;

/// A text file's content and version token.
pub struct TextFile {
    pub content: String,
    pub mtime: String,
}

/// Why reading or writing a user's file failed. The `Display` text is what
/// a client may be told: it never echoes the client's path.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("no such file")]
    NotFound,
    #[error("the operating system denied access")]
    PermissionDenied,
    #[error("path is not a regular file")]
    NotAFile,
    #[error("path is a directory")]
    IsADirectory,
    #[error("path is not a directory")]
    NotADirectory,
    #[error(
        "files larger than {} MiB are not opened as text",
        MAX_TEXT_BYTES / 1024 / 1024
    )]
    TooLarge,
    #[error("file is not valid UTF-8 text")]
    NotUtf8,
    /// A version-checked write found another version on disk.
    #[error("the file changed on disk since it was read; reload it first")]
    Changed,
    /// A version-checked write found no file at all.
    #[error("the file was removed on disk since it was read")]
    Removed,
    /// The atomic write failed for want of space; the file is as it was.
    #[error("the disk is full; free some space and save again")]
    DiskFull(#[source] StorageError),
    /// The atomic write failed otherwise; the file is as it was.
    #[error("could not write the file")]
    WriteFailed(#[source] StorageError),
    /// Containment refused the path, or found nothing there.
    #[error(transparent)]
    Path(#[from] ContainmentError),
    /// Any other I/O failure: a fault, not the client's doing.
    #[error("file I/O failed: {0}")]
    Io(#[source] std::io::Error),
}

impl From<std::io::Error> for FileError {
    /// Keeps no more than the error kind for what a client may learn.
    fn from(e: std::io::Error) -> Self {
        match e.kind() {
            std::io::ErrorKind::NotFound => FileError::NotFound,
            std::io::ErrorKind::PermissionDenied => FileError::PermissionDenied,
            _ => FileError::Io(e),
        }
    }
}

/// Reads a UTF-8 text file of at most [`MAX_TEXT_BYTES`].
pub fn read_text(path: &Path) -> Result<TextFile, FileError> {
    // O_NONBLOCK: a FIFO in the path's place must not hang the thread.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(FileError::NotAFile);
    }
    if meta.len() > MAX_TEXT_BYTES {
        return Err(FileError::TooLarge);
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_TEXT_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_TEXT_BYTES {
        return Err(FileError::TooLarge);
    }
    let content = String::from_utf8(bytes).map_err(|_| FileError::NotUtf8)?;
    Ok(TextFile {
        content,
        mtime: mtime_token(&meta),
    })
}

/// The current version token of `path`, or `None` when it does not exist.
pub fn current_mtime(path: &Path) -> Result<Option<String>, FileError> {
    match std::fs::metadata(path) {
        Ok(meta) => Ok(Some(mtime_token(&meta))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// What a version-checked write expects to find on disk.
#[derive(Clone, Copy, Debug)]
pub enum Expected<'a> {
    /// Whatever is there (create or overwrite).
    Any,
    /// This version token.
    Version(&'a str),
    /// No file: it was removed, and is written again.
    Absent,
}

/// Writes `content` atomically when the file is as `expected`, keeping the
/// file's mode; returns the new token.
///
/// The caller serialises writers, so the check and the rename cannot
/// interleave with another API write.
pub fn write_text_if_unchanged(
    path: &Path,
    content: &str,
    expected: Expected<'_>,
) -> Result<String, FileError> {
    if content.len() as u64 > MAX_TEXT_BYTES {
        return Err(FileError::TooLarge);
    }
    match expected {
        Expected::Any => {}
        Expected::Version(expected) => {
            let current = current_mtime(path)?;
            if current.as_deref() != Some(expected) {
                return Err(match current {
                    Some(_) => FileError::Changed,
                    None => FileError::Removed,
                });
            }
        }
        Expected::Absent => {
            if current_mtime(path)?.is_some() {
                return Err(FileError::Changed);
            }
        }
    }
    write_atomic(path, content.as_bytes(), FileMode::Preserve).map_err(|e| {
        tracing::warn!(error = %e, "atomic write failed");
        if e.is_storage_full() {
            FileError::DiskFull(e)
        } else {
            FileError::WriteFailed(e)
        }
    })?;
    current_mtime(path)?.ok_or_else(|| {
        FileError::Io(std::io::Error::other(
            "the file vanished right after it was written",
        ))
    })
}
