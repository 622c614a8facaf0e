//! What a `run_command` line really runs, for the workspace policy's
//! command rules.
//!
//! A rule such as `rm *` written against the raw text is dodged by
//! `/bin/rm`, `command rm`, `env rm`, `FOO=1 rm`, `"rm"` or `sh -c 'rm …'`.
//! So a simple command is parsed with shell quoting rules (`shlex`),
//! leading variable assignments and known wrappers (`env`, `command`,
//! `exec`, `nohup`, `nice`, `timeout`, `stdbuf`, `busybox`, `sh -c`, …) are
//! peeled off, and the program is reduced to its name. Rules then match
//! `name arg arg …`. Anything that is not one simple command (pipes,
//! chains, substitutions, redirections, unbalanced quotes) has no
//! normalised form: the policy asks.

/// A simple command with its program reduced to a name.
#[derive(Debug, PartialEq, Eq)]
pub struct Normalised {
    /// `name arg arg …`, arguments unquoted and joined with single spaces.
    pub text: String,
    /// False when some program on the way was named by a path outside the
    /// system's binary directories (`./git` is the workspace's own script,
    /// not the `git` an allow rule means).
    pub system_program: bool,
}

/// Shell characters that make a line more than one simple command.
const COMPOUND: &[char] = &[';', '&', '|', '$', '`', '(', ')', '<', '>', '\n', '\r'];

/// Directories whose programs are the system's own.
const SYSTEM_BIN_DIRS: &[&str] = &[
    "/bin",
    "/sbin",
    "/usr/bin",
    "/usr/sbin",
    "/usr/local/bin",
    "/usr/local/sbin",
];

/// How many `sh -c` layers are unwrapped before giving up (and asking).
const MAX_DEPTH: usize = 4;

/// The simple command `line` runs, or `None` when it is not one.
pub fn normalise(line: &str) -> Option<Normalised> {
    normalise_at(line, 0)
}

/// The segments of a compound line, split at `;`, `&`, `|`, newlines,
/// parentheses and backquotes, each normalised where it can be: a deny rule
/// is checked against every one, so `ls && rm -rf x` and `echo $(rm x)` are
/// caught by `rm *`.
pub fn segments(line: &str) -> Vec<Normalised> {
    line.split([';', '&', '|', '\n', '\r', '(', ')', '`'])
        .filter_map(|segment| normalise(segment.trim()))
        .collect()
}

fn normalise_at(line: &str, depth: usize) -> Option<Normalised> {
    if depth > MAX_DEPTH || line.contains(COMPOUND) {
        return None;
    }
    let tokens = shlex::split(line)?;
    let mut rest: &[String] = &tokens;
    let mut system_program = true;
    loop {
        rest = skip_assignments(rest);
        let (program, args) = rest.split_first()?;
        let (name, system) = program_name(program);
        system_program &= system;
        let inner = match name {
            "env" => env_command(args)?,
            "command" | "builtin" | "nohup" | "setsid" | "time" => skip_flags(args, &[]),
            "exec" => skip_flags(args, &["-a"]),
            "nice" => skip_flags(args, &["-n", "--adjustment"]),
            "ionice" => skip_flags(args, &["-c", "-n", "-p", "--class", "--classdata"]),
            "stdbuf" => skip_flags(args, &["-i", "-o", "-e", "--input", "--output", "--error"]),
            "timeout" => {
                let after = skip_flags(args, &["-s", "-k", "--signal", "--kill-after"]);
                after.get(1..)?
            }
            "busybox" => args,
            "sh" | "bash" | "dash" | "zsh" | "ksh" | "ash" => {
                if let Some(script) = shell_dash_c(args) {
                    let inner = normalise_at(script, depth + 1)?;
                    return Some(Normalised {
                        text: inner.text,
                        system_program: system_program && inner.system_program,
                    });
                }
                break;
            }
            _ => break,
        };
        rest = inner;
    }
    let (program, args) = rest.split_first()?;
    let (name, system) = program_name(program);
    let mut text = name.to_owned();
    for arg in args {
        text.push(' ');
        text.push_str(arg);
    }
    Some(Normalised {
        text,
        system_program: system_program && system,
    })
}

/// The program's name, and whether it is a bare name (found on the
/// sandbox's `PATH`) or a path into the system's binary directories.
fn program_name(program: &str) -> (&str, bool) {
    match program.rsplit_once('/') {
        None => (program, true),
        Some((dir, name)) => {
            let dir = if dir.is_empty() { "/" } else { dir };
            (name, SYSTEM_BIN_DIRS.contains(&dir))
        }
    }
}

