//! The station's timestamp authority and its clock. `tsa init` makes a CA key and a TSA key on a
//! token and issues their certificates (the TSA's with the timeStamping key usage); from then on
//! the signatures the station makes carry RFC 3161 stamps by that TSA, at the station's clock.
//! The clock is read in one place ([`Station::clock_now`]), and a jump backwards is refused and
//! recorded. The TSA chain goes out as a Sigstore trusted root (`timestampAuthorities`), which a
//! trust store trusts like any other root (`trust root import`), and trust packages carry.

use std::path::PathBuf;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use strongroom_core::bundle::BundleJson;
use strongroom_core::{Algorithm, AuditEvent, Timestamp};
use strongroom_hsm::{HsmSigner, Pkcs11Uri};
use strongroom_sigstore::authority::{self, Authority};
use strongroom_store::fsutil::{write_all_atomic, Overwrite};
use strongroom_store::state::Change;

use crate::operators::Action;
use crate::tokens::TokenTarget;
use crate::{Callbacks, OpsError, Station};

/// Setting key: the station's timestamp authority ([`TsaConfig`]).
pub const TSA_SETTING: &str = "tsa.authority";
/// The file under the data directory holding the latest time the station's clock read.
const CLOCK_FILE: &str = "clock.last";
/// Labels of the TSA's keys on their token.
const CA_LABEL: &str = "strongroom-station-ca";
const TSA_LABEL: &str = "strongroom-station-tsa";

/// What the station records about its timestamp authority.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct TsaConfig {
    /// The TSA key's URI, with `module-path` (never a PIN).
    pub tsa_key: String,
    /// The CA key's URI, with `module-path`.
    pub ca_key: String,
    /// Base64 DER certificates.
    pub tsa_certificate: String,
    pub ca_certificate: String,
    pub not_after: String,
    /// The two keys' Strongroom key ids: no operation signs with them but the TSA.
    #[serde(default)]
    pub key_ids: Vec<String>,
}

/// A request to set up the station's timestamp authority.
#[derive(Clone, Debug)]
pub struct TsaInit {
    pub target: TokenTarget,
    /// Folder for the trusted root and the two certificates.
    pub output: PathBuf,
    /// How long the certificates are valid.
    pub years: u32,
}

/// What `tsa init` made.
#[derive(Clone, Debug, Serialize)]
pub struct TsaInitOutcome {
    pub trusted_root: String,
    pub ca_certificate: String,
    pub tsa_certificate: String,
    pub tsa_key_id: String,
    pub ca_key_id: String,
    pub not_after: String,
}

/// A timestamp authority unlocked for stamping.
pub(crate) struct Stamper {
    signer: HsmSigner,
    certificate: Vec<u8>,
}

impl Stamper {
    /// One stamp (a DER `TimeStampResp`) at `at` over each signature, in one batch.
    pub(crate) fn stamp_signatures(
        &self,
        signatures: &[&[u8]],
        at: Timestamp,
    ) -> Result<Vec<Vec<u8>>, OpsError> {
        Authority::new(&self.signer, self.certificate.clone())
            .and_then(|a| a.stamp_batch(signatures, at))
            .map_err(|e| OpsError::Timestamp(e.to_string()))
    }

    /// [`Stamper::stamp_bundles`] for one bundle.
    pub(crate) fn stamp_one(
        &self,
        station: &Station,
        bundle: BundleJson,
    ) -> Result<BundleJson, OpsError> {
        Ok(self
            .stamp_bundles(station, vec![bundle])?
            .pop()
            .expect("one bundle in, one out"))
    }

    /// Adds a stamp over each bundle's signature, at the station's clock.
    pub(crate) fn stamp_bundles(
        &self,
        station: &Station,
        bundles: Vec<BundleJson>,
    ) -> Result<Vec<BundleJson>, OpsError> {
        let at = station.clock_now()?;
        self.stamp_at(bundles, at)
    }

    /// Adds a stamp at `at` (a time the station's clock read) over each bundle's signature.
    pub(crate) fn stamp_at(
        &self,
        bundles: Vec<BundleJson>,
        at: Timestamp,
    ) -> Result<Vec<BundleJson>, OpsError> {
        let sigs: Vec<Vec<u8>> = bundles
            .iter()
            .map(|b| b.signature_bytes().unwrap_or_default())
            .collect();
        let refs: Vec<&[u8]> = sigs.iter().map(Vec::as_slice).collect();
        let stamps = self.stamp_signatures(&refs, at)?;
        Ok(bundles
            .into_iter()
            .zip(stamps)
            .map(|(b, s)| b.with_rfc3161_timestamps(&[s]))
            .collect())
    }
}

fn pem(label: &str, der: &[u8]) -> String {
    let b = B64.encode(der);
    let lines: Vec<&str> = b
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).expect("base64 is ASCII"))
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

