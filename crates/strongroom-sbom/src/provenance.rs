//! SLSA provenance v1 predicates from the build metadata CI hands over with the artifacts.
//!
//! Input: a [`BuildMeta`] JSON document (see `tests/data/build-meta.example.json`). It is parsed
//! field by field so every error names the field (`build-meta: missing required field
//! `source.commit``); unknown fields are refused, so a typo cannot silently drop information.
//!
//! Output ([`to_slsa_predicate`]): `buildDefinition.externalParameters` is `parameters` plus
//! `source: {repository, commit, ref?}` (so the key `source` is reserved in `parameters`);
//! `resolvedDependencies` starts with the source itself (`git+<repository>@<ref>`, digest
//! `gitCommit`) followed by the listed dependencies; times are normalised to RFC 3339 UTC.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use strongroom_core::Timestamp;
use time::OffsetDateTime;

/// The SLSA provenance v1 predicate type.
pub const PREDICATE_TYPE: &str = "https://slsa.dev/provenance/v1";

/// Why a build-meta document was refused. The message names the field.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProvenanceError {
    #[error("build-meta: not JSON: line {line}, column {column}: {message}")]
    NotJson {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("build-meta: missing required field `{0}`")]
    Missing(String),
    #[error("build-meta: field `{field}` {problem}")]
    Invalid { field: String, problem: String },
    #[error("build-meta: unknown field `{0}`")]
    Unknown(String),
}

/// Where the build's source came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// Repository URI, e.g. `https://github.com/acme/app` or `git+https://…`.
    pub repository: String,
    /// Full commit id, lower-case hex (40 for SHA-1, 64 for SHA-256 repositories).
    pub commit: String,
    /// The ref that was built, e.g. `refs/tags/v1.2.3`.
    #[serde(rename = "ref", default, skip_serializing_if = "Option::is_none")]
    pub git_ref: Option<String>,
}

/// One input the build fetched.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolvedDependency {
    pub uri: String,
    /// Algorithm → lower-case hex; `sha256` is required.
    pub digest: BTreeMap<String, String>,
}

/// The build metadata document CI writes (snake_case JSON keys as below).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BuildMeta {
    /// URI of the builder (required).
    pub builder_id: String,
    /// URI of the build type, which defines the meaning of `parameters` (required).
    pub build_type: String,
    pub source: Source,
    /// The build's external parameters (required, non-empty object; `source` is reserved).
    pub parameters: Map<String, Value>,
    /// Parameters the builder set itself (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal_parameters: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resolved_dependencies: Vec<ResolvedDependency>,
    /// RFC 3339, normalised to UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_on: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_on: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invocation_id: Option<String>,
    /// Builder component → version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub builder_version: Option<BTreeMap<String, String>>,
}

fn invalid(field: &str, problem: impl Into<String>) -> ProvenanceError {
    ProvenanceError::Invalid {
        field: field.to_string(),
        problem: problem.into(),
    }
}

/// `scheme:rest` with an RFC 3986 scheme, no whitespace or control characters.
fn is_uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    !rest.is_empty()
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit())
}

struct Fields<'a> {
    prefix: &'a str,
    obj: &'a Map<String, Value>,
}

impl<'a> Fields<'a> {
    fn name(&self, k: &str) -> String {
        if self.prefix.is_empty() {
            k.to_string()
        } else {
            format!("{}.{k}", self.prefix)
        }
    }

    fn check_known(&self, known: &[&str]) -> Result<(), ProvenanceError> {
        match self.obj.keys().find(|k| !known.contains(&k.as_str())) {
            Some(k) => Err(ProvenanceError::Unknown(self.name(k))),
            None => Ok(()),
        }
    }

