//! Live-document benchmarks (docs/benchmarks.md, "Live documents"), against
//! the real release `agent-host` started through the launcher:
//!
//! 1. host memory with 1,000 watched documents: `VmRSS`/`VmHWM` after
//!    start, after registering (`POST /documents`) 1,000 files spread over
//!    100 directories (each registration watches the file through inotify
//!    on its directory), and after reading each once (`GET
//!    /documents/{id}`); target ≤ 30 MB;
//! 2. external write → event: with `GET /events` open, an append to one of
//!    those files (`O_APPEND` write, as `printf >> file` does) until the
//!    `document.changed` frame with `source: "external"` for it arrives;
//!    includes the watcher's 30 ms debounce;
//! 3. agent `edit_document` on a 1 MB document (target ≤ 20 ms host time):
//!    from sending the approval (`POST /sessions/{id}/approvals/{aid}`) to
//!    the turn stream's `tool-output-available` frame: the host reads the
//!    file, applies the edit, writes it atomically, checkpoints before and
//!    after in `sessions.db` and emits the frame. A window Save (`PUT
//!    /documents/{id}`) of the same 1 MB text is timed as a reference;
//! 4. checkpoint storage for 100 turns of a document session, each editing
//!    one line of a 100 KB file: growth of `sessions.db` and its `-wal` on
//!    disk, and (with the `sqlite3` command-line tool, after the host
//!    stopped) the blob bytes and the bytes per table.
//!
//! The scripted OpenAI-compatible provider runs in this process; each part
//! gets a fresh host and user-data directory. The last stdout line is JSON
//! with every figure. Run: `cargo build --release -p agent-host -p
//! agent-bench && target/release/docs-bench`.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use agent_bench::api_host::ApiHost;
use agent_bench::procfs::{load_average, mib, MemSnapshot};
use agent_bench::stats::{mean, median_min_max, percentile};
use agent_client::SseParser;
use agent_provider::scripted::{Reply, ScriptedProvider};
use futures_util::StreamExt;
use reqwest::Method;
use serde_json::{json, Value};
use tokio::sync::mpsc;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

const USAGE: &str = "usage: docs-bench [--docs N (1000)] [--dirs N (100)] [--events N (50)] \
                     [--edits N (20)] [--turns N (100)]";

/// Every wait for a frame stays under this.
const WAIT: Duration = Duration::from_secs(10);
/// Host RSS with the watched documents must stay at most this (MB, 10^6).
const TARGET_RSS_MB: f64 = 30.0;
/// `edit_document` on a 1 MB document, host time, median at most this.
const TARGET_EDIT_MS: f64 = 20.0;
/// Bytes per line of the generated documents (79 characters and `\n`).
const LINE: usize = 80;

struct Args {
    docs: usize,
    dirs: usize,
    events: usize,
    edits: usize,
    turns: usize,
}

