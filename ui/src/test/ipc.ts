// Drives the real backend module over @tauri-apps/api's mocked IPC: each command answers from a
// handler (value, promise or thrown IpcError) and every call is recorded with its payload.
import { mockIPC } from '@tauri-apps/api/mocks';
import type { IpcError, Progress, SessionInfo } from '../lib/types';

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

export function ipcError(code: string, message: string, remedy: string | null = null, pin: IpcError['pin'] = null): IpcError {
  return { code, message, remedy, pin };
}

/** A promise that never settles: the screen stays in its loading state. */
export const pending = () => new Promise<never>(() => {});

/** Sends progress events through the Channel the backend module passed in the payload. */
export function sendProgress(payload: Record<string, unknown>, events: Progress[]) {
  const ch = payload.onProgress as { onmessage: (p: Progress) => void };
  for (const e of events) ch.onmessage(e);
}

export const session: SessionInfo = {
  home: '/tmp/station',
  claimed: true,
  operator: 'alice',
  roles: ['custodian', 'release-officer', 'approver', 'auditor'],
};

export function lastCall(calls: Call[], cmd: string): Call {
  const found = calls.filter((c) => c.cmd === cmd);
  if (found.length === 0) throw new Error(`no call to ${cmd}; calls: ${calls.map((c) => c.cmd).join(', ')}`);
  return found[found.length - 1];
}
