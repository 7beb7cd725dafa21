//! `strongroom release create|approve|export|show|extract` and `strongroom verify BUNDLE.zip`:
//! syntax and the thin shell over `strongroom_ops::release`.

use std::io::Write;
use std::path::{Path, PathBuf};
use strongroom_core::verify::Outcome;

use clap::{Args, Subcommand};
use secrecy::SecretString;
use strongroom_ops::release::{
    verify_bundle, ApproveRelease, BundleReport, CreateRelease, ExtractRelease, SbomChoice,
    VerifyBundle,
};
use strongroom_ops::release::{Identity, Recipient};

use super::{open_station, print_json, printed, Ctx};
use crate::cli::{PinArgs, SecretArgs, VerifyArgs};
use crate::exit;
use crate::terminal::{preset, prompt, prompt_new, Terminal};

/// The environment variable holding a bundle's encryption passphrase.
const BUNDLE_PASSPHRASE_ENV: &str = "STRONGROOM_BUNDLE_PASSPHRASE";

#[derive(Debug, Subcommand)]
pub enum ReleaseCommand {
    /// Hash, SBOM, scan, provenance, policy gate, sign and pack artifacts into one bundle.
    Create(CreateArgs),
    /// Add your signature over a bundle's manifest (M-of-N approval).
    Approve(ApproveArgs),
    /// Copy a finished bundle to the folder that leaves the room, optionally age-encrypted.
    Export(ExportArgs),
    /// List what a bundle holds (release, artifacts, documents, keys, approvals), without
    /// verifying it.
    Show(ShowArgs),
    /// Verify a bundle, then copy its SBOMs and attestations out of it.
    Extract(ExtractArgs),
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The bundle.
    #[arg(value_name = "BUNDLE.zip")]
    pub bundle: PathBuf,
    #[command(flatten)]
    pub decrypt: DecryptArgs,
    /// Print the result as JSON (the shape `docs/cli.md` documents).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// The bundle.
    #[arg(value_name = "BUNDLE.zip")]
    pub bundle: PathBuf,
    /// Write the SBOMs (NAME.spdx.json, NAME.cdx.json) into DIR.
    #[arg(long, value_name = "DIR")]
    pub sbom: Option<PathBuf>,
    /// Write the signatures and attestations (Sigstore bundles) and the public keys that verify
    /// them into DIR.
    #[arg(long, value_name = "DIR")]
    pub attestations: Option<PathBuf>,
    /// Verify against this trust package instead of the station's trust store.
    #[arg(long, value_name = "PKG.json")]
    pub trust: Option<PathBuf>,
    /// A directory holding the artifacts, when the bundle does not carry them.
    #[arg(long, value_name = "DIR")]
    pub artifacts: Option<PathBuf>,
    #[command(flatten)]
    pub decrypt: DecryptArgs,
    /// Replace files of the same names.
    #[arg(long)]
    pub force: bool,
    /// Print the result as JSON (the shape `docs/cli.md` documents).
    #[arg(long)]
    pub json: bool,
}

/// How the bundle is encrypted on the way out.
#[derive(Debug, Args)]
pub struct EncryptArgs {
    /// age-encrypt the bundle to this X25519 recipient (age1…); repeat for several.
    #[arg(long = "encrypt-to", value_name = "RECIPIENT")]
    pub encrypt_to: Vec<String>,
    /// age-encrypt the bundle with a passphrase (from --bundle-passphrase-file,
    /// STRONGROOM_BUNDLE_PASSPHRASE or a prompt).
    #[arg(long)]
    pub encrypt_with_passphrase: bool,
}

