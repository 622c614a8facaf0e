//! Basic Auth (docs/rfc/security.md, layer 4): user `agent`, the spawn
//! password; scheme case-insensitive, one space then any spaces/tabs around
//! the token, padded standard base64.

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE};
use base64::Engine as _;
use proptest::prelude::*;
use zeroize::Zeroizing;

use super::config;
use crate::credentials::{Credentials, BASIC_USER};

/// Longest password whose `agent:<password>` still fits the 1023 decoded
/// bytes `verify` reads (1364 base64 characters).
const LONGEST_PASSWORD_BYTES: usize = 1023 - BASIC_USER.len() - 1;

fn creds(password: &str) -> Credentials {
    Credentials::from_password(&Zeroizing::new(password.to_owned()))
}

/// Passwords: random Unicode (spaces, colons, NUL included), and long ones
/// up to the limit (repeated pieces: generating 1000 random characters per
/// case would make the bounded run slow).
fn password() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => any::<String>(),
        2 => "[ -~]{32,64}",
        1 => ("[\\x00-\\x7f]{1,16}", 1usize..80).prop_map(|(s, n)| s.repeat(n)),
        1 => ("[a-z:\u{e9}\u{1f600}]{1,8}", 1usize..150).prop_map(|(s, n)| s.repeat(n)),
    ]
    .prop_map(|mut p| {
        let mut end = p.len().min(LONGEST_PASSWORD_BYTES);
        while !p.is_char_boundary(end) {
            end -= 1;
        }
        p.truncate(end);
        p
    })
}

/// `Basic` in any letter case.
fn scheme() -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<bool>(), 5).prop_map(|upper| {
        "basic"
            .chars()
            .zip(upper)
            .map(|(c, up)| if up { c.to_ascii_uppercase() } else { c })
            .collect()
    })
}

/// A header the rules accept for `user:password`.
fn header(scheme: &str, pad_before: &str, user_pass: &str, pad_after: &str) -> Vec<u8> {
    format!(
        "{scheme} {pad_before}{}{pad_after}",
        STANDARD.encode(user_pass)
    )
    .into_bytes()
}

proptest! {
    #![proptest_config(config(256))]

    /// Arbitrary bytes never panic and never pass.
    #[test]
    fn arbitrary_headers_are_refused(
        password in password(),
        raw in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..2000),
            "(?i)basic[ \t]{0,3}[A-Za-z0-9+/=_ \t-]{0,80}".prop_map(String::into_bytes),
        ],
    ) {
        let c = creds(&password);
        let right = format!("{BASIC_USER}:{password}");
        let decodes_right = std::str::from_utf8(&raw).ok()
            .and_then(|s| s.get(6..))
            .and_then(|t| STANDARD.decode(t.trim_matches([' ', '\t'])).ok())
            .is_some_and(|d| d == right.as_bytes());
        if !decodes_right {
            prop_assert!(!c.verify(&raw), "{:?}", String::from_utf8_lossy(&raw));
        }
    }

    /// The right password always passes, whatever the scheme's case and
    /// the spaces/tabs around the token (after the one required space).
    #[test]
    fn right_password_always_passes(
        password in password(),
        scheme in scheme(),
        pad_before in "[ \t]{0,3}",
        pad_after in "[ \t]{0,3}",
    ) {
        let c = creds(&password);
        let h = header(&scheme, &pad_before, &format!("{BASIC_USER}:{password}"), &pad_after);
        prop_assert!(c.verify(&h));
    }

    /// A wrong password or user never passes, however it is framed, and
    /// neither does the right one without the required framing: no space
    /// (or a tab) after the scheme, a missing `=`, URL-safe base64, another
    /// scheme.
    #[test]
    fn wrong_credentials_never_pass(
        password in password(),
        other in password(),
        user in prop_oneof![Just(BASIC_USER.to_owned()), "[ -~]{0,8}"],
        scheme in scheme(),
        pad_before in "[ \t]{0,3}",
        pad_after in "[ \t]{0,3}",
    ) {
        let c = creds(&password);
        let right = format!("{BASIC_USER}:{password}");
        let given = format!("{user}:{other}");
        if given != right {
            prop_assert!(!c.verify(&header(&scheme, &pad_before, &given, &pad_after)));
        }
        let token = STANDARD.encode(&right);
        let mut framings = vec![
            format!("{scheme}{token}"),
            format!("{scheme}\t{token}"),
            format!("Bearer {token}"),
            format!("Basicx {token}"),
            format!("{scheme} {right}"),
        ];
        let unpadded = STANDARD_NO_PAD.encode(&right);
        if unpadded != token {
            framings.push(format!("{scheme} {unpadded}"));
        }
        let url_safe = URL_SAFE.encode(&right);
        if url_safe != token {
            framings.push(format!("{scheme} {url_safe}"));
        }
        for h in framings {
            prop_assert!(!c.verify(h.as_bytes()), "{:?}", h);
        }
    }

    /// Changing any one byte of the right token makes it fail: no second
    /// spelling of the same credential (non-zero trailing bits are refused).
    #[test]
    fn any_token_byte_changed_fails(
        password in password(),
        at in any::<usize>(),
        byte in any::<u8>(),
    ) {
        let c = creds(&password);
        let token = STANDARD.encode(format!("{BASIC_USER}:{password}"));
        let mut bytes = token.into_bytes();
        let i = at % bytes.len();
        if bytes[i] != byte && !matches!(byte, b' ' | b'\t') {
            bytes[i] = byte;
            let mut h = b"Basic ".to_vec();
            h.extend_from_slice(&bytes);
            prop_assert!(!c.verify(&h), "{:?}", String::from_utf8_lossy(&h));
        }
    }

    /// With a second password (the CLI's), exactly the two pass.
    #[test]
    fn two_passwords_pass_and_nothing_else(
        first in password(),
        second in password(),
        third in password(),
    ) {
        let mut c = creds(&first);
        c.add_password(&Zeroizing::new(second.clone()));
        for p in [&first, &second, &third] {
            let h = header("Basic", "", &format!("{BASIC_USER}:{p}"), "");
            prop_assert_eq!(c.verify(&h), *p == first || *p == second);
        }
    }
}

/// Passwords longer than `verify`'s decode buffer never pass (the header is
/// refused unread). The handshake accepts them, so a parent must keep its
/// password under ~1 KiB; the generated ones are 43 characters.
#[test]
fn longest_password_boundary() {
    let fits = "p".repeat(LONGEST_PASSWORD_BYTES);
    assert!(creds(&fits).verify(&header("Basic", "", &format!("agent:{fits}"), "")));
    let long = "p".repeat(LONGEST_PASSWORD_BYTES + 1);
    assert!(!creds(&long).verify(&header("Basic", "", &format!("agent:{long}"), "")));
}
