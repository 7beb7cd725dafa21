import { describe, expect, it } from 'vitest';
import { attributeRows, fixHint, formatBytes, keyProtection, pinPhrase, shortHash, withFix } from './format';
import type { Fix } from './types';
import { initialProgress, reduceProgress, startProgress } from './progress';

const flags = { count_low: false, final_try: false, locked: false, to_be_changed: false };

describe('format', () => {
  it('words the PIN flags, most serious first', () => {
    expect(pinPhrase({ ...flags, locked: true, final_try: true })).toBe('the PIN is locked');
    expect(pinPhrase({ ...flags, final_try: true, count_low: true })).toBe('one try left before the PIN locks');
    expect(pinPhrase({ ...flags, count_low: true })).toBe('the token reports few tries left');
    expect(pinPhrase(flags)).toBe('the token does not report how many tries are left');
  });
  it('formats sizes and hashes', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(shortHash('a'.repeat(64))).toBe(`${'a'.repeat(16)}…`);
  });
});

describe('attributeRows', () => {
  // what strongroom-ops records for a key made on a token (record_token_key)
  const tokenKey = {
    cka: { local: true, never_extractable: true, always_sensitive: true, sensitive: true, extractable: false, sign: true, decrypt: false, wrap_with_trusted: false },
    hardware_bound: true,
    backupable: false,
    id: '0a1b2c3d',
    module: '/usr/lib/softhsm/libsofthsm2.so',
    object: 'release-hsm',
    token: 'e2e-token',
    token_serial: '8f3a11',
  };

  it('gives each attribute of a token key a label, a Yes/No and its raw name, token facts first', () => {
    expect(attributeRows(tokenKey).map((r) => [r.label, r.value, r.name, r.key])).toEqual([
      ['Token', 'e2e-token', 'token', 'token'],
      ['Token serial', '8f3a11', 'token_serial', 'token_serial'],
      ['PKCS#11 module', '/usr/lib/softhsm/libsofthsm2.so', 'module', 'module'],
      ['Key label on the token', 'release-hsm', 'object', 'object'],
      ['Key ID on the token', '0a1b2c3d', 'id', 'id'],
      ['Hardware-bound (made on the token, never leaves it in the clear)', 'Yes', 'hardware_bound', 'hardware_bound'],
      ['Backup-able (leaves the token only wrapped under an SO-trusted key)', 'No', 'backupable', 'backupable'],
      ['Generated on the token', 'Yes', 'CKA_LOCAL', 'cka.local'],
      ['Never extractable', 'Yes', 'CKA_NEVER_EXTRACTABLE', 'cka.never_extractable'],
      ['Always sensitive', 'Yes', 'CKA_ALWAYS_SENSITIVE', 'cka.always_sensitive'],
      ['Sensitive', 'Yes', 'CKA_SENSITIVE', 'cka.sensitive'],
      ['Extractable', 'No', 'CKA_EXTRACTABLE', 'cka.extractable'],
      ['Can sign', 'Yes', 'CKA_SIGN', 'cka.sign'],
      ['Can decrypt', 'No', 'CKA_DECRYPT', 'cka.decrypt'],
      ['Wraps only under a trusted key', 'No', 'CKA_WRAP_WITH_TRUSTED', 'cka.wrap_with_trusted'],
    ]);
  });

  it('knows PKCS#11 attributes by their CKA_ names and as flat names', () => {
    const rows = attributeRows({ CKA_PRIVATE: true, CKA_MODIFIABLE: false, extractable: false, sensitive: true });
    expect(rows.map((r) => [r.label, r.value, r.name, r.key])).toEqual([
      ['Sensitive', 'Yes', 'CKA_SENSITIVE', 'sensitive'],
      ['Extractable', 'No', 'CKA_EXTRACTABLE', 'extractable'],
      ['Private (needs a login)', 'Yes', 'CKA_PRIVATE', 'CKA_PRIVATE'],
      ['Modifiable', 'No', 'CKA_MODIFIABLE', 'CKA_MODIFIABLE'],
    ]);
  });

  it('flattens other nested objects with readable names and keeps unknown keys readable', () => {
    const rows = attributeRows({ vendorInfo: { firmware_version: '2.6', fips: false }, slots: [1, 2], note: null, empty: {} });
    expect(rows.map((r) => [r.label, r.value, r.name])).toEqual([
      ['Vendor info: Firmware version', '2.6', 'vendorInfo.firmware_version'],
      ['Vendor info: Fips', 'No', 'vendorInfo.fips'],
      ['Slots', '1, 2', 'slots'],
      ['Note', '—', 'note'],
      ['Empty', '—', 'empty'],
    ]);
    // a key's own `sensitive` outside the cka group is not taken for the PKCS#11 attribute
    expect(attributeRows({ policy: { sensitive: true } })[0]).toEqual({ key: 'policy.sensitive', name: 'policy.sensitive', label: 'Policy: Sensitive', value: 'Yes' });
  });

  it('has no rows for a software key and one for a value that is not an object', () => {
    expect(attributeRows({})).toEqual([]);
    expect(attributeRows(null)).toEqual([]);
    expect(attributeRows(undefined)).toEqual([]);
    expect(attributeRows('opaque')).toEqual([{ key: 'value', name: 'value', label: 'Value', value: 'opaque' }]);
  });
});

