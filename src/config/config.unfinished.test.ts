import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { validateConfig } from './config.loader.js';

/** A config every daemon setting of which is real. */
const finished = {
  imap: { host: 'imap.acme-support.test', user: 'help@cloudsoft.test', password: 'imap-pw' },
  smtp: { host: 'smtp.acme-support.test', user: 'help@cloudsoft.test', password: 'smtp-pw' },
  support: { address: 'help@cloudsoft.test', customerDomains: ['acme.test'] },
  pager: { kind: 'pagerduty', routingKey: 'R0ut1ngK3y' },
  webhook: { url: 'https://hooks.cloudsoft.test/ticketd', secret: 'hook-secret' },
  security: { senderAuth: 'authres', authservId: 'mx.cloudsoft.test' },
};

function unfinishedOf(raw: unknown): string[] {
  const result = validateConfig(raw);
  if (!result.ok) throw new Error(`invalid: ${JSON.stringify(result.problems)}`);
  return result.unfinished.map((problem) => `${problem.path}: ${problem.message}`);
}

describe('placeholders and empty secrets', () => {
  it('finds nothing in a config whose every setting is real', () => {
    expect(unfinishedOf(finished)).toEqual([]);
  });

  it("flags every placeholder the example file ships, by key, without repeating it", () => {
    const example = parse(readFileSync(new URL('../../config/ticketd.example.yaml', import.meta.url), 'utf8')) as unknown;
    const found = unfinishedOf(example);
    expect(found.map((line) => line.split(':')[0])).toEqual(
      expect.arrayContaining(['imap.host', 'imap.user', 'imap.password', 'smtp.password', 'support.address', 'support.customerDomains.0', 'pager.routingKey', 'security.authservId']),
    );
    expect(found.join('\n')).not.toMatch(/change-me|your-32-character-integration-key/);
    expect(found).toContain('imap.password: is a placeholder (from the example file or the README): set the real value (env TICKETD_IMAP_PASSWORD)');
  });

  it("flags the README's <angle bracket> placeholders and the usual change-me words anywhere", () => {
    expect(unfinishedOf({ ...finished, imap: { ...finished.imap, auth: 'oauth2', oauth2: { tokenUrl: 'https://login.test/token', clientId: '<application (client) id>', clientSecret: 'CHANGEME', scope: 'x' } } })).toEqual([
      'imap.oauth2.clientId: is a placeholder (from the example file or the README): set the real value (env TICKETD_IMAP_OAUTH2_CLIENT_ID)',
      'imap.oauth2.clientSecret: is a placeholder (from the example file or the README): set the real value (env TICKETD_IMAP_OAUTH2_CLIENT_SECRET)',
    ]);
  });

  it('names each secret the settings need but that is empty, with its variable', () => {
    const found = unfinishedOf({ ...finished, imap: { ...finished.imap, password: '' }, smtp: { ...finished.smtp, password: '' }, webhook: { ...finished.webhook, secret: '' }, security: { senderAuth: 'authres' } });
    expect(found.map((line) => line.split(':')[0])).toEqual(['imap.password', 'smtp.password', 'webhook.secret', 'security.authservId']);
    expect(found[0]).toContain('(env TICKETD_IMAP_PASSWORD)');
  });

  it('needs one link key for every instance on PostgreSQL unless the stores folder is shared, and refuses a malformed one', () => {
    const onPostgres = { ...finished, database: { url: 'postgres://ticketd@db.cloudsoft.test/ticketd' } };
    expect(unfinishedOf(onPostgres)).toEqual([
      'security.linkKey: is empty: database.url is set without a shared storage.path, so instances keep no common key file: each must seal and open password and verification links with this same key (env TICKETD_SECURITY_LINK_KEY)',
    ]);
    expect(unfinishedOf({ ...onPostgres, security: { ...finished.security, linkKey: 'ab'.repeat(32) } })).toEqual([]);
    expect(unfinishedOf({ ...onPostgres, storage: { path: '/srv/shared/ticketd' } })).toEqual([]);
    const malformed = validateConfig({ ...onPostgres, security: { ...finished.security, linkKey: 'short' } });
    expect(malformed.ok ? [] : malformed.problems.map((problem) => problem.path)).toEqual(['security.linkKey']);
  });

  it('needs no secret where the settings do not use one: SMTP without login, OAuth2, no webhook, senderAuth off', () => {
    expect(
      unfinishedOf({
        ...finished,
        imap: { ...finished.imap, password: '', auth: 'oauth2', oauth2: { tokenUrl: 'https://login.test/token', clientId: 'app', clientSecret: 's3cr3t', scope: 'x' } },
        smtp: { host: 'smtp.acme-support.test' },
        webhook: { url: '' },
        security: { senderAuth: 'off' },
      }),
    ).toEqual([]);
  });
});
