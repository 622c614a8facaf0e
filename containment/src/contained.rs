//! Containment of client paths inside a workspace root.
//!
//! Refusal is decided before the file system is consulted where possible
//! (NUL bytes, any `..` component, absolute paths outside the root), so a
//! client cannot probe the existence of files elsewhere. Everything else is
//! canonicalised (all symlinks resolved, at any depth) and must still lie in
//! the canonical root; when a lookup fails, the deepest existing ancestor is
//! checked so "not found" is never reported for a path that escapes.

use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Component, Path, PathBuf};
use std::sync::OnceLock;

/// Why a client path was refused or could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum ContainmentError {
    /// The path contains a NUL byte.
    #[error("path contains a NUL byte")]
    NulByte,
    /// The path has a `..` component (refused even if it would stay inside).
    #[error("path contains a '..' component")]
    ParentTraversal,
    /// The path resolves outside the root (absolute path, symlink, ...).
    #[error("path resolves outside the workspace")]
    Escapes,
    /// The path is (or is under) a protected location: the host's user-data
    /// directory (keys, sessions) or the user's credential folders.
    #[error("path is a protected location (credentials or the host's own data)")]
    Protected,
    /// A write target must name an entry below the root, not the root itself.
    #[error("path must name an entry inside the workspace, not the workspace itself")]
    RootItself,
    /// No such entry (or its parent, for writes).
    #[error("no such file or directory")]
    NotFound,
    /// The root does not exist or is not a directory.
    #[error("workspace root is missing or not a directory")]
    InvalidRoot,
    /// Any other I/O failure.
    #[error("i/o error: {0}")]
    Io(#[from] io::Error),
}

/// A canonical directory that client paths are confined to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainedRoot {
    root: PathBuf,
    /// Subtrees that stay off limits even inside the root.
    protected: Protected,
}

/// Credential folders and files under `$HOME` that no client path, tool or
/// command may reach.
pub const HOME_SECRETS: &[&str] = &[
    ".ssh",
    ".aws",
    ".gnupg",
    ".config/gcloud",
    ".kube",
    ".docker",
    ".netrc",
    ".local/share/keyrings",
    ".password-store",
];

/// True when `path` (canonical) is, or is below, one of `protected`: the one
/// check behind [`ContainedRoot`] and the document routes. Compared by
/// device and inode as well as by name, so a protected directory that was
/// renamed (or reached through another mount) is still recognised.
pub fn is_protected(path: &Path, protected: &[PathBuf]) -> bool {
    Protected::new(protected.to_vec()).contains(path)
}

/// Protected locations with the identity (device, inode) each had when the
/// set was made. A set is made per request or turn, so it sees locations
/// created since the host started.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Protected {
    paths: Vec<PathBuf>,
    ids: Vec<(u64, u64)>,
}

impl Protected {
    fn new(paths: Vec<PathBuf>) -> Self {
        let ids = paths.iter().filter_map(|p| identity(p)).collect();
        Self { paths, ids }
    }

    /// `path` (canonical) is, or is below, a protected location.
    fn contains(&self, path: &Path) -> bool {
        self.paths.iter().any(|p| path.starts_with(p))
            || (!self.ids.is_empty()
                && path
                    .ancestors()
                    .filter_map(identity)
                    .any(|id| self.ids.contains(&id)))
    }
}

/// The device and inode `path` names (following symlinks), if it exists.
fn identity(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// Why a directory cannot be a workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WorkspaceRefusal {
    /// `/`, `/proc`, `/etc`, `/usr`, ... or anything inside a kernel file
    /// system (`/proc`, `/sys`, `/dev`, `/run`).
    #[error("a system directory cannot be a workspace")]
    SystemDirectory,
    /// The home directory itself, or a directory above it.
    #[error("the home directory (or a directory holding it) cannot be a workspace; open a project folder inside it")]
    HoldsHome,
    /// The directory holds a protected location (the host's user-data
    /// directory, a credential folder) or lies inside one.
    #[error("this directory holds (or is inside) a protected location: credentials or the host's own data")]
    HoldsProtected,
}

/// Directories that are never a workspace themselves.
const SYSTEM_ROOTS: &[&str] = &[
    "/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64", "/libx32", "/media",
    "/mnt", "/opt", "/proc", "/root", "/run", "/sbin", "/srv", "/sys", "/tmp", "/usr", "/var",
    "/var/tmp",
];

