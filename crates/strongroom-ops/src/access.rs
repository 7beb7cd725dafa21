//! The authenticated access log: every change to operators, keys, trust or settings is an
//! **act**, signed by the operator who made it (with the key derived from their passphrase)
//! and, where the change needs a quorum, by the custodians who consented, then recorded in the
//! audit log together with the change (`strongroom_store::state`).
//!
//! One set of rules ([`authority`], [`invariants`]) decides, from the state before and after, who
//! must sign a change. It runs twice: when an act is made, to refuse it, and when the station is
//! opened (and before every later act), replaying the log to rebuild the state and compare it
//! with the tables. A table edited behind Strongroom's back, a row deleted from the middle of
//! the acts, or an act whose signatures do not carry the authority its change needs is named,
//! and the station refuses to act until it is resolved (`docs/security.md`).

use std::collections::BTreeSet;

use serde_json::Value;
use strongroom_core::audit_chain::GENESIS;
use strongroom_policy::package::canonical_json;
use strongroom_policy::{Purpose, Timestamp, TrustPackage};
use strongroom_store::audit::StoredRow;
use strongroom_store::operators::{OperatorKey, OperatorRecord, CUSTODIAN_ROLE};
use strongroom_store::settings::{AUDIT_KEY, QUORUM, STATION_ID};
use strongroom_store::state::{AccessState, Change, AUTH, CHANGES, PREV_ACCESS};
use strongroom_store::trust::{TrustRows, LAST_IMPORT, THRESHOLD};

use crate::operators::Role;

/// The domain every act signature is made in: an operator's key signs nothing else.
pub(crate) const ACT_DOMAIN: &str = "strongroom/act/v1";

/// The access state as the log proves it, and where the proof stands.
#[derive(Clone, Debug)]
pub(crate) struct Verified {
    pub state: AccessState,
    /// The last act verified (0: none yet).
    pub last_seq: i64,
    /// Its row hash ([`GENESIS`] before the first act).
    pub last_hash: String,
    /// What is wrong with the log or the tables, once found.
    pub tamper: Option<Tamper>,
}

impl Verified {
    pub fn genesis(station_id: &str) -> Self {
        Verified {
            state: AccessState::genesis(station_id),
            last_seq: 0,
            last_hash: GENESIS.to_owned(),
            tamper: None,
        }
    }

    /// Replays `rows` (acts in order, after `last_seq`) onto the state; the first that is not
    /// authentic stops the replay and is recorded as the tamper.
    pub fn replay(&mut self, rows: &[StoredRow]) {
        if self.tamper.is_some() {
            return;
        }
        for r in rows {
            match check_act(&self.state, &self.last_hash, r) {
                Ok(next) => {
                    self.state = next;
                    self.last_seq = r.content.seq;
                    self.last_hash = r.hash.clone();
                }
                Err(reason) => {
                    self.tamper = Some(Tamper::Act {
                        seq: r.content.seq,
                        action: r.content.action.clone(),
                        reason,
                    });
                    return;
                }
            }
        }
    }

    /// Compares the tables with the proven state; a difference is recorded as the tamper.
    pub fn compare(&mut self, tables: &AccessState) {
        if self.tamper.is_none() {
            if let Some(d) = first_difference(&self.state, tables) {
                self.tamper = Some(d);
            }
        }
    }
}

/// Why the station does not trust its own access state.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Tamper {
    #[error("audit row {seq} ({action}) is not an authentic act: {reason}")]
    Act {
        seq: i64,
        action: String,
        reason: String,
    },
    #[error("{table} row {row:?} differs from what the audit log proves ({detail}): it was changed outside Strongroom")]
    Table {
        table: &'static str,
        row: String,
        detail: String,
    },
}

