// The one place that talks to the Rust side: one typed function per Tauri command.
// Every function may reject with an IpcError {code, message, remedy, pin, exists}; use errorText(e) to show it.
// Commands that write a file take `overwrite`: refused with `exists` set, the page asks, then calls again.
import { Channel, invoke as tauriInvoke } from '@tauri-apps/api/core';
import type {
  Approved,
  AuditRow,
  BundleReport,
  CeremonyOutcome,
  CeremonyPlan,
  ChainReport,
  Exported,
  HashedFile,
  ImageForm,
  ImageSummary,
  ImportSummary,
  IpcError,
  KeyInfo,
  KeylessForm,
  KeylessReport,
  ModuleTokens,
  OperatorInfo,
  Overview,
  Progress,
  ReleaseCreated,
  ReleaseForm,
  ReleasePreview,
  Purpose,
  Role,
  Rotated,
  SessionInfo,
  Settings,
  TokenInfo,
  TrustExported,
  TrustImported,
  TrustListing,
  TrustPolicyInfo,
  TrustRootInfo,
  TrustedKeyInfo,
} from '../types';

export type OnProgress = (p: Progress) => void;

/** True when `e` has the shape of the backend's typed error. */
export function isIpcError(e: unknown): e is IpcError {
  return typeof e === 'object' && e !== null && typeof (e as IpcError).message === 'string' && 'code' in e;
}

/** "message — remedy" for an IpcError; a readable string for anything else. */
export function errorText(e: unknown): string {
  if (isIpcError(e)) return e.remedy ? `${e.message} — ${e.remedy}` : e.message;
  if (e instanceof Error) return e.message;
  if (typeof e === 'string') return e;
  try {
    return JSON.stringify(e);
  } catch {
    return String(e);
  }
}

/** Normalises any rejection to an IpcError so the UI can always show message + remedy. */
export function toIpcError(e: unknown): IpcError {
  if (isIpcError(e)) {
    return { code: e.code, message: e.message, remedy: e.remedy ?? null, pin: e.pin ?? null, exists: e.exists ?? null };
  }
  return { code: 'internal', message: errorText(e), remedy: null, pin: null, exists: null };
}

/** The path of an output file the backend would not replace, if that is why `e` refused. */
export function existingOutput(e: unknown): string | null {
  return isIpcError(e) ? (e.exists ?? null) : null;
}

// Refusals that may mean the session changed under the page (the account was disabled, a role taken
// away, the login expired): the shell listens and asks the station for the session again.
const REFUSALS = new Set(['forbidden', 'auth']);
// Calls whose refusal says nothing about the open session.
const NOT_SESSION = new Set(['login', 'claim_station', 'session_info', 'logout']);
type RefusalListener = (cmd: string, e: IpcError) => void;
const refusalListeners = new Set<RefusalListener>();

/** Calls `f` after any command other than login refuses with `forbidden` or `auth`; returns an unsubscribe. */
export function onRefusal(f: RefusalListener): () => void {
  refusalListeners.add(f);
  return () => refusalListeners.delete(f);
}

async function invoke<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await tauriInvoke<T>(cmd, args);
  } catch (e) {
    if (isIpcError(e) && REFUSALS.has(e.code) && !NOT_SESSION.has(cmd)) {
      for (const f of refusalListeners) f(cmd, e);
    }
    throw e;
  }
}

function channel(onProgress?: OnProgress): Channel<Progress> {
  const ch = new Channel<Progress>();
  ch.onmessage = (p) => onProgress?.(p);
  return ch;
}

// --- session ---
export const sessionInfo = () => invoke<SessionInfo>('session_info');
/** Creates the first operator (always a custodian, plus `roles`) and signs them in. */
export const claimStation = (name: string, roles: Role[], passphrase: string) =>
  invoke<SessionInfo>('claim_station', { name, roles, passphrase });
export const login = (name: string, passphrase: string) => invoke<SessionInfo>('login', { name, passphrase });
export const logout = () => invoke<SessionInfo>('logout');

