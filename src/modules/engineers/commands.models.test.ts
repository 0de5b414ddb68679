import { describe, expect, it } from 'vitest';
import { parseEngineerReply } from './commands.models.js';

describe('parseEngineerReply', () => {
  it('reads every command on a line of its own and keeps the rest as the reply text', () => {
    const reply = parseEngineerReply('Rolled back the deploy.\n#severity SEV2\n  #pending  \n#assign me\nPlease confirm.');
    expect(reply.commands).toEqual([{ kind: 'severity', severity: 'SEV2' }, { kind: 'pending' }, { kind: 'assign-me' }]);
    expect(reply.internal).toBe(false);
    expect(reply.text).toBe('Rolled back the deploy.\nPlease confirm.');
  });

  it('marks a reply with #note as internal and drops the command line', () => {
    expect(parseEngineerReply('#note\nCustomer is on the old plan, check billing.')).toEqual({
      commands: [{ kind: 'note' }],
      internal: true,
      text: 'Customer is on the old plan, check billing.',
    });
  });

  it('reads "#note" with text on the same line as a note, keeping the text: an internal remark is never relayed', () => {
    expect(parseEngineerReply('We rolled back the deploy.\n\n#note rollback done by hand, write the post-mortem')).toEqual({
      commands: [{ kind: 'note' }],
      internal: true,
      text: 'We rolled back the deploy.\n\nrollback done by hand, write the post-mortem',
    });
    expect(parseEngineerReply('#Note: check billing').internal).toBe(true);
    expect(parseEngineerReply('#notes for later').internal).toBe(false);
  });

  it('accepts #resolve, #close and case or spacing variants such as "#Severity sev 1"', () => {
    expect(parseEngineerReply('#RESOLVE').commands).toEqual([{ kind: 'resolve' }]);
    expect(parseEngineerReply('#close').commands).toEqual([{ kind: 'close' }]);
    expect(parseEngineerReply('#Severity sev 1').commands).toEqual([{ kind: 'severity', severity: 'SEV1' }]);
  });

  it('keeps unknown #words, commands inside a sentence and bad severities as plain text', () => {
    const text = '#hashtag support\nplease #close this later\n#severity SEV9\n#assign you';
    expect(parseEngineerReply(text)).toEqual({ commands: [], internal: false, text });
  });

  it('reads "#participant add ADDR" and "#participant remove ADDR", and marks a line without a real address', () => {
    const reply = parseEngineerReply('Letting Carl in.\n#participant add Carl Contractor <Carl@Partner.example>\n#participant remove bob@acme.test\n#participant add nobody');
    expect(reply.commands).toEqual([
      { kind: 'participant', action: 'add', address: 'carl@partner.example' },
      { kind: 'participant', action: 'remove', address: 'bob@acme.test' },
      { kind: 'participant', action: 'add', address: undefined },
    ]);
    expect(reply.text).toBe('Letting Carl in.');
  });
});
