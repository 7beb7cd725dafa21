//! Operator accounts and roles: who may do what. The role matrix is [`Action::allowed_roles`],
//! one `match` in one place; every operation calls [`Station::require`] first, so the CLI and
//! the app get the same checks, and every refusal is itself recorded (`access.denied`).
//!
//! A station with no accounts is unclaimed: only `init_operator` (the first custodian) and the
//! stateless functions (verifying a document with a given public key, SBOM generation) work.

use std::fmt;
use std::str::FromStr;
use strongroom_core::AuditEvent;

use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use strongroom_store::audit::NewAuditRow;
use strongroom_store::operators::{Credential, OperatorKey, OperatorRecord};
use strongroom_store::state::Change;
use strongroom_store::StoreError;

use crate::station::Session;
use crate::AuditOutcome;
use crate::{OpsError, Station};

/// What an operator is trusted with. An operator may hold several.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Role {
    /// Keys, tokens, PKCS#11 modules, trust, operators.
    Custodian,
    /// Signing, attesting, creating and exporting releases.
    ReleaseOfficer,
    /// Approving releases (the second person of the two-person rule).
    Approver,
    /// Read-only: verification, the audit log and its checkpoints.
    Auditor,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Custodian,
        Role::ReleaseOfficer,
        Role::Approver,
        Role::Auditor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Custodian => "custodian",
            Role::ReleaseOfficer => "release-officer",
            Role::Approver => "approver",
            Role::Auditor => "auditor",
        }
    }

    /// Parses a comma-separated list (`custodian,auditor`); an empty list is an error.
    pub fn parse_list(s: &str) -> Result<Vec<Role>, OpsError> {
        let mut roles = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let r: Role = part.parse()?;
            if !roles.contains(&r) {
                roles.push(r);
            }
        }
        if roles.is_empty() {
            return Err(OpsError::BadInput(format!(
                "no role given; roles are {}",
                names(&Role::ALL)
            )));
        }
        roles.sort();
        Ok(roles)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = OpsError;
    fn from_str(s: &str) -> Result<Self, OpsError> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                let all: Vec<String> = Role::ALL.iter().map(|r| r.as_str().to_owned()).collect();
                let hint = crate::util::did_you_mean(s, &all)
                    .map(|r| format!("did you mean {r:?}? "))
                    .unwrap_or_default();
                OpsError::BadInput(format!(
                    "unknown role {s:?}; {hint}roles are {}",
                    names(&Role::ALL)
                ))
            })
    }
}

