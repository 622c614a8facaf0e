//! The real `agent-host serve`, started with the launcher's handshake
//! (`agent_client::{generate_password, handshake_line}`, the ready line
//! read as `agent_client::Ready`) but over pipes the test keeps: stdout
//! after the ready line and the whole stderr are captured unredacted,
//! because tests assert what the host must never print there.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use agent_client::{generate_password, handshake_line, LaunchOptions, Ready};
use serde_json::Value;

use crate::binary::host_binary;
use crate::http::{basic, raw_request, try_raw_request, Headers, Response};
use crate::wait::wait_with_limit;

/// The renderer origin a test host allows.
pub const ORIGIN: &str = "http://app.test";
/// A Referer under the test host's `/desktop` root.
pub const REFERER: &str = "http://app.test/desktop/index.html";
/// Provider keys go to `auth.json`: a test never touches a desktop keyring.
pub const FILE_SECRETS: &[(&str, &str)] = &[("AGENT_HOST_SECRET_BACKEND", "file")];

/// The handshake a test host gets: [`ORIGIN`] under `/desktop`, and
/// `http://cli.localhost` under `/cli`. Change fields before starting.
pub fn launch_options(user_data: &Path) -> LaunchOptions {
    let mut options = LaunchOptions::new(host_binary(), user_data);
    options.allowed_origins = vec![ORIGIN.to_owned()];
    options.referer_roots = vec!["/desktop".to_owned()];
    options.extra_referers = vec![("http://cli.localhost".to_owned(), "/cli".to_owned())];
    options
}

/// `agent-host serve` with piped streams, debug logs and `envs`, for a
/// test that adds to the command (or writes its own handshake) first.
pub fn host_command(envs: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(host_binary());
    cmd.arg("serve")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("AGENT_HOST_LOG", "debug");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd
}

/// [`host_command`], spawned.
pub fn spawn_host(envs: &[(&str, &str)]) -> Child {
    host_command(envs).spawn().expect("spawn agent-host")
}

/// Reads `stream` to its end on a thread, into the buffer returned.
pub fn capture(mut stream: impl Read + Send + 'static) -> Arc<Mutex<Vec<u8>>> {
    let buf = Arc::new(Mutex::new(Vec::new()));
    let sink = buf.clone();
    std::thread::spawn(move || {
        let mut chunk = [0u8; 4096];
        while let Ok(n) = stream.read(&mut chunk) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().extend_from_slice(&chunk[..n]);
        }
    });
    buf
}

/// A running `agent-host serve`. Dropping it closes stdin and waits (2 s,
/// then SIGKILL).
pub struct TestHost {
    pub child: Child,
    pub stdin: Option<ChildStdin>,
    pub port: u16,
    pub pid: u32,
    pub password: String,
    pub user_data: PathBuf,
    /// The first stdout line exactly as printed, newline included.
    pub ready_line: String,
    pub ready: Ready,
    /// Everything on stdout after the ready line (nothing, ever).
    pub stdout_rest: Arc<Mutex<Vec<u8>>>,
    pub stderr: Arc<Mutex<Vec<u8>>>,
}

impl TestHost {
    /// A host on `user_data` with [`launch_options`] and [`FILE_SECRETS`].
    pub fn start(user_data: &Path) -> TestHost {
        Self::start_with(launch_options(user_data), FILE_SECRETS)
    }

    pub fn start_with(options: LaunchOptions, envs: &[(&str, &str)]) -> TestHost {
        Self::handshake(spawn_host(envs), options)
    }

    /// Sends `child` (spawned from [`host_command`]) the handshake for
    /// `options` and waits for its ready line.
    pub fn handshake(mut child: Child, options: LaunchOptions) -> TestHost {
        let password = generate_password().to_string();
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(handshake_line(&options, &password).as_bytes())
            .unwrap();
        stdin.flush().unwrap();
        let stderr = capture(child.stderr.take().unwrap());
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut ready_line = String::new();
        stdout.read_line(&mut ready_line).expect("read ready line");
        let stderr_text = || String::from_utf8_lossy(&stderr.lock().unwrap()).into_owned();
        assert!(
            !ready_line.is_empty(),
            "host exited before ready; stderr:\n{}",
            stderr_text()
        );
        let ready = Ready::parse(&ready_line)
            .unwrap_or_else(|| panic!("not a ready line: {ready_line:?}\n{}", stderr_text()));
        TestHost {
            pid: child.id(),
            child,
            stdin: Some(stdin),
            port: ready.port,
            password,
            user_data: options.user_data.clone(),
            ready_line,
            ready,
            stdout_rest: capture(stdout),
            stderr,
        }
    }

    /// The `Authorization` value for this host's password.
    pub fn auth(&self) -> String {
        basic(&format!("agent:{}", self.password))
    }

    /// Headers of a request that passes the perimeter.
    pub fn good_headers(&self) -> Headers {
        vec![
            ("Host".into(), format!("127.0.0.1:{}", self.port)),
            ("Authorization".into(), self.auth()),
            ("Referer".into(), REFERER.into()),
        ]
    }

    fn json_request(&self, body: Option<&Value>) -> (Headers, Option<Vec<u8>>) {
        let mut headers = self.good_headers();
        let body = body.map(|b| {
            headers.push(("Content-Type".into(), "application/json".into()));
            serde_json::to_vec(b).unwrap()
        });
        (headers, body)
    }

    /// A request with [`TestHost::good_headers`] and a JSON body.
    pub fn request(&self, method: &str, path: &str, body: Option<&Value>) -> Response {
        let (headers, body) = self.json_request(body);
        raw_request(self.port, method, path, &headers, body.as_deref())
    }

    /// Like [`TestHost::request`] but `None` when the host is gone.
    pub fn try_request(&self, method: &str, path: &str, body: Option<&Value>) -> Option<Response> {
        let (headers, body) = self.json_request(body);
        try_raw_request(self.port, method, path, &headers, body.as_deref()).ok()
    }

    pub fn get(&self, path: &str) -> Response {
        self.request("GET", path, None)
    }

    pub fn send(&self, method: &str, path: &str, body: Value) -> Response {
        self.request(method, path, Some(&body))
    }

    /// [`TestHost::send`], asserting a 200; the answer's JSON.
    pub fn ok(&self, method: &str, path: &str, body: Value) -> Value {
        let r = self.send(method, path, body);
        assert_eq!(
            r.status,
            200,
            "{method} {path}: {}",
            String::from_utf8_lossy(&r.body)
        );
        r.json()
    }

    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned()
    }

    pub fn close_stdin(&mut self) {
        drop(self.stdin.take());
    }

    /// Waits for the process to exit, at most `limit`.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        wait_with_limit(&mut self.child, limit)
    }

    /// Closes stdin and waits for a clean exit.
    pub fn stop(mut self) -> ExitStatus {
        self.close_stdin();
        self.wait_exit(Duration::from_secs(5))
            .expect("host exits after stdin closes")
    }
}

impl Drop for TestHost {
    fn drop(&mut self) {
        drop(self.stdin.take());
        if wait_with_limit(&mut self.child, Duration::from_secs(2)).is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
