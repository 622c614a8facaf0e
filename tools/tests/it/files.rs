//! Happy paths and ordinary failures of the file tools.

use std::fs;
use std::os::unix::fs::PermissionsExt;

use crate::common::fixture;
use agent_tools::ToolError;
use serde_json::json;

#[tokio::test]
async fn read_file_whole_and_window() {
    let f = fixture();
    let v = f.ok("read_file", json!({"path": "README.md"})).await;
    assert_eq!(v["path"], "README.md");
    assert_eq!(v["content"], "hello\nworld\n");
    assert_eq!(v["total_lines"], 2);
    assert_eq!(v["truncated"], false);

    let v = f
        .ok(
            "read_file",
            json!({"path": "README.md", "offset_line": 1, "limit_lines": 1}),
        )
        .await;
    assert_eq!(v["content"], "hello\n");
    assert_eq!(v["truncated"], true);

    let abs = f.ws.join("src/lib.rs");
    let v = f.ok("read_file", json!({"path": abs})).await;
    assert_eq!(v["path"], "src/lib.rs");
}

#[tokio::test]
async fn read_file_refusals() {
    let f = fixture();
    fs::write(f.ws.join("bin.dat"), [0xff, 0xfe, 0x00, 0x80]).expect("write");
    let err = f
        .call("read_file", json!({"path": "bin.dat"}))
        .await
        .expect_err("binary");
    assert!(matches!(err, ToolError::Refused(_)), "{err:?}");

    let big = vec![b'a'; agent_tools::MAX_TEXT_BYTES as usize + 1];
    fs::write(f.ws.join("big.txt"), big).expect("write");
    let err = f
        .call("read_file", json!({"path": "big.txt"}))
        .await
        .expect_err("big");
    assert!(matches!(err, ToolError::TooLarge(_)), "{err:?}");

    let err = f
        .call("read_file", json!({"path": "nope.txt"}))
        .await
        .expect_err("missing");
    assert!(matches!(err, ToolError::NotFound(_)), "{err:?}");

    let err = f
        .call("read_file", json!({"path": "src"}))
        .await
        .expect_err("dir");
    assert!(matches!(err, ToolError::InvalidArguments(_)), "{err:?}");

    let err = agent_tools::call(&f.ctx, "read_file", "{not json")
        .await
        .expect_err("json");
    assert!(matches!(err, ToolError::InvalidArguments(_)), "{err:?}");
    let err = f
        .call("read_file", json!({"path": "README.md", "bogus": 1}))
        .await
        .expect_err("unknown field");
    assert!(matches!(err, ToolError::InvalidArguments(_)), "{err:?}");
}

#[tokio::test]
async fn write_file_creates_and_preserves_mode() {
    let f = fixture();
    let v = f
        .ok(
            "write_file",
            json!({"path": "new/nested/file.txt", "content": "abc"}),
        )
        .await;
    assert_eq!(v["path"], "new/nested/file.txt");
    assert_eq!(v["bytes"], 3);
    assert_eq!(
        fs::read_to_string(f.ws.join("new/nested/file.txt")).expect("read"),
        "abc"
    );

    let script = f.ws.join("run.sh");
    fs::write(&script, "old").expect("write");
    fs::set_permissions(&script, fs::Permissions::from_mode(0o750)).expect("chmod");
    f.ok("write_file", json!({"path": "run.sh", "content": "new"}))
        .await;
    assert_eq!(fs::read_to_string(&script).expect("read"), "new");
    let mode = fs::metadata(&script).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode, 0o750);
}

#[tokio::test]
async fn write_file_through_inside_symlink_keeps_the_link() {
    let f = fixture();
    std::os::unix::fs::symlink("README.md", f.ws.join("link-in")).expect("symlink");
    f.ok(
        "write_file",
        json!({"path": "link-in", "content": "via link"}),
    )
    .await;
    assert!(fs::symlink_metadata(f.ws.join("link-in"))
        .expect("meta")
        .file_type()
        .is_symlink());
    assert_eq!(
        fs::read_to_string(f.ws.join("README.md")).expect("read"),
        "via link"
    );
}

