import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { simulateDrop } from '../lib/platform';
import { existsError, ipcError, lastCall, mockBackend, pending, sendProgress } from '../test/ipc';
import type { BundleReport, KeylessLine, KeylessReport, Signer } from '../lib/types';
import Verify from './Verify.svelte';

const report = (over: Partial<BundleReport> = {}): BundleReport => ({
  bundle: '/in/app-1.2.0.zip',
  bundle_sha256: 'b'.repeat(64),
  manifest_sha256: 'm'.repeat(64),
  release: { name: 'app', version: '1.2.0', stage: 'production', created: '2025-03-01T10:00:00Z' },
  artifacts: [{ name: 'app.tar.gz', sha256: 'a'.repeat(64), size: 2048, bytes_checked: true }],
  signatures: [{ kind: 'release', key_id: 'SHA256:k1', key_name: 'release-2025', operator: 'alice', holder: 'alice', signed_at: '2025-03-01T10:00:00Z', status: 'valid' }],
  approvals: { distinct_keys: 2, distinct_holders: 2, distinct_approvers: 2, required: 2 },
  checks: [
    { id: 'signature', outcome: 'pass', detail: 'signed by release-2025', fix: null },
    { id: 'key-validity', outcome: 'warn', detail: 'key revoked after signing', fix: null },
  ],
  verdict: 'warn',
  verified: true,
  trust_source: 'station trust set',
  trust_package: null,
  checked_by: { operator: 'alice', station: 'st-7f3a9c' },
  evidence: [
    {
      artifact: 'app.tar.gz',
      sbom: { format: 'spdx-2.3', components: 142 },
      scan: { critical: 0, high: 1, medium: 2, low: 0, unrated: 0, ids: ['GHSA-xxxx-yyyy-zzzz'] },
      provenance: { builder_id: 'https://ci.example.com/builders/release' },
    },
  ],
  checked_at: '2025-03-02T00:00:00Z',
  tool: 'strongroom 0.1.0',
  ...over,
});

const trustPackage = {
  path: '/media/usb/trust-2025-03.json',
  sha256: 't'.repeat(64),
  issuer: 'carol',
  issued_at: '2025-02-28T09:00:00Z',
  signers: ['carol', 'dave'],
  signer_key_ids: ['SHA256:carolkey', 'SHA256:davekey'],
  anchored: true,
};

async function verified(r: BundleReport) {
  mockBackend({ verify_bundle: r });
  render(Verify);
  await fill();
  await fireEvent.click(screen.getByTestId('verify-button'));
  await waitFor(() => expect(screen.getByTestId('verify-verdict')).toBeTruthy());
}

async function fill(bundle = '/in/app-1.2.0.zip') {
  await fireEvent.input(screen.getByTestId('verify-bundle'), { target: { value: bundle } });
}