/// Kernel file systems: nothing inside them is ever a workspace.
const KERNEL_ROOTS: &[&str] = &["/proc", "/sys", "/dev", "/run"];

/// The identities of `roots`, taken once per process: system directories
/// do not move while the host runs, and every workspace check needs them.
fn root_ids(
    roots: &'static [&'static str],
    cell: &'static OnceLock<Vec<(u64, u64)>>,
) -> &'static [(u64, u64)] {
    cell.get_or_init(|| {
        roots
            .iter()
            .filter_map(|r| identity(Path::new(r)))
            .collect()
    })
}

fn system_ids() -> &'static [(u64, u64)] {
    static IDS: OnceLock<Vec<(u64, u64)>> = OnceLock::new();
    root_ids(SYSTEM_ROOTS, &IDS)
}

fn kernel_ids() -> &'static [(u64, u64)] {
    static IDS: OnceLock<Vec<(u64, u64)>> = OnceLock::new();
    root_ids(KERNEL_ROOTS, &IDS)
}

/// Decides whether `path` (canonical) may be shown read-only to sandboxed
/// commands (a toolchain such as `~/.cargo`): not the home directory or
/// above it, not holding or inside a protected location, nothing of a
/// kernel file system. A missing path passes (the sandbox skips it).
pub fn check_read_only_path(
    path: &Path,
    home: Option<&Path>,
    protected: &[PathBuf],
) -> Result<(), WorkspaceRefusal> {
    let Some(id) = identity(path) else {
        return Ok(());
    };
    check_holdings(path, id, home, &Protected::new(protected.to_vec()))?;
    if in_kernel_fs(path) {
        return Err(WorkspaceRefusal::SystemDirectory);
    }
    Ok(())
}

/// `dir` (identity `id`) holds neither the home directory nor a protected
/// location, and is not inside one.
fn check_holdings(
    dir: &Path,
    id: (u64, u64),
    home: Option<&Path>,
    protected: &Protected,
) -> Result<(), WorkspaceRefusal> {
    let holds = |inner: &Path| inner.ancestors().filter_map(identity).any(|a| a == id);
    if let Some(home) = home {
        if holds(&home.canonicalize().unwrap_or_else(|_| home.to_path_buf())) {
            return Err(WorkspaceRefusal::HoldsHome);
        }
    }
    if protected.contains(dir)
        || protected
            .paths
            .iter()
            .filter_map(|p| p.canonicalize().ok())
            .any(|p| holds(&p))
    {
        return Err(WorkspaceRefusal::HoldsProtected);
    }
    Ok(())
}

/// `path` is, or is inside, `/proc`, `/sys`, `/dev` or `/run`.
fn in_kernel_fs(path: &Path) -> bool {
    let kernel = kernel_ids();
    path.ancestors()
        .filter_map(identity)
        .any(|a| kernel.contains(&a))
}

/// Opens `path` (following symlinks, as a document path may be one) as a
/// pinned handle, refused when what it now resolves to is a protected
/// location: a document registered long ago and since swapped for a symlink
/// to `~/.ssh/id_ed25519` is caught at every read and write.
pub fn pin_unprotected(path: &Path, protected: &[PathBuf]) -> Result<Pinned, ContainmentError> {
    let fd = open_path(path, 0)?;
    let real = opened_path(&fd)?;
    if is_protected(&real, protected) {
        return Err(ContainmentError::Protected);
    }
    Ok(Pinned {
        fd,
        real,
        name: None,
    })
}

/// The locations every contained root protects: the host's user-data
/// directory and the user's credential folders (`$HOME` from the
/// environment). Paths are canonicalised where they exist.
pub fn protected_paths(user_data: &Path) -> Vec<PathBuf> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    std::iter::once(user_data.to_path_buf())
        .chain(
            home.iter()
                .flat_map(|h| HOME_SECRETS.iter().map(move |s| h.join(s))),
        )
        .map(|p| p.canonicalize().unwrap_or(p))
        .collect()
}

/// An entry inside a [`ContainedRoot`], held open (`O_PATH`) after its
/// check, so the check and the use name the same inode.
#[derive(Debug)]
pub struct Pinned {
    fd: File,
    real: PathBuf,
    /// For a write target: the final component inside the pinned directory.
    name: Option<OsString>,
}

