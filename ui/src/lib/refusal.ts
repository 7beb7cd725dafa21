// A refusal the page makes itself (a field left empty), shaped like the backend's errors so that
// ErrorBox shows both alike; its code is the backend's `usage`.
import type { IpcError } from './types';

export function refusal(message: string, remedy: string | null = null): IpcError {
  return { code: 'usage', message, remedy, pin: null, exists: null };
}
