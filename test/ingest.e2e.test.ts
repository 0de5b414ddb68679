import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createTestPostgresDatabase, testDialect } from './support/test-database.js';
import { runTicketd, ticketdJson } from './support/ticketd-process.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const fixture = (name: string) => path.join(root, 'fixtures/mail', name);

describe('ticketd ingest with input that is not one mail file', () => {
  let dir: string;
  let configFile: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ticketd-ingest-'));
    configFile = path.join(dir, 'ticketd.yaml');
    const own = testDialect() === 'sqlite' ? { database: { path: path.join(dir, 'ingest.sqlite') } } : { database: { url: await createTestPostgresDatabase() }, storage: { path: path.join(dir, 'store') } };
    await writeFile(
      configFile,
      stringify({
        ...own,
        imap: { host: '127.0.0.1', user: 'help@cloudsoft.test', password: 'x' },
        smtp: { host: '127.0.0.1', port: 1 },
        support: { address: 'help@cloudsoft.test', customerDomains: ['acme.test'], requireRegistration: false },
        security: { senderAuth: 'off' },
      }),
    );
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('gives every path its line: a directory and a missing file are errors for that path, the files after them are ingested', async () => {
    const folder = path.join(dir, 'maildir');
    await mkdir(folder);
    const result = await runTicketd(['ingest', '--config', configFile, '--no-deliver', folder, path.join(dir, 'missing.eml'), fixture('01-sev1-outage.eml')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${folder}: not ingested: ingest.is_directory: is a directory: give the message files in it (e.g. ${folder}/*.eml)`);
    expect(result.stderr).toContain('missing.eml: not ingested: ENOENT');
    expect(result.stdout).toContain(`${fixture('01-sev1-outage.eml')}: ticket CS-1 (new)`);
    expect(result.stderr + result.stdout).not.toMatch(/EISDIR|Unhandled|at .*\.js:\d+/);

    const json = await runTicketd(['ingest', '--config', configFile, '--no-deliver', '--json', folder, fixture('02-sev2-degraded.eml')]);
    expect(json.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>)).toEqual([
      { path: folder, error: expect.stringContaining('is a directory') },
      expect.objectContaining({ path: fixture('02-sev2-degraded.eml'), outcome: 'ticket' }),
    ]);
  });

  it('quarantines a file that is not a mail as not-a-mail, and the same bytes again are that record, not a second one', async () => {
    const packageJson = path.join(root, 'package.json');
    const first = await runTicketd(['ingest', '--config', configFile, '--no-deliver', packageJson]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/package\.json: quarantined \(not-a-mail: no header block/);
    const again = await runTicketd(['ingest', '--config', configFile, '--no-deliver', '--json', packageJson]);
    const repeat = JSON.parse(again.stdout) as { outcome: string; reason: string; alreadyIngested: boolean };
    expect(repeat).toMatchObject({ outcome: 'duplicate', alreadyIngested: true, reason: expect.stringMatching(/^same bytes as message \d+, recorded as quarantined: not-a-mail/) });

    const quarantined = await ticketdJson<Array<{ reason: string; from: string; subject: string }>>(['quarantine', 'list', '--config', configFile, '--json']);
    expect(quarantined.filter((row) => row.reason.startsWith('not-a-mail'))).toEqual([expect.objectContaining({ from: '', subject: '' })]);
  });
});
