import { readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { CORPUS_DIR } from './support/corpus.js';
import { runTicketd } from './support/ticketd-process.js';

// Real mail nobody here wrote (../shared/corpus): this file runs only where the corpus exists.
const CORPUS = CORPUS_DIR;

/** Every message file in the shared corpus: all but the folders' README, LICENSE and expectation files. */
function corpusFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return corpusFiles(full);
    return /^(README|LICENSE|COPYING)|\.(json|md)$/i.test(name) ? [] : [full];
  });
}

describe('the real-mail corpus through `ticketd ingest`', () => {
  let dir: string;
  let configFile: string;
  const files = corpusFiles(CORPUS);

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ticketd-corpus-'));
    configFile = path.join(dir, 'ticketd.yaml');
    await writeFile(
      configFile,
      stringify({
        database: { path: path.join(dir, 'corpus.sqlite') },
        imap: { host: '127.0.0.1', user: 'help@cloudsoft.test' },
        smtp: { host: '127.0.0.1', port: 1 },
        support: { address: 'help@cloudsoft.test', customerDomains: ['acme.test'], engineerDomains: ['cloudsoft.test'] },
        pager: { kind: 'pagerduty', url: 'http://127.0.0.1:1/v2/enqueue', routingKey: 'corpus' },
        log: { level: 'error' },
      }),
    );
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('gives every message exactly one recorded outcome without crashing', async () => {
    expect(files.length).toBeGreaterThan(800);
    const outcomes = new Map<string, string>();
    for (let start = 0; start < files.length; start += 200) {
      const chunk = files.slice(start, start + 200);
      const result = await runTicketd(['ingest', '--config', configFile, '--no-deliver', '--json', ...chunk]);
      expect(result.stderr).not.toMatch(/not ingested/);
      expect(result.code).toBe(0);
      for (const line of result.stdout.trim().split('\n')) {
        const parsed = JSON.parse(line) as { path: string; outcome: string; reason: string; inboundId: number };
        expect(parsed.inboundId).toBeGreaterThan(0);
        outcomes.set(parsed.path, `${parsed.outcome}`);
      }
    }
    expect([...outcomes.keys()].sort()).toEqual([...files].sort());
    const tally: Record<string, number> = {};
    for (const outcome of outcomes.values()) tally[outcome] = (tally[outcome] ?? 0) + 1;
    console.log(`corpus outcomes over ${files.length} files:`, tally);
    for (const outcome of outcomes.values()) expect(['ticket', 'reply', 'bounce', 'auto-reply', 'quarantined', 'duplicate']).toContain(outcome);
    // No corpus sender is in an approved domain, so nothing may open a ticket or queue a page.
    expect(tally.ticket ?? 0).toBe(0);
  });
});
