//! Whether a transparency log entry is about this bundle: its canonicalized body (Rekor's
//! `hashedrekord` 0.0.1 and 0.0.2, `dsse` 0.0.1, `intoto` 0.0.2) must name the bundle's
//! signature, its certificate (or key) and the artifact's digest, or the envelope's payload.
//! A log proof of some other entry proves nothing about this signature.

use base64::Engine as _;
use serde_json::Value;
use strongroom_core::dsse::{pae, Envelope};
use strongroom_core::HashAlg;

/// What the bundle signed.
#[derive(Clone, Copy, Debug)]
pub enum Signed<'a> {
    /// A signature over an artifact's digest.
    Message {
        signature: &'a [u8],
        digest_alg: HashAlg,
        digest: &'a [u8],
    },
    /// A DSSE envelope (its first signature is the bundle's).
    Dsse(&'a Envelope),
}

fn b64(s: &str) -> Option<Vec<u8>> {
    let s: String = s.chars().filter(|c| *c != '\n' && *c != '\r').collect();
    base64::engine::general_purpose::STANDARD.decode(s).ok()
}

/// The DER inside a PEM block (certificate or public key).
fn pem_der(pem: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(pem).ok()?;
    let inner: String = text
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .concat();
    b64(&inner)
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn field<'v>(v: &'v Value, path: &[&str]) -> Result<&'v Value, String> {
    let mut cur = v;
    for p in path {
        cur = cur
            .get(p)
            .ok_or_else(|| format!("the entry has no {}", path.join(".")))?;
    }
    Ok(cur)
}

fn text<'v>(v: &'v Value, path: &[&str]) -> Result<&'v str, String> {
    field(v, path)?
        .as_str()
        .ok_or_else(|| format!("the entry's {} is not text", path.join(".")))
}

fn same(what: &str, ok: bool) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(format!("the entry's {what} is not the bundle's"))
    }
}

/// The (algorithm, digest) and signature a hashedrekord entry must carry for `signed`: the
/// artifact's digest, or for an envelope logged as hashedrekord (Rekor v2) the SHA-256 of its
/// pre-authentication encoding.
fn hashed(signed: &Signed<'_>) -> (HashAlg, Vec<u8>, Vec<u8>) {
    match signed {
        Signed::Message {
            signature,
            digest_alg,
            digest,
        } => (*digest_alg, digest.to_vec(), signature.to_vec()),
        Signed::Dsse(env) => (
            HashAlg::Sha256,
            HashAlg::Sha256
                .hash(&pae(&env.payload_type, &env.payload))
                .as_bytes()
                .to_vec(),
            env.signatures
                .first()
                .map(|s| s.sig.clone())
                .unwrap_or_default(),
        ),
    }
}

/// Checks that the entry `body` of `kind`/`version` names `signed` and `verifier` (the DER of
/// the signing certificate, or of the public key for a key-based bundle).
pub fn check_entry_body(
    body: &[u8],
    kind: &str,
    version: &str,
    signed: &Signed<'_>,
    verifier: &[u8],
) -> Result<(), String> {
    let v: Value =
        serde_json::from_slice(body).map_err(|e| format!("the entry body is not JSON: {e}"))?;
    if text(&v, &["kind"])? != kind || text(&v, &["apiVersion"])? != version {
        return Err("the entry body's kind or version is not the one listed".into());
    }
    match (kind, version) {
        ("hashedrekord", "0.0.1") => hashedrekord_v001(&v, signed, verifier),
        ("hashedrekord", "0.0.2") => hashedrekord_v002(&v, signed, verifier),
        ("dsse", "0.0.1") => dsse_v001(&v, signed, verifier),
        ("intoto", "0.0.2") => intoto_v002(&v, signed, verifier),
        _ => Err(format!(
            "log entries of kind {kind} {version} are not supported"
        )),
    }
}

fn hashedrekord_v001(v: &Value, signed: &Signed<'_>, verifier: &[u8]) -> Result<(), String> {
    let (alg, digest, sig) = hashed(signed);
    let spec = field(v, &["spec"])?;
    same(
        "signature",
        b64(text(spec, &["signature", "content"])?).as_deref() == Some(&sig[..]),
    )?;
    let key = b64(text(spec, &["signature", "publicKey", "content"])?).and_then(|p| pem_der(&p));
    same("certificate", key.as_deref() == Some(verifier))?;
    same(
        "artifact digest",
        text(spec, &["data", "hash", "algorithm"])? == alg.intoto_name()
            && text(spec, &["data", "hash", "value"])? == hex_of(&digest),
    )
}

