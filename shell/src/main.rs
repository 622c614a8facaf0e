//! The desktop shell binary: one tao window with one wry webview showing
//! the renderer, the host supervisor from the library
//! (`agent_shell::supervisor`), and the `hostapi://` scheme (src/scheme.rs)
//! through which the page reaches the host without ever holding its port or
//! password.
//!
//! `--self-test` loads the renderer, fetches `/health` through
//! `window.desktop`, prints `{"status":..,"body":..}` on stdout and exits
//! (0 on a 200, 1 otherwise or after 30 s). The test-only follow-ups
//! (`--self-test-probe`, `--self-test-script`) live in src/selftest.rs.

mod control;
mod dialog;
mod menu;
mod scheme;
mod selftest;
mod windows;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use agent_shell::actions::ShellAction;
use agent_shell::deeplink::{self, Link};
use agent_shell::error_page::error_page;
use agent_shell::host_calls::{HostCalls, OpenedDocument};
use agent_shell::renderer::{self, RendererBase, ROOT};
use agent_shell::single_instance::{self, Instance, Message};
use agent_shell::supervisor::{HostState, Supervisor, SupervisorConfig};
use clap::Parser;
use gtk::prelude::Cast;
use renderer_bridge::{Bridge, BridgeConfig, HostTarget};
use tao::event::{Event, WindowEvent};
use tao::event_loop::{ControlFlow, EventLoopBuilder, EventLoopProxy, EventLoopWindowTarget};
use tao::platform::run_return::EventLoopExtRunReturn;
use tao::platform::unix::WindowExtUnix;
use tao::window::WindowId;
use tokio::sync::watch;
use zeroize::Zeroizing;

use control::ControlRequest;
use menu::{AppMenu, MenuAction};
use selftest::{Progress, SelfTest};
use windows::{WebviewSettings, WindowKind, Windows};

/// How long `--self-test` may take before it fails.
const SELF_TEST_LIMIT: Duration = Duration::from_secs(30);

#[derive(Parser, Debug)]
#[command(name = "agent-shell", about = "The desktop shell of the agent host")]
struct Args {
    /// Directory of the built renderer (web/dist), served on the shell's own
    /// loopback origin under /desktop/.
    #[arg(long, value_name = "DIR")]
    renderer_dir: Option<PathBuf>,
    /// Load the renderer from this base URL instead (a Vite dev server, a
    /// hosted deployment); its origin becomes the host's allowed origin.
    /// Default: $AGENT_SHELL_RENDERER_URL when set.
    #[arg(long, value_name = "URL")]
    renderer_url: Option<String>,
    /// The host's user-data directory (default: $XDG_DATA_HOME/agent-host).
    #[arg(long, value_name = "DIR")]
    user_data: Option<PathBuf>,
    /// Load the renderer, fetch /health through window.desktop, print the
    /// answer as one JSON line and exit.
    #[arg(long)]
    self_test: bool,
    /// With --self-test: afterwards load this page (another origin, or
    /// /desktopX) and report whether it has window.desktop and what a
    /// hostapi:// fetch from it gets. For tests only.
    #[arg(long, value_name = "URL", requires = "self_test")]
    self_test_probe: Option<String>,
    /// With --self-test: afterwards run this file, the body of an async
    /// JavaScript function, in the renderer page (with `window.desktop`)
    /// and report its return value as `script`. A string `haystack` in the
    /// returned object is replaced by `secret_scan`: whether the host's
    /// password or its Basic credential occurs in it. For tests only.
    #[arg(
        long,
        value_name = "FILE",
        requires = "self_test",
        conflicts_with = "self_test_probe",
        hide = true
    )]
    self_test_script: Option<PathBuf>,
    /// With --self-test: the window may also navigate (a frame) to this
    /// exact URL. For tests only.
    #[arg(long, value_name = "URL", requires = "self_test", hide = true)]
    self_test_allow: Vec<String>,
    /// The agent-host executable (default: the one next to this program).
    #[arg(long, value_name = "PATH", hide = true)]
    host_program: Option<PathBuf>,
    /// Register the `agent-host://` link scheme for this user (writes a
    /// .desktop file under $XDG_DATA_HOME/applications) and exit.
    #[arg(long)]
    install_desktop_entry: bool,
    /// Serve the test control socket at this path (tests only; see
    /// src/control.rs).
    #[arg(long, value_name = "PATH", hide = true)]
    control_socket: Option<PathBuf>,
    /// Files to open and `agent-host://` links to follow. A running shell
    /// for the same user-data directory gets them and this one exits.
    #[arg(value_name = "FILE|LINK")]
    targets: Vec<String>,
}

