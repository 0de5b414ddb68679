import { describe, expect, it } from 'vitest';
import { decodeThreadIndex, threadIndexChild, threadIndexHeader, threadIndexReply, threadIndexRoot } from './thread-index.models.js';

const startedAt = new Date('2026-11-25T09:00:00.000Z');

describe('Outlook Thread-Index', () => {
  it('builds a 22-byte header block starting with the reserved 0x01 that decodes back to its time', () => {
    const header = threadIndexHeader({ threadKey: 'CS-1', startedAt });
    expect(header).toHaveLength(22);
    expect(header[0]).toBe(0x01);
    const decoded = decodeThreadIndex(header.toString('base64'));
    // The top 40 bits of the FILETIME: precise to 2^24 x 100 ns, about 1.7 s, and never later than the time.
    const early = startedAt.getTime() - (decoded?.startedAt.getTime() ?? 0);
    expect(early).toBeGreaterThanOrEqual(0);
    expect(early).toBeLessThan(1700);
    expect(decoded?.children).toBe(0);
  });

  it('gives every mail of a ticket the same header block and one 5-byte child block', () => {
    const root = threadIndexRoot({ given: undefined, threadKey: 'CS-1', startedAt });
    const first = Buffer.from(threadIndexReply({ root, at: new Date(startedAt.getTime() + 60_000) }), 'base64');
    const second = Buffer.from(threadIndexReply({ root, at: new Date(startedAt.getTime() + 3_600_000) }), 'base64');
    expect(first).toHaveLength(27);
    expect(first.subarray(0, 22).equals(second.subarray(0, 22))).toBe(true);
    expect(threadIndexRoot({ given: undefined, threadKey: 'CS-2', startedAt })).not.toBe(root);
  });

  it("keeps the customer's own Outlook header block when the mail carried a valid one", () => {
    const theirs = Buffer.concat([threadIndexHeader({ threadKey: 'outlook', startedAt }), Buffer.alloc(5, 1)]).toString('base64');
    expect(threadIndexRoot({ given: theirs, threadKey: 'CS-1', startedAt })).toBe(Buffer.from(theirs, 'base64').subarray(0, 22).toString('base64'));
    expect(threadIndexRoot({ given: 'bm90IGEgdGhyZWFkIGluZGV4', threadKey: 'CS-1', startedAt })).toBe(threadIndexRoot({ given: undefined, threadKey: 'CS-1', startedAt }));
  });

  it('encodes the time since the header in the child block, DeltaCode 0 for short gaps', () => {
    const oneMinute = threadIndexChild({ startedAt, at: new Date(startedAt.getTime() + 60_000) });
    const value = oneMinute.readUInt32BE(0);
    expect(value >>> 31).toBe(0);
    // 60 s = 600,000,000 FILETIME units; bits 18..48 of it.
    expect(value & 0x7fffffff).toBe(Math.floor(600_000_000 / 2 ** 18));
  });
});
