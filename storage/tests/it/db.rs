//! `sessions.db`: pragmas, migrations, the newer-schema refusal, documents.

use std::fs;
use std::path::{Path, PathBuf};

use agent_storage::{
    document_path, open_database, register_document, StorageError, SCHEMA_VERSION,
};
use rusqlite::Connection;

fn user_version(conn: &Connection) -> u32 {
    conn.pragma_query_value(None, "user_version", |r| r.get(0))
        .expect("user_version")
}

fn sidecar(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

#[test]
fn fresh_database_is_migrated_and_configured() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("sessions.db");
    let conn = open_database(&path).expect("open");
    assert_eq!(SCHEMA_VERSION, 8);
    assert_eq!(user_version(&conn), SCHEMA_VERSION);
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .expect("journal_mode");
    assert_eq!(mode, "wal");
    let fk: i64 = conn
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .expect("foreign_keys");
    assert_eq!(fk, 1);
    let sync: i64 = conn
        .query_row("PRAGMA synchronous", [], |r| r.get(0))
        .expect("synchronous");
    assert_eq!(sync, 1, "NORMAL");
    let tables: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'documents'",
            [],
            |r| r.get(0),
        )
        .expect("schema");
    assert_eq!(tables, 1);
}

#[test]
fn reopen_is_idempotent_and_keeps_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("sessions.db");
    {
        let conn = open_database(&path).expect("open");
        register_document(&conn, "doc_1", Path::new("/home/u/a.md"), 10).expect("register");
    }
    let conn = open_database(&path).expect("reopen");
    assert_eq!(user_version(&conn), SCHEMA_VERSION);
    assert_eq!(
        document_path(&conn, "doc_1").expect("lookup"),
        Some(PathBuf::from("/home/u/a.md"))
    );
    drop(conn);
    open_database(&path).expect("third open");
}

#[test]
fn newer_schema_is_refused_without_writing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("sessions.db");
    {
        // A database a newer build left behind (rollback journal, closed).
        let conn = Connection::open(&path).expect("create");
        conn.execute_batch(&format!(
            "CREATE TABLE future (x INTEGER); INSERT INTO future VALUES (42);
             PRAGMA user_version = {};",
            SCHEMA_VERSION + 1
        ))
        .expect("stamp");
    }
    let before = fs::read(&path).expect("read before");

    let err = open_database(&path).expect_err("too new");
    match err {
        StorageError::SchemaTooNew { found, supported } => {
            assert_eq!(found, SCHEMA_VERSION + 1);
            assert_eq!(supported, SCHEMA_VERSION);
        }
        other => panic!("expected SchemaTooNew, got {other}"),
    }
    assert!(open_database(&path)
        .expect_err("still too new")
        .to_string()
        .contains("newer"));

    assert_eq!(
        fs::read(&path).expect("read after"),
        before,
        "bytes changed"
    );
    for suffix in ["-wal", "-shm", "-journal"] {
        assert!(
            !sidecar(&path, suffix).exists(),
            "{suffix} file was created"
        );
    }
}

#[test]
fn garbage_file_is_corrupt() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("sessions.db");
    fs::write(&path, vec![0x5a; 4096]).expect("seed");
    let err = open_database(&path).expect_err("not a db");
    assert!(matches!(err, StorageError::Corrupt { .. }), "{err}");
    assert_eq!(fs::read(&path).expect("read"), vec![0x5a; 4096]);
}

#[test]
fn register_document_is_idempotent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conn = open_database(&dir.path().join("sessions.db")).expect("open");
    assert_eq!(document_path(&conn, "doc_x").expect("lookup"), None);

    register_document(&conn, "doc_x", Path::new("/p/x.md"), 100).expect("first");
    register_document(&conn, "doc_x", Path::new("/p/x.md"), 200).expect("again");
    register_document(&conn, "doc_y", Path::new("/p/y.md"), 300).expect("other");
    let count: i64 = conn
        .query_row("SELECT count(*) FROM documents", [], |r| r.get(0))
        .expect("count");
    assert_eq!(count, 2);
    let created: i64 = conn
        .query_row(
            "SELECT created_at_ms FROM documents WHERE id = 'doc_x'",
            [],
            |r| r.get(0),
        )
        .expect("created");
    assert_eq!(created, 100, "first registration time is kept");

    // A moved file (same id by construction) updates the path.
    register_document(&conn, "doc_x", Path::new("/q/x.md"), 400).expect("moved");
    assert_eq!(
        document_path(&conn, "doc_x").expect("lookup"),
        Some(PathBuf::from("/q/x.md"))
    );
}

#[test]
fn non_utf8_path_is_refused() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let conn = open_database(&dir.path().join("sessions.db")).expect("open");
    let path = Path::new(OsStr::from_bytes(b"/tmp/\xff.md"));
    let err = register_document(&conn, "doc_z", path, 1).expect_err("non-utf8");
    assert!(matches!(err, StorageError::NonUtf8Path { .. }), "{err}");
    assert_eq!(document_path(&conn, "doc_z").expect("lookup"), None);
}

#[test]
fn the_checkpointer_copies_the_log_into_the_database_off_the_writers_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("sessions.db");
    let conn = open_database(&path).expect("open");
    let checkpointer =
        agent_storage::Checkpointer::start(&conn, &path, std::time::Duration::from_millis(20))
            .expect("start");
    let backstop: u32 = conn
        .pragma_query_value(None, "wal_autocheckpoint", |r| r.get(0))
        .unwrap();
    assert_eq!(backstop, agent_storage::db::BACKSTOP_PAGES);

    // ~2,000 pages: below the writers' backstop, so only the thread can
    // have copied them into the database file.
    conn.execute_batch("CREATE TABLE big (b BLOB)").unwrap();
    for _ in 0..8 {
        conn.execute("INSERT INTO big VALUES (zeroblob(1048576))", [])
            .unwrap();
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while fs::metadata(&path).unwrap().len() < 8 * 1024 * 1024 {
        assert!(
            std::time::Instant::now() < deadline,
            "the log never reached the database file"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    drop(checkpointer);
}
