/**
 * Which test suites need something a clone may not have, and what a run says when it leaves them out:
 * vitest.config.ts gathers the facts (is ../shared/corpus there? can Postfix run here?) and asks these pure
 * functions. A suite that cannot run is excluded by its file pattern and the run says so in one line; under
 * its REQUIRED variable (.ci/run sets both) the run fails instead, so CI never skips one silently.
 */
export type SuiteGate = { run: true } | { run: false; notice: string };

/** The `*.corpus.test.ts` files read the real-mail corpus, which sits beside the project root, never in it. */
export function corpusSuiteGate({ corpusDir, present, required }: { corpusDir: string; present: boolean; required: boolean }): SuiteGate {
  if (present) return { run: true };
  if (required) throw new Error(`TICKETD_CORPUS_REQUIRED=1 but the real-mail corpus is missing at ${corpusDir}`);
  return { run: false, notice: `corpus suite not run: no real-mail corpus at ${corpusDir} (the *.corpus.test.ts files need it; everything else runs)` };
}

/**
 * The `*.postfix.test.ts` files start a real Postfix master, which needs the Debian package and root.
 * `missing` is what postfixMissing() (src/devservers/postfix.server.ts) says the machine lacks, or undefined.
 */
export function postfixSuiteGate({ missing, required }: { missing: string | undefined; required: boolean }): SuiteGate {
  if (missing === undefined) return { run: true };
  if (required) throw new Error(`TICKETD_POSTFIX_REQUIRED=1 but Postfix cannot run here: ${missing}`);
  return { run: false, notice: `Postfix suite not run (the *.postfix.test.ts files; everything else runs): ${missing}` };
}
