/**
 * ticketd as an LMTP server (RFC 2033, with smtp-server): a mail server (Postfix `lmtp:`, Dovecot's LMTP proxy,
 * Exim) delivers help@'s mail here instead of into a mailbox, so no IMAP notification delay stands between the
 * mail and its page. A message is streamed into the raw store (never whole in memory), handed to the same
 * pipeline entry the mailbox sync uses, and acknowledged (250, once per recipient as LMTP wants) only after its
 * outcome is committed. Anything else is answered 4xx, so the MTA keeps the mail and tries again; a repeated
 * delivery after a lost 250 is recognised by the intake as a duplicate.
 *
 * No AUTH, no STARTTLS: listen on loopback or on a private network that only the MTA reaches.
 */
import os from 'node:os';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { systemClock, type Clock } from '../../../shared/clock.js';
import { createError, describeError } from '../../../shared/errors.js';
import { createSilentLogger, type Logger } from '../../../shared/logger.js';
import type { ArrivalTrace } from '../../../shared/stage-trace.js';
import type { BlobRef, BlobStore } from '../../store/blob-store.js';
import { announcedSize, cleanAddress, HEAD_PEEK_BYTES, isSupportRecipient, traceDate, traceHeader } from '../lmtp.models.js';

/** What the pipeline recorded for one delivered message (the intake's result, as far as the listener needs it). */
export type DeliveredOutcome = { inboundId: number; outcome: string; ticketRef: string | undefined };

/**
 * The pipeline entry for a message already in the raw store; it commits the outcome before resolving. `raw`: the
 * same bytes when the message was small enough to keep a copy (parsed without reading the store back).
 */
export type IngestDelivered = (arrival: { blob: BlobRef; raw?: Buffer; source: string; trace: ArrivalTrace }) => Promise<DeliveredOutcome>;

export type LmtpListenerStatus = { listening: boolean; host: string; port: number; connections: number; inHand: number };

// One mail to help@ names help@ (and maybe a plus-address of it) once or twice; more is not a delivery to us.
const MAX_RECIPIENTS = 20;
// Most mail is a few KB: a copy of it spares the pipeline reading and gunzipping it back. Bigger mail only streams.
const KEEP_COPY_BYTES = 256 * 1024;
const TEMPORARY_TEXT = 'Temporary failure: ticketd could not record the message; try again later';

