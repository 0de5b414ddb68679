import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const MAX_SOURCE_LINES = 400;

/** The layering rules of .dependency-cruiser.cjs (docs/architecture.md) over src/, as `npm run lint:deps` runs them. */
async function cruiseSource(): Promise<ICruiseResult> {
  const cwd = process.cwd();
  process.chdir(root);
  try {
    const options = await extractDepcruiseOptions(path.join(root, '.dependency-cruiser.cjs'));
    const tsConfig = extractTSConfig(path.join(root, 'tsconfig.json'));
    const reported = await cruise(['src'], { ...options, validate: true }, undefined, { tsConfig });
    return reported.output as ICruiseResult;
  } finally {
    process.chdir(cwd);
  }
}

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')).map((entry) => path.join(entry.parentPath, entry.name));
}

describe('the layout of src/', () => {
  it('keeps every layering rule: no import cycle between files or modules, nothing below imports intake, desk at the bottom', async () => {
    const result = await cruiseSource();
    const violations = result.summary.violations.map((violation) => `${violation.rule.name}: ${violation.from} -> ${violation.to}${violation.cycle ? ` (cycle ${violation.cycle.map((step) => step.name).join(' -> ')})` : ''}`);
    expect(violations).toEqual([]);
    // The rules saw the code: an empty cruise would pass any rule.
    expect(result.summary.totalCruised).toBeGreaterThan(100);
    expect(result.modules.some((module) => module.source === 'src/modules/intake/intake.usecases.ts')).toBe(true);
  });

  it(`has no source file over ${MAX_SOURCE_LINES} lines`, async () => {
    const files = await sourceFiles(path.join(root, 'src'));
    expect(files.length).toBeGreaterThan(100);
    const long: string[] = [];
    for (const file of files) {
      const lines = (await readFile(file, 'utf8')).split('\n').length;
      if (lines > MAX_SOURCE_LINES) long.push(`${path.relative(root, file)}: ${lines} lines`);
    }
    expect(long).toEqual([]);
  });
});
