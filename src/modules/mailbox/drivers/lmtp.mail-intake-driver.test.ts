import { readdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openRawLmtp } from '../../../../test/support/lmtp-client.js';
import { temporaryStores } from '../../../../test/support/stores.js';
import { openTestDatabase } from '../../../../test/support/test-database.js';
import { configSchema } from '../../../config/config.schema.js';
import { createError } from '../../../shared/errors.js';
import { seedCustomerDomains } from '../../customers/customers.usecases.js';
import { createInboundLogRepository } from '../../inbound-log/inbound-log.repository.js';
import { createIntake } from '../../intake/intake.usecases.js';
import { createOutboxRepository } from '../../outbox/outbox.repository.js';
import { createTicketsRepository } from '../../tickets/tickets.repository.js';
import { TRACE_RESERVE_BYTES } from '../lmtp.models.js';
import { createLmtpIntake, type IngestDelivered } from './lmtp.mail-intake-driver.js';

const config = configSchema.parse({
  database: { path: ':memory:' },
  smtp: { host: '127.0.0.1' },
  lmtp: { port: 2424 },
  support: { address: 'help@cloudsoft.test', customerDomains: ['acme.test'], engineerDomains: ['cloudsoft.test'], requireRegistration: false },
  pager: { kind: 'pagerduty', url: 'http://127.0.0.1:1/v2/enqueue', routingKey: 'k' },
  security: { senderAuth: 'off' },
});

function customerMail({ id, subject = 'SEV1 checkout is down', extraHeaders = [] }: { id?: string; subject?: string; extraHeaders?: string[] }): string {
  return [...extraHeaders, 'From: Alice <alice@acme.test>', 'To: help@cloudsoft.test', `Subject: ${subject}`, ...(id ? [`Message-ID: <${id}>`] : []), 'Date: Fri, 04 Dec 2026 17:21:40 +0000', 'Content-Type: text/plain; charset=utf-8', '', 'Nothing loads since 09:00.', ''].join('\r\n');
}

/** nodemailer resolves an LMTP delivery even when recipients failed: the reply code for each recipient. */
async function codesOf(sending: Promise<{ accepted: unknown[]; rejectedErrors?: Array<{ responseCode?: number }> }>): Promise<number[]> {
  const info = await sending;
  return [...info.accepted.map(() => 250), ...(info.rejectedErrors ?? []).map((error) => error.responseCode ?? 0)];
}