describe('Verify screen', () => {
  it('empty: asks for a bundle before calling the backend', async () => {
    const calls = mockBackend({});
    render(Verify);
    await fireEvent.click(screen.getByTestId('verify-button'));
    expect(screen.getByRole('alert').textContent).toContain('Choose the bundle to verify');
    expect(calls.length).toBe(0);
  });

  it('loading: busy button and progress while verifying', async () => {
    mockBackend({
      verify_bundle: (p: Record<string, unknown>) => {
        sendProgress(p, [{ kind: 'hash_start', files: 1, total_bytes: 100 }]);
        return pending();
      },
    });
    render(Verify);
    await fill();
    await fireEvent.click(screen.getByTestId('verify-button'));
    await waitFor(() => expect(screen.getByTestId('verify-progress').textContent).toContain('Hashed 0 B of 100 B'));
    expect(screen.getByTestId('verify-button').textContent).toContain('Verifying');
    expect((screen.getByTestId('verify-button') as HTMLButtonElement).disabled).toBe(true);
  });

  it('error: message and remedy', async () => {
    mockBackend({ verify_bundle: () => { throw ipcError('usage', 'not a Strongroom bundle', 'choose the .zip written by release create'); } });
    render(Verify);
    await fill('/in/readme.txt');
    await fireEvent.click(screen.getByTestId('verify-button'));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('choose the .zip written by release create'));
    expect(screen.queryByTestId('verify-verdict')).toBeNull();
  });

  it('success: verdict, checks with words, signatures, artifacts, approvals; save HTML and JSON', async () => {
    const calls = mockBackend({ verify_bundle: report(), save_report: (p: Record<string, unknown>) => p.path });
    render(Verify);
    await fill();
    await fireEvent.input(screen.getByTestId('verify-artifacts'), { target: { value: '/in/dist' } });
    await fireEvent.click(screen.getByTestId('verify-button'));
    await waitFor(() => expect(screen.getByTestId('verify-verdict').textContent).toContain('VERIFIED'));
    expect(screen.getByTestId('verify-verdict').textContent).not.toContain('NOT VERIFIED');
    expect(screen.getByTestId('verify-verdict').textContent).toContain('VERIFIED WITH WARNINGS');
    expect(screen.getByTestId('verify-verdict').textContent).toContain('1 warning');
    expect(screen.getByTestId('check-key-validity').textContent).toContain('WARN');
    expect(screen.getByTestId('check-signature').textContent).toContain('PASS');
    expect(screen.getByTestId('verify-signatures').textContent).toContain('release-2025');
    expect(screen.getByTestId('verify-artifacts-table').textContent).toContain('app.tar.gz');
    expect(screen.getByTestId('verify-approvals').textContent).toContain('2 of 2 approvals');
    expect(lastCall(calls, 'verify_bundle').payload).toMatchObject({ bundle: '/in/app-1.2.0.zip', artifactsDir: '/in/dist', policies: [], passphrase: null });

    await fireEvent.input(screen.getByTestId('report-path'), { target: { value: '/out/report.html' } });
    await fireEvent.click(screen.getByTestId('save-html'));
    await waitFor(() => expect(screen.getByTestId('report-saved').textContent).toContain('/out/report.html'));
    expect(lastCall(calls, 'save_report').payload).toEqual({ path: '/out/report.html', format: 'html', overwrite: false });
    await fireEvent.input(screen.getByTestId('report-path'), { target: { value: '/out/report.json' } });
    await fireEvent.click(screen.getByTestId('save-json'));
    await waitFor(() => expect(lastCall(calls, 'save_report').payload).toEqual({ path: '/out/report.json', format: 'json', overwrite: false }));
  });

  it('shows a failed check with its reason', async () => {
    mockBackend({
      verify_bundle: report({
        verified: false,
        verdict: 'fail',
        checks: [
          { id: 'artifact-digest', outcome: 'fail', detail: 'app.tar.gz: sha256 differs from the manifest', fix: null },
          { id: 'signature', outcome: 'pass', detail: 'ok', fix: null },
        ],
        artifacts: [{ name: 'app.tar.gz', sha256: 'a'.repeat(64), size: 10, bytes_checked: false }],
      }),
    });
    render(Verify);
    await fill();
    await fireEvent.click(screen.getByTestId('verify-button'));
    await waitFor(() => expect(screen.getByTestId('verify-verdict').textContent).toContain('NOT VERIFIED'));
    expect(screen.getByTestId('verify-verdict').textContent).toContain('1 check failed');
    const failed = screen.getByTestId('check-artifact-digest');
    expect(failed.textContent).toContain('FAIL');
    expect(failed.textContent).toContain('app.tar.gz: sha256 differs from the manifest');
    expect(screen.getByTestId('verify-artifacts-table').textContent).toContain('MISMATCH');
  });

  it('an encrypted bundle asks for the passphrase in the dialog and passes it once', async () => {
    const calls = mockBackend({ verify_bundle: report() });
    render(Verify);
    await fill('/in/app.zip.age');
    await fireEvent.click(screen.getByTestId('verify-encrypted'));
    await fireEvent.click(screen.getByTestId('verify-button'));
    const input = screen.getByTestId('secret-input') as HTMLInputElement;
    await fireEvent.input(input, { target: { value: 'bundle secret words' } });
    await fireEvent.click(screen.getByTestId('secret-submit'));
    await waitFor(() => expect(screen.getByTestId('verify-verdict')).toBeTruthy());
    expect(lastCall(calls, 'verify_bundle').payload.passphrase).toBe('bundle secret words');
    expect(input.value).toBe('');
  });

  it('a bundle encrypted to recipients is opened with the identity file, without a dialog', async () => {
    const calls = mockBackend({ verify_bundle: report() });
    render(Verify);
    await fill('/in/app.zip.age');
    await fireEvent.input(screen.getByTestId('verify-identity'), { target: { value: ' /media/keys/me.txt ' } });
    await fireEvent.click(screen.getByTestId('verify-button'));
    await waitFor(() => expect(screen.getByTestId('verify-verdict')).toBeTruthy());
    expect(screen.queryByTestId('secret-input')).toBeNull();
    const payload = lastCall(calls, 'verify_bundle').payload;
    expect(payload.identityFile).toBe('/media/keys/me.txt');
    expect(payload.passphrase).toBeNull();
  });

  it('an identity file and a passphrase together are refused before any call', async () => {
    const calls = mockBackend({ verify_bundle: report() });
    render(Verify);
    await fill('/in/app.zip.age');
    await fireEvent.input(screen.getByTestId('verify-identity'), { target: { value: '/media/keys/me.txt' } });
    await fireEvent.click(screen.getByTestId('verify-encrypted'));
    await fireEvent.click(screen.getByTestId('verify-button'));
    expect(screen.getByRole('alert').textContent).toContain('not both');
    expect(screen.queryByTestId('secret-input')).toBeNull();
    expect(calls.filter((c) => c.cmd === 'verify_bundle').length).toBe(0);
  });

  it('shows who checked, on which station, and each artifact\'s evidence', async () => {
    await verified(report());
    expect(screen.getByTestId('report-checked-by').textContent).toMatch(/Checked by alice on station st-7f3a9c/);
    expect(screen.queryByTestId('report-trust-package')).toBeNull();
    const row = screen.getByTestId('evidence-row-app.tar.gz').textContent ?? '';
    expect(row).toContain('spdx-2.3, 142 components');
    expect(row).toContain('0 critical, 1 high, 2 medium, 0 low, 0 unrated');
    expect(row).toContain('GHSA-xxxx-yyyy-zzzz');
    expect(row).toContain('built by https://ci.example.com/builders/release');
  });

  it('evidence: an artifact with no SBOM, scan or provenance says so in words', async () => {
    await verified(report({
      artifacts: [
        { name: 'app.tar.gz', sha256: 'a'.repeat(64), size: 2048, bytes_checked: true },
        { name: 'app-cli', sha256: 'c'.repeat(64), size: 1024, bytes_checked: true },
      ],
      evidence: [
        { artifact: 'app.tar.gz', sbom: { format: 'cyclonedx-1.6', components: 1 }, scan: { critical: 0, high: 0, medium: 0, low: 0, unrated: 0, ids: [] }, provenance: null },
        { artifact: 'app-cli', sbom: null, scan: null, provenance: null },
      ],
    }));
    expect(screen.getAllByTestId(/^evidence-row-/).length).toBe(2);
    const first = screen.getByTestId('evidence-row-app.tar.gz').textContent ?? '';
    expect(first).toContain('cyclonedx-1.6, 1 component');
    expect(first).toContain('0 critical, 0 high, 0 medium, 0 low, 0 unrated');
    const bare = screen.getByTestId('evidence-row-app-cli');
    const cells = [...bare.querySelectorAll('td')].map((td) => td.textContent?.trim());
    expect(cells).toEqual(['app-cli', 'none', 'not scanned', 'none']);
  });

  it('no checked-by line without a station, and no evidence table without evidence', async () => {
    await verified(report({ checked_by: null, evidence: [] }));
    expect(screen.queryByTestId('report-checked-by')).toBeNull();
    expect(screen.queryByTestId('report-evidence')).toBeNull();
    expect(screen.queryByTestId('report-trust-package')).toBeNull();
  });

  it('trust package anchored in this station: file, digest, issuer and signers', async () => {
    await verified(report({ trust_package: trustPackage }));
    const block = screen.getByTestId('report-trust-package').textContent ?? '';
    expect(block).toContain('/media/usb/trust-2025-03.json');
    expect(block).toContain('t'.repeat(64));
    expect(block).toContain('2025-02-28T09:00:00Z by carol');
    expect(block).toContain('carol, dave');
    expect(block).toContain("checked against this station's custodians");
    expect(block).not.toContain('only against');
  });

  it('trust package not anchored: says its signers were checked only against its own list', async () => {
    await verified(report({ trust_package: { ...trustPackage, anchored: false }, checked_by: null }));
    expect(screen.getByTestId('report-trust-package').textContent).toContain('checked only against the custodians the package lists itself');
    expect(screen.queryByTestId('report-checked-by')).toBeNull();
  });

  it('a drop fills the bundle and the artifacts folder', async () => {
    mockBackend({});
    render(Verify);
    expect(simulateDrop(screen.getByTestId('verify-drop'), ['/media/usb/app.zip', '/media/usb/dist'])).toBe(true);
    await waitFor(() => expect((screen.getByTestId('verify-bundle') as HTMLInputElement).value).toBe('/media/usb/app.zip'));
    expect((screen.getByTestId('verify-artifacts') as HTMLInputElement).value).toBe('/media/usb/dist');
  });

  it('a new attempt clears the previous verdict, also when its form check fails', async () => {
    mockBackend({ verify_bundle: report() });
    render(Verify);
    await fill();
    await fireEvent.click(screen.getByTestId('verify-button'));
    await waitFor(() => expect(screen.getByTestId('verify-verdict')).toBeTruthy());
    await fill('');
    await fireEvent.click(screen.getByTestId('verify-button'));
    expect(screen.getByRole('alert').textContent).toContain('Choose the bundle to verify');
    expect(screen.queryByTestId('verify-verdict')).toBeNull();
    expect(screen.queryByTestId('verify-checks')).toBeNull();
    expect(screen.queryByTestId('save-html')).toBeNull();
  });

  it('saving over an existing report asks first; Replace repeats with overwrite, Cancel writes nothing', async () => {
    const calls = mockBackend({
      verify_bundle: report(),
      save_report: (p: Record<string, unknown>) => {
        if (!p.overwrite) throw existsError(p.path as string);
        return p.path;
      },
    });
    render(Verify);
    await fill();
    await fireEvent.click(screen.getByTestId('verify-button'));
    await waitFor(() => expect(screen.getByTestId('verify-verdict')).toBeTruthy());
    await fireEvent.input(screen.getByTestId('report-path'), { target: { value: '/out/report.json' } });
    await fireEvent.click(screen.getByTestId('save-json'));
    await waitFor(() => expect(screen.getByTestId('replace-dialog').textContent).toContain('Replace /out/report.json?'));
    await fireEvent.click(screen.getByTestId('confirm-cancel'));
    expect(screen.getByTestId('report-not-saved').textContent).toContain('Nothing was written');
    expect(screen.queryByTestId('report-saved')).toBeNull();
    await fireEvent.click(screen.getByTestId('save-json'));
    await waitFor(() => expect(screen.getByTestId('replace-dialog')).toBeTruthy());
    expect(screen.getByTestId('confirm-ok').textContent).toBe('Replace');
    await fireEvent.click(screen.getByTestId('confirm-ok'));
    await waitFor(() => expect(screen.getByTestId('report-saved').textContent).toContain('/out/report.json'));
    expect(lastCall(calls, 'save_report').payload).toEqual({ path: '/out/report.json', format: 'json', overwrite: true });
  });
});

