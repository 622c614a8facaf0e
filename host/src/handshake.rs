//! The stdin handshake: the one line of JSON that carries the per-spawn
//! password and the perimeter configuration (docs/rfc/handshake.md).
//!
//! The line is parsed as an untyped `serde_json::Value` first and every field
//! is extracted by hand. serde's typed errors quote the offending value
//! (`invalid type: string "..."`), and a malformed line may hold the password
//! in any field, so no error message here ever contains input text except a
//! field *name*.

use std::io::BufRead;
use std::path::PathBuf;
use std::time::Duration;

use agent_security::{validate_root, BareOrigin};
use serde_json::{Map, Value};
use zeroize::Zeroizing;

/// The only protocol version this host speaks (defined with the wire types).
pub use agent_client::PROTOCOL;
/// How long the parent has to send the handshake line.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);
/// A handshake line longer than this is refused without being parsed.
pub const MAX_LINE_BYTES: usize = 64 * 1024;
/// The shortest password accepted: the parent should send ≥ 32 random bytes.
pub const MIN_PASSWORD_CHARS: usize = 32;

const KNOWN_FIELDS: [&str; 7] = [
    "protocol",
    "password",
    "user_data",
    "allowed_origins",
    "referer_roots",
    "extra_referers",
    "publish_connection",
];

/// The validated handshake. `password` is zeroised on drop.
pub struct Handshake {
    pub password: Zeroizing<String>,
    pub user_data: PathBuf,
    pub allowed_origins: Vec<BareOrigin>,
    pub referer_roots: Vec<String>,
    pub extra_referers: Vec<(BareOrigin, String)>,
    /// Listen on `host.sock` in the user-data directory so `agent-host run`
    /// and friends can attach (docs/rfc/handshake.md §5).
    pub publish_connection: bool,
}

impl std::fmt::Debug for Handshake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handshake")
            .field("password", &"<redacted>")
            .field("user_data", &self.user_data)
            .field("allowed_origins", &self.allowed_origins)
            .field("referer_roots", &self.referer_roots)
            .field("extra_referers", &self.extra_referers)
            .field("publish_connection", &self.publish_connection)
            .finish()
    }
}

/// Why a handshake was refused. Display never contains input values.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HandshakeError {
    #[error("no handshake line on stdin within {}s", HANDSHAKE_TIMEOUT.as_secs())]
    Timeout,
    #[error("stdin closed before a handshake line arrived")]
    Eof,
    #[error("handshake line longer than {MAX_LINE_BYTES} bytes")]
    TooLong,
    #[error("could not read stdin: {0}")]
    Io(String),
    #[error("handshake is not valid JSON ({0})")]
    NotJson(String),
    #[error("handshake must be a JSON object")]
    NotObject,
    #[error("handshake field `{0}` is missing")]
    Missing(&'static str),
    #[error("handshake field `{0}` has the wrong type")]
    WrongType(&'static str),
    #[error("unknown handshake field `{0}`")]
    UnknownField(String),
    #[error("unsupported protocol; this host speaks protocol {PROTOCOL}")]
    UnknownProtocol,
    #[error("password must be at least {MIN_PASSWORD_CHARS} characters")]
    PasswordTooShort,
    #[error("user_data must be an absolute path")]
    UserDataNotAbsolute,
    #[error("allowed_origins must not be empty")]
    NoOrigins,
    #[error(
        "allowed_origins[{0}] is not a bare http(s) origin (scheme://host[:port], nothing else)"
    )]
    BadOrigin(usize),
    #[error(
        "referer_roots[{0}] must start with `/`, be visible ASCII and have no `.`/`..` segments"
    )]
    BadRefererRoot(usize),
    #[error("extra_referers[{0}] must be {{\"origin\": bare origin, \"root\": path}}")]
    BadExtraReferer(usize),
}

