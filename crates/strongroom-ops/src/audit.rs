//! The audit trail from the operations' side: every security-relevant act appends a row to the
//! station's hash-chained log (who, what, on which object, with what outcome); the chain head is
//! signed into checkpoints with the station's audit key; the log can be verified, listed and
//! exported, and excerpts of it (the rows about a release, linked to a checkpoint) go into
//! release bundles.

use strongroom_core::audit_chain::{AuditExcerpt, Checkpoint, ExcerptEntry, EXCERPT_FORMAT};
use strongroom_core::AuditEvent;
use strongroom_core::PublicKey;
use strongroom_store::audit::{AuditRow, ChainReport, CheckpointRecord, NewAuditRow, GENESIS};
use strongroom_store::settings::{AUDIT_KEY, AUDIT_SECRET_FILE};

use crate::operators::Action;
use crate::{Callbacks, OpsError, Station};

/// Largest audit excerpt file read (as the excerpt a bundle may carry).
const MAX_EXCERPT_FILE_BYTES: u64 = strongroom_bundle::complete::MAX_AUDIT_EXCERPT_BYTES;

/// An audit excerpt checked with the audit key's public key alone (`audit verify-excerpt`): no
/// station and no account. Every object the excerpt names must be shown in full. Returns the
/// excerpt (for its `later_rows`) and the verdict; an unreadable file or key is an error.
pub fn verify_excerpt_file(
    file: &std::path::Path,
    key: &std::path::Path,
) -> Result<
    (
        AuditExcerpt,
        Result<
            strongroom_core::audit_chain::ExcerptReport,
            strongroom_core::audit_chain::ExcerptError,
        >,
    ),
    OpsError,
> {
    let key = crate::verify::load_public_key_file(key)?;
    let bytes = crate::verify::read_capped(file, MAX_EXCERPT_FILE_BYTES)?;
    let excerpt: AuditExcerpt = serde_json::from_slice(&bytes).map_err(|e| {
        OpsError::BadInput(format!("{} is not an audit excerpt: {e}", file.display()))
    })?;
    let objects: Vec<&str> = excerpt.objects.iter().map(String::as_str).collect();
    let verdict = strongroom_core::audit_chain::verify_excerpt(&excerpt, &key, &objects);
    Ok((excerpt, verdict))
}

/// How an act ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditOutcome {
    Ok,
    Failed,
    Denied,
}

impl AuditOutcome {
    /// Every outcome, in the order they are listed to a person.
    pub const ALL: [AuditOutcome; 3] =
        [AuditOutcome::Ok, AuditOutcome::Failed, AuditOutcome::Denied];

    /// The outcome a row spells as `s`.
    pub fn parse(s: &str) -> Option<AuditOutcome> {
        Self::ALL.into_iter().find(|o| o.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AuditOutcome::Ok => "ok",
            AuditOutcome::Failed => "failed",
            AuditOutcome::Denied => "denied",
        }
    }
}

/// A `--key` argument as it may be logged: a `pkcs11:` URI loses any `pin-value`, and anything
/// that is neither a URI, a label nor a key id (a mistyped URI such as `pkcs11 :…?pin-value=…`,
/// which may hold a PIN) is not logged at all.
pub(crate) fn key_for_log(key: &str) -> String {
    match strongroom_core::keyref::KeyRef::parse(key) {
        Ok(strongroom_core::keyref::KeyRef::Pkcs11Uri(_)) => {
            match strongroom_hsm::Pkcs11Uri::parse(key, true) {
                Ok(uri) => uri.to_string_without_pin(),
                Err(_) => "pkcs11:<unparsable URI, not logged>".to_owned(),
            }
        }
        Ok(_) => key.to_owned(),
        Err(_) => "<unreadable key reference, not logged>".to_owned(),
    }
}

/// The audit key's secret file: a regular file, readable by its owner only (the station's
/// account). Returns its full path.
fn check_secret_file(path: &std::path::Path) -> Result<std::path::PathBuf, OpsError> {
    let full = path
        .canonicalize()
        .map_err(|_| OpsError::MissingFile(path.to_owned()))?;
    let meta = std::fs::metadata(&full).map_err(|source| OpsError::Read {
        path: full.clone(),
        source,
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            return Err(OpsError::BadInput(format!(
                "{}: the audit key's secret file must be readable by its owner only (chmod 600)",
                full.display()
            )));
        }
    }
    if !meta.is_file() {
        return Err(OpsError::NotRegularFile(full));
    }
    read_secret_file(&full)?;
    Ok(full)
}

