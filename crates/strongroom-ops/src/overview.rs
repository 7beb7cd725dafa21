//! The station at a glance, for the desktop app's first screen: who is logged in, tokens, keys,
//! the vulnerability database's age and the audit chain's state, each part shown only to roles
//! that may see it.

use serde::Serialize;

use crate::dto::KeyInfo;
use crate::operators::Role;
use crate::vulns::VulnStatus;
use crate::{Action, ModuleTokens, OpsError, Station};

/// Who is at the station.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SessionInfo {
    /// The data directory.
    pub home: String,
    /// Whether any operator account exists (an unclaimed station offers `operator init`).
    pub claimed: bool,
    /// The logged-in operator, if any.
    pub operator: Option<String>,
    pub roles: Vec<Role>,
    /// The actions the operator's roles allow now (`Action` names such as `key.generate`), for
    /// showing or disabling controls; the station checks each act again when it is done.
    pub may: Vec<crate::Action>,
    /// The station's role matrix: for each action, the roles that may do it (so that a shell
    /// can say which role a disabled control needs without a copy of the matrix).
    pub needs: std::collections::BTreeMap<crate::Action, Vec<Role>>,
    /// The logged-in account has been disabled since the login: it may do nothing more.
    pub disabled: bool,
}

/// One part of the overview: its value, or why it could not be had.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Part<T> {
    pub value: Option<T>,
    /// What went wrong, or that the operator's roles do not cover it.
    pub error: Option<String>,
}

impl<T> Part<T> {
    fn of(
        station: &Station,
        action: Action,
        words: &dyn Fn(&crate::Remedy) -> String,
        get: impl FnOnce() -> Result<T, OpsError>,
    ) -> Self {
        if !station.may(action) {
            return Part {
                value: None,
                error: Some(format!(
                    "your roles do not include {} (needs {})",
                    action.name(),
                    crate::operators::names(action.allowed_roles())
                )),
            };
        }
        match get() {
            Ok(value) => Part {
                value: Some(value),
                error: None,
            },
            Err(e) => Part {
                value: None,
                error: Some(match e.remedy() {
                    Some(r) => format!("{e} — {}", words(&r)),
                    None => e.to_string(),
                }),
            },
        }
    }
}

/// The station at a glance.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Overview {
    pub session: SessionInfo,
    pub keys: Part<Vec<KeyInfo>>,
    pub tokens: Part<Vec<ModuleTokens>>,
    pub vulndb: Part<VulnStatus>,
    pub audit: Part<strongroom_store::audit::ChainReport>,
    /// What the station should say loudly: no custodian quorum, custodian or audit keys sharing
    /// a token with other keys.
    pub warnings: Vec<String>,
}

/// What a one-custodian station says.
pub const NO_QUORUM: &str = "This station has no custodian quorum: one custodian alone changes who is trusted, and a VERIFIED verdict rests on that one person. Add a second custodian; the quorum then becomes 2.";

impl Station {
    /// Who is logged in (works before a login, and on an unclaimed station).
    pub fn session_info(&self) -> Result<SessionInfo, OpsError> {
        Ok(SessionInfo {
            home: self.home().display().to_string(),
            claimed: self.is_claimed()?,
            operator: self.authenticated().then(|| self.operator.clone()),
            roles: self.roles(),
            may: Action::ALL
                .iter()
                .copied()
                .filter(|a| self.may(*a))
                .collect(),
            needs: Action::ALL
                .iter()
                .map(|a| (*a, a.allowed_roles().to_vec()))
                .collect(),
            disabled: self.authenticated() && self.account_disabled(),
        })
    }

    /// Everything the first screen shows. Parts the operator's roles do not cover are left out
    /// without recording a refusal: showing less is not an attempt.
    /// The station at a glance; a part that fails carries its error and the remedy in the
    /// shell's `words`.
    pub fn overview(&self, words: &dyn Fn(&crate::Remedy) -> String) -> Result<Overview, OpsError> {
        Ok(Overview {
            session: self.session_info()?,
            keys: Part::of(self, Action::KeyList, words, || self.list_keys()),
            tokens: Part::of(self, Action::TokenList, words, || self.list_tokens(None)),
            vulndb: Part::of(self, Action::VulndbStatus, words, || self.vulndb_status()),
            audit: Part::of(self, Action::AuditVerify, words, || self.audit_verify()),
            warnings: self.warnings()?,
        })
    }

    /// The station's standing warnings for the logged-in operator (none before a login).
    pub fn warnings(&self) -> Result<Vec<String>, OpsError> {
        let mut out = Vec::new();
        if !self.authenticated() {
            return Ok(out);
        }
        if self.quorum().0 < 2 {
            out.push(NO_QUORUM.to_owned());
        }
        if self.may(Action::KeyList) {
            out.extend(self.key_warnings()?);
        }
        Ok(out)
    }
}
