//! Everything the supervisor thread waits for arrives as one [`Event`] on
//! one channel, so a single blocking `recv` covers the ready line, exits,
//! health results and shutdown without polling.

use std::process::ExitStatus;

use agent_client::Ready;

/// One thing that happened. Events carry the host generation they concern,
/// so a late event from a host that was already replaced is ignored.
#[derive(Debug)]
pub enum Event {
    /// The owner asked the supervisor to stop the host and end.
    Shutdown,
    /// The host's first stdout line, parsed; `None` when stdout ended (or
    /// failed) without a line, or the line was not a ready line.
    ReadyLine {
        generation: u64,
        ready: Option<Ready>,
    },
    /// The host process exited and was reaped.
    Exited {
        generation: u64,
        status: Option<ExitStatus>,
    },
    /// One health check's result.
    Health { generation: u64, healthy: bool },
}
