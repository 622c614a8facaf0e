//! Checkpoints of the files the agent changes: per change set (a turn's
//! writes, or a revert's restores), each file's content before the set's
//! first write and after its last, so a turn can be shown as a diff and
//! taken back (docs/rfc/changes.md).
//!
//! Contents are blobs addressed by their SHA-256 and stored once however
//! many sets name them. Plain SQL helpers like the rest of this crate: the
//! host owns the connection, its mutex, the file I/O and the diffs.
//!
//! Pruning ([`prune_changes`]) keeps the blobs under a byte budget by
//! dropping the oldest sets' file rows first; a pruned set keeps its row
//! and `pruned` flag, so a revert of it can say so rather than "nothing
//! changed".

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension};
use sha2::{Digest, Sha256};

use crate::error::{Result, StorageError};

/// What produced a change set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeSetKind {
    /// The writes of one agent turn (the set's id is the turn's id).
    Turn,
    /// The restores of one revert (its `reverts` names the set it undid).
    Revert,
}

impl ChangeSetKind {
    fn as_str(self) -> &'static str {
        match self {
            ChangeSetKind::Turn => "turn",
            ChangeSetKind::Revert => "revert",
        }
    }
}

/// A change set's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeSet {
    pub id: String,
    pub session_id: String,
    pub kind: ChangeSetKind,
    /// For a revert: the set it restored.
    pub reverts: Option<String>,
    pub created_at_ms: i64,
    /// Its file rows and their blobs were pruned; it can no longer be shown
    /// or reverted.
    pub pruned: bool,
}

/// A file's content as a change records it.
#[derive(Debug, Clone, Copy)]
pub enum Content<'a> {
    /// The file did not exist.
    Absent,
    /// The file's bytes.
    Bytes(&'a [u8]),
    /// The file existed but is not kept (over the size limit, or not text):
    /// the change is listed but cannot be restored.
    Untracked,
}

/// One file of a change set. A `None` hash is "did not exist".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    pub path: PathBuf,
    pub before: Option<String>,
    pub after: Option<String>,
    /// One side was [`Content::Untracked`]: listed, not restorable.
    pub untracked: bool,
}

/// What [`prune_changes`] removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PruneReport {
    pub sets: usize,
    pub blobs: usize,
    pub bytes: u64,
}

/// The content address of `bytes`: lowercase hex SHA-256.
pub fn content_hash(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for byte in digest {
        hex.push_str(&format!("{byte:02x}"));
    }
    hex
}

/// Creates the change set `id` unless it exists (a turn opens its set at
/// its first write; later writes find it).
pub fn open_change_set(
    conn: &Connection,
    id: &str,
    session_id: &str,
    kind: ChangeSetKind,
    reverts: Option<&str>,
    now_ms: i64,
) -> Result<()> {
    conn.execute(
        "INSERT INTO change_sets (id, session_id, kind, reverts, created_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(id) DO NOTHING",
        (id, session_id, kind.as_str(), reverts, now_ms),
    )?;
    Ok(())
}

/// Records one write to `path` in set `set_id`: the first write of a file
/// keeps `before`, every write replaces `after`. Runs in one transaction,
/// so a crash leaves the previous record or the new one.
pub fn record_file_change(
    conn: &Connection,
    set_id: &str,
    path: &Path,
    before: Content<'_>,
    after: Content<'_>,
) -> Result<()> {
    let text = path_text(path)?;
    let tx = conn.unchecked_transaction()?;
    let after_hash = put_content(&tx, after)?;
    let after_untracked = matches!(after, Content::Untracked);
    let updated = tx.execute(
        "UPDATE file_changes SET after_hash = ?3, untracked = untracked | ?4
         WHERE set_id = ?1 AND path = ?2",
        (set_id, text, &after_hash, after_untracked),
    )?;
    if updated == 0 {
        let before_hash = put_content(&tx, before)?;
        let untracked = after_untracked || matches!(before, Content::Untracked);
        tx.execute(
            "INSERT INTO file_changes (set_id, path, seq, before_hash, after_hash, untracked)
             VALUES (?1, ?2,
                     (SELECT COALESCE(MAX(seq), 0) + 1 FROM file_changes WHERE set_id = ?1),
                     ?3, ?4, ?5)",
            (set_id, text, before_hash, &after_hash, untracked),
        )?;
    }
    tx.commit()?;
    Ok(())
}