/// What reaches the event loop from other threads, the webviews, the
/// scheme's shell actions, the menu and the control socket.
#[derive(Debug)]
pub enum UserEvent {
    /// A host state change.
    HostState(HostUpdate),
    /// A window's page finished loading.
    PageLoaded(WindowId, String),
    /// A page posted to wry's IPC (self-test and control socket only).
    Ipc(WindowId, String),
    /// The self-test ran out of time.
    Timeout,
    /// Files and links from our argv or from a second launch.
    Open(Message),
    /// Files chosen in the Open dialog.
    OpenFiles(Vec<PathBuf>),
    /// The host resolved (or refused) a file to open.
    Resolved(PathBuf, Result<OpenedDocument, String>),
    /// The host's recent files, for the menu.
    Recent(Vec<PathBuf>),
    /// A page asked the shell for something (through `hostapi://shell/`).
    Shell(WindowId, ShellAction),
    /// A menu item was clicked.
    Menu(muda::MenuId),
    /// A request on the test control socket.
    Control(ControlRequest),
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

fn main() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "warn,agent_shell=info".into()),
        )
        .init();
    let mut args = Args::parse();
    if args.renderer_url.is_none() {
        args.renderer_url = std::env::var("AGENT_SHELL_RENDERER_URL")
            .ok()
            .filter(|url| !url.is_empty());
    }
    match run(args) {
        Ok(code) => std::process::exit(code),
        Err(message) => {
            eprintln!("agent-shell: {message}");
            std::process::exit(1);
        }
    }
}

