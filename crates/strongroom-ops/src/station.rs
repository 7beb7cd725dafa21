//! The station: an opened data directory (database and key files) that stateful operations act
//! on, who is logged in to it (see `operators.rs`), the access state its audit log proves (see
//! `access.rs`), and the one way that state changes: [`Station::act`].

use std::path::Path;
use std::sync::Mutex;
use strongroom_core::AuditEvent;

use serde_json::Value;
use strongroom_store::audit::AuditRow;
use strongroom_store::operators::OperatorKey;
use strongroom_store::state::{AccessState, Act, Change, AUTH, CHANGES, PREV_ACCESS};
use strongroom_store::Store;

use crate::access::{self, Refusal, Tamper, Verified};
use crate::OpsError;

/// A logged-in operator: their name and the key their passphrase derives, which signs their
/// acts. Roles are not kept here: every act reads them from the proven state.
#[derive(Clone, Debug)]
pub(crate) struct Session {
    pub(crate) name: String,
    pub(crate) key: OperatorKey,
}

/// An opened Strongroom data directory.
#[derive(Debug)]
pub struct Station {
    pub(crate) store: Store,
    /// Who acts, as recorded in the audit log: after [`Station::login`] the authenticated
    /// operator; before it, the name the caller gave (recorded with refusals, not trusted).
    pub(crate) operator: String,
    /// The logged-in operator; `None` until a successful login.
    pub(crate) session: Option<Session>,
    /// Custodians who consented to the next act (see [`Station::add_cosigner`]).
    pub(crate) cosigners: Mutex<Vec<Session>>,
    /// The access state the audit log proves, and whether the tables still match it.
    pub(crate) verified: Mutex<Verified>,
    /// How long a write waits for another process's (see [`Station::set_busy_timeout`]).
    busy: Option<std::time::Duration>,
}

impl Station {
    /// Opens (creating and migrating if needed) the station at `home`, replays its acts and
    /// compares the result with the tables. A mismatch does not stop the opening: it is kept,
    /// and every act then refuses with it ([`Station::integrity`]).
    pub fn open(home: &Path) -> Result<Self, OpsError> {
        let store = Store::open(home)?;
        // Temporary files that a killed process left in the station's own directories.
        crate::util::remove_leftovers_within(home);
        let mut verified = Verified::genesis(&store.station_id()?);
        let view = store.snapshot(0)?;
        verified.replay(&view.appended);
        verified.compare(&view.tables);
        Ok(Station {
            store,
            operator: std::env::var("USER").unwrap_or_else(|_| "unknown".into()),
            session: None,
            cosigners: Mutex::new(Vec::new()),
            verified: Mutex::new(verified),
            busy: None,
        })
    }

    /// [`Station::open`] of a station that exists: a data directory without a database (a
    /// mistyped `--home`) is refused with the path it looked at, instead of becoming a new,
    /// empty station. Only claiming a station (`operator init`) makes one.
    pub fn open_existing(home: &Path) -> Result<Self, OpsError> {
        if !Store::exists(home) {
            return Err(OpsError::NoStation {
                home: home.to_owned(),
            });
        }
        Self::open(home)
    }

    /// How long a write waits for another Strongroom process to finish writing before it is
    /// refused as busy (the app: about a second, so that a person hears of it at once). The
    /// audit row of a verification waits longer: see `Station::record_patiently`.
    pub fn set_busy_timeout(&mut self, wait: std::time::Duration) -> Result<(), OpsError> {
        self.store.set_busy_timeout(wait)?;
        self.busy = Some(wait);
        Ok(())
    }

    /// Sets the (unauthenticated) name recorded before a login, for example with a refusal.
    /// It ends any login: roles come only from [`Station::login`].
    pub fn set_operator(&mut self, name: &str) {
        self.operator = name.to_owned();
        self.session = None;
    }

    /// The data directory used when none is given (`~/.local/share/strongroom` on Linux). The
    /// CLI and the app both default to it; `STRONGROOM_HOME` overrides it in both.
    pub fn default_home() -> Option<std::path::PathBuf> {
        directories::ProjectDirs::from("", "", "strongroom").map(|d| d.data_dir().to_owned())
    }

    pub fn home(&self) -> &Path {
        self.store.home()
    }

