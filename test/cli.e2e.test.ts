import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createTestPostgresDatabase, testDialect } from './support/test-database.js';
import { runTicketd, ticketdJson } from './support/ticketd-process.js';

type OwnDatabase = { database: { path: string } | { url: string }; storage?: { path: string } };

/** The database of a test's config: a SQLite file in `dir`, or a fresh PostgreSQL database with the stores in `dir`. */
async function ownDatabase(dir: string, file: string): Promise<OwnDatabase> {
  if (testDialect() === 'sqlite') return { database: { path: path.join(dir, file) } };
  return { database: { url: await createTestPostgresDatabase() }, storage: { path: path.join(dir, 'store') } };
}

const validConfig = (own: OwnDatabase) => ({
  ...own,
  imap: { host: '127.0.0.1', port: 1, secure: false, user: 'help@cloudsoft.test', password: 'cli-imap-pw' },
  // Nothing listens on port 1: `ingest --no-deliver` must not need the SMTP server anyway.
  smtp: { host: '127.0.0.1', port: 1 },
  support: { address: 'help@cloudsoft.test', customerDomains: ['acme.test'], engineerDomains: ['cloudsoft.test'], requireRegistration: false },
  pager: { kind: 'pagerduty', url: 'http://127.0.0.1:1/v2/enqueue', routingKey: 'cli-test' },
  security: { senderAuth: 'off' },
});

