//! One function per subcommand: build the request, call the operation, print the result.

use std::io::Write;
use std::path::{Path, PathBuf};
use strongroom_core::verify::Outcome;

use anyhow::Context;
use strongroom_ops::dto::KeyInfo;
use strongroom_ops::dto::VerifyReport;
use strongroom_ops::{
    load_public_key_file, verify_signature, AdoptTokenKey, GenerateKey, GenerateTokenKey,
    RotateKey, SignRequest, Station, TokenTarget, VerifyRequest, BUNDLE_SUFFIX,
};

use crate::cli::{
    AttestArgs, AuditCommand, AuditKeyCommand, Cli, Command, KeyCommand, ModuleCommand,
    NewPassphraseArgs, OperatorCommand, ProvenanceArgs, SbomArgs, SbomCommand, ScanArgs, SignArgs,
    TokenArgs, TokenCommand, VerifyArgs, VulndbCommand,
};
use crate::exit;
use crate::terminal::Terminal;

fn home_dir(cli_home: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    match cli_home {
        Some(h) => Ok(h),
        None => Station::default_home()
            .context("no home directory: give --home DIR or set STRONGROOM_HOME"),
    }
}

/// What every command needs from the global options.
pub struct Ctx {
    pub home: Option<PathBuf>,
    /// `--operator`: the account to log in as (default: the login name).
    pub operator: Option<String>,
    /// `--operator-passphrase-file`.
    pub operator_passphrase_file: Option<PathBuf>,
    /// `--cosigner`: custodians who consent to this command's change.
    pub cosigners: Vec<String>,
    /// `--cosigner-passphrase-file`, in `--cosigner` order.
    pub cosigner_passphrase_files: Vec<PathBuf>,
}

impl Ctx {
    fn operator_name(&self) -> String {
        self.operator
            .clone()
            .or_else(|| std::env::var("USER").ok())
            .unwrap_or_else(|| "unknown".into())
    }

    /// The operator's passphrase: `--operator-passphrase-file`, the environment, or a prompt.
    fn operator_passphrase(&self, name: &str) -> anyhow::Result<secrecy::SecretString> {
        match crate::terminal::preset(
            self.operator_passphrase_file.as_deref(),
            crate::terminal::OPERATOR_PASSPHRASE_ENV,
        )? {
            Some(p) => Ok(p),
            None => crate::terminal::prompt(&format!("Passphrase for operator {name:?}: "))
                .ok_or_else(|| {
                    strongroom_ops::OpsError::OperatorPassphraseUnavailable(name.to_owned()).into()
                }),
        }
    }
}

/// Opens the station and, once it has operator accounts, logs in (once per command).
pub(crate) fn open_station(ctx: &Ctx) -> anyhow::Result<Station> {
    let mut station = Station::open(&home_dir(ctx.home.clone())?)?;
    login(ctx, &mut station)?;
    Ok(station)
}

fn login(ctx: &Ctx, station: &mut Station) -> anyhow::Result<()> {
    let name = ctx.operator_name();
    station.set_operator(&name);
    if station.is_claimed()? {
        let passphrase = ctx.operator_passphrase(&name)?;
        station.login(&name, &passphrase)?;
    }
    anyhow::ensure!(
        ctx.cosigner_passphrase_files.len() <= ctx.cosigners.len(),
        "--cosigner-passphrase-file is given {} times for {} --cosigner",
        ctx.cosigner_passphrase_files.len(),
        ctx.cosigners.len()
    );
    for (i, cosigner) in ctx.cosigners.iter().enumerate() {
        let env = (ctx.cosigners.len() == 1).then_some(crate::terminal::COSIGNER_PASSPHRASE_ENV);
        let passphrase = match crate::terminal::preset_opt(
            ctx.cosigner_passphrase_files.get(i).map(PathBuf::as_path),
            env,
        )? {
            Some(p) => p,
            None => crate::terminal::prompt(&format!(
                "Passphrase for custodian {cosigner:?}, who consents to this change: "
            ))
            .ok_or_else(|| {
                strongroom_ops::OpsError::OperatorPassphraseUnavailable(cosigner.clone())
            })?,
        };
        station.add_cosigner(cosigner, &passphrase)?;
    }
    Ok(())
}

/// A new operator passphrase: FILE, STRONGROOM_NEW_OPERATOR_PASSPHRASE, or a prompt (twice).
fn new_passphrase(args: &NewPassphraseArgs, name: &str) -> anyhow::Result<secrecy::SecretString> {
    match crate::terminal::preset(
        args.new_passphrase_file.as_deref(),
        crate::terminal::NEW_OPERATOR_PASSPHRASE_ENV,
    )? {
        Some(p) => Ok(p),
        None => crate::terminal::prompt_new(&format!("operator {name:?}")).ok_or_else(|| {
            strongroom_ops::OpsError::OperatorPassphraseUnavailable(name.to_owned()).into()
        }),
    }
}

