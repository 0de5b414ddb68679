export type SessionLimits = { idleMs: number; maxMs: number };

/**
 * Pure: what a stored session is worth now. It ends after `idleMs` without a request and `maxMs` after
 * sign-in, however active (OWASP Session Management: idle and absolute timeouts).
 */
export function sessionState(session: { createdAt: Date; lastSeenAt: Date }, now: Date, limits: SessionLimits): 'valid' | 'idle' | 'expired' {
  if (now.getTime() - session.createdAt.getTime() >= limits.maxMs) return 'expired';
  if (now.getTime() - session.lastSeenAt.getTime() >= limits.idleMs) return 'idle';
  return 'valid';
}

/** The last-seen time is written at most once a minute: not every page view needs a database write. */
export function needsTouch(session: { lastSeenAt: Date }, now: Date): boolean {
  return now.getTime() - session.lastSeenAt.getTime() >= 60_000;
}
