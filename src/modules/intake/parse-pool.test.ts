import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBlobStore } from '../store/blob-store.js';
import { createParsePool, type MessageParser } from './parse-pool.js';

const mail = (n: number) =>
  [`From: Customer ${n} <c${n}@example.com>`, 'To: help@example.com', `Subject: [SEV3] disk ${n} is slow`, `Message-ID: <m${n}@example.com>`, 'Date: Sat, 05 Dec 2026 10:00:00 +0000', '', `Body of mail ${n}.`, ''].join('\r\n');

describe('parse pool: the bytes handed to the worker', () => {
  let dir: string;
  let pool: MessageParser;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ticketd-parse-pool-'));
    const raw = createBlobStore({ dir: join(dir, 'raw'), compress: true });
    const attachments = createBlobStore({ dir: join(dir, 'attachments'), compress: false });
    pool = createParsePool({ rawStore: raw, attachmentStore: attachments, supportAddress: 'help@example.com' });
  });
  afterAll(async () => {
    await pool.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('parses a whole Buffer and leaves the caller its bytes (moved to the worker as a copy, not taken)', async () => {
    const raw = Buffer.from(mail(1));
    const before = Buffer.from(raw);
    const outcome = await pool.parse({ sha256: 'a'.repeat(64), raw }, { budgetMs: 10_000 });
    expect(outcome.kind).toBe('read');
    if (outcome.kind === 'read') expect(outcome.message.subject).toBe('[SEV3] disk 1 is slow');
    expect(raw.byteLength).toBe(before.byteLength);
    expect(raw.equals(before)).toBe(true);
  });

  it('parses views into one larger buffer (an IMAP batch) and each view and the whole keep their bytes', async () => {
    const parts = [mail(2), mail(3), mail(4)].map((text) => Buffer.from(text));
    const batch = Buffer.concat(parts);
    const before = Buffer.from(batch);
    const views: Buffer[] = [];
    let offset = 0;
    for (const part of parts) {
      views.push(batch.subarray(offset, offset + part.length));
      offset += part.length;
    }
    const outcomes = await Promise.all(views.map((raw, index) => pool.parse({ sha256: String(index).repeat(64), raw }, { budgetMs: 10_000 })));
    expect(outcomes.map((outcome) => (outcome.kind === 'read' ? outcome.message.subject : outcome.kind))).toEqual(['[SEV3] disk 2 is slow', '[SEV3] disk 3 is slow', '[SEV3] disk 4 is slow']);
    expect(batch.buffer.byteLength).toBeGreaterThanOrEqual(before.byteLength);
    expect(batch.equals(before)).toBe(true);
    expect(views.map((view) => view.toString())).toEqual([mail(2), mail(3), mail(4)]);
  });
});
