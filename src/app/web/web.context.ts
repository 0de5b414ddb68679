import type { Config } from '../../config/config.schema.js';
import type { Accounts, SignedIn } from '../../modules/accounts/accounts.usecases.js';
import type { PasswordLinks } from '../../modules/accounts/password-links.usecases.js';
import type { WebSubmission, WebOutcome } from '../../modules/intake/web-ticket.usecases.js';
import type { Portal } from '../../modules/portal/portal.usecases.js';
import type { Registration } from '../../modules/registration/registration.usecases.js';
import type { BlobStore } from '../../modules/store/blob-store.js';
import type { PageTemplates } from '../../modules/templates/pages.loader.js';
import type { Logger } from '../../shared/logger.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in user of a valid session cookie (public listener only). */
    signedIn?: SignedIn;
    sessionId?: string;
  }
}

/** `mailboxes`: with IMAP, the mailboxes this instance may sync and whether it holds each one's lease (issue 18). */
export type HealthReport = { ok: boolean; checks: Record<string, { ok: boolean; detail?: string }>; mailboxes?: Array<{ name: string; held: boolean }> };

/** What the operator's endpoints need: readiness checks and the Prometheus text. */
export type AdminDeps = {
  readiness: () => HealthReport | Promise<HealthReport>;
  metrics?: { contentType: string; render(): Promise<string> };
};

/** Everything the portal's routes use, built by the composition root (start.ts). */
export type WebDeps = {
  config: Pick<Config, 'http' | 'support' | 'imap' | 'accounts' | 'paging' | 'limits'>;
  logger: Logger;
  pages: PageTemplates;
  accounts: Accounts;
  passwordLinks: PasswordLinks;
  registration: Registration;
  portal: Portal;
  /** intake's web entry (createIntake().submitWeb): a web ticket or reply takes the mail pipeline's decisions. */
  submitWeb: (submission: WebSubmission) => Promise<WebOutcome>;
  attachmentStore: BlobStore;
  /** Called after anything that queued mail or pages: the outbox worker delivers now rather than at its next poll. */
  onChange: () => void;
};

export const SESSION_COOKIE = '__Host-ticketd-session';
export const CSRF_COOKIE = '__Host-ticketd-csrf';
