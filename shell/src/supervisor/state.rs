//! What the rest of the shell sees of the host: one [`HostState`] value,
//! published through a `tokio::sync::watch` so the UI always reads the
//! latest state and never a backlog.

use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use zeroize::Zeroizing;

/// The Basic Auth credential of one host generation.
///
/// The password exists only in this process's memory (zeroised when the
/// last clone is dropped); `Debug` never shows it, so a state can be logged.
#[derive(Clone)]
pub struct Credentials {
    password: Arc<Zeroizing<String>>,
}

impl Credentials {
    /// The Basic Auth user the host expects.
    pub const USER: &'static str = "agent";

    pub(crate) fn new(password: Zeroizing<String>) -> Self {
        Self {
            password: Arc::new(password),
        }
    }

    /// The password, for building requests. Never log it.
    pub fn password(&self) -> &str {
        self.password.as_str()
    }

    /// The `Authorization` header value: `Basic base64(agent:<password>)`.
    pub fn authorization(&self) -> Zeroizing<String> {
        let pair = Zeroizing::new(format!("{}:{}", Self::USER, self.password()));
        Zeroizing::new(format!("Basic {}", STANDARD.encode(pair.as_bytes())))
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &Self::USER)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// The host as the shell should treat it right now.
#[derive(Clone, Debug)]
pub enum HostState {
    /// A host is being spawned and has not printed its ready line yet.
    Starting,
    /// A host is serving and answered its health checks.
    Ready {
        port: u16,
        connection: Credentials,
        pid: u32,
        /// Counts spawns by this supervisor, starting at 1; a new value means
        /// a new process, port and password.
        generation: u64,
    },
    /// The last host failed; another start follows after `next_in`.
    Restarting {
        /// Consecutive failures so far (1 for the first restart).
        attempt: u32,
        next_in: Duration,
    },
    /// The supervisor gave up after `max_failures` consecutive failures.
    Failed {
        /// Why the last attempt failed, e.g. "exited with exit status: 1".
        reason: String,
        /// The last host's final stderr lines (at most 50), password redacted.
        last_stderr: Vec<String>,
    },
}

impl HostState {
    /// Port and credential when the host is ready.
    pub fn ready(&self) -> Option<(u16, &Credentials)> {
        match self {
            HostState::Ready {
                port, connection, ..
            } => Some((*port, connection)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_password() {
        let credentials = Credentials::new(Zeroizing::new("s3cret-s3cret".to_owned()));
        let state = HostState::Ready {
            port: 1,
            connection: credentials.clone(),
            pid: 2,
            generation: 3,
        };
        assert!(!format!("{state:?}").contains("s3cret"));
        assert!(!format!("{state:#?}").contains("s3cret"));
        assert_eq!(credentials.password(), "s3cret-s3cret");
    }

    #[test]
    fn authorization_is_basic_agent_password() {
        let credentials = Credentials::new(Zeroizing::new("pw".to_owned()));
        let expected = format!("Basic {}", STANDARD.encode("agent:pw"));
        assert_eq!(credentials.authorization().as_str(), expected);
    }
}