fn run(args: Args) -> Result<i32, String> {
    if args.install_desktop_entry {
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let data_home = deeplink::default_data_home().ok_or("no $XDG_DATA_HOME or $HOME")?;
        let path = deeplink::install_desktop_entry(&exe, &data_home)
            .map_err(|e| format!("cannot install the desktop entry: {e}"))?;
        eprintln!(
            "agent-shell: wrote {}; register it with `xdg-mime default {} {}`",
            path.display(),
            deeplink::DESKTOP_FILE,
            deeplink::MIME_TYPE
        );
        return Ok(0);
    }

    // One shell per user-data directory: a second launch hands its files
    // and links to the first over a private socket and exits 0.
    let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
    let initial = Message::from_args(&args.targets, &cwd);
    let user_data = match args.user_data.clone() {
        Some(dir) => dir,
        None => agent_host::connection::default_user_data()
            .ok_or("neither XDG_DATA_HOME nor HOME is set")?,
    };
    let user_data = std::path::absolute(&user_data).map_err(|e| e.to_string())?;
    let instance = if args.self_test {
        None
    } else {
        let runtime_dir = single_instance::default_runtime_dir()
            .map_err(|e| format!("no private runtime directory: {e}"))?;
        match single_instance::acquire(&runtime_dir, &user_data, &initial) {
            Ok(Instance::Secondary) => return Ok(0),
            Ok(Instance::Primary(listener)) => Some(listener),
            Err(error) => {
                tracing::warn!(%error, "single-instance check failed; starting anyway");
                None
            }
        }
    };

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("shell-io")
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the I/O runtime: {e}"))?;
    let quit_signals = QuitSignals::install(&runtime)?;

    let base = match &args.renderer_url {
        Some(url) => RendererBase::from_url(url)?,
        None => {
            let assets = match args.renderer_dir.clone() {
                Some(dir) => renderer::Assets::dir(dir)?,
                None => match renderer::Assets::embedded() {
                    Some(assets) => assets,
                    None => renderer::Assets::dir(default_renderer_dir())
                        .map_err(|e| format!("{e}, or pass --renderer-dir / --renderer-url"))?,
                },
            };
            tracing::info!(renderer = %assets, "serving the renderer");
            let listener = runtime
                .block_on(tokio::net::TcpListener::bind(("127.0.0.1", 0)))
                .map_err(|e| format!("cannot listen on loopback: {e}"))?;
            let addr = listener.local_addr().map_err(|e| e.to_string())?;
            runtime.spawn(async move {
                if let Err(error) = renderer::serve(listener, assets).await {
                    tracing::error!(%error, "the renderer server stopped");
                }
            });
            RendererBase::from_url(&format!("http://{addr}"))?
        }
    };
    tracing::info!(origin = base.origin(), "renderer base");

    std::fs::create_dir_all(&user_data)
        .map_err(|e| format!("cannot create {}: {e}", user_data.display()))?;

    let bridge = Bridge::new(
        BridgeConfig::new(base.origin(), ROOT).map_err(|e| format!("renderer origin: {e}"))?,
    );
    let mut config = SupervisorConfig::new(
        user_data,
        vec![base.origin().to_owned()],
        vec![ROOT.to_owned()],
    );
    if let Some(program) = args.host_program.clone() {
        config.host_program = program;
    }
    let mut supervisor =
        Supervisor::start(config).map_err(|e| format!("cannot start the host supervisor: {e}"))?;

    let mut event_loop = EventLoopBuilder::<UserEvent>::with_user_event().build();
    let proxy = event_loop.create_proxy();
    follow_host(&runtime, &supervisor, bridge.clone(), proxy.clone());
    quit_signals.forward(&runtime, proxy.clone());
    if let Some(listener) = instance {
        let forward = proxy.clone();
        listener
            .serve(move |message| {
                let _ = forward.send_event(UserEvent::Open(message));
            })
            .map_err(|e| format!("cannot listen for other launches: {e}"))?;
    }
    if let Some(path) = &args.control_socket {
        let forward = proxy.clone();
        control::serve(path, move |request| {
            let _ = forward.send_event(UserEvent::Control(request));
        })
        .map_err(|e| format!("cannot open the control socket: {e}"))?;
    }

    let menu_proxy = proxy.clone();
    let menu = AppMenu::new(move |id| {
        let _ = menu_proxy.send_event(UserEvent::Menu(id));
    })?;

    let mut allowed_extra = args.self_test_allow.clone();
    allowed_extra.extend(args.self_test_probe.clone());
    let settings = WebviewSettings {
        base: base.clone(),
        allowed_extra,
        with_ipc: args.self_test || args.control_socket.is_some(),
    };
    let action_proxy = proxy.clone();
    let io = runtime.handle().clone();
    let windows = Windows::new(
        settings,
        proxy.clone(),
        Box::new(move |context| {
            scheme::register(
                context,
                bridge,
                io,
                Box::new(move |view, action| match windows::window_of(view) {
                    Some(id) => {
                        let _ = action_proxy.send_event(UserEvent::Shell(id, action));
                    }
                    None => tracing::warn!(?action, "a shell action from an unknown view"),
                }),
            );
        }),
    );

    let host_state = supervisor.subscribe();
    let mut app = App {
        windows,
        menu,
        base: base.clone(),
        calls: HostCalls::new(supervisor.subscribe(), base.start_url()),
        runtime: runtime.handle().clone(),
        proxy: proxy.clone(),
        host: None,
        error_window: None,
        resolving: 0,
        evals: HashMap::new(),
        next_eval: 1,
        host_state: host_state.clone(),
    };

    // The home window comes first unless files name the first windows (the
    // self-test always has one: it runs there).
    if initial.files.is_empty() || args.self_test {
        app.open_home(&event_loop)?;
    }
    if !initial.is_empty() {
        app.open(&event_loop, initial);
    }

    if args.self_test {
        let timeout_proxy = proxy.clone();
        std::thread::spawn(move || {
            std::thread::sleep(SELF_TEST_LIMIT);
            let _ = timeout_proxy.send_event(UserEvent::Timeout);
        });
    }

    let mut exit_code = 0;
    let script = match (&args.self_test_script, args.self_test) {
        (Some(path), true) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?,
        ),
        _ => None,
    };
    let mut self_test = args
        .self_test
        .then(|| SelfTest::new(base.start_url(), args.self_test_probe.clone(), script));
    event_loop.run_return(|event, target, control_flow| {
        *control_flow = ControlFlow::Wait;
        match event {
            Event::WindowEvent {
                event: WindowEvent::CloseRequested,
                window_id,
                ..
            } => app.request_close(window_id),
            Event::WindowEvent {
                event: WindowEvent::Focused(true),
                window_id,
                ..
            } => app.windows.touch(window_id),
            Event::UserEvent(UserEvent::Quit) => *control_flow = ControlFlow::Exit,
            Event::UserEvent(UserEvent::PageLoaded(id, url)) => {
                app.page_loaded(id, &url);
                if let (Some(test), Some(window)) = (&self_test, app.windows.get_mut(id)) {
                    if window.kind == WindowKind::Home {
                        if let Some(script) = test.script_for(&url) {
                            if let Err(error) = window.webview.evaluate_script(&script) {
                                tracing::error!(%error, "cannot run the self-test");
                            }
                        }
                    }
                }
            }
            Event::UserEvent(UserEvent::Ipc(id, body)) => {
                if let Some(report) = app.take_eval_answer(&body) {
                    tracing::debug!(report, "control eval answered");
                } else if let (Some(test), Some(window)) = (&mut self_test, app.windows.get_mut(id))
                {
                    let state = host_state.borrow().clone();
                    match test.record(body, &state, &window.webview) {
                        Progress::Continue => {}
                        Progress::Done(code) => {
                            exit_code = code;
                            *control_flow = ControlFlow::Exit;
                        }
                    }
                }
            }
            Event::UserEvent(UserEvent::Timeout) => {
                println!(
                    "{}",
                    serde_json::json!({"error": "self-test timed out", "after_s": SELF_TEST_LIMIT.as_secs()})
                );
                exit_code = 1;
                *control_flow = ControlFlow::Exit;
            }
            Event::UserEvent(event) => app.handle(target, event),
            _ => {}
        }
        if app.windows.is_empty() && app.resolving == 0 && *control_flow != ControlFlow::Exit {
            tracing::info!("the last window closed");
            *control_flow = ControlFlow::Exit;
        }
    });
    drop(app);
    supervisor.shutdown();
    runtime.shutdown_timeout(Duration::from_secs(1));
    Ok(exit_code)
}

