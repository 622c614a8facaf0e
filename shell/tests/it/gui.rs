//! The real shell (tao window, wry/WebKitGTK webview, real `agent-host`)
//! in `--self-test` mode. It needs a display: with `DISPLAY` unset the
//! shell is run under `dbus-run-session -- xvfb-run -a` (apt packages
//! `xvfb xauth dbus`, installed by scripts/setup.sh); with neither a display
//! nor `xvfb-run` the tests fail rather than pass without running.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::{html_server, shell_pid};
use testkit::{alive, eventually, host_binary, signal, TestProvider};

/// The shell gives itself 30 s; this is the outer bound including start-up.
const LIMIT: Duration = Duration::from_secs(60);

/// The command that runs the shell with a display, or `None` to skip.
fn shell_command() -> Option<Command> {
    let shell = env!("CARGO_BIN_EXE_agent-shell");
    if std::env::var_os("DISPLAY").is_some_and(|d| !d.is_empty()) {
        return Some(Command::new(shell));
    }
    let on_path = |name: &str| {
        std::env::var_os("PATH")
            .is_some_and(|path| std::env::split_paths(&path).any(|d| d.join(name).is_file()))
    };
    assert!(
        on_path("xvfb-run") && on_path("dbus-run-session"),
        "no DISPLAY and no xvfb-run/dbus-run-session: run scripts/setup.sh (apt-get install xvfb xauth dbus)"
    );
    let mut command = Command::new("dbus-run-session");
    command.args(["--", "xvfb-run", "-a", shell]);
    Some(command)
}

/// Runs the shell to completion (bounded by [`LIMIT`]) and returns its
/// output and how long it took.
fn run_shell(mut command: Command, args: &[&str], user_data: &Path) -> (Output, Duration) {
    command
        .args(args)
        .arg("--user-data")
        .arg(user_data)
        .arg("--host-program")
        .arg(host_binary())
        .env("RUST_LOG", "warn,renderer_bridge=debug")
        // No keyring prompt under a bare dbus-run-session: keys go to a file.
        .env("AGENT_HOST_SECRET_BACKEND", "file")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = command.spawn().expect("spawn the shell");
    let pid = child.id();
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = stdout.read_to_end(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = stderr.read_to_end(&mut s);
        s
    });
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > LIMIT {
            signal(pid, libc::SIGKILL);
            let _ = child.wait();
            panic!(
                "the shell ran longer than {LIMIT:?}; stderr:\n{}",
                String::from_utf8_lossy(&err.join().unwrap_or_default())
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let output = Output {
        status,
        stdout: out.join().expect("stdout reader"),
        stderr: err.join().expect("stderr reader"),
    };
    (output, started.elapsed())
}

/// The last stdout line that is a JSON object.
fn report(output: &Output) -> serde_json::Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout
        .lines()
        .rev()
        .find_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .unwrap_or_else(|| {
            panic!(
                "no JSON line on stdout:\n{stdout}\nstderr:\n{}",
                String::from_utf8_lossy(&output.stderr)
            )
        })
}

fn assert_host_gone(report: &serde_json::Value) {
    let pid = report["host_pid"].as_u64().expect("host_pid in the report") as u32;
    assert!(
        eventually(Duration::from_secs(2), || !alive(pid)),
        "agent-host {pid} outlived the shell"
    );
}

#[test]
fn self_test_fetches_health_through_the_bridge_and_leaves_no_host() {
    let Some(command) = shell_command() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let (output, took) = run_shell(command, &["--self-test"], dir.path());
    let report = report(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "exit {:?}: {report}\n{stderr}",
        output.status
    );
    assert_eq!(report["status"], 200, "{report}\n{stderr}");
    assert_eq!(report["body"]["status"], "ok", "{report}");
    assert!(report["body"]["version"].is_string(), "{report}");
    assert!(took < LIMIT);
    assert_host_gone(&report);
}

/// A loopback server answering every GET with a small HTML page.
fn page_server() -> String {
    html_server("<!doctype html><title>probe</title><p>probe</p>")
}

