//! The test-only control socket (`--control-socket PATH`, hidden; only in a
//! shell built with the `test-hooks` feature): how the GUI tests and
//! shell-bench drive the real shell end to end without a WebDriver. One
//! JSON request per line ([`ControlRequest`], tagged by `op`), one JSON
//! answer per line:
//!
//! | request | answer |
//! | --- | --- |
//! | `{"op":"windows"}` | `{"windows":[`[`WindowInfo`]`,…]}` |
//! | `{"op":"eval","window":N,"script":"<async function body>"}` | `{"result":..}` or `{"error":..}` |
//! | `{"op":"close","window":N}` | as the window manager's close button |
//! | `{"op":"menu","item":"open"\|"close"\|"quit"\|"recent:<n>"}` | the menu action |
//! | `{"op":"drop","window":N,"paths":["/abs",…]}` | as a drop of those paths on the window (what wry's drag-and-drop handler hands the shell) |
//! | `{"op":"host"}` | [`HostInfo`]: `{"state","pid"}` |
//! | `{"op":"screenshot","path":"/abs.png"}` | the whole X screen, via ImageMagick's `import` |
//!
//! Anything else (not JSON, an unknown op, a missing field) is answered
//! `{"error":..}`; so are unknown windows and menu items.
//!
//! The socket is created 0600 and exists only when the flag is given; a
//! peer whose uid is not the shell's (`SO_PEERCRED`, as for the
//! single-instance socket) is closed unanswered. It grants nothing the user
//! starting the shell does not already have.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use agent_client::check_peer_uid;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The longest a request may wait for the event loop's answer.
const ANSWER_LIMIT: Duration = Duration::from_secs(60);

/// One request on the control socket, as its JSON line reads:
/// `{"op":"eval","window":1,"script":"return 1"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum ControlRequest {
    /// Every window: `{"windows":[WindowInfo…]}`.
    Windows,
    /// Runs `script`, the body of an async function, in window `window`'s
    /// page: `{"result":..}` or `{"error":..}`.
    Eval { window: u64, script: String },
    /// As the window manager's close button: `{"ok":true}`.
    Close { window: u64 },
    /// A menu item (`open`, `close`, `quit`, `recent:<n>`): `{"ok":true}`.
    Menu { item: String },
    /// As if `paths` were dropped on window `window` (what wry's
    /// drag-and-drop handler hands the shell; XDND itself cannot be
    /// synthesized under Xvfb): `{"ok":true}`.
    Drop { window: u64, paths: Vec<PathBuf> },
    /// The supervisor's view of the host: [`HostInfo`].
    Host,
    /// The whole X screen as a PNG at `path` (ImageMagick's `import`):
    /// `{"ok":true}`.
    Screenshot { path: PathBuf },
}

/// One window in the answer to [`ControlRequest::Windows`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowInfo {
    /// The number requests name the window by.
    pub id: u64,
    /// `home`, `document` or `error`.
    pub kind: String,
    pub doc_id: Option<String>,
    pub path: Option<String>,
    pub title: String,
    pub dirty: bool,
    pub page_ready: bool,
    /// How often the shell brought it forward.
    pub focus_requests: u32,
    pub focused: bool,
}

/// The answer to [`ControlRequest::Host`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostInfo {
    /// `starting`, `ready`, `restarting` or `failed`.
    pub state: String,
    /// The host's pid when it is ready.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
}

/// A request on its way to the event loop, answered at most once through
/// [`ControlCall::answer`].
#[derive(Debug)]
pub struct ControlCall {
    pub request: ControlRequest,
    answer: mpsc::Sender<Value>,
}

impl ControlCall {
    pub fn answer(self, value: Value) {
        let _ = self.answer.send(value);
    }
}

/// Listens on `path` (replacing a stale socket); every request goes to
/// `deliver`, which hands it to the event loop.
pub fn serve(
    path: &Path,
    deliver: impl Fn(ControlCall) + Send + Sync + Clone + 'static,
) -> std::io::Result<()> {
    let _ = std::fs::remove_file(path);
    // Created 0600 (not chmod'ed afterwards, which would leave a gap in
    // which another user could connect). The umask is process-wide: for
    // that instant anything else created gets a stricter mode, never a
    // looser one.
    // SAFETY: umask has no preconditions; the old mask is restored at once.
    let old_mask = unsafe { libc::umask(0o077) };
    let bound = UnixListener::bind(path);
    // SAFETY: as above.
    unsafe { libc::umask(old_mask) };
    let listener = bound?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    std::thread::Builder::new()
        .name("control".into())
        .spawn(move || {
            for stream in listener.incoming().flatten() {
                // The mode keeps other users out; this holds even if it
                // were wider (a file mode can be changed, the uid cannot).
                if let Err(error) = check_peer_uid(&stream) {
                    tracing::warn!(%error, "control connection refused");
                    continue;
                }
                let deliver = deliver.clone();
                std::thread::spawn(move || serve_connection(stream, deliver));
            }
        })?;
    Ok(())
}

