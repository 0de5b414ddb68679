import { describe, expect, it } from 'vitest';
import { planDownloads } from './download-plan.models.js';

const limits = { maxBatchMessages: 3, maxBatchBytes: 1000, streamAbove: 600 };
const mail = (uid: number, size: number) => ({ uid, size });

describe('planning the downloads of a pass', () => {
  it('batches small mail by count and by bytes, streams big mail alone, and keeps UID order', () => {
    expect(planDownloads([mail(1, 100), mail(2, 100), mail(3, 100), mail(4, 100), mail(5, 700), mail(6, 500), mail(7, 500), mail(8, 10)], limits)).toEqual([
      { kind: 'batch', uids: [1, 2, 3] },
      { kind: 'batch', uids: [4] },
      { kind: 'stream', uid: 5 },
      { kind: 'batch', uids: [6, 7] },
      { kind: 'batch', uids: [8] },
    ]);
  });

  it('plans nothing for nothing, and a lone small mail as a batch of one', () => {
    expect(planDownloads([], limits)).toEqual([]);
    expect(planDownloads([mail(9, 600)], limits)).toEqual([{ kind: 'batch', uids: [9] }]);
  });
});
