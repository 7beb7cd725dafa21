//! The manifest model: canonical bytes, parse/serialise round trips, and refusal of unknown
//! fields, other versions, bad names and entries that break the layout.

mod common;

use common::{name, release, sample_files, sample_manifest, KEY_HEX};
use serde_json::{json, Value};
use strongroom_bundle::manifest::{media_types, FORMAT_VERSION, MANIFEST_MEDIA_TYPE};
use strongroom_bundle::{ArtifactRecord, BundleError, Entry, EntryRole, Manifest, Sha256Digest};

fn as_json(m: &Manifest) -> Value {
    serde_json::from_slice(&m.to_bytes()).unwrap()
}

fn parse_json(v: &Value) -> Result<Manifest, BundleError> {
    Manifest::parse(&serde_json::to_vec(v).unwrap())
}

fn manifest_error(v: &Value) -> String {
    match parse_json(v) {
        Err(BundleError::Manifest(m)) => m,
        other => panic!("expected a manifest error, got {other:?}"),
    }
}

#[test]
fn canonical_bytes_and_round_trip() {
    let m = sample_manifest();
    let bytes = m.to_bytes();
    let text = std::str::from_utf8(&bytes).unwrap();
    assert!(text.ends_with("}\n"));
    assert!(text.starts_with(
        "{\n  \"mediaType\": \"application/vnd.strongroom.manifest.v1+json\",\n  \"formatVersion\": 1,\n  \"release\": {\n    \"name\": \"app\","
    ));
    assert!(text.contains("\"created\": \"2026-11-22T10:00:00Z\""));
    assert!(text.contains("\"predicateType\": null"));
    let back = Manifest::parse(&bytes).unwrap();
    assert_eq!(back, m);
    assert_eq!(back.to_bytes(), bytes);

    // Entries sorted by path, keys in the documented order.
    let v = as_json(&m);
    let paths: Vec<&str> = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted);
    // Key order as documented (serde_json's Value would sort keys, so look at the text).
    let first = &text[text.find("\"entries\"").unwrap()..];
    let first = &first[..first.find('}').unwrap()];
    let at = |k: &str| first.find(&format!("\"{k}\":")).unwrap();
    let order = [
        "path",
        "role",
        "mediaType",
        "sha256",
        "size",
        "subjects",
        "predicateType",
    ];
    for w in order.windows(2) {
        assert!(at(w[0]) < at(w[1]), "{} before {}", w[0], w[1]);
    }
    assert_eq!(v["mediaType"], MANIFEST_MEDIA_TYPE);
    assert_eq!(v["formatVersion"], FORMAT_VERSION);

    // Any insertion order gives the same manifest.
    let mut files = sample_files();
    files.reverse();
    let again = Manifest::new(
        release(),
        m.artifacts().to_vec(),
        files.into_iter().map(|f| f.2).collect(),
    )
    .unwrap();
    assert_eq!(again.to_bytes(), bytes);
    assert_eq!(m.release().created_at().unix_timestamp(), 1_795_341_600);
}

#[test]
fn unsorted_input_is_accepted_and_sorted() {
    let mut v = as_json(&sample_manifest());
    v["entries"].as_array_mut().unwrap().reverse();
    let m = parse_json(&v).unwrap();
    assert_eq!(m, sample_manifest());
}

#[test]
fn unknown_fields_versions_and_media_types_are_refused() {
    let base = as_json(&sample_manifest());

    let mut v = base.clone();
    v["extra"] = json!(1);
    assert!(manifest_error(&v).contains("unknown field"));
    let mut v = base.clone();
    v["entries"][0]["note"] = json!("x");
    assert!(manifest_error(&v).contains("unknown field"));
    let mut v = base.clone();
    v["release"]["by"] = json!("x");
    assert!(manifest_error(&v).contains("unknown field"));

    let mut v = base.clone();
    v["formatVersion"] = json!(2);
    v["newField"] = json!(true);
    assert!(manifest_error(&v).contains("formatVersion is 2"));
    let mut v = base.clone();
    v["formatVersion"] = json!("1");
    assert!(manifest_error(&v).contains("formatVersion"));
    let mut v = base.clone();
    v["mediaType"] = json!("application/json");
    assert!(manifest_error(&v).contains("mediaType"));
    let mut v = base.clone();
    v.as_object_mut().unwrap().remove("mediaType");
    assert!(manifest_error(&v).contains("mediaType is missing"));

    let mut v = base.clone();
    v["release"]["stage"] = json!("prod");
    assert!(manifest_error(&v).contains("prod"));
    let mut v = base.clone();
    v["release"]["created"] = json!("2026-11-22 10:00:00");
    assert!(manifest_error(&v).contains("RFC 3339"));
    let mut v = base.clone();
    v["entries"][0]["sha256"] = json!("ABCD");
    assert!(manifest_error(&v).contains("SHA-256"));

    assert!(matches!(
        Manifest::parse(b"not json"),
        Err(BundleError::Manifest(_))
    ));
}

