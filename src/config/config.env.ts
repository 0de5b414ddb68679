import { listConfigKeys, type ConfigKey } from './config.keys.js';
import type { ConfigProblem } from './config.source.js';
import { configSchema } from './config.schema.js';

/**
 * The TICKETD_* variables ticketd reads that are not configuration keys: the one list of them. Any other
 * TICKETD_* variable that is not a key's name is an error (a misspelt TICKETD_IMAP_PASSWORD would otherwise
 * leave the password unset without a word). `config.env.test.ts` fails when code reads a name missing here.
 */
export const NON_CONFIG_VARIABLES: Readonly<Record<string, string>> = {
  TICKETD_CONFIG: 'the configuration file, when --config is not given',
  TICKETD_INSTANCE_NAME: 'this instance\'s name in leases and logs instead of the host name (1-64 letters, digits, . _ -): instances that share a host name set their own',
  TICKETD_CORPUS_REQUIRED: 'tests: 1 makes a missing ../shared/corpus an error instead of leaving that suite out (CI)',
  TICKETD_TEST_DATABASE: 'tests: postgresql runs the suite on the PostgreSQL the test setup starts instead of SQLite (CI runs both)',
  TICKETD_POSTFIX_REQUIRED: 'tests: 1 makes a machine where Postfix cannot run (not root, not installed) an error instead of leaving that suite out (CI)',
};

export type EnvOverrides = {
  raw: Record<string, unknown>;
  /** `imap.port` -> `TICKETD_IMAP_PORT` for every key the environment set. */
  fromEnv: Map<string, string>;
  /** Unknown TICKETD_* variables, each with the nearest known name when one is close. */
  problems: ConfigProblem[];
};

/** The file's values with the environment's on top, which keys came from where, and unknown variables. */
export function readEnvOverrides(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): EnvOverrides {
  const result = structuredClone(raw);
  const keys = listConfigKeys(configSchema);
  const fromEnv = new Map<string, string>();
  for (const key of keys) {
    const value = env[key.env];
    if (value === undefined) continue;
    setPath(result, key.path, convertEnvValue(key, value));
    fromEnv.set(key.path.join('.'), key.env);
  }
  const known = [...keys.map((key) => key.env), ...Object.keys(NON_CONFIG_VARIABLES)];
  const knownSet = new Set(known);
  const problems = Object.keys(env)
    .filter((name) => name.startsWith('TICKETD_') && !knownSet.has(name))
    .sort()
    .map((name) => {
      const near = nearestName(name, known);
      return { path: name, env: name, message: `unknown environment variable: no configuration key reads it${near ? `; did you mean ${near}?` : ''}` };
    });
  return { raw: result, fromEnv, problems };
}

export function applyEnvOverrides(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): Record<string, unknown> {
  return readEnvOverrides(raw, env).raw;
}

/** The variable that set this key path or one of its parents (`support.customerDomains.1` -> its list's variable). */
export function envSourceOf(fromEnv: Map<string, string>, path: string): string | undefined {
  const parts = path.split('.');
  for (let length = parts.length; length > 0; length -= 1) {
    const found = fromEnv.get(parts.slice(0, length).join('.'));
    if (found) return found;
  }
  return undefined;
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
      // A list of objects (imap.mailboxes) comes as JSON: [{"name":"billing",...}].
      if (value.trimStart().startsWith('[')) {
        try {
          return JSON.parse(value) as unknown;
        } catch {
          return value;
        }
      }
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

/** Names longer than this are not compared (the edit distance is quadratic in the length). */
const MAX_COMPARED = 80;

/** The known name within a few typing mistakes of `name` (a third of its length, at most 4), if any. */
export function nearestName(name: string, known: readonly string[]): string | undefined {
  if (name.length > MAX_COMPARED) return undefined;
  const limit = Math.min(4, Math.max(1, Math.floor(name.length / 3)));
  let best: { name: string; distance: number } | undefined;
  for (const candidate of known) {
    if (Math.abs(candidate.length - name.length) > limit) continue;
    const distance = editDistance(name, candidate);
    if (distance <= limit && (!best || distance < best.distance)) best = { name: candidate, distance };
  }
  return best?.name;
}

/** Levenshtein distance, two rows. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