fn serve_connection(stream: UnixStream, deliver: impl Fn(ControlCall)) {
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    for line in BufReader::new(stream).lines() {
        let Ok(line) = line else { return };
        let answer = match serde_json::from_str::<ControlRequest>(&line) {
            Ok(request) => {
                let (tx, rx) = mpsc::channel();
                deliver(ControlCall {
                    request,
                    answer: tx,
                });
                rx.recv_timeout(ANSWER_LIMIT)
                    .unwrap_or_else(|_| json!({"error": "no answer from the event loop"}))
            }
            Err(error) => json!({"error": format!("not a control request: {error}")}),
        };
        if writeln!(writer, "{answer}").is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// One request line over a fresh connection; whatever comes back
    /// before the shell closes it (or 5 s pass).
    fn ask(path: &Path, request: &str) -> String {
        let mut stream = UnixStream::connect(path).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        let _ = writeln!(stream, "{request}");
        let _ = stream.shutdown(std::net::Shutdown::Write);
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        answer
    }

    /// The socket's mode (0600) keeps other users out; opened up here to
    /// reach the peer check behind it: a peer of another uid is closed
    /// without an answer and its request never reaches the event loop,
    /// while the shell's own uid is served.
    #[test]
    fn a_peer_of_another_uid_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("control.sock");
        let (seen_tx, seen) = mpsc::channel();
        serve(&path, move |call: ControlCall| {
            let _ = seen_tx.send(call.request.clone());
            call.answer(json!({"windows": []}));
        })
        .expect("serve");
        let mode = std::fs::metadata(&path)
            .expect("socket")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o711)).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();

        let Some(answer) = testkit::as_nobody(|| ask(&path, r#"{"op":"windows"}"#)) else {
            return;
        };
        assert_eq!(answer, "", "a peer of another uid got an answer");
        assert!(seen.recv_timeout(Duration::from_millis(300)).is_err());

        assert_eq!(ask(&path, r#"{"op":"windows"}"#), "{\"windows\":[]}\n");
        assert_eq!(seen.try_recv().unwrap(), ControlRequest::Windows);
    }

    #[test]
    fn requests_read_and_write_as_their_json_lines() {
        let cases = [
            (json!({"op": "windows"}), ControlRequest::Windows),
            (
                json!({"op": "eval", "window": 2, "script": "return 1"}),
                ControlRequest::Eval {
                    window: 2,
                    script: "return 1".into(),
                },
            ),
            (
                json!({"op": "close", "window": 3}),
                ControlRequest::Close { window: 3 },
            ),
            (
                json!({"op": "menu", "item": "recent:0"}),
                ControlRequest::Menu {
                    item: "recent:0".into(),
                },
            ),
            (json!({"op": "host"}), ControlRequest::Host),
            (
                json!({"op": "screenshot", "path": "/tmp/s.png"}),
                ControlRequest::Screenshot {
                    path: "/tmp/s.png".into(),
                },
            ),
        ];
        for (line, request) in cases {
            assert_eq!(serde_json::to_value(&request).unwrap(), line);
            assert_eq!(
                serde_json::from_value::<ControlRequest>(line).unwrap(),
                request
            );
        }
        for bad in [
            json!({"op": "nope"}),
            json!({"op": "eval", "window": 1}),
            json!({"window": 1}),
        ] {
            assert!(serde_json::from_value::<ControlRequest>(bad).is_err());
        }
        let host = HostInfo {
            state: "starting".into(),
            pid: None,
        };
        assert_eq!(
            serde_json::to_value(&host).unwrap(),
            json!({"state": "starting"})
        );
    }

    #[test]
    fn a_line_that_is_no_request_is_answered_with_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("control.sock");
        serve(&path, |call: ControlCall| call.answer(json!({"ok": true}))).expect("serve");
        for bad in ["not json", r#"{"op":"fly"}"#, r#"{"op":"close"}"#] {
            let answer: Value = serde_json::from_str(&ask(&path, bad)).expect("json");
            assert!(answer["error"].is_string(), "{bad}: {answer}");
        }
        assert_eq!(ask(&path, r#"{"op":"host"}"#), "{\"ok\":true}\n");
    }
}
