import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { existsError, ipcError, lastCall, mockBackend, pending, sendProgress, session, sessionAs } from '../test/ipc';
import type { PublishPreview, ReleaseCreated, ReleasePreview } from '../lib/types';
import Sign from './Sign.svelte';

const flags = { count_low: false, final_try: false, locked: false, to_be_changed: false };
const softKey = { label: 'alice-release', key_id: 'SHA256:a', algorithm: 'ed25519', backend: 'software', status: 'active', purpose: 'signer', created: '2025', uri: null, attributes: {}, holder: 'alice' };
const tokenKey = { label: 'vault-key', key_id: 'SHA256:t', algorithm: 'ecdsa-p256', backend: 'pkcs11', status: 'active', purpose: 'signer', created: '2025', uri: 'pkcs11:object=vault-key', attributes: {}, holder: 'bob' };
const oldKey = { ...softKey, label: 'old', status: 'retired' };
const hashedFile = { path: '/dist/widget-1.4.0.tar.gz', name: 'widget-1.4.0.tar.gz', size: 4096, sha256: 'c'.repeat(64) };

const preview = (over: Partial<ReleasePreview['policy']> = {}): ReleasePreview => ({
  artifacts: [hashedFile],
  sboms: [{ artifact: 'widget-1.4.0.tar.gz', format: 'spdx-2.3', components: 12, source: 'generated' }],
  scans: [{
    artifact: 'widget-1.4.0.tar.gz',
    report: {
      input: 'widget-1.4.0.tar.gz.spdx.json', components: 12, counts: { critical: 1, high: 0, medium: 2 }, failed: false, database_warning: null,
      findings: [{ id: 'GHSA-xxxx', aliases: ['CVE-2024-1'], summary: 'bad', severity: { cvss_score: 9.8, vector: 'CVSS:3.1/AV:N', level: 'critical' },
        package: { name: 'lodash', version: '4.17.0', ecosystem: 'npm', purl: null, found_in: null }, affected_ranges: '<4.17.21', fixed_versions: ['4.17.21'] }],
    },
  }],
  provenance: null,
  policy: { allowed: true, deny: [], warn: [{ text: 'strongroom.production: artifact app has no provenance', fix: 'provenance' }], ...over },
  key: { label: 'alice-release', key_id: 'SHA256:a', backend: 'software', trust: 'trusted signer for production' },
  approvals_required: 2,
});

/** The registry form strongroom-publish will push: one artifact with its signature, SBOM and scan. */
const publish: PublishPreview = {
  tag: '1.4.0', index_digest: `sha256:${'1'.repeat(64)}`,
  artifacts: [{ name: 'widget-1.4.0.tar.gz', digest: `sha256:${'2'.repeat(64)}`, referrers: 3 }],
  manifests: 6, blobs: 7,
};

const created: ReleaseCreated = {
  bundle: '/station/staging/widget-1.4.0.zip', bundle_sha256: 'd'.repeat(64), manifest_sha256: 'e'.repeat(64), name: 'widget', version: '1.4.0',
  stage: 'production', artifacts: 1, entries: 9, encrypted: false, policy_warnings: [], approvals_needed: 1, publish,
};

function base(extra: Record<string, unknown> = {}) {
  return mockBackend({
    list_keys: [softKey, tokenKey, oldKey],
    hash_files: (p: Record<string, unknown>) => {
      sendProgress(p, [
        { kind: 'hash_start', files: 1, total_bytes: 4096 },
        { kind: 'hashed', bytes: 4096 },
        { kind: 'hash_file_done', path: hashedFile.path },
        { kind: 'hash_finish' },
      ]);
      return [hashedFile];
    },
    release_preview: preview(),
    ...extra,
  });
}

async function stepOne(keyLabel = 'alice-release') {
  await waitFor(() => expect(screen.getByTestId('rel-key').textContent).toContain('alice-release'));
  expect(screen.getByTestId('rel-key').textContent).not.toContain('old');
  await fireEvent.input(screen.getByTestId('artifact-path'), { target: { value: hashedFile.path } });
  await fireEvent.click(screen.getByTestId('artifact-add'));
  await fireEvent.input(screen.getByTestId('rel-name'), { target: { value: 'widget' } });
  await fireEvent.input(screen.getByTestId('rel-version'), { target: { value: '1.4.0' } });
  await fireEvent.change(screen.getByTestId('rel-key'), { target: { value: keyLabel } });
  await fireEvent.click(screen.getByTestId('wizard-next'));
  await waitFor(() => expect(screen.getByTestId('wizard-step').dataset.step).toBe('2'));
}

