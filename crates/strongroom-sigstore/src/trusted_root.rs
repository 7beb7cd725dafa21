//! Sigstore's trusted root (`application/vnd.dev.sigstore.trustedroot+json;version=0.1`): the
//! certificate authorities (Fulcio), transparency logs (Rekor), certificate transparency logs and
//! timestamp authorities a keyless bundle is checked against, each with the window in which it
//! may be used. Read from `trusted_root.json`, or from the JSON lines `gh attestation
//! trusted-root` writes (one root per line, merged). Read whole and strictly: a root that cannot
//! be read completely is not used at all.

use base64::Engine as _;
use serde::Deserialize;
use strongroom_core::Timestamp;

/// The media type of a trusted root.
pub const TRUSTED_ROOT_MEDIA_TYPE: &str =
    "application/vnd.dev.sigstore.trustedroot+json;version=0.1";

/// Largest trusted root read (the public-good root is about 8 KiB).
pub const MAX_ROOT_BYTES: usize = 4 << 20;

/// Why a trusted root is not used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum RootError {
    #[error("the trusted root is larger than {} MiB", MAX_ROOT_BYTES >> 20)]
    TooLarge,
    #[error("the trusted root is empty")]
    Empty,
    #[error("line {line}: not a trusted root: {reason}")]
    Json { line: usize, reason: String },
    #[error("line {line}: the media type is {found:?}, not {TRUSTED_ROOT_MEDIA_TYPE}")]
    MediaType { line: usize, found: String },
    #[error("line {line}: {what}: {reason}")]
    Entry {
        line: usize,
        what: String,
        reason: String,
    },
}

/// When a key or authority may be used: from `start` through `end` inclusive (no end: still in
/// use).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValidFor {
    pub start: Timestamp,
    pub end: Option<Timestamp>,
}

impl ValidFor {
    /// Whether `t` falls in the window, both ends included (the conformance suite's
    /// `…-validity-end-inclusive` cases).
    pub fn contains(&self, t: Timestamp) -> bool {
        t >= self.start && self.end.is_none_or(|end| t <= end)
    }
}

/// A transparency log (Rekor) or certificate transparency log: its key and window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransparencyLog {
    pub base_url: String,
    /// The log id: SHA-256 of the key's DER SPKI, as the log's entries name it.
    pub log_id: Vec<u8>,
    /// DER SubjectPublicKeyInfo.
    pub public_key: Vec<u8>,
    /// `PKIX_ECDSA_P256_SHA_256`, `PKIX_ED25519`, …
    pub key_details: String,
    pub valid_for: ValidFor,
}

/// A certificate authority (Fulcio) or timestamp authority: its chain, leaf first as given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateAuthority {
    pub organization: String,
    pub common_name: String,
    pub uri: String,
    /// DER certificates.
    pub chain: Vec<Vec<u8>>,
    pub valid_for: ValidFor,
}