    pub(crate) fn verified(&self) -> std::sync::MutexGuard<'_, Verified> {
        self.verified.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Catches up with acts other processes recorded (replaying and checking them) and compares
    /// the tables with the proven state again. Cheap: a few small tables.
    pub(crate) fn refresh(&self) -> Result<(), OpsError> {
        let mut v = self.verified();
        let view = self.store.snapshot(v.last_seq)?;
        v.replay(&view.appended);
        v.compare(&view.tables);
        Ok(())
    }

    /// Whether the station's access state is what its audit log proves. `Err` names the act or
    /// the table row that is not.
    pub fn integrity(&self) -> Result<(), OpsError> {
        self.refresh()?;
        match &self.verified().tamper {
            None => Ok(()),
            Some(t) => Err(OpsError::Tampered(t.clone())),
        }
    }

    /// The proven access state (a copy).
    pub(crate) fn state(&self) -> AccessState {
        self.verified().state.clone()
    }

    /// Records an act: `changes` to the access state, made by the logged-in operator with the
    /// consent of the cosigners given since the last act. The rules of `access.rs` decide
    /// whether their signatures suffice; the changes, the link to the previous act and the
    /// signatures go into the audit row, written in the same transaction as the tables.
    pub(crate) fn act(
        &self,
        action: AuditEvent,
        object: &str,
        changes: Vec<Change>,
        details: Value,
    ) -> Result<AuditRow, OpsError> {
        let session = self.session.clone().ok_or_else(|| OpsError::NotLoggedIn {
            action: action.as_str().to_owned(),
        })?;
        let cosigners =
            std::mem::take(&mut *self.cosigners.lock().unwrap_or_else(|e| e.into_inner()));
        self.commit(&session, &cosigners, action, object, changes, details)
    }

    /// Whether an act needing a custodian (and, with `quorum`, the custodian quorum) would be
    /// signed by enough people with the consent given so far: for an operation that must know
    /// before it does work it cannot undo (a key made, a statement signed). The act itself
    /// checks again.
    pub(crate) fn precheck_consent(
        &self,
        action: AuditEvent,
        quorum: bool,
    ) -> Result<(), OpsError> {
        let session = self.session.clone().ok_or_else(|| OpsError::NotLoggedIn {
            action: action.as_str().to_owned(),
        })?;
        let mut names = vec![session.name.clone()];
        names.extend(
            self.cosigners
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .filter(|c| c.name != session.name)
                .map(|c| c.name.clone()),
        );
        let need = access::Need {
            custodian: true,
            quorum,
            ..Default::default()
        };
        let old = self.verified().state.clone();
        access::check_signers(need, &old, &session.name, &names)
            .map_err(|r| refused(action.as_str(), r))
    }

    /// [`Station::act`] with explicit signers (the first operator signs their own creation).
    pub(crate) fn commit(
        &self,
        session: &Session,
        cosigners: &[Session],
        event: AuditEvent,
        object: &str,
        mut changes: Vec<Change>,
        mut details: Value,
    ) -> Result<AuditRow, OpsError> {
        let action = event.as_str();
        let mut v = self.verified();
        let station = self.store.station_id()?;
        let (row, next) = self.store.commit_act(v.last_seq, |view| {
            v.replay(&view.appended);
            v.compare(&view.tables);
            if let Some(t) = &v.tamper {
                return Err(OpsError::Tampered(t.clone()));
            }
            let old = v.state.clone();
            if event == AuditEvent::OperatorInit && !old.operators.is_empty() {
                // Two people claiming at once: the second finds the first's account.
                return Err(strongroom_store::StoreError::StationClaimed.into());
            }
            let mut next = old.clone();
            for c in &changes {
                next.apply(c)?;
            }
            if let Some(q) = access::sticky_quorum(&next) {
                next.apply(&q)?;
                changes.push(q);
            }
            let need = access::authority(&old, &next, &changes, &session.name)
                .map_err(|r| refused(action, r))?;
            let mut signers: Vec<&Session> = vec![session];
            signers.extend(cosigners.iter().filter(|c| c.name != session.name));
            let names: Vec<String> = signers.iter().map(|s| s.name.clone()).collect();
            access::check_signers(need, &old, &session.name, &names)
                .map_err(|r| refused(action, r))?;
            access::invariants(&next).map_err(|r| refused(action, r))?;
            if !details.is_object() {
                details = Value::Object(Default::default());
            }
            details[CHANGES] = serde_json::to_value(&changes).expect("changes serialise");
            details[PREV_ACCESS] = Value::String(v.last_hash.clone());
            if !cosigners.is_empty() {
                details["cosigners"] = Value::from(names[1..].to_vec());
            }
            let message = access::act_message(&station, &session.name, action, object, &details);
            let keys: Vec<(&str, &OperatorKey)> =
                signers.iter().map(|s| (s.name.as_str(), &s.key)).collect();
            details[AUTH] = access::sign_act(&message, &keys);
            Ok((
                Act {
                    operator: session.name.clone(),
                    action: action.to_owned(),
                    object: object.to_owned(),
                    details,
                    state: next.clone(),
                },
                next,
            ))
        })?;
        v.state = next;
        v.last_seq = row.seq;
        v.last_hash = row.hash.clone();
        Ok(row)
    }

