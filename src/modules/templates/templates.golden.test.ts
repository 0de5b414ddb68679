import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../config/config.schema.js';
import { renderEngineerFollowUp, renderEngineerNotification } from '../engineers/notification.models.js';
import { renderRelay } from '../engineers/relay.models.js';
import { renderConfirmation } from '../mail-out/confirmation.models.js';
import type { OutboundMail } from '../mail-out/mail-out.types.js';
import { createOutboxRepository } from '../outbox/outbox.repository.js';
import { createPaging } from '../paging/paging.usecases.js';
import { tickets } from '../tickets/tickets.tables.js';
import { renderNotApproved, renderRegistrationInvite, renderSignupKnown, renderSignupRefused, renderVerificationMail, renderWelcome } from '../registration/registration-mail.models.js';
import { renderPasswordReset } from '../accounts/account-mail.models.js';
import { TEMPLATE_NAMES } from './templates.catalog.js';
import { requireMailTemplates } from './templates.loader.js';
import { openTestDatabase } from '../../../test/support/test-database.js';

/**
 * Golden files: every mail ticketd writes, rendered from the built-in templates through the real renderers
 * with fixed inputs, compared byte for byte with test/golden/mail/. A change to a template or a renderer
 * shows up here as a readable diff. After an intended change: `UPDATE_GOLDEN=1 npx vitest run
 * src/modules/templates/templates.golden.test.ts`, then read the diff of the golden files before committing.
 */
const GOLDEN_DIR = new URL('../../../test/golden/mail/', import.meta.url);
const templates = requireMailTemplates({ dir: '' });
const support = { address: 'help@cloudsoft.test', name: 'Cloudsoft Support' };
// Characters that must survive in text and be escaped in HTML.
const trickySubject = 'Export <fails> & "times out"';

