//! `agent-host`: the AgentHost binary.
//!
//! - `agent-host serve` — the long-lived host; configured only through the
//!   stdin handshake (docs/rfc/handshake.md), never argv or the environment.
//! - `agent-host launch` — starts `serve` as a child through the same
//!   spawn-and-handshake code the shell uses, and keeps it alive until
//!   Ctrl-C: the headless way to run the product.
//! - `agent-host openapi` — prints the OpenAPI document.
//! - `agent-host run`, `sessions`, `secrets` — the command-line client
//!   (src/cli/): the same HTTP API, no window.

mod cli;

use std::io::{BufReader, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use agent_client::{LaunchOptions, Ready};
use agent_host::handshake::{self, HANDSHAKE_TIMEOUT};
use agent_host::lifeline::{self, StopReason};
use agent_host::{AgentHost, StartError, VERSION};
use clap::{Parser, Subcommand};
use tokio::sync::watch;

#[derive(Parser)]
#[command(name = "agent-host", version, about = "The local AgentHost")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the host; reads the handshake line from stdin.
    Serve,
    /// Start a host as a child process and keep it running until Ctrl-C.
    Launch {
        /// User-data directory [default: $XDG_DATA_HOME/agent-host].
        #[arg(long)]
        user_data: Option<PathBuf>,
        /// Allowed renderer origin (repeatable).
        #[arg(long = "origin", default_value = "http://127.0.0.1")]
        origins: Vec<String>,
    },
    /// Print the OpenAPI document of the HTTP API.
    Openapi,
    /// Send a prompt and stream the answer (exit: 0 done, 1 error,
    /// 2 usage, 3 refused, 130 aborted).
    Run(cli::RunArgs),
    /// List, show and remove sessions.
    Sessions(cli::SessionsArgs),
    /// Store, check and remove provider API keys (read from stdin).
    Secrets(cli::SecretsArgs),
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Serve => serve(),
        Command::Launch { user_data, origins } => launch(user_data, origins),
        Command::Openapi => {
            print!("{}", agent_host::openapi_json());
            ExitCode::SUCCESS
        }
        Command::Run(args) => cli::execute(cli::Invocation::Run(args)),
        Command::Sessions(args) => cli::execute(cli::Invocation::Sessions(args)),
        Command::Secrets(args) => cli::execute(cli::Invocation::Secrets(args)),
    }
}

/// Exit codes: see docs/rfc/handshake.md.
const EXIT_RUNTIME: u8 = 1;
const EXIT_HANDSHAKE: u8 = 2;
const EXIT_LOCKED: u8 = 3;

fn serve() -> ExitCode {
    init_tracing();
    // SAFETY: getppid has no preconditions.
    let parent = unsafe { libc::getppid() };
    if !lifeline::set_parent_death_signal(parent) {
        return refuse(EXIT_RUNTIME, "the parent process is already gone");
    }

    let stdin = BufReader::new(std::io::stdin());
    let (line, stdin) = match handshake::read_line_with_timeout(stdin, HANDSHAKE_TIMEOUT) {
        Ok(read) => read,
        Err(e) => return refuse(EXIT_HANDSHAKE, &e.to_string()),
    };
    let handshake = match handshake::parse(&line) {
        Ok(h) => h,
        Err(e) => return refuse(EXIT_HANDSHAKE, &e.to_string()),
    };
    drop(line);

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("agent-host")
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return refuse(EXIT_RUNTIME, &format!("cannot start the runtime: {e}")),
    };
    let code = runtime.block_on(async move {
        let (stop_tx, stop_rx) = watch::channel(None);
        lifeline::watch_stdin(stdin, stop_tx.clone());
        if let Err(e) = lifeline::watch_signals(stop_tx) {
            return refuse(
                EXIT_RUNTIME,
                &format!("cannot install signal handlers: {e}"),
            );
        }
        let host = match AgentHost::start(handshake).await {
            Ok(host) => host,
            Err(e @ StartError::Locked(_)) => return refuse(EXIT_LOCKED, &e.to_string()),
            Err(e) => return refuse(EXIT_RUNTIME, &e.to_string()),
        };
        if let Err(e) = print_ready(host.port()) {
            return refuse(EXIT_RUNTIME, &format!("cannot write the ready line: {e}"));
        }
        match host.serve(stop_rx).await {
            StopReason::ServerFailed => ExitCode::from(EXIT_RUNTIME),
            _ => ExitCode::SUCCESS,
        }
    });
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    code
}

/// The one line this process ever writes to stdout.
fn print_ready(port: u16) -> std::io::Result<()> {
    let ready = Ready::new(port, std::process::id(), VERSION);
    let line = serde_json::to_string(&ready).map_err(std::io::Error::other)?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}")?;
    stdout.flush()
}

/// Refusals are one line on stderr and a non-zero exit; stdout stays empty.
fn refuse(code: u8, message: &str) -> ExitCode {
    eprintln!("agent-host: refused to start: {message}");
    ExitCode::from(code)
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_env("AGENT_HOST_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_target(false)
        .init();
}

fn launch(user_data: Option<PathBuf>, origins: Vec<String>) -> ExitCode {
    let Some(user_data) = user_data.or_else(cli::connect::default_user_data) else {
        eprintln!("agent-host: no --user-data given and no home directory to default to");
        return ExitCode::from(EXIT_RUNTIME);
    };
    let program = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("agent-host: cannot find my own executable: {e}");
            return ExitCode::from(EXIT_RUNTIME);
        }
    };
    let mut options = LaunchOptions::new(program, user_data.clone());
    options.allowed_origins = origins;
    options.publish_connection = true;
    let host = match agent_client::launch(&options) {
        Ok(host) => host,
        Err(e) => {
            eprintln!("agent-host: {e}");
            return ExitCode::from(EXIT_RUNTIME);
        }
    };
    eprintln!(
        "agent-host: AgentHost {} ready on http://127.0.0.1:{} (pid {}, user data {}). Ctrl-C stops it.",
        host.ready.version,
        host.ready.port,
        host.ready.pid,
        user_data.display()
    );
    // The child is in our process group, so Ctrl-C reaches it too; either
    // way we wait for it, and if we die first its stdin closes.
    let mut host = host;
    match host.child.wait() {
        Ok(status) if status.success() => ExitCode::SUCCESS,
        Ok(status) => {
            eprintln!("agent-host: the host exited with {status}");
            ExitCode::from(EXIT_RUNTIME)
        }
        Err(e) => {
            eprintln!("agent-host: waiting for the host failed: {e}");
            ExitCode::from(EXIT_RUNTIME)
        }
    }
}
