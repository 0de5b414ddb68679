import { backoffDelayMs } from '../../shared/backoff.models.js';

/** Deliveries back off from 5 s to 15 min, jittered so a burst of failures does not retry in lockstep. */
export const DELIVERY_BACKOFF = { baseMs: 5_000, capMs: 15 * 60_000 };

export type DeliveryVerdict =
  | { status: 'sent' }
  | { status: 'retry'; nextAttemptAt: Date }
  | { status: 'failed' };

/** What a delivery attempt's result means for its outbox row. */
export function decideAfterAttempt({
  error,
  attempts,
  createdAt,
  now,
  maxAttempts,
  maxAgeMs,
  backoff = DELIVERY_BACKOFF,
  random,
}: {
  error: { retryable: boolean } | undefined;
  attempts: number;
  createdAt: Date;
  now: Date;
  maxAttempts: number;
  maxAgeMs: number;
  backoff?: { baseMs: number; capMs: number };
  random?: () => number;
}): DeliveryVerdict {
  if (!error) return { status: 'sent' };
  if (!error.retryable || attempts >= maxAttempts) return { status: 'failed' };
  const nextAttemptAt = new Date(now.getTime() + backoffDelayMs({ attempt: attempts, ...backoff, ...(random ? { random } : {}) }));
  if (nextAttemptAt.getTime() - createdAt.getTime() > maxAgeMs) return { status: 'failed' };
  return { status: 'retry', nextAttemptAt };
}