fn args() -> std::result::Result<Args, String> {
    let mut args = Args {
        docs: 1000,
        dirs: 100,
        events: 50,
        edits: 20,
        turns: 100,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--help" || flag == "-h" {
            return Err(String::new());
        }
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        let n: usize = value
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .ok_or(format!("{flag}: not a positive number: {value}"))?;
        match flag.as_str() {
            "--docs" => args.docs = n,
            "--dirs" => args.dirs = n,
            "--events" => args.events = n,
            "--edits" => args.edits = n,
            "--turns" => args.turns = n,
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    // Each sample edits a line of its own in the generated documents.
    if args.edits > 1000 || args.turns > 1000 {
        return Err("--edits and --turns are at most 1000".into());
    }
    Ok(args)
}

/// A fresh host next to this binary. The custom provider needs no key, so
/// no keyring is involved.
fn start_host() -> Result<ApiHost> {
    let program = ApiHost::sibling_program("docs-bench")?;
    ApiHost::start(&program, reqwest::Client::new())
}

/// One SSE frame as it arrived: when, its id, its data (`[DONE]` as a
/// string).
struct Stamped {
    at: Instant,
    id: Option<String>,
    data: Value,
}

/// An SSE body read by a task of its own, which stamps each frame with the
/// time its bytes arrived. Dropping it stops the task and closes the body.
struct Frames {
    rx: mpsc::UnboundedReceiver<Stamped>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Frames {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Frames {
    fn read(response: reqwest::Response) -> Frames {
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            let mut body = response.bytes_stream();
            let mut parser = SseParser::default();
            while let Some(Ok(chunk)) = body.next().await {
                let at = Instant::now();
                for frame in parser.push(&chunk) {
                    let data =
                        serde_json::from_str(&frame.data).unwrap_or(Value::String(frame.data));
                    if tx
                        .send(Stamped {
                            at,
                            id: frame.id,
                            data,
                        })
                        .is_err()
                    {
                        return;
                    }
                }
            }
        });
        Frames { rx, task }
    }

    /// Frames until one satisfies `wanted`; an error after [`WAIT`], when
    /// the stream ends, or at a frame `fatal` matches.
    async fn until(
        &mut self,
        what: &str,
        wanted: impl Fn(&Value) -> bool,
        fatal: impl Fn(&Value) -> bool,
    ) -> Result<Stamped> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Err(_) => return Err(format!("no {what} within {WAIT:?}").into()),
                Ok(None) => return Err(format!("stream ended before {what}").into()),
                Ok(Some(frame)) if wanted(&frame.data) => return Ok(frame),
                Ok(Some(frame)) if fatal(&frame.data) => {
                    return Err(format!("waiting for {what}: {}", frame.data).into())
                }
                Ok(Some(_)) => {}
            }
        }
    }

    /// Waits for the body to end (a turn's stream ends when its turn has
    /// released the session).
    async fn end(&mut self) -> Result<()> {
        let deadline = tokio::time::Instant::now() + WAIT;
        while tokio::time::timeout_at(deadline, self.rx.recv())
            .await
            .map_err(|_| format!("the stream did not end within {WAIT:?}"))?
            .is_some()
        {}
        Ok(())
    }
}

/// A text of `lines` lines of [`LINE`] bytes each, numbered, so any whole
/// line occurs exactly once.
fn text(lines: usize) -> String {
    (0..lines).map(|n| line(n, "lorem")).collect()
}

/// Line `n` of [`text`] with `word` in it (5 letters keep the length).
fn line(n: usize, word: &str) -> String {
    let mut l = format!("{n:06} {word} ipsum dolor sit amet, consectetur adipiscing elit, sed do");
    l.truncate(LINE - 1);
    while l.len() < LINE - 1 {
        l.push('.');
    }
    l.push('\n');
    l
}

/// `edit_document` arguments replacing line `n`'s text with `word`'s.
fn edit_args(n: usize, word: &str) -> String {
    let old = line(n, "lorem");
    let new = line(n, word);
    json!({"edits": [{"old": old.trim_end(), "new": new.trim_end()}]}).to_string()
}

fn mb(kib: u64) -> f64 {
    kib as f64 * 1024.0 / 1e6
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "PASS"
    } else {
        "FAIL"
    }
}

/// Median, p95, max and min of milliseconds.
fn stats_json(ms: &[f64]) -> Value {
    let (median, min, max) = median_min_max(ms);
    json!({"n": ms.len(), "median_ms": round3(median), "p95_ms": round3(percentile(ms, 0.95)),
           "min_ms": round3(min), "max_ms": round3(max), "mean_ms": round3(mean(ms)),
           "samples_ms": ms.iter().map(|v| round3(*v)).collect::<Vec<_>>()})
}

fn round3(v: f64) -> f64 {
    (v * 1e3).round() / 1e3
}

fn print_ms(label: &str, ms: &[f64]) {
    let (median, min, max) = median_min_max(ms);
    println!(
        "  {label:<34}: median {median:>7.2} ms   p95 {:>7.2}   min {min:>7.2}   max {max:>7.2}   (n={})",
        percentile(ms, 0.95),
        ms.len()
    );
}

fn elapsed_ms(from: Instant, to: Instant) -> f64 {
    to.saturating_duration_since(from).as_secs_f64() * 1e3
}

