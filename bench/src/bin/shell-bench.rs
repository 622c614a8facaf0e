//! Desktop shell benchmarks (docs/benchmarks.md, "Desktop shell"): the real
//! `agent-shell` (tao/wry, WebKitGTK) under Xvfb, driven through its
//! test-only control socket (`--control-socket`, shell/src/control.rs).
//!
//! 1. launch → first document window showing the file's content: from just
//!    before `spawn()` of the shell (with a file argument) to the moment the
//!    editor (`.cm-content`) holds the file's text in the DOM, seen by a
//!    `MutationObserver` in the page and stamped with `Date.now()` (epoch
//!    ms, whole milliseconds) against this process's `SystemTime`. Twice,
//!    alternating: with one `--user-data` dir reused by every launch (after
//!    an untimed warm-up launch), and with a fresh one per launch (WebKit's
//!    own data directory is wry's default, outside `--user-data`, so it is
//!    warm in both);
//! 2. resident memory with that one document window open (reused-dir
//!    launches, after `--settle-ms`): RSS and PSS of the shell and all its
//!    descendants (agent-host, WebKit's web and network processes, …), per
//!    process name and in total;
//! 3. bridge cost per chunk: per-chunk latency of an agent stream read by
//!    the page through `window.desktop.fetch` (`hostapi://` scheme → the
//!    shell's bridge → its host) versus the same turn read by this process
//!    straight from a second `agent-host`'s loopback port, started through
//!    the launcher as agent-bench does (the bench cannot know the shell's
//!    host password). The scripted provider runs in this process; its
//!    `Clock` chunks carry `clock_ns()` (monotonic, private to this
//!    process), mapped to epoch time for the page's stamps. The page's
//!    clocks have 1 ms resolution, so both paths are also stamped through
//!    the same 1 ms clock and compared that way (see [`Samples`]);
//! 4. an outside write reaching a clean window: `--writes` appends to the
//!    open file, each timed from just before the `write` (this process's
//!    wall clock) to the editor's DOM holding the new line (the page's
//!    `Date.now()` in a `MutationObserver`): the watcher's debounce, the
//!    host's event, the bridge, the page's read and the in-place update.
//!
//! Needs an X display: without `DISPLAY` it re-runs itself under
//! `dbus-run-session -- xvfb-run -a`, so Xvfb starts once, outside every
//! timed launch. Run:
//! `cargo build --release -p agent-bench -p agent-host && cargo build --release -p agent-shell
//! --features test-hooks && target/release/shell-bench` (the control socket
//! is a test hook; a plain release shell has none). `--renderer-dir DIR`
//! hands every shell a renderer build on disk instead of its embedded one,
//! so that two builds of web/ compare with one shell binary.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use agent_bench::api_host::{sibling, ApiHost};
use agent_bench::procfs::{alive, signal, tree, tree_memory, TreeMem};
use agent_bench::stats::{mean, median_min_max, percentile};
use agent_client::SseParser;
use agent_provider::scripted::{clock_ns, Reply, ScriptedProvider};
use futures_util::StreamExt;
use serde_json::{json, Value};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Every wait (start-up, a page script, a turn) stays under this.
const LIMIT: Duration = Duration::from_secs(60);
/// Set on the re-run under `dbus-run-session -- xvfb-run`, so it happens once.
const WRAPPED_ENV: &str = "SHELL_BENCH_UNDER_XVFB";
const MARKER: &str = "shell-bench-marker-7f3a";

struct Args {
    runs: usize,
    chunks: usize,
    interval_us: u64,
    rounds: usize,
    settle_ms: u64,
    /// Outside writes timed to the editor (section 4).
    writes: usize,
    /// A renderer build on disk for the shell (`--renderer-dir`) instead
    /// of the one embedded in it: two builds compared with one shell.
    renderer_dir: Option<PathBuf>,
}

/// Set once from `--renderer-dir`; every launched shell gets it.
static RENDERER_DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

impl Args {
    fn parse() -> std::result::Result<Args, String> {
        let mut args = Args {
            runs: 7,
            chunks: 500,
            interval_us: 1000,
            rounds: 10,
            settle_ms: 2000,
            writes: 20,
            renderer_dir: None,
        };
        let mut it = std::env::args().skip(1);
        while let Some(flag) = it.next() {
            if flag == "--help" || flag == "-h" {
                return Err(String::new());
            }
            let value = it.next().ok_or(format!("{flag} needs a value"))?;
            let number = |v: &str| {
                v.parse::<u64>()
                    .map_err(|_| format!("{flag}: not a number"))
            };
            match flag.as_str() {
                "--runs" => args.runs = number(&value)?.max(1) as usize,
                "--chunks" => args.chunks = number(&value)?.max(1) as usize,
                "--interval-us" => args.interval_us = number(&value)?,
                "--rounds" => args.rounds = number(&value)? as usize,
                "--settle-ms" => args.settle_ms = number(&value)?,
                "--writes" => args.writes = number(&value)? as usize,
                "--renderer-dir" => {
                    let dir =
                        std::path::absolute(&value).map_err(|e| format!("--renderer-dir: {e}"))?;
                    if !dir.join("index.html").is_file() {
                        return Err(format!(
                            "--renderer-dir: no index.html in {}",
                            dir.display()
                        ));
                    }
                    args.renderer_dir = Some(dir);
                }
                other => return Err(format!("unknown flag {other}")),
            }
        }
        Ok(args)
    }
}

