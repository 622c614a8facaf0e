//! Per-turn changes: what a turn wrote, as diffs, and taking it back
//! (docs/rfc/live-documents.md, "Per-turn changes and undo").
//!
//! The agent's file tools report each write (`agent_tools::ChangeObserver`);
//! [`TurnRecorder`] stores the content before the turn's first write and
//! after its last (`agent_storage::changes`). A revert puts every file back
//! as it was before the turn, refusing when a file is no longer what the
//! turn left (someone changed it since) unless forced, and is itself
//! recorded, so it can be reverted too.
//!
//! File access goes through a [`FileAccess`] the caller builds for the
//! session: a workspace session's writes are pinned inside its workspace
//! (a directory swapped for a symlink since cannot redirect a restore out
//! of it), a document session's go through `Documents` with its protected
//! check. This module never opens a path by itself.

use std::path::Path;
use std::sync::Arc;

use agent_storage::changes::{self, ChangeSetKind, Content, FileChange as StoredChange};
use agent_tools::{ChangeObserver, FileChange, FileContent};
use rusqlite::Connection;
use serde::Serialize;
use utoipa::ToSchema;

use crate::clock::now_ms;
use crate::database::Database;

/// Bytes of checkpoint blobs kept before the oldest turns' are pruned.
pub const CHECKPOINT_BUDGET: u64 = 256 * 1024 * 1024;

/// The budget: [`CHECKPOINT_BUDGET`], or `AGENT_HOST_CHECKPOINT_BUDGET`
/// (bytes) for a user who wants more history or less disk.
pub fn budget() -> u64 {
    std::env::var("AGENT_HOST_CHECKPOINT_BUDGET")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(CHECKPOINT_BUDGET)
}

/// Lines of context around each hunk of a diff.
const CONTEXT_LINES: usize = 3;

#[derive(Debug, thiserror::Error)]
pub enum ChangesError {
    #[error("no such turn in this session")]
    UnknownTurn,
    #[error("this turn's checkpoint was pruned to keep storage small; its changes cannot be shown or undone")]
    Pruned,
    #[error("{} file(s) changed since the turn; revert with force to overwrite them", .0.len())]
    ChangedSince(Vec<String>),
    #[error(transparent)]
    Storage(#[from] agent_storage::StorageError),
}

impl From<rusqlite::Error> for ChangesError {
    fn from(e: rusqlite::Error) -> Self {
        ChangesError::Storage(e.into())
    }
}

/// How a file ended up after a turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum FileStatus {
    Added,
    Modified,
    Deleted,
}

/// One file a turn changed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangedFile {
    pub path: String,
    pub status: FileStatus,
    /// Over the size limit or not text: listed, not diffed or restorable.
    pub untracked: bool,
    pub additions: u32,
    pub deletions: u32,
    /// Unified diff with three lines of context (empty when untracked).
    pub diff: String,
}

/// `GET /sessions/{id}/turns/{turn_id}/changes`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TurnChanges {
    pub turn_id: String,
    pub files: Vec<ChangedFile>,
}

