/**
 * The password rules (NIST SP 800-63B 3.1.1.2): at least 8 characters, at most 128 (argon2 costs the same
 * for any length, but a limit keeps the form honest), not one of the common passwords, not the address
 * itself; no composition rules (they make passwords worse, not better). Length counts characters as a
 * person sees them (code points), so an emoji is one, not two.
 */
export const PASSWORD_MIN_CHARS = 8;
export const PASSWORD_MAX_CHARS = 128;

export function passwordProblem({ password, email, common }: { password: string; email: string; common: Set<string> }): string | undefined {
  const length = [...password].length;
  if (length < PASSWORD_MIN_CHARS) return `Please choose a password of at least ${PASSWORD_MIN_CHARS} characters.`;
  if (length > PASSWORD_MAX_CHARS) return `Please choose a password of at most ${PASSWORD_MAX_CHARS} characters.`;
  const lower = password.toLowerCase();
  if (common.has(lower)) return 'This password is one of the most common ones: please choose another.';
  const address = email.toLowerCase();
  const localPart = address.slice(0, address.lastIndexOf('@'));
  if (lower === address || (localPart.length > 0 && lower === localPart)) return 'Please do not use your address as the password.';
  return undefined;
}
