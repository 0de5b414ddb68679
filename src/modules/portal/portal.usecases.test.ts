import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../config/config.schema.js';
import type { Db } from '../../shared/db.js';
import { openTestDatabase } from '../../../test/support/test-database.js';
import { createIntake, type Intake } from '../intake/intake.usecases.js';
import { createOutboxRepository } from '../outbox/outbox.repository.js';
import { createTicketsRepository } from '../tickets/tickets.repository.js';
import { temporaryStores } from '../../../test/support/stores.js';
import type { Viewer } from './access.models.js';
import { createPortal, type Portal } from './portal.usecases.js';

const config = configSchema.parse({
  imap: { host: '127.0.0.1', user: 'help@cloudsoft.test' },
  smtp: { host: '127.0.0.1' },
  support: { address: 'help@cloudsoft.test', name: 'Cloudsoft Support', customerDomains: ['acme.test', 'globex.test'], engineerDomains: ['cloudsoft.test'], requireRegistration: false },
  security: { senderAuth: 'off' },
  pager: { kind: 'pagerduty', routingKey: 'rk' },
});

const alice: Viewer = { email: 'alice@acme.test', role: 'member', organisationId: null };
const gina: Viewer = { email: 'gina@globex.test', role: 'member', organisationId: null };
const erin: Viewer = { email: 'erin@cloudsoft.test', role: 'engineer', organisationId: null };

function mail({ from, subject, messageId, body }: { from: string; subject: string; messageId: string; body: string }): Buffer {
  return Buffer.from([`From: ${from}`, 'To: help@cloudsoft.test', `Subject: ${subject}`, `Message-ID: <${messageId}>`, 'Date: Wed, 25 Nov 2026 09:00:00 +0000', 'Content-Type: text/plain; charset=utf-8', '', body, ''].join('\r\n'));
}