const USAGE: &str = "usage: shell-bench [--runs N (7)] [--chunks N (500)] \
[--interval-us US (1000)] [--rounds N (10)] [--settle-ms MS (2000)] [--writes N (20)] \
[--renderer-dir DIR (the shell's embedded build)]";

fn epoch_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1e3)
}

// ---------------------------------------------------------------- shell --

/// A running shell with a control socket.
struct Shell {
    child: Child,
    socket: PathBuf,
    /// The file its stderr goes to.
    stderr: PathBuf,
}

impl Shell {
    fn spawn(
        shell: &Path,
        host: &Path,
        dir: &Path,
        user_data: &Path,
        file: &Path,
    ) -> Result<Shell> {
        let socket = dir.join("control.sock");
        let runtime_dir = dir.join("runtime");
        std::fs::create_dir_all(&runtime_dir)?;
        let stderr = dir.join("shell.stderr");
        let mut command = Command::new(shell);
        if let Some(renderer) = RENDERER_DIR.get() {
            command.arg("--renderer-dir").arg(renderer);
        }
        let child = command
            .arg("--control-socket")
            .arg(&socket)
            .arg("--user-data")
            .arg(user_data)
            .arg("--host-program")
            .arg(host)
            .arg(file)
            .env("XDG_RUNTIME_DIR", &runtime_dir)
            .env("AGENT_HOST_SECRET_BACKEND", "file")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&stderr)?)
            .spawn()?;
        Ok(Shell {
            child,
            socket,
            stderr,
        })
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn stderr(&self) -> String {
        std::fs::read(&self.stderr)
            .map(|s| String::from_utf8_lossy(&s).into_owned())
            .unwrap_or_default()
    }

    fn request(&self, request: &Value) -> Result<Value> {
        let mut stream = UnixStream::connect(&self.socket)?;
        stream.set_read_timeout(Some(LIMIT + Duration::from_secs(5)))?;
        writeln!(stream, "{request}")?;
        let mut line = String::new();
        BufReader::new(stream).read_line(&mut line)?;
        Ok(serde_json::from_str(&line)?)
    }

    /// The window list, `None` while the control socket is not up.
    fn windows(&self) -> Option<Vec<Value>> {
        let answer = self.request(&json!({"op": "windows"})).ok()?;
        answer["windows"].as_array().cloned()
    }

    /// Runs `script` (an async function body) in window `id`.
    fn eval(&self, id: &Value, script: &str) -> Result<Value> {
        let answer = self.request(&json!({"op": "eval", "window": id, "script": script}))?;
        if let Some(error) = answer.get("error") {
            return Err(format!("eval failed: {error}\nshell stderr:\n{}", self.stderr()).into());
        }
        Ok(answer["result"].clone())
    }

    /// SIGTERM (the shell's normal quit path), then waits for it and every
    /// process it started; SIGKILL for what is left after 10 s.
    fn stop(mut self) -> Result<()> {
        let pids = tree(self.pid());
        signal(self.pid(), libc::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            let exited = matches!(self.child.try_wait(), Ok(Some(_)));
            if exited && pids.iter().all(|p| !alive(*p)) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        eprintln!("shell-bench: the shell tree did not end within 10 s of SIGTERM; killing it");
        for pid in pids.iter().filter(|p| alive(**p)) {
            signal(*pid, libc::SIGKILL);
        }
        let _ = self.child.wait();
        Ok(())
    }
}

impl Drop for Shell {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            for pid in tree(self.pid()) {
                signal(pid, libc::SIGKILL);
            }
            let _ = self.child.wait();
        }
    }
}

