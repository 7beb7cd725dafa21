//! The role matrix, on a real SQLite station: every operation, called for real by an operator of
//! each role, is allowed or refused exactly as `Action::allowed_roles` says; each refusal names
//! the operator, the action and the roles that may do it, and is itself recorded
//! (`access.denied`). The matrix in `docs/operators.md` must be the same as the code's.

use std::collections::BTreeSet;
use std::path::PathBuf;

use secrecy::SecretString;
use strongroom_core::{Algorithm, Purpose, Signer, SoftwareKey};
use strongroom_ops::attest::{AttestRequest, PredicateKind};
use strongroom_ops::vulns::ScanRequest;
use strongroom_ops::{
    Action, AdoptTokenKey, ErrorKind, GenerateKey, GenerateTokenKey, OpsError, Role, SignRequest,
    Station, TokenTarget, VerifyRequest,
};

mod common;
use common::{pass, Secrets};

fn missing() -> PathBuf {
    PathBuf::from("/nonexistent/strongroom-roles-test")
}

/// One real call of an operation; its result matters only as allowed or refused.
type Call = Box<dyn Fn(&Station, &str) -> Result<(), OpsError>>;

/// Every operation, called with arguments that are harmless when it is allowed (a missing file,
/// an unknown key), under the action it must check. `tag` makes names unique per caller.
fn cases() -> Vec<(Action, &'static str, Call)> {
    let dummy_key = SoftwareKey::generate(Algorithm::Ed25519)
        .unwrap()
        .public_key()
        .clone();
    let token = || TokenTarget::label("no-such-token", Some(missing()));
    vec![
        (
            Action::KeyGenerate,
            "generate_software_key",
            Box::new(|s, tag| {
                s.generate_software_key(
                    &GenerateKey {
                        label: format!("k-{tag}"),
                        algorithm: Algorithm::Ed25519,
                        purpose: Purpose::Signer,
                    },
                    &Secrets,
                )
                .map(drop)
            }),
        ),
        (
            Action::KeyGenerate,
            "generate_token_key",
            Box::new(move |s, tag| {
                s.generate_token_key(
                    &GenerateTokenKey {
                        target: token(),
                        algorithm: Algorithm::EcdsaP256,
                        label: format!("t-{tag}"),
                        purpose: Purpose::Signer,
                        protection: Default::default(),
                    },
                    &Secrets,
                )
                .map(drop)
            }),
        ),
        (
            Action::KeyAdopt,
            "adopt_token_key",
            Box::new(move |s, tag| {
                s.adopt_token_key(
                    &AdoptTokenKey {
                        target: Some(TokenTarget::label("no-such-token", Some(missing()))),
                        object: "x".into(),
                        label: format!("a-{tag}"),
                        purpose: Purpose::Signer,
                        allow_pin_in_uri: false,
                    },
                    &Secrets,
                )
                .map(drop)
            }),
        ),
        (
            Action::KeyExport,
            "export_public_key",
            Box::new(|s, _| s.export_public_key("no-such-key").map(drop)),
        ),
        (
            Action::KeyRetire,
            "retire_key",
            Box::new(|s, _| s.retire_key("no-such-key").map(drop)),
        ),
        (
            Action::KeyRevoke,
            "revoke_key",
            Box::new(|s, _| s.revoke_key("no-such-key", "lost").map(drop)),
        ),
        (
            Action::KeyRotate,
            "rotate_key",
            Box::new(|s, _| {
                s.rotate_key(
                    &strongroom_ops::RotateKey {
                        key: "no-such-key".into(),
                        new_label: "next".into(),
                        out_dir: std::env::temp_dir(),
                        carry_trust: false,
                    },
                    &Secrets,
                )
                .map(drop)
            }),
        ),
        (
            Action::KeyList,
            "list_keys",
            Box::new(|s, _| s.list_keys().map(drop)),
        ),
        (
            Action::KeyShow,
            "show_key",
            Box::new(|s, _| s.show_key("no-such-key").map(drop)),
        ),
        (
            Action::KeyShow,
            "public_key",
            Box::new(|s, _| s.public_key("no-such-key").map(drop)),
        ),
        (
            Action::KeyShow,
            "find_key",
            Box::new(|s, _| s.find_key("no-such-key").map(drop)),
        ),
        (
            Action::TokenList,
            "list_tokens",
            Box::new(|s, _| s.list_tokens(Some(&missing())).map(drop)),
        ),
        (
            Action::KeyBackup,
            "backup_key",
            Box::new(|s, _| {
                s.backup_key(
                    &strongroom_ops::backup::BackupKeyRequest {
                        key: "no-such-key".into(),
                        shares: 3,
                        threshold: 2,
                        custodians: Vec::new(),
                        output: missing(),
                    },
                    &Secrets,
                )
                .map(drop)
            }),
        ),
        (
            Action::KeyRestore,
            "restore_key",
            Box::new(|s, _| {
                s.restore_key(
                    &strongroom_ops::backup::RestoreKeyRequest {
                        backup: missing(),
                        shares: Vec::new(),
                        target: None,
                    },
                    &Secrets,
                )
                .map(drop)
            }),
        ),
        (
            Action::CeremonyRun,
            "ceremony_run",
            Box::new(|s, _| {
                s.ceremony_run(
                    &strongroom_ops::ceremony::RunCeremony {
                        script: missing(),
                        output: missing(),
                    },
                    &Secrets,
                )
                .map(drop)
            }),
        ),
        (
            Action::TsaInit,
            "tsa_init",
            Box::new(|s, _| {
                s.tsa_init(
                    &strongroom_ops::tsa::TsaInit {
                        target: strongroom_ops::TokenTarget::label("t", Some(missing())),
                        output: missing(),
                        years: 10,
                    },
                    &Secrets,
                )
                .map(drop)
            }),
        ),
        (
            Action::TokenAdmin,
            "token_init",
            Box::new(|s, _| {
                s.token_init(
                    &strongroom_ops::InitToken {
                        module: Some(missing()),
                        slot: None,
                        label: "t".into(),
                    },
                    &Secrets,
                )
                .map(drop)
            }),
        ),
        (
            Action::TokenAdmin,
            "token_change_pin",
            Box::new(|s, _| {
                s.token_change_pin(
                    &strongroom_ops::TokenTarget::label("t", Some(missing())),
                    &Secrets,
                )
            }),
        ),
        (
            Action::TokenAdmin,
            "token_unlock",
            Box::new(|s, _| {
                s.token_unlock(
                    &strongroom_ops::TokenTarget::label("t", Some(missing())),
                    &Secrets,
                )
            }),
        ),
        (
            Action::ModuleList,
            "allowed_modules",
            Box::new(|s, _| s.allowed_modules().map(drop)),
        ),
        (
            Action::ModuleAllow,
            "allow_module",
            Box::new(|s, _| s.allow_module(&missing()).map(drop)),
        ),
        (
            Action::ModuleRemove,
            "disallow_module",
            Box::new(|s, _| s.disallow_module(&missing()).map(drop)),
        ),
        (
            Action::Sign,
            "sign_files",
            Box::new(|s, _| {
                s.sign_files(
                    &SignRequest {
                        key: "no-such-key".into(),
                        files: vec![],
                        images: Vec::new(),
                        out_dir: None,
                        force: false,
                        allow_pin_in_uri: false,
                    },
                    &Secrets,
                )
                .map(drop)
            }),
        ),
        (
            Action::Attest,
            "attest",
            Box::new(|s, _| {
                s.attest(
                    &AttestRequest {
                        key: "no-such-key".into(),
                        kind: PredicateKind::Provenance,
                        predicate: missing(),
                        artifacts: vec![missing()],
                        output: None,
                        force: false,
                        allow_pin_in_uri: false,
                    },
                    &Secrets,
                )
                .map(drop)
            }),
        ),
        (
            Action::Verify,
            "verify_signature",
            Box::new(move |s, _| {
                s.verify_signature(
                    &VerifyRequest {
                        document: missing(),
                        key: dummy_key.clone(),
                        artifact: None,
                        expect_type: None,
                    },
                    &Secrets,
                )
                .map(drop)
            }),
        ),
        (
            Action::VulndbImport,
            "import_vulndb",
            Box::new(|s, _| s.import_vulndb(&[], &Secrets).map(drop)),
        ),
        (
            Action::VulndbStatus,
            "vulndb_status",
            Box::new(|s, _| s.vulndb_status().map(drop)),
        ),
        (
            Action::VulndbStatus,
            "vulndb_max_age_days",
            Box::new(|s, _| s.vulndb_max_age_days().map(drop)),
        ),
        (
            Action::VulndbConfigure,
            "set_vulndb_max_age_days",
            Box::new(|s, _| s.set_vulndb_max_age_days(30)),
        ),
        (
            Action::Scan,
            "scan",
            Box::new(|s, _| {
                s.scan(
                    &ScanRequest {
                        input: missing(),
                        fail_on: None,
                    },
                    &Secrets,
                )
                .map(drop)
            }),
        ),
        (
            Action::AuditVerify,
            "audit_verify",
            Box::new(|s, _| s.audit_verify().map(drop)),
        ),
        (
            Action::AuditList,
            "audit_list",
            Box::new(|s, _| {
                s.audit_list(&strongroom_ops::AuditQuery::default())
                    .map(drop)
            }),
        ),
        (
            Action::AuditList,
            "audit_key",
            Box::new(|s, _| s.audit_key().map(drop)),
        ),
        (
            Action::AuditCheckpoint,
            "audit_checkpoint",
            Box::new(|s, _| s.audit_checkpoint(Some("no-such-key"), &Secrets).map(drop)),
        ),
        (
            Action::AuditKeySet,
            "set_audit_key",
            Box::new(|s, _| s.set_audit_key("no-such-key", None)),
        ),
        (
            Action::AuditExcerpt,
            "audit_excerpt",
            Box::new(|s, _| s.audit_excerpt(&["nothing"]).map(drop)),
        ),
        (
            Action::OperatorList,
            "list_operators",
            Box::new(|s, _| s.list_operators().map(drop)),
        ),
        (
            Action::OperatorAdd,
            "add_operator",
            Box::new(|s, tag| {
                s.add_operator(&format!("new-{tag}"), &[Role::Auditor], &pass("new"))
                    .map(drop)
            }),
        ),
        (
            Action::OperatorChange,
            "set_operator_disabled",
            Box::new(|s, _| s.set_operator_disabled("ghost", true).map(drop)),
        ),
        (
            Action::OperatorChange,
            "grant_roles",
            Box::new(|s, _| s.grant_roles("ghost", &[Role::Auditor]).map(drop)),
        ),
        (
            Action::OperatorChange,
            "revoke_roles",
            Box::new(|s, _| s.revoke_roles("ghost", &[Role::Auditor]).map(drop)),
        ),
        (
            Action::TrustChange,
            "trust_policy_remove",
            Box::new(|s, _| s.trust_policy_remove("no-such-module").map(drop)),
        ),
        (
            Action::TrustChange,
            "trust_import",
            Box::new(|s, _| s.trust_import(&missing()).map(drop)),
        ),
        (
            Action::TrustList,
            "trust_list",
            Box::new(|s, _| s.trust_list().map(drop)),
        ),
        (
            Action::TrustList,
            "trust_set",
            Box::new(|s, _| s.trust_set().map(drop)),
        ),
        (
            Action::QuorumSet,
            "set_quorum",
            // 0 is refused as bad input once the role allows the call.
            Box::new(|s, _| s.set_quorum(0).map(drop)),
        ),
        (
            Action::KeyExport,
            "save_public_key",
            Box::new(|s, _| {
                s.save_public_key("no-such-key", &missing().join("k.pem"), false)
                    .map(drop)
            }),
        ),
        (
            Action::AuditList,
            "audit_export",
            Box::new(|s, _| s.audit_export(&missing().join("a.jsonl"), false).map(drop)),
        ),
        (
            Action::OperatorChange,
            "change_operator_passphrase of another",
            Box::new(|s, _| {
                s.change_operator_passphrase(Some("ghost"), &pass("ghost"))
                    .map(drop)
            }),
        ),
    ]
}

