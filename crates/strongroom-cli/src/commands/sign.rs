//! `strongroom sign`: files signed into Sigstore bundles.

use strongroom_ops::SignRequest;

use super::{open_station, print_json, Ctx};
use crate::cli::SignArgs;
use crate::exit;
use crate::terminal::Terminal;

pub(super) fn sign(ctx: &Ctx, s: SignArgs) -> anyhow::Result<u8> {
    let station = open_station(ctx)?;
    let cb = Terminal::new(
        s.secrets.passphrase_file.as_deref(),
        s.pin.pin_file.as_deref(),
    )?;
    let signed = station.sign_files(
        &SignRequest {
            allow_pin_in_uri: s.pin.allow_pin_in_uri,
            key: s.key,
            files: s.files,
            images: s.image,
            out_dir: s.output_dir,
            force: s.force,
        },
        &cb,
    )?;
    if s.json {
        print_json(&signed)?;
    } else {
        for f in signed {
            println!("signed {} -> {} ({})", f.artifact, f.bundle, f.form);
        }
    }
    Ok(exit::OK)
}
