//! `UserData` layout and the one-host-per-directory lock.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use agent_storage::{StorageError, UserData, UserDataLock};

const LOCK_CHILD: &str = "lock::lock_child_try_acquire";
const LOCK_ENV: &str = "AGENT_STORAGE_LOCK_CHILD_DIR";
const OUTCOME_FILE: &str = "child-outcome";

#[test]
fn prepare_requires_absolute_path() {
    let err = UserData::prepare(Path::new("relative/dir")).expect_err("relative");
    assert!(matches!(err, StorageError::NotAbsolute { .. }), "{err}");
    assert!(!Path::new("relative").exists());
}

#[test]
fn prepare_creates_private_dir_and_names_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("a").join("user-data");
    let ud = UserData::prepare(&root).expect("prepare");
    assert_eq!(ud.root(), root);
    let mode = fs::metadata(&root).expect("stat").permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
    assert_eq!(ud.database_path(), root.join("sessions.db"));
    assert_eq!(ud.auth_path(), root.join("auth.json"));
    assert_eq!(ud.workspaces_path(), root.join("workspaces.json"));
    assert_eq!(ud.recent_path(), root.join("recent.json"));
    assert_eq!(ud.lock_path(), root.join("host.lock"));
    // Idempotent on an existing directory.
    UserData::prepare(&root).expect("prepare again");
}

#[test]
fn prepare_fails_on_a_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("file");
    fs::write(&file, b"").expect("seed");
    let err = UserData::prepare(&file).expect_err("not a dir");
    assert!(matches!(err, StorageError::Io { .. }), "{err}");
}

#[test]
fn second_acquire_is_locked_until_drop() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ud = UserData::prepare(dir.path()).expect("prepare");
    let first = UserDataLock::acquire(&ud).expect("first");
    let mode = fs::metadata(ud.lock_path())
        .expect("stat")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);

    // flock locks belong to the open file description, so a second open in
    // the same process conflicts just like another process would.
    let err = UserDataLock::acquire(&ud).expect_err("second");
    assert!(matches!(err, StorageError::Locked { .. }), "{err}");
    assert!(err.to_string().contains(&dir.path().display().to_string()));

    drop(first);
    let _again = UserDataLock::acquire(&ud).expect("after drop");
}

fn run_lock_child(dir: &Path) -> String {
    let outcome = dir.join(OUTCOME_FILE);
    let _ = fs::remove_file(&outcome);
    let status = Command::new(std::env::current_exe().expect("current_exe"))
        .args(["--exact", LOCK_CHILD, "--ignored", "--nocapture"])
        .env(LOCK_ENV, dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run child");
    assert!(status.success(), "child failed: {status}");
    // The marker proves the child really ran the acquire.
    fs::read_to_string(&outcome).expect("child wrote its outcome")
}

#[test]
fn other_process_is_locked_out_while_held() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ud = UserData::prepare(dir.path()).expect("prepare");
    let lock = UserDataLock::acquire(&ud).expect("parent lock");
    assert_eq!(run_lock_child(dir.path()), "locked");
    drop(lock);
    assert_eq!(run_lock_child(dir.path()), "acquired");
}

#[test]
#[ignore = "helper process for other_process_is_locked_out_while_held; does nothing on its own"]
fn lock_child_try_acquire() {
    let Some(dir) = std::env::var_os(LOCK_ENV) else {
        return;
    };
    let dir = PathBuf::from(dir);
    let ud = UserData::prepare(&dir).expect("prepare");
    let outcome = match UserDataLock::acquire(&ud) {
        Ok(_) => "acquired".to_owned(),
        Err(StorageError::Locked { .. }) => "locked".to_owned(),
        Err(e) => format!("error: {e}"),
    };
    fs::write(dir.join(OUTCOME_FILE), outcome).expect("write outcome");
}
