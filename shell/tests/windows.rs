//! The real shell end to end, driven through its test-only control socket
//! (`--control-socket`, src/control.rs): document windows opened from argv
//! and from a second launch, deduplicated by the host's `doc_id`; editing
//! and saving through the real editor, checked on disk; closing a window
//! with unsaved changes; a SIGKILLed host replaced before the next save; the
//! error window when the host cannot start; a screenshot that is not blank.
//!
//! Runs under `dbus-run-session -- xvfb-run -a` (packages installed by
//! scripts/setup.sh) unless `DISPLAY` is set.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{alive, eventually, host_binary};
use serde_json::{json, Value};

/// Start-up (Xvfb, WebKit, the host) and each wait below stay under this.
const LIMIT: Duration = Duration::from_secs(60);

/// A running shell with a control socket; killed (with its host) on drop.
struct Shell {
    child: Child,
    socket: PathBuf,
    user_data: PathBuf,
    runtime_dir: PathBuf,
    stderr: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
}

impl Shell {
    fn start(dir: &Path, host_program: &Path, targets: &[&Path]) -> Shell {
        let shell = env!("CARGO_BIN_EXE_agent-shell");
        let mut command = if std::env::var_os("DISPLAY").is_some_and(|d| !d.is_empty()) {
            Command::new(shell)
        } else {
            let mut c = Command::new("dbus-run-session");
            c.args(["--", "xvfb-run", "-a", "-s", "-screen 0 1280x900x24", shell]);
            c
        };
        let socket = dir.join("control.sock");
        let user_data = dir.join("user-data");
        let runtime_dir = dir.join("runtime");
        std::fs::create_dir_all(&runtime_dir).expect("runtime dir");
        command
            .arg("--control-socket")
            .arg(&socket)
            .arg("--user-data")
            .arg(&user_data)
            .arg("--host-program")
            .arg(host_program)
            .args(targets)
            .env("XDG_RUNTIME_DIR", &runtime_dir)
            .env("AGENT_HOST_SECRET_BACKEND", "file")
            .env("RUST_LOG", "warn,agent_shell=info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("spawn the shell");
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut pipe = child.stderr.take().expect("stderr");
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                sink.lock().expect("stderr").extend_from_slice(&buffer[..n]);
            }
        });
        let shell = Shell {
            child,
            socket,
            user_data,
            runtime_dir,
            stderr,
        };
        assert!(
            eventually(LIMIT, || UnixStream::connect(&shell.socket).is_ok()),
            "no control socket; stderr:\n{}",
            shell.stderr()
        );
        shell
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().expect("stderr")).into_owned()
    }

    fn request(&self, request: Value) -> Value {
        let mut stream = UnixStream::connect(&self.socket).expect("connect the control socket");
        writeln!(stream, "{request}").expect("send");
        let mut line = String::new();
        BufReader::new(stream)
            .read_line(&mut line)
            .expect("read the answer");
        serde_json::from_str(&line).unwrap_or_else(|_| panic!("not JSON: {line:?}"))
    }

    fn windows(&self) -> Vec<Value> {
        self.request(json!({"op": "windows"}))["windows"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Waits until `pick` finds something in the window list.
    fn wait_window(&self, what: &str, pick: impl Fn(&[Value]) -> Option<Value>) -> Value {
        let started = Instant::now();
        loop {
            let windows = self.windows();
            if let Some(found) = pick(&windows) {
                return found;
            }
            assert!(
                started.elapsed() < LIMIT,
                "no {what}; windows: {windows:?}\nstderr:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Runs `script` (an async function body) in window `id`.
    fn eval(&self, id: &Value, script: &str) -> Value {
        let answer = self.request(json!({"op": "eval", "window": id, "script": script}));
        assert!(
            answer.get("error").is_none(),
            "eval failed: {answer}\nstderr:\n{}",
            self.stderr()
        );
        answer["result"].clone()
    }

    fn host_pid(&self) -> Option<u32> {
        let answer = self.request(json!({"op": "host"}));
        (answer["state"] == "ready").then(|| answer["pid"].as_u64().expect("pid") as u32)
    }

    /// A second launch with `targets`: it hands them over and exits 0.
    fn launch_again(&self, targets: &[&Path]) {
        let targets: Vec<&std::ffi::OsStr> = targets.iter().map(|t| t.as_os_str()).collect();
        self.launch_again_with(&targets);
    }

    fn launch_again_with(&self, targets: &[&std::ffi::OsStr]) {
        let output = Command::new(env!("CARGO_BIN_EXE_agent-shell"))
            .arg("--user-data")
            .arg(&self.user_data)
            .args(targets)
            .env("XDG_RUNTIME_DIR", &self.runtime_dir)
            .env_remove("DISPLAY")
            .stdin(Stdio::null())
            .output()
            .expect("run the second launch");
        assert!(
            output.status.success(),
            "the second launch failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// The real shell process (under dbus-run-session/xvfb-run).
    fn shell_pid(&self) -> Option<u32> {
        common::shell_pid(self.socket.to_str()?)
    }
}

impl Drop for Shell {
    fn drop(&mut self) {
        if let Some(pid) = self.shell_pid() {
            common::signal(pid, libc::SIGKILL);
        }
        let _ = eventually(Duration::from_secs(5), || {
            matches!(self.child.try_wait(), Ok(Some(_)))
        });
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn document_window(path: &Path) -> impl Fn(&[Value]) -> Option<Value> {
    let path = path
        .canonicalize()
        .expect("canonical")
        .to_string_lossy()
        .into_owned();
    move |windows| {
        windows
            .iter()
            .find(|w| {
                w["kind"] == "document" && w["path"] == path.as_str() && w["page_ready"] == true
            })
            .cloned()
    }
}

/// Waits in the page until the editor shows `needle`; returns its text.
fn editor_text_containing(needle: &str) -> String {
    format!(
        r#"
const deadline = Date.now() + 20000;
while (Date.now() < deadline) {{
  const editor = document.querySelector('.cm-content');
  if (editor && editor.innerText.includes({needle})) return editor.innerText;
  await new Promise((r) => setTimeout(r, 50));
}}
throw new Error('the editor never showed the text: ' + document.body.innerText.slice(0, 400));
"#,
        needle = serde_json::to_string(needle).expect("a string")
    )
}

/// Types `text` at the start of the document, as a user would.
fn type_text(text: &str) -> String {
    format!(
        r#"
const editor = document.querySelector('.cm-content');
editor.focus();
const selection = window.getSelection();
selection.collapse(editor.querySelector('.cm-line') || editor, 0);
if (!document.execCommand('insertText', false, {text})) throw new Error('insertText refused');
// React re-renders the status when it gets to it (slowly on a loaded machine).
const deadline = Date.now() + 10000;
while (Date.now() < deadline && document.querySelector('.status').innerText !== 'dirty') {{
  await new Promise((r) => setTimeout(r, 25));
}}
return document.querySelector('.status').innerText;
"#,
        text = serde_json::to_string(text).expect("a string")
    )
}

/// Clicks Cancel in the unsaved-changes question and waits until it is gone.
const CANCEL_CLOSE: &str = r#"
document.querySelector('.close-cancel').click();
const deadline = Date.now() + 10000;
while (Date.now() < deadline && document.querySelector('.close-dialog')) {
  await new Promise((r) => setTimeout(r, 25));
}
if (document.querySelector('.close-dialog')) throw new Error('the question stayed');
return true;
"#;

/// Clicks Save and waits for `saved` (or reports the status it got).
const SAVE: &str = r#"
const deadline = Date.now() + 20000;
while (Date.now() < deadline) {
  const button = [...document.querySelectorAll('.editor-bar button')].find((b) => b.innerText === 'Save');
  button.click();
  const until = Date.now() + 3000;
  while (Date.now() < until) {
    await new Promise((r) => setTimeout(r, 50));
    const status = document.querySelector('.status').innerText;
    if (status === 'saved') return status;
  }
}
return document.querySelector('.status').innerText + ' / ' + document.body.innerText.slice(0, 300);
"#;

fn wait_dirty(shell: &Shell, id: &Value, dirty: bool) {
    shell.wait_window("dirty flag", |windows| {
        windows
            .iter()
            .find(|w| w["id"] == *id && w["dirty"] == dirty)
            .cloned()
    });
}

#[test]
fn document_windows_open_edit_save_dedupe_and_ask_before_closing_unsaved_work() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = dir.path().join("first.md");
    let second = dir.path().join("second.md");
    std::fs::write(&first, "# First\n\nfirst-marker-51c2\n").expect("write");
    std::fs::write(&second, "second-marker-9e07\n").expect("write");
    let shell = Shell::start(dir.path(), host_binary(), &[&first]);

    // argv: one document window, no home window, showing the file's text.
    let window = shell.wait_window("document window", document_window(&first));
    assert_eq!(shell.windows().len(), 1, "{:?}", shell.windows());
    let id = window["id"].clone();
    shell.eval(&id, &editor_text_containing("first-marker-51c2"));
    assert!(window["title"].as_str().unwrap_or("").contains("first.md"));

    // Edit and save: the file on disk changes; the dirty flag reached the shell.
    let status = shell.eval(&id, &type_text("edited-4d1f "));
    assert_eq!(status, "dirty");
    wait_dirty(&shell, &id, true);
    assert_eq!(shell.eval(&id, SAVE), "saved");
    let on_disk = std::fs::read_to_string(&first).expect("read back");
    assert!(
        on_disk == "edited-4d1f # First\n\nfirst-marker-51c2\n",
        "{on_disk:?}"
    );
    wait_dirty(&shell, &id, false);

    // A screenshot of the screen with the window is not blank.
    let artifacts = Path::new(env!("CARGO_TARGET_TMPDIR")).join("gui-artifacts");
    std::fs::create_dir_all(&artifacts).expect("artifacts dir");
    let png = artifacts.join("document-window.png");
    let _ = std::fs::remove_file(&png);
    let answer = shell.request(json!({"op": "screenshot", "path": png}));
    assert_eq!(answer["ok"], true, "{answer}");
    assert_not_blank(&png);

    // A second launch with the same file focuses its window, no new one.
    shell.launch_again(&[&first]);
    shell.wait_window("focus request", |windows| {
        windows
            .iter()
            .find(|w| w["id"] == id && w["focus_requests"].as_u64() >= Some(1))
            .cloned()
    });
    assert_eq!(shell.windows().len(), 1, "{:?}", shell.windows());

    // The same file through a symlink is the same document.
    let link = dir.path().join("link-to-first.md");
    std::os::unix::fs::symlink(&first, &link).expect("symlink");
    shell.launch_again(&[&link]);
    shell.wait_window("second focus request", |windows| {
        windows
            .iter()
            .find(|w| w["id"] == id && w["focus_requests"].as_u64() >= Some(2))
            .cloned()
    });

    // File > Open Recent > (the first entry: this file) focuses it too.
    assert!(
        eventually(Duration::from_secs(10), || shell
            .request(json!({"op": "menu", "item": "recent:0"}))["ok"]
            == true),
        "the recent-files menu never listed the file"
    );
    shell.wait_window("focus from the recent menu", |windows| {
        windows
            .iter()
            .find(|w| w["id"] == id && w["focus_requests"].as_u64() >= Some(3))
            .cloned()
    });
    assert_eq!(shell.windows().len(), 1, "{:?}", shell.windows());

    // Another file gets its own window.
    shell.launch_again(&[&second]);
    let other = shell.wait_window("second document window", document_window(&second));
    assert_ne!(other["id"], id);
    assert_eq!(shell.windows().len(), 2);

    // A deep link opens a file too; a link to an unknown route is refused.
    let third = dir.path().join("third.txt");
    std::fs::write(&third, "third-marker\n").expect("write");
    let link = format!("agent-host://open?path={}", third.display());
    shell.launch_again_with(&["agent-host://format?disk=1".as_ref(), link.as_ref()]);
    let linked = shell.wait_window("deep-linked document window", document_window(&third));
    assert_eq!(shell.windows().len(), 3, "{:?}", shell.windows());
    shell.request(json!({"op": "close", "window": linked["id"]}));
    shell.wait_window("the clean window closed at once", |windows| {
        (windows.len() == 2).then(|| json!(2))
    });

    // Closing a window with unsaved changes asks; Cancel keeps it, the
    // discard answer closes it without touching the file.
    shell.eval(&id, &type_text("unsaved-77aa "));
    wait_dirty(&shell, &id, true);
    let answer = shell.request(json!({"op": "close", "window": id}));
    assert_eq!(answer["ok"], true);
    let asked = r#"
const deadline = Date.now() + 10000;
while (Date.now() < deadline) {
  const dialog = document.querySelector('.close-dialog');
  if (dialog) return dialog.innerText;
  await new Promise((r) => setTimeout(r, 50));
}
throw new Error('no close dialog');
"#;
    let question = shell.eval(&id, asked);
    assert!(
        question.as_str().unwrap_or("").contains("unsaved changes"),
        "{question}"
    );
    shell.eval(&id, CANCEL_CLOSE);
    wait_dirty(&shell, &id, true);
    assert!(
        shell.windows().iter().any(|w| w["id"] == id),
        "cancel kept the window"
    );

    // Quit with one window unsaved: only that one is asked, the clean one
    // stays until it answers; Cancel leaves both.
    assert_eq!(
        shell.request(json!({"op": "menu", "item": "quit"}))["ok"],
        true
    );
    shell.eval(&id, asked);
    assert_eq!(
        shell.windows().len(),
        2,
        "a clean window closed before the question was answered"
    );
    shell.eval(&id, CANCEL_CLOSE);
    wait_dirty(&shell, &id, true);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(shell.windows().len(), 2, "{:?}", shell.windows());
    shell.request(json!({"op": "close", "window": id}));
    shell.eval(&id, asked);
    shell.eval(
        &id,
        // Clicked after the answer: the click closes the page.
        "setTimeout(() => document.querySelector('.close-discard').click(), 50); return true;",
    );
    shell.wait_window("the closed window gone", |windows| {
        (!windows.iter().any(|w| w["id"] == id)).then(|| json!(windows.len()))
    });
    let on_disk = std::fs::read_to_string(&first).expect("read back");
    assert!(!on_disk.contains("unsaved-77aa"), "{on_disk:?}");

    // A clean window closes at once; the last one ends the app (and its host).
    let host = shell.host_pid().expect("a ready host");
    shell.request(json!({"op": "close", "window": other["id"]}));
    let mut shell = shell;
    assert!(
        eventually(Duration::from_secs(10), || matches!(
            shell.child.try_wait(),
            Ok(Some(_))
        )),
        "the shell did not end with its last window"
    );
    assert!(
        eventually(Duration::from_secs(2), || !alive(host)),
        "the host outlived the shell"
    );
}

#[test]
fn a_hung_page_with_unsaved_changes_does_not_keep_its_window() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("hung.md");
    std::fs::write(&file, "hung-marker\n").expect("write");
    let mut shell = Shell::start(dir.path(), host_binary(), &[&file]);
    let window = shell.wait_window("document window", document_window(&file));
    let id = window["id"].clone();
    shell.eval(&id, &editor_text_containing("hung-marker"));
    shell.eval(&id, &type_text("unsaved "));
    wait_dirty(&shell, &id, true);
    // The page stops answering.
    shell.eval(&id, "setTimeout(() => { for (;;) {} }, 10); return true;");
    std::thread::sleep(Duration::from_millis(200));
    shell.request(json!({"op": "close", "window": id}));
    std::thread::sleep(Duration::from_secs(1));
    assert!(
        shell.windows().iter().any(|w| w["id"] == id),
        "the first request only asks the page"
    );
    // After 5 s without an answer, the next request closes the window, and
    // with it the app.
    std::thread::sleep(Duration::from_secs(5));
    shell.request(json!({"op": "close", "window": id}));
    assert!(
        eventually(Duration::from_secs(10), || matches!(
            shell.child.try_wait(),
            Ok(Some(_))
        )),
        "the hung window was not closed; stderr:\n{}",
        shell.stderr()
    );
}

#[test]
fn a_killed_host_is_replaced_and_the_next_save_succeeds() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("notes.txt");
    std::fs::write(&file, "before-kill-3b8e\n").expect("write");
    let shell = Shell::start(dir.path(), host_binary(), &[&file]);
    let window = shell.wait_window("document window", document_window(&file));
    let id = window["id"].clone();
    shell.eval(&id, &editor_text_containing("before-kill-3b8e"));

    let first_host = shell.host_pid().expect("a ready host");
    common::signal(first_host, libc::SIGKILL);
    assert!(eventually(Duration::from_secs(5), || !alive(first_host)));
    let started = Instant::now();
    let second_host = loop {
        if let Some(pid) = shell.host_pid().filter(|pid| *pid != first_host) {
            break pid;
        }
        assert!(
            started.elapsed() < LIMIT,
            "no new host; stderr:\n{}",
            shell.stderr()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(alive(second_host));

    shell.eval(&id, &type_text("after-restart-6c0d "));
    assert_eq!(shell.eval(&id, SAVE), "saved");
    let on_disk = std::fs::read_to_string(&file).expect("read back");
    assert!(
        on_disk.contains("after-restart-6c0d before-kill-3b8e"),
        "{on_disk:?}"
    );
}

#[test]
fn sigkill_of_the_shell_takes_its_host_within_a_second() {
    let dir = tempfile::tempdir().expect("tempdir");
    let shell = Shell::start(dir.path(), host_binary(), &[]);
    shell.wait_window("home window", |windows| {
        windows
            .iter()
            .find(|w| w["kind"] == "home" && w["page_ready"] == true)
            .cloned()
    });
    let host = shell.host_pid().expect("a ready host");
    let pid = shell.shell_pid().expect("the shell's pid");
    common::signal(pid, libc::SIGKILL);
    let killed = Instant::now();
    assert!(
        eventually(Duration::from_secs(1), || !alive(host)),
        "the host outlived a SIGKILLed shell by more than 1 s"
    );
    eprintln!("host gone {:?} after the shell's SIGKILL", killed.elapsed());
}

#[test]
fn a_host_that_cannot_start_gets_an_error_window_with_its_stderr() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broken = common::script(
        dir.path(),
        "broken-host",
        "#!/bin/sh\necho 'broken-host: missing libfrobnicate <v2>' >&2\nexit 3\n",
    );
    let shell = Shell::start(dir.path(), &broken, &[]);
    let error = shell.wait_window("error window", |windows| {
        windows.iter().find(|w| w["kind"] == "error").cloned()
    });
    assert!(error["title"]
        .as_str()
        .unwrap_or("")
        .contains("could not start"));
    let id = error["id"].clone();
    let shown = shell.eval(
        &id,
        "return { reason: document.getElementById('reason').innerText, \
         stderr: document.getElementById('stderr').innerText, \
         desktop: typeof window.desktop };",
    );
    assert!(
        shown["stderr"]
            .as_str()
            .unwrap_or("")
            .contains("broken-host: missing libfrobnicate <v2>"),
        "{shown}"
    );
    assert!(
        !shown["reason"].as_str().unwrap_or("").is_empty(),
        "{shown}"
    );
    assert_eq!(
        shown["desktop"], "undefined",
        "the error page gets no bridge"
    );
}

/// The PNG has more than a handful of colours and visible contrast.
fn assert_not_blank(png: &Path) {
    let output = Command::new("identify")
        .args(["-format", "%k %[fx:standard_deviation]"])
        .arg(png)
        .output()
        .expect("run identify (imagemagick, installed by scripts/setup.sh)");
    let text = String::from_utf8_lossy(&output.stdout);
    let mut parts = text.split_whitespace();
    let colours: u64 = parts.next().and_then(|c| c.parse().ok()).unwrap_or(0);
    let deviation: f64 = parts.next().and_then(|d| d.parse().ok()).unwrap_or(0.0);
    assert!(
        colours > 16 && deviation > 0.02,
        "{} looks blank: {colours} colours, standard deviation {deviation}",
        png.display()
    );
}
