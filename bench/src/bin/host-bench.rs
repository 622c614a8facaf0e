//! `host-bench`: `agent-host serve` against the bare axum baseline, side by
//! side in one run. See bench/README.md for what is measured and why.
//!
//! Exit codes: 0 — the run completed without errors (targets may still be
//! missed: they are printed, not enforced); 1 — a measurement failed (bad
//! status, transport error, a server that would not start or stop); 2 — bad
//! options or a binary missing.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use agent_bench::cli::{self, Command, Options};
use agent_bench::client;
use agent_bench::load::{self, LoadConfig};
use agent_bench::procfs::{self, MemSnapshot};
use agent_bench::report::{LoadCpu, Report, ServerResults};
use agent_bench::server::{Kind, Server};
use agent_bench::stats::Summary;
use agent_bench::{Error, Result};
use hyper::StatusCode;
use tokio::runtime::Runtime;

/// The whole spawn phase stops taking samples after this long.
const SPAWN_PHASE_CAP: Duration = Duration::from_secs(180);
/// Authenticated requests before the idle-RSS reading.
const PROBE_REQUESTS: usize = 10;
/// Idle time before the RSS reading.
const IDLE_BEFORE_RSS: Duration = Duration::from_secs(1);

fn main() -> ExitCode {
    let options = match cli::parse(std::env::args().skip(1)) {
        Ok(Command::Run(options)) => options,
        Ok(Command::Help) => {
            print!("{}", cli::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("host-bench: {e}\n\n{}", cli::USAGE);
            return ExitCode::from(2);
        }
    };
    let (host, bare) = match locate(&options) {
        Ok(found) => found,
        Err(e) => {
            eprintln!("host-bench: {e}");
            return ExitCode::from(2);
        }
    };
    // The load generator's runtime. One worker by default: on a 2-core
    // machine the server under test keeps (most of) the other core, and the
    // main thread only blocks on the result. More client threads make the
    // client faster but steal the cores the servers are being measured on.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(options.client_threads)
        .thread_name("bench-client")
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("host-bench: cannot start the client runtime: {e}");
            return ExitCode::from(2);
        }
    };

    let report = run(&options, host.as_ref(), &bare, &runtime);
    print!("{}", report.render());
    println!("{}", report.json());
    if report.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Finds the binaries next to this executable (`target/release/` after
/// `cargo build --release -p agent-host -p agent-bench`).
fn locate(options: &Options) -> Result<(Option<Server>, Server)> {
    let exe = std::env::current_exe()
        .map_err(|e| Error::new(format!("cannot find my own executable: {e}")))?;
    let dir = exe
        .parent()
        .ok_or_else(|| Error::new("my executable has no parent directory"))?;
    let bare = Server::locate(Kind::Bare, dir)?;
    let host = if options.only_bare {
        None
    } else {
        let found = Server::locate(Kind::Host, dir).map_err(|e| {
            Error::new(format!(
                "{e}\n(or pass --only-bare to measure the baseline alone)"
            ))
        })?;
        Some(found)
    };
    Ok((host, bare))
}

/// Runs every phase; failures are collected, not propagated, so one broken
/// phase still leaves the others' figures in the report.
fn run(options: &Options, host: Option<&Server>, bare: &Server, runtime: &Runtime) -> Report {
    let servers: Vec<&Server> = host.into_iter().chain([bare]).collect();
    let mut report = Report {
        options: options.clone(),
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        host: host.map(|_| ServerResults::new(Kind::Host)),
        bare: ServerResults::new(Kind::Bare),
        errors: Vec::new(),
        notes: Vec::new(),
    };

    // Other work on the box (a parallel cargo build, say) skews every
    // figure; say so rather than let a noisy run pass for a clean one.
    if let Some(load) = procfs::load_average().filter(|&l| l > 0.5) {
        report.notes.push(format!(
            "1-minute load average was {load:.2} at start: other work on this machine may skew the figures"
        ));
    }
    eprintln!(
        "host-bench: spawn-to-ready, {} samples each",
        options.spawns
    );
    let spawns = spawn_phase(&servers, options.spawns, &mut report);
    for (kind, ready, exit) in spawns {
        let results = results_mut(&mut report, kind);
        results.spawn = Summary::of(&ready);
        results.exit = Summary::of(&exit);
    }

    let config = LoadConfig {
        connections: options.connections,
        warmup: options.warmup,
        duration: options.duration,
    };
    // Alternate host and bare for several rounds; keep each server's
    // median round (by requests/s).
    let mut rounds: Vec<Vec<ServerResults>> = servers.iter().map(|_| Vec::new()).collect();
    for round in 0..options.rounds {
        for (i, server) in servers.iter().enumerate() {
            eprintln!(
                "host-bench: memory and throughput of {} (round {}/{})",
                server.kind.binary(),
                round + 1,
                options.rounds
            );
            let mut results = ServerResults::new(server.kind);
            match serve_phase(server, runtime, config, &mut results) {
                Ok(()) => rounds[i].push(results),
                Err(e) => report.errors.push(e.to_string()),
            }
        }
    }
    let rps = |r: &ServerResults| r.load.as_ref().map_or(0.0, |l| l.requests_per_sec());
    if rounds.len() == 2 && rounds[0].len() == rounds[1].len() {
        let ratios: Vec<String> = rounds[0]
            .iter()
            .zip(&rounds[1])
            .map(|(h, b)| format!("{:.2}", rps(h) / rps(b)))
            .collect();
        report
            .notes
            .push(format!("host/bare ratio per round: {}", ratios.join(", ")));
    }
    for (server, mut results) in servers.iter().zip(rounds) {
        if results.is_empty() {
            continue;
        }
        results.sort_by(|a, b| rps(a).total_cmp(&rps(b)));
        let mut median = results.swap_remove(results.len() / 2);
        let slot = results_mut(&mut report, server.kind);
        // Keep the spawn figures gathered earlier.
        median.spawn = slot.spawn;
        median.exit = slot.exit;
        median.version = median.version.or(slot.version.take());
        *slot = median;
    }
    report
}

fn results_mut(report: &mut Report, kind: Kind) -> &mut ServerResults {
    match (kind, report.host.as_mut()) {
        (Kind::Host, Some(host)) => host,
        _ => &mut report.bare,
    }
}

/// Spawn-to-ready and EOF-to-exit samples: one discarded warm-up spawn per
/// server (cold page cache, first exec), then `n` rounds that alternate the
/// servers so drift on the machine hits both alike. A server that fails
/// once is not spawned again; the whole phase is capped in time.
fn spawn_phase(
    servers: &[&Server],
    n: usize,
    report: &mut Report,
) -> Vec<(Kind, Vec<Duration>, Vec<Duration>)> {
    let started = Instant::now();
    let mut samples: Vec<(Kind, Vec<Duration>, Vec<Duration>)> = servers
        .iter()
        .map(|s| (s.kind, Vec::with_capacity(n), Vec::with_capacity(n)))
        .collect();
    let mut failed = vec![false; servers.len()];
    for round in 0..=n {
        if started.elapsed() > SPAWN_PHASE_CAP {
            report.notes.push(format!(
                "spawn phase hit its {} s cap after {} rounds",
                SPAWN_PHASE_CAP.as_secs(),
                round.saturating_sub(1)
            ));
            break;
        }
        for (i, server) in servers.iter().enumerate() {
            if failed[i] {
                continue;
            }
            match spawn_once(server) {
                Ok((version, ready, exit)) => {
                    if let Some(v) = version {
                        results_mut(report, server.kind).version = Some(v);
                    }
                    // Round 0 is the warm-up.
                    if round > 0 {
                        samples[i].1.push(ready);
                        samples[i].2.push(exit);
                    }
                }
                Err(e) => {
                    failed[i] = true;
                    report.errors.push(format!("spawn round {round}: {e}"));
                }
            }
        }
        if failed.iter().all(|&f| f) {
            break;
        }
    }
    samples
}

/// One spawn → ready → EOF → exit cycle.
fn spawn_once(server: &Server) -> Result<(Option<String>, Duration, Duration)> {
    let running = server.spawn()?;
    let ready = running.spawn_to_ready;
    let version = running.ready.version.clone();
    let exit = running.shutdown()?;
    Ok((version, ready, exit))
}

/// One server instance: a few authenticated requests, 1 s idle, RSS; then
/// the load, RSS again, and a clean shutdown.
fn serve_phase(
    server: &Server,
    runtime: &Runtime,
    config: LoadConfig,
    results: &mut ServerResults,
) -> Result<()> {
    let running = server.spawn()?;
    results.version = running.ready.version.clone();
    let pid = running.ready.pid;
    let request = Arc::new(running.health_request()?);

    runtime.block_on(probe(server.kind, &request))?;
    std::thread::sleep(IDLE_BEFORE_RSS);
    results.idle = Some(MemSnapshot::read(pid)?);

    let before = (Instant::now(), cpu_pair(pid)?);
    let load = runtime.block_on(load::run(Arc::clone(&request), config))?;
    let after = cpu_pair(pid)?;
    results.load_cpu = Some(LoadCpu {
        server: after.0.saturating_sub(before.1 .0),
        client: after.1.saturating_sub(before.1 .1),
        wall: before.0.elapsed(),
        requests: load.requests + load.warmup_requests,
    });
    let errors = load.errors;
    let samples = load.error_samples.join(" | ");
    results.load = Some(load);
    results.after_load = Some(MemSnapshot::read(pid)?);
    running.shutdown()?;

    if errors > 0 {
        return Err(Error::new(format!(
            "{}: {errors} failed request(s) under load: {samples}",
            server.kind.binary()
        )));
    }
    Ok(())
}

/// CPU time used so far by the server `pid` and by this process.
fn cpu_pair(pid: u32) -> Result<(Duration, Duration)> {
    Ok((
        procfs::cpu_time(pid)?,
        procfs::cpu_time(std::process::id())?,
    ))
}

/// [`PROBE_REQUESTS`] sequential authenticated `GET /health` on one
/// connection, each checked for 200 and the expected body — so a server that
/// answers the load with fast errors is caught before it is measured.
async fn probe(kind: Kind, request: &client::HealthRequest) -> Result<()> {
    let mut connection = client::connect(request.port()).await?;
    for i in 1..=PROBE_REQUESTS {
        let (status, body) = tokio::time::timeout(
            load::REQUEST_TIMEOUT,
            client::send(&mut connection, request.build()),
        )
        .await
        .map_err(|_| Error::new(format!("{}: probe request {i} timed out", kind.binary())))??;
        let text = String::from_utf8_lossy(&body);
        if status != StatusCode::OK {
            return Err(Error::new(format!(
                "{}: probe GET /health answered {status}: {text}",
                kind.binary()
            )));
        }
        let healthy = match kind {
            Kind::Bare => text == "ok",
            Kind::Host => serde_json::from_slice::<serde_json::Value>(&body)
                .is_ok_and(|v| v["status"] == "ok"),
        };
        if !healthy {
            return Err(Error::new(format!(
                "{}: probe GET /health body is not healthy: {text}",
                kind.binary()
            )));
        }
    }
    Ok(())
}
