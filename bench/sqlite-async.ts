/**
 * What the async database of src/shared/db.ts (two connections, transactions that may await) costs against the
 * synchronous drizzle transactions ticketd used before issue 18, on the same file in the same run. Not part of
 * `npm run bench`:
 *
 *   npm run build && tsc -p bench/tsconfig.json && node dist/bench/bench/sqlite-async.js
 *
 * Two shapes, each run interleaved (sync, async, sync, ...) 7 times, median per transaction:
 * - one message per transaction: an insert and a lookup;
 * - the backlog's batch: 50 messages per transaction, each in its own savepoint, each an insert and a lookup.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { sql } from 'drizzle-orm';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import type { Db } from '../src/shared/db.js';
import { DIST } from './built.js';
import { median } from './stats.js';

// The built modules (dist/), as the other benches load them: they find the migrations relative to themselves.
const { closeDatabase, openDatabase } = (await import(new URL('shared/db.js', DIST).href)) as typeof import('../src/shared/db.js');

type SyncDb = BetterSQLite3Database;
// A repository method: async, its statement synchronous inside (as the repositories were before issue 18's step 2).
const awaited = async <T>(statement: () => T): Promise<T> => statement();

const ROUNDS = 7;
const SINGLE = 5_000;
const BATCHES = 200;
const BATCH = 50;

let counter = 0;
const insertOne = (db: SyncDb | Db) => db.run(sql`insert into rate_events (bucket, key, at) values ('bench', ${`k${(counter += 1)}`}, ${counter})`);
const lookup = (db: SyncDb | Db) => db.get(sql`select count(*) as n from rate_events where bucket = 'bench' and key = ${`k${counter}`}`);

function syncSingle(db: SyncDb): number {
  const began = performance.now();
  for (let n = 0; n < SINGLE; n += 1) {
    db.transaction(() => {
      insertOne(db);
      lookup(db);
    });
  }
  return ((performance.now() - began) * 1000) / SINGLE;
}

async function asyncSingle(database: Db): Promise<number> {
  const began = performance.now();
  for (let n = 0; n < SINGLE; n += 1) {
    await database.transaction(async () => {
      await awaited(() => insertOne(database));
      await awaited(() => lookup(database));
    });
  }
  return ((performance.now() - began) * 1000) / SINGLE;
}

function syncBatch(db: SyncDb): number {
  const began = performance.now();
  for (let b = 0; b < BATCHES; b += 1) {
    db.transaction(() => {
      for (let n = 0; n < BATCH; n += 1) {
        db.transaction(() => {
          insertOne(db);
          lookup(db);
        });
      }
    });
  }
  return ((performance.now() - began) * 1000) / (BATCHES * BATCH);
}

async function asyncBatch(database: Db): Promise<number> {
  const began = performance.now();
  for (let b = 0; b < BATCHES; b += 1) {
    await database.transaction(async () => {
      for (let n = 0; n < BATCH; n += 1) {
        await database.transaction(async () => {
          await awaited(() => insertOne(database));
          await awaited(() => lookup(database));
        });
      }
    });
  }
  return ((performance.now() - began) * 1000) / (BATCHES * BATCH);
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ticketd-bench-async-'));
  const file = path.join(dir, 'ticketd.sqlite');
  const database = openDatabase({ path: file });
  const client = new Sqlite(file);
  client.pragma('journal_mode = WAL');
  client.pragma('synchronous = NORMAL');
  const db = drizzle(client);
  const figures = { syncSingle: [] as number[], asyncSingle: [] as number[], syncBatch: [] as number[], asyncBatch: [] as number[] };
  try {
    for (let round = 0; round < ROUNDS; round += 1) {
      figures.syncSingle.push(syncSingle(db));
      figures.asyncSingle.push(await asyncSingle(database));
      figures.syncBatch.push(syncBatch(db));
      figures.asyncBatch.push(await asyncBatch(database));
    }
  } finally {
    client.close();
    await closeDatabase(database);
    await rm(dir, { recursive: true, force: true });
  }
  const ratios = (a: number[], b: number[]) => median(a.map((value, index) => value / (b[index] as number)));
  const line = (name: string, sync: number[], async: number[]) =>
    `${name}: sync ${median(sync).toFixed(1)} us, async ${median(async).toFixed(1)} us per message; async / sync ${ratios(async, sync).toFixed(2)}x (median of ${ROUNDS} paired rounds)`;
  console.log(`${new Date().toISOString().slice(0, 16)} UTC, ${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), Node ${process.version}`);
  console.log(line(`one message per transaction (${SINGLE} per round)`, figures.syncSingle, figures.asyncSingle));
  console.log(line(`${BATCH} messages per transaction, a savepoint each (${BATCHES * BATCH} per round)`, figures.syncBatch, figures.asyncBatch));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
