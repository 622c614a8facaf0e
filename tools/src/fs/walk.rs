//! A breadth-first directory walk that never follows a symlink, pinned to
//! the directory it started in.
//!
//! The start directory is held open; every directory below it and every
//! file a caller opens is reached from that handle with `openat2(2)` and
//! `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS`, so the
//! kernel refuses any path that would leave the start or cross a symlink,
//! even when a command racing in the workspace swaps a directory for a
//! symlink between listing it and descending into it.
//!
//! A symlink (to a file or a directory, inside or outside the workspace) is
//! reported as [`Kind::Symlink`] and never descended into. `.git`
//! directories are reported but not descended: their contents are noise for
//! the model and would use up every entry budget.

use std::collections::VecDeque;
use std::fs::File;
use std::io;
use std::ops::ControlFlow;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use agent_containment::Pinned;
use rustix::fs::{FileType, Mode, OFlags, ResolveFlags};

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
pub(crate) struct Entry<'a> {
    /// The entry's path under the start (for display and the protected
    /// check); never used to open it.
    pub(crate) path: PathBuf,
    pub(crate) kind: Kind,
    /// Size in bytes, for regular files only.
    pub(crate) size: Option<u64>,
    /// What identifies this version of a regular file (a changed stamp is
    /// a changed file).
    pub(crate) stamp: Option<Stamp>,
    start: BorrowedFd<'a>,
    relative: PathBuf,
}

impl Entry<'_> {
    /// Opens the entry for reading through the pinned start, refusing a
    /// symlink anywhere on the way and never blocking on a FIFO.
    pub(crate) fn open(&self) -> io::Result<File> {
        let flags = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW | OFlags::NONBLOCK;
        beneath(self.start, &self.relative, flags).map(File::from)
    }
}

/// A regular file's inode, size and mtime as the walk saw them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stamp {
    ino: u64,
    size: u64,
    mtime: i64,
    mtime_nsec: u64,
}

/// The directories `list_files` and `grep_files` never descend into.
pub(crate) const SKIP_GIT: &[&str] = &[".git"];

/// Visits the entries below `start` (a directory pinned inside the
/// workspace), sorted by name within each directory, shallow entries first.
/// `visit` returns `Break` to stop. Unreadable subdirectories are skipped;
/// an unreadable `start` is an error.
pub(crate) fn walk(
    start: &Pinned,
    recursive: bool,
    skip: &[&str],
    protected: impl Fn(&Path) -> bool,
    mut visit: impl FnMut(&Entry<'_>) -> ControlFlow<()>,
) -> Result<(), ToolError> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let root: OwnedFd =
        rustix::fs::open(start.path(), flags, Mode::empty()).map_err(|e| io_error(&e.into()))?;
    let mut queue = VecDeque::from([PathBuf::new()]);
    let mut first = true;
    while let Some(relative) = queue.pop_front() {
        let entries = match read_sorted(root.as_fd(), &relative) {
            Ok(entries) => entries,
            Err(e) if first => return Err(io_error(&e)),
            Err(_) => continue,
        };
        first = false;
        for (name, kind, size, stamp) in entries {
            let relative = relative.join(&name);
            let entry = Entry {
                path: start.real().join(&relative),
                kind,
                size,
                stamp,
                start: root.as_fd(),
                relative,
            };
            // Protected locations (credentials, the host's data) are neither
            // listed nor searched.
            if protected(&entry.path) {
                continue;
            }
            let descend =
                recursive && entry.kind == Kind::Dir && !skip.iter().any(|s| name == Path::new(s));
            if visit(&entry).is_break() {
                return Ok(());
            }
            if descend {
                queue.push_back(entry.relative);
            }
        }
    }
    Ok(())
}

/// `relative` (possibly empty: the start itself) opened from `start` with
/// the kernel confining the lookup.
fn beneath(start: BorrowedFd<'_>, relative: &Path, flags: OFlags) -> io::Result<OwnedFd> {
    let relative = if relative.as_os_str().is_empty() {
        Path::new(".")
    } else {
        relative
    };
    let resolve = ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS;
    // EAGAIN: a rename elsewhere on the system raced the lookup; try again.
    for _ in 0..8 {
        match rustix::fs::openat2(start, relative, flags, Mode::empty(), resolve) {
            Err(rustix::io::Errno::AGAIN) => continue,
            other => return other.map_err(io::Error::from),
        }
    }
    Err(io::Error::from(rustix::io::Errno::AGAIN))
}

/// The entries of `relative` under `start`: name, kind (not following
/// links) and, for regular files, the size and stamp.
#[allow(clippy::type_complexity)]
fn read_sorted(
    start: BorrowedFd<'_>,
    relative: &Path,
) -> io::Result<Vec<(PathBuf, Kind, Option<u64>, Option<Stamp>)>> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let dir = beneath(start, relative, flags)?;
    let mut entries = Vec::new();
    for entry in rustix::fs::Dir::read_from(&dir)? {
        let Ok(entry) = entry else { continue };
        let name = entry.file_name().to_bytes();
        if name == b"." || name == b".." {
            continue;
        }
        let name = Path::new(std::ffi::OsStr::from_bytes(name)).to_path_buf();
        let stat = rustix::fs::statat(&dir, &name, rustix::fs::AtFlags::SYMLINK_NOFOLLOW);
        let Ok(stat) = stat else {
            continue; // Removed while listing.
        };
        let (kind, size, stamp) = match FileType::from_raw_mode(stat.st_mode) {
            FileType::Symlink => (Kind::Symlink, None, None),
            FileType::Directory => (Kind::Dir, None, None),
            FileType::RegularFile => {
                let size = u64::try_from(stat.st_size).unwrap_or(0);
                let stamp = Stamp {
                    ino: stat.st_ino,
                    size,
                    mtime: stat.st_mtime,
                    mtime_nsec: stat.st_mtime_nsec,
                };
                (Kind::File, Some(size), Some(stamp))
            }
            _ => (Kind::Other, None, None),
        };
        entries.push((name, kind, size, stamp));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(entries)
}
