import { createHmac, timingSafeEqual } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHttpReceiver, type HttpReceiver } from '../../../devservers/http-receiver.server.js';
import { isTicketdError, type TicketdError } from '../../../shared/errors.js';
import { signWebhook, verifyWebhookSignature, type WebhookEvent } from '../webhook.models.js';
import { createWebhookSender } from './webhook.pager-driver.js';

const event: WebhookEvent = {
  id: 'hook:CS-7:ticket.created',
  type: 'ticket.created',
  occurredAt: '2026-11-25T09:00:00.000Z',
  ticket: { ref: 'CS-7', subject: 'Checkout down – 🔥', severity: 'SEV1', priority: 'Urgent', status: 'new', organisation: 'acme.test' },
};
const now = new Date('2026-11-25T09:00:05Z');
const clock = { now: () => now };
const nowSeconds = now.getTime() / 1000;

/** The README recipe, written out independently of our own verifier, as a receiver would. */
function readmeRecipe({ secret, header, rawBody, nowSeconds }: { secret: string; header: string; rawBody: string; nowSeconds: number }): boolean {
  const parts = Object.fromEntries(header.split(',').map((kv) => kv.split('=')));
  const t = Number(parts.t);
  if (Math.abs(nowSeconds - t) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${parts.t}.${rawBody}`).digest('hex');
  return timingSafeEqual(Buffer.from(expected), Buffer.from(String(parts.v1)));
}

let receiver: HttpReceiver;
beforeAll(async () => {
  receiver = await startHttpReceiver();
});
afterAll(() => receiver.close());
beforeEach(() => {
  receiver.clear();
  receiver.setResponder(() => ({ status: 204 }));
});

async function failure(promise: Promise<unknown>): Promise<TicketdError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  if (!isTicketdError(error)) throw new Error(`expected a TicketdError, got ${String(error)}`);
  return error;
}

describe('webhook sender', () => {
  it('posts the event as JSON with a signature that verifies with the documented recipe', async () => {
    const sender = createWebhookSender({ url: `${receiver.url}/hook`, secret: 's3cret', clock });
    await expect(sender.send(event)).resolves.toEqual({ status: 204 });

    const [request] = await receiver.waitFor(1);
    const header = String(request?.headers['x-ticketd-signature']);
    expect(header).toMatch(new RegExp(`^t=${nowSeconds},v1=[0-9a-f]{64}$`));
    expect(request?.headers['x-ticketd-event']).toBe('ticket.created');
    expect(request?.body).toEqual(event);
    expect(readmeRecipe({ secret: 's3cret', header, rawBody: request?.rawBody ?? '', nowSeconds: nowSeconds + 5 })).toBe(true);
    expect(verifyWebhookSignature({ secret: 's3cret', header, body: request?.rawBody ?? '', now })).toBe(true);
  });

  it('a signature does not verify with another secret, a changed body or a stale timestamp', () => {
    const body = JSON.stringify(event);
    const header = signWebhook({ secret: 's3cret', timestamp: nowSeconds, body });
    expect(verifyWebhookSignature({ secret: 's3cret', header, body, now })).toBe(true);
    expect(verifyWebhookSignature({ secret: 'other', header, body, now })).toBe(false);
    expect(verifyWebhookSignature({ secret: 's3cret', header, body: body.replace('SEV1', 'SEV4'), now })).toBe(false);
    expect(verifyWebhookSignature({ secret: 's3cret', header, body, now: new Date(now.getTime() + 10 * 60_000) })).toBe(false);
    expect(verifyWebhookSignature({ secret: 's3cret', header: 'garbage', body, now })).toBe(false);
  });

  it('reports 429 and 503 as retryable and 400 and 401 as permanent', async () => {
    const sender = createWebhookSender({ url: receiver.url, secret: 's', clock });
    const answers = [429, 503, 400, 401];
    const results: Array<[string, boolean]> = [];
    for (const status of answers) {
      receiver.setResponder(() => ({ status, body: 'no' }));
      const error = await failure(sender.send(event));
      results.push([error.code, error.retryable]);
    }
    expect(results).toEqual([
      ['webhook.rate_limited', true],
      ['webhook.server_error', true],
      ['webhook.rejected', false],
      ['webhook.rejected', false],
    ]);
  });

  it('reports a receiver that never answers as retryable unreachable after the timeout', async () => {
    receiver.setResponder(() => ({ status: 200, delayMs: 60_000 }));
    const sender = createWebhookSender({ url: receiver.url, secret: 's', timeoutMs: 200, clock });
    await expect(failure(sender.send(event))).resolves.toMatchObject({ code: 'webhook.unreachable', retryable: true, details: { timedOut: true } });
  });
});
