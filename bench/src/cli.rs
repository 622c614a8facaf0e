//! Command-line options of `host-bench`.
//!
//! Hand-rolled on purpose: six flags do not justify pulling an argument
//! parser into the benchmark's build, and every value is range-checked so a
//! typo cannot turn into an hour-long or zero-length run.

use std::time::Duration;

use crate::error::{Error, Result};

/// Usage text printed by `--help` and on a bad flag.
pub const USAGE: &str = "\
usage: host-bench [options]

Benchmarks `agent-host serve` against the bare axum hello-world `bare-hello`
(both looked up next to this executable) and prints a report followed by one
JSON summary line.

options:
  --spawns N          spawn-to-ready samples per server        [default: 30]
  --connections C     concurrent keep-alive connections        [default: 32]
  --seconds D         measured load duration, seconds          [default: 5]
  --warmup W          load warm-up before measuring, seconds   [default: 1]
  --rounds R          alternating host/bare load rounds; the
                      median round of each counts              [default: 5]
  --client-threads T  tokio worker threads of the load client  [default: 1]
  --only-bare         measure bare-hello alone (host not needed)
  -h, --help          print this help
";

/// Parsed options.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Spawn-to-ready samples per server.
    pub spawns: usize,
    /// Concurrent load-generator connections.
    pub connections: usize,
    /// Measured load duration.
    pub duration: Duration,
    /// Unmeasured warm-up before the measured window.
    pub warmup: Duration,
    /// Worker threads of the client runtime. One by default so the servers
    /// get the remaining core(s) of a small machine: with 2 cores a second
    /// client thread would compete with the server under test.
    pub client_threads: usize,
    /// Skip everything that needs `agent-host`.
    pub only_bare: bool,
    /// Load rounds per server, alternating host and bare, so a burst of
    /// noise on a small shared machine hits both and the medians compare.
    pub rounds: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            spawns: 30,
            connections: 32,
            duration: Duration::from_secs(5),
            warmup: Duration::from_secs(1),
            client_threads: 1,
            only_bare: false,
            rounds: 5,
        }
    }
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Run the benchmark.
    Run(Options),
    /// Print [`USAGE`] and exit successfully.
    Help,
}

/// Parses the arguments after the program name.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command> {
    let mut opts = Options::default();
    let mut args = args.into_iter();
    while let Some(flag) = args.next() {
        // Accept both `--flag value` and `--flag=value`.
        let (name, inline) = match flag.split_once('=') {
            Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
            None => (flag.clone(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| Error::new(format!("{name} needs a value")))
        };
        match name.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--only-bare" => opts.only_bare = true,
            "--spawns" => opts.spawns = int(&name, &value()?, 1, 1000)?,
            "--connections" => opts.connections = int(&name, &value()?, 1, 1024)?,
            "--rounds" => opts.rounds = int(&name, &value()?, 1, 50)?,
            "--client-threads" => opts.client_threads = int(&name, &value()?, 1, 64)?,
            "--seconds" => opts.duration = secs(&name, &value()?, 0.1, 300.0)?,
            "--warmup" => opts.warmup = secs(&name, &value()?, 0.0, 60.0)?,
            _ => return Err(Error::new(format!("unknown option {flag:?}"))),
        }
    }
    Ok(Command::Run(opts))
}

fn int(name: &str, value: &str, min: usize, max: usize) -> Result<usize> {
    match value.parse::<usize>() {
        Ok(v) if (min..=max).contains(&v) => Ok(v),
        _ => Err(Error::new(format!(
            "{name} wants an integer in {min}..={max}, got {value:?}"
        ))),
    }
}

fn secs(name: &str, value: &str, min: f64, max: f64) -> Result<Duration> {
    match value.parse::<f64>() {
        Ok(v) if (min..=max).contains(&v) => Ok(Duration::from_secs_f64(v)),
        _ => Err(Error::new(format!(
            "{name} wants seconds in {min}..={max}, got {value:?}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Command> {
        parse(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn defaults() {
        assert_eq!(run(&[]).unwrap(), Command::Run(Options::default()));
    }

    #[test]
    fn flags_both_forms() {
        let Command::Run(o) = run(&[
            "--spawns",
            "5",
            "--connections=8",
            "--seconds",
            "0.5",
            "--only-bare",
        ])
        .unwrap() else {
            panic!("expected run");
        };
        assert_eq!(o.spawns, 5);
        assert_eq!(o.connections, 8);
        assert_eq!(o.duration, Duration::from_millis(500));
        assert!(o.only_bare);
    }

    #[test]
    fn refuses_bad_values() {
        assert!(run(&["--spawns", "0"]).is_err());
        assert!(run(&["--seconds", "nan"]).is_err());
        assert!(run(&["--connections"]).is_err());
        assert!(run(&["--bogus"]).is_err());
        assert_eq!(run(&["--help"]).unwrap(), Command::Help);
    }
}
