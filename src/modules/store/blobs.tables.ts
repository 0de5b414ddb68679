import { blob, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * Content-addressed blobs kept in the database (issue 18), so that every instance on one PostgreSQL database can
 * read the raw mail and attachments another instance stored (shared-blob-store.ts). On SQLite the table exists
 * (both dialects are made from the same tables) but stays empty: there the files under the store folder are the
 * store, as they are on PostgreSQL when the operator sets a shared `storage.path`.
 */
export const blobs = sqliteTable('blobs', {
  /** `${store}/${sha256}`, e.g. `raw/ab12…`. */
  key: text('key').primaryKey(),
  /** Which store: `raw` or `attachments`. */
  store: text('store').notNull(),
  /** The sha256 of the original bytes, in hex (the file's name in the store). */
  sha256: text('sha256').notNull(),
  /** The file's bytes as stored: gzip'd for the raw store, as they came for attachments. */
  bytes: blob('bytes', { mode: 'buffer' }).notNull(),
  /** The size of the original bytes. */
  size: integer('size').notNull(),
  createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
});
