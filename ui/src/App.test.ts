import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import App from './App.svelte';
import { ipcError, lastCall, mockBackend, pending, session } from './test/ipc';

const overview = {
  session,
  keys: { value: [], error: null },
  tokens: { value: [], error: null },
  vulndb: { value: { records: 0, ecosystems: {}, snapshot: null, snapshot_age_days: null, max_age_days: 30, stale: false, imports: [] }, error: null },
  audit: { value: { rows: 0, head: null, checkpoints: 0, last_checkpoint: null, problem: null }, error: null },
  warnings: [],
};

describe('App shell', () => {
  it('shows a busy indicator while the session loads', () => {
    mockBackend({ session_info: pending });
    render(App);
    expect(screen.getByTestId('loading')).toBeTruthy();
  });

  it('changes the window title per screen and marks the nav item', async () => {
    mockBackend({
      session_info: session,
      station_overview: overview,
      list_keys: [],
      list_tokens: [],
      audit_list: [],
      audit_verify: { rows: 0, head: null, checkpoints: 0, last_checkpoint: null, problem: null },
      trust_list: { keys: [], revocations: [], policy_modules: [], policy_data: null },
      get_settings: { home: '/tmp/station', modules: [], vulndb_max_age_days: 30 },
      list_operators: [],
    });
    render(App);
    await waitFor(() => expect(document.title).toBe('Strongroom — Station'));
    for (const s of ['Keys', 'Sign', 'Verify', 'Trust', 'Audit', 'Settings', 'Station']) {
      await fireEvent.click(screen.getByTestId(`nav-${s.toLowerCase()}`));
      await waitFor(() => expect(document.title).toBe(`Strongroom — ${s}`));
      expect(screen.getByRole('heading', { level: 1 }).textContent).toBe(s);
      expect(screen.getByTestId(`nav-${s.toLowerCase()}`).getAttribute('aria-current')).toBe('page');
    }
  });

  it('shows the session error with its remedy and retries', async () => {
    mockBackend({ session_info: () => { throw ipcError('store', 'cannot open station.db', 'check STRONGROOM_HOME'); } });
    render(App);
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('check STRONGROOM_HOME'));
  });

  it('logs in when nobody is signed in, passphrase not kept', async () => {
    const calls = mockBackend({
      session_info: { ...session, operator: null, roles: [] },
      login: session,
      station_overview: overview,
    });
    render(App);
    await waitFor(() => expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('Log in'));
    expect(document.title).toBe('Strongroom — Log in');
    await fireEvent.input(screen.getByTestId('login-name'), { target: { value: 'alice' } });
    const pass = screen.getByTestId('login-pass') as HTMLInputElement;
    await fireEvent.input(pass, { target: { value: 'alice passphrase' } });
    await fireEvent.click(screen.getByTestId('login-button'));
    await waitFor(() => expect(screen.getByTestId('station-operator').textContent).toContain('alice'));
    expect(lastCall(calls, 'login').payload).toEqual({ name: 'alice', passphrase: 'alice passphrase' });
  });

  it('claims an unclaimed station and shows a login error', async () => {
    const calls = mockBackend({
      session_info: { home: '/h', claimed: false, operator: null, roles: [] },
      claim_station: () => { throw ipcError('bad_input', 'name taken', 'pick another name'); },
    });
    render(App);
    await waitFor(() => expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('Claim this station'));
    await fireEvent.input(screen.getByTestId('login-name'), { target: { value: 'root' } });
    await fireEvent.input(screen.getByTestId('login-pass'), { target: { value: 'twelve chars!!' } });
    await fireEvent.input(screen.getByTestId('login-pass2'), { target: { value: 'twelve chars!!' } });
    await fireEvent.click(screen.getByTestId('claim-role-auditor'));
    await fireEvent.click(screen.getByTestId('claim-button'));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('pick another name'));
    expect(lastCall(calls, 'claim_station').payload).toEqual({ name: 'root', roles: ['release-officer', 'approver'], passphrase: 'twelve chars!!' });
    expect((screen.getByTestId('login-pass') as HTMLInputElement).value).toBe('');
  });
});
