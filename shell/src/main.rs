//! The desktop shell: tao windows, wry webviews and the host supervisor.
//!
//! Placeholder: the desktop issue fills this crate. Until then it only says so,
//! so nobody mistakes it for a working shell.

fn main() {
    eprintln!("agent-shell: not built yet; run `agent-host launch` for the headless host");
    std::process::exit(2);
}