// --- keyless Sigstore evidence ---

const line = (id: string, outcome: KeylessLine['outcome'], detail: string): KeylessLine => ({ id, outcome, detail });
const ciSigner: Signer = {
  identity: 'https://github.com/octo/app/.github/workflows/release.yml@refs/tags/v1.2.0',
  issuer: 'https://token.actions.githubusercontent.com',
  source_repository: 'https://github.com/octo/app',
  source_ref: 'refs/tags/v1.2.0',
  workflow: 'https://github.com/octo/app/.github/workflows/release.yml@refs/tags/v1.2.0',
  not_before: '2025-03-01T10:00:00Z',
  not_after: '2025-03-01T10:10:00Z',
};
const keylessChecks = (issuerOutcome: KeylessLine['outcome'] = 'pass'): KeylessLine[] => [
  line('tlog-entry', 'pass', 'hashedrekord 0.0.1 entry 172031541 names this bundle'),
  line('tlog-inclusion', 'pass', 'entry 50127279 is in the tree of 50127281 leaves'),
  line('tlog-checkpoint', 'pass', 'signed by the log for a tree of 50127281 leaves'),
  line('tlog-time', 'pass', 'integrated at 2025-03-01T10:01:02Z'),
  line('timestamp', 'pass', 'CN=sigstore-tsa stamped it at 2025-03-01T10:01:01Z'),
  line('certificate-validity', 'pass', 'a signing certificate valid at 2025-03-01T10:01:02Z'),
  line('certificate-chain', 'pass', 'issued by https://fulcio.sigstore.dev'),
  line('sct', 'pass', 'an SCT from the CT log verifies'),
  line('signature', 'pass', 'the signature verifies'),
  line('artifact-digest', 'pass', 'the bundle signs the artifact'),
  line('identity', 'pass', `signed by ${ciSigner.identity}`),
  issuerOutcome === 'fail'
    ? line('issuer', 'fail', `the certificate's issuer is "${ciSigner.issuer}", not "https://accounts.google.com"`)
    : line('issuer', 'pass', `issuer ${ciSigner.issuer}`),
  line('thresholds', 'pass', '1 of 1 log entries, 1 of 1 SCTs, 1 of 0 timestamps verified'),
];
const keylessReport = (over: Partial<KeylessReport> = {}): KeylessReport => {
  const checks = over.checks ?? keylessChecks();
  const verified = over.verified ?? checks.every((c) => c.outcome !== 'fail');
  return {
    bundle: '/in/app.tar.gz.sigstore.json',
    trusted_root: `public-good (trusted root, sha256:${'r'.repeat(64)})`,
    container: 'sigstore-bundle',
    artifact_sha256: 'a'.repeat(64),
    thresholds: { tlog: 1, sct: 1, timestamp: 0 },
    verified,
    checks,
    signer: ciSigner,
    items: [{ label: 'bundle', publisher: null, signer: ciSigner, verified, checks }],
    ...over,
  };
};
const listing = (names: string[]) => ({
  keys: [], revocations: [], policy_modules: [], policy_data: null,
  roots: names.map((name) => ({ name, sha256: 'r'.repeat(64), added_at: '2025-01-01T00:00:00Z', added_by: 'admin', parts: [] })),
});

