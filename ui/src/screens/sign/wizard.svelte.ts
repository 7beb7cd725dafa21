// The Sign wizard's one state: every field of every step, what follows from them (the release
// form, each step's check, whether Next may go on, which steps are locked) and the calls that fill
// them (the key list, hashing, reading a container image, the policy preview). The step components
// in this folder read and bind its fields; Sign.svelte moves between the steps and signs.
// No secret is ever kept here: a PIN or passphrase goes from its dialog straight to one call.
import { refusal } from '../../lib/refusal';
import * as api from '../../lib/backend';
import { initialProgress, reduceProgress, startProgress, type ProgressState } from '../../lib/progress';
import { may, roleNote } from '../../lib/roles';
import type {
  Approved,
  Exported,
  HashedFile,
  ImageForm,
  ImageSummary,
  IpcError,
  KeyInfo,
  ProvenanceChoice,
  ReleaseCreated,
  ReleaseForm,
  ReleasePreview,
  SbomChoice,
  SessionInfo,
  Stage,
} from '../../lib/types';

export const STEPS = ['Artifacts', 'SBOM', 'Scan', 'Provenance', 'Policy', 'Sign', 'Approvals', 'Export'] as const;
export type StepName = (typeof STEPS)[number];

/** Each step's index in `STEPS` (the wizard's `step`; the page shows it 1-based). */
export const STEP = {
  artifacts: 0,
  sbom: 1,
  scan: 2,
  provenance: 3,
  policy: 4,
  sign: 5,
  approvals: 6,
  export: 7,
} as const satisfies Record<string, number>;

/** Entering Provenance or a later step computes the policy preview (until the release is signed). */
export const PREVIEW_FROM = STEP.provenance;

export type SbomKind = 'auto' | 'files' | 'none';
export type SbomFormat = 'spdx' | 'cyclonedx';
export type ProvenanceKind = 'none' | 'file' | 'form';

/** Scanning reads the SBOM: with "No SBOM" and scanning on there is nothing to scan. */
export const SBOM_SCAN_PROBLEM = 'Scanning needs an SBOM: choose Generate or give the SBOM file, or turn scanning off.';

/** A refusal shaped like the backend's errors, for an ErrorBox or a dialog. */
export const bad = refusal;

export class SignWizard {
  readonly #session: () => SessionInfo;

  /** @param session the current session (its roles decide whether a release may be made) */
  constructor(session: () => SessionInfo) {
    this.#session = session;
  }

  // Where the wizard is: the step shown and the furthest step reached.
  step = $state(0);
  reached = $state(0);
  /** Hashing or exporting: the wizard's buttons wait. */
  busy = $state(false);
  /** Why the wizard did not go on (shown under the step). */
  stepError = $state<unknown>(null);

  // 1. Artifacts: the files and container images, the release's name, version and stage, and the signing key.
  keys = $state<KeyInfo[]>([]);
  keysError = $state<unknown>(null);
  keysLoading = $state(true);
  paths = $state<string[]>([]);
  /** The path typed in the Add field, not yet added. */
  newPath = $state('');
  hashed = $state<HashedFile[]>([]);
  hashProgress = $state<ProgressState>(initialProgress());
  /** The image typed in the Images fields, not added yet: its source and its registry reference. */
  imageSource = $state('');
  imageReference = $state('');
  /** The images added: each as typed (what the release form sends) and as the station read it. */
  images = $state<{ form: ImageForm; summary: ImageSummary }[]>([]);
  /** Reading an image: its Add button waits. */
  inspecting = $state(false);
  /** Why the last image was not added (shown under the Images fields). */
  imageError = $state<unknown>(null);
  name = $state('');
  version = $state('');
  stage = $state<Stage>('production');
  /** The signing key's label. */
  key = $state('');
  includeArtifacts = $state(true);

  // 2. SBOM: generated, one file per artifact (by path), or none.
  sbomKind = $state<SbomKind>('auto');
  sbomFormat = $state<SbomFormat>('spdx');
  sbomFiles = $state<Record<string, string>>({});

