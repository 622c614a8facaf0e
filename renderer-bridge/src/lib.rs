//! The renderer bridge: a custom URL scheme handled in Rust that checks the
//! requesting frame's Origin, adds the host credentials and streams the host's
//! answer back, so the page never holds the port or the password.
//!
//! Placeholder: the desktop issue fills this crate.
