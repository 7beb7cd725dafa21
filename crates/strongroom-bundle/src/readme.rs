//! The bundle's README.txt: how to verify the release with the Strongroom CLI, with cosign and
//! with openssl alone. Deterministic: the same manifest and info give the same text, and the
//! README entry itself is ignored, so it can be rendered before it is listed.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use strongroom_core::intoto::ARTIFACT_SIGNATURE_PREDICATE;
use strongroom_core::Algorithm;

use crate::manifest::{EntryRole, Manifest, FORMAT_VERSION, MANIFEST_MEDIA_TYPE};

/// The key that made one signature or attestation entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyNote {
    /// Lowercase hex SHA-256 of the key's DER SPKI (its file is `keys/<key_id_hex>.pem`).
    pub key_id_hex: String,
    pub algorithm: Algorithm,
}

/// What the manifest does not say but the README explains.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReadmeInfo {
    /// For each signature or attestation entry path, the key that signed it.
    pub signed_by: BTreeMap<String, KeyNote>,
    /// The in-toto `predicateType` of the approvals' statements over `manifest.json`.
    pub approval_predicate_type: String,
}

/// How an artifact signature made with `algorithm` is stored: `messageSignature` for ECDSA and
/// RSA, a DSSE statement for Ed25519 (see `docs/formats.md`).
fn is_dsse_artifact_signature(algorithm: Algorithm) -> bool {
    algorithm.prehash().is_none()
}

fn dgst_flag(algorithm: Algorithm) -> &'static str {
    match algorithm {
        Algorithm::EcdsaP384 => "-sha384",
        _ => "-sha256",
    }
}

