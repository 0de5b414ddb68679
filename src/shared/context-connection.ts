/**
 * The database object both adapters hand out (db.ts for SQLite, postgres-db.ts for PostgreSQL): `own`'s members
 * (transaction, write, close, ...) as they are, and every other member (drizzle's select, insert, execute, ...)
 * from the connection `current()` answers for the caller's async context: its open transaction's, or the
 * read-only one outside a transaction.
 */
export function withContextConnection<Own extends object, Connection extends object>(own: Own, current: () => Connection): Own & Omit<Connection, keyof Own> {
  return new Proxy(own, {
    get(target, key) {
      if (key in target) return Reflect.get(target, key);
      const connection = current();
      const value: unknown = Reflect.get(connection, key, connection);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(connection) : value;
    },
  }) as Own & Omit<Connection, keyof Own>;
}
