//! Agent stream benchmarks (docs/benchmarks.md):
//!
//! 1. relay overhead: a scripted provider emits 10,000 small deltas as fast
//!    as it can; throughput through the host vs. reading the provider
//!    directly (target ≥ 50%), the size and read time of that turn's
//!    replay, and the median latency the host adds per chunk on a paced
//!    stream (target < 1 ms);
//! 2. 200 concurrent streaming sessions on one host: errors (target 0) and
//!    RSS;
//! 3. 1,000 connect/disconnect cycles of stream clients: RSS stays within
//!    10%.
//!
//! The scripted provider runs in this process, so chunk send times (its
//! `Clock` chunks) and receive times share one clock. Traffic stays on
//! 127.0.0.1. Run: `cargo build --release -p agent-host -p agent-bench &&
//! target/release/agent-bench`.

use std::time::{Duration, Instant};

use agent_bench::api_host::ApiHost;
use agent_bench::procfs::MemSnapshot;
use agent_provider::scripted::{clock_ns, Reply, Scripted, ScriptedProvider};
use futures_util::StreamExt;
use serde_json::{json, Value};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// The host under test: a private `agent-host` next to this binary.
fn start_host() -> Result<ApiHost> {
    let program = ApiHost::sibling_program("agent-bench")?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(512)
        .build()?;
    ApiHost::start(&program, http)
}

/// Points OpenRouter (with a dummy key) at the scripted provider.
async fn use_provider(host: &ApiHost, provider: &ScriptedProvider) -> Result<()> {
    host.json(
        reqwest::Method::PUT,
        "/secrets/openrouter",
        json!({"key": "sk-bench"}),
    )
    .await?;
    host.json(
        reqwest::Method::PUT,
        "/providers/openrouter",
        json!({"base_url": provider.base_url()}),
    )
    .await?;
    Ok(())
}

/// Reads an SSE body, calling `on_data` for every `data:` payload.
async fn read_sse(response: reqwest::Response, mut on_data: impl FnMut(&str)) -> Result<()> {
    let mut stream = response.bytes_stream();
    let mut buf: Vec<u8> = Vec::new();
    while let Some(chunk) = stream.next().await {
        buf.extend_from_slice(&chunk?);
        while let Some(end) = buf.windows(2).position(|w| w == b"\n\n") {
            let frame: Vec<u8> = buf.drain(..end + 2).collect();
            for line in frame.split(|b| *b == b'\n') {
                if let Some(data) = line.strip_prefix(b"data: ") {
                    on_data(std::str::from_utf8(data)?);
                }
            }
        }
    }
    Ok(())
}

struct StreamStats {
    deltas: usize,
    elapsed: Duration,
    latencies_us: Vec<f64>,
}

/// The text of a host frame's data when it is a `text-delta` chunk.
fn text_delta(data: &str) -> Option<String> {
    let v: Value = serde_json::from_str(data).ok()?;
    (v["type"] == "text-delta").then(|| v["delta"].as_str().unwrap_or("").to_owned())
}

/// The provider deltas a host delta carries: one clock stamp each (the
/// host merges the deltas a slow reader has not read yet into one).
fn stamps(text: &str) -> impl Iterator<Item = &str> {
    text.split_whitespace()
}

/// Each clock stamp in a delta's text.
fn record(text: &str, stats: &mut StreamStats) {
    let now = clock_ns();
    for stamp in stamps(text) {
        if let Ok(sent) = stamp.parse::<u64>() {
            stats
                .latencies_us
                .push((now.saturating_sub(sent)) as f64 / 1e3);
            stats.deltas += 1;
        }
    }
}

async fn direct(provider: &ScriptedProvider, http: &reqwest::Client) -> Result<StreamStats> {
    let started = Instant::now();
    let response = http
        .post(format!("{}/chat/completions", provider.base_url()))
        .json(&json!({"model": "bench", "messages": [], "stream": true}))
        .send()
        .await?;
    let mut stats = StreamStats {
        deltas: 0,
        elapsed: Duration::ZERO,
        latencies_us: Vec::new(),
    };
    read_sse(response, |data| {
        if let Ok(v) = serde_json::from_str::<Value>(data) {
            if let Some(text) = v["choices"][0]["delta"]["content"].as_str() {
                record(text, &mut stats);
            }
        }
    })
    .await?;
    stats.elapsed = started.elapsed();
    Ok(stats)
}

async fn through_host(host: &ApiHost, session: &str) -> Result<StreamStats> {
    let started = Instant::now();
    let response = host
        .req(reqwest::Method::POST, &format!("/sessions/{session}/turns"))
        .json(&json!({"message": "go"}))
        .send()
        .await?;
    if !response.status().is_success() {
        return Err(format!("turn refused: {}", response.status()).into());
    }
    let mut stats = StreamStats {
        deltas: 0,
        elapsed: Duration::ZERO,
        latencies_us: Vec::new(),
    };
    let mut done = false;
    read_sse(response, |data| {
        if data == "[DONE]" {
            done = true;
        } else if let Some(text) = text_delta(data) {
            record(&text, &mut stats);
        }
    })
    .await?;
    if !done {
        return Err("stream ended without [DONE]".into());
    }
    stats.elapsed = started.elapsed();
    Ok(stats)
}

