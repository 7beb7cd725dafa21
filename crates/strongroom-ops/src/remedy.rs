//! What a person can do about an error, named by what it is, not worded: each shell words every
//! remedy for its own people (the CLI names flags and commands, the app its screens and buttons),
//! so ops knows neither. The enum is exhaustive on purpose: a new remedy does not compile until
//! both shells word it.

use strongroom_policy::Fix;

use crate::operators::Role;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Remedy {
    /// Words that fit every shell (they name no flag, command, screen or button).
    Plain(String),
    /// Name at least one file.
    NameFiles,
    /// A folder was given where files belong.
    FilesNotFolder,
    /// The output folder must exist.
    ExistingFolder,
    /// An output exists; nothing was written.
    ReplaceOutput,
    /// Scanning needs an SBOM.
    SbomForScan,
    /// Scanning needs vulnerability data imported first.
    ImportVulnData,
    /// Two artifacts have the same file name.
    SameNames,
    /// A PEM public key is wanted.
    PemPublicKey,
    /// The verification key is neither a key of the station nor a PEM file.
    VerificationKey,
    /// Where the station's keys are listed.
    ListKeys,
    /// A passphrase is needed and none could be asked for.
    GiveSecret,
    /// A passphrase for a new software key is needed and none could be asked for.
    GiveNewSecret,
    /// A token PIN is needed and none could be asked for.
    GivePin,
    /// The key label is taken.
    OtherLabel,
    /// The PKCS#11 module is not on the allowlist.
    AllowModule,
    /// The token is not present.
    InsertToken,
    /// The token was removed during the work.
    ReinsertToken,
    /// The key is retired or revoked.
    ActiveKey,
    /// The key on the token is not the one the inventory recorded.
    TokenKeyChanged,
    /// The algorithm name is unknown.
    ChooseAlgorithm,
    /// An age recipient is malformed.
    AgeRecipient,
    /// A trust package's issuers are not trusted here; nothing was imported.
    TrustIssuersFirst,
    /// A trust package needs more custodians' signatures; nothing was imported.
    MoreCustodianSignatures,
    /// The file is not a trust package.
    TrustPackageFile,
    /// The issuer's custodian key must be trusted first.
    TrustIssuerKey,
    /// Where the trusted keys are listed.
    ListTrustedKeys,
    /// Where the policy modules are listed.
    ListPolicyModules,
    /// Where the Sigstore trusted roots are listed.
    ListTrustRoots,
    /// The key was revoked already.
    RevocationStands,
    /// The trusted-key name is taken.
    OtherName,
    /// The key is trusted already.
    AlreadyTrusted,
    /// The operator lacks the role the act needs.
    NeedsRole {
        operator: String,
        role: Option<Role>,
    },
    /// The station has no operator yet.
    ClaimStation,
    /// No station where one was looked for: a mistyped data directory, or none made yet.
    CreateStation,
    /// Nobody is logged in.
    LogIn,
    /// A login was refused.
    CheckLogin,
    /// The operator's passphrase is needed and none could be asked for.
    OperatorPassphrase,
    /// The station has no audit key.
    SetAuditKey,
    /// The policy refused a release; the fixes its rules name (may be none).
    PolicyFixes(Vec<Fix>),
    /// The bundle does not verify; do not approve it.
    DoNotApprove,
    /// The bundle does not verify; it is not carried out of the room.
    DoNotExport,
    /// The release key is not trusted (or not valid) for the stage.
    TrustSigner,
    /// The bundle is encrypted; give an identity or passphrase.
    DecryptBundle,
    /// The database was changed outside Strongroom.
    StationTampered,
    /// A second custodian must consent.
    CosignerConsent,
    /// The change would leave fewer custodians than the quorum.
    RaiseCustodians,
    /// The key was made for another purpose.
    KeyForPurpose,
    /// A token key must be adopted with its purpose first.
    AdoptWithPurpose,
    /// The station is claimed already: add operators instead.
    AddOperators,
    /// Where the operators are listed.
    ListOperators,
    /// No audit checkpoint has been signed yet.
    SignCheckpoint,
    /// No audit rows name the objects asked for.
    AuditObjects,
    /// A rotation stopped: the old key is still active and nothing was written.
    RotationIncomplete {
        old: String,
        new: String,
        cause: Option<Box<Remedy>>,
    },
}

