//! SIGKILL a writer mid-loop; every target must still be a whole version.
//!
//! The child is this same test binary re-executed with
//! `--exact crash::crash_child_write_loop --ignored --nocapture`, which works under
//! both `cargo test` and `cargo nextest run` (nextest drives test binaries
//! with the same libtest arguments).

use std::fs;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use agent_storage::{write_atomic, FileMode};
use rand::Rng;

const CHILD_TEST: &str = "crash::crash_child_write_loop";
const DIR_ENV: &str = "AGENT_STORAGE_CRASH_CHILD_DIR";
const ROUND_ENV: &str = "AGENT_STORAGE_CRASH_ROUND";
const FILES: usize = 4;
const BODY: usize = 64 * 1024;
const ROUNDS: u64 = 10;
/// Versions written in round `r` are `r * ROUND_STRIDE + n`.
const ROUND_STRIDE: u64 = 1_000_000;
const HEADER_LEN: usize = "version 00000000000000000000\n".len();

fn target(dir: &Path, i: usize) -> PathBuf {
    dir.join(format!("file-{i}.bin"))
}

/// A full, distinct version: header plus 64 KiB of one non-zero byte, so a
/// truncation, a hole or a mix of two versions is detectable.
fn version_bytes(version: u64) -> Vec<u8> {
    let mut out = format!("version {version:020}\n").into_bytes();
    out.resize(HEADER_LEN + BODY, fill_byte(version));
    out
}

fn fill_byte(version: u64) -> u8 {
    (version % 250) as u8 + 1
}

/// The version `bytes` holds if it is exactly one whole version.
fn whole_version(bytes: &[u8]) -> Option<u64> {
    if bytes.len() != HEADER_LEN + BODY {
        return None;
    }
    let header = std::str::from_utf8(&bytes[..HEADER_LEN]).ok()?;
    let version: u64 = header
        .strip_prefix("version ")?
        .strip_suffix('\n')?
        .parse()
        .ok()?;
    let fill = fill_byte(version);
    bytes[HEADER_LEN..]
        .iter()
        .all(|&b| b == fill)
        .then_some(version)
}

fn check_whole(dir: &Path, round: u64) -> Vec<u64> {
    (0..FILES)
        .map(|i| {
            let bytes = fs::read(target(dir, i)).expect("target must exist");
            whole_version(&bytes).unwrap_or_else(|| {
                panic!(
                    "round {round}: file {i} is not a whole version ({} bytes)",
                    bytes.len()
                )
            })
        })
        .collect()
}

#[test]
#[ignore = "helper process for sigkill_mid_write_leaves_whole_files; does nothing on its own"]
fn crash_child_write_loop() {
    let Some(dir) = std::env::var_os(DIR_ENV) else {
        return;
    };
    let dir = PathBuf::from(dir);
    let round: u64 = std::env::var(ROUND_ENV)
        .expect("round env")
        .parse()
        .expect("round number");
    // Bounded so an orphaned child cannot spin forever.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut n = 1;
    while Instant::now() < deadline {
        let version = round * ROUND_STRIDE + n;
        for i in 0..FILES {
            write_atomic(&target(&dir, i), &version_bytes(version), FileMode::Private)
                .expect("child write");
        }
        n += 1;
    }
}

#[test]
fn sigkill_mid_write_leaves_whole_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    for i in 0..FILES {
        write_atomic(&target(dir.path(), i), &version_bytes(0), FileMode::Private).expect("seed");
    }
    let exe = std::env::current_exe().expect("current_exe");
    let mut rng = rand::rng();

    for round in 1..=ROUNDS {
        let mut child = Command::new(&exe)
            .args(["--exact", CHILD_TEST, "--ignored", "--nocapture"])
            .env(DIR_ENV, dir.path())
            .env(ROUND_ENV, round.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn child");

        // Wait until the child is actually writing this round's versions,
        // so the kill lands inside the write loop, not during exec.
        let started = Instant::now();
        while !check_whole(dir.path(), round)
            .iter()
            .any(|&v| v >= round * ROUND_STRIDE)
        {
            if let Some(status) = child.try_wait().expect("try_wait") {
                panic!("round {round}: child exited before being killed: {status}");
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "round {round}: child never started writing"
            );
            std::thread::sleep(Duration::from_millis(1));
        }

        std::thread::sleep(Duration::from_millis(rng.random_range(2..=50)));
        child.kill().expect("SIGKILL child");
        let status = child.wait().expect("wait child");
        assert_eq!(
            status.signal(),
            Some(libc::SIGKILL),
            "round {round}: child was not killed mid-loop: {status}"
        );

        check_whole(dir.path(), round);
    }

    // Temp files may survive a SIGKILL (at most one per kill: one write is
    // in flight at a time); they are never read.
    let leftovers = fs::read_dir(dir.path())
        .expect("read_dir")
        .filter(|e| {
            e.as_ref()
                .map(|e| e.file_name().to_string_lossy().contains(".tmp."))
                .unwrap_or(false)
        })
        .count();
    eprintln!("temp files left after {ROUNDS} SIGKILLs: {leftovers}");
    assert!(leftovers <= ROUNDS as usize, "{leftovers} temp files");
}