export function createLmtpIntake({
  host,
  port,
  maxConnections,
  maxMessageBytes,
  supportAddress,
  rawStore,
  ingest,
  onIngested = () => undefined,
  source = 'lmtp',
  serverName = os.hostname(),
  clock = systemClock,
  logger = createSilentLogger(),
}: {
  host: string;
  /** 0 picks a free port (tests); `status().port` tells which. */
  port: number;
  maxConnections: number;
  /** limits.maxMessageBytes: the SIZE announced is this minus the room for our trace header. */
  maxMessageBytes: number;
  supportAddress: string;
  rawStore: Pick<BlobStore, 'writer'>;
  ingest: IngestDelivered;
  /** After each commit: the outbox sends the confirmation and the page at once. */
  onIngested?: () => void;
  /** The inbound log's `source` of LMTP mail. */
  source?: string;
  serverName?: string;
  clock?: Clock;
  logger?: Logger;
}) {
  const log = logger.child({ component: 'lmtp' });
  const sizeLimit = announcedSize(maxMessageBytes);
  const inHand = new Set<Promise<unknown>>();
  let listening = false;
  let boundPort = port;

  const server = new SMTPServer({
    lmtp: true,
    name: serverName,
    banner: 'ticketd',
    logger: false,
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    hideSTARTTLS: true,
    // Every connection comes from the MTA: a reverse DNS lookup per connection would only add latency.
    disableReverseLookup: true,
    size: sizeLimit,
    // Over the limit: 552 for every recipient whatever onData says (the MTA bounces it to the sender).
    rejectOversized: true,
    maxClients: maxConnections,
    maxRecipients: MAX_RECIPIENTS,
    // Synchronous (the default waits a tick), so `greetAtOnce` greets before the client's first line is read.
    onConnect(_session, callback) {
      callback();
    },
    onRcptTo(address, _session, callback) {
      if (isSupportRecipient({ address: address.address, supportAddress })) return callback();
      // Permanent: the MTA bounces it rather than retrying mail that can never be ours. The address is not echoed.
      callback(refusal(550, `No such mailbox here: this server takes mail for ${supportAddress} and its plus-addresses only`));
    },
    onData(stream, session, callback) {
      const work = receive(stream, session).then(
        (answers) => callback(null, answers),
        (error: unknown) => callback(error as Error),
      );
      inHand.add(work);
      void work.finally(() => inHand.delete(work));
    },
  });
  greetAtOnce(server);
  // A connection's socket error must never become an unhandled 'error' event (it would end the process).
  // A failure to listen is start()'s rejection, not logged twice.
  server.on('error', (error) => {
    if (listening) log.warn({ err: describeError(error) }, 'LMTP connection error');
  });

  /** One message: trace header + bytes into the raw store, then the pipeline; the answers once it committed. */
  async function receive(stream: SMTPServerDataStream, session: SMTPServerSession): Promise<string[]> {
    const heardAt = performance.now(); // the DATA began: for LMTP, the moment the mail server says there is mail
    const mailFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
    const rcptTo = session.envelope.rcptTo.map((rcpt) => rcpt.address);
    const envelope = { mailFrom: cleanAddress(mailFrom), rcptTo: rcptTo.map(cleanAddress) };
    const trace = createTraceStream({
      limit: sizeLimit,
      header: (head) =>
        traceHeader({ mailFrom, rcptTo, heloName: session.hostNameAppearsAs || '', remoteAddress: session.remoteAddress, serverName, date: traceDate({ head, now: clock.now() }) }),
    });
    const writer = rawStore.writer();
    let blob: BlobRef;
    try {
      await pipeline(stream, trace.stream, writer.stream);
      blob = await writer.done;
    } catch (error) {
      await writer.done.catch(() => undefined); // the half-written temp file is gone once this settles
      if (trace.oversized()) {
        log.warn({ ...envelope, limit: sizeLimit }, 'LMTP message refused: over the size limit (552, the MTA bounces it)');
        return rcptTo.map(() => 'refused: too large'); // smtp-server answers 552 for each recipient instead
      }
      log.warn({ ...envelope, err: describeError(error) }, 'LMTP message not stored: 451, the MTA keeps it and tries again');
      throw temporary('lmtp.store_failed', error);
    }
    let result: DeliveredOutcome;
    try {
      const raw = trace.copy();
      result = await ingest({ blob, ...(raw ? { raw } : {}), source, trace: { heardAt, fetchedAt: performance.now() } });
    } catch (error) {
      log.error({ ...envelope, sha256: blob.sha256, err: describeError(error) }, 'LMTP message stored but not recorded: 451, the MTA keeps it and tries again');
      throw temporary('lmtp.ingest_failed', error);
    }
    onIngested();
    log.info({ ...envelope, inboundId: result.inboundId, outcome: result.outcome, ref: result.ticketRef }, 'LMTP delivery acknowledged');
    // LMTP answers once per recipient; they share one message, so one outcome.
    const text = `OK: recorded as ${result.outcome}${result.ticketRef ? ` ${result.ticketRef}` : ''} (inbound ${result.inboundId})`;
    return rcptTo.map(() => text);
  }

  async function start(): Promise<{ port: number }> {
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error) => {
        server.server.off('listening', onListening);
        reject(createError({ code: 'lmtp.listen_failed', message: `cannot listen for LMTP on ${host}:${port}: ${describeError(error)} (check lmtp.host and lmtp.port)`, cause: error }));
      };
      const onListening = () => {
        server.server.off('error', onError);
        resolve();
      };
      server.server.once('error', onError);
      server.server.once('listening', onListening);
      server.listen(port, host);
    });
    const address = server.server.address();
    boundPort = typeof address === 'object' && address ? address.port : port;
    listening = true;
    log.info({ host, port: boundPort, sizeLimit, maxConnections }, 'LMTP listening');
    return { port: boundPort };
  }

  /**
   * Stops taking mail (no new connections; a command on an open one is answered 421, so the MTA keeps what it
   * has not handed over), lets the messages in hand finish for up to `deadlineMs`, then closes what is left.
   */
  async function stop({ deadlineMs = 5_000 }: { deadlineMs?: number } = {}): Promise<void> {
    if (!listening) return;
    listening = false;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    if (inHand.size > 0) {
      log.info({ inHand: inHand.size }, 'LMTP stopping: finishing the messages in hand');
      await within(Promise.allSettled([...inHand]), deadlineMs);
    }
    if (inHand.size > 0) log.warn({ inHand: inHand.size }, 'LMTP stopped with messages unanswered: the MTA keeps them and delivers again');
    for (const connection of server.connections) connection.send(421, 'ticketd shutting down, try again later');
    await within(closed, 2_000);
    log.info('LMTP stopped');
  }

  function status(): LmtpListenerStatus {
    return { listening, host, port: boundPort, connections: server.connections.size, inHand: inHand.size };
  }

  return { start, stop, status };
}

