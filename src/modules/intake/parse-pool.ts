import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { createError, isTicketdError } from '../../shared/errors.js';
import { createSilentLogger, type Logger } from '../../shared/logger.js';
import type { InboundMessage } from '../desk/inbound.types.js';
import { ownAddresses, type MailboxesConfig } from '../desk/mailboxes.models.js';
import type { BlobStore } from '../store/blob-store.js';
import { readMessage, type MessageReading } from './message-reading.models.js';
import { parseRawMessage } from './parse.js';

/** One message to parse: its digest in the raw store, and its bytes when the caller still holds them. */
export type ParseInput = { sha256: string; raw?: Buffer };
export type ParseOutcome = { kind: 'read'; message: InboundMessage; reading: MessageReading } | { kind: 'over-budget'; budgetMs: number };
/** Messages up to this size are handed to the worker with their bytes; larger ones it reads from the raw store. */
const HAND_OVER_MAX_BYTES = 1024 * 1024;

/** Parses and reads one message under a budget. Throws only coded errors (`intake.parse_failed`, `store.*`, ...). */
export type MessageParser = { parse(input: ParseInput, options: { budgetMs: number }): Promise<ParseOutcome>; close(): Promise<void>; warm?(): void };

/** `ownAddresses`: every address of the desk; the worker's reading treats mail from or looping through any as ours. */
export type WorkerSettings = { rawDir: string; attachmentDir: string; ownAddresses: string[] };

/** Whose mail is ours: the desk's config (every mailbox's address, `ownAddresses`), or one address (tests, tools). */
export type OwnAddressesOption = { config: MailboxesConfig; supportAddress?: undefined } | { supportAddress: string; config?: undefined };

function ownAddressesOf(option: OwnAddressesOption): string[] {
  return option.config ? ownAddresses(option.config) : [option.supportAddress.toLowerCase()];
}
export type ParseTask = { id: number; sha256: string; raw?: Uint8Array; budgetMs: number };
export type WorkerReply =
  | { id: number; ok: true; message: InboundMessage; reading: MessageReading }
  | { id: number; ok: false; error: { code: string; message: string; retryable: boolean; cause: string | undefined } };

/** `ready`: the worker loaded its modules; a budget starts only then (a cold start is not the message's cost). */
type Slot = { worker: Worker; busy: boolean; ready: Promise<void>; loaded: boolean };
type Waiting = { task: ParseTask; resolve: (outcome: ParseOutcome) => void; reject: (error: unknown) => void };

/**
 * Parsing (mailparser) and reading (classify, reply text, severity) run in worker threads, one message per
 * worker at a time, each under a budget. A message over budget is answered `over-budget` at once and its
 * worker terminated, whatever it was doing: a regex gone quadratic, or mailparser 3.14 waiting forever on an
 * inline empty message/rfc822 part. So one mail can hold up the mails behind it by its budget, never more.
 * A worker that dies (out of memory under `maxMemoryMb`, a crash) fails only its message. `size` messages
 * are parsed at once (`limits.parseWorkers`). `spares` loaded workers may wait beside them, so a
 * worker terminated over a budget is replaced without the next message waiting for one to load (~0.3 s); each
 * costs ~35 MB of resident memory all the time, so the daemon keeps none: a terminated worker's replacement
 * starts loading at once, and only the message after an over-budget one waits for it.
 */
