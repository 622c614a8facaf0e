//! `agent-host secrets set|has|rm PROVIDER`.
//!
//! A key only ever travels stdin → this process → the host's `PUT` body:
//! never argv (visible in `/proc/*/cmdline`), never the environment, never
//! printed. It is read before the host is contacted, so a cancelled prompt
//! starts nothing.

use zeroize::Zeroizing;

use super::connect::connect;
use super::{exit, prompt, Failure, SecretsArgs, SecretsCommand};

pub async fn run(args: SecretsArgs) -> Result<u8, Failure> {
    match args.command {
        SecretsCommand::Set { provider } => {
            let key = read_key(provider.as_str()).await?;
            let connection = connect(args.host.user_data).await?;
            let body = Zeroizing::new(serde_json::json!({ "key": key.as_str() }).to_string());
            drop(key);
            let presence = connection
                .client
                .put_raw(
                    &format!("/secrets/{}", provider.as_str()),
                    body.as_bytes().to_vec(),
                )
                .await?;
            eprintln!("{}: stored{}", provider.as_str(), store_suffix(&presence));
            Ok(exit::OK)
        }
        SecretsCommand::Has { provider } => {
            let connection = connect(args.host.user_data).await?;
            let presence = connection
                .client
                .get(&format!("/secrets/{}", provider.as_str()))
                .await?;
            if presence["present"] == true {
                println!("{}: yes{}", provider.as_str(), store_suffix(&presence));
                Ok(exit::OK)
            } else {
                println!("{}: no", provider.as_str());
                Ok(exit::FAILED)
            }
        }
        SecretsCommand::Rm { provider } => {
            let connection = connect(args.host.user_data).await?;
            connection
                .client
                .delete(&format!("/secrets/{}", provider.as_str()))
                .await?;
            eprintln!("{}: removed", provider.as_str());
            Ok(exit::OK)
        }
    }
}

/// ` (keyring)` / ` (file)` when the host says where the key is.
fn store_suffix(presence: &serde_json::Value) -> String {
    presence["store"]
        .as_str()
        .map(|store| format!(" ({store})"))
        .unwrap_or_default()
}

/// The key from stdin: a hidden prompt on a terminal, else the first line
/// of whatever is piped in. Ctrl-C at the prompt restores echo and exits 130.
async fn read_key(provider: &str) -> Result<Zeroizing<String>, Failure> {
    let key = if prompt::stdin_is_terminal() {
        eprint!("API key for {provider}: ");
        let echo = prompt::EchoOff::stdin()
            .map_err(|e| Failure::new(exit::FAILED, format!("cannot hide the input: {e}")))?;
        let mut interrupts =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
                .map_err(|e| Failure::new(exit::FAILED, format!("cannot watch Ctrl-C: {e}")))?;
        let read = tokio::task::spawn_blocking(prompt::read_secret_line);
        let result = tokio::select! {
            read = read => read,
            _ = interrupts.recv() => {
                drop(echo);
                eprintln!();
                return Err(Failure::new(exit::ABORTED, "cancelled"));
            }
        };
        drop(echo);
        result.map_err(|e| Failure::new(exit::FAILED, format!("reading the key failed: {e}")))?
    } else {
        tokio::task::spawn_blocking(prompt::read_secret_line)
            .await
            .map_err(|e| Failure::new(exit::FAILED, format!("reading the key failed: {e}")))?
    };
    let key =
        key.map_err(|e| Failure::new(exit::FAILED, format!("reading the key failed: {e}")))?;
    let key = Zeroizing::new(key.trim().to_owned());
    if key.is_empty() {
        return Err(Failure::usage(format!(
            "no API key for {provider} on stdin"
        )));
    }
    Ok(key)
}
