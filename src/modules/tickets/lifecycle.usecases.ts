import type { Config } from '../../config/config.schema.js';
import type { Db } from '../../shared/db.js';
import { createSilentLogger, type Logger } from '../../shared/logger.js';
import { priorityOf, type Severity } from '../desk/severity.models.js';
import { createPaging, type PagingConfig } from '../paging/paging.usecases.js';
import { autoCloseCutoff, isDueForAutoClose, nextStatus, severityChange, type LifecycleEvent } from './lifecycle.models.js';
import { createLifecycleRepository } from './lifecycle.repository.js';
import type { TicketRow } from './tickets.repository.js';
import type { TicketStatus } from '../desk/ticket.models.js';

/**
 * Every change of a ticket's state goes through here: status transitions, severity changes, the first
 * response. All functions are async and run inside the caller's transaction (`db.transaction`), so the state
 * change and the effects it implies (outbox rows) commit together or not at all.
 *
 * Paging follows the ticket from here: the first engineer response acknowledges the alert, resolving or
 * closing resolves it, a raised severity triggers again (all outbox rows, in the caller's transaction).
 */
export function createLifecycle({ db, config, logger = createSilentLogger() }: { db: Db; config: PagingConfig & Pick<Config, 'pager'>; logger?: Logger }) {
  const repository = createLifecycleRepository({ db });
  const paging = createPaging({ db, config });

  /**
   * HOOK: an engineer's public reply reached the customer. The first one stamps `firstRespondedAt` and
   * acknowledges the page; every one restarts the update SLA clock and resolves a breached-update alert.
   */
  async function onEngineerResponse({ ticket, engineer, at }: { ticket: TicketRow; engineer: string; at: Date }): Promise<void> {
    await repository.updateTicket(ticket.id, { updateClockFrom: at });
    await paging.enqueueUpdateGiven(ticket, at);
    if (!(await repository.stampFirstResponse(ticket.id, at))) return;
    logger.info({ ref: ticket.ref, engineer }, 'first engineer response');
    await paging.enqueueAcknowledge(ticket, at);
  }

  /** HOOK: the ticket became resolved or closed (by an engineer's command or the auto-close job). */
  async function onResolvedOrClosed({ ticket, status, at }: { ticket: TicketRow; status: 'resolved' | 'closed'; at: Date }): Promise<void> {
    logger.info({ ref: ticket.ref, status, at }, 'ticket resolved or closed');
    // Keyed to the latest trigger: resolved then closed sends one resolve.
    await paging.enqueueResolve(ticket, at);
  }

  /** Applies a lifecycle event; returns the new status. */
  async function transition({ ticket, event, at }: { ticket: TicketRow; event: LifecycleEvent; at: Date }): Promise<TicketStatus> {
    const status = nextStatus(ticket.status, event);
    if (status === ticket.status) return status;
    // The customer came back to a ticket that waited on them or was solved: the wait for our update starts now.
    const customerReturned = event.kind === 'customer-reply' && status === 'open';
    await repository.updateTicket(ticket.id, {
      status,
      updatedAt: at,
      ...(customerReturned ? { updateClockFrom: at } : {}),
      ...(status === 'resolved' ? { resolvedAt: at } : {}),
      ...(status === 'closed' ? { closedAt: at } : {}),
    });
    logger.info({ ref: ticket.ref, from: ticket.status, to: status, event: event.kind }, 'ticket status changed');
    if (status === 'resolved' || status === 'closed') await onResolvedOrClosed({ ticket: { ...ticket, status }, status, at });
    return status;
  }

  /**
   * A severity someone asked for. Customers only raise (from the NEW text of their mail); engineers set it
   * either way. Raising pages again: one trigger per severity reached (the effect key says which).
   */
  async function requestSeverity({ ticket, requested, by, at }: { ticket: TicketRow; requested: Severity | undefined; by: 'customer' | 'engineer'; at: Date }): Promise<Severity | undefined> {
    const change = severityChange({ current: ticket.severity, requested, by });
    if (!change) return undefined;
    await repository.updateTicket(ticket.id, { severity: change.severity, priority: priorityOf(change.severity), updatedAt: at });
    logger.info({ ref: ticket.ref, from: ticket.severity, to: change.severity, by }, change.raised ? 'ticket escalated' : 'ticket severity lowered');
    if (change.raised) await paging.enqueueSeverityRaise({ ...ticket, severity: change.severity, priority: priorityOf(change.severity) }, at);
    return change.severity;
  }

  async function assign({ ticket, engineer, at }: { ticket: TicketRow; engineer: string; at: Date }): Promise<void> {
    await repository.updateTicket(ticket.id, { assignee: engineer, updatedAt: at });
  }

  /** Closes every resolved ticket whose time is up; returns their refs. Run inside one transaction. */
  async function autoCloseDue({ now, autoCloseDays }: { now: Date; autoCloseDays: number }): Promise<string[]> {
    const closed: string[] = [];
    for (const ticket of await repository.resolvedBefore(autoCloseCutoff({ now, autoCloseDays }))) {
      if (!isDueForAutoClose({ status: ticket.status, resolvedAt: ticket.resolvedAt, now, autoCloseDays })) continue;
      await transition({ ticket, event: { kind: 'auto-close' }, at: now });
      closed.push(ticket.ref);
    }
    return closed;
  }

  return { onEngineerResponse, onResolvedOrClosed, transition, requestSeverity, assign, autoCloseDue, repository };
}

export type Lifecycle = ReturnType<typeof createLifecycle>;
