//! Memory figures of a running server, straight from `/proc/<pid>/status`.
//!
//! `VmRSS` is what the idle-RSS target is about: resident memory right now.
//! `VmHWM` (the peak) and `Threads` are printed alongside because they explain
//! a surprising RSS (a start-up spike, a thread pool bigger than expected).

use std::time::Duration;

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

/// CPU time (user + system, all threads) a process has used so far.
///
/// `/proc/<pid>/stat` counts in clock ticks of `USER_HZ`, which the kernel
/// fixes at 100 for userspace on every architecture Linux ships.
pub fn cpu_time(pid: u32) -> Result<Duration> {
    let path = format!("/proc/{pid}/stat");
    let text = std::fs::read_to_string(&path).context(format!("reading {path}"))?;
    parse_cpu_ticks(&text)
        .map(|ticks| Duration::from_millis(ticks * 1000 / USER_HZ))
        .ok_or_else(|| Error::new(format!("{path}: no utime/stime")))
}

const USER_HZ: u64 = 100;

/// utime + stime from the text of `/proc/<pid>/stat`. The command name (field
/// 2) may contain spaces and parentheses, so fields are counted from the last
/// `)`: state is field 3, utime 14, stime 15.
fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(14 - 3);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// The 1-minute load average, if `/proc/loadavg` is readable.
pub fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
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
    fn parses_stat() {
        let stat = "42 (a b) c) S 1 42 42 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 1 0";
        assert_eq!(parse_cpu_ticks(stat), Some(10));
        assert_eq!(parse_cpu_ticks("garbage"), None);
    }

    #[test]
    fn reads_own_process() {
        cpu_time(std::process::id()).unwrap();
        let snap = MemSnapshot::read(std::process::id()).unwrap();
        assert!(snap.rss_kib > 0 && snap.threads >= 1);
    }
}