/// The renderer is at `renderer` (a plain page served by the test), the
/// probe page at `probe`: the probe must get no `window.desktop`, and its
/// own fetch of `hostapi://` must not get the host's answer.
fn probe(renderer: &str, probe: &str) {
    let Some(command) = shell_command() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let (output, _) = run_shell(
        command,
        &[
            "--self-test",
            "--renderer-url",
            renderer,
            "--self-test-probe",
            probe,
        ],
        dir.path(),
    );
    let report = report(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{report}\n{stderr}");
    assert_eq!(report["status"], 200, "the renderer itself works: {report}");
    let probe_report = &report["probe"];
    assert_eq!(probe_report["url"], probe, "{report}");
    assert_eq!(probe_report["desktop"], "undefined", "{report}");
    let fetch = &probe_report["fetch"];
    let refused = fetch["rejected"].is_string() || fetch["status"] == 403;
    assert!(
        refused,
        "a hostapi:// fetch from {probe} was not refused: {report}\n{stderr}"
    );
    assert!(
        !fetch["body"].as_str().unwrap_or("").contains("uptime_ms"),
        "{report}"
    );
    // The shell's own actions are refused too (had `quit` been taken, the
    // app would have closed before reporting).
    let shell = &probe_report["shell"];
    assert!(
        shell["rejected"].is_string() || shell["status"] == 403,
        "hostapi://shell/quit from {probe} was not refused: {report}\n{stderr}"
    );
    assert_host_gone(&report);
}

#[test]
fn desktop_x_path_gets_no_bridge() {
    let origin = page_server();
    probe(&origin, &format!("{origin}/desktopX"));
}

#[test]
fn foreign_origin_gets_no_bridge() {
    let renderer = page_server();
    let foreign = page_server();
    probe(&renderer, &format!("{foreign}/desktop/"));
}

// ---------------------------------------------------------------------
// The bridge's security claims, in the real shell: `--self-test-script`
// runs a script in the renderer page once `/health` answered through the
// bridge, and reports its return value as `script`.
// ---------------------------------------------------------------------

/// Runs the shell's self-test with `script` (an async function body) in the
/// renderer page; returns the whole report (checked: exit 0, health 200,
/// host gone) and the script's `result`.
fn run_script(
    dir: &Path,
    script: &str,
    extra: &[&str],
) -> Option<(serde_json::Value, serde_json::Value, String)> {
    let command = shell_command()?;
    let file = dir.join("self-test-script.js");
    std::fs::write(&file, script).expect("write the script");
    let file = file.to_str().expect("utf-8 path").to_owned();
    let mut args = vec!["--self-test", "--self-test-script", &file];
    args.extend_from_slice(extra);
    let user_data = dir.join("user-data");
    let (output, _) = run_shell(command, &args, &user_data);
    let report = report(&output);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "exit {:?}: {report}\n{stderr}",
        output.status
    );
    assert_eq!(report["status"], 200, "{report}\n{stderr}");
    assert_host_gone(&report);
    let result = report["script"]["result"].clone();
    assert!(!result.is_null(), "the script failed: {report}\n{stderr}");
    Some((report, result, stderr))
}

/// Configures the host through the bridge from the page:
/// `JSON` helper, key, provider at `__PROVIDER__`, a session in `id`.
const CONFIGURE_PROVIDER: &str = r#"
const call = async (method, path, body) => {
  const r = await window.desktop.fetch(path, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return r;
};
const step = async (name, r) => {
  if (r.status !== 200) throw new Error(name + ': ' + r.status + ' ' + (await r.text()));
  return r.json();
};
await step('secret', await call('PUT', '/secrets/openrouter', { key: 'sk-test' }));
await step('provider', await call('PUT', '/providers/openrouter', { base_url: '__PROVIDER__' }));
const id = (await step('session', await call('POST', '/sessions', {}))).id;
"#;

/// An agent turn's event stream reaches the page's `fetch` body chunk by
/// chunk: the provider sends "first ", waits 1.5 s, sends "last"; the page
/// must see "first" well before "last".
#[test]
fn event_stream_reaches_the_page_chunk_by_chunk() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The scripted provider runs in this process.
    let provider = TestProvider::start(
        serde_json::from_value(serde_json::json!([{"kind": "stream", "events": [
            {"kind": "text", "text": "first "},
            {"kind": "delay", "ms": 1500},
            {"kind": "text", "text": "last"},
            {"kind": "finish", "reason": "stop"},
            {"kind": "done"}
        ]}]))
        .expect("a provider script"),
    );
    let script = CONFIGURE_PROVIDER.replace("__PROVIDER__", &provider.base_url())
        + r#"
const t0 = performance.now();
const r = await call('POST', '/sessions/' + id + '/turns', { message: 'hi' });
const head_ms = performance.now() - t0;
const reader = r.body.getReader();
const decoder = new TextDecoder();
const chunks = [];
for (;;) {
  const { done, value } = await reader.read();
  if (done) break;
  chunks.push({ ms: performance.now() - t0, text: decoder.decode(value, { stream: true }) });
}
return { status: r.status, content_type: r.headers.get('content-type'), head_ms, chunks };
"#;
    let Some((report, result, stderr)) = run_script(dir.path(), &script, &[]) else {
        return;
    };
    assert_eq!(result["status"], 200, "{report}\n{stderr}");
    assert!(
        result["content_type"]
            .as_str()
            .is_some_and(|c| c.starts_with("text/event-stream")),
        "{report}"
    );
    let chunks = result["chunks"].as_array().expect("chunks");
    let at = |needle: &str| {
        chunks
            .iter()
            .find(|c| c["text"].as_str().is_some_and(|t| t.contains(needle)))
            .and_then(|c| c["ms"].as_f64())
            .unwrap_or_else(|| panic!("no chunk with {needle:?}: {report}"))
    };
    let (first, last) = (at("first"), at("last"));
    eprintln!(
        "chunks: {} ; head {:.0} ms, \"first\" at {first:.0} ms, \"last\" at {last:.0} ms",
        chunks.len(),
        result["head_ms"].as_f64().unwrap_or(-1.0)
    );
    assert!(
        last - first >= 1000.0,
        "\"first\" ({first:.0} ms) and \"last\" ({last:.0} ms) arrived together: the stream was buffered: {report}"
    );
    let text: String = chunks.iter().filter_map(|c| c["text"].as_str()).collect();
    assert!(text.contains("[DONE]"), "{text}");
}