/// How an encrypted bundle is opened.
#[derive(Debug, Args)]
pub struct DecryptArgs {
    /// An age identity file (AGE-SECRET-KEY-1…) for an encrypted bundle.
    #[arg(long, value_name = "FILE")]
    pub identity: Option<PathBuf>,
    /// Read the bundle's age passphrase from the first line of FILE.
    #[arg(long, value_name = "FILE")]
    pub bundle_passphrase_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The release's name (letters, digits, `.`, `_`, `-`).
    #[arg(long)]
    pub name: String,
    /// The release's version, as its artifacts name it.
    #[arg(long)]
    pub version: String,
    /// dev, test, staging or production.
    #[arg(long)]
    pub stage: strongroom_core::Stage,
    /// The release officer's key: label, key id, or pkcs11: URI.
    #[arg(long)]
    pub key: String,
    /// auto (catalogue each artifact), none, FILE (one artifact) or NAME=FILE; repeatable.
    #[arg(long, value_name = "auto|none|FILE|NAME=FILE", default_value = "auto")]
    pub sbom: Vec<String>,
    /// The format of generated SBOMs: spdx-json or cyclonedx-json.
    #[arg(long, default_value = "spdx-json")]
    pub sbom_format: String,
    /// CI's build metadata (docs/build-meta.md), signed as SLSA provenance.
    #[arg(long, value_name = "META.json")]
    pub provenance: Option<PathBuf>,
    /// Scan each SBOM against the offline vulnerability database.
    #[arg(long)]
    pub scan: bool,
    /// Carry the artifacts themselves in the bundle.
    #[arg(long)]
    pub include_artifacts: bool,
    /// Your own Rego rules (deny/warn), on top of the stage's policy; repeatable.
    #[arg(long, value_name = "FILE.rego")]
    pub policy: Vec<PathBuf>,
    #[command(flatten)]
    pub encrypt: EncryptArgs,
    /// With --encrypt-with-passphrase: read the passphrase from the first line of FILE.
    #[arg(long, value_name = "FILE")]
    pub bundle_passphrase_file: Option<PathBuf>,
    /// Where to write the bundle.
    #[arg(short, long, value_name = "OUT.zip")]
    pub output: PathBuf,
    /// Replace an existing bundle.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub pin: PinArgs,
    #[command(flatten)]
    pub secrets: SecretArgs,
    /// Print the result as JSON (the shape `docs/cli.md` documents).
    #[arg(long)]
    pub json: bool,
    /// A container image to release, as REFERENCE=SOURCE: the registry reference its cosign
    /// signature names (registry.example.com/acme/app), and an OCI image layout folder or a
    /// tarball of one, with :TAG or @sha256:DIGEST to pick one image. The signed subject is
    /// the image's manifest digest; the image is always carried in the bundle. Repeatable.
    #[arg(long, value_name = "REFERENCE=SOURCE")]
    pub image: Vec<strongroom_ops::image::ImageSpec>,
    /// The artifacts.
    #[arg(value_name = "ARTIFACT", required_unless_present = "image")]
    pub artifacts: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ApproveArgs {
    /// The bundle to approve.
    #[arg(value_name = "BUNDLE.zip")]
    pub bundle: PathBuf,
    /// The approver's key: label, key id, or pkcs11: URI.
    #[arg(long)]
    pub key: String,
    /// Write the approved bundle here instead of replacing BUNDLE.zip.
    #[arg(short, long, value_name = "OUT.zip")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub decrypt: DecryptArgs,
    #[command(flatten)]
    pub encrypt: EncryptArgs,
    #[command(flatten)]
    pub pin: PinArgs,
    #[command(flatten)]
    pub secrets: SecretArgs,
    /// Print the result as JSON (the shape `docs/cli.md` documents).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The bundle to export.
    #[arg(value_name = "BUNDLE.zip")]
    pub bundle: PathBuf,
    /// The folder to write it into (for example the removable medium); it must exist.
    #[arg(long, value_name = "DIR")]
    pub to: PathBuf,
    #[command(flatten)]
    pub encrypt: EncryptArgs,
    /// With --encrypt-with-passphrase: read the passphrase from the first line of FILE.
    #[arg(long, value_name = "FILE")]
    pub bundle_passphrase_file: Option<PathBuf>,
    /// Replace a file of the same name in the folder.
    #[arg(long)]
    pub force: bool,
    /// Print the result as JSON (the shape `docs/cli.md` documents).
    #[arg(long)]
    pub json: bool,
}

/// `strongroom release …`
pub(super) fn release(ctx: &Ctx, cmd: ReleaseCommand) -> anyhow::Result<u8> {
    match cmd {
        ReleaseCommand::Create(a) => create(ctx, a),
        ReleaseCommand::Approve(a) => approve(ctx, a),
        ReleaseCommand::Export(a) => export(ctx, a),
        ReleaseCommand::Show(a) => show(&a),
        ReleaseCommand::Extract(a) => extract(ctx, a),
    }
}

fn show(a: &ShowArgs) -> anyhow::Result<u8> {
    let identity = identity(&a.decrypt, &a.bundle)?;
    let c = strongroom_ops::release::release_show(&a.bundle, identity.as_ref())?;
    printed((|| -> anyhow::Result<()> {
        if a.json {
            return print_json(&c);
        }
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "release {} {} ({}), created {}",
            c.name, c.version, c.stage, c.created
        )?;
        writeln!(out, "{}", c.manifest)?;
        writeln!(
            out,
            "file {} (sha256:{}){}",
            c.bundle,
            c.sha256,
            if c.encrypted { ", age-encrypted" } else { "" }
        )?;
        for art in &c.artifacts {
            writeln!(
                out,
                "  {}  {} bytes  sha256:{}{}",
                art.name,
                art.size,
                art.sha256,
                if art.included { "  (carried)" } else { "" }
            )?;
            for d in &art.documents {
                match &d.predicate_type {
                    Some(p) => writeln!(out, "    {}  {}  {p}", d.path, d.role)?,
                    None => writeln!(out, "    {}  {}", d.path, d.role)?,
                }
            }
        }
        writeln!(
            out,
            "{}, {}, audit excerpt: {}",
            super::count(c.keys.len() as u64, "key", "keys"),
            super::count(
                c.approvals as u64,
                "manifest signature (the creator's and the approvers')",
                "manifest signatures (the creator's and the approvers')"
            ),
            if c.audit_excerpt { "yes" } else { "no" }
        )?;
        writeln!(
            out,
            "not verified: `strongroom verify {}` checks every signature and digest",
            c.bundle
        )?;
        Ok(())
    })())?;
    Ok(exit::OK)
}

