//! `strongroom verify`: Sigstore bundles or DSSE envelopes against a public key, one file,
//! several, or a folder `sign` wrote into (release bundles go to `release::verify`).

use std::io::Write;
use std::path::{Path, PathBuf};

use strongroom_ops::dto::VerifyReport;
use strongroom_ops::{verify_signature, Station, VerifyRequest, BUNDLE_SUFFIX};

use super::{home_dir, login, print_json, printed, release, Ctx};
use crate::cli::VerifyArgs;
use crate::exit;
use crate::terminal::Terminal;

/// `--key` for `verify`: the rule (the inventory wins over a file) is ops'; an inventory key is
/// used by a logged-in operator.
fn verification_key(
    ctx: &Ctx,
    key: &str,
) -> anyhow::Result<(strongroom_core::PublicKey, Option<Station>)> {
    let home = home_dir(ctx.home.clone())?;
    Ok(match strongroom_ops::verification_key_source(&home, key)? {
        strongroom_ops::KeySource::Inventory(mut station, key) => {
            login(ctx, &mut station)?;
            let k = station.public_key(&key)?;
            (k, Some(*station))
        }
        strongroom_ops::KeySource::File(k) => (k, None),
    })
}

/// One file to check: the signed file (if any) and its bundle or envelope.
struct Target {
    artifact: Option<PathBuf>,
    document: PathBuf,
}

/// A FIFO or a device would block the first read (or never end): only regular files are read,
/// and that is checked before anything opens them. A folder stands for the signatures in it.
fn check_inputs(v: &VerifyArgs) -> anyhow::Result<()> {
    for f in v.files.iter().chain(&v.bundle) {
        match std::fs::metadata(f) {
            Ok(m) if m.is_dir() && v.bundle.is_none() && v.key.is_some() => {}
            // A release published into an OCI image layout (`strongroom-publish --to-oci-layout`).
            Ok(m) if m.is_dir() && strongroom_ops::release::is_oci_layout(f) => {}
            Ok(m) if !m.is_file() => {
                return Err(strongroom_ops::OpsError::NotRegularFile(f.clone()).into())
            }
            // Named but not there: exit 3, as docs/cli.md says, whatever else is missing.
            Err(_) => return Err(strongroom_ops::OpsError::MissingFile(f.clone()).into()),
            Ok(_) => {}
        }
    }
    Ok(())
}

/// The files and folders named, as (artifact, document) pairs: FILE with FILE.sigstore.json,
/// every FILE.sigstore.json of a folder with its FILE, or `--bundle` alone.
fn targets(v: &VerifyArgs) -> anyhow::Result<Vec<Target>> {
    if let Some(b) = &v.bundle {
        anyhow::ensure!(
            v.files.len() <= 1,
            "--bundle names the signature of one file: give one FILE with it, or leave --bundle out to check FILE.sigstore.json beside each"
        );
        return Ok(vec![Target {
            artifact: v.files.first().cloned(),
            document: b.clone(),
        }]);
    }
    anyhow::ensure!(
        !v.files.is_empty(),
        "give the signed FILE, a folder of signed files, or --bundle BUNDLE"
    );
    let mut out = Vec::new();
    for f in &v.files {
        if f.is_dir() {
            // `sign -o DIR` writes the signatures apart from the files: --artifacts names where
            // the files are (default: beside their signatures).
            let found = signatures_in(f, v.artifacts.as_deref().unwrap_or(f))?;
            anyhow::ensure!(
                !found.is_empty(),
                "{} holds no FILE{BUNDLE_SUFFIX}: give the folder `strongroom sign` wrote into",
                f.display()
            );
            out.extend(found);
        } else {
            let mut name = f.as_os_str().to_owned();
            name.push(BUNDLE_SUFFIX);
            out.push(Target {
                artifact: Some(f.clone()),
                document: PathBuf::from(name),
            });
        }
    }
    Ok(out)
}

