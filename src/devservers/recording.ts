/**
 * What a local test server received, in arrival order, with a way to wait until enough has arrived.
 * Shared by the SMTP peer and the HTTP receiver.
 */
export function createRecording<T>({ describe }: { describe: (got: number, wanted: number, timeoutMs: number) => string }) {
  const items: T[] = [];
  const waiters = new Set<() => void>();

  function record(item: T): void {
    items.push(item);
    for (const wake of waiters) wake();
  }

  /** Resolves with a copy of the items once there are at least `count` of them. */
  function waitFor(count: number, timeoutMs = 5000): Promise<T[]> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (items.length < count) return;
        done();
        resolve([...items]);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(describe(items.length, count, timeoutMs)));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  }

  /** In place, so a reference a test already holds sees the reset. */
  function clear(): void {
    items.length = 0;
  }

  return { items, record, waitFor, clear };
}