/// The event loop's state: the windows and what they are waiting for.
struct App {
    windows: Windows,
    menu: AppMenu,
    base: RendererBase,
    calls: HostCalls,
    runtime: tokio::runtime::Handle,
    proxy: EventLoopProxy<UserEvent>,
    /// The last host state, told to every page that loads later.
    host: Option<HostUpdate>,
    error_window: Option<WindowId>,
    /// Files sent to the host for their `doc_id`, not answered yet: the app
    /// is not over while a window is on its way.
    resolving: usize,
    /// Control-socket evals waiting for their page's answer.
    evals: HashMap<u64, (WindowId, ControlRequest)>,
    next_eval: u64,
    host_state: watch::Receiver<HostState>,
}

impl App {
    fn handle(&mut self, target: &EventLoopWindowTarget<UserEvent>, event: UserEvent) {
        match event {
            UserEvent::HostState(update) => self.host_changed(target, update),
            UserEvent::Open(message) => self.open(target, message),
            UserEvent::OpenFiles(paths) => {
                for path in paths {
                    self.resolve(path);
                }
            }
            UserEvent::Resolved(path, result) => self.resolved(target, path, result),
            UserEvent::Recent(paths) => self.menu.set_recent(paths),
            UserEvent::Shell(id, action) => self.shell_action(target, id, action),
            UserEvent::Menu(id) => match self.menu.action(&id) {
                Some(action) => self.menu_action(action),
                None => tracing::debug!(?id, "a menu item without an action"),
            },
            UserEvent::Control(request) => self.control(target, request),
            // Handled by the loop itself.
            UserEvent::PageLoaded(..)
            | UserEvent::Ipc(..)
            | UserEvent::Timeout
            | UserEvent::Quit => {}
        }
    }

