/**
 * Generic webhook events and their signature, pure. The signature is Stripe-style:
 *   X-Ticketd-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, `${t}.${raw body}`)>
 * The timestamp is signed with the body so a captured request cannot be replayed later (receivers reject
 * an old `t`); the exact bytes received are what is verified, never a re-serialized object.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Severity } from '../desk/severity.models.js';

export type WebhookEventType = 'ticket.created' | 'ticket.escalated' | 'ticket.acknowledged' | 'ticket.resolved' | 'ticket.sla_warning';

/** A SEV1 an authenticated customer sent past the flood guard: no ticket was opened, the mail is quarantined. */
export type FloodEvent = { id: string; type: 'flood.sev1_held'; occurredAt: string; flood: { sender: string; organisation: string; inboundId: number } };

export type WebhookEvent = TicketEvent | FloodEvent;

export type TicketEvent = {
  /** Unique per event (the outbox effect key): receivers dedupe retries on it. */
  id: string;
  type: WebhookEventType;
  occurredAt: string;
  ticket: { ref: string; subject: string; severity: Severity; priority: string; status: string; organisation: string; url?: string };
  /** escalated: `severity_raised`, `sla_breach` (first response) or `sla_update_breach`; sla_warning: `first_response` or `update`. */
  reason?: string;
  sla?: { target: string; dueAt: string };
};

export const SIGNATURE_HEADER = 'X-Ticketd-Signature';

export function signWebhook({ secret, timestamp, body }: { secret: string; timestamp: number; body: string }): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

/** The receiver's side: true when `header` signs `body` with `secret` and `t` is within `toleranceSeconds` of now. */
export function verifyWebhookSignature({ secret, header, body, now = new Date(), toleranceSeconds = 300 }: { secret: string; header: string; body: string; now?: Date; toleranceSeconds?: number }): boolean {
  const fields = new Map(header.split(',').map((part) => part.trim().split('=', 2) as [string, string]));
  const timestamp = Number(fields.get('t'));
  const given = fields.get('v1') ?? '';
  if (!Number.isInteger(timestamp) || Math.abs(now.getTime() / 1000 - timestamp) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest();
  const actual = Buffer.from(given, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
