//! `GET /events` on the real binary over real loopback: behind the
//! perimeter, streaming as things change on disk, and a client that stops
//! reading slows nobody.

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::json;
use testkit::{raw_request, FrameExt, SseReader, TestHost};

#[test]
fn the_event_stream_is_behind_the_perimeter_and_follows_the_disk() {
    let data = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let host = TestHost::start(data.path());

    let mut no_auth = host.good_headers();
    no_auth.retain(|(name, _)| name != "Authorization");
    let refused = raw_request(host.port, "GET", "/events", &no_auth, None);
    assert_eq!(refused.status, 401);

    let path = files.path().join("notes.md");
    std::fs::write(&path, "one\n").unwrap();
    let doc = host.ok("POST", "/documents", json!({ "path": path }))["doc_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut events = SseReader::open(&host, "GET", "/events", None, &[]);
    assert_eq!(events.status, 200);
    assert_eq!(events.header("content-type"), Some("text/event-stream"));

    // printf >> file, as a user at a terminal would.
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("printf 'two\\n' >> '{}'", path.display()))
        .status()
        .unwrap();
    assert!(status.success());
    let frame = events.next_frames(1).remove(0);
    assert_eq!(frame.kind(), "document.changed");
    assert_eq!(frame.json()["doc_id"], doc.as_str());
    assert_eq!(frame.json()["source"], "external");
    let id = frame.id.clone().expect("every frame has an id");

    // Resuming after that id over a new connection: only what followed.
    host.ok("POST", "/sessions", json!({ "title": "after" }));
    let mut resumed = SseReader::open(&host, "GET", "/events", None, &[("Last-Event-ID", &id)]);
    let frame = resumed.next_frames(1).remove(0);
    assert_eq!(frame.kind(), "session.created");
}

#[test]
fn a_client_that_stops_reading_slows_nobody() {
    let data = tempfile::tempdir().unwrap();
    let host = TestHost::start(data.path());

    // Subscribes and never reads a byte.
    let mut stalled = TcpStream::connect(("127.0.0.1", host.port)).unwrap();
    let mut head = String::from("GET /events HTTP/1.1\r\n");
    for (name, value) in host.good_headers() {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stalled.write_all(head.as_bytes()).unwrap();

    let mut slowest = Duration::ZERO;
    for n in 0..1500 {
        let started = Instant::now();
        let title = format!("session {n} {}", "x".repeat(150));
        host.ok("POST", "/sessions", json!({ "title": title }));
        if n % 100 == 0 {
            assert_eq!(host.get("/health").status, 200);
        }
        slowest = slowest.max(started.elapsed());
    }
    // Generous for a debug build on 2 busy cores; a host that waited on the
    // stalled reader would not answer at all.
    assert!(
        slowest < Duration::from_secs(2),
        "slowest request {slowest:?}"
    );
    drop(stalled);
    assert_eq!(host.get("/health").status, 200);
}
