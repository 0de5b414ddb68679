/**
 * `npm run corpus`: how each folder of ../shared/corpus (real mail nobody here wrote) fares through parse,
 * classify and the reply-text extraction, written into BENCHMARKS.md. `--no-write` prints only.
 * test/corpus-report.corpus.test.ts keeps every figure from going below what BENCHMARKS.md records.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { newTextOf } from '../../src/modules/conversations/reply-text.models.js';
import { measureCorpus } from './measure.js';
import { loadExpectedReplies, renderCorpusReport, writeCorpusSection } from './report.js';

/** Project root, from dist/bench/bench/corpus/*.js (compiled) or bench/corpus/*.ts. */
const ROOT = fileURLToPath(new URL(import.meta.url.includes('/dist/bench/') ? '../../../../' : '../../', import.meta.url));
const CORPUS_DIR = fileURLToPath(new URL('../shared/corpus/', `file://${ROOT}`));

async function main(): Promise<void> {
  if (!existsSync(CORPUS_DIR)) {
    console.error(`npm run corpus: no real-mail corpus at ${CORPUS_DIR}`);
    process.exit(1);
  }
  const report = await measureCorpus({ corpusDir: CORPUS_DIR, newTextOf, expectedReplies: loadExpectedReplies(`${ROOT}bench/corpus/replies.expected.json`) });
  const section = renderCorpusReport(report);
  console.log(section);
  if (report.replyMisses.length > 0) console.log(`reply texts not as expected: ${report.replyMisses.join(', ')}`);
  if (!process.argv.includes('--no-write')) {
    writeCorpusSection(`${ROOT}BENCHMARKS.md`, section);
    console.log('written into BENCHMARKS.md');
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
