//! The policy decision through the operations API, on a real station: the station's trust
//! policy (modules and data) and `--policy` files join the built-in rules, and every decision is
//! an audit row (`policy.decision`, outcome `denied` when a rule denied).

use secrecy::SecretString;
use strongroom_ops::trust::read_policy_files;
use strongroom_ops::{OpsError, Role, Station};
use strongroom_policy::{
    ArtifactFacts, Phase, PolicyInput, ProvenanceFacts, Purpose, ReleaseFacts, SbomFacts,
    SignatureFacts, SignatureKind, Stage, VulnFacts,
};

fn station(dir: &std::path::Path) -> Station {
    // Policies are evaluated in a child process; a test harness cannot be that child.
    std::env::set_var(
        strongroom_ops::sandbox::SANDBOX_EXE_ENV,
        env!("CARGO_BIN_EXE_strongroom-sandbox"),
    );
    let mut s = Station::open(dir).unwrap();
    s.init_operator(
        "admin",
        &[Role::ReleaseOfficer, Role::Approver, Role::Auditor],
        &SecretString::from("admin passphrase"),
    )
    .unwrap();
    s
}

fn input(version: &str, builder: &str) -> PolicyInput {
    let sig = |name: &str, kind, op: &str, purpose: Purpose| SignatureFacts {
        keyid: format!("{name}="),
        key_name: Some(name.into()),
        kind,
        operator: Some(op.into()),
        signed_at: "2026-11-22T10:00:00Z".into(),
        valid: true,
        trusted: true,
        purpose: Some(purpose),
        holder: Some(op.into()),
        recorded: true,
        stages: vec![],
        active_at_signing: true,
        revoked: false,
        revoked_before_signing: false,
        key_problems: vec![],
    };
    PolicyInput::new(
        Phase::Verify,
        ReleaseFacts {
            name: "app".into(),
            version: version.into(),
            stage: Stage::Production,
            created: "2026-11-22T10:00:00Z".into(),
        },
        vec![ArtifactFacts {
            name: "app.tar.gz".into(),
            sha256: "00".repeat(32),
            size: 1,
            sbom: SbomFacts {
                present: true,
                format: Some("spdx-2.3".into()),
                components: Some(1),
            },
            provenance: ProvenanceFacts {
                present: true,
                builder_id: Some(builder.into()),
            },
            vulnerabilities: VulnFacts {
                scanned: true,
                ..Default::default()
            },
        }],
        vec![
            sig("rel", SignatureKind::Release, "alice", Purpose::Signer),
            sig("a1", SignatureKind::Approval, "bob", Purpose::Approver),
            sig("a2", SignatureKind::Approval, "carol", Purpose::Approver),
        ],
    )
}

