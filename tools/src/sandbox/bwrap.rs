//! The exact bubblewrap command line.
//!
//! Order matters: later mounts cover earlier ones. So `/` goes first
//! (read-only), then fresh `/dev`, `/proc` and `/tmp`, then the workspace
//! (read-write; after `/tmp` so a workspace under `/tmp` stays visible),
//! then the hidden paths. A hidden path that contains the workspace is
//! hidden *before* the workspace is bound, so the workspace is not hidden
//! with it.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// Secret folders and files under `$HOME` that no command may read: the
/// same list every contained path refuses.
pub(crate) use agent_security::HOME_SECRETS;

/// `PATH` inside the sandbox (and for unsandboxed runs).
const SANDBOX_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// The only environment a command sees: nothing from the host's process
/// (which may hold API keys) leaks through.
pub(crate) fn minimal_env(workspace: &Path) -> Vec<(OsString, OsString)> {
    vec![
        ("PATH".into(), SANDBOX_PATH.into()),
        ("HOME".into(), workspace.as_os_str().to_owned()),
        ("LANG".into(), "C.UTF-8".into()),
        ("TERM".into(), "dumb".into()),
    ]
}

/// The bwrap arguments that run `command` with `/bin/sh -c`.
pub(crate) fn arguments(
    workspace: &Path,
    protected: &[PathBuf],
    home: Option<&Path>,
    command: &str,
) -> Vec<OsString> {
    let mut args: Vec<OsString> = [
        "--unshare-all",
        "--die-with-parent",
        "--new-session",
        "--ro-bind",
        "/",
        "/",
        "--dev",
        "/dev",
        "--proc",
        "/proc",
        "--tmpfs",
        "/tmp",
        // A read-only mount does not stop connect(2): without this, session
        // buses (the keyring!), docker.sock and friends under /run answer.
        "--tmpfs",
        "/run",
    ]
    .iter()
    .map(OsString::from)
    .collect();

    let hidden = hidden_paths(protected, home);
    let (containing, rest): (Vec<_>, Vec<_>) = hidden
        .into_iter()
        .partition(|(p, _)| workspace.starts_with(p));
    // Not remounted read-only: bwrap must still create the workspace's
    // mount point inside it. It stays empty apart from that.
    for entry in &containing {
        hide(&mut args, entry, false);
    }
    args.extend(["--bind".into(), workspace.into(), workspace.into()]);
    for entry in &rest {
        hide(&mut args, entry, true);
    }

    args.extend(["--chdir".into(), workspace.into(), "--clearenv".into()]);
    for (key, value) in minimal_env(workspace) {
        args.extend(["--setenv".into(), key, value]);
    }
    args.extend(["--".into(), "/bin/sh".into(), "-c".into(), command.into()]);
    args
}

/// Canonical existing paths to hide, with whether each is a directory.
/// Canonical, because bwrap mounts onto the resolved destination and a
/// symlinked spelling must not dodge the check against the workspace.
fn hidden_paths(protected: &[PathBuf], home: Option<&Path>) -> Vec<(PathBuf, bool)> {
    let home_secrets = home
        .into_iter()
        .flat_map(|home| HOME_SECRETS.iter().map(move |s| home.join(s)));
    let mut out: Vec<(PathBuf, bool)> = Vec::new();
    for path in protected.iter().cloned().chain(home_secrets) {
        let Ok(canonical) = path.canonicalize() else {
            continue;
        };
        let Ok(meta) = canonical.metadata() else {
            continue;
        };
        if canonical == Path::new("/") || out.iter().any(|(p, _)| *p == canonical) {
            continue;
        }
        out.push((canonical, meta.is_dir()));
    }
    out
}

/// A directory becomes an empty tmpfs (read-only when `read_only`, so
/// nothing can be staged there either); anything else becomes `/dev/null`.
fn hide(args: &mut Vec<OsString>, (path, is_dir): &(PathBuf, bool), read_only: bool) {
    if *is_dir {
        args.extend(["--tmpfs".into(), path.into()]);
        if read_only {
            args.extend(["--remount-ro".into(), path.into()]);
        }
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
        let base = dir.path().canonicalize().expect("canonical");
        let ws = base.join("data/ws");
        std::fs::create_dir_all(&ws).expect("mkdir");
        let secret = base.join("secret.txt");
        std::fs::write(&secret, "s").expect("write");
        let protected = vec![base.join("data"), secret.clone(), base.join("missing")];
        let args = text(&arguments(&ws, &protected, None, "echo hi"));
        let pos = |needle: &str| args.iter().position(|a| a == needle).expect(needle);
        assert_eq!(
            args[..3],
            ["--unshare-all", "--die-with-parent", "--new-session"]
        );
        assert!(!args.iter().any(|a| a == "--share-net"));
        let ws_text = ws.to_string_lossy().into_owned();
        let data_text = base.join("data").to_string_lossy().into_owned();
        let secret_text = secret.to_string_lossy().into_owned();
        // The containing user-data dir is hidden before the workspace bind.
        assert!(pos(&data_text) < pos("--bind"));
        assert!(pos(&secret_text) > pos("--bind"));
        assert!(pos("/tmp") < pos("--bind"));
        assert!(!args.iter().any(|a| a.contains("missing")));
        assert_eq!(args[args.len() - 4..], ["--", "/bin/sh", "-c", "echo hi"]);
        assert!(pos("--clearenv") < pos("--setenv"));
        assert_eq!(args[pos("--chdir") + 1], ws_text);
    }

    #[test]
    fn home_secrets_are_hidden() {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = dir.path().canonicalize().expect("canonical");
        std::fs::create_dir_all(home.join(".ssh")).expect("mkdir");
        std::fs::create_dir_all(home.join(".config/gcloud")).expect("mkdir");
        std::fs::write(home.join(".netrc"), "machine x").expect("write");
        let ws = home.join("project");
        std::fs::create_dir_all(&ws).expect("mkdir");
        let args = text(&arguments(&ws, &[], Some(&home), "true"));
        let after = |flag: &str, path: &std::path::Path| {
            let path = path.to_string_lossy();
            args.windows(2).any(|w| w[0] == flag && w[1] == path)
        };
        assert!(after("--tmpfs", &home.join(".ssh")));
        assert!(after("--remount-ro", &home.join(".ssh")));
        assert!(after("--tmpfs", &home.join(".config/gcloud")));
        assert!(after("/dev/null", &home.join(".netrc")));
        assert!(!args.iter().any(|a| a.ends_with(".aws")));
    }
}
