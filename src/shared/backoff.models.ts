/** Reconnect delay: exponential from `baseMs`, capped, with jitter in the upper half. Pure; `random` injectable. */
export function backoffDelayMs({
  attempt,
  baseMs = 1_000,
  capMs = 60_000,
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

/** Resolves after `ms`, or at once when `signal` aborts. Never rejects. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