/// Reads the handshake line from `reader` on a separate thread, waiting at
/// most `timeout`. The reader is handed back so the caller can keep reading
/// it as the lifeline.
pub fn read_line_with_timeout<R>(
    reader: R,
    timeout: Duration,
) -> Result<(Zeroizing<Vec<u8>>, R), HandshakeError>
where
    R: BufRead + Send + 'static,
{
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("handshake-reader".into())
        .spawn(move || {
            let mut reader = reader;
            let result = read_bounded_line(&mut reader);
            let _ = tx.send((result, reader));
        })
        .map_err(|e| HandshakeError::Io(e.to_string()))?;
    match rx.recv_timeout(timeout) {
        Ok((Ok(line), reader)) => Ok((line, reader)),
        Ok((Err(e), _)) => Err(e),
        Err(_) => Err(HandshakeError::Timeout),
    }
}

fn read_bounded_line(reader: &mut impl BufRead) -> Result<Zeroizing<Vec<u8>>, HandshakeError> {
    let mut line = Zeroizing::new(Vec::with_capacity(512));
    loop {
        let buf = reader
            .fill_buf()
            .map_err(|e| HandshakeError::Io(e.kind().to_string()))?;
        if buf.is_empty() {
            return Err(HandshakeError::Eof);
        }
        let (chunk, found_newline) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (&buf[..i], true),
            None => (buf, false),
        };
        if line.len() + chunk.len() > MAX_LINE_BYTES {
            return Err(HandshakeError::TooLong);
        }
        line.extend_from_slice(chunk);
        let consumed = chunk.len() + usize::from(found_newline);
        reader.consume(consumed);
        if found_newline {
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            return Ok(line);
        }
    }
}

/// Parses and validates one handshake line.
pub fn parse(line: &[u8]) -> Result<Handshake, HandshakeError> {
    let value: Value = serde_json::from_slice(line).map_err(|e| {
        // serde_json's syntax errors carry only a category and a position.
        HandshakeError::NotJson(format!("line {} column {}", e.line(), e.column()))
    })?;
    let Value::Object(mut object) = value else {
        return Err(HandshakeError::NotObject);
    };
    if let Some(unknown) = object.keys().find(|k| !KNOWN_FIELDS.contains(&k.as_str())) {
        return Err(HandshakeError::UnknownField(
            unknown.chars().take(40).collect(),
        ));
    }

    let protocol = required(&mut object, "protocol")?;
    if protocol.as_u64() != Some(PROTOCOL) {
        return Err(match protocol {
            Value::Number(_) => HandshakeError::UnknownProtocol,
            _ => HandshakeError::WrongType("protocol"),
        });
    }

    let password = match required(&mut object, "password")? {
        Value::String(s) => Zeroizing::new(s),
        _ => return Err(HandshakeError::WrongType("password")),
    };
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(HandshakeError::PasswordTooShort);
    }

    let user_data = match required(&mut object, "user_data")? {
        Value::String(s) => PathBuf::from(s),
        _ => return Err(HandshakeError::WrongType("user_data")),
    };
    if !user_data.is_absolute() {
        return Err(HandshakeError::UserDataNotAbsolute);
    }

    let origins = string_list(required(&mut object, "allowed_origins")?, "allowed_origins")?;
    if origins.is_empty() {
        return Err(HandshakeError::NoOrigins);
    }
    let allowed_origins = origins
        .iter()
        .enumerate()
        .map(|(i, o)| BareOrigin::parse(o).map_err(|_| HandshakeError::BadOrigin(i)))
        .collect::<Result<Vec<_>, _>>()?;

    let referer_roots = string_list(required(&mut object, "referer_roots")?, "referer_roots")?;
    for (i, root) in referer_roots.iter().enumerate() {
        validate_root(root).map_err(|_| HandshakeError::BadRefererRoot(i))?;
    }

    let extra_referers = match object.remove("extra_referers") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .into_iter()
            .enumerate()
            .map(|(i, item)| extra_referer(item).ok_or(HandshakeError::BadExtraReferer(i)))
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => return Err(HandshakeError::WrongType("extra_referers")),
    };

    let publish_connection = match object.remove("publish_connection") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => b,
        Some(_) => return Err(HandshakeError::WrongType("publish_connection")),
    };

    Ok(Handshake {
        publish_connection,
        password,
        user_data,
        allowed_origins,
        referer_roots,
        extra_referers,
    })
}

