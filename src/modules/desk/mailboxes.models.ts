/**
 * The desk's mailboxes (issue 18): `imap.mailboxes`, each a folder of the IMAP login with its own address and
 * ticket prefix; or, when that list is empty, the one mailbox `imap.mailbox` with `support.address` and
 * `support.ticketPrefix`. A ticket belongs to the mailbox whose prefix its ref carries: its mail goes out from
 * that mailbox's address. Mail that came in any other way (LMTP, the portal, `ticketd ingest`) and account mail
 * belong to the desk itself: `support.address`, `support.ticketPrefix`.
 */
export type DeskMailbox = {
  /** Key of its cursor, lease and the `source` of its inbound rows; the folder itself when there is no list. */
  name: string;
  folder: string;
  address: string;
  prefix: string;
  processedFolder: string;
};

/** Where a ticket's mail comes from and what its refs look like. */
export type DeskIdentity = { address: string; prefix: string };

export type MailboxesConfig = {
  imap?: { mailbox: string; processedFolder: string; mailboxes?: Array<Omit<DeskMailbox, 'processedFolder'> & { processedFolder?: string }> } | undefined;
  support: { address: string; ticketPrefix: string };
};

/** The mailboxes the IMAP side reads, in the configured order; none without an imap section. */
export function deskMailboxes(config: MailboxesConfig): DeskMailbox[] {
  const { imap, support } = config;
  if (!imap) return [];
  if (imap.mailboxes && imap.mailboxes.length > 0) return imap.mailboxes.map((mailbox) => ({ ...mailbox, address: mailbox.address.toLowerCase(), processedFolder: mailbox.processedFolder ?? '' }));
  return [{ name: imap.mailbox, folder: imap.mailbox, address: support.address.toLowerCase(), prefix: support.ticketPrefix, processedFolder: imap.processedFolder }];
}

/** The desk itself: `support.address` and `support.ticketPrefix`. */
export function primaryIdentity(config: MailboxesConfig): DeskIdentity {
  return { address: config.support.address.toLowerCase(), prefix: config.support.ticketPrefix };
}

/** The identity new tickets from `source` (an inbound row's source: a mailbox name, `lmtp`, `web`, `file`) get. */
export function identityOfSource(config: MailboxesConfig, source: string): DeskIdentity {
  const mailbox = deskMailboxes(config).find((candidate) => candidate.name === source);
  return mailbox ? { address: mailbox.address, prefix: mailbox.prefix } : primaryIdentity(config);
}

/** The identity of the ticket `ref` (`BILL-12`): the mailbox with its prefix, else the desk's. */
export function identityOfRef(config: MailboxesConfig, ref: string): DeskIdentity {
  const dash = ref.lastIndexOf('-');
  const prefix = dash > 0 ? ref.slice(0, dash).toUpperCase() : '';
  const mailbox = deskMailboxes(config).find((candidate) => candidate.prefix === prefix);
  return mailbox ? { address: mailbox.address, prefix: mailbox.prefix } : primaryIdentity(config);
}

/** Every address of ours: mail from one of them is our own, and a reply token may be addressed to any. */
export function ownAddresses(config: MailboxesConfig): string[] {
  return [...new Set([primaryIdentity(config).address, ...deskMailboxes(config).map((mailbox) => mailbox.address)])];
}

/** Every ticket prefix of ours, the desk's first: a ref in a subject may carry any of them. */
export function ticketPrefixes(config: MailboxesConfig): string[] {
  return [...new Set([config.support.ticketPrefix, ...deskMailboxes(config).map((mailbox) => mailbox.prefix)])];
}
