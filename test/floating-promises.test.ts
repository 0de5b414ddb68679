import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * The repositories are async (issue 18): a call nobody awaits is a write that may land after its transaction has
 * closed, or a failure nobody hears. eslint.config.js's @typescript-eslint rules run here over src, test and bench.
 */
describe('promises in src, test and bench', () => {
  const eslint = new ESLint({ cwd: root });

  it('are all awaited, returned or voided on purpose', async () => {
    const results = await eslint.lintFiles(['src', 'test', 'bench']);
    const problems = results.flatMap((result) => result.messages.filter((message) => message.ruleId?.startsWith('@typescript-eslint/') || message.fatal).map((message) => `${result.filePath.slice(root.length)}:${message.line}: ${message.ruleId}: ${message.message}`));
    expect(problems).toEqual([]);
    expect(results.length).toBeGreaterThan(300);
  });

  it('fails the build on a repository write left unawaited', async () => {
    const [result] = await eslint.lintText('export async function f(write: () => Promise<void>) {\n  write();\n  await 1;\n}\n', { filePath: `${root}src/canary.ts` });
    expect(result?.messages.map((message) => message.ruleId)).toEqual(['@typescript-eslint/no-floating-promises', '@typescript-eslint/await-thenable']);
  });
});
