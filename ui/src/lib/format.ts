// Small display helpers shared by the screens (pure, unit-tested).
import type { ChainProblem, Fix, KeyInfo, PinFlags, Purpose, Severity } from './types';

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

/** One row of a key's attribute table: the readable label and value, and the name the backend used. */
export interface AttributeRow {
  /** The raw path in the attributes object: `token_serial`, `cka.sensitive`. */
  key: string;
  /** The name to show beside the label: the PKCS#11 attribute (`CKA_SENSITIVE`) or the raw key. */
  name: string;
  /** What it means, in words: "Sensitive", "Token serial". */
  label: string;
  /** The value as text: booleans as Yes/No. */
  value: string;
}

/** The backend facts a token key records (`strongroom-ops` `record_token_key`), in the order shown. */
const BACKEND_FACTS: Record<string, string> = {
  token: 'Token',
  token_serial: 'Token serial',
  module: 'PKCS#11 module',
  object: 'Key label on the token',
  id: 'Key ID on the token',
  hardware_bound: 'Hardware-bound (made on the token, never leaves it in the clear)',
  backupable: 'Backup-able (leaves the token only wrapped under an SO-trusted key)',
};

/** PKCS#11 attributes by their name without `CKA_`, lower case (as `strongroom-hsm` `KeyAttributes` sends them). */
const CKA_LABELS: Record<string, string> = {
  local: 'Generated on the token',
  never_extractable: 'Never extractable',
  always_sensitive: 'Always sensitive',
  sensitive: 'Sensitive',
  extractable: 'Extractable',
  private: 'Private (needs a login)',
  modifiable: 'Modifiable',
  token: 'Stored on the token',
  sign: 'Can sign',
  decrypt: 'Can decrypt',
  wrap_with_trusted: 'Wraps only under a trusted key',
  label: 'Label on the token',
  id: 'ID on the token',
};

/** `token_serial` → "Token serial": a readable label for a key nothing here knows. */
function humanize(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_\-.]+/g, ' ')
    .trim()
    .toLowerCase();
  return words ? words[0].toUpperCase() + words.slice(1) : key;
}

/** A PKCS#11 attribute named `key` (`sensitive`, `CKA_SENSITIVE`): its label and `CKA_` name, else null. */
function ckaAttribute(key: string): { label: string; name: string } | null {
  const bare = key.toLowerCase().replace(/^cka_/, '');
  const label = CKA_LABELS[bare];
  return label ? { label, name: `CKA_${bare.toUpperCase()}` } : null;
}

/** An attribute value as text: Yes/No for booleans, lists joined, nothing as "—". */
function attributeValue(v: unknown): string {
  if (v === null || v === undefined || v === '') return '—';
  if (typeof v === 'boolean') return v ? 'Yes' : 'No';
  if (Array.isArray(v)) return v.length ? v.map(attributeValue).join(', ') : '—';
  if (typeof v === 'object' && Object.keys(v).length === 0) return '—';
  return display(v);
}

/** Where a row goes: backend facts first, then the PKCS#11 attributes in `CKA_LABELS` order, then the rest as given. */
function attributeRank(r: AttributeRow): number {
  const parts = r.key.split('.');
  const last = parts[parts.length - 1].toLowerCase().replace(/^cka_/, '');
  const facts = Object.keys(BACKEND_FACTS);
  const ckas = Object.keys(CKA_LABELS);
  if (parts.length === 1 && facts.includes(r.key)) return facts.indexOf(r.key);
  if (r.name.startsWith('CKA_') && ckas.includes(last)) return facts.length + ckas.indexOf(last);
  return facts.length + ckas.length;
}

/**
 * A key's `attributes` (backend facts such as the token, its serial and the key's `CKA_*`
 * protection attributes) as table rows: a readable label per attribute, booleans as Yes/No, nested
 * objects flattened (`cka.sensitive` → "Sensitive", `CKA_SENSITIVE`), and the raw name kept.
 */
export function attributeRows(attributes: unknown): AttributeRow[] {
  if (attributes === null || attributes === undefined) return [];
  if (typeof attributes !== 'object' || Array.isArray(attributes)) {
    return [{ key: 'value', name: 'value', label: 'Value', value: attributeValue(attributes) }];
  }
  const rows: AttributeRow[] = [];
  const walk = (obj: Record<string, unknown>, path: string[], labels: string[], cka: boolean) => {
    for (const [k, v] of Object.entries(obj)) {
      const key = [...path, k].join('.');
      const fact = path.length === 0 ? BACKEND_FACTS[k] : undefined;
      const attr = fact ? null : ckaAttribute(k);
      // a PKCS#11 attribute is known inside the `cka` group, by its `CKA_` name, or at the top
      // level under a name no backend fact uses
      const known = attr && (cka || path.length === 0 || /^cka_/i.test(k)) ? attr : null;
      const label = fact ?? known?.label ?? humanize(k);
      if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0) {
        const group = path.length === 0 && k.toLowerCase() === 'cka';
        // the members of the `cka` group need no prefix: their CKA_ names say where they come from
        walk(v as Record<string, unknown>, [...path, k], group ? labels : [...labels, label], group || cka);
        continue;
      }
      rows.push({ key, name: known?.name ?? key, label: [...labels, label].join(': '), value: attributeValue(v) });
    }
  };
  walk(attributes as Record<string, unknown>, [], [], false);
  return rows
    .map((r, i) => ({ r, i, rank: attributeRank(r) }))
    .sort((a, b) => a.rank - b.rank || a.i - b.i)
    .map(({ r }) => r);
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
/** How a key may leave where it lives, as `strongroom key show` words it (`KeyAttributes::protection`). */
export function keyProtection(key: KeyInfo): string {
  const a = key.attributes;
  if (key.backend === 'software' || !a) return 'age-encrypted file under the station; backup-able';
  if (a.hardware_bound) return 'never extractable';
  if (a.backupable) return 'backup-able (wraps only under an SO-trusted key)';
  if (a.cka.sensitive && !a.cka.extractable) return 'not extractable';
  return 'extractable';
}

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
