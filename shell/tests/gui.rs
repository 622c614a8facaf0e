//! The real shell (tao window, wry/WebKitGTK webview, real `agent-host`)
//! in `--self-test` mode. It needs a display: with `DISPLAY` unset the
//! shell is run under `dbus-run-session -- xvfb-run -a` (apt packages
//! `xvfb xauth dbus`, installed by scripts/setup.sh); with neither a display
//! nor `xvfb-run` the tests fail rather than pass without running.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{alive, eventually, host_binary};

/// The shell gives itself 30 s; this is the outer bound including start-up.
const LIMIT: Duration = Duration::from_secs(60);

/// The command that runs the shell with a display, or `None` to skip.
fn shell_command() -> Option<Command> {
    let shell = env!("CARGO_BIN_EXE_agent-shell");
    if std::env::var_os("DISPLAY").is_some_and(|d| !d.is_empty()) {
        return Some(Command::new(shell));
    }
    let on_path = |name: &str| {
        std::env::var_os("PATH")
            .is_some_and(|path| std::env::split_paths(&path).any(|d| d.join(name).is_file()))
    };
    assert!(
        on_path("xvfb-run") && on_path("dbus-run-session"),
        "no DISPLAY and no xvfb-run/dbus-run-session: run scripts/setup.sh (apt-get install xvfb xauth dbus)"
    );
    let mut command = Command::new("dbus-run-session");
    command.args(["--", "xvfb-run", "-a", shell]);
    Some(command)
}

/// Runs the shell to completion (bounded by [`LIMIT`]) and returns its
/// output and how long it took.
fn run_shell(mut command: Command, args: &[&str], user_data: &Path) -> (Output, Duration) {
    command
        .args(args)
        .arg("--user-data")
        .arg(user_data)
        .arg("--host-program")
        .arg(host_binary())
        .env("RUST_LOG", "warn,renderer_bridge=debug")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = command.spawn().expect("spawn the shell");
    let pid = child.id();
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = stdout.read_to_end(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = stderr.read_to_end(&mut s);
        s
    });
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > LIMIT {
            common::signal(pid, libc::SIGKILL);
            let _ = child.wait();
            panic!(
                "the shell ran longer than {LIMIT:?}; stderr:\n{}",
                String::from_utf8_lossy(&err.join().unwrap_or_default())
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let output = Output {
        status,
        stdout: out.join().expect("stdout reader"),
        stderr: err.join().expect("stderr reader"),
    };
    (output, started.elapsed())
}

/// The last stdout line that is a JSON object.
fn report(output: &Output) -> serde_json::Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout
        .lines()
        .rev()
        .find_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .unwrap_or_else(|| {
            panic!(
                "no JSON line on stdout:\n{stdout}\nstderr:\n{}",
                String::from_utf8_lossy(&output.stderr)
            )
        })
}

fn assert_host_gone(report: &serde_json::Value) {
    let pid = report["host_pid"].as_u64().expect("host_pid in the report") as u32;
    assert!(
        eventually(Duration::from_secs(2), || !alive(pid)),
        "agent-host {pid} outlived the shell"
    );
}

#[test]
fn self_test_fetches_health_through_the_bridge_and_leaves_no_host() {
    let Some(command) = shell_command() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let (output, took) = run_shell(command, &["--self-test"], dir.path());
    let report = report(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "exit {:?}: {report}\n{stderr}",
        output.status
    );
    assert_eq!(report["status"], 200, "{report}\n{stderr}");
    assert_eq!(report["body"]["status"], "ok", "{report}");
    assert!(report["body"]["version"].is_string(), "{report}");
    assert!(took < LIMIT);
    assert_host_gone(&report);
}

/// A loopback server answering every GET with a small HTML page.
fn page_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let origin = format!("http://{}", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            std::thread::spawn(move || {
                let mut buffer = [0u8; 4096];
                let _ = stream.read(&mut buffer);
                let body = "<!doctype html><title>probe</title><p>probe</p>";
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
            });
        }
    });
    origin
}

/// The renderer is at `renderer` (a plain page served by the test), the
/// probe page at `probe`: the probe must get no `window.desktop`, and its
/// own fetch of `hostapi://` must not get the host's answer.
fn probe(renderer: &str, probe: &str) {
    let Some(command) = shell_command() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let (output, _) = run_shell(
        command,
        &[
            "--self-test",
            "--renderer-url",
            renderer,
            "--self-test-probe",
            probe,
        ],
        dir.path(),
    );
    let report = report(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{report}\n{stderr}");
    assert_eq!(report["status"], 200, "the renderer itself works: {report}");
    let probe_report = &report["probe"];
    assert_eq!(probe_report["url"], probe, "{report}");
    assert_eq!(probe_report["desktop"], "undefined", "{report}");
    let fetch = &probe_report["fetch"];
    let refused = fetch["rejected"].is_string() || fetch["status"] == 403;
    assert!(
        refused,
        "a hostapi:// fetch from {probe} was not refused: {report}\n{stderr}"
    );
    assert!(
        !fetch["body"].as_str().unwrap_or("").contains("uptime_ms"),
        "{report}"
    );
    assert_host_gone(&report);
}

#[test]
fn desktop_x_path_gets_no_bridge() {
    let origin = page_server();
    probe(&origin, &format!("{origin}/desktopX"));
}

#[test]
fn foreign_origin_gets_no_bridge() {
    let renderer = page_server();
    let foreign = page_server();
    probe(&renderer, &format!("{foreign}/desktop/"));
}
