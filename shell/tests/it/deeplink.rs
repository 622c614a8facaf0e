//! The `agent-host://` scheme: valid routes, refusals and the `.desktop`
//! file.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use agent_shell::deeplink::{desktop_entry, install_desktop_entry, parse, Link, LinkError};

struct Fixture {
    _dir: tempfile::TempDir,
    file: PathBuf,
    dir: PathBuf,
}

fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("work space+1");
    fs::create_dir(&dir).unwrap();
    let file = dir.join("notes 100%.md");
    fs::write(&file, "# hi\n").unwrap();
    Fixture {
        _dir: tmp,
        file,
        dir,
    }
}

/// Percent-encodes everything but unreserved characters and `/`.
fn enc(path: &Path) -> String {
    let mut out = String::new();
    for b in path.to_str().unwrap().bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

const SESSION: &str = "ses_0123456789abcdef0123456789abcdef";

#[test]
fn valid_routes() {
    let f = fixture();
    assert_eq!(
        parse(&format!("agent-host://open?path={}", enc(&f.file))).unwrap(),
        Link::Open(f.file.clone())
    );
    assert_eq!(
        parse(&format!("agent-host://open/?path={}", enc(&f.file))).unwrap(),
        Link::Open(f.file.clone())
    );
    assert_eq!(
        parse(&format!("agent-host://workspace?path={}", enc(&f.dir))).unwrap(),
        Link::Workspace(f.dir.clone())
    );
    assert_eq!(
        parse(&format!("agent-host://session/{SESSION}")).unwrap(),
        Link::Session(SESSION.into())
    );
    // `+` is a literal plus, not a space.
    let plus = f.dir.parent().unwrap().join("a+b.txt");
    fs::write(&plus, "").unwrap();
    let raw_plus = format!("agent-host://open?path={}", plus.to_str().unwrap());
    assert_eq!(parse(&raw_plus).unwrap(), Link::Open(plus));
}

#[track_caller]
fn refused(link: &str, check: impl Fn(&LinkError) -> bool) {
    match parse(link) {
        Ok(l) => panic!("{link:?} parsed as {l:?}"),
        Err(e) => assert!(check(&e), "{link:?} refused with unexpected {e:?}"),
    }
}

#[test]
fn refusals() {
    let f = fixture();
    let file = enc(&f.file);
    let dir = enc(&f.dir);

    // Paths.
    refused("agent-host://open?path=notes.md", |e| {
        matches!(e, LinkError::NotAbsolute)
    });
    refused("agent-host://open?path=..%2Fetc%2Fpasswd", |e| {
        matches!(e, LinkError::NotAbsolute)
    });
    refused(&format!("agent-host://open?path={dir}/../x"), |e| {
        matches!(e, LinkError::DotDot)
    });
    refused(&format!("agent-host://open?path={dir}/missing.md"), |e| {
        matches!(e, LinkError::Missing(_))
    });
    refused(&format!("agent-host://open?path={dir}"), |e| {
        matches!(e, LinkError::NotAFile)
    });
    refused(&format!("agent-host://workspace?path={file}"), |e| {
        matches!(e, LinkError::NotADirectory)
    });
    refused(&format!("agent-host://open?path={file}%00.md"), |e| {
        matches!(e, LinkError::Nul)
    });
    refused("agent-host://open?path=/tmp/%zz", |e| {
        matches!(e, LinkError::BadEncoding)
    });
    refused("agent-host://open?path=/tmp/%4", |e| {
        matches!(e, LinkError::BadEncoding)
    });

    // Sessions.
    for bad in [
        "ses_0123",
        "ses_0123456789ABCDEF0123456789ABCDEF",
        "ses_0123456789abcdef0123456789abcdef0",
        "ses_0123456789abcdeg0123456789abcdef",
        "xyz_0123456789abcdef0123456789abcdef",
        "ses_0123456789abcdef0123456789abcdef/more",
        "",
    ] {
        refused(&format!("agent-host://session/{bad}"), |e| {
            matches!(e, LinkError::BadSessionId)
        });
    }
    refused("agent-host://session", |e| {
        matches!(e, LinkError::UnknownRoute)
    });
    refused(&format!("agent-host://session/{SESSION}?x=1"), |e| {
        matches!(e, LinkError::BadQuery(_))
    });

    // Unknown routes.
    for link in [
        "agent-host://settings",
        "agent-host://evil.example/open?path=/etc/passwd",
        "agent-host://",
        &format!("agent-host://open/extra?path={file}"),
        &format!("agent-host://workspace/x?path={dir}"),
    ] {
        refused(link, |e| matches!(e, LinkError::UnknownRoute));
    }

    // Queries.
    for link in [
        "agent-host://open".to_string(),
        "agent-host://open?".to_string(),
        "agent-host://open?path=".to_string(),
        format!("agent-host://open?path={file}&path={file}"),
        format!("agent-host://open?path={file}&x=1"),
        format!("agent-host://open?x=1&path={file}"),
        format!("agent-host://open?file={file}"),
        format!("agent-host://open?path={file};x=1"),
    ] {
        refused(&link, |e| matches!(e, LinkError::BadQuery(_)));
    }

    // URL structure.
    refused(&format!("agent-host://open?path={file}#frag"), |e| {
        matches!(e, LinkError::Fragment)
    });
    refused(&format!("agent-host://session/{SESSION}#"), |e| {
        matches!(e, LinkError::Fragment)
    });
    refused(&format!("agent-host://user@open?path={file}"), |e| {
        matches!(e, LinkError::UserInfo)
    });
    refused(&format!("agent-host://user:pw@open?path={file}"), |e| {
        matches!(e, LinkError::UserInfo)
    });
    refused(&format!("agent-host://open:80?path={file}"), |e| {
        matches!(e, LinkError::Port)
    });
    for link in [
        format!("https://open?path={file}"),
        format!("file://{file}"),
        format!("agent-hostx://open?path={file}"),
        format!("agent-host:open?path={file}"),
        format!("agent-host:/open?path={file}"),
        "open".to_string(),
    ] {
        refused(&link, |e| matches!(e, LinkError::WrongScheme));
    }
    for link in [
        format!(" agent-host://open?path={file}"),
        format!("agent-host://open?path={file}\n"),
        format!("agent-host://open?path=/{}", f.file.to_str().unwrap()),
        "agent-host://session/ses_0123456789abcdef\t0123456789abcdef".to_string(),
        "agent-host://open?path=/tmp/é".to_string(),
    ] {
        refused(&link, |e| {
            matches!(e, LinkError::InvalidCharacter | LinkError::Missing(_))
        });
    }
    refused(
        &format!("agent-host://open?path=/{}", "a".repeat(9000)),
        |e| matches!(e, LinkError::TooLong),
    );
}

/// Only the scheme is case-insensitive (RFC 3986 §3.1); route names, the
/// `path` parameter and session ids are exact, lowercase.
#[test]
fn only_the_scheme_ignores_case() {
    let f = fixture();
    let file = enc(&f.file);
    let dir = enc(&f.dir);
    let accepted = [
        (
            format!("agent-host://open?path={file}"),
            Link::Open(f.file.clone()),
        ),
        (
            format!("AGENT-HOST://open?path={file}"),
            Link::Open(f.file.clone()),
        ),
        (
            format!("Agent-Host://workspace?path={dir}"),
            Link::Workspace(f.dir.clone()),
        ),
        (
            format!("aGeNt-HoSt://session/{SESSION}"),
            Link::Session(SESSION.into()),
        ),
    ];
    for (link, want) in accepted {
        assert_eq!(
            parse(&link).unwrap_or_else(|e| panic!("{link:?}: {e:?}")),
            want
        );
    }
    let session_upper = SESSION.to_ascii_uppercase();
    let routes = [
        format!("AGENT-HOST://OPEN?path={file}"),
        format!("agent-host://Open?path={file}"),
        format!("agent-host://oPEN/?path={file}"),
        format!("agent-host://WORKSPACE?path={dir}"),
        format!("agent-host://Workspace?path={dir}"),
        format!("agent-host://SESSION/{SESSION}"),
        format!("agent-host://Session/{SESSION}"),
    ];
    for link in &routes {
        refused(link, |e| matches!(e, LinkError::UnknownRoute));
    }
    for link in [
        format!("agent-host://open?PATH={file}"),
        format!("agent-host://open?Path={file}"),
        format!("agent-host://workspace?PATH={dir}"),
    ] {
        refused(&link, |e| matches!(e, LinkError::BadQuery(_)));
    }
    for link in [
        format!("agent-host://session/{session_upper}"),
        format!("agent-host://session/SES_{}", &SESSION[4..]),
    ] {
        refused(&link, |e| matches!(e, LinkError::BadSessionId));
    }
}

/// The user is asked with the path in front of them, so it must read as
/// what it is: no control characters, no bidirectional overrides, UTF-8.
#[test]
fn paths_the_user_cannot_read_are_refused() {
    let f = fixture();
    let dir = enc(&f.dir);
    for escape in [
        "%0A",
        "%1B",
        "%7F",
        "%C2%85",
        "%E2%80%AE",
        "%E2%81%A6",
        "%E2%80%8F",
        "%FF",
        "%C3",
    ] {
        refused(
            &format!("agent-host://workspace?path={dir}/x{escape}y"),
            |e| matches!(e, LinkError::Unprintable),
        );
    }
    // Other non-ASCII text is fine (here: a missing file, not a refusal of
    // the characters).
    refused(&format!("agent-host://open?path={dir}/caf%C3%A9.md"), |e| {
        matches!(e, LinkError::Missing(_))
    });
}

#[test]
fn desktop_entry_content() {
    let entry = desktop_entry(Path::new("/opt/agent host/bin/agent-shell"));
    let lines: Vec<&str> = entry.lines().collect();
    assert_eq!(lines[0], "[Desktop Entry]");
    for want in [
        "Type=Application",
        "Name=Agent Host",
        "Exec=\"/opt/agent host/bin/agent-shell\" %U",
        "MimeType=x-scheme-handler/agent-host;",
        "NoDisplay=false",
        "Terminal=false",
    ] {
        assert!(lines.contains(&want), "missing {want:?} in\n{entry}");
    }
    assert!(desktop_entry(Path::new("/usr/bin/agent-shell"))
        .contains("\nExec=/usr/bin/agent-shell %U\n"));
    // Reserved characters: `$` escaped inside quotes, `%` doubled, and the
    // backslash escaped again at the string level.
    assert!(desktop_entry(Path::new("/x/a$b%c")).contains("\nExec=\"/x/a\\\\$b%%c\" %U\n"));
}

#[test]
fn install_writes_the_entry() {
    let data_home = tempfile::tempdir().unwrap();
    let exec = Path::new("/usr/bin/agent-shell");
    let path = install_desktop_entry(exec, data_home.path()).unwrap();
    assert_eq!(
        path,
        data_home.path().join("applications/agent-host.desktop")
    );
    assert_eq!(fs::read_to_string(&path).unwrap(), desktop_entry(exec));
    let mode = fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o644, "mode {mode:o}");

    // Reinstalling replaces it and leaves no temp files behind.
    let other = Path::new("/opt/agent-shell");
    install_desktop_entry(other, data_home.path()).unwrap();
    assert_eq!(fs::read_to_string(&path).unwrap(), desktop_entry(other));
    let names: Vec<_> = fs::read_dir(data_home.path().join("applications"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec!["agent-host.desktop"]);

    assert!(install_desktop_entry(Path::new("relative/bin"), data_home.path()).is_err());
    assert!(install_desktop_entry(Path::new("/bad\nname"), data_home.path()).is_err());
}