/// Actions whose operations live in the release module, written alongside this one: its own
/// tests call them; they are listed here so that a forgotten action fails this test.
const COVERED_ELSEWHERE: &[Action] = &[
    Action::ReleaseCreate,
    Action::ReleaseApprove,
    Action::ReleaseExport,
    Action::ReleaseVerify,
];

/// The `access.denied` rows as (operator, action), read from the database directly.
fn denied_rows(s: &Station) -> Vec<(String, String)> {
    strongroom_store::Store::open(s.home())
        .unwrap()
        .audit_rows(&strongroom_store::audit::AuditFilter {
            action: Some("access.denied"),
            ..Default::default()
        })
        .unwrap()
        .into_iter()
        .map(|r| (r.operator, r.object))
        .collect()
}

#[test]
fn every_operation_by_every_role() {
    let home = tempfile::tempdir().unwrap();
    let mut root = Station::open(home.path()).unwrap();
    root.init_operator("root", &[], &pass("root")).unwrap();
    let people = [
        ("cust", vec![Role::Custodian]),
        ("officer", vec![Role::ReleaseOfficer]),
        ("appr", vec![Role::Approver]),
        ("aud", vec![Role::Auditor]),
        ("none", vec![]),
    ];
    for (name, roles) in &people {
        // Once cust is a second custodian, the quorum is 2: cust consents to each account
        // with a powerful role.
        if *name != "cust" {
            root.add_cosigner("cust", &pass("cust")).unwrap();
        }
        root.add_operator(name, roles, &pass(name)).unwrap();
    }

    let cases = cases();
    let covered: BTreeSet<&str> = cases.iter().map(|(a, _, _)| a.name()).collect();
    for a in Action::ALL {
        assert!(
            covered.contains(a.name()) || COVERED_ELSEWHERE.contains(a),
            "no operation of the matrix test checks {a}"
        );
    }

    let mut refusals = 0;
    for (name, roles) in &people {
        let mut s = Station::open(home.path()).unwrap();
        s.login(name, &pass(name)).unwrap();
        assert_eq!(s.roles(), *roles);
        for (action, op, call) in &cases {
            let allowed = roles.iter().any(|r| action.allows(*r));
            let result = call(&s, name);
            let refused = matches!(&result, Err(e) if e.kind() == ErrorKind::Forbidden);
            assert_eq!(
                refused,
                !allowed,
                "{op} ({action}) by {name} {roles:?}: {:?}",
                result.as_ref().err().map(ToString::to_string)
            );
            assert_eq!(s.may(*action), allowed);
            if refused {
                refusals += 1;
                let msg = result.unwrap_err().to_string();
                assert!(msg.contains(&format!("{name:?}")), "{msg}");
                assert!(msg.contains(action.name()), "{msg}");
                for r in action.allowed_roles() {
                    assert!(msg.contains(r.as_str()), "{msg} lacks {r}");
                }
                let last = denied_rows(&s).pop().unwrap();
                assert_eq!(last, (name.to_string(), action.name().to_owned()));
            }
        }
    }
    // Every refusal was recorded, and nothing else was recorded as one.
    assert_eq!(denied_rows(&root).len(), refusals);
    // The custodian's allowed calls really ran: its key and operator exist.
    let names: Vec<String> = root
        .list_operators()
        .unwrap()
        .into_iter()
        .map(|o| o.name)
        .collect();
    assert!(names.contains(&"new-cust".to_owned()));
    assert!(!names.contains(&"new-officer".to_owned()));
    assert_eq!(root.list_keys().unwrap()[0].label, "k-cust");
    assert_eq!(root.audit_verify().unwrap().problem, None);
}

