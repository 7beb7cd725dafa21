//! The trust model: key status at a moment (expired, not yet valid, revoked before or after,
//! wrong stage, wrong role, unknown), entry checks, and trust packages signed, verified,
//! tampered with and signed by keys the station does not trust as custodians.

use strongroom_core::bundle::BundleJson;
use strongroom_core::dsse::Envelope;
use strongroom_core::{Algorithm, Signer, SoftwareKey};
use strongroom_policy::package::canonical_json;
use strongroom_policy::{
    KeyRole, NewTrustedKey, PackageError, PolicyBundle, PolicyModule, Revocation, SignatureFacts,
    SignatureKind, Stage, Timestamp, TrustError, TrustPackage, TrustSet, TrustedKey,
    TRUST_MEDIA_TYPE,
};

fn t(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

fn key(name: &str, k: &SoftwareKey, roles: &[KeyRole], stages: &[Stage]) -> TrustedKey {
    window(name, k, roles, stages, None, None)
}

fn window(
    name: &str,
    k: &SoftwareKey,
    roles: &[KeyRole],
    stages: &[Stage],
    not_before: Option<&str>,
    not_after: Option<&str>,
) -> TrustedKey {
    TrustedKey::new(NewTrustedKey {
        name: name.into(),
        pem: k.public_key().to_pem(),
        stages: stages.to_vec(),
        roles: roles.to_vec(),
        not_before: not_before.map(t),
        not_after: not_after.map(t),
        added_at: t("2026-01-01T00:00:00Z"),
        added_by: "alice".into(),
    })
    .unwrap()
}

fn gen(alg: Algorithm) -> SoftwareKey {
    SoftwareKey::generate(alg).unwrap()
}

#[test]
fn status_reports_window_revocation_role_and_stage() {
    let k = gen(Algorithm::Ed25519);
    let id = k.public_key().key_id();
    let trusted = window(
        "rel",
        &k,
        &[KeyRole::Signer],
        &[Stage::Production],
        Some("2026-01-01T00:00:00Z"),
        Some("2026-12-31T23:59:59Z"),
    );
    let revocation = Revocation {
        key_id: id.clone(),
        revoked_at: t("2026-06-01T00:00:00Z"),
        reason: "key compromise".into(),
    };
    let set = TrustSet::new(vec![trusted], vec![revocation], PolicyBundle::default()).unwrap();
    let p = Some(Stage::Production);
    let signer = Some(KeyRole::Signer);

    // In the window, before the revocation: acceptable, yet flagged as revoked later.
    let s = set.status(&id, t("2026-03-01T00:00:00Z"), p, signer);
    assert!(s.acceptable(), "{s:?}");
    let r = s.revoked.as_ref().unwrap();
    assert!(!r.before);
    assert_eq!(r.reason, "key compromise");
    assert!(s.problems(t("2026-03-01T00:00:00Z"), p, signer).is_empty());

    // Revoked before signing (the boundary counts as before).
    for at in ["2026-06-01T00:00:00Z", "2026-07-01T00:00:00Z"] {
        let s = set.status(&id, t(at), p, signer);
        assert!(
            s.revoked_before() && !s.active() && !s.acceptable(),
            "{at}: {s:?}"
        );
        assert_eq!(
            s.problems(t(at), p, signer),
            vec!["revoked at 2026-06-01T00:00:00Z (key compromise)"]
        );
    }

    // Before not-before, after not-after (not-after itself is still valid).
    let s = set.status(&id, t("2025-12-31T23:59:59Z"), p, signer);
    assert!(s.not_yet_valid && !s.active());
    assert_eq!(
        s.problems(t("2025-12-31T23:59:59Z"), p, signer),
        vec!["not valid until 2026-01-01T00:00:00Z (at 2025-12-31T23:59:59Z)"]
    );
    let s = set.status(&id, t("2027-01-01T00:00:00Z"), p, signer);
    assert!(s.expired && !s.active());
    assert!(s.problems(t("2027-01-01T00:00:00Z"), p, signer)[0]
        .starts_with("expired at 2026-12-31T23:59:59Z"));
    let s = set.status(&id, t("2026-12-31T23:59:59Z"), None, None);
    assert!(!s.expired);

    // Wrong stage, wrong role.
    let at = t("2026-03-01T00:00:00Z");
    let s = set.status(&id, at, Some(Stage::Dev), signer);
    assert!(s.active() && !s.stage_allowed && !s.acceptable());
    assert_eq!(
        s.problems(at, Some(Stage::Dev), signer),
        vec!["not trusted for the dev stage"]
    );
    let s = set.status(&id, at, p, Some(KeyRole::Approver));
    assert!(!s.has_role && !s.acceptable());
    assert_eq!(
        s.problems(at, p, Some(KeyRole::Approver)),
        vec!["lacks the approver role"]
    );

    // Unknown key.
    let other = gen(Algorithm::EcdsaP256).public_key().key_id();
    let s = set.status(&other, at, p, signer);
    assert!(!s.known && !s.acceptable());
    assert_eq!(
        s.problems(at, p, signer),
        vec![format!("key {other} is not in the trust store")]
    );
}

#[test]
fn the_earliest_revocation_counts_and_signature_facts_follow_status() {
    let k = gen(Algorithm::Ed25519);
    let id = k.public_key().key_id();
    let set = TrustSet::new(
        vec![key("rel", &k, &[KeyRole::Signer, KeyRole::Approver], &[])],
        vec![
            Revocation {
                key_id: id.clone(),
                revoked_at: t("2026-09-01T00:00:00Z"),
                reason: "late".into(),
            },
            Revocation {
                key_id: id.clone(),
                revoked_at: t("2026-05-01T00:00:00Z"),
                reason: "early".into(),
            },
        ],
        PolicyBundle::default(),
    )
    .unwrap();
    assert_eq!(set.revocation(&id).unwrap().reason, "early");

    let at = t("2026-06-01T00:00:00Z");
    let status = set.status(&id, at, Some(Stage::Production), Some(KeyRole::Signer));
    let f = SignatureFacts::new(
        SignatureKind::Release,
        &id,
        Some("alice".into()),
        at,
        true,
        &status,
    );
    assert_eq!(f.key_name.as_deref(), Some("rel"));
    assert!(f.trusted && f.revoked && f.revoked_before_signing && !f.active_at_signing);
    assert_eq!(
        f.key_problems,
        vec!["revoked at 2026-05-01T00:00:00Z (early)"]
    );
    assert_eq!(f.signed_at, "2026-06-01T00:00:00Z");
    assert!(!f.counts_at(Stage::Production));

    let before = t("2026-04-01T00:00:00Z");
    let status = set.status(&id, before, None, None);
    let f = SignatureFacts::new(SignatureKind::Approval, &id, None, before, true, &status);
    assert!(f.revoked && !f.revoked_before_signing && f.active_at_signing);
    assert!(f.approves_at(Stage::Production));
}

#[test]
fn entries_and_sets_are_checked() {
    let k = gen(Algorithm::Ed25519);
    let new = |name: &str, pem: String, roles: Vec<KeyRole>| NewTrustedKey {
        name: name.into(),
        pem,
        stages: vec![],
        roles,
        not_before: None,
        not_after: None,
        added_at: t("2026-01-01T00:00:00Z"),
        added_by: "alice".into(),
    };
    let pem = k.public_key().to_pem();
    assert!(matches!(
        TrustedKey::new(new("bad name", pem.clone(), vec![KeyRole::Signer])),
        Err(TrustError::BadName(_))
    ));
    assert!(matches!(
        TrustedKey::new(new("ok", pem.clone(), vec![])),
        Err(TrustError::NoRoles { .. })
    ));
    assert!(matches!(
        TrustedKey::new(new(
            "ok",
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n".into(),
            vec![KeyRole::Signer]
        )),
        Err(TrustError::PublicKey { .. })
    ));
    let mut w = new("ok", pem.clone(), vec![KeyRole::Signer]);
    w.not_before = Some(t("2027-01-01T00:00:00Z"));
    w.not_after = Some(t("2026-01-01T00:00:00Z"));
    assert!(matches!(
        TrustedKey::new(w),
        Err(TrustError::EmptyWindow { .. })
    ));

    let a = key("a", &k, &[KeyRole::Signer], &[]);
    let b = key("a", &gen(Algorithm::Ed25519), &[KeyRole::Signer], &[]);
    assert_eq!(
        TrustSet::new(vec![a.clone(), b], vec![], PolicyBundle::default()).unwrap_err(),
        TrustError::DuplicateName("a".into())
    );
    let c = key("c", &k, &[KeyRole::Signer], &[]);
    assert!(matches!(
        TrustSet::new(vec![a.clone(), c], vec![], PolicyBundle::default()),
        Err(TrustError::DuplicateKey { .. })
    ));
    let dup_modules = PolicyBundle {
        modules: vec![
            PolicyModule::new("x.rego", "package x"),
            PolicyModule::new("x.rego", "package y"),
        ],
        data: serde_json::json!({}),
    };
    assert_eq!(
        TrustSet::new(vec![], vec![], dup_modules).unwrap_err(),
        TrustError::DuplicateModule("x.rego".into())
    );
    let bad_data = PolicyBundle {
        modules: vec![],
        data: serde_json::json!(null),
    };
    assert!(matches!(
        TrustSet::new(vec![], vec![], bad_data),
        Err(TrustError::DataNotObject(_))
    ));
}

struct Station {
    custodian: SoftwareKey,
    trust: TrustSet,
}

/// A station trusting `custodian` as a custodian, plus a signer key, a revocation and a policy.
fn station() -> Station {
    let custodian = gen(Algorithm::EcdsaP256);
    let signer = gen(Algorithm::Ed25519);
    let old = gen(Algorithm::Ed25519);
    let trust = TrustSet::new(
        vec![
            key("custodian", &custodian, &[KeyRole::Custodian], &[]),
            key("release", &signer, &[KeyRole::Signer], &[Stage::Staging, Stage::Production]),
        ],
        vec![Revocation {
            key_id: old.public_key().key_id(),
            revoked_at: t("2026-02-01T00:00:00Z"),
            reason: "retired laptop".into(),
        }],
        PolicyBundle {
            modules: vec![PolicyModule::new("acme.rego", "package acme\n\nimport rego.v1\n\ndeny contains \"x\" if input.release.name == \"forbidden\"\n")],
            data: serde_json::json!({"allowed_builders": ["https://ci.example/builder"]}),
        },
    )
    .unwrap();
    Station { custodian, trust }
}

const NOW: &str = "2026-11-22T10:00:00Z";

#[test]
fn a_package_round_trips_and_is_deterministic() {
    let s = station();
    let json = TrustPackage::issue(&s.trust, "alice", t(NOW), &s.custodian).unwrap();
    let again = TrustPackage::issue(&s.trust, "alice", t(NOW), &s.custodian).unwrap();
    assert_eq!(
        json, again,
        "RFC 6979 ECDSA and canonical JSON give the same bytes"
    );

    let bundle: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        bundle["mediaType"],
        "application/vnd.dev.sigstore.bundle.v0.3+json"
    );
    assert_eq!(bundle["dsseEnvelope"]["payloadType"], TRUST_MEDIA_TYPE);
    assert_eq!(
        bundle["verificationMaterial"]["publicKey"]["hint"],
        s.custodian.public_key().key_id().as_str()
    );

    let pkg = TrustPackage::open(json.as_bytes()).unwrap();
    assert_eq!(pkg.signer_key_id(), &s.custodian.public_key().key_id());
    let v = pkg.verify_with(&s.trust, t(NOW)).unwrap();
    assert_eq!(v.trust, s.trust);
    assert_eq!(v.issuer, "alice");
    assert_eq!(v.issued_at, t(NOW));
    let v = pkg.verify_with_key(s.custodian.public_key()).unwrap();
    assert_eq!(v.trust, s.trust);
}

