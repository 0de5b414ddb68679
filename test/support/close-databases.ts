import { afterAll } from 'vitest';
import { closeTemporaryDatabases } from '../../src/shared/db.js';

// `openDatabase({ path: ':memory:' })` makes a private temporary file (src/shared/db.ts): whatever a test file left
// open is closed and removed after it, so the global setup's check for leftover temp folders stays strict.
afterAll(() => closeTemporaryDatabases());
