//! Workspaces and path containment against the real binary.

use crate::support::*;
use serde_json::{json, Value};

fn open(host: &TestHost, path: &std::path::Path) -> Value {
    let r = host.send("POST", "/workspaces", json!({"path": path}));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()
}

fn enc(path: &str) -> String {
    let mut out = String::new();
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[test]
fn open_list_pin_forget() {
    let dir = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    let link = dir.path().join("ws-link");
    std::os::unix::fs::symlink(ws.path(), &link).unwrap();
    let host = TestHost::start(dir.path());
    let a = open(&host, ws.path());
    let b = open(&host, &link);
    assert_eq!(a["id"], b["id"], "same real path, same id");
    let id = a["id"].as_str().unwrap().to_owned();

    let other = tempfile::tempdir().unwrap();
    let c = open(&host, other.path());
    assert_ne!(c["id"], a["id"]);

    let pin = host.send(
        "PUT",
        &format!("/workspaces/{id}/pin"),
        json!({"pinned": true}),
    );
    assert_eq!(pin.status, 200);
    let list = host.get("/workspaces").json();
    assert_eq!(list["workspaces"].as_array().unwrap().len(), 2);
    assert_eq!(list["workspaces"][0]["id"], id.as_str(), "pinned first");

    assert!(host.stop().success());
    let host = TestHost::start(dir.path());
    let list = host.get("/workspaces").json();
    assert_eq!(list["workspaces"][0]["pinned"], true, "persisted");
    assert_eq!(
        open(&host, ws.path())["id"],
        id.as_str(),
        "stable across restarts"
    );

    assert_eq!(
        host.request("DELETE", &format!("/workspaces/{id}"), None)
            .status,
        204
    );
    let r = host.request("DELETE", &format!("/workspaces/{id}"), None);
    assert_eq!(r.status, 404);
    assert_eq!(r.error_code(), "unknown_workspace");
    assert!(ws.path().exists(), "forgetting never deletes the directory");

    for (body, status, code) in [
        (json!({"path": "relative"}), 400, "invalid_path"),
        (json!({"path": "/no/such/dir"}), 404, "not_found"),
    ] {
        let r = host.send("POST", "/workspaces", body);
        assert_eq!((r.status, r.error_code().as_str()), (status, code));
    }
}

#[test]
fn tree_read_and_write_inside() {
    let dir = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    std::fs::create_dir(ws.path().join("src")).unwrap();
    std::fs::write(ws.path().join("src/main.rs"), "fn main() {}\n").unwrap();
    std::fs::write(ws.path().join("README.md"), "hi\n").unwrap();
    let host = TestHost::start(dir.path());
    let id = open(&host, ws.path())["id"].as_str().unwrap().to_owned();

    let tree = host.get(&format!("/workspaces/{id}/tree")).json();
    let names: Vec<&str> = tree["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["README.md", "src"]);
    assert_eq!(tree["entries"][1]["kind"], "dir");
    let sub = host.get(&format!("/workspaces/{id}/tree?path=src")).json();
    assert_eq!(sub["entries"][0]["name"], "main.rs");

    let file = host.get(&format!("/workspaces/{id}/file?path=src%2Fmain.rs"));
    assert_eq!(file.status, 200);
    let mtime = file.json()["mtime"].as_str().unwrap().to_owned();
    let abs = ws.path().join("README.md");
    let by_abs = host.get(&format!(
        "/workspaces/{id}/file?path={}",
        enc(abs.to_str().unwrap())
    ));
    assert_eq!(by_abs.status, 200, "absolute paths inside are fine");

    let w = host.send(
        "PUT",
        &format!("/workspaces/{id}/file"),
        json!({"path": "src/main.rs", "content": "fn main() { println!(); }\n", "expected_mtime": mtime}),
    );
    assert_eq!(w.status, 200);
    let stale = host.send(
        "PUT",
        &format!("/workspaces/{id}/file"),
        json!({"path": "src/main.rs", "content": "x", "expected_mtime": mtime}),
    );
    assert_eq!(stale.status, 409);
    let created = host.send(
        "PUT",
        &format!("/workspaces/{id}/file"),
        json!({"path": "src/new.rs", "content": "// new\n"}),
    );
    assert_eq!(created.status, 200);
    assert_eq!(
        std::fs::read_to_string(ws.path().join("src/new.rs")).unwrap(),
        "// new\n"
    );
    let leftovers: Vec<_> = std::fs::read_dir(ws.path().join("src"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");

    let missing = host.get(&format!("/workspaces/{id}/file?path=nope.txt"));
    assert_eq!(missing.status, 404);
    let not_dir = host.get(&format!("/workspaces/{id}/tree?path=README.md"));
    assert_eq!(not_dir.status, 400);
    let unknown = host.get("/workspaces/ws_00000000000000000000000000000000/tree");
    assert_eq!(unknown.error_code(), "unknown_workspace");

    // A symlink inside the workspace is written through, not replaced.
    std::os::unix::fs::symlink("src/main.rs", ws.path().join("main-link.rs")).unwrap();
    let linked = host.get(&format!("/workspaces/{id}/file?path=main-link.rs"));
    let version = linked.json()["mtime"].as_str().unwrap().to_owned();
    let r = host.send(
        "PUT",
        &format!("/workspaces/{id}/file"),
        json!({"path": "main-link.rs", "content": "// through the link\n", "expected_mtime": version}),
    );
    assert_eq!(r.status, 200, "{}", r.json());
    assert!(std::fs::symlink_metadata(ws.path().join("main-link.rs"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        std::fs::read_to_string(ws.path().join("src/main.rs")).unwrap(),
        "// through the link\n"
    );
}

#[test]
fn containment_escapes_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "top secret").unwrap();
    std::fs::create_dir(ws.path().join("inner")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret.txt"),
        ws.path().join("link-out"),
    )
    .unwrap();
    std::os::unix::fs::symlink(outside.path(), ws.path().join("dir-out")).unwrap();
    std::os::unix::fs::symlink("/nonexistent/target", ws.path().join("dangling")).unwrap();
    let host = TestHost::start(dir.path());
    let id = open(&host, ws.path())["id"].as_str().unwrap().to_owned();
    let secret_abs = outside.path().join("secret.txt");

    let escapes = [
        "../secret.txt".to_owned(),
        "inner/../../secret.txt".to_owned(),
        "inner/..".to_owned(),
        secret_abs.to_str().unwrap().to_owned(),
        "/etc/passwd".to_owned(),
        "link-out".to_owned(),
        "dir-out/secret.txt".to_owned(),
        "a\0b".to_owned(),
    ];
    for path in &escapes {
        let r = host.get(&format!("/workspaces/{id}/file?path={}", enc(path)));
        assert_eq!(
            r.status,
            403,
            "read {path:?}: {}",
            String::from_utf8_lossy(&r.body)
        );
        assert_eq!(r.error_code(), "path_not_allowed", "read {path:?}");
        assert!(!contains(&r.body, b"top secret"));
        let r = host.get(&format!("/workspaces/{id}/tree?path={}", enc(path)));
        assert_eq!(r.status, 403, "tree {path:?}");
    }
    let mut write_escapes = escapes.to_vec();
    write_escapes.push("dir-out/new.txt".to_owned());
    write_escapes.push("dangling".to_owned());
    for path in &write_escapes {
        let r = host.send(
            "PUT",
            &format!("/workspaces/{id}/file"),
            json!({"path": path, "content": "pwned"}),
        );
        assert_eq!(
            r.status,
            403,
            "write {path:?}: {}",
            String::from_utf8_lossy(&r.body)
        );
        assert_eq!(r.error_code(), "path_not_allowed", "write {path:?}");
    }
    assert_eq!(std::fs::read_to_string(&secret_abs).unwrap(), "top secret");
    assert!(!outside.path().join("new.txt").exists());
    assert!(!std::path::Path::new("/nonexistent/target").exists());
}

#[test]
fn file_limits() {
    let dir = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(ws.path().join("bin.dat"), [0u8, 159, 146, 150]).unwrap();
    let host = TestHost::start(dir.path());
    let id = open(&host, ws.path())["id"].as_str().unwrap().to_owned();
    let r = host.get(&format!("/workspaces/{id}/file?path=bin.dat"));
    assert_eq!((r.status, r.error_code().as_str()), (415, "not_utf8"));

    let huge = "x".repeat(10 * 1024 * 1024 + 1);
    let r = host.send(
        "PUT",
        &format!("/workspaces/{id}/file"),
        json!({"path": "huge.txt", "content": huge}),
    );
    assert_eq!((r.status, r.error_code().as_str()), (413, "file_too_large"));
    assert!(!ws.path().join("huge.txt").exists());
}

/// A home directory outside /tmp with the user's secrets where they keep
/// them, and the host's user-data dir inside it as on a real machine.
struct Home {
    _dir: tempfile::TempDir,
    home: std::path::PathBuf,
    user_data: std::path::PathBuf,
}

const CANARY: &str = "CANARY-ws-9d1e";

fn home() -> Home {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let home = dir.path().canonicalize().unwrap().join("home/user");
    for rel in [".ssh/id_ed25519", ".config/gcloud/credentials.db"] {
        let path = home.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, CANARY).unwrap();
    }
    std::fs::create_dir_all(home.join("project")).unwrap();
    std::fs::create_dir_all(home.join(".config/editor")).unwrap();
    let user_data = home.join(".local/share/agent-host");
    std::fs::create_dir_all(&user_data).unwrap();
    Home {
        _dir: dir,
        home,
        user_data,
    }
}

fn start_in(h: &Home) -> TestHost {
    TestHost::start_with(
        launch_options(&h.user_data),
        &[
            ("AGENT_HOST_SECRET_BACKEND", "file"),
            ("HOME", h.home.to_str().unwrap()),
        ],
    )
}

#[test]
fn workspaces_are_safe_by_construction() {
    let h = home();
    let host = start_in(&h);
    let root_link = h.home.join("project/root-link");
    std::os::unix::fs::symlink("/", &root_link).unwrap();
    let refused = [
        std::path::PathBuf::from("/"),
        "/proc".into(),
        "/proc/self".into(),
        "/sys".into(),
        "/dev".into(),
        "/run".into(),
        "/etc".into(),
        "/usr".into(),
        "/boot".into(),
        root_link.clone(),
        // The home directory itself, and what holds it.
        h.home.clone(),
        h.home.parent().unwrap().to_path_buf(),
        // Holding the user-data dir or a credential folder.
        h.home.join(".local"),
        h.home.join(".config"),
        // Inside a protected location.
        h.user_data.clone(),
        h.home.join(".ssh"),
    ];
    for path in &refused {
        if !path.exists() {
            continue;
        }
        let r = host.send("POST", "/workspaces", json!({"path": path}));
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (403, "workspace_not_allowed"),
            "{path:?}: {}",
            String::from_utf8_lossy(&r.body)
        );
    }
    // A project folder in the home directory is what a workspace is for.
    let project = open(&host, &h.home.join("project"));
    let editor = open(&host, &h.home.join(".config/editor"));
    assert!(project["id"].is_string() && editor["id"].is_string());
    assert_eq!(
        host.get("/workspaces").json()["workspaces"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // A workspace recorded before the rule (here: by an older host) is
    // refused on every use, not only when opened.
    assert!(host.stop().success());
    let registry = h.user_data.join("workspaces.json");
    let text = std::fs::read_to_string(&registry).unwrap();
    let project_path = h.home.join("project");
    let text = text.replace(
        &format!("\"{}\"", project_path.display()),
        &format!("\"{}\"", h.home.display()),
    );
    std::fs::write(&registry, text).unwrap();
    let host = start_in(&h);
    let id = project["id"].as_str().unwrap();
    for path in [
        "/workspaces/{id}/tree",
        "/workspaces/{id}/file?path=.ssh/id_ed25519",
    ] {
        let r = host.get(&path.replace("{id}", id));
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (403, "workspace_not_allowed"),
            "{path}"
        );
        assert!(!contains(&r.body, CANARY.as_bytes()));
    }
}

#[test]
fn a_document_swapped_for_a_symlink_to_a_key_is_refused() {
    let h = home();
    let host = start_in(&h);
    let notes = h.home.join("project/notes.md");
    std::fs::write(&notes, "# notes\n").unwrap();
    let doc = host.send("POST", "/documents", json!({"path": notes}));
    assert_eq!(doc.status, 200);
    let id = doc.json()["doc_id"].as_str().unwrap().to_owned();
    let read = host.get(&format!("/documents/{id}"));
    assert_eq!(read.status, 200);
    let mtime = read.json()["mtime"].as_str().unwrap().to_owned();

    // After registration, the file becomes a symlink to the user's key.
    std::fs::remove_file(&notes).unwrap();
    let key = h.home.join(".ssh/id_ed25519");
    std::os::unix::fs::symlink(&key, &notes).unwrap();
    let r = host.get(&format!("/documents/{id}"));
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (403, "path_not_allowed")
    );
    assert!(!contains(&r.body, CANARY.as_bytes()));
    let r = host.send(
        "PUT",
        &format!("/documents/{id}"),
        json!({"content": "saved", "expected_mtime": mtime}),
    );
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (403, "path_not_allowed")
    );
    assert_eq!(std::fs::read_to_string(&key).unwrap(), CANARY);
    assert!(std::fs::symlink_metadata(&notes)
        .unwrap()
        .file_type()
        .is_symlink());
}

#[test]
fn read_only_paths_for_the_sandbox_never_bring_back_a_secret() {
    let h = home();
    std::fs::create_dir_all(h.home.join(".cargo/bin")).unwrap();
    let host = start_in(&h);
    let id = open(&host, &h.home.join("project"))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let put = |paths: Value| {
        let mut policy = host.get(&format!("/workspaces/{id}/policy")).json();
        policy["read_only_paths"] = paths;
        host.send("PUT", &format!("/workspaces/{id}/policy"), policy)
    };
    for paths in [
        json!(["~"]),
        json!(["/"]),
        json!([h.home.parent().unwrap()]),
        json!(["~/.ssh"]),
        json!(["~/.local"]),
        json!([h.user_data]),
        json!(["~/.cargo", "/proc"]),
    ] {
        let r = put(paths.clone());
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (403, "read_only_path_not_allowed"),
            "{paths}"
        );
    }
    for paths in [json!(["relative/bin"]), json!(["~/../x"])] {
        let r = put(paths.clone());
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (400, "invalid_path"),
            "{paths}"
        );
    }
    let r = put(json!(["~/.cargo", "/opt/not-installed"]));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let policy = host.get(&format!("/workspaces/{id}/policy")).json();
    assert_eq!(
        policy["read_only_paths"],
        json!(["~/.cargo", "/opt/not-installed"])
    );
}