/** From an empty wizard to a signed release (step 6, the bundle shown). */
async function signedRelease() {
  await stepOne();
  await next(3);
  await next(4);
  await next(5);
  await waitFor(() => expect(screen.getByTestId('policy-allowed').dataset.allowed).toBe('true'));
  await next(6);
  await fireEvent.click(screen.getByTestId('sign-button'));
  await fireEvent.input(screen.getByTestId('secret-input'), { target: { value: 'alice key passphrase' } });
  await fireEvent.click(screen.getByTestId('secret-submit'));
  await waitFor(() => expect(screen.getByTestId('created-bundle')).toBeTruthy());
}


async function next(to: number) {
  await fireEvent.click(screen.getByTestId('wizard-next'));
  await waitFor(() => expect(screen.getByTestId('wizard-step').dataset.step).toBe(String(to)));
}

describe('Sign wizard', () => {
  it('loading: keys loading, then hashing shows progress while pending', async () => {
    mockBackend({
      list_keys: [softKey],
      hash_files: (p: Record<string, unknown>) => {
        sendProgress(p, [{ kind: 'hash_start', files: 1, total_bytes: 2048 }, { kind: 'hashed', bytes: 1024 }]);
        return pending();
      },
    });
    render(Sign, { session });
    expect(screen.getByTestId('rel-key').textContent).toContain('Loading keys');
    await waitFor(() => expect(screen.getByTestId('rel-key').textContent).toContain('alice-release'));
    await fireEvent.input(screen.getByTestId('artifact-path'), { target: { value: '/dist/a' } });
    await fireEvent.click(screen.getByTestId('artifact-add'));
    await fireEvent.input(screen.getByTestId('rel-name'), { target: { value: 'w' } });
    await fireEvent.input(screen.getByTestId('rel-version'), { target: { value: '1' } });
    await fireEvent.click(screen.getByTestId('wizard-next'));
    await waitFor(() => expect(screen.getByTestId('hash-progress').textContent).toContain('Hashed 1.0 KiB of 2.0 KiB, 0 of 1 files'));
    expect(screen.getByTestId('wizard-next').textContent).toContain('Hashing');
  });

  it('empty: Next refuses without artifacts; no active key is said so', async () => {
    // A retired signing key and an active approval key: neither may sign a release.
    const approvalKey = { ...softKey, label: 'alice-approve', key_id: 'SHA256:p', purpose: 'approver' };
    const calls = mockBackend({ list_keys: [oldKey, approvalKey] });
    render(Sign, { session });
    await waitFor(() => expect(screen.getByTestId('rel-key').textContent).toContain('No active signing key'));
    expect(screen.getByTestId('rel-key').textContent).not.toContain('alice-approve');
    expect(screen.getByTestId('artifact-list').textContent).toContain('No artifacts yet');
    await fireEvent.click(screen.getByTestId('wizard-next'));
    expect(screen.getByTestId('step-error').textContent).toContain('Add at least one artifact or image');
    expect(screen.getByTestId('wizard-step').dataset.step).toBe('1');
    expect(calls.some((c) => c.cmd === 'hash_files')).toBe(false);
  });

  it('images: one is read and listed, a second under the same reference is refused, and a release of images alone goes on', async () => {
    const digest = `sha256:${'4'.repeat(64)}`;
    const calls = base({
      image_inspect: (p: Record<string, unknown>) => {
        const { reference, source } = p.image as { reference: string; source: string };
        if (source.startsWith('/missing')) throw ipcError('not_found', `${source}: no OCI layout or image archive here`, 'give the image layout folder or archive');
        return { name: 'app', reference, source, manifest_digest: digest, media_type: 'application/vnd.oci.image.manifest.v1+json', blobs: 3, size: 3 * 1024 * 1024 };
      },
    });
    render(Sign, { session });
    await waitFor(() => expect(screen.getByTestId('rel-key').textContent).toContain('alice-release'));
    expect(screen.getByTestId('image-list').textContent).toBe('No images.');
    // a source the station cannot read: the error with its remedy, nothing listed
    await fireEvent.input(screen.getByTestId('image-source'), { target: { value: '/missing/app-oci' } });
    await fireEvent.input(screen.getByTestId('image-reference'), { target: { value: 'registry.example.com/acme/app' } });
    await fireEvent.click(screen.getByTestId('image-add'));
    await waitFor(() => expect(screen.getByTestId('image-error').textContent).toContain('give the image layout folder or archive'));
    expect(screen.getByTestId('image-list').textContent).toBe('No images.');
    // read and listed: name, reference, the manifest digest whole in code, size and blobs
    await fireEvent.input(screen.getByTestId('image-source'), { target: { value: '/build/app-oci:1.0' } });
    await fireEvent.click(screen.getByTestId('image-add'));
    await waitFor(() => expect(screen.getByTestId('image-list').tagName).toBe('TABLE'));
    expect(screen.queryByTestId('image-error')).toBeNull();
    expect(lastCall(calls, 'image_inspect').payload).toEqual({ image: { reference: 'registry.example.com/acme/app', source: '/build/app-oci:1.0' } });
    const list = screen.getByTestId('image-list');
    for (const t of ['app', '/build/app-oci:1.0', 'registry.example.com/acme/app', '3.0 MiB', '3']) expect(list.textContent).toContain(t);
    expect(list.querySelector('code')?.textContent).toBe(digest);
    expect((screen.getByTestId('image-source') as HTMLInputElement).value).toBe('');
    // the same reference again: refused before any call
    const n = calls.filter((c) => c.cmd === 'image_inspect').length;
    await fireEvent.input(screen.getByTestId('image-source'), { target: { value: '/build/other-oci' } });
    await fireEvent.input(screen.getByTestId('image-reference'), { target: { value: 'registry.example.com/acme/app' } });
    await fireEvent.click(screen.getByTestId('image-add'));
    await waitFor(() => expect(screen.getByTestId('image-error').textContent).toContain('already has an image for registry.example.com/acme/app'));
    expect(calls.filter((c) => c.cmd === 'image_inspect').length).toBe(n);
    expect(list.querySelectorAll('tbody tr')).toHaveLength(1);
    // no files: the image alone is a release (nothing to hash); the fields typed but not added hold it first
    await fireEvent.input(screen.getByTestId('rel-name'), { target: { value: 'app' } });
    await fireEvent.input(screen.getByTestId('rel-version'), { target: { value: '1.0' } });
    await fireEvent.click(screen.getByTestId('wizard-next'));
    expect(screen.getByTestId('step-error').textContent).toContain('not added yet');
    await fireEvent.input(screen.getByTestId('image-source'), { target: { value: '' } });
    await fireEvent.input(screen.getByTestId('image-reference'), { target: { value: '' } });
    await next(2);
    expect(calls.some((c) => c.cmd === 'hash_files')).toBe(false);
    await next(3);
    await fireEvent.click(screen.getByTestId('preview-button'));
    await waitFor(() => expect(calls.some((c) => c.cmd === 'release_preview')).toBe(true));
    expect(lastCall(calls, 'release_preview').payload.req).toMatchObject({
      artifacts: [], images: [{ reference: 'registry.example.com/acme/app', source: '/build/app-oci:1.0' }],
    });
  });

  it('error: a hashing failure shows message and remedy and stays on step 1', async () => {
    base({ hash_files: () => { throw ipcError('storage', 'cannot read /dist/widget-1.4.0.tar.gz', 'check the file exists and is readable'); } });
    render(Sign, { session });
    await waitFor(() => expect(screen.getByTestId('rel-key').textContent).toContain('alice-release'));
    await fireEvent.input(screen.getByTestId('artifact-path'), { target: { value: hashedFile.path } });
    await fireEvent.click(screen.getByTestId('artifact-add'));
    await fireEvent.input(screen.getByTestId('rel-name'), { target: { value: 'widget' } });
    await fireEvent.input(screen.getByTestId('rel-version'), { target: { value: '1.4.0' } });
    await fireEvent.click(screen.getByTestId('wizard-next'));
    await waitFor(() => expect(screen.getByTestId('step-error').textContent).toContain('check the file exists and is readable'));
    expect(screen.getByTestId('wizard-step').dataset.step).toBe('1');
  });

  it('success: the whole wizard, from artifacts to export', async () => {
    const approved = { bundle: created.bundle, bundle_sha256: 'f'.repeat(64), manifest_sha256: created.manifest_sha256, key_id: 'SHA256:b', operator: 'bob', distinct_approvers: 2, required: 2 };
    const calls = base({
      release_create: (p: Record<string, unknown>) => {
        sendProgress(p, [{ kind: 'items', what: 'signatures', done: 1, total: 2 }]);
        return created;
      },
      release_approve: approved,
      release_export: { path: '/media/usb/widget-1.4.0.zip', sha256: 'f'.repeat(64), encrypted: true },
    });
    render(Sign, { session });
    await stepOne();
    expect(lastCall(calls, 'hash_files').payload.paths).toEqual([hashedFile.path]);
    // step 2: SBOM auto, CycloneDX
    await fireEvent.change(screen.getByTestId('sbom-format'), { target: { value: 'cyclonedx' } });
    await next(3);
    // step 3: preview shows the scan
    await fireEvent.click(screen.getByTestId('preview-button'));
    await waitFor(() => expect(screen.getByTestId('scan-results').textContent).toContain('GHSA-xxxx'));
    expect(screen.getByTestId('scan-results').textContent).toContain('critical: 1');
    expect(screen.getByTestId('scan-results').textContent).toContain('4.17.21');
    expect(screen.getByTestId('scan-results').textContent).toContain('critical (9.8)');
    const req = lastCall(calls, 'release_preview').payload.req as Record<string, unknown>;
    expect(req).toMatchObject({
      name: 'widget', version: '1.4.0', stage: 'production', key: 'alice-release', artifacts: [hashedFile.path], images: [],
      sbom: { kind: 'auto', format: 'cyclonedx' }, provenance: { kind: 'none' }, scan: true, include_artifacts: true, policies: [],
    });
    await next(4);
    // step 4: provenance form
    await fireEvent.click(screen.getByTestId('prov-form'));
    await fireEvent.input(screen.getByTestId('prov-builder'), { target: { value: 'https://ci.example/runner' } });
    await fireEvent.input(screen.getByTestId('prov-type'), { target: { value: 'https://ci.example/build/v1' } });
    await fireEvent.input(screen.getByTestId('prov-repo'), { target: { value: 'git+https://git.example/widget' } });
    await fireEvent.input(screen.getByTestId('prov-commit'), { target: { value: 'abc123' } });
    await fireEvent.input(screen.getByTestId('prov-params'), { target: { value: 'not json' } });
    await fireEvent.click(screen.getByTestId('wizard-next'));
    expect(screen.getByTestId('step-error').textContent).toContain('not a JSON object');
    await fireEvent.input(screen.getByTestId('prov-params'), { target: { value: '{}' } });
    await fireEvent.click(screen.getByTestId('wizard-next'));
    expect(screen.getByTestId('step-error').textContent).toContain('parameters are empty');
    await fireEvent.input(screen.getByTestId('prov-params'), { target: { value: '{"target": "x86_64"}' } });
    await next(5);
    // step 5: policy preview allowed, warn shown
    await waitFor(() => expect(screen.getByTestId('policy-allowed').dataset.allowed).toBe('true'));
    expect(screen.getByTestId('policy-warn').textContent).toContain('artifact app has no provenance');
    // The fix the rule named, in the app's words (never a CLI flag).
    expect(screen.getByTestId('policy-warn').textContent).toContain('give the build metadata in the Provenance step');
    expect(screen.getByTestId('policy-warn').textContent).not.toContain('--');
    expect(screen.getByTestId('policy-preview').textContent).toContain('trusted signer for production');
    expect((lastCall(calls, 'release_preview').payload.req as Record<string, unknown>).provenance).toEqual({
      kind: 'form',
      meta: { builder_id: 'https://ci.example/runner', build_type: 'https://ci.example/build/v1',
        source: { repository: 'git+https://git.example/widget', commit: 'abc123' }, parameters: { target: 'x86_64' } },
    });
    await next(6);
    // step 6: sign with the passphrase
    await fireEvent.click(screen.getByTestId('sign-button'));
    expect(screen.getByTestId('sign-dialog').textContent).toContain('Passphrase for key alice-release');
    const input = screen.getByTestId('secret-input') as HTMLInputElement;
    await fireEvent.input(input, { target: { value: 'alice key passphrase' } });
    await fireEvent.click(screen.getByTestId('secret-submit'));
    await waitFor(() => expect(screen.getByTestId('created-bundle').textContent).toContain(created.bundle));
    expect(input.value).toBe('');
    expect(lastCall(calls, 'release_create').payload.secret).toBe('alice key passphrase');
    // the inputs are fixed once signed
    expect((screen.getByTestId('step-1') as HTMLButtonElement).disabled).toBe(true);
    await next(7);
    // step 7: a second operator approves
    expect(screen.getByTestId('approvals-count').textContent).toContain('1 of 2 approvals');
    await fireEvent.input(screen.getByTestId('approve-operator'), { target: { value: 'bob' } });
    expect(screen.queryByTestId('approve-passphrase')).toBeNull();
    await fireEvent.input(screen.getByTestId('approve-key'), { target: { value: 'vault-key' } });
    await fireEvent.click(screen.getByTestId('approve-button'));
    expect(screen.getByTestId('approve-dialog').textContent).toContain('Token PIN for key vault-key');
    // the approver's operator passphrase is asked inside the dialog, first
    const opPass = screen.getByTestId('approve-passphrase') as HTMLInputElement;
    await waitFor(() => expect(document.activeElement).toBe(opPass));
    expect(screen.getByTestId('approve-dialog').contains(opPass)).toBe(true);
    await fireEvent.input(opPass, { target: { value: 'bob operator pass' } });
    await fireEvent.input(screen.getByTestId('secret-input'), { target: { value: '123456' } });
    await fireEvent.click(screen.getByTestId('secret-submit'));
    await waitFor(() => expect(screen.getByTestId('approvals-count').textContent).toContain('2 of 2 approvals'));
    expect(lastCall(calls, 'release_approve').payload).toMatchObject({
      bundle: created.bundle, key: 'vault-key', operator: 'bob', operatorPassphrase: 'bob operator pass', secret: '123456',
    });
    expect(opPass.value).toBe('');
    await next(8);
    // step 8: export, encrypted to two recipients
    await fireEvent.input(screen.getByTestId('export-folder'), { target: { value: '/media/usb' } });
    await fireEvent.input(screen.getByTestId('export-recipients'), { target: { value: 'age1one\n\n age1two \n' } });
    await fireEvent.click(screen.getByTestId('export-button'));
    await waitFor(() => expect(screen.getByTestId('export-result').textContent).toContain('/media/usb/widget-1.4.0.zip'));
    expect(lastCall(calls, 'release_export').payload).toEqual({ bundle: created.bundle, folder: '/media/usb', encryptTo: ['age1one', 'age1two'], overwrite: false });
  });

  it('refuses Next when the policy denies', async () => {
    base({ release_preview: preview({ allowed: false, deny: [{ text: 'production needs a scan with no critical findings', fix: null }], warn: [] }) });
    render(Sign, { session });
    await stepOne();
    await next(3);
    await next(4);
    await next(5);
    await waitFor(() => expect(screen.getByTestId('policy-allowed').dataset.allowed).toBe('false'));
    expect(screen.getByTestId('policy-deny').textContent).toContain('production needs a scan with no critical findings');
    const nextBtn = screen.getByTestId('wizard-next') as HTMLButtonElement;
    expect(nextBtn.disabled).toBe(true);
    await fireEvent.click(nextBtn);
    expect(screen.getByTestId('wizard-step').dataset.step).toBe('5');
    expect(screen.queryByTestId('sign-button')).toBeNull();
  });

  it('the signed summary lists, in full, what strongroom-publish will push', async () => {
    const two: PublishPreview = {
      ...publish,
      artifacts: [...publish.artifacts, { name: 'widget-docs.zip', digest: `sha256:${'3'.repeat(64)}`, referrers: 1 }],
      manifests: 8, blobs: 11,
    };
    base({ release_create: { ...created, artifacts: 2, publish: two } });
    render(Sign, { session });
    await signedRelease();
    const section = screen.getByTestId('publish-preview');
    expect(section.textContent).toContain('For the transfer form: what strongroom-publish will push');
    expect(screen.getByTestId('publish-tag').textContent).toBe('1.4.0');
    // digests whole (never shortened), as text in monospace code
    const index = screen.getByTestId('publish-index-digest');
    expect(index.tagName).toBe('CODE');
    expect(index.textContent).toBe(`sha256:${'1'.repeat(64)}`);
    for (const a of two.artifacts) {
      const row = screen.getByTestId(`publish-artifact-${a.name}`);
      expect(row.textContent).toContain(a.name);
      const digest = screen.getByTestId(`publish-artifact-digest-${a.name}`);
      expect(digest.tagName).toBe('CODE');
      expect(digest.textContent).toBe(a.digest);
      expect(screen.getByTestId(`publish-artifact-referrers-${a.name}`).textContent).toBe(String(a.referrers));
    }
    expect(section.textContent).not.toContain('…');
    expect(screen.getByTestId('publish-counts').textContent).toContain('8 manifests and 11 blobs');
    expect(screen.getByTestId('publish-counts').textContent).toContain('Approvals added later do not change the digests above');
    expect(screen.queryByTestId('publish-none')).toBeNull();
  });

  it('an encrypted bundle has no registry form yet: one line says it comes once the bundle is opened', async () => {
    base({ release_create: { ...created, encrypted: true, publish: null } });
    render(Sign, { session });
    await signedRelease();
    expect(screen.getByTestId('publish-none').textContent).toContain('shown once it is opened (decrypted) on the connected side');
    expect(screen.queryByTestId('publish-index-digest')).toBeNull();
    expect(screen.queryByTestId('publish-artifacts')).toBeNull();
    expect(screen.queryByTestId('publish-counts')).toBeNull();
  });

  it('a plain bundle without a registry form says why, not that it is encrypted', async () => {
    base({ release_create: { ...created, version: '1.4.0+build.7', publish: null } });
    render(Sign, { session });
    await signedRelease();
    expect(screen.getByTestId('publish-none').textContent).toContain('not a valid registry tag');
    expect(screen.getByTestId('publish-none').textContent).not.toContain('encrypted');
  });

  it('a wrong PIN when signing with a token key shows the tries phrase', async () => {
    base({
      release_preview: { ...preview(), key: { label: 'vault-key', key_id: 'SHA256:t', backend: 'pkcs11', trust: 'trusted' } },
      release_create: () => { throw ipcError('auth', 'the token rejected the PIN', 'type the user PIN', { ...flags, locked: true }); },
    });
    render(Sign, { session });
    await stepOne('vault-key');
    await next(3);
    await next(4);
    await next(5);
    await waitFor(() => expect(screen.getByTestId('policy-allowed').dataset.allowed).toBe('true'));
    await next(6);
    await fireEvent.click(screen.getByTestId('sign-button'));
    expect(screen.getByTestId('sign-dialog').textContent).toContain('Token PIN for key vault-key');
    await fireEvent.input(screen.getByTestId('secret-input'), { target: { value: '000000' } });
    await fireEvent.click(screen.getByTestId('secret-submit'));
    await waitFor(() => expect(screen.getByTestId('secret-error-pin').textContent).toContain('the PIN is locked'));
    expect((screen.getByTestId('secret-input') as HTMLInputElement).value).toBe('');
    expect(screen.queryByTestId('created-bundle')).toBeNull();
  });

  it('a preview error is shown with its remedy', async () => {
    base({ release_preview: () => { throw ipcError('usage', 'the vulnerability database is empty', 'import an OSV snapshot in Settings'); } });
    render(Sign, { session });
    await stepOne();
    await next(3);
    await fireEvent.click(screen.getByTestId('preview-button'));
    await waitFor(() => expect(screen.getByTestId('preview-error').textContent).toContain('import an OSV snapshot in Settings'));
  });

  it('the approver passphrase is in the dialog: cancel and errors clear it, the next Approve… asks again', async () => {
    const calls = base({
      release_create: created,
      release_approve: () => { throw ipcError('auth', 'wrong passphrase for operator bob', 'type bob’s operator passphrase'); },
    });
    render(Sign, { session });
    await signedRelease();
    await next(7);
    await fireEvent.input(screen.getByTestId('approve-operator'), { target: { value: 'bob' } });
    await fireEvent.input(screen.getByTestId('approve-key'), { target: { value: 'vault-key' } });
    await fireEvent.click(screen.getByTestId('approve-button'));
    let opPass = screen.getByTestId('approve-passphrase') as HTMLInputElement;
    await fireEvent.input(opPass, { target: { value: 'bob operator pass' } });
    await fireEvent.keyDown(screen.getByTestId('approve-dialog'), { key: 'Escape' });
    expect(opPass.value).toBe('');
    expect(screen.queryByTestId('approve-dialog')).toBeNull();
    expect(screen.queryByTestId('approve-passphrase')).toBeNull();
    // asked again, empty; an error keeps the dialog, clears both and focuses the first field
    await fireEvent.click(screen.getByTestId('approve-button'));
    opPass = screen.getByTestId('approve-passphrase') as HTMLInputElement;
    expect(opPass.value).toBe('');
    await fireEvent.input(opPass, { target: { value: 'bob wrong pass' } });
    const pin = screen.getByTestId('secret-input') as HTMLInputElement;
    await fireEvent.input(pin, { target: { value: '123456' } });
    await fireEvent.click(screen.getByTestId('secret-submit'));
    await waitFor(() => expect(screen.getByTestId('secret-error').textContent).toContain('type bob’s operator passphrase'));
    expect(lastCall(calls, 'release_approve').payload).toMatchObject({ operatorPassphrase: 'bob wrong pass', secret: '123456' });
    expect(opPass.value).toBe('');
    expect(pin.value).toBe('');
    await waitFor(() => expect(document.activeElement).toBe(opPass));
    expect(opPass.disabled).toBe(false);
    // an empty operator passphrase is refused before any call
    const n = calls.filter((c) => c.cmd === 'release_approve').length;
    await fireEvent.input(pin, { target: { value: '123456' } });
    await fireEvent.click(screen.getByTestId('secret-submit'));
    await waitFor(() => expect(screen.getByTestId('secret-error').textContent).toContain('operator passphrase'));
    expect(calls.filter((c) => c.cmd === 'release_approve').length).toBe(n);
  });

  it('exporting over an existing bundle file asks first; Replace repeats with overwrite, Cancel writes nothing', async () => {
    const calls = base({
      release_create: { ...created, approvals_needed: 0 },
      release_export: (p: Record<string, unknown>) => {
        if (!p.overwrite) throw existsError('/media/usb/widget-1.4.0.zip');
        return { path: '/media/usb/widget-1.4.0.zip', sha256: 'f'.repeat(64), encrypted: false };
      },
    });
    render(Sign, { session });
    await signedRelease();
    await next(7);
    await next(8);
    await fireEvent.input(screen.getByTestId('export-folder'), { target: { value: '/media/usb' } });
    await fireEvent.click(screen.getByTestId('export-button'));
    await waitFor(() => expect(screen.getByTestId('replace-dialog').textContent).toContain('Replace /media/usb/widget-1.4.0.zip?'));
    await fireEvent.click(screen.getByTestId('confirm-cancel'));
    expect(screen.getByTestId('export-notice').textContent).toContain('Nothing was written');
    expect(screen.queryByTestId('export-result')).toBeNull();
    await fireEvent.click(screen.getByTestId('export-button'));
    await waitFor(() => expect(screen.getByTestId('replace-dialog')).toBeTruthy());
    expect(screen.getByTestId('confirm-ok').textContent).toBe('Replace');
    await fireEvent.click(screen.getByTestId('confirm-ok'));
    await waitFor(() => expect(screen.getByTestId('export-result').textContent).toContain('/media/usb/widget-1.4.0.zip'));
    expect(calls.filter((c) => c.cmd === 'release_export').map((c) => c.payload.overwrite)).toEqual([false, false, true]);
  });

  it('the default signing key is the one active signer key the operator holds', async () => {
    const mine2 = { ...softKey, label: 'alice-second', key_id: 'SHA256:a2' };
    mockBackend({ list_keys: [tokenKey, softKey] });
    const first = render(Sign, { session });
    await waitFor(() => expect((screen.getByTestId('rel-key') as HTMLSelectElement).value).toBe('alice-release'));
    first.unmount();
    // two of hers: she chooses
    mockBackend({ list_keys: [softKey, mine2, tokenKey] });
    const second = render(Sign, { session });
    await waitFor(() => expect(screen.getByTestId('rel-key').textContent).toContain('alice-second'));
    expect((screen.getByTestId('rel-key') as HTMLSelectElement).value).toBe('');
    second.unmount();
    // none of his: he chooses, and Next says so
    mockBackend({ list_keys: [softKey, tokenKey] });
    render(Sign, { session: sessionAs('carol', ['release-officer'], ['release.create', 'release.export']) });
    await waitFor(() => expect(screen.getByTestId('rel-key').textContent).toContain('vault-key'));
    expect((screen.getByTestId('rel-key') as HTMLSelectElement).value).toBe('');
    await fireEvent.input(screen.getByTestId('artifact-path'), { target: { value: hashedFile.path } });
    await fireEvent.click(screen.getByTestId('artifact-add'));
    await fireEvent.input(screen.getByTestId('rel-name'), { target: { value: 'widget' } });
    await fireEvent.input(screen.getByTestId('rel-version'), { target: { value: '1.4.0' } });
    await fireEvent.click(screen.getByTestId('wizard-next'));
    expect(screen.getByTestId('step-error').textContent).toContain('Choose the signing key');
  });

  it('without release.create the first step says why and Next stays disabled', async () => {
    mockBackend({ list_keys: [softKey] });
    render(Sign, { session: sessionAs('ann', ['auditor'], ['audit.verify', 'audit.list', 'release.verify']) });
    expect(screen.getByTestId('role-note').textContent).toContain('Needs the release-officer role: you hold auditor');
    expect((screen.getByTestId('wizard-next') as HTMLButtonElement).disabled).toBe(true);
  });

  it('Next and Back move the focus to the step heading', async () => {
    base();
    render(Sign, { session });
    await stepOne();
    const heading = screen.getByTestId('step-heading');
    expect(heading.getAttribute('tabindex')).toBe('-1');
    await waitFor(() => expect(document.activeElement).toBe(heading));
    expect(heading.textContent).toContain('Step 2 of 8: SBOM');
    (screen.getByTestId('wizard-next') as HTMLElement).focus();
    await fireEvent.click(screen.getByTestId('wizard-back'));
    await waitFor(() => expect(screen.getByTestId('wizard-step').dataset.step).toBe('1'));
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId('step-heading')));
  });

  it('No SBOM with scanning on is caught at the SBOM step, before any preview', async () => {
    const calls = base();
    render(Sign, { session });
    await stepOne();
    await fireEvent.click(screen.getByTestId('sbom-none'));
    const problem = 'Scanning needs an SBOM: choose Generate or give the SBOM file, or turn scanning off.';
    expect(screen.getByTestId('sbom-scan-problem').textContent).toBe(problem);
    expect((screen.getByTestId('wizard-next') as HTMLButtonElement).disabled).toBe(true);
    // turning scanning off here resolves it
    await fireEvent.click(screen.getByTestId('sbom-scan-toggle'));
    expect(screen.queryByTestId('sbom-scan-problem')).toBeNull();
    await next(3);
    // and turning it on again at the scan step brings the problem back
    await fireEvent.click(screen.getByTestId('scan-toggle'));
    expect(screen.getByTestId('sbom-scan-problem').textContent).toBe(problem);
    expect((screen.getByTestId('wizard-next') as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByTestId('preview-button') as HTMLButtonElement).disabled).toBe(true);
    expect(calls.some((c) => c.cmd === 'release_preview')).toBe(false);
  });
});
