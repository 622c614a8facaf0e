//! Terminal input: yes/no questions for tool approvals, and API keys read
//! with echo off. All reads block, so callers run them on the blocking
//! pool and race them against Ctrl-C.

use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::os::fd::{AsRawFd, RawFd};

use zeroize::Zeroizing;

/// Asks `question` on stderr and reads the answer from the controlling
/// terminal (so a prompt piped on stdin cannot answer by accident), or
/// from stdin when there is no terminal. Only `y`/`yes` approves; EOF and
/// read errors deny.
pub fn confirm(question: &str) -> bool {
    let mut stderr = std::io::stderr().lock();
    let _ = write!(stderr, "{question} [y/N] ");
    let _ = stderr.flush();
    drop(stderr);
    let mut answer = String::new();
    let echoed = match File::open("/dev/tty") {
        Ok(tty) => BufReader::new(tty).read_line(&mut answer).is_ok() && answer.ends_with('\n'),
        Err(_) => {
            let stdin = std::io::stdin();
            let read = stdin.lock().read_line(&mut answer);
            read.is_ok() && answer.ends_with('\n') && stdin.is_terminal()
        }
    };
    let yes = is_yes(&answer);
    if !echoed {
        // Piped or EOF: nobody saw the answer, so show what was decided.
        eprintln!("{}", if yes { "y" } else { "n" });
    }
    yes
}

fn is_yes(answer: &str) -> bool {
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

/// Whether stdin is a terminal (then keys are prompted for, hidden).
pub fn stdin_is_terminal() -> bool {
    std::io::stdin().is_terminal()
}

/// Reads one line from stdin into zeroised memory, without the line end.
pub fn read_secret_line() -> std::io::Result<Zeroizing<String>> {
    let mut line = Zeroizing::new(String::new());
    std::io::stdin().lock().read_line(&mut line)?;
    let trimmed = Zeroizing::new(line.trim_end_matches(['\r', '\n']).to_owned());
    Ok(trimmed)
}

/// Terminal echo switched off for as long as this lives. The saved state
/// is restored on drop, so every path — error, panic, Ctrl-C handled by
/// the caller — gives the user their echo back.
pub struct EchoOff {
    fd: RawFd,
    saved: libc::termios,
}

impl EchoOff {
    /// Turns echo off on stdin, which must be a terminal.
    pub fn stdin() -> std::io::Result<EchoOff> {
        let fd = std::io::stdin().as_raw_fd();
        // SAFETY: termios is plain old data; tcgetattr fills it or fails.
        let mut saved: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: fd is our stdin, `saved` is a valid out-pointer.
        if unsafe { libc::tcgetattr(fd, &mut saved) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        let mut quiet = saved;
        // Keep ECHONL so Enter still moves the cursor to the next line.
        quiet.c_lflag &= !libc::ECHO;
        quiet.c_lflag |= libc::ECHONL;
        // SAFETY: fd is a terminal (tcgetattr succeeded); `quiet` is valid.
        if unsafe { libc::tcsetattr(fd, libc::TCSAFLUSH, &quiet) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(EchoOff { fd, saved })
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        // SAFETY: restores the state read from the same fd in `stdin()`.
        unsafe {
            libc::tcsetattr(self.fd, libc::TCSANOW, &self.saved);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_explicit_yes_approves() {
        for yes in ["y\n", "Y\n", "yes\n", " YES \r\n"] {
            assert!(is_yes(yes), "{yes:?}");
        }
        for no in ["", "\n", "n\n", "no\n", "yess\n", "sure\n"] {
            assert!(!is_yes(no), "{no:?}");
        }
    }
}
