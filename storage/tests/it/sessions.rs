//! Sessions, messages, parts, turns and the chunk log on a real SQLite file.

use agent_storage::open_database;
use agent_storage::sessions::*;

fn db() -> (tempfile::TempDir, rusqlite::Connection) {
    let dir = tempfile::tempdir().unwrap();
    let conn = open_database(&dir.path().join("sessions.db")).unwrap();
    (dir, conn)
}

fn session(conn: &rusqlite::Connection, id: &str, title: &str, now: i64) -> SessionRow {
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
    .unwrap()
}

#[test]
fn create_list_filter_page_rename_archive_delete() {
    let (_dir, conn) = db();
    for i in 0..5 {
        session(&conn, &format!("ses_{i}"), &format!("Chat {i}"), 100 + i);
    }
    session(&conn, "ses_x", "100% done_now", 50);
    let q = |filter: Option<&str>, archived: bool, limit, offset| SessionQuery {
        filter: filter.map(str::to_owned),
        doc_id: None,
        include_archived: archived,
        limit,
        offset,
    };
    let (page, total) = list_sessions(&conn, &q(None, false, 2, 0)).unwrap();
    assert_eq!(total, 6);
    assert_eq!(
        page.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
        ["ses_4", "ses_3"]
    );
    let (page, _) = list_sessions(&conn, &q(None, false, 2, 4)).unwrap();
    assert_eq!(
        page.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
        ["ses_0", "ses_x"]
    );
    // Wildcards in the filter are not wildcards: `%` is punctuation beside
    // a word, `_` alone has no word to match.
    let (page, total) = list_sessions(&conn, &q(Some("100%"), false, 10, 0)).unwrap();
    assert_eq!((total, page[0].id.as_str()), (1, "ses_x"));
    let (_, total) = list_sessions(&conn, &q(Some("_"), false, 10, 0)).unwrap();
    assert_eq!(total, 0);
    // Message text matches too.
    insert_message(&conn, "msg_1", "ses_2", "user", "complete", 200).unwrap();
    put_part(
        &conn,
        "msg_1",
        0,
        "text",
        r#"{"type":"text","text":"find the Needle"}"#,
    )
    .unwrap();
    let (page, _) = list_sessions(&conn, &q(Some("needle"), false, 10, 0)).unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].id, "ses_2");

    assert!(rename_session(&conn, "ses_1", "Renamed", 300).unwrap());
    assert!(!rename_session(&conn, "ses_nope", "x", 300).unwrap());
    assert_eq!(
        get_session(&conn, "ses_1").unwrap().unwrap().title,
        "Renamed"
    );
    assert!(set_archived(&conn, "ses_1", true, 301).unwrap());
    let (_, total) = list_sessions(&conn, &q(None, false, 10, 0)).unwrap();
    assert_eq!(total, 5);
    let (_, total) = list_sessions(&conn, &q(None, true, 10, 0)).unwrap();
    assert_eq!(total, 6);

    add_usage(&conn, "ses_2", 10, 5).unwrap();
    add_usage(&conn, "ses_2", 1, 2).unwrap();
    let s = get_session(&conn, "ses_2").unwrap().unwrap();
    assert_eq!((s.input_tokens, s.output_tokens), (11, 7));

    create_turn(&conn, "turn_1", "ses_2", "msg_1", 400).unwrap();
    let mut conn = conn;
    append_chunks(&mut conn, "turn_1", &[(1, "{}".into())]).unwrap();
    assert!(delete_session(&conn, "ses_2").unwrap());
    assert!(list_messages(&conn, "ses_2").unwrap().is_empty());
    assert!(get_turn(&conn, "turn_1").unwrap().is_none(), "cascade");
    assert!(
        chunks_after(&conn, "turn_1", 0).unwrap().is_empty(),
        "cascade"
    );
    assert!(!delete_session(&conn, "ses_2").unwrap());
}

