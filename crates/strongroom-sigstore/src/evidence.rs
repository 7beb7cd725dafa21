//! Every container keyless evidence arrives in, read as it comes: one Sigstore bundle, gh's
//! JSON lines (one bundle per line, as `gh attestation download` writes), a PEP 740 attestation
//! (PyPI's `.publish.attestation`), and PyPI's provenance object that wraps attestations with
//! their Trusted Publisher. Each attestation becomes the v0.3 DSSE bundle it is losslessly (the
//! mapping `pypi-attestations`' `to_bundle()` uses), so one set of checks judges them all.

use serde_json::{json, Value};
use strongroom_core::intoto::CheckedStatement;
use strongroom_core::HashAlg;

use crate::bundle::{BundleError, Content, KeylessBundle, MAX_BUNDLE_BYTES};

/// The container a file turned out to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Container {
    /// One Sigstore bundle (`*.sigstore.json`).
    SigstoreBundle,
    /// Sigstore bundles, one per line (gh's `.jsonl`).
    SigstoreBundleJsonl,
    /// One PEP 740 attestation object.
    Pep740Attestation,
    /// PyPI's provenance object: attestation bundles, each with its publisher.
    Pep740Provenance,
}

impl Container {
    pub fn as_str(self) -> &'static str {
        match self {
            Container::SigstoreBundle => "sigstore-bundle",
            Container::SigstoreBundleJsonl => "sigstore-bundle-jsonl",
            Container::Pep740Attestation => "pep740-attestation",
            Container::Pep740Provenance => "pep740-provenance",
        }
    }
}

/// One bundle found in a container: where it is (`line 2`, `attestation_bundles[0].attestations[1]`)
/// and the bundle, or why it could not be read (the others are still judged).
#[derive(Clone, Debug)]
pub struct Found {
    pub label: String,
    /// What a PEP 740 provenance object says published it (`GitHub trailofbits/x release.yml`).
    pub publisher: Option<String>,
    pub bundle: Result<KeylessBundle, BundleError>,
}

/// Every bundle in `bytes`, and the container they came in. `Err` when the file is none of the
/// containers (or holds no bundle at all).
pub fn read_evidence(bytes: &[u8]) -> Result<(Container, Vec<Found>), BundleError> {
    if bytes.len() > MAX_BUNDLE_BYTES {
        return Err(BundleError::TooLarge);
    }
    let one = |label: &str, v: &Value| Found {
        label: label.to_owned(),
        publisher: None,
        bundle: KeylessBundle::from_value(v),
    };
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v) if v.get("attestation_bundles").is_some() => {
            let groups = v["attestation_bundles"]
                .as_array()
                .ok_or_else(|| BundleError::Field("attestation_bundles is not a list".into()))?;
            let mut found = Vec::new();
            for (i, g) in groups.iter().enumerate() {
                let publisher = publisher(&g["publisher"]);
                for (j, a) in g["attestations"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    found.push(Found {
                        label: format!("attestation_bundles[{i}].attestations[{j}]"),
                        publisher: publisher.clone(),
                        bundle: pep740_bundle(a).and_then(|b| KeylessBundle::from_value(&b)),
                    });
                }
            }
            nonempty(Container::Pep740Provenance, found)
        }
        Ok(v) if v.get("envelope").is_some() && v.get("verification_material").is_some() => {
            let found = Found {
                label: "attestation".into(),
                publisher: None,
                bundle: pep740_bundle(&v).and_then(|b| KeylessBundle::from_value(&b)),
            };
            Ok((Container::Pep740Attestation, vec![found]))
        }
        Ok(v) if v.is_object() => Ok((Container::SigstoreBundle, vec![one("bundle", &v)])),
        Ok(_) => Err(BundleError::Json(
            "the file is JSON but not an object: not a bundle or an attestation".into(),
        )),
        Err(whole) => {
            // gh's JSON lines: one bundle per non-empty line.
            let text = std::str::from_utf8(bytes)
                .map_err(|_| BundleError::Json(format!("{whole} (and it is not UTF-8 text)")))?;
            let lines: Vec<(usize, &str)> = text
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
                .collect();
            if lines.len() < 2 {
                return Err(BundleError::Json(whole.to_string()));
            }
            let found = lines
                .into_iter()
                .map(|(n, l)| match serde_json::from_str::<Value>(l) {
                    Ok(v) => one(&format!("line {}", n + 1), &v),
                    Err(e) => Found {
                        label: format!("line {}", n + 1),
                        publisher: None,
                        bundle: Err(BundleError::Json(e.to_string())),
                    },
                })
                .collect();
            nonempty(Container::SigstoreBundleJsonl, found)
        }
    }
}

