//! Stable identifiers derived from canonical paths.
//!
//! An id is a prefix plus the first 128 bits of SHA-256 over the canonical
//! path's bytes: the same file reached through any path or symlink gets the
//! same id, on every start, without a lookup table being the source of truth.

use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use sha2::{Digest, Sha256};

/// `doc_` + 32 hex digits.
pub fn document_id(canonical: &Path) -> String {
    prefixed("doc_", canonical)
}

/// `ws_` + 32 hex digits.
pub fn workspace_id(canonical: &Path) -> String {
    prefixed("ws_", canonical)
}

/// True when `id` has the shape `prefix` + 32 lowercase hex digits, so
/// malformed ids are refused before touching storage.
pub fn is_well_formed(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix).is_some_and(|hex| {
        hex.len() == 32
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

fn prefixed(prefix: &str, canonical: &Path) -> String {
    let digest = Sha256::digest(canonical.as_os_str().as_bytes());
    let mut id = String::with_capacity(prefix.len() + 32);
    id.push_str(prefix);
    for byte in &digest[..16] {
        id.push_str(&format!("{byte:02x}"));
    }
    id
}

/// A fresh random id: `prefix` + 32 hex digits from the OS generator.
pub fn random_id(prefix: &str) -> String {
    use rand::TryRngCore;
    let mut bytes = [0u8; 16];
    if rand::rngs::OsRng.try_fill_bytes(&mut bytes).is_err() {
        // The OS generator does not fail on Linux; if it ever does, an id
        // collision is still impossible to exploit, so fall back loudly.
        tracing::error!("OS random generator failed");
        bytes = rand::random();
    }
    let mut id = String::with_capacity(prefix.len() + 32);
    id.push_str(prefix);
    for byte in bytes {
        id.push_str(&format!("{byte:02x}"));
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_well_formed() {
        let a = document_id(Path::new("/tmp/a.md"));
        assert_eq!(a, document_id(Path::new("/tmp/a.md")));
        assert_ne!(a, document_id(Path::new("/tmp/b.md")));
        assert!(is_well_formed(&a, "doc_"));
        assert!(!is_well_formed(&a, "ws_"));
        assert!(!is_well_formed("doc_../../etc", "doc_"));
        assert!(is_well_formed(&workspace_id(Path::new("/w")), "ws_"));
    }
}
