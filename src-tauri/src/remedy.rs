//! The app's words for each remedy ops names: its screens, buttons and dialogs, never a flag or a
//! command (most of its users never open a terminal).

use strongroom_ops::Remedy;

/// `r` in the app's words.
pub fn words(r: &Remedy) -> String {
    use Remedy::*;
    let s = |w: &str| w.to_owned();
    match r {
        Plain(w) => w.clone(),
        NameFiles => s("add at least one file"),
        FilesNotFolder => s("add the files inside it, not the folder"),
        ExistingFolder => s("choose a folder that exists"),
        ReplaceOutput => s("nothing was written; choose another file name or folder, or confirm that it may be replaced"),
        SbomForScan => s("choose Generate or give the artifact's SBOM file in the SBOM step, or turn scanning off"),
        ImportVulnData => s("import an OSV vulnerability snapshot under Settings first, or turn scanning off"),
        SameNames => s("two of the files have the same name: sign them in separate releases"),
        PemPublicKey => s("give the PEM public key (-----BEGIN PUBLIC KEY-----), as Export public key on the Keys screen saves it"),
        VerificationKey => s("choose a key of this station, or a PEM public key file"),
        ListKeys => s("the Keys screen lists this station's keys"),
        GiveSecret => s("type it in the dialog that asks for it"),
        GiveNewSecret => s("type a passphrase for the new key, twice, in the dialog that asks for it"),
        GivePin => s("type the token's PIN in the dialog that asks for it"),
        OtherLabel => s("choose another label"),
        AllowModule => s("a key custodian can allow it under Settings, Allowed PKCS#11 modules"),
        InsertToken => s("insert the token; Keys, Tokens and slots lists the tokens present"),
        ReinsertToken => s("reinsert the token and try again; nothing was written"),
        ActiveKey => s("choose an active key (the Keys screen shows each key's status); signatures it made earlier still verify"),
        TokenKeyChanged => s("the key on the token was replaced or the wrong token is inserted; compare the token with the key's details on the Keys screen"),
        ChooseAlgorithm => s("choose one of the algorithms offered: Ed25519, ECDSA P-256 or P-384, RSA 3072 or 4096"),
        AgeRecipient => s("paste the recipient's age public key: one line starting with age1"),
        TrustIssuersFirst => s("if you trust its issuers, first trust their keys with the custodian purpose (Trust, Trust a key from a PEM file); nothing was imported"),
        MoreCustodianSignatures => s("more custodians must sign it on their station; nothing was imported"),
        TrustPackageFile => s("give the file that the issuing station wrote with Export a signed trust package"),
        TrustIssuerKey => s("first trust the issuer's key with the custodian role (Trust, Trust a key from a PEM file)"),
        ListTrustedKeys => s("the Trust screen lists the trusted keys"),
        ListPolicyModules => s("the Trust screen lists the policy modules"),
        ListTrustRoots => s("the Trust screen lists the Sigstore trusted roots; or pick a trusted_root.json file"),
        RevocationStands => s("nothing changed; the revocation stands as it was"),
        OtherName => s("choose another name"),
        AlreadyTrusted => s("the key is trusted already; the Trust screen lists it"),
        NeedsRole { operator, role } => {
            let role = role.map_or("ROLE", |r| r.as_str());
            format!("log out and in again as an operator holding the role {role}, or ask a custodian to grant it to {operator}")
        }
        ClaimStation => s("claim the station first: the login screen offers it while no operator exists"),
        CreateStation => s("start Strongroom with the data directory of your station, or claim a new station on the login screen"),
        LogIn => s("log in first"),
        CheckLogin => s("check the operator name and passphrase; the failed try was recorded"),
        OperatorPassphrase => s("type the operator's passphrase"),
        SetAuditKey => s("custodians set one under Settings, Audit key (a key of purpose audit, with the quorum's consent); nothing was signed"),
        PolicyFixes(_) => s("fix what the policy names (see docs/policy.md) and sign again; the refusal is in the audit log"),
        DoNotApprove => s("do not approve it: ask the release officer for a fresh bundle, and open it on the Verify screen to see every check"),
        DoNotExport => s("nothing was written: open the bundle on the Verify screen to see every check; collect the missing approvals, or ask the release officer for a fresh bundle"),
        TrustSigner => s("choose a key the Trust screen lists as a signer for this stage, or have custodians trust this one there first"),
        DecryptBundle => s("give the age identity file of a recipient it was encrypted to, or tick \"The bundle is encrypted with a passphrase\", and verify again"),
        StationTampered => s("the database was changed outside Strongroom: stop using this station, keep the file as evidence, and compare it with a copy you trust; the Audit screen still works"),
        CosignerConsent => s("a second custodian must consent: choose Add a custodian's consent and have them type their passphrase; nothing was changed"),
        RaiseCustodians => s("add or enable another custodian first, or lower the custodian quorum under Settings (which needs the quorum itself)"),
        KeyForPurpose => s("choose a key made for this purpose (the Keys screen shows each key's purpose)"),
        AdoptWithPurpose => s("record the token key on the Keys screen (Adopt a token key) with its purpose first"),
        AddOperators => s("log in as a custodian and add operators under Settings, Operators"),
        ListOperators => s("Settings, Operators lists this station's operators"),
        SignCheckpoint => s("a custodian or auditor signs one on the Audit screen"),
        AuditObjects => s("check the object names (a release id, a bundle or artifact sha256); rows newer than the last checkpoint need a new checkpoint first"),
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

    /// Words that only make sense on a terminal.
    fn speaks_cli(remedy: &str) -> bool {
        let flag = remedy
            .match_indices("--")
            .any(|(i, _)| remedy[i + 2..].starts_with(|c: char| c.is_ascii_lowercase()));
        flag || [
            " -o",
            "STRONGROOM_",
            "`",
            "strongroom ",
            "key list",
            "the command",
        ]
        .iter()
        .any(|cli| remedy.contains(cli))
    }

    #[test]
    fn the_app_is_never_told_to_use_a_flag_or_a_command() {
        for r in Remedy::examples() {
            let w = words(&r);
            assert!(!w.is_empty(), "{r:?}");
            assert!(!speaks_cli(&w), "{r:?}: the app is told {w:?}");
        }
    }

    #[test]
    fn a_rotation_cut_short_explains_its_cause_in_the_apps_words() {
        let w = words(&Remedy::RotationIncomplete {
            old: "old".into(),
            new: "new".into(),
            cause: Some(Box::new(Remedy::ReplaceOutput)),
        });
        assert!(w.starts_with("\"old\" is still active"), "{w}");
        assert!(w.contains("choose another file name or folder"), "{w}");
    }
}
