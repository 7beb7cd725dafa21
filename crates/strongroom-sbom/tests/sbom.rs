//! SBOM output, validation and conversion, checked by independent tools: `pyspdxtools`
//! (spdx-tools), cyclonedx-python-lib's strict validator and packageurl-python.

mod common;

use std::path::Path;

use common::*;
use serde_json::{json, Value};
use strongroom_sbom::{
    catalog, components_from_sbom, convert_cyclonedx_to_spdx, convert_spdx_to_cyclonedx,
    to_cyclonedx_json, to_spdx_json, validate, validate_value, Catalog, CycloneDxVersion,
    DocumentInfo, Limits, SbomKind, ValidationErrors,
};

fn doc(name: &str) -> DocumentInfo {
    DocumentInfo {
        name: name.to_string(),
        namespace: format!("https://strongroom.example/spdx/{name}-0001"),
        created: "2026-01-02T03:04:05Z".into(),
        tool: "strongroom-0.1.0".into(),
    }
}

/// A tarball with every ecosystem, and an OCI image layout.
fn catalogs(dir: &Path) -> Vec<Catalog> {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for case in [
        "cargo-v4/Cargo.lock",
        "npm-v1/package-lock.json",
        "npm-v3/package-lock.json",
        "requirements/requirements.txt",
        "poetry/poetry.lock",
        "gomod/go.mod",
    ] {
        files.push((
            format!("src/{case}"),
            std::fs::read(data(&format!("lockfiles/{case}"))).unwrap(),
        ));
    }
    files.push((
        "rootfs/var/lib/dpkg/status".into(),
        std::fs::read(data("lockfiles/dpkg-status/status")).unwrap(),
    ));
    files.push(("lib/a.jar".into(), jar("org.example", "a", "1.0.0", &[])));
    files.push((
        "dist/zope.interface-6.0-py3-none-any.whl".into(),
        wheel("zope.interface", "6.0"),
    ));
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(p, d)| (p.as_str(), d.as_slice()))
        .collect();
    let tgz = dir.join("everything.tar.gz");
    std::fs::write(&tgz, gzip(&tar_files(&refs))).unwrap();
    let oci = dir.join("image-oci");
    write_oci_dir(&oci, &oci_image());
    vec![
        catalog(&tgz, &Limits::default()).unwrap(),
        catalog(&oci, &Limits::default()).unwrap(),
    ]
}

fn write_json(path: &Path, v: &Value) {
    std::fs::write(path, serde_json::to_vec_pretty(v).unwrap()).unwrap();
}

const CDX_STRICT: &str = r#"
import sys
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
err = JsonStrictValidator(SchemaVersion.from_version(sys.argv[2])).validate_str(open(sys.argv[1]).read())
if err is not None:
    print(err); sys.exit(1)
print("cyclonedx ok")
"#;

const PURL_CANONICAL: &str = r#"
import json, sys
from packageurl import PackageURL
doc = json.load(open(sys.argv[1]))
bad = [(p, PackageURL.from_string(p).to_string()) for p in doc["strict"]
       if PackageURL.from_string(p).to_string() != p]
# Local packages (e.g. npm `file:../x` versions): packageurl-python leaves `/` unencoded in a
# version, the spec encodes it; only require that it reads the same version back.
from urllib.parse import unquote
bad += [(p, v) for p, v in doc["local"] if PackageURL.from_string(p).version != v]
if bad:
    print(bad); sys.exit(1)
print("purls ok")
"#;

fn pyspdxtools(path: &Path) {
    let out = std::process::Command::new(venv_bin("pyspdxtools"))
        .arg("-i")
        .arg(path)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "pyspdxtools rejected {}:\n{text}",
        path.display()
    );
    assert!(!text.to_lowercase().contains("invalid"), "{text}");
}

