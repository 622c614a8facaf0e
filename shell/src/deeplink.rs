//! The `agent-host://` URL scheme: strict parsing and the `.desktop` file
//! that registers the shell as its handler.
//!
//! Three routes exist:
//!
//! - `agent-host://open?path=/abs/file`: an existing regular file;
//! - `agent-host://workspace?path=/abs/dir`: an existing directory;
//! - `agent-host://session/ses_<32 lowercase hex>`: an agent session.
//!
//! Only the scheme ignores case (`AGENT-HOST://` is `agent-host://`, as
//! RFC 3986 says); route names, the `path` parameter and session ids are
//! exact and lowercase.
//!
//! Everything else is an error: other schemes, user info, ports,
//! fragments, unknown hosts or paths, routes in another case
//! ([`LinkError::UnknownRoute`], which the caller logs and refuses),
//! missing, repeated or extra query parameters, bad percent-encoding, NUL
//! bytes, paths that are not UTF-8 or hold control or bidirectional
//! formatting characters (the user is shown the path and must be able to
//! read it), relative paths or `..` components. The parser is hand-written
//! rather than built on a general URL parser so that nothing is normalized
//! away (dot segments, case, stripped whitespace) before it is checked.
//!
//! Any web page can fire a link, so a parsed link is only a request: the
//! shell asks the user in the home window before anything is opened (see
//! src/app.rs and docs/rfc/bridge.md §7).

use std::fs::{self, OpenOptions, Permissions};
use std::io::{self, ErrorKind, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

/// The URL scheme, without `://`.
pub const SCHEME: &str = "agent-host";
/// The MIME type the `.desktop` file claims.
pub const MIME_TYPE: &str = "x-scheme-handler/agent-host";
/// File name of the installed `.desktop` file.
pub const DESKTOP_FILE: &str = "agent-host.desktop";
/// Longest link accepted.
pub const MAX_LINK: usize = 8192;

/// A parsed, validated deep link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Link {
    /// Open this existing regular file (absolute).
    Open(PathBuf),
    /// Open this existing directory as a workspace (absolute).
    Workspace(PathBuf),
    /// Show this agent session (`ses_` + 32 lowercase hex).
    Session(String),
}

/// Why a link was refused.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("link is longer than {MAX_LINK} bytes")]
    TooLong,
    #[error("link contains a space, control or non-ASCII character")]
    InvalidCharacter,
    #[error("link is not an agent-host:// URL")]
    WrongScheme,
    #[error("link has user info")]
    UserInfo,
    #[error("link has a port")]
    Port,
    #[error("link has a fragment")]
    Fragment,
    #[error("unknown deep-link route")]
    UnknownRoute,
    #[error("bad query: {0}")]
    BadQuery(&'static str),
    #[error("bad percent-encoding")]
    BadEncoding,
    #[error("path contains a NUL byte")]
    Nul,
    #[error("path is not UTF-8 or holds a control or bidirectional formatting character")]
    Unprintable,
    #[error("path is not absolute")]
    NotAbsolute,
    #[error("path contains a `..` component")]
    DotDot,
    #[error("path does not exist or is unreadable: {0}")]
    Missing(#[source] io::Error),
    #[error("path is not a regular file")]
    NotAFile,
    #[error("path is not a directory")]
    NotADirectory,
    #[error("bad session id")]
    BadSessionId,
}

/// Parses and validates `link`. File paths are checked against the file
/// system (they must exist with the right type) at parse time.
pub fn parse(link: &str) -> Result<Link, LinkError> {
    if link.len() > MAX_LINK {
        return Err(LinkError::TooLong);
    }
    if !link.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(LinkError::InvalidCharacter);
    }
    let (scheme, rest) = link.split_once(':').ok_or(LinkError::WrongScheme)?;
    if !scheme.eq_ignore_ascii_case(SCHEME) {
        return Err(LinkError::WrongScheme);
    }
    let rest = rest.strip_prefix("//").ok_or(LinkError::WrongScheme)?;
    if rest.contains('#') {
        return Err(LinkError::Fragment);
    }
    let (hier, query) = match rest.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (rest, None),
    };
    let (authority, path) = match hier.find('/') {
        Some(i) => hier.split_at(i),
        None => (hier, ""),
    };
    if authority.contains('@') {
        return Err(LinkError::UserInfo);
    }
    if authority.contains(':') {
        return Err(LinkError::Port);
    }
    // Only the scheme is case-insensitive (RFC 3986 §3.1); route names are
    // matched exactly, so `OPEN` or `Workspace` is an unknown route.
    let route = authority;
    match route {
        "open" | "workspace" => {
            if !path.is_empty() && path != "/" {
                return Err(LinkError::UnknownRoute);
            }
            let file = path_param(query)?;
            let meta = fs::metadata(&file).map_err(LinkError::Missing)?;
            if route == "open" {
                if !meta.is_file() {
                    return Err(LinkError::NotAFile);
                }
                Ok(Link::Open(file))
            } else {
                if !meta.is_dir() {
                    return Err(LinkError::NotADirectory);
                }
                Ok(Link::Workspace(file))
            }
        }
        "session" => {
            if query.is_some() {
                return Err(LinkError::BadQuery("session links take no parameters"));
            }
            let id = path.strip_prefix('/').ok_or(LinkError::UnknownRoute)?;
            if !is_session_id(id) {
                return Err(LinkError::BadSessionId);
            }
            Ok(Link::Session(id.to_owned()))
        }
        _ => Err(LinkError::UnknownRoute),
    }
}

