//! The supervisor against the real `agent-host` binary (and a few scripts
//! standing in for broken hosts). Every wait is bounded.

use std::time::{Duration, Instant};

use crate::common::*;
use agent_shell::supervisor::{HostState, Supervisor, SupervisorConfig, SupervisorError};
use testkit::{alive, eventually, group_members, host_binary, proc_stat, signal};

const READY_WITHIN: Duration = Duration::from_secs(20);

#[test]
fn starts_ready_and_answers_health_with_its_credential() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut supervisor = Supervisor::start(fast_config(dir.path())).expect("start");
    let mut states = supervisor.subscribe();
    let (port, password, pid, generation) = wait_ready(&mut states, 0, READY_WITHIN);

    assert_eq!(generation, 1);
    assert_eq!(health_status(port, &password), 200);
    assert_eq!(health_status(port, &"x".repeat(43)), 401);
    // The leader of its own process group, so the group can be killed whole.
    assert_eq!(proc_stat(pid).map(|(_, pgrp)| pgrp), Some(pid));
    // The password reached the host through stdin only.
    for file in ["cmdline", "environ"] {
        let bytes = std::fs::read(format!("/proc/{pid}/{file}")).expect("read /proc");
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(&password), "password in /proc/{pid}/{file}");
    }
    assert!(dir.path().join("host.sock").exists());
    // Debug output of the state never shows the password.
    assert!(!format!("{:?}", supervisor.state()).contains(&password));
    // Health checks keep passing: still generation 1 after several intervals.
    std::thread::sleep(Duration::from_millis(700));
    assert!(matches!(
        supervisor.state(),
        HostState::Ready { generation: 1, .. }
    ));

    supervisor.shutdown();
}

#[test]
fn a_killed_host_is_restarted_with_a_new_port_and_password() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut supervisor = Supervisor::start(fast_config(dir.path())).expect("start");
    let mut states = supervisor.subscribe();
    let (port1, password1, pid1, gen1) = wait_ready(&mut states, 0, READY_WITHIN);

    let killed = Instant::now();
    signal(pid1, libc::SIGKILL);
    let (port2, password2, pid2, gen2) = wait_ready(&mut states, gen1, READY_WITHIN);
    let took = killed.elapsed();

    assert!(took < Duration::from_secs(5), "restart took {took:?}");
    assert!(gen2 > gen1);
    assert_ne!(pid2, pid1);
    assert_ne!(port2, port1);
    assert_ne!(password2, password1);
    assert_eq!(health_status(port2, &password2), 200);
    assert_eq!(
        health_status(port2, &password1),
        401,
        "the old password still works"
    );

    supervisor.shutdown();
}

#[test]
fn a_host_that_exits_at_once_backs_off_then_fails_with_its_stderr() {
    let dir = tempfile::tempdir().expect("tempdir");
    let boom = script(dir.path(), "boom", "echo boom >&2\nexit 1");
    let mut config = fast_config(&dir.path().join("data"));
    config.host_program = boom;
    config.max_failures = 4;
    config.backoff.initial = Duration::from_millis(100);
    config.backoff.max = Duration::from_secs(10);
    let mut supervisor = Supervisor::start(config).expect("start");
    let mut states = supervisor.subscribe();

    // Record every Restarting/Failed state with the time it was seen.
    let seen = block_on(async {
        let mut seen = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let state = states.borrow_and_update().clone();
            let at = Instant::now();
            match &state {
                HostState::Restarting { .. } => seen.push((at, state)),
                HostState::Failed { .. } => {
                    seen.push((at, state));
                    return seen;
                }
                _ => {}
            }
            match tokio::time::timeout_at(deadline, states.changed()).await {
                Ok(Ok(())) => {}
                _ => panic!("no Failed state in time; saw {seen:?}"),
            }
        }
    });

    let restarts: Vec<_> = seen
        .iter()
        .filter_map(|(at, s)| match s {
            HostState::Restarting { attempt, next_in } => Some((*at, *attempt, *next_in)),
            _ => None,
        })
        .collect();
    let ms = Duration::from_millis;
    let attempts: Vec<_> = restarts.iter().map(|r| (r.1, r.2)).collect();
    assert_eq!(
        attempts,
        [(1, ms(100)), (2, ms(200)), (3, ms(400))],
        "{seen:?}"
    );
    // Each gap covers the announced delay, and the gaps grow. The times are
    // when this test *saw* each state, so one seen late shortens the next
    // gap by as much: a 20 ms allowance for that (seen in CI: 99.2 ms).
    let slack = ms(20);
    let gaps: Vec<_> = restarts.windows(2).map(|w| w[1].0 - w[0].0).collect();
    assert!(gaps[0] + slack >= ms(100), "{gaps:?}");
    assert!(gaps[1] + slack >= ms(200), "{gaps:?}");
    assert!(gaps[1] > gaps[0], "{gaps:?}");
    let (failed_at, failed) = seen.last().expect("Failed");
    assert!(*failed_at - restarts[2].0 + slack >= ms(400));
    match failed {
        HostState::Failed {
            reason,
            last_stderr,
        } => {
            assert!(last_stderr.iter().any(|l| l == "boom"), "{last_stderr:?}");
            assert!(reason.contains("exit status: 1"), "{reason}");
        }
        other => panic!("expected Failed, got {other:?}"),
    }
    // It stays Failed: no more attempts.
    std::thread::sleep(ms(300));
    assert!(matches!(supervisor.state(), HostState::Failed { .. }));
    supervisor.shutdown();
}

