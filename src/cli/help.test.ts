import { describe, expect, it } from 'vitest';
import { runCli } from './program.js';

async function help(args: string[]): Promise<string> {
  let out = '';
  const code = await runCli([...args, '--help'], { out: (text) => (out += text), err: (text) => (out += text) });
  expect(code).toBe(0);
  return out;
}

describe('--help', () => {
  it('documents the exit codes of every runnable command, once', async () => {
    const commands = [['run'], ['ingest'], ['tickets', 'list'], ['tickets', 'show'], ['quarantine', 'list'], ['quarantine', 'release'], ['reprocess'], ['outbox', 'list'], ['outbox', 'retry'], ['config', 'check'], ['doctor']];
    for (const command of commands) {
      const text = await help(command);
      expect(text, command.join(' ')).toMatch(/exit (codes|status)/i);
      expect(text.match(/exit (codes|status)/gi), command.join(' ')).toHaveLength(1);
    }
  });

  it('keeps the specific exit codes a command documents itself', async () => {
    expect(await help(['doctor'])).toContain('Exit codes: 0 no check failed (warnings allowed), 1 a check failed');
    expect(await help(['tickets', 'show'])).toContain('Exit codes: 0 ok, 1 failure (invalid config, not found, operation failed), 2 usage error.');
  });
});
