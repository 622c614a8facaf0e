//! Documents and recent files against the real binary.

use std::os::unix::fs::PermissionsExt;

use crate::support::*;
use serde_json::json;

#[test]
fn doc_ids_are_stable_across_paths_symlinks_and_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let real = files.path().join("notes.md");
    std::fs::write(&real, "# Notes\n").unwrap();
    std::fs::create_dir(files.path().join("sub")).unwrap();
    let link = files.path().join("link.md");
    std::os::unix::fs::symlink(&real, &link).unwrap();

    let host = TestHost::start(dir.path());
    let a = host.send("POST", "/documents", json!({"path": real}));
    assert_eq!(a.status, 200);
    let a = a.json();
    let id = a["doc_id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("doc_"));
    assert_eq!(a["name"], "notes.md");
    let via_link = host
        .send("POST", "/documents", json!({"path": link}))
        .json();
    assert_eq!(via_link["doc_id"], id.as_str());
    let dotted = files.path().join("sub/../notes.md");
    let via_dots = host
        .send("POST", "/documents", json!({"path": dotted}))
        .json();
    assert_eq!(via_dots["doc_id"], id.as_str());
    assert!(host.stop().success());

    let host = TestHost::start(dir.path());
    let read = host.get(&format!("/documents/{id}"));
    assert_eq!(read.status, 200, "id survives a restart");
    assert_eq!(read.json()["content"], "# Notes\n");
    let again = host
        .send("POST", "/documents", json!({"path": real}))
        .json();
    assert_eq!(again["doc_id"], id.as_str());
}

#[test]
fn registration_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let host = TestHost::start(dir.path());
    let cases = [
        (json!({"path": "relative.md"}), 400, "invalid_path"),
        (json!({"path": "/no/such/file.md"}), 404, "not_found"),
        (json!({"path": dir.path()}), 400, "not_a_file"),
        (json!({"path": "/tmp/a\u{0}b"}), 400, "invalid_path"),
        (json!({"nope": 1}), 400, "invalid_body"),
    ];
    for (body, status, code) in cases {
        let r = host.send("POST", "/documents", body.clone());
        assert_eq!(r.status, status, "{body}");
        assert_eq!(r.error_code(), code, "{body}");
    }
    let r = host.get("/documents/doc_0123456789abcdef0123456789abcdef");
    assert_eq!(r.status, 404);
    assert_eq!(r.error_code(), "unknown_document");
    let r = host.get("/documents/..%2f..%2fetc%2fpasswd");
    assert_eq!(r.status, 404);
}

#[test]
fn write_with_mtime_and_conflict() {
    let dir = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let path = files.path().join("draft.txt");
    std::fs::write(&path, "v1").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    let host = TestHost::start(dir.path());
    let id = host
        .send("POST", "/documents", json!({"path": path}))
        .json()["doc_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let read = host.get(&format!("/documents/{id}")).json();
    let mtime = read["mtime"].as_str().unwrap().to_owned();

    let write = host.send(
        "PUT",
        &format!("/documents/{id}"),
        json!({"content": "v2", "expected_mtime": mtime}),
    );
    assert_eq!(write.status, 200);
    let new_mtime = write.json()["mtime"].as_str().unwrap().to_owned();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "v2");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640, "a user document keeps its mode");

    // A stale version is refused and the file is untouched.
    let stale = host.send(
        "PUT",
        &format!("/documents/{id}"),
        json!({"content": "v3", "expected_mtime": mtime}),
    );
    assert_eq!(stale.status, 409);
    assert_eq!(stale.error_code(), "conflict");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "v2");

    // Another program changes the file: the client's version is now stale.
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(&path, "edited elsewhere").unwrap();
    let r = host.send(
        "PUT",
        &format!("/documents/{id}"),
        json!({"content": "mine", "expected_mtime": new_mtime}),
    );
    assert_eq!(r.status, 409);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "edited elsewhere");

    // Changed within the same mtime (another program rewrote it in the same
    // clock tick; simulated by setting the old mtime back): still stale.
    let before = host.get(&format!("/documents/{id}")).json()["mtime"]
        .as_str()
        .unwrap()
        .to_owned();
    let old_mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
    std::fs::write(&path, "rewritten in the same tick").unwrap();
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(old_mtime)
        .unwrap();
    let r = host.send(
        "PUT",
        &format!("/documents/{id}"),
        json!({"content": "mine", "expected_mtime": before}),
    );
    assert_eq!(r.status, 409, "a same-mtime change went unnoticed");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "rewritten in the same tick"
    );

    // Removed on disk: also a conflict, nothing recreated.
    let current = host.get(&format!("/documents/{id}")).json()["mtime"]
        .as_str()
        .unwrap()
        .to_owned();
    std::fs::remove_file(&path).unwrap();
    let r = host.send(
        "PUT",
        &format!("/documents/{id}"),
        json!({"content": "mine", "expected_mtime": current}),
    );
    assert_eq!(r.status, 409);
    assert!(!path.exists());
    let r = host.get(&format!("/documents/{id}"));
    assert_eq!(r.status, 404);
    assert_eq!(r.error_code(), "not_found");
}