/// The set `id`, if recorded.
pub fn change_set(conn: &Connection, id: &str) -> Result<Option<ChangeSet>> {
    let row = conn
        .query_row(
            "SELECT id, session_id, kind, reverts, created_at_ms, pruned
             FROM change_sets WHERE id = ?1",
            [id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, bool>(5)?,
                ))
            },
        )
        .optional()?;
    Ok(row.map(
        |(id, session_id, kind, reverts, created_at_ms, pruned)| ChangeSet {
            id,
            session_id,
            kind: if kind == "revert" {
                ChangeSetKind::Revert
            } else {
                ChangeSetKind::Turn
            },
            reverts,
            created_at_ms,
            pruned,
        },
    ))
}

/// The files set `set_id` changed, in the order first written, leaving out
/// files that ended as they began (written, then restored in the same set).
pub fn file_changes(conn: &Connection, set_id: &str) -> Result<Vec<FileChange>> {
    let mut stmt = conn.prepare(
        "SELECT path, before_hash, after_hash, untracked FROM file_changes
         WHERE set_id = ?1 AND (untracked = 1 OR before_hash IS NOT after_hash)
         ORDER BY seq",
    )?;
    let rows = stmt.query_map([set_id], |r| {
        Ok(FileChange {
            path: PathBuf::from(r.get::<_, String>(0)?),
            before: r.get(1)?,
            after: r.get(2)?,
            untracked: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The bytes stored under `hash`, if still kept.
pub fn blob(conn: &Connection, hash: &str) -> Result<Option<Vec<u8>>> {
    Ok(conn
        .query_row("SELECT content FROM blobs WHERE hash = ?1", [hash], |r| {
            r.get(0)
        })
        .optional()?)
}

/// Bytes held by checkpoint blobs.
pub fn checkpoint_bytes(conn: &Connection) -> Result<u64> {
    let total: i64 =
        conn.query_row("SELECT COALESCE(SUM(size), 0) FROM blobs", [], |r| r.get(0))?;
    Ok(total as u64)
}

/// Drops blobs no file row names, then, while the blobs hold more than
/// `max_bytes`, prunes the oldest unpruned set (its file rows go, its row
/// stays marked) and drops what that orphaned. The newest set is never
/// pruned, so the turn that just ran can always be undone.
pub fn prune_changes(conn: &Connection, max_bytes: u64) -> Result<PruneReport> {
    let tx = conn.unchecked_transaction()?;
    let mut report = PruneReport::default();
    drop_orphans(&tx, &mut report)?;
    while checkpoint_bytes(&tx)? > max_bytes {
        let oldest: Option<String> = tx
            .query_row(
                "SELECT id FROM change_sets WHERE pruned = 0
                 AND id <> (SELECT id FROM change_sets ORDER BY created_at_ms DESC, rowid DESC LIMIT 1)
                 ORDER BY created_at_ms, rowid LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        let Some(oldest) = oldest else { break };
        tx.execute("DELETE FROM file_changes WHERE set_id = ?1", [&oldest])?;
        tx.execute("UPDATE change_sets SET pruned = 1 WHERE id = ?1", [&oldest])?;
        report.sets += 1;
        drop_orphans(&tx, &mut report)?;
    }
    tx.commit()?;
    Ok(report)
}

fn drop_orphans(conn: &Connection, report: &mut PruneReport) -> Result<()> {
    const ORPHANS: &str = "FROM blobs WHERE NOT EXISTS
        (SELECT 1 FROM file_changes WHERE before_hash = blobs.hash OR after_hash = blobs.hash)";
    let (count, bytes): (i64, i64) = conn.query_row(
        &format!("SELECT COUNT(*), COALESCE(SUM(size), 0) {ORPHANS}"),
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if count > 0 {
        conn.execute(&format!("DELETE {ORPHANS}"), [])?;
        report.blobs += count as usize;
        report.bytes += bytes as u64;
    }
    Ok(())
}

fn put_content(conn: &Connection, content: Content<'_>) -> Result<Option<String>> {
    let Content::Bytes(bytes) = content else {
        return Ok(None);
    };
    let hash = content_hash(bytes);
    conn.execute(
        "INSERT INTO blobs (hash, size, content) VALUES (?1, ?2, ?3)
         ON CONFLICT(hash) DO NOTHING",
        (&hash, bytes.len() as i64, bytes),
    )?;
    Ok(Some(hash))
}

fn path_text(path: &Path) -> Result<&str> {
    path.to_str().ok_or_else(|| StorageError::NonUtf8Path {
        path: path.to_path_buf(),
    })
}
