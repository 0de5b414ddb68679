import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { measureCorpus } from '../bench/corpus/measure.js';
import { loadExpectedReplies, recordedFigures } from '../bench/corpus/report.js';
import { newTextOf } from '../src/modules/conversations/reply-text.models.js';
import { CORPUS_DIR } from './support/corpus.js';

// Real mail nobody here wrote (../shared/corpus): this file runs only where the corpus exists.
const root = fileURLToPath(new URL('../', import.meta.url));

describe('the corpus report (npm run corpus) against the figures BENCHMARKS.md records', () => {
  it('keeps every figure of every folder at least as good as recorded', async () => {
    const recorded = recordedFigures(readFileSync(`${root}BENCHMARKS.md`, 'utf8'));
    const report = await measureCorpus({ corpusDir: CORPUS_DIR, newTextOf, expectedReplies: loadExpectedReplies(`${root}bench/corpus/replies.expected.json`) });
    const worse: string[] = [];
    for (const [folder, figures] of Object.entries(recorded)) {
      const now = report.folders.find((row) => row.folder === folder) as Record<string, unknown> | undefined;
      expect(now, `folder ${folder} is still measured`).toBeDefined();
      for (const [figure, value] of Object.entries(figures)) {
        const current = now?.[figure];
        if (typeof current !== 'number' || current < value) worse.push(`${folder} ${figure}: ${String(current)} < ${value}`);
      }
    }
    console.log('reply texts not as expected:', report.replyMisses);
    expect(worse).toEqual([]);
    expect(Object.keys(recorded).length).toBe(8);
  }, 120_000);
});
