//! The `--self-test` sequence (tests only): `/health` through
//! `window.desktop` on the renderer, then optionally a probe page
//! (`--self-test-probe`) or a script run in the renderer page
//! (`--self-test-script`), reported as one JSON line on stdout.

use agent_shell::supervisor::HostState;

/// The `--self-test` state machine.
pub struct SelfTest {
    start_url: String,
    probe: Option<String>,
    /// The script's body (an async function body), when there is one.
    script: Option<String>,
    health: Option<serde_json::Value>,
}

pub enum Progress {
    Continue,
    Done(i32),
}

impl SelfTest {
    pub fn new(start_url: String, probe: Option<String>, script: Option<String>) -> Self {
        Self {
            start_url,
            probe,
            script,
            health: None,
        }
    }

    /// The script to run on a page that finished loading, if it is one of
    /// the self-test's pages.
    pub fn script_for(&self, url: &str) -> Option<String> {
        if self.health.is_none() && url == self.start_url {
            return Some(HEALTH_SCRIPT.to_owned());
        }
        if self.health.is_some() && self.probe.as_deref() == Some(url) {
            return Some(PROBE_SCRIPT.to_owned());
        }
        None
    }

    /// Takes the page's report; the host that answered (its pid, and for a
    /// script's `haystack` its password) comes from `host`.
    pub fn record(&mut self, report: String, host: &HostState, webview: &wry::WebView) -> Progress {
        let mut value: serde_json::Value =
            serde_json::from_str(&report).unwrap_or_else(|_| serde_json::json!({"error": report}));
        if !value.is_object() {
            value = serde_json::json!({ "error": value });
        }
        let Some(mut line) = self.health.take() else {
            value["host_pid"] = match host {
                HostState::Ready { pid, .. } => (*pid).into(),
                _ => serde_json::Value::Null,
            };
            let ok = value.get("status").and_then(|s| s.as_u64()) == Some(200);
            if !ok {
                println!("{value}");
                return Progress::Done(1);
            }
            if let Some(probe) = &self.probe {
                self.health = Some(value);
                if let Err(error) = webview.load_url(probe) {
                    println!(
                        "{}",
                        serde_json::json!({"error": format!("cannot load the probe: {error}")})
                    );
                    return Progress::Done(1);
                }
                return Progress::Continue;
            }
            if let Some(body) = &self.script {
                self.health = Some(value);
                if let Err(error) = webview.evaluate_script(&script_wrapper(body, "{}")) {
                    println!(
                        "{}",
                        serde_json::json!({"error": format!("cannot run the script: {error}")})
                    );
                    return Progress::Done(1);
                }
                return Progress::Continue;
            }
            println!("{value}");
            return Progress::Done(0);
        };
        if self.probe.is_some() {
            line["probe"] = value;
        } else {
            scan_haystack(&mut value, host);
            line["script"] = value;
        }
        println!("{line}");
        Progress::Done(0)
    }
}

/// Replaces a string `result.haystack` by `result.secret_scan`: its length
/// and whether the host's password, its Basic credential or its loopback
/// address occur in it. The haystack itself is not printed.
fn scan_haystack(report: &mut serde_json::Value, host: &HostState) {
    let Some(result) = report.get_mut("result").and_then(|r| r.as_object_mut()) else {
        return;
    };
    let Some(haystack) = result.remove("haystack") else {
        return;
    };
    let haystack = haystack.as_str().unwrap_or_default();
    let scan = match host {
        HostState::Ready {
            port, connection, ..
        } => {
            let authorization = connection.authorization();
            let basic = authorization.trim_start_matches("Basic ");
            serde_json::json!({
                "chars": haystack.chars().count(),
                "password": haystack.contains(connection.password()),
                "basic_credential": haystack.contains(basic),
                "host_address": haystack.contains(&format!("127.0.0.1:{port}"))
                    || haystack.contains(&format!("localhost:{port}")),
            })
        }
        _ => serde_json::json!({ "error": "no ready host to compare with" }),
    };
    result.insert("secret_scan".to_owned(), scan);
}

/// Runs `body` as an async function in the page and posts `{result}` or
/// `{error}` to wry's IPC, each merged with `tag` (a JavaScript object
/// literal, e.g. `{}` or `{ __eval: 3 }`). Shared with the control socket.
pub fn script_wrapper(body: &str, tag: &str) -> String {
    format!(
        r#"(async () => {{
  const post = (o) => window.ipc.postMessage(JSON.stringify(Object.assign({tag}, o)));
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

/// Fetches `/health` through `window.desktop`, retrying while the host is
/// still starting (503), and reports `{status, body}`.
const HEALTH_SCRIPT: &str = r#"(async () => {
  const post = (o) => window.ipc.postMessage(JSON.stringify(o));
  try {
    if (!window.desktop) return post({ error: 'no window.desktop on the renderer' });
    for (let i = 0; i < 250; i++) {
      const r = await window.desktop.fetch('/health');
      if (r.status === 503) { await new Promise((res) => setTimeout(res, 100)); continue; }
      const text = await r.text();
      let body;
      try { body = JSON.parse(text); } catch (_) { body = text; }
      return post({ status: r.status, body });
    }
    post({ error: 'the host never became ready' });
  } catch (e) {
    post({ error: String(e) });
  }
})();"#;

/// On the probe page: is there a `window.desktop`, and what does a direct
/// `hostapi://` fetch get, and a shell action (a refusal shows as a
/// rejected fetch: the 403 carries no CORS grant for a foreign origin).
const PROBE_SCRIPT: &str = r#"(async () => {
  const post = (o) => window.ipc.postMessage(JSON.stringify(o));
  const report = { url: location.href, desktop: typeof window.desktop };
  try {
    const r = await fetch('hostapi://host/health', { cache: 'no-store' });
    report.fetch = { status: r.status, body: await r.text() };
  } catch (e) {
    report.fetch = { rejected: String(e) };
  }
  try {
    // A shell action (quit!) from this page must be refused as well.
    const r = await fetch('hostapi://shell/quit', { method: 'POST', body: '{}', cache: 'no-store' });
    report.shell = { status: r.status, body: await r.text() };
  } catch (e) {
    report.shell = { rejected: String(e) };
  }
  post(report);
})();"#;
