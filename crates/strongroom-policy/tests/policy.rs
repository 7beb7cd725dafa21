//! Policy decisions through regorus: the built-in policy of each stage on passing, denied and
//! warned inputs; user rules in Rego v0 and v1 syntax; syntax errors named by file and line;
//! reserved packages; data merged over the defaults; runaway policies stopped.

use std::time::{Duration, Instant};

use strongroom_policy::rego::{default_data, effective_data};
use strongroom_policy::{
    check_modules, evaluate, evaluate_with, ArtifactFacts, Decision, Limits, Phase, PolicyBundle,
    PolicyError, PolicyInput, PolicyModule, ProvenanceFacts, Purpose, ReleaseFacts, SbomFacts,
    SignatureFacts, SignatureKind, Stage, VulnFacts,
};

const BUILDER: &str = "https://github.com/acme/builder@v1";

fn artifact(name: &str) -> ArtifactFacts {
    ArtifactFacts {
        name: name.into(),
        sha256: "ab".repeat(32),
        size: 123,
        sbom: SbomFacts {
            present: true,
            format: Some("spdx-2.3".into()),
            components: Some(42),
        },
        provenance: ProvenanceFacts {
            present: true,
            builder_id: Some(BUILDER.into()),
        },
        vulnerabilities: VulnFacts {
            scanned: true,
            high: 1,
            ids: vec!["GHSA-aaaa-bbbb-cccc".into()],
            ..Default::default()
        },
    }
}

fn signature(name: &str, kind: SignatureKind, operator: &str, purpose: Purpose) -> SignatureFacts {
    SignatureFacts {
        keyid: format!("{name}-keyid="),
        key_name: Some(name.into()),
        kind,
        operator: Some(operator.into()),
        signed_at: "2026-11-22T10:00:00Z".into(),
        valid: true,
        trusted: true,
        purpose: Some(purpose),
        holder: Some(operator.into()),
        recorded: true,
        stages: vec![Stage::Production],
        active_at_signing: true,
        revoked: false,
        revoked_before_signing: false,
        key_problems: vec![],
    }
}

/// A production release that meets every built-in rule.
fn good(stage: Stage, phase: Phase) -> PolicyInput {
    PolicyInput::new(
        phase,
        ReleaseFacts {
            name: "app".into(),
            version: "1.2.3".into(),
            stage,
            created: "2026-11-22T10:00:00Z".into(),
        },
        vec![artifact("app.tar.gz"), artifact("app.deb")],
        vec![
            signature(
                "alice-release",
                SignatureKind::Release,
                "alice",
                Purpose::Signer,
            ),
            signature(
                "bob-approve",
                SignatureKind::Approval,
                "bob",
                Purpose::Approver,
            ),
            signature(
                "carol-approve",
                SignatureKind::Approval,
                "carol",
                Purpose::Approver,
            ),
        ],
    )
}

fn trust_data() -> PolicyBundle {
    PolicyBundle {
        modules: vec![],
        data: serde_json::json!({"allowed_builders": [BUILDER]}),
    }
}

fn eval(input: &PolicyInput) -> Decision {
    evaluate(&input.to_value(), input.release.stage, &trust_data(), &[]).unwrap()
}

/// Re-counts approvals after a test changed signatures.
fn recount(mut i: PolicyInput) -> PolicyInput {
    i.approvals = strongroom_policy::ApprovalFacts::count(i.release.stage, &i.signatures);
    i
}

#[track_caller]
fn assert_denied(d: &Decision, needles: &[&str]) {
    for n in needles {
        assert!(
            d.deny.iter().any(|f| f.message.contains(n)),
            "no deny containing {n:?} in {d:#?}"
        );
    }
}

#[track_caller]
fn assert_warned(d: &Decision, needle: &str) {
    assert!(
        d.warn.iter().any(|f| f.message.contains(needle)),
        "no warn containing {needle:?} in {d:#?}"
    );
}

#[test]
fn a_complete_production_release_passes() {
    let d = eval(&good(Stage::Production, Phase::Verify));
    assert!(d.allowed(), "{d:#?}");
    assert!(d.warn.is_empty(), "{d:#?}");
}