/// Why an act may not be made (at act time), or was not authorised (when replayed).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    #[error("{0}")]
    Forged(String),
    #[error("{operator} is not an enabled custodian")]
    NotCustodian { operator: String },
    #[error(
        "this change needs the consent of {quorum} distinct custodians; it has {}",
        consent_text(consenting)
    )]
    Quorum {
        quorum: u32,
        consenting: Vec<String>,
    },
    #[error("the change would leave the station without an enabled custodian")]
    LastCustodian,
    #[error("the change would leave {custodians} enabled custodian(s), fewer than the quorum of {quorum}")]
    BelowQuorum { custodians: usize, quorum: u32 },
    #[error("the signature of {operator} does not verify")]
    BadSignature { operator: String },
    #[error("the trust package it imported does not give this trust: {0}")]
    Package(String),
}

fn consent_text(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_owned()
    } else {
        format!("{} ({})", names.len(), names.join(", "))
    }
}

/// Who must sign a change, derived from what it changes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Need {
    /// The first account of an unclaimed station: signed by that account's own new key.
    pub init: bool,
    /// The actor changes only their own credential: signed with their old key.
    pub own_credential: bool,
    /// The actor must be an enabled custodian.
    pub custodian: bool,
    /// The station's custodian quorum must consent.
    pub quorum: bool,
}

const POWERFUL: [&str; 2] = ["custodian", "approver"];

fn powerful(roles: &[String]) -> bool {
    roles.iter().any(|r| POWERFUL.contains(&r.as_str()))
}

/// The custodian quorum in force in `s`: the setting, or 1 while none is set.
pub(crate) fn quorum_of(s: &AccessState) -> u32 {
    s.setting::<u32>(QUORUM).unwrap_or(1).max(1)
}

/// Enabled operators holding the custodian role.
pub(crate) fn custodians(s: &AccessState) -> Vec<&OperatorRecord> {
    s.operators
        .iter()
        .filter(|o| !o.disabled && o.has_role(CUSTODIAN_ROLE))
        .collect()
}

/// Settings that change who is trusted or what the audit trail proves: a quorum sets them.
const QUORUM_SETTINGS: [&str; 3] = [QUORUM, AUDIT_KEY, crate::tsa::TSA_SETTING];
/// Settings only an import sets.
const IMPORT_SETTINGS: [&str; 2] = [LAST_IMPORT, THRESHOLD];

/// Who must sign the change from `old` to `new` (made by `changes`, by `actor`).
pub(crate) fn authority(
    old: &AccessState,
    new: &AccessState,
    changes: &[Change],
    actor: &str,
) -> Result<Need, Refusal> {
    let mut need = Need::default();
    let replaced = changes
        .iter()
        .any(|c| matches!(c, Change::TrustReplace { .. }));
    operators_authority(old, new, actor, &mut need)?;
    keys_authority(old, new, &mut need)?;
    settings_authority(old, new, replaced, &mut need)?;
    trust_authority(old, new, replaced, &mut need)?;
    Ok(need)
}

fn forged<T>(why: String) -> Result<T, Refusal> {
    Err(Refusal::Forged(why))
}

/// [`authority`] over the operator accounts.
fn operators_authority(
    old: &AccessState,
    new: &AccessState,
    actor: &str,
    need: &mut Need,
) -> Result<(), Refusal> {
    if old.operators.is_empty() && !new.operators.is_empty() {
        let [first] = new.operators.as_slice() else {
            return forged("a station is claimed by one first account".into());
        };
        if first.name != actor || !first.has_role(CUSTODIAN_ROLE) || first.disabled {
            return forged(
                "the first account must be an enabled custodian acting for itself".into(),
            );
        }
        need.init = true;
    } else {
        for o in &old.operators {
            if new.operator(&o.name).is_none() {
                return forged(format!("the account {} was removed", o.name));
            }
        }
        for n in &new.operators {
            let Some(o) = old.operator(&n.name) else {
                need.custodian = true;
                need.quorum |= powerful(&n.roles);
                continue;
            };
            if n == o {
                continue;
            }
            if n.created_at != o.created_at || n.created_by != o.created_by {
                return forged(format!("the account {}'s creation was rewritten", n.name));
            }
            let gained: Vec<&String> = n.roles.iter().filter(|r| !o.roles.contains(r)).collect();
            let lost: Vec<&String> = o.roles.iter().filter(|r| !n.roles.contains(r)).collect();
            let roles_changed = !gained.is_empty() || !lost.is_empty();
            if gained.iter().any(|r| POWERFUL.contains(&r.as_str()))
                || lost.iter().any(|r| r.as_str() == CUSTODIAN_ROLE)
            {
                need.custodian = true;
                need.quorum = true;
            } else if roles_changed {
                need.custodian = true;
            }
            if n.credential != o.credential {
                if n.name == actor && !roles_changed && n.disabled == o.disabled {
                    need.own_credential = true;
                } else {
                    // Setting someone else's passphrase would let one person act as two.
                    need.custodian = true;
                    need.quorum = true;
                }
            }
            if n.disabled != o.disabled {
                need.custodian = true;
                let enabling_power = !n.disabled && powerful(&n.roles);
                let disabling_custodian = n.disabled && o.has_role(CUSTODIAN_ROLE);
                need.quorum |= enabling_power || disabling_custodian;
            }
        }
    }
    Ok(())
}