    fn open_home(&mut self, target: &EventLoopWindowTarget<UserEvent>) -> Result<WindowId, String> {
        if let Some(id) = self.windows.home() {
            return Ok(id);
        }
        let id = self.windows.open_renderer(
            target,
            WindowKind::Home,
            "Agent",
            &self.base.start_url(),
            Some(&self.menu),
        )?;
        self.tell_host_state(id);
        Ok(id)
    }

    /// Files become document windows (after the host resolves them);
    /// workspace and session links go to the home window's renderer.
    fn open(&mut self, target: &EventLoopWindowTarget<UserEvent>, message: Message) {
        let mut files = message.files.clone();
        let mut workspaces = Vec::new();
        let mut sessions = Vec::new();
        for link in &message.links {
            match deeplink::parse(link) {
                Ok(Link::Open(path)) => files.push(path),
                Ok(Link::Workspace(path)) => workspaces.push(path.to_string_lossy().into_owned()),
                Ok(Link::Session(id)) => sessions.push(id),
                Err(error) => tracing::warn!(%error, "refused deep link"),
            }
        }
        for path in files.iter().cloned() {
            self.resolve(path);
        }
        if !workspaces.is_empty() || !sessions.is_empty() || message.is_empty() {
            // A bare second launch brings the app forward.
            match self.open_home(target) {
                Ok(id) => {
                    let detail = serde_json::json!({"files": [], "workspaces": workspaces, "sessions": sessions});
                    if let Some(window) = self.windows.get_mut(id) {
                        window.focus();
                        if !message.is_empty() {
                            window.run_script(open_script(&detail));
                        }
                    }
                }
                Err(error) => tracing::error!(%error, "cannot open the home window"),
            }
        }
    }

    /// Asks the host for the file's `doc_id` (off the GTK thread).
    fn resolve(&mut self, path: PathBuf) {
        self.resolving += 1;
        let calls = self.calls.clone();
        let proxy = self.proxy.clone();
        self.runtime.spawn(async move {
            let result = calls.open_document(&path).await;
            let _ = proxy.send_event(UserEvent::Resolved(path, result));
        });
    }

    fn resolved(
        &mut self,
        target: &EventLoopWindowTarget<UserEvent>,
        path: PathBuf,
        result: Result<OpenedDocument, String>,
    ) {
        self.resolving = self.resolving.saturating_sub(1);
        let document = match result {
            Ok(document) => document,
            Err(error) => {
                tracing::warn!(path = %path.display(), %error, "cannot open a file");
                if self.windows.is_empty() {
                    let _ = self.open_home(target);
                }
                let parent = self
                    .windows
                    .current()
                    .and_then(|id| self.windows.get_mut(id));
                dialog::show_error(
                    parent.map(|w| w.window.gtk_window().upcast_ref::<gtk::Window>()),
                    &format!("Cannot open {}", path.display()),
                    &error,
                );
                return;
            }
        };
        self.refresh_recent();
        if let Some(id) = self.windows.by_doc_id(&document.doc_id) {
            if let Some(window) = self.windows.get_mut(id) {
                window.focus();
            }
            self.windows.touch(id);
            return;
        }
        let url = format!(
            "{}?doc={}",
            self.base.start_url(),
            url::form_urlencoded::byte_serialize(document.doc_id.as_bytes()).collect::<String>()
        );
        let title = format!("{} — Agent", document.name);
        let kind = WindowKind::Document {
            doc_id: document.doc_id,
            path: document.path,
        };
        match self
            .windows
            .open_renderer(target, kind, &title, &url, Some(&self.menu))
        {
            Ok(id) => self.tell_host_state(id),
            Err(error) => tracing::error!(%error, "cannot open a document window"),
        }
    }

    fn refresh_recent(&self) {
        let calls = self.calls.clone();
        let proxy = self.proxy.clone();
        self.runtime.spawn(async move {
            match calls.recent_files().await {
                Ok(paths) => {
                    let _ = proxy.send_event(UserEvent::Recent(paths));
                }
                Err(error) => tracing::debug!(%error, "no recent files for the menu"),
            }
        });
    }

