import { readFileSync } from 'node:fs';
import { configSchema, type Config } from './config.schema.js';
import { envSourceOf, readEnvOverrides } from './config.env.js';
import { readConfigSource, type ConfigProblem } from './config.source.js';
import { findUnfinished } from './config.unfinished.js';

export { applyEnvOverrides } from './config.env.js';
export type { ConfigProblem } from './config.source.js';

export type ConfigResult =
  | {
      ok: true;
      config: Config;
      /** Placeholders and empty secrets the settings need (config.unfinished.ts): errors for `run` and `doctor`. */
      unfinished: ConfigProblem[];
    }
  | { ok: false; problems: ConfigProblem[] };

/**
 * Reads the YAML file, applies `TICKETD_*` environment overrides, validates. Never throws for bad input:
 * every problem comes back with its key path, its line in the file or the variable it came from, so
 * `config check` and start-up can print them all at once. No problem ever carries a value: it may be a secret.
 */
export function loadConfig({ file, env = process.env }: { file: string; env?: NodeJS.ProcessEnv }): ConfigResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return { ok: false, problems: [{ path: '(file)', message: `cannot read ${file}: ${(error as Error).message}` }] };
  }
  const source = readConfigSource(text);
  if (!source.ok) return source;
  const overrides = readEnvOverrides(source.raw, env);
  // A key set by the environment is reported by its variable; a key from the file by its line.
  const locate = (problem: ConfigProblem): ConfigProblem => {
    const variable = envSourceOf(overrides.fromEnv, problem.path);
    if (variable) return { ...problem, env: variable };
    const line = source.lineOf(problem.path.split('.').map((part) => (/^\d+$/.test(part) ? Number(part) : part)));
    return line === undefined ? problem : { ...problem, line };
  };
  const validated = validateConfig(overrides.raw);
  if (!validated.ok || overrides.problems.length > 0) {
    return { ok: false, problems: [...overrides.problems, ...(validated.ok ? [] : validated.problems.map(locate))] };
  }
  return { ...validated, unfinished: validated.unfinished.map(locate) };
}

export function validateConfig(raw: unknown): ConfigResult {
  const result = configSchema.safeParse(raw);
  if (result.success) return { ok: true, config: result.data, unfinished: findUnfinished(result.data) };
  const problems: ConfigProblem[] = [];
  for (const issue of result.error.issues) {
    const base = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) problems.push({ path: base ? `${base}.${key}` : key, message: 'unknown key' });
    } else {
      problems.push({ path: base || '(root)', message: issue.message });
    }
  }
  return { ok: false, problems };
}

/** `imap.port (line 4): ...`, `imap.port (from TICKETD_IMAP_PORT): ...`: how a problem is shown to a person. */
export function describeProblem(problem: ConfigProblem): string {
  const where = problem.env && problem.env !== problem.path ? ` (from ${problem.env})` : problem.line !== undefined ? ` (line ${problem.line})` : '';
  return `${problem.path}${where}: ${problem.message}`;
}
