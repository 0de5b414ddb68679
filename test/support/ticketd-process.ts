import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { launchCommand, shippedLaunch } from '../../src/shared/launch.js';

/** The built bin, run as a user would run it (`npm test` builds dist/ first). */
export const TICKETD_BIN = fileURLToPath(new URL('../../bin/ticketd.js', import.meta.url));
/** The runtime settings on the bin's first line: the tests run the daemon as it ships. */
const LAUNCH = shippedLaunch(TICKETD_BIN);

export type CliResult = { code: number; stdout: string; stderr: string };

export function runTicketd(args: string[], { input, env, cwd }: { input?: string | Buffer; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const command = launchCommand(LAUNCH, TICKETD_BIN, args, { env: { ...process.env, ...env } });
    const child = execFile(process.execPath, command.args, { env: command.env, ...(cwd ? { cwd } : {}), maxBuffer: 64 * 1024 * 1024, timeout: 120_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    if (input !== undefined) child.stdin?.end(input);
    else child.stdin?.end();
  });
}

export async function ticketdJson<T>(args: string[], { env }: { env?: NodeJS.ProcessEnv } = {}): Promise<T> {
  const result = await runTicketd(args, { env });
  if (result.code !== 0) throw new Error(`ticketd ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

export type DaemonProcess = {
  child: ChildProcess;
  /** Everything the daemon logged so far (pino JSON lines on stderr). */
  logs(): string;
  /** Sends the signal and resolves with the exit code (or the signal name) once the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
  exited: Promise<number | string>;
};

/** Starts `ticketd run --config FILE` as a child process. */
export function startDaemonProcess(configFile: string, { env }: { env?: NodeJS.ProcessEnv } = {}): DaemonProcess {
  const command = launchCommand(LAUNCH, TICKETD_BIN, ['run', '--config', configFile], { env: { ...process.env, ...env } });
  const child = spawn(process.execPath, command.args, { env: command.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return {
    child,
    logs: () => output,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