/// What a revert did.
#[derive(Debug, Serialize, ToSchema)]
pub struct Reverted {
    /// The change set of this revert (revert it to undo the undo).
    pub revert_id: String,
    /// Files restored to their content before the turn.
    pub restored: Vec<String>,
    /// Files that could not be restored, with why (untracked content, a
    /// refused path, a write that failed).
    pub skipped: Vec<SkippedFile>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SkippedFile {
    pub path: String,
    pub reason: String,
}

/// A file as it is now, for the "changed since" check and the revert's own
/// record.
pub enum Current {
    Absent,
    Bytes(Vec<u8>),
    /// Exists but cannot be read within the limits (or cannot be read).
    Unreadable,
}

/// How a revert reads and writes the files of one session.
pub trait FileAccess {
    fn read(&self, path: &Path) -> Current;
    /// Writes `content` atomically, or removes the file when `None`.
    fn restore(&self, path: &Path, content: Option<&[u8]>) -> Result<(), String>;
}

/// Records one turn's writes: the observer the turn's `ToolContext`
/// carries. Storage failures are logged, never fail the tool call that
/// already wrote the file.
pub struct TurnRecorder {
    pub db: Arc<Database>,
    pub session_id: String,
    pub turn_id: String,
    /// Told after each recorded write (the host's document events).
    pub on_write: Box<dyn Fn(&Path) + Send + Sync>,
}

impl ChangeObserver for TurnRecorder {
    fn file_changed(&self, change: FileChange) {
        let result = record(
            &self.db.lock(),
            &self.turn_id,
            &self.session_id,
            ChangeSetKind::Turn,
            None,
            &change.path,
            stored(&change.before),
            stored(&change.after),
        );
        if let Err(error) = result {
            tracing::warn!(%error, turn = %self.turn_id, "could not checkpoint a file the agent wrote");
        }
        (self.on_write)(&change.path);
    }
}

fn stored(content: &FileContent) -> Content<'_> {
    match content {
        FileContent::Absent => Content::Absent,
        FileContent::Text(text) => Content::Bytes(text.as_bytes()),
        FileContent::Untracked => Content::Untracked,
    }
}

#[allow(clippy::too_many_arguments)]
fn record(
    conn: &Connection,
    set_id: &str,
    session_id: &str,
    kind: ChangeSetKind,
    reverts: Option<&str>,
    path: &Path,
    before: Content<'_>,
    after: Content<'_>,
) -> Result<(), agent_storage::StorageError> {
    changes::open_change_set(conn, set_id, session_id, kind, reverts, now_ms())?;
    changes::record_file_change(conn, set_id, path, before, after)
}

/// Prunes checkpoints over `budget` bytes; run after each turn.
pub fn prune(conn: &Connection, budget: u64) {
    match changes::prune_changes(conn, budget) {
        Ok(report) if report.sets > 0 || report.blobs > 0 => {
            tracing::info!(
                sets = report.sets,
                blobs = report.blobs,
                bytes = report.bytes,
                "pruned checkpoints"
            );
        }
        Ok(_) => {}
        Err(error) => tracing::warn!(%error, "could not prune checkpoints"),
    }
}

/// The change set `set_id` of `session_id`, refused when unknown or pruned.
fn load(
    conn: &Connection,
    session_id: &str,
    set_id: &str,
) -> Result<Vec<StoredChange>, ChangesError> {
    let set = changes::change_set(conn, set_id)?
        .filter(|set| set.session_id == session_id)
        .ok_or(ChangesError::UnknownTurn)?;
    if set.pruned {
        return Err(ChangesError::Pruned);
    }
    Ok(changes::file_changes(conn, set_id)?)
}

/// The files set `set_id` changed, with diffs. A turn that wrote nothing
/// has no set: an empty list, if the turn exists (`turn_exists`).
pub fn turn_changes(
    conn: &Connection,
    session_id: &str,
    set_id: &str,
    turn_exists: bool,
) -> Result<TurnChanges, ChangesError> {
    let stored = match load(conn, session_id, set_id) {
        Err(ChangesError::UnknownTurn) if turn_exists => Vec::new(),
        other => other?,
    };
    let mut files = Vec::with_capacity(stored.len());
    for change in stored {
        files.push(describe(conn, change)?);
    }
    Ok(TurnChanges {
        turn_id: set_id.to_owned(),
        files,
    })
}