/// Every `FILE.sigstore.json` in `dir` (not below it), sorted, each with `artifacts/FILE`.
fn signatures_in(dir: &Path, artifacts: &Path) -> anyhow::Result<Vec<Target>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if let Some(artifact) = name.strip_suffix(BUNDLE_SUFFIX) {
            if !artifact.is_empty() && path.is_file() {
                found.push(Target {
                    artifact: Some(artifacts.join(artifact)),
                    document: path.clone(),
                });
            }
        }
    }
    found.sort_by(|a, b| a.document.cmp(&b.document));
    Ok(found)
}

pub(super) fn verify(ctx: &Ctx, v: VerifyArgs) -> anyhow::Result<u8> {
    if v.trusted_root.is_some() {
        return keyless(ctx, &v);
    }
    check_inputs(&v)?;
    if (v.key.is_none() || v.summary_out.is_some()) && !v.files.is_empty() && v.bundle.is_none() {
        let bundles: Vec<&PathBuf> = v
            .files
            .iter()
            .filter(|f| release::is_release_bundle(f))
            .collect();
        if bundles.len() == v.files.len() {
            return release::verify_all(ctx, &v, &v.files);
        }
    }
    anyhow::ensure!(
        v.summary_out.is_none(),
        "--summary-out summarises the verification of a release bundle (BUNDLE.zip)"
    );
    let Some(key_arg) = &v.key else {
        anyhow::bail!("give --key KEY to verify a signature (only release bundles need none)");
    };
    let targets = targets(&v)?;
    let (key, station) = verification_key(ctx, key_arg)?;
    let cb = Terminal::new(None, None)?;
    let expect_type = v.kind.as_deref().map(str::parse).transpose()?;
    let mut reports = Vec::new();
    for t in &targets {
        // A signature whose file is gone is reported, not a reason to stop the others.
        if let Some(a) = t
            .artifact
            .as_ref()
            .filter(|a| !a.is_file() && targets.len() > 1)
        {
            reports.push((t, Err(format!("{}: no such file", a.display()))));
            continue;
        }
        let req = VerifyRequest {
            document: t.document.clone(),
            key: key.clone(),
            artifact: t.artifact.clone(),
            expect_type: expect_type.clone(),
        };
        let report = match &station {
            Some(station) => station.verify_signature(&req, &cb),
            None => verify_signature(&req, &cb),
        };
        match report {
            Ok(r) => reports.push((t, Ok(VerifyReport::from(&r)))),
            // One file: its error is the command's (exit codes as docs/cli.md says).
            Err(e) if targets.len() == 1 => return Err(e.into()),
            Err(e) => reports.push((t, Err(e.to_string()))),
        }
    }
    let all = reports
        .iter()
        .all(|(_, r)| r.as_ref().is_ok_and(|d| d.verified));
    printed(print_reports(&reports, v.json))?;
    Ok(if all { exit::OK } else { exit::VERIFY_FAILED })
}