/// Treats a closed standard output (`| head`, `| grep -q`) as fine for printing a result whose
/// exit code is already decided, so a failed verdict is never turned into success.
pub(crate) fn printed(r: anyhow::Result<()>) -> anyhow::Result<()> {
    match r {
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            Ok(())
        }
        other => other,
    }
}

/// `items` written out and joined with `sep`.
pub(crate) fn joined<T: std::fmt::Display>(items: &[T], sep: &str) -> String {
    items.iter().map(T::to_string).collect::<Vec<_>>().join(sep)
}

pub(crate) fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    // As an io::Error, so that a closed pipe is recognised as one.
    serde_json::to_writer_pretty(&mut out, value).map_err(std::io::Error::from)?;
    writeln!(out)?;
    Ok(())
}

pub fn run(cli: Cli) -> anyhow::Result<u8> {
    let ctx = Ctx {
        home: cli.home,
        operator: cli.operator,
        operator_passphrase_file: cli.operator_passphrase_file,
        cosigners: cli.cosigner,
        cosigner_passphrase_files: cli.cosigner_passphrase_file,
    };
    match cli.command {
        Command::Key(k) => key(&ctx, k),
        Command::Sign(s) => sign(&ctx, s),
        Command::Verify(v) => verify(&ctx, v),
        Command::Release(r) => crate::release::release(&ctx, r),
        Command::Attest(a) => attest(&ctx, a),
        Command::Sbom(a) => sbom(a),
        Command::Provenance(p) => provenance(p),
        Command::Vulndb(v) => vulndb(&ctx, v),
        Command::Scan(a) => scan(&ctx, a),
        Command::Audit(a) => audit(&ctx, a),
        Command::Operator(o) => operator(&ctx, o),
        Command::Token(t) => token(&ctx, t),
        Command::Module(m) => module(&ctx, m),
        Command::Trust(t) => trust(&ctx, t),
    }
}

fn target(t: &TokenArgs) -> Option<TokenTarget> {
    let label = t.token.as_ref()?;
    Some(if t.by_serial {
        TokenTarget::serial(label, t.module.clone())
    } else {
        TokenTarget::label(label, t.module.clone())
    })
}

/// What a one-custodian station says, loudly.
fn no_quorum_warning() -> String {
    format!("WARNING: {}", strongroom_ops::overview::NO_QUORUM)
}

/// A key's purpose from a flag.
fn parse_purpose(s: &str) -> anyhow::Result<strongroom_core::Purpose> {
    Ok(strongroom_ops::trust::parse_purpose(s)?)
}

/// Prints the station's key warnings (trust-deciding keys sharing a token) to standard error.
fn warn_keys(station: &Station) -> anyhow::Result<()> {
    for w in station.key_warnings()? {
        eprintln!("warning: {w}");
    }
    Ok(())
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
    if let Some(uri) = &info.uri {
        writeln!(out, "uri:       {uri}")?;
        if let Some(a) = &info.attributes {
            writeln!(out, "token:     {} (serial {})", a.token, a.token_serial)?;
            for (attr, value) in a.cka.named() {
                writeln!(out, "  {attr:<22} {value}")?;
            }
        }
    }
    Ok(())
}

fn token(ctx: &Ctx, cmd: TokenCommand) -> anyhow::Result<u8> {
    let TokenCommand::List { module, json } = cmd;
    let modules = open_station(ctx)?.list_tokens(module.as_deref())?;
    if json {
        print_json(&modules)?;
        return Ok(exit::OK);
    }
    let mut out = std::io::stdout().lock();
    if modules.is_empty() {
        writeln!(
            out,
            "no PKCS#11 module is allowed: add one with `strongroom module allow PATH`"
        )?;
    }
    for m in modules {
        writeln!(out, "module {}", m.module)?;
        if m.tokens.is_empty() {
            writeln!(out, "  no tokens")?;
        }
        for t in m.tokens {
            writeln!(
                out,
                "  slot {:<10} {:<20} {} {} serial {}",
                t.slot_id, t.label, t.manufacturer, t.model, t.serial
            )?;
            writeln!(
                out,
                "    login required: {}; PIN: {}",
                t.login_required, t.user_pin
            )?;
            writeln!(out, "    algorithms: {}", joined(&t.algorithms, ", "))?;
            writeln!(out, "    mechanisms: {}", t.mechanisms.join(", "))?;
        }
    }
    Ok(exit::OK)
}

