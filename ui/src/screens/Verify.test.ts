import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { simulateDrop } from '../lib/platform';
import { existsError, ipcError, lastCall, mockBackend, pending, sendProgress } from '../test/ipc';
import type { BundleReport } from '../lib/types';
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
