// Drives the real backend module over @tauri-apps/api's mocked IPC: each command answers from a
// handler (value, promise or thrown IpcError) and every call is recorded with its payload.
import { mockIPC } from '@tauri-apps/api/mocks';
import type { Action, IpcError, Progress, SessionInfo } from '../lib/types';

export type Call = { cmd: string; payload: Record<string, unknown> };
export type Handler = (payload: Record<string, unknown>) => unknown;

export function mockBackend(handlers: Record<string, Handler | unknown>): Call[] {
  const calls: Call[] = [];
  mockIPC((cmd, payload) => {
    const p = (payload ?? {}) as Record<string, unknown>;
    calls.push({ cmd, payload: p });
    if (!(cmd in handlers) && cmd.startsWith('plugin:')) throw new Error(`no plugin ${cmd} in tests`);
    if (!(cmd in handlers)) throw ipcError('internal', `unexpected command ${cmd} in the test`);
    const h = handlers[cmd];
    return typeof h === 'function' ? (h as Handler)(p) : h;
  });
  return calls;
}

export function ipcError(
  code: IpcError['code'],
  message: string,
  remedy: string | null = null,
  pin: IpcError['pin'] = null,
  exists: string | null = null,
): IpcError {
  return { code, message, remedy, pin, exists };
}

/** The refusal the backend sends when an output file exists and `overwrite` was false. */
export const existsError = (path: string): IpcError =>
  ipcError('conflict', `${path} already exists`, 'choose another name, or replace it', null, path);

/** A promise that never settles: the screen stays in its loading state. */
export const pending = () => new Promise<never>(() => {});

/** Sends progress events through the Channel the backend module passed in the payload. */
export function sendProgress(payload: Record<string, unknown>, events: Progress[]) {
  const ch = payload.onProgress as { onmessage: (p: Progress) => void };
  for (const e of events) ch.onmessage(e);
}

/** Every action the screens ask about (alice holds every role). */
export const ALL_ACTIONS: Action[] = [
  'key.generate', 'key.export', 'key.retire', 'key.revoke', 'key.rotate', 'token.admin', 'module.allow', 'module.remove',
  'vulndb.import', 'vulndb.configure', 'operator.add', 'operator.change', 'trust.change', 'release.create',
  'release.approve', 'release.export', 'release.verify', 'audit.verify', 'audit.list', 'audit.key', 'audit.checkpoint',
  'ceremony.run',
];

/** The station's role matrix for the actions the screens ask about (docs/operators.md). */
export const NEEDS: SessionInfo['needs'] = {
  'key.generate': ['custodian'], 'key.export': ['custodian'], 'key.retire': ['custodian'],
  'key.revoke': ['custodian'], 'key.rotate': ['custodian'], 'token.admin': ['custodian'], 'module.allow': ['custodian'],
  'module.remove': ['custodian'], 'vulndb.configure': ['custodian'], 'vulndb.import': ['custodian', 'release-officer'],
  'operator.add': ['custodian'], 'operator.change': ['custodian'], 'trust.change': ['custodian'],
  'release.create': ['release-officer'], 'release.export': ['release-officer'], 'release.approve': ['approver'],
  'release.verify': ['custodian', 'release-officer', 'approver', 'auditor'],
  'audit.verify': ['custodian', 'auditor'], 'audit.list': ['custodian', 'auditor'],
  'audit.checkpoint': ['custodian', 'auditor'], 'audit.key': ['custodian'], 'ceremony.run': ['custodian'],
};

export const session: SessionInfo = {
  home: '/tmp/station',
  claimed: true,
  operator: 'alice',
  roles: ['custodian', 'release-officer', 'approver', 'auditor'],
  may: ALL_ACTIONS,
  needs: NEEDS,
  disabled: false,
};

/** A session whose operator holds only `roles`, allowed `may`. */
export function sessionAs(operator: string, roles: SessionInfo['roles'], may: Action[]): SessionInfo {
  return { ...session, operator, roles, may };
}

/** What a release officer may do (docs/operators.md). */
export const OFFICER_MAY: Action[] = ['release.create', 'release.export', 'release.verify', 'vulndb.import'];

export function lastCall(calls: Call[], cmd: string): Call {
  const found = calls.filter((c) => c.cmd === cmd);
  if (found.length === 0) throw new Error(`no call to ${cmd}; calls: ${calls.map((c) => c.cmd).join(', ')}`);
  return found[found.length - 1];
}
