//! Cataloguing real files: the data-driven lockfile table, this repository's own lockfiles,
//! and archives, packages and images built here with independent writers.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::*;
use strongroom_sbom::{catalog, Ecosystem, Limits, SubjectKind};

#[test]
fn lockfile_table() {
    // One directory per case: the lockfile and expected.txt (`purl [local]` per line).
    let root = data("lockfiles");
    let mut cases: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    cases.sort();
    assert!(cases.len() >= 9, "lockfile cases missing");
    for case in cases {
        let input = std::fs::read_dir(&case)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.file_name().unwrap() != "expected.txt")
            .unwrap();
        let cat = catalog(&input, &Limits::default())
            .unwrap_or_else(|e| panic!("{}: {e}", case.display()));
        let name = input.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(
            purl_lines(&cat),
            expected_lines(&case.join("expected.txt")),
            "case {}",
            case.display()
        );
        assert!(cat.components.iter().all(|c| c.found_in == name));
        assert_eq!(cat.subject.name, name);
        assert_eq!(
            cat.subject.sha256,
            sha256_hex(&std::fs::read(&input).unwrap())
        );
    }
}

#[test]
fn requirements_warnings_name_lines() {
    let cat = catalog(
        &data("lockfiles/requirements/requirements.txt"),
        &Limits::default(),
    )
    .unwrap();
    let w = cat.warnings.join("\n");
    assert!(w.contains("line 8: include `-r common.txt`"), "{w}");
    assert!(w.contains("line 9: `flask>=2.0` is not pinned"), "{w}");
    assert!(w.contains("line 11: editable install"), "{w}");
    // Names are kept as written; purls carry the PEP 503 form.
    let zope = cat
        .components
        .iter()
        .find(|c| c.name == "Zope.Interface")
        .unwrap();
    assert_eq!(zope.ecosystem, Ecosystem::PyPI);
    assert_eq!(zope.purl, "pkg:pypi/zope-interface@5.4.0");
}

#[test]
fn debian_source_and_licenses() {
    let cat = catalog(&data("lockfiles/dpkg-status/status"), &Limits::default()).unwrap();
    let libc = cat.components.iter().find(|c| c.name == "libc6").unwrap();
    assert_eq!(libc.source_package.as_deref(), Some("glibc"));
    assert_eq!(libc.version, "2.36-9+deb12u4");
    let passwd = cat.components.iter().find(|c| c.name == "passwd").unwrap();
    assert_eq!(passwd.source_package.as_deref(), Some("shadow"));
    let npm = catalog(
        &data("lockfiles/npm-v3/package-lock.json"),
        &Limits::default(),
    )
    .unwrap();
    let js = npm
        .components
        .iter()
        .find(|c| c.name == "JSONStream")
        .unwrap();
    assert_eq!(js.licenses, ["(MIT OR Apache-2.0)"]);
}

/// This repository's Cargo.lock, counted independently (line scan, not TOML).
#[test]
fn own_cargo_lock() {
    let path = manifest_dir().join("../../Cargo.lock");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut expected = BTreeSet::new();
    let mut local = BTreeSet::new();
    for block in text.split("[[package]]").skip(1) {
        let field = |k: &str| {
            block
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{k} = \"")))
                .map(|v| v.trim_end_matches('"').to_string())
        };
        let (name, version) = (field("name").unwrap(), field("version").unwrap());
        if field("source").is_none() {
            local.insert(name.clone());
        }
        // purl percent-encoding of a SemVer build suffix: `+` is `%2B`.
        expected.insert(format!("pkg:cargo/{name}@{}", version.replace('+', "%2B")));
    }
    let cat = catalog(&path, &Limits::default()).unwrap();
    let got: BTreeSet<String> = cat.components.iter().map(|c| c.purl.clone()).collect();
    assert!(
        got == expected,
        "differs: {:?}",
        got.symmetric_difference(&expected).collect::<Vec<_>>()
    );
    assert_eq!(cat.components.len(), expected.len());
    let core = cat
        .components
        .iter()
        .find(|c| c.purl == "pkg:cargo/strongroom-core@0.1.0")
        .unwrap();
    assert!(core.local);
    assert!(local.contains("strongroom-sbom"));
    let serde = cat.components.iter().find(|c| c.name == "serde").unwrap();
    assert!(!serde.local);
    assert!(serde.purl.starts_with("pkg:cargo/serde@1."));
}

