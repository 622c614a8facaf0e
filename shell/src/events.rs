//! What reaches the event loop: from other threads (the supervisor, the
//! single-instance listener, signals, host calls), the webviews, the
//! scheme's shell actions, the menu and (`test-hooks` feature) the control
//! socket and the self-test.

use std::path::PathBuf;

use agent_shell::actions::ShellAction;
use agent_shell::host_calls::OpenedDocument;
use agent_shell::single_instance::Message;
use tao::window::WindowId;

#[cfg(feature = "test-hooks")]
use agent_shell::control::ControlCall;

/// What reaches the event loop from other threads, the webviews, the
/// scheme's shell actions, the menu and the control socket.
#[derive(Debug)]
pub enum UserEvent {
    /// A host state change.
    HostState(HostUpdate),
    /// A window's page finished loading.
    PageLoaded(WindowId, String),
    /// A window's page started loading (a reload drops the old page).
    PageStarted(WindowId),
    /// A window's web process ended (crashed or was killed).
    PageGone(WindowId),
    /// A page posted to wry's IPC (self-test and control socket only).
    #[cfg(feature = "test-hooks")]
    Ipc(WindowId, String),
    /// The self-test ran out of time.
    #[cfg(feature = "test-hooks")]
    Timeout,
    /// Files and links from our argv or from a second launch.
    Open(Message),
    /// Files chosen in the Open dialog.
    OpenFiles(Vec<PathBuf>),
    /// What a window's Save As dialog chose (`None`: cancelled).
    SaveAsChosen(WindowId, Option<PathBuf>),
    /// What a window's folder chooser chose (`None`: cancelled).
    FolderChosen(WindowId, Option<PathBuf>),
    /// Files or folders dropped on a window's webview.
    Dropped(WindowId, Vec<PathBuf>),
    /// The host resolved (or refused) a file to open.
    Resolved(PathBuf, Result<OpenedDocument, String>),
    /// The host's recent files, for the menu.
    Recent(Vec<PathBuf>),
    /// A page asked the shell for something (through `hostapi://shell/`).
    Shell(WindowId, ShellAction),
    /// A menu item was clicked.
    Menu(muda::MenuId),
    /// A request on the test control socket.
    #[cfg(feature = "test-hooks")]
    Control(ControlCall),
    /// SIGTERM or SIGINT: close the windows and stop the host in order.
    Quit,
}

/// A host state for the pages (`ready` | `restarting` | `failed`), with the
/// host's last stderr lines when it failed.
#[derive(Debug, Clone)]
pub struct HostUpdate {
    pub state: &'static str,
    pub message: Option<String>,
    pub last_stderr: Vec<String>,
}
