//! Test support: the real `agent-host` binary, started through its stdin
//! handshake, and a tiny blocking HTTP/1.1 client over real loopback TCP that
//! lets a test set every header (Host, Origin, Referer, Authorization).
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use agent_client::{generate_password, handshake_line, LaunchOptions};
use base64::Engine;
use serde_json::Value;

pub const ORIGIN: &str = "http://app.test";
pub const REFERER: &str = "http://app.test/desktop/index.html";

pub fn host_bin() -> &'static str {
    env!("CARGO_BIN_EXE_agent-host")
}

/// A spawned `agent-host serve` with captured stdout and stderr.
pub struct TestHost {
    pub child: Child,
    pub stdin: Option<ChildStdin>,
    pub port: u16,
    pub pid: u32,
    pub password: String,
    pub user_data: PathBuf,
    pub ready_line: String,
    pub stdout_rest: Arc<Mutex<Vec<u8>>>,
    pub stderr: Arc<Mutex<Vec<u8>>>,
}

/// Options a test may change before spawning.
pub fn options(user_data: &Path) -> LaunchOptions {
    let mut options = LaunchOptions::new(host_bin(), user_data);
    options.allowed_origins = vec![ORIGIN.to_owned()];
    options.referer_roots = vec!["/desktop".to_owned()];
    options.extra_referers = vec![("http://cli.localhost".to_owned(), "/cli".to_owned())];
    options
}

/// Spawns the binary with piped streams and an empty-ish environment that
/// still lets it find a Secret Service when the test wants one.
pub fn spawn_raw(envs: &[(&str, &str)]) -> Child {
    command(envs).spawn().expect("spawn agent-host")
}

/// The command [`spawn_raw`] runs, for a test that adds to it first.
pub fn command(envs: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(host_bin());
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

fn capture(mut stream: impl Read + Send + 'static) -> Arc<Mutex<Vec<u8>>> {
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

impl TestHost {
    pub fn start(user_data: &Path) -> TestHost {
        Self::start_with(options(user_data), &[("AGENT_HOST_SECRET_BACKEND", "file")])
    }

    pub fn start_with(options: LaunchOptions, envs: &[(&str, &str)]) -> TestHost {
        Self::handshake(spawn_raw(envs), options)
    }

    /// Sends `child` (spawned from [`command`]) the handshake for
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
        assert!(
            !ready_line.is_empty(),
            "host exited before ready; stderr:\n{}",
            String::from_utf8_lossy(&stderr.lock().unwrap())
        );
        let ready: Value = serde_json::from_str(ready_line.trim_end()).expect("ready is JSON");
        let stdout_rest = capture(stdout);
        TestHost {
            pid: child.id(),
            child,
            stdin: Some(stdin),
            port: ready["port"].as_u64().unwrap() as u16,
            password,
            user_data: options.user_data.clone(),
            ready_line,
            stdout_rest,
            stderr,
        }
    }

    pub fn auth(&self) -> String {
        basic(&format!("agent:{}", self.password))
    }

    /// Headers of a request that passes the perimeter.
    pub fn good_headers(&self) -> Vec<(String, String)> {
        vec![
            ("Host".into(), format!("127.0.0.1:{}", self.port)),
            ("Authorization".into(), self.auth()),
            ("Referer".into(), REFERER.into()),
        ]
    }

    pub fn request(&self, method: &str, path: &str, body: Option<&Value>) -> Response {
        let mut headers = self.good_headers();
        let body = body.map(|b| {
            headers.push(("Content-Type".into(), "application/json".into()));
            serde_json::to_vec(b).unwrap()
        });
        raw_request(self.port, method, path, &headers, body.as_deref())
    }

    /// Like [`TestHost::request`] but `None` when the host is gone.
    pub fn try_request(&self, method: &str, path: &str, body: Option<&Value>) -> Option<Response> {
        let mut headers = self.good_headers();
        let body = body.map(|b| {
            headers.push(("Content-Type".into(), "application/json".into()));
            serde_json::to_vec(b).unwrap()
        });
        try_raw_request(self.port, method, path, &headers, body.as_deref()).ok()
    }

    pub fn get(&self, path: &str) -> Response {
        self.request("GET", path, None)
    }

    pub fn send(&self, method: &str, path: &str, body: Value) -> Response {
        self.request(method, path, Some(&body))
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

pub fn wait_with_limit(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return Some(status);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

pub fn basic(credential: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(credential)
    )
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The `error.code` of a JSON error body.
    pub fn error_code(&self) -> String {
        let body = self.json();
        body["error"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("not an error body: {body}"))
            .to_owned()
    }
}

/// Sends one HTTP/1.1 request with exactly these headers (plus
/// `Connection: close` and `Content-Length`) and reads the whole answer.
pub fn raw_request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: Option<&[u8]>,
) -> Response {
    try_raw_request(port, method, path, headers, body).expect("HTTP exchange failed")
}

/// Like [`raw_request`], but a dead server is an `Err`, not a panic. A
/// server that answers before reading the whole body (413) is fine.
pub fn try_raw_request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: Option<&[u8]>,
) -> std::io::Result<Response> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut head = format!("{method} {path} HTTP/1.1\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("Connection: close\r\n");
    if let Some(body) = body {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    let body_written = match body {
        Some(body) => stream.write_all(body),
        None => Ok(()),
    };
    let mut raw = Vec::new();
    let read = stream.read_to_end(&mut raw);
    if raw.windows(4).any(|w| w == b"\r\n\r\n") {
        return Ok(parse_response(&raw));
    }
    body_written?;
    read?;
    Err(std::io::Error::new(
        std::io::ErrorKind::UnexpectedEof,
        "no response",
    ))
}

fn parse_response(raw: &[u8]) -> Response {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(raw)));
    let head = std::str::from_utf8(&raw[..split]).expect("utf-8 head");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    if chunked {
        body = dechunk(&body);
    }
    Response {
        status,
        headers,
        body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = data.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size_text = std::str::from_utf8(&data[..eol]).unwrap();
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[eol + 2..eol + 2 + size]);
        data = &data[eol + 2 + size + 2..];
    }
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// True while `pid` exists and is not a zombie (an orphan's zombie may
/// linger when PID 1 does not reap).
pub fn is_alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(") ")
            .and_then(|(_, rest)| rest.chars().next())
            .is_some_and(|state| state != 'Z' && state != 'X'),
        Err(_) => false,
    }
}