    fn host_changed(&mut self, target: &EventLoopWindowTarget<UserEvent>, update: HostUpdate) {
        let script = renderer::host_state_script(update.state, update.message.as_deref());
        for window in self.windows.iter_mut() {
            if window.kind != WindowKind::Error {
                window.run_script(script.clone());
            }
        }
        match update.state {
            "ready" => self.refresh_recent(),
            "failed" if self.error_window.is_none() => {
                let html = error_page(
                    update.message.as_deref().unwrap_or("the host failed"),
                    &update.last_stderr,
                );
                match self.windows.open_error(target, html) {
                    Ok(id) => self.error_window = Some(id),
                    Err(error) => tracing::error!(%error, "cannot show the error window"),
                }
            }
            _ => {}
        }
        self.host = Some(update);
    }

    fn tell_host_state(&mut self, id: WindowId) {
        if let (Some(update), Some(window)) = (&self.host, self.windows.get_mut(id)) {
            window.run_script(renderer::host_state_script(
                update.state,
                update.message.as_deref(),
            ));
        }
    }

    fn page_loaded(&mut self, id: WindowId, url: &str) {
        if let Some(window) = self.windows.get_mut(id) {
            if self.base.allows(url) || window.kind == WindowKind::Error {
                window.page_loaded();
            }
        }
    }

    /// The window manager's close button, Close Window, Quit: a window with
    /// unsaved changes asks its page (which offers save, discard, cancel and
    /// then closes through `hostapi://shell/close`); others close at once.
    fn request_close(&mut self, id: WindowId) {
        let Some(window) = self.windows.get_mut(id) else {
            return;
        };
        if window.dirty && window.page_ready {
            window.focus();
            window.run_script(format!(
                "window.dispatchEvent(new Event({}));",
                serde_json::to_string(agent_shell::actions::CLOSE_REQUESTED_EVENT)
                    .expect("a string")
            ));
            return;
        }
        self.close_now(id);
    }

    fn close_now(&mut self, id: WindowId) {
        if self.windows.remove(id).is_some() && self.error_window == Some(id) {
            self.error_window = None;
        }
        // Evals in a closed page will never answer.
        let orphaned: Vec<u64> = self
            .evals
            .iter()
            .filter(|(_, (window, _))| *window == id)
            .map(|(number, _)| *number)
            .collect();
        for number in orphaned {
            if let Some((_, request)) = self.evals.remove(&number) {
                request.answer(serde_json::json!({"error": "the window closed"}));
            }
        }
    }

    fn shell_action(
        &mut self,
        target: &EventLoopWindowTarget<UserEvent>,
        id: WindowId,
        action: ShellAction,
    ) {
        match action {
            ShellAction::Open(path) => self.resolve(path),
            ShellAction::OpenDialog => self.open_dialog(Some(id)),
            ShellAction::SetDirty(dirty) => {
                if let Some(window) = self.windows.get_mut(id) {
                    window.dirty = dirty;
                }
            }
            ShellAction::Close => self.close_now(id),
            ShellAction::Quit => self.quit(),
        }
        let _ = target;
    }

    fn menu_action(&mut self, action: MenuAction) {
        match action {
            MenuAction::Open => self.open_dialog(self.windows.current()),
            MenuAction::OpenRecent(path) => self.resolve(path),
            MenuAction::CloseWindow => {
                if let Some(id) = self.windows.current() {
                    self.request_close(id);
                }
            }
            MenuAction::Quit => self.quit(),
        }
    }

    /// Every window is asked to close; the app ends with the last one.
    fn quit(&mut self) {
        let ids: Vec<WindowId> = self.windows.iter().map(|(id, _)| *id).collect();
        for id in ids {
            self.request_close(id);
        }
    }

    fn open_dialog(&mut self, parent: Option<WindowId>) {
        let Some(window) = parent.and_then(|id| self.windows.get_mut(id)) else {
            return;
        };
        let proxy = self.proxy.clone();
        dialog::choose_files(window.window.gtk_window().upcast_ref(), move |paths| {
            let _ = proxy.send_event(UserEvent::OpenFiles(paths));
        });
    }

    /// An IPC message that answers a control-socket eval, if it is one.
    fn take_eval_answer(&mut self, body: &str) -> Option<String> {
        let value: serde_json::Value = serde_json::from_str(body).ok()?;
        let id = value.get("__eval")?.as_u64()?;
        let (_, request) = self.evals.remove(&id)?;
        let mut answer = value.clone();
        if let Some(object) = answer.as_object_mut() {
            object.remove("__eval");
        }
        request.answer(answer);
        Some(body.to_owned())
    }

