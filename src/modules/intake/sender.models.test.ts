import { describe, expect, it } from 'vitest';
import { senderRoleOf } from './sender.models.js';

describe('senderRoleOf', () => {
  const desk = { ownAddresses: ['help@cloudsoft.test', 'billing@cloudsoft.test'], customerDomains: ['acme.test'], engineerDomains: ['cloudsoft.test'] };

  it('calls mail from any mailbox of ours, in any case, our own (a loop), before the engineers\' domain', () => {
    expect(senderRoleOf({ ...desk, from: 'help@cloudsoft.test' })).toBe('own');
    expect(senderRoleOf({ ...desk, from: 'Billing@CloudSoft.test' })).toBe('own');
  });

  it('tells engineers, customers and unknown senders apart', () => {
    expect(senderRoleOf({ ...desk, from: 'erin@cloudsoft.test' })).toBe('engineer');
    expect(senderRoleOf({ ...desk, from: 'alice@acme.test' })).toBe('customer');
    expect(senderRoleOf({ ...desk, from: 'billing@evil.test' })).toBe('unknown');
    expect(senderRoleOf({ ...desk, from: undefined })).toBe('unknown');
  });
});
