//! The load generator: C keep-alive connections, each a closed loop of
//! `GET /health` (send, read the whole response, send the next), for a
//! warm-up and then a measured window.
//!
//! Closed loop means the offered load adapts to the server: throughput is
//! what the server sustains with C requests in flight, and latency is the
//! time one request takes at that load. A request counts toward the window
//! when its response completes inside it, so throughput is simply
//! completions / window length.
//!
//! Every loop is capped twice — by its deadline and by a request count — and
//! the whole run by an outer timeout, so a stuck server cannot hang it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use hyper::StatusCode;
use tokio::task::JoinSet;

use crate::client::{self, Connection, HealthRequest};
use crate::error::{Context, Error, Result};

/// One request taking longer than this is an error, not a latency sample.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// All connections must be open within this.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Count cap per connection; far above anything loopback can do in 5 minutes.
const MAX_REQUESTS_PER_CONNECTION: u64 = 50_000_000;
/// Highest recordable latency (ns); slower samples are clamped to it.
const MAX_LATENCY_NS: u64 = 60_000_000_000;
/// How many distinct error messages are kept for the report.
const KEPT_ERRORS: usize = 5;

/// How to load a server.
#[derive(Debug, Clone, Copy)]
pub struct LoadConfig {
    /// Concurrent keep-alive connections (= requests in flight).
    pub connections: usize,
    /// Unmeasured time before the window, for caches, allocators and TCP to
    /// settle.
    pub warmup: Duration,
    /// The measured window.
    pub duration: Duration,
}

/// What one run measured.
#[derive(Debug, Clone)]
pub struct LoadResult {
    /// 200 responses completed inside the window.
    pub requests: u64,
    /// 200 responses completed during the warm-up.
    pub warmup_requests: u64,
    /// Failed requests (non-200, transport error, timeout), whole run.
    pub errors: u64,
    /// Up to [`KEPT_ERRORS`] distinct error messages.
    pub error_samples: Vec<String>,
    /// Latency of the counted requests, nanoseconds.
    pub latency_ns: Histogram<u64>,
    /// Length of the window.
    pub window: Duration,
}

impl LoadResult {
    /// Requests per second over the window.
    pub fn requests_per_sec(&self) -> f64 {
        self.requests as f64 / self.window.as_secs_f64()
    }

    /// Latency at quantile `q` (0..=1), microseconds.
    pub fn latency_us(&self, q: f64) -> f64 {
        self.latency_ns.value_at_quantile(q) as f64 / 1e3
    }

    /// Highest latency, microseconds.
    pub fn max_us(&self) -> f64 {
        self.latency_ns.max() as f64 / 1e3
    }
}

/// Per-connection tally, merged into a [`LoadResult`].
struct Tally {
    requests: u64,
    warmup_requests: u64,
    errors: u64,
    error_samples: Vec<String>,
    latency_ns: Histogram<u64>,
}

impl Tally {
    fn error(&mut self, message: String) {
        self.errors += 1;
        if self.error_samples.len() < KEPT_ERRORS && !self.error_samples.contains(&message) {
            self.error_samples.push(message);
        }
    }
}

/// Loads the server `request` points at. Must run inside a tokio runtime;
/// its worker count is the client's share of the machine.
pub async fn run(request: Arc<HealthRequest>, config: LoadConfig) -> Result<LoadResult> {
    let empty = Histogram::<u64>::new_with_bounds(1, MAX_LATENCY_NS, 3)
        .context("creating the latency histogram")?;

    // Open every connection before the clock starts, so connection set-up is
    // neither warm-up nor measurement.
    let mut connecting = JoinSet::new();
    for _ in 0..config.connections {
        connecting.spawn(client::connect(request.port()));
    }
    let connections = tokio::time::timeout(CONNECT_TIMEOUT, async {
        let mut open = Vec::with_capacity(config.connections);
        while let Some(joined) = connecting.join_next().await {
            open.push(joined.context("connect task")??);
        }
        Ok::<_, Error>(open)
    })
    .await
    .map_err(|_| Error::new("connections not open within 5 s"))??;

    let start = Instant::now();
    let warm_end = start + config.warmup;
    let end = warm_end + config.duration;
    let mut tasks = JoinSet::new();
    for connection in connections {
        let tally = Tally {
            requests: 0,
            warmup_requests: 0,
            errors: 0,
            error_samples: Vec::new(),
            latency_ns: empty.clone(),
        };
        tasks.spawn(drive(
            connection,
            Arc::clone(&request),
            warm_end,
            end,
            tally,
        ));
    }

    let mut result = LoadResult {
        requests: 0,
        warmup_requests: 0,
        errors: 0,
        error_samples: Vec::new(),
        latency_ns: empty,
        window: config.duration,
    };
    let limit = config.warmup + config.duration + REQUEST_TIMEOUT + Duration::from_secs(5);
    tokio::time::timeout(limit, async {
        while let Some(joined) = tasks.join_next().await {
            let tally = joined.context("load task")?;
            result.requests += tally.requests;
            result.warmup_requests += tally.warmup_requests;
            result.errors += tally.errors;
            for message in tally.error_samples {
                if result.error_samples.len() < KEPT_ERRORS
                    && !result.error_samples.contains(&message)
                {
                    result.error_samples.push(message);
                }
            }
            result
                .latency_ns
                .add(&tally.latency_ns)
                .context("merging histograms")?;
        }
        Ok::<_, Error>(())
    })
    .await
    .map_err(|_| Error::new("load generator did not finish in time"))??;
    Ok(result)
}

/// One connection's closed loop.
async fn drive(
    mut connection: Connection,
    request: Arc<HealthRequest>,
    warm_end: Instant,
    end: Instant,
    mut tally: Tally,
) -> Tally {
    for _ in 0..MAX_REQUESTS_PER_CONNECTION {
        let sent = Instant::now();
        if sent >= end {
            break;
        }
        let outcome = tokio::time::timeout(
            REQUEST_TIMEOUT,
            client::send(&mut connection, request.build()),
        )
        .await;
        let done = Instant::now();
        match outcome {
            Ok(Ok((StatusCode::OK, _))) => {
                if done < warm_end {
                    tally.warmup_requests += 1;
                } else if done < end {
                    tally.requests += 1;
                    let ns = u64::try_from((done - sent).as_nanos()).unwrap_or(u64::MAX);
                    tally.latency_ns.saturating_record(ns.max(1));
                }
            }
            // The connection is still usable; keep counting so the report
            // shows how many requests were refused, not just the first.
            Ok(Ok((status, body))) => tally.error(format!(
                "HTTP {status}: {}",
                String::from_utf8_lossy(&body[..body.len().min(200)])
            )),
            // Transport errors and timeouts leave the connection in an
            // unknown state: stop this connection.
            Ok(Err(e)) => {
                tally.error(e.to_string());
                break;
            }
            Err(_) => {
                tally.error(format!(
                    "no response within {} s",
                    REQUEST_TIMEOUT.as_secs()
                ));
                break;
            }
        }
    }
    tally
}
