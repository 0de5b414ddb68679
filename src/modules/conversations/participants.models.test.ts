import { describe, expect, it } from 'vitest';
import { participantsFrom } from './participants.models.js';

const address = (value: string) => ({ address: value, name: '' });
const base = { requesterEmail: 'alice@acme.test', supportAddress: 'help@cloudsoft.test', engineerDomains: ['cloudsoft.test'] };

describe('participantsFrom', () => {
  it("takes everyone the requester put in To or Cc, but never help@, its plus addresses, engineers, robots or the mail's list", () => {
    const message = {
      from: address('alice@acme.test'),
      to: [address('help@cloudsoft.test'), address('dev@lists.acme.test')],
      cc: [address('carl@partner.example'), address('help+cs-1.abc@cloudsoft.test'), address('erin@cloudsoft.test'), address('no-reply@partner.example'), address('bob@acme.test')],
      headers: new Map([['list-post', ['<mailto:dev@lists.acme.test>']]]),
    };
    expect(participantsFrom({ ...base, message })).toEqual(['carl@partner.example', 'bob@acme.test']);
  });

  it("takes only the requester's colleagues from anyone else's mail", () => {
    const message = { from: address('carl@partner.example'), to: [address('help@cloudsoft.test')], cc: [address('dora@partner.example'), address('dave@acme.test')] };
    expect(participantsFrom({ ...base, message })).toEqual(['dave@acme.test']);
  });
});

describe('participantsFrom on a desk with several mailboxes', () => {
  it('never takes any mailbox of ours or its plus addresses, even outside the engineers\' domains', () => {
    const message = {
      from: address('alice@acme.test'),
      to: [address('Billing@Cloudsoft-Billing.test')],
      cc: [address('billing+bill-2.abc@cloudsoft-billing.test'), address('help@cloudsoft.test'), address('bob@acme.test'), address('billing@other.test')],
    };
    const own = { ...base, supportAddress: ['help@cloudsoft.test', 'billing@cloudsoft-billing.test'] };
    expect(participantsFrom({ ...own, message })).toEqual(['bob@acme.test', 'billing@other.test']);
    expect(participantsFrom({ ...base, message })).toEqual(['billing@cloudsoft-billing.test', 'billing+bill-2.abc@cloudsoft-billing.test', 'bob@acme.test', 'billing@other.test']);
  });
});
