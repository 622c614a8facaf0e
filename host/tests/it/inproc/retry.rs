//! Retrying a failed turn in-process (`POST /sessions/{id}/turns/retry`),
//! against the scripted provider: the question is answered again without
//! being stored again, the failed answer is superseded (kept, no longer
//! listed or sent to the model), a failed answer keeps its reason, and the
//! refusals.

use std::time::Duration;

use agent_provider::scripted::{Reply, Scripted, ScriptedProvider};
use axum::body::Body;
use axum::http::Request;
use serde_json::{json, Value};
use tower::ServiceExt;

use super::Host;

const QUESTION: &str = "What is 6 × 7?";

/// A reply that starts an answer, then fails mid-stream with OpenRouter's
/// error object (not retried by the provider client: text was yielded).
fn breaks_off(text: &str, error: &str) -> Reply {
    Reply::Stream {
        events: vec![
            Scripted::Text { text: text.into() },
            Scripted::ErrorObject {
                message: error.into(),
            },
        ],
    }
}

async fn messages(host: &Host, session: &str) -> Vec<Value> {
    host.get(&format!("/sessions/{session}/messages"))
        .await
        .json()["messages"]
        .as_array()
        .unwrap()
        .clone()
}

/// `(role, status, text)` of each listed message.
fn summary(messages: &[Value]) -> Vec<(String, String, String)> {
    messages
        .iter()
        .map(|m| {
            let text: String = m["parts"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| p["type"] == "text")
                .map(|p| p["text"].as_str().unwrap())
                .collect();
            (
                m["role"].as_str().unwrap().to_owned(),
                m["metadata"]["status"].as_str().unwrap().to_owned(),
                text,
            )
        })
        .collect()
}

fn row(role: &str, status: &str, text: &str) -> (String, String, String) {
    (role.into(), status.into(), text.into())
}

