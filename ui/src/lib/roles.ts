// What the logged-in operator may do, from the session the station sends (`may`: the action names
// its role matrix allows now; `needs`: the matrix itself), and the note that says why a control is
// disabled. The station
// checks every act again; this only keeps the page from offering what it would refuse.
import type { Action, Role, SessionInfo } from './types';

/** True when the session's operator may do `action` now. */
export function may(session: SessionInfo | null | undefined, action: Action): boolean {
  return !!session && !!session.operator && !session.disabled && (session.may ?? []).includes(action);
}

/** "custodian or auditor", "a, b or c". */
function either(roles: Role[]): string {
  if (roles.length <= 1) return roles[0] ?? 'another';
  return `${roles.slice(0, -1).join(', ')} or ${roles[roles.length - 1]}`;
}

/**
 * Why the operator may not do (some of) `actions`, or null when they may do them all:
 * "Needs the custodian role: you hold release-officer".
 */
export function roleNote(session: SessionInfo | null | undefined, ...actions: Action[]): string | null {
  if (session?.disabled) return 'Your account was disabled: it may do nothing more.';
  const missing = actions.filter((a) => !may(session, a));
  if (missing.length === 0) return null;
  const roles = [...new Set(missing.flatMap((a) => session?.needs[a] ?? []))];
  const held = session?.roles.length ? session.roles.join(', ') : 'no role';
  return `Needs the ${either(roles)} role: you hold ${held}.`;
}
