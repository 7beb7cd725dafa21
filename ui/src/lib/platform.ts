// Window title, file dialogs and file drops: Tauri APIs wrapped so the UI also runs (and is unit
// tested) where they are absent. Each call fails soft: a missing API means "type the path".

export async function setTitle(title: string): Promise<void> {
  document.title = title;
  try {
    const { getCurrentWindow } = await import('@tauri-apps/api/window');
    await getCurrentWindow().setTitle(title);
  } catch {
    // not inside Tauri (unit tests, plain browser): document.title is enough
  }
}

export type DialogMode = 'open' | 'open-many' | 'directory' | 'save';
export type Filter = { name: string; extensions: string[] };

/** Shows the native open/save dialog; resolves to the chosen path(s) or null when cancelled. */
export async function pickPath(
  mode: DialogMode,
  title: string,
  filters?: Filter[],
  defaultPath?: string,
): Promise<string[] | null> {
  const dialog = await import('@tauri-apps/plugin-dialog');
  if (mode === 'save') {
    const path = await dialog.save({ title, filters, defaultPath });
    return path ? [path] : null;
  }
  const picked: unknown = await dialog.open({
    title,
    filters,
    defaultPath,
    directory: mode === 'directory',
    multiple: mode === 'open-many',
  });
  if (picked === null || picked === undefined) return null;
  const list = Array.isArray(picked) ? picked.map(String) : [String(picked)];
  return list.length > 0 ? list : null;
}

// --- file drops: one webview listener, handed to whichever registered target lies under the pointer.

type Target = {
  el: HTMLElement;
  onDrop: (paths: string[]) => void;
  onHover?: (over: boolean) => void;
};

const targets = new Set<Target>();
let listening: Promise<void> | null = null;

function hit(t: Target, x: number, y: number): boolean {
  const r = t.el.getBoundingClientRect();
  return x >= r.left && x <= r.right && y >= r.top && y <= r.bottom;
}

function targetAt(pos: { x: number; y: number } | undefined): Target | null {
  const list = [...targets].filter((t) => t.el.isConnected);
  if (list.length === 0) return null;
  if (pos) {
    const scale = window.devicePixelRatio || 1;
    const x = pos.x / scale;
    const y = pos.y / scale;
    // innermost (smallest) target under the pointer wins
    const under = list.filter((t) => hit(t, x, y));
    if (under.length > 0) {
      under.sort((a, b) => area(a.el) - area(b.el));
      return under[0];
    }
  }
  return list.length === 1 ? list[0] : null;
}

function area(el: HTMLElement): number {
  const r = el.getBoundingClientRect();
  return r.width * r.height;
}

async function listen(): Promise<void> {
  try {
    const { getCurrentWebview } = await import('@tauri-apps/api/webview');
    await getCurrentWebview().onDragDropEvent((event) => {
      const p = event.payload;
      if (p.type === 'over' || p.type === 'enter') {
        const t = targetAt(p.position);
        for (const x of targets) x.onHover?.(x === t);
      } else if (p.type === 'drop') {
        const t = targetAt(p.position);
        for (const x of targets) x.onHover?.(false);
        if (t && p.paths.length > 0) t.onDrop(p.paths);
      } else {
        for (const x of targets) x.onHover?.(false);
      }
    });
  } catch {
    // no Tauri webview here (unit tests): drops simply never arrive
  }
}

/** Registers `el` as a drop target; returns the function that unregisters it. */
export function registerDropTarget(
  el: HTMLElement,
  onDrop: (paths: string[]) => void,
  onHover?: (over: boolean) => void,
): () => void {
  const t: Target = { el, onDrop, onHover };
  targets.add(t);
  listening ??= listen();
  return () => {
    targets.delete(t);
  };
}

/** For tests: deliver a drop as if the webview reported it at no particular position. */
export function simulateDrop(el: HTMLElement, paths: string[]): boolean {
  for (const t of targets) {
    if (t.el === el) {
      t.onDrop(paths);
      return true;
    }
  }
  return false;
}
