import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { listConfigKeys } from './config.keys.js';
import { NON_CONFIG_VARIABLES, nearestName, readEnvOverrides } from './config.env.js';
import { configSchema } from './config.schema.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const minimal = { imap: { host: 'imap.example.com', user: 'help@example.com' }, smtp: { host: 'smtp.example.com' }, support: { address: 'help@example.com' } };

describe('TICKETD_* environment variables', () => {
  it('names a misspelt variable as an error with the variable it probably meant, never its value', () => {
    const { problems } = readEnvOverrides(minimal, { TICKETD_IMAP_PASWORD: 'secret-5ec7', TICKETD_SMTP_HOTS: 'x', PATH: '/usr/bin' });
    expect(problems).toEqual([
      { path: 'TICKETD_IMAP_PASWORD', env: 'TICKETD_IMAP_PASWORD', message: 'unknown environment variable: no configuration key reads it; did you mean TICKETD_IMAP_PASSWORD?' },
      { path: 'TICKETD_SMTP_HOTS', env: 'TICKETD_SMTP_HOTS', message: 'unknown environment variable: no configuration key reads it; did you mean TICKETD_SMTP_HOST?' },
    ]);
    expect(JSON.stringify(problems)).not.toContain('secret-5ec7');
  });

  it('says nothing it cannot back: no suggestion for a name far from every known one', () => {
    const { problems } = readEnvOverrides(minimal, { TICKETD_FROBNICATE: '1' });
    expect(problems).toEqual([{ path: 'TICKETD_FROBNICATE', env: 'TICKETD_FROBNICATE', message: 'unknown environment variable: no configuration key reads it' }]);
    expect(nearestName(`TICKETD_${'X'.repeat(10_000)}`, ['TICKETD_IMAP_HOST'])).toBeUndefined();
  });

  it('accepts the variables ticketd reads that are not configuration keys', () => {
    const env = Object.fromEntries(Object.keys(NON_CONFIG_VARIABLES).map((name) => [name, '1']));
    expect(readEnvOverrides(minimal, env).problems).toEqual([]);
  });

  it('records which key each variable set, so a bad value names its variable', () => {
    const { fromEnv, raw } = readEnvOverrides(minimal, { TICKETD_IMAP_PORT: 'abc', TICKETD_SUPPORT_CUSTOMER_DOMAINS: 'a.test,b .test' });
    expect(Object.fromEntries(fromEnv)).toEqual({ 'imap.port': 'TICKETD_IMAP_PORT', 'support.customerDomains': 'TICKETD_SUPPORT_CUSTOMER_DOMAINS' });
    expect(raw).toMatchObject({ imap: { port: 'abc' }, support: { customerDomains: ['a.test', 'b .test'] } });
  });

  it('keeps one list: every TICKETD_* name in the code, CI and deployment files is a key or in NON_CONFIG_VARIABLES', () => {
    const known = new Set([...listConfigKeys(configSchema).map((key) => key.env), ...Object.keys(NON_CONFIG_VARIABLES)]);
    const files = [
      ...readdirSync(path.join(root, 'src'), { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
        .map((entry) => path.join(entry.parentPath, entry.name)),
      ...['vitest.config.ts', '.ci/run', 'Dockerfile', 'docker-compose.example.yml', 'docker-compose.postgres.example.yml', 'deploy/ticketd.service'].map((file) => path.join(root, file)),
    ];
    const unknown = files.flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/\bTICKETD_[A-Z0-9_]*[A-Z0-9]\b/g)].map((match) => match[0]).filter((name) => !known.has(name)).map((name) => `${path.relative(root, file)}: ${name}`));
    expect(unknown).toEqual([]);
  });
});