fn hashedrekord_v002(v: &Value, signed: &Signed<'_>, verifier: &[u8]) -> Result<(), String> {
    let (alg, digest, sig) = hashed(signed);
    let spec = field(v, &["spec", "hashedRekordV002"])?;
    same(
        "signature",
        b64(text(spec, &["signature", "content"])?).as_deref() == Some(&sig[..]),
    )?;
    let named = field(
        spec,
        &["signature", "verifier", "x509Certificate", "rawBytes"],
    )
    .or_else(|_| field(spec, &["signature", "verifier", "publicKey", "rawBytes"]))?
    .as_str()
    .and_then(b64);
    same("certificate", named.as_deref() == Some(verifier))?;
    same(
        "artifact digest",
        text(spec, &["data", "algorithm"])? == alg.sigstore_name()
            && b64(text(spec, &["data", "digest"])?).as_deref() == Some(&digest[..]),
    )
}

fn envelope<'a>(signed: &Signed<'a>) -> Result<&'a Envelope, String> {
    match signed {
        Signed::Dsse(env) => Ok(env),
        Signed::Message { .. } => {
            Err("the entry is about an envelope, the bundle signs a message".into())
        }
    }
}

fn dsse_v001(v: &Value, signed: &Signed<'_>, verifier: &[u8]) -> Result<(), String> {
    let env = envelope(signed)?;
    let spec = field(v, &["spec"])?;
    same(
        "payload hash",
        text(spec, &["payloadHash", "algorithm"])? == "sha256"
            && text(spec, &["payloadHash", "value"])?
                == hex_of(HashAlg::Sha256.hash(&env.payload).as_bytes()),
    )?;
    let sigs = field(spec, &["signatures"])?
        .as_array()
        .ok_or("the entry's signatures are not a list")?;
    let ours = env
        .signatures
        .first()
        .map(|s| &s.sig[..])
        .unwrap_or_default();
    same(
        "signature and certificate",
        sigs.iter().any(|s| {
            s["signature"].as_str().and_then(b64).as_deref() == Some(ours)
                && s["verifier"]
                    .as_str()
                    .and_then(b64)
                    .and_then(|p| pem_der(&p))
                    .as_deref()
                    == Some(verifier)
        }),
    )
}

fn intoto_v002(v: &Value, signed: &Signed<'_>, verifier: &[u8]) -> Result<(), String> {
    let env = envelope(signed)?;
    let content = field(v, &["spec", "content"])?;
    let logged = field(content, &["envelope"])?;
    // Rekor's intoto 0.0.2 stores the payload and signatures base64-encoded twice.
    let twice = |s: &str| b64(s).and_then(|once| b64(std::str::from_utf8(&once).ok()?));
    same(
        "payload type",
        text(logged, &["payloadType"])? == env.payload_type,
    )?;
    // The log's canonical form keeps the payload's hash and drops the payload itself.
    if let Some(p) = logged.get("payload") {
        same(
            "payload",
            p.as_str().and_then(twice).as_deref() == Some(&env.payload[..]),
        )?;
    }
    same(
        "payload hash algorithm",
        text(content, &["payloadHash", "algorithm"])? == "sha256",
    )?;
    same(
        "payload hash",
        text(content, &["payloadHash", "value"])?
            == hex_of(HashAlg::Sha256.hash(&env.payload).as_bytes()),
    )?;
    let ours = env
        .signatures
        .first()
        .map(|s| &s.sig[..])
        .unwrap_or_default();
    let sigs = field(logged, &["signatures"])?
        .as_array()
        .ok_or("the entry's signatures are not a list")?;
    same(
        "signature and certificate",
        sigs.iter().any(|s| {
            s["sig"].as_str().and_then(twice).as_deref() == Some(ours)
                && s["publicKey"]
                    .as_str()
                    .and_then(b64)
                    .and_then(|p| pem_der(&p))
                    .as_deref()
                    == Some(verifier)
        }),
    )
}
