//! The command-line client against the real binary over real loopback:
//! attaching to a host through its Unix socket, starting a private host,
//! approvals at the prompt, exit codes, and keys and credentials that never
//! show up where they should not.

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::*;
use agent_provider::scripted::{Reply, Scripted};
use serde_json::json;

const KEY: &str = PROVIDER_KEY;

struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `agent-host ARGS` with `stdin` piped in. `setsid` detaches it from
/// any controlling terminal, so approval prompts read stdin as they would
/// in a pipeline instead of waiting for whoever runs the tests.
fn cli(args: &[&str], stdin: &str) -> Output {
    let mut cmd = Command::new(host_binary());
    cmd.args(args)
        .env("AGENT_HOST_SECRET_BACKEND", "file")
        .env_remove("AGENT_HOST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: setsid is async-signal-safe and touches no memory.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let mut child = cmd.spawn().expect("spawn the CLI");
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", child.id())).unwrap_or_default();
    assert!(!contains(&cmdline, KEY.as_bytes()), "key in argv");
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).unwrap();
    drop(input);
    let read = |mut s: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = s.read_to_string(&mut text);
            text
        })
    };
    let out = read(Box::new(child.stdout.take().unwrap()));
    let err = read(Box::new(child.stderr.take().unwrap()));
    let Some(status) = wait_with_limit(&mut child, Duration::from_secs(60)) else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("the CLI did not finish: {args:?}");
    };
    let output = Output {
        code: status.code().unwrap_or(-1),
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    };
    assert!(
        !output.stdout.contains(KEY) && !output.stderr.contains(KEY),
        "key in the CLI's output"
    );
    output
}

