import { describe, expect, it } from 'vitest';
import { ipcError, lastCall, mockBackend, session, sessionAs } from '../../test/ipc';
import type { HashedFile, ImageSummary, ReleaseCreated, ReleasePreview } from '../../lib/types';
import { SBOM_SCAN_PROBLEM, SignWizard, STEP, STEPS } from './wizard.svelte';

const file = (name: string): HashedFile => ({ path: `/dist/${name}`, name, size: 1, sha256: 'c'.repeat(64) });
const image = (reference: string, source: string): ImageSummary => ({
  name: reference.split('/').pop() ?? reference, reference, source, manifest_digest: `sha256:${'f'.repeat(64)}`,
  media_type: 'application/vnd.oci.image.manifest.v1+json', blobs: 2, size: 2048,
});
/** `image_inspect` as the station answers it: the image read, under the reference asked for. */
const inspect = (p: Record<string, unknown>) => {
  const { reference, source } = p.image as { reference: string; source: string };
  return image(reference, source);
};
const key = { label: 'alice-release', key_id: 'SHA256:a', algorithm: 'ed25519', backend: 'software', status: 'active', purpose: 'signer' as const, created: '2025', uri: null, attributes: {}, holder: 'alice' };

const preview = (allowed = true): ReleasePreview => ({
  artifacts: [], sboms: [], scans: [], provenance: null,
  policy: { allowed, deny: [], warn: [] },
  key: { label: 'alice-release', key_id: 'SHA256:a', backend: 'software', trust: 'trusted' },
  approvals_required: 2,
});

const created: ReleaseCreated = {
  bundle: '/staging/w.zip', bundle_sha256: 'd'.repeat(64), manifest_sha256: 'e'.repeat(64), name: 'w', version: '1', stage: 'production',
  artifacts: 1, entries: 3, encrypted: false, policy_warnings: [], approvals_needed: 1, publish: null,
};

/** A wizard whose first step is filled in and hashed. */
function filled(s = session): SignWizard {
  const w = new SignWizard(() => s);
  w.addPaths(['/dist/a.tar.gz']);
  w.hashed = [file('a.tar.gz')];
  w.name = ' widget ';
  w.version = '1.0 ';
  w.key = 'alice-release';
  return w;
}