/// The `(role, content)` of each message of a provider request.
fn sent(request: &Value) -> Vec<(String, String)> {
    request["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["role"].as_str().unwrap().to_owned(),
                m["content"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

async fn retry(host: &Host, session: &str, body: Value) -> super::Reply {
    host.call(
        "POST",
        &format!("/sessions/{session}/turns/retry"),
        Some(body),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_turn_is_answered_again_without_storing_the_question_twice() {
    let provider = ScriptedProvider::start(vec![
        Reply::text_answer("Hello."),
        breaks_off("Six times seven ", "upstream overloaded"),
        breaks_off("Six times ", "upstream still overloaded"),
        Reply::text_answer("It is 42."),
    ])
    .await
    .unwrap();
    let host = Host::new();
    host.use_provider(&provider).await;
    let session = host.session(json!({})).await;
    let turns = format!("/sessions/{session}/turns");

    let first = host
        .call("POST", &turns, Some(json!({ "message": "Hi" })))
        .await;
    assert_eq!(first.status, 200, "{}", first.text());
    let failed = host
        .call("POST", &turns, Some(json!({ "message": QUESTION })))
        .await;
    assert_eq!(failed.status, 200);
    assert!(
        failed
            .text()
            .contains("upstream overloaded (provider_error)"),
        "{}",
        failed.text()
    );

    // The failed answer is stored with its reason.
    let stored = messages(&host, &session).await;
    assert_eq!(
        summary(&stored),
        [
            row("user", "complete", "Hi"),
            row("assistant", "complete", "Hello."),
            row("user", "complete", QUESTION),
            row("assistant", "error", "Six times seven "),
        ]
    );
    assert_eq!(
        stored[3]["metadata"]["error"],
        json!({ "code": "provider_error", "message": "the provider reported an error: upstream overloaded" })
    );
    assert!(stored[1]["metadata"].get("error").is_none(), "{stored:?}");
    let failed_turn = stored[3]["metadata"]["turnId"].as_str().unwrap().to_owned();
    let question_id = stored[2]["id"].clone();

    // Retry: fails again, then once more and it lands.
    let again = retry(&host, &session, json!({})).await;
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(
        again
            .headers
            .get("x-vercel-ai-ui-message-stream")
            .and_then(|v| v.to_str().ok()),
        Some("v1")
    );
    assert!(again.text().contains("upstream still overloaded"));
    let stored = messages(&host, &session).await;
    assert_eq!(
        summary(&stored)[2..],
        [
            row("user", "complete", QUESTION),
            row("assistant", "error", "Six times "),
        ]
    );
    assert_eq!(stored[2]["id"], question_id, "the same stored question");
    assert_ne!(stored[3]["metadata"]["turnId"], failed_turn.as_str());
    assert_eq!(
        stored[3]["metadata"]["error"]["message"],
        "the provider reported an error: upstream still overloaded"
    );

    let landed = retry(
        &host,
        &session,
        json!({ "expected_message": QUESTION, "max_steps": 3 }),
    )
    .await;
    assert_eq!(landed.status, 200, "{}", landed.text());
    let body = landed.text();
    assert!(body.contains(r#""type":"start""#), "{body}");
    assert!(body.contains(r#""type":"finish""#), "{body}");
    let stored = messages(&host, &session).await;
    assert_eq!(
        summary(&stored),
        [
            row("user", "complete", "Hi"),
            row("assistant", "complete", "Hello."),
            row("user", "complete", QUESTION),
            row("assistant", "complete", "It is 42."),
        ]
    );
    assert_eq!(stored[2]["id"], question_id);
    assert!(stored[3]["metadata"].get("error").is_none());

    // What the model saw each time: the history without any failed answer,
    // and the question once.
    let requests = provider.requests();
    assert_eq!(requests.len(), 4);
    for request in &requests[1..] {
        let sent = sent(request);
        assert_eq!(sent[0].0, "system");
        assert_eq!(
            sent[1..],
            [
                ("user".to_owned(), "Hi".to_owned()),
                ("assistant".to_owned(), "Hello.".to_owned()),
                ("user".to_owned(), QUESTION.to_owned()),
            ],
            "{request}"
        );
    }

    // The title is the first message's; nothing is left to retry.
    let row = host.get(&format!("/sessions/{session}")).await.json();
    assert_eq!(row["title"], "Hi");
    let r = retry(&host, &session, json!({})).await;
    assert_eq!(r.error(), (409, "nothing_to_retry".to_owned()));
    // The next message's history has no failed answer either.
    provider.push([Reply::text_answer("Yes.")]);
    let next = host
        .call("POST", &turns, Some(json!({ "message": "Sure?" })))
        .await;
    assert_eq!(next.status, 200);
    let sent = sent(provider.requests().last().unwrap());
    assert_eq!(
        sent.iter()
            .filter(|(_, content)| content == QUESTION || content.starts_with("Six"))
            .count(),
        1,
        "{sent:?}"
    );
    // Search no longer finds the superseded answers' text.
    let found = host.get("/sessions?q=Six").await.json();
    assert_eq!(found["total"], 0, "{found}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_is_refused_when_there_is_nothing_to_retry() {
    let host = Host::new();
    // No such session.
    let r = retry(&host, "ses_nope", json!({})).await;
    assert_eq!(r.error(), (404, "unknown_session".to_owned()));

    // A turn refused before it was stored (no provider): nothing to retry,
    // even before the provider is looked at; the client sends it anew.
    let session = host.session(json!({})).await;
    let r = host
        .call(
            "POST",
            &format!("/sessions/{session}/turns"),
            Some(json!({ "message": QUESTION })),
        )
        .await;
    assert_eq!(r.error(), (409, "provider_down".to_owned()));
    let r = retry(&host, &session, json!({ "expected_message": QUESTION })).await;
    assert_eq!(r.error(), (409, "nothing_to_retry".to_owned()));
    assert!(r.message().contains("nothing to retry"), "{}", r.message());
    let r = retry(&host, &session, json!({ "max_steps": 0 })).await;
    assert_eq!(r.error(), (400, "invalid_max_steps".to_owned()));

    let provider = ScriptedProvider::start(vec![
        breaks_off("Partly ", "upstream overloaded"),
        Reply::Stream {
            events: vec![
                Scripted::Text {
                    text: "Thinking ".into(),
                },
                Scripted::Stall,
            ],
        },
    ])
    .await
    .unwrap();
    host.use_provider(&provider).await;
    let failed = host
        .call(
            "POST",
            &format!("/sessions/{session}/turns"),
            Some(json!({ "message": "First question" })),
        )
        .await;
    assert_eq!(failed.status, 200);

    // The client means another message than the one that failed (its own
    // was refused before it was stored): nothing to retry, nothing changed.
    let r = retry(&host, &session, json!({ "expected_message": QUESTION })).await;
    assert_eq!(r.error(), (409, "nothing_to_retry".to_owned()));
    assert_eq!(messages(&host, &session).await.len(), 2);
    assert_eq!(provider.requests().len(), 1);

    // A turn running: refused, and the running turn goes on.
    let running = host
        .host
        .service()
        .oneshot(
            Request::post(format!("/sessions/{session}/turns/retry"))
                .header("content-type", "application/json")
                .body(Body::from("{}"))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(running.status(), 200);
    let r = retry(&host, &session, json!({})).await;
    assert_eq!(r.error(), (409, "run_in_flight".to_owned()));
    drop(running);
    host.ok("POST", &format!("/sessions/{session}/abort"), json!({}))
        .await;
    let mut status = String::new();
    for _ in 0..200 {
        let stored = messages(&host, &session).await;
        status = stored.last().unwrap()["metadata"]["status"]
            .as_str()
            .unwrap()
            .to_owned();
        if status != "streaming" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(status, "aborted");
    // An aborted answer is the user's choice, not a failure.
    let r = retry(&host, &session, json!({})).await;
    assert_eq!(r.error(), (409, "nothing_to_retry".to_owned()));
    assert_eq!(
        summary(&messages(&host, &session).await),
        [
            row("user", "complete", "First question"),
            row("assistant", "aborted", "Thinking "),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_turn_that_changed_files_is_not_retried() {
    let provider = ScriptedProvider::start(vec![
        Reply::tool_call(
            "call_1",
            "write_file",
            r#"{"path": "out.txt", "content": "written\n"}"#,
        ),
        breaks_off("I wrote ", "upstream overloaded"),
    ])
    .await
    .unwrap();
    let host = Host::new();
    host.use_provider(&provider).await;
    let (workspace, path) = host.workspace("project").await;
    host.ok(
        "PUT",
        &format!("/workspaces/{workspace}/policy"),
        json!({ "tools": { "write_file": "allow" } }),
    )
    .await;
    let session = host.session(json!({ "workspace_id": workspace })).await;
    let turn = host
        .call(
            "POST",
            &format!("/sessions/{session}/turns"),
            Some(json!({ "message": "Write out.txt" })),
        )
        .await;
    assert_eq!(turn.status, 200);
    assert!(
        turn.text().contains("upstream overloaded"),
        "{}",
        turn.text()
    );
    assert_eq!(
        std::fs::read_to_string(path.join("out.txt")).unwrap(),
        "written\n"
    );
    let before = messages(&host, &session).await;
    assert_eq!(before[1]["metadata"]["status"], "error");
    let turn_id = before[1]["metadata"]["turnId"].as_str().unwrap().to_owned();

    let r = retry(&host, &session, json!({})).await;
    assert_eq!(r.error(), (409, "retry_after_changes".to_owned()));
    assert!(
        r.message().contains("send a new message"),
        "{}",
        r.message()
    );

    // Nothing changed: the answer is listed, its changes and undo are
    // there, the file is as the turn left it, the model was not asked.
    assert_eq!(messages(&host, &session).await, before);
    let changes = host
        .get(&format!("/sessions/{session}/turns/{turn_id}/changes"))
        .await;
    assert_eq!(changes.status, 200);
    assert_eq!(
        changes.json()["files"][0]["path"],
        path.join("out.txt").to_str().unwrap()
    );
    assert_eq!(
        std::fs::read_to_string(path.join("out.txt")).unwrap(),
        "written\n"
    );
    assert_eq!(provider.requests().len(), 2);
    assert_eq!(provider.remaining(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_failure_reason_never_holds_the_key() {
    const KEY: &str = "sk-retry-secret-4242";
    let provider = ScriptedProvider::start(vec![
        Reply::error(401, &format!("Invalid key {KEY}")),
        breaks_off("Hi ", &format!("key {KEY} was revoked")),
    ])
    .await
    .unwrap();
    let host = Host::new();
    host.use_provider(&provider).await;
    host.ok("PUT", "/secrets/custom", json!({ "key": KEY }))
        .await;
    let session = host.session(json!({})).await;
    for message in ["one", "two"] {
        let turn = host
            .call(
                "POST",
                &format!("/sessions/{session}/turns"),
                Some(json!({ "message": message })),
            )
            .await;
        assert_eq!(turn.status, 200);
        assert!(!turn.text().contains(KEY), "{}", turn.text());
    }
    let listed = host.get(&format!("/sessions/{session}/messages")).await;
    assert!(!listed.text().contains(KEY), "{}", listed.text());
    let stored = listed.json()["messages"].as_array().unwrap().clone();
    assert_eq!(stored[1]["metadata"]["error"]["code"], "provider_auth");
    assert_eq!(stored[3]["metadata"]["error"]["code"], "provider_error");
    for answer in [&stored[1], &stored[3]] {
        let message = answer["metadata"]["error"]["message"].as_str().unwrap();
        assert!(message.contains("[redacted]"), "{message}");
    }
}

/// Retry is clicked the moment the failed stream ends: the session is
/// already free (the run's log closes only after the session is released),
/// so it is never `run_in_flight`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_right_after_the_failed_stream_ended_is_accepted() {
    const ROUNDS: usize = 40;
    let provider = ScriptedProvider::start(vec![]).await.unwrap();
    let host = Host::new();
    host.use_provider(&provider).await;
    let session = host.session(json!({})).await;
    provider.push([breaks_off("No ", "upstream overloaded")]);
    let first = host
        .call(
            "POST",
            &format!("/sessions/{session}/turns"),
            Some(json!({ "message": QUESTION })),
        )
        .await;
    assert_eq!(first.status, 200);
    for round in 0..ROUNDS {
        provider.push([breaks_off("No ", "upstream overloaded")]);
        let again = retry(&host, &session, json!({})).await;
        assert_eq!(again.status, 200, "round {round}: {}", again.text());
    }
    assert_eq!(
        summary(&messages(&host, &session).await),
        [
            row("user", "complete", QUESTION),
            row("assistant", "error", "No "),
        ]
    );
    assert_eq!(provider.requests().len(), ROUNDS + 1);
}
