//! The trust model: key status at a moment (expired, not yet valid, revoked before or after,
//! wrong stage, wrong purpose, unknown), entry checks, and trust packages signed by a threshold
//! of custodians, verified, tampered with, signed by keys the station does not trust as
//! custodians, and imported under the threshold in force.

use strongroom_core::dsse::Envelope;
use strongroom_core::{Algorithm, Signer, SoftwareKey};
use strongroom_policy::package::canonical_json;
use strongroom_policy::{
    NewTrustedKey, PackageError, PolicyBundle, PolicyModule, Purpose, Revocation, SignatureFacts,
    SignatureKind, SignatureRefusal, Stage, Timestamp, TrustError, TrustPackage, TrustSet,
    TrustedKey, TRUST_MEDIA_TYPE,
};

fn t(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

fn key(name: &str, k: &SoftwareKey, purpose: Purpose, stages: &[Stage]) -> TrustedKey {
    held(name, k, purpose, name, stages)
}

fn held(
    name: &str,
    k: &SoftwareKey,
    purpose: Purpose,
    holder: &str,
    stages: &[Stage],
) -> TrustedKey {
    window(name, k, purpose, holder, stages, None, None)
}

fn window(
    name: &str,
    k: &SoftwareKey,
    purpose: Purpose,
    holder: &str,
    stages: &[Stage],
    not_before: Option<&str>,
    not_after: Option<&str>,
) -> TrustedKey {
    TrustedKey::new(NewTrustedKey {
        name: name.into(),
        pem: k.public_key().to_pem(),
        stages: stages.to_vec(),
        purpose,
        holder: holder.into(),
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
        Purpose::Signer,
        "alice",
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
    let signer = Some(Purpose::Signer);

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

    // Wrong stage, wrong purpose.
    let at = t("2026-03-01T00:00:00Z");
    let s = set.status(&id, at, Some(Stage::Dev), signer);
    assert!(s.active() && !s.stage_allowed && !s.acceptable());
    assert_eq!(
        s.problems(at, Some(Stage::Dev), signer),
        vec!["not trusted for the dev stage"]
    );
    let s = set.status(&id, at, p, Some(Purpose::Approver));
    assert!(!s.has_purpose && !s.acceptable());
    assert_eq!(
        s.problems(at, p, Some(Purpose::Approver)),
        vec!["is a signer key, not trusted to sign release approvals"]
    );
    assert_eq!(s.holder.as_deref(), Some("alice"));

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
        vec![key("rel", &k, Purpose::Approver, &[])],
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
    let status = set.status(&id, at, Some(Stage::Production), Some(Purpose::Approver));
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
    let mut f = SignatureFacts::new(SignatureKind::Approval, &id, None, before, true, &status);
    assert!(f.revoked && !f.revoked_before_signing && f.active_at_signing);
    assert_eq!(f.holder.as_deref(), Some("rel"));
    // Only once the audit excerpt records it.
    assert!(!f.approves_at(Stage::Production));
    f.recorded = true;
    assert!(f.approves_at(Stage::Production));
}

#[test]
fn entries_and_sets_are_checked() {
    let k = gen(Algorithm::Ed25519);
    let new = |name: &str, pem: String, holder: &str| NewTrustedKey {
        name: name.into(),
        pem,
        stages: vec![],
        purpose: Purpose::Signer,
        holder: holder.into(),
        not_before: None,
        not_after: None,
        added_at: t("2026-01-01T00:00:00Z"),
        added_by: "alice".into(),
    };
    let pem = k.public_key().to_pem();
    assert!(matches!(
        TrustedKey::new(new("bad name", pem.clone(), "alice")),
        Err(TrustError::BadName(_))
    ));
    assert!(matches!(
        TrustedKey::new(new("ok", pem.clone(), "")),
        Err(TrustError::BadHolder(_))
    ));
    assert!(matches!(
        TrustedKey::new(new(
            "ok",
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n".into(),
            "alice"
        )),
        Err(TrustError::PublicKey { .. })
    ));
    let mut w = new("ok", pem.clone(), "alice");
    w.not_before = Some(t("2027-01-01T00:00:00Z"));
    w.not_after = Some(t("2026-01-01T00:00:00Z"));
    assert!(matches!(
        TrustedKey::new(w),
        Err(TrustError::EmptyWindow { .. })
    ));

    let a = key("a", &k, Purpose::Signer, &[]);
    let b = key("a", &gen(Algorithm::Ed25519), Purpose::Signer, &[]);
    assert_eq!(
        TrustSet::new(vec![a.clone(), b], vec![], PolicyBundle::default()).unwrap_err(),
        TrustError::DuplicateName("a".into())
    );
    let c = key("c", &k, Purpose::Signer, &[]);
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
    /// Custodian keys of alice and bob.
    alice: SoftwareKey,
    bob: SoftwareKey,
    trust: TrustSet,
}

/// A station trusting alice's and bob's custodian keys, plus a signer key, a revocation and a
/// policy.
fn station() -> Station {
    let alice = gen(Algorithm::EcdsaP256);
    let bob = gen(Algorithm::Ed25519);
    let signer = gen(Algorithm::Ed25519);
    let old = gen(Algorithm::Ed25519);
    let trust = TrustSet::new(
        vec![
            held("alice-custody", &alice, Purpose::Custodian, "alice", &[]),
            held("bob-custody", &bob, Purpose::Custodian, "bob", &[]),
            held("release", &signer, Purpose::Signer, "carol", &[Stage::Staging, Stage::Production]),
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
    Station { alice, bob, trust }
}

const NOW: &str = "2026-11-22T10:00:00Z";

fn issue(trust: &TrustSet, threshold: u32, signers: &[&dyn Signer]) -> String {
    TrustPackage::issue(trust, "alice", t(NOW), threshold, signers).unwrap()
}

fn open(json: &str) -> TrustPackage {
    TrustPackage::open(json.as_bytes()).unwrap()
}

#[test]
fn a_package_round_trips_and_is_deterministic() {
    let s = station();
    let json = issue(&s.trust, 2, &[&s.alice, &s.bob]);
    let again = issue(&s.trust, 2, &[&s.alice, &s.bob]);
    assert_eq!(
        json, again,
        "RFC 6979 ECDSA, Ed25519 and canonical JSON give the same bytes"
    );

    let env: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(env["payloadType"], TRUST_MEDIA_TYPE);
    let sigs = env["signatures"].as_array().unwrap();
    assert_eq!(sigs.len(), 2);
    assert_eq!(sigs[0]["keyid"], s.alice.public_key().key_id().as_str());
    assert_eq!(sigs[1]["keyid"], s.bob.public_key().key_id().as_str());

    let pkg = open(&json);
    let v = pkg.verify_with(&s.trust, 2, t(NOW)).unwrap();
    assert_eq!(v.trust, s.trust);
    assert_eq!(v.issuer, "alice");
    assert_eq!(v.issued_at, t(NOW));
    assert_eq!(v.threshold, 2);
    assert_eq!(v.holders, vec!["alice", "bob"]);
    assert_eq!(pkg.verify_self_signed(t(NOW)).unwrap().trust, s.trust);
}

#[test]
fn a_second_custodian_countersigns_and_one_person_counts_once() {
    let s = station();
    let json = issue(&s.trust, 2, &[&s.alice]);
    let err = open(&json).verify_with(&s.trust, 2, t(NOW)).unwrap_err();
    assert!(
        matches!(&err, PackageError::BelowThreshold { threshold: 2, counted, .. } if counted == &["alice"]),
        "{err}"
    );
    assert!(err.is_refusal());
    // Bob adds his signature to the same file.
    let mut pkg = open(&json);
    pkg.add_signature(&s.bob).unwrap();
    assert!(matches!(
        pkg.add_signature(&s.bob),
        Err(PackageError::AlreadySigned { .. })
    ));
    let both = pkg.to_json();
    assert_eq!(both, issue(&s.trust, 2, &[&s.alice, &s.bob]));
    open(&both).verify_with(&s.trust, 2, t(NOW)).unwrap();

    // Alice with a second custodian key is still one person.
    let alice2 = gen(Algorithm::Ed25519);
    let mut keys = s.trust.keys().to_vec();
    keys.push(held("alice-2", &alice2, Purpose::Custodian, "alice", &[]));
    let trust = TrustSet::new(keys, vec![], PolicyBundle::default()).unwrap();
    let json = issue(&trust, 2, &[&s.alice, &alice2]);
    let err = open(&json).verify_with(&trust, 2, t(NOW)).unwrap_err();
    assert!(
        matches!(&err, PackageError::BelowThreshold { counted, .. } if counted == &["alice"]),
        "{err}"
    );
}

#[test]
fn tampered_packages_are_refused() {
    let s = station();
    let json = issue(&s.trust, 1, &[&s.alice]);
    let mut env: serde_json::Value = serde_json::from_str(&json).unwrap();
    // Swap the payload for one that makes carol's signer key a custodian.
    let payload = b64d(env["payload"].as_str().unwrap());
    let mut doc: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    doc["keys"][2]["purpose"] = "custodian".into();
    env["payload"] = serde_json::Value::String(b64e(canonical_json(&doc).as_bytes()));
    let tampered = serde_json::to_string(&env).unwrap();
    let err = open(&tampered)
        .verify_with(&s.trust, 1, t(NOW))
        .unwrap_err();
    match &err {
        PackageError::BelowThreshold { refused, .. } => assert_eq!(
            refused,
            &[SignatureRefusal::BadSignature {
                key_id: s.alice.public_key().key_id()
            }]
        ),
        other => panic!("{other}"),
    }
    assert!(err
        .to_string()
        .contains(s.alice.public_key().key_id().as_str()));

    // Another payload type is refused before any signature is checked.
    let mut wrong_type = serde_json::from_str::<serde_json::Value>(&json).unwrap();
    wrong_type["payloadType"] = "application/vnd.in-toto+json".into();
    let err = TrustPackage::open(&serde_json::to_vec(&wrong_type).unwrap()).unwrap_err();
    assert!(matches!(err, PackageError::WrongPayloadType(_)), "{err}");
    assert!(matches!(
        TrustPackage::open(b"{}"),
        Err(PackageError::NotAnEnvelope(_))
    ));
    assert!(matches!(
        TrustPackage::open(b"not json"),
        Err(PackageError::NotAnEnvelope(_))
    ));
    // Too many signatures, refused before any is checked.
    let mut many = serde_json::from_str::<serde_json::Value>(&json).unwrap();
    let one = many["signatures"][0].clone();
    many["signatures"] = serde_json::Value::Array(vec![one; 33]);
    assert!(matches!(
        TrustPackage::open(&serde_json::to_vec(&many).unwrap()),
        Err(PackageError::TooManySignatures(33))
    ));
}

#[test]
fn only_active_custodians_of_the_current_trust_count() {
    let s = station();
    let outsider = gen(Algorithm::Ed25519);
    let json = issue(&s.trust, 1, &[&outsider]);
    let err = open(&json).verify_with(&s.trust, 1, t(NOW)).unwrap_err();
    assert!(
        err.to_string().contains(&format!(
            "key {} is not trusted here",
            outsider.public_key().key_id()
        )),
        "{err}"
    );

    // A trusted key of another purpose.
    let signer_key = gen(Algorithm::Ed25519);
    let mut keys = s.trust.keys().to_vec();
    keys.push(held(
        "approver",
        &signer_key,
        Purpose::Approver,
        "dave",
        &[],
    ));
    let current = TrustSet::new(keys, vec![], PolicyBundle::default()).unwrap();
    let json = issue(&s.trust, 1, &[&signer_key]);
    let err = open(&json).verify_with(&current, 1, t(NOW)).unwrap_err();
    assert!(
        err.to_string().contains("key \"approver\" (")
            && err
                .to_string()
                .contains("is an approver key, not a custodian key"),
        "{err}"
    );

    // A custodian revoked, expired, or not yet valid at import time.
    let json = issue(&s.trust, 1, &[&s.alice]);
    let cid = s.alice.public_key().key_id();
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
    let pkg = open(&json);
    let err = pkg.verify_with(&revoked, 1, t(NOW)).unwrap_err();
    assert!(err.to_string().contains("left the company"), "{err}");
    // Revoked only later than now: still acceptable.
    assert!(pkg
        .verify_with(&revoked, 1, t("2026-10-01T00:00:00Z"))
        .is_ok());

    let windowed = |nb: Option<&str>, na: Option<&str>| {
        TrustSet::new(
            vec![window(
                "custodian",
                &s.alice,
                Purpose::Custodian,
                "alice",
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
        .verify_with(&windowed(None, Some("2026-11-01T00:00:00Z")), 1, t(NOW))
        .unwrap_err();
    assert!(err.to_string().contains("expired at"), "{err}");
    let err = pkg
        .verify_with(&windowed(Some("2026-12-01T00:00:00Z"), None), 1, t(NOW))
        .unwrap_err();
    assert!(err.to_string().contains("is not valid until"), "{err}");
    assert!(!windowed(Some("2026-12-01T00:00:00Z"), None).has_active_custodian(t(NOW)));
    assert!(s.trust.has_active_custodian(t(NOW)));
}

#[test]
fn import_enforces_the_threshold_in_force_and_the_new_one() {
    let s = station();
    // The station accepted threshold 2: alice alone cannot change its trust...
    let json = issue(&s.trust, 1, &[&s.alice]);
    let err = open(&json).import(&s.trust, 2, None, t(NOW)).unwrap_err();
    assert!(
        matches!(err, PackageError::BelowThreshold { threshold: 2, .. }),
        "{err}"
    );
    // ...nor lower the threshold; alice and bob together can.
    let json = issue(&s.trust, 1, &[&s.alice, &s.bob]);
    let done = open(&json).import(&s.trust, 2, None, t(NOW)).unwrap();
    assert_eq!(done.package.threshold, 1);

    // A package that raises the threshold must also meet it among its own custodians: a
    // package naming a new custodian (erin) with threshold 3 needs her signature too.
    let erin = gen(Algorithm::Ed25519);
    let mut keys = s.trust.keys().to_vec();
    keys.push(held("erin-custody", &erin, Purpose::Custodian, "erin", &[]));
    let next = TrustSet::new(keys, vec![], PolicyBundle::default()).unwrap();
    let json = issue(&next, 3, &[&s.alice, &s.bob]);
    let err = open(&json).import(&s.trust, 2, None, t(NOW)).unwrap_err();
    assert!(
        matches!(&err, PackageError::BelowThreshold { threshold: 3, whose, .. } if whose.contains("package itself")),
        "{err}"
    );
    let json = issue(&next, 3, &[&s.alice, &s.bob, &erin]);
    let done = open(&json).import(&s.trust, 2, None, t(NOW)).unwrap();
    assert_eq!(done.package.holders, vec!["alice", "bob", "erin"]);

    // An older package than the last one imported.
    let err = open(&json)
        .import(&s.trust, 2, Some(t("2026-12-01T00:00:00Z")), t(NOW))
        .unwrap_err();
    assert!(matches!(err, PackageError::Stale { .. }), "{err}");
}

#[test]
fn a_signed_but_invalid_payload_is_refused_by_name() {
    let s = station();
    let sign = |payload: serde_json::Value| {
        let env = Envelope::sign(
            &s.alice,
            TRUST_MEDIA_TYPE,
            canonical_json(&payload).into_bytes(),
        )
        .unwrap();
        serde_json::to_string(&env.to_json()).unwrap()
    };
    let json = issue(&s.trust, 1, &[&s.alice]);
    let env: serde_json::Value = serde_json::from_str(&json).unwrap();
    let base: serde_json::Value =
        serde_json::from_slice(&b64d(env["payload"].as_str().unwrap())).unwrap();

    let verify = |payload: serde_json::Value| {
        TrustPackage::open(sign(payload).as_bytes())
            .unwrap()
            .verify_with(&s.trust, 1, t(NOW))
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
    // An unknown purpose, no holder.
    let mut p = base.clone();
    p["keys"][0]["purpose"] = "root".into();
    assert!(matches!(verify(p), PackageError::Payload { .. }));
    let mut p = base.clone();
    p["keys"][0]["holder"] = "".into();
    assert!(matches!(
        verify(p),
        PackageError::Entry {
            source: TrustError::BadHolder(_),
            ..
        }
    ));
    // An unknown field, another media type, a zero threshold.
    let mut p = base.clone();
    p["extra"] = serde_json::json!(1);
    assert!(matches!(verify(p), PackageError::Payload { .. }));
    let mut p = base.clone();
    p["mediaType"] = "application/vnd.strongroom.trust.v1+json".into();
    assert!(matches!(verify(p), PackageError::Payload { .. }));
    let mut p = base.clone();
    p["threshold"] = 0.into();
    assert!(matches!(verify(p), PackageError::ZeroThreshold(0)));
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
    let earlier = TrustSet::new(
        s.trust.keys().to_vec(),
        vec![local.clone()],
        PolicyBundle::default(),
    )
    .unwrap();
    let merged = s.trust.clone().keeping_revocations_of(&earlier);
    assert_eq!(merged.revocations().len(), 2);
    assert!(merged.revocations().contains(&local));
    // Idempotent.
    assert_eq!(merged.clone().keeping_revocations_of(&earlier), merged);
    // And the import does it.
    let json = issue(&s.trust, 1, &[&s.alice]);
    let done = open(&json).import(&earlier, 1, None, t(NOW)).unwrap();
    assert!(done.merged.revocations().contains(&local));
}

fn b64d(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

fn b64e(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
