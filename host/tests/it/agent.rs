//! The agent runtime against the real host binary and a scripted
//! OpenAI-compatible provider on loopback (the only stand-in allowed: the
//! remote providers cannot be reached from here).

use std::time::{Duration, Instant};

use crate::support::*;
use agent_provider::scripted::{Reply, Scripted};
use serde_json::{json, Value};

const KEY: &str = PROVIDER_KEY;

fn kinds(frames: &[SseFrame]) -> Vec<String> {
    frames.iter().map(SseFrame::kind).collect()
}

fn text_of(frames: &[SseFrame]) -> String {
    frames
        .iter()
        .filter(|f| f.kind() == "text-delta")
        .map(|f| f.json()["delta"].as_str().unwrap().to_owned())
        .collect()
}

/// `GET /sessions/{session}/stream`, after `last` (a `Last-Event-ID`) or
/// from the start.
fn stream_of(host: &TestHost, session: &str, last: Option<&str>) -> SseReader {
    let headers: Vec<(&str, &str)> = last.map(|id| ("Last-Event-ID", id)).into_iter().collect();
    SseReader::open(
        host,
        "GET",
        &format!("/sessions/{session}/stream"),
        None,
        &headers,
    )
}

fn idle(host: &TestHost, session: &str) {
    let finished = eventually(Duration::from_secs(10), || {
        host.send(
            "POST",
            &format!("/sessions/{session}/turns"),
            json!({"message": ""}),
        )
        .status
            == 400
            && host.get(&format!("/sessions/{session}/messages")).json()["messages"]
                .as_array()
                .unwrap()
                .iter()
                .all(|m| m["metadata"]["status"] != "streaming")
    });
    assert!(finished, "timed out waiting for the turn to finish");
}

