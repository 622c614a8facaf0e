//! What the file tools tell the host about each file they change, so the
//! host can checkpoint it (undo a turn) and tell the windows showing it.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use agent_containment::Pinned;

/// A file's content on one side of a change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileContent {
    /// The file did not exist.
    Absent,
    /// UTF-8 text within [`crate::MAX_TEXT_BYTES`].
    Text(String),
    /// The file existed but is over the read limit or not UTF-8: the change
    /// can be listed, not restored.
    Untracked,
}

/// One file a tool wrote: its real (canonical) path and its content before
/// and after.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileChange {
    pub path: PathBuf,
    pub before: FileContent,
    pub after: FileContent,
}

/// Told about every file change a tool makes, after the write succeeded,
/// on the blocking thread that wrote it.
pub trait ChangeObserver: Send + Sync {
    fn file_changed(&self, change: FileChange);
}

/// The observer a [`crate::ToolContext`] carries (`None`: nobody listens).
#[derive(Clone, Default)]
pub struct Observer(pub Option<Arc<dyn ChangeObserver>>);

impl Observer {
    pub(crate) fn tell(&self, path: &Path, before: FileContent, after: FileContent) {
        if let Some(observer) = &self.0 {
            observer.file_changed(FileChange {
                path: path.to_path_buf(),
                before,
                after,
            });
        }
    }
}

impl fmt::Debug for Observer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "Observer(Some)"
        } else {
            "Observer(None)"
        })
    }
}

/// The current content of a pinned write target, for the `before` side.
/// `O_NOFOLLOW`: the write replaces the name itself, so a symlink there is
/// not what changes, and its target (anywhere on disk) must never be read
/// into a checkpoint that a revert would write back into the workspace.
pub(crate) fn current(target: &Pinned) -> FileContent {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(target.path());
    let (file, len) = match file.map_err(|e| e.kind()) {
        Err(std::io::ErrorKind::NotFound) => return FileContent::Absent,
        Err(_) => return FileContent::Untracked,
        Ok(file) => match crate::fs::regular(file) {
            Ok(opened) => opened,
            Err(_) => return FileContent::Untracked,
        },
    };
    match crate::fs::read_capped(file, len).map(String::from_utf8) {
        Ok(Ok(text)) => FileContent::Text(text),
        _ => FileContent::Untracked,
    }
}
