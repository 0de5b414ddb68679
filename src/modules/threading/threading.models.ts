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
  /**
   * `outsider`: the sender may not write on the ticket (another organisation, not a participant) but the
   * mail answers one of its messages: it joins as an internal message with no effect the customer sees.
   */
  | { kind: 'ticket'; ticketId: number; via: ThreadVia; outsider?: true }
  /** No ticket takes this mail: a new one, linked to a closed ticket it answered, noting a ref it may not use. */
  | { kind: 'new'; linkedTicketId?: number; foreignRef?: string };

/**
 * Which ticket a mail belongs to, from the candidates each step found, in the order of trust: (1) a ticket
 * holding one of its In-Reply-To/References ids, (2) a ticket named by our signed token, (3) the ref in the
 * subject. A candidate is taken as it is from a sender who may write on it: an engineer, a participant, or
 * the requester's organisation (same domain). A customer answering a closed ticket opens a new ticket
 * linked to it.
 *
 * Anyone else is an outsider. An outsider whose mail answers one of the ticket's messages (steps 1 and 2:
 * a list member or a Cc'd contractor replying to all) joins that ticket as an outsider, so one discussion
 * stays one ticket; intake stores it for engineers only. A ref in the subject proves nothing (anyone can
 * type it): customer B quoting customer A's ref opens a ticket of B's own with the ref noted, never lands on
 * A's (zammad#5064).
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
  let answered: { via: ThreadVia; ticket: ThreadCandidate } | undefined;
  for (const [via, ticket] of steps) {
    if (!mayWriteOn(sender, ticket)) {
      foreignRef ??= ticket.ref;
      if (via !== 'subject-ref') answered ??= { via, ticket };
      continue;
    }
    if (ticket.status === 'closed' && sender.role === 'customer') return { kind: 'new', linkedTicketId: ticket.id };
    return { kind: 'ticket', ticketId: ticket.id, via };
  }
  if (answered) return { kind: 'ticket', ticketId: answered.ticket.id, via: answered.via, outsider: true };
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