/// [`authority`] over the key inventory.
fn keys_authority(old: &AccessState, new: &AccessState, need: &mut Need) -> Result<(), Refusal> {
    for k in &old.keys {
        if new.key(&k.key_id).is_none() {
            return forged(format!(
                "the key {} was removed from the inventory",
                k.label
            ));
        }
    }
    for n in &new.keys {
        match old.key(&n.key_id) {
            None => {
                if n.status != "active" {
                    return forged(format!("the key {} was recorded {}", n.label, n.status));
                }
                need.custodian = true;
            }
            Some(o) if o == n => {}
            Some(o) => {
                let mut same = n.clone();
                same.status = o.status.clone();
                let allowed = matches!(
                    (o.status.as_str(), n.status.as_str()),
                    ("active", "retired" | "revoked") | ("retired", "revoked")
                );
                // A restore from backup moves a key to another token: the key itself (its
                // public key, label, purpose, status) stays, only where it lives changes.
                let mut moved = n.clone();
                moved.location = o.location.clone();
                moved.attributes = o.attributes.clone();
                let relocated = &moved == o;
                if !relocated && (&same != o || !allowed) {
                    return forged(format!("the key {} was changed beyond its status", n.label));
                }
                // Where a key lives is what signs for it: moving it is the quorum's act.
                need.quorum |= relocated;
                need.custodian = true;
            }
        }
    }
    Ok(())
}

/// [`authority`] over the station settings.
fn settings_authority(
    old: &AccessState,
    new: &AccessState,
    replaced: bool,
    need: &mut Need,
) -> Result<(), Refusal> {
    let keys: BTreeSet<&String> = old.settings.keys().chain(new.settings.keys()).collect();
    for k in keys {
        if old.settings.get(k) == new.settings.get(k) {
            continue;
        }
        if k == STATION_ID {
            return forged("the station's id was changed".into());
        }
        if IMPORT_SETTINGS.contains(&k.as_str()) && !replaced {
            return forged(format!("{k} changed without a trust import"));
        }
        if k == QUORUM && !new.settings.contains_key(k) {
            return forged("the custodian quorum was removed".into());
        }
        need.custodian = true;
        need.quorum |= QUORUM_SETTINGS.contains(&k.as_str());
    }
    Ok(())
}

/// [`authority`] over the trust store.
fn trust_authority(
    old: &AccessState,
    new: &AccessState,
    replaced: bool,
    need: &mut Need,
) -> Result<(), Refusal> {
    if replaced {
        need.custodian = true;
    } else if old.trust != new.trust {
        need.custodian = true;
        for k in &old.trust.keys {
            if !new.trust.keys.contains(k) {
                return forged(format!("the trusted key {} was removed or changed", k.name));
            }
        }
        for k in &new.trust.keys {
            if !old.trust.keys.contains(k) && trusting_needs_quorum(k.purpose) {
                need.quorum = true;
            }
        }
        if !new.trust.revocations.starts_with(&old.trust.revocations) {
            return forged("a revocation was removed".into());
        }
        if old.trust.modules != new.trust.modules
            || old.trust.data != new.trust.data
            || old.trust.roots != new.trust.roots
        {
            need.quorum = true;
        }
    }
    Ok(())
}

