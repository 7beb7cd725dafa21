import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { createRawSnippet } from 'svelte';
import { describe, expect, it, vi } from 'vitest';
import { ipcError, lastCall, mockBackend } from '../test/ipc';
import * as api from './backend';
import ErrorBox from './ErrorBox.svelte';
import ProgressBar from './ProgressBar.svelte';
import { reduceProgress, startProgress } from './progress';
import ReplaceDialog from './ReplaceDialog.svelte';
import { may, roleNote } from './roles';
import { passphraseProblem } from './rules';
import SecretDialog from './SecretDialog.svelte';
import { ALL_ACTIONS, session, sessionAs } from '../test/ipc';

/** A caller's own password field rendered inside the dialog (as Sign's approver passphrase). */
const childPass = createRawSnippet(() => ({
  render: () => '<span><label for="child-pass">Operator passphrase</label><input id="child-pass" type="password" data-testid="child-pass" /></span>',
}));

const flags = { count_low: false, final_try: false, locked: false, to_be_changed: false };

describe('ErrorBox', () => {
  it('shows message and remedy', () => {
    render(ErrorBox, { error: ipcError('usage', 'the bundle is not a zip', 'choose a .zip from strongroom release') });
    expect(screen.getByRole('alert').textContent).toContain('the bundle is not a zip');
    expect(screen.getByTestId('error-remedy').textContent).toContain('choose a .zip from strongroom release');
  });
  it.each([
    [{ ...flags, count_low: true }, 'the token reports few tries left'],
    [{ ...flags, final_try: true }, 'one try left before the PIN locks'],
    [{ ...flags, locked: true }, 'the PIN is locked'],
    [flags, 'the token does not report how many tries are left'],
  ])('phrases the PIN flags %#', (pin, phrase) => {
    render(ErrorBox, { error: ipcError('auth', 'wrong PIN', 'try again', pin) });
    expect(screen.getByTestId('error-pin').textContent).toContain(phrase);
  });
  it('shows nothing without an error and a plain Error as text', () => {
    const { container } = render(ErrorBox, { error: null });
    expect(container.textContent?.trim()).toBe('');
    render(ErrorBox, { error: new Error('socket closed') });
    expect(screen.getByRole('alert').textContent).toContain('socket closed');
  });
});

describe('ProgressBar', () => {
  it('shows bytes and files while hashing', () => {
    let s = startProgress();
    s = reduceProgress(s, { kind: 'hash_start', files: 3, total_bytes: 2048 });
    s = reduceProgress(s, { kind: 'hashed', bytes: 1024 });
    s = reduceProgress(s, { kind: 'hash_file_done', path: '/a' });
    render(ProgressBar, { state: s });
    const el = screen.getByTestId('progress');
    expect(el.textContent).toContain('Hashed 1.0 KiB of 2.0 KiB, 1 of 3 files');
    const bar = el.querySelector('progress')!;
    expect(bar.value).toBe(1024);
    expect(bar.max).toBe(2048);
  });
  it('is hidden when nothing runs', () => {
    render(ProgressBar, { state: { ...startProgress(), active: false } });
    expect(screen.queryByTestId('progress')).toBeNull();
  });
});

