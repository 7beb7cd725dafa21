// Small display helpers shared by the screens (pure, unit-tested).
import type { ChainProblem, Fix, PinFlags, Purpose, Severity } from './types';

export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '?';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

/** The first 16 hex digits of a digest, for tables; the full value goes in a title attribute. */
export function shortHash(h: string | null | undefined, n = 16): string {
  if (!h) return '';
  return h.length > n ? `${h.slice(0, n)}…` : h;
}

/** What the token says about the PIN, in words (never by colour alone). */
export function pinPhrase(pin: PinFlags): string {
  if (pin.locked) return 'the PIN is locked';
  if (pin.final_try) return 'one try left before the PIN locks';
  if (pin.count_low) return 'the token reports few tries left';
  return 'the token does not report how many tries are left';
}

/** A token's PIN state for the overview cards. */
export function pinState(pin: PinFlags): string {
  if (pin.locked) return 'PIN locked';
  if (pin.final_try) return 'one try left';
  if (pin.count_low) return 'few tries left';
  if (pin.to_be_changed) return 'PIN must be changed';
  return 'PIN OK';
}

/** Any JSON value as short readable text (severity may be a string or an object). */
export function display(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}

/** Flattens a JSON object into [key, text] pairs for a definition list. */
export function entries(v: unknown): [string, string][] {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    return Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, display(x)]);
  }
  if (v === null || v === undefined) return [];
  return [['value', display(v)]];
}

export function countBy<T>(xs: T[], f: (x: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[f(x)] = (out[f(x)] ?? 0) + 1;
  return out;
}

/** The audit chain's first problem, in words. */
export function chainProblem(p: ChainProblem | null | undefined): string {
  if (!p) return '';
  if ('Edited' in p) return `row ${p.Edited.seq} was changed after it was written`;
  if ('Missing' in p) return `row ${p.Missing.expected_seq} is missing (found row ${p.Missing.found_seq})`;
  if ('BrokenLink' in p) return `row ${p.BrokenLink.seq} does not link to the row before it`;
  if ('Unreadable' in p) return `row ${p.Unreadable.seq} is unreadable: ${p.Unreadable.reason}`;
  if ('Checkpoint' in p) return `checkpoint ${p.Checkpoint.id} (at ${p.Checkpoint.rows} rows): ${p.Checkpoint.reason}`;
  if ('NoCheckpoint' in p) return `no checkpoint signed by the audit key ${p.NoCheckpoint.key_id}`;
  return display(p);
}

/** A finding's severity: level, and the CVSS score when there is one. */
export function severityText(s: Severity | null | undefined): string {
  if (!s) return 'unknown';
  return s.cvss_score !== null && s.cvss_score !== undefined ? `${s.level} (${s.cvss_score.toFixed(1)})` : s.level;
}

/** What a secret dialog asks for to unlock `label`: the token PIN or the key's passphrase. */
export function unlockLabel(backend: string | null | undefined, label: string): string {
  return backend === 'pkcs11' ? `Token PIN for key ${label}` : `Passphrase for key ${label}`;
}

/** Every key purpose, in the order the forms offer them. */
export const PURPOSES: Purpose[] = ['signer', 'approver', 'custodian', 'audit'];

/** What a key of each purpose signs (its only kind of signature). */
export const PURPOSE_SIGNS: Record<Purpose, string> = {
  signer: 'releases, artifacts and attestations',
  approver: 'release approvals',
  custodian: 'trust packages',
  audit: 'audit checkpoints',
};

/** What to do about a fix a policy rule or a check names, in the app's own words (the CLI words
 * the same fixes as flags: `strongroom_ops::cli_hint`). */
export function fixHint(fix: Fix | null | undefined): string | null {
  switch (fix) {
    case 'sbom':
      return 'choose Generate or give the SBOM file in the SBOM step';
    case 'scan':
      return 'turn scanning on in the Scan step (import OSV data under Settings first)';
    case 'provenance':
      return 'give the build metadata in the Provenance step';
    case 'approvals':
      return 'collect approvals in the Approvals step, after signing';
    case 'artifacts':
      return 'choose the Artifacts folder to check their bytes too';
    default:
      return null;
  }
}

/** A finding or check, followed by what to do about it when it names a fix. */
export function withFix(text: string, fix?: Fix | null): string {
  const hint = fixHint(fix);
  return hint ? `${text} — ${hint}` : text;
}
