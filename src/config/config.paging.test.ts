import { describe, expect, it } from 'vitest';
import { applyEnvOverrides, validateConfig } from './config.loader.js';

const base = {
  imap: { host: '127.0.0.1', user: 'help@cloudsoft.test' },
  smtp: { host: '127.0.0.1' },
  support: { address: 'help@cloudsoft.test' },
};

describe('paging, webhook and SLA configuration', () => {
  it('defaults to paging SEV1/SEV2 always and SEV3/SEV4 in business hours, with 30m/2h/8bh/2bd first-response targets', () => {
    const result = validateConfig(base);
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.config.paging.policy).toEqual({ SEV1: 'always', SEV2: 'always', SEV3: 'business-hours', SEV4: 'business-hours' });
    expect(result.config.sla.firstResponse).toEqual({ SEV1: '30m', SEV2: '2h', SEV3: '8bh', SEV4: '2bd' });
    expect(result.config.webhook.url).toBe('');
  });

  it('reads routing-key maps and per-organisation SLA overrides from JSON environment variables', () => {
    const raw = applyEnvOverrides(base, {
      TICKETD_PAGER_ORGANISATION_ROUTING_KEYS: '{"acme.test":"acme-key"}',
      TICKETD_SLA_ORGANISATIONS: '{"acme.test":{"firstResponse":{"SEV1":"15m"}}}',
      TICKETD_PAGING_POLICY_SEV3: 'always',
    });
    const result = validateConfig(raw);
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.config.pager.organisationRoutingKeys).toEqual({ 'acme.test': 'acme-key' });
    expect(result.config.sla.organisations).toEqual({ 'acme.test': { firstResponse: { SEV1: '15m' } } });
    expect(result.config.paging.policy.SEV3).toBe('always');
  });

  it('names every bad paging and SLA key with its path', () => {
    const result = validateConfig({
      ...base,
      paging: { timezone: 'Mars/Olympus', businessHoursStart: '18:00', businessHoursEnd: '09:00', businessDays: [], holidays: ['25.12.2026'], policy: { SEV3: 'sometimes' } },
      sla: { firstResponse: { SEV1: 'soon' } },
    });
    expect(result.ok).toBe(false);
    const paths = result.ok ? [] : result.problems.map((problem) => problem.path);
    expect(paths).toEqual(expect.arrayContaining(['paging.timezone', 'paging.businessDays', 'paging.holidays.0', 'paging.policy.SEV3', 'sla.firstResponse.SEV1']));
  });

  it('requires webhook.url when pager.kind is webhook', () => {
    const result = validateConfig({ ...base, pager: { kind: 'webhook' } });
    expect(result).toMatchObject({ ok: false, problems: [{ path: 'webhook.url', message: 'is required when pager.kind is webhook' }] });
  });
});