export type LmtpIntake = ReturnType<typeof createLmtpIntake>;

/**
 * smtp-server greets a new connection only after a fixed 100 ms, to catch spam clients that talk before the
 * greeting (`init()` in its smtp-connection.js; no option turns it off). Our one client is the MTA, which opens
 * a new connection per delivery unless it has a backlog, so those 100 ms would be a third of the page-latency
 * budget. Each connection is made ready at once instead, and the delayed call does nothing. (A connection
 * over maxClients was refused and closed inside `init()`; making it ready then sends nothing.)
 */
function greetAtOnce(server: SMTPServer): void {
  const connect = server.connect.bind(server);
  server.connect = (socket, socketOptions) => {
    const before = new Set(server.connections);
    connect(socket, socketOptions);
    for (const connection of server.connections) {
      if (before.has(connection)) continue;
      const ready = connection.connectionReady.bind(connection);
      let called = false;
      connection.connectionReady = (next) => {
        if (called) return;
        called = true;
        ready(next);
      };
      connection.connectionReady();
    }
  };
}

function refusal(responseCode: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode });
}

/** A 451 for every recipient: the MTA keeps the message. The cause stays in our log, not in the MTA's. */
function temporary(code: string, cause: unknown): Error {
  return Object.assign(createError({ code, message: TEMPORARY_TEXT, retryable: true, cause }), { responseCode: 451 });
}

async function within(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/**
 * Prepends the trace header to the message on its way to the store. It holds back the head of the message (up
 * to the end of the header block, at most HEAD_PEEK_BYTES) to read the MTA's Received date from it, then passes
 * everything through. Past `limit` bytes it stops passing data on and fails at the end, so an oversized message
 * never fills the disk; smtp-server refuses it with 552.
 */
function createTraceStream({ limit, header }: { limit: number; header: (head: string) => string }) {
  let total = 0;
  let oversized = false;
  // Everything passed on, while it stays under KEEP_COPY_BYTES; dropped for good once it does not.
  let copy: Buffer[] | undefined = [];
  let copied = 0;
  const keep = (chunk: Buffer) => {
    if (!copy) return;
    copied += chunk.length;
    if (copied > KEEP_COPY_BYTES) copy = undefined;
    else copy.push(chunk);
  };
  let held: Buffer[] = [];
  let heldText = '';
  let released = false;
  const release = (stream: Transform) => {
    const trace = Buffer.from(header(heldText), 'utf8');
    keep(trace);
    stream.push(trace);
    for (const chunk of held) {
      keep(chunk);
      stream.push(chunk);
    }
    held = [];
    heldText = '';
    released = true;
  };
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      total += chunk.length;
      if (oversized || total > limit) {
        oversized = true;
        held = [];
        return callback();
      }
      if (released) {
        keep(chunk);
        return callback(null, chunk);
      }
      const from = Math.max(0, heldText.length - 3);
      held.push(chunk);
      heldText += chunk.toString('latin1');
      const lf = heldText.indexOf('\n\n', from);
      const crlf = heldText.indexOf('\n\r\n', from);
      if (lf >= 0 || crlf >= 0 || heldText.length >= HEAD_PEEK_BYTES) release(this);
      callback();
    },
    flush(callback) {
      if (oversized) return callback(createError({ code: 'lmtp.too_large', message: `the message is over ${limit} bytes` }));
      if (!released) release(this);
      callback();
    },
  });
  return { stream, oversized: () => oversized, copy: () => (copy && !oversized ? Buffer.concat(copy) : undefined) };
}
