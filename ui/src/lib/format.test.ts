import { describe, expect, it } from 'vitest';
import { entries, fixHint, formatBytes, pinPhrase, shortHash, withFix } from './format';
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
    expect(entries({ extractable: false, sensitive: true })).toEqual([
      ['extractable', 'false'],
      ['sensitive', 'true'],
    ]);
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
