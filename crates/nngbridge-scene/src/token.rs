//! Where a local scene server keeps its token, so clients on the same machine find it
//! (`docs/protocol.md` §7.1). The Blender add-on writes the file
//! (`python/nngbridge/tokens.py` is the same rule in Python; a test checks that
//! both find the same file).
//!
//! * directory: `$XDG_RUNTIME_DIR/nngbridge` if `XDG_RUNTIME_DIR` is set and not empty,
//!   else `$HOME/.nngbridge` (`%USERPROFILE%` where `HOME` is unset);
//! * file: `<key>.token`, holding the token, where `<key>` is [`address_key`] of the exact
//!   address string the server listens on.

use std::path::PathBuf;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0100_0000_01b3;

/// The 64-bit FNV-1a hash of `address`'s UTF-8 bytes as 16 lowercase hex digits: a file
/// name for any address.
pub fn address_key(address: &str) -> String {
    let hash = address.bytes().fold(FNV_OFFSET, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(FNV_PRIME)
    });
    format!("{hash:016x}")
}

fn non_empty(var: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// The folder of token files, or `None` if neither `XDG_RUNTIME_DIR` nor a home is set.
pub fn token_dir() -> Option<PathBuf> {
    if let Some(runtime) = non_empty("XDG_RUNTIME_DIR") {
        return Some(runtime.join("nngbridge"));
    }
    non_empty("HOME")
        .or_else(|| non_empty("USERPROFILE"))
        .map(|home| home.join(".nngbridge"))
}

/// The token file of the server listening on `address`.
pub fn token_path(address: &str) -> Option<PathBuf> {
    token_dir().map(|d| d.join(format!("{}.token", address_key(address))))
}

/// The token the local server on `address` wrote; `Ok(None)` if there is no such file.
pub fn read_token(address: &str) -> std::io::Result<Option<String>> {
    let Some(path) = token_path(address) else {
        return Ok(None);
    };
    match std::fs::read_to_string(&path) {
        Ok(s) => Ok(Some(s.trim().to_owned()).filter(|t| !t.is_empty())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_key_is_fnv1a_64() {
        // Reference values of FNV-1a 64 (the empty string is the offset basis).
        assert_eq!(address_key(""), "cbf29ce484222325");
        assert_eq!(address_key("a"), "af63dc4c8601ec8c");
        assert_eq!(address_key("foobar"), "85944171f73967e8");
    }
}
