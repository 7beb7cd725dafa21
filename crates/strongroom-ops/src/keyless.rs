//! `verify` of bundles other clients made with Sigstore's keyless flow (or a managed key
//! logged in Rekor), offline, against a trusted root carried in as a file: the edge that reads
//! the files and the artifact, over `strongroom-sigstore`'s checks. Needs no station.

use std::path::{Path, PathBuf};

use serde::Serialize;
use strongroom_core::verify::Outcome;
use strongroom_core::{Digest, HashAlg, Timestamp};
use strongroom_sigstore::bundle::{KeylessBundle, Material};
use strongroom_sigstore::evidence::{digest_algs, read_evidence};
use strongroom_sigstore::identity::{Expect, IdentityPolicy};
use strongroom_sigstore::verify::{verify_keyless, VerifyPolicy};
use strongroom_sigstore::x509::SigningCertificate;
use strongroom_sigstore::TrustedRoot;

use crate::verify::read_capped;
use crate::OpsError;

/// The artifact a bundle is checked against.
#[derive(Clone, Debug)]
pub enum KeylessArtifact {
    /// A file, hashed here.
    File(PathBuf),
    /// A digest given as `sha256:HEX`.
    Digest(Digest),
}

impl KeylessArtifact {
    /// A `sha256:HEX` argument, or a path.
    pub fn parse(arg: &str) -> Result<KeylessArtifact, OpsError> {
        match arg.strip_prefix("sha256:") {
            Some(hex) => Digest::from_hex(HashAlg::Sha256, hex)
                .map(KeylessArtifact::Digest)
                .ok_or_else(|| {
                    OpsError::BadInput(format!(
                        "{arg}: a digest is sha256: and 64 hexadecimal digits"
                    ))
                }),
            None => Ok(KeylessArtifact::File(PathBuf::from(arg))),
        }
    }
}

/// One value of the identity policy: exact, or a whole-string regular expression.
#[derive(Clone, Debug)]
pub enum Match {
    Exact(String),
    Regexp(String),
}

/// A request to verify a keyless (or managed-key) bundle.
#[derive(Clone, Debug)]
pub struct KeylessRequest {
    /// A bundle, gh's JSON lines, a PEP 740 attestation or PyPI provenance file.
    pub bundle: PathBuf,
    pub trusted_root: RootSource,
    pub artifact: KeylessArtifact,
    /// Required for a certificate; absent with `key`.
    pub identity: Option<Match>,
    pub issuer: Option<Match>,
    pub source_repository: Option<Match>,
    pub source_ref: Option<Match>,
    pub workflow: Option<Match>,
    /// A managed key (PEM file) instead of a certificate identity.
    pub key: Option<PathBuf>,
    /// How much evidence must verify, where not [`Thresholds::for_root`]'s.
    pub thresholds: ThresholdOverrides,
}

/// Where the trusted root comes from.
#[derive(Clone, Debug)]
pub enum RootSource {
    /// A file carried in (`trusted_root.json`, or gh's JSON lines).
    File(PathBuf),
    /// A root the station trusts by name (`trust root import`).
    Stored(strongroom_policy::SigstoreRoot),
}

impl RootSource {
    /// How the report names it.
    fn shown(&self) -> String {
        match self {
            RootSource::File(p) => p.display().to_string(),
            RootSource::Stored(r) => format!("{} (trusted root, sha256:{})", r.name, r.sha256),
        }
    }
}

/// Thresholds the caller sets; the rest come from the root.
#[derive(Clone, Copy, Debug, Default)]
pub struct ThresholdOverrides {
    pub tlog: Option<usize>,
    pub sct: Option<usize>,
    pub timestamp: Option<usize>,
}

/// How many log entries, SCTs and RFC 3161 timestamps must verify.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Thresholds {
    pub tlog: usize,
    pub sct: usize,
    pub timestamp: usize,
}

