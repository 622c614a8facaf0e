//! The test hooks: `--self-test*` (src/selftest.rs) and `--control-socket`
//! (`agent_shell::control`), with what they change in the webviews (wry's
//! IPC, extra allowed URLs, `$AGENT_SHELL_TEST_OPENER`).
//!
//! Only a shell built with the `test-hooks` feature has them. Without it,
//! [`HookArgs`] has no flags and [`Hooks`] does nothing, so a release shell
//! contains neither the flags nor the code behind them.

pub use imp::{HookArgs, Hooks};

#[cfg(feature = "test-hooks")]
mod imp {
    use std::path::PathBuf;
    use std::time::Duration;

    use agent_shell::control;
    use agent_shell::renderer::RendererBase;
    use agent_shell::supervisor::HostState;
    use tao::event_loop::EventLoopProxy;
    use tao::window::WindowId;

    use crate::app::App;
    use crate::events::UserEvent;
    use crate::selftest::{Progress, SelfTest};
    use crate::windows::{ExternalOpener, WebviewSettings, WindowKind};

    /// How long `--self-test` may take before it fails.
    const SELF_TEST_LIMIT: Duration = Duration::from_secs(30);

    #[derive(clap::Args, Debug, Default)]
    #[command(group(clap::ArgGroup::new("test_hooks").args(["self_test", "control_socket"]).multiple(true)))]
    pub struct HookArgs {
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
        /// Serve the test control socket at this path (tests only; see
        /// shell/src/control.rs).
        #[arg(long, value_name = "PATH", hide = true)]
        control_socket: Option<PathBuf>,
    }

    /// The hooks of one run.
    pub struct Hooks {
        args: HookArgs,
        self_test: Option<SelfTest>,
    }

    impl Hooks {
        pub fn new(args: HookArgs) -> Self {
            Self {
                args,
                self_test: None,
            }
        }

        fn on(&self) -> bool {
            self.args.self_test || self.args.control_socket.is_some()
        }

        /// The self-test runs beside a running shell: no single-instance
        /// check.
        pub fn single_instance(&self) -> bool {
            !self.args.self_test
        }

        /// The self-test runs in the home window, so it opens even when
        /// files name the first windows.
        pub fn wants_home(&self) -> bool {
            self.args.self_test
        }

        /// With a hook on: wry's IPC (the hooks' answers), the extra URLs,
        /// and `$AGENT_SHELL_TEST_OPENER` instead of the system browser, so
        /// a test can see which links the shell opened.
        pub fn webview(&self, settings: &mut WebviewSettings) {
            settings.allowed_extra = self.args.self_test_allow.clone();
            settings
                .allowed_extra
                .extend(self.args.self_test_probe.clone());
            settings.with_ipc = self.on();
            let program = std::env::var_os("AGENT_SHELL_TEST_OPENER").filter(|p| !p.is_empty());
            match program {
                Some(program) if self.on() => {
                    settings.opener = ExternalOpener::program(program.into())
                }
                Some(_) => {
                    tracing::debug!("AGENT_SHELL_TEST_OPENER is ignored without the test hooks")
                }
                None => {}
            }
        }

        /// Opens the control socket, reads the self-test's script and
        /// starts its timer.
        pub fn start(
            &mut self,
            base: &RendererBase,
            proxy: &EventLoopProxy<UserEvent>,
        ) -> Result<(), String> {
            if let Some(path) = &self.args.control_socket {
                let forward = proxy.clone();
                control::serve(path, move |call| {
                    let _ = forward.send_event(UserEvent::Control(call));
                })
                .map_err(|e| format!("cannot open the control socket: {e}"))?;
            }
            if !self.args.self_test {
                return Ok(());
            }
            let script = match &self.args.self_test_script {
                Some(path) => Some(
                    std::fs::read_to_string(path)
                        .map_err(|e| format!("cannot read {}: {e}", path.display()))?,
                ),
                None => None,
            };
            self.self_test = Some(SelfTest::new(
                base.start_url(),
                self.args.self_test_probe.clone(),
                script,
            ));
            let timeout_proxy = proxy.clone();
            std::thread::spawn(move || {
                std::thread::sleep(SELF_TEST_LIMIT);
                let _ = timeout_proxy.send_event(UserEvent::Timeout);
            });
            Ok(())
        }

        /// Runs the self-test's script on the home window's page.
        pub fn page_loaded(&self, app: &mut App, id: WindowId, url: &str) {
            let (Some(test), Some(window)) = (&self.self_test, app.windows.get_mut(id)) else {
                return;
            };
            if window.kind != WindowKind::Home {
                return;
            }
            if let Some(script) = test.script_for(url) {
                if let Err(error) = window.webview.evaluate_script(&script) {
                    tracing::error!(%error, "cannot run the self-test");
                }
            }
        }

        /// A page's IPC message: a control-socket eval's answer or the
        /// self-test's report. `Some(exit code)` when the self-test is over.
        pub fn ipc(
            &mut self,
            app: &mut App,
            id: WindowId,
            body: String,
            host: &HostState,
        ) -> Option<i32> {
            if let Some(report) = app.take_eval_answer(&body) {
                tracing::debug!(report, "control eval answered");
                return None;
            }
            let (Some(test), Some(window)) = (&mut self.self_test, app.windows.get_mut(id)) else {
                return None;
            };
            match test.record(body, host, &window.webview) {
                Progress::Continue => None,
                Progress::Done(code) => Some(code),
            }
        }

        /// The self-test ran out of time: says so, and the exit code.
        pub fn timed_out(&self) -> i32 {
            println!(
                "{}",
                serde_json::json!({"error": "self-test timed out", "after_s": SELF_TEST_LIMIT.as_secs()})
            );
            1
        }
    }
}

#[cfg(not(feature = "test-hooks"))]
mod imp {
    use agent_shell::renderer::RendererBase;
    use tao::event_loop::EventLoopProxy;
    use tao::window::WindowId;

    use crate::app::App;
    use crate::events::UserEvent;
    use crate::windows::WebviewSettings;

    /// No flags without the `test-hooks` feature.
    #[derive(clap::Args, Debug, Default)]
    pub struct HookArgs {}

    /// Does nothing without the `test-hooks` feature.
    pub struct Hooks;

    impl Hooks {
        pub fn new(_: HookArgs) -> Self {
            Self
        }

        pub fn single_instance(&self) -> bool {
            true
        }

        pub fn wants_home(&self) -> bool {
            false
        }

        pub fn webview(&self, _: &mut WebviewSettings) {}

        pub fn start(
            &mut self,
            _: &RendererBase,
            _: &EventLoopProxy<UserEvent>,
        ) -> Result<(), String> {
            Ok(())
        }

        pub fn page_loaded(&self, _: &mut App, _: WindowId, _: &str) {}
    }
}
