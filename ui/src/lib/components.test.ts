import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import { ipcError, lastCall, mockBackend } from '../test/ipc';
import * as api from './backend';
import ErrorBox from './ErrorBox.svelte';
import ProgressBar from './ProgressBar.svelte';
import { reduceProgress, startProgress } from './progress';
import SecretDialog from './SecretDialog.svelte';

const flags = { count_low: false, final_try: false, locked: false, to_be_changed: false };

describe('ErrorBox', () => {
  it('shows message and remedy', () => {
    render(ErrorBox, { error: ipcError('bad_input', 'the bundle is not a zip', 'choose a .zip from strongroom release') });
    expect(screen.getByRole('alert').textContent).toContain('the bundle is not a zip');
    expect(screen.getByTestId('error-remedy').textContent).toContain('choose a .zip from strongroom release');
  });
  it.each([
    [{ ...flags, count_low: true }, 'the token reports few tries left'],
    [{ ...flags, final_try: true }, 'one try left before the PIN locks'],
    [{ ...flags, locked: true }, 'the PIN is locked'],
    [flags, 'the token does not report how many tries are left'],
  ])('phrases the PIN flags %#', (pin, phrase) => {
    render(ErrorBox, { error: ipcError('pin_incorrect', 'wrong PIN', 'try again', pin) });
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
  it('shows bytes and files while hashing, then stages', () => {
    let s = startProgress();
    s = reduceProgress(s, { kind: 'hash_start', files: 3, total_bytes: 2048 });
    s = reduceProgress(s, { kind: 'hashed', bytes: 1024 });
    s = reduceProgress(s, { kind: 'hash_file_done', path: '/a' });
    s = reduceProgress(s, { kind: 'stage', name: 'hashing' });
    render(ProgressBar, { state: s });
    const el = screen.getByTestId('progress');
    expect(el.textContent).toContain('Hashed 1.0 KiB of 2.0 KiB, 1 of 3 files');
    const bar = el.querySelector('progress')!;
    expect(bar.value).toBe(1024);
    expect(bar.max).toBe(2048);
    expect(el.querySelector('[aria-current="step"]')?.textContent).toContain('hashing');
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
        throw ipcError('pin_incorrect', 'the token rejected the PIN', 'type the user PIN again', {
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
        await api.generateTokenKey('tok', null, 'k', 'ecdsa-p256', 'signer', pin);
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