impl Thresholds {
    /// What a root can vouch for: one log entry and one SCT where it names logs (Sigstore's
    /// public-good instance); a root without transparency logs (GitHub's own instance) needs
    /// one timestamp from its authorities instead, and no SCT where it names no CT log.
    pub fn for_root(root: &TrustedRoot) -> Thresholds {
        Thresholds {
            tlog: usize::from(!root.tlogs.is_empty()),
            sct: usize::from(!root.ctlogs.is_empty()),
            timestamp: usize::from(root.tlogs.is_empty()),
        }
    }
}

/// One check's line in the report.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct KeylessLine {
    pub id: String,
    pub outcome: Outcome,
    pub detail: String,
}

/// Who the signing certificate names (for the report's first lines and the app).
#[derive(Clone, Debug, Default, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Signer {
    /// The subject alternative name: a workflow URI, an email address.
    pub identity: String,
    pub issuer: Option<String>,
    pub source_repository: Option<String>,
    pub source_ref: Option<String>,
    pub workflow: Option<String>,
    /// The certificate's validity (a Fulcio certificate lives ten minutes).
    pub not_before: String,
    pub not_after: String,
}

/// One bundle found in the file and its verdict.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct KeylessItem {
    /// Where in the file (`bundle`, `line 2`, `attestation_bundles[0].attestations[0]`).
    pub label: String,
    /// What PyPI's provenance says published it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub publisher: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signer: Option<Signer>,
    pub verified: bool,
    pub checks: Vec<KeylessLine>,
}

/// The verdict on a file of keyless evidence.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct KeylessReport {
    pub bundle: String,
    /// The root's file, or its name and digest in the trust store.
    pub trusted_root: String,
    /// `sigstore-bundle`, `sigstore-bundle-jsonl`, `pep740-attestation`, `pep740-provenance`.
    pub container: String,
    pub artifact_sha256: String,
    pub thresholds: Thresholds,
    /// Verified when one bundle in the file verifies, as gh reads a file of attestations.
    pub verified: bool,
    /// The deciding bundle's checks: the first that verified, else the first.
    pub checks: Vec<KeylessLine>,
    pub signer: Option<Signer>,
    /// Every bundle the file holds, with its own checks.
    pub items: Vec<KeylessItem>,
}

/// Largest trusted root and bundle read.
const MAX_FILE: u64 = 8 << 20;

fn expect(m: &Match) -> Result<Expect, OpsError> {
    match m {
        Match::Exact(s) => Ok(Expect::Exact(s.clone())),
        Match::Regexp(r) => Expect::regex(r)
            .map_err(|e| OpsError::BadInput(format!("{r:?} is not a regular expression: {e}"))),
    }
}

fn signer(bundle: &KeylessBundle) -> Option<Signer> {
    let Material::Certificate { leaf, .. } = &bundle.material else {
        return None;
    };
    let c = SigningCertificate::from_der(leaf).ok()?;
    Some(Signer {
        identity: c
            .sans
            .iter()
            .map(|s| s.as_str().to_owned())
            .collect::<Vec<_>>()
            .join(", "),
        issuer: c.issuer.clone(),
        source_repository: c.ci.source_repository.clone(),
        source_ref: c.ci.source_ref.clone(),
        workflow: c.ci.workflow.clone(),
        not_before: c.not_before.to_string(),
        not_after: c.not_after.to_string(),
    })
}

/// What every bundle of a request is checked against: the root read once, the policy.
struct Prepared {
    root: TrustedRoot,
    root_shown: String,
    policy: VerifyPolicy,
    thresholds: Thresholds,
}

/// Verifies `req.bundle` offline against `req.trusted_root`. `Ok` carries the report whatever
/// its verdict; `Err` is for what could not be read (a missing file, a root that is not one, a
/// policy that is not one).
pub fn verify_keyless_bundle(req: &KeylessRequest) -> Result<KeylessReport, OpsError> {
    let prepared = prepare(req)?;
    check_one(&prepared, &req.bundle, &req.artifact)
}

