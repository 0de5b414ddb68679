/**
 * Who may see which ticket on the portal, pure. Engineers see every ticket. A customer sees the tickets they
 * opened and those they take part in (a colleague put them in To/Cc); an organisation's manager sees every
 * ticket of the organisation. Anything else is answered as if the ticket did not exist (404, never 403), so
 * refs cannot be probed.
 */
export type Viewer = { email: string; role: 'member' | 'manager' | 'engineer'; organisationId: number | null };
export type TicketAccessFacts = { requesterEmail: string; participants: string[]; organisationId: number | null };

export function maySee(viewer: Viewer, ticket: TicketAccessFacts): boolean {
  if (viewer.role === 'engineer') return true;
  const email = viewer.email.toLowerCase();
  if (ticket.requesterEmail.toLowerCase() === email) return true;
  if (ticket.participants.some((address) => address.toLowerCase() === email)) return true;
  return viewer.role === 'manager' && viewer.organisationId !== null && ticket.organisationId === viewer.organisationId;
}

/** Whoever may see a ticket may write on it: a reply, or (customers) marking it resolved. */
export function mayWrite(viewer: Viewer, ticket: TicketAccessFacts): boolean {
  return maySee(viewer, ticket);
}

/** Customers never see engineers' internal messages (notes, notifications, system notes). */
export function visibleTo<T extends { visibility: 'public' | 'internal' }>(viewer: Viewer, messages: T[]): T[] {
  return viewer.role === 'engineer' ? messages : messages.filter((message) => message.visibility === 'public');
}

/** A customer may mark their ticket resolved while it is not resolved or closed yet. */
export function mayMarkResolved(viewer: Viewer, ticket: { status: string }): boolean {
  return viewer.role !== 'engineer' && ticket.status !== 'resolved' && ticket.status !== 'closed';
}

export type StatusFilter = 'open' | 'closed' | 'all';
export const OPEN_STATUSES = ['new', 'open', 'pending'] as const;
export const CLOSED_STATUSES = ['resolved', 'closed'] as const;

/** `/tickets?status=`: anything unexpected means open, the default view. */
export function statusFilterOf(value: unknown): StatusFilter {
  return value === 'closed' || value === 'all' ? value : 'open';
}

/** `%`, `_` and the escape character itself, escaped for `LIKE ... ESCAPE '\'`: a search for "50%" finds "50%". */
export function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
}
