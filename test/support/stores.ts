import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createBlobStore } from '../../src/modules/store/blob-store.js';

/** Raw and attachment stores in a fresh temp folder, for use-case tests that call createIntake directly. */
export function temporaryStores() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ticketd-stores-'));
  return { rawStore: createBlobStore({ dir: path.join(dir, 'raw'), compress: true }), attachmentStore: createBlobStore({ dir: path.join(dir, 'attachments'), compress: false }), dir };
}
