//! The audit log's vocabulary: every `action` a row can record, one name each. The store writes
//! them, ops records them, the app filters by them (a TypeScript union, so a name the station
//! never writes does not type-check).

use std::fmt;

/// What an audit row records. Rows are kept as text, so a log written by another version lists
/// whatever it holds; this is what this version writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum AuditEvent {
    #[serde(rename = "access.denied")]
    AccessDenied,
    #[serde(rename = "attest")]
    Attest,
    #[serde(rename = "audit.checkpoint")]
    AuditCheckpoint,
    #[serde(rename = "audit.key")]
    AuditKey,
    #[serde(rename = "bundle.export")]
    BundleExport,
    #[serde(rename = "ceremony.run")]
    CeremonyRun,
    #[serde(rename = "clock.backwards")]
    ClockBackwards,
    #[serde(rename = "key.adopt")]
    KeyAdopt,
    #[serde(rename = "key.backup")]
    KeyBackup,
    #[serde(rename = "key.export")]
    KeyExport,
    #[serde(rename = "key.generate")]
    KeyGenerate,
    #[serde(rename = "key.restore")]
    KeyRestore,
    #[serde(rename = "key.retire")]
    KeyRetire,
    #[serde(rename = "key.revoke")]
    KeyRevoke,
    #[serde(rename = "key.rotate")]
    KeyRotate,
    #[serde(rename = "key.share.handover")]
    KeyShareHandover,
    #[serde(rename = "login.failed")]
    LoginFailed,
    #[serde(rename = "module.allow")]
    ModuleAllow,
    #[serde(rename = "module.remove")]
    ModuleRemove,
    #[serde(rename = "operator.add")]
    OperatorAdd,
    #[serde(rename = "operator.disable")]
    OperatorDisable,
    #[serde(rename = "operator.enable")]
    OperatorEnable,
    #[serde(rename = "operator.grant")]
    OperatorGrant,
    #[serde(rename = "operator.init")]
    OperatorInit,
    #[serde(rename = "operator.passwd")]
    OperatorPasswd,
    #[serde(rename = "operator.revoke")]
    OperatorRevoke,
    #[serde(rename = "policy.decision")]
    PolicyDecision,
    #[serde(rename = "quorum.set")]
    QuorumSet,
    #[serde(rename = "release.approve")]
    ReleaseApprove,
    #[serde(rename = "release.create")]
    ReleaseCreate,
    #[serde(rename = "release.export")]
    ReleaseExport,
    #[serde(rename = "sign")]
    Sign,
    #[serde(rename = "sign.intent")]
    SignIntent,
    #[serde(rename = "token.init")]
    TokenInit,
    #[serde(rename = "token.pin.change")]
    TokenPinChange,
    #[serde(rename = "token.pin.unlock")]
    TokenPinUnlock,
    #[serde(rename = "tsa.init")]
    TsaInit,
    #[serde(rename = "trust.add")]
    TrustAdd,
    #[serde(rename = "trust.countersign")]
    TrustCountersign,
    #[serde(rename = "trust.data.set")]
    TrustDataSet,
    #[serde(rename = "trust.export")]
    TrustExport,
    #[serde(rename = "trust.import")]
    TrustImport,
    #[serde(rename = "trust.policy.add")]
    TrustPolicyAdd,
    #[serde(rename = "trust.policy.remove")]
    TrustPolicyRemove,
    #[serde(rename = "trust.revoke")]
    TrustRevoke,
    #[serde(rename = "trust.root.import")]
    TrustRootImport,
    #[serde(rename = "trust.root.remove")]
    TrustRootRemove,
    #[serde(rename = "verify")]
    Verify,
    #[serde(rename = "vulndb.configure")]
    VulndbConfigure,
    #[serde(rename = "vulndb.import")]
    VulndbImport,
}

