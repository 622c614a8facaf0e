//! The stdin handshake, the ready line, the lifeline and the lock, against
//! the real binary.

use std::io::{Read, Write};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::*;
use serde_json::{json, Value};

const PASSWORD: &str = "correct-horse-battery-staple-0123456789";

fn valid(user_data: &std::path::Path) -> Value {
    json!({
        "protocol": 1,
        "password": PASSWORD,
        "user_data": user_data,
        "allowed_origins": [ORIGIN],
        "referer_roots": ["/desktop"],
    })
}

/// Sends `input` (then closes stdin unless `keep_open`) and returns the exit
/// status, stdout and stderr. Fails the test if the host hangs.
fn run_refused(input: &[u8], keep_open: bool, limit: Duration) -> (i32, String, String) {
    let mut child = spawn_host(&[]);
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input).unwrap();
    let _keep = if keep_open {
        Some(stdin)
    } else {
        drop(stdin);
        None
    };
    let status = wait_with_limit(&mut child, limit).expect("host must exit on a bad handshake");
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (status.code().unwrap_or(-1), out, err)
}

fn assert_refused(input: Value, expect_in_message: &str) {
    let mut line = input.to_string();
    line.push('\n');
    let (code, out, err) = run_refused(line.as_bytes(), true, Duration::from_secs(3));
    assert_eq!(code, 2, "exit code for {input}; stderr: {err}");
    assert!(out.is_empty(), "stdout must stay empty, got {out:?}");
    assert_eq!(
        err.lines().count(),
        1,
        "exactly one stderr line, got {err:?}"
    );
    assert!(
        err.contains(expect_in_message),
        "stderr {err:?} should mention {expect_in_message:?}"
    );
    assert!(!err.contains(PASSWORD), "the password leaked into stderr");
}

#[test]
fn refuses_when_no_line_arrives_in_time() {
    let started = Instant::now();
    let (code, out, err) = run_refused(b"", true, Duration::from_secs(8));
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("within 5s"), "{err}");
    assert_eq!(err.lines().count(), 1);
    assert!(started.elapsed() >= Duration::from_millis(4900));
}

#[test]
fn refuses_when_stdin_closes_first() {
    let (code, out, err) = run_refused(b"{\"protocol\":1", false, Duration::from_secs(3));
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("stdin closed"), "{err}");
}

#[test]
fn refuses_invalid_json() {
    let line = format!("{{\"protocol\":1,\"password\":\"{PASSWORD}\",\n");
    let (code, out, err) = run_refused(line.as_bytes(), true, Duration::from_secs(3));
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("not valid JSON"), "{err}");
    assert!(!err.contains(PASSWORD));
}

#[test]
fn refuses_each_invalid_field() {
    let dir = tempfile::tempdir().unwrap();
    let base = valid(dir.path());
    let with = |field: &str, value: Value| {
        let mut v = base.clone();
        v[field] = value;
        v
    };
    let without = |field: &str| {
        let mut v = base.clone();
        v.as_object_mut().unwrap().remove(field);
        v
    };
    assert_refused(with("protocol", json!(2)), "unsupported protocol");
    assert_refused(
        with("protocol", json!(PASSWORD)),
        "`protocol` has the wrong type",
    );
    assert_refused(without("password"), "`password` is missing");
    assert_refused(with("password", json!("x".repeat(31))), "at least 32");
    assert_refused(without("user_data"), "`user_data` is missing");
    assert_refused(with("user_data", json!("relative/dir")), "absolute");
    assert_refused(with("allowed_origins", json!([])), "must not be empty");
    for origin in [
        "https://app.example/",
        "https://app.example/path",
        "https://app.example?q",
        "https://user@app.example",
        "https://app.example:443",
        "file:///etc",
        "null",
        "*",
        "app.example",
    ] {
        assert_refused(with("allowed_origins", json!([origin])), "not a bare");
    }
    for root in ["desktop", "", "/desktop/../admin", "/./x"] {
        assert_refused(with("referer_roots", json!([root])), "referer_roots[0]");
    }
    assert_refused(
        with("extra_referers", json!([{"origin": "x"}])),
        "extra_referers[0]",
    );
    assert_refused(with("passwrd", json!(PASSWORD)), "unknown handshake field");
    assert_refused(json!([1, 2]), "must be a JSON object");
}

