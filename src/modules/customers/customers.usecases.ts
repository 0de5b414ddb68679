import type { Db } from '../../shared/db.js';
import { defaultOrganisationOf } from './customers.models.js';
import { createCustomersRepository } from './customers.repository.js';

/**
 * `support.customerDomains` seeds the approved domains at start-up (each its own organisation unless the
 * operator named one with `ticketd domains add`). Idempotent; domains added by the CLI are kept.
 */
export async function seedCustomerDomains({ db, domains, at }: { db: Db; domains: string[]; at: Date }): Promise<number> {
  const customers = createCustomersRepository({ db });
  return db.transaction(async () => {
    let added = 0;
    for (const domain of domains) if (await customers.addDomain({ domain, organisation: defaultOrganisationOf(domain), origin: 'config', at })) added += 1;
    return added;
  });
}
