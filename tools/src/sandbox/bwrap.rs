//! The exact bubblewrap command line: an allow-list.
//!
//! The sandbox starts from bubblewrap's own empty root and mounts back only
//! what a command needs: the system directories read-only, fresh `/dev`,
//! `/proc`, `/tmp` and `/run`, the home directory as an empty tmpfs, the
//! extra read-only paths the workspace policy lists, and the workspace
//! read-write. Everything else on the machine (other directories under
//! `$HOME`, `/home`, `/root`, `/var`, `/srv`, `/mnt`, the host's user-data
//! directory, every socket of the user's session) is *absent*, not hidden:
//! nothing inside can rename its way to it.
//!
//! Order matters: later mounts cover earlier ones. The workspace is bound
//! after `/tmp` and the home tmpfs so a workspace below either stays
//! visible, and protected paths inside the workspace are covered last.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// `PATH` inside the sandbox.
const SANDBOX_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// System directories mounted read-only when they exist. A top-level entry
/// that is a symlink on the host (`/bin -> usr/bin` on merged-/usr systems)
/// is recreated as the same symlink.
const SYSTEM_DIRS: &[&str] = &[
    "/usr", "/etc", "/opt", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
];

/// Where the sandbox is set up: the pieces of the host's file system that
/// the command may see.
pub(crate) struct Layout<'a> {
    /// The workspace, canonical: bound read-write, the working directory.
    pub workspace: &'a Path,
    /// The user's home directory: an empty, private tmpfs inside (with the
    /// workspace and the extra read-only paths that lie below it).
    pub home: Option<&'a Path>,
    /// Extra read-only paths from the workspace policy (toolchains).
    pub read_only: &'a [PathBuf],
    /// Protected paths; those inside the workspace are covered.
    pub protected: &'a [PathBuf],
}

/// The only environment a command (and bubblewrap itself, which is the
/// sandbox's pid 1 and whose `/proc/1/environ` a command can read) sees:
/// nothing from the host's process, which may hold API keys, leaks through.
pub(crate) fn minimal_env(layout: &Layout<'_>) -> Vec<(OsString, OsString)> {
    let home = layout.home.unwrap_or(layout.workspace);
    vec![
        ("PATH".into(), SANDBOX_PATH.into()),
        ("HOME".into(), home.as_os_str().to_owned()),
        ("LANG".into(), "C.UTF-8".into()),
        ("TERM".into(), "dumb".into()),
    ]
}

/// The bwrap arguments that run `command` with `/bin/sh -c`.
pub(crate) fn arguments(layout: &Layout<'_>, command: &str) -> Vec<OsString> {
    let mut args: Vec<OsString> = ["--unshare-all", "--die-with-parent", "--new-session"]
        .iter()
        .map(OsString::from)
        .collect();
    for dir in SYSTEM_DIRS {
        system_dir(&mut args, Path::new(dir));
    }
    // Fresh, private kernel and scratch file systems. `/run` holds the
    // session's sockets (D-Bus, the keyring, docker.sock): a read-only
    // mount would not stop connect(2), so it is an empty tmpfs instead.
    for (flag, dir) in [
        ("--dev", "/dev"),
        ("--proc", "/proc"),
        ("--tmpfs", "/tmp"),
        ("--tmpfs", "/var/tmp"),
        ("--tmpfs", "/run"),
    ] {
        args.extend([flag.into(), dir.into()]);
    }
    if let Some(home) = layout.home {
        args.extend(["--tmpfs".into(), home.into()]);
    }
    for path in layout.read_only {
        // `-try`: a toolchain that is not installed is simply not there.
        args.extend(["--ro-bind-try".into(), path.into(), path.into()]);
    }
    args.extend([
        "--bind".into(),
        layout.workspace.into(),
        layout.workspace.into(),
    ]);
    for entry in covered_paths(layout.protected, layout.workspace) {
        cover(&mut args, &entry);
    }
    args.extend([
        "--chdir".into(),
        layout.workspace.into(),
        "--clearenv".into(),
    ]);
    for (key, value) in minimal_env(layout) {
        args.extend(["--setenv".into(), key, value]);
    }
    args.extend(["--".into(), "/bin/sh".into(), "-c".into(), command.into()]);
    args
}

