import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { count, eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { openTestDatabase, openTwoInstances } from '../../../test/support/test-database.js';
import type { Db } from '../../shared/db.js';
import { rawNumber } from '../../shared/db-results.js';
import { createBlobStore, type BlobStore } from './blob-store.js';
import { blobs } from './blobs.tables.js';
import { attachmentFiles, createSharedBlobStore, type StoreName } from './shared-blob-store.js';

/** A fresh folder, removed when the calling test finishes. */
function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ticketd-shared-blobs-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Every file under `dir` (the blobs and anything left in tmp/), by path relative to it. */
function filesIn(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}

const sha256Of = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Mail-like bytes of about `size`: compressible text with random runs, so gzip has work to do. */
function mailBytes(size: number): Buffer {
  const chunks: Buffer[] = [Buffer.from('Subject: big\r\n\r\n')];
  let length = chunks[0]?.length ?? 0;
  while (length < size) {
    const chunk = Buffer.from(`${randomBytes(48).toString('base64')}\r\n`);
    chunks.push(chunk);
    length += chunk.length;
  }
  return Buffer.concat(chunks).subarray(0, size);
}

describe('the blob store shared through PostgreSQL: two instances, two local folders, one database', () => {
  let one: Db;
  let two: Db;
  let close: () => Promise<void>;
  beforeEach(async () => {
    ({ one, two, close } = await openTwoInstances('postgresql'));
  });
  afterEach(async () => close());

  /** An instance's store of one kind: its own folder, the shared database. */
  function instance(db: Db, store: StoreName) {
    const dir = tempDir();
    const files = createBlobStore({ dir, compress: store === 'raw' });
    return { dir, files, shared: createSharedBlobStore({ files, db, store }) };
  }

  async function rowsOf(db: Db): Promise<number> {
    const t = db.tables({ blobs });
    const [row] = await db.select({ rows: count() }).from(t.blobs);
    return rawNumber(row?.rows ?? 0);
  }

  it('reads on B the raw mail A stored, a multi-MB one and a small one, byte for byte, fetched only when asked', async () => {
    const a = instance(one, 'raw');
    const b = instance(two, 'raw');
    const big = mailBytes(6 * 1024 * 1024);
    const small = Buffer.from('Subject: hi\r\n\r\nsmall\r\n');
    const bigRef = await a.shared.put(big);
    const smallRef = await a.shared.put(Readable.from([small.subarray(0, 5), small.subarray(5)]));
    expect(bigRef).toEqual({ sha256: sha256Of(big), size: big.length });
    expect(smallRef).toEqual({ sha256: sha256Of(small), size: small.length });

    // In the table as soon as put resolves: what is committed next can name it.
    const t = one.tables({ blobs });
    const [row] = await one.select().from(t.blobs).where(eq(t.blobs.key, `raw/${bigRef.sha256}`));
    expect(row).toMatchObject({ store: 'raw', sha256: bigRef.sha256, size: big.length, createdAt: expect.any(Date) });
    // The file's bytes as stored: gzip'd for raw mail.
    expect(row?.bytes.equals(readFileSync(a.files.pathOf(bigRef.sha256)))).toBe(true);
    expect(gunzipSync(row?.bytes ?? Buffer.alloc(0)).equals(big)).toBe(true);

    expect(b.shared.has(bigRef.sha256)).toBe(false);
    expect(await b.shared.ensure(bigRef.sha256)).toBe(true);
    expect(await b.shared.ensure(smallRef.sha256)).toBe(true);
    expect((await b.shared.read(bigRef.sha256)).equals(big)).toBe(true);
    expect((await b.shared.read(smallRef.sha256)).equals(small)).toBe(true);
    expect(await b.shared.head(bigRef.sha256, 10)).toEqual(big.subarray(0, 10));
    expect(filesIn(b.dir)).toEqual([path.join(bigRef.sha256.slice(0, 2), `${bigRef.sha256}.gz`), path.join(smallRef.sha256.slice(0, 2), `${smallRef.sha256}.gz`)].sort());
    // A second ensure finds the local copy.
    expect(await b.shared.ensure(bigRef.sha256)).toBe(true);
  });

  it('keeps attachments as they came, written through a writer (LMTP, uploads) or adopted from the parse worker', async () => {
    const a = instance(one, 'attachments');
    const b = instance(two, 'attachments');
    const upload = Buffer.from('%PDF-1.7 not really\n');
    const writer = a.shared.writer();
    writer.stream.end(upload);
    const uploaded = await writer.done;
    // The parse worker writes into the folder with a plain store of its own; the pool adopts what it wrote.
    const parsed = Buffer.from('an attachment the worker stored');
    const worker = createBlobStore({ dir: a.dir, compress: false });
    const fromWorker = await worker.put(parsed);
    expect(await b.shared.ensure(fromWorker.sha256)).toBe(false);
    await a.shared.adopt(fromWorker);

    for (const [ref, bytes] of [[uploaded, upload], [fromWorker, parsed]] as const) {
      expect(await b.shared.ensure(ref.sha256)).toBe(true);
      expect(readFileSync(b.shared.pathOf(ref.sha256)).equals(bytes)).toBe(true);
    }
    const t = two.tables({ blobs });
    expect((await two.select({ bytes: t.blobs.bytes }).from(t.blobs).where(eq(t.blobs.key, `attachments/${uploaded.sha256}`)))[0]?.bytes.equals(upload)).toBe(true);
  });

  it('stores the same content once: put twice on A, again on B, and once more under the other store name', async () => {
    const a = instance(one, 'raw');
    const b = instance(two, 'raw');
    const bytes = Buffer.from('Subject: twice\r\n\r\nsame\r\n');
    const first = await a.shared.put(bytes);
    expect(await a.shared.put(bytes)).toEqual(first);
    expect(await b.shared.put(bytes)).toEqual(first);
    await Promise.all([a.shared.put(Buffer.from('race')), b.shared.put(Buffer.from('race'))]);
    expect(await rowsOf(one)).toBe(2);
    // The key names the store: the same bytes as an attachment are another blob (stored uncompressed).
    await instance(one, 'attachments').shared.put(bytes);
    expect(await rowsOf(two)).toBe(3);
  });

  it('answers false for a digest no instance stored, and writes nothing', async () => {
    const b = instance(two, 'raw');
    const before = filesIn(b.dir);
    expect(await b.shared.ensure('0'.repeat(64))).toBe(false);
    expect(filesIn(b.dir)).toEqual(before);
    expect(b.shared.has('0'.repeat(64))).toBe(false);
  });

  it('never shows a partial file: the fetched bytes appear whole under their name, through tmp/ and a rename', async () => {
    const a = instance(one, 'attachments');
    const b = instance(two, 'attachments');
    const bytes = randomBytes(8 * 1024 * 1024);
    const { sha256 } = await a.shared.put(bytes);
    const target = b.shared.pathOf(sha256);
    // Looks at the target on every turn of the event loop while B fetches: it is absent, or whole.
    const seen: number[] = [];
    let looking = true;
    const look = () => {
      seen.push(existsSync(target) ? statSync(target).size : -1);
      if (looking) setImmediate(look);
    };
    look();
    const fetched = b.shared.ensure(sha256);
    const answer = await fetched;
    looking = false;
    expect(answer).toBe(true);
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.filter((size) => size !== -1 && size !== bytes.length)).toEqual([]);
    expect(readFileSync(target).equals(bytes)).toBe(true);
    expect(readdirSync(path.join(b.dir, 'tmp'))).toEqual([]);
  });

  it('refuses bytes that do not match their digest (a damaged row): no file appears, nothing is left in tmp/', async () => {
    const b = instance(two, 'raw');
    const sha256 = sha256Of(Buffer.from('what the row claims'));
    const t = one.tables({ blobs });
    const wrong = createBlobStore({ dir: tempDir(), compress: true });
    const stored = readFileSync(wrong.pathOf((await wrong.put(Buffer.from('something else'))).sha256));
    await one.write(async () => {
      await one.insert(t.blobs).values({ key: `raw/${sha256}`, store: 'raw', sha256, bytes: stored, size: 19, createdAt: new Date() });
    });
    await expect(b.shared.ensure(sha256)).rejects.toMatchObject({ code: 'store.corrupt' });
    expect(filesIn(b.dir)).toEqual([]);
  });

  it('resolves an attachment for the SMTP sender from another instance, and refuses one nobody stored', async () => {
    const a = instance(one, 'attachments');
    const b = instance(two, 'attachments');
    const { sha256 } = await a.shared.put(Buffer.from('report'));
    const fileOf = attachmentFiles(b.shared);
    expect(readFileSync(await fileOf(sha256), 'utf8')).toBe('report');
    await expect(fileOf('f'.repeat(64))).rejects.toMatchObject({ code: 'store.missing' });
  });
});

describe('the plain file store answers ensure from its files (SQLite, or a shared storage.path)', () => {
  let db: Db;
  beforeEach(async () => {
    db = await openTestDatabase('sqlite');
  });
  afterEach(async () => db.close());

  it('is true for a stored blob, false for an unknown one; adopt adds nothing to the database', async () => {
    const store: BlobStore = createBlobStore({ dir: tempDir(), compress: true });
    const ref = await store.put(Buffer.from('Subject: local\r\n\r\n'));
    expect(await store.ensure(ref.sha256)).toBe(true);
    expect(await store.ensure('0'.repeat(64))).toBe(false);
    await store.adopt(ref);
    const t = db.tables({ blobs });
    expect(await db.select().from(t.blobs)).toEqual([]);
    expect(await attachmentFiles(store)(ref.sha256)).toBe(store.pathOf(ref.sha256));
  });
});
