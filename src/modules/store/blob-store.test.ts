import fs, { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { createBlobStore } from './blob-store.js';

/** A fresh folder, removed when the calling test finishes. */
function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ticketd-blobs-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('the content-addressed blob store', () => {
  afterEach(() => vi.restoreAllMocks());

  it('stores streamed bytes under their sha256, compressed, and gives the same bytes back', async () => {
    const store = createBlobStore({ dir: tempDir(), compress: true });
    const bytes = Buffer.from('Subject: hello\r\n\r\nbody '.repeat(1000));
    const ref = await store.put(Readable.from([bytes.subarray(0, 100), bytes.subarray(100)]));
    expect(ref).toEqual({ sha256: expect.stringMatching(/^[0-9a-f]{64}$/), size: bytes.length });
    expect(store.has(ref.sha256)).toBe(true);
    expect(await store.read(ref.sha256)).toEqual(bytes);
    expect(await store.put(bytes)).toEqual(ref);
  });

  it('flushes every blob to the disk before it gets its name: a power cut cannot leave a torn blob that is never rewritten', async () => {
    const sync = vi.spyOn(fs, 'fsync');
    const dir = tempDir();
    const store = createBlobStore({ dir, compress: false });
    await store.put(Buffer.from('one'));
    await store.put(Buffer.from('two'));
    expect(sync).toHaveBeenCalledTimes(2);
    // Nothing left behind in the temp folder.
    expect(readdirSync(path.join(dir, 'tmp'))).toEqual([]);
  });

  it('rejects with a coded error when the source fails to read (a directory, a broken pipe), instead of ending the process', async () => {
    const dir = tempDir();
    const store = createBlobStore({ dir, compress: true });
    await expect(store.put(fs.createReadStream(dir))).rejects.toMatchObject({ code: 'store.source_failed', message: expect.stringContaining('EISDIR') });
    expect(readdirSync(path.join(dir, 'tmp'))).toEqual([]);
  });

  it('reads only the head of a stored blob', async () => {
    const store = createBlobStore({ dir: tempDir(), compress: true });
    const bytes = Buffer.from('Subject: hello\r\n\r\n'.padEnd(200_000, 'x'));
    const ref = await store.put(bytes);
    expect(await store.head(ref.sha256, 10)).toEqual(bytes.subarray(0, 10));
    expect(await store.head(ref.sha256, 1_000_000)).toEqual(bytes);
  });
});