fn with_dir<'a>(dir: &'a Path, args: &[&'a str]) -> Vec<&'a str> {
    let mut all = args.to_vec();
    all.extend(["--user-data", dir.to_str().unwrap()]);
    all
}

/// A world whose host listens on `host.sock`, configured (when the test
/// asks) with a longer idle timeout.
fn world(script: Vec<Reply>) -> WorldBuilder {
    World::builder(script)
        .publish_connection()
        .settings(json!({"idle_timeout_ms": 3000}))
}

/// What the CLI tests ask of a [`World`].
trait CliWorld {
    fn cli(&self, args: &[&str], stdin: &str) -> Output;
    fn session_ids(&self) -> Vec<String>;
}

impl CliWorld for World {
    fn cli(&self, args: &[&str], stdin: &str) -> Output {
        cli(&with_dir(self.dir.path(), args), stdin)
    }

    fn session_ids(&self) -> Vec<String> {
        self.host.get("/sessions").json()["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_owned())
            .collect()
    }
}

fn session_of(output: &Output) -> String {
    output
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("session: "))
        .unwrap_or_else(|| panic!("no session line in {:?}", output.stderr))
        .to_owned()
}

#[test]
fn run_attaches_to_the_published_host_and_streams_the_answer() {
    let world = world(vec![Reply::text_answer("Hello from the scripted model.")]).start();
    // No credential on disk: a 0600 socket, and no connection file.
    let socket = world.dir.path().join("host.sock");
    let meta = std::fs::symlink_metadata(&socket).unwrap();
    assert!(std::os::unix::fs::FileTypeExt::is_socket(&meta.file_type()));
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert!(!world.dir.path().join("connection.json").exists());
    for file in files_under(world.dir.path()) {
        let bytes = std::fs::read(&file).unwrap_or_default();
        assert!(
            !contains(&bytes, world.host.password.as_bytes()),
            "{file:?}"
        );
    }

    // The host holds the directory's lock, so only attaching can succeed.
    let out = world.cli(&["run", "hi"], "");
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "Hello from the scripted model.\n");
    let session = session_of(&out);
    assert_eq!(world.session_ids(), vec![session.clone()]);
    assert_eq!(
        world.provider.authorizations()[0].as_deref(),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert!(!world.host.stderr_text().contains(KEY));

    let dir = world.dir.path().to_path_buf();
    world.shutdown();
    assert!(!dir.join("host.sock").exists(), "removed at stop");
}

#[test]
fn sessions_list_show_and_rm_round_trip() {
    let world = world(vec![
        Reply::text_answer("first answer"),
        Reply::text_answer("second answer"),
    ])
    .start();
    let first = session_of(&world.cli(&["run", "alpha question"], ""));
    let out = world.cli(&["run", "beta question"], "");
    assert_eq!(out.code, 0, "{}", out.stderr);
    let second = session_of(&out);

    let out = world.cli(&["sessions", "list"], "");
    assert_eq!(out.code, 0, "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].starts_with(&second) && lines[0].ends_with("beta question"));
    assert!(lines[1].starts_with(&first));

    let out = world.cli(&["sessions", "list", "--q", "alpha", "--limit", "5"], "");
    assert_eq!(out.stdout.lines().count(), 1);
    assert!(out.stdout.starts_with(&first));

    let out = world.cli(&["sessions", "show", &first], "");
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("user: alpha question\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("assistant: first answer\n"),
        "{}",
        out.stdout
    );

    let out = world.cli(&["sessions", "rm", &first], "");
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(world.session_ids(), vec![second]);
    let out = world.cli(&["sessions", "show", &first], "");
    assert_eq!(out.code, 3, "a refused request: {}", out.stderr);
    assert!(out.stderr.contains("unknown_session"), "{}", out.stderr);
    let out = world.cli(&["sessions", "show", "../secrets"], "");
    assert_eq!(out.code, 2);
    world.shutdown();
}

#[test]
fn tool_calls_are_shown_and_approvals_answered_at_the_prompt() {
    let workspace = tempfile::tempdir().unwrap();
    let world = world(vec![
        Reply::tool_call(
            "call_w",
            "write_file",
            r#"{"path": "out.txt", "content": "approved!"}"#,
        ),
        Reply::text_answer("Written."),
        Reply::tool_call(
            "call_d",
            "write_file",
            r#"{"path": "denied.txt", "content": "nope"}"#,
        ),
        Reply::text_answer("Not written."),
        Reply::tool_call(
            "call_y",
            "write_file",
            r#"{"path": "yes.txt", "content": "by flag"}"#,
        ),
        Reply::text_answer("Written again."),
    ])
    .start();
    let ws = workspace.path().to_str().unwrap();

    let out = world.cli(&["run", "write it", "--workspace", ws], "y\n");
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr
            .contains(r#"⚙ write_file {"content":"approved!","path":"out.txt"}"#),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("Allow write_file {"), "{}", out.stderr);
    assert!(out.stderr.contains("? [y/N] "), "{}", out.stderr);
    assert!(out.stderr.contains("\n  ✓ write_file\n"), "{}", out.stderr);
    assert_eq!(out.stdout, "Written.\n");
    assert_eq!(
        std::fs::read_to_string(workspace.path().join("out.txt")).unwrap(),
        "approved!"
    );

    // The same session, denied by anything but yes (here: EOF-less "n").
    let session = session_of(&out);
    let out = world.cli(&["run", "again", "--session", &session], "n\n");
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("  ⊘ denied"), "{}", out.stderr);
    assert!(!workspace.path().join("denied.txt").exists());

    let out = world.cli(&["run", "once more", "--session", &session, "--yes"], "");
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("yes (--yes)"), "{}", out.stderr);
    assert_eq!(
        std::fs::read_to_string(workspace.path().join("yes.txt")).unwrap(),
        "by flag"
    );
    world.shutdown();
}

#[test]
fn provider_down_exits_3_and_an_error_chunk_exits_1() {
    let world = world(vec![Reply::Stream {
        events: vec![
            Scripted::Text {
                text: "partial ".into(),
            },
            Scripted::ErrorObject {
                message: "upstream overloaded".into(),
            },
        ],
    }])
    .unconfigured()
    .start();
    // No key yet: refused before any stream.
    let out = world.cli(&["run", "hi"], "");
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(out.stderr.contains("(provider_down)"), "{}", out.stderr);
    assert!(out.stdout.is_empty());

    world.configure(json!({"idle_timeout_ms": 3000}));
    let out = world.cli(&["run", "hi"], "");
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(out.stdout, "partial \n");
    assert!(out.stderr.contains("upstream overloaded"), "{}", out.stderr);

    // Usage errors are 2.
    assert_eq!(world.cli(&["run", "  "], "").code, 2);
    assert_eq!(world.cli(&["run", "hi", "--provider", "nope"], "").code, 2);
    world.shutdown();
}

#[test]
fn secrets_through_a_private_host_and_past_a_stale_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();

    let out = cli(
        &with_dir(d, &["secrets", "set", "openrouter"]),
        &format!("{KEY}\n"),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("openrouter: stored (file)"),
        "{}",
        out.stderr
    );
    let out = cli(&with_dir(d, &["secrets", "has", "openrouter"]), "");
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "openrouter: yes (file)\n")
    );
    let out = cli(&with_dir(d, &["secrets", "has", "ai-gateway"]), "");
    assert_eq!((out.code, out.stdout.as_str()), (1, "ai-gateway: no\n"));
    // The private host did not publish anything, and it is gone.
    assert!(!d.join("host.sock").exists());

    // A socket left by a dead host: refused, reported, and replaced by
    // nothing (the private host does not publish).
    let stale = std::os::unix::net::UnixListener::bind(d.join("host.sock")).unwrap();
    drop(stale);
    // And an older host's connection file, with a credential in it.
    std::fs::write(d.join("connection.json"), r#"{"credential":"old"}"#).unwrap();
    let out = cli(&with_dir(d, &["secrets", "has", "openrouter"]), "");
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("ignoring a stale host socket"),
        "{}",
        out.stderr
    );
    assert!(!d.join("host.sock").exists(), "the private host removed it");
    assert!(
        !d.join("connection.json").exists(),
        "the private host removed the old credential"
    );

    // No key on stdin is a usage error, and starts nothing.
    assert_eq!(cli(&with_dir(d, &["secrets", "set", "custom"]), "").code, 2);

    for file in files_under(d) {
        if file.file_name().is_some_and(|n| n == "auth.json") {
            continue; // the file store, by design
        }
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            !contains(&bytes, KEY.as_bytes()),
            "key in {}",
            file.display()
        );
    }
}