describe('SignWizard: step checks', () => {
  it('step 1 needs the role, an artifact, a name and version, and a key, in that order', () => {
    const refused = new SignWizard(() => sessionAs('ann', ['auditor'], ['release.verify']));
    expect(refused.canCreate).toBe(false);
    expect(refused.validate(STEP.artifacts)?.message).toContain('Needs the release-officer role: you hold auditor');

    const w = new SignWizard(() => session);
    expect(w.validate(STEP.artifacts)).toMatchObject({ code: 'usage', message: 'Add at least one artifact or image.' });
    w.addPaths(['  /dist/a  ', '', '/dist/a']);
    expect(w.paths).toEqual(['/dist/a']);
    expect(w.validate(STEP.artifacts)?.message).toBe('Give the release a name and a version.');
    w.name = 'w';
    w.version = '  ';
    expect(w.validate(STEP.artifacts)?.message).toBe('Give the release a name and a version.');
    w.version = '1';
    expect(w.validate(STEP.artifacts)).toMatchObject({ message: 'Choose the signing key.', remedy: 'create or activate a key on the Keys screen' });
    w.key = 'alice-release';
    expect(w.validate(STEP.artifacts)).toBeNull();
  });

  it('step 1 takes images without files; an image typed but not added holds the wizard', async () => {
    mockBackend({ image_inspect: inspect });
    const w = new SignWizard(() => session);
    Object.assign(w, { name: 'app', version: '1.0', key: 'alice-release' });
    expect(w.validate(STEP.artifacts)?.message).toBe('Add at least one artifact or image.');
    w.imageSource = 'build/app-oci:1.0';
    expect(w.validate(STEP.artifacts)).toMatchObject({
      message: 'The image typed in the Images fields is not added yet.', remedy: 'press Add image, or clear both fields',
    });
    w.imageReference = 'registry.example.com/acme/app';
    expect(await w.addImage()).toBe(true);
    expect([w.imageSource, w.imageReference]).toEqual(['', '']);
    expect(w.paths).toEqual([]);
    expect(w.validate(STEP.artifacts)).toBeNull();
    expect(w.form()).toMatchObject({ artifacts: [], images: [{ reference: 'registry.example.com/acme/app', source: 'build/app-oci:1.0' }] });
    w.removeImage('registry.example.com/acme/app');
    expect(w.validate(STEP.artifacts)?.message).toBe('Add at least one artifact or image.');
  });

  it('SBOM files need at least one file; No SBOM with scanning on is refused at the SBOM and Scan steps', () => {
    const w = filled();
    w.sbomKind = 'files';
    expect(w.validate(STEP.sbom)?.message).toBe('Choose at least one SBOM file, or pick another option.');
    w.sbomFiles = { '/dist/a.tar.gz': ' /sboms/a.json ' };
    expect(w.validate(STEP.sbom)).toBeNull();
    w.sbomKind = 'none';
    expect(w.sbomScanConflict).toBe(true);
    expect(w.validate(STEP.sbom)?.message).toBe(SBOM_SCAN_PROBLEM);
    expect(w.validate(STEP.scan)?.message).toBe(SBOM_SCAN_PROBLEM);
    w.scan = false;
    expect(w.validate(STEP.sbom)).toBeNull();
    expect(w.validate(STEP.scan)).toBeNull();
  });

  it('provenance: a file needs its path; the form needs its fields and a non-empty JSON object of parameters', () => {
    const w = filled();
    expect(w.validate(STEP.provenance)).toBeNull();
    w.provKind = 'file';
    expect(w.validate(STEP.provenance)?.message).toBe('Choose the build metadata file.');
    w.provFile = '/ci/build.json';
    expect(w.validate(STEP.provenance)).toBeNull();
    w.provKind = 'form';
    expect(w.validate(STEP.provenance)?.message).toBe('Fill in builder id, build type, repository and commit.');
    Object.assign(w, { builderId: 'b', buildType: 't', repository: 'r', commit: 'c' });
    expect(w.validate(STEP.provenance)?.message).toBe('The build parameters are empty.');
    for (const bad of ['not json', '[1]', 'null', '"x"']) {
      w.parameters = bad;
      expect(w.validate(STEP.provenance)?.message, bad).toBe('The build parameters are not a JSON object.');
    }
    w.parameters = '{"target": "x86_64"}';
    expect(w.validate(STEP.provenance)).toBeNull();
  });
});

