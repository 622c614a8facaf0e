//! Soak test (not in CI; docs/benchmarks.md): one host under a steady mix
//! of requests, agent turns (new sessions as they go), document writes and
//! reconnects for a long time, reporting per window the host's RSS, open descriptors, threads and
//! the p50/p99 latency of the plain requests. A leak shows as a rising RSS
//! or fd count between the first and last windows.
//!
//! Run: `cargo build --release -p agent-host -p agent-bench &&
//! target/release/soak --minutes 30` (`--window-secs`, `--workers`).
//! Traffic stays on 127.0.0.1; the provider is the scripted one in this
//! process.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use agent_bench::api_host::ApiHost;
use agent_bench::procfs::{mib, MemSnapshot};
use agent_provider::scripted::{Reply, ScriptedProvider};
use futures_util::StreamExt;
use reqwest::Method;
use serde_json::json;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Replies kept queued at the provider; topped up as turns use them.
const QUEUED_REPLIES: usize = 200;

/// A worker starts a new session after this many turns, as people do. (One
/// session of thousands of turns makes every turn resend thousands of
/// messages, and the scripted provider keeps every request it was sent: the
/// soak would then measure its own harness.)
const TURNS_PER_SESSION: usize = 25;

struct Options {
    minutes: f64,
    window: Duration,
    workers: usize,
}

fn options() -> Result<Options> {
    let mut options = Options {
        minutes: 30.0,
        window: Duration::from_secs(60),
        workers: 4,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--minutes" => options.minutes = value.parse()?,
            "--window-secs" => options.window = Duration::from_secs(value.parse()?),
            "--workers" => options.workers = value.parse()?,
            _ => return Err(format!("unknown flag {flag}").into()),
        }
    }
    Ok(options)
}

/// What the workers measured in the current window.
#[derive(Default)]
struct Window {
    latencies: Vec<Duration>,
    turns: u64,
    errors: u64,
}

struct Shared {
    host: ApiHost,
    provider: ScriptedProvider,
    docs_dir: tempfile::TempDir,
    window: Mutex<Window>,
    stop: AtomicBool,
    counter: AtomicU64,
}

#[tokio::main]
async fn main() -> Result<()> {
    let options = options()?;
    let program = ApiHost::sibling_program("soak")?;
    let host = ApiHost::start(&program, reqwest::Client::new())?;
    let provider = ScriptedProvider::start(answers(QUEUED_REPLIES)).await?;
    host.json(
        Method::PUT,
        "/secrets/openrouter",
        json!({"key": "sk-soak"}),
    )
    .await?;
    host.json(
        Method::PUT,
        "/providers/openrouter",
        json!({"base_url": provider.base_url()}),
    )
    .await?;
    let shared = Arc::new(Shared {
        host,
        provider,
        docs_dir: tempfile::tempdir()?,
        window: Mutex::new(Window::default()),
        stop: AtomicBool::new(false),
        counter: AtomicU64::new(0),
    });
    let pid = shared.host.pid();
    println!(
        "soak: {} min, {} workers, {} s windows, host pid {pid}",
        options.minutes,
        options.workers,
        options.window.as_secs()
    );
    println!("window  elapsed_s  requests  turns  errors  p50_ms  p99_ms  rss_mib  fds  threads");
    let workers: Vec<_> = (0..options.workers)
        .map(|i| tokio::spawn(worker(shared.clone(), i)))
        .collect();
    let started = Instant::now();
    let end = started + Duration::from_secs_f64(options.minutes * 60.0);
    let mut index = 0;
    let mut rows = Vec::new();
    while Instant::now() < end {
        tokio::time::sleep(options.window.min(end - Instant::now())).await;
        index += 1;
        let window = std::mem::take(&mut *lock(&shared.window));
        let row = row(index, started.elapsed(), &window, pid);
        println!("{row}");
        rows.push(row);
    }
    shared.stop.store(true, Ordering::Relaxed);
    for worker in workers {
        let _ = worker.await;
    }
    if let (Some(first), Some(last)) = (rows.first(), rows.last()) {
        println!("first: {first}\nlast:  {last}");
    }
    Ok(())
}

fn lock(window: &Mutex<Window>) -> std::sync::MutexGuard<'_, Window> {
    window
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn row(index: usize, elapsed: Duration, window: &Window, pid: u32) -> String {
    let mut sorted = window.latencies.clone();
    sorted.sort_unstable();
    let pct = |p: f64| -> f64 {
        if sorted.is_empty() {
            return f64::NAN;
        }
        let rank = ((sorted.len() as f64) * p).ceil().max(1.0) as usize;
        sorted[rank - 1].as_secs_f64() * 1e3
    };
    let mem = MemSnapshot::read(pid).ok();
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count())
        .unwrap_or(0);
    format!(
        "{index:>6}  {:>9.0}  {:>8}  {:>5}  {:>6}  {:>6.2}  {:>6.2}  {:>7.1}  {fds:>3}  {:>7}",
        elapsed.as_secs_f64(),
        sorted.len(),
        window.turns,
        window.errors,
        pct(0.50),
        pct(0.99),
        mem.map(|m| mib(m.rss_kib)).unwrap_or(f64::NAN),
        mem.map(|m| m.threads).unwrap_or(0),
    )
}

