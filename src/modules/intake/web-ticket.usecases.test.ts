import { describe, expect, it } from 'vitest';
import { configSchema } from '../../config/config.schema.js';
import { createCustomersRepository } from '../customers/customers.repository.js';
import { seedCustomerDomains } from '../customers/customers.usecases.js';
import { createOutboxRepository } from '../outbox/outbox.repository.js';
import { inboundMessages } from '../inbound-log/inbound-log.tables.js';
import { createTicketsRepository } from '../tickets/tickets.repository.js';
import { createLifecycle } from '../tickets/lifecycle.usecases.js';
import { temporaryStores } from '../../../test/support/stores.js';
import { openTestDatabase } from '../../../test/support/test-database.js';
import { createIntake } from './intake.usecases.js';

const config = configSchema.parse({
  imap: { host: '127.0.0.1', user: 'help@cloudsoft.test' },
  smtp: { host: '127.0.0.1' },
  support: { address: 'help@cloudsoft.test', customerDomains: ['acme.test'], engineerDomains: ['cloudsoft.test'], engineerNotify: ['oncall@cloudsoft.test'] },
  security: { replyTokenSecret: 'unit-secret' },
  pager: { kind: 'pagerduty', routingKey: 'rk' },
  http: { publicUrl: 'https://support.cloudsoft.test' },
  limits: { newTicketsPerHour: 2 },
});

async function setup() {
  const db = await openTestDatabase();
  const now = new Date('2026-11-25T09:00:00Z');
  await seedCustomerDomains({ db, domains: ['acme.test'], at: now });
  await createCustomersRepository({ db }).upsertUser({ email: 'dana@acme.test', name: 'Dana', status: 'verified', at: now });
  const stores = temporaryStores();
  const intake = createIntake({ db, config, clock: { now: () => now }, ...stores });
  const outbox = async () => (await createOutboxRepository({ db }).list()).map((item) => item.effectKey);
  const tickets = createTicketsRepository({ db });
  const dana = { email: 'dana@acme.test', name: 'Dana' };
  const newTicket = (subject: string, submissionId = `sub-${subject.replace(/\W/g, '')}-0123456789`) => intake.submitWeb({ author: dana, kind: 'new-ticket', subject, severity: 'SEV1', text: 'Checkout is down.', files: [], submissionId });
  return { db, intake, outbox, tickets, dana, newTicket, stores, now };
}

describe("the portal's way into the pipeline", () => {
  it('opens a ticket with the chosen severity: the confirmation (with its link), the notification and the page, recorded as a web arrival', async () => {
    const { newTicket, outbox, tickets, db } = await setup();
    expect(await newTicket('Checkout down')).toMatchObject({ outcome: 'ticket', reason: 'new', ticketRef: 'CS-1' });
    expect(await tickets.findByRef('CS-1')).toMatchObject({ severity: 'SEV1', priority: 'Urgent', requesterEmail: 'dana@acme.test' });
    expect(await outbox()).toEqual(expect.arrayContaining(['notify:CS-1', 'page:CS-1:trigger:SEV1', expect.stringMatching(/^confirmation:\d+$/)]));
    const t = db.tables({ inboundMessages });
    expect(await db.select({ source: t.inboundMessages.source, outcome: t.inboundMessages.outcome }).from(t.inboundMessages)).toEqual([{ source: 'web', outcome: 'ticket' }]);
  });

  it('records a double submission of one form as a duplicate, and applies the flood guard like mail', async () => {
    const { newTicket } = await setup();
    await newTicket('One', 'same-form-submission-id-01');
    expect(await newTicket('One', 'same-form-submission-id-01')).toMatchObject({ outcome: 'duplicate', ticketRef: 'CS-1' });
    await newTicket('Two');
    expect(await newTicket('Three')).toMatchObject({ outcome: 'quarantined', reason: expect.stringContaining('flood-guard'), ticketRef: undefined });
  });

  it("reopens a resolved ticket on a customer's web reply and escalates on SEV1 in it; a reply to a closed ticket opens a linked one", async () => {
    const { intake, tickets, db, dana, now, outbox } = await setup();
    await intake.submitWeb({ author: dana, kind: 'new-ticket', subject: 'Slow reports', severity: 'SEV3', text: 'Reports take minutes.', files: [], submissionId: 'first-form-0123456789' });
    const ticket = await tickets.findByRef('CS-1');
    await createLifecycle({ db, config }).transition({ ticket: ticket as NonNullable<typeof ticket>, event: { kind: 'resolve' }, at: now });
    expect(await intake.submitWeb({ author: dana, kind: 'reply', ticketId: ticket?.id, subject: 'Re: [CS-1] Slow reports', text: 'SEV1 now: nothing loads.', files: [], submissionId: 'reply-form-0123456789' })).toMatchObject({ outcome: 'reply', reason: 'portal', ticketRef: 'CS-1' });
    expect(await tickets.findByRef('CS-1')).toMatchObject({ status: 'open', severity: 'SEV1' });
    expect(await outbox()).toContain('page:CS-1:trigger:SEV1');
    await createLifecycle({ db, config }).transition({ ticket: (await tickets.findByRef('CS-1')) as NonNullable<typeof ticket>, event: { kind: 'close' }, at: now });
    expect(await intake.submitWeb({ author: dana, kind: 'reply', ticketId: ticket?.id, subject: 'Re: [CS-1] Slow reports', text: 'Back again.', files: [], submissionId: 'late-reply-0123456789' })).toMatchObject({ outcome: 'ticket', reason: 'reply-to-closed-ticket', ticketRef: 'CS-2' });
    expect((await tickets.findByRef('CS-2'))?.linkedTicketId).toBe(ticket?.id);
  });

  it("stores an engineer's web note for engineers only and relays a web reply to the customer", async () => {
    const { intake, newTicket, tickets, outbox } = await setup();
    await newTicket('Checkout down');
    const ticket = await tickets.findByRef('CS-1');
    const eve = { email: 'eve@cloudsoft.test', name: 'Eve' };
    await intake.submitWeb({ author: eve, kind: 'note', ticketId: ticket?.id, subject: 'Re: [CS-1] Checkout down', text: 'Pool exhausted.', files: [], submissionId: 'note-form-0123456789' });
    expect((await tickets.listMessages(ticket?.id ?? 0)).at(-1)).toMatchObject({ bodyText: 'Pool exhausted.', visibility: 'internal', fromAddress: 'eve@cloudsoft.test' });
    expect((await outbox()).filter((key) => key.startsWith('relay:'))).toEqual([]);
    await intake.submitWeb({ author: eve, kind: 'reply', ticketId: ticket?.id, subject: 'Re: [CS-1] Checkout down', text: 'Restarting the workers.', files: [], submissionId: 'reply-form-0123456789' });
    expect((await outbox()).filter((key) => key.startsWith('relay:'))).toHaveLength(1);
    expect(await tickets.findByRef('CS-1')).toMatchObject({ status: 'open' });
    expect(await outbox()).toContainEqual(expect.stringMatching(/^page:CS-1:acknowledge:/));
  });
});
