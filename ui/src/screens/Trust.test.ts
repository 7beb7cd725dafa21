import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { existsError, ipcError, lastCall, mockBackend, OFFICER_MAY, pending, session, sessionAs } from '../test/ipc';
import Trust from './Trust.svelte';

const emptyListing = { keys: [], revocations: [], policy_modules: [], policy_data: null };
const tk = (name: string, state = 'active') => ({
  name, key_id: `SHA256:${name}=`, algorithm: 'ecdsa-p256', purpose: 'approver', holder: 'bob', stages: ['production'],
  not_before: null, not_after: '2027-01-01T00:00:00Z', added_at: '2025-01-01T00:00:00Z', added_by: 'alice', state,
  revoked_at: state === 'revoked' ? '2025-06-01T00:00:00Z' : null, revocation_reason: state === 'revoked' ? 'key compromise' : null,
  public_key_pem: '-----BEGIN PUBLIC KEY-----',
});
const custodianKey = { label: 'custody', key_id: 'k', algorithm: 'ed25519', backend: 'software', status: 'active', purpose: 'custodian', created: '', uri: null, attributes: {} };
const signerKey = { ...custodianKey, label: 'release', purpose: 'signer' };
const part = (kind: string, uri: string, name: string, valid_from: string, valid_until: string | null = null) => ({ kind, uri, name, valid_from, valid_until });
const rootInfo = (name: string, parts: ReturnType<typeof part>[]) => ({ name, sha256: '9'.repeat(64), added_at: '2025-04-01T08:00:00Z', added_by: 'alice', parts });
const publicGood = rootInfo('public-good', [
  part('fulcio', 'https://fulcio.sigstore.dev', 'sigstore.dev / sigstore', '2022-04-13T20:06:15Z', '2022-10-31T23:59:59Z'),
  part('fulcio', 'https://fulcio.sigstore.dev', 'sigstore.dev / sigstore', '2022-10-31T23:59:59Z'),
  part('tlog', 'https://rekor.sigstore.dev', 'PKIX_ECDSA_P256_SHA_256', '2021-01-12T11:53:27Z'),
  part('ctlog', 'https://ctfe.sigstore.dev/2022', 'PKIX_ECDSA_P256_SHA_256', '2022-10-20T00:00:00Z'),
  part('tsa', 'https://timestamp.sigstore.dev/api/v1/timestamp', 'sigstore.dev / sigstore-tsa-selfsigned', '2025-04-09T00:00:00Z'),
]);