async function keylessMode() {
  await fireEvent.click(screen.getByTestId('verify-mode-keyless'));
  await waitFor(() => expect(screen.getByTestId('keyless-bundle')).toBeTruthy());
}

async function fillKeyless(v: { bundle?: string; artifact?: string; identity?: string; issuer?: string } = {}) {
  await fireEvent.input(screen.getByTestId('keyless-bundle'), { target: { value: v.bundle ?? '/in/app.tar.gz.sigstore.json' } });
  await fireEvent.input(screen.getByTestId('keyless-artifact'), { target: { value: v.artifact ?? '/in/app.tar.gz' } });
  await fireEvent.input(screen.getByTestId('keyless-identity'), { target: { value: v.identity ?? ciSigner.identity } });
  await fireEvent.input(screen.getByTestId('keyless-issuer'), { target: { value: v.issuer ?? ciSigner.issuer } });
}

describe('Verify screen, keyless Sigstore evidence', () => {
  it('opens on release bundles; the keyless choice shows its own form and back again', async () => {
    const calls = mockBackend({ trust_list: listing([]) });
    render(Verify);
    expect((screen.getByTestId('verify-mode-release') as HTMLInputElement).checked).toBe(true);
    expect(screen.queryByTestId('keyless-bundle')).toBeNull();
    expect(calls.length).toBe(0);
    await keylessMode();
    expect(screen.queryByTestId('verify-bundle')).toBeNull();
    await fireEvent.click(screen.getByTestId('verify-mode-release'));
    expect(screen.getByTestId('verify-bundle')).toBeTruthy();
    expect(screen.queryByTestId('keyless-bundle')).toBeNull();
  });

  it('the form sends exactly the payload: a stored root by name, regexp flags, nulls for empty claims', async () => {
    const calls = mockBackend({ trust_list: listing(['public-good', 'github']), verify_keyless: keylessReport() });
    render(Verify);
    await keylessMode();
    await waitFor(() => expect(screen.getByTestId('keyless-root-name')).toBeTruthy());
    // The trust store's roots are offered by name; the first is chosen, and nothing is guessed for the issuer.
    expect((screen.getByTestId('keyless-root-store') as HTMLInputElement).checked).toBe(true);
    const select = screen.getByTestId('keyless-root-name') as HTMLSelectElement;
    expect([...select.options].map((o) => o.value)).toEqual(['public-good', 'github']);
    expect((screen.getByTestId('keyless-issuer') as HTMLInputElement).value).toBe('');
    await fireEvent.change(select, { target: { value: 'github' } });
    await fillKeyless({ identity: ' https://github.com/octo/app/.* ' });
    await fireEvent.click(screen.getByTestId('keyless-identity-regexp'));
    await fireEvent.input(screen.getByTestId('keyless-repository'), { target: { value: '   ' } });
    await fireEvent.click(screen.getByTestId('keyless-button'));
    await waitFor(() => expect(screen.getByTestId('keyless-verdict')).toBeTruthy());
    expect(lastCall(calls, 'verify_keyless').payload).toEqual({
      form: {
        bundle: '/in/app.tar.gz.sigstore.json',
        trusted_root: 'github',
        artifact: '/in/app.tar.gz',
        identity: 'https://github.com/octo/app/.*',
        identity_regexp: true,
        issuer: 'https://token.actions.githubusercontent.com',
        issuer_regexp: false,
        repository: null,
        git_ref: null,
        workflow: null,
      },
    });
  });

  it('a root file, a digest for the artifact, the issuer as a regular expression and every CI claim', async () => {
    const calls = mockBackend({ trust_list: listing([]), verify_keyless: keylessReport() });
    render(Verify);
    await keylessMode();
    // No root in the store: the file is asked for, and the store's choice is disabled.
    await waitFor(() => expect(screen.getByTestId('keyless-root-path')).toBeTruthy());
    expect((screen.getByTestId('keyless-root-store') as HTMLInputElement).disabled).toBe(true);
    expect(screen.getByTestId('keyless-no-roots').textContent).toContain('Trust screen');
    await fireEvent.input(screen.getByTestId('keyless-root-path'), { target: { value: '/media/usb/trusted_root.json' } });
    await fillKeyless({ artifact: `sha256:${'ab'.repeat(32)}`, issuer: 'https://token\\.actions\\..*' });
    await fireEvent.click(screen.getByTestId('keyless-issuer-regexp'));
    await fireEvent.input(screen.getByTestId('keyless-repository'), { target: { value: 'https://github.com/octo/app' } });
    await fireEvent.input(screen.getByTestId('keyless-ref'), { target: { value: 'refs/tags/v1.2.0' } });
    await fireEvent.input(screen.getByTestId('keyless-workflow'), { target: { value: ciSigner.workflow } });
    await fireEvent.click(screen.getByTestId('keyless-button'));
    await waitFor(() => expect(screen.getByTestId('keyless-verdict')).toBeTruthy());
    expect(lastCall(calls, 'verify_keyless').payload.form).toEqual({
      bundle: '/in/app.tar.gz.sigstore.json',
      trusted_root: '/media/usb/trusted_root.json',
      artifact: `sha256:${'ab'.repeat(32)}`,
      identity: ciSigner.identity,
      identity_regexp: false,
      issuer: 'https://token\\.actions\\..*',
      issuer_regexp: true,
      repository: 'https://github.com/octo/app',
      git_ref: 'refs/tags/v1.2.0',
      workflow: ciSigner.workflow,
    });
  });

  it('refuses an incomplete form before any call: no issuer, a relative root file, a short digest', async () => {
    const calls = mockBackend({ trust_list: listing([]), verify_keyless: keylessReport() });
    render(Verify);
    await keylessMode();
    await waitFor(() => expect(screen.getByTestId('keyless-root-path')).toBeTruthy());
    await fireEvent.click(screen.getByTestId('keyless-button'));
    expect(screen.getByTestId('keyless-error').textContent).toContain('Choose the Sigstore evidence');
    await fireEvent.input(screen.getByTestId('keyless-root-path'), { target: { value: 'trusted_root.json' } });
    await fillKeyless({ issuer: '' });
    await fireEvent.click(screen.getByTestId('keyless-button'));
    expect(screen.getByTestId('keyless-error').textContent).toContain('not a full path');
    await fireEvent.input(screen.getByTestId('keyless-root-path'), { target: { value: '/in/trusted_root.json' } });
    await fireEvent.click(screen.getByTestId('keyless-button'));
    expect(screen.getByTestId('keyless-error').textContent).toContain('the certificate identity and the OIDC issuer');
    await fillKeyless({ artifact: 'sha256:abc' });
    await fireEvent.click(screen.getByTestId('keyless-button'));
    expect(screen.getByTestId('keyless-error').textContent).toContain('is not a SHA-256 digest');
    expect(calls.some((c) => c.cmd === 'verify_keyless')).toBe(false);
  });

  it('VERIFIED: who signed (identity, issuer, repository, ref, workflow), the certificate window, when and by which log, the root, the format and every check', async () => {
    mockBackend({ trust_list: listing(['public-good']), verify_keyless: keylessReport() });
    render(Verify);
    await keylessMode();
    await waitFor(() => expect(screen.getByTestId('keyless-root-name')).toBeTruthy());
    await fillKeyless();
    await fireEvent.click(screen.getByTestId('keyless-button'));
    await waitFor(() => expect(screen.getByTestId('keyless-verdict').textContent).toContain('VERIFIED'));
    const verdict = screen.getByTestId('keyless-verdict');
    expect(verdict.textContent).not.toContain('NOT VERIFIED');
    expect(verdict.getAttribute('data-verified')).toBe('true');
    expect(verdict.textContent).toContain('all 13 checks passed');
    expect(screen.getByTestId('keyless-signer-identity').textContent).toBe(ciSigner.identity);
    expect(screen.getByTestId('keyless-signer-issuer').textContent).toBe('https://token.actions.githubusercontent.com');
    expect(screen.getByTestId('keyless-signer-repository').textContent).toBe('https://github.com/octo/app');
    expect(screen.getByTestId('keyless-signer-ref').textContent).toBe('refs/tags/v1.2.0');
    expect(screen.getByTestId('keyless-signer-workflow').textContent).toBe(ciSigner.workflow);
    expect(screen.getByTestId('keyless-signer-window').textContent).toBe('2025-03-01T10:00:00Z – 2025-03-01T10:10:00Z');
    const when = screen.getByTestId('keyless-signed-at').textContent ?? '';
    expect(when).toContain('Transparency log: integrated at 2025-03-01T10:01:02Z');
    expect(when).toContain('Timestamp authority: CN=sigstore-tsa stamped it at 2025-03-01T10:01:01Z');
    expect(screen.getByTestId('keyless-log').textContent).toContain('hashedrekord 0.0.1 entry 172031541');
    expect(screen.getByTestId('keyless-root').textContent).toContain('public-good (trusted root, sha256:');
    expect(screen.getByTestId('keyless-container').textContent).toContain('Sigstore bundle (sigstore-bundle)');
    expect(screen.getByTestId('keyless-thresholds').textContent).toBe('1 log entry, 1 SCT, 0 timestamps');
    const checks = within(screen.getByTestId('keyless-checks'));
    for (const c of keylessChecks()) {
      const li = checks.getByTestId(`check-${c.id}`);
      expect(li.getAttribute('data-outcome'), c.id).toBe('pass');
      expect(li.textContent).toContain('PASS');
      expect(li.textContent).toContain(c.detail);
    }
    // One bundle: no list of bundles.
    expect(screen.queryByTestId('keyless-items')).toBeNull();
  });

  it('NOT VERIFIED: the failed check says FAIL with its reason; an e-mail signer has no CI claims', async () => {
    const mail: Signer = { ...ciSigner, identity: 'appu@google.com', issuer: 'https://accounts.google.com', source_repository: null, source_ref: null, workflow: null };
    const calls = mockBackend({ trust_list: listing(['public-good']), verify_keyless: keylessReport({ checks: keylessChecks('fail'), signer: mail }) });
    render(Verify);
    await keylessMode();
    await waitFor(() => expect(screen.getByTestId('keyless-root-name')).toBeTruthy());
    await fillKeyless({ identity: 'appu@google.com', issuer: 'https://accounts.google.com' });
    await fireEvent.click(screen.getByTestId('keyless-button'));
    await waitFor(() => expect(screen.getByTestId('keyless-verdict').textContent).toContain('NOT VERIFIED'));
    expect(screen.getByTestId('keyless-verdict').getAttribute('data-verified')).toBe('false');
    expect(screen.getByTestId('keyless-verdict').textContent).toContain('1 check failed');
    const issuer = within(screen.getByTestId('keyless-checks')).getByTestId('check-issuer');
    expect(issuer.getAttribute('data-outcome')).toBe('fail');
    expect(issuer.textContent).toContain('FAIL');
    expect(issuer.textContent).toContain('not "https://accounts.google.com"');
    expect(within(screen.getByTestId('keyless-checks')).getByTestId('check-signature').getAttribute('data-outcome')).toBe('pass');
    expect(screen.getByTestId('keyless-signer-identity').textContent).toBe('appu@google.com');
    expect(screen.queryByTestId('keyless-signer-repository')).toBeNull();
    expect(screen.queryByTestId('keyless-signer-workflow')).toBeNull();
    expect(lastCall(calls, 'verify_keyless').payload.form).toMatchObject({ trusted_root: 'public-good', identity: 'appu@google.com' });
  });

  it('a file of several bundles lists each with its label and verdict, its checks folded away', async () => {
    const good = keylessChecks();
    const bad = [line('certificate-chain', 'fail', 'not issued by an authority of the root'), line('signature', 'pass', 'ok')];
    mockBackend({
      trust_list: listing(['github']),
      verify_keyless: keylessReport({
        container: 'sigstore-bundle-jsonl',
        checks: good,
        verified: true,
        items: [
          { label: 'line 1', publisher: null, signer: null, verified: false, checks: bad },
          { label: 'line 2', publisher: 'GitHub octo/app release.yml', signer: ciSigner, verified: true, checks: good },
        ],
      }),
    });
    render(Verify);
    await keylessMode();
    await waitFor(() => expect(screen.getByTestId('keyless-root-name')).toBeTruthy());
    await fillKeyless({ bundle: '/in/attestations.jsonl' });
    await fireEvent.click(screen.getByTestId('keyless-button'));
    await waitFor(() => expect(screen.getByTestId('keyless-items')).toBeTruthy());
    expect(screen.getByTestId('keyless-verdict').textContent).toContain('1 of 2 bundles in the file verify');
    expect(screen.getByTestId('keyless-container').textContent).toContain('gh attestation');
    const first = screen.getByTestId('keyless-item-0');
    const second = screen.getByTestId('keyless-item-1');
    expect(first.getAttribute('data-verified')).toBe('false');
    expect(first.querySelector('summary')?.textContent).toMatch(/NOT VERIFIED\s+line 1/);
    expect(second.querySelector('summary')?.textContent).toMatch(/VERIFIED\s+line 2 signed by https:\/\/github\.com\/octo/);
    expect(second.querySelector('summary')?.textContent).toMatch(/release\.yml@refs\/tags\/v1\.2\.0 \(published by GitHub octo\/app release\.yml\)/);
    // Each item's checks are inside its (closed) details.
    expect(first.querySelector('details')?.open).toBe(false);
    expect(within(screen.getByTestId('keyless-item-0-checks')).getByTestId('check-certificate-chain').getAttribute('data-outcome')).toBe('fail');
    expect(within(screen.getByTestId('keyless-item-1-checks')).getByTestId('check-issuer').getAttribute('data-outcome')).toBe('pass');
  });

  it('a backend refusal shows its message and remedy, and clears the previous verdict', async () => {
    let n = 0;
    mockBackend({
      trust_list: listing(['public-good']),
      verify_keyless: () => {
        n++;
        if (n === 1) return keylessReport();
        throw ipcError('not_found', 'no Sigstore trusted root "public-good"', 'import it on the Trust screen');
      },
    });
    render(Verify);
    await keylessMode();
    await waitFor(() => expect(screen.getByTestId('keyless-root-name')).toBeTruthy());
    await fillKeyless();
    await fireEvent.click(screen.getByTestId('keyless-button'));
    await waitFor(() => expect(screen.getByTestId('keyless-verdict')).toBeTruthy());
    await fireEvent.click(screen.getByTestId('keyless-button'));
    await waitFor(() => expect(screen.getByTestId('keyless-error-remedy').textContent).toContain('import it on the Trust screen'));
    expect(screen.queryByTestId('keyless-verdict')).toBeNull();
    expect(screen.queryByTestId('keyless-checks')).toBeNull();
  });

  it('when the roots cannot be listed, a root file is asked for', async () => {
    mockBackend({ trust_list: () => { throw ipcError('forbidden', 'no'); } });
    render(Verify);
    await keylessMode();
    await waitFor(() => expect(screen.getByTestId('keyless-roots-note').textContent).toContain('give a trusted root file'));
    expect(screen.getByTestId('keyless-root-path')).toBeTruthy();
  });

  it('a drop sorts the evidence, the trusted root file and the artifact', async () => {
    mockBackend({ trust_list: listing(['public-good']) });
    render(Verify);
    await keylessMode();
    await waitFor(() => expect(screen.getByTestId('keyless-root-name')).toBeTruthy());
    simulateDrop(screen.getByTestId('keyless-drop'), ['/usb/app.whl', '/usb/app.whl.publish.attestation', '/usb/trusted_root.json']);
    await waitFor(() => expect((screen.getByTestId('keyless-bundle') as HTMLInputElement).value).toBe('/usb/app.whl.publish.attestation'));
    expect((screen.getByTestId('keyless-artifact') as HTMLInputElement).value).toBe('/usb/app.whl');
    expect((screen.getByTestId('keyless-root-path') as HTMLInputElement).value).toBe('/usb/trusted_root.json');
  });
});
