/**
 * The layering of src/ (docs/architecture.md), checked by `npm run lint:deps` and by test/architecture.test.ts
 * in `npm test`. Test files are left out: a test may drive the whole pipeline to check one module.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No file imports itself through others.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-module-cycle',
      comment: 'Modules form layers: every module stands above everything it imports. Two modules that need each other are missing a third concept, or the composition root passes a function in.',
      severity: 'error',
      scope: 'folder',
      from: { path: '^src/modules/' },
      to: { path: '^src/modules/', circular: true },
    },
    {
      name: 'intake-on-top',
      comment: 'intake is the pipeline on top: it drives the other modules, none of them imports it. Only the composition root (src/app), the CLI, the demo and the bench may.',
      severity: 'error',
      from: { path: '^src/modules/', pathNot: '^src/modules/intake/' },
      to: { path: '^src/modules/intake/' },
    },
    {
      name: 'desk-at-the-bottom',
      comment: 'desk holds the words every module speaks; it imports nothing of ours but shared infrastructure.',
      severity: 'error',
      from: { path: '^src/modules/desk/' },
      to: { path: '^src/', pathNot: ['^src/modules/desk/', '^src/shared/'] },
    },
    {
      name: 'config-below-modules',
      comment: 'The config schema is read by every module, so it may only use the desk vocabulary and shared infrastructure.',
      severity: 'error',
      from: { path: '^src/config/' },
      to: { path: '^src/', pathNot: ['^src/config/', '^src/modules/desk/', '^src/shared/'] },
    },
    {
      name: 'shared-is-infrastructure',
      comment: 'src/shared (logger, clock, errors, db) knows nothing of the desk.',
      severity: 'error',
      from: { path: '^src/shared/' },
      to: { path: '^src/', pathNot: '^src/shared/' },
    },
    {
      name: 'modules-below-the-root',
      comment: 'Modules never reach up into the composition root, the CLI, the demo or the test servers.',
      severity: 'error',
      from: { path: '^src/(modules|config|shared)/' },
      to: { path: '^src/(app|cli|demo|devservers)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.test\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
