import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { missingBinariesLine, removeRunDir } from './support/global-setup.js';
import { corpusSuiteGate, postfixSuiteGate } from './support/suite-gates.js';

describe("the test run's own setup", () => {
  it('names each missing binary in one line with the apt-get line that installs it', () => {
    expect(missingBinariesLine(() => false)).toBe(
      "npm test: missing /usr/sbin/dovecot (the IMAP and end-to-end tests), /usr/bin/chromium (the portal's browser tests), /usr/lib/postgresql (the PostgreSQL tests): run  apt-get install -y dovecot-imapd chromium postgresql  (as root; .ci/run does it); those tests fail until then",
    );
    expect(missingBinariesLine((file) => file !== '/usr/bin/chromium')).toMatch(/^npm test: missing \/usr\/bin\/chromium \(the portal's browser tests\): run {2}apt-get install -y chromium {2}/);
  });

  it('says nothing when everything is installed', () => {
    expect(missingBinariesLine(() => true)).toBeUndefined();
  });

  it("names the ticketd-* folders a run's tests left behind, and removes the run's folder anyway", async () => {
    const runDir = await mkdtemp(path.join(os.tmpdir(), 'ticketd-run-probe-'));
    await mkdir(path.join(runDir, 'ticketd-stores-abc'));
    await mkdir(path.join(runDir, 'ticketd-cli-def'));
    await writeFile(path.join(runDir, 'chromium-crashpad'), '');
    expect(await removeRunDir(runDir)).toEqual(['ticketd-cli-def', 'ticketd-stores-abc']);
    expect(existsSync(runDir)).toBe(false);
  });

  it('runs the corpus suite where ../shared/corpus is, and otherwise leaves it out with a one-line notice', () => {
    const corpusDir = '/elsewhere/shared/corpus/';
    expect(corpusSuiteGate({ corpusDir, present: true, required: false })).toEqual({ run: true });
    expect(corpusSuiteGate({ corpusDir, present: true, required: true })).toEqual({ run: true });
    expect(corpusSuiteGate({ corpusDir, present: false, required: false })).toEqual({
      run: false,
      notice: 'corpus suite not run: no real-mail corpus at /elsewhere/shared/corpus/ (the *.corpus.test.ts files need it; everything else runs)',
    });
  });

  it('fails the run instead when TICKETD_CORPUS_REQUIRED=1 (CI) and the corpus is missing', () => {
    expect(() => corpusSuiteGate({ corpusDir: '/elsewhere/shared/corpus/', present: false, required: true })).toThrow(
      'TICKETD_CORPUS_REQUIRED=1 but the real-mail corpus is missing at /elsewhere/shared/corpus/',
    );
  });

  it('runs the Postfix suite where Postfix can run, and otherwise leaves it out with one line saying why', () => {
    expect(postfixSuiteGate({ missing: undefined, required: false })).toEqual({ run: true });
    expect(postfixSuiteGate({ missing: undefined, required: true })).toEqual({ run: true });
    const notRoot = "Postfix's master runs only as root (...): run the tests as root";
    expect(postfixSuiteGate({ missing: notRoot, required: false })).toEqual({
      run: false,
      notice: `Postfix suite not run (the *.postfix.test.ts files; everything else runs): ${notRoot}`,
    });
  });

  it('fails the run instead when TICKETD_POSTFIX_REQUIRED=1 (CI) and Postfix cannot run', () => {
    expect(() => postfixSuiteGate({ missing: 'Postfix is not installed (no postconf)', required: true })).toThrow('TICKETD_POSTFIX_REQUIRED=1 but Postfix cannot run here: Postfix is not installed (no postconf)');
  });
});