/// In the page: waits (MutationObserver) until the editor shows the marker
/// and returns when, in epoch ms, plus the page's own milestones.
fn content_script() -> String {
    format!(
        r#"
const marker = {marker};
const stamp = () => Date.now() + 0.5;
const shown = () => {{
  const e = document.querySelector('.cm-content');
  return !!e && e.textContent.includes(marker);
}};
const report = (at, already) => {{
  const nav = performance.getEntriesByType('navigation')[0];
  return {{
    at, already, origin: performance.timeOrigin,
    load: nav ? nav.loadEventEnd : null,
  }};
}};
if (shown()) return report(stamp(), true);
return await new Promise((resolve, reject) => {{
  const observer = new MutationObserver(() => {{
    if (shown()) {{
      const at = stamp();
      observer.disconnect();
      resolve(report(at, false));
    }}
  }});
  observer.observe(document, {{ subtree: true, childList: true, characterData: true }});
  setTimeout(() => {{
    observer.disconnect();
    reject(new Error('the editor never showed the file: ' + document.body.innerText.slice(0, 300)));
  }}, 30000);
}});
"#,
        marker = serde_json::to_string(MARKER).expect("a string")
    )
}

struct Launch {
    /// spawn → content in the DOM, ms.
    total_ms: f64,
    /// spawn → the control socket first listed the document window, ms
    /// (polled every 10 ms).
    window_listed_ms: f64,
    /// spawn → the page's time origin (navigation start), ms.
    page_origin_ms: f64,
    /// spawn → the page's `load` event end, ms.
    page_load_ms: f64,
    /// The content was already there when the observer was installed.
    already: bool,
}

