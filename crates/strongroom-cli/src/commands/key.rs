//! `strongroom key …`: generate, adopt, list, show, export, rotate, retire and revoke keys.

use std::io::Write;

use strongroom_ops::dto::KeyInfo;
use strongroom_ops::{AdoptTokenKey, GenerateKey, GenerateTokenKey, RotateKey, TokenTarget};

use super::{open_station, parse_purpose, print_json, warn_keys, write_output, Ctx};
use crate::cli::{
    BackupArgs, GenerateArgs, KeyCommand, PinArgs, RestoreArgs, RotateArgs, TokenArgs,
};
use crate::exit;
use crate::terminal::Terminal;

pub(super) fn key(ctx: &Ctx, cmd: KeyCommand) -> anyhow::Result<u8> {
    match cmd {
        KeyCommand::Generate(g) => key_generate(ctx, g)?,
        KeyCommand::Show { key, json } => {
            print_key(&open_station(ctx)?.show_key(&key)?, json, "")?;
        }
        KeyCommand::Adopt {
            token,
            object,
            label,
            purpose,
            pin,
            json,
        } => key_adopt(ctx, &token, object, label, &purpose, &pin, json)?,
        KeyCommand::List { json } => key_list(ctx, json)?,
        KeyCommand::Fingerprint { file, json } => {
            let f = strongroom_ops::key_fingerprint(&file)?;
            if json {
                print_json(&f)?;
            } else {
                println!("algorithm:  {}", f.algorithm);
                println!("key id:     {}", f.key_id);
                println!("key id hex: {}", f.key_id_hex);
            }
        }
        KeyCommand::Export { key, output, force } => {
            let station = open_station(ctx)?;
            match output {
                // As every other output: atomic, outside the station, and not over a file
                // without --force.
                Some(path) => station.save_public_key(&key, &path, force)?,
                None => write_output(&ctx.home, station.export_public_key(&key)?.as_bytes(), None)?,
            }
        }
        KeyCommand::Retire { key } => {
            let k = open_station(ctx)?.retire_key(&key)?;
            println!("retired {} ({})", k.label, k.key_id);
        }
        KeyCommand::Rotate(r) => key_rotate(ctx, r)?,
        KeyCommand::Backup(b) => key_backup(ctx, b)?,
        KeyCommand::Restore(r) => key_restore(ctx, r)?,
        KeyCommand::Revoke { key, reason } => {
            let r = open_station(ctx)?.revoke_key(&key, &reason)?;
            println!("revoked {} ({})", r.key.label, r.key.key_id);
            if r.trust_revoked {
                println!(
                    "this station's trust store revokes it too, from now on (signatures made before stand, flagged); other stations learn of it only from a new trust package: `strongroom trust export`, then `trust import` there"
                );
            } else {
                println!(
                    "this station's trust store does not trust it (or had revoked it already), so nothing changed there; a station that trusts it must revoke it in its own trust store (`strongroom trust revoke`) or import a trust package that does"
                );
            }
        }
    }
    Ok(exit::OK)
}

fn key_generate(ctx: &Ctx, g: GenerateArgs) -> anyhow::Result<()> {
    let station = open_station(ctx)?;
    let cb = Terminal::new(
        g.secrets.passphrase_file.as_deref(),
        g.pin.pin_file.as_deref(),
    )?;
    let algorithm = strongroom_ops::parse_algorithm(&g.algorithm)?;
    let purpose = parse_purpose(&g.purpose)?;
    let info = match target(&g.token) {
        Some(target) => station.generate_token_key(
            &GenerateTokenKey {
                target,
                algorithm,
                label: g.label,
                purpose,
                protection: if g.backupable {
                    strongroom_ops::KeyProtection::Backupable
                } else {
                    strongroom_ops::KeyProtection::NeverExtractable
                },
            },
            &cb,
        )?,
        None => station.generate_software_key(
            &GenerateKey {
                label: g.label,
                algorithm,
                purpose,
            },
            &cb,
        )?,
    };
    print_key(&info, g.json, "generated")?;
    warn_keys(&station)
}

fn key_adopt(
    ctx: &Ctx,
    token: &TokenArgs,
    object: String,
    label: String,
    purpose: &str,
    pin: &PinArgs,
    json: bool,
) -> anyhow::Result<()> {
    let station = open_station(ctx)?;
    let cb = Terminal::new(None, pin.pin_file.as_deref())?;
    let info = station.adopt_token_key(
        &AdoptTokenKey {
            target: target(token),
            object,
            label,
            purpose: parse_purpose(purpose)?,
            allow_pin_in_uri: pin.allow_pin_in_uri,
        },
        &cb,
    )?;
    print_key(&info, json, "adopted")?;
    warn_keys(&station)
}

fn key_list(ctx: &Ctx, json: bool) -> anyhow::Result<()> {
    let station = open_station(ctx)?;
    let keys = station.list_keys()?;
    if !json {
        warn_keys(&station)?;
    }
    if json {
        print_json(&keys)?;
    } else if keys.is_empty() {
        println!("no keys yet: create one with `strongroom key generate`");
    } else {
        let rows: Vec<[String; 7]> = keys
            .iter()
            .map(|k| {
                [
                    k.label.clone(),
                    k.purpose.as_str().to_owned(),
                    k.algorithm.to_string(),
                    k.backend.to_string(),
                    k.status.to_string(),
                    k.created.clone(),
                    k.key_id.clone(),
                ]
            })
            .collect();
        let header = [
            "LABEL",
            "PURPOSE",
            "ALGORITHM",
            "BACKEND",
            "STATUS",
            "CREATED",
            "KEY ID",
        ];
        let mut table = Vec::new();
        super::write_table(&mut table, &header, &rows)?;
        let table = String::from_utf8(table).expect("the table is UTF-8");
        let mut lines = table.lines();
        let mut out = std::io::stdout().lock();
        writeln!(out, "{}", lines.next().unwrap_or_default())?;
        // Token keys show their URI on a second line.
        for (line, k) in lines.zip(&keys) {
            writeln!(out, "{line}")?;
            if let Some(uri) = &k.uri {
                writeln!(out, "  {uri}")?;
            }
        }
    }
    Ok(())
}

