import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { postfixMissing } from './src/devservers/postfix.server.js';
import { corpusSuiteGate, postfixSuiteGate } from './test/support/suite-gates.js';

// Two suites need what a clone may not have; each is left out by its file pattern with a one-line notice, or
// fails the run under its REQUIRED variable, which .ci/run sets (test/support/suite-gates.ts decides). Neither
// variable is a config key: both are listed in NON_CONFIG_VARIABLES, src/config/config.env.ts.
// - `*.corpus.test.ts` read the real-mail corpus at ../shared/corpus, beside the project root (TICKETD_CORPUS_REQUIRED).
// - `*.postfix.test.ts` start a real Postfix master: the Debian package, and root (TICKETD_POSTFIX_REQUIRED).
const corpusDir = fileURLToPath(new URL('../shared/corpus/', import.meta.url));
const corpus = corpusSuiteGate({ corpusDir, present: existsSync(corpusDir), required: process.env.TICKETD_CORPUS_REQUIRED === '1' });
const postfix = postfixSuiteGate({ missing: postfixMissing(), required: process.env.TICKETD_POSTFIX_REQUIRED === '1' });
for (const gate of [corpus, postfix]) if (!gate.run) console.warn(gate.notice);

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', ...(corpus.run ? [] : ['**/*.corpus.test.ts']), ...(postfix.run ? [] : ['**/*.postfix.test.ts'])],
    // Its own temp folder per run, checked for leftovers at the end; a one-line notice when Dovecot or Chromium is missing.
    globalSetup: ['test/support/global-setup.ts'],
    setupFiles: ['test/support/close-databases.ts', 'test/support/no-promise-assertions.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: process.env.CI ? ['default', ['json', { outputFile: process.env.TICKETD_TEST_DATABASE === 'postgresql' ? '.ci/vitest-report.postgresql.json' : '.ci/vitest-report.json' }]] : ['default'],
  },
});
