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
  commit: (group: Ready[]) => Promise<{ results: Result[]; error?: unknown }>;
  maxGroup: number;
}): Promise<{ results: Result[]; error?: unknown }> {
  const pending = items.map((item) => settleLater(prepare(item)));
  const results: Result[] = [];
  let group: Ready[] = [];
  const flush = async (): Promise<unknown> => {
    while (group.length > 0) {
      const { results: done, error } = await commit(group);
      results.push(...done);
      group = group.slice(done.length);
      if (error !== undefined) return error;
      if (done.length === 0) return new Error('commitInOrder: commit made no progress');
    }
    return undefined;
  };
  for (const [index, settled] of pending.entries()) {
    const outcome = await settled.promise;
    if (!outcome.ok) {
      // The ones after it are abandoned: their preparation may still run, its outcome is never used.
      return { results, error: (await flush()) ?? outcome.error };
    }
    const ready = outcome.value;
    if (isDone(ready)) {
      // Already recorded (a resync): in order with the rest, so what comes before it is committed first.
      const error = await flush();
      if (error !== undefined) return { results, error };
      results.push(ready.result);
    } else group.push(ready);
    // Commit what is ready as soon as the next item is not.
    const next = pending[index + 1];
    if (!next || !next.settled || group.length >= maxGroup) {
      const error = await flush();
      if (error !== undefined) return { results, error };
    }
  }
  return { results };
}

function isDone<Ready, Result>(value: { kind: 'done'; result: Result } | Ready): value is { kind: 'done'; result: Result } {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'done';
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** A promise whose outcome can be checked without waiting (is the next item ready yet?); it never rejects. */
function settleLater<T>(promise: Promise<T>): { promise: Promise<Settled<T>>; settled: boolean } {
  const handle: { promise: Promise<Settled<T>>; settled: boolean } = { promise: Promise.resolve({ ok: false, error: undefined }), settled: false };
  handle.promise = promise.then(
    (value): Settled<T> => {
      handle.settled = true;
      return { ok: true, value };
    },
    (error: unknown): Settled<T> => {
      handle.settled = true;
      return { ok: false, error };
    },
  );
  return handle;
}