export function createParsePool(
  options: {
    rawStore: Pick<BlobStore, 'dir' | 'ensure'>;
    attachmentStore: Pick<BlobStore, 'dir' | 'adopt'>;
    size?: number;
    spares?: number;
    maxMemoryMb?: number;
    youngGenerationMb?: number;
    workerUrl?: URL;
    logger?: Logger;
  } & OwnAddressesOption,
): MessageParser {
  const { rawStore, attachmentStore, size = 1, spares = 0, maxMemoryMb = 512, youngGenerationMb = 4, logger = createSilentLogger() } = options;
  const workerUrl = options.workerUrl ?? defaultWorkerUrl();
  const settings: WorkerSettings = { rawDir: rawStore.dir, attachmentDir: attachmentStore.dir, ownAddresses: ownAddressesOf(options) };
  const slots: Slot[] = [];
  const queue: Waiting[] = [];
  let nextId = 1;
  let closed = false;

  function spawn(): Slot {
    // A small young generation: parsing makes short-lived garbage fast, and V8's default nursery let each worker's
    // resident memory grow by ~35 MB during a backlog (peak RSS 333 -> 298 MB, same rate: BENCHMARKS.md).
    const worker = new Worker(workerUrl, { workerData: settings, resourceLimits: { maxOldGenerationSizeMb: maxMemoryMb, maxYoungGenerationSizeMb: youngGenerationMb } });
    worker.unref();
    const ready = new Promise<void>((resolve, reject) => {
      const onReady = (message: unknown) => {
        if (message !== 'ready') return;
        worker.off('message', onReady).off('error', reject).off('exit', reject);
        resolve();
      };
      worker.on('message', onReady).once('error', reject).once('exit', reject);
    });
    const slot: Slot = { worker, busy: false, ready, loaded: false };
    ready.then(
      () => (slot.loaded = true),
      () => undefined,
    );
    slots.push(slot);
    return slot;
  }

  function retire(slot: Slot): void {
    const index = slots.indexOf(slot);
    if (index >= 0) slots.splice(index, 1);
    slot.worker.removeAllListeners();
    void slot.worker.terminate().catch(() => undefined);
    // Refill at once: a worker takes a few hundred ms to load, so the next mail waits as little as possible.
    if (!closed && slots.length < size + spares) spawn();
  }

  /** At most `size` messages at once; a loaded idle worker is preferred to one still loading. */
  function pump(): void {
    while (queue.length > 0 && slots.filter((slot) => slot.busy).length < size) {
      const idle = slots.filter((candidate) => !candidate.busy);
      const slot = idle.find((candidate) => candidate.loaded) ?? idle[0] ?? spawn();
      run(slot, queue.shift() as Waiting);
    }
  }

  function run(slot: Slot, waiting: Waiting): void {
    slot.busy = true;
    slot.ready.then(
      () => start(slot, waiting),
      (error: unknown) => {
        retire(slot);
        waiting.reject(createError({ code: 'intake.parse_crashed', message: 'the parse worker did not start', cause: error }));
        pump();
      },
    );
  }

  function start(slot: Slot, { task, resolve, reject }: Waiting): void {
    const started = Date.now();
    const finish = (settle: () => void, keep: boolean) => {
      clearTimeout(timer);
      slot.worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      if (keep) slot.busy = false;
      else retire(slot);
      settle();
      pump();
    };
    const onMessage = (reply: WorkerReply) => {
      if (reply.id !== task.id) return;
      if (reply.ok) finish(() => resolve({ kind: 'read', message: revive(reply.message), reading: reply.reading }), true);
      else finish(() => reject(createError({ code: reply.error.code, message: reply.error.message, retryable: reply.error.retryable, ...(reply.error.cause ? { cause: new Error(reply.error.cause) } : {}) })), true);
    };
    const onError = (error: Error) => finish(() => reject(createError({ code: 'intake.parse_crashed', message: `the parse worker failed: ${error.message}`, cause: error })), false);
    const onExit = (code: number) => finish(() => reject(createError({ code: 'intake.parse_crashed', message: `the parse worker exited with code ${code}` })), false);
    const timer = setTimeout(() => {
      logger.warn({ budgetMs: task.budgetMs, sha256: task.sha256 }, 'message over its budget: parse worker terminated');
      finish(() => resolve({ kind: 'over-budget', budgetMs: Date.now() - started }), false);
    }, task.budgetMs);
    slot.worker.on('message', onMessage).on('error', onError).on('exit', onExit);
    // The task's bytes are its own copy (ownBytes): moved to the worker, not cloned, so they are held once.
    slot.worker.postMessage(task, task.raw ? [task.raw.buffer as ArrayBuffer] : []);
  }

  async function parse({ sha256, raw }: ParseInput, { budgetMs }: { budgetMs: number }): Promise<ParseOutcome> {
    if (closed) throw createError({ code: 'intake.parse_pool_closed', message: 'the parse pool is closed' });
    // A large message is not copied into the worker: it streams it from the raw store, so its bytes are never
    // held twice (the daemon's memory stays bounded with a 50 MB attachment).
    const task: ParseTask = { id: nextId++, sha256, budgetMs, ...(raw && raw.length <= HAND_OVER_MAX_BYTES ? { raw: ownBytes(raw) } : {}) };
    // The worker reads the local file: fetched first when another instance stored the message (shared-blob-store.ts).
    if (!task.raw) await coded(() => rawStore.ensure(sha256), 'could not fetch the message from the shared raw store');
    const outcome = await new Promise<ParseOutcome>((resolve, reject) => {
      queue.push({ task, resolve, reject });
      pump();
    });
    // The worker wrote the attachments into the folder with a store of its own: made as reachable as any blob
    // (shared through the database) before the message is committed.
    if (outcome.kind === 'read') await shareAttachments(outcome.message);
    return outcome;
  }

  async function shareAttachments(message: InboundMessage): Promise<void> {
    await coded(() => Promise.all(message.attachments.map((part) => attachmentStore.adopt({ sha256: part.sha256, size: part.size }))), 'could not share the attachments the parse worker stored');
  }

  /** Starts the workers now, so the first mail does not wait for one to load (the daemon calls it at start). */
  function warm(): void {
    while (!closed && slots.length < size + spares) spawn();
  }

  async function close(): Promise<void> {
    closed = true;
    for (const waiting of queue.splice(0)) waiting.reject(createError({ code: 'intake.parse_pool_closed', message: 'the parse pool is closed' }));
    await Promise.all(slots.splice(0).map((slot) => slot.worker.terminate().catch(() => undefined)));
  }

  return { parse, close, warm };
}