#[tokio::test]
async fn edit_file_replaces_once_or_all() {
    let f = fixture();
    let v = f
        .ok(
            "edit_file",
            json!({"path": "src/lib.rs", "old_string": "fn beta", "new_string": "fn gamma"}),
        )
        .await;
    assert_eq!(v["replacements"], 1);
    assert_eq!(
        fs::read_to_string(f.ws.join("src/lib.rs")).expect("read"),
        "fn alpha() {}\nfn gamma() {}\n"
    );

    let v = f
        .ok(
            "edit_file",
            json!({"path": "src/lib.rs", "old_string": "fn ", "new_string": "pub fn ", "replace_all": true}),
        )
        .await;
    assert_eq!(v["replacements"], 2);
    assert_eq!(
        fs::read_to_string(f.ws.join("src/lib.rs")).expect("read"),
        "pub fn alpha() {}\npub fn gamma() {}\n"
    );
}

#[tokio::test]
async fn edit_file_ambiguous_and_not_found() {
    let f = fixture();
    let before = fs::read(f.ws.join("src/lib.rs")).expect("read");
    let err = f
        .call(
            "edit_file",
            json!({"path": "src/lib.rs", "old_string": "fn ", "new_string": "x"}),
        )
        .await
        .expect_err("ambiguous");
    match err {
        ToolError::Ambiguous(msg) => assert!(msg.contains('2'), "{msg}"),
        other => panic!("{other:?}"),
    }
    let err = f
        .call(
            "edit_file",
            json!({"path": "src/lib.rs", "old_string": "zzz", "new_string": "x"}),
        )
        .await
        .expect_err("missing");
    assert!(matches!(err, ToolError::NotFound(_)), "{err:?}");
    let err = f
        .call(
            "edit_file",
            json!({"path": "src/lib.rs", "old_string": "", "new_string": "x"}),
        )
        .await
        .expect_err("empty");
    assert!(matches!(err, ToolError::InvalidArguments(_)), "{err:?}");
    assert_eq!(fs::read(f.ws.join("src/lib.rs")).expect("read"), before);
}

