//! Faults against the real binary:
//!
//! - a host SIGKILLed in the middle of a write loop leaves every file whole:
//!   the old version or the new one, never a mix, never empty;
//! - a hundred SIGKILLs during turns and writes on one user-data directory
//!   leave a sound database, whole documents and replayable sessions;
//! - SIGKILLs during a turn's revert leave every file one whole version
//!   (restored or not), and a revert left alone restores all of them;
//! - a full file system under the user data gives 507 `storage_full`,
//!   damages nothing, and the next write after space returns succeeds;
//! - a read-only user-data directory refuses start-up clearly.
//!
//! The file-system tests mount a tmpfs and need root; without it (or when
//! the mount is refused, e.g. in an unprivileged container) they print
//! SKIPPED and pass.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::support::*;
use agent_provider::scripted::{Reply, Scripted};
use serde_json::json;

/// The large files of the write loop.
const LARGE: usize = 256 * 1024;

/// Content of version `v`: a header line plus a body of `size` times one
/// letter, so any partial or mixed write is detectable.
fn version_of(v: usize, size: usize) -> String {
    let letter = (b'a' + (v % 26) as u8) as char;
    format!("version {v}\n{}", letter.to_string().repeat(size))
}

/// Whether `content` is exactly some [`version_of`] with `size`.
fn is_whole_of(content: &str, size: usize) -> bool {
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
    body.len() == size && body.chars().all(|c| c == letter)
}

fn version(v: usize) -> String {
    version_of(v, LARGE)
}

