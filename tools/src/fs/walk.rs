//! A breadth-first directory walk that never follows a symlink.
//!
//! `DirEntry::file_type` reports the link itself, so a symlink (to a file or
//! a directory, inside or outside the workspace) is reported as
//! [`Kind::Symlink`] and never descended into. `.git` directories are
//! reported but not descended: their contents are noise for the model and
//! would use up every entry budget.

use std::collections::VecDeque;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use crate::error::io_error;
use crate::ToolError;

/// What a directory entry is, without following links.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    File,
    Dir,
    Symlink,
    Other,
}

impl Kind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::File => "file",
            Kind::Dir => "dir",
            Kind::Symlink => "symlink",
            Kind::Other => "other",
        }
    }
}

/// One entry found by [`walk`].
pub(crate) struct Entry {
    pub(crate) path: PathBuf,
    pub(crate) kind: Kind,
    /// Size in bytes, for regular files only.
    pub(crate) size: Option<u64>,
}

/// Directories never descended into.
const SKIPPED_DIRS: &[&str] = &[".git"];

/// Visits the entries below `start` (a directory already resolved inside the
/// workspace), sorted by name within each directory, shallow entries first.
/// `visit` returns `Break` to stop. Unreadable subdirectories are skipped;
/// an unreadable `start` is an error.
pub(crate) fn walk(
    start: &Path,
    recursive: bool,
    protected: impl Fn(&Path) -> bool,
    mut visit: impl FnMut(&Entry) -> ControlFlow<()>,
) -> Result<(), ToolError> {
    let mut queue = VecDeque::from([start.to_path_buf()]);
    let mut first = true;
    while let Some(dir) = queue.pop_front() {
        let entries = match read_sorted(&dir) {
            Ok(entries) => entries,
            Err(e) if first => return Err(io_error(&e)),
            Err(_) => continue,
        };
        first = false;
        for entry in entries {
            // Protected locations (credentials, the host's data) are neither
            // listed nor searched, even under a workspace at `$HOME`.
            if protected(&entry.path) {
                continue;
            }
            let descend = recursive
                && entry.kind == Kind::Dir
                && !entry
                    .path
                    .file_name()
                    .is_some_and(|n| SKIPPED_DIRS.iter().any(|s| n == *s));
            if visit(&entry).is_break() {
                return Ok(());
            }
            if descend {
                queue.push_back(entry.path);
            }
        }
    }
    Ok(())
}

fn read_sorted(dir: &Path) -> std::io::Result<Vec<Entry>> {
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let Ok(entry) = entry else { continue };
        let Ok(file_type) = entry.file_type() else {
            continue;
        };
        let kind = if file_type.is_symlink() {
            Kind::Symlink
        } else if file_type.is_dir() {
            Kind::Dir
        } else if file_type.is_file() {
            Kind::File
        } else {
            Kind::Other
        };
        // DirEntry::metadata does not follow symlinks.
        let size = match kind {
            Kind::File => entry.metadata().ok().map(|m| m.len()),
            _ => None,
        };
        entries.push(Entry {
            path: entry.path(),
            kind,
            size,
        });
    }
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(entries)
}