fn module(ctx: &Ctx, cmd: ModuleCommand) -> anyhow::Result<u8> {
    let station = open_station(ctx)?;
    let (list, json) = match cmd {
        ModuleCommand::List { json } => (station.allowed_modules()?, json),
        ModuleCommand::Allow { path } => (station.allow_module(&path)?, false),
        ModuleCommand::Remove { path } => (station.disallow_module(&path)?, false),
    };
    if json {
        print_json(&list)?;
    } else if list.is_empty() {
        println!("no PKCS#11 module is allowed");
    } else {
        for p in list {
            println!("{}", p.display());
        }
    }
    Ok(exit::OK)
}

fn key(ctx: &Ctx, cmd: KeyCommand) -> anyhow::Result<u8> {
    match cmd {
        KeyCommand::Generate(g) => {
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
            warn_keys(&station)?;
        }
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
        } => {
            let station = open_station(ctx)?;
            let cb = Terminal::new(None, pin.pin_file.as_deref())?;
            let target =
                target(&token).context("--token is required: the token that holds the key")?;
            let info = station.adopt_token_key(
                &AdoptTokenKey {
                    target,
                    object,
                    label,
                    purpose: parse_purpose(&purpose)?,
                },
                &cb,
            )?;
            print_key(&info, json, "adopted")?;
            warn_keys(&station)?;
        }
        KeyCommand::List { json } => {
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
                let mut out = std::io::stdout().lock();
                writeln!(
                    out,
                    "{:<24} {:<10} {:<11} {:<9} {:<8} {:<21} KEY ID",
                    "LABEL", "PURPOSE", "ALGORITHM", "BACKEND", "STATUS", "CREATED"
                )?;
                // Token keys show their URI on a second line.
                for k in keys {
                    writeln!(
                        out,
                        "{:<24} {:<10} {:<11} {:<9} {:<8} {:<21} {}",
                        k.label,
                        k.purpose.as_str(),
                        k.algorithm,
                        k.backend,
                        k.status,
                        k.created,
                        k.key_id
                    )?;
                    if let Some(uri) = &k.uri {
                        writeln!(out, "  {uri}")?;
                    }
                }
            }
        }
        KeyCommand::Export { key, output } => {
            let pem = open_station(ctx)?.export_public_key(&key)?;
            write_output(pem.as_bytes(), output.as_deref())?;
        }
        KeyCommand::Retire { key } => {
            let k = open_station(ctx)?.retire_key(&key)?;
            println!("retired {} ({})", k.label, k.key_id);
        }
        KeyCommand::Rotate {
            key,
            label,
            out,
            secrets,
            new_passphrase_file,
            pin,
            json,
        } => {
            let station = open_station(ctx)?;
            let cb = Terminal::new(secrets.passphrase_file.as_deref(), pin.pin_file.as_deref())?
                .separate_new_passphrase(new_passphrase_file.as_deref())?;
            let r = station.rotate_key(
                &RotateKey {
                    key,
                    new_label: label,
                    out_dir: out,
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
            }
        }
        KeyCommand::Revoke { key, reason } => {
            let k = open_station(ctx)?.revoke_key(&key, &reason)?;
            println!("revoked {} ({})", k.label, k.key_id);
        }
    }
    Ok(exit::OK)
}

fn sign(ctx: &Ctx, s: SignArgs) -> anyhow::Result<u8> {
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

/// Writes `bytes` to FILE atomically, or to standard output.
fn write_output(bytes: &[u8], output: Option<&Path>) -> anyhow::Result<()> {
    match output {
        Some(path) => strongroom_ops::write_document(path, bytes)?,
        None => std::io::stdout().lock().write_all(bytes)?,
    }
    Ok(())
}

/// Writes a JSON document (pretty, with a final newline) to FILE or standard output.
fn write_json_output(value: &serde_json::Value, output: Option<&Path>) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    write_output(text.as_bytes(), output)
}

