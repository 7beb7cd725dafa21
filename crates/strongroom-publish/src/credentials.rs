//! Registry credentials where the ecosystem keeps them: docker's `config.json`
//! (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`): a credential helper named for
//! the registry (`credHelpers`), else the `auths` entry (`auth`, base64 of `user:password`, or
//! `username` and `password`), else the default helper (`credsStore`), else anonymous. A helper
//! is the program `docker-credential-NAME`, asked with `get` and the registry on its standard
//! input, answering `{"Username", "Secret"}`. The password is handed to the OCI client as it
//! requires (a `String`), and never printed.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use base64::Engine as _;
use oci_client::secrets::RegistryAuth;
use serde_json::Value;

/// Where docker's configuration is.
pub fn config_path() -> Option<PathBuf> {
    match std::env::var_os("DOCKER_CONFIG") {
        Some(dir) => Some(PathBuf::from(dir).join("config.json")),
        None => std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".docker/config.json")),
    }
}

/// Why credentials could not be had.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error("{path}: {why}")]
    Config { path: String, why: String },
    #[error("the credential helper docker-credential-{helper} {why}")]
    Helper { helper: String, why: String },
}

/// The credentials for `registry` (`host[:port]`).
pub fn registry_auth(registry: &str) -> Result<RegistryAuth, CredentialError> {
    let Some(path) = config_path().filter(|p| p.is_file()) else {
        return Ok(RegistryAuth::Anonymous);
    };
    let shown = path.display().to_string();
    let bad = |why: String| CredentialError::Config {
        path: shown.clone(),
        why,
    };
    let text = std::fs::read_to_string(&path).map_err(|e| bad(e.to_string()))?;
    let config: Value = serde_json::from_str(&text).map_err(|e| bad(format!("not JSON: {e}")))?;
    if let Some(helper) = config["credHelpers"][registry].as_str() {
        return helper_get(helper, registry);
    }
    let entry = &config["auths"][registry];
    if let Some(auth) = entry["auth"].as_str().filter(|a| !a.is_empty()) {
        let plain = base64::engine::general_purpose::STANDARD
            .decode(auth)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| {
                bad(format!(
                    "the auth of {registry} is not base64 of user:password"
                ))
            })?;
        let (user, pass) = plain
            .split_once(':')
            .ok_or_else(|| bad(format!("the auth of {registry} is not user:password")))?;
        return Ok(RegistryAuth::Basic(user.to_owned(), pass.to_owned()));
    }
    if let (Some(u), Some(p)) = (entry["username"].as_str(), entry["password"].as_str()) {
        return Ok(RegistryAuth::Basic(u.to_owned(), p.to_owned()));
    }
    if let Some(helper) = config["credsStore"].as_str().filter(|h| !h.is_empty()) {
        return helper_get(helper, registry);
    }
    Ok(RegistryAuth::Anonymous)
}

fn helper_get(helper: &str, registry: &str) -> Result<RegistryAuth, CredentialError> {
    let err = |why: String| CredentialError::Helper {
        helper: helper.to_owned(),
        why,
    };
    let mut child = Command::new(format!("docker-credential-{helper}"))
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| err(format!("could not be run: {e}")))?;
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(registry.as_bytes())
        .map_err(|e| err(format!("could not be asked: {e}")))?;
    let out = child
        .wait_with_output()
        .map_err(|e| err(format!("did not answer: {e}")))?;
    if !out.status.success() {
        return Err(err(format!(
            "has no credentials for {registry}: {}",
            String::from_utf8_lossy(&out.stdout).trim()
        )));
    }
    let v: Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| err(format!("answered something that is not JSON: {e}")))?;
    match (v["Username"].as_str(), v["Secret"].as_str()) {
        // A helper's identity token: docker sends it as a bearer token.
        (Some("<token>"), Some(token)) => Ok(RegistryAuth::Bearer(token.to_owned())),
        (Some(u), Some(s)) => Ok(RegistryAuth::Basic(u.to_owned(), s.to_owned())),
        _ => Err(err("answered without Username and Secret".into())),
    }
}
