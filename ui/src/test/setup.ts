// Test setup: a window global for @tauri-apps/api, DOM cleanup and IPC mocks reset after each test.
import { cleanup } from '@testing-library/svelte';
import { clearMocks } from '@tauri-apps/api/mocks';
import { afterEach } from 'vitest';

(globalThis as { window?: unknown }).window ??= globalThis;

afterEach(() => {
  cleanup();
  clearMocks();
});