/// The timestamp authorities of every trusted root the trust store holds (the station's own,
/// and any other root's).
pub(crate) fn trusted_authorities(
    trust: &strongroom_policy::TrustSet,
) -> Vec<strongroom_sigstore::CertificateAuthority> {
    trust
        .roots()
        .iter()
        .filter_map(|r| strongroom_sigstore::TrustedRoot::from_bytes(r.json.as_bytes()).ok())
        .flat_map(|r| r.timestamp_authorities)
        .collect()
}

/// What a signature's timestamps say, checked against `authorities`.
pub(crate) enum StampCheck {
    /// It carries none.
    None,
    /// The earliest time a trusted authority vouches for.
    Valid(strongroom_sigstore::tsa::VerifiedTimestamp),
    /// It carries some, and none counts: why.
    Invalid(String),
}

pub(crate) fn check_stamps(
    doc: &strongroom_core::bundle::CheckedDocument,
    authorities: &[strongroom_sigstore::CertificateAuthority],
) -> StampCheck {
    if doc.rfc3161_timestamps.is_empty() {
        return StampCheck::None;
    }
    let Some(sig) = doc.signature_bytes() else {
        return StampCheck::Invalid("the document has no signature to stamp".into());
    };
    let mut why = Vec::new();
    let mut best: Option<strongroom_sigstore::tsa::VerifiedTimestamp> = None;
    for der in &doc.rfc3161_timestamps {
        match strongroom_sigstore::tsa::verify_timestamp(der, sig, authorities) {
            Ok(v) => {
                if best.as_ref().is_none_or(|b| v.time < b.time) {
                    best = Some(v);
                }
            }
            Err(e) => why.push(e.to_string()),
        }
    }
    match best {
        Some(v) if why.is_empty() => StampCheck::Valid(v),
        _ => StampCheck::Invalid(why.join("; ")),
    }
}

impl Station {
    /// The station's time: the system clock, refused when it reads earlier than a time this
    /// station read before or recorded in its audit log (the refusal is an audit row). The
    /// floor is the later of the clock file and the newest audit row, so deleting the file
    /// does not lower it.
    pub fn clock_now(&self) -> Result<Timestamp, OpsError> {
        let now = Timestamp::now().whole_seconds();
        let path = self.home().join(CLOCK_FILE);
        let from_file = std::fs::read_to_string(&path)
            .ok()
            .and_then(|s| Timestamp::parse(s.trim()).ok());
        let from_log = self
            .store
            .latest_audit_time()?
            .and_then(|t| Timestamp::parse(&t).ok())
            .map(|t| t.whole_seconds());
        let last = from_file.max(from_log);
        if let Some(last) = last {
            if now < last {
                let _ = self.record(
                    AuditEvent::ClockBackwards,
                    "clock",
                    crate::AuditOutcome::Failed,
                    serde_json::json!({"now": now.to_rfc3339(), "last": last.to_rfc3339()}),
                );
                return Err(OpsError::ClockBackwards {
                    now: now.to_rfc3339(),
                    last: last.to_rfc3339(),
                });
            }
            if now == last {
                return Ok(now);
            }
        }
        strongroom_store::fsutil::write_atomic(&path, Overwrite::Allow, |f| {
            std::io::Write::write_all(f, now.to_rfc3339().as_bytes())
        })?;
        Ok(now)
    }

    /// The station's timestamp authority, if it has one.
    pub(crate) fn tsa_config(&self) -> Result<Option<TsaConfig>, OpsError> {
        Ok(self.store.setting(TSA_SETTING)?)
    }

    /// The station's timestamp authority, if it has one (anyone who may list tokens).
    pub fn tsa_show(&self) -> Result<Option<TsaConfig>, OpsError> {
        self.require(Action::TokenList)?;
        self.tsa_config()
    }