fn extract(ctx: &Ctx, a: ExtractArgs) -> anyhow::Result<u8> {
    let identity = identity(&a.decrypt, &a.bundle)?;
    let req = ExtractRelease {
        verify: VerifyBundle {
            bundle: a.bundle.clone(),
            artifacts_dir: a.artifacts.clone(),
            identity,
            ..VerifyBundle::default()
        },
        sbom_dir: a.sbom.clone(),
        attestations_dir: a.attestations.clone(),
        force: a.force,
    };
    let cb = Terminal::new(None, None)?;
    let done = match &a.trust {
        Some(pkg) => {
            let trust = strongroom_ops::trust::trust_for_verification(pkg, None)?;
            strongroom_ops::release::release_extract(&req, &trust, &cb)?
        }
        None => open_station(ctx)?.release_extract(&req, &cb)?,
    };
    printed((|| -> anyhow::Result<()> {
        if a.json {
            return print_json(&done);
        }
        for f in &done.files {
            println!("wrote {f}");
        }
        println!(
            "{} of {}, which verified{}",
            super::count(done.files.len() as u64, "file", "files"),
            done.manifest,
            if done.warnings { " with warnings" } else { "" }
        );
        Ok(())
    })())?;
    Ok(exit::OK)
}

fn export(ctx: &Ctx, a: ExportArgs) -> anyhow::Result<u8> {
    let station = open_station(ctx)?;
    let encrypt_to = recipients(&a.encrypt, a.bundle_passphrase_file.as_deref())?;
    let done = station.release_export(&a.bundle, &a.to, &encrypt_to, a.force)?;
    if a.json {
        print_json(&done)?;
    } else {
        println!(
            "exported -> {}{}",
            done.path,
            if done.encrypted {
                " (age-encrypted)"
            } else {
                ""
            }
        );
        println!("sha256:{}", done.sha256);
    }
    Ok(exit::OK)
}

