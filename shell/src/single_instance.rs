//! One shell per user data directory.
//!
//! The first launch binds a Unix socket in the user's runtime directory and
//! becomes the [`Instance::Primary`]; a later launch finds it answering,
//! hands over its files and deep links as one [`Message`], and becomes an
//! [`Instance::Secondary`] that should exit 0. tao's GTK application id
//! would also stop a second instance, but without forwarding its argv, so
//! this module does not rely on it.
//!
//! The protocol is one message per connection: a single line of JSON (at
//! most [`MAX_MESSAGE`] bytes, newline included) from the secondary, then
//! `ok\n` from the primary once the callback has run. The primary refuses
//! peers whose uid (`SO_PEERCRED`) is not its own and drops oversized or
//! malformed messages without stopping.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions, Permissions};
use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Largest message accepted, the trailing newline included.
pub const MAX_MESSAGE: usize = 64 * 1024;

/// How long the primary waits for one connection's message.
const READ_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a secondary waits for the primary to take its message.
const ACK_TIMEOUT: Duration = Duration::from_secs(10);
/// Scheme prefix that makes an argv entry a deep link rather than a file.
const LINK_PREFIX: &str = "agent-host:";

/// What a launch hands to the running instance.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Message {
    /// Files to open, absolute (made so against the sender's cwd).
    pub files: Vec<PathBuf>,
    /// Deep links, unparsed; the primary parses them with
    /// [`crate::deeplink::parse`].
    pub links: Vec<String>,
}

impl Message {
    /// Splits command-line arguments (without the program name) into deep
    /// links (anything starting with `agent-host:`) and files, made absolute
    /// against `cwd`.
    pub fn from_args<I, S>(args: I, cwd: &Path) -> Message
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let mut message = Message::default();
        for arg in args {
            let arg: OsString = arg.into();
            match arg.to_str() {
                Some(s) if s.starts_with(LINK_PREFIX) => message.links.push(s.to_owned()),
                _ => message.files.push(absolute(Path::new(&arg), cwd)),
            }
        }
        message
    }

    /// True when there is nothing to forward.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty() && self.links.is_empty()
    }
}

fn absolute(path: &Path, cwd: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.join(path)
    }
}

/// The outcome of [`acquire`].
#[derive(Debug)]
pub enum Instance {
    /// This process owns the socket; call [`Listener::serve`].
    Primary(Listener),
    /// Another instance took the message; this process should exit 0.
    Secondary,
}

/// The bound socket of the primary instance.
#[derive(Debug)]
pub struct Listener {
    listener: UnixListener,
    path: PathBuf,
    /// Device and inode of the socket file we bound, so that dropping an
    /// unserved listener never unlinks someone else's socket.
    identity: (u64, u64),
}

/// `$XDG_RUNTIME_DIR`, or else `/tmp/agent-shell-<uid>` (created 0700 and
/// checked to be a real directory owned by us).
pub fn default_runtime_dir() -> io::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        let dir = PathBuf::from(dir);
        if dir.is_absolute() {
            return Ok(dir);
        }
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    let uid = unsafe { libc::geteuid() };
    let dir = PathBuf::from(format!("/tmp/agent-shell-{uid}"));
    match fs::DirBuilder::new().mode(0o700).create(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    // Not followed: a symlink planted by another user is refused below.
    let meta = fs::symlink_metadata(&dir)?;
    if !meta.file_type().is_dir() {
        return Err(io::Error::new(
            ErrorKind::PermissionDenied,
            format!("{} is not a directory", dir.display()),
        ));
    }
    Ok(dir)
}

/// The socket path for `user_data` under `runtime_dir`:
/// `<runtime_dir>/agent-shell-<16 hex of a hash of user_data>.sock`.
pub fn socket_path(runtime_dir: &Path, user_data: &Path) -> PathBuf {
    let user_data = match std::env::current_dir() {
        Ok(cwd) => absolute(user_data, &cwd),
        Err(_) => user_data.to_path_buf(),
    };
    runtime_dir.join(format!(
        "agent-shell-{:016x}.sock",
        fnv1a(user_data.as_os_str().as_bytes())
    ))
}

