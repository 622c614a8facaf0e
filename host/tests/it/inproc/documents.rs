//! Documents in-process: register, read, version-checked save, and the
//! refusals (conflict, protected locations, bad paths, bad ids).

use serde_json::json;

use super::Host;

#[tokio::test]
async fn a_document_registers_reads_and_saves_against_its_version() {
    let host = Host::new();
    let path = host.file("notes.md", b"# Notes\n");

    let info = host.ok("POST", "/documents", json!({ "path": path })).await;
    let doc_id = info["doc_id"].as_str().unwrap().to_owned();
    assert!(doc_id.starts_with("doc_") && doc_id.len() == 36, "{doc_id}");
    assert_eq!(info["name"], "notes.md");
    assert_eq!(info["path"], path.to_str().unwrap());

    // The same file through a symlink is the same document.
    let link = host.files().join("link.md");
    std::os::unix::fs::symlink(&path, &link).unwrap();
    let again = host.ok("POST", "/documents", json!({ "path": link })).await;
    assert_eq!(again["doc_id"], doc_id.as_str());
    assert_eq!(again["path"], path.to_str().unwrap());

    let read = host.get(&format!("/documents/{doc_id}")).await;
    assert_eq!(read.status, 200);
    let read = read.json();
    assert_eq!(read["content"], "# Notes\n");
    let mtime = read["mtime"].as_str().unwrap().to_owned();

    let saved = host
        .ok(
            "PUT",
            &format!("/documents/{doc_id}"),
            json!({ "content": "# Notes\n\nmore\n", "expected_mtime": mtime }),
        )
        .await;
    let new_mtime = saved["mtime"].as_str().unwrap();
    assert_ne!(new_mtime, mtime);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "# Notes\n\nmore\n");
    let read = host.get(&format!("/documents/{doc_id}")).await.json();
    assert_eq!(read["content"], "# Notes\n\nmore\n");
    assert_eq!(read["mtime"], new_mtime);

    // Registering also made it recent.
    let recent = host.get("/recent").await.json();
    assert_eq!(recent["entries"][0]["doc_id"], doc_id.as_str());
}

#[tokio::test]
async fn a_save_against_an_old_version_is_409_and_leaves_the_file_alone() {
    let host = Host::new();
    let path = host.file("draft.txt", b"one");
    let doc_id = host.ok("POST", "/documents", json!({ "path": path })).await["doc_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mtime = host.get(&format!("/documents/{doc_id}")).await.json()["mtime"]
        .as_str()
        .unwrap()
        .to_owned();

    // Someone else changes the file on disk.
    std::fs::write(&path, "two, from elsewhere").unwrap();
    let put = host
        .call(
            "PUT",
            &format!("/documents/{doc_id}"),
            Some(json!({ "content": "mine", "expected_mtime": mtime })),
        )
        .await;
    assert_eq!(put.error(), (409, "conflict".into()));
    assert_eq!(
        put.message(),
        "the file changed on disk since it was read; reload it first"
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "two, from elsewhere"
    );

    // Removed on disk: 409 too, and nothing is written in its place.
    std::fs::remove_file(&path).unwrap();
    let put = host
        .call(
            "PUT",
            &format!("/documents/{doc_id}"),
            Some(json!({ "content": "mine", "expected_mtime": mtime })),
        )
        .await;
    assert_eq!(put.error(), (409, "conflict".into()));
    assert_eq!(
        put.message(),
        "the file was removed on disk since it was read"
    );
    assert!(!path.exists());
    let read = host.get(&format!("/documents/{doc_id}")).await;
    assert_eq!(read.error(), (404, "not_found".into()));
    assert_eq!(read.message(), "the file no longer exists");
}

#[tokio::test]
async fn protected_locations_are_refused_at_registration_and_at_every_read() {
    let host = Host::new();
    // The host's own data is never a document, whatever the spelling.
    let inside = host.user_data().join("notes.txt");
    std::fs::write(&inside, "private").unwrap();
    for path in [inside.clone(), host.user_data().join("sessions.db")] {
        let r = host
            .call("POST", "/documents", Some(json!({ "path": path })))
            .await;
        assert_eq!(r.error(), (403, "path_not_allowed".into()), "{path:?}");
    }
    let via_link = host.files().join("innocent.txt");
    std::os::unix::fs::symlink(&inside, &via_link).unwrap();
    let r = host
        .call("POST", "/documents", Some(json!({ "path": via_link })))
        .await;
    assert_eq!(r.error(), (403, "path_not_allowed".into()));

    // A registered document later swapped for a symlink into the user
    // data: reads and saves are refused, and the target is untouched.
    let path = host.file("swap.txt", b"fine");
    let doc_id = host.ok("POST", "/documents", json!({ "path": path })).await["doc_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mtime = host.get(&format!("/documents/{doc_id}")).await.json()["mtime"]
        .as_str()
        .unwrap()
        .to_owned();
    std::fs::remove_file(&path).unwrap();
    std::os::unix::fs::symlink(&inside, &path).unwrap();
    let read = host.get(&format!("/documents/{doc_id}")).await;
    assert_eq!(read.error(), (403, "path_not_allowed".into()));
    assert!(!read.text().contains("private"));
    let put = host
        .call(
            "PUT",
            &format!("/documents/{doc_id}"),
            Some(json!({ "content": "overwrite", "expected_mtime": mtime })),
        )
        .await;
    assert_eq!(put.error(), (403, "path_not_allowed".into()));
    assert_eq!(std::fs::read_to_string(&inside).unwrap(), "private");
}

#[tokio::test]
async fn bad_paths_ids_and_contents_get_their_codes() {
    let host = Host::new();
    let refusals = [
        (json!({ "path": "relative/notes.md" }), 400, "invalid_path"),
        (json!({ "path": "/a\u{0}b" }), 400, "invalid_path"),
        (json!({ "path": host.files() }), 400, "not_a_file"),
        (
            json!({ "path": host.files().join("missing.md") }),
            404,
            "not_found",
        ),
    ];
    for (body, status, code) in refusals {
        let r = host.call("POST", "/documents", Some(body.clone())).await;
        assert_eq!(r.error(), (status, code.into()), "{body}");
    }

    for id in ["nope", "doc_0123", "doc_0123456789abcdef0123456789abcdef"] {
        let r = host.get(&format!("/documents/{id}")).await;
        assert_eq!(r.error(), (404, "unknown_document".into()), "{id}");
    }

    let binary = host.file("image.bin", &[0xff, 0xfe, 0x00, 0x81]);
    let doc_id = host
        .ok("POST", "/documents", json!({ "path": binary }))
        .await["doc_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = host.get(&format!("/documents/{doc_id}")).await;
    assert_eq!(r.error(), (415, "not_utf8".into()));

    // The JSON extractor's refusals are JSON too.
    let r = host
        .call("POST", "/documents", Some(json!({ "path": 5 })))
        .await;
    assert_eq!(r.error(), (400, "invalid_body".into()));
    let r = host.call("GET", "/no/such/route", None).await;
    assert_eq!(r.error(), (404, "no_route".into()));
}