#[tokio::test]
async fn list_files_flat_recursive_and_capped() {
    let f = fixture();
    let v = f.ok("list_files", json!({})).await;
    let entries = v["entries"].as_array().expect("entries");
    let find = |p: &str| entries.iter().find(|e| e["path"] == p).cloned();
    assert_eq!(find("README.md").expect("readme")["kind"], "file");
    assert_eq!(find("README.md").expect("readme")["size"], 12);
    assert_eq!(find("src").expect("src")["kind"], "dir");
    assert_eq!(find("dir-link-out").expect("link")["kind"], "symlink");
    assert!(find("src/lib.rs").is_none(), "not recursive");
    assert_eq!(v["truncated"], false);

    let v = f.ok("list_files", json!({"recursive": true})).await;
    let paths: Vec<&str> = v["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["path"].as_str().expect("path"))
        .collect();
    assert!(paths.contains(&"src/deep/main.rs"), "{paths:?}");
    assert!(!paths.iter().any(|p| p.contains("secret")), "{paths:?}");

    let v = f
        .ok("list_files", json!({"recursive": true, "max_entries": 2}))
        .await;
    assert_eq!(v["entries"].as_array().expect("entries").len(), 2);
    assert_eq!(v["truncated"], true);

    let v = f.ok("list_files", json!({"path": "src"})).await;
    assert!(v["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .any(|e| e["path"] == "src/lib.rs"));
}

#[tokio::test]
async fn grep_files_matches_globs_and_skips() {
    let f = fixture();
    fs::write(f.ws.join("bin.dat"), b"alpha\0binary").expect("write");
    let v = f.ok("grep_files", json!({"pattern": "alpha"})).await;
    let matches = v["matches"].as_array().expect("matches");
    assert_eq!(matches.len(), 2, "{matches:?}");
    assert!(matches
        .iter()
        .any(|m| m["path"] == "src/lib.rs" && m["line"] == 1));
    assert!(matches.iter().any(|m| m["path"] == "src/deep/main.rs"));
    assert_eq!(v["truncated"], false);

    let v = f
        .ok(
            "grep_files",
            json!({"pattern": "fn \\w+", "glob": "main.rs"}),
        )
        .await;
    assert_eq!(v["matches"].as_array().expect("m").len(), 1);
    let v = f
        .ok("grep_files", json!({"pattern": "fn", "glob": "src/*.rs"}))
        .await;
    assert!(v["matches"]
        .as_array()
        .expect("m")
        .iter()
        .all(|m| m["path"] == "src/lib.rs"));

    let v = f
        .ok("grep_files", json!({"pattern": "fn", "max_matches": 1}))
        .await;
    assert_eq!(v["matches"].as_array().expect("m").len(), 1);
    assert_eq!(v["truncated"], true);

    let v = f
        .ok(
            "grep_files",
            json!({"pattern": "world", "path": "README.md"}),
        )
        .await;
    assert_eq!(v["matches"][0]["line"], 2);

    let err = f
        .call("grep_files", json!({"pattern": "("}))
        .await
        .expect_err("regex");
    assert!(matches!(err, ToolError::InvalidArguments(_)), "{err:?}");
}

#[tokio::test]
async fn unknown_tool_and_available() {
    let f = fixture();
    let err = f.call("rm_rf", json!({})).await.expect_err("unknown");
    assert!(matches!(err, ToolError::NotFound(_)), "{err:?}");

    let names: Vec<&str> = agent_tools::available(&f.ctx)
        .iter()
        .map(|s| s.name)
        .collect();
    assert!(!names.contains(&"run_command"), "{names:?}");
    for n in [
        "read_file",
        "write_file",
        "edit_file",
        "list_files",
        "grep_files",
        "web_fetch",
    ] {
        assert!(names.contains(&n), "{n}");
    }
    for spec in agent_tools::available(&f.ctx) {
        assert_eq!(spec.parameters["type"], "object", "{}", spec.name);
    }
    let err = f
        .call("run_command", json!({"command": "true"}))
        .await
        .expect_err("no sandbox");
    assert!(matches!(err, ToolError::Refused(_)), "{err:?}");
}

#[tokio::test]
async fn the_observer_hears_each_write_with_its_before_and_after() {
    use agent_tools::FileContent::{Absent, Text, Untracked};
    let mut f = fixture();
    let heard = std::sync::Arc::new(crate::common::Heard::default());
    f.ctx.observer = agent_tools::Observer(Some(heard.clone()));

    f.ok(
        "write_file",
        json!({"path": "new/a.md", "content": "one\n"}),
    )
    .await;
    f.ok(
        "write_file",
        json!({"path": "new/a.md", "content": "two\n"}),
    )
    .await;
    f.ok(
        "edit_file",
        json!({"path": "README.md", "old_string": "world", "new_string": "there"}),
    )
    .await;
    fs::write(f.ws.join("big.bin"), vec![0xffu8; 10]).unwrap();
    f.ok(
        "write_file",
        json!({"path": "big.bin", "content": "text now"}),
    )
    .await;
    // Refused writes are not changes.
    assert!(f
        .call(
            "write_file",
            json!({"path": "file-link-out", "content": "x"})
        )
        .await
        .is_err());
    assert!(f
        .call("read_file", json!({"path": "README.md"}))
        .await
        .is_ok());

    let heard: Vec<_> = heard.0.lock().unwrap().clone();
    let summary: Vec<_> = heard
        .iter()
        .map(|c| {
            (
                c.path
                    .strip_prefix(&f.ws)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
                c.before.clone(),
                c.after.clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("new/a.md".into(), Absent, Text("one\n".into())),
            (
                "new/a.md".into(),
                Text("one\n".into()),
                Text("two\n".into())
            ),
            (
                "README.md".into(),
                Text("hello\nworld\n".into()),
                Text("hello\nthere\n".into())
            ),
            ("big.bin".into(), Untracked, Text("text now".into())),
        ]
    );
    assert!(!summary
        .iter()
        .any(|(_, b, _)| *b == Text(crate::common::SECRET.into())));
}