/// Mounts one system directory read-only, or recreates it as the symlink
/// it is on the host. Missing entries are skipped.
fn system_dir(args: &mut Vec<OsString>, dir: &Path) {
    let Ok(meta) = dir.symlink_metadata() else {
        return;
    };
    if meta.file_type().is_symlink() {
        if let Ok(target) = std::fs::read_link(dir) {
            args.extend(["--symlink".into(), target.into(), dir.into()]);
        }
    } else if meta.is_dir() {
        args.extend(["--ro-bind".into(), dir.into(), dir.into()]);
    }
}

/// Canonical existing protected paths strictly inside the workspace, with
/// whether each is a directory. Canonical, because bwrap mounts onto the
/// resolved destination. Protected paths elsewhere are already absent.
fn covered_paths(protected: &[PathBuf], workspace: &Path) -> Vec<(PathBuf, bool)> {
    let mut out: Vec<(PathBuf, bool)> = Vec::new();
    for path in protected {
        let Ok(canonical) = path.canonicalize() else {
            continue;
        };
        let Ok(meta) = canonical.metadata() else {
            continue;
        };
        if canonical == workspace
            || !canonical.starts_with(workspace)
            || out.iter().any(|(p, _)| *p == canonical)
        {
            continue;
        }
        out.push((canonical, meta.is_dir()));
    }
    out
}

/// A directory becomes an empty read-only tmpfs (nothing can be staged
/// there either); anything else becomes `/dev/null`.
fn cover(args: &mut Vec<OsString>, (path, is_dir): &(PathBuf, bool)) {
    if *is_dir {
        args.extend(["--tmpfs".into(), path.into()]);
        args.extend(["--remount-ro".into(), path.into()]);
    } else {
        args.extend(["--ro-bind".into(), "/dev/null".into(), path.into()]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(args: &[OsString]) -> Vec<String> {
        args.iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn layout_and_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = dir.path().canonicalize().expect("canonical");
        let ws = home.join("ws");
        std::fs::create_dir_all(ws.join(".secrets")).expect("mkdir");
        let outside = home.join("outside.txt");
        std::fs::write(&outside, "s").expect("write");
        let toolchain = home.join(".cargo");
        let layout = Layout {
            workspace: &ws,
            home: Some(&home),
            read_only: std::slice::from_ref(&toolchain),
            protected: &[ws.join(".secrets"), outside.clone(), home.join("missing")],
        };
        let args = text(&arguments(&layout, "echo hi"));
        let pos = |needle: &str| args.iter().position(|a| a == needle).expect(needle);
        let after = |flag: &str, path: &str| args.windows(2).any(|w| w[0] == flag && w[1] == path);
        assert_eq!(
            args[..3],
            ["--unshare-all", "--die-with-parent", "--new-session"]
        );
        // An allow-list: `/` itself is never bound.
        assert!(!args.windows(2).any(|w| w[1] == "/"));
        assert!(!args.iter().any(|a| a == "--share-net"));
        assert!(after("--ro-bind", "/usr"));
        let text_of = |p: &Path| p.to_string_lossy().into_owned();
        // Home is an empty tmpfs, the toolchain comes back read-only, then
        // the workspace read-write, then the covered secret inside it.
        assert!(after("--tmpfs", &text_of(&home)));
        assert!(pos(&text_of(&home)) < pos(&text_of(&toolchain)));
        assert!(after("--ro-bind-try", &text_of(&toolchain)));
        assert!(pos(&text_of(&toolchain)) < pos("--bind"));
        assert!(pos("/tmp") < pos("--bind"));
        assert!(pos("--bind") < pos(&text_of(&ws.join(".secrets"))));
        assert!(after("--remount-ro", &text_of(&ws.join(".secrets"))));
        // Protected paths outside the workspace are absent, not covered.
        assert!(!args
            .iter()
            .any(|a| a.contains("outside") || a.contains("missing")));
        assert_eq!(args[args.len() - 4..], ["--", "/bin/sh", "-c", "echo hi"]);
        assert!(pos("--clearenv") < pos("--setenv"));
        assert_eq!(args[pos("--chdir") + 1], text_of(&ws));
        assert!(args
            .windows(3)
            .any(|w| w[0] == "--setenv" && w[1] == "HOME" && w[2] == text_of(&home)));
    }

    #[test]
    fn merged_usr_symlinks_are_recreated() {
        let mut args = Vec::new();
        system_dir(&mut args, Path::new("/bin"));
        let args = text(&args);
        if Path::new("/bin").is_symlink() {
            assert_eq!(args[0], "--symlink");
            assert_eq!(args[2], "/bin");
        } else {
            assert_eq!(args, ["--ro-bind", "/bin", "/bin"]);
        }
    }
}