#[test]
fn a_host_without_a_connection_file_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let host = TestHost::start(dir.path());
    let out = cli(&with_dir(dir.path(), &["secrets", "has", "openrouter"]), "");
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("another host holds"), "{}", out.stderr);
    host.stop();
}

#[test]
fn ctrl_c_aborts_the_turn_and_exits_130() {
    let world = world(vec![Reply::Stream {
        events: vec![
            Scripted::Text {
                text: "thinking".into(),
            },
            Scripted::Stall,
        ],
    }])
    .start();
    let mut cmd = Command::new(host_binary());
    cmd.args(with_dir(world.dir.path(), &["run", "take your time"]))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // Its own process group, so the SIGINT below reaches only the CLI.
    cmd.process_group(0);
    let mut child = cmd.spawn().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 256];
    while !contains(&seen, b"thinking") {
        let n = stdout.read(&mut buf).unwrap();
        assert!(n > 0, "the CLI ended before streaming");
        seen.extend_from_slice(&buf[..n]);
    }
    // SAFETY: plain kill(2) on our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = wait_with_limit(&mut child, Duration::from_secs(15)).expect("the CLI exits");
    assert_eq!(status.code(), Some(130));
    let stderr = String::from_utf8(child.wait_with_output().unwrap().stderr).unwrap();
    assert!(stderr.contains("aborting"), "{stderr}");
    let session = stderr
        .lines()
        .find_map(|l| l.strip_prefix("session: "))
        .unwrap()
        .to_owned();
    let messages = world
        .host
        .get(&format!("/sessions/{session}/messages"))
        .json();
    assert_eq!(messages["messages"][1]["metadata"]["status"], "aborted");
    world.shutdown();
}

#[test]
fn the_socket_refuses_another_user() {
    // Root runs the tests; the probe drops to `nobody`. The socket is
    // reached through a hard link in a world-readable place and made
    // connectable, so only the host's SO_PEERCRED check stands in the way.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: needs root to run a probe as another user");
        return;
    }
    let world = world(vec![]).unconfigured().start();
    let public = tempfile::tempdir().unwrap();
    std::fs::set_permissions(public.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let link = public.path().join("s.sock");
    std::fs::hard_link(world.dir.path().join("host.sock"), &link).unwrap();
    std::fs::set_permissions(&link, std::fs::Permissions::from_mode(0o666)).unwrap();
    let probe = format!(
        "import socket; s = socket.socket(socket.AF_UNIX); s.settimeout(5); \
         s.connect({:?}); s.sendall(b'GET /health HTTP/1.1\\r\\nHost: localhost\\r\\n\\r\\n'); \
         print(s.recv(64).decode(errors='replace'))",
        link.to_str().unwrap()
    );
    let run_as = |uid: u32| {
        let output = Command::new("python3")
            .args(["-c", &probe])
            .uid(uid)
            .gid(uid)
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    // Control: this user gets an answer through the same link.
    assert!(run_as(0).starts_with("HTTP/1.1 200"), "{}", run_as(0));
    let other = run_as(65534);
    assert!(
        !other.contains("HTTP/1.1"),
        "another user was answered: {other}"
    );
    assert!(world
        .host
        .stderr_text()
        .contains("refused a local socket connection from another user"));
    world.shutdown();
}