fn key_backup(ctx: &Ctx, b: BackupArgs) -> anyhow::Result<()> {
    let station = open_station(ctx)?;
    let cb = Terminal::new(
        b.secrets.passphrase_file.as_deref(),
        b.pin.pin_file.as_deref(),
    )?
    .token_admin_pins(b.so_pin_file.as_deref(), None)?;
    let out = station.backup_key(
        &strongroom_ops::backup::BackupKeyRequest {
            key: b.key,
            shares: b.shares,
            threshold: b.threshold,
            custodians: b.custodian,
            output: b.output,
        },
        &cb,
    )?;
    if b.json {
        return print_json(&out);
    }
    println!(
        "backed up {} ({}) as backup {}",
        out.key.label, out.key.key_id, out.backup_id
    );
    println!("backup file: {}", out.backup_file);
    println!(
        "{} shares, any {} of which restore the key; hand each to its custodian, then remove it here:",
        out.share_files.len(),
        out.threshold
    );
    for f in &out.share_files {
        println!("  {f}");
    }
    Ok(())
}

fn key_restore(ctx: &Ctx, r: RestoreArgs) -> anyhow::Result<()> {
    let station = open_station(ctx)?;
    let cb = Terminal::new(None, r.pin.pin_file.as_deref())?
        .separate_new_passphrase(r.new_passphrase_file.as_deref())?;
    let out = station.restore_key(
        &strongroom_ops::backup::RestoreKeyRequest {
            backup: r.backup,
            shares: r.shares,
            target: target(&r.token),
        },
        &cb,
    )?;
    if r.json {
        return print_json(&out);
    }
    let shares: Vec<String> = out.shares.iter().map(u8::to_string).collect();
    println!(
        "restored {} ({}) from backup {} with shares {}{}",
        out.key.label,
        out.key.key_id,
        out.backup_id,
        shares.join(", "),
        if out.replaced {
            "; the inventory's record now points at the restored key"
        } else {
            ""
        }
    );
    Ok(())
}

fn key_rotate(ctx: &Ctx, r: RotateArgs) -> anyhow::Result<()> {
    let RotateArgs {
        key,
        label,
        out,
        secrets,
        new_passphrase_file,
        carry_trust,
        pin,
        json,
    } = r;
    let station = open_station(ctx)?;
    let cb = Terminal::new(secrets.passphrase_file.as_deref(), pin.pin_file.as_deref())?
        .separate_new_passphrase(new_passphrase_file.as_deref())?;
    let r = station.rotate_key(
        &RotateKey {
            key,
            new_label: label,
            out_dir: out,
            carry_trust,
        },
        &cb,
    )?;
    if json {
        print_json(&r)?;
    } else {
        println!("retired {} ({})", r.old.label, r.old.key_id);
        println!("generated {} ({})", r.new.label, r.new.key_id);
        println!("wrote {}", r.public_key);
        println!("wrote {} (signed by {})", r.statement, r.old.label);
        match &r.trusted {
            Some(t) => println!(
                "trusted {} as {} was: purpose {}, holder {}, stages {} (this station; other stations learn of it from a new trust package: `strongroom trust export`)",
                t.name,
                r.old.label,
                t.purpose,
                t.holder,
                if t.stages.is_empty() { "all".to_owned() } else { t.stages.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(",") }
            ),
            None => println!(
                "the trust store does not trust {} yet: add it with `strongroom trust add` (or rotate with --carry-trust)",
                r.new.label
            ),
        }
    }
    Ok(())
}

pub(super) fn target(t: &TokenArgs) -> Option<TokenTarget> {
    let label = t.token.as_ref()?;
    Some(if t.by_serial {
        TokenTarget::serial(label, t.module.clone())
    } else {
        TokenTarget::label(label, t.module.clone())
    })
}

fn print_key(info: &KeyInfo, json: bool, verb: &str) -> anyhow::Result<()> {
    if json {
        return print_json(info);
    }
    let mut out = std::io::stdout().lock();
    if !verb.is_empty() {
        writeln!(out, "{verb} {} key {:?}", info.algorithm, info.label)?;
    }
    writeln!(out, "key id:    {}", info.key_id)?;
    // Bundles name keys by the hex form: both, where a person compares them.
    if let Some(id) = strongroom_core::KeyId::parse(&info.key_id) {
        writeln!(out, "key hex:   {}", id.to_hex())?;
    }
    writeln!(
        out,
        "purpose:   {} (signs {})",
        info.purpose,
        info.purpose.signs()
    )?;
    writeln!(out, "algorithm: {}", info.algorithm)?;
    writeln!(out, "backend:   {}", info.backend)?;
    writeln!(out, "status:    {}", info.status)?;
    writeln!(out, "created:   {}", info.created)?;
    if info.uri.is_none() {
        writeln!(
            out,
            "protection: age-encrypted file under the station; backup-able (`key backup`)"
        )?;
    }
    if let Some(uri) = &info.uri {
        writeln!(out, "uri:       {uri}")?;
        if let Some(a) = &info.attributes {
            writeln!(out, "token:     {} (serial {})", a.token, a.token_serial)?;
            writeln!(out, "protection: {}", a.cka.protection())?;
            for (attr, value) in a.cka.named() {
                writeln!(out, "  {attr:<22} {value}")?;
            }
        }
    }
    Ok(())
}
