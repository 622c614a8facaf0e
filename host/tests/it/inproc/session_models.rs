//! A model chosen per session (`PATCH /sessions/{id} {provider?, model?}`)
//! reaches the next turn's provider request; each stored answer carries
//! its turn's usage (and cost when the provider reports one), and a
//! session its turns' summed cost.

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

/// An answer whose usage carries OpenRouter's `usage.cost`.
fn costed(text: &str, input: u64, output: u64, cost: f64) -> Reply {
    Reply::Stream {
        events: vec![
            Scripted::Text { text: text.into() },
            Scripted::Finish {
                reason: "stop".into(),
            },
            Scripted::UsageCost {
                input,
                output,
                cost,
            },
            Scripted::Done,
        ],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_answer_carries_its_turns_usage_and_cost_when_reported() {
    let provider = ScriptedProvider::start(vec![
        Reply::text_answer("plain answer"),
        costed("priced", 12, 3, 0.0042),
    ])
    .await
    .unwrap();
    let host = Host::new();
    host.use_provider(&provider).await;
    let session = host.session(json!({})).await;
    turn(&host, &session, json!({"message": "first"})).await;
    // No turn reported a cost: none, and nothing partial about it.
    let row = host.get(&format!("/sessions/{session}")).await.json();
    assert_eq!(
        row["usage"],
        json!({"input_tokens": 10, "output_tokens": 2}),
        "{row}"
    );
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
    // One costed turn and one that used tokens without a cost: the sum is
    // what is known, marked partial.
    assert_eq!(row["usage"]["cost"], 0.0042);
    assert_eq!(row["usage"]["cost_partial"], true);
    let list = host.get("/sessions").await.json();
    assert_eq!(list["sessions"][0]["usage"], row["usage"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sessions_cost_is_the_sum_of_its_turns() {
    let provider = ScriptedProvider::start(vec![
        costed("one", 100, 20, 0.0031),
        // Refused before any usage: it used nothing, so the sum is whole.
        Reply::Error {
            status: 400,
            body: json!({"error": {"message": "bad request"}}),
            retry_after: None,
        },
        costed("two", 200, 40, 0.0125),
    ])
    .await
    .unwrap();
    let host = Host::new();
    host.use_provider(&provider).await;
    let session = host.session(json!({})).await;
    let other = host.session(json!({})).await;
    turn(&host, &session, json!({"message": "a"})).await;
    turn(&host, &session, json!({"message": "b"})).await;
    turn(&host, &session, json!({"message": "c"})).await;
    let messages = host
        .get(&format!("/sessions/{session}/messages"))
        .await
        .json();
    assert_eq!(messages["messages"][3]["metadata"]["status"], "error");

    let row = host.get(&format!("/sessions/{session}")).await.json();
    assert_eq!(row["usage"]["input_tokens"], 300);
    assert_eq!(row["usage"]["output_tokens"], 60);
    let cost = row["usage"]["cost"].as_f64().unwrap();
    assert!((cost - 0.0156).abs() < 1e-12, "{cost}");
    assert!(row["usage"].get("cost_partial").is_none(), "{row}");
    // Another session's turns are not in it.
    let row = host.get(&format!("/sessions/{other}")).await.json();
    assert_eq!(row["usage"], json!({"input_tokens": 0, "output_tokens": 0}));
}