/// This repository's package-lock.json, counted independently with serde_json.
#[test]
fn own_package_lock() {
    let path = manifest_dir().join("../../package-lock.json");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let mut expected = BTreeSet::new();
    for (k, e) in v["packages"].as_object().unwrap() {
        if k.is_empty() || e.get("link").is_some() {
            continue;
        }
        let name = k.rsplit("node_modules/").next().unwrap();
        let enc = name.replace('@', "%40");
        expected.insert(format!(
            "pkg:npm/{}@{}",
            enc.to_lowercase(),
            e["version"].as_str().unwrap()
        ));
    }
    let cat = catalog(&path, &Limits::default()).unwrap();
    let got: BTreeSet<String> = cat.components.iter().map(|c| c.purl.clone()).collect();
    assert!(
        got == expected,
        "differs: {:?}",
        got.symmetric_difference(&expected).collect::<Vec<_>>()
    );
    let verify = &v["packages"]["node_modules/@sigstore/verify"]["version"];
    assert!(got.contains(&format!(
        "pkg:npm/%40sigstore/verify@{}",
        verify.as_str().unwrap()
    )));
}

#[test]
fn tar_gz_with_lockfiles_jar_wheel_and_deb() {
    let dir = tempfile::tempdir().unwrap();
    let cargo = std::fs::read(data("lockfiles/cargo-v4/Cargo.lock")).unwrap();
    let jar_bytes = jar("com.google.guava", "guava", "32.1.3-jre", &[]);
    let inner = jar("org.slf4j", "slf4j-api", "2.0.12", &[]);
    let war = zip_bytes(&[
        ("WEB-INF/web.xml", b"<web-app/>"),
        ("WEB-INF/lib/slf4j-api-2.0.12.jar", &inner),
    ]);
    let whl = wheel("ruamel.yaml", "0.18.6");
    let control = "Package: hello\nVersion: 2.10-3\nArchitecture: amd64\nMaintainer: x <x@example.org>\nDescription: hello\n";
    let deb_bytes = deb(control, &[("./usr/share/doc/hello/copyright", b"c")], "gz");
    let tgz = gzip(&tar_files(&[
        ("srv/Cargo.lock", &cargo),
        ("srv/lib/guava.jar", &jar_bytes),
        ("srv/app.war", &war),
        ("wheels/ruamel.yaml-0.18.6-py3-none-any.whl", &whl),
        ("debs/hello_2.10-3_amd64.deb", &deb_bytes),
        ("README", b"not a package"),
    ]));
    let path = dir.path().join("app.tar.gz");
    std::fs::write(&path, &tgz).unwrap();
    let cat = catalog(&path, &Limits::default()).unwrap();
    let found: Vec<(String, String)> = cat
        .components
        .iter()
        .map(|c| (c.purl.clone(), c.found_in.clone()))
        .collect();
    let want = [
        ("pkg:cargo/anyhow@1.0.86", "app.tar.gz!/srv/Cargo.lock"),
        ("pkg:cargo/myapp@0.1.0", "app.tar.gz!/srv/Cargo.lock"),
        ("pkg:cargo/serde@1.0.203", "app.tar.gz!/srv/Cargo.lock"),
        ("pkg:cargo/somegit@0.2.0", "app.tar.gz!/srv/Cargo.lock"),
        (
            "pkg:deb/debian/hello@2.10-3?arch=amd64",
            "app.tar.gz!/debs/hello_2.10-3_amd64.deb",
        ),
        (
            "pkg:maven/com.google.guava/guava@32.1.3-jre",
            "app.tar.gz!/srv/lib/guava.jar!/META-INF/maven/com.google.guava/guava/pom.properties",
        ),
        (
            "pkg:maven/org.slf4j/slf4j-api@2.0.12",
            "app.tar.gz!/srv/app.war!/WEB-INF/lib/slf4j-api-2.0.12.jar!/META-INF/maven/org.slf4j/slf4j-api/pom.properties",
        ),
        (
            "pkg:pypi/ruamel-yaml@0.18.6",
            "app.tar.gz!/wheels/ruamel.yaml-0.18.6-py3-none-any.whl!/ruamel_yaml-0.18.6.dist-info/METADATA",
        ),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(found, want);
    assert_eq!(cat.subject.sha256, sha256_hex(&tgz));
    assert_eq!(cat.subject.size, tgz.len() as u64);
    assert_eq!(cat.image_manifest_digest, None);
    let whl = cat
        .components
        .iter()
        .find(|c| c.ecosystem == Ecosystem::PyPI)
        .unwrap();
    assert_eq!(whl.licenses, ["MIT"]);
}

#[test]
fn deb_files_gz_zst_and_dpkg_deb() {
    let dir = tempfile::tempdir().unwrap();
    let control = "Package: libfoo1\nSource: foo\nVersion: 1:1.2-3+b1\nArchitecture: arm64\nMaintainer: x <x@example.org>\nDescription: foo\n";
    for comp in ["gz", "zst"] {
        let p = dir.path().join(format!("libfoo1-{comp}.deb"));
        std::fs::write(
            &p,
            deb(control, &[("./usr/lib/libfoo.so.1", b"\x7fELF")], comp),
        )
        .unwrap();
        let cat = catalog(&p, &Limits::default()).unwrap();
        assert_eq!(
            purl_lines(&cat),
            ["pkg:deb/debian/libfoo1@1:1.2-3%2Bb1?arch=arm64"],
            "{comp}"
        );
        assert_eq!(cat.components[0].source_package.as_deref(), Some("foo"));
    }
    // Debian's own tool (control.tar.xz, data.tar.xz), holding a jar in its data.
    let root = dir.path().join("pkgroot");
    std::fs::create_dir_all(root.join("DEBIAN")).unwrap();
    std::fs::create_dir_all(root.join("usr/share/java")).unwrap();
    std::fs::write(
        root.join("DEBIAN/control"),
        "Package: libcommons-java\nVersion: 3.12.0-1\nArchitecture: all\nMaintainer: x <x@example.org>\nDescription: commons\n",
    )
    .unwrap();
    std::fs::write(
        root.join("usr/share/java/commons-lang3.jar"),
        jar("org.apache.commons", "commons-lang3", "3.12.0", &[]),
    )
    .unwrap();
    let deb_path = dir.path().join("libcommons-java_3.12.0-1_all.deb");
    let out = std::process::Command::new("dpkg-deb")
        .args(["-Zxz", "--root-owner-group", "--build"])
        .arg(&root)
        .arg(&deb_path)
        .output()
        .expect("dpkg-deb (Debian package `dpkg`) is needed for this test");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cat = catalog(&deb_path, &Limits::default()).unwrap();
    assert_eq!(
        purl_lines(&cat),
        [
            "pkg:deb/debian/libcommons-java@3.12.0-1?arch=all",
            "pkg:maven/org.apache.commons/commons-lang3@3.12.0",
        ]
    );
}

#[test]
fn directory_subject_and_members() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("proj");
    std::fs::create_dir_all(root.join("web")).unwrap();
    std::fs::copy(data("lockfiles/gomod/go.mod"), root.join("go.mod")).unwrap();
    std::fs::copy(
        data("lockfiles/npm-v3/package-lock.json"),
        root.join("web/package-lock.json"),
    )
    .unwrap();
    std::fs::write(root.join("web/app.jar"), jar("g", "a", "1", &[])).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink("/etc/passwd", root.join("web/link")).unwrap();
    let cat = catalog(&root, &Limits::default()).unwrap();
    assert_eq!(cat.subject.kind, SubjectKind::Directory);
    assert_eq!(cat.components.len(), 6 + 7 + 1);
    assert!(cat
        .components
        .iter()
        .any(|c| c.found_in == "proj/web/app.jar!/META-INF/maven/g/a/pom.properties"));
    assert!(cat
        .warnings
        .iter()
        .any(|w| w.contains("proj/web/link: symbolic link; not followed")));
    // The documented directory digest: sha256 over sorted `sha256sum` lines of regular files.
    let mut files = ["go.mod", "web/app.jar", "web/package-lock.json"];
    files.sort();
    let manifest: String = files
        .iter()
        .map(|f| {
            format!(
                "{}  {f}\n",
                sha256_hex(&std::fs::read(root.join(f)).unwrap())
            )
        })
        .collect();
    assert_eq!(cat.subject.sha256, sha256_hex(manifest.as_bytes()));
}

