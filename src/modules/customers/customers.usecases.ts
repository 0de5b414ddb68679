import type { Db } from '../../shared/db.js';
import { defaultOrganisationOf } from './customers.models.js';
import { createCustomersRepository } from './customers.repository.js';

/**
 * `support.customerDomains` seeds the approved domains at start-up (each its own organisation unless the
 * operator named one with `ticketd domains add`). Idempotent; domains added by the CLI are kept.
 */
export function seedCustomerDomains({ db, domains, at }: { db: Db; domains: string[]; at: Date }): number {
  const customers = createCustomersRepository({ db });
  return db.transaction(() => domains.filter((domain) => customers.addDomain({ domain, organisation: defaultOrganisationOf(domain), origin: 'config', at })).length, { behavior: 'immediate' });
}
