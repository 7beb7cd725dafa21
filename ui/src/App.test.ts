import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import App from './App.svelte';
import { ipcError, lastCall, mockBackend, pending, session } from './test/ipc';

const verifyOk = { rows: 0, head: null, checkpoints: 0, last_checkpoint: null, problem: null };

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
      get_settings: { home: '/tmp/station', modules: [], vulndb_max_age_days: 30, build: { version: '0.1.0', commit: '0123456789abcdef0123456789abcdef01234567', profile: 'release' } },
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
    mockBackend({ session_info: () => { throw ipcError('storage', 'cannot open station.db', 'check STRONGROOM_HOME'); } });
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
      session_info: { home: '/h', claimed: false, operator: null, roles: [], may: [], needs: {}, disabled: false },
      claim_station: () => { throw ipcError('usage', 'name taken', 'pick another name'); },
    });
    render(App);
    await waitFor(() => expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('Claim this station'));
    await fireEvent.input(screen.getByTestId('login-name'), { target: { value: 'root' } });
    await fireEvent.input(screen.getByTestId('login-pass'), { target: { value: 'twelve chars!!' } });
    await fireEvent.input(screen.getByTestId('login-pass2'), { target: { value: 'twelve chars!!' } });
    // no extra role is ticked until the person ticks it
    for (const r of ['release-officer', 'approver', 'auditor']) {
      expect((screen.getByTestId(`claim-role-${r}`) as HTMLInputElement).checked).toBe(false);
    }
    await fireEvent.click(screen.getByTestId('claim-role-approver'));
    await fireEvent.click(screen.getByTestId('claim-button'));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('pick another name'));
    expect(lastCall(calls, 'claim_station').payload).toEqual({ name: 'root', roles: ['approver'], passphrase: 'twelve chars!!' });
    expect((screen.getByTestId('login-pass') as HTMLInputElement).value).toBe('');
  });

  it('claiming refuses a passphrase of only spaces', async () => {
    const calls = mockBackend({ session_info: { home: '/h', claimed: false, operator: null, roles: [], may: [], needs: {}, disabled: false } });
    render(App);
    await waitFor(() => expect(screen.getByTestId('claim-button')).toBeTruthy());
    await fireEvent.input(screen.getByTestId('login-name'), { target: { value: 'root' } });
    await fireEvent.input(screen.getByTestId('login-pass'), { target: { value: ' '.repeat(12) } });
    await fireEvent.input(screen.getByTestId('login-pass2'), { target: { value: ' '.repeat(12) } });
    await fireEvent.click(screen.getByTestId('claim-button'));
    expect(screen.getByRole('alert').textContent).toContain('The passphrase cannot be only spaces.');
    expect(calls.some((c) => c.cmd === 'claim_station')).toBe(false);
  });

  it('asks the station for the session on every screen change', async () => {
    const calls = mockBackend({ session_info: session, station_overview: overview, audit_list: [], audit_verify: verifyOk });
    render(App);
    await waitFor(() => expect(document.title).toBe('Strongroom — Station'));
    const before = calls.filter((c) => c.cmd === 'session_info').length;
    await fireEvent.click(screen.getByTestId('nav-audit'));
    await waitFor(() => expect(calls.filter((c) => c.cmd === 'session_info').length).toBe(before + 1));
  });

  it('a refusal refreshes the session: a disabled account is told so and offered only Log out', async () => {
    let disabled = false;
    const calls = mockBackend({
      session_info: () => ({ ...session, disabled }),
      station_overview: overview,
      audit_list: () => {
        disabled = true;
        throw ipcError('forbidden', 'the account alice is disabled', 'ask a custodian');
      },
      logout: { ...session, operator: null, roles: [], may: [] },
    });
    render(App);
    await waitFor(() => expect(document.title).toBe('Strongroom — Station'));
    // the screen change itself asks (still enabled); the refused audit_list asks again
    await fireEvent.click(screen.getByTestId('nav-audit'));
    await waitFor(() => expect(screen.getByTestId('session-disabled').textContent).toContain('Your account was disabled'));
    expect(screen.getByTestId('session-disabled').textContent).toContain('Log out');
    expect(screen.queryByTestId('nav-station')).toBeNull();
    expect(screen.getAllByRole('button').map((b) => b.textContent)).toEqual(['Log out']);
    await fireEvent.click(screen.getByTestId('logout'));
    await waitFor(() => expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('Log in'));
    expect(lastCall(calls, 'logout')).toBeTruthy();
  });

  it('a failed login does not make the shell ask for the session again', async () => {
    const calls = mockBackend({
      session_info: { ...session, operator: null, roles: [], may: [] },
      login: () => { throw ipcError('auth', 'wrong operator name or passphrase'); },
    });
    render(App);
    await waitFor(() => expect(screen.getByTestId('login-button')).toBeTruthy());
    await fireEvent.input(screen.getByTestId('login-name'), { target: { value: 'alice' } });
    await fireEvent.input(screen.getByTestId('login-pass'), { target: { value: 'nope' } });
    await fireEvent.click(screen.getByTestId('login-button'));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('wrong operator name'));
    expect(calls.filter((c) => c.cmd === 'session_info').length).toBe(1);
  });
});