    /// Makes the station's timestamp authority on a token: a CA key and a TSA key (P-256, never
    /// extractable), the CA's self-signed certificate and the TSA certificate it issues, valid
    /// for `years`. Writes `station-tsa.trusted_root.json`, `station-ca.pem` and
    /// `station-tsa.pem` to the output folder.
    pub fn tsa_init(&self, req: &TsaInit, cb: &dyn Callbacks) -> Result<TsaInitOutcome, OpsError> {
        self.require(Action::TsaInit)?;
        if let Some(c) = self.tsa_config()? {
            return Err(OpsError::BadInput(format!(
                "this station already has a timestamp authority (key {}); it is made once",
                c.tsa_key
            )));
        }
        if !(1..=30).contains(&req.years) {
            return Err(OpsError::BadInput(
                "give the certificates' lifetime in years, 1 to 30".into(),
            ));
        }
        self.output_dir(&req.output)?;
        if !req.output.is_dir() {
            return Err(OpsError::NotADirectory(req.output.clone()));
        }
        let root_path = req.output.join("station-tsa.trusted_root.json");
        let ca_path = req.output.join("station-ca.pem");
        let tsa_path = req.output.join("station-tsa.pem");
        for p in [&root_path, &ca_path, &tsa_path] {
            if p.symlink_metadata().is_ok() {
                return Err(OpsError::OutputExists(p.clone()));
            }
        }
        // Recording the TSA needs the quorum: asked before any key is made on the token.
        self.precheck_consent(AuditEvent::TsaInit, true)?;
        let now = self.clock_now()?;
        let not_after = Timestamp::from_unix_seconds(
            now.unix_seconds() + i64::from(req.years) * 365 * 24 * 3600,
        )
        .ok_or_else(|| OpsError::BadInput("the lifetime is out of range".into()))?;
        let session = self.open_token(&req.target, None, cb)?;
        let ca_key = session.generate_key(Algorithm::EcdsaP256, CA_LABEL)?;
        let tsa_key = session.generate_key(Algorithm::EcdsaP256, TSA_LABEL)?;
        let module = session.module_path().to_owned();
        let ca = HsmSigner::new(session.clone(), ca_key.clone());
        let station = self
            .store
            .setting::<String>(strongroom_store::settings::STATION_ID)?
            .unwrap_or_default();
        let short: String = station
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(12)
            .collect();
        let ca_der = authority::self_signed_ca(
            &ca,
            &format!("CN=Strongroom station CA {short},O=Strongroom"),
            now,
            not_after,
        )
        .map_err(|e| OpsError::Timestamp(e.to_string()))?;
        let tsa_der = authority::tsa_certificate(
            &ca,
            &ca_der,
            &tsa_key.public_key,
            &format!("CN=Strongroom station TSA {short},O=Strongroom"),
            now,
            not_after,
        )
        .map_err(|e| OpsError::Timestamp(e.to_string()))?;
        let root = authority::trusted_root_json(
            &[tsa_der.clone(), ca_der.clone()],
            "Strongroom",
            &format!("Strongroom station TSA {short}"),
            &format!("urn:strongroom:station:{station}:tsa"),
            now,
        );
        write_all_atomic(
            &[
                (root_path.clone(), root.into_bytes()),
                (ca_path.clone(), pem("CERTIFICATE", &ca_der).into_bytes()),
                (tsa_path.clone(), pem("CERTIFICATE", &tsa_der).into_bytes()),
            ],
            Overwrite::Refuse,
        )?;
        let with_module = |uri: &str| {
            format!(
                "{uri}?module-path={}",
                crate::tokens::percent_encode_path(&module)
            )
        };
        let config = TsaConfig {
            tsa_key: with_module(&tsa_key.uri),
            ca_key: with_module(&ca_key.uri),
            tsa_certificate: B64.encode(&tsa_der),
            ca_certificate: B64.encode(&ca_der),
            not_after: not_after.to_rfc3339(),
            key_ids: vec![
                tsa_key.public_key.key_id().to_string(),
                ca_key.public_key.key_id().to_string(),
            ],
        };
        let recorded = self.act(
            AuditEvent::TsaInit,
            tsa_key.public_key.key_id().as_str(),
            vec![Change::Setting {
                key: TSA_SETTING.to_owned(),
                value: Some(serde_json::to_value(&config).expect("plain data serialises")),
            }],
            serde_json::json!({"token": tsa_key.token_label, "token_serial": tsa_key.token_serial,
                "tsa_key": tsa_key.public_key.key_id().as_str(),
                "ca_key": ca_key.public_key.key_id().as_str(), "not_after": config.not_after,
                "trusted_root": root_path.display().to_string()}),
        );
        if let Err(e) = recorded {
            for p in [&root_path, &ca_path, &tsa_path] {
                let _ = std::fs::remove_file(p);
            }
            return Err(e);
        }
        Ok(TsaInitOutcome {
            trusted_root: root_path.display().to_string(),
            ca_certificate: ca_path.display().to_string(),
            tsa_certificate: tsa_path.display().to_string(),
            tsa_key_id: tsa_key.public_key.key_id().to_string(),
            ca_key_id: ca_key.public_key.key_id().to_string(),
            not_after: config.not_after,
        })
    }

    /// The station's timestamp authority unlocked (its token's PIN through `cb`), or `None`
    /// when the station has none.
    pub(crate) fn stamper(&self, cb: &dyn Callbacks) -> Result<Option<Stamper>, OpsError> {
        let Some(config) = self.tsa_config()? else {
            return Ok(None);
        };
        self.clock_now()?;
        let uri =
            Pkcs11Uri::parse(&config.tsa_key, false).map_err(strongroom_hsm::HsmError::from)?;
        let signer = self.unlock_uri(&uri, cb)?;
        let certificate = B64
            .decode(&config.tsa_certificate)
            .map_err(|e| OpsError::Timestamp(format!("the recorded TSA certificate: {e}")))?;
        Ok(Some(Stamper {
            signer,
            certificate,
        }))
    }
}
