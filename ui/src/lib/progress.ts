// Folds the backend's Progress events into one state the ProgressBar shows (pure, unit-tested).
import type { Progress } from './types';

export type ProgressState = {
  active: boolean;
  files: number;
  filesDone: number;
  totalBytes: number;
  bytes: number;
  items: { what: string; done: number; total: number } | null;
  notices: string[];
};

export function initialProgress(): ProgressState {
  return {
    active: false,
    files: 0,
    filesDone: 0,
    totalBytes: 0,
    bytes: 0,
    items: null,
    notices: [],
  };
}

export function startProgress(): ProgressState {
  return { ...initialProgress(), active: true };
}

export function reduceProgress(s: ProgressState, p: Progress): ProgressState {
  switch (p.kind) {
    case 'hash_start':
      return { ...s, active: true, files: p.files, filesDone: 0, totalBytes: p.total_bytes, bytes: 0 };
    case 'hashed':
      return { ...s, bytes: s.bytes + p.bytes };
    case 'hash_file_done':
      return { ...s, filesDone: s.filesDone + 1 };
    case 'hash_finish':
      return { ...s, bytes: Math.max(s.bytes, s.totalBytes), filesDone: Math.max(s.filesDone, s.files) };
    case 'items':
      return { ...s, active: true, items: { what: p.what, done: p.done, total: p.total } };
    case 'items_finish':
      return s.items ? { ...s, items: { ...s.items, done: s.items.total } } : s;
    case 'notice':
      return { ...s, notices: [...s.notices, p.message] };
    default:
      return s;
  }
}