fn sbom(a: SbomArgs) -> anyhow::Result<u8> {
    use strongroom_ops::sbom::{convert_sbom, generate_sbom, validate_sbom};
    match (a.command, a.path) {
        (Some(SbomCommand::Validate { file, json }), _) => {
            let v = validate_sbom(&file)?;
            printed((|| -> anyhow::Result<()> {
                if json {
                    print_json(&v)?;
                } else if v.valid {
                    println!(
                        "valid {} ({} components)",
                        v.kind.as_deref().unwrap_or("SBOM"),
                        v.components.map_or("?".into(), |n| n.to_string())
                    );
                } else {
                    println!(
                        "INVALID {}: {}",
                        file.display(),
                        v.kind.as_deref().unwrap_or("not an SBOM")
                    );
                    for p in &v.problems {
                        println!("  {p}");
                    }
                }
                Ok(())
            })())?;
            Ok(if v.valid {
                exit::OK
            } else {
                exit::VERIFY_FAILED
            })
        }
        (Some(SbomCommand::Convert { file, to, output }), _) => {
            let doc = convert_sbom(&file, to.parse()?)?;
            write_json_output(&doc, output.as_deref())?;
            Ok(exit::OK)
        }
        (None, Some(path)) => {
            let sbom = generate_sbom(&path, a.format.parse()?)?;
            for w in &sbom.warnings {
                eprintln!("warning: {w}");
            }
            write_json_output(&sbom.document, a.output.as_deref())?;
            if a.output.is_some() {
                eprintln!(
                    "{} components in {} (sha256 {})",
                    sbom.components, sbom.subject, sbom.sha256
                );
            }
            Ok(exit::OK)
        }
        (None, None) => anyhow::bail!("give an artifact or directory, or `sbom validate FILE`"),
    }
}

fn audit(ctx: &Ctx, cmd: AuditCommand) -> anyhow::Result<u8> {
    if let AuditCommand::VerifyExcerpt { file, key, json } = &cmd {
        return verify_excerpt(file, key, *json);
    }
    let station = open_station(ctx)?;
    match cmd {
        AuditCommand::Verify { key, since, json } => {
            let pinned = match key {
                Some(k) => Some(audit_public_key(&station, &k)?),
                None => None,
            };
            let witness = since
                .as_deref()
                .map(|w| strongroom_ops::Witness::parse(w, None))
                .transpose()?;
            let report = station.audit_verify_since(pinned.as_ref(), witness.as_ref())?;
            printed((|| -> anyhow::Result<()> {
                if json {
                    print_json(&report)?;
                } else if let Some(p) = &report.problem {
                    println!("BROKEN: {p} ({} rows)", report.rows);
                } else {
                    println!(
                        "intact: {} rows, head {}",
                        report.rows,
                        report.head.as_deref().unwrap_or("(empty)")
                    );
                    match &report.last_checkpoint {
                        Some(c) => println!(
                            "{} checkpoint{} verified, each chained to the one before; the latest covers row {} ({}), signed by {}",
                            report.checkpoints,
                            if report.checkpoints == 1 { "" } else { "s" },
                            c.rows,
                            c.time,
                            c.key_id
                        ),
                        None => println!("no checkpoints yet"),
                    }
                    if let Some(w) = &witness {
                        println!(
                            "the log extends the witnessed checkpoint of row {} ({})",
                            w.rows, w.source
                        );
                    }
                    if report.uncovered > 0 {
                        println!(
                            "{} row{} after the latest checkpoint {} covered by no signature yet: sign a checkpoint (`strongroom audit checkpoint`) to cover them",
                            report.uncovered,
                            if report.uncovered == 1 { "" } else { "s" },
                            if report.uncovered == 1 { "is" } else { "are" }
                        );
                    }
                }
                Ok(())
            })())?;
            Ok(if report.problem.is_some() {
                exit::VERIFY_FAILED
            } else {
                exit::OK
            })
        }
        AuditCommand::List {
            since,
            action,
            json,
        } => {
            let rows = station.audit_list(action.as_deref(), since.as_deref())?;
            if json {
                print_json(&rows)?;
            } else {
                let mut out = std::io::stdout().lock();
                for r in rows {
                    writeln!(
                        out,
                        "{:>6} {} {:<12} {:<16} {:<7} {}",
                        r.seq, r.time, r.operator, r.action, r.outcome, r.object
                    )?;
                }
            }
            Ok(exit::OK)
        }
        AuditCommand::Export { format, output } => {
            anyhow::ensure!(
                format == "jsonl",
                "unknown export format {format:?}: use jsonl"
            );
            write_output(station.audit_jsonl()?.as_bytes(), output.as_deref())?;
            Ok(exit::OK)
        }
        AuditCommand::Checkpoint {
            key,
            secrets,
            pin,
            json,
        } => {
            let cb = Terminal::new(secrets.passphrase_file.as_deref(), pin.pin_file.as_deref())?;
            let c = station.audit_checkpoint(key.as_deref(), &cb)?;
            if json {
                print_json(&c)?;
            } else {
                println!(
                    "checkpoint {}: row {} head {} signed by {}",
                    c.id, c.rows, c.head, c.key_id
                );
                println!(
                    "witness (keep it outside the station; `audit verify --since` checks the log still extends it): {}:{}",
                    c.rows, c.head
                );
            }
            Ok(exit::OK)
        }
        AuditCommand::Key(AuditKeyCommand::Set { key, secret_file }) => {
            station.set_audit_key(&key, secret_file.as_deref())?;
            println!("audit checkpoints are signed with {key}");
            warn_keys(&station)?;
            Ok(exit::OK)
        }
        AuditCommand::Key(AuditKeyCommand::Show) => {
            match station.audit_key()? {
                Some(k) => println!("{k}"),
                None => println!("no audit key: set one with `strongroom audit key set KEY`"),
            }
            Ok(exit::OK)
        }
        AuditCommand::Excerpt { objects, output } => {
            let objects: Vec<&str> = objects.iter().map(String::as_str).collect();
            let excerpt = station.audit_excerpt(&objects)?;
            write_json_output(&serde_json::to_value(&excerpt)?, output.as_deref())?;
            Ok(exit::OK)
        }
        AuditCommand::VerifyExcerpt { .. } => unreachable!("handled before opening the station"),
    }
}