#[test]
fn plain_answer_streams_as_ui_message_chunks_and_persists() {
    let world = World::new(vec![Reply::text_answer("Hello from the scripted model.")]);
    let session = world.session(None);
    let reader = world.turn(&session, "Say hello");
    assert_eq!(reader.status, 200);
    assert_eq!(reader.header("content-type"), Some("text/event-stream"));
    assert_eq!(reader.header("x-vercel-ai-ui-message-stream"), Some("v1"));
    let frames = reader.rest();
    let k = kinds(&frames);
    assert_eq!(&k[..3], ["start", "start-step", "text-start"]);
    assert_eq!(
        &k[k.len() - 5..],
        ["text-delta", "text-end", "finish-step", "finish", "[DONE]"]
    );
    assert_eq!(text_of(&frames), "Hello from the scripted model.");
    assert_eq!(
        frames[0].json()["messageMetadata"]["sessionId"],
        session.as_str()
    );
    let turn_id = frames[0].json()["messageMetadata"]["turnId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(seqs(&frames, &turn_id)[0], 1);
    let finish = frames[frames.len() - 2].json();
    assert_eq!(finish["finishReason"], "stop");
    assert_eq!(finish["messageMetadata"]["usage"]["input_tokens"], 10);

    // What the provider saw: the key as a Bearer token, the user's message, streaming on.
    assert_eq!(
        world.provider.authorizations()[0].as_deref(),
        Some(format!("Bearer {KEY}").as_str())
    );
    let request = &world.provider.requests()[0];
    assert_eq!(request["stream"], true);
    assert_eq!(
        request["messages"].as_array().unwrap().last().unwrap()["content"],
        "Say hello"
    );

    let messages = world
        .host
        .get(&format!("/sessions/{session}/messages"))
        .json();
    let messages = messages["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["role"], "user");
    assert_eq!(messages[0]["parts"][0]["text"], "Say hello");
    assert_eq!(messages[1]["role"], "assistant");
    assert_eq!(
        messages[1]["parts"][0]["text"],
        "Hello from the scripted model."
    );
    assert_eq!(messages[1]["metadata"]["status"], "complete");
    let s = world.host.get(&format!("/sessions/{session}")).json();
    assert_eq!(s["title"], "Say hello");
    assert_eq!(s["usage"]["input_tokens"], 10);
    assert_eq!(s["provider"], "openrouter");
    assert!(
        !world.host.stderr_text().contains(KEY),
        "key in the host's logs"
    );
}

#[test]
fn provider_down_is_answered_before_any_stream() {
    let dir = tempfile::tempdir().unwrap();
    let host = TestHost::start(dir.path());
    let session = host.send("POST", "/sessions", json!({})).json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = host.send(
        "POST",
        &format!("/sessions/{session}/turns"),
        json!({"message": "hi"}),
    );
    assert_eq!((r.status, r.error_code().as_str()), (409, "provider_down"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    let r = host.send(
        "POST",
        &format!("/sessions/{session}/turns"),
        json!({"message": "hi", "provider": "ai-gateway"}),
    );
    assert_eq!((r.status, r.error_code().as_str()), (409, "provider_down"));
    // Nothing was recorded for the refused turns.
    let messages = host.get(&format!("/sessions/{session}/messages")).json();
    assert!(messages["messages"].as_array().unwrap().is_empty());
    let r = host.send("POST", "/sessions/ses_nope/turns", json!({"message": "hi"}));
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (404, "unknown_session")
    );
}

#[test]
fn split_tool_calls_and_a_two_step_loop() {
    let workspace = tempfile::tempdir().unwrap();
    std::fs::write(
        workspace.path().join("notes.txt"),
        "the secret word is tangerine\n",
    )
    .unwrap();
    let world = World::new(vec![
        Reply::Stream {
            events: vec![
                Scripted::Text {
                    text: "Let me look.".into(),
                },
                Scripted::ToolCall {
                    index: 0,
                    id: "call_1".into(),
                    name: "read_file".into(),
                    arguments: r#"{"path": "notes.txt"}"#.into(),
                    pieces: 7,
                },
                Scripted::Finish {
                    reason: "tool_calls".into(),
                },
                Scripted::Done,
            ],
        },
        Reply::text_answer("The word is tangerine."),
    ]);
    let session = world.session(Some(workspace.path()));
    let frames = world.turn_to_end(&session, "What is the secret word?");
    let k = kinds(&frames);
    // The arguments relayed as they came (as one when this reader was
    // behind the 7 pieces).
    let arguments: String = frames
        .iter()
        .filter(|f| f.kind() == "tool-input-delta")
        .map(|f| f.json()["inputTextDelta"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(arguments, r#"{"path": "notes.txt"}"#, "{k:?}");
    let available = frames
        .iter()
        .find(|f| f.kind() == "tool-input-available")
        .unwrap()
        .json();
    assert_eq!(available["toolName"], "read_file");
    assert_eq!(available["input"], json!({"path": "notes.txt"}));
    let output = frames
        .iter()
        .find(|f| f.kind() == "tool-output-available")
        .unwrap()
        .json();
    assert_eq!(output["toolCallId"], "call_1");
    assert!(output["output"].to_string().contains("tangerine"));
    assert_eq!(k.iter().filter(|k| *k == "start-step").count(), 2);
    assert!(text_of(&frames).ends_with("The word is tangerine."));

    let requests = world.provider.requests();
    assert_eq!(requests.len(), 2);
    let tools: Vec<&str> = requests[0]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap())
        .collect();
    assert!(
        tools.contains(&"read_file") && tools.contains(&"web_fetch"),
        "{tools:?}"
    );
    let second = requests[1]["messages"].as_array().unwrap();
    let tool_msg = second
        .iter()
        .find(|m| m["role"] == "tool")
        .expect("tool result sent back");
    assert_eq!(tool_msg["tool_call_id"], "call_1");
    assert!(tool_msg["content"].as_str().unwrap().contains("tangerine"));
    let assistant = second.iter().find(|m| m["role"] == "assistant").unwrap();
    assert_eq!(assistant["tool_calls"][0]["function"]["name"], "read_file");

    // The stored history replays into the next turn's request.
    world.push(vec![Reply::text_answer("Still tangerine.")]);
    world.turn_to_end(&session, "And again?");
    let third = &world.provider.requests()[2]["messages"];
    assert!(
        third.to_string().contains("call_1"),
        "history carries the tool call"
    );
}

#[test]
fn provider_failures_reach_the_client_as_errors() {
    let world = World::new(vec![
        // An error object in the middle of the stream.
        Reply::Stream {
            events: vec![
                Scripted::Text {
                    text: "partial ".into(),
                },
                Scripted::ErrorObject {
                    message: "upstream overloaded".into(),
                },
            ],
        },
        // 429 then success: retried before the first token.
        Reply::Error {
            status: 429,
            body: json!({"error": {"message": "slow down"}}),
            retry_after: None,
        },
        Reply::text_answer("after the retry"),
    ]);
    let session = world.session(None);
    let frames = world.turn_to_end(&session, "one");
    let k = kinds(&frames);
    assert!(k.contains(&"error".to_owned()), "{k:?}");
    assert_eq!(k.last().unwrap(), "[DONE]");
    let error = frames.iter().find(|f| f.kind() == "error").unwrap().json();
    assert!(error["errorText"]
        .as_str()
        .unwrap()
        .contains("upstream overloaded"));
    let messages = world
        .host
        .get(&format!("/sessions/{session}/messages"))
        .json();
    assert_eq!(messages["messages"][1]["metadata"]["status"], "error");
    assert_eq!(messages["messages"][1]["parts"][0]["text"], "partial ");

    let frames = world.turn_to_end(&session, "two");
    assert_eq!(text_of(&frames), "after the retry");
    assert_eq!(world.provider.requests().len(), 3);

    // A stalled stream hits the idle timeout and says so.
    world.configure(json!({"idle_timeout_ms": 300}));
    world.push(vec![Reply::Stream {
        events: vec![
            Scripted::Text {
                text: "thinking...".into(),
            },
            Scripted::Stall,
        ],
    }]);
    let started = Instant::now();
    let frames = world.turn_to_end(&session, "three");
    assert!(started.elapsed() < Duration::from_secs(5));
    let error = frames
        .iter()
        .find(|f| f.kind() == "error")
        .expect("idle timeout error")
        .json();
    assert!(
        error["errorText"]
            .as_str()
            .unwrap()
            .contains("provider_timeout"),
        "{error}"
    );
}

#[test]
fn abort_closes_the_provider_connection_and_finalises_the_message() {
    let world = World::new(vec![Reply::Stream {
        events: vec![
            Scripted::Text {
                text: "streaming forever".into(),
            },
            Scripted::Stall,
        ],
    }]);
    let session = world.session(None);
    let mut reader = world.turn(&session, "go");
    let first = reader.next_frames(4);
    assert!(kinds(&first).contains(&"text-delta".to_owned()));

    // A second turn while this one runs is refused.
    let r = world.host.send(
        "POST",
        &format!("/sessions/{session}/turns"),
        json!({"message": "again"}),
    );
    assert_eq!((r.status, r.error_code().as_str()), (409, "run_in_flight"));

    let r = world
        .host
        .request("POST", &format!("/sessions/{session}/abort"), None);
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["aborted"], true);
    let rest = reader.rest();
    let k = kinds(&rest);
    assert_eq!(&k[k.len() - 2..], ["abort", "[DONE]"], "{k:?}");
    assert!(k.contains(&"text-end".to_owned()));
    assert!(
        eventually(Duration::from_secs(3), || world.provider.disconnects() == 1),
        "timed out waiting for the provider to see the disconnect"
    );
    idle(&world.host, &session);
    let messages = world
        .host
        .get(&format!("/sessions/{session}/messages"))
        .json();
    assert_eq!(messages["messages"][1]["metadata"]["status"], "aborted");
    assert_eq!(
        messages["messages"][1]["parts"][0]["text"],
        "streaming forever"
    );
    let r = world
        .host
        .request("POST", &format!("/sessions/{session}/abort"), None);
    assert_eq!(r.json()["aborted"], false);
}

fn slow_answer(words: usize) -> Reply {
    let mut events = Vec::new();
    for i in 0..words {
        events.push(Scripted::Text {
            text: format!("w{i} "),
        });
        events.push(Scripted::Delay { ms: 15 });
    }
    events.push(Scripted::Finish {
        reason: "stop".into(),
    });
    events.push(Scripted::Done);
    Reply::Stream { events }
}

#[test]
fn disconnect_does_not_stop_the_turn_and_last_event_id_resumes_exactly() {
    let world = World::new(vec![slow_answer(40)]);
    let session = world.session(None);
    let mut reader = world.turn(&session, "count");
    let seen = reader.next_frames(6);
    drop(reader); // The client goes away mid-turn.
    let last_id = seen.last().unwrap().id.clone().unwrap();

    let resumed = stream_of(&world.host, &session, Some(&last_id));
    assert_eq!(resumed.status, 200);
    let rest = resumed.rest();
    assert_eq!(rest.last().unwrap().kind(), "[DONE]");
    let mut all = seen.clone();
    all.extend(rest);
    // In order, nothing missing, nothing twice (seqs() checks they rise).
    let turn = last_id.rsplit_once(':').unwrap().0.to_owned();
    seqs(&all, &turn);
    let expected: String = (0..40).map(|i| format!("w{i} ")).collect();
    assert_eq!(text_of(&all), expected);

    // The whole turn replays from the persisted log, also after a restart
    // (its deltas merged: deltas.rs).
    let full = stream_of(&world.host, &session, None).rest();
    seqs(&full, &turn);
    assert_eq!(text_of(&full), expected);
    assert_eq!(full.last(), all.last());
    let World {
        provider,
        host,
        dir,
    } = world;
    let user_data_path = host.user_data.clone();
    assert!(host.stop().success());
    let host = TestHost::start(&user_data_path);
    let mid = all[9].id.clone().unwrap();
    let replay = stream_of(&host, &session, Some(&mid)).rest();
    assert_eq!(text_of(&replay), text_of(&all[10..]));
    assert_eq!(replay.last(), all.last());
    drop(host);
    provider.shutdown();
    drop(dir);
}

/// The delta texts of `frames`, in order.
fn deltas_of(frames: &[SseFrame]) -> Vec<String> {
    frames
        .iter()
        .filter(|f| f.kind() == "text-delta")
        .map(|f| f.json()["delta"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_reader_behind_gets_consecutive_deltas_merged_and_one_at_pace_each_at_once() {
    const BURST: usize = 2_000;
    let stalled = |events: Vec<Scripted>| Reply::Stream {
        events: events.into_iter().chain([Scripted::Stall]).collect(),
    };
    let world = World::new(vec![
        stalled(vec![Scripted::Text {
            text: "alone".into(),
        }]),
        stalled(vec![Scripted::Deltas {
            count: BURST,
            text: "w ".into(),
        }]),
    ]);
    // The provider stalls after its deltas until the turn is aborted: an
    // idle timeout must not end the turn first (and add frames) on a slow
    // machine.
    world.configure(json!({"idle_timeout_ms": 600_000}));
    let session = world.session(None);
    let abort = |session: &str| {
        world
            .host
            .request("POST", &format!("/sessions/{session}/abort"), None);
    };

    // At a model's pace: the delta comes while the provider sends nothing
    // more, so nothing waited for more.
    let mut reader = world.turn(&session, "one");
    let frames = reader.next_frames(4);
    assert_eq!(
        kinds(&frames),
        ["start", "start-step", "text-start", "text-delta"]
    );
    assert_eq!(deltas_of(&frames), ["alone"]);
    abort(&session);
    assert_eq!(reader.rest().last().unwrap().kind(), "[DONE]");

    // A burst, read live (merged or not, as the reader kept up), then by a
    // second reader that asks when it is all there: one frame, carrying the
    // last delta's id.
    let whole = "w ".repeat(BURST);
    let mut live = world.turn(&session, "burst");
    let mut seen = Vec::new();
    while text_of(&seen).len() < whole.len() {
        let more = live.next_frames(1);
        assert!(
            !more.is_empty(),
            "the stream ended early: {:?}",
            kinds(&seen)
        );
        seen.extend(more);
    }
    assert_eq!(text_of(&seen), whole);
    let last_id = seen.last().unwrap().id.clone().unwrap();
    let mut late = stream_of(&world.host, &session, None);
    let replayed = late.next_frames(4);
    assert_eq!(
        kinds(&replayed),
        ["start", "start-step", "text-start", "text-delta"]
    );
    assert_eq!(deltas_of(&replayed), std::slice::from_ref(&whole));
    assert_eq!(replayed[3].id, Some(last_id.clone()));
    // Resuming from the frame before the burst (`text-start`): exactly
    // the burst, in one frame.
    let text_start = seen.iter().find(|f| f.kind() == "text-start").unwrap();
    let mut resumed = stream_of(&world.host, &session, text_start.id.as_deref());
    let rest = resumed.next_frames(1);
    assert_eq!(deltas_of(&rest), std::slice::from_ref(&whole));
    assert_eq!(rest[0].id, Some(last_id));
    abort(&session);
    assert_eq!(live.rest().last().unwrap().kind(), "[DONE]");
    drop((late, resumed));

    // The finished turn replays from the stored log in a few frames.
    let stored = stream_of(&world.host, &session, None).rest();
    assert_eq!(text_of(&stored), whole);
    assert_eq!(deltas_of(&stored).len(), 1, "{:?}", kinds(&stored));
    assert_eq!(stored.last().unwrap().kind(), "[DONE]");
    let messages = world
        .host
        .get(&format!("/sessions/{session}/messages"))
        .json();
    assert_eq!(messages["messages"][3]["parts"][0]["text"], whole);
}

#[test]
fn approvals_round_trip_and_denial() {
    let workspace = tempfile::tempdir().unwrap();
    let world = World::new(vec![
        Reply::tool_call(
            "call_w",
            "write_file",
            r#"{"path": "out.txt", "content": "approved!"}"#,
        ),
        Reply::text_answer("Written."),
        Reply::tool_call(
            "call_d",
            "write_file",
            r#"{"path": "denied.txt", "content": "nope"}"#,
        ),
        Reply::text_answer("Understood, not written."),
    ]);
    let session = world.session(Some(workspace.path()));

    for (approve, file, marker) in [
        (true, "out.txt", "tool-output-available"),
        (false, "denied.txt", "tool-output-denied"),
    ] {
        let status = SseReader::open(
            &world.host,
            "GET",
            &format!("/sessions/{session}/status"),
            None,
            &[],
        );
        let mut reader = world.turn(&session, "write it");
        let mut frames = Vec::new();
        let request = loop {
            let batch = reader.next_frames(1);
            assert!(!batch.is_empty(), "stream ended before an approval request");
            frames.extend(batch);
            if let Some(f) = frames.iter().find(|f| f.kind() == "tool-approval-request") {
                break f.json();
            }
        };
        assert!(
            !workspace.path().join(file).exists(),
            "nothing runs before the answer"
        );
        let mut status = status;
        let statuses: Vec<String> = status
            .next_frames(3)
            .iter()
            .map(|f| f.json()["status"].as_str().unwrap().to_owned())
            .collect();
        assert!(
            statuses.contains(&"waiting-for-approval".to_owned()),
            "{statuses:?}"
        );
        let approval = request["approvalId"].as_str().unwrap();
        let r = world.host.send(
            "POST",
            &format!("/sessions/{session}/approvals/{approval}"),
            json!({"approved": approve}),
        );
        assert_eq!(r.status, 204);
        frames.extend(reader.rest());
        assert!(
            kinds(&frames).contains(&marker.to_owned()),
            "{:?}",
            kinds(&frames)
        );
        assert_eq!(workspace.path().join(file).exists(), approve);
        let r = world.host.send(
            "POST",
            &format!("/sessions/{session}/approvals/{approval}"),
            json!({"approved": true}),
        );
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (404, "unknown_approval")
        );
    }
    assert_eq!(
        std::fs::read_to_string(workspace.path().join("out.txt")).unwrap(),
        "approved!"
    );
    let denied_request = &world.provider.requests()[3];
    assert!(
        denied_request.to_string().contains("denied"),
        "the model hears about the denial"
    );
}

#[test]
fn tool_containment_escapes_come_back_as_tool_errors() {
    let workspace = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "do not read").unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret.txt"),
        workspace.path().join("link"),
    )
    .unwrap();
    let abs = outside.path().join("secret.txt");
    let escapes = [
        "../secret.txt".to_owned(),
        abs.to_string_lossy().into_owned(),
        "link".to_owned(),
        "/etc/passwd".to_owned(),
    ];
    let mut script = Vec::new();
    for (i, path) in escapes.iter().enumerate() {
        script.push(Reply::tool_call(
            &format!("c{i}"),
            "read_file",
            &json!({"path": path}).to_string(),
        ));
    }
    script.push(Reply::text_answer("I could not read those."));
    let world = World::new(script);
    let session = world.session(Some(workspace.path()));
    let frames = world.turn_to_end(&session, "read everything");
    let errors: Vec<Value> = frames
        .iter()
        .filter(|f| f.kind() == "tool-output-error")
        .map(SseFrame::json)
        .collect();
    assert_eq!(errors.len(), escapes.len(), "{:?}", kinds(&frames));
    for f in &frames {
        assert!(
            !f.data.contains("do not read"),
            "secret content leaked: {}",
            f.data
        );
    }
    assert_eq!(
        frames[frames.len() - 2].json()["finishReason"],
        "stop",
        "the turn went on"
    );
}

#[test]
fn sessions_list_filter_rename_archive_delete() {
    let world = World::new(vec![Reply::text_answer("ok"), Reply::text_answer("ok")]);
    let a = world.session(None);
    let b = world.session(None);
    world.turn_to_end(&a, "about pelicans");
    world.turn_to_end(&b, "about herons");
    let host = &world.host;
    let page = host.get("/sessions?q=pelican").json();
    assert_eq!(page["total"], 1);
    assert_eq!(page["sessions"][0]["id"], a.as_str());
    let page = host.get("/sessions?limit=1").json();
    assert_eq!(page["total"], 2);
    assert_eq!(page["sessions"].as_array().unwrap().len(), 1);
    let r = host.send(
        "PATCH",
        &format!("/sessions/{a}"),
        json!({"title": "Birds", "archived": true}),
    );
    assert_eq!(r.json()["title"], "Birds");
    assert_eq!(host.get("/sessions").json()["total"], 1);
    assert_eq!(
        host.get("/sessions?include_archived=true").json()["total"],
        2
    );
    let r = host.send("PATCH", &format!("/sessions/{a}"), json!({"title": ""}));
    assert_eq!(r.error_code(), "invalid_title");
    assert_eq!(
        host.request("DELETE", &format!("/sessions/{a}"), None)
            .status,
        204
    );
    assert_eq!(host.get(&format!("/sessions/{a}")).status, 404);
    assert_eq!(host.get(&format!("/sessions/{a}/stream")).status, 404);
    let r = host.get("/sessions?limit=0");
    assert_eq!(r.error_code(), "invalid_query");
}

#[test]
fn the_step_limit_ends_a_tool_loop() {
    let workspace = tempfile::tempdir().unwrap();
    let world = World::new(vec![
        Reply::tool_call("s1", "list_files", "{}"),
        Reply::tool_call("s2", "list_files", "{}"),
        Reply::text_answer("never reached"),
    ]);
    let session = world.session(Some(workspace.path()));
    let reader = SseReader::open(
        &world.host,
        "POST",
        &format!("/sessions/{session}/turns"),
        Some(&json!({"message": "loop", "max_steps": 2})),
        &[],
    );
    let frames = reader.rest();
    let k = kinds(&frames);
    assert_eq!(k.iter().filter(|k| *k == "start-step").count(), 2, "{k:?}");
    assert_eq!(
        frames[frames.len() - 2].json()["finishReason"],
        "tool-calls"
    );
    assert_eq!(world.provider.requests().len(), 2, "no third model call");
    let r = world.host.send(
        "POST",
        &format!("/sessions/{session}/turns"),
        json!({"message": "x", "max_steps": 99}),
    );
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (400, "invalid_max_steps")
    );
}

#[test]
fn keys_and_credentials_stay_out_of_reach_of_routes_and_tools() {
    // The host's user-data directory and a key in the default places, a
    // project in the home directory with links pointing at both.
    let home = tempfile::tempdir().unwrap();
    let user_data = home.path().join(".local/share/agent-host");
    std::fs::create_dir_all(&user_data).unwrap();
    std::fs::create_dir_all(home.path().join(".ssh")).unwrap();
    std::fs::write(home.path().join(".ssh/id_ed25519"), "PRIVATE-KEY-MATERIAL").unwrap();
    let project = home.path().join("project");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(project.join("notes.md"), "fine to read").unwrap();
    std::os::unix::fs::symlink("../.ssh", project.join("keys")).unwrap();
    std::os::unix::fs::symlink("../.local/share/agent-host", project.join("data")).unwrap();

    let mut script = Vec::new();
    for (i, path) in ["keys/id_ed25519", "data/auth.json"].iter().enumerate() {
        script.push(Reply::tool_call(
            &format!("r{i}"),
            "read_file",
            &json!({"path": path}).to_string(),
        ));
    }
    script.push(Reply::tool_call(
        "g",
        "grep_files",
        r#"{"pattern": "PRIVATE|sk-or"}"#,
    ));
    script.push(Reply::tool_call(
        "l",
        "list_files",
        r#"{"recursive": true}"#,
    ));
    script.push(Reply::text_answer("done"));
    let provider = TestProvider::start(script);
    let home_str = home.path().to_str().unwrap().to_owned();
    let host = TestHost::start_with(
        launch_options(&user_data),
        &[("AGENT_HOST_SECRET_BACKEND", "file"), ("HOME", &home_str)],
    );
    provider.configure(&host, json!({}));

    // Routes: documents and workspace files refuse the protected locations.
    let r = host.send(
        "POST",
        "/documents",
        json!({"path": user_data.join("auth.json")}),
    );
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (403, "path_not_allowed")
    );
    let r = host.send(
        "POST",
        "/documents",
        json!({"path": home.path().join(".ssh/id_ed25519")}),
    );
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (403, "path_not_allowed")
    );
    // The home directory itself is no workspace: it holds both.
    let r = host.send("POST", "/workspaces", json!({"path": home.path()}));
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (403, "workspace_not_allowed")
    );
    let ws = host
        .send("POST", "/workspaces", json!({"path": project}))
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for path in ["keys/id_ed25519", "data/auth.json"] {
        let r = host.get(&format!(
            "/workspaces/{ws}/file?path={}",
            path.replace('/', "%2F")
        ));
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (403, "path_not_allowed"),
            "{path}"
        );
    }
    let r = host.send(
        "PUT",
        &format!("/workspaces/{ws}/file"),
        json!({"path": "keys/authorized_keys", "content": "attacker"}),
    );
    assert_eq!(r.status, 403);
    assert_eq!(
        host.get(&format!("/workspaces/{ws}/file?path=notes.md"))
            .status,
        200
    );

    // Tools: reads refused, grep and list never see inside.
    let session = host
        .send("POST", "/sessions", json!({"workspace_id": ws}))
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let frames = SseReader::open(
        &host,
        "POST",
        &format!("/sessions/{session}/turns"),
        Some(&json!({"message": "look around"})),
        &[],
    )
    .rest();
    let errors = frames
        .iter()
        .filter(|f| f.kind() == "tool-output-error")
        .count();
    assert_eq!(errors, 2, "{:?}", kinds(&frames));
    for f in &frames {
        assert!(
            !f.data.contains("PRIVATE-KEY-MATERIAL"),
            "key material leaked: {}",
            f.data
        );
        assert!(!f.data.contains(KEY), "provider key leaked: {}", f.data);
        assert!(
            !f.data.contains("id_ed25519") || f.kind() != "tool-output-available",
            "listed: {}",
            f.data
        );
    }
    assert!(
        !std::fs::read_to_string(home.path().join(".ssh/id_ed25519"))
            .unwrap()
            .contains("attacker")
    );
    drop(host);
    provider.shutdown();
}