fn create(ctx: &Ctx, a: CreateArgs) -> anyhow::Result<u8> {
    let station = open_station(ctx)?;
    let cb = Terminal::new(
        a.secrets.passphrase_file.as_deref(),
        a.pin.pin_file.as_deref(),
    )?;
    let sbom = sbom_choice(&a.sbom, &a.sbom_format)?;
    let encrypt_to = recipients(&a.encrypt, a.bundle_passphrase_file.as_deref())?;
    let done = station.release_create(
        &CreateRelease {
            name: a.name,
            version: a.version,
            stage: a.stage,
            key: a.key,
            artifacts: a.artifacts,
            images: a.image,
            sbom,
            provenance: a
                .provenance
                .map(strongroom_ops::release::BuildMetaSource::File),
            scan: a.scan,
            include_artifacts: a.include_artifacts,
            policies: a.policy,
            output: a.output,
            force: a.force,
            encrypt_to,
            allow_pin_in_uri: a.pin.allow_pin_in_uri,
        },
        &cb,
    )?;
    if a.json {
        print_json(&done)?;
    } else {
        println!(
            "created {} {} ({}) -> {}{}",
            done.name,
            done.version,
            done.stage,
            done.bundle,
            if done.encrypted {
                " (age-encrypted)"
            } else {
                ""
            }
        );
        for w in &done.policy_warnings {
            println!("policy warning: {}", with_hint(&w.text, w.fix));
        }
        println!("artifacts: {}, entries: {}", done.artifacts, done.entries);
        // The form `audit excerpt` takes, and the audit log's object for this release.
        println!("manifest:sha256:{}", done.manifest_sha256);
        println!("bundle:    sha256:{}", done.bundle_sha256);
        if let Some(p) = &done.publish {
            // For the transfer form: what `strongroom-publish` will push on the connected side.
            println!(
                "to publish: tag {} = {} ({} manifests, {} blobs)",
                p.tag, p.index_digest, p.manifests, p.blobs
            );
            for a in &p.artifacts {
                println!(
                    "  {} {} with {} Sigstore bundle(s)",
                    a.digest, a.name, a.referrers
                );
            }
        }
        if done.approvals_needed > 0 {
            println!(
                "needs {} more distinct approver(s): `strongroom release approve {} --key KEY`",
                done.approvals_needed, done.bundle
            );
        }
    }
    Ok(exit::OK)
}

fn approve(ctx: &Ctx, a: ApproveArgs) -> anyhow::Result<u8> {
    let station = open_station(ctx)?;
    let cb = Terminal::new(
        a.secrets.passphrase_file.as_deref(),
        a.pin.pin_file.as_deref(),
    )?;
    let identity = identity(&a.decrypt, &a.bundle)?;
    // The approved bundle is encrypted again with the passphrase it was opened with.
    let encrypt_to = recipients(&a.encrypt, a.decrypt.bundle_passphrase_file.as_deref())?;
    let done = station.release_approve(
        &ApproveRelease {
            bundle: a.bundle,
            key: a.key,
            output: a.output,
            identity,
            encrypt_to,
            allow_pin_in_uri: a.pin.allow_pin_in_uri,
        },
        &cb,
    )?;
    if a.json {
        print_json(&done)?;
    } else {
        println!("approved as {} -> {}", done.operator, done.bundle);
        println!(
            "distinct approvers: {} of {} required",
            done.distinct_approvers, done.required
        );
    }
    Ok(exit::OK)
}

/// True when `path` should be verified as a release bundle (a zip, or age-encrypted).
pub(super) fn is_release_bundle(path: &Path) -> bool {
    if path.is_dir() && strongroom_ops::release::is_oci_layout(path) {
        return true;
    }
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return false;
    }
    strongroom_ops::release::looks_like_bundle(path).unwrap_or(false)
}