fn describe(conn: &Connection, change: StoredChange) -> Result<ChangedFile, ChangesError> {
    let status = match (&change.before, &change.after) {
        (None, Some(_)) if !change.untracked => FileStatus::Added,
        (Some(_), None) if !change.untracked => FileStatus::Deleted,
        _ => FileStatus::Modified,
    };
    let path = change.path.to_string_lossy().into_owned();
    let mut file = ChangedFile {
        path: path.clone(),
        status,
        untracked: change.untracked,
        additions: 0,
        deletions: 0,
        diff: String::new(),
    };
    if change.untracked {
        return Ok(file);
    }
    let before = text_of(conn, change.before.as_deref())?;
    let after = text_of(conn, change.after.as_deref())?;
    let diff = similar::TextDiff::from_lines(&before, &after);
    for op in diff.iter_all_changes() {
        match op.tag() {
            similar::ChangeTag::Insert => file.additions += 1,
            similar::ChangeTag::Delete => file.deletions += 1,
            similar::ChangeTag::Equal => {}
        }
    }
    let (old, new) = match status {
        FileStatus::Added => ("/dev/null".to_owned(), format!("b{path}")),
        FileStatus::Deleted => (format!("a{path}"), "/dev/null".to_owned()),
        FileStatus::Modified => (format!("a{path}"), format!("b{path}")),
    };
    file.diff = diff
        .unified_diff()
        .context_radius(CONTEXT_LINES)
        .header(&old, &new)
        .to_string();
    Ok(file)
}

/// A blob as text (checkpoints only hold UTF-8; a missing side is empty).
fn text_of(conn: &Connection, hash: Option<&str>) -> Result<String, ChangesError> {
    let Some(hash) = hash else {
        return Ok(String::new());
    };
    let bytes = changes::blob(conn, hash)?.unwrap_or_default();
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Puts every file of set `set_id` back as it was before the set, recording
/// the restores as a new set `revert_id`. Without `force`, refuses when any
/// file is no longer what the set left. `on_write` is told each restored
/// path. Each file is written atomically; a crash mid-revert leaves each
/// file old or new, and the files done so far recorded.
pub fn revert(
    db: &Database,
    session_id: &str,
    set_id: &str,
    force: bool,
    files: &dyn FileAccess,
    on_write: &dyn Fn(&Path),
) -> Result<Reverted, ChangesError> {
    let stored = load(&db.lock(), session_id, set_id)?;
    let mut now = Vec::with_capacity(stored.len());
    let mut changed_since = Vec::new();
    for change in &stored {
        let current = files.read(&change.path);
        let as_left = match (&current, &change.after) {
            (Current::Absent, None) => true,
            (Current::Bytes(bytes), Some(hash)) => changes::content_hash(bytes) == *hash,
            _ => false,
        };
        if !as_left && !change.untracked {
            changed_since.push(change.path.to_string_lossy().into_owned());
        }
        now.push(current);
    }
    if !changed_since.is_empty() && !force {
        return Err(ChangesError::ChangedSince(changed_since));
    }

    let revert_id = crate::ids::random_id("rev_");
    let mut reverted = Reverted {
        revert_id: revert_id.clone(),
        restored: Vec::new(),
        skipped: Vec::new(),
    };
    for (change, current) in stored.iter().zip(now) {
        let path = change.path.to_string_lossy().into_owned();
        if change.untracked {
            reverted.skipped.push(SkippedFile {
                path,
                reason: "over the size limit or not text: no checkpoint of its content".into(),
            });
            continue;
        }
        let before = match &change.before {
            None => None,
            Some(hash) => match changes::blob(&db.lock(), hash)? {
                Some(bytes) => Some(bytes),
                None => {
                    reverted.skipped.push(SkippedFile {
                        path,
                        reason: "its checkpoint was pruned".into(),
                    });
                    continue;
                }
            },
        };
        if let Err(reason) = files.restore(&change.path, before.as_deref()) {
            reverted.skipped.push(SkippedFile { path, reason });
            continue;
        }
        let was = match &current {
            Current::Absent => Content::Absent,
            Current::Bytes(bytes) => Content::Bytes(bytes),
            Current::Unreadable => Content::Untracked,
        };
        let restored = match &before {
            None => Content::Absent,
            Some(bytes) => Content::Bytes(bytes),
        };
        record(
            &db.lock(),
            &revert_id,
            session_id,
            ChangeSetKind::Revert,
            Some(set_id),
            &change.path,
            was,
            restored,
        )?;
        on_write(&change.path);
        reverted.restored.push(path);
    }
    Ok(reverted)
}
