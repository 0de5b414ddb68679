/**
 * A batch prepared in parallel and committed in order: every item's preparation starts at once (parsing in the
 * worker pool, authenticating), and the prepared items are handed to `commit` in the batch's order, as many at a
 * time as are ready (at most `maxGroup`), so the first of a backlog are committed while the rest still parse.
 * `commit` may commit only the first part of a group (a time limit, a failure) and say so; the rest follow.
 * A failure stops the batch at that item: the results before it are returned with the error.
 */
export async function commitInOrder<Item, Ready, Result>({
  items,
  prepare,
  commit,
  maxGroup,
}: {
  items: Item[];
  /** `done`: nothing to commit (already recorded), its result takes its place in the order. */
  prepare: (item: Item) => Promise<{ kind: 'done'; result: Result } | Ready>;
  commit: (group: Ready[]) => { results: Result[]; error?: unknown };
  maxGroup: number;
}): Promise<{ results: Result[]; error?: unknown }> {
  const pending = items.map((item) => settleLater(prepare(item)));
  const results: Result[] = [];
  let group: Ready[] = [];
  const flush = (): unknown => {
    while (group.length > 0) {
      const { results: done, error } = commit(group);
      results.push(...done);
      group = group.slice(done.length);
      if (error !== undefined) return error;
      if (done.length === 0) return new Error('commitInOrder: commit made no progress');
    }
    return undefined;
  };
  for (const [index, settled] of pending.entries()) {
    const ready = await settled.promise;
    if (isFailed(ready)) {
      // The ones after it are abandoned: their preparation may still run, its outcome is never used.
      return { results, error: flush() ?? ready.error };
    }
    if (isDone(ready)) {
      // Already recorded (a resync): in order with the rest, so what comes before it is committed first.
      const error = flush();
      if (error !== undefined) return { results, error };
      results.push(ready.result);
    } else group.push(ready);
    // Commit what is ready as soon as the next item is not.
    const next = pending[index + 1];
    if (!next || !next.settled || group.length >= maxGroup) {
      const error = flush();
      if (error !== undefined) return { results, error };
    }
  }
  return { results };
}

type Failed = { kind: 'failed'; error: unknown };

function isFailed(value: unknown): value is Failed {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'failed' && 'error' in value;
}

function isDone<Result>(value: unknown): value is { kind: 'done'; result: Result } {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'done' && 'result' in value;
}

/** A promise whose outcome can be checked without waiting (is the next item ready yet?); it never rejects. */
function settleLater<T>(promise: Promise<T>): { promise: Promise<T | Failed>; settled: boolean } {
  const handle: { promise: Promise<T | Failed>; settled: boolean } = { promise: Promise.resolve(undefined as T), settled: false };
  handle.promise = promise.then(
    (value) => {
      handle.settled = true;
      return value;
    },
    (error: unknown) => {
      handle.settled = true;
      return { kind: 'failed' as const, error };
    },
  );
  return handle;
}
