//! Workspaces in-process: open, list, pin, forget, contained file access,
//! tool policies, and the refusals.

use serde_json::json;

use super::{url_encode, Host};

#[tokio::test]
async fn a_workspace_opens_lists_and_serves_its_files() {
    let host = Host::new();
    let (id, path) = host.workspace("project").await;
    assert!(id.starts_with("ws_"), "{id}");
    // The id is stable for the real path.
    let again = host
        .ok("POST", "/workspaces", json!({ "path": path }))
        .await;
    assert_eq!(again["id"], id.as_str());
    assert_eq!(again["name"], "project");

    let list = host.get("/workspaces").await.json();
    let listed: Vec<&str> = list["workspaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, [id.as_str()]);

    // Create a file (no expected version), read it back, list the tree.
    // The directory must exist: a write never creates directories.
    let missing = host
        .call(
            "PUT",
            &format!("/workspaces/{id}/file"),
            Some(json!({ "path": "src/main.rs", "content": "fn main() {}\n" })),
        )
        .await;
    assert_eq!(missing.error(), (404, "not_found".into()));
    std::fs::create_dir(path.join("src")).unwrap();
    let created = host
        .ok(
            "PUT",
            &format!("/workspaces/{id}/file"),
            json!({ "path": "src/main.rs", "content": "fn main() {}\n" }),
        )
        .await;
    let mtime = created["mtime"].as_str().unwrap().to_owned();
    assert_eq!(
        std::fs::read_to_string(path.join("src/main.rs")).unwrap(),
        "fn main() {}\n"
    );
    let read = host
        .get(&format!("/workspaces/{id}/file?path=src%2Fmain.rs"))
        .await;
    assert_eq!(read.status, 200, "{}", read.text());
    let read = read.json();
    assert_eq!(read["content"], "fn main() {}\n");
    assert_eq!(read["mtime"], mtime.as_str());
    let tree = host.get(&format!("/workspaces/{id}/tree?path=src")).await;
    assert_eq!(tree.status, 200, "{}", tree.text());
    let tree = tree.json();
    assert_eq!(tree["entries"][0]["name"], "main.rs");
    assert_eq!(tree["entries"][0]["kind"], "file");
    assert_eq!(tree["truncated"], false);

    // A save against the version read succeeds; against an old one, 409.
    host.ok(
        "PUT",
        &format!("/workspaces/{id}/file"),
        json!({ "path": "src/main.rs", "content": "fn main() { run() }\n", "expected_mtime": mtime }),
    )
    .await;
    let stale = host
        .call(
            "PUT",
            &format!("/workspaces/{id}/file"),
            Some(json!({ "path": "src/main.rs", "content": "lost", "expected_mtime": mtime })),
        )
        .await;
    assert_eq!(stale.error(), (409, "conflict".into()));
    assert_eq!(
        std::fs::read_to_string(path.join("src/main.rs")).unwrap(),
        "fn main() { run() }\n"
    );

    // Pin, then forget (the directory stays).
    let pinned = host
        .ok(
            "PUT",
            &format!("/workspaces/{id}/pin"),
            json!({ "pinned": true }),
        )
        .await;
    assert_eq!(pinned["pinned"], true);
    let forget = host
        .call("DELETE", &format!("/workspaces/{id}"), None)
        .await;
    assert_eq!(forget.status, 204);
    assert!(path.join("src/main.rs").exists());
    let r = host
        .get(&format!("/workspaces/{id}/file?path=src%2Fmain.rs"))
        .await;
    assert_eq!(r.error(), (404, "unknown_workspace".into()));
    let r = host
        .call("DELETE", &format!("/workspaces/{id}"), None)
        .await;
    assert_eq!(r.error(), (404, "unknown_workspace".into()));
}

#[tokio::test]
async fn directories_that_may_not_be_workspaces_are_refused_403() {
    let host = Host::new();
    // The user-data directory, anything in it, and a directory holding it.
    let inside = host.user_data().join("sub");
    std::fs::create_dir(&inside).unwrap();
    let holder = host.user_data().parent().unwrap().to_path_buf();
    for path in [host.user_data(), inside, holder, "/".into(), "/etc".into()] {
        let r = host
            .call("POST", "/workspaces", Some(json!({ "path": path })))
            .await;
        assert_eq!(r.error(), (403, "workspace_not_allowed".into()), "{path:?}");
    }
    // Shapes of path that are not a directory to open.
    let file = host.file("plain.txt", b"x");
    for (path, status, code) in [
        (json!("relative"), 400, "invalid_path"),
        (json!(file), 400, "not_a_directory"),
        (json!(host.files().join("missing")), 404, "not_found"),
    ] {
        let r = host
            .call("POST", "/workspaces", Some(json!({ "path": path })))
            .await;
        assert_eq!(r.error(), (status, code.into()), "{path}");
    }
    let list = host.get("/workspaces").await.json();
    assert_eq!(list["workspaces"], json!([]));
}

#[tokio::test]
async fn paths_outside_a_workspace_are_refused_before_any_io() {
    let host = Host::new();
    let (id, _) = host.workspace("project").await;
    let outside = host.file("secret.txt", b"tangerine, outside");
    std::os::unix::fs::symlink(&outside, host.files().join("project/link.txt")).unwrap();
    for path in [
        "../secret.txt",
        outside.to_str().unwrap(),
        "link.txt",
        "a/../../secret.txt",
    ] {
        let r = host
            .get(&format!("/workspaces/{id}/file?path={}", url_encode(path)))
            .await;
        assert_eq!(r.error(), (403, "path_not_allowed".into()), "{path}");
        assert!(!r.text().contains("tangerine, outside"));
        let w = host
            .call(
                "PUT",
                &format!("/workspaces/{id}/file"),
                Some(json!({ "path": path, "content": "overwritten" })),
            )
            .await;
        assert_eq!(w.error(), (403, "path_not_allowed".into()), "{path}");
    }
    assert_eq!(
        std::fs::read_to_string(&outside).unwrap(),
        "tangerine, outside"
    );
    let r = host
        .get(&format!("/workspaces/{id}/file?path=nope.txt"))
        .await;
    assert_eq!(r.error(), (404, "not_found".into()));
    // The root's listing shows the link as a link, never what it points to.
    let tree = host.get(&format!("/workspaces/{id}/tree")).await.json();
    assert_eq!(tree["entries"][0]["name"], "link.txt");
    assert_eq!(tree["entries"][0]["kind"], "symlink");
    let r = host
        .get(&format!("/workspaces/{id}/tree?path=link.txt"))
        .await;
    assert_eq!(r.error(), (403, "path_not_allowed".into()));
}

#[tokio::test]
async fn a_workspace_policy_is_kept_and_its_read_only_paths_checked() {
    let host = Host::new();
    let (id, _) = host.workspace("project").await;
    let policy = host.get(&format!("/workspaces/{id}/policy")).await.json();
    assert_eq!(policy["tools"]["read_file"], "allow");
    assert_eq!(policy["tools"]["run_command"], "ask");

    let toolchain = host.files().join("toolchain");
    std::fs::create_dir(&toolchain).unwrap();
    let wanted = json!({
        "tools": { "read_file": "allow", "run_command": "deny" },
        "commands": [{ "pattern": "git status*", "permission": "allow" }],
        "read_only_paths": [toolchain],
    });
    let stored = host
        .ok("PUT", &format!("/workspaces/{id}/policy"), wanted.clone())
        .await;
    assert_eq!(stored, wanted);
    assert_eq!(
        host.get(&format!("/workspaces/{id}/policy")).await.json(),
        wanted
    );

    for (path, status, code) in [
        (json!("relative/path"), 400, "invalid_path"),
        (json!(host.user_data()), 403, "read_only_path_not_allowed"),
    ] {
        let r = host
            .call(
                "PUT",
                &format!("/workspaces/{id}/policy"),
                Some(json!({ "tools": {}, "read_only_paths": [path] })),
            )
            .await;
        assert_eq!(r.error(), (status, code.into()), "{path}");
    }
    // Refused policies were not stored.
    assert_eq!(
        host.get(&format!("/workspaces/{id}/policy")).await.json(),
        wanted
    );
    let r = host.get("/workspaces/ws_nope/policy").await;
    assert_eq!(r.error(), (404, "unknown_workspace".into()));
}