#[test]
fn an_unclaimed_station_refuses_everything_with_a_remedy() {
    let home = tempfile::tempdir().unwrap();
    let mut s = Station::open(home.path()).unwrap();
    s.set_operator("someone");
    for (action, op, call) in cases() {
        let e = call(&s, "x").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Forbidden, "{op}: {e}");
        assert!(e.to_string().contains("no operator accounts"), "{e}");
        assert_eq!(
            e.remedy(),
            Some(strongroom_ops::Remedy::ClaimStation),
            "{op}"
        );
        assert_eq!(
            denied_rows(&s).pop().unwrap(),
            ("someone".to_owned(), action.name().to_owned())
        );
    }
    // Login is refused too, and the first custodian can then be created once.
    assert_eq!(
        s.login("someone", &pass("someone")).unwrap_err().kind(),
        ErrorKind::Forbidden
    );
    s.init_operator("first", &[Role::Auditor], &pass("first"))
        .unwrap();
    assert_eq!(s.roles(), [Role::Custodian, Role::Auditor]);
    let again = s.init_operator("second", &[], &pass("second")).unwrap_err();
    assert_eq!(again.kind(), ErrorKind::Conflict, "{again}");
}

#[test]
fn login_failures_are_recorded_once_and_nothing_retries() {
    let home = tempfile::tempdir().unwrap();
    let mut s = Station::open(home.path()).unwrap();
    s.init_operator("root", &[], &pass("root")).unwrap();
    s.add_operator("bob", &[Role::Approver], &pass("bob"))
        .unwrap();
    let mut t = Station::open(home.path()).unwrap();
    let answer = |name: &str| {
        format!("login failed for operator {name:?}: unknown operator, wrong passphrase or disabled account")
    };
    for (name, pw) in [("bob", "wrong one!"), ("nobody", "whatever1")] {
        let e = t.login(name, &SecretString::from(pw)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Auth);
        // The same words for an unknown name and a wrong passphrase.
        assert_eq!(e.to_string(), answer(name));
        assert!(!t.authenticated());
    }
    // A claimed station with nobody logged in refuses, saying so.
    let e = t.list_keys().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth, "{e}");
    // A disabled account answers exactly as a wrong passphrase does, even with the right one:
    // the answer tells nothing about the passphrase.
    s.set_operator_disabled("bob", true).unwrap();
    let e = t.login("bob", &pass("bob")).unwrap_err();
    assert_eq!(e.to_string(), answer("bob"));
    let rows = s
        .audit_list(&strongroom_ops::AuditQuery::action(Some("login.failed")))
        .unwrap();
    let reasons: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r.operator.as_str(), r.details["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(
        reasons,
        [
            ("bob", "wrong passphrase"),
            ("nobody", "no such operator"),
            ("bob", "the account is disabled"),
        ]
    );
    // Passphrases never reach the log.
    let all = serde_json::to_string(
        &s.audit_list(&strongroom_ops::AuditQuery::default())
            .unwrap(),
    )
    .unwrap();
    assert!(!all.contains("wrong one!") && !all.contains("bob passphrase"));
}

