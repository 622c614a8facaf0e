//! `load_json`/`save_json`, `RecentFiles` and `WorkspaceRegistry`, and the
//! private modes of the user-data directory (`UserData::prepare`,
//! `open_database`).

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use agent_storage::{
    load_json, open_database, register_document, save_json, FileMode, RecentFiles, StorageError,
    UserData, WorkspaceRegistry, RECENT_CAP,
};

// ---- json_store ----

#[test]
fn json_round_trip_pretty_with_newline() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("x.json");
    let mut value = BTreeMap::new();
    value.insert("a".to_owned(), 1);
    value.insert("b".to_owned(), 2);
    save_json(&path, &value, FileMode::Private).expect("save");
    let text = fs::read_to_string(&path).expect("read");
    assert!(text.ends_with("}\n"), "{text:?}");
    assert!(text.contains("\n  \"a\": 1"), "pretty: {text:?}");
    let back: BTreeMap<String, i32> = load_json(&path).expect("load");
    assert_eq!(back, value);
}

#[test]
fn json_missing_file_is_default() {
    let dir = tempfile::tempdir().expect("tempdir");
    let v: Vec<String> = load_json(&dir.path().join("none.json")).expect("load");
    assert!(v.is_empty());
}

#[test]
fn json_corrupt_reports_position_not_contents() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("x.json");
    fs::write(&path, br#"{"a": "private-text"#).expect("seed");
    let err = load_json::<BTreeMap<String, String>>(&path).expect_err("truncated");
    assert!(matches!(err, StorageError::Corrupt { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("line 1"), "{msg}");
    assert!(!msg.contains("private-text"), "{msg}");

    // A type error: serde would quote the value; we must not.
    fs::write(&path, br#"{"a": "private-text"}"#).expect("seed");
    let err = load_json::<BTreeMap<String, i32>>(&path).expect_err("type error");
    assert!(!err.to_string().contains("private-text"), "{err}");
    assert!(matches!(err, StorageError::Corrupt { .. }), "{err}");
}

// ---- recent.json ----

fn doc_path(i: usize) -> PathBuf {
    PathBuf::from(format!("/docs/{i}.md"))
}

#[test]
fn recent_round_trip_through_reload() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("recent.json");
    let mut recent = RecentFiles::load(path.clone()).expect("load empty");
    assert!(recent.list().is_empty());
    recent.touch("doc_a", &doc_path(1), 100).expect("touch a");
    recent.touch("doc_b", &doc_path(2), 200).expect("touch b");
    recent.pin("doc_a", true).expect("pin").expect("known");
    let touched = recent.touch("doc_a", &doc_path(1), 300).expect("retouch");
    assert!(touched.pinned, "touch keeps the pinned flag");

    let reloaded = RecentFiles::load(path.clone()).expect("reload");
    assert_eq!(reloaded.list(), recent.list());
    let ids: Vec<_> = reloaded.list().into_iter().map(|e| e.doc_id).collect();
    assert_eq!(ids, ["doc_a", "doc_b"]);

    let text = fs::read_to_string(&path).expect("read");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["entries"][0]["doc_id"], "doc_a");
    assert_eq!(doc["entries"][0]["last_opened_ms"], 300);
    assert_eq!(
        fs::metadata(&path).expect("stat").permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn recent_list_orders_pinned_then_newest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut recent = RecentFiles::load(dir.path().join("recent.json")).expect("load");
    recent.touch("old", &doc_path(1), 1).expect("touch");
    recent.touch("new", &doc_path(2), 3).expect("touch");
    recent.touch("mid", &doc_path(3), 2).expect("touch");
    recent.pin("old", true).expect("pin");
    let ids: Vec<_> = recent.list().into_iter().map(|e| e.doc_id).collect();
    assert_eq!(ids, ["old", "new", "mid"]);
}

#[test]
fn recent_cap_evicts_oldest_unpinned_and_keeps_pinned() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("recent.json");
    let mut recent = RecentFiles::load(path.clone()).expect("load");
    // Three pinned entries, older than everything else.
    for i in 0..3 {
        recent
            .touch(&format!("pinned_{i}"), &doc_path(1000 + i), i as i64)
            .expect("touch");
        recent.pin(&format!("pinned_{i}"), true).expect("pin");
    }
    for i in 0..RECENT_CAP + 5 {
        recent
            .touch(&format!("doc_{i}"), &doc_path(i), 100 + i as i64)
            .expect("touch");
    }
    let list = recent.list();
    assert_eq!(list.len(), RECENT_CAP + 3);
    assert_eq!(list.iter().filter(|e| !e.pinned).count(), RECENT_CAP);
    for i in 0..3 {
        assert!(list.iter().any(|e| e.doc_id == format!("pinned_{i}")));
    }
    for i in 0..5 {
        assert!(
            !list.iter().any(|e| e.doc_id == format!("doc_{i}")),
            "doc_{i} should have been evicted"
        );
    }
    let reloaded = RecentFiles::load(path).expect("reload");
    assert_eq!(reloaded.list(), list);
}

#[test]
fn recent_unpin_reenforces_cap_but_keeps_the_unpinned_entry() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut recent = RecentFiles::load(dir.path().join("recent.json")).expect("load");
    recent.touch("ancient", &doc_path(0), 0).expect("touch");
    recent.pin("ancient", true).expect("pin");
    for i in 0..RECENT_CAP {
        recent
            .touch(&format!("doc_{i}"), &doc_path(i + 1), 10 + i as i64)
            .expect("touch");
    }
    let entry = recent.pin("ancient", false).expect("unpin").expect("known");
    assert!(!entry.pinned);
    let list = recent.list();
    assert_eq!(list.len(), RECENT_CAP);
    assert!(list.iter().any(|e| e.doc_id == "ancient"));
    assert!(!list.iter().any(|e| e.doc_id == "doc_0"));
}

