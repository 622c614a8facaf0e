//! The results of one run, printed twice: as a report for people and as one
//! JSON line (the last line of stdout) for scripts and CI.
//!
//! Targets are judged here and only here. A missed target is printed as FAIL
//! and reflected in the JSON, but is not an error: the exit code is reserved
//! for runs whose figures cannot be trusted.

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::{json, Value};

use crate::cli::Options;
use crate::load::LoadResult;
use crate::procfs::{mib, MemSnapshot};
use crate::server::Kind;
use crate::stats::{ms, Summary};

/// Host spawn-to-ready median must be at most this (ms).
pub const TARGET_SPAWN_MS: f64 = 30.0;
/// Host idle VmRSS must be at most this (MiB).
pub const TARGET_RSS_MIB: f64 = 15.0;
/// Host throughput must be at least this fraction of bare-hello's.
pub const TARGET_RATIO: f64 = 0.80;

/// Everything measured about one server.
#[derive(Debug, Clone)]
pub struct ServerResults {
    /// Which server.
    pub kind: Kind,
    /// Version from its ready line, if any.
    pub version: Option<String>,
    /// Spawn-to-ready samples summary.
    pub spawn: Option<Summary>,
    /// Stdin-EOF-to-exit samples summary.
    pub exit: Option<Summary>,
    /// Memory after a few requests and 1 s idle.
    pub idle: Option<MemSnapshot>,
    /// Load-generator results.
    pub load: Option<LoadResult>,
    /// Memory right after the load.
    pub after_load: Option<MemSnapshot>,
    /// CPU used while the load ran (warm-up + window).
    pub load_cpu: Option<LoadCpu>,
}

/// CPU used during a load run (warm-up + window). Shows who the bottleneck
/// was: a client near 1.0 core per client thread means the client, not the
/// server, set the pace; server CPU per request is the server's cost
/// independent of that.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoadCpu {
    /// CPU time of the server process.
    pub server: Duration,
    /// CPU time of this process (the load generator).
    pub client: Duration,
    /// Wall time the two were measured over.
    pub wall: Duration,
    /// 200 responses in that time (warm-up + window).
    pub requests: u64,
}

impl LoadCpu {
    /// Average server cores busy.
    pub fn server_cores(&self) -> f64 {
        self.server.as_secs_f64() / self.wall.as_secs_f64()
    }

    /// Average client cores busy.
    pub fn client_cores(&self) -> f64 {
        self.client.as_secs_f64() / self.wall.as_secs_f64()
    }

    /// Server CPU per successful request, microseconds.
    pub fn server_us_per_request(&self) -> f64 {
        self.server.as_secs_f64() * 1e6 / self.requests.max(1) as f64
    }
}

impl ServerResults {
    /// Nothing measured yet.
    pub fn new(kind: Kind) -> Self {
        Self {
            kind,
            version: None,
            spawn: None,
            exit: None,
            idle: None,
            load: None,
            after_load: None,
            load_cpu: None,
        }
    }
}

/// A whole run.
#[derive(Debug, Clone)]
pub struct Report {
    /// The options it ran with.
    pub options: Options,
    /// Logical CPUs of the machine.
    pub cpus: usize,
    /// Host results; `None` with `--only-bare`.
    pub host: Option<ServerResults>,
    /// Baseline results.
    pub bare: ServerResults,
    /// Errors: any makes the run fail.
    pub errors: Vec<String>,
    /// Remarks that are not errors (e.g. a phase cut short by its time cap).
    pub notes: Vec<String>,
}

/// One target, judged.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Machine name.
    pub name: &'static str,
    /// Human statement of the target.
    pub wanted: &'static str,
    /// Measured value, when there is one.
    pub value: Option<f64>,
    /// Unit for printing.
    pub unit: &'static str,
    /// `None` when not measured.
    pub pass: Option<bool>,
}

impl Report {
    /// host/bare throughput ratio, when both were measured.
    pub fn ratio(&self) -> Option<f64> {
        let host = self.host.as_ref()?.load.as_ref()?.requests_per_sec();
        let bare = self.bare.load.as_ref()?.requests_per_sec();
        (bare > 0.0).then(|| host / bare)
    }

    /// The three targets, judged against what was measured.
    pub fn verdicts(&self) -> Vec<Verdict> {
        let host = self.host.as_ref();
        let spawn = host.and_then(|h| h.spawn).map(|s| ms(s.median));
        let rss = host.and_then(|h| h.idle).map(|m| mib(m.rss_kib));
        let ratio = self.ratio();
        vec![
            Verdict {
                name: "host_spawn_to_ready_median_ms",
                wanted: "host spawn-to-ready median <= 30 ms",
                value: spawn,
                unit: "ms",
                pass: spawn.map(|v| v <= TARGET_SPAWN_MS),
            },
            Verdict {
                name: "host_idle_rss_mib",
                wanted: "host idle VmRSS <= 15 MiB",
                value: rss,
                unit: "MiB",
                pass: rss.map(|v| v <= TARGET_RSS_MIB),
            },
            Verdict {
                name: "throughput_ratio_host_over_bare",
                wanted: "host/bare throughput >= 0.80",
                value: ratio,
                unit: "",
                pass: ratio.map(|v| v >= TARGET_RATIO),
            },
        ]
    }

