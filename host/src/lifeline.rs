//! Everything that tells the host its parent is gone or wants it to stop:
//! stdin EOF, the Linux parent-death signal, SIGTERM and SIGINT.
//!
//! A host must never outlive its parent, so each of these resolves the same
//! shutdown future and the host drains and exits.

use std::io::Read;

use tokio::sync::watch;

/// Why the host is shutting down; logged once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    StdinClosed,
    Sigterm,
    Sigint,
    /// The HTTP server itself ended; the host exits non-zero.
    ServerFailed,
}

/// Asks the kernel to send SIGTERM when the parent dies, then re-checks the
/// parent: if it died before the `prctl`, the signal will never come.
///
/// Returns `false` when the parent is already gone.
#[cfg(target_os = "linux")]
pub fn set_parent_death_signal(original_parent: libc::pid_t) -> bool {
    // SAFETY: prctl(PR_SET_PDEATHSIG) takes a signal number and has no
    // memory-safety preconditions.
    let rc = unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM as libc::c_ulong) };
    if rc != 0 {
        tracing::warn!("prctl(PR_SET_PDEATHSIG) failed; relying on the stdin lifeline");
    }
    // SAFETY: getppid has no preconditions.
    unsafe { libc::getppid() == original_parent }
}

#[cfg(not(target_os = "linux"))]
pub fn set_parent_death_signal(_original_parent: i32) -> bool {
    true
}

/// Keeps reading the rest of stdin on a dedicated thread (stdin reads cannot
/// be cancelled, so this thread is never joined) and reports EOF.
pub fn watch_stdin<R: Read + Send + 'static>(
    mut stdin: R,
    stop: watch::Sender<Option<StopReason>>,
) {
    let spawned = std::thread::Builder::new()
        .name("stdin-lifeline".into())
        .spawn(move || {
            let mut sink = [0u8; 512];
            loop {
                match stdin.read(&mut sink) {
                    Ok(0) => break,
                    Ok(_) => continue, // Anything after the handshake is ignored.
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(_) => break,
                }
            }
            stop.send_if_modified(|reason| {
                reason.get_or_insert(StopReason::StdinClosed);
                true
            });
        });
    if spawned.is_err() {
        // Without a lifeline the host could outlive its parent: fail closed.
        eprintln!("agent-host: could not start the stdin lifeline thread");
        std::process::exit(1);
    }
}

/// Forwards SIGTERM and SIGINT into the stop channel.
pub fn watch_signals(stop: watch::Sender<Option<StopReason>>) -> std::io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::spawn(async move {
        let reason = tokio::select! {
            _ = term.recv() => StopReason::Sigterm,
            _ = int.recv() => StopReason::Sigint,
        };
        stop.send_if_modified(|r| {
            r.get_or_insert(reason);
            true
        });
    });
    Ok(())
}

/// Resolves once any stop reason has been reported.
pub async fn stopped(mut rx: watch::Receiver<Option<StopReason>>) -> StopReason {
    loop {
        if let Some(reason) = *rx.borrow_and_update() {
            return reason;
        }
        if rx.changed().await.is_err() {
            // Every sender is gone: nobody can keep us alive any more.
            return StopReason::StdinClosed;
        }
    }
}