/// The first line of a secret file.
fn read_secret_file(path: &std::path::Path) -> Result<secrecy::SecretString, OpsError> {
    let text = zeroize::Zeroizing::new(
        String::from_utf8(crate::verify::read_capped(path, 4096)?).map_err(|_| {
            OpsError::BadInput(format!("{}: a secret file is UTF-8 text", path.display()))
        })?,
    );
    let line = text.lines().next().unwrap_or("");
    if line.is_empty() {
        return Err(OpsError::BadInput(format!(
            "{}: the secret file is empty",
            path.display()
        )));
    }
    Ok(secrecy::SecretString::from(line.to_owned()))
}

/// A checkpoint witnessed outside the station: the log had `rows` rows and row `rows` had hash
/// `head`. From a release bundle's audit excerpt, a checkpoint or excerpt file, or a printed
/// `ROWS:HEAD`.
#[derive(Clone, Debug)]
pub struct Witness {
    pub rows: u64,
    pub head: String,
    /// The signed checkpoint, when the witness is one (a printed head is not).
    pub checkpoint: Option<strongroom_core::bundle::BundleJson>,
    /// Where it came from, for messages.
    pub source: String,
}

impl Witness {
    /// Reads a witness: `ROWS:HEAD` (as `audit checkpoint` prints it), a release bundle (its
    /// audit excerpt's checkpoint), an audit excerpt, or a checkpoint bundle file. The
    /// checkpoint's signature is checked by [`Station::audit_verify_since`].
    pub fn parse(
        arg: &str,
        identity: Option<&crate::release::Identity>,
    ) -> Result<Witness, OpsError> {
        if let Some((rows, head)) = arg.split_once(':') {
            if let (Ok(rows), true) = (
                rows.parse::<u64>(),
                strongroom_core::audit_chain::is_hash(head),
            ) {
                return Ok(Witness {
                    rows,
                    head: head.to_owned(),
                    checkpoint: None,
                    source: arg.to_owned(),
                });
            }
        }
        let path = std::path::Path::new(arg);
        if !path.is_file() {
            return Err(OpsError::BadInput(format!(
                "{arg}: neither ROWS:HEAD (as `strongroom audit checkpoint` prints it) nor a file"
            )));
        }
        let bytes = if crate::release::looks_like_bundle(path)? {
            let opened = crate::release::open_bundle(path, identity)?;
            strongroom_bundle::audit_excerpt(&opened.zip)?.ok_or_else(|| {
                OpsError::BadInput(format!("{arg}: the bundle carries no audit excerpt"))
            })?
        } else {
            crate::verify::read_capped(path, 64 << 20)?
        };
        let value: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| OpsError::BadInput(format!("{arg}: not JSON: {e}")))?;
        let bundle = if value.get("format").is_some() {
            value["checkpoint"].clone()
        } else {
            value
        };
        let bundle: strongroom_core::bundle::BundleJson = serde_json::from_value(bundle)
            .map_err(|e| OpsError::BadInput(format!("{arg}: not a checkpoint bundle: {e}")))?;
        let payload = bundle
            .dsse_envelope
            .as_ref()
            .and_then(|e| strongroom_core::dsse::Envelope::from_json(e).ok())
            .and_then(|e| serde_json::from_slice::<Checkpoint>(&e.payload).ok())
            .ok_or_else(|| {
                OpsError::BadInput(format!("{arg}: its checkpoint payload is unreadable"))
            })?;
        Ok(Witness {
            rows: payload.rows,
            head: payload.head,
            checkpoint: Some(bundle),
            source: arg.to_owned(),
        })
    }
}

/// True when `details` holds `object` as a string value anywhere (for example an artifact's
/// SHA-256 inside a `sign` row).
fn mentions(details: &serde_json::Value, objects: &[&str]) -> bool {
    match details {
        serde_json::Value::String(s) => objects.contains(&s.as_str()),
        serde_json::Value::Array(a) => a.iter().any(|v| mentions(v, objects)),
        serde_json::Value::Object(o) => o.values().any(|v| mentions(v, objects)),
        _ => false,
    }
}