#[test]
fn recent_pin_and_forget_unknown_ids() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("recent.json");
    let mut recent = RecentFiles::load(path.clone()).expect("load");
    assert_eq!(recent.pin("nope", true).expect("pin"), None);
    assert!(!recent.forget("nope").expect("forget"));
    assert!(!path.exists(), "no-op calls do not write");

    recent.touch("doc_a", &doc_path(1), 1).expect("touch");
    assert!(recent.forget("doc_a").expect("forget"));
    assert!(recent.list().is_empty());
    assert!(RecentFiles::load(path).expect("reload").list().is_empty());
}

#[test]
fn recent_corrupt_file_is_an_error_not_a_reset() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("recent.json");
    for bad in [
        &b"{\"version\":1,\"entries\":["[..],
        b"{\"version\":1,\"entries\":\"nope\"}",
        b"{\"version\":2,\"entries\":[]}",
        b"",
    ] {
        fs::write(&path, bad).expect("seed");
        let err = RecentFiles::load(path.clone()).expect_err("corrupt");
        assert!(matches!(err, StorageError::Corrupt { .. }), "{err}");
        assert_eq!(fs::read(&path).expect("read"), bad, "file untouched");
    }
}

#[test]
fn recent_failed_write_leaves_memory_unchanged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sub = dir.path().join("sub");
    fs::create_dir(&sub).expect("mkdir");
    let mut recent = RecentFiles::load(sub.join("recent.json")).expect("load");
    recent.touch("doc_a", &doc_path(1), 1).expect("touch");
    fs::remove_dir_all(&sub).expect("rm");
    recent
        .touch("doc_b", &doc_path(2), 2)
        .expect_err("dir is gone");
    let ids: Vec<_> = recent.list().into_iter().map(|e| e.doc_id).collect();
    assert_eq!(ids, ["doc_a"]);
}

#[test]
fn recent_refuses_non_utf8_path() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut recent = RecentFiles::load(dir.path().join("recent.json")).expect("load");
    let bad = Path::new(OsStr::from_bytes(b"/d/\xfe.md"));
    let err = recent.touch("doc_a", bad, 1).expect_err("non-utf8");
    assert!(matches!(err, StorageError::NonUtf8Path { .. }), "{err}");
    assert!(recent.list().is_empty());
}

// ---- workspaces.json ----