#[test]
fn production_denies_each_missing_requirement_naming_it() {
    let mut i = good(Stage::Production, Phase::Verify);
    i.artifacts[0].sbom.present = false;
    i.artifacts[1].vulnerabilities.critical = 2;
    i.artifacts[1].vulnerabilities.ids = vec!["CVE-2026-1".into(), "GHSA-x".into()];
    let d = eval(&i);
    assert_denied(
        &d,
        &[
            "artifact app.tar.gz has no SBOM",
            "artifact app.deb has 2 critical vulnerabilities (findings: CVE-2026-1, GHSA-x)",
        ],
    );
    assert!(d.deny.iter().all(|f| f.policy == "strongroom.production"));
    assert_eq!(d.deny.len(), 2, "{d:#?}");

    let mut i = good(Stage::Production, Phase::Verify);
    i.artifacts[0].vulnerabilities.scanned = false;
    i.artifacts[1].provenance.present = false;
    i.artifacts[1].provenance.builder_id = None;
    let d = eval(&i);
    assert_denied(
        &d,
        &[
            "artifact app.tar.gz was not scanned",
            "artifact app.deb has no provenance",
        ],
    );

    let mut i = good(Stage::Production, Phase::Verify);
    i.artifacts[0].provenance.builder_id = Some("https://evil.example/builder".into());
    let d = eval(&i);
    assert_denied(
        &d,
        &["artifact app.tar.gz was built by https://evil.example/builder, which is not an allowed builder (allowed: https://github.com/acme/builder@v1)"],
    );
    // Without configured builders every builder is refused, and the message says so.
    let d = evaluate(
        &good(Stage::Production, Phase::Verify).to_value(),
        Stage::Production,
        &PolicyBundle::default(),
        &[],
    )
    .unwrap();
    assert_denied(&d, &["allowed: none configured"]);
}

#[test]
fn production_needs_an_active_trusted_production_signer() {
    type Edit = fn(&mut SignatureFacts);
    let cases: [(Edit, &str); 7] = [
        (|s| s.valid = false, "the signature does not verify"),
        (|s| s.trusted = false, "the key is not in the trust store"),
        (
            |s| {
                s.active_at_signing = false;
                s.key_problems =
                    vec!["expired at 2026-01-01T00:00:00Z (before 2026-11-22T10:00:00Z)".into()];
            },
            "expired at 2026-01-01T00:00:00Z",
        ),
        (
            |s| {
                s.active_at_signing = false;
                s.revoked = true;
                s.revoked_before_signing = true;
                s.key_problems = vec!["revoked at 2026-11-01T00:00:00Z (key compromise)".into()];
            },
            "revoked at 2026-11-01T00:00:00Z (key compromise)",
        ),
        (
            |s| s.active_at_signing = false,
            "the key was not active when it signed",
        ),
        (
            |s| s.stages = vec![Stage::Dev, Stage::Test],
            "the key is not trusted for the production stage",
        ),
        (
            |s| s.purpose = Some(Purpose::Approver),
            "the key is not a signer key",
        ),
    ];
    for (edit, reason) in cases {
        let mut i = good(Stage::Production, Phase::Verify);
        edit(&mut i.signatures[0]);
        let d = eval(&recount(i));
        assert_denied(
            &d,
            &[
                "no release signature by a trusted signer key for production",
                &format!("key alice-release (alice-release-keyid=): {reason}"),
            ],
        );
    }
    // No release signature at all.
    let mut i = good(Stage::Production, Phase::Verify);
    i.signatures.remove(0);
    let d = eval(&i);
    assert_denied(&d, &["no release signature by a trusted signer key for production that was active when it signed"]);
    // A key trusted for every stage (empty list) qualifies.
    let mut i = good(Stage::Production, Phase::Verify);
    i.signatures[0].stages.clear();
    assert!(eval(&i).allowed());
}

