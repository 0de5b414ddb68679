// ESLint runs for one purpose here: no regular expression in src/ may take super-linear time on hostile
// input (issue 14, class 5). Mail, headers and form fields are attacker text; one catastrophic pattern stalls
// intake. `npm run lint` runs it, and test/regex-safety.test.ts runs the same config in `npm test`.
import tsParser from '@typescript-eslint/parser';
import regexp from 'eslint-plugin-regexp';
import tsPlugin from '@typescript-eslint/eslint-plugin';

export default [
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  {
    files: ['src/**/*.ts'],
    // Tests are left out: they read our own fixtures and the corpus, never mail from outside.
    ignores: ['src/**/*.test.ts'],
    languageOptions: { parser: tsParser, ecmaVersion: 2023, sourceType: 'module' },
    plugins: { regexp },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Backtracking that grows with the square (or worse) of the input, at one starting position.
      // 'potential': also what needs a rejecting suffix to blow up; an attacker supplies one.
      'regexp/no-super-linear-backtracking': ['error', { report: 'potential' }],
      // A match attempt repeated from every position, each costing linear time: quadratic over the string.
      // ignorePartial false: a pattern built into a bigger one (new RegExp(...)) is checked on its own too.
      'regexp/no-super-linear-move': ['error', { report: 'potential', ignorePartial: false, ignoreSticky: false }],
    },
  },
  // Issue 18: the repositories are async. A promise nobody awaits is a write that may land after its transaction
  // closed (or never), and a failure nobody hears: every promise is awaited, returned, or marked `void` on purpose.
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    // allowDefaultProject: test/regex-safety.test.ts lints a canary file that is not on disk.
    languageOptions: { parser: tsParser, parserOptions: { projectService: { allowDefaultProject: ['src/canary.ts'] }, tsconfigRootDir: import.meta.dirname } },
    plugins: { '@typescript-eslint': tsPlugin },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
];
