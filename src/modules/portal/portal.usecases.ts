import type { Config } from '../../config/config.schema.js';
import { systemClock, type Clock } from '../../shared/clock.js';
import type { Db } from '../../shared/db.js';
import { createSilentLogger, type Logger } from '../../shared/logger.js';
import { domainOf } from '../desk/address.models.js';
import { calendarOf } from '../desk/business-hours.models.js';
import { identityOfRef } from '../desk/mailboxes.models.js';
import type { Severity } from '../desk/severity.models.js';
import { createPaging } from '../paging/paging.usecases.js';
import { slaDueOf } from '../sla/sla-due.models.js';
import { createLifecycle } from '../tickets/lifecycle.usecases.js';
import { createTicketsRepository, type TicketRow } from '../tickets/tickets.repository.js';
import { mayMarkResolved, maySee, visibleTo, type StatusFilter, type Viewer } from './access.models.js';
import { createPortalRepository, type PortalTicket } from './portal.repository.js';

export type EngineerAction =
  | { kind: 'severity'; severity: Severity }
  | { kind: 'status'; status: 'pending' | 'resolve' | 'close' }
  | { kind: 'assign'; engineer: string }
  | { kind: 'page'; action: 'acknowledge' | 'resolve' };

export type ActionResult = { kind: 'done'; notice: string } | { kind: 'not-found' } | { kind: 'refused'; problem: string };

const LIST_LIMIT = 200;
const SEVERITY_RANK: Record<Severity, number> = { SEV1: 1, SEV2: 2, SEV3: 3, SEV4: 4 };

/**
 * The portal's decisions besides writing messages (which go through intake's web entry, passed to the web
 * layer by the composition root): what a viewer may list and open, a ticket's visible conversation and its
 * files, a customer marking a ticket resolved, and the engineers' actions. Those use the SAME lifecycle and
 * paging functions as the engineers' email #commands (#severity, #pending, #resolve, #close, #assign me), and
 * each leaves an internal note saying who did it on the portal.
 */
