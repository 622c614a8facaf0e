//! The host's single SQLite connection (`sessions.db`).

use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use agent_storage::{open_database, Checkpointer, StorageError};
use rusqlite::Connection;

/// How often the WAL is checkpointed off the writers' path.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// One connection behind a mutex: the host's writes are small and rare, and
/// SQLite serialises writers anyway. Callers hold the guard only inside
/// `spawn_blocking`.
pub struct Database {
    conn: Mutex<Connection>,
    /// Copies the WAL into the database in the background, so no request
    /// waits for that and its fsyncs (`agent_storage::Checkpointer`).
    _checkpointer: Checkpointer,
}

impl Database {
    /// Opens (creating and migrating) `sessions.db` at `path`.
    pub fn open(path: &Path) -> Result<Self, StorageError> {
        let conn = open_database(path)?;
        let checkpointer = Checkpointer::start(&conn, path, CHECKPOINT_EVERY)?;
        Ok(Self {
            conn: Mutex::new(conn),
            _checkpointer: checkpointer,
        })
    }

    pub fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the guard leaves the connection usable:
        // every statement is its own transaction.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Checkpoints the WAL so the database file is whole on its own. Last
    /// step of shutdown before the lock is released; connection tasks that
    /// outlived the drain may still hold the connection, so it is not closed
    /// here but with the process.
    pub fn checkpoint(&self) {
        if let Err(e) = self
            .lock()
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        {
            tracing::warn!(error = %e, "WAL checkpoint at shutdown failed");
        }
    }
}