/// Whether trusting a new key of `purpose` needs the custodian quorum: approver, custodian and
/// audit keys decide who counts as a person; a signer key does not.
pub(crate) fn trusting_needs_quorum(purpose: Purpose) -> bool {
    matches!(
        purpose,
        Purpose::Approver | Purpose::Custodian | Purpose::Audit
    )
}

/// What must hold of any state an act leaves.
pub(crate) fn invariants(s: &AccessState) -> Result<(), Refusal> {
    if s.operators.is_empty() {
        return Ok(());
    }
    let n = custodians(s).len();
    if n == 0 {
        return Err(Refusal::LastCustodian);
    }
    let q = quorum_of(s);
    if (n as u32) < q {
        return Err(Refusal::BelowQuorum {
            custodians: n,
            quorum: q,
        });
    }
    if n >= 2 && !s.settings.contains_key(QUORUM) {
        return Err(Refusal::Forged(
            "the station has two custodians but no custodian quorum".into(),
        ));
    }
    Ok(())
}

/// The change a station makes on its own when an act gives it its second custodian: the quorum
/// becomes 2 and stays so (a later change of the quorum needs a quorum itself).
pub(crate) fn sticky_quorum(new: &AccessState) -> Option<Change> {
    (custodians(new).len() >= 2 && !new.settings.contains_key(QUORUM)).then(|| Change::Setting {
        key: QUORUM.to_owned(),
        value: Some(Value::from(2u32)),
    })
}

/// Checks that `signers` (operators whose signatures verified) carry the authority `need`
/// asks of a change by `actor`, judged by the state before it.
pub(crate) fn check_signers(
    need: Need,
    old: &AccessState,
    actor: &str,
    signers: &[String],
) -> Result<(), Refusal> {
    if need.init {
        return Ok(());
    }
    let enabled = |n: &str| old.operator(n).is_some_and(|o| !o.disabled);
    let custodian = |n: &str| {
        old.operator(n)
            .is_some_and(|o| !o.disabled && o.has_role(CUSTODIAN_ROLE))
    };
    if !signers.iter().any(|s| s == actor) || !enabled(actor) {
        return Err(Refusal::Forged(format!(
            "{actor} is not an enabled operator who signed the act"
        )));
    }
    if need.custodian && !custodian(actor) {
        return Err(Refusal::NotCustodian {
            operator: actor.to_owned(),
        });
    }
    if need.quorum {
        let consenting: BTreeSet<&String> = signers.iter().filter(|s| custodian(s)).collect();
        let q = quorum_of(old);
        if (consenting.len() as u32) < q {
            return Err(Refusal::Quorum {
                quorum: q,
                consenting: consenting.into_iter().cloned().collect(),
            });
        }
    }
    Ok(())
}

/// The bytes an act's signatures cover: the domain, the station, and the row's operator,
/// action, object and details (without the signatures), as canonical JSON.
pub(crate) fn act_message(
    station: &str,
    operator: &str,
    action: &str,
    object: &str,
    details: &Value,
) -> Vec<u8> {
    let mut d = details.clone();
    if let Some(m) = d.as_object_mut() {
        m.remove(AUTH);
    }
    canonical_json(&serde_json::json!({
        "domain": ACT_DOMAIN,
        "station": station,
        "operator": operator,
        "action": action,
        "object": object,
        "details": d,
    }))
    .into_bytes()
}

/// Signs an act's message for each operator key.
pub(crate) fn sign_act(message: &[u8], signers: &[(&str, &OperatorKey)]) -> Value {
    Value::Array(
        signers
            .iter()
            .map(|(name, key)| serde_json::json!({"operator": name, "sig": key.sign(message)}))
            .collect(),
    )
}