#[test]
fn workspaces_round_trip_through_reload() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("workspaces.json");
    let mut reg = WorkspaceRegistry::load(path.clone()).expect("load");
    let a = reg
        .record_open("ws_a", Path::new("/home/u/project-a"), 10)
        .expect("open a");
    assert_eq!(a.name, "project-a");
    assert!(!a.pinned);
    reg.record_open("ws_b", Path::new("/home/u/b"), 20)
        .expect("open b");
    reg.pin("ws_a", true).expect("pin").expect("known");
    let again = reg
        .record_open("ws_a", Path::new("/home/u/renamed"), 30)
        .expect("reopen");
    assert!(again.pinned, "record_open keeps the pinned flag");
    assert_eq!(again.name, "renamed");

    let reloaded = WorkspaceRegistry::load(path.clone()).expect("reload");
    assert_eq!(reloaded.list(), reg.list());
    assert_eq!(reloaded.get("ws_a"), Some(again));
    assert_eq!(reloaded.get("ws_missing"), None);

    let doc: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&path).expect("read")).expect("json");
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["workspaces"].as_array().map(Vec::len), Some(2));
}

#[test]
fn workspaces_order_and_no_cap() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut reg = WorkspaceRegistry::load(dir.path().join("workspaces.json")).expect("load");
    for i in 0..RECENT_CAP + 10 {
        reg.record_open(&format!("ws_{i}"), Path::new(&format!("/w/{i}")), i as i64)
            .expect("open");
    }
    reg.pin("ws_0", true).expect("pin");
    let list = reg.list();
    assert_eq!(list.len(), RECENT_CAP + 10);
    assert_eq!(list[0].id, "ws_0");
    assert_eq!(list[1].id, format!("ws_{}", RECENT_CAP + 9));
}

#[test]
fn workspaces_root_path_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut reg = WorkspaceRegistry::load(dir.path().join("workspaces.json")).expect("load");
    let e = reg.record_open("ws_root", Path::new("/"), 1).expect("open");
    assert_eq!(e.name, "/");
}

#[test]
fn workspaces_pin_and_forget_unknown_ids() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("workspaces.json");
    let mut reg = WorkspaceRegistry::load(path.clone()).expect("load");
    assert_eq!(reg.pin("nope", true).expect("pin"), None);
    assert!(!reg.forget("nope").expect("forget"));
    assert!(!path.exists());
    reg.record_open("ws_a", Path::new("/w/a"), 1).expect("open");
    assert!(reg.forget("ws_a").expect("forget"));
    assert_eq!(reg.get("ws_a"), None);
    assert!(WorkspaceRegistry::load(path)
        .expect("reload")
        .list()
        .is_empty());
}

#[test]
fn workspaces_corrupt_file_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("workspaces.json");
    for bad in [
        &b"{\"version\":1,\"workspaces\":[{\"id\":1}]}"[..],
        b"[]",
        b"{\"version\":7,\"workspaces\":[]}",
    ] {
        fs::write(&path, bad).expect("seed");
        let err = WorkspaceRegistry::load(path.clone()).expect_err("corrupt");
        assert!(matches!(err, StorageError::Corrupt { .. }), "{err}");
        assert_eq!(fs::read(&path).expect("read"), bad);
    }
}

// ---- private modes ----

fn mode(path: &Path) -> u32 {
    fs::symlink_metadata(path)
        .expect("stat")
        .permissions()
        .mode()
        & 0o7777
}

#[track_caller]
fn assert_mode(path: &Path, want: u32) {
    let got = mode(path);
    assert!(
        got == want,
        "{}: mode {got:04o}, want {want:04o}",
        path.display()
    );
}

fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
}

/// The usual default umask, under which a mode left to it is readable by
/// group and others. Process-wide, so every test here that depends on it
/// sets the same value.
fn usual_umask() {
    // SAFETY: umask(2) cannot fail.
    unsafe { libc::umask(0o022) };
}