/// `strongroom verify BUNDLE.zip…`: each bundle in turn (the station, or the trust package,
/// opened once); with several, a summary line, or one JSON array.
pub(super) fn verify_all(ctx: &Ctx, v: &VerifyArgs, bundles: &[PathBuf]) -> anyhow::Result<u8> {
    anyhow::ensure!(
        bundles.len() == 1 || (v.report.is_none() && v.summary_out.is_none()),
        "--report and --summary-out are about one bundle: verify the bundles one at a time to get each"
    );
    let trust = match &v.trust {
        // A trust package named on the command line stands on its own: no station needed.
        Some(pkg) => Some(strongroom_ops::trust::trust_for_verification(pkg, None)?),
        None => None,
    };
    // A summary is signed with a key of the station, whichever trust the check used.
    let station = match (&trust, &v.summary_out) {
        (Some(_), None) => None,
        _ => Some(open_station(ctx)?),
    };
    // Outputs refused before anything is verified (and logged): never inside the station.
    if let Some(report) = &v.report {
        strongroom_ops::refuse_inside_station(&super::home_dir(ctx.home.clone())?, report)?;
    }
    if let (Some(out), Some(station)) = (&v.summary_out, &station) {
        station.release_summary_precheck(&summary_request(v, out))?;
    }
    let cb = Terminal::new(None, None)?;
    let mut reports = Vec::new();
    let mut summaries = Vec::new();
    for bundle in bundles {
        let identity = identity(
            &DecryptArgs {
                identity: v.identity.clone(),
                bundle_passphrase_file: v.bundle_passphrase_file.clone(),
            },
            bundle,
        )?;
        let req = VerifyBundle {
            bundle: bundle.to_owned(),
            artifacts_dir: v.artifacts.clone(),
            allow_missing: v.allow_missing,
            policies: v.policy.clone(),
            identity,
        };
        let report = match (&trust, &station) {
            (Some(trust), _) => verify_bundle(&req, trust, &cb),
            (None, Some(station)) => station.release_verify(&req, &cb),
            (None, None) => unreachable!("a station is opened when no trust package is given"),
        };
        match report {
            Ok(report) => {
                if let Some(path) = &v.report {
                    report.save(path, report_format(path))?;
                }
                if let (Some(out), Some(station)) = (&v.summary_out, &station) {
                    summaries.push(summarise(station, &report, v, out)?);
                }
                reports.push((bundle, Ok(report)));
            }
            // One bundle: its error is the command's (exit codes as docs/cli.md says); among
            // several, an unreadable one is a failed one and the others are still checked.
            Err(e) if bundles.len() == 1 => return Err(e.into()),
            Err(e) => reports.push((bundle, Err(e.to_string()))),
        }
    }
    let verified = |r: &Result<BundleReport, String>| r.as_ref().is_ok_and(|r| r.verified);
    printed((|| -> anyhow::Result<()> {
        if v.json {
            let values: Vec<serde_json::Value> = reports
                .iter()
                .map(|(b, r)| match r {
                    Ok(r) => serde_json::to_value(r).expect("a report serialises"),
                    Err(e) => serde_json::json!({
                        "bundle": b.display().to_string(), "verified": false, "error": e,
                    }),
                })
                .collect();
            return match values.as_slice() {
                [one] => print_json(one),
                all => print_json(&all),
            };
        }
        for (b, r) in &reports {
            match r {
                Ok(r) => print_report(r)?,
                Err(e) => println!("NOT VERIFIED: {} ({e})", b.display()),
            }
        }
        for s in &summaries {
            println!(
                "wrote {}: verification summary, {} ({}), signed by {}",
                s.path,
                s.result,
                s.verified_levels.join(", "),
                s.key_id
            );
        }
        if reports.len() > 1 {
            let ok = reports.iter().filter(|(_, r)| verified(r)).count();
            println!("{ok} of {} bundles verified", reports.len());
        }
        Ok(())
    })())?;
    Ok(if reports.iter().all(|(_, r)| verified(r)) {
        exit::OK
    } else {
        exit::VERIFY_FAILED
    })
}

/// `--summary-out FILE --key KEY`: the signed SLSA verification summary of `report`.
fn summarise(
    station: &strongroom_ops::Station,
    report: &BundleReport,
    v: &VerifyArgs,
    out: &Path,
) -> anyhow::Result<strongroom_ops::release::SummaryWritten> {
    let cb = Terminal::new(
        v.secrets.passphrase_file.as_deref(),
        v.pin.pin_file.as_deref(),
    )?;
    Ok(station.release_summary(report, &summary_request(v, out), &cb)?)
}

