//! One agent turn in-process, against the scripted OpenAI-compatible
//! provider on loopback: the stream's SSE framing, the tool loop in a
//! workspace, what is stored, and resumption by `Last-Event-ID`.

use agent_provider::scripted::{Reply, Scripted, ScriptedProvider};
use axum::body::Body;
use axum::http::Request;
use futures_util::StreamExt;
use serde_json::{json, Value};

use super::Host;

/// `(id, data)` of each frame of a whole SSE body; every frame must be
/// exactly an `id:` line and a `data:` line.
fn frames(body: &str) -> Vec<(String, String)> {
    assert!(body.ends_with("\n\n"), "{body}");
    body.trim_end_matches("\n\n")
        .split("\n\n")
        .map(|frame| {
            let (id, data) = frame.split_once('\n').expect("two lines");
            (
                id.strip_prefix("id: ").expect("id line").to_owned(),
                data.strip_prefix("data: ").expect("data line").to_owned(),
            )
        })
        .collect()
}

fn kind(data: &str) -> String {
    serde_json::from_str::<Value>(data)
        .map(|v| v["type"].as_str().unwrap_or_default().to_owned())
        .unwrap_or_else(|_| data.to_owned())
}

/// `frames` as a reader behind them gets them: each run of text,
/// reasoning or tool-input deltas of one block or call joined into one
/// frame with the run's last id (the host's wire format, field for field;
/// without the host's 32 KiB bound, which these answers do not reach).
fn merged(frames: &[(String, String)]) -> Vec<(String, String)> {
    // (id, data, and for a delta: its kind, block and text so far)
    type Delta = (String, String, String);
    let mut out: Vec<(String, String, Option<Delta>)> = Vec::new();
    for (id, data) in frames {
        let v: Value = serde_json::from_str(data).unwrap_or(Value::Null);
        let delta = match v["type"].as_str() {
            Some("text-delta") => Some(("text-delta", "id", "delta")),
            Some("reasoning-delta") => Some(("reasoning-delta", "id", "delta")),
            Some("tool-input-delta") => Some(("tool-input-delta", "toolCallId", "inputTextDelta")),
            _ => None,
        };
        let Some((kind, key, field)) = delta else {
            out.push((id.clone(), data.clone(), None));
            continue;
        };
        let (block, text) = (v[key].as_str().unwrap(), v[field].as_str().unwrap());
        if let Some((last_id, _, Some((k, b, t)))) = out.last_mut() {
            if k == kind && b == block {
                t.push_str(text);
                *last_id = id.clone();
                continue;
            }
        }
        out.push((
            id.clone(),
            data.clone(),
            Some((kind.into(), block.into(), text.into())),
        ));
    }
    out.into_iter()
        .map(|(id, data, delta)| match delta {
            None => (id, data),
            Some((kind, block, text)) => {
                let key = if kind != "tool-input-delta" {
                    ("id", "delta")
                } else {
                    ("toolCallId", "inputTextDelta")
                };
                let data = format!(
                    r#"{{"type":"{kind}","{}":{},"{}":{}}}"#,
                    key.0,
                    Value::from(block),
                    key.1,
                    Value::from(text)
                );
                (id, data)
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_turn_streams_runs_a_tool_persists_and_resumes() {
    let provider = ScriptedProvider::start(vec![
        Reply::Stream {
            events: vec![
                Scripted::ToolCall {
                    index: 0,
                    id: "call_1".into(),
                    name: "read_file".into(),
                    arguments: r#"{"path": "notes.txt"}"#.into(),
                    pieces: 3,
                },
                Scripted::Finish {
                    reason: "tool_calls".into(),
                },
                Scripted::Done,
            ],
        },
        Reply::text_answer("The word is tangerine."),
    ])
    .await
    .unwrap();
    let host = Host::new();
    host.use_provider(&provider).await;
    let (workspace, path) = host.workspace("project").await;
    std::fs::write(path.join("notes.txt"), "the secret word is tangerine\n").unwrap();
    let session = host.session(json!({ "workspace_id": workspace })).await;

    let turn = host
        .call(
            "POST",
            &format!("/sessions/{session}/turns"),
            Some(json!({ "message": "What is the secret word?" })),
        )
        .await;
    assert_eq!(turn.status, 200, "{}", turn.text());
    let header = |name: &str| turn.headers.get(name).and_then(|v| v.to_str().ok());
    assert_eq!(header("content-type"), Some("text/event-stream"));
    assert_eq!(header("x-vercel-ai-ui-message-stream"), Some("v1"));
    assert_eq!(header("cache-control"), Some("no-cache"));
    assert_eq!(header("x-accel-buffering"), Some("no"));

    let all = frames(&turn.text());
    let (turn_id, _) = all[0].0.rsplit_once(':').unwrap();
    assert!(turn_id.starts_with("turn_"), "{turn_id}");
    // Numbered from 1, rising (a run of deltas the body had not yet sent
    // when the next came is one frame with the run's last number).
    let seqs: Vec<u64> = all
        .iter()
        .map(|(id, _)| {
            let (turn, seq) = id.rsplit_once(':').unwrap();
            assert_eq!(turn, turn_id);
            seq.parse().unwrap()
        })
        .collect();
    assert_eq!(seqs[0], 1);
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    let kinds: Vec<String> = all.iter().map(|(_, data)| kind(data)).collect();
    assert_eq!(&kinds[..2], ["start", "start-step"]);
    assert_eq!(kinds.last().unwrap(), "[DONE]");
    let output = all
        .iter()
        .find(|(_, data)| kind(data) == "tool-output-available")
        .expect("the tool ran");
    assert!(output.1.contains("tangerine"));
    let text: String = all
        .iter()
        .filter(|(_, data)| kind(data) == "text-delta")
        .map(|(_, data)| {
            serde_json::from_str::<Value>(data).unwrap()["delta"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(text, "The word is tangerine.");
    assert_eq!(provider.requests().len(), 2);

    // Stored: the user's message and the complete answer, session retitled.
    let messages = host
        .get(&format!("/sessions/{session}/messages"))
        .await
        .json();
    let messages = messages["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["role"], "user");
    assert_eq!(messages[1]["role"], "assistant");
    assert_eq!(messages[1]["metadata"]["status"], "complete");
    assert!(messages[1]["parts"].to_string().contains("tangerine"));
    let stored = host.get(&format!("/sessions/{session}")).await.json();
    assert_eq!(stored["title"], "What is the secret word?");
    assert_eq!(stored["provider"], "custom");

    // Resuming replays the stored log after the client's last frame.
    let resume = |last: Option<String>| {
        let mut request = Request::get(format!("/sessions/{session}/stream"));
        if let Some(last) = last {
            request = request.header("last-event-id", last);
        }
        host.request(request.body(Body::empty()).unwrap())
    };
    // (A replay has each run of deltas merged into one frame: deltas.rs.)
    let replay = resume(None).await;
    assert_eq!(replay.status, 200);
    let replayed = frames(&replay.text());
    assert_eq!(merged(&all), replayed);
    let n = all.len();
    let tail = resume(Some(all[n - 3].0.clone())).await;
    assert_eq!(frames(&tail.text()), all[n - 2..]);
    // A cursor into another turn means "from the start".
    let other = resume(Some("turn_other:3".into())).await;
    assert_eq!(frames(&other.text()), replayed);

    // The status stream opens with the current status.
    let status = host
        .first_chunk(
            Request::get(format!("/sessions/{session}/status"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, "data: {\"status\":\"idle\"}\n\n");
}

impl Host {
    /// The first body chunk of a response that does not end by itself.
    async fn first_chunk(&self, request: Request<Body>) -> String {
        use tower::ServiceExt;
        let response = self.host.service().oneshot(request).await.unwrap();
        assert_eq!(response.status(), 200);
        let first = response
            .into_body()
            .into_data_stream()
            .next()
            .await
            .expect("a first event")
            .unwrap();
        String::from_utf8(first.to_vec()).unwrap()
    }
}