#[test]
fn operator_management_keeps_a_custodian_and_logs_every_change() {
    let home = tempfile::tempdir().unwrap();
    let mut s = Station::open(home.path()).unwrap();
    s.init_operator("root", &[], &pass("root")).unwrap();
    // The last custodian can be neither disabled nor stripped of the role.
    assert_eq!(
        s.set_operator_disabled("root", true).unwrap_err().kind(),
        ErrorKind::Conflict
    );
    assert_eq!(
        s.revoke_roles("root", &[Role::Custodian])
            .unwrap_err()
            .kind(),
        ErrorKind::Conflict
    );
    let carol = s
        .add_operator("carol", &[Role::Approver], &pass("carol"))
        .unwrap();
    assert_eq!(carol.roles, [Role::Approver]);
    assert_eq!(
        s.grant_roles("carol", &[Role::Auditor, Role::Approver])
            .unwrap()
            .roles,
        [Role::Approver, Role::Auditor]
    );
    assert_eq!(
        s.revoke_roles("carol", &[Role::Approver]).unwrap().roles,
        [Role::Auditor]
    );
    // carol changes her own passphrase (no custodian needed); the old one stops working.
    let mut c = Station::open(home.path()).unwrap();
    c.login("carol", &pass("carol")).unwrap();
    c.change_operator_passphrase(None, &SecretString::from("carol's new one"))
        .unwrap();
    let mut c2 = Station::open(home.path()).unwrap();
    assert!(c2.login("carol", &pass("carol")).is_err());
    c2.login("carol", &SecretString::from("carol's new one"))
        .unwrap();
    // Bad names, short passphrases and duplicates are refused.
    assert_eq!(
        s.add_operator("bad name", &[], &pass("x"))
            .unwrap_err()
            .kind(),
        ErrorKind::Usage
    );
    assert_eq!(
        s.add_operator("dave", &[], &SecretString::from("short"))
            .unwrap_err()
            .kind(),
        ErrorKind::Usage
    );
    assert_eq!(
        s.add_operator("carol", &[], &pass("carol"))
            .unwrap_err()
            .kind(),
        ErrorKind::Conflict
    );
    let actions: Vec<String> = s
        .audit_list(&strongroom_ops::AuditQuery::default())
        .unwrap()
        .into_iter()
        .filter(|r| r.action.starts_with("operator.") && r.outcome == "ok")
        .map(|r| format!("{} {} {}", r.operator, r.action, r.object))
        .collect();
    assert_eq!(
        actions,
        [
            "root operator.init root",
            "root operator.add carol",
            "root operator.grant carol",
            "root operator.revoke carol",
            "carol operator.passwd carol",
        ]
    );
}