describe('SecretDialog', () => {
  it('hands the secret to the one backend call and clears the field', async () => {
    const calls = mockBackend({ login: { home: '/h', claimed: true, operator: 'a', roles: [] } });
    const onsubmit = async (secret: string) => {
      await api.login('alice', secret);
    };
    render(SecretDialog, { open: true, title: 'Unlock', label: 'Passphrase', onsubmit, oncancel: () => {} });
    const input = screen.getByTestId('secret-input') as HTMLInputElement;
    expect(input.type).toBe('password');
    expect(input.getAttribute('autocomplete')).toBe('off');
    await fireEvent.input(input, { target: { value: 'correct horse battery' } });
    await fireEvent.click(screen.getByTestId('secret-submit'));
    await waitFor(() => expect(calls.some((c) => c.cmd === 'login')).toBe(true));
    expect(lastCall(calls, 'login').payload.passphrase).toBe('correct horse battery');
    expect(input.value).toBe('');
  });

  it('keeps the dialog open with the tries phrase on a wrong PIN, field empty', async () => {
    mockBackend({
      generate_token_key: () => {
        throw ipcError('auth', 'the token rejected the PIN', 'type the user PIN again', {
          ...flags,
          final_try: true,
        });
      },
    });
    render(SecretDialog, {
      open: true,
      title: 'PIN',
      label: 'User PIN',
      onsubmit: async (pin: string) => {
        await api.generateTokenKey('tok', null, 'k', 'ecdsa-p256', 'signer', false, pin);
      },
      oncancel: () => {},
    });
    const input = screen.getByTestId('secret-input') as HTMLInputElement;
    await fireEvent.input(input, { target: { value: '0000' } });
    await fireEvent.click(screen.getByTestId('secret-submit'));
    await waitFor(() => expect(screen.getByTestId('secret-error-pin').textContent).toContain('one try left before the PIN locks'));
    expect(input.value).toBe('');
    expect(screen.getByTestId('secret-error').textContent).toContain('type the user PIN again');
  });

  it('asks twice, refuses a mismatch or a short value without calling the backend', async () => {
    const onsubmit = vi.fn(async () => {});
    render(SecretDialog, { open: true, title: 'New key', label: 'Passphrase', confirm: true, minLength: 12, onsubmit, oncancel: () => {} });
    const a = screen.getByTestId('secret-input') as HTMLInputElement;
    const b = screen.getByTestId('secret-confirm') as HTMLInputElement;
    await fireEvent.input(a, { target: { value: 'short' } });
    await fireEvent.input(b, { target: { value: 'short' } });
    await fireEvent.click(screen.getByTestId('secret-submit'));
    expect(screen.getByRole('alert').textContent).toContain('at least 12');
    await fireEvent.input(a, { target: { value: 'long enough passphrase' } });
    await fireEvent.input(b, { target: { value: 'long enough passphrasX' } });
    await fireEvent.click(screen.getByTestId('secret-submit'));
    expect(screen.getByRole('alert').textContent).toContain('differ');
    expect(onsubmit).not.toHaveBeenCalled();
    expect(a.value).toBe('');
    expect(b.value).toBe('');
    await fireEvent.input(a, { target: { value: 'long enough passphrase' } });
    await fireEvent.input(b, { target: { value: 'long enough passphrase' } });
    await fireEvent.click(screen.getByTestId('secret-submit'));
    await waitFor(() => expect(onsubmit).toHaveBeenCalledWith('long enough passphrase'));
  });

  it('Esc cancels and clears', async () => {
    const oncancel = vi.fn();
    render(SecretDialog, { open: true, title: 'PIN', label: 'PIN', onsubmit: async () => {}, oncancel });
    const input = screen.getByTestId('secret-input') as HTMLInputElement;
    await fireEvent.input(input, { target: { value: '1234' } });
    await fireEvent.keyDown(screen.getByTestId('secret-dialog'), { key: 'Escape' });
    expect(oncancel).toHaveBeenCalled();
    expect(input.value).toBe('');
  });

  it('clears the caller\'s password fields too: on Cancel, Esc, error and submit', async () => {
    let fail = true;
    let seen = '';
    const onsubmit = async () => {
      seen = (document.querySelector('[data-testid="child-pass"]') as HTMLInputElement).value;
      if (fail) throw ipcError('auth', 'wrong passphrase', 'type it again');
    };
    const oncancel = vi.fn();
    render(SecretDialog, { open: true, title: 'Approve', label: 'PIN', onsubmit, oncancel, children: childPass });
    const child = screen.getByTestId('child-pass') as HTMLInputElement;
    const input = screen.getByTestId('secret-input') as HTMLInputElement;
    // the caller's field comes first and takes the focus
    await waitFor(() => expect(document.activeElement).toBe(child));
    await fireEvent.input(child, { target: { value: 'operator pass' } });
    await fireEvent.input(input, { target: { value: '1234' } });
    await fireEvent.click(screen.getByTestId('secret-submit'));
    await waitFor(() => expect(screen.getByTestId('secret-error').textContent).toContain('type it again'));
    expect(seen).toBe('operator pass');
    expect(child.value).toBe('');
    expect(input.value).toBe('');
    // the inputs are enabled again and the focus is back on the first one, inside the modal
    expect(child.disabled || input.disabled).toBe(false);
    await waitFor(() => expect(document.activeElement).toBe(child));
    await fireEvent.input(child, { target: { value: 'operator pass' } });
    await fireEvent.click(screen.getByTestId('secret-cancel'));
    expect(oncancel).toHaveBeenCalledTimes(1);
    expect(child.value).toBe('');
    await fireEvent.input(child, { target: { value: 'operator pass' } });
    await fireEvent.keyDown(screen.getByTestId('secret-dialog'), { key: 'Escape' });
    expect(oncancel).toHaveBeenCalledTimes(2);
    expect(child.value).toBe('');
    // a refused entry (too short) clears it as well
    await fireEvent.input(child, { target: { value: 'operator pass' } });
    await fireEvent.click(screen.getByTestId('secret-submit'));
    expect(child.value).toBe('');
    fail = false;
    await fireEvent.input(child, { target: { value: 'operator pass' } });
    await fireEvent.input(input, { target: { value: '1234' } });
    await fireEvent.click(screen.getByTestId('secret-submit'));
    await waitFor(() => expect(child.value).toBe(''));
    expect(seen).toBe('operator pass');
  });

  it('keeps the focus in the modal while busy', async () => {
    let release = () => {};
    const onsubmit = () => new Promise<void>((r) => (release = r));
    render(SecretDialog, { open: true, title: 'PIN', label: 'PIN', onsubmit, oncancel: () => {} });
    const input = screen.getByTestId('secret-input') as HTMLInputElement;
    await fireEvent.input(input, { target: { value: '1234' } });
    await fireEvent.click(screen.getByTestId('secret-submit'));
    const dialog = screen.getByTestId('secret-dialog');
    await waitFor(() => expect(input.disabled).toBe(true));
    expect(dialog.contains(document.activeElement)).toBe(true);
    const tab = await fireEvent.keyDown(dialog, { key: 'Tab' });
    expect(tab).toBe(false); // default prevented: Tab does not leave the modal
    expect(dialog.contains(document.activeElement)).toBe(true);
    release();
  });

  it('traps Tab inside the dialog', async () => {
    render(SecretDialog, { open: true, title: 'PIN', label: 'PIN', onsubmit: async () => {}, oncancel: () => {} });
    const submit = screen.getByTestId('secret-submit');
    submit.focus();
    await fireEvent.keyDown(screen.getByTestId('secret-dialog'), { key: 'Tab' });
    expect(document.activeElement).toBe(screen.getByTestId('secret-input'));
    await fireEvent.keyDown(screen.getByTestId('secret-dialog'), { key: 'Tab', shiftKey: true });
    expect(document.activeElement).toBe(submit);
  });
});

