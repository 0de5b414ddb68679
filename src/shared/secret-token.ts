import { createHash, randomBytes } from 'node:crypto';

/**
 * A random secret for a link or a cookie, URL-safe, and the sha256 under which it is stored: the database
 * holds only the hash, so a copy of it gives no working link or session.
 */
export function newSecretToken({ bytes = 32 }: { bytes?: number } = {}): { token: string; tokenHash: string } {
  const token = randomBytes(bytes).toString('base64url');
  return { token, tokenHash: sha256Hex(token) };
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