/// Spawns the shell on `file` and times it until the content shows.
fn launch_shell(
    shell_bin: &Path,
    host_bin: &Path,
    dir: &Path,
    user_data: &Path,
    file: &Path,
) -> Result<(Shell, Value, Launch)> {
    // A fresh directory per launch: its own control socket and
    // XDG_RUNTIME_DIR (the single-instance socket).
    static LAUNCHES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = LAUNCHES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = dir.join(format!("launch-{n}"));
    std::fs::create_dir_all(&dir)?;
    let spawned_at = epoch_ms();
    let shell = Shell::spawn(shell_bin, host_bin, &dir, user_data, file)?;
    let started = Instant::now();
    let (window, listed_at) = loop {
        if let Some(windows) = shell.windows() {
            if let Some(w) = windows.iter().find(|w| w["kind"] == "document") {
                break (w.clone(), epoch_ms());
            }
            if let Some(w) = windows.iter().find(|w| w["kind"] == "error") {
                return Err(
                    format!("the shell opened an error window: {w}\n{}", shell.stderr()).into(),
                );
            }
        }
        if started.elapsed() > LIMIT {
            return Err(format!("no document window; shell stderr:\n{}", shell.stderr()).into());
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    // The shell queues the script until the page has loaded; the page
    // fetches the document only after that, so the observer is normally in
    // place first (`already` says when it was not: then the time is an
    // upper bound).
    let id = window["id"].clone();
    let shown = shell.eval(&id, &content_script())?;
    let at = shown["at"].as_f64().ok_or("no time from the page")?;
    let origin = shown["origin"].as_f64().unwrap_or(f64::NAN);
    let load = shown["load"].as_f64().unwrap_or(f64::NAN);
    let launch = Launch {
        total_ms: at - spawned_at,
        window_listed_ms: listed_at - spawned_at,
        page_origin_ms: origin - spawned_at,
        page_load_ms: origin + load - spawned_at,
        already: shown["already"] == true,
    };
    Ok((shell, id, launch))
}

// --------------------------------------------------------------- bridge --

/// `clock_ns()` → epoch ns: the offset between the two clocks now.
fn clock_offset_ns() -> f64 {
    let before = clock_ns();
    let wall = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let after = clock_ns();
    wall as f64 - (before as f64 + after as f64) / 2.0
}

/// A scripted provider for one turn, on a runtime of its own built at a
/// random moment: tokio sleeps on a 1 ms grid counted from the runtime's
/// start, so a fresh random start gives each turn's chunks a different
/// phase against the wall clock's millisecond, which the page's
/// millisecond clock needs (see [`Samples`]).
struct TurnProvider {
    runtime: tokio::runtime::Runtime,
    provider: ScriptedProvider,
}

impl TurnProvider {
    fn start(reply: Reply) -> Result<TurnProvider> {
        std::thread::sleep(Duration::from_micros(rand::random_range(0..1000)));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?;
        let provider = runtime.block_on(ScriptedProvider::start(vec![reply]))?;
        Ok(TurnProvider { runtime, provider })
    }

    fn stop(self) {
        self.runtime.block_on(self.provider.shutdown());
    }
}

/// Per-chunk latencies of one path, µs.
///
/// The page has only a 1 ms clock: WebKit clamps `performance.now()` and
/// `timeOrigin` to whole milliseconds, and `Date.now()` is
/// `floor(CLOCK_REALTIME)` in ms. Page arrivals are therefore stamped with
/// `Date.now()` and taken at the middle of their millisecond (+0.5 ms):
/// each sample is off by a uniform ±0.5 ms, unbiased as long as the send
/// times fall at random phases of the millisecond (checked by
/// `phase_spread`). The direct path is stamped the same way (`ms_clock`)
/// so both are compared through the same clock, and exactly (`exact`).
#[derive(Default)]
struct Samples {
    ms_clock: Vec<f64>,
    exact: Vec<f64>,
    /// Send time modulo 1 ms, in [0, 1).
    phases: Vec<f64>,
}

impl Samples {
    fn extend(&mut self, other: Samples) {
        self.ms_clock.extend(other.ms_clock);
        self.exact.extend(other.exact);
        self.phases.extend(other.phases);
    }
}

/// Smallest and largest share of send phases in ten 0.1 ms bins (0.10
/// each when uniform).
fn phase_spread(phases: &[f64]) -> (f64, f64) {
    let mut bins = [0usize; 10];
    for p in phases {
        bins[((p * 10.0) as usize).min(9)] += 1;
    }
    let n = phases.len().max(1) as f64;
    let shares = bins.map(|b| b as f64 / n);
    (
        shares.iter().copied().fold(f64::INFINITY, f64::min),
        shares.iter().copied().fold(0.0, f64::max),
    )
}

/// In the page: configures the custom provider, starts a turn through
/// `window.desktop.fetch` and stamps every read of the SSE body with
/// `Date.now()` before parsing it.
fn page_turn_script(base_url: &str) -> String {
    format!(
        r#"
const json = async (method, path, body) => {{
  const r = await window.desktop.fetch(path, {{
    method, body: JSON.stringify(body), headers: {{ 'content-type': 'application/json' }},
  }});
  const text = await r.text();
  if (!r.ok) throw new Error(path + ': ' + r.status + ' ' + text);
  return text ? JSON.parse(text) : null;
}};
await json('PUT', '/providers/custom', {{ base_url: {base_url} }});
const session = await json('POST', '/sessions', {{}});
const response = await window.desktop.fetch('/sessions/' + session.id + '/turns', {{
  method: 'POST',
  body: JSON.stringify({{ message: 'go', provider: 'custom' }}),
  headers: {{ 'content-type': 'application/json' }},
}});
if (!response.ok) throw new Error('turn refused: ' + response.status + ' ' + await response.text());
const reader = response.body.getReader();
const decoder = new TextDecoder();
const at = [], sent = [];
let buffer = '', done = false, reads = 0;
for (;;) {{
  const {{ value, done: end }} = await reader.read();
  const now = Date.now();
  if (end) break;
  reads++;
  buffer += decoder.decode(value, {{ stream: true }});
  let i;
  while ((i = buffer.indexOf('\n\n')) >= 0) {{
    const frame = buffer.slice(0, i);
    buffer = buffer.slice(i + 2);
    for (const line of frame.split('\n')) {{
      if (!line.startsWith('data: ')) continue;
      const data = line.slice(6);
      if (data === '[DONE]') {{ done = true; continue; }}
      const chunk = JSON.parse(data);
      // One clock stamp per provider delta; the host merges those a slow
      // reader has not read yet into one delta.
      if (chunk.type === 'text-delta') {{ for (const s of chunk.delta.trim().split(/\s+/)) {{ at.push(now); sent.push(s); }} }}
    }}
  }}
}}
return {{ at, sent, done, reads }};
"#,
        base_url = serde_json::to_string(base_url).expect("a string")
    )
}

/// One turn read by the page through the bridge.
fn page_turn(shell: &Shell, window: &Value, reply: Reply) -> Result<Samples> {
    let provider = TurnProvider::start(reply)?;
    let offset_before = clock_offset_ns();
    let result = shell.eval(window, &page_turn_script(&provider.provider.base_url()));
    let offset_after = clock_offset_ns();
    provider.stop();
    let result = result?;
    warn_drift(offset_before, offset_after);
    let offset_ns = (offset_before + offset_after) / 2.0;
    if result["done"] != true {
        return Err(format!("the page's stream ended without [DONE]: {result}").into());
    }
    let at = result["at"].as_array().ok_or("no arrival times")?;
    let sent = result["sent"].as_array().ok_or("no send times")?;
    let mut samples = Samples::default();
    for (arrived, sent) in at.iter().zip(sent) {
        let (Some(arrived_ms), Some(sent_ns)) = (
            arrived.as_f64(),
            sent.as_str().and_then(|s| s.parse::<u64>().ok()),
        ) else {
            continue;
        };
        let sent_epoch_ms = (offset_ns + sent_ns as f64) / 1e6;
        samples
            .ms_clock
            .push((arrived_ms + 0.5 - sent_epoch_ms) * 1e3);
        samples.phases.push(sent_epoch_ms.rem_euclid(1.0));
    }
    Ok(samples)
}

fn warn_drift(before_ns: f64, after_ns: f64) {
    let drift_us = (after_ns - before_ns) / 1e3;
    if drift_us.abs() > 20.0 {
        eprintln!("shell-bench: wall vs. monotonic clock moved {drift_us:.0} µs during a turn");
    }
}

/// One turn read straight from the direct host (a second host, started
/// like agent-bench does, read over loopback): `(sent clock_ns, arrival
/// clock_ns, arrival epoch ms)` per text delta.
async fn read_direct_turn(host: &ApiHost, base_url: &str) -> Result<Vec<(u64, u64, f64)>> {
    host.json(
        reqwest::Method::PUT,
        "/providers/custom",
        json!({"base_url": base_url}),
    )
    .await?;
    let id = host.session().await?;
    let response = host
        .req(reqwest::Method::POST, &format!("/sessions/{id}/turns"))
        .json(&json!({"message": "go", "provider": "custom"}))
        .send()
        .await?;
    if !response.status().is_success() {
        return Err(format!("turn refused: {}", response.status()).into());
    }
    let mut arrivals = Vec::new();
    let mut done = false;
    let mut stream = response.bytes_stream();
    let mut parser = SseParser::default();
    while let Some(chunk) = stream.next().await {
        let now = clock_ns();
        let now_epoch_ms = epoch_ms();
        for frame in parser.push(&chunk?) {
            if frame.is_done() {
                done = true;
                continue;
            }
            let v: Value = serde_json::from_str(&frame.data)?;
            if v["type"] == "text-delta" {
                // A merged delta carries several stamps (deltas.rs in the host).
                for stamp in v["delta"].as_str().unwrap_or("").split_whitespace() {
                    if let Ok(sent) = stamp.parse::<u64>() {
                        arrivals.push((sent, now, now_epoch_ms));
                    }
                }
            }
        }
    }
    if !done {
        return Err("the direct stream ended without [DONE]".into());
    }
    Ok(arrivals)
}

/// One turn read by this process straight from the direct host.
fn direct_turn(runtime: &tokio::runtime::Runtime, host: &ApiHost, reply: Reply) -> Result<Samples> {
    let provider = TurnProvider::start(reply)?;
    let offset_before = clock_offset_ns();
    let arrivals = runtime.block_on(read_direct_turn(host, &provider.provider.base_url()));
    let offset_after = clock_offset_ns();
    provider.stop();
    let arrivals = arrivals?;
    warn_drift(offset_before, offset_after);
    let offset_ns = (offset_before + offset_after) / 2.0;
    let mut samples = Samples::default();
    for (sent, arrived, arrived_epoch_ms) in arrivals {
        let sent_epoch_ms = (offset_ns + sent as f64) / 1e6;
        samples
            .exact
            .push(arrived.saturating_sub(sent) as f64 / 1e3);
        samples
            .ms_clock
            .push((arrived_epoch_ms.floor() + 0.5 - sent_epoch_ms) * 1e3);
        samples.phases.push(sent_epoch_ms.rem_euclid(1.0));
    }
    Ok(samples)
}

// ----------------------------------------------------------------- main --

/// Re-runs this binary under `dbus-run-session -- xvfb-run -a`.
fn rerun_under_xvfb() -> ExitCode {
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            eprintln!("shell-bench: {e}");
            return ExitCode::from(2);
        }
    };
    eprintln!("shell-bench: no DISPLAY; re-running under dbus-run-session -- xvfb-run -a");
    let status = Command::new("dbus-run-session")
        .args(["--", "xvfb-run", "-a", "-s", "-screen 0 1280x900x24"])
        .arg(exe)
        .args(std::env::args_os().skip(1))
        .env(WRAPPED_ENV, "1")
        .status();
    match status {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(s) => ExitCode::from(u8::try_from(s.code().unwrap_or(1)).unwrap_or(1)),
        Err(e) => {
            eprintln!("shell-bench: cannot run dbus-run-session/xvfb-run: {e}");
            ExitCode::from(2)
        }
    }
}