fn required(object: &mut Map<String, Value>, field: &'static str) -> Result<Value, HandshakeError> {
    object.remove(field).ok_or(HandshakeError::Missing(field))
}

fn string_list(value: Value, field: &'static str) -> Result<Vec<String>, HandshakeError> {
    let Value::Array(items) = value else {
        return Err(HandshakeError::WrongType(field));
    };
    items
        .into_iter()
        .map(|item| match item {
            Value::String(s) => Ok(s),
            _ => Err(HandshakeError::WrongType(field)),
        })
        .collect()
}

fn extra_referer(item: Value) -> Option<(BareOrigin, String)> {
    let Value::Object(mut pair) = item else {
        return None;
    };
    if pair.len() != 2 {
        return None;
    }
    let origin = pair
        .remove("origin")?
        .as_str()
        .and_then(|o| BareOrigin::parse(o).ok())?;
    let root = pair.remove("root")?.as_str()?.to_owned();
    validate_root(&root).ok()?;
    Some((origin, root))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PW: &str = "0123456789abcdef0123456789abcdef";

    fn line(extra: &str) -> String {
        format!(
            r#"{{"protocol":1,"password":"{PW}","user_data":"/tmp/x","allowed_origins":["https://app.example"],"referer_roots":["/desktop"]{extra}}}"#
        )
    }

    #[test]
    fn accepts_a_valid_line() {
        let hs = parse(line("").as_bytes()).expect("valid");
        assert_eq!(hs.password.as_str(), PW);
        assert_eq!(hs.referer_roots, vec!["/desktop".to_string()]);
        assert!(hs.extra_referers.is_empty());
    }

    #[test]
    fn accepts_extra_referers() {
        let hs = parse(
            line(r#","extra_referers":[{"origin":"http://cli.localhost","root":"/cli"}]"#)
                .as_bytes(),
        )
        .expect("valid");
        assert_eq!(hs.extra_referers.len(), 1);
    }

    #[test]
    fn refuses_unknown_fields_and_never_echoes_values() {
        let err = parse(line(r#","pasword":"x""#).as_bytes()).err();
        assert_eq!(err, Some(HandshakeError::UnknownField("pasword".into())));
        // A password placed in a field of the wrong type must not be echoed.
        let bad = format!(r#"{{"protocol":"{PW}"}}"#);
        let msg = parse(bad.as_bytes()).expect_err("refused").to_string();
        assert!(!msg.contains(PW), "{msg}");
        let bad = format!(
            r#"{{"protocol":1,"password":"{PW}","user_data":"/x","allowed_origins":["{PW}"],"referer_roots":[]}}"#
        );
        let msg = parse(bad.as_bytes()).expect_err("refused").to_string();
        assert!(!msg.contains(PW), "{msg}");
    }

    #[test]
    fn reads_one_bounded_line() {
        let input = std::io::Cursor::new(b"{\"a\":1}\nrest".to_vec());
        let (line, mut rest) =
            read_line_with_timeout(std::io::BufReader::new(input), HANDSHAKE_TIMEOUT)
                .expect("line");
        assert_eq!(&line[..], b"{\"a\":1}");
        let mut tail = String::new();
        std::io::Read::read_to_string(&mut rest, &mut tail).expect("tail");
        assert_eq!(tail, "rest");

        let long = vec![b'x'; MAX_LINE_BYTES + 1];
        let err = read_line_with_timeout(
            std::io::BufReader::new(std::io::Cursor::new(long)),
            HANDSHAKE_TIMEOUT,
        )
        .err();
        assert_eq!(err, Some(HandshakeError::TooLong));
    }
}