/// Open descriptors and inotify watches of `pid`, from `/proc`.
fn descriptors(pid: u32) -> (usize, usize) {
    let mut fds = 0;
    let mut watches = 0;
    if let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) {
        for entry in dir.flatten() {
            fds += 1;
            let target = std::fs::read_link(entry.path()).unwrap_or_default();
            if target.as_os_str() == "anon_inode:inotify" {
                let info = std::fs::read_to_string(format!(
                    "/proc/{pid}/fdinfo/{}",
                    entry.file_name().to_string_lossy()
                ))
                .unwrap_or_default();
                watches += info
                    .lines()
                    .filter(|l| l.starts_with("inotify wd:"))
                    .count();
            }
        }
    }
    (fds, watches)
}

/// The `sessions.db` the host `pid` has open (its user-data directory is
/// private to the launcher).
fn database_of(pid: u32) -> Result<PathBuf> {
    std::fs::read_dir(format!("/proc/{pid}/fd"))?
        .flatten()
        .filter_map(|e| std::fs::read_link(e.path()).ok())
        .find(|p| p.file_name().is_some_and(|n| n == "sessions.db"))
        .ok_or_else(|| "the host has no sessions.db open".into())
}

/// Sizes of `sessions.db` and its `-wal`, bytes (0 when absent).
fn db_sizes(db: &Path) -> (u64, u64) {
    let size = |p: PathBuf| std::fs::metadata(p).map_or(0, |m| m.len());
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    (size(db.to_path_buf()), size(PathBuf::from(wal)))
}