/// `verify --trusted-root ROOT … FILE|sha256:HEX`: another client's Sigstore bundle, offline.
fn keyless(ctx: &Ctx, v: &VerifyArgs) -> anyhow::Result<u8> {
    use strongroom_ops::keyless::{
        verify_keyless_bundle, KeylessArtifact, KeylessRequest, Match, ThresholdOverrides,
    };
    let [arg] = v.files.as_slice() else {
        anyhow::bail!("with --trusted-root, give one signed FILE, its digest as sha256:HEX, or a folder of FILE.sigstore.json bundles with their files");
    };
    let arg = arg.to_string_lossy();
    let artifact = KeylessArtifact::parse(&arg)?;
    let bundle = match (&v.bundle, &artifact) {
        (Some(b), _) => b.clone(),
        (None, KeylessArtifact::File(f)) => {
            let mut name = f.as_os_str().to_owned();
            name.push(BUNDLE_SUFFIX);
            PathBuf::from(name)
        }
        (None, KeylessArtifact::Digest(_)) => {
            anyhow::bail!("with a sha256:HEX digest, name the bundle with --bundle BUNDLE")
        }
    };
    let pick = |exact: &Option<String>, re: &Option<String>| match (exact, re) {
        (Some(e), _) => Some(Match::Exact(e.clone())),
        (None, Some(r)) => Some(Match::Regexp(r.clone())),
        (None, None) => None,
    };
    let folder = v.bundle.is_none() && matches!(&artifact, KeylessArtifact::File(f) if f.is_dir());
    let req = KeylessRequest {
        bundle,
        trusted_root: root_source(ctx, &req_root(v))?,
        artifact,
        identity: pick(&v.certificate_identity, &v.certificate_identity_regexp),
        issuer: pick(
            &v.certificate_oidc_issuer,
            &v.certificate_oidc_issuer_regexp,
        ),
        source_repository: v
            .certificate_github_workflow_repository
            .clone()
            .map(Match::Exact),
        source_ref: v.certificate_github_workflow_ref.clone().map(Match::Exact),
        workflow: v.certificate_build_signer_uri.clone().map(Match::Exact),
        key: v.key.as_ref().map(PathBuf::from),
        thresholds: ThresholdOverrides {
            tlog: v.tlog_threshold,
            sct: v.sct_threshold,
            timestamp: v.timestamp_threshold,
        },
    };
    if folder {
        let KeylessArtifact::File(dir) = &req.artifact else {
            unreachable!("a folder is a path")
        };
        return keyless_folder(&req, &dir.clone(), v.json);
    }
    let report = verify_keyless_bundle(&req)?;
    printed((|| -> anyhow::Result<()> {
        if v.json {
            return print_json(&report);
        }
        let mut out = std::io::stdout().lock();
        let several = report.items.len() > 1;
        for item in &report.items {
            if several {
                writeln!(
                    out,
                    "{}: {}",
                    item.label,
                    if item.verified {
                        "verified"
                    } else {
                        "not verified"
                    }
                )?;
            }
            if let Some(p) = &item.publisher {
                writeln!(out, "  publisher: {p}")?;
            }
            if let Some(s) = &item.signer {
                write_signer(&mut out, s)?;
            }
            for c in &item.checks {
                super::write_check(&mut out, c.outcome, &c.id, &c.detail)?;
            }
        }
        let failed = report
            .checks
            .iter()
            .filter(|c| c.outcome == strongroom_core::verify::Outcome::Fail)
            .count();
        let of = if several {
            format!(
                ", {} of {} bundles in the {} file",
                report.items.iter().filter(|i| i.verified).count(),
                report.items.len(),
                report.container
            )
        } else {
            String::new()
        };
        if report.verified {
            writeln!(
                out,
                "VERIFIED: {} (sha256:{}{of})",
                report.bundle, report.artifact_sha256
            )?;
        } else {
            writeln!(
                out,
                "NOT VERIFIED: {} ({failed} check{} failed{of})",
                report.bundle,
                if failed == 1 { "" } else { "s" }
            )?;
        }
        Ok(())
    })())?;
    Ok(if report.verified {
        exit::OK
    } else {
        exit::VERIFY_FAILED
    })
}

/// `verify --trusted-root … DIR`: every `FILE.sigstore.json` (or `FILE.sigstore`) in DIR with
/// its FILE, one line each, failures with the checks that failed.
fn keyless_folder(
    req: &strongroom_ops::keyless::KeylessRequest,
    dir: &Path,
    json: bool,
) -> anyhow::Result<u8> {
    let reports = strongroom_ops::keyless::verify_keyless_folder(req, dir)?;
    let failed = reports.iter().filter(|r| !r.verified).count();
    printed((|| -> anyhow::Result<()> {
        if json {
            return print_json(&reports);
        }
        let mut out = std::io::stdout().lock();
        for r in &reports {
            if r.verified {
                let who = r.signer.as_ref().map_or("", |s| s.identity.as_str());
                writeln!(out, "PASS  {} ({who})", r.bundle)?;
            } else {
                let ids: Vec<&str> = r
                    .checks
                    .iter()
                    .filter(|c| c.outcome == strongroom_core::verify::Outcome::Fail)
                    .map(|c| c.id.as_str())
                    .collect();
                writeln!(out, "FAIL  {} (failed: {})", r.bundle, ids.join(", "))?;
            }
        }
        if failed == 0 {
            writeln!(
                out,
                "VERIFIED: all {} bundles in {}",
                reports.len(),
                dir.display()
            )?;
        } else {
            writeln!(
                out,
                "NOT VERIFIED: {failed} of {} bundles in {} failed",
                reports.len(),
                dir.display()
            )?;
        }
        Ok(())
    })())?;
    Ok(if failed == 0 {
        exit::OK
    } else {
        exit::VERIFY_FAILED
    })
}

