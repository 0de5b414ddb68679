import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * `npm run lint` in `npm test`: eslint-plugin-regexp over src/ (eslint.config.js) fails on any pattern whose
 * matching time can grow faster than the input (issue 14, class 5). Every byte of a mail may be hostile.
 */
describe('regular expressions in src/', () => {
  const eslint = new ESLint({ cwd: root });

  it('has no pattern with super-linear backtracking or a super-linear move', async () => {
    const results = await eslint.lintFiles(['src']);
    const problems = results.flatMap((result) => result.messages.map((message) => `${result.filePath.slice(root.length)}:${message.line}: ${message.ruleId}: ${message.message}`));
    expect(problems).toEqual([]);
    // The rules saw the code: an empty lint would pass anything.
    expect(results.length).toBeGreaterThan(100);
  });

  it('fails the build on the kind of pattern that once stalled intake for minutes', async () => {
    const [result] = await eslint.lintText('export const SEVERITY = /sev[ \\t]*[:=-]?[ \\t]*([1-4])/i;\nexport const TRAILING = /\\/+$/;\n', { filePath: `${root}src/canary.ts` });
    expect(result?.messages.map((message) => message.ruleId)).toEqual(['regexp/no-super-linear-backtracking', 'regexp/no-super-linear-move']);
  });
});