fn summary_request(v: &VerifyArgs, out: &Path) -> strongroom_ops::release::SummaryRequest {
    strongroom_ops::release::SummaryRequest {
        key: v
            .key
            .clone()
            .expect("clap requires --key with --summary-out"),
        output: out.to_owned(),
        force: v.force,
        allow_pin_in_uri: v.pin.allow_pin_in_uri,
    }
}

/// `--report FILE`: JSON for `FILE.json`, else the printable HTML page.
fn report_format(path: &Path) -> strongroom_ops::release::ReportFormat {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
    {
        strongroom_ops::release::ReportFormat::Json
    } else {
        strongroom_ops::release::ReportFormat::Html
    }
}

fn print_report(report: &BundleReport) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    for c in &report.checks {
        super::write_check(&mut out, c.outcome, c.id, &with_hint(&c.detail, c.fix))?;
    }
    let what = match &report.release {
        Some(r) => format!("{} {} ({})", r.name, r.version, r.stage),
        None => report.bundle.clone(),
    };
    match report.verdict {
        Outcome::Pass | Outcome::Skip => writeln!(out, "VERIFIED: {what}")?,
        Outcome::Warn => writeln!(out, "VERIFIED WITH WARNINGS: {what}")?,
        Outcome::Fail => {
            let n = report
                .checks
                .iter()
                .filter(|c| c.outcome == Outcome::Fail)
                .count();
            writeln!(
                out,
                "NOT VERIFIED: {what} ({n} check{} failed)",
                if n == 1 { "" } else { "s" }
            )?
        }
    }
    Ok(())
}

fn sbom_choice(values: &[String], format: &str) -> anyhow::Result<SbomChoice> {
    let format = format.parse()?;
    match values {
        [one] if one == "auto" => Ok(SbomChoice::Auto(format)),
        [one] if one == "none" => Ok(SbomChoice::None),
        _ => {
            let mut files = Vec::new();
            for v in values {
                if v == "auto" || v == "none" {
                    anyhow::bail!("--sbom {v} cannot be combined with SBOM files");
                }
                match v.split_once('=') {
                    Some((name, file)) => files.push((Some(name.to_owned()), PathBuf::from(file))),
                    None => files.push((None, PathBuf::from(v))),
                }
            }
            Ok(SbomChoice::Files(files))
        }
    }
}

fn recipients(e: &EncryptArgs, passphrase_file: Option<&Path>) -> anyhow::Result<Vec<Recipient>> {
    let mut out = Vec::new();
    for r in &e.encrypt_to {
        out.push(strongroom_ops::release::parse_recipient(r)?);
    }
    if e.encrypt_with_passphrase {
        let p = match preset(passphrase_file, BUNDLE_PASSPHRASE_ENV)? {
            Some(p) => p,
            None => prompt_new("the bundle").ok_or_else(|| {
                anyhow::anyhow!(
                    "the bundle passphrase is needed: set {BUNDLE_PASSPHRASE_ENV} or run on a terminal"
                )
            })?,
        };
        out.push(Recipient::Passphrase(p));
    }
    Ok(out)
}

/// The identity for an encrypted bundle: a file, else a passphrase (file, environment,
/// prompt) — asked for only when the bundle is encrypted.
fn identity(d: &DecryptArgs, bundle: &Path) -> anyhow::Result<Option<Identity>> {
    if let Some(f) = &d.identity {
        return Ok(Some(Identity::File(f.clone())));
    }
    if !strongroom_ops::release::is_encrypted(bundle) {
        return Ok(None);
    }
    let p: Option<SecretString> =
        match preset(d.bundle_passphrase_file.as_deref(), BUNDLE_PASSPHRASE_ENV)? {
            Some(p) => Some(p),
            None => prompt(&format!("Passphrase for {}: ", bundle.display())),
        };
    Ok(p.map(Identity::Passphrase))
}

/// A finding or check, and what to do about it in the CLI's words when it names a fix.
fn with_hint(text: &str, fix: Option<strongroom_ops::Fix>) -> String {
    match fix {
        Some(f) => format!("{text}; {}", crate::remedy::fix_hint(f)),
        None => text.to_owned(),
    }
}