#[test]
fn bad_names_duplicates_and_layout_breaks_are_refused() {
    let base = as_json(&sample_manifest());
    let case = |f: &dyn Fn(&mut Value)| {
        let mut v = base.clone();
        f(&mut v);
        manifest_error(&v)
    };
    // Artifact names.
    for bad in ["a/b", "..", "", "x\u{0}y", "tab\t"] {
        let msg = case(&|v| v["artifacts"][0]["name"] = json!(bad));
        assert!(msg.contains("artifact name"), "{bad:?}: {msg}");
    }
    // Duplicates.
    let msg = case(&|v| {
        let a = v["artifacts"][0].clone();
        v["artifacts"].as_array_mut().unwrap().push(a);
    });
    assert!(msg.contains("listed twice"), "{msg}");
    let msg = case(&|v| {
        let e = v["entries"][0].clone();
        v["entries"].as_array_mut().unwrap().push(e);
    });
    assert!(msg.contains("listed twice"), "{msg}");
    // Path rules and reserved paths.
    let idx = |v: &Value, role: &str| {
        v["entries"]
            .as_array()
            .unwrap()
            .iter()
            .position(|e| e["role"] == role)
            .unwrap()
    };
    let k = idx(&base, "public-key");
    for bad in ["../keys/x.pem", "/keys/x.pem", "keys\\x.pem"] {
        let msg = case(&|v| v["entries"][k]["path"] = json!(bad));
        assert!(msg.contains("entry path"), "{bad}: {msg}");
    }
    let msg = case(&|v| v["entries"][k]["path"] = json!("keys/NOTHEX.pem"));
    assert!(msg.contains("64 lowercase hex"), "{msg}");
    let msg = case(&|v| v["entries"][k]["path"] = json!(format!("approvals/{KEY_HEX}.pem")));
    assert!(msg.contains("reserved"), "{msg}");
    let msg = case(&|v| v["entries"][k]["path"] = json!("manifest.json"));
    assert!(msg.contains("reserved"), "{msg}");
    // Subjects must be artifacts of the release; keys have none.
    let s = idx(&base, "artifact-signature");
    let msg = case(&|v| v["entries"][s]["subjects"] = json!(["other.bin"]));
    assert!(msg.contains("not an artifact"), "{msg}");
    let msg = case(&|v| v["entries"][k]["subjects"] = json!(["app.tar.gz"]));
    assert!(msg.contains("no subjects"), "{msg}");
    // Attestations need a predicate type; others must not have one.
    let a = idx(&base, "attestation");
    let msg = case(&|v| v["entries"][a]["predicateType"] = json!(null));
    assert!(msg.contains("predicateType"), "{msg}");
    let msg = case(&|v| v["entries"][s]["predicateType"] = json!("https://x"));
    assert!(msg.contains("predicateType"), "{msg}");
    let msg =
        case(&|v| v["entries"][a]["path"] = json!("attestations/app.tar.gz.other.sigstore.json"));
    assert!(msg.contains("sbom|provenance|vulns"), "{msg}");
    // An included artifact's entry must match its record, and be there.
    let art = idx(&base, "artifact");
    let msg = case(&|v| v["entries"][art]["size"] = json!(1));
    assert!(msg.contains("differs"), "{msg}");
    let msg = case(&|v| {
        v["entries"].as_array_mut().unwrap().remove(art);
    });
    assert!(msg.contains("not listed"), "{msg}");
    let msg = case(&|v| v["artifacts"][0]["included"] = json!(false));
    assert!(msg.contains("not included"), "{msg}");
}

#[test]
fn an_artifact_may_be_left_out() {
    let app = name("app.tar.gz");
    let m = Manifest::new(
        release(),
        vec![ArtifactRecord {
            name: app.clone(),
            sha256: Sha256Digest::of_bytes(b"x"),
            size: 1,
            included: false,
            image: None,
        }],
        vec![Entry::from_bytes(
            "signatures/app.tar.gz.sigstore.json",
            EntryRole::ArtifactSignature,
            media_types::SIGSTORE_BUNDLE,
            b"{}",
        )
        .with_subjects([app])],
    )
    .unwrap();
    assert_eq!(Manifest::parse(&m.to_bytes()).unwrap(), m);
    assert!(m.entry("signatures/app.tar.gz.sigstore.json").is_some());
    assert!(m.artifact("app.tar.gz").is_some());
    assert!(m.entry("artifacts/app.tar.gz").is_none());
}

#[test]
fn a_readme_entry_is_added_afterwards() {
    let m = sample_manifest();
    let readme = Entry::from_bytes("README.txt", EntryRole::Readme, media_types::TEXT, b"hello");
    let with = m.with_entry(readme.clone()).unwrap();
    assert_eq!(with.entry("README.txt"), Some(&readme));
    assert_eq!(with.entries().first().unwrap().path, "README.txt");
    assert!(m
        .with_entry(readme.clone().with_subjects([name("app.tar.gz")]))
        .is_err());
    let elsewhere = Entry::from_bytes(
        "docs/README.txt",
        EntryRole::Readme,
        media_types::TEXT,
        b"x",
    );
    assert!(m.with_entry(elsewhere).is_err());
}
