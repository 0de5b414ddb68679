/**
 * How a pass downloads the new messages, pure. Small mail is fetched in batches with one IMAP command each
 * (held in memory: at most `maxBatchBytes`); a message above `streamAbove` is streamed to disk on its own, so
 * a 40 MB mail never sits in memory whole. Order is kept: UIDs are ingested ascending, batch by batch.
 */
export type DownloadStep = { kind: 'batch'; uids: number[] } | { kind: 'stream'; uid: number };

/** Raw-store writes in flight while a fetched batch is stored (libuv runs 4 file or zlib jobs at once by default). */
export const STORE_CONCURRENCY = 8;

export const DEFAULT_DOWNLOAD_LIMITS = { maxBatchMessages: 50, maxBatchBytes: 8 * 1024 * 1024, streamAbove: 1024 * 1024 };

export function planDownloads(
  pending: Array<{ uid: number; size: number }>,
  { maxBatchMessages, maxBatchBytes, streamAbove }: typeof DEFAULT_DOWNLOAD_LIMITS = DEFAULT_DOWNLOAD_LIMITS,
): DownloadStep[] {
  const steps: DownloadStep[] = [];
  let batch: number[] = [];
  let bytes = 0;
  const flush = () => {
    if (batch.length > 0) steps.push({ kind: 'batch', uids: batch });
    batch = [];
    bytes = 0;
  };
  for (const { uid, size } of pending) {
    if (size > streamAbove) {
      flush();
      steps.push({ kind: 'stream', uid });
      continue;
    }
    if (batch.length >= maxBatchMessages || (batch.length > 0 && bytes + size > maxBatchBytes)) flush();
    batch.push(uid);
    bytes += size;
  }
  flush();
  return steps;
}
