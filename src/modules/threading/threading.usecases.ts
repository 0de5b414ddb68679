import type { Config } from '../../config/config.schema.js';
import type { Db } from '../../shared/db.js';
import type { InboundMessage } from '../desk/inbound.types.js';
import { refsFromTokens } from './reply-token.models.js';
import { candidateParentIds, matchThread, type ThreadMatch } from './threading.models.js';
import { createThreadingRepository } from './threading.repository.js';
import { ownAddresses, ticketPrefixes } from '../desk/mailboxes.models.js';
import { refInSubjectOf } from '../desk/ticket.models.js';

/**
 * Gathers the candidates of each threading step from the database and asks `matchThread`. Read-only. Every
 * mailbox of the desk counts: a ref with any of its prefixes, a token addressed to any of its addresses.
 */
export function createThreadMatcher({ db, config }: { db: Db; config: Pick<Config, 'support' | 'imap' | 'security'> }) {
  const repository = createThreadingRepository({ db });
  const addresses = ownAddresses(config);
  const prefixes = ticketPrefixes(config);

  async function match(message: InboundMessage, role: 'customer' | 'engineer'): Promise<ThreadMatch> {
    const parentIds = candidateParentIds(message);
    const recipients = [...message.to, ...message.cc].map((address) => address.address);
    const tokenRefs = refsFromTokens({ parentIds, recipients, supportAddress: addresses, secret: config.security.replyTokenSecret });
    const subjectRef = refInSubjectOf({ subject: message.subject, prefixes });
    return matchThread({
      sender: { address: message.from?.address ?? '', role },
      byMessageId: await repository.candidates(await repository.ticketIdsByMessageIds(parentIds)),
      byToken: await repository.candidatesByRefs(tokenRefs),
      bySubjectRef: subjectRef ? (await repository.candidatesByRefs([subjectRef]))[0] : undefined,
    });
  }

  /**
   * The ticket an automatic mail (bounce, out-of-office, read receipt) provably answers: one of its parent or
   * quoted ids is the Message-ID of mail WE sent on that ticket, found among our stored outbound mail or
   * carrying our signed token. Never a subject ref (refs are sequential, so guessable), never a customer's
   * id. Several tickets named: none (the mail cannot be about all of them).
   */
  async function matchOwnMail(answeredIds: string[]): Promise<{ ticketId: number; via: 'message-id' | 'token' } | undefined> {
    const stored = await repository.ticketIdsByOutboundMessageIds(answeredIds);
    const signed = (await repository.candidatesByRefs(refsFromTokens({ parentIds: answeredIds, recipients: [], supportAddress: addresses, secret: config.security.replyTokenSecret }))).map((ticket) => ticket.id);
    const tickets = [...new Set([...stored, ...signed])];
    if (tickets.length !== 1) return undefined;
    return { ticketId: tickets[0] as number, via: stored.length > 0 ? 'message-id' : 'token' };
  }

  return { match, matchOwnMail };
}

export type ThreadMatcher = ReturnType<typeof createThreadMatcher>;
