//! A model chosen per session (`PATCH /sessions/{id} {provider?, model?}`)
//! reaches the next turn's provider request; each stored answer carries
//! its turn's usage (and cost when the provider reports one).

use agent_provider::scripted::{Reply, Scripted, ScriptedProvider};
use serde_json::{json, Value};

use super::Host;

/// Runs one turn to its end (the whole stream read).
async fn turn(host: &Host, session: &str, body: Value) {
    let reply = host
        .call("POST", &format!("/sessions/{session}/turns"), Some(body))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert!(reply.text().contains("[DONE]"));
}

fn sent_model(provider: &ScriptedProvider, index: usize) -> String {
    provider.requests()[index]["model"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chosen_model_sticks_until_a_turn_names_another() {
    let provider = ScriptedProvider::start(vec![
        Reply::text_answer("one"),
        Reply::text_answer("two"),
        Reply::text_answer("three"),
        Reply::text_answer("four"),
    ])
    .await
    .unwrap();
    let host = Host::new();
    host.use_provider(&provider).await;
    host.ok(
        "PUT",
        "/providers/custom",
        json!({"base_url": provider.base_url(), "default_model": "scripted/default"}),
    )
    .await;
    let session = host.session(json!({})).await;

    // No choice: the provider's default model, as before.
    turn(&host, &session, json!({"message": "hi"})).await;
    assert_eq!(sent_model(&provider, 0), "scripted/default");
    let row = host.get(&format!("/sessions/{session}")).await.json();
    assert_eq!(row["model_chosen"], false);

    let row = host
        .ok(
            "PATCH",
            &format!("/sessions/{session}"),
            json!({"provider": "custom", "model": "scripted/picked"}),
        )
        .await;
    assert_eq!(row["provider"], "custom");
    assert_eq!(row["model"], "scripted/picked");
    assert_eq!(row["model_chosen"], true);

    turn(&host, &session, json!({"message": "again"})).await;
    assert_eq!(sent_model(&provider, 1), "scripted/picked");
    // A turn that names a model wins, and that becomes the session's.
    turn(
        &host,
        &session,
        json!({"message": "x", "model": "scripted/other"}),
    )
    .await;
    assert_eq!(sent_model(&provider, 2), "scripted/other");
    turn(&host, &session, json!({"message": "y"})).await;
    assert_eq!(sent_model(&provider, 3), "scripted/other");

    // A model alone keeps the provider.
    let row = host
        .ok(
            "PATCH",
            &format!("/sessions/{session}"),
            json!({"model": "m2"}),
        )
        .await;
    assert_eq!(row["provider"], "custom");
    assert_eq!(row["model"], "m2");
}

#[tokio::test]
async fn bad_choices_are_refused() {
    let host = Host::new();
    let session = host.session(json!({})).await;
    let uri = format!("/sessions/{session}");
    let reply = host
        .call("PATCH", &uri, Some(json!({"provider": "nope"})))
        .await;
    assert_eq!(reply.error(), (404, "unknown_provider".to_owned()));
    let reply = host.call("PATCH", &uri, Some(json!({"model": "  "}))).await;
    assert_eq!(reply.error(), (400, "invalid_model".to_owned()));
    let reply = host
        .call("PATCH", &uri, Some(json!({"model": "m".repeat(201)})))
        .await;
    assert_eq!(reply.error(), (400, "invalid_model".to_owned()));
    let row = host.get(&uri).await.json();
    assert_eq!(row["model_chosen"], false);
    assert_eq!(row["model"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_answer_carries_its_turns_usage_and_cost_when_reported() {
    let with_cost = Reply::Stream {
        events: vec![
            Scripted::Text {
                text: "priced".into(),
            },
            Scripted::Finish {
                reason: "stop".into(),
            },
            Scripted::UsageCost {
                input: 12,
                output: 3,
                cost: 0.0042,
            },
            Scripted::Done,
        ],
    };
    let provider = ScriptedProvider::start(vec![Reply::text_answer("plain answer"), with_cost])
        .await
        .unwrap();
    let host = Host::new();
    host.use_provider(&provider).await;
    let session = host.session(json!({})).await;
    turn(&host, &session, json!({"message": "first"})).await;
    let stream = host
        .call(
            "POST",
            &format!("/sessions/{session}/turns"),
            Some(json!({"message": "second"})),
        )
        .await
        .text();
    assert!(stream.contains(r#""cost":0.0042"#), "{stream}");

    let messages = host
        .get(&format!("/sessions/{session}/messages"))
        .await
        .json();
    let messages = messages["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 4);
    assert!(
        messages[0]["metadata"].get("usage").is_none(),
        "user messages have none"
    );
    let first = &messages[1]["metadata"]["usage"];
    assert_eq!(first["input_tokens"], 10);
    assert_eq!(first["output_tokens"], 2);
    assert!(first.get("cost").is_none(), "{first}");
    let second = &messages[3]["metadata"]["usage"];
    assert_eq!(second["input_tokens"], 12);
    assert_eq!(second["output_tokens"], 3);
    assert_eq!(second["cost"], 0.0042);

    let row = host.get(&format!("/sessions/{session}")).await.json();
    assert_eq!(row["usage"]["input_tokens"], 22);
    assert_eq!(row["usage"]["output_tokens"], 5);
}