describe('SignWizard: the release form', () => {
  it('trims the inputs and words each choice as the backend takes it', () => {
    const w = filled();
    w.policyPath = ' /policies/extra.rego ';
    expect(w.form()).toEqual({
      name: 'widget', version: '1.0', stage: 'production', key: 'alice-release', artifacts: ['/dist/a.tar.gz'], images: [],
      sbom: { kind: 'auto', format: 'spdx' }, provenance: { kind: 'none' }, scan: true, include_artifacts: true,
      policies: ['/policies/extra.rego'],
    });
    w.provKind = 'form';
    Object.assign(w, { builderId: ' b ', buildType: 't', repository: 'r', commit: 'c', gitRef: '  ', parameters: '{"p": 1}' });
    expect(w.form().provenance).toEqual({ kind: 'form', meta: { builder_id: 'b', build_type: 't', source: { repository: 'r', commit: 'c' }, parameters: { p: 1 } } });
    w.gitRef = ' refs/tags/v1 ';
    expect(w.form().provenance).toMatchObject({ meta: { source: { ref: 'refs/tags/v1' } } });
    w.parameters = '{';
    expect(() => w.form()).toThrow();
    expect(w.currentId).toBeNull();
  });

  it('names the artifact of each SBOM file only when there are several, and leaves out artifacts without one', () => {
    const w = filled();
    w.sbomKind = 'files';
    w.sbomFiles = { '/dist/a.tar.gz': '/s/a.json' };
    expect(w.form().sbom).toEqual({ kind: 'files', files: [{ artifact: null, path: '/s/a.json' }] });
    w.addPaths(['/dist/b.bin', '/dist/c.bin']);
    w.hashed = [file('a.tar.gz'), file('b.bin'), file('c.bin')];
    w.sbomFiles = { ...w.sbomFiles, '/dist/c.bin': '/s/c.json' };
    expect(w.form().sbom).toEqual({ kind: 'files', files: [{ artifact: 'a.tar.gz', path: '/s/a.json' }, { artifact: 'c.bin', path: '/s/c.json' }] });
    // removing a file forgets its hash: it leaves the release
    w.removePath('/dist/a.tar.gz');
    expect(w.paths).toEqual(['/dist/b.bin', '/dist/c.bin']);
    expect(w.form().artifacts).toEqual(['/dist/b.bin', '/dist/c.bin']);
    expect(w.pending).toEqual([]);
    w.addPaths(['/dist/d.bin']);
    expect(w.pending).toEqual(['/dist/d.bin']);
  });

  it('names the one file an SBOM file is for when the release also has an image (an image is an artifact too)', async () => {
    mockBackend({ image_inspect: inspect });
    const w = filled();
    w.sbomKind = 'files';
    w.sbomFiles = { '/dist/a.tar.gz': '/s/a.json' };
    Object.assign(w, { imageSource: 'build/app-oci:1.0', imageReference: 'registry.example.com/acme/app' });
    expect(await w.addImage()).toBe(true);
    expect(w.form().sbom).toEqual({ kind: 'files', files: [{ artifact: 'a.tar.gz', path: '/s/a.json' }] });
  });

  it('carries every image added, as typed, after the files', async () => {
    mockBackend({ image_inspect: (p: Record<string, unknown>) => ({ ...inspect(p), reference: 'docker.io/acme/app' }) });
    const w = filled();
    Object.assign(w, { imageSource: ' build/app-oci:1.0 ', imageReference: ' acme/app ' });
    expect(await w.addImage()).toBe(true);
    Object.assign(w, { imageSource: 'build/db.tar@sha256:' + 'a'.repeat(64), imageReference: 'registry.example.com/acme/db' });
    mockBackend({ image_inspect: inspect });
    expect(await w.addImage()).toBe(true);
    expect(w.form()).toMatchObject({
      artifacts: ['/dist/a.tar.gz'],
      images: [
        { reference: 'acme/app', source: 'build/app-oci:1.0' },
        { reference: 'registry.example.com/acme/db', source: `build/db.tar@sha256:${'a'.repeat(64)}` },
      ],
    });
    w.removeImage('acme/app');
    expect(w.form().images).toEqual([{ reference: 'registry.example.com/acme/db', source: `build/db.tar@sha256:${'a'.repeat(64)}` }]);
  });
});

