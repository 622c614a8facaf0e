//! The command-line client: `run`, `sessions` and `secrets` speak the same
//! HTTP API as the desktop renderer, to a running host through its Unix
//! socket (`host.sock`) or to a private one started for the command
//! ([`connect`]). Nothing here touches storage directly, so the CLI can
//! never disagree with the window about what a session or a key is.

pub mod connect;
mod prompt;
mod render;
mod run;
mod secrets;
mod sessions;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};

pub use agent_client::ClientError;

/// Exit codes shared by every client command (see `agent-host run --help`).
pub mod exit {
    /// The command did what it was asked.
    pub const OK: u8 = 0;
    /// A provider/stream error, a transport failure or a host that could
    /// not be reached or started.
    pub const FAILED: u8 = 1;
    /// The command line itself was wrong (clap uses 2 as well).
    pub const USAGE: u8 = 2;
    /// The host refused the request before anything ran (HTTP 4xx).
    pub const REFUSED: u8 = 3;
    /// Ctrl-C: the turn was aborted.
    pub const ABORTED: u8 = 130;
}

/// Why a command stopped early: an exit code and one line for stderr.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(exit::USAGE, message)
    }
}

impl From<ClientError> for Failure {
    /// A 4xx is the host saying no to this request (exit 3, its message
    /// shown as is); anything else means the exchange itself failed.
    fn from(e: ClientError) -> Self {
        let code = match &e {
            ClientError::Api { status, .. } if (400..500).contains(status) => exit::REFUSED,
            _ => exit::FAILED,
        };
        Failure::new(code, e.to_string())
    }
}

/// The providers a key or a turn can name; mirrors `agent_provider::Provider`
/// so clap rejects a typo with exit 2 before anything is started.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ProviderName {
    Openrouter,
    AiGateway,
    Custom,
}

impl ProviderName {
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderName::Openrouter => "openrouter",
            ProviderName::AiGateway => "ai-gateway",
            ProviderName::Custom => "custom",
        }
    }
}

/// Where to find (or start) the host; shared by every client command.
#[derive(Args, Clone, Debug, Default)]
pub struct HostArgs {
    /// User-data directory [default: $XDG_DATA_HOME/agent-host].
    #[arg(long, global = true, value_name = "DIR")]
    pub user_data: Option<PathBuf>,
}

/// `agent-host run`.
///
/// Exit codes: 0 finished, 1 provider/stream error or transport failure,
/// 2 usage error, 3 refused before streaming (e.g. provider_down,
/// run_in_flight), 130 aborted with Ctrl-C.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// The message to send.
    pub prompt: String,
    /// Workspace directory the session's tools run in (new sessions only).
    #[arg(long, value_name = "DIR", conflicts_with = "session")]
    pub workspace: Option<PathBuf>,
    /// Continue this session instead of creating one.
    #[arg(long, value_name = "ID")]
    pub session: Option<String>,
    /// Provider for this turn (default: the host's resolution order).
    #[arg(long, value_enum)]
    pub provider: Option<ProviderName>,
    /// Model for this turn.
    #[arg(long)]
    pub model: Option<String>,
    /// Approve every tool call without asking.
    #[arg(long)]
    pub yes: bool,
    #[command(flatten)]
    pub host: HostArgs,
}

/// `agent-host sessions …`.
#[derive(Args, Debug)]
pub struct SessionsArgs {
    #[command(subcommand)]
    pub command: SessionsCommand,
    #[command(flatten)]
    pub host: HostArgs,
}

#[derive(Subcommand, Debug)]
pub enum SessionsCommand {
    /// List sessions, newest first.
    List {
        /// Only sessions whose title or messages contain this text.
        #[arg(long)]
        q: Option<String>,
        /// At most this many (1..=200).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=200))]
        limit: Option<u32>,
        /// Include archived sessions.
        #[arg(long)]
        all: bool,
    },
    /// Print a session's messages.
    Show { id: String },
    /// Delete a session and its history.
    Rm { id: String },
}

/// `agent-host secrets …`. Keys are read from stdin, never from argv.
#[derive(Args, Debug)]
pub struct SecretsArgs {
    #[command(subcommand)]
    pub command: SecretsCommand,
    #[command(flatten)]
    pub host: HostArgs,
}

#[derive(Subcommand, Debug)]
pub enum SecretsCommand {
    /// Store a provider's API key, read from stdin (hidden prompt on a TTY).
    Set {
        #[arg(value_enum)]
        provider: ProviderName,
    },
    /// Exit 0 if the provider has a key, 1 if not.
    Has {
        #[arg(value_enum)]
        provider: ProviderName,
    },
    /// Remove a provider's key from every store.
    Rm {
        #[arg(value_enum)]
        provider: ProviderName,
    },
}

/// One client command.
pub enum Invocation {
    Run(RunArgs),
    Sessions(SessionsArgs),
    Secrets(SecretsArgs),
}

/// Runs a client command on a single-threaded runtime: the CLI does one
/// thing at a time, and blocking terminal reads go to the blocking pool.
pub fn execute(invocation: Invocation) -> ExitCode {
    quiet_private_host_logs();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("agent-host: cannot start the runtime: {e}");
            return ExitCode::from(exit::FAILED);
        }
    };
    let result = runtime.block_on(async move {
        match invocation {
            Invocation::Run(args) => run::run(args).await,
            Invocation::Sessions(args) => sessions::run(args).await,
            Invocation::Secrets(args) => secrets::run(args).await,
        }
    });
    // A prompt may still be blocked reading the terminal; do not wait for it.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    match result {
        Ok(code) => ExitCode::from(code),
        Err(failure) => {
            eprintln!("agent-host: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

/// A private host inherits our stderr; at its default `info` level its
/// start-up and shutdown lines would drown the answer. Only when the user
/// has not chosen a level, and before any thread exists.
fn quiet_private_host_logs() {
    if std::env::var_os("AGENT_HOST_LOG").is_none() {
        std::env::set_var("AGENT_HOST_LOG", "warn");
    }
}

/// Ids go into URL paths; anything but `[A-Za-z0-9_-]` could reach another
/// route, so it is refused before a request is made.
pub fn check_id(what: &str, id: &str) -> Result<(), Failure> {
    let ok = !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(Failure::usage(format!("not a valid {what} id: {id:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_that_could_change_the_route_are_refused() {
        assert!(check_id("session", "ses_abc-123").is_ok());
        for bad in ["", "../secrets", "a/b", "a?b", "a b", "a%2f"] {
            assert_eq!(check_id("session", bad).unwrap_err().code, exit::USAGE);
        }
    }
}