#[test]
fn approvals_are_denied_at_verify_and_a_reminder_at_create() {
    let mut i = good(Stage::Production, Phase::Verify);
    i.signatures.truncate(2);
    let i = recount(i);
    assert_eq!(i.approvals.distinct_approvers, 1);
    let d = eval(&i);
    assert_denied(
        &d,
        &["the production stage needs 2 distinct approvers, has 1"],
    );
    // The remedy is named, not worded: each shell says how to collect approvals.
    assert_eq!(d.deny[0].fix, Some(strongroom_policy::Fix::Approvals));
    assert!(
        !d.deny[0].message.contains("strongroom"),
        "{}",
        d.deny[0].message
    );

    let mut c = i.clone();
    c.phase = Phase::Create;
    c.signatures.truncate(1);
    let c = recount(c);
    let d = eval(&c);
    assert!(d.allowed(), "{d:#?}");
    assert_warned(&d, "needs 2 distinct approvers, has 0");

    // The same approver twice (two keys, one holder) counts once.
    let mut i = good(Stage::Production, Phase::Verify);
    i.signatures[2].holder = Some("bob".into());
    let d = eval(&recount(i));
    assert_denied(&d, &["needs 2 distinct approvers, has 1"]);

    // Data may raise the number but not lower production's floor of 2.
    let i = good(Stage::Production, Phase::Verify);
    for (min, denied) in [
        (serde_json::json!({"production": 3}), true),
        (serde_json::json!({"production": 1}), false),
        (serde_json::json!(0), false),
    ] {
        let bundle = PolicyBundle {
            modules: vec![],
            data: serde_json::json!({"allowed_builders": [BUILDER], "min_approvers": min}),
        };
        let d = evaluate(&i.to_value(), Stage::Production, &bundle, &[]).unwrap();
        assert_eq!(!d.allowed(), denied, "{min}: {d:#?}");
    }
    let mut short = i.clone();
    short.signatures.truncate(2);
    let short = recount(short);
    let bundle = PolicyBundle {
        modules: vec![],
        data: serde_json::json!({"allowed_builders": [BUILDER], "min_approvers": {"production": 1}}),
    };
    let d = evaluate(&short.to_value(), Stage::Production, &bundle, &[]).unwrap();
    assert_denied(&d, &["needs 2 distinct approvers, has 1"]);
}

#[test]
fn a_fail_closed_reading_of_missing_fields() {
    // A document with signatures and artifacts stripped of their facts is refused, not passed.
    let mut v = good(Stage::Production, Phase::Verify).to_value();
    for a in v["artifacts"].as_array_mut().unwrap() {
        *a = serde_json::json!({"name": a["name"].clone()});
    }
    for s in v["signatures"].as_array_mut().unwrap() {
        *s = serde_json::json!({"keyid": s["keyid"].clone(), "kind": s["kind"].clone()});
    }
    v.as_object_mut().unwrap().remove("approvals");
    v.as_object_mut().unwrap().remove("phase");
    let d = evaluate(&v, Stage::Production, &trust_data(), &[]).unwrap();
    assert_denied(
        &d,
        &[
            "no release signature",
            "app.tar.gz has no SBOM",
            "app.deb was not scanned",
            "app.deb has no provenance",
            "needs 2 distinct approvers, has 0",
        ],
    );
}

#[test]
fn lower_stages_are_lenient_in_documented_ways() {
    // dev: nothing denied; gaps warned.
    let mut i = good(Stage::Dev, Phase::Verify);
    i.signatures.clear();
    i.artifacts[0].sbom.present = false;
    i.artifacts[0].vulnerabilities.critical = 1;
    i.artifacts[0].provenance.present = false;
    let d = eval(&recount(i.clone()));
    assert!(d.allowed(), "{d:#?}");
    assert_warned(&d, "artifact app.tar.gz has no SBOM");
    assert_warned(&d, "artifact app.tar.gz has 1 critical vulnerabilities");
    assert!(d.warn.iter().all(|f| f.policy == "strongroom.dev"));

    // test: as dev, plus a trusted release signature (any role, any stage).
    i.release.stage = Stage::Test;
    let d = eval(&recount(i.clone()));
    assert_denied(&d, &["no valid release signature by a trusted key"]);
    let mut s = signature(
        "dev-key",
        SignatureKind::Release,
        "alice",
        Purpose::Approver,
    );
    s.stages = vec![Stage::Dev];
    i.signatures.push(s);
    let d = eval(&recount(i.clone()));
    assert!(d.allowed(), "{d:#?}");
    assert_warned(&d, "has no SBOM");

    // staging: a staging signer and SBOMs are required; the rest is warned.
    i.release.stage = Stage::Staging;
    let d = eval(&recount(i.clone()));
    assert_denied(
        &d,
        &[
            "no release signature by a trusted signer key for staging",
            "key dev-key (dev-key-keyid=): the key is not trusted for the staging stage; the key is not a signer key",
            "artifact app.tar.gz has no SBOM",
        ],
    );
    let mut i = good(Stage::Staging, Phase::Verify);
    i.signatures = vec![{
        let mut s = signature(
            "stage-key",
            SignatureKind::Release,
            "alice",
            Purpose::Signer,
        );
        s.stages = vec![Stage::Staging];
        s
    }];
    i.artifacts[0].vulnerabilities.critical = 1;
    i.artifacts[1].provenance.present = false;
    i.artifacts[0].provenance.builder_id = Some("https://other/builder".into());
    let d = eval(&recount(i));
    assert!(d.allowed(), "{d:#?}");
    assert_warned(&d, "1 critical vulnerabilities");
    assert_warned(&d, "artifact app.deb has no provenance");
    assert_warned(&d, "https://other/builder, which is not an allowed builder");
    assert_warned(&d, "the staging stage needs 1 distinct approvers, has 0");
}