#[test]
fn tampered_packages_are_refused() {
    let s = station();
    let json = TrustPackage::issue(&s.trust, "alice", t(NOW), &s.custodian).unwrap();
    let mut bundle: serde_json::Value = serde_json::from_str(&json).unwrap();
    // Swap the payload for one that trusts an attacker's key as a custodian.
    let payload = b64d(bundle["dsseEnvelope"]["payload"].as_str().unwrap());
    let mut doc: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    doc["keys"][1]["roles"] = serde_json::json!(["custodian", "signer"]);
    bundle["dsseEnvelope"]["payload"] =
        serde_json::Value::String(b64e(canonical_json(&doc).as_bytes()));
    let tampered = serde_json::to_vec(&bundle).unwrap();
    let err = TrustPackage::open(&tampered)
        .unwrap()
        .verify_with(&s.trust, t(NOW))
        .unwrap_err();
    assert!(
        matches!(&err, PackageError::BadSignature { key_id } if key_id == &s.custodian.public_key().key_id()),
        "{err}"
    );
    assert!(err
        .to_string()
        .contains(s.custodian.public_key().key_id().as_str()));
    assert!(err.is_refusal());

    // Changing the payload type invalidates the signature too, and is refused before that.
    let mut wrong_type = serde_json::from_str::<serde_json::Value>(&json).unwrap();
    wrong_type["dsseEnvelope"]["payloadType"] = "application/vnd.in-toto+json".into();
    let err = TrustPackage::open(&serde_json::to_vec(&wrong_type).unwrap()).unwrap_err();
    assert!(matches!(err, PackageError::WrongPayloadType(_)), "{err}");

    // Not a bundle, or a messageSignature bundle.
    assert!(matches!(
        TrustPackage::open(b"{}"),
        Err(PackageError::NotABundle(_))
    ));
    assert!(matches!(
        TrustPackage::open(b"not json"),
        Err(PackageError::NotABundle(_))
    ));
    let d = strongroom_core::HashAlg::Sha256.hash(b"x");
    let sig = s.custodian.sign_prehashed(&d).unwrap();
    let ms = BundleJson::message_signature(s.custodian.public_key(), &d, &sig).to_pretty_json();
    assert!(matches!(
        TrustPackage::open(ms.as_bytes()),
        Err(PackageError::WrongDocument(_))
    ));
}

