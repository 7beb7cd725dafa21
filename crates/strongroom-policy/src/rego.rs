//! Policy evaluation with regorus (Rego in process): the built-in policy of the release's stage,
//! the trust policy's modules and the user's `--policy` files, conftest style. Every module may
//! define `deny` and `warn` as sets of messages; a `deny` refuses, a `warn` is reported.
//!
//! Syntax: modules are read as Rego v1 (`deny contains msg if { … }`, the OPA 1.0 default); a
//! module that only parses as v0 (`deny[msg] { … }`) is read as v0. A v1 `deny[msg] if { … }`
//! rule is an object in OPA 1.0; its keys are taken as the messages. A message may also be an
//! object with a `msg` field (conftest's structured form).
//!
//! Packages under `strongroom` are reserved for the built-in policy: a user module cannot add to
//! (and so weaken) its helpers. Every evaluation runs under a time limit.

use std::collections::BTreeSet;
use std::num::NonZeroU32;
use std::time::Duration;

use regorus::utils::limits::ExecutionTimerConfig;
use regorus::{Engine, LimitError, Value};
use serde::{Deserialize, Serialize};

use crate::{PolicyBundle, PolicyModule, Stage};

/// One refusal or warning.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Finding {
    /// The Rego package that produced it (`strongroom.production`, `acme.release`).
    pub policy: String,
    /// What is wrong, in words that hold for every shell.
    pub message: String,
    /// What the release officer does about it, when a rule names it (`{"msg": …, "fix": "sbom"}`);
    /// each shell words it for itself.
    pub fix: Option<Fix>,
}

/// A remedy a policy rule can name, so that the CLI and the app can each say how to apply it
/// in their own words (a flag there, a wizard step here).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Fix {
    /// Generate an SBOM for the artifact, or give one.
    Sbom,
    /// Scan the artifacts for vulnerabilities (with OSV data imported).
    Scan,
    /// Give CI's build metadata, signed as provenance.
    Provenance,
    /// Collect approvals from more approvers.
    Approvals,
    /// Give the folder that holds the artifacts, so their bytes are checked too.
    Artifacts,
}

impl Fix {
    /// The name a rule gives: `"fix": "sbom"`.
    pub fn parse(s: &str) -> Option<Fix> {
        Some(match s {
            "sbom" => Fix::Sbom,
            "scan" => Fix::Scan,
            "provenance" => Fix::Provenance,
            "approvals" => Fix::Approvals,
            "artifacts" => Fix::Artifacts,
            _ => return None,
        })
    }
}

/// The outcome of a policy evaluation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub deny: Vec<Finding>,
    pub warn: Vec<Finding>,
}

impl Decision {
    /// No rule denied.
    pub fn allowed(&self) -> bool {
        self.deny.is_empty()
    }
}

/// Bounds on an evaluation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock budget for evaluating one rule (`deny` or `warn` of one package).
    pub time_per_rule: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            time_per_rule: Duration::from_secs(5),
        }
    }
}

/// Why a policy could not be loaded or evaluated.
/// Serialisable, so that an evaluation in a child process can report it.
#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum PolicyError {
    /// The module does not parse. `detail` holds regorus' report with the source line.
    #[error("{file}:{line}:{col}: Rego syntax error: {message}")]
    Syntax {
        file: String,
        line: u32,
        col: u32,
        message: String,
        detail: String,
    },
    #[error("{file}: package {package} is reserved for Strongroom's built-in policy; use a package of your own (for example `package acme.release`)")]
    ReservedPackage { file: String, package: String },
    #[error("{file}: {message}")]
    Load { file: String, message: String },
    #[error("evaluating {rule} took longer than the {limit_ms} ms limit; the policy may loop over too much data")]
    TimeLimit { rule: String, limit_ms: u128 },
    #[error("evaluating {rule} failed: {message}")]
    Evaluation { rule: String, message: String },
    #[error("the policy data is unusable: {0}")]
    Data(String),
    #[error("the input document is unusable: {0}")]
    Input(String),
}

/// The built-in modules: a shared library and one module per stage.
const LIB: (&str, &str) = ("builtin/lib.rego", include_str!("../policies/lib.rego"));
const STAGES: [(Stage, &str, &str); 4] = [
    (
        Stage::Dev,
        "builtin/dev.rego",
        include_str!("../policies/dev.rego"),
    ),
    (
        Stage::Test,
        "builtin/test.rego",
        include_str!("../policies/test.rego"),
    ),
    (
        Stage::Staging,
        "builtin/staging.rego",
        include_str!("../policies/staging.rego"),
    ),
    (
        Stage::Production,
        "builtin/production.rego",
        include_str!("../policies/production.rego"),
    ),
];

/// The built-in policy of `stage` and the library it imports, as (file name, text).
pub fn builtin_modules(stage: Stage) -> [PolicyModule; 2] {
    let (_, name, text) = STAGES
        .iter()
        .find(|(s, _, _)| *s == stage)
        .expect("every stage has a built-in policy");
    [
        PolicyModule::new(LIB.0, LIB.1),
        PolicyModule::new(*name, *text),
    ]
}

