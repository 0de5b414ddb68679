import { describe, expect, it } from 'vitest';
import { configSchema } from '../../config/config.schema.js';
import { openDatabase, type Db } from '../../shared/db.js';
import { seedCustomerDomains } from '../customers/customers.usecases.js';
import { createCustomersRepository } from '../customers/customers.repository.js';
import { createOutboxRepository } from '../outbox/outbox.repository.js';
import { createIntake } from './intake.usecases.js';
import { temporaryStores } from '../../../test/support/stores.js';
import { testDialect } from '../../../test/support/test-database.js';

/**
 * Every statement the intake runs per message must stay cheap however many messages are stored. SQLite plans
 * without statistics here (nobody runs ANALYZE on the daemon's database), so a plan is only as good as the
 * indexes and the query's shape. This test records every statement of a realistic mix of mail and asks
 * SQLite how it would run each one: no table that grows with the mail may be scanned, and the outcome index
 * (a handful of values over millions of rows) may only be used to find the rare outcomes. The 1M-message
 * benchmark found one such plan (a Message-ID lookup walking every ticket row) at 143 ms per mail.
 */

/** Tables that grow with the mail; the rest (domains, cursors, organisations) stay small. */
const GROWING = ['inbound_messages', 'ticket_messages', 'tickets', 'outbox', 'ticket_participants', 'attachments', 'rate_events', 'sla_events', 'users', 'verification_tokens', 'bouncing_addresses'];

const config = configSchema.parse({
  database: { path: ':memory:' },
  imap: { host: '127.0.0.1', user: 'help@cloudsoft.test' },
  smtp: { host: '127.0.0.1' },
  support: { address: 'help@cloudsoft.test', customerDomains: ['acme.test'], engineerDomains: ['cloudsoft.test'], requireRegistration: true },
  pager: { kind: 'pagerduty', url: 'http://127.0.0.1:1/v2/enqueue', routingKey: 'k' },
  http: { publicUrl: 'https://support.cloudsoft.test' },
  security: { senderAuth: 'off', replyTokenSecret: 'query-plan-test-secret' },
});

/**
 * Every SQL text the code prepares from now on, on either connection (the read-only one that answers queries
 * outside a transaction, the writer that runs transactions), except while `aside` runs the test's own look-ups
 * (nothing else runs meanwhile: the test awaits each step).
 */
function recordStatements(db: Db) {
  const seen = new Set<string>();
  let recording = true;
  // Outside a transaction, `db.$client` is the read-only connection.
  for (const client of [db.$client, db.$writer!]) {
    const prepare = client.prepare.bind(client);
    client.prepare = ((source: string) => {
      if (recording) seen.add(source);
      return prepare(source);
    }) as typeof client.prepare;
  }
  const aside = async <T>(look: () => T | Promise<T>): Promise<T> => {
    recording = false;
    try {
      return await look();
    } finally {
      recording = true;
    }
  };
  return { seen, aside };
}

function mail({ from, id, subject = 'SEV2 export fails', headers = [], body = 'The nightly export times out.' }: { from: string; id?: string; subject?: string; headers?: string[]; body?: string }): Buffer {
  return Buffer.from(
    [`From: ${from}`, 'To: help@cloudsoft.test', `Subject: ${subject}`, ...(id ? [`Message-ID: <${id}>`] : []), 'Date: Thu, 26 Nov 2026 09:00:00 +0000', ...headers, 'Content-Type: text/plain; charset=utf-8', '', body, ''].join('\r\n'),
  );
}

