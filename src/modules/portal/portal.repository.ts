import { asyncRepository, type Db } from '../../shared/db.js';
import type { TicketRow } from '../tickets/tickets.repository.js';
import { CLOSED_STATUSES, likePattern, OPEN_STATUSES, type StatusFilter, type Viewer } from './access.models.js';

type RawTicket = {
  id: number;
  ref: string;
  subject: string;
  severity: TicketRow['severity'];
  priority: TicketRow['priority'];
  status: TicketRow['status'];
  requester_email: string;
  requester_name: string;
  created_at: number;
  updated_at: number;
  first_responded_at: number | null;
  update_clock_from: number | null;
  assignee: string | null;
};

export type PortalTicket = Pick<TicketRow, 'id' | 'ref' | 'subject' | 'severity' | 'priority' | 'status' | 'requesterEmail' | 'requesterName' | 'createdAt' | 'updatedAt' | 'firstRespondedAt' | 'updateClockFrom' | 'assignee'>;

const COLUMNS = 't.id, t.ref, t.subject, t.severity, t.priority, t.status, t.requester_email, t.requester_name, t.created_at, t.updated_at, t.first_responded_at, t.update_clock_from, t.assignee';

// The organisation of a ticket: its requester's, as a user (users import may name one), else that of the
// requester's approved domain.
const TICKET_ORGANISATION = `coalesce((select u.organisation_id from users u where u.email = t.requester_email), (select d.organisation_id from approved_domains d where d.domain = substr(t.requester_email, instr(t.requester_email, '@') + 1)))`;

function toTicket(row: RawTicket): PortalTicket {
  return {
    id: row.id,
    ref: row.ref,
    subject: row.subject,
    severity: row.severity,
    priority: row.priority,
    status: row.status,
    requesterEmail: row.requester_email,
    requesterName: row.requester_name,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    firstRespondedAt: row.first_responded_at === null ? null : new Date(row.first_responded_at),
    updateClockFrom: row.update_clock_from === null ? null : new Date(row.update_clock_from),
    assignee: row.assignee,
  };
}

/** The portal's queries: what a viewer may list, a ticket's organisation and participants, the queue. Queries only. */
export function createPortalRepository({ db }: { db: Db }) {
  /**
   * The tickets a viewer may see (the same rule as access.models' maySee, in SQL), newest change first,
   * filtered by status and by a search over the ref, the subject and the text of messages the viewer may read.
   */
  function listVisible({ viewer, q, status, limit }: { viewer: Viewer; q: string; status: StatusFilter; limit: number }): { tickets: PortalTicket[]; truncated: boolean } {
    const statuses = status === 'open' ? [...OPEN_STATUSES] : status === 'closed' ? [...CLOSED_STATUSES] : [...OPEN_STATUSES, ...CLOSED_STATUSES];
    const engineer = viewer.role === 'engineer' ? 1 : 0;
    const manager = viewer.role === 'manager' && viewer.organisationId !== null ? 1 : 0;
    const search = q.trim();
    const rows = db.$client
      .prepare<Record<string, unknown>, RawTicket>(
        `select ${COLUMNS} from tickets t
         where (@engineer = 1
                or t.requester_email = @email
                or exists (select 1 from ticket_participants p where p.ticket_id = t.id and p.address = @email)
                or (@manager = 1 and ${TICKET_ORGANISATION} = @organisation))
           and t.status in (select value from json_each(@statuses))
           and (@q = '' or t.ref = upper(@q) or t.subject like @like escape '\\'
                or exists (select 1 from ticket_messages m where m.ticket_id = t.id and (@engineer = 1 or m.visibility = 'public') and m.body_text like @like escape '\\'))
         order by t.updated_at desc, t.id desc
         limit @limit`,
      )
      .all({ engineer, manager, email: viewer.email.toLowerCase(), organisation: viewer.organisationId ?? -1, statuses: JSON.stringify(statuses), q: search, like: likePattern(search), limit: limit + 1 });
    return { tickets: rows.slice(0, limit).map(toTicket), truncated: rows.length > limit };
  }

  function organisationOfTicket(ticketId: number): number | null {
    const row = db.$client.prepare<[number], { organisation: number | null }>(`select ${TICKET_ORGANISATION} as organisation from tickets t where t.id = ?`).get(ticketId);
    return row?.organisation ?? null;
  }

  function participantsOf(ticketId: number): string[] {
    return db.$client
      .prepare<[number], { address: string }>('select address from ticket_participants where ticket_id = ? order by id')
      .all(ticketId)
      .map((row) => row.address);
  }

  /** Tickets not resolved or closed: the engineers' queue (sorted by the caller, which knows the SLA). */
  function listOpen(limit: number): PortalTicket[] {
    return db.$client
      .prepare<[number], RawTicket>(`select ${COLUMNS} from tickets t where t.status in ('new', 'open', 'pending') order by t.id limit ?`)
      .all(limit)
      .map(toTicket);
  }

  /** Engineers with a portal account, for the assignee list. */
  function listEngineers(): Array<{ email: string; name: string }> {
    return db.$client.prepare<[], { email: string; name: string }>("select email, name from users where role = 'engineer' and status = 'verified' order by name, email").all();
  }

  /** Display names of users by address (an engineer's name on their relayed reply). */
  function namesOf(addresses: string[]): Map<string, string> {
    if (addresses.length === 0) return new Map();
    const rows = db.$client.prepare<[string], { email: string; name: string }>('select email, name from users where email in (select value from json_each(?))').all(JSON.stringify(addresses));
    return new Map(rows.map((row) => [row.email, row.name]));
  }

  return asyncRepository(db, { listVisible, organisationOfTicket, participantsOf, listOpen, listEngineers, namesOf }, []);
}

export type PortalRepository = ReturnType<typeof createPortalRepository>;