/// The built-in policy parameters, which the trust policy's data is merged over.
pub fn default_data() -> serde_json::Value {
    serde_json::json!({
        "min_approvers": {"dev": 0, "test": 0, "staging": 1, "production": 2},
        "allowed_builders": [],
    })
}

/// `data.strongroom.config`: the trust policy's data merged over [`default_data`] (objects
/// merge key by key; anything else replaces).
pub fn effective_data(policy: &PolicyBundle) -> serde_json::Value {
    let mut out = default_data();
    merge(&mut out, &policy.data);
    out
}

fn merge(base: &mut serde_json::Value, over: &serde_json::Value) {
    match (base, over) {
        (serde_json::Value::Object(b), serde_json::Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(k) {
                    Some(slot) => merge(slot, v),
                    None => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (slot, v) => *slot = v.clone(),
    }
}

fn new_engine(limits: &Limits) -> Engine {
    let mut engine = Engine::new();
    engine.set_execution_timer_config(ExecutionTimerConfig {
        limit: limits.time_per_rule,
        check_interval: NonZeroU32::new(64).expect("64 is not zero"),
    });
    // Builtin errors (a bad sprintf, a division by zero) are errors, not silently undefined.
    engine.set_strict_builtin_errors(true);
    engine
}

/// Reads `file:line:col` and the message out of a regorus diagnostic
/// (`--> f.rego:3:5 | … error: expecting expression`).
fn diagnostic(text: &str) -> Option<(String, u32, u32, String)> {
    let loc = text
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("--> "))?;
    let mut parts = loc.trim().rsplitn(3, ':');
    let col = parts.next()?.parse().ok()?;
    let line = parts.next()?.parse().ok()?;
    let file = parts.next()?.to_owned();
    let message = text
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("error: "))
        .unwrap_or("invalid Rego")
        .trim()
        .to_owned();
    Some((file, line, col, message))
}

/// regorus reports `anyhow::Error`s; they become [`PolicyError`]s here and go no further.
fn load_error(file: &str, err: &anyhow::Error) -> PolicyError {
    let text = format!("{err:#}");
    match diagnostic(&text) {
        Some((f, line, col, message)) if f == file => PolicyError::Syntax {
            file: f,
            line,
            col,
            message,
            detail: text.trim().to_owned(),
        },
        _ => PolicyError::Load {
            file: file.to_owned(),
            message: text.trim().to_owned(),
        },
    }
}

fn eval_error(rule: &str, err: &anyhow::Error, limits: &Limits) -> PolicyError {
    if let Some(LimitError::TimeLimitExceeded { .. }) = err.downcast_ref::<LimitError>() {
        return PolicyError::TimeLimit {
            rule: rule.to_owned(),
            limit_ms: limits.time_per_rule.as_millis(),
        };
    }
    let text = format!("{err:#}");
    let message = match diagnostic(&text) {
        Some((file, line, col, message)) => format!("{file}:{line}:{col}: {message}"),
        None => text.trim().to_owned(),
    };
    if message.contains("exceeded time limit") {
        return PolicyError::TimeLimit {
            rule: rule.to_owned(),
            limit_ms: limits.time_per_rule.as_millis(),
        };
    }
    PolicyError::Evaluation {
        rule: rule.to_owned(),
        message,
    }
}

fn position(e: &PolicyError) -> (u32, u32) {
    match e {
        PolicyError::Syntax { line, col, .. } => (*line, *col),
        _ => (0, 0),
    }
}

/// Adds one module, read as Rego v1, or as v0 when v1 refuses it for v0-only syntax (a rule body
/// without `if`). Returns its package path (`data.acme.release`).
fn add_module(engine: &mut Engine, m: &PolicyModule, builtin: bool) -> Result<String, PolicyError> {
    engine.set_rego_v0(false);
    let package = match engine.add_policy(m.name.clone(), m.rego.clone()) {
        Ok(p) => p,
        Err(v1) => {
            let text = format!("{v1:#}");
            let v0_only = text.contains("keyword is required before rule body")
                || text.contains("rule must have a body or assignment");
            if !v0_only || builtin {
                return Err(load_error(&m.name, &v1));
            }
            engine.set_rego_v0(true);
            let added = engine.add_policy(m.name.clone(), m.rego.clone());
            engine.set_rego_v0(false);
            match added {
                Ok(p) => p,
                // Neither reading parses: report the one that got further into the file, the
                // likelier intended syntax.
                Err(v0) => {
                    let (e1, e0) = (load_error(&m.name, &v1), load_error(&m.name, &v0));
                    return Err(if position(&e0) > position(&e1) {
                        e0
                    } else {
                        e1
                    });
                }
            }
        }
    };
    if !builtin && (package == "data.strongroom" || package.starts_with("data.strongroom.")) {
        return Err(PolicyError::ReservedPackage {
            file: m.name.clone(),
            package: package.trim_start_matches("data.").to_owned(),
        });
    }
    Ok(package)
}

