//! What a `run_command` changed in the workspace, for the change observer
//! (the host's checkpoints): the workspace's regular files are stamped
//! (inode, size, mtime) before the command, with the text of each kept so
//! it can be restored; after it they are stamped again, and every file
//! added, removed or restamped is told with its content before and after.
//!
//! Bounded, so a huge tree costs a bounded walk: at most [`MAX_FILES`]
//! files are stamped (in the walk's order, shallow first), text is kept
//! for files within the read limit up to [`MAX_KEPT_BYTES`] in all (a
//! change to any other file is told as `Untracked`: listed, not
//! restorable), and `.git`, `node_modules` and `target` are not walked
//! (build output and dependencies, not the user's work). Symlinks are
//! never followed, and reads go through the walk's pinned start.

use std::collections::HashMap;
use std::io::Read;
use std::ops::ControlFlow;
use std::path::PathBuf;

use crate::changes::{FileContent, Observer};
use crate::fs::walk::{walk, Kind, Stamp};
use crate::fs::MAX_TEXT_BYTES;
use crate::ToolContext;

/// Files stamped per walk at most.
pub const MAX_FILES: usize = 20_000;
/// Bytes of file text kept for restoring at most.
pub const MAX_KEPT_BYTES: u64 = 64 * 1024 * 1024;
/// Directories not walked.
const SKIPPED: &[&str] = &[".git", "node_modules", "target"];

struct Seen {
    stamp: Stamp,
    /// The text before the command, when kept.
    text: Option<String>,
}

/// The workspace before a command.
pub(crate) struct Snapshot {
    files: HashMap<PathBuf, Seen>,
    /// Every file was stamped (the walk stopped at no limit).
    complete: bool,
}

/// Stamps the workspace, keeping text; `None` when it cannot be walked.
pub(crate) fn before(ctx: &ToolContext) -> Option<Snapshot> {
    let mut kept = 0u64;
    let (files, complete) = stamp(ctx, |entry| {
        let size = entry.size.unwrap_or(u64::MAX);
        if size > MAX_TEXT_BYTES || kept + size > MAX_KEPT_BYTES {
            return None;
        }
        let text = read_text(entry)?;
        kept += text.len() as u64;
        Some(text)
    })?;
    Some(Snapshot { files, complete })
}

/// Stamps the workspace again and tells `observer` of every file that
/// changed since `snapshot`.
pub(crate) fn tell_changes(ctx: &ToolContext, snapshot: Snapshot, observer: &Observer) {
    let Some((mut after, after_complete)) = stamp(ctx, |_| None) else {
        return;
    };
    let root = ctx.root.clone();
    let now = |path: &PathBuf| -> FileContent {
        // Read again through a pinned handle: the stamp walk kept no text.
        match root.pin_existing(&path.to_string_lossy()) {
            Err(agent_containment::ContainmentError::NotFound) => FileContent::Absent,
            Err(_) => FileContent::Untracked,
            Ok(pinned) => match crate::fs::read_text(&pinned) {
                Ok(text) => FileContent::Text(text),
                Err(_) => FileContent::Untracked,
            },
        }
    };
    let was = |seen: Seen| match seen.text {
        Some(text) => FileContent::Text(text),
        None => FileContent::Untracked,
    };
    let mut paths: Vec<PathBuf> = snapshot.files.keys().cloned().collect();
    paths.sort();
    let snapshot_complete = snapshot.complete;
    let mut before = snapshot.files;
    for path in paths {
        let seen = before.remove(&path).expect("listed");
        match after.remove(&path) {
            // Past the limit this time is not gone.
            None if !after_complete => {}
            None => observer.tell(&path, was(seen), FileContent::Absent),
            Some(now_seen) if now_seen.stamp != seen.stamp => {
                observer.tell(&path, was(seen), now(&path));
            }
            Some(_) => {}
        }
    }
    // Past the limit last time is not new.
    if !snapshot_complete {
        return;
    }
    let mut added: Vec<PathBuf> = after.into_keys().collect();
    added.sort();
    for path in added {
        let content = now(&path);
        observer.tell(&path, FileContent::Absent, content);
    }
}

/// The workspace's regular files with their stamps and, where `keep` says,
/// their text; and whether that is all of them.
fn stamp(
    ctx: &ToolContext,
    mut keep: impl FnMut(&crate::fs::walk::Entry<'_>) -> Option<String>,
) -> Option<(HashMap<PathBuf, Seen>, bool)> {
    let start = ctx.root.pin_existing(".").ok()?;
    let mut files = HashMap::new();
    let mut complete = true;
    let walked = walk(
        &start,
        true,
        SKIPPED,
        |p| ctx.root.is_protected(p),
        |entry| {
            if entry.kind != Kind::File {
                return ControlFlow::Continue(());
            }
            if files.len() == MAX_FILES {
                complete = false;
                return ControlFlow::Break(());
            }
            if let Some(stamp) = entry.stamp {
                let text = keep(entry);
                files.insert(entry.path.clone(), Seen { stamp, text });
            }
            ControlFlow::Continue(())
        },
    );
    walked.ok().map(|()| (files, complete))
}

/// A file's UTF-8 text within the read limit, read through the walk's
/// pinned start (never following a symlink).
fn read_text(entry: &crate::fs::walk::Entry<'_>) -> Option<String> {
    let file = entry.open().ok()?;
    let mut bytes = Vec::new();
    file.take(MAX_TEXT_BYTES + 1).read_to_end(&mut bytes).ok()?;
    if bytes.len() as u64 > MAX_TEXT_BYTES {
        return None;
    }
    String::from_utf8(bytes).ok()
}