#[test]
fn ready_line_is_the_only_stdout_and_the_host_answers() {
    let dir = tempfile::tempdir().unwrap();
    let host = TestHost::start(dir.path());
    let ready: Value = serde_json::from_str(host.ready_line.trim_end()).unwrap();
    assert!(host.ready_line.ends_with('\n'));
    assert_eq!(ready["event"], "ready");
    assert_eq!(ready["protocol"], 1);
    assert_eq!(ready["pid"], host.pid);
    assert_eq!(ready["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(
        ready.as_object().unwrap().len(),
        5,
        "exactly event, protocol, port, pid, version"
    );

    let health = host.get("/health");
    assert_eq!(health.status, 200);
    let body = health.json();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["protocol"], 1);
    assert!(body["uptime_ms"].is_u64());

    let hs = host.send(
        "POST",
        "/handshake",
        json!({"protocol": 1, "client": "test"}),
    );
    assert_eq!(hs.status, 200);
    assert!(hs.json()["capabilities"].as_array().unwrap().len() >= 4);
    let hs = host.send("POST", "/handshake", json!({"protocol": 7}));
    assert_eq!(hs.status, 409);
    assert_eq!(hs.error_code(), "protocol_mismatch");

    let stdout_rest = host.stdout_rest.clone();
    let status = host.stop();
    assert!(status.success());
    assert!(
        stdout_rest.lock().unwrap().is_empty(),
        "nothing but the ready line on stdout"
    );
}

#[test]
fn password_appears_nowhere() {
    let dir = tempfile::tempdir().unwrap();
    let host = TestHost::start(dir.path());
    let pw = host.password.clone();
    // Exercise the host so it writes its files and logs.
    assert_eq!(host.get("/health").status, 200);
    let docs = tempfile::tempdir().unwrap();
    let doc = docs.path().join("note.md");
    std::fs::write(&doc, "hello").unwrap();
    assert_eq!(
        host.send("POST", "/documents", json!({"path": doc})).status,
        200
    );
    assert_eq!(
        host.send(
            "PUT",
            "/secrets/openrouter",
            json!({"key": "sk-or-test-key"})
        )
        .status,
        200
    );
    let bad = raw_request(
        host.port,
        "GET",
        "/health",
        &[
            ("Host".into(), format!("127.0.0.1:{}", host.port)),
            ("Authorization".into(), basic(&format!("agent:{pw}x"))),
            ("Referer".into(), REFERER.into()),
        ],
        None,
    );
    assert_eq!(bad.status, 401);
    assert!(!contains(&bad.body, pw.as_bytes()));

    let cmdline = std::fs::read(format!("/proc/{}/cmdline", host.pid)).unwrap();
    assert!(!contains(&cmdline, pw.as_bytes()), "password in cmdline");
    let environ = std::fs::read(format!("/proc/{}/environ", host.pid)).unwrap();
    assert!(!contains(&environ, pw.as_bytes()), "password in environ");
    assert!(!host.ready_line.contains(&pw), "password on stdout");

    let stderr = host.stderr.clone();
    let stdout = host.stdout_rest.clone();
    let user_data = host.user_data.clone();
    assert!(host.stop().success());
    assert!(
        !contains(&stderr.lock().unwrap(), pw.as_bytes()),
        "password in stderr"
    );
    assert!(
        !contains(&stdout.lock().unwrap(), pw.as_bytes()),
        "password on stdout"
    );
    let files = files_under(&user_data);
    assert!(files.iter().any(|f| f.ends_with("sessions.db")));
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            !contains(&bytes, pw.as_bytes()),
            "password in {}",
            file.display()
        );
    }
}

