import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runFuzz } from '../src/fuzz/fuzz.js';
import { MUTATION_NAMES, mutate, seededRandom } from '../src/fuzz/mutations.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/mail/', import.meta.url));
const sources = readdirSync(FIXTURES)
  .filter((name) => name.endsWith('.eml'))
  .map((name) => ({ name, raw: readFileSync(`${FIXTURES}${name}`) }));

/**
 * The seeded fuzz run of `npm test` (issue 14): mutated copies of the project's own sample mails (fixtures/,
 * not the corpus, so it runs in any clone) through ingest with the parse worker pool. `npm run fuzz` does the
 * same with 10,000 mails from the real-mail corpus.
 */
describe('ingest of mutated mail', () => {
  it('gives every one of 300 mutated mails exactly one recorded outcome, crashes on none, and takes under 2 s for any', async () => {
    const report = await runFuzz({ sources, count: 300, seed: 20261125 });
    console.log('fuzz over fixtures/', JSON.stringify({ ...report, failures: report.failures.length }));
    expect(report.failures).toEqual([]);
    expect(report.crashes).toBe(0);
    expect(report.missingOutcomes).toBe(0);
    expect(report.slowestMs).toBeLessThan(2000);
    // The run saw hostile mail, not only intact copies: several kinds of outcome were recorded.
    expect(Object.keys(report.outcomes).length).toBeGreaterThanOrEqual(3);
    expect(report.outcomes.quarantined).toBeGreaterThan(0);
  }, 300_000);

  it('mutates reproducibly from a seed, with every kind of mutation in use', () => {
    const once = Array.from({ length: 200 }, (_, index) => mutate(sources[index % sources.length]?.raw ?? Buffer.alloc(0), seededRandom(index)));
    const again = Array.from({ length: 200 }, (_, index) => mutate(sources[index % sources.length]?.raw ?? Buffer.alloc(0), seededRandom(index)));
    expect(once.map((mail) => mail.raw.toString('base64'))).toEqual(again.map((mail) => mail.raw.toString('base64')));
    expect(new Set(once.flatMap((mail) => mail.applied))).toEqual(new Set(MUTATION_NAMES));
  });
});
