//! The real shell, driven through its test-only control socket
//! (`--control-socket`; `agent_shell::control`, in a shell built with the
//! `test-hooks` feature, which this test target requires): requests are the
//! shell's own [`ControlRequest`] type, window lists and host states its
//! [`WindowInfo`] and [`HostInfo`], so a change to the protocol breaks the
//! build here instead of a test at run time.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use agent_shell::control::{ControlRequest, HostInfo, WindowInfo};
use serde_json::Value;
use testkit::{capture, eventually, run_ok, signal};

/// Start-up (Xvfb, WebKit, the host) and each wait below stay under this.
pub const LIMIT: Duration = Duration::from_secs(60);

/// A running shell with a control socket; killed (with its host) on drop.
pub struct Shell {
    pub child: Child,
    socket: PathBuf,
    user_data: PathBuf,
    runtime_dir: PathBuf,
    stderr: Arc<Mutex<Vec<u8>>>,
}

impl Shell {
    pub fn start(dir: &Path, host_program: &Path, targets: &[&Path]) -> Shell {
        Shell::start_with(dir, host_program, targets, &[], &[], false)
    }

    /// [`Shell::start`] with extra arguments and environment variables; with
    /// `own_display`, on an X display of its own even when `DISPLAY` is set
    /// (the tests run in parallel: a screenshot or a click on a shared
    /// display could meet another test's window).
    pub fn start_with(
        dir: &Path,
        host_program: &Path,
        targets: &[&Path],
        args: &[&str],
        envs: &[(&str, &std::ffi::OsStr)],
        own_display: bool,
    ) -> Shell {
        let shell = env!("CARGO_BIN_EXE_agent-shell");
        let shared = std::env::var_os("DISPLAY").is_some_and(|d| !d.is_empty());
        let mut command = if shared && !own_display {
            Command::new(shell)
        } else {
            let mut c = Command::new("dbus-run-session");
            c.args(["--", "xvfb-run", "-a", "-s", "-screen 0 1280x900x24", shell]);
            c.env_remove("DISPLAY");
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
            .args(args)
            .args(targets)
            .env("XDG_RUNTIME_DIR", &runtime_dir)
            .env("AGENT_HOST_SECRET_BACKEND", "file")
            .env("RUST_LOG", "warn,agent_shell=info")
            .envs(envs.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("spawn the shell");
        let stderr = capture(child.stderr.take().expect("stderr"));
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

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().expect("stderr")).into_owned()
    }

    /// Sends one request; its answer, as JSON.
    pub fn request(&self, request: &ControlRequest) -> Value {
        let mut stream = UnixStream::connect(&self.socket).expect("connect the control socket");
        let line = serde_json::to_string(request).expect("a request serialises");
        writeln!(stream, "{line}").expect("send");
        let mut line = String::new();
        BufReader::new(stream)
            .read_line(&mut line)
            .expect("read the answer");
        serde_json::from_str(&line).unwrap_or_else(|_| panic!("not JSON: {line:?}"))
    }

    pub fn windows(&self) -> Vec<WindowInfo> {
        let answer = self.request(&ControlRequest::Windows);
        serde_json::from_value(answer["windows"].clone())
            .unwrap_or_else(|e| panic!("not a window list ({e}): {answer}"))
    }

    /// Waits until `pick` finds something in the window list.
    pub fn wait_window<T>(&self, what: &str, pick: impl Fn(&[WindowInfo]) -> Option<T>) -> T {
        self.wait(what, || pick(&self.windows()))
    }

    /// Polls `probe` every 100 ms until it finds something; after [`LIMIT`]
    /// the test fails with the window list and the shell's stderr.
    pub fn wait<T>(&self, what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
        let started = Instant::now();
        loop {
            if let Some(found) = probe() {
                return found;
            }
            assert!(
                started.elapsed() < LIMIT,
                "no {what}; windows: {:?}\nstderr:\n{}",
                self.windows(),
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Runs `script` (an async function body) in window `window`; its
    /// result (an error answer fails the test).
    pub fn eval(&self, window: u64, script: &str) -> Value {
        let answer = self.request(&ControlRequest::Eval {
            window,
            script: script.to_owned(),
        });
        assert!(
            answer.get("error").is_none(),
            "eval failed: {answer}\nstderr:\n{}",
            self.stderr()
        );
        answer["result"].clone()
    }

    /// As the window manager's close button.
    pub fn close(&self, window: u64) -> Value {
        self.request(&ControlRequest::Close { window })
    }

    /// A menu item: `open`, `close`, `quit`, `recent:<n>`.
    pub fn menu(&self, item: &str) -> Value {
        self.request(&ControlRequest::Menu {
            item: item.to_owned(),
        })
    }

    /// The whole X screen as a PNG at `path`.
    pub fn screenshot(&self, path: &Path) -> Value {
        self.request(&ControlRequest::Screenshot {
            path: path.to_owned(),
        })
    }

    /// The host's pid while the supervisor has it ready.
    pub fn host_pid(&self) -> Option<u32> {
        let answer = self.request(&ControlRequest::Host);
        let host: HostInfo = serde_json::from_value(answer.clone())
            .unwrap_or_else(|e| panic!("not a host answer ({e}): {answer}"));
        (host.state == "ready").then(|| host.pid.expect("pid"))
    }

    /// A second launch with `targets`: it hands them over and exits 0.
    pub fn launch_again(&self, targets: &[&Path]) {
        let targets: Vec<&std::ffi::OsStr> = targets.iter().map(|t| t.as_os_str()).collect();
        self.launch_again_with(&targets);
    }

    pub fn launch_again_with(&self, targets: &[&std::ffi::OsStr]) {
        run_ok(
            Command::new(env!("CARGO_BIN_EXE_agent-shell"))
                .arg("--user-data")
                .arg(&self.user_data)
                .args(targets)
                .env("XDG_RUNTIME_DIR", &self.runtime_dir)
                .env_remove("DISPLAY")
                .stdin(Stdio::null()),
            "the second launch",
        );
    }

    /// The real shell process (under dbus-run-session/xvfb-run).
    pub fn shell_pid(&self) -> Option<u32> {
        super::shell_pid(self.socket.to_str()?)
    }
}

impl Drop for Shell {
    fn drop(&mut self) {
        if let Some(pid) = self.shell_pid() {
            signal(pid, libc::SIGKILL);
        }
        let _ = eventually(Duration::from_secs(5), || {
            matches!(self.child.try_wait(), Ok(Some(_)))
        });
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
