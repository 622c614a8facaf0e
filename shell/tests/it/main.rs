//! The shell's integration tests: the supervisor with a real host, single-instance sockets, deep links and real tao/wry windows under Xvfb: one test binary for the crate (every file directly under
//! tests/ would link a binary of its own), one module per area.

mod common;

mod deeplink;
mod gui;
mod single_instance;
mod supervisor;
mod windows;