/// `--since` as the log writes times: RFC 3339 (any offset, normalised to UTC) or a date
/// (`2026-12-06`, from its midnight UTC).
/// Which rows `audit list` and `audit export` show. Every field is optional; all that are given
/// must match. Times are RFC 3339 times or dates: `since` a date means from its start, `until` a
/// date through its end.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize)]
pub struct AuditQuery {
    /// Only this action (`sign`, `key.generate`, …).
    pub action: Option<String>,
    /// Only acts by this operator.
    pub operator: Option<String>,
    /// Only this outcome: `ok`, `failed` or `denied`.
    pub outcome: Option<String>,
    /// Only rows at or after this time.
    pub since: Option<String>,
    /// Only rows at or before this time.
    pub until: Option<String>,
    /// Only the latest this many matching rows.
    pub limit: Option<u32>,
}

impl AuditQuery {
    /// Only `action` (or every row).
    pub fn action(action: Option<&str>) -> AuditQuery {
        AuditQuery {
            action: action.map(str::to_owned),
            ..AuditQuery::default()
        }
    }
}

/// How `audit export` writes rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditFormat {
    /// One JSON object per line, as [`AuditRow`] serialises.
    Jsonl,
    /// RFC 4180 CSV with a header line; `details` is a JSON text.
    Csv,
}

/// One RFC 4180 field: quoted when it holds a comma, quote or line break. A field that a
/// spreadsheet would run as a formula gets a leading `'`, so an object name chosen by an insider
/// cannot become a formula on the auditor's machine: one starting with `=`, `@`, a tab or a
/// carriage return, or with `+` or `-` followed by anything but the characters of base64 key
/// ids, digests and numbers (a key id such as `+yag…=` is data, and stays as it is).
fn csv_field(f: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "+/=._:-".contains(c);
    let formula = f.starts_with(['=', '@', '\t', '\r'])
        || (f.starts_with(['+', '-']) && !f.chars().all(plain));
    let f = if formula {
        format!("'{f}")
    } else {
        f.to_owned()
    };
    if f.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", f.replace('"', "\"\""))
    } else {
        f
    }
}

/// The first second of a date, or of the time given.
fn since_time(s: &str) -> Result<String, OpsError> {
    query_time(s, "T00:00:00Z")
}

/// The last second of a date, or the time given.
fn until_time(s: &str) -> Result<String, OpsError> {
    query_time(s, "T23:59:59Z")
}

fn query_time(s: &str, day_part: &str) -> Result<String, OpsError> {
    if let Ok(t) = strongroom_core::Timestamp::parse(s) {
        return Ok(t.whole_seconds().to_rfc3339());
    }
    let date = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s.trim(), &date)
        .map(|d| format!("{d}{day_part}"))
        .map_err(|_| {
            OpsError::BadInput(format!(
                "{s:?} is not a time: give an RFC 3339 time such as 2026-12-06T10:00:00Z, or a date such as 2026-12-06"
            ))
        })
}

impl Station {
    /// Appends one row. Acts that succeeded must be recorded: the caller propagates a failure.
    pub(crate) fn record(
        &self,
        action: AuditEvent,
        object: &str,
        outcome: AuditOutcome,
        details: serde_json::Value,
    ) -> Result<(), OpsError> {
        self.store.append_audit(&NewAuditRow {
            operator: &self.operator,
            action: action.as_str(),
            object,
            outcome: outcome.as_str(),
            details,
        })?;
        Ok(())
    }

