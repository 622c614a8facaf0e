//! Well-formed answers from the scripted server, over real loopback.

use crate::common::{collect, endpoint, fast_config, open, request};
use agent_provider::scripted::{Reply, Scripted, ScriptedProvider};
use agent_provider::{AssistantTurn, ChatMessage, Client, FinishReason, StreamEvent, ToolSpec};
use serde_json::json;

fn text(t: &str) -> Scripted {
    Scripted::Text { text: t.into() }
}

fn finish(reason: &str) -> Scripted {
    Scripted::Finish {
        reason: reason.into(),
    }
}

#[tokio::test]
async fn plain_answer() {
    let server = ScriptedProvider::start(vec![Reply::text_answer("Hello there, world")])
        .await
        .unwrap();
    let (events, error) = collect(open(&server).await.unwrap()).await;
    assert_eq!(error, None);
    assert_eq!(
        events,
        vec![
            StreamEvent::TextDelta("Hello ".into()),
            StreamEvent::TextDelta("there, ".into()),
            StreamEvent::TextDelta("world".into()),
            StreamEvent::Usage {
                input_tokens: 10,
                output_tokens: 3,
                cost: None,
            },
            StreamEvent::Finish {
                reason: FinishReason::Stop
            },
        ]
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0]["model"], "test/model");
    assert_eq!(requests[0]["stream"], true);
    assert_eq!(
        requests[0]["stream_options"],
        json!({"include_usage": true})
    );
    assert_eq!(
        requests[0]["messages"],
        json!([{"role": "user", "content": "hello"}])
    );
    assert!(requests[0].get("tools").is_none());
    assert_eq!(server.authorizations(), vec![None]);
    server.shutdown().await;
}

#[tokio::test]
async fn tool_call_split_across_many_chunks_is_assembled() {
    let arguments = r#"{"path":"src/main.rs","limit":200,"note":"ünïcödé"}"#;
    let server = ScriptedProvider::start(vec![Reply::Stream {
        events: vec![
            Scripted::ToolCall {
                index: 0,
                id: "call_abc".into(),
                name: "read_file".into(),
                arguments: arguments.into(),
                pieces: 25,
            },
            finish("tool_calls"),
            Scripted::Usage {
                input: 7,
                output: 9,
            },
            Scripted::Done,
        ],
    }])
    .await
    .unwrap();
    let client = Client::new(fast_config()).unwrap();
    let mut request = request();
    request.tools.push(ToolSpec {
        name: "read_file".into(),
        description: "Reads a file".into(),
        parameters: json!({"type": "object", "properties": {"path": {"type": "string"}}}),
    });
    let stream = client
        .stream(&endpoint(server.base_url()), &request)
        .await
        .unwrap();
    let (events, error) = collect(stream).await;
    assert_eq!(error, None);
    assert_eq!(
        events[0],
        StreamEvent::ToolCallStart {
            index: 0,
            id: "call_abc".into(),
            name: "read_file".into()
        }
    );
    let deltas = events
        .iter()
        .filter(|e| matches!(e, StreamEvent::ToolCallDelta { .. }))
        .count();
    assert_eq!(deltas, 25);

    let mut turn = AssistantTurn::new();
    events.iter().for_each(|e| turn.push(e));
    assert_eq!(turn.finish, Some(FinishReason::ToolCalls));
    assert_eq!(turn.usage, Some((7, 9)));
    let calls = turn.tool_calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].id, "call_abc");
    assert_eq!(calls[0].kind, "function");
    assert_eq!(calls[0].function.name, "read_file");
    assert_eq!(calls[0].function.arguments, arguments);
    assert!(matches!(
        turn.to_message(),
        ChatMessage::Assistant { content: None, .. }
    ));

    assert_eq!(
        server.requests()[0]["tools"],
        json!([{"type": "function", "function": {
            "name": "read_file", "description": "Reads a file",
            "parameters": {"type": "object", "properties": {"path": {"type": "string"}}}
        }}])
    );
    server.shutdown().await;
}

