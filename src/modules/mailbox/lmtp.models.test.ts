import { describe, expect, it } from 'vitest';
import { announcedSize, HEAD_PEEK_BYTES, isSupportRecipient, TRACE_RESERVE_BYTES, traceDate, traceHeader } from './lmtp.models.js';

const supportAddress = 'help@cloudsoft.test';
const now = new Date('2026-12-04T17:30:00Z');

describe('which recipients the LMTP listener takes', () => {
  it('takes the support address and its plus-addresses, in any case', () => {
    for (const address of ['help@cloudsoft.test', 'HELP@CloudSoft.Test', 'help+cs-12.0123456789abcdef0123@cloudsoft.test', 'help+anything@cloudsoft.test']) {
      expect(isSupportRecipient({ address, supportAddress }), address).toBe(true);
    }
  });

  it('refuses other mailboxes, other domains, an empty plus part and look-alikes', () => {
    for (const address of ['sales@cloudsoft.test', 'help@cloudsoft.test.evil', 'help@evil.test', 'help+@cloudsoft.test', 'helpdesk@cloudsoft.test', 'xhelp@cloudsoft.test', 'help', '@cloudsoft.test', 'help@']) {
      expect(isSupportRecipient({ address, supportAddress }), address).toBe(false);
    }
  });
});

describe('the trace header prepended to LMTP mail', () => {
  const base = { mailFrom: 'alice@acme.test', rcptTo: ['help@cloudsoft.test'], heloName: 'mx.cloudsoft.test', remoteAddress: '127.0.0.1', serverName: 'desk-1', date: new Date('2026-12-04T17:21:40Z') };

  it('carries the envelope sender as Return-Path and a Received line naming the MTA, us and the recipient', () => {
    expect(traceHeader(base)).toBe(
      'Return-Path: <alice@acme.test>\r\nReceived: from mx.cloudsoft.test ([127.0.0.1])\r\n\tby desk-1 (ticketd) with LMTP\r\n\tfor <help@cloudsoft.test>; Fri, 04 Dec 2026 17:21:40 +0000\r\n',
    );
  });

  it('writes the null sender of a bounce as Return-Path: <> and names no recipient when there are several', () => {
    const header = traceHeader({ ...base, mailFrom: '', rcptTo: ['help@cloudsoft.test', 'help+cs-1.x@cloudsoft.test'] });
    expect(header.startsWith('Return-Path: <>\r\n')).toBe(true);
    expect(header).not.toContain('for <');
  });

  it('keeps hostile envelope text from breaking out of its header or the angle brackets, and stays within its reserve', () => {
    const header = traceHeader({
      ...base,
      mailFrom: `evil>\r\nBcc: victim@x.test\u0000\u001b[31m${'a'.repeat(5000)}`,
      rcptTo: [`help+${'b'.repeat(5000)}@cloudsoft.test`],
      heloName: `mx\r\nX-Injected: yes ${'c'.repeat(5000)}`,
      remoteAddress: '::ffff:127.0.0.1',
    });
    const lines = header.split('\r\n');
    expect(lines.filter((line) => /^[A-Za-z-]+:/.test(line)).map((line) => line.split(':')[0])).toEqual(['Return-Path', 'Received']);
    expect(header).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/);
    expect(header).not.toContain('\nBcc');
    expect(header).not.toContain('\nX-Injected');
    expect((/^Return-Path: <([^<>]*)>\r\n/.exec(header) ?? [])[1]).toMatch(/^evil\?/);
    expect(Buffer.byteLength(header)).toBeLessThan(TRACE_RESERVE_BYTES);
  });

  it('announces a size that leaves room for the trace header under limits.maxMessageBytes', () => {
    expect(announcedSize(50 * 1024 * 1024)).toBe(50 * 1024 * 1024 - TRACE_RESERVE_BYTES);
    expect(announcedSize(100)).toBe(1);
  });
});

describe('the time stamped on the Received line', () => {
  it("is the date of the MTA's topmost Received header, so a redelivery stamps the same bytes", () => {
    const head = [
      'Received: from [127.0.0.1] (localhost [127.0.0.1])',
      '\tby mx.cloudsoft.test (Postfix) with ESMTP id 5F22B214098',
      '\tfor <help@cloudsoft.test>; Fri,  4 Dec 2026 17:21:40 +0000 (UTC)',
      'Received: from older.example by x; Thu, 3 Dec 2026 10:00:00 +0000',
      'From: alice@acme.test',
      '',
      'Received: in the body; Mon, 1 Jan 2024 00:00:00 +0000',
    ].join('\r\n');
    expect(traceDate({ head, now }).toISOString()).toBe('2026-12-04T17:21:40.000Z');
  });

  it('is now when the head has no Received header, or its date does not parse', () => {
    expect(traceDate({ head: 'From: a@b.test\r\nSubject: x\r\n\r\nReceived: body; Mon, 1 Jan 2024 00:00:00 +0000', now })).toEqual(now);
    expect(traceDate({ head: 'Received: from x by y; not a date\r\n\r\n', now })).toEqual(now);
    expect(traceDate({ head: 'Received: from x by y without a date\r\n\r\n', now })).toEqual(now);
  });

  it('reads a hostile head of the whole peek size in linear time', () => {
    const head = `Received: ${'(('.repeat(HEAD_PEEK_BYTES / 4)}${';'.repeat(HEAD_PEEK_BYTES / 4)}`;
    const started = performance.now();
    expect(traceDate({ head, now })).toEqual(now);
    const folded = `Received: x${'\r\n\t;'.repeat(HEAD_PEEK_BYTES / 4)}`;
    expect(traceDate({ head: folded, now })).toEqual(now);
    expect(performance.now() - started).toBeLessThan(200);
  });
});
