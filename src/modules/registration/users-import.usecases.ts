import { randomUUID } from 'node:crypto';
import { eq, inArray } from 'drizzle-orm';
import type { Config } from '../../config/config.schema.js';
import type { Db } from '../../shared/db.js';
import { createOutboxRepository } from '../outbox/outbox.repository.js';
import { outbox as outboxTable } from '../outbox/outbox.tables.js';
import { renderWelcome } from './registration-mail.models.js';
import { parseCsv, validateImportRows, type RowError } from '../customers/customers.models.js';
import { requireMailTemplates, type MailTemplates } from '../templates/templates.loader.js';
import { createCustomersRepository } from '../customers/customers.repository.js';
import { users } from '../customers/customers.tables.js';
import { domainOf } from '../desk/address.models.js';
import { portalBaseUrl } from '../desk/portal-url.models.js';
import type { PasswordLinks } from '../accounts/password-links.usecases.js';

/** Rows read and inserted per statement: well under PostgreSQL's 65,535 parameters for an insert of 7 columns. */
const IMPORT_CHUNK = 500;

export type ImportReport = { rows: number; created: number; updated: number; unchanged: number; welcomes: number; errors: RowError[]; newlyVerified: string[] };

/**
 * Bulk registration from `email,name[,organisation[,role]]`: every row validated and reported by line, the good ones
 * upserted as verified in ONE transaction, the same statements on SQLite and PostgreSQL (test/registration.e2e.test.ts
 * imports 10,000 rows within its time limit).
 * Idempotent: a second run changes nothing and queues no second welcome (the effect key is per address).
 * The approved domains are read in that transaction too, so the rows are judged by the domains they are written under.
 */
