//! HTTP Basic credentials for the host, checked in constant time.
//!
//! Only SHA-256 digests of `agent:<password>` are kept, never the password.
//! Hashing the whole `user:password` and comparing fixed-size digests means a
//! wrong user, a wrong length and a wrong prefix all take the same path, so
//! timing reveals nothing about the secret.

use base64::Engine as _;
use sha2::{Digest, Sha256};
use subtle::{Choice, ConstantTimeEq};
use zeroize::{Zeroize, Zeroizing};

/// The only Basic Auth user name the host accepts.
pub const BASIC_USER: &str = "agent";

/// Longest decoded `user:password` accepted; longer headers are refused
/// without allocating.
const MAX_DECODED: usize = 1024;

/// Accepted credentials, as digests.
#[derive(Clone)]
pub struct Credentials {
    digests: Vec<[u8; 32]>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Digests are password-equivalent for an offline guesser: never print.
        f.debug_struct("Credentials")
            .field("count", &self.digests.len())
            .finish()
    }
}

fn digest_for(password: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(BASIC_USER.as_bytes());
    hasher.update(b":");
    hasher.update(password.as_bytes());
    hasher.finalize().into()
}

impl Credentials {
    /// Credentials accepting `agent:<password>`. The caller owns (and zeroises)
    /// the password; only its digest is stored.
    pub fn from_password(password: &Zeroizing<String>) -> Self {
        Self {
            digests: vec![digest_for(password)],
        }
    }

    /// Accepts a second password as well (e.g. the CLI's).
    pub fn add_password(&mut self, password: &Zeroizing<String>) {
        self.digests.push(digest_for(password));
    }

    /// Verifies an `Authorization` header value of the form
    /// `Basic <base64(user:password)>` (scheme case-insensitive).
    ///
    /// Every stored digest is compared, without short-circuiting, using
    /// constant-time equality.
    pub fn verify(&self, authorization: &[u8]) -> bool {
        let Some(encoded) = basic_payload(authorization) else {
            return false;
        };
        // base64 decodes at most 3 bytes per 4 input bytes.
        if encoded.len() > MAX_DECODED / 3 * 4 {
            return false;
        }
        let mut buf = [0u8; MAX_DECODED];
        let decoded = base64::engine::general_purpose::STANDARD.decode_slice(encoded, &mut buf);
        let Ok(len) = decoded else {
            // A failed decode may have written part of the buffer.
            buf.zeroize();
            return false;
        };
        let mut hash: [u8; 32] = Sha256::digest(&buf[..len]).into();
        // Only the decoded prefix held the password; wiping just that keeps
        // the hot path cheap (volatile writes are byte by byte).
        buf[..len].zeroize();
        let mut ok = Choice::from(0);
        for digest in &self.digests {
            ok |= digest.ct_eq(&hash);
        }
        hash.zeroize();
        ok.into()
    }
}

/// The base64 token after a case-insensitive `Basic` scheme, or `None`.
fn basic_payload(value: &[u8]) -> Option<&[u8]> {
    const SCHEME: &[u8] = b"basic";
    if value.len() <= SCHEME.len() || !value[..SCHEME.len()].eq_ignore_ascii_case(SCHEME) {
        return None;
    }
    let rest = &value[SCHEME.len()..];
    // At least one space between scheme and token; tolerate extra spaces.
    if rest.first() != Some(&b' ') {
        return None;
    }
    let token = trim_spaces(rest);
    if token.is_empty() {
        return None;
    }
    Some(token)
}

fn trim_spaces(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', tail @ ..] = s {
        s = tail;
    }
    while let [head @ .., b' ' | b'\t'] = s {
        s = head;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(user_pass: &str) -> Vec<u8> {
        let enc = base64::engine::general_purpose::STANDARD.encode(user_pass);
        format!("Basic {enc}").into_bytes()
    }

    fn creds() -> Credentials {
        Credentials::from_password(&Zeroizing::new("s3cret-password".to_owned()))
    }

    #[test]
    fn accepts_right_password() {
        let c = creds();
        assert!(c.verify(&header("agent:s3cret-password")));
    }

    #[test]
    fn scheme_is_case_insensitive() {
        let c = creds();
        let enc = base64::engine::general_purpose::STANDARD.encode("agent:s3cret-password");
        for scheme in ["basic", "BASIC", "bAsIc"] {
            assert!(c.verify(format!("{scheme} {enc}").as_bytes()), "{scheme}");
        }
        assert!(c.verify(format!("Basic   {enc}  ").as_bytes()));
    }

    #[test]
    fn refuses_wrong_inputs() {
        let c = creds();
        let enc = base64::engine::general_purpose::STANDARD.encode("agent:s3cret-password");
        let cases: Vec<Vec<u8>> = vec![
            header("agent:s3cret-passwore"),      // same length
            header("agent:s3cret"),               // shorter
            header("agent:s3cret-password-and"),  // longer
            header("Agent:s3cret-password"),      // wrong user (case)
            header("root:s3cret-password"),       // wrong user
            header("s3cret-password"),            // no user
            header(":s3cret-password"),           // empty user
            header("agent:"),                     // empty password
            format!("Bearer {enc}").into_bytes(), // other scheme
            format!("Basic{enc}").into_bytes(),   // no separator
            format!("Basic {enc}!").into_bytes(), // malformed base64
            b"Basic !!!!".to_vec(),
            b"Basic ".to_vec(),
            b"Basic".to_vec(),
            b"".to_vec(),
            format!("Basic {}", "QUFB".repeat(2000)).into_bytes(), // oversized
        ];
        for case in cases {
            assert!(
                !c.verify(&case),
                "{:?} accepted",
                String::from_utf8_lossy(&case)
            );
        }
    }

    #[test]
    fn padding_is_required() {
        let c = Credentials::from_password(&Zeroizing::new("pw".to_owned()));
        assert!(c.verify(b"Basic YWdlbnQ6cHc="));
        assert!(!c.verify(b"Basic YWdlbnQ6cHc"));
    }

    #[test]
    fn second_password_is_accepted_too() {
        let mut c = creds();
        assert!(!c.verify(&header("agent:cli-password")));
        c.add_password(&Zeroizing::new("cli-password".to_owned()));
        assert!(c.verify(&header("agent:cli-password")));
        assert!(c.verify(&header("agent:s3cret-password")));
        assert!(!c.verify(&header("agent:other")));
    }

    #[test]
    fn password_with_colon_and_unicode() {
        let c = Credentials::from_password(&Zeroizing::new("a:b:ü".to_owned()));
        assert!(c.verify(&header("agent:a:b:ü")));
        assert!(!c.verify(&header("agent:a:b")));
    }

    #[test]
    fn debug_hides_digests() {
        let s = format!("{:?}", creds());
        assert_eq!(s, "Credentials { count: 1 }");
    }
}