#[tokio::test]
async fn two_interleaved_tool_calls() {
    let args = |index: u32, arguments: &str| Scripted::ToolCallArgs {
        index,
        arguments: arguments.into(),
    };
    let start = |index: u32, id: &str, name: &str| Scripted::ToolCall {
        index,
        id: id.into(),
        name: name.into(),
        arguments: String::new(),
        pieces: 1,
    };
    let server = ScriptedProvider::start(vec![Reply::Stream {
        events: vec![
            text("Let me look."),
            start(0, "call_a", "read"),
            start(1, "call_b", "list"),
            args(0, "{\"pa"),
            args(1, "{\"dir"),
            args(0, "th\":\"a\"}"),
            args(1, "\":\".\"}"),
            finish("tool_calls"),
            Scripted::Done,
        ],
    }])
    .await
    .unwrap();
    let (events, error) = collect(open(&server).await.unwrap()).await;
    assert_eq!(error, None);
    let mut turn = AssistantTurn::new();
    events.iter().for_each(|e| turn.push(e));
    let calls = turn.tool_calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(
        (calls[0].id.as_str(), calls[0].function.name.as_str()),
        ("call_a", "read")
    );
    assert_eq!(calls[0].function.arguments, r#"{"path":"a"}"#);
    assert_eq!(
        (calls[1].id.as_str(), calls[1].function.name.as_str()),
        ("call_b", "list")
    );
    assert_eq!(calls[1].function.arguments, r#"{"dir":"."}"#);
    assert_eq!(turn.text, "Let me look.");
    assert_eq!(turn.finish, Some(FinishReason::ToolCalls));
    server.shutdown().await;
}

#[tokio::test]
async fn reasoning_deltas_comments_and_usage() {
    let server = ScriptedProvider::start(vec![Reply::Stream {
        events: vec![
            Scripted::Comment,
            Scripted::Reasoning {
                text: "Thinking".into(),
            },
            Scripted::Comment,
            Scripted::Reasoning { text: "…".into() },
            text("Answer"),
            finish("length"),
            Scripted::Usage {
                input: 1234,
                output: 56,
            },
            Scripted::Done,
        ],
    }])
    .await
    .unwrap();
    let (events, error) = collect(open(&server).await.unwrap()).await;
    assert_eq!(error, None);
    assert_eq!(
        events,
        vec![
            StreamEvent::ReasoningDelta("Thinking".into()),
            StreamEvent::ReasoningDelta("…".into()),
            StreamEvent::TextDelta("Answer".into()),
            StreamEvent::Usage {
                input_tokens: 1234,
                output_tokens: 56,
                cost: None,
            },
            StreamEvent::Finish {
                reason: FinishReason::Length
            },
        ]
    );
    server.shutdown().await;
}

#[tokio::test]
async fn deepseek_reasoning_content_crlf_and_split_frames() {
    // Raw frames: `data:` without a space, CRLF line ends, one event split
    // over two writes with a delay between them (two TCP segments), a
    // multi-line data event, and `[DONE]` without a trailing blank line.
    let raw = |t: &str| Scripted::Raw { text: t.into() };
    let server = ScriptedProvider::start(vec![Reply::Stream {
        events: vec![
            raw("data:{\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"hmm\"}}]}\r\n\r\n"),
            raw("data: {\"choices\":[{\"index\":0,\"delta\":{\"con"),
            Scripted::Delay { ms: 30 },
            raw("tent\":\"split\"}}]}\r\n\r\n"),
            raw("data: {\"choices\":[{\"index\":0,\ndata: \"delta\":{\"content\":\" ok\"},\"finish_reason\":\"stop\"}]}\n\n"),
            raw("data: [DONE]\n"),
        ],
    }])
    .await
    .unwrap();
    let (events, error) = collect(open(&server).await.unwrap()).await;
    assert_eq!(error, None);
    assert_eq!(
        events,
        vec![
            StreamEvent::ReasoningDelta("hmm".into()),
            StreamEvent::TextDelta("split".into()),
            StreamEvent::TextDelta(" ok".into()),
            StreamEvent::Finish {
                reason: FinishReason::Stop
            },
        ]
    );
    server.shutdown().await;
}

#[tokio::test]
async fn finish_without_done_still_finishes() {
    let server = ScriptedProvider::start(vec![Reply::Stream {
        events: vec![text("hi"), finish("stop")],
    }])
    .await
    .unwrap();
    let (events, error) = collect(open(&server).await.unwrap()).await;
    assert_eq!(error, None);
    assert_eq!(
        events.last(),
        Some(&StreamEvent::Finish {
            reason: FinishReason::Stop
        })
    );
    server.shutdown().await;
}

#[tokio::test]
async fn many_deltas_and_connection_reuse_across_turns() {
    let server = ScriptedProvider::start(vec![
        Reply::Stream {
            events: vec![
                Scripted::Deltas {
                    count: 2000,
                    text: "x".into(),
                },
                finish("stop"),
                Scripted::Done,
            ],
        },
        Reply::text_answer("second turn"),
    ])
    .await
    .unwrap();
    let client = Client::new(fast_config()).unwrap();
    let stream = client
        .stream(&endpoint(server.base_url()), &request())
        .await
        .unwrap();
    let (events, error) = collect(stream).await;
    assert_eq!(error, None);
    assert_eq!(events.len(), 2001);
    let stream = client
        .stream(&endpoint(server.base_url()), &request())
        .await
        .unwrap();
    let (_, error) = collect(stream).await;
    assert_eq!(error, None);
    // A finished stream is not a disconnect.
    assert_eq!(server.disconnects(), 0);
    server.shutdown().await;
}

#[tokio::test]
async fn prefixed_paths_are_served() {
    let server = ScriptedProvider::start(vec![Reply::text_answer("ok")])
        .await
        .unwrap();
    let client = Client::new(fast_config()).unwrap();
    let base = server.base_url().replace("/v1", "/api/v1");
    let stream = client.stream(&endpoint(base), &request()).await.unwrap();
    let (events, error) = collect(stream).await;
    assert_eq!(error, None);
    assert_eq!(events[0], StreamEvent::TextDelta("ok".into()));
    server.shutdown().await;
}