#[test]
fn closing_stdin_ends_the_host_within_one_second() {
    let dir = tempfile::tempdir().unwrap();
    let mut host = TestHost::start(dir.path());
    assert_eq!(host.get("/health").status, 200);
    let started = Instant::now();
    host.close_stdin();
    let status = host
        .wait_exit(Duration::from_secs(1))
        .expect("host still running 1 s after stdin closed");
    assert!(status.success(), "{status:?}");
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[test]
fn sigterm_and_sigint_drain_and_exit_zero_within_one_second() {
    for signal in [libc::SIGTERM, libc::SIGINT] {
        let dir = tempfile::tempdir().unwrap();
        let mut host = TestHost::start(dir.path());
        assert_eq!(host.get("/health").status, 200);
        // SAFETY: plain kill(2) on our own child.
        assert_eq!(unsafe { libc::kill(host.pid as libc::pid_t, signal) }, 0);
        let status = host
            .wait_exit(Duration::from_secs(1))
            .expect("host still running 1 s after the signal");
        assert_eq!(
            status.code(),
            Some(0),
            "signal {signal}: {}",
            host.stderr_text()
        );
    }
}

#[test]
fn dies_with_its_parent_even_while_stdin_stays_open() {
    // The test holds the write end of the host's stdin, so no EOF comes;
    // only the parent-death signal can tell the host its parent (a shell)
    // was SIGKILLed.
    let dir = tempfile::tempdir().unwrap();
    let mut parent = std::process::Command::new("sh")
        .arg("-c")
        .arg(r#"exec 3<&0; "$0" serve <&3 2>/dev/null & wait"#)
        .arg(host_binary())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = parent.stdin.take().unwrap();
    writeln!(stdin, "{}", valid(dir.path())).unwrap();
    let mut stdout = std::io::BufReader::new(parent.stdout.take().unwrap());
    let mut ready = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut ready).unwrap();
    let ready: Value = serde_json::from_str(ready.trim_end()).expect("ready line");
    let host_pid = ready["pid"].as_u64().unwrap() as u32;

    parent.kill().unwrap();
    parent.wait().unwrap();
    assert!(
        eventually(Duration::from_secs(2), || !alive(host_pid)),
        "host {host_pid} outlived its parent"
    );
    drop(stdin);
}

#[test]
fn one_host_per_user_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let first = TestHost::start(dir.path());
    let mut line = valid(dir.path()).to_string();
    line.push('\n');
    let (code, out, err) = run_refused(line.as_bytes(), true, Duration::from_secs(3));
    assert_eq!(code, 3, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("already running"), "{err}");
    assert_eq!(err.lines().count(), 1);
    assert!(!err.contains(PASSWORD));
    // The first host is unaffected, and after it stops the directory is free.
    assert_eq!(first.get("/health").status, 200);
    assert!(first.stop().success());
    let second = TestHost::start(dir.path());
    assert_eq!(second.get("/health").status, 200);
}

#[test]
fn refuses_a_database_from_a_newer_build_without_touching_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sessions.db");
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch("CREATE TABLE future (x); PRAGMA user_version = 999;")
            .unwrap();
    }
    // Private, as a host leaves them: the refusal is the only line expected,
    // with no warning about modes tightened at start.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o600)).unwrap();
    let before = std::fs::read(&db).unwrap();
    let mut line = valid(dir.path()).to_string();
    line.push('\n');
    let (code, out, err) = run_refused(line.as_bytes(), true, Duration::from_secs(3));
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty());
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("999"), "the message names the version: {err}");
    assert_eq!(
        std::fs::read(&db).unwrap(),
        before,
        "the newer database is untouched"
    );
    assert!(!dir.path().join("sessions.db-wal").exists());
}
