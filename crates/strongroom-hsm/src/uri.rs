//! RFC 7512 PKCS#11 URIs: parsing (values percent-decoded), the builder for keys we generate, and
//! printing that never shows a `pin-value`.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use secrecy::SecretString;
use zeroize::Zeroizing;

/// RFC 3986 `unreserved` characters stay as they are; everything else in a path value is encoded.
const PATH_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Query values may also keep `/` and `:` (RFC 7512 `pk11-qchar`), so paths stay readable.
const QUERY_VALUE: &AsciiSet = &PATH_VALUE.remove(b'/').remove(b':');

/// Path attributes this crate understands. Others are refused rather than ignored: ignoring a
/// constraint would make a URI match more than its author meant.
const KNOWN_PATH_ATTRS: [&str; 8] = [
    "token",
    "manufacturer",
    "serial",
    "model",
    "slot-id",
    "object",
    "id",
    "type",
];

/// Query attributes this crate uses. Others (`module-name`, vendor `x-…` ones) are refused for
/// the same reason: a URI that says more than is checked would be trusted for what it says.
const KNOWN_QUERY_ATTRS: [&str; 3] = ["module-path", "pin-source", "pin-value"];

/// The `type` path attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ObjectType {
    Private,
    Public,
    Cert,
    SecretKey,
    Data,
}

impl ObjectType {
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectType::Private => "private",
            ObjectType::Public => "public",
            ObjectType::Cert => "cert",
            ObjectType::SecretKey => "secret-key",
            ObjectType::Data => "data",
        }
    }
}

impl fmt::Display for ObjectType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a string is not a PKCS#11 URI Strongroom can use. Messages never contain a PIN.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UriError {
    #[error("not a valid PKCS#11 URI (RFC 7512):\n{0}")]
    Syntax(String),
    #[error(
        "the URI carries pin-value, which puts the PIN in shell history and process listings; \
         use pin-source=file:/path/to/pin instead, or pass --allow-pin-in-uri to accept the risk"
    )]
    PinValueRefused,
    #[error("the URI's pin-value is malformed (spaces and '#' must be percent-encoded)")]
    PinValueMalformed,
    #[error("the URI has both pin-source and pin-value; RFC 7512 says to refuse such a URI")]
    PinSourceAndValue,
    #[error("the URI attribute {attr} has malformed percent-encoding (expected %XX)")]
    PercentEncoding { attr: String },
    #[error("the URI attribute {attr} is not UTF-8 text once percent-decoded")]
    NotUtf8 { attr: String },
    #[error("the URI attribute {0:?} is not supported by Strongroom; remove it")]
    Unsupported(String),
    #[error("the URI names a {0} object, but a signing key is type=private")]
    NotAPrivateKey(ObjectType),
    #[error("the URI is {0} bytes long, over the limit of {MAX_URI_BYTES} (max_uri_bytes); a key's URI is a few hundred")]
    TooLong(usize),
}

/// The longest PKCS#11 URI parsed (attribute values are at most 32 to 64 bytes in PKCS#11).
pub const MAX_URI_BYTES: usize = 4096;

/// A parsed PKCS#11 URI, values decoded. The PIN value, when present, is only reachable through
/// [`Pkcs11Uri::pin_value`]; `Debug` and `Display` never show it.
#[derive(Clone, Default)]
pub struct Pkcs11Uri {
    pub token: Option<String>,
    pub manufacturer: Option<String>,
    pub serial: Option<String>,
    pub model: Option<String>,
    pub slot_id: Option<u64>,
    pub object: Option<String>,
    pub id: Option<Vec<u8>>,
    pub object_type: Option<ObjectType>,
    pub module_path: Option<PathBuf>,
    pub module_name: Option<String>,
    /// RFC 7512 says this is a URI; [`crate::pin::PinSource`] reads `file:` URIs and absolute paths.
    pub pin_source: Option<String>,
    pin_value: Option<SecretString>,
}

