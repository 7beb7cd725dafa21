//! Key references as users type them after `--key`: an inventory label, a key id, or a PKCS#11
//! URI (RFC 7512).

use std::fmt;

use crate::keys::KeyId;

/// How a user named a key.
#[derive(Clone, PartialEq, Eq)]
pub enum KeyRef {
    /// An inventory label (`release-2026`).
    Label(String),
    /// A key id: the Sigstore key hint, base64 of SHA-256 over the DER SPKI.
    Id(KeyId),
    /// A PKCS#11 URI, kept verbatim for the HSM layer to parse.
    Pkcs11Uri(String),
}

impl fmt::Debug for KeyRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyRef::Label(l) => write!(f, "Label({l:?})"),
            KeyRef::Id(id) => write!(f, "Id({id})"),
            // A URI may hold `pin-value`: never print it.
            KeyRef::Pkcs11Uri(_) => f.write_str("Pkcs11Uri(<redacted>)"),
        }
    }
}

/// Why a key reference or label is not acceptable.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyRefError {
    #[error("empty key reference: give a key label, a key id or a pkcs11: URI")]
    Empty,
    #[error("invalid label {0:?}: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit")]
    BadLabel(String),
}

/// Checks an inventory label: `[A-Za-z0-9][A-Za-z0-9._-]{0,63}`. Labels can never look like a
/// key id (which always holds `=`, `+` or `/`) nor a URI.
pub fn check_label(label: &str) -> Result<(), KeyRefError> {
    let ok = !label.is_empty()
        && label.len() <= 64
        && label.as_bytes()[0].is_ascii_alphanumeric()
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else if label.contains(['?', ';', '=']) || label.to_ascii_lowercase().contains("pin") {
        // It may hold a secret (a mistyped URI with pin-value): never echo it.
        Err(KeyRefError::BadLabel(
            "<not shown: it looks like a URI>".into(),
        ))
    } else {
        Err(KeyRefError::BadLabel(label.to_owned()))
    }
}

impl KeyRef {
    pub fn parse(s: &str) -> Result<Self, KeyRefError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(KeyRefError::Empty);
        }
        // RFC 3986 schemes are case-insensitive.
        if s.len() >= 7 && s[..7].eq_ignore_ascii_case("pkcs11:") {
            return Ok(KeyRef::Pkcs11Uri(format!("pkcs11:{}", &s[7..])));
        }
        if let Some(id) = KeyId::parse(s).filter(|_| check_label(s).is_err()) {
            return Ok(KeyRef::Id(id));
        }
        check_label(s)?;
        Ok(KeyRef::Label(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_form() {
        assert_eq!(
            KeyRef::parse("release-1").unwrap(),
            KeyRef::Label("release-1".into())
        );
        let id = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
        assert!(matches!(KeyRef::parse(id).unwrap(), KeyRef::Id(_)));
        assert!(matches!(
            KeyRef::parse("pkcs11:token=a;object=b").unwrap(),
            KeyRef::Pkcs11Uri(_)
        ));
        assert_eq!(KeyRef::parse(" "), Err(KeyRefError::Empty));
        assert!(matches!(
            KeyRef::parse("../etc"),
            Err(KeyRefError::BadLabel(_))
        ));
        assert!(format!(
            "{:?}",
            KeyRef::parse("pkcs11:object=a?pin-value=1234").unwrap()
        )
        .contains("redacted"));
    }
}