    fn control(&mut self, target: &EventLoopWindowTarget<UserEvent>, request: ControlRequest) {
        let window_arg = request
            .body
            .get("window")
            .and_then(|w| w.as_u64())
            .and_then(|n| self.windows.by_number(n));
        match request.op() {
            "windows" => {
                let list: Vec<serde_json::Value> = self
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
                        serde_json::json!({
                            "id": w.number, "kind": kind, "doc_id": doc_id, "path": path,
                            "title": w.window.title(), "dirty": w.dirty,
                            "page_ready": w.page_ready, "focus_requests": w.focus_requests,
                            "focused": w.window.is_focused(),
                        })
                    })
                    .collect();
                request.answer(serde_json::json!({ "windows": list }));
            }
            "eval" => {
                let script = request.body.get("script").and_then(|s| s.as_str());
                let (Some(id), Some(script)) = (window_arg, script) else {
                    return request
                        .answer(serde_json::json!({"error": "eval needs window and script"}));
                };
                let number = self.next_eval;
                self.next_eval += 1;
                let wrapped = eval_script(number, script);
                match self.windows.get_mut(id) {
                    Some(window) => {
                        window.run_script(wrapped);
                        self.evals.insert(number, (id, request));
                    }
                    None => request.answer(serde_json::json!({"error": "no such window"})),
                }
            }
            "close" => match window_arg {
                Some(id) => {
                    self.request_close(id);
                    request.answer(serde_json::json!({"ok": true}));
                }
                None => request.answer(serde_json::json!({"error": "no such window"})),
            },
            "menu" => {
                let item = request
                    .body
                    .get("item")
                    .and_then(|i| i.as_str())
                    .unwrap_or("");
                match self.menu.action_by_name(item) {
                    Some(action) => {
                        self.menu_action(action);
                        request.answer(serde_json::json!({"ok": true}));
                    }
                    None => request.answer(serde_json::json!({"error": "no such menu item"})),
                }
            }
            "host" => {
                let state = self.host_state.borrow().clone();
                let answer = match state {
                    HostState::Ready { pid, .. } => {
                        serde_json::json!({"state": "ready", "pid": pid})
                    }
                    HostState::Starting => serde_json::json!({"state": "starting"}),
                    HostState::Restarting { .. } => serde_json::json!({"state": "restarting"}),
                    HostState::Failed { .. } => serde_json::json!({"state": "failed"}),
                };
                request.answer(answer);
            }
            "screenshot" => {
                let Some(path) = request
                    .body
                    .get("path")
                    .and_then(|p| p.as_str())
                    .map(PathBuf::from)
                else {
                    return request.answer(serde_json::json!({"error": "screenshot needs a path"}));
                };
                std::thread::spawn(move || {
                    let status = std::process::Command::new("import")
                        .args(["-window", "root"])
                        .arg(&path)
                        .stdin(std::process::Stdio::null())
                        .status();
                    request.answer(match status {
                        Ok(s) if s.success() => serde_json::json!({"ok": true}),
                        Ok(s) => serde_json::json!({"error": format!("import exited with {s}")}),
                        Err(e) => serde_json::json!({"error": format!("cannot run import: {e}")}),
                    });
                });
            }
            other => {
                let other = other.to_owned();
                request.answer(serde_json::json!({"error": format!("unknown op {other:?}")}))
            }
        }
        let _ = target;
    }
}

/// Runs `body` (an async function body) in the page and posts
/// `{__eval, result}` or `{__eval, error}` to the IPC.
fn eval_script(number: u64, body: &str) -> String {
    format!(
        r#"(async () => {{
  const post = (o) => window.ipc.postMessage(JSON.stringify(Object.assign({{ __eval: {number} }}, o)));
  try {{
    const result = await (async () => {{
{body}
    }})();
    post({{ result: result === undefined ? null : result }});
  }} catch (e) {{
    post({{ error: String((e && e.stack) || e) }});
  }}
}})();"#
    )
}

