import { createServer } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHttpReceiver, type HttpReceiver } from '../../../devservers/http-receiver.server.js';
import { isTicketdError, type TicketdError } from '../../../shared/errors.js';
import type { PagerEvent } from '../pager.types.js';
import { createPagerDutyPager } from './pagerduty.pager-driver.js';

const trigger: PagerEvent = {
  routing_key: 'test-routing-key',
  event_action: 'trigger',
  dedup_key: 'ticketd-T-42',
  payload: { summary: 'SEV1: checkout is down', source: 'ticketd', severity: 'critical', custom_details: { ticket: 'T-42' } },
};

let receiver: HttpReceiver;

beforeAll(async () => {
  receiver = await startHttpReceiver();
});
afterAll(async () => {
  await receiver.close();
});
beforeEach(() => {
  receiver.clear();
  receiver.setResponder(undefined);
});

async function failure(promise: Promise<unknown>): Promise<TicketdError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isTicketdError(error)) throw new Error(`expected a TicketdError, got ${String(error)}`);
  return error;
}

async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('PagerDuty pager', () => {
  it('posts the event as JSON and returns the 202 status with the dedup key', async () => {
    const pager = createPagerDutyPager({ url: `${receiver.url}/v2/enqueue` });

    await expect(pager.send(trigger)).resolves.toEqual({ status: 202, dedupKey: 'ticketd-T-42' });

    const [request] = await receiver.waitFor(1);
    expect(request).toMatchObject({ method: 'POST', path: '/v2/enqueue', body: trigger, status: 202 });
    expect(request?.headers['content-type']).toMatch(/^application\/json/);
  });

  it('reports a 400 as a non-retryable invalid event carrying the errors PagerDuty listed', async () => {
    const pager = createPagerDutyPager({ url: receiver.url });
    const broken = { ...trigger, payload: { ...trigger.payload!, source: '' } };

    const error = await failure(pager.send(broken));

    expect(error).toMatchObject({ code: 'pager.invalid_event', retryable: false });
    expect(error.details).toMatchObject({ status: 400, body: { status: 'invalid event', errors: ["'payload.source' is missing or blank"] } });
    expect(error.message).toContain('payload.source');
  });

  it('reports a 429 as retryable and passes on Retry-After', async () => {
    receiver.setResponder(() => ({
      status: 429,
      headers: { 'retry-after': '30' },
      body: { status: 'throttle event', message: 'Requests for this service are arriving too quickly' },
    }));
    const pager = createPagerDutyPager({ url: receiver.url });

    const error = await failure(pager.send(trigger));

    expect(error).toMatchObject({ code: 'pager.rate_limited', retryable: true });
    expect(error.details).toMatchObject({ status: 429, retryAfter: '30' });
  });

  it('reports a 500 as a retryable server error', async () => {
    receiver.setResponder(() => ({ status: 500, body: 'Internal Server Error' }));
    const pager = createPagerDutyPager({ url: receiver.url });

    const error = await failure(pager.send(trigger));

    expect(error).toMatchObject({ code: 'pager.server_error', retryable: true, details: { status: 500, body: 'Internal Server Error' } });
  });

  it('reports a 403 as a non-retryable refusal', async () => {
    receiver.setResponder(() => ({ status: 403, body: { message: 'Forbidden' } }));
    const pager = createPagerDutyPager({ url: receiver.url });

    await expect(failure(pager.send(trigger))).resolves.toMatchObject({ code: 'pager.rejected', retryable: false });
  });

  it('reports a closed port as retryable unreachable', async () => {
    const pager = createPagerDutyPager({ url: `http://127.0.0.1:${await deadPort()}/v2/enqueue` });

    const error = await failure(pager.send(trigger));

    expect(error).toMatchObject({ code: 'pager.unreachable', retryable: true });
    expect(error.cause).toBeDefined();
    expect(error.details).toMatchObject({ errorCode: 'ECONNREFUSED', timedOut: false });
  });

  it('gives up on a receiver that never answers after the timeout and marks it retryable', async () => {
    receiver.setResponder(() => ({ status: 202, delayMs: 60_000 }));
    const pager = createPagerDutyPager({ url: receiver.url, timeoutMs: 200 });
    const started = Date.now();

    const error = await failure(pager.send(trigger));

    expect(error).toMatchObject({ code: 'pager.unreachable', retryable: true, details: { timedOut: true } });
    expect(error.message).toContain('did not answer within 200 ms');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(receiver.requests).toHaveLength(1);
  });

  it('truncates a 5,000-character summary to 1,024 characters before sending', async () => {
    const pager = createPagerDutyPager({ url: receiver.url });

    await pager.send({ ...trigger, payload: { ...trigger.payload!, summary: 'x'.repeat(5000) } });

    const [request] = await receiver.waitFor(1);
    const summary = (request?.body as PagerEvent).payload?.summary ?? '';
    expect(summary).toHaveLength(1024);
    expect(summary.endsWith('…')).toBe(true);
  });

  it('refuses an event over 512 KB without sending it', async () => {
    const pager = createPagerDutyPager({ url: receiver.url });
    const huge = { ...trigger, payload: { ...trigger.payload!, custom_details: { log: 'y'.repeat(600 * 1024) } } };

    const error = await failure(pager.send(huge));

    expect(error).toMatchObject({ code: 'pager.event_too_large', retryable: false });
    expect(receiver.requests).toHaveLength(0);
  });

  it('returns the dedup key PagerDuty generated when the event had none', async () => {
    const pager = createPagerDutyPager({ url: receiver.url });

    const result = await pager.send({ ...trigger, dedup_key: '' });

    expect(result.status).toBe(202);
    expect(result.dedupKey).toMatch(/^[0-9a-f]{32}$/);
  });
});
