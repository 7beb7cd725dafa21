// Development only (never built into dist/): the real UI over mocked IPC with demo data, so the
// screens can be looked at in any browser: `npx vite` then open /dev/preview.html?screen=Keys.
import { mockIPC } from '@tauri-apps/api/mocks';
import { mount } from 'svelte';
import '../src/app.css';
import App from '../src/App.svelte';
import type { BundleReport } from '../src/lib/types';

const flags = { count_low: false, final_try: false, locked: false, to_be_changed: false };
const session = { home: '/var/lib/strongroom', claimed: true, operator: 'alice', roles: ['custodian', 'release-officer', 'approver', 'auditor'] };
const keys = [
  { label: 'alice-release', key_id: 'SHA256:Wq0lT2m9uYhK3s1xq8dJp0f2aQ4=', algorithm: 'ed25519', backend: 'software', status: 'active', created: '2026-01-10T09:00:00Z', uri: null, attributes: {} },
  { label: 'vault-p256', key_id: 'SHA256:9fKx1LmQ2rT0vYb8c7d6e5f4g3h=', algorithm: 'ecdsa-p256', backend: 'pkcs11', status: 'active', created: '2026-02-01T12:00:00Z',
    uri: 'pkcs11:token=vault;object=vault-p256;type=private', attributes: { token: 'vault', id: '01', extractable: false, sensitive: true, never_extractable: true, always_sensitive: true } },
  { label: 'old-2025', key_id: 'SHA256:oldoldoldoldoldoldoldold=', algorithm: 'ecdsa-p384', backend: 'software', status: 'retired', created: '2025-01-01T00:00:00Z', uri: null, attributes: {} },
];
const tokens = [{ module: '/usr/lib/softhsm/libsofthsm2.so', tokens: [{ slot_id: 1, label: 'vault', manufacturer: 'SoftHSM project', model: 'SoftHSM v2', serial: '8f3a', login_required: true,
  user_pin_initialized: true, protected_authentication_path: false, user_pin: { ...flags, count_low: true }, mechanisms: ['ECDSA', 'EDDSA'], algorithms: ['ecdsa-p256', 'ecdsa-p384', 'ed25519'] }], free_slots: [2] }];
const vulndb = { records: 48211, ecosystems: { npm: 20000, PyPI: 12000, 'crates.io': 2000, Go: 14211 }, snapshot: '2026-09-01T00:00:00Z', snapshot_age_days: 82, max_age_days: 30, stale: true, imports: [] };
const chain = { rows: 318, head: 'ab12', checkpoints: 4, last_checkpoint: null, problem: null };
const report: BundleReport = {
  bundle: '/media/usb/widget-1.4.0.strongroom.zip', bundle_sha256: 'd'.repeat(64), manifest_sha256: 'e'.repeat(64),
  release: { name: 'widget', version: '1.4.0', stage: 'production', created: '2026-11-20T10:00:00Z' },
  artifacts: [{ name: 'widget-1.4.0.tar.gz', sha256: 'a'.repeat(64), size: 5_242_880, bytes_checked: true }, { name: 'widget-cli', sha256: 'b'.repeat(64), size: 812_000, bytes_checked: false }],
  signatures: [{ kind: 'release', key_id: keys[0].key_id, key_name: 'alice-release', operator: 'alice', holder: 'alice', signed_at: '2026-11-20T10:00:00Z', status: 'valid, trusted' },
    { kind: 'approval', key_id: keys[1].key_id, key_name: 'bob-approve', operator: 'bob', holder: 'bob', signed_at: '2026-11-20T10:05:00Z', status: 'valid, trusted' }],
  approvals: { distinct_keys: 2, distinct_holders: 2, distinct_approvers: 2, required: 2 },
  checks: [
    { id: 'manifest', outcome: 'pass', detail: 'manifest.json is a valid version-1 manifest', fix: null },
    { id: 'artifact-digest', outcome: 'fail', detail: 'widget-cli: the bytes in the artifacts folder differ from the manifest', fix: null },
    { id: 'revocation', outcome: 'warn', detail: 'old-2025 was revoked after it signed', fix: null },
    { id: 'audit-excerpt', outcome: 'skip', detail: 'no excerpt', fix: null },
  ],
  verdict: 'fail', verified: false, trust_source: 'station trust store',
  trust_package: null,
  checked_by: { operator: 'alice', station: 'st-4c1e9a27' },
  evidence: [
    { artifact: 'widget-1.4.0.tar.gz', sbom: { format: 'spdx-2.3', components: 214 },
      scan: { critical: 0, high: 1, medium: 3, low: 2, unrated: 0, ids: ['GHSA-7fh5-64p2-3v2j', 'CVE-2026-10112', 'CVE-2026-0931'] },
      provenance: { builder_id: 'https://ci.example.com/runners/release@v2' } },
    { artifact: 'widget-cli', sbom: { format: 'cyclonedx-1.6', components: 87 },
      scan: { critical: 0, high: 0, medium: 0, low: 0, unrated: 0, ids: [] },
      provenance: { builder_id: 'https://ci.example.com/runners/release@v2' } },
  ],
  checked_at: '2026-11-22T03:00:00Z', tool: 'strongroom 0.1.0',
};

