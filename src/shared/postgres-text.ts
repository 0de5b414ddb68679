/**
 * PostgreSQL's text cannot hold U+0000 (SQLSTATE 22021), while mail can: a bounce's subject ending in a NUL byte
 * stopped a mailbox's sync on that message for good (found by the backlog bench over the shared corpus). Every
 * string a query sends is cleaned here, once, instead of at each column: a NUL becomes U+FFFD, the character
 * that says "something undecodable stood here". Buffers (bytea) are left as they are. SQLite keeps the NUL.
 */
export const NUL_REPLACEMENT = '\uFFFD';

export function withoutNul(value: unknown): unknown {
  return typeof value === 'string' && value.includes('\u0000') ? value.replaceAll('\u0000', NUL_REPLACEMENT) : value;
}

type Queryable = { query: (...args: never[]) => unknown };

/** `target` (a pg Pool or Client) whose `query` sends every string parameter without NUL. */
export function nulSafe<T extends Queryable>(target: T): T {
  const query = target.query.bind(target) as (...args: unknown[]) => unknown;
  return new Proxy(target, {
    get(object, property, receiver) {
      if (property !== 'query') return Reflect.get(object, property, receiver) as unknown;
      return (first: unknown, ...rest: unknown[]) => {
        if (first && typeof first === 'object' && Array.isArray((first as { values?: unknown }).values)) {
          const config = first as { values: unknown[] };
          return query({ ...config, values: config.values.map(withoutNul) }, ...rest);
        }
        if (Array.isArray(rest[0])) return query(first, (rest[0] as unknown[]).map(withoutNul), ...rest.slice(1));
        return query(first, ...rest);
      };
    },
  });
}