/// FNV-1a, 64 bit: stable across builds, unlike `DefaultHasher`.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// Becomes the primary instance for `user_data`, or hands `message` to the
/// one already running.
///
/// `runtime_dir` must exist, be owned by the effective uid and not be
/// group- or other-writable. If a live instance answers on the socket,
/// `message` is sent (relative files made absolute against this process's
/// cwd), its acknowledgement awaited, and [`Instance::Secondary`] returned.
/// A stale socket (connect refused) is removed and this process binds a
/// fresh one with mode 0600. Concurrent launches are serialized by an
/// advisory lock on `<socket>.lock`.
pub fn acquire(runtime_dir: &Path, user_data: &Path, message: &Message) -> io::Result<Instance> {
    check_dir(runtime_dir)?;
    let path = socket_path(runtime_dir, user_data);
    let _lock = lock(&path)?;

    match UnixStream::connect(&path) {
        Ok(stream) => {
            send(stream, message)?;
            return Ok(Instance::Secondary);
        }
        Err(e) if e.kind() == ErrorKind::ConnectionRefused => {
            // Stale: the process that bound it is gone. Only remove sockets.
            let meta = fs::symlink_metadata(&path)?;
            if !meta.file_type().is_socket_like() {
                return Err(io::Error::new(
                    ErrorKind::AlreadyExists,
                    format!("{} exists and is not a socket", path.display()),
                ));
            }
            fs::remove_file(&path)?;
        }
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }

    bind(&path).map(Instance::Primary)
}

/// `FileType::is_socket` lives in an extension trait; a tiny shim keeps the
/// call site readable.
trait SocketLike {
    fn is_socket_like(&self) -> bool;
}

impl SocketLike for fs::FileType {
    fn is_socket_like(&self) -> bool {
        use std::os::unix::fs::FileTypeExt;
        self.is_socket()
    }
}

