//! A host SIGKILLed in the middle of a write loop leaves every file whole:
//! the old version or the new one, never a mix, never empty.

mod support;

use std::time::{Duration, Instant};

use serde_json::json;
use support::*;

/// Content of version `v`: a header line plus a large body of one repeated
/// letter, so any partial or mixed write is detectable.
fn version(v: usize) -> String {
    let letter = (b'a' + (v % 26) as u8) as char;
    format!("version {v}\n{}", letter.to_string().repeat(256 * 1024))
}

fn is_whole(content: &str) -> bool {
    let Some((head, body)) = content.split_once('\n') else {
        return false;
    };
    let Some(v) = head
        .strip_prefix("version ")
        .and_then(|n| n.parse::<usize>().ok())
    else {
        return false;
    };
    let letter = (b'a' + (v % 26) as u8) as char;
    body.len() == 256 * 1024 && body.chars().all(|c| c == letter)
}

#[test]
fn sigkill_during_writes_leaves_whole_files() {
    let files = tempfile::tempdir().unwrap();
    let doc = files.path().join("doc.txt");
    let ws_file = files.path().join("ws.txt");
    std::fs::write(&doc, version(0)).unwrap();
    std::fs::write(&ws_file, version(0)).unwrap();

    for round in 0..6 {
        let user_data = tempfile::tempdir().unwrap();
        let host = TestHost::start(user_data.path());
        let doc_id = host.send("POST", "/documents", json!({"path": doc})).json()["doc_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let ws_id = host
            .send("POST", "/workspaces", json!({"path": files.path()}))
            .json()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let pid = host.pid as libc::pid_t;
        let kill_after = Duration::from_millis(5 + 23 * round as u64);
        // The killer starts after the first completed write, so every round
        // kills a host that is busy writing.
        let mut killer = None;

        let started = Instant::now();
        let mut writes = 0;
        let mut v = round * 1000 + 1;
        while started.elapsed() < Duration::from_secs(3) {
            let Some(current) = host.try_request("GET", &format!("/documents/{doc_id}"), None)
            else {
                break; // The host is dead.
            };
            if current.status != 200 {
                break;
            }
            let mtime = current.json()["mtime"].as_str().unwrap().to_owned();
            let body = json!({"content": version(v), "expected_mtime": mtime});
            let doc_write = host.try_request("PUT", &format!("/documents/{doc_id}"), Some(&body));
            let ws_body = json!({"path": "ws.txt", "content": version(v)});
            let ws_write =
                host.try_request("PUT", &format!("/workspaces/{ws_id}/file"), Some(&ws_body));
            if doc_write.is_none() || ws_write.is_none() {
                break;
            }
            writes += 1;
            v += 1;
            if killer.is_none() {
                killer = Some(std::thread::spawn(move || {
                    std::thread::sleep(kill_after);
                    // SAFETY: kill(2) on our own child.
                    unsafe { libc::kill(pid, libc::SIGKILL) };
                }));
            }
        }
        killer
            .expect("round {round}: no write happened before the kill")
            .join()
            .unwrap();
        eprintln!("round {round}: SIGKILL after {writes} completed write pairs");
        drop(host);
        for path in [&doc, &ws_file] {
            let content = std::fs::read_to_string(path).unwrap();
            assert!(
                is_whole(&content),
                "round {round}: {} is partial",
                path.display()
            );
        }
    }
}