impl Pkcs11Uri {
    /// Parses `s`. A `pin-value` attribute is refused unless `allow_pin_value` (the user asked for
    /// it explicitly, e.g. `--allow-pin-in-uri`).
    pub fn parse(s: &str, allow_pin_value: bool) -> Result<Self, UriError> {
        if s.len() > MAX_URI_BYTES {
            return Err(UriError::TooLong(s.len()));
        }
        // The parser strips newlines and tabs (RFC 7512 allows URIs to be wrapped); do it once here
        // so our own scan sees the same text. The copy may hold a PIN: wipe it afterwards.
        // A URI pasted from a Windows text or a terminal may carry CRs and surrounding blanks; the
        // scheme is case-insensitive (RFC 3986), so `PKCS11:` is read as `pkcs11:`.
        let mut tidy = Zeroizing::new(s.trim().replace(['\n', '\t', '\r'], ""));
        if tidy.len() >= 7 && tidy[..7].eq_ignore_ascii_case("pkcs11:") {
            tidy.replace_range(..7, "pkcs11:");
        }
        let mapping = match pk11_uri_parser::parse(&tidy) {
            Ok(m) => m,
            Err(_) => return Err(syntax_error_without_pin(&tidy)),
        };
        for name in path_attr_names(&tidy) {
            if !KNOWN_PATH_ATTRS.contains(&name) {
                return Err(UriError::Unsupported(name.to_owned()));
            }
        }
        for name in query_attr_names(&tidy) {
            if !KNOWN_QUERY_ATTRS.contains(&name) {
                return Err(UriError::Unsupported(name.to_owned()));
            }
        }
        if mapping.pin_value().is_some() {
            if mapping.pin_source().is_some() {
                return Err(UriError::PinSourceAndValue);
            }
            if !allow_pin_value {
                return Err(UriError::PinValueRefused);
            }
        }

        let text = |attr: &str, v: Option<&str>| v.map(|v| decode_text(attr, v)).transpose();
        let object_type = match mapping.r#type() {
            None => None,
            Some("private") => Some(ObjectType::Private),
            Some("public") => Some(ObjectType::Public),
            Some("cert") => Some(ObjectType::Cert),
            Some("secret-key") => Some(ObjectType::SecretKey),
            Some("data") => Some(ObjectType::Data),
            Some(other) => return Err(UriError::Syntax(format!("unknown type={other}"))),
        };
        let slot_id = mapping
            .slot_id()
            .map(|v| {
                v.parse::<u64>()
                    .map_err(|_| UriError::Syntax(format!("slot-id={v} is not a number")))
            })
            .transpose()?;
        let pin_value = match mapping.pin_value() {
            None => None,
            Some(v) => {
                let bytes = Zeroizing::new(decode_bytes("pin-value", v)?);
                let pin = std::str::from_utf8(&bytes).map_err(|_| UriError::NotUtf8 {
                    attr: "pin-value".into(),
                })?;
                Some(SecretString::from(pin))
            }
        };
        Ok(Pkcs11Uri {
            token: text("token", mapping.token())?,
            manufacturer: text("manufacturer", mapping.manufacturer())?,
            serial: text("serial", mapping.serial())?,
            model: text("model", mapping.model())?,
            slot_id,
            object: text("object", mapping.object())?,
            id: mapping.id().map(|v| decode_bytes("id", v)).transpose()?,
            object_type,
            module_path: text("module-path", mapping.module_path())?.map(PathBuf::from),
            module_name: text("module-name", mapping.module_name())?,
            pin_source: text("pin-source", mapping.pin_source())?,
            pin_value,
        })
    }

    /// The URI naming a private key we generated or adopted:
    /// `pkcs11:token=…;object=…;id=%xx…;type=private`.
    pub fn for_private_key(token_label: &str, object_label: &str, id: &[u8]) -> Self {
        Pkcs11Uri {
            token: Some(token_label.to_owned()),
            object: Some(object_label.to_owned()),
            id: Some(id.to_vec()),
            object_type: Some(ObjectType::Private),
            ..Pkcs11Uri::default()
        }
    }

    /// The PIN given inline, if the URI had one and it was allowed.
    pub fn pin_value(&self) -> Option<&SecretString> {
        self.pin_value.as_ref()
    }

    /// The same URI without its inline PIN.
    pub fn without_pin_value(&self) -> Self {
        Pkcs11Uri {
            pin_value: None,
            ..self.clone()
        }
    }

    /// The URI as text, percent-encoded, with any `pin-value` left out. Same as `Display`.
    pub fn to_string_without_pin(&self) -> String {
        let mut path: Vec<String> = Vec::new();
        let push = |path: &mut Vec<String>, name: &str, v: &Option<String>| {
            if let Some(v) = v {
                path.push(format!("{name}={}", utf8_percent_encode(v, PATH_VALUE)));
            }
        };
        push(&mut path, "token", &self.token);
        push(&mut path, "manufacturer", &self.manufacturer);
        push(&mut path, "serial", &self.serial);
        push(&mut path, "model", &self.model);
        if let Some(slot) = self.slot_id {
            path.push(format!("slot-id={slot}"));
        }
        push(&mut path, "object", &self.object);
        if let Some(id) = &self.id {
            // RFC 7512: the whole id value SHOULD be percent-encoded.
            path.push(format!(
                "id={}",
                id.iter().map(|b| format!("%{b:02x}")).collect::<String>()
            ));
        }
        if let Some(t) = self.object_type {
            path.push(format!("type={t}"));
        }
        let mut query: Vec<String> = Vec::new();
        let mut push_q = |name: &str, v: Option<&str>| {
            if let Some(v) = v {
                query.push(format!("{name}={}", utf8_percent_encode(v, QUERY_VALUE)));
            }
        };
        push_q("module-name", self.module_name.as_deref());
        push_q(
            "module-path",
            self.module_path.as_ref().and_then(|p| p.to_str()),
        );
        push_q("pin-source", self.pin_source.as_deref());
        let mut out = format!("pkcs11:{}", path.join(";"));
        if !query.is_empty() {
            out.push('?');
            out.push_str(&query.join("&"));
        }
        out
    }

    /// Checks the URI can name a signing key (no `type`, or `type=private`).
    pub fn require_private_key(&self) -> Result<(), UriError> {
        match self.object_type {
            None | Some(ObjectType::Private) => Ok(()),
            Some(other) => Err(UriError::NotAPrivateKey(other)),
        }
    }
}

