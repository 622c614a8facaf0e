//! The desktop shell's GUI-free core.
//!
//! The windowing half (tao/wry, the WebKit glue of the renderer bridge)
//! lives in the binary (`src/main.rs`, `src/scheme.rs`); what lives here is
//! everything that must work and be tested without a display: the
//! [`supervisor`] that owns the one `agent-host` process of the app, and the
//! [`renderer`] rules (base origin, navigation, preload, static server).
//!
//! With the `test-hooks` feature (tests and shell-bench only; a release
//! shell is built without it) the binary also has `--self-test*` and the
//! control socket, whose typed requests (`ControlRequest`, in `control`)
//! are here so a test can drive the shell through them.

pub mod actions;
#[cfg(feature = "test-hooks")]
pub mod control;
pub mod deeplink;
pub mod drop;
pub mod error_page;
pub mod host_calls;
pub mod renderer;
pub mod single_instance;
pub mod supervisor;

#[cfg(feature = "test-hooks")]
pub use control::{ControlRequest, HostInfo, WindowInfo};