#[test]
fn a_missing_program_fails_with_the_spawn_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = fast_config(dir.path());
    config.host_program = dir.path().join("no-such-host");
    config.max_failures = 2;
    config.backoff.initial = Duration::from_millis(10);
    let supervisor = Supervisor::start(config).expect("start");
    let mut states = supervisor.subscribe();
    let state = wait_for(&mut states, Duration::from_secs(10), |s| {
        matches!(s, HostState::Failed { .. })
    });
    let HostState::Failed { reason, .. } = state else {
        unreachable!()
    };
    assert!(reason.contains("could not start"), "{reason}");
    assert!(reason.contains("no-such-host"), "{reason}");
}

#[test]
fn a_host_that_stops_answering_is_killed_and_restarted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut supervisor = Supervisor::start(fast_config(dir.path())).expect("start");
    let mut states = supervisor.subscribe();
    let (_, _, pid1, gen1) = wait_ready(&mut states, 0, READY_WITHIN);

    signal(pid1, libc::SIGSTOP);
    let stopped = Instant::now();
    let (port2, password2, pid2, _) = wait_ready(&mut states, gen1, READY_WITHIN);
    let took = stopped.elapsed();

    // Two missed checks (200 ms apart, 500 ms timeout) plus a restart.
    assert!(took < Duration::from_secs(6), "restart took {took:?}");
    assert_ne!(pid2, pid1);
    assert!(!alive(pid1), "the hung host was not killed");
    assert_eq!(health_status(port2, &password2), 200);
    supervisor.shutdown();
}

#[test]
fn shutdown_stops_the_host_within_a_second_and_removes_its_socket() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut supervisor = Supervisor::start(fast_config(dir.path())).expect("start");
    let mut states = supervisor.subscribe();
    let (_, _, pid, _) = wait_ready(&mut states, 0, READY_WITHIN);
    assert!(dir.path().join("host.sock").exists());

    let started = Instant::now();
    supervisor.shutdown();
    let took = started.elapsed();

    assert!(took < Duration::from_millis(1500), "shutdown took {took:?}");
    assert!(!alive(pid));
    assert!(group_members(pid).is_empty(), "{:?}", group_members(pid));
    assert!(!dir.path().join("host.sock").exists());
    // The state channel reports that the supervisor is gone.
    assert!(block_on(states.changed()).is_err());
}

#[test]
fn shutdown_kills_what_the_host_left_in_its_group() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A host that leaves a child behind in its process group.
    let host = host_binary().display().to_string();
    let wrapper = script(
        dir.path(),
        "host-with-child",
        &format!("sleep 300 &\nexec '{host}' \"$@\""),
    );
    let mut config = fast_config(&dir.path().join("data"));
    config.host_program = wrapper;
    let supervisor = Supervisor::start(config).expect("start");
    let mut states = supervisor.subscribe();
    let (_, _, pid, _) = wait_ready(&mut states, 0, READY_WITHIN);
    assert!(group_members(pid).len() >= 2, "{:?}", group_members(pid));

    let started = Instant::now();
    drop(supervisor); // Drop does the same as shutdown().
    let took = started.elapsed();

    assert!(took < Duration::from_secs(4), "shutdown took {took:?}");
    assert!(!alive(pid));
    assert!(group_members(pid).is_empty(), "{:?}", group_members(pid));
}

#[test]
fn the_host_dies_with_a_sigkilled_shell() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut shell = std::process::Command::new(env!("CARGO_BIN_EXE_supervise-once"))
        .arg(host_binary())
        .arg(dir.path())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn supervise-once");
    let stdout = shell.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        let mut line = String::new();
        let _ = std::io::BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = match rx.recv_timeout(READY_WITHIN) {
        Ok(line) => line,
        Err(_) => {
            let _ = shell.kill();
            let _ = shell.wait();
            panic!("supervise-once printed nothing");
        }
    };
    let pid: u32 = line
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("unexpected line {line:?}"));
    assert!(alive(pid));

    shell.kill().expect("SIGKILL the shell");
    shell.wait().expect("reap the shell");

    assert!(
        eventually(Duration::from_secs(2), || !alive(pid)),
        "the host outlived the shell"
    );
}

#[test]
fn refuses_configurations_it_cannot_run() {
    let config = SupervisorConfig::new("relative", vec![ORIGIN.into()], vec![ROOT.into()]);
    assert!(matches!(
        Supervisor::start(config),
        Err(SupervisorError::RelativeUserData)
    ));
    let config = SupervisorConfig::new("/tmp/x", Vec::new(), vec![ROOT.into()]);
    assert!(matches!(
        Supervisor::start(config),
        Err(SupervisorError::NoRenderer)
    ));
}
