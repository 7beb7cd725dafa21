//! Where a token PIN comes from: a prompt (through a callback), a file, an environment variable,
//! or a PKCS#11 URI's `pin-source` / `pin-value`. PINs are `SecretString`s and never printed.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use secrecy::SecretString;
use zeroize::Zeroizing;

use crate::uri::Pkcs11Uri;

/// A PIN file longer than this is not a PIN file.
const MAX_PIN_FILE: u64 = 1024;

/// Asks a person for a PIN. The CLI implements it with a terminal prompt, the app with a dialog,
/// tests with a scripted answer.
pub trait PinPrompt {
    /// Returns the PIN for `token_label`, or `None` if the person cancelled.
    fn request_pin(&self, token_label: &str) -> Option<SecretString>;
}

/// Why a PIN could not be obtained. Never contains the PIN.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PinError {
    #[error("PIN entry was cancelled")]
    Cancelled,
    #[error("cannot read the PIN file {}: {source}", path.display())]
    File {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the PIN file {} is larger than {MAX_PIN_FILE} bytes; is it the right file?", path.display())]
    FileTooLarge { path: PathBuf },
    #[error("the PIN from {origin} is empty")]
    Empty { origin: String },
    #[error("the PIN from {origin} is not UTF-8 text")]
    NotUtf8 { origin: String },
    #[error("the environment variable {var} is not set")]
    EnvUnset { var: String },
    #[error(
        "unsupported pin-source {0:?}: Strongroom reads file: URIs and absolute paths \
         (e.g. pin-source=file:/run/secrets/pin)"
    )]
    UnsupportedSource(String),
}

/// Where to get the user PIN of a token.
#[derive(Clone)]
pub enum PinSource {
    /// Ask through a [`PinPrompt`].
    Prompt,
    /// The first line of a file.
    File(PathBuf),
    /// An environment variable's value.
    Env(String),
    /// A URI's `pin-source` value: a `file:` URI or an absolute path.
    UriPinSource(String),
    /// A URI's `pin-value` (only present if the user allowed PINs in URIs).
    UriPinValue(SecretString),
}

impl fmt::Debug for PinSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PinSource::Prompt => f.write_str("Prompt"),
            PinSource::File(p) => f.debug_tuple("File").field(p).finish(),
            PinSource::Env(v) => f.debug_tuple("Env").field(v).finish(),
            PinSource::UriPinSource(s) => f.debug_tuple("UriPinSource").field(s).finish(),
            PinSource::UriPinValue(_) => f.write_str("UriPinValue(<redacted>)"),
        }
    }
}

impl PinSource {
    /// The PIN source a URI names, if any (`pin-value` wins only if it was allowed at parse time;
    /// a URI with both is refused by the parser).
    pub fn from_uri(uri: &Pkcs11Uri) -> Option<PinSource> {
        if let Some(v) = uri.pin_value() {
            return Some(PinSource::UriPinValue(v.clone()));
        }
        uri.pin_source.clone().map(PinSource::UriPinSource)
    }

    /// Obtains the PIN. `prompt` is only called for [`PinSource::Prompt`].
    pub fn read(
        &self,
        token_label: &str,
        prompt: &dyn PinPrompt,
    ) -> Result<SecretString, PinError> {
        match self {
            PinSource::Prompt => prompt.request_pin(token_label).ok_or(PinError::Cancelled),
            PinSource::File(path) => read_pin_file(path),
            PinSource::Env(var) => {
                let v = Zeroizing::new(std::env::var(var).map_err(|e| match e {
                    std::env::VarError::NotPresent => PinError::EnvUnset { var: var.clone() },
                    std::env::VarError::NotUnicode(_) => PinError::NotUtf8 {
                        origin: format!("${var}"),
                    },
                })?);
                non_empty(&v, || format!("${var}"))
            }
            PinSource::UriPinSource(source) => read_pin_file(&pin_source_path(source)?),
            PinSource::UriPinValue(pin) => Ok(pin.clone()),
        }
    }
}

/// Resolves an RFC 7512 `pin-source` value to a file path: `file:/abs`, `file:///abs`,
/// `file://localhost/abs` or a plain absolute path. Commands (`|prog`) and relative paths are
/// refused.
pub fn pin_source_path(source: &str) -> Result<PathBuf, PinError> {
    let unsupported = || PinError::UnsupportedSource(source.to_owned());
    let p = if let Some(rest) = source.strip_prefix("file:") {
        let path = if let Some(authority_and_path) = rest.strip_prefix("//") {
            let slash = authority_and_path.find('/').ok_or_else(unsupported)?;
            let (host, path) = authority_and_path.split_at(slash);
            if !(host.is_empty() || host == "localhost") {
                return Err(unsupported());
            }
            path
        } else {
            rest
        };
        // A file: URI has its own percent-encoding; a plain path is taken as it is.
        let decoded = percent_encoding::percent_decode_str(path)
            .decode_utf8()
            .map_err(|_| unsupported())?;
        PathBuf::from(decoded.as_ref())
    } else {
        PathBuf::from(source)
    };
    if p.is_absolute() {
        Ok(p)
    } else {
        Err(unsupported())
    }
}