export async function importUsers({
  db,
  config,
  csvText,
  welcome,
  at,
  onProgress = () => {},
  newMessageId = () => randomUUID(),
  templates,
  passwordLinks,
}: {
  db: Db;
  config: Pick<Config, 'support' | 'templates' | 'http' | 'accounts'>;
  csvText: string;
  welcome: boolean;
  at: Date;
  onProgress?: (done: number, total: number) => void;
  newMessageId?: () => string;
  /** Needed only with `welcome`; default: loaded from config.templates.dir. */
  templates?: MailTemplates;
  /** With `welcome` and a portal: each welcome carries a "set your password" link (sealed in the outbox). */
  passwordLinks?: PasswordLinks;
}): Promise<ImportReport> {
  // File I/O (the templates) and parsing before the transaction: inside it, database work only.
  const welcomeTemplates = welcome ? (templates ?? requireMailTemplates({ dir: config.templates.dir })) : undefined;
  const records = parseCsv(csvText);
  const customers = createCustomersRepository({ db });
  const outbox = createOutboxRepository({ db });
  const t = db.tables({ users, outbox: outboxTable });
  const support = { address: config.support.address, name: config.support.name };
  const supportDomain = config.support.address.split('@')[1] ?? 'localhost';
  const portal = portalBaseUrl(config.http) !== '';

  const report = await db.transaction(async (): Promise<ImportReport> => {
    const domains = await customers.listDomains();
    const { rows, errors } = validateImportRows({ records, approvedDomains: new Set(domains.map((row) => row.domain)) });
    const domainOrganisation = new Map(domains.map((row) => [row.domain, row.organisationId]));
    const organisations = new Map<string, number>();
    const organisationId = async (name: string | undefined, email: string): Promise<number | null> => {
      if (!name) return domainOrganisation.get(domainOf(email)) ?? null;
      let id = organisations.get(name);
      if (id === undefined) {
        id = await customers.ensureOrganisation({ name, at });
        organisations.set(name, id);
      }
      return id;
    };
    const result: ImportReport = { rows: rows.length + errors.length, created: 0, updated: 0, unchanged: 0, welcomes: 0, errors, newlyVerified: [] };

    // In chunks: one read of the chunk's existing users (and queued welcomes), one insert of its new users, so a
    // large file costs a few statements per chunk, not several per row (round trips count on PostgreSQL).
    for (let start = 0; start < rows.length; start += IMPORT_CHUNK) {
      const chunk = rows.slice(start, start + IMPORT_CHUNK);
      const emails = chunk.map((row) => row.email);
      const found = await db
        .select({ id: t.users.id, email: t.users.email, name: t.users.name, status: t.users.status, organisationId: t.users.organisationId, role: t.users.role, verifiedAt: t.users.verifiedAt })
        .from(t.users)
        .where(inArray(t.users.email, emails));
      const existingByEmail = new Map(found.map((user) => [user.email, user]));
      const queued = welcome ? new Set((await db.select({ key: t.outbox.effectKey }).from(t.outbox).where(inArray(t.outbox.effectKey, emails.map((email) => `welcome:${email}`)))).map((row) => row.key)) : new Set<string>();
      const newUsers: Array<typeof users.$inferInsert> = [];
      const welcomes: Array<{ email: string; name: string; organisation: string | undefined; userId: number | undefined }> = [];
      for (const [offset, row] of chunk.entries()) {
        const index = start + offset;
        const existing = existingByEmail.get(row.email);
        const orgId = row.organisation ? await organisationId(row.organisation, row.email) : (existing?.organisationId ?? (await organisationId(undefined, row.email)));
        const name = row.name || existing?.name || '';
        // An engineer stays an engineer; otherwise the file's role, or what the user had (a member by default).
        const role = existing?.role === 'engineer' ? 'engineer' : (row.role ?? existing?.role ?? 'member');
        let fresh = false;
        if (!existing) {
          newUsers.push({ email: row.email, name, organisationId: orgId, status: 'verified', role, verifiedAt: at, createdAt: at });
          result.created += 1;
          fresh = true;
        } else if (existing.status === 'disabled') {
          // The company disabled this person on purpose: an import does not silently re-enable them.
          result.errors.push({ line: row.line, email: row.email, error: 'user is disabled (not changed)' });
        } else if (existing.status !== 'verified' || existing.name !== name || existing.organisationId !== orgId || existing.role !== role) {
          // A verified user keeps the time they were first verified (inside this transaction, which runs alone).
          await db.update(t.users).set({ name, organisationId: orgId, role, status: 'verified', verifiedAt: existing.verifiedAt ?? at }).where(eq(t.users.id, existing.id));
          result.updated += 1;
          fresh = existing.status !== 'verified';
        } else result.unchanged += 1;
        if (fresh) result.newlyVerified.push(row.email);
        if (welcome && (fresh || existing?.status === 'verified') && !queued.has(`welcome:${row.email}`)) welcomes.push({ email: row.email, name, organisation: row.organisation, userId: existing?.id });
        // The caller's progress line (a counter on a terminal): cheap, synchronous, and it never awaits.
        if (index % 250 === 0 || index === rows.length - 1) onProgress(index + 1, rows.length);
      }
      const createdIds = new Map(newUsers.length > 0 ? (await db.insert(t.users).values(newUsers).returning({ id: t.users.id, email: t.users.email })).map((row) => [row.email, row.id]) : []);
      for (const entry of welcomes) {
        const userId = entry.userId ?? createdIds.get(entry.email);
        const link = passwordLinks && portal && userId !== undefined ? await passwordLinks.issueLink({ userId, purpose: 'welcome', at }) : undefined;
        const mail = renderWelcome({ to: entry.email, name: entry.name, organisation: entry.organisation, support, messageId: `welcome.${newMessageId()}@${supportDomain}`, templates: welcomeTemplates as MailTemplates, ...(link ? { link: link.url, linkHours: config.accounts.welcomeLinkHours } : {}) });
        await outbox.enqueue({ effectKey: `welcome:${entry.email}`, ticketId: null, payload: { kind: 'email', mail, ...(link ? { sealed: link.sealed } : {}) }, at });
        result.welcomes += 1;
      }
    }
    return result;
  });
  report.errors.sort((a, b) => a.line - b.line);
  return report;
}
