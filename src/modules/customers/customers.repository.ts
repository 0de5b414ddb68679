import { and, asc, eq, inArray, isNull } from 'drizzle-orm';
import type { Db } from '../../shared/db.js';
import { changedRows, firstRow, onlyRow } from '../../shared/db-results.js';
import { approvedDomains, bouncingAddresses, organisations, users, verificationTokens } from './customers.tables.js';
import type { UserStatus } from './customers.models.js';
import { domainOf } from '../desk/address.models.js';

export type UserRow = typeof users.$inferSelect;
export type DomainRow = typeof approvedDomains.$inferSelect;

/** Queries only; callers own the transaction. The same statements on SQLite and PostgreSQL (issue 18). */
export function createCustomersRepository({ db }: { db: Db }) {
  const t = db.tables({ approvedDomains, bouncingAddresses, organisations, users, verificationTokens });

  async function ensureOrganisation({ name, at }: { name: string; at: Date }): Promise<number> {
    return db.write(async () => {
      // Inside the write transaction, which runs alone: nobody inserts the same name in between.
      const found = firstRow(await db.select({ id: t.organisations.id }).from(t.organisations).where(eq(t.organisations.name, name)));
      if (found) return found.id;
      return onlyRow(await db.insert(t.organisations).values({ name, createdAt: at }).returning({ id: t.organisations.id })).id;
    });
  }

  async function addDomain({ domain, organisation, origin, at }: { domain: string; organisation: string; origin: 'config' | 'cli'; at: Date }): Promise<boolean> {
    return db.write(async () => {
      const organisationId = await ensureOrganisation({ name: organisation, at });
      return changedRows(await db.insert(t.approvedDomains).values({ domain, organisationId, origin, createdAt: at }).onConflictDoNothing()) > 0;
    });
  }

  async function removeDomain(domain: string): Promise<boolean> {
    return db.write(async () => changedRows(await db.delete(t.approvedDomains).where(eq(t.approvedDomains.domain, domain))) > 0);
  }

  async function listDomains(): Promise<Array<DomainRow & { organisation: string }>> {
    const rows = await db
      .select({ domain: t.approvedDomains, organisation: t.organisations.name })
      .from(t.approvedDomains)
      .innerJoin(t.organisations, eq(t.organisations.id, t.approvedDomains.organisationId))
      .orderBy(asc(t.approvedDomains.domain));
    return rows.map((row) => ({ ...row.domain, organisation: row.organisation }));
  }

  async function findDomain(domain: string): Promise<DomainRow | undefined> {
    return firstRow(await db.select().from(t.approvedDomains).where(eq(t.approvedDomains.domain, domain)));
  }

  async function isApprovedDomain(domain: string): Promise<boolean> {
    return (await findDomain(domain)) !== undefined;
  }

  /** Looked up for every message's sender (users_email_unique). */
  async function findUser(email: string): Promise<UserRow | undefined> {
    return firstRow(await db.select().from(t.users).where(eq(t.users.email, email.toLowerCase())));
  }

  async function findUserById(id: number): Promise<UserRow | undefined> {
    return firstRow(await db.select().from(t.users).where(eq(t.users.id, id)));
  }

  async function setRole({ email, role }: { email: string; role: UserRow['role'] }): Promise<void> {
    await db.write(async () => {
      await db.update(t.users).set({ role }).where(eq(t.users.email, email.toLowerCase()));
    });
  }

  async function setName({ email, name }: { email: string; name: string }): Promise<void> {
    await db.write(async () => {
      await db.update(t.users).set({ name }).where(eq(t.users.email, email.toLowerCase()));
    });
  }

  async function findUsers(emails: string[]): Promise<UserRow[]> {
    return emails.length === 0 ? [] : db.select().from(t.users).where(inArray(t.users.email, emails));
  }

  async function listUsers({ status }: { status?: UserStatus } = {}): Promise<Array<UserRow & { organisation: string | null }>> {
    const rows = await db
      .select({ user: t.users, organisation: t.organisations.name })
      .from(t.users)
      .leftJoin(t.organisations, eq(t.organisations.id, t.users.organisationId))
      .where(status ? eq(t.users.status, status) : undefined)
      .orderBy(asc(t.users.id));
    return rows.map((row) => ({ ...row.user, organisation: row.organisation }));
  }

  /** The organisation of an approved domain, or a named one (created if new: a write, so called inside one). */
  async function organisationFor({ email, organisation, at }: { email: string; organisation: string | undefined; at: Date }): Promise<number | null> {
    if (organisation) return ensureOrganisation({ name: organisation, at });
    return (await findDomain(domainOf(email)))?.organisationId ?? null;
  }

  /**
   * Creates or updates a user. `verified` always wins over pending (the company vouches for them); a
   * disabled user stays disabled unless `reenable`. Returns what happened, for the import report.
   */
  async function upsertUser({ email, name, organisation, status, at, reenable = false }: { email: string; name: string; organisation?: string; status: UserStatus; at: Date; reenable?: boolean }): Promise<{ user: UserRow; change: 'created' | 'updated' | 'unchanged' }> {
    return db.write(async (): Promise<{ user: UserRow; change: 'created' | 'updated' | 'unchanged' }> => {
      const existing = await findUser(email);
      const organisationId = await organisationFor({ email, organisation, at });
      if (!existing) {
        const user = onlyRow(
          await db
            .insert(t.users)
            .values({ email, name, organisationId, status, verifiedAt: status === 'verified' ? at : null, createdAt: at })
            .returning(),
        );
        return { user, change: 'created' };
      }
      const nextStatus: UserStatus = existing.status === 'disabled' && !reenable ? 'disabled' : existing.status === 'verified' ? 'verified' : status;
      const nextName = name || existing.name;
      const nextOrganisation = organisation ? organisationId : (existing.organisationId ?? organisationId);
      if (nextStatus === existing.status && nextName === existing.name && nextOrganisation === existing.organisationId) return { user: existing, change: 'unchanged' };
      const user = onlyRow(
        await db
          .update(t.users)
          .set({ status: nextStatus, name: nextName, organisationId: nextOrganisation, verifiedAt: nextStatus === 'verified' ? (existing.verifiedAt ?? at) : existing.verifiedAt })
          .where(eq(t.users.id, existing.id))
          .returning(),
      );
      return { user, change: 'updated' };
    });
  }

  async function setStatus({ email, status, at }: { email: string; status: UserStatus; at: Date }): Promise<UserRow | undefined> {
    return db.write(async () =>
      firstRow(
        await db
          .update(t.users)
          .set({ status, ...(status === 'verified' ? { verifiedAt: at } : {}) })
          .where(eq(t.users.email, email.toLowerCase()))
          .returning(),
      ),
    );
  }

  async function insertToken({ tokenHash, email, expiresAt, at }: { tokenHash: string; email: string; expiresAt: Date; at: Date }): Promise<void> {
    await db.write(async () => {
      await db.insert(t.verificationTokens).values({ tokenHash, email, expiresAt, createdAt: at });
    });
  }

  async function findToken(tokenHash: string) {
    return firstRow(await db.select().from(t.verificationTokens).where(eq(t.verificationTokens.tokenHash, tokenHash)));
  }

  /** Marks the token used; false when it was already used (a concurrent second click loses). */
  async function useToken({ tokenHash, at }: { tokenHash: string; at: Date }): Promise<boolean> {
    return db.write(
      async () => changedRows(await db.update(t.verificationTokens).set({ usedAt: at }).where(and(eq(t.verificationTokens.tokenHash, tokenHash), isNull(t.verificationTokens.usedAt)))) > 0,
    );
  }

  /** The address's latest bounce wins (upsert), and its user, if any, is marked bouncing: one write. */
  async function markBouncing({ address, reason, ticketId, at }: { address: string; reason: string; ticketId: number | null; at: Date }): Promise<void> {
    await db.write(async () => {
      await db
        .insert(t.bouncingAddresses)
        .values({ address, reason, ticketId, at })
        .onConflictDoUpdate({ target: t.bouncingAddresses.address, set: { reason, ticketId, at } });
      await db.update(t.users).set({ bouncingSince: at }).where(eq(t.users.email, address));
    });
  }

  async function isBouncing(address: string): Promise<boolean> {
    const rows = await db.select({ address: t.bouncingAddresses.address }).from(t.bouncingAddresses).where(eq(t.bouncingAddresses.address, address)).limit(1);
    return rows.length > 0;
  }

  return { ensureOrganisation, addDomain, removeDomain, listDomains, findDomain, isApprovedDomain, findUser, findUserById, setRole, setName, findUsers, listUsers, upsertUser, setStatus, insertToken, findToken, useToken, markBouncing, isBouncing };
}

export type CustomersRepository = ReturnType<typeof createCustomersRepository>;