#[test]
fn the_trust_policy_and_policy_files_decide_and_are_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let s = station(dir.path());
    let builder = "https://ci.example/builder@v1";

    // No allowed builders yet: production refuses the builder.
    let d = s.policy_decision(&input("1.0.0", builder), &[]).unwrap();
    assert!(!d.allowed());
    assert!(
        d.deny[0].message.contains("not an allowed builder"),
        "{d:?}"
    );

    let data = work.path().join("data.json");
    std::fs::write(&data, format!(r#"{{"allowed_builders": ["{builder}"]}}"#)).unwrap();
    s.trust_data_set(&data).unwrap();
    let module = work.path().join("no-rc.rego");
    std::fs::write(
        &module,
        "package acme\n\nimport rego.v1\n\ndeny contains \"release candidates stay out of production\" if contains(input.release.version, \"-rc\")\n",
    )
    .unwrap();
    s.trust_policy_add(&module).unwrap();
    assert!(s
        .policy_decision(&input("1.0.0", builder), &[])
        .unwrap()
        .allowed());
    let d = s
        .policy_decision(&input("1.0.0-rc1", builder), &[])
        .unwrap();
    assert_eq!(d.deny.len(), 1);
    assert_eq!(d.deny[0].policy, "acme");

    // A --policy file in v0 syntax adds a warning.
    let extra = work.path().join("extra.rego");
    std::fs::write(
        &extra,
        "package team\n\nwarn[msg] {\n  input.release.name == \"app\"\n  msg := \"app releases need a changelog\"\n}\n",
    )
    .unwrap();
    let modules = read_policy_files(std::slice::from_ref(&extra)).unwrap();
    assert_eq!(modules[0].name, extra.display().to_string());
    let d = s
        .policy_decision(&input("1.0.0", builder), &modules)
        .unwrap();
    assert!(d.allowed());
    assert_eq!(d.warn[0].message, "app releases need a changelog");

    // A broken --policy file is an error naming it, recorded as a failure.
    std::fs::write(&extra, "package team\n\nwarn[msg] {\n").unwrap();
    let err = s
        .policy_decision(
            &input("1.0.0", builder),
            &read_policy_files(std::slice::from_ref(&extra)).unwrap(),
        )
        .unwrap_err();
    assert!(matches!(err, OpsError::Policy(_)), "{err:?}");
    assert!(err.to_string().contains("extra.rego:"), "{err}");

    let rows = s
        .audit_list(&strongroom_ops::AuditQuery::action(Some("policy.decision")))
        .unwrap();
    let outcomes: Vec<&str> = rows.iter().map(|r| r.outcome.as_str()).collect();
    assert_eq!(outcomes, ["denied", "ok", "denied", "ok", "failed"]);
    assert_eq!(rows[2].object, "app@1.0.0-rc1");
    assert_eq!(
        rows[2].details["deny"][0]["message"],
        "release candidates stay out of production"
    );
    assert!(read_policy_files(&[work.path().join("missing.rego")]).is_err());
}

/// A builtin that asks for gigabytes (`numbers.range(1, 4e8)`) aborted the whole process, since
/// regorus bounds a rule's time but not one call's memory. It now runs in a bounded child: the
/// decision fails naming the memory limit, is recorded, and the station goes on.
#[test]
fn a_policy_that_exhausts_memory_is_stopped_in_its_sandbox_and_the_station_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let s = station(dir.path());
    let greedy = work.path().join("greedy.rego");
    std::fs::write(
        &greedy,
        "package greedy\n\nimport rego.v1\n\ndeny contains \"too many\" if count(numbers.range(1, 400000000)) > 3\n",
    )
    .unwrap();
    let modules = read_policy_files(std::slice::from_ref(&greedy)).unwrap();
    let err = s
        .policy_decision(&input("1.0.0", "b"), &modules)
        .unwrap_err();
    assert!(
        matches!(
            err,
            OpsError::Sandbox(strongroom_ops::sandbox::SandboxError::MemoryLimit {
                limit_mib: 512
            })
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("memory limit of 512 MiB"), "{err}");
    assert!(err.remedy().is_some());

    // The station is unharmed: the next decision is made, and both are recorded.
    let d = s.policy_decision(&input("1.0.0", "b"), &[]).unwrap();
    assert!(!d.allowed());
    let rows = s
        .audit_list(&strongroom_ops::AuditQuery::action(Some("policy.decision")))
        .unwrap();
    let outcomes: Vec<&str> = rows.iter().map(|r| r.outcome.as_str()).collect();
    assert_eq!(outcomes, ["failed", "denied"]);
}

/// A rule that iterates for ever stops at the engine's time limit, in the child.
#[test]
fn a_policy_that_spins_is_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let s = station(dir.path());
    let spin = work.path().join("spin.rego");
    std::fs::write(
        &spin,
        "package spin\n\nimport rego.v1\n\ndeny contains \"slow\" if { some i in numbers.range(1, 10000); some j in numbers.range(1, 10000); i * j < 0 }\n",
    )
    .unwrap();
    let modules = read_policy_files(std::slice::from_ref(&spin)).unwrap();
    let start = std::time::Instant::now();
    let err = s
        .policy_decision(&input("1.0.0", "b"), &modules)
        .unwrap_err();
    assert!(
        matches!(
            err,
            OpsError::Policy(strongroom_policy::PolicyError::TimeLimit { .. })
        ),
        "{err:?}"
    );
    assert!(start.elapsed() < std::time::Duration::from_secs(40));
}