describe('the ticketd command line', () => {
  let dir: string;
  let configFile: string;
  let own: OwnDatabase;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ticketd-cli-'));
    configFile = path.join(dir, 'ticketd.yaml');
    own = await ownDatabase(dir, 'cli.sqlite');
    await writeFile(configFile, stringify(validConfig(own)));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('answers an unknown command or flag with usage and exit code 2', async () => {
    const unknownCommand = await runTicketd(['frobnicate']);
    expect(unknownCommand.code).toBe(2);
    expect(unknownCommand.stderr).toMatch(/unknown command 'frobnicate'/);
    const unknownFlag = await runTicketd(['tickets', 'list', '--config', configFile, '--jsno']);
    expect(unknownFlag.code).toBe(2);
    expect(unknownFlag.stderr).toMatch(/unknown option '--jsno'/);
    expect(unknownFlag.stderr).toMatch(/Usage: ticketd tickets list/);
  });

  it('shows help with examples for a command and exits 0', async () => {
    const help = await runTicketd(['ingest', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Examples:');
    expect(help.stdout).toContain('--config <file>');
  });

  it('config check accepts a valid file and names every bad key with its path', async () => {
    const ok = await runTicketd(['config', 'check', '--config', configFile]);
    expect(ok).toMatchObject({ code: 0 });
    const bad = path.join(dir, 'bad.yaml');
    await writeFile(
      bad,
      stringify({ ...validConfig(own), imap: { ...validConfig(own).imap, port: 'many', colour: 'blue' }, support: { address: 'not-an-address', customerDomains: ['acme .test'] }, pager: { kind: 'pagerduty' } }),
    );
    const result = await runTicketd(['config', 'check', '--config', bad]);
    expect(result.code).toBe(1);
    // Each problem names its key and the line it is on in the file.
    for (const key of ['imap.port (line ', 'support.address (line ', 'support.customerDomains.0 (line ', 'pager.routingKey']) expect(result.stderr).toContain(key);
    expect(result.stderr).toMatch(/imap\.colour \(line \d+\): unknown key/);
  });

  it('takes any key from a TICKETD_* environment variable, converted to the key type', async () => {
    const bad = path.join(dir, 'env.yaml');
    await writeFile(bad, stringify({ ...validConfig(own), imap: { host: '127.0.0.1', user: 'help@cloudsoft.test', password: 'cli-imap-pw' } }));
    const overridden = await runTicketd(['config', 'check', '--config', bad], { env: { TICKETD_IMAP_PORT: 'not-a-number' } });
    expect(overridden.code).toBe(1);
    expect(overridden.stderr).toContain('imap.port');
    const fine = await runTicketd(['config', 'check', '--config', bad], { env: { TICKETD_IMAP_PORT: '1143', TICKETD_SUPPORT_CUSTOMER_DOMAINS: 'acme.test, globex.test' } });
    expect(fine.code).toBe(0);
  });

  it('refuses a public suffix such as co.uk as a customer domain, in domains add and in the config file, saying why', async () => {
    const added = await runTicketd(['domains', 'add', 'CO.UK', '--config', configFile]);
    expect(added.code).toBe(1);
    expect(added.stdout).toBe('');
    expect(added.stderr).toContain('ticketd: co.uk is a public suffix: anyone can register names under it, so approving it would let strangers sign up. Approve the organisation\'s own domain (e.g. acme.co.uk).');
    const approved = await ticketdJson<Array<{ domain: string }>>(['domains', 'list', '--config', configFile, '--json']);
    expect(approved.map((row) => row.domain)).toEqual(['acme.test']);

    const inFile = path.join(dir, 'suffix.yaml');
    await writeFile(inFile, stringify({ ...validConfig(own), support: { ...validConfig(own).support, customerDomains: ['acme.test', 'co.uk'] } }));
    const checked = await runTicketd(['config', 'check', '--config', inFile]);
    expect(checked.code).toBe(1);
    expect(checked.stderr).toMatch(/support\.customerDomains\.1 \(line \d+\): is a public suffix \(anyone can register names under it, e\.g\. co\.uk\): approve the organisation's own domain/);
  });

  it('ingests a message from stdin and from a file, then lists and shows the ticket', async () => {
    const raw = await readFile(new URL('../fixtures/mail/01-sev1-outage.eml', import.meta.url));
    const fromStdin = await runTicketd(['ingest', '--config', configFile, '--no-deliver', '--json', '-'], { input: raw });
    expect(fromStdin.code).toBe(0);
    expect(JSON.parse(fromStdin.stdout)).toMatchObject({ path: '-', outcome: 'ticket', ticketRef: 'CS-1' });

    const again = await runTicketd(['ingest', '--config', configFile, '--no-deliver', '--json', fileURLPath('../fixtures/mail/01-sev1-outage.eml')]);
    expect(JSON.parse(again.stdout)).toMatchObject({ outcome: 'duplicate', ticketRef: 'CS-1' });

    const list = await ticketdJson<Array<Record<string, unknown>>>(['tickets', 'list', '--config', configFile, '--json']);
    expect(list).toEqual([
      { ref: 'CS-1', subject: '[SEV1] Production API returning 500 on every request', severity: 'SEV1', priority: 'Urgent', status: 'new', requester: 'alice@acme.test', createdAt: expect.any(String), messageCount: 2 },
    ]);
    const table = await runTicketd(['tickets', 'list', '--config', configFile]);
    expect(table.stdout).toMatch(/^REF\s+SEV\s+PRIORITY/);
    expect(table.stdout).toContain('CS-1');

    const shown = await ticketdJson<{ messages: Array<Record<string, unknown>> }>(['tickets', 'show', 'CS-1', '--config', configFile, '--json']);
    expect(shown.messages.map((message) => message.direction)).toEqual(['inbound', 'outbound']);
    expect(shown.messages[1]).toMatchObject({ from: 'help@cloudsoft.test', to: ['alice@acme.test'], inReplyTo: 'a1b2c3d4.outage@mail.acme.test' });

    const missing = await runTicketd(['tickets', 'show', 'CS-99', '--config', configFile]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no ticket CS-99');
  });

  it('exits 1 when a file cannot be read, after ingesting the others', async () => {
    const result = await runTicketd(['ingest', '--config', configFile, '--no-deliver', path.join(dir, 'missing.eml'), fileURLPath('../fixtures/mail/05-unknown-sender.eml')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('missing.eml: not ingested');
    expect(result.stdout).toContain('quarantined (sender-not-approved)');
  });

  it('releases a quarantined message into a ticket, and reprocesses quarantined mail after the config changed', async () => {
    const quarantined = await ticketdJson<Array<{ id: number; from: string; reason: string }>>(['quarantine', 'list', '--config', configFile, '--json']);
    const mallory = quarantined.find((item) => item.from === 'mallory@unknown-corp.test');
    expect(mallory).toMatchObject({ reason: 'sender-not-approved' });

    const released = await runTicketd(['quarantine', 'release', String(mallory?.id), '--config', configFile]);
    expect(released.code).toBe(0);
    expect(released.stdout).toMatch(/ticket CS-\d+ \(new\)/);
    expect((await ticketdJson<unknown[]>(['quarantine', 'list', '--config', configFile, '--json'])).length).toBe(quarantined.length - 1);
    const again = await runTicketd(['reprocess', String(mallory?.id), '--config', configFile]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already has the outcome ticket');

    const carol = await runTicketd(['ingest', '--config', configFile, '--no-deliver', fileURLPath('../fixtures/mail/04-sev4-how-to.eml')]);
    expect(carol.stdout).toContain('quarantined (sender-not-approved)');
    const widened = path.join(dir, 'widened.yaml');
    await writeFile(widened, stringify({ ...validConfig(own), support: { ...validConfig(own).support, customerDomains: ['acme.test', 'globex.test'] } }));
    const reprocessed = await runTicketd(['reprocess', '--quarantined', '--json', '--config', widened]);
    expect(reprocessed.code).toBe(0);
    expect(reprocessed.stdout.trim().split('\n').map((line) => JSON.parse(line) as { outcome: string })).toEqual([expect.objectContaining({ outcome: 'ticket' })]);
    const list = await ticketdJson<Array<{ subject: string; severity: string }>>(['tickets', 'list', '--config', configFile, '--json']);
    expect(list.at(-1)).toMatchObject({ subject: 'Severity 4 - how do we rotate API keys?', severity: 'SEV4' });
  });

  it('refuses reprocess without ids or --quarantined as a usage error', async () => {
    const result = await runTicketd(['reprocess', '--config', configFile]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('give message ids or --quarantined');
  });
});

function fileURLPath(relative: string): string {
  return new URL(relative, import.meta.url).pathname;
}
