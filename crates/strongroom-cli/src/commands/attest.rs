//! `strongroom attest`: a predicate about artifacts signed as an in-toto attestation.

use super::{open_station, print_json, Ctx};
use crate::cli::AttestArgs;
use crate::exit;
use crate::terminal::Terminal;

pub(super) fn attest(ctx: &Ctx, a: AttestArgs) -> anyhow::Result<u8> {
    let station = open_station(ctx)?;
    let cb = Terminal::new(
        a.secrets.passphrase_file.as_deref(),
        a.pin.pin_file.as_deref(),
    )?;
    let done = station.attest(
        &strongroom_ops::attest::AttestRequest {
            key: a.key,
            kind: a.kind.parse()?,
            predicate: a.predicate,
            artifacts: a.artifacts,
            output: a.output,
            force: a.force,
            allow_pin_in_uri: a.pin.allow_pin_in_uri,
        },
        &cb,
    )?;
    if a.json {
        print_json(&done)?;
    } else {
        println!("attested {} -> {}", done.predicate_type, done.bundle);
        for (name, sha256) in &done.subjects {
            println!("  subject {name} sha256:{sha256}");
        }
    }
    Ok(exit::OK)
}