impl AuditEvent {
    /// Every event, in the order of their names.
    pub const ALL: [AuditEvent; 50] = [
        AuditEvent::AccessDenied,
        AuditEvent::Attest,
        AuditEvent::AuditCheckpoint,
        AuditEvent::AuditKey,
        AuditEvent::BundleExport,
        AuditEvent::CeremonyRun,
        AuditEvent::ClockBackwards,
        AuditEvent::KeyAdopt,
        AuditEvent::KeyBackup,
        AuditEvent::KeyExport,
        AuditEvent::KeyGenerate,
        AuditEvent::KeyRestore,
        AuditEvent::KeyRetire,
        AuditEvent::KeyRevoke,
        AuditEvent::KeyRotate,
        AuditEvent::KeyShareHandover,
        AuditEvent::LoginFailed,
        AuditEvent::ModuleAllow,
        AuditEvent::ModuleRemove,
        AuditEvent::OperatorAdd,
        AuditEvent::OperatorDisable,
        AuditEvent::OperatorEnable,
        AuditEvent::OperatorGrant,
        AuditEvent::OperatorInit,
        AuditEvent::OperatorPasswd,
        AuditEvent::OperatorRevoke,
        AuditEvent::PolicyDecision,
        AuditEvent::QuorumSet,
        AuditEvent::ReleaseApprove,
        AuditEvent::ReleaseCreate,
        AuditEvent::ReleaseExport,
        AuditEvent::Sign,
        AuditEvent::SignIntent,
        AuditEvent::TokenInit,
        AuditEvent::TokenPinChange,
        AuditEvent::TokenPinUnlock,
        AuditEvent::TrustAdd,
        AuditEvent::TrustCountersign,
        AuditEvent::TrustDataSet,
        AuditEvent::TrustExport,
        AuditEvent::TrustImport,
        AuditEvent::TrustPolicyAdd,
        AuditEvent::TrustPolicyRemove,
        AuditEvent::TrustRevoke,
        AuditEvent::TrustRootImport,
        AuditEvent::TrustRootRemove,
        AuditEvent::TsaInit,
        AuditEvent::Verify,
        AuditEvent::VulndbConfigure,
        AuditEvent::VulndbImport,
    ];

    /// The name a row records.
    pub const fn as_str(self) -> &'static str {
        match self {
            AuditEvent::AccessDenied => "access.denied",
            AuditEvent::Attest => "attest",
            AuditEvent::AuditCheckpoint => "audit.checkpoint",
            AuditEvent::AuditKey => "audit.key",
            AuditEvent::BundleExport => "bundle.export",
            AuditEvent::KeyAdopt => "key.adopt",
            AuditEvent::TsaInit => "tsa.init",
            AuditEvent::CeremonyRun => "ceremony.run",
            AuditEvent::ClockBackwards => "clock.backwards",
            AuditEvent::KeyBackup => "key.backup",
            AuditEvent::KeyRestore => "key.restore",
            AuditEvent::KeyShareHandover => "key.share.handover",
            AuditEvent::KeyExport => "key.export",
            AuditEvent::KeyGenerate => "key.generate",
            AuditEvent::KeyRetire => "key.retire",
            AuditEvent::KeyRevoke => "key.revoke",
            AuditEvent::KeyRotate => "key.rotate",
            AuditEvent::LoginFailed => "login.failed",
            AuditEvent::ModuleAllow => "module.allow",
            AuditEvent::ModuleRemove => "module.remove",
            AuditEvent::OperatorAdd => "operator.add",
            AuditEvent::OperatorDisable => "operator.disable",
            AuditEvent::OperatorEnable => "operator.enable",
            AuditEvent::OperatorGrant => "operator.grant",
            AuditEvent::OperatorInit => "operator.init",
            AuditEvent::OperatorPasswd => "operator.passwd",
            AuditEvent::OperatorRevoke => "operator.revoke",
            AuditEvent::PolicyDecision => "policy.decision",
            AuditEvent::QuorumSet => "quorum.set",
            AuditEvent::ReleaseApprove => "release.approve",
            AuditEvent::ReleaseCreate => "release.create",
            AuditEvent::ReleaseExport => "release.export",
            AuditEvent::Sign => "sign",
            AuditEvent::SignIntent => "sign.intent",
            AuditEvent::TokenInit => "token.init",
            AuditEvent::TokenPinChange => "token.pin.change",
            AuditEvent::TokenPinUnlock => "token.pin.unlock",
            AuditEvent::TrustAdd => "trust.add",
            AuditEvent::TrustCountersign => "trust.countersign",
            AuditEvent::TrustDataSet => "trust.data.set",
            AuditEvent::TrustExport => "trust.export",
            AuditEvent::TrustImport => "trust.import",
            AuditEvent::TrustPolicyAdd => "trust.policy.add",
            AuditEvent::TrustPolicyRemove => "trust.policy.remove",
            AuditEvent::TrustRevoke => "trust.revoke",
            AuditEvent::TrustRootImport => "trust.root.import",
            AuditEvent::TrustRootRemove => "trust.root.remove",
            AuditEvent::Verify => "verify",
            AuditEvent::VulndbConfigure => "vulndb.configure",
            AuditEvent::VulndbImport => "vulndb.import",
        }
    }

    /// The event a name records, if this version writes it.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == name)
    }
}

impl fmt::Display for AuditEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_sorted_and_serialised_as_written() {
        let names: Vec<&str> = AuditEvent::ALL.iter().map(|e| e.as_str()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(names, sorted);
        for e in AuditEvent::ALL {
            assert_eq!(serde_json::to_value(e).unwrap(), e.as_str());
            assert_eq!(AuditEvent::parse(e.as_str()), Some(e));
        }
    }
}