    /// A second custodian's consent to the next act: their passphrase is checked now (a wrong
    /// one is recorded as `login.failed` and refused), and their key signs the act with the
    /// logged-in operator's. The consent is used by one act only.
    pub fn add_cosigner(
        &self,
        name: &str,
        passphrase: &secrecy::SecretString,
    ) -> Result<(), OpsError> {
        if self.session.is_none() {
            return Err(OpsError::NotLoggedIn {
                action: "cosign".into(),
            });
        }
        if name == self.operator {
            return Err(OpsError::BadInput(format!(
                "{name} is the operator acting; a consent must come from another custodian"
            )));
        }
        let key = self.check_credential(name, passphrase, "cosign")?;
        let state = self.state();
        if !access::custodians(&state).iter().any(|o| o.name == name) {
            return Err(OpsError::NotACustodian(name.to_owned()));
        }
        self.cosigners
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Session {
                name: name.to_owned(),
                key,
            });
        Ok(())
    }

    /// Sets the consent given aside, so that the acts an operation makes on the way (a key
    /// generated during a rotation) do not use it up; [`Station::restore_consent`] gives it back
    /// for the act it was given for.
    pub(crate) fn set_consent_aside(&self) -> Vec<Session> {
        std::mem::take(&mut *self.cosigners.lock().unwrap_or_else(|e| e.into_inner()))
    }

    pub(crate) fn restore_consent(&self, consent: Vec<Session>) {
        *self.cosigners.lock().unwrap_or_else(|e| e.into_inner()) = consent;
    }

    /// Forgets any consent given and not yet used.
    pub fn clear_cosigners(&self) {
        self.cosigners
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// The custodian quorum in force, and how many enabled custodians the station has.
    pub fn quorum(&self) -> (u32, usize) {
        let s = self.state();
        (access::quorum_of(&s), access::custodians(&s).len())
    }

    /// A second handle on the same station and login, for work that runs on another thread
    /// (the app hashes or signs on a worker while the window keeps reading).
    pub fn reopen(&self) -> Result<Station, OpsError> {
        let store = Store::open(self.home())?;
        if let Some(wait) = self.busy {
            store.set_busy_timeout(wait)?;
        }
        Ok(Station {
            store,
            operator: self.operator.clone(),
            session: self.session.clone(),
            cosigners: Mutex::new(Vec::new()),
            verified: Mutex::new(self.verified().clone()),
            busy: self.busy,
        })
    }
}

/// An act refused by the rules, as the operation's error.
fn refused(action: &str, r: Refusal) -> OpsError {
    match r {
        Refusal::Quorum { quorum, consenting } => OpsError::QuorumRequired {
            action: action.to_owned(),
            quorum,
            consenting,
        },
        Refusal::LastCustodian => strongroom_store::StoreError::LastCustodian.into(),
        Refusal::BelowQuorum { custodians, quorum } => OpsError::BelowQuorum { custodians, quorum },
        Refusal::NotCustodian { operator } => OpsError::NotACustodian(operator),
        other => OpsError::BadInput(format!("{action}: {other}")),
    }
}

impl From<Tamper> for OpsError {
    fn from(t: Tamper) -> Self {
        OpsError::Tampered(t)
    }
}
