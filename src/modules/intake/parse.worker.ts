/**
 * The parse worker: one thread of parse-pool.ts. It parses a raw message (from the bytes it is handed, or
 * from the raw store by digest), streams attachments into the attachment store, and computes the message's
 * reading (message-reading.models.ts). The pool terminates this thread when a message runs over its
 * budget, so nothing here has to be interruptible. This file is an entry point: it runs when loaded.
 */
import { Readable } from 'node:stream';
import { parentPort, workerData } from 'node:worker_threads';
import { createBlobStore } from '../store/blob-store.js';
import { isTicketdError } from '../../shared/errors.js';
import { readMessage } from './message-reading.models.js';
import { parseRawMessage } from './parse.js';
import type { ParseTask, WorkerReply, WorkerSettings } from './parse-pool.js';

const settings = workerData as WorkerSettings;
const rawStore = createBlobStore({ dir: settings.rawDir, compress: true });
const attachmentStore = createBlobStore({ dir: settings.attachmentDir, compress: false });
const port = parentPort;

port?.on('message', (task: ParseTask) => {
  void handle(task).then((reply) => port.postMessage(reply));
});
// Modules are loaded: the pool starts a message's budget only from here.
port?.postMessage('ready');

async function handle(task: ParseTask): Promise<WorkerReply> {
  try {
    const input = task.raw ? Readable.from([Buffer.from(task.raw.buffer, task.raw.byteOffset, task.raw.byteLength)]) : rawStore.open(task.sha256);
    // The pool's budget is the real limit; this timeout only ends a parse that waits without using the CPU.
    const parsed = await parseRawMessage(input, { timeoutMs: task.budgetMs + 1_000, attachmentSink: attachmentStore.writer });
    const { message, reading } = readMessage(parsed, { ownAddresses: settings.ownAddresses });
    return { id: task.id, ok: true, message, reading };
  } catch (error) {
    const coded = isTicketdError(error);
    return {
      id: task.id,
      ok: false,
      error: { code: coded ? error.code : 'intake.parse_failed', message: error instanceof Error ? error.message : String(error), retryable: coded ? error.retryable : false, cause: error instanceof Error && error.cause instanceof Error ? error.cause.message : undefined },
    };
  }
}
