import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../src/devservers/local-stack.js';
import { freePort } from './support/free-port.js';
import { startTestStack } from './support/test-stack.js';
import { runTicketd } from './support/ticketd-process.js';

type DoctorJson = { ok: boolean; checks: Array<{ name: string; verdict: 'ok' | 'warn' | 'fail'; detail: string; hint: string }> };

describe('ticketd doctor', () => {
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await startTestStack();
  });

  afterAll(async () => {
    await stack?.close();
  });

  const byName = (report: DoctorJson) => Object.fromEntries(report.checks.map((check) => [check.name, check]));

  it('finds IMAP, SMTP login, the pager, the database and the disk all ok on the local stack, and sends nothing', async () => {
    const file = await stack.writeConfig('doctor-ok.yaml', { smtp: { user: 'help@cloudsoft.test', password: 'smtp-secret-d0c7' } });
    const result = await runTicketd(['doctor', '--config', file, '--json']);

    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as DoctorJson;
    expect(report.ok).toBe(true);
    expect(report.checks.map((check) => `${check.name}:${check.verdict}`)).toEqual(['imap:ok', 'smtp:ok', 'pager:ok', 'database:ok', 'disk:ok']);
    expect(byName(report).imap?.detail).toContain('opened INBOX');
    expect(byName(report).smtp?.detail).toContain('the login of help@cloudsoft.test');
    expect(byName(report).pager?.detail).toContain('no event sent');
    expect(stack.smtp.received).toHaveLength(0);
    expect(stack.receiver.requests.filter((request) => request.method === 'POST')).toHaveLength(0);
  });

  it('fails every check whose server is on a dead port, with a hint naming the keys to check, and exits 1', async () => {
    const [imapPort, smtpPort, pagerPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const file = await stack.writeConfig('doctor-dead.yaml', { imap: { port: imapPort }, smtp: { port: smtpPort }, pager: { url: `http://127.0.0.1:${pagerPort}/v2/enqueue` } });
    const json = await runTicketd(['doctor', '--config', file, '--json', '--timeout', '5']);

    expect(json.code).toBe(1);
    const checks = byName(JSON.parse(json.stdout) as DoctorJson);
    expect(checks.imap).toMatchObject({ verdict: 'fail', hint: expect.stringContaining('nothing listens there: check imap.host and imap.port') });
    expect(checks.imap?.detail).toContain('ECONNREFUSED');
    expect(checks.smtp).toMatchObject({ verdict: 'fail', hint: expect.stringContaining('check smtp.host and smtp.port') });
    expect(checks.pager).toMatchObject({ verdict: 'fail', hint: expect.stringContaining('check pager.url') });
    expect(checks.database?.verdict).toBe('ok');

    const human = await runTicketd(['doctor', '--config', file, '--timeout', '5']);
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/^FAIL {2}imap {6}127\.0\.0\.1:\d+: .*ECONNREFUSED/m);
    expect(human.stdout).toContain('hint: nothing listens there: check smtp.host and smtp.port');
    expect(human.stdout).toContain('doctor: at least one check failed');
  });

  it('tells a refused IMAP login and a missing folder apart, without printing the password', async () => {
    const badLogin = await stack.writeConfig('doctor-login.yaml', { imap: { password: 'imap-secret-d0c7' } });
    const login = await runTicketd(['doctor', '--config', badLogin, '--json']);
    expect(login.code).toBe(1);
    expect(byName(JSON.parse(login.stdout) as DoctorJson).imap).toMatchObject({ verdict: 'fail', hint: expect.stringContaining('check imap.user and imap.password') });
    expect(login.stdout + login.stderr).not.toContain('imap-secret-d0c7');

    const noFolder = await stack.writeConfig('doctor-folder.yaml', { imap: { mailbox: 'Helpdesk' } });
    const folder = await runTicketd(['doctor', '--config', noFolder, '--json']);
    expect(folder.code).toBe(1);
    expect(byName(JSON.parse(folder.stdout) as DoctorJson).imap).toMatchObject({ verdict: 'fail', hint: 'the folder Helpdesk does not exist for help@cloudsoft.test: check imap.mailbox' });
  });

  it('warns, without failing, when no pager is configured', async () => {
    const file = await stack.writeConfig('doctor-nopager.yaml', { pager: { kind: 'none' } });
    const result = await runTicketd(['doctor', '--config', file, '--json']);
    expect(result.code).toBe(0);
    expect(byName(JSON.parse(result.stdout) as DoctorJson).pager).toMatchObject({ verdict: 'warn', hint: expect.stringContaining('page nobody') });
  });
});
