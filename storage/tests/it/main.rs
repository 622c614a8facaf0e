//! The storage layer's integration tests on real SQLite files and real directories: one test binary for the crate (every file directly under
//! tests/ would link a binary of its own), one module per area.

mod atomic;
mod auth_file;
mod changes;
mod crash;
mod db;
mod lock;
mod sessions;
mod stores;