/**
 * The same parse and reading in this thread: for tests and tools that call the intake directly. The budget
 * ends a parse that waits (mailparser's hang); CPU spent synchronously cannot be interrupted here, only
 * counted: a message found over budget afterwards is answered `over-budget` all the same.
 */
export function createInProcessParser(options: { rawStore: Pick<BlobStore, 'open' | 'ensure'>; attachmentStore: Pick<BlobStore, 'writer'> } & OwnAddressesOption): MessageParser {
  const { rawStore, attachmentStore } = options;
  const own = ownAddressesOf(options);
  async function parse({ sha256, raw }: ParseInput, { budgetMs }: { budgetMs: number }): Promise<ParseOutcome> {
    if (!raw) await coded(() => rawStore.ensure(sha256), 'could not fetch the message from the shared raw store');
    const started = performance.now();
    let parsed: InboundMessage;
    try {
      parsed = await parseRawMessage(raw ? Readable.from([raw]) : rawStore.open(sha256), { timeoutMs: budgetMs, attachmentSink: attachmentStore.writer });
    } catch (error) {
      if ((error as { code?: string }).code === 'intake.parse_timeout') return { kind: 'over-budget', budgetMs };
      throw error;
    }
    const { message, reading } = readMessage(parsed, { ownAddresses: own });
    return performance.now() - started > budgetMs ? { kind: 'over-budget', budgetMs } : { kind: 'read', message, reading };
  }
  return { parse, close: async () => undefined };
}

/** A store's failure as a coded, retryable error (the parser throws only coded errors); a coded one as it is. */
async function coded<T>(work: () => Promise<T>, message: string): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isTicketdError(error)) throw error;
    throw createError({ code: 'store.unavailable', message, cause: error, retryable: true });
  }
}

/**
 * A copy of the message's bytes that the task owns, so it can be moved to the worker (transferred, not cloned)
 * without taking the caller's memory away: a Buffer is often a view into a larger one (Node's 8 KiB pool, an
 * IMAP response holding a whole batch) that others still read, and even a whole Buffer stays the caller's.
 */
function ownBytes(raw: Buffer): Uint8Array {
  return new Uint8Array(raw);
}

/** Attachment bytes cross the thread boundary as Uint8Array; the pipeline reads Buffers. */
function revive(message: InboundMessage): InboundMessage {
  return {
    ...message,
    attachments: message.attachments.map((part) => ({ ...part, content: part.content ? Buffer.from(part.content.buffer, part.content.byteOffset, part.content.byteLength) : undefined })),
  };
}

/**
 * The compiled worker beside this file (dist/). Run from the TypeScript sources (vitest), there is no .js
 * here: the one in dist/ is used, so `npm run build` must have run (`npm test` does).
 */
function defaultWorkerUrl(): URL {
  const here = new URL('./parse.worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  const built = new URL(here.href.replace('/src/modules/intake/', '/dist/modules/intake/'));
  if (existsSync(fileURLToPath(built))) return built;
  throw createError({ code: 'intake.parse_worker_missing', message: `no compiled parse worker at ${fileURLToPath(here)} or ${fileURLToPath(built)}: run npm run build` });
}
