import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from './program.js';

describe('ticketd config check --json', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('prints every problem by key path, without the secret values, and exits 1', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ticketd-config-'));
    const file = path.join(dir, 'ticketd.yaml');
    await writeFile(file, 'imap:\n  host: imap.example.com\n  user: help@example.com\n  password: very-secret-pw\n  passwd: very-secret-pw\n');
    let out = '';
    const code = await runCli(['config', 'check', '--config', file, '--json'], { out: (text) => (out += text), err: (text) => (out += text) });

    expect(code).toBe(1);
    const report = JSON.parse(out) as { ok: boolean; problems: Array<{ path: string; message: string }> };
    expect(report.ok).toBe(false);
    expect(report.problems.map((problem) => problem.path)).toEqual(['imap.passwd', 'smtp', 'support']);
    expect(out).not.toContain('very-secret-pw');
  });

  it('checks the operator templates too, naming file, line and variable', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ticketd-config-'));
    const templates = path.join(dir, 'templates');
    await mkdir(templates);
    await writeFile(path.join(templates, 'confirmation.txt'), 'Hello,\nticket {{ticketRef}} is open.\n');
    const file = path.join(dir, 'ticketd.yaml');
    await writeFile(
      file,
      `imap:\n  host: imap.cloudsoft.test\n  user: help@cloudsoft.test\n  password: imap-pw\nsmtp:\n  host: smtp.cloudsoft.test\nsupport:\n  address: help@cloudsoft.test\nsecurity:\n  senderAuth: 'off'\ntemplates:\n  dir: ${templates}\n`,
    );
    let out = '';
    const code = await runCli(['config', 'check', '--config', file, '--json'], { out: (text) => (out += text), err: (text) => (out += text) });

    expect(code).toBe(1);
    expect(JSON.parse(out)).toEqual({ ok: false, problems: [{ path: 'templates.dir', message: expect.stringMatching(/confirmation\.txt: line 2: unknown variable "ticketRef"/) }], warnings: [] });
    await writeFile(path.join(templates, 'confirmation.txt'), 'Hello,\nticket {{ref}} is open.\n');
    out = '';
    expect(await runCli(['config', 'check', '--config', file], { out: (text) => (out += text), err: (text) => (out += text) })).toBe(0);
    expect(out).toContain('configuration is valid');
  });
});
