//! Base64 as the protobuf JSON mapping uses it: written standard and padded, read leniently.

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;

/// Standard, padded base64 (RFC 4648 section 4).
pub fn encode(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Accepts standard or URL-safe base64, padded or not, as protobuf JSON parsers do.
pub fn decode(s: &str) -> Option<Vec<u8>> {
    STANDARD
        .decode(s)
        .or_else(|_| STANDARD_NO_PAD.decode(s))
        .or_else(|_| URL_SAFE.decode(s))
        .or_else(|_| URL_SAFE_NO_PAD.decode(s))
        .ok()
}