describe('the portal use cases (in-memory SQLite, real migrations)', () => {
  let db: Db;
  let intake: Intake;
  let portal: Portal;
  let now: Date;
  let uid: number;
  const clock = { now: () => now };
  const ingest = (raw: Buffer) => intake.ingestRaw({ raw, source: 'INBOX', uidValidity: '1', uid: (uid += 1) });
  const ticket = (ref: string) => createTicketsRepository({ db }).findByRef(ref);
  const notes = async (ref: string) => (await createTicketsRepository({ db }).listMessages((await ticket(ref))?.id ?? 0)).filter((message) => message.subject === '(note)').map((message) => `${message.visibility}: ${message.bodyText}`);
  const pages = async () => (await createOutboxRepository({ db }).list()).filter((item) => item.kind === 'page').map((item) => item.effectKey);
  const refs = async (viewer: Viewer, q: string, status: 'open' | 'closed' | 'all' = 'open') => (await portal.list({ viewer, q, status })).tickets.map((row) => row.ref);

  beforeEach(async () => {
    db = await openTestDatabase();
    now = new Date('2026-11-25T09:00:00Z');
    uid = 0;
    intake = createIntake({ db, config, clock, ...temporaryStores() });
    portal = createPortal({ db, config, clock });
    await ingest(mail({ from: 'Alice <alice@acme.test>', subject: 'Staging cannot pull images', messageId: 'alice-1@acme.test', body: 'Pulls fail since 08:00 with a TLS handshake timeout.' }));
    await ingest(mail({ from: 'Gina <gina@globex.test>', subject: 'Invoice PDF is blank', messageId: 'gina-1@globex.test', body: 'The November export shows an empty page.' }));
    now = new Date('2026-11-25T10:00:00Z');
  });
  afterEach(() => db.close());

  it("moves a ticket to pending, resolved and closed with the engineer's status action, noting who did it, and resolves the page", async () => {
    expect((await ticket('CS-1'))?.status).toBe('new');
    expect(await portal.act({ viewer: erin, ref: 'CS-1', action: { kind: 'status', status: 'pending' } })).toEqual({ kind: 'done', notice: 'Status changed from new to pending.' });
    expect((await ticket('CS-1'))?.status).toBe('pending');
    expect(await portal.act({ viewer: erin, ref: 'cs-1', action: { kind: 'status', status: 'resolve' } })).toEqual({ kind: 'done', notice: 'Status changed from pending to resolved.' });
    expect(await ticket('CS-1')).toMatchObject({ status: 'resolved', resolvedAt: now });
    expect((await pages()).some((key) => key.startsWith('page:CS-1:resolve:'))).toBe(true);
    expect(await portal.act({ viewer: erin, ref: 'CS-1', action: { kind: 'status', status: 'close' } })).toEqual({ kind: 'done', notice: 'Status changed from resolved to closed.' });
    expect(await ticket('CS-1')).toMatchObject({ status: 'closed', closedAt: now });
    // Asking again changes nothing and says so.
    expect(await portal.act({ viewer: erin, ref: 'CS-1', action: { kind: 'status', status: 'close' } })).toEqual({ kind: 'done', notice: 'CS-1 is closed already.' });
    expect(await notes('CS-1')).toEqual([
      'internal: Status changed from new to pending. (by erin@cloudsoft.test on the portal)',
      'internal: Status changed from pending to resolved. (by erin@cloudsoft.test on the portal)',
      'internal: Status changed from resolved to closed. (by erin@cloudsoft.test on the portal)',
      'internal: CS-1 is closed already. (by erin@cloudsoft.test on the portal)',
    ]);
    // The other ticket is untouched.
    expect((await ticket('CS-2'))?.status).toBe('new');
  });

  it('assigns a ticket to an engineer (address normalised), and refuses an assignee outside the engineer domains', async () => {
    expect(await portal.act({ viewer: erin, ref: 'CS-1', action: { kind: 'assign', engineer: ' Frank@CloudSoft.test ' } })).toEqual({ kind: 'done', notice: 'Assigned to frank@cloudsoft.test.' });
    expect(await ticket('CS-1')).toMatchObject({ assignee: 'frank@cloudsoft.test', updatedAt: now });
    expect(await notes('CS-1')).toEqual(['internal: Assigned to frank@cloudsoft.test. (by erin@cloudsoft.test on the portal)']);
    expect(await portal.act({ viewer: erin, ref: 'CS-1', action: { kind: 'assign', engineer: 'alice@acme.test' } })).toEqual({ kind: 'refused', problem: 'Only an engineer can be the assignee.' });
    expect((await ticket('CS-1'))?.assignee).toBe('frank@cloudsoft.test');
  });

  it("answers a customer's engineer action as if the ticket did not exist, and changes nothing", async () => {
    expect(await portal.act({ viewer: alice, ref: 'CS-1', action: { kind: 'status', status: 'close' } })).toEqual({ kind: 'not-found' });
    expect(await portal.act({ viewer: alice, ref: 'CS-1', action: { kind: 'assign', engineer: 'erin@cloudsoft.test' } })).toEqual({ kind: 'not-found' });
    expect(await ticket('CS-1')).toMatchObject({ status: 'new', assignee: null });
    expect(await notes('CS-1')).toEqual([]);
  });

  it("lets a customer mark their own ticket resolved once, with a note for engineers; someone else's ticket is not found", async () => {
    expect(await portal.markResolved({ viewer: gina, ref: 'CS-1' })).toEqual({ kind: 'not-found' });
    expect((await ticket('CS-1'))?.status).toBe('new');
    expect((await portal.view({ viewer: alice, ref: 'CS-1' }))?.canMarkResolved).toBe(true);

    expect(await portal.markResolved({ viewer: alice, ref: 'CS-1' })).toEqual({ kind: 'done', notice: 'CS-1 is marked resolved. A reply reopens it.' });
    expect(await ticket('CS-1')).toMatchObject({ status: 'resolved', resolvedAt: now });
    expect((await pages()).some((key) => key.startsWith('page:CS-1:resolve:'))).toBe(true);
    expect(await notes('CS-1')).toEqual(['internal: Marked resolved by alice@acme.test on the portal.']);
    expect((await portal.view({ viewer: alice, ref: 'CS-1' }))?.canMarkResolved).toBe(false);
    expect(await portal.markResolved({ viewer: alice, ref: 'CS-1' })).toEqual({ kind: 'refused', problem: 'CS-1 is resolved already.' });
    expect((await ticket('CS-2'))?.status).toBe('new');
    // An engineer's hand-made POST to the customer's button is pointed to their own action, and changes nothing.
    expect(await portal.markResolved({ viewer: erin, ref: 'CS-2' })).toEqual({ kind: 'refused', problem: 'Engineers change the status with "Change status".' });
    expect((await ticket('CS-2'))?.status).toBe('new');
  });

  it('finds tickets by ref, subject and message text, and filters open from resolved and closed', async () => {
    expect(await refs(erin, '')).toEqual(['CS-2', 'CS-1']);
    expect(await refs(erin, 'cs-2')).toEqual(['CS-2']);
    expect(await refs(erin, 'pull images')).toEqual(['CS-1']);
    expect(await refs(erin, 'November export')).toEqual(['CS-2']);
    expect(await refs(erin, 'nothing like this')).toEqual([]);
    // A customer searches only within the tickets they may see.
    expect(await refs(alice, 'TLS handshake')).toEqual(['CS-1']);
    expect(await refs(alice, 'November export')).toEqual([]);

    await portal.markResolved({ viewer: alice, ref: 'CS-1' });
    expect(await refs(erin, '', 'open')).toEqual(['CS-2']);
    expect(await refs(erin, '', 'closed')).toEqual(['CS-1']);
    expect((await refs(erin, '', 'all')).sort()).toEqual(['CS-1', 'CS-2']);
    expect(await refs(alice, 'pull images', 'open')).toEqual([]);
    expect(await refs(alice, 'pull images', 'closed')).toEqual(['CS-1']);
  });

  it("lets a customer's search find the text of public messages only, not of internal notes", async () => {
    await portal.act({ viewer: erin, ref: 'CS-1', action: { kind: 'assign', engineer: 'erin@cloudsoft.test' } });
    expect(await refs(erin, 'on the portal')).toEqual(['CS-1']);
    expect(await refs(alice, 'on the portal')).toEqual([]);
  });
});