/// `ses_` followed by exactly 32 lowercase hex digits.
fn is_session_id(id: &str) -> bool {
    id.strip_prefix("ses_").is_some_and(|hex| {
        hex.len() == 32 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    })
}

/// The one `path=` parameter, percent-decoded (`+` stays `+`), absolute and
/// free of NUL and `..`.
fn path_param(query: Option<&str>) -> Result<PathBuf, LinkError> {
    let query = query.ok_or(LinkError::BadQuery("missing path"))?;
    if query.contains('&') || query.contains(';') {
        return Err(LinkError::BadQuery("only one parameter is allowed"));
    }
    let value = query
        .strip_prefix("path=")
        .ok_or(LinkError::BadQuery("the only parameter is path"))?;
    if value.is_empty() {
        return Err(LinkError::BadQuery("empty path"));
    }
    let bytes = percent_decode(value)?;
    if bytes.contains(&0) {
        return Err(LinkError::Nul);
    }
    // The user is asked with this path in front of them: it must read as
    // what it is.
    let text = String::from_utf8(bytes).map_err(|_| LinkError::Unprintable)?;
    if text.chars().any(is_unprintable) {
        return Err(LinkError::Unprintable);
    }
    let path = PathBuf::from(text);
    if !path.is_absolute() {
        return Err(LinkError::NotAbsolute);
    }
    if path.components().any(|c| c == Component::ParentDir) {
        return Err(LinkError::DotDot);
    }
    Ok(path)
}

/// Control characters (C0, DEL, C1) and the bidirectional formatting
/// characters that can make a path read as another one.
fn is_unprintable(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

fn percent_decode(s: &str) -> Result<Vec<u8>, LinkError> {
    agent_urlpath::percent_decode(s).ok_or(LinkError::BadEncoding)
}

/// A freedesktop `.desktop` file that registers `exec` as the handler of
/// `agent-host://` links (and shows it in application menus).
///
/// `exec` is quoted per the Desktop Entry spec when it contains anything
/// beyond `[A-Za-z0-9/._+-]`; control characters cannot be represented and
/// are refused by [`install_desktop_entry`].
pub fn desktop_entry(exec: &Path) -> String {
    format!(
        "[Desktop Entry]\n\
         Type=Application\n\
         Name=Agent Host\n\
         Comment=Local desktop agent host\n\
         Exec={} %U\n\
         MimeType={MIME_TYPE};\n\
         NoDisplay=false\n\
         Terminal=false\n",
        exec_arg(&exec.to_string_lossy())
    )
}

/// Quotes one Exec argument: reserved characters force double quotes, in
/// which `"`, `` ` ``, `$` and `\` are backslash-escaped; `%` doubles; then
/// the whole value gets the string-level escaping of `\`.
fn exec_arg(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b'_' | b'+' | b'-'));
    let quoted = if plain {
        arg.to_owned()
    } else {
        let mut q = String::from("\"");
        for c in arg.chars() {
            if matches!(c, '"' | '`' | '$' | '\\') {
                q.push('\\');
            }
            q.push(c);
        }
        q.push('"');
        q
    };
    quoted.replace('%', "%%").replace('\\', "\\\\")
}

/// Writes [`desktop_entry`] to `<data_home>/applications/agent-host.desktop`
/// (mode 0644) atomically: a temp file in the same directory, fsynced, then
/// renamed over the target, then the directory fsynced. Returns the path.
///
/// Registering it as the default handler is separate and left to the
/// caller: `xdg-mime default agent-host.desktop x-scheme-handler/agent-host`
/// and `update-desktop-database <data_home>/applications`.
pub fn install_desktop_entry(exec: &Path, data_home: &Path) -> io::Result<PathBuf> {
    let Some(exec_str) = exec.to_str() else {
        return Err(io::Error::new(
            ErrorKind::InvalidInput,
            "executable path is not UTF-8",
        ));
    };
    if !exec.is_absolute() || exec_str.chars().any(char::is_control) {
        return Err(io::Error::new(
            ErrorKind::InvalidInput,
            "executable path must be absolute and free of control characters",
        ));
    }
    let dir = data_home.join("applications");
    fs::create_dir_all(&dir)?;
    let target = dir.join(DESKTOP_FILE);
    let tmp = dir.join(format!(".{DESKTOP_FILE}.tmp.{}", std::process::id()));
    let _ = fs::remove_file(&tmp);
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .custom_flags(libc::O_CLOEXEC)
            .open(&tmp)?;
        file.write_all(desktop_entry(exec).as_bytes())?;
        // The umask may have narrowed the creation mode.
        file.set_permissions(Permissions::from_mode(0o644))?;
        file.sync_all()?;
        fs::rename(&tmp, &target)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    fs::File::open(&dir)?.sync_all()?;
    Ok(target)
}

/// `$XDG_DATA_HOME`, or else `$HOME/.local/share`.
pub fn default_data_home() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("XDG_DATA_HOME").map(PathBuf::from) {
        if dir.is_absolute() {
            return Some(dir);
        }
    }
    let home = PathBuf::from(std::env::var_os("HOME")?);
    home.is_absolute().then(|| home.join(".local/share"))
}
