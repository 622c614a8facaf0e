//! Every escape, tried by every path-taking tool: each is refused with
//! `PathNotAllowed` and nothing outside the workspace changes.

use crate::common::{fixture, Fixture, SECRET};
use agent_tools::ToolError;
use serde_json::{json, Value};

/// Paths that must never reach outside, built per fixture.
fn escapes(f: &Fixture) -> Vec<String> {
    vec![
        "../x".into(),
        "../outside/secret.txt".into(),
        "src/../../outside/secret.txt".into(),
        "/etc/passwd".into(),
        f.outside.join("secret.txt").to_string_lossy().into_owned(),
        f.outside.to_string_lossy().into_owned(),
        "file-link-out".into(),
        "dir-link-out".into(),
        "dir-link-out/secret.txt".into(),
        "dir-link-out/new.txt".into(),
        "dir-link-out/sub/new.txt".into(),
        "README.md\0".into(),
        "a\0b".into(),
    ]
}

/// The arguments each tool gets for `path`.
fn calls(path: &str) -> Vec<(&'static str, Value)> {
    vec![
        ("read_file", json!({"path": path})),
        ("write_file", json!({"path": path, "content": "pwned"})),
        (
            "edit_file",
            json!({"path": path, "old_string": "TOPSECRET", "new_string": "pwned"}),
        ),
        ("list_files", json!({"path": path, "recursive": true})),
        ("grep_files", json!({"pattern": "TOPSECRET", "path": path})),
    ]
}

#[tokio::test]
async fn every_tool_refuses_every_escape() {
    let f = fixture();
    let before = f.outside_snapshot();
    let passwd = std::fs::read("/etc/passwd").ok();
    for path in escapes(&f) {
        for (tool, args) in calls(&path) {
            let err = f
                .call(tool, args)
                .await
                .expect_err(&format!("{tool} {path:?}"));
            assert!(
                matches!(err, ToolError::PathNotAllowed(_)),
                "{tool} {path:?}: {err:?}"
            );
            assert!(!err.to_string().contains("TOPSECRET"));
        }
    }
    assert_eq!(f.outside_snapshot(), before);
    assert_eq!(f.outside_snapshot()[0].1, SECRET.as_bytes());
    assert!(!f.outside.join("new.txt").exists());
    assert!(!f.outside.join("sub").exists());
    assert_eq!(std::fs::read("/etc/passwd").ok(), passwd);
}

#[tokio::test]
async fn walks_do_not_follow_symlinks_out() {
    let f = fixture();
    let v = f.ok("grep_files", json!({"pattern": "TOPSECRET"})).await;
    assert_eq!(v["matches"], json!([]));
    let v = f
        .ok(
            "list_files",
            json!({"recursive": true, "max_entries": 5000}),
        )
        .await;
    let text = v.to_string();
    assert!(!text.contains("secret.txt"), "{text}");
    assert!(text.contains("\"dir-link-out\""), "{text}");
}

#[tokio::test]
async fn write_does_not_create_dirs_through_links() {
    let f = fixture();
    let err = f
        .call(
            "write_file",
            json!({"path": "dir-link-out/a/b/c.txt", "content": "x"}),
        )
        .await
        .expect_err("through link");
    assert!(matches!(err, ToolError::PathNotAllowed(_)), "{err:?}");
    assert!(!f.outside.join("a").exists());
    // A real directory inside is fine; a root-itself target is not.
    let err = f
        .call("write_file", json!({"path": ".", "content": "x"}))
        .await
        .expect_err("root");
    assert!(matches!(err, ToolError::PathNotAllowed(_)), "{err:?}");
}

/// A command racing in the workspace swaps a directory for a symlink to
/// the outside, again and again, while the model lists and searches: the
/// walk is pinned below its start, so nothing outside is ever listed or
/// read.
#[tokio::test]
async fn walks_stay_inside_while_a_directory_is_swapped_for_a_symlink() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let f = fixture();
    // Many entries before `swap` keep the walk busy between listing the
    // root and descending into `swap`.
    for i in 0..200 {
        std::fs::write(f.ws.join(format!("a{i:03}.txt")), "x").unwrap();
    }
    let real = f.ws.join("swap");
    let parked = f.ws.join(".parked");
    let link = f.ws.join(".link");
    std::fs::create_dir(&real).unwrap();
    std::fs::write(real.join("inside.txt"), "inside").unwrap();
    std::os::unix::fs::symlink(&f.outside, &link).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let swapper = {
        let stop = stop.clone();
        let (real, parked, link) = (real.clone(), parked.clone(), link.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                // `swap` is a directory, then a symlink to the outside.
                let _ = std::fs::rename(&real, &parked);
                let _ = std::fs::rename(&link, &real);
                std::thread::yield_now();
                let _ = std::fs::rename(&real, &link);
                let _ = std::fs::rename(&parked, &real);
            }
        })
    };
    let mut leaks = Vec::new();
    for _ in 0..300 {
        let grep = f
            .call("grep_files", json!({"pattern": "TOPSECRET"}))
            .await
            .map(|v| v.to_string())
            .unwrap_or_default();
        let list = f
            .call("list_files", json!({"recursive": true}))
            .await
            .map(|v| v.to_string())
            .unwrap_or_default();
        if grep.contains("TOPSECRET") || list.contains("secret.txt") {
            leaks.push(format!("{grep}\n{list}"));
        }
    }
    stop.store(true, Ordering::Relaxed);
    swapper.join().unwrap();
    assert!(
        leaks.is_empty(),
        "{} leaks, first: {}",
        leaks.len(),
        leaks[0]
    );
    assert_eq!(
        std::fs::read_to_string(f.outside.join("secret.txt")).unwrap(),
        SECRET
    );
}
