import { afterAll } from 'vitest';
import { closeTemporaryDatabases } from '../../src/shared/db.js';
import { closeTestPostgresDatabases } from './test-database.js';

// `openDatabase({ path: ':memory:' })` makes a private temporary file (src/shared/db.ts): whatever a test file left
// open is closed and removed after it, so the global setup's check for leftover temp folders stays strict. The
// PostgreSQL databases a test file made (test/support/test-database.ts) get their pools closed.
afterAll(async () => {
  closeTemporaryDatabases();
  await closeTestPostgresDatabases();
});