    /// The recorded notes plus a contention warning for any load run in
    /// which client and server together left much of the machine idle.
    pub fn all_notes(&self) -> Vec<String> {
        let servers: Vec<&ServerResults> = self.host.iter().chain([&self.bare]).collect();
        let mut notes = self.notes.clone();
        for s in &servers {
            // Client + server together should keep most of the machine busy;
            // far less means something else had the CPU during the load.
            if let Some(c) = s.load_cpu {
                let busy = c.server_cores() + c.client_cores();
                if busy < 0.7 * self.cpus as f64 {
                    notes.push(format!(
                        "under load {} + client kept only {busy:.2} of {} cores busy: \
                         likely CPU contention from other work; treat its req/s as suspect",
                        s.kind.binary(),
                        self.cpus
                    ));
                }
            }
        }
        notes
    }

    /// The human-readable report.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let o = &self.options;
        let servers: Vec<&ServerResults> = self.host.iter().chain([&self.bare]).collect();
        let title = match &self.host {
            Some(h) => format!(
                "agent-host {} vs bare axum hello-world",
                h.version.as_deref().unwrap_or("(did not report a version)")
            ),
            None => "bare axum hello-world only (--only-bare)".to_owned(),
        };
        let _ = writeln!(out, "\n=== {title} ===");
        let _ = writeln!(
            out,
            "machine: {} CPU(s); load client: {} tokio worker thread(s), {} connections, {:.1} s warm-up + {:.1} s measured",
            self.cpus,
            o.client_threads,
            o.connections,
            o.warmup.as_secs_f64(),
            o.duration.as_secs_f64()
        );

        let _ = writeln!(
            out,
            "\nspawn-to-ready (spawn() .. ready line read; fresh user_data per spawn; 1 discarded warm-up)"
        );
        let _ = writeln!(
            out,
            "  {:<12}{:>4}{:>11}{:>11}{:>11}{:>11}   {:>16}",
            "", "n", "median", "p90", "min", "max", "EOF→exit median"
        );
        for s in &servers {
            match (s.spawn, s.exit) {
                (Some(r), exit) => {
                    let _ = writeln!(
                        out,
                        "  {:<12}{:>4}{:>8.2} ms{:>8.2} ms{:>8.2} ms{:>8.2} ms   {:>13}",
                        s.kind.binary(),
                        r.n,
                        ms(r.median),
                        ms(r.p90),
                        ms(r.min),
                        ms(r.max),
                        exit.map_or("-".to_owned(), |e| format!("{:.2} ms", ms(e.median)))
                    );
                }
                (None, _) => {
                    let _ = writeln!(out, "  {:<12} not measured", s.kind.binary());
                }
            }
        }

        let _ = writeln!(
            out,
            "\nmemory (VmRSS after 10 authenticated GET /health + 1 s idle; then right after the load)"
        );
        for s in &servers {
            match s.idle {
                Some(m) => {
                    let after = s
                        .after_load
                        .map_or("-".to_owned(), |a| format!("{:.1} MiB", mib(a.rss_kib)));
                    let _ = writeln!(
                        out,
                        "  {:<12} idle {:>6.1} MiB  (peak VmHWM {:.1} MiB, {} threads)   after load {}",
                        s.kind.binary(),
                        mib(m.rss_kib),
                        mib(m.hwm_kib),
                        m.threads,
                        after
                    );
                }
                None => {
                    let _ = writeln!(out, "  {:<12} not measured", s.kind.binary());
                }
            }
        }