/// `audit verify --key`: a PEM file, or an inventory key of this station.
fn audit_public_key(station: &Station, key: &str) -> anyhow::Result<strongroom_core::PublicKey> {
    if station.has_key(key)? {
        return Ok(station.public_key(key)?);
    }
    Ok(load_public_key_file(Path::new(key))?)
}

/// `audit verify-excerpt`: stateless, like `verify` with a key file.
fn verify_excerpt(file: &Path, key: &Path, json: bool) -> anyhow::Result<u8> {
    let (excerpt, result) = strongroom_ops::verify_excerpt_file(file, key)?;
    printed((|| -> anyhow::Result<()> {
        match (&result, json) {
            (Ok(r), true) => print_json(&serde_json::json!({"verified": true, "report": r}))?,
            (Err(e), true) => {
                print_json(&serde_json::json!({"verified": false, "error": e.to_string()}))?
            }
            (Ok(r), false) => {
                let mut out = std::io::stdout().lock();
                for row in &r.rows {
                    writeln!(
                        out,
                        "{:>6} {} {:<12} {:<16} {:<7} {}",
                        row.seq, row.time, row.operator, row.action, row.outcome, row.object
                    )?;
                }
                writeln!(
                    out,
                    "VERIFIED: {} rows (and {} linked) are in the chain that station {} signed at row {} ({}) with key {}",
                    r.rows.len(),
                    r.links,
                    r.checkpoint.station,
                    r.checkpoint.rows,
                    r.checkpoint.time,
                    r.key_id
                )?;
                if excerpt.later_rows > 0 {
                    writeln!(
                        out,
                        "note: {} later rows about these objects are not covered by this checkpoint",
                        excerpt.later_rows
                    )?;
                }
            }
            (Err(e), false) => println!("NOT VERIFIED: {e}"),
        }
        Ok(())
    })())?;
    Ok(if result.is_ok() {
        exit::OK
    } else {
        exit::VERIFY_FAILED
    })
}

