//! The desktop shell binary: start-up (single instance, the renderer's
//! server, the host supervisor from the library), then one tao event loop
//! over the app's windows (src/windows.rs; what each event does is in
//! src/app.rs), each a wry webview showing the renderer, which reaches the
//! host through the `hostapi://` scheme (src/scheme.rs) without ever
//! holding its port or password.
//!
//! Built with the `test-hooks` feature (tests, shell-bench) it also has
//! the test hooks (src/hooks.rs): `--self-test` loads the renderer, fetches
//! `/health` through `window.desktop`, prints `{"status":..,"body":..}` on
//! stdout and exits (0 on a 200, 1 otherwise or after 30 s), with test-only
//! follow-ups (`--self-test-probe`, `--self-test-script`) in
//! src/selftest.rs; `--control-socket` serves `agent_shell::control`.

mod app;
mod dialog;
mod events;
mod hooks;
mod menu;
mod scheme;
#[cfg(feature = "test-hooks")]
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
use hooks::{HookArgs, Hooks};
use menu::AppMenu;
use windows::{WebviewSettings, Windows};

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
    /// The agent-host executable (default: the one next to this program).
    #[arg(long, value_name = "PATH", hide = true)]
    host_program: Option<PathBuf>,
    /// Register the `agent-host://` link scheme for this user (writes a
    /// .desktop file under $XDG_DATA_HOME/applications) and exit.
    #[arg(long)]
    install_desktop_entry: bool,
    #[command(flatten)]
    hooks: HookArgs,
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

fn run(mut args: Args) -> Result<i32, String> {
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
    let mut hooks = Hooks::new(std::mem::take(&mut args.hooks));
    let instance = if !hooks.single_instance() {
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
    hooks.start(&base, &proxy)?;

    let menu_proxy = proxy.clone();
    let menu = AppMenu::new(move |id| {
        let _ = menu_proxy.send_event(UserEvent::Menu(id));
    })?;

    let mut settings = WebviewSettings::new(base.clone());
    hooks.webview(&mut settings);
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
    if initial.files.is_empty() || hooks.wants_home() {
        app.open_home(&event_loop)?;
    }
    if !initial.is_empty() {
        app.open(&event_loop, initial);
    }

    #[cfg_attr(not(feature = "test-hooks"), allow(unused_mut))]
    let mut exit_code = 0;
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
                hooks.page_loaded(&mut app, id, &url);
            }
            #[cfg(feature = "test-hooks")]
            Event::UserEvent(UserEvent::Ipc(id, body)) => {
                let state = host_state.borrow().clone();
                if let Some(code) = hooks.ipc(&mut app, id, body, &state) {
                    exit_code = code;
                    *control_flow = ControlFlow::Exit;
                }
            }
            #[cfg(feature = "test-hooks")]
            Event::UserEvent(UserEvent::Timeout) => {
                exit_code = hooks.timed_out();
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

/// `web/dist` of the source tree: next to the build's `target/` (for
/// `target/<profile>/agent-shell`), else where this crate was built from.
fn default_renderer_dir() -> PathBuf {
    let from_exe = std::env::current_exe().ok().and_then(|exe| {
        let dir = exe.parent()?.parent()?.parent()?.join("web/dist");
        dir.join("index.html").is_file().then_some(dir)
    });
    from_exe.unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../web/dist"))
}
