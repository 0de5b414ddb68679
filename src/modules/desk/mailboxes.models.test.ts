import { describe, expect, it } from 'vitest';
import { deskMailboxes, identityOfRef, identityOfSource, ownAddresses, primaryIdentity, ticketPrefixes, type MailboxesConfig } from './mailboxes.models.js';

const support = { address: 'Help@CloudSoft.test', ticketPrefix: 'CS' };
const single: MailboxesConfig = { imap: { mailbox: 'INBOX', processedFolder: 'Done' }, support };
const several: MailboxesConfig = {
  imap: {
    mailbox: 'INBOX',
    processedFolder: '',
    mailboxes: [
      { name: 'support', folder: 'INBOX', address: 'Help@CloudSoft.test', prefix: 'CS', processedFolder: 'Done' },
      { name: 'billing', folder: 'Billing', address: 'Billing@CloudSoft.test', prefix: 'BILL' },
    ],
  },
  support,
};

describe('deskMailboxes', () => {
  it('is one mailbox named after imap.mailbox, with support.address and support.ticketPrefix, when there is no list', () => {
    expect(deskMailboxes(single)).toEqual([{ name: 'INBOX', folder: 'INBOX', address: 'help@cloudsoft.test', prefix: 'CS', processedFolder: 'Done' }]);
    expect(deskMailboxes({ ...single, imap: { mailbox: 'Support', processedFolder: '', mailboxes: [] } })).toEqual([{ name: 'Support', folder: 'Support', address: 'help@cloudsoft.test', prefix: 'CS', processedFolder: '' }]);
  });

  it('is the configured list in its order, addresses lower-cased, a missing processedFolder empty', () => {
    expect(deskMailboxes(several)).toEqual([
      { name: 'support', folder: 'INBOX', address: 'help@cloudsoft.test', prefix: 'CS', processedFolder: 'Done' },
      { name: 'billing', folder: 'Billing', address: 'billing@cloudsoft.test', prefix: 'BILL', processedFolder: '' },
    ]);
  });

  it('is none without an imap section (mail over LMTP only)', () => {
    expect(deskMailboxes({ support })).toEqual([]);
  });
});

describe('the identity of a source and of a ref', () => {
  it('gives the desk itself, lower-cased, as the primary identity', () => {
    expect(primaryIdentity(several)).toEqual({ address: 'help@cloudsoft.test', prefix: 'CS' });
  });

  it('gives mail of a mailbox that mailbox\'s address and prefix', () => {
    expect(identityOfSource(several, 'billing')).toEqual({ address: 'billing@cloudsoft.test', prefix: 'BILL' });
    expect(identityOfSource(several, 'support')).toEqual({ address: 'help@cloudsoft.test', prefix: 'CS' });
    expect(identityOfSource(single, 'INBOX')).toEqual({ address: 'help@cloudsoft.test', prefix: 'CS' });
  });

  it('gives mail from LMTP, the portal, a file or an unknown source the desk\'s identity', () => {
    for (const source of ['lmtp', 'web', 'file', 'Billing', 'nonesuch']) expect(identityOfSource(several, source)).toEqual({ address: 'help@cloudsoft.test', prefix: 'CS' });
    expect(identityOfSource({ support }, 'lmtp')).toEqual({ address: 'help@cloudsoft.test', prefix: 'CS' });
  });

  it('finds a ticket\'s mailbox by the prefix of its ref, whatever its case', () => {
    expect(identityOfRef(several, 'BILL-12')).toEqual({ address: 'billing@cloudsoft.test', prefix: 'BILL' });
    expect(identityOfRef(several, 'bill-3')).toEqual({ address: 'billing@cloudsoft.test', prefix: 'BILL' });
    expect(identityOfRef(several, 'CS-7')).toEqual({ address: 'help@cloudsoft.test', prefix: 'CS' });
  });

  it('gives a ref of no mailbox (an old prefix, no prefix at all) the desk\'s identity', () => {
    for (const ref of ['OLD-4', 'BIL-1', '12', '-3', '']) expect(identityOfRef(several, ref)).toEqual({ address: 'help@cloudsoft.test', prefix: 'CS' });
    expect(identityOfRef({ support }, 'CS-1')).toEqual({ address: 'help@cloudsoft.test', prefix: 'CS' });
  });
});

describe('ownAddresses and ticketPrefixes', () => {
  it('list every address of the desk once, lower-cased, the desk\'s first', () => {
    expect(ownAddresses(several)).toEqual(['help@cloudsoft.test', 'billing@cloudsoft.test']);
    expect(ownAddresses(single)).toEqual(['help@cloudsoft.test']);
    expect(ownAddresses({ support })).toEqual(['help@cloudsoft.test']);
  });

  it('keep support.address among our own even when no mailbox of the list has it', () => {
    const other: MailboxesConfig = { ...several, imap: { mailbox: 'INBOX', processedFolder: '', mailboxes: [{ name: 'billing', folder: 'Billing', address: 'billing@cloudsoft.test', prefix: 'BILL' }] } };
    expect(ownAddresses(other)).toEqual(['help@cloudsoft.test', 'billing@cloudsoft.test']);
    expect(ticketPrefixes(other)).toEqual(['CS', 'BILL']);
  });

  it('list every ticket prefix once, the desk\'s first', () => {
    expect(ticketPrefixes(several)).toEqual(['CS', 'BILL']);
    expect(ticketPrefixes(single)).toEqual(['CS']);
    expect(ticketPrefixes({ support })).toEqual(['CS']);
  });
});
