import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const DEMO = fileURLToPath(new URL('../dist/demo/demo.js', import.meta.url));

/** `npm run demo` without its build step (npm test builds dist/ first): stdout and exit code. */
function runDemo(): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [DEMO], { timeout: 240_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** The lines of one `== Title ==` section of the demo's output. */
function section(output: string, title: string): string[] {
  const start = output.indexOf(`== ${title}`);
  if (start < 0) return [];
  const rest = output.slice(start).split('\n').slice(1);
  const end = rest.findIndex((line) => line.startsWith('== '));
  return (end < 0 ? rest : rest.slice(0, end)).filter((line) => line.trim() !== '');
}

describe('npm run demo', () => {
  it('prints every delivered mail with its outcome and why, refusals apart, pages without a repeated severity, and how production differs', async () => {
    const { code, stdout, stderr } = await runDemo();
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });

    const arrivals = section(stdout, 'Every delivered mail');
    for (const line of [
      '01-sev1-outage.eml -> ticket CS-1 (SEV1 / Urgent): ',
      '02-sev2-degraded.eml -> ticket CS-2 (SEV2 / High): ',
      '03-question-no-severity.eml -> ticket CS-3 (SEV3 / Normal): ',
      '04-sev4-how-to.eml -> ticket CS-4 (SEV4 / Low): ',
      '05-unknown-sender.eml -> quarantined: refused: ',
      '06-out-of-office.eml -> auto-reply: ',
      'reply from alice@acme.test -> reply on CS-1: ',
      'answer from erin@cloudsoft.test -> reply on CS-1: ',
      '#note from erin@cloudsoft.test -> reply on CS-1: ',
    ]) {
      expect(arrivals.some((arrival) => arrival.trim().startsWith(line))).toBe(true);
    }

    const sent = section(stdout, 'Mail received by the SMTP peer').join('\n');
    const [confirmations, refusals] = [sent.indexOf('Confirmations of new tickets (4):'), sent.indexOf('Refusals (senders who may not open tickets) (1):')];
    expect(confirmations).toBeGreaterThanOrEqual(0);
    expect(refusals).toBeGreaterThan(confirmations);
    expect(sent.slice(confirmations, refusals)).not.toContain('mallory@unknown-corp.test');
    expect(sent.slice(refusals)).toContain('to mallory@unknown-corp.test');

    const pages = section(stdout, 'Pages received');
    expect(pages).toContain('  trigger CS-1 [critical] [CS-1] SEV1 Production API returning 500 on every request (from Alice Martin <alice@acme.test>)');
    expect(pages.join('\n')).not.toMatch(/SEV\d \[?SEV\d/);

    const production = section(stdout, 'What this demo changed from the production defaults').join('\n');
    expect(production).toContain('support.requireRegistration: false here (default true)');
    expect(production).toContain('security.senderAuth: off here (default authres)');
    expect(production).toContain('paging.policy: SEV1 always, SEV2 always, SEV3 always, SEV4 always here');
  }, 300_000);
});