#[test]
fn messages_parts_turns_and_chunks() {
    let (_dir, mut conn) = db();
    session(&conn, "ses_a", "A", 1);
    insert_message(&conn, "m1", "ses_a", "user", "complete", 2).unwrap();
    put_part(&conn, "m1", 0, "text", r#"{"text":"hi"}"#).unwrap();
    insert_message(&conn, "m2", "ses_a", "assistant", "streaming", 3).unwrap();
    put_part(&conn, "m2", 0, "text", r#"{"text":"hel"}"#).unwrap();
    put_part(&conn, "m2", 0, "text", r#"{"text":"hello"}"#).unwrap();
    put_part(&conn, "m2", 1, "tool", r#"{"toolCallId":"c1"}"#).unwrap();
    let messages = list_messages(&conn, "ses_a").unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[1].parts.len(), 2);
    assert_eq!(messages[1].parts[0].body, r#"{"text":"hello"}"#);
    assert!(insert_message(&conn, "m3", "ses_nope", "user", "complete", 4).is_err());
    // Each message's parts in order, whatever order they were written in,
    // and no other session's.
    session(&conn, "ses_b", "B", 1);
    insert_message(&conn, "mb", "ses_b", "user", "complete", 2).unwrap();
    put_part(&conn, "mb", 0, "text", r#"{"text":"other"}"#).unwrap();
    put_part(&conn, "m1", 2, "text", r#"{"text":"third"}"#).unwrap();
    put_part(&conn, "m1", 1, "text", r#"{"text":"second"}"#).unwrap();
    let bodies = |m: &MessageRow| m.parts.iter().map(|p| p.body.clone()).collect::<Vec<_>>();
    let messages = list_messages(&conn, "ses_a").unwrap();
    assert_eq!(
        bodies(&messages[0]),
        [
            r#"{"text":"hi"}"#,
            r#"{"text":"second"}"#,
            r#"{"text":"third"}"#
        ]
    );
    assert_eq!(
        bodies(&messages[1]),
        [r#"{"text":"hello"}"#, r#"{"toolCallId":"c1"}"#]
    );

    create_turn(&conn, "t1", "ses_a", "m2", 5).unwrap();
    append_chunks(&mut conn, "t1", &[(1, "a".into()), (2, "b".into())]).unwrap();
    append_chunks(&mut conn, "t1", &[(3, "c".into())]).unwrap();
    assert!(append_chunks(&mut conn, "t1", &[(3, "dup".into())]).is_err());
    let after = chunks_after(&conn, "t1", 1).unwrap();
    assert_eq!(after, vec![(2, "b".to_owned()), (3, "c".to_owned())]);
    assert_eq!(latest_turn(&conn, "ses_a").unwrap().unwrap().id, "t1");

    assert_eq!(mark_interrupted(&conn, 9).unwrap(), 1);
    assert_eq!(
        get_turn(&conn, "t1").unwrap().unwrap().status,
        "interrupted"
    );
    assert_eq!(
        list_messages(&conn, "ses_a").unwrap()[1].status,
        "interrupted"
    );
    finish_turn(&conn, "t1", "complete", 10).unwrap();
    set_message_status(&conn, "m2", "complete").unwrap();
    assert_eq!(mark_interrupted(&conn, 11).unwrap(), 0);
}

#[test]
fn a_document_lists_its_own_sessions() {
    let (_dir, conn) = db();
    for (id, doc) in [
        ("s1", Some("doc_a")),
        ("s2", Some("doc_b")),
        ("s3", None),
        ("s4", Some("doc_a")),
    ] {
        create_session(
            &conn,
            &NewSession {
                id,
                title: "plan",
                workspace_id: None,
                doc_id: doc,
                now_ms: 1,
            },
        )
        .unwrap();
    }
    let query = |doc: Option<&str>, filter: Option<&str>| SessionQuery {
        filter: filter.map(str::to_owned),
        doc_id: doc.map(str::to_owned),
        include_archived: false,
        limit: 10,
        offset: 0,
    };
    let ids = |q: SessionQuery| {
        let (rows, total) = list_sessions(&conn, &q).unwrap();
        let mut ids: Vec<_> = rows.into_iter().map(|r| (r.id, r.doc_id)).collect();
        ids.sort();
        assert_eq!(total as usize, ids.len());
        ids
    };
    assert_eq!(
        ids(query(Some("doc_a"), None)),
        vec![
            ("s1".into(), Some("doc_a".into())),
            ("s4".into(), Some("doc_a".into()))
        ]
    );
    assert_eq!(
        ids(query(Some("doc_a"), Some("plan"))).len(),
        2,
        "with a search"
    );
    assert!(ids(query(Some("doc_z"), None)).is_empty());
    assert_eq!(ids(query(None, None)).len(), 4);
}