fn operator(ctx: &Ctx, cmd: OperatorCommand) -> anyhow::Result<u8> {
    if let OperatorCommand::Init { name, roles } = &cmd {
        let mut station = Station::open(&home_dir(ctx.home.clone())?)?;
        station.set_operator(name);
        let extra = match roles {
            Some(r) => strongroom_ops::Role::parse_list(r)?,
            None => Vec::new(),
        };
        station.check_unclaimed()?;
        let passphrase = match crate::terminal::preset(
            ctx.operator_passphrase_file.as_deref(),
            crate::terminal::OPERATOR_PASSPHRASE_ENV,
        )? {
            Some(p) => p,
            None => {
                crate::terminal::prompt_new(&format!("operator {name:?}")).ok_or_else(|| {
                    strongroom_ops::OpsError::OperatorPassphraseUnavailable(name.clone())
                })?
            }
        };
        let info = station.init_operator(name, &extra, &passphrase)?;
        println!(
            "station claimed: operator {:?} with roles {}",
            info.name,
            role_list(&info.roles)
        );
        eprintln!("{}", no_quorum_warning());
        return Ok(exit::OK);
    }
    let station = open_station(ctx)?;
    let info = match cmd {
        OperatorCommand::Init { .. } => unreachable!("handled above"),
        OperatorCommand::List { json } => {
            let ops = station.list_operators()?;
            if json {
                print_json(&ops)?;
            } else {
                let mut out = std::io::stdout().lock();
                writeln!(
                    out,
                    "{:<20} {:<40} {:<9} {:<21} CREATED BY",
                    "NAME", "ROLES", "STATUS", "CREATED"
                )?;
                for o in ops {
                    writeln!(
                        out,
                        "{:<20} {:<40} {:<9} {:<21} {}",
                        o.name,
                        role_list(&o.roles),
                        if o.disabled { "disabled" } else { "enabled" },
                        o.created_at,
                        o.created_by
                    )?;
                }
            }
            return Ok(exit::OK);
        }
        OperatorCommand::Add { name, roles, new } => {
            let roles = strongroom_ops::Role::parse_list(&roles)?;
            let passphrase = new_passphrase(&new, &name)?;
            station.add_operator(&name, &roles, &passphrase)?
        }
        OperatorCommand::Passwd { name, new } => {
            let who = name
                .clone()
                .unwrap_or_else(|| station.operator().to_owned());
            let passphrase = new_passphrase(&new, &who)?;
            station.change_operator_passphrase(name.as_deref(), &passphrase)?
        }
        OperatorCommand::Quorum { quorum } => {
            if let Some(q) = quorum {
                station.set_quorum(q)?;
            }
            let (q, custodians) = station.quorum();
            println!(
                "custodian quorum: {q} of {custodians} enabled custodian{}",
                if custodians == 1 { "" } else { "s" }
            );
            if q < 2 {
                eprintln!("{}", no_quorum_warning());
            }
            return Ok(exit::OK);
        }
        OperatorCommand::Disable { name } => station.set_operator_disabled(&name, true)?,
        OperatorCommand::Enable { name } => station.set_operator_disabled(&name, false)?,
        OperatorCommand::Grant { name, roles } => {
            station.grant_roles(&name, &strongroom_ops::Role::parse_list(&roles)?)?
        }
        OperatorCommand::Revoke { name, roles } => {
            station.revoke_roles(&name, &strongroom_ops::Role::parse_list(&roles)?)?
        }
    };
    println!(
        "operator {:?}: roles {}{}",
        info.name,
        role_list(&info.roles),
        if info.disabled { " (disabled)" } else { "" }
    );
    Ok(exit::OK)
}

