//! Connection exhaustion (security audit finding 5) against the real host
//! binary over real loopback TCP: thousands of idle connections must not
//! keep an authenticated request from being answered, and must not cut a
//! stream in progress. The host runs under the audit's descriptor limit
//! (1024 soft and hard, set in the child before exec); the test raises its
//! own soft limit to fit its 2,000 sockets.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::*;
use agent_provider::scripted::{Reply, Scripted};
use serde_json::json;

/// Idle connections opened against the host.
const IDLE_CONNECTIONS: usize = 2000;
/// Of those, the first ones send one keep-alive request first.
const KEEP_ALIVE_CONNECTIONS: usize = 500;
/// The descriptor limit of the finding.
const HOST_FD_LIMIT: u64 = 1024;
/// The bound on an authenticated request's latency under the flood.
const LATENCY_LIMIT: Duration = Duration::from_millis(100);
/// Every connect and read of the test gives up after this.
const IO_TIMEOUT: Duration = Duration::from_secs(2);

fn fd_limit() -> libc::rlimit {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes into the struct it is given.
    let rc = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
    assert_eq!(rc, 0, "getrlimit: {}", std::io::Error::last_os_error());
    limit
}

/// Raises this test process's soft descriptor limit to its hard limit and
/// returns the new soft limit.
fn raise_own_fd_limit() -> u64 {
    let mut limit = fd_limit();
    limit.rlim_cur = limit.rlim_max;
    // SAFETY: setrlimit only reads the struct it is given.
    let rc = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) };
    assert_eq!(rc, 0, "setrlimit: {}", std::io::Error::last_os_error());
    limit.rlim_cur
}

/// [`TestHost::start`], but the child runs with this descriptor limit.
fn start_host_with_fd_limit(user_data: &Path, soft: u64, hard: u64) -> TestHost {
    let mut cmd = host_command(&[("AGENT_HOST_SECRET_BACKEND", "file")]);
    // SAFETY: the closure runs between fork and exec; it only calls
    // setrlimit (async-signal-safe) and allocates nothing on success.
    unsafe {
        cmd.pre_exec(move || {
            let limit = libc::rlimit {
                rlim_cur: soft,
                rlim_max: hard,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    TestHost::handshake(
        cmd.spawn().expect("spawn agent-host"),
        launch_options(user_data),
    )
}

fn address(host: &TestHost) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], host.port))
}

fn request_head(host: &TestHost, path: &str, close: bool) -> String {
    let mut head = format!("GET {path} HTTP/1.1\r\n");
    for (k, v) in host.good_headers() {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if close {
        head.push_str("Connection: close\r\n");
    }
    head.push_str("\r\n");
    head
}

/// One keep-alive `GET /health` on `stream`; reads exactly its response
/// (by `Content-Length`) and leaves the connection open. Returns the status.
fn keep_alive_health(host: &TestHost, mut stream: &TcpStream) -> std::io::Result<u16> {
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.write_all(request_head(host, "/health", false).as_bytes())?;
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    let split = loop {
        if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        raw.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let length: usize = head
        .split("\r\n")
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .expect("a Content-Length on /health");
    let mut have = raw.len() - split - 4;
    while have < length {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        have += n;
    }
    Ok(status)
}

/// Opens [`IDLE_CONNECTIONS`] connections and leaves them open: the first
/// [`KEEP_ALIVE_CONNECTIONS`] after one completed keep-alive request, the
/// rest having sent nothing. Stops early once the host stops taking
/// connections (each failed connect costs [`IO_TIMEOUT`]).
fn flood(host: &TestHost) -> (Vec<TcpStream>, usize) {
    let address = address(host);
    let mut sockets = Vec::with_capacity(IDLE_CONNECTIONS);
    let mut failures = 0;
    for i in 0..IDLE_CONNECTIONS {
        if failures >= 3 {
            break;
        }
        match TcpStream::connect_timeout(&address, IO_TIMEOUT) {
            Ok(stream) => {
                if i < KEEP_ALIVE_CONNECTIONS && keep_alive_health(host, &stream).ok() != Some(200)
                {
                    failures += 1;
                }
                sockets.push(stream);
            }
            Err(_) => failures += 1,
        }
    }
    (sockets, failures)
}

/// One authenticated `GET /health` on a new connection, timed from the
/// connect to the last byte of the answer.
fn timed_health(host: &TestHost) -> (Duration, Result<u16, String>) {
    let started = Instant::now();
    let result = (|| -> std::io::Result<u16> {
        let mut stream = TcpStream::connect_timeout(&address(host), IO_TIMEOUT)?;
        stream.set_read_timeout(Some(IO_TIMEOUT))?;
        stream.write_all(request_head(host, "/health", true).as_bytes())?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw)?;
        let head = String::from_utf8_lossy(&raw);
        Ok(head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0))
    })();
    (started.elapsed(), result.map_err(|e| e.to_string()))
}

