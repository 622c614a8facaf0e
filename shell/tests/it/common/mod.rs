//! Helpers shared by the supervisor tests: the real `agent-host` binary,
//! fast configurations, bounded waits on the state channel, `/proc` probes.

#![allow(dead_code)] // Each test file uses a different subset.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use agent_shell::supervisor::health::get_health;
use agent_shell::supervisor::{BackoffConfig, HostState, SupervisorConfig};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use tokio::sync::watch;

pub const ORIGIN: &str = "http://127.0.0.1";
pub const ROOT: &str = "/desktop";
pub const REFERER: &str = "http://127.0.0.1/desktop/";

/// The target directory this test binary was built into
/// (`<target>/debug/deps/<test>` → `<target>/debug`), so a custom
/// `CARGO_TARGET_DIR` is honoured.
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    exe.parent()
        .and_then(Path::parent)
        .expect("test binary under <target>/<profile>/deps")
        .to_path_buf()
}

/// The longest a fallback build of the host may take before the tests give up.
const HOST_BUILD_TIMEOUT: Duration = Duration::from_secs(20 * 60);

/// The real `agent-host` binary: `<target>/debug/agent-host` (built by
/// `cargo build -p agent-host` or any workspace test run). An existing
/// binary is used as is, so rebuild it after changing the host.
///
/// When it is missing, it is built on first use — into a *separate* target
/// directory, `<target>/agent-shell-host`: `cargo test` holds the lock on
/// its own target directory while tests run, so a nested build there
/// would wait forever. That build is cold and slow; building the host
/// first is faster.
pub fn host_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let profile = profile_dir();
        let binary = profile.join("agent-host");
        if binary.is_file() {
            return binary;
        }
        let own_target = profile
            .parent()
            .expect("<target>/<profile>")
            .join("agent-shell-host");
        let fallback = own_target.join("debug/agent-host");
        if !fallback.is_file() {
            build_host(&own_target);
        }
        assert!(
            fallback.is_file(),
            "no agent-host at {}",
            fallback.display()
        );
        fallback
    })
}

/// `cargo build -p agent-host --bin agent-host` into `target_dir`, bounded.
fn build_host(target_dir: &Path) {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
    eprintln!(
        "agent-host is not built; building it into {} (run `cargo build -p agent-host` first to skip this)",
        target_dir.display()
    );
    let mut build = std::process::Command::new(cargo)
        .args([
            "build",
            "-p",
            "agent-host",
            "--bin",
            "agent-host",
            "--manifest-path",
        ])
        .arg(manifest)
        .env("CARGO_TARGET_DIR", target_dir)
        .spawn()
        .expect("run cargo build -p agent-host");
    let deadline = std::time::Instant::now() + HOST_BUILD_TIMEOUT;
    let status = loop {
        if let Some(status) = build.try_wait().expect("wait for cargo") {
            break status;
        }
        if std::time::Instant::now() >= deadline {
            let _ = build.kill();
            let _ = build.wait();
            panic!("cargo build -p agent-host took over {HOST_BUILD_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(
        status.success(),
        "cargo build -p agent-host failed: {status}"
    );
}

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
    let authorization = format!("Basic {}", STANDARD.encode(format!("agent:{password}")));
    get_health(port, &authorization, REFERER, Duration::from_secs(5)).expect("health answer")
}

/// `(state, pgrp)` of a process from `/proc/<pid>/stat`, `None` when gone.
pub fn proc_stat(pid: u32) -> Option<(char, u32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_ascii_whitespace();
    let state = fields.next()?.chars().next()?;
    let _ppid = fields.next()?;
    Some((state, fields.next()?.parse().ok()?))
}

/// Alive = listed in `/proc` and not a zombie (pid 1 here may never reap
/// orphans, so a zombie counts as gone).
pub fn alive(pid: u32) -> bool {
    proc_stat(pid).is_some_and(|(state, _)| !matches!(state, 'Z' | 'X'))
}

/// Live (non-zombie) processes whose process group is `pgid`.
pub fn group_members(pgid: u32) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .expect("/proc")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| {
            proc_stat(pid).is_some_and(|(state, pgrp)| pgrp == pgid && !matches!(state, 'Z' | 'X'))
        })
        .collect()
}

/// Polls `cond` every 10 ms until it holds or `timeout` passes.
pub fn eventually(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if std::time::Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

pub fn signal(pid: u32, signal: libc::c_int) {
    let pid = libc::pid_t::try_from(pid).expect("pid");
    assert!(pid > 1);
    // SAFETY: kill has no memory-safety preconditions.
    unsafe {
        libc::kill(pid, signal);
    }
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
    std::fs::read_dir("/proc")
        .ok()?
        .flatten()
        .find_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
            let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
            let is_shell = args.first().is_some_and(|a| *a == shell.as_bytes());
            (is_shell && args.contains(&marker.as_bytes())).then_some(pid)
        })
}