        let _ = writeln!(
            out,
            "\nthroughput (GET /health, closed loop, keep-alive HTTP/1.1, latency per request)"
        );
        let _ = writeln!(
            out,
            "  {:<12}{:>11}{:>11}{:>11}{:>11}{:>10}{:>8}{:>13}{:>13}",
            "", "req/s", "p50", "p99", "max", "requests", "errors", "cpu srv/cli", "srv cpu/req"
        );
        for s in &servers {
            match &s.load {
                Some(l) => {
                    let _ = writeln!(
                        out,
                        "  {:<12}{:>11.0}{:>8.0} µs{:>8.0} µs{:>8.0} µs{:>10}{:>8}{:>13}{:>13}",
                        s.kind.binary(),
                        l.requests_per_sec(),
                        l.latency_us(0.5),
                        l.latency_us(0.99),
                        l.max_us(),
                        l.requests,
                        l.errors,
                        s.load_cpu.map_or("-".to_owned(), |c| format!(
                            "{:.2}/{:.2}",
                            c.server_cores(),
                            c.client_cores()
                        )),
                        s.load_cpu.map_or("-".to_owned(), |c| format!(
                            "{:.1} µs",
                            c.server_us_per_request()
                        ))
                    );
                }
                None => {
                    let _ = writeln!(out, "  {:<12} not measured", s.kind.binary());
                }
            }
        }
        if let Some(r) = self.ratio() {
            let _ = writeln!(out, "  host/bare throughput ratio: {r:.3}");
        }
        let _ = writeln!(
            out,
            "  (cpu srv/cli: average cores busy in the server / in this load generator;\n   srv cpu/req: server CPU time per 200 response, warm-up included)"
        );

        let _ = writeln!(out, "\ntargets");
        let verdicts = self.verdicts();
        for v in &verdicts {
            let (mark, got) = match (v.pass, v.value) {
                (Some(true), Some(x)) => ("PASS", fmt_value(x, v.unit)),
                (Some(false), Some(x)) => ("FAIL", fmt_value(x, v.unit)),
                _ => ("n/a ", "not measured".to_owned()),
            };
            let _ = writeln!(out, "  [{mark}] {:<40} measured {got}", v.wanted);
        }

        for note in &self.all_notes() {
            let _ = writeln!(out, "\nnote: {note}");
        }
        if self.errors.is_empty() {
            let passed = verdicts.iter().filter(|v| v.pass == Some(true)).count();
            let judged = verdicts.iter().filter(|v| v.pass.is_some()).count();
            let _ = writeln!(
                out,
                "\nresult: no errors; {passed}/{judged} measured targets met"
            );
        } else {
            let _ = writeln!(out, "\nERRORS ({}) — the run failed:", self.errors.len());
            for e in &self.errors {
                let _ = writeln!(out, "  - {}", e.replace('\n', "\n    "));
            }
        }
        out
    }

    /// The machine-readable summary (one JSON object).
    pub fn json(&self) -> Value {
        let o = &self.options;
        json!({
            "bench": "agent-host-vs-bare-hello",
            "ok": self.errors.is_empty(),
            "cpus": self.cpus,
            "options": {
                "spawns": o.spawns,
                "connections": o.connections,
                "seconds": o.duration.as_secs_f64(),
                "warmup_seconds": o.warmup.as_secs_f64(),
                "client_threads": o.client_threads,
                "only_bare": o.only_bare,
            },
            "host": self.host.as_ref().map(server_json),
            "bare": server_json(&self.bare),
            "throughput_ratio": self.ratio(),
            "targets": self.verdicts().iter().map(|v| json!({
                "name": v.name,
                "value": v.value,
                "pass": v.pass,
            })).collect::<Vec<_>>(),
            "errors": self.errors,
            "notes": self.all_notes(),
        })
    }
}

fn fmt_value(x: f64, unit: &str) -> String {
    if unit.is_empty() {
        format!("{x:.3}")
    } else {
        format!("{x:.2} {unit}")
    }
}

fn summary_json(s: &Summary) -> Value {
    json!({
        "n": s.n,
        "median": ms(s.median),
        "p90": ms(s.p90),
        "min": ms(s.min),
        "max": ms(s.max),
    })
}

fn mem_json(m: &MemSnapshot) -> Value {
    json!({ "rss_kib": m.rss_kib, "hwm_kib": m.hwm_kib, "threads": m.threads })
}

fn server_json(s: &ServerResults) -> Value {
    json!({
        "binary": s.kind.binary(),
        "version": s.version,
        "spawn_to_ready_ms": s.spawn.as_ref().map(summary_json),
        "eof_to_exit_ms": s.exit.as_ref().map(summary_json),
        "idle_memory": s.idle.as_ref().map(mem_json),
        "after_load_memory": s.after_load.as_ref().map(mem_json),
        "load_cpu": s.load_cpu.map(|c| json!({
            "server_cores": (c.server_cores() * 100.0).round() / 100.0,
            "client_cores": (c.client_cores() * 100.0).round() / 100.0,
            "server_us_per_request": (c.server_us_per_request() * 10.0).round() / 10.0,
        })),
        "throughput": s.load.as_ref().map(|l| json!({
            "requests_per_sec": (l.requests_per_sec() * 10.0).round() / 10.0,
            "p50_us": l.latency_us(0.5),
            "p99_us": l.latency_us(0.99),
            "max_us": l.max_us(),
            "requests": l.requests,
            "warmup_requests": l.warmup_requests,
            "errors": l.errors,
            "error_samples": l.error_samples,
        })),
    })
}
