//! Memory figures of a running server, straight from `/proc/<pid>/status`.
//!
//! `VmRSS` is what the idle-RSS target is about: resident memory right now.
//! `VmHWM` (the peak) and `Threads` are printed alongside because they explain
//! a surprising RSS (a start-up spike, a thread pool bigger than expected).

use crate::error::{Context, Error, Result};

/// A snapshot of one process's memory and thread count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemSnapshot {
    /// Resident set size, KiB (the kernel's "kB").
    pub rss_kib: u64,
    /// Peak resident set size, KiB.
    pub hwm_kib: u64,
    /// Number of threads.
    pub threads: u64,
}

impl MemSnapshot {
    /// Reads the snapshot for `pid`.
    pub fn read(pid: u32) -> Result<Self> {
        let path = format!("/proc/{pid}/status");
        let text = std::fs::read_to_string(&path).context(format!("reading {path}"))?;
        Self::parse(&text).ok_or_else(|| Error::new(format!("{path}: no VmRSS/VmHWM/Threads")))
    }

    /// Parses the text of a `/proc/<pid>/status` file.
    pub fn parse(status: &str) -> Option<Self> {
        let field = |name: &str| -> Option<u64> {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
                .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        };
        Some(Self {
            rss_kib: field("VmRSS")?,
            hwm_kib: field("VmHWM")?,
            threads: field("Threads")?,
        })
    }
}

/// KiB → MiB, for printing.
pub fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_status() {
        let text = "Name:\tx\nVmHWM:\t   12000 kB\nVmRSS:\t    9000 kB\nThreads:\t3\n";
        assert_eq!(
            MemSnapshot::parse(text),
            Some(MemSnapshot {
                rss_kib: 9000,
                hwm_kib: 12000,
                threads: 3
            })
        );
        assert_eq!(MemSnapshot::parse("VmRSS:\t1 kB\n"), None);
    }

    #[test]
    fn reads_own_process() {
        let snap = MemSnapshot::read(std::process::id()).unwrap();
        assert!(snap.rss_kib > 0 && snap.threads >= 1);
    }
}