#[test]
fn a_key_revoked_after_signing_is_warned_at_every_stage() {
    for stage in Stage::ALL {
        let mut i = good(stage, Phase::Verify);
        i.signatures[0].stages.clear();
        i.signatures[0].revoked = true;
        let d = eval(&recount(i));
        assert!(d.allowed(), "{stage}: {d:#?}");
        assert_warned(
            &d,
            "key alice-release (alice-release-keyid=) was revoked after it signed",
        );
    }
}

const V0_RULES: &str = r#"package acme.release

# Rego v0: no `if`, no `contains`.
deny[msg] {
    input.release.version == "0.0.0"
    msg := sprintf("release %s has the placeholder version 0.0.0", [input.release.name])
}

warn[msg] {
    a := input.artifacts[_]
    a.size > 100
    msg := sprintf("%s is larger than 100 bytes", [a.name])
}
"#;

const V1_RULES: &str = r#"package acme.naming

import rego.v1

deny contains msg if {
    some a in input.artifacts
    not endswith(a.name, ".tar.gz")
    msg := sprintf("%s is not a .tar.gz", [a.name])
}

deny contains {"msg": "structured finding"} if input.release.name == "app"

warn contains sprintf("min approvers is %d", [data.strongroom.config.min_approvers.production]) if true
"#;

// OPA 1.0 reads `deny[msg] if` as an object rule; its keys are the messages.
const V1_OBJECT_RULES: &str = r#"package acme.objects

deny[msg] if {
    input.release.stage == "production"
    msg := "object-style rule"
}
"#;

#[test]
fn user_rules_in_both_syntaxes() {
    let mut i = good(Stage::Production, Phase::Verify);
    i.release.version = "0.0.0".into();
    let extra = [
        PolicyModule::new("v0.rego", V0_RULES),
        PolicyModule::new("v1.rego", V1_RULES),
        PolicyModule::new("obj.rego", V1_OBJECT_RULES),
    ];
    let d = evaluate(&i.to_value(), Stage::Production, &trust_data(), &extra).unwrap();
    let deny: Vec<(&str, &str)> = d
        .deny
        .iter()
        .map(|f| (f.policy.as_str(), f.message.as_str()))
        .collect();
    assert_eq!(
        deny,
        vec![
            (
                "acme.release",
                "release app has the placeholder version 0.0.0"
            ),
            ("acme.naming", "app.deb is not a .tar.gz"),
            ("acme.naming", "structured finding"),
            ("acme.objects", "object-style rule"),
        ]
    );
    let warn: Vec<&str> = d.warn.iter().map(|f| f.message.as_str()).collect();
    assert_eq!(
        warn,
        vec![
            "app.deb is larger than 100 bytes",
            "app.tar.gz is larger than 100 bytes",
            "min approvers is 2",
        ]
    );
    // The trust policy's modules are evaluated like --policy files.
    let bundle = PolicyBundle {
        modules: vec![PolicyModule::new("v0.rego", V0_RULES)],
        data: serde_json::json!({"allowed_builders": [BUILDER]}),
    };
    let d = evaluate(&i.to_value(), Stage::Production, &bundle, &[]).unwrap();
    assert_denied(&d, &["placeholder version"]);
}

