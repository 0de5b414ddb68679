/**
 * Generic webhook: POSTs one signed JSON ticket event. Like the PagerDuty driver it maps every outcome to a
 * TicketdError (retryable for 408, 429, 5xx and network errors; other answers are a configuration problem)
 * and leaves retries to the outbox worker. The signature is made at send time, so a retry carries a fresh
 * timestamp and stays within the receiver's replay window.
 */
import { postJson } from '../../../shared/http-post.js';
import { systemClock, type Clock } from '../../../shared/clock.js';
import { createError } from '../../../shared/errors.js';
import type { Logger } from '../../../shared/logger.js';
import { SIGNATURE_HEADER, signWebhook, type WebhookEvent } from '../webhook.models.js';

export type WebhookSender = { send(event: WebhookEvent): Promise<{ status: number }> };

export function createWebhookSender({ url, secret, timeoutMs = 10_000, clock = systemClock, logger }: { url: string; secret: string; timeoutMs?: number; clock?: Clock; logger?: Logger }): WebhookSender {
  async function send(event: WebhookEvent): Promise<{ status: number }> {
    const body = JSON.stringify(event);
    const timestamp = Math.floor(clock.now().getTime() / 1000);
    const response = await postJson({
      url,
      body,
      headers: { [SIGNATURE_HEADER]: signWebhook({ secret, timestamp, body }), 'X-Ticketd-Event': event.type, 'X-Ticketd-Event-Id': event.id },
      timeoutMs,
      service: 'webhook',
      label: 'webhook',
    });
    const { status } = response;
    logger?.debug({ status, id: event.id, type: event.type }, 'webhook answered');
    if (status >= 200 && status < 300) return { status };
    const details = { status, body: response.text.slice(0, 2000) };
    if (status === 408 || status === 429) throw createError({ code: 'webhook.rate_limited', message: `webhook answered ${status}`, retryable: true, details });
    if (status >= 500) throw createError({ code: 'webhook.server_error', message: `webhook server error ${status}`, retryable: true, details });
    throw createError({ code: 'webhook.rejected', message: `webhook refused the event with ${status}`, retryable: false, details });
  }
  return { send };
}