export function createPortal({ db, config, clock = systemClock, logger = createSilentLogger() }: { db: Db; config: Pick<Config, 'sla' | 'paging' | 'pager' | 'webhook' | 'http' | 'support' | 'imap' | 'templates'>; clock?: Clock; logger?: Logger }) {
  const repository = createPortalRepository({ db });
  const tickets = createTicketsRepository({ db });
  const lifecycle = createLifecycle({ db, config, logger });
  const paging = createPaging({ db, config, clock });
  const calendar = calendarOf(config.paging);

  const slaDue = (ticket: PortalTicket) => slaDueOf({ ticket, sla: config.sla, calendar })?.dueAt;

  /** The ticket behind a ref, only if the viewer may see it (otherwise undefined: the caller answers 404). */
  async function visibleTicket(viewer: Viewer, ref: string): Promise<TicketRow | undefined> {
    if (!/^[A-Za-z][A-Za-z0-9]{0,9}-\d{1,9}$/.test(ref)) return undefined;
    const ticket = await tickets.findByRef(ref);
    if (!ticket) return undefined;
    const facts = { requesterEmail: ticket.requesterEmail, participants: await repository.participantsOf(ticket.id), organisationId: await repository.organisationOfTicket(ticket.id) };
    return maySee(viewer, facts) ? ticket : undefined;
  }

  async function list({ viewer, q, status }: { viewer: Viewer; q: string; status: StatusFilter }) {
    const { tickets: rows, truncated } = await repository.listVisible({ viewer, q: q.slice(0, 200), status, limit: LIST_LIMIT });
    return { tickets: rows.map((ticket) => ({ ...ticket, slaDueAt: slaDue(ticket) })), truncated };
  }

  /** The page of one ticket: the ticket, its due time, and the conversation the viewer may read. */
  async function view({ viewer, ref }: { viewer: Viewer; ref: string }) {
    const ticket = await visibleTicket(viewer, ref);
    if (!ticket) return undefined;
    const messages = visibleTo(viewer, await tickets.listMessages(ticket.id));
    const linked = ticket.linkedTicketId === null ? undefined : await tickets.findById(ticket.linkedTicketId);
    const names = await repository.namesOf([...new Set(messages.map((message) => message.fromAddress.toLowerCase()))]);
    const linkedVisible = linked !== undefined && (await visibleTicket(viewer, linked.ref)) !== undefined;
    return { ticket, messages, names, slaDueAt: slaDue(ticket), linked: linkedVisible ? linked : undefined, canMarkResolved: mayMarkResolved(viewer, ticket), engineers: viewer.role === 'engineer' ? await repository.listEngineers() : [] };
  }

  /** A file of a message the viewer may read, on a ticket the viewer may see; undefined otherwise. */
  async function attachment({ viewer, ref, id }: { viewer: Viewer; ref: string; id: number }) {
    const ticket = await visibleTicket(viewer, ref);
    if (!ticket) return undefined;
    for (const message of visibleTo(viewer, await tickets.listMessages(ticket.id))) {
      const file = message.attachments.find((candidate) => candidate.id === id);
      if (file) return file;
    }
    return undefined;
  }

  /** Inside the caller's transaction. From the address of the ticket's mailbox. */
  async function note(ticket: { id: number; ref: string }, text: string, at: Date): Promise<void> {
    await tickets.appendMessage({
      message: { ticketId: ticket.id, direction: 'outbound', messageId: null, inReplyTo: null, referencesJson: '[]', fromAddress: identityOfRef(config, ticket.ref).address, toJson: '[]', subject: '(note)', bodyText: text, inboundId: null, createdAt: at, visibility: 'internal' },
    });
  }

  /**
   * The customer's "Mark resolved": the lifecycle's resolve (which resolves the page), noted for engineers. The
   * ticket is read, checked and changed in one transaction, so the status the decision saw is the one changed.
   */
  async function markResolved({ viewer, ref }: { viewer: Viewer; ref: string }): Promise<ActionResult> {
    return db.transaction(async (): Promise<ActionResult> => {
      const ticket = await visibleTicket(viewer, ref);
      if (!ticket) return { kind: 'not-found' };
      if (!mayMarkResolved(viewer, ticket)) {
        // Engineers resolve with "Change status" (the customer's button is not theirs); anyone else: it is done.
        const problem = viewer.role === 'engineer' ? 'Engineers change the status with "Change status".' : `${ticket.ref} is ${ticket.status} already.`;
        return { kind: 'refused', problem };
      }
      const at = clock.now();
      await lifecycle.transition({ ticket, event: { kind: 'resolve' }, at });
      await note(ticket, `Marked resolved by ${viewer.email} on the portal.`, at);
      logger.info({ ref: ticket.ref, by: viewer.email }, 'ticket marked resolved on the portal');
      return { kind: 'done', notice: `${ticket.ref} is marked resolved. A reply reopens it.` };
    });
  }

  /** An engineer's action on the portal: the same lifecycle/paging call as the matching #command, in one transaction. */
  async function act({ viewer, ref, action }: { viewer: Viewer; ref: string; action: EngineerAction }): Promise<ActionResult> {
    if (viewer.role !== 'engineer') return { kind: 'not-found' };
    return db.transaction(async (): Promise<ActionResult> => {
      const ticket = await visibleTicket(viewer, ref);
      if (!ticket) return { kind: 'not-found' };
      const at = clock.now();
      let notice: string;
      switch (action.kind) {
        case 'severity': {
          const changed = await lifecycle.requestSeverity({ ticket, requested: action.severity, by: 'engineer', at });
          if (!changed) return { kind: 'refused', problem: `${ticket.ref} is ${ticket.severity} already.` };
          notice = `Severity changed from ${ticket.severity} to ${changed}.`;
          break;
        }
        case 'status': {
          const status = await lifecycle.transition({ ticket, event: { kind: action.status }, at });
          notice = status === ticket.status ? `${ticket.ref} is ${status} already.` : `Status changed from ${ticket.status} to ${status}.`;
          break;
        }
        case 'assign': {
          const engineer = action.engineer.trim().toLowerCase();
          if (!config.support.engineerDomains.includes(domainOf(engineer))) return { kind: 'refused', problem: 'Only an engineer can be the assignee.' };
          await lifecycle.assign({ ticket, engineer, at });
          notice = `Assigned to ${engineer}.`;
          break;
        }
        case 'page':
          if (action.action === 'acknowledge') await paging.enqueueAcknowledge(ticket, at);
          else await paging.enqueueResolve(ticket, at);
          notice = action.action === 'acknowledge' ? 'Page acknowledged.' : 'Page resolved.';
          break;
      }
      await note(ticket, `${notice} (by ${viewer.email} on the portal)`, at);
      logger.info({ ref: ticket.ref, by: viewer.email, action }, 'engineer action on the portal');
      return { kind: 'done', notice };
    });
  }

  /** Open tickets, most severe first, then the one whose SLA falls due first (none due: last). */
  async function queue() {
    const now = clock.now();
    return (await repository.listOpen(1000))
      .map((ticket) => ({ ...ticket, slaDueAt: slaDue(ticket) }))
      .sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || (a.slaDueAt?.getTime() ?? Infinity) - (b.slaDueAt?.getTime() ?? Infinity) || a.id - b.id)
      .map((ticket) => ({ ...ticket, overdue: ticket.slaDueAt !== undefined && ticket.slaDueAt <= now }));
  }

  return { visibleTicket, list, view, attachment, markResolved, act, queue };
}

export type Portal = ReturnType<typeof createPortal>;