/// Verifies every bundle in `dir` with its artifact beside it (`FILE.sigstore.json` or
/// `FILE.sigstore` with `FILE`), in parallel, against one reading of the root. A bundle whose
/// artifact is missing is reported as not verified. `req.bundle` and `req.artifact` are unused.
pub fn verify_keyless_folder(
    req: &KeylessRequest,
    dir: &Path,
) -> Result<Vec<KeylessReport>, OpsError> {
    let prepared = prepare(req)?;
    let entries = std::fs::read_dir(dir).map_err(|source| OpsError::Read {
        path: dir.to_owned(),
        source,
    })?;
    let mut pairs: Vec<(PathBuf, PathBuf)> = Vec::new();
    for e in entries {
        let path = e
            .map_err(|source| OpsError::Read {
                path: dir.to_owned(),
                source,
            })?
            .path();
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let stem = name
            .strip_suffix(".sigstore.json")
            .or_else(|| name.strip_suffix(".sigstore"));
        if let Some(stem) = stem.filter(|s| !s.is_empty()) {
            pairs.push((path.clone(), dir.join(stem)));
        }
    }
    if pairs.is_empty() {
        return Err(OpsError::BadInput(format!(
            "{}: no FILE.sigstore.json or FILE.sigstore bundle in this folder",
            dir.display()
        )));
    }
    pairs.sort();
    Ok(crate::util::par_map(&pairs, |(bundle, artifact)| {
        if !artifact.is_file() {
            let mut r = unreadable(
                &prepared,
                bundle,
                String::new(),
                "unknown",
                format!("{}: no such file beside its bundle", artifact.display()),
            );
            r.checks[0].id = "artifact-digest".into();
            r.items[0].checks[0].id = "artifact-digest".into();
            return r;
        }
        let artifact = KeylessArtifact::File(artifact.clone());
        check_one(&prepared, bundle, &artifact).unwrap_or_else(|e| {
            unreadable(&prepared, bundle, String::new(), "unknown", e.to_string())
        })
    }))
}

/// A report of evidence that could not be read at all.
fn unreadable(
    p: &Prepared,
    bundle: &Path,
    artifact_sha256: String,
    container: &str,
    why: String,
) -> KeylessReport {
    let checks = vec![KeylessLine {
        id: "bundle-format".into(),
        outcome: Outcome::Fail,
        detail: why,
    }];
    KeylessReport {
        bundle: bundle.display().to_string(),
        trusted_root: p.root_shown.clone(),
        container: container.into(),
        artifact_sha256,
        thresholds: p.thresholds,
        verified: false,
        checks: checks.clone(),
        signer: None,
        items: vec![KeylessItem {
            label: "file".into(),
            publisher: None,
            signer: None,
            verified: false,
            checks,
        }],
    }
}

fn prepare(req: &KeylessRequest) -> Result<Prepared, OpsError> {
    let root_bytes = match &req.trusted_root {
        RootSource::File(path) => read_capped(path, MAX_FILE)?,
        RootSource::Stored(r) => r.json.clone().into_bytes(),
    };
    let root = TrustedRoot::from_bytes(&root_bytes)
        .map_err(|e| OpsError::BadInput(format!("{}: {e}", req.trusted_root.shown())))?;
    let key = match &req.key {
        Some(path) => Some(crate::verify::load_public_key_file(path)?),
        None => None,
    };
    let identity = match (&req.identity, &req.issuer, &key) {
        (Some(i), Some(s), _) => Some(IdentityPolicy {
            identity: expect(i)?,
            issuer: expect(s)?,
            source_repository: req.source_repository.as_ref().map(expect).transpose()?,
            source_ref: req.source_ref.as_ref().map(expect).transpose()?,
            workflow: req.workflow.as_ref().map(expect).transpose()?,
        }),
        (_, _, Some(_)) => None,
        _ => {
            return Err(OpsError::BadInput(
                "say who must have signed: a certificate identity and an OIDC issuer (exact or as regular expressions), or a managed key".into(),
            ))
        }
    };
    let default = Thresholds::for_root(&root);
    let thresholds = Thresholds {
        tlog: req.thresholds.tlog.unwrap_or(default.tlog),
        sct: req.thresholds.sct.unwrap_or(default.sct),
        timestamp: req.thresholds.timestamp.unwrap_or(default.timestamp),
    };
    let policy = VerifyPolicy {
        identity,
        key: key.clone(),
        tlog_threshold: thresholds.tlog,
        sct_threshold: thresholds.sct,
        timestamp_threshold: thresholds.timestamp,
        now: Timestamp::now(),
    };
    Ok(Prepared {
        root_shown: req.trusted_root.shown(),
        root,
        policy,
        thresholds,
    })
}