fn check_dir(dir: &Path) -> io::Result<()> {
    let meta = fs::metadata(dir)?;
    if !meta.is_dir() {
        return Err(io::Error::new(
            ErrorKind::InvalidInput,
            format!("{} is not a directory", dir.display()),
        ));
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    let uid = unsafe { libc::geteuid() };
    if meta.uid() != uid {
        return Err(io::Error::new(
            ErrorKind::PermissionDenied,
            format!("{} is not owned by uid {uid}", dir.display()),
        ));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(io::Error::new(
            ErrorKind::PermissionDenied,
            format!("{} is group- or other-writable", dir.display()),
        ));
    }
    Ok(())
}

fn lock(socket: &Path) -> io::Result<File> {
    let mut name = socket.as_os_str().to_owned();
    name.push(".lock");
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(libc::O_CLOEXEC | libc::O_NOFOLLOW)
        .open(PathBuf::from(name))?;
    loop {
        // SAFETY: the fd is valid for the lifetime of `file`.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } == 0 {
            return Ok(file);
        }
        let err = io::Error::last_os_error();
        if err.kind() != ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

/// Binds under a temporary name, sets mode 0600, then renames into place,
/// so the socket is never reachable with wider permissions.
fn bind(path: &Path) -> io::Result<Listener> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".{}.tmp", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let _ = fs::remove_file(&tmp);
    let listener = UnixListener::bind(&tmp)?;
    let placed = fs::set_permissions(&tmp, Permissions::from_mode(0o600))
        .and_then(|()| fs::rename(&tmp, path));
    if let Err(e) = placed {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    let meta = fs::symlink_metadata(path)?;
    Ok(Listener {
        listener,
        path: path.to_path_buf(),
        identity: (meta.dev(), meta.ino()),
    })
}

fn send(mut stream: UnixStream, message: &Message) -> io::Result<()> {
    let cwd = std::env::current_dir()?;
    let message = Message {
        files: message.files.iter().map(|f| absolute(f, &cwd)).collect(),
        links: message.links.clone(),
    };
    let mut line = serde_json::to_vec(&message).map_err(io::Error::other)?;
    line.push(b'\n');
    if line.len() > MAX_MESSAGE {
        return Err(io::Error::new(
            ErrorKind::InvalidInput,
            "message exceeds 64 KiB",
        ));
    }
    stream.set_write_timeout(Some(ACK_TIMEOUT))?;
    stream.set_read_timeout(Some(ACK_TIMEOUT))?;
    stream.write_all(&line)?;
    stream.shutdown(std::net::Shutdown::Write)?;
    let mut ack = Vec::new();
    stream.take(16).read_to_end(&mut ack)?;
    if ack != b"ok\n" {
        return Err(io::Error::new(
            ErrorKind::ConnectionAborted,
            "the running instance did not acknowledge the message",
        ));
    }
    Ok(())
}

impl Listener {
    /// The socket's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Accepts forwarded messages on a background thread, calling
    /// `on_message` for each (on that thread, one at a time).
    ///
    /// Each connection carries one newline-terminated JSON [`Message`] of at
    /// most [`MAX_MESSAGE`] bytes, read with a 2 s timeout. Peers of another
    /// uid (by `SO_PEERCRED`), oversized, malformed or slow messages are
    /// logged and dropped; the thread keeps serving. The socket stays bound
    /// for the rest of the process.
    /// Hands each message to `on_message`, which says whether it took it;
    /// only a taken message is acknowledged (a shell that is closing takes
    /// none, so the second launch does not exit as if its files opened).
    pub fn serve(self, on_message: impl Fn(Message) -> bool + Send + 'static) -> io::Result<()> {
        std::thread::Builder::new()
            .name("single-instance".into())
            .spawn(move || {
                for conn in self.listener.incoming() {
                    match conn {
                        Ok(stream) => {
                            if let Err(e) = handle(stream, &on_message) {
                                tracing::warn!("single-instance message dropped: {e}");
                            }
                        }
                        Err(e) => {
                            tracing::warn!("single-instance accept failed: {e}");
                            std::thread::sleep(Duration::from_millis(50));
                        }
                    }
                }
            })?;
        Ok(())
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        // Only reached when the listener is dropped without serving: remove
        // the socket if it is still the one we bound.
        if let Ok(meta) = fs::symlink_metadata(&self.path) {
            if (meta.dev(), meta.ino()) == self.identity {
                let _ = fs::remove_file(&self.path);
            }
        }
    }
}

fn peer_uid(stream: &UnixStream) -> io::Result<libc::uid_t> {
    let mut cred = libc::ucred {
        pid: 0,
        uid: 0,
        gid: 0,
    };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: `cred` and `len` are valid for writes of the sizes passed.
    let rc = unsafe {
        libc::getsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut cred as *mut libc::ucred).cast(),
            &mut len,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(cred.uid)
}

fn handle(stream: UnixStream, on_message: &impl Fn(Message) -> bool) -> io::Result<()> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let uid = unsafe { libc::geteuid() };
    let peer = peer_uid(&stream)?;
    if peer != uid {
        return Err(io::Error::new(
            ErrorKind::PermissionDenied,
            format!("peer uid {peer} is not {uid}"),
        ));
    }
    stream.set_read_timeout(Some(READ_TIMEOUT))?;
    stream.set_write_timeout(Some(READ_TIMEOUT))?;
    let mut line = Vec::new();
    BufReader::new((&stream).take(MAX_MESSAGE as u64)).read_until(b'\n', &mut line)?;
    if line.last() != Some(&b'\n') {
        return Err(io::Error::new(
            ErrorKind::InvalidData,
            if line.len() >= MAX_MESSAGE {
                "message exceeds 64 KiB"
            } else {
                "message not newline-terminated"
            },
        ));
    }
    let message: Message = serde_json::from_slice(&line)
        .map_err(|e| io::Error::new(ErrorKind::InvalidData, format!("malformed message: {e}")))?;
    if message.files.iter().any(|f| !f.is_absolute()) {
        return Err(io::Error::new(
            ErrorKind::InvalidData,
            "message names a relative file",
        ));
    }
    if !on_message(message) {
        return Err(io::Error::other("this shell is closing; message not taken"));
    }
    (&stream).write_all(b"ok\n")
}
