import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../config/config.schema.js';
import { createCustomersRepository } from '../customers/customers.repository.js';
import { createInboundLogRepository } from '../inbound-log/inbound-log.repository.js';
import { seedCustomerDomains } from '../customers/customers.usecases.js';
import { createOutboxRepository } from '../outbox/outbox.repository.js';
import { createTicketsRepository } from '../tickets/tickets.repository.js';
import { createIntake } from './intake.usecases.js';
import { CORPUS_DIR } from '../../../test/support/corpus.js';
import { temporaryStores } from '../../../test/support/stores.js';
import { openTestDatabase } from '../../../test/support/test-database.js';

// Real bounces nobody here wrote (../shared/corpus): this file runs only where the corpus exists.
const sisimai = `${CORPUS_DIR}bounces-sisimai/`;

const config = configSchema.parse({
  imap: { host: '127.0.0.1', user: 'help@cloudsoft.test' },
  smtp: { host: '127.0.0.1' },
  support: { address: 'help@cloudsoft.test', customerDomains: ['acme.test'], engineerDomains: ['cloudsoft.test'], requireRegistration: true },
  pager: { kind: 'pagerduty', url: 'http://127.0.0.1:1/v2/enqueue', routingKey: 'k' },
  security: { senderAuth: 'off' },
  limits: { newTicketsPerHour: 100_000 },
});

/**
 * Makes a report look as if it came from a verified user of an approved domain: the worst case, where only
 * recognising it as machine mail stands between it and a ticket, a page and an automatic reply.
 */
function fromApprovedDomain(raw: Buffer): { raw: Buffer; sender: string } {
  const text = raw.toString('latin1');
  // Only the top-level header block: the quoted original further down keeps its own From.
  const end = text.search(/\r?\n\r?\n/);
  const head = end < 0 ? text : text.slice(0, end);
  const fromLine = /^From:.*(?:\r?\n[ \t].*)*/im.exec(head)?.[0];
  const local = (/([A-Za-z0-9._%+-]+)@/.exec(fromLine ?? '')?.[1] ?? 'mailer-daemon').toLowerCase();
  const sender = `${local}@acme.test`;
  const name = /^From:\s*"?([^"<@\r\n]*?)"?\s*</i.exec(fromLine ?? '')?.[1]?.trim();
  const rewritten = fromLine ? `${head.replace(fromLine, `From: ${name ? `${name} ` : ''}<${sender}>`)}${text.slice(head.length)}` : `From: ${sender}\n${text}`;
  return { raw: Buffer.from(rewritten, 'latin1'), sender };
}

/**
 * The one report that becomes a ticket once its sender is disguised as a verified customer: sendmail-14 is
 * a person forwarding a bounce with a note of their own, which is a customer writing to support (ordinary
 * mail by design of classify.models.ts). Amazon SES notifications are recognised by their SNS headers and
 * fml's "not a member" notices as list-manager mail, whatever the From says.
 */
const KNOWN_MISSES = ['bsd/lhost-sendmail-14.eml'];

/**
 * KDDI's bounces carry two Message-ID headers. RFC 5322 allows one, and a repeated single-instance header is
 * how a replay or an added In-Reply-To gets past DKIM, so they are quarantined as malformed-headers (issue
 * 14): no ticket, no answer, kept for an operator.
 */
const MALFORMED = ['bsd/lhost-kddi-02.eml', 'bsd/lhost-kddi-03.eml'];

describe('the intake on the sisimai bounce corpus, senders disguised as verified users of an approved domain', () => {
  it('opens a ticket for no bounce, auto-reply or report but one forwarded bounce, and prints precision and recall', async () => {
    const db = await openTestDatabase();
    await seedCustomerDomains({ db, domains: ['acme.test'], at: new Date() });
    const customers = createCustomersRepository({ db });
    const intake = createIntake({ db, config, ...temporaryStores() });
    const inbound = createInboundLogRepository({ db });
    // The corpus holds some reports twice under two names; the same bytes twice are one record
    // (same-bytes.models.ts), so a repeat counts as what its first copy was recorded as.
    const recordedOutcome = async (result: { outcome: string; inboundId: number; alreadyIngested: boolean }) => (result.alreadyIngested ? (await inbound.findById(result.inboundId))?.outcome : result.outcome);
    const expected = (JSON.parse(readFileSync(`${sisimai}EXPECTED.json`, 'utf8')) as { expected: Record<string, unknown> }).expected;
    const counts = { truePositive: 0, falseNegative: 0, falsePositive: 0, trueNegative: 0 };
    const misses: string[] = [];
    const malformed: string[] = [];
    for (const folder of ['bsd', 'dos']) {
      for (const name of readdirSync(`${sisimai}maildir/${folder}`)) {
        if (!expected[name]) continue;
        const { raw, sender } = fromApprovedDomain(readFileSync(`${sisimai}maildir/${folder}/${name}`));
        await customers.upsertUser({ email: sender, name: '', status: 'verified', at: new Date() });
        const result = await intake.ingestRaw({ raw, source: `${folder}/${name}` });
        const outcome = await recordedOutcome(result);
        if (outcome === 'bounce' || outcome === 'auto-reply') counts.truePositive += 1;
        else if (result.reason.startsWith('malformed-headers')) malformed.push(`${folder}/${name}: ${outcome} (${result.reason})`);
        else {
          counts.falseNegative += 1;
          misses.push(`${folder}/${name}: ${result.outcome} (${result.reason})`);
        }
      }
    }
    const tickets = createTicketsRepository({ db });
    const outbox = createOutboxRepository({ db });
    const afterReports = { tickets: (await tickets.listTickets()).length, queued: (await outbox.list()).length };
    for (const name of readdirSync(`${sisimai}maildir/not`)) {
      const result = await intake.ingestRaw({ raw: readFileSync(`${sisimai}maildir/not/${name}`), source: `not/${name}` });
      const outcome = await recordedOutcome(result);
      if (outcome === 'bounce' || outcome === 'auto-reply') counts.falsePositive += 1;
      else counts.trueNegative += 1;
    }
    const recall = counts.truePositive / (counts.truePositive + counts.falseNegative);
    const precision = counts.truePositive / (counts.truePositive + counts.falsePositive);
    console.log('intake on sisimai (reports as verified approved-domain senders)', { ...counts, recall: recall.toFixed(4), precision: precision.toFixed(4) }, misses);

    expect(counts.truePositive + counts.falseNegative).toBeGreaterThan(650);
    // The only reports that get through once disguised, each for a known reason (see KNOWN_MISSES).
    expect(misses.map((miss) => miss.split(':')[0])).toEqual(KNOWN_MISSES);
    expect(malformed).toEqual(MALFORMED.map((name) => `${name}: quarantined (malformed-headers: 2 Message-ID)`));
    expect(afterReports.tickets).toBe(KNOWN_MISSES.length);
    // Recall is over the disguised reports; the one known look-alike above costs it 0.15 points.
    expect(recall).toBeGreaterThanOrEqual(0.998);
    expect(precision).toBeGreaterThanOrEqual(0.99);
  }, 300_000);
});
