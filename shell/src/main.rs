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

mod scheme;
mod selftest;

use std::path::{Path, PathBuf};
use std::time::Duration;

use agent_shell::deeplink::{self, Link};
use agent_shell::renderer::{self, RendererBase, ROOT};
use agent_shell::single_instance::{self, Instance, Message};
use agent_shell::supervisor::{HostState, Supervisor, SupervisorConfig};
use clap::Parser;
use renderer_bridge::{Bridge, BridgeConfig, HostTarget};
use tao::event::{Event, WindowEvent};
use tao::event_loop::{ControlFlow, EventLoopBuilder, EventLoopProxy};
use tao::platform::run_return::EventLoopExtRunReturn;
use tao::platform::unix::WindowExtUnix;
use tao::window::WindowBuilder;
use webkit2gtk::WebViewExt;
use wry::{
    NewWindowResponse, PageLoadEvent, WebViewBuilder, WebViewBuilderExtUnix, WebViewExtUnix,
};
use zeroize::Zeroizing;

use selftest::{Progress, SelfTest};

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
    /// Files to open and `agent-host://` links to follow. A running shell
    /// for the same user-data directory gets them and this one exits.
    #[arg(value_name = "FILE|LINK")]
    targets: Vec<String>,
}

/// What reaches the event loop from other threads and from the webview.
#[derive(Debug)]
enum UserEvent {
    /// A host state change for the page: (`ready` | `restarting` | `failed`, message).
    HostState(&'static str, Option<String>),
    /// A page finished loading.
    PageLoaded(String),
    /// A self-test report from the page.
    Report(String),
    /// The self-test ran out of time.
    Timeout,
    /// Files and links from our argv or from a second launch.
    Open(Message),
    /// SIGTERM or SIGINT: close the window and stop the host in order.
    Quit,
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
            let dir = args
                .renderer_dir
                .clone()
                .unwrap_or_else(default_renderer_dir);
            if !dir.join("index.html").is_file() {
                return Err(format!(
                    "no renderer build at {} (run `npm --prefix web run build`, or pass --renderer-dir / --renderer-url)",
                    dir.display()
                ));
            }
            let listener = runtime
                .block_on(tokio::net::TcpListener::bind(("127.0.0.1", 0)))
                .map_err(|e| format!("cannot listen on loopback: {e}"))?;
            let addr = listener.local_addr().map_err(|e| e.to_string())?;
            runtime.spawn(async move {
                if let Err(error) = renderer::serve_dir(listener, dir).await {
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
    // Opens wait until the renderer has loaded and can listen for them.
    let mut page_ready = false;
    let mut pending_opens: Vec<Message> = Vec::new();
    if !initial.is_empty() {
        pending_opens.push(initial);
    }

    let window = WindowBuilder::new()
        .with_title("Agent")
        .with_inner_size(tao::dpi::LogicalSize::new(1200.0, 800.0))
        .build(&event_loop)
        .map_err(|e| format!("cannot open a window: {e}"))?;

    let nav_base = base.clone();
    let mut allowed_extra = args.self_test_allow.clone();
    allowed_extra.extend(args.self_test_probe.clone());
    let load_proxy = proxy.clone();
    let mut builder = WebViewBuilder::new()
        .with_initialization_script_for_main_only(renderer::preload_script(&base), true)
        .with_navigation_handler(move |url| {
            if nav_base.allows(&url) || allowed_extra.contains(&url) {
                return true;
            }
            open_externally(&url);
            false
        })
        .with_new_window_req_handler(|url, _| {
            open_externally(&url);
            NewWindowResponse::Deny
        })
        .with_on_page_load_handler(move |event, url| {
            if matches!(event, PageLoadEvent::Finished) {
                let _ = load_proxy.send_event(UserEvent::PageLoaded(url));
            }
        });
    if args.self_test {
        // Only the self-test listens to wry's IPC: page messages are not
        // trusted for anything else (WebKit reports the main frame's URL
        // for every frame).
        let ipc_proxy = proxy.clone();
        builder = builder.with_ipc_handler(move |request| {
            let _ = ipc_proxy.send_event(UserEvent::Report(request.body().clone()));
        });
    }
    let vbox = window
        .default_vbox()
        .ok_or("the window has no GTK container")?;
    let webview = builder
        .build_gtk(vbox)
        .map_err(|e| format!("cannot create the webview: {e}"))?;
    let context = webview
        .webview()
        .context()
        .ok_or("the webview has no WebKit context")?;
    // No page has loaded yet: the scheme is in place before the first request.
    scheme::register(&context, bridge, runtime.handle().clone());
    webview
        .load_url(&base.start_url())
        .map_err(|e| format!("cannot load the renderer: {e}"))?;

    if args.self_test {
        let timeout_proxy = proxy.clone();
        std::thread::spawn(move || {
            std::thread::sleep(SELF_TEST_LIMIT);
            let _ = timeout_proxy.send_event(UserEvent::Timeout);
        });
    }

    let mut exit_code = 0;
    let host_state = supervisor.subscribe();
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
    event_loop.run_return(|event, _, control_flow| {
        *control_flow = ControlFlow::Wait;
        match event {
            Event::WindowEvent {
                event: WindowEvent::CloseRequested,
                ..
            } => *control_flow = ControlFlow::Exit,
            Event::UserEvent(UserEvent::HostState(state, message)) => {
                let script = renderer::host_state_script(state, message.as_deref());
                if let Err(error) = webview.evaluate_script(&script) {
                    tracing::warn!(%error, "cannot tell the page the host state");
                }
            }
            Event::UserEvent(UserEvent::Quit) => *control_flow = ControlFlow::Exit,
            Event::UserEvent(UserEvent::Open(message)) => {
                window.set_focus();
                if page_ready {
                    dispatch_open(&webview, &message);
                } else {
                    pending_opens.push(message);
                }
            }
            Event::UserEvent(UserEvent::PageLoaded(url)) => {
                if url.starts_with(&base.start_url()) {
                    page_ready = true;
                    for message in pending_opens.drain(..) {
                        dispatch_open(&webview, &message);
                    }
                }
                if let Some(test) = &self_test {
                    if let Some(script) = test.script_for(&url) {
                        if let Err(error) = webview.evaluate_script(&script) {
                            tracing::error!(%error, "cannot run the self-test");
                        }
                    }
                }
            }
            Event::UserEvent(UserEvent::Report(report)) => {
                if let Some(test) = &mut self_test {
                    let state = host_state.borrow().clone();
                    match test.record(report, &state, &webview) {
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
            _ => {}
        }
    });
    drop(webview);
    drop(window);
    supervisor.shutdown();
    runtime.shutdown_timeout(Duration::from_secs(1));
    Ok(exit_code)
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
                    Some(("ready", None))
                }
                HostState::Restarting { attempt, next_in } => {
                    bridge.set_host(None);
                    Some((
                        "restarting",
                        Some(format!(
                            "the host stopped; restart {attempt} in {} ms",
                            next_in.as_millis()
                        )),
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
                    ))
                }
            };
            tracing::info!(?state, "host state");
            if let Some((name, message)) = page {
                if proxy
                    .send_event(UserEvent::HostState(name, message))
                    .is_err()
                {
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
/// Tells the renderer (`desktop:open`) to open what `message` names. Links
/// are parsed strictly; a refused one is logged and dropped.
fn dispatch_open(webview: &wry::WebView, message: &Message) {
    let mut files: Vec<String> = message
        .files
        .iter()
        .map(|f| f.to_string_lossy().into_owned())
        .collect();
    let mut workspaces = Vec::new();
    let mut sessions = Vec::new();
    for link in &message.links {
        match deeplink::parse(link) {
            Ok(Link::Open(path)) => files.push(path.to_string_lossy().into_owned()),
            Ok(Link::Workspace(path)) => workspaces.push(path.to_string_lossy().into_owned()),
            Ok(Link::Session(id)) => sessions.push(id),
            Err(error) => tracing::warn!(%error, "refused deep link"),
        }
    }
    let detail =
        serde_json::json!({"files": files, "workspaces": workspaces, "sessions": sessions});
    // Queued first, so a renderer that has not mounted yet still finds it.
    let script = format!(
        "(window.__desktopOpens = window.__desktopOpens || []).push({detail}); \
         window.dispatchEvent(new Event('desktop:open'));"
    );
    if let Err(error) = webview.evaluate_script(&script) {
        tracing::warn!(%error, "cannot ask the page to open files");
    }
}

fn open_externally(url: &str) {
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