fn answers(count: usize) -> Vec<Reply> {
    (0..count)
        .map(|_| Reply::text_answer("soak answer with a few words in it"))
        .collect()
}

/// One worker: a repeating mix. Every fourth plain request uses a fresh
/// client (a new connection: the reconnect churn); the rest share a pool.
async fn worker(shared: Arc<Shared>, id: usize) {
    let mut session = String::new();
    let mut turns_in_session = TURNS_PER_SESSION;
    let doc = shared.docs_dir.path().join(format!("doc-{id}.md"));
    let _ = std::fs::write(&doc, "# soak\n");
    while !shared.stop.load(Ordering::Relaxed) {
        let n = shared.counter.fetch_add(1, Ordering::Relaxed);
        if turns_in_session == TURNS_PER_SESSION {
            match shared.host.session().await {
                Ok(new) => (session, turns_in_session) = (new, 0),
                Err(e) => {
                    eprintln!("worker {id}: no session: {e}");
                    return;
                }
            }
        }
        let outcome = match n % 10 {
            0 => {
                turns_in_session += 1;
                turn(&shared, &session).await.map(|()| None)
            }
            1 | 2 => document(&shared, &doc).await.map(Some),
            _ => plain(&shared, n.is_multiple_of(4)).await.map(Some),
        };
        let mut window = lock(&shared.window);
        match outcome {
            Ok(Some(latency)) => window.latencies.push(latency),
            Ok(None) => window.turns += 1,
            Err(e) => {
                window.errors += 1;
                if window.errors <= 3 {
                    eprintln!("worker {id}: {e}");
                }
            }
        }
    }
}

/// `GET /health` or `GET /sessions`, optionally on a new connection.
async fn plain(shared: &Shared, fresh: bool) -> Result<Duration> {
    let path = if fresh { "/health" } else { "/sessions" };
    let started = Instant::now();
    let request = if fresh {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()?;
        let url = format!("{}{path}", shared.host.base);
        let auth = shared.host.req(Method::GET, path).build()?;
        let mut request = client.get(url);
        for (name, value) in auth.headers() {
            request = request.header(name, value);
        }
        request.send().await?
    } else {
        shared.host.req(Method::GET, path).send().await?
    };
    let status = request.status();
    request.bytes().await?;
    if !status.is_success() {
        return Err(format!("{path}: {status}").into());
    }
    Ok(started.elapsed())
}

/// Registers the worker's document once, then reads and saves it.
async fn document(shared: &Shared, doc: &std::path::Path) -> Result<Duration> {
    let started = Instant::now();
    let registered = shared
        .host
        .json(Method::POST, "/documents", json!({"path": doc}))
        .await?;
    let id = registered["doc_id"].as_str().ok_or("no doc_id")?;
    let read = shared
        .host
        .json(Method::GET, &format!("/documents/{id}"), json!(null))
        .await?;
    let mtime = read["mtime"].as_str().ok_or("no mtime")?;
    let content = format!("# soak\n{}\n", started.elapsed().as_nanos());
    shared
        .host
        .json(
            Method::PUT,
            &format!("/documents/{id}"),
            json!({"content": content, "expected_mtime": mtime}),
        )
        .await?;
    Ok(started.elapsed())
}

/// One agent turn read to `[DONE]`.
async fn turn(shared: &Shared, session: &str) -> Result<()> {
    if shared.provider.remaining() < QUEUED_REPLIES / 2 {
        shared.provider.push(answers(QUEUED_REPLIES / 2));
        shared.provider.forget_requests();
    }
    let response = shared
        .host
        .req(Method::POST, &format!("/sessions/{session}/turns"))
        .json(&json!({"message": "soak"}))
        .send()
        .await?;
    if !response.status().is_success() {
        return Err(format!("turn refused: {}", response.status()).into());
    }
    let mut body = response.bytes_stream();
    let mut tail: Vec<u8> = Vec::new();
    while let Some(chunk) = body.next().await {
        tail.extend_from_slice(&chunk?);
        if tail.len() > 64 {
            tail.drain(..tail.len() - 64);
        }
    }
    if !String::from_utf8_lossy(&tail).contains("[DONE]") {
        return Err("turn stream ended without [DONE]".into());
    }
    Ok(())
}