/// Tells the renderer (`desktop:open`) to open workspaces and sessions.
/// Queued first, so a renderer that has not mounted yet still finds it.
fn open_script(detail: &serde_json::Value) -> String {
    format!(
        "(window.__desktopOpens = window.__desktopOpens || []).push({detail}); \
         window.dispatchEvent(new Event('desktop:open'));"
    )
}

/// SIGTERM and SIGINT end the event loop, so the normal shutdown runs: the
/// window closes and the supervisor stops the host (stdin, SIGTERM, SIGKILL
/// to its process group) before the shell exits 0. Installed right after the
/// runtime exists, before the host is spawned, so no signal falls in a gap;
/// one that arrives before the event loop is ready waits in tokio.
struct QuitSignals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl QuitSignals {
    fn install(runtime: &tokio::runtime::Runtime) -> Result<Self, String> {
        use tokio::signal::unix::{signal, SignalKind};
        let _guard = runtime.enter();
        Ok(Self {
            term: signal(SignalKind::terminate()).map_err(|e| e.to_string())?,
            int: signal(SignalKind::interrupt()).map_err(|e| e.to_string())?,
        })
    }

    fn forward(mut self, runtime: &tokio::runtime::Runtime, proxy: EventLoopProxy<UserEvent>) {
        runtime.spawn(async move {
            tokio::select! {
                _ = self.term.recv() => {}
                _ = self.int.recv() => {}
            }
            let _ = proxy.send_event(UserEvent::Quit);
        });
    }
}

/// Mirrors the supervisor's state into the bridge (at once, off the GTK
/// thread) and into the page (through the event loop).
fn follow_host(
    runtime: &tokio::runtime::Runtime,
    supervisor: &Supervisor,
    bridge: Bridge,
    proxy: EventLoopProxy<UserEvent>,
) {
    let mut states = supervisor.subscribe();
    runtime.spawn(async move {
        loop {
            let state = states.borrow_and_update().clone();
            let page = match &state {
                HostState::Starting => None,
                HostState::Ready {
                    port, connection, ..
                } => {
                    bridge.set_host(Some(HostTarget::new(
                        *port,
                        Zeroizing::new(connection.password().to_owned()),
                    )));
                    Some(("ready", None, Vec::new()))
                }
                HostState::Restarting { attempt, next_in } => {
                    bridge.set_host(None);
                    Some((
                        "restarting",
                        Some(format!(
                            "the host stopped; restart {attempt} in {} ms",
                            next_in.as_millis()
                        )),
                        Vec::new(),
                    ))
                }
                HostState::Failed {
                    reason,
                    last_stderr,
                } => {
                    bridge.set_host(None);
                    tracing::error!(%reason, "the host failed; its last stderr lines follow");
                    for line in last_stderr {
                        tracing::error!("host: {line}");
                    }
                    Some((
                        "failed",
                        Some(format!("the host could not start: {reason}")),
                        last_stderr.clone(),
                    ))
                }
            };
            tracing::info!(?state, "host state");
            if let Some((state, message, last_stderr)) = page {
                let update = HostUpdate {
                    state,
                    message,
                    last_stderr,
                };
                if proxy.send_event(UserEvent::HostState(update)).is_err() {
                    return;
                }
            }
            if states.changed().await.is_err() {
                return;
            }
        }
    });
}

/// Opens an http(s) link in the system browser; anything else is refused.
pub fn open_externally(url: &str) {
    let is_web = url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
    if !is_web {
        tracing::warn!(url, "refused a navigation");
        return;
    }
    match std::process::Command::new("xdg-open")
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        Ok(mut child) => {
            // Reap it off the GTK thread.
            std::thread::spawn(move || child.wait());
        }
        Err(error) => tracing::warn!(url, %error, "no system browser to open a link"),
    }
}

/// `web/dist` of the source tree: next to the build's `target/` (for
/// `target/<profile>/agent-shell`), else where this crate was built from.
fn default_renderer_dir() -> PathBuf {
    let from_exe = std::env::current_exe().ok().and_then(|exe| {
        let dir = exe.parent()?.parent()?.parent()?.join("web/dist");
        dir.join("index.html").is_file().then_some(dir)
    });
    from_exe.unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../web/dist"))
}
