import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { existsError, ipcError, lastCall, mockBackend, OFFICER_MAY, pending, session, sessionAs, sendProgress } from '../test/ipc';
import Settings from './Settings.svelte';

const settings = { home: '/var/lib/strongroom', modules: [], vulndb_max_age_days: 30, build: { version: '0.1.0', commit: '0123456789abcdef0123456789abcdef01234567', profile: 'release' } };
const op = (name: string, disabled = false) => ({ name, roles: ['custodian'], created_at: '2025', created_by: 'alice', disabled });

describe('Settings screen', () => {
  it('loading', () => {
    mockBackend({ get_settings: pending, list_operators: pending });
    render(Settings, { session });
    expect(screen.getByTestId('loading')).toBeTruthy();
  });

  it('empty', async () => {
    mockBackend({ get_settings: settings, list_operators: [] });
    render(Settings, { session });
    await waitFor(() => expect((screen.getByTestId('settings-home') as HTMLInputElement).value).toBe('/var/lib/strongroom'));
    expect((screen.getByTestId('settings-home') as HTMLInputElement).readOnly).toBe(true);
    expect(screen.getByTestId('settings-build').textContent).toBe('Strongroom 0.1.0 (commit 0123456789abcdef0123456789abcdef01234567, release build)');
    expect(screen.getByTestId('modules-list').textContent).toContain('No module allowed');
    await waitFor(() => expect(screen.getByTestId('operators-table').textContent).toContain('No operators'));
  });

  it('error', async () => {
    mockBackend({ get_settings: () => { throw ipcError('storage', 'settings unreadable', 'check the station database'); }, list_operators: [] });
    render(Settings, { session });
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('check the station database'));
  });

  it('success: modules allow/remove, max age, vulndb import with progress', async () => {
    const calls = mockBackend({
      get_settings: { ...settings, modules: ['/usr/lib/a.so'] },
      list_operators: [op('alice')],
      allow_module: ['/usr/lib/a.so', '/usr/lib/softhsm/libsofthsm2.so'],
      disallow_module: ['/usr/lib/softhsm/libsofthsm2.so'],
      set_vulndb_max_age: { ...settings, vulndb_max_age_days: 14 },
      import_vulndb: (p: Record<string, unknown>) => {
        sendProgress(p, [{ kind: 'items', what: 'records', done: 500, total: 1000 }]);
        return [{ file: 'osv.zip', sha256: 'x', records_total: 1000, imported: 990, updated: 0, unchanged: 0, skipped_withdrawn: 8, rejected: 2,
          ecosystems: { npm: 990 }, unknown_ecosystems: [], newest_modified: '2025-05-01', warnings: ['2 records had no affected ranges'] }];
      },
    });
    render(Settings, { session });
    await waitFor(() => expect(screen.getByTestId('modules-list').textContent).toContain('/usr/lib/a.so'));
    await fireEvent.input(screen.getByTestId('module-path'), { target: { value: '/usr/lib/softhsm/libsofthsm2.so' } });
    await fireEvent.click(screen.getByTestId('module-allow'));
    await waitFor(() => expect(screen.getByTestId('modules-list').textContent).toContain('libsofthsm2.so'));
    expect(lastCall(calls, 'allow_module').payload).toEqual({ path: '/usr/lib/softhsm/libsofthsm2.so' });
    await fireEvent.click(screen.getByTestId('module-remove-0'));
    await waitFor(() => expect(screen.getByTestId('modules-list').textContent).not.toContain('/usr/lib/a.so'));
    expect(lastCall(calls, 'disallow_module').payload).toEqual({ path: '/usr/lib/a.so' });

    await fireEvent.input(screen.getByTestId('max-age'), { target: { value: '14' } });
    await fireEvent.click(screen.getByTestId('max-age-save'));
    await waitFor(() => expect(screen.getByTestId('max-age-saved').textContent).toContain('14 days'));
    expect(lastCall(calls, 'set_vulndb_max_age').payload).toEqual({ days: 14 });

    await fireEvent.input(screen.getByTestId('vulndb-path'), { target: { value: '/media/usb/osv.zip' } });
    await fireEvent.click(screen.getByTestId('vulndb-import'));
    await waitFor(() => expect(screen.getByTestId('vulndb-result').textContent).toContain('990 new'));
    expect(screen.getByTestId('vulndb-result').textContent).toContain('2 records had no affected ranges');
  });

  it('vulndb import shows progress while running and an error afterwards', async () => {
    let release: (v: unknown) => void = () => {};
    mockBackend({
      get_settings: settings,
      list_operators: [],
      import_vulndb: (p: Record<string, unknown>) => {
        sendProgress(p, [{ kind: 'items', what: 'records', done: 250, total: 1000 }]);
        return new Promise((_, reject) => (release = reject));
      },
    });
    render(Settings, { session });
    await waitFor(() => expect(screen.getByTestId('vulndb-path')).toBeTruthy());
    await fireEvent.input(screen.getByTestId('vulndb-path'), { target: { value: '/x.zip' } });
    await fireEvent.click(screen.getByTestId('vulndb-import'));
    await waitFor(() => expect(screen.getByTestId('vulndb-progress').textContent).toContain('records: 250 of 1000'));
    release(ipcError('usage', 'not an OSV archive', 'download all.zip from osv.dev'));
    await waitFor(() => expect(screen.getByTestId('vulndb-error').textContent).toContain('download all.zip from osv.dev'));
  });

  it('adds an operator with roles and a passphrase typed twice, and disables one', async () => {
    const calls = mockBackend({
      get_settings: settings,
      list_operators: [op('alice')],
      add_operator: (p: Record<string, unknown>) => ({ ...op(p.name as string), roles: p.roles }),
      set_operator_disabled: op('alice', true),
    });
    render(Settings, { session });
    await waitFor(() => expect(screen.getByTestId('operators-table').textContent).toContain('alice'));
    await fireEvent.input(screen.getByTestId('op-name'), { target: { value: 'bob' } });
    await fireEvent.click(screen.getByTestId('op-role-approver'));
    const p1 = screen.getByTestId('op-pass') as HTMLInputElement;
    const p2 = screen.getByTestId('op-pass2') as HTMLInputElement;
    await fireEvent.input(p1, { target: { value: 'bob passphrase 1' } });
    await fireEvent.input(p2, { target: { value: 'bob passphrase 2' } });
    await fireEvent.click(screen.getByTestId('op-add'));
    expect(screen.getByTestId('op-error').textContent).toContain('differ');
    expect(calls.some((c) => c.cmd === 'add_operator')).toBe(false);
    await fireEvent.input(p1, { target: { value: 'bob passphrase 1' } });
    await fireEvent.input(p2, { target: { value: 'bob passphrase 1' } });
    await fireEvent.click(screen.getByTestId('op-add'));
    await waitFor(() => expect(screen.getByTestId('op-row-bob')).toBeTruthy());
    expect(lastCall(calls, 'add_operator').payload).toEqual({ name: 'bob', roles: ['release-officer', 'approver'], passphrase: 'bob passphrase 1', consent: null });
    expect(p1.value).toBe('');
    expect(p2.value).toBe('');
    await fireEvent.click(screen.getByTestId('op-toggle-alice'));
    // asked first, naming the account; nothing sent yet
    expect(screen.getByTestId('disable-confirm').textContent).toContain('Disable the account alice?');
    expect(calls.some((c) => c.cmd === 'set_operator_disabled')).toBe(false);
    await fireEvent.click(screen.getByTestId('confirm-ok'));
    await waitFor(() => expect(screen.getByTestId('op-row-alice').textContent).toContain('disabled'));
    expect(lastCall(calls, 'set_operator_disabled').payload).toEqual({ name: 'alice', disabled: true, consent: null });
  });

  it('sends a second custodian consent with one change, then forgets the passphrase', async () => {
    const calls = mockBackend({
      get_settings: settings,
      list_operators: [op('alice')],
      add_operator: (p: Record<string, unknown>) => ({ ...op(p.name as string), roles: p.roles }),
    });
    render(Settings, { session });
    await waitFor(() => expect(screen.getByTestId('operators-table').textContent).toContain('alice'));
    await fireEvent.input(screen.getByTestId('op-consent-name'), { target: { value: 'carol' } });
    const consent = screen.getByTestId('op-consent-pass') as HTMLInputElement;
    await fireEvent.input(consent, { target: { value: 'carol passphrase' } });
    await fireEvent.input(screen.getByTestId('op-name'), { target: { value: 'dan' } });
    await fireEvent.click(screen.getByTestId('op-role-approver'));
    await fireEvent.input(screen.getByTestId('op-pass'), { target: { value: 'dan passphrase 1' } });
    await fireEvent.input(screen.getByTestId('op-pass2'), { target: { value: 'dan passphrase 1' } });
    await fireEvent.click(screen.getByTestId('op-add'));
    await waitFor(() => expect(screen.getByTestId('op-row-dan')).toBeTruthy());
    expect(lastCall(calls, 'add_operator').payload).toMatchObject({ name: 'dan', consent: { name: 'carol', passphrase: 'carol passphrase' } });
    expect(consent.value).toBe('');
  });

  it('the new operator passphrase may not be only spaces', async () => {
    const calls = mockBackend({ get_settings: settings, list_operators: [op('alice')] });
    render(Settings, { session });
    await waitFor(() => expect(screen.getByTestId('operators-table')).toBeTruthy());
    await fireEvent.input(screen.getByTestId('op-name'), { target: { value: 'bob' } });
    await fireEvent.input(screen.getByTestId('op-pass'), { target: { value: ' '.repeat(14) } });
    await fireEvent.input(screen.getByTestId('op-pass2'), { target: { value: ' '.repeat(14) } });
    await fireEvent.click(screen.getByTestId('op-add'));
    expect(screen.getByTestId('op-error').textContent).toContain('The passphrase cannot be only spaces.');
    await fireEvent.input(screen.getByTestId('op-pass'), { target: { value: 'short' } });
    await fireEvent.click(screen.getByTestId('op-add'));
    expect(screen.getByTestId('op-error').textContent).toContain('at least 12 characters');
    expect(calls.some((c) => c.cmd === 'add_operator')).toBe(false);
  });

  it('enabling asks too; a cancelled confirmation or a refused form forgets the consent passphrase', async () => {
    const calls = mockBackend({ get_settings: settings, list_operators: [op('alice'), op('eve', true)] });
    render(Settings, { session });
    await waitFor(() => expect(screen.getByTestId('op-row-eve')).toBeTruthy());
    const consent = screen.getByTestId('op-consent-pass') as HTMLInputElement;
    await fireEvent.input(consent, { target: { value: 'carol passphrase' } });
    await fireEvent.click(screen.getByTestId('op-toggle-eve'));
    expect(screen.getByTestId('disable-confirm').textContent).toContain('Enable the account eve?');
    await fireEvent.click(screen.getByTestId('confirm-cancel'));
    expect(screen.queryByTestId('disable-confirm')).toBeNull();
    expect(consent.value).toBe('');
    expect(calls.some((c) => c.cmd === 'set_operator_disabled')).toBe(false);
    // a form that fails its own check still takes (and clears) the consent
    await fireEvent.input(consent, { target: { value: 'carol passphrase' } });
    await fireEvent.click(screen.getByTestId('op-add'));
    expect(screen.getByTestId('op-error').textContent).toContain('name');
    expect(consent.value).toBe('');
    await fireEvent.input(consent, { target: { value: 'carol passphrase' } });
    await fireEvent.click(screen.getByTestId('op-consent-clear'));
    expect(consent.value).toBe('');
  });

  it('a release officer sees the custodian controls disabled, with the reason', async () => {
    mockBackend({ get_settings: { ...settings, modules: ['/usr/lib/softhsm/libsofthsm2.so'] }, list_operators: [op('alice')] });
    render(Settings, { session: sessionAs('rob', ['release-officer'], OFFICER_MAY) });
    await waitFor(() => expect(screen.getByTestId('operators-table')).toBeTruthy());
    for (const id of ['module-allow', 'module-remove-0', 'op-add', 'op-toggle-alice', 'max-age-save']) {
      expect((screen.getByTestId(id) as HTMLButtonElement).disabled, id).toBe(true);
    }
    // release officers may import the vulnerability database
    expect((screen.getByTestId('vulndb-import') as HTMLButtonElement).disabled).toBe(false);
    const notes = screen.getAllByTestId('role-note').map((n) => n.textContent);
    expect(notes.length).toBe(3);
    for (const n of notes) expect(n).toContain('Needs the custodian role: you hold release-officer');
  });
});