#[test]
fn oci_layout_directory() {
    let dir = tempfile::tempdir().unwrap();
    let img = oci_image();
    let root = dir.path().join("image-oci");
    write_oci_dir(&root, &img);
    let cat = catalog(&root, &Limits::default()).unwrap();
    assert_eq!(
        cat.image_manifest_digest.as_deref(),
        Some(format!("sha256:{}", sha256_hex(&img.manifest)).as_str())
    );
    let mut purls: Vec<String> = cat.components.iter().map(|c| c.purl.clone()).collect();
    purls.sort();
    assert_eq!(purls, image_expected());
    let top = sha256_hex(&img.layers[1]);
    let libc = cat.components.iter().find(|c| c.name == "libc6").unwrap();
    assert_eq!(
        libc.found_in,
        format!("image-oci/blobs/sha256/{top}!/var/lib/dpkg/status")
    );
    assert!(cat.warnings.iter().any(|w| w.contains("later image layer")));
}

#[test]
fn docker_save_tarballs() {
    let dir = tempfile::tempdir().unwrap();
    let img = oci_image();
    let p = dir.path().join("app-image.tar");
    std::fs::write(&p, docker_save_tar(&img)).unwrap();
    let cat = catalog(&p, &Limits::default()).unwrap();
    assert_eq!(
        cat.image_manifest_digest,
        Some(format!("sha256:{}", sha256_hex(&img.manifest)))
    );
    let mut purls: Vec<String> = cat.components.iter().map(|c| c.purl.clone()).collect();
    purls.sort();
    assert_eq!(purls, image_expected());

    // Legacy format: layers found through manifest.json, no registry digest.
    let p = dir.path().join("legacy.tar");
    std::fs::write(&p, legacy_docker_save_tar()).unwrap();
    let cat = catalog(&p, &Limits::default()).unwrap();
    assert_eq!(cat.image_manifest_digest, None);
    let mut purls: Vec<String> = cat.components.iter().map(|c| c.purl.clone()).collect();
    purls.sort();
    assert_eq!(purls, image_expected());
    assert!(cat
        .warnings
        .iter()
        .any(|w| w.contains("manifest digest is unknown")));
    assert!(cat
        .components
        .iter()
        .any(|c| c.found_in == "legacy.tar!/bbb/layer.tar!/var/lib/dpkg/status"));
}