function serialise(mail: OutboundMail): string {
  const headers = Object.entries(mail.headers ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return [
    `From: ${mail.from}`,
    `To: ${mail.to.join(', ')}`,
    ...(mail.cc ? [`Cc: ${mail.cc.join(', ')}`] : []),
    ...(mail.replyTo ? [`Reply-To: ${mail.replyTo}`] : []),
    `Subject: ${mail.subject}`,
    `Message-ID: <${mail.messageId}>`,
    ...(mail.inReplyTo ? [`In-Reply-To: <${mail.inReplyTo}>`] : []),
    ...(mail.references ? [`References: ${mail.references.map((id) => `<${id}>`).join(' ')}`] : []),
    ...headers.map(([name, value]) => `${name}: ${value}`),
    '',
    '======== text/plain ========',
    mail.text,
    '======== text/html ========',
    mail.html ?? '(none)',
  ].join('\n');
}

async function slaWarning(): Promise<OutboundMail> {
  const config = configSchema.parse({
    imap: { host: '127.0.0.1', user: 'help@cloudsoft.test' },
    smtp: { host: '127.0.0.1' },
    support: { address: support.address, name: support.name },
    http: { publicUrl: 'https://support.cloudsoft.test' },
  });
  const db = await openTestDatabase();
  const at = new Date('2026-11-26T10:00:00Z');
  try {
    // Ticket 7 as the checker would find it (a write: outside a transaction the connection is read-only).
    const t = db.tables({ tickets });
    await db.write(async () => {
      await db
        .insert(t.tickets)
        .values({ id: 7, ref: 'CS-7', subject: trickySubject, severity: 'SEV2', priority: 'High', status: 'new', requesterEmail: 'carol@acme.test', requesterName: 'Carol Jones', createdAt: at, updatedAt: at });
    });
    const paging = createPaging({ db, config, clock: { now: () => at }, newId: () => 'fixed', templates });
    await paging.enqueueSlaWarning({
      ticket: { id: 7, ref: 'CS-7', subject: trickySubject, severity: 'SEV2', priority: 'High', status: 'new', requesterEmail: 'carol@acme.test', requesterName: 'Carol Jones' },
      target: '2h',
      dueAt: new Date('2026-11-26T11:36:00Z'),
      engineers: ['oncall@cloudsoft.test'],
    });
    const [item] = (await createOutboxRepository({ db }).list()).filter((row) => row.payload.kind === 'email');
    if (item?.payload.kind !== 'email') throw new Error('no SLA warning mail was queued');
    return item.payload.mail;
  } finally {
    await db.close();
  }
}

const original = { messageId: 'm1@acme.test', references: ['m0@acme.test'] };
const MAILS: Record<string, () => OutboundMail | Promise<OutboundMail>> = {
  confirmation: () =>
    renderConfirmation({
      ref: 'CS-7',
      subject: trickySubject,
      severity: 'SEV2',
      severityStated: true,
      customer: { address: 'carol@acme.test', name: 'Carol Jones' },
      customerMessageId: 'm1@acme.test',
      customerReferences: ['m0@acme.test'],
      support,
      messageId: 'cs-7.confirmation@cloudsoft.test',
      responseTarget: '2 hours',
      ticketUrl: 'https://support.cloudsoft.test/tickets/CS-7',
      templates,
    }),
  'confirmation-defaults': () =>
    renderConfirmation({
      ref: 'CS-8',
      subject: '',
      severity: 'SEV3',
      severityStated: false,
      customer: { address: 'dave@acme.test', name: '' },
      customerMessageId: undefined,
      customerReferences: [],
      support,
      messageId: 'cs-8.confirmation@cloudsoft.test',
      templates,
    }),
  'registration-invite': () =>
    renderRegistrationInvite({ to: 'bob@acme.test', original, registerUrl: 'https://support.cloudsoft.test/register?email=bob%40acme.test', support, helpAddress: 'signup@cloudsoft.test', messageId: 'invite.1@cloudsoft.test', pending: false, templates }),
  'registration-invite-pending': () =>
    renderRegistrationInvite({ to: 'bob@acme.test', original, registerUrl: 'https://support.cloudsoft.test/register?email=bob%40acme.test', support, helpAddress: 'signup@cloudsoft.test', messageId: 'invite.2@cloudsoft.test', pending: true, templates }),
  'not-approved': () => renderNotApproved({ to: 'zed@unknown.test', original, support, helpAddress: 'signup@cloudsoft.test', messageId: 'refusal.1@cloudsoft.test', templates }),
  verification: () =>
    renderVerificationMail({ to: 'erin@acme.test', name: '', link: 'https://support.cloudsoft.test/verify?token=[[sealed-0]]', expiresHours: 24, support, helpAddress: 'signup@cloudsoft.test', messageId: 'verify.1@cloudsoft.test', templates }),
  welcome: () => renderWelcome({ to: 'frank@acme.test', name: 'Frank', organisation: 'Acme <Corp>', support, messageId: 'welcome.1@cloudsoft.test', link: 'https://support.cloudsoft.test/reset?token=[[sealed-0]]', linkHours: 72, templates }),
  'welcome-without-portal': () => renderWelcome({ to: 'gina@acme.test', name: '', organisation: undefined, support, messageId: 'welcome.2@cloudsoft.test', templates }),
  'password-reset': () => renderPasswordReset({ to: 'frank@acme.test', link: 'https://support.cloudsoft.test/reset?token=[[sealed-0]]', expiresMinutes: 30, support, helpAddress: 'signup@cloudsoft.test', messageId: 'reset.1@cloudsoft.test', templates }),
  'signup-known': () => renderSignupKnown({ to: 'frank@acme.test', loginUrl: 'https://support.cloudsoft.test/login', link: 'https://support.cloudsoft.test/reset?token=[[sealed-0]]', expiresMinutes: 30, support, helpAddress: 'signup@cloudsoft.test', messageId: 'signup-known.1@cloudsoft.test', templates }),
  'signup-refused': () => renderSignupRefused({ to: 'zed@unknown.test', domain: 'unknown.test', support, helpAddress: 'signup@cloudsoft.test', messageId: 'signup-refused.1@cloudsoft.test', templates }),
  'engineer-notification': () =>
    renderEngineerNotification({
      ticket: { ref: 'CS-7', subject: trickySubject, severity: 'SEV2' },
      requester: { address: 'carol@acme.test', name: 'Carol Jones' },
      text: 'The nightly export fails.\n\n<script>alert(1)</script> appears in the log & then it stops.\n',
      to: ['oncall@cloudsoft.test'],
      support,
      replyTo: 'help+cs-7.token@cloudsoft.test',
      messageId: 'cs-7.notify@cloudsoft.test',
      customerMessageId: 'm1@acme.test',
      customerReferences: [],
      threadIndex: 'AdqAAAAAAAAAAAAAAAAAAAAAAAAA',
      notes: ['Continues: closed ticket CS-3'],
      ticketUrl: 'https://support.cloudsoft.test/tickets/CS-7',
      templates,
    }),
  'engineer-followup': () =>
    renderEngineerFollowUp({
      ticket: { ref: 'CS-7', subject: trickySubject, severity: 'SEV2', status: 'open' },
      author: { address: 'carol@acme.test', name: 'Carol Jones' },
      text: 'Restarted it & it <still> fails.\n',
      to: ['erin@cloudsoft.test'],
      support,
      replyTo: 'help+cs-7.token@cloudsoft.test',
      messageId: 'cs-7.followup@cloudsoft.test',
      customerMessageId: 'web.abc@cloudsoft.test',
      customerReferences: [],
      threadIndex: 'AdqAAAAAAAAAAAAAAAAAAAAAAAAA',
      ticketUrl: 'https://support.cloudsoft.test/tickets/CS-7',
      templates,
    }),
  relay: () =>
    renderRelay({
      ref: 'CS-7',
      subject: trickySubject,
      text: 'Hello Carol,\n\nplease restart the <export> job & tell us.\n',
      engineer: { address: 'eve@cloudsoft.test', name: 'Eve Engineer' },
      support,
      to: ['carol@acme.test'],
      cc: [],
      parent: original,
      messageId: 'cs-7.relay.1@cloudsoft.test',
      threadIndex: 'AdqAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      attachments: [],
      templates,
    }),
  'sla-warning': slaWarning,
};

describe('golden mails (test/golden/mail/)', () => {
  it('covers every template', () => {
    const covered = new Set(Object.keys(MAILS).map((key) => TEMPLATE_NAMES.find((name) => key === name || key.startsWith(`${name}-`))));
    expect([...covered].sort()).toEqual([...TEMPLATE_NAMES].sort());
  });

  for (const [name, render] of Object.entries(MAILS)) {
    it(`${name} renders exactly as its golden file`, async () => {
      const file = new URL(`${name}.golden.txt`, GOLDEN_DIR);
      const rendered = serialise(await render());
      if (process.env.UPDATE_GOLDEN === '1') {
        mkdirSync(GOLDEN_DIR, { recursive: true });
        writeFileSync(file, rendered);
      }
      expect(rendered).toBe(readFileSync(file, 'utf8'));
    });
  }
});
