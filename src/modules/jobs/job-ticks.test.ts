import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, openTestDatabase, openTwoInstances } from '../../../test/support/test-database.js';
import { openPostgres } from '../../app/database.js';
import { openDatabase, type Dialect, type Db } from '../../shared/db.js';
import { createSilentLogger } from '../../shared/logger.js';
import { createScheduledJob, type JobTicks } from '../../shared/scheduled-job.js';
import { createJobTicksRepository } from './job-ticks.repository.js';


describe.each(DIALECTS)('claiming a tick of a scheduled job on %s', (dialect) => {
  let one: Db;
  let two: Db;
  let close: () => Promise<void>;
  beforeEach(async () => {
    ({ one, two, close } = await openTwoInstances(dialect));
  });
  afterEach(async () => close());

  it('gives each tick to the first instance that claims it, and never an older tick after a newer one', async () => {
    const a = createJobTicksRepository({ db: one });
    const b = createJobTicksRepository({ db: two });
    const tick = new Date('2026-12-06T04:00:00Z');
    const now = new Date('2026-12-06T04:00:00.050Z');
    expect(await a.claim({ job: 'sla-check', tick, holder: 'host:1', now })).toBe(true);
    expect(await b.claim({ job: 'sla-check', tick, holder: 'host:2', now })).toBe(false);
    expect(await b.claim({ job: 'auto-close', tick, holder: 'host:2', now })).toBe(true); // another job, its own ticks
    const next = new Date('2026-12-06T04:01:00Z');
    expect(await b.claim({ job: 'sla-check', tick: next, holder: 'host:2', now })).toBe(true);
    expect(await a.claim({ job: 'sla-check', tick: next, holder: 'host:1', now })).toBe(false);
    expect(await a.claim({ job: 'sla-check', tick, holder: 'host:1', now })).toBe(false); // a late instance's old tick
  });

  it('claims inside the caller\'s transaction: a claim rolled back with it leaves the tick to the next instance', async () => {
    const a = createJobTicksRepository({ db: one });
    const b = createJobTicksRepository({ db: two });
    const tick = new Date('2026-12-06T04:00:00.001Z');
    const now = new Date('2026-12-06T04:00:00.050Z');
    await expect(
      one.transaction(async () => {
        expect(await a.claim({ job: 'sla-check', tick, holder: 'host:1', now })).toBe(true);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await b.claim({ job: 'sla-check', tick, holder: 'host:2', now })).toBe(true);
    expect(await a.claim({ job: 'sla-check', tick: new Date(tick.getTime() - 1), holder: 'host:1', now })).toBe(false); // a millisecond older
  });
});

describe('a scheduled job with ticks', () => {
  it('runs a pass only when its tick was claimed, named to the second', async () => {
    const claimed: Array<{ job: string; tick: Date }> = [];
    let answer = false;
    const ticks: JobTicks = {
      claim: async (args) => {
        claimed.push(args);
        return answer;
      },
    };
    let runs = 0;
    const start = (catchUp: boolean) => createScheduledJob({ name: 'held-expiry', cron: '0 0 1 1 *', run: () => (runs += 1), logger: createSilentLogger(), catchUp, ticks });

    const refused = start(true);
    refused.start();
    await refused.stop();
    expect(runs).toBe(0); // another instance had this tick

    answer = true;
    const granted = start(true);
    granted.start();
    await granted.stop();
    expect(runs).toBe(1);
    expect(claimed.map((claim) => claim.job)).toEqual(['held-expiry', 'held-expiry']);
    expect(claimed.every((claim) => claim.tick.getMilliseconds() === 0)).toBe(true);
  });
});