fn is_whole(content: &str) -> bool {
    is_whole_of(content, LARGE)
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

// ---------------------------------------------------------------------------
// A hundred SIGKILLs during turns and writes.

/// The target; every iteration restarts the host on the same directory.
const KILL_ROUNDS: usize = 100;
const SMALL: usize = 16 * 1024;

/// splitmix64: the kill delays and answer lengths, reproducible from the
/// seed printed at the start (`CRASH_SEED=<n>` replays a run).
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Content of version `v` for the smaller files of the kill loop.
fn small_version(v: usize) -> String {
    version_of(v, SMALL)
}

fn is_whole_small(content: &str) -> bool {
    is_whole_of(content, SMALL)
}

/// `PRAGMA integrity_check` on a read-only connection: `["ok"]` when sound.
fn integrity(db: &Path) -> Vec<String> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap_or_else(|e| panic!("open {}: {e}", db.display()));
    let mut stmt = conn.prepare("PRAGMA integrity_check").unwrap();
    let rows = stmt
        .query_map([], |row| row.get::<_, String>(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    rows
}

/// A streamed answer of `words` words, `delay_ms` apart.
fn answer(words: usize, delay_ms: u64) -> Reply {
    let mut events = vec![Scripted::Reasoning {
        text: "thinking ".into(),
    }];
    for i in 0..words {
        events.push(Scripted::Text {
            text: format!("w{i} "),
        });
        events.push(Scripted::Delay { ms: delay_ms });
    }
    events.extend([
        Scripted::Finish {
            reason: "stop".into(),
        },
        Scripted::Usage {
            input: 10,
            output: words as u64,
        },
        Scripted::Done,
    ]);
    Reply::Stream { events }
}

/// `POST /sessions/{id}/turns` on its own thread, read until the host dies
/// or the stream ends; never panics.
fn turn_in_background(
    host: &TestHost,
    session: &str,
    message: &str,
) -> std::thread::JoinHandle<()> {
    let port = host.port;
    let mut headers = host.good_headers();
    headers.push(("Content-Type".into(), "application/json".into()));
    let path = format!("/sessions/{session}/turns");
    let body = serde_json::to_vec(&json!({ "message": message })).unwrap();
    std::thread::spawn(move || {
        let _ = try_raw_request(port, "POST", &path, &headers, Some(&body));
    })
}

fn id_of(response: Option<Response>, field: &str) -> Option<String> {
    let response = response?;
    if response.status != 200 {
        return None;
    }
    response.json()[field].as_str().map(str::to_owned)
}

/// `turn`'s stored chunks, (seq, body), in order.
fn logged_chunks(db: &Path, turn: &str) -> Vec<(u64, String)> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap_or_else(|e| panic!("open {}: {e}", db.display()));
    let mut stmt = conn
        .prepare("SELECT seq, body FROM chunks WHERE turn_id = ?1 ORDER BY seq")
        .unwrap();
    let chunks = stmt
        .query_map([turn], |row| {
            Ok((row.get::<_, i64>(0)? as u64, row.get::<_, String>(1)?))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    chunks
}

/// Replays the latest turn of `session` and checks the stream is whole: 200,
/// its chunk log numbered `1..n` without gaps, the replay that log (its
/// chunks, deltas merged: the same text) up to its last number, `start`
/// first, `[DONE]` last, and a resume from the middle returns exactly the
/// rest.
fn check_replay(host: &TestHost, session: &str) -> Vec<SseFrame> {
    let path = format!("/sessions/{session}/stream");
    let reader = SseReader::open(host, "GET", &path, None, &[]);
    assert_eq!(reader.status, 200, "{session}: replay refused");
    let frames = reader.rest();
    let kinds: Vec<String> = frames.iter().map(SseFrame::kind).collect();
    assert!(frames.len() >= 2, "{session}: replay too short: {kinds:?}");
    assert_eq!(kinds.last().unwrap(), "[DONE]", "{session}: {kinds:?}");
    // A turn killed before its first batch of frames was committed has an
    // empty log; the replay is then only the ending the host adds.
    let nothing_persisted = kinds == ["error", "[DONE]"];
    assert!(
        kinds[0] == "start" || nothing_persisted,
        "{session}: {kinds:?}"
    );
    let turn = frames[0]
        .id
        .as_deref()
        .and_then(|id| id.rsplit_once(':'))
        .map(|(turn, _)| turn.to_owned())
        .unwrap_or_else(|| panic!("{session}: frame without id"));
    // The log itself is numbered 1..n without a gap.
    let log = logged_chunks(&host.user_data.join("sessions.db"), &turn);
    let numbers: Vec<u64> = log.iter().map(|(seq, _)| *seq).collect();
    let whole: Vec<u64> = (1..=log.len() as u64).collect();
    assert_eq!(numbers, whole, "{session}: gap in the chunk log");
    // The replay is that log, its runs of deltas merged (each frame with
    // its run's last number), then any ending the host adds after it.
    let seqs = seqs(&frames, &turn);
    let from_log = seqs
        .iter()
        .take_while(|&&seq| seq <= log.len() as u64)
        .count();
    if !log.is_empty() {
        assert!(from_log > 0, "{session}: nothing of the log replayed");
        assert_eq!(
            seqs[from_log - 1],
            log.len() as u64,
            "{session}: the replay stops before the log ends"
        );
    }
    let delta_text = |data: &str| -> Option<String> {
        let v: serde_json::Value = serde_json::from_str(data).ok()?;
        (v["type"] == "text-delta").then(|| v["delta"].as_str().unwrap().to_owned())
    };
    for (frame, seq) in frames[..from_log].iter().zip(&seqs) {
        if !frame.kind().ends_with("-delta") {
            assert_eq!(
                frame.data,
                log[*seq as usize - 1].1,
                "{session}: chunk {seq}"
            );
        }
    }
    let replayed: String = frames[..from_log]
        .iter()
        .filter_map(|f| delta_text(&f.data))
        .collect();
    let logged: String = log
        .iter()
        .filter_map(|(_, data)| delta_text(data))
        .collect();
    assert_eq!(
        replayed, logged,
        "{session}: the replay's text is not the log's"
    );
    // Resume after a frame of the persisted log. (The ending added to an
    // interrupted turn is numbered after the reader's cursor, so a resume
    // from inside it is not compared.)
    let persisted = if kinds[kinds.len() - 2] == "error" {
        frames.len() - 2
    } else {
        frames.len()
    };
    if persisted == 0 {
        return frames;
    }
    let mid = (frames.len() / 2).clamp(1, persisted);
    let resumed = SseReader::open(
        host,
        "GET",
        &path,
        None,
        &[("Last-Event-ID", frames[mid - 1].id.as_deref().unwrap())],
    );
    assert_eq!(resumed.status, 200);
    assert_eq!(resumed.rest(), frames[mid..].to_vec(), "{session}: resume");
    frames
}

#[test]
fn a_hundred_sigkills_during_turns_and_writes_leave_everything_sound() {
    let seed: u64 = std::env::var("CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    eprintln!("CRASH_SEED={seed}");
    let mut rng = seed;
    let started = Instant::now();

    let provider = TestProvider::start(Vec::new());
    let user_data = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let doc = files.path().join("doc.txt");
    let ws_file = files.path().join("ws.txt");
    std::fs::write(&doc, small_version(0)).unwrap();
    std::fs::write(&ws_file, small_version(0)).unwrap();

    // Configuration that later rounds rely on, written once by a host that
    // is stopped cleanly.
    let host = TestHost::start(user_data.path());
    provider.configure(
        &host,
        json!({"idle_timeout_ms": 2000, "first_chunk_timeout_ms": 2000}),
    );
    let doc_id = id_of(
        host.try_request("POST", "/documents", Some(&json!({"path": doc}))),
        "doc_id",
    )
    .unwrap();
    let ws_id = id_of(
        host.try_request("POST", "/workspaces", Some(&json!({"path": files.path()}))),
        "id",
    )
    .unwrap();
    assert!(host.stop().success());

    let mut sessions: Vec<String> = Vec::new();
    let mut version = 1;
    let mut killed_writing = 0;
    for round in 0..KILL_ROUNDS {
        let host = TestHost::start(user_data.path());
        // A new session now and then (its creation may be the write the
        // kill lands in), else one of the existing ones: multi-turn
        // sessions whose history is rebuilt from what earlier crashes left.
        let new_session = sessions.len() < 3 || next(&mut rng).is_multiple_of(4);
        let session = if new_session {
            let workspace = (round % 2 == 0).then(|| ws_id.clone());
            let body = json!({"title": format!("round {round}"), "workspace_id": workspace});
            match id_of(host.try_request("POST", "/sessions", Some(&body)), "id") {
                Some(id) => {
                    sessions.push(id.clone());
                    id
                }
                None => panic!("round {round}: POST /sessions failed on a live host"),
            }
        } else {
            sessions[(next(&mut rng) % sessions.len() as u64) as usize].clone()
        };
        // Short answers finish before the kill, long ones are cut.
        let words = 2 + (next(&mut rng) % 60) as usize;
        provider.push([answer(words, 1)]);
        // Half the kills land within 4 ms of the turn request (the turn's
        // first writes), the others anywhere in the first 60 ms.
        let window = if next(&mut rng).is_multiple_of(2) {
            4_000
        } else {
            60_000
        };
        let kill_after = Duration::from_micros(next(&mut rng) % window);
        // Every fifth round the kill waits for the turn's stream to end, so
        // finished turns (whose last frames must be persisted before the
        // stream ends) are killed too.
        let after_the_turn = round % 5 == 4;
        let pid = host.pid as libc::pid_t;
        let turn = turn_in_background(&host, &session, &format!("round {round}"));
        let killer = std::thread::spawn(move || {
            let mut turn = Some(turn);
            if after_the_turn {
                turn.take().unwrap().join().unwrap();
            }
            std::thread::sleep(kill_after);
            // SAFETY: kill(2) on our own child.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            if let Some(turn) = turn {
                turn.join().unwrap();
            }
        });
        // Writes of every kind until the host is gone: the document and a
        // workspace file (atomic file writes), recent.json (a pin),
        // sessions.db (a rename).
        let mut completed = 0;
        while let Some(current) = host.try_request("GET", &format!("/documents/{doc_id}"), None) {
            if current.status != 200 {
                break;
            }
            let mtime = current.json()["mtime"].as_str().unwrap().to_owned();
            let writes = [
                (
                    "PUT",
                    format!("/documents/{doc_id}"),
                    json!({"content": small_version(version), "expected_mtime": mtime}),
                ),
                (
                    "PUT",
                    format!("/workspaces/{ws_id}/file"),
                    json!({"path": "ws.txt", "content": small_version(version)}),
                ),
                (
                    "PUT",
                    format!("/recent/{doc_id}/pin"),
                    json!({"pinned": version % 2 == 0}),
                ),
                (
                    "PATCH",
                    format!("/sessions/{session}"),
                    json!({"title": format!("round {round} write {version}")}),
                ),
            ];
            version += 1;
            if writes
                .iter()
                .any(|(m, p, b)| host.try_request(m, p, Some(b)).is_none())
            {
                break;
            }
            completed += 1;
        }
        killer.join().unwrap();
        let mut host = host;
        let status = host
            .wait_exit(Duration::from_secs(5))
            .expect("killed host exits");
        drop(host);
        if status.code().is_none() {
            killed_writing += usize::from(completed > 0);
        }
        for path in [&doc, &ws_file] {
            let content = std::fs::read_to_string(path).unwrap();
            assert!(
                is_whole_small(&content),
                "round {round}: {} is torn",
                path.display()
            );
        }
        if round % 10 == 9 {
            assert_eq!(
                integrity(&user_data.path().join("sessions.db")),
                ["ok"],
                "round {round}"
            );
        }
    }
    let kill_loop = started.elapsed();
    assert_eq!(
        integrity(&user_data.path().join("sessions.db")),
        ["ok"],
        "after the last kill"
    );

    // Everything is listable and every session's last turn replays whole.
    let host = TestHost::start(user_data.path());
    let list = host.get("/sessions?limit=200&include_archived=true").json();
    let listed: Vec<String> = list["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect();
    for id in &sessions {
        assert!(listed.contains(id), "session {id} is not listed");
    }
    let mut replayed = 0;
    let mut interrupted = 0;
    let mut finished = 0;
    for id in &listed {
        let s = host.get(&format!("/sessions/{id}"));
        assert_eq!(s.status, 200, "{id}");
        let messages = host.get(&format!("/sessions/{id}/messages"));
        assert_eq!(messages.status, 200, "{id}");
        let messages = messages.json()["messages"].as_array().unwrap().clone();
        for m in &messages {
            assert_ne!(
                m["metadata"]["status"], "streaming",
                "{id}: a message still streaming after restart"
            );
        }
        let r = host.get(&format!("/sessions/{id}/stream"));
        if r.status == 404 {
            assert_eq!(r.error_code(), "no_turn", "{id}");
            assert!(messages.is_empty(), "{id}: messages without a turn");
            continue;
        }
        let frames = check_replay(&host, id);
        let kinds: Vec<String> = frames.iter().map(SseFrame::kind).collect();
        let end = &kinds[kinds.len() - 2];
        let last = messages.last().expect("a turn has messages");
        assert_eq!(last["role"], "assistant", "{id}");
        match end.as_str() {
            "finish" => {
                finished += 1;
                assert_eq!(last["metadata"]["status"], "complete", "{id}: {kinds:?}")
            }
            "error" => {
                interrupted += 1;
                assert_eq!(last["metadata"]["status"], "interrupted", "{id}: {kinds:?}")
            }
            other => panic!("{id}: the replay ends with {other}: {kinds:?}"),
        }
        replayed += 1;
    }
    // A session can take a new turn after all that.
    provider.push([answer(3, 0)]);
    let reader = SseReader::open(
        &host,
        "POST",
        &format!("/sessions/{}/turns", sessions[0]),
        Some(&json!({"message": "still there?"})),
        &[],
    );
    assert_eq!(reader.status, 200);
    assert_eq!(reader.rest().last().unwrap().kind(), "[DONE]");
    assert!(host.stop().success());
    assert_eq!(integrity(&user_data.path().join("sessions.db")), ["ok"]);
    eprintln!(
        "{KILL_ROUNDS} SIGKILLs ({killed_writing} after at least one whole round of writes, the others in the first) in {kill_loop:?}; {} sessions, {replayed} replayed ({finished} finished, {interrupted} interrupted); total {:?}",
        listed.len(),
        started.elapsed()
    );
    provider.shutdown();
}

/// The kill loop above catches a turn start cut in half only when a kill
/// lands in its microsecond-wide window; this makes the cut deterministic:
/// a trigger makes the turn row's insert fail, after the messages were
/// written.
#[test]
fn a_turn_start_that_fails_midway_leaves_nothing_behind() {
    let provider = TestProvider::start(vec![answer(3, 0)]);
    let user_data = tempfile::tempdir().unwrap();
    let host = TestHost::start(user_data.path());
    provider.configure(&host, json!({}));
    let session = id_of(
        host.try_request("POST", "/sessions", Some(&json!({}))),
        "id",
    )
    .unwrap();
    let turns = format!("/sessions/{session}/turns");
    let reader = SseReader::open(&host, "POST", &turns, Some(&json!({"message": "one"})), &[]);
    assert_eq!(reader.rest().last().unwrap().kind(), "[DONE]");
    let messages = |host: &TestHost| {
        host.get(&format!("/sessions/{session}/messages")).json()["messages"]
            .as_array()
            .unwrap()
            .clone()
    };
    let before = messages(&host);
    assert_eq!(before.len(), 2);

    let db = rusqlite::Connection::open(user_data.path().join("sessions.db")).unwrap();
    db.busy_timeout(Duration::from_secs(5)).unwrap();
    db.execute_batch(
        "CREATE TRIGGER crash_test_fail BEFORE INSERT ON turns
         BEGIN SELECT RAISE(FAIL, 'injected by the crash test'); END;",
    )
    .unwrap();
    let r = host.send("POST", &turns, json!({"message": "two"}));
    assert_ne!(r.status, 200, "the injected failure did not happen");
    assert_eq!(
        messages(&host),
        before,
        "a failed turn start left messages behind"
    );
    db.execute_batch("DROP TRIGGER crash_test_fail").unwrap();
    drop(db);

    // The session is not left reserved either.
    provider.push([answer(3, 0)]);
    let reader = SseReader::open(
        &host,
        "POST",
        &turns,
        Some(&json!({"message": "three"})),
        &[],
    );
    assert_eq!(reader.status, 200);
    assert_eq!(reader.rest().last().unwrap().kind(), "[DONE]");
    let after = messages(&host);
    assert_eq!(after.len(), 4);
    assert_eq!(after[2]["parts"][0]["text"], "three");
    assert!(host.stop().success());
    assert_eq!(integrity(&user_data.path().join("sessions.db")), ["ok"]);
    provider.shutdown();
}

// ---------------------------------------------------------------------------
// The file system under the user data: full, read-only.

/// A tmpfs mounted on a fresh temporary directory, unmounted (lazily, so a
/// straggling process cannot keep it) when dropped, also on a panic.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// `None` (after printing why) when this process may not mount.
    fn mount(size: &str) -> Option<Tmpfs> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("SKIPPED: mounting a tmpfs needs root");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let target = CString::new(dir.path().as_os_str().as_bytes()).unwrap();
        let options = CString::new(format!("size={size},mode=0700")).unwrap();
        // SAFETY: valid NUL-terminated strings that outlive the call.
        let rc = unsafe {
            libc::mount(
                c"tmpfs".as_ptr(),
                target.as_ptr(),
                c"tmpfs".as_ptr(),
                0,
                options.as_ptr().cast(),
            )
        };
        if rc != 0 {
            let e = std::io::Error::last_os_error();
            eprintln!("SKIPPED: mount -t tmpfs refused: {e}");
            return None;
        }
        Some(Tmpfs { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `mount -o remount,ro`: refused even to root (unlike chmod).
    fn remount_read_only(&self) {
        let target = CString::new(self.path().as_os_str().as_bytes()).unwrap();
        // SAFETY: as in `mount`; null source, type and data are allowed for a remount.
        let rc = unsafe {
            libc::mount(
                std::ptr::null(),
                target.as_ptr(),
                std::ptr::null(),
                libc::MS_REMOUNT | libc::MS_RDONLY,
                std::ptr::null(),
            )
        };
        assert_eq!(rc, 0, "remount ro: {}", std::io::Error::last_os_error());
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let target = CString::new(self.path().as_os_str().as_bytes()).unwrap();
        // SAFETY: as in `mount`.
        let rc = unsafe { libc::umount2(target.as_ptr(), libc::MNT_DETACH) };
        if rc != 0 {
            eprintln!(
                "umount {}: {}",
                self.path().display(),
                std::io::Error::last_os_error()
            );
        }
        // Then the TempDir removes the empty mount point.
    }
}

/// Writes `path` until the file system says it is full.
fn fill(path: &Path) -> u64 {
    use std::io::Write;
    let mut file = std::fs::File::create(path).unwrap();
    let mut written = 0u64;
    for chunk in [64 * 1024, 4096, 512, 1] {
        let block = vec![0x55u8; chunk];
        loop {
            match file.write(&block) {
                Ok(0) => break,
                Ok(n) => written += n as u64,
                Err(e) if e.raw_os_error() == Some(libc::ENOSPC) => break,
                Err(e) => panic!("filling {}: {e}", path.display()),
            }
        }
    }
    written
}

/// Every `.tmp.` file the atomic writes may have left under `dir`.
fn temp_files(dir: &Path) -> Vec<PathBuf> {
    files_under(dir)
        .into_iter()
        .filter(|p| p.file_name().unwrap().to_string_lossy().contains(".tmp."))
        .collect()
}

#[test]
fn a_full_disk_answers_storage_full_and_recovers_when_space_returns() {
    let Some(fs) = Tmpfs::mount("2m") else {
        return;
    };
    let user_data = fs.path().join("user-data");
    let outside = tempfile::tempdir().unwrap();
    let mut host = TestHost::start(&user_data);
    let ws_id = id_of(
        host.try_request(
            "POST",
            "/workspaces",
            Some(&json!({"path": outside.path()})),
        ),
        "id",
    )
    .unwrap();
    let before = host.send("POST", "/sessions", json!({"title": "before"}));
    assert_eq!(before.status, 200);
    // A document of the user's on the same disk.
    let notes = fs.path().join("notes.md");
    std::fs::write(&notes, "# kept\n").unwrap();
    let doc = host.send("POST", "/documents", json!({"path": notes}));
    let doc_id = doc.json()["doc_id"].as_str().unwrap().to_owned();
    let version = host.get(&format!("/documents/{doc_id}")).json()["mtime"]
        .as_str()
        .unwrap()
        .to_owned();

    let filler = fs.path().join("filler");
    let filled = fill(&filler);
    eprintln!("filled the 2 MiB tmpfs with {filled} bytes");

    // sessions.db: SQLite may still reuse WAL space for a while; write until
    // it cannot.
    let title = "x".repeat(190);
    let mut refused = None;
    for i in 0..5000 {
        let r = host.send(
            "POST",
            "/sessions",
            json!({"title": format!("{i} {title}")}),
        );
        if r.status != 200 {
            refused = Some((i, r));
            break;
        }
    }
    let (fitted, r) = refused.expect("5000 sessions fitted on a full disk");
    eprintln!("{fitted} sessions fitted before storage_full");
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (507, "storage_full"),
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    let message = r.json()["error"]["message"].as_str().unwrap().to_owned();
    assert!(message.contains("full"), "{message}");
    assert!(
        !message.contains(&user_data.display().to_string()),
        "the message names a path: {message}"
    );
    // JSON stores (workspaces.json, policies.json) through atomic writes.
    let r = host.send(
        "PUT",
        &format!("/workspaces/{ws_id}/pin"),
        json!({"pinned": true}),
    );
    assert_eq!((r.status, r.error_code().as_str()), (507, "storage_full"));
    let r = host.send(
        "PUT",
        &format!("/workspaces/{ws_id}/policy"),
        json!({"tools": {"write_file": "allow"}}),
    );
    assert_eq!((r.status, r.error_code().as_str()), (507, "storage_full"));
    // Saving a document: 507 too, and the file is as it was.
    let r = host.send(
        "PUT",
        &format!("/documents/{doc_id}"),
        json!({"content": "y".repeat(64 * 1024), "expected_mtime": version}),
    );
    assert_eq!((r.status, r.error_code().as_str()), (507, "storage_full"));
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), "# kept\n");
    assert_eq!(temp_files(fs.path()), Vec::<PathBuf>::new());
    // Reads still work, the database is sound, no temp file is left.
    assert_eq!(host.get("/sessions").status, 200);
    assert_eq!(integrity(&user_data.join("sessions.db")), ["ok"]);
    assert_eq!(temp_files(&user_data), Vec::<PathBuf>::new());

    // A new user-data directory on the full disk refuses start-up and says why.
    let (status, stdout, stderr) = refused_start(&fs.path().join("fresh"));
    assert!(
        !status.success() && stdout.is_empty(),
        "{status:?} {stdout}"
    );
    let refusal = stderr
        .lines()
        .find(|l| l.starts_with("agent-host: refused to start:"))
        .unwrap_or_else(|| panic!("no refusal line: {stderr}"));
    assert!(refusal.contains("full"), "{refusal}");

    // Space returns: the next writes succeed, on the same host.
    std::fs::remove_file(&filler).unwrap();
    let after = host.send("POST", "/sessions", json!({"title": "after"}));
    assert_eq!(
        after.status,
        200,
        "{}",
        String::from_utf8_lossy(&after.body)
    );
    let r = host.send(
        "PUT",
        &format!("/workspaces/{ws_id}/pin"),
        json!({"pinned": true}),
    );
    assert_eq!(r.status, 200);
    host.close_stdin();
    let status = host.wait_exit(Duration::from_secs(5)).expect("host stops");
    assert!(status.success(), "{status:?}\n{}", host.stderr_text());
    drop(host);
    assert_eq!(integrity(&user_data.join("sessions.db")), ["ok"]);

    // And a restarted host sees everything that was acknowledged.
    let host = TestHost::start(&user_data);
    let list = host.get("/sessions?limit=200").json();
    let titles: Vec<&str> = list["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["title"].as_str().unwrap())
        .collect();
    assert!(
        titles.contains(&"before") && titles.contains(&"after"),
        "{titles:?}"
    );
    let workspaces = host.get("/workspaces").json();
    assert_eq!(workspaces["workspaces"][0]["pinned"], true);
    drop(host);
}

/// Starts `agent-host serve` on `user_data` expecting a refusal: returns
/// the exit status, stdout and stderr.
fn refused_start(user_data: &Path) -> (std::process::ExitStatus, String, String) {
    use std::io::Write;
    let mut child = spawn_host(&[("AGENT_HOST_SECRET_BACKEND", "file")]);
    let handshake = json!({
        "protocol": 1,
        "password": "a-password-for-a-host-that-must-refuse-0123",
        "user_data": user_data,
        "allowed_origins": [ORIGIN],
        "referer_roots": ["/desktop"],
    });
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(format!("{handshake}\n").as_bytes())
        .unwrap();
    stdin.flush().unwrap();
    let status = wait_with_limit(&mut child, Duration::from_secs(10)).unwrap_or_else(|| {
        let _ = child.kill();
        panic!("the host did not refuse within 10 s (it is running)")
    });
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).unwrap();
    (status, text(output.stdout), text(output.stderr))
}

#[test]
fn a_read_only_user_data_directory_refuses_start_up_clearly() {
    let Some(fs) = Tmpfs::mount("1m") else {
        return;
    };
    // One directory a host has used before, one that does not exist yet.
    let used = fs.path().join("used");
    let host = TestHost::start(&used);
    assert_eq!(host.send("POST", "/sessions", json!({})).status, 200);
    assert!(host.stop().success());
    let fresh = fs.path().join("fresh");
    fs.remount_read_only();

    for user_data in [&used, &fresh] {
        let (status, stdout, stderr) = refused_start(user_data);
        let name = user_data.file_name().unwrap().to_string_lossy();
        assert!(!status.success(), "{name}: exit {status:?}\n{stderr}");
        assert_eq!(stdout, "", "{name}: a ready line on a read-only directory");
        let refusal: Vec<&str> = stderr
            .lines()
            .filter(|l| l.starts_with("agent-host: refused to start:"))
            .collect();
        assert_eq!(refusal.len(), 1, "{name}: {stderr}");
        assert!(
            refusal[0].to_lowercase().contains("read-only"),
            "{name}: the refusal does not say read-only: {}",
            refusal[0]
        );
        eprintln!("{name}: {status:?}: {}", refusal[0]);
    }
}

/// Files the revert test's turn writes, and their size.
const REVERT_FILES: usize = 24;
const REVERT_SIZE: usize = 192 * 1024;

#[test]
fn sigkill_during_a_revert_leaves_every_file_whole() {
    let data = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let ws = files.path().join("ws");
    std::fs::create_dir(&ws).unwrap();
    for n in 0..REVERT_FILES {
        std::fs::write(ws.join(format!("f{n}.txt")), version_of(1, REVERT_SIZE)).unwrap();
    }
    // One turn writes every file (version 2), all in one step.
    let mut events: Vec<Scripted> = (0..REVERT_FILES)
        .map(|n| Scripted::ToolCall {
            index: n as u32,
            id: format!("call_{n}"),
            name: "write_file".into(),
            arguments: json!({"path": format!("f{n}.txt"), "content": version_of(2, REVERT_SIZE)})
                .to_string(),
            pieces: 1,
        })
        .collect();
    events.extend([
        Scripted::Finish {
            reason: "tool_calls".into(),
        },
        Scripted::Done,
    ]);
    let world = World::builder(vec![
        Reply::Stream { events },
        Reply::text_answer("Written."),
    ])
    .user_data(data)
    .start();
    let workspace = world.host.ok("POST", "/workspaces", json!({"path": ws}))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    world.host.ok(
        "PUT",
        &format!("/workspaces/{workspace}/policy"),
        json!({"tools": {"write_file": "allow"}}),
    );
    let session = world
        .host
        .ok("POST", "/sessions", json!({"workspace_id": workspace}))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let frames = world.turn_to_end(&session, "write them all");
    let turn = frames[0]
        .id
        .as_deref()
        .unwrap()
        .rsplit_once(':')
        .unwrap()
        .0
        .to_owned();
    let read = |n: usize| std::fs::read_to_string(ws.join(format!("f{n}.txt"))).unwrap();
    assert!((0..REVERT_FILES).all(|n| read(n) == version_of(2, REVERT_SIZE)));
    let World {
        host,
        provider,
        dir,
    } = world;
    host.stop();

    // How long one revert takes here, request to answer: the kills below
    // land anywhere in that span.
    let span = {
        let host = TestHost::start(dir.path());
        let started = Instant::now();
        host.ok(
            "POST",
            &format!("/sessions/{session}/turns/{turn}/revert"),
            json!({"force": true}),
        );
        let span = started.elapsed();
        host.stop();
        for n in 0..REVERT_FILES {
            std::fs::write(ws.join(format!("f{n}.txt")), version_of(2, REVERT_SIZE)).unwrap();
        }
        span.as_micros().max(1000) as u64
    };

    // Reverts killed at random moments: every file stays one whole version.
    let mut rng = 0x5eed_u64 ^ std::process::id() as u64;
    let mut mixed_seen = false;
    for round in 0..12 {
        let host = TestHost::start(dir.path());
        let pid = host.pid as libc::pid_t;
        let port = host.port;
        let mut headers = host.good_headers();
        headers.push(("Content-Type".into(), "application/json".into()));
        let path = format!("/sessions/{session}/turns/{turn}/revert");
        let reverting = std::thread::spawn(move || {
            try_raw_request(port, "POST", &path, &headers, Some(br#"{"force":true}"#))
        });
        std::thread::sleep(Duration::from_micros(next(&mut rng) % span));
        // SAFETY: kill(2) on our own child.
        unsafe { libc::kill(pid, libc::SIGKILL) };
        let _ = reverting.join();
        let mut host = host;
        host.wait_exit(Duration::from_secs(5))
            .expect("killed host exits");
        drop(host);
        let versions: Vec<usize> = (0..REVERT_FILES)
            .map(|n| {
                let content = read(n);
                assert!(
                    is_whole_of(&content, REVERT_SIZE),
                    "round {round}: f{n}.txt is not one whole version"
                );
                if content == version_of(1, REVERT_SIZE) {
                    1
                } else {
                    2
                }
            })
            .collect();
        mixed_seen |= versions.contains(&1) && versions.contains(&2);
        // Put the turn's version back for the next round.
        for n in 0..REVERT_FILES {
            std::fs::write(ws.join(format!("f{n}.txt")), version_of(2, REVERT_SIZE)).unwrap();
        }
    }
    eprintln!(
        "a revert takes {span} µs here; a kill landed mid-revert (some files restored, some not): {mixed_seen}"
    );

    // A revert left alone restores everything, byte for byte.
    let host = TestHost::start(dir.path());
    host.ok(
        "POST",
        &format!("/sessions/{session}/turns/{turn}/revert"),
        json!({"force": true}),
    );
    assert!((0..REVERT_FILES).all(|n| read(n) == version_of(1, REVERT_SIZE)));
    host.stop();
    provider.shutdown();
}