/// The page a cross-origin iframe loads: it reports to its parent whether
/// it sees `window.desktop`, what a `hostapi://` read gets, and tries a
/// blind no-cors write (a new session) through the scheme.
const FRAME_PAGE: &str = r#"<!doctype html><title>frame</title><script>
(async () => {
  const out = { origin: location.origin, desktop: typeof window.desktop };
  try { out.parent_desktop = typeof parent.desktop; } catch (e) { out.parent_desktop = 'blocked: ' + e.name; }
  try {
    const r = await fetch('hostapi://host/health', { cache: 'no-store' });
    out.fetch = { status: r.status, body: await r.text() };
  } catch (e) { out.fetch = { rejected: String(e) }; }
  try {
    const r = await fetch('hostapi://host/sessions', {
      method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ title: 'from the frame' }),
    });
    out.write = { type: r.type, status: r.status };
  } catch (e) { out.write = { rejected: String(e) }; }
  try {
    // A blind shell action: had it been taken, the app would have quit
    // before the renderer could report.
    const r = await fetch('hostapi://shell/quit', {
      method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: '{}',
    });
    out.quit = { type: r.type, status: r.status };
  } catch (e) { out.quit = { rejected: String(e) }; }
  parent.postMessage(out, '*');
})();
</script>"#;

/// A cross-origin iframe inside the renderer gets no `window.desktop`, its
/// reads through the scheme are refused, and its blind writes never reach
/// the host.
#[test]
fn cross_origin_iframe_in_the_renderer_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let frame = format!("{}/frame.html", html_server(FRAME_PAGE));
    let script = r#"
const frameUrl = '__FRAME__';
const got = new Promise((resolve) => {
  addEventListener('message', (e) => { if (e.origin === new URL(frameUrl).origin) resolve(e.data); });
});
const iframe = document.createElement('iframe');
iframe.src = frameUrl;
document.body.appendChild(iframe);
const frame = await Promise.race([got, new Promise((r) => setTimeout(() => r({ timeout: true }), 10000))]);
await new Promise((r) => setTimeout(r, 300));
const sessions = (await (await window.desktop.fetch('/sessions')).json()).total;
return { frame, sessions };
"#
    .replace("__FRAME__", &frame);
    // A plain page as the renderer: the embedded build's Content-Security-
    // Policy admits no cross-origin frame at all (a renderer served by a
    // dev server, `--renderer-url`, has none).
    let renderer = page_server();
    let Some((report, result, stderr)) = run_script(
        dir.path(),
        &script,
        &["--renderer-url", &renderer, "--self-test-allow", &frame],
    ) else {
        return;
    };
    let frame_report = &result["frame"];
    assert!(
        frame_report["timeout"].is_null(),
        "the iframe never reported: {report}\n{stderr}"
    );
    assert_eq!(frame_report["desktop"], "undefined", "{report}");
    assert_ne!(frame_report["parent_desktop"], "object", "{report}");
    let fetch = &frame_report["fetch"];
    assert!(
        fetch["rejected"].is_string() || fetch["status"] == 403,
        "the iframe's hostapi:// read was not refused: {report}\n{stderr}"
    );
    assert!(
        !fetch["body"].as_str().unwrap_or("").contains("uptime_ms"),
        "{report}"
    );
    assert_eq!(
        result["sessions"], 0,
        "the iframe's write reached the host: {report}\n{stderr}"
    );
    // The refusal came from the bridge's Origin check in Rust (not only from
    // WebKit's CORS), and nothing the frame sent was forwarded.
    assert!(
        stderr.contains("bridge_origin_not_allowed"),
        "the bridge logged no origin refusal: {stderr}"
    );
    assert!(
        !stderr.contains(r#"bridging method=POST path="/sessions""#),
        "{stderr}"
    );
    eprintln!("iframe report: {frame_report}");
}