fn read_pin_file(path: &Path) -> Result<SecretString, PinError> {
    let file_err = |source| PinError::File {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(file_err)?;
    let mut buf = Zeroizing::new(Vec::with_capacity(64));
    file.take(MAX_PIN_FILE + 1)
        .read_to_end(&mut buf)
        .map_err(file_err)?;
    if buf.len() as u64 > MAX_PIN_FILE {
        return Err(PinError::FileTooLarge {
            path: path.to_path_buf(),
        });
    }
    let origin = || path.display().to_string();
    let text = std::str::from_utf8(&buf).map_err(|_| PinError::NotUtf8 { origin: origin() })?;
    // The PIN is the first line; a trailing newline (as `echo` writes) is not part of it.
    let first = text.split('\n').next().unwrap_or("");
    let first = first.strip_suffix('\r').unwrap_or(first);
    non_empty(first, origin)
}

fn non_empty(pin: &str, origin: impl FnOnce() -> String) -> Result<SecretString, PinError> {
    if pin.is_empty() {
        Err(PinError::Empty { origin: origin() })
    } else {
        Ok(SecretString::from(pin))
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    struct Scripted(Option<&'static str>);
    impl PinPrompt for Scripted {
        fn request_pin(&self, _token_label: &str) -> Option<SecretString> {
            self.0.map(SecretString::from)
        }
    }

    #[test]
    fn file_sources_read_the_first_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pin");
        std::fs::write(&path, "123456\r\nignored\n").unwrap();
        let p = |s: PinSource| s.read("t", &Scripted(None)).unwrap();
        assert_eq!(p(PinSource::File(path.clone())).expose_secret(), "123456");
        let file_uri = format!("file:{}", path.display());
        assert_eq!(
            p(PinSource::UriPinSource(file_uri)).expose_secret(),
            "123456"
        );
        let file_uri3 = format!("file://{}", path.display());
        assert_eq!(
            p(PinSource::UriPinSource(file_uri3)).expose_secret(),
            "123456"
        );
        let plain = path.display().to_string();
        assert_eq!(p(PinSource::UriPinSource(plain)).expose_secret(), "123456");

        std::fs::write(&path, "\n").unwrap();
        assert!(matches!(
            PinSource::File(path.clone()).read("t", &Scripted(None)),
            Err(PinError::Empty { .. })
        ));
        std::fs::write(&path, vec![b'1'; 2000]).unwrap();
        assert!(matches!(
            PinSource::File(path).read("t", &Scripted(None)),
            Err(PinError::FileTooLarge { .. })
        ));
    }

    #[test]
    fn unsupported_pin_sources_are_refused() {
        for s in [
            "|/usr/bin/pinentry",
            "relative/pin",
            "file:relative",
            "file://host/p",
            "https://x/p",
        ] {
            assert!(
                matches!(pin_source_path(s), Err(PinError::UnsupportedSource(_))),
                "{s}"
            );
        }
        assert_eq!(
            pin_source_path("file://localhost/run/my%20pin").unwrap(),
            PathBuf::from("/run/my pin")
        );
    }

    #[test]
    fn prompt_env_and_value_sources() {
        assert_eq!(
            PinSource::Prompt
                .read("t", &Scripted(Some("4321")))
                .unwrap()
                .expose_secret(),
            "4321"
        );
        assert!(matches!(
            PinSource::Prompt.read("t", &Scripted(None)),
            Err(PinError::Cancelled)
        ));
        assert!(matches!(
            PinSource::Env("STRONGROOM_TEST_UNSET_PIN_VAR".into()).read("t", &Scripted(None)),
            Err(PinError::EnvUnset { .. })
        ));
        let uri = Pkcs11Uri::parse("pkcs11:object=k?pin-value=9999", true).unwrap();
        let src = PinSource::from_uri(&uri).unwrap();
        assert!(!format!("{src:?}").contains("9999"));
        assert_eq!(
            src.read("t", &Scripted(None)).unwrap().expose_secret(),
            "9999"
        );
        let uri = Pkcs11Uri::parse("pkcs11:object=k?pin-source=file:/run/pin", false).unwrap();
        assert!(matches!(
            PinSource::from_uri(&uri),
            Some(PinSource::UriPinSource(s)) if s == "file:/run/pin"
        ));
    }
}
