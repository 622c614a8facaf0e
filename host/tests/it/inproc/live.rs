//! Documents and the agent, in-process against real files and real
//! inotify: the event stream (replay, resync, sources), document sessions
//! with `read_document`/`edit_document`, per-turn changes and their undo.

use std::path::Path;
use std::time::Duration;

use agent_provider::scripted::{Reply, ScriptedProvider};
use axum::body::{Body, BodyDataStream};
use axum::http::Request;
use futures_util::StreamExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use super::Host;

/// A live SSE body, read frame by frame.
struct Frames {
    body: BodyDataStream,
    buffer: String,
}

impl Frames {
    /// The next frame's `(id, data)` (comments skipped), or `None` when
    /// nothing arrives within `wait`.
    async fn next(&mut self, wait: Duration) -> Option<(String, Value)> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let frame: String = self.buffer.drain(..end + 2).collect();
                let mut id = String::new();
                let mut data = None;
                for line in frame.lines() {
                    if let Some(rest) = line.strip_prefix("id: ") {
                        id = rest.to_owned();
                    } else if let Some(rest) = line.strip_prefix("data: ") {
                        // `[DONE]` ends a turn's stream; everything else is JSON.
                        data = Some(
                            serde_json::from_str(rest)
                                .unwrap_or_else(|_| Value::String(rest.to_owned())),
                        );
                    }
                }
                match data {
                    Some(data) => return Some((id, data)),
                    None => continue,
                }
            }
            let chunk = tokio::time::timeout_at(deadline, self.body.next())
                .await
                .ok()??
                .expect("body");
            self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }

    /// Frames until one matches `wanted` (within `wait` in all).
    async fn until(&mut self, wait: Duration, wanted: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next(left).await {
                Some((_, event)) if wanted(&event) => return event,
                Some(_) => continue,
                None => panic!("no such event within {wait:?}"),
            }
        }
    }

    /// Every frame that arrives until `quiet` passes without one.
    async fn drain(&mut self, quiet: Duration) -> Vec<Value> {
        let mut events = Vec::new();
        while let Some((_, event)) = self.next(quiet).await {
            events.push(event);
        }
        events
    }
}

const WAIT: Duration = Duration::from_secs(5);