fn nonempty(c: Container, found: Vec<Found>) -> Result<(Container, Vec<Found>), BundleError> {
    if found.is_empty() {
        return Err(BundleError::Field("file holds no bundle".into()));
    }
    Ok((c, found))
}

fn publisher(p: &Value) -> Option<String> {
    let kind = p["kind"].as_str()?;
    let parts: Vec<&str> = ["repository", "workflow", "project", "workflow_filepath"]
        .iter()
        .filter_map(|k| p[*k].as_str())
        .collect();
    Some(format!("{kind} {}", parts.join(" ")).trim().to_owned())
}

/// A PEP 740 attestation as the v0.3 bundle it maps to: the certificate, the log entries as
/// they are (already in the bundle's JSON form), and the statement as an in-toto DSSE payload.
fn pep740_bundle(a: &Value) -> Result<Value, BundleError> {
    if a["version"] != json!(1) {
        return Err(BundleError::Field(format!(
            "PEP 740 attestation version is {}, not 1",
            a["version"]
        )));
    }
    let vm = &a["verification_material"];
    let env = &a["envelope"];
    for (v, what) in [
        (&vm["certificate"], "attestation's certificate"),
        (&env["statement"], "attestation's statement"),
        (&env["signature"], "attestation's signature"),
    ] {
        if !v.is_string() {
            return Err(BundleError::Field(format!("{what} is missing")));
        }
    }
    Ok(json!({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {
            "certificate": {"rawBytes": vm["certificate"]},
            "tlogEntries": vm["transparency_entries"],
        },
        "dsseEnvelope": {
            "payload": env["statement"],
            "payloadType": "application/vnd.in-toto+json",
            "signatures": [{"sig": env["signature"]}],
        },
    }))
}

/// The digests of the artifact the bundle's checks need beyond SHA-256: the message digest's
/// algorithm, or those the statement's subjects use (npm's provenance names SHA-512 only).
pub fn digest_algs(bundle: &KeylessBundle) -> Vec<HashAlg> {
    let mut algs = match &bundle.content {
        Content::Message { digest_alg, .. } => vec![*digest_alg],
        Content::Dsse(env) => CheckedStatement::parse(&env.payload)
            .map(|st| {
                st.statement()
                    .subject
                    .iter()
                    .flat_map(|s| s.digest.keys())
                    .filter_map(|k| {
                        [HashAlg::Sha256, HashAlg::Sha384, HashAlg::Sha512]
                            .into_iter()
                            .find(|a| a.intoto_name() == k)
                    })
                    .collect()
            })
            .unwrap_or_default(),
    };
    algs.sort_by_key(|a| a.intoto_name());
    algs.dedup();
    algs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_is_no_container_is_refused() {
        assert!(read_evidence(b"[1,2]").is_err());
        assert!(read_evidence(b"not json").is_err());
        assert!(read_evidence(br#"{"attestation_bundles": []}"#).is_err());
        let (c, found) = read_evidence(b"{\"mediaType\":\"x\"}\n\n{\"a\":1}\n").unwrap();
        assert_eq!(c, Container::SigstoreBundleJsonl);
        assert_eq!(found.len(), 2);
        assert_eq!(found[1].label, "line 3");
        assert!(found.iter().all(|f| f.bundle.is_err()));
    }

    #[test]
    fn a_pep740_attestation_of_another_version_is_named() {
        let a = json!({"version": 2, "verification_material": {}, "envelope": {}});
        let (c, found) = read_evidence(a.to_string().as_bytes()).unwrap();
        assert_eq!(c, Container::Pep740Attestation);
        assert!(found[0]
            .bundle
            .as_ref()
            .unwrap_err()
            .to_string()
            .contains("version is 2"));
    }
}