/// One server-sent event frame.
#[derive(Clone, Debug, PartialEq)]
pub struct SseFrame {
    pub id: Option<String>,
    pub data: String,
}

impl SseFrame {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap_or(Value::Null)
    }

    pub fn kind(&self) -> String {
        if self.data == "[DONE]" {
            return "[DONE]".to_owned();
        }
        self.json()["type"].as_str().unwrap_or("?").to_owned()
    }
}

/// Parses a complete SSE body into frames.
pub fn parse_sse(body: &[u8]) -> Vec<SseFrame> {
    let text = String::from_utf8_lossy(body);
    text.split("\n\n")
        .filter(|block| !block.trim().is_empty())
        .map(|block| {
            let mut frame = SseFrame {
                id: None,
                data: String::new(),
            };
            for line in block.lines() {
                if let Some(id) = line.strip_prefix("id: ") {
                    frame.id = Some(id.to_owned());
                } else if let Some(data) = line.strip_prefix("data: ") {
                    frame.data.push_str(data);
                } else {
                    panic!("unexpected SSE line {line:?}");
                }
            }
            frame
        })
        .collect()
}

/// An SSE response read incrementally, so a test can stop in the middle.
pub struct SseReader {
    stream: TcpStream,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    raw: Vec<u8>,
    body: Vec<u8>,
    chunked: bool,
    frames_seen: usize,
}

impl SseReader {
    pub fn open(
        host: &TestHost,
        method: &str,
        path: &str,
        body: Option<&Value>,
        extra: &[(&str, &str)],
    ) -> SseReader {
        let mut stream = TcpStream::connect(("127.0.0.1", host.port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let mut head = format!("{method} {path} HTTP/1.1\r\n");
        for (k, v) in host.good_headers() {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        for (k, v) in extra {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("Connection: close\r\n");
        let body = body.map(|b| serde_json::to_vec(b).unwrap());
        if let Some(b) = &body {
            head.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                b.len()
            ));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).unwrap();
        if let Some(b) = &body {
            stream.write_all(b).unwrap();
        }
        let mut raw = Vec::new();
        let mut buf = [0u8; 8192];
        let split = loop {
            if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                break i;
            }
            let n = stream.read(&mut buf).expect("read head");
            assert!(n > 0, "connection closed before headers");
            raw.extend_from_slice(&buf[..n]);
        };
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect();
        let chunked = headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
        let rest = raw[split + 4..].to_vec();
        let mut reader = SseReader {
            stream,
            status,
            headers,
            raw: Vec::new(),
            body: Vec::new(),
            chunked,
            frames_seen: 0,
        };
        reader.feed(&rest);
        reader
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn feed(&mut self, bytes: &[u8]) {
        if !self.chunked {
            self.body.extend_from_slice(bytes);
            return;
        }
        self.raw.extend_from_slice(bytes);
        loop {
            let Some(eol) = self.raw.windows(2).position(|w| w == b"\r\n") else {
                return;
            };
            let size_text = String::from_utf8_lossy(&self.raw[..eol]).into_owned();
            let Ok(size) = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16)
            else {
                return;
            };
            if self.raw.len() < eol + 2 + size + 2 {
                return;
            }
            self.body
                .extend_from_slice(&self.raw[eol + 2..eol + 2 + size]);
            self.raw.drain(..eol + 2 + size + 2);
        }
    }

    /// Complete frames received so far and not yet returned.
    fn take_frames(&mut self) -> Vec<SseFrame> {
        let text = String::from_utf8_lossy(&self.body).into_owned();
        let complete = match text.rfind("\n\n") {
            Some(i) => &text[..i + 2],
            None => return Vec::new(),
        };
        let frames = parse_sse(complete.as_bytes());
        let new = frames[self.frames_seen..].to_vec();
        self.frames_seen = frames.len();
        new
    }

    /// Reads until `n` more frames arrived (or the stream ended).
    pub fn next_frames(&mut self, n: usize) -> Vec<SseFrame> {
        let mut out = self.take_frames();
        let mut buf = [0u8; 8192];
        while out.len() < n {
            let read = self.stream.read(&mut buf).expect("read frames");
            if read == 0 {
                break;
            }
            self.feed(&buf[..read]);
            out.extend(self.take_frames());
        }
        out
    }

    /// Reads everything until the server ends the stream.
    pub fn rest(mut self) -> Vec<SseFrame> {
        let mut out = self.take_frames();
        let mut buf = [0u8; 8192];
        loop {
            let read = self.stream.read(&mut buf).expect("read rest");
            if read == 0 {
                break;
            }
            self.feed(&buf[..read]);
            out.extend(self.take_frames());
        }
        out
    }
}