  // 3. Scan
  scan = $state(true);

  // 4. Provenance: none, a build metadata file, or the form's fields.
  provKind = $state<ProvenanceKind>('none');
  provFile = $state('');
  builderId = $state('');
  buildType = $state('');
  repository = $state('');
  commit = $state('');
  gitRef = $state('');
  /** The build parameters as typed: a JSON object. */
  parameters = $state('{}');

  // 5. Policy: an extra policy module, and the preview of the release (for the inputs in `previewFor`).
  policyPath = $state('');
  preview = $state<ReleasePreview | null>(null);
  previewFor = $state<string | null>(null);
  previewError = $state<unknown>(null);
  previewProgress = $state<ProgressState>(initialProgress());
  previewing = $state(false);

  // 6. Sign
  signOpen = $state(false);
  signProgress = $state<ProgressState>(initialProgress());
  created = $state<ReleaseCreated | null>(null);

  // 7. Approvals: the approver's name and key (their passphrase lives only in the approve dialog).
  approveOperator = $state('');
  approveKey = $state('');
  approveOpen = $state(false);
  approveProblem = $state<string | null>(null);
  approvals = $state<Approved[]>([]);
  approveProgress = $state<ProgressState>(initialProgress());

  // 8. Export
  exportFolder = $state('');
  /** age recipients, one per line. */
  recipients = $state('');
  exported = $state<Exported | null>(null);
  exportError = $state<unknown>(null);
  /** The existing file an export would replace, while the person is asked. */
  replacePath = $state<string | null>(null);
  exportNotice = $state<string | null>(null);

