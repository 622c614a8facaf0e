//! The host's single SQLite connection (`sessions.db`).

use std::sync::{Mutex, MutexGuard};

use rusqlite::Connection;

/// One connection behind a mutex: the host's writes are small and rare, and
/// SQLite serialises writers anyway. Callers hold the guard only inside
/// `spawn_blocking`.
pub struct Database {
    conn: Mutex<Connection>,
}

impl Database {
    pub fn new(conn: Connection) -> Self {
        Self {
            conn: Mutex::new(conn),
        }
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
