import { describe, expect, it } from 'vitest';
import { classifyMessage, mustNotAutoReply } from './classify.models.js';
import type { InboundAttachment, InboundMessage } from '../desk/inbound.types.js';

type Fields = Partial<Omit<InboundMessage, 'headers'>> & { headers?: Record<string, string | string[]> };

/** A plain customer mail; each test adds the one thing it is about. */
function inbound({ headers = {}, attachments = [], ...fields }: Fields = {}): InboundMessage {
  const headerMap = new Map(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), [value].flat()]));
  return {
    from: { address: 'alice@customer.example', name: 'Alice' },
    returnPath: 'alice@customer.example',
    to: [{ address: 'help@ticketd.example', name: '' }],
    cc: [],
    replyTo: [],
    subject: 'Cannot log in since this morning',
    messageId: 'a1@customer.example',
    inReplyTo: [],
    references: [],
    date: new Date('2024-05-01T10:00:00Z'),
    text: 'Hello, none of our users can log in.',
    html: undefined,
    attachments,
    headers: headerMap,
    contentType: 'text/plain; charset=utf-8',
    ...fields,
  };
}

function part(contentType: string, content: string): InboundAttachment {
  return { filename: '', contentType, size: content.length, sha256: '', content: Buffer.from(content) };
}

const dsn = (perRecipient: string) =>
  inbound({
    from: { address: 'mailer-daemon@mx.example.net', name: 'Mail Delivery System' },
    returnPath: '',
    subject: 'Undelivered Mail Returned to Sender',
    contentType: 'multipart/report; report-type=delivery-status; boundary="b"',
    attachments: [part('message/delivery-status', `Reporting-MTA: dns; mx.example.net\n\nFinal-Recipient: rfc822; bob@gone.example\n${perRecipient}\n`)],
  });

