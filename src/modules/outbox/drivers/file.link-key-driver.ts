import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createError } from '../../../shared/errors.js';

/**
 * The key that seals links in the outbox, in a file of its own beside the stores (not in the database, so a
 * copy or backup of the database alone opens nothing). Created on first use, mode 0600; the daemon and the
 * CLI (`users add --welcome` queues a link the daemon sends) share it. Read once per process.
 */
export function fileLinkKey({ file }: { file: string }): () => Buffer {
  let key: Buffer | undefined;
  return () => (key ??= readOrCreate(file));
}

function readOrCreate(file: string): Buffer {
  try {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    try {
      // `wx`: two processes starting at once do not overwrite each other's key.
      writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { flag: 'wx', mode: 0o600 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
    if (key.length !== 32) throw new Error(`expected 64 hex characters in ${file}`);
    return key;
  } catch (error) {
    throw createError({ code: 'outbox.link_key_unavailable', message: `cannot read or create the link key ${file}`, cause: error });
  }
}