/// One or more trusted roots, merged.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedRoot {
    pub tlogs: Vec<TransparencyLog>,
    pub certificate_authorities: Vec<CertificateAuthority>,
    pub ctlogs: Vec<TransparencyLog>,
    pub timestamp_authorities: Vec<CertificateAuthority>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RootJson {
    media_type: String,
    #[serde(default)]
    tlogs: Vec<LogJson>,
    #[serde(default)]
    certificate_authorities: Vec<AuthorityJson>,
    #[serde(default)]
    ctlogs: Vec<LogJson>,
    #[serde(default)]
    timestamp_authorities: Vec<AuthorityJson>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LogJson {
    #[serde(default)]
    base_url: String,
    #[serde(default)]
    hash_algorithm: Option<String>,
    public_key: KeyJson,
    log_id: LogIdJson,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct KeyJson {
    raw_bytes: String,
    #[serde(default)]
    key_details: String,
    valid_for: Option<WindowJson>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LogIdJson {
    key_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuthorityJson {
    #[serde(default)]
    subject: SubjectJson,
    #[serde(default)]
    uri: String,
    cert_chain: ChainJson,
    valid_for: Option<WindowJson>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SubjectJson {
    #[serde(default)]
    organization: String,
    #[serde(default)]
    common_name: String,
}

#[derive(Deserialize)]
struct ChainJson {
    certificates: Vec<RawJson>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawJson {
    raw_bytes: String,
}

#[derive(Deserialize)]
struct WindowJson {
    start: Option<String>,
    end: Option<String>,
}

impl TrustedRoot {
    /// Reads `trusted_root.json`, or JSON lines of roots (`gh attestation trusted-root`), merged
    /// in order. Blank lines are skipped.
    pub fn from_bytes(bytes: &[u8]) -> Result<TrustedRoot, RootError> {
        if bytes.len() > MAX_ROOT_BYTES {
            return Err(RootError::TooLarge);
        }
        let text = std::str::from_utf8(bytes).map_err(|_| RootError::Json {
            line: 1,
            reason: "not UTF-8".into(),
        })?;
        // One JSON document (over several lines), or one per line.
        let documents: Vec<(usize, &str)> = match serde_json::from_str::<serde_json::Value>(text) {
            Ok(_) => vec![(1, text)],
            Err(_) => text
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
                .map(|(i, l)| (i + 1, l))
                .collect(),
        };
        if documents.iter().all(|(_, d)| d.trim().is_empty()) {
            return Err(RootError::Empty);
        }
        let mut root = TrustedRoot::default();
        for (line, doc) in documents {
            root.merge(Self::one(line, doc)?);
        }
        Ok(root)
    }

    fn one(line: usize, doc: &str) -> Result<TrustedRoot, RootError> {
        let json: RootJson = serde_json::from_str(doc).map_err(|e| RootError::Json {
            line,
            reason: e.to_string(),
        })?;
        if json.media_type != TRUSTED_ROOT_MEDIA_TYPE {
            return Err(RootError::MediaType {
                line,
                found: json.media_type,
            });
        }
        let entry = |what: String, reason: String| RootError::Entry { line, what, reason };
        let logs = |logs: Vec<LogJson>, kind: &str| -> Result<Vec<TransparencyLog>, RootError> {
            logs.into_iter()
                .enumerate()
                .map(|(i, l)| {
                    let what = format!("{kind} {} ({})", i + 1, l.base_url);
                    log(l).map_err(|reason| entry(what, reason))
                })
                .collect()
        };
        let authorities =
            |cas: Vec<AuthorityJson>, kind: &str| -> Result<Vec<CertificateAuthority>, RootError> {
                cas.into_iter()
                    .enumerate()
                    .map(|(i, a)| {
                        let what = format!("{kind} {} ({})", i + 1, a.uri);
                        authority(a).map_err(|reason| entry(what, reason))
                    })
                    .collect()
            };
        Ok(TrustedRoot {
            tlogs: logs(json.tlogs, "transparency log")?,
            certificate_authorities: authorities(
                json.certificate_authorities,
                "certificate authority",
            )?,
            ctlogs: logs(json.ctlogs, "certificate transparency log")?,
            timestamp_authorities: authorities(json.timestamp_authorities, "timestamp authority")?,
        })
    }

    fn merge(&mut self, other: TrustedRoot) {
        self.tlogs.extend(other.tlogs);
        self.certificate_authorities
            .extend(other.certificate_authorities);
        self.ctlogs.extend(other.ctlogs);
        self.timestamp_authorities
            .extend(other.timestamp_authorities);
    }

    /// The transparency log with this log id, if the root has one (the first, when merged
    /// roots list it twice: see [`TrustedRoot::tlogs_with_id`]).
    pub fn tlog(&self, log_id: &[u8]) -> Option<&TransparencyLog> {
        self.tlogs.iter().find(|l| l.log_id == log_id)
    }

    /// Every transparency log with this log id: merged roots may list one key twice, with
    /// different windows.
    pub fn tlogs_with_id<'a>(
        &'a self,
        log_id: &'a [u8],
    ) -> impl Iterator<Item = &'a TransparencyLog> + 'a {
        self.tlogs.iter().filter(move |l| l.log_id == log_id)
    }
}

fn b64(s: &str) -> Result<Vec<u8>, String> {
    base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .map_err(|e| format!("not base64: {e}"))
}

/// A window; its start is required (the conformance suite's
/// `trust-root-tlog-missing-validity-start_fail`).
fn window(w: Option<WindowJson>) -> Result<ValidFor, String> {
    let w = w.ok_or("no validFor window")?;
    let time = |s: &str| Timestamp::parse(s).map_err(|_| format!("{s:?} is not an RFC 3339 time"));
    let start = time(w.start.as_deref().ok_or("validFor has no start")?)?;
    let end = w.end.as_deref().map(time).transpose()?;
    if end.is_some_and(|e| e < start) {
        return Err("validFor ends before it starts".into());
    }
    Ok(ValidFor { start, end })
}

fn log(l: LogJson) -> Result<TransparencyLog, String> {
    if let Some(h) = l.hash_algorithm.as_deref() {
        if h != "SHA2_256" {
            return Err(format!("hash algorithm {h} is not supported (SHA2_256 is)"));
        }
    }
    let public_key = b64(&l.public_key.raw_bytes)?;
    if public_key.is_empty() {
        return Err("the public key is empty".into());
    }
    let log_id = b64(&l.log_id.key_id)?;
    if log_id.len() != 32 {
        return Err(format!("the log id is {} bytes, not 32", log_id.len()));
    }
    Ok(TransparencyLog {
        base_url: l.base_url,
        log_id,
        public_key,
        key_details: l.public_key.key_details,
        valid_for: window(l.public_key.valid_for)?,
    })
}

fn authority(a: AuthorityJson) -> Result<CertificateAuthority, String> {
    let chain = a
        .cert_chain
        .certificates
        .iter()
        .map(|c| b64(&c.raw_bytes))
        .collect::<Result<Vec<_>, _>>()?;
    if chain.is_empty() || chain.iter().any(Vec::is_empty) {
        return Err("the certificate chain is empty".into());
    }
    Ok(CertificateAuthority {
        organization: a.subject.organization,
        common_name: a.subject.common_name,
        uri: a.uri,
        chain,
        valid_for: window(a.valid_for)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(tlog_window: &str) -> String {
        format!(
            r#"{{"mediaType": "{TRUSTED_ROOT_MEDIA_TYPE}",
  "tlogs": [{{"baseUrl": "https://rekor.example", "hashAlgorithm": "SHA2_256",
    "publicKey": {{"rawBytes": "AQID", "keyDetails": "PKIX_ECDSA_P256_SHA_256", "validFor": {tlog_window}}},
    "logId": {{"keyId": "wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0="}}}}],
  "certificateAuthorities": [{{"subject": {{"organization": "o", "commonName": "c"}}, "uri": "https://fulcio.example",
    "certChain": {{"certificates": [{{"rawBytes": "BAUG"}}]}}, "validFor": {{"start": "2021-03-07T03:20:29Z"}}}}]}}"#
        )
    }

    fn t(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    #[test]
    fn a_root_is_read_and_its_windows_include_their_ends() {
        let r = TrustedRoot::from_bytes(
            root(r#"{"start": "2021-01-12T11:53:27Z", "end": "2022-12-31T23:59:59.999Z"}"#)
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(r.tlogs.len(), 1);
        assert_eq!(r.certificate_authorities[0].chain, [vec![4, 5, 6]]);
        assert!(r.ctlogs.is_empty() && r.timestamp_authorities.is_empty());
        let w = r.tlogs[0].valid_for;
        assert!(w.contains(t("2021-01-12T11:53:27Z")));
        assert!(w.contains(t("2022-12-31T23:59:59.999Z")));
        assert!(!w.contains(t("2023-01-01T00:00:00Z")));
        assert!(!w.contains(t("2021-01-12T11:53:26Z")));
        assert!(r.tlog(&r.tlogs[0].log_id.clone()).is_some());
        assert!(r.certificate_authorities[0]
            .valid_for
            .contains(t("2099-01-01T00:00:00Z")));
    }

    #[test]
    fn a_missing_start_a_foreign_media_type_or_bad_base64_refuses_the_whole_root() {
        let e = TrustedRoot::from_bytes(root(r#"{"end": "2022-01-01T00:00:00Z"}"#).as_bytes())
            .unwrap_err();
        assert!(e.to_string().contains("validFor has no start"), "{e}");
        let other =
            root(r#"{"start": "2021-01-01T00:00:00Z"}"#).replace("version=0.1", "version=9");
        assert!(matches!(
            TrustedRoot::from_bytes(other.as_bytes()),
            Err(RootError::MediaType { .. })
        ));
        let bad = root(r#"{"start": "2021-01-01T00:00:00Z"}"#).replace("AQID", "***");
        assert!(TrustedRoot::from_bytes(bad.as_bytes())
            .unwrap_err()
            .to_string()
            .contains("not base64"));
        let reversed = root(r#"{"start": "2022-01-01T00:00:00Z", "end": "2021-01-01T00:00:00Z"}"#);
        assert!(TrustedRoot::from_bytes(reversed.as_bytes()).is_err());
        assert_eq!(TrustedRoot::from_bytes(b"\n\n"), Err(RootError::Empty));
    }

    #[test]
    fn json_lines_are_merged_in_order() {
        let one = root(r#"{"start": "2021-01-01T00:00:00Z"}"#).replace('\n', " ");
        let two = one.replace("https://rekor.example", "https://rekor.other");
        let r = TrustedRoot::from_bytes(format!("{one}\n\n{two}\n").as_bytes()).unwrap();
        let urls: Vec<&str> = r.tlogs.iter().map(|l| l.base_url.as_str()).collect();
        assert_eq!(urls, ["https://rekor.example", "https://rekor.other"]);
        assert_eq!(r.certificate_authorities.len(), 2);
        // A broken second line names its line.
        let e = TrustedRoot::from_bytes(format!("{one}\n{{not json\n").as_bytes()).unwrap_err();
        assert!(matches!(e, RootError::Json { line: 2, .. }), "{e}");
    }
}