#[test]
fn prepare_tightens_an_existing_directory_and_everything_in_it() {
    usual_umask();
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("agent-host");
    // What a parent using create_dir_all and an older build left behind.
    fs::create_dir(&root).expect("mkdir");
    chmod(&root, 0o755);
    fs::write(root.join("recent.json"), "{}").expect("seed");
    chmod(&root.join("recent.json"), 0o644);
    fs::write(root.join("sessions.db-shm"), "").expect("seed");
    chmod(&root.join("sessions.db-shm"), 0o664);
    fs::write(root.join("private.json"), "{}").expect("seed");
    chmod(&root.join("private.json"), 0o600);
    fs::create_dir(root.join("sub")).expect("mkdir");
    chmod(&root.join("sub"), 0o775);
    fs::write(root.join("sub/inner"), "x").expect("seed");
    chmod(&root.join("sub/inner"), 0o640);
    // A symlink is not followed: the file it names is not ours to change.
    let outside = dir.path().join("outside.txt");
    fs::write(&outside, "x").expect("seed");
    chmod(&outside, 0o644);
    std::os::unix::fs::symlink(&outside, root.join("link")).expect("symlink");

    UserData::prepare(&root).expect("prepare");
    assert_mode(&root, 0o700);
    assert_mode(&root.join("recent.json"), 0o600);
    assert_mode(&root.join("sessions.db-shm"), 0o600);
    assert_mode(&root.join("private.json"), 0o600);
    assert_mode(&root.join("sub"), 0o700);
    assert_mode(&root.join("sub/inner"), 0o600);
    assert_mode(&outside, 0o644); // the symlink's target is untouched
    assert_eq!(
        fs::read_to_string(root.join("recent.json")).expect("read"),
        "{}"
    );

    // A second start finds nothing left to change.
    UserData::prepare(&root).expect("prepare again");
    assert_mode(&root, 0o700);
}

