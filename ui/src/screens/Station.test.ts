import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import { ipcError, mockBackend, pending, session } from '../test/ipc';
import Station from './Station.svelte';

const flags = { count_low: false, final_try: false, locked: false, to_be_changed: false };
const key = (label: string, status: string) => ({
  label, key_id: `id-${label}`, algorithm: 'ecdsa-p256', backend: 'software', status, created: '2025-01-01T00:00:00Z', uri: null, attributes: {},
});
const part = <T>(value: T) => ({ value, error: null });
const vuln = { records: 0, ecosystems: {}, snapshot: null, snapshot_age_days: null, max_age_days: 30, stale: true, imports: [] };
const empty = {
  session,
  keys: part([]),
  tokens: part([]),
  vulndb: part(vuln),
  audit: { value: null, error: 'the audit log needs the auditor role' },
  warnings: [] as string[],
};

describe('Station screen', () => {
  it('loading', () => {
    mockBackend({ station_overview: pending });
    render(Station, { onsession: () => {} });
    expect(screen.getByTestId('loading')).toBeTruthy();
  });

  it('empty', async () => {
    mockBackend({ station_overview: empty });
    render(Station, { onsession: () => {} });
    await waitFor(() => expect(screen.getByTestId('station-keys').textContent).toContain('No signing keys yet'));
    expect(screen.getByTestId('station-tokens').textContent).toContain('No hardware token present');
    expect(screen.getByTestId('station-vulndb').textContent).toContain('Empty');
    expect(screen.getByTestId('station-vulndb').textContent).toContain('STALE: no data');
    expect(screen.getByTestId('station-audit').textContent).toContain('the audit log needs the auditor role');
    expect(screen.queryByTestId('station-warnings')).toBeNull();
  });

  it('standing warnings: no custodian quorum', async () => {
    mockBackend({ station_overview: { ...empty, warnings: ['This station has no custodian quorum: one custodian alone changes who is trusted.'] } });
    render(Station, { onsession: () => {} });
    await waitFor(() => expect(screen.getByTestId('station-warnings').textContent).toContain('no custodian quorum'));
  });

  it('error', async () => {
    mockBackend({ station_overview: () => { throw ipcError('storage', 'station database is locked', 'close the other strongroom process'); } });
    render(Station, { onsession: () => {} });
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('station database is locked'));
    expect(screen.getByRole('alert').textContent).toContain('close the other strongroom process');
  });

  it('success: cards with tokens, key counts, stale DB, chain state; log out', async () => {
    const onsession = vi.fn();
    mockBackend({
      station_overview: {
        ...empty,
        keys: part([key('a', 'active'), key('b', 'active'), key('c', 'retired')]),
        tokens: part([{ module: '/usr/lib/softhsm/libsofthsm2.so', tokens: [{
          slot_id: 7, label: 'vault', manufacturer: 'SoftHSM project', model: 'SoftHSM v2', serial: '1', login_required: true,
          user_pin_initialized: true, protected_authentication_path: false, user_pin: { ...flags, final_try: true },
          mechanisms: [], algorithms: ['ecdsa-p256'] }] }]),
        vulndb: part({ records: 1200, ecosystems: { npm: 1000, PyPI: 200 }, snapshot: '2025-01-01', snapshot_age_days: 90, max_age_days: 30, stale: true, imports: [] }),
        audit: part({ rows: 42, head: 'ab', checkpoints: 2, last_checkpoint: null, problem: null }),
      },
      logout: { ...session, operator: null, roles: [] },
    });
    render(Station, { onsession });
    await waitFor(() => expect(screen.getByTestId('station-operator').textContent).toContain('alice'));
    expect(screen.getByTestId('station-tokens').textContent).toContain('vault');
    expect(screen.getByTestId('station-tokens').textContent).toContain('one try left');
    expect(screen.getByTestId('station-keys').textContent).toContain('active: 2');
    expect(screen.getByTestId('station-keys').textContent).toContain('retired: 1');
    expect(screen.getByTestId('station-vulndb').textContent).toContain('STALE');
    expect(screen.getByTestId('station-audit').textContent).toContain('Chain OK');
    expect(screen.getByTestId('station-audit').textContent).toContain('42 rows, 2 checkpoints');
    await fireEvent.click(screen.getByTestId('logout'));
    await waitFor(() => expect(onsession).toHaveBeenCalledWith(expect.objectContaining({ operator: null })));
  });

  it('shows a part that failed without hiding the others', async () => {
    mockBackend({ station_overview: { ...empty, tokens: { value: null, error: 'module /usr/lib/x.so failed to load' }, keys: part([key('a', 'active')]) } });
    render(Station, { onsession: () => {} });
    await waitFor(() => expect(screen.getByTestId('station-tokens').textContent).toContain('module /usr/lib/x.so failed to load'));
    expect(screen.getByTestId('station-keys').textContent).toContain('active: 1');
  });

  it('shows a broken audit chain', async () => {
    mockBackend({ station_overview: { ...empty, audit: part({ rows: 5, head: null, checkpoints: 0, last_checkpoint: null, problem: { Edited: { seq: 3 } } }) } });
    render(Station, { onsession: () => {} });
    await waitFor(() => expect(screen.getByTestId('station-audit').textContent).toContain('row 3 was changed after it was written'));
  });
});
