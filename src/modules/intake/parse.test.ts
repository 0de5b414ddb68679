import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isTicketdError } from '../../shared/errors.js';
import { parseRawMessage } from './parse.js';

const mail = (...lines: string[]) => Buffer.from(lines.join('\r\n'), 'utf8');

async function parseError(raw: unknown, timeoutMs?: number): Promise<unknown> {
  try {
    await parseRawMessage(raw as Buffer, timeoutMs === undefined ? {} : { timeoutMs });
  } catch (error) {
    return error;
  }
  throw new Error('expected parseRawMessage to fail');
}

describe('parseRawMessage: identifiers and headers', () => {
  it('extracts every id from an Office 365 comma-joined References header, brackets stripped', async () => {
    const message = await parseRawMessage(
      mail(
        'From: Alice <Alice@Example.COM>',
        'Message-ID: <AM0PR01MB1234@eurprd01.prod.outlook.com>',
        'In-Reply-To: <ticket-7@help.example.net>',
        'References: <root-1@help.example.net>,<ticket-7@help.example.net>, <x y@odd>',
        'Subject: Re: [#7] Outage',
        '',
        'Still down.',
      ),
    );
    expect(message.messageId).toBe('AM0PR01MB1234@eurprd01.prod.outlook.com');
    expect(message.inReplyTo).toEqual(['ticket-7@help.example.net']);
    expect(message.references).toEqual(['root-1@help.example.net', 'ticket-7@help.example.net', 'xy@odd']);
  });

  it('keeps every occurrence of a repeated header in order and reads ids from all of them', async () => {
    const message = await parseRawMessage(
      mail(
        'Received: from a.example by b.example',
        'Message-ID: <first@example.com>',
        'Message-ID: <second@example.com>',
        'References: <one@example.com>',
        'References: <two@example.com> <one@example.com>',
        'Received: from c.example',
        '\tby d.example',
        'Subject: dup',
        '',
        'body',
      ),
    );
    expect(message.messageId).toBe('first@example.com');
    expect(message.references).toEqual(['one@example.com', 'two@example.com']);
    expect(message.headers.get('message-id')).toEqual(['<first@example.com>', '<second@example.com>']);
    // Folded lines are unfolded: the line break goes, the whitespace stays.
    expect(message.headers.get('received')).toEqual(['from a.example by b.example', 'from c.example\tby d.example']);
  });

  it('gives no Message-ID and empty id lists when the headers are missing or empty', async () => {
    const message = await parseRawMessage(mail('From: bob@example.org', 'References:', 'In-Reply-To: ', 'Subject: hi', '', 'hello'));
    expect(message.messageId).toBeUndefined();
    expect(message.references).toEqual([]);
    expect(message.inReplyTo).toEqual([]);
    expect(message.headers.get('references')).toEqual(['']);
  });

  it('lower-cases addresses, flattens groups and reads the null Return-Path as an empty string', async () => {
    const message = await parseRawMessage(
      mail(
        'Return-Path: <>',
        'From: "Bob Builder" <Bob@Example.ORG>',
        'To: Team: Carol@Example.org, dave@EXAMPLE.org;, Help <HELP@example.net>',
        'Cc: eve@example.org',
        'Reply-To: Replies <Replies@Example.org>',
        'Date: Mon, 15 Jul 2013 13:16:38 -0700 (PDT)',
        'Content-Type: TEXT/Plain; Charset="UTF-8"',
        '',
        'hi',
      ),
    );
    expect(message.returnPath).toBe('');
    expect(message.from).toEqual({ address: 'bob@example.org', name: 'Bob Builder' });
    expect(message.to.map((to) => to.address)).toEqual(['carol@example.org', 'dave@example.org', 'help@example.net']);
    expect(message.cc).toEqual([{ address: 'eve@example.org', name: '' }]);
    expect(message.replyTo).toEqual([{ address: 'replies@example.org', name: 'Replies' }]);
    expect(message.date?.toISOString()).toBe('2013-07-15T20:16:38.000Z');
    expect(message.contentType).toBe('text/plain; charset=utf-8');
  });

  it('leaves Return-Path and Date undefined when absent or unreadable instead of inventing them', async () => {
    const message = await parseRawMessage(mail('From: a@example.org', 'Date: not a date', '', 'x'));
    expect(message.returnPath).toBeUndefined();
    expect(message.date).toBeUndefined();
    expect(message.contentType).toBe('text/plain');
  });
});