fn role_list(roles: &[strongroom_ops::Role]) -> String {
    if roles.is_empty() {
        return "none".into();
    }
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

fn vulndb(ctx: &Ctx, cmd: VulndbCommand) -> anyhow::Result<u8> {
    let station = open_station(ctx)?;
    match cmd {
        VulndbCommand::Import { files, json } => {
            let cb = Terminal::new(None, None)?;
            let reports = station.import_vulndb(&files, &cb)?;
            if json {
                print_json(&reports)?;
            } else {
                for r in reports {
                    println!(
                        "{}: {} records: {} new, {} updated, {} unchanged, {} withdrawn skipped, {} rejected",
                        r.file, r.records_total, r.imported, r.updated, r.unchanged, r.skipped_withdrawn, r.rejected
                    );
                    for (eco, n) in &r.ecosystems {
                        println!("  {eco}: {n}");
                    }
                    if !r.unknown_ecosystems.is_empty() {
                        println!(
                            "  kept, but no version ordering for: {}",
                            r.unknown_ecosystems.join(", ")
                        );
                    }
                    for w in &r.warnings {
                        eprintln!("warning: {w}");
                    }
                }
            }
        }
        VulndbCommand::Status { json } => {
            let st = station.vulndb_status()?;
            if json {
                print_json(&st)?;
            } else {
                println!("{} records", st.records);
                for (eco, n) in &st.ecosystems {
                    println!("  {eco:<20} {n}");
                }
                match (&st.snapshot, st.snapshot_age_days) {
                    (Some(s), Some(age)) => println!("snapshot {s} ({age} days old)"),
                    _ => println!("no data imported"),
                }
            }
            if st.stale {
                eprintln!(
                    "warning: the vulnerability data is missing or older than {} days; import newer OSV files",
                    st.max_age_days
                );
            }
        }
        VulndbCommand::MaxAge { days } => {
            station.set_vulndb_max_age_days(days)?;
            println!("the vulnerability snapshot is stale after {days} days");
        }
    }
    Ok(exit::OK)
}

fn scan(ctx: &Ctx, a: ScanArgs) -> anyhow::Result<u8> {
    let station = open_station(ctx)?;
    let cb = Terminal::new(None, None)?;
    let report = station.scan(
        &strongroom_ops::vulns::ScanRequest {
            input: a.input,
            fail_on: a
                .fail_on
                .as_deref()
                .map(strongroom_ops::vulns::parse_level)
                .transpose()?,
        },
        &cb,
    )?;
    if let Some(path) = &a.predicate_out {
        write_json_output(&report.predicate, Some(path))?;
    }
    printed((|| -> anyhow::Result<()> {
        if a.json {
            print_json(&report)?;
        } else {
            let mut out = std::io::stdout().lock();
            for f in &report.findings {
                let sev =
                    f.severity
                        .as_ref()
                        .map_or("unknown".to_owned(), |s| match s.cvss_score {
                            Some(score) => format!("{} {score:.1}", s.level),
                            None => s.level.to_string(),
                        });
                writeln!(
                    out,
                    "{:<20} {:<14} {} {} ({})",
                    f.id, sev, f.package.name, f.package.version, f.package.ecosystem
                )?;
                if !f.aliases.is_empty() {
                    writeln!(out, "    aliases: {}", f.aliases.join(", "))?;
                }
                writeln!(out, "    affected: {}", f.affected_ranges)?;
                if !f.fixed_versions.is_empty() {
                    writeln!(out, "    fixed in: {}", f.fixed_versions.join(", "))?;
                }
                if let Some(found) = &f.package.found_in {
                    writeln!(out, "    found in: {found}")?;
                }
            }
            let counts: Vec<String> = report
                .counts
                .iter()
                .map(|(k, v)| format!("{v} {k}"))
                .collect();
            writeln!(
                out,
                "{} findings in {} components{}",
                report.findings.len(),
                report.components,
                if counts.is_empty() {
                    String::new()
                } else {
                    format!(": {}", counts.join(", "))
                }
            )?;
        }
        Ok(())
    })())?;
    Ok(if report.failed {
        exit::VERIFY_FAILED
    } else {
        exit::OK
    })
}

fn provenance(p: ProvenanceArgs) -> anyhow::Result<u8> {
    let cb = Terminal::new(None, None)?;
    let statement = strongroom_ops::sbom::build_provenance(
        &strongroom_ops::sbom::ProvenanceRequest {
            build_meta: p.build_meta,
            artifacts: p.artifacts,
        },
        &cb,
    )?;
    write_json_output(&statement, p.output.as_deref())?;
    Ok(exit::OK)
}

fn attest(ctx: &Ctx, a: AttestArgs) -> anyhow::Result<u8> {
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

fn verify(ctx: &Ctx, v: VerifyArgs) -> anyhow::Result<u8> {
    // A FIFO or a device would block the first read (or never end): only regular files are
    // read, and that is checked before anything opens them.
    for f in [&v.file, &v.bundle].into_iter().flatten() {
        if std::fs::metadata(f).is_ok_and(|m| !m.is_file()) {
            return Err(strongroom_ops::OpsError::NotRegularFile(f.clone()).into());
        }
    }
    if let (None, Some(f)) = (&v.key, &v.file) {
        if crate::release::is_release_bundle(f) {
            return crate::release::verify(ctx, &v, f);
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
                writeln!(
                    out,
                    "{:<5} {:<17} {}",
                    c.outcome.as_str().to_uppercase(),
                    c.id,
                    c.detail
                )?;
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
                    .filter(|c| c.outcome == Outcome::Fail)
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

fn trust(ctx: &Ctx, cmd: crate::cli::TrustCommand) -> anyhow::Result<u8> {
    use crate::cli::{TrustCommand, TrustPolicyCommand};
    use strongroom_ops::trust::{TrustAdd, TrustExport, TrustPolicyInfo};
    let time = |s: Option<String>| {
        s.as_deref()
            .map(strongroom_ops::trust::parse_time)
            .transpose()
    };
    let print_policy = |p: &TrustPolicyInfo| -> anyhow::Result<()> {
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "policy modules: {}",
            if p.policy_modules.is_empty() {
                "(none)".to_owned()
            } else {
                p.policy_modules.join(", ")
            }
        )?;
        writeln!(out, "policy data: {}", p.policy_data)?;
        Ok(())
    };
    let station = open_station(ctx)?;
    match cmd {
        TrustCommand::Add {
            pem,
            name,
            stages,
            purpose,
            holder,
            not_before,
            not_after,
            json,
        } => {
            let info = station.trust_add(&TrustAdd {
                pem_path: pem,
                name,
                stages: strongroom_ops::trust::parse_stages(stages.as_deref().unwrap_or(""))?,
                purpose: parse_purpose(&purpose)?,
                holder,
                not_before: time(not_before)?,
                not_after: time(not_after)?,
            })?;
            if json {
                print_json(&info)?;
            } else {
                println!(
                    "trusted {:?} ({}), held by {}, to sign {} for {}",
                    info.name,
                    info.key_id,
                    info.holder,
                    info.purpose.signs(),
                    if info.stages.is_empty() {
                        "every stage".to_owned()
                    } else {
                        joined(&info.stages, ", ")
                    }
                );
            }
        }
        TrustCommand::Revoke {
            key,
            at,
            reason,
            json,
        } => {
            let r = station.trust_revoke(&key, time(at)?, &reason)?;
            if json {
                print_json(&r)?;
            } else {
                println!(
                    "revoked {:?} ({}) as of {}: {}",
                    r.name.as_deref().unwrap_or("?"),
                    r.key_id,
                    r.revoked_at,
                    r.reason
                );
            }
        }
        TrustCommand::List { json } => {
            let list = station.trust_list()?;
            if json {
                print_json(&list)?;
                return Ok(exit::OK);
            }
            let mut out = std::io::stdout().lock();
            if list.keys.is_empty() {
                writeln!(
                    out,
                    "no trusted keys: add one with `strongroom trust add PUB.pem --name NAME`"
                )?;
            } else {
                writeln!(
                    out,
                    "{:<20} {:<10} {:<16} {:<16} {:<13} {:<44} KEY ID",
                    "NAME", "PURPOSE", "HOLDER", "STAGES", "STATE", "VALID"
                )?;
                for k in &list.keys {
                    let stages = if k.stages.is_empty() {
                        "all".to_owned()
                    } else {
                        joined(&k.stages, ",")
                    };
                    let valid = format!(
                        "{}..{}",
                        k.not_before.as_deref().unwrap_or(""),
                        k.not_after.as_deref().unwrap_or("")
                    );
                    writeln!(
                        out,
                        "{:<20} {:<10} {:<16} {:<16} {:<13} {:<44} {}",
                        k.name,
                        k.purpose.as_str(),
                        k.holder,
                        stages,
                        k.state,
                        valid,
                        k.key_id
                    )?;
                }
            }
            for r in &list.revocations {
                writeln!(
                    out,
                    "revoked: {} ({}) as of {}: {}",
                    r.name.as_deref().unwrap_or("unknown key"),
                    r.key_id,
                    r.revoked_at,
                    r.reason
                )?;
            }
            drop(out);
            print_policy(&TrustPolicyInfo {
                policy_modules: list.policy_modules,
                policy_data: list.policy_data,
            })?;
        }
        TrustCommand::Export {
            key,
            output,
            force,
            partial,
            secrets,
            pin,
            json,
        } => {
            let cb = Terminal::new(secrets.passphrase_file.as_deref(), pin.pin_file.as_deref())?;
            let done = station.trust_export(
                &TrustExport {
                    keys: key,
                    output,
                    force,
                    allow_pin_in_uri: pin.allow_pin_in_uri,
                    partial,
                },
                &cb,
            )?;
            if json {
                print_json(&done)?;
            } else {
                println!(
                    "wrote {} ({} keys, {} revocations, {} policy modules), signed by {} custodian(s) ({}), threshold {}, sha256 {}",
                    done.path,
                    done.keys,
                    done.revocations,
                    done.policy_modules,
                    done.holders.len(),
                    done.holders.join(", "),
                    done.threshold,
                    done.sha256
                );
            }
            if (done.holders.len() as u32) < done.threshold {
                eprintln!(
                    "note: {} more custodian(s) must countersign it (`strongroom trust countersign {} --key THEIR-KEY`) before any station imports it",
                    done.threshold - done.holders.len() as u32,
                    done.path
                );
            }
        }
        TrustCommand::Countersign {
            file,
            key,
            secrets,
            pin,
        } => {
            let cb = Terminal::new(secrets.passphrase_file.as_deref(), pin.pin_file.as_deref())?;
            let signers = station.trust_countersign(&file, &key, pin.allow_pin_in_uri, &cb)?;
            println!(
                "signed {}: it now carries {} signature(s)",
                file.display(),
                signers.len()
            );
        }
        TrustCommand::Import { file, json } => {
            let done = station.trust_import(&file)?;
            if json {
                print_json(&done)?;
            } else {
                println!(
                    "imported trust from {} issued {} by {:?}, signed by {} custodian(s) ({}): {} keys, {} revocations ({} kept from this station), {} policy modules; the next package needs {} custodian(s)",
                    file.display(),
                    done.issued_at,
                    done.issuer,
                    done.holders.len(),
                    done.holders.join(", "),
                    done.keys,
                    done.revocations,
                    done.kept_revocations,
                    done.policy_modules,
                    done.threshold
                );
            }
        }
        TrustCommand::Policy(TrustPolicyCommand::Add { file }) => {
            print_policy(&station.trust_policy_add(&file)?)?;
        }
        TrustCommand::Policy(TrustPolicyCommand::Remove { name }) => {
            print_policy(&station.trust_policy_remove(&name)?)?;
        }
        TrustCommand::Data { file } => {
            print_policy(&station.trust_data_set(&file)?)?;
        }
    }
    Ok(exit::OK)
}