/// The matrix table in docs/operators.md lists every action with exactly its roles.
#[test]
fn the_documented_matrix_is_the_code() {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/operators.md"),
    )
    .unwrap();
    let mut seen = BTreeSet::new();
    for line in doc.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // | `action` | custodian | release-officer | approver | auditor | operations |
        if cells.len() < 7 || !cells[1].starts_with('`') {
            continue;
        }
        let name = cells[1].trim_matches('`');
        let Some(action) = Action::ALL.iter().find(|a| a.name() == name) else {
            panic!("docs/operators.md names an unknown action {name}");
        };
        for (i, role) in Role::ALL.iter().enumerate() {
            let mark = cells[2 + i];
            assert_eq!(
                mark == "yes",
                action.allows(*role),
                "docs/operators.md: {name} for {role} says {mark:?}"
            );
        }
        seen.insert(name.to_owned());
    }
    for a in Action::ALL {
        assert!(seen.contains(a.name()), "docs/operators.md lacks {a}");
    }
}

/// An open session follows the station's truth: an account disabled, or a role revoked, by
/// another process stops the session at its very next act (issue 22, item 1).
#[test]
fn a_disabled_account_or_revoked_role_stops_an_open_session_at_its_next_act() {
    let home = tempfile::tempdir().unwrap();
    let mut root = Station::open(home.path()).unwrap();
    root.init_operator("root", &[], &pass("root")).unwrap();
    root.add_operator("ron", &[Role::ReleaseOfficer, Role::Auditor], &pass("ron"))
        .unwrap();
    let mut ron = Station::open(home.path()).unwrap();
    ron.login("ron", &pass("ron")).unwrap();
    ron.audit_list(&strongroom_ops::AuditQuery::default())
        .unwrap();
    assert!(ron.may(Action::AuditList));
    // Another handle (the CLI, another window) takes the auditor role away.
    root.revoke_roles("ron", &[Role::Auditor]).unwrap();
    let e = ron
        .audit_list(&strongroom_ops::AuditQuery::default())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Forbidden, "{e}");
    assert_eq!(ron.roles(), [Role::ReleaseOfficer]);
    // What the app shows follows at once: the session lists what the roles allow now.
    let info = ron.session_info().unwrap();
    assert!(info.may.contains(&Action::ReleaseCreate), "{:?}", info.may);
    assert!(!info.may.contains(&Action::AuditList), "{:?}", info.may);
    assert!(!info.disabled);
    // And disables the account: nothing is allowed any more.
    root.set_operator_disabled("ron", true).unwrap();
    let info = ron.session_info().unwrap();
    assert!(info.disabled);
    assert!(info.may.is_empty(), "{:?}", info.may);
    let e = ron.list_keys().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Forbidden, "{e}");
    assert!(ron.roles().is_empty());
}
