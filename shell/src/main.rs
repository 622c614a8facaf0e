//! The desktop shell binary: tao windows and wry webviews over the host
//! supervisor in the library (`agent_shell::supervisor`).
//!
//! Placeholder: the windowing half comes with the desktop issue. Until then
//! the binary only says so, so nobody mistakes it for a working shell.

fn main() {
    eprintln!("agent-shell: not built yet; run `agent-host launch` for the headless host");
    std::process::exit(2);
}
