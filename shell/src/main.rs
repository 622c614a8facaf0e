//! The desktop shell binary: start-up (single instance, the renderer's
//! server, the host supervisor from the library), then one tao event loop
//! over the app's windows (src/windows.rs; what each event does is in
//! src/app.rs), each a wry webview showing the renderer, which reaches the
//! host through the `hostapi://` scheme (src/scheme.rs) without ever
//! holding its port or password.
//!
//! `--self-test` loads the renderer, fetches `/health` through
//! `window.desktop`, prints `{"status":..,"body":..}` on stdout and exits
//! (0 on a 200, 1 otherwise or after 30 s). The test-only follow-ups
//! (`--self-test-probe`, `--self-test-script`) live in src/selftest.rs.

mod app;
mod control;
mod dialog;
mod events;
mod menu;
mod scheme;
mod selftest;
mod windows;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use agent_shell::deeplink;
use agent_shell::renderer::{self, RendererBase, ROOT};
use agent_shell::single_instance::{self, Instance, Message};
use agent_shell::supervisor::{HostState, Supervisor, SupervisorConfig};
use clap::Parser;
use renderer_bridge::{Bridge, BridgeConfig, HostTarget};
use tao::event::{Event, WindowEvent};
use tao::event_loop::{ControlFlow, EventLoopBuilder, EventLoopProxy};
use tao::platform::run_return::EventLoopExtRunReturn;
use zeroize::Zeroizing;

use app::App;
use events::{HostUpdate, UserEvent};
use menu::AppMenu;
use selftest::{Progress, SelfTest};
use windows::{ExternalOpener, WebviewSettings, WindowKind, Windows};

/// How long `--self-test` may take before it fails.
const SELF_TEST_LIMIT: Duration = Duration::from_secs(30);

#[derive(Parser, Debug)]
#[command(name = "agent-shell", about = "The desktop shell of the agent host")]
#[command(group(clap::ArgGroup::new("test_hooks").args(["self_test", "control_socket"]).multiple(true)))]
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
    /// With --self-test or --control-socket: the window may also navigate
    /// (a frame) to this exact URL. For tests only.
    #[arg(long, value_name = "URL", requires = "test_hooks", hide = true)]
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
        None => agent_client::paths::default_user_data()
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

    // 0700 like the host's own (it holds secrets and history); an existing
    // directory's mode is the host's to tighten (`UserData::prepare`).
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&user_data)
    }
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
    // Set once the event loop decides to end: later launches are not told
    // their files were taken.
    let closing = Arc::new(AtomicBool::new(false));
    if let Some(listener) = instance {
        let forward = proxy.clone();
        let closing = closing.clone();
        listener
            .serve(move |message| {
                !closing.load(Ordering::SeqCst)
                    && forward.send_event(UserEvent::Open(message)).is_ok()
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
    let test_hooks = args.self_test || args.control_socket.is_some();
    let settings = WebviewSettings {
        base: base.clone(),
        allowed_extra,
        with_ipc: test_hooks,
        opener: external_opener(test_hooks),
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
    let mut app = App::new(
        windows,
        menu,
        base.clone(),
        runtime.handle().clone(),
        proxy.clone(),
        host_state.clone(),
    );

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
        if *control_flow == ControlFlow::Exit {
            closing.store(true, Ordering::SeqCst);
        }
    });
    drop(app);
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

/// The system browser (`xdg-open`). With the test hooks on (`--self-test`,
/// `--control-socket`), `$AGENT_SHELL_TEST_OPENER` names a program to call
/// instead, so a test can see which links the shell opened; otherwise that
/// variable is ignored.
fn external_opener(test_hooks: bool) -> ExternalOpener {
    let program = std::env::var_os("AGENT_SHELL_TEST_OPENER").filter(|p| !p.is_empty());
    match program {
        Some(program) if test_hooks => ExternalOpener::program(program.into()),
        Some(_) => {
            tracing::debug!("AGENT_SHELL_TEST_OPENER is ignored without the test hooks");
            ExternalOpener::system()
        }
        None => ExternalOpener::system(),
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
