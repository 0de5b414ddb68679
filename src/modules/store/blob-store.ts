import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { open as openFile, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, Transform, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { createGunzip, createGzip, gunzip } from 'node:zlib';
import { createError } from '../../shared/errors.js';

export type BlobRef = { sha256: string; size: number };
export type BlobWriter = { stream: Writable; done: Promise<BlobRef> };

/**
 * Content-addressed files on disk: `DIR/ab/<sha256>[.gz]`, named by the sha256 of the original bytes.
 * Writes stream through a temp file, fsync'd, then renamed, so a blob is either whole or absent, never
 * half-written, even after a power cut: a blob is never rewritten once it exists (same name, same content), so
 * a torn one would stay torn for good. Nothing is held in memory. Storing the same content twice is a no-op.
 */
export function createBlobStore({ dir, compress }: { dir: string; compress: boolean }) {
  const suffix = compress ? '.gz' : '';
  const tmpDir = path.join(dir, 'tmp');
  mkdirSync(tmpDir, { recursive: true });

  const pathOf = (sha256: string) => path.join(dir, sha256.slice(0, 2), `${sha256}${suffix}`);

  /** A writable to pipe the bytes into; `done` resolves with the blob's digest once it is stored. */
  function writer(): BlobWriter {
    const hash = createHash('sha256');
    let size = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        size += chunk.length;
        callback(null, chunk);
      },
    });
    const input = new PassThrough();
    const tmp = path.join(tmpDir, randomUUID());
    const stages: Array<NodeJS.ReadableStream | NodeJS.WritableStream> = [input, counter, ...(compress ? [createGzip({ level: 6 })] : []), createWriteStream(tmp, { flush: true })]; // flush: fsync before close, so before the rename
    const done = (async (): Promise<BlobRef> => {
      try {
        await pipeline(stages as unknown as [Readable, Writable]);
        const sha256 = hash.digest('hex');
        const target = pathOf(sha256);
        if (existsSync(target)) {
          await rm(tmp, { force: true });
        } else {
          mkdirSync(path.dirname(target), { recursive: true });
          await rename(tmp, target);
        }
        return { sha256, size };
      } catch (error) {
        await rm(tmp, { force: true });
        throw createError({ code: 'store.write_failed', message: `could not store a blob in ${dir}`, cause: error, retryable: true });
      }
    })();
    // The caller awaits `done`; keep an early failure from surfacing as an unhandled rejection meanwhile.
    done.catch(() => undefined);
    return { stream: input, done };
  }

  async function put(source: Buffer | Readable): Promise<BlobRef> {
    const { stream, done } = writer();
    if (Buffer.isBuffer(source)) {
      stream.end(source);
      return done;
    }
    // pipe() does not forward a read error (EISDIR, EIO, a broken stdin): unhandled, it would end the process.
    let readError: unknown;
    source.once('error', (error) => {
      readError = error;
      stream.destroy(error);
    });
    source.pipe(stream);
    try {
      return await done;
    } catch (error) {
      if (readError === undefined) throw error;
      throw createError({ code: 'store.source_failed', message: `could not read the bytes to store: ${(readError as Error).message}`, cause: readError });
    }
  }

  function has(sha256: string): boolean {
    return existsSync(pathOf(sha256));
  }

  /**
   * Whether the blob can be read here. Here the files are the whole store, so: whether its file exists; a store
   * shared through the database (shared-blob-store.ts) first fetches a blob another instance stored.
   */
  async function ensure(sha256: string): Promise<boolean> {
    return has(sha256);
  }

  /**
   * Makes a blob written into this folder by another writer (the parse worker's own store) as reachable as one
   * stored through `put`. The files being the whole store here, there is nothing to do.
   */
  async function adopt(_blob: BlobRef): Promise<void> {}

  /**
   * Puts a blob's bytes as stored (gzip'd when compressed), copied from elsewhere, in place: checked against their
   * digest, then like `writer` through a temp file, fsync'd, renamed. A blob already here is left as it is.
   */
  async function place(sha256: string, stored: Buffer): Promise<void> {
    const target = pathOf(sha256);
    if (existsSync(target)) return;
    const original = compress ? await promisify(gunzip)(stored) : stored;
    if (createHash('sha256').update(original).digest('hex') !== sha256) {
      throw createError({ code: 'store.corrupt', message: `the bytes given for blob ${sha256} do not have that digest` });
    }
    const tmp = path.join(tmpDir, randomUUID());
    try {
      const file = await openFile(tmp, 'w');
      try {
        await file.writeFile(stored);
        await file.sync();
      } finally {
        await file.close();
      }
      mkdirSync(path.dirname(target), { recursive: true });
      await rename(tmp, target);
    } catch (error) {
      await rm(tmp, { force: true });
      throw createError({ code: 'store.write_failed', message: `could not store a blob in ${dir}`, cause: error, retryable: true });
    }
  }

  /** The original bytes as a stream. */
  function open(sha256: string): Readable {
    const file = createReadStream(pathOf(sha256));
    return compress ? file.pipe(createGunzip()) : file;
  }

  /** At most the first `maxBytes` of the original bytes (the rest is never read or unpacked). */
  async function head(sha256: string, maxBytes: number): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let size = 0;
    const file = createReadStream(pathOf(sha256));
    const bytes = compress ? file.pipe(createGunzip()) : file;
    file.once('error', (error) => bytes.destroy(error));
    try {
      for await (const chunk of bytes) {
        chunks.push(chunk as Buffer);
        size += (chunk as Buffer).length;
        if (size >= maxBytes) break;
      }
    } finally {
      // Both: destroying the gunzip alone would leave the file open, paused.
      bytes.destroy();
      file.destroy();
    }
    return Buffer.concat(chunks).subarray(0, maxBytes);
  }

  async function read(sha256: string): Promise<Buffer> {
    if (!compress) return readFile(pathOf(sha256));
    const chunks: Buffer[] = [];
    for await (const chunk of open(sha256)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  return { dir, writer, put, has, ensure, adopt, place, open, head, read, pathOf };
}

export type BlobStore = ReturnType<typeof createBlobStore>;
