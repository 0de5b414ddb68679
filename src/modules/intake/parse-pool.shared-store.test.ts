import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { openTwoInstances } from '../../../test/support/test-database.js';
import type { Db } from '../../shared/db.js';
import { createBlobStore } from '../store/blob-store.js';
import { createSharedBlobStore } from '../store/shared-blob-store.js';
import { createParsePool } from './parse-pool.js';

/** An instance's raw and attachment stores: folders of its own, the shared database. */
function storesOf(db: Db) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ticketd-parse-shared-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return {
    raw: createSharedBlobStore({ files: createBlobStore({ dir: path.join(dir, 'raw'), compress: true }), db, store: 'raw' }),
    attachments: createSharedBlobStore({ files: createBlobStore({ dir: path.join(dir, 'attachments'), compress: false }), db, store: 'attachments' }),
  };
}

const report = 'disk report\n'.repeat(500);
const mail = [
  'From: Customer <c@example.com>',
  'To: help@example.com',
  'Subject: [SEV3] disk is slow',
  'Message-ID: <shared-1@example.com>',
  'Date: Sat, 05 Dec 2026 10:00:00 +0000',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="b1"',
  '',
  '--b1',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'The disk is slow, report attached.',
  '--b1',
  'Content-Type: text/plain; name="report.txt"',
  'Content-Disposition: attachment; filename="report.txt"',
  'Content-Transfer-Encoding: base64',
  '',
  ...(Buffer.from(report).toString('base64').match(/.{1,76}/g) ?? []),
  '--b1--',
  '',
].join('\r\n');

describe('the parse pool with stores shared through PostgreSQL', () => {
  let one: Db;
  let two: Db;
  let close: () => Promise<void>;
  beforeEach(async () => {
    ({ one, two, close } = await openTwoInstances('postgresql'));
  });
  afterEach(async () => close());

  it("parses by digest a message another instance stored, and shares the attachments its worker wrote", async () => {
    const a = storesOf(one);
    const b = storesOf(two);
    const { sha256 } = await a.raw.put(Buffer.from(mail));
    const pool = createParsePool({ rawStore: b.raw, attachmentStore: b.attachments, supportAddress: 'help@example.com' });
    onTestFinished(() => pool.close());

    // Only the digest, as for a message too big to hand over or one reprocessed: B's worker reads B's files.
    const outcome = await pool.parse({ sha256 }, { budgetMs: 20_000 });
    if (outcome.kind !== 'read') throw new Error(`expected a reading, got ${outcome.kind}`);
    expect(outcome.message.subject).toBe('[SEV3] disk is slow');
    const [attachment] = outcome.message.attachments;
    expect(attachment).toMatchObject({ filename: 'report.txt', size: report.length });

    // Written by B's worker into B's folder, shared before parse resolved: A reads it.
    expect(a.attachments.has(attachment?.sha256 ?? '')).toBe(false);
    expect(await a.attachments.ensure(attachment?.sha256 ?? '')).toBe(true);
    expect(readFileSync(a.attachments.pathOf(attachment?.sha256 ?? ''), 'utf8')).toBe(report);
  });
});