describe('PathField', () => {
  it('fills the path from the native dialog', async () => {
    const calls = mockBackend({ 'plugin:dialog|save': '/media/usb/key.pem' });
    const { default: PathField } = await import('./PathField.svelte');
    render(PathField, { label: 'Save as', mode: 'save', testid: 'p' });
    await fireEvent.click(screen.getByTestId('p-browse'));
    await waitFor(() => expect((screen.getByTestId('p') as HTMLInputElement).value).toBe('/media/usb/key.pem'));
    expect(calls[0].cmd).toBe('plugin:dialog|save');
  });

  it('says to type the path when no dialog is available', async () => {
    mockBackend({});
    const { default: PathField } = await import('./PathField.svelte');
    render(PathField, { label: 'Bundle', testid: 'p' });
    await fireEvent.click(screen.getByTestId('p-browse'));
    await waitFor(() => expect(screen.getByRole('status').textContent).toContain('type or drop the path'));
  });
});

describe('ReplaceDialog', () => {
  it('names the path and offers Replace', async () => {
    const onconfirm = vi.fn();
    render(ReplaceDialog, { path: '/media/usb/a.json', onconfirm, oncancel: () => {} });
    expect(screen.getByTestId('replace-dialog').textContent).toContain('Replace /media/usb/a.json?');
    expect(screen.getByTestId('confirm-ok').textContent).toBe('Replace');
    await fireEvent.click(screen.getByTestId('confirm-ok'));
    expect(onconfirm).toHaveBeenCalled();
  });
  it('is closed without a path', () => {
    render(ReplaceDialog, { path: null, onconfirm: () => {}, oncancel: () => {} });
    expect(screen.queryByTestId('replace-dialog')).toBeNull();
  });
});

describe('roles and rules', () => {
  it('may follows session.may, and nothing once the account is disabled', () => {
    expect(may(session, 'key.generate')).toBe(true);
    expect(may(sessionAs('rob', ['release-officer'], ['release.create']), 'key.generate')).toBe(false);
    expect(may({ ...session, disabled: true }, 'key.generate')).toBe(false);
    expect(may(null, 'release.verify')).toBe(false);
    expect(ALL_ACTIONS.every((a) => may(session, a))).toBe(true);
  });
  it('the note names the roles needed and those held', () => {
    const rob = sessionAs('rob', ['release-officer'], ['release.create']);
    expect(roleNote(rob, 'key.generate')).toBe('Needs the custodian role: you hold release-officer.');
    expect(roleNote(rob, 'audit.verify', 'audit.list')).toBe('Needs the custodian or auditor role: you hold release-officer.');
    expect(roleNote(rob, 'release.create')).toBeNull();
    expect(roleNote(sessionAs('x', [], []), 'release.create')).toBe('Needs the release-officer role: you hold no role.');
  });
  it('a passphrase: 12 characters, not only whitespace', () => {
    expect(passphraseProblem('short')).toContain('at least 12 characters');
    expect(passphraseProblem(' \t'.repeat(7))).toBe('The passphrase cannot be only spaces.');
    expect(passphraseProblem('twelve chars!!')).toBeNull();
  });
});
