/**
 * The local stack (Dovecot, SMTP peer, pager) for a test, its daemons' database in this run's dialect: a SQLite
 * file in the stack's folder, or a fresh database on the run's PostgreSQL (TICKETD_TEST_DATABASE=postgresql).
 */
import { startLocalStack, type LocalStack } from '../../src/devservers/local-stack.js';
import type { DaemonDatabase } from './exactly-once.js';
import { createTestPostgresDatabase, testDialect } from './test-database.js';

export async function startTestStack(options: { dir?: string; oauth2?: boolean } = {}): Promise<LocalStack> {
  const databaseUrl = testDialect() === 'postgresql' ? await createTestPostgresDatabase() : undefined;
  return startLocalStack({ ...options, ...(databaseUrl ? { databaseUrl } : {}) });
}

/** Where the stack's daemons keep their data, for reading it beside them (`countRows`). */
export function stackDatabase(stack: LocalStack): DaemonDatabase {
  const database = stack.config().database ?? {};
  return typeof database.url === 'string' ? { url: database.url } : { path: String(database.path) };
}