/// A finished turn replayed from the host's stored log (what a window that
/// opens or reconnects mid-answer reads): frames, bytes, the provider
/// deltas they carry (clock stamps), and the time to read them all.
async fn replay(host: &ApiHost, session: &str) -> Result<(usize, usize, usize, Duration)> {
    let started = Instant::now();
    let response = host
        .req(reqwest::Method::GET, &format!("/sessions/{session}/stream"))
        .send()
        .await?;
    let (mut frames, mut bytes, mut stamps_read) = (0, 0, 0);
    read_sse(response, |data| {
        frames += 1;
        bytes += data.len();
        stamps_read += text_delta(data).map_or(0, |text| stamps(&text).count());
    })
    .await?;
    Ok((frames, bytes, stamps_read, started.elapsed()))
}

fn percentile(values: &mut [f64], q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(|a, b| a.total_cmp(b));
    values[((values.len() - 1) as f64 * q).round() as usize]
}

/// Current resident set size of `pid`, KiB (0 if it cannot be read).
fn rss_kib(pid: u32) -> u64 {
    MemSnapshot::read(pid).map_or(0, |m| m.rss_kib)
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "PASS"
    } else {
        "FAIL"
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() -> Result<()> {
    let provider = ScriptedProvider::start(Vec::new()).await?;
    let host = start_host()?;
    use_provider(&host, &provider).await?;
    let http = reqwest::Client::new();
    let mut summary = serde_json::Map::new();

    // 1a. Throughput: 10,000 deltas as fast as the provider can write them.
    const DELTAS: usize = 10_000;
    let mut direct_rates = Vec::new();
    let mut host_rates = Vec::new();
    let mut last_session = String::new();
    for _ in 0..3 {
        provider.push([Reply::clock_stream(DELTAS, 0)]);
        let d = direct(&provider, &http).await?;
        assert_eq!(d.deltas, DELTAS, "direct run lost deltas");
        direct_rates.push(d.deltas as f64 / d.elapsed.as_secs_f64());
        provider.push([Reply::clock_stream(DELTAS, 0)]);
        let session = host.session().await?;
        let h = through_host(&host, &session).await?;
        if h.deltas != DELTAS {
            return Err(format!("host relayed {} of {DELTAS} deltas", h.deltas).into());
        }
        host_rates.push(h.deltas as f64 / h.elapsed.as_secs_f64());
        last_session = session;
    }
    let direct_rate = percentile(&mut direct_rates, 0.5);
    let host_rate = percentile(&mut host_rates, 0.5);
    let ratio = host_rate / direct_rate;
    println!("relay throughput ({DELTAS} deltas, median of 3 runs)");
    println!("  provider read directly : {direct_rate:>10.0} deltas/s");
    println!("  through the host       : {host_rate:>10.0} deltas/s");
    println!(
        "  ratio                  : {ratio:>10.2}   target >= 0.50  {}",
        verdict(ratio >= 0.5)
    );
    summary.insert("relay_direct_deltas_per_s".into(), json!(direct_rate));
    summary.insert("relay_host_deltas_per_s".into(), json!(host_rate));
    summary.insert("relay_ratio".into(), json!(ratio));

    // 1c. The last of those turns replayed from the stored log, its runs of
    // deltas merged into few frames (host/src/agent/deltas.rs).
    let mut replays = Vec::new();
    for _ in 0..3 {
        let (frames, bytes, carried, elapsed) = replay(&host, &last_session).await?;
        if carried != DELTAS {
            return Err(format!("the replay carried {carried} of {DELTAS} deltas").into());
        }
        println!(
            "replay of a finished {DELTAS}-delta turn: {frames} frames, {:.1} KiB of data, read in {:.1} ms",
            bytes as f64 / 1024.0,
            elapsed.as_secs_f64() * 1e3
        );
        replays.push(elapsed.as_secs_f64() * 1e3);
        summary.insert("replay_frames".into(), json!(frames));
        summary.insert("replay_data_bytes".into(), json!(bytes));
    }
    summary.insert(
        "replay_ms_median".into(),
        json!(percentile(&mut replays, 0.5)),
    );

    // 1b. Added latency per chunk on a paced stream (one chunk per 500 µs).
    const PACED: usize = 2_000;
    provider.push([Reply::clock_stream(PACED, 500)]);
    let mut d = direct(&provider, &http).await?;
    provider.push([Reply::clock_stream(PACED, 500)]);
    let session = host.session().await?;
    let mut h = through_host(&host, &session).await?;
    let (d50, h50) = (
        percentile(&mut d.latencies_us, 0.5),
        percentile(&mut h.latencies_us, 0.5),
    );
    let (d99, h99) = (
        percentile(&mut d.latencies_us, 0.99),
        percentile(&mut h.latencies_us, 0.99),
    );
    let added = h50 - d50;
    println!("per-chunk latency ({PACED} chunks, 500 µs apart)");
    println!("  direct  p50 {d50:>8.0} µs   p99 {d99:>8.0} µs");
    println!("  host    p50 {h50:>8.0} µs   p99 {h99:>8.0} µs");
    println!(
        "  added median latency   : {added:>8.0} µs   target < 1000 µs  {}",
        verdict(added < 1000.0)
    );
    summary.insert("latency_direct_p50_us".into(), json!(d50));
    summary.insert("latency_host_p50_us".into(), json!(h50));
    summary.insert("latency_added_p50_us".into(), json!(added));

    // 2. 200 concurrent streaming sessions.
    const SESSIONS: usize = 200;
    const PER_SESSION: usize = 100;
    provider.push((0..SESSIONS).map(|_| Reply::clock_stream(PER_SESSION, 10_000)));
    let mut sessions = Vec::new();
    for _ in 0..SESSIONS {
        sessions.push(host.session().await?);
    }
    let rss_before = rss_kib(host.pid());
    let started = Instant::now();
    let mut tasks = Vec::new();
    for session in sessions {
        let host_req = host.req(reqwest::Method::POST, &format!("/sessions/{session}/turns"));
        tasks.push(tokio::spawn(async move {
            let response = host_req.json(&json!({"message": "go"})).send().await?;
            if !response.status().is_success() {
                return Err::<usize, Box<dyn std::error::Error + Send + Sync>>(
                    format!("refused: {}", response.status()).into(),
                );
            }
            let mut deltas = 0;
            let mut done = false;
            read_sse(response, |data| {
                if data == "[DONE]" {
                    done = true;
                } else if let Some(text) = text_delta(data) {
                    deltas += stamps(&text).count();
                }
            })
            .await?;
            if !done || deltas != PER_SESSION {
                return Err(format!("incomplete stream: {deltas} deltas, done={done}").into());
            }
            Ok(deltas)
        }));
    }
    let mut errors = 0;
    let mut peak_rss = 0;
    for task in tasks {
        peak_rss = peak_rss.max(rss_kib(host.pid()));
        match task.await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                errors += 1;
                eprintln!("session error: {e}");
            }
            Err(e) => {
                errors += 1;
                eprintln!("task error: {e}");
            }
        }
    }
    let elapsed = started.elapsed();
    println!("{SESSIONS} concurrent streaming sessions ({PER_SESSION} deltas each, 10 ms apart)");
    println!(
        "  errors                 : {errors:>8}   target 0  {}",
        verdict(errors == 0)
    );
    println!(
        "  wall time              : {:>8.2} s",
        elapsed.as_secs_f64()
    );
    println!(
        "  host RSS before/peak   : {:>6.1} / {:.1} MiB",
        rss_before as f64 / 1024.0,
        peak_rss as f64 / 1024.0
    );
    summary.insert("concurrent_errors".into(), json!(errors));
    summary.insert("concurrent_peak_rss_kib".into(), json!(peak_rss));

    // 3. 1,000 connect/disconnect cycles against a live turn.
    provider.push([Reply::Stream {
        events: vec![
            Scripted::Text {
                text: "waiting ".into(),
            },
            Scripted::Stall,
        ],
    }]);
    let session = host.session().await?;
    let turn = host
        .req(reqwest::Method::POST, &format!("/sessions/{session}/turns"))
        .json(&json!({"message": "stay"}))
        .send()
        .await?;
    drop(turn);
    let cycle = |n: usize| {
        let host = &host;
        let session = session.clone();
        async move {
            for _ in 0..n {
                let response = host
                    .req(reqwest::Method::GET, &format!("/sessions/{session}/stream"))
                    .send()
                    .await?;
                let mut body = response.bytes_stream();
                let _first = body.next().await;
                drop(body);
            }
            Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
        }
    };
    cycle(100).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rss_start = rss_kib(host.pid());
    cycle(1_000).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rss_end = rss_kib(host.pid());
    let growth = rss_end as f64 / rss_start as f64 - 1.0;
    println!("1,000 stream connect/disconnect cycles (after 100 warm-up)");
    println!(
        "  host RSS               : {:.1} -> {:.1} MiB ({:+.1}%)   target within 10%  {}",
        rss_start as f64 / 1024.0,
        rss_end as f64 / 1024.0,
        growth * 100.0,
        verdict(growth.abs() <= 0.10)
    );
    host.json(
        reqwest::Method::POST,
        &format!("/sessions/{session}/abort"),
        json!({}),
    )
    .await
    .ok();
    summary.insert("cycles_rss_start_kib".into(), json!(rss_start));
    summary.insert("cycles_rss_end_kib".into(), json!(rss_end));
    println!("{}", Value::Object(summary));

    host.launched.stop()?;
    provider.shutdown().await;
    if errors > 0 {
        std::process::exit(1);
    }
    Ok(())
}