// SQLite's own query planner (EXPLAIN QUERY PLAN over better-sqlite3's prepared statements) is the subject here.
describe.skipIf(testDialect() !== 'sqlite')('query plans of the ingest path', () => {
  it('finds every row it needs through a selective index, for new tickets, replies, duplicates, bounces and held mail', async () => {
    const db = openDatabase({ path: ':memory:' });
    const now = new Date('2026-11-26T09:00:00Z');
    await seedCustomerDomains({ db, domains: config.support.customerDomains, at: now });
    const customers = createCustomersRepository({ db });
    await customers.upsertUser({ email: 'carol@acme.test', name: 'Carol', status: 'verified', at: now });
    // Recording first: the intake's repositories prepare their hottest statements once per connection, on first use.
    const { seen: statements, aside } = recordStatements(db);
    const intake = createIntake({ db, config, clock: { now: () => now }, ...temporaryStores() });

    const opened = await intake.ingestRaw({ raw: mail({ from: 'carol@acme.test', id: 'open@acme.test' }), source: 'file' });
    const confirmation = await aside(
      async () =>
        (await createOutboxRepository({ db }).list())
          .flatMap((item) => (item.payload.kind === 'email' && item.effectKey.startsWith('confirmation:') ? [item.payload.mail.messageId] : []))[0],
    );
    const outcomes = [
      opened,
      await intake.ingestRaw({ raw: mail({ from: 'carol@acme.test', id: 'reply@acme.test', subject: 'Re: export', headers: [`In-Reply-To: <${confirmation}>`] }), source: 'file' }),
      // A follow-up to the customer's own first mail: no reply token to go by, the ids are looked up.
      await intake.ingestRaw({ raw: mail({ from: 'carol@acme.test', id: 'again@acme.test', subject: 'Re: export', headers: ['In-Reply-To: <open@acme.test>', 'References: <first-try@acme.test> <open@acme.test>'] }), source: 'file' }),
      await intake.ingestRaw({ raw: mail({ from: 'carol@acme.test', id: 'ref@acme.test', subject: `[${opened.ticketRef}] one more detail` }), source: 'file' }),
      await intake.ingestRaw({ raw: mail({ from: 'carol@acme.test', id: 'open@acme.test' }), source: 'file' }),
      await intake.ingestRaw({ raw: mail({ from: 'carol@acme.test', subject: 'SEV3 no message id' }), source: 'file' }),
      await intake.ingestRaw({ raw: mail({ from: 'carol@acme.test', subject: 'SEV3 no message id' }), source: 'file' }),
      await intake.ingestRaw({ raw: mail({ from: 'MAILER-DAEMON@mx.acme.test', id: 'bounce@mx.acme.test', subject: 'Undelivered Mail Returned to Sender', headers: ['Auto-Submitted: auto-replied'] }), source: 'file' }),
      await intake.ingestRaw({ raw: mail({ from: 'dave@acme.test', id: 'held@acme.test' }), source: 'file' }),
      await intake.ingestRaw({ raw: mail({ from: 'eve@cloudsoft.test', id: 'eng@cloudsoft.test', subject: `Re: [${opened.ticketRef}] export`, headers: [`In-Reply-To: <${confirmation}>`] }), source: 'file' }),
    ];
    // The mix reached the branches it is meant to reach.
    expect(confirmation).toMatch(/@/);
    expect(outcomes.map((result) => result.outcome)).toEqual(['ticket', 'reply', 'reply', 'reply', 'duplicate', 'ticket', 'duplicate', 'bounce', 'held', 'reply']);

    const queries = [...statements].filter((source) => /^\s*(select|update|delete)\b/i.test(source) || /\bwhere\b/i.test(source));
    expect(queries.length).toBeGreaterThan(10);
    const problems: string[] = [];
    for (const source of queries) {
      const parameters = (source.match(/\?/g) ?? []).map(() => null);
      const plan = await aside(() => db.$client.prepare(`explain query plan ${source}`).all(...parameters) as Array<{ detail: string }>);
      for (const { detail } of plan) {
        const scanned = detail.match(/^SCAN (\w+)/)?.[1];
        if (scanned && GROWING.includes(scanned) && !/USING (COVERING )?INDEX/.test(detail)) problems.push(`${detail}\n    in: ${source}`);
        if (/USING (COVERING )?INDEX inbound_outcome_idx/.test(detail) && /'(ticket|reply|bounce|duplicate|auto-reply)'|outcome" in \(/i.test(source)) problems.push(`${detail}\n    in: ${source}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