/// Replays one act row onto `state`: the row is intact, links to the previous act, its changes
/// apply, and its signatures carry the authority they need. Returns the state after it.
fn check_act(state: &AccessState, last_hash: &str, r: &StoredRow) -> Result<AccessState, String> {
    let c = &r.content;
    if c.chain_hash(&r.prev_hash) != r.hash {
        return Err("its content no longer matches its hash: it was edited".into());
    }
    let details: Value =
        serde_json::from_str(&c.details).map_err(|e| format!("its details are not JSON: {e}"))?;
    if details[PREV_ACCESS].as_str() != Some(last_hash) {
        return Err(
            "it does not follow the act before it: an act was deleted, reordered or inserted"
                .into(),
        );
    }
    let changes: Vec<Change> = serde_json::from_value(details[CHANGES].clone())
        .map_err(|e| format!("its changes are unreadable: {e}"))?;
    let mut next = state.clone();
    for ch in &changes {
        next.apply(ch).map_err(|e| e.to_string())?;
    }
    let need = authority(state, &next, &changes, &c.operator).map_err(|e| e.to_string())?;
    let station = state.setting::<String>(STATION_ID).unwrap_or_default();
    let message = act_message(&station, &c.operator, &c.action, &c.object, &details);
    let mut signers = Vec::new();
    for a in details[AUTH].as_array().into_iter().flatten() {
        let (Some(name), Some(sig)) = (a["operator"].as_str(), a["sig"].as_str()) else {
            return Err("a signature entry is malformed".into());
        };
        // The first account signs with the key it creates; every other signer with the key
        // the state before the act gives them (a new passphrase is signed with the old one).
        let cred = if need.init {
            next.operator(name).map(|o| &o.credential)
        } else {
            state.operator(name).map(|o| &o.credential)
        };
        if !cred.is_some_and(|cr| cr.verifies(&message, sig)) {
            return Err(Refusal::BadSignature {
                operator: name.to_owned(),
            }
            .to_string());
        }
        signers.push(name.to_owned());
    }
    if need.init && signers.first().map(String::as_str) != Some(c.operator.as_str()) {
        return Err("the first account did not sign its own creation".into());
    }
    check_signers(need, state, &c.operator, &signers).map_err(|e| e.to_string())?;
    invariants(&next).map_err(|e| e.to_string())?;
    for ch in &changes {
        if let Change::TrustReplace { trust, package } = ch {
            check_import(state, &next, trust, package, &c.time).map_err(|e| e.to_string())?;
        }
    }
    Ok(next)
}

/// A recorded import: the package, checked again against the trust before it at the time the
/// act was recorded, gives exactly the trust, threshold and issue time the act wrote.
fn check_import(
    old: &AccessState,
    new: &AccessState,
    trust: &TrustRows,
    package: &str,
    time: &str,
) -> Result<(), Refusal> {
    let bad = |e: String| Refusal::Package(e);
    let at = Timestamp::parse(time).map_err(|e| bad(e.to_string()))?;
    let current = old.trust.set().map_err(|e| bad(e.to_string()))?;
    let threshold = old
        .setting::<u32>(THRESHOLD)
        .unwrap_or_else(|| quorum_of(old));
    let last = old
        .setting::<String>(LAST_IMPORT)
        .and_then(|s| Timestamp::parse(&s).ok());
    let done = TrustPackage::open(package.as_bytes())
        .and_then(|p| p.import(&current, threshold, last, at))
        .map_err(|e| bad(e.to_string()))?;
    if &TrustRows::of(&done.merged) != trust
        || new.setting::<u32>(THRESHOLD) != Some(done.package.threshold)
        || new.setting::<String>(LAST_IMPORT) != Some(done.package.issued_at.to_rfc3339())
    {
        return Err(bad(
            "the recorded trust, threshold or issue time differs from the package's".into(),
        ));
    }
    Ok(())
}

