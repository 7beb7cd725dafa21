import { describe, expect, it } from 'vitest';
import { ipcError, lastCall, mockBackend, sendProgress } from '../../test/ipc';
import type { Progress } from '../types';
import * as api from './index';

describe('backend module over mocked IPC', () => {
  it('sends camelCase argument keys and returns the typed result', async () => {
    const calls = mockBackend({ save_public_key: (p: Record<string, unknown>) => `/out/${p.key}.pem` });
    await expect(api.savePublicKey('release-2025', '/out/x.pem')).resolves.toBe('/out/release-2025.pem');
    expect(lastCall(calls, 'save_public_key').payload).toEqual({ key: 'release-2025', path: '/out/x.pem' });
  });

  it('uses the exact keys the commands take', async () => {
    const calls = mockBackend({ release_export: {}, trust_add: {}, verify_bundle: {}, release_approve: {} });
    await api.releaseExport('/b.zip', '/usb', ['age1xyz']);
    await api.trustAdd('/k.pem', 'ci', 'approver', 'bob', ['production'], { name: 'carol', passphrase: 'c' });
    await api.verifyBundle({ bundle: '/b.zip', artifactsDir: null, policies: [], passphrase: null });
    await api.releaseApprove({ bundle: '/b.zip', key: 'k', operator: 'bob', operatorPassphrase: 'op', secret: 's' });
    expect(lastCall(calls, 'release_export').payload).toEqual({ bundle: '/b.zip', folder: '/usb', encryptTo: ['age1xyz'] });
    expect(lastCall(calls, 'trust_add').payload).toEqual({
      pemPath: '/k.pem',
      name: 'ci',
      purpose: 'approver',
      holder: 'bob',
      stages: ['production'],
      consent: { name: 'carol', passphrase: 'c' },
    });
    const v = lastCall(calls, 'verify_bundle').payload;
    expect(v.artifactsDir).toBeNull();
    expect(v.onProgress).toBeDefined();
    const a = lastCall(calls, 'release_approve').payload;
    expect(a.operatorPassphrase).toBe('op');
    expect(a.secret).toBe('s');
  });

  it('delivers progress events from the channel to the callback', async () => {
    mockBackend({
      hash_files: (p: Record<string, unknown>) => {
        sendProgress(p, [
          { kind: 'hash_start', files: 1, total_bytes: 10 },
          { kind: 'hashed', bytes: 10 },
        ]);
        return [];
      },
    });
    const seen: Progress[] = [];
    await api.hashFiles(['/a'], (p) => seen.push(p));
    expect(seen.map((p) => p.kind)).toEqual(['hash_start', 'hashed']);
  });

  it('rejects with the IpcError and errorText joins message and remedy', async () => {
    mockBackend({
      list_keys: () => {
        throw ipcError('not_found', 'no key named x', 'list keys with `strongroom key list`');
      },
    });
    const e = await api.listKeys().catch((x) => x);
    expect(e.code).toBe('not_found');
    expect(api.errorText(e)).toBe('no key named x — list keys with `strongroom key list`');
  });

  it('errorText handles values that are not IpcErrors', () => {
    expect(api.errorText(new Error('boom'))).toBe('boom');
    expect(api.errorText('plain')).toBe('plain');
    expect(api.errorText({ code: 'x', message: 'm', remedy: null, pin: null })).toBe('m');
    expect(api.errorText(42)).toBe('42');
    expect(api.toIpcError('oops')).toEqual({ code: 'internal', message: 'oops', remedy: null, pin: null });
  });
});
