import { and, asc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../shared/db.js';
import { rawDate, rawNumber, rawRows } from '../../shared/db-results.js';
import { users } from '../customers/customers.tables.js';
import { ticketParticipants } from '../tickets/participants.tables.js';
import type { TicketRow } from '../tickets/tickets.repository.js';
import { tickets } from '../tickets/tickets.tables.js';
import { CLOSED_STATUSES, likePattern, OPEN_STATUSES, type StatusFilter, type Viewer } from './access.models.js';

type RawTicket = {
  id: unknown;
  ref: string;
  subject: string;
  severity: TicketRow['severity'];
  priority: TicketRow['priority'];
  status: TicketRow['status'];
  requesterEmail: string;
  requesterName: string;
  createdAt: unknown;
  updatedAt: unknown;
  firstRespondedAt: unknown;
  updateClockFrom: unknown;
  assignee: string | null;
};

export type PortalTicket = Pick<TicketRow, 'id' | 'ref' | 'subject' | 'severity' | 'priority' | 'status' | 'requesterEmail' | 'requesterName' | 'createdAt' | 'updatedAt' | 'firstRespondedAt' | 'updateClockFrom' | 'assignee'>;

// Output names quoted: PostgreSQL folds unquoted ones to lower case.
const COLUMNS = sql.raw(
  't.id as "id", t.ref as "ref", t.subject as "subject", t.severity as "severity", t.priority as "priority", t.status as "status", t.requester_email as "requesterEmail", t.requester_name as "requesterName", t.created_at as "createdAt", t.updated_at as "updatedAt", t.first_responded_at as "firstRespondedAt", t.update_clock_from as "updateClockFrom", t.assignee as "assignee"',
);

/**
 * The organisation of a ticket `t`: its requester's, as a user (users import may name one), else that of the
 * requester's approved domain (what follows the first `@`: SQLite's `instr` is PostgreSQL's `strpos`, both
 * 1-based and 0 when absent).
 */
function ticketOrganisation(db: Db): SQL {
  const at = db.dialect === 'sqlite' ? sql.raw(`instr(t.requester_email, '@')`) : sql.raw(`strpos(t.requester_email, '@')`);
  return sql`coalesce((select u.organisation_id from users u where u.email = t.requester_email), (select d.organisation_id from approved_domains d where d.domain = substr(t.requester_email, ${at} + 1)))`;
}

function toTicket(row: RawTicket): PortalTicket {
  return {
    id: rawNumber(row.id),
    ref: row.ref,
    subject: row.subject,
    severity: row.severity,
    priority: row.priority,
    status: row.status,
    requesterEmail: row.requesterEmail,
    requesterName: row.requesterName,
    createdAt: rawDate(row.createdAt),
    updatedAt: rawDate(row.updatedAt),
    firstRespondedAt: row.firstRespondedAt === null ? null : rawDate(row.firstRespondedAt),
    updateClockFrom: row.updateClockFrom === null ? null : rawDate(row.updateClockFrom),
    assignee: row.assignee,
  };
}

/**
 * The portal's queries: what a viewer may list, a ticket's organisation and participants, the queue. Queries only.
 * The same statements on SQLite and PostgreSQL (issue 18).
 */
export function createPortalRepository({ db }: { db: Db }) {
  const t = db.tables({ tickets, ticketParticipants, users });
  const TICKET_ORGANISATION = ticketOrganisation(db);

  /**
   * The tickets a viewer may see (the same rule as access.models' maySee, in SQL), newest change first,
   * filtered by status and by a search over the ref, the subject and the text of messages the viewer may read
   * (case-insensitive for ASCII at least: `lower()` on both sides, as SQLite's `like` was; `%` and `_` are literal).
   */
  async function listVisible({ viewer, q, status, limit }: { viewer: Viewer; q: string; status: StatusFilter; limit: number }): Promise<{ tickets: PortalTicket[]; truncated: boolean }> {
    const statuses = status === 'open' ? [...OPEN_STATUSES] : status === 'closed' ? [...CLOSED_STATUSES] : [...OPEN_STATUSES, ...CLOSED_STATUSES];
    const engineer = viewer.role === 'engineer' ? 1 : 0;
    const manager = viewer.role === 'manager' && viewer.organisationId !== null ? 1 : 0;
    const email = viewer.email.toLowerCase();
    const organisation = viewer.organisationId ?? -1;
    const search = q.trim();
    const like = likePattern(search);
    const statusList = sql.join(
      statuses.map((value) => sql`${value}`),
      sql`, `,
    );
    const rows = await rawRows<RawTicket>(
      db,
      sql`select ${COLUMNS} from tickets t
         where (${engineer} = 1
                or t.requester_email = ${email}
                or exists (select 1 from ticket_participants p where p.ticket_id = t.id and p.address = ${email})
                or (${manager} = 1 and ${TICKET_ORGANISATION} = ${organisation}))
           and t.status in (${statusList})
           and (${search} = '' or t.ref = upper(${search}) or lower(t.subject) like lower(${like}) escape '\\'
                or exists (select 1 from ticket_messages m where m.ticket_id = t.id and (${engineer} = 1 or m.visibility = 'public') and lower(m.body_text) like lower(${like}) escape '\\'))
         order by t.updated_at desc, t.id desc
         limit ${limit + 1}`,
    );
    return { tickets: rows.slice(0, limit).map(toTicket), truncated: rows.length > limit };
  }

  async function organisationOfTicket(ticketId: number): Promise<number | null> {
    const [row] = await rawRows<{ organisation: unknown }>(db, sql`select ${TICKET_ORGANISATION} as "organisation" from tickets t where t.id = ${ticketId}`);
    return row?.organisation === undefined || row.organisation === null ? null : rawNumber(row.organisation);
  }

  async function participantsOf(ticketId: number): Promise<string[]> {
    const rows = await db.select({ address: t.ticketParticipants.address }).from(t.ticketParticipants).where(eq(t.ticketParticipants.ticketId, ticketId)).orderBy(asc(t.ticketParticipants.id));
    return rows.map((row) => row.address);
  }

  /** Tickets not resolved or closed: the engineers' queue (sorted by the caller, which knows the SLA). */
  async function listOpen(limit: number): Promise<PortalTicket[]> {
    return db
      .select({
        id: t.tickets.id,
        ref: t.tickets.ref,
        subject: t.tickets.subject,
        severity: t.tickets.severity,
        priority: t.tickets.priority,
        status: t.tickets.status,
        requesterEmail: t.tickets.requesterEmail,
        requesterName: t.tickets.requesterName,
        createdAt: t.tickets.createdAt,
        updatedAt: t.tickets.updatedAt,
        firstRespondedAt: t.tickets.firstRespondedAt,
        updateClockFrom: t.tickets.updateClockFrom,
        assignee: t.tickets.assignee,
      })
      .from(t.tickets)
      .where(inArray(t.tickets.status, [...OPEN_STATUSES]))
      .orderBy(asc(t.tickets.id))
      .limit(limit);
  }

  /** Engineers with a portal account, for the assignee list. */
  async function listEngineers(): Promise<Array<{ email: string; name: string }>> {
    return db
      .select({ email: t.users.email, name: t.users.name })
      .from(t.users)
      .where(and(eq(t.users.role, 'engineer'), eq(t.users.status, 'verified')))
      .orderBy(asc(t.users.name), asc(t.users.email));
  }

  /** Display names of users by address (an engineer's name on their relayed reply). */
  async function namesOf(addresses: string[]): Promise<Map<string, string>> {
    if (addresses.length === 0) return new Map();
    const rows = await db.select({ email: t.users.email, name: t.users.name }).from(t.users).where(inArray(t.users.email, addresses));
    return new Map(rows.map((row) => [row.email, row.name]));
  }

  return { listVisible, organisationOfTicket, participantsOf, listOpen, listEngineers, namesOf };
}

export type PortalRepository = ReturnType<typeof createPortalRepository>;
