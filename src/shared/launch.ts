import { readFileSync } from 'node:fs';

/**
 * How the daemon's Node process is started: the runtime settings on the first line of bin/ticketd.js, e.g.
 * `#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=2 --heap-growing-percent=30`. That line is the one place they are
 * written; whatever starts the daemon another way (`node bin/ticketd.js` in the Dockerfile and the systemd unit,
 * `process.execPath` in the bench, the demo and the tests) reads them from here or is checked against them.
 */
export type Launch = { env: Record<string, string>; nodeArgs: string[] };

const SHEBANG = '#!/usr/bin/env -S ';
const ENV_ASSIGNMENT = /^([A-Z_][A-Z0-9_]*)=([A-Za-z0-9_.:/-]*)$/;
const NODE_FLAG = /^--[a-z0-9-]+(=[A-Za-z0-9_.:/-]+)?$/;

/** Parses a `#!/usr/bin/env -S [NAME=value ...] node [--flag ...]` line; anything else is refused. */
export function parseLaunchLine(line: string): Launch {
  if (line === '#!/usr/bin/env node') return { env: {}, nodeArgs: [] };
  if (!line.startsWith(SHEBANG)) throw new Error(`not a launch line: ${JSON.stringify(line.slice(0, 80))} (expected "${SHEBANG}[NAME=value ...] node [--flag ...]")`);
  const words = line.slice(SHEBANG.length).trim().split(/ +/);
  const nodeAt = words.indexOf('node');
  if (nodeAt < 0) throw new Error('launch line: no "node" command');
  const env: Record<string, string> = {};
  for (const word of words.slice(0, nodeAt)) {
    const match = ENV_ASSIGNMENT.exec(word);
    if (!match) throw new Error(`launch line: ${JSON.stringify(word)} is not NAME=value`);
    env[match[1] as string] = match[2] as string;
  }
  const nodeArgs = words.slice(nodeAt + 1);
  for (const flag of nodeArgs) if (!NODE_FLAG.test(flag)) throw new Error(`launch line: ${JSON.stringify(flag)} is not a node --flag`);
  return { env, nodeArgs };
}

/** The settings bin/ticketd.js (or the given bin) starts the daemon with. */
export function shippedLaunch(bin: string): Launch {
  const firstLine = readFileSync(bin, 'utf8').split('\n', 1)[0] ?? '';
  return parseLaunchLine(firstLine);
}

/**
 * The arguments and environment for `spawn(process.execPath, ...)` that run the bin as it ships: its node flags,
 * then `extraNodeArgs` (a profile, a flag to try), the bin and `args`; its environment over `env`.
 */
export function launchCommand(launch: Launch, bin: string, args: string[], { env = process.env, extraNodeArgs = [] }: { env?: NodeJS.ProcessEnv; extraNodeArgs?: string[] } = {}): { args: string[]; env: NodeJS.ProcessEnv } {
  return { args: [...launch.nodeArgs, ...extraNodeArgs, bin, ...args], env: { ...env, ...launch.env } };
}