/** The first screen is drawn; returns ms since the process started. */
export const appReady = () => invoke<number>('app_ready');

// --- station ---
export const stationOverview = () => invoke<Overview>('station_overview');

// --- keys ---
export const listKeys = () => invoke<KeyInfo[]>('list_keys');
export const listTokens = () => invoke<ModuleTokens[]>('list_tokens');
export const generateSoftwareKey = (label: string, algorithm: string, purpose: Purpose, passphrase: string) =>
  invoke<KeyInfo>('generate_software_key', { label, algorithm, purpose, passphrase });
/** Generates a key on a token: never extractable, or `backupable` (extractable only wrapped under an SO-trusted key, for `key backup`). */
export const generateTokenKey = (token: string, module: string | null, label: string, algorithm: string, purpose: Purpose, backupable: boolean, pin: string) =>
  invoke<KeyInfo>('generate_token_key', { token, module, label, algorithm, purpose, backupable, pin });
/** Initialises the token of a free slot (`slot` one of `free_slots`; null: the first one): `soPin` its security officer's PIN, `pin` its user PIN. */
export const initToken = (label: string, module: string | null, slot: number | null, soPin: string, pin: string) =>
  invoke<TokenInfo>('init_token', { label, module, slot, soPin, pin });
/** Changes the user PIN of token `token` (its label) from `pin` to `newPin`. */
export const changeTokenPin = (token: string, module: string | null, pin: string, newPin: string) =>
  invoke<null>('change_token_pin', { token, module, pin, newPin });
/** Sets a new user PIN on token `token` with its security officer's PIN: the way out of a locked or forgotten PIN. */
export const unlockToken = (token: string, module: string | null, soPin: string, newPin: string) =>
  invoke<null>('unlock_token', { token, module, soPin, newPin });
export const exportPublicKey = (key: string) => invoke<string>('export_public_key', { key });
export const savePublicKey = (key: string, path: string, overwrite = false) =>
  invoke<string>('save_public_key', { key, path, overwrite });
export const retireKey = (key: string) => invoke<KeyInfo>('retire_key', { key });
export const rotateKey = (
  key: string, newLabel: string, outDir: string, secret: string, newPassphrase: string | null, carryTrust: boolean,
) => invoke<Rotated>('rotate_key', { key, newLabel, outDir, secret, newPassphrase, carryTrust });
export const revokeKey = (key: string, reason: string) => invoke<KeyInfo>('revoke_key', { key, reason });

// --- releases ---
export const hashFiles = (paths: string[], onProgress?: OnProgress) =>
  invoke<HashedFile[]>('hash_files', { paths, onProgress: channel(onProgress) });
/** Reads a container image (an OCI layout directory or an archive, `:TAG` or `@sha256:HEX` picks one) without changing it. */
export const imageInspect = (image: ImageForm) => invoke<ImageSummary>('image_inspect', { image });
export const releasePreview = (req: ReleaseForm, onProgress?: OnProgress) =>
  invoke<ReleasePreview>('release_preview', { req, onProgress: channel(onProgress) });
export const releaseCreate = (req: ReleaseForm, secret: string, onProgress?: OnProgress) =>
  invoke<ReleaseCreated>('release_create', { req, secret, onProgress: channel(onProgress) });
export const releaseApprove = (
  a: { bundle: string; key: string; operator: string; operatorPassphrase: string; secret: string },
  onProgress?: OnProgress,
) => invoke<Approved>('release_approve', { ...a, onProgress: channel(onProgress) });
export const releaseExport = (bundle: string, folder: string, encryptTo: string[], overwrite = false) =>
  invoke<Exported>('release_export', { bundle, folder, encryptTo, overwrite });