#[test]
fn outputs_pass_independent_validators() {
    let dir = tempfile::tempdir().unwrap();
    for cat in catalogs(dir.path()) {
        assert!(cat.components.len() >= 5, "{:?}", cat.warnings);
        let name = cat.subject.name.clone();
        let spdx = to_spdx_json(&cat, &doc(&name));
        let cdx = to_cyclonedx_json(&cat, &doc(&name));
        assert_eq!(validate_value(&spdx).unwrap(), SbomKind::Spdx23);
        assert_eq!(
            validate_value(&cdx).unwrap(),
            SbomKind::CycloneDx(CycloneDxVersion::V1_6)
        );
        let sp = dir.path().join(format!("{name}.spdx.json"));
        let cp = dir.path().join(format!("{name}.cdx.json"));
        write_json(&sp, &spdx);
        write_json(&cp, &cdx);
        pyspdxtools(&sp);
        python(CDX_STRICT, &[cp.to_str().unwrap(), "1.6"]);
        let strict: Vec<&str> = cat
            .components
            .iter()
            .filter(|c| !c.local)
            .map(|c| c.purl.as_str())
            .collect();
        let local: Vec<(&str, &str)> = cat
            .components
            .iter()
            .filter(|c| c.local)
            .map(|c| (c.purl.as_str(), c.version.as_str()))
            .collect();
        let pp = dir.path().join(format!("{name}.purls.json"));
        std::fs::write(
            &pp,
            serde_json::to_vec(&json!({"strict": strict, "local": local})).unwrap(),
        )
        .unwrap();
        python(PURL_CANONICAL, &[pp.to_str().unwrap()]);

        // found_in is recorded in both formats.
        let c0 = &cat.components[0];
        assert_eq!(
            spdx["packages"][1]["sourceInfo"],
            json!(format!("found in: {}", c0.found_in))
        );
        assert_eq!(
            cdx["components"][0]["properties"][0]["value"],
            json!(c0.found_in)
        );
        // Deterministic.
        assert_eq!(to_cyclonedx_json(&cat, &doc(&name)), cdx);
        assert_eq!(to_spdx_json(&cat, &doc(&name)), spdx);
        if let Some(d) = &cat.image_manifest_digest {
            let hex = d.strip_prefix("sha256:").unwrap();
            assert_eq!(
                spdx["packages"][0]["checksums"][0]["checksumValue"],
                json!(hex)
            );
            assert_eq!(
                cdx["metadata"]["component"]["hashes"][0]["content"],
                json!(hex)
            );
            assert_eq!(cdx["metadata"]["component"]["type"], json!("container"));
        }
    }
}

fn schema_paths(e: ValidationErrors) -> Vec<String> {
    match e {
        ValidationErrors::Schema { issues, .. } => {
            issues.into_iter().map(|i| i.instance_path).collect()
        }
        other => panic!("expected schema errors, got {other}"),
    }
}

#[test]
fn validate_rejects_broken_documents_with_paths() {
    let dir = tempfile::tempdir().unwrap();
    let cat = catalogs(dir.path()).remove(0);
    let spdx = to_spdx_json(&cat, &doc("x"));
    let cdx = to_cyclonedx_json(&cat, &doc("x"));

    let mut s = spdx.clone();
    s["packages"][2].as_object_mut().unwrap().remove("name");
    s["packages"][3]["filesAnalyzed"] = json!("no");
    let paths = schema_paths(validate_value(&s).unwrap_err());
    assert!(paths.contains(&"/packages/2".to_string()), "{paths:?}");
    assert!(
        paths.contains(&"/packages/3/filesAnalyzed".to_string()),
        "{paths:?}"
    );

    let mut s = spdx.clone();
    s.as_object_mut().unwrap().remove("creationInfo");
    assert_eq!(schema_paths(validate_value(&s).unwrap_err()), [""]);

    let mut c = cdx.clone();
    c["components"][0].as_object_mut().unwrap().remove("name");
    c["version"] = json!("one");
    c["components"][1]["hashes"] = json!([{"alg": "SHA-256", "content": "xyz"}]);
    let paths = schema_paths(validate_value(&c).unwrap_err());
    assert!(paths.contains(&"/components/0".to_string()), "{paths:?}");
    assert!(paths.contains(&"/version".to_string()), "{paths:?}");
    assert!(
        paths
            .iter()
            .any(|p| p.starts_with("/components/1/hashes/0")),
        "{paths:?}"
    );

    let err = validate(b"{\"a\": ").unwrap_err();
    assert!(
        matches!(err, ValidationErrors::NotJson { line: 1, .. }),
        "{err}"
    );
    let err = validate(b"{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.1\"}").unwrap_err();
    assert!(err.to_string().contains("1.4, 1.5 and 1.6"), "{err}");
    // A version that is not read is named, without Rust's debug text (`Some("1.7")`).
    for (doc, said) in [
        (
            &b"{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.7\"}"[..],
            "CycloneDX 1.7 is not supported",
        ),
        (
            b"{\"spdxVersion\": \"SPDX-2.2\"}",
            "SPDX version \"SPDX-2.2\" is not supported",
        ),
    ] {
        let err = validate(doc).unwrap_err();
        assert!(
            matches!(err, ValidationErrors::UnsupportedVersion { .. }),
            "{err}"
        );
        assert!(err.to_string().starts_with(said), "{err}");
        assert!(!err.to_string().contains("Some("), "{err}");
    }
    assert!(matches!(
        validate(b"{\"hello\": 1}").unwrap_err(),
        ValidationErrors::UnknownFormat(_)
    ));
    // Our error display lists the paths.
    let mut c = cdx;
    c["serialNumber"] = json!("not-a-urn");
    let msg = validate_value(&c).unwrap_err().to_string();
    assert!(msg.contains("/serialNumber"), "{msg}");
}

