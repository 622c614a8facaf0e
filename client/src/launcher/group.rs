//! The host's process group: the host is spawned as the leader of its own
//! group, so one signal reaches it and everything it started (sandboxed
//! commands included), even children that outlived it.

/// A process group id (the host's pid, since it leads its group).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcessGroup(libc::pid_t);

impl ProcessGroup {
    /// The group led by `pid`. `None` for pids that cannot name a group
    /// (0 and 1 would signal our own group or init, which must never happen).
    pub fn led_by(pid: u32) -> Option<Self> {
        libc::pid_t::try_from(pid)
            .ok()
            .filter(|&pid| pid > 1)
            .map(Self)
    }

    /// Sends `signal` to every process in the group. Errors (the group is
    /// already empty) are ignored: the goal is "the group is gone".
    pub fn signal(self, signal: libc::c_int) {
        // SAFETY: kill has no memory-safety preconditions; the negative pid
        // addresses exactly the group we created (checked > 1 above).
        unsafe {
            libc::kill(-self.0, signal);
        }
    }

    /// True when no live process is left in the group. Zombies count as
    /// gone: they hold no resources but a pid, and an orphaned grandchild's
    /// zombie may never be reaped where pid 1 is not a real init.
    pub fn is_empty(self) -> bool {
        // SAFETY: signal 0 only checks for existence and permission.
        let rc = unsafe { libc::kill(-self.0, 0) };
        if rc != 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH) {
            return true;
        }
        !self.has_live_member()
    }

    /// Whether `/proc` lists a member of the group that is not a zombie.
    /// Without a readable `/proc` every member is assumed alive.
    fn has_live_member(self) -> bool {
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return true;
        };
        entries
            .filter_map(Result::ok)
            .filter(|e| {
                e.file_name()
                    .to_str()
                    .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
            })
            .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
            .filter_map(|stat| parse_stat(&stat))
            .any(|(state, pgrp)| pgrp == self.0 && !matches!(state, 'Z' | 'X'))
    }
}

/// State and process group from a `/proc/<pid>/stat` line. The command name
/// may contain spaces and parentheses, so fields are counted from the last
/// `)`: state, ppid, pgrp.
pub fn parse_stat(stat: &str) -> Option<(char, libc::pid_t)> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_ascii_whitespace();
    let state = fields.next()?.chars().next()?;
    let _ppid = fields.next()?;
    let pgrp = fields.next()?.parse().ok()?;
    Some((state, pgrp))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_pids_that_would_signal_us_or_init() {
        assert_eq!(ProcessGroup::led_by(0), None);
        assert_eq!(ProcessGroup::led_by(1), None);
        assert_eq!(ProcessGroup::led_by(u32::MAX), None);
        assert!(ProcessGroup::led_by(2).is_some());
    }

    #[test]
    fn parses_stat_with_awkward_names() {
        assert_eq!(parse_stat("42 (a) b (c)) S 1 42 42 0 -1"), Some(('S', 42)));
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn a_group_of_its_own_is_signalled_as_a_whole() {
        use std::os::unix::process::CommandExt;
        let mut child = std::process::Command::new("sh")
            .args(["-c", "sleep 30 & sleep 30"])
            .process_group(0)
            .spawn()
            .expect("sh");
        let group = ProcessGroup::led_by(child.id()).expect("pid");
        assert!(!group.is_empty());
        group.signal(libc::SIGKILL);
        child.wait().expect("wait");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while !group.is_empty() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert!(group.is_empty());
    }
}
