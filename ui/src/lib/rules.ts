// The rules the backend applies to what a person types, checked here first so the page can say so.

/** A new operator passphrase: at least 12 characters and not only whitespace (as the backend). */
export function passphraseProblem(secret: string): string | null {
  if (secret.length < 12) return 'The passphrase must be at least 12 characters.';
  if (secret.trim() === '') return 'The passphrase cannot be only spaces.';
  return null;
}
