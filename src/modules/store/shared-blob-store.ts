import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { eq } from 'drizzle-orm';
import type { Db } from '../../shared/db.js';
import { createError } from '../../shared/errors.js';
import { firstRow } from '../../shared/db-results.js';
import type { BlobRef, BlobStore, BlobWriter } from './blob-store.js';
import { blobs } from './blobs.tables.js';

export type StoreName = 'raw' | 'attachments';

/**
 * A blob store every instance on one database can read (issue 18): each blob is kept in the `blobs` table
 * (content-addressed, its bytes as stored: gzip'd for raw mail), and the local files of `files` are this
 * instance's copy of what it stored or has read. For PostgreSQL without a shared `storage.path` (src/app/start.ts).
 *
 * - `put` / `writer`: the file as `files` stores it, then its bytes into the table before the blob's digest is
 *   handed back, so nothing committed afterwards can name a blob only one host has. Storing the same content
 *   again (here or on another instance) adds no row.
 * - `ensure(sha256)`: true when the blob can be read here, fetching it from the table into the local files when
 *   another instance stored it (whole or not at all: `files.place`); false when the database has none.
 * Everything else (`has`, `open`, `read`, `head`, `pathOf`) reads the local files: call `ensure` first.
 */
export function createSharedBlobStore({ files, db, store }: { files: BlobStore; db: Db; store: StoreName }): BlobStore {
  const t = db.tables({ blobs });
  const keyOf = (sha256: string) => `${store}/${sha256}`;

  async function shared(sha256: string): Promise<boolean> {
    return firstRow(await db.select({ key: t.blobs.key }).from(t.blobs).where(eq(t.blobs.key, keyOf(sha256)))) !== undefined;
  }

  /** Copies a stored file's bytes into the table, unless some instance did already. */
  async function adopt({ sha256, size }: BlobRef): Promise<void> {
    // Asked first: a blob stored again (the same mail twice, a retried upload) is not read and sent again.
    if (await shared(sha256)) return;
    const bytes = await readFile(files.pathOf(sha256));
    await db.write(async () => {
      await db.insert(t.blobs).values({ key: keyOf(sha256), store, sha256, bytes, size, createdAt: new Date() }).onConflictDoNothing();
    });
  }

  function writer(): BlobWriter {
    const inner = files.writer();
    const done = inner.done.then(async (blob) => {
      await adopt(blob);
      return blob;
    });
    // As in blob-store.ts: the caller awaits `done`, an early failure must not surface as an unhandled rejection.
    done.catch(() => undefined);
    return { stream: inner.stream, done };
  }

  async function put(source: Buffer | Readable): Promise<BlobRef> {
    const blob = await files.put(source);
    await adopt(blob);
    return blob;
  }

  async function ensure(sha256: string): Promise<boolean> {
    if (files.has(sha256)) return true;
    const row = firstRow(await db.select({ bytes: t.blobs.bytes }).from(t.blobs).where(eq(t.blobs.key, keyOf(sha256))));
    if (!row) return false;
    await files.place(sha256, row.bytes);
    return true;
  }

  return { ...files, writer, put, ensure, adopt };
}

/**
 * The file of an attachment, by sha256, for the SMTP sender to stream: fetched first when another instance stored
 * it. Resolved when the mail is sent (the outbox row holds only the digest), never when it is queued.
 */
export function attachmentFiles(store: Pick<BlobStore, 'ensure' | 'pathOf'>): (sha256: string) => Promise<string> {
  return async (sha256) => {
    if (!(await store.ensure(sha256))) throw createError({ code: 'store.missing', message: `attachment ${sha256} is in no store this instance can read` });
    return store.pathOf(sha256);
  };
}
