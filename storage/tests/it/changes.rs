//! Checkpoints of agent-changed files: first-before/last-after per file,
//! content addressing, the listing's filter, pruning under a byte budget.

use std::path::Path;

use agent_storage::changes::{
    blob, change_set, checkpoint_bytes, content_hash, file_changes, open_change_set, prune_changes,
    record_file_change, ChangeSetKind, Content,
};
use agent_storage::open_database;
use agent_storage::sessions::{create_session, delete_session, NewSession};
use rusqlite::Connection;

fn db() -> (tempfile::TempDir, Connection) {
    let dir = tempfile::tempdir().expect("tempdir");
    let conn = open_database(&dir.path().join("sessions.db")).expect("open");
    create_session(
        &conn,
        &NewSession {
            id: "s1",
            title: "t",
            workspace_id: None,
            doc_id: None,
            now_ms: 1,
        },
    )
    .expect("session");
    (dir, conn)
}

fn blob_count(conn: &Connection) -> i64 {
    conn.query_row("SELECT COUNT(*) FROM blobs", [], |r| r.get(0))
        .expect("count")
}

#[test]
fn a_file_keeps_its_first_before_and_its_last_after() {
    let (_dir, conn) = db();
    open_change_set(&conn, "t1", "s1", ChangeSetKind::Turn, None, 10).unwrap();
    open_change_set(&conn, "t1", "s1", ChangeSetKind::Turn, None, 99).unwrap();
    let a = Path::new("/w/a.md");
    let new = Path::new("/w/new.md");
    record_file_change(&conn, "t1", a, Content::Bytes(b"v0"), Content::Bytes(b"v1")).unwrap();
    record_file_change(&conn, "t1", new, Content::Absent, Content::Bytes(b"n")).unwrap();
    record_file_change(&conn, "t1", a, Content::Bytes(b"v1"), Content::Bytes(b"v2")).unwrap();

    let set = change_set(&conn, "t1").unwrap().expect("set");
    assert_eq!(set.created_at_ms, 10, "reopening keeps the first row");
    assert_eq!(set.kind, ChangeSetKind::Turn);
    assert!(!set.pruned);
    let changes = file_changes(&conn, "t1").unwrap();
    assert_eq!(changes.len(), 2);
    assert_eq!(changes[0].path, a, "in the order first written");
    assert_eq!(changes[0].before, Some(content_hash(b"v0")));
    assert_eq!(changes[0].after, Some(content_hash(b"v2")));
    assert_eq!(changes[1].before, None, "added");
    assert_eq!(
        blob(&conn, &content_hash(b"v0")).unwrap().as_deref(),
        Some(&b"v0"[..])
    );
}

#[test]
fn a_file_written_back_to_its_start_is_not_listed_and_deletions_are() {
    let (_dir, conn) = db();
    open_change_set(&conn, "t1", "s1", ChangeSetKind::Turn, None, 10).unwrap();
    let same = Path::new("/w/same");
    let gone = Path::new("/w/gone");
    record_file_change(
        &conn,
        "t1",
        same,
        Content::Bytes(b"x"),
        Content::Bytes(b"y"),
    )
    .unwrap();
    record_file_change(
        &conn,
        "t1",
        same,
        Content::Bytes(b"y"),
        Content::Bytes(b"x"),
    )
    .unwrap();
    record_file_change(&conn, "t1", gone, Content::Bytes(b"z"), Content::Absent).unwrap();
    let changes = file_changes(&conn, "t1").unwrap();
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].path, gone);
    assert_eq!(changes[0].after, None);

    let big = Path::new("/w/big.bin");
    record_file_change(&conn, "t1", big, Content::Untracked, Content::Untracked).unwrap();
    let changes = file_changes(&conn, "t1").unwrap();
    assert!(changes.iter().any(|c| c.path == big && c.untracked));
}

#[test]
fn equal_contents_are_stored_once() {
    let (_dir, conn) = db();
    let text = vec![b'a'; 100_000];
    for turn in 0..100 {
        let id = format!("t{turn}");
        open_change_set(&conn, &id, "s1", ChangeSetKind::Turn, None, turn).unwrap();
        record_file_change(
            &conn,
            &id,
            Path::new("/w/f"),
            Content::Bytes(&text),
            Content::Bytes(b"after"),
        )
        .unwrap();
    }
    assert_eq!(blob_count(&conn), 2);
    assert_eq!(checkpoint_bytes(&conn).unwrap(), 100_000 + 5);
}

#[test]
fn pruning_drops_the_oldest_sets_first_and_never_the_newest() {
    let (_dir, conn) = db();
    for turn in 0..5u8 {
        let id = format!("t{turn}");
        open_change_set(&conn, &id, "s1", ChangeSetKind::Turn, None, turn.into()).unwrap();
        let before = vec![turn; 1000];
        let after = vec![turn + 100; 1000];
        record_file_change(
            &conn,
            &id,
            Path::new("/w/f"),
            Content::Bytes(&before),
            Content::Bytes(&after),
        )
        .unwrap();
    }
    assert_eq!(checkpoint_bytes(&conn).unwrap(), 10_000);

    let report = prune_changes(&conn, 4_500).unwrap();
    assert_eq!(report.sets, 3);
    assert_eq!(report.blobs, 6);
    assert_eq!(report.bytes, 6_000);
    assert_eq!(checkpoint_bytes(&conn).unwrap(), 4_000);
    for (id, pruned) in [("t0", true), ("t2", true), ("t3", false), ("t4", false)] {
        let set = change_set(&conn, id).unwrap().expect("row kept");
        assert_eq!(set.pruned, pruned, "{id}");
    }
    assert!(file_changes(&conn, "t0").unwrap().is_empty());

    let report = prune_changes(&conn, 0).unwrap();
    assert_eq!(report.sets, 1, "the newest set stays");
    assert!(!change_set(&conn, "t4").unwrap().unwrap().pruned);
    assert_eq!(checkpoint_bytes(&conn).unwrap(), 2_000);
}

#[test]
fn deleting_a_session_lets_pruning_drop_its_blobs() {
    let (_dir, conn) = db();
    open_change_set(&conn, "t1", "s1", ChangeSetKind::Turn, None, 1).unwrap();
    record_file_change(
        &conn,
        "t1",
        Path::new("/w/f"),
        Content::Bytes(b"old"),
        Content::Bytes(b"new"),
    )
    .unwrap();
    delete_session(&conn, "s1").unwrap();
    assert!(change_set(&conn, "t1").unwrap().is_none());
    let report = prune_changes(&conn, u64::MAX).unwrap();
    assert_eq!(report.blobs, 2);
    assert_eq!(blob_count(&conn), 0);
}

#[test]
fn a_revert_names_the_set_it_undid() {
    let (_dir, conn) = db();
    open_change_set(&conn, "t1", "s1", ChangeSetKind::Turn, None, 1).unwrap();
    open_change_set(&conn, "r1", "s1", ChangeSetKind::Revert, Some("t1"), 2).unwrap();
    let set = change_set(&conn, "r1").unwrap().unwrap();
    assert_eq!(set.kind, ChangeSetKind::Revert);
    assert_eq!(set.reverts.as_deref(), Some("t1"));
}
