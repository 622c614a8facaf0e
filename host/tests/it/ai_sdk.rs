//! The real `ai` npm package reads the host's agent stream unchanged:
//! tests/ai-sdk/read-stream.mjs parses a live turn with
//! `parseJsonEventStream` + `uiMessageChunkSchema` and `readUIMessageStream`.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::support::*;
use agent_provider::scripted::{Reply, Scripted};
use serde_json::{json, Value};

const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/ai-sdk/read-stream.mjs"
);

#[test]
fn the_ai_package_reads_a_tool_using_turn() {
    let world = World::builder(vec![
        Reply::Stream {
            events: vec![
                Scripted::Reasoning {
                    text: "I should list the files.".into(),
                },
                Scripted::Text {
                    text: "Looking… ".into(),
                },
                Scripted::ToolCall {
                    index: 0,
                    id: "call_ls".into(),
                    name: "list_files".into(),
                    arguments: "{}".into(),
                    pieces: 3,
                },
                Scripted::Finish {
                    reason: "tool_calls".into(),
                },
                Scripted::Usage {
                    input: 12,
                    output: 7,
                },
                Scripted::Done,
            ],
        },
        Reply::text_answer("There is one file: hello.md."),
    ])
    .settings(json!({}))
    .start();
    let workspace = tempfile::tempdir().unwrap();
    std::fs::write(workspace.path().join("hello.md"), "# hi\n").unwrap();
    let session = world.session(Some(workspace.path()));
    let host = &world.host;

    let input = json!({
        "port": host.port,
        "password": host.password,
        "referer": REFERER,
        "session": session,
        "message": "What files are there?",
    });
    let result = read_with_node(&input);
    let types: Vec<&str> = result["chunks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["type"].as_str().unwrap())
        .collect();
    for expected in [
        "start",
        "reasoning-start",
        "text-delta",
        "tool-input-start",
        "tool-input-delta",
        "tool-input-available",
        "tool-output-available",
        "finish-step",
        "finish",
    ] {
        assert!(
            types.contains(&expected),
            "{expected} missing from {types:?}"
        );
    }
    let message = &result["message"];
    assert_eq!(message["role"], "assistant");
    assert_eq!(message["metadata"]["sessionId"], session.as_str());
    let parts = message["parts"].as_array().unwrap();
    let tool = parts
        .iter()
        .find(|p| p["type"] == "tool-list_files")
        .expect("a tool part assembled by the ai package");
    assert_eq!(tool["state"], "output-available");
    assert!(tool["output"].to_string().contains("hello.md"));
    let text: String = parts
        .iter()
        .filter(|p| p["type"] == "text")
        .map(|p| p["text"].as_str().unwrap())
        .collect();
    assert!(text.contains("There is one file: hello.md."), "{text}");
    assert!(parts.iter().any(|p| p["type"] == "reasoning"));

    // The recorded turn (the persisted chunk log) reads back as the same
    // message, from the same chunks with their deltas merged.
    let mut replay_input = input.clone();
    replay_input.as_object_mut().unwrap().remove("message");
    let replay = read_with_node(&replay_input);
    assert_eq!(joined(&replay["chunks"]), joined(&result["chunks"]));
    assert_eq!(replay["message"], result["message"]);
    world.shutdown();
}

/// `chunks` with each run of deltas of one block or tool call joined, as
/// a reader that fell behind gets them (host/src/agent/deltas.rs).
fn joined(chunks: &Value) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for chunk in chunks.as_array().unwrap() {
        let (id, text) = match chunk["type"].as_str() {
            Some("text-delta" | "reasoning-delta") => ("id", "delta"),
            Some("tool-input-delta") => ("toolCallId", "inputTextDelta"),
            _ => {
                out.push(chunk.clone());
                continue;
            }
        };
        if let Some(last) = out.last_mut() {
            if last["type"] == chunk["type"] && last[id] == chunk[id] {
                let more = chunk[text].as_str().unwrap();
                last[text] = Value::from(format!("{}{more}", last[text].as_str().unwrap()));
                continue;
            }
        }
        out.push(chunk.clone());
    }
    out
}

fn read_with_node(input: &Value) -> Value {
    let mut node = Command::new("node")
        .arg(SCRIPT)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node is installed (scripts/setup.sh installs the ai package)");
    writeln!(node.stdin.take().unwrap(), "{input}").unwrap();
    let output = node.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "node failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}