impl Pinned {
    /// A path naming exactly the pinned entry (`/proc/self/fd/<fd>`), or for
    /// a write target the final component inside the pinned directory
    /// (`/proc/self/fd/<fd>/<name>`). Valid while `self` lives; never show
    /// it to anyone ([`real`](Self::real) is for messages).
    pub fn path(&self) -> PathBuf {
        let fd = PathBuf::from(format!("/proc/self/fd/{}", self.fd.as_raw_fd()));
        match &self.name {
            Some(name) => fd.join(name),
            None => fd,
        }
    }

    /// The canonical path that was checked (for messages and listings).
    pub fn real(&self) -> &Path {
        &self.real
    }
}

/// Opens `path` as an `O_PATH` handle: no read or write access, only a
/// name for the inode (works for directories and unreadable files alike).
fn open_path(path: &Path, extra_flags: libc::c_int) -> Result<File, ContainmentError> {
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_PATH | libc::O_CLOEXEC | extra_flags)
        .open(path)
        .map_err(|err| {
            if is_missing(&err) {
                // It was there a moment ago: something is moving things.
                ContainmentError::NotFound
            } else {
                ContainmentError::Io(err)
            }
        })
}

/// What the kernel actually opened for `fd`.
fn opened_path(fd: &File) -> Result<PathBuf, ContainmentError> {
    std::fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd())).map_err(ContainmentError::Io)
}

/// `NotFound`-like lookup failures: the entry (or a parent) is missing or a
/// parent is not a directory.
fn is_missing(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
    )
}

impl ContainedRoot {
    /// Canonicalises `root`, which must be an existing directory.
    pub fn new(root: &Path) -> Result<Self, ContainmentError> {
        let root = match root.canonicalize() {
            Ok(root) => root,
            Err(err) if is_missing(&err) => return Err(ContainmentError::InvalidRoot),
            Err(err) => return Err(ContainmentError::Io(err)),
        };
        if !root.is_dir() {
            return Err(ContainmentError::InvalidRoot);
        }
        Ok(Self {
            root,
            protected: Protected::default(),
        })
    }

    /// The canonical root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Adds protected subtrees (see [`protected_paths`]).
    pub fn with_protected(mut self, paths: impl IntoIterator<Item = PathBuf>) -> Self {
        let mut all = std::mem::take(&mut self.protected.paths);
        all.extend(paths);
        self.protected = Protected::new(all);
        self
    }

    /// Decides whether this root may be a workspace: not a system directory
    /// or inside a kernel file system, not the home directory or above it,
    /// and neither holding nor inside one of its protected locations.
    /// Compared by device and inode, so no spelling or bind mount of the
    /// same directory slips through.
    pub fn check_workspace(&self, home: Option<&Path>) -> Result<(), WorkspaceRefusal> {
        let Some(id) = identity(&self.root) else {
            return Ok(()); // Gone since `new`: its next use reports that.
        };
        check_holdings(&self.root, id, home, &self.protected)?;
        if system_ids().contains(&id) || in_kernel_fs(&self.root) {
            return Err(WorkspaceRefusal::SystemDirectory);
        }
        Ok(())
    }

    /// True when `path` (canonical) is, or is below, a protected location
    /// (by name, or by device and inode for a renamed one).
    pub fn is_protected(&self, path: &Path) -> bool {
        self.protected.contains(path)
    }

    /// Resolves a client path (relative to the root, or absolute under the
    /// canonical root) to the canonical path of an existing entry inside the
    /// root. `""` and `"."` mean the root itself.
    pub fn resolve_existing(&self, client_path: &str) -> Result<PathBuf, ContainmentError> {
        let relative = self.relative(client_path)?;
        let joined = self.root.join(relative);
        match joined.canonicalize() {
            Ok(resolved) => self.inside(resolved),
            Err(err) if is_missing(&err) => Err(self.classify_missing(&joined)),
            Err(err) => Err(ContainmentError::Io(err)),
        }
    }

