//! The doc_id index: maps stable document ids back to canonical paths
//! across restarts. Plain SQL helpers; the host owns the connection and
//! its mutex.
//!
//! Paths are stored as UTF-8 text (the column is `TEXT` in a `STRICT`
//! table). A non-UTF-8 path is refused with
//! [`StorageError::NonUtf8Path`] rather than stored lossily, which would
//! map the id to a different file.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension};

use crate::error::{Result, StorageError};

/// Records `id -> path`. Idempotent: the caller derives `id` from the
/// canonical path, so re-registering only refreshes the path; the first
/// `created_at_ms` is kept.
pub fn register_document(conn: &Connection, id: &str, path: &Path, now_ms: i64) -> Result<()> {
    let text = path.to_str().ok_or_else(|| StorageError::NonUtf8Path {
        path: path.to_path_buf(),
    })?;
    conn.execute(
        "INSERT INTO documents (id, path, created_at_ms) VALUES (?1, ?2, ?3)
         ON CONFLICT(id) DO UPDATE SET path = excluded.path",
        (id, text, now_ms),
    )?;
    Ok(())
}

/// The path registered for `id`, if any.
pub fn document_path(conn: &Connection, id: &str) -> Result<Option<PathBuf>> {
    let path: Option<String> = conn
        .query_row("SELECT path FROM documents WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .optional()?;
    Ok(path.map(PathBuf::from))
}