#[test]
fn tampered_oci_blob_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let img = oci_image();
    let root = dir.path().join("img");
    write_oci_dir(&root, &img);
    let layer = root.join("blobs/sha256").join(sha256_hex(&img.layers[0]));
    let mut bytes = std::fs::read(&layer).unwrap();
    let n = bytes.len();
    bytes[n - 9] ^= 0xff; // inside the gzip trailer CRC: content still decodes
    std::fs::write(&layer, bytes).unwrap();
    let err = catalog(&root, &Limits::default()).unwrap_err().to_string();
    assert!(
        err.contains("invalid OCI image") || err.contains("corrupt"),
        "{err}"
    );
}

#[test]
fn output_is_deterministic() {
    let p = data("lockfiles/npm-v2/package-lock.json");
    let a = catalog(&p, &Limits::default()).unwrap();
    let b = catalog(&p, &Limits::default()).unwrap();
    assert_eq!(a, b);
    assert!(Path::new(&p).exists());
}

#[test]
fn source_tarball_with_index_json_is_not_an_image() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("site.tar.gz");
    std::fs::write(
        &p,
        gzip(&tar_files(&[
            ("index.json", br#"{"pages": []}"#),
            ("manifest.json", br#"{"name": "PWA", "icons": []}"#),
            ("package-lock.json", PACKAGE_LOCK.as_bytes()),
        ])),
    )
    .unwrap();
    let cat = catalog(&p, &Limits::default()).unwrap();
    assert_eq!(cat.image_manifest_digest, None);
    assert_eq!(cat.components.len(), 2);
}
