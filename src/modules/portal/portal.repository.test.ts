import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, openTestDatabase } from '../../../test/support/test-database.js';
import type { Db } from '../../shared/db.js';
import { onlyRow } from '../../shared/db-results.js';
import { approvedDomains, organisations, users } from '../customers/customers.tables.js';
import { createLifecycleRepository } from '../tickets/lifecycle.repository.js';
import { createTicketsRepository, type NewTicket, type TicketRow } from '../tickets/tickets.repository.js';
import type { Viewer } from './access.models.js';
import { createPortalRepository } from './portal.repository.js';

const at = new Date('2026-12-06T05:00:00.123Z');
const later = (minutes: number) => new Date(at.getTime() + minutes * 60_000);
type NewUser = Pick<typeof users.$inferInsert, 'email' | 'name' | 'organisationId' | 'role' | 'status'>;

/**
 * Acme (acme.com) and Globex (globex.com), and tickets whose organisation comes from the requester as a user
 * (winning over the domain) or from the requester's approved domain.
 */
async function seed(db: Db) {
  const t = db.tables({ organisations, approvedDomains, users });
  const organisation = (name: string) => db.write(async () => onlyRow(await db.insert(t.organisations).values({ name, createdAt: at }).returning({ id: t.organisations.id })).id);
  const acme = await organisation('Acme');
  const globex = await organisation('Globex');
  await db.write(async () => {
    await db.insert(t.approvedDomains).values([
      { domain: 'acme.com', organisationId: acme, origin: 'config', createdAt: at },
      { domain: 'globex.com', organisationId: globex, origin: 'cli', createdAt: at },
    ]);
    const people: NewUser[] = [
      { email: 'ann@acme.com', name: 'Ann', organisationId: acme, role: 'member', status: 'verified' },
      { email: 'mia@acme.com', name: 'Mia', organisationId: acme, role: 'manager', status: 'verified' },
      // A Globex address imported into Acme: the user's organisation wins over the domain's.
      { email: 'zed@globex.com', name: 'Zed', organisationId: acme, role: 'member', status: 'verified' },
      // An address of no approved domain, imported into Acme.
      { email: 'xia@other.com', name: 'Xia', organisationId: acme, role: 'member', status: 'verified' },
      { email: 'erin@desk.com', name: 'Erin', organisationId: null, role: 'engineer', status: 'verified' },
      { email: 'abe@desk.com', name: 'Abe', organisationId: null, role: 'engineer', status: 'verified' },
      { email: 'abe2@desk.com', name: 'Abe', organisationId: null, role: 'engineer', status: 'verified' },
      { email: 'pat@desk.com', name: 'Pat', organisationId: null, role: 'engineer', status: 'pending' },
      { email: 'dora@desk.com', name: 'Dora', organisationId: null, role: 'engineer', status: 'disabled' },
    ];
    await db.insert(t.users).values(people.map((person) => ({ ...person, createdAt: at })));
  });
  const tickets = createTicketsRepository({ db });
  const open = async (requesterEmail: string, subject: string, minutes: number, extra: Partial<NewTicket> = {}): Promise<TicketRow> =>
    tickets.insertTicket({ prefix: 'ACME', ticket: { subject, severity: 'SEV3', priority: 'Normal', requesterEmail, requesterName: requesterEmail.split('@')[0], createdAt: at, updatedAt: later(minutes), ...extra } });
  const rows = {
    ann: await open('ann@acme.com', 'Login broken', 1, { updateClockFrom: later(2), firstRespondedAt: later(2) }),
    bob: await open('bob@acme.com', 'Disk at 100% on DB_1', 2),
    gus: await open('gus@globex.com', 'Invoice blank', 3),
    zed: await open('zed@globex.com', 'VPN drops', 4),
    nobody: await open('nobody@unknown.com', 'Spam-ish', 5),
    xia: await open('xia@other.com', 'Export slow', 6),
    sub: await open('sam@sub.acme.com', 'Subdomain', 7),
  };
  await createLifecycleRepository({ db }).addParticipants(rows.bob.id, ['Ann@Acme.com'], at);
  return { acme, globex, tickets, rows };
}

