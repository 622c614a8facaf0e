//! `auth.json`: 0600, refused when exposed, errors never show secrets.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;

use agent_storage::{AuthFile, StorageError};

const SECRET: &str = "sk-secret-value";

fn mode_of(path: &std::path::Path) -> u32 {
    fs::metadata(path).expect("stat").permissions().mode() & 0o777
}

#[test]
fn missing_file_is_empty() {
    let dir = tempfile::tempdir().expect("tempdir");
    let auth = AuthFile::new(dir.path().join("auth.json"));
    assert_eq!(auth.path(), dir.path().join("auth.json"));
    assert_eq!(auth.get("openrouter").expect("get"), None);
    assert!(!auth.contains("openrouter").expect("contains"));
    assert!(!auth.remove("openrouter").expect("remove"));
    assert!(
        !auth.path().exists(),
        "reads and no-op removes do not create it"
    );
}

#[test]
fn set_get_contains_remove() {
    let dir = tempfile::tempdir().expect("tempdir");
    let auth = AuthFile::new(dir.path().join("auth.json"));
    auth.set("openrouter", SECRET).expect("set");
    assert_eq!(mode_of(auth.path()), 0o600);
    auth.set("other", "k2").expect("set other");
    assert_eq!(
        auth.get("openrouter").expect("get").as_deref(),
        Some(SECRET)
    );
    assert!(auth.contains("other").expect("contains"));

    let doc: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(auth.path()).expect("read")).expect("json");
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["keys"]["openrouter"], SECRET);

    assert!(auth.remove("openrouter").expect("remove"));
    assert!(!auth.remove("openrouter").expect("remove again"));
    assert_eq!(auth.get("openrouter").expect("get"), None);
    assert_eq!(auth.get("other").expect("get").as_deref(), Some("k2"));
    assert_eq!(mode_of(auth.path()), 0o600);
}

#[test]
fn exposed_file_is_refused_without_leaking() {
    let dir = tempfile::tempdir().expect("tempdir");
    let auth = AuthFile::new(dir.path().join("auth.json"));
    auth.set("openrouter", SECRET).expect("set");
    for mode in [0o644, 0o640, 0o604] {
        fs::set_permissions(auth.path(), fs::Permissions::from_mode(mode)).expect("chmod");
        for err in [
            auth.get("openrouter").expect_err("get refused"),
            auth.contains("openrouter").expect_err("contains refused"),
            auth.set("x", "y").expect_err("set refused"),
            auth.remove("openrouter").expect_err("remove refused"),
        ] {
            match &err {
                StorageError::InsecurePermissions { mode: m, .. } => {
                    assert_eq!(m & 0o777, mode)
                }
                other => panic!("expected InsecurePermissions, got {other}"),
            }
            let msg = err.to_string();
            assert!(msg.contains(&format!("{mode:o}")), "{msg}");
            assert!(msg.contains("chmod 600"), "{msg}");
            assert!(!msg.contains(SECRET), "{msg}");
        }
    }
    // Nothing was rewritten while refused.
    assert_eq!(mode_of(auth.path()), 0o604);
    fs::set_permissions(auth.path(), fs::Permissions::from_mode(0o600)).expect("chmod");
    assert_eq!(
        auth.get("openrouter").expect("get").as_deref(),
        Some(SECRET)
    );
}

#[test]
fn corrupt_content_never_leaks_the_secret() {
    let dir = tempfile::tempdir().expect("tempdir");
    let auth = AuthFile::new(dir.path().join("auth.json"));
    let cases: &[&str] = &[
        r#"{"version":1,"keys":{"openrouter":123"#,
        r#"{"version":1,"keys":{"openrouter":"sk-secret-value""#,
        r#"{"version":1,"keys":["sk-secret-value"]}"#,
        r#"{"version":1,"keys":{"openrouter":["sk-secret-value"]}}"#,
        r#"{"version":"sk-secret-value","keys":{}}"#,
        r#"{"version":2,"keys":{"openrouter":"sk-secret-value"}}"#,
        r#"["sk-secret-value"]"#,
        r#""sk-secret-value""#,
        "sk-secret-value",
        r#"{"version":1,"keys":{"openrouter":"sk-secret-value\x"}}"#,
    ];
    for case in cases {
        fs::write(auth.path(), case).expect("seed");
        fs::set_permissions(auth.path(), fs::Permissions::from_mode(0o600)).expect("chmod");
        let err = auth.get("openrouter").expect_err(case);
        assert!(matches!(err, StorageError::Corrupt { .. }), "{case}: {err}");
        let msg = err.to_string();
        assert!(!msg.contains("sk-secret"), "{case} leaked: {msg}");
        assert!(!msg.contains("123"), "{case} leaked: {msg}");
        // A corrupt file is not silently replaced by `set`.
        auth.set("openrouter", "new")
            .expect_err("set on corrupt file");
        assert_eq!(fs::read_to_string(auth.path()).expect("read"), *case);
    }
}

#[test]
fn symlink_is_not_followed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let real = dir.path().join("elsewhere.json");
    fs::write(
        &real,
        format!(r#"{{"version":1,"keys":{{"openrouter":"{SECRET}"}}}}"#),
    )
    .expect("seed");
    fs::set_permissions(&real, fs::Permissions::from_mode(0o600)).expect("chmod");
    let link = dir.path().join("auth.json");
    std::os::unix::fs::symlink(&real, &link).expect("symlink");
    let err = AuthFile::new(link).get("openrouter").expect_err("symlink");
    assert!(matches!(err, StorageError::Io { .. }), "{err}");
    assert!(!err.to_string().contains(SECRET));
}

#[test]
fn concurrent_sets_lose_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let auth = Arc::new(AuthFile::new(dir.path().join("auth.json")));
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let auth = Arc::clone(&auth);
            std::thread::spawn(move || {
                for i in 0..10 {
                    auth.set(&format!("p{t}_{i}"), "k").expect("set");
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("thread");
    }
    for t in 0..8 {
        for i in 0..10 {
            assert!(auth.contains(&format!("p{t}_{i}")).expect("contains"));
        }
    }
}