const data: Record<string, unknown> = {
  session_info: session,
  station_overview: { session, keys: { value: keys, error: null }, tokens: { value: tokens, error: null }, vulndb: { value: vulndb, error: null }, audit: { value: chain, error: null } },
  list_keys: keys,
  list_tokens: tokens,
  export_public_key: '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA3p1Zx8mJ9yQbq1oF8n0u7m5f0A1Vb0sYy2yE0qQ5cZk=\n-----END PUBLIC KEY-----\n',
  verify_bundle: report,
  trust_list: {
    keys: [{ name: 'alice-release', key_id: keys[0].key_id, algorithm: 'ed25519', roles: ['signer'], stages: ['staging', 'production'], not_before: null, not_after: '2027-12-31T23:59:59Z',
      added_at: '2026-01-10T09:05:00Z', added_by: 'alice', state: 'active', revoked_at: null, revocation_reason: null, public_key_pem: '' }],
    revocations: [{ key_id: 'SHA256:mallory=', name: 'mallory', revoked_at: '2026-06-01T00:00:00Z', reason: 'key compromise' }],
    policy_modules: ['sizes.rego'], policy_data: {},
  },
  audit_list: [
    { seq: 1, time: '2026-01-10T09:00:00Z', operator: 'alice', action: 'operator.init', object: 'alice', outcome: 'ok', details: {}, prev_hash: '', hash: '' },
    { seq: 2, time: '2026-01-10T09:01:00Z', operator: 'alice', action: 'key.generate', object: keys[0].key_id, outcome: 'ok', details: {}, prev_hash: '', hash: '' },
    { seq: 3, time: '2026-01-11T08:00:00Z', operator: 'mallory', action: 'login.failed', object: 'mallory', outcome: 'denied', details: {}, prev_hash: '', hash: '' },
  ],
  audit_verify: chain,
  get_settings: { home: '/var/lib/strongroom', modules: ['/usr/lib/softhsm/libsofthsm2.so'], vulndb_max_age_days: 30 },
  list_operators: [{ name: 'alice', roles: session.roles, created_at: '2026-01-10T09:00:00Z', created_by: 'alice', disabled: false },
    { name: 'bob', roles: ['approver'], created_at: '2026-01-12T09:00:00Z', created_by: 'alice', disabled: false }],
};

(globalThis as { window?: unknown }).window ??= globalThis;
mockIPC((cmd) => {
  if (cmd in data) return data[cmd];
  throw { code: 'internal', message: `${cmd} is not mocked in the preview`, remedy: 'this is the development preview', pin: null };
});

const screen = new URLSearchParams(location.search).get('screen') ?? 'Station';
mount(App, { target: document.getElementById('app')!, props: { initial: screen as 'Station' } });