fn main() -> ExitCode {
    let args = match Args::parse() {
        Ok(args) => args,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("shell-bench: {message}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let has_display = std::env::var_os("DISPLAY").is_some_and(|d| !d.is_empty());
    if !has_display && std::env::var_os(WRAPPED_ENV).is_none() {
        return rerun_under_xvfb();
    }
    // The direct host inherits this: no keyring is needed (the custom
    // provider has no key) and none may be reachable under Xvfb.
    std::env::set_var("AGENT_HOST_SECRET_BACKEND", "file");
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("shell-bench: {e}");
            ExitCode::from(1)
        }
    }
}

struct Mode {
    name: &'static str,
    /// One `--user-data` directory for every launch (after a warm-up
    /// launch) instead of a fresh one per launch.
    reuse: bool,
}

fn run(args: &Args) -> Result<()> {
    let shell_bin = sibling("agent-shell", "shell-bench")?;
    let host_bin = sibling("agent-host", "shell-bench")?;
    if let Some(load) = agent_bench::procfs::load_average().filter(|l| *l > 0.5) {
        eprintln!("shell-bench: 1-minute load average is {load:.2}; figures will be noisy");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("notes.md");
    std::fs::write(
        &file,
        format!("# Notes\n\nA short document for the launch benchmark.\n\n{MARKER}\n"),
    )?;
    let mut report = serde_json::Map::new();
    println!(
        "agent-shell under Xvfb (DISPLAY={}), {} launches per mode",
        std::env::var("DISPLAY").unwrap_or_default(),
        args.runs
    );
    if let Some(renderer) = &args.renderer_dir {
        println!("renderer: {} (--renderer-dir)", renderer.display());
        report.insert("renderer_dir".into(), json!(renderer.display().to_string()));
        let _ = RENDERER_DIR.set(renderer.clone());
    }

    let modes = [
        Mode {
            name: "reused --user-data",
            reuse: true,
        },
        Mode {
            name: "fresh --user-data",
            reuse: false,
        },
    ];
    let shared = dir.path().join("user-data-shared");
    // Warm-up: creates the shared profile and fills the page cache; not
    // counted.
    let (shell, _, _) = launch_shell(&shell_bin, &host_bin, dir.path(), &shared, &file)?;
    shell.stop()?;
    let mut launches: [Vec<Launch>; 2] = [Vec::new(), Vec::new()];
    let mut memory_runs: Vec<BTreeMap<String, TreeMem>> = Vec::new();
    for run in 0..args.runs {
        // Alternating which mode goes first, so drift on the machine hits
        // both alike.
        let order = if run % 2 == 0 { [0, 1] } else { [1, 0] };
        for m in order {
            let mode = &modes[m];
            let user_data = if mode.reuse {
                shared.clone()
            } else {
                dir.path().join(format!("user-data-{run}"))
            };
            let (shell, _, launch) =
                launch_shell(&shell_bin, &host_bin, dir.path(), &user_data, &file)?;
            eprintln!(
                "  launch {} ({}): {:.0} ms{}",
                run + 1,
                mode.name,
                launch.total_ms,
                if launch.already {
                    " (content was already shown when the observer started: upper bound)"
                } else {
                    ""
                }
            );
            launches[m].push(launch);
            if mode.reuse {
                std::thread::sleep(Duration::from_millis(args.settle_ms));
                memory_runs.push(tree_memory(shell.pid()));
            }
            shell.stop()?;
        }
    }
    for (mode, launches) in modes.iter().zip(&launches) {
        let pick = |f: fn(&Launch) -> f64| -> Vec<f64> { launches.iter().map(f).collect() };
        println!();
        println!(
            "launch -> document content in the DOM, {} ({} launches)",
            mode.name,
            launches.len()
        );
        println!(
            "  {:<40} {:>9} {:>9} {:>9}",
            "ms after spawn", "median", "min", "max"
        );
        type Column = (&'static str, fn(&Launch) -> f64);
        let rows: [Column; 4] = [
            ("document window listed (control socket)", |l| {
                l.window_listed_ms
            }),
            ("page navigation start (timeOrigin)", |l| l.page_origin_ms),
            ("page load event end", |l| l.page_load_ms),
            ("file content in the editor DOM", |l| l.total_ms),
        ];
        for (label, f) in rows {
            let (median, min, max) = median_min_max(&pick(f));
            println!("  {label:<40} {median:>9.1} {min:>9.1} {max:>9.1}");
        }
        let upper = launches.iter().filter(|l| l.already).count();
        if upper > 0 {
            println!("  ({upper} launches: content already shown when observed; upper bounds)");
        }
        let (median, min, max) = median_min_max(&pick(|l| l.total_ms));
        let key = if mode.reuse {
            "launch_reused_user_data"
        } else {
            "launch_fresh_user_data"
        };
        report.insert(
            key.into(),
            json!({"median_ms": median, "min_ms": min, "max_ms": max,
                   "samples_ms": pick(|l| l.total_ms)}),
        );
    }

    // 2. Memory, from the launches on the reused dir.
    let mut names: Vec<String> = memory_runs.iter().flat_map(|m| m.keys().cloned()).collect();
    names.sort();
    names.dedup();
    println!();
    println!(
        "resident memory, one document window, {} ms after the content showed ({} launches)",
        args.settle_ms,
        memory_runs.len()
    );
    println!(
        "  {:<24} {:>5} {:>10} {:>10} {:>10} {:>10}",
        "process", "procs", "RSS med", "RSS min", "RSS max", "PSS med"
    );
    let mut memory_json = serde_json::Map::new();
    let mut row = |name: &str, f: &dyn Fn(&BTreeMap<String, TreeMem>) -> TreeMem| {
        let mems: Vec<TreeMem> = memory_runs.iter().map(f).collect();
        let rss: Vec<f64> = mems.iter().map(|m| m.rss_kib as f64 / 1024.0).collect();
        let pss: Vec<f64> = mems
            .iter()
            .filter_map(|m| m.pss_kib.map(|p| p as f64 / 1024.0))
            .collect();
        let (rss_med, rss_min, rss_max) = median_min_max(&rss);
        let (pss_med, _, _) = median_min_max(&pss);
        let procs = mems.iter().map(|m| m.count).max().unwrap_or(0);
        let pss_text = if pss.len() == mems.len() {
            format!("{pss_med:>10.1}")
        } else {
            format!("{:>10}", "n/a")
        };
        println!(
            "  {name:<24} {procs:>5} {rss_med:>10.1} {rss_min:>10.1} {rss_max:>10.1} {pss_text}"
        );
        memory_json.insert(
            name.to_owned(),
            json!({"processes": procs, "rss_mib_median": rss_med, "rss_mib_min": rss_min,
                   "rss_mib_max": rss_max,
                   "pss_mib_median": (pss.len() == mems.len()).then_some(pss_med)}),
        );
    };
    for name in &names {
        row(name, &|m| m.get(name).copied().unwrap_or_default());
    }
    row("total", &|m| {
        m.values().fold(TreeMem::default(), |acc, x| acc + *x)
    });
    println!(
        "  (MiB; per-name medians are taken separately, so they need not add up to the total)"
    );
    report.insert("memory".into(), Value::Object(memory_json));

    // 3. Bridge cost per chunk, in one more launch on the reused dir.
    if args.rounds > 0 {
        let (shell, window, _) = launch_shell(&shell_bin, &host_bin, dir.path(), &shared, &file)?;
        let direct = ApiHost::start(&host_bin, reqwest::Client::new())?;
        let mut page_all = Samples::default();
        let mut direct_all = Samples::default();
        println!();
        println!(
            "per-chunk latency, provider send -> reader, {} rounds of {} chunks {} µs apart (µs)",
            args.rounds, args.chunks, args.interval_us
        );
        // An untimed warm-up turn on each path.
        direct_turn(&runtime, &direct, Reply::clock_stream(50, args.interval_us))?;
        page_turn(&shell, &window, Reply::clock_stream(50, args.interval_us))?;
        for round in 0..args.rounds {
            // Alternating which path goes first, so drift hits both alike.
            let reply = || Reply::clock_stream(args.chunks, args.interval_us);
            let (d, p) = if round % 2 == 0 {
                let d = direct_turn(&runtime, &direct, reply())?;
                (d, page_turn(&shell, &window, reply())?)
            } else {
                let p = page_turn(&shell, &window, reply())?;
                (direct_turn(&runtime, &direct, reply())?, p)
            };
            if d.ms_clock.len() != args.chunks || p.ms_clock.len() != args.chunks {
                return Err(format!(
                    "lost chunks: direct {} / page {} of {}",
                    d.ms_clock.len(),
                    p.ms_clock.len(),
                    args.chunks
                )
                .into());
            }
            eprintln!(
                "  round {:>2}: direct p50 {:>6.0} (exact {:>6.0})   page p50 {:>6.0}",
                round + 1,
                percentile(&d.ms_clock, 0.5),
                percentile(&d.exact, 0.5),
                percentile(&p.ms_clock, 0.5),
            );
            direct_all.extend(d);
            page_all.extend(p);
        }
        let stats = |v: &[f64]| {
            (
                percentile(v, 0.5),
                percentile(v, 0.95),
                percentile(v, 0.99),
                mean(v),
            )
        };
        let (d50, d95, d99, dmean) = stats(&direct_all.ms_clock);
        let (x50, x95, x99, xmean) = stats(&direct_all.exact);
        let (p50, p95, p99, pmean) = stats(&page_all.ms_clock);
        let phases: Vec<f64> = direct_all
            .phases
            .iter()
            .chain(&page_all.phases)
            .copied()
            .collect();
        let (low, high) = phase_spread(&phases);
        println!(
            "  {} chunks per path; both stamped with a 1 ms wall clock, mid-millisecond",
            direct_all.ms_clock.len()
        );
        println!(
            "  {:<38} {:>7} {:>7} {:>7} {:>7}",
            "", "p50", "p95", "p99", "mean"
        );
        println!(
            "  {:<38} {x50:>7.0} {x95:>7.0} {x99:>7.0} {xmean:>7.0}",
            "host read directly, exact clock"
        );
        println!(
            "  {:<38} {d50:>7.0} {d95:>7.0} {d99:>7.0} {dmean:>7.0}",
            "host read directly, 1 ms clock"
        );
        println!(
            "  {:<38} {p50:>7.0} {p95:>7.0} {p99:>7.0} {pmean:>7.0}",
            "page via hostapi:// bridge, 1 ms clock"
        );
        println!(
            "  {:<38} {:>+7.0} {:>+7.0} {:>+7.0} {:>+7.0}",
            "bridge cost (page - direct, 1 ms)",
            p50 - d50,
            p95 - d95,
            p99 - d99,
            pmean - dmean
        );
        println!(
            "  send phase within the millisecond: 0.1 ms bins hold {:.3}-{:.3} of chunks (0.100 = uniform)",
            low, high
        );
        report.insert(
            "bridge".into(),
            json!({"chunks_per_path": direct_all.ms_clock.len(), "interval_us": args.interval_us,
                   "direct_exact_us": {"p50": x50, "p95": x95, "p99": x99, "mean": xmean},
                   "direct_ms_clock_us": {"p50": d50, "p95": d95, "p99": d99, "mean": dmean},
                   "page_ms_clock_us": {"p50": p50, "p95": p95, "p99": p99, "mean": pmean},
                   "cost_us": {"p50": p50 - d50, "p95": p95 - d95, "p99": p99 - d99,
                               "mean": pmean - dmean},
                   "phase_bin_share": [low, high]}),
        );
        let launched = direct.launched;
        launched.stop()?;
        shell.stop()?;
    }
    // 4. An outside write reaching a clean window's editor.
    if args.writes > 0 {
        let (shell, window, _) = launch_shell(&shell_bin, &host_bin, dir.path(), &shared, &file)?;
        let samples = outside_writes(&shell, &window, &file, args.writes)?;
        let (median, min, max) = median_min_max(&samples);
        println!();
        println!(
            "outside write (append) -> text in the clean editor's DOM, {} writes (ms)",
            samples.len()
        );
        println!(
            "  median {median:.1}  p95 {:.1}  min {min:.1}  max {max:.1}",
            percentile(&samples, 0.95)
        );
        report.insert(
            "outside_write".into(),
            json!({"median_ms": median, "p95_ms": percentile(&samples, 0.95), "min_ms": min,
                   "max_ms": max, "samples_ms": samples}),
        );
        shell.stop()?;
    }
    println!("{}", Value::Object(report));
    Ok(())
}

/// Appends a fresh line to `file` `writes` times, each time timing the
/// append (wall clock, here) to the moment the page's editor shows it (wall
/// clock, stamped by a MutationObserver in the page). The page is waiting
/// before the append happens: another thread writes 300 ms after the eval
/// went out.
fn outside_writes(shell: &Shell, window: &Value, file: &Path, writes: usize) -> Result<Vec<f64>> {
    let mut samples = Vec::with_capacity(writes);
    for n in 0..writes {
        let marker = format!("outside-write-{n}-{}", std::process::id());
        let script = format!(
            r#"
const marker = {marker};
const shown = () => {{
  const e = document.querySelector('.cm-content');
  return !!e && e.textContent.includes(marker);
}};
return await new Promise((resolve, reject) => {{
  const observer = new MutationObserver(() => {{
    if (shown()) {{ observer.disconnect(); resolve(Date.now() + 0.5); }}
  }});
  observer.observe(document, {{ subtree: true, childList: true, characterData: true }});
  setTimeout(() => {{ observer.disconnect(); reject(new Error('never shown')); }}, 20000);
}});
"#,
            marker = serde_json::to_string(&marker)?
        );
        let path = file.to_path_buf();
        let line = format!("{marker}\n");
        let writer = std::thread::spawn(move || -> std::io::Result<f64> {
            std::thread::sleep(Duration::from_millis(300));
            let mut f = std::fs::OpenOptions::new().append(true).open(&path)?;
            let at = epoch_ms();
            std::io::Write::write_all(&mut f, line.as_bytes())?;
            Ok(at)
        });
        let shown_at = shell.eval(window, &script)?;
        let written_at = writer.join().map_err(|_| "the writer panicked")??;
        let shown_at = shown_at.as_f64().ok_or("no time from the page")?;
        let ms = shown_at - written_at;
        eprintln!("  outside write {:>2}: {ms:.1} ms", n + 1);
        samples.push(ms);
    }
    Ok(samples)
}
