//! Release bundles through the operations API, with scripted callbacks (no binary, no terminal):
//! create at staging, verify (one approval short), a second person approves at the same station
//! (`release_approve_as`), verify again, and a bundle changed after signing is rejected.

mod common;

use std::path::{Path, PathBuf};

use common::{pass, Secrets};
use strongroom_core::{Algorithm, Purpose};
use strongroom_ops::release::{ApproveRelease, CreateRelease, SbomChoice, VerifyBundle};
use strongroom_ops::sbom::SbomFormat;
use strongroom_ops::trust::TrustAdd;
use strongroom_ops::{GenerateKey, OpsError, Role, Station};

fn sandbox() {
    // Policies are evaluated in a child process; a test harness cannot be that child.
    std::env::set_var(
        strongroom_ops::sandbox::SANDBOX_EXE_ENV,
        env!("CARGO_BIN_EXE_strongroom-sandbox"),
    );
}

/// Generates a key of `purpose` (a custodian's act), saves its public key and trusts it as held
/// by `holder`.
fn trusted_key(root: &Station, label: &str, purpose: Purpose, holder: &str, dir: &Path) {
    root.generate_software_key(
        &GenerateKey {
            label: label.into(),
            algorithm: Algorithm::Ed25519,
            purpose,
        },
        &Secrets,
    )
    .unwrap();
    let pem = dir.join(format!("{label}.pub"));
    root.save_public_key(label, &pem, false).unwrap();
    root.trust_add(&TrustAdd {
        pem_path: pem,
        name: label.into(),
        stages: Vec::new(),
        purpose,
        holder: holder.into(),
        not_before: None,
        not_after: None,
    })
    .unwrap();
}

#[test]
fn create_approve_and_verify_a_staging_release_through_ops() {
    sandbox();
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let mut root = Station::open(home.path()).unwrap();
    root.init_operator(
        "root",
        &[Role::ReleaseOfficer, Role::Auditor],
        &pass("root"),
    )
    .unwrap();
    root.add_operator("bob", &[Role::Approver], &pass("bob"))
        .unwrap();
    trusted_key(&root, "rel", Purpose::Signer, "root", work.path());
    trusted_key(&root, "audit", Purpose::Audit, "root", work.path());
    trusted_key(&root, "bob-approve", Purpose::Approver, "bob", work.path());
    root.set_audit_key("audit", None).unwrap();

    let artifact = work.path().join("app.txt");
    std::fs::write(&artifact, b"release bytes\n").unwrap();
    let out: PathBuf = root.staged_release_path("app", "1.0.0").unwrap();
    assert!(out.starts_with(home.path().join("releases")));
    let created = root
        .release_create(
            &CreateRelease {
                name: "app".into(),
                version: "1.0.0".into(),
                stage: strongroom_core::Stage::Staging,
                key: "rel".into(),
                artifacts: vec![artifact.clone()],
                images: Vec::new(),
                sbom: SbomChoice::Auto(SbomFormat::SpdxJson),
                provenance: None,
                scan: false,
                include_artifacts: true,
                policies: Vec::new(),
                output: out.clone(),
                force: false,
                encrypt_to: Vec::new(),
                allow_pin_in_uri: false,
            },
            &Secrets,
        )
        .unwrap();
    assert_eq!(created.bundle, out.display().to_string());

    let verify = |bundle: &Path| {
        root.release_verify(
            &VerifyBundle {
                bundle: bundle.to_owned(),
                artifacts_dir: None,
                allow_missing: false,
                policies: Vec::new(),
                identity: None,
            },
            &Secrets,
        )
        .unwrap()
    };
    // Staging wants one approval: not there yet.
    let before = verify(&out);
    assert_eq!(before.approvals.distinct_approvers, 0, "{before:#?}");

    // bob approves at root's station, with his own login for this one act; a wrong
    // passphrase is refused like any login.
    let approve = ApproveRelease {
        bundle: out.clone(),
        key: "bob-approve".into(),
        output: None,
        identity: None,
        encrypt_to: Vec::new(),
        allow_pin_in_uri: false,
    };
    let refused = root
        .release_approve_as("bob", &pass("not bob"), &approve, &Secrets)
        .unwrap_err();
    assert!(matches!(refused, OpsError::LoginFailed(_)), "{refused:?}");
    let approved = root
        .release_approve_as("bob", &pass("bob"), &approve, &Secrets)
        .unwrap();
    assert_eq!(approved.operator, "bob");
    assert_eq!(approved.distinct_approvers, 1);

    let after = verify(&out);
    assert!(after.verified, "{after:#?}");
    assert_eq!(after.approvals.distinct_approvers, 1);
    assert!(
        !after
            .checks
            .iter()
            .any(|c| c.outcome == strongroom_core::verify::Outcome::Fail),
        "{:#?}",
        after.checks
    );

    // One byte of the carried artifact changed after signing: rejected, naming it.
    let tampered = work.path().join("tampered.zip");
    let mut bytes = std::fs::read(&out).unwrap();
    let at = bytes
        .windows(b"release bytes".len())
        .position(|w| w == b"release bytes")
        .expect("the artifact is stored uncompressed");
    bytes[at] ^= 0x20;
    std::fs::write(&tampered, bytes).unwrap();
    let bad = root.release_verify(
        &VerifyBundle {
            bundle: tampered,
            artifacts_dir: None,
            allow_missing: false,
            policies: Vec::new(),
            identity: None,
        },
        &Secrets,
    );
    match bad {
        Ok(r) => assert!(!r.verified, "{r:#?}"),
        Err(e) => assert!(e.to_string().contains("app.txt"), "{e}"),
    }
}