/// The README.txt text for `manifest` (any `README.txt` entry in it is ignored).
pub fn readme_text(manifest: &Manifest, info: &ReadmeInfo) -> String {
    let r = manifest.release();
    let mut t = String::new();
    let title = format!("Strongroom release bundle: {} {}", r.name(), r.version());
    let _ = writeln!(t, "{title}\n{}\n", "=".repeat(title.chars().count()));
    let _ = writeln!(t, "Release:  {} {}", r.name(), r.version());
    let _ = writeln!(t, "Stage:    {}", r.stage());
    let _ = writeln!(t, "Created:  {}", r.created());
    let _ = writeln!(
        t,
        "Format:   Strongroom bundle format {FORMAT_VERSION} ({MANIFEST_MEDIA_TYPE})\n"
    );
    t.push_str(
        "This zip is a signed release. manifest.json lists every other file in it with its size\n\
         and SHA-256. Officers approve the release by signing manifest.json; their approvals are\n\
         under approvals/ and an audit excerpt may be in audit/excerpt.json. These are the only\n\
         files allowed in the zip without being listed: treat the bundle as altered if it holds\n\
         anything else, or if a listed file is missing or differs.\n\n",
    );

    section(&mut t, "Artifacts");
    for a in manifest.artifacts() {
        let _ = writeln!(t, "  {}", a.name);
        let _ = writeln!(t, "    sha256 {}  {} bytes", a.sha256, a.size);
        if a.included {
            let _ = writeln!(t, "    included as artifacts/{}", a.name);
        } else {
            t.push_str("    not included: check your own copy against the digest above\n");
        }
        if let Some(image) = &a.image {
            let _ = writeln!(
                t,
                "    a container image for {}: its bytes are the image manifest ({}), its\n    blobs are images/{}/blobs/sha256/, its cosign signature images/{}/cosign.*",
                image.reference, image.media_type, a.name, a.name
            );
        }
    }
    t.push('\n');

    let others: Vec<_> = manifest
        .entries()
        .iter()
        .filter(|e| {
            !matches!(
                e.role,
                EntryRole::Readme | EntryRole::Artifact | EntryRole::ImageBlob
            )
        })
        .collect();
    section(&mut t, "Files");
    for e in &others {
        let _ = write!(t, "  {:<18} {}", e.role.as_str(), e.path);
        if let Some(k) = info.signed_by.get(&e.path) {
            let _ = write!(
                t,
                "  (signed by keys/{}.pem, {})",
                k.key_id_hex, k.algorithm
            );
        }
        if let Some(p) = &e.predicate_type {
            let _ = write!(t, "  [{p}]");
        }
        t.push('\n');
    }
    t.push('\n');

    section(&mut t, "1. Verify with Strongroom");
    t.push_str(
        "    strongroom verify BUNDLE.zip --trust TRUST-PACKAGE\n\n\
         It checks every signature and approval, each key's validity at signing time and its\n\
         revocation, the artifacts' digests, that the bundle holds exactly what manifest.json\n\
         lists, the approval threshold and the stage's policy, and prints one line per check.\n",
    );
    if manifest.artifacts().iter().any(|a| !a.included) {
        t.push_str(
            "Some artifacts are not in the bundle: add --artifacts DIR, a directory holding them.\n",
        );
    }
    t.push_str(
        "Add --json for a machine-readable report, --report FILE.html for a printable one.\n\n",
    );

    section(
        &mut t,
        "2. Check the contents against manifest.json (unzip, jq, sha256sum)",
    );
    t.push_str(
        "    unzip -q BUNDLE.zip -d bundle && cd bundle\n\
         \x20   jq -r '.entries[] | \"\\(.sha256)  \\(.path)\"' manifest.json | sha256sum -c -\n\
         \x20   find . -type f | sed 's|^\\./||' | sort > present.txt\n\
         \x20   jq -r '.entries[].path' manifest.json | sort > listed.txt\n\
         \x20   comm -23 present.txt listed.txt | grep -v -E '^(manifest\\.json|present\\.txt|listed\\.txt|audit/excerpt\\.json|approvals/[0-9a-f]{64}\\.(sigstore\\.json|pem))$'\n\n\
         Every sha256sum line must say OK, and the last command must print nothing.\n\n",
    );

    section(
        &mut t,
        "3. Verify the approvals of manifest.json with cosign",
    );
    let _ = write!(
        t,
        "Each approval is approvals/KEYID.sigstore.json, a DSSE attestation whose subject is\n\
         manifest.json, with the approver's public key beside it as approvals/KEYID.pem. First\n\
         check that the key is one you trust (KEYID is the SHA-256 of its DER form):\n\n\
         \x20   openssl pkey -pubin -in approvals/KEYID.pem -outform DER | sha256sum\n\n\
         then, for each approval:\n\n\
         \x20   cosign verify-blob-attestation --key approvals/KEYID.pem \\\n\
         \x20     --bundle approvals/KEYID.sigstore.json --new-bundle-format \\\n\
         \x20     --insecure-ignore-tlog --type {} manifest.json\n\n",
        if info.approval_predicate_type.is_empty() {
            "PREDICATE-TYPE"
        } else {
            &info.approval_predicate_type
        }
    );

    section(&mut t, "4. Verify signatures and attestations with cosign");
    t.push_str(
        "The key of each file is named in the list of files above (keys/KEYID.pem). Use the\n\
         artifact from artifacts/, or your own copy of it.\n\n\
         An artifact signature made with an ECDSA or RSA key (a messageSignature bundle):\n\n\
         \x20   cosign verify-blob --key keys/KEYID.pem \\\n\
         \x20     --bundle signatures/NAME.sigstore.json --new-bundle-format \\\n\
         \x20     --insecure-ignore-tlog artifacts/NAME\n\n",
    );
    let _ = write!(
        t,
        "An artifact signature made with an Ed25519 key is a DSSE attestation:\n\n\
         \x20   cosign verify-blob-attestation --key keys/KEYID.pem \\\n\
         \x20     --bundle signatures/NAME.sigstore.json --new-bundle-format \\\n\
         \x20     --insecure-ignore-tlog --type {ARTIFACT_SIGNATURE_PREDICATE} artifacts/NAME\n\n\
         An attestation (SBOM, provenance, vulnerability scan), with its predicate type from the\n\
         list of files above:\n\n\
         \x20   cosign verify-blob-attestation --key keys/KEYID.pem \\\n\
         \x20     --bundle attestations/NAME.KIND.sigstore.json --new-bundle-format \\\n\
         \x20     --insecure-ignore-tlog --type PREDICATE-TYPE artifacts/NAME\n\n"
    );

    section(&mut t, "5. Verify with openssl alone");
    t.push_str(
        "Set B to the Sigstore bundle, K to its key and A to the file it is about, for example\n\
         B=signatures/NAME.sigstore.json K=keys/KEYID.pem A=artifacts/NAME.\n\n\
         A messageSignature bundle (ECDSA; use -sha384 for a P-384 key). The signature is DER:\n\n\
         \x20   jq -r .messageSignature.signature \"$B\" | base64 -d > sig.der\n\
         \x20   openssl dgst -sha256 -verify \"$K\" -signature sig.der \"$A\"\n\n\
         For an RSA key add -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:auto before\n\
         -verify (without them for a PKCS#1 v1.5 signature).\n\n\
         A DSSE bundle (Ed25519 artifact signatures, attestations, approvals). The signature is\n\
         over the DSSE pre-authentication encoding (PAE) of the payload, not over the file:\n\
         PAE = \"DSSEv1\" SP LEN(type) SP type SP LEN(payload) SP payload, lengths in decimal bytes.\n\n\
         \x20   jq -r .dsseEnvelope.payload \"$B\" | base64 -d > payload.json\n\
         \x20   T=$(jq -r .dsseEnvelope.payloadType \"$B\")\n\
         \x20   { printf 'DSSEv1 %s %s %s ' \"${#T}\" \"$T\" \"$(wc -c < payload.json | tr -d ' ')\"; cat payload.json; } > pae.bin\n\
         \x20   jq -r '.dsseEnvelope.signatures[0].sig' \"$B\" | base64 -d > sig.bin\n\n\
         then with an Ed25519 key:\n\n\
         \x20   openssl pkeyutl -verify -pubin -inkey \"$K\" -rawin -in pae.bin -sigfile sig.bin\n\n\
         or with an ECDSA key:\n\n\
         \x20   openssl dgst -sha256 -verify \"$K\" -signature sig.bin pae.bin\n\n\
         A valid DSSE signature only proves the statement was signed; it must also be about your\n\
         file. Compare the statement's subject digests with the file's SHA-256:\n\n\
         \x20   jq -r '.subject[] | \"\\(.digest.sha256)  \\(.name)\"' payload.json\n\
         \x20   sha256sum \"$A\"\n\n",
    );

    let signed: Vec<_> = others
        .iter()
        .filter_map(|e| info.signed_by.get(&e.path).map(|k| (e, k)))
        .collect();
    if !signed.is_empty() {
        section(&mut t, "How each file is checked with openssl");
        for (e, k) in signed {
            let dsse = match e.role {
                EntryRole::ArtifactSignature => is_dsse_artifact_signature(k.algorithm),
                _ => true,
            };
            let how = match (dsse, k.algorithm) {
                (false, Algorithm::Rsa(_)) => {
                    "messageSignature, openssl dgst -sha256 with PSS".to_owned()
                }
                (false, alg) => format!("messageSignature, openssl dgst {}", dgst_flag(alg)),
                (true, Algorithm::Ed25519) => {
                    "DSSE, openssl pkeyutl -rawin over the PAE".to_owned()
                }
                (true, alg) => format!("DSSE, openssl dgst {} over the PAE", dgst_flag(alg)),
            };
            let _ = writeln!(t, "  {}\n    keys/{}.pem: {how}", e.path, k.key_id_hex);
        }
        t.push('\n');
    }
    t
}

fn section(t: &mut String, title: &str) {
    let _ = writeln!(t, "{title}\n{}", "-".repeat(title.chars().count()));
}
