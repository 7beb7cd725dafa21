import { describe, expect, it } from 'vitest';
import { existsError, ipcError, lastCall, mockBackend, sendProgress } from '../../test/ipc';
import type { Progress } from '../types';
import * as api from './index';

describe('backend module over mocked IPC', () => {
  it('sends camelCase argument keys and returns the typed result', async () => {
    const calls = mockBackend({ save_public_key: (p: Record<string, unknown>) => `/out/${p.key}.pem` });
    await expect(api.savePublicKey('release-2025', '/out/x.pem')).resolves.toBe('/out/release-2025.pem');
    expect(lastCall(calls, 'save_public_key').payload).toEqual({ key: 'release-2025', path: '/out/x.pem', overwrite: false });
  });

  // That these are the names the Rust commands take is checked from the Rust side, in
  // src-tauri/tests/ui_calls.rs; this checks how the functions fill them in.
  it('fills in every key, defaults included', async () => {
    const calls = mockBackend({ release_export: {}, trust_add: {}, verify_bundle: {}, release_approve: {}, image_inspect: {} });
    await api.releaseExport('/b.zip', '/usb', ['age1xyz']);
    await api.trustAdd('/k.pem', 'ci', 'approver', 'bob', ['production'], { name: 'carol', passphrase: 'c' });
    await api.verifyBundle({ bundle: '/b.zip', artifactsDir: null, policies: [], passphrase: null });
    await api.releaseApprove({ bundle: '/b.zip', key: 'k', operator: 'bob', operatorPassphrase: 'op', secret: 's' });
    await api.imageInspect({ reference: 'registry.example.com/acme/app', source: '/build/app-oci:1.0' });
    expect(lastCall(calls, 'release_export').payload).toEqual({ bundle: '/b.zip', folder: '/usb', encryptTo: ['age1xyz'], overwrite: false });
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
    expect(lastCall(calls, 'image_inspect').payload).toEqual({
      image: { reference: 'registry.example.com/acme/app', source: '/build/app-oci:1.0' },
    });
    const a = lastCall(calls, 'release_approve').payload;
    expect(a.operatorPassphrase).toBe('op');
    expect(a.secret).toBe('s');
  });

  it('keyless verification sends one `form` with snake_case keys; trusted roots take path, name and consent', async () => {
    const calls = mockBackend({ verify_keyless: {}, trust_root_import: {}, trust_root_remove: {} });
    const form = {
      bundle: '/in/b.sigstore.json',
      trusted_root: 'public-good',
      artifact: `sha256:${'a'.repeat(64)}`,
      identity: 'appu@google.com',
      identity_regexp: false,
      issuer: 'https://accounts.google.com',
      issuer_regexp: true,
      repository: null,
      git_ref: null,
      workflow: null,
    };
    await api.verifyKeyless(form);
    await api.trustRootImport('/roots/trusted_root.json', 'public-good');
    await api.trustRootRemove('github', { name: 'carol', passphrase: 'c' });
    expect(lastCall(calls, 'verify_keyless').payload).toEqual({ form });
    expect(lastCall(calls, 'trust_root_import').payload).toEqual({ path: '/roots/trusted_root.json', name: 'public-good', consent: null });
    expect(lastCall(calls, 'trust_root_remove').payload).toEqual({ name: 'github', consent: { name: 'carol', passphrase: 'c' } });
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
    expect(api.toIpcError('oops')).toEqual({ code: 'internal', message: 'oops', remedy: null, pin: null, exists: null });
    // an older error shape without `exists` still normalises
    expect(api.toIpcError({ code: 'x', message: 'm', remedy: null, pin: null }).exists).toBeNull();
  });

  it('every writing command takes overwrite, false unless asked', async () => {
    const calls = mockBackend({ save_public_key: '', save_report: '', audit_export: '', trust_export: {}, release_export: {} });
    await api.savePublicKey('k', '/o.pem', true);
    await api.saveReport('/r.html', 'html');
    await api.saveReport('/r.json', 'json', true);
    await api.auditExport('/a.jsonl');
    await api.auditExport('/a.jsonl', true);
    await api.trustExport('ck', '/t.json', 's', true);
    await api.releaseExport('/b.zip', '/usb', [], true);
    expect(lastCall(calls, 'save_public_key').payload).toEqual({ key: 'k', path: '/o.pem', overwrite: true });
    expect(calls.filter((c) => c.cmd === 'save_report').map((c) => c.payload)).toEqual([
      { path: '/r.html', format: 'html', overwrite: false },
      { path: '/r.json', format: 'json', overwrite: true },
    ]);
    expect(calls.filter((c) => c.cmd === 'audit_export').map((c) => c.payload.overwrite)).toEqual([false, true]);
    expect(lastCall(calls, 'trust_export').payload).toEqual({ key: 'ck', output: '/t.json', secret: 's', overwrite: true });
    expect(lastCall(calls, 'release_export').payload.overwrite).toBe(true);
  });

  it('carries `exists` from a refusal to replace a file', async () => {
    mockBackend({ audit_export: () => { throw existsError('/media/usb/audit.jsonl'); } });
    const e = await api.auditExport('/media/usb/audit.jsonl').catch((x) => x);
    expect(api.toIpcError(e).exists).toBe('/media/usb/audit.jsonl');
    expect(api.existingOutput(e)).toBe('/media/usb/audit.jsonl');
    expect(api.existingOutput(ipcError('conflict', 'other'))).toBeNull();
    expect(api.existingOutput(new Error('x'))).toBeNull();
  });

  it('tells the listeners of a forbidden or auth refusal, but not of a failed login', async () => {
    mockBackend({
      list_keys: () => { throw ipcError('forbidden', 'needs the custodian role'); },
      audit_list: () => { throw ipcError('auth', 'log in first'); },
      trust_list: () => { throw ipcError('not_found', 'nothing'); },
      login: () => { throw ipcError('auth', 'wrong passphrase'); },
    });
    const seen: string[] = [];
    const stop = api.onRefusal((cmd, e) => seen.push(`${cmd}:${e.code}`));
    await api.listKeys().catch(() => {});
    await api.auditList(null, null).catch(() => {});
    await api.trustList().catch(() => {});
    await api.login('alice', 'x').catch(() => {});
    stop();
    await api.listKeys().catch(() => {});
    expect(seen).toEqual(['list_keys:forbidden', 'audit_list:auth']);
  });
});