describe('SignWizard: Next, Back and the step list', () => {
  it('disables Next where the step holds the wizard', () => {
    const refused = new SignWizard(() => sessionAs('ann', ['auditor'], ['release.verify']));
    expect(refused.nextDisabled).toBe(true);

    const w = filled();
    expect(w.nextDisabled).toBe(false);
    w.busy = true;
    expect(w.nextDisabled).toBe(true);
    w.busy = false;

    w.step = STEP.sbom;
    w.sbomKind = 'none';
    expect(w.nextDisabled).toBe(true);
    w.step = STEP.scan;
    expect(w.nextDisabled).toBe(true);
    w.scan = false;
    expect(w.nextDisabled).toBe(false);

    w.step = STEP.policy;
    expect(w.nextDisabled).toBe(true); // no preview yet
    w.preview = preview(false);
    w.previewFor = w.currentId;
    expect(w.nextDisabled).toBe(true); // denied
    w.preview = preview(true);
    expect(w.previewStale).toBe(false);
    expect(w.nextDisabled).toBe(false);
    w.previewing = true;
    expect(w.nextDisabled).toBe(true);
    w.previewing = false;
    w.version = '2.0';
    expect(w.previewStale).toBe(true); // the inputs changed since the check
    expect(w.nextDisabled).toBe(true);
    w.version = '1.0';
    expect(w.nextDisabled).toBe(false);

    w.step = STEP.sign;
    expect(w.nextDisabled).toBe(true);
    w.created = created;
    expect(w.nextDisabled).toBe(false);
    w.step = STEP.export;
    expect(w.nextDisabled).toBe(true); // the last step
  });

  it('locks the steps not reached yet and, once signed, the release inputs', () => {
    const w = filled();
    expect(STEPS.map((_, i) => w.stepLocked(i))).toEqual([false, true, true, true, true, true, true, true]);
    w.reached = STEP.sign;
    expect(STEPS.map((_, i) => w.stepLocked(i))).toEqual([false, false, false, false, false, false, true, true]);
    w.created = created;
    w.reached = STEP.approvals;
    expect(STEPS.map((_, i) => w.stepLocked(i))).toEqual([true, true, true, true, true, false, false, true]);
  });

  it('counts approvals from the preview and the release until an approval reports its own', () => {
    const w = filled();
    w.preview = preview();
    w.created = created; // 1 more needed of 2
    expect([w.approvalsHave, w.required]).toEqual([1, 2]);
    w.approvals = [{ bundle: 'b', bundle_sha256: 'f', manifest_sha256: 'e', key_id: 'k', operator: 'bob', distinct_approvers: 2, required: 3 }];
    expect([w.approvalsHave, w.required]).toEqual([2, 3]);
  });

  it('a new release starts at step 1 without the old files, preview, release or approvals', () => {
    const w = filled();
    const images = [{ form: { reference: 'r/app', source: 'app-oci' }, summary: image('r/app', 'app-oci') }];
    Object.assign(w, { step: STEP.export, reached: STEP.export, images, imageError: 'e', preview: preview(), previewFor: 'x', created, stepError: 'e', previewError: 'e' });
    w.restart();
    expect([w.step, w.reached, w.paths, w.hashed, w.images, w.imageError, w.preview, w.previewFor, w.created, w.approvals, w.exported, w.stepError, w.previewError])
      .toEqual([0, 0, [], [], [], null, null, null, null, [], null, null, null]);
    expect(w.name).toBe(' widget ');
  });
});

