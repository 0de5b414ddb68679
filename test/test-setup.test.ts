import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { missingBinariesLine, removeRunDir } from './support/global-setup.js';

describe("the test run's own setup", () => {
  it('names each missing binary in one line with the apt-get line that installs it', () => {
    expect(missingBinariesLine(() => false)).toBe(
      "npm test: missing /usr/sbin/dovecot (the IMAP and end-to-end tests), /usr/bin/chromium (the portal's browser tests), /usr/sbin/postfix (the LMTP test with a real MTA): run  apt-get install -y dovecot-imapd chromium postfix  (as root; .ci/run does it); those tests fail until then",
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
});
