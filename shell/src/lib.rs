//! The desktop shell's GUI-free core.
//!
//! The windowing half (tao/wry) comes later; what lives here is everything
//! that must work and be tested without a display, starting with the
//! [`supervisor`] that owns the one `agent-host` process of the app.

pub mod supervisor;