/// A file, or (when no such file exists and the argument is a bare name) a root the station
/// trusts by that name.
fn root_source(ctx: &Ctx, arg: &Path) -> anyhow::Result<strongroom_ops::keyless::RootSource> {
    use strongroom_ops::keyless::RootSource;
    let text = arg.as_os_str().to_string_lossy();
    // A missing `trusted_root.json` is a missing file, not a root's name.
    let bare =
        arg.components().count() == 1 && !text.ends_with(".json") && !text.ends_with(".jsonl");
    if arg.exists() || !bare {
        return Ok(RootSource::File(arg.to_owned()));
    }
    let station = super::open_station(ctx)?;
    Ok(RootSource::Stored(
        station.trust_root_json(&arg.to_string_lossy())?,
    ))
}

fn req_root(v: &VerifyArgs) -> PathBuf {
    v.trusted_root.clone().expect("checked by the caller")
}

/// The signer's lines: who, vouched for by which issuer, from which repository and workflow.
fn write_signer(out: &mut impl Write, s: &strongroom_ops::keyless::Signer) -> std::io::Result<()> {
    writeln!(out, "  signer: {}", s.identity)?;
    if let Some(i) = &s.issuer {
        writeln!(out, "  issuer: {i}")?;
    }
    for (what, v) in [
        ("repository", &s.source_repository),
        ("ref", &s.source_ref),
        ("workflow", &s.workflow),
    ] {
        if let Some(v) = v {
            writeln!(out, "  {what}: {v}")?;
        }
    }
    writeln!(
        out,
        "  certificate valid: {} to {}",
        s.not_before, s.not_after
    )
}

fn print_reports(
    reports: &[(&Target, Result<VerifyReport, String>)],
    json: bool,
) -> anyhow::Result<()> {
    let what = |t: &Target| {
        t.artifact
            .as_ref()
            .map_or("the envelope".to_owned(), |f| f.display().to_string())
    };
    if json {
        let values: Vec<serde_json::Value> = reports
            .iter()
            .map(|(t, r)| match r {
                Ok(d) => serde_json::to_value(d).expect("a report serialises"),
                Err(e) => serde_json::json!({
                    "file": what(t), "verified": false, "error": e,
                }),
            })
            .collect();
        return match values.as_slice() {
            [one] => print_json(one),
            _ => print_json(&values),
        };
    }
    let mut out = std::io::stdout().lock();
    for (t, r) in reports {
        let d = match r {
            Ok(d) => d,
            Err(e) => {
                writeln!(out, "NOT VERIFIED: {} ({e})", what(t))?;
                continue;
            }
        };
        for c in &d.checks {
            super::write_check(&mut out, c.outcome, c.id, &c.detail)?;
        }
        if d.verified {
            writeln!(out, "VERIFIED: {}", what(t))?;
        } else {
            let n = d
                .checks
                .iter()
                .filter(|c| c.outcome == strongroom_core::verify::Outcome::Fail)
                .count();
            writeln!(
                out,
                "NOT VERIFIED: {} ({n} check{} failed)",
                what(t),
                if n == 1 { "" } else { "s" }
            )?;
        }
    }
    if reports.len() > 1 {
        let ok = reports
            .iter()
            .filter(|(_, r)| r.as_ref().is_ok_and(|d| d.verified))
            .count();
        writeln!(out, "{ok} of {} verified", reports.len())?;
    }
    Ok(())
}