describe('SignWizard: calls', () => {
  it('chooses the one active signing key the operator holds, and only that', async () => {
    mockBackend({ list_keys: [key, { ...key, label: 'bob-release', holder: 'bob' }, { ...key, label: 'alice-approve', purpose: 'approver' }] });
    const w = new SignWizard(() => session);
    expect(w.keysLoading).toBe(true);
    await w.loadKeys();
    expect([w.keysLoading, w.key]).toEqual([false, 'alice-release']);
    expect(w.activeKeys.map((k) => k.label)).toEqual(['alice-release', 'bob-release']);
  });

  it('hashes only the paths not hashed yet', async () => {
    const calls = mockBackend({ hash_files: (p: Record<string, unknown>) => (p.paths as string[]).map((x) => ({ ...file(x.slice(6)), path: x })) });
    const w = filled();
    w.addPaths(['/dist/b.bin']);
    expect(await w.hashPending()).toBe(true);
    expect(lastCall(calls, 'hash_files').payload.paths).toEqual(['/dist/b.bin']);
    expect(w.hashed.map((h) => h.path)).toEqual(['/dist/a.tar.gz', '/dist/b.bin']);
    expect(await w.hashPending()).toBe(true);
    expect(calls.filter((c) => c.cmd === 'hash_files')).toHaveLength(1);
  });

  it('adds an image: reads it with image_inspect and lists what the station read', async () => {
    const calls = mockBackend({ image_inspect: inspect });
    const w = filled();
    Object.assign(w, { imageSource: ' build/app-oci:1.0 ', imageReference: ' registry.example.com/acme/app ' });
    const before = w.currentId;
    expect(await w.addImage()).toBe(true);
    expect(lastCall(calls, 'image_inspect').payload).toEqual({ image: { reference: 'registry.example.com/acme/app', source: 'build/app-oci:1.0' } });
    expect(w.images).toEqual([
      { form: { reference: 'registry.example.com/acme/app', source: 'build/app-oci:1.0' }, summary: image('registry.example.com/acme/app', 'build/app-oci:1.0') },
    ]);
    expect([w.imageError, w.inspecting]).toEqual([null, false]);
    // the release changed: a preview made before is stale
    expect(w.currentId).not.toBe(before);
  });

  it('refuses an empty field and a reference already added, before any call; shows a failed read and keeps the fields', async () => {
    const calls = mockBackend({ image_inspect: inspect });
    const w = filled();
    w.imageSource = 'build/app-oci:1.0';
    expect(await w.addImage()).toBe(false);
    expect(w.imageError).toMatchObject({ code: 'usage', message: 'Give the image and its registry reference.' });
    w.imageReference = 'registry.example.com/acme/app';
    expect(await w.addImage()).toBe(true);
    Object.assign(w, { imageSource: 'build/other-oci', imageReference: ' registry.example.com/acme/app' });
    expect(await w.addImage()).toBe(false);
    expect(w.imageError).toMatchObject({
      code: 'usage',
      message: 'The release already has an image for registry.example.com/acme/app.',
      remedy: 'remove that image first to add another under the same reference',
    });
    expect(calls.filter((c) => c.cmd === 'image_inspect')).toHaveLength(1);
    expect(w.images).toHaveLength(1);
    expect(w.imageSource).toBe('build/other-oci');

    // the station writes a reference out in full: the same image under another spelling is refused too
    mockBackend({ image_inspect: (p: Record<string, unknown>) => ({ ...inspect(p), reference: 'registry.example.com/acme/app' }) });
    w.imageReference = 'registry.example.com/acme/app:latest';
    expect(await w.addImage()).toBe(false);
    expect((w.imageError as { message: string }).message).toBe('The release already has an image for registry.example.com/acme/app.');
    expect(w.images).toHaveLength(1);

    mockBackend({ image_inspect: () => { throw ipcError('not_found', 'build/nope: no such image', 'give an OCI layout folder or an image archive'); } });
    Object.assign(w, { imageSource: 'build/nope', imageReference: 'registry.example.com/acme/nope' });
    expect(await w.addImage()).toBe(false);
    expect(w.imageError).toMatchObject({ code: 'not_found', remedy: 'give an OCI layout folder or an image archive' });
    expect([w.imageSource, w.imageReference, w.inspecting]).toEqual(['build/nope', 'registry.example.com/acme/nope', false]);
    expect(w.images).toHaveLength(1);
  });

  it('Next waits while an image is read', async () => {
    let answer: (v: ImageSummary) => void = () => {};
    mockBackend({ image_inspect: () => new Promise<ImageSummary>((r) => (answer = r)) });
    const w = filled();
    Object.assign(w, { imageSource: 'app-oci', imageReference: 'r/app' });
    const adding = w.addImage();
    expect([w.inspecting, w.nextDisabled]).toEqual([true, true]);
    answer(image('r/app', 'app-oci'));
    expect(await adding).toBe(true);
    expect([w.inspecting, w.nextDisabled]).toEqual([false, false]);
  });

  it('previews once per set of inputs, never with No SBOM and scanning on', async () => {
    const calls = mockBackend({ release_preview: preview() });
    const w = filled();
    await w.runPreview();
    await w.runPreview();
    expect(calls.filter((c) => c.cmd === 'release_preview')).toHaveLength(1);
    expect(w.previewStale).toBe(false);
    w.stage = 'staging';
    expect(w.previewStale).toBe(true);
    await w.runPreview();
    expect(calls.filter((c) => c.cmd === 'release_preview')).toHaveLength(2);
    expect((lastCall(calls, 'release_preview').payload.req as { stage: string }).stage).toBe('staging');
    w.sbomKind = 'none';
    await w.runPreview();
    expect(calls.filter((c) => c.cmd === 'release_preview')).toHaveLength(2);
  });
});