describe('progress reducer', () => {
  it('counts bytes and files while hashing', () => {
    let s = startProgress();
    s = reduceProgress(s, { kind: 'hash_start', files: 2, total_bytes: 300 });
    s = reduceProgress(s, { kind: 'hashed', bytes: 100 });
    s = reduceProgress(s, { kind: 'hash_file_done', path: '/a' });
    expect([s.bytes, s.filesDone, s.files, s.totalBytes]).toEqual([100, 1, 2, 300]);
    s = reduceProgress(s, { kind: 'hash_finish' });
    expect([s.bytes, s.filesDone]).toEqual([300, 2]);
  });
  it('records items and notices', () => {
    let s = initialProgress();
    s = reduceProgress(s, { kind: 'items', what: 'components', done: 3, total: 9 });
    s = reduceProgress(s, { kind: 'notice', message: 'database is stale' });
    expect(s.items).toEqual({ what: 'components', done: 3, total: 9 });
    s = reduceProgress(s, { kind: 'items_finish' });
    expect(s.items?.done).toBe(9);
    expect(s.notices).toEqual(['database is stale']);
  });
});

describe('fixHint', () => {
  it('words every fix a rule or check can name in app terms, never a CLI flag', () => {
    const fixes: Fix[] = ['sbom', 'scan', 'provenance', 'approvals', 'artifacts'];
    for (const f of fixes) {
      const hint = fixHint(f);
      expect(hint, f).toBeTruthy();
      expect(hint, f).not.toMatch(/--|strongroom /);
    }
    expect(fixHint(null)).toBeNull();
    expect(withFix('artifact a has no SBOM', 'sbom')).toBe('artifact a has no SBOM — choose Generate or give the SBOM file in the SBOM step');
    expect(withFix('plain', null)).toBe('plain');
  });
});

describe('keyProtection', () => {
  const cka = { local: true, never_extractable: false, always_sensitive: true, sensitive: true, extractable: true, sign: true, decrypt: false, wrap_with_trusted: true };
  const facts = { token: 't', token_serial: '1', object: 'k', id: '01', module: 'm', cka, hardware_bound: false, backupable: true };
  const key = { label: 'k', key_id: 'x', algorithm: 'ecdsa-p256', backend: 'pkcs11', status: 'active', purpose: 'signer', created: '', uri: 'pkcs11:', attributes: facts, holder: null } as const;

  it('tells a backup-able token key from a sealed one and from a software key', () => {
    expect(keyProtection(key)).toBe('backup-able (wraps only under an SO-trusted key)');
    expect(keyProtection({ ...key, attributes: { ...facts, hardware_bound: true, backupable: false } })).toBe('never extractable');
    expect(keyProtection({ ...key, attributes: { ...facts, backupable: false, cka: { ...cka, extractable: false } } })).toBe('not extractable');
    expect(keyProtection({ ...key, backend: 'software', uri: null, attributes: null })).toContain('age-encrypted');
  });
});