/// A provider answer that streams for a while: `words` words, `delay_ms`
/// apart.
fn slow_answer(words: usize, delay_ms: u64) -> Reply {
    let mut events = Vec::new();
    for i in 0..words {
        events.push(Scripted::Text {
            text: format!("w{i} "),
        });
        events.push(Scripted::Delay { ms: delay_ms });
    }
    events.push(Scripted::Finish {
        reason: "stop".into(),
    });
    events.push(Scripted::Done);
    Reply::Stream { events }
}

#[test]
fn idle_connections_cannot_starve_an_authenticated_request_or_cut_a_stream() {
    let own_limit = raise_own_fd_limit();
    assert!(
        own_limit >= IDLE_CONNECTIONS as u64 + 200,
        "this test needs a hard descriptor limit above {} (have {own_limit})",
        IDLE_CONNECTIONS + 200
    );
    // About 3 s of stream, far longer than the flood.
    const WORDS: usize = 60;
    let provider = TestProvider::start(vec![slow_answer(WORDS, 50)]);
    let user_data = tempfile::tempdir().unwrap();
    let host = start_host_with_fd_limit(user_data.path(), HOST_FD_LIMIT, HOST_FD_LIMIT);
    provider.configure(
        &host,
        json!({"idle_timeout_ms": 5000, "first_chunk_timeout_ms": 5000}),
    );
    let r = host.send("POST", "/sessions", json!({"workspace_id": null}));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let session = r.json()["id"].as_str().unwrap().to_owned();

    // A turn streams (the oldest connection, and a busy one) throughout.
    let mut stream = SseReader::open(
        &host,
        "POST",
        &format!("/sessions/{session}/turns"),
        Some(&json!({"message": "count"})),
        &[],
    );
    assert_eq!(stream.status, 200);
    let mut frames = stream.next_frames(3);

    let flood_started = Instant::now();
    let (sockets, failures) = flood(&host);
    let flood_time = flood_started.elapsed();
    let flood_ended = Instant::now();
    // The stream's reader records when the stream ended.
    let reader = std::thread::spawn(move || {
        let rest = stream.rest();
        (rest, Instant::now())
    });
    // Give the host a moment to take in the last connects (it needs well
    // under 100 ms here).
    std::thread::sleep(Duration::from_millis(500));
    let mut latencies = Vec::new();
    let mut answers = Vec::new();
    for _ in 0..5 {
        let (latency, answer) = timed_health(&host);
        latencies.push(latency);
        answers.push(answer);
        std::thread::sleep(Duration::from_millis(20));
    }
    let max = latencies.iter().max().copied().unwrap();
    eprintln!(
        "flood: {} connections open, {failures} failures, {flood_time:?}; \
         GET /health latencies {latencies:?}, answers {answers:?}",
        sockets.len()
    );
    assert!(
        answers.iter().all(|a| a == &Ok(200)),
        "every GET /health is answered 200 under {IDLE_CONNECTIONS} idle connections: {answers:?} \
         (latencies {latencies:?})"
    );
    assert!(
        max <= LATENCY_LIMIT,
        "GET /health answered within {LATENCY_LIMIT:?} under {IDLE_CONNECTIONS} idle connections; \
         latencies {latencies:?}"
    );
    assert_eq!(failures, 0, "every connect of the flood succeeded");
    assert_eq!(sockets.len(), IDLE_CONNECTIONS);

    // The stream was still running after the flood and was not cut.
    let (rest, stream_ended) = reader.join().unwrap();
    assert!(
        stream_ended > flood_ended,
        "the stream outlasted the flood ({flood_time:?})"
    );
    frames.extend(rest);
    assert_eq!(frames.last().unwrap().kind(), "[DONE]");
    let text: String = frames
        .iter()
        .filter(|f| f.kind() == "text-delta")
        .map(|f| f.json()["delta"].as_str().unwrap().to_owned())
        .collect();
    let expected: String = (0..WORDS).map(|i| format!("w{i} ")).collect();
    assert_eq!(text, expected, "the stream is complete");

    let log = host.stderr_text();
    eprintln!(
        "evicted {}, refused {}",
        log.matches("closing the idlest connection").count(),
        log.matches("connection refused").count()
    );
    // A clean stop with the surviving idle connections still open.
    assert!(host.stop().success());
    drop(sockets);
    provider.shutdown();
}

#[test]
fn the_host_raises_its_soft_descriptor_limit_to_the_hard_limit() {
    let hard = fd_limit().rlim_max;
    if hard <= HOST_FD_LIMIT {
        eprintln!("skipped: the hard descriptor limit ({hard}) leaves nothing to raise");
        return;
    }
    let user_data = tempfile::tempdir().unwrap();
    let host = start_host_with_fd_limit(user_data.path(), HOST_FD_LIMIT, hard);
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", host.pid)).unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap()
        .to_owned();
    let values: Vec<&str> = line.split_whitespace().skip(3).take(2).collect();
    assert_eq!(
        values,
        [hard.to_string(), hard.to_string()],
        "soft and hard limits of the host: {line}"
    );
    assert_eq!(host.get("/health").status, 200);
    assert!(host.stop().success());
}