#[test]
fn a_stored_key_is_never_sent_over_plain_http_off_the_machine() {
    let dir = tempfile::tempdir().unwrap();
    let host = TestHost::start(dir.path());
    for (provider, url) in [
        ("openrouter", "http://example.invalid/v1"),
        ("custom", "http://192.168.1.5:11434/v1"),
        ("ai-gateway", "ftp://example.invalid/v1"),
    ] {
        let r = host.send(
            "PUT",
            &format!("/providers/{provider}"),
            json!({"base_url": url}),
        );
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (400, "invalid_base_url"),
            "{url}"
        );
    }
    for url in [
        "https://example.invalid/v1",
        "http://127.0.0.1:11434/v1",
        "http://localhost:8080/v1",
    ] {
        let r = host.send("PUT", "/providers/custom", json!({"base_url": url}));
        assert_eq!(r.status, 200, "{url}");
    }
}

/// PATCH changes the fields it names and keeps the others (a settings form
/// that shows two of them leaves the timeouts as they were; PUT replaces
/// them all), `null` puts one back to its default, and a bad value is
/// refused with nothing changed, on disk either.
#[test]
fn a_provider_patch_changes_only_the_fields_it_names() {
    let dir = tempfile::tempdir().unwrap();
    let host = TestHost::start(dir.path());
    let stored = || -> serde_json::Value {
        let text = std::fs::read_to_string(dir.path().join("providers.json")).unwrap();
        serde_json::from_str::<serde_json::Value>(&text).unwrap()["providers"]["custom"].clone()
    };
    let put = host.send(
        "PUT",
        "/providers/custom",
        json!({"base_url": "http://127.0.0.1:11434/v1", "max_retries": 0, "idle_timeout_ms": 5000}),
    );
    assert_eq!(put.status, 200);

    let patch = host.send(
        "PATCH",
        "/providers/custom",
        json!({"default_model": "llama3.2"}),
    );
    assert_eq!(
        patch.status,
        200,
        "{}",
        String::from_utf8_lossy(&patch.body)
    );
    assert_eq!(
        stored(),
        json!({"base_url": "http://127.0.0.1:11434/v1", "default_model": "llama3.2", "max_retries": 0, "idle_timeout_ms": 5000})
    );
    let listed = host.get("/providers").json();
    let custom = listed["providers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["provider"] == "custom")
        .unwrap()
        .clone();
    assert_eq!(custom["default_model"], "llama3.2");
    assert_eq!(custom["base_url"], "http://127.0.0.1:11434/v1");

    // null: back to the default.
    let patch = host.send(
        "PATCH",
        "/providers/custom",
        json!({"idle_timeout_ms": null}),
    );
    assert_eq!(patch.status, 200);
    assert_eq!(
        stored(),
        json!({"base_url": "http://127.0.0.1:11434/v1", "default_model": "llama3.2", "max_retries": 0})
    );

    // Refused whole: nothing of it is kept.
    let bad = host.send(
        "PATCH",
        "/providers/custom",
        json!({"default_model": "other", "base_url": "http://192.168.1.5:11434/v1"}),
    );
    assert_eq!(
        (bad.status, bad.error_code().as_str()),
        (400, "invalid_base_url")
    );
    assert_eq!(stored()["default_model"], "llama3.2");
    let unknown = host.send("PATCH", "/providers/nope", json!({}));
    assert_eq!(
        (unknown.status, unknown.error_code().as_str()),
        (404, "unknown_provider")
    );
}

#[test]
fn a_host_crash_mid_turn_keeps_the_user_message_and_ends_the_replay_honestly() {
    let user_data = tempfile::tempdir().unwrap();
    let path = user_data.path().to_path_buf();
    let world = World::builder(vec![Reply::Stream {
        events: vec![
            Scripted::Text {
                text: "partial answer".into(),
            },
            Scripted::Stall,
        ],
    }])
    .user_data(user_data)
    .start();
    let session = world.session(None);
    let mut reader = world.turn(&session, "remember me");
    let seen = reader.next_frames(4);
    std::thread::sleep(Duration::from_millis(300)); // let the writer commit
    let World {
        provider,
        mut host,
        dir,
    } = world;
    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(host.pid as libc::pid_t, libc::SIGKILL) };
    host.wait_exit(Duration::from_secs(5))
        .expect("killed host exits");
    drop(reader);
    drop(host);

    let host = TestHost::start(&path);
    let messages = host.get(&format!("/sessions/{session}/messages")).json();
    let messages = messages["messages"].as_array().unwrap().clone();
    assert_eq!(
        messages[0]["parts"][0]["text"], "remember me",
        "the user message survived"
    );
    assert_eq!(messages[0]["metadata"]["status"], "complete");
    assert_eq!(messages[1]["metadata"]["status"], "interrupted");
    let replay = stream_of(&host, &session, None).rest();
    assert_eq!(
        &replay[..seen.len()],
        &seen[..],
        "the persisted log replays what was streamed"
    );
    let k = kinds(&replay);
    assert_eq!(&k[k.len() - 2..], ["error", "[DONE]"], "{k:?}");
    // A reader that saw the added ending resumes after it: not a second one.
    let (error, done) = (&replay[k.len() - 2], &replay[k.len() - 1]);
    let after_error = stream_of(&host, &session, error.id.as_deref()).rest();
    assert_eq!(after_error, std::slice::from_ref(done));
    let after_done = stream_of(&host, &session, done.id.as_deref()).rest();
    assert_eq!(after_done, []);
    drop(host);
    provider.shutdown();
    drop(dir);
}

