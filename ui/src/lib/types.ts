// The shapes the backend sends and receives: re-exported from the ts-rs files that the Rust build
// generates into ../bindings (never edited by hand), plus a few UI-side names and helpers.
export type { ApprovalsLine } from '../bindings/ApprovalsLine';
export type { Approved } from '../bindings/Approved';
export type { ArtifactLine } from '../bindings/ArtifactLine';
export type { AuditRow } from '../bindings/AuditRow';
export type { BundleReport } from '../bindings/BundleReport';
export type { CeremonyOutcome } from '../bindings/CeremonyOutcome';
export type { CeremonyPlan } from '../bindings/CeremonyPlan';
export type { ChainProblem } from '../bindings/ChainProblem';
export type { ChainReport } from '../bindings/ChainReport';
export type { CheckLine } from '../bindings/CheckLine';
export type { CheckedBy } from '../bindings/CheckedBy';
export type { EvidenceLine } from '../bindings/EvidenceLine';
export type { Fix } from '../bindings/Fix';
export type { PolicyLine } from '../bindings/PolicyLine';
export type { Exported } from '../bindings/Exported';
export type { Finding } from '../bindings/Finding';
export type { HashedFile } from '../bindings/HashedFile';
export type { ImageForm } from '../bindings/ImageForm';
export type { ImageSummary } from '../bindings/ImageSummary';
export type { ImportSummary } from '../bindings/ImportSummary';
export type { IpcError } from '../bindings/IpcError';
export type { KeyInfo } from '../bindings/KeyInfo';
export type { KeylessItem } from '../bindings/KeylessItem';
export type { KeylessLine } from '../bindings/KeylessLine';
export type { KeylessReport } from '../bindings/KeylessReport';
export type { Level } from '../bindings/Level';
export type { ModuleTokens } from '../bindings/ModuleTokens';
export type { OperatorInfo } from '../bindings/OperatorInfo';
export type { Overview } from '../bindings/Overview';
export type { Part } from '../bindings/Part';
export type { PinFlags } from '../bindings/PinFlags';
export type { PreviewScan } from '../bindings/PreviewScan';
export type { PublishArtifact } from '../bindings/PublishArtifact';
export type { PublishPreview } from '../bindings/PublishPreview';
export type { Purpose } from '../bindings/Purpose';
export type { ProgressEvent } from '../bindings/ProgressEvent';
export type { ReleaseCreated } from '../bindings/ReleaseCreated';
export type { ReleaseForm } from '../bindings/ReleaseForm';
export type { ReleasePreview } from '../bindings/ReleasePreview';
export type { Role } from '../bindings/Role';
export type { RootPart } from '../bindings/RootPart';
export type { Rotated } from '../bindings/Rotated';
export type { ScanReport } from '../bindings/ScanReport';
export type { SessionInfo } from '../bindings/SessionInfo';
export type { Settings } from '../bindings/Settings';
export type { BuildInfo } from '../bindings/BuildInfo';
export type { Severity } from '../bindings/Severity';
export type { Signer } from '../bindings/Signer';
export type { Thresholds } from '../bindings/Thresholds';
export type { TokenInfo } from '../bindings/TokenInfo';
export type { TrustExported } from '../bindings/TrustExported';
export type { TrustImported } from '../bindings/TrustImported';
export type { TrustListing } from '../bindings/TrustListing';
export type { TrustPackageLine } from '../bindings/TrustPackageLine';
export type { TrustPolicyInfo } from '../bindings/TrustPolicyInfo';
export type { TrustRootInfo } from '../bindings/TrustRootInfo';
export type { TrustedKeyInfo } from '../bindings/TrustedKeyInfo';
export type { VulnStatus } from '../bindings/VulnStatus';
export type { SbomForm as SbomChoice } from '../bindings/SbomForm';
export type { ProvenanceForm as ProvenanceChoice } from '../bindings/ProvenanceForm';
export type { JsonValue } from '../bindings/serde_json/JsonValue';
export type { Action } from '../bindings/Action';
export type { ArtifactForm } from '../bindings/ArtifactForm';
export type { AuditEvent } from '../bindings/AuditEvent';
export type { Backend } from '../bindings/Backend';
export type { CheckId } from '../bindings/CheckId';
export type { ErrorKind } from '../bindings/ErrorKind';
export type { KeyStatus } from '../bindings/KeyStatus';
export type { Outcome } from '../bindings/Outcome';
export type { SbomFormat } from '../bindings/SbomFormat';
export type { SbomSource } from '../bindings/SbomSource';
export type { SignatureKind } from '../bindings/SignatureKind';
export type { Stage } from '../bindings/Stage';
export type { TrustState } from '../bindings/TrustState';

import type { ProgressEvent } from '../bindings/ProgressEvent';

/** Progress as the UI folds it: exactly the events the backend sends. */
export type Progress = ProgressEvent;

/**
 * What the Verify screen's keyless form sends as `verify_keyless`'s `form` (the Rust struct
 * `KeylessForm` in src-tauri, which has no generated binding and no renaming: snake_case keys).
 * `trusted_root` is a full path (starting with "/") or the name of a root in the trust store;
 * `artifact` a full path or `sha256:` and 64 hex digits; an optional claim is null when not asked.
 */
export type KeylessForm = {
  bundle: string;
  trusted_root: string;
  artifact: string;
  identity: string;
  identity_regexp: boolean;
  issuer: string;
  issuer_regexp: boolean;
  repository: string | null;
  git_ref: string | null;
  workflow: string | null;
};