impl FromStr for Pkcs11Uri {
    type Err = UriError;
    /// Parses with `pin-value` refused.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Pkcs11Uri::parse(s, false)
    }
}

impl fmt::Display for Pkcs11Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_string_without_pin())
    }
}

impl fmt::Debug for Pkcs11Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkcs11Uri")
            .field("token", &self.token)
            .field("manufacturer", &self.manufacturer)
            .field("serial", &self.serial)
            .field("model", &self.model)
            .field("slot_id", &self.slot_id)
            .field("object", &self.object)
            .field("id", &self.id.as_ref().map(hex::encode))
            .field("object_type", &self.object_type)
            .field("module_path", &self.module_path)
            .field("module_name", &self.module_name)
            .field("pin_source", &self.pin_source)
            .field("pin_value", &self.pin_value.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Names of the path attributes, in order (the parser has already validated the syntax).
fn path_attr_names(uri: &str) -> impl Iterator<Item = &str> {
    let path = uri.strip_prefix("pkcs11:").unwrap_or("");
    let path = path.split('?').next().unwrap_or("");
    path.split(';')
        .filter(|a| !a.is_empty())
        .map(|a| a.split('=').next().unwrap_or(a))
}

fn query_attr_names(uri: &str) -> impl Iterator<Item = &str> {
    uri.split_once('?')
        .map_or("", |(_, q)| q)
        .split('&')
        .filter(|a| !a.is_empty())
        .map(|a| a.split('=').next().unwrap_or(a))
}

/// The parser's own messages quote the URI, PIN included. Report the error of a copy whose
/// pin-value is replaced, or a PIN-free message if the PIN itself was the problem.
fn syntax_error_without_pin(uri: &str) -> UriError {
    let redacted = match uri.find('?') {
        None => uri.to_owned(),
        Some(q) => {
            let (path, query) = uri.split_at(q + 1);
            let query: Vec<&str> = query
                .split('&')
                .map(|a| {
                    if a.starts_with("pin-value=") {
                        "pin-value=REDACTED"
                    } else {
                        a
                    }
                })
                .collect();
            format!("{path}{}", query.join("&"))
        }
    };
    match pk11_uri_parser::parse(&redacted) {
        Err(e) => UriError::Syntax(e.to_string()),
        Ok(_) => UriError::PinValueMalformed,
    }
}

fn decode_bytes(attr: &str, v: &str) -> Result<Vec<u8>, UriError> {
    let b = v.as_bytes();
    for (i, c) in b.iter().enumerate() {
        let hex_at = |j: usize| b.get(j).is_some_and(u8::is_ascii_hexdigit);
        if *c == b'%' && !(hex_at(i + 1) && hex_at(i + 2)) {
            return Err(UriError::PercentEncoding { attr: attr.into() });
        }
    }
    Ok(percent_decode_str(v).collect())
}

fn decode_text(attr: &str, v: &str) -> Result<String, UriError> {
    String::from_utf8(decode_bytes(attr, v)?).map_err(|_| UriError::NotUtf8 { attr: attr.into() })
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn parses_and_decodes_the_rfc_example() {
        let u = Pkcs11Uri::parse(
            "pkcs11:token=The%20Software%20PKCS%2311%20Softtoken;\
             manufacturer=Snake%20Oil,%20Inc.;model=1.0;object=my-certificate;\
             type=cert;id=%69%95%3E%5C%F4%BD%EC%91;serial=?pin-source=file:/etc/token_pin",
            false,
        )
        .unwrap();
        assert_eq!(u.token.as_deref(), Some("The Software PKCS#11 Softtoken"));
        assert_eq!(u.manufacturer.as_deref(), Some("Snake Oil, Inc."));
        assert_eq!(u.model.as_deref(), Some("1.0"));
        assert_eq!(u.serial.as_deref(), Some(""));
        assert_eq!(u.object_type, Some(ObjectType::Cert));
        assert_eq!(
            u.id.as_deref(),
            Some(&[0x69, 0x95, 0x3e, 0x5c, 0xf4, 0xbd, 0xec, 0x91][..])
        );
        assert_eq!(u.pin_source.as_deref(), Some("file:/etc/token_pin"));
        assert!(u.require_private_key().is_err());
    }

    #[test]
    fn parses_the_strongroom_example() {
        let u: Pkcs11Uri = "pkcs11:token=Release%20HSM;object=release-2026;type=private\
            ?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/pin"
            .parse()
            .unwrap();
        assert_eq!(u.token.as_deref(), Some("Release HSM"));
        assert_eq!(u.object.as_deref(), Some("release-2026"));
        assert_eq!(
            u.module_path.as_deref(),
            Some(std::path::Path::new("/usr/lib/softhsm/libsofthsm2.so"))
        );
        u.require_private_key().unwrap();
        // Printing and re-parsing gives the same URI.
        let again: Pkcs11Uri = u.to_string().parse().unwrap();
        assert_eq!(again.to_string(), u.to_string());
        assert_eq!(
            u.to_string(),
            "pkcs11:token=Release%20HSM;object=release-2026;type=private\
             ?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/pin"
        );
    }

    #[test]
    fn builder_percent_encodes_and_round_trips() {
        let u = Pkcs11Uri::for_private_key("Release HSM/1", "key;1?#%é", &[0x00, 0xff, 0x41]);
        let s = u.to_string();
        assert_eq!(
            s,
            "pkcs11:token=Release%20HSM%2F1;object=key%3B1%3F%23%25%C3%A9;id=%00%ff%41;type=private"
        );
        let back = Pkcs11Uri::parse(&s, false).unwrap();
        assert_eq!(back.token.as_deref(), Some("Release HSM/1"));
        assert_eq!(back.object.as_deref(), Some("key;1?#%é"));
        assert_eq!(back.id.as_deref(), Some(&[0x00, 0xff, 0x41][..]));
        assert_eq!(back.object_type, Some(ObjectType::Private));
    }

    #[test]
    fn pin_value_is_refused_unless_allowed_and_never_printed() {
        let s = "pkcs11:token=t;object=k?pin-value=s3cr%65t";
        let err = Pkcs11Uri::parse(s, false).unwrap_err();
        assert!(matches!(err, UriError::PinValueRefused));
        let msg = err.to_string();
        assert!(
            msg.contains("pin-source") && msg.contains("--allow-pin-in-uri"),
            "{msg}"
        );
        let u = Pkcs11Uri::parse(s, true).unwrap();
        assert_eq!(u.pin_value().unwrap().expose_secret(), "s3cret");
        for shown in [u.to_string(), format!("{u:?}"), u.to_string_without_pin()] {
            assert!(!shown.contains("s3cr"), "{shown}");
        }
        assert!(format!("{u:?}").contains("<redacted>"));
        assert!(u.without_pin_value().pin_value().is_none());
        assert!(matches!(
            Pkcs11Uri::parse("pkcs11:object=k?pin-value=1&pin-source=file:/p", true),
            Err(UriError::PinSourceAndValue)
        ));
    }

    #[test]
    fn syntax_errors_never_quote_the_pin() {
        // The PIN itself is malformed.
        let err = Pkcs11Uri::parse("pkcs11:object=k?pin-value=my secret", true).unwrap_err();
        assert!(matches!(err, UriError::PinValueMalformed), "{err:?}");
        assert!(!err.to_string().contains("my secret"));
        // Something else is malformed: the message quotes the URI with the PIN replaced.
        let err = Pkcs11Uri::parse("pkcs11:object=a b?pin-value=hunter2", true).unwrap_err();
        let msg = err.to_string();
        assert!(
            !msg.contains("hunter2") && msg.contains("REDACTED"),
            "{msg}"
        );
    }

    #[test]
    fn invalid_uris_are_refused() {
        for bad in [
            "pkcs12:object=k",
            "object=k",
            "pkcs11:object=a b",
            "pkcs11:object=a/b",
            "pkcs11:type=key",
            "pkcs11:slot-id=one",
            "pkcs11:object=k;object=j",
            "pkcs11:object=k;",
        ] {
            assert!(
                matches!(Pkcs11Uri::parse(bad, false), Err(UriError::Syntax(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            Pkcs11Uri::parse("pkcs11:id=%zz", false),
            Err(UriError::PercentEncoding { .. })
        ));
        assert!(matches!(
            Pkcs11Uri::parse("pkcs11:id=%0", false),
            Err(UriError::PercentEncoding { .. })
        ));
        assert!(matches!(
            Pkcs11Uri::parse("pkcs11:object=%ff%fe", false),
            Err(UriError::NotUtf8 { .. })
        ));
        for unsupported in [
            "pkcs11:library-version=1;object=k",
            "pkcs11:slot-description=x",
            "pkcs11:vendor-thing=1",
        ] {
            assert!(
                matches!(
                    Pkcs11Uri::parse(unsupported, false),
                    Err(UriError::Unsupported(_))
                ),
                "{unsupported}"
            );
        }
    }

    #[test]
    fn empty_and_minimal_uris() {
        let u = Pkcs11Uri::parse("pkcs11:", false).unwrap();
        assert!(u.token.is_none() && u.object.is_none());
        assert_eq!(u.to_string(), "pkcs11:");
        let u = Pkcs11Uri::parse("pkcs11:slot-id=7;object=k", false).unwrap();
        assert_eq!(u.slot_id, Some(7));
    }

    #[test]
    fn an_overlong_uri_is_refused_before_parsing() {
        let long = format!("pkcs11:token={}", "a".repeat(MAX_URI_BYTES));
        assert!(matches!(
            Pkcs11Uri::parse(&long, false),
            Err(UriError::TooLong(n)) if n == long.len()
        ));
        let fits = format!("pkcs11:token={}", "a".repeat(64));
        assert!(Pkcs11Uri::parse(&fits, false).is_ok());
    }

    #[test]
    fn what_is_not_used_is_refused_and_pasted_uris_are_read() {
        for uri in [
            "pkcs11:token=t;object=k?x-vendor=1",
            "pkcs11:token=t;object=k?module-name=softhsm2",
        ] {
            assert!(
                matches!(Pkcs11Uri::parse(uri, false), Err(UriError::Unsupported(_))),
                "{uri}"
            );
        }
        let pasted = Pkcs11Uri::parse("  PKCS11:token=t;object=k\r\n", false).unwrap();
        assert_eq!(pasted.object.as_deref(), Some("k"));
        assert_eq!(pasted.token.as_deref(), Some("t"));
    }
}
