import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { onTestFinished } from 'vitest';
import { createBlobStore } from '../../src/modules/store/blob-store.js';

/**
 * Raw and attachment stores in a fresh temp folder, for use-case tests that call createIntake directly. Call it
 * inside a test or a beforeEach: the folder is removed when that test finishes.
 */
export function temporaryStores() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ticketd-stores-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return { rawStore: createBlobStore({ dir: path.join(dir, 'raw'), compress: true }), attachmentStore: createBlobStore({ dir: path.join(dir, 'attachments'), compress: false }), dir };
}