describe('classifyMessage on constructed messages', () => {
  it('leaves a customer mail ordinary', () => {
    expect(classifyMessage(inbound()).kind).toBe('ordinary');
  });

  it('reads a DSN with Action failed and a 5.x.x Status as a permanent bounce', () => {
    expect(classifyMessage(dsn('Action: failed\nStatus: 5.1.1'))).toMatchObject({ kind: 'bounce', permanent: true });
  });

  it('reads a DSN with Action failed and a 4.x.x Status as a transient bounce', () => {
    expect(classifyMessage(dsn('Action: failed\nStatus: 4.4.7'))).toMatchObject({ kind: 'bounce', permanent: false });
  });

  it('reads a delay warning as a transient bounce', () => {
    expect(classifyMessage(dsn('Action: delayed\nStatus: 4.4.1'))).toMatchObject({ kind: 'bounce', permanent: false });
  });

  it('reads a DSN that only reports delivered, relayed or expanded recipients as a delivery notice', () => {
    expect(classifyMessage(dsn('Action: delivered\nStatus: 2.0.0')).kind).toBe('delivery-notice');
    expect(classifyMessage(dsn('Action: relayed\nStatus: 2.0.0')).kind).toBe('delivery-notice');
  });

  it('takes the SMTP reply of Diagnostic-Code when a failed DSN has no Status', () => {
    expect(classifyMessage(dsn('Action: failed\nDiagnostic-Code: smtp; 550 no such user'))).toMatchObject({ kind: 'bounce', permanent: true });
  });

  it('reads a read receipt as an auto-reply with reason read-receipt', () => {
    const receipt = inbound({ contentType: 'multipart/report; report-type=disposition-notification; boundary=x' });
    expect(classifyMessage(receipt)).toEqual({ kind: 'auto-reply', reason: 'read-receipt' });
  });

  it('reads an ARF abuse report as feedback', () => {
    expect(classifyMessage(inbound({ contentType: 'multipart/report; report-type=feedback-report' })).kind).toBe('feedback');
  });

  it('reads an Exim bounce by its X-Failed-Recipients header', () => {
    const exim = inbound({ from: undefined, headers: { 'X-Failed-Recipients': 'bob@gone.example' }, subject: 'Mail delivery failed' });
    expect(classifyMessage(exim)).toMatchObject({ kind: 'bounce', reason: 'X-Failed-Recipients header' });
  });

  it('reads mail from MAILER-DAEMON as a bounce whatever its subject', () => {
    const qmail = inbound({ from: { address: 'mailer-daemon@mx.example.jp', name: '' }, subject: 'failure notice', text: 'Sorry. 5.1.1 unknown' });
    expect(classifyMessage(qmail)).toMatchObject({ kind: 'bounce', permanent: true });
  });

  it('does not take a person complaining about "undeliverable" mail for a bounce', () => {
    const person = inbound({ subject: 'Undeliverable: your invoices never arrive', text: 'Every invoice bounces, please check.' });
    expect(classifyMessage(person).kind).toBe('ordinary');
  });

  it('keeps a bounce that a person forwarded inline ordinary', () => {
    const forwarded = inbound({
      subject: 'Fwd: Undelivered Mail Returned to Sender',
      contentType: 'multipart/mixed; boundary=x',
      attachments: [part('message/delivery-status', 'Final-Recipient: rfc822; bob@gone.example\nAction: failed\nStatus: 5.1.1\n')],
    });
    expect(classifyMessage(forwarded).kind).toBe('ordinary');
  });

  it('does not take a person named postmaster writing an ordinary question for a bounce', () => {
    const admin = inbound({ from: { address: 'postmaster@customer.example', name: 'IT' }, returnPath: 'postmaster@customer.example', subject: 'New SPF record' });
    expect(classifyMessage(admin).kind).toBe('ordinary');
  });

  it.each([
    ['Auto-Submitted: auto-replied', { headers: { 'Auto-Submitted': 'auto-replied' } }],
    ['X-Autoreply', { headers: { 'X-Autoreply': 'yes' } }],
    ['Precedence auto_reply', { headers: { Precedence: 'auto_reply' } }],
    ['an "Out of Office:" subject', { subject: 'Out of Office: Cannot log in' }],
    ['an "Automatic reply:" subject', { subject: 'Automatic reply: [#12] Cannot log in' }],
    ['an "Abwesenheitsnotiz:" subject', { subject: 'Abwesenheitsnotiz: Ticket 12' }],
    ['the Exchange OOF header shape', { returnPath: '', headers: { 'X-Auto-Response-Suppress': 'All' } }],
  ] as [string, Fields][])('reads an auto-reply from %s', (_signal, fields) => {
    expect(classifyMessage(inbound(fields)).kind).toBe('auto-reply');
  });

  it('keeps Auto-Submitted: no and an "out of office" phrase inside a sentence ordinary', () => {
    expect(classifyMessage(inbound({ headers: { 'Auto-Submitted': 'no' } })).kind).toBe('ordinary');
    expect(classifyMessage(inbound({ subject: 'Who covers while I am out of office?' })).kind).toBe('ordinary');
  });

  it('prefers bounce over auto-reply when an MTA marks its bounce Auto-Submitted', () => {
    const exim = inbound({ from: { address: 'mailer-daemon@mx.example.org', name: '' }, headers: { 'Auto-Submitted': 'auto-replied' } });
    expect(classifyMessage(exim).kind).toBe('bounce');
  });
});

