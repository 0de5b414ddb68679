import { createHash } from 'node:crypto';

/**
 * Outlook's `Thread-Index` ([MS-OXOMSG] 2.2.1.3, PidTagConversationIndex): a 22-byte header block (the
 * reserved byte 0x01, the top 40 bits of a FILETIME big-endian, a 16-byte GUID) and one 5-byte child block
 * per reply. Outlook groups a conversation by that header block, so every
 * mail of a ticket carries the same one (the ticket's creation time and a GUID derived from its ref) plus a
 * child block for the time since. Without it Outlook does not thread our replies (freescout#4922).
 */
const FILETIME_EPOCH_OFFSET_MS = 11_644_473_600_000n;

export function fileTimeOf(date: Date): bigint {
  return (BigInt(date.getTime()) + FILETIME_EPOCH_OFFSET_MS) * 10_000n;
}

export function threadIndexHeader({ threadKey, startedAt }: { threadKey: string; startedAt: Date }): Buffer {
  const header = Buffer.alloc(22);
  header.writeUInt8(0x01, 0);
  // The 32 bits of the FILETIME's high part and the 8 high bits of its low part, big-endian.
  header.writeUIntBE(Number((fileTimeOf(startedAt) >> 24n) & 0xffffffffffn), 1, 5);
  createHash('sha256').update(`ticketd-thread:${threadKey}`).digest().copy(header, 6, 0, 16);
  return header;
}

/** A child block for a reply written at `at` in a thread whose header is `startedAt`. */
export function threadIndexChild({ startedAt, at, sequence = 0 }: { startedAt: Date; at: Date; sequence?: number }): Buffer {
  const diff = fileTimeOf(at) - fileTimeOf(startedAt);
  const delta = diff < 0n ? 0n : diff;
  // DeltaCode 0: bits 18..48 of the difference; DeltaCode 1 for gaps of 2^49 units (about 1.7 years) or more: bits 23..53.
  const deltaCode = delta >= 1n << 49n ? 1n : 0n;
  const timeBits = (deltaCode === 0n ? delta >> 18n : delta >> 23n) & 0x7fffffffn;
  const block = Buffer.alloc(5);
  block.writeUInt32BE(Number((deltaCode << 31n) | timeBits), 0);
  block.writeUInt8(sequence & 0x0f, 4);
  return block;
}

/**
 * The 22-byte header block a ticket's mail shares (base64): the customer's own when their client sent a
 * valid Thread-Index (Outlook then files our replies under their conversation), else one of ours.
 */
export function threadIndexRoot({ given, threadKey, startedAt }: { given: string | undefined; threadKey: string; startedAt: Date }): string {
  const bytes = given ? Buffer.from(given.trim(), 'base64') : undefined;
  if (bytes && bytes.length >= 22 && (bytes.length - 22) % 5 === 0 && bytes[0] === 0x01) return bytes.subarray(0, 22).toString('base64');
  return threadIndexHeader({ threadKey, startedAt }).toString('base64');
}

/** The Thread-Index of a reply written at `at` under a root: the root plus one child block. */
export function threadIndexReply({ root, at }: { root: string; at: Date }): string {
  const header = Buffer.from(root, 'base64').subarray(0, 22);
  const startedAt = decodeThreadIndex(header.toString('base64'))?.startedAt ?? at;
  return Buffer.concat([header, threadIndexChild({ startedAt, at })]).toString('base64');
}

/** Reads the start time back from a Thread-Index (for tests and diagnostics); undefined if malformed. */
export function decodeThreadIndex(value: string): { startedAt: Date; guid: string; children: number } | undefined {
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length < 22 || (bytes.length - 22) % 5 !== 0) return undefined;
  if (bytes[0] !== 0x01) return undefined;
  const fileTime = BigInt(bytes.readUIntBE(1, 5)) << 24n;
  const ms = fileTime / 10_000n - FILETIME_EPOCH_OFFSET_MS;
  return { startedAt: new Date(Number(ms)), guid: bytes.subarray(6, 22).toString('hex'), children: (bytes.length - 22) / 5 };
}
