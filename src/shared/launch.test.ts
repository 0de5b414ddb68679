import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { launchCommand, parseLaunchLine, shippedLaunch } from './launch.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = `${root}bin/ticketd.js`;

describe('launch: the runtime settings on the first line of bin/ticketd.js', () => {
  it('reads the environment and the node flags off an env -S line', () => {
    expect(parseLaunchLine('#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=2')).toEqual({ env: { MALLOC_ARENA_MAX: '2' }, nodeArgs: ['--max-semi-space-size=2'] });
    expect(parseLaunchLine('#!/usr/bin/env node')).toEqual({ env: {}, nodeArgs: [] });
  });

  it('builds the spawn arguments: the node flags of the bin, then extra ones, the bin and its arguments; its environment over the given one', () => {
    const launch = parseLaunchLine('#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=2');
    expect(launchCommand(launch, '/x/bin/ticketd.js', ['run', '--config', 'c.yaml'], { env: { PATH: '/bin', MALLOC_ARENA_MAX: '8' }, extraNodeArgs: ['--cpu-prof'] })).toEqual({
      args: ['--max-semi-space-size=2', '--cpu-prof', '/x/bin/ticketd.js', 'run', '--config', 'c.yaml'],
      env: { PATH: '/bin', MALLOC_ARENA_MAX: '2' },
    });
  });

  it('refuses a line it cannot read, rather than starting the daemon with half of it', () => {
    expect(() => parseLaunchLine('#!/bin/sh')).toThrow(/not a launch line/);
    expect(() => parseLaunchLine('#!/usr/bin/env -S MALLOC_ARENA_MAX=2 deno')).toThrow(/no "node"/);
    expect(() => parseLaunchLine('#!/usr/bin/env -S A=$(id) node')).toThrow(/not NAME=value/);
    expect(() => parseLaunchLine('#!/usr/bin/env -S node -e "x"')).toThrow(/not a node --flag/);
  });

  it('the Dockerfile and the systemd unit start node with the same settings as the bin', () => {
    const launch = shippedLaunch(bin);
    expect(launch.nodeArgs.length + Object.keys(launch.env).length).toBeGreaterThan(0);
    const dockerfile = readFileSync(`${root}Dockerfile`, 'utf8');
    const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1];
    expect(JSON.parse(entrypoint ?? '[]')).toEqual(['node', ...launch.nodeArgs, 'bin/ticketd.js']);
    for (const [name, value] of Object.entries(launch.env)) expect(dockerfile).toMatch(new RegExp(`^ENV ${name}=${value}$`, 'm'));
    const unit = readFileSync(`${root}deploy/ticketd.service`, 'utf8');
    expect(/^ExecStart=(\S+) (.*) \/opt\/ticketd\/bin\/ticketd\.js run /m.exec(unit)?.slice(1, 3)).toEqual(['/usr/bin/node', launch.nodeArgs.join(' ')]);
    for (const [name, value] of Object.entries(launch.env)) expect(unit).toMatch(new RegExp(`^Environment=${name}=${value}$`, 'm'));
  });

  it('the bin runs when executed directly, through its first line (env -S)', async () => {
    const { stdout } = await promisify(execFile)(bin, ['--version'], { timeout: 30_000 });
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
