import type { Config } from '../../config/config.schema.js';
import { domainOf } from '../desk/address.models.js';
import { ownAddresses } from '../desk/mailboxes.models.js';
import type { InboundMessage } from '../desk/inbound.types.js';
import type { CustomersRepository } from '../customers/customers.repository.js';
import type { Registration } from './intake.models.js';
import { senderRoleOf, type SenderRole } from './sender.models.js';

/**
 * The pipeline's "check the sender" step: who wrote the mail by its From (engineer, customer of an approved
 * domain, one of our own addresses, unknown) and where that address stands with registration. Reads the
 * database, so it runs inside the write transaction with the decision.
 */
export function createSenderCheck({ customers, config }: { customers: CustomersRepository; config: Pick<Config, 'support' | 'imap'> }) {
  // Mail from any mailbox of the desk (billing@ as much as help@) is our own: never a customer's ticket.
  const own = ownAddresses(config);
  /** `release`: `quarantine release`, where an operator vouches for this one unknown sender. */
  async function roleOf(message: InboundMessage, { release = false }: { release?: boolean } = {}): Promise<SenderRole> {
    const from = message.from?.address ?? '';
    // Approved domains live in the database (seeded from support.customerDomains, managed by `ticketd domains`).
    const approved = config.support.customerDomains.includes(domainOf(from)) || (await customers.isApprovedDomain(domainOf(from)));
    const customerDomains = approved ? [domainOf(from)] : [];
    const role = senderRoleOf({ from, ownAddresses: own, customerDomains, engineerDomains: config.support.engineerDomains });
    return release && role === 'unknown' ? 'customer' : role;
  }

  async function registrationOf(address: string): Promise<Registration> {
    const user = await customers.findUser(address);
    if (user?.status === 'disabled') return 'disabled';
    if (!config.support.requireRegistration) return 'not-required';
    return user?.status ?? 'unregistered';
  }

  return { roleOf, registrationOf };
}

export type SenderCheck = ReturnType<typeof createSenderCheck>;
