import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { existsError, ipcError, lastCall, mockBackend, OFFICER_MAY, pending, session, sessionAs } from '../test/ipc';
import Audit from './Audit.svelte';

const row = (seq: number, operator: string, action: string, object: string, outcome = 'ok') => ({
  seq, time: `2025-01-0${seq}T00:00:00Z`, operator, action, object, outcome, details: {}, prev_hash: '0', hash: '1',
});
const rows = [row(1, 'alice', 'operator.init', 'alice'), row(2, 'alice', 'key.generate', 'SHA256:abc'), row(3, 'mallory', 'login.failed', 'mallory', 'denied')];

describe('Audit screen', () => {
  it('loading', () => {
    mockBackend({ audit_list: pending });
    render(Audit, { session });
    expect(screen.getByTestId('loading')).toBeTruthy();
  });

  it('empty', async () => {
    mockBackend({ audit_list: [] });
    render(Audit, { session });
    await waitFor(() => expect(screen.getByTestId('audit-empty')).toBeTruthy());
  });

  it('error', async () => {
    mockBackend({ audit_list: () => { throw ipcError('forbidden', 'the audit log needs the auditor role', 'ask a custodian to grant auditor'); } });
    render(Audit, { session });
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('ask a custodian to grant auditor'));
  });

  it('success: rows, client-side text filter, server-side action filter', async () => {
    const calls = mockBackend({ audit_list: (p: Record<string, unknown>) => (p.action ? rows.filter((r) => r.action === p.action) : rows) });
    render(Audit, { session });
    await waitFor(() => expect(screen.getByTestId('audit-table')).toBeTruthy());
    expect(screen.getAllByTestId(/^audit-row-/).length).toBe(3);
    expect(screen.getByTestId('audit-row-3').textContent).toContain('denied');
    expect(lastCall(calls, 'audit_list').payload).toEqual({ action: null, since: null });
    await fireEvent.input(screen.getByTestId('audit-filter'), { target: { value: 'MALLORY' } });
    expect(screen.getAllByTestId(/^audit-row-/).map((r) => r.dataset.testid)).toEqual(['audit-row-3']);
    await fireEvent.input(screen.getByTestId('audit-filter'), { target: { value: '' } });
    await fireEvent.change(screen.getByTestId('audit-action'), { target: { value: 'key.generate' } });
    await waitFor(() => expect(screen.getAllByTestId(/^audit-row-/).length).toBe(1));
    expect(lastCall(calls, 'audit_list').payload).toEqual({ action: 'key.generate', since: null });
  });

  it('verifies the chain: OK, then a broken chain names the problem', async () => {
    let broken = false;
    mockBackend({
      audit_list: rows,
      audit_verify: () => ({ rows: 3, head: 'h', checkpoints: 1, last_checkpoint: null, problem: broken ? { BrokenLink: { seq: 2 } } : null }),
    });
    render(Audit, { session });
    await fireEvent.click(screen.getByTestId('audit-verify'));
    await waitFor(() => expect(screen.getByTestId('audit-status').textContent).toContain('Chain OK: 3 rows, 1 checkpoints'));
    broken = true;
    await fireEvent.click(screen.getByTestId('audit-verify'));
    await waitFor(() => expect(screen.getByTestId('audit-status').textContent).toContain('row 2 does not link to the row before it'));
  });

  it('exports to the chosen path and shows an export error', async () => {
    let fail = true;
    const calls = mockBackend({
      audit_list: rows,
      audit_export: (p: Record<string, unknown>) => {
        if (fail) throw ipcError('storage', 'cannot write /ro/audit.json', 'choose a writable folder');
        return p.path;
      },
    });
    render(Audit, { session });
    await fireEvent.input(screen.getByTestId('audit-export-path'), { target: { value: '/ro/audit.json' } });
    await fireEvent.click(screen.getByTestId('audit-export'));
    await waitFor(() => expect(screen.getByTestId('audit-export-error').textContent).toContain('choose a writable folder'));
    fail = false;
    await fireEvent.input(screen.getByTestId('audit-export-path'), { target: { value: '/out/audit.json' } });
    await fireEvent.click(screen.getByTestId('audit-export'));
    await waitFor(() => expect(screen.getByTestId('audit-exported').textContent).toContain('/out/audit.json'));
    expect(lastCall(calls, 'audit_export').payload).toEqual({ path: '/out/audit.json', overwrite: false });
  });

  it('asks before replacing an existing export file: Replace repeats with overwrite, Cancel writes nothing', async () => {
    const calls = mockBackend({
      audit_list: rows,
      audit_export: (p: Record<string, unknown>) => {
        if (!p.overwrite) throw existsError(p.path as string);
        return p.path;
      },
    });
    render(Audit, { session });
    await fireEvent.input(screen.getByTestId('audit-export-path'), { target: { value: '/out/audit.json' } });
    await fireEvent.click(screen.getByTestId('audit-export'));
    await waitFor(() => expect(screen.getByTestId('replace-dialog').textContent).toContain('Replace /out/audit.json?'));
    expect(screen.getByTestId('confirm-ok').textContent).toBe('Replace');
    await fireEvent.click(screen.getByTestId('confirm-cancel'));
    expect(screen.queryByTestId('replace-dialog')).toBeNull();
    expect(screen.getByTestId('audit-export-notice').textContent).toContain('Nothing was written');
    expect(screen.queryByTestId('audit-exported')).toBeNull();
    expect(calls.filter((c) => c.cmd === 'audit_export').length).toBe(1);
    await fireEvent.click(screen.getByTestId('audit-export'));
    await waitFor(() => expect(screen.getByTestId('replace-dialog')).toBeTruthy());
    await fireEvent.click(screen.getByTestId('confirm-ok'));
    await waitFor(() => expect(screen.getByTestId('audit-exported').textContent).toContain('/out/audit.json'));
    expect(lastCall(calls, 'audit_export').payload).toEqual({ path: '/out/audit.json', overwrite: true });
  });

  it('a release officer sees why Verify and Export are disabled, naming custodians and auditors', async () => {
    const calls = mockBackend({});
    render(Audit, { session: sessionAs('rob', ['release-officer'], OFFICER_MAY) });
    const note = screen.getByTestId('role-note').textContent ?? '';
    expect(note).toContain('custodian');
    expect(note).toContain('auditor');
    expect(note).toContain('you hold release-officer');
    expect((screen.getByTestId('audit-verify') as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByTestId('audit-export') as HTMLButtonElement).disabled).toBe(true);
    // nothing is asked of the station that it would refuse
    expect(calls.length).toBe(0);
  });
});
