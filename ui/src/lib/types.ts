// The shapes the backend sends and receives: re-exported from the ts-rs files that the Rust build
// generates into ../bindings (never edited by hand), plus a few UI-side names and helpers.
export type { ApprovalsLine } from '../bindings/ApprovalsLine';
export type { Approved } from '../bindings/Approved';
export type { ArtifactLine } from '../bindings/ArtifactLine';
export type { AuditRow } from '../bindings/AuditRow';
export type { BundleReport } from '../bindings/BundleReport';
export type { ChainProblem } from '../bindings/ChainProblem';
export type { ChainReport } from '../bindings/ChainReport';
export type { CheckLine } from '../bindings/CheckLine';
export type { Fix } from '../bindings/Fix';
export type { PolicyLine } from '../bindings/PolicyLine';
export type { Exported } from '../bindings/Exported';
export type { Finding } from '../bindings/Finding';
export type { HashedFile } from '../bindings/HashedFile';
export type { ImportSummary } from '../bindings/ImportSummary';
export type { IpcError } from '../bindings/IpcError';
export type { KeyInfo } from '../bindings/KeyInfo';
export type { Level } from '../bindings/Level';
export type { ModuleTokens } from '../bindings/ModuleTokens';
export type { OperatorInfo } from '../bindings/OperatorInfo';
export type { Overview } from '../bindings/Overview';
export type { Part } from '../bindings/Part';
export type { PinFlags } from '../bindings/PinFlags';
export type { PreviewScan } from '../bindings/PreviewScan';
export type { Purpose } from '../bindings/Purpose';
export type { ProgressEvent } from '../bindings/ProgressEvent';
export type { ReleaseCreated } from '../bindings/ReleaseCreated';
export type { ReleaseForm } from '../bindings/ReleaseForm';
export type { ReleasePreview } from '../bindings/ReleasePreview';
export type { Role } from '../bindings/Role';
export type { Rotated } from '../bindings/Rotated';
export type { ScanReport } from '../bindings/ScanReport';
export type { SessionInfo } from '../bindings/SessionInfo';
export type { Settings } from '../bindings/Settings';
export type { Severity } from '../bindings/Severity';
export type { TokenInfo } from '../bindings/TokenInfo';
export type { TrustExported } from '../bindings/TrustExported';
export type { TrustImported } from '../bindings/TrustImported';
export type { TrustListing } from '../bindings/TrustListing';
export type { TrustPolicyInfo } from '../bindings/TrustPolicyInfo';
export type { TrustedKeyInfo } from '../bindings/TrustedKeyInfo';
export type { VulnStatus } from '../bindings/VulnStatus';
export type { SbomForm as SbomChoice } from '../bindings/SbomForm';
export type { ProvenanceForm as ProvenanceChoice } from '../bindings/ProvenanceForm';
export type { JsonValue } from '../bindings/serde_json/JsonValue';

import type { ProgressEvent } from '../bindings/ProgressEvent';

/** Progress as the UI folds it: exactly the events the backend sends. */
export type Progress = ProgressEvent;

export type Stage = 'dev' | 'test' | 'staging' | 'production';
