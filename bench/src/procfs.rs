//! Memory figures of a running server, straight from `/proc/<pid>/status`,
//! and the process trees the shell benchmark measures.
//!
//! `VmRSS` is what the idle-RSS target is about: resident memory right now.
//! `VmHWM` (the peak) and `Threads` are printed alongside because they explain
//! a surprising RSS (a start-up spike, a thread pool bigger than expected).
//! For a tree of processes (the shell, its host, WebKit's processes),
//! [`tree_memory`] adds RSS and PSS (`smaps_rollup`) per process name.

use std::collections::BTreeMap;
use std::path::Path;
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
        let field = |name: &str| number_field(status, name);
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

/// The fields of a `/proc/<pid>/stat` text from field 3 (state) on. The
/// command name (field 2) may contain spaces and parentheses, so fields are
/// counted from the last `)`.
fn stat_fields(stat: &str) -> Option<std::str::SplitWhitespace<'_>> {
    Some(stat[stat.rfind(')')? + 1..].split_whitespace())
}

/// The number after `name:` in a `/proc` text of `Name: value [kB]` lines.
fn number_field(text: &str, name: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
}

/// utime + stime from the text of `/proc/<pid>/stat`: fields 14 and 15.
fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let mut fields = stat_fields(stat)?.skip(14 - 3);
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

/// `(ppid, state)` of `pid`, `None` when it is gone.
fn parent_and_state(pid: u32) -> Option<(u32, char)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let mut fields = stat_fields(&text)?;
    let state = fields.next()?.chars().next()?;
    Some((fields.next()?.parse().ok()?, state))
}

/// Listed in `/proc` and not a zombie (`Z`, or `X` on its way out).
pub fn alive(pid: u32) -> bool {
    parent_and_state(pid).is_some_and(|(_, state)| !matches!(state, 'Z' | 'X'))
}

/// Sends `signal` to `pid`; never to a group, PID 1 or everyone.
pub fn signal(pid: u32, signal: libc::c_int) {
    if let Ok(pid) = libc::pid_t::try_from(pid) {
        if pid > 1 {
            // SAFETY: kill has no memory-safety preconditions.
            unsafe {
                libc::kill(pid, signal);
            }
        }
    }
}

/// `root` and all its live descendants.
pub fn tree(root: u32) -> Vec<u32> {
    let mut parent = Vec::new();
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for entry in dir.flatten() {
            let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse().ok()) else {
                continue;
            };
            if let Some((ppid, state)) = parent_and_state(pid) {
                if !matches!(state, 'Z' | 'X') {
                    parent.push((pid, ppid));
                }
            }
        }
    }
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        let p = found[i];
        found.extend(parent.iter().filter(|(_, pp)| *pp == p).map(|(c, _)| *c));
        i += 1;
    }
    found.retain(|p| alive(*p));
    found
}

/// The file name of `argv[0]` (`comm` is cut at 15 bytes), else `comm`.
pub fn process_name(pid: u32) -> String {
    let from_cmdline = std::fs::read(format!("/proc/{pid}/cmdline"))
        .ok()
        .and_then(|c| {
            let first = c.split(|b| *b == 0).next()?.to_vec();
            let first = String::from_utf8(first).ok()?;
            Some(
                Path::new(&first)
                    .file_name()?
                    .to_string_lossy()
                    .into_owned(),
            )
        })
        .filter(|n| !n.is_empty());
    from_cmdline.unwrap_or_else(|| {
        std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .map(|s| s.trim().to_owned())
            .unwrap_or_else(|_| "?".into())
    })
}

/// Resident memory of some processes, added up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TreeMem {
    /// How many processes.
    pub count: usize,
    pub rss_kib: u64,
    /// `None` when `smaps_rollup` was not readable for one of them.
    pub pss_kib: Option<u64>,
}

impl Default for TreeMem {
    fn default() -> Self {
        TreeMem {
            count: 0,
            rss_kib: 0,
            pss_kib: Some(0),
        }
    }
}

/// Both together.
impl std::ops::Add for TreeMem {
    type Output = TreeMem;

    fn add(self, other: TreeMem) -> TreeMem {
        TreeMem {
            count: self.count + other.count,
            rss_kib: self.rss_kib + other.rss_kib,
            pss_kib: self.pss_kib.zip(other.pss_kib).map(|(a, b)| a + b),
        }
    }
}

/// RSS and PSS of `root`'s tree ([`tree`]), per process name.
pub fn tree_memory(root: u32) -> BTreeMap<String, TreeMem> {
    let mut by_name: BTreeMap<String, TreeMem> = BTreeMap::new();
    let read = |pid: u32, file: &str| std::fs::read_to_string(format!("/proc/{pid}/{file}"));
    for pid in tree(root) {
        let Some(rss) = read(pid, "status")
            .ok()
            .and_then(|t| number_field(&t, "VmRSS"))
        else {
            continue;
        };
        let pss = read(pid, "smaps_rollup")
            .ok()
            .and_then(|t| number_field(&t, "Pss"));
        let this = TreeMem {
            count: 1,
            rss_kib: rss,
            pss_kib: pss,
        };
        let entry = by_name.entry(process_name(pid)).or_default();
        *entry = *entry + this;
    }
    by_name
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
    fn this_process_is_in_its_own_tree_and_measured() {
        let me = std::process::id();
        assert!(alive(me));
        assert_eq!(tree(me)[0], me);
        let by_name = tree_memory(me);
        let total = by_name.values().fold(TreeMem::default(), |a, m| a + *m);
        assert!(total.count >= 1 && total.rss_kib > 0, "{by_name:?}");
    }

    #[test]
    fn reads_own_process() {
        cpu_time(std::process::id()).unwrap();
        let snap = MemSnapshot::read(std::process::id()).unwrap();
        assert!(snap.rss_kib > 0 && snap.threads >= 1);
    }
}
