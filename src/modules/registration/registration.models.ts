import { newSecretToken, sha256Hex } from '../../shared/secret-token.js';

/** 32 random bytes, URL-safe. Only its sha256 is stored: a database leak gives no working links. */
export function newVerificationToken(): { token: string; tokenHash: string } {
  return newSecretToken({ bytes: 32 });
}

export function hashToken(token: string): string {
  return sha256Hex(token);
}

export type TokenState = 'valid' | 'unknown' | 'used' | 'expired';

/** Pure: what a presented token is worth now. */
export function tokenState(row: { expiresAt: Date; usedAt: Date | null } | undefined, now: Date): TokenState {
  if (!row) return 'unknown';
  if (row.usedAt) return 'used';
  if (now.getTime() >= row.expiresAt.getTime()) return 'expired';
  return 'valid';
}