    /// Resolves a write target whose final component may not exist yet.
    ///
    /// The parent must exist and canonicalise inside the root. If the target
    /// exists it must resolve inside too; a symlink target that dangles is
    /// refused outright, since what it would create cannot be checked.
    /// Returns the canonical parent joined with the final component.
    pub fn resolve_for_write(&self, client_path: &str) -> Result<PathBuf, ContainmentError> {
        let relative = self.relative(client_path)?;
        let Some(file_name) = relative.file_name() else {
            return Err(ContainmentError::RootItself);
        };
        let parent = self.root.join(relative.parent().unwrap_or(Path::new("")));
        let parent = match parent.canonicalize() {
            Ok(parent) => self.inside(parent)?,
            Err(err) if is_missing(&err) => return Err(self.classify_missing(&parent)),
            Err(err) => return Err(ContainmentError::Io(err)),
        };
        if !parent.is_dir() {
            return Err(ContainmentError::NotFound);
        }
        let target = parent.join(file_name);
        if self.is_protected(&target) {
            return Err(ContainmentError::Protected);
        }
        match target.symlink_metadata() {
            Ok(meta) if meta.file_type().is_symlink() => match target.canonicalize() {
                Ok(resolved) => {
                    self.inside(resolved)?;
                }
                Err(err) if is_missing(&err) => return Err(ContainmentError::Escapes),
                Err(err) => return Err(ContainmentError::Io(err)),
            },
            Ok(_) => {}
            Err(err) if is_missing(&err) => {}
            Err(err) => return Err(ContainmentError::Io(err)),
        }
        Ok(target)
    }

    /// [`resolve_existing`](Self::resolve_existing), then holds the entry
    /// open and checks again what was really opened: a path component
    /// swapped for a symlink between the check and the open (by a command
    /// the agent runs in the workspace, say) cannot lead outside the root
    /// or into a protected location. Read through [`Pinned::path`].
    pub fn pin_existing(&self, client_path: &str) -> Result<Pinned, ContainmentError> {
        let resolved = self.resolve_existing(client_path)?;
        let fd = open_path(&resolved, 0)?;
        let real = self.inside(opened_path(&fd)?)?;
        Ok(Pinned {
            fd,
            real,
            name: None,
        })
    }

    /// [`resolve_for_write`](Self::resolve_for_write), then holds the
    /// parent directory open and checks it again (as [`pin_existing`](Self::pin_existing)).
    /// [`Pinned::path`] names the final component inside that directory,
    /// so a write and its rename cannot be redirected elsewhere.
    pub fn pin_for_write(&self, client_path: &str) -> Result<Pinned, ContainmentError> {
        let target = self.resolve_for_write(client_path)?;
        let (Some(parent), Some(name)) = (target.parent(), target.file_name()) else {
            return Err(ContainmentError::RootItself);
        };
        let fd = open_path(parent, libc::O_DIRECTORY)?;
        let real_parent = self.inside(opened_path(&fd)?)?;
        let real = real_parent.join(name);
        if self.is_protected(&real) {
            return Err(ContainmentError::Protected);
        }
        Ok(Pinned {
            fd,
            real,
            name: Some(name.to_owned()),
        })
    }

    /// The write target for `client_path`, pinned: an existing entry is
    /// followed to its canonical target (a symlink inside the root is written
    /// through, not replaced by a regular file), a missing one is resolved
    /// for creation; then as [`pin_for_write`](Self::pin_for_write).
    pub fn pin_write_target(&self, client_path: &str) -> Result<Pinned, ContainmentError> {
        match self.resolve_existing(client_path) {
            Ok(existing) => self.pin_for_write(&existing.to_string_lossy()),
            Err(ContainmentError::NotFound) => self.pin_for_write(client_path),
            Err(error) => Err(error),
        }
    }

    /// Lexical checks; returns the path relative to the root (possibly empty).
    fn relative<'a>(&self, client_path: &'a str) -> Result<&'a Path, ContainmentError> {
        if client_path.contains('\0') {
            return Err(ContainmentError::NulByte);
        }
        let path = Path::new(client_path);
        if path.components().any(|c| c == Component::ParentDir) {
            return Err(ContainmentError::ParentTraversal);
        }
        if path.is_absolute() {
            // Decided lexically, so nothing outside the root is ever touched.
            return path
                .strip_prefix(&self.root)
                .map_err(|_| ContainmentError::Escapes);
        }
        Ok(path)
    }

    fn inside(&self, resolved: PathBuf) -> Result<PathBuf, ContainmentError> {
        if !resolved.starts_with(&self.root) {
            Err(ContainmentError::Escapes)
        } else if self.is_protected(&resolved) {
            Err(ContainmentError::Protected)
        } else {
            Ok(resolved)
        }
    }

    /// Explains a failed lookup of `joined` (which is under the root
    /// lexically): `Escapes` if its deepest existing ancestor resolves
    /// outside the root or the path is a dangling symlink, else `NotFound`.
    fn classify_missing(&self, joined: &Path) -> ContainmentError {
        for ancestor in joined.ancestors() {
            if ancestor.symlink_metadata().is_err() {
                continue;
            }
            return match ancestor.canonicalize() {
                Ok(resolved) if resolved.starts_with(&self.root) => ContainmentError::NotFound,
                Ok(_) => ContainmentError::Escapes,
                // Exists but cannot be resolved: a dangling symlink. Its
                // destination is unknown, so fail closed.
                Err(_) => ContainmentError::Escapes,
            };
        }
        ContainmentError::NotFound
    }
}