  // Making a release needs the release-officer role; without it the wizard says so and stays put.
  // (`$derived.by`: the session getter is set in the constructor, after the fields; a derived runs when read.)
  canCreate = $derived.by(() => may(this.#session(), 'release.create'));
  createNote = $derived.by(() => roleNote(this.#session(), 'release.create'));

  /** Only keys made to sign releases: approver, custodian and audit keys sign nothing else. */
  activeKeys = $derived(this.keys.filter((k) => k.status === 'active' && k.purpose === 'signer'));
  chosenKey = $derived(this.keys.find((k) => k.label === this.key) ?? null);
  approveKeyInfo = $derived(this.keys.find((k) => k.label === this.approveKey) ?? null);
  /** Added paths not hashed yet. */
  pending = $derived(this.paths.filter((p) => !this.hashed.some((h) => h.path === p)));
  required = $derived(this.approvals.at(-1)?.required ?? this.preview?.approvals_required ?? 0);
  approvalsHave = $derived(
    this.approvals.at(-1)?.distinct_approvers ??
      (this.created ? Math.max(0, (this.preview?.approvals_required ?? 0) - this.created.approvals_needed) : 0),
  );
  sbomScanConflict = $derived(this.sbomKind === 'none' && this.scan);

  /** The release form as it stands (null while the build parameters are not JSON). */
  currentId = $derived.by(() => {
    try {
      return JSON.stringify(this.form());
    } catch {
      return null;
    }
  });
  /** The preview shown was made for other inputs. */
  previewStale = $derived(this.preview !== null && this.previewFor !== this.currentId);

  /** Next waits (busy, previewing, the last step) or the step holds the wizard until something changes. */
  nextDisabled = $derived(
    this.busy ||
      this.inspecting ||
      this.previewing ||
      this.step === STEPS.length - 1 ||
      (this.step === STEP.artifacts && !this.canCreate) ||
      ((this.step === STEP.sbom || this.step === STEP.scan) && this.sbomScanConflict) ||
      (this.step === STEP.policy && (!(this.preview?.policy.allowed ?? false) || this.previewStale)) ||
      (this.step === STEP.sign && !this.created),
  );

  /** Step `i` cannot be chosen: not reached yet, or an input of a release already signed. */
  stepLocked(i: number): boolean {
    if (i > this.reached) return true;
    return this.created !== null && i < STEP.sign;
  }

  addPaths(ps: string[]) {
    for (const p of ps.map((x) => x.trim()).filter(Boolean)) if (!this.paths.includes(p)) this.paths = [...this.paths, p];
  }

  removePath(p: string) {
    this.paths = this.paths.filter((x) => x !== p);
    this.hashed = this.hashed.filter((h) => h.path !== p);
  }

  /**
   * Reads the image typed in the Images fields and adds it; false (with `imageError` set) when it
   * was refused: a field empty, its reference already in the release, or the station could not read it.
   */
  async addImage(): Promise<boolean> {
    const form: ImageForm = { reference: this.imageReference.trim(), source: this.imageSource.trim() };
    this.imageError = null;
    if (!form.source || !form.reference) {
      this.imageError = bad('Give the image and its registry reference.', 'e.g. build/app-oci:1.0 and registry.example.com/acme/app');
      return false;
    }
    const taken = (reference: string) => this.images.some((i) => i.form.reference === reference || i.summary.reference === reference);
    const twice = (reference: string) =>
      bad(`The release already has an image for ${reference}.`, 'remove that image first to add another under the same reference');
    if (taken(form.reference)) {
      this.imageError = twice(form.reference);
      return false;
    }
    this.inspecting = true;
    try {
      const summary = await api.imageInspect(form);
      // the station may write the reference out in full (a default registry or path)
      if (taken(summary.reference)) {
        this.imageError = twice(summary.reference);
        return false;
      }
      this.images = [...this.images, { form, summary }];
      this.imageSource = '';
      this.imageReference = '';
      return true;
    } catch (e) {
      this.imageError = e;
      return false;
    } finally {
      this.inspecting = false;
    }
  }

  removeImage(reference: string) {
    this.images = this.images.filter((i) => i.form.reference !== reference);
  }

  sbomChoice(): SbomChoice {
    if (this.sbomKind === 'auto') return { kind: 'auto', format: this.sbomFormat };
    if (this.sbomKind === 'none') return { kind: 'none' };
    const files = this.sbomFiles;
    return {
      kind: 'files',
      files: this.hashed
        .filter((h) => (files[h.path] ?? '').trim())
        // an image is an artifact too: a file's SBOM names it unless the file is the only artifact
        .map((h) => ({ artifact: this.hashed.length === 1 && this.images.length === 0 ? null : h.name, path: files[h.path].trim() })),
    };
  }

  /** Throws when the form's build parameters are not JSON. */
  provenanceChoice(): ProvenanceChoice {
    if (this.provKind === 'file') return { kind: 'file', path: this.provFile.trim() };
    if (this.provKind === 'form') {
      const ref = this.gitRef.trim();
      return {
        kind: 'form',
        meta: {
          builder_id: this.builderId.trim(),
          build_type: this.buildType.trim(),
          source: { repository: this.repository.trim(), commit: this.commit.trim(), ...(ref ? { ref } : {}) },
          parameters: JSON.parse(this.parameters || '{}'),
        },
      };
    }
    return { kind: 'none' };
  }

  /** What the preview and the signing call get. Throws when the build parameters are not JSON. */
  form(): ReleaseForm {
    const policy = this.policyPath.trim();
    return {
      name: this.name.trim(),
      version: this.version.trim(),
      stage: this.stage,
      key: this.key,
      artifacts: this.hashed.map((h) => h.path),
      images: this.images.map((i) => i.form),
      sbom: this.sbomChoice(),
      provenance: this.provenanceChoice(),
      scan: this.scan,
      include_artifacts: this.includeArtifacts,
      policies: policy ? [policy] : [],
    };
  }

  /** Checks step `i`'s inputs; returns the error to show, or null when the wizard may go on. */
  validate(i: number): IpcError | null {
    if (i === STEP.artifacts) {
      if (!this.canCreate) return bad(this.createNote ?? 'Your roles do not allow making a release.');
      if (this.imageSource.trim() || this.imageReference.trim()) {
        return bad('The image typed in the Images fields is not added yet.', 'press Add image, or clear both fields');
      }
      if (this.paths.length === 0 && this.images.length === 0) {
        return bad('Add at least one artifact or image.', 'drop files here or type a path and press Add, or add a container image');
      }
      if (!this.name.trim() || !this.version.trim()) return bad('Give the release a name and a version.');
      if (!this.key) return bad('Choose the signing key.', 'create or activate a key on the Keys screen');
    }
    if (i === STEP.sbom && this.sbomKind === 'files' && this.hashed.every((h) => !(this.sbomFiles[h.path] ?? '').trim())) {
      return bad('Choose at least one SBOM file, or pick another option.');
    }
    if ((i === STEP.sbom || i === STEP.scan) && this.sbomScanConflict) return bad(SBOM_SCAN_PROBLEM);
    if (i === STEP.provenance) {
      if (this.provKind === 'file' && !this.provFile.trim()) return bad('Choose the build metadata file.');
      if (this.provKind === 'form') {
        if (!this.builderId.trim() || !this.buildType.trim() || !this.repository.trim() || !this.commit.trim()) {
          return bad('Fill in builder id, build type, repository and commit.');
        }
        try {
          const v = JSON.parse(this.parameters || '{}');
          if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
          if (Object.keys(v).length === 0) return bad('The build parameters are empty.', 'give at least one, e.g. {"profile": "release"}');
        } catch {
          return bad('The build parameters are not a JSON object.', 'write them as {"key": "value"}');
        }
      }
    }
    return null;
  }

  /** Lists the keys; the default is the one active signing key this operator holds (with none or several, they choose). */
  async loadKeys() {
    try {
      this.keys = await api.listKeys();
      const operator = this.#session().operator;
      const mine = this.keys.filter((k) => k.status === 'active' && k.purpose === 'signer' && k.holder === operator);
      if (mine.length === 1 && !this.key) this.key = mine[0].label;
    } catch (e) {
      this.keysError = e;
    } finally {
      this.keysLoading = false;
    }
  }

  /** Hashes the paths not hashed yet; false (with the error shown) when that failed. */
  async hashPending(): Promise<boolean> {
    if (this.pending.length === 0) return true;
    this.busy = true;
    this.hashProgress = startProgress();
    try {
      const got = await api.hashFiles(this.pending, (p) => {
        this.hashProgress = reduceProgress(this.hashProgress, p);
      });
      const others = this.hashed.filter((h) => !got.some((g) => g.path === h.path));
      this.hashed = [...others, ...got];
      return true;
    } catch (e) {
      this.stepError = e;
      return false;
    } finally {
      this.busy = false;
      this.hashProgress = { ...this.hashProgress, active: false };
    }
  }

  /** Asks the station what the policy says about the release as it stands (once per set of inputs). */
  async runPreview() {
    if (this.sbomScanConflict) return;
    let req: ReleaseForm;
    try {
      req = this.form();
    } catch (e) {
      this.previewError = e;
      return;
    }
    const id = JSON.stringify(req);
    if (this.preview && this.previewFor === id) return;
    this.previewing = true;
    this.previewError = null;
    this.previewProgress = startProgress();
    try {
      this.preview = await api.releasePreview(req, (p) => {
        this.previewProgress = reduceProgress(this.previewProgress, p);
      });
      this.previewFor = id;
    } catch (e) {
      this.preview = null;
      this.previewFor = null;
      this.previewError = e;
    } finally {
      this.previewing = false;
      this.previewProgress = { ...this.previewProgress, active: false };
    }
  }

  /** Back to step 1 for another release: the files, images, preview, release and its approvals go; names stay. */
  restart() {
    this.step = 0;
    this.reached = 0;
    this.paths = [];
    this.hashed = [];
    this.images = [];
    this.imageError = null;
    this.preview = null;
    this.previewFor = null;
    this.created = null;
    this.approvals = [];
    this.exported = null;
    this.stepError = null;
    this.previewError = null;
  }
}