fn sidecar(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

#[test]
fn database_wal_and_shm_are_0600_after_writes() {
    usual_umask();
    let dir = tempfile::tempdir().expect("tempdir");
    let user_data = UserData::prepare(&dir.path().join("agent-host")).expect("prepare");
    let db = user_data.database_path();
    let conn = open_database(&db).expect("open");
    let doc = dir.path().join("doc.txt");
    fs::write(&doc, "x").expect("seed");
    register_document(&conn, "doc_a", &doc, 1).expect("write");
    for suffix in ["", "-wal", "-shm"] {
        let path = sidecar(&db, suffix);
        assert!(path.exists(), "{} missing", path.display());
        assert_mode(&path, 0o600);
    }
    drop(conn);

    // An existing database left 0644 (with a stale 0644 -shm) is
    // tightened on open, and the -wal SQLite creates on the next write
    // takes the database's new mode.
    chmod(&db, 0o644);
    let _ = fs::remove_file(sidecar(&db, "-wal"));
    fs::write(sidecar(&db, "-shm"), "").expect("seed shm");
    chmod(&sidecar(&db, "-shm"), 0o644);
    let conn = open_database(&db).expect("reopen");
    let other = dir.path().join("other.txt");
    fs::write(&other, "y").expect("seed");
    register_document(&conn, "doc_b", &other, 2).expect("write");
    for suffix in ["", "-wal", "-shm"] {
        let path = sidecar(&db, suffix);
        assert!(path.exists(), "{} missing", path.display());
        assert_mode(&path, 0o600);
    }
}

// ---- session search (GET /sessions?q=) ----

mod search {
    use agent_storage::open_database;
    use agent_storage::sessions::*;
    use rusqlite::Connection;
    use serde_json::json;

    fn session(conn: &Connection, id: &str, title: &str, now: i64) {
        create_session(
            conn,
            &NewSession {
                id,
                title,
                workspace_id: None,
                doc_id: None,
                now_ms: now,
            },
        )
        .expect("create session");
    }

    /// A user message and the assistant's answer, stored as the host stores
    /// them: one `text` part each, plus a tool part on the answer.
    fn exchange(conn: &Connection, session_id: &str, user: &str, answer: &str) {
        let user_id = format!("{session_id}_u");
        let answer_id = format!("{session_id}_a");
        insert_message(conn, &user_id, session_id, "user", "complete", 10).expect("user");
        let part = json!({"type": "text", "text": user}).to_string();
        put_part(conn, &user_id, 0, "text", &part).expect("user part");
        insert_message(conn, &answer_id, session_id, "assistant", "complete", 11)
            .expect("assistant");
        let tool = json!({"type": "tool-read_file", "toolCallId": "c1", "state": "output-available",
                          "input": {"path": "notes.txt"}, "output": "tool output zebra"});
        put_part(conn, &answer_id, 0, "tool-read_file", &tool.to_string()).expect("tool part");
        let part = json!({"type": "text", "text": answer}).to_string();
        put_part(conn, &answer_id, 1, "text", &part).expect("answer part");
    }

    fn search(conn: &Connection, q: &str) -> Vec<String> {
        let (rows, total) = list_sessions(
            conn,
            &SessionQuery {
                filter: Some(q.to_owned()),
                doc_id: None,
                include_archived: true,
                limit: 100,
                offset: 0,
            },
        )
        .expect("list");
        assert_eq!(total as usize, rows.len(), "q={q:?}");
        let mut ids: Vec<String> = rows.into_iter().map(|s| s.id).collect();
        ids.sort();
        ids
    }

    fn db() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().expect("tempdir");
        let conn = open_database(&dir.path().join("sessions.db")).expect("open");
        (dir, conn)
    }

    fn seed(conn: &Connection) {
        session(conn, "ses_a", "Birds", 1);
        exchange(conn, "ses_a", "about pelicans", "Pelicans fly.");
        session(conn, "ses_b", "Kitchen", 2);
        exchange(
            conn,
            "ses_b",
            r#"what does it's "quoted" mean?"#,
            "It means the Needle is in a Crème brûlée.",
        );
        session(conn, "ses_c", "Plain text notes", 3);
        exchange(conn, "ses_c", "hello", "hi there");
        session(conn, "ses_d", "Formats", 4);
        exchange(conn, "ses_d", "convert this text to HTML", "done");
    }

    #[test]
    fn q_text_matches_only_sessions_that_say_text() {
        let (_dir, conn) = db();
        seed(&conn);
        // Every stored part's JSON has a "text" key; only ses_c's title and
        // ses_d's message contain the word.
        assert_eq!(search(&conn, "text"), ["ses_c", "ses_d"]);
        assert_eq!(search(&conn, "type"), Vec::<String>::new());
        // Tool inputs and outputs are not message text.
        assert_eq!(search(&conn, "zebra"), Vec::<String>::new());
        assert_eq!(search(&conn, "notes"), ["ses_c"], "the title's word");
    }

    #[test]
    fn q_with_quotes_matches_the_text_that_has_them() {
        let (_dir, conn) = db();
        seed(&conn);
        assert_eq!(search(&conn, r#"it's "quoted""#), ["ses_b"]);
        assert_eq!(search(&conn, r#""quoted""#), ["ses_b"]);
        assert_eq!(search(&conn, "it's"), ["ses_b"]);
        // Case and diacritics are folded; every word must appear.
        assert_eq!(search(&conn, "NEEDLE creme BRULEE"), ["ses_b"]);
        assert_eq!(search(&conn, "needle pelicans"), Vec::<String>::new());
        // The words may be spread over the title and several messages.
        assert_eq!(search(&conn, "kitchen quoted crème"), ["ses_b"]);
    }

    #[test]
    fn q_words_match_as_prefixes_in_titles_and_messages() {
        let (_dir, conn) = db();
        seed(&conn);
        assert_eq!(search(&conn, "pelic"), ["ses_a"]);
        assert_eq!(search(&conn, "kitch"), ["ses_b"], "title");
        assert_eq!(search(&conn, "need cr"), ["ses_b"]);
        assert_eq!(search(&conn, "eedle"), Vec::<String>::new(), "not infix");
    }

    #[test]
    fn q_is_never_fts_syntax() {
        let (_dir, conn) = db();
        seed(&conn);
        // Operators, column filters, stray quotes and stars are words or
        // nothing, never an error.
        for q in [
            "\"",
            "\"\"",
            "*",
            "-",
            "pelicans OR hello",
            "NEAR(pelicans hello)",
            "text:hello",
            "^hello",
            "(",
            "a AND",
            "pelicans NOT fly",
            "' OR 1=1 --",
            "\0",
        ] {
            let _ = search(&conn, q);
        }
        assert_eq!(search(&conn, "pelicans OR hello"), Vec::<String>::new());
        assert_eq!(search(&conn, "pelicans NOT fly"), Vec::<String>::new());
        // Not a filter on the index's `text` column: the phrase "text hello".
        assert_eq!(search(&conn, "text:hello"), Vec::<String>::new());
        assert_eq!(search(&conn, "\""), Vec::<String>::new());
        assert_eq!(search(&conn, "- \" *"), Vec::<String>::new());
        // A word of punctuation beside real words is left out.
        assert_eq!(search(&conn, "pelicans - fly"), ["ses_a"]);
        // An empty or blank q is no filter.
        assert_eq!(search(&conn, "").len(), 4);
        assert_eq!(search(&conn, "  \t ").len(), 4);
    }

    #[test]
    fn the_index_follows_rewrites_renames_and_deletes() {
        let (_dir, conn) = db();
        seed(&conn);
        // The writer rewrites a part in place (upsert).
        let part = json!({"type": "text", "text": "final answer"}).to_string();
        put_part(&conn, "ses_a_a", 1, "text", &part).expect("rewrite");
        assert_eq!(search(&conn, "fly"), Vec::<String>::new());
        assert_eq!(search(&conn, "final"), ["ses_a"]);
        // A text part rewritten as another kind leaves the index.
        put_part(
            &conn,
            "ses_a_a",
            1,
            "reasoning",
            r#"{"type":"reasoning","text":"final"}"#,
        )
        .expect("kind");
        assert_eq!(search(&conn, "final"), Vec::<String>::new());

        assert!(rename_session(&conn, "ses_a", "Seabirds", 5).expect("rename"));
        assert_eq!(search(&conn, "seabird"), ["ses_a"]);
        assert_eq!(search(&conn, "birds"), Vec::<String>::new());

        let rows = |conn: &Connection| -> i64 {
            conn.query_row("SELECT count(*) FROM search_rows", [], |r| r.get(0))
                .expect("count")
        };
        let before = rows(&conn);
        assert!(delete_session(&conn, "ses_b").expect("delete"));
        assert_eq!(rows(&conn), before - 3, "title and two text parts");
        assert_eq!(search(&conn, "needle"), Vec::<String>::new());
        assert_eq!(search(&conn, "kitchen"), Vec::<String>::new());
    }

    /// Migration 2's schema and stamp, as a build before search wrote it.
    fn version_2_database(path: &std::path::Path) {
        let conn = Connection::open(path).expect("create");
        conn.execute_batch(include_str!("../../src/migrations/001_documents.sql"))
            .expect("migration 1");
        conn.execute_batch(include_str!("../../src/migrations/002_sessions.sql"))
            .expect("migration 2");
        conn.pragma_update(None, "user_version", 2).expect("stamp");
        conn.execute_batch(
            r#"INSERT INTO sessions (id, title, created_at_ms, updated_at_ms)
                   VALUES ('ses_old', 'Old chat', 1, 1), ('ses_other', 'Other', 2, 2);
               INSERT INTO messages (id, session_id, seq, role, status, created_at_ms)
                   VALUES ('m1', 'ses_old', 1, 'user', 'complete', 1),
                          ('m2', 'ses_old', 2, 'assistant', 'complete', 1),
                          ('m3', 'ses_other', 1, 'user', 'complete', 2);
               INSERT INTO parts (message_id, idx, kind, body) VALUES
                   ('m1', 0, 'text', '{"type":"text","text":"where is the lighthouse?"}'),
                   ('m2', 0, 'reasoning', '{"type":"reasoning","text":"harbour"}'),
                   ('m2', 1, 'text', '{"type":"text","text":"On the \"north\" cape."}'),
                   ('m3', 0, 'text', '{"type":"text","text":"unrelated"}');"#,
        )
        .expect("seed");
    }

    #[test]
    fn migrating_an_existing_database_fills_the_index() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sessions.db");
        version_2_database(&path);
        let conn = open_database(&path).expect("migrate");
        assert_eq!(search(&conn, "lighthouse"), ["ses_old"]);
        assert_eq!(search(&conn, r#""north" cape"#), ["ses_old"]);
        assert_eq!(search(&conn, "old"), ["ses_old"], "titles too");
        assert_eq!(search(&conn, "harbour"), Vec::<String>::new(), "reasoning");
        assert_eq!(search(&conn, "text"), Vec::<String>::new());
        // And it keeps up with writes after the migration.
        let part = json!({"type": "text", "text": "a new lighthouse"}).to_string();
        put_part(&conn, "m3", 1, "text", &part).expect("write");
        assert_eq!(search(&conn, "lighthouse"), ["ses_old", "ses_other"]);
    }
}