    fn opt_str(&self, k: &str) -> Result<Option<&'a str>, ProvenanceError> {
        match self.obj.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => {
                Err(invalid(&self.name(k), "is empty"))
            }
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(invalid(&self.name(k), "must be a string")),
        }
    }

    fn str(&self, k: &str) -> Result<&'a str, ProvenanceError> {
        self.opt_str(k)?
            .ok_or_else(|| ProvenanceError::Missing(self.name(k)))
    }

    fn uri(&self, k: &str) -> Result<&'a str, ProvenanceError> {
        let v = self.str(k)?;
        if !is_uri(v) {
            return Err(invalid(&self.name(k), format!("must be a URI, not {v:?}")));
        }
        Ok(v)
    }

    fn opt_obj(&self, k: &str) -> Result<Option<&'a Map<String, Value>>, ProvenanceError> {
        match self.obj.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(o)) => Ok(Some(o)),
            Some(_) => Err(invalid(&self.name(k), "must be an object")),
        }
    }

    fn obj(&self, k: &str) -> Result<&'a Map<String, Value>, ProvenanceError> {
        self.opt_obj(k)?
            .ok_or_else(|| ProvenanceError::Missing(self.name(k)))
    }

    fn time(&self, k: &str) -> Result<Option<(OffsetDateTime, String)>, ProvenanceError> {
        let Some(s) = self.opt_str(k)? else {
            return Ok(None);
        };
        let t = Timestamp::parse(s).map_err(|e| {
            invalid(
                &self.name(k),
                format!("must be an RFC 3339 time ({})", e.reason),
            )
        })?;
        Ok(Some((t.to_offset_date_time(), t.to_rfc3339())))
    }
}

impl BuildMeta {
    /// Parses and checks a build-meta JSON document.
    pub fn parse(bytes: &[u8]) -> Result<BuildMeta, ProvenanceError> {
        let v: Value = serde_json::from_slice(bytes).map_err(|e| ProvenanceError::NotJson {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        let obj = v
            .as_object()
            .ok_or_else(|| invalid("(document)", "must be a JSON object"))?;
        let top = Fields { prefix: "", obj };
        top.check_known(&[
            "builder_id",
            "build_type",
            "source",
            "parameters",
            "internal_parameters",
            "resolved_dependencies",
            "started_on",
            "finished_on",
            "invocation_id",
            "builder_version",
        ])?;
        let builder_id = top.uri("builder_id")?.to_string();
        let build_type = top.uri("build_type")?.to_string();

        let src = Fields {
            prefix: "source",
            obj: top.obj("source")?,
        };
        src.check_known(&["repository", "commit", "ref"])?;
        let repository = src.uri("repository")?.to_string();
        let commit = src.str("commit")?.to_ascii_lowercase();
        if !(is_hex(&commit) && (commit.len() == 40 || commit.len() == 64)) {
            return Err(invalid(
                "source.commit",
                "must be a full commit id (40 or 64 hex digits)",
            ));
        }
        let git_ref = src.opt_str("ref")?.map(str::to_string);

        let parameters = top.obj("parameters")?.clone();
        if parameters.is_empty() {
            return Err(invalid(
                "parameters",
                "must not be empty (SLSA requires externalParameters)",
            ));
        }
        if parameters.contains_key("source") {
            return Err(invalid(
                "parameters",
                "must not contain `source`: it is filled from the `source` field",
            ));
        }
        let internal_parameters = top.opt_obj("internal_parameters")?.cloned();

        let mut resolved_dependencies = Vec::new();
        match obj.get("resolved_dependencies") {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    let prefix = format!("resolved_dependencies[{i}]");
                    let o = item
                        .as_object()
                        .ok_or_else(|| invalid(&prefix, "must be an object"))?;
                    let f = Fields {
                        prefix: &prefix,
                        obj: o,
                    };
                    f.check_known(&["uri", "digest"])?;
                    let uri = f.uri("uri")?.to_string();
                    let dprefix = format!("{prefix}.digest");
                    let d = Fields {
                        prefix: &dprefix,
                        obj: f.obj("digest")?,
                    };
                    let mut digest = BTreeMap::new();
                    for k in d.obj.keys() {
                        let val = d.str(k)?.to_ascii_lowercase();
                        if !is_hex(&val) {
                            return Err(invalid(&d.name(k), "must be hex"));
                        }
                        digest.insert(k.clone(), val);
                    }
                    match digest.get("sha256") {
                        None => return Err(ProvenanceError::Missing(d.name("sha256"))),
                        Some(h) if h.len() != 64 => {
                            return Err(invalid(&d.name("sha256"), "must be 64 hex digits"))
                        }
                        Some(_) => {}
                    }
                    resolved_dependencies.push(ResolvedDependency { uri, digest });
                }
            }
            Some(_) => return Err(invalid("resolved_dependencies", "must be an array")),
        }

        let started = top.time("started_on")?;
        let finished = top.time("finished_on")?;
        if let (Some((s, _)), Some((f, _))) = (&started, &finished) {
            if f < s {
                return Err(invalid("finished_on", "is before `started_on`"));
            }
        }
        let invocation_id = top.opt_str("invocation_id")?.map(str::to_string);
        let builder_version = match top.opt_obj("builder_version")? {
            None => None,
            Some(o) => {
                let f = Fields {
                    prefix: "builder_version",
                    obj: o,
                };
                let mut m = BTreeMap::new();
                for k in o.keys() {
                    m.insert(k.clone(), f.str(k)?.to_string());
                }
                Some(m)
            }
        };
        Ok(BuildMeta {
            builder_id,
            build_type,
            source: Source {
                repository,
                commit,
                git_ref,
            },
            parameters,
            internal_parameters,
            resolved_dependencies,
            started_on: started.map(|t| t.1),
            finished_on: finished.map(|t| t.1),
            invocation_id,
            builder_version,
        })
    }
}

