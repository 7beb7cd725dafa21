//! `strongroom verify`: a Sigstore bundle or DSSE envelope against a public key (release
//! bundles go to `release::verify`).

use std::io::Write;
use std::path::PathBuf;

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

pub(super) fn verify(ctx: &Ctx, v: VerifyArgs) -> anyhow::Result<u8> {
    // A FIFO or a device would block the first read (or never end): only regular files are
    // read, and that is checked before anything opens them.
    for f in [&v.file, &v.bundle].into_iter().flatten() {
        match std::fs::metadata(f) {
            Ok(m) if !m.is_file() => {
                return Err(strongroom_ops::OpsError::NotRegularFile(f.clone()).into())
            }
            // Named but not there: exit 3, as docs/cli.md says, whatever else is missing.
            Err(_) => return Err(strongroom_ops::OpsError::MissingFile(f.clone()).into()),
            Ok(_) => {}
        }
    }
    if let (None, Some(f)) = (&v.key, &v.file) {
        if release::is_release_bundle(f) {
            return release::verify(ctx, &v, f);
        }
    }
    let Some(key_arg) = &v.key else {
        anyhow::bail!("give --key KEY to verify a signature (only release bundles need none)");
    };
    let document = match (&v.bundle, &v.file) {
        (Some(b), _) => b.clone(),
        (None, Some(f)) => {
            let mut name = f.as_os_str().to_owned();
            name.push(BUNDLE_SUFFIX);
            PathBuf::from(name)
        }
        (None, None) => anyhow::bail!("give the signed FILE, or --bundle BUNDLE"),
    };
    let (key, station) = verification_key(ctx, key_arg)?;
    let cb = Terminal::new(None, None)?;
    let req = VerifyRequest {
        document,
        key,
        artifact: v.file.clone(),
        expect_type: v.kind.as_deref().map(str::parse).transpose()?,
    };
    let report = match &station {
        Some(station) => station.verify_signature(&req, &cb)?,
        None => verify_signature(&req, &cb)?,
    };
    let dto = VerifyReport::from(&report);
    printed((|| -> anyhow::Result<()> {
        if v.json {
            print_json(&dto)?;
        } else {
            let mut out = std::io::stdout().lock();
            for c in &dto.checks {
                super::write_check(&mut out, c.outcome, c.id, &c.detail)?;
            }
            let what = v
                .file
                .as_ref()
                .map_or("the envelope".to_owned(), |f| f.display().to_string());
            if dto.verified {
                writeln!(out, "VERIFIED: {what}")?;
            } else {
                let n = dto
                    .checks
                    .iter()
                    .filter(|c| c.outcome == strongroom_core::verify::Outcome::Fail)
                    .count();
                writeln!(
                    out,
                    "NOT VERIFIED: {what} ({n} check{} failed)",
                    if n == 1 { "" } else { "s" }
                )?;
            }
        }
        Ok(())
    })())?;
    Ok(if dto.verified {
        exit::OK
    } else {
        exit::VERIFY_FAILED
    })
}
