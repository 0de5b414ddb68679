/**
 * Message-IDs a reply names, most specific first: In-Reply-To, then References from the newest (last) back.
 * Duplicates are dropped, so a reference loop or a repeated id costs nothing.
 */
export function candidateParentIds({ inReplyTo, references }: { inReplyTo: string[]; references: string[] }): string[] {
  return [...new Set([...inReplyTo, ...[...references].reverse()])];
}

export type ThreadCandidate = { id: number; ref: string; status: string; requesterEmail: string; participants: string[] };
/** `portal`: written on the ticket's own page by someone the portal let see it (no mail threading involved). */
export type ThreadVia = 'message-id' | 'token' | 'subject-ref' | 'portal';
export type ThreadMatch =
  | { kind: 'ticket'; ticketId: number; via: ThreadVia }
  /** No ticket takes this mail: a new one, linked to a closed ticket it answered, noting a ref it may not use. */
  | { kind: 'new'; linkedTicketId?: number; foreignRef?: string };

/**
 * Which ticket a mail belongs to, from the candidates each step found, in the order of trust: (1) a ticket
 * holding one of its In-Reply-To/References ids, (2) a ticket named by our signed token, (3) the ref in the
 * subject. A candidate is accepted only from a sender who may write on it: an engineer, a participant, or
 * the requester's organisation (same domain). Customer B quoting customer A's ref, or replying under ids
 * forwarded from A, opens a ticket of B's own with the ref noted, never lands on A's (zammad#5064). A
 * customer answering a closed ticket opens a new ticket linked to it.
 */
export function matchThread({
  sender,
  byMessageId,
  byToken,
  bySubjectRef,
}: {
  sender: { address: string; role: 'customer' | 'engineer' };
  byMessageId: ThreadCandidate[];
  byToken: ThreadCandidate[];
  bySubjectRef: ThreadCandidate | undefined;
}): ThreadMatch {
  const steps: Array<[ThreadVia, ThreadCandidate]> = [
    ...byMessageId.map((ticket): [ThreadVia, ThreadCandidate] => ['message-id', ticket]),
    ...byToken.map((ticket): [ThreadVia, ThreadCandidate] => ['token', ticket]),
    ...(bySubjectRef ? [['subject-ref', bySubjectRef] as [ThreadVia, ThreadCandidate]] : []),
  ];
  let foreignRef: string | undefined;
  for (const [via, ticket] of steps) {
    if (!mayWriteOn(sender, ticket)) {
      foreignRef ??= ticket.ref;
      continue;
    }
    if (ticket.status === 'closed' && sender.role === 'customer') return { kind: 'new', linkedTicketId: ticket.id };
    return { kind: 'ticket', ticketId: ticket.id, via };
  }
  return foreignRef ? { kind: 'new', foreignRef } : { kind: 'new' };
}

export function mayWriteOn(sender: { address: string; role: 'customer' | 'engineer' }, ticket: Pick<ThreadCandidate, 'requesterEmail' | 'participants'>): boolean {
  if (sender.role === 'engineer') return true;
  const address = sender.address.toLowerCase();
  if (address === '') return false;
  if (address === ticket.requesterEmail.toLowerCase() || ticket.participants.some((participant) => participant.toLowerCase() === address)) return true;
  return domainOf(address) !== '' && domainOf(address) === domainOf(ticket.requesterEmail);
}

function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? '' : address.slice(at + 1).toLowerCase();
}
