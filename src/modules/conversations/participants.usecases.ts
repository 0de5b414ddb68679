import type { Config } from '../../config/config.schema.js';
import type { Db } from '../../shared/db.js';
import { identityOfRef } from '../desk/mailboxes.models.js';
import { createLifecycleRepository } from '../tickets/lifecycle.repository.js';
import { createTicketsRepository, type TicketRow } from '../tickets/tickets.repository.js';

export type ParticipantChange = { action: 'add' | 'remove'; address: string | undefined };

/**
 * Letting people into a ticket's conversation and out of it: an engineer's `#participant add|remove ADDR`,
 * the requester's `#participant remove ADDR`, and `ticketd participants` for operators. Every change (and
 * every refused one) leaves an internal note saying who did what. Async; the caller owns the transaction (the
 * check of who is in and the change with its note must commit together: call `change` inside `db.transaction`).
 * Notes are from the address of the ticket's mailbox.
 */
export function createParticipants({ db, config }: { db: Db; config: Pick<Config, 'support' | 'imap'> }) {
  const tickets = createTicketsRepository({ db });
  const repository = createLifecycleRepository({ db });

  /** Applies one change; returns what happened in words (also the note on the ticket). */
  async function change({ ticket, change: { action, address }, by, at }: { ticket: Pick<TicketRow, 'id' | 'ref' | 'requesterEmail'>; change: ParticipantChange; by: string; at: Date }): Promise<string> {
    const note = async (text: string) => {
      await tickets.appendNote({ ticketId: ticket.id, text, from: identityOfRef(config, ticket.ref).address, at });
      return text;
    };
    if (address === undefined) return note(`#participant ${action} by ${by}: not an email address, nothing changed.`);
    if (address === ticket.requesterEmail.toLowerCase()) return note(`#participant ${action} ${address} by ${by}: the requester is always in the conversation.`);
    if (action === 'add') {
      const before = (await repository.listParticipants(ticket.id)).includes(address);
      await repository.addParticipants(ticket.id, [address], at);
      return note(before ? `${address} was already a participant (${by}).` : `${address} added as a participant by ${by}: their mail is now public on this ticket and they get our replies in Cc.`);
    }
    return note((await repository.removeParticipant(ticket.id, address)) ? `${address} removed from the participants by ${by}.` : `${address} is not a participant (${by}): nothing changed.`);
  }

  function list(ticketId: number): Promise<string[]> {
    return repository.listParticipants(ticketId);
  }

  return { change, list };
}

export type Participants = ReturnType<typeof createParticipants>;