#[test]
fn syntax_errors_name_the_file_and_line() {
    let broken_v1 = "package acme.x\n\nimport rego.v1\n\ndeny contains msg if {\n    msg := sprintf(\"%s\", [input.x)\n}\n";
    let err = check_modules(&[
        PolicyModule::new("ok.rego", V1_RULES),
        PolicyModule::new("broken.rego", broken_v1),
    ])
    .unwrap_err();
    match &err {
        PolicyError::Syntax { file, line, .. } => {
            assert_eq!(file, "broken.rego");
            assert_eq!(*line, 6, "{err}");
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().starts_with("broken.rego:6:"), "{err}");

    // A v1 module with one rule missing its `if`: the error names that rule.
    let missing_if = "package acme.z\n\nimport rego.v1\n\ndeny contains \"a\" if true\n\nwarn[msg] {\n    msg := \"b\"\n}\n";
    let err = check_modules(&[PolicyModule::new("z.rego", missing_if)]).unwrap_err();
    assert!(
        matches!(&err, PolicyError::Syntax { line: 7, message, .. } if message.contains("`if` keyword is required")),
        "{err:?}"
    );

    let broken_v0 = "package acme.y\n\ndeny[msg] {\n    msg := \"a\"\n    input.x ==\n}\n";
    let err = evaluate(
        &good(Stage::Dev, Phase::Verify).to_value(),
        Stage::Dev,
        &PolicyBundle::default(),
        &[PolicyModule::new("/home/me/old.rego", broken_v0)],
    )
    .unwrap_err();
    match &err {
        PolicyError::Syntax {
            file,
            line,
            message,
            ..
        } => {
            assert_eq!(file, "/home/me/old.rego");
            assert_eq!(*line, 6, "{err}");
            assert!(!message.is_empty());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_strongroom_namespace_is_reserved() {
    // Adding a helper to the built-in library could make every signer "qualify".
    let sneaky =
        "package strongroom.lib\n\nimport rego.v1\n\nqualifying_release_signature(sig) if true\n";
    let err = check_modules(&[PolicyModule::new("sneaky.rego", sneaky)]).unwrap_err();
    assert!(
        matches!(&err, PolicyError::ReservedPackage { file, package } if file == "sneaky.rego" && package == "strongroom.lib"),
        "{err:?}"
    );
    let mut i = good(Stage::Production, Phase::Verify);
    i.signatures[0].valid = false;
    let err = evaluate(
        &i.to_value(),
        Stage::Production,
        &trust_data(),
        &[PolicyModule::new("sneaky.rego", sneaky)],
    )
    .unwrap_err();
    assert!(matches!(err, PolicyError::ReservedPackage { .. }));
}

#[test]
fn runtime_errors_and_runaway_policies_are_errors() {
    let runaway = "package acme.slow\n\nimport rego.v1\n\ndeny contains x if {\n    some a in numbers.range(1, 100000)\n    some b in numbers.range(1, 100000)\n    x := a + b\n    x < 0\n}\n";
    let started = Instant::now();
    let err = evaluate_with(
        &good(Stage::Dev, Phase::Verify).to_value(),
        Stage::Dev,
        &PolicyBundle::default(),
        &[PolicyModule::new("slow.rego", runaway)],
        &Limits {
            time_per_rule: Duration::from_millis(300),
        },
    )
    .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(
        matches!(&err, PolicyError::TimeLimit { rule, limit_ms: 300 } if rule == "data.acme.slow.deny"),
        "{err:?}"
    );

    let div = "package acme.div\n\nimport rego.v1\n\ndeny contains sprintf(\"%d\", [1 / count([])]) if true\n";
    let err = evaluate(
        &good(Stage::Dev, Phase::Verify).to_value(),
        Stage::Dev,
        &PolicyBundle::default(),
        &[PolicyModule::new("div.rego", div)],
    )
    .unwrap_err();
    assert!(
        matches!(&err, PolicyError::Evaluation { rule, message } if rule == "data.acme.div.deny" && message.contains("div.rego:5")),
        "{err:?}"
    );
}

#[test]
fn data_merges_over_the_defaults() {
    let bundle = PolicyBundle {
        modules: vec![],
        data: serde_json::json!({"min_approvers": {"production": 3}, "team": "acme"}),
    };
    let merged = effective_data(&bundle);
    assert_eq!(merged["min_approvers"]["production"], 3);
    assert_eq!(
        merged["min_approvers"]["staging"],
        default_data()["min_approvers"]["staging"]
    );
    assert_eq!(merged["team"], "acme");
    assert_eq!(merged["allowed_builders"], serde_json::json!([]));

    let bad = PolicyBundle {
        modules: vec![],
        data: serde_json::json!([1]),
    };
    let err = evaluate(
        &good(Stage::Dev, Phase::Verify).to_value(),
        Stage::Dev,
        &bad,
        &[],
    )
    .unwrap_err();
    assert!(matches!(err, PolicyError::Data(_)), "{err:?}");
    let err = evaluate(
        &serde_json::json!("x"),
        Stage::Dev,
        &PolicyBundle::default(),
        &[],
    )
    .unwrap_err();
    assert!(matches!(err, PolicyError::Input(_)), "{err:?}");
}

#[test]
fn the_documented_example_is_what_the_types_produce() {
    // docs/policy.md shows this document; keep the two in step.
    let doc = include_str!("../../../docs/policy-input.example.json");
    let parsed: PolicyInput = serde_json::from_str(doc).unwrap();
    assert_eq!(
        serde_json::to_value(&parsed).unwrap(),
        serde_json::from_str::<serde_json::Value>(doc).unwrap()
    );
    let d = evaluate(&parsed.to_value(), parsed.release.stage, &trust_data(), &[]).unwrap();
    assert!(d.allowed(), "{d:#?}");
}
