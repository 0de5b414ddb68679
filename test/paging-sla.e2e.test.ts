import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LocalStack } from '../src/devservers/local-stack.js';
import type { PagerEvent } from '../src/modules/pager/pager.types.js';
import { verifyWebhookSignature, type TicketEvent, type WebhookEvent } from '../src/modules/pager/webhook.models.js';
import { startDaemonProcess, ticketdJson, type DaemonProcess } from './support/ticketd-process.js';
import { startTestStack } from './support/test-stack.js';

const waitLong = { timeout: 30_000, interval: 200 };

describe('the daemon pages on PagerDuty and the webhook at once and escalates a missed SLA', () => {
  let stack: LocalStack;
  let configFile: string;
  let daemon: DaemonProcess;

  beforeAll(async () => {
    stack = await startTestStack();
    configFile = await stack.writeConfig('ticketd.yaml', {
      webhook: { url: `${stack.receiver.url}/hooks/ticketd`, secret: 'e2e-secret' },
      http: { publicUrl: 'https://support.cloudsoft.test' },
      // A 12-second SEV1 target checked every second: the warning after 6 s (50 %), the breach after 12 s;
      // the wide gap keeps a slow machine from skipping the warning.
      sla: { checkCron: '* * * * * *', firstResponse: { SEV1: '0.2m' }, warnAtPercent: 50 },
      pager: { escalationRoutingKey: 'escalation-key' },
    });
    daemon = startDaemonProcess(configFile);
  });
  afterAll(async () => {
    await daemon?.stop('SIGKILL');
    await stack?.close();
  });

  it('sends the trigger and ticket.created, then one SLA warning, then one REF/sla escalation', async () => {
    await stack.deliver(await readFile(new URL('../fixtures/mail/01-sev1-outage.eml', import.meta.url)));
    const hooks = () => stack.receiver.requests.filter((request) => request.path === '/hooks/ticketd');
    const pages = () => stack.receiver.requests.filter((request) => request.path === '/v2/enqueue').map((request) => request.body as PagerEvent);

    await vi.waitFor(() => expect(hooks().map((request) => (request.body as WebhookEvent).type)).toEqual(['ticket.created', 'ticket.sla_warning', 'ticket.escalated']), waitLong);
    await vi.waitFor(() => expect(pages()).toHaveLength(2), waitLong);

    expect(pages().map((event) => [event.event_action, event.dedup_key, event.routing_key, event.payload?.severity])).toEqual([
      ['trigger', 'CS-1', 'local-routing-key', 'critical'],
      ['trigger', 'CS-1/sla', 'escalation-key', 'critical'],
    ]);
    expect(pages()[0]?.links).toEqual([{ href: 'https://support.cloudsoft.test/tickets/CS-1', text: 'Ticket CS-1' }]);
    for (const request of hooks()) {
      expect(verifyWebhookSignature({ secret: 'e2e-secret', header: String(request.headers['x-ticketd-signature']), body: request.rawBody })).toBe(true);
    }
    const [confirmation] = await stack.smtp.waitFor(1, 30_000);
    expect(confirmation?.parsed.text).toContain('an engineer will respond within 0.2 minutes');

    const report = await ticketdJson<Array<Record<string, unknown>>>(['sla', 'report', '--config', configFile, '--json']);
    expect(report).toEqual([{ organisation: 'acme.test', severity: 'SEV1', tickets: 1, met: 0, breached: 1, pending: 0, medianFirstResponseMinutes: null, p90FirstResponseMinutes: null }]);
  });
});

describe('the daemon holds engineers to the update target once a ticket is answered', () => {
  let stack: LocalStack;
  let daemon: DaemonProcess;

  beforeAll(async () => {
    stack = await startTestStack();
    const configFile = await stack.writeConfig('ticketd.yaml', {
      webhook: { url: `${stack.receiver.url}/hooks/ticketd`, secret: 'e2e-secret' },
      support: { engineerNotify: ['oncall@cloudsoft.test'] },
      // First response: plenty of time. Updates: 12 s for SEV1, warned at 50 %, checked every second.
      sla: { checkCron: '* * * * * *', firstResponse: { SEV1: '10m' }, update: { SEV1: '0.2m' }, warnAtPercent: 50 },
      pager: { escalationRoutingKey: 'escalation-key' },
    });
    daemon = startDaemonProcess(configFile);
  });
  afterAll(async () => {
    await daemon?.stop('SIGKILL');
    await stack?.close();
  });

  const engineerReply = (notice: { messageId?: string; subject: string; replyTo: string }, n: number) =>
    [
      'From: Erin Engineer <erin@cloudsoft.test>',
      `To: ${notice.replyTo}`,
      `Subject: Re: ${notice.subject}`,
      `Message-ID: <erin-update-${n}@cloudsoft.test>`,
      `In-Reply-To: <${notice.messageId}>`,
      `References: <${notice.messageId}>`,
      'Date: Thu, 26 Nov 2026 10:00:00 +0000',
      'Content-Type: text/plain; charset=utf-8',
      '',
      n === 1 ? 'We are looking at the API gateway now.' : 'Found it: a bad certificate rotation. Rolling back.',
      '',
    ].join('\r\n');

  it('warns and escalates a late update on REF/update, and the next engineer reply resolves that alert', async () => {
    await stack.deliver(await readFile(new URL('../fixtures/mail/01-sev1-outage.eml', import.meta.url)));
    const mails = await stack.smtp.waitFor(2, 30_000);
    const notification = mails.find((mail) => mail.envelopeTo.includes('oncall@cloudsoft.test'));
    const notice = { messageId: notification?.parsed.messageId, subject: notification?.parsed.subject ?? '', replyTo: notification?.parsed.headers['reply-to'] ?? '' };
    expect(notice.replyTo).toMatch(/^help\+cs-1\./);

    await stack.deliver(engineerReply(notice, 1));
    const hooks = () => stack.receiver.requests.filter((request) => request.path === '/hooks/ticketd').map((request) => request.body as TicketEvent);
    const pages = () => stack.receiver.requests.filter((request) => request.path === '/v2/enqueue').map((request) => request.body as PagerEvent);
    await vi.waitFor(() => expect(hooks().map((event) => `${event.type} ${event.reason ?? ''}`.trim())).toContain('ticket.escalated sla_update_breach'), waitLong);
    expect(hooks().map((event) => `${event.type} ${event.reason ?? ''}`.trim())).toEqual(['ticket.created', 'ticket.acknowledged', 'ticket.sla_warning update', 'ticket.escalated sla_update_breach']);
    await vi.waitFor(() => expect(pages()).toHaveLength(3), waitLong);

    await stack.deliver(engineerReply(notice, 2));
    await vi.waitFor(() => expect(pages().map((event) => event.event_action)).toContain('resolve'), waitLong);
    expect(pages().map((event) => [event.event_action, event.dedup_key, event.routing_key]).slice(0, 4)).toEqual([
      ['trigger', 'CS-1', 'local-routing-key'],
      ['acknowledge', 'CS-1', 'local-routing-key'],
      ['trigger', 'CS-1/update', 'escalation-key'],
      ['resolve', 'CS-1/update', 'escalation-key'],
    ]);
    const warning = stack.smtp.received.find((mail) => mail.parsed.subject.startsWith('[CS-1] SLA warning'));
    expect(warning?.envelopeTo).toEqual(['oncall@cloudsoft.test']);
    expect(warning?.parsed.subject).toContain('no update yet');
    expect(warning?.parsed.text).toContain("is waiting for an engineer's update");
  });
});

