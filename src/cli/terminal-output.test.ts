import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { startSmtpPeer, type SmtpPeer } from '../devservers/smtp-peer.server.js';
import { createTestPostgresDatabase, testDialect } from '../../test/support/test-database.js';
import { runCli } from './program.js';

/** Any character a terminal would act on rather than show (line feed and tab allowed). */
const RAW_CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u061C\u200E\u200F\u2028\u2029\u202A-\u202E\u2066-\u2069]/;

// What an attacker can put in a subject, a display name or a body: clear the screen, a terminal hyperlink whose
// text lies about its target, bell, backspace, carriage return, a C1 CSI, a bidi override.
const HOSTILE = 'Printer \u001b[2J\u001b]8;;https://evil.test/\u0007click here\u001b]8;;\u0007 \u0007\b\r \u009b31m \u202egnp.exe';
const encodedWord = (text: string) => `=?utf-8?B?${Buffer.from(text).toString('base64')}?=`;

function hostileMail({ from, id }: { from: string; id: string }): string {
  return [
    `From: ${encodedWord(`Eve ${HOSTILE}`)} <${from}>`,
    'To: help@cloudsoft.test',
    `Subject: ${encodedWord(`SEV2 ${HOSTILE}`)}`,
    `Message-ID: <${id}@acme.test>`,
    'Date: Wed, 25 Nov 2026 09:00:00 +0000',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from(`First line ${HOSTILE}\nsecond line\n`).toString('base64'),
    '',
  ].join('\r\n');
}

describe('human CLI output of text that came from mail', () => {
  let dir: string;
  let configFile: string;
  let smtp: SmtpPeer;
  const run = async (...argv: string[]) => {
    let out = '';
    let err = '';
    const code = await runCli([...argv, '--config', configFile], { out: (text) => (out += `${text}\n`), err: (text) => (err += `${text}\n`) });
    return { code, out, err };
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ticketd-terminal-'));
    configFile = path.join(dir, 'ticketd.yaml');
    // A hostile server's answer ends up in `outbox list` as the delivery's last error (the SMTP libraries drop
    // its C0 controls on the way; a bidi override gets through).
    smtp = await startSmtpPeer();
    smtp.setResponder(({ stage }) => (stage === 'mail' ? { code: 550, message: `\u001b[2J \u009b31m \u202egnp.exe` } : undefined));
    await writeFile(
      configFile,
      stringify({
        ...(testDialect() === 'postgresql' ? { database: { url: await createTestPostgresDatabase() }, storage: { path: path.join(dir, 'store') } } : { database: { path: path.join(dir, 'ticketd.sqlite') } }),
        imap: { host: '127.0.0.1', user: 'help@cloudsoft.test', password: 'imap-pw' },
        smtp: { host: smtp.host, port: smtp.port, secure: false },
        support: { address: 'help@cloudsoft.test', customerDomains: ['acme.test'], engineerDomains: ['cloudsoft.test'], requireRegistration: true },
        security: { senderAuth: 'off' },
        log: { level: 'error' },
      }),
    );
    const mails = { ticket: path.join(dir, 'ticket.eml'), held: path.join(dir, 'held.eml'), quarantined: path.join(dir, 'quarantined.eml') };
    await writeFile(mails.ticket, hostileMail({ from: 'alice@acme.test', id: 'ticket' }));
    await writeFile(mails.held, hostileMail({ from: 'bob@acme.test', id: 'held' }));
    await writeFile(mails.quarantined, hostileMail({ from: 'eve@evil.test', id: 'quarantined' }));
    expect((await run('users', 'add', 'alice@acme.test', '--name', `Alice ${HOSTILE}`)).code).toBe(0);
    const ingest = await run('ingest', '--deliver-timeout', '20', mails.ticket, mails.held, mails.quarantined);
    expect(ingest).toMatchObject({ code: 0 });
    expect(ingest.out).not.toMatch(RAW_CONTROL);
  });

  afterAll(async () => {
    await smtp?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ['tickets list', ['tickets', 'list'], '\\u001B[2J'],
    ['tickets show', ['tickets', 'show', 'CS-1'], '\\u001B]8;;https://evil.test/\\u0007'],
    ['quarantine list', ['quarantine', 'list'], '\\u001B[2J'],
    ['held list', ['held', 'list'], '\\u001B[2J'],
    ['outbox list', ['outbox', 'list'], '\\u202E'],
    ['users list', ['users', 'list'], '\\u001B[2J'],
  ])('%s shows control characters from mail as visible \\uXXXX text, never raw', async (_name, argv, visible) => {
    const result = await run(...argv);
    expect(result.code).toBe(0);
    expect(result.out + result.err).not.toMatch(RAW_CONTROL);
    expect(result.out).toContain(visible);
  });

  it('prints the body of tickets show with its line breaks, and its escape sequences visible', async () => {
    const { out } = await run('tickets', 'show', 'CS-1');
    expect(out).toMatch(/First line Printer \\u001B\[2J\\u001B\]8;;https:\/\/evil\.test\/\\u0007click here\\u001B\]8;;\\u0007 .*\n.*\\u009B31m \\u202Egnp\.exe\nsecond line/);
  });

  it('keeps --json exact: the subject parses back to the very characters the mail held', async () => {
    const { out } = await run('tickets', 'show', 'CS-1', '--json');
    expect(out).not.toMatch(RAW_CONTROL);
    const ticket = JSON.parse(out) as { subject: string; messages: Array<{ bodyText: string }> };
    expect(ticket.subject).toBe(`SEV2 ${HOSTILE}`);
    expect(ticket.messages[0]?.bodyText).toContain('First line Printer \u001b[2J\u001b]8;;https://evil.test/\u0007click here\u001b]8;;\u0007');
  });

  it('escapes what commander echoes from argv too', async () => {
    const { code, err } = await run('tickets', 'list', '--\u001b[2Jx');
    expect(code).toBe(2);
    expect(err).not.toMatch(RAW_CONTROL);
    expect(err).toContain("unknown option '--\\u001B[2Jx'");
  });
});
