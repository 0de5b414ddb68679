/**
 * The paging lifecycle of a ticket as outbox rows, on PagerDuty and/or the generic webhook. Every function
 * here is async, only reads and writes outbox rows, and must be awaited INSIDE the transaction that changes the
 * ticket, so the ticket change and its page commit together (or not at all), and what it reads of earlier pages
 * (the first trigger, the latest anchor) is still true when it writes. Delivery happens later, with retries.
 *
 *   enqueueCreated(ticket)           new ticket: PagerDuty trigger (dedup_key REF) + webhook ticket.created,
 *                                    when and if paging.policy says so (out of hours: due at the next start)
 *   enqueueSeverityRaise(ticket)     the ticket's severity went up: a new trigger with the new severity,
 *                                    same dedup_key and routing key + webhook ticket.escalated
 *   enqueueAcknowledge(ticket)       an engineer's first response: acknowledge REF (and REF/sla) + ticket.acknowledged
 *   enqueueResolve(ticket)           resolved or closed: resolve REF (and REF/sla, REF/update) + ticket.resolved
 *   enqueueSlaWarning / enqueueSlaEscalation: used by the SLA checker (first response and updates)
 *   enqueueUpdateGiven(ticket)       an engineer's public reply: resolve a breached-update alert REF/update
 *
 * Nothing is sent for a channel on which the ticket was never paged (policy `never`, or paging off).
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '../../config/config.schema.js';
import { systemClock, type Clock } from '../../shared/clock.js';
import type { Db } from '../../shared/db.js';
import type { Severity } from '../desk/severity.models.js';
import type { OutboundMail } from '../mail-out/mail-out.types.js';
import { requireMailTemplates, type MailTemplates } from '../templates/templates.loader.js';
import { createOutboxRepository } from '../outbox/outbox.repository.js';
import type { TicketSummary } from '../desk/ticket.models.js';
import { buildFloodTriggerEvent, buildFollowUpEvent, buildTriggerEvent, ticketLinks } from './page.models.js';
import { decidePage, type PageDecision } from './paging-policy.models.js';
import { createPagingRepository } from './paging.repository.js';
import { routingKeyFor } from './routing.models.js';
import type { TicketEvent, WebhookEventType } from '../pager/webhook.models.js';
import { organisationOf } from '../desk/address.models.js';
import { calendarOf } from '../desk/business-hours.models.js';
import { identityOfRef } from '../desk/mailboxes.models.js';

export type SlaMetric = 'first_response' | 'update';
export type PagedTicket = TicketSummary;
export type PagingConfig = Pick<Config, 'pager' | 'webhook' | 'paging' | 'http' | 'support' | 'imap' | 'templates'>;

export function createPaging({ db, config, clock = systemClock, newId = () => randomUUID(), templates }: { db: Db; config: PagingConfig; clock?: Clock; newId?: () => string; templates?: MailTemplates }) {
  // Only the SLA warning is a mail: the templates are read when the first one is written, not for every pager.
  // That read is file I/O, so a caller that may warn inside its transaction hands them in (the SLA checker does).
  let mailTemplates = templates;
  const templatesOf = () => (mailTemplates ??= requireMailTemplates({ dir: config.templates.dir }));
  const outbox = createOutboxRepository({ db });
  const paged = createPagingRepository({ db });
  const calendar = calendarOf(config.paging);
  const pagerDutyOn = config.pager.kind === 'pagerduty';
  const webhookOn = config.pager.kind === 'webhook' || config.webhook.url !== '';

  const links = (ticket: PagedTicket) => ticketLinks({ publicUrl: config.http.publicUrl, ref: ticket.ref });
  const requester = (ticket: PagedTicket) => ({ address: ticket.requesterEmail, name: ticket.requesterName });

  function webhookEvent(ticket: PagedTicket, id: string, type: WebhookEventType, at: Date, extra: Pick<TicketEvent, 'reason' | 'sla'> = {}): TicketEvent {
    const url = links(ticket)[0]?.href;
    return {
      id,
      type,
      occurredAt: at.toISOString(),
      ticket: { ref: ticket.ref, subject: ticket.subject, severity: ticket.severity, priority: ticket.priority, status: ticket.status, organisation: organisationOf(ticket.requesterEmail), ...(url ? { url } : {}) },
      ...extra,
    };
  }

  function hook(ticket: PagedTicket, effectKey: string, type: WebhookEventType, at: Date, dueAt: Date, extra?: Pick<TicketEvent, 'reason' | 'sla'>): Promise<void> {
    return outbox.enqueue({ effectKey, ticketId: ticket.id, payload: { kind: 'webhook', event: webhookEvent(ticket, effectKey, type, at, extra) }, at: dueAt });
  }

  /** The policy decision for a page of `severity` raised at `at`. */
  function decide(severity: Severity, at: Date): PageDecision {
    return decidePage({ severity, at, policy: config.paging.policy, calendar });
  }

  async function enqueueCreated(ticket: PagedTicket, at: Date = clock.now()): Promise<PageDecision> {
    const decision = decide(ticket.severity, at);
    if (!decision.page) return decision;
    if (pagerDutyOn) {
      const routingKey = routingKeyFor({ pager: config.pager, organisation: organisationOf(ticket.requesterEmail), severity: ticket.severity });
      const event = buildTriggerEvent({ routingKey, source: config.pager.source, ticket, requester: requester(ticket), at, links: links(ticket) });
      await outbox.enqueue({ effectKey: `page:${ticket.ref}:trigger:${ticket.severity}`, ticketId: ticket.id, payload: { kind: 'page', event }, at: decision.at });
    }
    if (webhookOn) await hook(ticket, `hook:${ticket.ref}:ticket.created`, 'ticket.created', at, decision.at);
    return decision;
  }

  /** Call after storing the raised severity on the ticket. A no-op on a channel the ticket was never paged on. */
  async function enqueueSeverityRaise(ticket: PagedTicket, at: Date = clock.now()): Promise<void> {
    const decision = decide(ticket.severity, at);
    if (!decision.page) return;
    const first = pagerDutyOn ? await paged.firstTrigger({ ticketId: ticket.id, dedupKey: ticket.ref }) : undefined;
    if (first) {
      const event = buildTriggerEvent({ routingKey: first.routing_key, source: config.pager.source, ticket, requester: requester(ticket), at, links: links(ticket), reason: 'Severity raised' });
      await outbox.enqueue({ effectKey: `page:${ticket.ref}:trigger:${ticket.severity}`, ticketId: ticket.id, payload: { kind: 'page', event }, at: decision.at });
    }
    if (webhookOn && (await paged.latestId({ ticketId: ticket.id, prefixes: [`hook:${ticket.ref}:ticket.created`] })) !== undefined) {
      await hook(ticket, `hook:${ticket.ref}:ticket.escalated:${ticket.severity}`, 'ticket.escalated', at, decision.at, { reason: 'severity_raised' });
    }
  }

  async function followUp(ticket: PagedTicket, action: 'acknowledge' | 'resolve', type: 'ticket.acknowledged' | 'ticket.resolved', at: Date): Promise<void> {
    // A follow-up must not overtake a trigger still waiting for business hours: it is due no earlier.
    const pendingAt = await paged.latestPendingAt({ ticketId: ticket.id });
    const dueAt = pendingAt && pendingAt > at ? pendingAt : at;
    if (pagerDutyOn) {
      for (const dedupKey of [ticket.ref, `${ticket.ref}/sla`, `${ticket.ref}/update`]) {
        const first = await paged.firstTrigger({ ticketId: ticket.id, dedupKey });
        const anchor = await paged.latestId({ ticketId: ticket.id, prefixes: [`page:${dedupKey}:trigger:`] });
        if (!first || anchor === undefined) continue;
        // Keyed by the latest trigger: once per alert, and again for an alert re-opened by a later trigger.
        const event = buildFollowUpEvent({ action, routingKey: first.routing_key, dedupKey });
        await outbox.enqueue({ effectKey: `page:${dedupKey}:${action}:${anchor}`, ticketId: ticket.id, payload: { kind: 'page', event }, at: dueAt });
      }
    }
    if (webhookOn) {
      const anchor = await paged.latestId({ ticketId: ticket.id, prefixes: [`hook:${ticket.ref}:ticket.created`, `hook:${ticket.ref}:ticket.escalated`] });
      if (anchor !== undefined) await hook(ticket, `hook:${ticket.ref}:${type}:${anchor}`, type, at, dueAt);
    }
  }

  /** An engineer's first response to the ticket (issue 4 stamps `firstRespondedAt` in the same transaction). */
  function enqueueAcknowledge(ticket: PagedTicket, at: Date = clock.now()): Promise<void> {
    return followUp(ticket, 'acknowledge', 'ticket.acknowledged', at);
  }

  /** The ticket was resolved or closed. */
  function enqueueResolve(ticket: PagedTicket, at: Date = clock.now()): Promise<void> {
    return followUp(ticket, 'resolve', 'ticket.resolved', at);
  }

  /**
   * sla.warnAtPercent of a target passed without a reply: webhook event plus, if given, a mail to engineers.
   * `metric` says which wait: the first response, or an update (then `cycle`, the wait's start, keys it).
   */
  async function enqueueSlaWarning({ ticket, target, dueAt, engineers = [], metric = 'first_response', cycle = 0, at = clock.now() }: { ticket: PagedTicket; target: string; dueAt: Date; engineers?: string[]; metric?: SlaMetric; cycle?: number; at?: Date }): Promise<void> {
    const suffix = metric === 'update' ? `:update:${cycle}` : '';
    if (webhookOn) await hook(ticket, `hook:${ticket.ref}:ticket.sla_warning${suffix}`, 'ticket.sla_warning', at, at, { reason: metric, sla: { target, dueAt: dueAt.toISOString() } });
    if (engineers.length > 0) {
      // From the ticket's mailbox, as all of the ticket's mail.
      const { address } = identityOfRef(config, ticket.ref);
      const domain = address.split('@')[1] ?? 'localhost';
      const mail: OutboundMail = {
        from: `${config.support.name} <${address}>`,
        to: engineers,
        subject: `[${ticket.ref}] SLA warning: no ${metric === 'update' ? 'update' : 'first response'} yet, due ${dueAt.toISOString()}`,
        ...templatesOf().render('sla-warning', {
          supportName: config.support.name,
          supportAddress: address,
          ref: ticket.ref,
          subject: ticket.subject || '(no subject)',
          severity: ticket.severity,
          organisation: organisationOf(ticket.requesterEmail),
          firstResponse: metric === 'first_response',
          target,
          dueAt: dueAt.toISOString(),
          links: links(ticket),
        }),
        messageId: `${ticket.ref.toLowerCase()}.sla-warning.${newId()}@${domain}`,
        headers: { 'Auto-Submitted': 'auto-generated', 'X-Ticketd-Ticket': ticket.ref },
      };
      await outbox.enqueue({ effectKey: `mail:${ticket.ref}:sla-warning${suffix}`, ticketId: ticket.id, payload: { kind: 'email', mail }, at });
    }
  }

  /**
   * A target breached: a trigger one severity higher on the escalation key, with dedup_key REF/sla for the
   * first response and REF/update for an update. Updates get their own alert because PagerDuty folds a trigger
   * into an open alert of the same key: the first-response alert is acknowledged by then, and would swallow it.
   */
  async function enqueueSlaEscalation({ ticket, severity, target, dueAt, metric = 'first_response', cycle = 0, at = clock.now() }: { ticket: PagedTicket; severity: Severity; target: string; dueAt: Date; metric?: SlaMetric; cycle?: number; at?: Date }): Promise<void> {
    const decision = decide(severity, at);
    if (!decision.page) return;
    const escalated = { ...ticket, severity };
    if (pagerDutyOn) {
      const routingKey =
        config.pager.escalationRoutingKey ||
        (await paged.firstTrigger({ ticketId: ticket.id, dedupKey: ticket.ref }))?.routing_key ||
        routingKeyFor({ pager: config.pager, organisation: organisationOf(ticket.requesterEmail), severity });
      const update = metric === 'update';
      const dedupKey = update ? `${ticket.ref}/update` : `${ticket.ref}/sla`;
      const event = buildTriggerEvent({ routingKey, source: config.pager.source, ticket: escalated, requester: requester(ticket), at, links: links(ticket), dedupKey, reason: `SLA breach: no ${update ? 'update' : 'first response'} within ${target}` });
      await outbox.enqueue({ effectKey: `page:${dedupKey}:trigger:${severity}${update ? `:${cycle}` : ''}`, ticketId: ticket.id, payload: { kind: 'page', event }, at: decision.at });
    }
    if (webhookOn) {
      const key = metric === 'update' ? `hook:${ticket.ref}:ticket.escalated:sla-update:${cycle}` : `hook:${ticket.ref}:ticket.escalated:sla`;
      await hook(escalated, key, 'ticket.escalated', at, decision.at, { reason: metric === 'update' ? 'sla_update_breach' : 'sla_breach', sla: { target, dueAt: dueAt.toISOString() } });
    }
  }

  /** An engineer's public reply gave the update: an open REF/update alert (a breached update wait) is resolved. */
  async function enqueueUpdateGiven(ticket: PagedTicket, at: Date = clock.now()): Promise<void> {
    if (!pagerDutyOn) return;
    const dedupKey = `${ticket.ref}/update`;
    const first = await paged.firstTrigger({ ticketId: ticket.id, dedupKey });
    const anchor = await paged.latestId({ ticketId: ticket.id, prefixes: [`page:${dedupKey}:trigger:`] });
    if (!first || anchor === undefined) return;
    // Keyed by the latest trigger: one resolve per alert however many replies follow.
    await outbox.enqueue({ effectKey: `page:${dedupKey}:resolve:${anchor}`, ticketId: ticket.id, payload: { kind: 'page', event: buildFollowUpEvent({ action: 'resolve', routingKey: first.routing_key, dedupKey }) }, at });
  }

  /**
   * A SEV1 the flood guard held back (no ticket): one PagerDuty trigger and/or webhook `flood.sev1_held`,
   * marked as a flood, keyed by sender and inbound message; the caller limits it to once per sender per hour.
   * The subject and text stay out: the page says who and where to look (`ticketd quarantine list`).
   */
  async function enqueueFloodPage({ sender, inboundId, at = clock.now() }: { sender: string; inboundId: number; at?: Date }): Promise<void> {
    const decision = decide('SEV1', at);
    if (!decision.page) return;
    const organisation = organisationOf(sender);
    if (pagerDutyOn) {
      const routingKey = routingKeyFor({ pager: config.pager, organisation, severity: 'SEV1' });
      const event = buildFloodTriggerEvent({ routingKey, source: config.pager.source, sender, inboundId, at });
      await outbox.enqueue({ effectKey: `page:flood:${sender}:${inboundId}`, ticketId: null, payload: { kind: 'page', event }, at: decision.at });
    }
    if (webhookOn) {
      const id = `hook:flood:${sender}:${inboundId}`;
      await outbox.enqueue({ effectKey: id, ticketId: null, payload: { kind: 'webhook', event: { id, type: 'flood.sev1_held', occurredAt: at.toISOString(), flood: { sender, organisation, inboundId } } }, at: decision.at });
    }
  }

  return { enqueueFloodPage, enqueueCreated, enqueueSeverityRaise, enqueueAcknowledge, enqueueResolve, enqueueSlaWarning, enqueueSlaEscalation, enqueueUpdateGiven };
}

export type Paging = ReturnType<typeof createPaging>;