describe('parseRawMessage: bodies and attachments', () => {
  it('converts an HTML-only mail to text so text is never undefined', async () => {
    const message = await parseRawMessage(
      mail('From: a@example.org', 'Content-Type: text/html; charset=utf-8', '', '<html><body><p>Server <b>down</b></p><p>since 3&nbsp;am</p></body></html>'),
    );
    expect(message.html).toContain('<b>down</b>');
    expect(message.text).toContain('Server down');
    expect(message.text).toContain('since 3');
  });

  it('converts HTML too long for mailparser to text within seconds, its padding collapsed', async () => {
    const filler = '<div>' + ' '.repeat(1_000_000) + '</div>';
    const html = `<html><head><style>p { color: red }</style><script>var x = "<p>";</script></head><body><p>Need help &amp; fast</p>${filler}${filler}<p>Thanks</p></body></html>`;
    const started = performance.now();
    const message = await parseRawMessage(mail('From: a@example.org', 'Content-Type: text/html', '', html));
    expect(performance.now() - started).toBeLessThan(5000);
    expect(message.text).toBe('Need help & fast\n\nThanks');
  });

  it('keeps the delivery-status part of a DSN as an attachment instead of merging it into the text', async () => {
    const message = await parseRawMessage(
      mail(
        'From: Mail Delivery System <MAILER-DAEMON@mx.example.net>',
        'To: help@ticketd.example',
        'Subject: Undelivered Mail Returned to Sender',
        'MIME-Version: 1.0',
        'Content-Type: multipart/report; report-type=delivery-status; boundary="r"',
        '',
        '--r',
        'Content-Type: text/plain; charset=us-ascii',
        '',
        'I could not deliver your message.',
        '--r',
        'Content-Type: message/delivery-status',
        '',
        'Reporting-MTA: dns; mx.example.net',
        '',
        'Final-Recipient: rfc822; bob@gone.example',
        'Action: failed',
        'Status: 5.1.1',
        '--r',
        'Content-Type: message/rfc822',
        '',
        'From: help@ticketd.example',
        'To: bob@gone.example',
        'Subject: [CS-1] Received',
        'Message-ID: <ours.1@ticketd.example>',
        '',
        'Thanks, we have your ticket.',
        '--r--',
        '',
      ),
    );
    expect(message.contentType).toMatch(/^multipart\/report;.*report-type=delivery-status/);
    const status = message.attachments.find((attachment) => attachment.contentType === 'message/delivery-status');
    expect(status?.content?.toString('utf8')).toMatch(/Action: failed/i);
    expect(message.text).not.toMatch(/Action: failed/i);
    expect(message.attachments.map((attachment) => attachment.contentType)).toContain('message/rfc822');
  });

  it('hashes each attachment with sha256 and records its decoded size', async () => {
    const pdf = randomBytes(3000);
    const message = await parseRawMessage(
      mail(
        'From: a@example.org',
        'Content-Type: multipart/mixed; boundary="b"',
        '',
        '--b',
        'Content-Type: text/plain',
        '',
        'see attached',
        '--b',
        'Content-Type: application/pdf; name="Report.pdf"',
        'Content-Disposition: attachment; filename="Report.pdf"',
        'Content-Transfer-Encoding: base64',
        '',
        pdf.toString('base64').replace(/.{76}/g, '$&\r\n'),
        '--b--',
        '',
      ),
    );
    expect(message.text.trim()).toBe('see attached');
    expect(message.attachments).toHaveLength(1);
    const [attachment] = message.attachments;
    expect(attachment?.filename).toBe('Report.pdf');
    expect(attachment?.contentType).toBe('application/pdf');
    expect(attachment?.size).toBe(3000);
    expect(attachment?.sha256).toBe(createHash('sha256').update(pdf).digest('hex'));
  });
});

describe('parseRawMessage: hostile input', () => {
  it('turns a header block larger than mailparser accepts into intake.parse_failed with the cause', async () => {
    const error = await parseError(Buffer.from('X-Junk: ' + 'a'.repeat(2_000_000) + '\r\n\r\nbody'));
    expect(isTicketdError(error) && error.code).toBe('intake.parse_failed');
    expect((error as Error).cause).toBeInstanceOf(Error);
  });

  it('turns a non-Buffer argument into intake.parse_failed', async () => {
    const error = await parseError('From: a@example.org\r\n\r\nhi');
    expect(isTicketdError(error) && error.code).toBe('intake.parse_failed');
  });

  it('gives intake.parse_timeout when parsing outlasts the timeout', async () => {
    const big = randomBytes(6 * 1024 * 1024).toString('base64').replace(/.{76}/g, '$&\r\n');
    const raw = mail('From: a@example.org', 'Content-Type: multipart/mixed; boundary="b"', '', '--b', 'Content-Type: text/plain', '', 'hi', '--b', 'Content-Type: application/octet-stream', 'Content-Transfer-Encoding: base64', '', big, '--b--', '');
    const error = await parseError(raw, 1);
    expect(isTicketdError(error) && error.code).toBe('intake.parse_timeout');
  });

  it('survives empty, zero-filled and random input with a message or a coded error', async () => {
    for (const raw of [Buffer.alloc(0), Buffer.alloc(4096), randomBytes(65536), Buffer.from('\r\n\r\n'), Buffer.from('Subject')]) {
      const outcome = await parseRawMessage(raw).then(
        (message) => typeof message.text === 'string' && message.headers instanceof Map,
        (error: unknown) => isTicketdError(error) && error.code.startsWith('intake.parse_'),
      );
      expect(outcome).toBe(true);
    }
  });
});
