import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LocalStack } from '../src/devservers/local-stack.js';
import { freePort } from './support/free-port.js';
import { startDaemonProcess, type DaemonProcess } from './support/ticketd-process.js';
import { testDialect } from './support/test-database.js';
import { startTestStack } from './support/test-stack.js';

const fixture = (name: string) => readFile(new URL(`../fixtures/mail/${name}`, import.meta.url));
const waitLong = { timeout: 30_000, interval: 200 };
/** What /readyz says of a writable database: PostgreSQL also says the server is the primary. */
const WRITABLE = testDialect() === 'sqlite' ? 'writable' : 'writable (the PostgreSQL primary answers)';

type Readiness = { ok: boolean; checks: Record<string, { ok: boolean; detail?: string }> };

/** The value of one sample in a Prometheus text exposition, e.g. `ticketd_tickets_total{severity="SEV1"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('operating the daemon over HTTP: /healthz, /readyz and /metrics on the admin listener', () => {
  let stack: LocalStack;
  let daemon: DaemonProcess;
  /** The public listener (portal, /healthz). */
  let publicBase: string;
  /** The admin listener (http.adminPort): /healthz, /readyz, /metrics. */
  let base: string;

  beforeAll(async () => {
    stack = await startTestStack();
    const port = await freePort();
    const adminPort = await freePort();
    publicBase = `http://127.0.0.1:${port}`;
    base = `http://127.0.0.1:${adminPort}`;
    daemon = startDaemonProcess(await stack.writeConfig('ticketd.yaml', { http: { port, adminPort, readyOutboxMaxAgeSeconds: 3 }, outbox: { pollSeconds: 1, retryBaseSeconds: 1, retryMaxSeconds: 2 } }));
  });

  afterAll(async () => {
    await daemon?.stop('SIGKILL');
    await stack?.close();
  });

  it('answers /healthz and, once IMAP is connected, /readyz with every check ok', async () => {
    await vi.waitFor(async () => expect((await fetch(`${publicBase}/healthz`)).status).toBe(200), waitLong);
    await vi.waitFor(async () => expect((await fetch(`${base}/healthz`)).status).toBe(200), waitLong);
    await vi.waitFor(async () => expect((await fetch(`${base}/readyz`)).status).toBe(200), waitLong);
    const report = (await (await fetch(`${base}/readyz`)).json()) as Readiness;
    expect(report.ok).toBe(true);
    expect(report.checks).toMatchObject({ database: { ok: true, detail: WRITABLE }, imap: { ok: true, detail: 'connected' }, outbox: { ok: true } });
  });

  it('counts messages by outcome, tickets by severity, delivery attempts and the ingest-to-page latency in /metrics', async () => {
    await stack.deliver(await fixture('01-sev1-outage.eml'));
    await stack.deliver(await fixture('05-unknown-sender.eml'));
    await stack.receiver.waitFor(1, 30_000);
    // The confirmation to alice and the polite refusal to the unknown sender.
    await stack.smtp.waitFor(2, 30_000);

    let text = '';
    await vi.waitFor(async () => {
      const response = await fetch(`${base}/metrics`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/plain');
      text = await response.text();
      expect(sample(text, 'ticketd_messages_total{outcome="quarantined"}')).toBe(1);
      expect(sample(text, 'ticketd_delivery_attempts_total{kind="page",result="sent"}')).toBe(1);
      expect(sample(text, 'ticketd_delivery_attempts_total{kind="email",result="sent"}')).toBe(2);
    }, waitLong);
    expect(sample(text, 'ticketd_messages_total{outcome="ticket"}')).toBe(1);
    expect(sample(text, 'ticketd_tickets_total{severity="SEV1"}')).toBe(1);
    expect(sample(text, 'ticketd_outbox_pending')).toBe(0);
    expect(sample(text, 'ticketd_outbox_oldest_pending_age_seconds')).toBe(0);
    expect(sample(text, 'ticketd_imap_connected')).toBe(1);
    expect(sample(text, 'ticketd_imap_reconnects_total')).toBe(0);
    expect(sample(text, 'ticketd_ingest_to_page_seconds_count')).toBe(1);
    const latency = sample(text, 'ticketd_ingest_to_page_seconds_sum') ?? -1;
    expect(latency).toBeGreaterThanOrEqual(0);
    expect(latency).toBeLessThan(30);
    expect(text).toContain('# TYPE ticketd_ingest_to_page_seconds histogram');
    expect(text).toContain('ticketd_process_resident_memory_bytes');
  });

  it('turns not ready while a page is stuck in the outbox past the limit, and ready again once it is delivered', async () => {
    stack.receiver.setResponder(() => ({ status: 500, body: { status: 'error' } }));
    await stack.deliver(await fixture('02-sev2-degraded.eml'));

    await vi.waitFor(async () => {
      const response = await fetch(`${base}/readyz`);
      expect(response.status).toBe(503);
      const report = (await response.json()) as Readiness;
      expect(report.checks.outbox).toMatchObject({ ok: false });
      expect(report.checks.outbox?.detail).toContain('http.readyOutboxMaxAgeSeconds 3');
    }, waitLong);
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(sample(text, 'ticketd_delivery_attempts_total{kind="page",result="retry"}')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'ticketd_outbox_pending')).toBe(1);
    expect(sample(text, 'ticketd_outbox_oldest_pending_age_seconds')).toBeGreaterThanOrEqual(3);

    stack.receiver.setResponder(undefined);
    await vi.waitFor(async () => expect((await fetch(`${base}/readyz`)).status).toBe(200), waitLong);
    const after = await (await fetch(`${base}/metrics`)).text();
    expect(sample(after, 'ticketd_delivery_attempts_total{kind="page",result="sent"}')).toBe(2);
    expect(sample(after, 'ticketd_ingest_to_page_seconds_count')).toBe(2);
  });

  it("passes the Dockerfile's HEALTHCHECK command against the running daemon and fails it against a dead port", async () => {
    const dockerfile = await readFile(new URL('../Dockerfile', import.meta.url), 'utf8');
    const json = /HEALTHCHECK[^\n]*\\\n\s*CMD (\[.*\])/.exec(dockerfile)?.[1];
    const [command, ...args] = JSON.parse(json ?? '[]') as string[];
    expect(command).toBe('node');
    const run = (port: string) =>
      new Promise<number>((resolve) => {
        execFile(process.execPath, args, { env: { ...process.env, TICKETD_HTTP_PORT: port }, timeout: 20_000 }, (error) => resolve(error ? (typeof error.code === 'number' ? error.code : 1) : 0));
      });
    expect(await run(new URL(publicBase).port)).toBe(0);
    expect(await run(String(await freePort()))).toBe(1);
  });

  it('answers 404 for unknown paths and 405 for anything but GET; the public listener keeps /readyz and /metrics to itself', async () => {
    expect((await fetch(`${base}/admin`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
    // No http.adminToken: the public listener (the portal people reach) does not serve them at all.
    expect((await fetch(`${publicBase}/metrics`)).status).toBe(404);
    expect((await fetch(`${publicBase}/readyz`)).status).toBe(404);
  });
});
