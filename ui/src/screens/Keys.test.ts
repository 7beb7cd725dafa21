import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { existsError, ipcError, lastCall, mockBackend, OFFICER_MAY, pending, session, sessionAs } from '../test/ipc';
import Keys from './Keys.svelte';

const flags = { count_low: false, final_try: false, locked: false, to_be_changed: false };
const soft = {
  label: 'release-2025', key_id: 'SHA256:softkeyid0123456789', algorithm: 'ed25519', backend: 'software', status: 'active',
  created: '2025-01-01T00:00:00Z', uri: null, attributes: {},
};
const hard = {
  label: 'vault-p256', key_id: 'SHA256:tokenkeyid0123456789', algorithm: 'ecdsa-p256', backend: 'pkcs11', status: 'active',
  created: '2025-02-01T00:00:00Z', uri: 'pkcs11:token=vault;object=vault-p256;type=private',
  attributes: {
    token: 'vault', token_serial: 'abc', object: 'vault-p256', id: '0a1b', module: '/usr/lib/softhsm/libsofthsm2.so', hardware_bound: true, backupable: false,
    cka: { local: true, never_extractable: true, always_sensitive: true, sensitive: true, extractable: false, sign: true, decrypt: false, wrap_with_trusted: false },
  },
};
const tokens = [{ module: '/usr/lib/softhsm/libsofthsm2.so', tokens: [{
  slot_id: 3, label: 'vault', manufacturer: 'SoftHSM project', model: 'SoftHSM v2', serial: 'abc', login_required: true,
  user_pin_initialized: true, protected_authentication_path: false, user_pin: flags, mechanisms: ['CKM_ECDSA'], algorithms: ['ecdsa-p256', 'ecdsa-p384'],
}], free_slots: [] }];