/// Leading `NAME=value` words.
fn skip_assignments(tokens: &[String]) -> &[String] {
    let count = tokens.iter().take_while(|t| is_assignment(t)).count();
    &tokens[count..]
}

fn is_assignment(token: &str) -> bool {
    token.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// Skips a wrapper's options: `--` ends them, and each option named in
/// `with_value` takes the next word (unless written `-nVALUE`/`--opt=VALUE`).
fn skip_flags<'a>(args: &'a [String], with_value: &[&str]) -> &'a [String] {
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        if arg == "--" {
            return &args[i + 1..];
        }
        if !arg.starts_with('-') || arg == "-" {
            break;
        }
        i += if with_value.contains(&arg.as_str()) {
            2
        } else {
            1
        };
    }
    args.get(i..).unwrap_or(&[])
}

/// `env`'s options and assignments; `-S STRING` carries a whole command
/// line, which is not unwrapped (`None`: ask).
fn env_command(args: &[String]) -> Option<&[String]> {
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        match arg.as_str() {
            "--" => {
                i += 1;
                break;
            }
            "-u" | "--unset" | "-C" | "--chdir" => i += 2,
            a if a.starts_with("-S") || a.starts_with("--split-string") => return None,
            a if a.starts_with('-') && a != "-" => i += 1,
            a if is_assignment(a) => i += 1,
            _ => break,
        }
    }
    Some(skip_assignments(args.get(i..).unwrap_or(&[])))
}

/// The script of `sh -c SCRIPT`, also when `c` is combined with other
/// single-letter options (`-ec`, `-lc`).
fn shell_dash_c(args: &[String]) -> Option<&str> {
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        if arg == "--" || !arg.starts_with('-') {
            return None;
        }
        if !arg.starts_with("--") && arg[1..].contains('c') {
            return args.get(i + 1).map(String::as_str);
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrappers_and_spellings_reduce_to_the_program() {
        let cases = [
            ("rm -rf build", "rm -rf build", true),
            ("/bin/rm -rf build", "rm -rf build", true),
            ("/usr/bin/rm x", "rm x", true),
            ("command rm x", "rm x", true),
            ("command -p rm x", "rm x", true),
            ("env rm x", "rm x", true),
            ("env -i FOO=1 rm x", "rm x", true),
            ("env -u HOME -- rm x", "rm x", true),
            ("FOO=1 BAR=2 rm x", "rm x", true),
            ("\"rm\" x", "rm x", true),
            ("\\rm x", "rm x", true),
            ("'r''m' x", "rm x", true),
            ("exec -a name rm x", "rm x", true),
            ("nohup nice -n 5 rm x", "rm x", true),
            ("timeout -s KILL 5 rm x", "rm x", true),
            ("stdbuf -o L rm x", "rm x", true),
            ("busybox rm x", "rm x", true),
            ("sh -c 'rm -rf build'", "rm -rf build", true),
            ("bash -ec \"env /bin/rm x\"", "rm x", true),
            ("git status --short", "git status --short", true),
            ("git   status", "git status", true),
            ("./git status", "git status", false),
            ("/home/u/bin/rm x", "rm x", false),
            ("sh -c './rm x'", "rm x", false),
            ("sh script.sh", "sh script.sh", true),
        ];
        for (line, text, system) in cases {
            let got = normalise(line).unwrap_or_else(|| panic!("{line:?} did not parse"));
            assert_eq!(
                (got.text.as_str(), got.system_program),
                (text, system),
                "{line:?}"
            );
        }
    }

    #[test]
    fn what_is_not_one_simple_command_has_no_form() {
        for line in [
            "ls; rm x",
            "ls && rm x",
            "echo $(rm x)",
            "echo `rm x`",
            "rm x > /dev/null",
            "cat < x",
            "ls | sh",
            "echo 'unbalanced",
            "sh -c 'ls; rm x'",
            "env -S 'rm x'",
            "",
            "FOO=1",
            "timeout",
            "sh -c 'sh -c \"sh -c \\\"sh -c \\\\\\\"sh -c rm\\\\\\\"\\\"\"'",
        ] {
            assert_eq!(normalise(line), None, "{line:?}");
        }
    }

    #[test]
    fn segments_of_a_compound_line() {
        let texts: Vec<String> =
            segments("ls -la && /bin/rm -rf x; (env rm y) | cat; echo $(rm z) `rm w`")
                .into_iter()
                .map(|n| n.text)
                .collect();
        assert_eq!(texts, ["ls -la", "rm -rf x", "rm y", "cat", "rm z", "rm w"]);
    }
}
