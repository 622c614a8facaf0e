//! Helpers of the shell's own tests: fast supervisor configurations for
//! the real `agent-host` (`testkit::host_binary`), bounded waits on the
//! state channel, scripts, the real shell's pid. What every harness needs
//! (the host binary, `/proc` probes, signals, `eventually`) is `testkit`.

#![allow(dead_code)] // Each test file uses a different subset.

pub mod control;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::Duration;

use agent_shell::supervisor::health::get_health;
use agent_shell::supervisor::{BackoffConfig, HostState, SupervisorConfig};
use testkit::host_binary;
use tokio::sync::watch;

pub const ORIGIN: &str = "http://127.0.0.1";
pub const ROOT: &str = "/desktop";
pub const REFERER: &str = "http://127.0.0.1/desktop/";

/// A configuration with test-speed timings for the real host.
pub fn fast_config(user_data: &Path) -> SupervisorConfig {
    let mut config = SupervisorConfig::new(user_data, vec![ORIGIN.into()], vec![ROOT.into()]);
    config.host_program = host_binary().to_path_buf();
    config.health_interval = Duration::from_millis(200);
    config.health_timeout = Duration::from_millis(500);
    config.ready_timeout = Duration::from_secs(15);
    config.backoff = BackoffConfig {
        initial: Duration::from_millis(100),
        max: Duration::from_secs(1),
        reset_after: Duration::from_secs(30),
    };
    config
}

/// Runs `future` to completion on a fresh single-threaded runtime.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime")
        .block_on(future)
}

/// The first state (current one included) matching `pred`, within `timeout`.
pub fn wait_for(
    states: &mut watch::Receiver<HostState>,
    timeout: Duration,
    pred: impl FnMut(&HostState) -> bool,
) -> HostState {
    block_on(async {
        let found = match tokio::time::timeout(timeout, states.wait_for(pred)).await {
            Ok(Ok(state)) => Some(state.clone()),
            Ok(Err(_)) => panic!("the supervisor ended"),
            Err(_) => None,
        };
        found.unwrap_or_else(|| {
            panic!(
                "no matching state within {timeout:?}; last: {:?}",
                *states.borrow()
            )
        })
    })
}

/// Waits for `Ready` with a generation above `after`; returns
/// (port, password, pid, generation).
pub fn wait_ready(
    states: &mut watch::Receiver<HostState>,
    after: u64,
    timeout: Duration,
) -> (u16, String, u32, u64) {
    let state = wait_for(states, timeout, |s| {
        matches!(s, HostState::Ready { generation, .. } if *generation > after)
            || matches!(s, HostState::Failed { .. })
    });
    match state {
        HostState::Ready {
            port,
            connection,
            pid,
            generation,
        } => (port, connection.password().to_owned(), pid, generation),
        other => panic!("expected Ready, got {other:?}"),
    }
}

/// `GET /health` status with Basic Auth `agent:<password>`.
pub fn health_status(port: u16, password: &str) -> u16 {
    let authorization = testkit::basic(&format!("agent:{password}"));
    get_health(port, &authorization, REFERER, Duration::from_secs(5)).expect("health answer")
}

/// An executable shell script in `dir`.
pub fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write script");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

/// The pid of the real `agent-shell` process (under dbus-run-session and
/// xvfb-run) whose command line has the argument `marker`.
pub fn shell_pid(marker: &str) -> Option<u32> {
    let shell = env!("CARGO_BIN_EXE_agent-shell");
    testkit::pids().find(|pid| {
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
        let is_shell = args.first().is_some_and(|a| *a == shell.as_bytes());
        is_shell && args.contains(&marker.as_bytes())
    })
}

/// A loopback server answering every request with `body` as HTML; returns
/// its origin (`http://127.0.0.1:PORT`).
pub fn html_server(body: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let origin = format!("http://{}", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            std::thread::spawn(move || {
                let mut buffer = [0u8; 4096];
                let _ = stream.read(&mut buffer);
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
            });
        }
    });
    origin
}