/// One file of evidence against its artifact.
fn check_one(
    p: &Prepared,
    bundle_path: &Path,
    artifact: &KeylessArtifact,
) -> Result<KeylessReport, OpsError> {
    let bundle_bytes = read_capped(bundle_path, MAX_FILE)?;
    let evidence = read_evidence(&bundle_bytes);
    // The digests the bundles name: a file is hashed once with every one of them.
    let mut extra: Vec<HashAlg> = Vec::new();
    if let Ok((_, found)) = &evidence {
        for b in found.iter().filter_map(|f| f.bundle.as_ref().ok()) {
            extra.extend(digest_algs(b));
        }
    }
    let artifact: Vec<Digest> = match artifact {
        KeylessArtifact::Digest(d) => vec![d.clone()],
        KeylessArtifact::File(path) => {
            crate::hashing::check_file(path)?;
            let file = std::fs::File::open(path).map_err(|source| OpsError::Read {
                path: path.clone(),
                source,
            })?;
            let set = strongroom_core::digest::hash_reader(file, &extra, &mut |_| {}, None)
                .map_err(|source| OpsError::Read {
                    path: path.clone(),
                    source,
                })?;
            set.iter().cloned().collect()
        }
    };
    let artifact_sha256 = artifact
        .iter()
        .find(|d| d.alg() == HashAlg::Sha256)
        .map(Digest::to_hex)
        .unwrap_or_default();
    let (container, found) = match evidence {
        Ok(e) => e,
        Err(e) => {
            return Ok(unreadable(
                p,
                bundle_path,
                artifact_sha256,
                "unknown",
                e.to_string(),
            ))
        }
    };
    let items: Vec<KeylessItem> = found
        .into_iter()
        .map(|f| {
            let (checks, signer) = match &f.bundle {
                Ok(b) => (
                    verify_keyless(b, &p.root, &artifact, &p.policy)
                        .into_iter()
                        .map(|c| KeylessLine {
                            id: c.id.as_str().into(),
                            outcome: c.outcome,
                            detail: c.detail,
                        })
                        .collect::<Vec<_>>(),
                    signer(b),
                ),
                Err(e) => (
                    vec![KeylessLine {
                        id: "bundle-format".into(),
                        outcome: Outcome::Fail,
                        detail: e.to_string(),
                    }],
                    None,
                ),
            };
            KeylessItem {
                label: f.label,
                publisher: f.publisher,
                signer,
                verified: !checks.is_empty() && checks.iter().all(|c| c.outcome != Outcome::Fail),
                checks,
            }
        })
        .collect();
    let decisive = items.iter().find(|i| i.verified).unwrap_or(&items[0]);
    Ok(KeylessReport {
        bundle: bundle_path.display().to_string(),
        trusted_root: p.root_shown.clone(),
        container: container.as_str().into(),
        artifact_sha256,
        thresholds: p.thresholds,
        verified: decisive.verified,
        checks: decisive.checks.clone(),
        signer: decisive.signer.clone(),
        items,
    })
}

impl crate::Station {
    /// [`verify_keyless_bundle`] for a logged-in operator who may verify releases (the app's
    /// path: every command of the app needs a login).
    pub fn verify_keyless(&self, req: &KeylessRequest) -> Result<KeylessReport, OpsError> {
        self.require(crate::operators::Action::ReleaseVerify)?;
        verify_keyless_bundle(req)
    }
}