    /// [`Station::record`] for a row that must not be lost to a busy database (a verification's
    /// verdict): while another process writes, it tries again for up to 30 seconds.
    pub(crate) fn record_patiently(
        &self,
        action: AuditEvent,
        object: &str,
        outcome: AuditOutcome,
        details: serde_json::Value,
    ) -> Result<(), OpsError> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            match self.record(action, object, outcome, details.clone()) {
                Err(OpsError::Store(e)) if e.is_busy() && std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(200));
                }
                done => return done,
            }
        }
    }

    /// Records a failed act; the operation's own error matters more than a failure to log it.
    /// Refusals were recorded by `require` already.
    pub(crate) fn record_failure(&self, action: AuditEvent, object: &str, err: &OpsError) {
        // A busy database refused the act; its row would wait for the same lock and fail too.
        if matches!(err, OpsError::Store(e) if e.is_busy()) {
            return;
        }
        let (recorded, outcome) = match err.kind() {
            crate::ErrorKind::Forbidden => return,
            // A secret that was given and is wrong is a guess, and guesses count toward the
            // name's throttle; a secret that was not given at all is only a failed act.
            crate::ErrorKind::Auth if !err.is_missing_secret() => {
                (AuditEvent::LoginFailed, AuditOutcome::Denied)
            }
            _ => (action, AuditOutcome::Failed),
        };
        // `while` names the act that was attempted, also when the row is a login failure.
        let _ = self.record(
            recorded,
            object,
            outcome,
            serde_json::json!({"error": err.to_string(), "while": action.as_str()}),
        );
    }

    /// Walks the chain and checks every checkpoint; the report names the first edited, deleted
    /// or inserted row, or the first checkpoint the chain no longer matches.
    pub fn audit_verify(&self) -> Result<ChainReport, OpsError> {
        self.audit_verify_with_key(None)
    }

    /// [`Station::audit_verify`], also requiring every checkpoint to be signed by
    /// `checkpoint_key` (the audit key's public key, known from outside the database): someone
    /// who rewrote the database could have re-signed checkpoints with a key of their own.
    pub fn audit_verify_with_key(
        &self,
        checkpoint_key: Option<&PublicKey>,
    ) -> Result<ChainReport, OpsError> {
        self.audit_verify_since(checkpoint_key, None)
    }

    /// [`Station::audit_verify_with_key`], and the log must still extend `witness`: a
    /// checkpoint shown outside the station earlier (a release bundle's, a file, or a printed
    /// `ROWS:HEAD`). A log cut back or rewritten after that point fails, even if the database
    /// was made consistent again.
    pub fn audit_verify_since(
        &self,
        checkpoint_key: Option<&PublicKey>,
        witness: Option<&Witness>,
    ) -> Result<ChainReport, OpsError> {
        self.require(Action::AuditVerify)?;
        let mut report = self.store.verify_audit_chain_with(checkpoint_key)?;
        if let (None, Some(w)) = (&report.problem, witness) {
            if let Some(bundle) = &w.checkpoint {
                self.check_witness_signature(bundle, checkpoint_key)?;
            }
            report.problem = self.store.extends(w.rows, &w.head)?.err();
        }
        if report.problem.is_none() {
            if let Some(t) = self.verified().tamper.clone() {
                return Err(OpsError::Tampered(t));
            }
        }
        Ok(report)
    }

    /// A signed witness checkpoint must be this station's: signed by `pinned`, or else by a key
    /// that signed one of the station's own checkpoints.
    fn check_witness_signature(
        &self,
        bundle: &strongroom_core::bundle::BundleJson,
        pinned: Option<&PublicKey>,
    ) -> Result<(), OpsError> {
        let mut keys: Vec<PublicKey> = pinned.into_iter().cloned().collect();
        if pinned.is_none() {
            // The keys that signed this station's checkpoints, its audit key, and the keys it
            // trusts for the audit purpose (the checkpoints themselves may be gone).
            let mut add = |k: PublicKey| {
                if !keys.contains(&k) {
                    keys.push(k);
                }
            };
            for c in self.store.checkpoints()? {
                if let Ok(k) = PublicKey::from_pem(&c.public_key_pem) {
                    add(k);
                }
            }
            if let Some(id) = self.store.setting::<String>(AUDIT_KEY)? {
                if let Ok(r) = self.lookup_key(&id) {
                    add(r.public_key);
                }
            }
            for k in self.store.trust_list()?.keys() {
                if k.purpose() == strongroom_core::Purpose::Audit {
                    add(k.public_key().clone());
                }
            }
        }
        let station = self.store.station_id()?;
        for k in &keys {
            if let Ok(cp) = Checkpoint::open(bundle, k) {
                if cp.station != station {
                    return Err(OpsError::BadInput(format!(
                        "the witness checkpoint was signed for station {}, not this one ({station})",
                        cp.station
                    )));
                }
                return Ok(());
            }
        }
        Err(OpsError::BadInput(
            "the witness checkpoint's signature does not verify with this station's audit key: it is not this station's checkpoint".into(),
        ))
    }

    /// Rows in order, optionally of one action and from a time on (RFC 3339).
    /// Rows, oldest first: of one action, and from a time on (RFC 3339, or a date for its
    /// midnight UTC). A time or action name that cannot be read is refused, not matched by
    /// nothing.
    pub fn audit_list(&self, query: &AuditQuery) -> Result<Vec<AuditRow>, OpsError> {
        self.require(Action::AuditList)?;
        if let Some(a) = &query.action {
            if AuditEvent::parse(a).is_none() {
                let names: Vec<&str> = AuditEvent::ALL.iter().map(|e| e.as_str()).collect();
                return Err(OpsError::BadInput(format!(
                    "no audit action is called {a:?}{}; the actions are {}",
                    crate::util::did_you_mean_clause(a, &names),
                    names.join(", ")
                )));
            }
        }
        if let Some(o) = &query.outcome {
            if AuditOutcome::parse(o).is_none() {
                let names = AuditOutcome::ALL.map(AuditOutcome::as_str);
                return Err(OpsError::BadInput(format!(
                    "no audit outcome is called {o:?}{}: the outcomes are ok, failed and denied",
                    crate::util::did_you_mean_clause(o, &names)
                )));
            }
        }
        if let Some(op) = &query.operator {
            self.known_audit_operator(op)?;
        }
        let since = query.since.as_deref().map(since_time).transpose()?;
        let until = query.until.as_deref().map(until_time).transpose()?;
        if let (Some(s), Some(u)) = (&since, &until) {
            if s > u {
                return Err(OpsError::BadInput(format!(
                    "--since {s} is after --until {u}: no row can match; swap them"
                )));
            }
        }
        if query.limit == Some(0) {
            return Err(OpsError::BadInput(
                "--limit 0 selects no row: give 1 or more, or leave it out for every row".into(),
            ));
        }
        let filter = strongroom_store::audit::AuditFilter {
            action: query.action.as_deref(),
            operator: query.operator.as_deref(),
            outcome: query.outcome.as_deref(),
            since: since.as_deref(),
            until: until.as_deref(),
            limit: query.limit,
        };
        Ok(self.store.audit_rows(&filter)?)
    }

    /// An operator the station knows, or one the log names (a removed operator's rows stay).
    fn known_audit_operator(&self, name: &str) -> Result<(), OpsError> {
        let mut names = self.store.audit_operators()?;
        for o in self.store.list_operators()? {
            if !names.contains(&o.name) {
                names.push(o.name);
            }
        }
        if names.iter().any(|n| n == name) {
            return Ok(());
        }
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        Err(OpsError::BadInput(format!(
            "no operator called {name:?} is on this station or in its log{}; the names there are {}",
            crate::util::did_you_mean_clause(name, &names),
            names.join(", ")
        )))
    }

    /// The rows `query` selects as text in `format` (`audit export`), oldest first.
    pub fn audit_text(&self, query: &AuditQuery, format: AuditFormat) -> Result<String, OpsError> {
        let rows = self.audit_list(query)?;
        let mut text = String::new();
        if format == AuditFormat::Csv {
            text.push_str("seq,time,operator,action,object,outcome,details,prev_hash,hash\r\n");
        }
        for r in rows {
            match format {
                AuditFormat::Jsonl => {
                    text.push_str(&serde_json::to_string(&r).expect("a row serialises"));
                    text.push('\n');
                }
                AuditFormat::Csv => {
                    let fields = [
                        r.seq.to_string(),
                        r.time,
                        r.operator,
                        r.action,
                        r.object,
                        r.outcome,
                        r.details.to_string(),
                        r.prev_hash,
                        r.hash,
                    ];
                    let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
                    text.push_str(&line.join(","));
                    text.push_str("\r\n");
                }
            }
        }
        Ok(text)
    }

    /// Every row as JSON Lines ([`Station::audit_text`]) written to `path` atomically; returns the number of rows.
    pub fn audit_export(&self, path: &std::path::Path, replace: bool) -> Result<usize, OpsError> {
        self.require(Action::AuditList)?;
        let overwrite = self.output_file(path, replace)?;
        let text = self.audit_text(&AuditQuery::default(), AuditFormat::Jsonl)?;
        strongroom_store::fsutil::write_atomic(path, overwrite, |f| {
            std::io::Write::write_all(f, text.as_bytes())
        })?;
        Ok(text.lines().count())
    }

    /// Sets the key that signs checkpoints: an inventory label or key id of an `audit`-purpose
    /// key, and optionally a file holding its passphrase or PIN (readable by its owner only),
    /// from which the station unlocks it for the checkpoint every release and approval needs.
    /// Custodian only, with the custodian quorum's consent: the audit key decides what the
    /// audit trail proves.
    pub fn set_audit_key(
        &self,
        key: &str,
        secret_file: Option<&std::path::Path>,
    ) -> Result<(), OpsError> {
        self.require(Action::AuditKeySet)?;
        let logged = key_for_log(key);
        self.set_audit_key_unrecorded(key, secret_file)
            .inspect_err(|e| self.record_failure(AuditEvent::AuditKey, &logged, e))
    }

    fn set_audit_key_unrecorded(
        &self,
        key: &str,
        secret_file: Option<&std::path::Path>,
    ) -> Result<(), OpsError> {
        let secret_file = secret_file.map(check_secret_file).transpose()?;
        let rec = match strongroom_core::keyref::KeyRef::parse(key)? {
            strongroom_core::keyref::KeyRef::Pkcs11Uri(_) => {
                return Err(OpsError::BadInput(
                    "name the audit key by its inventory label or key id (adopt a token key first, with --purpose audit)".into(),
                ))
            }
            other => self.store.find_key(&other)?,
        };
        crate::keys::check_purpose(&rec, strongroom_core::Purpose::Audit)?;
        let shown = secret_file.as_ref().map(|p| p.display().to_string());
        self.act(
            AuditEvent::AuditKey,
            &rec.label,
            vec![
                strongroom_store::state::Change::Setting {
                    key: AUDIT_KEY.to_owned(),
                    value: Some(rec.key_id.to_string().into()),
                },
                strongroom_store::state::Change::Setting {
                    key: AUDIT_SECRET_FILE.to_owned(),
                    value: shown.clone().map(Into::into),
                },
            ],
            serde_json::json!({"key_id": rec.key_id.to_string(), "label": rec.label, "secret_file": shown}),
        )?;
        Ok(())
    }

    /// The configured audit key, if any.
    pub fn audit_key(&self) -> Result<Option<String>, OpsError> {
        self.require(Action::AuditList)?;
        Ok(self.store.setting::<String>(AUDIT_KEY)?)
    }

    /// Signs the current chain head with `key` (or the configured audit key) and stores the
    /// checkpoint together with the row that records it. Custodian or auditor.
    pub fn audit_checkpoint(
        &self,
        key: Option<&str>,
        cb: &dyn Callbacks,
    ) -> Result<CheckpointRecord, OpsError> {
        self.require(Action::AuditCheckpoint)?;
        let key = match key {
            Some(k) => k.to_owned(),
            None => self
                .store
                .setting::<String>(AUDIT_KEY)?
                .ok_or(OpsError::NoAuditKey)?,
        };
        self.checkpoint_with(&key, cb).inspect_err(|e| {
            self.record_failure(AuditEvent::AuditCheckpoint, &key_for_log(&key), e)
        })
    }

    /// A checkpoint as part of another operation (for example right after a release's rows are
    /// recorded, so its excerpt can be verified): `Ok(None)` when no audit key is configured.
    /// Needs a logged-in operator; the calling operation has checked its own role.
    pub fn audit_checkpoint_now(
        &self,
        cb: &dyn Callbacks,
    ) -> Result<Option<CheckpointRecord>, OpsError> {
        if !self.authenticated() {
            self.require(Action::AuditCheckpoint)?;
        }
        let Some(key) = self.store.setting::<String>(AUDIT_KEY)? else {
            return Ok(None);
        };
        self.checkpoint_with(&key, cb)
            .inspect_err(|e| {
                self.record_failure(AuditEvent::AuditCheckpoint, &key_for_log(&key), e)
            })
            .map(Some)
    }

    fn checkpoint_with(&self, key: &str, cb: &dyn Callbacks) -> Result<CheckpointRecord, OpsError> {
        // The configured secret file unlocks the configured audit key; anything else asks.
        let configured = self.store.setting::<String>(AUDIT_KEY)?.as_deref() == Some(key);
        let file = match self.store.setting::<String>(AUDIT_SECRET_FILE)? {
            Some(f) if configured => Some(read_secret_file(std::path::Path::new(&f))?),
            _ => None,
        };
        let signer = match file {
            Some(secret) => self.signer_for(
                key,
                strongroom_core::Purpose::Audit,
                false,
                &crate::callbacks::WithSecret { secret, inner: cb },
            )?,
            None => self.signer_for(key, strongroom_core::Purpose::Audit, false, cb)?,
        };
        // With a timestamp authority, the checkpoint carries a stamp over its signature.
        let stamp = match self.stamper(cb)? {
            Some(s) => Some((s, self.clock_now()?)),
            None => None,
        };
        let (rec, _) = self.store.record_checkpoint::<OpsError>(
            &self.store.station_id()?,
            &strongroom_store::now_rfc3339(),
            &self.operator,
            |checkpoint: &Checkpoint| {
                let mut bundle = checkpoint.sign(&*signer)?;
                if let Some((stamper, at)) = &stamp {
                    bundle = stamper
                        .stamp_at(vec![bundle], *at)?
                        .pop()
                        .expect("one bundle in, one out");
                }
                Ok((bundle.to_pretty_json(), signer.public_key().clone()))
            },
        )?;
        Ok(rec)
    }

    /// The rows about `objects` (a release's `manifest:sha256:HEX`, a bundle or artifact SHA-256: equal to a row's
    /// object, or a string anywhere in its details) up to the latest checkpoint, with the
    /// content hashes of the rows between them and the checkpoint bundle, so that
    /// `strongroom_core::audit_chain::verify_excerpt` can prove them with the audit key alone.
    /// Rows about the objects after the checkpoint are counted in `later_rows`, not included.
    pub fn audit_excerpt(&self, objects: &[&str]) -> Result<AuditExcerpt, OpsError> {
        self.require(Action::AuditExcerpt)?;
        let what = objects.join(", ");
        let cp = self
            .store
            .latest_checkpoint()?
            .ok_or(OpsError::NoCheckpoint)?;
        let checkpoint = serde_json::from_str(&cp.bundle)
            .map_err(|e| OpsError::BadInput(format!("checkpoint {} is unreadable: {e}", cp.id)))?;
        let is_about = |r: &strongroom_core::audit_chain::RowContent| {
            objects.contains(&r.object.as_str())
                || serde_json::from_str::<serde_json::Value>(&r.details)
                    .is_ok_and(|d| mentions(&d, objects))
        };
        // Find the first row about the objects, a window at a time from the checkpoint back.
        const WINDOW: i64 = 10_000;
        let last = cp.rows as i64;
        let mut first = None;
        let mut to = 1;
        while to <= last {
            let from = to;
            to = (from + WINDOW).min(last + 1);
            if let Some(r) = self
                .store
                .audit_chain_rows(from, to - 1)?
                .into_iter()
                .find(|r| is_about(&r.content))
            {
                first = Some(r.content.seq);
                break;
            }
        }
        let first = first.ok_or_else(|| OpsError::NoAuditRows(what.clone()))?;
        let window = self.store.audit_chain_rows(first, last)?;
        let prev_hash = window
            .first()
            .map_or(GENESIS.to_owned(), |r| r.prev_hash.clone());
        let entries = window
            .into_iter()
            .map(|r| {
                if is_about(&r.content) {
                    ExcerptEntry::Row(r.content)
                } else {
                    ExcerptEntry::Link {
                        seq: r.content.seq,
                        object_hash: r.content.object_hash(),
                        body_hash: r.content.body_hash(),
                    }
                }
            })
            .collect();
        let later_rows = self
            .store
            .audit_chain_rows(last + 1, i64::MAX)?
            .iter()
            .filter(|r| is_about(&r.content))
            .count() as u64;
        Ok(AuditExcerpt {
            format: EXCERPT_FORMAT.to_owned(),
            objects: objects.iter().map(|s| (*s).to_owned()).collect(),
            prev_hash,
            entries,
            checkpoint,
            later_rows,
        })
    }
}

#[cfg(test)]
mod csv_tests {
    #[test]
    fn formulas_are_defused_and_key_ids_are_kept() {
        use super::csv_field;
        assert_eq!(csv_field("+yagO9WAYsuA/8k="), "+yagO9WAYsuA/8k=");
        assert_eq!(csv_field("-12.5"), "-12.5");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("+cmd|' /C calc'!A0"), "'+cmd|' /C calc'!A0");
        assert_eq!(csv_field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
    }
}