/// Runs `sql` with the `sqlite3` tool on `db`, read-only; `None` when the
/// tool is missing or fails.
fn sqlite(db: &Path, sql: &str) -> Option<String> {
    let out = Command::new("sqlite3")
        .arg("-readonly")
        .arg(db)
        .arg(sql)
        .output()
        .ok()?;
    if !out.status.success() {
        eprintln!(
            "docs-bench: sqlite3: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
        return None;
    }
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `GET path` as JSON; a non-2xx answer is an error naming the path.
async fn get(host: &ApiHost, path: &str) -> Result<Value> {
    let r = host.req(Method::GET, path).send().await?;
    let status = r.status();
    let v: Value = r.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        return Err(format!("{path}: {status} {v}").into());
    }
    Ok(v)
}

async fn register(host: &ApiHost, path: &Path) -> Result<String> {
    let v = host
        .json(Method::POST, "/documents", json!({ "path": path }))
        .await?;
    Ok(v["doc_id"].as_str().ok_or("no doc_id")?.to_owned())
}

async fn use_provider(host: &ApiHost, provider: &ScriptedProvider) -> Result<()> {
    host.json(
        Method::PUT,
        "/providers/custom",
        json!({"base_url": provider.base_url()}),
    )
    .await?;
    Ok(())
}

/// One document-session turn whose model calls `edit_document` with
/// `args` (then answers "ok"), approved by this process.
struct EditTurn {
    turn_id: String,
    /// Approval sent → `tool-output-available` arrived.
    host_ms: f64,
    /// Approval sent → its 204 arrived.
    approval_ms: f64,
}

async fn edit_turn(
    host: &ApiHost,
    provider: &ScriptedProvider,
    session: &str,
    call: usize,
    args: &str,
) -> Result<EditTurn> {
    let call_id = format!("call_{call}");
    provider.push([
        Reply::tool_call(&call_id, "edit_document", args),
        Reply::text_answer("ok"),
    ]);
    let response = host
        .req(Method::POST, &format!("/sessions/{session}/turns"))
        .json(&json!({"message": "Edit the line.", "provider": "custom"}))
        .send()
        .await?;
    if !response.status().is_success() {
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        return Err(format!("turn refused: {status} {body}").into());
    }
    let mut frames = Frames::read(response);
    let is_error = |v: &Value| {
        matches!(
            v["type"].as_str(),
            Some("error" | "tool-output-error" | "tool-output-denied" | "tool-input-error")
        )
    };
    let request = frames
        .until(
            "tool-approval-request",
            |v| v["type"] == "tool-approval-request",
            is_error,
        )
        .await?;
    let turn_id = request
        .id
        .as_deref()
        .and_then(|id| id.rsplit_once(':'))
        .map(|(turn, _)| turn.to_owned())
        .ok_or("a turn frame without an id")?;
    let approval = request.data["approvalId"]
        .as_str()
        .ok_or("no approvalId")?
        .to_owned();
    let approve = host
        .req(
            Method::POST,
            &format!("/sessions/{session}/approvals/{approval}"),
        )
        .json(&json!({"approved": true}));
    let sent = Instant::now();
    let answer = approve.send().await?;
    let answered = Instant::now();
    if answer.status() != 204 {
        return Err(format!("approval answered {}", answer.status()).into());
    }
    let output = frames
        .until(
            "tool-output-available",
            |v| v["type"] == "tool-output-available" && v["toolCallId"] == call_id.as_str(),
            is_error,
        )
        .await?;
    if output.data["output"]["replacements"] != 1 {
        return Err(format!("edit_document answered {}", output.data["output"]).into());
    }
    frames.until("[DONE]", |v| v == "[DONE]", is_error).await?;
    frames.end().await?;
    provider.forget_requests();
    Ok(EditTurn {
        turn_id,
        host_ms: elapsed_ms(sent, output.at),
        approval_ms: elapsed_ms(sent, answered),
    })
}

/// Parts 1 and 2: memory with many watched documents, and external write
/// → event latency on the same host.
async fn watched(args: &Args, summary: &mut serde_json::Map<String, Value>) -> Result<()> {
    let host = start_host()?;
    let pid = host.pid();
    for _ in 0..10 {
        host.req(Method::GET, "/health").send().await?;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let started = MemSnapshot::read(pid)?;
    let (fds_started, watches_started) = descriptors(pid);

    let docs_dir = tempfile::tempdir()?;
    let per_dir = args.docs.div_ceil(args.dirs);
    let body = text(25); // 2,000 bytes
    let mut paths = Vec::with_capacity(args.docs);
    for i in 0..args.docs {
        let dir = docs_dir.path().join(format!("dir-{:03}", i / per_dir));
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("note-{i:04}.md"));
        std::fs::write(&path, &body)?;
        paths.push(path);
    }
    let t = Instant::now();
    let mut ids = Vec::with_capacity(args.docs);
    for path in &paths {
        ids.push(register(&host, path).await?);
    }
    let register_s = t.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let registered = MemSnapshot::read(pid)?;
    let (fds_registered, watches_registered) = descriptors(pid);

    let t = Instant::now();
    for id in &ids {
        let v = get(&host, &format!("/documents/{id}")).await?;
        if v["content"].as_str().map(str::len) != Some(body.len()) {
            return Err(format!("document {id} read back wrong").into());
        }
    }
    let read_s = t.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let read = MemSnapshot::read(pid)?;
    let (fds_read, watches_read) = descriptors(pid);

    let dirs = args.docs.div_ceil(per_dir);
    println!(
        "host memory with {} watched documents in {dirs} directories (2,000 bytes each)",
        args.docs
    );
    let row = |label: &str, m: &MemSnapshot, fds: usize, watches: usize| {
        println!(
            "  {label:<34}: VmRSS {:>6.1} MiB ({:>5.1} MB)   VmHWM {:>6.1} MiB   threads {:>3}   fds {fds:>4}   inotify watches {watches}",
            mib(m.rss_kib),
            mb(m.rss_kib),
            mib(m.hwm_kib),
            m.threads
        );
    };
    row(
        "after start (+10 requests, 1 s)",
        &started,
        fds_started,
        watches_started,
    );
    row(
        &format!("after registering ({register_s:.2} s)"),
        &registered,
        fds_registered,
        watches_registered,
    );
    row(
        &format!("after reading each ({read_s:.2} s)"),
        &read,
        fds_read,
        watches_read,
    );
    let worst = read.rss_kib.max(registered.rss_kib);
    println!(
        "  {:<34}: {:>6.1} MB   target <= {TARGET_RSS_MB} MB  {}",
        "VmRSS with the documents watched",
        mb(worst),
        verdict(mb(worst) <= TARGET_RSS_MB)
    );
    let snap = |m: &MemSnapshot, fds: usize, watches: usize| {
        json!({"rss_kib": m.rss_kib, "hwm_kib": m.hwm_kib, "threads": m.threads,
               "fds": fds, "inotify_watches": watches})
    };
    summary.insert(
        "watched".into(),
        json!({
            "documents": args.docs, "directories": dirs,
            "started": snap(&started, fds_started, watches_started),
            "registered": snap(&registered, fds_registered, watches_registered),
            "read": snap(&read, fds_read, watches_read),
            "register_s": round3(register_s), "read_s": round3(read_s),
            "rss_mb": round3(mb(worst)), "target_rss_mb": TARGET_RSS_MB,
            "pass": mb(worst) <= TARGET_RSS_MB,
        }),
    );

    // 2. External write → event.
    let response = host.req(Method::GET, "/events").send().await?;
    if !response.status().is_success() {
        return Err(format!("/events: {}", response.status()).into());
    }
    let mut frames = Frames::read(response);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut latencies = Vec::with_capacity(args.events);
    for i in 0..args.events {
        // Spread over the directories: document 7, 27, 47, …
        let k = (i * 20 + 7) % ids.len();
        let t0 = Instant::now();
        std::fs::OpenOptions::new()
            .append(true)
            .open(&paths[k])?
            .write_all(format!("external {i}\n").as_bytes())?;
        let id = ids[k].as_str();
        let frame = frames
            .until(
                "document.changed (external)",
                |v| {
                    v["type"] == "document.changed"
                        && v["doc_id"] == id
                        && v["source"] == "external"
                },
                |_| false,
            )
            .await?;
        latencies.push(elapsed_ms(t0, frame.at));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let after_events = MemSnapshot::read(pid)?;
    println!("external append → document.changed on GET /events (includes the 30 ms debounce)");
    print_ms("latency", &latencies);
    println!(
        "  {:<34}: VmRSS {:.1} MiB   VmHWM {:.1} MiB",
        "host after the appends",
        mib(after_events.rss_kib),
        mib(after_events.hwm_kib)
    );
    summary.insert(
        "external_event".into(),
        json!({"latency": stats_json(&latencies),
               "rss_kib_after": after_events.rss_kib, "hwm_kib_after": after_events.hwm_kib}),
    );
    drop(frames);
    host.launched.stop()?;
    Ok(())
}

/// Part 3: `edit_document` on a 1 MB document, and a window Save of it.
async fn big_edit(
    args: &Args,
    provider: &ScriptedProvider,
    summary: &mut serde_json::Map<String, Value>,
) -> Result<()> {
    const LINES: usize = 1_000_000 / LINE;
    let host = start_host()?;
    use_provider(&host, provider).await?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("big.md");
    std::fs::write(&path, text(LINES))?;
    let doc = register(&host, &path).await?;
    let session = host
        .json(Method::POST, "/sessions", json!({ "doc_id": doc }))
        .await?["id"]
        .as_str()
        .ok_or("no session id")?
        .to_owned();

    // One untimed warm-up turn, then the samples; each edits another line.
    let mut host_ms = Vec::new();
    let mut approval_ms = Vec::new();
    let stride = LINES / (args.edits + 1);
    for i in 0..=args.edits {
        let n = i * stride + 1;
        let turn = edit_turn(&host, provider, &session, i, &edit_args(n, "edit1")).await?;
        if i > 0 {
            host_ms.push(turn.host_ms);
            approval_ms.push(turn.approval_ms);
        }
    }
    let content = std::fs::read_to_string(&path)?;
    if content.len() != LINES * LINE || !content.contains(&line(args.edits * stride + 1, "edit1")) {
        return Err("the 1 MB document does not hold the agent's edits".into());
    }

    // A window Save of the same text (one line changed each time).
    let v = get(&host, &format!("/documents/{doc}")).await?;
    let mut mtime = v["mtime"].as_str().ok_or("no mtime")?.to_owned();
    let mut content = v["content"].as_str().ok_or("no content")?.to_owned();
    let mut save_ms = Vec::new();
    for i in 0..=args.edits {
        let n = i * stride + 2;
        content = content.replacen(&line(n, "lorem"), &line(n, "save1"), 1);
        let put = host
            .req(Method::PUT, &format!("/documents/{doc}"))
            .json(&json!({"content": content, "expected_mtime": mtime}));
        let t0 = Instant::now();
        let r = put.send().await?;
        let status = r.status();
        let v: Value = r.json().await?;
        let took = t0.elapsed().as_secs_f64() * 1e3;
        if !status.is_success() {
            return Err(format!("Save: {status} {v}").into());
        }
        mtime = v["mtime"].as_str().ok_or("no mtime")?.to_owned();
        if i > 0 {
            save_ms.push(took);
        }
    }
    if std::fs::read_to_string(&path)? != content {
        return Err("the 1 MB document does not hold the last Save".into());
    }
    let db = database_of(host.pid())?;
    let (db_bytes, wal_bytes) = db_sizes(&db);
    host.launched.stop()?;

    let (median, _, _) = median_min_max(&host_ms);
    println!(
        "agent edit_document on a {} byte document ({} samples after 1 warm-up)",
        LINES * LINE,
        host_ms.len()
    );
    print_ms("approval sent → tool output", &host_ms);
    print_ms("of which approval → 204", &approval_ms);
    print_ms("window Save (PUT) of the text", &save_ms);
    println!(
        "  {:<34}: {median:>7.2} ms   target <= {TARGET_EDIT_MS} ms  {}",
        "edit host time, median",
        verdict(median <= TARGET_EDIT_MS)
    );
    println!(
        "  {:<34}: {} of {}",
        "edits over the target",
        host_ms.iter().filter(|ms| **ms > TARGET_EDIT_MS).count(),
        host_ms.len()
    );
    println!(
        "  {:<34}: sessions.db {:.1} MB + -wal {:.1} MB",
        "after the turns and Saves",
        db_bytes as f64 / 1e6,
        wal_bytes as f64 / 1e6
    );
    summary.insert(
        "edit_1mb".into(),
        json!({
            "document_bytes": LINES * LINE,
            "edit": stats_json(&host_ms), "approval": stats_json(&approval_ms),
            "save": stats_json(&save_ms),
            "db_bytes": db_bytes, "wal_bytes": wal_bytes,
            "target_ms": TARGET_EDIT_MS, "pass": median <= TARGET_EDIT_MS,
        }),
    );
    Ok(())
}

/// Part 4: what 100 edits of a 100 KB document cost in `sessions.db`.
async fn checkpoints(
    args: &Args,
    provider: &ScriptedProvider,
    summary: &mut serde_json::Map<String, Value>,
) -> Result<()> {
    const LINES: usize = 102_400 / LINE;
    let host = start_host()?;
    use_provider(&host, provider).await?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("notes.md");
    let original = text(LINES);
    std::fs::write(&path, &original)?;
    let doc = register(&host, &path).await?;
    let session = host
        .json(Method::POST, "/sessions", json!({ "doc_id": doc }))
        .await?["id"]
        .as_str()
        .ok_or("no session id")?
        .to_owned();
    let db = database_of(host.pid())?;
    let before = db_sizes(&db);

    let stride = LINES / args.turns.max(1);
    let mut turns = Vec::with_capacity(args.turns);
    let mut host_ms = Vec::with_capacity(args.turns);
    for i in 0..args.turns {
        let n = (i * stride) % LINES;
        let turn = edit_turn(&host, provider, &session, i, &edit_args(n, "edit2")).await?;
        host_ms.push(turn.host_ms);
        turns.push(turn.turn_id);
    }
    let after = db_sizes(&db);
    // Every turn recorded its one line: one file, +1 −1.
    for turn in &turns {
        let v = get(&host, &format!("/sessions/{session}/turns/{turn}/changes")).await?;
        let f = &v["files"][0];
        if v["files"].as_array().map(Vec::len) != Some(1)
            || f["additions"] != 1
            || f["deletions"] != 1
            || f["untracked"] != false
        {
            return Err(format!("turn {turn}: changes {v}").into());
        }
    }
    host.launched.stop()?;
    let stopped = db_sizes(&db);

    // Distinct contents the checkpoints hold: the original and each turn's
    // result (a turn's "before" is the previous turn's "after").
    let versions = args.turns + 1;
    let expected_blob_bytes = (versions * original.len()) as u64;
    let blobs = sqlite(&db, "SELECT count(*) || ' ' || total(size) FROM blobs;").and_then(|s| {
        let mut it = s.split_whitespace();
        Some((
            it.next()?.parse::<u64>().ok()?,
            it.next()?.parse::<f64>().ok()? as u64,
        ))
    });
    let tables: Vec<(String, u64)> = sqlite(
        &db,
        "SELECT name || ' ' || sum(pgsize) FROM dbstat GROUP BY name ORDER BY sum(pgsize) DESC;",
    )
    .map(|s| {
        s.lines()
            .filter_map(|l| {
                let (name, bytes) = l.rsplit_once(' ')?;
                Some((name.to_owned(), bytes.parse().ok()?))
            })
            .collect()
    })
    .unwrap_or_default();

    let total = |(db, wal): (u64, u64)| db + wal;
    let growth = total(after) as i64 - total(before) as i64;
    println!(
        "checkpoints: {} turns of one document session, each editing one line of a {} byte file",
        args.turns,
        original.len()
    );
    let sizes = |label: &str, (db, wal): (u64, u64)| {
        println!(
            "  {label:<34}: sessions.db {:>10} B   -wal {:>10} B   together {:>10} B",
            db,
            wal,
            db + wal
        );
    };
    sizes("before the first turn", before);
    sizes("after the last turn", after);
    sizes("after the host stopped", stopped);
    println!(
        "  {:<34}: {:+} B ({:.1} MB, {:.1} KB per turn)",
        "growth while running",
        growth,
        growth as f64 / 1e6,
        growth as f64 / 1e3 / args.turns as f64
    );
    println!(
        "  {:<34}: {} B ({versions} distinct versions × {} B)",
        "expected blob bytes (no delta)",
        expected_blob_bytes,
        original.len()
    );
    match blobs {
        Some((count, bytes)) => println!(
            "  {:<34}: {count} blobs, {bytes} B",
            "blobs table (sqlite3)"
        ),
        None => println!("  blobs table                       : n/a (no sqlite3 tool)"),
    }
    for (name, bytes) in tables.iter().filter(|(_, b)| *b >= 64 * 1024) {
        println!(
            "  {:<34}: {bytes} B on disk",
            format!("  table/index {name}")
        );
    }
    print_ms("edit host time (100 KB)", &host_ms);
    summary.insert(
        "checkpoints".into(),
        json!({
            "turns": args.turns, "file_bytes": original.len(),
            "before": {"db": before.0, "wal": before.1},
            "after": {"db": after.0, "wal": after.1},
            "stopped": {"db": stopped.0, "wal": stopped.1},
            "growth_bytes": growth,
            "expected_blob_bytes": expected_blob_bytes,
            "blobs": blobs.map(|(count, bytes)| json!({"count": count, "bytes": bytes})),
            "tables_bytes": tables,
            "edit": stats_json(&host_ms),
        }),
    );
    Ok(())
}

async fn run(args: &Args) -> Result<Value> {
    let mut summary = serde_json::Map::new();
    if let Some(load) = load_average() {
        println!("1-minute load average at start: {load:.2}");
        summary.insert("load_average".into(), json!(load));
    }
    watched(args, &mut summary).await?;
    let provider = ScriptedProvider::start(Vec::new()).await?;
    big_edit(args, &provider, &mut summary).await?;
    checkpoints(args, &provider, &mut summary).await?;
    provider.shutdown().await;
    Ok(Value::Object(summary))
}

fn main() -> ExitCode {
    let args = match args() {
        Ok(args) => args,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("docs-bench: {message}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    // The hosts inherit this: the custom provider has no key, so no
    // keyring is needed or probed. Set before any thread exists.
    std::env::set_var("AGENT_HOST_SECRET_BACKEND", "file");
    // `block_on` runs `run` on this thread, which launches the hosts: their
    // parent-death signal is tied to the thread that spawned them.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("docs-bench: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(&args)) {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("docs-bench: {e}");
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_lines_are_fixed_width_and_edits_match_once() {
        let text = text(1280);
        assert_eq!(text.len(), 102_400);
        assert_eq!(line(7, "edit1").len(), LINE);
        let args: Value = serde_json::from_str(&edit_args(1234, "edit2")).unwrap();
        let old = args["edits"][0]["old"].as_str().unwrap();
        assert_eq!(text.matches(old).count(), 1);
        let new = args["edits"][0]["new"].as_str().unwrap();
        assert_eq!((old.len(), new.len()), (LINE - 1, LINE - 1));
    }
}