/// The first way the tables differ from the proven state, naming the table and the row.
fn first_difference(proven: &AccessState, tables: &AccessState) -> Option<Tamper> {
    fn diff<T: PartialEq>(
        table: &'static str,
        a: &[T],
        b: &[T],
        name: impl Fn(&T) -> String,
    ) -> Option<Tamper> {
        for x in b {
            match a.iter().find(|y| name(y) == name(x)) {
                None => {
                    return Some(Tamper::Table {
                        table,
                        row: name(x),
                        detail: "no act created it".into(),
                    })
                }
                Some(y) if y != x => {
                    return Some(Tamper::Table {
                        table,
                        row: name(x),
                        detail: "its values are not the ones the last act set".into(),
                    })
                }
                Some(_) => {}
            }
        }
        for y in a {
            if !b.iter().any(|x| name(x) == name(y)) {
                return Some(Tamper::Table {
                    table,
                    row: name(y),
                    detail: "it was deleted".into(),
                });
            }
        }
        if a.len() != b.len() {
            return Some(Tamper::Table {
                table,
                row: String::new(),
                detail: "rows are duplicated".into(),
            });
        }
        None
    }
    let settings = |s: &AccessState| -> Vec<(String, Value)> {
        s.settings
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    diff("operators", &proven.operators, &tables.operators, |o| {
        o.name.clone()
    })
    .or_else(|| diff("keys", &proven.keys, &tables.keys, |k| k.label.clone()))
    .or_else(|| {
        diff("trust_keys", &proven.trust.keys, &tables.trust.keys, |k| {
            k.name.clone()
        })
    })
    .or_else(|| {
        diff(
            "trust_revocations",
            &proven.trust.revocations,
            &tables.trust.revocations,
            |r| format!("{} at {}", r.key_id, r.revoked_at),
        )
    })
    .or_else(|| {
        diff(
            "trust_policy_modules",
            &proven.trust.modules,
            &tables.trust.modules,
            |m| m.name.clone(),
        )
    })
    .or_else(|| {
        (proven.trust.data != tables.trust.data).then(|| Tamper::Table {
            table: "trust_policy_data",
            row: "1".into(),
            detail: "the policy data is not what the last act set".into(),
        })
    })
    .or_else(|| {
        diff(
            "settings",
            &settings(proven),
            &settings(tables),
            |(k, _)| k.clone(),
        )
    })
    .or_else(|| {
        // Same rows in another order (keys and trust are ordered).
        (proven != tables).then(|| Tamper::Table {
            table: "keys or trust_keys",
            row: String::new(),
            detail: "rows were reordered".into(),
        })
    })
}

/// The roles held by `name` in `state` (none when unknown or disabled).
pub(crate) fn roles_in(state: &AccessState, name: &str) -> Vec<Role> {
    let Some(o) = state.operator(name).filter(|o| !o.disabled) else {
        return Vec::new();
    };
    let mut v: Vec<Role> = o.roles.iter().filter_map(|r| r.parse().ok()).collect();
    v.sort();
    v.dedup();
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;
    use strongroom_store::operators::Credential;

    fn op(name: &str, roles: &[&str]) -> (OperatorRecord, OperatorKey) {
        let (credential, key) =
            Credential::new(&SecretString::from(format!("{name} passphrase"))).unwrap();
        (
            OperatorRecord {
                name: name.into(),
                roles: roles.iter().map(|r| (*r).to_owned()).collect(),
                credential,
                created_at: "2026-12-01T00:00:00Z".into(),
                created_by: name.into(),
                disabled: false,
            },
            key,
        )
    }

    fn with(state: &AccessState, changes: &[Change]) -> AccessState {
        let mut s = state.clone();
        for c in changes {
            s.apply(c).unwrap();
        }
        s
    }

    #[test]
    fn what_a_change_needs() {
        let g = AccessState::genesis("st");
        let (alice, _) = op("alice", &["custodian"]);
        let init = [Change::OperatorPut {
            operator: alice.clone(),
        }];
        let s1 = with(&g, &init);
        assert!(authority(&g, &s1, &init, "alice").unwrap().init);
        // Someone else cannot claim the station in alice's name.
        assert!(authority(&g, &s1, &init, "mallory").is_err());

        // An auditor needs one custodian; a second custodian needs the quorum.
        let (carl, _) = op("carl", &["auditor"]);
        let add = [Change::OperatorPut { operator: carl }];
        let need = authority(&s1, &with(&s1, &add), &add, "alice").unwrap();
        assert!(need.custodian && !need.quorum);
        let (bob, _) = op("bob", &["custodian"]);
        let add = [Change::OperatorPut {
            operator: bob.clone(),
        }];
        let s2 = with(&s1, &add);
        assert!(authority(&s1, &s2, &add, "alice").unwrap().quorum);
        // The station then needs a quorum setting.
        assert!(invariants(&s2).is_err());
        let q = sticky_quorum(&s2).unwrap();
        let s2 = with(&s2, &[q]);
        invariants(&s2).unwrap();
        assert_eq!(quorum_of(&s2), 2);

        // Own passphrase: own key; someone else's: a quorum.
        let (mut alice2, _) = op("alice", &["custodian"]);
        alice2.created_at = alice.created_at.clone();
        let ch = [Change::OperatorPut { operator: alice2 }];
        let s3 = with(&s2, &ch);
        let need = authority(&s2, &s3, &ch, "alice").unwrap();
        assert!(need.own_credential && !need.quorum);
        let need = authority(&s2, &s3, &ch, "bob").unwrap();
        assert!(need.quorum);

        // Disabling the other custodian needs the quorum, and may not go below it.
        let mut bob_off = bob.clone();
        bob_off.disabled = true;
        let ch = [Change::OperatorPut { operator: bob_off }];
        let s4 = with(&s2, &ch);
        assert!(authority(&s2, &s4, &ch, "alice").unwrap().quorum);
        assert_eq!(
            invariants(&s4),
            Err(Refusal::BelowQuorum {
                custodians: 1,
                quorum: 2
            })
        );
        // Removing the quorum setting, or an account, is never an act.
        let ch = [Change::Setting {
            key: QUORUM.into(),
            value: None,
        }];
        assert!(authority(&s2, &with(&s2, &ch), &ch, "alice").is_err());
        let mut gone = s2.clone();
        gone.operators.retain(|o| o.name != "bob");
        assert!(authority(&s2, &gone, &[], "alice").is_err());
    }

    #[test]
    fn signers_must_carry_the_need() {
        let g = AccessState::genesis("st");
        let (alice, _) = op("alice", &["custodian"]);
        let (bob, _) = op("bob", &["custodian"]);
        let (ron, _) = op("ron", &["release-officer"]);
        let s = with(
            &g,
            &[
                Change::OperatorPut { operator: alice },
                Change::OperatorPut { operator: bob },
                Change::OperatorPut { operator: ron },
                Change::Setting {
                    key: QUORUM.into(),
                    value: Some(2.into()),
                },
            ],
        );
        let quorum = Need {
            custodian: true,
            quorum: true,
            ..Default::default()
        };
        let names = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert!(matches!(
            check_signers(quorum, &s, "alice", &names(&["alice"])),
            Err(Refusal::Quorum { quorum: 2, .. })
        ));
        // A release officer's consent is not a custodian's.
        assert!(check_signers(quorum, &s, "alice", &names(&["alice", "ron"])).is_err());
        check_signers(quorum, &s, "alice", &names(&["alice", "bob"])).unwrap();
        // The actor must have signed.
        assert!(check_signers(quorum, &s, "alice", &names(&["bob"])).is_err());
        let one = Need {
            custodian: true,
            ..Default::default()
        };
        assert!(matches!(
            check_signers(one, &s, "ron", &names(&["ron"])),
            Err(Refusal::NotCustodian { .. })
        ));
    }

    #[test]
    fn a_table_edit_is_named() {
        let g = AccessState::genesis("st");
        let (alice, _) = op("alice", &["custodian"]);
        let s = with(&g, &[Change::OperatorPut { operator: alice }]);
        let mut edited = s.clone();
        edited.operators[0].roles.push("approver".into());
        assert_eq!(
            first_difference(&s, &edited),
            Some(Tamper::Table {
                table: "operators",
                row: "alice".into(),
                detail: "its values are not the ones the last act set".into()
            })
        );
        let mut extra = s.clone();
        extra.settings.insert(QUORUM.into(), 1.into());
        assert!(matches!(
            first_difference(&s, &extra),
            Some(Tamper::Table {
                table: "settings",
                ..
            })
        ));
        assert_eq!(first_difference(&s, &s.clone()), None);
    }
}
