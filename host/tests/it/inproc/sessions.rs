//! Sessions in-process: create, list, get, update, delete, search, and the
//! refusals that come before any turn starts.

use serde_json::{json, Value};

use super::{url_encode, Host};

async fn create(host: &Host, body: Value) -> String {
    host.ok("POST", "/sessions", body).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn titles(page: &Value) -> Vec<String> {
    page["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["title"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_session_is_created_listed_read_updated_and_deleted() {
    let host = Host::new();
    let untitled = create(&host, json!({})).await;
    let (workspace, _) = host.workspace("project").await;
    let id = create(
        &host,
        json!({ "title": "  Fix the build  ", "workspace_id": workspace }),
    )
    .await;
    assert!(id.starts_with("ses_"), "{id}");

    let session = host.get(&format!("/sessions/{id}")).await;
    assert_eq!(session.status, 200);
    let session = session.json();
    assert_eq!(session["title"], "Fix the build");
    assert_eq!(session["workspace_id"], workspace.as_str());
    assert_eq!(session["archived"], false);
    assert_eq!(
        session["usage"],
        json!({ "input_tokens": 0, "output_tokens": 0 })
    );
    assert_eq!(
        host.get(&format!("/sessions/{untitled}")).await.json()["title"],
        "New session"
    );

    // Newest first.
    let page = host.get("/sessions").await.json();
    assert_eq!(page["total"], 2);
    assert_eq!(titles(&page), ["Fix the build", "New session"]);
    let page = host.get("/sessions?limit=1&offset=1").await.json();
    assert_eq!(
        (page["total"].clone(), titles(&page)),
        (json!(2), vec!["New session".to_owned()])
    );

    // Rename and archive: archived sessions leave the default list.
    let updated = host
        .ok(
            "PATCH",
            &format!("/sessions/{id}"),
            json!({ "title": "Build fixed", "archived": true }),
        )
        .await;
    assert_eq!(
        (updated["title"].as_str(), updated["archived"].as_bool()),
        (Some("Build fixed"), Some(true))
    );
    assert_eq!(titles(&host.get("/sessions").await.json()), ["New session"]);
    let all = host.get("/sessions?include_archived=true").await.json();
    assert_eq!(titles(&all), ["Build fixed", "New session"]);

    let messages = host.get(&format!("/sessions/{id}/messages")).await.json();
    assert_eq!(messages["messages"], json!([]));

    let deleted = host.call("DELETE", &format!("/sessions/{id}"), None).await;
    assert_eq!(deleted.status, 204);
    for (method, uri) in [
        ("GET", format!("/sessions/{id}")),
        ("GET", format!("/sessions/{id}/messages")),
        ("DELETE", format!("/sessions/{id}")),
        ("POST", format!("/sessions/{id}/abort")),
    ] {
        let r = host.call(method, &uri, None).await;
        assert_eq!(r.error(), (404, "unknown_session".into()), "{method} {uri}");
    }
    assert_eq!(
        host.get("/sessions?include_archived=true").await.json()["total"],
        1
    );
}

/// The titles `GET /sessions?q=` finds, sorted.
async fn search(host: &Host, q: &str) -> Vec<String> {
    let r = host.get(&format!("/sessions?q={}", url_encode(q))).await;
    assert_eq!(r.status, 200, "{q}: {}", r.text());
    let mut found = titles(&r.json());
    found.sort();
    found
}

#[tokio::test]
async fn search_finds_words_by_prefix_ignoring_case_and_accents() {
    let host = Host::new();
    for title in [
        "Café menu redesign",
        "Refactor the parser",
        "Quarterly report draft",
        "Text layout bugs",
    ] {
        create(&host, json!({ "title": title })).await;
    }
    assert_eq!(search(&host, "cafe").await, ["Café menu redesign"]);
    assert_eq!(search(&host, "REFACT pars").await, ["Refactor the parser"]);
    assert_eq!(
        search(&host, "re").await,
        [
            "Café menu redesign",
            "Quarterly report draft",
            "Refactor the parser",
        ]
    );
    // Every word must match; "text" is a word, not the stored JSON's key.
    assert_eq!(search(&host, "report parser").await, Vec::<String>::new());
    assert_eq!(search(&host, "text").await, ["Text layout bugs"]);
    // Never query syntax: quotes, operators and columns are just text.
    for q in [
        "\"quarterly",
        "report OR parser",
        "title:café",
        "NEAR(a b)",
        "-draft",
        "*",
    ] {
        let found = search(&host, q).await;
        assert!(found.len() <= 1, "{q}: {found:?}");
    }
    assert_eq!(search(&host, "   ").await.len(), 4);
}

#[tokio::test]
async fn refusals_come_before_any_turn() {
    let host = Host::new();
    for (body, status, code) in [
        (json!({ "title": "" }), 400, "invalid_title"),
        (json!({ "title": "x".repeat(201) }), 400, "invalid_title"),
        (
            json!({ "workspace_id": "ws_nope" }),
            404,
            "unknown_workspace",
        ),
    ] {
        let r = host.call("POST", "/sessions", Some(body.clone())).await;
        assert_eq!(r.error(), (status, code.into()), "{body}");
    }
    for uri in [
        "/sessions?limit=0",
        "/sessions?limit=201",
        "/sessions?limit=many",
    ] {
        let r = host.get(uri).await;
        assert_eq!(r.error(), (400, "invalid_query".into()), "{uri}");
    }
    let r = host.get("/sessions/ses_nope").await;
    assert_eq!(r.error(), (404, "unknown_session".into()));

    let id = create(&host, json!({})).await;
    let turns = format!("/sessions/{id}/turns");
    let big = "x".repeat(256 * 1024 + 1);
    for (body, status, code) in [
        (json!({ "message": "  " }), 400, "invalid_message"),
        (json!({ "message": big }), 413, "invalid_message"),
        (
            json!({ "message": "hi", "max_steps": 0 }),
            400,
            "invalid_max_steps",
        ),
        (
            json!({ "message": "hi", "max_steps": 51 }),
            400,
            "invalid_max_steps",
        ),
        (
            json!({ "message": "hi", "provider": "acme" }),
            404,
            "unknown_provider",
        ),
        // No key and no custom endpoint: nothing can serve the turn.
        (json!({ "message": "hi" }), 409, "provider_down"),
    ] {
        let r = host.call("POST", &turns, Some(body)).await;
        assert_eq!(r.error(), (status, code.into()));
    }
    let r = host
        .call(
            "POST",
            "/sessions/ses_nope/turns",
            Some(json!({ "message": "hi" })),
        )
        .await;
    assert_eq!(r.error(), (404, "unknown_session".into()));
    // Nothing was started: no turn to resume, nothing to abort or approve.
    let r = host.get(&format!("/sessions/{id}/stream")).await;
    assert_eq!(r.error(), (404, "no_turn".into()));
    let abort = host
        .ok("POST", &format!("/sessions/{id}/abort"), json!({}))
        .await;
    assert_eq!(abort["aborted"], false);
    let r = host
        .call(
            "POST",
            &format!("/sessions/{id}/approvals/appr_1"),
            Some(json!({ "approved": true })),
        )
        .await;
    assert_eq!(r.error(), (404, "unknown_approval".into()));
    assert_eq!(
        host.get(&format!("/sessions/{id}/messages")).await.json()["messages"],
        json!([])
    );
}
