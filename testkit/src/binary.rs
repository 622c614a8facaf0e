//! Where the binaries under test are: one lookup, and never a nested
//! `cargo build` (which would wait on the lock of the very target directory
//! the running tests hold).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The `agent-host` binary the tests start.
pub fn host_binary() -> &'static Path {
    static HOST: OnceLock<PathBuf> = OnceLock::new();
    HOST.get_or_init(|| target_binary("agent-host", "cargo build -p agent-host"))
}

/// The workspace binary `name`: `CARGO_BIN_EXE_<name>` when the test
/// runner set it (nextest does, for a package's own binaries), else
/// `<target>/<profile>/<name>` beside the running test executable
/// (`<target>/<profile>/deps/<test>`, so a custom `CARGO_TARGET_DIR` is
/// honoured). An existing binary is used as it is.
///
/// # Panics
///
/// When it is not there, saying to run `build` first: a workspace test
/// run builds every binary, a run of one crate's tests only that crate's.
pub fn target_binary(name: &str, build: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(format!("CARGO_BIN_EXE_{name}")) {
        return path.into();
    }
    let exe = std::env::current_exe().expect("the test executable's path");
    let binary = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test executable lies in <target>/<profile>/deps")
        .join(name);
    assert!(
        binary.is_file(),
        "{name} is not built (no {}): run `{build}` first, then the tests again",
        binary.display()
    );
    binary
}

#[cfg(test)]
mod tests {
    #[test]
    #[should_panic(expected = "no-such-binary is not built")]
    fn a_missing_binary_says_what_to_build() {
        super::target_binary("no-such-binary", "cargo build -p nothing");
    }
}