/// Every entry under `dir` (not following symlinks) whose mode is not the
/// private one: 0700 for the directory and its subdirectories, 0600 for
/// everything else (regular files and sockets alike). Symlinks are refused.
fn not_private(dir: &std::path::Path) -> Vec<String> {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    let mut wrong = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        let meta = std::fs::symlink_metadata(&path).unwrap();
        let kind = meta.file_type();
        let mode = meta.permissions().mode() & 0o7777;
        let expected = if kind.is_dir() {
            for entry in std::fs::read_dir(&path).unwrap() {
                stack.push(entry.unwrap().path());
            }
            0o700
        } else if kind.is_symlink() {
            wrong.push(format!("{}: a symlink", path.display()));
            continue;
        } else if kind.is_file() || kind.is_socket() {
            0o600
        } else {
            wrong.push(format!("{}: unexpected file type", path.display()));
            continue;
        };
        if mode != expected {
            wrong.push(format!("{}: {mode:o}, want {expected:o}", path.display()));
        }
    }
    wrong.sort();
    wrong
}

/// Audit finding 4, "private by default": the user-data directory made by
/// someone else with the usual umask (the shell used `create_dir_all`, so
/// 0755) is 0700 once a host ran in it, and every file a full session
/// leaves there (the database and its -wal/-shm, the lock, every JSON
/// store, `auth.json`, `host.sock`) is 0600, while running and after
/// the host stopped.
#[test]
fn a_full_session_leaves_the_user_data_directory_private() {
    use std::os::unix::fs::PermissionsExt;
    // SAFETY: umask(2) cannot fail. 022 is the usual default, the umask
    // under which a mode left to it comes out readable by everyone.
    unsafe { libc::umask(0o022) };
    let user_data = tempfile::tempdir().unwrap();
    std::fs::set_permissions(user_data.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let files = tempfile::tempdir().unwrap();
    let doc = files.path().join("notes.md");
    std::fs::write(&doc, "# notes\n").unwrap();

    let provider = TestProvider::start(vec![Reply::text_answer("Kept private.")]);
    let mut options = launch_options(user_data.path());
    options.publish_connection = true;
    let host = TestHost::start_with(options, &[("AGENT_HOST_SECRET_BACKEND", "file")]);

    provider.configure(&host, json!({"idle_timeout_ms": 2000}));
    let r = host.send("POST", "/workspaces", json!({"path": files.path()}));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let workspace_id = r.json()["id"].as_str().unwrap().to_owned();
    let r = host.send(
        "PUT",
        &format!("/workspaces/{workspace_id}/policy"),
        json!({"tools": {"read_file": "allow", "write_file": "deny"}}),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let r = host.send("POST", "/documents", json!({"path": doc}));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let doc_id = r.json()["doc_id"].as_str().unwrap().to_owned();
    let r = host.send("POST", "/recent", json!({"doc_id": doc_id}));
    assert!(r.status < 300, "{}", String::from_utf8_lossy(&r.body));
    let r = host.send("POST", "/sessions", json!({"workspace_id": workspace_id}));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let session = r.json()["id"].as_str().unwrap().to_owned();
    let reader = SseReader::open(
        &host,
        "POST",
        &format!("/sessions/{session}/turns"),
        Some(&json!({"message": "Keep it private"})),
        &[],
    );
    assert_eq!(reader.status, 200);
    assert_eq!(text_of(&reader.rest()), "Kept private.");
    idle(&host, &session);

    let root = user_data.path();
    for name in [
        "host.lock",
        "sessions.db",
        "sessions.db-wal",
        "sessions.db-shm",
        "auth.json",
        "providers.json",
        "policies.json",
        "workspaces.json",
        "recent.json",
        "host.sock",
    ] {
        assert!(root.join(name).exists(), "{name} was not written");
    }
    let wrong = not_private(root);
    assert!(wrong.is_empty(), "while running:\n{}", wrong.join("\n"));
    // The 0755 directory was tightened, and said so.
    let log = host.stderr_text();
    assert!(
        log.lines().any(|l| l.contains("WARN")
            && l.contains("group/other permissions removed")
            && l.contains("0755")),
        "no warning about the tightened directory:\n{log}"
    );

    assert!(host.stop().success());
    let wrong = not_private(root);
    assert!(wrong.is_empty(), "after stopping:\n{}", wrong.join("\n"));
    provider.shutdown();
}

#[test]
fn session_search_finds_the_words_of_titles_and_messages_not_their_json() {
    let world = World::new(vec![
        Reply::text_answer("Pelicans fly low over the water."),
        Reply::text_answer("It marks the words as a quotation."),
    ]);
    let a = world.session(None);
    let b = world.session(None);
    let c = world.session(None);
    world.turn_to_end(&a, "about pelicans");
    world.turn_to_end(&b, r#"what does it's "quoted" mean in plain text?"#);
    idle(&world.host, &a);
    idle(&world.host, &b);
    let host = &world.host;
    let found = |q: &str| -> Vec<String> {
        let r = host.get(&format!("/sessions?q={q}&include_archived=true"));
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        let page = r.json();
        let mut ids: Vec<String> = page["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(page["total"], ids.len());
        ids.sort();
        ids
    };
    let only = |id: &str| vec![id.to_owned()];

    // Every stored part is JSON with a "text" key; only b says "text".
    assert_eq!(found("text"), only(&b));
    // Quotes and apostrophes (it's "quoted"), percent-encoded.
    assert_eq!(found("it%27s%20%22quoted%22"), only(&b));
    // The assistant's answer, by word prefix, case folded.
    assert_eq!(found("QUOTAT"), only(&b));
    assert_eq!(found("pelic%20WATER"), only(&a));
    // FTS syntax is text, never an error.
    assert!(found("pelicans%20OR%20quoted").is_empty());
    assert!(found("%22").is_empty());
    assert!(
        found("NEAR(pelicans").is_empty(),
        "the phrase \"near pelicans\""
    );
    assert_eq!(found("pelicans%20-%20%5E%20*"), only(&a));
    // A renamed title is found; an empty q is no filter.
    let r = host.send(
        "PATCH",
        &format!("/sessions/{c}"),
        json!({"title": "Seabirds"}),
    );
    assert_eq!(r.status, 200);
    assert_eq!(found("seabird"), only(&c));
    assert_eq!(found("").len(), 3);
    // A deleted session is gone from the index.
    assert_eq!(
        host.request("DELETE", &format!("/sessions/{b}"), None)
            .status,
        204
    );
    assert!(found("quoted").is_empty());
}

/// The languages a session's code blocks name, newest first: the user's
/// question's and the answer's, kept across turns and listed with the
/// session (a window warms their highlighting before opening it).
#[test]
fn a_sessions_code_languages_are_its_newest_code_blocks_languages() {
    let world = World::new(vec![
        Reply::text_answer("Like this:\n\n```Rust\nfn a() {}\n```\n\nor\n\n~~~python\nb()\n~~~\n"),
        Reply::text_answer("No code this time."),
        Reply::text_answer("```ts\nconst c = 1;\n```"),
    ]);
    let id = world.session(None);
    let languages = || -> serde_json::Value {
        let r = world.host.get(&format!("/sessions/{id}"));
        assert_eq!(r.status, 200);
        let one = r.json()["code_languages"].clone();
        let list = world.host.get("/sessions").json();
        assert_eq!(
            list["sessions"][0]["code_languages"], one,
            "the list agrees"
        );
        one
    };
    assert_eq!(languages(), json!([]));
    world.turn_to_end(&id, "What is wrong with\n```bash\nrm -rf $DIR/\n```");
    idle(&world.host, &id);
    assert_eq!(languages(), json!(["python", "rust", "bash"]));
    world.turn_to_end(&id, "Thanks.");
    idle(&world.host, &id);
    assert_eq!(languages(), json!(["python", "rust", "bash"]));
    world.turn_to_end(&id, "And in TypeScript, with ```inline``` code?");
    idle(&world.host, &id);
    assert_eq!(languages(), json!(["ts", "python", "rust", "bash"]));
}
