import { describe, expect, it } from 'vitest';
import { hashToken, newVerificationToken, tokenState } from './registration.models.js';

describe('verification tokens', () => {
  it('are random, URL-safe and stored only as their sha256', () => {
    const one = newVerificationToken();
    const two = newVerificationToken();
    expect(one.token).not.toBe(two.token);
    expect(one.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(one.tokenHash).toBe(hashToken(one.token));
    expect(one.tokenHash).not.toContain(one.token);
  });

  it('are valid until the expiry instant, then expired; used and unknown tokens say so', () => {
    const expiresAt = new Date('2026-11-26T10:00:00Z');
    expect(tokenState({ expiresAt, usedAt: null }, new Date('2026-11-26T09:59:59.999Z'))).toBe('valid');
    expect(tokenState({ expiresAt, usedAt: null }, expiresAt)).toBe('expired');
    expect(tokenState({ expiresAt, usedAt: new Date('2026-11-26T09:00:00Z') }, new Date('2026-11-26T09:30:00Z'))).toBe('used');
    expect(tokenState(undefined, expiresAt)).toBe('unknown');
  });
});
