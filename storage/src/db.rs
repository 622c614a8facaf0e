//! `sessions.db`: opening, pragmas and schema migrations.
//!
//! The schema version is `PRAGMA user_version`. A database stamped newer
//! than [`SCHEMA_VERSION`] is refused before anything is written, so an
//! older build never damages data a newer build wrote.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, TransactionBehavior};

use crate::error::{Result, StorageError};
use crate::layout::{open_private, tighten};

/// Migration `i` takes `user_version` from `i` to `i + 1`. Append only:
/// adding a migration is adding one string here.
const MIGRATIONS: &[&str] = &[
    // 1: the doc_id index.
    include_str!("migrations/001_documents.sql"),
    // 2: agent sessions, their messages and parts, turns and the chunk log
    // that makes a turn's stream replayable (docs/rfc/sessions.md).
    include_str!("migrations/002_sessions.sql"),
    // 3: full-text search over session titles and message text, filled
    // from what is stored and kept current by triggers.
    include_str!("migrations/003_search.sql"),
    // 4: documents and the agent: a session's document, the content-
    // addressed checkpoints of the files each turn changed.
    include_str!("migrations/004_changes.sql"),
    // 5: a session's chosen model, each turn's usage and cost.
    include_str!("migrations/005_models_usage.sql"),
    // 6: retrying a failed turn (the answer it replaced is kept, marked
    // superseded) and why a turn failed.
    include_str!("migrations/006_retry.sql"),
    // 7: an index to find a message's turn.
    include_str!("migrations/007_turns_by_message.sql"),
    // 8: the languages of a session's newest code blocks.
    include_str!("migrations/008_code_languages.sql"),
];

/// The schema version this build writes and understands.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// How long a statement waits on another connection's lock.
const BUSY_TIMEOUT: Duration = Duration::from_millis(5000);

/// Opens (creating if needed) and migrates the database at `path`.
///
/// The file is private (0600): created with that mode here, before SQLite
/// sees it (SQLite would create it 0644 minus the umask, and the umask is
/// process-wide, so narrowing it is not an option in a threaded host), and
/// tightened with a warning if an existing one has group/other bits. SQLite
/// gives `-wal`, `-shm` and `-journal` the database file's mode when it
/// creates them; they are checked again after the migrations, the first
/// write.
///
/// Order matters: the version is read before `journal_mode=WAL` or any
/// migration, because both write to the file.
pub fn open_database(path: &Path) -> Result<Connection> {
    create_private(path)?;
    let mut conn = Connection::open(path).map_err(|e| classify(path, e))?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    check_not_too_new(read_version(&conn).map_err(|e| classify(path, e))?)?;

    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        // E.g. a filesystem without shared memory; SQLite still works.
        tracing::warn!(path = %path.display(), mode, "could not enable WAL");
    }
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;

    migrate(&mut conn)?;
    for suffix in ["-wal", "-shm", "-journal"] {
        let sidecar = sidecar(path, suffix);
        match std::fs::symlink_metadata(&sidecar) {
            Ok(meta) if meta.is_file() => tighten(&sidecar, &meta)?,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(StorageError::io("stat", sidecar, e)),
        }
    }
    Ok(conn)
}

/// Creates `path` empty with mode 0600 if missing (`O_CREAT` without
/// `O_EXCL`: an existing database is opened, not truncated), and clears
/// group/other bits on an existing one.
fn create_private(path: &Path) -> Result<()> {
    let file = open_private(path)?;
    let meta = file
        .metadata()
        .map_err(|e| StorageError::io("stat", path, e))?;
    tighten(path, &meta)
}

/// `sessions.db` + `-wal`: SQLite's name for a sidecar file.
fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Applies pending migrations, each in its own transaction with its stamp.
/// The version is re-read inside each (immediate) transaction, so two
/// processes racing on the same file cannot apply a migration twice.
fn migrate(conn: &mut Connection) -> Result<()> {
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version = read_version(&tx)?;
        check_not_too_new(version)?;
        let Some(sql) = MIGRATIONS.get(version as usize) else {
            return Ok(());
        };
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version + 1)?;
        tx.commit()?;
        tracing::info!(version = version + 1, "sessions.db migrated");
    }
}

fn read_version(conn: &Connection) -> rusqlite::Result<u32> {
    conn.pragma_query_value(None, "user_version", |r| r.get::<_, u32>(0))
}

fn check_not_too_new(found: u32) -> Result<()> {
    if found > SCHEMA_VERSION {
        return Err(StorageError::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(())
}

/// A file SQLite rejects outright is reported as corrupt, not as a generic
/// SQLite failure, so the host can say which file to look at.
fn classify(path: &Path, e: rusqlite::Error) -> StorageError {
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => StorageError::corrupt(path, "not a SQLite database"),
        Some(ErrorCode::DatabaseCorrupt) => {
            StorageError::corrupt(path, "SQLite reports the file is damaged")
        }
        _ => StorageError::Sqlite(e),
    }
}

/// Checkpoints `sessions.db`'s WAL from a thread and a connection of its
/// own, so that copying the log into the database and its fsyncs never
/// fall inside a writer's commit.
///
/// Without it SQLite checkpoints in whichever commit takes the log past
/// 1,000 pages: with checkpoints of agent edits (a 1 MB document is ~250
/// pages per version) every fourth edit paid ~25 ms for it. While a
/// `Checkpointer` runs, the writers' automatic checkpoint is moved to
/// [`BACKSTOP_PAGES`] (still bounded should this thread fall behind), and
/// this thread runs a passive checkpoint (never blocking readers or
/// writers) every `every`. Dropping it stops the thread.
pub struct Checkpointer {
    stop: std::sync::mpsc::Sender<()>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// The writers' own automatic checkpoint while a [`Checkpointer`] runs.
pub const BACKSTOP_PAGES: u32 = 16_000;

impl Checkpointer {
    /// Starts checkpointing the database `writer` has open at `path`.
    pub fn start(writer: &Connection, path: &Path, every: Duration) -> Result<Checkpointer> {
        let conn = Connection::open(path).map_err(|e| classify(path, e))?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // A checkpoint copies pages, it does not query them: a small cache
        // keeps this connection from growing the host by SQLite's default
        // 2 MiB.
        conn.pragma_update(None, "cache_size", -64)?;
        writer.pragma_update(None, "wal_autocheckpoint", BACKSTOP_PAGES)?;
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("wal-checkpoint".into())
            .spawn(move || {
                while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                    stopped.recv_timeout(every)
                {
                    let done = conn
                        .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(0));
                    if let Err(error) = done {
                        tracing::warn!(%error, "WAL checkpoint failed");
                    }
                }
            })
            .map_err(|e| StorageError::io("spawn a thread for", path, e))?;
        Ok(Checkpointer {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        let _ = self.stop.send(());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