describe('Keys screen', () => {
  it('loading', () => {
    mockBackend({ list_keys: pending, list_tokens: pending });
    render(Keys, { session });
    expect(screen.getByTestId('loading')).toBeTruthy();
  });

  it('empty', async () => {
    mockBackend({ list_keys: [], list_tokens: [] });
    render(Keys, { session });
    await waitFor(() => expect(screen.getByTestId('keys-empty')).toBeTruthy());
    expect(screen.getByTestId('tokens-empty')).toBeTruthy();
    expect((screen.getByTestId('gen-token') as HTMLButtonElement).disabled).toBe(true);
  });

  it('error', async () => {
    mockBackend({ list_keys: () => { throw ipcError('storage', 'keys table unreadable', 'run strongroom doctor'); }, list_tokens: [] });
    render(Keys, { session });
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('run strongroom doctor'));
  });

  it('shows a token listing error without hiding the keys', async () => {
    mockBackend({ list_keys: [soft], list_tokens: () => { throw ipcError('device', 'module failed to load', 'check the module path in Settings'); } });
    render(Keys, { session });
    await waitFor(() => expect(screen.getByTestId('key-row-release-2025')).toBeTruthy());
    expect(screen.getByTestId('tokens-error').textContent).toContain('check the module path in Settings');
  });

  it('success: details show the PKCS#11 URI and token attributes; export and save PEM', async () => {
    const calls = mockBackend({
      list_keys: [soft, hard], list_tokens: tokens,
      export_public_key: '-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n',
      save_public_key: (p: Record<string, unknown>) => p.path,
    });
    render(Keys, { session });
    await waitFor(() => expect(screen.getByTestId('keys-table')).toBeTruthy());
    expect(screen.getByTestId('tokens-list').textContent).toContain('vault');
    await fireEvent.click(screen.getByTestId('key-row-vault-p256'));
    const details = screen.getByTestId('key-details');
    expect(details.textContent).toContain('pkcs11:token=vault;object=vault-p256;type=private');
    // the attributes as a table: a readable label, Yes/No, and the PKCS#11 or raw name
    const attrs = screen.getByTestId('key-attributes');
    expect(attrs.tagName).toBe('TABLE');
    expect(attrs.getAttribute('aria-labelledby')).toBe('key-attributes-h');
    const row = (key: string) => [...attrs.querySelectorAll<HTMLElement>(`tr[data-key="${key}"] > *`)].map((c) => c.textContent);
    expect(row('cka.extractable')).toEqual(['Extractable', 'No', 'CKA_EXTRACTABLE']);
    expect(row('cka.sensitive')).toEqual(['Sensitive', 'Yes', 'CKA_SENSITIVE']);
    expect(row('token_serial')).toEqual(['Token serial', 'abc', 'token_serial']);
    expect(attrs.querySelector('tr[data-key="cka.never_extractable"] code')?.getAttribute('title')).toBe('cka.never_extractable');
    expect(attrs.textContent).not.toContain('{');
    await fireEvent.click(screen.getByTestId('export-pem'));
    await waitFor(() => expect((screen.getByTestId('pem-text') as HTMLTextAreaElement).value).toContain('BEGIN PUBLIC KEY'));
    expect((screen.getByTestId('pem-text') as HTMLTextAreaElement).readOnly).toBe(true);
    await fireEvent.input(screen.getByTestId('pem-path'), { target: { value: '/media/usb/vault.pem' } });
    await fireEvent.click(screen.getByTestId('pem-save'));
    await waitFor(() => expect(screen.getByRole('status').textContent).toContain('/media/usb/vault.pem'));
    expect(lastCall(calls, 'save_public_key').payload).toEqual({ key: 'vault-p256', path: '/media/usb/vault.pem', overwrite: false });
  });

  it('saving over an existing PEM asks first; Replace repeats with overwrite, Cancel writes nothing', async () => {
    const calls = mockBackend({
      list_keys: [soft], list_tokens: [],
      export_public_key: '-----BEGIN PUBLIC KEY-----\nMCow\n-----END PUBLIC KEY-----\n',
      save_public_key: (p: Record<string, unknown>) => {
        if (!p.overwrite) throw existsError(p.path as string);
        return p.path;
      },
    });
    render(Keys, { session });
    await waitFor(() => expect(screen.getByTestId('keys-table')).toBeTruthy());
    await fireEvent.click(screen.getByTestId('key-row-release-2025'));
    // a software key has no attributes: no table, no heading
    expect(screen.queryByTestId('key-attributes')).toBeNull();
    expect(screen.getByTestId('key-details').textContent).not.toContain('Attributes');
    await fireEvent.click(screen.getByTestId('export-pem'));
    await waitFor(() => expect(screen.getByTestId('pem-text')).toBeTruthy());
    await fireEvent.input(screen.getByTestId('pem-path'), { target: { value: '/media/usb/release.pem' } });
    await fireEvent.click(screen.getByTestId('pem-save'));
    await waitFor(() => expect(screen.getByTestId('replace-dialog').textContent).toContain('Replace /media/usb/release.pem?'));
    await fireEvent.click(screen.getByTestId('confirm-cancel'));
    expect(screen.getByTestId('keys-notice').textContent).toContain('Nothing was written');
    await fireEvent.click(screen.getByTestId('pem-save'));
    await waitFor(() => expect(screen.getByTestId('replace-dialog')).toBeTruthy());
    expect(screen.getByTestId('confirm-ok').textContent).toBe('Replace');
    await fireEvent.click(screen.getByTestId('confirm-ok'));
    await waitFor(() => expect(screen.getByTestId('keys-notice').textContent).toContain('Public key written to /media/usb/release.pem'));
    expect(calls.filter((c) => c.cmd === 'save_public_key').map((c) => c.payload.overwrite)).toEqual([false, false, true]);
  });

  it('a release officer sees the key controls disabled (not hidden), with the reason', async () => {
    mockBackend({ list_keys: [soft], list_tokens: tokens });
    render(Keys, { session: sessionAs('rob', ['release-officer'], OFFICER_MAY) });
    await waitFor(() => expect(screen.getByTestId('keys-table')).toBeTruthy());
    await fireEvent.click(screen.getByTestId('key-row-release-2025'));
    for (const id of ['export-pem', 'rotate-key', 'retire-key', 'revoke-key', 'gen-software', 'gen-token']) {
      expect((screen.getByTestId(id) as HTMLButtonElement).disabled, id).toBe(true);
    }
    const notes = screen.getAllByTestId('role-note').map((n) => n.textContent);
    expect(notes.length).toBe(2);
    for (const n of notes) expect(n).toContain('Needs the custodian role: you hold release-officer');
  });

  it('generates a software key with the passphrase asked twice, then forgets it', async () => {
    let keys = [soft];
    const created = { ...soft, label: 'ci-key', key_id: 'SHA256:new', algorithm: 'ecdsa-p256' };
    const calls = mockBackend({
      list_keys: () => keys, list_tokens: [],
      generate_software_key: () => { keys = [soft, created]; return created; },
    });
    render(Keys, { session });
    await waitFor(() => expect(screen.getByTestId('keys-table')).toBeTruthy());
    await fireEvent.input(screen.getByTestId('soft-label'), { target: { value: 'ci-key' } });
    await fireEvent.change(screen.getByTestId('soft-alg'), { target: { value: 'ecdsa-p256' } });
    await fireEvent.change(screen.getByTestId('soft-purpose'), { target: { value: 'approver' } });
    await fireEvent.click(screen.getByTestId('gen-software'));
    const a = screen.getByTestId('secret-input') as HTMLInputElement;
    await fireEvent.input(a, { target: { value: 'a long passphrase!' } });
    await fireEvent.input(screen.getByTestId('secret-confirm'), { target: { value: 'a long passphrase!' } });
    await fireEvent.click(screen.getByTestId('secret-submit'));
    await waitFor(() => expect(screen.getByTestId('key-row-ci-key')).toBeTruthy());
    expect(lastCall(calls, 'generate_software_key').payload).toEqual({ label: 'ci-key', algorithm: 'ecdsa-p256', purpose: 'approver', passphrase: 'a long passphrase!' });
    expect(a.value).toBe('');
    expect(screen.queryByTestId('secret-dialog')).toBeNull();
    await waitFor(() => expect(screen.getByTestId('key-details').textContent).toContain('ci-key'));
  });

  it('generating on a token asks the PIN; a wrong PIN shows the tries phrase', async () => {
    const calls = mockBackend({
      list_keys: [soft], list_tokens: tokens,
      generate_token_key: () => { throw ipcError('auth', 'the token rejected the PIN', 'type the user PIN of token vault', { ...flags, count_low: true }); },
    });
    render(Keys, { session });
    await waitFor(() => expect(screen.getByTestId('keys-table')).toBeTruthy());
    await fireEvent.input(screen.getByTestId('token-label'), { target: { value: 'hsm-key' } });
    await fireEvent.change(screen.getByTestId('token-alg'), { target: { value: 'ecdsa-p384' } });
    await fireEvent.click(screen.getByTestId('gen-token'));
    const pin = screen.getByTestId('secret-input') as HTMLInputElement;
    await fireEvent.input(pin, { target: { value: '9999' } });
    await fireEvent.click(screen.getByTestId('secret-submit'));
    await waitFor(() => expect(screen.getByTestId('secret-error-pin').textContent).toContain('the token reports few tries left'));
    expect(pin.value).toBe('');
    expect(lastCall(calls, 'generate_token_key').payload).toEqual({
      token: 'vault', module: '/usr/lib/softhsm/libsofthsm2.so', label: 'hsm-key', algorithm: 'ecdsa-p384', purpose: 'signer', backupable: false, pin: '9999',
    });
  });

  it('revoke asks for confirmation and a reason', async () => {
    const calls = mockBackend({ list_keys: [soft], list_tokens: [], revoke_key: { ...soft, status: 'revoked' } });
    render(Keys, { session });
    await waitFor(() => expect(screen.getByTestId('keys-table')).toBeTruthy());
    await fireEvent.click(screen.getByTestId('key-row-release-2025'));
    await fireEvent.click(screen.getByTestId('revoke-key'));
    expect(screen.getByTestId('confirm-dialog')).toBeTruthy();
    expect((screen.getByTestId('confirm-ok') as HTMLButtonElement).disabled).toBe(true);
    await fireEvent.input(screen.getByTestId('confirm-reason'), { target: { value: 'laptop lost' } });
    await fireEvent.click(screen.getByTestId('confirm-ok'));
    await waitFor(() => expect(screen.getByRole('status').textContent).toContain('now revoked'));
    expect(lastCall(calls, 'revoke_key').payload).toEqual({ key: 'release-2025', reason: 'laptop lost' });
    expect((screen.getByTestId('revoke-key') as HTMLButtonElement).disabled).toBe(true);
  });

  it('retire cancelled does nothing', async () => {
    const calls = mockBackend({ list_keys: [soft], list_tokens: [] });
    render(Keys, { session });
    await waitFor(() => expect(screen.getByTestId('keys-table')).toBeTruthy());
    await fireEvent.click(screen.getByTestId('key-row-release-2025'));
    await fireEvent.click(screen.getByTestId('retire-key'));
    await fireEvent.click(screen.getByTestId('confirm-cancel'));
    expect(screen.queryByTestId('confirm-dialog')).toBeNull();
    expect(calls.some((c) => c.cmd === 'retire_key')).toBe(false);
  });

  it('rotation needs a label and a folder before any secret is asked', async () => {
    const calls = mockBackend({ list_keys: [soft], list_tokens: [] });
    render(Keys, { session });
    await waitFor(() => expect(screen.getByTestId('keys-table')).toBeTruthy());
    await fireEvent.click(screen.getByTestId('key-row-release-2025'));
    await fireEvent.click(screen.getByTestId('rotate-key'));
    await fireEvent.click(screen.getByTestId('rotate-start'));
    expect(screen.getByTestId('rotate-error').textContent).toContain('Type a label for the new key');
    expect(screen.queryByTestId('rotate-dialog')).toBeNull();
    expect(calls.some((c) => c.cmd === 'rotate_key')).toBe(false);
  });

  it('rotates a software key: the old and the new passphrase go to one call and are then forgotten', async () => {
    let keys = [soft];
    const next = { ...soft, label: 'release-2026', key_id: 'SHA256:next' };
    const calls = mockBackend({
      list_keys: () => keys, list_tokens: [],
      rotate_key: () => {
        keys = [{ ...soft, status: 'retired' }, next];
        return {
          old: keys[0], new: next,
          public_key: '/media/usb/release-2026.pub.pem', statement: '/media/usb/release-2026.rotation.sigstore.json',
          trusted: null,
        };
      },
    });
    render(Keys, { session });
    await waitFor(() => expect(screen.getByTestId('keys-table')).toBeTruthy());
    await fireEvent.click(screen.getByTestId('key-row-release-2025'));
    await fireEvent.click(screen.getByTestId('rotate-key'));
    await fireEvent.input(screen.getByTestId('rotate-label'), { target: { value: 'release-2026' } });
    await fireEvent.input(screen.getByTestId('rotate-dir'), { target: { value: '/media/usb' } });
    // Off by default (a key the trust store does not trust has no trust to carry); asked for here.
    await fireEvent.click(screen.getByTestId('rotate-carry-trust'));
    await fireEvent.click(screen.getByTestId('rotate-start'));
    const old = screen.getByTestId('secret-input') as HTMLInputElement;
    const fresh = screen.getByTestId('secret-new') as HTMLInputElement;
    await fireEvent.input(old, { target: { value: 'the old passphrase' } });
    await fireEvent.input(fresh, { target: { value: 'a brand new passphrase' } });
    await fireEvent.input(screen.getByTestId('secret-new-confirm'), { target: { value: 'a brand new passphrase?' } });
    await fireEvent.click(screen.getByTestId('secret-submit'));
    expect(screen.getByRole('alert').textContent).toContain('new passphrase differ');
    expect(calls.some((c) => c.cmd === 'rotate_key')).toBe(false);
    await fireEvent.input(old, { target: { value: 'the old passphrase' } });
    await fireEvent.input(fresh, { target: { value: 'a brand new passphrase' } });
    await fireEvent.input(screen.getByTestId('secret-new-confirm'), { target: { value: 'a brand new passphrase' } });
    await fireEvent.click(screen.getByTestId('secret-submit'));
    await waitFor(() => expect(screen.getByRole('status').textContent).toContain('release-2025 is retired'));
    expect(screen.getByRole('status').textContent).toContain('does not trust release-2026 yet');
    expect(lastCall(calls, 'rotate_key').payload).toEqual({
      key: 'release-2025', newLabel: 'release-2026', outDir: '/media/usb',
      secret: 'the old passphrase', newPassphrase: 'a brand new passphrase', carryTrust: true,
    });
    expect(old.value).toBe('');
    expect(fresh.value).toBe('');
    expect(screen.queryByTestId('rotate-dialog')).toBeNull();
    expect(screen.getByRole('status').textContent).toContain('release-2026.rotation.sigstore.json');
    expect(screen.getByTestId('key-details').textContent).toContain('release-2026');
  });

  it('rotating a token key asks only the PIN; a wrong PIN keeps the dialog with the tries phrase', async () => {
    const calls = mockBackend({
      list_keys: [hard], list_tokens: tokens,
      rotate_key: () => { throw ipcError('auth', 'the token rejected the PIN', 'type the user PIN of token vault', { ...flags, final_try: true }); },
    });
    render(Keys, { session });
    await waitFor(() => expect(screen.getByTestId('keys-table')).toBeTruthy());
    await fireEvent.click(screen.getByTestId('key-row-vault-p256'));
    await fireEvent.click(screen.getByTestId('rotate-key'));
    await fireEvent.input(screen.getByTestId('rotate-label'), { target: { value: 'vault-p256-2' } });
    await fireEvent.input(screen.getByTestId('rotate-dir'), { target: { value: '/media/usb' } });
    await fireEvent.click(screen.getByTestId('rotate-start'));
    expect(screen.queryByTestId('secret-new')).toBeNull();
    const pin = screen.getByTestId('secret-input') as HTMLInputElement;
    await fireEvent.input(pin, { target: { value: '1234' } });
    await fireEvent.click(screen.getByTestId('secret-submit'));
    await waitFor(() => expect(screen.getByTestId('secret-error-pin')).toBeTruthy());
    expect(screen.getByTestId('rotate-dialog')).toBeTruthy();
    expect(pin.value).toBe('');
    expect(lastCall(calls, 'rotate_key').payload).toEqual({
      key: 'vault-p256', newLabel: 'vault-p256-2', outDir: '/media/usb', secret: '1234', newPassphrase: null, carryTrust: false,
    });
  });

  describe('token PINs (custodian: token.admin)', () => {
    const module = '/usr/lib/softhsm/libsofthsm2.so';
    const withFree = (free: number[]) => [{ ...tokens[0], free_slots: free }];
    const fresh = { ...tokens[0].tokens[0], slot_id: 1183457, label: 'fresh', serial: 'f00d' };

    /** Types the dialog's fields by test id and submits it. */
    async function fill(values: Record<string, string>) {
      for (const [tid, value] of Object.entries(values)) await fireEvent.input(screen.getByTestId(tid), { target: { value } });
      await fireEvent.click(screen.getByTestId('secret-submit'));
    }

    it('Change PIN asks the current PIN, then the new one twice, and sends them to one call', async () => {
      const calls = mockBackend({ list_keys: [soft], list_tokens: tokens, change_token_pin: null });
      render(Keys, { session });
      await waitFor(() => expect(screen.getByTestId('tokens-list')).toBeTruthy());
      await fireEvent.click(screen.getByTestId('token-change-pin-vault'));
      const dialog = screen.getByTestId('token-pin-dialog');
      expect(dialog.textContent).toContain('Current user PIN of vault');
      expect(screen.queryByTestId('secret-confirm')).toBeNull();
      // the two entries of the new PIN differ: refused in the dialog, nothing is sent
      await fill({ 'secret-input': '471902', 'secret-new': '835216', 'secret-new-confirm': '835217' });
      expect(screen.getByRole('alert').textContent).toContain('The two entries of the new user PIN differ');
      expect(calls.some((c) => c.cmd === 'change_token_pin')).toBe(false);
      const inputs = ['secret-input', 'secret-new', 'secret-new-confirm'].map((t) => screen.getByTestId(t) as HTMLInputElement);
      await fill({ 'secret-input': '471902', 'secret-new': '835216', 'secret-new-confirm': '835216' });
      await waitFor(() => expect(screen.getByTestId('token-pin-result').textContent).toBe('The user PIN of token "vault" is changed.'));
      expect(lastCall(calls, 'change_token_pin').payload).toEqual({ token: 'vault', module, pin: '471902', newPin: '835216' });
      for (const i of inputs) expect(i.value).toBe('');
      expect(screen.queryByTestId('token-pin-dialog')).toBeNull();
      expect(document.body.innerHTML).not.toMatch(/471902|835216/);
      // the token list is asked again: its PIN flags may have changed
      expect(calls.filter((c) => c.cmd === 'list_tokens').length).toBe(2);
    });

    it('Change PIN with a wrong current PIN shows the error and the tries phrase in the dialog', async () => {
      mockBackend({
        list_keys: [soft], list_tokens: tokens,
        change_token_pin: () => { throw ipcError('auth', 'PIN incorrect; the token did not accept it', 'type the user PIN of token vault', { ...flags, count_low: true }); },
      });
      render(Keys, { session });
      await waitFor(() => expect(screen.getByTestId('tokens-list')).toBeTruthy());
      await fireEvent.click(screen.getByTestId('token-change-pin-vault'));
      await fill({ 'secret-input': '000000', 'secret-new': '654321', 'secret-new-confirm': '654321' });
      await waitFor(() => expect(screen.getByTestId('secret-error').textContent).toContain('PIN incorrect'));
      expect(screen.getByTestId('secret-error-pin').textContent).toContain('the token reports few tries left');
      expect(screen.getByTestId('token-pin-dialog')).toBeTruthy();
      expect((screen.getByTestId('secret-input') as HTMLInputElement).value).toBe('');
      expect(screen.queryByTestId('token-pin-result')).toBeNull();
    });

    it('Unlock asks the SO PIN, then a new user PIN twice; a wrong SO PIN is shown, then it succeeds', async () => {
      let soRight = false;
      const calls = mockBackend({
        list_keys: [soft], list_tokens: tokens,
        unlock_token: () => {
          if (!soRight) throw ipcError('auth', "the security officer's PIN is incorrect", 'type the SO PIN of token vault');
          return null;
        },
      });
      render(Keys, { session });
      await waitFor(() => expect(screen.getByTestId('tokens-list')).toBeTruthy());
      await fireEvent.click(screen.getByTestId('token-unlock-vault'));
      expect(screen.getByTestId('token-pin-dialog').textContent).toContain("Security officer's PIN (SO PIN) of vault");
      await fill({ 'secret-input': 'wrong-so', 'secret-new': '333333', 'secret-new-confirm': '333333' });
      await waitFor(() => expect(screen.getByTestId('secret-error').textContent).toContain("the security officer's PIN is incorrect"));
      expect(lastCall(calls, 'unlock_token').payload).toEqual({ token: 'vault', module, soPin: 'wrong-so', newPin: '333333' });
      soRight = true;
      await fill({ 'secret-input': '87654321', 'secret-new': '333333', 'secret-new-confirm': '333333' });
      await waitFor(() =>
        expect(screen.getByTestId('token-pin-result').textContent).toBe('The user PIN of token "vault" is set anew by its security officer.'),
      );
      expect(lastCall(calls, 'unlock_token').payload).toEqual({ token: 'vault', module, soPin: '87654321', newPin: '333333' });
      expect(screen.queryByTestId('token-pin-dialog')).toBeNull();
    });

    it('a new user PIN shorter than 4 characters is refused before any call', async () => {
      const calls = mockBackend({ list_keys: [soft], list_tokens: tokens });
      render(Keys, { session });
      await waitFor(() => expect(screen.getByTestId('tokens-list')).toBeTruthy());
      await fireEvent.click(screen.getByTestId('token-unlock-vault'));
      await fill({ 'secret-input': '87654321', 'secret-new': '123', 'secret-new-confirm': '123' });
      expect(screen.getByRole('alert').textContent).toContain('The new user PIN must be at least 4 characters.');
      expect(calls.some((c) => c.cmd === 'unlock_token')).toBe(false);
    });

    it('initialises a token in the chosen free slot: the SO PIN twice, the user PIN twice; then lists it', async () => {
      let listed = withFree([5, 7]);
      const calls = mockBackend({
        list_keys: [soft], list_tokens: () => listed,
        init_token: () => {
          listed = [{ module, tokens: [tokens[0].tokens[0], fresh], free_slots: [5] }];
          return fresh;
        },
      });
      render(Keys, { session });
      await waitFor(() => expect(screen.getByTestId('token-init-form')).toBeTruthy());
      expect(screen.getByTestId('token-init-form').textContent).toContain('never wiped');
      const slot = screen.getByTestId('token-init-slot') as HTMLSelectElement;
      expect([...slot.options].map((o) => o.textContent)).toEqual(['slot 5', 'slot 7']);
      expect(slot.value).toBe('5');
      await fireEvent.input(screen.getByTestId('token-init-label'), { target: { value: 'fresh' } });
      await fireEvent.change(slot, { target: { value: '7' } });
      await fireEvent.click(screen.getByTestId('token-init'));
      expect(screen.getByTestId('token-init-dialog').textContent).toContain('Slot 7');
      // the SO PIN's two entries differ: nothing is sent
      await fill({ 'secret-input': 'so-secret-1', 'secret-confirm': 'so-secret-2', 'secret-new': '111111', 'secret-new-confirm': '111111' });
      expect(screen.getByRole('alert').textContent).toContain('The two entries differ');
      expect(calls.some((c) => c.cmd === 'init_token')).toBe(false);
      await fill({ 'secret-input': 'so-secret-1', 'secret-confirm': 'so-secret-1', 'secret-new': '111111', 'secret-new-confirm': '111111' });
      await waitFor(() =>
        expect(screen.getByTestId('token-init-result').textContent).toBe('Initialised token "fresh" (serial f00d) in slot 1183457.'),
      );
      expect(lastCall(calls, 'init_token').payload).toEqual({ label: 'fresh', module, slot: 7, soPin: 'so-secret-1', pin: '111111' });
      expect(screen.queryByTestId('token-init-dialog')).toBeNull();
      await waitFor(() => expect(screen.getByTestId('token-change-pin-fresh')).toBeTruthy());
      expect((screen.getByTestId('token-init-label') as HTMLInputElement).value).toBe('');
      expect((screen.getByTestId('token-init-slot') as HTMLSelectElement).value).toBe('5');
    });

    it('initialising refuses an empty, too long or present label before any PIN; a backend refusal shows in the dialog', async () => {
      const calls = mockBackend({
        list_keys: [soft], list_tokens: withFree([5]),
        init_token: () => { throw ipcError('device', 'no free slot 5 in the module', 'insert a new token'); },
      });
      render(Keys, { session });
      await waitFor(() => expect(screen.getByTestId('token-init-form')).toBeTruthy());
      for (const [label, says] of [['  ', '1 to 32 bytes'], ['é'.repeat(17), '1 to 32 bytes'], ['vault', 'A token labelled "vault" is present already']]) {
        await fireEvent.input(screen.getByTestId('token-init-label'), { target: { value: label } });
        await fireEvent.click(screen.getByTestId('token-init'));
        expect(screen.getByTestId('token-init-error').textContent, label).toContain(says);
        expect(screen.queryByTestId('token-init-dialog')).toBeNull();
      }
      await fireEvent.input(screen.getByTestId('token-init-label'), { target: { value: 'é'.repeat(16) } });
      await fireEvent.click(screen.getByTestId('token-init'));
      expect(screen.queryByTestId('token-init-error')).toBeNull();
      await fill({ 'secret-input': 'so-secret-1', 'secret-confirm': 'so-secret-1', 'secret-new': '111111', 'secret-new-confirm': '111111' });
      await waitFor(() => expect(screen.getByTestId('secret-error').textContent).toContain('no free slot 5'));
      expect(screen.getByTestId('secret-error-remedy').textContent).toContain('insert a new token');
      expect(lastCall(calls, 'init_token').payload).toEqual({ label: 'é'.repeat(16), module, slot: 5, soPin: 'so-secret-1', pin: '111111' });
      expect(screen.queryByTestId('token-init-result')).toBeNull();
    });

    it('with free slots in several modules, a module is chosen and its slots are listed', async () => {
      const other = '/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so';
      const calls = mockBackend({
        list_keys: [soft], list_tokens: [...withFree([5]), { module: other, tokens: [], free_slots: [0, 1] }],
        init_token: { ...fresh, slot_id: 1 },
      });
      render(Keys, { session });
      await waitFor(() => expect(screen.getByTestId('token-init-form')).toBeTruthy());
      const mod = screen.getByTestId('token-init-module') as HTMLSelectElement;
      expect(mod.tagName).toBe('SELECT');
      expect(mod.value).toBe(module);
      await fireEvent.change(mod, { target: { value: other } });
      await waitFor(() => expect((screen.getByTestId('token-init-slot') as HTMLSelectElement).value).toBe('0'));
      await fireEvent.change(screen.getByTestId('token-init-slot'), { target: { value: '1' } });
      await fireEvent.input(screen.getByTestId('token-init-label'), { target: { value: 'fresh' } });
      await fireEvent.click(screen.getByTestId('token-init'));
      await fill({ 'secret-input': 'so-secret-1', 'secret-confirm': 'so-secret-1', 'secret-new': '111111', 'secret-new-confirm': '111111' });
      await waitFor(() => expect(screen.getByTestId('token-init-result').textContent).toContain('in slot 1.'));
      expect(lastCall(calls, 'init_token').payload).toEqual({ label: 'fresh', module: other, slot: 1, soPin: 'so-secret-1', pin: '111111' });
    });

    it('no free slot: no form, and it says so', async () => {
      mockBackend({ list_keys: [soft], list_tokens: tokens });
      render(Keys, { session });
      await waitFor(() => expect(screen.getByTestId('token-init-none')).toBeTruthy());
      expect(screen.queryByTestId('token-init')).toBeNull();
    });

    it('a role without token.admin sees no PIN buttons and no initialise form, with the reason', async () => {
      mockBackend({ list_keys: [soft], list_tokens: withFree([5]) });
      render(Keys, { session: sessionAs('rob', ['release-officer'], OFFICER_MAY) });
      await waitFor(() => expect(screen.getByTestId('tokens-list').textContent).toContain('vault'));
      for (const id of ['token-change-pin-vault', 'token-unlock-vault', 'token-init', 'token-init-form', 'token-init-label', 'token-init-slot']) {
        expect(screen.queryByTestId(id), id).toBeNull();
      }
      expect(screen.getByTestId('token-admin-note').textContent).toContain('Needs the custodian role: you hold release-officer');
    });

    it('a custodian sees no note about token PINs', async () => {
      mockBackend({ list_keys: [soft], list_tokens: tokens });
      render(Keys, { session });
      await waitFor(() => expect(screen.getByTestId('token-change-pin-vault')).toBeTruthy());
      expect(screen.getByTestId('token-unlock-vault')).toBeTruthy();
      expect(screen.queryByTestId('token-admin-note')).toBeNull();
    });
  });
});