/// Checks that user modules parse and use no reserved package, without evaluating anything.
pub fn check_modules(modules: &[PolicyModule]) -> Result<(), PolicyError> {
    let mut engine = new_engine(&Limits::default());
    for m in modules {
        add_module(&mut engine, m, false)?;
    }
    Ok(())
}

/// Evaluates `input` (the document of `docs/policy.md`, see [`crate::PolicyInput`]) against the
/// built-in policy of `stage`, the modules of `policy`, and the `extra` modules (`--policy
/// FILE.rego`), with `policy.data` merged over the defaults as `data.strongroom.config`.
pub fn evaluate(
    input: &serde_json::Value,
    stage: Stage,
    policy: &PolicyBundle,
    extra: &[PolicyModule],
) -> Result<Decision, PolicyError> {
    evaluate_with(input, stage, policy, extra, &Limits::default())
}

/// [`evaluate`] with explicit limits.
pub fn evaluate_with(
    input: &serde_json::Value,
    stage: Stage,
    policy: &PolicyBundle,
    extra: &[PolicyModule],
    limits: &Limits,
) -> Result<Decision, PolicyError> {
    if !input.is_object() {
        return Err(PolicyError::Input(format!(
            "it must be a JSON object, not {}",
            crate::trust::json_kind(input)
        )));
    }
    if !policy.data.is_object() {
        return Err(PolicyError::Data(format!(
            "it must be a JSON object, not {}",
            crate::trust::json_kind(&policy.data)
        )));
    }
    let mut engine = new_engine(limits);
    // (module file, package) in evaluation order: the built-in stage policy first.
    let mut loaded: Vec<(String, String)> = Vec::new();
    let [lib, stage_module] = builtin_modules(stage);
    add_module(&mut engine, &lib, true)?;
    let package = add_module(&mut engine, &stage_module, true)?;
    loaded.push((stage_module.name.clone(), package));
    for m in policy.modules.iter().chain(extra) {
        let package = add_module(&mut engine, m, false)?;
        loaded.push((m.name.clone(), package));
    }
    let data = serde_json::json!({"strongroom": {"config": effective_data(policy)}});
    engine
        .add_data(Value::from(data))
        .map_err(|e| PolicyError::Data(e.to_string()))?;
    engine.set_input(Value::from(input.clone()));

    let mut decision = Decision::default();
    let mut done = BTreeSet::new();
    for (_, package) in &loaded {
        if !done.insert(package.clone()) {
            continue;
        }
        for (rule, out) in [("deny", &mut decision.deny), ("warn", &mut decision.warn)] {
            let declared = loaded
                .iter()
                .filter(|(_, p)| p == package)
                .any(|(file, _)| {
                    engine
                        .has_declared_rule_rooted_at(file, rule)
                        .unwrap_or(false)
                });
            if !declared {
                continue;
            }
            let path = format!("{package}.{rule}");
            let value = engine
                .eval_rule(path.clone())
                .map_err(|e| eval_error(&path, &e, limits))?;
            let policy_name = package.trim_start_matches("data.").to_owned();
            for (message, fix) in messages(&value) {
                let f = Finding {
                    policy: policy_name.clone(),
                    message,
                    fix,
                };
                if !out.contains(&f) {
                    out.push(f);
                }
            }
        }
    }
    Ok(decision)
}

/// The messages of a `deny`/`warn` value: a set (or array) of strings or `{"msg": …, "fix": …}`
/// objects, or an object whose keys are the messages (a v1 `deny[msg] if` rule).
fn messages(v: &Value) -> Vec<(String, Option<Fix>)> {
    fn one(v: &Value) -> (String, Option<Fix>) {
        match v {
            Value::String(s) => (s.to_string(), None),
            Value::Object(o) => match o.get(&Value::from("msg")) {
                Some(Value::String(s)) => {
                    let fix = match o.get(&Value::from("fix")) {
                        Some(Value::String(f)) => Fix::parse(f),
                        _ => None,
                    };
                    (s.to_string(), fix)
                }
                _ => (v.to_json_str().unwrap_or_default().replace('\n', " "), None),
            },
            other => (other.to_json_str().unwrap_or_default(), None),
        }
    }
    match v {
        Value::Set(s) => s.iter().map(one).collect(),
        Value::Array(a) => a.iter().map(one).collect(),
        Value::Object(o) => o.keys().map(one).collect(),
        Value::Undefined | Value::Null => Vec::new(),
        other => vec![one(other)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finding_may_name_its_fix_and_an_unknown_fix_is_none() {
        let v = Value::from_json_str(
            r#"[{"msg": "a", "fix": "sbom"}, {"msg": "b", "fix": "pray"}, "c", {"msg": "d", "fix": "artifacts"}]"#,
        )
        .unwrap();
        assert_eq!(
            messages(&v),
            vec![
                ("a".to_owned(), Some(Fix::Sbom)),
                ("b".to_owned(), None),
                ("c".to_owned(), None),
                ("d".to_owned(), Some(Fix::Artifacts)),
            ]
        );
    }
}
