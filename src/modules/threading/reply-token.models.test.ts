import { describe, expect, it } from 'vitest';
import { outboundMessageId, plusAddress, refsFromTokens, replyToken, verifyToken } from './reply-token.models.js';

const secret = 'test-secret-0123456789';

describe('signed reply tokens', () => {
  it('signs a ref into a token that verifies back to the ref', () => {
    const token = replyToken({ ref: 'CS-12', secret });
    expect(token).toMatch(/^cs-12\.[0-9a-f]{20}$/);
    expect(verifyToken({ value: token, secret })).toBe('CS-12');
  });

  it('rejects a token for another ref, a tampered signature, another secret and an empty secret', () => {
    const token = replyToken({ ref: 'CS-12', secret });
    const signature = token.split('.')[1] ?? '';
    expect(verifyToken({ value: `cs-13.${signature}`, secret })).toBeUndefined();
    expect(verifyToken({ value: `cs-12.${signature.replace(/.$/, (c) => (c === '0' ? '1' : '0'))}`, secret })).toBeUndefined();
    expect(verifyToken({ value: token, secret: 'other-secret' })).toBeUndefined();
    expect(verifyToken({ value: token, secret: '' })).toBeUndefined();
  });

  it('puts the token in our Message-IDs and plus addresses and finds it again in a reply', () => {
    const messageId = outboundMessageId({ ref: 'CS-12', secret, unique: 'abc', domain: 'cloudsoft.test' });
    expect(messageId).toBe(`${replyToken({ ref: 'CS-12', secret })}.abc@cloudsoft.test`);
    const reply = plusAddress({ supportAddress: 'help@cloudsoft.test', ref: 'CS-7', secret });
    expect(reply).toMatch(/^help\+cs-7\.[0-9a-f]{20}@cloudsoft\.test$/);
    expect(refsFromTokens({ parentIds: ['other@x.test', messageId], recipients: [reply.toUpperCase(), 'help@cloudsoft.test'], supportAddress: 'help@cloudsoft.test', secret })).toEqual(['CS-7', 'CS-12']);
  });

  it('ignores a plus address of another mailbox or domain and ids without a valid token', () => {
    const token = replyToken({ ref: 'CS-7', secret });
    expect(refsFromTokens({ parentIds: ['cs-7.0000000000000000000a.x@cloudsoft.test'], recipients: [`sales+${token}@cloudsoft.test`, `help+${token}@evil.test`], supportAddress: 'help@cloudsoft.test', secret })).toEqual([]);
  });
});

describe('reply tokens of a desk with several mailboxes', () => {
  it('finds a token addressed to a plus address of any of our mailboxes, and of no other', () => {
    const billing = plusAddress({ supportAddress: 'billing@cloudsoft.test', ref: 'BILL-3', secret });
    const help = plusAddress({ supportAddress: 'help@cloudsoft.test', ref: 'CS-4', secret });
    const token = replyToken({ ref: 'BILL-5', secret });
    const recipients = [billing, help.toUpperCase(), `sales+${token}@cloudsoft.test`, `billing+${token}@evil.test`];
    expect(refsFromTokens({ parentIds: [], recipients, supportAddress: ['help@cloudsoft.test', 'Billing@Cloudsoft.test'], secret })).toEqual(['BILL-3', 'CS-4']);
    expect(refsFromTokens({ parentIds: [], recipients, supportAddress: 'help@cloudsoft.test', secret })).toEqual(['CS-4']);
  });
});