/// The SLSA provenance v1 predicate (the `predicate` of an in-toto Statement whose
/// `predicateType` is [`PREDICATE_TYPE`]).
pub fn to_slsa_predicate(meta: &BuildMeta) -> Value {
    let mut source = json!({
        "repository": meta.source.repository,
        "commit": meta.source.commit,
    });
    if let Some(r) = &meta.source.git_ref {
        source["ref"] = json!(r);
    }
    let mut external = meta.parameters.clone();
    external.insert("source".into(), source);

    let repo = &meta.source.repository;
    let mut src_uri = if repo.starts_with("git+") {
        repo.clone()
    } else {
        format!("git+{repo}")
    };
    if let Some(r) = &meta.source.git_ref {
        src_uri.push('@');
        src_uri.push_str(r);
    }
    let mut deps = vec![json!({"uri": src_uri, "digest": {"gitCommit": meta.source.commit}})];
    deps.extend(
        meta.resolved_dependencies
            .iter()
            .map(|d| json!({"uri": d.uri, "digest": d.digest})),
    );

    let mut build_definition = json!({
        "buildType": meta.build_type,
        "externalParameters": external,
        "resolvedDependencies": deps,
    });
    if let Some(ip) = &meta.internal_parameters {
        build_definition["internalParameters"] = Value::Object(ip.clone());
    }
    let mut builder = json!({"id": meta.builder_id});
    if let Some(v) = &meta.builder_version {
        builder["version"] = json!(v);
    }
    let mut metadata = Map::new();
    if let Some(i) = &meta.invocation_id {
        metadata.insert("invocationId".into(), json!(i));
    }
    if let Some(t) = &meta.started_on {
        metadata.insert("startedOn".into(), json!(t));
    }
    if let Some(t) = &meta.finished_on {
        metadata.insert("finishedOn".into(), json!(t));
    }
    let mut run_details = json!({"builder": builder});
    if !metadata.is_empty() {
        run_details["metadata"] = Value::Object(metadata);
    }
    json!({
        "buildDefinition": build_definition,
        "runDetails": run_details,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_check() {
        assert!(is_uri("https://github.com/actions/runner"));
        assert!(is_uri("urn:example:builder"));
        assert!(!is_uri("github.com/x"));
        assert!(!is_uri("https://a b"));
        assert!(!is_uri("1http://x"));
    }
}