/// `a, b or c`.
pub(crate) fn names(roles: &[Role]) -> String {
    let v: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    match v.as_slice() {
        [] => "none".into(),
        [one] => (*one).into(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// `a, b` (the roles someone holds).
pub(crate) fn held_names(roles: &[Role]) -> String {
    if roles.is_empty() {
        return "none".into();
    }
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

const ANY: &[Role] = &Role::ALL;
const CUSTODIAN: &[Role] = &[Role::Custodian];
const RELEASE_OFFICER: &[Role] = &[Role::ReleaseOfficer];
const APPROVER: &[Role] = &[Role::Approver];
const AUDIT_READERS: &[Role] = &[Role::Custodian, Role::Auditor];
const VULNDB_WRITERS: &[Role] = &[Role::Custodian, Role::ReleaseOfficer];

/// Every act that needs a role. The matrix ([`Action::allowed_roles`]) is documented in
/// `docs/operators.md`, and a test checks that the two agree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[non_exhaustive]
pub enum Action {
    #[serde(rename = "key.generate")]
    KeyGenerate,
    #[serde(rename = "key.adopt")]
    KeyAdopt,
    #[serde(rename = "key.export")]
    KeyExport,
    #[serde(rename = "key.retire")]
    KeyRetire,
    #[serde(rename = "key.revoke")]
    KeyRevoke,
    #[serde(rename = "key.rotate")]
    KeyRotate,
    #[serde(rename = "key.backup")]
    KeyBackup,
    #[serde(rename = "key.restore")]
    KeyRestore,
    #[serde(rename = "key.list")]
    KeyList,
    #[serde(rename = "key.show")]
    KeyShow,
    #[serde(rename = "token.list")]
    TokenList,
    #[serde(rename = "token.admin")]
    TokenAdmin,
    #[serde(rename = "tsa.init")]
    TsaInit,
    #[serde(rename = "ceremony.run")]
    CeremonyRun,
    #[serde(rename = "module.list")]
    ModuleList,
    #[serde(rename = "module.allow")]
    ModuleAllow,
    #[serde(rename = "module.remove")]
    ModuleRemove,
    #[serde(rename = "sign")]
    Sign,
    #[serde(rename = "attest")]
    Attest,
    #[serde(rename = "verify")]
    Verify,
    #[serde(rename = "vulndb.import")]
    VulndbImport,
    #[serde(rename = "vulndb.status")]
    VulndbStatus,
    #[serde(rename = "vulndb.configure")]
    VulndbConfigure,
    #[serde(rename = "scan")]
    Scan,
    #[serde(rename = "audit.verify")]
    AuditVerify,
    #[serde(rename = "audit.list")]
    AuditList,
    #[serde(rename = "audit.checkpoint")]
    AuditCheckpoint,
    #[serde(rename = "audit.key")]
    AuditKeySet,
    #[serde(rename = "audit.excerpt")]
    AuditExcerpt,
    #[serde(rename = "operator.list")]
    OperatorList,
    #[serde(rename = "operator.add")]
    OperatorAdd,
    #[serde(rename = "operator.change")]
    OperatorChange,
    #[serde(rename = "trust.change")]
    TrustChange,
    #[serde(rename = "trust.list")]
    TrustList,
    #[serde(rename = "quorum.set")]
    QuorumSet,
    #[serde(rename = "release.create")]
    ReleaseCreate,
    #[serde(rename = "release.approve")]
    ReleaseApprove,
    #[serde(rename = "release.export")]
    ReleaseExport,
    #[serde(rename = "release.verify")]
    ReleaseVerify,
}

impl Action {
    pub const ALL: &'static [Action] = &[
        Action::KeyGenerate,
        Action::KeyAdopt,
        Action::KeyExport,
        Action::KeyRetire,
        Action::KeyRevoke,
        Action::KeyRotate,
        Action::KeyBackup,
        Action::KeyRestore,
        Action::KeyList,
        Action::KeyShow,
        Action::TokenList,
        Action::TokenAdmin,
        Action::TsaInit,
        Action::CeremonyRun,
        Action::ModuleList,
        Action::ModuleAllow,
        Action::ModuleRemove,
        Action::Sign,
        Action::Attest,
        Action::Verify,
        Action::VulndbImport,
        Action::VulndbStatus,
        Action::VulndbConfigure,
        Action::Scan,
        Action::AuditVerify,
        Action::AuditList,
        Action::AuditCheckpoint,
        Action::AuditKeySet,
        Action::AuditExcerpt,
        Action::OperatorList,
        Action::OperatorAdd,
        Action::OperatorChange,
        Action::TrustChange,
        Action::TrustList,
        Action::QuorumSet,
        Action::ReleaseCreate,
        Action::ReleaseApprove,
        Action::ReleaseExport,
        Action::ReleaseVerify,
    ];

    /// The name used in refusals, the audit log and `docs/operators.md`.
    pub fn name(self) -> &'static str {
        match self {
            Action::KeyGenerate => "key.generate",
            Action::KeyAdopt => "key.adopt",
            Action::KeyExport => "key.export",
            Action::KeyRetire => "key.retire",
            Action::KeyRevoke => "key.revoke",
            Action::KeyRotate => "key.rotate",
            Action::KeyBackup => "key.backup",
            Action::KeyRestore => "key.restore",
            Action::KeyList => "key.list",
            Action::KeyShow => "key.show",
            Action::TokenList => "token.list",
            Action::TokenAdmin => "token.admin",
            Action::TsaInit => "tsa.init",
            Action::CeremonyRun => "ceremony.run",
            Action::ModuleList => "module.list",
            Action::ModuleAllow => "module.allow",
            Action::ModuleRemove => "module.remove",
            Action::Sign => "sign",
            Action::Attest => "attest",
            Action::Verify => "verify",
            Action::VulndbImport => "vulndb.import",
            Action::VulndbStatus => "vulndb.status",
            Action::VulndbConfigure => "vulndb.configure",
            Action::Scan => "scan",
            Action::AuditVerify => "audit.verify",
            Action::AuditList => "audit.list",
            Action::AuditCheckpoint => "audit.checkpoint",
            Action::AuditKeySet => "audit.key",
            Action::AuditExcerpt => "audit.excerpt",
            Action::OperatorList => "operator.list",
            Action::OperatorAdd => "operator.add",
            Action::OperatorChange => "operator.change",
            Action::TrustChange => "trust.change",
            Action::TrustList => "trust.list",
            Action::QuorumSet => "quorum.set",
            Action::ReleaseCreate => "release.create",
            Action::ReleaseApprove => "release.approve",
            Action::ReleaseExport => "release.export",
            Action::ReleaseVerify => "release.verify",
        }
    }

    /// THE role matrix: which roles may do this.
    pub fn allowed_roles(self) -> &'static [Role] {
        match self {
            Action::KeyGenerate
            | Action::KeyAdopt
            | Action::KeyExport
            | Action::KeyRetire
            | Action::KeyRevoke
            | Action::KeyRotate
            | Action::KeyBackup
            | Action::KeyRestore => CUSTODIAN,
            Action::ModuleAllow | Action::ModuleRemove | Action::TokenAdmin => CUSTODIAN,
            Action::TsaInit | Action::CeremonyRun => CUSTODIAN,
            Action::VulndbConfigure => CUSTODIAN,
            Action::AuditKeySet => CUSTODIAN,
            Action::OperatorAdd | Action::OperatorChange => CUSTODIAN,
            Action::TrustChange | Action::QuorumSet => CUSTODIAN,
            Action::Sign | Action::Attest => RELEASE_OFFICER,
            Action::ReleaseCreate | Action::ReleaseExport => RELEASE_OFFICER,
            Action::ReleaseApprove => APPROVER,
            Action::VulndbImport => VULNDB_WRITERS,
            Action::AuditVerify | Action::AuditList | Action::AuditCheckpoint => AUDIT_READERS,
            Action::KeyList
            | Action::KeyShow
            | Action::TokenList
            | Action::ModuleList
            | Action::Verify
            | Action::VulndbStatus
            | Action::Scan
            | Action::AuditExcerpt
            | Action::OperatorList
            | Action::TrustList
            | Action::ReleaseVerify => ANY,
        }
    }

    pub fn allows(self, role: Role) -> bool {
        self.allowed_roles().contains(&role)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An operator account, as shown (never with its passphrase hash).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct OperatorInfo {
    pub name: String,
    pub roles: Vec<Role>,
    pub created_at: String,
    pub created_by: String,
    pub disabled: bool,
}

fn roles_of(names: &[String]) -> Vec<Role> {
    let mut v: Vec<Role> = names.iter().filter_map(|n| n.parse().ok()).collect();
    v.sort();
    v.dedup();
    v
}

fn role_names(roles: &[Role]) -> Vec<String> {
    let mut v: Vec<String> = roles.iter().map(|r| r.as_str().to_owned()).collect();
    v.sort();
    v.dedup();
    v
}

impl From<&OperatorRecord> for OperatorInfo {
    fn from(r: &OperatorRecord) -> Self {
        OperatorInfo {
            name: r.name.clone(),
            roles: roles_of(&r.roles),
            created_at: r.created_at.clone(),
            created_by: r.created_by.clone(),
            disabled: r.disabled,
        }
    }
}

/// Operator names: 1 to 64 letters, digits, `.`, `_`, `-`, `@`, starting with a letter or digit
/// (the same rule as key holders in the trust store, which name operators).
fn check_name(name: &str) -> Result<(), OpsError> {
    strongroom_policy::check_holder(name).map_err(|_| {
        OpsError::BadInput(format!(
            "{name:?} is not a valid operator name: use 1 to 64 letters, digits, '.', '_', '-' or '@', starting with a letter or digit"
        ))
    })
}

/// New operator passphrases: at least [`MIN_OPERATOR_PASSPHRASE_CHARS`] characters, not all
/// of them whitespace.
pub fn check_new_passphrase(p: &SecretString) -> Result<(), OpsError> {
    let text = p.expose_secret();
    if text.trim().is_empty() {
        return Err(OpsError::WeakPassphrase("it is only whitespace".to_owned()));
    }
    if text.chars().count() < MIN_OPERATOR_PASSPHRASE_CHARS {
        return Err(OpsError::WeakPassphrase(format!(
            "fewer than {MIN_OPERATOR_PASSPHRASE_CHARS} characters"
        )));
    }
    Ok(())
}

/// Shortest operator passphrase accepted: the app and the CLI ask for the same.
pub const MIN_OPERATOR_PASSPHRASE_CHARS: usize = 12;

/// Failed logins of one name within [`THROTTLE_WINDOW_SECS`] after which the name is refused
/// without its passphrase being checked, until the window has passed.
pub const THROTTLE_FAILURES: u64 = 5;
pub const THROTTLE_WINDOW_SECS: i64 = 15 * 60;

impl Station {
    /// True once the station has an operator account.
    pub fn is_claimed(&self) -> Result<bool, OpsError> {
        self.refresh()?;
        Ok(!self.state().operators.is_empty())
    }

    /// Refuses a claim of a station that is already claimed.
    pub fn check_unclaimed(&self) -> Result<(), OpsError> {
        if self.is_claimed()? {
            return Err(strongroom_store::StoreError::StationClaimed.into());
        }
        Ok(())
    }

    /// Checks `name`'s passphrase against the credential the audit log proves (not the table),
    /// and returns the key it derives. Refused the same way for an unknown name, a wrong
    /// passphrase and a disabled account, so that the answer tells nothing; the reason is
    /// recorded as `login.failed` (details `while`: what the passphrase was for). After
    /// [`THROTTLE_FAILURES`] failures in [`THROTTLE_WINDOW_SECS`], the name is refused without
    /// a check until the window has passed.
    pub(crate) fn check_credential(
        &self,
        name: &str,
        passphrase: &SecretString,
        while_: &str,
    ) -> Result<OperatorKey, OpsError> {
        self.refresh()?;
        let since = time::OffsetDateTime::now_utc() - time::Duration::seconds(THROTTLE_WINDOW_SECS);
        let since = crate::release::rfc3339(since);
        let fail = |reason: &str| {
            let _ = self.store.append_audit(&NewAuditRow {
                operator: name,
                action: "login.failed",
                object: name,
                outcome: AuditOutcome::Denied.as_str(),
                details: serde_json::json!({"reason": reason, "while": while_}),
            });
        };
        if self.store.failed_logins_since(name, &since)? >= THROTTLE_FAILURES {
            fail("too many failed logins: refused without checking the passphrase");
            return Err(OpsError::LoginThrottled {
                name: name.to_owned(),
                minutes: THROTTLE_WINDOW_SECS / 60,
            });
        }
        let state = self.state();
        let Some(rec) = state.operator(name) else {
            // The same work as a real check, so that timing does not tell names apart.
            let _ = strongroom_store::operators::Credential::new(passphrase);
            fail("no such operator");
            return Err(OpsError::LoginFailed(name.to_owned()));
        };
        let Some(key) = rec.credential.unlock(passphrase)? else {
            fail("wrong passphrase");
            return Err(OpsError::LoginFailed(name.to_owned()));
        };
        if rec.disabled {
            fail("the account is disabled");
            return Err(OpsError::LoginFailed(name.to_owned()));
        }
        Ok(key)
    }

    /// Authenticates `name`: the passphrase derives the key its credential names (see
    /// [`Station::check_credential`] for refusals, which are recorded; nothing retries).
    /// Success is not recorded by itself: every act after it is recorded under the operator's
    /// name.
    pub fn login(&mut self, name: &str, passphrase: &SecretString) -> Result<(), OpsError> {
        self.session = None;
        self.clear_cosigners();
        if !self.is_claimed()? {
            return Err(OpsError::Unclaimed {
                action: "login".into(),
            });
        }
        let key = self.check_credential(name, passphrase, "login")?;
        self.operator = name.to_owned();
        self.session = Some(Session {
            name: name.to_owned(),
            key,
        });
        Ok(())
    }

    /// The name acts are recorded under: the logged-in operator (before a login, the name the
    /// caller gave, which is not authenticated).
    pub fn operator(&self) -> &str {
        &self.operator
    }

    /// True after a successful [`Station::login`].
    pub fn authenticated(&self) -> bool {
        self.session.is_some()
    }

    /// The logged-in operator's roles as the proven state holds them now (none before a login,
    /// and none once the account is disabled).
    pub fn roles(&self) -> Vec<Role> {
        match &self.session {
            Some(s) => crate::access::roles_in(&self.verified().state, &s.name),
            None => Vec::new(),
        }
    }

    /// Whether the logged-in operator's account is disabled in the proven state (a session
    /// that outlived its account; false before a login).
    pub fn account_disabled(&self) -> bool {
        self.session.as_ref().is_some_and(|s| {
            self.verified()
                .state
                .operator(&s.name)
                .is_none_or(|o| o.disabled)
        })
    }

    /// Whether the logged-in operator may do `action` (no record is made; for showing or hiding
    /// controls).
    pub fn may(&self, action: Action) -> bool {
        self.roles().iter().any(|r| action.allows(*r))
    }

    /// The same check as every operation's, for a shell that gates a step of its own on the
    /// session (the app's approval step, which signs in a second operator, runs only inside a
    /// release officer's session). A refusal is recorded like any other.
    pub fn check(&self, action: Action) -> Result<(), OpsError> {
        self.require(action)
    }

    /// The check at the top of every operation. It first catches up with the audit log, so that
    /// an account disabled or a role revoked by another process stops this session's very next
    /// act; a station whose tables differ from what the log proves refuses everything but
    /// reading and checking the audit log. Then `Ok` when the logged-in operator holds a role
    /// that may do `action`; otherwise the refusal is recorded (`access.denied`) and returned,
    /// naming the operator, the action and the roles that may do it.
    pub(crate) fn require(&self, action: Action) -> Result<(), OpsError> {
        self.refresh()?;
        if let Some(t) = self.verified().tamper.clone() {
            if !matches!(action, Action::AuditVerify | Action::AuditList) {
                return Err(OpsError::Tampered(t));
            }
        }
        if self.may(action) {
            return Ok(());
        }
        let allowed = action.allowed_roles().to_vec();
        let err = if self.session.is_some() {
            OpsError::Forbidden {
                operator: self.operator.clone(),
                action: action.name().to_owned(),
                held: self.roles(),
                allowed: allowed.clone(),
            }
        } else if !self.is_claimed()? {
            OpsError::Unclaimed {
                action: action.name().to_owned(),
            }
        } else {
            OpsError::NotLoggedIn {
                action: action.name().to_owned(),
            }
        };
        let _ = self.record(
            AuditEvent::AccessDenied,
            action.name(),
            AuditOutcome::Denied,
            serde_json::json!({
                "action": action.name(),
                "roles": self.roles(),
                "allowed": allowed,
                "authenticated": self.session.is_some(),
            }),
        );
        Err(err)
    }

    /// Claims an unclaimed station: creates the first operator, a custodian (plus `extra_roles`,
    /// for single-person test stations), and logs in as it. Refused once any operator exists.
    pub fn init_operator(
        &mut self,
        name: &str,
        extra_roles: &[Role],
        passphrase: &SecretString,
    ) -> Result<OperatorInfo, OpsError> {
        check_name(name)?;
        check_new_passphrase(passphrase)?;
        if self.is_claimed()? {
            return Err(StoreError::StationClaimed.into());
        }
        let mut roles = vec![Role::Custodian];
        roles.extend_from_slice(extra_roles);
        let (credential, key) = Credential::new(passphrase)?;
        let rec = OperatorRecord {
            name: name.to_owned(),
            roles: role_names(&roles),
            credential,
            created_at: strongroom_store::now_rfc3339(),
            created_by: name.to_owned(),
            disabled: false,
        };
        let session = Session {
            name: name.to_owned(),
            key,
        };
        self.commit(
            &session,
            &[],
            AuditEvent::OperatorInit,
            name,
            vec![Change::OperatorPut {
                operator: rec.clone(),
            }],
            serde_json::json!({"roles": roles_of(&rec.roles)}),
        )?;
        self.operator = name.to_owned();
        self.session = Some(session);
        Ok(OperatorInfo::from(&rec))
    }

    /// Adds an operator (custodian only; with the custodian or approver role, the custodian
    /// quorum must consent).
    pub fn add_operator(
        &self,
        name: &str,
        roles: &[Role],
        passphrase: &SecretString,
    ) -> Result<OperatorInfo, OpsError> {
        self.require(Action::OperatorAdd)?;
        check_name(name)?;
        check_new_passphrase(passphrase)?;
        if self.state().operator(name).is_some() {
            return Err(StoreError::OperatorExists(name.to_owned()).into());
        }
        let (credential, _) = Credential::new(passphrase)?;
        let rec = OperatorRecord {
            name: name.to_owned(),
            roles: role_names(roles),
            credential,
            created_at: strongroom_store::now_rfc3339(),
            created_by: self.operator.clone(),
            disabled: false,
        };
        self.act(
            AuditEvent::OperatorAdd,
            name,
            vec![Change::OperatorPut {
                operator: rec.clone(),
            }],
            serde_json::json!({"roles": roles_of(&rec.roles)}),
        )
        .inspect_err(|e| self.record_failure(AuditEvent::OperatorAdd, name, e))?;
        Ok(OperatorInfo::from(&rec))
    }

    /// Every account (any role).
    pub fn list_operators(&self) -> Result<Vec<OperatorInfo>, OpsError> {
        self.require(Action::OperatorList)?;
        Ok(self
            .state()
            .operators
            .iter()
            .map(OperatorInfo::from)
            .collect())
    }

    fn account(&self, name: &str) -> Result<OperatorRecord, OpsError> {
        let state = self.state();
        state.operator(name).cloned().ok_or_else(|| {
            let names: Vec<&str> = state.operators.iter().map(|o| o.name.as_str()).collect();
            OpsError::NoSuchOperator {
                name: name.to_owned(),
                suggestion: crate::util::did_you_mean(name, &names),
            }
        })
    }

    fn change(
        &self,
        rec: OperatorRecord,
        action: AuditEvent,
        details: serde_json::Value,
    ) -> Result<OperatorInfo, OpsError> {
        let name = rec.name.clone();
        self.act(
            action,
            &name,
            vec![Change::OperatorPut {
                operator: rec.clone(),
            }],
            details,
        )
        .inspect_err(|e| self.record_failure(action, &name, e))?;
        Ok(OperatorInfo::from(&rec))
    }

    /// Sets a new passphrase: any logged-in operator for their own account (`name` `None` or
    /// their own name), signed with the key of the old one; for someone else's account a
    /// custodian, with the quorum's consent (otherwise one custodian could act as anyone).
    pub fn change_operator_passphrase(
        &self,
        name: Option<&str>,
        new: &SecretString,
    ) -> Result<OperatorInfo, OpsError> {
        let own = name.is_none_or(|n| n == self.operator);
        if !own || self.session.is_none() {
            self.require(Action::OperatorChange)?;
        } else {
            self.refresh()?;
        }
        let name = name.unwrap_or(&self.operator).to_owned();
        check_new_passphrase(new)?;
        let mut rec = self.account(&name)?;
        rec.credential = Credential::new(new)?.0;
        self.change(
            rec,
            AuditEvent::OperatorPasswd,
            serde_json::json!({"own": own}),
        )
    }

    /// Disables or re-enables an account (custodian only). The last enabled custodian cannot
    /// be disabled; disabling a custodian, or enabling an account with the custodian or
    /// approver role, needs the quorum's consent.
    pub fn set_operator_disabled(
        &self,
        name: &str,
        disabled: bool,
    ) -> Result<OperatorInfo, OpsError> {
        self.require(Action::OperatorChange)?;
        let mut rec = self.account(name)?;
        rec.disabled = disabled;
        self.change(
            rec,
            if disabled {
                AuditEvent::OperatorDisable
            } else {
                AuditEvent::OperatorEnable
            },
            serde_json::json!({}),
        )
    }

    /// Adds roles to an account (custodian only; the custodian or approver role needs the
    /// quorum's consent).
    pub fn grant_roles(&self, name: &str, roles: &[Role]) -> Result<OperatorInfo, OpsError> {
        self.require(Action::OperatorChange)?;
        let mut rec = self.account(name)?;
        let mut now = roles_of(&rec.roles);
        now.extend_from_slice(roles);
        rec.roles = role_names(&now);
        let now = roles_of(&rec.roles);
        self.change(
            rec,
            AuditEvent::OperatorGrant,
            serde_json::json!({"granted": roles, "roles": now}),
        )
    }

    /// Takes roles from an account (custodian only); the last enabled custodian keeps theirs,
    /// and taking a custodian's role needs the quorum's consent.
    pub fn revoke_roles(&self, name: &str, roles: &[Role]) -> Result<OperatorInfo, OpsError> {
        self.require(Action::OperatorChange)?;
        let mut rec = self.account(name)?;
        let now: Vec<Role> = roles_of(&rec.roles)
            .into_iter()
            .filter(|r| !roles.contains(r))
            .collect();
        rec.roles = role_names(&now);
        self.change(
            rec,
            AuditEvent::OperatorRevoke,
            serde_json::json!({"revoked": roles, "roles": now}),
        )
    }

    /// Sets the custodian quorum: how many distinct custodians must consent to an act that
    /// changes who is trusted. Needs the quorum in force; may not exceed the enabled
    /// custodians.
    pub fn set_quorum(&self, quorum: u32) -> Result<u32, OpsError> {
        self.require(Action::QuorumSet)?;
        if quorum == 0 {
            return Err(OpsError::BadInput(
                "the quorum is at least 1 custodian".into(),
            ));
        }
        self.act(
            AuditEvent::QuorumSet,
            &quorum.to_string(),
            vec![Change::Setting {
                key: strongroom_store::settings::QUORUM.to_owned(),
                value: Some(quorum.into()),
            }],
            serde_json::json!({"quorum": quorum}),
        )
        .inspect_err(|e| self.record_failure(AuditEvent::QuorumSet, &quorum.to_string(), e))?;
        Ok(quorum)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mistyped_role_is_answered_with_the_nearest_one() {
        let e = "custodain".parse::<Role>().unwrap_err().to_string();
        assert!(e.contains("did you mean \"custodian\"?"), "{e}");
        let e = "admin".parse::<Role>().unwrap_err().to_string();
        assert!(!e.contains("did you mean"), "{e}");
    }

    #[test]
    fn every_action_is_listed_once_and_has_a_role() {
        let mut names: Vec<&str> = Action::ALL.iter().map(|a| a.name()).collect();
        let n = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), n, "duplicate action names");
        for a in Action::ALL {
            assert!(!a.allowed_roles().is_empty(), "{a} has no role");
            // The app sees the same names (serde, and the TypeScript union from it).
            assert_eq!(serde_json::to_value(a).unwrap(), a.name(), "{a:?}");
        }
    }

    #[test]
    fn role_lists_parse() {
        assert_eq!(
            Role::parse_list("auditor, custodian,auditor").unwrap(),
            vec![Role::Custodian, Role::Auditor]
        );
        assert!(Role::parse_list("").is_err());
        let e = Role::parse_list("admin").unwrap_err().to_string();
        assert!(
            e.contains("custodian, release-officer, approver or auditor"),
            "{e}"
        );
    }
}
