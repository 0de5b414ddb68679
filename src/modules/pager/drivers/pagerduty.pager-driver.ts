/**
 * Our own small client for PagerDuty's Events API v2 (POST /v2/enqueue). It sends one event and maps the
 * outcome to a TicketdError; retries belong to the outbox worker, which keeps the same dedup_key so a
 * repeated trigger is harmless.
 */
import { postJson, type PostAnswer } from '../../../shared/http-post.js';
import { createError, describeError } from '../../../shared/errors.js';
import type { Logger } from '../../../shared/logger.js';
import type { Pager, PagerEvent } from '../pager.types.js';
import { fitToPagerDutyLimits, PAGERDUTY_LIMITS } from '../pagerduty.models.js';

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

export function createPagerDutyPager({
  url = PAGERDUTY_EVENTS_URL,
  timeoutMs = 10_000,
  logger,
}: { url?: string; timeoutMs?: number; logger?: Logger } = {}): Pager {
  async function send(event: PagerEvent): Promise<{ status: number; dedupKey?: string }> {
    // Serialize once ourselves so the size we check is the size we send.
    const json = JSON.stringify(fitToPagerDutyLimits(event));
    const bytes = Buffer.byteLength(json, 'utf8');
    if (bytes > PAGERDUTY_LIMITS.bodyBytes) {
      throw createError({
        code: 'pager.event_too_large',
        message: `PagerDuty event is ${bytes} bytes, over the ${PAGERDUTY_LIMITS.bodyBytes}-byte limit`,
        retryable: false,
        details: { bytes, limit: PAGERDUTY_LIMITS.bodyBytes, dedupKey: event.dedup_key },
      });
    }

    let response: PostAnswer;
    try {
      response = await postJson({ url, body: json, timeoutMs, service: 'pager', label: 'PagerDuty' });
    } catch (error) {
      logger?.debug({ err: describeError(error), dedupKey: event.dedup_key }, 'PagerDuty unreachable');
      throw error;
    }

    const { status } = response;
    const body = parseJson(response.text);
    logger?.debug({ status, dedupKey: event.dedup_key, action: event.event_action }, 'PagerDuty answered');
    if (status >= 200 && status < 300) {
      const dedupKey = typeof body === 'object' && body !== null && 'dedup_key' in body && typeof body.dedup_key === 'string' ? body.dedup_key : event.dedup_key;
      return { status, dedupKey };
    }
    throw toPagerError(status, body, response.headers['retry-after']);
  }

  return { send };
}

function toPagerError(status: number, body: unknown, retryAfter: unknown) {
  // An HTML error page from a proxy can be large; details end up in logs and the outbox row.
  const details: Record<string, unknown> = { status, body: typeof body === 'string' ? body.slice(0, 2000) : body };
  const reason = describeBody(body);
  if (status === 400) {
    // The event itself is wrong: sending it again gets the same answer.
    return createError({ code: 'pager.invalid_event', message: `PagerDuty rejected the event as invalid: ${reason}`, retryable: false, details });
  }
  if (status === 429) {
    if (typeof retryAfter === 'string') details.retryAfter = retryAfter;
    return createError({ code: 'pager.rate_limited', message: `PagerDuty rate limit reached (429): ${reason}`, retryable: true, details });
  }
  if (status >= 500) {
    return createError({ code: 'pager.server_error', message: `PagerDuty server error ${status}: ${reason}`, retryable: true, details });
  }
  // Other 4xx (401, 403, 404, 413 ...) and 3xx: a configuration problem retrying will not fix.
  return createError({ code: 'pager.rejected', message: `PagerDuty refused the event with ${status}: ${reason}`, retryable: false, details });
}

function parseJson(text: unknown): unknown {
  if (typeof text !== 'string') return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function describeBody(body: unknown): string {
  if (typeof body === 'object' && body !== null) {
    const { message, errors } = body as { message?: unknown; errors?: unknown };
    const parts = [typeof message === 'string' ? message : undefined, Array.isArray(errors) ? errors.join('; ') : undefined];
    const text = parts.filter(Boolean).join(': ');
    if (text) return text;
  }
  return String(body ?? '').slice(0, 200) || 'no body';
}
