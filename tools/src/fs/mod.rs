//! The file tools. Every path goes through [`ContainedRoot`] first. Reads
//! and writes then go through a [`Pinned`] handle (the checked entry, or
//! the checked parent directory, held open and checked again), so a path
//! component swapped for a symlink after the check leads nowhere; the
//! directory walks start from a pinned directory and reach everything below
//! it with `openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)` (see `walk`).
//! Nothing blocks on a FIFO (`O_NONBLOCK`).

pub(crate) mod edit;
pub(crate) mod grep;
pub(crate) mod list;
pub(crate) mod read;
pub(crate) mod walk;
pub(crate) mod write;

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use agent_containment::{ContainedRoot, Pinned};

use crate::error::io_error;
use crate::ToolError;

/// Largest file `read_file`, `edit_file` and `grep_files` will load: the
/// model's context window is the real limit, and 1 MiB is already far past it.
pub const MAX_TEXT_BYTES: u64 = 1024 * 1024;

/// Largest content `write_file` and `edit_file` will write.
pub const MAX_WRITE_BYTES: usize = 10 * 1024 * 1024;

/// Runs blocking file work off the async runtime; a panic in it becomes an
/// error instead of unwinding into the agent loop.
pub(crate) async fn blocking<T, F>(work: F) -> Result<T, ToolError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, ToolError> + Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| ToolError::Failed("internal error in file tool".into()))?
}

/// The path as the model should see it: relative to the workspace root.
pub(crate) fn display(root: &ContainedRoot, path: &Path) -> String {
    match path.strip_prefix(root.root()) {
        Ok(rel) if rel.as_os_str().is_empty() => ".".into(),
        Ok(rel) => rel.to_string_lossy().into_owned(),
        // Only contained paths reach here; never print an outside path.
        Err(_) => "<outside>".into(),
    }
}

/// An open file with its length, refused unless it is a regular file.
pub(crate) fn regular(file: File) -> Result<(File, u64), ToolError> {
    let len = regular_len(&file)?;
    Ok((file, len))
}

/// The length of an open regular file; directories and other kinds are
/// refused.
fn regular_len(file: &File) -> Result<u64, ToolError> {
    let meta = file.metadata().map_err(|e| io_error(&e))?;
    if meta.is_dir() {
        return Err(ToolError::InvalidArguments(
            "path is a directory; use list_files".into(),
        ));
    }
    if !meta.is_file() {
        return Err(ToolError::InvalidArguments(
            "path is not a regular file".into(),
        ));
    }
    Ok(meta.len())
}

/// Opens a pinned regular file for reading, with its length.
pub(crate) fn open_pinned(pinned: &Pinned) -> Result<(File, u64), ToolError> {
    // The pinned path is the kernel's name for the checked inode (a magic
    // link, so no O_NOFOLLOW here).
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(pinned.path())
        .map_err(|e| io_error(&e))?;
    regular(file)
}

/// Reads a pinned file as UTF-8 text of at most `MAX_TEXT_BYTES`.
pub(crate) fn read_text(pinned: &Pinned) -> Result<String, ToolError> {
    let (file, len) = open_pinned(pinned)?;
    let bytes = read_capped(file, len)?;
    String::from_utf8(bytes).map_err(|_| ToolError::Refused("file is not valid UTF-8 text".into()))
}

/// Reads at most `MAX_TEXT_BYTES`, checking again after reading because
/// the file may have grown since it was stat'ed.
pub(crate) fn read_capped(file: File, len: u64) -> Result<Vec<u8>, ToolError> {
    if len > MAX_TEXT_BYTES {
        return Err(too_large(len));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    file.take(MAX_TEXT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io_error(&e))?;
    if bytes.len() as u64 > MAX_TEXT_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

fn too_large(len: u64) -> ToolError {
    ToolError::TooLarge(format!(
        "file is {len} bytes; the limit is {MAX_TEXT_BYTES} bytes"
    ))
}

/// Writes through [`agent_storage::write_atomic`], keeping the file's mode.
pub(crate) fn write_text(path: &Path, content: &str) -> Result<(), ToolError> {
    if content.len() > MAX_WRITE_BYTES {
        return Err(ToolError::TooLarge(format!(
            "content is {} bytes; the limit is {MAX_WRITE_BYTES} bytes",
            content.len()
        )));
    }
    agent_storage::write_atomic(path, content.as_bytes(), agent_storage::FileMode::Preserve)
        // StorageError names the path; it is contained, but keep messages
        // uniform and path-free.
        .map_err(|e| match e {
            agent_storage::StorageError::Io { op, source, .. } => {
                ToolError::Failed(format!("{op} failed: {source}"))
            }
            _ => ToolError::Failed("write failed".into()),
        })
}
