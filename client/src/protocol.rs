//! The spawn protocol's wire types (docs/rfc/handshake.md): the one line a
//! parent writes to the host's stdin and the one line the host prints on
//! stdout. The host parses the handshake by hand (its errors must never
//! echo a value, and a value may be the password), but both sides build and
//! read these lines from the types here, so the protocol is defined once.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// The only protocol version hosts and parents speak.
pub const PROTOCOL: u64 = 1;

/// The handshake line's fields, as a parent sends them.
#[derive(Serialize)]
pub struct HandshakeLine<'a> {
    pub protocol: u64,
    pub password: &'a str,
    pub user_data: &'a std::path::Path,
    pub allowed_origins: &'a [String],
    pub referer_roots: &'a [String],
    pub extra_referers: Vec<ExtraReferer<'a>>,
    pub publish_connection: bool,
}

/// An extra (origin, referer root) pair for a non-browser client.
#[derive(Serialize)]
pub struct ExtraReferer<'a> {
    pub origin: &'a str,
    pub root: &'a str,
}

/// The ready line.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Ready {
    pub event: String,
    pub protocol: u64,
    pub port: u16,
    pub pid: u32,
    pub version: String,
}

impl Ready {
    /// The ready line of a host listening on `port`.
    pub fn new(port: u16, pid: u32, version: &str) -> Ready {
        Ready {
            event: "ready".to_owned(),
            protocol: PROTOCOL,
            port,
            pid,
            version: version.to_owned(),
        }
    }

    /// A ready line of this protocol, or `None` for anything else.
    pub fn parse(line: &str) -> Option<Ready> {
        let ready: Ready = serde_json::from_str(line.trim_end()).ok()?;
        (ready.event == "ready" && ready.protocol == PROTOCOL).then_some(ready)
    }
}

/// The host's error body, `{"error":{"code","message"}}`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ErrorDetail {
    /// Stable, machine-readable code.
    pub code: String,
    pub message: String,
}

/// Where a running host is found, and what a parent defaults to.
pub mod paths {
    use super::PathBuf;
    use std::path::Path;

    /// The host's Unix socket in its user-data directory.
    pub const SOCKET_NAME: &str = "host.sock";

    /// The socket's path for a user-data directory.
    pub fn socket(user_data: &Path) -> PathBuf {
        user_data.join(SOCKET_NAME)
    }

    /// The default user-data directory of every parent (shell, CLI,
    /// `launch`): `$XDG_DATA_HOME/agent-host`, or
    /// `~/.local/share/agent-host`. A relative `XDG_DATA_HOME` is ignored,
    /// as the XDG base-directory spec requires.
    pub fn default_user_data() -> Option<PathBuf> {
        if let Some(dir) = std::env::var_os("XDG_DATA_HOME").filter(|d| Path::new(d).is_absolute())
        {
            return Some(PathBuf::from(dir).join("agent-host"));
        }
        std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/share/agent-host"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_lines_round_trip_and_foreign_ones_are_refused() {
        let ready = Ready::new(4242, 7, "0.1.0");
        let line = serde_json::to_string(&ready).expect("json");
        assert_eq!(Ready::parse(&format!("{line}\n")), Some(ready));
        for bad in [
            r#"{"event":"ready","protocol":2,"port":1,"pid":1,"version":"x"}"#,
            r#"{"event":"other","protocol":1,"port":1,"pid":1,"version":"x"}"#,
            "ready",
            "",
        ] {
            assert_eq!(Ready::parse(bad), None, "{bad}");
        }
    }
}
