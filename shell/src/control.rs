//! The test-only control socket (`--control-socket PATH`, hidden): how the
//! GUI tests drive the real shell end to end without a WebDriver. One JSON
//! request per line, one JSON answer per line:
//!
//! | request | answer |
//! | --- | --- |
//! | `{"op":"windows"}` | `{"windows":[{"id","kind","doc_id","path","title","dirty","page_ready","focus_requests","focused"}]}` |
//! | `{"op":"eval","window":N,"script":"<async function body>"}` | `{"result":..}` or `{"error":..}` |
//! | `{"op":"close","window":N}` | as the window manager's close button |
//! | `{"op":"menu","item":"open"\|"close"\|"quit"\|"recent:<n>"}` | the menu action |
//! | `{"op":"host"}` | `{"state","pid"}` |
//! | `{"op":"screenshot","path":"/abs.png"}` | the whole X screen, via ImageMagick's `import` |
//!
//! The socket is created 0600 and exists only when the flag is given. It
//! grants nothing the user starting the shell does not already have.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{json, Value};

/// The longest a request may wait for the event loop's answer.
const ANSWER_LIMIT: Duration = Duration::from_secs(60);

/// One request, answered at most once through [`ControlRequest::answer`].
#[derive(Debug)]
pub struct ControlRequest {
    pub body: Value,
    answer: mpsc::Sender<Value>,
}

impl ControlRequest {
    pub fn op(&self) -> &str {
        self.body.get("op").and_then(Value::as_str).unwrap_or("")
    }

    pub fn answer(self, value: Value) {
        let _ = self.answer.send(value);
    }
}

/// Listens on `path` (replacing a stale socket); every request goes to
/// `deliver`, which hands it to the event loop.
pub fn serve(
    path: &Path,
    deliver: impl Fn(ControlRequest) + Send + Sync + Clone + 'static,
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
                let deliver = deliver.clone();
                std::thread::spawn(move || serve_connection(stream, deliver));
            }
        })?;
    Ok(())
}

fn serve_connection(stream: UnixStream, deliver: impl Fn(ControlRequest)) {
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    for line in BufReader::new(stream).lines() {
        let Ok(line) = line else { return };
        let answer = match serde_json::from_str::<Value>(&line) {
            Ok(body) => {
                let (tx, rx) = mpsc::channel();
                deliver(ControlRequest { body, answer: tx });
                rx.recv_timeout(ANSWER_LIMIT)
                    .unwrap_or_else(|_| json!({"error": "no answer from the event loop"}))
            }
            Err(error) => json!({"error": format!("not JSON: {error}")}),
        };
        if writeln!(writer, "{answer}").is_err() {
            return;
        }
    }
}
