//! Provider keys in the file store (auth.json, 0600) against the real
//! binary. The keyring store is tested in tests/keyring.rs against a real
//! Secret Service.

use std::os::unix::fs::PermissionsExt;

use crate::support::*;
use serde_json::json;

const KEY: &str = "sk-or-v1-0123456789abcdef-never-print-me";

#[test]
fn set_has_delete_never_returns_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let host = TestHost::start(dir.path());

    let r = host.get("/secrets/openrouter");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        json!({"provider": "openrouter", "present": false})
    );

    let r = host.send("PUT", "/secrets/openrouter", json!({"key": KEY}));
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        json!({"provider": "openrouter", "present": true, "store": "file"})
    );
    assert!(!contains(&r.body, KEY.as_bytes()));

    let auth = dir.path().join("auth.json");
    let mode = std::fs::metadata(&auth).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);

    let list = host.get("/secrets");
    assert_eq!(list.status, 200);
    assert!(!contains(&list.body, KEY.as_bytes()));
    let providers = list.json()["providers"].as_array().unwrap().clone();
    assert_eq!(providers.len(), 3);
    assert_eq!(providers[0]["present"], true);
    assert_eq!(providers[1]["provider"], "ai-gateway");
    assert_eq!(providers[1]["present"], false);

    // Every GET route answers without the key.
    for path in [
        "/secrets/openrouter",
        "/secrets",
        "/health",
        "/openapi.json",
    ] {
        assert!(!contains(&host.get(path).body, KEY.as_bytes()), "{path}");
    }

    let r = host.send("PUT", "/secrets/custom", json!({"key": ""}));
    assert_eq!((r.status, r.error_code().as_str()), (400, "invalid_key"));
    let r = host.send("PUT", "/secrets/nope", json!({"key": KEY}));
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (404, "unknown_provider")
    );
    let r = host.send("PUT", "/secrets/openrouter", json!({"key": 12345}));
    assert_eq!((r.status, r.error_code().as_str()), (400, "invalid_body"));
    assert!(
        !contains(&r.body, b"12345"),
        "serde's value echo is dropped"
    );

    let r = host.request("DELETE", "/secrets/openrouter", None);
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["present"], false);
    assert_eq!(host.get("/secrets/openrouter").json()["present"], false);

    let stderr = host.stderr.clone();
    assert!(host.stop().success());
    assert!(
        !contains(&stderr.lock().unwrap(), KEY.as_bytes()),
        "key in logs"
    );
    let auth_bytes = std::fs::read(&auth).unwrap();
    assert!(
        !contains(&auth_bytes, KEY.as_bytes()),
        "deleted key still in auth.json"
    );
}

#[test]
fn auth_json_readable_by_others_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let host = TestHost::start(dir.path());
    assert_eq!(
        host.send("PUT", "/secrets/ai-gateway", json!({"key": KEY}))
            .status,
        200
    );
    let auth = dir.path().join("auth.json");
    std::fs::set_permissions(&auth, std::fs::Permissions::from_mode(0o644)).unwrap();
    let r = host.get("/secrets/ai-gateway");
    assert_eq!(r.status, 503, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.error_code(), "insecure_permissions");
    assert!(!contains(&r.body, KEY.as_bytes()));
    // Writing is refused too rather than silently "fixing" a shared file.
    let r = host.send("PUT", "/secrets/ai-gateway", json!({"key": "another"}));
    assert_eq!(r.status, 503);
    std::fs::set_permissions(&auth, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(host.get("/secrets/ai-gateway").json()["present"], true);
}
