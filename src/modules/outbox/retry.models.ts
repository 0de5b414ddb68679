/**
 * When to try a failed delivery again: exponential backoff from `baseMs`, capped at `capMs`, with "full
 * jitter" in the upper half so a burst of failures does not retry in lockstep. `random` is injectable.
 */
export function retryDelayMs({
  attempt,
  baseMs = 5_000,
  capMs = 15 * 60_000,
  random = Math.random,
}: {
  attempt: number;
  baseMs?: number;
  capMs?: number;
  random?: () => number;
}): number {
  const exponential = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential / 2 + (exponential / 2) * random());
}

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
  random,
}: {
  error: { retryable: boolean } | undefined;
  attempts: number;
  createdAt: Date;
  now: Date;
  maxAttempts: number;
  maxAgeMs: number;
  random?: () => number;
}): DeliveryVerdict {
  if (!error) return { status: 'sent' };
  if (!error.retryable || attempts >= maxAttempts) return { status: 'failed' };
  const nextAttemptAt = new Date(now.getTime() + retryDelayMs({ attempt: attempts, ...(random ? { random } : {}) }));
  if (nextAttemptAt.getTime() - createdAt.getTime() > maxAgeMs) return { status: 'failed' };
  return { status: 'retry', nextAttemptAt };
}
