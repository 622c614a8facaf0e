//! The control socket's requests (`test-hooks` feature only): what each
//! [`ControlRequest`] does to the app, and the evals waiting for their
//! page's answer.

use std::collections::HashMap;
use std::path::PathBuf;

use agent_shell::control::{ControlCall, ControlRequest, HostInfo, WindowInfo};
use agent_shell::supervisor::HostState;
use serde_json::{json, Value};
use tao::window::WindowId;
use tokio::sync::watch;

use super::App;
use crate::selftest::script_wrapper;
use crate::windows::WindowKind;

/// What the control socket keeps between requests.
pub struct State {
    /// Evals waiting for their page's answer, by number.
    evals: HashMap<u64, (WindowId, ControlCall)>,
    next_eval: u64,
    host_state: watch::Receiver<HostState>,
}

impl State {
    pub fn new(host_state: watch::Receiver<HostState>) -> Self {
        Self {
            evals: HashMap::new(),
            next_eval: 1,
            host_state,
        }
    }
}

impl App {
    /// An IPC message that answers a control-socket eval, if it is one.
    pub fn take_eval_answer(&mut self, body: &str) -> Option<String> {
        let value: Value = serde_json::from_str(body).ok()?;
        let id = value.get("__eval")?.as_u64()?;
        let (_, call) = self.control.evals.remove(&id)?;
        let mut answer = value.clone();
        if let Some(object) = answer.as_object_mut() {
            object.remove("__eval");
        }
        call.answer(answer);
        Some(body.to_owned())
    }

    /// Evals sent to window `id` that will never answer get `reason`.
    pub(super) fn answer_evals(&mut self, id: WindowId, reason: &str) {
        let orphaned: Vec<u64> = self
            .control
            .evals
            .iter()
            .filter(|(_, (window, _))| *window == id)
            .map(|(number, _)| *number)
            .collect();
        for number in orphaned {
            if let Some((_, call)) = self.control.evals.remove(&number) {
                call.answer(json!({ "error": reason }));
            }
        }
    }

    pub(super) fn control(&mut self, call: ControlCall) {
        match call.request.clone() {
            ControlRequest::Windows => {
                let windows: Vec<WindowInfo> = self
                    .windows
                    .iter()
                    .map(|(_, w)| {
                        let (kind, doc_id, path) = match &w.kind {
                            WindowKind::Home => ("home", None, None),
                            WindowKind::Document { doc_id, path } => (
                                "document",
                                Some(doc_id.clone()),
                                Some(path.to_string_lossy().into_owned()),
                            ),
                            WindowKind::Error => ("error", None, None),
                        };
                        WindowInfo {
                            id: w.number,
                            kind: kind.to_owned(),
                            doc_id,
                            path,
                            title: w.window.title(),
                            dirty: w.dirty,
                            page_ready: w.page_ready,
                            focus_requests: w.focus_requests,
                            focused: w.window.is_focused(),
                        }
                    })
                    .collect();
                call.answer(json!({ "windows": windows }));
            }
            ControlRequest::Eval { window, script } => {
                let Some(id) = self.windows.by_number(window) else {
                    return call.answer(json!({"error": "no such window"}));
                };
                let number = self.control.next_eval;
                self.control.next_eval += 1;
                let wrapped = script_wrapper(&script, &format!("{{ __eval: {number} }}"));
                match self.windows.get_mut(id) {
                    Some(window) => {
                        window.run_script(wrapped);
                        self.control.evals.insert(number, (id, call));
                    }
                    None => call.answer(json!({"error": "no such window"})),
                }
            }
            ControlRequest::Close { window } => match self.windows.by_number(window) {
                Some(id) => {
                    self.request_close(id);
                    call.answer(json!({"ok": true}));
                }
                None => call.answer(json!({"error": "no such window"})),
            },
            ControlRequest::Menu { item } => match self.menu.action_by_name(&item) {
                Some(action) => {
                    self.menu_action(action);
                    call.answer(json!({"ok": true}));
                }
                None => call.answer(json!({"error": "no such menu item"})),
            },
            ControlRequest::Drop { window, paths } => match self.windows.by_number(window) {
                Some(id) => {
                    self.dropped(id, &paths);
                    call.answer(json!({"ok": true}));
                }
                None => call.answer(json!({"error": "no such window"})),
            },
            ControlRequest::Host => {
                let (state, pid) = match *self.control.host_state.borrow() {
                    HostState::Ready { pid, .. } => ("ready", Some(pid)),
                    HostState::Starting => ("starting", None),
                    HostState::Restarting { .. } => ("restarting", None),
                    HostState::Failed { .. } => ("failed", None),
                };
                let info = HostInfo {
                    state: state.to_owned(),
                    pid,
                };
                call.answer(serde_json::to_value(info).unwrap_or_default());
            }
            ControlRequest::Screenshot { path } => screenshot(path, call),
        }
    }
}

/// The whole X screen into `path` (ImageMagick's `import`), off the GTK
/// thread.
fn screenshot(path: PathBuf, call: ControlCall) {
    std::thread::spawn(move || {
        let status = std::process::Command::new("import")
            .args(["-window", "root"])
            .arg(&path)
            .stdin(std::process::Stdio::null())
            .status();
        call.answer(match status {
            Ok(s) if s.success() => json!({"ok": true}),
            Ok(s) => json!({"error": format!("import exited with {s}")}),
            Err(e) => json!({"error": format!("cannot run import: {e}")}),
        });
    });
}
