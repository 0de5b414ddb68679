import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { configSchema, type Config } from './config.schema.js';
import { listConfigKeys, type ConfigKey } from './config.keys.js';

export type ConfigProblem = { path: string; message: string };
export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: ConfigProblem[] };

/**
 * Reads the YAML file, applies `TICKETD_*` environment overrides, validates. Never throws for bad input:
 * every problem comes back with its key path so `config check` and start-up can print them all at once.
 */
export function loadConfig({ file, env = process.env }: { file: string; env?: NodeJS.ProcessEnv }): ConfigResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return { ok: false, problems: [{ path: '(file)', message: `cannot read ${file}: ${(error as Error).message}` }] };
  }
  const document = parseDocument(text, { prettyErrors: true });
  if (document.errors.length > 0) {
    return { ok: false, problems: document.errors.map((error) => ({ path: '(yaml)', message: error.message })) };
  }
  const raw: unknown = document.toJS() ?? {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, problems: [{ path: '(file)', message: 'must be a YAML mapping of sections (database, imap, smtp, ...)' }] };
  }
  return validateConfig(applyEnvOverrides(raw as Record<string, unknown>, env));
}

export function validateConfig(raw: unknown): ConfigResult {
  const result = configSchema.safeParse(raw);
  if (result.success) return { ok: true, config: result.data };
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

export function applyEnvOverrides(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const result = structuredClone(raw);
  for (const key of listConfigKeys(configSchema)) {
    const value = env[key.env];
    if (value === undefined) continue;
    setPath(result, key.path, convertEnvValue(key, value));
  }
  return result;
}

function convertEnvValue(key: ConfigKey, value: string): unknown {
  switch (key.kind) {
    case 'number':
      return value.trim() === '' || Number.isNaN(Number(value)) ? value : Number(value);
    case 'boolean':
      return /^(true|1|yes)$/i.test(value) ? true : /^(false|0|no)$/i.test(value) ? false : value;
    case 'record':
      // Maps (routing keys per organisation, ...) come as JSON: {"acme.com":"key"}.
      try {
        return JSON.parse(value) as unknown;
      } catch {
        return value;
      }
    case 'array':
      return value.split(',').map((item) => item.trim()).filter((item) => item !== '');
    default:
      return value;
  }
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const part of path.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
}