impl Host {
    /// Subscribes to `GET /events`, resuming after `last` if given.
    async fn events(&self, last: Option<&str>) -> Frames {
        let mut request = Request::get("/events");
        if let Some(last) = last {
            request = request.header("last-event-id", last);
        }
        let response = self
            .host
            .service()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers()["content-type"].to_str().unwrap(),
            "text/event-stream"
        );
        Frames {
            body: response.into_body().into_data_stream(),
            buffer: String::new(),
        }
    }

    async fn open_document(&self, path: &Path) -> String {
        self.ok("POST", "/documents", json!({ "path": path })).await["doc_id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Runs a turn to its end, approving every tool call it asks about;
    /// the turn's id.
    async fn turn_approving(&self, session: &str, body: Value) -> String {
        let response = self
            .host
            .service()
            .oneshot(
                Request::post(format!("/sessions/{session}/turns"))
                    .header("content-type", "application/json")
                    .body(Body::from(body.to_string()))
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let mut frames = Frames {
            body: response.into_body().into_data_stream(),
            buffer: String::new(),
        };
        let mut turn_id = String::new();
        while let Some((id, data)) = frames.next(WAIT).await {
            turn_id = id.rsplit_once(':').unwrap().0.to_owned();
            if data["type"] == "tool-approval-request" {
                let approval = data["approvalId"].as_str().unwrap();
                let answer = self
                    .call(
                        "POST",
                        &format!("/sessions/{session}/approvals/{approval}"),
                        Some(json!({ "approved": true })),
                    )
                    .await;
                assert_eq!(answer.status, 204, "{}", answer.text());
            }
        }
        turn_id
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn windows_saves_and_outside_writes_reach_the_event_stream_with_their_source() {
    let host = Host::new();
    let path = host.file("plan.md", b"# Plan\n");
    let doc = host.open_document(&path).await;
    let mut events = host.events(None).await;

    // An outside program appends (real inotify, debounced).
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .and_then(|mut f| std::io::Write::write_all(&mut f, b"more\n"))
        .unwrap();
    let changed = events
        .until(WAIT, |e| e["type"] == "document.changed")
        .await;
    let read = host.get(&format!("/documents/{doc}")).await.json();
    assert_eq!(changed["doc_id"], doc.as_str());
    assert_eq!(changed["source"], "external");
    assert_eq!(changed["version"], read["mtime"]);

    // A window's Save is told once, as the window's; its echo on disk is not
    // told again as an outside change.
    let saved = host
        .ok(
            "PUT",
            &format!("/documents/{doc}"),
            json!({ "content": "# Plan\nsaved\n", "expected_mtime": read["mtime"] }),
        )
        .await;
    let event = events
        .until(WAIT, |e| e["type"] == "document.changed")
        .await;
    assert_eq!(event["source"], "window");
    assert_eq!(event["version"], saved["mtime"]);
    let rest = events.drain(Duration::from_millis(400)).await;
    assert!(
        !rest.iter().any(|e| e["type"] == "document.changed"),
        "{rest:?}"
    );

    // Renamed away: reported, not followed; then removed.
    let moved_to = host.files().join("plan-old.md");
    std::fs::rename(&path, &moved_to).unwrap();
    let moved = events.until(WAIT, |e| e["type"] == "document.moved").await;
    assert_eq!(moved["path"], moved_to.to_str().unwrap());
    std::fs::write(&path, "again\n").unwrap();
    events
        .until(WAIT, |e| {
            e["type"] == "document.changed" && e["source"] == "external"
        })
        .await;
    std::fs::remove_file(&path).unwrap();
    let removed = events
        .until(WAIT, |e| e["type"] == "document.removed")
        .await;
    assert_eq!(removed["doc_id"], doc.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconnect_replays_what_it_missed_or_is_told_to_resync() {
    let host = Host::new();
    let mut first = host.events(None).await;
    for title in ["one", "two", "three"] {
        host.ok("POST", "/sessions", json!({ "title": title }))
            .await;
    }
    let mut ids = Vec::new();
    for _ in 0..3 {
        let (id, event) = first.next(WAIT).await.expect("an event");
        assert_eq!(event["type"], "session.created");
        ids.push(id);
    }
    // After the first: the other two, exactly.
    let mut resumed = host.events(Some(&ids[0])).await;
    let replay: Vec<String> = [
        resumed.next(WAIT).await.unwrap().0,
        resumed.next(WAIT).await.unwrap().0,
    ]
    .into();
    assert_eq!(replay, ids[1..]);
    assert!(resumed.next(Duration::from_millis(200)).await.is_none());

    // An id from another run (or garbage): resync first, with the latest id.
    for stale in ["0123456789abcdef-2", "nonsense"] {
        let mut stream = host.events(Some(stale)).await;
        let (id, event) = stream.next(WAIT).await.expect("resync");
        assert_eq!(event, json!({ "type": "resync" }));
        assert_eq!(id, ids[2]);
    }
    // Live events keep coming after a replay.
    host.ok("POST", "/sessions", json!({ "title": "four" }))
        .await;
    let (_, live) = resumed.next(WAIT).await.unwrap();
    assert_eq!(live["type"], "session.created");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_session_edits_its_document_and_the_turn_is_undone() {
    const ORIGINAL: &str = "# Plan\n\nFirst.\nSecond, which rambles on.\nThird.\n";
    let provider = ScriptedProvider::start(vec![
        Reply::tool_call(
            "call_1",
            "edit_document",
            r#"{"edits": [{"old": "Second, which rambles on.", "new": "Second."}]}"#,
        ),
        Reply::text_answer("Tightened."),
        Reply::text_answer("Nothing to do."),
    ])
    .await
    .unwrap();
    let host = Host::new();
    host.use_provider(&provider).await;
    let path = host.file("plan.md", ORIGINAL.as_bytes());
    let doc = host.open_document(&path).await;
    let other = host.open_document(&host.file("other.md", b"x\n")).await;

    // A document's sessions.
    let session = host.ok("POST", "/sessions", json!({ "doc_id": doc })).await;
    assert_eq!(session["doc_id"], doc.as_str());
    let session = session["id"].as_str().unwrap().to_owned();
    host.ok("POST", "/sessions", json!({ "doc_id": other }))
        .await;
    let listed = host.get(&format!("/sessions?doc_id={doc}")).await.json();
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["sessions"][0]["id"], session.as_str());
    let both = host
        .call(
            "POST",
            "/sessions",
            Some(json!({ "doc_id": doc, "workspace_id": "ws_x" })),
        )
        .await;
    assert_eq!(both.error(), (400, "workspace_and_document".into()));

    let mut events = host.events(None).await;
    let selection_from = ORIGINAL.find("Second").unwrap();
    let turn = host
        .turn_approving(
            &session,
            json!({
                "message": "Tighten the second line.",
                "context": { "doc_id": doc, "selection": { "from": selection_from, "to": selection_from + 6 } }
            }),
        )
        .await;
    let edited = "# Plan\n\nFirst.\nSecond.\nThird.\n";
    assert_eq!(std::fs::read_to_string(&path).unwrap(), edited);

    // The model saw the document, its tools and the selection.
    let request = provider.requests()[0].to_string();
    assert!(request.contains(path.to_str().unwrap()), "{request}");
    assert!(request.contains("edit_document") && request.contains("read_document"));
    assert!(!request.contains("\"read_file\""), "no workspace tools");
    assert!(
        request.contains("4\\tSecond, which rambles on."),
        "{request}"
    );

    // The window is told, as the agent's change.
    let event = events
        .until(WAIT, |e| e["type"] == "document.changed")
        .await;
    assert_eq!(event["source"], "agent");
    assert_eq!(event["doc_id"], doc.as_str());

    // The stored answer names its turn, so a reloaded chat finds its changes.
    let messages = host
        .get(&format!("/sessions/{session}/messages"))
        .await
        .json();
    let answer = &messages["messages"][1];
    assert_eq!(answer["role"], "assistant");
    assert_eq!(answer["metadata"]["turnId"], turn.as_str());
    assert!(messages["messages"][0]["metadata"].get("turnId").is_none());

    // The turn's changes, as a diff.
    let changes = host
        .get(&format!("/sessions/{session}/turns/{turn}/changes"))
        .await
        .json();
    let files = changes["files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{changes}");
    assert_eq!(files[0]["path"], path.to_str().unwrap());
    assert_eq!(files[0]["status"], "modified");
    assert_eq!(
        (
            files[0]["additions"].as_u64(),
            files[0]["deletions"].as_u64()
        ),
        (Some(1), Some(1))
    );
    let diff = files[0]["diff"].as_str().unwrap();
    assert!(
        diff.contains("-Second, which rambles on.\n+Second.\n"),
        "{diff}"
    );

    // Someone changed it since: refused with the file named, unless forced.
    std::fs::write(&path, "# Plan\n\nFirst.\nSecond.\nThird.\nMine.\n").unwrap();
    let refused = host
        .call(
            "POST",
            &format!("/sessions/{session}/turns/{turn}/revert"),
            Some(json!({})),
        )
        .await;
    assert_eq!(refused.error(), (409, "changed_since".into()));
    assert_eq!(refused.json()["files"], json!([path.to_str().unwrap()]));
    assert!(std::fs::read_to_string(&path).unwrap().ends_with("Mine.\n"));

    let reverted = host.revert(&session, &turn, true).await;
    assert_eq!(
        std::fs::read(&path).unwrap(),
        ORIGINAL.as_bytes(),
        "byte-identical"
    );
    assert_eq!(reverted["restored"], json!([path.to_str().unwrap()]));

    // The revert is itself undoable: back to what it overwrote.
    let revert_id = reverted["revert_id"].as_str().unwrap();
    host.ok(
        "POST",
        &format!("/sessions/{session}/changes/{revert_id}/revert"),
        json!({}),
    )
    .await;
    assert!(std::fs::read_to_string(&path).unwrap().ends_with("Mine.\n"));

    // A turn that wrote nothing has no changes and nothing to revert; an
    // unknown turn is 404.
    let quiet = host
        .turn_approving(&session, json!({ "message": "Anything else?" }))
        .await;
    let none = host
        .get(&format!("/sessions/{session}/turns/{quiet}/changes"))
        .await
        .json();
    assert_eq!(none["files"], json!([]));
    let unknown = host
        .get(&format!("/sessions/{session}/turns/turn_nope/changes"))
        .await;
    assert_eq!(unknown.error(), (404, "unknown_turn".into()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workspace_turn_is_undone_and_survives_a_restart_but_never_writes_outside() {
    let provider = ScriptedProvider::start(vec![
        Reply::tool_call(
            "call_1",
            "write_file",
            r#"{"path": "sub/notes.txt", "content": "v2\n"}"#,
        ),
        Reply::tool_call(
            "call_2",
            "write_file",
            r#"{"path": "added.txt", "content": "new\n"}"#,
        ),
        Reply::text_answer("Done."),
    ])
    .await
    .unwrap();
    let mut host = Host::new();
    host.use_provider(&provider).await;
    let (workspace, root) = host.workspace("project").await;
    std::fs::create_dir(root.join("sub")).unwrap();
    std::fs::write(root.join("sub/notes.txt"), "v1\n").unwrap();
    let session = host.session(json!({ "workspace_id": workspace })).await;
    let turn = host
        .turn_approving(&session, json!({ "message": "Write." }))
        .await;
    assert_eq!(
        std::fs::read_to_string(root.join("sub/notes.txt")).unwrap(),
        "v2\n"
    );

    // Checkpoints are in sessions.db: a new host over the same data has them.
    host = host.reopen();
    let changes = host
        .get(&format!("/sessions/{session}/turns/{turn}/changes"))
        .await
        .json();
    let statuses: Vec<(String, String)> = changes["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let path = f["path"].as_str().unwrap();
            let name = path
                .strip_prefix(root.to_str().unwrap())
                .unwrap()
                .to_owned();
            (name, f["status"].as_str().unwrap().to_owned())
        })
        .collect();
    assert_eq!(
        statuses,
        [
            ("/sub/notes.txt".to_owned(), "modified".to_owned()),
            ("/added.txt".to_owned(), "added".to_owned())
        ]
    );

    // The model swaps `sub` for a symlink out of the workspace, where a file
    // of the same name waits: the restore must not follow it.
    let outside = host.files().join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::fs::write(outside.join("notes.txt"), "v2\n").unwrap();
    std::fs::rename(root.join("sub"), host.files().join("sub-moved")).unwrap();
    std::os::unix::fs::symlink(&outside, root.join("sub")).unwrap();
    let reverted = host.revert(&session, &turn, true).await;
    assert_eq!(
        std::fs::read_to_string(outside.join("notes.txt")).unwrap(),
        "v2\n"
    );
    let skipped = reverted["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{reverted}");
    assert!(skipped[0]["path"]
        .as_str()
        .unwrap()
        .ends_with("sub/notes.txt"));
    // The added file was removed: the workspace is as before the turn there.
    assert!(!root.join("added.txt").exists());
    assert_eq!(reverted["restored"].as_array().unwrap().len(), 1);
}

impl Host {
    /// Reverts turn `turn` (forced or not), which must succeed; the answer.
    async fn revert(&self, session: &str, turn: &str, force: bool) -> Value {
        self.ok(
            "POST",
            &format!("/sessions/{session}/turns/{turn}/revert"),
            json!({ "force": force }),
        )
        .await
    }

    /// Drops this host and opens a new one over the same directories, as a
    /// restart would.
    fn reopen(self) -> Host {
        let Host { host, dir } = self;
        drop(host);
        let host = agent_host::InProcessHost::open(&dir.path().join("data")).expect("reopen");
        Host { host, dir }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_that_falls_behind_its_queue_is_ended_not_waited_for() {
    let host = Host::new();
    let mut stalled = host.events(None).await;
    // More events than one subscriber's queue holds, while it reads nothing.
    for n in 0..300 {
        host.ok("POST", "/sessions", json!({ "title": format!("s{n}") }))
            .await;
    }
    // Its stream ends (its client reconnects with its last id), rather than
    // the hub keeping everything for it.
    let end = tokio::time::timeout(WAIT, stalled.body.next()).await;
    assert!(matches!(end, Ok(None)), "the stream should have ended");
    // A fresh subscriber is fine.
    let mut fresh = host.events(None).await;
    host.ok("POST", "/sessions", json!({ "title": "later" }))
        .await;
    assert_eq!(fresh.next(WAIT).await.unwrap().1["type"], "session.created");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_document_is_written_again_only_while_it_is_still_gone() {
    let host = Host::new();
    let path = host.file("gone.md", b"before\n");
    let doc = host.open_document(&path).await;
    let read = host.get(&format!("/documents/{doc}")).await.json();
    std::fs::remove_file(&path).unwrap();

    // A plain Save of a removed file is a conflict, as before.
    let plain = host
        .call(
            "PUT",
            &format!("/documents/{doc}"),
            Some(json!({ "content": "kept\n", "expected_mtime": read["mtime"] })),
        )
        .await;
    assert_eq!(plain.error(), (409, "conflict".into()));

    let again = host
        .ok(
            "PUT",
            &format!("/documents/{doc}"),
            json!({ "content": "kept\n", "recreate": true }),
        )
        .await;
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "kept\n");
    assert_eq!(
        host.get(&format!("/documents/{doc}")).await.json()["mtime"],
        again["mtime"]
    );

    // Someone put a file there meanwhile: not overwritten blindly.
    let twice = host
        .call(
            "PUT",
            &format!("/documents/{doc}"),
            Some(json!({ "content": "blind\n", "recreate": true })),
        )
        .await;
    assert_eq!(twice.error(), (409, "conflict".into()));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "kept\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pruned_turn_says_so_when_shown_or_reverted() {
    // nextest runs each test in a process of its own.
    std::env::set_var("AGENT_HOST_CHECKPOINT_BUDGET", "1");
    let edit = |old: &str, new: &str| {
        Reply::tool_call(
            "call",
            "edit_document",
            &json!({ "edits": [{ "old": old, "new": new }] }).to_string(),
        )
    };
    let provider = ScriptedProvider::start(vec![
        edit("one", "two"),
        Reply::text_answer("ok"),
        edit("two", "three"),
        Reply::text_answer("ok"),
    ])
    .await
    .unwrap();
    let host = Host::new();
    host.use_provider(&provider).await;
    let path = host.file("count.md", b"one\n");
    let doc = host.open_document(&path).await;
    let session = host.session(json!({ "doc_id": doc })).await;
    let first = host
        .turn_approving(&session, json!({ "message": "1" }))
        .await;
    let second = host
        .turn_approving(&session, json!({ "message": "2" }))
        .await;
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "three\n");

    // Pruning runs after a turn ends; the newest turn's checkpoint stays.
    let pruned = || async {
        host.get(&format!("/sessions/{session}/turns/{first}/changes"))
            .await
            .status
            == 410
    };
    let deadline = tokio::time::Instant::now() + WAIT;
    while !pruned().await {
        assert!(tokio::time::Instant::now() < deadline, "never pruned");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let shown = host
        .get(&format!("/sessions/{session}/turns/{first}/changes"))
        .await;
    assert_eq!(shown.error(), (410, "checkpoint_pruned".into()));
    let reverted = host
        .call(
            "POST",
            &format!("/sessions/{session}/turns/{first}/revert"),
            Some(json!({ "force": true })),
        )
        .await;
    assert_eq!(reverted.error(), (410, "checkpoint_pruned".into()));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "three\n");
    let newest = host
        .get(&format!("/sessions/{session}/turns/{second}/changes"))
        .await
        .json();
    assert_eq!(newest["files"].as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn save_as_creates_a_new_document_and_never_replaces_a_file() {
    let host = Host::new();
    let path = host.files().join("copy.md");
    let created = host
        .ok(
            "POST",
            "/documents",
            json!({ "path": path, "content": "kept text\n" }),
        )
        .await;
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "kept text\n");
    assert_eq!(created["name"], "copy.md");
    let doc = created["doc_id"].as_str().unwrap();
    let read = host.get(&format!("/documents/{doc}")).await.json();
    assert_eq!(read["content"], "kept text\n");

    let cases = [
        (path.clone(), 409, "conflict"),
        (host.files().join("missing-dir/x.md"), 404, "not_found"),
        (host.user_data().join("stolen.md"), 403, "path_not_allowed"),
        ("relative.md".into(), 400, "invalid_path"),
    ];
    for (target, status, code) in cases {
        let reply = host
            .call(
                "POST",
                "/documents",
                Some(json!({ "path": target, "content": "other\n" })),
            )
            .await;
        assert_eq!(reply.error(), (status, code.into()), "{}", target.display());
    }
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "kept text\n");
    assert!(!host.user_data().join("stolen.md").exists());
}
