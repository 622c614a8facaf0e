//! Processes as `/proc` and `kill(2)` see them.

/// `(state, pgrp)` of `pid` from `/proc/<pid>/stat`; `None` when it is
/// gone. Fields are counted from the last `)`: the command name may hold
/// spaces and parentheses.
pub fn proc_stat(pid: u32) -> Option<(char, u32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_ascii_whitespace();
    let state = fields.next()?.chars().next()?;
    let _ppid = fields.next()?;
    Some((state, fields.next()?.parse().ok()?))
}

/// Listed in `/proc` and not a zombie: PID 1 here may never reap orphans,
/// so a zombie (`Z`, or `X` on its way out) counts as gone.
pub fn alive(pid: u32) -> bool {
    proc_stat(pid).is_some_and(|(state, _)| !matches!(state, 'Z' | 'X'))
}

/// Every pid listed in `/proc` now.
pub fn pids() -> impl Iterator<Item = u32> {
    std::fs::read_dir("/proc")
        .expect("/proc")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
}

/// The live (non-zombie) processes whose process group is `pgid`.
pub fn group_members(pgid: u32) -> Vec<u32> {
    pids()
        .filter(|&pid| {
            proc_stat(pid).is_some_and(|(state, pgrp)| pgrp == pgid && !matches!(state, 'Z' | 'X'))
        })
        .collect()
}

/// Sends `signal` to `pid` (never to a group, PID 1, or everyone).
pub fn signal(pid: u32, signal: libc::c_int) {
    let pid = libc::pid_t::try_from(pid).expect("a pid");
    assert!(pid > 1, "refusing to signal pid {pid}");
    // SAFETY: kill has no memory-safety preconditions.
    unsafe {
        libc::kill(pid, signal);
    }
}

/// Runs `f` on a thread whose credentials are uid/gid 65534 (`nobody`),
/// for a peer of another user. The raw syscalls change only that thread
/// (glibc's `setuid` would change every thread of the process), so the
/// rest of the test stays root. `None` when not running as root.
pub fn as_nobody<T: Send>(f: impl FnOnce() -> T + Send) -> Option<T> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("not root: cannot take another uid; skipped");
        return None;
    }
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                // SAFETY: plain syscalls on this thread's credentials.
                unsafe {
                    let no_groups = std::ptr::null::<libc::gid_t>();
                    assert_eq!(libc::syscall(libc::SYS_setgroups, 0, no_groups), 0);
                    assert_eq!(libc::syscall(libc::SYS_setresgid, 65534, 65534, 65534), 0);
                    assert_eq!(libc::syscall(libc::SYS_setresuid, 65534, 65534, 65534), 0);
                    assert_eq!(libc::syscall(libc::SYS_geteuid), 65534);
                }
                f()
            })
            .join()
            .expect("the nobody thread")
    })
    .into()
}
