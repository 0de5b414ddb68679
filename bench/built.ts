/**
 * The daemon code the benchmarks drive, loaded from the normal build (`dist/`, what `bin/ticketd.js` runs)
 * rather than from a second compilation: dist/shared/db.js finds the migrations relative to itself, and
 * the bench measures exactly the code that ships. Types come from the sources.
 */
import { fileURLToPath } from 'node:url';

/** Project root, from dist/bench/bench/*.js (compiled) or bench/*.ts (type-checked only). */
export const PROJECT_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const DIST = new URL('dist/', `file://${PROJECT_ROOT}`);
export const TICKETD_BIN = fileURLToPath(new URL('bin/ticketd.js', `file://${PROJECT_ROOT}`));
export const CORPUS_DIR = fileURLToPath(new URL('../shared/corpus/', `file://${PROJECT_ROOT}`));

// A computed specifier: TypeScript does not resolve it, the cast gives it the sources' types.
async function load<T>(relative: string): Promise<T> {
  const specifier = new URL(relative, DIST).href;
  return (await import(specifier)) as T;
}

export async function loadBuilt() {
  const [stack, dovecot, postfix, postgres, start, loader, db, logger, mailbox, parse, plan, limited] = await Promise.all([
    load<typeof import('../src/devservers/local-stack.js')>('devservers/local-stack.js'),
    load<typeof import('../src/devservers/dovecot.server.js')>('devservers/dovecot.server.js'),
    load<typeof import('../src/devservers/postfix.server.js')>('devservers/postfix.server.js'),
    load<typeof import('../src/devservers/postgres.server.js')>('devservers/postgres.server.js'),
    load<typeof import('../src/app/start.js')>('app/start.js'),
    load<typeof import('../src/config/config.loader.js')>('config/config.loader.js'),
    load<typeof import('../src/shared/db.js')>('shared/db.js'),
    load<typeof import('../src/shared/logger.js')>('shared/logger.js'),
    load<typeof import('../src/modules/mailbox/drivers/imapflow.mailbox-driver.js')>('modules/mailbox/drivers/imapflow.mailbox-driver.js'),
    load<typeof import('../src/modules/intake/parse.js')>('modules/intake/parse.js'),
    load<typeof import('../src/modules/mailbox/download-plan.models.js')>('modules/mailbox/download-plan.models.js'),
    load<typeof import('../src/shared/map-limited.js')>('shared/map-limited.js'),
  ]);
  return { ...stack, ...dovecot, ...postfix, ...postgres, ...start, ...loader, ...db, ...logger, ...mailbox, ...parse, ...plan, ...limited };
}

export type Built = Awaited<ReturnType<typeof loadBuilt>>;
