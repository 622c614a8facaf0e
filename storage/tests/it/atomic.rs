//! `write_atomic` on real files.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use agent_storage::{write_atomic, FileMode, StorageError};

fn mode_of(path: &Path) -> u32 {
    fs::metadata(path).expect("stat").permissions().mode() & 0o7777
}

/// Names in `dir` that look like `write_atomic` temp files.
fn temp_leftovers(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.') && n.contains(".tmp."))
        .collect()
}

#[test]
fn creates_new_file_with_contents() {
    let dir = tempfile::tempdir().expect("tempdir");
    let target = dir.path().join("new.txt");
    write_atomic(&target, b"hello", FileMode::Preserve).expect("write");
    assert_eq!(fs::read(&target).expect("read"), b"hello");
    assert!(temp_leftovers(dir.path()).is_empty());
}

#[test]
fn replace_keeps_contents_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    let target = dir.path().join("doc.txt");
    write_atomic(&target, &vec![b'a'; 100_000], FileMode::Preserve).expect("first");
    write_atomic(&target, b"short", FileMode::Preserve).expect("second");
    assert_eq!(fs::read(&target).expect("read"), b"short");
    write_atomic(&target, b"", FileMode::Preserve).expect("empty");
    assert_eq!(fs::read(&target).expect("read"), b"");
    assert!(temp_leftovers(dir.path()).is_empty());
}

#[test]
fn private_is_0600_even_over_a_wider_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let target = dir.path().join("secret.json");
    write_atomic(&target, b"{}", FileMode::Private).expect("write");
    assert_eq!(mode_of(&target), 0o600);

    fs::set_permissions(&target, fs::Permissions::from_mode(0o644)).expect("chmod");
    write_atomic(&target, b"{}", FileMode::Private).expect("rewrite");
    assert_eq!(mode_of(&target), 0o600);
}

#[test]
fn preserve_keeps_existing_mode() {
    let dir = tempfile::tempdir().expect("tempdir");
    for mode in [0o640, 0o755, 0o600] {
        let target = dir.path().join(format!("file-{mode:o}"));
        fs::write(&target, b"old").expect("seed");
        fs::set_permissions(&target, fs::Permissions::from_mode(mode)).expect("chmod");
        write_atomic(&target, b"new", FileMode::Preserve).expect("write");
        assert_eq!(mode_of(&target), mode, "mode {mode:o} not kept");
        assert_eq!(fs::read(&target).expect("read"), b"new");
    }
    assert!(temp_leftovers(dir.path()).is_empty());
}

#[test]
fn new_preserve_file_is_not_group_or_world_writable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let target = dir.path().join("new.txt");
    write_atomic(&target, b"x", FileMode::Preserve).expect("write");
    assert_eq!(mode_of(&target) & 0o133, 0, "mode {:o}", mode_of(&target));
}

#[test]
fn missing_directory_fails_without_leftovers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let target = dir.path().join("missing").join("file.txt");
    let err = write_atomic(&target, b"x", FileMode::Private).expect_err("no dir");
    assert!(matches!(err, StorageError::Io { .. }), "{err}");
    assert!(!dir.path().join("missing").exists());
    assert!(temp_leftovers(dir.path()).is_empty());
}

#[test]
fn directory_target_fails_and_is_left_intact() {
    let dir = tempfile::tempdir().expect("tempdir");
    let target = dir.path().join("victim");
    fs::create_dir(&target).expect("mkdir");
    fs::write(target.join("inside.txt"), b"keep me").expect("seed");

    for mode in [FileMode::Private, FileMode::Preserve] {
        let err = write_atomic(&target, b"x", mode).expect_err("target is a directory");
        assert!(
            matches!(err, StorageError::Io { op: "rename", .. }),
            "{err}"
        );
    }
    assert!(target.is_dir());
    assert_eq!(
        fs::read(target.join("inside.txt")).expect("read"),
        b"keep me"
    );
    assert!(temp_leftovers(dir.path()).is_empty());
}

#[test]
fn failed_write_leaves_old_file_intact() {
    // A target whose parent component is a regular file: creating the temp
    // file fails (ENOTDIR), and the file standing in the way is untouched.
    let dir = tempfile::tempdir().expect("tempdir");
    let old = dir.path().join("old.txt");
    fs::write(&old, b"old contents").expect("seed");
    let err = write_atomic(&old.join("child"), b"new", FileMode::Preserve).expect_err("enotdir");
    assert!(matches!(err, StorageError::Io { .. }), "{err}");
    assert_eq!(fs::read(&old).expect("read"), b"old contents");
    assert!(temp_leftovers(dir.path()).is_empty());
}

#[test]
fn empty_path_is_rejected() {
    let err = write_atomic(Path::new(""), b"x", FileMode::Private).expect_err("empty path");
    assert!(matches!(err, StorageError::Io { .. }), "{err}");
}
