//! `GET /providers/{provider}/models`, `POST /providers/{provider}/test`
//! and `GET /local-models` against the scripted provider.

use agent_provider::scripted::{Reply, ScriptedProvider};
use serde_json::json;

use super::Host;

fn ids(list: &serde_json::Value) -> Vec<String> {
    list["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_model_list_is_the_providers_cached_until_refreshed() {
    let host = Host::new();
    let provider = ScriptedProvider::start(vec![]).await.unwrap();
    provider.set_model_entries(vec![
        json!({"id": "scripted/a", "object": "model"}),
        json!({"id": "scripted/b", "object": "model", "name": "B", "context_length": 4096,
               "pricing": {"prompt": "0.000001", "completion": "0.000002"}}),
    ]);
    host.use_provider(&provider).await;

    let list = host.get("/providers/custom/models").await.json();
    assert_eq!(ids(&list), ["scripted/a", "scripted/b"]);
    assert_eq!(list["stale"], false);
    assert!(list.get("error").is_none());
    assert!(list["fetched_at_ms"].as_i64().unwrap() > 0);
    assert_eq!(list["models"][1]["name"], "B");
    assert_eq!(list["models"][1]["context_length"], 4096);
    assert_eq!(list["models"][1]["pricing"]["prompt"], "0.000001");
    assert!(list["models"][0].get("name").is_none());

    // Cached: the provider is not asked again.
    provider.set_models(&["scripted/c"]);
    let again = host.get("/providers/custom/models").await.json();
    assert_eq!(ids(&again), ["scripted/a", "scripted/b"]);
    assert_eq!(provider.model_requests().len(), 1);

    let fresh = host
        .get("/providers/custom/models?refresh=true")
        .await
        .json();
    assert_eq!(ids(&fresh), ["scripted/c"]);
    assert_eq!(provider.model_requests().len(), 2);
}

#[tokio::test]
async fn a_failing_provider_keeps_the_last_list_as_stale_with_its_code() {
    let host = Host::new();
    let provider = ScriptedProvider::start(vec![]).await.unwrap();
    host.use_provider(&provider).await;

    // Nothing cached yet: the provider's code as the error.
    provider.fail_models(503, "overloaded");
    let reply = host.get("/providers/custom/models").await;
    assert_eq!(reply.error(), (502, "provider_status".to_owned()));

    provider.set_models(&["scripted/a"]);
    host.get("/providers/custom/models?refresh=true")
        .await
        .json();

    provider.fail_models(401, "bad key");
    let stale = host
        .get("/providers/custom/models?refresh=true")
        .await
        .json();
    assert_eq!(ids(&stale), ["scripted/a"]);
    assert_eq!(stale["stale"], true);
    assert_eq!(stale["error"]["code"], "provider_auth");

    // Down: the listener is gone.
    let port = provider.port();
    provider.shutdown().await;
    let stale = host
        .get("/providers/custom/models?refresh=true")
        .await
        .json();
    assert_eq!(stale["stale"], true);
    assert_eq!(stale["error"]["code"], "provider_connect");
    assert_eq!(ids(&stale), ["scripted/a"]);
    let _ = port;
}

#[tokio::test]
async fn unknown_and_unconfigured_providers() {
    let host = Host::new();
    let reply = host.get("/providers/nope/models").await;
    assert_eq!(reply.error(), (404, "unknown_provider".to_owned()));
    let reply = host.call("POST", "/providers/nope/test", None).await;
    assert_eq!(reply.error(), (404, "unknown_provider".to_owned()));
    // No base URL for custom, no key for the others.
    let reply = host.get("/providers/custom/models").await;
    assert_eq!(reply.error(), (409, "provider_down".to_owned()));
    let test = host.call("POST", "/providers/openrouter/test", None).await;
    assert_eq!(test.status, 200);
    let test = test.json();
    assert_eq!(test["ok"], false);
    assert_eq!(test["code"], "provider_down");
}

#[tokio::test]
async fn test_connection_reports_success_and_each_failure_code_without_the_key() {
    let host = Host::new();
    let provider = ScriptedProvider::start(vec![]).await.unwrap();
    host.use_provider(&provider).await;
    host.ok(
        "PUT",
        "/secrets/custom",
        json!({"key": "sk-local-secret-77"}),
    )
    .await;

    let ok = host
        .call("POST", "/providers/custom/test", None)
        .await
        .json();
    assert_eq!(ok["ok"], true, "{ok}");
    assert!(ok["latency_ms"].as_u64().is_some());
    assert_eq!(
        provider.model_requests(),
        [Some("Bearer sk-local-secret-77".to_owned())]
    );

    provider.fail_models(401, "Invalid key sk-local-secret-77");
    let failed = host.call("POST", "/providers/custom/test", None).await;
    let text = failed.text();
    let failed = failed.json();
    assert_eq!(failed["ok"], false);
    assert_eq!(failed["code"], "provider_auth");
    assert!(!text.contains("sk-local-secret-77"), "{text}");

    provider.fail_models(429, "slow down");
    let failed = host
        .call("POST", "/providers/custom/test", None)
        .await
        .json();
    assert_eq!(failed["code"], "provider_rate_limited");

    // No /models: a one-message chat request instead.
    provider.fail_models(404, "no such route");
    provider.push([Reply::text_answer("pong")]);
    let ok = host
        .call("POST", "/providers/custom/test", None)
        .await
        .json();
    assert_eq!(ok["ok"], true, "{ok}");
    assert_eq!(provider.requests().len(), 1);
    provider.push([Reply::error(401, "nope")]);
    let failed = host
        .call("POST", "/providers/custom/test", None)
        .await
        .json();
    assert_eq!(failed["code"], "provider_auth");

    provider.shutdown().await;
    let failed = host
        .call("POST", "/providers/custom/test", None)
        .await
        .json();
    assert_eq!(failed["ok"], false);
    assert_eq!(failed["code"], "provider_connect");
}

#[tokio::test]
async fn local_models_lists_only_the_servers_that_answer() {
    let local = ScriptedProvider::start(vec![]).await.unwrap();
    local.set_models(&["llama3.2:latest", "qwen2.5-coder"]);
    // A port nothing listens on: bind, note it, close.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let host = Host::with_local_servers(Some(vec![
        ("ollama".to_owned(), closed),
        ("lm-studio".to_owned(), local.port()),
    ]));
    let started = std::time::Instant::now();
    let found = host.get("/local-models").await.json();
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    let servers = found["servers"].as_array().unwrap();
    assert_eq!(servers.len(), 1, "{found}");
    assert_eq!(servers[0]["server"], "lm-studio");
    assert_eq!(
        servers[0]["base_url"],
        format!("http://127.0.0.1:{}/v1", local.port())
    );
    assert_eq!(ids(&servers[0]), ["llama3.2:latest", "qwen2.5-coder"]);
}

#[tokio::test]
async fn local_models_finds_a_server_on_a_real_common_port() {
    // vLLM's and LM Studio's ports; skipped when this machine uses both.
    let mut bound = None;
    for port in [8000u16, 1234] {
        if let Ok(server) = ScriptedProvider::start_on(port, vec![]).await {
            bound = Some(server);
            break;
        }
    }
    let Some(server) = bound else {
        eprintln!("skipped: 127.0.0.1:8000 and :1234 are both taken on this machine");
        return;
    };
    server.set_models(&["scripted/local"]);
    let host = Host::new();
    let found = host.get("/local-models").await.json();
    let servers = found["servers"].as_array().unwrap();
    let ours = servers
        .iter()
        .find(|s| s["base_url"] == server.base_url())
        .unwrap_or_else(|| panic!("{found}"));
    let expected = if server.port() == 8000 {
        "vllm"
    } else {
        "lm-studio"
    };
    assert_eq!(ours["server"], expected);
    assert_eq!(ids(ours), ["scripted/local"]);
}