#[test]
fn third_party_fixtures_validate_and_read() {
    let spdx = std::fs::read(data("sbom/syft-image.spdx.json")).unwrap();
    let cdx = std::fs::read(data("sbom/syft-image.cdx.json")).unwrap();
    assert_eq!(validate(&spdx).unwrap(), SbomKind::Spdx23);
    assert_eq!(
        validate(&cdx).unwrap(),
        SbomKind::CycloneDx(CycloneDxVersion::V1_6)
    );
    let expected = expected_lines(&data("sbom/expected-syft.txt"));
    for bytes in [&spdx, &cdx] {
        let v: Value = serde_json::from_slice(bytes).unwrap();
        let got: Vec<String> = components_from_sbom(&v)
            .unwrap()
            .iter()
            .map(|c| {
                format!(
                    "{} | {} | {} | {}",
                    c.purl,
                    c.version,
                    c.found_in,
                    c.source_package.as_deref().unwrap_or("-")
                )
            })
            .collect();
        assert_eq!(got, expected);
    }
    assert!(components_from_sbom(&json!({"hello": 1})).is_err());
}

#[test]
fn conversion_round_trips_keep_purls_and_versions() {
    let dir = tempfile::tempdir().unwrap();
    for cat in catalogs(dir.path()) {
        let name = cat.subject.name.clone();
        let key = |v: &Value| {
            let mut k: Vec<(String, String, String)> = components_from_sbom(v)
                .unwrap()
                .into_iter()
                .map(|c| (c.purl, c.version, c.found_in))
                .collect();
            k.sort();
            k
        };
        let mut want: Vec<(String, String, String)> = cat
            .components
            .iter()
            .map(|c| (c.purl.clone(), c.version.clone(), c.found_in.clone()))
            .collect();
        want.sort();

        let spdx = to_spdx_json(&cat, &doc(&name));
        let cdx = to_cyclonedx_json(&cat, &doc(&name));
        assert_eq!(key(&spdx), want);
        assert_eq!(key(&cdx), want);
        let back = components_from_sbom(&cdx).unwrap();
        for (a, b) in back.iter().zip(&cat.components) {
            assert_eq!(a, b);
        }
        assert_eq!(back.len(), cat.components.len());

        // SPDX → CycloneDX → SPDX.
        let cdx2 = convert_spdx_to_cyclonedx(&spdx).unwrap();
        validate_value(&cdx2).unwrap();
        assert_eq!(key(&cdx2), want);
        let spdx2 = convert_cyclonedx_to_spdx(&cdx2, &doc(&format!("{name}-rt"))).unwrap();
        validate_value(&spdx2).unwrap();
        assert_eq!(key(&spdx2), want);
        // CycloneDX → SPDX, checked by spdx-tools; the subject checksum survives.
        let spdx3 = convert_cyclonedx_to_spdx(&cdx, &doc(&format!("{name}-c"))).unwrap();
        let p = dir.path().join(format!("{name}-converted.spdx.json"));
        write_json(&p, &spdx3);
        pyspdxtools(&p);
        assert_eq!(
            spdx3["packages"][0]["checksums"][0]["checksumValue"],
            spdx["packages"][0]["checksums"][0]["checksumValue"]
        );
        let p = dir.path().join(format!("{name}-converted.cdx.json"));
        write_json(&p, &cdx2);
        python(CDX_STRICT, &[p.to_str().unwrap(), "1.6"]);
    }
    // Third-party documents convert too.
    for f in ["sbom/syft-image.spdx.json", "sbom/syft-image.cdx.json"] {
        let v: Value = serde_json::from_slice(&std::fs::read(data(f)).unwrap()).unwrap();
        let out = if f.ends_with("spdx.json") {
            convert_spdx_to_cyclonedx(&v).unwrap()
        } else {
            convert_cyclonedx_to_spdx(&v, &doc("syft")).unwrap()
        };
        validate_value(&out).unwrap();
        assert_eq!(components_from_sbom(&out).unwrap().len(), 4, "{f}");
    }
}