describe('the LMTP listener', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  /** The real pipeline on a fresh database of this run's dialect; `wrap` decorates its ingest (to fail, block or count). */
  async function setup({
    maxMessageBytes = config.limits.maxMessageBytes,
    wrap = (ingest: IngestDelivered) => ingest,
    clock,
  }: { maxMessageBytes?: number; wrap?: (ingest: IngestDelivered) => IngestDelivered; clock?: { now: () => Date } } = {}) {
    const db = await openTestDatabase();
    cleanup.push(() => db.close());
    await seedCustomerDomains({ db, domains: config.support.customerDomains, at: new Date() });
    const stores = temporaryStores();
    const intake = createIntake({ db, config, ...stores });
    const ingested = vi.fn();
    const arrivals: Array<Parameters<IngestDelivered>[0]> = [];
    const listener = createLmtpIntake({
      host: '127.0.0.1',
      port: 0,
      maxConnections: 5,
      maxMessageBytes,
      supportAddress: config.support.address,
      rawStore: stores.rawStore,
      ingest: wrap((arrival) => {
        arrivals.push(arrival);
        return intake.ingestStored(arrival);
      }),
      onIngested: ingested,
      serverName: 'desk-test',
      ...(clock ? { clock } : {}),
    });
    const { port } = await listener.start();
    cleanup.push(() => listener.stop({ deadlineMs: 1_000 }));
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port, lmtp: true, secure: false, ignoreTLS: true });
    cleanup.push(() => transport.close());
    const inbound = createInboundLogRepository({ db });
    return {
      port,
      listener,
      transport,
      ingested,
      stores,
      inbound,
      arrivals,
      tickets: createTicketsRepository({ db }),
      outbox: createOutboxRepository({ db }),
      outcomes: async () => Object.entries(await inbound.countByOutcome()).sort(),
      rawBlobs: () => readdirSync(path.join(stores.dir, 'raw'), { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).map((entry) => entry.name),
    };
  }

  it('acknowledges a customer mail only after its ticket, confirmation and page are committed', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let committed = false;
    const { transport, tickets, outbox, ingested } = await setup({
      wrap: (ingest) => async (arrival) => {
        const result = await ingest(arrival);
        committed = true;
        await gate; // the commit is done; the answer waits
        return result;
      },
    });
    let answered = false;
    const sending = transport.sendMail({ envelope: { from: 'alice@acme.test', to: ['help@cloudsoft.test'] }, raw: customerMail({ id: 'first@acme.test' }) }).then((info) => {
      answered = true;
      return info;
    });
    await vi.waitFor(() => expect(committed).toBe(true));
    expect((await tickets.listTickets()).map((ticket) => ticket.ref)).toEqual(['CS-1']);
    expect(answered).toBe(false);
    release();
    const info = await sending;
    expect(info.accepted).toEqual(['help@cloudsoft.test']);
    expect(info.response).toContain('250 OK: recorded as ticket CS-1');
    expect(ingested).toHaveBeenCalledTimes(1);
    expect((await outbox.list()).map((item) => item.kind).sort()).toEqual(['email', 'page']);
  });

  it('answers once per recipient for the support address and its plus-address, and makes one ticket of the one message', async () => {
    const { port, tickets } = await setup();
    const lmtp = await openRawLmtp({ port });
    expect(lmtp.greeting).toMatch(/^220 desk-test LMTP ticketd/);
    const lhlo = await lmtp.command('LHLO mx.cloudsoft.test');
    expect(lhlo.some((line) => /^250[- ]SIZE \d+$/.test(line))).toBe(true);
    expect(lhlo.join('\n')).not.toMatch(/AUTH|STARTTLS/);
    expect(await lmtp.command('MAIL FROM:<alice@acme.test>')).toEqual(['250 Accepted']);
    expect(await lmtp.command('RCPT TO:<help@cloudsoft.test>')).toEqual(['250 Accepted']);
    expect(await lmtp.command('RCPT TO:<HELP+cs-9.0123456789abcdef0123@cloudsoft.test>')).toEqual(['250 Accepted']);
    expect((await lmtp.command('RCPT TO:<sales@cloudsoft.test>'))[0]).toMatch(/^550 No such mailbox here/);
    expect(await lmtp.command('DATA')).toEqual(['354 End data with <CR><LF>.<CR><LF>']);
    const replies = await lmtp.data(customerMail({ id: 'two-rcpt@acme.test' }), 2);
    expect(replies).toEqual(['250 OK: recorded as ticket CS-1 (inbound 1)', '250 OK: recorded as ticket CS-1 (inbound 1)']);
    await lmtp.command('QUIT');
    expect(await tickets.listTickets()).toHaveLength(1);
  });

  it('greets a new connection at once: an MTA that speaks right away is answered, not told it talks too soon', async () => {
    const { port } = await setup();
    const socket = net.connect({ host: '127.0.0.1', port });
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    // LHLO in the same breath as the connect: smtp-server's own 100 ms early-talker wait would answer 421.
    socket.write('LHLO mx.cloudsoft.test\r\n');
    await vi.waitFor(() => expect(received).toMatch(/\r\n250 /));
    socket.destroy();
    expect(received).toMatch(/^220 desk-test LMTP ticketd/);
    expect(received).not.toContain('421');
  });

  it('refuses mail for any other address with a permanent 550, so the MTA bounces it', async () => {
    const { transport, outcomes } = await setup();
    const refused = await transport.sendMail({ envelope: { from: 'alice@acme.test', to: ['sales@cloudsoft.test'] }, raw: customerMail({ id: 'wrong@acme.test' }) }).catch((error: { responseCode?: number; code?: string }) => error);
    expect(refused).toMatchObject({ code: 'EENVELOPE', responseCode: 550 });
    const partly = await transport.sendMail({ envelope: { from: 'alice@acme.test', to: ['help@cloudsoft.test', 'help@evil.test'] }, raw: customerMail({ id: 'partly@acme.test' }) });
    expect(partly.accepted).toEqual(['help@cloudsoft.test']);
    expect(partly.rejected).toEqual(['help@evil.test']);
    expect(await outcomes()).toEqual([['ticket', 1]]);
  });

  it('writes the envelope sender as the topmost Return-Path, above one the sender forged, and a Received line', async () => {
    const { transport, stores, inbound } = await setup();
    const raw = customerMail({ id: 'forged@acme.test', extraHeaders: ['Return-Path: <forged@elsewhere.test>'] });
    await transport.sendMail({ envelope: { from: 'bounces+alice@acme.test', to: ['help@cloudsoft.test'] }, raw });
    const row = await inbound.findById(1);
    expect(row).toMatchObject({ source: 'lmtp', outcome: 'ticket', uid: null });
    const stored = (await stores.rawStore.read(row?.rawSha256 ?? '')).toString('utf8');
    const lines = stored.split('\r\n');
    expect(lines[0]).toBe('Return-Path: <bounces+alice@acme.test>');
    expect(lines[1]).toMatch(/^Received: from \S+ \(\[127\.0\.0\.1\]\)$/);
    expect(lines[2]).toBe('\tby desk-test (ticketd) with LMTP');
    expect(lines[3]).toMatch(/^\tfor <help@cloudsoft\.test>; \w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000$/);
    expect(stored.endsWith(raw)).toBe(true);
  });

  it('hands the pipeline a copy of a small message, exactly the bytes stored, and only the store for a big one', async () => {
    const { transport, stores, arrivals } = await setup();
    await transport.sendMail({ envelope: { from: 'alice@acme.test', to: ['help@cloudsoft.test'] }, raw: customerMail({ id: 'small-copy@acme.test' }) });
    const big = customerMail({ id: 'big-copy@acme.test' }).replace('Nothing loads', `${'y'.repeat(76)}\r\n`.repeat(4_000));
    await transport.sendMail({ envelope: { from: 'alice@acme.test', to: ['help@cloudsoft.test'] }, raw: big });
    const [small, large] = arrivals;
    expect(small?.raw?.equals(await stores.rawStore.read(small.blob.sha256))).toBe(true);
    expect(large?.raw).toBeUndefined();
    expect(large?.blob.size).toBeGreaterThan(300_000);
    expect((await stores.rawStore.read(large?.blob.sha256 ?? '')).toString('utf8').endsWith(big)).toBe(true);
  });

  it('treats mail from the null sender <> as machine mail: recorded, never answered, never a ticket', async () => {
    const { transport, outcomes, outbox, inbound, stores } = await setup();
    await transport.sendMail({ envelope: { from: '', to: ['help@cloudsoft.test'] }, raw: customerMail({ id: 'null-sender@acme.test', subject: 'Re: SEV1 checkout is down' }) });
    const stored = (await stores.rawStore.read((await inbound.findById(1))?.rawSha256 ?? '')).toString('utf8');
    expect(stored.startsWith('Return-Path: <>\r\n')).toBe(true);
    expect(await outcomes()).toEqual([['auto-reply', 1]]);
    expect(await outbox.list()).toEqual([]);
  });

  it('announces SIZE below limits.maxMessageBytes and refuses a bigger message with 552 for each recipient, storing nothing', async () => {
    const maxMessageBytes = TRACE_RESERVE_BYTES + 4_000;
    const { port, transport, outcomes, rawBlobs, ingested } = await setup({ maxMessageBytes });
    const big = customerMail({ id: 'big@acme.test' }).replace('Nothing loads', `${'x'.repeat(76)}\r\n`.repeat(100));
    expect(await codesOf(transport.sendMail({ envelope: { from: 'alice@acme.test', to: ['help@cloudsoft.test'] }, raw: big }))).toEqual([552]);
    // One that ignores SIZE is cut off at the limit: nothing reaches the disk, nothing the pipeline.
    const lmtp = await openRawLmtp({ port });
    expect((await lmtp.command('LHLO mx.cloudsoft.test')).some((line) => line.endsWith('SIZE 4000'))).toBe(true);
    await lmtp.command('MAIL FROM:<alice@acme.test>');
    await lmtp.command('RCPT TO:<help@cloudsoft.test>');
    await lmtp.command('RCPT TO:<help+x@cloudsoft.test>');
    await lmtp.command('DATA');
    const replies = await lmtp.data(big, 2);
    expect(replies.map((line) => line.slice(0, 4))).toEqual(['552 ', '552 ']);
    // The connection goes on: the next message is taken.
    await lmtp.command('MAIL FROM:<alice@acme.test>');
    await lmtp.command('RCPT TO:<help@cloudsoft.test>');
    await lmtp.command('DATA');
    expect(await lmtp.data(customerMail({ id: 'small@acme.test' }), 1)).toEqual(['250 OK: recorded as ticket CS-1 (inbound 1)']);
    await lmtp.command('QUIT');
    expect(await outcomes()).toEqual([['ticket', 1]]);
    expect(ingested).toHaveBeenCalledTimes(1);
    expect(rawBlobs()).toHaveLength(1);
  });

  it('answers 451 for each recipient when the commit fails, so the MTA keeps the mail, and the retry makes one ticket', async () => {
    let calls = 0;
    const { port, tickets, outcomes } = await setup({
      wrap: (ingest) => async (arrival) => {
        calls += 1;
        if (calls === 1) throw createError({ code: 'db.busy', message: 'SQLITE_BUSY: database is locked', retryable: true });
        return ingest(arrival);
      },
    });
    const deliver = async () => {
      const lmtp = await openRawLmtp({ port });
      await lmtp.command('LHLO mx.cloudsoft.test');
      await lmtp.command('MAIL FROM:<alice@acme.test>');
      await lmtp.command('RCPT TO:<help@cloudsoft.test>');
      await lmtp.command('RCPT TO:<help+cs-1.x@cloudsoft.test>');
      await lmtp.command('DATA');
      const replies = await lmtp.data(customerMail({ id: 'retried@acme.test' }), 2);
      await lmtp.command('QUIT');
      return replies;
    };
    const first = await deliver();
    expect(first).toEqual([expect.stringMatching(/^451 Temporary failure/), expect.stringMatching(/^451 Temporary failure/)]);
    expect(first.join('\n')).not.toContain('SQLITE_BUSY');
    expect(await tickets.listTickets()).toEqual([]);
    const second = await deliver();
    expect(second.every((line) => line.startsWith('250 OK: recorded as ticket CS-1'))).toBe(true);
    expect(await outcomes()).toEqual([['ticket', 1]]);
  });

  it('answers 451 when the raw store cannot take the message (a full disk), and calls no pipeline', async () => {
    const stores = temporaryStores();
    const ingest = vi.fn<IngestDelivered>();
    const listener = createLmtpIntake({
      host: '127.0.0.1',
      port: 0,
      maxConnections: 1,
      maxMessageBytes: config.limits.maxMessageBytes,
      supportAddress: config.support.address,
      rawStore: {
        writer: () => {
          const writer = stores.rawStore.writer();
          writer.stream.destroy(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }));
          return writer;
        },
      },
      ingest,
    });
    const { port } = await listener.start();
    cleanup.push(() => listener.stop({ deadlineMs: 500 }));
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port, lmtp: true, secure: false, ignoreTLS: true });
    cleanup.push(() => transport.close());
    expect(await codesOf(transport.sendMail({ envelope: { from: 'alice@acme.test', to: ['help@cloudsoft.test'] }, raw: customerMail({ id: 'enospc@acme.test' }) }))).toEqual([451]);
    expect(ingest).not.toHaveBeenCalled();
    expect(readdirSync(path.join(stores.dir, 'raw', 'tmp'))).toEqual([]);
  });

  it('answers a redelivery after a lost acknowledgement as a duplicate of the earlier record (same bytes: one record), with or without a Message-ID', async () => {
    let lose = true;
    // Mail without a Received line gets our trace header dated by the clock: fixed here, so a retry that falls
    // into the next second is still the same bytes (an MTA's queue file carries its own Received line).
    const { port, tickets, outcomes } = await setup({
      clock: { now: () => new Date('2026-12-04T17:21:41Z') },
      wrap: (ingest) => async (arrival) => {
        const result = await ingest(arrival);
        if (lose) throw new Error('connection to the MTA lost after the commit');
        return result;
      },
    });
    const deliver = async (raw: string) => {
      const lmtp = await openRawLmtp({ port });
      await lmtp.command('LHLO mx.cloudsoft.test');
      await lmtp.command('MAIL FROM:<alice@acme.test>');
      await lmtp.command('RCPT TO:<help@cloudsoft.test>');
      await lmtp.command('DATA');
      const [reply] = await lmtp.data(raw, 1);
      await lmtp.command('QUIT');
      return reply;
    };
    const withId = customerMail({ id: 'once@acme.test' });
    // The MTA's queue file keeps its own Received line: the same bytes come back on every attempt.
    const withoutId = customerMail({ subject: 'SEV2 exports are slow', extraHeaders: ['Received: from client.acme.test by mx.cloudsoft.test (Postfix) with ESMTP id 4AB; Fri,  4 Dec 2026 17:21:40 +0000 (UTC)'] });
    expect(await deliver(withId)).toMatch(/^451 /);
    expect(await deliver(withoutId)).toMatch(/^451 /);
    lose = false;
    expect(await deliver(withId)).toBe('250 OK: recorded as duplicate CS-1 (inbound 1)');
    expect(await deliver(withoutId)).toBe('250 OK: recorded as duplicate CS-2 (inbound 2)');
    expect((await tickets.listTickets()).map((ticket) => ticket.subject)).toEqual(['SEV1 checkout is down', 'SEV2 exports are slow']);
    // Issue 19's rule: the same bytes twice are one record, so the retry adds no second row.
    expect(await outcomes()).toEqual([['ticket', 2]]);
  });

  it('neither stores nor records a message whose connection drops before its end', async () => {
    const { port, ingested, outcomes, stores } = await setup();
    const lmtp = await openRawLmtp({ port });
    await lmtp.command('LHLO mx.cloudsoft.test');
    await lmtp.command('MAIL FROM:<alice@acme.test>');
    await lmtp.command('RCPT TO:<help@cloudsoft.test>');
    await lmtp.command('DATA');
    await lmtp.write(customerMail({ id: 'cut@acme.test' }).slice(0, 120));
    lmtp.destroy();
    await lmtp.closed;
    await vi.waitFor(() => expect(readdirSync(path.join(stores.dir, 'raw', 'tmp'))).toEqual([]));
    expect(ingested).not.toHaveBeenCalled();
    expect(await outcomes()).toEqual([]);
  });

  it('on stop refuses new connections, finishes the message in hand, and answers 421 to what waits after it', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started = false;
    const { port, listener, transport } = await setup({
      wrap: (ingest) => async (arrival) => {
        started = true;
        await gate;
        return ingest(arrival);
      },
    });
    const idle = await openRawLmtp({ port });
    await idle.command('LHLO mx.cloudsoft.test');
    const inHand = transport.sendMail({ envelope: { from: 'alice@acme.test', to: ['help@cloudsoft.test'] }, raw: customerMail({ id: 'in-hand@acme.test' }) });
    await vi.waitFor(() => expect(started).toBe(true));
    expect(listener.status()).toMatchObject({ listening: true, inHand: 1 });
    const stopping = listener.stop({ deadlineMs: 10_000 });
    await vi.waitFor(async () => expect(await openRawLmtp({ port }).then((late) => late.destroy(), (error: NodeJS.ErrnoException) => error.code)).toBe('ECONNREFUSED'));
    expect(await idle.command('MAIL FROM:<alice@acme.test>')).toEqual([expect.stringMatching(/^421 /)]);
    release();
    expect((await inHand).response).toContain('250 OK: recorded as ticket CS-1');
    await stopping;
    expect(listener.status()).toMatchObject({ listening: false, inHand: 0 });
  });

  it('on stop past its deadline leaves the message in hand unacknowledged (421), so the MTA delivers it again', async () => {
    const { listener, transport } = await setup({ wrap: () => () => new Promise(() => undefined) });
    const inHand = codesOf(transport.sendMail({ envelope: { from: 'alice@acme.test', to: ['help@cloudsoft.test'] }, raw: customerMail({ id: 'stuck@acme.test' }) }));
    await vi.waitFor(() => expect(listener.status().inHand).toBe(1));
    await listener.stop({ deadlineMs: 200 });
    expect(await inHand).toEqual([421]);
  });
});
