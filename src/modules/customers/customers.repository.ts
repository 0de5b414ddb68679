import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import { asyncRepository, preparedPerConnection, type Db } from '../../shared/db.js';
import { approvedDomains, bouncingAddresses, organisations, users, verificationTokens } from './customers.tables.js';
import type { UserStatus } from './customers.models.js';
import { domainOf } from '../desk/address.models.js';

export type UserRow = typeof users.$inferSelect;
export type DomainRow = typeof approvedDomains.$inferSelect;

/** Queries only; callers own the transaction. */
export function createCustomersRepository({ db }: { db: Db }) {
  function ensureOrganisation({ name, at }: { name: string; at: Date }): number {
    const found = db.select({ id: organisations.id }).from(organisations).where(eq(organisations.name, name)).get();
    if (found) return found.id;
    return db.insert(organisations).values({ name, createdAt: at }).returning({ id: organisations.id }).get().id;
  }

  function addDomain({ domain, organisation, origin, at }: { domain: string; organisation: string; origin: 'config' | 'cli'; at: Date }): boolean {
    const organisationId = ensureOrganisation({ name: organisation, at });
    return db.insert(approvedDomains).values({ domain, organisationId, origin, createdAt: at }).onConflictDoNothing().run().changes > 0;
  }

  function removeDomain(domain: string): boolean {
    return db.delete(approvedDomains).where(eq(approvedDomains.domain, domain)).run().changes > 0;
  }

  function listDomains(): Array<DomainRow & { organisation: string }> {
    return db
      .select({ domain: approvedDomains, organisation: organisations.name })
      .from(approvedDomains)
      .innerJoin(organisations, eq(organisations.id, approvedDomains.organisationId))
      .orderBy(asc(approvedDomains.domain))
      .all()
      .map((row) => ({ ...row.domain, organisation: row.organisation }));
  }

  function findDomain(domain: string): DomainRow | undefined {
    return db.select().from(approvedDomains).where(eq(approvedDomains.domain, domain)).get();
  }

  function isApprovedDomain(domain: string): boolean {
    return findDomain(domain) !== undefined;
  }

  // Looked up for every message's sender: prepared once per connection.
  const userByEmail = preparedPerConnection(db, (connection) => connection.select().from(users).where(eq(users.email, sql.placeholder('email'))).prepare());
  const bouncing = preparedPerConnection(db, (connection) =>
    connection.select({ address: bouncingAddresses.address }).from(bouncingAddresses).where(eq(bouncingAddresses.address, sql.placeholder('address'))).prepare(),
  );

  function findUser(email: string): UserRow | undefined {
    return userByEmail().get({ email: email.toLowerCase() });
  }

  function findUserById(id: number): UserRow | undefined {
    return db.select().from(users).where(eq(users.id, id)).get();
  }

  function setRole({ email, role }: { email: string; role: UserRow['role'] }): void {
    db.update(users).set({ role }).where(eq(users.email, email.toLowerCase())).run();
  }

  function setName({ email, name }: { email: string; name: string }): void {
    db.update(users).set({ name }).where(eq(users.email, email.toLowerCase())).run();
  }

  function findUsers(emails: string[]): UserRow[] {
    return emails.length === 0 ? [] : db.select().from(users).where(inArray(users.email, emails)).all();
  }

  function listUsers({ status }: { status?: UserStatus } = {}): Array<UserRow & { organisation: string | null }> {
    const query = db.select({ user: users, organisation: organisations.name }).from(users).leftJoin(organisations, eq(organisations.id, users.organisationId));
    return (status ? query.where(eq(users.status, status)) : query)
      .orderBy(asc(users.id))
      .all()
      .map((row) => ({ ...row.user, organisation: row.organisation }));
  }

  /** The organisation of an approved domain, or a named one (created if new). */
  function organisationFor({ email, organisation, at }: { email: string; organisation: string | undefined; at: Date }): number | null {
    if (organisation) return ensureOrganisation({ name: organisation, at });
    return findDomain(domainOf(email))?.organisationId ?? null;
  }

  /**
   * Creates or updates a user. `verified` always wins over pending (the company vouches for them); a
   * disabled user stays disabled unless `reenable`. Returns what happened, for the import report.
   */
  function upsertUser({ email, name, organisation, status, at, reenable = false }: { email: string; name: string; organisation?: string; status: UserStatus; at: Date; reenable?: boolean }): { user: UserRow; change: 'created' | 'updated' | 'unchanged' } {
    const existing = findUser(email);
    const organisationId = organisationFor({ email, organisation, at });
    if (!existing) {
      const user = db
        .insert(users)
        .values({ email, name, organisationId, status, verifiedAt: status === 'verified' ? at : null, createdAt: at })
        .returning()
        .get();
      return { user, change: 'created' };
    }
    const nextStatus: UserStatus = existing.status === 'disabled' && !reenable ? 'disabled' : existing.status === 'verified' ? 'verified' : status;
    const nextName = name || existing.name;
    const nextOrganisation = organisation ? organisationId : existing.organisationId ?? organisationId;
    if (nextStatus === existing.status && nextName === existing.name && nextOrganisation === existing.organisationId) return { user: existing, change: 'unchanged' };
    const user = db
      .update(users)
      .set({ status: nextStatus, name: nextName, organisationId: nextOrganisation, verifiedAt: nextStatus === 'verified' ? (existing.verifiedAt ?? at) : existing.verifiedAt })
      .where(eq(users.id, existing.id))
      .returning()
      .get();
    return { user, change: 'updated' };
  }

  function setStatus({ email, status, at }: { email: string; status: UserStatus; at: Date }): UserRow | undefined {
    return db
      .update(users)
      .set({ status, ...(status === 'verified' ? { verifiedAt: at } : {}) })
      .where(eq(users.email, email.toLowerCase()))
      .returning()
      .get();
  }

  function insertToken({ tokenHash, email, expiresAt, at }: { tokenHash: string; email: string; expiresAt: Date; at: Date }): void {
    db.insert(verificationTokens).values({ tokenHash, email, expiresAt, createdAt: at }).run();
  }

  function findToken(tokenHash: string) {
    return db.select().from(verificationTokens).where(eq(verificationTokens.tokenHash, tokenHash)).get();
  }

  /** Marks the token used; false when it was already used (a concurrent second click loses). */
  function useToken({ tokenHash, at }: { tokenHash: string; at: Date }): boolean {
    return db.update(verificationTokens).set({ usedAt: at }).where(and(eq(verificationTokens.tokenHash, tokenHash), isNull(verificationTokens.usedAt))).run().changes > 0;
  }

  function markBouncing({ address, reason, ticketId, at }: { address: string; reason: string; ticketId: number | null; at: Date }): void {
    db.insert(bouncingAddresses).values({ address, reason, ticketId, at }).onConflictDoUpdate({ target: bouncingAddresses.address, set: { reason, ticketId, at } }).run();
    db.update(users).set({ bouncingSince: at }).where(eq(users.email, address)).run();
  }

  function isBouncing(address: string): boolean {
    return bouncing().get({ address }) !== undefined;
  }

  return asyncRepository(
    db,
    { ensureOrganisation, addDomain, removeDomain, listDomains, findDomain, isApprovedDomain, findUser, findUserById, setRole, setName, findUsers, listUsers, upsertUser, setStatus, insertToken, findToken, useToken, markBouncing, isBouncing },
    ['ensureOrganisation', 'addDomain', 'removeDomain', 'setRole', 'setName', 'upsertUser', 'setStatus', 'insertToken', 'useToken', 'markBouncing'],
  );
}

export type CustomersRepository = ReturnType<typeof createCustomersRepository>;