#[cfg(test)]
mod protection_tests {
    use super::*;

    #[test]
    fn protected_subtrees_are_refused_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join(".ssh")).unwrap();
        std::fs::write(root.join(".ssh/id_ed25519"), "key").unwrap();
        std::fs::create_dir_all(root.join("data")).unwrap();
        std::fs::write(root.join("data/auth.json"), "{}").unwrap();
        std::fs::write(root.join("notes.md"), "ok").unwrap();
        std::os::unix::fs::symlink(root.join(".ssh/id_ed25519"), root.join("alias")).unwrap();
        let contained = ContainedRoot::new(&root)
            .unwrap()
            .with_protected([root.join(".ssh"), root.join("data")]);
        for path in [".ssh/id_ed25519", ".ssh", "data/auth.json", "alias"] {
            assert!(
                matches!(
                    contained.resolve_existing(path),
                    Err(ContainmentError::Protected)
                ),
                "{path}"
            );
        }
        assert!(matches!(
            contained.resolve_for_write("data/new.json"),
            Err(ContainmentError::Protected)
        ));
        assert!(matches!(
            contained.resolve_for_write(".ssh"),
            Err(ContainmentError::Protected)
        ));
        assert!(contained.resolve_existing("notes.md").is_ok());
        assert!(contained.resolve_for_write("new.md").is_ok());
    }
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::os::unix::fs::symlink;

    use super::*;

    /// `base/ws` is the workspace; `base/outside` holds a secret.
    struct Fixture {
        _dir: tempfile::TempDir,
        root: ContainedRoot,
        outside: PathBuf,
    }

    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        let base = dir.path().canonicalize().expect("canonical tempdir");
        let ws = base.join("ws");
        let outside = base.join("outside");
        fs::create_dir_all(ws.join("src/deep")).expect("mkdir");
        fs::create_dir_all(&outside).expect("mkdir");
        fs::write(ws.join("README.md"), "hi").expect("write");
        fs::write(ws.join("src/deep/main.rs"), "fn main() {}").expect("write");
        fs::write(outside.join("secret.txt"), "secret").expect("write");
        symlink(outside.join("secret.txt"), ws.join("file-link-out")).expect("symlink");
        symlink(&outside, ws.join("dir-link-out")).expect("symlink");
        symlink(&outside, ws.join("src/deep/nested-link-out")).expect("symlink");
        symlink(ws.join("README.md"), ws.join("link-in")).expect("symlink");
        symlink("src/deep", ws.join("rel-dir-link-in")).expect("symlink");
        symlink("../../outside", ws.join("src/rel-link-out")).expect("symlink");
        symlink(ws.join("gone"), ws.join("dangling-in")).expect("symlink");
        symlink(outside.join("gone"), ws.join("dangling-out")).expect("symlink");
        let root = ContainedRoot::new(&ws).expect("root");
        Fixture {
            _dir: dir,
            root,
            outside,
        }
    }

    /// The refusal's class, named as the host's API names it.
    fn code(err: &ContainmentError) -> &'static str {
        match err {
            ContainmentError::NulByte
            | ContainmentError::ParentTraversal
            | ContainmentError::Escapes
            | ContainmentError::RootItself
            | ContainmentError::Protected => "path_not_allowed",
            ContainmentError::NotFound => "not_found",
            ContainmentError::InvalidRoot => "workspace_missing",
            ContainmentError::Io(_) => "internal",
        }
    }

    #[test]
    fn new_requires_existing_directory() {
        let f = fixture();
        assert!(matches!(
            ContainedRoot::new(&f.outside.join("nope")),
            Err(ContainmentError::InvalidRoot)
        ));
        assert!(matches!(
            ContainedRoot::new(&f.outside.join("secret.txt")),
            Err(ContainmentError::InvalidRoot)
        ));
        let via_link = ContainedRoot::new(&f.root.root().join("rel-dir-link-in")).expect("dir");
        assert!(via_link.root().ends_with("ws/src/deep"));
    }

    #[test]
    fn resolves_inside_paths() {
        let f = fixture();
        let r = f.root.root();
        assert_eq!(f.root.resolve_existing("").expect("root"), r);
        assert_eq!(f.root.resolve_existing(".").expect("root"), r);
        assert_eq!(f.root.resolve_existing("./").expect("root"), r);
        assert_eq!(
            f.root.resolve_existing("README.md").expect("file"),
            r.join("README.md")
        );
        assert_eq!(
            f.root.resolve_existing("src/./deep/main.rs").expect("file"),
            r.join("src/deep/main.rs")
        );
        assert_eq!(
            f.root.resolve_existing("link-in").expect("link"),
            r.join("README.md")
        );
        assert_eq!(
            f.root
                .resolve_existing("rel-dir-link-in/main.rs")
                .expect("link"),
            r.join("src/deep/main.rs")
        );
        let abs = r.join("src/deep/main.rs");
        assert_eq!(
            f.root
                .resolve_existing(abs.to_str().expect("utf-8"))
                .expect("absolute inside"),
            abs
        );
        assert_eq!(
            f.root
                .resolve_existing(r.to_str().expect("utf-8"))
                .expect("absolute root"),
            r
        );
    }

    #[test]
    fn refuses_escapes() {
        let f = fixture();
        let secret = f.outside.join("secret.txt");
        let outside_abs = secret.to_str().expect("utf-8");
        type Expect = fn(&ContainmentError) -> bool;
        let cases: &[(&str, Expect)] = &[
            ("a\0b", |e| matches!(e, ContainmentError::NulByte)),
            ("..", |e| matches!(e, ContainmentError::ParentTraversal)),
            ("../outside/secret.txt", |e| {
                matches!(e, ContainmentError::ParentTraversal)
            }),
            ("src/../README.md", |e| {
                matches!(e, ContainmentError::ParentTraversal)
            }),
            ("/etc/passwd", |e| matches!(e, ContainmentError::Escapes)),
            ("/nonexistent/x", |e| matches!(e, ContainmentError::Escapes)),
            ("file-link-out", |e| matches!(e, ContainmentError::Escapes)),
            ("dir-link-out", |e| matches!(e, ContainmentError::Escapes)),
            ("dir-link-out/secret.txt", |e| {
                matches!(e, ContainmentError::Escapes)
            }),
            ("src/deep/nested-link-out/secret.txt", |e| {
                matches!(e, ContainmentError::Escapes)
            }),
            ("src/rel-link-out/secret.txt", |e| {
                matches!(e, ContainmentError::Escapes)
            }),
            // No existence oracle for files outside.
            ("dir-link-out/does-not-exist", |e| {
                matches!(e, ContainmentError::Escapes)
            }),
            ("dangling-out", |e| matches!(e, ContainmentError::Escapes)),
        ];
        for (path, expected) in cases {
            let err = f.root.resolve_existing(path).expect_err(path);
            assert!(expected(&err), "{path:?}: {err:?}");
            assert_eq!(code(&err), "path_not_allowed", "{path:?}");
        }
        let err = f.root.resolve_existing(outside_abs).expect_err("outside");
        assert!(matches!(err, ContainmentError::Escapes));
    }

    #[test]
    fn missing_entries_are_not_found() {
        let f = fixture();
        for path in ["nope", "src/nope", "src/deep/nope/x", "README.md/x"] {
            let err = f.root.resolve_existing(path).expect_err(path);
            assert!(
                matches!(err, ContainmentError::NotFound),
                "{path:?}: {err:?}"
            );
            assert_eq!(code(&err), "not_found");
        }
    }

    #[test]
    fn write_targets() {
        let f = fixture();
        let r = f.root.root();
        assert_eq!(
            f.root.resolve_for_write("new.txt").expect("new"),
            r.join("new.txt")
        );
        assert_eq!(
            f.root.resolve_for_write("src/deep/new.rs").expect("new"),
            r.join("src/deep/new.rs")
        );
        assert_eq!(
            f.root.resolve_for_write("README.md").expect("existing"),
            r.join("README.md")
        );
        assert_eq!(
            f.root.resolve_for_write("link-in").expect("link inside"),
            r.join("link-in")
        );
        assert_eq!(
            f.root
                .resolve_for_write("rel-dir-link-in/new.rs")
                .expect("via link"),
            r.join("src/deep/new.rs")
        );
        let abs = r.join("src/x.rs");
        assert_eq!(
            f.root
                .resolve_for_write(abs.to_str().expect("utf-8"))
                .expect("absolute"),
            abs
        );
    }

    #[test]
    fn write_refusals() {
        let f = fixture();
        let escapes = [
            "file-link-out",
            "dir-link-out/new.txt",
            "dir-link-out/secret.txt",
            "src/deep/nested-link-out/new.txt",
            "src/rel-link-out/x",
            "dangling-out",
            "dangling-in",
            "dir-link-out/nope/new.txt",
            "/tmp/x",
        ];
        for path in escapes {
            let err = f.root.resolve_for_write(path).expect_err(path);
            assert!(
                matches!(err, ContainmentError::Escapes),
                "{path:?}: {err:?}"
            );
            assert_eq!(code(&err), "path_not_allowed");
        }
        for path in ["", ".", "./", f.root.root().to_str().expect("utf-8")] {
            let err = f.root.resolve_for_write(path).expect_err(path);
            assert!(
                matches!(err, ContainmentError::RootItself),
                "{path:?}: {err:?}"
            );
            assert_eq!(code(&err), "path_not_allowed");
        }
        assert!(matches!(
            f.root.resolve_for_write("src/../x"),
            Err(ContainmentError::ParentTraversal)
        ));
        assert!(matches!(
            f.root.resolve_for_write("x\0"),
            Err(ContainmentError::NulByte)
        ));
        for path in ["nope/new.txt", "README.md/new.txt"] {
            let err = f.root.resolve_for_write(path).expect_err(path);
            assert!(
                matches!(err, ContainmentError::NotFound),
                "{path:?}: {err:?}"
            );
        }
    }

    #[test]
    fn a_pinned_file_stays_the_checked_file_when_its_directory_is_swapped() {
        let f = fixture();
        let pinned = f.root.pin_existing("src/deep/main.rs").expect("pin");
        assert_eq!(pinned.real(), f.root.root().join("src/deep/main.rs"));
        // The swap a racing command would do: the directory becomes a
        // symlink to the outside, with a file of the same name there.
        let deep = f.root.root().join("src/deep");
        fs::rename(&deep, f.root.root().join("src/moved")).expect("move");
        fs::write(f.outside.join("main.rs"), "outside").expect("write");
        symlink(&f.outside, &deep).expect("symlink");
        assert_eq!(
            fs::read_to_string(pinned.path()).expect("read"),
            "fn main() {}"
        );
        // A fresh pin sees the swap and refuses it.
        assert!(matches!(
            f.root.pin_existing("src/deep/main.rs"),
            Err(ContainmentError::Escapes)
        ));
    }

    #[test]
    fn a_pinned_write_lands_in_the_checked_directory_when_it_is_swapped() {
        let f = fixture();
        let pinned = f.root.pin_for_write("src/deep/new.txt").expect("pin");
        assert_eq!(pinned.real(), f.root.root().join("src/deep/new.txt"));
        let deep = f.root.root().join("src/deep");
        fs::rename(&deep, f.root.root().join("src/moved")).expect("move");
        symlink(&f.outside, &deep).expect("symlink");
        fs::write(pinned.path(), "written").expect("write through the pin");
        assert!(!f.outside.join("new.txt").exists(), "escaped the workspace");
        assert_eq!(
            fs::read_to_string(f.root.root().join("src/moved/new.txt")).expect("read"),
            "written"
        );
    }

    #[test]
    fn pins_refuse_what_resolution_refuses() {
        let f = fixture();
        for path in [
            "file-link-out",
            "dir-link-out/secret.txt",
            "../outside/secret.txt",
        ] {
            assert!(f.root.pin_existing(path).is_err(), "{path}");
        }
        for path in ["dir-link-out/new.txt", "dangling-out", "."] {
            assert!(f.root.pin_for_write(path).is_err(), "{path}");
        }
        let protected = f
            .root
            .clone()
            .with_protected([f.root.root().join("src/deep")]);
        assert!(matches!(
            protected.pin_existing("src/deep/main.rs"),
            Err(ContainmentError::Protected)
        ));
    }
}
