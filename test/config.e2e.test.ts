import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createTestPostgresDatabase, testDialect } from './support/test-database.js';
import { runTicketd } from './support/ticketd-process.js';

const IMAP_SECRET = 'imap-pw-5ec7-e2e';

type OwnDatabase = { database: { path: string } | { url: string }; storage?: { path: string } };

/** The database of a test's config: a SQLite file in `dir`, or a fresh PostgreSQL database with the stores in `dir`. */
async function ownDatabase(dir: string, file: string): Promise<OwnDatabase> {
  if (testDialect() === 'sqlite') return { database: { path: path.join(dir, file) } };
  return { database: { url: await createTestPostgresDatabase() }, storage: { path: path.join(dir, 'store') } };
}

/** Complete but for what a test takes out; nothing listens on port 1. */
const config = (own: OwnDatabase) => ({
  ...own,
  imap: { host: '127.0.0.1', port: 1, secure: false, user: 'help@cloudsoft.test', password: IMAP_SECRET },
  smtp: { host: '127.0.0.1', port: 1 },
  support: { address: 'help@cloudsoft.test', customerDomains: ['acme.test'] },
  security: { senderAuth: 'off' },
});

describe('finding and checking the configuration from the command line', () => {
  let dir: string;
  let file: string;
  let own: OwnDatabase;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ticketd-config-e2e-'));
    file = path.join(dir, 'ticketd.yaml');
    own = await ownDatabase(dir, 'config.sqlite');
    await writeFile(file, stringify(config(own)));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reports --conf as an unknown option with a suggestion, not as a missing --config', async () => {
    const result = await runTicketd(['tickets', 'list', '--conf', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown option '--conf'");
    expect(result.stderr).toContain('Did you mean --config?');
    expect(result.stderr).not.toContain('required option');
  });

  it('reads TICKETD_CONFIG, else ./ticketd.yaml, when --config is not given, and says once on stderr which it used', async () => {
    const fromEnv = await runTicketd(['tickets', 'list', '--json'], { env: { TICKETD_CONFIG: file } });
    expect(fromEnv).toMatchObject({ code: 0, stdout: '[]\n' });
    expect(fromEnv.stderr).toBe(`ticketd: using ${file} (from TICKETD_CONFIG)\n`);

    const fromCwd = await runTicketd(['tickets', 'list', '--json'], { cwd: dir, env: { TICKETD_CONFIG: '' } });
    expect(fromCwd).toMatchObject({ code: 0, stdout: '[]\n' });
    expect(fromCwd.stderr).toBe('ticketd: using ./ticketd.yaml (no --config given)\n');
  });

  it('refuses to run or doctor with a placeholder or an empty secret, naming key and line but never the value; config check says the same', async () => {
    const unfinished = path.join(dir, 'unfinished.yaml');
    await writeFile(unfinished, stringify({ ...config(own), imap: { ...config(own).imap, password: 'change-me' }, webhook: { url: 'http://127.0.0.1:1/hooks' } }));
    for (const args of [['run'], ['doctor', '--timeout', '1'], ['config', 'check']]) {
      const result = await runTicketd([...args, '--config', unfinished]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/imap\.password \(line \d+\): is a placeholder/);
      expect(result.stderr).toMatch(/webhook\.secret: is empty: webhook\.url is set/);
      expect(result.stdout + result.stderr).not.toContain('change-me');
    }
    const template = await runTicketd(['config', 'check', '--config', unfinished, '--allow-placeholders', '--json']);
    expect(template.code).toBe(0);
    expect(JSON.parse(template.stdout)).toEqual({
      ok: true,
      problems: [],
      warnings: [
        { path: 'imap.password', line: expect.any(Number), message: 'is a placeholder (from the example file or the README): set the real value (env TICKETD_IMAP_PASSWORD)' },
        { path: 'webhook.secret', message: expect.stringContaining('is empty: webhook.url is set') },
      ],
    });
  });

  it('names a misspelt TICKETD_* variable with the one meant, and a bad value by its variable', async () => {
    const result = await runTicketd(['tickets', 'list', '--config', file], { env: { TICKETD_IMAP_PASWORD: 'typo-5ec7', TICKETD_IMAP_PORT: 'abc' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('TICKETD_IMAP_PASWORD: unknown environment variable: no configuration key reads it; did you mean TICKETD_IMAP_PASSWORD?');
    expect(result.stderr).toContain('imap.port (from TICKETD_IMAP_PORT): ');
    expect(result.stderr).not.toContain('typo-5ec7');
  });

  it('shows a YAML syntax error by key and line, never the line itself (it may hold the password)', async () => {
    const broken = path.join(dir, 'broken.yaml');
    await writeFile(broken, `imap:\n  host: 127.0.0.1\n  user: help@cloudsoft.test\n  password: ${IMAP_SECRET}: "x\nsmtp:\n  host: 127.0.0.1\n`);
    for (const args of [['config', 'check'], ['config', 'check', '--json'], ['run']]) {
      const result = await runTicketd([...args, '--config', broken]);
      expect(result.code).toBe(1);
      expect(result.stdout + result.stderr).toMatch(/imap\.password/);
      expect(result.stdout + result.stderr).toMatch(/line"?:? ?4/);
      expect(result.stdout + result.stderr).not.toContain(IMAP_SECRET);
    }
  });
});
