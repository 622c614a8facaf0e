//! A minimal shell for tests: starts a supervisor, prints the host's pid
//! once it is ready, then sleeps. The tests SIGKILL this process to prove
//! the host never outlives the shell.
//!
//! Usage: `supervise-once <host-program> <user-data>`.

use std::time::Duration;

use agent_shell::supervisor::{HostState, Supervisor, SupervisorConfig};

/// Upper bound on this process's life, so a test that forgets it cannot
/// leave it running.
const MAX_LIFE: Duration = Duration::from_secs(60);

fn main() {
    if let Err(message) = run() {
        eprintln!("supervise-once: {message}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let mut args = std::env::args_os().skip(1);
    let (Some(program), Some(user_data)) = (args.next(), args.next()) else {
        return Err("usage: supervise-once <host-program> <user-data>".into());
    };
    let mut config = SupervisorConfig::new(
        user_data,
        vec!["http://127.0.0.1".into()],
        vec!["/desktop".into()],
    );
    config.host_program = program.into();
    let supervisor = Supervisor::start(config).map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .map_err(|e| e.to_string())?;
    let mut states = supervisor.subscribe();
    let ready = runtime.block_on(async {
        tokio::time::timeout(
            Duration::from_secs(20),
            states.wait_for(|s| matches!(s, HostState::Ready { .. } | HostState::Failed { .. })),
        )
        .await
        .map(|state| state.map(|s| s.clone()))
    });
    match ready {
        Ok(Ok(HostState::Ready { pid, port, .. })) => println!("ready {pid} {port}"),
        Ok(Ok(state)) => return Err(format!("the host did not start: {state:?}")),
        _ => return Err("no ready host within 20 s".into()),
    }
    std::thread::sleep(MAX_LIFE);
    drop(supervisor);
    Ok(())
}
