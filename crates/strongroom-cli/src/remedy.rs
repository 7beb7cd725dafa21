//! The CLI's words for each remedy ops names: flags, environment variables and commands.

use strongroom_ops::Fix;
use strongroom_ops::Remedy;

/// What to type about a fix a policy rule or a check names.
pub fn fix_hint(fix: Fix) -> &'static str {
    match fix {
        Fix::Sbom => "generate an SBOM with `--sbom auto`, or give one with `--sbom FILE`",
        Fix::Scan => "create the release with `--scan` (import OSV data with `strongroom vulndb import` first)",
        Fix::Provenance => "give CI's build metadata with `--provenance META.json`",
        Fix::Approvals => "collect approvals with `strongroom release approve BUNDLE --key KEY`",
        Fix::Artifacts => "give `--artifacts DIR`, a directory holding the artifacts, to check their bytes",
    }
}

/// `r` in the CLI's words.
pub fn words(r: &Remedy) -> String {
    use Remedy::*;
    let s = |w: &str| w.to_owned();
    match r {
        Plain(w) => w.clone(),
        NameFiles => s("name at least one file"),
        FilesNotFolder => s("name the files inside it (for example dir/*)"),
        ExistingFolder => s("give a directory that exists"),
        ReplaceOutput => s("nothing was written; add --force to replace it"),
        SbomForScan => s("use --sbom auto, or give the artifact's SBOM with --sbom FILE"),
        ImportVulnData => s("import OSV data first (`strongroom vulndb import all.zip`, one file per ecosystem), then create the release again; or leave out --scan"),
        SameNames => s("sign files with the same name into different -o directories"),
        PemPublicKey => s("give the PEM public key (-----BEGIN PUBLIC KEY-----), as `strongroom key export` writes it"),
        VerificationKey => s("give --key a key of this station (`strongroom key list`) or a PEM public key file"),
        ListKeys => s("list keys with `strongroom key list`"),
        GiveNewSecret => s("give the new key's passphrase with --passphrase-file FILE or STRONGROOM_PASSPHRASE for `key generate`, with --new-passphrase-file FILE or STRONGROOM_NEW_PASSPHRASE for `key rotate` (the old key's stays apart), or run on a terminal to be asked twice"),
        GiveSecret => s("give it with --passphrase-file FILE or STRONGROOM_PASSPHRASE, or run on a terminal to be asked"),
        GivePin => s("give it with --pin-file FILE or STRONGROOM_PIN, or run on a terminal to be asked"),
        OtherLabel => s("choose another --label"),
        AllowModule => s("a key custodian can allow it with `strongroom module allow PATH`"),
        InsertToken => s("insert the token, or list the tokens with `strongroom token list`"),
        ReinsertToken => s("reinsert the token and run the command again; nothing was written"),
        ActiveKey => s("choose an active key (key list shows each key's status); signatures it made earlier still verify"),
        TokenKeyChanged => s("the key on the token was replaced or the wrong token is inserted; check `strongroom key show`"),
        ChooseAlgorithm => s("give --algorithm one of: ed25519, ecdsa-p256, ecdsa-p384, rsa-3072, rsa-4096"),
        AgeRecipient => s("give --encrypt-to the recipient's age public key (age1…, as `age-keygen -y IDENTITY` prints it), once per recipient"),
        TrustIssuersFirst => s("if you trust its issuers, add their custodian keys first with `strongroom trust add ISSUER.pem --name NAME --purpose custodian --holder PERSON`; nothing was imported"),
        MoreCustodianSignatures => s("more custodians must sign it: each adds a signature with `strongroom trust countersign PKG --key THEIR-KEY`; nothing was imported"),
        TrustPackageFile => s("give the file that `strongroom trust export` wrote"),
        TrustIssuerKey => s("add the issuers' keys first with `strongroom trust add ISSUER.pem --name NAME --purpose custodian --holder PERSON`"),
        ListTrustedKeys => s("list trusted keys with `strongroom trust list`"),
        ListPolicyModules => s("list the policy modules with `strongroom trust list`"),
        ListTrustRoots => s("list the Sigstore trusted roots with `strongroom trust root list`, or give the path of a trusted_root.json"),
        RevocationStands => s("nothing changed; give an earlier --at to move the revocation earlier"),
        OtherName => s("choose another --name"),
        AlreadyTrusted => s("the key is trusted already; see `strongroom trust list`"),
        NeedsRole { operator, role } => {
            let role = role.map_or("ROLE", |r| r.as_str());
            format!("run it as an operator holding the role (--operator NAME), or ask a custodian to grant it: `strongroom operator grant {operator} {role}`")
        }
        ClaimStation => s("create the first custodian with `strongroom operator init --name NAME`"),
        CreateStation => s("check --home and STRONGROOM_HOME; a new station is made only by `strongroom operator init --name NAME`"),
        LogIn => s("give the operator with --operator NAME (or STRONGROOM_OPERATOR) and the passphrase"),
        CheckLogin => s("check the operator name and passphrase (--operator-passphrase-file, STRONGROOM_OPERATOR_PASSPHRASE or the prompt); it was tried once and recorded"),
        OperatorPassphrase => s("give it with --operator-passphrase-file FILE or STRONGROOM_OPERATOR_PASSPHRASE, or run on a terminal to be asked"),
        SetAuditKey => s("custodians set one (a key of purpose audit, with the quorum's consent) with `strongroom audit key set KEY`; nothing was signed"),
        PolicyFixes(fixes) => {
            let mut named: Vec<&str> = fixes.iter().map(|f| fix_hint(*f)).collect();
            named.dedup();
            if named.is_empty() {
                s("fix what the policy names (see `docs/policy.md`) and run `release create` again; the refusal is in the audit log")
            } else {
                format!(
                    "{}; then run `release create` again (see `docs/policy.md`); the refusal is in the audit log",
                    named.join("; ")
                )
            }
        }
        DoNotApprove => s("do not approve it: ask the release officer for a fresh bundle, and run `strongroom verify` on it to see every check"),
        DoNotExport => s("nothing was written: `strongroom verify BUNDLE` shows every check; collect the missing approvals with `strongroom release approve`, or ask the release officer for a fresh bundle"),
        TrustSigner => s("sign with a key the trust store accepts for this stage (`strongroom trust list`), or have custodians trust this one with `strongroom trust add KEY.pem --name NAME --purpose signer --stages STAGE --holder PERSON`"),
        DecryptBundle => s("give the identity with --identity FILE (an age key file), or --bundle-passphrase-file FILE for a passphrase-encrypted bundle"),
        StationTampered => s("the database was changed outside Strongroom: stop using this station, keep the file as evidence, and compare it with a copy you trust; `strongroom audit list` and `audit export` still work, so the log can be read and kept"),
        CosignerConsent => s("a second custodian must consent: add --cosigner NAME (their passphrase from --cosigner-passphrase-file, STRONGROOM_COSIGNER_PASSPHRASE or the prompt); nothing was changed"),
        RaiseCustodians => s("add or enable another custodian first, or lower the quorum with `strongroom operator quorum N` (which needs the quorum itself)"),
        KeyForPurpose => s("use a key made for this purpose (`strongroom key list` shows each key's purpose), or generate one with --purpose"),
        AdoptWithPurpose => s("record the token key with `strongroom key adopt --object URI --label LABEL --purpose PURPOSE` first"),
        AddOperators => s("log in as a custodian and use `strongroom operator add NAME --roles ROLES`"),
        ListOperators => s("list operators with `strongroom operator list`"),
        SignCheckpoint => s("sign one with `strongroom audit checkpoint`"),
        AuditObjects => s("check the object names (the `manifest:sha256:HEX` that `release create` printed, a bundle or artifact sha256), and run `strongroom audit checkpoint` if the rows are newer than the last checkpoint"),
        RotationIncomplete { old, new, cause } => strongroom_ops::remedy::rotation_incomplete_words(
            old,
            new,
            cause.as_deref().map(words),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every long flag the CLI has, in any subcommand.
    fn flags() -> std::collections::BTreeSet<String> {
        fn walk(cmd: &clap::Command, out: &mut std::collections::BTreeSet<String>) {
            for a in cmd.get_arguments() {
                out.extend(a.get_long().map(|l| format!("--{l}")));
                for alias in a.get_all_aliases().into_iter().flatten() {
                    out.insert(format!("--{alias}"));
                }
            }
            for sub in cmd.get_subcommands() {
                walk(sub, out);
            }
        }
        let mut out = std::collections::BTreeSet::new();
        walk(
            &<crate::cli::Cli as clap::CommandFactory>::command(),
            &mut out,
        );
        out
    }

    /// Every remedy's and every policy fix's words.
    fn hint_texts() -> Vec<String> {
        let mut texts: Vec<String> = Remedy::examples().iter().map(words).collect();
        texts.extend(
            [
                Fix::Sbom,
                Fix::Scan,
                Fix::Provenance,
                Fix::Approvals,
                Fix::Artifacts,
            ]
            .map(|f| fix_hint(f).to_owned()),
        );
        texts
    }

    /// A hint that names a flag names one the CLI has.
    #[test]
    fn every_flag_a_hint_names_exists() {
        let known = flags();
        let texts = hint_texts();
        for text in texts {
            for (i, _) in text.match_indices("--") {
                let flag: String = text[i..]
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '-')
                    .collect();
                // A flag is `--` and a lowercase word (not a PEM line's dashes).
                if flag.len() > 2 && flag[2..].starts_with(|c: char| c.is_ascii_lowercase()) {
                    assert!(
                        known.contains(&flag),
                        "{flag} in {text:?} is no flag of the CLI"
                    );
                }
            }
        }
    }

    /// Every command a hint spells out in backquotes (`strongroom …`) parses as written, with its
    /// placeholders (`KEY.pem`, `NAME`, …) filled in: a hint that left out a required argument
    /// (`trust add ISSUER.pem` without `--name`) sent people to a usage error.
    #[test]
    fn every_command_a_hint_spells_out_parses() {
        use clap::Parser;
        let texts = hint_texts();
        let mut checked = 0;
        for text in &texts {
            for quoted in text.split('`').skip(1).step_by(2) {
                let Some(rest) = quoted.strip_prefix("strongroom ") else {
                    continue;
                };
                let placeholder =
                    |w: &str| w.chars().next().is_some_and(|c| c.is_ascii_uppercase());
                let words: Vec<&str> = rest.split_whitespace().collect();
                // `strongroom key export` alone names a command; with arguments it is one to run.
                let named_only = !words.iter().any(|w| w.starts_with('-') || placeholder(w));
                let args = std::iter::once("strongroom").chain(words.iter().map(|w| match *w {
                    "N" => "2",
                    w if placeholder(w) => "x",
                    w => w,
                }));
                if let Err(e) = crate::cli::Cli::try_parse_from(args) {
                    use clap::error::ErrorKind as K;
                    let mention = matches!(
                        e.kind(),
                        K::MissingRequiredArgument | K::DisplayHelpOnMissingArgumentOrSubcommand
                    );
                    assert!(
                        named_only && mention,
                        "`{quoted}` in {text:?} does not parse: {e}"
                    );
                }
                checked += 1;
            }
        }
        assert!(checked >= 10, "only {checked} commands found in hints");
    }

    #[test]
    fn every_remedy_has_words_and_a_cut_short_rotation_names_its_cause() {
        for r in Remedy::examples() {
            assert!(!words(&r).is_empty(), "{r:?}");
        }
        let r = Remedy::RotationIncomplete {
            old: "old".into(),
            new: "new".into(),
            cause: Some(Box::new(Remedy::ReplaceOutput)),
        };
        assert!(words(&r).contains("add --force"), "{}", words(&r));
    }
}
