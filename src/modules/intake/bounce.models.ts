import type { InboundMessage } from '../desk/inbound.types.js';

const QUOTED_PARTS = new Set(['message/rfc822', 'text/rfc822-headers', 'message/rfc822-headers', 'message/global', 'message/global-headers']);
const STATUS_PARTS = new Set(['message/delivery-status', 'message/global-delivery-status']);

function quotedTexts(message: InboundMessage): string[] {
  return [...message.attachments.filter((part) => QUOTED_PARTS.has(part.contentType)).map((part) => part.content?.toString('utf8') ?? ''), message.text];
}

/**
 * Message-IDs of the original mail a bounce or an out-of-office quotes (the returned message or its
 * headers, or the text some MTAs paste into the body): how a bounce of OUR mail finds its ticket.
 */
export function quotedMessageIds(message: InboundMessage): string[] {
  const ids = new Set<string>();
  for (const text of quotedTexts(message)) {
    for (const match of text.matchAll(/^(?:>\s*)?Message-ID:\s*<([^>\s]+)>/gim)) ids.add(match[1] as string);
  }
  return [...ids];
}

/** `Final-Recipient: rfc822; bob@acme.test` of a DSN, lower-cased; empty when there is none. */
export function failedRecipients(message: InboundMessage): string[] {
  const texts = message.attachments.filter((part) => STATUS_PARTS.has(part.contentType)).map((part) => part.content?.toString('utf8') ?? '');
  const found = new Set<string>();
  for (const text of texts) {
    for (const match of text.matchAll(/^(?:Final|Original)-Recipient:\s*[a-z0-9-]+;\s*<?([^\s<>]+@[^\s<>]+)>?/gim)) found.add((match[1] as string).toLowerCase());
  }
  for (const value of message.headers.get('x-failed-recipients') ?? []) {
    for (const address of value.split(',')) if (address.includes('@')) found.add(address.trim().toLowerCase());
  }
  return [...found];
}