describe('Trust screen', () => {
  it('loading', () => {
    mockBackend({ trust_list: pending, list_keys: [] });
    render(Trust, { session });
    expect(screen.getByTestId('loading')).toBeTruthy();
  });

  it('empty', async () => {
    mockBackend({ trust_list: emptyListing, list_keys: [] });
    render(Trust, { session });
    await waitFor(() => expect(screen.getByTestId('trust-keys').textContent).toContain('No trusted keys yet'));
    expect(screen.getByTestId('trust-revocations').textContent).toContain('No revocations');
    expect(screen.getByTestId('trust-policies').textContent).toContain('built-in');
  });

  it('error', async () => {
    mockBackend({ trust_list: () => { throw ipcError('forbidden', 'only a custodian or auditor may list trust', 'log in as a custodian'); }, list_keys: [] });
    render(Trust, { session });
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('log in as a custodian'));
  });

  it('success: keys with state, purpose, holder, stages, validity; revocations; policy modules add/remove', async () => {
    const calls = mockBackend({
      trust_list: { keys: [tk('alice-release'), tk('mallory', 'revoked')], revocations: [{ key_id: 'SHA256:mallory=', name: 'mallory', revoked_at: '2025-06-01T00:00:00Z', reason: 'key compromise' }], policy_modules: ['extra.rego'], policy_data: {} },
      list_keys: [custodianKey],
      trust_policy_add: { policy_modules: ['extra.rego', 'sbom.rego'], policy_data: {} },
      trust_policy_remove: { policy_modules: ['sbom.rego'], policy_data: {} },
    });
    render(Trust, { session });
    await waitFor(() => expect(screen.getByTestId('trust-keys')).toBeTruthy());
    const alice = screen.getByTestId('trust-key-alice-release').textContent!;
    expect(alice).toContain('active');
    expect(screen.getByTestId('trust-purpose-alice-release').textContent).toBe('approver');
    expect(screen.getByTestId('trust-holder-alice-release').textContent).toBe('bob');
    expect(alice).toContain('production');
    expect(alice).toContain('2027-01-01');
    expect(screen.getByTestId('trust-key-mallory').textContent).toContain('key compromise');
    expect(screen.getByTestId('trust-revocations').textContent).toContain('mallory');
    await fireEvent.input(screen.getByTestId('policy-add-path'), { target: { value: '/policies/sbom.rego' } });
    await fireEvent.click(screen.getByTestId('policy-add-button'));
    await waitFor(() => expect(screen.getByTestId('trust-policies').textContent).toContain('sbom.rego'));
    expect(lastCall(calls, 'trust_policy_add').payload).toEqual({ path: '/policies/sbom.rego', consent: null });
    await fireEvent.click(screen.getByTestId('policy-remove-extra.rego'));
    await waitFor(() => expect(screen.getByTestId('trust-policies').textContent).not.toContain('extra.rego'));
    expect(lastCall(calls, 'trust_policy_remove').payload).toEqual({ name: 'extra.rego', consent: null });
  });

  it('imports a package and shows an import error with its remedy', async () => {
    let n = 0;
    const calls = mockBackend({
      trust_list: emptyListing,
      list_keys: [],
      trust_import: () => {
        n++;
        if (n === 1) throw ipcError('rejected', 'the package is signed by an unknown key', 'add the issuer’s key first with --roles custodian');
        return { sha256: 'a', issuer: 'hq', issued_at: '2025-05-01', signer_key_ids: ['k', 'l'], holders: ['ann', 'hq'], threshold: 2, keys: 3, revocations: 1, policy_modules: 0, kept_revocations: 0 };
      },
    });
    render(Trust, { session });
    await waitFor(() => expect(screen.getByTestId('trust-import-path')).toBeTruthy());
    await fireEvent.input(screen.getByTestId('trust-import-path'), { target: { value: '/media/usb/trust.json' } });
    await fireEvent.click(screen.getByTestId('trust-import'));
    await waitFor(() => expect(screen.getByTestId('trust-import-error').textContent).toContain('add the issuer’s key first'));
    await fireEvent.click(screen.getByTestId('trust-import'));
    await waitFor(() => expect(screen.getByTestId('trust-import-result').textContent).toContain('Imported 3 keys'));
    expect(screen.getByTestId('trust-import-result').textContent).toContain('signed by ann, hq. The next package needs 2 custodian signatures');
    expect(lastCall(calls, 'trust_import').payload).toEqual({ path: '/media/usb/trust.json' });
  });

  it('exports a package signed with the custodian key; a partial one says what it still needs', async () => {
    const calls = mockBackend({
      trust_list: emptyListing,
      list_keys: [signerKey, custodianKey],
      trust_export: { path: '/out/trust.json', sha256: 'b'.repeat(64), signer_key_ids: ['k'], holders: ['admin'], threshold: 2, issued_at: 'now', keys: 2, revocations: 0, policy_modules: 0 },
    });
    render(Trust, { session });
    await waitFor(() => expect(screen.getByTestId('trust-export-key').textContent).toContain('custody'));
    // Only custodian keys are offered.
    expect(screen.getByTestId('trust-export-key').textContent).not.toContain('release');
    await fireEvent.input(screen.getByTestId('trust-export-path'), { target: { value: '/out/trust.json' } });
    await fireEvent.click(screen.getByTestId('trust-export-button'));
    const input = screen.getByTestId('secret-input') as HTMLInputElement;
    await fireEvent.input(input, { target: { value: 'custodian passphrase' } });
    await fireEvent.click(screen.getByTestId('secret-submit'));
    await waitFor(() => expect(screen.getByTestId('trust-export-result').textContent).toContain('/out/trust.json'));
    expect(lastCall(calls, 'trust_export').payload).toEqual({ key: 'custody', output: '/out/trust.json', secret: 'custodian passphrase', overwrite: false });
    expect(input.value).toBe('');
    expect(screen.getByTestId('trust-export-result').textContent).toContain('needs 1 more custodian signature(s)');
  });

  it('adds a trusted key from a PEM with its purpose, holder, stages and a custodian consent', async () => {
    const calls = mockBackend({ trust_list: emptyListing, list_keys: [], trust_add: tk('bob-approve') });
    render(Trust, { session });
    await waitFor(() => expect(screen.getByTestId('trust-add-pem')).toBeTruthy());
    await fireEvent.input(screen.getByTestId('trust-add-pem'), { target: { value: '/keys/bob.pem' } });
    await fireEvent.input(screen.getByTestId('trust-add-name'), { target: { value: 'bob-approve' } });
    await fireEvent.click(screen.getByTestId('trust-add-purpose-approver'));
    await fireEvent.click(screen.getByTestId('trust-add-stage-production'));
    // Without a holder: refused before anything is sent.
    await fireEvent.click(screen.getByTestId('trust-add-button'));
    await waitFor(() => expect(screen.getByTestId('trust-add-error').textContent).toContain('holds the key'));
    await fireEvent.input(screen.getByTestId('trust-add-holder'), { target: { value: 'bob' } });
    await fireEvent.input(screen.getByTestId('consent-name'), { target: { value: 'carol' } });
    const consent = screen.getByTestId('consent-passphrase') as HTMLInputElement;
    await fireEvent.input(consent, { target: { value: 'carol passphrase' } });
    await fireEvent.click(screen.getByTestId('trust-add-button'));
    await waitFor(() => expect(screen.getByTestId('trust-add-result').textContent).toContain('held by bob'));
    expect(lastCall(calls, 'trust_add').payload).toEqual({
      pemPath: '/keys/bob.pem', name: 'bob-approve', purpose: 'approver', holder: 'bob', stages: ['production'],
      consent: { name: 'carol', passphrase: 'carol passphrase' },
    });
    // The consenting custodian's passphrase does not stay in the window.
    expect(consent.value).toBe('');
  });

  it('tests a policy against a bundle and shows the policy checks', async () => {
    const calls = mockBackend({
      trust_list: emptyListing,
      list_keys: [],
      verify_bundle: {
        bundle: '/b.zip', bundle_sha256: '', manifest_sha256: '', release: null, artifacts: [], signatures: [],
        approvals: { distinct_keys: 0, distinct_holders: 0, distinct_approvers: 0, required: 0 },
        checks: [
          { id: 'manifest', outcome: 'pass', detail: 'ok' },
          { id: 'policy', outcome: 'fail', detail: 'deny: artifacts must be under 100 MiB (sizes.rego)' },
        ],
        verdict: 'fail', verified: false, trust_source: 'station', trust_package: null,
        checked_by: { operator: 'alice', station: 'st-1' }, evidence: [], checked_at: '', tool: '',
      },
    });
    render(Trust, { session });
    await waitFor(() => expect(screen.getByTestId('policy-test-bundle')).toBeTruthy());
    await fireEvent.input(screen.getByTestId('policy-test-bundle'), { target: { value: '/b.zip' } });
    await fireEvent.input(screen.getByTestId('policy-test-path'), { target: { value: '/p/sizes.rego' } });
    await fireEvent.click(screen.getByTestId('policy-test-button'));
    await waitFor(() => expect(screen.getByTestId('policy-test-result').textContent).toContain('artifacts must be under 100 MiB'));
    expect(screen.getByTestId('policy-test-result').textContent).toContain('FAIL');
    expect(screen.getByTestId('policy-test-result').textContent).not.toContain('manifest');
    expect(lastCall(calls, 'verify_bundle').payload).toMatchObject({ bundle: '/b.zip', policies: ['/p/sizes.rego'], artifactsDir: null, passphrase: null });
  });

  it('replacing an existing package file: asked, then the key secret is asked again and sent with overwrite', async () => {
    const calls = mockBackend({
      trust_list: emptyListing,
      list_keys: [custodianKey],
      trust_export: (p: Record<string, unknown>) => {
        if (!p.overwrite) throw existsError(p.output as string);
        return { path: p.output, sha256: 'b'.repeat(64), signer_key_ids: ['k'], holders: ['admin'], threshold: 1, issued_at: 'now', keys: 2, revocations: 0, policy_modules: 0 };
      },
    });
    render(Trust, { session });
    await waitFor(() => expect(screen.getByTestId('trust-export-key').textContent).toContain('custody'));
    await fireEvent.input(screen.getByTestId('trust-export-path'), { target: { value: '/out/trust.json' } });
    // first: cancel the replacement; nothing is written
    await fireEvent.click(screen.getByTestId('trust-export-button'));
    await fireEvent.input(screen.getByTestId('secret-input'), { target: { value: 'custodian passphrase' } });
    await fireEvent.click(screen.getByTestId('secret-submit'));
    await waitFor(() => expect(screen.getByTestId('replace-dialog').textContent).toContain('Replace /out/trust.json?'));
    expect(screen.queryByTestId('trust-export-dialog')).toBeNull();
    await fireEvent.click(screen.getByTestId('confirm-cancel'));
    expect(screen.getByTestId('trust-export-notice').textContent).toContain('Nothing was written');
    expect(screen.queryByTestId('trust-export-dialog')).toBeNull();
    // then: replace, and the secret is asked again
    await fireEvent.click(screen.getByTestId('trust-export-button'));
    await fireEvent.input(screen.getByTestId('secret-input'), { target: { value: 'custodian passphrase' } });
    await fireEvent.click(screen.getByTestId('secret-submit'));
    await waitFor(() => expect(screen.getByTestId('replace-dialog')).toBeTruthy());
    expect(screen.getByTestId('confirm-ok').textContent).toBe('Replace');
    await fireEvent.click(screen.getByTestId('confirm-ok'));
    await waitFor(() => expect(screen.getByTestId('trust-export-dialog')).toBeTruthy());
    const input = screen.getByTestId('secret-input') as HTMLInputElement;
    expect(input.value).toBe('');
    await fireEvent.input(input, { target: { value: 'custodian passphrase' } });
    await fireEvent.click(screen.getByTestId('secret-submit'));
    await waitFor(() => expect(screen.getByTestId('trust-export-result').textContent).toContain('/out/trust.json'));
    expect(lastCall(calls, 'trust_export').payload).toEqual({ key: 'custody', output: '/out/trust.json', secret: 'custodian passphrase', overwrite: true });
    expect(calls.filter((c) => c.cmd === 'trust_export').map((c) => c.payload.overwrite)).toEqual([false, false, true]);
  });

  it('the consent passphrase is cleared after every attempt, even one refused before sending, and on Forget', async () => {
    const calls = mockBackend({ trust_list: emptyListing, list_keys: [] });
    render(Trust, { session });
    await waitFor(() => expect(screen.getByTestId('trust-add-pem')).toBeTruthy());
    const consent = screen.getByTestId('consent-passphrase') as HTMLInputElement;
    await fireEvent.input(consent, { target: { value: 'carol passphrase' } });
    await fireEvent.click(screen.getByTestId('trust-add-button'));
    await waitFor(() => expect(screen.getByTestId('trust-add-error')).toBeTruthy());
    expect(consent.value).toBe('');
    await fireEvent.input(consent, { target: { value: 'carol passphrase' } });
    await fireEvent.click(screen.getByTestId('policy-add-button'));
    await waitFor(() => expect(consent.value).toBe(''));
    await fireEvent.input(consent, { target: { value: 'carol passphrase' } });
    await fireEvent.click(screen.getByTestId('consent-clear'));
    await waitFor(() => expect(consent.value).toBe(''));
    expect(calls.some((c) => c.cmd === 'trust_add' || c.cmd === 'trust_policy_add')).toBe(false);
  });

  it('an operator without trust.change sees the changes disabled, with the reason', async () => {
    mockBackend({ trust_list: { ...emptyListing, policy_modules: ['extra.rego'], roots: [publicGood] }, list_keys: [] });
    render(Trust, { session: sessionAs('rob', ['release-officer'], OFFICER_MAY) });
    await waitFor(() => expect(screen.getByTestId('trust-add-pem')).toBeTruthy());
    expect(screen.getByTestId('role-note').textContent).toContain('Needs the custodian role: you hold release-officer');
    for (const id of ['trust-add-button', 'policy-add-button', 'policy-remove-extra.rego', 'trust-import', 'trust-export-button', 'trust-root-import', 'trust-root-remove-public-good']) {
      expect((screen.getByTestId(id) as HTMLButtonElement).disabled, id).toBe(true);
    }
    // testing a policy is open to all
    expect((screen.getByTestId('policy-test-button') as HTMLButtonElement).disabled).toBe(false);
  });
  it('Sigstore trusted roots: each with its digest, who added it, and its authorities and logs', async () => {
    mockBackend({ trust_list: { ...emptyListing, roots: [publicGood, rootInfo('github', [])] }, list_keys: [] });
    render(Trust, { session });
    await waitFor(() => expect(screen.getByTestId('trust-root-public-good')).toBeTruthy());
    const block = screen.getByTestId('trust-root-public-good');
    expect(block.textContent).toContain('added 2025-04-01T08:00:00Z by alice');
    const sha = screen.getByTestId('trust-root-sha-public-good');
    expect(sha.textContent).toBe(`${'9'.repeat(16)}…`);
    expect(sha.getAttribute('title')).toBe('9'.repeat(64));
    const rows = [...screen.getByTestId('trust-root-parts-public-good').querySelectorAll('tbody tr')].map((tr) =>
      [...tr.querySelectorAll('td')].map((td) => td.textContent?.trim()),
    );
    expect(rows).toEqual([
      ['fulcio certificate authority', 'https://fulcio.sigstore.dev', 'sigstore.dev / sigstore', '2022-04-13T20:06:15Z', '2022-10-31T23:59:59Z'],
      ['fulcio certificate authority', 'https://fulcio.sigstore.dev', 'sigstore.dev / sigstore', '2022-10-31T23:59:59Z', 'in use'],
      ['tlog transparency log', 'https://rekor.sigstore.dev', 'PKIX_ECDSA_P256_SHA_256', '2021-01-12T11:53:27Z', 'in use'],
      ['ctlog certificate transparency log', 'https://ctfe.sigstore.dev/2022', 'PKIX_ECDSA_P256_SHA_256', '2022-10-20T00:00:00Z', 'in use'],
      ['tsa timestamp authority', 'https://timestamp.sigstore.dev/api/v1/timestamp', 'sigstore.dev / sigstore-tsa-selfsigned', '2025-04-09T00:00:00Z', 'in use'],
    ]);
    expect(screen.getByTestId('trust-root-github').textContent).toContain('could not be read');
  });

  it('no Sigstore root yet (also from a listing without roots) says so', async () => {
    mockBackend({ trust_list: emptyListing, list_keys: [] });
    render(Trust, { session });
    await waitFor(() => expect(screen.getByTestId('trust-roots').textContent).toContain('No Sigstore trusted root yet'));
  });

  it('imports a root by path and name, with the consent, and lists it; a refusal shows its remedy', async () => {
    let n = 0;
    const calls = mockBackend({
      trust_list: { ...emptyListing, roots: [] },
      list_keys: [],
      trust_root_import: () => {
        n++;
        if (n === 1) throw ipcError('usage', '"public good" is not a trusted root name', "use 1 to 64 letters, digits, '.', '_' or '-'");
        return publicGood;
      },
    });
    render(Trust, { session });
    await waitFor(() => expect(screen.getByTestId('trust-root-path')).toBeTruthy());
    // Without a name: refused before anything is sent.
    await fireEvent.input(screen.getByTestId('trust-root-path'), { target: { value: ' /media/usb/trusted_root.json ' } });
    await fireEvent.click(screen.getByTestId('trust-root-import'));
    expect(screen.getByTestId('trust-root-error').textContent).toContain('give the root a name');
    expect(calls.some((c) => c.cmd === 'trust_root_import')).toBe(false);
    await fireEvent.input(screen.getByTestId('trust-root-name'), { target: { value: 'public good' } });
    await fireEvent.click(screen.getByTestId('trust-root-import'));
    await waitFor(() => expect(screen.getByTestId('trust-root-error-remedy').textContent).toContain('letters, digits'));
    expect(lastCall(calls, 'trust_root_import').payload).toEqual({ path: '/media/usb/trusted_root.json', name: 'public good', consent: null });
    await fireEvent.input(screen.getByTestId('trust-root-name'), { target: { value: 'public-good' } });
    await fireEvent.input(screen.getByTestId('consent-name'), { target: { value: 'carol' } });
    const consent = screen.getByTestId('consent-passphrase') as HTMLInputElement;
    await fireEvent.input(consent, { target: { value: 'carol passphrase' } });
    await fireEvent.click(screen.getByTestId('trust-root-import'));
    await waitFor(() => expect(screen.getByTestId('trust-root-result').textContent).toContain('Now trusting the Sigstore root public-good'));
    expect(screen.getByTestId('trust-root-result').textContent).toContain(
      '2 certificate authorities, 1 transparency log, 1 CT log and 1 timestamp authority',
    );
    expect(lastCall(calls, 'trust_root_import').payload).toEqual({
      path: '/media/usb/trusted_root.json',
      name: 'public-good',
      consent: { name: 'carol', passphrase: 'carol passphrase' },
    });
    expect(consent.value).toBe('');
    expect(screen.queryByTestId('trust-root-error')).toBeNull();
    expect(screen.getByTestId('trust-root-parts-public-good').textContent).toContain('https://rekor.sigstore.dev');
    expect((screen.getByTestId('trust-root-path') as HTMLInputElement).value).toBe('');
  });

  it('removes a root with the consent typed, and it leaves the list', async () => {
    const calls = mockBackend({
      trust_list: { ...emptyListing, roots: [publicGood, rootInfo('github', [])] },
      list_keys: [],
      trust_root_remove: (p: Record<string, unknown>) => rootInfo(p.name as string, []),
    });
    render(Trust, { session });
    await waitFor(() => expect(screen.getByTestId('trust-root-remove-github')).toBeTruthy());
    await fireEvent.click(screen.getByTestId('trust-root-remove-github'));
    await waitFor(() => expect(screen.queryByTestId('trust-root-github')).toBeNull());
    expect(lastCall(calls, 'trust_root_remove').payload).toEqual({ name: 'github', consent: null });
    expect(screen.getByTestId('trust-root-result').textContent).toContain('No longer trusting the Sigstore root github');
    expect(screen.getByTestId('trust-root-public-good')).toBeTruthy();
    await fireEvent.input(screen.getByTestId('consent-name'), { target: { value: 'carol' } });
    await fireEvent.input(screen.getByTestId('consent-passphrase'), { target: { value: 'carol passphrase' } });
    await fireEvent.click(screen.getByTestId('trust-root-remove-public-good'));
    await waitFor(() => expect(screen.getByTestId('trust-roots').textContent).toContain('No Sigstore trusted root yet'));
    expect(lastCall(calls, 'trust_root_remove').payload).toEqual({ name: 'public-good', consent: { name: 'carol', passphrase: 'carol passphrase' } });
  });

  it('a trust package that carries roots names them', async () => {
    mockBackend({
      trust_list: emptyListing,
      list_keys: [],
      trust_import: { sha256: 'a', issuer: 'hq', issued_at: '2025-05-01', signer_key_ids: ['k'], holders: ['hq'], threshold: 1, keys: 1, revocations: 0, policy_modules: 0, roots: ['public-good', 'github'], kept_revocations: 0 },
    });
    render(Trust, { session });
    await waitFor(() => expect(screen.getByTestId('trust-import-path')).toBeTruthy());
    await fireEvent.input(screen.getByTestId('trust-import-path'), { target: { value: '/media/usb/trust.json' } });
    await fireEvent.click(screen.getByTestId('trust-import'));
    await waitFor(() => expect(screen.getByTestId('trust-import-result').textContent).toContain('2 Sigstore trusted roots (public-good, github)'));
  });
});