/// The service worker the renderer registers: it tells every client about
/// each fetch it intercepts, headers included.
const SERVICE_WORKER: &str = r#"
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));
self.addEventListener('fetch', (e) => {
  const headers = {};
  for (const [name, value] of e.request.headers) headers[name] = value;
  const seen = { url: e.request.url, method: e.request.method, headers };
  e.waitUntil(self.clients.matchAll({ includeUncontrolled: true })
    .then((clients) => clients.forEach((c) => c.postMessage(seen))));
});
"#;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

/// A service worker registered by the renderer sees no credential: it
/// intercepts the page's own fetches (checked), and whatever it sees of
/// the bridge's requests carries no `authorization` and no password.
#[test]
fn service_worker_of_the_renderer_sees_no_credential() {
    let dir = tempfile::tempdir().expect("tempdir");
    let renderer = dir.path().join("renderer");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../web/dist"),
        &renderer,
    );
    std::fs::write(renderer.join("sw.js"), SERVICE_WORKER).expect("write sw.js");
    std::fs::write(renderer.join("sw-probe.txt"), "probe").expect("write sw-probe.txt");
    let script = r#"
if (!navigator.serviceWorker) return { supported: false };
const seen = [];
navigator.serviceWorker.addEventListener('message', (e) => seen.push(e.data));
await navigator.serviceWorker.register('/desktop/sw.js', { scope: '/desktop/' });
await navigator.serviceWorker.ready;
if (!navigator.serviceWorker.controller) {
  await Promise.race([
    new Promise((r) => navigator.serviceWorker.addEventListener('controllerchange', r, { once: true })),
    new Promise((r) => setTimeout(r, 5000)),
  ]);
}
const controlled = !!navigator.serviceWorker.controller;
await (await fetch('/desktop/sw-probe.txt', { cache: 'no-store' })).text();
const health = await window.desktop.fetch('/health');
await health.text();
const put = await window.desktop.fetch('/secrets/openrouter', {
  method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key: 'sk-sw' }),
});
await put.text();
await new Promise((r) => setTimeout(r, 1000));
return {
  supported: true, controlled, health: health.status, put: put.status, seen,
  haystack: JSON.stringify(seen),
};
"#;
    let renderer_dir = renderer.to_str().expect("utf-8").to_owned();
    let Some((report, result, stderr)) =
        run_script(dir.path(), script, &["--renderer-dir", &renderer_dir])
    else {
        return;
    };
    assert_eq!(
        result["supported"], true,
        "no service workers here: {report}"
    );
    assert_eq!(result["controlled"], true, "{report}\n{stderr}");
    assert_eq!(result["health"], 200, "{report}");
    assert_eq!(result["put"], 200, "{report}");
    let seen = result["seen"].as_array().expect("seen");
    assert!(
        seen.iter().any(|s| s["url"]
            .as_str()
            .is_some_and(|u| u.ends_with("/sw-probe.txt"))),
        "the worker did not intercept the page's own fetch: {report}"
    );
    for request in seen {
        let headers = request["headers"].as_object().expect("headers");
        assert!(
            !headers
                .keys()
                .any(|k| k.eq_ignore_ascii_case("authorization")),
            "the worker saw an authorization header: {request}"
        );
    }
    let scan = &result["secret_scan"];
    assert_eq!(scan["password"], false, "{report}");
    assert_eq!(scan["basic_credential"], false, "{report}");
    assert_eq!(scan["host_address"], false, "{report}");
    let bridged: Vec<_> = seen
        .iter()
        .filter(|s| s["url"].as_str().is_some_and(|u| u.starts_with("hostapi:")))
        .collect();
    eprintln!(
        "service worker intercepted {} request(s), {} of them hostapi://: {:?}",
        seen.len(),
        bridged.len(),
        bridged
    );
}