#[test]
fn only_an_active_custodian_of_the_current_trust_may_sign() {
    let s = station();
    let outsider = gen(Algorithm::Ed25519);
    let json = TrustPackage::issue(&s.trust, "mallory", t(NOW), &outsider).unwrap();
    let err = TrustPackage::open(json.as_bytes())
        .unwrap()
        .verify_with(&s.trust, t(NOW))
        .unwrap_err();
    assert!(
        matches!(&err, PackageError::UntrustedSigner { key_id } if key_id == &outsider.public_key().key_id()),
        "{err}"
    );
    assert!(err
        .to_string()
        .contains(outsider.public_key().key_id().as_str()));
    // ... though with its own key named explicitly it verifies (the `--trust FILE` use).
    assert!(TrustPackage::open(json.as_bytes())
        .unwrap()
        .verify_with_key(outsider.public_key())
        .is_ok());
    let err = TrustPackage::open(json.as_bytes())
        .unwrap()
        .verify_with_key(s.custodian.public_key())
        .unwrap_err();
    assert!(matches!(err, PackageError::WrongKey { .. }), "{err}");

    // A trusted key without the custodian role.
    let signer = gen(Algorithm::Ed25519);
    let mut keys = s.trust.keys().to_vec();
    keys.push(key(
        "signer-only",
        &signer,
        &[KeyRole::Signer, KeyRole::Approver],
        &[],
    ));
    let current = TrustSet::new(keys, vec![], PolicyBundle::default()).unwrap();
    let json = TrustPackage::issue(&s.trust, "x", t(NOW), &signer).unwrap();
    let err = TrustPackage::open(json.as_bytes())
        .unwrap()
        .verify_with(&current, t(NOW))
        .unwrap_err();
    assert!(
        matches!(&err, PackageError::NotCustodian { name, .. } if name == "signer-only"),
        "{err}"
    );
    assert!(err.to_string().contains("signer, approver"), "{err}");

    // A custodian revoked, expired, or not yet valid at import time.
    let json = TrustPackage::issue(&s.trust, "alice", t(NOW), &s.custodian).unwrap();
    let cid = s.custodian.public_key().key_id();
    let revoked = TrustSet::new(
        s.trust.keys().to_vec(),
        vec![Revocation {
            key_id: cid.clone(),
            revoked_at: t("2026-11-01T00:00:00Z"),
            reason: "left the company".into(),
        }],
        PolicyBundle::default(),
    )
    .unwrap();
    let pkg = TrustPackage::open(json.as_bytes()).unwrap();
    let err = pkg.verify_with(&revoked, t(NOW)).unwrap_err();
    assert!(
        matches!(&err, PackageError::SignerRevoked { reason, .. } if reason == "left the company"),
        "{err}"
    );
    // Revoked only later than now: still acceptable.
    assert!(pkg.verify_with(&revoked, t("2026-10-01T00:00:00Z")).is_ok());

    let windowed = |nb: Option<&str>, na: Option<&str>| {
        TrustSet::new(
            vec![window(
                "custodian",
                &s.custodian,
                &[KeyRole::Custodian],
                &[],
                nb,
                na,
            )],
            vec![],
            PolicyBundle::default(),
        )
        .unwrap()
    };
    let err = pkg
        .verify_with(&windowed(None, Some("2026-11-01T00:00:00Z")), t(NOW))
        .unwrap_err();
    assert!(matches!(err, PackageError::SignerExpired { .. }), "{err}");
    let err = pkg
        .verify_with(&windowed(Some("2026-12-01T00:00:00Z"), None), t(NOW))
        .unwrap_err();
    assert!(
        matches!(err, PackageError::SignerNotYetValid { .. }),
        "{err}"
    );
    assert!(!windowed(Some("2026-12-01T00:00:00Z"), None).has_active_custodian(t(NOW)));
    assert!(s.trust.has_active_custodian(t(NOW)));
}

