import { defineConfig } from 'drizzle-kit';

// PostgreSQL's migrations, generated from the same tables as SQLite's (src/app/postgres.schema.ts converts them).
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/app/postgres.schema.ts',
  out: './migrations/postgres',
});
