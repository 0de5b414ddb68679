import { describe, expect, it } from 'vitest';
import { deskMailboxes } from '../modules/desk/mailboxes.models.js';
import { applyEnvOverrides, validateConfig } from './config.loader.js';

const base = {
  imap: { host: '127.0.0.1', user: 'help@cloudsoft.test' },
  smtp: { host: '127.0.0.1' },
  support: { address: 'help@cloudsoft.test' },
};
const billing = { name: 'billing', folder: 'Billing', address: 'Billing@Cloudsoft.test', prefix: 'BILL' };
const support = { name: 'support', folder: 'INBOX', address: 'help@cloudsoft.test', prefix: 'CS' };

describe('several mailboxes (imap.mailboxes)', () => {
  it('without a list is one mailbox named after imap.mailbox, with support.address and support.ticketPrefix', () => {
    const result = validateConfig(base);
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.config.imap?.mailboxes).toEqual([]);
    expect(deskMailboxes(result.config)).toEqual([{ name: 'INBOX', folder: 'INBOX', address: 'help@cloudsoft.test', prefix: 'CS', processedFolder: '' }]);
  });

  it('reads the list, with defaults (folder INBOX), and addresses in lower case', () => {
    const result = validateConfig({ ...base, imap: { ...base.imap, mailboxes: [{ ...support, folder: 'Support' }, { ...billing, folder: undefined }] } });
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(deskMailboxes(result.config)).toEqual([
      { ...support, folder: 'Support', processedFolder: '' },
      { name: 'billing', folder: 'INBOX', address: 'billing@cloudsoft.test', prefix: 'BILL', processedFolder: '' },
    ]);
  });

  it('refuses two mailboxes with one name, folder, address or prefix, and names each problem by its place', () => {
    const result = validateConfig({ ...base, imap: { ...base.imap, mailboxes: [support, { ...support, name: 'support', folder: 'Other', address: 'other@cloudsoft.test', prefix: 'CS' }] } });
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems.map((problem) => `${problem.path}: ${problem.message}`);
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/imap\.mailboxes\.1\.name.*imap\.mailboxes\[0\]\.name/), expect.stringMatching(/imap\.mailboxes\.1\.prefix/)]));
    expect(problems.some((problem) => problem.includes('mailboxes.1.folder'))).toBe(false);
  });

  it('refuses a bad name or prefix and an unknown key in an entry', () => {
    const result = validateConfig({ ...base, imap: { ...base.imap, mailboxes: [{ ...billing, name: 'Billing Desk', prefix: 'bill', colour: 'red' }] } });
    expect(result.ok).toBe(false);
    const paths = result.ok ? [] : result.problems.map((problem) => String(problem.path));
    expect(paths).toEqual(expect.arrayContaining(['imap.mailboxes.0.name', 'imap.mailboxes.0.prefix']));
    expect(JSON.stringify(result.ok ? {} : result.problems)).toContain('colour');
  });

  it('takes the list from TICKETD_IMAP_MAILBOXES as JSON', () => {
    const raw = applyEnvOverrides(base, { TICKETD_IMAP_MAILBOXES: JSON.stringify([support, billing]) });
    const result = validateConfig(raw);
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(deskMailboxes(result.config).map((mailbox) => `${mailbox.name}:${mailbox.prefix}:${mailbox.address}`)).toEqual(['support:CS:help@cloudsoft.test', 'billing:BILL:billing@cloudsoft.test']);
  });
});