describe('mustNotAutoReply', () => {
  const ours = { ownAddresses: ['Help@Ticketd.example'], loopToken: 'ticketd-7f3a' };

  it('allows an automatic reply to a plain customer mail', () => {
    expect(mustNotAutoReply(inbound(), ours)).toBeUndefined();
  });

  it.each([
    ['Auto-Submitted other than no', { headers: { 'Auto-Submitted': 'auto-generated' } }, /Auto-Submitted/],
    ['a null Return-Path', { returnPath: '' }, /null Return-Path/],
    ['a MAILER-DAEMON sender', { from: { address: 'mailer-daemon@mx.example', name: '' } }, /robot sender/],
    ['a postmaster sender', { from: { address: 'postmaster@customer.example', name: '' } }, /robot sender/],
    ['a noreply sender', { from: { address: 'noreply@saas.example', name: '' } }, /robot sender/],
    ['a no-reply sender', { from: { address: 'no-reply@saas.example', name: '' } }, /robot sender/],
    ['an owner- sender', { from: { address: 'owner-users@lists.example', name: '' } }, /robot sender/],
    ['a -request sender', { from: { address: 'users-request@lists.example', name: '' } }, /robot sender/],
    ['a -request envelope sender', { returnPath: 'users-request@lists.example' }, /robot sender/],
    ['a List-Id header', { headers: { 'List-Id': '<users.lists.example>' } }, /list-id/],
    ['a List-Unsubscribe header', { headers: { 'List-Unsubscribe': '<mailto:u@lists.example>' } }, /list-unsubscribe/],
    ['Precedence bulk', { headers: { Precedence: 'bulk' } }, /Precedence: bulk/],
    ['Precedence junk', { headers: { Precedence: 'junk' } }, /Precedence: junk/],
    ['Precedence list', { headers: { Precedence: 'list' } }, /Precedence: list/],
    ['X-Auto-Response-Suppress with OOF', { headers: { 'X-Auto-Response-Suppress': 'DR, OOF, AutoReply' } }, /X-Auto-Response-Suppress/],
    ['X-Auto-Response-Suppress All', { headers: { 'X-Auto-Response-Suppress': 'All' } }, /X-Auto-Response-Suppress: all/],
    ['X-Autorespond', { headers: { 'X-Autorespond': 'vacation' } }, /x-autorespond/],
    ['multipart/report', { contentType: 'multipart/report; report-type=delivery-status' }, /multipart\/report/],
    ['our own From address', { from: { address: 'help@ticketd.example', name: 'Help' } }, /our own address/],
    ['our own X-Loop value', { headers: { 'X-Loop': 'ticketd-7f3a' } }, /X-Loop/],
    ['an auto-reply subject', { subject: 'Automatic reply: hello' }, /auto-reply/],
    ['no From address at all', { from: undefined }, /no From/],
  ] as [string, Fields, RegExp][])(
    'refuses an automatic reply to a message with %s',
    (_case, fields, reason) => {
      expect(mustNotAutoReply(inbound(fields), ours)).toMatch(reason);
    },
  );

  it('does not refuse over X-Auto-Response-Suppress values that only suppress receipts', () => {
    expect(mustNotAutoReply(inbound({ headers: { 'X-Auto-Response-Suppress': 'DR, RN, NRN' } }), ours)).toBeUndefined();
  });

  it('ignores an X-Loop of another system', () => {
    expect(mustNotAutoReply(inbound({ headers: { 'X-Loop': 'other-helpdesk@example.org' } }), ours)).toBeUndefined();
  });
});

describe('mustNotAutoReply on a desk with several mailboxes', () => {
  const ours = { ownAddresses: ['help@ticketd.example', 'billing@ticketd.example'], loopToken: ['help@ticketd.example', 'billing@ticketd.example'] };

  it('refuses mail from, with a Reply-To of, or with the X-Loop of any mailbox of ours', () => {
    expect(mustNotAutoReply(inbound({ from: { address: 'billing@ticketd.example', name: '' } }), ours)).toMatch(/our own address/);
    expect(mustNotAutoReply(inbound({ replyTo: [{ address: 'billing@ticketd.example', name: '' }] }), ours)).toMatch(/Reply-To is our own address/);
    expect(mustNotAutoReply(inbound({ headers: { 'X-Loop': 'Billing@Ticketd.example' } }), ours)).toMatch(/X-Loop/);
    expect(mustNotAutoReply(inbound({ headers: { 'X-Loop': 'help@ticketd.example' } }), ours)).toMatch(/X-Loop/);
  });

  it('still answers mail that names none of them', () => {
    expect(mustNotAutoReply(inbound({ headers: { 'X-Loop': 'sales@ticketd.example' } }), ours)).toBeUndefined();
    expect(mustNotAutoReply(inbound({ headers: { 'X-Loop': 'billing@ticketd.example' } }), { ownAddresses: ['help@ticketd.example'], loopToken: 'help@ticketd.example' })).toBeUndefined();
  });
});