describe.each(DIALECTS)('the portal repository on %s', (dialect) => {
  let db: Db;
  beforeEach(async () => {
    db = await openTestDatabase(dialect);
  });
  afterEach(async () => db.close());

  const visible = async (viewer: Viewer, q = '', status: 'open' | 'closed' | 'all' = 'all', limit = 50) => (await createPortalRepository({ db }).listVisible({ viewer, q, status, limit })).tickets.map((row) => row.subject);

  it("shows a customer their own and their participations, a manager their organisation's, an engineer everything", async () => {
    const { acme, globex } = await seed(db);
    // Newest change first.
    expect(await visible({ email: 'Ann@ACME.com', role: 'member', organisationId: acme })).toEqual(['Disk at 100% on DB_1', 'Login broken']);
    expect(await visible({ email: 'mia@acme.com', role: 'manager', organisationId: acme })).toEqual(['Export slow', 'VPN drops', 'Disk at 100% on DB_1', 'Login broken']);
    expect(await visible({ email: 'gm@globex.com', role: 'manager', organisationId: globex })).toEqual(['Invoice blank']);
    // A manager without an organisation sees no organisation's tickets (nor those without one).
    expect(await visible({ email: 'lost@unknown.com', role: 'manager', organisationId: null })).toEqual([]);
    expect(await visible({ email: 'gus@globex.com', role: 'member', organisationId: globex })).toEqual(['Invoice blank']);
    expect(await visible({ email: 'erin@desk.com', role: 'engineer', organisationId: null })).toEqual(['Subdomain', 'Export slow', 'Spam-ish', 'VPN drops', 'Invoice blank', 'Disk at 100% on DB_1', 'Login broken']);
  });

  it('tells the organisation of a ticket: the requester as a user first, else the exact domain after the @', async () => {
    const { acme, globex, rows } = await seed(db);
    const portal = createPortalRepository({ db });
    expect(await portal.organisationOfTicket(rows.ann.id)).toBe(acme);
    expect(await portal.organisationOfTicket(rows.bob.id)).toBe(acme);
    expect(await portal.organisationOfTicket(rows.gus.id)).toBe(globex);
    expect(await portal.organisationOfTicket(rows.zed.id)).toBe(acme);
    expect(await portal.organisationOfTicket(rows.xia.id)).toBe(acme);
    expect(await portal.organisationOfTicket(rows.nobody.id)).toBeNull();
    expect(await portal.organisationOfTicket(rows.sub.id)).toBeNull();
    expect(await portal.organisationOfTicket(999_999)).toBeNull();
  });

  it('filters by status and by a case-insensitive search of ref, subject and the messages the viewer may read', async () => {
    const { acme, tickets, rows } = await seed(db);
    const engineer: Viewer = { email: 'erin@desk.com', role: 'engineer', organisationId: null };
    const manager: Viewer = { email: 'mia@acme.com', role: 'manager', organisationId: acme };
    await createLifecycleRepository({ db }).updateTicket(rows.ann.id, { status: 'resolved' });
    await createLifecycleRepository({ db }).updateTicket(rows.zed.id, { status: 'closed' });
    expect(await visible(manager, '', 'open')).toEqual(['Export slow', 'Disk at 100% on DB_1']);
    expect(await visible(manager, '', 'closed')).toEqual(['VPN drops', 'Login broken']);

    expect(await visible(manager, rows.bob.ref.toLowerCase())).toEqual(['Disk at 100% on DB_1']);
    expect(await visible(manager, '  login  ')).toEqual(['Login broken']);
    expect(await visible(manager, '100%')).toEqual(['Disk at 100% on DB_1']);
    expect(await visible(manager, 'db_1')).toEqual(['Disk at 100% on DB_1']);
    expect(await visible(manager, '10_%')).toEqual([]);
    await tickets.appendMessage({
      message: { ticketId: rows.xia.id, direction: 'inbound', messageId: null, inReplyTo: null, referencesJson: '[]', fromAddress: 'xia@other.com', toJson: '[]', subject: 'Export slow', bodyText: 'The NIGHTLY job takes hours', inboundId: null, createdAt: at },
    });
    await tickets.appendNote({ ticketId: rows.gus.id, text: 'nightly rebuild of the invoice renderer', from: 'erin@desk.com', at });
    expect(await visible(manager, 'Nightly')).toEqual(['Export slow']);
    // Internal notes are searched for engineers only.
    expect(await visible({ email: 'gm@globex.com', role: 'manager', organisationId: null }, 'nightly')).toEqual([]);
    expect(await visible({ email: 'gus@globex.com', role: 'member', organisationId: null }, 'nightly')).toEqual([]);
    expect(await visible(engineer, 'nightly')).toEqual(['Export slow', 'Invoice blank']);
    // Access still applies to matches.
    expect(await visible({ email: 'ann@acme.com', role: 'member', organisationId: acme }, 'nightly')).toEqual([]);
  });

  it('orders by last change then id, truncates at the limit, and round-trips the dates', async () => {
    const { rows } = await seed(db);
    const engineer: Viewer = { email: 'erin@desk.com', role: 'engineer', organisationId: null };
    await createLifecycleRepository({ db }).updateTicket(rows.gus.id, { updatedAt: later(7) });
    const portal = createPortalRepository({ db });
    const first = await portal.listVisible({ viewer: engineer, q: '', status: 'all', limit: 3 });
    expect(first.truncated).toBe(true);
    expect(first.tickets.map((row) => row.id)).toEqual([rows.sub.id, rows.gus.id, rows.xia.id]);
    expect((await portal.listVisible({ viewer: engineer, q: '', status: 'all', limit: 7 })).truncated).toBe(false);
    const [ann] = (await portal.listVisible({ viewer: engineer, q: rows.ann.ref, status: 'all', limit: 1 })).tickets;
    expect(ann).toEqual({
      id: rows.ann.id,
      ref: rows.ann.ref,
      subject: 'Login broken',
      severity: 'SEV3',
      priority: 'Normal',
      status: 'new',
      requesterEmail: 'ann@acme.com',
      requesterName: 'ann',
      createdAt: at,
      updatedAt: later(1),
      firstRespondedAt: later(2),
      updateClockFrom: later(2),
      assignee: null,
    });
    expect(typeof ann?.id).toBe('number');
  });

  it('lists the open queue in id order, participants, engineers, and names by address', async () => {
    const { rows } = await seed(db);
    const lifecycle = createLifecycleRepository({ db });
    await lifecycle.updateTicket(rows.bob.id, { status: 'pending', assignee: 'erin@desk.com' });
    await lifecycle.updateTicket(rows.gus.id, { status: 'open' });
    await lifecycle.updateTicket(rows.zed.id, { status: 'resolved' });
    await lifecycle.updateTicket(rows.nobody.id, { status: 'closed' });
    const portal = createPortalRepository({ db });
    const queue = await portal.listOpen(1000);
    expect(queue.map((row) => [row.id, row.status])).toEqual([
      [rows.ann.id, 'new'],
      [rows.bob.id, 'pending'],
      [rows.gus.id, 'open'],
      [rows.xia.id, 'new'],
      [rows.sub.id, 'new'],
    ]);
    expect(queue[0]).toEqual({ ...ticketFields(rows.ann) });
    expect(queue[1]?.assignee).toBe('erin@desk.com');
    expect((await portal.listOpen(2)).map((row) => row.id)).toEqual([rows.ann.id, rows.bob.id]);

    await lifecycle.addParticipants(rows.bob.id, ['zoe@acme.com', 'carl@acme.com'], at);
    expect(await portal.participantsOf(rows.bob.id)).toEqual(['ann@acme.com', 'zoe@acme.com', 'carl@acme.com']);
    expect(await portal.participantsOf(rows.gus.id)).toEqual([]);

    expect(await portal.listEngineers()).toEqual([
      { email: 'abe2@desk.com', name: 'Abe' },
      { email: 'abe@desk.com', name: 'Abe' },
      { email: 'erin@desk.com', name: 'Erin' },
    ]);
    expect(await portal.namesOf([])).toEqual(new Map());
    expect(await portal.namesOf(['erin@desk.com', 'ann@acme.com', 'stranger@x.com'])).toEqual(
      new Map([
        ['erin@desk.com', 'Erin'],
        ['ann@acme.com', 'Ann'],
      ]),
    );
  });
});

function ticketFields(row: TicketRow) {
  const { id, ref, subject, severity, priority, status, requesterEmail, requesterName, createdAt, updatedAt, firstRespondedAt, updateClockFrom, assignee } = row;
  return { id, ref, subject, severity, priority, status, requesterEmail, requesterName, createdAt, updatedAt, firstRespondedAt, updateClockFrom, assignee };
}
