import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The real-mail corpus (mail nobody here wrote) sits beside the project root, `../shared/corpus`, and is
 * never copied into the repo. A clone elsewhere does not have it: tests that read it live in
 * `*.corpus.test.ts` files, which vitest.config.ts leaves out (saying so in one line) when it is missing.
 */
export const CORPUS_DIR = fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));

export function corpusAvailable(): boolean {
  return existsSync(CORPUS_DIR);
}
