//! `scripted-provider SCRIPT.json`: serves a script (a JSON array of
//! `Reply`) on loopback for benchmarks and manual runs, prints
//! `{"port":N}` on stdout once listening, and runs until SIGINT/SIGTERM.

use std::io::Write;
use std::process::ExitCode;

use agent_provider::scripted::{Reply, ScriptedProvider};

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("scripted-provider: {message}");
            ExitCode::from(2)
        }
    }
}

async fn run() -> Result<(), String> {
    let path = std::env::args_os()
        .nth(1)
        .ok_or("usage: scripted-provider SCRIPT.json")?;
    let text =
        std::fs::read_to_string(&path).map_err(|err| format!("cannot read the script: {err}"))?;
    let script: Vec<Reply> =
        serde_json::from_str(&text).map_err(|err| format!("invalid script: {err}"))?;
    let server = ScriptedProvider::start(script)
        .await
        .map_err(|err| format!("cannot listen: {err}"))?;

    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", serde_json::json!({ "port": server.port() }))
        .and_then(|()| stdout.flush())
        .map_err(|err| format!("cannot write the port: {err}"))?;
    drop(stdout);

    wait_for_signal().await?;
    server.shutdown().await;
    Ok(())
}

async fn wait_for_signal() -> Result<(), String> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate())
            .map_err(|err| format!("cannot watch SIGTERM: {err}"))?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result.map_err(|err| format!("cannot watch SIGINT: {err}")),
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c()
            .await
            .map_err(|err| format!("cannot watch Ctrl-C: {err}"))
    }
}