#[test]
fn a_signed_but_invalid_payload_is_refused_by_name() {
    let s = station();
    let sign = |payload: serde_json::Value| {
        let env = Envelope::sign(
            &s.custodian,
            TRUST_MEDIA_TYPE,
            canonical_json(&payload).into_bytes(),
        )
        .unwrap();
        BundleJson::dsse(s.custodian.public_key(), &env).to_pretty_json()
    };
    let json = TrustPackage::issue(&s.trust, "alice", t(NOW), &s.custodian).unwrap();
    let bundle: serde_json::Value = serde_json::from_str(&json).unwrap();
    let base: serde_json::Value =
        serde_json::from_slice(&b64d(bundle["dsseEnvelope"]["payload"].as_str().unwrap())).unwrap();

    let verify = |payload: serde_json::Value| {
        TrustPackage::open(sign(payload).as_bytes())
            .unwrap()
            .verify_with(&s.trust, t(NOW))
            .unwrap_err()
    };
    // A key entry whose stated key id is not its key's.
    let mut p = base.clone();
    p["keys"][0]["keyid"] = p["keys"][1]["keyid"].clone();
    assert!(matches!(
        verify(p),
        PackageError::Entry {
            source: TrustError::KeyIdMismatch { .. },
            ..
        }
    ));
    // An unknown role.
    let mut p = base.clone();
    p["keys"][0]["roles"] = serde_json::json!(["root"]);
    assert!(matches!(verify(p), PackageError::Payload { .. }));
    // An unknown field, another media type.
    let mut p = base.clone();
    p["extra"] = serde_json::json!(1);
    assert!(matches!(verify(p), PackageError::Payload { .. }));
    let mut p = base.clone();
    p["mediaType"] = "application/vnd.strongroom.trust.v2+json".into();
    assert!(matches!(verify(p), PackageError::Payload { .. }));
    // A policy module that does not parse, or claims the reserved namespace.
    let mut p = base.clone();
    p["policy"]["modules"] =
        serde_json::json!([{"name": "bad.rego", "rego": "package x\n\ndeny contains if {"}]);
    assert!(matches!(verify(p), PackageError::Policy { .. }));
    let mut p = base;
    p["policy"]["modules"] =
        serde_json::json!([{"name": "evil.rego", "rego": "package strongroom.lib\n"}]);
    let err = verify(p);
    assert!(err.to_string().contains("reserved"), "{err}");
}

#[test]
fn importing_keeps_earlier_revocations() {
    let s = station();
    let k = gen(Algorithm::Ed25519);
    let local = Revocation {
        key_id: k.public_key().key_id(),
        revoked_at: t("2026-03-01T00:00:00Z"),
        reason: "local".into(),
    };
    let earlier = TrustSet::new(vec![], vec![local.clone()], PolicyBundle::default()).unwrap();
    let merged = s.trust.clone().keeping_revocations_of(&earlier);
    assert_eq!(merged.revocations().len(), 2);
    assert!(merged.revocations().contains(&local));
    // Idempotent.
    assert_eq!(merged.clone().keeping_revocations_of(&earlier), merged);
}

fn b64d(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

fn b64e(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