// --- verify ---
export const verifyBundle = (
  a: { bundle: string; artifactsDir: string | null; policies: string[]; passphrase?: string | null; identityFile?: string | null },
  onProgress?: OnProgress,
) =>
  invoke<BundleReport>('verify_bundle', {
    ...a,
    passphrase: a.passphrase ?? null,
    identityFile: a.identityFile ?? null,
    onProgress: channel(onProgress),
  });
/** Verifies keyless Sigstore evidence offline; the verdict is in the report (an error only for what could not be read). */
export const verifyKeyless = (form: KeylessForm) => invoke<KeylessReport>('verify_keyless', { form });
export const saveReport = (path: string, format: 'html' | 'json', overwrite = false) =>
  invoke<string>('save_report', { path, format, overwrite });

// --- trust ---
export const trustList = () => invoke<TrustListing>('trust_list');
export const trustImport = (path: string) => invoke<TrustImported>('trust_import', { path });
// --- ceremonies ---
/** The steps of a ceremony script (a full path), with the role and quorum each needs. */
export const ceremonyPlan = (script: string) => invoke<CeremonyPlan>('ceremony_plan', { script });
/** Runs a ceremony: `consent` the other participant's, `passphrase` the custodian keys', `pin`/`soPin` the token's, `newPin` a token it initialises. */
export const runCeremony = (
  script: string,
  output: string,
  consent: Consent,
  passphrase: string | null,
  pin: string | null,
  soPin: string | null,
  newPin: string | null,
) => invoke<CeremonyOutcome>('run_ceremony', { script, output, consent, passphrase, pin, soPin, newPin });

export const trustExport = (key: string, output: string, secret: string, overwrite = false) =>
  invoke<TrustExported>('trust_export', { key, output, secret, overwrite });
/** A second custodian's consent to one act: their name and passphrase (the station's quorum). */
export type Consent = { name: string; passphrase: string } | null;
export const trustAdd = (pemPath: string, name: string, purpose: Purpose, holder: string, stages: string[], consent: Consent = null) =>
  invoke<TrustedKeyInfo>('trust_add', { pemPath, name, purpose, holder, stages, consent });
export const trustPolicyAdd = (path: string, consent: Consent = null) => invoke<TrustPolicyInfo>('trust_policy_add', { path, consent });
export const trustPolicyRemove = (name: string, consent: Consent = null) =>
  invoke<TrustPolicyInfo>('trust_policy_remove', { name, consent });
/** Trusts the Sigstore trusted root in `path` (trusted_root.json or gh's JSON lines) under `name`. */
export const trustRootImport = (path: string, name: string, consent: Consent = null) =>
  invoke<TrustRootInfo>('trust_root_import', { path, name, consent });
export const trustRootRemove = (name: string, consent: Consent = null) =>
  invoke<TrustRootInfo>('trust_root_remove', { name, consent });

// --- audit ---
export const auditList = (action: string | null, since: string | null) =>
  invoke<AuditRow[]>('audit_list', { action, since });
export const auditVerify = () => invoke<ChainReport>('audit_verify');
export const auditExport = (path: string, overwrite = false) => invoke<string>('audit_export', { path, overwrite });

// --- settings ---
export const getSettings = () => invoke<Settings>('get_settings');
export const allowModule = (path: string) => invoke<string[]>('allow_module', { path });
export const disallowModule = (path: string) => invoke<string[]>('disallow_module', { path });
export const setVulndbMaxAge = (days: number) => invoke<Settings>('set_vulndb_max_age', { days });
export const listOperators = () => invoke<OperatorInfo[]>('list_operators');
export const addOperator = (name: string, roles: Role[], passphrase: string, consent: Consent = null) =>
  invoke<OperatorInfo>('add_operator', { name, roles, passphrase, consent });
export const setOperatorDisabled = (name: string, disabled: boolean, consent: Consent = null) =>
  invoke<OperatorInfo>('set_operator_disabled', { name, disabled, consent });
export const importVulndb = (path: string, onProgress?: OnProgress) =>
  invoke<ImportSummary[]>('import_vulndb', { path, onProgress: channel(onProgress) });