/// The words for [`Remedy::RotationIncomplete`], with its cause already worded by the shell.
pub fn rotation_incomplete_words(old: &str, new: &str, cause: Option<String>) -> String {
    format!(
        "{old:?} is still active, and a public key or rotation statement already written for {new:?} is not in force (delete them); {}then either retire {new:?} and rotate again, or retire {old:?} and publish {new:?} by other means",
        cause.map(|c| format!("{c}; ")).unwrap_or_default()
    )
}

impl Remedy {
    pub(crate) fn plain(words: impl Into<String>) -> Remedy {
        Remedy::Plain(words.into())
    }

    /// One of every remedy, for the shells' tests of their wordings. The match below has no
    /// wildcard, so a new remedy must be named here.
    #[doc(hidden)]
    pub fn examples() -> Vec<Remedy> {
        use Remedy::*;
        let all = vec![
            Plain("check the path".into()),
            NameFiles,
            FilesNotFolder,
            ExistingFolder,
            ReplaceOutput,
            SbomForScan,
            ImportVulnData,
            SameNames,
            PemPublicKey,
            VerificationKey,
            ListKeys,
            GiveSecret,
            GiveNewSecret,
            GivePin,
            OtherLabel,
            AllowModule,
            InsertToken,
            ReinsertToken,
            ActiveKey,
            TokenKeyChanged,
            ChooseAlgorithm,
            AgeRecipient,
            TrustIssuersFirst,
            MoreCustodianSignatures,
            TrustPackageFile,
            TrustIssuerKey,
            ListTrustedKeys,
            ListPolicyModules,
            ListTrustRoots,
            RevocationStands,
            OtherName,
            AlreadyTrusted,
            NeedsRole {
                operator: "bob".into(),
                role: Some(Role::Custodian),
            },
            ClaimStation,
            CreateStation,
            LogIn,
            CheckLogin,
            OperatorPassphrase,
            SetAuditKey,
            PolicyFixes(vec![Fix::Sbom, Fix::Scan]),
            PolicyFixes(vec![]),
            DoNotApprove,
            DoNotExport,
            TrustSigner,
            DecryptBundle,
            StationTampered,
            CosignerConsent,
            RaiseCustodians,
            KeyForPurpose,
            AdoptWithPurpose,
            AddOperators,
            ListOperators,
            SignCheckpoint,
            AuditObjects,
            RotationIncomplete {
                old: "old".into(),
                new: "new".into(),
                cause: Some(Box::new(ReplaceOutput)),
            },
        ];
        for r in &all {
            match r {
                Plain(_)
                | NameFiles
                | FilesNotFolder
                | ExistingFolder
                | ReplaceOutput
                | SbomForScan
                | ImportVulnData
                | SameNames
                | PemPublicKey
                | VerificationKey
                | ListKeys
                | GiveSecret
                | GiveNewSecret
                | GivePin
                | OtherLabel
                | AllowModule
                | InsertToken
                | ReinsertToken
                | ActiveKey
                | TokenKeyChanged
                | ChooseAlgorithm
                | AgeRecipient
                | TrustIssuersFirst
                | MoreCustodianSignatures
                | TrustPackageFile
                | TrustIssuerKey
                | ListTrustedKeys
                | ListPolicyModules
                | ListTrustRoots
                | RevocationStands
                | OtherName
                | AlreadyTrusted
                | NeedsRole { .. }
                | ClaimStation
                | CreateStation
                | LogIn
                | CheckLogin
                | OperatorPassphrase
                | SetAuditKey
                | PolicyFixes(_)
                | DoNotApprove
                | DoNotExport
                | TrustSigner
                | DecryptBundle
                | StationTampered
                | CosignerConsent
                | RaiseCustodians
                | KeyForPurpose
                | AdoptWithPurpose
                | AddOperators
                | ListOperators
                | SignCheckpoint
                | AuditObjects
                | RotationIncomplete { .. } => {}
            }
        }
        all
    }
}
