//! API-wide behaviour: the committed OpenAPI spec is current, and errors are
//! JSON everywhere (unknown routes, wrong methods, bad bodies, big bodies).
//! Also the workspace's dependency rule (ARCHITECTURE.md), read from
//! `cargo metadata`.

use crate::support::*;
use serde_json::json;

const SPEC_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/rfc/openapi.json");

#[test]
fn committed_openapi_spec_is_current() {
    let output = std::process::Command::new(host_binary())
        .arg("openapi")
        .output()
        .unwrap();
    assert!(output.status.success());
    let generated = String::from_utf8(output.stdout).unwrap();
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(SPEC_PATH, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(SPEC_PATH).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/rfc/openapi.json is stale; regenerate with \
         `UPDATE_OPENAPI=1 cargo test -p agent-host --test it api::`"
    );

    let dir = tempfile::tempdir().unwrap();
    let host = TestHost::start(dir.path());
    let served = host.get("/openapi.json");
    assert_eq!(served.status, 200);
    assert_eq!(String::from_utf8(served.body).unwrap(), generated);
    let spec: serde_json::Value = serde_json::from_str(&generated).unwrap();
    for path in [
        "/health",
        "/handshake",
        "/documents/{doc_id}",
        "/workspaces/{id}/file",
        "/secrets/{provider}",
    ] {
        assert!(
            spec["paths"].get(path).is_some(),
            "{path} missing from the spec"
        );
    }
}

#[test]
fn errors_are_json_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let host = TestHost::start(dir.path());
    let r = host.get("/nope");
    assert_eq!((r.status, r.error_code().as_str()), (404, "no_route"));
    let r = host.request("DELETE", "/health", None);
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (405, "method_not_allowed")
    );

    let mut headers = host.good_headers();
    headers.push(("Content-Type".into(), "application/json".into()));
    let r = raw_request(
        host.port,
        "POST",
        "/documents",
        &headers,
        Some(b"{not json"),
    );
    assert_eq!((r.status, r.error_code().as_str()), (400, "invalid_json"));
    let r = raw_request(
        host.port,
        "POST",
        "/documents",
        &host.good_headers(),
        Some(b"{}"),
    );
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (415, "unsupported_media_type")
    );

    let big = vec![b' '; 25 * 1024 * 1024];
    let r = raw_request(host.port, "POST", "/documents", &headers, Some(&big));
    assert_eq!((r.status, r.error_code().as_str()), (413, "body_too_large"));

    let r = host.send("POST", "/documents", json!({"path": 5}));
    assert_eq!((r.status, r.error_code().as_str()), (400, "invalid_body"));
    // The host is still healthy after all of that.
    assert_eq!(host.get("/health").status, 200);
}

/// Which workspace crates each crate may depend on (normal dependencies):
/// the rule in ARCHITECTURE.md. Nothing depends on `agent-host`.
const DEPENDENCY_RULE: &[(&str, &[&str])] = &[
    ("agent-client", &[]),
    ("agent-containment", &[]),
    ("agent-security", &["agent-urlpath"]),
    ("agent-secrets", &["agent-provider", "agent-storage"]),
    ("agent-storage", &[]),
    ("agent-watch", &[]),
    ("agent-provider", &[]),
    ("agent-tools", &["agent-containment", "agent-storage"]),
    (
        "agent-host",
        &[
            "agent-client",
            "agent-containment",
            "agent-provider",
            "agent-secrets",
            "agent-tools",
            "agent-security",
            "agent-storage",
            "agent-watch",
        ],
    ),
    ("renderer-bridge", &["agent-urlpath"]),
    (
        "agent-shell",
        &["renderer-bridge", "agent-client", "agent-urlpath"],
    ),
    ("agent-urlpath", &[]),
    ("agent-bench", &["agent-client", "agent-provider"]),
    // The tests' kit: in no list above, so only ever a dev-dependency.
    ("testkit", &["agent-client", "agent-provider"]),
];

#[test]
fn the_workspace_keeps_its_dependency_rule() {
    let output = std::process::Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .expect("cargo metadata");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let packages = metadata["packages"].as_array().unwrap();
    let ours: Vec<&str> = packages
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for package in packages {
        let name = package["name"].as_str().unwrap();
        let allowed = DEPENDENCY_RULE
            .iter()
            .find(|(crate_name, _)| *crate_name == name)
            .unwrap_or_else(|| panic!("{name} is missing from DEPENDENCY_RULE"))
            .1;
        for dep in package["dependencies"].as_array().unwrap() {
            let dep_name = dep["name"].as_str().unwrap();
            let normal = dep["kind"].is_null();
            if normal && ours.contains(&dep_name) {
                assert!(
                    allowed.contains(&dep_name),
                    "{name} depends on {dep_name}, which the rule does not allow"
                );
            }
        }
    }
}