/// After bridge calls (including a provider key write), nothing the page's
/// JavaScript can reach holds the host's password, its Basic credential or
/// its address: `window.desktop`, cookies, storage, performance entries,
/// the DOM, response headers and a walk of `window` two levels deep.
#[test]
fn password_is_nowhere_in_the_page_state() {
    let dir = tempfile::tempdir().expect("tempdir");
    let script = r#"
const parts = [];
const push = (s) => { try { parts.push(typeof s === 'string' ? s : JSON.stringify(s)); } catch (_) {} };
const r0 = await window.desktop.fetch('/secrets/openrouter', {
  method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key: 'sk-heap' }),
});
const put = r0.status;
for (const [k, v] of r0.headers) push(k + ': ' + v);
push(await r0.text());
const r1 = await window.desktop.fetch('/health');
for (const [k, v] of r1.headers) push(k + ': ' + v);
push(await r1.text());
push(JSON.stringify(window.desktop));
push(Object.getOwnPropertyNames(window.desktop));
for (const name of Object.getOwnPropertyNames(window.desktop)) push(String(window.desktop[name]));
push(document.cookie);
for (const store of [localStorage, sessionStorage]) {
  try { for (let i = 0; i < store.length; i++) { const k = store.key(i); push(k); push(store.getItem(k)); } } catch (_) {}
}
for (const e of performance.getEntries()) push(JSON.stringify(e.toJSON ? e.toJSON() : e.name));
push(document.documentElement.outerHTML);
try { push(await indexedDB.databases()); } catch (_) {}
try { push(await caches.keys()); } catch (_) {}
const visited = new Set();
let walked = 0;
const walk = (obj, depth) => {
  if (obj === null || (typeof obj !== 'object' && typeof obj !== 'function') || visited.has(obj)) return;
  visited.add(obj);
  let names = [];
  try { names = Object.getOwnPropertyNames(obj); } catch (_) { return; }
  for (const name of names) {
    walked++;
    push(name);
    let value;
    try { value = obj[name]; } catch (_) { continue; }
    if (typeof value === 'string') push(value);
    else if (depth < 2) walk(value, depth + 1);
  }
};
walk(window, 0);
const haystack = parts.join('\n');
return { put, parts: parts.length, walked, has_basic: haystack.includes('Basic '), haystack };
"#;
    let Some((report, result, stderr)) = run_script(dir.path(), script, &[]) else {
        return;
    };
    let scan = &result["secret_scan"];
    assert!(
        scan["chars"].as_u64().unwrap_or(0) > 10_000,
        "the page collected too little to mean anything: {report}\n{stderr}"
    );
    assert_eq!(result["put"], 200, "{report}\n{stderr}");
    assert!(result["walked"].as_u64().unwrap_or(0) > 1000, "{report}");
    assert_eq!(
        scan["password"], false,
        "the password is in the page: {report}"
    );
    assert_eq!(scan["basic_credential"], false, "{report}");
    assert_eq!(scan["host_address"], false, "{report}");
    assert_eq!(result["has_basic"], false, "{report}");
    eprintln!("heap scan: {scan}, {} strings", result["parts"]);
}

#[test]
fn sigterm_closes_the_shell_and_stops_its_host() {
    let Some(mut command) = shell_command() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let user_data = dir.path().join("user-data");
    let user_data_arg = user_data.to_str().expect("utf-8").to_owned();
    let mut child = command
        .arg("--user-data")
        .arg(&user_data)
        .arg("--host-program")
        .arg(host_binary())
        .env("AGENT_HOST_SECRET_BACKEND", "file")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the shell");
    let socket = user_data.join("host.sock");
    let ready = eventually(LIMIT, || socket.exists());
    let shell = shell_pid(&user_data_arg);
    let host_pid = ready.then(|| shell.and_then(host_child_of)).flatten();
    let (Some(host_pid), Some(shell)) = (host_pid, shell) else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("the shell or its host did not come up");
    };
    signal(shell, libc::SIGTERM);
    let exited = eventually(Duration::from_secs(5), || {
        matches!(child.try_wait(), Ok(Some(_)))
    });
    if !exited {
        let _ = child.kill();
    }
    let status = child.wait().expect("wait");
    assert!(exited, "the shell did not exit after SIGTERM");
    assert!(status.success(), "SIGTERM is a clean exit, got {status:?}");
    assert!(
        eventually(Duration::from_secs(2), || !alive(host_pid)),
        "the host outlived the shell"
    );
    assert!(!socket.exists(), "the host's stop removed its socket");
}

/// The `agent-host` process whose parent is `shell`.
fn host_child_of(shell: u32) -> Option<u32> {
    testkit::pids().find(|pid| {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let parent_of = |stat: &str| {
            let (comm, rest) = stat.split_once(" (")?.1.rsplit_once(") ")?;
            let ppid: u32 = rest.split_whitespace().nth(1)?.parse().ok()?;
            Some(comm == "agent-host" && ppid == shell)
        };
        parent_of(&stat) == Some(true)
    })
}