#[test]
fn read_limits() {
    let dir = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let host = TestHost::start(dir.path());
    let binary = files.path().join("image.bin");
    std::fs::write(&binary, [0xff, 0xfe, 0x00, 0x80]).unwrap();
    let id = host
        .send("POST", "/documents", json!({"path": binary}))
        .json()["doc_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = host.get(&format!("/documents/{id}"));
    assert_eq!(r.status, 415);
    assert_eq!(r.error_code(), "not_utf8");

    let big = files.path().join("big.txt");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(10 * 1024 * 1024 + 1).unwrap();
    let id = host.send("POST", "/documents", json!({"path": big})).json()["doc_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = host.get(&format!("/documents/{id}"));
    assert_eq!(r.status, 413);
    assert_eq!(r.error_code(), "file_too_large");
}

#[test]
fn recent_files_touch_pin_forget() {
    let dir = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let host = TestHost::start(dir.path());
    let mut ids = Vec::new();
    for i in 0..3 {
        let p = files.path().join(format!("f{i}.md"));
        std::fs::write(&p, "x").unwrap();
        ids.push(
            host.send("POST", "/documents", json!({"path": p})).json()["doc_id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let list = host.get("/recent").json();
    let order: Vec<&str> = list["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["doc_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        order,
        vec![ids[2].as_str(), ids[1].as_str(), ids[0].as_str()]
    );

    let pinned = host.send(
        "PUT",
        &format!("/recent/{}/pin", ids[0]),
        json!({"pinned": true}),
    );
    assert_eq!(pinned.status, 200);
    assert_eq!(pinned.json()["pinned"], true);
    std::thread::sleep(std::time::Duration::from_millis(5));
    assert_eq!(
        host.send("POST", "/recent", json!({"doc_id": ids[1]}))
            .status,
        200
    );
    let list = host.get("/recent").json();
    let order: Vec<&str> = list["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["doc_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        order,
        vec![ids[0].as_str(), ids[1].as_str(), ids[2].as_str()]
    );

    let r = host.request("DELETE", &format!("/recent/{}", ids[2]), None);
    assert_eq!(r.status, 204);
    let r = host.request("DELETE", &format!("/recent/{}", ids[2]), None);
    assert_eq!(r.status, 404);
    assert_eq!(r.error_code(), "not_recent");
    let r = host.send(
        "POST",
        "/recent",
        json!({"doc_id": "doc_ffffffffffffffffffffffffffffffff"}),
    );
    assert_eq!(r.status, 404);
    assert_eq!(r.error_code(), "unknown_document");

    // Persisted across a restart.
    assert!(host.stop().success());
    let host = TestHost::start(dir.path());
    let list = host.get("/recent").json();
    assert_eq!(list["entries"].as_array().unwrap().len(), 2);
    assert_eq!(list["entries"][0]["pinned"], true);
}
